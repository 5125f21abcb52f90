"""Process-level helpers for the bulk paths (sync runs, traversals)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
