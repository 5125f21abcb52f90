"""Command-line options shared by the ``ea`` commands, and the reading of their values."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..config import find_workspace, load_workspace
from ..errors import ValidationError, WorkspaceError
from ..metamodel import Metamodel, load_metamodel
from ..output import Format, check_output

if TYPE_CHECKING:
    from ..repository import Repository


def guard_output(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """Refuse, before the command runs, an ``--output`` that is a file of the ``--workspace``
    (``check_output``): both options call this, and the second one read checks."""
    seen = ctx.meta.setdefault("ea_output_guard", {})
    seen[param.name] = value
    has_workspace = any(p.name == "workspace" for p in ctx.command.params)
    if seen.get("output") is not None and ("workspace" in seen or not has_workspace):
        check_output(seen["output"], seen.get("workspace"))
    return value


WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        envvar="EA_WORKSPACE",
        callback=guard_output,
        help="Workspace folder (default: found from here).",
    ),
]
FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", case_sensitive=False, help="table, json, csv or md.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", callback=guard_output, help="Write to this file."),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="See the landscape as at this day, YYYY-MM-DD (default today; under a "
        "scenario, the day it is complete).",
    ),
]
InstantOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="The instant: YYYY-MM-DDTHH:MM:SSZ, or a day (its end); its day is also the day "
        "the landscape is seen (default now).",
    ),
]
ScenarioOpt = Annotated[
    str | None,
    typer.Option("--scenario", help="Apply this scenario (a file of the workspace's scenarios/)."),
]
AgainstOpt = Annotated[
    str | None,
    typer.Option("--against", help="Compare with this scenario instead of the facts."),
]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", "-s", help="An attribute as KEY=VALUE; repeatable.")
]
HorizonOpt = Annotated[
    str, typer.Option("--horizon", help="Warn this far ahead: 6m, 12m, 90d, 1y.")
]


def parse_date(text: str | None, option: str = "--at") -> dt.date | None:
    """The date ``text`` (YYYY-MM-DD) given to ``option``, None when not given.

    Raises ValidationError naming the option.
    """
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{option} {text!r} is not a date", hint="write it as YYYY-MM-DD"
        ) from None


def pairs(items: Sequence[str] | None, option: str) -> dict[str, str]:
    """``KEY=VALUE`` items given to ``option``, as a dict; a ValidationError for any other."""
    result = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(
                f"{option} {item!r} is not KEY=VALUE", hint=f"e.g. {option} owner=ops@example.org"
            )
        result[key.strip()] = value
    return result


def workspace_root(workspace: Path | None) -> Path | None:
    """The root of the workspace (given, or found from here); None outside any workspace.

    Raises WorkspaceError for a ``workspace`` given that is none.
    """
    try:
        return find_workspace(workspace)
    except WorkspaceError:
        if workspace is not None:
            raise
        return None


def workspace_metamodel(workspace: Path | None) -> tuple[Path | None, Metamodel]:
    """The root of the workspace (given, or found from here) and its metamodel, without
    opening its store; outside any workspace, None and the built-in metamodel.

    Raises WorkspaceError for a ``workspace`` given that is none, MetamodelError
    for a workspace's broken metamodel.
    """
    root = workspace_root(workspace)
    if root is None:
        return None, load_metamodel()
    config = load_workspace(root)
    return config.root, load_metamodel(config.metamodel_path())


def open_seen(workspace: Path | None, at: str | None, scenario: str | None) -> Repository:
    """The workspace's repository as readers see it on ``--at`` and under ``--scenario``
    (:func:`seen_as`)."""
    from ..repository import Repository

    repo = Repository.open(workspace)
    try:
        return seen_as(repo, at, scenario)
    except BaseException:
        repo.close()
        raise


def seen_as(repo: Repository, at: str | None, scenario: str | None) -> Repository:
    """``repo`` as readers see it on ``--at`` and under ``--scenario`` (``Repository.seen``);
    what of the scenario no longer fits the facts is said on stderr."""
    day = parse_date(at)
    seen = repo.seen(day.isoformat() if day else None, scenario)
    for drift in seen.overlay.drift if seen.overlay is not None else ():
        print(f"warning: {drift.text()}", file=sys.stderr)
    return seen
