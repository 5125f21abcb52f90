"""The backend contract: every GraphStore backend must pass this suite unchanged."""

from __future__ import annotations

import pytest

from ea_repo.errors import ConflictError
from ea_repo.model import (
    CURRENT,
    EVERYTHING,
    Change,
    Direction,
    Element,
    ElementId,
    Relation,
    RelationId,
    Status,
    Step,
)
from ea_repo.store import GraphStore


def E(id: str, type: str = "Application", name: str | None = None, **attrs: object) -> Element:
    return Element(ElementId(id), type, name or id.upper(), attrs)


def R(src: str, type: str, dst: str, **attrs: object) -> Relation:
    return Relation(ElementId(src), type, ElementId(dst), attrs)


@pytest.fixture
def landscape(store: GraphStore) -> GraphStore:
    """crm and erp run on vm1; vm1 is hosted on srv1; srv1 in dc1; crm sends data to erp."""
    store.upsert_elements(
        [
            E("crm", criticality="high", owner="sales@example.org", tags=["gdpr", "core"]),
            E("erp", criticality="critical", users=1200, saas=False),
            E("vm1", "VirtualMachine", environment="production"),
            E("srv1", "Server", environment="production"),
            E("dc1", "Datacenter", "Paris 1", city="Paris"),
        ]
    )
    store.upsert_relations(
        [
            R("crm", "runs_on", "vm1"),
            R("erp", "runs_on", "vm1"),
            R("vm1", "hosted_on", "srv1"),
            R("srv1", "located_in", "dc1"),
            R("crm", "flow", "erp", protocol="SFTP"),
        ]
    )
    return store


def test_schema_version_is_positive(store: GraphStore) -> None:
    assert store.schema_version() >= 1


def test_upsert_and_get_round_trips_values(landscape: GraphStore) -> None:
    got = landscape.get_elements(["crm", "erp", "missing"])
    assert set(got) == {"crm", "erp"}
    assert got["crm"] == E(
        "crm", criticality="high", owner="sales@example.org", tags=["gdpr", "core"]
    )
    assert got["erp"].attrs == {"criticality": "critical", "users": 1200, "saas": False}
    rel = landscape.get_relations([RelationId("crm|flow|erp")])["crm|flow|erp"]
    assert (rel.src, rel.type, rel.dst, dict(rel.attrs)) == (
        "crm",
        "flow",
        "erp",
        {"protocol": "SFTP"},
    )


def test_upsert_replaces_by_id(landscape: GraphStore) -> None:
    landscape.upsert_elements([E("crm", name="Customer Relationship", criticality="low")])
    crm = landscape.get_elements(["crm"])["crm"]
    assert crm.name == "Customer Relationship"
    assert crm.attrs == {"criticality": "low"}
    assert sum(landscape.counts().elements.values()) == 5


def test_non_ascii_and_markup_survive(store: GraphStore) -> None:
    weird = E("app-é", name='Gestion <des> "commandes" & stocks — 倉庫', note="ça \n va")
    store.upsert_elements([weird])
    assert store.get_elements(["app-é"])["app-é"] == weird


def test_relation_to_missing_element_is_refused_and_nothing_written(store: GraphStore) -> None:
    store.upsert_elements([E("a")])
    with pytest.raises(ConflictError), store.transaction():
        store.upsert_elements([E("b")])
        store.upsert_relations([R("a", "flow", "ghost")])
    assert store.get_elements(["a", "b"]).keys() == {"a"}
    assert store.counts().relations == {}


def test_transaction_rolls_back_everything_on_error(landscape: GraphStore) -> None:
    with pytest.raises(RuntimeError), landscape.transaction():
        landscape.upsert_elements([E("new1")])
        with landscape.transaction():  # nested joins the outer transaction
            landscape.set_status("element", ["crm"], Status.RETIRED)
        raise RuntimeError("boom")
    assert "new1" not in landscape.get_elements(["new1"], EVERYTHING)
    assert landscape.get_elements(["crm"])["crm"].status is Status.ACTIVE


def test_neighbors_follow_steps_in_both_directions(landscape: GraphStore) -> None:
    down = landscape.neighbors(["vm1"], [Step("runs_on", Direction.IN)])
    assert {(h.origin, h.target, h.relation.type, h.direction) for h in down} == {
        ("vm1", "crm", "runs_on", Direction.IN),
        ("vm1", "erp", "runs_on", Direction.IN),
    }
    up = landscape.neighbors(
        ["crm", "erp"], [Step("runs_on", Direction.OUT), Step("flow", Direction.OUT)]
    )
    assert {(h.origin, h.target) for h in up} == {("crm", "vm1"), ("erp", "vm1"), ("crm", "erp")}


