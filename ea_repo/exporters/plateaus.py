"""Two states of the landscape in one exchange file, the ArchiMate way: plateaus and a gap.

ArchiMate 3.2 (§13, Implementation and Migration) tells how an architecture moves
from one state to another: a *Plateau* is a relatively stable state, made of the
elements and relationships of that state; a *Gap* is what differs between two
plateaus, associated with both. :func:`export_plateaus` writes one model holding
the union of two states — the baseline (the facts on a day) and the target (the
landscape on another day, or under a scenario):

* every element and relationship of either state, once. One in both states is
  written as the baseline has it (the facts; the gap says what the target
  changes); one of a single state is in that state's plateau only;
* a Plateau per state, aggregating each element **and each relationship** of
  that state. Relationships too, because a state is not its elements alone: a
  relation the target removes between two elements it keeps (an unlink, a flow
  a replace moves to the new application) would otherwise look part of both
  states. ArchiMate 3 allows aggregation from a plateau to a relationship, and
  Archi reads and draws it; ``ea import archimate`` of such a file leaves these
  out (relations link elements) and says how many;
* a triggering from the baseline plateau to the target one (the order of the
  states);
* a Gap associated with both plateaus and with every element and relationship
  that differs, its documentation listing what is added, removed and changed.

No view is written (the exporter writes none); in Archi a plateau's state is
drawn by generating a view from it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import SelectorError, SourceError
from ..importers.archimate import ArchimateMapping
from ..metamodel import Metamodel
from ..model import Element, ElementId, Relation, RelationId, Status
from ..results import Table
from ..selection import select_ids
from ..timeline import phase_at
from .archimate import ArchimateExporter, ExportStats, _value_text, landscape

if TYPE_CHECKING:
    from ..repository import Repository

PLATEAU, GAP = "Plateau", "Gap"
AGGREGATES, ASSOCIATED, TRIGGERS = "aggregates", "associated_with", "triggers"


@dataclass(frozen=True)
class State:
    """One state of the landscape: its day, the scenario it is seen under (None: the
    facts), and its elements and relations by id."""

    day: str | None
    scenario: str | None
    elements: Mapping[str, Element]
    relations: Mapping[str, Relation]
    left_out: tuple[str, ...] = ()  # relations with an end outside the elements

    @classmethod
    def read(
        cls,
        store: Any,
        *,
        day: str | None,
        scenario: str | None = None,
        element_ids: Iterable[str] | None = None,
    ) -> State:
        """The state ``store`` shows (all its elements, or those of ``element_ids``): a
        repository seen on ``day`` and under ``scenario`` (``Repository.seen``)."""
        elements, relations = landscape(store, element_ids)
        by_id: dict[str, Element] = {e.id: e for e in elements}
        kept: dict[str, Relation] = {
            r.id: r for r in relations if r.src in by_id and r.dst in by_id
        }
        left_out = tuple(sorted(r.id for r in relations if r.id not in kept))
        return cls(day, scenario, by_id, kept, left_out)

    def name(self, role: str) -> str:
        """The plateau's name: ``Baseline (2026-12-07)``, ``Target: crm-replacement (2027-06-01)``."""
        label = f"{role}: {self.scenario}" if self.scenario else role
        return f"{label} ({self.day})" if self.day else label

    def description(self) -> str:
        """What the plateau holds, in a sentence."""
        when = f"as at {self.day}" if self.day else "as the repository holds it"
        under = f" under the scenario {self.scenario}" if self.scenario else ""
        return f"The landscape {when}{under}."


@dataclass(frozen=True)
class Change:
    """An element or relation of both states that the target changes: its baseline
    version and what differs, one phrase each (``criticality: high → critical``)."""

    item: Element | Relation
    differences: tuple[str, ...]


