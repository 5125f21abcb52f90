"""Incidents at a moment: which were open, on which elements.

Incidents (and alerts) are ``Incident`` elements that ``affects`` the element
they were reported on, with ``opened_at``, ``resolved_at`` and ``closed_at``
as ISO 8601 UTC text (see :mod:`ea_repo.importers.incidents`). One is *open*
at a moment when it was opened at or before it and neither resolved nor
closed at or before it; one resolved or closed with no time given is open at
no moment (when it ended is unknown), a canceled one never is (it was raised by
mistake or twice), and one with no readable opening time is open since always
until it ends (a live incident is never hidden for a missing field). Its state
*at* the moment says the same for the others: ``open``, ``resolved``, ``closed``
or ``canceled``. ``ea incidents``, ``ea diagnose --at`` and ``ea health`` all
read this one rule (:func:`status_at`).

>>> status_at({"opened_at": "2026-03-01T08:00:00Z", "resolved_at": "2026-03-02T09:00:00Z"},
...           "2026-03-01T12:00:00Z")
'open'
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError
from ..importers.incidents import ENDED
from ..model import CURRENT, Element, ElementId, Lens
from ..results import Table
from ..store import GraphStore

INCIDENT = "Incident"
AFFECTS = "affects"
PRIORITY_ORDER = {"critical": 0, "high": 1, "moderate": 2, "low": 3, "planning": 4}


def parse_moment(text: str | None, option: str = "--at") -> dt.datetime | None:
    """The moment ``text`` names, in UTC: an ISO date (its midnight, UTC) or date-time
    (``2026-03-14T10:00``, UTC unless it says its zone: ``Z``, ``+01:00``). None for None.

    Raises ValidationError naming ``option``.

    >>> parse_moment("2026-03-14T11:00+01:00").isoformat()
    '2026-03-14T10:00:00+00:00'
    """
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            f"{option} {text!r} is not a date or a date and time",
            hint="write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC; or with its zone, +01:00)",
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC
        raise ValidationError(
            f"{option} {text!r} is out of the range of dates (years 1 to 9999, in UTC)",
            hint="write a moment between 0001-01-01 and 9999-12-31 once in UTC",
        ) from None


def iso(moment: dt.datetime) -> str:
    """``2026-03-14T10:00:00Z``: how incident times are written, so that they compare as text
    (the year with its four digits: ``0999``, which ``strftime`` writes ``999``)."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def status_at(attrs: Any, moment: str) -> str | None:
    """``open``, ``resolved``, ``closed`` or ``canceled`` at ``moment`` (ISO 8601 UTC text),
    for an incident with these attributes; None when it was not opened yet.

    The one rule of every command that asks what is open at a moment (``ea incidents``,
    ``ea diagnose --at``, ``ea health``): opened at or before it, and neither resolved nor
    closed at or before it. A canceled ticket is never open; one over with no end time is
    open at no moment; one with no (or no readable) opening time is open since always,
    until it ends — a live incident is never hidden for a missing field."""
    opened = attrs.get("opened_at")
    if isinstance(opened, str) and _ISO.match(opened) and opened > moment:
        return None  # not opened yet
    if attrs.get("state") == "canceled":
        return "canceled"  # raised by mistake or twice: never a symptom, never a red
    ends = [(attrs.get(a), s) for a, s in (("resolved_at", "resolved"), ("closed_at", "closed"))]
    passed = [(t, s) for t, s in ends if t and t <= moment]
    if passed:
        return max(passed)[1]
    state = attrs.get("state")
    if state in ENDED and not any(t for t, _ in ends):
        return str(state)  # over, when is unknown: open at no moment
    return "open"


@dataclass(frozen=True)
class IncidentAt:
    """An incident, one element it affects (an incident on two is two of these), and its
    state at the moment asked."""

    incident: Element
    ci: Element
    status: str

    @property
    def open(self) -> bool:
        return self.status == "open"

    def row(self) -> list[Any]:
        a = self.incident.attrs
        return [
            a.get("number") or self.incident.id,
            a.get("priority", ""),
            self.status,
            _short(a.get("opened_at")),
            _short(a.get("resolved_at") or a.get("closed_at")),
            self.ci.name,
            self.ci.type,
            a.get("short_description", ""),
        ]

    def to_data(self) -> dict[str, Any]:
        a = self.incident.attrs
        return {
            "id": self.incident.id,
            "number": a.get("number") or self.incident.id,
            "kind": a.get("kind", "incident"),
            "priority": a.get("priority"),
            "state": a.get("state"),
            "status_at": self.status,
            "opened_at": a.get("opened_at"),
            "resolved_at": a.get("resolved_at"),
            "closed_at": a.get("closed_at"),
            "short_description": a.get("short_description"),
            "ci": {"id": self.ci.id, "name": self.ci.name, "type": self.ci.type},
        }