def test_neighbors_give_whole_relations(landscape: GraphStore) -> None:
    hops = landscape.neighbors(["erp"], [Step("flow", Direction.IN)])
    assert [(h.relation.id, h.relation.status, dict(h.relation.attrs)) for h in hops] == [
        ("crm|flow|erp", Status.ACTIVE, {"protocol": "SFTP"})
    ]
    assert hops[0].relation == landscape.get_relations(["crm|flow|erp"])["crm|flow|erp"]
    landscape.set_status("relation", ["crm|flow|erp"], Status.RETIRED)
    (hop,) = landscape.neighbors(["erp"], [Step("flow", Direction.IN)], EVERYTHING)
    assert hop.relation.status is Status.RETIRED


def test_neighbors_only_follow_the_given_types(landscape: GraphStore) -> None:
    hops = landscape.neighbors(["vm1"], [Step("hosted_on", Direction.OUT)])
    assert [(h.origin, h.target) for h in hops] == [("vm1", "srv1")]
    assert landscape.neighbors(["vm1"], []) == []
    assert landscape.neighbors([], [Step("runs_on", Direction.IN)]) == []


def test_neighbors_hide_retired_through_the_lens(landscape: GraphStore) -> None:
    landscape.set_status("element", ["crm"], Status.RETIRED)
    hops = landscape.neighbors(["vm1"], [Step("runs_on", Direction.IN)])
    assert {h.target for h in hops} == {"erp"}
    hops = landscape.neighbors(["vm1"], [Step("runs_on", Direction.IN)], EVERYTHING)
    assert {h.target for h in hops} == {"crm", "erp"}
    landscape.set_status("relation", ["erp|runs_on|vm1"], Status.RETIRED)
    assert landscape.neighbors(["vm1"], [Step("runs_on", Direction.IN)]) == []


def test_relations_retire_and_revive_with_their_element(landscape: GraphStore) -> None:
    # What the sync engine does when a run retires, then revives, an element.
    landscape.set_status("element", ["erp"], Status.RETIRED)
    attached = landscape.relations_of(["erp"], EVERYTHING)
    assert {r.id for r in attached} == {"erp|runs_on|vm1", "crm|flow|erp"}
    assert landscape.relations_of(["erp"]) == []
    landscape.set_status("relation", [r.id for r in attached], Status.RETIRED)
    assert landscape.inactive("element", ["erp", "crm"]) == {"erp"}
    assert {r.status for r in landscape.relations_of(["erp"], EVERYTHING)} == {Status.RETIRED}
    with landscape.transaction():
        landscape.set_status("element", ["erp"], Status.ACTIVE)
        landscape.set_status("relation", ["crm|flow|erp"], Status.ACTIVE)
    assert {r.id for r in landscape.relations_of(["erp"])} == {"crm|flow|erp"}
    assert landscape.get_relations(["erp|runs_on|vm1"], EVERYTHING)["erp|runs_on|vm1"].status == (
        Status.RETIRED
    )


def test_neighbors_on_many_ids(store: GraphStore) -> None:
    # More ids than SQLite's default bound-variable limit.
    n = 40_000
    store.upsert_elements([E("hub", "Server")] + [E(f"app{i}") for i in range(n)])
    store.upsert_relations(R(f"app{i}", "runs_on", "hub") for i in range(n))
    hops = store.neighbors([f"app{i}" for i in range(n)], [Step("runs_on", Direction.OUT)])
    assert len(hops) == n
    assert {h.target for h in hops} == {"hub"}


def _hop_keys(hops) -> set[tuple[str, str, str, Direction]]:
    return {(h.origin, h.relation.id, h.target, h.direction) for h in hops}


# Impact: what stops when a node or a datacenter does (a flow only degrades its receiver).
IMPACT = [
    Step("hosted_on", Direction.IN),
    Step("runs_on", Direction.IN),
    Step("located_in", Direction.IN),
    Step("flow", Direction.OUT),
]


