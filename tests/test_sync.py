"""The sync engine on a real SQLite repository (and Neo4j, given a test server): idempotence, policies, guard, atomicity, references."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from ea_repo import Repository
from ea_repo.errors import Problem, SourceError
from ea_repo.importers import ImportBatch
from ea_repo.model import EVERYTHING, Origin, Record, Ref, Status
from ea_repo.store.base import GraphStore
from ea_repo.sync import SyncEngine


@pytest.fixture(params=["sqlite", "neo4j"])
def repo(request: pytest.FixtureRequest, workspace: Path):
    """The workspace's repository on SQLite, then on the Neo4j test server (if there is one)."""
    if request.param == "neo4j":
        from ea_repo.config import load_workspace
        from ea_repo.metamodel import load_metamodel
        from tests.neo4j_support import open_test_neo4j

        yield Repository(open_test_neo4j(), load_metamodel(), load_workspace(workspace))
        return
    with Repository.open(workspace) as r:
        yield r


def engine(repo: Repository) -> SyncEngine:
    return SyncEngine(repo.store, repo.metamodel)


def servers(n: int, **attrs: object) -> list[Record]:
    return [
        Record.element(
            "Server",
            f"srv{i:02d}",
            f"SRV{i:02d}",
            {"environment": "production", **attrs},
            Origin("cmdb.csv", i + 2),
        )
        for i in range(n)
    ]


def status_of(repo: Repository, *ids: str) -> dict[str, str]:
    return {i: e.status.value for i, e in repo.store.get_elements(ids, EVERYTHING).items()}


def test_first_run_adds_and_a_second_identical_run_changes_nothing(repo: Repository) -> None:
    first = engine(repo).run("cmdb", servers(5))
    assert first.applied and first.elements.counts()["added"] == 5
    second = engine(repo).run("cmdb", servers(5))
    assert second.elements.counts() == {
        "added": 0,
        "changed": 0,
        "revived": 0,
        "unchanged": 5,
        "missing": 0,
    }
    assert [c.op for c in repo.store.changes()] == ["added"] * 5
    runs = repo.store.runs(source="cmdb")
    assert [r.status for r in runs] == ["succeeded", "succeeded"]


def test_a_run_consumes_a_batch_only_when_told(repo: Repository) -> None:
    """``consume``: the run takes the records out of the batch (a large import lets them
    go once validated); without it the batch keeps them and may run again."""
    batch = ImportBatch(records=servers(3))
    assert engine(repo).run("cmdb", batch).elements.counts()["added"] == 3
    assert [r.key for r in batch.records] == ["srv00", "srv01", "srv02"]
    again = engine(repo).run("cmdb", batch, consume=True)
    assert batch.records == []
    assert again.elements.counts()["unchanged"] == 3 and again.elements.missing == {}


def test_a_changed_attribute_is_a_change_with_before_and_after(repo: Repository) -> None:
    engine(repo).run("cmdb", servers(2))
    result = engine(repo).run("cmdb", servers(2, environment="test"))
    assert result.elements.changed["srv00"] == {"attrs.environment": ("production", "test")}
    history = repo.store.changes(item_id="srv00")
    assert [c.op for c in history] == ["added", "changed"]
    assert history[1].before["attrs"]["environment"] == "production"
    assert history[1].after["attrs"]["environment"] == "test"


def test_missing_items_are_retired_then_revived(repo: Repository) -> None:
    engine(repo).run("cmdb", servers(10))
    result = engine(repo).run("cmdb", servers(10)[:9])
    assert result.elements.missing == {"srv09": "retire"}
    assert status_of(repo, "srv09") == {"srv09": "retired"}
    assert "srv09" not in {e.id for e in repo.find(type_name="Server")}
    back = engine(repo).run("cmdb", servers(10))
    assert back.elements.revived == ["srv09"]
    assert status_of(repo, "srv09") == {"srv09": "active"}
    assert [c.op for c in repo.store.changes(item_id="srv09")] == ["added", "retired", "revived"]


