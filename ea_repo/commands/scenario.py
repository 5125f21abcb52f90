"""``ea scenario``: named change sets over the repository, and the gap they open."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import WorkspaceError
from ..output import Format, Result, emit
from .options import (
    AgainstOpt,
    AtOpt,
    FormatOpt,
    OutputOpt,
    SetOpt,
    WorkspaceOpt,
    pairs,
    parse_date,
)

if TYPE_CHECKING:
    from ..repository import Repository
    from ..scenarios import Book, Overlay, Scenario
    from ..scenarios.edit import Editor

scenario_app = typer.Typer(
    help="Scenarios: named change sets kept apart from the synced facts (scenarios/NAME.yaml).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The scenario.")]
OnOpt = Annotated[
    str | None,
    typer.Option("--on", help="The day the edit takes effect, YYYY-MM-DD (default: at once)."),
]


def _book(repo: Repository) -> Book:
    from ..scenarios import Book

    if repo.workspace is None:
        raise WorkspaceError("scenarios live in a workspace")
    return Book(repo.workspace.root)


def _on(on: str | None) -> str | None:
    day = parse_date(on, "--on")
    return day.isoformat() if day else None


def _edited(scenario: Scenario, overlay: Overlay) -> None:
    edit = scenario.edits[-1]
    typer.echo(f"{scenario.name}: edit {len(scenario.edits)}: {edit.text()}")
    for drift in overlay.drift:
        typer.echo(f"warning: {drift.text()}", err=True)


@scenario_app.command("new")
def scenario_new(
    name: NameArg,
    description: Annotated[
        str, typer.Option("--description", "-d", help="What the scenario is for.")
    ] = "",
    based_on: Annotated[
        str | None, typer.Option("--based-on", help="Start from this scenario's edits.")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Make an empty scenario (a file in scenarios/), optionally starting from another.

    Example: ea scenario new crm-replacement -d "Salesforce replaces the legacy CRM"
    """
    from ..repository import Repository

    with Repository.open(workspace) as repo:
        scenario = _book(repo).create(name, description, based_on)
    typer.echo(f"created scenario {scenario.name} ({scenario.path})")


@scenario_app.command("list")
def scenario_list(workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.TABLE) -> None:
    """The scenarios of the workspace, with their edits and what no longer fits the facts.

    Example: ea scenario list --format json
    """
    from ..repository import Repository
    from ..scenarios.listing import list_scenarios

    with Repository.open(workspace) as repo:
        found = list_scenarios(_book(repo), repo.store, repo.metamodel)
    emit(Result.of(found), fmt)


@scenario_app.command("show")
def scenario_show(
    name: NameArg, workspace: WorkspaceOpt = None, fmt: FormatOpt = Format.TABLE
) -> None:
    """A scenario's edits, in the order they apply, and every edit the facts have moved under.

    Example: ea scenario show crm-replacement
    """
    from ..repository import Repository
    from ..scenarios.listing import describe_scenario

    with Repository.open(workspace) as repo:
        detail = describe_scenario(_book(repo), name, repo.store, repo.metamodel)
    emit(Result.of(detail), fmt)


@scenario_app.command("delete")
def scenario_delete(name: NameArg, workspace: WorkspaceOpt = None) -> None:
    """Delete a scenario's file (refused while another scenario starts from it).

    Example: ea scenario delete crm-replacement
    """
    from ..repository import Repository

    with Repository.open(workspace) as repo:
        path = _book(repo).delete(name)
    typer.echo(f"deleted scenario {name} ({path})")


def _editor(repo: Repository, name: str) -> Editor:
    from ..scenarios.edit import Editor

    return Editor(repo, _book(repo), name)


