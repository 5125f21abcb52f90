"""The ``ea`` command: a thin Typer skin over the library API.

Each command parses its arguments, calls one library function and renders the
result. User mistakes (:class:`~ea_repo.errors.EaError`) become one message,
a hint and exit code 2 (3 when the store is unreachable or locked); ``--debug`` shows
the traceback.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import __version__
from .commands.export import export_app
from .commands.incidents import incidents
from .commands.options import (
    AtOpt,
    FormatOpt,
    HorizonOpt,
    MomentOpt,
    OutputOpt,
    ScenarioOpt,
    SetOpt,
    WorkspaceOpt,
    moment_day,
    open_seen,
    pairs,
    workspace_metamodel,
)
from .commands.quality import quality
from .commands.scenario import scenario_app
from .commands.store import store_app
from .commands.views import report_app, view_app
from .errors import EaError, SourceError, StoreError, ValidationError
from .metamodel import Dependent, Metamodel, RelationType, load_metamodel
from .metamodel.validate import resolve_element_type
from .output import (
    Format,
    Result,
    Table,
    age_text,
    check_problems_path,
    emit,
    stage_progress,
    write_problems,
)
from .repository import ElementDetail, Repository

if TYPE_CHECKING:
    from .sync import SyncResult

app = typer.Typer(
    name="ea",
    help="ea-repo: the enterprise-architecture repository and impact-analysis engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
metamodel_app = typer.Typer(
    help="Inspect, validate and compare metamodels.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(metamodel_app, name="metamodel")
import_app = typer.Typer(
    help="Import one export into the repository (an ad-hoc run of a source).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(import_app, name="import")
app.add_typer(view_app, name="view")
app.add_typer(report_app, name="report")
app.add_typer(export_app, name="export")
app.add_typer(store_app, name="store")
app.add_typer(scenario_app, name="scenario")
app.command()(quality)
app.command()(incidents)


class AnalysisFormat(StrEnum):
    """Output formats of the analysis commands: data, or a diagram of the result."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MD = "md"
    SVG = "svg"
    PNG = "png"
    PDF = "pdf"
    DOT = "dot"
    HTML = "html"


AnalysisFormatOpt = Annotated[
    AnalysisFormat,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="table, json, csv or md; or draw the result: svg, png, pdf, dot, html.",
    ),
]


def _is_data(fmt: AnalysisFormat) -> bool:
    """Whether ``fmt`` prints the result as data (table, json, csv, md) rather than drawing it."""
    return fmt.value in {f.value for f in Format}


def _drawn(
    fmt: AnalysisFormat,
    name: str,
    report: Any,
    repo: Repository,
    output: Path | None,
    spec: Any = None,
) -> bool:
    """Draw the result of the analysis ``name`` when ``fmt`` is a diagram format (by its
    built-in view, or ``spec``), saying under its title which day and scenario it shows when
    they were asked; False when it is a data format."""
    if _is_data(fmt):
        return False
    from .analysis.registry import ANALYSES
    from .commands.views import draw

    kind = ANALYSES[name]
    graph = kind.draw(report, repo.metamodel, spec)
    if repo.seen_as:
        graph.notes.insert(0, repo.seen_as)
    draw(graph, fmt.value, output, kind.view)
    return True


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"ea-repo {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """ea-repo: the enterprise-architecture repository and impact-analysis engine.

    Start with `ea demo`, or `ea init` in a new folder.
    """


# -- workspace ----------------------------------------------------------------


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder of the new workspace.")] = Path("."),
    metamodel: Annotated[
        str | None, typer.Option(help="Your own metamodel file, relative to the workspace.")
    ] = None,
) -> None:
    """Create a workspace (ea.yaml and .ea/) in DIRECTORY.

    Example: ea init my-landscape
    """
    with Repository.init(directory, metamodel) as repo:
        assert repo.workspace is not None
        typer.echo(f"created workspace {repo.workspace.root}")
        typer.echo("next: `ea add Application --name CRM`, or `ea demo` to see a sample landscape")


@app.command()
def add(
    type_name: Annotated[
        str, typer.Argument(metavar="TYPE", help="Element type, e.g. Application.")
    ],
    id: Annotated[
        str | None, typer.Option("--id", help="Id (default: made from the name).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="Display name.")] = None,
    set_: SetOpt = None,
    update: Annotated[bool, typer.Option("--update", help="Change an existing element.")] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Add an element, validated against the metamodel.

    Example: ea add Server --id srv-db01 --name DB01 --set environment=production
    """
    with Repository.open(workspace) as repo:
        element = repo.add(type_name, id=id, name=name, attrs=pairs(set_, "--set"), update=update)
    if fmt is Format.JSON:
        emit(Result(data=_element_json(element)), fmt)
    else:
        typer.echo(
            f"{'updated' if update else 'added'} {element.type} {element.id} ({element.name})"
        )


