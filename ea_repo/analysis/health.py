"""Health at an instant: open incidents rolled up through the dependencies, with the
support status of the technology beneath and the staleness of the facts.

Each application, process and capability (:data:`HEALTH_TYPES`; or every element of
the layers asked for) gets a state at the instant ``at``:

* **red**: an open critical or high incident on it, or on something it depends on whose
  loss takes it *down* (the impact traversal's ``down``);
* **amber**: an open moderate or low incident on it or on something whose loss takes it
  down; an open critical or high incident on something whose loss only *degrades* it (a
  cluster peer still up, a data feed); or technology beneath it past its end of life
  (obsolescence's ``obsolete``), or, given a state itself, such technology;
* **green**: none of these.

An incident is open at ``at`` when it was opened at or before ``at`` (or carries no
opening time) and was neither resolved nor closed at or before it; a canceled ticket
reported no failure and never counts, nor do changes (``kind: change``) or tickets of
``planning`` priority, which are listed but colour nothing. A technology whose support
ends within the horizon is reported (``warning``) without changing the colour, and so are
stale facts (no source has confirmed the element for ``stale_after_days``): they say how
far to trust the picture, not how the system runs.

The roll-up starts from the few elements with open incidents: one impact traversal per
severity (and obsolescence's own, from the technology at risk), never one dependency
traversal per application.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import ValidationError
from ..metamodel import LAYERS, Metamodel
from ..model import CURRENT, Direction, Element, ElementId, Lens, Step
from ..results import Table
from ..store import GraphStore
from .impact import PathStep, path_text, shortest_steps
from .incidents import iso, parse_moment, status_at
from .obsolescence import Risk, obsolescence, on_paths
from .traversal import State, traverse

HEALTH_LAYERS = ("application", "business", "strategy")
"""The layers given a health state by default, of which only :data:`HEALTH_TYPES`."""
HEALTH_TYPES = ("Application", "ApplicationComponent", "BusinessProcess", "Capability")
"""The types given a health state by default (those the metamodel has): applications,
processes and capabilities; ``layers`` given, every type of those layers."""

INCIDENT_TYPE = "Incident"
AFFECTS = "affects"
SEVERE = ("critical", "high")
MINOR = ("moderate", "low")
ENDED_STATES = ("resolved", "closed")


class Health(StrEnum):
    """The health of an element at an instant."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"


HEALTH_RANK = {Health.RED: 2, Health.AMBER: 1, Health.GREEN: 0}


def _time(value: object) -> dt.datetime | None:
    """An incident's time attribute, or None when empty or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parse_moment(value.strip())
    except ValidationError:
        return None


@dataclass(frozen=True)
class Incident:
    """An incident or alert, with the elements it affects."""

    element: Element
    affects: tuple[ElementId, ...]
    opened: dt.datetime | None
    ended: dt.datetime | None  # resolved or closed, whichever came first

    @property
    def priority(self) -> str:
        """Its priority (critical, high, moderate, low, planning; empty if none)."""
        return str(self.element.attrs.get("priority") or "")

    @property
    def label(self) -> str:
        """How it reads: its number (or id), priority and description."""
        number = self.element.attrs.get("number") or self.element.id
        text = self.element.attrs.get("short_description") or self.element.name
        return f"{number} ({self.priority or 'no priority'}): {text}"

    def open_at(self, at: dt.datetime) -> bool:
        """Whether it is open at ``at``: the one rule, :func:`~ea_repo.analysis.incidents.status_at`."""
        return status_at(self.element.attrs, iso(at)) == "open"

    @property
    def colours(self) -> bool:
        """Whether it can colour anything: not a change, not of planning priority."""
        return self.element.attrs.get("kind") != "change" and self.priority in SEVERE + MINOR

    def to_data(self) -> dict[str, Any]:
        """The incident as JSON-ready data."""
        a = self.element.attrs
        return {
            "id": self.element.id,
            "number": a.get("number"),
            "priority": a.get("priority"),
            "state": a.get("state"),
            "kind": a.get("kind"),
            "opened_at": a.get("opened_at"),
            "resolved_at": a.get("resolved_at"),
            "closed_at": a.get("closed_at"),
            "affects": list(self.affects),
        }


@dataclass(frozen=True)
class Finding:
    """One reason for an element's state: what it is, and the path from its cause."""

    health: Health
    why: str
    path: tuple[PathStep, ...] = ()


