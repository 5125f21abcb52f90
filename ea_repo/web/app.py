"""The web explorer's Flask app: read-only pages and a JSON API over one :class:`Repository`.

Every page is rendered on the server by jinja2 with autoescaping; the browser's scripts are
static files of this package and read data only from the JSON API or from escaped
``data-`` attributes, which the Content-Security-Policy holds them to. The library is
synchronous and a store connection serves one caller at a time, so every request that
reads the repository holds :attr:`Explorer.lock`: the server's threads take turns on it.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Flask, Response, abort, jsonify, redirect, render_template, request, url_for

from ..errors import EaError, NotFoundError, ValidationError
from ..model import Direction
from ..results import age_text, cell_text
from .explore import PAGE, Explorer, depth_of, layers_of, way_of

if TYPE_CHECKING:
    from ..repository import Repository

HERE = Path(__file__).resolve().parent

READ_METHODS = frozenset({"GET", "HEAD"})

TOKEN_COOKIE = "ea_token"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""No inline script or style: the pages' scripts are the package's static files."""

LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
"""Host names a page served on the loopback answers to (a page of another site that a DNS
rebinding points at 127.0.0.1 carries its own name, and is refused)."""

RESULTS = ("obsolescence", "decommission", "waves", "impact", "dependencies")
"""The analyses whose results have a page of tables (``ea X`` as tables, JSON, CSV)."""

SEARCH_PAGE = 50
RELATIONS_SHOWN = 25
"""Relations listed per group on an element page before a link to the whole group."""


