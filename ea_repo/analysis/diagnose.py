"""Incident diagnosis: from elements reported failing, the common causes that would explain them.

A *candidate* is an element whose failure would explain some of the symptoms:
impact from it (the traversal engine's rules: a cluster with a member still up
is only degraded and serves on, a lost feed degrades its receiver and goes no
further) reaches them. Candidates are ranked by how many symptoms they explain,
then by how many of those they take *down* rather than merely degrade, then by
how near they are (the steps to the symptoms they explain, added up), then by id.

Finding them does not run an impact from every element of the repository. A
cause of a symptom is something the symptom depends on, so the candidates are
the symptoms' dependencies (one traversal per symptom), and the symptoms
themselves (a failing database explains the applications on it). How many
symptoms depend on an element bounds how many it can explain, and their
distances how near it can be: the elements are checked in the order of that
best rank, until no element left could outrank those wanted. Every path of an
impact from a candidate to a symptom lies among that symptom's dependencies, so
each check reads only those (:class:`_Region`, over hops read once for all the
checks), with the same engine, to the same answer as on the whole store. Only
the candidates reported get a full impact, for what else their failure would
break — what to check against the monitoring.

Elements known healthy rule out every candidate whose failure would take one of
them down. When no single candidate explains every symptom, pairs of candidates
that do together are checked by impact from both, and ranked the same way.
"""

from __future__ import annotations

import datetime as dt
import heapq
from bisect import insort
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..errors import (
    EaError,
    InternalError,
    NotFoundError,
    Problem,
    SourceError,
    ValidationError,
    line_text,
)
from ..metamodel import Metamodel
from ..model import CURRENT, Element, ElementId, Hop, Lens, Step
from ..results import Table
from ..runtime import gc_paused
from ..store import GraphStore
from ..store.base import Expansion
from .impact import PathStep, path_text, shortest_steps
from .traversal import State, Traversal, Way, traverse

if TYPE_CHECKING:
    from ..repository import Repository
    from .incidents import IncidentsReport

DEFAULT_MAX = 3
"""Candidates (and pairs) reported by default: each costs a full impact (what else it breaks)."""
BREAKS_LISTED = 5
"""What else a reported candidate would take down: listed up to this many (all are counted)."""
PAIR_POOL = 60
"""Pairs are sought among the best-ranked candidates, at most this many."""
PAIR_CHECKS = 500
"""At most this many covering pairs are checked by impact from both."""
SYMPTOM_COLUMNS = ("ci", "configuration item", "cmdb_ci", "id", "name")
"""The columns of a symptoms file naming the element reported failing, in order of preference."""


@dataclass(frozen=True)
class Explained:
    """A symptom a candidate explains: how (down or degraded), how far, and the path."""

    symptom: Element
    state: State  # START: the candidate is this symptom itself
    distance: int
    path: list[PathStep]

    @property
    def down(self) -> bool:
        """Whether the failure takes the symptom down (or is the symptom), not just degrades it."""
        return self.state is not State.DEGRADED

    def to_data(self) -> dict[str, Any]:
        return {
            "symptom": self.symptom.id,
            "state": "down" if self.state is State.START else self.state.value,
            "distance": self.distance,
            "path": [s.to_data(label=True) for s in self.path],
        }


@dataclass(frozen=True)
class Broken:
    """An element that is not a symptom but that a candidate's failure would affect."""

    element: Element
    state: State
    distance: int


@dataclass(frozen=True)
class Breaks:
    """What else a candidate's failure would break: counted, the nearest listed."""

    down: int
    degraded: int
    listed: list[Broken]  # down ones first, nearest first, at most BREAKS_LISTED

    def counts(self) -> str:
        """``12 down, 3 degraded``."""
        return f"{self.down} down, {self.degraded} degraded"


@dataclass(frozen=True)
class Candidate:
    """An element whose failure would explain some of the symptoms."""

    element: Element
    explained: list[Explained]  # in the order of the symptoms
    unexplained: list[Element]
    breaks: Breaks | None = None  # for the candidates reported

    @property
    def down(self) -> int:
        """How many symptoms the failure takes down."""
        return sum(e.down for e in self.explained)

    @property
    def distance(self) -> int:
        """The steps from the candidate to the symptoms it explains, added up."""
        return sum(e.distance for e in self.explained)

    def rank_key(self) -> tuple[int, int, int, str]:
        """More symptoms explained first, then more taken down, then nearer, then by id."""
        return (-len(self.explained), -self.down, self.distance, self.element.id)


