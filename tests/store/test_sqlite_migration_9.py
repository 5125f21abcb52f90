"""Migration 9 (the compact schema) keeps everything a schema-8 repository held.

The file is made by the real migrations 1 to 8 and filled with rows as schema 8 kept
them: elements and relations (retired, dated, a derived id, ids of a source's own, an
element id holding ``|``), runs, provenance stamped at and apart from its run's start,
record digests, and a change log with snapshots and the history of a deleted item.
Every read is then compared with what those rows say.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ea_repo.model import (
    CURRENT,
    EVERYTHING,
    Assertion,
    Change,
    Direction,
    Element,
    ElementId,
    Relation,
    Run,
    Status,
    Step,
)
from ea_repo.store.sqlite import SCHEMA_VERSION, SQLiteStore
from tests.store.test_sqlite import _file_at_version

T1, T2, T3 = "2026-01-05T08:00:00Z", "2026-02-05T08:00:00Z", "2026-03-05T08:00:00Z"

# (id, type, name, attrs, status, updated_at) as schema 8 kept them
ELEMENTS = [
    ("app", "Application", "Billing", {"owner": "Finance"}, "active", T2),
    ("db|1", "Database", "Ledger DB", {}, "active", T1),
    ("old", "Server", "Old box", {"lifecycle_end_of_life": "2026-02-01"}, "retired", T2),
    ("srv", "Server", "Éclair", {"lifecycle_phase_in": "2026-06-01"}, "active", T1),
]
# (id, src, type, dst, attrs, status, updated_at); the first two ids are derived
RELATIONS = [
    ("app|uses|db|1", "app", "uses", "db|1", {}, "active", T1),
    ("db|1|runs_on|old", "db|1", "runs_on", "old", {"since": 2019}, "retired", T2),
    ("IF-7", "app", "flow", "srv", {"protocol": "SFTP"}, "active", T1),
    ("app|flow|srv", "srv", "flow", "app", {"lifecycle_plan": "2025-01-01"}, "active", T2),
]
RUNS = [
    (1, "cmdb", T1, T1, "succeeded", {"applied": True}, None),
    (2, "catalog", T2, T2, "succeeded", {"applied": True}, None),
    (3, "cmdb", T3, None, "failed", {"applied": False}, "boom"),
]
# (source, kind, item_id, first_run, last_run, first_seen, last_seen, asserted, digest)
ASSERTIONS = [
    ("cmdb", "element", "app", 1, 1, T1, T1, {"name": "Billing"}, "0123456789abcdef"),
    ("cmdb", "element", "db|1", 1, 1, T1, T1, {}, "fedcba9876543210"),
    ("catalog", "element", "app", 2, 2, T2, "2026-02-06T00:00:00Z", {"owner": "Finance"}, None),
    ("cmdb", "relation", "app|uses|db|1", 1, 1, "2025-12-31T00:00:00Z", T1, {}, "00ffee"),
    ("catalog", "relation", "IF-7", 2, 2, T2, T2, {"protocol": "SFTP"}, "Not-Hex"),
]
# (seq, run_id, kind, item_id, op, before, after, at): "gone" was deleted
CHANGES = [
    (1, 1, "element", "app", "added", None, None, T1),
    (2, 1, "element", "gone", "added", None, None, T1),
    (3, 2, "element", "app", "changed", {"name": "Bill"}, {"name": "Billing"}, T2),
    (4, 2, "relation", "IF-7", "added", None, None, "2026-02-05T09:00:00Z"),
    (6, 2, "element", "gone", "deleted", {"name": "Gone"}, None, T2),
    (7, 3, "element", "old", "retired", {"status": "active"}, None, T3),
]


def _schema_8_file(path: Path) -> None:
    db = _file_at_version(path, 8)
    db.executemany(
        "INSERT INTO element(id, type, name, name_cf, attrs, status, updated_at, since, until) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (i, t, n, n.casefold(), json.dumps(a) if a else "{}", s, u, *_span(a))
            for i, t, n, a, s, u in ELEMENTS
        ],
    )
    db.executemany(
        "INSERT INTO relation(id, src, type, dst, attrs, status, updated_at, since, until) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (i, s, t, d, json.dumps(a) if a else "{}", st, u, *_span(a))
            for i, s, t, d, a, st, u in RELATIONS
        ],
    )
    db.executemany(
        "INSERT INTO run VALUES (?,?,?,?,?,?,?)",
        [(*r[:5], json.dumps(r[5]), r[6]) for r in RUNS],
    )
    db.executemany(
        "INSERT INTO assertion(source, kind, item_id, first_run, last_run, first_seen, last_seen, "
        "asserted, digest) VALUES (?,?,?,?,?,?,?,?,?)",
        [(*a[:7], json.dumps(a[7]), a[8]) for a in ASSERTIONS],
    )
    db.executemany(
        "INSERT INTO change VALUES (?,?,?,?,?,?,?,?)",
        [
            (
                *c[:5],
                None if c[5] is None else json.dumps(c[5]),
                None if c[6] is None else json.dumps(c[6]),
                c[7],
            )
            for c in CHANGES
        ],
    )
    # An entry was logged and later removed: the next seq is 9, not 8.
    db.execute("UPDATE sqlite_sequence SET seq = 8 WHERE name = 'change'")
    db.commit()
    db.close()


def _span(attrs: dict[str, str]) -> tuple[str | None, str | None]:
    from ea_repo.timeline import span

    return span(attrs)


def test_migration_9_keeps_every_read_of_a_schema_8_file(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    _schema_8_file(path)
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION == 9

    assert list(store.iter_elements(EVERYTHING)) == [
        Element(ElementId(i), t, n, a, Status(s)) for i, t, n, a, s, _ in ELEMENTS
    ]
    relations = sorted(
        (
            Relation(ElementId(s), t, ElementId(d), a, Status(st), id=i)
            for i, s, t, d, a, st, _ in RELATIONS
        ),
        key=lambda r: r.id,
    )
    assert [_rel(r) for r in store.iter_relations(EVERYTHING)] == [_rel(r) for r in relations]
    by_id = store.get_relations([r[0] for r in RELATIONS] + ["app|uses|nothing"], EVERYTHING)
    assert {i: _rel(r) for i, r in by_id.items()} == {r.id: _rel(r) for r in relations}
    # the stamps, now seconds since the epoch
    assert dict(store._db.execute("SELECT id, updated FROM element")) == {
        "app": 1770278400,
        "db|1": 1767600000,
        "old": 1770278400,
        "srv": 1767600000,
    }

    assert store.runs() == [Run(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in reversed(RUNS)]
    for kind in ("element", "relation"):
        ids = [a[2] for a in ASSERTIONS if a[1] == kind]
        assert store.assertions(kind, ids) == sorted(
            (
                Assertion(kind, a[2], a[0], a[3], a[4], a[5], a[6])
                for a in ASSERTIONS
                if a[1] == kind
            ),
            key=lambda a: (a.item_id, a.source),
        )
        for source in ("cmdb", "catalog"):
            mine = [a for a in ASSERTIONS if a[0] == source and a[1] == kind]
            assert store.asserted_ids(source, kind) == {a[2] for a in mine}
            assert store.asserted_values(source, kind, ids) == {a[2]: a[7] for a in mine}
    for source in ("cmdb", "catalog"):
        assert store.record_digests(source) == {
            a[8]: (a[1], a[2]) for a in ASSERTIONS if a[0] == source and a[8] is not None
        }
    # app was confirmed by the catalog on the day asked about; nothing ever confirmed old, srv
    assert store.stale_elements("2026-02-06T00:00:00Z", EVERYTHING) == [
        (_element("old"), None),
        (_element("srv"), None),
        (_element("db|1"), T1),
    ]

    changes = [Change(c[1], c[2], c[3], c[4], c[5], c[6], c[7]) for c in CHANGES]
    assert store.changes() == changes
    assert store.changes(item_id="gone") == [c for c in changes if c.item_id == "gone"]
    assert store.changes(run_id=2) == [c for c in changes if c.run_id == 2]
    assert store.changes(limit=2) == changes[:2]

    # Lenses, dated and by status, and a traversal read the same rows.
    assert store.inactive("element", ["app", "old"]) == {"old"}
    assert store.inactive("relation", ["db|1|runs_on|old", "IF-7"]) == {"db|1|runs_on|old"}
    assert {e.id for e in store.iter_elements(CURRENT.on("2026-07-01"))} == {"app", "db|1", "srv"}
    assert {e.id for e in store.iter_elements(CURRENT.on("2026-01-01"))} == {"app", "db|1"}
    # a planned relation is in no day's landscape; a retired one not in the current one
    assert {r.id for r in store.iter_relations(CURRENT.on("2026-07-01"))} == {
        "app|uses|db|1",
        "IF-7",
    }
    assert store._hidden("relation", CURRENT.on("2026-07-01")) == {
        "app|flow|srv",
        "db|1|runs_on|old",
    }
    hops = store.neighbors(["app"], [Step("flow", Direction.OUT), Step("uses", Direction.OUT)])
    assert sorted((h.relation.id, h.target, dict(h.relation.attrs)) for h in hops) == [
        ("IF-7", "srv", {"protocol": "SFTP"}),
        ("app|uses|db|1", "db|1", {}),
    ]
    assert store.counts(EVERYTHING).relations == {"flow": 2, "runs_on": 1, "uses": 1}

    # Writing goes on where the file left off: the next entry comes after the last seq
    # the old log gave, an upsert finds a relation by either kind of id.
    store.log_changes([Change(3, "element", "gone", "added", None, None, T3)])
    assert store.changes(item_id="gone")[-1] == Change(
        3, "element", "gone", "added", None, None, T3
    )
    assert store._db.execute(
        "SELECT seq FROM change WHERE run_id = 3 AND item_id = 'gone'"
    ).fetchone() == (9,)
    assert (
        store.upsert_relations(
            [Relation(ElementId("app"), "uses", ElementId("db|1"), {"x": 1}), _relations()["IF-7"]]
        )
        == 2
    )
    assert store.counts(EVERYTHING).relations == {"flow": 2, "runs_on": 1, "uses": 1}
    assert dict(store.get_relations(["app|uses|db|1"])["app|uses|db|1"].attrs) == {"x": 1}
    assert store._db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert store._db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store.close()


def test_provenance_and_the_log_keep_no_time_their_run_holds(tmp_path: Path) -> None:
    """A sync stamps provenance and the log with its run's start: the row holds nothing, the
    read gives the start back; any other time is kept as given."""
    store = SQLiteStore(tmp_path / "r.db")
    store.upsert_elements(
        [Element(ElementId("a"), "Server", "A"), Element(ElementId("b"), "Server", "B")]
    )
    run = store.start_run("cmdb", at=T1)
    store.record_assertions(run.id, "cmdb", "element", ["a"], at=T1, digests={"a": "00aa"})
    store.record_assertions(run.id, "cmdb", "element", ["b"], at=T2, values={"b": {"attrs": ["x"]}})
    store.record_assertions(
        run.id, "itop", "element", ["a", "b"], values={i: {"attrs": ["x"]} for i in "ab"}
    )
    store.log_changes(
        [
            Change(run.id, "element", "a", "added", None, None, T1),
            Change(run.id, "element", "b", "changed", {"name": "X"}, {"name": "B"}, T2),
        ]
    )
    stored = store._db.execute(
        "SELECT item_id, first_seen, last_seen, digest FROM assertion WHERE source = 'cmdb' "
        "ORDER BY item_id"
    ).fetchall()
    assert stored == [("a", None, None, bytes.fromhex("00aa")), ("b", T2, T2, None)]
    assert store._db.execute("SELECT item_id, at FROM change ORDER BY seq").fetchall() == [
        ("a", None),
        ("b", T2),
    ]
    assert [
        (a.item_id, a.first_seen, a.last_seen)
        for a in store.assertions("element", ["a", "b"])
        if a.source == "cmdb"
    ] == [
        ("a", T1, T1),
        ("b", T2, T2),
    ]
    assert [c.at for c in store.changes()] == [T1, T2]
    assert store.record_digests("cmdb") == {"00aa": ("element", "a")}
    # what sources asserted is kept once per distinct text
    assert store._db.execute("SELECT value FROM asserted ORDER BY key").fetchall() == [
        ("{}",),
        ('{"attrs":["x"]}',),
    ]
    assert store.asserted_values("itop", "element", ["a", "b"]) == {
        i: {"attrs": ["x"]} for i in "ab"
    }
    assert store.asserted_values("cmdb", "element", ["a", "b"]) == {"a": {}, "b": {"attrs": ["x"]}}
    store.close()


def _relations() -> dict[str, Relation]:
    return {
        i: Relation(ElementId(s), t, ElementId(d), a, Status(st), id=i)
        for i, s, t, d, a, st, _ in RELATIONS
    }


def _element(element_id: str) -> Element:
    i, t, n, a, s, _ = next(e for e in ELEMENTS if e[0] == element_id)
    return Element(ElementId(i), t, n, a, Status(s))


def _rel(r: Relation) -> tuple[object, ...]:
    return (r.id, r.src, r.type, r.dst, dict(r.attrs), r.status)


def test_a_relation_id_that_reads_two_ways_finds_the_right_relation(tmp_path: Path) -> None:
    """An element id may hold ``|``: a derived id is then read every way it can be."""
    store = SQLiteStore(tmp_path / "r.db")
    store.upsert_elements([Element(ElementId(i), "Server", i) for i in ("a", "a|x", "x|b", "b")])
    store.upsert_relations(
        [
            Relation(ElementId("a|x"), "t", ElementId("b")),
            Relation(ElementId("a"), "x", ElementId("x|b")),
        ]
    )
    # "a|x|t|b" is only a|x -t-> b; "a|x|x|b" is a -x-> x|b
    assert {
        i: (r.src, r.type, r.dst) for i, r in store.get_relations(["a|x|t|b", "a|x|x|b"]).items()
    } == {
        "a|x|t|b": ("a|x", "t", "b"),
        "a|x|x|b": ("a", "x", "x|b"),
    }
    assert store.delete_relations(["a|x|x|b"]) == 1
    assert [r.id for r in store.iter_relations()] == ["a|x|t|b"]
    store.close()


def test_the_schema_8_rows_were_what_schema_8_wrote(tmp_path: Path) -> None:
    """The fixture above fills the columns schema 8 had (it fails if one is missing)."""
    path = tmp_path / "r.db"
    _schema_8_file(path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT MAX(version) FROM schema_version").fetchone() == (8,)
    assert db.execute("SELECT COUNT(*) FROM relation").fetchone() == (len(RELATIONS),)
    db.close()
