"""The registry of analyses: each declared once, run through one path.

Every analysis the command line, the views and the HTML studies offer is an
:class:`Analysis` of :data:`ANALYSES`: its name, what it starts from, its
parameters (with their defaults), the function that runs it, the built-in view
that draws its result and the study that reports it. :func:`analyse` resolves
the starts once, under the lens it is given, and runs the analysis under that
same lens; ``Repository.analyse`` is the same call on a repository.

>>> # with Repository.open("ws") as repo:
>>> #     report = repo.analyse("impact", "srv-esx01", max_depth=3)
>>> #     ANALYSES["impact"].draw(report, repo.metamodel)

The drawing and the study are named, and imported when first used: the views
import the analyses, not the other way round, and naming an analysis (the CLI
does it at start-up) imports neither networkx nor Jinja.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import import_module
from typing import TYPE_CHECKING, Any

from ..errors import ValidationError
from ..metamodel import LAYERS, Metamodel
from ..model import CURRENT, EVERYTHING, ElementId, Lens
from ..selection import Selector, select_ids

if TYPE_CHECKING:
    from ..repository import Repository
    from ..views.graph import ViewGraph
    from ..views.spec import ViewSpec


class Starts(StrEnum):
    """What an analysis starts from."""

    MANY = "many"  # elements: an id, a name or a selector
    ONE = "one"  # one element: an id or a name
    SCOPE = "scope"  # the whole landscape; a selector, if given, narrows what is reported


@dataclass(frozen=True)
class Param:
    """A parameter of an analysis: its name (the keyword of the function that runs it) and default."""

    name: str
    default: Any
    help: str


Runner = Callable[..., Any]
"""``(store, metamodel, starts, *, lens, **options) -> report``; ``starts`` is None for a
:attr:`Starts.SCOPE` analysis given no selector."""


@dataclass(frozen=True)
class Analysis:
    """One analysis, declared once."""

    name: str
    starts: Starts
    params: tuple[Param, ...]
    runner: Runner
    view: str  # the built-in view drawing its result
    drawing: Drawing  # (report, spec, metamodel) -> ViewGraph
    study: Study | None = None  # (repo, report, target, **options) -> HTML
    # The options a view spec of it may set (besides `horizon`, which any view may), each with
    # the parameter it sets (None: read by the drawing alone), and the parameters a diagram
    # of it runs with.
    view_options: Mapping[str, str | None] = field(default_factory=dict)
    drawn: Mapping[str, Any] = field(default_factory=dict)

    def options(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter's value: ``given``'s, else its default. An unknown name is a ValidationError."""
        names = [p.name for p in self.params]
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ValidationError(
                f"the {self.name} analysis has no parameter {unknown[0]!r}",
                hint=f"its parameters: {', '.join(names) or 'none'}",
            )
        values = {p.name: given.get(p.name, p.default) for p in self.params}
        if "layers" in values:
            check_layers(values["layers"])
        return values

    def view_params(self, options: Mapping[str, Any], at: dt.date | None) -> dict[str, Any]:
        """The parameters a view of it runs with: its spec's ``options``, and ``at`` if it reads a day."""
        from ..config import parse_duration_days

        values = dict(self.drawn)
        for key, param in self.view_options.items():
            if param is not None and key in options:
                value = options[key]
                values[param] = (
                    parse_duration_days(str(value), key) if key == "horizon" else int(value)
                )
        if any(p.name == "at" for p in self.params):
            values["at"] = at
        return values

    def run(
        self,
        store: Any,
        metamodel: Metamodel,
        starts: Sequence[ElementId] | None,
        *,
        lens: Lens = CURRENT,
        **options: Any,
    ) -> Any:
        """Run the analysis from resolved ``starts`` under ``lens``."""
        return self.runner(store, metamodel, starts, lens=lens, **self.options(options))

    def draw(self, report: Any, metamodel: Metamodel, spec: ViewSpec | None = None) -> ViewGraph:
        """The diagram of ``report``, by ``spec`` (default: the analysis's built-in view)."""
        if spec is None:
            from ..views.spec import builtin_views

            spec = builtin_views()[self.view]
        return self.drawing(report, spec, metamodel)

    def write_study(self, repo: Repository, report: Any, target: str | None, **options: Any) -> str:
        """The HTML study of ``report``; ``options`` are the parameters it ran with and the
        presentation's own (e.g. ``layers``)."""
        if self.study is None:
            raise ValidationError(f"the {self.name} analysis has no study")
        return self.study(repo, report, target, **options)


def check_layers(layers: Sequence[str] | None) -> list[str] | None:
    """``layers`` if every one is a layer of the metamodel schema, else a ValidationError."""
    for name in layers or []:
        if name not in LAYERS:
            raise ValidationError(f"unknown layer {name!r}", hint=f"layers: {', '.join(LAYERS)}")
    return None if layers is None else list(layers)


Drawing = Callable[[Any, "ViewSpec", "Metamodel"], "ViewGraph"]
Study = Callable[..., str]


