"""The library API: one repository = a metamodel + a graph store.

Everything the CLI does goes through :class:`Repository`, so every command is
also usable from Python::

    from ea_repo import Repository
    with Repository.open("my-workspace") as repo:
        repo.add("Application", id="crm", name="CRM")
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .config import Workspace, init_workspace, load_workspace
from .errors import (
    ConflictError,
    NotFoundError,
    SelectorError,
    ValidationError,
    WorkspaceError,
)
from .metamodel import Metamodel, load_metamodel
from .metamodel.validate import (
    check_element,
    check_relation,
    raise_if,
    resolve_element_type,
    resolve_relation_type,
)
from .model import (
    CURRENT,
    EVERYTHING,
    Assertion,
    Change,
    Direction,
    Element,
    ElementId,
    Lens,
    Record,
    Relation,
    RelationId,
    Run,
    Status,
)
from .results import Table, age_text
from .runtime import checkpoint
from .store import Counts, GraphStore, SQLiteStore

if TYPE_CHECKING:
    from .analysis.registry import Target
    from .scenarios import Overlay, Scenario

MANUAL_SOURCE = "manual"
"""The source name of what users add by hand (``ea add``, ``ea link``)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SELECTOR_MARKS = ':+,="'
"""Characters that make text a selector rather than an id or a name (see ``resolve``)."""


def check_id(value: str, what: str = "id") -> str:
    """Return ``value`` stripped if it is usable as an id, else raise ValidationError."""
    text = value.strip()
    if not text:
        raise ValidationError(f"the {what} is empty", hint="give a non-empty id")
    if _CONTROL.search(text):
        raise ValidationError(f"the {what} {text!r} contains control characters")
    if len(text) > 256:
        raise ValidationError(f"the {what} is {len(text)} characters long; 256 at most")
    return text


def slugify(name: str) -> str:
    """An id made from a display name: ``"Order Management"`` → ``order-management``."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@dataclass(frozen=True)
class Neighbor:
    """A relation seen from one element: its label from that side, and the element at the other end."""

    relation: Relation
    direction: Direction
    label: str
    other: Element


@dataclass(frozen=True)
class ElementDetail:
    """Everything ``ea show`` tells about an element."""

    element: Element
    layer: str
    provenance: list[Assertion]
    neighbors: list[Neighbor]

    def to_tables(self) -> list[Table]:
        """Its fields and attributes, its provenance, its relations."""
        e = self.element
        return [
            Table(
                f"{e.type} {e.id}",
                ["field", "value"],
                [
                    ["name", e.name],
                    ["type", e.type],
                    ["layer", self.layer],
                    ["status", e.status.value],
                ]
                + [[k, v] for k, v in sorted(e.attrs.items())],
            ),
            Table(
                "provenance",
                ["source", "first seen", "last seen", "last run"],
                [[a.source, a.first_seen, a.last_seen, a.last_run] for a in self.provenance],
            ),
            Table(
                "relations",
                ["relation", "element", "name", "type", "attributes"],
                [
                    [n.label, n.other.id, n.other.name, n.other.type, dict(n.relation.attrs)]
                    for n in self.neighbors
                ],
            ),
        ]

    def to_data(self) -> dict[str, Any]:
        """The element, its layer, provenance and relations as a JSON document."""
        return {
            **element_data(self.element),
            "layer": self.layer,
            "provenance": [
                {
                    "source": a.source,
                    "first_seen": a.first_seen,
                    "last_seen": a.last_seen,
                    "last_run": a.last_run,
                }
                for a in self.provenance
            ],
            "relations": [
                {
                    "relation": n.relation.type,
                    "id": n.relation.id,
                    "direction": n.direction.value,
                    "label": n.label,
                    "element": n.other.id,
                    "name": n.other.name,
                    "type": n.other.type,
                    "attrs": dict(n.relation.attrs),
                }
                for n in self.neighbors
            ],
        }

    def notes(self) -> list[str]:
        return []


@dataclass(frozen=True)
class Stats:
    """Size of the repository, by layer and type."""

    counts: Counts
    retired_elements: int
    retired_relations: int
    layers: Mapping[str, int]
    sources: Mapping[str, str] = field(default_factory=dict)  # source -> last run finished
    type_layers: Mapping[str, str] = field(default_factory=dict)  # element type -> layer

    def to_tables(self) -> list[Table]:
        """Totals, elements by layer and type, relations by type, each source's last run."""
        return [
            Table(
                "totals",
                ["what", "count"],
                [
                    ["elements", sum(self.counts.elements.values())],
                    ["relations", sum(self.counts.relations.values())],
                    ["retired elements", self.retired_elements],
                    ["retired relations", self.retired_relations],
                ],
            ),
            Table(
                "elements",
                ["layer", "type", "count"],
                sorted(
                    [self.type_layers.get(t, "unknown"), t, n]
                    for t, n in self.counts.elements.items()
                ),
            ),
            Table(
                "relations",
                ["type", "count"],
                [[t, n] for t, n in sorted(self.counts.relations.items())],
            ),
            Table(
                "sources",
                ["source", "last successful run"],
                sorted(map(list, self.sources.items())),
            ),
        ]

    def to_data(self) -> dict[str, Any]:
        return {
            "elements": dict(self.counts.elements),
            "relations": dict(self.counts.relations),
            "layers": dict(self.layers),
            "retired": {"elements": self.retired_elements, "relations": self.retired_relations},
            "sources": dict(self.sources),
        }

    def notes(self) -> list[str]:
        return []


