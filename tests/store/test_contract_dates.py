"""The backend contract for a lens with a date: the landscape as at a day.

Every backend passes these unchanged (SQLite always, Neo4j given a test server). The
landscape has items entering and leaving it at known days, a plan that never enters,
and relations hidden because one of their ends is not there on the day asked about.
"""

from __future__ import annotations

import pytest

from ea_repo.model import (
    CURRENT,
    EVERYTHING,
    Direction,
    Element,
    ElementId,
    Lens,
    Relation,
    RelationId,
    Status,
    Step,
)
from ea_repo.store import GraphStore


def E(id: str, type: str = "Application", **attrs: object) -> Element:
    return Element(ElementId(id), type, id.upper(), attrs)


def R(src: str, type: str, dst: str, **attrs: object) -> Relation:
    return Relation(ElementId(src), type, ElementId(dst), attrs)


ELEMENTS = [
    # enters on 2025-06-01, leaves on 2027-06-01 (that day it is gone)
    E("crm", lifecycle_phase_in="2025-06-01", lifecycle_end_of_life="2027-06-01"),
    # its successor: planned, then in from its active day (no phase-in given)
    E("crm2", lifecycle_plan="2026-01-01", lifecycle_active="2027-03-01"),
    E("erp"),  # no date: always there
    E("plan", lifecycle_plan="2025-01-01"),  # a plan only: never there
    E("vm1", "VirtualMachine", lifecycle_active="2024-01-01", lifecycle_phase_out="2028-01-01"),
    # the vendor's end of life is not the organisation's: the server stays
    E("srv1", "Server", end_of_life="2020-01-01"),
    E("dc1", "Datacenter", lifecycle_end_of_life="2029-01-01"),
]

RELATIONS = [
    R("crm", "runs_on", "vm1"),
    R("crm2", "runs_on", "vm1"),  # hidden until crm2 enters
    R("erp", "runs_on", "vm1"),
    R("vm1", "hosted_on", "srv1"),
    R("srv1", "located_in", "dc1"),
    # a relation with its own days, inside its ends' span
    R("crm", "flow", "erp", lifecycle_phase_in="2026-01-01", lifecycle_end_of_life="2026-09-01"),
    R("crm2", "flow", "erp"),
    R("plan", "flow", "erp"),  # its source never enters
]

ALL = {e.id for e in ELEMENTS}
LINKS = {r.id for r in RELATIONS}

# day -> (elements shown, relations shown with both their ends)
AS_AT = {
    "2024-06-01": (
        {"erp", "vm1", "srv1", "dc1"},
        {"erp|runs_on|vm1", "vm1|hosted_on|srv1", "srv1|located_in|dc1"},
    ),
    "2026-03-01": (
        {"crm", "erp", "vm1", "srv1", "dc1"},
        {
            "crm|runs_on|vm1",
            "erp|runs_on|vm1",
            "vm1|hosted_on|srv1",
            "srv1|located_in|dc1",
            "crm|flow|erp",
        },
    ),
    "2027-04-01": (
        {"crm", "crm2", "erp", "vm1", "srv1", "dc1"},
        {
            "crm|runs_on|vm1",
            "crm2|runs_on|vm1",
            "erp|runs_on|vm1",
            "vm1|hosted_on|srv1",
            "srv1|located_in|dc1",
            "crm2|flow|erp",
        },
    ),
    "2027-06-01": (
        {"crm2", "erp", "vm1", "srv1", "dc1"},
        {
            "crm2|runs_on|vm1",
            "erp|runs_on|vm1",
            "vm1|hosted_on|srv1",
            "srv1|located_in|dc1",
            "crm2|flow|erp",
        },
    ),
    "2029-01-01": (
        {"crm2", "erp", "vm1", "srv1"},
        {"crm2|runs_on|vm1", "erp|runs_on|vm1", "vm1|hosted_on|srv1", "crm2|flow|erp"},
    ),
    # the last day of the calendar: a plan with no day to enter still is not there
    "9999-12-31": (
        {"crm2", "erp", "vm1", "srv1"},
        {"crm2|runs_on|vm1", "erp|runs_on|vm1", "vm1|hosted_on|srv1", "crm2|flow|erp"},
    ),
}
DAYS = sorted(AS_AT)

# Impact: what stops when a datacenter does (a flow only degrades its receiver).
IMPACT = [
    Step("located_in", Direction.IN),
    Step("hosted_on", Direction.IN),
    Step("runs_on", Direction.IN),
    Step("flow", Direction.OUT),
]


@pytest.fixture
def dated(store: GraphStore) -> GraphStore:
    store.upsert_elements(ELEMENTS)
    store.upsert_relations(RELATIONS)
    return store


def at(day: str) -> Lens:
    return CURRENT.on(day)


def _own_span(relation_id: str, day: str) -> bool:
    """Whether the relation is shown by its own dates, whatever its ends."""
    return relation_id != "crm|flow|erp" or "2026-01-01" <= day < "2026-09-01"


@pytest.mark.parametrize("day", DAYS)
def test_elements_are_got_found_and_iterated_as_at_a_day(dated: GraphStore, day: str) -> None:
    shown, _ = AS_AT[day]
    assert set(dated.get_elements(sorted(ALL), at(day))) == shown
    assert {e.id for e in dated.find_elements(lens=at(day))} == shown
    assert [e.id for e in dated.find_elements(types=["Application"], lens=at(day))] == sorted(
        shown & {"crm", "crm2", "erp", "plan"}
    )
    assert [e.id for e in dated.iter_elements(at(day))] == sorted(shown)
    named = dated.elements_named(["CRM", "crm2", "Plan", "SRV1"], at(day))
    assert {e.id for found in named.values() for e in found} == shown & {
        "crm",
        "crm2",
        "plan",
        "srv1",
    }


