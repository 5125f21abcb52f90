"""Obsolescence: technology past or near its end of support, and what depends on it.

Which attributes carry the end of support and end of life is the
metamodel's ``lifecycle`` section; any element with such a date is a
technology here (software products, installed software, hardware). A
technology is

* **obsolete** once its end of life has passed (no more fixes, not even
  security ones) — or its end of support, when no end of life is known;
* **warning** once its standard support has ended, or when its end of support
  or end of life falls within the horizon;
* **ok** otherwise.

Impact then travels from obsolete and warning technologies to everything that
depends on them; each dependent gets the worst status that reaches it, with
the technology that causes it and the path. Only what would go *down* is
exposed: an application that merely receives data from one running on obsolete
technology (a data flow degrades, see the metamodel's ``impact: degraded``) is
exposed by its own stack, not by its senders'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..metamodel import LAYERS, Metamodel
from ..model import CURRENT, Element, ElementId, Lens
from ..results import Table
from ..store import GraphStore
from .impact import PathStep, path_text, shortest_steps
from .traversal import Traversal, traverse


class Risk(StrEnum):
    """How far a technology, or something depending on it, is from support."""

    OBSOLETE = "obsolete"
    WARNING = "warning"
    OK = "ok"


RANK = {Risk.OBSOLETE: 2, Risk.WARNING: 1, Risk.OK: 0}
DEPENDENT_LAYERS = ("application", "business", "strategy")
"""The layers of dependents listed by default: where an obsolete technology is felt."""


@dataclass(frozen=True)
class Technology:
    """An element carrying lifecycle dates, with its status at the analysis date."""

    element: Element
    end_of_support: str | None
    end_of_life: str | None
    risk: Risk
    reason: str

    def row(self, *fields: str) -> list[Any]:
        """The technology as a table row of ``fields``: status, id, name, type,
        end of support, end of life, why."""
        e = self.element
        values = {
            "status": self.risk.value,
            "id": e.id,
            "name": e.name,
            "type": e.type,
            "end of support": self.end_of_support,
            "end of life": self.end_of_life,
            "why": self.reason,
        }
        return [values[f] for f in fields]


@dataclass(frozen=True)
class Exposure:
    """Something that depends on an obsolete or at-risk technology."""

    element: Element
    layer: str
    risk: Risk
    cause: Element  # the technology whose risk reaches it first
    distance: int
    path: list[PathStep]

    def row(self, *fields: str) -> list[Any]:
        """The dependent as a table row of ``fields``: status, id, name, layer, because of,
        via."""
        e = self.element
        values = {
            "status": self.risk.value,
            "id": e.id,
            "name": e.name,
            "layer": self.layer,
            "because of": self.cause.name,
            "via": path_text(self.path),
        }
        return [values[f] for f in fields]


@dataclass
class ObsolescenceReport:
    """The answer to ``ea obsolescence``."""

    at: dt.date
    horizon_days: int
    technologies: list[Technology]
    exposed: list[Exposure]

    def worst(self) -> Risk:
        """The worst risk in the report."""
        risks = [t.risk for t in self.technologies] + [e.risk for e in self.exposed]
        return max(risks, key=RANK.__getitem__, default=Risk.OK)

    def at_risk(self) -> list[Technology]:
        """The technologies obsolete or within the horizon, worst first."""
        return [t for t in self.technologies if t.risk is not Risk.OK]

    def exposed_in(self, layers: Sequence[str]) -> list[Exposure]:
        """The dependents in ``layers``."""
        return [e for e in self.exposed if e.layer in layers]

    # -- presentation: the same for the command line, the studies and an API ------------

    def to_tables(self, layers: Sequence[str] = DEPENDENT_LAYERS) -> list[Table]:
        """The technology at risk, and what depends on it in ``layers``."""
        at_risk = self.at_risk()
        techs = Table(
            f"technology at risk on {self.at.isoformat()} (horizon {self.horizon_days} days): "
            f"{len(at_risk)} of {len(self.technologies)} dated",
            ["status", "element", "name", "type", "end of support", "end of life", "why"],
            [
                t.row("status", "id", "name", "type", "end of support", "end of life", "why")
                for t in at_risk
            ],
        )
        shown = self.exposed_in(layers)
        exposed = Table(
            f"depending on it ({', '.join(layers)}): {len(shown)}",
            ["status", "element", "name", "layer", "because of", "via"],
            [e.row("status", "id", "name", "layer", "because of", "via") for e in shown],
        )
        return [techs, exposed]

    def to_data(self) -> dict[str, Any]:
        """The assessment as a JSON document: every dated technology and every dependent."""
        return {
            "at": self.at.isoformat(),
            "horizon_days": self.horizon_days,
            "worst": self.worst().value,
            "technologies": [
                {
                    "id": t.element.id,
                    "name": t.element.name,
                    "type": t.element.type,
                    "status": t.risk.value,
                    "end_of_support": t.end_of_support,
                    "end_of_life": t.end_of_life,
                    "reason": t.reason,
                }
                for t in self.technologies
            ],
            "exposed": [
                {
                    "id": e.element.id,
                    "name": e.element.name,
                    "type": e.element.type,
                    "layer": e.layer,
                    "status": e.risk.value,
                    "cause": e.cause.id,
                    "distance": e.distance,
                    "path": [s.to_data() for s in e.path],
                }
                for e in self.exposed
            ],
        }

    def notes(self) -> list[str]:
        """What to read beside the tables: that nothing is dated yet, if so."""
        if self.technologies:
            return []
        return [
            "no element carries lifecycle dates yet: import lifecycle data (ea import eol) or set end_of_support"
        ]


def _date(value: object) -> dt.date | None:
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _first_date(element: Element, names: Iterable[str]) -> dt.date | None:
    dates = [d for d in (_date(element.attrs.get(n)) for n in names) if d is not None]
    return min(dates) if dates else None


def assess(
    element: Element, metamodel: Metamodel, at: dt.date, horizon_days: int
) -> Technology | None:
    """The lifecycle status of ``element`` at ``at``, or None if it carries no lifecycle date."""
    eos = _first_date(element, metamodel.lifecycle.end_of_support)
    # Of several end-of-life attributes (end of life, end of extended support), the first
    # is when the vendor stops fixing it; a later one is paid extended support, which is
    # mentioned but does not make the technology current.
    eol_dates = sorted(
        d for d in (_date(element.attrs.get(n)) for n in metamodel.lifecycle.end_of_life) if d
    )
    eol = eol_dates[0] if eol_dates else None
    extended = eol_dates[-1] if len(eol_dates) > 1 and eol_dates[-1] > eol_dates[0] else None
    if eos is None and eol is None:
        return None
    # Near the end of the calendar (--at 9999-12-31) the horizon stops at its last day.
    horizon = at + dt.timedelta(days=min(horizon_days, (dt.date.max - at).days))

    def days(d: dt.date) -> str:
        delta = (d - at).days
        return (
            f"{-delta} days ago" if delta < 0 else ("today" if delta == 0 else f"in {delta} days")
        )

    if eol is not None and eol <= at:
        risk, reason = Risk.OBSOLETE, f"end of life {eol.isoformat()}, {days(eol)}"
    elif eol is None and eos is not None and eos <= at:
        risk, reason = (
            Risk.OBSOLETE,
            f"end of support {eos.isoformat()}, {days(eos)} (no end of life known)",
        )
    elif eos is not None and eos <= at:
        assert eol is not None
        risk = Risk.WARNING
        reason = f"support ended {eos.isoformat()}; end of life {eol.isoformat()}, {days(eol)}"
    elif eol is not None and eol <= horizon:
        risk, reason = Risk.WARNING, f"end of life {eol.isoformat()}, {days(eol)}"
    elif eos is not None and eos <= horizon:
        risk, reason = Risk.WARNING, f"end of support {eos.isoformat()}, {days(eos)}"
    else:
        nearest = min(d for d in (eos, eol) if d is not None)
        risk, reason = Risk.OK, f"supported until {nearest.isoformat()}"
    if extended is not None and risk is not Risk.OK:
        reason += f"; extended support until {extended.isoformat()}"
    return Technology(
        element,
        eos.isoformat() if eos else None,
        eol.isoformat() if eol else None,
        risk,
        reason,
    )


def obsolescence(
    store: GraphStore,
    metamodel: Metamodel,
    *,
    at: dt.date | None = None,
    horizon_days: int = 365,
    scope: set[str] | None = None,
    lens: Lens = CURRENT,
) -> ObsolescenceReport:
    """Technologies at risk at ``at`` (default today) within ``horizon_days``, and their dependents.

    ``scope``: element ids to report on (technologies and dependents alike);
    the traversal itself is not limited by it.
    """
    at = at or dt.date.today()
    names = set(metamodel.lifecycle.end_of_support) | set(metamodel.lifecycle.end_of_life)
    types = [t.name for t in metamodel.element_types.values() if names & set(t.attributes)]
    technologies = []
    for element in store.find_elements(types=types, lens=lens):
        if names.isdisjoint(element.attrs):
            continue  # no lifecycle date: most servers, VMs and instances of a large landscape
        tech = assess(element, metamodel, at, horizon_days)
        if tech is not None:
            technologies.append(tech)
    technologies.sort(
        key=lambda t: (-RANK[t.risk], t.end_of_life or t.end_of_support or "", t.element.id)
    )

    exposed: dict[ElementId, Exposure] = {}
    risky = {t.element.id: t for t in technologies if t.risk is not Risk.OK}
    for risk in (Risk.OBSOLETE, Risk.WARNING):  # worst first: a later pass never downgrades
        starts = [i for i, t in risky.items() if t.risk is risk]
        if not starts:
            continue
        result = traverse(store, metamodel, starts, lens=lens)
        reached = result.affected(include_degraded=False)
        wanted = [r.id for r in reached]
        if scope is not None:
            # Only what is reported is needed: the elements in scope and those on their paths.
            reached = [r for r in reached if r.id in scope]
            wanted = on_paths(result, [r.id for r in reached])
        elements = result.elements(store, wanted + starts, lens)
        known: dict[ElementId, list[PathStep]] = {}
        for r in reached:
            if r.id in exposed or r.id in risky or r.id not in elements:
                continue
            path = shortest_steps(result, elements, metamodel, r.id, known)
            et = metamodel.element_types.get(elements[r.id].type)
            exposed[r.id] = Exposure(
                element=elements[r.id],
                layer=et.layer if et else "unknown",
                risk=risk,
                cause=path[0].origin,
                distance=r.distance,
                path=path,
            )
    order = {layer: i for i, layer in enumerate(LAYERS)}
    exposures = sorted(
        exposed.values(),
        key=lambda e: (order.get(e.layer, 99), -RANK[e.risk], e.element.name.lower(), e.element.id),
    )
    if scope is not None:
        technologies = [t for t in technologies if t.element.id in scope]
        exposures = [e for e in exposures if e.element.id in scope]
    return ObsolescenceReport(at, horizon_days, technologies, exposures)


def on_paths(result: Traversal, targets: list[ElementId]) -> list[ElementId]:
    """``targets`` and every element on their shortest paths (:meth:`Traversal.path`)."""
    seen: dict[ElementId, None] = {}
    for target in targets:
        current = target
        while current not in seen:
            seen[current] = None
            via = result.reached[current].via
            if not via:
                break
            current = via[0].origin
    return list(seen)