@app.command()
def link(
    src: Annotated[str, typer.Argument(help="Id of the source element.")],
    relation: Annotated[
        str, typer.Argument(metavar="REL", help="Relationship type, e.g. runs_on.")
    ],
    dst: Annotated[str, typer.Argument(help="Id of the target element.")],
    set_: SetOpt = None,
    id: Annotated[
        str | None, typer.Option("--id", help="Relation id (default: SRC|REL|DST).")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Link two elements by a relationship type the metamodel allows.

    Example: ea link crm runs_on srv-app01
    """
    with Repository.open(workspace) as repo:
        rel = repo.link(src, relation, dst, pairs(set_, "--set"), id=id)
    typer.echo(f"linked {rel.src} {rel.type} {rel.dst}")


def _element_json(element: Any) -> dict[str, Any]:
    return {
        "id": element.id,
        "type": element.type,
        "name": element.name,
        "status": element.status.value,
        "attrs": dict(element.attrs),
    }


def _detail_result(detail: ElementDetail) -> Result:
    e = detail.element
    facts = Table(
        f"{e.type} {e.id}",
        ["field", "value"],
        [["name", e.name], ["type", e.type], ["layer", detail.layer], ["status", e.status.value]]
        + [[k, v] for k, v in sorted(e.attrs.items())],
    )
    provenance = Table(
        "provenance",
        ["source", "first seen", "last seen", "last run"],
        [[a.source, a.first_seen, a.last_seen, a.last_run] for a in detail.provenance],
    )
    relations = Table(
        "relations",
        ["relation", "element", "name", "type", "attributes"],
        [
            [n.label, n.other.id, n.other.name, n.other.type, dict(n.relation.attrs)]
            for n in detail.neighbors
        ],
    )
    data = {
        **_element_json(e),
        "layer": detail.layer,
        "provenance": [
            {
                "source": a.source,
                "first_seen": a.first_seen,
                "last_seen": a.last_seen,
                "last_run": a.last_run,
            }
            for a in detail.provenance
        ],
        "relations": [
            {
                "relation": n.relation.type,
                "id": n.relation.id,
                "direction": n.direction.value,
                "label": n.label,
                "element": n.other.id,
                "name": n.other.name,
                "type": n.other.type,
                "attrs": dict(n.relation.attrs),
            }
            for n in detail.neighbors
        ],
    }
    return Result([facts, provenance, relations], data)


@app.command()
def show(
    element_id: Annotated[str, typer.Argument(metavar="ID", help="Element id.")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
) -> None:
    """Show an element: attributes, provenance, relations by type and direction.

    Example: ea show crm --format json
    """
    with Repository.open(workspace) as repo:
        detail = repo.describe(element_id)
    emit(_detail_result(detail), fmt, output)


@app.command()
def find(
    text: Annotated[
        str | None, typer.Argument(help="Text in the id, name or an attribute.")
    ] = None,
    type_name: Annotated[
        str | None, typer.Option("--type", "-t", help="Element type (subtypes included).")
    ] = None,
    where: Annotated[
        list[str] | None, typer.Option("--where", help="Attribute equality KEY=VALUE; repeatable.")
    ] = None,
    retired: Annotated[bool, typer.Option("--retired", help="Include retired elements.")] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many results.")] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
) -> None:
    """Find elements by type, attribute values and text.

    Example: ea find --type Server --where environment=production oracle
    """
    with Repository.open(workspace) as repo:
        found = repo.find(
            type_name=type_name,
            attrs=pairs(where, "--where"),
            text=text,
            include_retired=retired,
            limit=limit,
        )
    table = Table(
        f"{len(found)} element{'s' if len(found) != 1 else ''}",
        ["id", "type", "name", "status"],
        [[e.id, e.type, e.name, e.status.value] for e in found],
    )
    emit(Result([table], [_element_json(e) for e in found]), fmt, output)


@app.command()
def stats(
    workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.TABLE, output: OutputOpt = None
) -> None:
    """Count elements and relations by layer and type, and show each source's last run.

    Example: ea stats --format json
    """
    with Repository.open(workspace) as repo:
        s = repo.stats()
        layer_of = {n: t.layer for n, t in repo.metamodel.element_types.items()}
    elements = Table(
        "elements",
        ["layer", "type", "count"],
        sorted(
            ([layer_of.get(t, "unknown"), t, n] for t, n in s.counts.elements.items()),
            key=lambda r: (r[0], r[1]),
        ),
    )
    relations = Table(
        "relations", ["type", "count"], [[t, n] for t, n in sorted(s.counts.relations.items())]
    )
    totals = Table(
        "totals",
        ["what", "count"],
        [
            ["elements", sum(s.counts.elements.values())],
            ["relations", sum(s.counts.relations.values())],
            ["retired elements", s.retired_elements],
            ["retired relations", s.retired_relations],
        ],
    )
    sources = Table(
        "sources", ["source", "last successful run"], sorted(map(list, s.sources.items()))
    )
    data = {
        "elements": dict(s.counts.elements),
        "relations": dict(s.counts.relations),
        "layers": dict(s.layers),
        "retired": {"elements": s.retired_elements, "relations": s.retired_relations},
        "sources": dict(s.sources),
    }
    emit(Result([totals, elements, relations, sources], data), fmt, output)


def _run_counts(stats: Any) -> str:
    parts = []
    for kind in ("elements", "relations"):
        counts = (stats or {}).get(kind) or {}
        moved = {k: v for k, v in counts.items() if v and k != "unchanged"}
        if counts:
            parts.append(
                f"{kind}: " + (", ".join(f"{v} {k}" for k, v in moved.items()) or "no change")
            )
    followed = (stats or {}).get("relations_with_elements") or {}
    if followed:
        parts.append(
            "relations with their elements: " + ", ".join(f"{v} {k}" for k, v in followed.items())
        )
    if (stats or {}).get("problems"):
        parts.append(f"{stats['problems']} problem(s), first: {stats.get('first_problem')}")
    return "; ".join(parts)


class StatusAlarm(StrEnum):
    """What makes `ea status` exit 1, for monitoring."""

    FAILED = "failed"
    STALE = "stale"


@app.command()
def status(
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    fail_on: Annotated[
        list[StatusAlarm] | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 if a source's last run failed (failed), or a source or elements are "
            "stale (stale); repeatable.",
        ),
    ] = None,
) -> None:
    """How current the repository is: each source's last attempt and last success, and
    elements gone stale.

    Example: ea status --fail-on failed --fail-on stale
    """
    with Repository.open(workspace) as repo:
        report = repo.status()
    sources = Table(
        "sources",
        ["source", "last success", "age", "elements", "relations", "last run", "changes"],
        [
            [
                s.source,
                s.last_success.finished_at if s.last_success else "never",
                age_text(s.age_days),
                s.elements,
                s.relations,
                s.attempt_text(),
                _run_counts(s.last_success.stats) if s.last_success else "",
            ]
            for s in report.sources
        ],
    )
    stale = Table(
        f"stale: {report.stale_total} element(s) not confirmed by any source for {report.stale_after_days} days",
        ["id", "type", "name", "last confirmed"],
        [[e.id, e.type, e.name, seen or "never"] for e, seen in report.stale],
    )
    data = {
        "sources": [s.to_data() for s in report.sources],
        "stale_after_days": report.stale_after_days,
        "stale_total": report.stale_total,
        "stale": [{"id": e.id, "type": e.type, "last_confirmed": seen} for e, seen in report.stale],
    }
    result = Result([sources, stale], data)
    if report.stale_total > len(report.stale):
        result.notes.append(f"showing {len(report.stale)} of {report.stale_total} stale elements")
    alarms = report.alarms(fail_on or ())
    result.notes.extend(f"alarm: {a}" for a in alarms)
    emit(result, fmt, output)
    if alarms:
        raise typer.Exit(1)


@app.command()
def history(
    item_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="An element or relation id.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
) -> None:
    """The runs of every source, newest first; with an ID, how that item changed.

    Example: ea history srv-esx01
    """
    with Repository.open(workspace) as repo:
        if item_id is None:
            runs = repo.store.runs(limit=limit)
            table = Table(
                "runs",
                ["run", "source", "started", "finished", "status", "changes", "message"],
                [
                    [
                        r.id,
                        r.source,
                        r.started_at,
                        r.finished_at,
                        r.status,
                        _run_counts(r.stats),
                        r.message,
                    ]
                    for r in runs
                ],
            )
            data = [
                {
                    "id": r.id,
                    "source": r.source,
                    "started_at": r.started_at,
                    "finished_at": r.finished_at,
                    "status": r.status,
                    "stats": dict(r.stats),
                    "message": r.message,
                }
                for r in runs
            ]
            emit(Result([table], data), fmt, output)
            return
        from .sync import changed_fields

        changes = repo.history(item_id)[-limit:]
        sources = {r.id: r.source for r in repo.store.runs()}
    rows = []
    for c in changes:
        detail = ""
        if c.op == "changed":
            detail = "; ".join(
                f"{k}: {old!r} → {new!r}"
                for k, (old, new) in changed_fields(c.before, c.after).items()
            )
        rows.append([c.at, c.run_id, sources.get(c.run_id, ""), c.op, detail])
    table = Table(f"history of {item_id}", ["at", "run", "source", "change", "detail"], rows)
    data = [
        {
            "at": c.at,
            "run": c.run_id,
            "source": sources.get(c.run_id),
            "op": c.op,
            "before": None if c.before is None else dict(c.before),
            "after": None if c.after is None else dict(c.after),
        }
        for c in changes
    ]
    emit(Result([table], data), fmt, output)


# -- analyses ---------------------------------------------------------------------

TargetArg = Annotated[str, typer.Argument(metavar="X", help="Element id, name, or a selector.")]
ExplainOpt = Annotated[
    str | None, typer.Option("--explain", help="Show every shortest path to this element.")
]
DepthOpt = Annotated[
    int | None, typer.Option("--depth", "-d", min=1, help="At most this many steps away.")
]
LayerOpt = Annotated[
    list[str] | None, typer.Option("--layer", help="Only report these layers; repeatable.")
]
RelOpt = Annotated[
    list[str] | None,
    typer.Option("--relation", "-r", help="Only follow these relationship types; repeatable."),
]


def _impact_result(report: Any, explain: str | None, repo: Repository) -> Result:
    result = Result.of(report)
    if explain is not None:
        why = report.explanation(repo.element(explain))
        result.tables.insert(0, why.to_table())
        result.data["explain"] = why.to_data()
        result.notes.extend(why.notes())
    return result


def _seen(result: Result, repo: Repository) -> Result:
    """``result`` with the elements in their phase-out on the day ``repo`` is seen marked."""
    from .results import mark_phasing_out, mentioned_ids

    if repo.day is not None:
        mark_phasing_out(result, repo.phasing_out(mentioned_ids(result.data)), repo.day)
    return result


def _run_analysis(
    way: str,
    element: str,
    depth: int | None,
    layer: list[str] | None,
    relation: list[str] | None,
    explain: str | None,
    at: str | None,
    scenario: str | None,
    workspace: Path | None,
    fmt: AnalysisFormat,
    output: Path | None,
) -> None:
    from .analysis.registry import check_layers
    from .metamodel.validate import resolve_relation_type

    check_layers(layer)
    with open_seen(workspace, at, scenario) as repo:
        relation_types = (
            [resolve_relation_type(repo.metamodel, r).name for r in relation] if relation else None
        )
        # A diagram is drawn from the traversal: each element's path is for the data formats.
        report = repo.analyse(
            way,
            element,
            max_depth=depth,
            relation_types=relation_types,
            layers=layer,
            paths=_is_data(fmt),
        )
        if not _drawn(fmt, way, report, repo, output):
            emit(_seen(_impact_result(report, explain, repo), repo), Format(fmt.value), output)


def _analysis_command(way: str, doc: str) -> None:
    """Register ``ea impact`` / ``ea dependencies``: one signature, two directions."""

    def command(
        element: TargetArg,
        depth: DepthOpt = None,
        layer: LayerOpt = None,
        relation: RelOpt = None,
        explain: ExplainOpt = None,
        at: AtOpt = None,
        scenario: ScenarioOpt = None,
        workspace: WorkspaceOpt = None,
        fmt: AnalysisFormatOpt = AnalysisFormat.TABLE,
        output: OutputOpt = None,
    ) -> None:
        _run_analysis(
            way, element, depth, layer, relation, explain, at, scenario, workspace, fmt, output
        )

    command.__doc__ = doc
    command.__name__ = way
    app.command(name=way)(command)


_analysis_command(
    "impact",
    """Everything that depends on X, by layer, with distance, state (down/degraded) and the path.

    Example: ea impact srv-esx01 --layer business --explain bp-order-to-cash
    """,
)
_analysis_command(
    "dependencies",
    """Everything X depends on, by layer, with distance and the path.

    Example: ea dependencies app-oms --layer technology
    """,
)


@app.command()
def decommission(
    element: Annotated[str, typer.Argument(metavar="X", help="Element id or name.")],
    at: AtOpt = None,
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: AnalysisFormatOpt = AnalysisFormat.TABLE,
    output: OutputOpt = None,
) -> None:
    """The checklist for switching X off: what breaks, flows, data, what is freed, who to tell.

    Example: ea decommission "WMS Reflex" --format md -o wms-switch-off.md
    """
    with open_seen(workspace, at, scenario) as repo:
        r = repo.analyse("decommission", element)
        if not _drawn(fmt, "decommission", r, repo, output):
            emit(_seen(Result.of(r), repo), Format(fmt.value), output)


@app.command()
def flows(
    element: Annotated[
        str, typer.Argument(metavar="X", help="An application or a data object (id or name).")
    ],
    depth: Annotated[
        int,
        typer.Option(
            "--depth", "-d", min=1, help="Follow flows this many steps up and downstream."
        ),
    ] = 1,
    personal: Annotated[
        bool, typer.Option("--personal", help="Only flows carrying personal data.")
    ] = False,
    at: AtOpt = None,
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: AnalysisFormatOpt = AnalysisFormat.TABLE,
    output: OutputOpt = None,
) -> None:
    """Where data circulates from and to an application, or where a data object travels.

    Example: ea flows "Customer" --personal
    """
    with open_seen(workspace, at, scenario) as repo:
        report = repo.analyse("flows", element, depth=depth, personal_only=personal)
        if not _drawn(fmt, "flows", report, repo, output):
            emit(_seen(Result.of(report), repo), Format(fmt.value), output)


@app.command()
def waves(
    selector: Annotated[
        str,
        typer.Argument(
            help="What to move, e.g. 'in:\"DC Lyon Sud\"' (the DC and what is hosted in it)."
        ),
    ],
    max_size: Annotated[
        int, typer.Option("--max-size", help="At most this many elements per wave.")
    ] = 50,
    layer: Annotated[
        list[str] | None,
        typer.Option("--layer", help="Layers that move (default: application, data, technology)."),
    ] = None,
    at: AtOpt = None,
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: AnalysisFormatOpt = AnalysisFormat.TABLE,
    output: OutputOpt = None,
) -> None:
    """Migration waves: what must move together, in which order, capped in size, and
    each wave's cut-over (what stays but depends on it, or it on them).

    Example: ea waves 'in:"DC Lyon Sud"' --max-size 40
    """
    from .analysis.registry import check_layers
    from .analysis.waves import moving_hint

    if max_size < 1:
        raise ValidationError("--max-size must be at least 1")
    check_layers(layer)
    with open_seen(workspace, at, scenario) as repo:
        report = repo.analyse("waves", selector, max_size=max_size, layers=layer)
        if _drawn(fmt, "waves", report, repo, output):
            return
        result = _seen(Result.of(report), repo)
    hint = moving_hint(selector)
    if hint is not None:
        result.notes.append(hint)
    emit(result, Format(fmt.value), output)


@app.command()
def diagnose(
    symptoms: Annotated[
        list[str] | None,
        typer.Argument(metavar="X...", help="Elements reported failing: ids, names or selectors."),
    ] = None,
    symptoms_file: Annotated[
        Path | None,
        typer.Option(
            "--symptoms",
            help="A CSV, XLSX or JSON export of them (monitoring, incidents): one element a "
            "row, in a column ci, configuration item, cmdb_ci, id or name.",
        ),
    ] = None,
    healthy: Annotated[
        list[str] | None,
        typer.Option(
            "--healthy",
            help="An element known to work (id, name or selector): rules out the causes "
            "that would take it down; repeatable.",
        ),
    ] = None,
    most: Annotated[
        int,
        typer.Option("--max", min=1, help="Report at most this many causes (and pairs)."),
    ] = 3,
    at: MomentOpt = None,
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: AnalysisFormatOpt = AnalysisFormat.TABLE,
    output: OutputOpt = None,
) -> None:
    """The common causes that would explain elements failing together: ranked by how many
    symptoms each explains (down before degraded, nearest first), with the paths, and
    what else each would break; pairs of causes when no single one explains them all.
    With --at, the elements the incidents open at that moment affect are symptoms too.

    Example: ea diagnose "CRM" "Webshop" vm-par-0042 --healthy "Loyalty"
    Example: ea diagnose --at 2026-03-14T10:00
    """
    from .analysis.diagnose import Named, read_symptoms, resolve_named
    from .analysis.incidents import incidents_at

    named = [Named(text) for text in symptoms or []]
    if symptoms_file is not None:
        named += read_symptoms(symptoms_file)
    moment, day = moment_day(at)
    if not named and moment is None:
        raise ValidationError(
            "no symptom given",
            hint="name the failing elements, or --symptoms FILE, or --at TIME (the incidents "
            "open then)",
        )
    with open_seen(workspace, day, scenario) as repo:
        sick = resolve_named(repo, named)
        open_now = None
        if moment is not None:
            open_now = incidents_at(repo.store, moment, only_open=True)
            sick = list(dict.fromkeys(sick + open_now.symptoms()))
        if not sick:
            assert open_now is not None
            raise ValidationError(
                f"no incident open at {open_now.at}, and no symptom given",
                hint="see them with `ea incidents --at TIME`",
            )
        well = resolve_named(repo, [Named(text) for text in healthy or []])
        report = repo.analyse("diagnose", sick, healthy=well, limit=most)
        if not _drawn(fmt, "diagnose", report, repo, output):
            result = _seen(Result.of(report), repo)
            if open_now is not None:
                result.data["incidents"] = [i.to_data() for i in open_now.incidents]
                result.notes.insert(0, open_now.symptoms_note())
            emit(result, Format(fmt.value), output)


class FailOn(StrEnum):
    """Which status makes `ea obsolescence` exit 1 (for pipelines)."""

    OBSOLETE = "obsolete"
    WARNING = "warning"


@app.command()
def obsolescence(
    at: AtOpt = None,
    horizon: HorizonOpt = "12m",
    layer: Annotated[
        list[str] | None,
        typer.Option(
            "--layer",
            help="Layers of dependents to list (default: application, business, strategy).",
        ),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Exit 1 if anything is obsolete (or at warning or worse)."),
    ] = None,
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: AnalysisFormatOpt = AnalysisFormat.TABLE,
    output: OutputOpt = None,
) -> None:
    """Technology past or near end of support, and the applications, processes and capabilities on it.

    Example: ea obsolescence --horizon 6m --fail-on obsolete
    """
    import datetime as dt
    from dataclasses import replace

    from .analysis.obsolescence import DEPENDENT_LAYERS, RANK, Risk
    from .analysis.registry import check_layers
    from .config import parse_duration_days
    from .views.spec import builtin_views

    days = parse_duration_days(horizon, "--horizon")
    layers = check_layers(layer) or list(DEPENDENT_LAYERS)
    with open_seen(workspace, at, scenario) as repo:
        # Judged on the day the landscape is seen at: --at, today, or the scenario's end.
        day = dt.date.fromisoformat(repo.day or dt.date.today().isoformat())
        report = repo.analyse("obsolescence", at=day, horizon_days=days)
        spec = builtin_views()["obsolescence"]
        spec = replace(spec, options={**spec.options, "layers": layers})
        if not _drawn(fmt, "obsolescence", report, repo, output, spec):
            result = Result(report.to_tables(layers), report.to_data(), report.notes())
            emit(_seen(result, repo), Format(fmt.value), output)
    if fail_on is not None and RANK[report.worst()] >= RANK[Risk(fail_on.value)]:
        raise typer.Exit(1)


class HealthFailOn(StrEnum):
    """Which state makes `ea health` exit 1 (for monitoring)."""

    RED = "red"
    AMBER = "amber"


@app.command()
def health(
    at: MomentOpt = None,
    layer: Annotated[
        list[str] | None,
        typer.Option(
            "--layer",
            help="Give every element of these layers a state (default: applications, "
            "processes and capabilities); repeatable.",
        ),
    ] = None,
    horizon: HorizonOpt = "12m",
    fail_on: Annotated[
        HealthFailOn | None,
        typer.Option("--fail-on", help="Exit 1 if anything is red (or amber or worse)."),
    ] = None,
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: AnalysisFormatOpt = AnalysisFormat.TABLE,
    output: OutputOpt = None,
) -> None:
    """Health at an instant: per application, process and capability, its open incidents, the
    support of the technology beneath, stale facts, and a state with the path that explains it.

    Red: an open critical or high incident on it, or on something whose loss takes it down.
    Amber: an open moderate or low one there; a critical or high one on something whose loss
    only degrades it (a cluster peer, a data feed); or technology beneath past its end of life.
    Green: none of these. Changes and planning tickets, support ending soon and stale facts
    are shown but colour nothing.

    Example: ea health --at 2026-03-01T08:00:00Z --layer application --fail-on red
    """
    from .analysis.health import HEALTH_RANK, Health
    from .analysis.registry import check_layers
    from .config import parse_duration_days

    instant, day = moment_day(at)
    days = parse_duration_days(horizon, "--horizon")
    layers = check_layers(layer)
    with open_seen(workspace, day, scenario) as repo:
        stale = repo.workspace.stale_after_days if repo.workspace else 180
        report = repo.analyse(
            "health", at=instant, layers=layers, horizon_days=days, stale_after_days=stale
        )
        if not _drawn(fmt, "health", report, repo, output):
            emit(_seen(Result.of(report), repo), Format(fmt.value), output)
    if fail_on is not None and any(
        HEALTH_RANK[e.health] >= HEALTH_RANK[Health(fail_on.value)] for e in report.elements
    ):
        raise typer.Exit(1)


# -- import and sync -------------------------------------------------------------

SourceOpt = Annotated[
    str | None, typer.Option("--source", help="Source name (default: the importer's name).")
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Apply even if more than max_missing would go.")
]
OnMissingOpt = Annotated[
    str,
    typer.Option(
        "--on-missing", help="What happens to items no longer exported: retire, delete, keep."
    ),
]
MaxMissingOpt = Annotated[
    str, typer.Option("--max-missing", help="Refuse runs removing more than this (e.g. 20%).")
]
ProblemsOpt = Annotated[
    Path | None,
    typer.Option(
        "--problems",
        help="Write every problem to this file, .csv or .json (an empty list when none).",
    ),
]
DETAIL_LIMIT = 20


def _sync_result(result: SyncResult, dry_run: bool) -> Result:
    from .sources import SourceOutcome

    verb = "would be" if dry_run else "were"
    counts = Table(
        f"{result.source}: {'dry run, nothing written' if dry_run else f'run {result.run_id} applied'}",
        ["kind", "added", "changed", "revived", "unchanged", "missing"],
        [
            ["elements", *result.elements.counts().values()],
            ["relations", *result.relations.counts().values()],
        ],
    )
    details = []
    for kind, diff in (("element", result.elements), ("relation", result.relations)):
        rows: list[list[Any]] = [[kind, i, "added", ""] for i in diff.added[:DETAIL_LIMIT]]
        rows += [
            [kind, i, "changed", "; ".join(f"{k}: {a!r} → {b!r}" for k, (a, b) in fields.items())]
            for i, fields in list(diff.changed.items())[:DETAIL_LIMIT]
        ]
        rows += [[kind, i, "revived", ""] for i in diff.revived[:DETAIL_LIMIT]]
        rows += [
            [kind, i, "missing", fate] for i, fate in list(diff.missing.items())[:DETAIL_LIMIT]
        ]
        details += rows
    result_out = Result(
        [
            counts,
            Table(
                f"changes that {verb} made (first {DETAIL_LIMIT} of each kind)",
                ["kind", "id", "change", "detail"],
                details,
            ),
        ],
        {
            **SourceOutcome(result.source, result=result).summary(),
            "dry_run": dry_run,
            "details": {
                kind: {
                    "added": diff.added,
                    "changed": {
                        i: {k: list(v) for k, v in f.items()} for i, f in diff.changed.items()
                    },
                    "revived": diff.revived,
                    "missing": diff.missing,
                }
                for kind, diff in (("elements", result.elements), ("relations", result.relations))
            },
        },
    )
    if result.refused:
        result_out.notes.append(f"guard: {result.refused}; the real run needs --force")
    result_out.notes.extend(f"note: {w}" for w in result.notes())
    return result_out


def _run_import(
    importer: str,
    files: list[Path],
    *,
    workspace: Path | None,
    source: str | None = None,
    preset: str | None = None,
    mapping: Path | None = None,
    on_missing: str = "retire",
    max_missing: str = "20%",
    dry_run: bool = False,
    force: bool = False,
    fmt: Format,
    output: Path | None,
    problems: Path | None = None,
    options: dict[str, str] | None = None,
) -> None:
    from .sources import SourceOutcome, keep_quality, make_spec, run_source, sync_lock

    check_problems_path(problems)
    try:
        with Repository.open(workspace) as repo:
            assert repo.workspace is not None
            spec = make_spec(
                source or importer,
                importer,
                files,
                preset=preset,
                mapping=mapping,
                on_missing=on_missing,
                max_missing=max_missing,
                options=options,
            )
            with sync_lock(repo.workspace, repo.store), stage_progress() as progress:
                result = run_source(
                    spec,
                    repo.store,
                    repo.metamodel,
                    dry_run=dry_run,
                    force=force,
                    progress=progress,
                )
                keep_quality(repo.workspace, repo.store, repo.metamodel, [result])
    except EaError as exc:
        # A scheduler reads what failed from the JSON (or the problems file) as well.
        _write_problems(problems, [(source or importer, exc)])
        if fmt is Format.JSON:
            emit(Result(data=SourceOutcome(source or importer, error=exc).summary()), fmt, output)
        raise
    _write_problems(problems, [])
    emit(_sync_result(result, dry_run), fmt, output)


def _write_problems(path: Path | None, failures: Sequence[tuple[str | None, EaError]]) -> None:
    """Write every problem of ``failures`` (source name, error) to ``path``, if one was given."""
    if path is None:
        return
    rows = [(name, problem) for name, exc in failures for problem in exc.all_problems()]
    write_problems(path, rows)
    print(f"wrote {len(rows)} problem{'s' if len(rows) != 1 else ''} to {path}", file=sys.stderr)


@import_app.command("cmdb")
def import_cmdb(
    files: Annotated[
        list[Path], typer.Argument(help="The CI export, then (optionally) the relationship export.")
    ],
    preset: Annotated[
        str | None, typer.Option(help="A shipped mapping: servicenow or itop.")
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="Your own mapping file (YAML).")] = None,
    on_duplicate: Annotated[
        str | None,
        typer.Option(
            help="Rows that share a key but differ: error, first, last or merge "
            "(default: the mapping's; servicenow merges, itop refuses)."
        ),
    ] = None,
    source: SourceOpt = None,
    on_missing: OnMissingOpt = "retire",
    max_missing: MaxMissingOpt = "20%",
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    problems: ProblemsOpt = None,
) -> None:
    """Import a CMDB export (CSV, XLSX or JSON) and its relationship export.

    Example: ea import cmdb cmdb_ci.csv cmdb_rel_ci.csv --preset servicenow --source cmdb
    """
    _run_import(
        "cmdb",
        files,
        source=source,
        preset=preset,
        mapping=mapping,
        options={"on_duplicate": on_duplicate} if on_duplicate else None,
        on_missing=on_missing,
        max_missing=max_missing,
        dry_run=dry_run,
        force=force,
        workspace=workspace,
        fmt=fmt,
        output=output,
        problems=problems,
    )


@import_app.command("flows")
def import_flows(
    files: Annotated[
        list[Path], typer.Argument(help="Interface catalog file(s): CSV, XLSX or JSON.")
    ],
    source: SourceOpt = None,
    on_missing: OnMissingOpt = "retire",
    max_missing: MaxMissingOpt = "20%",
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    problems: ProblemsOpt = None,
) -> None:
    """Import an interface catalog: flows between applications and the data they carry.

    Example: ea import flows interfaces.csv --source interfaces --dry-run
    """
    _run_import(
        "flows",
        files,
        source=source,
        on_missing=on_missing,
        max_missing=max_missing,
        dry_run=dry_run,
        force=force,
        workspace=workspace,
        fmt=fmt,
        output=output,
        problems=problems,
    )


@import_app.command("eol")
def import_eol(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Lifecycle files (endoflife.date API or snapshot format); default: the shipped snapshot."
        ),
    ] = None,
    source: SourceOpt = None,
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    problems: ProblemsOpt = None,
) -> None:
    """Match the software the repository holds to lifecycle dates; unmatched products are listed.

    Example: ea import eol --dry-run
    """
    _run_import(
        "eol",
        files or [],
        source=source,
        dry_run=dry_run,
        force=force,
        workspace=workspace,
        fmt=fmt,
        output=output,
        problems=problems,
    )


@import_app.command("archimate")
def import_archimate(
    file: Annotated[Path, typer.Argument(help="An ArchiMate 3.x Model Exchange File (XML).")],
    source: SourceOpt = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="Your mapping of ArchiMate types (overrides the shipped one entry by entry)."
        ),
    ] = None,
    on_missing: OnMissingOpt = "retire",
    max_missing: MaxMissingOpt = "20%",
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    problems: ProblemsOpt = None,
) -> None:
    """Import an ArchiMate model exported by Archi or another tool (Open Group exchange format).

    Example: ea import archimate model.xml --source archi --dry-run
    """
    _run_import(
        "archimate",
        [file],
        source=source,
        mapping=mapping,
        on_missing=on_missing,
        max_missing=max_missing,
        dry_run=dry_run,
        force=force,
        workspace=workspace,
        fmt=fmt,
        output=output,
        problems=problems,
    )


@import_app.command("incidents")
def import_incidents(
    files: Annotated[
        list[Path], typer.Argument(help="An incident or alert list: CSV, XLSX or JSON.")
    ],
    preset: Annotated[
        str | None,
        typer.Option(help="A shipped mapping: servicenow (an incident list) or generic."),
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="Your own mapping file (YAML).")] = None,
    unknown_ci: Annotated[
        str,
        typer.Option(
            help="An incident on a CI the repository lacks: error (refuse the run, naming "
            "each row) or skip (leave it out, counted)."
        ),
    ] = "error",
    timezone: Annotated[
        str | None,
        typer.Option(
            help="The zone of times written without one, e.g. Europe/Paris (ServiceNow's "
            "display values are in the exporting user's zone; default: the mapping's, UTC)."
        ),
    ] = None,
    source: SourceOpt = None,
    on_missing: OnMissingOpt = "retire",
    max_missing: MaxMissingOpt = "20%",
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    problems: ProblemsOpt = None,
) -> None:
    """Import incidents or alerts: observations attached to the CIs they affect.

    Each becomes an Incident (number, priority, state, times in ISO 8601 UTC) that
    affects its configuration item, found by id, then by name. An incident that is over
    and no longer exported is kept (an export covers a window of time); one still open
    follows --on-missing.

    Example: ea import incidents incident.csv --preset servicenow --source incidents
    """
    _run_import(
        "incidents",
        files,
        source=source,
        preset=preset,
        mapping=mapping,
        options={"unknown_ci": unknown_ci} | ({"timezone": timezone} if timezone else {}),
        on_missing=on_missing,
        max_missing=max_missing,
        dry_run=dry_run,
        force=force,
        workspace=workspace,
        fmt=fmt,
        output=output,
        problems=problems,
    )


@app.command()
def sync(
    only: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source; repeatable.")
    ] = None,
    dry_run: DryRunOpt = False,
    force: ForceOpt = False,
    json_summary: Annotated[
        bool, typer.Option("--json", help="Print a JSON summary (for schedulers).")
    ] = False,
    problems: ProblemsOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Run every source declared in ea.yaml (what cron or a systemd timer calls).

    Exits 1 if any source failed (the others are still applied), 3 if the store is lost or
    locked by another process's write (the rest are not tried), 4 if another sync or edit is
    running.

    Example: ea sync --json
    """
    import json as jsonlib

    from .sources import SyncLockedError, sync_all

    check_problems_path(problems)
    try:
        with Repository.open(workspace) as repo:
            assert repo.workspace is not None
            try:
                outcomes = sync_all(
                    repo.workspace,
                    repo.store,
                    repo.metamodel,
                    only=only,
                    dry_run=dry_run,
                    force=force,
                )
            except SyncLockedError as exc:
                if json_summary:  # a scheduler reads JSON whatever happens
                    typer.echo(jsonlib.dumps({"ok": False, "error": exc.message, "sources": []}))
                raise
    except EaError as exc:
        _write_problems(problems, [(None, exc)])
        raise
    _write_problems(problems, [(o.name, o.error) for o in outcomes if o.error is not None])
    failed = [o for o in outcomes if not o.ok]
    if json_summary:
        typer.echo(
            jsonlib.dumps({"ok": not failed, "sources": [o.summary() for o in outcomes]}, indent=2)
        )
    else:
        for outcome in outcomes:
            if outcome.result is not None:
                emit(_sync_result(outcome.result, dry_run), Format.TABLE)
            else:
                assert outcome.error is not None
                _print_error(outcome.error)
    if failed:
        # 3 when the store itself could not be written (lost, locked), as for other commands
        raise typer.Exit(3 if any(isinstance(o.error, StoreError) for o in failed) else 1)


@app.command()
def demo(
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="Folder of the demo workspace.")
    ] = Path("demo-workspace"),
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing demo workspace.")
    ] = False,
    backend: Annotated[
        str,
        typer.Option(
            "--backend", help="sqlite, or neo4j: the server of EA_NEO4J_URI (tag `demo`)."
        ),
    ] = "sqlite",
) -> None:
    """Build a demo workspace with a sample landscape and print what to try next.

    Example: ea demo --workspace /tmp/ea-demo
    """
    from .demo import build_demo

    if backend not in ("sqlite", "neo4j"):
        raise ValidationError(f"unknown backend {backend!r}", hint="use sqlite or neo4j")
    summary = build_demo(workspace, force=force, backend=backend)
    typer.echo(summary)


