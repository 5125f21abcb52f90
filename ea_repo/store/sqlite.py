"""The embedded backend: one SQLite file, no server.

WAL mode lets analyses read while a sync writes. Attributes are kept as JSON
text. Sets of ids are passed as one JSON parameter and expanded with
``json_each``, so queries never hit SQLite's bound-variable limit and never
build SQL from data.

What a lens shows is decided in one place, :class:`_Visible` (one per lens, from
:func:`_visible`); no query spells a filter of its own:

* ``rows(alias)``: the condition an element or relation row meets when the lens
  shows it, as SQL text over the table alias with its bound parameters (``_Sql``);
  every read adds it to its ``WHERE``;
* ``relations(alias, hidden_elements)``: a relation shown with both its ends. The
  ends (the elements' integer keys, migration 9) are checked against the keys of the
  hidden elements when these are few (the store passes their ids,
  ``SQLiteStore._shown_relations``), else each end is looked up by its key;
* ``few_hidden``, ``hidden_among(rows)`` and ``KEPT``: the fast path. When every row
  a lens hides is one of the few that are not active (``KEPT``), which the store keeps
  in memory (``SQLiteStore._inactive_rows``, read through a partial index and refreshed
  when the database changes), the hidden ids come from there without a query. A
  traversal step (``neighbors``) reads its hops from the relation indexes alone (and
  each far end's id by its key) and drops those the lens hides in Python.

A date (the landscape *as at* a day, ``Lens.at``) goes there too. Each row keeps
its lifecycle span (:func:`ea_repo.timeline.span`) in two derived columns, ``since``
and ``until``, set by every upsert; ``rows`` adds ``since <= day`` and ``until > day``
(either may be empty), and the rows a date hides are read through partial indexes on
the two columns (``SQLiteStore._dated_hidden``): a seek past the day on each, which
reads only the rows hidden. With a date, the fast path's hidden ids are the inactive
rows the lens hides plus those; when they are many (:data:`FEW_HIDDEN`), the ends of
a relation are looked up row by row instead. A scenario overlay is applied above the
store, read through the same lens.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain, groupby, islice
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

from ..errors import ConflictError, StoreError, StoreLockedError
from ..metamodel.schema import IDENTIFIER
from ..model import (
    CURRENT,
    Assertion,
    Change,
    Direction,
    Element,
    ElementId,
    Hop,
    Lens,
    Relation,
    Run,
    Status,
    Step,
    utc_now,
)
from ..timeline import span
from .base import Counts, Expansion, batches, check_kind, latest_by_source
from .rows import hop, relation

BATCH = 5000
# The page cache, in KiB: pages are allocated as they are used, so a small repository
# never takes it. Measured on the 100 000-element import: with 64 MiB the random index
# inserts of a first import spill dirty pages to the WAL again and again (write stage
# 33 s); with 384 MiB, 25 s on the same loaded machine.
CACHE_KIB = 384 * 1024

# Page size of a new repository file. Measured on the 100 000-element first import:
# with 16 KiB pages instead of SQLite's 4 KiB, the commit (the write-ahead log written,
# then checkpointed into the file) takes a third of the time, and inserts a fifth less.
PAGE_SIZE = 16_384

# From this many rows, a load into an empty table builds its indexes afterwards.
BULK_ROWS = 10_000

# Up to this many hidden elements, a relation's ends are checked against their ids (one
# JSON list per statement); beyond, each end is looked up (a date far in the past hides
# nearly everything).
FEW_HIDDEN = 20_000

# How many answers :meth:`SQLiteStore._cached` keeps (one per table and status, and per
# table and day asked about).
_CACHED_ANSWERS = 64

# How many element ids :meth:`SQLiteStore._element_ids` keeps at most (about 100 bytes each).
_ELEMENT_IDS_KEPT = 500_000

_T = TypeVar("_T")

# Characters JSON writes escaped (the attributes are encoded with ensure_ascii off).
_ESCAPED_IN_JSON = re.compile(r'["\\\x00-\x1f]')

# Forward migrations: index i brings the schema from version i to i + 1.
_SQL_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE element (
        id         TEXT PRIMARY KEY,
        type       TEXT NOT NULL,
        name       TEXT NOT NULL,
        attrs      TEXT NOT NULL DEFAULT '{}',
        status     TEXT NOT NULL DEFAULT 'active',
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX element_type ON element(type);

    CREATE TABLE relation (
        id         TEXT PRIMARY KEY,
        src        TEXT NOT NULL REFERENCES element(id) ON DELETE CASCADE,
        type       TEXT NOT NULL,
        dst        TEXT NOT NULL REFERENCES element(id) ON DELETE CASCADE,
        attrs      TEXT NOT NULL DEFAULT '{}',
        status     TEXT NOT NULL DEFAULT 'active',
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX relation_src ON relation(src, type);
    CREATE INDEX relation_dst ON relation(dst, type);

    CREATE TABLE run (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        source      TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        status      TEXT NOT NULL,
        stats       TEXT NOT NULL DEFAULT '{}',
        message     TEXT
    );
    CREATE INDEX run_source ON run(source, id);

    CREATE TABLE assertion (
        source     TEXT NOT NULL,
        kind       TEXT NOT NULL,
        item_id    TEXT NOT NULL,
        first_run  INTEGER NOT NULL,
        last_run   INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen  TEXT NOT NULL,
        PRIMARY KEY (source, kind, item_id)
    ) WITHOUT ROWID;
    CREATE INDEX assertion_item ON assertion(kind, item_id);

    CREATE TABLE change (
        seq     INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id  INTEGER NOT NULL,
        kind    TEXT NOT NULL,
        item_id TEXT NOT NULL,
        op      TEXT NOT NULL,
        before  TEXT,
        after   TEXT,
        at      TEXT NOT NULL
    );
    CREATE INDEX change_item ON change(item_id);
    CREATE INDEX change_run ON change(run_id);
    """,
    # 2: what each source asserted (name and attributes), so that a sync can
    # drop the attributes its source stopped giving without touching the
    # ones other sources give; exact-name lookups for references by name.
    """
    ALTER TABLE assertion ADD COLUMN asserted TEXT;
    CREATE INDEX element_name ON element(name COLLATE NOCASE);
    """,
    # 3: a digest of every record a source's last run asserted, so that a re-sync
    # recognises unchanged records without validating and comparing them again.
    """
    CREATE TABLE record_digest (
        source  TEXT NOT NULL,
        digest  TEXT NOT NULL,
        kind    TEXT NOT NULL,
        item_id TEXT NOT NULL,
        PRIMARY KEY (source, digest)
    ) WITHOUT ROWID;
    """,
    # 4: the record digest moves into the assertion it belongs to (one row written
    # per item instead of two, measured: a tenth of a first import), and the few
    # retired rows get partial indexes, so a re-sync finds them without a scan.
    """
    ALTER TABLE assertion ADD COLUMN digest TEXT;
    UPDATE assertion SET digest = (
        SELECT d.digest FROM record_digest d
        WHERE d.source = assertion.source AND d.kind = assertion.kind AND d.item_id = assertion.item_id
    );
    DROP TABLE record_digest;
    CREATE INDEX element_inactive ON element(status) WHERE status <> 'active';
    CREATE INDEX relation_inactive ON relation(status) WHERE status <> 'active';
    """,
    # 5: the relation indexes carry the far end, so that a traversal reads its hops
    # from the index alone (measured: half of a hub closure's time was table lookups).
    """
    DROP INDEX relation_src;
    DROP INDEX relation_dst;
    CREATE INDEX relation_src ON relation(src, type, dst);
    CREATE INDEX relation_dst ON relation(dst, type, src);
    """,
)


def _fold_names(db: sqlite3.Connection) -> None:
    """Migration 6: names compared ignoring case through Python's casefold (SQLite's NOCASE
    folds ASCII letters only: "éditique" did not find "Éditique")."""
    db.execute("ALTER TABLE element ADD COLUMN name_cf TEXT NOT NULL DEFAULT ''")
    db.executemany(
        "UPDATE element SET name_cf = ? WHERE id = ?",
        [(name.casefold(), i) for i, name in db.execute("SELECT id, name FROM element")],
    )
    db.execute("DROP INDEX element_name")
    db.execute("CREATE INDEX element_name ON element(name_cf)")


