"""An ambiguous name lists every element bearing it with what tells them apart: laptops of
one model name, imported from a ServiceNow list export, where the command line asks for one."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from ea_repo.errors import NotFoundError
from ea_repo.repository import Repository

NAME = 'MacBook Pro 17"'
SITES = ("London", "San Diego", "Paris")


@pytest.fixture
def laptops(ea: Any, workspace: Path, tmp_path: Path) -> Path:
    """60 laptops of one name in a list export (labels as headers, display values), and one
    more added by hand: 61 namesakes."""
    export = tmp_path / "cmdb_ci.csv"
    with export.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, quoting=csv.QUOTE_ALL)
        out.writerow(["Name", "Class", "Serial number", "Location", "Manufacturer", "Model ID"])
        for n in range(60):
            out.writerow([NAME, "Computer", f"C02F{n:04d}", SITES[n % 3], "Apple", NAME])
    assert ea("import", "cmdb", export, "--preset", "servicenow", "--source", "snow").code == 0
    added = ea("add", "Device", "--id", "mbp-spare", "--name", NAME, "--set", "location=Lyon")
    assert added.code == 0, added.err
    return workspace


def test_the_error_lists_the_namesakes_with_what_tells_them_apart(laptops: Path) -> None:
    with Repository.open(laptops) as repo, pytest.raises(NotFoundError) as info:
        repo.resolve(NAME)
    err = info.value
    assert err.message == f"61 elements are named {NAME!r}"
    lines = [str(p) for p in err.problems]
    assert len(lines) == 61  # every one of them, ordered by id
    assert lines[0] == (
        # the serial number tells all 61 apart, the location 4 groups: most telling first
        f"{NAME}|Device|C02F0000 (Device): serial_number=C02F0000, location=London, "
        "source=snow, device_kind=workstation, manufacturer=Apple"
    )
    assert lines[-1] == (
        "mbp-spare (Device): serial_number=(none), location=Lyon, source=manual, "
        "device_kind=(none), manufacturer=(none)"
    )
    assert err.hint == "use one of these ids instead of the name (`ea show ID` shows one in full)"


def test_the_command_line_prints_the_first_candidates_and_counts_the_rest(
    ea: Any, laptops: Path
) -> None:
    # a name with a quote in it is not a selector: the namesakes, not a syntax error
    result = ea("impact", NAME)
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0] == f"error: 61 elements are named {NAME!r}"
    assert lines[1] == (
        f"  {NAME}|Device|C02F0000 (Device): serial_number=C02F0000, location=London, "
        "source=snow, device_kind=workstation, manufacturer=Apple"
    )
    assert lines[2].startswith(
        f"  {NAME}|Device|C02F0001 (Device): serial_number=C02F0001, location=San Diego, "
    )
    assert lines[-2] == "  ... and 11 more"
    assert lines[-1].startswith("hint: use one of these ids")
    shown = ea("show", f"{NAME}|Device|C02F0001")
    assert shown.code == 0 and "San Diego" in shown.out
