"""Workspace configuration: discovery, environment overrides, located mistakes, no secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from ea_repo.config import init_workspace, load_workspace, parse_duration_days
from ea_repo.errors import WorkspaceError


def test_defaults_from_init(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws")
    ws = load_workspace(root, env={})
    assert (ws.store.backend, ws.metamodel, ws.stale_after_days) == ("sqlite", "builtin", 180)
    assert ws.sqlite_path() == root / ".ea" / "repository.db"


def test_found_from_a_subfolder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = init_workspace(tmp_path / "ws")
    (root / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(root / "deep" / "er")
    monkeypatch.delenv("EA_WORKSPACE", raising=False)
    assert load_workspace().root == root


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws")
    ws = load_workspace(
        root,
        env={
            "EA_STORE_BACKEND": "neo4j",
            "EA_NEO4J_URI": "neo4j+s://x.example",
            "EA_NEO4J_USER": "ea",
        },
    )
    assert (ws.store.backend, ws.store.uri, ws.store.user) == ("neo4j", "neo4j+s://x.example", "ea")
    assert not hasattr(ws.store, "password")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("store:\n  backend: oracle\n", "ea.yaml:2: unknown store backend 'oracle'"),
        (
            "metamodel: builtin\nstale_after: soon\n",
            "ea.yaml:2: stale_after 'soon' is not a duration",
        ),
        ("stroe: {}\n", "ea.yaml:1: unknown setting 'stroe'"),
        (
            "store:\n  backend: neo4j\n  password: hunter2\n",
            "ea.yaml:3: a password must not be written in ea.yaml",
        ),
        ("store: [\n", "ea.yaml:2: invalid YAML"),
        ("store:\n  path: 5\n", "ea.yaml:2: store.path 5 is not a file path"),
        ("stale_after: -5\n", "ea.yaml:1: stale_after -5 must be at least one day"),
        ("\nstale_after: 0d\n", "ea.yaml:2: stale_after '0d' must be at least one day"),
    ],
)
def test_mistakes_name_the_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    root = init_workspace(tmp_path / "ws")
    (root / "ea.yaml").write_text(text)
    with pytest.raises(WorkspaceError) as info:
        load_workspace(root, env={})
    assert message in str(info.value).replace(str(root) + "/", "")
    assert "hunter2" not in str(info.value) + str(info.value.hint)


@pytest.mark.parametrize(
    ("text", "days"), [("180d", 180), ("6w", 42), ("12m", 365), ("1y", 365), ("30", 30), (7, 7)]
)
def test_durations(text: str | int, days: int) -> None:
    assert parse_duration_days(text) == days


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EA_STORE_BACKEND": "mongo"}, "EA_STORE_BACKEND: unknown store backend 'mongo'"),
        ({"EA_NEO4J_URI": "http://x"}, "EA_NEO4J_URI: 'http://x' is not a Neo4j URI"),
        ({"EA_NEO4J_REPOSITORY": "x y"}, "EA_NEO4J_REPOSITORY: repository tag 'x y' is not valid"),
    ],
)
def test_a_bad_environment_variable_is_named(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    root = init_workspace(tmp_path / "ws")
    with pytest.raises(WorkspaceError) as info:
        load_workspace(root, env=env)
    assert str(info.value) == message