@dataclass(frozen=True)
class MetamodelDiff:
    """What moving the repository from one metamodel to another changes and breaks."""

    structural: list[tuple[str, str]]  # (change, detail)
    breaks: list[tuple[str, str, str]]  # (kind, item id, problem)

    def to_tables(self) -> list[Table]:
        """The changes, and the data that would become invalid."""
        return [
            Table("changes", ["change", "detail"], [list(c) for c in self.structural]),
            Table(
                "data that would become invalid",
                ["kind", "id", "problem"],
                [list(b) for b in self.breaks],
            ),
        ]

    def to_data(self) -> dict[str, Any]:
        return {
            "changes": [{"change": c, "detail": d} for c, d in self.structural],
            "breaks": [{"kind": k, "id": i, "problem": p} for k, i, p in self.breaks],
        }

    def notes(self) -> list[str]:
        return []


FAILED_STATUSES = ("failed", "refused")


def element_data(element: Element) -> dict[str, Any]:
    """An element as JSON-ready data: id, type, name, status and attributes."""
    return {
        "id": element.id,
        "type": element.type,
        "name": element.name,
        "status": element.status.value,
        "attrs": dict(element.attrs),
    }


def run_changes(stats: Mapping[str, Any] | None) -> str:
    """What a run changed, in a line: ``elements: 3 added, 1 changed; relations: no change``,
    and its problems if it had any."""
    stats = stats or {}
    parts = []
    for kind in ("elements", "relations"):
        counts = stats.get(kind) or {}
        moved = {k: v for k, v in counts.items() if v and k != "unchanged"}
        if counts:
            parts.append(
                f"{kind}: " + (", ".join(f"{v} {k}" for k, v in moved.items()) or "no change")
            )
    followed = stats.get("relations_with_elements") or {}
    if followed:
        parts.append(
            "relations with their elements: " + ", ".join(f"{v} {k}" for k, v in followed.items())
        )
    if stats.get("problems"):
        parts.append(f"{stats['problems']} problem(s), first: {stats.get('first_problem')}")
    return "; ".join(parts)


@dataclass(frozen=True)
class ElementList:
    """Elements found (``ea find``)."""

    elements: list[Element]

    def to_tables(self) -> list[Table]:
        n = len(self.elements)
        return [
            Table(
                f"{n} element{'s' if n != 1 else ''}",
                ["id", "type", "name", "status"],
                [[e.id, e.type, e.name, e.status.value] for e in self.elements],
            )
        ]

    def to_data(self) -> list[dict[str, Any]]:
        return [element_data(e) for e in self.elements]

    def notes(self) -> list[str]:
        return []


@dataclass(frozen=True)
class RunLog:
    """The runs of every source, newest first (``ea history``)."""

    runs: list[Run]

    def to_tables(self) -> list[Table]:
        return [
            Table(
                "runs",
                ["run", "source", "started", "finished", "status", "changes", "message"],
                [
                    [
                        r.id,
                        r.source,
                        r.started_at,
                        r.finished_at,
                        r.status,
                        run_changes(r.stats),
                        r.message,
                    ]
                    for r in self.runs
                ],
            )
        ]

    def to_data(self) -> list[dict[str, Any]]:
        return [
            {
                "id": r.id,
                "source": r.source,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "status": r.status,
                "stats": dict(r.stats),
                "message": r.message,
            }
            for r in self.runs
        ]

    def notes(self) -> list[str]:
        return []


