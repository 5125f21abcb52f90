"""The repository's own data quality: how complete, placed, current and confirmed its facts are.

:func:`measure` reads the whole repository once (elements, relations, each source's
assertions, the stale elements as ``ea status`` counts them) and returns a
:class:`QualityReport`:

* **completeness**: of the attributes the metamodel marks ``required`` or
  ``recommended``, how many values are filled, per element type and per source (the
  elements a source asserts, as the repository holds them);
* **orphans**, from the metamodel's relationship semantics rather than type names:
  *unplaced* — an element of the application, data or technology layer whose type is
  the hosted end of a ``hosting`` relationship type (runs_on, hosted_on, located_in,
  member_of, stores), but that stands on nothing: no such relation places it, and no
  dependency that takes it down (not a degrading one such as a flow) reaches a deeper
  layer (application, then data, technology, physical): an application on no
  infrastructure, a server in no datacenter, a data object stored nowhere — while a
  SaaS application that depends on its vendor's datacenter stands on it;
  *unsupported* — an element of the strategy layer that depends on nothing (no
  relation with a ``dependent`` end makes it the dependent): a capability nothing
  realises, serves or is part of;
* **stale**: elements no source has confirmed for the workspace's ``stale_after``;
* **namesakes**: elements of one type whose names are equal once casefolded;
* **unconfirmed relations**: active relations no source asserts (only a manual
  ``ea link``, or nobody any more).

Scores, 0 to 100: for an element type, ``100 × (C + K) / 2``, where C is the share
of its required and recommended attribute values filled (1 when it has none) and K
the share of its elements that are neither orphans, stale nor namesakes; for a
relation type, ``100 × Q``, Q the share of its relations a source asserts. The
overall score is the mean of C, K and Q over everything measured (a share with
nothing to measure is left out).

The figures (:meth:`QualityReport.figures`) are kept in the stats of each sync run
(:func:`keep`), so that ``ea quality`` shows their trend across runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .metamodel import Dependent, Metamodel
from .metamodel.validate import resolve_element_type
from .model import CURRENT, Element, Run
from .repository import MANUAL_SOURCE, Repository
from .results import Table
from .store.base import GraphStore
from .sync import _changed_anything

PLACED_LAYERS = ("application", "data", "technology")
"""Layers whose elements must stand on something (a hosting relation places them)."""

DEPTH = {"application": 0, "data": 1, "technology": 2, "physical": 3}
"""How deep each layer lies in the stack: software is placed by what it cannot do without
further down (a SaaS application depending on its vendor's region), not only by hosting."""

SUPPORTED_LAYERS = ("strategy",)
"""Layers whose elements exist only when something below supports them."""

SHOWN = 50
"""How many findings of each kind the tables list (the JSON document gives them all)."""

_COUNTED = ("orphans", "stale", "namesakes", "unconfirmed")
"""The findings counted in the tables by type and in the trend (and in the figures kept)."""

TREND_RUNS = 12
"""How many of the latest measured runs the trend shows."""


@dataclass(frozen=True)
class TypeQuality:
    """The quality figures of one element or relation type."""

    kind: str  # "element" or "relation"
    type: str
    count: int
    expected: int = 0  # required and recommended attribute values the elements should have
    filled: int = 0
    orphans: int = 0
    stale: int = 0
    namesakes: int = 0
    flawed: int = 0  # elements that are an orphan, stale or a namesake (each counted once)
    unconfirmed: int = 0  # relations

    @property
    def completeness(self) -> float | None:
        """Share of the expected attribute values filled (None: nothing expected)."""
        return self.filled / self.expected if self.expected else None

    @property
    def score(self) -> float:
        """0–100: see the module's documentation."""
        if self.kind == "relation":
            return _percent([_share(self.count - self.unconfirmed, self.count)])
        return _percent(
            [self.completeness if self.completeness is not None else 1.0]
            + [_share(self.count - self.flawed, self.count)]
        )


@dataclass(frozen=True)
class SourceQuality:
    """Completeness of the elements one source asserts."""

    source: str
    elements: int
    expected: int
    filled: int

    @property
    def completeness(self) -> float | None:
        """Share of the expected attribute values filled (None: nothing expected)."""
        return self.filled / self.expected if self.expected else None


@dataclass(frozen=True)
class Gap:
    """An attribute the metamodel expects that elements of a type lack."""

    type: str
    attribute: str
    level: str  # "required" or "recommended"
    missing: int


@dataclass(frozen=True)
class Finding:
    """An element found wanting: an orphan, a stale element or a namesake."""

    element: Element
    detail: str  # why: "unplaced", "unsupported", the last confirmation, the shared name


@dataclass(frozen=True)
class Unconfirmed:
    """An active relation no source asserts."""

    id: str
    type: str
    src: str
    dst: str
    asserted_by: str  # "manual" (only `ea add`/`ea link`) or "nobody"


@dataclass(frozen=True)
class TrendPoint:
    """The quality figures kept with one sync run."""

    run: int
    source: str
    at: str
    figures: Mapping[str, Any]


@dataclass(frozen=True)
class QualityReport:
    """What :func:`measure` found; owns its presentation (``to_data``, ``to_tables``, ``notes``)."""

    types: tuple[TypeQuality, ...]
    sources: tuple[SourceQuality, ...]
    gaps: tuple[Gap, ...]
    orphans: tuple[Finding, ...]
    stale: tuple[Finding, ...]
    namesakes: tuple[Finding, ...]
    unconfirmed: tuple[Unconfirmed, ...]
    stale_after_days: int
    scope: str | None = None  # the element type asked for (with its subtypes), if any
    trend: tuple[TrendPoint, ...] = field(default=())

    def _element_types(self) -> list[TypeQuality]:
        return [t for t in self.types if t.kind == "element"]

    def shares(self) -> dict[str, float | None]:
        """C (completeness), K (clean elements) and Q (confirmed relations) over everything
        measured; None where there is nothing to measure."""
        elements = self._element_types()
        relations = [t for t in self.types if t.kind == "relation"]
        expected = sum(t.expected for t in elements)
        count = sum(t.count for t in elements)
        rel_count = sum(t.count for t in relations)
        return {
            "completeness": sum(t.filled for t in elements) / expected if expected else None,
            "clean": (count - sum(t.flawed for t in elements)) / count if count else None,
            "confirmed": (rel_count - len(self.unconfirmed)) / rel_count if rel_count else None,
        }

    @property
    def score(self) -> float:
        """The overall score, 0–100: the mean of the shares that measure something."""
        return _percent([s for s in self.shares().values() if s is not None])

    def figures(self) -> dict[str, Any]:
        """The compact figures kept with a sync run (and read back as a trend point)."""
        shares = self.shares()
        return {
            "score": self.score,
            **{k: None if v is None else round(v, 4) for k, v in shares.items()},
            "elements": sum(t.count for t in self._element_types()),
            "orphans": len(self.orphans),
            "stale": len(self.stale),
            "namesakes": len(self.namesakes),
            "unconfirmed": len(self.unconfirmed),
            "types": {t.type: t.score for t in self._element_types()},
        }

    def with_trend(self, trend: Sequence[TrendPoint]) -> QualityReport:
        """This report with the figures of earlier runs, oldest first."""
        return QualityReport(**{**self.__dict__, "trend": tuple(trend)})

    # -- presentation ---------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        """The JSON document of ``ea quality -f json``."""
        return {
            "score": self.score,
            "shares": self.shares(),
            "scope": self.scope,
            "stale_after_days": self.stale_after_days,
            "types": [
                {
                    "kind": t.kind,
                    "type": t.type,
                    "count": t.count,
                    "score": t.score,
                    **(
                        {
                            "expected": t.expected,
                            "filled": t.filled,
                            "completeness": t.completeness,
                            "orphans": t.orphans,
                            "stale": t.stale,
                            "namesakes": t.namesakes,
                        }
                        if t.kind == "element"
                        else {"unconfirmed": t.unconfirmed}
                    ),
                }
                for t in self.types
            ],
            "sources": [
                {
                    "source": s.source,
                    "elements": s.elements,
                    "expected": s.expected,
                    "filled": s.filled,
                    "completeness": s.completeness,
                }
                for s in self.sources
            ],
            "gaps": [g.__dict__ for g in self.gaps],
            "orphans": [_finding_data(f, "why") for f in self.orphans],
            "stale": [_finding_data(f, "last_confirmed") for f in self.stale],
            "namesakes": [_finding_data(f, "name_casefolded") for f in self.namesakes],
            "unconfirmed_relations": [u.__dict__ for u in self.unconfirmed],
            "trend": [
                {"run": p.run, "source": p.source, "at": p.at, **p.figures} for p in self.trend
            ],
        }

    def to_tables(self) -> list[Table]:
        """The tables of ``ea quality``: scores by type, completeness by source, the attribute
        gaps, each kind of finding (the first :data:`SHOWN`), and the trend."""
        tables = [
            Table(
                f"quality: {self.score:g} / 100",
                ["share", "value"],
                [[k, _percent_text(v)] for k, v in self.shares().items()],
            ),
            Table(
                "by type",
                [
                    "kind",
                    "type",
                    "count",
                    "score",
                    "complete",
                    *_COUNTED,
                ],
                [
                    [
                        t.kind,
                        t.type,
                        t.count,
                        t.score,
                        _percent_text(t.completeness),
                        *(
                            (t.orphans, t.stale, t.namesakes, "")
                            if t.kind == "element"
                            else ("", "", "", t.unconfirmed)
                        ),
                    ]
                    for t in self.types
                ],
            ),
            Table(
                "completeness by source",
                ["source", "elements", "expected", "filled", "complete"],
                [
                    [s.source, s.elements, s.expected, s.filled, _percent_text(s.completeness)]
                    for s in self.sources
                    if s.elements or self.scope is None
                ],
            ),
            Table(
                "attributes missing",
                ["type", "attribute", "level", "missing"],
                [[g.type, g.attribute, g.level, g.missing] for g in self.gaps],
            ),
        ]
        for title, found, column in (
            ("orphans", self.orphans, "why"),
            (
                f"stale (not confirmed for {self.stale_after_days} days)",
                self.stale,
                "last confirmed",
            ),
            ("namesakes", self.namesakes, "name casefolded"),
        ):
            tables.append(
                Table(
                    title,
                    ["element", "type", "name", column],
                    [
                        [f.element.id, f.element.type, f.element.name, f.detail]
                        for f in found[:SHOWN]
                    ],
                )
            )
        tables.append(
            Table(
                "relations no source confirms",
                ["relation", "type", "from", "to", "asserted by"],
                [[u.id, u.type, u.src, u.dst, u.asserted_by] for u in self.unconfirmed[:SHOWN]],
            )
        )
        if self.trend:
            tables.append(
                Table(
                    "trend (kept with each sync run)",
                    [
                        "run",
                        "source",
                        "at",
                        "score",
                        *([f"{self.scope} score"] if self.scope else []),
                        "complete",
                        *_COUNTED,
                    ],
                    [
                        [
                            p.run,
                            p.source,
                            p.at,
                            p.figures.get("score"),
                            *(
                                [(p.figures.get("types") or {}).get(self.scope)]
                                if self.scope
                                else []
                            ),
                            _percent_text(p.figures.get("completeness")),
                            *(p.figures.get(key) for key in _COUNTED),
                        ]
                        for p in self.trend
                    ],
                )
            )
        return tables

    def notes(self) -> list[str]:
        """What a reader of the tables should also know: findings left out of them, and how
        the score is made."""
        notes = [
            f"showing {SHOWN} of {len(found)} {what} (-f json lists them all)"
            for what, found in (
                ("orphans", self.orphans),
                ("stale elements", self.stale),
                ("namesakes", self.namesakes),
                ("unconfirmed relations", self.unconfirmed),
            )
            if len(found) > SHOWN
        ]
        notes.append(
            "score: per element type 100 × (complete + clean) / 2, per relation type "
            "100 × confirmed; overall the mean of the three shares"
        )
        if not self.trend:
            notes.append("no trend yet: the figures are kept at each `ea sync`")
        return notes


def _finding_data(finding: Finding, key: str) -> dict[str, Any]:
    e = finding.element
    return {"id": e.id, "type": e.type, "name": e.name, key: finding.detail}


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def _percent(shares: Sequence[float]) -> float:
    return round(100 * sum(shares) / len(shares), 1) if shares else 100.0


def _percent_text(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.1f} %"


def _filled(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


class _Rules:
    """What the metamodel expects of each element type: attributes, placement, support."""

    def __init__(self, metamodel: Metamodel) -> None:
        self.expected: dict[str, list[tuple[str, str]]] = {
            name: [
                (a.name, "required" if a.required else "recommended")
                for a in et.attributes.values()
                if a.required or a.recommended
            ]
            for name, et in metamodel.element_types.items()
        }
        # The dependent end of each relation type: "src", "dst" or both.
        self.dependent_ends: dict[str, tuple[str, ...]] = {}
        self.degrading = frozenset(n for n, rt in metamodel.relation_types.items() if rt.degrades)
        hosted: set[str] = set()
        for rt in metamodel.relation_types.values():
            ends = {
                Dependent.SOURCE: ("src",),
                Dependent.TARGET: ("dst",),
                Dependent.BOTH: ("src", "dst"),
                Dependent.NONE: (),
            }[rt.dependent]
            self.dependent_ends[rt.name] = ends
            if rt.hosting:
                hosted |= rt.sources if rt.dependent is Dependent.SOURCE else rt.targets
        self.hosting = frozenset(metamodel.hosting_types)
        layer = {name: et.layer for name, et in metamodel.element_types.items()}
        self.depth = {name: DEPTH[lay] for name, lay in layer.items() if lay in DEPTH}
        self.placed = frozenset(t for t in hosted if layer[t] in PLACED_LAYERS)
        self.supported = frozenset(t for t, lay in layer.items() if lay in SUPPORTED_LAYERS)

    def digest(self) -> str:
        """A digest of every rule: figures measured under other rules are not reused."""
        canon = [
            sorted((t, sorted(a)) for t, a in self.expected.items()),
            sorted(self.dependent_ends.items()),
            sorted(self.degrading),
            sorted(self.hosting),
            sorted(self.depth.items()),
            sorted(self.placed),
            sorted(self.supported),
        ]
        return hashlib.sha256(json.dumps(canon).encode()).hexdigest()[:16]


def _in_scope(metamodel: Metamodel, scope: str | None) -> frozenset[str] | None:
    if scope is None:
        return None
    return frozenset(t for t in metamodel.element_types if metamodel.is_a(t, scope))


def measure(
    store: GraphStore,
    metamodel: Metamodel,
    *,
    stale_after_days: int = 180,
    scope: str | None = None,
    now: dt.datetime | None = None,
) -> QualityReport:
    """Measure the quality of the repository in ``store`` (active items).

    ``scope``: an element type name; only its elements (and its subtypes') are measured,
    and no relation type. Stale elements are those ``ea status`` lists: no source has
    confirmed them since ``now - stale_after_days``.

    >>> from ea_repo.store import SQLiteStore
    >>> from ea_repo.metamodel import load_metamodel
    >>> measure(SQLiteStore(":memory:"), load_metamodel()).score
    100.0
    """
    rules = _Rules(metamodel)
    wanted = _in_scope(metamodel, scope)
    now = now or dt.datetime.now(dt.UTC)
    sources = sorted(store.latest_runs())
    asserted = {s: store.asserted_ids(s, "element") for s in sources}

    count: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    filled: Counter[str] = Counter()
    missing: Counter[tuple[str, str, str]] = Counter()
    per_element: dict[str, tuple[int, int]] = {}
    first_named: dict[tuple[str, str], Element] = {}  # the first element of each name
    by_name: dict[tuple[str, str], list[Element]] = {}  # names two elements or more bear
    watched: dict[str, Element] = {}  # elements that may be orphans
    measured: set[str] = set()
    depth: dict[str, int] = {}  # of the elements in the layers of the stack
    for element in store.iter_elements(CURRENT):
        if wanted is not None and element.type not in wanted:
            continue
        count[element.type] += 1
        measured.add(element.id)
        attrs = element.attrs
        slots = rules.expected.get(element.type, ())
        have = 0
        for name, level in slots:
            if _filled(attrs.get(name)):
                have += 1
            else:
                missing[(element.type, name, level)] += 1
        expected[element.type] += len(slots)
        filled[element.type] += have
        if slots:
            per_element[element.id] = (len(slots), have)
        key = (element.type, element.name.casefold())
        first = first_named.setdefault(key, element)
        if first is not element:
            by_name.setdefault(key, [first]).append(element)
        if element.type in rules.placed or element.type in rules.supported:
            watched[element.id] = element
        if element.type in rules.depth:
            depth[element.id] = rules.depth[element.type]

    # One pass over the relations: what places or supports the watched elements, and
    # which relations no source asserts.
    relation_sources = [s for s in sources if s != MANUAL_SOURCE]
    confirmed: set[str] = set()
    for s in relation_sources:
        confirmed |= store.asserted_ids(s, "relation")
    manual = store.asserted_ids(MANUAL_SOURCE, "relation") if MANUAL_SOURCE in sources else set()
    held: set[str] = set()
    rel_count: Counter[str] = Counter()
    unconfirmed: list[Unconfirmed] = []
    for rel in store.iter_relations(CURRENT):
        ends = rules.dependent_ends.get(rel.type, ())
        for end in ends:
            dependent = rel.src if end == "src" else rel.dst
            if dependent in watched and dependent not in held:
                element = watched[dependent]
                other = rel.dst if end == "src" else rel.src
                if (
                    element.type in rules.supported
                    or rel.type in rules.hosting
                    or (
                        rel.type not in rules.degrading
                        and depth.get(other, -1) > rules.depth[element.type]
                    )
                ):
                    held.add(dependent)
        if wanted is not None:
            continue
        rel_count[rel.type] += 1
        if rel.id not in confirmed:
            unconfirmed.append(
                Unconfirmed(
                    rel.id, rel.type, rel.src, rel.dst, "manual" if rel.id in manual else "nobody"
                )
            )

    orphans = [
        Finding(e, "unplaced" if e.type in rules.placed else "unsupported")
        for e in sorted((e for i, e in watched.items() if i not in held), key=lambda e: e.id)
    ]
    stale = [
        Finding(e, seen or "never")
        for e, seen in store.stale_elements(_cutoff(now, stale_after_days), CURRENT)
        if wanted is None or e.type in wanted
    ]
    namesakes = [
        Finding(e, folded)
        for (_, folded), group in sorted(by_name.items())
        for e in sorted(group, key=lambda x: x.id)
    ]

    flawed: dict[str, set[str]] = defaultdict(set)
    per_type: dict[str, Counter[str]] = defaultdict(Counter)
    for what, found in (("orphans", orphans), ("stale", stale), ("namesakes", namesakes)):
        for f in found:
            per_type[f.element.type][what] += 1
            flawed[f.element.type].add(f.element.id)
    types = [
        TypeQuality(
            "element",
            t,
            count[t],
            expected[t],
            filled[t],
            per_type[t]["orphans"],
            per_type[t]["stale"],
            per_type[t]["namesakes"],
            len(flawed[t]),
        )
        for t in sorted(count)
    ]
    unconfirmed_by_type = Counter(u.type for u in unconfirmed)
    types += [
        TypeQuality("relation", t, rel_count[t], unconfirmed=unconfirmed_by_type[t])
        for t in sorted(rel_count)
    ]
    source_rows = []
    for s in sources:
        ids = asserted[s] & measured
        counted = [per_element[i] for i in ids if i in per_element]
        source_rows.append(
            SourceQuality(s, len(ids), sum(n for n, _ in counted), sum(h for _, h in counted))
        )
    return QualityReport(
        types=tuple(types),
        sources=tuple(source_rows),
        gaps=tuple(Gap(t, a, level, n) for (t, a, level), n in sorted(missing.items())),
        orphans=tuple(orphans),
        stale=tuple(stale),
        namesakes=tuple(namesakes),
        unconfirmed=tuple(sorted(unconfirmed, key=lambda u: u.id)),
        stale_after_days=stale_after_days,
        scope=scope,
    )


def trend(store: GraphStore, limit: int = TREND_RUNS) -> list[TrendPoint]:
    """The quality figures kept with the latest ``limit`` runs that have them, oldest first."""
    points: list[TrendPoint] = []
    for run in _newest_runs(store, status="succeeded"):
        figures = run.stats.get("quality")
        if isinstance(figures, Mapping):
            points.append(TrendPoint(run.id, run.source, run.finished_at or "", figures))
            if len(points) == limit:
                break
    return points[::-1]


def keep(
    store: GraphStore,
    metamodel: Metamodel,
    run_id: int,
    *,
    stale_after_days: int = 180,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Keep the quality figures of the repository in the stats of run ``run_id`` (a finished
    run: its status, message and end stay as they are); returns them.

    When no run since the last figures kept changed the repository (every one confirmed
    or found everything unchanged, or wrote nothing), under the same rules and
    ``stale_after``, and no element was or is stale, those figures still hold: they are
    kept again (``carried_from`` names their run) without reading the repository, which
    costs a count of the stale elements instead of a full measure (0.5 s rather than
    3.7 s at 100 000 elements).
    """
    now = now or dt.datetime.now(dt.UTC)
    basis = {"rules": _Rules(metamodel).digest(), "stale_after_days": stale_after_days}
    since, last = _since_figures(store, run_id)
    figures = _still_holding(store, basis, since, last, stale_after_days, now)
    if figures is None:
        report = measure(store, metamodel, stale_after_days=stale_after_days, now=now)
        figures = {**report.figures(), **basis}
    run = next((r for r in since if r.id == run_id), None) or _run(store, run_id)
    store.finish_run(
        run.id,
        run.status,
        {**run.stats, "quality": figures},
        message=run.message,
        at=run.finished_at,
    )
    return figures


_RUNS_PAGE = 16
"""How many of the latest runs :func:`_newest_runs` reads first (a page 16 times larger
each time more are wanted)."""


def _newest_runs(store: GraphStore, status: str | None = None) -> Iterator[Run]:
    """The runs (with ``status``), newest first, read a page at a time: the figures sought
    are a run or a few back, not the whole history away."""
    limit, seen = _RUNS_PAGE, 0
    while True:
        runs = store.runs(status=status, limit=limit)
        yield from runs[seen:]
        if len(runs) < limit:
            return
        limit, seen = limit * _RUNS_PAGE, len(runs)


def _since_figures(store: GraphStore, run_id: int) -> tuple[list[Run], Run | None]:
    """The runs after the last one with figures kept (other than run ``run_id``), newest
    first, and that one (None: no figures kept yet)."""
    since: list[Run] = []
    for run in _newest_runs(store):
        if run.id != run_id and isinstance(run.stats.get("quality"), Mapping):
            return since, run
        since.append(run)
    return since, None


def _still_holding(
    store: GraphStore,
    basis: Mapping[str, Any],
    since: Sequence[Run],
    last: Run | None,
    days: int,
    now: dt.datetime,
) -> dict[str, Any] | None:
    """The figures of run ``last``, when they hold still after the runs ``since`` (see
    :func:`keep`)."""
    if last is None:
        return None  # no figures kept yet
    figures = last.stats["quality"]
    if any(figures.get(k) != v for k, v in basis.items()) or figures.get("stale") != 0:
        return None
    if any(_changed(r) for r in since):
        return None
    if store.count_stale(_cutoff(now, days)) != 0:
        return None
    return {**figures, "carried_from": figures.get("carried_from", last.id)}


def _changed(run: Run) -> bool:
    """Whether ``run`` may have changed the repository."""
    if run.status != "succeeded":
        return not run.stats.get("wrote_nothing")
    return _changed_anything(run.stats) or bool(run.stats.get("relations_with_elements"))


def _cutoff(now: dt.datetime, days: int) -> str:
    """The time before which an element's last confirmation makes it stale."""
    return (now - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _run(store: GraphStore, run_id: int) -> Run:
    found = [r for r in store.runs(after=run_id - 1) if r.id == run_id]
    if not found:
        raise ValueError(f"no run {run_id}")
    return found[0]


def assess(repo: Repository, scope: str | None = None) -> QualityReport:
    """The quality of ``repo`` (``ea quality``): :func:`measure` with the workspace's
    ``stale_after``, and the trend of the figures kept with the latest runs.
    ``scope``: an element type name (any case); NotFoundError if there is none."""
    if scope is not None:
        scope = resolve_element_type(repo.metamodel, scope).name
    days = repo.workspace.stale_after_days if repo.workspace else 180
    report = measure(repo.store, repo.metamodel, stale_after_days=days, scope=scope)
    return report.with_trend(trend(repo.store))
