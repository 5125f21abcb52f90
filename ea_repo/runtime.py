"""Process-level helpers for the bulk paths (sync runs, traversals)."""

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


CHECKPOINT_ENV = "EA_TEST_CHECKPOINTS"
CHECKPOINT_WAIT = 120.0  # seconds a held process waits before going on by itself


def checkpoint(name: str) -> None:
    """A named point of a write where a test may hold the process (to kill it there).

    With ``$EA_TEST_CHECKPOINTS`` naming a folder, the process writes
    ``<name>.reached`` in it (holding its pid) and waits for ``<name>.go``;
    without the variable it does nothing.
    """
    folder = os.environ.get(CHECKPOINT_ENV)
    if not folder:
        return
    where = Path(folder)
    (where / f"{name}.reached").write_text(str(os.getpid()))
    deadline = time.monotonic() + CHECKPOINT_WAIT
    while not (where / f"{name}.go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