@pytest.mark.parametrize("levels", [1, 2, 5, None])
def test_expand_gives_every_hop_of_each_origin_it_names(
    landscape: GraphStore, levels: int | None
) -> None:
    got = landscape.expand(["dc1"], IMPACT, levels=levels, stop=["flow"])
    assert "dc1" in got.origins
    assert got.origins <= {"dc1", "srv1", "vm1", "crm", "erp"}
    # Each origin's hops are all there, and nothing else: as neighbors() gives them.
    assert _hop_keys(got.hops) == _hop_keys(landscape.neighbors(sorted(got.origins), IMPACT))
    # Elements given with the hops are those asked for or reached, as the lens shows them.
    assert got.elements.keys() <= {"dc1"} | {h.target for h in got.hops}
    for element_id, element in got.elements.items():
        assert element == landscape.get_elements([element_id])[element_id]


def test_expand_leaves_out_hops_into_exclude_and_what_the_lens_hides(
    landscape: GraphStore,
) -> None:
    landscape.set_status("element", ["crm"], Status.RETIRED)
    got = landscape.expand(["srv1", "vm1", "crm"], IMPACT, levels=4, exclude={"erp"})
    assert {"srv1", "vm1"} <= got.origins
    assert not {h.target for h in got.hops} & {"erp", "crm"}
    assert "crm" not in got.elements  # asked for, but hidden
    wide = landscape.expand(["vm1"], IMPACT, EVERYTHING, levels=3)
    assert ("vm1", "crm|runs_on|vm1", "crm", Direction.IN) in _hop_keys(wide.hops)
    assert wide.elements.get("crm", landscape.get_elements(["crm"], EVERYTHING)["crm"]).status is (
        Status.RETIRED
    )
    assert landscape.expand([], IMPACT, levels=3).hops == []
    assert landscape.expand(["vm1"], [], levels=3).hops == []


def test_relations_between_ids_holding_bars_are_found_changed_and_removed(
    store: GraphStore,
) -> None:
    # ServiceNow keys such as name|class|serial make relation ids of more than three
    # parts, and an element id may even hold a relation type's name.
    store.upsert_elements([E("a|Server|1"), E("b|uses|2"), E("c")])
    store.upsert_relations([R("a|Server|1", "runs_on", "b|uses|2"), R("b|uses|2", "flow", "c")])
    ids = ["a|Server|1|runs_on|b|uses|2", "b|uses|2|flow|c"]
    assert sorted(store.get_relations(ids)) == ids
    store.upsert_relations([R("a|Server|1", "runs_on", "b|uses|2", port=22)])  # changed
    assert store.counts().relations == {"runs_on": 1, "flow": 1}
    assert store.get_relations(ids[:1])[ids[0]].attrs == {"port": 22}
    assert store.set_status("relation", ids[1:], Status.RETIRED) == 1
    assert list(store.get_relations(ids)) == ids[:1]
    assert store.delete_relations(ids) == 2
    assert store.counts(EVERYTHING).relations == {}


def test_parallel_relations_need_their_own_ids(store: GraphStore) -> None:
    store.upsert_elements([E("a"), E("b")])
    store.upsert_relations(
        [
            Relation(
                ElementId("a"), "flow", ElementId("b"), {"protocol": "SFTP"}, id=RelationId("if-1")
            ),
            Relation(
                ElementId("a"), "flow", ElementId("b"), {"protocol": "MQ"}, id=RelationId("if-2")
            ),
        ]
    )
    hops = store.neighbors(["a"], [Step("flow", Direction.OUT)])
    assert {h.relation.id for h in hops} == {"if-1", "if-2"}


def test_find_by_type_attribute_and_text(landscape: GraphStore) -> None:
    assert [e.id for e in landscape.find_elements(types=["Server", "VirtualMachine"])] == [
        "srv1",
        "vm1",
    ]
    assert [e.id for e in landscape.find_elements(attrs={"environment": "production"})] == [
        "srv1",
        "vm1",
    ]
    assert [e.id for e in landscape.find_elements(attrs={"users": 1200})] == ["erp"]
    assert [e.id for e in landscape.find_elements(attrs={"saas": False})] == ["erp"]
    assert [e.id for e in landscape.find_elements(text="paris")] == ["dc1"]  # name, any case
    assert [e.id for e in landscape.find_elements(text="SALES@")] == ["crm"]  # attribute value
    assert [e.id for e in landscape.find_elements(text="gdpr")] == ["crm"]  # inside a list
    assert landscape.find_elements(text="%") == []  # wildcards are literal
    assert len(landscape.find_elements(limit=2)) == 2


def test_find_by_text_sees_values_as_written_not_as_json(store: GraphStore) -> None:
    store.upsert_elements(
        [
            Element(ElementId("memo"), "Application", "Memo", {"note": 'He said "go" \\ now'}),
            Element(ElementId("team"), "Application", "Team", {"owner": "Équipe Données"}),
        ]
    )
    assert [e.id for e in store.find_elements(text='"go" \\')] == ["memo"]  # escaped in JSON
    assert [e.id for e in store.find_elements(text="SAID")] == ["memo"]
    assert [e.id for e in store.find_elements(text="pe Don")] == ["team"]
    assert store.find_elements(text="note") == []  # an attribute's name is not its value
    assert store.find_elements(text='"note"') == []


def test_find_respects_the_lens(landscape: GraphStore) -> None:
    landscape.set_status("element", ["srv1"], Status.RETIRED)
    assert [e.id for e in landscape.find_elements(types=["Server"])] == []
    assert [e.id for e in landscape.find_elements(types=["Server"], lens=EVERYTHING)] == ["srv1"]


def test_relations_of_and_iteration(landscape: GraphStore) -> None:
    assert {r.id for r in landscape.relations_of(["vm1"])} == {
        "crm|runs_on|vm1",
        "erp|runs_on|vm1",
        "vm1|hosted_on|srv1",
    }
    assert {r.id for r in landscape.relations_of(["vm1"], types=["hosted_on"])} == {
        "vm1|hosted_on|srv1"
    }
    assert [e.id for e in landscape.iter_elements()] == ["crm", "dc1", "erp", "srv1", "vm1"]
    landscape.set_status("element", ["dc1"], Status.RETIRED)
    # A relation to a retired element is not part of the current graph.
    assert "srv1|located_in|dc1" not in {r.id for r in landscape.iter_relations(CURRENT)}
    assert "srv1|located_in|dc1" in {r.id for r in landscape.iter_relations(EVERYTHING)}


def test_counts_by_type_and_status(landscape: GraphStore) -> None:
    counts = landscape.counts()
    assert counts.elements == {"Application": 2, "Datacenter": 1, "Server": 1, "VirtualMachine": 1}
    assert counts.relations == {"flow": 1, "hosted_on": 1, "located_in": 1, "runs_on": 2}
    assert landscape.set_status("element", ["erp"], Status.RETIRED) == 1
    assert landscape.set_status("element", ["erp"], Status.RETIRED) == 0  # already retired
    counts = landscape.counts()
    assert counts.elements["Application"] == 1
    assert counts.relations == {"hosted_on": 1, "located_in": 1, "runs_on": 1}
    assert landscape.counts(EVERYTHING).relations["runs_on"] == 2


def test_retired_items_are_counted_by_their_own_status(landscape: GraphStore) -> None:
    assert landscape.retired_counts() == (0, 0)
    landscape.set_status("element", ["erp"], Status.RETIRED)
    # A retired relation between active elements counts; an active one to a retired
    # element does not (it is hidden by the lens, not retired).
    landscape.set_status("relation", ["srv1|located_in|dc1"], Status.RETIRED)
    assert landscape.retired_counts() == (1, 1)


def test_stranded_relations_are_the_active_ones_with_a_retired_end(landscape: GraphStore) -> None:
    assert landscape.stranded_relations() == []
    landscape.set_status("element", ["erp", "vm1"], Status.RETIRED)
    landscape.set_status("relation", ["erp|runs_on|vm1"], Status.RETIRED)
    # Both ends retired, or either one: each relation once, by id; a retired one is not.
    assert [r.id for r in landscape.stranded_relations()] == [
        "crm|flow|erp",
        "crm|runs_on|vm1",
        "vm1|hosted_on|srv1",
    ]
    assert landscape.stranded_relations()[0] == R("crm", "flow", "erp", protocol="SFTP")


def test_delete_element_takes_its_relations(landscape: GraphStore) -> None:
    assert landscape.delete_elements(["vm1"]) == 1
    assert landscape.get_elements(["vm1"], EVERYTHING) == {}
    assert {r.id for r in landscape.iter_relations(EVERYTHING)} == {
        "srv1|located_in|dc1",
        "crm|flow|erp",
    }
    assert landscape.delete_relations(["crm|flow|erp", "nope"]) == 1


def test_runs_are_listed_newest_first(store: GraphStore) -> None:
    first = store.start_run("cmdb", at="2026-01-01T00:00:00Z")
    store.finish_run(first.id, "succeeded", {"added": 3}, at="2026-01-01T00:01:00Z")
    second = store.start_run("flows")
    store.finish_run(second.id, "failed", message="bad row")
    runs = store.runs()
    assert [r.id for r in runs] == [second.id, first.id]
    assert runs[1].stats == {"added": 3}
    assert runs[1].finished_at == "2026-01-01T00:01:00Z"
    assert (runs[0].status, runs[0].message) == ("failed", "bad row")
    assert [r.source for r in store.runs(source="cmdb")] == ["cmdb"]
    assert len(store.runs(limit=1)) == 1


def test_assertions_keep_first_and_last_seen(landscape: GraphStore) -> None:
    r1 = landscape.start_run("cmdb", at="2026-01-01T00:00:00Z")
    landscape.record_assertions(r1.id, "cmdb", "element", ["crm", "erp"], at="2026-01-01T00:00:00Z")
    r2 = landscape.start_run("cmdb", at="2026-02-01T00:00:00Z")
    landscape.record_assertions(r2.id, "cmdb", "element", ["crm"], at="2026-02-01T00:00:00Z")
    r3 = landscape.start_run("flows")
    landscape.record_assertions(r3.id, "flows", "element", ["crm"])
    prov = {(a.item_id, a.source): a for a in landscape.assertions("element", ["crm", "erp"])}
    assert set(prov) == {("crm", "cmdb"), ("crm", "flows"), ("erp", "cmdb")}
    crm = prov[("crm", "cmdb")]
    assert (crm.first_run, crm.last_run) == (r1.id, r2.id)
    assert (crm.first_seen, crm.last_seen) == ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")
    assert landscape.asserted_ids("cmdb", "element") == {"crm", "erp"}
    landscape.retract_assertions("cmdb", "element", ["erp"])
    assert landscape.asserted_ids("cmdb", "element") == {"crm"}
    assert landscape.asserted_ids("cmdb", "relation") == set()


def test_change_log_by_item_and_run(store: GraphStore) -> None:
    run = store.start_run("manual")
    store.log_changes(
        [
            Change(run.id, "element", "a", "added", None, {"name": "A"}, "2026-01-01T00:00:00Z"),
            Change(
                run.id,
                "element",
                "a",
                "changed",
                {"name": "A"},
                {"name": "Aa"},
                "2026-01-02T00:00:00Z",
            ),
            Change(run.id, "element", "b", "added", None, {"name": "B"}, "2026-01-02T00:00:00Z"),
        ]
    )
    history = store.changes(item_id="a")
    assert [(c.op, c.before, c.after) for c in history] == [
        ("added", None, {"name": "A"}),
        ("changed", {"name": "A"}, {"name": "Aa"}),
    ]
    assert len(store.changes(run_id=run.id)) == 3
    assert store.changes(run_id=run.id + 1) == []


def test_change_log_by_kind_and_op(store: GraphStore) -> None:
    run = store.start_run("manual")
    at = "2026-01-01T00:00:00Z"
    store.log_changes(
        [
            Change(run.id, "element", "a", "added", None, None, at),
            Change(run.id, "relation", "a|x|b", "added", None, None, at),
            Change(run.id, "relation", "a|y|b", "retired", None, None, at),
            Change(run.id, "element", "b", "changed", {"name": "B"}, {"name": "Bb"}, at),
            Change(run.id, "relation", "a|z|b", "deleted", None, None, at),
        ]
    )

    def items(changes: list[Change]) -> list[str]:
        return [c.item_id for c in changes]

    assert items(store.changes(run_id=run.id, kind="element")) == ["a", "b"]
    altered = ("changed", "retired", "deleted")
    assert items(store.changes(run_id=run.id, kind="relation", ops=altered)) == ["a|y|b", "a|z|b"]
    assert items(store.changes(ops=["added"])) == ["a", "a|x|b"]
    assert items(store.changes(item_id="b", kind="element", ops=altered)) == ["b"]
    assert store.changes(item_id="b", kind="relation") == []
    assert items(store.changes(run_id=run.id, ops=["added"], limit=1)) == ["a"]
    assert store.changes(run_id=run.id, ops=[]) == []


def test_asserted_values_are_kept_per_source(landscape: GraphStore) -> None:
    run = landscape.start_run("cmdb")
    landscape.record_assertions(
        run.id,
        "cmdb",
        "element",
        ["crm", "erp"],
        values={"crm": {"name": "CRM", "attrs": {"a": 1}}},
    )
    assert landscape.asserted_values("cmdb", "element", ["crm", "erp", "vm1"]) == {
        "crm": {"name": "CRM", "attrs": {"a": 1}},
        "erp": {},
    }
    assert landscape.asserted_values("flows", "element", ["crm"]) == {}
    landscape.drop_assertions("element", ["crm"])
    assert landscape.asserted_ids("cmdb", "element") == {"erp"}


def test_elements_named_ignores_case(landscape: GraphStore) -> None:
    landscape.upsert_elements([E("dc2", "Datacenter", "PARIS 1")])
    found = landscape.elements_named(["paris 1", "Nowhere"])
    assert set(found) == {"paris 1"}
    assert sorted(e.id for e in found["paris 1"]) == ["dc1", "dc2"]
    landscape.set_status("element", ["dc2"], Status.RETIRED)
    assert [e.id for e in landscape.elements_named(["Paris 1"])["paris 1"]] == ["dc1"]


def test_elements_named_ignores_case_beyond_ascii(store: GraphStore) -> None:
    store.upsert_elements([E("ed", "Application", "Éditique"), E("st", "Application", "Straße")])
    assert [e.id for e in store.elements_named(["éditique"])["éditique"]] == ["ed"]
    assert [e.id for e in store.elements_named(["STRASSE"])["strasse"]] == ["st"]
    store.upsert_elements([E("ed", "Application", "Édition")])  # a new name is found by it
    assert store.elements_named(["éditique"]) == {}
    assert [e.id for e in store.elements_named(["ÉDITION"])["édition"]] == ["ed"]


def test_runs_are_filtered_and_the_latest_found_per_source(store: GraphStore) -> None:
    ids = {}
    for name, source, status in [
        ("a1", "cmdb", "succeeded"),
        ("b1", "flows", "succeeded"),
        ("a2", "cmdb", "failed"),
        ("b2", "flows", "succeeded"),
    ]:
        run = store.start_run(source)
        store.finish_run(run.id, status)
        ids[name] = run.id
    assert [r.id for r in store.runs("cmdb", status="succeeded")] == [ids["a1"]]
    assert [r.id for r in store.runs(after=ids["b1"])] == [ids["b2"], ids["a2"]]
    assert [r.id for r in store.runs(status="succeeded", after=ids["a1"], limit=1)] == [ids["b2"]]
    latest = {
        s: (run.id, None if ok is None else ok.id) for s, (run, ok) in store.latest_runs().items()
    }
    assert latest == {"cmdb": (ids["a2"], ids["a1"]), "flows": (ids["b2"], ids["b2"])}


def test_assertions_and_stale_elements_are_counted(landscape: GraphStore) -> None:
    run = landscape.start_run("cmdb", at="2025-01-01T00:00:00Z")
    landscape.record_assertions(
        run.id, "cmdb", "element", ["crm", "erp"], at="2025-01-01T00:00:00Z"
    )
    assert landscape.count_asserted("cmdb", "element") == 2
    assert landscape.count_asserted("cmdb", "relation") == 0
    before = "2025-06-01T00:00:00Z"
    assert landscape.count_stale(before) == len(landscape.stale_elements(before)) == 5
    assert len(landscape.stale_elements(before, limit=2)) == 2
    assert landscape.count_stale("2024-01-01T00:00:00Z") == 3  # never confirmed at all


def test_stale_elements_are_those_no_source_confirmed_lately(landscape: GraphStore) -> None:
    old = landscape.start_run("cmdb", at="2025-01-01T00:00:00Z")
    landscape.record_assertions(
        old.id, "cmdb", "element", ["crm", "erp"], at="2025-01-01T00:00:00Z"
    )
    new = landscape.start_run("flows", at="2026-11-01T00:00:00Z")
    landscape.record_assertions(
        new.id, "flows", "element", ["erp", "vm1"], at="2026-11-01T00:00:00Z"
    )
    stale = landscape.stale_elements("2026-06-01T00:00:00Z")
    # crm: last seen 2025; srv1 and dc1: never asserted by a source. erp is fresh through flows.
    assert [(e.id, seen) for e, seen in stale] == [
        ("dc1", None),
        ("srv1", None),
        ("crm", "2025-01-01T00:00:00Z"),
    ]
    assert len(landscape.stale_elements("2026-06-01T00:00:00Z", limit=1)) == 1