def test_delete_policy_removes_the_element_and_its_relations(repo: Repository) -> None:
    apps = [Record.element("Application", "app", "App")]
    engine(repo).run("cmdb", servers(10) + apps + [Record.relation("runs_on", "app", "srv09")])
    result = engine(repo).run("cmdb", servers(9) + apps, on_missing="delete")
    assert result.elements.missing == {"srv09": "delete"}
    assert result.relations.missing == {"app|runs_on|srv09": "delete"}
    assert repo.store.get_elements(["srv09"], EVERYTHING) == {}
    assert repo.store.relations_of(["app"], EVERYTHING) == []
    assert repo.store.asserted_ids("cmdb", "element") == {f"srv{i:02d}" for i in range(9)} | {"app"}
    assert [c.op for c in repo.store.changes(item_id="app|runs_on|srv09")] == ["added", "deleted"]


def test_keep_policy_leaves_items_active_but_unconfirmed(repo: Repository) -> None:
    engine(repo).run("cmdb", servers(10))
    engine(repo).run("cmdb", servers(9), on_missing="keep")
    assert status_of(repo, "srv09") == {"srv09": "active"}
    assert "srv09" not in repo.store.asserted_ids("cmdb", "element")


def test_an_element_another_source_asserts_stays_active(repo: Repository) -> None:
    engine(repo).run("cmdb", servers(10))
    engine(repo).run("monitoring", [Record.element("Server", "srv09", None, {"os": "Linux"})])
    result = engine(repo).run("cmdb", servers(9))
    assert result.elements.missing == {"srv09": "kept by monitoring"}
    srv = repo.element("srv09")
    assert srv.status is Status.ACTIVE
    assert srv.name == "SRV09"  # monitoring gave no name; the CMDB's stays


def relation_status(repo: Repository, *ids: str) -> dict[str, str]:
    return {i: r.status.value for i, r in repo.store.get_relations(ids, EVERYTHING).items()}


def test_relations_follow_their_elements_into_retirement_and_back(repo: Repository) -> None:
    apps = [Record.element("Application", "app", "App"), Record.element("Application", "b", "B")]
    runs_on, flow, back = "app|runs_on|srv02", "app|flow|b", "b|flow|app"
    cmdb = (
        servers(3)
        + apps
        + [
            Record.relation("runs_on", "app", "srv02"),
            Record.relation("flow", "b", "app"),
        ]
    )
    interfaces = [Record.relation("flow", "app", "b")]
    engine(repo).run("cmdb", cmdb)
    engine(repo).run("interfaces", interfaces)
    # The CMDB drops srv02 and b (and b's own flow); its relation export still lists runs_on.
    gone = engine(repo).run("cmdb", cmdb[:2] + cmdb[3:4] + cmdb[5:6], force=True)
    assert status_of(repo, "srv02", "b") == {"srv02": "retired", "b": "retired"}
    assert relation_status(repo, runs_on, flow, back) == dict.fromkeys(
        (runs_on, flow, back), "retired"
    )
    assert gone.with_elements == {"retired": 2}  # runs_on (this source's), flow (another's)
    assert gone.relations.missing == {back: "retire"}
    assert "2 relation(s) retired with an element this run retired" in gone.notes()
    assert gone.summary()["relations_with_elements"] == {"retired": 2}
    assert [c.op for c in repo.store.changes(item_id=flow)] == ["added", "retired"]
    assert repo.store.relations_of(["app"]) == []  # analyses no longer see them
    # The interfaces still list the flow: it stays retired while b is.
    again = engine(repo).run("interfaces", interfaces)
    assert again.with_elements == {"dormant": 1}
    assert relation_status(repo, flow) == {flow: "retired"}
    # b comes back: the flow the interfaces still assert comes back with it; b's own flow,
    # which no source asserts any more, does not.
    revived = engine(repo).run("cmdb", cmdb[:6])
    assert sorted(revived.elements.revived) == ["b", "srv02"]
    assert revived.relations.revived == [runs_on]
    assert revived.with_elements == {"revived": 1}
    assert relation_status(repo, runs_on, flow, back) == {
        runs_on: "active",
        flow: "active",
        back: "retired",
    }
    assert [c.op for c in repo.store.changes(item_id=flow)] == ["added", "retired", "revived"]
    assert engine(repo).run("interfaces", interfaces).relations.counts()["unchanged"] == 1