@dataclass
class ElementHealth:
    """The health of one application, process or capability."""

    element: Element
    layer: str
    health: Health = Health.GREEN
    findings: list[Finding] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)  # open on it, at the instant
    support: str | None = None  # obsolescence's status of the technology beneath, if at risk
    stale: bool = False

    def add(self, finding: Finding) -> None:
        """Add a reason; the worst one sets the state."""
        self.findings.append(finding)
        if HEALTH_RANK[finding.health] > HEALTH_RANK[self.health]:
            self.health = finding.health

    def reason(self) -> Finding | None:
        """The finding that explains its state (the first of the worst)."""
        worst = [f for f in self.findings if f.health is self.health]
        return worst[0] if worst else None

    def row(self) -> list[Any]:
        """The element as a table row: health, id, name, layer, open incidents, support,
        stale, why, via."""
        reason = self.reason()
        return [
            self.health.value,
            self.element.id,
            self.element.name,
            self.layer,
            len(self.incidents),
            self.support or "",
            "yes" if self.stale else "",
            reason.why if reason else "",
            path_text(reason.path) if reason else "",
        ]

    def to_data(self) -> dict[str, Any]:
        """The element's health as JSON-ready data."""
        return {
            "id": self.element.id,
            "name": self.element.name,
            "type": self.element.type,
            "layer": self.layer,
            "health": self.health.value,
            "open_incidents": [i.element.id for i in self.incidents],
            "support": self.support,
            "stale": self.stale,
            "findings": [
                {
                    "health": f.health.value,
                    "why": f.why,
                    "path": [s.to_data(label=True) for s in f.path],
                }
                for f in self.findings
            ],
        }


@dataclass
class HealthReport:
    """The answer to ``ea health``."""

    at: dt.datetime
    layers: tuple[str, ...]
    elements: list[ElementHealth]  # reds first, then ambers, then greens
    incidents: list[Incident]  # every incident read, open or not (the trend reads them)
    open: list[Incident]
    stale_after_days: int
    unreadable: int = 0  # incidents whose opening time could not be read
    # The elements incidents affect outside those reported (a server), for the trend.
    affected: dict[str, Element] = field(default_factory=dict, repr=False)

    def counts(self) -> dict[str, int]:
        """How many elements are in each state."""
        found = Counter(e.health.value for e in self.elements)
        return {h.value: found.get(h.value, 0) for h in Health}

    def of(self, health: Health) -> list[ElementHealth]:
        """The elements in ``health``."""
        return [e for e in self.elements if e.health is health]

    def monthly(self, months: int = 12) -> list[tuple[str, int, int]]:
        """The last ``months`` months up to the instant, each as (YYYY-MM, incidents opened
        that month, distinct elements they affected)."""
        keys = _months(self.at, months)
        opened: Counter[str] = Counter()
        touched: dict[str, set[str]] = defaultdict(set)
        for incident in self.incidents:
            if incident.opened is None:
                continue
            key = incident.opened.strftime("%Y-%m")
            if key in keys:
                opened[key] += 1
                touched[key].update(incident.affects)
        return [(k, opened[k], len(touched[k])) for k in keys]

    def per_element(self, months: int = 12, limit: int = 10) -> list[tuple[Element, list[int]]]:
        """The elements with the most incidents opened over the last ``months`` months, each
        with its count per month (oldest first)."""
        keys = _months(self.at, months)
        index = {k: i for i, k in enumerate(keys)}
        counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(keys))
        for incident in self.incidents:
            if incident.opened is None:
                continue
            i = index.get(incident.opened.strftime("%Y-%m"))
            if i is not None:
                for target in incident.affects:
                    counts[target][i] += 1
        known: dict[str, Element] = {e.element.id: e.element for e in self.elements}
        known.update(self.affected)
        ranked = sorted(counts.items(), key=lambda kv: (-sum(kv[1]), kv[0]))[:limit]
        return [(known[k], v) for k, v in ranked if k in known]

    # -- presentation -------------------------------------------------------------------

    def to_tables(self) -> list[Table]:
        """The elements not green, worst first, with their reason and path; and the open
        incidents."""
        counts = self.counts()
        shown = [e for e in self.elements if e.health is not Health.GREEN]
        health = Table(
            f"health at {self.instant} ({', '.join(self.layers)}): {counts['red']} red, "
            f"{counts['amber']} amber, {counts['green']} green",
            ["health", "element", "name", "layer", "open", "support", "stale", "why", "via"],
            [e.row() for e in shown],
        )
        incidents = Table(
            f"open incidents: {len(self.open)}",
            ["incident", "priority", "state", "opened", "affects"],
            self.open_rows(),
        )
        return [health, incidents]

    def open_rows(self) -> list[list[str]]:
        """The open incidents as rows: number, priority, state, opened, the ids it affects."""
        return [
            [
                i.element.attrs.get("number") or i.element.id,
                i.priority,
                i.element.attrs.get("state") or "",
                i.element.attrs.get("opened_at") or "",
                ", ".join(i.affects),
            ]
            for i in self.open
        ]

    @property
    def instant(self) -> str:
        """The instant assessed, as ISO 8601 UTC text."""
        return iso(self.at)

    def to_data(self) -> dict[str, Any]:
        """The health as a JSON document: every element reported, every open incident."""
        return {
            "at": self.instant,
            "layers": list(self.layers),
            "counts": self.counts(),
            "stale_after_days": self.stale_after_days,
            "elements": [e.to_data() for e in self.elements],
            "open_incidents": [i.to_data() for i in self.open],
        }

    def notes(self) -> list[str]:
        """What to read beside the tables."""
        notes = []
        if not self.incidents:
            notes.append("no incident in the repository: import them, or add Incident elements")
        if self.unreadable:
            notes.append(
                f"{self.unreadable} incident(s) with an unreadable opened_at: counted as open "
                "since always"
            )
        return notes


