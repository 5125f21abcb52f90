"""The Neo4j backend beyond the contract: configuration, errors, copying, the demo.

Tests that need a server skip without ``EA_TEST_NEO4J_URI`` (see tests/conftest.py);
the others run everywhere (an unreachable server is a real refused connection).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from ea_repo.config import load_workspace
from ea_repo.errors import ConflictError, StoreError, WorkspaceError
from ea_repo.model import EVERYTHING, Direction, Element, ElementId, Relation, Step
from ea_repo.store.neo4j import SCHEMA_VERSION, check_uri, server_major
from tests.neo4j_support import NEO4J_SKIP, neo4j_cmdb_workspace, open_test_neo4j

SYNC_DATA = Path(__file__).parent.parent / "data" / "sync"

needs_server = pytest.mark.skipif(not os.environ.get("EA_TEST_NEO4J_URI"), reason=NEO4J_SKIP)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _neo4j_workspace(root: Path, uri: str, extra: str = "") -> None:
    (root / "ea.yaml").write_text(
        f"store:\n  backend: neo4j\n  uri: {uri}\n{extra}", encoding="utf-8"
    )


@pytest.mark.parametrize(
    "uri",
    ["bolt://localhost:7687", "neo4j://cluster.example:7687", "neo4j+s://abc.databases.neo4j.io"],
)
def test_the_three_uri_kinds_are_accepted(workspace: Path, uri: str) -> None:
    _neo4j_workspace(workspace, uri)
    ws = load_workspace(workspace, env={})
    assert (ws.store.backend, ws.store.uri, ws.store.repository) == ("neo4j", uri, "default")
    assert check_uri(uri) == uri


@pytest.mark.parametrize("uri", ["http://localhost:7474", "localhost", "bolt://", "bolt://a b"])
def test_the_store_refuses_the_uris_the_workspace_refuses(uri: str) -> None:
    with pytest.raises(StoreError, match="is not a Neo4j URI"):
        check_uri(uri)


def test_a_wrong_uri_names_the_line_or_the_variable(workspace: Path) -> None:
    _neo4j_workspace(workspace, "http://localhost:7474")
    with pytest.raises(
        WorkspaceError, match=r"ea.yaml:3: 'http://localhost:7474' is not a Neo4j URI"
    ):
        load_workspace(workspace, env={})
    _neo4j_workspace(workspace, "bolt://localhost:7687")
    with pytest.raises(WorkspaceError, match="EA_NEO4J_URI: 'localhost' is not a Neo4j URI"):
        load_workspace(workspace, env={"EA_NEO4J_URI": "localhost"})


def test_the_environment_overrides_the_neo4j_settings(workspace: Path) -> None:
    _neo4j_workspace(workspace, "bolt://localhost:7687", "  user: ea\n  repository: prod\n")
    ws = load_workspace(
        workspace,
        env={
            "EA_NEO4J_URI": "neo4j://cluster:7687",
            "EA_NEO4J_DATABASE": "ea",
            "EA_NEO4J_REPOSITORY": "staging",
            "EA_NEO4J_PASSWORD": "never-kept",
        },
    )
    assert ws.store.uri == "neo4j://cluster:7687"
    assert (ws.store.user, ws.store.database, ws.store.repository) == ("ea", "ea", "staging")
    assert "never-kept" not in repr(ws)


def test_a_bad_repository_tag_is_refused(workspace: Path) -> None:
    _neo4j_workspace(workspace, "bolt://localhost:7687", "  repository: 'a b'\n")
    with pytest.raises(WorkspaceError, match=r"ea\.yaml:4: repository tag 'a b' is not valid"):
        load_workspace(workspace, env={})


def test_neo4j_without_a_uri_is_a_workspace_error(workspace: Path, ea, monkeypatch) -> None:
    monkeypatch.delenv("EA_NEO4J_URI", raising=False)
    (workspace / "ea.yaml").write_text("store: {backend: neo4j}\n", encoding="utf-8")
    result = ea("status")
    assert result.code == 2
    assert "the neo4j backend needs a server URI" in result.err


def test_an_unreachable_server_exits_3_and_never_shows_the_password(
    workspace: Path, ea, monkeypatch
) -> None:
    monkeypatch.setenv("EA_NEO4J_PASSWORD", "s3cret-Passw0rd")
    _neo4j_workspace(workspace, f"bolt://127.0.0.1:{_free_port()}")
    result = ea("status")
    assert result.code == 3
    assert "cannot reach the Neo4j server at bolt://127.0.0.1:" in result.err
    assert "s3cret-Passw0rd" not in result.out + result.err
    assert "Traceback" not in result.err


def test_server_versions_before_5_are_recognised() -> None:
    assert server_major("Neo4j/5.13.0") == 5
    assert server_major("Neo4j/2025.01.0") == 2025
    assert server_major("Neo4j/4.4.26") == 4
    assert server_major("Memgraph") is None


def test_store_copy_to_another_sqlite_file_keeps_everything(tmp_path: Path, ea) -> None:
    from tests.landscape import build

    ws = build(tmp_path / "ws")
    result = ea(
        "store",
        "copy",
        "--to",
        "sqlite",
        "--path",
        str(tmp_path / "copy.db"),
        "-w",
        str(ws),
        "-f",
        "json",
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["ok"] is True
    assert report["source"]["elements"] == 40 and report["source"]["assertions"] > 40
    again = ea(
        "store", "copy", "--to", "sqlite", "--path", str(tmp_path / "copy.db"), "-w", str(ws)
    )
    assert again.code == 2 and "is not empty" in again.err and "--replace" in again.err
    (ws / "ea.yaml").write_text(f"store: {{backend: sqlite, path: {tmp_path / 'copy.db'}}}\n")
    copied = ea("impact", "dc-paris", "-w", str(ws), "-f", "json")
    (ws / "ea.yaml").write_text("store: {backend: sqlite}\n")
    original = ea("impact", "dc-paris", "-w", str(ws), "-f", "json")
    assert copied.code == 0 and copied.out == original.out


def test_store_copy_refuses_the_repository_itself_however_it_is_written(
    tmp_path: Path, ea, monkeypatch
) -> None:
    from tests.landscape import build

    ws = build(tmp_path / "ws")
    monkeypatch.chdir(tmp_path)
    for same in ("ws/.ea/repository.db", "ws/.ea/../.ea/repository.db"):
        result = ea("store", "copy", "--to", "sqlite", "--path", same, "--replace", "-w", ws)
        assert result.code == 2 and "the target is the repository itself" in result.err
    assert sum(json.loads(ea("stats", "-w", ws, "-f", "json").out)["elements"].values()) == 40
    bad = ea("store", "copy", "--to", "neo4j", "--uri", "http://x", "-w", ws)
    assert bad.code == 2 and "--uri: 'http://x' is not a Neo4j URI" in bad.err


def test_store_copy_refuses_options_of_the_other_backend(tmp_path: Path, ea) -> None:
    from tests.landscape import build

    ws = str(build(tmp_path / "ws"))
    to_sqlite = ea("store", "copy", "--to", "sqlite", "--uri", "bolt://x:7687", "-w", ws)
    assert to_sqlite.code == 2
    assert "--uri: not an option of a copy --to sqlite" in to_sqlite.err
    to_neo = ea("store", "copy", "--to", "neo4j", "--path", str(tmp_path / "x.db"), "-w", ws)
    assert to_neo.code == 2 and "--path: not an option of a copy --to neo4j" in to_neo.err
    assert not (tmp_path / "x.db").exists()


def test_store_copy_replace_empties_the_target_first(tmp_path: Path, ea) -> None:
    from tests.landscape import build

    ws = build(tmp_path / "ws")
    other = build(tmp_path / "other")  # a repository already at the target path
    target = other / ".ea" / "repository.db"
    result = ea(
        "store", "copy", "--to", "sqlite", "--path", target, "--replace", "-w", ws, "-f", "json"
    )
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["ok"] is True and report["target_counts"]["runs"] == report["source"]["runs"]


# -- with a server ----------------------------------------------------------------


@needs_server
def test_wrong_credentials_exit_3(workspace: Path, ea, monkeypatch) -> None:
    monkeypatch.setenv("EA_NEO4J_PASSWORD", "not-the-password")
    monkeypatch.setenv("EA_NEO4J_USER", os.environ.get("EA_TEST_NEO4J_USER", "neo4j"))
    _neo4j_workspace(workspace, os.environ["EA_TEST_NEO4J_URI"])
    result = ea("status")
    assert result.code == 3
    assert "refused the credentials" in result.err
    assert "not-the-password" not in result.err


@needs_server
def test_opening_an_initialised_repository_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``ea show`` and ``ea impact`` open the store: on a cluster, a write would go to the
    leader, and an account that may only read could not open the repository at all."""
    import neo4j

    tag = open_test_neo4j().repo  # type: ignore[attr-defined]  # initialised, purged after
    writes: list[str] = []
    real_driver = neo4j.GraphDatabase.driver

    def counting_driver(*args: object, **kwargs: object) -> object:
        driver = real_driver(*args, **kwargs)  # type: ignore[arg-type]
        real_session = driver.session

        def session(**options: object) -> object:
            if options.get("default_access_mode") != neo4j.READ_ACCESS:
                writes.append("session in write mode")
            opened = real_session(**options)  # type: ignore[arg-type]
            real_write = opened.execute_write

            def execute_write(*a: object, **k: object) -> object:
                writes.append("write transaction")
                return real_write(*a, **k)  # type: ignore[arg-type]

            opened.execute_write = execute_write  # type: ignore[method-assign]
            return opened

        driver.session = session  # type: ignore[method-assign]
        return driver

    monkeypatch.setattr(neo4j.GraphDatabase, "driver", counting_driver)
    again = open_test_neo4j(tag)
    assert again.schema_version() == SCHEMA_VERSION  # type: ignore[attr-defined]
    assert again.counts().elements == {}
    assert writes == []