# 7: two indexes that cost a first import more than they gave. Provenance of an item is
# looked up through the primary key, once per source (a handful), instead of through an
# index repeating every (kind, item, source) key; nothing reads the change log by run.
# Measured: a fifth of the provenance and change-log bytes a 100 000-element first import wrote.
_DROP_ITEM_INDEXES = """
    DROP INDEX assertion_item;
    DROP INDEX change_run;
"""


def _add_spans(db: sqlite3.Connection) -> None:
    """Migration 8: each element and relation keeps its lifecycle span (``since``, ``until``:
    :func:`ea_repo.timeline.span` of its attributes), so that a lens with a date is a
    comparison; partial indexes on the few rows with a bound read those a day hides."""
    for table in ("element", "relation"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN since TEXT")
        db.execute(f"ALTER TABLE {table} ADD COLUMN until TEXT")
        dated = (
            (*span(_loads_attrs(attrs)), i)
            for i, attrs in db.execute(
                f"SELECT id, attrs FROM {table} WHERE attrs LIKE '%\"lifecycle\\_%' ESCAPE '\\'"
            )
        )
        db.executemany(
            f"UPDATE {table} SET since = ?, until = ? WHERE id = ?",
            [row for row in dated if row[0] is not None or row[1] is not None],
        )
        db.execute(f"CREATE INDEX {table}_since ON {table}(since) WHERE since IS NOT NULL")
        db.execute(f"CREATE INDEX {table}_until ON {table}(until) WHERE until IS NOT NULL")


# A time provenance or the change log keeps (``{0}``), or when it is empty the start of
# its run (``{1}``, the run's id): see migration 9.
_AT_RUN = "coalesce({0}, (SELECT started_at FROM run WHERE run.id = {1}))"

# A stored time (``utc_now()`` text) as seconds since the epoch; 0 for text that is no time.
_EPOCH = "COALESCE(CAST(strftime('%s', {}) AS INTEGER), 0)"


def _pack_digest(digest: str | None) -> bytes | str | None:
    """A record digest as stored: its bytes when it is lowercase hexadecimal (as the sync
    makes them: half the bytes), else the text as given."""
    if digest is None or digest != digest.lower():
        return digest
    try:
        return bytes.fromhex(digest)
    except ValueError:
        return digest


def _unpack_digest(stored: bytes | str) -> str:
    return stored.hex() if isinstance(stored, bytes) else stored


def _compact(db: sqlite3.Connection) -> None:
    """Migration 9: the same content in about half the bytes (measured on the 100 000-element
    import, see benchmarks/README.md).

    * ``updated_at`` (20 characters of text) becomes ``updated``, seconds since the epoch;
    * an element gets an integer ``key`` (its rowid), its id kept once (unique);
    * a relation is a rowid row whose ends ``src`` and ``dst`` are the elements' keys and
      whose ``id`` is kept only when it is not the derived ``src|type|dst``
      (:func:`ea_repo.model.relation_id`): the traversal indexes hold integers instead of
      32- to 75-byte texts, and carry the stored ``id`` last (empty for most) so that a
      hop reads the relation from the index alone;
    * provenance keeps ``first_seen`` / ``last_seen`` only when they differ from the start
      of their run (a sync stamps the run's start: the run row holds it), the record
      digest as bytes, and what the source asserted as the key of its JSON text in table
      ``asserted`` (the same few texts, one per type and set of attributes, were repeated
      in every row);
    * the change log is keyed by (item, seq), without a rowid and an index repeating the
      item's id, and keeps ``at`` only when it differs from the start of its run.

    Tables are rebuilt (SQLite cannot change a column's type): the caller turns
    foreign keys off around the migration, which is checked before it commits.
    """
    run_start = "(SELECT started_at FROM run WHERE run.id = {})"
    db.execute("CREATE TABLE asserted (key INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE)")
    db.execute(
        "INSERT INTO asserted(value) SELECT DISTINCT asserted FROM assertion "
        "WHERE asserted IS NOT NULL ORDER BY asserted"
    )
    db.execute(
        """CREATE TABLE element_v9 (
            key     INTEGER PRIMARY KEY,
            id      TEXT NOT NULL UNIQUE,
            type    TEXT NOT NULL,
            name    TEXT NOT NULL,
            attrs   TEXT NOT NULL DEFAULT '{}',
            status  TEXT NOT NULL DEFAULT 'active',
            updated INTEGER NOT NULL,
            name_cf TEXT NOT NULL DEFAULT '',
            since   TEXT,
            until   TEXT
        )"""
    )
    db.execute(
        "INSERT INTO element_v9(id, type, name, attrs, status, updated, name_cf, since, until) "
        f"SELECT id, type, name, attrs, status, {_EPOCH.format('updated_at')}, name_cf, since, "
        "until FROM element ORDER BY id"
    )
    db.execute(
        """CREATE TABLE relation_v9 (
            key     INTEGER PRIMARY KEY,
            src     INTEGER NOT NULL REFERENCES element(key) ON DELETE CASCADE,
            type    TEXT NOT NULL,
            dst     INTEGER NOT NULL REFERENCES element(key) ON DELETE CASCADE,
            id      TEXT,
            attrs   TEXT NOT NULL DEFAULT '{}',
            status  TEXT NOT NULL DEFAULT 'active',
            updated INTEGER NOT NULL,
            since   TEXT,
            until   TEXT
        )"""
    )
    # A relation whose end is missing has no key to take: NOT NULL refuses it.
    db.execute(
        "INSERT INTO relation_v9(src, type, dst, id, attrs, status, updated, since, until) "
        "SELECT s.key, r.type, d.key, NULLIF(r.id, r.src || '|' || r.type || '|' || r.dst), "
        f"r.attrs, r.status, {_EPOCH.format('r.updated_at')}, r.since, r.until FROM relation r "
        "LEFT JOIN element_v9 s ON s.id = r.src LEFT JOIN element_v9 d ON d.id = r.dst ORDER BY r.id"
    )
    db.execute(
        """CREATE TABLE assertion_v9 (
            source     TEXT NOT NULL,
            kind       TEXT NOT NULL,
            item_id    TEXT NOT NULL,
            first_run  INTEGER NOT NULL,
            last_run   INTEGER NOT NULL,
            first_seen TEXT,
            last_seen  TEXT,
            asserted   INTEGER,
            digest     BLOB,
            PRIMARY KEY (source, kind, item_id)
        ) WITHOUT ROWID"""
    )
    db.execute(
        "INSERT INTO assertion_v9 SELECT source, kind, item_id, first_run, last_run, "
        f"NULLIF(first_seen, {run_start.format('first_run')}), "
        f"NULLIF(last_seen, {run_start.format('last_run')}), "
        "(SELECT key FROM asserted WHERE value = assertion.asserted), digest FROM assertion"
    )
    db.executemany(
        "UPDATE assertion_v9 SET digest = ? WHERE source = ? AND kind = ? AND item_id = ?",
        [
            (_pack_digest(digest), *key)
            for *key, digest in db.execute(
                "SELECT source, kind, item_id, digest FROM assertion_v9 WHERE digest IS NOT NULL"
            ).fetchall()
        ],
    )
    db.execute(
        """CREATE TABLE change_v9 (
            item_id TEXT NOT NULL,
            seq     INTEGER NOT NULL,
            run_id  INTEGER NOT NULL,
            kind    TEXT NOT NULL,
            op      TEXT NOT NULL,
            before  TEXT,
            after   TEXT,
            at      TEXT,
            PRIMARY KEY (item_id, seq)
        ) WITHOUT ROWID"""
    )
    db.execute(
        "INSERT INTO change_v9 SELECT item_id, seq, run_id, kind, op, before, after, "
        f"NULLIF(at, {run_start.format('run_id')}) FROM change"
    )
    # The last seq given, which a rowid table kept in sqlite_sequence (AUTOINCREMENT).
    db.execute("CREATE TABLE change_seq (seq INTEGER NOT NULL)")
    db.execute(
        "INSERT INTO change_seq SELECT MAX(COALESCE(MAX(seq), 0), COALESCE((SELECT seq FROM "
        "sqlite_sequence WHERE name = 'change'), 0)) FROM change"
    )
    for table in ("change", "assertion", "relation", "element"):
        db.execute(f"DROP TABLE {table}")
    for table in ("element", "relation", "assertion", "change"):
        db.execute(f"ALTER TABLE {table}_v9 RENAME TO {table}")
    for statement in _INDEXES_9:
        db.execute(statement)
    problems = db.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise StoreError(f"the repository has relations whose ends are missing: {problems[:5]}")


# The indexes of migration 9's tables (those of migrations 2 to 8, the relation
# indexes now carrying the stored id, and the relation id unique where it is kept).
_INDEXES_9 = (
    "CREATE INDEX element_type ON element(type)",
    "CREATE INDEX element_name ON element(name_cf)",
    # The few elements not active or dated: their indexes carry the id.
    "CREATE INDEX element_inactive ON element(status, id) WHERE status <> 'active'",
    "CREATE INDEX element_since ON element(since, id) WHERE since IS NOT NULL",
    "CREATE INDEX element_until ON element(until, id) WHERE until IS NOT NULL",
    "CREATE INDEX relation_src ON relation(src, type, dst, id)",
    "CREATE INDEX relation_dst ON relation(dst, type, src, id)",
    "CREATE UNIQUE INDEX relation_id ON relation(id) WHERE id IS NOT NULL",
    # The few relations not active or dated: their indexes carry what makes their id
    # (the ends' ids are then read by key).
    "CREATE INDEX relation_inactive ON relation(status, src, type, dst, id) "
    "WHERE status <> 'active'",
    "CREATE INDEX relation_since ON relation(since, src, type, dst, id) WHERE since IS NOT NULL",
    "CREATE INDEX relation_until ON relation(until, src, type, dst, id) WHERE until IS NOT NULL",
)


MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    *_SQL_MIGRATIONS,
    _fold_names,
    _DROP_ITEM_INDEXES,
    _add_spans,
    _compact,
)