def _months(at: dt.datetime, months: int) -> list[str]:
    """The ``months`` months up to ``at``'s, as YYYY-MM, oldest first."""
    index = at.year * 12 + at.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def read_incidents(store: GraphStore, lens: Lens = CURRENT) -> tuple[list[Incident], int]:
    """Every incident the lens shows with the elements it affects, and how many carry an
    opening time that cannot be read."""
    found = store.find_elements(types=[INCIDENT_TYPE], lens=lens)
    affects: dict[str, list[ElementId]] = defaultdict(list)
    if found:
        hops = store.neighbors([e.id for e in found], [Step(AFFECTS, Direction.OUT)], lens)
        for hop in sorted(hops, key=lambda h: (h.origin, h.target)):
            affects[hop.origin].append(hop.target)
    incidents, unreadable = [], 0
    for e in found:
        opened = _time(e.attrs.get("opened_at"))
        if opened is None and e.attrs.get("opened_at"):
            unreadable += 1
        ends = [t for t in (_time(e.attrs.get(k)) for k in ("resolved_at", "closed_at")) if t]
        incidents.append(Incident(e, tuple(affects[e.id]), opened, min(ends) if ends else None))
    return incidents, unreadable


def health(
    store: GraphStore,
    metamodel: Metamodel,
    *,
    at: dt.datetime | dt.date | None = None,
    layers: Sequence[str] | None = None,
    horizon_days: int = 365,
    stale_after_days: int = 180,
    scope: set[str] | None = None,
    now: dt.datetime | None = None,
    lens: Lens = CURRENT,
) -> HealthReport:
    """The health of every application, process and capability (or element of ``layers``)
    at the instant ``at`` (a date: the end of that day; default now).

    ``scope``: element ids to report on. ``now`` is when the staleness of the facts is
    judged (default: the present; a repository keeps each fact's latest confirmation
    only). Returns a :class:`HealthReport`, reds first.

    >>> # health(store, mm, at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC)).counts()
    """
    now = now or dt.datetime.now(dt.UTC)
    if at is None:
        instant = now
    elif isinstance(at, dt.datetime):
        instant = at.astimezone(dt.UTC) if at.tzinfo else at.replace(tzinfo=dt.UTC)
    else:
        instant = dt.datetime.combine(at, dt.time.max, tzinfo=dt.UTC)
    wanted = tuple(layers or HEALTH_LAYERS)
    types = [t.name for t in metamodel.element_types.values() if t.layer in wanted]
    if not layers and set(HEALTH_TYPES) & set(types):
        types = [t for t in types if t in HEALTH_TYPES]
    reported: dict[str, ElementHealth] = {
        e.id: ElementHealth(e, metamodel.element_types[e.type].layer)
        for e in store.find_elements(types=types, lens=lens)
        if scope is None or e.id in scope
    }

    incidents, unreadable = read_incidents(store, lens)
    open_now = [i for i in incidents if i.open_at(instant)]
    on: dict[str, list[Incident]] = defaultdict(list)
    for incident in open_now:
        for target in incident.affects:
            on[target].append(incident)
    for eid, found in on.items():
        if eid in reported:
            reported[eid].incidents = found

    # One traversal per severity, from the elements their open incidents are on.
    for priorities, down, degraded in (
        (SEVERE, Health.RED, Health.AMBER),
        (MINOR, Health.AMBER, None),
    ):
        starts = sorted(
            eid
            for eid, found in on.items()
            if any(i.colours and i.priority in priorities for i in found)
        )
        if starts:
            _roll_up(store, metamodel, lens, starts, on, priorities, down, degraded, reported)

    day = instant.date()
    support = obsolescence(
        store, metamodel, at=day, horizon_days=horizon_days, scope=set(reported), lens=lens
    )
    for tech in support.technologies:  # reported itself (--layer technology)
        if tech.risk is not Risk.OK and tech.element.id in reported:
            entry = reported[tech.element.id]
            entry.support = tech.risk.value
            if tech.risk is Risk.OBSOLETE:
                entry.add(Finding(Health.AMBER, f"obsolete: {tech.reason}"))
    for exposure in support.exposed:
        if exposure.element.id not in reported:
            continue
        entry = reported[exposure.element.id]
        entry.support = exposure.risk.value
        if exposure.risk is Risk.OBSOLETE:
            entry.add(
                Finding(
                    Health.AMBER,
                    f"on obsolete technology: {exposure.cause.name}",
                    tuple(exposure.path),
                )
            )

    cutoff = iso(now - dt.timedelta(days=stale_after_days))
    for element, _seen in store.stale_elements(cutoff, lens):
        if element.id in reported:
            reported[element.id].stale = True

    order = {layer: i for i, layer in enumerate(LAYERS)}
    ranked = sorted(
        reported.values(),
        key=lambda e: (
            -HEALTH_RANK[e.health],
            order.get(e.layer, 99),
            e.element.name.lower(),
            e.element.id,
        ),
    )
    affected_ids = {t for i in incidents for t in i.affects} - set(reported)
    report = HealthReport(
        instant,
        wanted,
        ranked,
        incidents,
        sorted(open_now, key=_incident_order),
        stale_after_days,
        unreadable,
        store.get_elements(affected_ids, lens) if affected_ids else {},
    )
    return report