@dataclass(frozen=True)
class Pair:
    """Two candidates whose joint failure explains every symptom, where no single one does."""

    causes: tuple[Element, Element]
    explained: list[Explained]  # paths from whichever of the two is nearer

    @property
    def down(self) -> int:
        return sum(e.down for e in self.explained)

    @property
    def distance(self) -> int:
        return sum(e.distance for e in self.explained)

    def rank_key(self) -> tuple[int, int, str, str]:
        return (-self.down, self.distance, self.causes[0].id, self.causes[1].id)


@dataclass(frozen=True)
class RuledOut:
    """A candidate whose failure would take down an element known to work."""

    element: Element
    explains: int
    healthy: Element


@dataclass
class DiagnosisReport:
    """The answer to ``ea diagnose``: the ranked candidates, pairs when none explains all."""

    symptoms: list[Element]
    healthy: list[Element]
    candidates: list[Candidate]  # the best-ranked, at most the limit asked
    found: int  # candidates checked that explain a symptom and are not ruled out
    pairs: list[Pair] = field(default_factory=list)
    ruled_out: list[RuledOut] = field(default_factory=list)
    suspects: int = 0  # elements the symptoms depend on (themselves included)
    checked: int = 0  # of those, checked by impact: the others could not rank higher

    def to_tables(self) -> list[Table]:
        """The candidates, one row each; a table of paths per candidate; the pairs."""
        n = len(self.symptoms)
        tables = [
            Table(
                f"causes that would explain the symptoms (the first {len(self.candidates)})",
                ["rank", "candidate", "name", "type", "explains", "down", "steps", "also breaks"],
                [
                    [
                        i,
                        c.element.id,
                        c.element.name,
                        c.element.type,
                        f"{len(c.explained)}/{n}",
                        c.down,
                        c.distance,
                        c.breaks.counts() if c.breaks else "",
                    ]
                    for i, c in enumerate(self.candidates, start=1)
                ],
            )
        ]
        for i, c in enumerate(self.candidates, start=1):
            rows = [_explained_row(e) for e in c.explained]
            rows += [[s.id, s.name, "not explained", "", ""] for s in c.unexplained]
            for x in c.breaks.listed if c.breaks else []:
                rows.append([x.element.id, x.element.name, f"also {x.state.value}", x.distance, ""])
            tables.append(Table(f"{i}. {c.element.name} ({c.element.id})", _PATH_COLUMNS, rows))
        for i, p in enumerate(self.pairs, start=1):
            a, b = p.causes
            rows = [_explained_row(e) for e in p.explained]
            tables.append(
                Table(f"pair {i}: {a.name} ({a.id}) and {b.name} ({b.id})", _PATH_COLUMNS, rows)
            )
        return tables

    def to_data(self) -> dict[str, Any]:
        """The diagnosis as a JSON document."""
        return {
            "analysis": "diagnose",
            "symptoms": [s.id for s in self.symptoms],
            "healthy": [h.id for h in self.healthy],
            "found": self.found,
            "suspects": self.suspects,
            "checked": self.checked,
            "candidates": [
                {
                    "id": c.element.id,
                    "name": c.element.name,
                    "type": c.element.type,
                    "explains": len(c.explained),
                    "down": c.down,
                    "distance": c.distance,
                    "explained": [e.to_data() for e in c.explained],
                    "unexplained": [s.id for s in c.unexplained],
                    "breaks": None if c.breaks is None else _breaks_data(c.breaks),
                }
                for c in self.candidates
            ],
            "pairs": [
                {
                    "causes": [e.id for e in p.causes],
                    "down": p.down,
                    "distance": p.distance,
                    "explained": [e.to_data() for e in p.explained],
                }
                for p in self.pairs
            ],
            "ruled_out": [
                {"id": r.element.id, "explains": r.explains, "would_break": r.healthy.id}
                for r in self.ruled_out
            ],
        }

    def notes(self) -> list[str]:
        """What the tables do not say: the symptoms, what was ruled out, when nothing fits."""
        names = ", ".join(f"{s.name} ({s.id})" for s in self.symptoms)
        found = [
            f"diagnosis of {len(self.symptoms)} symptom(s): {names} — they depend on "
            f"{self.suspects} element(s), {self.checked} checked by impact (the others could "
            "not rank higher)"
        ]
        if self.ruled_out:
            shown = ", ".join(
                f"{r.element.id} (would break {r.healthy.id})" for r in self.ruled_out[:5]
            )
            more = len(self.ruled_out) - 5
            found.append(
                f"ruled out by --healthy: {len(self.ruled_out)} candidate(s): {shown}"
                + (f" and {more} more" if more > 0 else "")
            )
        if not self.candidates:
            found.append("no element of the repository would explain any of these symptoms")
        elif len(self.candidates[0].explained) < len(self.symptoms):
            found.append(
                "no single element explains every symptom"
                + (
                    f": {len(self.pairs)} pair(s) of causes do together"
                    if self.pairs
                    else ", nor does any pair of the best candidates"
                )
            )
        return found