@dataclass(frozen=True)
class StateGap:
    """What differs from the baseline to the target."""

    baseline: State
    target: State
    added: tuple[Element, ...]
    removed: tuple[Element, ...]
    changed: tuple[Change, ...]
    relations_added: tuple[Relation, ...]
    relations_removed: tuple[Relation, ...]
    relations_changed: tuple[Change, ...]

    def differing(self) -> list[str]:
        """The ids of the elements and relations that differ, sorted."""
        items: list[Element | Relation] = [
            *self.added,
            *self.removed,
            *self.relations_added,
            *self.relations_removed,
        ]
        items += [c.item for c in (*self.changed, *self.relations_changed)]
        return sorted(i.id for i in items)

    def counts(self) -> dict[str, dict[str, int]]:
        """How many elements and relations are added, removed and changed."""
        return {
            "elements": {
                "added": len(self.added),
                "removed": len(self.removed),
                "changed": len(self.changed),
            },
            "relations": {
                "added": len(self.relations_added),
                "removed": len(self.relations_removed),
                "changed": len(self.relations_changed),
            },
        }

    def documentation(self) -> str:
        """The gap's documentation: a summary line, then one line per difference."""
        names = {**self.target.elements, **self.baseline.elements}

        def element(e: Element) -> str:
            return f'{e.type} "{e.name}" ({e.id})'

        def relation(r: Relation) -> str:
            ends = [f'"{names[x].name}"' if x in names else x for x in (r.src, r.dst)]
            return f"{ends[0]} {r.type} {ends[1]}"

        def change(c: Change) -> str:
            what = element(c.item) if isinstance(c.item, Element) else relation(c.item)
            return f"~ {what}: {'; '.join(c.differences)}"

        counts = self.counts()
        summary = "; ".join(
            f"{kind}: " + ", ".join(f"{n} {how}" for how, n in by_how.items())
            for kind, by_how in counts.items()
        )
        lines = [
            f"From {self.baseline.name('Baseline')} to {self.target.name('Target')}. {summary}."
        ]
        if self.added or self.relations_added:
            lines += ["", "Added:"]
            lines += [f"+ {element(e)}" for e in self.added]
            lines += [f"+ {relation(r)}" for r in self.relations_added]
        if self.removed or self.relations_removed:
            lines += ["", "Removed:"]
            lines += [f"- {element(e)}" for e in self.removed]
            lines += [f"- {relation(r)}" for r in self.relations_removed]
        if self.changed or self.relations_changed:
            lines += ["", "Changed:"]
            lines += [change(c) for c in (*self.changed, *self.relations_changed)]
        return "\n".join(lines)

    def to_tables(self) -> list[Table]:
        """The gap in numbers, for people."""
        return [
            Table(
                "the gap from the baseline to the target",
                ["", "added", "removed", "changed"],
                [[kind, *by_how.values()] for kind, by_how in self.counts().items()],
            )
        ]

    def to_data(self) -> dict[str, Any]:
        """The gap as JSON data: the ids added, removed and changed, with what changed."""
        return {
            "baseline": {"day": self.baseline.day, "scenario": self.baseline.scenario},
            "target": {"day": self.target.day, "scenario": self.target.scenario},
            "elements": {
                "added": [e.id for e in self.added],
                "removed": [e.id for e in self.removed],
                "changed": {c.item.id: list(c.differences) for c in self.changed},
            },
            "relations": {
                "added": [r.id for r in self.relations_added],
                "removed": [r.id for r in self.relations_removed],
                "changed": {c.item.id: list(c.differences) for c in self.relations_changed},
            },
        }


def _shown(value: Any) -> str:
    return "(none)" if value is None or value == "" or value == [] else _value_text(value)


def _differences(
    before: Element | Relation, after: Element | Relation, days: tuple[str | None, str | None]
) -> tuple[str, ...]:
    found = []
    if isinstance(before, Element) and isinstance(after, Element):
        if before.name != after.name:
            found.append(f"name: {before.name} → {after.name}")
        if before.type != after.type:
            found.append(f"type: {before.type} → {after.type}")
    elif (
        isinstance(before, Relation)
        and isinstance(after, Relation)
        and (before.src, before.type, before.dst) != (after.src, after.type, after.dst)
    ):
        found.append(
            f"ends: {before.src} {before.type} {before.dst} → {after.src} {after.type} {after.dst}"
        )
    for key in sorted(set(before.attrs) | set(after.attrs)):
        old, new = before.attrs.get(key), after.attrs.get(key)
        if _shown(old) != _shown(new):
            found.append(f"{key}: {_shown(old)} → {_shown(new)}")
    if days[0] and days[1]:
        # The same dates read on two days: entering phase-out is a difference too.
        old_phase, new_phase = phase_at(before.attrs, days[0]), phase_at(after.attrs, days[1])
        if old_phase != new_phase:
            found.append(f"phase: {_shown(old_phase)} → {_shown(new_phase)}")
    return tuple(found)


def gap_between(baseline: State, target: State) -> StateGap:
    """What differs from ``baseline`` to ``target``: elements and relations added,
    removed, and changed (name, type, ends, attributes, lifecycle phase)."""
    days = (baseline.day, target.day)

    def split(
        before: Mapping[str, Any], after: Mapping[str, Any]
    ) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Change, ...]]:
        added = tuple(after[i] for i in sorted(set(after) - set(before)))
        removed = tuple(before[i] for i in sorted(set(before) - set(after)))
        changed = []
        for i in sorted(set(before) & set(after)):
            differences = _differences(before[i], after[i], days)
            if differences:
                changed.append(Change(before[i], differences))
        return added, removed, tuple(changed)

    elements = split(baseline.elements, target.elements)
    relations = split(baseline.relations, target.relations)
    return StateGap(baseline, target, *elements, *relations)


