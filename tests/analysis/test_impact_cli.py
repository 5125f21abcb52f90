"""`ea impact` and `ea dependencies` on the retail landscape: answers with their paths."""

from __future__ import annotations

import json
from pathlib import Path


def test_impact_of_the_virtualisation_host_reaches_capabilities(ea, retail: Path) -> None:
    result = ea("impact", "srv-esx01", "-w", retail, "-f", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    affected = {a["id"]: a for a in data["affected"]}
    assert {"vm-oms", "app-oms", "bp-order-to-cash", "cap-sell-online"} <= set(affected)
    oms = affected["app-oms"]
    assert (oms["distance"], oms["state"], oms["layer"]) == (2, "down", "application")
    assert [(p["from"], p["relation"], p["to"]) for p in oms["path"]] == [
        ("srv-esx01", "hosted_on", "vm-oms"),
        ("vm-oms", "runs_on", "app-oms"),
    ]
    assert "srv-web01" not in affected  # the web cluster does not run on esx01


def test_one_web_server_only_degrades_the_cluster(ea, retail: Path) -> None:
    data = json.loads(ea("impact", "web01", "-w", retail, "-f", "json").out)
    assert [(a["id"], a["state"], a["missing"]) for a in data["affected"]] == [
        ("cl-web", "degraded", ["srv-web02"])
    ]


def test_explain_lists_every_shortest_path(ea, retail: Path) -> None:
    data = json.loads(
        ea("impact", "srv-esx01", "--explain", "cap-sell-online", "-w", retail, "-f", "json").out
    )
    paths = data["explain"]["paths"]
    assert len(paths) == 2  # through "Order to cash" and through "Click and collect"
    assert {p[2]["to"] for p in paths} == {"bp-order-to-cash", "bp-click-collect"}
    text = ea("impact", "srv-esx01", "--explain", "Sell online", "-w", retail).out
    assert "esx01 —hosts (virtual)→ vm-oms-prd —hosts→ Order Management —serves→" in text


def test_layer_and_depth_filters(ea, retail: Path) -> None:
    data = json.loads(
        ea("impact", "srv-esx01", "--layer", "strategy", "-w", retail, "-f", "json").out
    )
    assert {a["layer"] for a in data["affected"]} == {"strategy"}
    shallow = ea("impact", "srv-esx01", "--depth", "1", "-w", retail)
    assert "stopped at depth 1" in shallow.out
    assert "app-oms" not in shallow.out


def test_dependencies_reach_the_datacenters(ea, retail: Path) -> None:
    data = json.loads(ea("dependencies", "Webshop", "-w", retail, "-f", "json").out)
    assert {"cl-web", "srv-web01", "srv-web02", "dc-paris", "dc-lyon"} <= {
        a["id"] for a in data["affected"]
    }


def test_analysis_mistakes(ea, retail: Path) -> None:
    assert "no element 'nowhere'" in ea("impact", "nowhere", "-w", retail).err
    bad_layer = ea("impact", "srv-esx01", "--layer", "buisness", "-w", retail)
    assert bad_layer.code == 2 and "unknown layer 'buisness'" in bad_layer.err
    bad_rel = ea("impact", "srv-esx01", "-r", "runs", "-w", retail)
    assert bad_rel.code == 2 and "unknown relationship type 'runs'" in bad_rel.err


def test_explain_says_when_it_shows_only_the_first_paths(ea, workspace: Path) -> None:
    from ea_repo import Repository
    from ea_repo.model import Element, ElementId, Relation

    def el(i: str, t: str) -> Element:
        return Element(ElementId(i), t, i)

    def rel(s: str, t: str, d: str) -> Relation:
        return Relation(ElementId(s), t, ElementId(d))

    # 11 VMs on one server, 11 applications each on all 11 VMs, one process they serve:
    # 121 shortest paths from the server to the process.
    vms, apps = [f"vm{i}" for i in range(11)], [f"app{i}" for i in range(11)]
    with Repository.open(workspace) as repo:
        repo.add_many(
            [el("srv", "Server"), el("bp", "BusinessProcess")]
            + [el(v, "VirtualMachine") for v in vms]
            + [el(a, "Application") for a in apps],
            [rel(v, "hosted_on", "srv") for v in vms]
            + [rel(a, "runs_on", v) for a in apps for v in vms]
            + [rel(a, "serves", "bp") for a in apps],
        )
    result = ea("impact", "srv", "--explain", "bp", "-f", "json")
    data = json.loads(result.out)
    assert (len(data["explain"]["paths"]), data["explain"]["total_paths"]) == (100, 121)
    assert (
        "showing the first 100 of 121 shortest paths" in ea("impact", "srv", "--explain", "bp").out
    )