def _incident_order(incident: Incident) -> tuple[int, str, str]:
    ranks = {p: i for i, p in enumerate((*SEVERE, *MINOR, "planning"))}
    return (
        ranks.get(incident.priority, 9),
        incident.element.attrs.get("opened_at") or "",
        incident.element.id,
    )


def _roll_up(
    store: GraphStore,
    metamodel: Metamodel,
    lens: Lens,
    starts: list[str],
    on: dict[str, list[Incident]],
    priorities: Iterable[str],
    down: Health,
    degraded: Health | None,
    reported: dict[str, ElementHealth],
) -> None:
    """Mark what the incidents of ``priorities`` on ``starts`` reach: ``down`` where it goes
    down (and on the starts themselves), ``degraded`` where it is only degraded."""
    result = traverse(store, metamodel, starts, lens=lens)
    targets = [
        r
        for r in result.reached.values()
        if r.id in reported and (r.state is not State.DEGRADED or degraded is not None)
    ]
    if not targets:
        return
    elements = result.elements(store, on_paths(result, [r.id for r in targets]), lens)
    known: dict[ElementId, list[PathStep]] = {}
    wanted = tuple(priorities)
    for r in sorted(targets, key=lambda r: (r.distance, r.id)):
        path = shortest_steps(result, elements, metamodel, r.id, known)
        origin = path[0].origin.id if path else r.id
        cause = next(i for i in on[origin] if i.colours and i.priority in wanted)
        state = degraded if r.state is State.DEGRADED else down
        assert state is not None
        where = "on it" if not path else f"on {path[0].origin.name}"
        how = ", which degrades it" if r.state is State.DEGRADED else ""
        reported[r.id].add(Finding(state, f"{cause.label} — {where}{how}", tuple(path)))
