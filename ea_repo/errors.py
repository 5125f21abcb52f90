"""The error hierarchy.

Every mistake a user can make (a bad metamodel, an unknown id, a malformed
value) raises a subclass of :class:`EaError` carrying a one-line message, an
optional hint and the exit code the CLI returns. Bugs in ea-repo itself raise
:class:`InternalError`, which the CLI reports differently.
"""

from __future__ import annotations

from dataclasses import dataclass


def location(file: str, line: int | None = None, record: int | None = None) -> str:
    """Where something is in an input file: ``file``, ``file:line``, or, when the
    record number differs from the line (a quoted cell spans lines before it),
    ``file:line (record N)``.

    >>> location("cmdb.csv", 120, 97)
    'cmdb.csv:120 (record 97)'
    """
    return file if line is None else f"{file}:{line_text(line, record)}"


def line_text(line: int | None, record: int | None = None) -> str:
    """A row's line, with its record number where the two differ: ``120 (record 97)``."""
    return str(line) if record is None else f"{line} (record {record})"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can.

    ``line`` is the line of the file where the row starts (for JSON, the
    index of the item); ``record`` is the row's number as a spreadsheet
    counts it, given only where it differs from the line; ``column`` names
    the column or field at fault, when one is.
    """

    message: str
    file: str | None = None
    line: int | None = None
    hint: str | None = None
    record: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = "" if self.file is None else location(self.file, self.line, self.record) + ": "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text

    def to_data(self) -> dict[str, str | int | None]:
        """The problem as JSON-ready fields (every key present, None when unknown)."""
        return {
            "file": self.file,
            "line": self.line,
            "record": self.record,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }


class EaError(Exception):
    """Base class of every error a user can cause and fix.

    ``problems`` are what is wrong, one by one (every row of an input at
    fault); ``notes`` what else a refused run had to say (rows skipped on
    purpose...), which explains it too.
    """

    exit_code = 2

    def __init__(
        self, message: str, *, hint: str | None = None, problems: list[Problem] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.problems = list(problems or [])
        self.notes: list[str] = []

    def __str__(self) -> str:
        return self.message

    def all_problems(self) -> list[Problem]:
        """Every problem of this error; the error itself, as one, when it lists none."""
        return self.problems or [Problem(self.message, hint=self.hint)]


class MetamodelError(EaError):
    """A metamodel file is unreadable or inconsistent."""


class ValidationError(EaError):
    """An element or relation does not conform to the metamodel."""


class NotFoundError(EaError):
    """An id, type or name the user gave does not exist."""


class ConflictError(EaError):
    """A write would clash with what is already in the repository."""


class WorkspaceError(EaError):
    """The workspace (ea.yaml, .ea/) is missing or misconfigured."""


class StoreError(EaError):
    """The graph store cannot be opened or used."""

    exit_code = 3


class StoreLockedError(StoreError):
    """Another process holds the repository's write lock longer than the store waits."""


class SelectorError(EaError):
    """A selector expression is malformed."""


class SourceError(EaError):
    """An import source (file, mapping) is unreadable or invalid."""


class InternalError(Exception):
    """A bug in ea-repo itself, never the user's fault."""
