"""Migration waves of one datacenter out of two: what is hosted there moves, what stays is touched.

The landscape has known answers. Billing runs in Lyon (on a VM of the Lyon
cluster and on a physical server there) and uses the SALES database in Lyon;
Reporting runs in Paris, uses that database and exchanges data flows with
Billing both ways; the Directory runs on a server in each site; a stretched
cluster has a member in each. Moving Lyon moves exactly what is hosted there;
Reporting, the Directory, the stretched cluster and the process Billing serves
stay, each listed as touched with the relation and the moving element.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ea_repo import Repository
from ea_repo.analysis.hosting import hosted_in
from ea_repo.analysis.waves import plan_waves
from ea_repo.config import init_workspace
from ea_repo.model import Element, ElementId, Relation
from ea_repo.selection import select_ids

ELEMENTS: list[tuple[str, str, str]] = [
    ("dc-par", "Datacenter", "DC Paris"),
    ("dc-lyo", "Datacenter", "DC Lyon"),
    ("srv-par", "Server", "srv-par"),
    ("esx-lyo1", "Server", "esx-lyo1"),
    ("esx-lyo2", "Server", "esx-lyo2"),
    ("cl-lyo", "Cluster", "Lyon cluster"),
    ("vm-lyo", "VirtualMachine", "vm-billing"),
    ("srv-lyo-app", "Server", "srv-billing-batch"),
    ("srv-lyo-db", "Server", "srv-lyo-db"),
    ("ora-lyo", "SystemSoftware", "Oracle Lyon"),
    ("sp-oracle", "SoftwareProduct", "Oracle 19c"),
    ("db-lyo", "Database", "SALES"),
    ("do-sales", "DataObject", "Sales"),
    ("app-lyo", "Application", "Billing"),
    ("app-par", "Application", "Reporting"),
    ("ad-lyo", "Server", "dc-lyon-01"),
    ("app-dir", "Application", "Directory"),
    ("esx-str-par", "Server", "esx-str-par"),
    ("esx-str-lyo", "Server", "esx-str-lyo"),
    ("cl-str", "Cluster", "Stretched cluster"),
    ("vm-str", "VirtualMachine", "vm-stretched"),
    ("bp-billing", "BusinessProcess", "Billing process"),
]

RELATIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("srv-par", "located_in", "dc-par", {}),
    ("esx-lyo1", "located_in", "dc-lyo", {}),
    ("esx-lyo2", "located_in", "dc-lyo", {}),
    ("esx-lyo1", "member_of", "cl-lyo", {}),
    ("esx-lyo2", "member_of", "cl-lyo", {}),
    ("vm-lyo", "hosted_on", "cl-lyo", {}),
    ("srv-lyo-app", "located_in", "dc-lyo", {}),
    ("srv-lyo-db", "located_in", "dc-lyo", {}),
    ("ora-lyo", "runs_on", "srv-lyo-db", {}),
    ("ora-lyo", "instance_of", "sp-oracle", {}),
    ("db-lyo", "runs_on", "ora-lyo", {}),
    ("db-lyo", "stores", "do-sales", {}),
    # Billing stands on a Lyon server at once and on a VM reached three levels down.
    ("app-lyo", "runs_on", "srv-lyo-app", {}),
    ("app-lyo", "runs_on", "vm-lyo", {}),
    ("app-lyo", "uses", "db-lyo", {}),
    ("app-lyo", "depends_on", "app-dir", {}),
    ("app-lyo", "serves", "bp-billing", {}),
    ("app-par", "runs_on", "srv-par", {}),
    ("app-par", "uses", "db-lyo", {}),
    ("app-lyo", "flow", "app-par", {"interface_id": "INT-1"}),
    ("app-par", "flow", "app-lyo", {"interface_id": "INT-2"}),
    ("ad-lyo", "located_in", "dc-lyo", {}),
    ("app-dir", "runs_on", "ad-lyo", {}),
    ("app-dir", "runs_on", "srv-par", {}),
    ("esx-str-par", "located_in", "dc-par", {}),
    ("esx-str-lyo", "located_in", "dc-lyo", {}),
    ("esx-str-par", "member_of", "cl-str", {}),
    ("esx-str-lyo", "member_of", "cl-str", {}),
    ("vm-str", "hosted_on", "cl-str", {}),
]

HOSTED_IN_LYON = {
    "dc-lyo",
    "esx-lyo1",
    "esx-lyo2",
    "cl-lyo",
    "vm-lyo",
    "srv-lyo-app",
    "srv-lyo-db",
    "ora-lyo",
    "db-lyo",
    "do-sales",
    "app-lyo",
    "ad-lyo",
    "esx-str-lyo",
}

# (what stays, relation type, what moves, the element that stays depends on it)
TOUCHED_BY_LYON = {
    ("app-par", "uses", "db-lyo", True),
    ("app-par", "flow", "app-lyo", True),  # INT-1: Reporting receives Billing's data
    ("app-par", "flow", "app-lyo", False),  # INT-2: Reporting sends data to Billing
    ("app-dir", "runs_on", "ad-lyo", True),  # its Lyon server goes
    ("app-dir", "depends_on", "app-lyo", False),  # Billing still needs it
    ("cl-str", "member_of", "esx-str-lyo", True),
    ("bp-billing", "serves", "app-lyo", True),
}


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("two-sites") / "ws"
    init_workspace(root)
    with Repository.open(root) as repo:
        repo.add_many(
            [Element(ElementId(i), t, n) for i, t, n in ELEMENTS],
            [Relation(ElementId(s), t, ElementId(d), a) for s, t, d, a in RELATIONS],
            source="fixture",
        )
    return root


def test_in_selects_what_is_hosted_there_and_plus_what_depends_on_it(two_sites: Path) -> None:
    with Repository.open(two_sites) as repo:
        inside = select_ids(repo.store, repo.metamodel, "in:dc-lyo")
        named = select_ids(repo.store, repo.metamodel, 'in:"DC Lyon" type:Application')
        depends = select_ids(repo.store, repo.metamodel, "+dc-lyo")
        paris = hosted_in(repo.store, repo.metamodel, ["dc-par"])
    assert inside == HOSTED_IN_LYON
    assert named == {"app-lyo"}
    # +X keeps its meaning: Reporting uses the SALES database and receives Billing's flow.
    assert {"app-par", "app-dir", "cl-str", "vm-str", "bp-billing"} <= depends
    # Split between the sites, the Directory and the stretched cluster are in neither.
    assert paris == {"dc-par", "srv-par", "esx-str-par", "app-par"}


def test_waves_of_lyon_move_what_is_hosted_there_and_list_what_stays(two_sites: Path) -> None:
    with Repository.open(two_sites) as repo:
        ids = select_ids(repo.store, repo.metamodel, "in:dc-lyo")
        report = plan_waves(repo.store, repo.metamodel, ids, max_size=5)
    moved = [e.id for w in report.waves for e in w.elements]
    assert sorted(moved) == sorted(HOSTED_IN_LYON - {"dc-lyo"})  # the building does not move
    assert len(moved) == len(set(moved))
    touches = {
        (t.element.id, t.relation.type, t.moving.id, t.depends)
        for w in report.waves
        for t in w.touched
    }
    assert touches == TOUCHED_BY_LYON
    # Each touch is listed in the wave its moving element goes in.
    for wave in report.waves:
        assert {t.moving.id for t in wave.touched} <= {e.id for e in wave.elements}
    assert [e.id for e in report.touched] == ["app-dir", "app-par", "bp-billing", "cl-str"]
    links = {
        (t.element.id, t.relation.attrs.get("interface_id"), t.link)
        for w in report.waves
        for t in w.touched
    }
    assert ("app-par", "INT-1", "receives data from") in links
    assert ("app-par", "INT-2", "sends data to") in links
    assert ("cl-str", None, "has member") in links


def test_waves_cli_gives_the_moves_and_the_cut_over(ea, two_sites: Path) -> None:
    result = ea("waves", 'in:"DC Lyon"', "-w", two_sites, "-f", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert {i for w in data["waves"] for i in w["elements"]} == HOSTED_IN_LYON - {"dc-lyo"}
    rows = {
        (t["element"], t["type"], t["moving"], t["depends"])
        for w in data["waves"]
        for t in w["touched"]
    }
    assert rows == TOUCHED_BY_LYON
    assert data["touched"] == ["app-dir", "app-par", "bp-billing", "cl-str"]
    table = ea("waves", "in:dc-lyo", "-w", two_sites).out
    assert "cut-over" in table and "Reporting" in table and "receives data from" in table
    dot = ea("waves", "in:dc-lyo", "-w", two_sites, "-f", "dot").out
    touched_cluster = dot[dot.index("Stays, touched (4)") :]
    assert "Reporting" in touched_cluster and "Billing process" in touched_cluster
    assert "SALES" not in touched_cluster  # the moving database is drawn in its wave


def test_in_needs_hosting_relationships(ea, two_sites: Path, tmp_path: Path) -> None:
    bare = tmp_path / "mm.yaml"
    bare.write_text(
        "name: bare\nversion: '1'\nelement_types:\n  App:\n    layer: application\n"
        "relationship_types:\n  uses:\n    from: App\n    to: App\n    dependent: source\n"
    )
    from ea_repo.errors import SelectorError
    from ea_repo.metamodel import load_metamodel
    from ea_repo.selection import check_selector

    with pytest.raises(SelectorError, match="marks none"):
        check_selector("in:x", load_metamodel(bare))
    unknown = ea("waves", "in:nowhere", "-w", two_sites)
    assert unknown.code == 2 and "nowhere" in unknown.err


def test_waves_study_shows_the_moves_and_the_touched_apart(
    ea, two_sites: Path, tmp_path: Path
) -> None:
    out = tmp_path / "lyon.html"
    result = ea("report", "waves", "in:dc-lyo", "-o", out, "-w", two_sites)
    assert result.code == 0, result.err
    page = out.read_text(encoding="utf-8")
    assert "Stays, touched (4)" in page  # the diagram's cluster
    cut_over = page[page.index("cut-over (7 links with what stays)") :]
    assert "Reporting" in cut_over and "receives data from" in cut_over and "INT-1" in cut_over
    assert "<script" not in page.lower()


def test_over_its_limit_the_diagram_counts_what_stays_in_one_node(two_sites: Path) -> None:
    from dataclasses import replace

    from ea_repo.views.build import waves_graph
    from ea_repo.views.spec import builtin_views

    with Repository.open(two_sites) as repo:
        ids = select_ids(repo.store, repo.metamodel, "in:dc-lyo")
        report = plan_waves(repo.store, repo.metamodel, ids, max_size=3)
        mm = repo.metamodel
    spec = replace(builtin_views()["migration-waves"], limit=4)
    summary = waves_graph(report, mm, spec)
    assert len(summary.nodes) <= 4
    touched = summary.nodes["touched"]
    assert (touched.name, touched.count) == ("Stays, touched", 4)
    assert summary.elements_total == 12 + 4
    touches = {e.dst for e in summary.edges if e.type == "touches"}
    assert touches and all(e.src == "touched" for e in summary.edges if e.type == "touches")
    assert any("what stays but is touched is one node" in n for n in summary.notes)


def test_metamodel_show_tells_which_relationships_place_an_element(ea, two_sites: Path) -> None:
    member = json.loads(ea("metamodel", "show", "member_of", "-w", two_sites, "-f", "json").out)
    uses = json.loads(ea("metamodel", "show", "uses", "-w", two_sites, "-f", "json").out)
    assert (member["hosting"], uses["hosting"]) == (True, False)


def test_waves_of_plus_a_place_say_what_in_would_move(ea, two_sites: Path) -> None:
    plus = ea("waves", '+"DC Lyon"', "-w", two_sites)
    assert plus.code == 0, plus.err
    assert 'to move what is hosted in it: in:"DC Lyon"' in " ".join(plus.out.split())
    assert "Reporting" in plus.out  # +X moves what uses the database, as it always did
    assert "hosted in it" not in ea("waves", "in:dc-lyo", "-w", two_sites).out