_PATH_COLUMNS = ["element", "name", "state", "steps", "via"]


def _explained_row(e: Explained) -> list[Any]:
    state = "is the cause" if e.state is State.START else e.state.value
    return [e.symptom.id, e.symptom.name, state, e.distance, path_text(e.path)]


def _breaks_data(b: Breaks) -> dict[str, Any]:
    return {
        "down": b.down,
        "degraded": b.degraded,
        "listed": [
            {
                "id": x.element.id,
                "name": x.element.name,
                "type": x.element.type,
                "state": x.state.value,
                "distance": x.distance,
            }
            for x in b.listed
        ],
    }


# -- the analysis ----------------------------------------------------------------------


def diagnose(
    store: GraphStore,
    metamodel: Metamodel,
    symptoms: Iterable[str],
    *,
    healthy: Iterable[str] = (),
    limit: int | None = DEFAULT_MAX,
    lens: Lens = CURRENT,
) -> DiagnosisReport:
    """The elements whose failure would explain ``symptoms``, ranked (see the module).

    ``healthy``: elements known to work; a candidate whose failure would take one
    of them down is ruled out (listed in ``ruled_out``). ``limit``: how many
    candidates and pairs to report (None: every one). A symptom is a candidate
    only when it explains another symptom too. Raises ValidationError when the
    lens shows none of the symptoms.

    >>> # diagnose(store, mm, ["vm-1", "vm-2", "app-crm"]).candidates[0].element.id
    """
    wanted = list(dict.fromkeys(ElementId(s) for s in symptoms))
    sick = store.get_elements(wanted, lens)
    symptom_ids = [s for s in wanted if s in sick]
    if not symptom_ids:
        raise ValidationError("no symptom to diagnose", hint="name the elements reported failing")
    well = list(dict.fromkeys(ElementId(h) for h in healthy))
    both = [h for h in well if h in sick]
    if both:
        raise ValidationError(
            f"{both[0]} is given both as a symptom and as healthy",
            hint="an element reported failing cannot be known to work",
        )
    with gc_paused():  # thousands of small traversals: the collector paused once for all
        return _diagnose(store, metamodel, [sick[s] for s in symptom_ids], well, limit, lens)