@dataclass(frozen=True)
class ItemHistory:
    """How one element or relation changed, oldest first, each change with the source of
    its run (``ea history ID``)."""

    item_id: str
    changes: list[Change]
    sources: Mapping[int, str]  # run id -> source

    def to_tables(self) -> list[Table]:
        from .sync import changed_fields  # the sync engine only when a change is told

        rows = []
        for c in self.changes:
            detail = ""
            if c.op == "changed":
                detail = "; ".join(
                    f"{k}: {old!r} → {new!r}"
                    for k, (old, new) in changed_fields(c.before, c.after).items()
                )
            rows.append([c.at, c.run_id, self.sources.get(c.run_id, ""), c.op, detail])
        return [
            Table(f"history of {self.item_id}", ["at", "run", "source", "change", "detail"], rows)
        ]

    def to_data(self) -> list[dict[str, Any]]:
        return [
            {
                "at": c.at,
                "run": c.run_id,
                "source": self.sources.get(c.run_id),
                "op": c.op,
                "before": None if c.before is None else dict(c.before),
                "after": None if c.after is None else dict(c.after),
            }
            for c in self.changes
        ]

    def notes(self) -> list[str]:
        return []


@dataclass(frozen=True)
class SourceStatus:
    """How current one source is: its last attempt beside its last success."""

    source: str
    last_run: Run | None  # the last attempt, whatever became of it
    last_success: Run | None
    age_days: float | None  # since the last successful run finished
    elements: int  # elements it asserts now
    relations: int

    @property
    def failed(self) -> bool:
        """Whether the source's last attempt failed or was refused."""
        return self.last_run is not None and self.last_run.status in FAILED_STATUSES

    def stale(self, stale_after_days: float) -> bool:
        """Whether the source has not succeeded within ``stale_after_days`` (or ever)."""
        return self.age_days is None or self.age_days > stale_after_days

    def attempt_text(self) -> str:
        """The last attempt in a line: ``failed #7 at T: 3 problem(s), first: ...``."""
        run = self.last_run
        if run is None:
            return ""
        text = f"{run.status} #{run.id} at {run.finished_at or run.started_at}"
        if run.status not in FAILED_STATUSES:
            return text
        problems = int(run.stats.get("problems") or 0)
        first = run.stats.get("first_problem") or run.message
        if problems:
            return f"{text}: {problems} problem(s), first: {first}"
        return f"{text}: {first}" if first else text

    def to_data(self) -> dict[str, Any]:
        """The source's freshness as JSON-ready data."""
        run = self.last_run
        return {
            "source": self.source,
            "last_success": self.last_success.finished_at if self.last_success else None,
            "changes": {
                k: v
                for k, v in (self.last_success.stats if self.last_success else {}).items()
                if k in ("elements", "relations", "relations_with_elements")
            },
            "age_days": None if self.age_days is None else round(self.age_days, 2),
            "elements": self.elements,
            "relations": self.relations,
            "last_run": None
            if run is None
            else {
                "id": run.id,
                "status": run.status,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "message": run.message,
                "problems": run.stats.get("problems"),
                "first_problem": run.stats.get("first_problem"),
            },
        }


@dataclass(frozen=True)
class StatusReport:
    """Per-source freshness, and elements nobody has confirmed for too long."""

    sources: list[SourceStatus]
    stale_after_days: int
    stale: list[tuple[Element, str | None]]
    stale_total: int

    def alarms(self, fail_on: Iterable[str]) -> list[str]:
        """What a monitor should be told, for the conditions in ``fail_on``: ``failed`` (a
        source's last attempt failed or was refused), ``stale`` (a source has not succeeded
        within ``stale_after``, or elements are stale)."""
        wanted = set(fail_on)
        found = []
        if "failed" in wanted:
            found += [f"{s.source}: last run {s.attempt_text()}" for s in self.sources if s.failed]
        if "stale" in wanted:
            found += [
                f"{s.source}: "
                + (
                    "no successful run"
                    if s.age_days is None
                    else f"last success {s.age_days:.0f} days ago"
                )
                + f" (stale after {self.stale_after_days} days)"
                for s in self.sources
                if s.stale(self.stale_after_days)
            ]
            if self.stale_total:
                found.append(f"{self.stale_total} element(s) stale")
        return found

    def to_tables(self) -> list[Table]:
        """Each source's freshness and last run, and the stale elements listed."""
        return [
            Table(
                "sources",
                ["source", "last success", "age", "elements", "relations", "last run", "changes"],
                [
                    [
                        s.source,
                        s.last_success.finished_at if s.last_success else "never",
                        age_text(s.age_days),
                        s.elements,
                        s.relations,
                        s.attempt_text(),
                        run_changes(s.last_success.stats) if s.last_success else "",
                    ]
                    for s in self.sources
                ],
            ),
            Table(
                f"stale: {self.stale_total} element(s) not confirmed by any source for "
                f"{self.stale_after_days} days",
                ["id", "type", "name", "last confirmed"],
                [[e.id, e.type, e.name, seen or "never"] for e, seen in self.stale],
            ),
        ]

    def to_data(self) -> dict[str, Any]:
        return {
            "sources": [s.to_data() for s in self.sources],
            "stale_after_days": self.stale_after_days,
            "stale_total": self.stale_total,
            "stale": [
                {"id": e.id, "type": e.type, "last_confirmed": seen} for e, seen in self.stale
            ],
        }

    def notes(self) -> list[str]:
        """That the stale elements listed are not all of them, if so."""
        if self.stale_total > len(self.stale):
            return [f"showing {len(self.stale)} of {self.stale_total} stale elements"]
        return []


