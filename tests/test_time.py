"""The landscape on a day, from the command line: --at on analyses, phase-out marked,
an element out of the landscape that day named as such — with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def ok(ea, *args: str) -> str:
    result = ea(*args)
    assert result.code == 0, (args, result.err)
    return result.out


@pytest.fixture
def dated(ea, workspace: Path) -> Path:
    """srv1 carries crm (until end of 2027) and its successor new-crm (from March 2027,
    phasing in, active in June); crm phases out from October 2027; both serve sales."""
    for command in [
        ("add", "Server", "--id", "srv1"),
        (
            "add",
            "Application",
            "--id",
            "crm",
            "--set",
            "lifecycle_active=2015-01-01",
            "--set",
            "lifecycle_phase_out=2027-10-01",
            "--set",
            "lifecycle_end_of_life=2028-01-01",
        ),
        (
            "add",
            "Application",
            "--id",
            "new-crm",
            "--set",
            "lifecycle_plan=2026-06-01",
            "--set",
            "lifecycle_phase_in=2027-03-01",
            "--set",
            "lifecycle_active=2027-06-01",
        ),
        ("add", "Application", "--id", "idea", "--set", "lifecycle_plan=2026-01-01"),
        ("add", "BusinessProcess", "--id", "sales"),
        ("link", "crm", "runs_on", "srv1"),
        ("link", "new-crm", "runs_on", "srv1"),
        ("link", "crm", "serves", "sales"),
        ("link", "new-crm", "serves", "sales", "--set", "lifecycle_phase_in=2027-04-01"),
    ]:
        result = ea(*command)
        assert result.code == 0, (command, result.err)
    return workspace


def impacted(ea, *args: str) -> dict[str, object]:
    return json.loads(ok(ea, "impact", "srv1", *args, "-f", "json"))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-12-01", {"crm", "sales"}),
        ("2027-03-15", {"crm", "new-crm", "sales"}),  # new-crm in, its serving not yet
        ("2027-11-01", {"crm", "new-crm", "sales"}),
        ("2028-01-01", {"new-crm", "sales"}),
    ],
)
def test_impact_sees_the_landscape_of_the_day(
    ea, dated: Path, day: str, expected: set[str]
) -> None:
    data = impacted(ea, "--at", day)
    assert {a["id"] for a in data["affected"]} == expected


def test_a_relation_enters_on_its_own_day(ea, dated: Path) -> None:
    paths = impacted(ea, "--at", "2027-03-15")
    sales = next(a for a in paths["affected"] if a["id"] == "sales")
    assert "crm" in json.dumps(sales["path"]) and "new-crm" not in json.dumps(sales["path"])


def test_phase_out_is_marked_on_its_days_only(ea, dated: Path) -> None:
    late = impacted(ea, "--at", "2027-11-01")
    assert late["phasing_out"] == ["crm"]
    table = ok(ea, "impact", "srv1", "--at", "2027-11-01")
    assert "[phase-out]" in table
    assert "phasing_out" not in impacted(ea, "--at", "2027-05-01")


def test_an_element_out_of_the_landscape_that_day_is_named_as_such(ea, dated: Path) -> None:
    early = ea("impact", "new-crm", "--at", "2026-12-01")
    assert (
        early.code == 2
        and "not in the landscape on 2026-12-01: it enters on 2027-03-01" in early.err
    )
    gone = ea("impact", "crm", "--at", "2028-02-01")
    assert gone.code == 2 and "it left on 2028-01-01" in gone.err
    plan = ea("impact", "idea")
    assert plan.code == 2 and "a plan with no lifecycle_phase_in date" in plan.err


def test_contradictory_dates_are_refused_like_any_invalid_value(ea, dated: Path) -> None:
    bad = ea(
        "add",
        "Application",
        "--id",
        "odd",
        "--set",
        "lifecycle_phase_in=2027-01-01",
        "--set",
        "lifecycle_end_of_life=2026-01-01",
    )
    assert bad.code == 2 and "out of order" in bad.err
    assert ea("show", "odd").code == 2


def test_obsolescence_at_a_day_sees_that_days_landscape(ea, dated: Path) -> None:
    ok(
        ea,
        "add",
        "SoftwareProduct",
        "--id",
        "win2012",
        "--set",
        "end_of_support=2023-10-10",
        "--set",
        "end_of_life=2023-10-10",
    )
    ok(ea, "link", "srv1", "instance_of", "win2012")
    before = json.loads(ok(ea, "obsolescence", "--at", "2026-12-01", "-f", "json"))
    after = json.loads(ok(ea, "obsolescence", "--at", "2028-02-01", "-f", "json"))
    assert {e["id"] for e in before["exposed"]} >= {"crm", "sales"}
    exposed = {e["id"] for e in after["exposed"]}
    assert "crm" not in exposed and "new-crm" in exposed
