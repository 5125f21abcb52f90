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

Each wave's cut-over then lists what it *touches*: every relation carrying a
dependency, data flows included, between an element of the wave and one that
stays - what stays and depends on the wave (an application using a database
that moves, the receiver of its data, a process it serves: re-point, test,
warn) and what the wave depends on that stays (a directory, the sender of a
feed: keep it reachable from where the wave goes).

Select what moves with ``in:X`` (what is hosted in X) rather than ``+X``
(everything that depends on X, flows and users included).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from ..metamodel import Dependent, Metamodel
from ..model import CURRENT, Element, Lens, Relation
from ..results import Table
from ..runtime import gc_paused
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

    COLUMNS = ("wave", "element", "needs", "in wave", "relation")

    def row(self) -> list[Any]:
        """The dependency as a table row, under :attr:`COLUMNS`."""
        return [
            self.dependent_wave,
            self.dependent.name,
            self.dependency.name,
            self.dependency_wave,
            self.relation.type,
        ]


@dataclass(frozen=True)
class Touch:
    """A relation between ``moving`` (in a wave) and ``element``, which stays.

    ``depends``: the element that stays depends on the moving one - it needs it
    (re-point, test, warn); otherwise the moving one needs it (keep it reachable
    from where the wave goes, re-point a feed it sends).
    A relation whose ends depend on each other gives one of each.
    """

    element: Element
    relation: Relation
    moving: Element
    depends: bool
    link: str  # the relation read from the element that stays: "receives data from", "uses"

    COLUMNS = ("stays", "type", "link", "moving", "interface", "dependency")

    def row(self) -> list[Any]:
        """The touch as a cut-over row, under :attr:`COLUMNS`."""
        return [
            self.element.name,
            self.element.type,
            self.link,
            self.moving.name,
            self.relation.attrs.get("interface_id"),
            "needs it" if self.depends else "needed by it",
        ]

    def to_data(self) -> dict[str, Any]:
        """The touch as JSON-ready data, elements by id."""
        return {
            "element": self.element.id,
            "relation": self.relation.id,
            "type": self.relation.type,
            "link": self.link,
            "moving": self.moving.id,
            "depends": self.depends,
        }


@dataclass
class Wave:
    """One migration wave: what moves, and its cut-over (what stays but is touched)."""

    number: int
    elements: list[Element]
    groups: int  # how many independent groups it packs
    oversized: bool = False  # one block (a dependency cycle) larger than the cap
    touched: list[Touch] = field(default_factory=list)


@dataclass
class WavesReport:
    """The answer to ``ea waves``."""

    waves: list[Wave]
    cross: list[CrossDependency]

    @property
    def touched(self) -> list[Element]:
        """The elements that stay but are touched by some wave, ordered by id, each once."""
        found = {t.element.id: t.element for w in self.waves for t in w.touched}
        return [found[i] for i in sorted(found)]

    # -- presentation: the same for the command line, the studies and an API ------------

    def to_tables(self) -> list[Table]:
        """Per wave what moves and its cut-over, then the dependencies across waves."""
        tables = []
        for w in self.waves:
            tables.append(
                Table(
                    f"wave {w.number}: {len(w.elements)} element(s) move, {w.groups} group(s)"
                    + (" — a dependency cycle larger than the cap" if w.oversized else ""),
                    ["element", "name", "type"],
                    [[e.id, e.name, e.type] for e in w.elements],
                )
            )
            tables.append(
                Table(
                    f"wave {w.number} cut-over: {len(w.touched)} link(s) with what stays",
                    list(Touch.COLUMNS),
                    [t.row() for t in w.touched],
                )
            )
        tables.append(
            Table(
                f"cross-wave dependencies: {len(self.cross)}",
                list(CrossDependency.COLUMNS),
                [c.row() for c in self.cross],
            )
        )
        return tables

    def notes(self) -> list[str]:
        """What to read beside the tables: how much moves, in how many waves."""
        return [
            f"{sum(len(w.elements) for w in self.waves)} element(s) move in "
            f"{len(self.waves)} wave(s); {len(self.touched)} that stay are touched"
        ]

    def to_data(self) -> dict[str, Any]:
        """The plan as JSON-ready data: waves with their elements and cut-over, cross-wave
        dependencies, and the ids of everything touched."""
        return {
            "waves": [
                {
                    "wave": w.number,
                    "elements": [e.id for e in w.elements],
                    "groups": w.groups,
                    "oversized": w.oversized,
                    "touched": [t.to_data() for t in w.touched],
                }
                for w in self.waves
            ],
            "cross": [
                {
                    "dependent": c.dependent.id,
                    "wave": c.dependent_wave,
                    "dependency": c.dependency.id,
                    "dependency_wave": c.dependency_wave,
                    "relation": c.relation.type,
                }
                for c in self.cross
            ],
            "touched": [e.id for e in self.touched],
        }


def _edges(
    store: GraphStore,
    metamodel: Metamodel,
    selected: set[str],
    lens: Lens,
    *,
    dependents: bool = False,
    exclude: Collection[str] = (),
) -> list[tuple[str, str, Relation]]:
    """(selected element, neighbour, relation) for each dependency of a ``selected`` element
    (``dependents``: for each element depending on one), data flows included; neighbours in
    ``exclude`` left out.

    One batched expansion from the selection, in relation id order (a relation
    that binds both ways: its source's edge first).
    """
    types = [
        rt.name for rt in metamodel.relation_types.values() if rt.dependent is not Dependent.NONE
    ]
    if not selected or not types:
        return []
    steps = (metamodel.impact_steps if dependents else metamodel.dependency_steps)(types)
    hops = store.neighbors(sorted(selected), steps, lens, exclude)
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
) -> WavesReport:
    """Plan migration waves for the elements ``ids`` (narrowed to ``layers``; None keeps all).

    Each wave lists what it touches: the relations carrying a dependency
    between its elements and elements that do not move (see :class:`Touch`).

    >>> # plan_waves(store, mm, select_ids(store, mm, 'in:"DC Lyon Sud"'), max_size=40)
    """
    if max_size < 1:
        raise ValueError("max_size must be at least 1")
    with gc_paused():  # hundreds of thousands of hops at a datacenter's scale
        return _plan(store, metamodel, set(ids), max_size, layers, lens)


