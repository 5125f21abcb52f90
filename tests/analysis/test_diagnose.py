"""Incident diagnosis on landscapes with known answers (every backend), its command, and a
brute-force oracle: an impact from every element of random landscapes."""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ea_repo import Repository
from ea_repo.analysis import traverse
from ea_repo.analysis.diagnose import DiagnosisReport, diagnose
from ea_repo.analysis.traversal import State
from ea_repo.metamodel import Metamodel, load_metamodel
from ea_repo.model import Element, ElementId, Relation
from ea_repo.store import GraphStore, SQLiteStore

MM: Metamodel = load_metamodel()

#   dc1 ── srv1 ─┐ member_of                 vm1 ── app1 ←feed── app6 ── vm6 ── srv3
#      ├── srv2 ─┴─ cl1 ── (hosts) ──────── vm2 ── app2
#      ├── srv3                              vm3 ── app3
#      └── srvA ─┐ member_of
#   dc2 ── srvB ─┴─ cl2 ── vm4 ── app4
#      └── srv4 ── vm5 ── app5
ELEMENTS = [
    ("dc1", "Datacenter"),
    ("dc2", "Datacenter"),
    ("srv1", "Server"),
    ("srv2", "Server"),
    ("srv3", "Server"),
    ("srv4", "Server"),
    ("srvA", "Server"),
    ("srvB", "Server"),
    ("cl1", "Cluster"),
    ("cl2", "Cluster"),
    *[(f"vm{i}", "VirtualMachine") for i in range(1, 7)],
    *[(f"app{i}", "Application") for i in range(1, 7)],
]
RELATIONS = [
    ("srv1", "located_in", "dc1"),
    ("srv2", "located_in", "dc1"),
    ("srv3", "located_in", "dc1"),
    ("srvA", "located_in", "dc1"),
    ("srvB", "located_in", "dc2"),
    ("srv4", "located_in", "dc2"),
    ("srv1", "member_of", "cl1"),
    ("srv2", "member_of", "cl1"),
    ("srvA", "member_of", "cl2"),
    ("srvB", "member_of", "cl2"),
    ("vm1", "hosted_on", "cl1"),
    ("vm2", "hosted_on", "cl1"),
    ("vm3", "hosted_on", "cl1"),
    ("vm4", "hosted_on", "cl2"),
    ("vm5", "hosted_on", "srv4"),
    ("vm6", "hosted_on", "srv3"),
    *[(f"app{i}", "runs_on", f"vm{i}") for i in range(1, 7)],
    ("app6", "flow", "app1"),
]


def _fill(store: GraphStore) -> GraphStore:
    store.upsert_elements(Element(ElementId(i), t, i.upper()) for i, t in ELEMENTS)
    store.upsert_relations(Relation(ElementId(s), t, ElementId(d)) for s, t, d in RELATIONS)
    return store


@pytest.fixture
def shop(store: GraphStore) -> GraphStore:
    return _fill(store)


def ranking(report: DiagnosisReport) -> list[tuple[str, int, int, int]]:
    """(candidate, symptoms explained, taken down, steps) in rank order."""
    return [(c.element.id, len(c.explained), c.down, c.distance) for c in report.candidates]


