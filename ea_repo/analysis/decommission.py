"""Decommissioning: everything that must happen before X is switched off.

The checklist has seven parts:

1. **breaks** — what depends on X, by layer, with paths (impact of X); what
   only loses redundancy is listed as degraded;
2. **flows** — interfaces in and out of X, to re-route or cut;
3. **data** — data objects X stores (as system of record or not) or accesses;
   personal data must be purged or migrated;
4. **freed** — what X alone depends on, transitively: it can go with X;
5. **stays** — shared infrastructure X depends on that others still need;
6. **unsupported** — business processes and capabilities left with nothing
   supporting them once X and what breaks with it are gone, and those that
   only lose one of several supports;
7. **notify** — owners of X and of everything that breaks, and the
   organisation units responsible for them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import NotFoundError
from ..metamodel import Metamodel
from ..model import CURRENT, Direction, Element, Lens, Relation, Step
from ..results import Table
from ..store import GraphStore
from .impact import Affected, ImpactReport, analyse
from .traversal import State, Way

OWNER_ATTRIBUTES = ("owner", "business_owner", "it_owner", "contact_email", "manager")
FLOW = "flow"
DATA_RELATIONS = ("stores", "accesses")
RESPONSIBLE = "responsible_for"


@dataclass(frozen=True)
class FlowToReroute:
    """An interface of X: which way, with whom, carrying what."""

    relation: Relation
    direction: str  # "out" (X sends) or "in" (X receives)
    partner: Element

    COLUMNS = ("direction", "partner", "protocol", "middleware", "data objects", "interface")

    def row(self) -> list[Any]:
        """The interface as a checklist row, under :attr:`COLUMNS`."""
        attrs = self.relation.attrs
        return [
            "sends to" if self.direction == "out" else "receives from",
            self.partner.name,
            attrs.get("protocol"),
            attrs.get("middleware"),
            attrs.get("data_objects"),
            attrs.get("interface_id") or self.relation.id,
        ]


@dataclass(frozen=True)
class DataToHandle:
    """A data object X keeps or reads, and what to do with it."""

    data: Element
    relation: Relation
    master: bool
    personal: bool
    action: str


@dataclass(frozen=True)
class Shared:
    """Something X depends on that stays, because others need it too."""

    element: Element
    other_dependents: list[Element]


@dataclass(frozen=True)
class SupportLoss:
    """A process or capability X (or what breaks with it) supports."""

    element: Element
    lost: list[Element]  # supports that go
    remaining: list[Element]  # supports that stay

    @property
    def unsupported(self) -> bool:
        return not self.remaining


@dataclass(frozen=True)
class Contact:
    """Someone to tell, and why."""

    who: str
    role: str
    about: list[Element] = field(default_factory=list)


@dataclass
class DecommissionReport:
    """The switch-off checklist for one element."""

    target: Element
    breaks: list[Affected]
    degraded: list[Affected]
    flows: list[FlowToReroute]
    data: list[DataToHandle]
    freed: list[Element]
    stays: list[Shared]
    support: list[SupportLoss]
    notify: list[Contact]
    impact: ImpactReport

    # -- presentation: the same for the command line, the studies and an API ------------

    def to_tables(self) -> list[Table]:
        """The seven parts of the checklist, for people (``...`` where a list is cut)."""

        def first(elements: list[Element], n: int = 5) -> list[str]:
            return [e.name for e in elements[:n]] + (["..."] if len(elements) > n else [])

        return [
            Table(
                f"1. breaks: {len(self.breaks)} element(s) stop working",
                ["layer", "element", "name", "type", "via"],
                [a.row("layer", "id", "name", "type", "via") for a in self.breaks],
            ),
            Table(
                f"   degraded: {len(self.degraded)} lose a feed or redundancy but keep running",
                ["layer", "element", "name", "via"],
                [a.row("layer", "id", "name", "via") for a in self.degraded],
            ),
            Table(
                f"2. flows to re-route or cut: {len(self.flows)}",
                list(FlowToReroute.COLUMNS),
                [f.row() for f in self.flows],
            ),
            Table(
                f"3. data to migrate or purge: {len(self.data)}",
                ["data object", "personal", "system of record", "relation", "action"],
                [[d.data.name, d.personal, d.master, d.relation.type, d.action] for d in self.data],
            ),
            Table(
                f"4. freed with it: {len(self.freed)} element(s) nothing else needs",
                ["element", "name", "type"],
                [[e.id, e.name, e.type] for e in self.freed],
            ),
            Table(
                f"5. shared, stays: {len(self.stays)}",
                ["element", "name", "type", "still needed by"],
                [
                    [s.element.id, s.element.name, s.element.type, first(s.other_dependents)]
                    for s in self.stays
                ],
            ),
            Table(
                f"6. processes and capabilities: {sum(s.unsupported for s in self.support)} left unsupported",
                ["element", "name", "type", "left", "loses", "keeps"],
                [
                    [
                        s.element.id,
                        s.element.name,
                        s.element.type,
                        "UNSUPPORTED" if s.unsupported else "partly",
                        [e.name for e in s.lost],
                        [e.name for e in s.remaining],
                    ]
                    for s in self.support
                ],
            ),
            Table(
                f"7. notify: {len(self.notify)}",
                ["who", "as", "about"],
                [[c.who, c.role, first(c.about)] for c in self.notify],
            ),
        ]

    def to_data(self) -> dict[str, Any]:
        """The checklist as a JSON document, elements by id."""
        x = self.target
        return {
            "target": {"id": x.id, "name": x.name, "type": x.type},
            "breaks": [
                {
                    "id": a.element.id,
                    "name": a.element.name,
                    "layer": a.layer,
                    "distance": a.distance,
                    "via": a.via,
                }
                for a in self.breaks
            ],
            "degraded": [
                {"id": a.element.id, "name": a.element.name, "layer": a.layer, "via": a.via}
                for a in self.degraded
            ],
            "flows": [
                {
                    "direction": f.direction,
                    "partner": f.partner.id,
                    "relation": f.relation.id,
                    "attrs": dict(f.relation.attrs),
                }
                for f in self.flows
            ],
            "data": [
                {
                    "id": d.data.id,
                    "name": d.data.name,
                    "personal": d.personal,
                    "master": d.master,
                    "relation": d.relation.type,
                    "action": d.action,
                }
                for d in self.data
            ],
            "freed": [e.id for e in self.freed],
            "stays": [
                {"id": s.element.id, "needed_by": [o.id for o in s.other_dependents]}
                for s in self.stays
            ],
            "support": [
                {
                    "id": s.element.id,
                    "unsupported": s.unsupported,
                    "loses": [e.id for e in s.lost],
                    "keeps": [e.id for e in s.remaining],
                }
                for s in self.support
            ],
            "notify": [
                {"who": c.who, "role": c.role, "about": [e.id for e in c.about]}
                for c in self.notify
            ],
        }

    def notes(self) -> list[str]:
        """What to read beside the tables: what is switched off."""
        x = self.target
        return [f"switching off {x.name} ({x.type} {x.id})"]


def decommission(
    store: GraphStore, metamodel: Metamodel, target: str, *, lens: Lens = CURRENT
) -> DecommissionReport:
    """The checklist for switching ``target`` off (see the module docstring for its parts).

    Raises NotFoundError when ``lens`` does not show ``target`` (unknown, or retired).
    """
    impact = analyse(store, metamodel, [target], way=Way.IMPACT, lens=lens)
    if not impact.starts:
        raise NotFoundError(f"no current element {target!r} to decommission")
    x = impact.starts[0]
    breaks = [a for a in impact.affected if a.state is State.DOWN]
    degraded = [a for a in impact.affected if a.state is State.DEGRADED]
    gone: set[str] = {x.id} | {a.element.id for a in breaks}

    own = store.relations_of([x.id], lens)
    partners = store.get_elements({r.src if r.dst == x.id else r.dst for r in own}, lens)
    flows = [
        FlowToReroute(
            r, "out" if r.src == x.id else "in", partners[r.dst if r.src == x.id else r.src]
        )
        for r in own
        if r.type == FLOW and (r.dst if r.src == x.id else r.src) in partners
    ]
    flows.sort(key=lambda f: (f.direction, f.partner.name.lower(), f.relation.id))

    data = []
    for r in own:
        if r.type not in DATA_RELATIONS or r.src != x.id or r.dst not in partners:
            continue
        obj = partners[r.dst]
        personal = bool(obj.attrs.get("personal_data"))
        master = r.type == "stores" and bool(r.attrs.get("master"))
        holds_copy = r.type == "stores" or r.attrs.get("mode") in ("write", "readwrite", "create")
        if master:
            action = f"migrate to the successor ({x.name} is the system of record)" + (
                "; purge what is not migrated" if personal else ""
            )
        elif holds_copy:
            action = f"purge the copy in {x.name}" + (
                " (personal data)" if personal else ", or archive it"
            )
        else:
            action = f"remove the access ({x.name} only reads it)"
        data.append(DataToHandle(obj, r, master, personal, action))
    data.sort(key=lambda d: (not d.master, not d.personal, d.data.name.lower()))

    freed, stays = _freed_and_shared(store, metamodel, x, gone, lens)
    support = _support_losses(store, metamodel, impact, gone, lens)
    notify = _contacts(store, x, breaks, lens)
    return DecommissionReport(
        x, breaks, degraded, flows, data, freed, stays, support, notify, impact
    )


def _freed_and_shared(
    store: GraphStore, metamodel: Metamodel, x: Element, gone: set[str], lens: Lens
) -> tuple[list[Element], list[Shared]]:
    """What X alone needs (freed with it) and what others still need (stays)."""
    # Relationships that only degrade (data flows) are the "flows" part of the checklist:
    # the systems that send X data are partners to re-route, not what X stands on.
    followed = [t.name for t in metamodel.relation_types.values() if not t.degrades]
    needs = analyse(
        store, metamodel, [x.id], way=Way.DEPENDENCIES, relation_types=followed, lens=lens
    )
    candidates: dict[str, Element] = {a.element.id: a.element for a in needs.affected}
    if not candidates:
        return [], []
    dependents: dict[str, set[str]] = defaultdict(set)
    for hop in store.neighbors(list(candidates), metamodel.impact_steps(), lens):
        dependents[hop.origin].add(hop.target)
    freed: set[str] = set()
    changed = True
    while changed:  # fixed point: freed when every dependent is X, gone, or freed
        changed = False
        for cid in candidates:
            if cid not in freed and dependents[cid] <= ({x.id} | freed):
                freed.add(cid)
                changed = True
    others = {d for cid in candidates if cid not in freed for d in dependents[cid]} - {x.id} - freed
    names = store.get_elements(others, lens)
    order: dict[str, tuple[int, str]] = {
        a.element.id: (a.distance, a.element.name.lower()) for a in needs.affected
    }
    stays = [
        Shared(
            candidates[cid],
            sorted(
                (names[d] for d in dependents[cid] - {x.id} - freed if d in names),
                key=lambda e: e.name.lower(),
            ),
        )
        for cid in sorted(set(candidates) - freed, key=order.__getitem__)
    ]
    return [candidates[c] for c in sorted(freed, key=order.__getitem__)], stays


def _support_losses(
    store: GraphStore, metamodel: Metamodel, impact: ImpactReport, gone: set[str], lens: Lens
) -> list[SupportLoss]:
    """Business and strategy elements reached: which of their supports go, which remain.

    Impact counts a process as broken as soon as one application serving it
    breaks; here a process (or capability) is *unsupported* only when every
    element serving or realising it is gone or itself unsupported.
    """
    upper = {
        a.element.id: a.element for a in impact.affected if a.layer in ("business", "strategy")
    }
    if not upper:
        return []
    supports: dict[str, set[str]] = defaultdict(set)
    for hop in store.neighbors(
        list(upper), metamodel.dependency_steps(["serves", "realizes"]), lens
    ):
        supports[hop.origin].add(hop.target)
    lower_gone = gone - set(upper)
    unsupported: set[str] = set()
    changed = True
    while changed:
        changed = False
        for eid in upper:
            if (
                eid not in unsupported
                and supports[eid]
                and supports[eid] <= lower_gone | unsupported
            ):
                unsupported.add(eid)
                changed = True
    elements = store.get_elements({s for ss in supports.values() for s in ss}, lens)
    losses = []
    for eid, element in upper.items():
        lost_ids = supports[eid] & (lower_gone | unsupported)
        if not lost_ids:
            continue
        losses.append(
            SupportLoss(
                element,
                sorted(
                    (elements[i] for i in lost_ids if i in elements), key=lambda e: e.name.lower()
                ),
                sorted(
                    (elements[i] for i in supports[eid] - lost_ids if i in elements),
                    key=lambda e: e.name.lower(),
                ),
            )
        )
    losses.sort(key=lambda s: (not s.unsupported, s.element.name.lower()))
    return losses


def _contacts(
    store: GraphStore, x: Element, breaks: Iterable[Affected], lens: Lens
) -> list[Contact]:
    """Owners (attributes) of X and of what breaks, and units responsible for them."""
    about: dict[tuple[str, str], list[Element]] = defaultdict(list)
    concerned = [x, *(a.element for a in breaks)]
    for element in concerned:
        for attr in OWNER_ATTRIBUTES:
            value = element.attrs.get(attr)
            if isinstance(value, str) and value.strip():
                about[(value.strip(), attr)].append(element)
    ids = {e.id: e for e in concerned}
    hops = store.neighbors(list(ids), [Step(RESPONSIBLE, Direction.IN)], lens)
    units = store.get_elements({h.target for h in hops}, lens)
    for hop in hops:
        if hop.target in units:
            unit = units[hop.target]
            about[(f"{unit.name} ({unit.id})", "responsible unit")].append(ids[hop.origin])
    contacts = [
        Contact(who, role, sorted({e.id: e for e in els}.values(), key=lambda e: e.id))
        for (who, role), els in about.items()
    ]
    contacts.sort(key=lambda c: (all(e.id != x.id for e in c.about), c.who.lower()))
    return contacts
