"""Rows of a key-less CI export that share a key: exact copies kept once, the others as
``on_duplicate`` says, on the shape of a real ServiceNow list export (display values,
labels as headers, no sys_id, cells over several lines)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from ea_repo.errors import SourceError, WorkspaceError
from ea_repo.importers.base import ImportBatch
from ea_repo.importers.cmdb import CmdbImporter
from ea_repo.importers.mapping import mapping_from_text
from ea_repo.importers.presets import load_preset
from ea_repo.metamodel import Metamodel
from ea_repo.repository import Repository
from ea_repo.sources import make_spec, source_specs
from ea_repo.sync import record_digest

DATA = Path(__file__).parent.parent / "data" / "cmdb"
CI = DATA / "servicenow_list_no_sys_id.csv"
REL = DATA / "servicenow_rel_no_sys_id.csv"


def read(mm: Metamodel, ci: Path = CI, rel: Path | None = REL, **options: Any) -> ImportBatch:
    return CmdbImporter(load_preset("servicenow", mm), mm, **options).read(ci, rel)


def elements(batch: ImportBatch) -> dict[str, tuple[str, str, tuple[tuple[str, Any], ...]]]:
    """key -> (type, name, attributes in record order) of every element record."""
    return {
        r.key or "": (r.type, r.name or "", tuple(r.attrs.items()))
        for r in batch.records
        if r.kind == "element"
    }


def reversed_copy(source: Path, target: Path) -> Path:
    """The export with its records in the opposite order (a list sorted the other way)."""
    with source.open(newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    with target.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows([header, *reversed(rows)])
    return target


def test_a_key_less_list_export_imports_with_the_servicenow_preset(mm: Metamodel) -> None:
    batch = read(mm)
    assert batch.problems == []
    assert elements(batch) == {
        # two rows exactly alike: one element
        "PS LaserJet 4250|Device": ("Device", "PS LaserJet 4250", (
            ("device_kind", "other"), ("ip_address", "10.10.4.21"), ("manufacturer", "Hewlett-Packard"),
            ("model", "HP LaserJet 4250"), ("location", "San Diego"), ("description", "Second floor printer"))),
        # London once, San Diego twice: merged, the location most rows give
        "HP Color LaserJet|Device": ("Device", "HP Color LaserJet", (
            ("device_kind", "other"), ("manufacturer", "Hewlett-Packard"), ("location", "San Diego"))),
        # 9.1 and 9.0 once each: a tie goes to the value that sorts first
        "Adobe Acrobat 9 Pro|SoftwareProduct": ("SoftwareProduct", "Adobe Acrobat 9 Pro", (
            ("vendor", "Adobe"), ("version", "9.0"))),
        "Microsoft Office 2010|SoftwareProduct": ("SoftwareProduct", "Microsoft Office 2010", (
            ("vendor", "Microsoft"), ("version", "14.0"))),
        # an empty cell does not disagree: the manufacturer of the other row fills it
        "RACK-01|Equipment": ("Equipment", "RACK-01", (("category", "rack"), ("manufacturer", "APC"))),
        # the same name and class, two serial numbers: two laptops
        'MacBook Pro 17"|Device|C02FK1ABDF8Y': ("Device", 'MacBook Pro 17"', (
            ("device_kind", "workstation"), ("serial_number", "C02FK1ABDF8Y"), ("manufacturer", "Apple"),
            ("model", 'MacBook Pro 17"'), ("location", "London"))),
        'MacBook Pro 17"|Device|C02GL2BCDF8Y': ("Device", 'MacBook Pro 17"', (
            ("device_kind", "workstation"), ("serial_number", "C02GL2BCDF8Y"), ("manufacturer", "Apple"),
            ("model", 'MacBook Pro 17"'), ("location", "San Diego"))),
        # class "Service": business services, not skipped
        "SAP Financial Accounting|BusinessService": ("BusinessService", "SAP Financial Accounting", (
            ("description", "SAP Financial Accounting"),)),
        "PeopleSoft HRMS|BusinessService": ("BusinessService", "PeopleSoft HRMS", (
            ("description", "Human resources"),)),
        "Email|BusinessService": ("BusinessService", "Email", (("description", "Email for every employee"),)),
        "E-Commerce|BusinessService": ("BusinessService", "E-Commerce", (("description", "Online store"),)),
        "EXCH-SD-05|SystemSoftware": ("SystemSoftware", "EXCH-SD-05", (
            ("category", "middleware"), ("version", "2016"), ("description", "Exchange mailbox server"))),
        "mailsrv01|Server|VMware-56 4d 8a": ("Server", "mailsrv01", (
            ("ip_address", "10.10.2.5"), ("serial_number", "VMware-56 4d 8a"), ("manufacturer", "VMware, Inc."),
            ("location", "San Diego"), ("description", "Mail host"))),
        "San Diego Zone A|Facility": ("Facility", "San Diego Zone A", ()),
        "Room 101|Facility": ("Facility", "Room 101", ()),
        "Seagate ST3500|Equipment|5QM0ABCD": ("Equipment", "Seagate ST3500", (
            ("category", "disk"), ("serial_number", "5QM0ABCD"), ("manufacturer", "Seagate"))),
        "Intel(R) PRO/1000|Equipment": ("Equipment", "Intel(R) PRO/1000", (
            ("category", "network adapter"), ("manufacturer", "Intel"))),
        "Dell U2412M|Equipment|CN0ABC": ("Equipment", "Dell U2412M", (
            ("category", "peripheral"), ("serial_number", "CN0ABC"), ("manufacturer", "Dell"))),
    }  # fmt: skip
    relations = {
        (r.type, r.src.value if r.src else "", r.dst.value if r.dst else "")
        for r in batch.records
        if r.kind == "relation"
    }
    assert relations == {
        ("depends_on", "Email", "EXCH-SD-05"),
        ("runs_on", "EXCH-SD-05", "mailsrv01"),
        ("located_in", "San Diego Zone A", "Room 101"),
        ("located_in", "RACK-01", "San Diego Zone A"),
        ("depends_on", "E-Commerce", "HP Color LaserJet"),  # the merged printer: one name, one CI
    }
    assert [str(w) for w in batch.warnings] == [
        f"{CI}: skipped 1 row: Install Status is 'Retired'",
        # a class still unmapped is a note with its row count
        f"{CI}: skipped 2 rows: unmapped class 'IP Address'",
        f"{CI}: 4 rows repeating an earlier row (same key, class, name, values and links): kept once",
        f"{CI}: 3 rows sharing a key with an earlier row but differing: merged into one "
        "(on_duplicate: merge)",
        f"{CI}: 1 row with a location other than the one most rows of the same key give, "
        "which is kept (on_duplicate: merge)",
        f"{CI}: 1 row with a version other than the one most rows of the same key give, "
        "which is kept (on_duplicate: merge)",
    ]


@pytest.mark.parametrize(
    ("policy", "printer", "acrobat", "rack"),
    [
        # the first row of each key in the file, the others dropped
        ("first", "London", "9.1", ()),
        # the last row of each key in the file (an exact copy included)
        ("last", "San Diego", "9.0", (("manufacturer", "APC"),)),
    ],
)
def test_first_and_last_keep_one_row_in_file_order(
    mm: Metamodel, policy: str, printer: str, acrobat: str, rack: tuple[Any, ...]
) -> None:
    batch = read(mm, rel=None, on_duplicate=policy)
    assert batch.problems == []
    found = elements(batch)
    assert dict(found["HP Color LaserJet|Device"][2])["location"] == printer
    assert dict(found["Adobe Acrobat 9 Pro|SoftwareProduct"][2])["version"] == acrobat
    assert found["RACK-01|Equipment"][2] == (("category", "rack"), *rack)
    assert f"{CI}: 3 rows sharing a key with an earlier row but differing: the {policy} is kept " \
        f"(on_duplicate: {policy})" in [str(w) for w in batch.warnings]  # fmt: skip


def test_error_names_both_rows_what_differs_and_a_fix(mm: Metamodel) -> None:
    batch = read(mm, rel=None, on_duplicate="error")
    fix = (
        "the key is made of name + @type + serial_number (elements.key_fallback), which does not "
        "tell these rows apart: export 'sys_id', or say how such rows combine: --on-duplicate "
        "merge (or first, last), or on_duplicate: under elements in the mapping, or in the source "
        "in ea.yaml"
    )
    assert [str(p) for p in batch.problems] == [
        f"{CI}:5: duplicate key 'HP Color LaserJet|Device' at rows 4 and 5, which differ in "
        f"location — {fix}",
        f"{CI}:8: duplicate key 'Adobe Acrobat 9 Pro|SoftwareProduct' at rows 7 and 8, which "
        f"differ in version — {fix}",
        f"{CI}:12: duplicate key 'RACK-01|Equipment' at rows 11 and 12, which differ in "
        f"manufacturer — {fix}",
    ]
    # exact copies are never a problem, whatever the policy
    assert f"{CI}: 4 rows repeating an earlier row (same key, class, name, values and links): " \
        "kept once" in [str(w) for w in batch.warnings]  # fmt: skip


def test_merge_does_not_depend_on_the_order_of_the_rows(mm: Metamodel, tmp_path: Path) -> None:
    """An export sorted another way gives the same ids and the same digests under merge;
    under first, the winner follows the file's order."""
    resorted = reversed_copy(CI, tmp_path / "resorted.csv")

    def digests(batch: ImportBatch) -> dict[str, str]:
        return {r.key or "": record_digest("", r) for r in batch.records if r.kind == "element"}

    assert digests(read(mm, resorted, None)) == digests(read(mm, CI, None))
    first, first_resorted = (read(mm, f, None, on_duplicate="first") for f in (CI, resorted))
    assert set(digests(first)) == set(digests(first_resorted))  # the same ids...
    changed = {k for k, d in digests(first).items() if digests(first_resorted)[k] != d}
    # ...but the rows that differ give other values when the order changes
    assert changed == {
        "HP Color LaserJet|Device",
        "Adobe Acrobat 9 Pro|SoftwareProduct",
        "RACK-01|Equipment",
    }


