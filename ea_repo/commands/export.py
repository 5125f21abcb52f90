"""``ea export``: write the repository in other tools' formats."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..output import Format, Result, Table, emit, write_output
from .options import FormatOpt, WorkspaceOpt, guard_output

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
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Write an ArchiMate 3.x Model Exchange File that Archi and other tools import.

    Example: ea export archimate --select 'layer:application' -o model.xml
    """
    from ..exporters.archimate import export_archimate
    from ..importers.archimate import load_archimate_mapping
    from ..repository import Repository
    from ..selection import select_ids

    with Repository.open(workspace) as repo:
        table = load_archimate_mapping(mapping, repo.metamodel)
        ids = select_ids(repo.store, repo.metamodel, select) if select else None
        model_name = name or (repo.workspace.root.name if repo.workspace else "ea-repo")
        text, stats = export_archimate(
            repo.store, repo.metamodel, table, element_ids=ids, name=model_name
        )
    if output is None:
        sys.stdout.write(text)
        return
    write_output(output, text)
    result = Result(
        [
            Table(
                f"wrote {output}",
                ["elements", "relations", "properties", "relations left out"],
                [[stats.elements, stats.relations, stats.properties, len(stats.left_out)]],
            )
        ],
        {
            "file": str(output),
            "elements": stats.elements,
            "relations": stats.relations,
            "properties": stats.properties,
            "left_out": stats.left_out,
        },
    )
    if stats.left_out:
        result.notes.append(
            f"note: {len(stats.left_out)} relation(s) with an end outside the selection left out"
        )
    emit(result, fmt)