def test_three_symptoms_sharing_a_cluster_rank_the_cluster_first(shop: GraphStore) -> None:
    report = diagnose(shop, MM, ["app1", "app2", "app3"], limit=None)
    # The datacenter explains the three too (both members of cl1 are in it), two steps
    # further each: the nearer cause ranks first.
    assert ranking(report)[:2] == [("cl1", 3, 3, 6), ("dc1", 3, 3, 12)]
    assert {c.element.id for c in report.candidates[2:]} == {
        "vm1",
        "vm2",
        "vm3",
        "app6",
        "vm6",
        "srv3",
    }
    first = report.candidates[0]
    assert [
        [(s.origin.id, s.relation_type, s.target.id) for s in e.path] for e in first.explained
    ] == [
        [("cl1", "hosted_on", "vm1"), ("vm1", "runs_on", "app1")],
        [("cl1", "hosted_on", "vm2"), ("vm2", "runs_on", "app2")],
        [("cl1", "hosted_on", "vm3"), ("vm3", "runs_on", "app3")],
    ]
    assert first.unexplained == []
    # What else it would break, to check against monitoring: the three VMs, nothing more.
    assert first.breaks is not None
    assert (first.breaks.down, first.breaks.degraded) == (3, 0)
    assert [b.element.id for b in first.breaks.listed] == ["vm1", "vm2", "vm3"]
    dc = report.candidates[1]
    assert dc.breaks is not None
    # dc1 also takes down srv1-3, srvA, cl1, the VMs, vm6 and app6; cl2 (srvB still up) is degraded.
    assert (dc.breaks.down, dc.breaks.degraded) == (10, 1)
    assert report.pairs == []  # one cause explains everything


def test_a_member_of_a_cluster_with_another_member_up_is_no_cause(shop: GraphStore) -> None:
    report = diagnose(shop, MM, ["vm4", "app4"], limit=None)
    # srvA alone leaves cl2 served by srvB; dc1 holds srvA only: neither explains anything.
    # vm4 explains itself and app4, one step away in all: nearer than cl2.
    assert ranking(report) == [("vm4", 2, 2, 1), ("cl2", 2, 2, 3)]
    ids = {c.element.id for c in report.candidates}
    assert not ids & {"srvA", "srvB", "dc1", "dc2"}


def test_a_symptom_is_a_cause_when_it_explains_another(shop: GraphStore) -> None:
    report = diagnose(shop, MM, ["vm4", "app4"], limit=None)
    vm4 = report.candidates[0]
    assert vm4.element.id == "vm4"
    assert [(e.symptom.id, e.state, e.distance) for e in vm4.explained] == [
        ("vm4", State.START, 0),
        ("app4", State.DOWN, 1),
    ]
    alone = diagnose(shop, MM, ["app4"], limit=None)
    assert "app4" not in {c.element.id for c in alone.candidates}  # not its own cause


def test_healthy_elements_rule_causes_out(shop: GraphStore) -> None:
    report = diagnose(shop, MM, ["app1", "app2"], healthy=["app3"], limit=None)
    # cl1 and dc1 would take app3 down with the others: it works, so they did not fail.
    assert {(r.element.id, r.healthy.id) for r in report.ruled_out} == {
        ("cl1", "app3"),
        ("dc1", "app3"),
    }
    ids = [c.element.id for c in report.candidates]
    assert "cl1" not in ids and "dc1" not in ids
    # No single cause is left: two independent failures, nearest first.
    assert report.candidates[0].distance == 1
    assert [tuple(e.id for e in p.causes) for p in report.pairs][:1] == [("vm1", "vm2")]
    assert all(len(p.explained) == 2 for p in report.pairs)


def test_two_causes_when_no_single_one_explains_all(shop: GraphStore) -> None:
    report = diagnose(shop, MM, ["app1", "app5"], limit=None)
    assert max(len(c.explained) for c in report.candidates) == 1
    pairs = [(tuple(e.id for e in p.causes), p.down, p.distance) for p in report.pairs]
    assert pairs[0] == (("vm1", "vm5"), 2, 2)
    assert (("cl1", "srv4"), 2, 4) in pairs
    # A pair with a degrading cause ranks below every pair taking both down.
    feed = [i for i, (causes, _, _) in enumerate(pairs) if "app6" in causes]
    assert feed and min(feed) > max(i for i, (_, down, _) in enumerate(pairs) if down == 2)
    assert all([e.symptom.id for e in p.explained] == ["app1", "app5"] for p in report.pairs)