def _drawing(function: str, *, reads_metamodel: bool = False) -> Drawing:
    """The graph builder ``function`` of ``views.build``, imported when first drawn."""

    def draw(report: Any, spec: ViewSpec, metamodel: Metamodel) -> ViewGraph:
        build = getattr(import_module("ea_repo.views.build"), function)
        return build(report, metamodel, spec) if reads_metamodel else build(report, spec)

    return draw


def _study(function: str) -> Study:
    """The study ``function`` of ``views.report``, imported when first written."""

    def write(repo: Repository, report: Any, target: str | None, **options: Any) -> str:
        study: Study = getattr(import_module("ea_repo.views.report"), function)
        return study(repo, report, target, **options)

    return write


# -- the functions that run each analysis ----------------------------------------------


def _impact(way: str) -> Runner:
    def run(
        store: Any,
        metamodel: Metamodel,
        starts: Sequence[ElementId],
        *,
        lens: Lens,
        max_depth: int | None,
        layers: Iterable[str] | None,
        relation_types: Iterable[str] | None,
        paths: bool,
    ) -> Any:
        from .impact import analyse as impact

        return impact(
            store,
            metamodel,
            starts,
            way=way,
            max_depth=max_depth,
            relation_types=relation_types,
            layers=layers,
            lens=lens,
            paths=paths,
        )

    return run


def _obsolescence(
    store: Any,
    metamodel: Metamodel,
    starts: Sequence[ElementId] | None,
    *,
    lens: Lens,
    at: dt.date | None,
    horizon_days: int,
) -> Any:
    from .obsolescence import obsolescence

    scope = None if starts is None else {str(i) for i in starts}
    return obsolescence(store, metamodel, at=at, horizon_days=horizon_days, scope=scope, lens=lens)


def _decommission(
    store: Any, metamodel: Metamodel, starts: Sequence[ElementId], *, lens: Lens
) -> Any:
    from .decommission import decommission

    return decommission(store, metamodel, starts[0], lens=lens)


def _flows(
    store: Any,
    metamodel: Metamodel,
    starts: Sequence[ElementId],
    *,
    lens: Lens,
    depth: int,
    personal_only: bool,
) -> Any:
    from .flows import data_flows

    return data_flows(
        store, metamodel, starts[0], depth=depth, personal_only=personal_only, lens=lens
    )


def _waves(
    store: Any,
    metamodel: Metamodel,
    starts: Sequence[ElementId],
    *,
    lens: Lens,
    max_size: int,
    layers: Iterable[str] | None,
) -> Any:
    from .waves import MOVABLE_LAYERS, plan_waves

    return plan_waves(
        store, metamodel, starts, max_size=max_size, layers=layers or MOVABLE_LAYERS, lens=lens
    )


def _diagnose(
    store: Any,
    metamodel: Metamodel,
    starts: Sequence[ElementId],
    *,
    lens: Lens,
    healthy: Sequence[ElementId],
    limit: int | None,
) -> Any:
    from .diagnose import diagnose

    return diagnose(store, metamodel, starts, healthy=healthy, limit=limit, lens=lens)


def _health(
    store: Any,
    metamodel: Metamodel,
    starts: Sequence[ElementId] | None,
    *,
    lens: Lens,
    at: dt.datetime | dt.date | None,
    layers: Sequence[str] | None,
    horizon_days: int,
    stale_after_days: int,
) -> Any:
    from .health import health

    scope = None if starts is None else {str(i) for i in starts}
    return health(
        store,
        metamodel,
        at=at,
        layers=layers,
        horizon_days=horizon_days,
        stale_after_days=stale_after_days,
        scope=scope,
        lens=lens,
    )


_TRAVERSAL = (
    Param("max_depth", None, "at most this many steps away"),
    Param("layers", None, "only report these layers"),
    Param("relation_types", None, "only follow these relationship types"),
    Param("paths", True, "each element's path (False: the traversal alone, for a diagram)"),
)

