"""What every importer shares: the batch it hands to the sync engine.

An importer reads a source (no cleverness), transforms each row into
:class:`~ea_repo.model.Record` objects (pure), and never touches the store.
Problems with rows (an unknown class, a missing key) are collected rather than
raised, so that one run reports all of them; the sync engine adds its own
(metamodel validation, references) and writes nothing if there is any.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Problem
from ..model import Origin, Record


@dataclass
class ImportBatch:
    """Records read from one source run, with the problems found while reading."""

    source_files: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, origin: Origin | None, message: str, hint: str | None = None) -> None:
        """Note a problem with a row (``origin``) of the source."""
        if origin is None:
            self.problems.append(Problem(message, hint=hint))
        else:
            self.problems.append(Problem(message, origin.file, origin.row, hint))

    def extend(self, other: ImportBatch) -> None:
        """Add another batch (e.g. the relationship file of the same export)."""
        self.source_files.extend(other.source_files)
        self.records.extend(other.records)
        self.problems.extend(other.problems)