def test_a_degrading_cause_ranks_below_a_down_one(shop: GraphStore) -> None:
    report = diagnose(shop, MM, ["app1"], limit=None)
    order = [c.element.id for c in report.candidates]
    # app6 feeds app1 one step away; dc1, four steps away, takes app1 down: dc1 first.
    assert order == ["vm1", "cl1", "dc1", "app6", "vm6", "srv3"]
    app6 = report.candidates[3]
    assert [(e.state, e.distance) for e in app6.explained] == [(State.DEGRADED, 1)]


def test_the_limit_keeps_the_best(shop: GraphStore) -> None:
    report = diagnose(shop, MM, ["app1", "app2", "app3"], limit=2)
    assert ranking(report) == [("cl1", 3, 3, 6), ("dc1", 3, 3, 12)]
    # 13 elements (the symptoms among them) are suspects; past the best four (cl1, its
    # two members, dc1) none could explain more than one symptom: they are not checked.
    assert (report.suspects, report.checked, report.found) == (13, 4, 2)


# -- the command -----------------------------------------------------------------------


@pytest.fixture
def ws(workspace: Path) -> Path:
    with Repository.open(workspace) as repo:
        repo.add_many(
            [Element(ElementId(i), t, f"{i.upper()} name") for i, t in ELEMENTS],
            [Relation(ElementId(s), t, ElementId(d)) for s, t, d in RELATIONS],
            source="fixture",
        )
    return workspace


