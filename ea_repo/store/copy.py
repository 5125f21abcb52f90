"""Copying a whole repository between stores (SQLite ⇄ Neo4j), through the protocol only.

Runs are copied first, oldest first, so that the target numbers them afresh;
provenance and the change log are remapped to the new run ids. Then elements,
relations, provenance (first and last sighting, asserted values, record
digests) and the change log, a batch at a time. The copy ends with a count
check of everything it moved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConflictError, EaError, ValidationError
from ..model import EVERYTHING, Change
from ..results import Table
from .base import KINDS, Counts, GraphStore, batches

BATCH = 10_000

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``."""


@dataclass
class CopyReport:
    """What was copied, counted on both sides."""

    source: dict[str, int] = field(default_factory=dict)
    target: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every count matches."""
        return self.source == self.target


@dataclass(frozen=True)
class CopyOutcome:
    """A copy as ``ea store copy`` reports it: the counts on both sides, from which backend
    to which, and where the copy is."""

    report: CopyReport
    source_backend: str
    target_backend: str
    where: str  # the SQLite file, or the Neo4j server and repository tag

    def to_tables(self) -> list[Table]:
        r = self.report
        rows = [
            [
                what,
                r.source[what],
                r.target[what],
                "ok" if r.source[what] == r.target[what] else "MISMATCH",
            ]
            for what in r.source
        ]
        return [
            Table(
                f"copied {self.source_backend} → {self.target_backend}: {self.where}",
                ["what", "source", "target", "check"],
                rows,
            )
        ]

    def to_data(self) -> dict[str, Any]:
        return {
            "target": self.target_backend,
            "where": self.where,
            "source": self.report.source,
            "target_counts": self.report.target,
            "ok": self.report.ok,
        }

    def notes(self) -> list[str]:
        """How to use the copy, once its counts match."""
        if not self.report.ok:
            return []
        return [f"to use it, set `store: {{backend: {self.target_backend}}}` in ea.yaml"]


def is_empty(store: GraphStore) -> bool:
    """Whether ``store`` holds no element, relation nor run."""
    counts = store.counts(EVERYTHING)
    return not counts.elements and not counts.relations and not store.runs(limit=1)


def census(store: GraphStore) -> dict[str, int]:
    """Numbers of everything a copy moves: items, runs, provenance, digests, changes."""
    counts = store.counts(EVERYTHING)
    element_ids = [e.id for e in store.iter_elements(EVERYTHING)]
    relation_ids = [r.id for r in store.iter_relations(EVERYTHING)]
    runs = store.runs()
    sources = sorted({r.source for r in runs})
    return {
        "elements": sum(counts.elements.values()),
        "relations": sum(counts.relations.values()),
        "runs": len(runs),
        "assertions": sum(
            len(store.assertions(kind, batch))
            for kind, ids in (("element", element_ids), ("relation", relation_ids))
            for batch in batches(ids, BATCH)
        ),
        "digests": sum(len(store.record_digests(s)) for s in sources),
        "changes": len(store.changes()),
    }


def copy_repository(
    source: GraphStore,
    target: GraphStore,
    progress: Progress | None = None,
    *,
    replace: bool = False,
    types: tuple[Collection[str], Collection[str]] | None = None,
) -> CopyReport:
    """Copy everything in ``source`` into ``target``; returns both sides' counts.

    Raises ConflictError if ``target`` is not empty, unless ``replace``: then it is
    emptied first. ``types``: the element and relation types ``target`` can hold
    (Neo4j labels and types them after the metamodel); a source holding others
    raises ValidationError before anything is written. An error once writing has
    begun (a server gone, a full disk) leaves part of the copy in ``target``: its
    hint says so, and how to start again.
    """
    counts = source.counts(EVERYTHING)
    if types is not None:
        _check_types(counts.elements, types[0], "element")
        _check_types(counts.relations, types[1], "relation")
    if not is_empty(target):
        if not replace:
            raise ConflictError(
                f"the target {target.backend} repository is not empty",
                hint="pass --replace to empty it first",
            )
        target.purge()
    try:
        read = _copy_everything(
            source, target, counts, progress or (lambda stage, done, total: None)
        )
    except EaError as exc:
        gone = "the target holds part of the copy: run the copy again with --replace"
        exc.hint = f"{exc.hint}; {gone}" if exc.hint else gone
        raise
    # What was read from the source (it cannot change meanwhile: the caller holds the
    # sync lock), against what the target now holds.
    return CopyReport(read, census(target))


def _copy_everything(
    source: GraphStore, target: GraphStore, counts: Counts, tell: Progress
) -> dict[str, int]:
    """Runs, elements, relations, provenance and changes of ``source`` written to ``target``;
    returns how many of each were read (``counts``: the source's, for the progress)."""
    runs = list(reversed(source.runs()))
    run_map: dict[int, int] = {}
    tell("runs", 0, len(runs))
    for n, run in enumerate(runs, 1):
        new = target.start_run(run.source, at=run.started_at)
        if run.status != "running":
            target.finish_run(new.id, run.status, run.stats, run.message, at=run.finished_at)
        run_map[run.id] = new.id
        tell("runs", n, len(runs))

    ids: dict[str, list[str]] = {"element": [], "relation": []}
    total = sum(counts.elements.values())
    tell("elements", 0, total)
    done = 0
    for elements in batches(source.iter_elements(EVERYTHING), BATCH):
        target.upsert_elements(elements)
        ids["element"].extend(e.id for e in elements)
        done += len(elements)
        tell("elements", done, total)
    total, done = sum(counts.relations.values()), 0
    tell("relations", 0, total)
    for relations in batches(source.iter_relations(EVERYTHING), BATCH):
        target.upsert_relations(relations)
        ids["relation"].extend(r.id for r in relations)
        done += len(relations)
        tell("relations", done, total)

    digests: dict[tuple[str, str, str], str] = {}  # (source, kind, item) -> record digest
    for name in sorted({r.source for r in runs}):
        for digest, (kind, item) in source.record_digests(name).items():
            digests[(name, kind, item)] = digest
    total, done = len(ids["element"]) + len(ids["relation"]), 0
    copied_assertions = 0
    tell("provenance", 0, total)
    for kind in KINDS:
        for batch in batches(ids[kind], BATCH):
            copied_assertions += _copy_assertions(source, target, kind, batch, run_map, digests)
            done += len(batch)
            tell("provenance", done, total)

    changes = source.changes()
    tell("changes", 0, len(changes))
    for n, chunk in enumerate(batches(changes, BATCH)):
        target.log_changes(
            Change(
                run_map.get(c.run_id, c.run_id), c.kind, c.item_id, c.op, c.before, c.after, c.at
            )
            for c in chunk
        )
        tell("changes", min((n + 1) * BATCH, len(changes)), len(changes))

    return {
        "elements": len(ids["element"]),
        "relations": len(ids["relation"]),
        "runs": len(runs),
        "assertions": copied_assertions,
        "digests": len(digests),
        "changes": len(changes),
    }


def _check_types(held: Iterable[str], known: Collection[str], kind: str) -> None:
    unknown = sorted(t for t in held if t not in known)
    if unknown:
        raise ValidationError(
            f"the repository holds {kind}s of types the metamodel lacks: {', '.join(unknown)}",
            hint=f"add these {kind} types to the metamodel, or delete or change those {kind}s, "
            "before copying",
        )


def _copy_assertions(
    source: GraphStore,
    target: GraphStore,
    kind: str,
    ids: list[str],
    run_map: dict[int, int],
    digests: dict[tuple[str, str, str], str],
) -> int:
    """Provenance of ``ids``: first sighting recorded, then the last one touched in.
    Returns how many assertions were copied."""
    first: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    last: dict[tuple[str, int, str], list[str]] = defaultdict(list)
    assertions = source.assertions(kind, ids)
    for a in assertions:
        first[(a.source, a.first_run, a.first_seen)].append(a.item_id)
        if (a.last_run, a.last_seen) != (a.first_run, a.first_seen):
            last[(a.source, a.last_run, a.last_seen)].append(a.item_id)
    values: dict[str, dict[str, Any]] = {}
    for name in {key[0] for key in first}:
        values[name] = source.asserted_values(name, kind, ids)
    for (name, run_id, seen), items in first.items():
        target.record_assertions(
            run_map.get(run_id, run_id),
            name,
            kind,
            items,
            at=seen,
            values=values[name],
            digests={i: digests[(name, kind, i)] for i in items if (name, kind, i) in digests},
        )
    for (name, run_id, seen), items in last.items():
        target.touch_assertions(run_map.get(run_id, run_id), name, kind, items, at=seen)
    return len(assertions)
