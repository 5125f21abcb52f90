"""Shared fixtures: backends for the contract suite, workspaces, the CLI runner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from ea_repo.cli import main
from ea_repo.store import GraphStore, SQLiteStore
from tests.neo4j_support import NEO4J_SKIP, OPEN_NEO4J, open_test_neo4j

BACKENDS = ["sqlite", "neo4j"]

# Property tests explore new examples on a developer's machine; in CI (CI=true) they replay
# the same ones, so that a run lands or fails on the code, not on the draw. A failure found
# locally is kept in .hypothesis/ and replayed until mended; add it as a plain test too.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _open_backend(name: str, tmp_path: Path) -> GraphStore:
    if name == "sqlite":
        return SQLiteStore(tmp_path / "repository.db")
    return open_test_neo4j()


@pytest.fixture(autouse=True)
def _purge_neo4j() -> Iterator[None]:
    """Delete what a test wrote on the Neo4j test server, under its own tag."""
    yield
    while OPEN_NEO4J:
        store = OPEN_NEO4J.pop()
        try:
            store.purge(keep=False)  # type: ignore[attr-defined]
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
