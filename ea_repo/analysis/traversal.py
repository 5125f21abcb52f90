"""The traversal engine every analysis shares.

Level-synchronous breadth-first expansion through
:meth:`GraphStore.expand` — one store query per level, or one for several
levels where a query costs a round trip (Neo4j) — following each relationship
type in the direction its metamodel ``dependent`` declares. For every element reached it keeps the distance and
every hop that reached it at that distance, so any answer can show *why*: the
shortest paths from the starts.

Redundancy: for a relationship type marked ``redundant`` (a cluster and its
members), a dependent reached through it is only *degraded* while some of its
redundant dependencies of that type are still up; it goes *down*, and impact
travels on through it, once all of them are down. A relationship type whose
``impact`` is ``degraded`` (data flows) leaves what it reaches degraded: the
receiver misses a feed but keeps running, and impact stops there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..metamodel import Metamodel
from ..model import CURRENT, Direction, Element, ElementId, Hop, Lens, Step
from ..runtime import gc_paused
from ..store import GraphStore


class Way(StrEnum):
    """Which way to traverse: to what depends on the starts, or to what they depend on."""

    IMPACT = "impact"
    DEPENDENCIES = "dependencies"


class State(StrEnum):
    """What happens to an element reached by impact."""

    START = "start"
    DOWN = "down"  # loses service
    DEGRADED = "degraded"  # loses redundancy, still served


@dataclass
class Reached:
    """An element reached: its distance from the starts and every hop that reached it there."""

    id: ElementId
    distance: int
    state: State
    via: list[Hop] = field(default_factory=list)
    missing: list[ElementId] = field(default_factory=list)  # degraded: redundant peers still up


@dataclass
class Traversal:
    """The result of a traversal: what was reached, how far, and by which hops."""

    way: Way
    starts: list[ElementId]
    reached: dict[ElementId, Reached]
    max_depth: int | None
    truncated: bool = False  # the depth limit stopped expansion with a frontier left
    # Elements read on the way (the starts, and what the store gave with its hops)
    known: dict[str, Element] = field(default_factory=dict, repr=False)

    def __contains__(self, element_id: object) -> bool:
        return element_id in self.reached

    def affected(self, *, include_degraded: bool = True) -> list[Reached]:
        """Everything reached but the starts, by distance then id."""
        wanted = {State.DOWN, State.DEGRADED} if include_degraded else {State.DOWN}
        return sorted(
            (r for r in self.reached.values() if r.state in wanted),
            key=lambda r: (r.distance, r.id),
        )

    def elements(
        self, store: GraphStore, ids: Iterable[ElementId] | None = None, lens: Lens = CURRENT
    ) -> dict[str, Element]:
        """The elements reached (or ``ids`` of them), as ``lens`` shows them: those read on
        the way, the others from the store."""
        return read_elements(store, self.known, self.reached if ids is None else ids, lens)

    def path(self, target: str) -> list[Hop]:
        """One shortest path from a start to ``target`` (the first in id order); [] for a start."""
        hops: list[Hop] = []
        current = self.reached[ElementId(target)]
        while current.via:
            hop = current.via[0]
            hops.append(hop)
            current = self.reached[hop.origin]
        return hops[::-1]

    def path_count(self, target: str) -> int:
        """How many shortest paths lead from a start to ``target`` (0 if not reached)."""
        if target not in self.reached:
            return 0
        counts: dict[ElementId, int] = {}
        # Every hop leads from an element one step nearer: count nearest first.
        for node in sorted(self.reached.values(), key=lambda r: r.distance):
            counts[node.id] = sum(counts.get(h.origin, 0) for h in node.via) if node.via else 1
            if node.id == target:
                break
        return counts[ElementId(target)]

    def paths(self, target: str, limit: int = 100) -> list[list[Hop]]:
        """Every shortest path from a start to ``target`` (at most ``limit``)."""
        results: list[list[Hop]] = []

        def walk(node: ElementId, suffix: list[Hop]) -> Iterator[list[Hop]]:
            reached = self.reached[node]
            if not reached.via:
                yield suffix[::-1]
                return
            for hop in reached.via:
                yield from walk(hop.origin, [*suffix, hop])

        for p in walk(ElementId(target), []):
            results.append(p)
            if len(results) >= limit:
                break
        return results


def _steps(
    metamodel: Metamodel, way: Way, relation_types: Iterable[str] | None
) -> tuple[Step, ...]:
    if way is Way.IMPACT:
        return metamodel.impact_steps(relation_types)
    return metamodel.dependency_steps(relation_types)


def _hop_key(hop: Hop) -> tuple[str, str, str, str]:
    return (hop.target, hop.origin, hop.relation.type, hop.relation.id)


def traverse(
    store: GraphStore,
    metamodel: Metamodel,
    starts: Iterable[str],
    *,
    way: Way | str = Way.IMPACT,
    max_depth: int | None = None,
    relation_types: Iterable[str] | None = None,
    lens: Lens = CURRENT,
    redundancy: bool = True,
) -> Traversal:
    """Expand from ``starts`` level by level, recording distance and hops.

    ``way``: ``impact`` follows dependencies to their dependents,
    ``dependencies`` the reverse. ``max_depth`` limits the number of levels;
    ``relation_types`` restricts which relationship types are followed; the
    ``lens`` decides what is visible (retired items are not, by default).
    Redundancy rules apply to impact only. Cycles terminate: an element is
    reached once, at its shortest distance. Starts the lens hides are
    dropped: they are missing from the result's ``starts``.

    >>> # result = traverse(store, mm, ["srv-db01"]); result.path("crm")
    """
    with gc_paused():
        return _traverse(
            store, metamodel, starts, Way(way), max_depth, relation_types, lens, redundancy
        )


def _traverse(
    store: GraphStore,
    metamodel: Metamodel,
    starts: Iterable[str],
    way: Way,
    max_depth: int | None,
    relation_types: Iterable[str] | None,
    lens: Lens,
    redundancy: bool,
) -> Traversal:
    steps = _steps(metamodel, way, relation_types)
    impact_rules = way is Way.IMPACT
    redundant_types = (
        {rt.name for rt in metamodel.relation_types.values() if rt.redundant}
        if redundancy and impact_rules
        else set()
    )
    # Losing a dependency over a degrading relation (a data feed) degrades its dependent
    # and goes no further. Impact: such a hop makes its target degraded, which spreads no
    # further. Dependencies, the mirror: such a hop is followed from the start only, and
    # what is reached through it counts as degraded (its loss would degrade the start).
    degrading_types = {rt.name for rt in metamodel.relation_types.values() if rt.degrades}
    # What a hop of a degrading type reaches is not expanded by impact: a store answering
    # several levels at once need not go beyond it. Dependencies follow such hops from
    # the start and on, so nothing stops a look ahead there.
    levels = Levels(store, steps, lens, degrading_types if impact_rules else frozenset())
    start_ids = list(dict.fromkeys(ElementId(s) for s in starts))
    # A start the lens hides (retired) is not there to start from: dropped, as its relations are.
    shown = levels.start(start_ids, None if max_depth is None else max_depth + 1)
    start_ids = [s for s in start_ids if s in shown]
    read = dict(shown)
    reached: dict[ElementId, Reached] = {s: Reached(s, 0, State.START) for s in start_ids}
    peers_cache: dict[tuple[ElementId, str], set[ElementId]] = {}
    frontier = start_ids
    depth = 0
    truncated = False
    while frontier:
        # Elements reached at an earlier level (down) cannot be reached again at a
        # shorter distance: the store drops those hops before building them.
        settled = {i for i, r in reached.items() if r.state is not State.DEGRADED}
        if max_depth is not None and depth >= max_depth:
            # Stopped with something left beyond: an element not reached yet, or one
            # only degraded so far (a hop back into what is down changes nothing).
            truncated = levels.beyond(frontier, settled)
            break
        depth += 1
        # The levels still wanted: this one, those up to the limit, and the look past it.
        wanted = None if max_depth is None else max_depth - depth + 2
        hops = levels.hops(frontier, settled, wanted)
        # Each origin as it was expanded: an element degraded at an earlier level and brought
        # down at this one is expanded twice, and its hops of each time keep their own state,
        # whatever order the store gives them in.
        expanded = {i: reached[i].state for i in frontier}
        plain: dict[ElementId, list[Hop]] = defaultdict(list)
        redundant: dict[ElementId, list[Hop]] = defaultdict(list)
        degrading: dict[ElementId, list[Hop]] = defaultdict(list)
        for hop in hops:
            known = reached.get(hop.target)
            if known is not None and known.state is not State.DEGRADED:
                if known.distance == depth and known.state is State.DOWN:
                    known.via.append(hop)  # another shortest path
                continue
            if hop.relation.type in degrading_types:
                if impact_rules or depth == 1:
                    degrading[hop.target].append(hop)
            elif hop.relation.type in redundant_types:
                redundant[hop.target].append(hop)
            else:
                plain[hop.target].append(hop)
        next_frontier: list[ElementId] = []
        for target, via in plain.items():
            state = State.DOWN
            if not impact_rules and all(expanded[h.origin] is State.DEGRADED for h in via):
                state = State.DEGRADED  # a dependency of a feed: its loss degrades the start
                if target in reached:
                    continue  # degraded already, at a shorter distance
            reached[target] = Reached(target, depth, state, via)
            next_frontier.append(target)
        _load_peers(store, redundant, plain, peers_cache, lens)
        for target, via in redundant.items():
            if target in plain:
                reached[target].via.extend(via)
                continue
            missing = _still_up(target, via, reached, peers_cache, depth)
            if missing:
                previous = reached.get(target)
                if previous is None:
                    reached[target] = Reached(target, depth, State.DEGRADED, via, missing)
                else:
                    previous.via.extend(via)
                    previous.missing = missing
            else:
                reached[target] = Reached(target, depth, State.DOWN, via)
                next_frontier.append(target)
        for target, via in degrading.items():
            if target in plain or target in redundant or target in reached:
                continue  # down, or degraded already (at a shorter distance)
            reached[target] = Reached(target, depth, State.DEGRADED, via)
            if not impact_rules:
                next_frontier.append(target)  # what the feed needs, the start needs softly
        # The store returns hops in no set order: sort each element's hops so that
        # its first (the path shown) is the same on every backend and every run.
        for target in {*plain, *redundant, *degrading}:
            known = reached.get(target)
            if known is not None and len(known.via) > 1:  # most are reached by one hop
                known.via.sort(key=_hop_key)
        frontier = sorted(next_frontier)
    if levels.elements:  # the store's answers reach further than the traversal went
        read.update((i, e) for i, e in levels.elements.items() if i in reached)
    return Traversal(way, start_ids, reached, max_depth, truncated, read)


def read_elements(
    store: GraphStore, known: Mapping[str, Element], ids: Iterable[str], lens: Lens
) -> dict[str, Element]:
    """The elements ``ids`` as ``lens`` shows them, in that order: those in ``known`` (read
    with hops), the others from the store (those it does not show are left out)."""
    wanted = list(ids)
    missing = [i for i in wanted if i not in known]
    found = store.get_elements(missing, lens) if missing else {}
    return {i: known[i] if i in known else found[i] for i in wanted if i in known or i in found}


_FIRST_LOOK = 16
"""How many elements of the frontier :meth:`Levels.beyond` asks the store about first."""


class Levels:
    """The hops of each level of one traversal, keeping what the store answered ahead of it.

    A store may answer several levels in one query (:meth:`GraphStore.expand`):
    the hops of elements beyond the frontier wait here until the traversal gets
    to them, and are asked again only for elements it did not expand.
    """

    def __init__(
        self,
        store: GraphStore,
        steps: tuple[Step, ...],
        lens: Lens,
        stop: Collection[str] = frozenset(),
    ) -> None:
        self.store = store
        self.steps = steps
        self.lens = lens
        self.stop = stop
        self.ahead: dict[ElementId, list[Hop]] = {}
        self.elements: dict[str, Element] = {}  # those the store gave with its hops

    def start(self, ids: list[ElementId], levels: int | None) -> dict[str, Element]:
        """Ask for the first ``levels`` levels from ``ids``; return those of ``ids`` the lens shows.

        The hops wait here for the traversal's first level, as any answered ahead.
        A store that reads the elements asked for with their hops tells which are
        shown in the same answer (on Neo4j a round trip less per traversal); the
        others are read. A hidden element's hops are asked for and never used: a
        start is rarely hidden, and asking first would cost that round trip.
        """
        if ids:
            own = self._ask(ids, ids, levels)
            self.ahead.update((i, []) for i in ids)
            for hop in own:
                self.ahead[hop.origin].append(hop)
        return read_elements(self.store, self.elements, ids, self.lens)

    def hops(
        self, frontier: list[ElementId], exclude: Collection[str], levels: int | None
    ) -> list[Hop]:
        """Every hop from ``frontier`` (those into ``exclude`` may be left out)."""
        ahead = self.ahead
        hops: list[Hop] = []
        missing = frontier
        if ahead:
            missing = []
            for origin in frontier:
                known = ahead.pop(origin, None)
                if known is None:
                    missing.append(origin)
                else:
                    hops.extend(known)
        if missing:
            hops.extend(self._ask(missing, exclude, levels))
        return hops

    def beyond(self, frontier: list[ElementId], exclude: Collection[str]) -> bool:
        """Whether some hop from ``frontier`` leads to an element not in ``exclude``.

        One such hop answers: the hops answered ahead are looked at first, then the
        store's are asked for a few elements at a time, four times more each time (an
        impact to depth 1 of a datacenter asked for every hop of its 4 000 servers
        when those of the first server already said that the depth limit cut).
        """
        missing = []
        for origin in frontier:
            known = self.ahead.get(origin)
            if known is None:
                missing.append(origin)
            elif any(hop.target not in exclude for hop in known):
                return True
        size = _FIRST_LOOK
        while missing:
            asked, missing = missing[:size], missing[size:]
            if any(hop.target not in exclude for hop in self._ask(asked, exclude, 1)):
                return True
            size *= 4
        return False

    def _ask(self, ids: list[ElementId], exclude: Collection[str], levels: int | None) -> list[Hop]:
        """The hops of ``ids``, from the store; those of elements it answered beyond them
        are kept for later, and the elements it gave with them."""
        got = self.store.expand(
            ids, self.steps, self.lens, exclude=exclude, levels=levels, stop=self.stop
        )
        self.elements.update(got.elements)
        if len(got.origins) == len(ids):  # one level: nothing to keep
            return got.hops
        asked, ahead = set(ids), self.ahead
        # An element kept from an earlier answer keeps its hops: they are all there already.
        fresh = {ElementId(o) for o in got.origins if o not in asked and o not in ahead}
        for origin in fresh:
            ahead[origin] = []
        hops: list[Hop] = []
        for hop in got.hops:
            if hop.origin in asked:
                hops.append(hop)
            elif hop.origin in fresh:
                ahead[hop.origin].append(hop)
        return hops


def _back(direction: Direction) -> Direction:
    return Direction.IN if direction is Direction.OUT else Direction.OUT


def _load_peers(
    store: GraphStore,
    redundant: dict[ElementId, list[Hop]],
    plain: dict[ElementId, list[Hop]],
    cache: dict[tuple[ElementId, str], set[ElementId]],
    lens: Lens,
) -> None:
    """Fetch, one query per (type, direction), the redundant peers of this level's targets."""
    wanted: dict[Step, list[ElementId]] = defaultdict(list)
    for target, via in redundant.items():
        if target in plain:
            continue
        for hop in via:
            key = (target, hop.relation.type)
            if key not in cache:
                cache[key] = set()
                wanted[Step(hop.relation.type, _back(hop.direction))].append(target)
    for step, targets in wanted.items():
        for hop in store.neighbors(targets, [step], lens):
            cache[(hop.origin, step.relation_type)].add(hop.target)


def _still_up(
    target: ElementId,
    via: list[Hop],
    reached: dict[ElementId, Reached],
    cache: dict[tuple[ElementId, str], set[ElementId]],
    depth: int,
) -> list[ElementId]:
    """The redundant peers of ``target`` not down before ``depth``, for the types it was reached by.

    A peer lost at this same level counts from the next one, when its own hop
    arrives: the dependent goes down one step after its last redundant peer.
    """
    missing: set[ElementId] = set()
    for rel_type in sorted({h.relation.type for h in via}):
        key = (target, rel_type)
        up = {
            peer
            for peer in cache[key]
            if peer not in reached
            or reached[peer].state is State.DEGRADED
            or reached[peer].distance >= depth
        }
        if not up:
            return []  # every redundant dependency of this type is down
        missing |= up
    return sorted(missing)