def _check_types(metamodel: Metamodel) -> None:
    missing = [t for t in (PLATEAU, GAP) if t not in metamodel.element_types]
    missing += [t for t in (AGGREGATES, ASSOCIATED, TRIGGERS) if t not in metamodel.relation_types]
    if missing:
        raise SourceError(
            f"plateaus need the metamodel's types {', '.join(missing)}, which it lacks",
            hint="the built-in metamodel has them (Plateau, Gap, aggregates, associated_with, "
            "triggers); add them to the workspace's own metamodel",
        )


class _Ids:
    """Identifiers for the plateaus, the gap and their relationships, clear of the model's."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)

    def free(self, wanted: str) -> str:
        ident, n = wanted, 1
        while ident in self.taken:
            n += 1
            ident = f"{wanted}-{n}"
        self.taken.add(ident)
        return ident

    def of(self, owner: str, member: str) -> RelationId:
        digest = hashlib.blake2b(member.encode(), digest_size=6).hexdigest()
        return RelationId(self.free(f"{owner}-{digest}"))


def _link(ids: _Ids, src: str, type_name: str, dst: str) -> Relation:
    return Relation(ElementId(src), type_name, ElementId(dst), {}, Status.ACTIVE, ids.of(src, dst))


def plateau_model(
    baseline: State, target: State, metamodel: Metamodel
) -> tuple[list[Element], list[Relation], StateGap]:
    """The elements and relations of the model holding both states (see the module), and the gap.

    Raises SourceError when the metamodel lacks the types it needs.
    """
    _check_types(metamodel)
    gap = gap_between(baseline, target)
    elements = {**target.elements, **baseline.elements}
    relations = {**target.relations, **baseline.relations}
    ids = _Ids([*elements, *relations])
    plateaus = {}
    for role, state in (("Baseline", baseline), ("Target", target)):
        pid = ids.free(f"plateau-{role.lower()}")
        attrs = {"description": state.description()}
        if state.day:
            attrs["as_of"] = state.day
        plateaus[pid] = state
        elements[pid] = Element(ElementId(pid), PLATEAU, state.name(role), attrs)
        for member in sorted([*state.elements, *state.relations]):
            link = _link(ids, pid, AGGREGATES, member)
            relations[link.id] = link
    first, second = plateaus
    gid = ids.free("gap")
    elements[gid] = Element(
        ElementId(gid),
        GAP,
        f"Gap: {baseline.name('Baseline')} → {target.name('Target')}",
        {"description": gap.documentation()},
    )
    order = _link(ids, first, TRIGGERS, second)
    relations[order.id] = order
    for member in [first, second, *gap.differing()]:
        link = _link(ids, gid, ASSOCIATED, member)
        relations[link.id] = link
    return list(elements.values()), list(relations.values()), gap


def read_states(
    repo: Repository, target: Repository, *, baseline: str | None = None, select: str | None = None
) -> tuple[State, State]:
    """The two states of a plateau export: ``repo``'s facts on day ``baseline`` (ISO; default
    today) and ``target``, ``repo`` seen on a day and under a scenario
    (:meth:`~ea_repo.repository.Repository.seen`); in each, the elements ``select`` (a
    selector) selects there, or all.

    Raises SelectorError for a bad selector.
    """

    def read(seen: Repository, role: str) -> State:
        scenario = seen.overlay.name if seen.overlay is not None else None
        try:
            ids = select_ids(seen.store, seen.metamodel, select) if select else None
        except SelectorError as exc:
            under = f", under {scenario}" if scenario else ""
            raise SelectorError(
                f"{exc.message}, in the {role.lower()} ({seen.day}{under})",
                hint="the selector is read in each state: name elements both hold, or select "
                "by type, layer or attribute",
            ) from exc
        return State.read(seen.store, day=seen.day, scenario=scenario, element_ids=ids)

    return read(repo.seen(baseline), "Baseline"), read(target, "Target")


def export_plateaus(
    baseline: State,
    target: State,
    metamodel: Metamodel,
    mapping: ArchimateMapping,
    *,
    name: str = "ea-repo",
) -> tuple[str, ExportStats, StateGap]:
    """The exchange file holding ``baseline`` and ``target`` as two plateaus and the gap
    between them (see the module), its statistics, and the gap.

    Raises SourceError when the metamodel lacks Plateau, Gap or their relationship types,
    or when a type has no ArchiMate type to be written as.
    """
    elements, relations, gap = plateau_model(baseline, target, metamodel)
    text, stats = ArchimateExporter(metamodel, mapping).write(elements, relations, name=name)
    stats.left_out = sorted({*baseline.left_out, *target.left_out})
    return text, stats, gap


__all__ = [
    "Change",
    "State",
    "StateGap",
    "export_plateaus",
    "gap_between",
    "plateau_model",
    "read_states",
]
