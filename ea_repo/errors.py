"""The error hierarchy.

Every mistake a user can make (a bad metamodel, an unknown id, a malformed
value) raises a subclass of :class:`EaError` carrying a one-line message, an
optional hint and the exit code the CLI returns. Bugs in ea-repo itself raise
:class:`InternalError`, which the CLI reports differently.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str | None = None
    line: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text


class EaError(Exception):
    """Base class of every error a user can cause and fix."""

    exit_code = 2

    def __init__(
        self, message: str, *, hint: str | None = None, problems: list[Problem] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.problems = list(problems or [])

    def __str__(self) -> str:
        return self.message


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
