"""``ea export``: write the repository in other tools' formats."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ValidationError
from ..output import Format, Result, emit, write_output
from .options import (
    AtOpt,
    FormatOpt,
    ScenarioOpt,
    WorkspaceOpt,
    guard_output,
    parse_date,
    seen_as,
)

export_app = typer.Typer(
    help="Write the repository (or a selection) in another tool's format.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@export_app.command("archimate")
def export_archimate_command(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            callback=guard_output,
            help="The exchange file to write (default: standard output).",
        ),
    ] = None,
    select: Annotated[
        str | None,
        typer.Option(
            "--select", help="Only these elements (a selector), and the relations between them."
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(help="Your ArchiMate mapping (the one `ea import archimate` reads)."),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="The model's name (default: the workspace folder's).")
    ] = None,
    at: AtOpt = None,
    scenario: ScenarioOpt = None,
    plateaus: Annotated[
        bool,
        typer.Option(
            "--plateaus",
            help="Write two states in one model, as ArchiMate plateaus with the gap between "
            "them: the baseline (the facts on --baseline) and the target (--at, --scenario).",
        ),
    ] = False,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline", help="With --plateaus: the baseline's day, YYYY-MM-DD (default today)."
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Write an ArchiMate 3.x Model Exchange File that Archi and other tools import.

    Without --at or --scenario it holds the whole repository; with them, the
    landscape seen that day and under that scenario.

    Example: ea export archimate --select 'layer:application' -o model.xml

    Example: ea export archimate --scenario crm-replacement --plateaus -o target.xml
    """
    from ..exporters.archimate import ExportOutcome, export_archimate
    from ..exporters.plateaus import export_plateaus, read_states
    from ..importers.archimate import load_archimate_mapping
    from ..repository import Repository
    from ..selection import select_ids

    if plateaus and at is None and scenario is None:
        raise ValidationError(
            "--plateaus compares two states: say which is the target",
            hint="give --scenario NAME and/or --at DAY",
        )
    if baseline is not None and not plateaus:
        raise ValidationError("--baseline goes with --plateaus")
    baseline_day = parse_date(baseline, "--baseline")
    gap = None
    with Repository.open(workspace) as repo:
        table = load_archimate_mapping(mapping, repo.metamodel)
        seen = repo if at is None and scenario is None else seen_as(repo, at, scenario)
        model_name = name or (repo.workspace.root.name if repo.workspace else "ea-repo")
        if plateaus:
            day = baseline_day.isoformat() if baseline_day else None
            states = read_states(repo, seen, baseline=day, select=select)
            text, stats, gap = export_plateaus(
                *states, repo.metamodel, table, name=name or f"{model_name}: plateaus"
            )
        else:
            if seen is not repo and not name:
                model_name += f" as at {seen.day}" + (f" under {scenario}" if scenario else "")
            ids = select_ids(seen.store, repo.metamodel, select) if select else None
            text, stats = export_archimate(
                seen.store, repo.metamodel, table, element_ids=ids, name=model_name
            )
    if output is None:
        sys.stdout.write(text)
        return
    write_output(output, text)
    result = Result.of(ExportOutcome(str(output), stats, gap))
    emit(result, fmt)