def create_app(repo: Repository, *, token: str | None = None, local: bool = True) -> Flask:
    """The explorer over ``repo``.

    ``token``: every request must carry it (``Authorization: Bearer``, or ``?token=`` once,
    which sets an HttpOnly cookie). ``local``: the server listens on the loopback only, and
    a request naming another host is refused.
    """
    app = Flask(
        "ea_repo.web",
        template_folder=str(HERE / "templates"),
        static_folder=str(HERE / "static"),
    )
    app.jinja_env.autoescape = True  # every template, whatever its file name
    app.jinja_env.filters["cell"] = cell_text
    app.jinja_env.globals["age"] = age_text
    explorer = Explorer(repo)
    app.extensions["ea_explorer"] = explorer
    lock = threading.Lock()

    @contextmanager
    def reading() -> Iterator[Repository]:
        with lock:
            yield repo

    @app.before_request
    def guard() -> Any:
        if request.method not in READ_METHODS:
            abort(405)
        if local and host_name(request.host) not in LOCAL_NAMES:
            abort(403)
        if token is None:
            return None
        given = request.args.get("token")
        if given is not None and hmac.compare_digest(given.encode(), token.encode()):
            rest = {k: v for k, v in request.args.items(multi=True) if k != "token"}
            target = request.path + ("?" + urlencode(rest) if rest else "")
            answer = redirect(target, 303)
            answer.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="Strict")
            return answer
        header = request.headers.get("Authorization", "")
        sent = header[7:] if header.startswith("Bearer ") else request.cookies.get(TOKEN_COOKIE, "")
        if not hmac.compare_digest(sent.encode(), token.encode()):
            abort(401)
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(EaError)
    def failed(exc: EaError) -> tuple[Any, int]:
        status = 404 if isinstance(exc, NotFoundError) else 400
        if request.path.startswith("/api/"):
            return jsonify(error=str(exc), hint=exc.hint), status
        return render_template("error.html", error=str(exc), hint=exc.hint, status=status), status

    @app.context_processor
    def seen() -> dict[str, Any]:
        return {"seen_as": repo.seen_as}

    # -- pages -------------------------------------------------------------------------

    @app.get("/")
    def home() -> str:
        with reading():
            status = repo.status()
            stats = repo.stats()
        return render_template(
            "home.html",
            status=status,
            stats=stats,
            types=sorted(stats.counts.elements.items()),
            analyses=RESULTS,
        )

    @app.get("/search")
    def search() -> str:
        text = request.args.get("q", "").strip()
        type_name = request.args.get("type", "").strip() or None
        where = [w for w in request.args.getlist("where") if w.strip()]
        page = _number(request.args.get("page"), 0)
        attrs = _pairs(where)
        found: list[Any] = []
        more = False
        asked = bool(text or type_name or attrs)
        if asked:
            with reading():
                rows = repo.find(
                    type_name=type_name,
                    attrs=attrs,
                    text=text or None,
                    limit=(page + 1) * SEARCH_PAGE + 1,
                )
            found = rows[page * SEARCH_PAGE : (page + 1) * SEARCH_PAGE]
            more = len(rows) > (page + 1) * SEARCH_PAGE
        return render_template(
            "search.html",
            q=text,
            type_name=type_name or "",
            where=where,
            types=sorted(repo.metamodel.element_types),
            found=found,
            asked=asked,
            page=page,
            more=more,
            first=page * SEARCH_PAGE,
            layer_of=_layer_of(repo),
        )

    @app.get("/element")
    def element() -> str:
        from ..analysis.incidents import INCIDENT, iso, status_at
        from ..timeline import ATTRIBUTES, dates

        element_id = _required("id")
        group = request.args.get("rel")
        with reading():
            detail = repo.describe(element_id)
        groups: dict[tuple[str, str], list[Any]] = {}
        for n in detail.neighbors:
            key = (n.label, "out" if n.direction is Direction.OUT else "in")
            groups.setdefault(key, []).append(n)
        moment = iso(dt.datetime.now(dt.UTC))
        incidents = [
            n.other
            for n in detail.neighbors
            if n.other.type == INCIDENT and status_at(n.other.attrs, moment) == "open"
        ]
        lifecycle = set(ATTRIBUTES.values())
        return render_template(
            "element.html",
            detail=detail,
            e=detail.element,
            attrs=sorted((k, v) for k, v in detail.element.attrs.items() if k not in lifecycle),
            lifecycle=dates(detail.element.attrs),
            groups=groups,
            group=group,
            shown=RELATIONS_SHOWN,
            incidents=incidents,
            results=[r for r in RESULTS if r in ("decommission", "impact", "dependencies")],
        )

    @app.get("/explore")
    def explore() -> str:
        way = way_of(request.args.get("way", "impact"))
        depth = depth_of(request.args.get("depth"))
        with reading():
            start = repo.element(_required("id"))
        from ..metamodel import LAYERS

        return render_template(
            "explore.html", start=start, way=way.value, depth=depth, layers=LAYERS
        )

    @app.get("/views")
    def views() -> str:
        from ..views.spec import all_views

        root = repo.workspace.root if repo.workspace else None
        return render_template("views.html", views=all_views(root).values())

    @app.get("/view")
    def view() -> Response | str:
        from ..views import render_view
        from ..views.render import svg_fragment
        from ..views.spec import find_view

        name = _required("name")
        select = request.args.get("select", "").strip() or None
        fmt = request.args.get("format", "page")
        root = repo.workspace.root if repo.workspace else None
        spec = find_view(name, root)
        if select is None and spec.select is None and _needs_start(spec.analysis):
            return render_template("view.html", spec=spec, select="", svg=None)
        day = dt.date.fromisoformat(repo.day) if repo.day else None
        if fmt in ("svg", "html"):
            with reading():
                data = render_view(repo, spec, select=select, fmt=fmt, at=day)
            return _download(
                data, f"{spec.name}.{fmt}", "image/svg+xml" if fmt == "svg" else "text/html"
            )
        with reading():
            svg = render_view(repo, spec, select=select, fmt="svg", at=day, link=_element_url)
        return render_template("view.html", spec=spec, select=select or "", svg=svg_fragment(svg))

    @app.get("/result/<name>")
    def result(name: str) -> Response | str:
        from ..analysis.present import present
        from ..analysis.registry import analysis as analysis_kind
        from ..analysis.registry import study
        from ..output import Format, render

        if name not in RESULTS:
            abort(404)
        kind = analysis_kind(name)
        target = request.args.get("target", "").strip() or None
        options = _result_options(name, repo)
        fmt = request.args.get("format", "page")
        if target is None and kind.starts.value != "scope":
            return render_template(
                "result.html", name=name, kind=kind, target="", result=None, links={}
            )
        with reading():
            if fmt == "html" and kind.study is not None:
                page = study(repo, name, target, **options)
                return _download(page.encode(), f"{name}-study.html", "text/html")
            report = repo.analyse(name, target, **options)
            shaped = present(repo, report, target=target if name == "waves" else None)
        if fmt in ("json", "csv"):
            text = render(shaped, Format(fmt))
            kind_of = "application/json" if fmt == "json" else "text/csv"
            return _download(text.encode(), f"{name}.{fmt}", kind_of)
        args: dict[str, Any] = {
            k: v for k, v in request.args.to_dict(flat=False).items() if k != "format"
        }
        links = {f: url_for("result", name=name, **args, format=f) for f in ("json", "csv")}
        if kind.study is not None:
            links["html"] = url_for("result", name=name, **args, format="html")
        return render_template(
            "result.html", name=name, kind=kind, target=target or "", result=shaped, links=links
        )

    # -- the explorer's JSON API ----------------------------------------------------------

    @app.get("/api/children")
    def children() -> Response:
        way = way_of(request.args.get("way", "impact"))
        level = _number(request.args.get("level"), 0)
        with reading():
            start = explorer.start(_required("start"))
            page = explorer.children(
                start,
                way,
                _required("node"),
                level,
                offset=_number(request.args.get("offset"), 0),
                include=request.args.get("include") or None,
            )
        return jsonify(
            page.to_data(start=start, way=way.value, node=request.args["node"], page=PAGE)
        )

    @app.get("/api/reached")
    def reached() -> Response:
        way = way_of(request.args.get("way", "impact"))
        depth = depth_of(request.args.get("depth"))
        layers = layers_of(request.args.getlist("layer"))
        with reading():
            start = explorer.start(_required("start"))
            page = explorer.reached(
                start, way, depth, layers, offset=_number(request.args.get("offset"), 0)
            )
        return jsonify(page.to_data(start=start, way=way.value, depth=depth, page=PAGE))

    return app


