"""Views: diagrams of the landscape and of analysis results, and HTML study reports.

>>> # with Repository.open("ws") as repo:
>>> #     svg = render_view(repo, "application-landscape", fmt="svg")

The names below are imported on first use: every ``ea`` command imports this
package (for the diagram formats), and the view builder pulls in every
analysis, networkx included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..repository import Repository
    from .build import build_view
    from .graph import ViewGraph
    from .render import DiagramFormat, render
    from .spec import ViewSpec, all_views, builtin_views, check_view, find_view, load_view

_LAZY = {
    "DiagramFormat": "render",
    "ViewGraph": "graph",
    "ViewSpec": "spec",
    "all_views": "spec",
    "build_view": "build",
    "builtin_views": "spec",
    "check_view": "spec",
    "find_view": "spec",
    "load_view": "spec",
    "render": "render",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def render_view(
    repo: Repository,
    view: str | ViewSpec,
    *,
    select: str | None = None,
    fmt: DiagramFormat | str = "svg",
    at: dt.date | None = None,
    link: Callable[[str], str] | None = None,
) -> bytes:
    """Render a view (a name, a spec file or a spec) of ``repo`` in ``fmt``; ``link`` (an
    element id -> a URL) makes its elements links.

    Raises ViewSpecError (bad spec), NotFoundError (no such view),
    SelectorError, RenderError (Graphviz missing or failing).
    """
    from .build import build_view
    from .render import render
    from .spec import find_view

    if isinstance(view, str):
        view = find_view(view, repo.workspace.root if repo.workspace else None)
    graph = build_view(repo.store, repo.metamodel, view, select, at=at)
    if repo.seen_as:
        graph.notes.insert(0, repo.seen_as)
    return render(graph, fmt, view.name, link)


__all__ = [
    "DiagramFormat",
    "ViewGraph",
    "ViewSpec",
    "all_views",
    "build_view",
    "builtin_views",
    "check_view",
    "find_view",
    "load_view",
    "render",
    "render_view",
]
