"""Scenarios: named change sets over the repository, kept apart from the synced facts.

:mod:`.file` reads and writes them (one YAML file each in the workspace's
``scenarios/``); :mod:`.overlay` applies one to the store as a reader sees it;
:mod:`.edit` makes the edits of ``ea scenario add|retire|set|link|unlink|replace``,
each validated like any write; :mod:`.diff` tells the gap between two states.
"""

from __future__ import annotations

from .file import Book, Edit, Scenario
from .overlay import Drift, Overlay, SeenStore, compile_overlay, scenario_day

__all__ = [
    "Book",
    "Drift",
    "Edit",
    "Overlay",
    "Scenario",
    "SeenStore",
    "compile_overlay",
    "scenario_day",
]
