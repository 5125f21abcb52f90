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
            "ea.yaml:3: a secret ('password') must not be written in ea.yaml",
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


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("store:\n  backend: neo4j\n  Password: hunter2\n", "Password"),
        ("store:\n  PASSWORD: hunter2\n", "PASSWORD"),
        ("store:\n  passwd: hunter2\n", "passwd"),
        ("store:\n  secret: hunter2\n", "secret"),
        ("store:\n  token: hunter2\n", "token"),
        ("store:\n  api_token: hunter2\n", "api_token"),
        ("api_key: hunter2\n", "api_key"),
        ("sources:\n  cmdb:\n    importer: cmdb\n    Client_Secret: hunter2\n", "Client_Secret"),
    ],
)
def test_every_secret_is_refused_whatever_its_case(tmp_path: Path, text: str, key: str) -> None:
    root = init_workspace(tmp_path / "ws")
    (root / "ea.yaml").write_text(text)
    with pytest.raises(WorkspaceError) as info:
        load_workspace(root, env={})
    line = text.splitlines().index(next(x for x in text.splitlines() if key in x)) + 1
    assert f"ea.yaml:{line}: a secret ({key!r}) must not be written in ea.yaml" in str(info.value)
    assert "hunter2" not in str(info.value) + str(info.value.hint)


def test_a_source_may_be_named_like_a_secret(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws")
    (root / "ea.yaml").write_text("sources:\n  token-service:\n    importer: flows\n")
    assert list(load_workspace(root, env={}).sources) == ["token-service"]


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        (
            "store:\n  bakend: neo4j\n",
            "ea.yaml:2: unknown store setting 'bakend'",
            "did you mean 'backend'?",
        ),
        (
            "store:\n  backend: sqlite\n  pth: x.db\n",
            "ea.yaml:3: unknown store setting 'pth'",
            "did you mean 'path'?",
        ),
        (
            "stale_afer: 10d\n",
            "ea.yaml:1: unknown setting 'stale_afer'",
            "did you mean 'stale_after'?",
        ),
    ],
)
def test_an_unknown_setting_is_an_error_with_a_suggestion(
    tmp_path: Path, text: str, message: str, hint: str
) -> None:
    root = init_workspace(tmp_path / "ws")
    (root / "ea.yaml").write_text(text)
    with pytest.raises(WorkspaceError) as info:
        load_workspace(root, env={})
    assert str(info.value).replace(str(root) + "/", "") == message
    assert info.value.hint == hint


URI_WITH_PASSWORD = "bolt://admin:S3cr3t@db.example:7687"


def test_a_password_in_the_uri_is_refused_and_never_shown(tmp_path: Path) -> None:
    root = init_workspace(tmp_path / "ws")
    (root / "ea.yaml").write_text(f"store:\n  backend: neo4j\n  uri: {URI_WITH_PASSWORD}\n")
    for env in ({}, {"EA_NEO4J_URI": URI_WITH_PASSWORD}):
        with pytest.raises(WorkspaceError) as info:
            load_workspace(root, env=env)
        shown = str(info.value) + str(info.value.hint)
        assert "holds a user name or password" in shown and "'bolt://db.example:7687'" in shown
        assert "S3cr3t" not in shown and "admin" not in shown


def test_ea_status_never_prints_the_password_of_a_uri(
    tmp_path: Path, ea, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = init_workspace(tmp_path / "ws")
    monkeypatch.setenv("EA_STORE_BACKEND", "neo4j")
    monkeypatch.setenv("EA_NEO4J_URI", "bolt://admin:S3cr3t@127.0.0.1:1")
    for args in (["status"], ["store", "copy", "--to", "sqlite", "--path", tmp_path / "c.db"]):
        r = ea(*args, "-w", root)
        assert r.code == 2, r.err
        assert "S3cr3t" not in r.out + r.err and "admin" not in r.out + r.err
    monkeypatch.delenv("EA_STORE_BACKEND")
    monkeypatch.delenv("EA_NEO4J_URI")
    r = ea("store", "copy", "--to", "neo4j", "--uri", URI_WITH_PASSWORD, "-w", root)
    assert r.code == 2 and "holds a user name or password" in r.err
    assert "S3cr3t" not in r.out + r.err


def test_the_neo4j_store_refuses_a_uri_with_a_password_before_connecting() -> None:
    pytest.importorskip("neo4j")
    from ea_repo.errors import StoreError
    from ea_repo.metamodel import load_metamodel
    from ea_repo.store.neo4j import Neo4jStore

    with pytest.raises(StoreError) as info:
        Neo4jStore(URI_WITH_PASSWORD, metamodel=load_metamodel())
    assert "S3cr3t" not in str(info.value) + str(info.value.hint)


def test_the_neo4j_demo_writes_no_password_of_the_uri_into_ea_yaml(
    tmp_path: Path, ea, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EA_NEO4J_URI", URI_WITH_PASSWORD)
    r = ea("demo", "--backend", "neo4j", "-w", tmp_path / "demo")
    assert r.code == 2 and "holds a user name or password" in r.err
    assert "S3cr3t" not in r.out + r.err
    written = (
        [p.read_text() for p in (tmp_path / "demo").rglob("*.yaml")]
        if (tmp_path / "demo").exists()
        else []
    )
    assert not any("S3cr3t" in text for text in written)


def test_store_copy_refuses_an_empty_repository_tag_or_uri_instead_of_the_default(
    tmp_path: Path, ea
) -> None:
    root = init_workspace(tmp_path / "ws")
    for option, shown in (("--repository", "repository tag ''"), ("--uri", "''")):
        args = {"--uri": "bolt://127.0.0.1:1", "--repository": "copy", option: ""}
        r = ea(
            "store", "copy", "--to", "neo4j", *[x for kv in args.items() for x in kv], "-w", root
        )
        assert r.code == 2, r.err
        assert r.err.startswith(f"error: {option}: {shown}"), r.err