def _diagnose(
    store: GraphStore,
    metamodel: Metamodel,
    symptoms: list[Element],
    well: list[ElementId],
    limit: int | None,
    lens: Lens,
) -> DiagnosisReport:
    symptom_ids = [s.id for s in symptoms]
    # What each symptom depends on: the only elements whose failure can reach it. How
    # many symptoms depend on a suspect bounds how many it explains, and the steps from
    # them bound how near it can be: the best rank it could have.
    explains: dict[ElementId, int] = defaultdict(int)
    steps: dict[ElementId, int] = defaultdict(int)
    region: set[str] = set()
    needed = _Reads(store, metamodel, metamodel.dependency_steps(), lens).within()
    for s in symptom_ids:
        needs = needed.traverse([s], Way.DEPENDENCIES)
        for r in needs.reached.values():
            explains[r.id] += 1
            steps[r.id] += r.distance
        region.update(needs.reached)
    # What a known-healthy element depends on: where a candidate could reach it.
    for h in well:
        region.update(needed.traverse([h], Way.DEPENDENCIES).reached)
    impacts = _Reads(store, metamodel, metamodel.impact_steps(), lens)
    near = impacts.within(region)
    well = [h for h in well if h in region]

    def best(suspect: ElementId) -> tuple[int, int, int, str]:
        return (-explains[suspect], -explains[suspect], steps[suspect], suspect)

    suspects = sorted(explains, key=best)
    # The suspects are checked best bound first, until the candidates wanted are known:
    # those ranked so far that no suspect left could outrank. Pairs, when no candidate
    # explains every symptom, are sought among more of them.
    want = len(suspects) if limit is None else limit
    ranked: list[Candidate] = []
    ruled_out: list[RuledOut] = []
    checked = 0

    def known(n: int, suspect: ElementId) -> bool:
        return len(ranked) >= n and ranked[n - 1].rank_key() < best(suspect)

    for suspect in suspects:
        if known(want, suspect):
            if want < PAIR_POOL and len(ranked[0].explained) < len(symptom_ids):
                want = PAIR_POOL
            if known(want, suspect):
                break
        checked += 1
        reach = near.traverse([suspect])
        hit = [s for s in symptom_ids if s in reach.reached]
        if not hit or hit == [suspect]:
            continue  # explains nothing, or only itself
        broken = next((h for h in well if _down(reach, h)), None)
        if broken is not None:
            found = near.read([suspect, broken])
            ruled_out.append(RuledOut(found[suspect], len(hit), found[broken]))
            continue
        near.read(reach.reached)
        paths: dict[ElementId, list[PathStep]] = {}
        explained = [_explained(near, reach, s, paths) for s in hit]
        missed = [x for x in symptoms if x.id not in reach.reached]
        candidate = Candidate(near.elements[suspect], explained, missed)
        insort(ranked, candidate, key=Candidate.rank_key)
    ruled_out.sort(key=lambda r: (-r.explains, r.element.id))
    shown = ranked if limit is None else ranked[:limit]
    symptom_set = set(symptom_ids)
    anywhere = impacts.within()
    candidates = [_with_breaks(anywhere, c, symptom_set) for c in shown]
    pairs: list[Pair] = []
    if ranked and len(ranked[0].explained) < len(symptom_ids):
        pairs = _pairs(near, ranked[:PAIR_POOL], symptom_ids, well)
        pairs = pairs if limit is None else pairs[:limit]
    return DiagnosisReport(
        symptoms,
        list(near.read(well).values()),
        candidates,
        len(ranked),
        pairs,
        ruled_out,
        suspects=len(suspects),
        checked=checked,
    )


def _down(reach: Traversal, element: ElementId) -> bool:
    found = reach.reached.get(element)
    return found is not None and found.state is not State.DEGRADED


def _explained(
    near: _Region,
    reach: Traversal,
    symptom: ElementId,
    known: dict[ElementId, list[PathStep]],
) -> Explained:
    r = reach.reached[symptom]
    path = shortest_steps(reach, near.elements, near.metamodel, symptom, known)
    return Explained(near.elements[symptom], r.state, r.distance, path)


def _with_breaks(anywhere: _Region, candidate: Candidate, symptoms: Collection[str]) -> Candidate:
    """``candidate`` with what else its failure would break: a full impact from it."""
    whole = anywhere.traverse([candidate.element.id])
    others = [r for r in whole.affected() if r.id not in symptoms]
    down = sum(r.state is State.DOWN for r in others)
    listed = heapq.nsmallest(
        BREAKS_LISTED, others, key=lambda r: (r.state is not State.DOWN, r.distance, r.id)
    )
    shown = anywhere.read(r.id for r in listed)
    breaks = Breaks(
        down,
        len(others) - down,
        [Broken(shown[r.id], r.state, r.distance) for r in listed if r.id in shown],
    )
    return Candidate(candidate.element, candidate.explained, candidate.unexplained, breaks)


def _pairs(
    near: _Region,
    candidates: Sequence[Candidate],
    symptoms: Sequence[ElementId],
    healthy: Sequence[ElementId],
) -> list[Pair]:
    """Pairs of ``candidates`` that explain every symptom together, checked by impact from both."""
    everything = set(symptoms)
    covers = [{e.symptom.id for e in c.explained} for c in candidates]
    found: list[Pair] = []
    checked = 0
    for i, j in combinations(range(len(candidates)), 2):
        if covers[i] | covers[j] != everything:
            continue
        checked += 1
        if checked > PAIR_CHECKS:
            break
        a, b = candidates[i].element, candidates[j].element
        reach = near.traverse([a.id, b.id])
        if any(_down(reach, h) for h in healthy):
            continue  # together they would take down an element known to work
        near.read(reach.reached)
        known: dict[ElementId, list[PathStep]] = {}
        explained = [_explained(near, reach, s, known) for s in symptoms]
        found.append(Pair((a, b) if a.id < b.id else (b, a), explained))
    found.sort(key=Pair.rank_key)
    return found