@scenario_app.command("add")
def scenario_add(
    name: NameArg,
    type_name: Annotated[str, typer.Argument(metavar="TYPE", help="Element type.")],
    id: Annotated[
        str | None, typer.Option("--id", help="Id (default: made from the name).")
    ] = None,
    element_name: Annotated[str | None, typer.Option("--name", "-n", help="Display name.")] = None,
    set_: SetOpt = None,
    on: OnOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add an element under the scenario.

    Example: ea scenario add crm-replacement Application --name Salesforce --set criticality=high
    """
    from ..errors import ValidationError
    from ..repository import Repository, slugify

    element_id = id or (slugify(element_name) if element_name else "")
    if not element_id:
        raise ValidationError("give an --id or a --name to make the id from")
    with Repository.open(workspace) as repo:
        scenario, overlay = _editor(repo, name).add(
            type_name, element_id, element_name, pairs(set_, "--set"), _on(on)
        )
    _edited(scenario, overlay)


@scenario_app.command("retire")
def scenario_retire(
    name: NameArg,
    element: Annotated[str, typer.Argument(metavar="X", help="Element id or name.")],
    on: OnOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Retire an element under the scenario (its relations go with it).

    Example: ea scenario retire dc-lyon-close srv-lyon-db01 --on 2027-03-31
    """
    from ..repository import Repository

    with Repository.open(workspace) as repo:
        scenario, overlay = _editor(repo, name).retire(element, _on(on))
    _edited(scenario, overlay)


@scenario_app.command("set")
def scenario_set(
    name: NameArg,
    element: Annotated[str, typer.Argument(metavar="X", help="Element id or name.")],
    set_: SetOpt = None,
    element_name: Annotated[str | None, typer.Option("--name", "-n", help="A new name.")] = None,
    on: OnOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Change an element's attributes (or name) under the scenario; KEY= removes one.

    Example: ea scenario set harmonise-o2c app-oms --set criticality=critical
    """
    from ..repository import Repository

    attrs = {k: (v if v != "" else None) for k, v in pairs(set_, "--set").items()}
    with Repository.open(workspace) as repo:
        scenario, overlay = _editor(repo, name).set(element, element_name, attrs, _on(on))
    _edited(scenario, overlay)


@scenario_app.command("link")
def scenario_link(
    name: NameArg,
    src: Annotated[str, typer.Argument(help="Source element (id or name).")],
    relation: Annotated[str, typer.Argument(metavar="REL", help="Relationship type.")],
    dst: Annotated[str, typer.Argument(help="Target element (id or name).")],
    set_: SetOpt = None,
    id: Annotated[
        str | None, typer.Option("--id", help="Relation id (default: SRC|REL|DST).")
    ] = None,
    on: OnOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Link two elements under the scenario, as the metamodel allows.

    Example: ea scenario link crm-replacement salesforce flow app-oms --set protocol=HTTPS/REST
    """
    from ..repository import Repository

    with Repository.open(workspace) as repo:
        scenario, overlay = _editor(repo, name).link(
            src, relation, dst, pairs(set_, "--set"), id, _on(on)
        )
    _edited(scenario, overlay)


@scenario_app.command("unlink")
def scenario_unlink(
    name: NameArg,
    src: Annotated[str | None, typer.Argument(help="Source element (id or name).")] = None,
    relation: Annotated[
        str | None, typer.Argument(metavar="REL", help="Relationship type.")
    ] = None,
    dst: Annotated[str | None, typer.Argument(help="Target element (id or name).")] = None,
    id: Annotated[str | None, typer.Option("--id", help="The relation's id instead.")] = None,
    on: OnOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Remove a relation under the scenario: SRC REL DST, or --id.

    Example: ea scenario unlink harmonise-o2c app-legacy-erp flow app-oms
    """
    from ..repository import Repository

    with Repository.open(workspace) as repo:
        scenario, overlay = _editor(repo, name).unlink(src, relation, dst, id, _on(on))
    _edited(scenario, overlay)


@scenario_app.command("replace")
def scenario_replace(
    name: NameArg,
    old: Annotated[str, typer.Argument(metavar="X", help="The element replaced (id or name).")],
    new: Annotated[str, typer.Argument(metavar="Y", help="Its replacement (id or name).")],
    on: OnOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Replace X by Y: Y takes over X's relations, X retires.

    Example: ea scenario replace crm-replacement "Siebel CRM" salesforce --on 2027-06-01
    """
    from ..repository import Repository

    with Repository.open(workspace) as repo:
        scenario, overlay = _editor(repo, name).replace(old, new, _on(on))
    _edited(scenario, overlay)


@scenario_app.command("diff")
def scenario_diff_command(
    name: NameArg,
    against: AgainstOpt = None,
    at: AtOpt = None,
    workspace: WorkspaceOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
) -> None:
    """The gap between the facts (or --against OTHER) and a scenario, both seen the same day:
    elements and relations added, removed and changed, and the consequences — support of
    capabilities and processes, flows cut or re-routed, obsolescence, systems of record.

    Example: ea scenario diff crm-replacement --format md -o crm-gap.md
    """
    from ..repository import Repository
    from ..scenarios.diff import scenario_diff

    day = parse_date(at)
    with Repository.open(workspace) as repo:
        gap = scenario_diff(repo, name, against=against, at=day.isoformat() if day else None)
    emit(Result.of(gap), fmt, output)