def test_import_twice_and_resorted_changes_nothing(
    ea: Any, workspace: Path, tmp_path: Path
) -> None:
    first = ea("import", "cmdb", CI, REL, "--preset", "servicenow", "-f", "json")
    assert first.code == 0, first.err
    summary = json.loads(first.out)
    assert (summary["elements"]["added"], summary["relations"]["added"]) == (18, 5)
    resorted = reversed_copy(CI, tmp_path / "cmdb_ci.csv")
    for files in ((CI, REL), (resorted, REL)):
        again = ea("import", "cmdb", *files, "--preset", "servicenow", "-f", "json")
        assert again.code == 0, again.err
        counts = json.loads(again.out)
        for kind in ("elements", "relations"):
            assert {k: v for k, v in counts[kind].items() if k != "unchanged"} == {
                "added": 0, "changed": 0, "revived": 0, "missing": 0,
            }, (files, kind)  # fmt: skip
    with Repository.open(workspace) as repo:
        printer = repo.element("HP Color LaserJet|Device")
        assert printer.attrs["location"] == "San Diego"


def test_on_duplicate_from_the_command_line_and_the_source(
    ea: Any, workspace: Path, tmp_path: Path
) -> None:
    refused = ea("import", "cmdb", CI, "--preset", "servicenow", "--on-duplicate", "error")
    assert refused.code == 2
    assert "duplicate key 'HP Color LaserJet|Device' at rows 4 and 5" in refused.err
    with Repository.open(workspace) as repo:
        assert repo.stats().counts.elements == {}  # nothing written
    wrong = ea("import", "cmdb", CI, "--preset", "servicenow", "--on-duplicate", "newest")
    assert wrong.code == 2
    assert "on_duplicate 'newest' is not one of error, first, last, merge" in wrong.err
    config = workspace / "ea.yaml"
    config.write_text(
        config.read_text().replace(
            "sources: {}\n",
            f"sources:\n  cmdb:\n    importer: cmdb\n    preset: servicenow\n"
            f"    files: [{CI}]\n    on_duplicate: first\n",
        )
    )
    synced = ea("sync", "--json")
    assert synced.code == 0, synced.err
    with Repository.open(workspace) as repo:
        assert repo.element("HP Color LaserJet|Device").attrs["location"] == "London"