@needs_server
def test_a_workspace_with_its_own_metamodel_labels_by_its_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ea_repo import Repository

    tag = open_test_neo4j().repo  # type: ignore[attr-defined]  # purged after the test
    monkeypatch.setenv("EA_NEO4J_PASSWORD", os.environ.get("EA_TEST_NEO4J_PASSWORD", ""))
    user = os.environ.get("EA_TEST_NEO4J_USER", "neo4j")
    (tmp_path / "mm.yaml").write_text(
        "element_types:\n  Robot:\n    layer: physical\n"
        "  Station:\n    layer: physical\n"
        "relationship_types:\n  docks_at:\n    from: [Robot]\n    to: [Station]\n    dependent: none\n",
        encoding="utf-8",
    )
    _neo4j_workspace(
        tmp_path,
        os.environ["EA_TEST_NEO4J_URI"],
        f"  user: {user}\n  repository: {tag}\nmetamodel: mm.yaml\n",
    )
    with Repository.open(tmp_path) as repo:
        repo.store.upsert_elements(
            [Element(ElementId("r2"), "Robot", "R2"), Element(ElementId("dock"), "Station", "D")]
        )
        repo.store.upsert_relations([Relation(ElementId("r2"), "docks_at", ElementId("dock"))])
        assert repo.store.counts().relations == {"docks_at": 1}
        assert [e.id for e in repo.store.find_elements(types=["Robot"])] == ["r2"]


@needs_server
def test_repositories_under_different_tags_do_not_see_each_other() -> None:
    a, b = open_test_neo4j(), open_test_neo4j()
    a.upsert_elements([Element(ElementId("x"), "Server", "X")])
    b.upsert_elements([Element(ElementId("x"), "Application", "Other X")])
    assert a.get_elements(["x"])["x"].type == "Server"
    assert b.get_elements(["x"])["x"].type == "Application"
    assert sum(b.counts().elements.values()) == 1


@needs_server
def test_an_element_changing_type_changes_label_and_keeps_its_relations() -> None:
    s = open_test_neo4j()
    s.upsert_elements(
        [Element(ElementId("h"), "Server", "H"), Element(ElementId("a"), "Application", "A")]
    )
    s.upsert_relations([Relation(ElementId("a"), "runs_on", ElementId("h"))])
    s.upsert_elements([Element(ElementId("h"), "VirtualMachine", "H")])
    assert s.counts().elements == {"Application": 1, "VirtualMachine": 1}
    assert s.find_elements(types=["Server"]) == []
    assert [e.id for e in s.find_elements(types=["VirtualMachine"])] == ["h"]
    hops = s.neighbors(["h"], [Step("runs_on", Direction.IN)])
    assert [h.target for h in hops] == ["a"]


@needs_server
def test_a_source_given_relation_id_is_found_changed_and_deleted() -> None:
    s = open_test_neo4j()
    s.upsert_elements([Element(ElementId(i), "Application", i) for i in ("a", "b", "c")])
    # An id of the default form that names other ends: found by its key, not its form.
    s.upsert_relations([Relation(ElementId("a"), "flow", ElementId("b"), id="b|serves|c")])
    s.upsert_relations([Relation(ElementId("a"), "flow", ElementId("c"), id="b|serves|c")])
    got = s.get_relations(["b|serves|c"], EVERYTHING)
    assert (got["b|serves|c"].src, got["b|serves|c"].dst) == ("a", "c")
    assert sum(s.counts().relations.values()) == 1
    assert s.delete_relations(["b|serves|c"]) == 1
    assert s.get_relations(["b|serves|c"], EVERYTHING) == {}


