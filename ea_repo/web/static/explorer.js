// The impact / dependencies explorer: a tree of levels fetched one node at a time from the
// JSON API, and the list of what is reached within a depth, whose click highlights its path.
// Every value reaches the page through textContent or a data attribute, never as markup.
(function () {
  "use strict";
  var root = document.getElementById("explorer");
  if (!root) { return; }
  var conf = root.dataset;
  var tree = document.getElementById("tree");
  var reachedList = document.getElementById("reached");
  var reachedCount = document.getElementById("reached-count");
  var reachedMore = document.getElementById("reached-more");
  var filters = document.getElementById("filters");
  var reachedOffset = 0;
  var reachedAsked = 0;  // the latest request: an answer to an older one is dropped

  function query(params) {
    var q = new URLSearchParams();
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (Array.isArray(v)) { v.forEach(function (x) { q.append(k, x); }); }
      else if (v !== null && v !== undefined) { q.append(k, String(v)); }
    });
    return q.toString();
  }

  function getJSON(url, params) {
    return fetch(url + "?" + query(params), { credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error(body.error || r.statusText); }
        return body;
      });
    });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function elementLink(id, name) {
    var a = el("a", "name", name);
    a.href = conf.element + "?" + query({ id: id });
    a.title = "open the element page";
    return a;
  }

  function makeNode(row, level) {
    var li = el("li", "node state-" + row.state);
    li.dataset.id = row.id;
    li.dataset.level = String(level);
    li.dataset.layer = row.layer;
    var line = el("div", "line");
    var toggle = el("button", "toggle", "▸");
    toggle.type = "button";
    toggle.setAttribute("aria-label", "expand");
    toggle.addEventListener("click", function () { toggleNode(li); });
    line.appendChild(toggle);
    if (row.relation) { line.appendChild(el("span", "relation", row.relation)); }
    line.appendChild(elementLink(row.id, row.name));
    line.appendChild(el("span", "type", row.type));
    line.appendChild(el("span", "layer", row.layer));
    if (row.state !== "start") { line.appendChild(el("span", "state " + row.state, row.state)); }
    li.appendChild(line);
    var kids = el("ul", "kids");
    li.appendChild(kids);
    return li;
  }

  function kidsOf(li) { return li.querySelector(":scope > ul.kids"); }

  function childNamed(li, id) {
    var found = null;
    Array.prototype.forEach.call(kidsOf(li).children, function (c) {
      if (c.dataset.id === id) { found = c; }
    });
    return found;
  }

  function loadChildren(li, offset, include) {
    var level = Number(li.dataset.level);
    return getJSON(conf.children, {
      start: conf.start, way: conf.way, node: li.dataset.id, level: level,
      offset: offset, include: include || null
    }).then(function (page) {
      var kids = kidsOf(li);
      var more = kids.querySelector(":scope > li.more");
      if (more) { more.remove(); }
      page.rows.forEach(function (row) {
        if (!childNamed(li, row.id)) { kids.appendChild(makeNode(row, level + 1)); }
      });
      var shown = page.offset + page.page;
      if (page.total > shown) {
        var moreLi = el("li", "more");
        var button = el("button", "more", "show more (" + (page.total - shown) + " left)");
        button.type = "button";
        button.addEventListener("click", function () { loadChildren(li, shown); });
        moreLi.appendChild(button);
        kids.appendChild(moreLi);
      }
      if (page.total === 0) { kids.appendChild(el("li", "none", "nothing further")); }
      li.classList.add("expanded");
      li.querySelector(":scope > .line > .toggle").textContent = "▾";
      return li;
    });
  }

  function toggleNode(li) {
    if (li.classList.contains("expanded")) {
      li.classList.remove("expanded");
      li.classList.add("folded");
      li.querySelector(":scope > .line > .toggle").textContent = "▸";
      return Promise.resolve(li);
    }
    if (li.classList.contains("folded")) {
      li.classList.remove("folded");
      li.classList.add("expanded");
      li.querySelector(":scope > .line > .toggle").textContent = "▾";
      return Promise.resolve(li);
    }
    return loadChildren(li, 0);
  }

  function opened(li, include) {
    if (li.classList.contains("expanded") || li.classList.contains("folded")) {
      li.classList.remove("folded");
      li.classList.add("expanded");
      if (include && !childNamed(li, include)) { return loadChildren(li, 0, include); }
      return Promise.resolve(li);
    }
    return loadChildren(li, 0, include);
  }

  function highlight(path, target) {
    Array.prototype.forEach.call(tree.querySelectorAll(".on-path"), function (n) {
      n.classList.remove("on-path");
    });
    var startLi = tree.firstElementChild;
    startLi.classList.add("on-path");
    var chain = Promise.resolve(startLi);
    path.forEach(function (step) {
      chain = chain.then(function (li) {
        return opened(li, step.to).then(function () {
          var next = childNamed(li, step.to);
          if (!next) { throw new Error("not on the tree: " + step.to); }
          next.classList.add("on-path");
          return next;
        });
      });
    });
    return chain.then(function (last) {
      last.classList.add("target");
      var pane = tree.parentElement;  // scroll the tree's pane, not the page
      pane.scrollTop = last.offsetTop - pane.clientHeight / 2;
      root.dataset.highlighted = target;
    });
  }

  function filterValues() {
    var layers = [];
    Array.prototype.forEach.call(filters.querySelectorAll("input[name=layer]:checked"), function (c) {
      layers.push(c.value);
    });
    return { depth: filters.querySelector("#depth").value, layer: layers };
  }

  function loadReached(offset) {
    var f = filterValues();
    var asked = ++reachedAsked;
    return getJSON(conf.reached, {
      start: conf.start, way: conf.way, depth: f.depth, layer: f.layer, offset: offset
    }).then(function (page) {
      if (asked !== reachedAsked) { return; }
      if (offset === 0) { reachedList.textContent = ""; }
      page.rows.forEach(function (row) {
        var li = el("li", "reach state-" + row.state);
        var button = el("button", "reach", row.name);
        button.type = "button";
        button.dataset.id = row.id;
        button.addEventListener("click", function () { highlight(row.path, row.id); });
        li.appendChild(button);
        li.appendChild(el("span", "type", row.type));
        li.appendChild(el("span", "layer", row.layer));
        li.appendChild(el("span", "distance", "at " + row.distance));
        li.appendChild(el("span", "state " + row.state, row.state));
        reachedList.appendChild(li);
      });
      reachedOffset = page.offset + page.rows.length;
      reachedCount.textContent = page.total + " reached within " + page.depth + " step(s)";
      reachedMore.hidden = reachedOffset >= page.total;
      root.dataset.reachedShown = page.depth + ":" + f.layer.join(",");
      root.dataset.ready = "yes";
    });
  }

  function fail(err) {
    var p = el("p", "error", String(err.message || err));
    root.insertBefore(p, root.firstChild);
  }

  filters.addEventListener("change", function () { loadReached(0).catch(fail); });
  reachedMore.addEventListener("click", function () { loadReached(reachedOffset).catch(fail); });

  var start = makeNode({ id: conf.start, name: conf.name, type: conf.type, layer: "", state: "start" }, 0);
  tree.appendChild(start);
  loadChildren(start, 0).then(function () { return loadReached(0); }).catch(fail);
})();
