"""Data circulation and migration waves on the small retail landscape."""

from __future__ import annotations

import json
from pathlib import Path

from ea_repo import Repository
from ea_repo.analysis.flows import data_flows
from ea_repo.analysis.waves import plan_waves


def test_where_the_webshop_data_goes(retail: Path) -> None:
    with Repository.open(retail) as repo:
        one = data_flows(repo.store, repo.metamodel, "app-webshop")
        two = data_flows(repo.store, repo.metamodel, "app-webshop", depth=2)
    assert {(f.sender.id, f.receiver.id) for f in one.downstream} == {
        ("app-webshop", "app-esb"),
        ("app-webshop", "app-crm"),
    }
    assert {(f.sender.id, f.receiver.id) for f in one.upstream} == {("app-esb", "app-webshop")}
    deeper = {(f.sender.id, f.receiver.id, f.distance) for f in two.downstream}
    assert ("app-esb", "app-oms", 2) in deeper and ("app-crm", "app-loyalty", 2) in deeper
    assert ("app-webshop", "app-crm") in {
        (f.sender.id, f.receiver.id) for f in two.downstream if f.personal
    }


def test_where_personal_customer_data_travels(retail: Path) -> None:
    with Repository.open(retail) as repo:
        report = data_flows(repo.store, repo.metamodel, "do-customer", personal_only=True)
    assert [(h.system.id, h.role) for h in report.holders] == [
        ("app-crm", "system of record"),
        ("app-loyalty", "accesses (read)"),
    ]
    assert {(f.sender.id, f.receiver.id) for f in report.downstream} == {
        ("app-webshop", "app-crm"),
        ("app-crm", "app-loyalty"),
    }


def test_waves_keep_stacks_together_and_cap_size(retail: Path) -> None:
    with Repository.open(retail) as repo:
        ids = [e.id for e in repo.store.iter_elements()]
        report = plan_waves(repo.store, repo.metamodel, ids, max_size=6)
    waves = [{e.id for e in w.elements} for w in report.waves]
    assert all(len(w) <= 6 for w in waves)
    assert sum(len(w) for w in waves) == len({i for w in waves for i in w})  # no element twice
    wave_of = {i: n for n, w in enumerate(waves) for i in w}
    # The CRM stack moves as one: the app, its VM, its database instance.
    assert wave_of["app-crm"] == wave_of["vm-crm"] == wave_of["sw-pg-crm"]
    # The shared hypervisor is in the foundation, before the stacks that need it.
    assert wave_of["srv-esx01"] < wave_of["vm-crm"]
    # Only the business layers are left out by default.
    assert "bp-consent" not in wave_of and "app-oms" in wave_of
    for c in report.cross:
        assert c.dependent_wave != c.dependency_wave


def test_waves_of_a_datacenter_through_the_cli(ea, retail: Path) -> None:
    result = ea("waves", "+dc-lyon", "--max-size", "3", "-w", retail, "-f", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    moved = {i for w in data["waves"] for i in w["elements"]}
    assert {"srv-as400", "app-wms", "srv-web02"} <= moved
    assert "dc-lyon" not in moved  # the building does not move
    assert all(len(w["elements"]) <= 3 for w in data["waves"])
    bad = ea("waves", "+nowhere", "-w", retail)
    assert bad.code == 2 and "nowhere" in bad.err


def test_flows_cli(ea, retail: Path) -> None:
    data = json.loads(ea("flows", "Customer", "-w", retail, "-f", "json").out)
    assert {h["id"] for h in data["holders"]} == {"app-crm", "app-loyalty"}
    text = ea("flows", "app-wms", "-w", retail).out
    assert "downstream" in text and "Transport Management" in text


def test_an_oversized_group_splits_into_its_foundation_and_one_stack_per_application(
    tmp_path: Path,
) -> None:
    """Two applications share a cluster; one reaches its database software by two paths (a
    diamond: directly and through its database): that software is its stack's, not shared."""
    from ea_repo.config import init_workspace
    from ea_repo.model import Element, ElementId, Relation

    init_workspace(tmp_path / "ws")
    elements = [
        ("app-a", "Application"),
        ("app-b", "Application"),
        ("db-a", "Database"),
        ("ora-a", "SystemSoftware"),
        ("vm-a", "VirtualMachine"),
        ("vm-b", "VirtualMachine"),
        ("cl", "Cluster"),
        ("esx", "Server"),
    ]
    relations = [
        ("app-a", "runs_on", "ora-a"),
        ("app-a", "uses", "db-a"),
        ("db-a", "runs_on", "ora-a"),
        ("ora-a", "runs_on", "vm-a"),
        ("vm-a", "hosted_on", "cl"),
        ("app-b", "runs_on", "vm-b"),
        ("vm-b", "hosted_on", "cl"),
        ("esx", "member_of", "cl"),
    ]
    with Repository.open(tmp_path / "ws") as repo:
        repo.add_many(
            [Element(ElementId(i), t, i) for i, t in elements],
            [Relation(ElementId(s), t, ElementId(d)) for s, t, d in relations],
            source="test",
        )
        report = plan_waves(repo.store, repo.metamodel, [i for i, _ in elements], max_size=5)
    # The shared cluster and what it stands on first, then each application's own stack, each
    # in dependency order; app-b's does not fit beside app-a's.
    assert [[e.id for e in w.elements] for w in report.waves] == [
        ["esx", "cl"],
        ["vm-a", "ora-a", "db-a", "app-a"],
        ["vm-b", "app-b"],
    ]
    assert [(c.dependent.id, c.dependency.id) for c in report.cross] == [
        ("vm-a", "cl"),
        ("vm-b", "cl"),
    ]
