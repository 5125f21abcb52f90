"""``ea quality``: the repository's own data quality, with a threshold for pipelines."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import ValidationError
from ..output import Format, Result, emit
from ..repository import Repository
from .options import FormatOpt, OutputOpt, WorkspaceOpt

QualityTypeOpt = Annotated[
    str | None,
    typer.Option("--type", help="Only this element type (and the types extending it)."),
]


def quality(
    type_name: QualityTypeOpt = None,
    fail_under: Annotated[
        float | None,
        typer.Option(
            "--fail-under",
            metavar="SCORE",
            help="Exit 1 when the overall score (0-100) is below SCORE (for pipelines).",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
) -> None:
    """Score the repository's data quality: completeness of required and recommended
    attributes per type and per source, orphans, stale elements, namesakes, relations no
    source confirms, and the trend of the score across sync runs.

    Example: ea quality --type Application --fail-under 80
    """
    from ..quality import assess

    if fail_under is not None and not 0 <= fail_under <= 100:
        raise ValidationError(
            f"--fail-under {fail_under:g} is not a score", hint="give a number from 0 to 100"
        )
    with Repository.open(workspace) as repo:
        report = assess(repo, type_name)
    result = Result.of(report)
    below = fail_under is not None and report.score < fail_under
    if below:
        result.notes.append(f"alarm: the score {report.score:g} is below {fail_under:g}")
    emit(result, fmt, output)
    if below:
        raise typer.Exit(1)