@pytest.mark.parametrize("day", DAYS)
def test_relations_are_shown_as_at_a_day_with_both_their_ends(dated: GraphStore, day: str) -> None:
    _, links = AS_AT[day]
    assert {r.id for r in dated.iter_relations(at(day))} == links
    touching = {r.id for r in dated.relations_of(["vm1", "erp"], at(day))}
    assert touching == {i for i in links if "vm1" in i or "erp" in i}
    # By id, a relation is shown by its own dates (its ends are the caller's to read).
    got = set(dated.get_relations(sorted(LINKS), at(day)))
    assert got == {i for i in LINKS if _own_span(i, day)}


@pytest.mark.parametrize("day", DAYS)
def test_counts_as_at_a_day(dated: GraphStore, day: str) -> None:
    shown, links = AS_AT[day]
    types = {e.id: e.type for e in ELEMENTS}
    counts = dated.counts(at(day))
    assert sum(counts.elements.values()) == len(shown)
    assert counts.elements.get("Application", 0) == len(shown & {"crm", "crm2", "erp", "plan"})
    assert sum(counts.relations.values()) == len(links)
    assert counts.relations.get("flow", 0) == len({i for i in links if "|flow|" in i})
    assert {types[i] for i in shown} == set(counts.elements)


@pytest.mark.parametrize("day", DAYS)
def test_neighbors_and_expand_see_the_landscape_as_at_a_day(dated: GraphStore, day: str) -> None:
    shown, links = AS_AT[day]
    hops = dated.neighbors(["vm1"], [Step("runs_on", Direction.IN)], at(day))
    assert {h.relation.id for h in hops} == {i for i in links if i.endswith("|runs_on|vm1")}
    assert {h.target for h in hops} <= shown
    for levels in (1, 3, None):
        got = dated.expand(["srv1", "vm1"], IMPACT, at(day), levels=levels)
        assert {h.relation.id for h in got.hops} <= links
        assert {h.target for h in got.hops} <= shown
        assert got.elements.keys() <= shown
        # Each origin's hops are all there: as neighbors() gives them on that day.
        expected = dated.neighbors(sorted(got.origins), IMPACT, at(day))
        assert {h.relation.id for h in got.hops} == {h.relation.id for h in expected}
    # Level by level from the server: what stands on it that day, and only that.
    reached, frontier = {"srv1"}, ["srv1"]
    while frontier:
        hops = dated.neighbors(frontier, IMPACT, at(day), exclude=reached)
        frontier = sorted({h.target for h in hops} - reached)
        reached |= set(frontier)
    assert reached - {"srv1"} == shown & {"vm1", "crm", "crm2", "erp"}


def test_a_relation_to_an_end_not_yet_in_is_hidden_then_shown(dated: GraphStore) -> None:
    step = [Step("runs_on", Direction.IN)]
    before = dated.neighbors(["vm1"], step, at("2027-02-28"))
    after = dated.neighbors(["vm1"], step, at("2027-03-01"))
    assert "crm2|runs_on|vm1" not in {h.relation.id for h in before}
    assert "crm2|runs_on|vm1" in {h.relation.id for h in after}
    assert "crm2|runs_on|vm1" not in {r.id for r in dated.relations_of(["crm2"], at("2027-02-28"))}


def test_a_plan_alone_is_never_in_the_landscape(dated: GraphStore) -> None:
    for day in ("2025-01-01", "2030-01-01", "9999-12-30"):
        assert dated.get_elements(["plan"], at(day)) == {}
        assert "plan|flow|erp" not in {r.id for r in dated.iter_relations(at(day))}
    assert set(dated.get_elements(["plan"])) == {"plan"}  # no date asked: every item


def test_without_a_date_every_item_is_there(dated: GraphStore) -> None:
    assert {e.id for e in dated.iter_elements()} == ALL
    assert {r.id for r in dated.iter_relations()} == LINKS
    assert sum(dated.counts().relations.values()) == len(LINKS)


def test_a_date_and_the_statuses_combine(dated: GraphStore) -> None:
    dated.set_status("element", ["erp"], Status.RETIRED)
    day = "2026-03-01"
    assert "erp" not in dated.get_elements(sorted(ALL), at(day))
    everything = EVERYTHING.on(day)
    assert set(dated.get_elements(sorted(ALL), everything)) == AS_AT[day][0]
    assert {r.id for r in dated.iter_relations(everything)} == AS_AT[day][1]
    assert "crm|flow|erp" not in {r.id for r in dated.iter_relations(at(day))}


def test_new_dates_move_an_item_in_and_out(dated: GraphStore) -> None:
    day = at("2026-03-01")
    dated.upsert_elements([E("erp", lifecycle_end_of_life="2026-01-01")])
    assert dated.get_elements(["erp"], day) == {}
    assert "crm|flow|erp" not in {r.id for r in dated.relations_of(["crm"], day)}
    dated.upsert_elements([E("erp")])
    assert set(dated.get_elements(["erp"], day)) == {"erp"}
    assert "crm|flow|erp" in {r.id for r in dated.relations_of(["crm"], day)}
    dated.upsert_relations(
        [
            R(
                "crm",
                "flow",
                "erp",
                lifecycle_phase_in="2026-01-01",
                lifecycle_end_of_life="2026-02-01",
            )
        ]
    )
    assert RelationId("crm|flow|erp") not in dated.get_relations(["crm|flow|erp"], day)
