"""The incidents importer: an ITSM incident list or a monitoring alert list, into observations.

Each row becomes an ``Incident`` element (its number the id and the name, its
priority, state and times as the mapping says: ISO 8601 UTC text) and an
``affects`` relation to the element it was reported on, its configuration item.
The mapping is a CMDB mapping (:mod:`.mapping`: ``elements`` with a constant
type and a ``links`` entry of type ``affects``), read by the CMDB importer; the
presets ``servicenow`` and ``generic`` ship with ea-repo.

What it decides itself:

* the configuration item is looked up in the repository (read, never written)
  by id, then by name: a CMDB imported with ServiceNow's ``sys_id`` as ids is
  found from a raw export's ``cmdb_ci`` (a sys_id) as well as from a list
  export's display value (its name). A CI found by name is left to the sync
  engine, which refuses a name several elements bear;
* an incident on a CI the repository does not hold is a problem naming the file
  and the row (``unknown_ci="error"``, the default: the CMDB source is behind,
  or the export is from another instance), or is skipped and counted
  (``unknown_ci="skip"``);
* a row with no CI at all (ServiceNow does not require one) is skipped and
  counted: it says nothing about the landscape;
* a resolution or closure time before the opening time is a problem;
* an incident that is over and no longer exported is kept (:class:`IncidentBatch`).

>>> from ea_repo.metamodel import load_metamodel                     # doctest: +SKIP
>>> from ea_repo.importers.presets import load_preset               # doctest: +SKIP
>>> mm = load_metamodel()                                             # doctest: +SKIP
>>> mapping = load_preset("servicenow", mm, importer="incidents")    # doctest: +SKIP
>>> batch = IncidentsImporter(mapping, mm).read("incident.csv", store=store)  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import SourceError
from ..metamodel import Metamodel
from ..model import EVERYTHING, Element, Record, Ref
from .base import ImportBatch
from .cmdb import CmdbImporter
from .mapping import CmdbMapping, alternatives, time_zone
from .tabular import Table, read_table

INCIDENT = "Incident"
AFFECTS = "affects"
UNKNOWN_CI = ("error", "skip")
"""What an incident on a configuration item the repository does not hold is."""
TIMES = ("opened_at", "resolved_at", "closed_at")
ENDED = frozenset({"resolved", "closed", "canceled"})
"""The states of an incident that is over."""


def check_unknown_ci(value: str) -> str:
    """``value`` if it is one of :data:`UNKNOWN_CI`; else a :class:`SourceError`."""
    if value not in UNKNOWN_CI:
        raise SourceError(
            f"unknown_ci {value!r} is not one of {', '.join(UNKNOWN_CI)}",
            hint="error refuses the run naming each such row; skip leaves them out, counted",
        )
    return value


class IncidentBatch(ImportBatch):
    """The records of an incident export. An incident that is over (resolved, closed,
    canceled) and no longer exported left the export's window of time: it is kept,
    whatever the source's ``on_missing``; one still open that the export no longer lists
    follows ``on_missing`` (retired by default: its end is unknown)."""

    def keeps_missing(self, element: Element) -> bool:
        return element.type == INCIDENT and element.attrs.get("state") in ENDED


class IncidentsImporter:
    """Turn incident or alert lists into ``Incident`` elements that ``affects`` their CI.

    ``mapping`` maps the rows to ``Incident`` elements with an ``affects`` link
    (a preset, or the workspace's own mapping). Raises
    :class:`~ea_repo.errors.SourceError` when the metamodel or the mapping lacks
    what the records need. ``timezone`` (an IANA name) replaces the mapping's: the
    zone of the times the export writes without one.
    """

    def __init__(
        self,
        mapping: CmdbMapping,
        metamodel: Metamodel,
        *,
        unknown_ci: str = "error",
        timezone: str | None = None,
    ) -> None:
        where = f"metamodel {metamodel.source}"
        if INCIDENT not in metamodel.element_types or AFFECTS not in metamodel.relation_types:
            raise SourceError(
                f"{where}: no element type {INCIDENT!r} or relationship type {AFFECTS!r}, "
                "which the incidents importer needs"
            )
        elements = mapping.elements
        self.ci_columns = tuple(
            c
            for link in (elements.links if elements else ())
            if any(t.type == AFFECTS for t in link.targets)
            for c in link.id_columns + link.name_columns
        )
        if not self.ci_columns:
            raise SourceError(
                f"{mapping.source}: an incident mapping needs `elements` with a link of "
                f"type {AFFECTS}",
                hint="e.g. `links: [{type: affects, name: cmdb_ci}]`; see `ea import incidents --help`",
            )
        if timezone is not None:  # the source's own, over the mapping's
            mapping = replace(mapping, timezone=time_zone(timezone))
        self.mapping = mapping
        self.unknown_ci = check_unknown_ci(unknown_ci)
        # Neither `ea import incidents` nor an incidents source takes --on-duplicate: a
        # mapping of your own does.
        self.rows = CmdbImporter(
            mapping,
            metamodel,
            duplicate_choices="or say how such rows combine: on_duplicate: merge (or first, "
            "last) under elements in a mapping of your own (--mapping)",
        )

    def read(
        self,
        *files: str | Path,
        store: Any,
        sheet: str | None = None,
        encoding: str | None = None,
        delimiter: str | None = None,
        short_rows: str | None = None,
    ) -> IncidentBatch:
        """Read one export (or one split over several files) against the repository ``store``.

        Raises :class:`~ea_repo.errors.SourceError` when a file cannot be read as a
        table or lacks the number or the configuration item column; row problems go to
        ``batch.problems``.
        """
        tables = [
            read_table(
                f,
                sheet=sheet,
                encoding=encoding,
                delimiter=delimiter,
                short_rows=short_rows or self.mapping.short_rows,
            )
            for f in files
        ]
        return self.transform(tables, store)

    def transform(self, tables: Iterable[Table], store: Any) -> IncidentBatch:
        """The records of tables already read; ``store`` is only read, to find the CIs."""
        batch = IncidentBatch()
        for table in tables:
            if not table.present(self.ci_columns):
                raise SourceError(
                    f"{table.file}: no configuration item column: expected "
                    f"{alternatives(self.ci_columns)} (the {AFFECTS} link in {self.mapping.source})",
                    hint=f"columns found: {table.columns_text()}",
                )
            batch.extend(self.rows.transform(table))
        incidents: dict[str | None, Record] = {}
        for record in batch.records:
            first = incidents.setdefault(record.key, record) if record.kind == "element" else None
            if first is not None and first is not record:
                batch.problem(
                    record.origin,
                    f"duplicate number {record.key!r} (first at {first.origin})",
                    "each incident appears once across the files of one export",
                )
        affects = {r.src.value: r for r in batch.records if r.kind == "relation" and r.src}
        self._check_times(incidents.values(), batch)
        ids, names = self._known(store, [r.dst.value for r in affects.values() if r.dst])
        records: list[Record] = []
        for key, incident in incidents.items():
            file = incident.origin.file if incident.origin else "?"
            link = affects.get(key or "")
            if link is None or link.dst is None:
                batch.skip(file, "no configuration item")
                continue
            ci = link.dst.value
            if ci in ids:
                dst = Ref(ci)
            elif ci.casefold() in names:
                dst = Ref(ci, by="name")
            elif self.unknown_ci == "skip":
                batch.skip(file, "configuration item unknown to the repository (unknown_ci: skip)")
                continue
            else:
                batch.problem(
                    incident.origin,
                    f"{key}: unknown configuration item {ci!r}: no element has this id or name",
                    "sync the CMDB first; or skip such incidents: --unknown-ci skip "
                    "(unknown_ci: skip in ea.yaml)",
                )
                continue
            records += [incident, link._replace(dst=dst)]
        batch.records = records
        batch.summarize()
        return batch

    @staticmethod
    def _known(store: Any, values: list[str]) -> tuple[set[str], set[str]]:
        """Which of ``values`` are element ids, and which (casefolded) element names."""
        if not values:
            return set(), set()
        ids = set(store.get_elements(values, EVERYTHING))
        names = set(store.elements_named([v for v in values if v not in ids], EVERYTHING))
        return ids, names

    @staticmethod
    def _check_times(incidents: Iterable[Record], batch: ImportBatch) -> None:
        """Times must be ISO 8601 UTC text of one shape (what the ``datetime`` transform
        writes), since they are compared as text; none may come before the opening."""
        for record in incidents:
            times = {a: record.attrs.get(a) for a in TIMES if record.attrs.get(a)}
            odd = [a for a, t in times.items() if not _UTC.fullmatch(str(t))]
            for attr in odd:
                batch.problem(
                    record.origin,
                    f"{record.key}: {attr} {times[attr]!r} is not an ISO 8601 UTC time "
                    "(2026-03-14T08:55:00Z)",
                    "read the column with `transform: datetime` in the mapping",
                )
            opened = times.get("opened_at")
            if not opened:
                file = record.origin.file if record.origin else "?"
                batch.note(file, "without an opening time (opened_at): open since always, until it ends")
            if odd or not opened:
                continue
            for attr in TIMES[1:]:
                ended = times.get(attr)
                if ended and ended < opened:
                    batch.problem(
                        record.origin,
                        f"{record.key}: {attr} {ended} is before opened_at {opened}",
                        "check the export's times (and the mapping's timezone)",
                    )


_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


__all__ = ["ENDED", "UNKNOWN_CI", "IncidentBatch", "IncidentsImporter", "check_unknown_ci"]
