"""Scenarios from the command line: files, edits, --scenario and --at, diff, and a sync
moving the facts under them — on a small landscape whose answers are known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ea_repo.importers.base import Record
from ea_repo.repository import Repository
from ea_repo.sync import SyncEngine

# dc1 holds srv1 and srv2; crm runs on srv1 and serves sales (capability sell realised by
# sales); oms runs on srv2 and serves orders; crm sends data to oms (IF-1); crm is the
# system of record of Customer.
LANDSCAPE = [
    ("add", "Datacenter", "--id", "dc1", "--name", "DC One"),
    ("add", "Server", "--id", "srv1", "--name", "SRV1"),
    ("add", "Server", "--id", "srv2", "--name", "SRV2"),
    ("add", "Application", "--id", "crm", "--name", "CRM <legacy>", "--set", "criticality=high"),
    ("add", "Application", "--id", "oms", "--name", "OMS", "--set", "criticality=high"),
    ("add", "BusinessProcess", "--id", "sales", "--name", "Sales"),
    ("add", "BusinessProcess", "--id", "orders", "--name", "Orders"),
    ("add", "Capability", "--id", "sell", "--name", "Sell"),
    ("add", "DataObject", "--id", "customer", "--name", "Customer"),
    ("link", "srv1", "located_in", "dc1"),
    ("link", "srv2", "located_in", "dc1"),
    ("link", "crm", "runs_on", "srv1"),
    ("link", "oms", "runs_on", "srv2"),
    ("link", "crm", "serves", "sales"),
    ("link", "oms", "serves", "orders"),
    ("link", "sales", "realizes", "sell"),
    ("link", "crm", "flow", "oms", "--id", "IF-1"),
    ("link", "crm", "stores", "customer", "--set", "master=true"),
]


@pytest.fixture
def landscape(ea, workspace: Path) -> Path:
    for command in LANDSCAPE:
        result = ea(*command)
        assert result.code == 0, (command, result.err)
    return workspace


def ok(ea, *args: str) -> str:
    result = ea(*args)
    assert result.code == 0, (args, result.err)
    return result.out


def impacted(ea, *args: str) -> set[str]:
    data = json.loads(ok(ea, "impact", *args, "-f", "json"))
    return {a["id"] for a in data["affected"]}


def test_a_scenario_is_a_reviewable_file_and_every_edit_is_validated(ea, landscape: Path) -> None:
    ok(ea, "scenario", "new", "crm-out", "-d", "Salesforce replaces the CRM")
    ok(ea, "scenario", "add", "crm-out", "Application", "--id", "sfdc", "--name", "Salesforce")
    ok(ea, "scenario", "replace", "crm-out", "CRM <legacy>", "sfdc", "--on", "2027-06-01")
    ok(ea, "scenario", "unlink", "crm-out", "sfdc", "runs_on", "srv1", "--on", "2027-06-01")
    text = (landscape / "scenarios" / "crm-out.yaml").read_text(encoding="utf-8")
    assert "op: replace" in text and "effective: '2027-06-01'" in text
    # Refused like any write, and the file is left as it was.
    for args, message in [
        (("add", "crm-out", "Applicaton", "--id", "x"), "unknown element type"),
        (("add", "crm-out", "Application", "--id", "sfdc"), "already in the landscape"),
        (("link", "crm-out", "sfdc", "runs_on", "sales"), "cannot lead to"),
        (("set", "crm-out", "oms", "--set", "criticality=vital"), "criticality"),
        (("retire", "crm-out", "nowhere"), "no element"),
        (("replace", "crm-out", "oms", "oms"), "cannot replace itself"),
        (("add", "crm-out", "Application", "--id", "y", "--on", "2027-13-01"), "not a date"),
    ]:
        result = ea("scenario", *args)
        assert result.code == 2 or result.code == 4, (args, result.err)
        assert message in result.err, (args, result.err)
    assert (landscape / "scenarios" / "crm-out.yaml").read_text(encoding="utf-8") == text
    shown = json.loads(ok(ea, "scenario", "show", "crm-out", "-f", "json"))
    assert [e["op"] for e in shown["edits"]] == ["add", "replace", "unlink"]
    assert shown["drift"] == []


def test_impact_under_a_scenario_and_at_a_day(ea, landscape: Path) -> None:
    ok(ea, "scenario", "new", "crm-out")
    ok(ea, "scenario", "add", "crm-out", "Application", "--id", "sfdc", "--name", "Salesforce")
    ok(ea, "scenario", "link", "crm-out", "sfdc", "runs_on", "srv2")
    ok(ea, "scenario", "replace", "crm-out", "crm", "sfdc", "--on", "2027-06-01")
    ok(ea, "scenario", "unlink", "crm-out", "sfdc", "runs_on", "srv1", "--on", "2027-06-01")
    facts = {"crm", "sales", "sell", "oms", "customer"}
    assert impacted(ea, "srv1") == facts
    # Complete (no --at: the day its last edit takes effect): srv1 carries nothing.
    assert impacted(ea, "srv1", "--scenario", "crm-out") == set()
    assert impacted(ea, "srv2", "--scenario", "crm-out") == {
        "oms",
        "orders",
        "sfdc",
        "sales",
        "sell",
        "customer",
    }
    # Before the replacement takes effect, the CRM is still there; Salesforce already runs.
    assert impacted(ea, "srv1", "--scenario", "crm-out", "--at", "2027-05-31") == facts
    assert impacted(ea, "srv2", "--scenario", "crm-out", "--at", "2027-05-31") == {
        "oms",
        "orders",
        "sfdc",
    }
    # The facts never moved.
    assert impacted(ea, "srv1") == facts
    retired = ea("impact", "crm", "--scenario", "crm-out")
    assert retired.code == 2 and "retired" in retired.err


def test_stacked_scenarios_and_the_diff_between_them(ea, landscape: Path) -> None:
    ok(ea, "scenario", "new", "crm-out")
    ok(ea, "scenario", "add", "crm-out", "Application", "--id", "sfdc", "--name", "Salesforce")
    ok(ea, "scenario", "replace", "crm-out", "crm", "sfdc")
    ok(ea, "scenario", "new", "dc-close", "--based-on", "crm-out")
    ok(ea, "scenario", "link", "dc-close", "sfdc", "runs_on", "srv2")
    ok(ea, "scenario", "retire", "dc-close", "srv1")
    ok(ea, "scenario", "unlink", "dc-close", "sfdc", "stores", "customer")
    assert impacted(ea, "srv2", "--scenario", "dc-close") >= {"sfdc", "sales", "sell"}
    gap = json.loads(ok(ea, "scenario", "diff", "dc-close", "-f", "json"))
    changes = {(c["change"], c["id"]) for c in gap["elements"]}
    assert changes == {("added", "sfdc"), ("removed", "crm"), ("removed", "srv1")}
    consequences = gap["consequences"]
    support = {s["id"]: s for s in consequences["support"]}
    assert support["sales"]["gains"] == ["sfdc"] and support["sales"]["loses"] == ["crm"]
    assert support["sales"]["unsupported"] is False
    assert {f["id"]: f["change"] for f in consequences["flows"]} == {"IF-1": "re-routed"}
    records = consequences["systems_of_record"]
    assert records == [
        {"id": "customer", "name": "Customer", "before": ["crm"], "after": [], "lost": True}
    ]
    # Against its base, only the base's own changes are gone.
    against = json.loads(
        ok(ea, "scenario", "diff", "dc-close", "--against", "crm-out", "-f", "json")
    )
    assert {(c["change"], c["id"]) for c in against["elements"]} == {("removed", "srv1")}
    table = ok(ea, "scenario", "diff", "dc-close")
    assert "NONE: lost" in table and "re-routed" in table


def test_a_sync_moving_the_facts_is_reported_on_every_use(ea, landscape: Path) -> None:
    ok(ea, "scenario", "new", "tune")
    ok(ea, "scenario", "set", "tune", "oms", "--set", "criticality=critical")
    ok(ea, "scenario", "retire", "tune", "srv1")
    ok(ea, "scenario", "set", "tune", "crm", "--set", "criticality=low")
    # A nightly sync (a real run of a source) lowers OMS, retires SRV1, and deletes nothing.
    with Repository.open(landscape) as repo:
        records = [
            Record.element("Application", "oms", "OMS", {"criticality": "medium"}),
            Record.element("Server", "srv2", "SRV2", {}),
        ]
        SyncEngine(repo.store, repo.metamodel).run("cmdb", records)
        repo.store.set_status("element", ["srv1"], __import__("ea_repo.model").model.Status.RETIRED)
        repo.add(
            "Application", id="crm", name="CRM <legacy>", attrs={"criticality": "low"}, update=True
        )
    shown = json.loads(ok(ea, "scenario", "show", "tune", "-f", "json"))
    assert {(d["edit"], d["kind"]) for d in shown["drift"]} == {
        (1, "moved"),
        (2, "done"),
        (3, "done"),
    }
    used = ea("impact", "srv2", "--scenario", "tune")
    assert used.code == 0
    assert (
        "edit 1 (set oms (criticality=critical)): criticality was 'high' when written" in used.err
    )
    assert "edit 2 (retire srv1)" in used.err
    listed = json.loads(ok(ea, "scenario", "list", "-f", "json"))
    assert listed["scenarios"][0]["drift"] == 3


def test_a_broken_scenario_file_is_named_with_its_line(ea, landscape: Path) -> None:
    folder = landscape / "scenarios"
    folder.mkdir()
    (folder / "bad.yaml").write_text(
        "name: bad\nedits:\n  - {op: retire, id: srv1}\n  - op: replace\n    id: crm\n"
        "    on: 2027-01-01\n  - {op: move, id: x}\n",
        encoding="utf-8",
    )
    result = ea("impact", "srv1", "--scenario", "bad")
    assert result.code == 2
    assert "bad.yaml:6" in result.err and "effective" in result.err
    assert "Traceback" not in result.err
    missing = ea("impact", "srv1", "--scenario", "nope")
    assert missing.code == 2 and "no scenario 'nope'" in missing.err and "bad" in missing.err
    (folder / "loop.yaml").write_text("name: loop\nbased_on: loop\nedits: []\n", encoding="utf-8")
    looping = ea("scenario", "show", "loop")
    assert looping.code == 2 and "starts from itself" in looping.err


def test_the_demo_scenarios_tell_their_story(ea, tmp_path: Path) -> None:
    root = tmp_path / "demo"
    assert ea("demo", "--workspace", root).code == 0
    listed = json.loads(ok(ea, "scenario", "list", "-w", root, "-f", "json"))
    assert {s["name"]: s["drift"] for s in listed["scenarios"]} == {
        "crm-replacement": 0,
        "harmonise-invoicing": 0,
    }
    crm = json.loads(ok(ea, "scenario", "diff", "crm-replacement", "-w", root, "-f", "json"))
    assert crm["day"] == "2027-09-30"
    support = {s["id"]: s for s in crm["consequences"]["support"]}
    assert support["bp-loyalty"]["loses"] == ["CRM Dynamics|Application"]
    assert support["bp-loyalty"]["gains"] == ["app-salesforce"]
    flows = crm["consequences"]["flows"]
    assert len(flows) == 13 and {f["change"] for f in flows} == {"re-routed"}
    invoicing = json.loads(
        ok(ea, "scenario", "diff", "harmonise-invoicing", "-w", root, "-f", "json")
    )
    changes = {f["id"]: f["change"] for f in invoicing["consequences"]["flows"]}
    assert changes["INT-0178"] == "cut" and changes["INT-0179"] == "re-routed"
    # SAP ECC's own access to invoices is kept, not overwritten by the AS/400's.
    assert not [
        r for r in invoicing["relations"] if r["id"] == "SAP ECC|Application|accesses|data:invoice"
    ]
    # The DC Lyon Sud AS/400 is still there in February, gone in April.
    feb = impacted(
        ea, "AS400LYO1", "-w", root, "--scenario", "harmonise-invoicing", "--at", "2027-02-01"
    )
    assert feb and "Logistics Invoicing (AS/400)|Application" not in feb
    gone = ea("impact", "AS400LYO1", "-w", root, "--scenario", "harmonise-invoicing")
    assert gone.code == 2 and "retired" in gone.err


def test_a_study_says_which_day_and_scenario_it_shows_and_what_moved(
    ea, landscape: Path, tmp_path: Path
) -> None:
    ok(ea, "scenario", "new", "tune")
    ok(ea, "scenario", "set", "tune", "oms", "--set", "criticality=critical")
    plain = tmp_path / "plain.html"
    ok(ea, "report", "impact", "srv2", "-o", plain)
    assert "under scenario" not in plain.read_text(encoding="utf-8")
    with Repository.open(landscape) as repo:
        repo.add("Application", id="oms", name="OMS", attrs={"criticality": "low"}, update=True)
    study = tmp_path / "study.html"
    ok(ea, "report", "impact", "srv2", "--scenario", "tune", "--at", "2027-01-01", "-o", study)
    text = study.read_text(encoding="utf-8")
    assert "the landscape as on 2027-01-01, under scenario tune" in text
    assert "The facts have moved under 1 edit(s) of scenario tune" in text
    assert "criticality was &#39;high&#39; when written" in text
    # A diagram says it too, and only when a day or a scenario was asked for.
    drawn = ok(ea, "impact", "srv2", "--scenario", "tune", "-f", "dot")
    assert "the landscape as on" in drawn and "under scenario tune" in drawn
    assert "the landscape as on" not in ok(ea, "impact", "srv2", "-f", "dot")
    view = ok(ea, "view", "render", "infrastructure", "--at", "2027-01-01", "-f", "dot")
    assert "the landscape as on 2027-01-01" in view


def test_two_edits_made_at_the_same_time_both_land(ea, landscape: Path) -> None:
    # Two `ea scenario ...` processes read the file, then each writes it with its edit:
    # the second must not write over the first.
    from ea_repo.scenarios import Book
    from ea_repo.scenarios.edit import Editor

    ok(ea, "scenario", "new", "busy")
    with Repository.open(landscape) as repo:
        book = Book(landscape)
        first, second = Editor(repo, book, "busy"), Editor(repo, book, "busy")
        first.retire("srv1", None)
        second.set("oms", None, {"criticality": "critical"}, None)
    edits = json.loads(ok(ea, "scenario", "show", "busy", "-f", "json"))["edits"]
    assert [e["op"] for e in edits] == ["retire", "set"]


def test_an_edit_waiting_too_long_for_another_says_so(
    ea, landscape: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from filelock import FileLock

    from ea_repo.scenarios import file

    ok(ea, "scenario", "new", "busy")
    monkeypatch.setattr(file, "EDIT_WAIT", 0.2)
    with FileLock(str(landscape / ".ea" / "scenarios.lock")):
        result = ea("scenario", "retire", "busy", "srv1")
    assert result.code == 2 and "another edit of the scenarios" in result.err
    assert json.loads(ok(ea, "scenario", "show", "busy", "-f", "json"))["edits"] == []