class _Reads:
    """The store's answers along one set of steps, kept: each element's hops are read once.

    Several traversals of one diagnosis walk the same parts of the graph (the VMs of one
    cluster share the cluster, its members and their datacenter; the candidates share
    the symptoms' dependencies). :meth:`within` gives a view over these answers that the
    traversal engine reads as a store.
    """

    def __init__(self, store: GraphStore, metamodel: Metamodel, steps: Sequence[Step], lens: Lens):
        self.store = store
        self.metamodel = metamodel
        self.steps = tuple(steps)
        self.lens = lens
        self.elements: dict[str, Element] = {}
        self.hops: dict[str, list[Hop]] = {}
        self.peers: dict[tuple[str, Step], list[Hop]] = {}

    def within(self, ids: Collection[str] | None = None) -> _Region:
        """A view following only hops into ``ids`` (None: every hop)."""
        return _Region(self, ids)

    def read(self, ids: Iterable[str]) -> dict[str, Element]:
        """The elements ``ids``, read from the store once and kept in :attr:`elements`."""
        wanted = list(ids)
        missing = [i for i in wanted if i not in self.elements]
        if missing:
            self.elements.update(self.store.get_elements(missing, self.lens))
        return {i: self.elements[i] for i in wanted if i in self.elements}

    def hops_of(self, ids: Sequence[str]) -> None:
        """Make sure the hops of ``ids`` are kept (one store query for those missing)."""
        missing = [i for i in ids if i not in self.hops]
        if missing:
            for i in missing:
                self.hops[i] = []
            for hop in self.store.neighbors(missing, self.steps, self.lens):
                self.hops[hop.origin].append(hop)

    def peers_of(self, ids: Sequence[str], step: Step) -> None:
        """Make sure the hops of ``ids`` along ``step`` (a redundant peer's) are kept."""
        missing = [i for i in ids if (i, step) not in self.peers]
        if missing:
            for i in missing:
                self.peers[(i, step)] = []
            for hop in self.store.neighbors(missing, [step], self.lens):
                self.peers[(hop.origin, step)].append(hop)


class _Region:
    """The graph as a traversal reads it, from :class:`_Reads`, hops leaving ``ids`` left out.

    An impact from a candidate checked within the symptoms' dependencies reaches
    them as it would on the whole graph: every path to a symptom (or to a healthy
    element) lies among what that element depends on. Redundant peers are read
    whatever region they lie in.
    """

    def __init__(self, reads: _Reads, ids: Collection[str] | None) -> None:
        self.reads = reads
        self.ids = ids
        self.metamodel = reads.metamodel
        self.elements = reads.elements

    def traverse(self, starts: Sequence[str], way: Way = Way.IMPACT) -> Traversal:
        """The traversal from ``starts`` in the region, as :func:`traverse` gives it."""
        store = cast(GraphStore, self)  # it answers every read a traversal makes
        return traverse(store, self.metamodel, starts, way=way, lens=self.reads.lens)

    def read(self, ids: Iterable[str]) -> dict[str, Element]:
        return self.reads.read(ids)

    # The reads a traversal makes.

    def expand(
        self,
        ids: Iterable[str],
        steps: Sequence[Step],
        lens: Lens = CURRENT,
        *,
        exclude: Collection[str] = (),
        levels: int | None = 1,
        stop: Collection[str] = (),
    ) -> Expansion:
        asked = list(ids)
        self.reads.hops_of(asked)
        kept = self.reads.hops
        within = self.ids
        if tuple(steps) != self.reads.steps:  # the traversal asks for the steps kept, always
            raise InternalError("a region answers the steps it was made for")
        if within is None:
            hops = [h for o in asked for h in kept[o] if h.target not in exclude]
        else:
            hops = [
                h for o in asked for h in kept[o] if h.target in within and h.target not in exclude
            ]
        return Expansion(hops, frozenset(asked))

    def neighbors(
        self,
        ids: Iterable[str],
        steps: Sequence[Step],
        lens: Lens = CURRENT,
        exclude: Collection[str] = (),
    ) -> list[Hop]:
        asked = list(ids)
        hops: list[Hop] = []
        for step in steps:
            self.reads.peers_of(asked, step)
            peers = self.reads.peers
            hops.extend(h for i in asked for h in peers[(i, step)] if h.target not in exclude)
        return hops

    def get_elements(self, ids: Iterable[str], lens: Lens = CURRENT) -> dict[str, Element]:
        return self.reads.read(ids)