@needs_server
def test_copy_to_neo4j_and_back_gives_the_same_answers(tmp_path: Path, ea, monkeypatch) -> None:
    from tests.landscape import build

    ws = build(tmp_path / "ws")
    tag = open_test_neo4j().repo  # type: ignore[attr-defined]  # purged after the test
    monkeypatch.setenv("EA_NEO4J_PASSWORD", os.environ.get("EA_TEST_NEO4J_PASSWORD", ""))
    uri = os.environ["EA_TEST_NEO4J_URI"]
    user = os.environ.get("EA_TEST_NEO4J_USER", "neo4j")
    to_neo = ea(
        "store",
        "copy",
        "--to",
        "neo4j",
        "--uri",
        uri,
        "--user",
        user,
        "--repository",
        tag,
        "-w",
        str(ws),
        "-f",
        "json",
    )
    assert to_neo.code == 0, to_neo.err
    assert json.loads(to_neo.out)["ok"] is True
    on_sqlite = {
        c: ea(*c.split(), "-w", str(ws), "-f", "json").out
        for c in ("impact dc-paris", "decommission app-wms", "history app-webshop")
    }
    _neo4j_workspace(ws, uri, f"  user: {user}\n  repository: {tag}\n")
    for command, expected in on_sqlite.items():
        result = ea(*command.split(), "-w", str(ws), "-f", "json")
        assert result.code == 0, result.err
        assert result.out == expected, command
    back = ea(
        "store",
        "copy",
        "--to",
        "sqlite",
        "--path",
        str(tmp_path / "back.db"),
        "-w",
        str(ws),
        "-f",
        "json",
    )
    assert back.code == 0, back.err
    assert json.loads(back.out)["source"] == json.loads(to_neo.out)["source"]


@needs_server
def test_copy_to_neo4j_refuses_types_the_metamodel_lacks_before_writing(
    tmp_path: Path, ea, monkeypatch
) -> None:
    from ea_repo.repository import Repository
    from tests.landscape import build

    ws = build(tmp_path / "ws")
    with Repository.open(ws) as repo:  # a type since dropped from the metamodel
        repo.store.upsert_elements([Element(ElementId("old"), "Mainframe", "Old")])
    target = open_test_neo4j()
    monkeypatch.setenv("EA_NEO4J_PASSWORD", os.environ.get("EA_TEST_NEO4J_PASSWORD", ""))
    result = ea(
        "store",
        "copy",
        "--to",
        "neo4j",
        "--uri",
        os.environ["EA_TEST_NEO4J_URI"],
        "--user",
        os.environ.get("EA_TEST_NEO4J_USER", "neo4j"),
        "--repository",
        target.repo,  # type: ignore[attr-defined]
        "-w",
        str(ws),
    )
    assert result.code != 0
    assert "elements of types the metamodel lacks: Mainframe" in result.err
    assert "Traceback" not in result.err
    assert not target.counts(EVERYTHING).elements and not target.runs()


@needs_server
def test_demo_on_neo4j_gives_the_same_answers_as_on_sqlite(tmp_path: Path, ea, monkeypatch) -> None:
    tag_store = open_test_neo4j("demo")  # the demo's tag, purged after the test
    monkeypatch.setenv("EA_NEO4J_URI", os.environ["EA_TEST_NEO4J_URI"])
    monkeypatch.setenv("EA_NEO4J_USER", os.environ.get("EA_TEST_NEO4J_USER", "neo4j"))
    monkeypatch.setenv("EA_NEO4J_PASSWORD", os.environ.get("EA_TEST_NEO4J_PASSWORD", ""))
    assert ea("demo", "-w", str(tmp_path / "sql")).code == 0
    built = ea("demo", "-w", str(tmp_path / "neo"), "--backend", "neo4j", "--force")
    assert built.code == 0, built.err
    assert tag_store.counts().elements  # it went to the server
    for command in (
        ["impact", "VCL-PAR-PROD01", "--layer", "business", "--layer", "strategy"],
        ["impact", "WMS Reflex", "--explain", "Operate warehouses"],
        ["dependencies", "Webshop", "--layer", "technology", "--layer", "physical"],
        ["decommission", "WMS Reflex"],
        ["obsolescence", "--horizon", "12m"],
        ["flows", "WMS Reflex"],
    ):
        a = ea(*command, "-w", str(tmp_path / "sql"), "-f", "json")
        b = ea(*command, "-w", str(tmp_path / "neo"), "-f", "json")
        assert a.code == b.code == 0, b.err
        assert a.out == b.out, command


@needs_server
def test_a_large_run_is_staged_and_a_failing_one_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ea_repo import Repository
    from ea_repo.config import init_workspace
    from ea_repo.metamodel import load_metamodel
    from ea_repo.model import Origin, Record
    from ea_repo.sync import SyncEngine

    def servers(keys: range, environment: str = "production") -> list[Record]:
        return [
            Record.element(
                "Server", f"srv{i}", f"SRV{i}", {"environment": environment}, Origin("x.csv", i)
            )
            for i in keys
        ]

    mm = load_metamodel()
    store = open_test_neo4j(stage_rows=3)  # any run of more than 3 rows is staged
    engine = SyncEngine(store, mm)
    engine.run("cmdb", servers(range(10)))
    assert sum(store.counts().elements.values()) == 10
    assert [r.status for r in store.runs()] == ["succeeded"]

    # A run that drops srv6..srv9 and changes the others fails once its changes are written.
    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "record_assertions", boom)
    with pytest.raises(OSError):
        engine.run("cmdb", servers(range(6), "test"), force=True)
    monkeypatch.undo()
    everything = store.get_elements([f"srv{i}" for i in range(10)], EVERYTHING)
    assert all(e.status.value == "active" for e in everything.values())  # nothing retired
    # and the changes it had written are undone
    assert {e.attrs["environment"] for e in everything.values()} == {"production"}
    # One failure, one failed run: the staged run itself, closed with the error.
    assert [(r.status, r.message) for r in store.runs()] == [
        ("failed", "OSError: disk full"),
        ("succeeded", None),
    ]
    assert store.asserted_ids("cmdb", "element") == {f"srv{i}" for i in range(10)}

    # Running it again converges to what one successful run gives on SQLite.
    engine.run("cmdb", servers(range(6), "test"), force=True)
    init_workspace(tmp_path / "ref")
    with Repository.open(tmp_path / "ref") as ref:
        ref_engine = SyncEngine(ref.store, mm)
        ref_engine.run("cmdb", servers(range(10)))
        ref_engine.run("cmdb", servers(range(6), "test"), force=True)
        expected = list(ref.store.iter_elements(EVERYTHING))
        expected_ids = ref.store.asserted_ids("cmdb", "element")
        expected_digests = len(ref.store.record_digests("cmdb"))
    assert list(store.iter_elements(EVERYTHING)) == expected
    assert store.asserted_ids("cmdb", "element") == expected_ids
    assert len(store.record_digests("cmdb")) == expected_digests
    assert store.runs()[0].status == "succeeded"
    assert {c.op for c in store.changes(run_id=store.runs()[0].id)} == {"changed", "retired"}


