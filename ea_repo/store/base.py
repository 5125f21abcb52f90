"""The GraphStore protocol: the only way code touches repository data.

A backend stores elements and relations with their status, the runs of each
source, which source asserted which item in which run (provenance), and a
change log. Every read takes a :class:`~ea_repo.model.Lens`, so that what
counts as "the graph" is decided by the caller, not hard-coded in queries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from itertools import islice
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol, TypeVar, runtime_checkable

from ..model import (
    CURRENT,
    Assertion,
    Change,
    Element,
    Hop,
    Lens,
    Relation,
    Run,
    Status,
    Step,
)


class Expansion(NamedTuple):
    """What :meth:`GraphStore.expand` answers: every hop of each element in ``origins``.

    ``elements``: elements asked for or reached by its hops, as the lens shows them,
    when the backend read them with the hops (some or none: a caller asks for the
    rest; an element left out may be hidden or simply not read).
    """

    hops: list[Hop]
    origins: frozenset[str]
    elements: Mapping[str, Element] = MappingProxyType({})


@dataclass(frozen=True)
class Counts:
    """How many elements and relations of each type a lens sees."""

    elements: Mapping[str, int] = field(default_factory=dict)
    relations: Mapping[str, int] = field(default_factory=dict)


@runtime_checkable
class GraphStore(Protocol):
    """Storage of one repository. Implementations: SQLite (default) and Neo4j."""

    backend: str
    """Short backend name: ``sqlite`` or ``neo4j``."""

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""

    def purge(self) -> int:
        """Delete everything the repository holds (items, runs, provenance, change log);
        it stays usable, empty. Returns how many records went."""

    def transaction(self) -> AbstractContextManager[None]:
        """A context in which every write commits together or not at all.

        Re-entrant: an inner ``transaction()`` joins the outer one. Writes made
        outside any transaction commit one call at a time.
        """

    def schema_version(self) -> int:
        """The version of the storage schema, after migrations."""

    # -- elements and relations ------------------------------------------------

    def upsert_elements(self, elements: Iterable[Element]) -> int:
        """Insert or replace elements by id (type, name, attrs and status); returns the count."""

    def upsert_relations(self, relations: Iterable[Relation]) -> int:
        """Insert or replace relations by id; both ends must exist. Returns the count."""

    def get_elements(self, ids: Iterable[str], lens: Lens = CURRENT) -> dict[str, Element]:
        """The elements among ``ids`` that exist and the lens shows, by id."""

    def get_relations(self, ids: Iterable[str], lens: Lens = CURRENT) -> dict[str, Relation]:
        """The relations among ``ids`` that exist and the lens shows, by id."""

    def find_elements(
        self,
        *,
        types: Iterable[str] | None = None,
        attrs: Mapping[str, Any] | None = None,
        text: str | None = None,
        lens: Lens = CURRENT,
        limit: int | None = None,
    ) -> list[Element]:
        """Elements matching every criterion given, ordered by id.

        ``types``: any of these type names; ``attrs``: attribute equality;
        ``text``: case-insensitive substring of id, name or any attribute value.
        """

    def relations_of(
        self, ids: Iterable[str], lens: Lens = CURRENT, types: Iterable[str] | None = None
    ) -> list[Relation]:
        """Every relation with an end among ``ids`` (and both ends shown by the lens)."""

    def neighbors(
        self,
        ids: Iterable[str],
        steps: Sequence[Step],
        lens: Lens = CURRENT,
        exclude: Collection[str] = (),
    ) -> list[Hop]:
        """One level of expansion from ``ids`` along ``steps``.

        For each step, relations of that type are followed out (from source to
        target) or in (from target to source); a hop is returned when the
        relation and the element reached are both visible through the lens,
        and the element reached is not in ``exclude`` (what a traversal has
        reached already). Order is unspecified.
        """

    def expand(
        self,
        ids: Iterable[str],
        steps: Sequence[Step],
        lens: Lens = CURRENT,
        *,
        exclude: Collection[str] = (),
        levels: int | None = 1,
        stop: Collection[str] = (),
    ) -> Expansion:
        """The hops of ``ids`` as :meth:`neighbors` gives them, and perhaps of what lies beyond.

        A backend whose queries cost a round trip may answer up to ``levels``
        levels at once (None: as many as it likes): with the hops of ``ids``,
        the hops of the elements they reach (except through relations of a type
        in ``stop``), and so on. ``origins`` names every element whose hops are
        all in the answer: each of ``ids``, and whatever the backend expanded
        beyond them. Hops into ``exclude`` are left out at every level.
        ``elements`` may hold, as the lens shows them, elements of ``ids`` and
        elements the hops reach, where the backend read them with the hops.
        """

    def iter_elements(self, lens: Lens = CURRENT) -> Iterator[Element]:
        """Every element the lens shows, ordered by id."""

    def iter_relations(self, lens: Lens = CURRENT) -> Iterator[Relation]:
        """Every relation the lens shows (both ends visible), ordered by id."""

    def set_status(self, kind: str, ids: Iterable[str], status: Status) -> int:
        """Set the status of elements or relations (``kind``); returns how many changed."""

    def delete_elements(self, ids: Iterable[str]) -> int:
        """Delete elements and every relation touching them; returns elements deleted."""

    def delete_relations(self, ids: Iterable[str]) -> int:
        """Delete relations; returns how many were deleted."""

    def counts(self, lens: Lens = CURRENT) -> Counts:
        """Numbers of elements and relations per type, as the lens sees them."""

    def retired_counts(self) -> tuple[int, int]:
        """How many elements and how many relations are retired, read at one moment
        (one statement: a count taken while a run writes is never the difference of two)."""

    def stranded_relations(self) -> list[Relation]:
        """The active relations one of whose ends is retired (left by a repository written
        before relations followed their elements), by id."""

    # -- runs, provenance, change log ---------------------------------------

    def start_run(self, source: str, at: str | None = None) -> Run:
        """Open a run of ``source`` (status ``running``)."""

    def finish_run(
        self,
        run_id: int,
        status: str,
        stats: Mapping[str, Any] | None = None,
        message: str | None = None,
        at: str | None = None,
    ) -> None:
        """Close a run with its final status (``succeeded``, ``failed`` or ``refused``) and counts.

        Closing a closed run again replaces these (``quality.keep`` adds the quality figures
        to the stats of a run after it committed)."""

    def runs(
        self,
        source: str | None = None,
        limit: int | None = None,
        *,
        status: str | None = None,
        after: int | None = None,
    ) -> list[Run]:
        """Runs, newest first, of one source or all; only those with ``status``, only those
        after run ``after``."""

    def latest_runs(self) -> dict[str, tuple[Run, Run | None]]:
        """Per source: its latest run and its latest successful one."""

    def record_assertions(
        self,
        run_id: int,
        source: str,
        kind: str,
        ids: Iterable[str],
        at: str | None = None,
        values: Mapping[str, Mapping[str, Any]] | None = None,
        digests: Mapping[str, str] | None = None,
    ) -> None:
        """Record that ``source`` asserted these items in ``run_id`` (first/last seen kept).

        ``values`` holds, per id, what the source asserted (name, attributes),
        so that a later run can tell which attributes it stopped giving;
        ``digests``, per id, the digest of the record that asserted it, so that
        a re-sync recognises the records it has seen (see :meth:`record_digests`).
        """

    def asserted_values(
        self, source: str, kind: str, ids: Iterable[str]
    ) -> dict[str, dict[str, Any]]:
        """What ``source`` last asserted about each of ``ids`` that it asserts."""

    def touch_assertions(
        self,
        run_id: int,
        source: str,
        kind: str,
        ids: Iterable[str] | None,
        at: str | None = None,
    ) -> None:
        """Mark items ``source`` asserts again, unchanged, as last seen in ``run_id``;
        ``ids=None``: every item of ``kind`` the source asserts."""

    def inactive(self, kind: str, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that exist but are not active."""

    def record_digests(self, source: str) -> dict[str, tuple[str, str]]:
        """Digest → (kind, item id) of the records behind what ``source`` asserts (the
        digests given to :meth:`record_assertions`)."""

    def drop_assertions(self, kind: str, ids: Iterable[str]) -> None:
        """Forget every source's assertions of these items (after deleting them)."""

    def elements_named(
        self, names: Iterable[str], lens: Lens = CURRENT
    ) -> dict[str, list[Element]]:
        """Elements whose name equals one of ``names`` ignoring case, keyed by casefolded name."""

    def retract_assertions(self, source: str, kind: str, ids: Iterable[str]) -> None:
        """Forget that ``source`` asserts these items."""

    def assertions(self, kind: str, ids: Iterable[str]) -> list[Assertion]:
        """Provenance of the given items: which source asserted each, and when."""

    def asserted_ids(self, source: str, kind: str) -> set[str]:
        """Ids of the items of ``kind`` that ``source`` currently asserts."""

    def count_asserted(self, source: str, kind: str) -> int:
        """How many items of ``kind`` ``source`` currently asserts."""

    def stale_elements(
        self, before: str, lens: Lens = CURRENT, limit: int | None = None
    ) -> list[tuple[Element, str | None]]:
        """Elements whose latest confirmation by any source is older than ``before`` (or absent),
        oldest first, each with that confirmation time."""

    def count_stale(self, before: str, lens: Lens = CURRENT) -> int:
        """How many elements :meth:`stale_elements` would give without a limit."""

    def log_changes(self, changes: Iterable[Change]) -> None:
        """Append to the change log."""

    def changes(
        self,
        item_id: str | None = None,
        run_id: int | None = None,
        limit: int | None = None,
        *,
        kind: str | None = None,
        ops: Collection[str] | None = None,
    ) -> list[Change]:
        """Change-log entries, oldest first, for one item, one run, or all; only those of
        one ``kind`` (element or relation) and of ``ops`` (added, changed, …) when given."""


