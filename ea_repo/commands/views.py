"""``ea view`` and ``ea report``: diagrams of the landscape and HTML study reports."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import ValidationError
from ..output import Format, Result, emit, write_output
from ..repository import Repository
from ..views.render import BINARY, DiagramFormat, render
from .options import (
    AgainstOpt,
    AtOpt,
    FormatOpt,
    HorizonOpt,
    MomentOpt,
    OutputOpt,
    ScenarioOpt,
    WorkspaceOpt,
    guard_output,
    open_seen,
    parse_date,
    workspace_metamodel,
    workspace_root,
)
from .quality import QualityTypeOpt

if TYPE_CHECKING:
    from ..views.graph import ViewGraph

view_app = typer.Typer(
    help="List, inspect and render views (diagrams).", no_args_is_help=True, rich_markup_mode=None
)
report_app = typer.Typer(
    help="Write a self-contained HTML study report.", no_args_is_help=True, rich_markup_mode=None
)

DiagramOpt = Annotated[
    DiagramFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="svg, png, pdf, dot or html."),
]


def _is_terminal(path: Path) -> bool:
    """Whether ``path`` is a terminal (``/dev/tty``, ``/dev/stdout`` on one)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


def write_diagram(data: bytes, fmt: DiagramFormat, output: Path | None) -> None:
    """Write a rendered view to ``output``, or text formats to stdout; a binary format is
    never written to a terminal (ValidationError)."""
    if fmt in BINARY and (
        sys.stdout.isatty() if output is None else output.is_char_device() and _is_terminal(output)
    ):
        raise ValidationError(
            f"-f {fmt.value} is binary: give a file, not the terminal",
            hint=f"-o diagram.{fmt.value}",
        )
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    write_output(output, data)
    print(f"wrote {output}", file=sys.stderr)


def draw(graph: ViewGraph, fmt: DiagramFormat | str, output: Path | None, name: str = "") -> None:
    """Render an analysis graph in ``fmt`` and write it (what the analysis commands' -f svg does)."""
    fmt = DiagramFormat(fmt)
    write_diagram(render(graph, fmt, name), fmt, output)


