"""Impact and dependencies: what is affected if X changes or fails, and what X needs — with the why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..metamodel import LAYERS, Metamodel
from ..model import CURRENT, Direction, Element, ElementId, Hop, Lens, Step
from ..results import Table
from ..store import GraphStore
from .traversal import State, Traversal, Way, traverse


def hop_label(metamodel: Metamodel, hop: Hop) -> str:
    """How a hop reads from its origin: ``runs on``, ``hosts``, ``sends data to``..."""
    rt = metamodel.relation_types.get(hop.relation.type)
    if rt is None:
        return hop.relation.type
    return rt.label if hop.direction is Direction.OUT else rt.reverse_label


@dataclass(frozen=True)
class PathStep:
    """One hop of a path, readable: ``origin —label→ target``."""

    origin: Element
    label: str
    relation_type: str
    relation_id: str
    target: Element

    def to_data(self, *, label: bool = False) -> dict[str, str]:
        """The step as JSON-ready data, elements by id; ``label`` adds how it reads."""
        data = {"from": self.origin.id, "relation": self.relation_type}
        if label:
            data["label"] = self.label
        data["to"] = self.target.id
        return data


@dataclass(frozen=True)
class Affected:
    """An element reached by an impact or dependency analysis."""

    element: Element
    layer: str
    distance: int
    state: State
    path: list[PathStep]
    missing: list[ElementId] = field(default_factory=list)  # degraded: peers still up

    @property
    def via(self) -> str:
        """The path as one line of text."""
        return path_text(self.path)

    def row(self, *fields: str) -> list[Any]:
        """The element as a table row of ``fields``: layer, id, name, type, via."""
        e = self.element
        values = {"layer": self.layer, "id": e.id, "name": e.name, "type": e.type, "via": self.via}
        return [values[f] for f in fields]


def path_text(path: Sequence[PathStep]) -> str:
    """``a —runs on→ b —hosted on→ c``, with names."""
    if not path:
        return ""
    parts = [path[0].origin.name]
    for step in path:
        parts.append(f"—{step.label}→ {step.target.name}")
    return " ".join(parts)


@dataclass
class ImpactReport:
    """The answer to ``ea impact`` / ``ea dependencies``."""

    way: Way
    starts: list[Element]
    affected: list[Affected]
    traversal: Traversal
    elements: dict[str, Element]
    metamodel: Metamodel = field(repr=False)
    # Relations touching what was reached that came from ArchiMate as a relationship the
    # metamodel does not allow between their ends (kept as an association, `archimate_type`
    # set): not followed, whatever their meaning. By ArchiMate type.
    not_followed: dict[str, int] = field(default_factory=dict)
    _paths: dict[ElementId, list[PathStep]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def by_layer(self) -> dict[str, list[Affected]]:
        """Affected elements grouped by layer, layers in metamodel order (strategy... physical)."""
        order = {layer: i for i, layer in enumerate(LAYERS)}
        groups: dict[str, list[Affected]] = {}
        for a in sorted(
            self.affected,
            key=lambda a: (order.get(a.layer, 99), a.distance, a.element.name.lower()),
        ):
            groups.setdefault(a.layer, []).append(a)
        return groups

    def explain(self, target: str, limit: int = 100) -> list[list[PathStep]]:
        """Every shortest path from a start to ``target`` (empty if not reached)."""
        if target not in self.traversal:
            return []
        return [self._steps(p) for p in self.traversal.paths(target, limit)]

    def path_to(self, target: ElementId) -> list[PathStep]:
        """The shortest path :meth:`Traversal.path` gives, as steps."""
        return shortest_steps(self.traversal, self.elements, self.metamodel, target, self._paths)

    def _steps(self, hops: Sequence[Hop]) -> list[PathStep]:
        return [_step(self.elements, self.metamodel, h) for h in hops]

    # -- presentation: the same for the command line, the studies and an API ------------

    def starts_text(self) -> str:
        """The starts as ``name (id)``, comma-separated."""
        return ", ".join(f"{e.name} ({e.id})" for e in self.starts)

    def to_tables(self) -> list[Table]:
        """One table per layer; for dependencies no state column (everything reached is needed)."""
        tables = []
        for layer, items in self.by_layer().items():
            if self.way is Way.IMPACT:
                columns = ["element", "name", "type", "distance", "state", "via"]
                rows = [
                    [a.element.id, a.element.name, a.element.type, a.distance, a.state.value, a.via]
                    for a in items
                ]
            else:
                columns = ["element", "name", "type", "distance", "via"]
                rows = [
                    [a.element.id, a.element.name, a.element.type, a.distance, a.via] for a in items
                ]
            tables.append(Table(f"{layer} ({len(items)})", columns, rows))
        if not tables:
            tables.append(
                Table(f"{self.way.value} of {self.starts_text()}: nothing reached", ["element"], [])
            )
        return tables

    def to_data(self) -> dict[str, Any]:
        """The report as a JSON document: starts, every affected element with its path."""
        return {
            "analysis": self.way.value,
            "starts": [e.id for e in self.starts],
            "affected": [
                {
                    "id": a.element.id,
                    "name": a.element.name,
                    "type": a.element.type,
                    "layer": a.layer,
                    "distance": a.distance,
                    "state": a.state.value,
                    "missing": list(a.missing),
                    "path": [s.to_data(label=True) for s in a.path],
                }
                for a in self.affected
            ],
            "not_followed": self.not_followed,
        }

    def notes(self) -> list[str]:
        """What to read beside the tables: the count by layer, and what the traversal left out."""
        counts = {layer: len(items) for layer, items in self.by_layer().items()}
        found = [
            f"{self.way.value} of {self.starts_text()}: {len(self.affected)} element(s) — "
            + (", ".join(f"{n} {layer}" for layer, n in counts.items()) or "none")
        ]
        if self.traversal.truncated:
            found.append(
                f"stopped at depth {self.traversal.max_depth}; more lies beyond (raise --depth)"
            )
        if self.not_followed:
            kinds = ", ".join(f"{n} {kind}" for kind, n in self.not_followed.items())
            found.append(
                f"not followed: {sum(self.not_followed.values())} relation(s) touching what was "
                f"reached ({kinds}) came from ArchiMate but the metamodel keeps them only as "
                "associations (archimate_type); allow their ends in its relationship types, "
                "then import again, to have them followed"
            )
        return found

    def explanation(self, target: Element) -> Explanation:
        """Why ``target`` is reached: its shortest paths from the starts."""
        return Explanation(self, target, self.explain(target.id))


@dataclass(frozen=True)
class Explanation:
    """The shortest paths from an analysis's starts to one element (``--explain``)."""

    report: ImpactReport
    target: Element
    paths: list[list[PathStep]]

    def total(self) -> int:
        """How many shortest paths there are, of which :attr:`paths` holds the first."""
        return self.report.traversal.path_count(self.target.id)

    def to_table(self) -> Table:
        rows = [[i + 1, len(p), path_text(p)] for i, p in enumerate(self.paths)]
        return Table(f"why {self.target.name} ({self.target.id})", ["path", "steps", "via"], rows)

    def to_data(self) -> dict[str, Any]:
        return {
            "target": self.target.id,
            "paths": [[s.to_data() for s in p] for p in self.paths],
            "total_paths": self.total(),
        }

    def notes(self) -> list[str]:
        found = []
        total = self.total()
        if total > len(self.paths):
            found.append(f"showing the first {len(self.paths)} of {total} shortest paths")
        if not self.paths:
            found.append(f"{self.target.name} is not reached from {self.report.starts_text()}")
        return found