@needs_server
def test_no_attributes_are_no_property_and_older_empty_ones_read_unchanged() -> None:
    s = open_test_neo4j()
    tag = s.repo  # type: ignore[attr-defined]
    s.upsert_elements([Element(ElementId(i), "Application", i.upper()) for i in ("a", "b")])
    s.upsert_relations([Relation(ElementId("a"), "flow", ElementId("b"), {"protocol": "sftp"})])
    s.upsert_relations([Relation(ElementId("b"), "flow", ElementId("a"))])
    with s._driver.session() as session:  # type: ignore[attr-defined]
        stored = session.run(
            "MATCH (n:Element {repo: $repo}) OPTIONAL MATCH (n)-[r]->() "
            "RETURN n.id, n.attrs, r.attrs ORDER BY n.id",
            repo=tag,
        ).values()
        assert stored == [["a", None, '{"protocol":"sftp"}'], ["b", None, None]]
        # A repository written before empty attributes were left out holds '{}'.
        session.run(
            "MATCH (n:Element {repo: $repo}) SET n.attrs = '{}', n.updated_at = 'then' "
            "WITH n MATCH (n {id: 'b'})-[r]->() SET r.attrs = '{}', r.updated_at = 'then'",
            repo=tag,
        ).consume()
    assert s.get_elements(["a"])["a"].attrs == {}
    assert s.get_relations(["b|flow|a"])["b|flow|a"].attrs == {}
    # Written again unchanged: nothing is updated.
    s.upsert_elements([Element(ElementId(i), "Application", i.upper()) for i in ("a", "b")])
    s.upsert_relations([Relation(ElementId("b"), "flow", ElementId("a"))])
    with s._driver.session() as session:  # type: ignore[attr-defined]
        stamps = session.run(
            "MATCH (n:Element {repo: $repo}) OPTIONAL MATCH (n)-[r]->() "
            "RETURN collect(DISTINCT n.updated_at), collect(DISTINCT r.updated_at)",
            repo=tag,
        ).single()
    assert stamps is not None and stamps[0] == ["then"]
    assert "then" in stamps[1]


@needs_server
def test_a_relation_to_an_element_deleted_since_the_block_wrote_it_is_refused() -> None:
    s, other = open_test_neo4j(), open_test_neo4j()
    tag = s.repo  # type: ignore[attr-defined]
    # The block keeps the node id of each element it creates and links by it; another
    # writer deletes one of them (and a new node may take its id): the link is refused.
    with pytest.raises(ConflictError, match=r"does not exist \(gone\)"), s.transaction():
        s.upsert_elements([Element(ElementId(i), "Server", i) for i in ("gone", "kept")])
        s._stage()  # type: ignore[attr-defined]  # committed, as a staged run's chunks are
        with other._driver.session() as session:  # type: ignore[attr-defined]
            session.run(
                "MATCH (n:Element {repo: $repo, id: 'gone'}) DETACH DELETE n", repo=tag
            ).consume()
        s.upsert_relations([Relation(ElementId("gone"), "located_in", ElementId("kept"))])
    assert s.relations_of(["kept"], EVERYTHING) == []


@needs_server
def test_a_failed_read_leaves_the_next_reads_working_in_every_thread() -> None:
    import threading

    from ea_repo.errors import StoreError

    s = open_test_neo4j()
    s.upsert_elements([Element(ElementId("a"), "Application", "A")])
    assert set(s.get_elements(["a"])) == {"a"}
    with pytest.raises(StoreError, match="Neo4j error"):
        s._query("RETURN no_such_function($repo)")  # type: ignore[attr-defined]
    assert set(s.get_elements(["a"])) == {"a"}  # the failed read's session was dropped
    seen: list[set[str]] = []
    thread = threading.Thread(target=lambda: seen.append(set(s.get_elements(["a"]))))
    thread.start()
    thread.join()
    assert seen == [{"a"}]
    assert set(s.get_elements(["a"])) == {"a"}


@needs_server
def test_expand_answers_several_levels_in_one_query(monkeypatch: pytest.MonkeyPatch) -> None:
    from ea_repo.store import neo4j as backend

    store = open_test_neo4j()
    #  dc1 ← srv1 ← vm1 ← crm, erp (located_in, hosted_on, runs_on); crm → erp (flow)
    store.upsert_elements(
        [
            Element(ElementId(i), t, i.upper())
            for i, t in [
                ("dc1", "Datacenter"),
                ("srv1", "Server"),
                ("vm1", "VirtualMachine"),
                ("crm", "Application"),
                ("erp", "Application"),
            ]
        ]
    )
    store.upsert_relations(
        Relation(ElementId(s), t, ElementId(d))
        for s, t, d in [
            ("srv1", "located_in", "dc1"),
            ("vm1", "hosted_on", "srv1"),
            ("crm", "runs_on", "vm1"),
            ("erp", "runs_on", "vm1"),
            ("crm", "flow", "erp"),
        ]
    )
    down = [
        Step("located_in", Direction.IN),
        Step("hosted_on", Direction.IN),
        Step("runs_on", Direction.IN),
        Step("flow", Direction.OUT),
    ]
    queries: list[str] = []
    real_run = store._run  # type: ignore[attr-defined]
    monkeypatch.setattr(
        store, "_run", lambda tx, query, **p: queries.append(query) or real_run(tx, query, **p)
    )
    got = store.expand(["dc1"], down, levels=3)
    assert len(queries) == 1
    assert got.origins == {"dc1", "srv1", "vm1"}  # the third level reaches crm and erp
    assert {h.target for h in got.hops} == {"srv1", "vm1", "crm", "erp"}
    assert got.elements["crm"] == Element(ElementId("crm"), "Application", "CRM")
    # What only a `stop` relation reaches is not expanded; what else reaches it is.
    flows = [Step("flow", Direction.OUT), Step("runs_on", Direction.OUT)]
    assert store.expand(["crm"], flows, levels=3, stop=["flow"]).origins == {"crm", "vm1"}
    assert store.expand(["crm"], flows, levels=3).origins == {"crm", "vm1", "erp"}
    # A level wider than the cap expands nothing, nor does any after it.
    monkeypatch.setattr(backend, "LOOKAHEAD_CAP", 1)
    assert store.expand(["dc1"], down, levels=8).origins == {"dc1", "srv1", "vm1"}
    monkeypatch.setattr(backend, "LOOKAHEAD_CAP", 2)
    assert store.expand(["dc1"], down, levels=8).origins == {"dc1", "srv1", "vm1", "crm", "erp"}


def _staged_store(monkeypatch: pytest.MonkeyPatch, chunk: int) -> Any:
    """A store that stages any block past 10 rows, in chunks of ``chunk`` rows."""
    from ea_repo.store import neo4j as backend

    monkeypatch.setattr(backend, "STAGE_CHUNK", chunk)
    return open_test_neo4j(stage_rows=10)


