"""Data circulation: where data goes from and to an application, or where a data object travels.

For an application, the flows in and out of it, followed ``depth`` steps
upstream and downstream through the interface catalog (where its data goes,
where the data it gets comes from). For a data object, the systems that hold
it and every flow that carries it — e.g. where personal data goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import NotFoundError
from ..metamodel import Metamodel
from ..model import CURRENT, Direction, Element, ElementId, Lens, Relation, Step
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
    report = FlowReport(element)
    if element.type in _data_types(metamodel):
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