# -- metamodel ------------------------------------------------------------------


def _metamodel_for(workspace: Path | None, file: Path | None) -> Metamodel:
    if file is not None:
        return load_metamodel(file)
    return workspace_metamodel(workspace)[1]


@metamodel_app.command("show")
def metamodel_show(
    type_name: Annotated[
        str | None, typer.Argument(metavar="TYPE", help="An element or relationship type.")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A metamodel file instead of the workspace's.")
    ] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
) -> None:
    """List the element and relationship types, or detail one type.

    Example: ea metamodel show Application
    """
    mm = _metamodel_for(workspace, file)
    emit(_metamodel_result(mm, type_name), fmt, output)


def _attribute_rows(attributes: Any) -> list[list[Any]]:
    return [
        [
            a.name,
            a.type.value,
            a.required,
            a.recommended,
            a.default,
            a.unique,
            list(a.values),
            a.description,
        ]
        for a in attributes.values()
    ]


_ATTRIBUTE_COLUMNS = [
    "attribute",
    "type",
    "required",
    "recommended",
    "default",
    "unique",
    "values",
    "description",
]


def _impact_kind(rt: RelationType) -> str | None:
    """What a relationship type leaves its dependent in: down, degraded, or None (not followed)."""
    if rt.dependent is Dependent.NONE:
        return None
    return "degraded" if rt.degrades else "down"