@view_app.command("list")
def view_list(
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """List the views: built-in ones and the workspace's own (its views/ folder).

    Example: ea view list
    """
    from ..views.describe import ViewList
    from ..views.spec import all_views

    emit(Result.of(ViewList(all_views(workspace_root(workspace)))), fmt)


@view_app.command("show")
def view_show(
    name: Annotated[str, typer.Argument(help="A view name or a spec file.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Show what a view selects, how it groups and lays out, and its size limit.

    Example: ea view show infrastructure
    """
    from ..views.describe import ViewDetail
    from ..views.spec import check_view, find_view

    root, metamodel = workspace_metamodel(workspace)
    spec = check_view(find_view(name, root), metamodel)
    emit(Result.of(ViewDetail(spec)), Format.TABLE)


@view_app.command("render")
def view_render(
    name: Annotated[str, typer.Argument(metavar="NAME|FILE", help="A view name or a spec file.")],
    select: Annotated[
        str | None,
        typer.Option(
            "--select", "-s", help="Replace the view's selector (the start of an analysis view)."
        ),
    ] = None,
    at: AtOpt = None,
    scenario: ScenarioOpt = None,
    fmt: DiagramOpt = DiagramFormat.SVG,
    output: OutputOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Render a view as SVG, PNG, PDF, DOT or a self-contained HTML page.

    Example: ea view render infrastructure --select '+"DC Lyon Sud"' -f png -o lyon.png
    """
    from ..views import render_view

    with open_seen(workspace, at, scenario) as repo:
        data = render_view(repo, name, select=select, fmt=fmt, at=_day(repo))
    write_diagram(data, fmt, output)


OutputHtml = Annotated[
    Path,
    typer.Option("--output", "-o", callback=guard_output, help="The HTML file to write."),
]


def _day(repo: Repository) -> dt.date | None:
    """The day ``repo`` is seen at, as a date (the obsolescence overlay judges on it)."""
    return dt.date.fromisoformat(repo.day) if repo.day else None


def _write_html(text: str, output: Path) -> None:
    write_output(output, text)
    print(f"wrote {output}", file=sys.stderr)


@report_app.command("impact")
def report_impact(
    element: Annotated[str, typer.Argument(metavar="X", help="Element id, name, or a selector.")],
    output: OutputHtml,
    at: AtOpt = None,
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """An impact study of X: summary, diagram, dependents by layer with paths, data freshness.

    Example: ea report impact "VCL-PAR-PROD01" -o cluster-impact.html
    """
    from ..analysis.registry import study

    with open_seen(workspace, at, scenario) as repo:
        text = study(repo, "impact", element)
    _write_html(text, output)


@report_app.command("obsolescence")
def report_obsolescence(
    output: OutputHtml,
    at: AtOpt = None,
    horizon: HorizonOpt = "12m",
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """An obsolescence study: technology at risk, what depends on it, data freshness.

    Example: ea report obsolescence --horizon 12m -o obsolescence.html
    """
    from ..analysis.registry import study
    from ..config import parse_duration_days

    days = parse_duration_days(horizon, "--horizon")
    with open_seen(workspace, at, scenario) as repo:
        text = study(repo, "obsolescence", at=_day(repo), horizon_days=days)
    _write_html(text, output)


@report_app.command("health")
def report_health(
    output: OutputHtml,
    at: MomentOpt = None,
    horizon: HorizonOpt = "12m",
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """A health study for a steering committee: the heat map, the reds with their paths, the
    open incidents and their trend (incidents per month, per element), data freshness.

    Example: ea report health --at 2026-03-31 -o health.html
    """
    from ..analysis.incidents import parse_moment
    from ..analysis.registry import study
    from ..config import parse_duration_days

    instant = parse_moment(at)
    days = parse_duration_days(horizon, "--horizon")
    day = None if instant is None else instant.date().isoformat()
    with open_seen(workspace, day, scenario) as repo:
        stale = repo.workspace.stale_after_days if repo.workspace else 180
        text = study(repo, "health", at=instant, horizon_days=days, stale_after_days=stale)
    _write_html(text, output)


@report_app.command("decommission")
def report_decommission(
    element: Annotated[str, typer.Argument(metavar="X", help="Element id or name.")],
    output: OutputHtml,
    at: AtOpt = None,
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """A decommission study of X: the switch-off checklist with its diagram and data freshness.

    Example: ea report decommission "WMS Reflex" -o wms-switch-off.html
    """
    from ..analysis.registry import study

    with open_seen(workspace, at, scenario) as repo:
        text = study(repo, "decommission", element)
    _write_html(text, output)


@report_app.command("waves")
def report_waves(
    selector: Annotated[str, typer.Argument(help="What to move, e.g. 'in:\"DC Lyon Sud\"'.")],
    output: OutputHtml,
    max_size: Annotated[
        int, typer.Option("--max-size", help="At most this many elements per wave.")
    ] = 50,
    at: AtOpt = None,
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """A migration study: each wave, what it moves and its cut-over, with the diagram.

    Example: ea report waves 'in:"DC Lyon Sud"' --max-size 40 -o lyon-waves.html
    """
    from ..analysis.registry import study

    if max_size < 1:
        raise ValidationError("--max-size must be at least 1")
    with open_seen(workspace, at, scenario) as repo:
        text = study(repo, "waves", selector, max_size=max_size)
    _write_html(text, output)


@report_app.command("quality")
def report_quality(
    output: OutputHtml,
    type_name: QualityTypeOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """A repository quality study: the scores, their trend across sync runs as a chart, what
    is missing, orphaned, stale or unconfirmed.

    Example: ea report quality -o quality.html
    """
    from ..quality import assess
    from ..views.report import quality_study

    with Repository.open(workspace) as repo:
        text = quality_study(repo, assess(repo, type_name))
    _write_html(text, output)


@report_app.command("scenario")
def report_scenario(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The scenario.")],
    output: OutputHtml,
    against: AgainstOpt = None,
    at: AtOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """A scenario study: the gap between the facts (or --against OTHER) and scenario NAME,
    both seen the same day — the edits the facts moved under, the two states' diagrams side
    by side with the changes marked, the changes and their consequences, data freshness.

    Example: ea report scenario crm-replacement --at 2027-07-01 -o crm-gap.html
    """
    from ..views.report import scenario_study

    day = parse_date(at)
    with Repository.open(workspace) as repo:
        text = scenario_study(repo, name, against=against, at=day.isoformat() if day else None)
    _write_html(text, output)