SCHEMA_VERSION = len(MIGRATIONS)


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_DECODE = json.JSONDecoder().decode
_STATUS = {s.value: s for s in Status}


def _dumps(value: Any) -> str:
    # Most relations carry no attributes: skip the encoder for them (measured: a third of load time).
    return _ENCODE(value) if value else ("{}" if isinstance(value, dict) else _ENCODE(value))


# Status → its stored text, without the enum's `value` property (a Python call per row).
_TEXT = {s: s.value for s in Status}


def _attrs_text(attrs: Mapping[str, Any]) -> str:
    return _ENCODE(attrs if type(attrs) is dict else dict(attrs)) if attrs else "{}"


def _loads_attrs(text: str) -> dict[str, Any]:
    return {} if text == "{}" else _DECODE(text)


class _DeferredAttrs(Mapping[str, Any]):
    """Attributes decoded on first use (subclasses say where they come from).

    A traversal reads tens of thousands of relations and looks at the
    attributes of few of them; decoding them all was a fifth of its time.
    """

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        raise NotImplementedError

    def _decoded(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._load()
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def __repr__(self) -> str:
        return repr(self._decoded())


class _LazyAttrs(_DeferredAttrs):
    """Attributes kept as the JSON text of their row until used."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def _load(self) -> dict[str, Any]:
        return _loads_attrs(self._text)


class _StoredAttrs(_DeferredAttrs):
    """A relation's attributes, read from the database on first use: traversals read
    relations from the indexes alone, without their attributes."""

    __slots__ = ("_key", "_store")

    def __init__(self, store: SQLiteStore, relation_key: int) -> None:
        self._data = None  # as _DeferredAttrs.__init__ does: one made per hop, no call spared
        self._store = store
        self._key = relation_key

    def _load(self) -> dict[str, Any]:
        return self._store._relation_attrs(self._key)


def _ids(ids: Iterable[str]) -> str:
    return _dumps(list(dict.fromkeys(ids)))


def _element(row: sqlite3.Row | tuple[Any, ...]) -> Element:
    return Element(ElementId(row[0]), row[1], row[2], _loads_attrs(row[3]), _STATUS[row[4]])


def _relation(row: sqlite3.Row | tuple[Any, ...]) -> Relation:
    # Full reads build hundreds of thousands of these: rows carry their id, so the
    # dataclass __init__ (and its default-id __post_init__) is bypassed; the
    # object is the same frozen Relation.
    return relation(
        row[1],
        row[2],
        row[3],
        {} if row[4] == "{}" else _LazyAttrs(row[4]),
        _STATUS[row[5]],
        row[0],
    )


def _bare_addition(change: Change) -> tuple[int, str, str] | None:
    """The run, kind and time of an addition logged without snapshots, else None."""
    if change.op == "added" and change.before is None and change.after is None:
        return (change.run_id, change.kind, change.at)
    return None


def _run(row: tuple[Any, ...]) -> Run:
    return Run(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6])


_IN_JSON = "IN (SELECT value FROM json_each(?))"

# An item's id as SQL over a table alias: a relation keeps its id only when it is not
# the derived ``src|type|dst`` (migration 9).
_ID = {
    "element": "{0}.id",
    "relation": "coalesce({0}.id, (SELECT id FROM element WHERE key = {0}.src) || '|' || "
    "{0}.type || '|' || (SELECT id FROM element WHERE key = {0}.dst))",
}
# A relation as it is read: its ends' ids from the elements their keys name.
_REL_COLUMNS = "coalesce(r.id, rs.id || '|' || r.type || '|' || rd.id), rs.id, r.type, rd.id, r.attrs, r.status"
_REL_FROM = "relation r JOIN element rs ON rs.key = r.src JOIN element rd ON rd.key = r.dst"
# The keys of the elements whose ids are in a JSON list (the parameter).
_KEYS_JSON = f"(SELECT key FROM element WHERE id {_IN_JSON})"


def _derived_parts(item_id: str) -> Iterator[list[str]]:
    """Each way of reading ``item_id`` as a derived relation id ``src|type|dst`` (a type
    holds no ``|``; an element id may)."""
    start = item_id.find("|")
    while start != -1:
        end = item_id.find("|", start + 1)
        if end == -1:
            return
        if end > start + 1:
            yield [item_id[:start], item_id[start + 1 : end], item_id[end + 1 :]]
        start = end


class _Sql(NamedTuple):
    """A piece of SQL and its parameters, in the order of its placeholders."""

    text: str
    params: tuple[Any, ...]


class _Visible:
    """Which element and relation rows a lens shows: the one place this store reads a
    :class:`~ea_repo.model.Lens` (see the module docstring). Made by :func:`_visible`.

    >>> shown = _visible(CURRENT).rows("e")
    >>> shown.text, shown.params
    ('e.status IN (SELECT value FROM json_each(?))', ('["active"]',))
    """

    __slots__ = ("_statuses", "_statuses_json", "at", "few_hidden", "key")

    KEPT = "status <> 'active'"
    """The rows the store keeps in memory for the fast path (:meth:`SQLiteStore._inactive_rows`):
    all a lens with :attr:`few_hidden` may hide. The partial indexes of migration 4 have the
    same condition, so that these rows are read from them alone."""

    def __init__(self, lens: Lens) -> None:
        self._statuses = lens.statuses
        self._statuses_json = _dumps(sorted(s.value for s in lens.statuses))
        self.at = lens.at
        """The day the lens sees the landscape as at, or None."""
        self.key = f"{self._statuses_json} {lens.at}"
        """What the lens is, as text: a key of the answers the store keeps for it."""
        self.few_hidden = Status.ACTIVE in lens.statuses
        """Whether every row it hides is one of the few that are not active, which the store
        keeps in memory (:meth:`SQLiteStore._inactive_rows`), or one its date hides, read
        through their partial indexes (:meth:`SQLiteStore._dated_hidden`): the ids it hides
        are then read from there (a traversal's fast path)."""

    def rows(self, alias: str) -> _Sql:
        """The condition an element or relation row (``alias``, a constant) meets when shown."""
        status = f"{alias}.status {_IN_JSON}"
        if self.at is None:
            return _Sql(status, (self._statuses_json,))
        return _Sql(
            f"{status} AND ({alias}.since IS NULL OR {alias}.since <= ?) "
            f"AND ({alias}.until IS NULL OR {alias}.until > ?)",
            (self._statuses_json, self.at, self.at),
        )

    def relations(self, alias: str, hidden_elements: Collection[str] | None) -> _Sql:
        """The condition a relation row meets when shown with both its ends.

        ``hidden_elements``: the ids of the elements the lens hides, when they are few
        (:attr:`few_hidden`); the ends are then checked against them, once per statement,
        instead of being looked up row by row (measured on 300 000 relations: counting
        them took 0.58 s with a lookup of both ends, 0.26 s this way). ``None``: each end is
        looked up.
        """
        shown = self.rows(alias)
        if hidden_elements is None:
            src, dst = f"{alias}_src", f"{alias}_dst"
            src_shown, dst_shown = self.rows(src), self.rows(dst)
            return _Sql(
                f"{shown.text} AND EXISTS (SELECT 1 FROM element {src} WHERE {src}.key = {alias}.src "
                f"AND {src_shown.text}) AND EXISTS (SELECT 1 FROM element {dst} "
                f"WHERE {dst}.key = {alias}.dst AND {dst_shown.text})",
                (*shown.params, *src_shown.params, *dst_shown.params),
            )
        if not hidden_elements:
            return shown
        hidden = _dumps(sorted(hidden_elements))
        return _Sql(
            f"{shown.text} AND {alias}.src NOT IN {_KEYS_JSON} AND {alias}.dst NOT IN {_KEYS_JSON}",
            (*shown.params, hidden, hidden),
        )

    def hidden_among(self, rows: Mapping[str, Status]) -> frozenset[str]:
        """Of ``rows`` (id → status of the rows that are not active), the ids the lens hides
        by their status."""
        statuses = self._statuses
        return frozenset(i for i, status in rows.items() if status not in statuses)

    DATED_HIDDEN = (
        "SELECT {id} FROM {table} WHERE since > ?1 UNION SELECT {id} FROM {table} WHERE until <= ?1"
    )
    """The rows of ``{table}`` a date (``?1``) hides, whatever their status: those entering
    the landscape after it and those that have left it. Each part is a seek into a partial
    index of migration 8, reading only the rows it gives."""


@functools.lru_cache(maxsize=64)
def _visible(lens: Lens) -> _Visible:
    """What ``lens`` shows (made once per lens: traversals ask at every level)."""
    return _Visible(lens)


class SQLiteStore:
    """A repository in one SQLite file (or ``:memory:``).

    >>> store = SQLiteStore(":memory:")
    >>> store.schema_version() == SCHEMA_VERSION
    True
    """

    backend = "sqlite"

    busy_timeout = 30.0
    """Seconds a write waits for another process's write transaction to end."""

    def __init__(self, path: str | Path, *, timeout: float | None = None) -> None:
        self.path = str(path)
        self.timeout = self.busy_timeout if timeout is None else timeout
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, isolation_level=None, timeout=self.timeout, check_same_thread=False
            )
            self._db.execute("PRAGMA foreign_keys = ON")
            # Measured on the 100k/300k benchmark: statement journals in memory and a large
            # page cache halve bulk-load time (foreign-key and index lookups stop missing).
            self._db.execute("PRAGMA temp_store = MEMORY")
            self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            # Takes effect when the file is created (a repository made before keeps its pages).
            self._db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._depth = 0
            self._closed = False
            self._commits = 0  # this connection's writes, for the hidden-elements cache
            # what _cached keeps: key -> (database version, answer)
            self._row_cache: dict[tuple[str, ...], tuple[tuple[int, int], Any]] = {}
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot open the repository {self.path}: {exc}",
                hint="is it an ea-repo database? `ea init` creates one",
            ) from exc

    # -- plumbing -----------------------------------------------------------

    def close(self) -> None:
        """Close the connection."""
        self._closed = True
        self._db.close()

    def _relation_attrs(self, relation_key: int) -> dict[str, Any]:
        """One relation's attributes, for relations handed out without them.

        Such a relation may outlive the store (a report built after the
        repository was closed): the file is then opened again, read-only.
        """
        sql = "SELECT attrs FROM relation WHERE key = ?"
        if not self._closed:
            row = self._db.execute(sql, (relation_key,)).fetchone()
        elif self.path == ":memory:":
            raise StoreError("the in-memory repository is closed: its relations are gone")
        else:
            uri = Path(self.path).resolve().as_uri() + "?mode=ro"
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
                row = db.execute(sql, (relation_key,)).fetchone()
        return {} if row is None else _loads_attrs(row[0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes; re-entrant, the outermost level commits or rolls back."""
        if self._depth == 0:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                raise StoreLockedError(
                    f"the repository {self.path} is locked: another process has held a write "
                    f"transaction on it for {self.timeout:.0f} s",
                    hint="wait for it to finish (a backup? an sqlite3 shell?), then run again",
                ) from exc
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._db.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self._db.execute("COMMIT")
            self._commits += 1

    def _migrate(self) -> None:
        db = self._db
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {current}; this ea-repo knows up to {SCHEMA_VERSION}",
                hint="upgrade ea-repo",
            )
        # Rebuilding a table drops the old one: with foreign keys on, that would delete the
        # relations of every element (a cascade). Each migration checks them before it commits.
        db.execute("PRAGMA foreign_keys = OFF")
        try:
            self._apply_migrations(current)
        finally:
            db.execute("PRAGMA foreign_keys = ON")

    def _apply_migrations(self, current: int) -> None:
        db = self._db
        for version in range(current, SCHEMA_VERSION):
            with self.transaction():
                migration = MIGRATIONS[version]
                if callable(migration):
                    migration(db)
                else:
                    for statement in migration.split(";"):
                        if statement.strip():
                            db.execute(statement)
                db.execute(
                    "INSERT INTO schema_version(version, applied_at) VALUES (?, ?)",
                    (version + 1, utc_now()),
                )

    def schema_version(self) -> int:
        """The highest migration applied."""
        row = self._db.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    # -- elements and relations ---------------------------------------------

    def _upsert(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
        """Insert new rows, update changed ones, leave identical ones alone.

        Reading the batch's current rows first and issuing plain INSERTs and
        UPDATEs is measurably faster than ``INSERT ... ON CONFLICT DO UPDATE``,
        which checks foreign keys row by row in statement journals. ``rows``
        are ``(id, *columns)``, ``id`` the item's id; ``updated`` is stamped here.
        An element's id is its key; a relation's key is its rowid, and its
        ``id`` column one of ``columns`` (kept only when not derived).
        """
        names = ", ".join(columns)
        element = table == "element"
        stored = ("id", *columns) if element else columns
        key = "id" if element else "key"
        insert = (
            f"INSERT INTO {table}({', '.join(stored)}, updated) "
            f"VALUES ({', '.join('?' * (len(stored) + 1))})"
        )
        update = f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)}, updated = ? WHERE {key} = ?"
        now = int(time.time())
        fresh_row = (lambda row: (*row, now)) if element else (lambda row: (*row[1:], now))

        def write(batch: list[tuple[Any, ...]]) -> int:
            """Insert the batch's new rows, update its changed ones; how many were new."""
            wanted = {row[0]: row for row in batch}  # the last of duplicate ids wins
            match = self._matching(table, "t", wanted)
            current = {
                row[0]: row
                for row in self._db.execute(
                    f"SELECT {_ID[table].format('t')}, {names}, t.{key} FROM {table} t "
                    f"WHERE {match.text}",
                    match.params,
                )
            }
            fresh = [fresh_row(row) for i, row in wanted.items() if i not in current]
            changed = [
                (*row[1:], now, current[i][-1])
                for i, row in wanted.items()
                if i in current and current[i][:-1] != row
            ]
            if fresh:
                self._db.executemany(insert, fresh)
            if changed:
                self._db.executemany(update, changed)
            return len(fresh)

        with self.transaction():
            if not self._empty(table):
                count = 0
                for batch in batches(rows, BATCH):
                    write(batch)
                    count += len(batch)
                return count
            return self._load(table, insert, fresh_row, iter(rows), write)

    def _load(
        self,
        table: str,
        insert: str,
        fresh_row: Callable[[tuple[Any, ...]], tuple[Any, ...]],
        rows: Iterator[tuple[Any, ...]],
        write: Callable[[list[tuple[Any, ...]]], int],
    ) -> int:
        """A first load into an empty ``table``: every row is new, the last of duplicate
        ids wins; how many ids were written.

        A load of ``BULK_ROWS`` rows or more is written a batch at a time as it is read,
        its indexes set aside (``_indexes_rebuilt``): a row whose id may have come
        before (its hash seen) is kept back and written once the indexes are built
        again, the way a load into a full table is. Only hashes of ids are held, not
        the rows (measured, 300 000 elements and 900 000 relations: 569 MiB held before
        the first row was written, 288 MiB at most now, mostly SQLite's page cache).
        """
        head = list(islice(rows, BULK_ROWS))
        if len(head) < BULK_ROWS:
            few = {row[0]: row for row in head}
            self._db.executemany(insert, [fresh_row(row) for row in few.values()])
            return len(few)
        seen: set[int] = set()
        again: list[tuple[Any, ...]] = []
        with self._indexes_rebuilt(table):
            for batch in batches(chain(head, rows), BATCH):
                fresh: dict[Any, tuple[Any, ...]] = {}
                for row in batch:
                    if row[0] in fresh:
                        fresh[row[0]] = row
                    elif (digest := hash(row[0])) in seen:
                        again.append(row)
                    else:
                        seen.add(digest)
                        fresh[row[0]] = row
                self._db.executemany(insert, [fresh_row(row) for row in fresh.values()])
        # An id kept back is new only when its hash was another id's.
        return len(seen) + sum(write(batch) for batch in batches(again, BATCH))

    def _matching(self, table: str, alias: str, ids: Iterable[str]) -> _Sql:
        """The condition the rows of ``table`` (``alias``) with these ids meet.

        A relation whose id is derived is found by its ends and type: each way of
        reading an id as ``src|type|dst`` is one seek into ``relation_src`` (a type
        holds no ``|``: one way for most ids).
        """
        if table == "element":
            return _Sql(f"{alias}.id {_IN_JSON}", (_ids(ids),))
        wanted = list(dict.fromkeys(ids))
        derived = [parts for i in wanted for parts in _derived_parts(i)]
        return _Sql(
            f"{alias}.key IN (SELECT key FROM relation WHERE id {_IN_JSON} UNION ALL "
            "SELECT m.key FROM json_each(?) c JOIN element s ON s.id = c.value ->> 0 "
            "JOIN element d ON d.id = c.value ->> 2 JOIN relation m ON m.src = s.key "
            "AND m.type = c.value ->> 1 AND m.dst = d.key AND m.id IS NULL)",
            (_dumps(wanted), _dumps(derived)),
        )

    def upsert_elements(self, elements: Iterable[Element]) -> int:
        """Insert or replace elements; unchanged rows are not rewritten."""
        return self._upsert(
            "element",
            ("type", "name", "name_cf", "attrs", "status", "since", "until"),
            (
                (
                    e.id,
                    e.type,
                    e.name,
                    e.name.casefold(),
                    _attrs_text(e.attrs),
                    _TEXT[e.status],
                    *span(e.attrs),
                )
                for e in elements
            ),
        )

    def upsert_relations(self, relations: Iterable[Relation]) -> int:
        """Insert or replace relations; a missing end raises ConflictError."""
        try:
            return self._upsert(
                "relation",
                ("src", "type", "dst", "id", "attrs", "status", "since", "until"),
                self._relation_rows(relations),
            )
        except sqlite3.IntegrityError as exc:
            raise ConflictError(
                f"a relation names an element that does not exist ({exc})",
                hint="add both ends before linking them",
            ) from exc

    def _relation_rows(self, relations: Iterable[Relation]) -> Iterator[tuple[Any, ...]]:
        """``(id, *columns)`` of relations as stored: their ends are the elements' keys, read
        a batch at a time, and their id is kept only when it is not the derived one."""
        for batch in batches(relations, BATCH):
            ends = _dumps(list({end for r in batch for end in (r.src, r.dst)}))
            keys = dict(
                self._db.execute(f"SELECT id, key FROM element WHERE id {_IN_JSON}", (ends,))
            )
            for r in batch:
                src, dst = keys.get(r.src), keys.get(r.dst)
                if src is None or dst is None:
                    raise ConflictError(
                        f"a relation names an element that does not exist "
                        f"({r.src if src is None else r.dst})",
                        hint="add both ends before linking them",
                    )
                yield (
                    r.id,
                    src,
                    r.type,
                    dst,
                    None if r.id == f"{r.src}|{r.type}|{r.dst}" else r.id,
                    _attrs_text(r.attrs),
                    _TEXT[r.status],
                    *span(r.attrs),
                )

    @contextmanager
    def _indexes_rebuilt(self, table: str) -> Iterator[None]:
        """Around a bulk load into an empty table: its secondary indexes are dropped, then
        built again from the loaded rows (one sort instead of a random insert per row;
        measured: loading 100 000 elements and 300 000 relations takes a fifth less time).
        Inside the caller's transaction, so a failed load leaves them as they were."""
        indexes = self._db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL ORDER BY name",
            (table,),
        ).fetchall()
        for name, _ in indexes:
            self._db.execute(f'DROP INDEX "{name}"')
        yield
        for _, sql in indexes:
            self._db.execute(sql)

    def _empty(self, table: str) -> bool:
        return self._db.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})").fetchone()[0] == 1

    def get_elements(self, ids: Iterable[str], lens: Lens = CURRENT) -> dict[str, Element]:
        """Elements by id, as the lens shows them."""
        if self._empty("element"):
            return {}  # a first import asks for all it brings: no need to look
        shown = _visible(lens).rows("e")
        rows = self._db.execute(
            f"SELECT e.id, e.type, e.name, e.attrs, e.status FROM element e "
            f"WHERE e.id {_IN_JSON} AND {shown.text}",
            (_ids(ids), *shown.params),
        )
        return {row[0]: _element(row) for row in rows}

    def get_relations(self, ids: Iterable[str], lens: Lens = CURRENT) -> dict[str, Relation]:
        """Relations by id, as the lens shows them."""
        if self._empty("relation"):
            return {}
        shown, match = _visible(lens).rows("r"), self._matching("relation", "r", ids)
        rows = self._db.execute(
            f"SELECT {_REL_COLUMNS} FROM {_REL_FROM} WHERE {match.text} AND {shown.text}",
            (*match.params, *shown.params),
        )
        return {row[0]: _relation(row) for row in rows}

    def find_elements(
        self,
        *,
        types: Iterable[str] | None = None,
        attrs: Mapping[str, Any] | None = None,
        text: str | None = None,
        lens: Lens = CURRENT,
        limit: int | None = None,
    ) -> list[Element]:
        """Elements matching every criterion given, ordered by id."""
        shown = _visible(lens).rows("e")
        where = [shown.text]
        params: list[Any] = [*shown.params]
        if types is not None:
            where.append(f"type {_IN_JSON}")
            params.append(_ids(types))
        for key, value in (attrs or {}).items():
            if not IDENTIFIER.match(key):
                raise ValueError(f"attribute name {key!r} is not an identifier")
            where.append("json_extract(attrs, ?) = ?")
            params.extend([f"$.{key}", int(value) if isinstance(value, bool) else value])
        if text:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            # A value holding the text holds it in the attributes' JSON as well, unless JSON
            # escapes one of its characters: the JSON is scanned as text first, and only the
            # rows where it is found are walked value by value (a text found nowhere read
            # every element's JSON tree: 0.1 s at 100 000 elements).
            in_json = "" if _ESCAPED_IN_JSON.search(text) else "e.attrs LIKE ? ESCAPE '\\' AND "
            where.append(
                f"(id LIKE ? ESCAPE '\\' OR name LIKE ? ESCAPE '\\' OR ({in_json}EXISTS ("
                "SELECT 1 FROM json_tree(e.attrs) j WHERE j.atom LIKE ? ESCAPE '\\')))"
            )
            params.extend([pattern, pattern, *([pattern] if in_json else []), pattern])
        sql = "SELECT id, type, name, attrs, status FROM element e WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [_element(row) for row in self._db.execute(sql, params)]

    def relations_of(
        self, ids: Iterable[str], lens: Lens = CURRENT, types: Iterable[str] | None = None
    ) -> list[Relation]:
        """Relations touching ``ids`` in either direction, ends visible through the lens."""
        id_json, shown = _ids(ids), self._shown_relations(lens, "r")
        type_clause, type_params = (
            ("", []) if types is None else (f"AND r.type {_IN_JSON}", [_ids(types)])
        )
        rows = self._db.execute(
            f"SELECT {_REL_COLUMNS} FROM {_REL_FROM} "
            f"WHERE (r.src IN {_KEYS_JSON} OR r.dst IN {_KEYS_JSON}) {type_clause} AND {shown.text} "
            "ORDER BY 1",
            (id_json, id_json, *type_params, *shown.params),
        )
        return [_relation(row) for row in rows]

    def neighbors(
        self,
        ids: Iterable[str],
        steps: Sequence[Step],
        lens: Lens = CURRENT,
        exclude: Collection[str] = (),
    ) -> list[Hop]:
        """One level of expansion: one indexed query per direction.

        Instead of joining every row to its far end to check the element's
        status, the (few) elements the lens hides are kept as a set, refreshed
        whenever the database changed: measured, this is most of a traversal's
        SQL time.
        """
        id_json = _ids(ids)
        # Whether the database changed is asked once for the four answers kept (each
        # PRAGMA data_version cost as much as a small level's query).
        version = self._version()
        hidden = self._hidden("element", lens, version)
        hidden_relations = self._hidden("relation", lens, version)
        inactive_relations = self._inactive_rows("relation", version)
        active = Status.ACTIVE
        db = self._db
        hops: list[Hop] = []
        # (direction, column matched against ids and the far end's, index of the origin and
        # of the far end in a row)
        for direction, near, far_end in (
            (Direction.OUT, "src", "dst"),
            (Direction.IN, "dst", "src"),
        ):
            types = [s.relation_type for s in steps if s.direction is direction]
            if not types:
                continue
            # With many types, seeking (src, type) pairs costs more than filtering the
            # rows of each src: the unary + keeps SQLite from using the type column.
            # The relation's columns read are all in the index: no relation row is read;
            # the far ends' ids come from their keys, once per key (_element_ids).
            type_column = "+r.type" if len(types) > 3 else "r.type"
            rows = db.execute(
                f"SELECT r.id, n.id, r.type, r.{far_end}, r.key FROM element n CROSS JOIN "
                f"relation r ON r.{near} = n.key WHERE n.id {_IN_JSON} AND {type_column} {_IN_JSON}",
                (id_json, _ids(types)),
            ).fetchall()
            far_ids = self._element_ids({row[3] for row in rows}, version)
            outward = direction is Direction.OUT
            for stored_id, near_id, type_, far_key, key in rows:
                far = far_ids[far_key]
                if far in hidden or far in exclude:
                    continue
                src, dst = (near_id, far) if outward else (far, near_id)
                rid = stored_id or f"{src}|{type_}|{dst}"
                # Most lenses hide no relation and most relations are active: the id
                # is then looked up in neither set.
                if hidden_relations and rid in hidden_relations:
                    continue
                status = inactive_relations.get(rid, active) if inactive_relations else active
                rel = relation(src, type_, dst, _StoredAttrs(self, key), status, rid)
                hops.append(hop(near_id, rel, far, direction))
        return hops

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
        """One level, whatever ``levels`` says: a query here costs no round trip to save."""
        wanted = list(ids)
        return Expansion(self.neighbors(wanted, steps, lens, exclude), frozenset(wanted))

    def _element_ids(
        self, keys: Collection[int], version: tuple[int, int] | None = None
    ) -> Mapping[int, str]:
        """The ids of the elements with these keys (and of others), kept until the database
        changes: a traversal meets the same far ends level after level, and a rowid lookup
        per hop was a third of a traversal step's time (measured on bench_store's landscape)."""
        known = self._cached(("element ids",), dict[int, str], version)
        missing = [k for k in keys if k not in known]
        if missing:
            if len(known) + len(missing) > _ELEMENT_IDS_KEPT:
                # Full: start again with what this call asks for, all of it (those it
                # found known a moment ago are forgotten with the rest).
                known.clear()
                missing = list(keys)
            known.update(
                self._db.execute(
                    f"SELECT key, id FROM element WHERE key {_IN_JSON}", (_dumps(missing),)
                )
            )
        return known

    def _hidden(
        self, table: str, lens: Lens, version: tuple[int, int] | None = None
    ) -> frozenset[str]:
        """Ids of the elements or relations ``lens`` hides (``version``: the database's, when
        the caller has just read it)."""
        visible = _visible(lens)
        if visible.few_hidden:
            return self._cached(
                ("hidden", table, visible.key),
                lambda: self._few_hidden(table, visible, version),
                version,
            )
        shown = visible.rows("t")  # hides most rows: no cache for that
        rows = self._db.execute(
            f"SELECT {_ID[table].format('t')} FROM {table} t WHERE NOT ({shown.text})",
            shown.params,
        )
        return frozenset(row[0] for row in rows)

    def _few_hidden(
        self, table: str, visible: _Visible, version: tuple[int, int] | None
    ) -> frozenset[str]:
        hidden = visible.hidden_among(self._inactive_rows(table, version))
        if visible.at is None:
            return hidden
        return hidden | self._dated_hidden(table, visible.at, version)

    def _shown_relations(self, lens: Lens, alias: str) -> _Sql:
        """The condition a relation row (``alias``) meets when ``lens`` shows it and both its ends."""
        visible = _visible(lens)
        hidden = self._hidden("element", lens) if visible.few_hidden else None
        if hidden is not None and len(hidden) > FEW_HIDDEN:
            hidden = None
        return visible.relations(alias, hidden)

    def _inactive_rows(
        self, table: str, version: tuple[int, int] | None = None
    ) -> dict[str, Status]:
        """Id → status of the rows of ``table`` that are not active, cached until the
        database changes.

        Few rows are not active: they are read through the partial index on them.
        """
        return self._cached(
            ("inactive", table),
            lambda: {
                row[0]: _STATUS[row[1]]
                for row in self._db.execute(
                    f"SELECT {_ID[table].format(table)}, status FROM {table} WHERE {_Visible.KEPT}"
                )
            },
            version,
        )

    def _dated_hidden(
        self, table: str, day: str, version: tuple[int, int] | None = None
    ) -> frozenset[str]:
        """Ids of the rows of ``table`` that ``day`` hides (whatever their status), cached
        until the database changes: read through the partial indexes on ``since`` and
        ``until``, which give only those rows."""
        return self._cached(
            ("dated", table, day),
            lambda: frozenset(
                row[0]
                for row in self._db.execute(
                    _Visible.DATED_HIDDEN.format(table=table, id=_ID[table].format(table)), (day,)
                )
            ),
            version,
        )

    def _version(self) -> tuple[int, int]:
        """The database's version as this connection sees it: ``PRAGMA data_version``
        changes when another connection commits; our own commits are counted."""
        return (self._db.execute("PRAGMA data_version").fetchone()[0], self._commits)

    def _cached(
        self, key: tuple[str, ...], read: Callable[[], _T], version: tuple[int, int] | None = None
    ) -> _T:
        """``read()``, kept under ``key`` until the database changes (``version``: the
        database's, when the caller has just read it; else it is read here).

        Inside a transaction nothing is kept: uncommitted writes may change the answer.
        """
        if version is None:
            version = self._version()
        cached = self._row_cache.get(key)
        if cached is not None and cached[0] == version and self._depth == 0:
            return cast(_T, cached[1])
        value = read()
        if self._depth == 0:
            if len(self._row_cache) >= _CACHED_ANSWERS:
                self._row_cache.clear()
            self._row_cache[key] = (version, value)
        return value

    def iter_elements(self, lens: Lens = CURRENT) -> Iterator[Element]:
        """Every visible element, ordered by id."""
        shown = _visible(lens).rows("e")
        cursor = self._db.execute(
            f"SELECT e.id, e.type, e.name, e.attrs, e.status FROM element e WHERE {shown.text} "
            "ORDER BY e.id",
            shown.params,
        )
        for row in cursor:
            yield _element(row)

    def iter_relations(self, lens: Lens = CURRENT) -> Iterator[Relation]:
        """Every visible relation whose ends are visible, ordered by id."""
        shown = self._shown_relations(lens, "r")
        cursor = self._db.execute(
            f"SELECT {_REL_COLUMNS} FROM {_REL_FROM} WHERE {shown.text} ORDER BY 1", shown.params
        )
        for row in cursor:
            yield _relation(row)

    def set_status(self, kind: str, ids: Iterable[str], status: Status) -> int:
        """Change the status of elements or relations; returns how many changed."""
        table = check_kind(kind)
        match = self._matching(table, table, ids)
        with self.transaction():
            cursor = self._db.execute(
                f"UPDATE {table} SET status = ?, updated = ? WHERE {match.text} AND status != ?",
                (status.value, int(time.time()), *match.params, status.value),
            )
        return cursor.rowcount

    def delete_elements(self, ids: Iterable[str]) -> int:
        """Delete elements; their relations go with them (foreign-key cascade)."""
        with self.transaction():
            cursor = self._db.execute(f"DELETE FROM element WHERE id {_IN_JSON}", (_ids(ids),))
        return cursor.rowcount

    def delete_relations(self, ids: Iterable[str]) -> int:
        """Delete relations by id."""
        with self.transaction():
            match = self._matching("relation", "relation", ids)
            cursor = self._db.execute(f"DELETE FROM relation WHERE {match.text}", match.params)
        return cursor.rowcount

    def purge(self) -> int:
        """Delete everything, in one transaction; run ids start again at 1."""
        total = 0
        with self.transaction():
            for table in ("change", "assertion", "relation", "element", "run"):
                total += self._db.execute(f"DELETE FROM {table}").rowcount
            self._db.execute("DELETE FROM asserted")
            self._db.execute("DELETE FROM change_seq")
            self._db.execute("DELETE FROM sqlite_sequence WHERE name = 'run'")
        return total

    def counts(self, lens: Lens = CURRENT) -> Counts:
        """Per-type counts of visible elements and relations."""
        shown = _visible(lens).rows("e")
        elements = dict(
            self._db.execute(
                f"SELECT e.type, COUNT(*) FROM element e WHERE {shown.text} "
                "GROUP BY e.type ORDER BY e.type",
                shown.params,
            ).fetchall()
        )
        shown = self._shown_relations(lens, "r")  # a relation counts when its ends are shown too
        relations = dict(
            self._db.execute(
                f"SELECT r.type, COUNT(*) FROM relation r WHERE {shown.text} "
                "GROUP BY r.type ORDER BY r.type",
                shown.params,
            ).fetchall()
        )
        return Counts(elements, relations)

    def retired_counts(self) -> tuple[int, int]:
        """How many elements and relations are retired, in one statement."""
        retired = Status.RETIRED.value
        row = self._db.execute(
            "SELECT (SELECT COUNT(*) FROM element WHERE status = ?), "
            "(SELECT COUNT(*) FROM relation WHERE status = ?)",
            (retired, retired),
        ).fetchone()
        return int(row[0]), int(row[1])

    def stranded_relations(self) -> list[Relation]:
        """The active relations one of whose ends is retired: the few retired elements
        (``element_inactive``), then their relations by either end."""
        # CROSS JOIN keeps the elements outside (without statistics the planner would scan
        # the relations); the index's own condition lets it be used with a parameter.
        stranded = (
            "SELECT r.key FROM element e CROSS JOIN relation r ON r.{} = e.key "
            f"WHERE e.{_Visible.KEPT} AND e.status = :retired AND r.status = :active"
        )
        rows = self._db.execute(
            f"SELECT {_REL_COLUMNS} FROM {_REL_FROM} WHERE r.key IN "
            f"({stranded.format('src')} UNION {stranded.format('dst')}) ORDER BY 1",
            {"retired": Status.RETIRED.value, "active": Status.ACTIVE.value},
        )
        return [_relation(row) for row in rows]

    # -- runs, provenance, change log -----------------------------------------

    def start_run(self, source: str, at: str | None = None) -> Run:
        """Open a run of ``source``."""
        started = at or utc_now()
        with self.transaction():
            cursor = self._db.execute(
                "INSERT INTO run(source, started_at, status) VALUES (?, ?, 'running')",
                (source, started),
            )
        return Run(int(cursor.lastrowid or 0), source, started, None, "running")

    def finish_run(
        self,
        run_id: int,
        status: str,
        stats: Mapping[str, Any] | None = None,
        message: str | None = None,
        at: str | None = None,
    ) -> None:
        """Close a run."""
        with self.transaction():
            self._db.execute(
                "UPDATE run SET status = ?, stats = ?, message = ?, finished_at = ? WHERE id = ?",
                (status, _attrs_text(stats or {}), message, at or utc_now(), run_id),
            )

    def runs(
        self,
        source: str | None = None,
        limit: int | None = None,
        *,
        status: str | None = None,
        after: int | None = None,
    ) -> list[Run]:
        """Runs, newest first, filtered by source, status and ``id > after``."""
        where, params = [], []
        for clause, value in (("source = ?", source), ("status = ?", status), ("id > ?", after)):
            if value is not None:
                where.append(clause)
                params.append(value)
        sql = "SELECT id, source, started_at, finished_at, status, stats, message FROM run"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [_run(row) for row in self._db.execute(sql, params)]

    def latest_runs(self) -> dict[str, tuple[Run, Run | None]]:
        """Per source, its latest run and its latest successful one (two index seeks each)."""
        rows = self._db.execute(
            "SELECT id, source, started_at, finished_at, status, stats, message FROM run "
            "WHERE id IN (SELECT MAX(id) FROM run GROUP BY source) "
            "OR id IN (SELECT MAX(id) FROM run WHERE status = 'succeeded' GROUP BY source) "
            "ORDER BY id DESC"
        )
        return latest_by_source(map(_run, rows))

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
        """Stamp items as asserted by ``source`` in ``run_id``, with what it asserted (``values``)
        and the digest of the record that asserted it (``digests``)."""
        check_kind(kind)
        seen = self._stamp(run_id, at)
        values = values or {}
        digests = digests or {}
        # Items of one type usually share one value object: each is encoded and looked up
        # once, and kept once in the repository (table ``asserted``).
        keys: dict[int, int] = {}

        def key(value: Mapping[str, Any] | None) -> int:
            found = keys.get(id(value))
            if found is None:
                found = keys[id(value)] = self._asserted_key(_attrs_text(value or {}))
            return found

        # Staged first: the rows bind three values each instead of nine, and one statement
        # stamps them all (measured: a third less time for a 400 000-item first import).
        with self.transaction():
            db = self._db
            db.execute(
                "CREATE TEMP TABLE IF NOT EXISTS staged_assertion "
                "(item_id TEXT NOT NULL, asserted INTEGER NOT NULL, digest BLOB)"
            )
            for batch in batches(ids, 50_000):
                db.executemany(
                    "INSERT INTO temp.staged_assertion VALUES (?,?,?)",
                    [
                        (item, key(values.get(item)), _pack_digest(digests.get(item)))
                        for item in batch
                    ],
                )
                db.execute(
                    "INSERT INTO assertion(source, kind, item_id, first_run, last_run, first_seen, "
                    "last_seen, asserted, digest) SELECT ?, ?, item_id, ?, ?, ?, ?, asserted, digest "
                    "FROM temp.staged_assertion WHERE true ON CONFLICT(source, kind, item_id) DO UPDATE "
                    "SET last_run = excluded.last_run, last_seen = excluded.last_seen, "
                    "asserted = excluded.asserted, digest = excluded.digest",
                    (source, kind, run_id, run_id, seen, seen),
                )
                db.execute("DELETE FROM temp.staged_assertion")

    def asserted_values(
        self, source: str, kind: str, ids: Iterable[str]
    ) -> dict[str, dict[str, Any]]:
        """What ``source`` last asserted about each of ``ids`` (those it asserts)."""
        check_kind(kind)
        rows = self._db.execute(
            "SELECT a.item_id, v.value FROM assertion a LEFT JOIN asserted v ON v.key = a.asserted "
            f"WHERE a.source = ? AND a.kind = ? AND a.item_id {_IN_JSON}",
            (source, kind, _ids(ids)),
        )
        return {row[0]: json.loads(row[1] or "{}") for row in rows}

    def _asserted_key(self, text: str) -> int:
        """The key of ``text`` (what a source asserted, as JSON) in table ``asserted``."""
        self._db.execute("INSERT OR IGNORE INTO asserted(value) VALUES (?)", (text,))
        return int(
            self._db.execute("SELECT key FROM asserted WHERE value = ?", (text,)).fetchone()[0]
        )

    def touch_assertions(
        self,
        run_id: int,
        source: str,
        kind: str,
        ids: Iterable[str] | None,
        at: str | None = None,
    ) -> None:
        """Mark items ``source`` asserts again, unchanged, as last seen in ``run_id``.

        ``ids=None`` touches every item of ``kind`` the source asserts (after a
        full run, all it still asserts was confirmed): one statement instead of
        a list of ids.
        """
        check_kind(kind)
        with self.transaction():
            seen = self._stamp(run_id, at)
            if ids is None:
                self._db.execute(
                    "UPDATE assertion SET last_run = ?, last_seen = ? "
                    "WHERE source = ? AND kind = ? AND last_run <> ?",
                    (run_id, seen, source, kind, run_id),
                )
                return
            self._db.execute(
                "UPDATE assertion SET last_run = ?, last_seen = ? "
                f"WHERE source = ? AND kind = ? AND item_id {_IN_JSON}",
                (run_id, seen, source, kind, _ids(ids)),
            )

    def _stamp(self, run_id: int, at: str | None) -> str | None:
        """``at`` (now when None) as provenance and the change log keep it: nothing when it
        is the start of run ``run_id``, which the run's row holds (:data:`_AT_RUN` reads it)."""
        at = at or utc_now()
        row = self._db.execute("SELECT started_at FROM run WHERE id = ?", (run_id,)).fetchone()
        return None if row is not None and row[0] == at else at

    def inactive(self, kind: str, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that are not active (retired); absent ids are not listed."""
        rows = self._inactive_rows(check_kind(kind))
        wanted = ids if isinstance(ids, (set, frozenset)) else set(ids)
        return {i for i in rows if i in wanted}

    def record_digests(self, source: str) -> dict[str, tuple[str, str]]:
        """Digest → (kind, item id) of the records behind what ``source`` asserts."""
        rows = self._db.execute(
            "SELECT digest, kind, item_id FROM assertion WHERE source = ? AND digest IS NOT NULL",
            (source,),
        )
        return {_unpack_digest(row[0]): (row[1], row[2]) for row in rows}

    def _sources(self) -> str:
        """The sources that assert anything, as a JSON list: provenance is keyed by source
        first, so an item's assertions are one primary-key lookup per source.

        Read by skipping from one source to the next along the key (a step per source,
        not per assertion).
        """
        rows = self._db.execute(
            "WITH RECURSIVE s(name) AS ("
            "SELECT MIN(source) FROM assertion UNION ALL "
            "SELECT (SELECT MIN(source) FROM assertion WHERE source > s.name) FROM s "
            "WHERE s.name IS NOT NULL) SELECT name FROM s WHERE name IS NOT NULL"
        )
        return _dumps([row[0] for row in rows])

    def drop_assertions(self, kind: str, ids: Iterable[str]) -> None:
        """Forget every source's assertions of these items (they were deleted)."""
        check_kind(kind)
        with self.transaction():
            self._db.execute(
                f"DELETE FROM assertion WHERE source {_IN_JSON} AND kind = ? AND item_id {_IN_JSON}",
                (self._sources(), kind, _ids(ids)),
            )

    def elements_named(
        self, names: Iterable[str], lens: Lens = CURRENT
    ) -> dict[str, list[Element]]:
        """Elements whose name equals one of ``names`` (ignoring case), keyed by casefolded name."""
        found: dict[str, list[Element]] = {}
        wanted = sorted({n.casefold() for n in names})
        shown = _visible(lens).rows("e")
        for batch in batches(wanted, 20_000):
            rows = self._db.execute(
                "SELECT e.id, e.type, e.name, e.attrs, e.status FROM element e "
                f"WHERE e.name_cf {_IN_JSON} AND {shown.text} ORDER BY e.id",
                (_dumps(batch), *shown.params),
            )
            for row in rows:
                found.setdefault(row[2].casefold(), []).append(_element(row))
        return found

    def retract_assertions(self, source: str, kind: str, ids: Iterable[str]) -> None:
        """Forget that ``source`` asserts these items."""
        check_kind(kind)
        with self.transaction():
            self._db.execute(
                f"DELETE FROM assertion WHERE source = ? AND kind = ? AND item_id {_IN_JSON}",
                (source, kind, _ids(ids)),
            )

    def assertions(self, kind: str, ids: Iterable[str]) -> list[Assertion]:
        """Provenance of the given items."""
        check_kind(kind)
        rows = self._db.execute(
            "SELECT kind, item_id, source, first_run, last_run, "
            f"{_AT_RUN.format('first_seen', 'first_run')}, {_AT_RUN.format('last_seen', 'last_run')} "
            f"FROM assertion WHERE source {_IN_JSON} AND kind = ? AND item_id {_IN_JSON} ORDER BY item_id, source",
            (self._sources(), kind, _ids(ids)),
        )
        return [Assertion(*row) for row in rows]

    def asserted_ids(self, source: str, kind: str) -> set[str]:
        """Items of ``kind`` that ``source`` asserts."""
        check_kind(kind)
        rows = self._db.execute(
            "SELECT item_id FROM assertion WHERE source = ? AND kind = ?", (source, kind)
        )
        return {row[0] for row in rows}

    def count_asserted(self, source: str, kind: str) -> int:
        """How many items of ``kind`` ``source`` asserts."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM assertion WHERE source = ? AND kind = ?",
            (source, check_kind(kind)),
        ).fetchone()
        return int(row[0])

    def _stale(self, before: str, lens: Lens) -> _Sql:
        """The elements ``lens`` shows that no source confirmed since ``before`` (or ever),
        with their last confirmation (``seen``)."""
        shown = _visible(lens).rows("e")
        return _Sql(
            "SELECT e.id, e.type, e.name, e.attrs, e.status, "
            f"MAX({_AT_RUN.format('a.last_seen', 'a.last_run')}) AS seen FROM element e "
            f"LEFT JOIN assertion a ON a.source {_IN_JSON} AND a.kind = 'element' "
            f"AND a.item_id = e.id WHERE {shown.text} GROUP BY e.id HAVING seen IS NULL OR seen < ?",
            (self._sources(), *shown.params, before),
        )

    def count_stale(self, before: str, lens: Lens = CURRENT) -> int:
        """How many elements no source has confirmed since ``before`` (or ever)."""
        stale = self._stale(before, lens)
        row = self._db.execute(f"SELECT COUNT(*) FROM ({stale.text})", stale.params).fetchone()
        return int(row[0])

    def stale_elements(
        self, before: str, lens: Lens = CURRENT, limit: int | None = None
    ) -> list[tuple[Element, str | None]]:
        """Elements no source has confirmed since ``before`` (or ever), with their last confirmation."""
        stale = self._stale(before, lens)
        sql = f"{stale.text} ORDER BY seen, e.id"
        params: list[Any] = [*stale.params]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [(_element(row), row[5]) for row in self._db.execute(sql, params)]

    def log_changes(self, changes: Iterable[Change]) -> None:
        """Append to the change log, in the order given.

        A first import logs hundreds of thousands of bare additions (no
        snapshot): consecutive ones of the same run, kind and time go in one
        statement reading their ids from a JSON list (measured: less than half
        the time of a row-by-row insert).
        """
        db = self._db
        stamp = functools.cache(self._stamp)
        with self.transaction():
            row = db.execute("SELECT seq FROM change_seq").fetchone()
            seq = 0 if row is None else int(row[0])
            for group, run in groupby(changes, key=_bare_addition):
                if group is None:
                    rows = [
                        (
                            c.item_id,
                            seq + n,
                            c.run_id,
                            c.kind,
                            c.op,
                            None if c.before is None else _attrs_text(c.before),
                            None if c.after is None else _attrs_text(c.after),
                            stamp(c.run_id, c.at),
                        )
                        for n, c in enumerate(run, start=1)
                    ]
                    db.executemany("INSERT INTO change VALUES (?,?,?,?,?,?,?,?)", rows)
                    seq += len(rows)
                    continue
                run_id, kind, at = group
                for batch in batches((c.item_id for c in run), 50_000):
                    db.execute(
                        "INSERT INTO change(item_id, seq, run_id, kind, op, at) "
                        "SELECT value, ? + key, ?, ?, 'added', ? FROM json_each(?)",
                        (seq + 1, run_id, kind, stamp(run_id, at), _dumps(batch)),
                    )
                    seq += len(batch)
            db.execute("DELETE FROM change_seq")
            db.execute("INSERT INTO change_seq VALUES (?)", (seq,))

    def changes(
        self,
        item_id: str | None = None,
        run_id: int | None = None,
        limit: int | None = None,
        *,
        kind: str | None = None,
        ops: Collection[str] | None = None,
    ) -> list[Change]:
        """Change-log entries, oldest first."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("item_id", item_id), ("run_id", run_id), ("kind", kind)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if ops is not None:
            where.append(f"op {_IN_JSON}")
            params.append(_dumps(list(ops)))
        sql = (
            f"SELECT run_id, kind, item_id, op, before, after, {_AT_RUN.format('at', 'run_id')} "
            "FROM change"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [
            Change(
                row[0],
                row[1],
                row[2],
                row[3],
                None if row[4] is None else json.loads(row[4]),
                None if row[5] is None else json.loads(row[5]),
                row[6],
            )
            for row in self._db.execute(sql, params)
        ]