class Repository:
    """A metamodel and a graph store, with the operations users perform on them."""

    def __init__(
        self, store: GraphStore, metamodel: Metamodel, workspace: Workspace | None = None
    ) -> None:
        self.store = store
        self.metamodel = metamodel
        self.workspace = workspace
        self.day: str | None = None
        """The day readers see the landscape at (:meth:`seen`); None: no date."""
        self.overlay: Overlay | None = None
        """The scenario applied to every read (:meth:`seen`), with its drift."""
        self.seen_as: str | None = None
        """What a drawing says under its title when a day or a scenario was asked for."""

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, workspace: str | Path | None = None) -> Repository:
        """Open the workspace at ``workspace`` (default: found from the cwd or $EA_WORKSPACE)."""
        ws = load_workspace(workspace)
        metamodel = load_metamodel(ws.metamodel_path())
        return cls(open_store(ws, metamodel), metamodel, ws)

    @classmethod
    def init(cls, path: str | Path, metamodel: str | None = None) -> Repository:
        """Create a workspace at ``path`` and open it."""
        if metamodel and metamodel != "builtin":
            load_metamodel(Path(path) / metamodel)  # refuse a broken metamodel before writing
        root = init_workspace(path, metamodel)
        return cls.open(root)

    def seen(
        self,
        at: str | None = None,
        scenario: str | None = None,
        *,
        today: str | None = None,
        chain: Sequence[Scenario] | None = None,
    ) -> Repository:
        """This repository as readers see it on day ``at`` and under ``scenario``: a
        read-only repository over the same store, which every analysis, view and report
        reads unchanged.

        ``at`` (ISO ``YYYY-MM-DD``) defaults to today — or, under a scenario, to the day it
        is complete (the latest ``on`` of its edits, if later than today). The scenario
        is read from the workspace's ``scenarios/`` and applied to the facts as they are
        now; what no longer fits them is in ``overlay.drift``. ``chain``: the scenario and
        those it starts from, already read (``Book.chain``), instead of reading ``scenario``.
        """
        from .scenarios import Book, SeenStore, compile_overlay, scenario_day

        today = today or dt.date.today().isoformat()
        day = at or today
        overlay = None
        if chain is not None:
            scenario = chain[-1].name
        elif scenario is not None:
            if self.workspace is None:
                raise WorkspaceError("scenarios live in a workspace; this repository has none")
            chain = Book(self.workspace.root).chain(scenario)
        if chain is not None:
            day = at or scenario_day(chain, today)
            overlay = compile_overlay(self.store, self.metamodel, chain, day)
        seen = Repository(SeenStore(self.store, day, overlay), self.metamodel, self.workspace)
        seen.day, seen.overlay = day, overlay
        if at is not None or scenario is not None:
            seen.seen_as = f"the landscape as on {day}" + (
                f", under scenario {scenario}" if scenario is not None else ""
            )
        return seen

    def phasing_out(self, ids: Iterable[str]) -> dict[str, str]:
        """Of the elements ``ids``, those in their phase-out on the day this repository is
        seen at (:meth:`seen`), id -> name; none when it is seen on no day."""
        if self.day is None:
            return {}
        from .timeline import phase_at

        return {
            i: e.name
            for i, e in self.store.get_elements(ids, CURRENT).items()
            if phase_at(e.attrs, self.day) == "phase_out"
        }

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Repository:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing by hand -------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the workspace's write lock (waiting up to ``MANUAL_EDIT_WAIT`` seconds), so
        that an edit reads and writes with no sync in between."""
        if self.workspace is None:
            yield
            return
        from .sources import MANUAL_EDIT_WAIT, sync_lock

        checkpoint("manual.locking")
        with sync_lock(self.workspace, wait=MANUAL_EDIT_WAIT):
            yield

    def add(
        self,
        type_name: str,
        *,
        id: str | None = None,
        name: str | None = None,
        attrs: Mapping[str, Any] | None = None,
        update: bool = False,
        source: str = MANUAL_SOURCE,
    ) -> Element:
        """Add an element (or, with ``update``, change an existing one's name and attributes).

        The element is validated against the metamodel; provenance records
        ``source`` and the change log records the addition or change.
        Raises ValidationError, ConflictError (id or unique attribute taken).
        """
        et = resolve_element_type(self.metamodel, type_name)
        if id is None:
            if not name:
                raise ValidationError("give an --id or a --name to make the id from")
            id = slugify(name)
            if not id:
                raise ValidationError(f"cannot make an id from the name {name!r}", hint="pass --id")
        element_id = ElementId(check_id(id))
        with self._writing():
            return self._add(et.name, element_id, name, attrs or {}, update, source)

    def _add(
        self,
        type_name: str,
        element_id: ElementId,
        name: str | None,
        attrs: Mapping[str, Any],
        update: bool,
        source: str,
    ) -> Element:
        existing = self.store.get_elements([element_id], EVERYTHING).get(element_id)
        merged: dict[str, Any] = {}
        if existing is not None:
            if not update:
                raise ConflictError(
                    f"{element_id!r} already exists ({existing.type} {existing.name!r})",
                    hint="pass --update to change it, or choose another --id",
                )
            if existing.type != type_name:
                raise ConflictError(
                    f"{element_id!r} is a {existing.type}, not a {type_name}",
                    hint="an element's type cannot be changed by `add --update`",
                )
            merged.update(existing.attrs)
        elif update:
            raise NotFoundError(
                f"no element {element_id!r} to update", hint="drop --update to add it"
            )
        merged.update(attrs)
        _, normalised, problems = check_element(self.metamodel, type_name, merged)
        raise_if(problems, f"{type_name} {element_id!r}")
        from .sync import unique_clashes  # the sync engine only for writes

        clashes = unique_clashes(self.store, self.metamodel, [(element_id, normalised, None)])
        if clashes:
            raise ConflictError(clashes[0].message, hint=clashes[0].hint)
        display = name or (existing.name if existing else element_id)
        element = Element(element_id, type_name, display, normalised, Status.ACTIVE)
        if existing is not None and existing == element:
            return element
        checkpoint("manual.read")
        self.add_many([element], source=source)
        return element

    def link(
        self,
        src: str,
        relation_type: str,
        dst: str,
        attrs: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        source: str = MANUAL_SOURCE,
    ) -> Relation:
        """Link two existing elements by a relationship type the metamodel allows between them."""
        with self._writing():
            return self._link(src, relation_type, dst, attrs, id, source)

    def _link(
        self,
        src: str,
        relation_type: str,
        dst: str,
        attrs: Mapping[str, Any] | None,
        id: str | None,
        source: str,
    ) -> Relation:
        rt = resolve_relation_type(self.metamodel, relation_type)
        src_el, dst_el = self.element(src), self.element(dst)
        src, dst = src_el.id, dst_el.id
        for end in (src_el, dst_el):
            if end.status is Status.RETIRED:  # the relation would be retired with it
                raise ConflictError(
                    f"{end.name} ({end.id}) is retired",
                    hint=f"revive it first (`ea add {end.type} --id {end.id} --update`), "
                    "or link another element",
                )
        _, normalised, problems = check_relation(
            self.metamodel, rt.name, src_el.type, dst_el.type, attrs or {}
        )
        raise_if(problems, f"{src} {rt.name} {dst}")
        relation = Relation(
            ElementId(src),
            rt.name,
            ElementId(dst),
            normalised,
            id=RelationId(check_id(id)) if id else RelationId(""),
        )
        existing = self.store.get_relations([relation.id], EVERYTHING).get(relation.id)
        if existing == relation:
            return relation
        checkpoint("manual.read")
        self.add_many(relations=[relation], source=source)
        return relation

    def add_many(
        self,
        elements: Iterable[Element] = (),
        relations: Iterable[Relation] = (),
        *,
        source: str = MANUAL_SOURCE,
    ) -> tuple[int, int]:
        """Validate a batch of elements and relations, then write them in one run of ``source``.

        Nothing is written if anything is invalid: the SourceError lists every
        problem. Relations refer to elements by id. Returns the numbers of
        elements and relations written or confirmed.
        """
        records = [Record.element(e.type, e.id, e.name, e.attrs) for e in elements]
        records += [Record.relation(r.type, r.src, r.dst, r.attrs, key=r.id) for r in relations]
        from .sync import SyncEngine  # the sync engine only for writes

        with self._writing():
            result = SyncEngine(self.store, self.metamodel).run(source, records, partial=True)
        return tuple(  # type: ignore[return-value]
            sum(c for k, c in diff.counts().items() if k != "missing")
            for diff in (result.elements, result.relations)
        )

    # -- reading ---------------------------------------------------------------

    def _missing(self, text: str, lens: Lens) -> NotFoundError:
        """The error for ``text`` naming no element ``lens`` shows: retired, or unknown with suggestions."""
        from .selection import elements_called, suggest_elements

        hidden = elements_called(self.store, text, EVERYTHING) if lens != EVERYTHING else []
        base = getattr(self.store, "base", None)  # seen on a day: hidden by its dates?
        if not hidden and base is not None and self.day is not None:
            from .timeline import ATTRIBUTES, NEVER, span

            for element in elements_called(base, text, CURRENT)[:1]:
                since, until = span(element.attrs)
                when = (
                    f"it is a plan with no {ATTRIBUTES['phase_in']} date"
                    if since == NEVER
                    else f"it enters on {since}"
                    if since and since > self.day
                    else f"it left on {until}"
                )
                return NotFoundError(
                    f"{element.name} ({element.id}) is not in the landscape on {self.day}: {when}",
                    hint="--at DATE sees the landscape on another day",
                )
        if len(hidden) == 1:
            retired = hidden[0]
            return NotFoundError(
                f"{retired.name} ({retired.id}) is retired",
                hint=f"`ea show {retired.id}` shows it and its history; analyses see current elements only",
            )
        if hidden:
            return NotFoundError(
                f"the {len(hidden)} elements named {text!r} are retired",
                hint="`ea find --retired` lists them",
            )
        return NotFoundError(
            f"no element {text!r}",
            hint=suggest_elements(self.store, text)
            or "`ea find TEXT` searches ids, names and attributes",
        )

    def element(self, element_id: str, lens: Lens = EVERYTHING) -> Element:
        """The element with this id — or, failing that, this exact name (ignoring case).

        Retired elements included, unless ``lens`` hides them (an analysis
        passes the lens it reads with). CMDB ids are often opaque (``sys_id``),
        so a unique name is accepted where an id is expected; an ambiguous one
        is an error listing the ids. Raises NotFoundError with suggestions, or
        saying the element is retired.
        """
        from .selection import ambiguous_name, elements_called

        called = elements_called(self.store, element_id, lens)
        if len(called) == 1:
            return called[0]
        if called:
            raise ambiguous_name(self.store, element_id, called)
        raise self._missing(element_id, lens)

    def resolve(self, text: str, lens: Lens = CURRENT) -> list[ElementId]:
        """The elements ``text`` designates, as ``lens`` shows them: an id, a unique name, or a selector.

        ``"WMS Reflex"`` (a name with a space) and ``type:Server layer:technology``
        (a selector) both work; a plain word that matches nothing keeps the
        not-found message with its suggestions. Analyses start from what this
        returns, so the default lens is theirs: a retired element is an error
        saying so. Raises NotFoundError or SelectorError; a selector that
        selects nothing is an error too.
        """
        from .selection import ambiguous_name, elements_called, select_ids

        called = elements_called(self.store, text, lens)
        if len(called) == 1:
            return [called[0].id]
        if not any(mark in text for mark in _SELECTOR_MARKS):
            if called:
                raise ambiguous_name(self.store, text, called)
            raise self._missing(text, lens)
        try:
            ids = select_ids(self.store, self.metamodel, text, lens=lens)
        except SelectorError:
            if called:  # not a selector after all: a name with a quote or a comma in it
                raise ambiguous_name(self.store, text, called) from None
            raise
        if not ids:
            raise SelectorError(
                f"selector {text!r} selects nothing", hint="check it with `ea find`"
            )
        return sorted(ids)

    def analyse(
        self, name: str, target: Target = None, *, lens: Lens = CURRENT, **options: Any
    ) -> Any:
        """Run the analysis ``name`` (impact, dependencies, obsolescence, decommission, flows,
        waves, diagnose) from ``target`` under ``lens``; see :func:`ea_repo.analysis.registry.analyse`.

        >>> # repo.analyse("impact", "srv-esx01", max_depth=3).affected
        """
        from .analysis.registry import analyse

        return analyse(self, name, target, lens=lens, **options)

    def describe(self, element_id: str) -> ElementDetail:
        """An element with its layer, provenance and relations (each with the element at the other end)."""
        element = self.element(element_id)
        lens = EVERYTHING if element.status is Status.RETIRED else CURRENT
        relations = self.store.relations_of([element.id], lens)
        others = self.store.get_elements(
            {r.dst if r.src == element.id else r.src for r in relations}, lens
        )
        neighbors = []
        for rel in relations:
            rt = self.metamodel.relation_types.get(rel.type)
            ends = [(Direction.OUT, rel.dst)] if rel.src == element.id else []
            if rel.dst == element.id:
                ends.append((Direction.IN, rel.src))
            for direction, other_id in ends:
                if other_id not in others:
                    continue
                if rt is None:
                    label = rel.type if direction is Direction.OUT else f"{rel.type} (from)"
                else:
                    label = rt.label if direction is Direction.OUT else rt.reverse_label
                neighbors.append(Neighbor(rel, direction, label, others[other_id]))
        neighbors.sort(key=lambda n: (n.label, n.other.name.lower(), n.other.id))
        et = self.metamodel.element_types.get(element.type)
        return ElementDetail(
            element=element,
            layer=et.layer if et else "unknown",
            provenance=self.store.assertions("element", [element.id]),
            neighbors=neighbors,
        )

    def find(
        self,
        *,
        type_name: str | None = None,
        attrs: Mapping[str, Any] | None = None,
        text: str | None = None,
        include_retired: bool = False,
        limit: int | None = None,
    ) -> list[Element]:
        """Elements of a type (subtypes included), with attribute values, containing text."""
        types = None
        if type_name is not None:
            et = resolve_element_type(self.metamodel, type_name)
            types = [t for t in self.metamodel.element_types if self.metamodel.is_a(t, et.name)]
        typed_attrs = {}
        for key, value in (attrs or {}).items():
            specs = {
                t.attributes[key]
                for t in self.metamodel.element_types.values()
                if key in t.attributes and (types is None or t.name in types)
            }
            if not specs:
                raise ValidationError(
                    f"no element type{' ' + type_name if type_name else ''} has an attribute {key!r}",
                    hint="`ea metamodel show TYPE` lists the attributes",
                )
            spec = next(iter(specs))
            try:
                typed_attrs[key] = spec.coerce(value)
            except ValueError as exc:
                raise ValidationError(f"{key}: {exc}") from exc
        return self.store.find_elements(
            types=types,
            attrs=typed_attrs,
            text=text,
            lens=EVERYTHING if include_retired else CURRENT,
            limit=limit,
        )

    def stats(self) -> Stats:
        """Counts by type and layer, retired counts, and each source's last successful run."""
        counts = self.store.counts(CURRENT)
        retired_elements, retired_relations = self.store.retired_counts()
        layers: dict[str, int] = defaultdict(int)
        for type_name, n in counts.elements.items():
            et = self.metamodel.element_types.get(type_name)
            layers[et.layer if et else "unknown"] += n
        last = {
            source: success.finished_at or success.started_at
            for source, (_, success) in self.store.latest_runs().items()
            if success is not None
        }
        return Stats(
            counts=counts,
            retired_elements=retired_elements,
            retired_relations=retired_relations,
            layers=dict(layers),
            sources=last,
            type_layers={n: t.layer for n, t in self.metamodel.element_types.items()},
        )

    def status(self, now: dt.datetime | None = None, limit: int = 50) -> StatusReport:
        """Each source's last runs and counts, and the elements not confirmed for ``stale_after``."""
        now = now or dt.datetime.now(dt.UTC)
        stale_days = self.workspace.stale_after_days if self.workspace else 180
        declared = list(self.workspace.sources) if self.workspace else []
        latest = self.store.latest_runs()
        names = list(dict.fromkeys([*declared, *sorted(latest)]))
        sources = []
        for name in names:
            last_run, success = latest.get(name, (None, None))
            age = None
            if success is not None:
                finished = _parse_time(success.finished_at or success.started_at)
                age = (now - finished).total_seconds() / 86400
            sources.append(
                SourceStatus(
                    source=name,
                    last_run=last_run,
                    last_success=success,
                    age_days=age,
                    elements=self.store.count_asserted(name, "element"),
                    relations=self.store.count_asserted(name, "relation"),
                )
            )
        cutoff = (now - dt.timedelta(days=stale_days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        stale = self.store.stale_elements(cutoff, limit=limit)
        return StatusReport(sources, stale_days, stale, self.store.count_stale(cutoff))

    def history(self, item_id: str | None = None, limit: int | None = None) -> list[Change]:
        """The change log of one element or relation (by id, or an element by name), oldest first."""
        if item_id is not None and not self.store.changes(item_id=item_id, limit=1):
            item_id = self.element(item_id).id  # a name, or an element without history
        return self.store.changes(item_id=item_id, limit=limit)

    def run_log(self, limit: int | None = None) -> RunLog:
        """The runs of every source, newest first, at most ``limit``."""
        return RunLog(self.store.runs(limit=limit))

    def item_history(self, item_id: str, limit: int | None = None) -> ItemHistory:
        """How one element or relation changed (:meth:`history`), its last ``limit`` changes,
        each with the source of its run."""
        changes = self.history(item_id)
        sources = {r.id: r.source for r in self.store.runs()}
        return ItemHistory(item_id, changes[-limit:] if limit else changes, sources)

    def metamodel_diff(self, old: Metamodel, new: Metamodel) -> MetamodelDiff:
        """Compare two metamodels, and list every item of this repository that ``new`` would reject."""
        structural: list[tuple[str, str]] = []
        for name in sorted(set(old.element_types) - set(new.element_types)):
            structural.append(("element type removed", name))
        for name in sorted(set(new.element_types) - set(old.element_types)):
            structural.append(("element type added", name))
        for name in sorted(set(old.relation_types) - set(new.relation_types)):
            structural.append(("relationship type removed", name))
        for name in sorted(set(new.relation_types) - set(old.relation_types)):
            structural.append(("relationship type added", name))
        for name in sorted(set(old.element_types) & set(new.element_types)):
            before, after = old.element_types[name].attributes, new.element_types[name].attributes
            for attr in sorted(set(before) - set(after)):
                structural.append(("attribute removed", f"{name}.{attr}"))
            for attr in sorted(set(after) - set(before)):
                structural.append(("attribute added", f"{name}.{attr}"))
            for attr in sorted(set(before) & set(after)):
                if before[attr] != after[attr]:
                    structural.append(("attribute changed", f"{name}.{attr}"))
            if old.element_types[name].layer != new.element_types[name].layer:
                structural.append(
                    (
                        "layer changed",
                        f"{name}: {old.element_types[name].layer} → {new.element_types[name].layer}",
                    )
                )
        for name in sorted(set(old.relation_types) & set(new.relation_types)):
            a, b = old.relation_types[name], new.relation_types[name]
            if a.dependent != b.dependent:
                structural.append(
                    ("dependency direction changed", f"{name}: {a.dependent} → {b.dependent}")
                )
            if (a.sources, a.targets) != (b.sources, b.targets):
                structural.append(("allowed ends changed", name))

        breaks: list[tuple[str, str, str]] = []
        types: dict[str, str] = {}
        for element in self.store.iter_elements(EVERYTHING):
            types[element.id] = element.type
            _, _, problems = check_element(new, element.type, element.attrs)
            breaks.extend(("element", element.id, p) for p in problems)
        for relation in self.store.iter_relations(EVERYTHING):
            _, _, problems = check_relation(
                new, relation.type, types[relation.src], types[relation.dst], relation.attrs
            )
            breaks.extend(("relation", relation.id, p) for p in problems)
        return MetamodelDiff(structural, breaks)


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def open_store(workspace: Workspace, metamodel: Metamodel) -> GraphStore:
    """The store a workspace is configured for (Neo4j: labels and types from ``metamodel``,
    the workspace's own, loaded by the caller).

    The Neo4j password is read from ``EA_NEO4J_PASSWORD`` here and handed to
    the driver; it is never kept in the configuration.
    """
    if workspace.store.backend == "sqlite":
        return SQLiteStore(workspace.sqlite_path())
    if workspace.store.backend == "neo4j":
        cfg = workspace.store
        if not cfg.uri:
            raise WorkspaceError(
                f"{workspace.config_path}: the neo4j backend needs a server URI",
                hint="set store.uri in ea.yaml or EA_NEO4J_URI (bolt://, neo4j:// or neo4j+s://)",
            )
        from .store.neo4j import Neo4jStore

        return Neo4jStore(
            cfg.uri,
            cfg.user or "neo4j",
            os.environ.get("EA_NEO4J_PASSWORD"),
            database=cfg.database,
            repository=cfg.repository,
            metamodel=metamodel,
        )
    raise WorkspaceError(
        f"the {workspace.store.backend} backend is not available",
        hint="use `backend: sqlite` or `backend: neo4j` in ea.yaml",
    )