@needs_server
def test_a_staged_write_commits_each_chunk_while_writing_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ea_repo.store import neo4j as backend

    store = _staged_store(monkeypatch, 7)
    commits: list[str] = []
    real_commit = store._commit  # type: ignore[attr-defined]

    def commit(tx: object, session: object) -> None:
        commits.append(threading.current_thread().name)
        real_commit(tx, session)

    monkeypatch.setattr(store, "_commit", commit)
    apps = [Element(ElementId(f"app{i}"), "Application", f"APP{i}") for i in range(50)]
    links = [
        Relation(ElementId(f"app{i}"), "flow", ElementId(f"app{(i * 7 + 3) % 50}"))
        for i in range(50)
    ] + [Relation(ElementId(f"app{i}"), "uses", ElementId(f"app{(i + 1) % 50}")) for i in range(50)]
    with store.transaction():
        store.upsert_elements(apps)
        store.upsert_relations(links)
    assert store.counts().elements == {"Application": 50}
    assert store.counts().relations == {"flow": 50, "uses": 50}
    # The block is staged at its first write (50 rows > 10): its first chunk commits with its
    # first transaction, a fence after it was listed, then 7 chunks of elements, 15 of relations.
    assert len(commits) == 22 and all(name.startswith("ea-neo4j-commit") for name in commits)
    # Ids met twice in one write: chunk after chunk, each seeing the last (the last wins).
    commits.clear()
    renamed = [Element(ElementId(f"app{i % 20}"), "Application", f"NEW{i}") for i in range(40)]
    with store.transaction():
        store.upsert_elements(renamed)
    assert commits == []
    assert store.get_elements(["app3"])["app3"].name == "NEW23"
    assert store.counts().elements == {"Application": 50}
    # A chunk that fails ends the write with its error; the chunks before it are undone.
    monkeypatch.setattr(backend, "STAGE_CHUNK", 5)
    broken = [
        Relation(ElementId(f"app{i}"), "serves", ElementId("ghost" if i == 12 else "app0"))
        for i in range(1, 20)
    ]
    with pytest.raises(ConflictError, match="ghost"), store.transaction():
        store.upsert_relations(broken)
    assert store.counts().relations.get("serves") is None
    with store.transaction():  # a writer reads what is stored
        assert store.relations_of(["app0"], types=["serves"]) == []


@needs_server
def test_a_staged_block_writes_during_its_fences_and_commits_only_after_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from ea_repo.store import cypher
    from ea_repo.store import neo4j as backend

    monkeypatch.setattr(backend, "FENCE_SECONDS", 2.0)
    store = _staged_store(monkeypatch, 7)
    events: list[tuple[str, float]] = []
    send, point = store._send, backend.checkpoint

    def sending(tx: Any, query: str, params: dict[str, Any]) -> Any:
        result = send(tx, query, params)
        names = {cypher.OPEN_STAGED: "listed", cypher.CLOSING_STAGED: "closing"}
        names[cypher.CLOSE_STAGED] = "unlisted"
        if query in names or "CREATE (n:Element" in query:
            events.append((names.get(query, "elements"), time.monotonic()))
        return result

    def reached(name: str) -> None:
        events.append((name, time.monotonic()))
        point(name)

    monkeypatch.setattr(store, "_send", sending)
    monkeypatch.setattr(backend, "checkpoint", reached)
    apps = [Element(ElementId(f"app{i}"), "Application", f"APP{i}") for i in range(30)]
    with store.transaction():
        store.upsert_elements(apps)
    ended = time.monotonic()
    assert store.counts().elements == {"Application": 30}
    order = [name for name, _ in events]
    at = {name: t for name, t in reversed(events)}  # the first time of each
    # The first chunk is written while the block is listed, before its first commit...
    assert order.index("listed") < order.index("elements") < order.index("neo4j.staged")
    # ...which waits a fence after the listing; and the last commit a fence after the mark.
    assert at["neo4j.staged"] - at["listed"] >= 2.0
    assert ended - at["closing"] >= 2.0
    # The last transaction is written within the closing fence, not after it.
    assert at["unlisted"] - at["closing"] < 2.0


class _Boom(Exception):
    """A failure in the middle of a staged block."""


@needs_server
def test_a_failed_staged_block_is_undone_and_never_shown_after_another_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = _staged_store(monkeypatch, 5)
    apps = [
        Element(ElementId(f"app{i}"), "Application", f"APP{i}", {"criticality": "low"})
        for i in range(20)
    ]
    uses = [Relation(ElementId(f"app{i}"), "uses", ElementId(f"app{i + 1}")) for i in range(19)]
    with store.transaction():
        store.upsert_elements(apps)
        store.upsert_relations(uses)

    def state() -> tuple[list[Element], list[Relation]]:
        return list(store.iter_elements(EVERYTHING)), list(store.iter_relations(EVERYTHING))

    before = state()
    # A block that changes, retypes and adds elements and relations, staged, then fails.
    changed = [Element(e.id, e.type, "NEW " + e.name, {"criticality": "high"}) for e in apps[:12]]
    retyped = [Element(ElementId("app12"), "ApplicationComponent", "APP12")]
    added = [Element(ElementId(f"new{i}"), "Application", f"NEW{i}") for i in range(8)]
    links = [Relation(r.src, r.type, r.dst, {"note": "changed"}) for r in uses[:6]]
    links += [Relation(ElementId(f"new{i}"), "uses", ElementId("app0")) for i in range(8)]
    with pytest.raises(_Boom), store.transaction():
        store.upsert_elements(changed + retyped + added)
        store.upsert_relations(links)
        raise _Boom
    assert state() == before
    # Another writer commits after it: what the failed block wrote stays gone.
    with store.transaction():
        store.upsert_elements([Element(ElementId("other"), "Application", "OTHER")])
    elements, relations = state()
    assert [e for e in elements if e.id != "other"] == before[0] and relations == before[1]
    assert store.find_elements(types=["ApplicationComponent"], lens=EVERYTHING) == []
    with store.transaction():  # and as stored, for writers
        assert store.get_elements([f"new{i}" for i in range(8)], EVERYTHING) == {}
        assert store.get_elements(["app3"])["app3"] == apps[3]


def _operators(plan: object) -> list[str]:
    """The operator names of a driver plan (``ResultSummary.plan``), depth first."""
    assert isinstance(plan, dict)
    found = [str(plan["operatorType"]).split("@")[0]]
    for child in plan.get("children", []):
        found += _operators(child)
    return found


@needs_server
def test_relations_find_their_ends_by_node_id_whatever_the_statistics() -> None:
    # The planner may prefer the key index to a node id when a label allows it, and
    # did so when its statistics said the database was empty (a first import): a
    # load ten times slower. The statement leaves it no index, whatever the counts.
    store = open_test_neo4j()
    tag = store.repo  # type: ignore[attr-defined]

    def seeks() -> list[list[str]]:
        plans = []
        with store._driver.session() as session:  # type: ignore[attr-defined]
            for rtype in ("runs_on", "flow"):
                text = store.builder.create_relations(rtype)  # type: ignore[attr-defined]
                summary = session.run(
                    "EXPLAIN " + text, rows=[], repo=tag, type=rtype, now="now"
                ).consume()
                plans.append(
                    [op for op in _operators(summary.plan) if "Seek" in op or "Scan" in op]
                )
        return plans

    assert seeks() == [["NodeByElementIdSeek"] * 2] * 2
    store.upsert_elements(
        [Element(ElementId(f"app{i}"), "Application", f"A{i}") for i in range(300)]
    )
    assert seeks() == [["NodeByElementIdSeek"] * 2] * 2