def _short(moment: Any) -> str:
    """``2026-03-14 08:58Z`` for ``2026-03-14T08:58:40Z``: a table's width for a time."""
    text = str(moment or "")
    return f"{text[:10]} {text[11:16]}Z" if len(text) == 20 else text


COLUMNS = ["number", "priority", "state", "opened", "ended", "affects", "type", "summary"]


@dataclass(frozen=True)
class IncidentsReport:
    """The incidents opened by a moment (or only those open then), most urgent first."""

    at: str
    only_open: bool
    incidents: list[IncidentAt]

    @property
    def open(self) -> list[IncidentAt]:
        return [i for i in self.incidents if i.open]

    @staticmethod
    def count(rows: list[IncidentAt]) -> int:
        """How many incidents ``rows`` hold: one on two elements is two rows."""
        return len({i.incident.id for i in rows})

    def symptoms(self) -> list[ElementId]:
        """The elements the open incidents affect, once each, most urgent first."""
        return list(dict.fromkeys(ElementId(i.ci.id) for i in self.open))

    def symptoms_note(self) -> str:
        """The incidents a diagnosis took its symptoms from: ``INC0010012 on CRM Dynamics``..."""
        listed = ", ".join(
            f"{i.incident.attrs.get('number') or i.incident.id} on {i.ci.name}" for i in self.open
        )
        return f"{self.count(self.open)} incident(s) open at {self.at}" + (
            f": {listed}" if listed else ""
        )

    def to_tables(self) -> list[Table]:
        what = "open" if self.only_open else "opened by then"
        return [
            Table(
                f"incidents {what} at {self.at} ({self.count(self.incidents)})",
                COLUMNS,
                [i.row() for i in self.incidents],
            )
        ]

    def to_data(self) -> dict[str, Any]:
        return {
            "analysis": "incidents",
            "at": self.at,
            "open_only": self.only_open,
            "open": self.count(self.open),
            "incidents": [i.to_data() for i in self.incidents],
        }

    def notes(self) -> list[str]:
        cis = self.symptoms()
        return [
            f"{self.count(self.open)} incident(s) open at {self.at}, on {len(cis)} element(s)"
            + (": ea diagnose --at " + self.at + " takes them as symptoms" if cis else "")
        ]


def incidents_at(
    store: GraphStore, moment: dt.datetime, *, only_open: bool = False, lens: Lens = CURRENT
) -> IncidentsReport:
    """The incidents opened at or before ``moment`` (``only_open``: those open then), each
    with the element it affects as ``lens`` shows it, open ones first, then by priority,
    then the latest opened first.

    An incident whose element the lens hides (retired, or not yet in service on the
    day seen) is left out.
    """
    at = iso(moment)
    found = [
        (e, status)
        for e in store.find_elements(types=[INCIDENT], lens=lens)
        if (status := status_at(e.attrs, at)) is not None and (status == "open" or not only_open)
    ]
    ids = [e.id for e, _ in found]
    affected: dict[str, set[str]] = defaultdict(set)  # two sources may name two CIs
    for r in store.relations_of(ids, lens, types=[AFFECTS]) if ids else ():
        affected[r.src].add(r.dst)
    cis = store.get_elements(set().union(*affected.values()), lens) if affected else {}
    rows = [
        IncidentAt(e, cis[ci], status)
        for e, status in found
        for ci in sorted(affected.get(e.id, ()))
        if ci in cis
    ]
    rows.sort(key=lambda i: i.incident.id)
    rows.sort(key=lambda i: i.incident.attrs.get("opened_at", ""), reverse=True)
    rows.sort(
        key=lambda i: (not i.open, PRIORITY_ORDER.get(str(i.incident.attrs.get("priority")), 5))
    )
    return IncidentsReport(at, only_open, rows)


__all__ = ["IncidentAt", "IncidentsReport", "incidents_at", "iso", "parse_moment", "status_at"]