def _needs_start(name: str | None) -> bool:
    """Whether a view drawing the analysis ``name`` needs a start (all but a whole-landscape
    analysis)."""
    from ..analysis.registry import Starts, analysis

    return name is not None and analysis(name).starts is not Starts.SCOPE


def _element_url(element_id: str) -> str:
    return url_for("element", id=element_id)


def _layer_of(repo: Repository) -> Callable[[str], str]:
    def layer(type_name: str) -> str:
        et = repo.metamodel.element_types.get(type_name)
        return et.layer if et else "unknown"

    return layer


def _required(name: str) -> str:
    value = request.args.get(name, "").strip()
    if not value:
        raise ValidationError(f"the page needs its {name!r} parameter")
    return value


def _number(text: str | None, default: int) -> int:
    if text in (None, ""):
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a number") from None
    if value < 0:
        raise ValidationError(f"{value} is negative")
    return value


def _pairs(items: list[str]) -> dict[str, str]:
    found = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(
                f"filter {item!r} is not KEY=VALUE", hint="e.g. environment=production"
            )
        found[key.strip()] = value.strip()
    return found


def _result_options(name: str, repo: Repository) -> dict[str, Any]:
    """The options of a result page's analysis, from its query: ``horizon`` (obsolescence),
    ``max_size`` (waves), ``depth`` and ``layer`` (impact, dependencies)."""
    from ..config import parse_duration_days

    options: dict[str, Any] = {}
    if name == "obsolescence":
        options["horizon_days"] = parse_duration_days(
            request.args.get("horizon") or "12m", "horizon"
        )
        options["at"] = dt.date.fromisoformat(repo.day or dt.date.today().isoformat())
    if name == "waves" and request.args.get("max_size"):
        options["max_size"] = max(1, _number(request.args.get("max_size"), 50))
    if name in ("impact", "dependencies"):
        if request.args.get("depth"):
            options["max_depth"] = depth_of(request.args.get("depth"))
        options["layers"] = layers_of(request.args.getlist("layer"))
    return options


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    answer = Response(data, mimetype=mimetype)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    answer.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    return answer


def host_name(host: str) -> str:
    """The name in a ``Host`` header, without its port: ``[::1]:8080`` -> ``[::1]``."""
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0]
