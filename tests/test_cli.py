"""The `ea` command end to end: real workspace, real SQLite file, checked through the library."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from ea_repo import Repository
from ea_repo.model import Status


def test_init_creates_config_and_data_dir(ea, tmp_path: Path) -> None:
    result = ea("init", tmp_path / "ws")
    assert result.code == 0, result.err
    assert (tmp_path / "ws" / "ea.yaml").is_file()
    assert (tmp_path / "ws" / ".ea" / "repository.db").is_file()
    again = ea("init", tmp_path / "ws")
    assert again.code == 2
    assert "already exists" in again.err
    assert "Traceback" not in again.err


def test_add_link_show_round_trip(ea, workspace: Path) -> None:
    assert (
        ea(
            "add", "Server", "--id", "srv1", "--name", "SRV 1", "--set", "environment=production"
        ).code
        == 0
    )
    r = ea("add", "Application", "--name", "Order Management", "--set", "criticality=High")
    assert r.code == 0, r.err
    assert "order-management" in r.out  # id made from the name
    assert ea("link", "order-management", "runs_on", "srv1").code == 0

    with Repository.open(workspace) as repo:
        app = repo.element("order-management")
        assert (app.type, app.name, app.attrs["criticality"]) == (
            "Application",
            "Order Management",
            "high",
        )
        assert [n.other.id for n in repo.describe("srv1").neighbors] == ["order-management"]

    shown = ea("show", "order-management", "--format", "json")
    data = json.loads(shown.out)
    assert data["attrs"]["criticality"] == "high"
    assert data["provenance"][0]["source"] == "manual"
    assert [(r["relation"], r["direction"], r["element"]) for r in data["relations"]] == [
        ("runs_on", "out", "srv1")
    ]
    table = ea("show", "srv1").out
    assert "hosts" in table or "runs on" in table
    assert "Order Management" in table


def test_add_refuses_duplicates_unless_update(ea, workspace: Path) -> None:
    assert ea("add", "Application", "--id", "crm").code == 0
    dup = ea("add", "Application", "--id", "crm")
    assert dup.code == 2 and "already exists" in dup.err and "--update" in dup.err
    assert ea("add", "Application", "--id", "crm", "--update", "--set", "domain=Sales").code == 0
    with Repository.open(workspace) as repo:
        assert repo.element("crm").attrs["domain"] == "Sales"
        ops = [c.op for c in repo.store.changes(item_id="crm")]
    assert ops == ["added", "changed"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "Aplication", "--id", "x"], "did you mean 'Application'"),
        (["add", "Application", "--id", "x", "--set", "criticality=urgent"], "not one of"),
        (["add", "Application", "--id", "x", "--set", "colour=red"], "has no attribute 'colour'"),
        (["add", "Application", "--id", "x", "--set", "nokeyvalue"], "not KEY=VALUE"),
        (["link", "a", "runs_on", "nowhere"], "no element 'a'"),
        (["show", "nothing-here"], "no element 'nothing-here'"),
        (["find", "--type", "Sever"], "did you mean 'Server'"),
    ],
)
def test_user_mistakes_get_one_message_and_exit_2(
    ea, workspace: Path, args: list[str], message: str
) -> None:
    result = ea(*args)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err + result.out


def test_link_checks_the_metamodel_allows_the_ends(ea, workspace: Path) -> None:
    ea("add", "Application", "--id", "app")
    ea("add", "DataObject", "--id", "data")
    result = ea("link", "app", "runs_on", "data")
    assert result.code == 2
    assert "runs_on cannot lead to a DataObject" in result.err
    with Repository.open(workspace) as repo:
        assert repo.store.counts().relations == {}


def test_find_by_type_attribute_text_and_formats(ea, workspace: Path) -> None:
    ea("add", "Server", "--id", "s1", "--set", "environment=production")
    ea("add", "VirtualMachine", "--id", "v1", "--set", "environment=test")
    ea("add", "Application", "--id", "ora-app", "--name", "Oracle Financials")
    assert [e["id"] for e in json.loads(ea("find", "--type", "Node", "-f", "json").out)] == [
        "s1",
        "v1",
    ]
    out = ea("find", "--where", "environment=production", "-f", "csv").out
    assert list(csv.DictReader(io.StringIO(out))) == [
        {"id": "s1", "type": "Server", "name": "s1", "status": "active"}
    ]
    md = ea("find", "oracle", "-f", "md").out
    assert "| ora-app | Application | Oracle Financials | active |" in md


def test_find_hides_retired_elements_unless_asked(ea, workspace: Path) -> None:
    ea("add", "Server", "--id", "old")
    with Repository.open(workspace) as repo:
        repo.store.set_status("element", ["old"], Status.RETIRED)
    assert json.loads(ea("find", "--type", "Server", "-f", "json").out) == []
    found = json.loads(ea("find", "--type", "Server", "--retired", "-f", "json").out)
    assert [(e["id"], e["status"]) for e in found] == [("old", "retired")]


def test_output_to_a_file(ea, workspace: Path, tmp_path: Path) -> None:
    ea("add", "Server", "--id", "s1")
    target = tmp_path / "out" / "stats.json"
    result = ea("stats", "-f", "json", "-o", target)
    assert result.code == 0 and result.out == ""
    assert json.loads(target.read_text())["elements"] == {"Server": 1}


def test_no_workspace_is_a_clear_error(ea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EA_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)
    result = ea("stats")
    assert result.code == 2
    assert "no ea.yaml" in result.err and "ea init" in result.err


def test_usage_errors_exit_2(ea) -> None:
    assert ea("add").code == 2
    assert ea("no-such-command").code == 2


def test_version_and_help(ea) -> None:
    assert ea("--version").out.startswith("ea-repo ")
    assert "metamodel" in ea("--help").out


def test_metamodel_show_lists_and_details(ea) -> None:
    listing = json.loads(ea("metamodel", "show", "-f", "json").out)
    assert listing["element_types"]["Application"]["layer"] == "application"
    assert listing["relationship_types"]["runs_on"]["dependent"] == "source"
    detail = json.loads(ea("metamodel", "show", "server", "-f", "json").out)
    assert detail["name"] == "Server" and "runs_on" in detail["incoming"]
    recommended = {a["attribute"] for a in detail["attributes"] if a["recommended"]}
    assert recommended == {"environment", "location"}
    rel = json.loads(ea("metamodel", "show", "flow", "-f", "json").out)
    assert rel["dependent"] == "target"
    # What impact leaves the dependent in: a degrading type says so, one never followed says nothing.
    assert rel["impact"] == "degraded"
    assert listing["relationship_types"]["runs_on"]["impact"] == "down"
    assert listing["relationship_types"]["associated_with"]["impact"] is None
    assert "│ degraded │ is allocated to" in ea("metamodel", "show").out


def test_metamodel_validate_reports_file_and_line(ea, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "element_types:\n  App:\n    layer: application\n    attributes:\n      x: strng\n"
    )
    result = ea("metamodel", "validate", bad)
    assert result.code == 2
    assert f"{bad}:5: unknown attribute type 'strng'" in result.err
    good = tmp_path / "good.yaml"
    good.write_text("element_types:\n  App:\n    layer: application\n")
    assert ea("metamodel", "validate", good).code == 0


def test_metamodel_diff_lists_what_would_break(ea, workspace: Path, tmp_path: Path) -> None:
    ea("add", "Application", "--id", "a1", "--set", "criticality=high")
    ea("add", "Server", "--id", "s1")
    ea("link", "a1", "runs_on", "s1")
    new = tmp_path / "new.yaml"
    new.write_text(
        "element_types:\n"
        "  Application:\n    layer: application\n"
        "    attributes:\n      criticality: {type: enum, values: [low, medium]}\n"
        "      owner_team: {type: string, required: true}\n"
    )
    result = ea("metamodel", "diff", "builtin", new, "-f", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert {"change": "element type removed", "detail": "Server"} in data["changes"]
    broken = {(b["id"], b["problem"]) for b in data["breaks"]}
    assert ("a1", "Application.criticality: 'high' is not one of low, medium") in broken
    assert ("a1", "Application.owner_team is required") in broken
    assert any(i == "s1" and "unknown element type" in p for i, p in broken)
    assert any(i == "a1|runs_on|s1" and "unknown relationship type" in p for i, p in broken)


def test_demo_feeds_a_workspace_from_the_sample_exports(ea, tmp_path: Path) -> None:
    root = tmp_path / "demo"
    result = ea("demo", "--workspace", root)
    assert result.code == 0, result.err
    assert 'ea show "WMS Reflex"' in result.out
    with Repository.open(root) as repo:
        stats = repo.stats()
        assert 400 <= sum(stats.counts.elements.values()) <= 1000
        assert {"application", "business", "strategy", "technology", "data", "physical"} <= set(
            stats.layers
        )
        assert set(stats.sources) == {"cmdb", "eol", "business", "interfaces", "incidents"}
        wms = repo.describe("WMS Reflex")
        assert {n.relation.type for n in wms.neighbors} >= {"flow", "serves", "runs_on"}
    # The incident export: the three open at 10:15 Paris time share a cluster.
    diagnosis = json.loads(
        ea("diagnose", "--at", "2026-03-14T10:15+01:00", "-f", "json", "-w", root).out
    )
    assert diagnosis["symptoms"] == [
        "SAP ECC|Application",
        "Tagetik Consolidation|Application",
        "CRM Dynamics|Application",
    ]
    assert [i["number"] for i in diagnosis["incidents"]] == [
        "INC0010010",
        "INC0010011",
        "INC0010009",
    ]
    assert diagnosis["candidates"][0]["id"] == "VCL-PAR-PROD01|Cluster"
    synced = json.loads(ea("sync", "--json", "-w", root).out)
    assert all(
        s["elements"]["added"] == 0 and s["elements"]["changed"] == 0 for s in synced["sources"]
    )
    again = ea("demo", "--workspace", root)
    assert again.code == 2 and "--force" in again.err
    assert ea("demo", "--workspace", root, "--force").code == 0


def test_demo_force_never_deletes_a_real_workspace(ea, tmp_path: Path) -> None:
    real = tmp_path / "real"
    assert ea("init", real).code == 0
    (real / "notes.txt").write_text("mine")
    assert ea("add", "Datacenter", "--id", "dc", "-w", real).code == 0
    result = ea("demo", "--workspace", real, "--force")
    assert result.code == 2 and "did not build" in result.err
    assert (real / "notes.txt").read_text() == "mine"
    assert ea("show", "dc", "-w", real).code == 0


def test_status_and_history_follow_runs(ea, workspace: Path) -> None:
    ea("add", "Server", "--id", "s1", "--set", "environment=production")
    ea("add", "Server", "--id", "s1", "--update", "--set", "environment=test")
    status = json.loads(ea("status", "-f", "json").out)
    manual = next(s for s in status["sources"] if s["source"] == "manual")
    assert manual["elements"] == 1 and manual["last_run"]["status"] == "succeeded"
    assert status["stale_total"] == 0
    runs = json.loads(ea("history", "-f", "json").out)
    assert [r["source"] for r in runs] == ["manual", "manual"]
    changes = json.loads(ea("history", "s1", "-f", "json").out)
    assert [c["op"] for c in changes] == ["added", "changed"]
    assert changes[1]["after"]["attrs"]["environment"] == "test"
    text = ea("history", "s1").out
    assert "attrs.environment: 'production' → 'test'" in text
    missing = ea("history", "nope")
    assert missing.code == 2 and "no element 'nope'" in missing.err


def test_square_brackets_in_names_are_printed_as_they_are(ea, workspace: Path) -> None:
    assert ea("add", "Datacenter", "--id", "dc1", "--name", "Paris [old]").code == 0
    assert ea("add", "Datacenter", "--id", "dc2", "--name", "Lyon [/]").code == 0
    found = ea("find", "--type", "Datacenter")
    assert found.code == 0, found.err
    assert "Paris [old]" in found.out and "Lyon [/]" in found.out
    assert "Paris [old]" in ea("show", "dc1").out


def test_an_empty_element_name_suggests_nothing(ea, workspace: Path) -> None:
    ea("add", "Application", "--id", "crm", "--name", "Account and report")
    for args in (["impact", ""], ["show", ""], ["impact", "  "]):
        result = ea(*args)
        assert result.code == 2, args
        assert "no element" in result.err and "did you mean" not in result.err, args
        assert "`ea find TEXT` searches ids, names and attributes" in result.err
        assert "Traceback" not in result.err + result.out
