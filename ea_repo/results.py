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