@needs_server
def test_relations_keep_no_type_name_and_older_ones_read_alike() -> None:
    s = open_test_neo4j()
    tag = s.repo  # type: ignore[attr-defined]
    s.upsert_elements([Element(ElementId(i), "Application", i.upper()) for i in ("a", "b", "c")])
    s.upsert_relations(
        [
            Relation(ElementId("a"), "flow", ElementId("b")),
            Relation(ElementId("b"), "uses", ElementId("c")),
        ]
    )
    with s._driver.session() as session:  # type: ignore[attr-defined]
        keys = session.run(
            "MATCH (:Element {repo: $repo})-[r]->() RETURN collect(DISTINCT keys(r))", repo=tag
        ).single()
        assert keys is not None and [sorted(k) for k in keys[0]] == [["id", "repo", "status"]]
        # A relation written before kept its type's name (and a time stamp): read alike.
        session.run(
            "MATCH (:Element {repo: $repo, id: 'b'})-[r]->() SET r.type = 'uses', r.updated_at = 'then'",
            repo=tag,
        ).consume()
    assert s.counts().relations == {"flow": 1, "uses": 1}
    assert {r.type for r in s.relations_of(["b"], EVERYTHING)} == {"flow", "uses"}
    assert [r.id for r in s.relations_of(["b"], EVERYTHING, types=["uses"])] == ["b|uses|c"]
    assert [r.type for r in s.iter_relations()] == ["flow", "uses"]
    assert s.get_relations(["a|flow|b"])["a|flow|b"].type == "flow"


def _servers(keys: range, environment: str = "production") -> list[Any]:
    from ea_repo.model import Origin, Record

    return [
        Record.element(
            "Server", f"srv{i}", f"SRV{i}", {"environment": environment}, Origin("x.csv", i)
        )
        for i in keys
    ]


def _state(store: Any) -> tuple[list[Element], list[Relation]]:
    """What the lens shows today, element by element, attributes included."""
    return list(store.iter_elements()), list(store.iter_relations())


@needs_server
def test_the_unchanged_input_shortcut_never_confirms_over_a_failed_staged_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ea_repo.metamodel import load_metamodel
    from ea_repo.sync import SyncEngine

    store = open_test_neo4j(stage_rows=3)  # any run of more than 3 rows is staged
    engine = SyncEngine(store, load_metamodel())
    engine.run("cmdb", _servers(range(10)), input_digest="A")
    after_a = _state(store)

    # B changes every server and adds two; it fails after its chunks committed.
    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "retract_assertions", boom)
    with pytest.raises(OSError):
        engine.run("cmdb", _servers(range(12), "test"), input_digest="B")
    monkeypatch.undo()
    assert _state(store) == after_a  # B's writes were undone

    # A again: the shortcut must not confirm B's values as A's.
    assert engine.confirm_unchanged("cmdb", "A") is None
    engine.run("cmdb", _servers(range(10)), input_digest="A")
    assert _state(store) == after_a


def _counted(monkeypatch: pytest.MonkeyPatch, store: Any, statement: str) -> list[str]:
    """The list that each read of ``statement`` by ``store`` appends it to, from now on."""
    seen: list[str] = []
    query = store._query

    def counting(text: str, **params: Any) -> Any:
        seen.extend([text] if text == statement else [])
        return query(text, **params)

    monkeypatch.setattr(store, "_query", counting)
    return seen


def _die(store: Any) -> None:
    """Let ``store`` vanish as a killed process would: no renewal, no release, no goodbye."""
    store._closing.set()
    store._renewer.join()
    store._locked, store._leased_runs = False, []  # forgotten, as by a dead process


@needs_server
def test_readers_look_at_the_staged_blocks_once_a_fence_and_never_meet_one_unknown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ea_repo.store import cypher

    writer = _staged_store(monkeypatch, 5)
    apps = [Element(ElementId(f"app{i}"), "Application", f"APP{i}") for i in range(4)]
    with writer.transaction():
        writer.upsert_elements(apps)
    reader: Any = open_test_neo4j(writer.repo)  # type: ignore[attr-defined]
    looks = _counted(monkeypatch, reader, cypher.STAGED_STATE)
    assert list(reader.iter_elements()) == list(reader.iter_elements()) == apps
    assert len(looks) == 1  # two reads within a fence: one look
    renamed = [Element(e.id, e.type, "NEW " + e.name) for e in apps]
    block = writer.transaction()
    block.__enter__()
    writer.upsert_elements(
        renamed + [Element(ElementId(f"new{i}"), "Application", "N") for i in range(8)]
    )
    # The block was listed a fence before its first commit: the reader's look is older than
    # that, so it looks again after reading, learns of the block, and reads the state before.
    assert list(reader.iter_elements()) == apps
    assert len(looks) == 2
    block.__exit__(None, None, None)  # closing: marked a fence before its last commit
    assert list(reader.iter_elements())[:4] == renamed
    assert len(looks) == 3


@needs_server
def test_a_staged_block_left_open_refuses_other_writers_until_its_lease_expires_then_is_undone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from ea_repo.store.neo4j import RepositoryLockedError

    dead = _staged_store(monkeypatch, 5)
    dead.lease_seconds = 1.0
    apps = [Element(ElementId(f"app{i}"), "Application", f"APP{i}") for i in range(4)]
    with dead.transaction():
        dead.upsert_elements(apps)
    # A staged block whose process dies after its chunks committed: killed, never closed.
    block = dead.transaction()
    block.__enter__()
    run = dead.start_run("cmdb")
    dead.upsert_elements([Element(e.id, e.type, "NEW " + e.name) for e in apps])
    dead.upsert_elements([Element(ElementId(f"new{i}"), "Application", "N") for i in range(12)])
    _die(dead)
    alive: Any = open_test_neo4j(dead.repo, lease_seconds=1.0)
    assert list(alive.iter_elements()) == apps  # readers see the state before it
    with pytest.raises(RepositoryLockedError, match="staged sync"), alive.transaction():
        pass  # a writer of another process waits for it: refused, as a second sync is
    time.sleep(1.1)  # its lease expired: the next writer undoes it, then writes
    with alive.transaction():
        assert alive.get_elements(["new0", "app0"], EVERYTHING) == {"app0": apps[0]}
        alive.upsert_elements([Element(ElementId("other"), "Application", "OTHER")])
    assert [e.id for e in alive.iter_elements()] == ["app0", "app1", "app2", "app3", "other"]
    assert list(alive.iter_elements())[:4] == apps
    assert [(r.id, r.status) for r in alive.runs()] == [(run.id, "failed")]
    assert alive.changes(run_id=run.id) == []


