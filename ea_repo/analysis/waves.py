"""Migration waves: which elements must move together, in which order, in waves of capped size.

The elements to move (a selection, e.g. everything hosted in a datacenter)
form a directed graph: each relation between two of them whose type carries a
dependency (data flows excepted: they cross a move like they cross the network)
points from the dependent to what it depends on. Then

1. elements that depend on each other in a cycle must move together: the
   strongly connected components are indivisible *blocks*;
2. blocks linked by dependencies form *groups* (weakly connected components):
   moving a group together leaves no dependency across the move;
3. groups are packed into waves of at most ``max_size`` elements (first fit,
   largest first). A group larger than that is split into *stacks*: each
   top-level element (nothing in the group depends on it, typically an
   application) with what only it needs; what several stacks share (clusters,
   hypervisors, directories) is the group's *foundation* and moves first. The
   dependencies cut by the split are the cross-wave dependencies to plan
   around.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from ..metamodel import Dependent, Metamodel
from ..model import CURRENT, Element, Lens, Relation
from ..store import GraphStore

MOVABLE_LAYERS = ("application", "data", "technology")


@dataclass(frozen=True)
class CrossDependency:
    """A dependency that a wave boundary cuts: ``dependent`` (in one wave) needs ``dependency``."""

    dependent: Element
    dependent_wave: int
    dependency: Element
    dependency_wave: int
    relation: Relation


@dataclass
class Wave:
    """One migration wave."""

    number: int
    elements: list[Element]
    groups: int  # how many independent groups it packs
    oversized: bool = False  # one block (a dependency cycle) larger than the cap


@dataclass
class WavesReport:
    """The answer to ``ea waves``."""

    waves: list[Wave]
    cross: list[CrossDependency]
    outside: list[tuple[Element, Element, Relation]] = field(default_factory=list)
    # (selected element, what it depends on outside the selection, relation)


def _dependency_edges(
    store: GraphStore, metamodel: Metamodel, selected: set[str], lens: Lens
) -> list[tuple[str, str, Relation]]:
    """(dependent, dependency, relation) for each dependency of a ``selected`` element.

    One batched expansion from the selection along the dependency steps, in
    relation id order (a relation that binds both ways: its source's edge first).
    """
    # Data flows couple systems but do not tie them to one place: they cross a
    # migration (as they cross the network) and are not what must move together.
    types = [
        rt.name
        for rt in metamodel.relation_types.values()
        if rt.dependent is not Dependent.NONE and not rt.degrades
    ]
    if not selected or not types:
        return []
    hops = store.neighbors(sorted(selected), metamodel.dependency_steps(types), lens)
    hops.sort(key=lambda h: (h.relation.id, h.origin != h.relation.src, h.direction))
    return [(h.origin, h.target, h.relation) for h in hops]


def plan_waves(
    store: GraphStore,
    metamodel: Metamodel,
    ids: Iterable[str],
    *,
    max_size: int = 50,
    layers: Iterable[str] | None = MOVABLE_LAYERS,
    lens: Lens = CURRENT,
    outside: bool = True,
) -> WavesReport:
    """Plan migration waves for the elements ``ids`` (narrowed to ``layers``; None keeps all).

    ``outside=False`` leaves the report's ``outside`` list empty (what the
    selection needs elsewhere: a diagram of the waves does not draw it).
    """
    if max_size < 1:
        raise ValueError("max_size must be at least 1")
    elements = store.get_elements(ids, lens)
    if layers is not None:
        wanted = set(layers)
        elements = {
            i: e
            for i, e in elements.items()
            if (et := metamodel.element_types.get(e.type)) is not None and et.layer in wanted
        }
    selected = set(elements)
    edges = _dependency_edges(store, metamodel, selected, lens)
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(selected))
    inside = [(a, b, r) for a, b, r in edges if a in selected and b in selected and a != b]
    graph.add_edges_from((a, b) for a, b, _ in inside)

    condensed = nx.condensation(graph)  # nodes: blocks; edges: dependent block → dependency block
    members = {n: sorted(condensed.nodes[n]["members"]) for n in condensed.nodes}
    # Dependencies first: reverse topological order of dependent → dependency edges; ties by name.
    order = list(
        nx.lexicographical_topological_sort(
            condensed.reverse(copy=False), key=lambda n: members[n][0]
        )
    )
    rank = {n: i for i, n in enumerate(order)}
    groups = sorted(
        (
            sorted(component, key=rank.__getitem__)
            for component in nx.weakly_connected_components(condensed)
        ),
        key=lambda g: (-sum(len(members[b]) for b in g), members[g[0]][0]),
    )

    waves: list[list[int]] = []  # lists of blocks
    counts: list[int] = []
    group_counts: list[int] = []
    first_of_group = 0
    for group in groups:
        size = sum(len(members[b]) for b in group)
        if size <= max_size:
            fit = next((i for i, c in enumerate(counts) if c + size <= max_size), None)
            if fit is None:
                waves.append([])
                counts.append(0)
                group_counts.append(0)
                fit = len(waves) - 1
            waves[fit].extend(group)
            counts[fit] += size
            group_counts[fit] += 1
            continue
        foundation, stacks = _stacks(condensed, group, members)
        for part in [foundation, *stacks]:
            part_size = sum(len(members[b]) for b in part)
            if part is not foundation and part_size <= max_size:
                fit = next(
                    (
                        i
                        for i in range(first_of_group, len(counts))
                        if counts[i] + part_size <= max_size
                    ),
                    None,
                )
                if fit is not None:
                    waves[fit].extend(part)
                    counts[fit] += part_size
                    continue
            # A new wave (or several: a part larger than the cap goes in dependency order).
            current: list[int] = []
            current_size = 0
            for block in part:
                n = len(members[block])
                if current and current_size + n > max_size:
                    waves.append(current)
                    counts.append(current_size)
                    group_counts.append(1)
                    current, current_size = [], 0
                current.append(block)
                current_size += n
            if current:
                waves.append(current)
                counts.append(current_size)
                group_counts.append(1)
            if part is foundation:
                first_of_group = len(waves)  # stacks go after the foundation

    wave_of: dict[str, int] = {}
    result_waves = []
    waves = [w for w in waves if w]
    for number, blocks in enumerate(waves, start=1):
        ids_in_wave = [i for b in blocks for i in members[b]]
        for i in ids_in_wave:
            wave_of[i] = number
        result_waves.append(
            Wave(
                number,
                [elements[i] for i in ids_in_wave],
                group_counts[number - 1],
                oversized=any(len(members[b]) > max_size for b in blocks),
            )
        )
    cut = [(a, b, r) for a, b, r in inside if wave_of[a] != wave_of[b]]
    cross = sorted(
        (CrossDependency(elements[a], wave_of[a], elements[b], wave_of[b], r) for a, b, r in cut),
        key=lambda c: (c.dependent_wave, c.dependency_wave, c.dependent.id, c.dependency.id),
    )
    if not outside:
        return WavesReport(result_waves, cross)
    outside_ids = {b for a, b, _ in edges if a in selected and b not in selected}
    outside_elements = store.get_elements(outside_ids, lens)
    beyond = [(a, b, r) for a, b, r in edges if a in selected and b in outside_elements]
    needed = sorted(
        ((elements[a], outside_elements[b], r) for a, b, r in beyond),
        key=lambda t: (t[0].id, t[1].id),
    )
    return WavesReport(result_waves, cross, needed)


def _stacks(
    condensed: nx.DiGraph, group: list[int], members: dict[int, list[str]]
) -> tuple[list[int], list[list[int]]]:
    """Split an oversized group into its foundation (shared) and one stack per top-level block.

    Both keep the group's order (dependencies first).
    """
    in_group = set(group)
    roots = [b for b in group if not any(p in in_group for p in condensed.predecessors(b))]
    owners: dict[int, set[int]] = {b: set() for b in group}
    for root in roots:
        for block in nx.descendants(condensed, root) | {root}:
            if block in in_group:
                owners[block].add(root)
    foundation = [b for b in group if len(owners[b]) > 1]
    # One pass over the group (already in its order) deals each block to its only owner.
    owned: dict[int, list[int]] = defaultdict(list)
    for b in group:
        if len(owners[b]) == 1:
            owned[next(iter(owners[b]))].append(b)
    stacks = [owned[root] for root in sorted(roots, key=lambda r: members[r][0]) if owned[root]]
    return foundation, stacks
