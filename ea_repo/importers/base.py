"""What every importer shares: the batch it hands to the sync engine.

An importer reads a source (no cleverness), transforms each row into
:class:`~ea_repo.model.Record` objects (pure), and never touches the store.
Problems with rows (an unknown class, a missing key) are collected rather than
raised, so that one run reports all of them; the sync engine adds its own
(metamodel validation, references) and writes nothing if there is any.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..errors import Problem
from ..model import Element, Origin, Record, problem_at


@dataclass
class ImportBatch:
    """Records read from one source run, with the problems found while reading.

    ``problems`` stop a sync (nothing is written). ``skipped`` counts rows
    left out on purpose by reason (``install_status is 'Retired'``,
    ``unmapped class 'IP Address'``...) and ``warnings`` says the same per
    file, for people; neither stops a sync.
    """

    source_files: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[Problem] = field(default_factory=list)
    _skipped_by_file: Counter[tuple[str, str]] = field(default_factory=Counter, repr=False)
    _notes: Counter[tuple[str, str]] = field(default_factory=Counter, repr=False)

    def problem(
        self,
        origin: Origin | None,
        message: str,
        hint: str | None = None,
        column: str | None = None,
    ) -> None:
        """Note a problem with a row (``origin``) of the source, in ``column`` if one is at fault."""
        self.problems.append(problem_at(origin, message, hint, column))

    def skip(self, file: str, reason: str) -> None:
        """Count one row of ``file`` skipped for ``reason``."""
        self.skipped[reason] += 1
        self._skipped_by_file[(file, reason)] += 1

    def note(self, file: str, what: str) -> None:
        """Count one row of ``file`` imported with a remark (``what``), for a warning."""
        self._notes[(file, what)] += 1

    def summarize(self) -> None:
        """Turn the counts into one warning per file and reason."""
        self.warnings.extend(
            Problem(f"skipped {n} row{'s' if n != 1 else ''}: {reason}", file)
            for (file, reason), n in sorted(self._skipped_by_file.items())
        )
        self.warnings.extend(
            Problem(f"{n} row{'s' if n != 1 else ''} {what}", file)
            for (file, what), n in sorted(self._notes.items())
        )
        self._skipped_by_file.clear()
        self._notes.clear()

    def keeps_missing(self, element: Element) -> bool:
        """Whether ``element``, asserted by the source's last run and not by this one, is
        kept whatever the source's ``on_missing`` says (with its relations): a closed
        incident that left an export's window of time. None is, here."""
        return False

    def extend(self, other: ImportBatch) -> None:
        """Add another batch (e.g. the relationship file of the same export)."""
        self.source_files.extend(other.source_files)
        self.records.extend(other.records)
        self.problems.extend(other.problems)
        self.skipped.update(other.skipped)
        self.warnings.extend(other.warnings)
