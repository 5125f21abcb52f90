"""Impact and dependencies: what is affected if X changes or fails, and what X needs — with the why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..metamodel import LAYERS, Metamodel
from ..model import CURRENT, Direction, Element, ElementId, Hop, Lens, Step
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
