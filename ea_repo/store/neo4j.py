"""The server backend: the repository as a graph in Neo4j 5 (server, cluster or Aura).

Elements are ``:Element`` nodes with their type as a second label, relations
are relationships typed after the metamodel (see :mod:`.cypher`, which
generates every statement). Attributes are kept as one JSON string property
(``attrs``), as in SQLite: values keep their exact types (lists, booleans) and
the metamodel can grow attributes without a migration; no attributes, no
property (one less to write; ``'{}'``, as written before, reads the same).

Transactions. Writes are ``UNWIND $rows`` batches of lists, grouped by label or
relationship type, pipelined (each statement is sent before the records of
the one before are read, the next batch built meanwhile). New relations find
their ends by node id (``elementId``), kept from the elements' creation or
looked up once per transaction block, and checked to be those elements.
Outside :meth:`Neo4jStore.transaction` each write call is one managed
transaction (``execute_write``: the driver retries it on transient errors and
cluster leader changes); reads are auto-commit read transactions of a READ
session kept per thread, which a cluster routes to its readers, retried by
the store on transient errors (one round trip each instead of two).

Sync runs: small and large. ``transaction()`` starts as one explicit
transaction: a run of up to ``stage_rows`` rows (50 000 by default) commits
or rolls back whole, as on SQLite. A larger run cannot: the server keeps a
transaction's changes in memory until it commits, and a first import of
100 000 elements and 300 000 relations (1.2 M entities with provenance and
change log) was measured to exceed the 2.8 GiB transaction memory of a
4 GiB heap. Such a run is *staged*: once it passes ``stage_rows`` (and only if
it has retired or deleted nothing yet — the sync engine writes additions and
changes first), what it wrote commits, and its further additions, changes,
provenance (with record digests) and change-log entries commit in chunks of
20 000 rows, each a managed transaction the driver retries, each with the
change-log entries of the items it writes. Everything that removes or
concludes — retirements, deletions, retractions, the confirmation of what the
run found unchanged, the log of retirements and deletions, the closing of the
run — is kept aside and applied when the run has succeeded, in one last
transaction (so ``set_status`` and the deletions return the number of ids
given, not yet how many changed). Readers see none of a staged run until its
last commit: what a block writes is marked with its number and keeps the state
before it (``prev_*``), the block is listed as open ``FENCE_SECONDS`` before its
first commit, marked closing as long before its last, and leaves the list with
it; while a block is open readers read marked items as they were (see
:mod:`.cypher`, and :meth:`Neo4jStore._through`). A
relation a staged run moves to other ends is replaced in its last
transaction. A staged run that fails is undone: what it added deleted, what it
changed restored, its change log deleted (:meth:`Neo4jStore._undo`), then its
run is marked failed; one that was killed is undone so by the next command
that writes, once its lease expired or its process is known gone. While a
staged block is open, another process's write block is refused
(RepositoryLockedError, as a second sync of the tag is).

Leases. A run carries its owner (``host/pid/token``) and a lease in the
server's clock, renewed by a thread while the store works; a run killed
before its end is closed as failed ("interrupted") by the next write
transaction (a store looks once a quarter lease) once its lease expired, or
at once if its process was on this machine and is gone (:meth:`Neo4jStore.close_interrupted`). The lock of a
repository tag (:meth:`Neo4jStore.exclusive`, held by ``ea sync`` and ``ea
import``) is a node with owner and lease too.

Isolation. Every node and relationship carries ``repo``, the repository tag
(``store.repository`` in ``ea.yaml``, default ``default``): Neo4j Community has
a single user database, and the tests isolate themselves by tag.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from ..config import REPOSITORY_TAG, neo4j_uri_problem
from ..errors import ConflictError, StoreError, ValidationError
from ..metamodel import Metamodel
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
from ..runtime import checkpoint
from ..timeline import span
from . import cypher as q
from .base import Counts, Expansion, batches, check_kind, latest_by_source, mentions

SCHEMA_VERSION = 2  # 2: elements and relations keep their lifecycle span (since, until)
BATCH = 5000
PAGE = 10_000
NO_LIMIT = 2**62
STAGE_ROWS = 50_000  # rows one transaction takes before a run is staged
STAGE_CHUNK = 20_000  # rows per committed transaction of a staged run
UNDO_BATCH = 20_000  # items per transaction undoing a failed staged run
# Seconds a staged block is listed before its first commit, and marked closing before its
# last: a reader that looked at the list less than that ago need not look again (_through).
FENCE_SECONDS = 1.0
NODE_ID_CACHE = 2_000_000  # node ids of elements a transaction block keeps
DESTRUCTIVE_OPS = frozenset({"retired", "deleted"})
ATTEMPTS = 3  # tries of a read, or of a staged chunk, failing on a transient error
# A lost server ends a command within about RETRY_SECONDS + 2 * CONNECT_SECONDS (under 30 s):
# the driver retries a managed transaction for RETRY_SECONDS, each connection attempt waits
# CONNECT_SECONDS at most, and once the server was lost every further call tries once.
RETRY_SECONDS = 10.0
CONNECT_SECONDS = 5.0
LEASE_SECONDS = 60.0  # a running run's lease and the repository lock's, renewed every quarter
INTERRUPTED = "interrupted: its process ended or lost the server before the run finished"

# The driver logs each retry and lost connection as a warning; the store reports the
# error itself, once, in one line.
logging.getLogger("neo4j").addHandler(logging.NullHandler())
logging.getLogger("neo4j").propagate = False
# Traversal levels one query answers at most (GraphStore.expand), and the largest
# level it expands beyond the first: round trips are most of a small traversal's time.
LOOKAHEAD = 8
LOOKAHEAD_CAP = 2_000

_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_DECODE = json.JSONDecoder().decode
_STATUS = {s.value: s for s in Status}
_RETIRED = Lens(statuses=frozenset({Status.RETIRED}))
_T = TypeVar("_T")

_ABSENT = object()
_new = object.__new__
_set = object.__setattr__


class RepositoryLockedError(StoreError):
    """Another process, on this machine or another, holds the repository tag's lock."""

    exit_code = 4


def _dead(owners: Iterable[str | None]) -> list[str]:
    """The lease owners (``host/pid/token``) that were processes of this machine and are
    gone: their leases need not be waited out."""
    host = socket.gethostname()
    dead = []
    for owner in set(owners):
        parts = (owner or "").split("/")
        if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
            continue
        try:
            os.kill(int(parts[1]), 0)
        except ProcessLookupError:
            dead.append(str(owner))
        except OSError:  # alive, another user's
            continue
    return dead


def _line(exc: BaseException) -> str:
    """A driver's message on one line (some span several)."""
    return " ".join(str(getattr(exc, "message", None) or exc).split())


def _dumps(value: Mapping[str, Any]) -> str:
    return _ENCODE(dict(value)) if value else "{}"


def _run(row: Sequence[Any]) -> Run:
    return Run(row[0], row[1], row[2], row[3], row[4], _attrs(row[5]), row[6])


def _stored(attrs: Mapping[str, Any]) -> str | None:
    """Attributes as stored: JSON text, or None (no property) when there are none."""
    if not attrs:
        return None
    return _ENCODE(attrs if type(attrs) is dict else dict(attrs))


def _plain(text: str | None) -> str | None:
    """Stored attributes as :func:`_stored` gives them (repositories written before
    empty attributes were left out hold ``'{}'``)."""
    return None if text == "{}" else text


def _attrs(text: str | None) -> dict[str, Any]:
    return {} if not text or text == "{}" else _DECODE(text)


def _shown(lens: Lens | None) -> dict[str, Any]:
    """The parameters of the fragments that say what a lens shows (``cypher.shown``,
    ``cypher.shown_with_ends``), for every statement that reads through ``lens``;
    ``None``: every item as stored, for a writer to compare with.

    >>> _shown(CURRENT)
    {'statuses': ['active'], 'status': 'active', 'at': None}
    """
    statuses = sorted(s.value for s in (Status if lens is None else lens.statuses))
    return {
        "statuses": statuses,
        "status": statuses[0] if statuses else None,
        "at": None if lens is None else lens.at,
    }


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _element(row: Sequence[Any]) -> Element:
    return Element(ElementId(row[0]), row[1], row[2], _attrs(row[3]), _STATUS[row[4]])


def _relation(row: Sequence[Any]) -> Relation:
    # Built without the dataclass __init__ (rows carry their id), as traversals make many.
    rel = _new(Relation)
    _set(rel, "src", row[1])
    _set(rel, "type", row[2])
    _set(rel, "dst", row[3])
    _set(rel, "attrs", _attrs(row[4]))
    _set(rel, "status", _STATUS[row[5]])
    _set(rel, "id", row[0])
    return rel


def _default_types(rel_id: str, known: Collection[str]) -> list[str]:
    """The ``known`` types an id of the default form ``src|type|dst`` may name.

    Element ids may hold ``|`` themselves (ServiceNow keys such as
    ``name|class|serial``): every inner part that names a type is one the id
    may be of (``a|x|uses|b|y`` is of ``uses``; ``a|uses|x|flow|b`` of either).
    """
    parts = rel_id.split("|")
    return [t for t in dict.fromkeys(parts[1:-1]) if t in known]


def check_uri(uri: str) -> str:
    """``uri`` if it is a Neo4j URI the driver accepts (bolt://, neo4j://, neo4j+s://...),
    by the pattern the workspace settings are checked with."""
    problem = neo4j_uri_problem(uri)
    if problem is not None:
        raise StoreError(problem[0], hint=problem[1])
    return uri


