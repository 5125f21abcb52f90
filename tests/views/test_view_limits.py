"""Views over their size limit stay readable: the largest groups, waves as counted nodes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

from ea_repo import Repository
from ea_repo.analysis.waves import plan_waves
from ea_repo.views import render_view
from ea_repo.views.build import build_view, waves_graph
from ea_repo.views.graph import Edge, Group, Node, ViewGraph, fit
from ea_repo.views.render import render
from ea_repo.views.spec import builtin_views
from ea_repo.views.styles import Look

SVG = "{http://www.w3.org/2000/svg}"


def test_more_groups_than_the_limit_keeps_the_largest(retail: Path) -> None:
    spec = builtin_views()["application-landscape"]
    with Repository.open(retail) as repo:
        whole = build_view(repo.store, repo.metamodel, replace(spec, limit=1000))
        sizes = {g: sum(n.group == g for n in whole.nodes.values()) for g in whole.groups}
        assert len(sizes) > 4
        small = build_view(repo.store, repo.metamodel, replace(spec, limit=4))
    assert len(small.nodes) == 4
    assert sum(n.count for n in small.nodes.values()) == small.elements_total == len(whole.nodes)
    # Three groups stay, the largest (ties in cluster order); the others share one node.
    kept = sorted(sizes, key=lambda g: (-sizes[g], whole.groups[g].order, g))[:3]
    assert sorted(g for g in small.groups) == sorted(kept)
    others = [n for n in small.nodes.values() if n.group is None]
    assert len(others) == 1 and others[0].name.endswith("smaller groups")
    assert others[0].count == len(whole.nodes) - sum(sizes[g] for g in kept)
    assert any("by largest group" in note for note in small.notes)
    root = ET.fromstring(render(small, "svg"))
    titles = [
        " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "cluster group"
    ]
    assert sorted(titles) == sorted(whole.groups[g].label for g in kept)


def test_waves_over_the_limit_are_one_node_each(retail: Path) -> None:
    with Repository.open(retail) as repo:
        ids = [e.id for e in repo.store.iter_elements()]
        report = plan_waves(repo.store, repo.metamodel, ids, max_size=3)
        mm = repo.metamodel
    total = sum(len(w.elements) for w in report.waves)
    spec = builtin_views()["migration-waves"]
    assert len(report.waves) > 4 and report.cross
    each = waves_graph(report, mm, replace(spec, limit=1000))
    assert len(each.nodes) == total  # within the limit: every element, in its wave's cluster
    summary = waves_graph(report, mm, replace(spec, limit=4))
    names = [n.name for n in summary.nodes.values()]
    assert sorted(names) == sorted(["Wave 1", "Wave 2", "Wave 3", f"Waves 4–{len(report.waves)}"])
    assert sum(n.count for n in summary.nodes.values()) == summary.elements_total == total
    assert all(e.type == "needs" and e.src != e.dst for e in summary.edges)
    # A dependency cut between two shown waves is counted on the edge between them.
    wave_node = {n.name: k for k, n in summary.nodes.items()}
    cut = [c for c in report.cross if c.dependent_wave <= 3 and c.dependency_wave <= 3]
    for c in cut:
        src, dst = wave_node[f"Wave {c.dependent_wave}"], wave_node[f"Wave {c.dependency_wave}"]
        assert any({e.src, e.dst} == {src, dst} for e in summary.edges)
    assert any("each wave is one node" in note for note in summary.notes)
    texts = [t.text or "" for t in ET.fromstring(render(summary, "svg")).iter(f"{SVG}text")]
    assert "Wave 1" in texts


def cluster_boxes(svg: bytes) -> list[tuple[float, float]]:
    """(top, bottom) of each cluster drawn (SVG y grows downwards, graphviz writes y < 0)."""
    boxes = []
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if g.get("class") == "cluster group":
            path = next(g.iter(f"{SVG}path")).get("d") or ""
            ys = [float(p.split(",")[1]) for p in path.replace("M", " ").replace("C", " ").split()]
            boxes.append((min(ys), max(ys)))
    return boxes


def test_clusters_without_links_are_laid_out_in_rows(retail: Path) -> None:
    with Repository.open(retail) as repo:
        boxes = cluster_boxes(render_view(repo, "application-landscape", fmt="svg"))
    assert len(boxes) == 5  # three clusters a row: two rows
    lower = [b for b in boxes if any(b[0] > other[1] for other in boxes)]
    upper = [b for b in boxes if b not in lower]
    assert len(upper) == 3 and len(lower) == 2
    # Every cluster of the second row starts below the bottom of every one of the first.
    assert min(top for top, _ in lower) > max(bottom for _, bottom in upper)


def test_the_start_of_an_analysis_view_is_never_counted_in(retail: Path) -> None:
    views = builtin_views()
    with Repository.open(retail) as repo:
        deps = build_view(
            repo.store, repo.metamodel, replace(views["dependencies"], limit=3), "app-webshop"
        )
        flows = build_view(
            repo.store, repo.metamodel, replace(views["data-flows"], limit=1), "app-webshop"
        )
    for graph in (deps, flows):
        assert any("collapsed" in note for note in graph.notes)
        start = graph.nodes["app-webshop"]
        assert start.count == 1 and start.pinned
        # The buckets are coloured as what they count, not as the element studied.
        counted = [n for n in graph.nodes.values() if n.count > 1]
        assert counted and all(n.look != start.look for n in counted)
        assert sum(n.count for n in graph.nodes.values()) == graph.elements_total


class CountingNode(Node):
    """A node that counts how often its group is read: the work of grouping."""

    reads = 0

    def __getattribute__(self, name: str) -> object:
        if name == "group":
            CountingNode.reads += 1
        return super().__getattribute__(name)


def test_fitting_a_group_per_element_reads_each_group_a_few_times_only() -> None:
    # A view grouped by a unique attribute (a host name) has as many groups as elements:
    # fitting it must be linear in the nodes, not nodes × groups (hours at 100 000).
    n = 3000
    graph = ViewGraph("hosts")
    look = Look("#FFFFFF", "#000000")
    for i in range(n):
        key = f"e{i:05d}"
        graph.groups[f"attr:h{i}"] = Group(f"attr:h{i}", f"h{i}")
        graph.add_node(
            CountingNode(key, f"host {i}", "Server", "technology", look, group=f"attr:h{i}")
        )
        if i:
            graph.add_edge(Edge(key, f"e{i - 1:05d}", "connects"))
    CountingNode.reads = 0
    small = fit(graph, 400, 1200)
    assert len(small.nodes) <= 400
    assert sum(node.count for node in small.nodes.values()) == n
    assert CountingNode.reads < 30 * n, CountingNode.reads
