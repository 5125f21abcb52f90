"""Lifecycle dates on every type: shown by the metamodel, a contradiction refused by each write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ea_repo import Repository
from ea_repo.errors import SourceError
from ea_repo.importers import ImportBatch
from ea_repo.model import EVERYTHING, Origin, Record, Ref
from ea_repo.sync import SyncEngine
from ea_repo.timeline import ATTRIBUTES, DESCRIPTIONS


def test_metamodel_show_lists_the_lifecycle_dates_of_a_type(ea) -> None:
    for kind in ("Application", "runs_on"):
        detail = json.loads(ea("metamodel", "show", kind, "-f", "json").out)
        dated = [a for a in detail["attributes"] if a["attribute"] in ATTRIBUTES.values()]
        assert [(a["attribute"], a["type"], a["description"]) for a in dated] == [
            (ATTRIBUTES[p], "date", DESCRIPTIONS[p]) for p in ATTRIBUTES
        ]
    assert "lifecycle_phase_in" in ea("metamodel", "show", "Server").out


def test_add_and_link_take_lifecycle_dates_and_refuse_them_out_of_order(
    ea, workspace: Path
) -> None:
    good = ea(
        "add", "Application", "--id", "crm", "--set", "lifecycle_phase_in=2026-06-01",
        "--set", "lifecycle_end_of_life=2030-01-01",
    )  # fmt: skip
    assert good.code == 0, good.err
    bad = ea(
        "add", "Server", "--id", "srv", "--set", "lifecycle_active=2026-06-01",
        "--set", "lifecycle_phase_out=2025-01-01",
    )  # fmt: skip
    assert bad.code == 2
    assert (
        "Server: lifecycle dates out of order: lifecycle_phase_out 2025-01-01 comes before "
        "lifecycle_active 2026-06-01" in bad.err
    )
    assert "Traceback" not in bad.err
    ea("add", "Server", "--id", "srv")
    link = ea(
        "link", "crm", "runs_on", "srv", "--set", "lifecycle_end_of_life=2020-01-01",
        "--set", "lifecycle_phase_in=2021-01-01",
    )  # fmt: skip
    assert link.code == 2
    assert "runs_on: lifecycle dates out of order" in link.err
    with Repository.open(workspace) as repo:
        assert set(repo.store.get_elements(["crm", "srv"], EVERYTHING)) == {"crm", "srv"}
        assert repo.element("crm").attrs["lifecycle_phase_in"] == "2026-06-01"
        assert "lifecycle_active" not in repo.element("srv").attrs
        assert repo.store.counts(EVERYTHING).relations == {}


def test_a_sync_refuses_a_row_with_dates_out_of_order_and_writes_nothing(workspace: Path) -> None:
    dated = {"lifecycle_phase_in": "2024-01-01", "lifecycle_end_of_life": "2027-01-01"}
    records = [
        Record.element("Server", "srv1", "SRV1", dated, Origin("cmdb.csv", 2)),
        Record.element(
            "Server",
            "srv2",
            "SRV2",
            {"lifecycle_phase_in": "2024-01-01", "lifecycle_plan": "2025-01-01"},
            Origin("cmdb.csv", 3),
        ),
        Record.relation(
            "runs_on",
            Ref("app"),
            Ref("srv1"),
            {"lifecycle_active": "2026-01-01", "lifecycle_phase_in": "2026-02-01"},
            origin=Origin("cmdb.csv", 4),
        ),
        Record.element("Application", "app", "App", {}, Origin("cmdb.csv", 5)),
    ]
    with Repository.open(workspace) as repo:
        with pytest.raises(SourceError) as info:
            SyncEngine(repo.store, repo.metamodel).run("cmdb", ImportBatch(["cmdb.csv"], records))
        assert [str(p) for p in info.value.problems] == [
            "cmdb.csv:3: 'srv2': Server: lifecycle dates out of order: lifecycle_phase_in "
            "2024-01-01 comes before lifecycle_plan 2025-01-01",
            "cmdb.csv:4: app runs_on srv1: runs_on: lifecycle dates out of order: "
            "lifecycle_active 2026-01-01 comes before lifecycle_phase_in 2026-02-01",
        ]
        assert repo.store.counts(EVERYTHING).elements == {}


def test_two_sources_whose_dates_clash_once_merged_are_said_so(workspace: Path) -> None:
    # The CMDB knows when the server was installed; the architects' plan says when it goes,
    # a day the CMDB later contradicts: each source's own dates are in order, the merge not.
    with Repository.open(workspace) as repo:
        engine = SyncEngine(repo.store, repo.metamodel)
        plan = Record.element("Server", "srv1", "SRV1", {"lifecycle_end_of_life": "2026-06-30"})
        engine.run("plan", ImportBatch(["plan.csv"], [plan]))
        cmdb = Record.element("Server", "srv1", "SRV1", {"lifecycle_phase_in": "2026-09-01"})
        result = engine.run("cmdb", ImportBatch(["cmdb.csv"], [cmdb]))
        assert result.warnings == [
            "1 item(s) whose lifecycle dates are out of order once merged with another "
            "source's (not in the landscape on any day until one is fixed): srv1: lifecycle "
            "dates out of order: lifecycle_end_of_life 2026-06-30 comes before "
            "lifecycle_phase_in 2026-09-01, merged with another source's"
        ]
        # Nothing refused: each source's facts are kept, and the run that makes the clash says so.
        assert repo.store.get_elements(["srv1"], EVERYTHING)["srv1"].attrs == {
            "lifecycle_end_of_life": "2026-06-30",
            "lifecycle_phase_in": "2026-09-01",
        }
