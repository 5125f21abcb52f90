"""The data every layer exchanges: elements, relations, records, runs.

These are frozen dataclasses, and named tuples where an import makes one per row;
the metamodel says which types and attributes are valid, the store persists
them, the analyses read them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple, NewType

from .errors import Problem, line_text, location
from .timeline import seen_day

ElementId = NewType("ElementId", str)
RelationId = NewType("RelationId", str)


class Status(StrEnum):
    """Whether an item takes part in analyses.

    ``retired`` items are kept (with their history) but hidden from analyses;
    a sync retires what its source no longer asserts, and revives it when it
    comes back.
    """

    ACTIVE = "active"
    RETIRED = "retired"


class Direction(StrEnum):
    """Which way a relation is followed from a given element."""

    OUT = "out"  # from the relation's source to its target
    IN = "in"  # from the relation's target to its source


@dataclass(frozen=True, slots=True)
class Element:
    """A component of the information system: an application, a server, a process..."""

    id: ElementId
    type: str
    name: str
    attrs: Mapping[str, Any] = field(default_factory=dict)
    status: Status = Status.ACTIVE


def relation_id(src: str, type_: str, dst: str) -> RelationId:
    """The id of a relation when its source gives it none: one per (src, type, dst)."""
    return RelationId(f"{src}|{type_}|{dst}")


@dataclass(frozen=True, slots=True)
class Relation:
    """A typed, directed link between two elements.

    Most relations are identified by their ends and type; a source may give
    its own id when two elements can be linked several times by the same
    type (two interfaces between the same applications).
    """

    src: ElementId
    type: str
    dst: ElementId
    attrs: Mapping[str, Any] = field(default_factory=dict)
    status: Status = Status.ACTIVE
    id: RelationId = RelationId("")

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", relation_id(self.src, self.type, self.dst))


@dataclass(frozen=True, slots=True)
class Step:
    """One way to expand from an element: a relation type and the direction to follow it."""

    relation_type: str
    direction: Direction


@dataclass(frozen=True, slots=True)
class Hop:
    """One expansion result: from ``origin`` along ``relation`` to ``target``."""

    origin: ElementId
    relation: Relation
    target: ElementId
    direction: Direction


@dataclass(frozen=True)
class Lens:
    """How a reader sees the graph.

    Every read of the store goes through a lens rather than hard-coding
    "active items only": which statuses count, and ``at``, a day (ISO
    ``YYYY-MM-DD``) when the landscape is seen *as at* that day — an item is
    then shown only when its lifecycle dates put it in the landscape that day
    (:mod:`ea_repo.timeline`). None: no date, every item of those statuses.
    A scenario is not part of the lens: it is an overlay on the store
    (:mod:`ea_repo.scenarios`), read through the same lens.
    """

    statuses: frozenset[Status] = frozenset({Status.ACTIVE})
    at: str | None = None

    def __post_init__(self) -> None:
        if self.at is not None:
            object.__setattr__(self, "at", seen_day(self.at))

    def on(self, day: str | None) -> Lens:
        """This lens seeing the landscape as at ``day`` (None: no date)."""
        return Lens(self.statuses, day)

    @classmethod
    def everything(cls) -> Lens:
        """A lens that shows retired items too."""
        return cls(statuses=frozenset(Status))


CURRENT = Lens()
"""The lens of analyses today: active items only."""

EVERYTHING = Lens.everything()
"""The lens of inspection commands (``ea show``): retired items too."""


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string to the second, as stored everywhere."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Origin(NamedTuple):
    """Where a record came from, for error messages: a file and a row or line.

    Records, references and origins are named tuples: an import makes one of each
    per row (hundreds of thousands), and a tuple is made several times faster than
    a frozen dataclass.
    """

    file: str
    row: int | None = None  # the line where the row starts (JSON: the item's index)
    record: int | None = None  # the row's record number, where it differs from the line

    def __str__(self) -> str:
        return location(self.file, self.row, self.record)

    def line(self) -> str:
        """The row's line in its file, with its record number where the two differ."""
        return line_text(self.row, self.record)


def problem_at(
    origin: Origin | None, message: str, hint: str | None = None, column: str | None = None
) -> Problem:
    """A problem located at ``origin`` (a file and row), or nowhere in particular."""
    if origin is None:
        return Problem(message, hint=hint, column=column)
    return Problem(message, origin.file, origin.row, hint, origin.record, column)


class Ref(NamedTuple):
    """How a record points at an element: by its id (key), or by its display name.

    CMDB list exports name the ends of a relationship by display value, so a
    reference by name is resolved by the sync engine among the elements of the
    same run and those already in the repository; ``type`` narrows the search
    (e.g. only applications) and an unknown or ambiguous name is an error.
    """

    value: str
    by: str = "id"  # "id" or "name"
    type: str | None = None


class Record(NamedTuple):
    """What an importer yields: one element or relation as a source asserts it.

    Elements: ``type``, ``key`` (becomes the element id), ``name``, ``attrs``.
    Relations: ``type``, ``src`` and ``dst`` references, ``attrs``, and an
    optional ``key`` when the source identifies the relation itself.
    """

    kind: str  # "element" or "relation"
    type: str
    key: str | None = None
    attrs: Mapping[str, Any] = MappingProxyType({})  # records are not changed once made
    name: str | None = None
    src: Ref | None = None
    dst: Ref | None = None
    origin: Origin | None = None

    @classmethod
    def element(
        cls,
        type: str,
        key: str,
        name: str | None = None,
        attrs: Mapping[str, Any] | None = None,
        origin: Origin | None = None,
    ) -> Record:
        """An element record."""
        return cls("element", type, key, dict(attrs or {}), name, origin=origin)

    @classmethod
    def relation(
        cls,
        type: str,
        src: Ref | str,
        dst: Ref | str,
        attrs: Mapping[str, Any] | None = None,
        key: str | None = None,
        origin: Origin | None = None,
    ) -> Record:
        """A relation record; plain strings are references by id."""
        return cls(
            "relation",
            type,
            key,
            dict(attrs or {}),
            src=src if isinstance(src, Ref) else Ref(src),
            dst=dst if isinstance(dst, Ref) else Ref(dst),
            origin=origin,
        )


@dataclass(frozen=True)
class Run:
    """One application of one source to the repository."""

    id: int
    source: str
    started_at: str
    finished_at: str | None
    status: str  # running | succeeded | failed | refused
    stats: Mapping[str, Any] = field(default_factory=dict)
    message: str | None = None


@dataclass(frozen=True)
class Assertion:
    """Provenance: ``source`` asserted the item, first and last in the given runs."""

    kind: str  # "element" or "relation"
    item_id: str
    source: str
    first_run: int
    last_run: int
    first_seen: str
    last_seen: str


class Change(NamedTuple):
    """One entry of the change log.

    A named tuple rather than a dataclass: a first import logs one per item
    (hundreds of thousands), and a tuple is made several times faster.
    """

    run_id: int
    kind: str
    item_id: str
    op: str  # added | changed | retired | revived | deleted
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    at: str