# -- the symptoms, as a user names them ------------------------------------------------


@dataclass(frozen=True)
class Named:
    """A symptom or a healthy element as given: its text, and where (a file's row) if from a file."""

    text: str
    file: str | None = None
    row: int | None = None  # CSV: the line the row starts on; JSON: the item's number
    record: int | None = None  # the row as a spreadsheet counts it, where that differs

    def where(self) -> str:
        """``incidents.csv, row 12: `` for an item of a file, else nothing."""
        return "" if self.file is None else f"{self.file}, row {line_text(self.row, self.record)}: "


def read_symptoms(path: str | Path) -> list[Named]:
    """The elements a monitoring or incident export (CSV, XLSX or JSON) reports failing.

    One configuration item a row, in the first column among :data:`SYMPTOM_COLUMNS`
    (``ci``, ``configuration item``, ``cmdb_ci``, ``id``, ``name``, spelled any
    way: ``Configuration Item`` and ``cmdb_ci`` both do). A row with the column
    empty, or a row that could not be read, is an error naming the file and the row.
    Raises SourceError.
    """
    from ..importers.tabular import read_table

    table = read_table(path)
    column = table.column(SYMPTOM_COLUMNS)
    if column is None:
        raise SourceError(
            f"{table.file}: no column naming the failing element (columns: {table.columns_text()})",
            hint=f"name one of: {', '.join(SYMPTOM_COLUMNS)}",
        )
    problems = list(table.problems)
    found: list[Named] = []
    for row, cells in table.rows:
        text = cells[column].strip()
        if not text:
            record = table.records.get(row)
            problems.append(
                Problem(f"no {column!r} in this row", table.file, row, record=record, column=column)
            )
            continue
        found.append(Named(text, table.file, row, table.records.get(row)))
    if problems:
        first = problems[0]
        raise SourceError(
            f"{table.file}, row {line_text(first.line, first.record)}: {first.message}",
            hint=first.hint or f"each row names one failing element in its {column!r} column",
            problems=problems if len(problems) > 1 else None,
        )
    if not found:
        raise SourceError(f"{table.file}: no symptom in it", hint="one element a row")
    return found


def resolve_named(
    repo: Repository, named: Sequence[Named], lens: Lens = CURRENT
) -> list[ElementId]:
    """The elements ``named`` designate (ids, names or selectors), in order, once each.

    An element named in a file that the repository does not hold is an error
    naming the file and the row. Raises NotFoundError or SelectorError.
    """
    ids: dict[ElementId, None] = {}
    for item in named:
        try:
            ids.update(dict.fromkeys(repo.resolve(item.text, lens)))
        except EaError as exc:
            if item.file is None:
                raise
            raise NotFoundError(f"{item.where()}{exc.message}", hint=exc.hint) from exc
    return list(ids)


def symptoms_at(
    repo: Repository, named: Sequence[Named], moment: dt.datetime | None = None
) -> tuple[list[ElementId], IncidentsReport | None]:
    """The symptoms of a diagnosis: the elements ``named`` designate, then, at ``moment``,
    those the incidents open then affect (once each); and those incidents (None without
    ``moment``). Raises ValidationError when there is no symptom at all, NotFoundError or
    SelectorError for a name that designates nothing."""
    from .incidents import incidents_at

    if not named and moment is None:
        raise ValidationError(
            "no symptom given",
            hint="name the failing elements, or --symptoms FILE, or --at TIME (the incidents "
            "open then)",
        )
    sick = resolve_named(repo, named)
    if moment is None:
        return sick, None
    open_now = incidents_at(repo.store, moment, only_open=True)
    sick = list(dict.fromkeys(sick + open_now.symptoms()))
    if not sick:
        raise ValidationError(
            f"no incident open at {open_now.at}, and no symptom given",
            hint="see them with `ea incidents --at TIME`",
        )
    return sick, open_now
