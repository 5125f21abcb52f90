"""``ea store``: the repository's storage itself (copying it to another backend)."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from ..config import StoreConfig, Workspace, check_neo4j_target, load_workspace
from ..errors import StoreError, WorkspaceError
from ..metamodel import load_metamodel
from ..output import Format, Result, emit, stage_progress
from ..repository import open_store
from .options import FormatOpt, WorkspaceOpt

store_app = typer.Typer(
    help="The repository's storage: copy it between SQLite and Neo4j.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class Backend(StrEnum):
    """The backends a repository can be copied to."""

    SQLITE = "sqlite"
    NEO4J = "neo4j"


def _same_store(a: Workspace, b: Workspace) -> bool:
    """Whether two store settings lead to the same repository (however they are written)."""
    if a.store.backend != b.store.backend:
        return False
    if a.store.backend == "sqlite":
        return a.sqlite_path().resolve() == b.sqlite_path().resolve()

    def where(cfg: StoreConfig) -> tuple[str, str, str]:
        address = urlsplit(cfg.uri or "").netloc.lower()
        return address, cfg.database or "neo4j", cfg.repository

    return where(a.store) == where(b.store)


@store_app.command("copy")
def store_copy(
    to: Annotated[Backend, typer.Option("--to", case_sensitive=False, help="sqlite or neo4j.")],
    path: Annotated[
        Path | None,
        typer.Option(help="sqlite: the target file (default: the workspace's store.path)."),
    ] = None,
    uri: Annotated[
        str | None, typer.Option(help="neo4j: the server (default: store.uri or EA_NEO4J_URI).")
    ] = None,
    user: Annotated[str | None, typer.Option(help="neo4j: the user (default: neo4j).")] = None,
    database: Annotated[str | None, typer.Option(help="neo4j: the database.")] = None,
    repository: Annotated[
        str | None, typer.Option(help="neo4j: the repository tag (default: store.repository).")
    ] = None,
    replace_target: Annotated[
        bool, typer.Option("--replace", help="Empty a non-empty target first.")
    ] = False,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Copy the whole repository (elements, relations, provenance, runs, change log) to
    another backend, then check the counts. ea.yaml is not changed: switch `store.backend`
    when the copy is right. The Neo4j password comes from EA_NEO4J_PASSWORD.

    Example: ea store copy --to neo4j --uri bolt://localhost:7687
    """
    from ..sources import sync_lock
    from ..store.copy import CopyOutcome, copy_repository

    # An option of the other backend would otherwise be ignored without a word.
    other = (
        {"--uri": uri, "--user": user, "--database": database, "--repository": repository}
        if to is Backend.SQLITE
        else {"--path": path}
    )
    ignored = [option for option, value in other.items() if value is not None]
    if ignored:
        raise WorkspaceError(
            f"{', '.join(ignored)}: not an option of a copy --to {to.value}",
            hint="--path is for --to sqlite; --uri, --user, --database, --repository for --to neo4j",
        )
    ws = load_workspace(workspace)
    metamodel = load_metamodel(ws.metamodel_path())
    cfg = ws.store
    if to is Backend.SQLITE:
        # A path typed on the command line is the user's, relative to where they are.
        target_cfg = replace(cfg, backend="sqlite", path=path.resolve() if path else cfg.path)
    else:
        target_cfg = replace(
            cfg,
            backend="neo4j",
            # An option given empty is checked, not taken for the workspace's setting.
            uri=cfg.uri if uri is None else uri,
            user=user or cfg.user,
            database=database or cfg.database,
            repository=cfg.repository if repository is None else repository,
        )
        check_neo4j_target(target_cfg.uri, "--uri", target_cfg.repository, "--repository")
    target_ws = replace(ws, store=target_cfg)
    if _same_store(ws, target_ws):
        raise WorkspaceError(
            "the target is the repository itself",
            hint="copy --to the other backend, or give --path / --repository",
        )
    # The copy reads the source in several passes: no sync may write in between.
    with (
        sync_lock(ws),
        contextlib.closing(open_store(ws, metamodel)) as source,
        contextlib.closing(open_store(target_ws, metamodel)) as target,
        stage_progress() as progress,
    ):
        report = copy_repository(
            source,
            target,
            progress,
            replace=replace_target,
            # Neo4j labels and types what it holds after the metamodel
            types=(metamodel.element_types, metamodel.relation_types)
            if to is Backend.NEO4J
            else None,
        )
    where = (
        str(target_ws.sqlite_path())
        if to is Backend.SQLITE
        else f"{target_cfg.uri} ({target_cfg.repository})"
    )
    result = Result.of(CopyOutcome(report, cfg.backend, to.value, where))
    if not report.ok:
        emit(result, fmt)
        raise StoreError(
            "the copy's counts do not match the source", hint="run it again with --replace"
        )
    emit(result, fmt)
