"""Readers during a staged Neo4j run see the repository as it was before the run or as it is
after it, never between (issue 23, finding 4).

A real ``ea sync`` of export B over A (the crash suite's exports, every run staged with
``EA_NEO4J_STAGE_ROWS=1``) is held at each ``neo4j.*`` checkpoint in turn while real
``ea stats``, ``ea impact`` and ``ea show`` processes read; each answer must be the one
before the run or the one after it. A staged run that fails leaves readers on the state
before it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ea_repo.runtime import CHECKPOINT_ENV, CHECKPOINTS
from tests.neo4j_support import NEO4J_SKIP, open_test_neo4j
from tests.test_crash import POINTS, _env, _exports, _sync, _workspace

pytestmark = pytest.mark.skipif(not os.environ.get("EA_TEST_NEO4J_URI"), reason=NEO4J_SKIP)

# Each reader: what it runs. web01 and web02 change in B, web04 goes, web05 is new.
READERS = {
    "stats": ["stats", "-f", "json"],
    "impact web01": ["impact", "web01", "-f", "json"],
    "impact web02": ["impact", "web02", "-f", "json"],
    "show web02": ["show", "web02", "-f", "json"],
    "show web05": ["show", "web05", "-f", "json"],
}


def _read(root: Path) -> dict[str, tuple[int, str]]:
    """What each reader answers now: its exit code and output (without the sources' times)."""
    answers = {}
    for name, args in READERS.items():
        done = subprocess.run(
            [sys.executable, "-m", "ea_repo", *args, "-w", str(root)],
            env=_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        answers[name] = (done.returncode, _timeless(done.stdout))
    return answers


def _timeless(text: str) -> str:
    """Stats name each source's last successful run by its time: that line differs by run."""
    return "\n".join(line for line in text.splitlines() if '"cmdb":' not in line)


def _held_sync(root: Path, folder: Path) -> subprocess.Popen[str]:
    """``ea sync`` that stops at every checkpoint of ``POINTS`` until released (``<point>.go``)."""
    folder.mkdir()
    for name in CHECKPOINTS:
        if name not in POINTS:
            (folder / f"{name}.go").touch()
    return subprocess.Popen(
        [sys.executable, "-m", "ea_repo", "sync", "-w", str(root)],
        env=_env(**{CHECKPOINT_ENV: str(folder)}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(proc: subprocess.Popen[str], folder: Path, point: str) -> None:
    deadline = time.monotonic() + 300
    while not (folder / f"{point}.reached").exists():
        assert proc.poll() is None, f"ended before {point}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"{point} not reached"
        time.sleep(0.02)


def _a_then_b_held(tmp_path: Path) -> tuple[Any, Path, dict[str, Any], subprocess.Popen[str]]:
    """A synced, what readers answer then, and a sync of B held at its first point."""
    store = open_test_neo4j()
    root = _workspace(tmp_path / "ws", store.repo)  # type: ignore[attr-defined]
    _sync(root)
    before = _read(root)
    _exports(root, "B")
    return store, root, before, _held_sync(root, tmp_path / "checkpoints")


def test_readers_see_the_state_before_a_staged_run_or_after_it_never_between(
    tmp_path: Path,
) -> None:
    _, root, before, proc = _a_then_b_held(tmp_path)
    folder = tmp_path / "checkpoints"
    samples = {}
    for point in POINTS:
        _wait(proc, folder, point)
        samples[point] = _read(root)
        (folder / f"{point}.go").touch()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    after = _read(root)
    for name in ("stats", "show web02", "show web05"):
        assert before[name] != after[name], name  # B changes what they answer
    for point, answers in samples.items():
        for name, answer in answers.items():
            assert answer in (before[name], after[name]), f"{name} at {point}: {answer}"


def test_a_failed_staged_run_leaves_readers_on_the_state_before_it(tmp_path: Path) -> None:
    store, root, before, proc = _a_then_b_held(tmp_path)
    folder = tmp_path / "checkpoints"
    for point in list(POINTS)[:2]:
        _wait(proc, folder, point)
        (folder / f"{point}.go").touch()
    _wait(proc, folder, "neo4j.deferred")  # every chunk committed, nothing concluded
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert store.runs()[0].status == "failed"
    assert _read(root) == before