def _metamodel_result(mm: Metamodel, type_name: str | None) -> Result:
    if type_name is None:
        types = Table(
            f"element types ({mm.name} {mm.version})",
            ["type", "layer", "extends", "attributes", "description"],
            [
                [t.name, t.layer, t.extends, len(t.attributes), t.description]
                for t in sorted(mm.element_types.values(), key=lambda t: (t.layer, t.name))
            ],
        )
        rels = Table(
            "relationship types",
            ["type", "dependent", "redundant", "impact", "label", "description"],
            [
                [r.name, r.dependent.value, r.redundant, _impact_kind(r), r.label, r.description]
                for r in sorted(mm.relation_types.values(), key=lambda r: r.name)
            ],
        )
        data = {
            "name": mm.name,
            "version": mm.version,
            "element_types": {
                t.name: {"layer": t.layer, "extends": t.extends} for t in mm.element_types.values()
            },
            "relationship_types": {
                r.name: {
                    "dependent": r.dependent.value,
                    "redundant": r.redundant,
                    "impact": _impact_kind(r),
                    "from": sorted(r.sources),
                    "to": sorted(r.targets),
                }
                for r in mm.relation_types.values()
            },
        }
        return Result([types, rels], data)
    rt = mm.relation_type(type_name)
    if rt is not None and mm.element_type(type_name) is None:
        facts = Table(
            f"relationship type {rt.name}",
            ["field", "value"],
            [
                ["description", rt.description],
                ["dependent", rt.dependent.value],
                ["redundant", rt.redundant],
                ["impact", _impact_kind(rt)],
                ["hosting", rt.hosting],
                ["label", f"{rt.label} / {rt.reverse_label}"],
                ["from", sorted(rt.sources)],
                ["to", sorted(rt.targets)],
            ],
        )
        attrs = Table("attributes", _ATTRIBUTE_COLUMNS, _attribute_rows(rt.attributes))
        return Result(
            [facts, attrs],
            {
                "name": rt.name,
                "dependent": rt.dependent.value,
                "redundant": rt.redundant,
                "impact": _impact_kind(rt),
                "hosting": rt.hosting,
                "from": sorted(rt.sources),
                "to": sorted(rt.targets),
                "attributes": [
                    dict(zip(_ATTRIBUTE_COLUMNS, r, strict=True))
                    for r in _attribute_rows(rt.attributes)
                ],
            },
        )
    et = resolve_element_type(mm, type_name)
    facts = Table(
        f"element type {et.name}",
        ["field", "value"],
        [
            ["layer", et.layer],
            ["extends", et.extends],
            ["abstract", et.abstract],
            ["description", et.description],
        ],
    )
    attrs = Table("attributes", _ATTRIBUTE_COLUMNS, _attribute_rows(et.attributes))
    outgoing = [
        [r.label, r.name, sorted(r.targets)]
        for r in mm.relation_types.values()
        if et.name in r.sources
    ]
    incoming = [
        [r.reverse_label, r.name, sorted(r.sources)]
        for r in mm.relation_types.values()
        if et.name in r.targets
    ]
    rels = Table(
        "relationships",
        ["direction", "reads", "type", "other end"],
        [["out", *row] for row in sorted(outgoing)] + [["in", *row] for row in sorted(incoming)],
    )
    return Result(
        [facts, attrs, rels],
        {
            "name": et.name,
            "layer": et.layer,
            "extends": et.extends,
            "attributes": [
                dict(zip(_ATTRIBUTE_COLUMNS, r, strict=True))
                for r in _attribute_rows(et.attributes)
            ],
            "outgoing": [r[1] for r in sorted(outgoing)],
            "incoming": [r[1] for r in sorted(incoming)],
        },
    )


