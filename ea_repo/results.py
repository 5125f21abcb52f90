"""Results as data: the tables a command shows people and the JSON document it prints.

An analysis report gives both (``to_tables()``, ``to_data()``); the command line
prints them (:mod:`ea_repo.output`, which draws the tables with rich), and the
HTML studies or a web API read them alike. Nothing here imports a terminal or
command-line library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Table:
    """A titled table: column names and rows of plain values."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)


@dataclass
class Result:
    """What a command prints: tables for people, ``data`` for ``--format json``."""

    tables: list[Table] = field(default_factory=list)
    data: Any = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, report: Presentable) -> Result:
        """What a command prints of an analysis report: its tables, its data and its notes."""
        return cls(report.to_tables(), report.to_data(), report.notes())


class Presentable(Protocol):
    """A report that owns its presentation (every analysis report)."""

    def to_tables(self) -> list[Table]: ...

    def to_data(self) -> Any: ...

    def notes(self) -> list[str]: ...


def cell_text(value: Any) -> str:
    """How a value reads in a table cell, a report or a diagram label.

    None is empty, a boolean yes or no, a list its items joined by commas and
    a mapping its ``key=value`` pairs, nested values read the same way.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={cell_text(v)}" for k, v in value.items())
    return str(value)


def age_text(days: float | None) -> str:
    """How old something is, from a number of days: ``5 h``, ``12 days``, or ``never``."""
    if days is None:
        return "never"
    return f"{days * 24:.0f} h" if days < 1 else f"{days:.0f} days"


PHASE_OUT_MARK = "[phase-out]"


def mentioned_ids(data: Any) -> set[str]:
    """Every element id a result's JSON document names (under an ``id`` key, at any depth)."""
    found: set[str] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            value = item.get("id")
            if isinstance(value, str):
                found.add(value)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


def mark_phasing_out(result: Result, phasing_out: dict[str, str], day: str) -> None:
    """Mark the elements of ``result`` in their phase-out on ``day`` (id -> name): a mark
    beside their name in every table listing elements, their ids under ``phasing_out`` in
    the data, and a note."""
    if not phasing_out:
        return
    for table in result.tables:
        columns = list(table.columns)
        if "element" not in columns or "name" not in columns:
            continue
        at, name = columns.index("element"), columns.index("name")
        rows = []
        for row in table.rows:
            cells = list(row)
            if cells[at] in phasing_out:
                cells[name] = f"{cells[name]} {PHASE_OUT_MARK}"
            rows.append(cells)
        table.rows = rows
    if isinstance(result.data, dict):
        result.data["phasing_out"] = sorted(phasing_out)
    names = ", ".join(sorted(phasing_out.values())[:10])
    more = len(phasing_out) - 10
    result.notes.append(
        f"{PHASE_OUT_MARK} in its phase-out on {day} (its lifecycle_phase_out date has come): "
        + names
        + (f" and {more} more" if more > 0 else "")
    )