@needs_server
def test_write_transactions_look_for_interrupted_runs_once_a_quarter_lease(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    from ea_repo.store import cypher

    # A lease long enough that five writes fit in its quarter on a loaded machine.
    dead = open_test_neo4j(lease_seconds=6.0)
    dead.start_run("cmdb")
    _die(dead)
    store: Any = open_test_neo4j(dead.repo, lease_seconds=6.0)  # type: ignore[attr-defined]
    looked = _counted(monkeypatch, store, cypher.RUNNING_OWNERS)
    for n in range(5):  # five write transactions in a row: one round trip to look, not five
        with store.transaction():
            store.upsert_elements([Element(f"app-{n}", "Application", f"App {n}")])
    assert len(looked) == 1
    assert [r.status for r in store.runs()] == ["running"]
    time.sleep(6.1)  # the lease expired, and a quarter lease went by: the next write looks
    with store.transaction():
        store.upsert_elements([Element("app-5", "Application", "App 5")])
    assert len(looked) == 2
    assert [r.status for r in store.runs()] == ["failed"]


@needs_server
def test_a_run_whose_process_died_is_closed_as_interrupted_once_its_lease_expired() -> None:
    import time

    from ea_repo.metamodel import load_metamodel
    from ea_repo.sync import SyncEngine

    dead = open_test_neo4j(lease_seconds=1.5)
    dead.start_run("cmdb")  # committed as running: a staged run's first commit
    _die(dead)
    alive = open_test_neo4j(dead.repo, lease_seconds=1.5)  # type: ignore[attr-defined]
    assert [r.status for r in alive.runs()] == ["running"]
    # Within its lease the run may be at work elsewhere: a new run leaves it alone.
    engine = SyncEngine(alive, load_metamodel())
    engine.run("cmdb", _servers(range(2)))
    assert [r.status for r in alive.runs()] == ["succeeded", "running"]
    time.sleep(1.6)
    engine.run("cmdb", _servers(range(3)))
    [_, _, interrupted] = alive.runs()
    assert (interrupted.status, interrupted.finished_at is not None) == ("failed", True)
    assert (interrupted.message or "").startswith("interrupted")


@needs_server
def test_a_run_at_work_renews_its_lease_and_is_never_closed_under_it() -> None:
    import time

    working = open_test_neo4j(lease_seconds=1.0)
    run = working.start_run("cmdb")
    other = open_test_neo4j(working.repo, lease_seconds=1.0)  # type: ignore[attr-defined]
    for _ in range(4):  # four leases long
        time.sleep(0.6)
        assert other.close_interrupted() == 0  # type: ignore[attr-defined]
    working.finish_run(run.id, "succeeded")
    assert [r.status for r in other.runs()] == ["succeeded"]


def _synced_neo4j_workspace(root: Path, monkeypatch: pytest.MonkeyPatch, tag: str) -> Path:
    """A workspace on the test server under ``tag``, declaring a ServiceNow source over
    copies of the sync tests' exports (8 CIs, 6 relations)."""
    import shutil

    from ea_repo.config import init_workspace

    init_workspace(root)
    exports = root / "exports"
    exports.mkdir()
    for name in ("cmdb_ci.csv", "cmdb_rel_ci.csv"):
        shutil.copy(SYNC_DATA / name, exports / name)
    monkeypatch.setenv("EA_NEO4J_USER", os.environ.get("EA_TEST_NEO4J_USER", "neo4j"))
    monkeypatch.setenv("EA_NEO4J_PASSWORD", os.environ.get("EA_TEST_NEO4J_PASSWORD", ""))
    return neo4j_cmdb_workspace(root, tag)


@needs_server
def test_one_sync_per_repository_tag_at_a_time_from_any_workspace(
    tmp_path: Path, ea, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    holder = open_test_neo4j(lease_seconds=1.5)
    tag = holder.repo  # type: ignore[attr-defined]
    one = _synced_neo4j_workspace(tmp_path / "one", monkeypatch, tag)
    two = _synced_neo4j_workspace(tmp_path / "two", monkeypatch, tag)
    with holder.exclusive():  # type: ignore[attr-defined]  # another workspace's sync
        result = ea("sync", "-w", str(one))
        assert result.code == 4, result.err
        assert f"another sync of repository {tag!r}" in result.err
        assert holder.owner in result.err  # type: ignore[attr-defined]
    result = ea("sync", "-w", str(one))
    assert result.code == 0, result.err
    # A holder that died keeps the lock until its lease expires, then loses it.
    dying = open_test_neo4j(tag, lease_seconds=1.5)
    held = dying.exclusive()  # type: ignore[attr-defined]
    held.__enter__()
    _die(dying)
    assert ea("sync", "-w", str(two)).code == 4
    time.sleep(1.6)
    result = ea("sync", "-w", str(two), "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["sources"][0]["elements"]["unchanged"] == 8
    logged = [(c.item_id, c.op) for c in holder.changes()]
    assert len(logged) == len(set(logged)) == 14  # each change logged once


class _Proxy:
    """A TCP relay to the test server that can be cut, as a lost server or network is."""

    def __init__(self, target: str) -> None:
        host, port = target.rsplit("//", 1)[1].rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.uri = f"bolt://127.0.0.1:{self.listener.getsockname()[1]}"
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                near, _ = self.listener.accept()
            except OSError:
                return
            far = socket.create_connection(self.target)
            self.sockets += [near, far]
            for a, b in ((near, far), (far, near)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept, which a close does not
        self.listener.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


@needs_server
def test_a_server_lost_mid_sync_ends_it_within_30_s_with_exit_3_in_one_line(
    tmp_path: Path, ea, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from ea_repo.metamodel import load_metamodel
    from ea_repo.store import neo4j as backend
    from ea_repo.sync import SyncEngine

    proxy = _Proxy(os.environ["EA_TEST_NEO4J_URI"])
    reference = open_test_neo4j()
    tag = reference.repo  # type: ignore[attr-defined]
    root = _synced_neo4j_workspace(tmp_path / "ws", monkeypatch, tag)
    monkeypatch.setenv("EA_NEO4J_URI", proxy.uri)
    monkeypatch.setenv("EA_NEO4J_STAGE_ROWS", "3")  # staged: the elements commit first
    monkeypatch.setattr(backend, "LEASE_SECONDS", 1.0)
    lost: list[float] = []
    upsert = backend.Neo4jStore.upsert_relations

    def cut_first(self: Any, relations: Any) -> int:
        proxy.cut()
        lost.append(time.monotonic())
        return upsert(self, relations)

    monkeypatch.setattr(backend.Neo4jStore, "upsert_relations", cut_first)
    result = ea("sync", "-w", str(root))
    took = time.monotonic() - lost[0]
    print(f"lost server: exit {result.code} after {took:.1f} s")
    assert result.code == 3, result.err
    assert took < 30, took
    [message, hint] = result.err.strip().splitlines()
    assert message.startswith(f"error: cannot reach the Neo4j server at {proxy.uri}")
    assert hint.startswith("hint: is it running?")
    # At the next contact, once its lease expired, the run is closed as interrupted.
    assert [r.status for r in reference.runs()] == ["running"]
    time.sleep(1.2)
    monkeypatch.undo()
    SyncEngine(reference, load_metamodel()).run("other", [])
    assert [(r.source, r.status) for r in reference.runs()] == [
        ("other", "succeeded"),
        ("cmdb", "failed"),
    ]


def test_an_empty_repository_tag_is_an_error_not_default(workspace: Path) -> None:
    _neo4j_workspace(workspace, "bolt://localhost:7687", "  repository:\n")
    with pytest.raises(WorkspaceError, match=r"ea.yaml:4: repository tag '' is not valid"):
        load_workspace(workspace, env={})
    _neo4j_workspace(workspace, "bolt://localhost:7687")
    with pytest.raises(WorkspaceError, match="EA_NEO4J_REPOSITORY: repository tag '' is not valid"):
        load_workspace(workspace, env={"EA_NEO4J_REPOSITORY": ""})


@needs_server
def test_a_staged_runs_closing_steps_commit_together_and_its_log_with_its_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ea_repo.errors import EaError
    from ea_repo.metamodel import load_metamodel
    from ea_repo.store import cypher
    from ea_repo.sync import SyncEngine

    store = open_test_neo4j(stage_rows=3)
    engine = SyncEngine(store, load_metamodel())
    engine.run("cmdb", _servers(range(10)))
    # B changes srv0..srv5 and drops srv6..srv9; retiring them fails, after the
    # retractions were made in the same closing transaction.
    monkeypatch.setattr(cypher, "SET_ELEMENT_STATUS", "RETURN nonsense(")
    with pytest.raises(EaError):
        engine.run("cmdb", _servers(range(6), "test"), force=True)
    monkeypatch.undo()
    failed = store.runs()[0]
    assert failed.status == "failed"
    # What it wrote was undone with its log; what it did not finish is not half-done.
    assert store.changes(run_id=failed.id) == []
    assert store.asserted_ids("cmdb", "element") == {f"srv{i}" for i in range(10)}
    assert {e.id for e in store.iter_elements()} == {f"srv{i}" for i in range(10)}
    assert {e.attrs["environment"] for e in store.iter_elements()} == {"production"}
    # The next run does it all again, retirements included.
    again = engine.run("cmdb", _servers(range(6), "test"), force=True)
    assert sorted(again.elements.missing) == [f"srv{i}" for i in range(6, 10)]
    assert {e.id for e in store.iter_elements()} == {f"srv{i}" for i in range(6)}
    assert {(c.item_id, c.op) for c in store.changes(run_id=again.run_id)} == {
        (f"srv{i}", "changed") for i in range(6)
    } | {(f"srv{i}", "retired") for i in range(6, 10)}


@needs_server
def test_lookups_by_id_seek_each_id_whatever_the_statistics() -> None:
    # Seen on a shared server: inactive() sought every element of the repository for
    # each id (75 s for 19 000 ids), asserted_values() took the item index and filtered
    # by source (33 s): each statement must seek the one id it is given.
    from ea_repo.metamodel import load_metamodel
    from ea_repo.store import cypher
    from ea_repo.sync import SyncEngine

    store = open_test_neo4j()

    def seeks() -> dict[str, list[str]]:
        found = {}
        with store._driver.session() as session:  # type: ignore[attr-defined]
            for name in ("INACTIVE_ELEMENTS", "ASSERTED_VALUES", "TOUCH_ASSERTIONS"):
                summary = session.run(
                    "EXPLAIN " + getattr(cypher, name),
                    ids=[],
                    repo=store.repo,  # type: ignore[attr-defined]
                    source="s",
                    kind="element",
                    run=1,
                    at="now",
                ).consume()
                found[name] = _seeks(summary.plan)
        return found

    expected = {
        "INACTIVE_ELEMENTS": ["UNIQUE n:Element(repo, id) WHERE repo = $repo AND id = i"],
        "ASSERTED_VALUES": [
            "UNIQUE a:EaAssertion(repo, source, kind, item_id) WHERE repo = $repo "
            "AND source = $source AND kind = $kind AND item_id = i"
        ],
    }
    expected["TOUCH_ASSERTIONS"] = expected["ASSERTED_VALUES"]
    assert seeks() == expected
    SyncEngine(store, load_metamodel()).run("s", _servers(range(300)))
    assert seeks() == expected


def _seeks(plan: object) -> list[str]:
    """The index seeks and scans of a driver plan, with what each seeks."""
    assert isinstance(plan, dict)
    found = []
    if "Seek" in plan["operatorType"] or "Scan" in plan["operatorType"]:
        found.append(str(plan.get("args", {}).get("Details", "")).split(", cache[")[0])
    for child in plan.get("children", []):
        found += _seeks(child)
    return found


@needs_server
def test_a_copy_to_neo4j_keeps_what_each_day_shows(tmp_path: Path) -> None:
    from ea_repo.model import CURRENT
    from ea_repo.store.copy import copy_repository
    from ea_repo.store.sqlite import SQLiteStore

    source = SQLiteStore(tmp_path / "r.db")
    source.upsert_elements(
        [
            Element(
                ElementId("old"), "Application", "Old", {"lifecycle_end_of_life": "2026-01-01"}
            ),
            Element(ElementId("new"), "Application", "New", {"lifecycle_phase_in": "2026-01-01"}),
        ]
    )
    source.upsert_relations(
        [
            Relation(
                ElementId("old"),
                "flow",
                ElementId("new"),
                {"lifecycle_plan": "2024-01-01", "lifecycle_active": "2025-06-01"},
            )
        ]
    )
    target = open_test_neo4j()
    assert copy_repository(source, target).ok
    for day, shown in (("2025-12-31", {"old"}), ("2026-01-01", {"new"})):
        for store in (source, target):
            assert set(store.get_elements(["old", "new"], CURRENT.on(day))) == shown
    assert set(target.get_relations(["old|flow|new"], CURRENT.on("2025-05-31"))) == set()
    assert set(target.get_relations(["old|flow|new"], CURRENT.on("2025-06-01"))) == {"old|flow|new"}
    source.close()


@needs_server
def test_a_repository_of_schema_1_gets_the_lifecycle_span_of_what_it_holds() -> None:
    from ea_repo.model import CURRENT

    first = open_test_neo4j()
    first.upsert_elements(
        [Element(ElementId("old"), "Application", "Old", {"lifecycle_end_of_life": "2026-01-01"})]
    )
    first.upsert_elements([Element(ElementId("new"), "Application", "New")])
    first.upsert_relations(
        [Relation(ElementId("old"), "flow", ElementId("new"), {"lifecycle_phase_in": "2025-01-01"})]
    )
    with first._session() as session:  # type: ignore[attr-defined]  # as ea-repo left it then
        for statement in (
            "MATCH (n:Element {repo: $repo}) REMOVE n.since, n.until",
            "MATCH (:Element {repo: $repo})-[r]->() REMOVE r.since, r.until",
            "MATCH (m:EaMeta {repo: $repo}) SET m.schema_version = 1",
        ):
            session.run(statement, repo=first.repo).consume()  # type: ignore[attr-defined]
    assert set(first.get_elements(["old", "new"], CURRENT.on("2026-06-01"))) == {"old", "new"}
    again = open_test_neo4j(first.repo)  # type: ignore[attr-defined]
    assert again.schema_version() == SCHEMA_VERSION == 2
    assert set(again.get_elements(["old", "new"], CURRENT.on("2026-06-01"))) == {"new"}
    assert again.get_relations(["old|flow|new"], CURRENT.on("2024-12-31")) == {}
    assert set(again.get_relations(["old|flow|new"], CURRENT.on("2025-01-01"))) == {"old|flow|new"}