def test_a_run_retires_the_active_relations_of_elements_retired_before(repo: Repository) -> None:
    # A repository written before relations followed their elements.
    apps = [Record.element("Application", "app", "App"), Record.element("Application", "b", "B")]
    engine(repo).run("cmdb", apps)
    engine(repo).run("interfaces", [Record.relation("flow", "app", "b")])
    repo.store.set_status("element", ["b"], Status.RETIRED)
    result = engine(repo).run("monitoring", servers(1))
    assert result.with_elements == {"retired": 1}
    assert relation_status(repo, "app|flow|b") == {"app|flow|b": "retired"}
    assert engine(repo).run("monitoring", servers(2)).with_elements == {}


def test_a_full_run_reads_no_relation_of_elements_retired_with_theirs(
    repo: Repository,
) -> None:
    apps = [Record.element("Application", "app", "App"), Record.element("Application", "b", "B")]
    engine(repo).run("cmdb", apps)
    engine(repo).run("interfaces", [Record.relation("flow", "app", "b")])
    engine(repo).run("cmdb", apps[:1], max_missing=1)  # b retired, its flow with it
    assert relation_status(repo, "app|flow|b") == {"app|flow|b": "retired"}
    store = _Reads(repo.store)
    result = SyncEngine(cast(GraphStore, store), repo.metamodel).run("monitoring", servers(1))
    # Nothing to repair: the retired element's relations are not read to find that out.
    assert result.with_elements == {}
    assert store.read["relations_of"] + store.read["stranded_relations"] == []


def test_attributes_merge_across_sources(repo: Repository) -> None:
    engine(repo).run(
        "cmdb", [Record.element("Server", "s", "S", {"environment": "production", "os": "RHEL"})]
    )
    engine(repo).run("monitoring", [Record.element("Server", "s", None, {"cpu_count": 8})])
    assert repo.element("s").attrs == {"environment": "production", "os": "RHEL", "cpu_count": 8}
    # The CMDB stops giving `os`: it goes; monitoring's cpu_count stays.
    engine(repo).run("cmdb", [Record.element("Server", "s", "S", {"environment": "production"})])
    assert repo.element("s").attrs == {"environment": "production", "cpu_count": 8}


def test_the_guard_refuses_a_truncated_export_unless_forced(repo: Repository) -> None:
    engine(repo).run("cmdb", servers(10))
    with pytest.raises(SourceError, match=r"remove 3 of the 10 items the source had \(30%") as info:
        engine(repo).run("cmdb", servers(7))
    assert "--force" in (info.value.hint or "")
    assert set(status_of(repo, *[f"srv{i:02d}" for i in range(10)]).values()) == {"active"}
    engine(repo).run("cmdb", servers(8))  # 20% is allowed
    result = engine(repo).run("cmdb", servers(5), force=True)
    assert len(result.elements.missing) == 3
    engine(repo).run("cmdb", servers(5), max_missing=0.5)  # nothing more goes: no trip


def test_dry_run_reports_the_diff_and_writes_nothing(repo: Repository) -> None:
    engine(repo).run("cmdb", servers(3))
    result = engine(repo).run(
        "cmdb", servers(2) + [Record.element("Server", "new", "New")], dry_run=True
    )
    assert not result.applied
    assert (result.elements.added, result.elements.missing) == (["new"], {"srv02": "retire"})
    assert (
        result.refused and "remove 1 of the 3 items" in result.refused
    )  # the real run would need --force
    assert status_of(repo, "srv02", "new") == {"srv02": "active"}
    assert len(repo.store.runs()) == 1


