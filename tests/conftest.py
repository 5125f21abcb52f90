"""Shared fixtures: backends for the contract suite, workspaces, the CLI runner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ea_repo.cli import main
from ea_repo.store import GraphStore, SQLiteStore

BACKENDS = ["sqlite", "neo4j"]


def _open_backend(name: str, tmp_path: Path) -> GraphStore:
    if name == "sqlite":
        return SQLiteStore(tmp_path / "repository.db")
    if not os.environ.get("EA_TEST_NEO4J_URI"):
        pytest.skip(
            "Neo4j backend: set EA_TEST_NEO4J_URI (and _USER, _PASSWORD) to run against a server"
        )
    pytest.skip("Neo4j backend: not implemented yet (issue 9)")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    """A fresh, empty store of every backend in turn."""
    s = _open_backend(request.param, tmp_path)
    yield s
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