def _plan(
    store: GraphStore,
    metamodel: Metamodel,
    chosen: set[str],
    max_size: int,
    layers: Iterable[str] | None,
    lens: Lens,
) -> WavesReport:
    elements = store.get_elements(chosen, lens)
    if layers is not None:
        wanted = set(layers)
        elements = {
            i: e
            for i, e in elements.items()
            if (et := metamodel.element_types.get(e.type)) is not None and et.layer in wanted
        }
    selected = set(elements)
    # One expansion serves the plan (within the selection) and the cut-over (beyond it).
    needs = _edges(store, metamodel, selected, lens)
    # Data flows couple systems but do not tie them to one place: they cross a
    # migration (as they cross the network) and are not what must move together.
    flows = {rt.name for rt in metamodel.relation_types.values() if rt.degrades}
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(selected))
    inside = [(a, b, r) for a, b, r in needs if b in selected and a != b and r.type not in flows]
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
    beyond = [(a, b, r) for a, b, r in needs if b not in chosen]
    _touch(store, metamodel, chosen, elements, beyond, lens, result_waves, wave_of)
    return WavesReport(result_waves, cross)


def _touch(
    store: GraphStore,
    metamodel: Metamodel,
    chosen: set[str],
    elements: dict[str, Element],
    needs: list[tuple[str, str, Relation]],
    lens: Lens,
    waves: list[Wave],
    wave_of: dict[str, int],
) -> None:
    """Fill each wave's ``touched``: its relations with what stays, flows included
    (``needs``: the dependencies of what moves on what was not chosen, as :func:`_edges` gives).

    What was chosen but does not move (the datacenter itself, outside the
    layers that move) is not touched: it is what the move empties. What the
    wave depends on is listed when it is a data flow's sender or when it is
    placed somewhere (stands on something through a hosting relationship): a
    catalog release or a logical data object is reachable from anywhere.
    Ordered by what stays (its id), then relation and moving element.
    """
    # What was chosen is left out by the store: in a large move most relations stay inside it.
    dependents = _edges(store, metamodel, set(elements), lens, dependents=True, exclude=chosen)
    found = [(a, b, r, True) for a, b, r in dependents] + [(a, b, r, False) for a, b, r in needs]
    staying = store.get_elements({b for _, b, _, _ in found}, lens)
    needed = sorted({b for _, b, _, depends in found if not depends and b in staying})
    hosting = metamodel.hosting_types
    placed = (
        {h.origin for h in store.neighbors(needed, metamodel.dependency_steps(hosting), lens)}
        if hosting and needed
        else set(needed)
    )
    seen: set[tuple[str, str, bool]] = set()
    for a, b, r, depends in sorted(found, key=lambda t: (t[1], t[2].id, t[0], not t[3])):
        if b not in staying or (r.id, b, depends) in seen:
            continue
        rt = metamodel.relation_types.get(r.type)
        if not (depends or b in placed or (rt is not None and rt.degrades)):
            continue
        seen.add((r.id, b, depends))
        link = (rt.label if r.src == b else rt.reverse_label) if rt else r.type
        waves[wave_of[a] - 1].touched.append(Touch(staying[b], r, elements[a], depends, link))


_SHARED = -1  # no block: the condensation numbers its blocks from 0


def _stacks(
    condensed: nx.DiGraph, group: list[int], members: dict[int, list[str]]
) -> tuple[list[int], list[list[int]]]:
    """Split an oversized group into its foundation (shared) and one stack per top-level block.

    Both keep the group's order (dependencies first).
    """
    # A group is a whole weakly connected component: what its blocks depend on is in it.
    # The roots a block serves are those of its dependents (and itself, if a root): one
    # pass, dependents first (the group's order reversed), keeps its only root, or
    # SHARED once it has two - a root per descendant search was quadratic in the group.
    owner: dict[int, int] = {}
    roots = []
    for b in reversed(group):
        found = {owner[p] for p in condensed.predecessors(b)}
        if not found:
            roots.append(b)
            owner[b] = b
        else:
            owner[b] = found.pop() if len(found) == 1 else _SHARED
    foundation = [b for b in group if owner[b] == _SHARED]
    # One pass over the group (already in its order) deals each block to its only owner.
    owned: dict[int, list[int]] = defaultdict(list)
    for b in group:
        if owner[b] != _SHARED:
            owned[owner[b]].append(b)
    stacks = [owned[root] for root in sorted(roots, key=lambda r: members[r][0]) if owned[root]]
    return foundation, stacks


def moving_hint(selector: str) -> str | None:
    """What to say when ``selector`` moves a place with ``+`` (everything depending on it)
    where ``in:`` (what it hosts) is likely meant; None otherwise."""
    from ..selection import Atom, Method, parse_selector

    for atom in parse_selector(selector).atoms():
        if atom.dependents and atom.method in (Method.ELEMENT, Method.ID):
            place = Atom(Method.ELEMENT, atom.value).to_text()
            return (
                f"+{place} moves everything that depends on {place}, users and flow "
                f"receivers elsewhere included; to move what is hosted in it: in:{place}"
            )
    return None