def test_any_invalid_record_means_nothing_is_written(repo: Repository) -> None:
    batch = ImportBatch(
        ["cmdb.csv"],
        servers(3)
        + [Record.element("Server", "bad", "Bad", {"cpu_count": "many"}, Origin("cmdb.csv", 9))],
    )
    batch.problems.append(Problem("unknown class 'Toaster'", "cmdb.csv", 7))
    with pytest.raises(SourceError) as info:
        engine(repo).run("cmdb", batch)
    text = [str(p) for p in info.value.problems]
    assert text == [
        "cmdb.csv:7: unknown class 'Toaster'",
        "cmdb.csv:9: 'bad': Server.cpu_count: expected a whole number, got 'many'",
    ]
    assert repo.store.counts(EVERYTHING).elements == {}
    (run,) = repo.store.runs()  # a failed run, recorded with its problems
    assert (run.status, run.stats["problems"]) == ("failed", 2)
    assert run.stats["first_problem"] == "cmdb.csv:7: unknown class 'Toaster'"
    assert repo.store.changes() == []


def test_a_failure_while_writing_leaves_the_repository_as_it_was(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine(repo).run("cmdb", servers(3))
    before = list(repo.store.iter_elements(EVERYTHING))

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(repo.store, "log_changes", boom)
    with pytest.raises(OSError, match="disk full"):
        engine(repo).run(
            "cmdb",
            servers(2, environment="test") + [Record.element("Server", "x", "X")],
            force=True,
        )
    monkeypatch.undo()
    assert list(repo.store.iter_elements(EVERYTHING)) == before
    assert repo.store.asserted_ids("cmdb", "element") == {"srv00", "srv01", "srv02"}
    last = repo.store.runs(source="cmdb")[0]
    assert (last.status, last.message) == ("failed", "OSError: disk full")


def test_references_by_name_resolve_in_the_run_and_the_repository(repo: Repository) -> None:
    engine(repo).run(
        "cmdb",
        [
            Record.element("Application", "crm-id", "CRM"),
            Record.element("Application", "erp-id", "ERP"),
        ],
    )
    flows = [
        Record.relation(
            "flow",
            Ref("crm", by="name"),
            Ref("ERP", by="name", type="Application"),
            {"protocol": "SFTP"},
            key="IF-1",
        ),
        Record.relation(
            "flow",
            Ref("erp", by="name"),
            Ref("Loyalty", by="name"),
            key="IF-2",
            origin=Origin("flows.csv", 3),
        ),
    ]
    with pytest.raises(SourceError) as info:
        engine(repo).run("flows", flows)
    assert [str(p) for p in info.value.problems] == ["flows.csv:3: no element named 'Loyalty'"]
    engine(repo).run("flows", flows[:1])
    rel = repo.store.get_relations(["IF-1"])["IF-1"]
    assert (rel.src, rel.dst, rel.attrs["protocol"]) == ("crm-id", "erp-id", "SFTP")


def test_an_ambiguous_name_is_an_error_unless_the_type_settles_it(repo: Repository) -> None:
    engine(repo).run(
        "cmdb",
        [
            Record.element("Application", "app-billing", "Billing"),
            Record.element("Server", "srv-billing", "billing"),
            Record.element("Server", "srv-x", "X"),
        ],
    )
    ambiguous = Record.relation(
        "runs_on", Ref("Billing", by="name"), Ref("X", by="name"), origin=Origin("rel.csv", 4)
    )
    with pytest.raises(SourceError) as info:
        engine(repo).run("rels", [ambiguous])
    assert str(info.value.problems[0]) == (
        "rel.csv:4: 2 elements are named 'Billing' (app-billing, srv-billing); refer to it by id"
    )
    settled = Record.relation(
        "runs_on", Ref("Billing", by="name", type="Application"), Ref("X", by="name")
    )
    engine(repo).run("rels", [settled])
    assert repo.store.get_relations(["app-billing|runs_on|srv-x"])


def test_defaults_do_not_overwrite_what_another_source_gave(repo: Repository) -> None:
    engine(repo).run(
        "catalog", [Record.element("DataObject", "customer", "Customer", {"personal_data": True})]
    )
    engine(repo).run("flows", [Record.element("DataObject", "customer", "Customer")])
    assert repo.element("customer").attrs["personal_data"] is True
    engine(repo).run("flows", [Record.element("DataObject", "order", "Order")])
    assert repo.element("order").attrs["personal_data"] is False  # a new element gets the default
    # an empty cell is no assertion either, even when it is the only attribute the row has
    engine(repo).run(
        "sheet", [Record.element("DataObject", "customer", "Customer", {"personal_data": ""})]
    )
    assert repo.element("customer").attrs["personal_data"] is True


def test_a_resync_of_unchanged_records_skips_validation(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ea_repo.sync as sync_module

    records = servers(5) + [
        Record.element("Application", "app", "App"),
        Record.relation("runs_on", "app", "srv00"),
    ]
    engine(repo).run("cmdb", records)
    calls: list[str] = []
    real = sync_module.check_element

    def counting(mm, type_name, attrs):
        calls.append(type_name)
        return real(mm, type_name, attrs)

    monkeypatch.setattr(sync_module, "check_element", counting)
    again = engine(repo).run("cmdb", records)
    assert calls == []  # recognised by digest
    assert again.elements.counts()["unchanged"] == 6 and again.relations.counts()["unchanged"] == 1
    seen = {a.item_id: a.last_run for a in repo.store.assertions("element", ["srv00"])}
    assert seen["srv00"] == again.run_id  # provenance refreshed all the same

    changed = servers(5)
    changed[2] = Record.element("Server", "srv02", "SRV02", {"environment": "test"})
    result = engine(repo).run("cmdb", changed + records[5:])
    assert calls == ["Server"]  # only the changed record is validated again
    assert result.elements.changed == {"srv02": {"attrs.environment": ("production", "test")}}


def test_a_record_recognised_by_digest_still_revives_a_retired_element(repo: Repository) -> None:
    engine(repo).run("cmdb", servers(3))
    repo.store.set_status("element", ["srv01"], Status.RETIRED)  # retired behind the source's back
    result = engine(repo).run("cmdb", servers(3))
    assert result.elements.revived == ["srv01"]
    assert repo.element("srv01").status is Status.ACTIVE


def test_another_metamodel_means_validation_again(
    repo: Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ea_repo.metamodel import load_metamodel

    engine(repo).run("cmdb", servers(3))
    text = (Path(__file__).parent.parent / "ea_repo" / "metamodel" / "default.yaml").read_text()
    stricter = tmp_path / "mm.yaml"
    stricter.write_text(
        text.replace(
            "environment: {type: enum, values: [production,",
            "environment: {type: enum, values: [prod,",
        ),
        encoding="utf-8",
    )
    mm = load_metamodel(stricter)
    if (
        mm.element_types["Server"].attributes["environment"].values
        == load_metamodel().element_types["Server"].attributes["environment"].values
    ):
        pytest.skip("could not derive a stricter metamodel from the built-in one")
    with pytest.raises(SourceError, match="3 problems") as info:
        SyncEngine(repo.store, mm).run("cmdb", servers(3))
    assert all("not one of" in str(p) for p in info.value.problems)


def test_digests_follow_the_source(repo: Repository) -> None:
    engine(repo).run("cmdb", servers(4))
    first = repo.store.record_digests("cmdb")
    assert sorted(item for _, item in first.values()) == ["srv00", "srv01", "srv02", "srv03"]
    changed = servers(3) + [Record.element("Server", "srv03", "SRV03", {"environment": "test"})]
    engine(repo).run("cmdb", changed)
    second = repo.store.record_digests("cmdb")
    assert len(second) == 4 and len(set(second) - set(first)) == 1  # the old srv03 digest is gone
    engine(repo).run("cmdb", servers(3), force=True)
    assert sorted(item for _, item in repo.store.record_digests("cmdb").values()) == [
        "srv00",
        "srv01",
        "srv02",
    ]
    engine(repo).run("cmdb", servers(3), dry_run=True)  # a dry run writes none
    assert len(repo.store.record_digests("cmdb")) == 3


def test_a_record_digest_depends_on_content_not_on_objects() -> None:
    import datetime as dt

    from ea_repo.sync import record_digest

    def server(*parts: str, **attrs: object) -> Record:
        # the same text built at run time: equal, but not the same string objects
        return Record.element("Server", "".join(parts), "SRV", attrs)

    shared = "production"
    a = server("srv", "01", environment=shared, owner=shared, memory_gb=8.0)
    b = server(
        "s", "rv01", environment="".join(["prod", "uction"]), owner="production", memory_gb=8.0
    )
    assert record_digest("mm", a) == record_digest("mm", b)
    assert record_digest("mm", a) != record_digest("other-metamodel", a)
    assert record_digest("mm", a) != record_digest("mm", server("srv01", environment="test"))
    assert record_digest("mm", server("srv01", memory_gb=8.0)) != record_digest(
        "mm", server("srv01", memory_gb=8)
    )
    # a value marshal cannot write still has a digest, as stable
    dated = server("srv01", end_of_support=dt.date(2027, 1, 31))
    assert record_digest("mm", dated) == record_digest(
        "mm", server("srv01", end_of_support=dt.date(2027, 1, 31))
    )


def test_a_reference_by_name_is_checked_again_even_when_unchanged(repo: Repository) -> None:
    engine(repo).run(
        "cmdb",
        [Record.element("Application", "crm", "CRM"), Record.element("Application", "erp", "ERP")],
    )
    flows = [
        Record.relation(
            "flow",
            Ref("CRM", by="name"),
            Ref("ERP", by="name"),
            key="IF-1",
            origin=Origin("flows.csv", 2),
        )
    ]
    engine(repo).run("flows", flows)
    # Another CRM appears: the unchanged catalog row is now ambiguous, and must say so.
    engine(repo).run("manual", [Record.element("Application", "crm-2", "CRM")], partial=True)
    with pytest.raises(SourceError) as info:
        engine(repo).run("flows", flows)
    assert "2 elements are named 'CRM'" in str(info.value.problems[0])


def test_a_reference_by_name_finds_a_non_ascii_name_stored_earlier(repo: Repository) -> None:
    engine(repo).run(
        "cmdb",
        [
            Record.element("Application", "ed", "Éditique"),
            Record.element("Application", "crm", "CRM"),
        ],
    )
    flow = Record.relation("flow", Ref("éditique", by="name"), Ref("CRM", by="name"), key="IF-9")
    engine(repo).run("flows", [flow])
    assert repo.store.get_relations(["IF-9"])["IF-9"].src == "ed"
    assert repo.element("ÉDITIQUE").id == "ed"


@pytest.mark.parametrize("status", ["failed", "running"])
def test_the_unchanged_input_shortcut_waits_for_a_clean_run_after_an_unfinished_one(
    repo: Repository, status: str
) -> None:
    sync = engine(repo)
    sync.run("cmdb", servers(3), input_digest="A")
    assert sync.confirm_unchanged("cmdb", "A", dry_run=True) is not None
    # Another source's run that did not finish cleanly may have written part of itself.
    other = repo.store.start_run("hr")
    if status == "failed":
        repo.store.finish_run(other.id, "failed", message="stopped part-way")
    assert sync.confirm_unchanged("cmdb", "A") is None
    sync.run("cmdb", servers(3), input_digest="A")  # read and checked again
    assert sync.confirm_unchanged("cmdb", "A", dry_run=True) is not None


# -- confirming an unchanged input over other sources' runs (issue 20) -----------------------


def _landscape(repo: Repository) -> list[Record]:
    """The "cmdb" source: two applications, a server, the second app on it (by id)."""
    records = [
        Record.element("Application", "crm", "CRM"),
        Record.element("Application", "erp", "ERP"),
        Record.element("Server", "srv01", "SRV01", {"environment": "production"}),
        Record.relation("runs_on", Ref("erp"), Ref("srv01")),
    ]
    engine(repo).run("cmdb", records, input_digest="cmdb-input")
    return records


def _catalog(repo: Repository, *apps: str) -> list[Record]:
    """The "flows" source: a flow between two applications named, and a data object."""
    records = [
        Record.element("DataObject", "data:order", "Order"),
        Record.relation(
            "flow", Ref(apps[0], by="name"), Ref(apps[1], by="name"), key="IF-1", origin=None
        ),
        Record.relation("accesses", Ref(apps[0], by="name"), Ref("data:order"), {"mode": "read"}),
    ]
    engine(repo).run("flows", records, input_digest="flows-input")
    return records


def test_an_unchanged_input_is_confirmed_over_another_source_that_only_added(
    repo: Repository,
) -> None:
    _landscape(repo)
    _catalog(repo, "CRM", "ERP")
    # The catalog added a data object, a flow and an access: nothing the cmdb's records
    # resolve through, so its unchanged input is confirmed without being read.
    confirmed = engine(repo).confirm_unchanged("cmdb", "cmdb-input")
    assert confirmed is not None and confirmed.applied
    assert confirmed.elements.counts()["unchanged"] == 3
    assert confirmed.relations.counts()["unchanged"] == 1
    # ...and then the catalog's own, over the cmdb's confirmation (which changed nothing).
    assert engine(repo).confirm_unchanged("flows", "flows-input") is not None


class _Reads:
    """A store that keeps what it gives of the change log and of relations."""

    KEPT = ("changes", "relations_of", "stranded_relations")

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.read: dict[str, list[Any]] = {name: [] for name in self.KEPT}

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name not in self.KEPT:
            return found

        def reading(*args: Any, **kwargs: Any) -> Any:
            result = found(*args, **kwargs)
            self.read[name].extend(result)
            return result

        return reading


def test_confirming_over_another_source_reads_none_of_the_relations_it_added(
    repo: Repository,
) -> None:
    _landscape(repo)
    _catalog(repo, "CRM", "ERP")
    store = _Reads(repo.store)
    sync = SyncEngine(cast(GraphStore, store), repo.metamodel)
    assert sync.confirm_unchanged("cmdb", "cmdb-input", dry_run=True) is not None
    # The catalog's run added a data object, a flow and an access: the element is read
    # (its name could be one the cmdb refers to), the relations added are not.
    assert [(c.kind, c.item_id, c.op) for c in store.read["changes"]] == [
        ("element", "data:order", "added")
    ]


def test_an_unchanged_input_is_read_again_when_a_name_it_refers_to_is_taken(
    repo: Repository,
) -> None:
    _landscape(repo)
    catalog = _catalog(repo, "CRM", "ERP")
    # Another CRM appears, from another source: the catalog's flow, unchanged, now names two
    # applications. Confirming the catalog without reading it would hide that.
    engine(repo).run("manual", [Record.element("Application", "crm-2", "CRM")], partial=True)
    assert engine(repo).confirm_unchanged("flows", "flows-input") is None
    with pytest.raises(SourceError) as info:
        engine(repo).run("flows", catalog, input_digest="flows-input")
    assert "2 elements are named 'CRM'" in str(info.value.problems[0])
    # The cmdb refers by id to nothing named CRM: a new CRM does not concern it.
    assert engine(repo).confirm_unchanged("cmdb", "cmdb-input") is not None


def test_an_unchanged_input_is_read_again_when_an_end_it_links_to_was_deleted(
    repo: Repository,
) -> None:
    engine(repo).run("dc", [Record.element("Datacenter", "dc1", "DC1")])
    records = [
        Record.element("Server", "srv01", "SRV01"),
        Record.relation("located_in", Ref("srv01"), Ref("dc1")),
    ]
    engine(repo).run("cmdb", records, input_digest="cmdb-input")
    # The datacenter's source drops it, deleting it and the cmdb's relation to it (with its
    # provenance): the cmdb's unchanged input no longer resolves, and must say so.
    engine(repo).run(
        "dc", [Record.element("Datacenter", "dc2", "DC2")], on_missing="delete", max_missing=1
    )
    assert repo.store.get_relations(["srv01|located_in|dc1"], EVERYTHING) == {}
    assert engine(repo).confirm_unchanged("cmdb", "cmdb-input") is None
    with pytest.raises(SourceError) as info:
        engine(repo).run("cmdb", records, input_digest="cmdb-input")
    assert "no element with id 'dc1'" in str(info.value.problems[0])
