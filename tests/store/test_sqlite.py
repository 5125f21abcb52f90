"""What only the SQLite backend promises: one file, WAL, migrations, clear open errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from ea_repo.errors import StoreError
from ea_repo.model import Direction, Element, ElementId, Lens, Relation, Step
from ea_repo.store.sqlite import SCHEMA_VERSION, SQLiteStore


def test_file_is_created_in_wal_mode_with_the_design_indexes(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "repository.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = {
        (row[0], row[1])
        for row in db.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    }
    assert {
        ("relation_src", "relation"),
        ("relation_dst", "relation"),
        ("element_type", "element"),
    } <= indexes
    # (src, type) and (dst, type) lead; the far end and the stored id (empty when it is
    # the derived src|type|dst) follow, so that hops are read from the index alone.
    assert [row[2] for row in db.execute("PRAGMA index_info(relation_src)")] == [
        "src",
        "type",
        "dst",
        "id",
    ]
    assert [row[2] for row in db.execute("PRAGMA index_info(relation_dst)")] == [
        "dst",
        "type",
        "src",
        "id",
    ]
    plan = " ".join(
        str(row[3])
        for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT r.id, r.src, r.type, r.dst, r.key FROM relation r "
            "WHERE r.dst IN (SELECT value FROM json_each(?)) AND +r.type IN "
            "(SELECT value FROM json_each(?))",
            ('["a"]', '["runs_on"]'),
        )
    )
    assert "COVERING INDEX relation_dst" in plan
    versions = [row[0] for row in db.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_reopening_applies_no_migration_twice(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    store = SQLiteStore(path)
    store.upsert_elements([Element(ElementId("a"), "Application", "A")])
    store.close()
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert "a" in store.get_elements(["a"])
    store.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    SQLiteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_version VALUES (?, 'later')", (SCHEMA_VERSION + 1,))
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=r"knows up to \d+"):
        SQLiteStore(path)


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(StoreError, match="cannot open the repository"):
        SQLiteStore(path)


def test_a_reader_sees_the_last_commit_while_a_writer_is_in_a_transaction(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    writer = SQLiteStore(path)
    writer.upsert_elements([Element(ElementId("a"), "Application", "A")])
    reader = SQLiteStore(path)
    with writer.transaction():
        writer.upsert_elements([Element(ElementId("b"), "Application", "B")])
        # WAL: the reader is not blocked and does not see the uncommitted row.
        assert set(reader.get_elements(["a", "b"])) == {"a"}
    assert set(reader.get_elements(["a", "b"])) == {"a", "b"}
    reader.close()
    writer.close()


def test_unchanged_upsert_keeps_the_update_stamp(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    store = SQLiteStore(path)
    element = Element(ElementId("a"), "Application", "A", {"x": 1})
    store.upsert_elements([element])
    store._db.execute("UPDATE element SET updated = 1")
    store.upsert_elements([element])
    assert store._db.execute("SELECT updated FROM element").fetchone()[0] == 1
    store.upsert_elements([Element(ElementId("a"), "Application", "A", {"x": 2})])
    assert store._db.execute("SELECT updated FROM element").fetchone()[0] > 1
    store.close()


def test_neighbors_see_a_retirement_committed_by_another_connection(tmp_path: Path) -> None:
    from ea_repo.model import Direction, Relation, Status, Step

    path = tmp_path / "r.db"
    reader, writer = SQLiteStore(path), SQLiteStore(path)
    reader.upsert_elements(
        [Element(ElementId("s"), "Server", "S"), Element(ElementId("a"), "Application", "A")]
    )
    reader.upsert_relations([Relation(ElementId("a"), "runs_on", ElementId("s"))])
    step = [Step("runs_on", Direction.IN)]
    assert [h.target for h in reader.neighbors(["s"], step)] == ["a"]  # caches what is hidden
    writer.set_status("element", ["a"], Status.RETIRED)
    assert reader.neighbors(["s"], step) == []
    writer.set_status("element", ["a"], Status.ACTIVE)
    assert [h.target for h in reader.neighbors(["s"], step)] == ["a"]
    with reader.transaction():  # inside a transaction, its own uncommitted writes count
        reader.set_status("element", ["a"], Status.RETIRED)
        assert reader.neighbors(["s"], step) == []
    reader.close()
    writer.close()


def _file_at_version(path: Path, version: int) -> sqlite3.Connection:
    """A repository file as ea-repo left it at schema ``version`` (open, to fill in)."""
    from ea_repo.store.sqlite import MIGRATIONS

    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    for number, migration in enumerate(MIGRATIONS[:version], start=1):
        if callable(migration):
            migration(db)
        else:
            db.executescript(migration)
        db.execute("INSERT INTO schema_version VALUES (?, 'then')", (number,))
    return db


def test_a_version_3_file_keeps_its_record_digests_through_migration_4(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = _file_at_version(path, 3)
    db.execute(
        "INSERT INTO element(id, type, name, updated_at) VALUES ('a', 'Server', 'A', 't'), "
        "('b', 'Server', 'B', 't')"
    )
    db.execute(
        "INSERT INTO assertion(source, kind, item_id, first_run, last_run, first_seen, last_seen) "
        "VALUES ('cmdb', 'element', 'a', 1, 1, 't', 't'), ('cmdb', 'element', 'b', 1, 1, 't', 't')"
    )
    db.execute("INSERT INTO record_digest VALUES ('cmdb', 'd-a', 'element', 'a')")
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert store.record_digests("cmdb") == {"d-a": ("element", "a")}  # b had none
    tables = {row[0] for row in store._db.execute("SELECT name FROM sqlite_master")}
    assert "record_digest" not in tables
    store.close()


def test_relation_attributes_handed_out_lazily_outlive_the_store(tmp_path: Path) -> None:
    from ea_repo.model import Direction, Relation, Step

    store = SQLiteStore(tmp_path / "r.db")
    store.upsert_elements([Element(ElementId(i), "Application", i) for i in ("a", "b")])
    store.upsert_relations([Relation(ElementId("a"), "flow", ElementId("b"), {"protocol": "SFTP"})])
    (hop,) = store.neighbors(["b"], [Step("flow", Direction.IN)])
    store.close()  # e.g. a report drawn after the repository was closed
    assert dict(hop.relation.attrs) == {"protocol": "SFTP"}


def test_migration_6_folds_the_names_already_stored(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = _file_at_version(path, 5)
    db.execute(
        "INSERT INTO element(id, type, name, updated_at) VALUES ('ed', 'Application', 'Éditique', 't')"
    )
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert [e.id for e in store.elements_named(["éditique"])["éditique"]] == ["ed"]
    store.close()


def _indexes(db: sqlite3.Connection) -> list[tuple[str, str]]:
    return db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
    ).fetchall()


def test_a_new_file_has_16_kib_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "new.db").close()
    assert sqlite3.connect(tmp_path / "new.db").execute("PRAGMA page_size").fetchone()[0] == 16384
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("PRAGMA page_size = 4096")
    old.execute("CREATE TABLE t (x)")
    old.commit()
    old.close()
    store = SQLiteStore(tmp_path / "old.db")
    assert store._db.execute("PRAGMA page_size").fetchone()[0] == 4096
    store.upsert_elements([Element(ElementId("a"), "Application", "A")])
    assert list(store.get_elements(["a"])) == ["a"]
    store.close()


def test_a_bulk_first_load_rebuilds_every_index_it_set_aside(tmp_path: Path) -> None:
    from ea_repo.model import Direction, Relation, Step
    from ea_repo.store.sqlite import BULK_ROWS

    store = SQLiteStore(tmp_path / "r.db")
    before = _indexes(store._db)
    n = BULK_ROWS + 10
    store.upsert_elements(
        [Element(ElementId(f"s{i:05}"), "Server", f"Serveur Été {i}") for i in range(n)]
        + [Element(ElementId("dc"), "Datacenter", "DC")]
    )
    store.upsert_relations(
        [Relation(ElementId(f"s{i:05}"), "located_in", ElementId("dc")) for i in range(n)]
    )
    assert _indexes(store._db) == before
    assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # the rebuilt indexes answer: the far end from relation_dst, names from element_name
    assert len(store.neighbors(["dc"], [Step("located_in", Direction.IN)])) == n
    assert [e.id for e in store.elements_named(["serveur été 7"])["serveur été 7"]] == ["s00007"]
    store.close()


def test_a_bulk_first_load_is_written_as_it_is_read(tmp_path: Path) -> None:
    # Rows reach the table a batch at a time, not once the whole load has been read.
    from ea_repo.store.sqlite import BATCH, BULK_ROWS

    store = SQLiteStore(tmp_path / "r.db")
    n = 2 * BULK_ROWS
    written_when_read: dict[int, int] = {}

    def elements() -> Iterator[Element]:
        for i in range(n):
            if i % BULK_ROWS == 0:
                written = store._db.execute("SELECT COUNT(*) FROM element").fetchone()
                written_when_read[i] = written[0]
            yield Element(ElementId(f"s{i:05}"), "Server", f"S{i}")

    assert store.upsert_elements(elements()) == n
    assert written_when_read[0] == 0
    assert written_when_read[BULK_ROWS] >= BULK_ROWS - BATCH
    assert store.counts().elements == {"Server": n}
    store.close()


def test_a_bulk_first_load_keeps_the_last_of_ids_met_twice(tmp_path: Path) -> None:
    # Ids repeated far apart (not in one batch): the last row wins, each id is one row.
    from ea_repo.model import Relation, RelationId
    from ea_repo.store.sqlite import BULK_ROWS

    store = SQLiteStore(tmp_path / "r.db")
    n = BULK_ROWS + 10
    first = [Element(ElementId(f"s{i:05}"), "Server", f"S{i}") for i in range(n)]
    again = [Element(ElementId(f"s{i:05}"), "Server", f"again {i}") for i in range(0, n, 1000)]
    assert store.upsert_elements(first + again) == n
    assert store.get_elements(["s00000", "s01000", "s00001"]) == {
        "s00000": Element(ElementId("s00000"), "Server", "again 0"),
        "s01000": Element(ElementId("s01000"), "Server", "again 1000"),
        "s00001": Element(ElementId("s00001"), "Server", "S1"),
    }
    named = [
        Relation(ElementId(f"s{i:05}"), "uses", ElementId("s00000"), id=RelationId(f"r{i}"))
        for i in range(n)
    ]
    derived = [Relation(ElementId(f"s{i:05}"), "runs_on", ElementId("s00001")) for i in range(n)]
    repeated = [
        Relation(ElementId("s00002"), "uses", ElementId("s00003"), id=RelationId("r7")),
        Relation(ElementId("s00007"), "runs_on", ElementId("s00001"), attrs={"again": True}),
    ]
    assert store.upsert_relations(named + derived + repeated) == 2 * n
    assert store.counts().relations == {"uses": n, "runs_on": n}
    assert store.get_relations(["r7", "s00007|runs_on|s00001"]) == {
        "r7": repeated[0],
        "s00007|runs_on|s00001": repeated[1],
    }
    assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()


def test_a_failed_bulk_load_leaves_the_table_and_its_indexes_as_they_were(tmp_path: Path) -> None:
    from ea_repo.errors import ConflictError
    from ea_repo.model import Relation, RelationId
    from ea_repo.store.sqlite import BULK_ROWS

    store = SQLiteStore(tmp_path / "r.db")
    store.upsert_elements([Element(ElementId(f"s{i}"), "Server", f"S{i}") for i in range(3)])
    before = _indexes(store._db)
    relations = [
        Relation(ElementId(f"s{i % 3}"), "connected_to", ElementId("s1"), id=RelationId(f"r{i}"))
        for i in range(BULK_ROWS)
    ]
    relations.append(Relation(ElementId("s0"), "connected_to", ElementId("nowhere")))
    with pytest.raises(ConflictError):
        store.upsert_relations(relations)
    assert _indexes(store._db) == before
    assert store.counts().relations == {}
    store.close()


def test_bare_additions_and_other_changes_are_logged_in_the_order_given(tmp_path: Path) -> None:
    from ea_repo.model import Change

    store = SQLiteStore(tmp_path / "r.db")
    log = [
        Change(1, "element", "a", "added", None, None, "t1"),
        Change(1, "element", "b", "added", None, None, "t1"),
        Change(1, "element", "c", "changed", {"name": "C"}, {"name": "Cé"}, "t1"),
        Change(1, "relation", "a|x|b", "added", None, None, "t1"),
        Change(2, "relation", "a|y|b", "added", None, None, "t2"),
        Change(2, "element", "d", "added", {"odd": True}, None, "t2"),  # a snapshot: its own row
    ]
    store.log_changes(iter(log))
    assert store.changes() == log
    assert store.changes(item_id="c") == [log[2]]
    store.close()


def test_migration_7_drops_the_item_indexes_and_provenance_still_answers(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = _file_at_version(path, 6)
    db.execute(
        "INSERT INTO element(id, type, name, name_cf, updated_at) VALUES "
        "('a', 'Server', 'A', 'a', 't'), ('b', 'Server', 'B', 'b', 't')"
    )
    db.execute(
        "INSERT INTO assertion(source, kind, item_id, first_run, last_run, first_seen, last_seen) "
        "VALUES ('cmdb', 'element', 'a', 1, 1, '2026-01-01', '2026-01-01'), "
        "('itop', 'element', 'a', 2, 2, '2026-03-01', '2026-03-01'), "
        "('itop', 'element', 'b', 2, 2, '2026-03-01', '2026-03-01')"
    )
    db.commit()
    db.close()
    store = SQLiteStore(path)
    names = {name for name, _ in _indexes(store._db)}
    assert "assertion_item" not in names and "change_run" not in names
    assert [(a.item_id, a.source) for a in store.assertions("element", ["a", "b"])] == [
        ("a", "cmdb"),
        ("a", "itop"),
        ("b", "itop"),
    ]
    assert store.count_stale("2026-02-01") == 0  # a's last confirmation is itop's, in March
    assert store.count_stale("2026-04-01") == 2
    store.drop_assertions("element", ["a"])
    assert [a.source for a in store.assertions("element", ["a", "b"])] == ["itop"]
    store.close()


def test_migration_8_derives_the_lifecycle_span_of_what_is_stored(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = _file_at_version(path, 7)
    crm = '{"lifecycle_end_of_life":"2030-01-01","lifecycle_phase_in":"2026-06-01"}'
    db.executemany(
        "INSERT INTO element(id, type, name, name_cf, attrs, updated_at) "
        "VALUES (?, 'Application', ?, ?, ?, 't')",
        [
            ("crm", "CRM", "crm", crm),
            ("plan", "Plan", "plan", '{"lifecycle_plan":"2026-01-01"}'),
            ("erp", "ERP", "erp", '{"owner":"lifecycle_x"}'),
        ],
    )
    db.execute(
        "INSERT INTO relation(id, src, type, dst, attrs, updated_at) "
        "VALUES ('f', 'crm', 'flow', 'erp', ?, 't')",
        ('{"lifecycle_active":"2027-01-01"}',),
    )
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert store._db.execute("SELECT id, since, until FROM element ORDER BY id").fetchall() == [
        ("crm", "2026-06-01", "2030-01-01"),
        ("erp", None, None),
        ("plan", "9999-12-31", None),
    ]
    assert store._db.execute("SELECT since, until FROM relation").fetchall() == [
        ("2027-01-01", None)
    ]
    assert set(store.get_elements(["crm", "erp", "plan"], Lens(at="2028-01-01"))) == {
        "crm",
        "erp",
    }
    store.close()


def test_every_upsert_derives_the_span_again(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "r.db")
    store.upsert_elements(
        [Element(ElementId("a"), "Application", "A", {"lifecycle_phase_in": "2026-01-01"})]
    )
    store.upsert_elements(
        [Element(ElementId("a"), "Application", "A", {"lifecycle_end_of_life": "2027-01-01"})]
    )
    assert store._db.execute("SELECT since, until FROM element").fetchall() == [
        (None, "2027-01-01")
    ]
    store.close()


def test_stranded_relations_are_found_from_the_retired_elements_not_by_a_scan(
    tmp_path: Path,
) -> None:
    from ea_repo.model import Relation, Status

    store = SQLiteStore(tmp_path / "r.db")
    store.upsert_elements([Element(ElementId(f"s{i}"), "Server", f"S{i}") for i in range(3)])
    store.upsert_relations([Relation(ElementId("s0"), "connected_to", ElementId("s1"))])
    store.set_status("element", ["s1"], Status.RETIRED)
    plans: list[str] = []
    store._db.set_trace_callback(plans.append)
    assert [r.id for r in store.stranded_relations()] == ["s0|connected_to|s1"]
    store._db.set_trace_callback(None)
    (statement,) = [sql for sql in plans if "relation" in sql]
    plan = " / ".join(row[3] for row in store._db.execute(f"EXPLAIN QUERY PLAN {statement}"))
    assert "SEARCH e USING COVERING INDEX element_inactive" in plan
    assert "SCAN" not in plan, plan
    store.close()


def test_a_traversal_past_the_element_ids_kept_finds_every_far_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The far ends' ids are kept between steps up to a bound; a step that found some of its
    # ends kept and had to forget them to make room for the others lost them (KeyError on a
    # decommission view of a 1 000 000-CI repository).
    import ea_repo.store.sqlite as sqlite_store

    monkeypatch.setattr(sqlite_store, "_ELEMENT_IDS_KEPT", 10)
    store = SQLiteStore(tmp_path / "ids.db")
    hosts = [f"vm{i:02d}" for i in range(12)]
    store.upsert_elements(
        [Element(ElementId(i), "Application", i) for i in ("app", "crm")]
        + [Element(ElementId(h), "VirtualMachine", h) for h in [*hosts, "vm99"]]
    )
    store.upsert_relations(
        [Relation(ElementId("app"), "runs_on", ElementId(h)) for h in hosts]
        + [Relation(ElementId("crm"), "runs_on", ElementId("vm99"))]
    )
    runs_on = [Step("runs_on", Direction.OUT)]
    assert len(store.neighbors(["app"], runs_on)) == 12  # twelve ids kept: over the bound
    found = sorted(h.target for h in store.neighbors(["app", "crm"], runs_on))
    assert found == [*hosts, "vm99"]