@metamodel_app.command("validate")
def metamodel_validate(
    file: Annotated[Path, typer.Argument(help="The metamodel YAML file to check.")],
) -> None:
    """Check a metamodel file; every problem is printed as file:line: problem — hint.

    Example: ea metamodel validate my-metamodel.yaml
    """
    mm = load_metamodel(file)
    typer.echo(
        f"{file}: valid — {len(mm.element_types)} element types, {len(mm.relation_types)} relationship types"
    )


@metamodel_app.command("diff")
def metamodel_diff(
    old: Annotated[Path, typer.Argument(help="The current metamodel (or `builtin`).")],
    new: Annotated[Path, typer.Argument(help="The proposed metamodel.")],
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
) -> None:
    """What changing from OLD to NEW changes, and which data of the repository it would break.

    Example: ea metamodel diff builtin my-metamodel.yaml
    """
    old_mm, new_mm = load_metamodel(old), load_metamodel(new)
    with Repository.open(workspace) as repo:
        diff = repo.metamodel_diff(old_mm, new_mm)
    result = Result(
        [
            Table("changes", ["change", "detail"], [list(c) for c in diff.structural]),
            Table(
                "data that would become invalid",
                ["kind", "id", "problem"],
                [list(b) for b in diff.breaks],
            ),
        ],
        {
            "changes": [{"change": c, "detail": d} for c, d in diff.structural],
            "breaks": [{"kind": k, "id": i, "problem": p} for k, i, p in diff.breaks],
        },
    )
    result.notes.append(
        f"{len(diff.breaks)} item{'s' if len(diff.breaks) != 1 else ''} of the repository would be rejected by {new}"
    )
    emit(result, fmt, output)