KINDS = ("element", "relation")


def mentions(element: Element, text: str) -> bool:
    """Whether ``text`` is in ``element``'s id, name or an attribute value, ignoring case
    (what ``find_elements(text=...)`` matches; booleans read as 1/0, as in SQLite's json_tree)."""
    needle = text.casefold()
    return (
        needle in element.id.casefold()
        or needle in element.name.casefold()
        or any(needle in atom.casefold() for atom in _atoms(element.attrs))
    )


def _atoms(value: Any) -> Iterator[str]:
    """The leaf values of an attribute, as text."""
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _atoms(v)
    elif isinstance(value, list):
        for v in value:
            yield from _atoms(v)
    elif isinstance(value, bool):
        yield str(int(value))
    elif value is not None:
        yield str(value)


def check_kind(kind: str) -> str:
    """Return ``kind`` if it is ``element`` or ``relation``; a programming error otherwise."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    return kind


def latest_by_source(runs: Iterable[Run]) -> dict[str, tuple[Run, Run | None]]:
    """From runs newest first: per source, the latest run and the latest successful one."""
    latest: dict[str, tuple[Run, Run | None]] = {}
    for run in runs:
        if run.source not in latest:
            latest[run.source] = (run, run if run.status == "succeeded" else None)
        elif run.status == "succeeded" and latest[run.source][1] is None:
            latest[run.source] = (latest[run.source][0], run)
    return latest


_T = TypeVar("_T")


def batches(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """``items`` in lists of ``size`` (the last one shorter), read lazily."""
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch
