"""The store as a reader sees it under a scenario: the same answers on every backend.

A small landscape with known answers, a scenario (add, replace, link, unlink, set,
retire) and one stacked on it, read through :class:`SeenStore` over each backend.
"""

from __future__ import annotations

import pytest

from ea_repo.analysis.registry import ANALYSES
from ea_repo.metamodel import load_metamodel
from ea_repo.model import CURRENT, EVERYTHING, Direction, Element, ElementId, Relation, Status, Step
from ea_repo.scenarios import Edit, Scenario, SeenStore, compile_overlay
from ea_repo.store import GraphStore

MM = load_metamodel()


def E(id: str, type: str = "Application", **attrs: object) -> Element:
    return Element(ElementId(id), type, id.upper(), attrs)


def R(src: str, type: str, dst: str, **attrs: object) -> Relation:
    return Relation(ElementId(src), type, ElementId(dst), attrs)


@pytest.fixture
def facts(store: GraphStore) -> GraphStore:
    """crm runs on srv1, oms on srv2, both servers in dc1; crm serves sales, oms serves
    orders; crm sends data to oms (own id IF-1) and to bi."""
    store.upsert_elements(
        [
            E("dc1", "Datacenter"),
            E("srv1", "Server"),
            E("srv2", "Server"),
            E("crm", criticality="high"),
            E("oms", criticality="high"),
            E("bi"),
            E("sales", "BusinessProcess"),
            E("orders", "BusinessProcess"),
        ]
    )
    flow = Relation(ElementId("crm"), "flow", ElementId("oms"), {"protocol": "REST"}, id="IF-1")  # type: ignore[arg-type]
    store.upsert_relations(
        [
            R("srv1", "located_in", "dc1"),
            R("srv2", "located_in", "dc1"),
            R("crm", "runs_on", "srv1"),
            R("oms", "runs_on", "srv2"),
            R("crm", "serves", "sales"),
            R("oms", "serves", "orders"),
            flow,
            R("crm", "flow", "bi"),
        ]
    )
    return store


CRM_OUT = Scenario(
    "crm-out",
    edits=(
        Edit(
            "add", id="sfdc", type="Application", name="Salesforce", attrs={"criticality": "high"}
        ),
        Edit("link", src="sfdc", type="runs_on", dst="srv2"),
        Edit("replace", id="crm", by="sfdc", on="2027-06-01"),
        Edit("unlink", relation="sfdc|flow|bi"),
        Edit("unlink", relation="sfdc|runs_on|srv1", on="2027-06-01"),
    ),
)
STACKED = Scenario(
    "dc-close",
    based_on="crm-out",
    edits=(
        Edit("retire", id="srv1"),
        Edit("set", id="oms", attrs={"criticality": "critical"}, was={"criticality": "high"}),
    ),
)


def seen(store: GraphStore, *chain: Scenario, day: str | None = None) -> SeenStore:
    return SeenStore(store, day, compile_overlay(store, MM, list(chain), day))


def impacted(store: GraphStore, start: str) -> set[str]:
    report = ANALYSES["impact"].run(store, MM, [ElementId(start)], lens=CURRENT)
    return {a.element.id for a in report.affected}


def test_replace_moves_every_relation_and_retires_the_replaced(facts: GraphStore) -> None:
    s = seen(facts, CRM_OUT)
    assert s.overlay is not None and s.overlay.drift == []
    assert set(s.get_elements(["crm", "sfdc"])) == {"sfdc"}
    assert s.get_elements(["crm"], EVERYTHING)["crm"].status is Status.RETIRED
    rels = {(r.src, r.type, r.dst, r.id) for r in s.relations_of(["sfdc"])}
    assert rels == {
        ("sfdc", "runs_on", "srv2", "sfdc|runs_on|srv2"),
        ("sfdc", "serves", "sales", "sfdc|serves|sales"),
        ("sfdc", "flow", "oms", "IF-1"),  # a source's own id follows the flow it names
    }  # sfdc -> bi and sfdc runs on srv1 were taken over, then unlinked
    assert s.get_relations(["IF-1"])["IF-1"].attrs["protocol"] == "REST"
    assert s.relations_of(["crm"]) == []
    assert impacted(s, "srv2") == {"oms", "sfdc", "orders", "sales"}
    assert impacted(s, "srv1") == set()
    # The facts are untouched.
    assert impacted(facts, "srv1") == {"crm", "sales", "oms", "bi"}
    assert set(facts.get_elements(["crm", "sfdc"])) == {"crm"}


def test_a_day_before_an_edit_takes_effect_sees_the_landscape_without_it(
    facts: GraphStore,
) -> None:
    before = seen(facts, CRM_OUT, day="2027-01-01")
    assert set(before.get_elements(["crm", "sfdc"])) == {"crm", "sfdc"}
    assert impacted(before, "srv1") == {"crm", "sales", "oms", "bi"}
    assert impacted(before, "srv2") == {"oms", "sfdc", "orders"}
    after = seen(facts, CRM_OUT, day="2027-06-01")
    assert impacted(after, "srv1") == set()


def test_stacked_scenarios_apply_their_bases_first(facts: GraphStore) -> None:
    s = seen(facts, CRM_OUT, STACKED)
    assert s.overlay is not None and s.overlay.drift == []
    assert s.get_elements(["oms"])["oms"].attrs["criticality"] == "critical"
    assert "srv1" not in s.get_elements(["srv1"])
    assert {h.target for h in s.neighbors(["dc1"], [Step("located_in", Direction.IN)])} == {"srv2"}
    counts = s.counts()
    assert counts.elements["Server"] == 1 and counts.elements["Application"] == 3
    assert counts.relations["located_in"] == 1 and counts.relations["runs_on"] == 2
    assert counts.relations["flow"] == 1 and counts.relations["serves"] == 2
    assert sum(counts.relations.values()) == len(list(s.iter_relations()))
    assert [e.id for e in s.iter_elements()] == sorted(
        ["bi", "dc1", "oms", "orders", "sales", "sfdc", "srv2"]
    )


def test_finding_and_naming_see_the_scenario(facts: GraphStore) -> None:
    s = seen(facts, CRM_OUT, STACKED)
    assert [e.id for e in s.find_elements(types=["Application"])] == ["bi", "oms", "sfdc"]
    assert [e.id for e in s.find_elements(attrs={"criticality": "critical"})] == ["oms"]
    assert [e.id for e in s.find_elements(text="salesf")] == ["sfdc"]
    assert [e.id for e in s.find_elements(types=["Application"], limit=2)] == ["bi", "oms"]
    assert [e.id for e in s.elements_named(["salesforce", "crm"])["salesforce"]] == ["sfdc"]
    assert "crm" not in s.elements_named(["crm"])


def test_the_seen_store_refuses_writes(facts: GraphStore) -> None:
    from ea_repo.errors import StoreError

    s = seen(facts, CRM_OUT)
    with pytest.raises(StoreError, match="read-only"):
        s.upsert_elements([E("x")])
    with pytest.raises(StoreError, match="read-only"):
        s.transaction()


def test_edits_the_facts_moved_under_are_reported_never_ignored(facts: GraphStore) -> None:
    # What syncs did after the scenarios were written: oms's criticality moved, srv1 was
    # retired, crm deleted, and a sync brought in sfdc itself.
    facts.upsert_elements([E("oms", criticality="medium"), E("sfdc", criticality="low")])
    facts.set_status("element", ["srv1"], Status.RETIRED)
    facts.delete_elements(["crm"])
    s = seen(facts, CRM_OUT, STACKED)
    assert s.overlay is not None
    kinds = {(d.scenario, d.index, d.kind) for d in s.overlay.drift}
    assert kinds == {
        ("crm-out", 1, "exists"),  # add sfdc: a sync brought it in
        ("crm-out", 3, "gone"),  # replace crm: deleted
        ("crm-out", 4, "done"),  # unlink what sfdc took over: nothing was taken over
        ("crm-out", 5, "done"),
        ("dc-close", 1, "done"),  # retire srv1: a sync retired it
        ("dc-close", 2, "moved"),  # set oms: was high when written, medium now
    }
    moved = next(d for d in s.overlay.drift if d.kind == "moved")
    assert "'high' when written, 'medium' now" in moved.message
    # What still applies, applies: the scenario's sfdc and oms's new value.
    assert s.get_elements(["sfdc"])["sfdc"].attrs["criticality"] == "high"
    assert s.get_elements(["oms"])["oms"].attrs["criticality"] == "critical"


def test_a_relation_the_replacement_has_already_stays_its_own(facts: GraphStore) -> None:
    # oms already sends data to bi, daily; crm sends to bi too: replacing crm by oms must
    # not overwrite oms's own flow with crm's.
    facts.upsert_relations([R("oms", "flow", "bi", frequency="daily")])
    s = seen(facts, Scenario("merge", edits=(Edit("replace", id="crm", by="oms"),)))
    flows = [r for r in s.relations_of(["bi"]) if r.type == "flow"]
    assert [(r.src, dict(r.attrs)) for r in flows] == [("oms", {"frequency": "daily"})]
    # crm's flow to oms would become a loop on oms: dropped, not drawn.
    assert all(r.src != r.dst for r in s.relations_of(["oms"]))
