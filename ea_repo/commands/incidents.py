"""``ea incidents``: the incidents opened by a moment, or those open then, with their CI."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from ..output import Format, Result, emit
from .options import (
    FormatOpt,
    MomentOpt,
    OutputOpt,
    ScenarioOpt,
    WorkspaceOpt,
    moment_day,
    open_seen,
)


def incidents(
    at: MomentOpt = None,
    only_open: Annotated[
        bool, typer.Option("--open", help="Only the incidents open at that moment.")
    ] = False,
    scenario: ScenarioOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
) -> None:
    """The incidents opened by a moment (default now) with their state then, the element
    each affects and its priority; open ones first, the most urgent first.

    Example: ea incidents --at 2026-03-14T10:00 --open
    """
    from ..analysis.incidents import incidents_at

    moment, day = moment_day(at)
    with open_seen(workspace, day, scenario) as repo:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        report = incidents_at(repo.store, moment or now, only_open=only_open)
    emit(Result.of(report), fmt, output)