def _step(elements: Mapping[str, Element], metamodel: Metamodel, hop: Hop) -> PathStep:
    return PathStep(
        elements[hop.origin],
        hop_label(metamodel, hop),
        hop.relation.type,
        hop.relation.id,
        elements[hop.target],
    )


def shortest_steps(
    traversal: Traversal,
    elements: Mapping[str, Element],
    metamodel: Metamodel,
    target: ElementId,
    known: dict[ElementId, list[PathStep]],
) -> list[PathStep]:
    """``traversal.path(target)`` as steps, built on the path to the element before it.

    ``known`` keeps the paths built so far: a step is made once however many
    paths go through it (a large impact has tens of thousands sharing their start).
    """
    missing: list[Hop] = []
    current = target
    while current not in known:
        via = traversal.reached[current].via
        if not via:
            known[current] = []
            break
        missing.append(via[0])
        current = via[0].origin
    path = known[current]
    for hop in reversed(missing):
        path = [*path, _step(elements, metamodel, hop)]
        known[hop.target] = path
    return known[target]


def analyse(
    store: GraphStore,
    metamodel: Metamodel,
    starts: Iterable[str],
    *,
    way: Way | str = Way.IMPACT,
    max_depth: int | None = None,
    relation_types: Iterable[str] | None = None,
    layers: Iterable[str] | None = None,
    include_degraded: bool = True,
    lens: Lens = CURRENT,
    paths: bool = True,
) -> ImpactReport:
    """Everything that depends on ``starts`` (``way="impact"``) or that they depend on.

    Results can be narrowed to ``layers``; the traversal itself passes
    through every layer, so that a server's impact reaches capabilities
    through applications and processes.
    ``paths=False`` leaves each affected element's path empty, for a caller
    that reads the report's traversal itself (a diagram of every path).
    The report's ``not_followed`` counts the demoted ArchiMate relationships
    touching what was reached (:func:`demoted_relations`).
    """
    result = traverse(
        store,
        metamodel,
        starts,
        way=way,
        max_depth=max_depth,
        relation_types=relation_types,
        lens=lens,
    )
    elements = result.elements(store, lens=lens)
    wanted_layers = set(layers) if layers is not None else None
    report = ImpactReport(
        Way(way),
        [elements[s] for s in result.starts if s in elements],
        [],
        result,
        elements,
        metamodel,
    )
    steps = (
        metamodel.impact_steps(relation_types)
        if report.way is Way.IMPACT
        else metamodel.dependency_steps(relation_types)
    )
    report.not_followed = demoted_relations(
        store, metamodel, result.reached, {s.relation_type for s in steps}, lens
    )
    for reached in result.affected(include_degraded=include_degraded):
        element = elements.get(reached.id)
        if element is None:
            continue
        et = metamodel.element_types.get(element.type)
        layer = et.layer if et else "unknown"
        if wanted_layers is not None and layer not in wanted_layers:
            continue
        report.affected.append(
            Affected(
                element=element,
                layer=layer,
                distance=reached.distance,
                state=reached.state,
                path=report.path_to(reached.id) if paths else [],
                missing=reached.missing,
            )
        )
    return report


def demoted_relations(
    store: GraphStore,
    metamodel: Metamodel,
    ids: Iterable[str],
    followed: Collection[str],
    lens: Lens = CURRENT,
) -> dict[str, int]:
    """How many relations touching ``ids``, of a type not in ``followed``, are ArchiMate
    relationships kept as something else (``archimate_type`` set, usually
    ``associated_with``) because the metamodel does not allow them between their ends;
    by ArchiMate type, in name order.

    These are the dependencies an impact or dependency analysis may be missing: the
    model says Flow or Access, the repository could only keep an association.
    """
    # One level of expansion along every type not followed, both ways: the indexed path
    # the traversal itself takes (a relation with both ends reached comes twice).
    steps = [
        Step(name, direction)
        for name in sorted(metamodel.relation_types)
        if name not in followed
        for direction in (Direction.OUT, Direction.IN)
    ]
    if not steps:
        return {}
    demoted = {
        hop.relation.id: str(hop.relation.attrs["archimate_type"])
        for hop in store.neighbors(ids, steps, lens)
        if hop.relation.attrs.get("archimate_type")
    }
    return dict(sorted(Counter(demoted.values()).items()))
