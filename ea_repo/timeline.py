"""Lifecycle dates: when an element or a relation is part of the landscape.

Every element and relation may carry the dates of the phases EA tools share,
as attributes every metamodel type has (the loader adds them):

==========================  =====================================================
``lifecycle_plan``          decided, not yet being built: not in the landscape
``lifecycle_phase_in``      being introduced: in the landscape from this day
``lifecycle_active``        in full use (in the landscape from this day, when no
                            phase-in date comes before it)
``lifecycle_phase_out``     being withdrawn: still there, and marked
``lifecycle_end_of_life``   gone: out of the landscape from this day
==========================  =====================================================

Any date may be empty. The landscape *as at* a day holds what has entered it
(its phase-in or active date is that day or before) and has not left it (its
end-of-life date is after that day). An item with no date at all is always
there; an item with a plan date and no phase-in or active date is a plan only,
never there until it gets one.

The names are prefixed so that they never mean a vendor's support dates: a
server's ``end_of_life`` is when its maker stops supporting it, its
``lifecycle_end_of_life`` when the organisation switches it off.

The stores keep two derived values per item, :func:`span`'s ``(since, until)``,
so that a date filter is a comparison in SQL or Cypher: shown at ``day`` when
``since`` is empty or ``<= day`` and ``until`` is empty or ``> day``. Dates are
ISO ``YYYY-MM-DD`` strings, which compare as text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

PHASES = ("plan", "phase_in", "active", "phase_out", "end_of_life")
"""The phases, in the order an item goes through them."""

ATTRIBUTES = {phase: f"lifecycle_{phase}" for phase in PHASES}
"""Phase -> the attribute holding the day it starts."""

PHASE_OF = {attribute: phase for phase, attribute in ATTRIBUTES.items()}

NEVER = "9999-12-31"
"""The ``since`` of a plan with no day to enter the landscape: after every day asked about
(a lens asked about this day or later reads the day before: :func:`seen_day`)."""

LAST_DAY = "9999-12-30"
"""The last day the landscape can be seen at."""


def seen_day(day: str) -> str:
    """The day the landscape is read at for ``day``: itself, or :data:`LAST_DAY` for
    :data:`NEVER` (a plan with no day to enter is in the landscape on no day)."""
    return LAST_DAY if day > LAST_DAY else day

DESCRIPTIONS = {
    "plan": "Lifecycle: the day it is planned (a plan is not in the landscape)",
    "phase_in": "Lifecycle: the day it starts being introduced (in the landscape from then)",
    "active": "Lifecycle: the day it is in full use",
    "phase_out": "Lifecycle: the day its withdrawal starts (still there, marked)",
    "end_of_life": "Lifecycle: the day it is switched off (out of the landscape from then)",
}


def dates(attrs: Mapping[str, Any]) -> dict[str, str]:
    """The lifecycle dates ``attrs`` carries, by phase, in phase order."""
    return {p: str(attrs[a]) for p, a in ATTRIBUTES.items() if attrs.get(a)}


def span(attrs: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``(since, until)``: the first day ``attrs``'s item is in the landscape and the first
    day it is not any more (None: no bound)."""
    if not attrs:
        return None, None
    starts = [str(attrs[a]) for a in ("lifecycle_phase_in", "lifecycle_active") if attrs.get(a)]
    since = min(starts) if starts else (NEVER if attrs.get("lifecycle_plan") else None)
    until = attrs.get("lifecycle_end_of_life")
    return since, (str(until) if until else None)


def shown_at(attrs: Mapping[str, Any], day: str | None) -> bool:
    """Whether an item with ``attrs`` is in the landscape on ``day`` (None: no date asked)."""
    if day is None:
        return True
    day = seen_day(day)
    since, until = span(attrs)
    return (since is None or since <= day) and (until is None or until > day)


def phase_at(attrs: Mapping[str, Any], day: str) -> str | None:
    """The phase an item with ``attrs`` is in on ``day``: the last whose date is ``day`` or
    before; None when it has no date that early."""
    current = None
    for phase, value in dates(attrs).items():
        if value <= day:
            current = phase
    return current


def out_of_order(attrs: Mapping[str, Any]) -> str | None:
    """A sentence naming two lifecycle dates that contradict the phase order, or None."""
    given = list(dates(attrs).items())
    for (first, a), (second, b) in pairwise(given):
        if b < a:
            return (
                f"lifecycle dates out of order: {ATTRIBUTES[second]} {b} "
                f"comes before {ATTRIBUTES[first]} {a}"
            )
    return None


def day_text(day: dt.date | str | None) -> str | None:
    """``day`` as the ISO text the lens and the stores compare."""
    if day is None or isinstance(day, str):
        return day
    return day.isoformat()