def test_on_duplicate_settings_are_checked(mm: Metamodel, tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="on_duplicate applies to cmdb sources only"):
        make_spec("flows", "flows", ["a.csv"], options={"on_duplicate": "merge"})
    with pytest.raises(WorkspaceError, match="on_duplicate 'keep' is not one of"):
        make_spec("cmdb", "cmdb", ["a.csv"], preset="servicenow", options={"on_duplicate": "keep"})
    with pytest.raises(SourceError) as err:
        mapping_from_text(
            "elements:\n  key: id\n  name: name\n  type: Server\n  on_duplicate: newest\n",
            "m.yaml",
            mm,
        )
    assert str(err.value.problems[0]).startswith(
        "m.yaml:5: elements.on_duplicate 'newest' is not one of error, first, last, merge"
    )
    root = tmp_path / "ws"
    from ea_repo.config import init_workspace, load_workspace

    init_workspace(root)
    config = root / "ea.yaml"
    config.write_text(
        config.read_text().replace(
            "sources: {}\n",
            "sources:\n  cmdb:\n    importer: cmdb\n    preset: itop\n    files: [a.csv]\n"
            "    on_duplicate: merge\n",
        )
    )
    (spec,) = source_specs(load_workspace(root, env={}))
    assert spec.options == {"on_duplicate": "merge"}
    config.write_text(config.read_text().replace("on_duplicate: merge", "on_duplicate: keep"))
    with pytest.raises(WorkspaceError) as wrong:
        source_specs(load_workspace(root, env={}))
    lines = config.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "on_duplicate:" in text)
    assert str(wrong.value) == (
        f"{config}:{line}: source 'cmdb': on_duplicate 'keep' is not one of error, first, last, "
        "merge"
    )
    assert load_preset("itop", mm).elements.on_duplicate == "error"  # type: ignore[union-attr]
    assert load_preset("servicenow", mm).elements.on_duplicate == "merge"  # type: ignore[union-attr]


