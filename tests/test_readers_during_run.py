"""Readers during a staged Neo4j run see the repository as it was before the run or as it is
after it, never between (issue 23, finding 4); a staged run that fails or is killed leaves
the state before it, at once or at the next command that writes.

A real ``ea sync`` of export B over A (the crash suite's exports, every run staged with
``EA_NEO4J_STAGE_ROWS=1``) is held at each ``neo4j.*`` checkpoint in turn while real
``ea stats``, ``ea impact`` and ``ea show`` processes read; each answer must be the one
before the run or the one after it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.checkpoints import EaProcess
from tests.neo4j_support import NEO4J_SKIP, open_test_neo4j
from tests.test_crash import POINTS, _content, _env, _exports, _sync, _workspace

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


def _a_then_b_held(
    tmp_path: Path, stop: str | list[str]
) -> tuple[Any, Path, dict[str, Any], EaProcess]:
    """A synced, what readers answer then, and a sync of B held at ``stop``."""
    store = open_test_neo4j()
    root = _workspace(tmp_path / "ws", store.repo)  # type: ignore[attr-defined]
    _sync(root)
    before = _read(root)
    _exports(root, "B")
    held = EaProcess(tmp_path / "checkpoints", "sync", "-w", str(root), stop=stop, env=_env())
    return store, root, before, held


def test_readers_see_the_state_before_a_staged_run_or_after_it_never_between(
    tmp_path: Path,
) -> None:
    _, root, before, held = _a_then_b_held(tmp_path, list(POINTS))
    samples = {}
    for point in POINTS:
        held.wait_for(point, timeout=300)
        samples[point] = _read(root)
        held.release(point)
    code, _, err = held.finish(timeout=120)
    assert code == 0, err
    after = _read(root)
    for name in ("stats", "show web02", "show web05"):
        assert before[name] != after[name], name  # B changes what they answer
    for point, answers in samples.items():
        for name, answer in answers.items():
            assert answer in (before[name], after[name]), f"{name} at {point}: {answer}"


def test_a_failed_staged_run_leaves_the_state_before_it(tmp_path: Path) -> None:
    store, root, before, held = _a_then_b_held(tmp_path, "neo4j.deferred")
    content = _content(store)
    held.wait_for("neo4j.deferred")  # every chunk committed, nothing concluded
    held.proc.send_signal(signal.SIGTERM)
    assert held.finish()[0] == 128 + signal.SIGTERM
    assert store.runs()[0].status == "failed"
    assert _read(root) == before
    assert _content(store) == content  # what it wrote was undone, its log with it


def test_a_killed_staged_run_is_undone_never_shown_when_another_run_commits(
    tmp_path: Path,
) -> None:
    # Finding 1 and the watermark's hole: sync A; sync B, killed once its chunks committed;
    # then A again. B's values and additions must not survive, nor become visible.
    store, root, before, held = _a_then_b_held(tmp_path, "neo4j.deferred")
    content = _content(store)
    held.wait_for("neo4j.deferred")
    held.proc.send_signal(signal.SIGKILL)
    held.finish()
    assert store.runs()[0].status == "running"
    assert _read(root) == before  # hidden while it is not known to be dead
    _exports(root, "A")
    _sync(root)  # closes the killed run, undoes it, then syncs A
    assert [r.status for r in store.runs()] == ["succeeded", "failed", "succeeded"]
    again = _read(root)  # `show` names the run that last confirmed each source: A's new one
    assert {k: v for k, v in again.items() if "show" not in k} == {
        k: v for k, v in before.items() if "show" not in k
    }
    assert _content(store) == content
