"""The impact / dependencies explorer's answers: a neighbourhood a page at a time.

The browser never holds the whole graph. It asks for the next level below one element
(:meth:`Explorer.children`) and for the elements reached within a depth, in some layers
(:meth:`Explorer.reached`), each a page of rows; both come from the registry's ``impact``
or ``dependencies`` analysis (``Repository.analyse``), whose last reports are kept so that
expanding a level reads the store once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..analysis.impact import ImpactReport, hop_label
from ..analysis.traversal import State, Way
from ..errors import ValidationError
from ..metamodel import LAYERS
from ..model import CURRENT, ElementId

if TYPE_CHECKING:
    from ..repository import Repository

MAX_DEPTH = 10
"""The deepest level the explorer asks for."""

PAGE = 50
"""Rows per page of children or reached elements."""

_KEPT = 8
"""Reports kept for the next request (one per start, way and depth)."""

_STATE_ORDER = {State.DOWN: 0, State.DEGRADED: 1, State.START: 2}


@dataclass(frozen=True)
class Page:
    """A page of rows out of ``total``, from ``offset``."""

    rows: list[dict[str, Any]]
    total: int
    offset: int

    def to_data(self, **more: Any) -> dict[str, Any]:
        """The page as the JSON document the explorer reads."""
        return {**more, "rows": self.rows, "total": self.total, "offset": self.offset}


def way_of(text: str) -> Way:
    """The way named ``text``; a ValidationError for any other."""
    try:
        return Way(text)
    except ValueError:
        raise ValidationError(
            f"no way {text!r}", hint="impact (what depends on it) or dependencies"
        ) from None


def depth_of(text: str | int | None, default: int = 3) -> int:
    """A depth from 1 to :data:`MAX_DEPTH`; a ValidationError for anything else."""
    try:
        depth = default if text in (None, "") else int(text)
    except ValueError:
        raise ValidationError(f"depth {text!r} is not a number") from None
    if not 1 <= depth <= MAX_DEPTH:
        raise ValidationError(f"depth {depth} is out of range", hint=f"1 to {MAX_DEPTH}")
    return depth


def layers_of(names: Sequence[str]) -> list[str] | None:
    """Known layers among ``names`` (None: every layer); a ValidationError for an unknown one."""
    wanted = [n for n in names if n]
    unknown = [n for n in wanted if n not in LAYERS]
    if unknown:
        raise ValidationError(f"no layer {unknown[0]!r}", hint=f"layers: {', '.join(LAYERS)}")
    return wanted or None


class Explorer:
    """Answers the explorer's requests over one repository (not thread-safe: the app
    serialises the calls)."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self._reports: OrderedDict[tuple[str, Way, int], ImpactReport] = OrderedDict()

    def report(self, start: str, way: Way, depth: int) -> ImpactReport:
        """The ``way`` analysis from the element ``start`` to ``depth`` (kept for the next call)."""
        key = (start, way, depth)
        found = self._reports.get(key)
        if found is not None:
            self._reports.move_to_end(key)
            return found
        report: ImpactReport = self.repo.analyse(
            way.value, [ElementId(start)], max_depth=depth, paths=False
        )
        self._reports[key] = report
        while len(self._reports) > _KEPT:
            self._reports.popitem(last=False)
        return report

    def _row(self, report: ImpactReport, element_id: str, via: str | None = None) -> dict[str, Any]:
        reached = report.traversal.reached[ElementId(element_id)]
        element = report.elements[element_id]
        row: dict[str, Any] = {
            "id": element.id,
            "name": element.name,
            "type": element.type,
            "layer": self._layer(element.type),
            "distance": reached.distance,
            "state": reached.state.value,
            "missing": list(reached.missing),
        }
        if via is not None:
            hop = next(h for h in reached.via if h.origin == via)
            row["relation"] = hop_label(self.repo.metamodel, hop)
        return row

    def children(
        self,
        start: str,
        way: Way,
        node: str,
        level: int,
        *,
        offset: int = 0,
        limit: int = PAGE,
        include: str | None = None,
    ) -> Page:
        """The elements one step beyond ``node`` (at ``level`` from ``start``) on a shortest
        path, what goes down first; ``include`` is put on the page whatever its place."""
        report = self.report(start, way, depth_of(level + 1))
        reached = report.traversal.reached
        here = reached.get(ElementId(node))
        if here is None or here.distance != level:
            return Page([], 0, 0)
        ids = [
            r.id
            for r in reached.values()
            if r.distance == level + 1
            and r.id in report.elements
            and any(h.origin == node for h in r.via)
        ]
        ids.sort(key=lambda i: self._order(report, i))
        shown = ids[offset : offset + limit]
        if include is not None and include in ids and include not in shown:
            shown.append(ElementId(include))
        rows = [self._row(report, i, via=node) for i in shown]
        return Page(rows, len(ids), offset)

    def _order(self, report: ImpactReport, element_id: str) -> tuple[int, int, str, str]:
        """Where an element stands among its siblings: what goes down first, then by layer
        (strategy first) and name."""
        element = report.elements[element_id]
        state = report.traversal.reached[ElementId(element_id)].state
        return (
            _STATE_ORDER.get(state, 3),
            _layer_rank(self._layer(element.type)),
            element.name.lower(),
            element.id,
        )

    def reached(
        self,
        start: str,
        way: Way,
        depth: int,
        layers: Sequence[str] | None,
        *,
        offset: int = 0,
        limit: int = PAGE,
    ) -> Page:
        """The elements reached within ``depth`` in ``layers`` (all: None), nearest first,
        each with its shortest path from ``start`` (the steps' ids)."""
        report = self.report(start, way, depth)
        wanted = set(layers) if layers else None
        ids = [
            r.id
            for r in report.traversal.affected()
            if r.id in report.elements
            and (wanted is None or self._layer(report.elements[r.id].type) in wanted)
        ]
        rows = [self._row(report, i) for i in ids[offset : offset + limit]]
        for row in rows:
            row["path"] = [s.to_data(label=True) for s in report.path_to(row["id"])]
        return Page(rows, len(ids), offset)

    def _layer(self, type_name: str) -> str:
        et = self.repo.metamodel.element_types.get(type_name)
        return et.layer if et else "unknown"

    def start(self, text: str) -> str:
        """The id of the element ``text`` names (an id or a unique name), as analyses see it."""
        return self.repo.element(text, CURRENT).id


def _layer_rank(layer: str) -> int:
    return LAYERS.index(layer) if layer in LAYERS else len(LAYERS)