def test_command_by_id_name_and_selector(ws: Path, ea: Any) -> None:
    result = ea("diagnose", "app1", "APP2 name", "type:Application name:APP3*", "-f", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["symptoms"] == ["app1", "app2", "app3"]
    assert [c["id"] for c in data["candidates"][:2]] == ["cl1", "dc1"]
    assert data["candidates"][0]["explained"][0]["path"][0] == {
        "from": "cl1",
        "relation": "hosted_on",
        "label": "hosts (virtual)",
        "to": "vm1",
    }
    table = ea("diagnose", "app1", "app2", "app3", "--max", "1")
    assert table.code == 0
    assert "1. CL1 name (cl1)" in table.out and "DC1 name" not in table.out


def test_command_healthy_and_pairs(ws: Path, ea: Any) -> None:
    result = ea("diagnose", "app1", "app2", "--healthy", "APP3 name", "-f", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert {r["id"] for r in data["ruled_out"]} == {"cl1", "dc1"}
    assert data["pairs"][0]["causes"] == ["vm1", "vm2"]
    table = ea("diagnose", "app1", "app2", "--healthy", "APP3 name")
    assert "ruled out by --healthy: 2 candidate(s): cl1 (would break app3)" in table.out + table.err
    assert "pair 1: VM1 name (vm1) and VM2 name (vm2)" in table.out


def test_symptoms_from_an_incident_export(ws: Path, ea: Any, tmp_path: Path) -> None:
    csv = tmp_path / "incidents.csv"
    csv.write_text(
        "number,Configuration item,priority\nINC001,app1,2\nINC002,APP2 name,3\nINC003,app3,2\n"
    )
    result = ea("diagnose", "--symptoms", csv, "-f", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["candidates"][0]["id"] == "cl1"
    export = tmp_path / "incidents.json"
    export.write_text(
        json.dumps({"records": [{"number": "INC1", "cmdb_ci": {"display_value": "vm4"}}]})
    )
    both = ea("diagnose", "app4", "--symptoms", export, "-f", "json")
    assert json.loads(both.out)["symptoms"] == ["app4", "vm4"]


def test_errors_name_what_is_wrong(ws: Path, ea: Any, tmp_path: Path) -> None:
    unknown = ea("diagnose", "app1", "no-such-thing")
    assert unknown.code == 2 and "no-such-thing" in unknown.err
    assert "Traceback" not in unknown.err
    nothing = ea("diagnose")
    assert nothing.code == 2 and "no symptom given" in nothing.err
    bad = tmp_path / "alerts.csv"
    bad.write_text("ci,severity\napp1,major\n,minor\n")
    empty_row = ea("diagnose", "--symptoms", bad)
    assert empty_row.code == 2
    assert f"{bad}, row 3" in empty_row.err
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("ci,severity\napp1,major\nghost-ci,minor\n")
    missing = ea("diagnose", "--symptoms", wrong)
    assert missing.code == 2
    assert f"{wrong}, row 3: " in missing.err and "ghost-ci" in missing.err
    columns = tmp_path / "columns.csv"
    columns.write_text("host,severity\napp1,major\n")
    no_column = ea("diagnose", "--symptoms", columns)
    assert no_column.code == 2 and "no column naming the failing element" in no_column.err
    twice = ea("diagnose", "app1", "--healthy", "app1")
    assert twice.code == 2 and "both as a symptom and as healthy" in twice.err


def test_command_sees_the_landscape_under_a_scenario(ws: Path, ea: Any) -> None:
    # Moved onto srv4 in a scenario, vm1 no longer stands on cl1: under it, cl1 explains
    # two of the three; dc1 still explains all three (app1 only degraded: it loses app6's
    # feed, app6 runs in dc1) and ranks first, more symptoms explained coming first.
    for args in [
        ("scenario", "new", "move-vm1"),
        ("scenario", "unlink", "move-vm1", "vm1", "hosted_on", "cl1", "--on", "2030-01-01"),
        ("scenario", "link", "move-vm1", "vm1", "hosted_on", "srv4", "--on", "2030-01-01"),
    ]:
        assert ea(*args).code == 0, args
    today = json.loads(ea("diagnose", "app1", "app2", "app3", "-f", "json").out)
    assert [(c["id"], c["explains"]) for c in today["candidates"][:1]] == [("cl1", 3)]
    moved = ea("diagnose", "app1", "app2", "app3", "--scenario", "move-vm1", "-f", "json")
    assert moved.code == 0, moved.err
    data = json.loads(moved.out)
    assert [(c["id"], c["explains"], c["down"]) for c in data["candidates"]] == [
        ("dc1", 3, 2),
        ("cl1", 2, 2),
        ("vm1", 1, 1),
    ]
    # Seen before the move, the landscape is today's.
    before = ea("diagnose", "app1", "app2", "app3", "--scenario", "move-vm1", "--at", "2029-12-31")
    assert before.code == 0 and "1. CL1 name (cl1)" in before.out


def test_command_draws_the_diagnosis(ws: Path, ea: Any, tmp_path: Path) -> None:
    out = tmp_path / "diagnosis.dot"
    result = ea("diagnose", "app1", "app2", "app3", "-f", "dot", "-o", out)
    assert result.code == 0, result.err
    dot = out.read_text()
    assert "CL1 name" in dot and "APP3 name" in dot and "VM2 name" in dot
    assert "Candidate causes" in dot
    # Two causes: each pair's members drawn as candidates, with their paths.
    pair = tmp_path / "pair.dot"
    assert ea("diagnose", "app1", "app5", "-f", "dot", "-o", pair).code == 0
    drawn = pair.read_text()
    assert "pair 1" in drawn and "VM5 name" in drawn and "APP5 name" in drawn


# -- the oracle: an impact from every element ------------------------------------------

# Hosting (plain), member_of (redundant) and flow (degrading) weighted up: the rules at stake.
TYPES = ["runs_on", "hosted_on", "hosted_on", "member_of", "member_of", "flow", "flow", "serves"]


def _oracle(
    store: GraphStore, ids: list[str], symptoms: list[str], healthy: list[str]
) -> tuple[list[Any], list[Any]]:
    """The ranking and the pairs, by an impact from every element (and every pair)."""

    def explained(starts: list[str]) -> tuple[list[Any], bool]:
        reach = traverse(store, MM, starts)
        got = [
            (
                s,
                reach.reached[s].state.value,
                reach.reached[s].distance,
                [h.relation.id for h in reach.path(s)],
            )
            for s in symptoms
            if s in reach.reached
        ]
        breaks = any(
            h in reach.reached and reach.reached[h].state is not State.DEGRADED for h in healthy
        )
        return got, breaks

    def key(got: list[Any], ident: tuple[str, ...]) -> tuple[Any, ...]:
        down = sum(state != "degraded" for _, state, _, _ in got)
        return (-len(got), -down, sum(d for _, _, d, _ in got), ident)

    singles = []
    for e in ids:
        got, breaks = explained([e])
        if not got or [s for s, *_ in got] == [e] or breaks:
            continue
        singles.append((key(got, (e,)), e, got))
    singles.sort()
    pairs = []
    if singles and len(singles[0][2]) < len(symptoms):
        for (_, a, ga), (_, b, gb) in itertools.combinations(singles, 2):
            if {s for s, *_ in ga} | {s for s, *_ in gb} != set(symptoms):
                continue
            got, breaks = explained([a, b])
            if not breaks:
                pairs.append((key(got, tuple(sorted((a, b)))), tuple(sorted((a, b))), got))
        pairs.sort()
    return [(e, got) for _, e, got in singles], [(p, got) for _, p, got in pairs]


def _answer(report: DiagnosisReport) -> tuple[list[Any], list[Any]]:
    def rows(explained: Any) -> list[Any]:
        return [
            (e.symptom.id, e.state.value, e.distance, [s.relation_id for s in e.path])
            for e in explained
        ]

    return (
        [(c.element.id, rows(c.explained)) for c in report.candidates],
        [(tuple(x.id for x in p.causes), rows(p.explained)) for p in report.pairs],
    )


landscapes = st.integers(min_value=3, max_value=9).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(0, n - 1), st.sampled_from(TYPES), st.integers(0, n - 1)),
            min_size=n,
            max_size=3 * n,
        ),
        st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True),
        st.lists(st.integers(0, n - 1), max_size=2, unique=True),
    )
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(landscape=landscapes)
def test_the_ranking_is_the_brute_force_one(landscape: Any) -> None:
    n, links, sick, well = landscape
    symptoms = [f"e{i}" for i in sick]
    healthy = [f"e{i}" for i in well if i not in sick]
    ids = [f"e{i}" for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "repository.db")
        try:
            store.upsert_elements(Element(ElementId(i), "Application", i.upper()) for i in ids)
            store.upsert_relations(
                Relation(ElementId(f"e{s}"), t, ElementId(f"e{d}")) for s, t, d in links if s != d
            )
            report = diagnose(store, MM, symptoms, healthy=healthy, limit=None)
            singles, pairs = _oracle(store, ids, symptoms, healthy)
            got_singles, got_pairs = _answer(report)
            assert got_singles == singles
            assert got_pairs == pairs
            assert report.found == len(singles)
            # The first two, found without checking every suspect, are the same.
            first = diagnose(store, MM, symptoms, healthy=healthy, limit=2)
            assert _answer(first) == (singles[:2], pairs[:2])
        finally:
            store.close()


def test_the_demo_diagnosis(ea: Any, tmp_path: Path) -> None:
    # `make demo` and the README: three applications on one cluster of the sample. The
    # cluster, the operating system they run on and their datacenter all explain the
    # three; the cluster, two steps from each, ranks first.
    root = tmp_path / "demo"
    assert ea("demo", "--workspace", root).code == 0
    apps = ["CRM Dynamics", "SAP ECC", "Tagetik Consolidation"]
    result = ea("diagnose", *apps, "--max", "3", "-w", root, "-f", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert [
        (c["name"], c["explains"], c["down"], c["distance"], c["breaks"]["down"])
        for c in data["candidates"]
    ] == [
        ("VCL-PAR-PROD01", 3, 3, 6, 125),
        ("Microsoft Windows Server 2016", 3, 3, 8, 61),
        ("DC Paris Nord", 3, 3, 9, 290),
    ]