def test_merge_takes_the_class_most_rows_give_and_only_their_values(
    mm: Metamodel, tmp_path: Path
) -> None:
    export = tmp_path / "cmdb_ci.csv"
    export.write_text(
        "sys_id,name,sys_class_name,ip_address,os\n"
        "a1,web01,cmdb_ci_vmware_instance,10.0.0.9,Linux\n"
        "a1,web01,cmdb_ci_linux_server,10.0.0.1,\n"
        "a1,web-01,cmdb_ci_linux_server,10.0.0.1,Red Hat\n",
        encoding="utf-8",
    )
    batch = read(mm, export, None)
    assert batch.problems == []
    # two rows say Server, one VirtualMachine: a Server, with the Servers' values only
    # (web01 and web-01 once each: the name that sorts first)
    assert elements(batch) == {
        "a1": ("Server", "web-01", (("ip_address", "10.0.0.1"), ("os", "Red Hat"))),
    }
    assert [str(w) for w in batch.warnings][-2:] == [
        f"{export}: 1 row with a class other than the one most rows of the same key give, "
        "which is kept (on_duplicate: merge)",
        f"{export}: 1 row with a name other than the one most rows of the same key give, "
        "which is kept (on_duplicate: merge)",
    ]


def test_rows_sharing_a_key_after_a_multi_line_cell_are_named_by_line_and_record(
    mm: Metamodel, tmp_path: Path
) -> None:
    ci = tmp_path / "cmdb_ci.csv"
    ci.write_text(
        '"Name","Class","Serial number","Location","Short description"\n'
        '"mail01","Server","S1","Paris","first line\nsecond line\nthird line"\n'
        '"web01","Server","S2","Paris",""\n'
        '"web01","Server","S2","Lyon",""\n'
    )
    (problem,) = read(mm, ci, rel=None, on_duplicate="error").problems
    assert str(problem).startswith(
        f"{ci}:6 (record 4): duplicate key 'web01|Server|S2' at rows 5 (record 3) "
        "and 6 (record 4), which differ in location"
    )