# -- entry points -----------------------------------------------------------------


PROBLEM_LIMIT = 50


def _print_error(exc: EaError) -> None:
    lines = [f"error: {exc.message}"]
    shown = [p for p in exc.problems if str(p) != exc.message]
    lines.extend(f"  {p}" for p in shown[:PROBLEM_LIMIT])
    if len(shown) > PROBLEM_LIMIT:
        every = " (--problems FILE writes them all)" if isinstance(exc, SourceError) else ""
        lines.append(f"  ... and {len(shown) - PROBLEM_LIMIT} more{every}")
    if exc.hint:
        lines.append(f"hint: {exc.hint}")
    print("\n".join(lines), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ea`` command with ``argv``; returns the exit code instead of exiting."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or bool(os.environ.get("EA_DEBUG"))
    try:
        # Standalone mode lets Typer report usage errors itself (exit 2); it ends in SystemExit.
        app(args=args, prog_name="ea")
        return 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except EaError as exc:
        _print_error(exc)
        if debug:
            traceback.print_exc()
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if debug:
            traceback.print_exc()
        else:
            print(
                f"internal error: {type(exc).__name__} — this is a bug in ea-repo; "
                "rerun with --debug for the traceback and report it",
                file=sys.stderr,
            )
        return 1


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def run() -> None:
    """Console-script entry point.

    SIGTERM (``systemctl stop``, ``timeout``) ends the command as an error does:
    a write rolls back, a staged Neo4j run is closed as failed and the locks are
    released at once, instead of waiting for their leases to expire.
    """
    signal.signal(signal.SIGTERM, _terminated)
    sys.exit(main())
