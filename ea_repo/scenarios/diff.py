"""The gap between two states of the landscape: ``ea scenario diff`` and its report.

The two states are the repository seen the same day: the facts (or another
scenario, ``--against``) and the scenario. Seeing both the same day keeps apart
what the scenario changes from what the calendar does (an item whose lifecycle
ends meanwhile leaves both states alike); the day is the one asked (``--at``),
else the day the scenarios are complete.

Only what a scenario touches can differ, so the comparison reads the elements
its edits name and the relations around them, not the whole repository; a
scenario of a thousand edits over 300 000 relations compares in seconds. Then
the consequences, each with the elements that explain it:

* capabilities and processes that gain or lose support: an application that
  reached them (they depend on it) in one state and not in the other; one left
  with no application within three steps is *unsupported*;
* flows cut, new, or re-routed (the same interface, or a flow of a replaced
  application taken over by its replacement);
* technology entering or leaving obsolescence (at risk in one state only, as
  ``ea obsolescence`` judges it that day), with the dependents it gains or loses;
* data objects whose system of record (a ``stores`` relation marked ``master``)
  changes or is lost;
* the scenario's steps: its edits by the day they take effect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import WorkspaceError
from ..model import CURRENT, Element, Relation, Step
from ..results import Table
from .file import Edit
from .overlay import Drift

if TYPE_CHECKING:
    from ..repository import Repository

SUPPORT_LAYERS = ("business", "strategy")
SUPPORT_DEPTH = 3
UNSUPPORTED_LIMIT = 500  # capabilities and processes checked for any remaining support
FLOW = "flow"
STORES = "stores"


@dataclass(frozen=True)
class ItemChange:
    """An element or a relation added, removed or changed between the two states."""

    kind: str  # added | removed | changed
    id: str
    type: str
    name: str  # an element's name; a relation's "src —type→ dst"
    fields: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)  # changed: (before, after)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "change": self.kind,
            "id": self.id,
            "type": self.type,
            "name": self.name,
        }
        if self.fields:
            data["fields"] = {k: {"before": b, "after": a} for k, (b, a) in self.fields.items()}
        return data

    def what(self) -> str:
        return ", ".join(f"{k}: {_v(b)} → {_v(a)}" for k, (b, a) in self.fields.items())


def _v(value: Any) -> str:
    return "—" if value is None else str(value)


@dataclass(frozen=True)
class SupportChange:
    """A capability or process whose supporting applications change."""

    element: Element
    layer: str
    gains: tuple[str, ...]
    loses: tuple[str, ...]
    unsupported: bool  # nothing left within SUPPORT_DEPTH steps after

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.element.id,
            "name": self.element.name,
            "type": self.element.type,
            "layer": self.layer,
            "gains": list(self.gains),
            "loses": list(self.loses),
            "unsupported": self.unsupported,
        }


@dataclass(frozen=True)
class FlowChange:
    kind: str  # cut | new | re-routed
    id: str
    before: str | None  # "sender → receiver"
    after: str | None

    def to_data(self) -> dict[str, Any]:
        return {"change": self.kind, "id": self.id, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class RiskChange:
    """A technology entering or leaving obsolescence, or an element newly (or no longer)
    depending on technology at risk."""

    kind: str  # entering | leaving | worse | better | exposed | no longer exposed
    id: str
    name: str
    risk_before: str | None
    risk_after: str | None
    cause: str | None = None  # for a dependent: the technology at risk it reaches

    def to_data(self) -> dict[str, Any]:
        return {
            "change": self.kind,
            "id": self.id,
            "name": self.name,
            "before": self.risk_before,
            "after": self.risk_after,
            "because_of": self.cause,
        }


@dataclass(frozen=True)
class RecordChange:
    """A data object whose system of record changes."""

    id: str
    name: str
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def lost(self) -> bool:
        return bool(self.before) and not self.after

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "before": list(self.before),
            "after": list(self.after),
            "lost": self.lost,
        }


@dataclass
class ScenarioDiff:
    """What separates two states of the landscape, and its consequences."""

    before: str  # e.g. "the facts", "scenario harmonise-o2c"
    after: str
    day: str
    elements: list[ItemChange]
    relations: list[ItemChange]
    support: list[SupportChange]
    flows: list[FlowChange]
    risks: list[RiskChange]
    records: list[RecordChange]
    steps: list[tuple[str, list[str]]]  # (day or "at once", edit texts)
    drift: list[Drift]
    names: dict[str, str] = field(default_factory=dict)  # id -> name, both states

    def name(self, element_id: str) -> str:
        return self.names.get(element_id, element_id)

    # -- presentation --------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        return {
            "before": self.before,
            "after": self.after,
            "day": self.day,
            "elements": [c.to_data() for c in self.elements],
            "relations": [c.to_data() for c in self.relations],
            "consequences": {
                "support": [s.to_data() for s in self.support],
                "flows": [f.to_data() for f in self.flows],
                "obsolescence": [r.to_data() for r in self.risks],
                "systems_of_record": [r.to_data() for r in self.records],
            },
            "steps": [{"day": d, "edits": e} for d, e in self.steps],
            "drift": [d.to_data() for d in self.drift],
        }

    def to_tables(self) -> list[Table]:
        names = self.name
        tables = [
            Table(
                f"elements: {self.summary(self.elements)}",
                ["change", "element", "name", "type", "what"],
                [[c.kind, c.id, c.name, c.type, c.what()] for c in self.elements],
            ),
            Table(
                f"relations: {self.summary(self.relations)}",
                ["change", "relation", "type", "what"],
                [[c.kind, c.name, c.type, c.what()] for c in self.relations],
            ),
        ]
        if self.support:
            tables.append(
                Table(
                    f"capabilities and processes whose support changes: {len(self.support)}",
                    ["element", "name", "layer", "gains", "loses", "left"],
                    [
                        [
                            s.element.id,
                            s.element.name,
                            s.layer,
                            ", ".join(names(i) for i in s.gains),
                            ", ".join(names(i) for i in s.loses),
                            "UNSUPPORTED" if s.unsupported else "supported",
                        ]
                        for s in self.support
                    ],
                )
            )
        if self.flows:
            tables.append(
                Table(
                    f"flows: {self.summary(self.flows)}",
                    ["change", "flow", "before", "after"],
                    [[f.kind, f.id, f.before or "", f.after or ""] for f in self.flows],
                )
            )
        if self.risks:
            tables.append(
                Table(
                    f"obsolescence on {self.day}: {self.summary(self.risks)}",
                    ["change", "element", "name", "before", "after", "because of"],
                    [
                        [
                            r.kind,
                            r.id,
                            r.name,
                            r.risk_before or "",
                            r.risk_after or "",
                            names(r.cause) if r.cause else "",
                        ]
                        for r in self.risks
                    ],
                )
            )
        if self.records:
            tables.append(
                Table(
                    f"systems of record: {len(self.records)} data object(s)",
                    ["data object", "name", "before", "after"],
                    [
                        [
                            r.id,
                            r.name,
                            ", ".join(names(i) for i in r.before),
                            ", ".join(names(i) for i in r.after) or "NONE: lost",
                        ]
                        for r in self.records
                    ],
                )
            )
        if self.steps:
            tables.append(
                Table(
                    "steps: the scenario's edits by the day they take effect",
                    ["day", "edits", "what"],
                    [[d, len(e), "; ".join(e)] for d, e in self.steps],
                )
            )
        return tables

    @staticmethod
    def summary(items: Iterable[Any]) -> str:
        counts: dict[str, int] = {}
        for item in items:
            counts[item.kind] = counts.get(item.kind, 0) + 1
        return ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none"

    def notes(self) -> list[str]:
        lost = [s for s in self.support if s.unsupported]
        notes = [f"{self.after} against {self.before}, both as on {self.day}"]
        if lost:
            notes.append(
                f"{len(lost)} capability/process(es) left with no application within "
                f"{SUPPORT_DEPTH} steps: " + ", ".join(s.element.name for s in lost[:10])
            )
        notes.extend(f"warning: {d.text()}" for d in self.drift)
        return notes


# -- computing it ----------------------------------------------------------------------


def scenario_diff(
    repo: Repository,
    name: str,
    *,
    against: str | None = None,
    at: str | None = None,
    today: str | None = None,
) -> ScenarioDiff:
    """The gap between ``against`` (a scenario; None: the facts) and scenario ``name``,
    both seen on ``at`` (default: the day both are complete)."""
    import datetime as dt

    from .file import Book
    from .overlay import scenario_day

    today = today or dt.date.today().isoformat()
    if repo.workspace is None:
        raise WorkspaceError("scenarios live in a workspace; this repository has none")
    # Each scenario file is read once, for the day, both states and the steps.
    book = Book(repo.workspace.root)
    after_chain = book.chain(name)
    before_chain = book.chain(against) if against else None
    chains = [after_chain] + ([before_chain] if before_chain else [])
    if at is None:
        at = max(scenario_day(c, today) for c in chains)
    after = repo.seen(at, chain=after_chain)
    before = repo.seen(at, chain=before_chain) if before_chain else repo.seen(at)
    edits = [list(s.edits) for c in chains for s in c]
    return _Gap(repo, before, after, name, against, at, edits).diff()


class _Gap:
    def __init__(
        self,
        repo: Repository,
        before: Repository,
        after: Repository,
        name: str,
        against: str | None,
        day: str,
        edits: list[list[Edit]],
    ) -> None:
        self.repo = repo
        self.edits = edits  # of both scenarios and their bases, the first base first
        self.before, self.after = before, after
        self.name, self.against, self.day = name, against, day
        self.overlays = [o for o in (before.overlay, after.overlay) if o is not None]

    def diff(self) -> ScenarioDiff:
        touched: set[str] = set()
        rel_ids: set[str] = set()
        for overlay in self.overlays:
            touched.update(overlay.elements)
            rel_ids.update(overlay.relations)
            rel_ids.update(overlay.removed)
        b_el = self.before.store.get_elements(touched, CURRENT)
        a_el = self.after.store.get_elements(touched, CURRENT)
        for side in (self.before, self.after):
            rel_ids.update(r.id for r in side.store.relations_of(touched, CURRENT))
        b_rel = self.before.store.get_relations(rel_ids, CURRENT)
        a_rel = self.after.store.get_relations(rel_ids, CURRENT)
        ends = {e for r in (*b_rel.values(), *a_rel.values()) for e in (r.src, r.dst)}
        names = {i: e.name for i, e in {**b_el, **a_el}.items()}
        missing = ends - set(names)
        for side in (self.before, self.after):
            names.update((i, e.name) for i, e in side.store.get_elements(missing, CURRENT).items())
        elements = _changes(b_el, a_el, lambda e: e.name, _element_fields)
        relations = _changes(
            b_rel,
            a_rel,
            lambda r: f"{names.get(r.src, r.src)} —{r.type}→ {names.get(r.dst, r.dst)}",
            lambda b, a: _relation_fields(b, a, names),
        )
        moved = {c.id for c in elements} | {
            e
            for c in relations
            for r in (b_rel.get(c.id), a_rel.get(c.id))
            if r
            for e in (r.src, r.dst)
        }
        drift = [d for o in self.overlays for d in o.drift]
        return ScenarioDiff(
            before=f"scenario {self.against}" if self.against else "the facts",
            after=f"scenario {self.name}",
            day=self.day,
            elements=elements,
            relations=relations,
            support=self._support(moved, names),
            flows=self._flows(b_rel, a_rel, names),
            risks=self._risks(names, {c.id for c in elements if c.kind == "removed"}),
            records=self._records(moved, b_rel, a_rel, names),
            steps=self._steps(),
            drift=drift,
            names=names,
        )

    def _support(self, moved: set[str], names: dict[str, str]) -> list[SupportChange]:
        mm = self.repo.metamodel
        apps = {
            i
            for side in (self.before, self.after)
            for i, e in side.store.get_elements(moved, CURRENT).items()
            if (t := mm.element_types.get(e.type)) is not None and t.layer == "application"
        }
        if not apps:
            return []
        # Support travels up through what a dependent needs to run, not through data flows
        # (a process is not supported by the sender of a feed its application receives).
        steps = [s for s in mm.impact_steps() if not mm.relation_types[s.relation_type].degrades]
        down = [s for s in mm.dependency_steps() if not mm.relation_types[s.relation_type].degrades]
        supporters = [_propagate(side.store, apps, steps) for side in (self.before, self.after)]
        # Only what the two states reach differently can be reported: read just those.
        differ = {
            t
            for t in set(supporters[0]) | set(supporters[1])
            if supporters[0].get(t, set()) != supporters[1].get(t, set())
        }
        kinds = {
            **self.before.store.get_elements(differ, CURRENT),
            **self.after.store.get_elements(differ, CURRENT),
        }

        def layer(element_id: str) -> str:
            et = mm.element_types.get(kinds[element_id].type) if element_id in kinds else None
            return et.layer if et is not None else ""

        changed = sorted(t for t in differ if layer(t) in SUPPORT_LAYERS)
        losers = [t for t in changed if supporters[0].get(t, set()) - supporters[1].get(t, set())]
        # Whether a loser keeps an application within SUPPORT_DEPTH steps, after.
        below = _propagate(self.after.store, losers[:UNSUPPORTED_LIMIT], down, SUPPORT_DEPTH)
        after_apps = self.after.store.get_elements(below, CURRENT)
        kept = {
            loser
            for i, found in below.items()
            if i in after_apps
            and (t := mm.element_types.get(after_apps[i].type)) is not None
            and t.layer == "application"
            for loser in found
        }
        result = []
        for target in changed:
            element = kinds[target]
            names.setdefault(target, element.name)
            before, after = supporters[0].get(target, set()), supporters[1].get(target, set())
            result.append(
                SupportChange(
                    element,
                    layer(target),
                    tuple(sorted(after - before)),
                    tuple(sorted(before - after)),
                    unsupported=target in losers[:UNSUPPORTED_LIMIT] and target not in kept,
                )
            )
        return result

    def _flows(
        self, b_rel: Mapping[str, Relation], a_rel: Mapping[str, Relation], names: dict[str, str]
    ) -> list[FlowChange]:
        def text(r: Relation) -> str:
            return f"{names.get(r.src, r.src)} → {names.get(r.dst, r.dst)}"

        replaced = {
            e.id: e.by for edits in self.edits for e in edits if e.op == "replace" and e.id and e.by
        }
        before = {i: r for i, r in b_rel.items() if r.type == FLOW}
        after = {i: r for i, r in a_rel.items() if r.type == FLOW}
        changes = []
        new = {i: r for i, r in after.items() if i not in before}
        for rid, rel in sorted(before.items()):
            now = after.get(rid)
            if now is not None:
                if (now.src, now.dst) != (rel.src, rel.dst):
                    changes.append(FlowChange("re-routed", rid, text(rel), text(now)))
                continue
            src, dst = replaced.get(rel.src, rel.src), replaced.get(rel.dst, rel.dst)
            twin = next(
                (
                    i
                    for i, r in new.items()
                    if (r.src, r.dst) == (src, dst) and (src, dst) != (rel.src, rel.dst)
                ),
                None,
            )
            if twin is not None:
                changes.append(FlowChange("re-routed", rid, text(rel), text(new.pop(twin))))
            else:
                changes.append(FlowChange("cut", rid, text(rel), None))
        changes.extend(FlowChange("new", i, None, text(r)) for i, r in sorted(new.items()))
        return changes

    def _risks(self, names: dict[str, str], removed: set[str]) -> list[RiskChange]:
        import datetime as dt

        from ..analysis.obsolescence import RANK

        day = dt.date.fromisoformat(self.day)
        reports = [side.analyse("obsolescence", at=day) for side in (self.before, self.after)]
        techs = [{t.element.id: t for t in r.at_risk()} for r in reports]
        changes = []
        for tid in sorted(set(techs[0]) | set(techs[1])):
            b, a = techs[0].get(tid), techs[1].get(tid)
            if tid in removed or (a is not None and b is not None and a.risk == b.risk):
                continue
            if a is None or b is None:
                kind = "entering" if b is None else "leaving"
            else:
                kind = "worse" if RANK[a.risk] > RANK[b.risk] else "better"
            tech = (a or b).element  # type: ignore[union-attr]
            names.setdefault(tid, tech.name)
            changes.append(
                RiskChange(
                    kind, tid, tech.name, b.risk.value if b else None, a.risk.value if a else None
                )
            )
        exposed = [{e.element.id: e for e in r.exposed} for r in reports]
        for eid in sorted(set(exposed[0]) ^ set(exposed[1])):
            if eid in removed:
                continue  # listed with the elements removed
            b_exp, a_exp = exposed[0].get(eid), exposed[1].get(eid)
            either = a_exp or b_exp
            assert either is not None
            names.setdefault(either.cause.id, either.cause.name)
            changes.append(
                RiskChange(
                    "exposed" if a_exp else "no longer exposed",
                    eid,
                    either.element.name,
                    b_exp.risk.value if b_exp else None,
                    a_exp.risk.value if a_exp else None,
                    either.cause.id,
                )
            )
        return changes

    def _records(
        self,
        moved: set[str],
        b_rel: Mapping[str, Relation],
        a_rel: Mapping[str, Relation],
        names: dict[str, str],
    ) -> list[RecordChange]:
        objects: set[str] = {r.dst for r in (*b_rel.values(), *a_rel.values()) if r.type == STORES}
        for side in (self.before, self.after):
            objects.update(
                i
                for i, e in side.store.get_elements(moved, CURRENT).items()
                if e.type == "DataObject"
            )
        if not objects:
            return []
        masters = []
        for side in (self.before, self.after):
            found: dict[str, set[str]] = {}
            for rel in side.store.relations_of(objects, CURRENT, [STORES]):
                if rel.dst in objects and rel.attrs.get("master"):
                    found.setdefault(rel.dst, set()).add(rel.src)
                    names.setdefault(rel.src, rel.src)
            masters.append(found)
        elements = {
            **self.before.store.get_elements(objects, CURRENT),
            **self.after.store.get_elements(objects, CURRENT),
        }
        changes = []
        for oid in sorted(objects):
            b, a = masters[0].get(oid, set()), masters[1].get(oid, set())
            if b != a and oid in elements:
                changes.append(
                    RecordChange(oid, elements[oid].name, tuple(sorted(b)), tuple(sorted(a)))
                )
        return changes

    def _steps(self) -> list[tuple[str, list[str]]]:
        by_day: dict[str, list[str]] = {}
        for edits in self.edits:
            for e in edits:
                by_day.setdefault(e.on or "at once", []).append(e.text())
        return sorted(by_day.items(), key=lambda kv: (kv[0] != "at once", kv[0]))


def _propagate(
    store: Any, starts: Iterable[str], steps: Sequence[Step], levels: int | None = None
) -> dict[str, set[str]]:
    """For each element reached from ``starts`` along ``steps`` (within ``levels`` steps;
    None: all), the starts that reach it — one store query per level for all the starts
    together, an element expanded again only when a new start reaches it."""
    origins: dict[str, set[str]] = {s: {s} for s in starts}
    frontier = set(origins)
    level = 0
    while frontier and (levels is None or level < levels):
        level += 1
        grown: set[str] = set()
        for hop in store.neighbors(frontier, steps, CURRENT):
            source = origins[hop.origin]
            target = origins.setdefault(hop.target, set())
            if not source <= target:
                target |= source
                grown.add(hop.target)
        frontier = grown
    return origins


def _element_fields(b: Element, a: Element) -> dict[str, tuple[Any, Any]]:
    fields = {k: (b.attrs.get(k), a.attrs.get(k)) for k in set(b.attrs) | set(a.attrs)}
    fields = {k: v for k, v in sorted(fields.items()) if v[0] != v[1]}
    if b.name != a.name:
        fields = {"name": (b.name, a.name), **fields}
    return fields


def _relation_fields(
    b: Relation, a: Relation, names: Mapping[str, str]
) -> dict[str, tuple[Any, Any]]:
    fields: dict[str, tuple[Any, Any]] = {}
    for end, old, new in (("source", b.src, a.src), ("target", b.dst, a.dst)):
        if old != new:
            fields[end] = (names.get(old, old), names.get(new, new))
    attrs = {k: (b.attrs.get(k), a.attrs.get(k)) for k in set(b.attrs) | set(a.attrs)}
    fields.update({k: v for k, v in sorted(attrs.items()) if v[0] != v[1]})
    return fields


def _changes(
    before: Mapping[str, Any], after: Mapping[str, Any], label: Any, fields: Any
) -> list[ItemChange]:
    changes = []
    for i in sorted(set(before) | set(after)):
        b, a = before.get(i), after.get(i)
        if b is None:
            changes.append(ItemChange("added", i, after[i].type, label(after[i])))
        elif a is None:
            changes.append(ItemChange("removed", i, b.type, label(b)))
        else:
            changed = fields(b, a)
            if changed:
                changes.append(ItemChange("changed", i, a.type, label(a), changed))
    return changes