ANALYSES: Mapping[str, Analysis] = {
    a.name: a
    for a in (
        Analysis(
            "impact",
            Starts.MANY,
            _TRAVERSAL,
            _impact("impact"),
            view="impact",
            drawing=_drawing("impact_graph"),
            drawn={"paths": False},
            study=_study("impact_study"),
        ),
        Analysis(
            "dependencies",
            Starts.MANY,
            _TRAVERSAL,
            _impact("dependencies"),
            view="dependencies",
            drawing=_drawing("impact_graph"),
            drawn={"paths": False},
        ),
        Analysis(
            "obsolescence",
            Starts.SCOPE,
            (
                Param("at", None, "the day assessed (default: today)"),
                Param("horizon_days", 365, "warn this many days ahead"),
            ),
            _obsolescence,
            view="obsolescence",
            drawing=_drawing("obsolescence_graph"),
            study=_study("obsolescence_study"),
            view_options={"horizon": "horizon_days", "layers": None},
        ),
        Analysis(
            "decommission",
            Starts.ONE,
            (),
            _decommission,
            view="decommission",
            drawing=_drawing("decommission_graph"),
            study=_study("decommission_study"),
        ),
        Analysis(
            "flows",
            Starts.ONE,
            (
                Param("depth", 1, "follow flows this many steps up and downstream"),
                Param("personal_only", False, "only flows carrying personal data"),
            ),
            _flows,
            view="data-flows",
            drawing=_drawing("flows_graph"),
            view_options={"depth": "depth"},
        ),
        Analysis(
            "waves",
            Starts.MANY,
            (
                Param("max_size", 50, "at most this many elements per wave"),
                Param("layers", None, "layers that move (default: application, data, technology)"),
            ),
            _waves,
            view="migration-waves",
            drawing=_drawing("waves_graph", reads_metamodel=True),
            study=_study("waves_study"),
            view_options={"max_size": "max_size"},
        ),
        Analysis(
            "diagnose",
            Starts.MANY,
            (
                Param("healthy", (), "element ids known to work: rule out what would break them"),
                Param("limit", 3, "report at most this many candidates (and pairs)"),
            ),
            _diagnose,
            view="diagnosis",
            drawing=_drawing("diagnosis_graph", reads_metamodel=True),
            view_options={"max": "limit"},
        ),
        Analysis(
            "health",
            Starts.SCOPE,
            (
                Param("at", None, "the instant: a date-time, or a date (its end; default now)"),
                Param(
                    "layers",
                    None,
                    "layers given a state (default: application, business, strategy)",
                ),
                Param("horizon_days", 365, "support ending within this many days is a warning"),
                Param("stale_after_days", 180, "facts unconfirmed this long are stale"),
            ),
            _health,
            view="health",
            drawing=_drawing("health_graph"),
            study=_study("health_study"),
            view_options={"horizon": "horizon_days", "group_by": None},
        ),
    )
}
"""Every analysis, by name, in the order the views list them."""


def analysis(name: str) -> Analysis:
    """The analysis called ``name``; a ValidationError naming the others if there is none."""
    found = ANALYSES.get(name)
    if found is None:
        raise ValidationError(f"unknown analysis {name!r}", hint=f"analyses: {', '.join(ANALYSES)}")
    return found


# -- resolving the starts, once --------------------------------------------------------


Target = str | Selector | Sequence[ElementId] | None
"""What an analysis starts from: text (an id, a name, or a selector, as the commands take
it), a parsed selector (as a view holds it), ids already resolved, or None (the landscape)."""


def resolve_starts(
    repo: Repository, kind: Analysis, target: Target, lens: Lens = CURRENT
) -> list[ElementId] | None:
    """The element ids ``kind`` starts from, as ``lens`` shows them.

    Text is read as the commands read it (:meth:`Repository.resolve`, or
    :meth:`Repository.element` for an analysis of one element); a parsed
    selector as a view reads it, saying when it selects only retired elements.
    None is the whole landscape, for an analysis of :attr:`Starts.SCOPE`.
    Raises NotFoundError, SelectorError or ValidationError.
    """
    if target is None:
        if kind.starts is not Starts.SCOPE:
            raise ValidationError(f"the {kind.name} analysis needs a start")
        return None
    if isinstance(target, str):
        if kind.starts is Starts.ONE:
            return [repo.element(target, lens).id]
        return repo.resolve(target, lens)
    if not isinstance(target, Selector):
        return list(target)
    ids = sorted(select_ids(repo.store, repo.metamodel, target, lens=lens))
    if kind.starts is Starts.SCOPE:
        return ids
    if not ids:
        hidden = sorted(select_ids(repo.store, repo.metamodel, target, lens=EVERYTHING))
        if hidden:  # what it names is there, but retired: say so, as `ea impact` does
            named = ", ".join(hidden[:3]) + (" ..." if len(hidden) > 3 else "")
            raise ValidationError(
                f"{target.to_text()!r} selects only retired elements ({named})",
                hint=f"`ea show {hidden[0]}` shows it and its history; "
                "analyses see current elements only",
            )
        raise ValidationError(f"{target.to_text()!r} selects nothing")
    if kind.starts is Starts.ONE and len(ids) != 1:
        raise ValidationError(f"a {kind.name} view is about one element", hint="select one id")
    return ids


def analyse(
    repo: Repository, name: str, target: Target = None, *, lens: Lens = CURRENT, **options: Any
) -> Any:
    """Run the analysis ``name`` from ``target`` under ``lens``: the starts are resolved
    under the same lens the analysis reads with. ``options`` are its parameters
    (:attr:`Analysis.params`); the report is the analysis's own (ImpactReport...)."""
    kind = analysis(name)
    values = kind.options(options)  # an unknown option is refused before any reading
    starts = resolve_starts(repo, kind, target, lens)
    return kind.runner(repo.store, repo.metamodel, starts, lens=lens, **values)


def study(
    repo: Repository,
    name: str,
    target: Target = None,
    *,
    lens: Lens = CURRENT,
    presentation: Mapping[str, Any] | None = None,
    **options: Any,
) -> str:
    """Run the analysis ``name`` as :func:`analyse` does and write its HTML study;
    ``presentation`` holds the study's own options (e.g. the ``layers`` listed)."""
    kind = analysis(name)
    report = analyse(repo, name, target, lens=lens, **options)
    text = target if isinstance(target, str) else None
    return kind.write_study(repo, report, text, **kind.options(options), **(presentation or {}))
