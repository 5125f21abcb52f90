"""Process-level helpers: the bulk paths (sync runs, traversals) and the named checkpoints of writes."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a bulk operation allocates many objects.

    Sync runs and traversals create hundreds of thousands of small acyclic
    objects; the collector's passes over them cost 10–15 % of their time
    (measured: 5.3 s of a 100 000-element first import).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


CHECKPOINTS = {
    "sync.read": "a source's files are read; nothing of the run is in the store yet",
    "sync.planned": "inside the run's write transaction, the diff against the store is made",
    "sync.written": "the run's writes are made, its run record not yet closed",
    "sync.before-commit": "the run is closed as succeeded; the transaction is about to commit",
    "sync.committed": "the run is committed",
    "manual.locking": "a manual edit (add, link) is about to take the workspace's write lock",
    "manual.read": "a manual edit holds the write lock and has read what it changes",
    "neo4j.staged": "a Neo4j run has outgrown one transaction: what it wrote so far is committed",
    "neo4j.chunk": "a chunk of a staged Neo4j run, with its change-log entries, is committed",
    "neo4j.deferred": "a staged run's writes are committed; its closing steps are not begun",
    "neo4j.closing": "inside the staged run's last transaction: retirements and close written",
    "neo4j.closed": "the staged run's last transaction is committed",
}
"""The named points of a write that :func:`checkpoint` marks, with what holds at each.

The ``sync.*`` points are those of every run of the sync engine: a sync, an
import, the run a manual edit makes (``sync.read`` excepted: a manual edit
reads no file) and the confirmation of unchanged input (which reads no file
either). The ``neo4j.*`` points are those of a staged Neo4j run (see
``store/neo4j.py``), where the crash suite kills a real sync.
"""

CHECKPOINT_ENV = "EA_TEST_CHECKPOINTS"
CHECKPOINT_WAIT = 120.0  # seconds a paused process waits for its go before giving up


def checkpoint(name: str) -> None:
    """Mark a named point of a write, for tests that race or kill processes there.

    When ``$EA_TEST_CHECKPOINTS`` names a folder, the process writes
    ``<name>.reached`` there (holding its pid) and waits until ``<name>.go``
    exists; a test can then run another writer, or kill this one, at exactly
    that point. Without the variable it does nothing. ``name`` must be one of
    :data:`CHECKPOINTS`.
    """
    folder = os.environ.get(CHECKPOINT_ENV)
    if not folder:
        return
    if name not in CHECKPOINTS:
        raise ValueError(f"unknown checkpoint {name!r}")
    where = Path(folder)
    (where / f"{name}.reached").write_text(str(os.getpid()))
    go = where / f"{name}.go"
    deadline = time.monotonic() + CHECKPOINT_WAIT
    while not go.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"checkpoint {name}: no {go} after {CHECKPOINT_WAIT:.0f} s")
        time.sleep(0.01)
