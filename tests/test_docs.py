"""Docs that cannot go stale: every command has help with an example and is in the README tour,
and the README's examples run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer

from ea_repo.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"


def _commands(typer_app: typer.Typer, prefix: str = "") -> list[tuple[str, str]]:
    found = []
    for info in typer_app.registered_commands:
        name = info.name or info.callback.__name__.replace("_", "-")
        found.append((f"{prefix}{name}", info.callback.__doc__ or ""))
    for group in typer_app.registered_groups:
        found += _commands(group.typer_instance, f"{prefix}{group.name} ")
    return found


COMMANDS = _commands(app)


def test_the_command_list_is_not_empty() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"init", "add", "link", "show", "find", "stats", "demo", "metamodel show"} <= names


@pytest.mark.parametrize(("name", "doc"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_has_help_with_an_example(name: str, doc: str) -> None:
    assert doc.strip(), f"`ea {name}` has no help text"
    assert "Example: ea " in doc, f"`ea {name}` help has no example"


@pytest.mark.parametrize(("name", "doc"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_is_in_the_readme_tour(name: str, doc: str) -> None:
    assert f"`ea {name}" in README.read_text(encoding="utf-8"), f"`ea {name}` missing from README"


def test_the_readme_examples_run(ea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"### Examples\n\n```sh\n(.*?)```", text, re.S)
    assert block, "README has no Examples block"
    monkeypatch.delenv("EA_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    ran = 0
    for line in block.group(1).splitlines():
        for command in line.split("&&"):
            words = shlex.split(command)
            if words[:1] == ["cd"]:
                monkeypatch.chdir(Path.cwd() / words[1])
            elif words[:1] == ["ea"]:
                result = ea(*words[1:])
                assert result.code == 0, f"{command.strip()}: {result.err}"
                ran += 1
    assert ran >= 5
    assert (Path.cwd() / "servers.csv").read_text().startswith("id,type,name,status")
