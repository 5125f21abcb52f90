"""Data circulation: where data goes from and to an application, or where a data object travels.

For an application, the flows in and out of it, followed ``depth`` steps
upstream and downstream through the interface catalog (where its data goes,
where the data it gets comes from). For a data object, the systems that hold
it and every flow that carries it — e.g. where personal data goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFoundError
from ..metamodel import Metamodel
from ..model import CURRENT, Direction, Element, ElementId, Lens, Relation, Step
from ..results import Table
from ..store import GraphStore
from .traversal import Levels, read_elements

FLOW = "flow"
HOLDING = ("stores", "accesses")


@dataclass(frozen=True)
class FlowEdge:
    """One flow: sender, receiver, the relation with its attributes, and its distance from the start."""

    sender: Element
    receiver: Element
    relation: Relation
    distance: int
    personal: bool

    @property
    def carries(self) -> list[str]:
        """The data objects it carries, as the catalog names them."""
        value = self.relation.attrs.get("data_objects") or []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@dataclass(frozen=True)
class Holder:
    """A system that stores or accesses a data object."""

    system: Element
    relation: Relation

    @property
    def role(self) -> str:
        if self.relation.type == "stores":
            return "system of record" if self.relation.attrs.get("master") else "stores a copy"
        return f"accesses ({self.relation.attrs.get('mode', 'read')})"


@dataclass
class FlowReport:
    """The answer to ``ea flows``."""

    subject: Element
    downstream: list[FlowEdge] = field(default_factory=list)
    upstream: list[FlowEdge] = field(default_factory=list)
    holders: list[Holder] = field(default_factory=list)  # data object: who holds it
    data: list[Holder] = field(default_factory=list)  # application: what it holds
    of_data: bool = False  # the subject is a data object (else an application)

    # -- presentation: the same for the command line, the studies and an API ------------

    COLUMNS = ("step", "from", "to", "protocol", "middleware", "carries", "personal", "frequency")

    @staticmethod
    def _rows(edges: list[FlowEdge]) -> list[list[Any]]:
        return [
            [
                f.distance,
                f.sender.name,
                f.receiver.name,
                f.relation.attrs.get("protocol"),
                f.relation.attrs.get("middleware"),
                f.carries,
                f.personal,
                f.relation.attrs.get("frequency"),
            ]
            for f in edges
        ]

    def to_tables(self) -> list[Table]:
        """For a data object: who holds it and the flows carrying it; for an application:
        downstream, upstream, and the data it holds."""
        name = self.subject.name
        columns = list(self.COLUMNS)
        if self.of_data:
            return [
                Table(
                    f"systems holding {name}",
                    ["system", "role"],
                    [[h.system.name, h.role] for h in self.holders],
                ),
                Table(
                    f"flows carrying {name}: {len(self.downstream)}",
                    columns[1:],
                    [r[1:] for r in self._rows(self.downstream)],
                ),
            ]
        return [
            Table(
                f"downstream: where {name}'s data goes ({len(self.downstream)})",
                columns,
                self._rows(self.downstream),
            ),
            Table(
                f"upstream: where {name}'s data comes from ({len(self.upstream)})",
                columns,
                self._rows(self.upstream),
            ),
            Table(
                "data it holds",
                ["data object", "role"],
                [[h.system.name, h.role] for h in self.data],
            ),
        ]

    def to_data(self) -> dict[str, Any]:
        """The flows as a JSON document, elements by id."""

        def edges(found: list[FlowEdge]) -> list[dict[str, Any]]:
            return [
                {
                    "from": f.sender.id,
                    "to": f.receiver.id,
                    "relation": f.relation.id,
                    "step": f.distance,
                    "personal": f.personal,
                    "attrs": dict(f.relation.attrs),
                }
                for f in found
            ]

        s = self.subject
        return {
            "subject": {"id": s.id, "name": s.name, "type": s.type},
            "downstream": edges(self.downstream),
            "upstream": edges(self.upstream),
            "holders": [{"id": h.system.id, "role": h.role} for h in self.holders],
            "data": [{"id": h.system.id, "role": h.role} for h in self.data],
        }

    def notes(self) -> list[str]:
        """Nothing to add beside the tables."""
        return []


def _personal(rel: Relation, personal_names: set[str]) -> bool:
    if rel.attrs.get("personal_data"):
        return True
    carried = rel.attrs.get("data_objects") or []
    return any(str(c).casefold() in personal_names for c in carried)


def data_flows(
    store: GraphStore,
    metamodel: Metamodel,
    subject: str,
    *,
    depth: int = 1,
    personal_only: bool = False,
    lens: Lens = CURRENT,
) -> FlowReport:
    """Where data circulates from and to ``subject`` (an application or a data object).

    Raises NotFoundError when ``lens`` does not show ``subject`` (unknown, or retired).
    """
    element = store.get_elements([subject], lens).get(subject)
    if element is None:
        raise NotFoundError(f"no current element {subject!r} to follow the data of")
    personal_names = {
        e.name.casefold()
        for e in store.find_elements(
            types=_data_types(metamodel), attrs={"personal_data": True}, lens=lens
        )
    }
    report = FlowReport(element, of_data=element.type in _data_types(metamodel))
    if report.of_data:
        return _data_object(store, report, personal_names, personal_only, lens)
    known: dict[str, Element] = {element.id: element}
    for direction, bucket in ((Direction.OUT, report.downstream), (Direction.IN, report.upstream)):
        frontier = [ElementId(element.id)]
        seen_relations: set[str] = set()
        seen = {element.id}
        levels = Levels(store, (Step(FLOW, direction),), lens)
        for level in range(1, depth + 1):
            hops = [
                h
                for h in levels.hops(frontier, (), depth - level + 1)
                if h.relation.id not in seen_relations
            ]
            targets = {h.target for h in hops} - known.keys()
            known.update(read_elements(store, levels.elements, targets, lens))
            frontier = []
            for hop in sorted(hops, key=lambda h: (h.origin, h.target, h.relation.id)):
                seen_relations.add(hop.relation.id)
                personal = _personal(hop.relation, personal_names)
                if personal_only and not personal:
                    continue
                sender, receiver = (
                    (known[hop.origin], known[hop.target])
                    if direction is Direction.OUT
                    else (known[hop.target], known[hop.origin])
                )
                bucket.append(FlowEdge(sender, receiver, hop.relation, level, personal))
                if hop.target not in seen:
                    seen.add(hop.target)
                    frontier.append(hop.target)
            if not frontier:
                break
    held = [r for r in store.relations_of([element.id], lens, types=HOLDING) if r.src == element.id]
    objects = store.get_elements({r.dst for r in held}, lens)
    report.data = sorted(
        (Holder(objects[r.dst], r) for r in held if r.dst in objects),
        key=lambda h: h.system.name.lower(),
    )
    return report


def _data_types(metamodel: Metamodel) -> list[str]:
    return [t for t in metamodel.element_types if metamodel.is_a(t, "DataObject")]


def _data_object(
    store: GraphStore, report: FlowReport, personal_names: set[str], personal_only: bool, lens: Lens
) -> FlowReport:
    obj = report.subject
    links = [r for r in store.relations_of([obj.id], lens, types=HOLDING) if r.dst == obj.id]
    systems = store.get_elements({r.src for r in links}, lens)
    report.holders = sorted(
        (Holder(systems[r.src], r) for r in links if r.src in systems),
        key=lambda h: (h.relation.type != "stores", h.system.name.lower()),
    )
    names = {obj.name.casefold(), obj.id.casefold()}
    flows = [
        r
        for r in store.relations_of(list(systems), lens, types=[FLOW])
        if any(str(c).casefold() in names for c in (r.attrs.get("data_objects") or []))
    ]
    ends = store.get_elements({r.src for r in flows} | {r.dst for r in flows}, lens)
    seen: set[str] = set()
    for rel in sorted(flows, key=lambda r: (r.src, r.dst, r.id)):
        if rel.id in seen or rel.src not in ends or rel.dst not in ends:
            continue
        seen.add(rel.id)
        personal = _personal(rel, personal_names)
        if personal_only and not personal:
            continue
        report.downstream.append(FlowEdge(ends[rel.src], ends[rel.dst], rel, 1, personal))
    return report
