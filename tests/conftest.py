"""Shared fixtures: backends for the contract suite, workspaces, the CLI runner."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ea_repo.cli import main
from ea_repo.store import GraphStore, SQLiteStore

BACKENDS = ["sqlite", "neo4j"]


def _open_backend(name: str, tmp_path: Path) -> GraphStore:
    if name == "sqlite":
        return SQLiteStore(tmp_path / "repository.db")
    return open_test_neo4j()


NEO4J_SKIP = "Neo4j backend: set EA_TEST_NEO4J_URI (and _USER, _PASSWORD) to run against a server"


def open_test_neo4j(tag: str | None = None, **options: Any) -> GraphStore:
    """A Neo4jStore on the test server under a fresh repository tag; skips without a server.

    Neo4j Community has one user database: each test gets its own tag
    (``t`` + random hex) and :func:`_purge_neo4j` deletes it afterwards.
    """
    uri = os.environ.get("EA_TEST_NEO4J_URI")
    if not uri:
        pytest.skip(NEO4J_SKIP)
    from ea_repo.store.neo4j import Neo4jStore

    store = Neo4jStore(
        uri,
        os.environ.get("EA_TEST_NEO4J_USER", "neo4j"),
        os.environ.get("EA_TEST_NEO4J_PASSWORD"),
        database=os.environ.get("EA_TEST_NEO4J_DATABASE"),
        repository=tag or f"t{uuid.uuid4().hex[:12]}",
        **options,
    )
    _OPEN_NEO4J.append(store)
    return store


_OPEN_NEO4J: list[GraphStore] = []


@pytest.fixture(autouse=True)
def _purge_neo4j() -> Iterator[None]:
    """Delete what a test wrote on the Neo4j test server, under its own tag."""
    yield
    while _OPEN_NEO4J:
        store = _OPEN_NEO4J.pop()
        try:
            store.purge()  # type: ignore[attr-defined]
        finally:
            store.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """A fresh, empty store of every backend in turn."""
    s = _open_backend(request.param, tmp_path)
    yield s
    if s.backend == "sqlite":
        s.close()


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def ea(capsys: pytest.CaptureFixture[str]):
    """Run the `ea` command in-process: ea("show", "x") -> CliResult."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised, empty workspace, set as EA_WORKSPACE."""
    from ea_repo.config import init_workspace

    root = init_workspace(tmp_path / "ws")
    monkeypatch.setenv("EA_WORKSPACE", str(root))
    return root


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say once, at the end, how many Neo4j tests were skipped and why."""
    skipped = [
        r
        for r in terminalreporter.stats.get("skipped", [])
        if isinstance(r.longrepr, tuple) and NEO4J_SKIP in str(r.longrepr[2])
    ]
    if skipped:
        terminalreporter.write_line(f"{len(skipped)} tests skipped — {NEO4J_SKIP}")