def server_major(agent: str) -> int | None:
    """The major version in a server agent string (``Neo4j/5.13.0`` → 5), or None."""
    m = re.match(r"^Neo4j/(\d+)\.", agent or "")
    return int(m[1]) if m else None


class Neo4jStore:
    """A repository in a Neo4j 5 database, under one repository tag.

    ``metamodel`` is the workspace's: elements are labelled and relationships
    typed after it, so there is no default. ``password`` is given by the caller
    (from ``EA_NEO4J_PASSWORD``); it is never stored, logged nor shown in errors.
    """

    backend = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str = "neo4j",
        password: str | None = None,
        *,
        metamodel: Metamodel,
        database: str | None = None,
        repository: str = "default",
        stage_rows: int | None = None,
        lease_seconds: float | None = None,
    ) -> None:
        import neo4j
        from neo4j import exceptions as nx

        self._nx = nx
        self.uri = check_uri(uri)
        self.database = database or None
        if not REPOSITORY_TAG.match(repository):
            raise StoreError(
                f"repository tag {repository!r} is not valid",
                hint="use letters, digits, '-' and '_', starting with a letter",
            )
        self.repo = repository
        self.builder = q.CypherBuilder.for_metamodel(metamodel)
        # Neo4j relationship type → metamodel relation type (one to one, see the builder)
        self._rel_names = {v: k for k, v in self.builder.rel_types.items()}
        self._tx: Any = None
        self._tx_session: Any = None
        self._depth = 0
        # Staging (see the module docstring): past ``stage_rows`` rows in one transaction,
        # writes commit in chunks and what retires or deletes waits for the end.
        self.stage_rows = (
            stage_rows
            if stage_rows is not None
            else int(os.environ.get("EA_NEO4J_STAGE_ROWS") or STAGE_ROWS)
        )
        # Leases (see start_run and exclusive): this store's owner name, and what it holds.
        self.owner = f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"
        self.lease_seconds = lease_seconds or LEASE_SECONDS
        self._leased_runs: list[int] = []
        self._checked_at: float | None = None  # when close_interrupted last ran (monotonic)
        self._locked = False
        self._renewer: threading.Thread | None = None
        self._closing = threading.Event()
        self._lost = False  # the server was lost: further calls try once, not for seconds
        self._in_tx = False
        self._staged = False
        self._fenced_until = 0.0  # monotonic time before which the fenced commit waits
        self._tx_rows = 0
        self._destructive = False
        self._deferred: list[Callable[[], Any]] = []
        self._tx_runs: list[int] = []
        # The number of the open transaction block, marked on what it writes (see
        # cypher.keep_visible; None outside one).
        self._wrote: int | None = None
        # What readers last learnt of the staged blocks (open, how many ever opened, closing;
        # cypher.STAGED_STATE) and when they asked (monotonic); None until the first read.
        self._staged_seen: tuple[tuple[tuple[int, ...], int, tuple[int, ...]], float] | None = None
        # Change-log entries of the block, kept until what they describe is written.
        self._log_with_item: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._log_at_end: list[dict[str, Any]] = []
        # A transaction that began on an empty repository knows that only what it wrote
        # itself can exist: a first import skips looking up what it writes (None: unknown).
        self._began_empty: bool | None = None
        self._written: defaultdict[Any, set[str]] = defaultdict(set)
        # Element id → node id (elementId) of the elements the transaction block wrote or
        # looked up: relations find their ends by it (see _node_ids_of).
        self._node_ids: dict[str, str] = {}
        # The READ session of each thread, kept between reads outside transactions.
        self._readers: dict[int, Any] = {}
        self._neo4j = neo4j
        try:
            # Server notifications (e.g. "property not in the database yet" on a fresh
            # repository) would be logged as warnings on every query.
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password or ""),
                user_agent="ea-repo",
                notifications_min_severity="OFF",
                max_transaction_retry_time=RETRY_SECONDS,
                connection_timeout=CONNECT_SECONDS,
                connection_acquisition_timeout=RETRY_SECONDS,
            )
        except (ValueError, nx.ConfigurationError) as exc:
            raise StoreError(f"cannot use the Neo4j URI {uri!r}: {exc}") from exc
        try:
            with self._errors():
                agent = self._driver.get_server_info().agent  # connects (and authenticates)
            major = server_major(agent)
            if major is None or major < 5:
                raise StoreError(
                    f"the Neo4j server at {uri} is {agent or 'of an unknown version'}; "
                    "ea-repo needs Neo4j 5 or later",
                    hint="upgrade the server",
                )
            self.server_agent = agent
            self._setup()
        except BaseException:
            self._driver.close()
            raise

    # -- plumbing -----------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn driver errors into StoreError/ConflictError, naming the server, never the password."""
        nx = self._nx
        try:
            yield
        except nx.AuthError as exc:
            raise StoreError(
                f"the Neo4j server at {self.uri} refused the credentials",
                hint="check EA_NEO4J_USER and EA_NEO4J_PASSWORD",
            ) from exc
        except (nx.ServiceUnavailable, nx.SessionExpired, OSError) as exc:
            self._lost = True
            raise StoreError(
                f"cannot reach the Neo4j server at {self.uri}: {_line(exc)}",
                hint="is it running? check EA_NEO4J_URI (or store.uri in ea.yaml)",
            ) from exc
        except nx.ConstraintError as exc:
            raise ConflictError(f"Neo4j refused a write: {_line(exc)}") from exc
        except nx.Neo4jError as exc:
            memory = "MemoryPoolOutOfMemory" in (exc.code or "")
            raise StoreError(
                f"Neo4j error {exc.code}: {_line(exc)}",
                hint="the write is too large for the server's transaction memory: raise "
                "db.memory.transaction.total.max (or the heap)"
                if memory
                else None,
            ) from exc
        except nx.DriverError as exc:
            raise StoreError(f"Neo4j driver error: {_line(exc)}") from exc

    def _session(self, read: bool = False) -> Any:
        mode = self._neo4j.READ_ACCESS if read else self._neo4j.WRITE_ACCESS
        return self._driver.session(database=self.database, default_access_mode=mode)

    def _send(self, tx: Any, query: str, params: dict[str, Any]) -> Any:
        """``tx.run`` with the parameters every statement may name: the repository tag,
        and the metamodel names of the relationship types (``RELATION_TYPE``)."""
        if "$type_names" in query:
            params["type_names"] = self._rel_names
        if "$wrote" in query:
            params.setdefault("wrote", self._wrote)
        if params.get("hidden"):  # staged blocks are open: the reading statement's staged form
            query = q.staged(query)
        return tx.run(query, repo=self.repo, **params)

    def _through(self, lens: Lens | None, read: Callable[[dict[str, Any]], _T]) -> _T:
        """``read(params)``, a read through ``lens`` given the parameters of the fragments
        that say what it shows (:func:`_shown`) and, while staged blocks are open, their
        numbers (``hidden``: the statements go in their staged form, see :mod:`.cypher`).

        What a reader knows of the open blocks comes from its last look at them. A block
        is listed ``FENCE_SECONDS`` before its first commit and marked closing that long
        before its last, so a read that ends less than that after the look, with no block
        closing, cannot have met a block it did not know of; else the reader looks again,
        and reads again if a block opened or closed meanwhile. With no staged block open
        (nearly always) a read costs the plain statements and, at most once a fence, one
        look. Inside a write transaction every item is read as stored: a writer reads
        what it wrote.
        """
        params = _shown(lens)
        if self._in_tx:
            return read(params)
        state, seen_at = self._staged_seen or self._look_at_staged()
        for _ in range(ATTEMPTS):
            result = read({**params, "hidden": list(state[0])} if state[0] else params)
            if not state[2] and time.monotonic() - seen_at < FENCE_SECONDS:
                break
            now, seen_at = self._look_at_staged()
            if now == state:
                break
            state = now
        return result

    def _read_through(self, lens: Lens | None, work: Callable[[Any, dict[str, Any]], _T]) -> _T:
        """``work(tx, params)`` as a read (:meth:`_read`) through ``lens`` (:meth:`_through`)."""
        return self._through(lens, lambda shown: self._read(lambda tx: work(tx, shown)))

    def _look_at_staged(self) -> tuple[tuple[tuple[int, ...], int, tuple[int, ...]], float]:
        """The staged blocks open, how many ever opened, those closing
        (``cypher.STAGED_STATE``), and when the look was asked for (monotonic)."""
        asked = time.monotonic()
        hidden, opened, closing = self._query(q.STAGED_STATE)
        self._staged_seen = ((tuple(hidden), int(opened), tuple(closing)), asked)
        return self._staged_seen

    def _fence(self, statement: str) -> None:
        """Write ``statement`` of this staged block; the commit it fences (the block's first,
        or its last) waits until ``FENCE_SECONDS`` after it (:meth:`_wait_fence`, see
        :meth:`_through`), the block writing meanwhile. ``CLOSING_STAGED`` is written as
        any write, ``OPEN_STAGED`` in a transaction of its own that does not take the write
        lock (the block's first transaction holds it, and is not committed yet)."""
        if statement == q.OPEN_STAGED:
            with self._errors(), self._session() as session:
                session.execute_write(
                    lambda tx: self._run(tx, statement, wrote=self._wrote, owner=self.owner)
                )
        else:
            self._write(lambda tx: self._run(tx, statement))
        self._fenced_until = time.monotonic() + FENCE_SECONDS

    def _wait_fence(self) -> None:
        """Wait until the fence of the last :meth:`_fence` has passed (at once if it has)."""
        time.sleep(max(0.0, self._fenced_until - time.monotonic()))

    def _lock(self, tx: Any) -> tuple[int, list[int]]:
        """Take the repository's write lock in ``tx`` (``cypher.WRITE_LOCK``): the number of
        the transaction and the staged blocks open. A chunk of a staged block whose block
        was closed meanwhile (its lease expired: it was taken for interrupted and undone)
        writes nothing more."""
        [[number, blocks]] = self._run(tx, q.WRITE_LOCK)
        if self._staged and self._in_tx and self._wrote not in blocks:
            raise StoreError(
                f"the run was closed as interrupted while it wrote (repository {self.repo!r}): "
                "what it wrote was undone",
                hint="its lease expired: was the process paused or cut from the server? "
                "run it again",
            )
        return int(number), blocks

    def _run(self, tx: Any, query: str, **params: Any) -> list[list[Any]]:
        return [list(r.values()) for r in self._send(tx, query, params)]

    def _write(self, work: Callable[[Any], _T]) -> _T:
        """Run ``work(tx)`` in the open transaction, or in its own managed write transaction
        that takes the repository's write lock first."""
        with self._errors():
            if self._tx is not None:
                return work(self._tx)

            def locked(tx: Any) -> _T:
                self._lock(tx)
                return work(tx)

            with self._session() as session:
                if self._lost:  # once, not retried for RETRY_SECONDS
                    with session.begin_transaction() as tx:
                        result = locked(tx)
                        tx.commit()
                        return result
                return session.execute_write(locked)

    def _read(self, work: Callable[[Any], _T]) -> _T:
        """Run ``work(tx)`` in the open transaction (it sees its writes), or as read queries.

        Outside a transaction each query is an auto-commit read transaction of a
        READ session (a cluster routes it to a reader), retried here on transient
        errors: one round trip instead of a managed transaction's two, which is
        most of a traversal level's time. The session is kept for the next read
        of the same thread (a traversal makes one per level): opening one per
        read cost a fifth of a small level's time. A read that fails drops it.
        """
        with self._errors():
            if self._tx is not None:
                return work(self._tx)
            nx = self._nx
            return self._retried(
                self._kept_reader(work),
                (nx.ServiceUnavailable, nx.SessionExpired, nx.TransientError),
            )

    def _kept_reader(self, work: Callable[[Any], _T]) -> Callable[[], _T]:
        """``work`` on this thread's kept READ session (one opened if none); dropped on failure."""

        def attempt() -> _T:
            key = threading.get_ident()
            session = self._readers.pop(key, None) or self._session(read=True)
            try:
                result = work(session)
            except BaseException:
                with suppress(Exception):
                    session.close()
                raise
            self._readers[key] = session
            return result

        return attempt

    def _retried(self, attempt: Callable[[], _T], transient: tuple[type[BaseException], ...]) -> _T:
        """``attempt()``, tried again (up to ``ATTEMPTS`` times, waiting longer each time)
        while it fails with one of the ``transient`` errors; once when the server was lost."""
        for n in range(0 if self._lost else ATTEMPTS - 1):
            try:
                return attempt()
            except transient:
                time.sleep(0.2 * 2**n)
        return attempt()

    def _rows(self, tx: Any, query: str, **params: Any) -> list[Any]:
        """The rows of a query returning ``collect(...)``: one list per record, concatenated."""
        rows: list[Any] = []
        for record in self._send(tx, query, params):
            rows.extend(record[0])
        return rows

    def _pipelined(
        self, tx: Any, statements: Iterable[tuple[str, dict[str, Any], _T]]
    ) -> Iterator[tuple[_T, list[list[Any]]]]:
        """Run ``(query, parameters, tag)`` statements in order; yield each tag with its records.

        Each statement is sent before the records of the one before are read, and
        ``statements`` (lazy) builds the next one while the server runs the last:
        the client's work overlaps the server's instead of adding to it. One result
        at most is left unread, so neither side can wait on the other's full buffer.
        """
        pending: tuple[_T, Any] | None = None
        for query, params, tag in statements:
            result = self._send(tx, query, params)
            if pending is not None:
                yield pending[0], [list(r.values()) for r in pending[1]]
            pending = (tag, result)
        if pending is not None:
            yield pending[0], [list(r.values()) for r in pending[1]]

    def _query(self, query: str, **params: Any) -> list[Any]:
        return self._read(lambda tx: self._rows(tx, query, **params))

    def _setup(self) -> None:
        """Check the schema version; create the indexes and META node only if one is missing.

        Opening an initialised repository only reads (as ``ea show`` or ``ea impact``
        do): on a cluster it needs no leader, and an account that may only read can
        open it.
        """
        with self._errors(), self._session(read=True) as session:
            present = {r["name"] for r in session.run("SHOW INDEXES YIELD name RETURN name")}
            meta = self._run(session, q.META)
        missing = [
            statement
            for statement in self.builder.schema_statements()
            if statement.split()[2] not in present
        ]
        if missing or not meta:
            with self._errors(), self._session() as session:
                for statement in missing:
                    session.run(statement).consume()
                if missing:
                    session.run("CALL db.awaitIndexes(300)").consume()
                if not meta:
                    meta = session.execute_write(
                        lambda tx: self._run(tx, q.INIT_META, version=SCHEMA_VERSION)
                    )
        version = meta[0][0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"repository {self.repo!r} on {self.uri} has schema version {version}; "
                f"this ea-repo knows up to {SCHEMA_VERSION}",
                hint="upgrade ea-repo",
            )
        if version < 2:
            with self._errors(), self._session() as session:
                session.execute_write(self._add_spans)

    def _add_spans(self, tx: Any) -> None:
        """Migration 2: each element and relation written before keeps its lifecycle span
        (:func:`ea_repo.timeline.span` of its attributes), as every upsert now does."""
        for read, write in (
            (q.DATED_ELEMENTS, q.SET_ELEMENT_SPANS),
            (q.DATED_RELATIONS, q.SET_RELATION_SPANS),
        ):
            dated = self._rows(tx, read, marker='"lifecycle_')
            rows = [[key, *span(_attrs(attrs))] for key, attrs in dated]
            for batch in batches(rows, BATCH):
                self._run(tx, write, rows=batch)
        self._run(tx, q.SET_SCHEMA_VERSION, version=2)

    def close(self) -> None:
        """Close the driver (and its connection pool); what this store holds, it releases."""
        self._closing.set()
        if self._locked:
            with suppress(Exception):
                self._release_lock()
        if self._renewer is not None:
            self._renewer.join(timeout=CONNECT_SECONDS)
        readers, self._readers = self._readers, {}
        for session in readers.values():
            with suppress(Exception):
                session.close()
        self._driver.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes that succeed or fail together; re-entrant (inner levels join the outer one).

        One explicit Neo4j transaction, committed at the end or rolled back; it
        first takes the repository's write lock (see ``cypher.WRITE_LOCK``), so
        that another writer waits until it commits (or, staged, until its first
        commit), and closes the runs whose lease expired (looked for once a quarter lease). A transaction that
        grows past ``stage_rows`` rows before anything was retired or deleted
        in it is *staged*: what it wrote so far commits, the rest of its
        additions and changes commit in chunks (managed transactions, retried),
        each with their change log, and every retirement, deletion, retraction,
        whole-source confirmation, their log and the closing of its runs is
        kept aside and applied, in one transaction, only when the block ends
        without error. A staged block that fails is undone (:meth:`_undo`) and
        its unfinished runs are marked failed. Readers see none of a staged
        block before its last commit (see the module docstring).
        """
        if self._in_tx:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._close_interrupted_now_and_then()
        tx, session, wrote = self._begin_block()
        self._tx, self._tx_session, self._depth, self._in_tx = tx, session, 1, True
        self._wrote = wrote
        self._staged, self._tx_rows, self._destructive = False, 0, False
        self._deferred, self._tx_runs = [], []
        self._log_with_item, self._log_at_end = {}, []
        self._began_empty, self._written = None, defaultdict(set)
        self._node_ids = {}
        try:
            yield
        except BaseException:
            if self._tx is not None:
                with suppress(Exception):  # the original error is what matters
                    self._tx.rollback()
                if self._staged:  # listed, its first commit not made: nothing to undo
                    with suppress(Exception):
                        self._end_listing()
            elif self._staged:
                self._end_staged_failure()
            raise
        else:
            if self._tx is not None:
                with self._errors():
                    self._log_rest(self._tx)
                    self._tx.commit()
            else:
                self._apply_deferred()
        finally:
            if self._tx is not None:
                self._tx.close()
            if self._tx_session is not None:
                self._tx_session.close()
            self._tx, self._tx_session, self._depth, self._in_tx = None, None, 0, False
            self._wrote = None
            self._staged, self._deferred = False, []
            self._log_with_item, self._log_at_end = {}, []
            self._leased_runs = [r for r in self._leased_runs if r not in self._tx_runs]
            self._began_empty, self._written = None, defaultdict(set)
            self._node_ids = {}

    def _begin_block(self) -> tuple[Any, Any, int]:
        """The explicit transaction of a block, holding the write lock: (transaction, its
        session, its number). Writers wait while a staged block of another process is
        open: if it was interrupted, it is undone now; else RepositoryLockedError."""
        for attempt in range(2):
            with self._errors():
                session = self._session()
                try:
                    tx = session.begin_transaction()
                    # writers of this repository take turns; the number of this one
                    number, blocks = self._lock(tx)
                except BaseException:
                    session.close()
                    raise
            if not blocks:
                return tx, session, number
            session.close()  # rolls back
            if attempt:
                break
            self.close_interrupted()
        raise RepositoryLockedError(
            f"a staged sync of repository {self.repo!r} on {self.uri} is writing",
            hint="wait for it to finish (`ea status` shows it running); schedulers should "
            "retry later",
        )

    def _may_exist(self, kind: Any, ids: Iterable[str]) -> list[str]:
        """Those of ``ids`` that may already be stored: all of them, unless this transaction
        began on an empty repository — then only those it wrote itself."""
        if not self._in_tx:
            return list(ids)
        if self._began_empty is None:
            self._began_empty = self._read(lambda tx: self._run(tx, q.REPOSITORY_EMPTY))[0][0]
        if not self._began_empty:
            return list(ids)
        written = self._written[kind]
        return [i for i in ids if i in written]

    def _stage(self) -> None:
        """Stage the block now: list it (:meth:`_list_staged`) and commit what it wrote so
        far (:meth:`_commit_staging`)."""
        self._list_staged()
        self._commit_staging()

    def _list_staged(self) -> None:
        """List the block as staged, with the log of the items it wrote so far: from here its
        writes commit in chunks. Its open transaction commits a fence later
        (:meth:`_commit_staging`), with the first chunk, written meanwhile: the fence costs
        no time of its own. Until that commit nothing of the block is committed; if it
        fails, the block is taken off the list (see :meth:`transaction`)."""
        self._staged = True
        with self._errors():
            for kind in ("element", "relation"):
                self._log_items(self._tx, kind, self._written[kind])
            self._run(self._tx, q.MARK_STAGED_RUNS, runs=self._tx_runs)
            # readers see none of the block until its last commit (see cypher)
            self._fence(q.OPEN_STAGED)

    def _commit_staging(self) -> None:
        """The first commit of a staged block, a fence after it was listed; later writes go
        in chunks of their own."""
        self._wait_fence()
        with self._errors():
            self._tx.commit()
        self._tx.close()
        self._tx_session.close()
        self._tx, self._tx_session = None, None
        checkpoint("neo4j.staged")

    def _apply_deferred(self) -> None:
        """Apply what a staged block kept aside in one transaction: its retirements,
        deletions, retractions, their log and the closing of its runs commit together or
        not at all. Until then its runs are not ``succeeded``: a run that is killed
        here is closed as interrupted, and the next run of its source finds still
        asserted what it meant to retract, and does it again."""
        deferred, self._deferred = self._deferred, []
        tx = None
        try:
            checkpoint("neo4j.deferred")
            self._fence(q.CLOSING_STAGED)
            with self._errors():
                self._tx_session = self._session()
                self._tx = tx = self._tx_session.begin_transaction()
                self._lock(tx)  # and the block is still open
            self._staged, self._destructive = False, True  # written in it, never staged again
            with self._errors():
                self._log_rest(tx)
            for work in deferred:
                work()
            with self._errors():
                self._run(tx, q.CLOSE_STAGED)  # what the block wrote is shown from this commit
            checkpoint("neo4j.closing")
            self._wait_fence()
            with self._errors():
                tx.commit()
        except BaseException:
            if tx is not None:
                with suppress(Exception):
                    tx.rollback()
            self._tx = None
            self._end_staged_failure()
            raise
        checkpoint("neo4j.closed")

    def _end_staged_failure(self) -> None:
        """A staged block failed: nothing kept aside is applied, what it wrote is undone
        (:meth:`_undo`) and its open runs say so. If the server cannot be told, their
        leases expire, and the next writer undoes it (see :meth:`close_interrupted`)."""
        self._deferred = []
        wrote, runs = self._wrote, self._tx_runs
        assert wrote is not None

        def close(tx: Any) -> None:
            self._run(
                tx,
                q.FAIL_OPEN_RUNS,
                ids=runs,
                message="stopped part-way: what it wrote was undone",
                at=utc_now(),
            )
            self._run(tx, q.CLOSE_STAGED, wrote=wrote)

        with suppress(Exception):
            self._undo(wrote, runs)
            self._write(close)
        self._leased_runs = []

    def _end_listing(self) -> None:
        """Take this block off the list of staged blocks, in a transaction of its own."""
        with self._errors(), self._session() as session:
            session.execute_write(lambda tx: self._run(tx, q.CLOSE_STAGED, wrote=self._wrote))

    def _undo(self, wrote: int, runs: Sequence[int]) -> None:
        """Undo what staged block ``wrote`` (of runs ``runs``) wrote: what it added deleted,
        what it changed restored from ``prev_*``, its change log deleted (the
        ``cypher.UNDO_*`` statements), ``UNDO_BATCH`` items per transaction. Readers see
        none of it meanwhile (the block is still open), and an undo cut short is made
        again, as the block stays open until its runs are closed."""
        for old_type, new_type, ids in self._retyped(wrote):
            query = self.builder.relabel_elements(old_type, new_type)
            for batch in batches(ids, UNDO_BATCH):
                self._write(
                    lambda tx, s=query, b=batch: self._run(tx, s, ids=b)  # type: ignore[misc]
                )
        for statement in q.UNDO_STATEMENTS:
            while self._write(
                lambda tx, s=statement: self._run(  # type: ignore[misc]
                    tx, s, wrote=wrote, runs=list(runs), limit=UNDO_BATCH
                )
            )[0][0]:
                pass

    def _retyped(self, wrote: int) -> list[tuple[str, str, list[str]]]:
        """The elements whose type staged block ``wrote`` changed, by (type, type before)."""
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for item, now, before in self._query(q.UNDO_RETYPED_ELEMENTS, wrote=wrote):
            groups[(now, before)].append(item)
        return [(now, before, ids) for (now, before), ids in sorted(groups.items())]

    # -- leases: interrupted runs, the repository lock ---------------------------

    def close_interrupted(self) -> int:
        """Close as failed the runs whose lease expired, or whose process, on this machine,
        is gone (killed, or lost the server, before finishing them); returns how many.
        Taking the lock begins with it, and so does a write transaction when this store
        has not run it for a quarter lease (a round trip saved on every other one)."""
        self._checked_at = time.monotonic()
        owners = self._query(q.RUNNING_OWNERS)
        dead = _dead(owners)
        # staged blocks of those runs (or of none still running): undone before they close
        blocks = self._query(q.INTERRUPTED_STAGED, dead=dead, lease=self._lease_ms())
        if not owners and not blocks:
            return 0
        for wrote, runs in blocks:
            self._undo(int(wrote), runs)

        def close(tx: Any) -> int:
            for wrote, _ in blocks:
                self._run(tx, q.CLOSE_STAGED, wrote=wrote)
            rows = self._run(tx, q.CLOSE_EXPIRED_RUNS, dead=dead, message=INTERRUPTED, at=utc_now())
            return int(rows[0][0])

        return self._write(close)

    def _close_interrupted_now_and_then(self) -> None:
        """:meth:`close_interrupted`, unless this store ran it less than a quarter lease ago:
        a lease that expired meanwhile is seen at most that much later."""
        checked = self._checked_at
        if checked is None or time.monotonic() - checked >= self.lease_seconds / 4:
            self.close_interrupted()

    def _lease_ms(self) -> int:
        return int(self.lease_seconds * 1000)

    def _keep_leases(self) -> None:
        """Start the thread that renews this store's leases, once: every quarter lease it
        renews the runs it has open and the lock it holds (when the renewal fails, the
        next one tries again; a process that dies renews nothing)."""
        if self._renewer is not None:
            return

        def renew() -> None:
            while not self._closing.wait(self.lease_seconds / 4):
                runs, locked = list(self._leased_runs), self._locked
                if not runs and not locked:
                    continue
                with suppress(Exception), self._session() as session:
                    params = {"repo": self.repo, "owner": self.owner, "lease": self._lease_ms()}
                    if runs:
                        session.run(q.RENEW_RUNS, ids=runs, **params).consume()
                    if locked:
                        session.run(q.RENEW_LOCK, **params).consume()

        self._renewer = threading.Thread(target=renew, name="ea-neo4j-leases", daemon=True)
        self._renewer.start()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the repository tag's lock on the server: one sync per tag at a time, from
        any machine. Raises :class:`RepositoryLockedError` at once if another holds it.

        The lock is a node with its owner and a lease, renewed while it is held; a lease
        that expired (its holder was killed or lost the server) is taken over.
        """
        if self._locked:
            yield
            return
        self.close_interrupted()
        dead = _dead(self._query(q.LOCK_OWNER))
        [[free, holder, since]] = self._write(
            lambda tx: self._run(
                tx, q.TAKE_LOCK, owner=self.owner, lease=self._lease_ms(), at=utc_now(), dead=dead
            )
        )
        if not free:
            raise RepositoryLockedError(
                f"another sync of repository {self.repo!r} on {self.uri} is running "
                f"(held by {holder} since {since})",
                hint="wait for it to finish; schedulers should retry later",
            )
        self._locked = True
        self._keep_leases()
        try:
            yield
        finally:
            self._locked = False
            with suppress(Exception):
                self._release_lock()

    def _release_lock(self) -> None:
        self._locked = False
        self._write(lambda tx: self._run(tx, q.RELEASE_LOCK, owner=self.owner))

    def _bulk(
        self, work: Callable[[Any, list[_T]], int], rows: list[_T], keyed: bool = False
    ) -> int:
        """Write ``rows`` with ``work(tx, chunk)``: in the open transaction, in chunks when the
        transaction is staged (or becomes so now), else in one managed transaction.

        ``keyed``: each row begins with the id of what it writes, and no row reads what
        a row of another id writes: when the ids are all different,
        a staged write overlaps each chunk's commit with the next chunk (:meth:`_chunked`).

        Node ids kept (see :meth:`_node_ids_of`) last for a transaction block, or
        for this one write outside any.
        """
        if not rows:
            return 0
        try:
            if self._tx is not None and not self._staged:
                if self._destructive or self._tx_rows + len(rows) <= self.stage_rows:
                    self._tx_rows += len(rows)
                    return self._write(lambda tx: work(tx, rows))
                self._list_staged()
            if not self._staged:
                return self._write(lambda tx: work(tx, rows))
            done = 0
            if self._tx is not None:  # the first chunk goes with the block's first commit
                first, rows = rows[:STAGE_CHUNK], rows[STAGE_CHUNK:]
                done = self._write(lambda tx: work(tx, first))
                self._commit_staging()
            if keyed and len({row[0] for row in rows}) == len(rows):  # type: ignore[index]
                return done + self._chunked(work, rows)
            for chunk in batches(rows, STAGE_CHUNK):
                done += self._write(lambda tx, c=chunk: work(tx, c))  # type: ignore[misc]
                checkpoint("neo4j.chunk")
            return done
        finally:
            if not self._in_tx:
                self._node_ids.clear()

    def _chunked(self, work: Callable[[Any, list[_T]], int], rows: list[_T]) -> int:
        """Write ``rows`` in transactions of ``STAGE_CHUNK`` rows, each committing while the
        next one is written.

        A commit is most of a chunk's time in the server (the changes are applied
        to the store and its indexes then) and the client has nothing to do
        meanwhile: the next chunk is written in a second transaction instead. At
        most two are open; a chunk's commit is waited for before the next one's
        begins, and a chunk does not see what the one before it wrote: the caller
        (:meth:`_bulk`) sends only rows of different ids. The next chunk may wait
        for locks the committing one holds, never the other way round. A chunk
        whose work meets a transient error (a lock
        taken by another writer) is written again, as a managed transaction
        would be; a commit that fails ends the write with its error.
        """
        done = 0
        committing: Future[None] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ea-neo4j-commit") as pool:
            try:
                for chunk in batches(rows, STAGE_CHUNK):
                    tx, session, written = self._written_chunk(work, chunk)
                    done += written
                    if committing is not None:
                        committing.result()
                        checkpoint("neo4j.chunk")
                    committing = pool.submit(self._commit, tx, session)
                if committing is not None:
                    committing.result()
                    checkpoint("neo4j.chunk")
            except BaseException:
                if committing is not None:
                    with suppress(BaseException):  # the first error is the one to tell
                        committing.result()
                raise
        return done

    def _written_chunk(
        self, work: Callable[[Any, list[_T]], int], chunk: list[_T]
    ) -> tuple[Any, Any, int]:
        """``work(tx, chunk)`` in a new transaction left open: (transaction, its session, result)."""

        def attempt() -> tuple[Any, Any, int]:
            session = self._session()
            try:
                tx = session.begin_transaction()
                written = work(tx, chunk)
                # the write lock last: the chunk before may be committing meanwhile
                self._lock(tx)
                return tx, session, written
            except BaseException:
                with suppress(Exception):
                    session.close()  # rolls the transaction back
                raise

        with self._errors():
            return self._retried(attempt, (self._nx.TransientError,))

    def _commit(self, tx: Any, session: Any) -> None:
        try:
            with self._errors():
                tx.commit()
        finally:
            session.close()

    def _later(self, work: Callable[[Any], int]) -> None:
        """A write over a whole source: kept aside until a staged block succeeds, else now."""
        if self._staged and self._in_tx:
            self._deferred.append(lambda: self._write(work))
        else:
            self._write(work)

    def _destroy(self, work: Callable[[Any], int], estimate: int) -> int:
        """A write that retires, deletes or finishes: kept aside until a staged block succeeds,
        else written now; returns what ``work`` returns, or ``estimate`` when kept aside.

        Counting what a kept-aside write will change would take a read now, and still
        be wrong when earlier kept-aside writes of the block touch the same items; the
        sync engine, the only writer of staged runs, does not use these counts.
        """
        if self._staged and self._in_tx:
            self._deferred.append(lambda: self._write(work))
            return estimate
        if self._tx is not None:
            self._destructive = True
        return self._write(work)

    def schema_version(self) -> int:
        """The storage schema version of this repository."""
        rows = self._read(lambda tx: self._run(tx, q.META))
        return int(rows[0][0]) if rows else 0

    # -- elements and relations ---------------------------------------------

    def _label_of(self, element: Element) -> str:
        if element.type not in self.builder.labels:
            raise ValidationError(
                f"element {element.id!r}: type {element.type!r} is not in the metamodel",
                hint="the Neo4j backend labels elements by their metamodel type",
            )
        return element.type

    def upsert_elements(self, elements: Iterable[Element]) -> int:
        """Insert new elements, update changed ones (relabelled if their type changed)."""
        # [id, name, attrs, status, type]; a statement's row is [id, name, name_cf, attrs as
        # stored, status] (lists: less to encode than maps), built batch by batch while the
        # server runs the batch before (see _pipelined).
        rows = [[e.id, e.name, e.attrs, e.status._value_, self._label_of(e)] for e in elements]

        def stored(batch: list[list[Any]]) -> list[list[Any]]:
            return [[r[0], r[1], r[1].casefold(), _stored(r[2]), r[3], *span(r[2])] for r in batch]

        def work(tx: Any, chunk: list[list[Any]]) -> int:
            now = utc_now()
            wanted = {row[0]: row for row in chunk}  # the last of duplicate ids wins
            stored_rows = _shown(None)
            current: dict[str, list[Any]] = {}
            for ids in batches(self._may_exist("element", wanted), BATCH):
                for r in self._rows(tx, q.ELEMENTS_BY_ID, ids=ids, **stored_rows):
                    current[r[0]] = r
            fresh: dict[str, list[list[Any]]] = defaultdict(list)
            changed: dict[tuple[str, str], list[list[Any]]] = defaultdict(list)
            for i, row in wanted.items():
                old = current.get(i)
                if old is None:
                    fresh[row[4]].append(row)
                elif [old[1], old[2], _plain(old[3]), old[4]] != [
                    row[4],
                    row[1],
                    _stored(row[2]),
                    row[3],
                ]:
                    changed[(old[1], row[4])].append(row)
            creates = (
                (
                    self.builder.create_elements(t),
                    {"rows": stored(batch), "type": t, "now": now},
                    None,
                )
                for t, group in sorted(fresh.items())
                for batch in batches(group, BATCH)
            )
            for _, records in self._pipelined(tx, creates):
                self._remember(records[0][0])
            for (old_type, new_type), group in sorted(changed.items()):
                query = self.builder.update_elements(old_type, new_type)
                for batch in batches(group, BATCH):
                    self._run(tx, query, rows=stored(batch), type=new_type, now=now)
            self._written["element"].update(wanted)
            if self._staged:
                self._log_items(tx, "element", wanted)
            return len(chunk)

        return self._bulk(work, rows, keyed=True)

    def _remember(self, pairs: Iterable[Sequence[str]]) -> None:
        """Keep the node ids of elements (see :meth:`_node_ids_of`), up to ``NODE_ID_CACHE``."""
        if len(self._node_ids) < NODE_ID_CACHE:
            self._node_ids.update(pairs)  # type: ignore[arg-type]

    def _node_ids_of(self, tx: Any, ids: Collection[str]) -> dict[str, str]:
        """The node ids (``elementId``) of the elements ``ids``, those that exist.

        Kept for the rest of the transaction block (written or looked up in it):
        a first import links the elements it has just created without looking
        them up again. A cached node id is only a shortcut: the statement that
        uses it checks that the node is still that element.
        """
        known = self._node_ids
        missing = [i for i in ids if i not in known]
        for batch in batches(missing, 20_000):
            self._remember(self._rows(tx, q.NODE_IDS, ids=batch))
        found = {i: known[i] for i in ids if i in known}
        if len(found) < len(ids):  # more than the cache holds: looked up again, uncached
            for batch in batches([i for i in ids if i not in found], 20_000):
                found.update(self._rows(tx, q.NODE_IDS, ids=batch))
        return found

    def _relation_rows(self, tx: Any, ids: list[str], shown: dict[str, Any]) -> list[list[Any]]:
        """Rows of the relations among ``ids`` that ``shown`` (:func:`_shown`) shows, each
        looked up in its own type's index.

        An id of the default form ``src|type|dst`` names its type (or, when
        element ids hold ``|`` too, the few it may be of: each is looked in). A
        relation given its own id by a source has a ``:EaRelKey`` node saying its
        type; ids not found under the types their form names are looked up there.
        """
        known = self.builder.rel_types
        by_type: dict[str, list[str]] = defaultdict(list)
        for i in ids:
            for t in _default_types(i, known):
                by_type[t].append(i)
        rows: list[list[Any]] = []
        for t, group in sorted(by_type.items()):
            for batch in batches(group, 20_000):
                rows.extend(self._rows(tx, self.builder.relations_by_id(t), ids=batch, **shown))
        found = {r[0] for r in rows}
        # Ids of the default form not found under their type are looked up among the keys
        # only if a source ever gave a relation such an id (flagged then; rare).
        look = (
            [i for i in ids if i not in found]
            if self._run(tx, q.META)[0][1]
            else [i for i in ids if i not in found and not _default_types(i, known)]
        )
        keyed: dict[str, list[str]] = defaultdict(list)
        for batch in batches(look, 20_000):
            for rid, rtype in self._rows(tx, q.REL_KEYS, ids=batch):
                if rtype in self.builder.rel_types:
                    keyed[rtype].append(rid)
        for t, group in sorted(keyed.items()):
            rows.extend(self._rows(tx, self.builder.relations_by_id(t), ids=group, **shown))
        return rows

    def upsert_relations(self, relations: Iterable[Relation]) -> int:
        """Insert or replace relations; a missing end raises ConflictError (nothing written)."""
        # [id, src, type, dst, attrs, status]; attributes are encoded batch by batch while
        # the server runs the batch before (see _pipelined)
        rows: list[list[Any]] = []
        known = self.builder.rel_types
        for r in relations:
            if r.type not in known:
                raise ValidationError(
                    f"relation {r.id!r}: type {r.type!r} is not in the metamodel",
                    hint="the Neo4j backend types relationships after the metamodel",
                )
            rows.append([r.id, r.src, r.type, r.dst, r.attrs, r.status._value_])

        def work(tx: Any, chunk: list[list[Any]]) -> int:
            now = utc_now()
            wanted = {row[0]: row for row in chunk}  # the last of duplicate ids wins
            # a source gave the relation its own id: a key node records its type
            keys = {i: row[2] for i, row in wanted.items() if i != f"{row[1]}|{row[2]}|{row[3]}"}
            if any(_default_types(k, self.builder.rel_types) for k in keys):
                self._run(tx, q.FLAG_TRICKY_KEYS)
            known_keys = set(self._may_exist("relkey", keys))
            for statement, pairs in (
                (q.SET_REL_KEYS, [[k, t] for k, t in keys.items() if k in known_keys]),
                (q.CREATE_REL_KEYS, [[k, t] for k, t in keys.items() if k not in known_keys]),
            ):
                for batch in batches(pairs, BATCH):
                    self._run(tx, statement, rows=batch)
            self._written["relkey"].update(keys)
            maybe = self._may_exist("relation", wanted)
            current = (
                {r[0]: r for r in self._relation_rows(tx, maybe, _shown(None))} if maybe else {}
            )
            fresh: dict[str, list[list[Any]]] = defaultdict(list)
            changed: dict[str, list[list[Any]]] = defaultdict(list)
            moved: dict[str, list[str]] = defaultdict(list)
            for i, row in wanted.items():
                old = current.get(i)
                if old is None:
                    fresh[row[2]].append(row)
                elif [old[1], old[2], old[3]] != [row[1], row[2], row[3]]:
                    moved[old[2]].append(i)  # other ends or type: replaced
                    fresh[row[2]].append(row)
                elif [_plain(old[4]), old[5]] != [_stored(row[4]), row[5]]:
                    changed[row[2]].append([i, _stored(row[4]), row[5], *span(row[4])])
            ends = {x for group in fresh.values() for row in group for x in (row[1], row[3])}
            nodes = self._node_ids_of(tx, ends)
            if len(nodes) < len(ends):
                self._missing_ends(sorted(ends - nodes.keys()))
            for type_name, ids in sorted(moved.items()):
                if self._staged:  # the old one goes with the last transaction (see cypher)
                    gone = self.builder.delete_relations(type_name, unwritten=True)
                    wrote = self._wrote
                    self._deferred.append(
                        lambda g=gone, i=ids, w=wrote: self._write(  # type: ignore[misc]
                            lambda t: self._run(t, g, ids=i, wrote=w)
                        )
                    )
                else:
                    self._run(tx, self.builder.delete_relations(type_name), ids=ids)
            creates = (
                (
                    self.builder.create_relations(t),
                    {
                        "rows": [
                            [
                                nodes[row[1]],
                                row[1],
                                nodes[row[3]],
                                row[3],
                                row[0],
                                _stored(row[4]),
                                row[5],
                                *span(row[4]),
                            ]
                            for row in batch
                        ],
                        "type": t,
                        "now": now,
                    },
                    batch,
                )
                for t, group in sorted(fresh.items())
                for batch in batches(group, BATCH)
            )
            for batch, records in self._pipelined(tx, creates):
                if records[0][0] != len(batch):  # an end was deleted since it was looked up
                    self._node_ids.clear()
                    ends = {x for row in batch for x in (row[1], row[3])}
                    found = self._rows(tx, q.NODE_IDS, ids=list(ends))
                    self._missing_ends(sorted(ends - {pair[0] for pair in found}))
            for type_name, group in sorted(changed.items()):
                query = self.builder.update_relations(type_name)
                for batch in batches(group, BATCH):
                    self._run(tx, query, rows=batch, now=now)
            self._written["relation"].update(wanted)
            if self._staged:
                self._log_items(tx, "relation", wanted)
            return len(chunk)

        return self._bulk(work, rows, keyed=True)

    @staticmethod
    def _missing_ends(missing: list[str]) -> None:
        raise ConflictError(
            "a relation names an element that does not exist"
            + (f" ({', '.join(missing[:5])})" if missing else ""),
            hint="add both ends before linking them",
        )

    def get_elements(self, ids: Iterable[str], lens: Lens = CURRENT) -> dict[str, Element]:
        """Elements by id, as the lens shows them."""
        wanted = _unique(ids)

        def work(tx: Any, shown: dict[str, Any]) -> dict[str, Element]:
            found: dict[str, Element] = {}
            for batch in batches(wanted, 20_000):
                for row in self._rows(tx, q.ELEMENTS_BY_ID, ids=batch, **shown):
                    found[row[0]] = _element(row)
            return found

        return self._read_through(lens, work) if wanted else {}

    def get_relations(self, ids: Iterable[str], lens: Lens = CURRENT) -> dict[str, Relation]:
        """Relations by id, as the lens shows them."""
        wanted = _unique(ids)
        if not wanted:
            return {}
        rows = self._read_through(lens, lambda tx, shown: self._relation_rows(tx, wanted, shown))
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
        """Elements matching every criterion given, ordered by id.

        Types and status are matched in Cypher; attribute equality and text
        (case-insensitive substring of id, name or any attribute value) on the
        decoded attributes, as they are one JSON property.
        """
        for key in attrs or {}:
            if not IDENTIFIER.match(key):
                raise ValueError(f"attribute name {key!r} is not an identifier")
        if types is not None:
            labelled = [t for t in _unique(types) if t in self.builder.labels]
            query = self.builder.elements_of_types(labelled)
            rows: Iterable[list[Any]] = (
                self._through(lens, lambda shown: self._query(query, **shown)) if labelled else []
            )
            rows = sorted(rows, key=lambda r: r[0])
        else:
            rows = self._pages(lens)
        needle = text or None
        found: list[Element] = []
        for row in rows:
            element = _element(row)
            if attrs and any(element.attrs.get(k, _ABSENT) != v for k, v in attrs.items()):
                continue
            if needle is not None and not mentions(element, needle):
                continue
            found.append(element)
            if limit is not None and len(found) >= limit:
                break
        return found

    def relations_of(
        self, ids: Iterable[str], lens: Lens = CURRENT, types: Iterable[str] | None = None
    ) -> list[Relation]:
        """Relations touching ``ids`` in either direction, ends visible through the lens."""
        wanted = _unique(ids)
        type_list = None if types is None else _unique(types)

        def work(tx: Any, shown: dict[str, Any]) -> list[Relation]:
            found: dict[str, Relation] = {}
            for batch in batches(wanted, 20_000):
                for row in self._rows(tx, q.RELATIONS_OF, ids=batch, types=type_list, **shown):
                    found[row[0]] = _relation(row)
            return [found[k] for k in sorted(found)]

        return self._read_through(lens, work) if wanted else []

    def neighbors(
        self,
        ids: Iterable[str],
        steps: Sequence[Step],
        lens: Lens = CURRENT,
        exclude: Collection[str] = (),
    ) -> list[Hop]:
        """One level of expansion: one query for every step, both directions at once."""
        out_types, in_types = self._step_types(steps)
        wanted, st = _unique(ids), _shown(lens)["statuses"]
        if not wanted or not (out_types or in_types) or not st:
            return []
        query = self.builder.neighbors(out_types, in_types, one_status=len(st) == 1)
        rows = self._read_through(
            lens, lambda tx, shown: self._rows(tx, query, ids=wanted, **shown)
        )
        return self._hops(rows, exclude, st)

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
        """Up to ``levels`` levels (at most ``LOOKAHEAD``) in one query: a round trip each saved.

        A level past ``LOOKAHEAD_CAP`` elements is left to the caller: a level that
        large costs more in the server than its round trip, and the elements it
        reaches may never be wanted. An element the query expanded twice (reached
        again at a later level) counts once, its hops from the first time. The
        elements of ``ids`` the lens shows come with the answer.
        """
        wanted, st = _unique(ids), _shown(lens)["statuses"]
        depth = LOOKAHEAD if levels is None else max(1, min(levels, LOOKAHEAD))
        out_types, in_types = self._step_types(steps)
        if depth == 1 or not wanted or not (out_types or in_types) or not st:
            return Expansion(self.neighbors(wanted, steps, lens, exclude), frozenset(wanted))
        query = self.builder.expand(out_types, in_types, depth, one_status=len(st) == 1)
        stops = [self.builder.rel_types[t] for t in stop if t in self.builder.rel_types]

        [[hop_levels, expanded, asked]] = self._read_through(
            lens,
            lambda tx, shown: self._run(
                tx, query, ids=wanted, stop=stops, cap=LOOKAHEAD_CAP, **shown
            ),
        )
        origins: set[str] = set(wanted)
        hops: list[Hop] = []
        elements = {row[0]: _element(row) for row in asked}
        for level, (rows, level_ids) in enumerate(zip(hop_levels, expanded, strict=True)):
            if level:
                # Rows of an element an earlier level expanded already are left out.
                new = set(level_ids) - origins
                rows = [row for row in rows if row[0] in new]
                origins |= new
            hops += self._hops(rows, exclude, st, elements)
        return Expansion(hops, frozenset(origins), elements)

    def _step_types(self, steps: Sequence[Step]) -> tuple[list[str], list[str]]:
        """The relation types of ``steps`` followed out, and those followed in (stored ones only)."""
        known = self.builder.rel_types
        out_types = sorted({s.relation_type for s in steps if s.direction is Direction.OUT})
        in_types = sorted({s.relation_type for s in steps if s.direction is Direction.IN})
        return [t for t in out_types if t in known], [t for t in in_types if t in known]

    def _hops(
        self,
        rows: list[Any],
        exclude: Collection[str],
        statuses: list[str],
        far_ends: dict[str, Element] | None = None,
    ) -> list[Hop]:
        """Hops from the rows of :meth:`CypherBuilder.neighbors`, but those into ``exclude``.

        ``far_ends``: the rows end with the element reached (:meth:`CypherBuilder.expand`);
        each is added there.
        """
        names = self._rel_names
        only = _STATUS[statuses[0]]
        one_status = len(statuses) == 1
        at = 6 if one_status else 7  # where the element reached begins in a row
        hops: list[Hop] = []
        for row in rows:
            far = row[3]
            if far in exclude:
                continue
            if far_ends is not None and far not in far_ends:
                status = statuses[0] if one_status else row[at + 3]
                far_ends[far] = _element((far, row[at], row[at + 1], row[at + 2], status))
            origin = row[0]
            rel = _new(Relation)
            hop = _new(Hop)
            if row[5] == 0:
                _set(rel, "src", origin)
                _set(rel, "dst", far)
                _set(hop, "direction", Direction.OUT)
            else:
                _set(rel, "src", far)
                _set(rel, "dst", origin)
                _set(hop, "direction", Direction.IN)
            _set(rel, "type", names[row[2]])
            _set(rel, "attrs", _attrs(row[4]))
            _set(rel, "status", only if one_status else _STATUS[row[6]])
            _set(rel, "id", row[1])
            _set(hop, "origin", origin)
            _set(hop, "relation", rel)
            _set(hop, "target", far)
            hops.append(hop)
        return hops

    def _pages(self, lens: Lens) -> Iterator[list[Any]]:
        """Every element ``lens`` shows, ordered by id, a page per read (a page is read at
        one state, the next one perhaps at another)."""
        after = ""
        while True:
            rows = self._through(
                lens,
                lambda shown, a=after: self._query(  # type: ignore[misc]
                    q.ELEMENTS_PAGE, after=a, limit=PAGE, **shown
                ),
            )
            yield from rows
            if len(rows) < PAGE:
                return
            after = rows[-1][0]

    def iter_elements(self, lens: Lens = CURRENT) -> Iterator[Element]:
        """Every visible element, ordered by id (read a page at a time)."""
        for row in self._pages(lens):
            yield _element(row)

    def iter_relations(self, lens: Lens = CURRENT) -> Iterator[Relation]:
        """Every visible relation whose ends are visible, ordered by id."""
        for row in self._through(lens, lambda shown: self._query(q.RELATIONS_ALL, **shown)):
            yield _relation(row)

    def set_status(self, kind: str, ids: Iterable[str], status: Status) -> int:
        """Change the status of elements or relations; returns how many changed.

        In a staged transaction the change waits for the end of the block (see the
        module docstring) and the count is not known yet: it returns the number of
        distinct ids given, an upper bound.
        """
        wanted = _unique(ids)
        if not wanted:
            return 0

        def work(tx: Any) -> int:
            now = utc_now()
            count = 0
            if check_kind(kind) == "element":
                for batch in batches(wanted, 20_000):
                    count += self._run(
                        tx, q.SET_ELEMENT_STATUS, ids=batch, status=status.value, now=now
                    )[0][0]
                return count
            for type_name, group in self._locate(tx, wanted).items():
                count += self._run(
                    tx,
                    self.builder.set_relation_status(type_name),
                    ids=group,
                    status=status.value,
                    now=now,
                )[0][0]
            return count

        return self._destroy(work, len(wanted))

    def _locate(self, tx: Any, ids: list[str]) -> dict[str, list[str]]:
        """The existing relations among ``ids``, grouped by type."""
        groups: dict[str, list[str]] = defaultdict(list)
        for row in self._relation_rows(tx, ids, _shown(None)):
            groups[row[2]].append(row[0])
        return groups

    def delete_elements(self, ids: Iterable[str]) -> int:
        """Delete elements with every relationship touching them; returns how many.

        In a staged transaction: the number of distinct ids given (an upper bound),
        as the deletion waits for the end of the block.
        """
        wanted = _unique(ids)

        def work(tx: Any) -> int:
            count = 0
            self._node_ids.clear()  # node ids of deleted nodes may be reused
            for batch in batches(wanted, 10_000):
                doomed = self._rows(tx, q.RELATION_IDS_OF_ELEMENTS, ids=batch)
                for keys in batches(doomed, 20_000):
                    self._run(tx, q.DELETE_REL_KEYS, ids=keys)
                count += self._run(tx, q.DELETE_ELEMENTS, ids=batch)[0][0]
            return count

        return self._destroy(work, len(wanted)) if wanted else 0

    def delete_relations(self, ids: Iterable[str]) -> int:
        """Delete relations by id; returns how many.

        In a staged transaction: the number of distinct ids given (an upper bound),
        as the deletion waits for the end of the block.
        """
        wanted = _unique(ids)

        def work(tx: Any) -> int:
            count = sum(
                self._run(tx, self.builder.delete_relations(t), ids=group)[0][0]
                for t, group in self._locate(tx, wanted).items()
            )
            for batch in batches(wanted, 20_000):
                self._run(tx, q.DELETE_REL_KEYS, ids=batch)
            return count

        return self._destroy(work, len(wanted)) if wanted else 0

    def counts(self, lens: Lens = CURRENT) -> Counts:
        """Per-type counts of visible elements and relations."""

        def work(tx: Any, shown: dict[str, Any]) -> Counts:
            elements = {r[0]: r[1] for r in self._run(tx, q.COUNT_ELEMENTS, **shown)}
            relations = {r[0]: r[1] for r in self._run(tx, q.COUNT_RELATIONS, **shown)}
            return Counts(elements, relations)

        return self._read_through(lens, work)

    def retired_counts(self) -> tuple[int, int]:
        """How many elements and relations are retired, in one statement."""

        def work(tx: Any, shown: dict[str, Any]) -> tuple[int, int]:
            ((elements, relations),) = self._run(
                tx, q.RETIRED_COUNTS, retired=Status.RETIRED.value, **shown
            )
            return int(elements), int(relations)

        return self._read_through(None, work)

    def stranded_relations(self) -> list[Relation]:
        """The active relations one of whose ends is retired, by id."""

        def work(tx: Any, shown: dict[str, Any]) -> list[Relation]:
            rows = self._rows(tx, q.STRANDED_RELATIONS, retired=Status.RETIRED.value, **shown)
            return [_relation(row) for row in rows]

        return self._read_through(None, work)

    # -- runs, provenance, change log -----------------------------------------

    def start_run(self, source: str, at: str | None = None) -> Run:
        """Open a run of ``source``; run ids count up per repository."""
        started = at or utc_now()
        run_id = self._write(
            lambda tx: self._run(
                tx, q.START_RUN, source=source, at=started, owner=self.owner, lease=self._lease_ms()
            )
        )[0][0]
        if self._in_tx:
            self._tx_runs.append(int(run_id))
        self._leased_runs.append(int(run_id))
        self._keep_leases()
        return Run(int(run_id), source, started, None, "running")

    def finish_run(
        self,
        run_id: int,
        status: str,
        stats: Mapping[str, Any] | None = None,
        message: str | None = None,
        at: str | None = None,
    ) -> None:
        """Close a run (in a staged transaction: once everything kept aside is applied)."""
        finished = at or utc_now()

        def work(tx: Any) -> int:
            with suppress(ValueError):
                self._leased_runs.remove(run_id)
            self._run(
                tx,
                q.FINISH_RUN,
                id=run_id,
                status=status,
                stats=_dumps(stats or {}),
                message=message,
                at=finished,
            )
            return 1

        self._destroy(work, 1)

    def runs(
        self,
        source: str | None = None,
        limit: int | None = None,
        *,
        status: str | None = None,
        after: int | None = None,
    ) -> list[Run]:
        """Runs, newest first, filtered by source, status and ``id > after``."""
        rows = self._query(
            q.RUNS,
            source=source,
            status=status,
            after=after,
            limit=NO_LIMIT if limit is None else int(limit),
        )
        return [_run(r) for r in rows]

    def latest_runs(self) -> dict[str, tuple[Run, Run | None]]:
        """Per source, its latest run and its latest successful one."""
        return latest_by_source(map(_run, self._query(q.LATEST_RUNS, succeeded="succeeded")))

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
        """Stamp items as asserted by ``source`` in ``run_id``, with what it asserted and the
        digest of the record that asserted it."""
        check_kind(kind)
        seen = at or utc_now()
        values = values or {}
        digests = digests or {}
        rows = [
            {"id": i, "asserted": _dumps(values.get(i) or {}), "digest": digests.get(i)}
            for i in _unique(ids)
        ]

        def work(tx: Any, chunk: list[dict[str, str | None]]) -> int:
            key = ("assertion", source, kind)
            for batch in batches(chunk, BATCH):
                maybe = set(self._may_exist(key, (str(row["id"]) for row in batch)))
                fresh = [row for row in batch if row["id"] not in maybe]
                known = [row for row in batch if row["id"] in maybe]
                params = {"source": source, "kind": kind, "run": run_id, "at": seen}
                if fresh:
                    self._run(tx, q.CREATE_ASSERTIONS, rows=fresh, **params)
                if known:
                    self._run(tx, q.RECORD_ASSERTIONS, rows=known, **params)
                self._written[key].update(str(row["id"]) for row in batch)
            return len(chunk)

        self._bulk(work, rows)

    def asserted_values(
        self, source: str, kind: str, ids: Iterable[str]
    ) -> dict[str, dict[str, Any]]:
        """What ``source`` last asserted about each of ``ids`` (those it asserts)."""
        check_kind(kind)
        wanted = _unique(ids)

        def work(tx: Any) -> dict[str, dict[str, Any]]:
            found: dict[str, dict[str, Any]] = {}
            for batch in batches(wanted, 20_000):
                for row in self._rows(tx, q.ASSERTED_VALUES, ids=batch, source=source, kind=kind):
                    found[row[0]] = _attrs(row[1])
            return found

        return self._read(work) if wanted else {}

    def touch_assertions(
        self,
        run_id: int,
        source: str,
        kind: str,
        ids: Iterable[str] | None,
        at: str | None = None,
    ) -> None:
        """Mark items ``source`` asserts again, unchanged, as last seen in ``run_id``;
        ``ids=None``: every item of ``kind`` it asserts (in a staged transaction, at its end)."""
        check_kind(kind)
        seen = at or utc_now()
        if ids is None:

            def every(tx: Any) -> int:
                self._run(tx, q.TOUCH_ALL_ASSERTIONS, source=source, kind=kind, run=run_id, at=seen)
                return 0

            self._later(every)
            return
        wanted = _unique(ids)

        def work(tx: Any, chunk: list[str]) -> int:
            for batch in batches(chunk, 20_000):
                self._run(
                    tx, q.TOUCH_ASSERTIONS, ids=batch, source=source, kind=kind, run=run_id, at=seen
                )
            return len(chunk)

        self._bulk(work, wanted)

    def inactive(self, kind: str, ids: Iterable[str]) -> set[str]:
        """Those of ``ids`` that exist and are not active."""
        wanted = _unique(ids)
        if not wanted:
            return set()
        if check_kind(kind) == "element":
            return set(self._query(q.INACTIVE_ELEMENTS, ids=wanted))
        rows = self._read(lambda tx: self._relation_rows(tx, wanted, _shown(_RETIRED)))
        return {r[0] for r in rows}

    def record_digests(self, source: str) -> dict[str, tuple[str, str]]:
        """Digest → (kind, item id) of the records ``source`` asserted in its last full run."""
        return {r[0]: (r[1], r[2]) for r in self._query(q.RECORD_DIGESTS, source=source)}

    def drop_assertions(self, kind: str, ids: Iterable[str]) -> None:
        """Forget every source's assertions of these items (they were deleted)."""
        check_kind(kind)
        wanted = _unique(ids)

        def work(tx: Any) -> int:
            for batch in batches(wanted, 20_000):
                self._run(tx, q.DROP_ASSERTIONS, ids=batch, kind=kind)
            return len(wanted)

        if wanted:
            self._destroy(work, len(wanted))

    def elements_named(
        self, names: Iterable[str], lens: Lens = CURRENT
    ) -> dict[str, list[Element]]:
        """Elements whose name equals one of ``names`` (ignoring case), keyed by casefolded name."""
        wanted = _unique(n.casefold() for n in names)

        def work(tx: Any, shown: dict[str, Any]) -> dict[str, list[Element]]:
            found: dict[str, list[Element]] = {}
            for batch in batches(wanted, 20_000):
                for row in self._rows(tx, q.ELEMENTS_NAMED, names=batch, **shown):
                    found.setdefault(row[2].casefold(), []).append(_element(row))
            return found

        return self._read_through(lens, work) if wanted else {}

    def retract_assertions(self, source: str, kind: str, ids: Iterable[str]) -> None:
        """Forget that ``source`` asserts these items."""
        check_kind(kind)
        wanted = _unique(ids)

        def work(tx: Any) -> int:
            for batch in batches(wanted, 20_000):
                self._run(tx, q.RETRACT_ASSERTIONS, ids=batch, source=source, kind=kind)
            return len(wanted)

        if wanted:
            self._destroy(work, len(wanted))

    def assertions(self, kind: str, ids: Iterable[str]) -> list[Assertion]:
        """Provenance of the given items, ordered by item and source."""
        check_kind(kind)
        wanted = _unique(ids)
        if not wanted:
            return []
        rows = self._through(
            None, lambda shown: self._query(q.ASSERTIONS, ids=wanted, kind=kind, **shown)
        )
        return [Assertion(*row) for row in rows]

    def asserted_ids(self, source: str, kind: str) -> set[str]:
        """Items of ``kind`` that ``source`` asserts."""
        check_kind(kind)
        return set(self._query(q.ASSERTED_IDS, source=source, kind=kind))

    def count_asserted(self, source: str, kind: str) -> int:
        """How many items of ``kind`` ``source`` asserts."""
        return int(self._query(q.COUNT_ASSERTED, source=source, kind=check_kind(kind))[0])

    def count_stale(self, before: str, lens: Lens = CURRENT) -> int:
        """How many elements no source has confirmed since ``before`` (or ever)."""
        rows = self._through(lens, lambda shown: self._query(q.COUNT_STALE, before=before, **shown))
        return int(rows[0])

    def stale_elements(
        self, before: str, lens: Lens = CURRENT, limit: int | None = None
    ) -> list[tuple[Element, str | None]]:
        """Elements no source has confirmed since ``before`` (or ever), oldest first."""
        rows = self._through(
            lens,
            lambda shown: self._query(
                q.STALE_ELEMENTS,
                before=before,
                limit=NO_LIMIT if limit is None else int(limit),
                **shown,
            ),
        )
        return [(_element(row), row[5]) for row in rows]

    def log_changes(self, changes: Iterable[Change]) -> None:
        """Append to the change log (sequence numbers reserved per batch).

        In a transaction block the entries are kept until what they describe is
        written: an addition or change goes with its item (in a staged block, in
        the chunk that writes it, or in the commit that stages the block),
        retirements and deletions with the block's end. The sync engine logs a
        run's changes before writing them.
        """
        rows = [
            {
                "run_id": c.run_id,
                "kind": c.kind,
                "item_id": c.item_id,
                "op": c.op,
                "before": None if c.before is None else _ENCODE(dict(c.before)),
                "after": None if c.after is None else _ENCODE(dict(c.after)),
                "at": c.at,
            }
            for c in changes
        ]

        if self._in_tx:
            for row in rows:
                if row["op"] in DESTRUCTIVE_OPS:
                    self._log_at_end.append(row)
                else:
                    key = (str(row["kind"]), str(row["item_id"]))
                    self._log_with_item.setdefault(key, []).append(row)
            return
        self._bulk(self._write_log, rows)

    def _write_log(self, tx: Any, rows: list[dict[str, Any]]) -> int:
        for batch in batches(rows, BATCH):
            base = self._run(tx, q.RESERVE_CHANGES, n=len(batch))[0][0]
            for offset, row in enumerate(batch, 1):
                row["seq"] = base + offset
            self._run(tx, q.LOG_CHANGES, rows=batch)
        return len(rows)

    def _log_items(self, tx: Any, kind: str, ids: Iterable[str]) -> None:
        """Write, in ``tx``, the kept log entries of the items ``ids`` of ``kind``: a staged
        chunk commits them with the items they describe."""
        pending = self._log_with_item
        rows = [row for i in ids for row in pending.pop((kind, i), ())]
        if rows:
            self._write_log(tx, rows)

    def _log_rest(self, tx: Any) -> None:
        """Write, in ``tx``, every log entry kept until the end of the block."""
        rows = [row for group in self._log_with_item.values() for row in group]
        rows += self._log_at_end
        self._log_with_item, self._log_at_end = {}, []
        if rows:
            self._write_log(tx, rows)

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
        query = q.changes_of(
            q.CHANGES_OF_ITEM
            if item_id is not None
            else q.CHANGES_OF_RUN
            if run_id is not None
            else q.CHANGES,
            kind=kind is not None,
            ops=ops is not None,
        )
        rows = self._query(
            query,
            item=item_id,
            run=run_id,
            limit=NO_LIMIT if limit is None else int(limit),
            kind=kind,
            ops=None if ops is None else list(ops),
        )
        return [
            Change(
                r[0],
                r[1],
                r[2],
                r[3],
                None if r[4] is None else json.loads(r[4]),
                None if r[5] is None else json.loads(r[5]),
                r[6],
            )
            for r in rows
        ]

    # -- whole repository ------------------------------------------------------

    def purge(self, *, keep: bool = True) -> int:
        """Delete everything under this repository tag, in batches of their own transactions.

        ``keep``: the repository stays usable, empty; otherwise not a node of it is left.
        """
        total = 0
        with self._errors(), self._session() as session:
            for label in sorted(q.INTERNAL_LABELS):
                record = session.run(q.purge(label), repo=self.repo).single()
                total += record[0] if record else 0
            if keep:
                session.execute_write(lambda tx: self._run(tx, q.INIT_META, version=SCHEMA_VERSION))
        return total
