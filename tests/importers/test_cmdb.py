"""CmdbImporter on real-shaped exports: ServiceNow (list CSV, table names, JSON, XLSX), iTop,
a French Excel inventory, and every way a file or a row can be wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ea_repo.errors import SourceError
from ea_repo.importers.base import ImportBatch
from ea_repo.importers.cmdb import CmdbImporter
from ea_repo.importers.mapping import load_mapping, mapping_from_text
from ea_repo.importers.presets import load_preset
from ea_repo.importers.tabular import read_table
from ea_repo.metamodel import Metamodel, load_metamodel

DATA = Path(__file__).parent.parent / "data" / "cmdb"


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel()


def importer(mm: Metamodel, preset_or_file: str) -> CmdbImporter:
    if preset_or_file.endswith(".yaml"):
        return CmdbImporter(load_mapping(DATA / preset_or_file, mm), mm)
    return CmdbImporter(load_preset(preset_or_file, mm), mm)


def elements(batch: ImportBatch) -> set[tuple[Any, ...]]:
    """(type, key, name, attrs, row) of every element record."""
    return {
        (r.type, r.key, r.name, tuple(sorted(r.attrs.items())), r.origin.row if r.origin else None)
        for r in batch.records
        if r.kind == "element"
    }


def relations(batch: ImportBatch) -> set[tuple[Any, ...]]:
    """(type, src, dst, file name, row) of every relation record; ends as by:value[:type]."""

    def end(ref: Any) -> str:
        return f"{ref.by}:{ref.value}" + (f":{ref.type}" if ref.type else "")

    return {
        (r.type, end(r.src), end(r.dst), Path(r.origin.file).name, r.origin.row)
        for r in batch.records
        if r.kind == "relation" and r.origin is not None
    }


def texts(problems: list[Any]) -> list[str]:
    return [str(p) for p in problems]


# ------------------------------------------------------------------ ServiceNow


def test_servicenow_list_export_with_labels_and_duplicated_names(mm: Metamodel) -> None:
    ci = DATA / "servicenow_cmdb_ci_list.csv"
    rel = DATA / "servicenow_cmdb_rel_ci.csv"
    batch = importer(mm, "servicenow").read(ci, rel)
    assert batch.problems == []
    assert batch.source_files == [str(ci), str(rel)]
    # No sys_id: the key is name|type|serial_number, so the two "web01" and the
    # two "CRM" (an application and its database) stay apart.
    assert elements(batch) == {
        (
            "Server", "web01|Server|VMware-42 1a 7c 3e", "web01",
            (("cpu_count", 4), ("description", "Front web server"), ("environment", "production"),
             ("hostname", "web01.retail.example"), ("ip_address", "10.20.1.11"),
             ("location", "Paris DC1"), ("manufacturer", "VMware, Inc."), ("memory_gb", 16.0),
             ("model", "VMware Virtual Platform"), ("os", "Linux Red Hat"), ("os_version", "8.6"),
             ("owner", "Jean Dupont"), ("serial_number", "VMware-42 1a 7c 3e")),
            2,
        ),
        (
            "Server", "web01|Server|CZ3841XYZ", "web01",
            (("cpu_count", 2), ("description", "Store back office (same name, other server)"),
             ("environment", "test"), ("hostname", "web01.stores.example"),
             ("ip_address", "10.20.1.12"), ("location", "Lyon DC2"), ("manufacturer", "HPE"),
             ("memory_gb", 3.58), ("model", "ProLiant DL360 Gen9"), ("os", "Windows 2016 Standard"),
             ("os_version", "10.0.14393"), ("serial_number", "CZ3841XYZ")),
            3,
        ),
        (
            "Server", "db01|Server|CZJ1234ABC", "db01",
            (("cpu_count", 16), ("description", "Oracle host"), ("environment", "production"),
             ("hostname", "db01.retail.example"), ("ip_address", "10.20.1.21"),
             ("location", "Paris DC1"), ("manufacturer", "Dell Inc."), ("memory_gb", 128.0),
             ("model", "PowerEdge R740"), ("os", "Linux Red Hat"), ("os_version", "7.9"),
             ("serial_number", "CZJ1234ABC")),
            4,
        ),
        (
            "Application", "CRM|Application", "CRM",
            (("criticality", "critical"), ("description", "Customer relationship management"),
             ("owner", "Marie Curie")),
            5,
        ),
        ("Database", "CRM|Database", "CRM", (("description", "CRM schema"), ("environment", "production")), 6),
        ("Application", "Loyalty|Application", "Loyalty", (("criticality", "medium"), ("description", "Loyalty programme")), 7),
        (
            "SystemSoftware", "ORCL01|SystemSoftware", "ORCL01",
            (("category", "database"), ("environment", "production"), ("product", "Oracle Database")),
            8,
        ),
        (
            "Server", "esx01|Server|SGH123X45", "esx01",
            (("cpu_count", 48), ("environment", "production"), ("hostname", "esx01.retail.example"),
             ("ip_address", "10.20.0.5"), ("location", "Paris DC1"), ("manufacturer", "HPE"),
             ("memory_gb", 512.0), ("model", "Synergy 480 Gen10"), ("serial_number", "SGH123X45")),
            9,
        ),
        (
            "VirtualMachine", "web02|VirtualMachine", "web02",
            # used_for "Demonstration" maps to nothing: environment left unset
            (("cpu_count", 2), ("hypervisor", "VMware"), ("ip_address", "10.20.1.13"), ("memory_gb", 8.0)),
            10,
        ),
        ("Cluster", "VMW-CL01|Cluster", "VMW-CL01", (("description", "vSphere cluster, Paris"),), 11),
        ("Datacenter", "PAR-DC1|Datacenter", "PAR-DC1", (("description", "Paris datacenter"),), 12),
        (
            "Device", "ws-0042|Device|5CG1234XYZ", "ws-0042",
            (("cpu_count", 8), ("device_kind", "workstation"), ("ip_address", "10.30.4.42"),
             ("location", "Paris HQ"), ("manufacturer", "HP"), ("memory_gb", 16.0),
             ("model", "EliteBook 840 G7"), ("os", "Windows 10 Enterprise"),
             ("serial_number", "5CG1234XYZ")),
            13,
        ),
        # a network adapter is a part of a computer: Equipment, not skipped
        ("Equipment", "eth0|Equipment", "eth0", (("category", "network adapter"),), 16),
    }  # fmt: skip
    rel_file = rel.name
    assert relations(batch) == {
        ("runs_on", "name:CRM", "name:web02", rel_file, 2),
        ("depends_on", "name:CRM", "name:ORCL01", rel_file, 3),
        ("runs_on", "name:ORCL01", "name:db01", rel_file, 4),
        ("hosted_on", "name:web02", "name:esx01", rel_file, 5),
        # web01 is a Server, which hosted_on cannot start from: the generic type
        ("depends_on", "name:web01", "name:esx01", rel_file, 6),
        # "PAR-DC1 Contains esx01": the server is located in the datacenter
        ("located_in", "name:esx01", "name:PAR-DC1", rel_file, 7),
        # "VMW-CL01 Members esx01": the server is a member of the cluster
        ("member_of", "name:esx01", "name:VMW-CL01", rel_file, 8),
        # "CRM" is an application and a database, and a database sends no flow:
        # the receiver depends on the sender instead
        ("depends_on", "name:Loyalty", "name:CRM", rel_file, 9),
        # not in the CI export: passed on by name, the sync engine reports it;
        # with its type unknown, the last (most generic) type is used
        ("depends_on", "name:CRM", "name:ghost-server", rel_file, 13),
    }
    assert batch.skipped == {
        "install_status is 'Retired'": 1,
        "unmapped class 'IP Address'": 1,
        "relationship to a CI skipped in this import": 1,  # CRM -> oldbox (retired)
        "unmapped relationship type 'Owns::Owned by'": 1,
        "repeated relationship": 1,
    }
    assert texts(batch.warnings) == [
        f"{ci}: skipped 1 row: install_status is 'Retired'",
        f"{ci}: skipped 1 row: unmapped class 'IP Address'",
        f"{rel}: skipped 1 row: relationship to a CI skipped in this import",
        f"{rel}: skipped 1 row: repeated relationship",
        f"{rel}: skipped 1 row: unmapped relationship type 'Owns::Owned by'",
    ]


def test_servicenow_table_names_and_sys_ids(mm: Metamodel) -> None:
    ci = DATA / "servicenow_cmdb_ci_server.csv"
    rel = DATA / "servicenow_cmdb_rel_ci_ids.csv"
    batch = importer(mm, "servicenow").read(ci, rel)
    assert batch.problems == []
    assert elements(batch) == {
        ("Server", "3a1f0c2e1b2c4d5e6f708192a3b4c5d6", "web01",
         (("cpu_count", 4), ("environment", "production"), ("hostname", "web01"),
          ("ip_address", "10.20.1.11"), ("memory_gb", 16.0), ("serial_number", "VMware-42 1a 7c 3e")), 2),
        ("Server", "7b2e1d3f4a5b6c7d8e9f0a1b2c3d4e5f", "web01",
         (("cpu_count", 2), ("environment", "test"), ("hostname", "web01"),
          ("ip_address", "10.20.1.12"), ("memory_gb", 3.58), ("serial_number", "CZ3841XYZ")), 3),
        # an empty sys_id falls back to the composite key
        ("Server", "db01|Server|CZJ1234ABC", "db01",
         (("cpu_count", 16), ("environment", "production"), ("hostname", "db01"),
          ("ip_address", "10.20.1.21"), ("memory_gb", 128.0), ("serial_number", "CZJ1234ABC")), 4),
        # Application declares no environment: used_for is not imported for it
        ("Application", "9c3f2e4a5b6c7d8e9f0a1b2c3d4e5f60", "sap-prd", (), 5),
    }  # fmt: skip
    assert relations(batch) == {
        # ids win over names; the child's class narrows a reference by name
        (
            "runs_on",
            "id:9c3f2e4a5b6c7d8e9f0a1b2c3d4e5f60",
            "id:7b2e1d3f4a5b6c7d8e9f0a1b2c3d4e5f:Server",
            rel.name,
            2,
        ),
        ("depends_on", "id:9c3f2e4a5b6c7d8e9f0a1b2c3d4e5f60", "name:db01:Server", rel.name, 3),
    }
    assert batch.skipped == {}
    assert batch.warnings == []


def test_servicenow_json_exports(mm: Metamodel) -> None:
    ci = DATA / "servicenow_cmdb_ci.json"
    rel = DATA / "servicenow_cmdb_rel_ci.json"
    batch = importer(mm, "servicenow").read(ci, rel)
    assert elements(batch) == {
        ("Server", "0c43a5e9c0a8016401b9c5d5fd0a5ab2", "app-lnx-01",
         (("cpu_count", 8), ("environment", "production"), ("hostname", "app-lnx-01.example.com"),
          ("ip_address", "10.40.0.11"), ("location", "Lyon DC2"), ("memory_gb", 32.0),
          ("os", "Linux Red Hat"), ("os_version", "9.2"), ("serial_number", "VMware-56 4d")), 1),
        ("Application", "27d3f35cc0a8000b001df42d019a418f", "Payroll",
         (("criticality", "high"), ("vendor", "Acme Software"), ("version", "2.4")), 3),
        # used_for "Training" has no environment: left unset
        ("SystemSoftware", "b4fd7c8437201000deeabfc8bcbe5dc1", "SQLPRD01",
         (("category", "database"), ("product", "Microsoft SQL Server"), ("version", "15.0.2000")), 5),
    }  # fmt: skip
    assert relations(batch) == {
        ("runs_on", "id:27d3f35cc0a8000b001df42d019a418f", "id:0c43a5e9c0a8016401b9c5d5fd0a5ab2", rel.name, 1),
        ("depends_on", "id:27d3f35cc0a8000b001df42d019a418f", "id:b4fd7c8437201000deeabfc8bcbe5dc1", rel.name, 2),
    }  # fmt: skip
    # the raw code 7 (Retired) is skipped, and so is the relationship to it
    assert batch.skipped == {
        "install_status is '7'": 1,
        "relationship to a CI skipped in this import": 1,
    }
    assert texts(batch.problems) == [f"{ci}:4: item 4 is not an object — each item must be {{...}}"]


def test_servicenow_excel_export(mm: Metamodel, tmp_path: Path) -> None:
    """An Excel export: labels as headers, numbers and dates as typed cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Sys ID", "Name", "Class", "Install Status", "CPU count", "RAM (MB)",
               "Operating System", "Serial number", "Used for", "Updated"])  # fmt: skip
    ws.append(["", "web01", "Linux Server", "Installed", 4, 16384.0, "Linux Red Hat", "SN-1",
               "Production", dt.datetime(2024, 5, 16, 12, 40, 57)])  # fmt: skip
    ws.append(["0c43a5e9c0a8016401b9c5d5fd0a5ab9", "web09", "Linux Server", "Absent", 2, 2048, "", "",
               "", None])  # fmt: skip
    path = tmp_path / "cmdb_ci.xlsx"
    wb.save(path)
    batch = importer(mm, "servicenow").read(path)
    assert batch.problems == []
    assert elements(batch) == {
        ("Server", "web01|Server|SN-1", "web01",
         (("cpu_count", 4), ("environment", "production"), ("memory_gb", 16.0),
          ("os", "Linux Red Hat"), ("serial_number", "SN-1")), 2),
    }  # fmt: skip
    assert batch.skipped == {"Install Status is 'Absent'": 1}


# ------------------------------------------------------------------------ iTop


def test_itop_functional_cis_and_links(mm: Metamodel) -> None:
    ci = DATA / "itop_functionalci.csv"
    rel = DATA / "itop_lnkapplicationsolutiontofunctionalci.csv"
    batch = importer(mm, "itop").read(ci, rel)
    assert batch.problems == []
    org = ("owner", "Retail Group")
    assert elements(batch) == {
        ("Server", "itop-1", "SRV-PAR-01",
         (("description", "Oracle host"), ("ip_address", "10.50.0.1"),
          ("lifecycle_active", "2019-03-01"), ("location", "Paris DC1"),
          ("manufacturer", "Dell"), ("model", "PowerEdge R740"),
          ("os", "Red Hat Enterprise Linux"), ("os_version", "RHEL 7.9"), org,
          ("serial_number", "CZJ0001")), 2),
        ("Server", "itop-2", "HYP-PAR-01", (org,), 3),
        ("Server", "itop-3", "SRV-PAR-02",
         (("description", "ESX host"), ("ip_address", "10.50.0.2"), ("location", "Paris DC1"),
          ("manufacturer", "HPE"), ("model", "Synergy 480 Gen10"), ("os", "VMware ESXi"),
          ("os_version", "7.0"), org, ("serial_number", "CZJ0002")), 4),
        ("Cluster", "itop-5", "FARM-PAR", (org,), 5),
        ("VirtualMachine", "itop-10", "VM-CRM-01",
         (("ip_address", "10.50.1.10"), ("os", "Windows"), ("os_version", "Windows Server 2019"), org), 6),
        ("SystemSoftware", "itop-20", "ORA-PAR-01",
         (("category", "database"), org, ("product", "Oracle 19c")), 8),
        ("Database", "itop-21", "CRMDB", (org,), 9),
        ("Application", "itop-30", "CRM",
         (("criticality", "high"), ("description", "Customer relationship management"),
          ("go_live_date", "2018-09-15"), ("lifecycle_active", "2018-09-15"), org), 10),
        ("BusinessProcess", "itop-31", "Order to cash", (("criticality", "medium"), org), 11),
        ("Device", "itop-40", "SW-CORE-01",
         (("device_kind", "network"), ("ip_address", "10.50.255.1"), ("location", "Paris DC1"),
          ("manufacturer", "Cisco"), ("model", "Nexus 9300"), org), 12),
        ("Equipment", "itop-50", "PWR-A", (("category", "power"), org), 14),
        # a telephone of iTop's standard classes: a device, not skipped
        ("Device", "itop-60", "+33 1 23 45 67 89", (("device_kind", "other"), org), 15),
    }  # fmt: skip
    assert relations(batch) == {
        # external keys of the CI rows
        ("member_of", "id:itop-2", "id:itop-5", ci.name, 3),
        ("depends_on", "id:itop-2", "id:itop-3", ci.name, 3),
        ("hosted_on", "id:itop-10", "id:itop-5", ci.name, 6),
        ("runs_on", "id:itop-20", "id:itop-1", ci.name, 8),
        ("runs_on", "id:itop-21", "id:itop-20", ci.name, 9),
        # lnkApplicationSolutionToFunctionalCI, the type chosen by the CI's type
        ("runs_on", "id:itop-30", "id:itop-10", rel.name, 2),
        ("uses", "id:itop-30", "id:itop-21", rel.name, 3),
        ("runs_on", "id:itop-30", "id:itop-20", rel.name, 4),
        ("depends_on", "id:itop-30", "id:itop-99", rel.name, 6),
    }
    assert batch.skipped == {
        "status is 'obsolete'": 1,
        "status is 'inactive'": 1,
        "relationship to a CI skipped in this import": 1,
    }


def test_itop_link_file_is_recognised_by_its_columns(mm: Metamodel) -> None:
    rel = DATA / "itop_lnkapplicationsolutiontobusinessprocess.csv"
    batch = importer(mm, "itop").read(rel_file=rel)
    assert relations(batch) == {("serves", "id:itop-30", "id:itop-31", rel.name, 2)}
    assert batch.problems == []


def test_itop_zero_means_no_reference(mm: Metamodel, tmp_path: Path) -> None:
    path = tmp_path / "vms.csv"
    path.write_text(
        "id,name,finalclass,status,virtualhost_id,virtualhost_name\n"
        "10,VM-A,VirtualMachine,production,0,\n"
        "11,VM-B,VirtualMachine,production,0,FARM-PAR\n",
        "utf-8",
    )
    batch = importer(mm, "itop").read(path)
    assert relations(batch) == {("hosted_on", "id:itop-11", "name:FARM-PAR", "vms.csv", 3)}


# ---------------------------------------------------------- French Excel export


def test_french_excel_inventory(mm: Metamodel) -> None:
    ci = DATA / "inventaire_excel_fr.csv"
    batch = importer(mm, "mapping_fr.yaml").read(ci)
    assert batch.problems == []
    assert elements(batch) == {
        ("Server", "SRV-0001", "Serveur Comptabilité",
         (("end_of_support", "2023-10-14"), ("environment", "production"), ("ip_address", "10.1.2.3"),
          ("memory_gb", 12.5), ("os", "Windows Server 2012 R2"), ("owner", "Équipe Systèmes")), 2),
        ("Server", "SRV-0002", "Entrepôt – base WMS",
         (("end_of_support", "2026-04-30"), ("environment", "preproduction"), ("ip_address", "10.1.2.4"),
          ("memory_gb", 1024), ("os", "AIX 7.1"), ("owner", "Équipe Systèmes")), 3),
        ("VirtualMachine", "VM-0107", "Caisse – préprod",
         (("end_of_support", "2029-05-31"), ("environment", "development"), ("ip_address", "10.1.9.7"),
          ("memory_gb", 8), ("os", "Red Hat Enterprise Linux 8")), 5),
        ("Application", "APP-017", "Entrepôt – Gestion des stocks", (("owner", "Direction Logistique"),), 6),
    }  # fmt: skip
    assert batch.skipped == {"Statut is 'Décommissionné'": 1}


# ------------------------------------------------------------------- failures


def test_duplicate_composite_keys_name_both_rows_and_a_fix(mm: Metamodel) -> None:
    ci = DATA / "broken_duplicates.csv"
    batch = CmdbImporter(load_preset("servicenow", mm), mm, on_duplicate="error").read(ci)
    hint = (
        "the key is made of name + @type + serial_number (elements.key_fallback), which does "
        "not tell these rows apart: export 'sys_id', or say how such rows combine: "
        "--on-duplicate merge (or first, last), or on_duplicate: under elements in the mapping, "
        "or in the source in ea.yaml"
    )
    rows = "which differ in ip_address"
    assert texts(batch.problems) == [
        f"{ci}:4: duplicate key 'web01|Server' at rows 2 and 4, {rows} — {hint}",
        f"{ci}:5: duplicate key 'db01|Server|CZJ1234ABC' at rows 3 and 5, {rows} — {hint}",
        # a Windows server of the same name is still a Server: ambiguous too
        f"{ci}:6: duplicate key 'web01|Server' at rows 2 and 6, {rows} — {hint}",
        f"{ci}:7: duplicate key 'web01|Server' at rows 2 and 7, {rows} — {hint}",
    ]
    # the fix the hint names works: the preset's own policy reads the same file
    merged = importer(mm, "servicenow").read(ci)
    assert merged.problems == []
    assert elements(merged) == {
        # three addresses once each: a tie, the one that sorts first is kept
        ("Server", "web01|Server", "web01", (("ip_address", "10.20.1.11"),), 2),
        ("Server", "db01|Server|CZJ1234ABC", "db01",
         (("ip_address", "10.20.1.21"), ("serial_number", "CZJ1234ABC")), 3),
    }  # fmt: skip


def test_strict_mapping_row_problems(mm: Metamodel) -> None:
    ci = DATA / "strict_cmdb_ci.csv"
    rel = DATA / "strict_cmdb_rel_ci.csv"
    batch = importer(mm, "strict_mapping.yaml").read(ci, rel)
    assert texts(batch.problems) == [
        f"{ci}:4: unknown class 'cmdb_ci_quantum_computer' — map it under elements.type.map, "
        "or set skip_unmapped: true",
        f"{ci}:5: duplicate key '3a1f0c2e1b2c4d5e6f708192a3b4c5d6' at rows 2 and 5, which differ "
        "in name, ip_address — two rows have the same 'sys_id': keep one of them in the export, "
        "or say how such rows combine: --on-duplicate merge (or first, last), or on_duplicate: "
        "under elements in the mapping, or in the source in ea.yaml",
        f"{ci}:6: empty key: 'sys_id' has no value — every CI needs an id; "
        "or set elements.key_fallback to build one from other columns",
        f"{rel}:3: unknown relationship type 'Feeds::Fed by' — map it under relations.type.map, "
        "or set skip_unmapped: true under relations",
        f"{rel}:5: no parent: 'parent.sys_id' is empty — a relationship row needs its parent CI",
    ]
    assert elements(batch) == {
        ("Server", "3a1f0c2e1b2c4d5e6f708192a3b4c5d6", "web01", (("ip_address", "10.20.1.11"),), 2),
        ("Application", "9c3f2e4a5b6c7d8e9f0a1b2c3d4e5f60", "sap-prd", (), 3),
    }
    assert relations(batch) == {
        ("runs_on", "id:9c3f2e4a5b6c7d8e9f0a1b2c3d4e5f60", "id:3a1f0c2e1b2c4d5e6f708192a3b4c5d6", rel.name, 2),
        # a dangling end by id: the sync engine reports "no element with id ..."
        ("depends_on", "id:9c3f2e4a5b6c7d8e9f0a1b2c3d4e5f60", "id:ffffffffffffffffffffffffffffffff", rel.name, 4),
    }  # fmt: skip
    assert batch.skipped == {}


def test_bad_values_are_row_problems(mm: Metamodel) -> None:
    ci = DATA / "broken_bad_values.csv"
    batch = importer(mm, "servicenow").read(ci)
    number_hint = "numbers may use thousands separators (3,665 or 1 234,5); set decimal_comma for French exports"
    assert texts(batch.problems) == [
        f"{ci}:2: column 'cpu_count': cannot read 'four' as a number (attribute cpu_count) — {number_hint}",
        f"{ci}:3: no class: 'sys_class_name' is empty — every CI row needs its class, to know its element type",
        f"{ci}:4: column 'ram': cannot read '16 GB' as a number (attribute memory_gb) — {number_hint}",
    ]
    # the rows keep their other attributes, so the sync engine can report on them too
    assert elements(batch) == {
        ("Server", "3a1f0c2e1b2c4d5e6f708192a3b4c5d6", "web01", (("memory_gb", 16.0),), 2),
        ("Server", "9c3f2e4a5b6c7d8e9f0a1b2c3d4e5f60", "web03", (("cpu_count", 2),), 4),
    }


def test_transform_tables_already_read(mm: Metamodel) -> None:
    snow = importer(mm, "servicenow")
    ci, rel = DATA / "servicenow_cmdb_ci_list.csv", DATA / "servicenow_cmdb_rel_ci.csv"
    batch = snow.transform(read_table(ci), read_table(rel))
    again = snow.read(ci, rel)
    assert batch.records == again.records
    assert batch.skipped == again.skipped
    with pytest.raises(SourceError, match="the mapping has no `relations` section"):
        importer(mm, "mapping_fr.yaml").transform(None, read_table(rel))


def test_too_many_cells_reach_the_batch(mm: Metamodel) -> None:
    ci = DATA / "broken_too_many_cells.csv"
    batch = importer(mm, "servicenow").read(ci)
    assert texts(batch.problems) == [
        f"{ci}:3: row has 5 cells but the header has 4 columns; row ignored — "
        "a value probably contains the delimiter ';' without quotes"
    ]
    assert {r.key for r in batch.records} == {"web01|Server", "web03|Server"}


@pytest.mark.parametrize(
    ("mapping", "file", "message", "hint"),
    [
        (
            "strict_mapping.yaml",
            "strict_missing_key.csv",
            "{file}: missing the key column 'sys_id' (elements.key in {mapping})",
            "columns found: name, sys_class_name, ip_address; add it to the export, "
            "or set elements.key_fallback",
        ),
        (
            "servicenow",
            "broken_missing_name.csv",
            "{file}: missing the name column 'name' (elements.name in <preset servicenow.yaml>)",
            "columns found: sys_id, hostname, sys_class_name",
        ),
        (
            "servicenow",
            "broken_missing_class.csv",
            "{file}: missing the class column 'sys_class_name' or 'class' "
            "(elements.type in <preset servicenow.yaml>)",
            "columns found: sys_id, name, install_status",
        ),
    ],
)
def test_missing_required_columns(
    mm: Metamodel, mapping: str, file: str, message: str, hint: str
) -> None:
    path = DATA / file
    with pytest.raises(SourceError) as err:
        importer(mm, mapping).read(path)
    assert str(err.value) == message.format(file=path, mapping=DATA / mapping)
    assert err.value.hint == hint


def test_a_ci_export_is_not_a_relationship_export(mm: Metamodel) -> None:
    path = DATA / "strict_cmdb_ci.csv"
    with pytest.raises(SourceError) as err:
        importer(mm, "strict_mapping.yaml").read(rel_file=path)
    assert str(err.value) == (
        f"{path}: missing columns of a relationship export: expected 'parent.sys_id', "
        f"'type', 'child.sys_id' (relations in {DATA / 'strict_mapping.yaml'})"
    )
    assert err.value.hint == "columns found: sys_id, name, sys_class_name, ip_address"


def test_undecodable_export_is_a_source_error(mm: Metamodel) -> None:
    with pytest.raises(SourceError, match=r"broken_undecodable\.csv: cannot decode"):
        importer(mm, "servicenow").read(DATA / "broken_undecodable.csv")


def test_nothing_or_the_wrong_section(mm: Metamodel) -> None:
    with pytest.raises(SourceError, match="nothing to import"):
        importer(mm, "servicenow").read()
    only_elements = CmdbImporter(load_mapping(DATA / "mapping_fr.yaml", mm), mm)
    with pytest.raises(SourceError, match="the mapping has no `relations` section"):
        only_elements.read(DATA / "inventaire_excel_fr.csv", DATA / "servicenow_cmdb_rel_ci.csv")


def test_relationship_only_mapping_reads_its_one_file_as_relationships(mm: Metamodel) -> None:
    mapping = mapping_from_text(
        "relations:\n  parent: parent\n  child: child\n"
        "  type: {column: type, map: {'Runs on::Runs': runs_on, '*': depends_on}}\n",
        "rels.yaml",
        mm,
    )
    rel = DATA / "servicenow_cmdb_rel_ci.csv"
    batch = CmdbImporter(mapping, mm).read(rel)
    # without the CI export, nothing is known to be skipped: only the repeated row goes
    assert relations(batch) == {
        ("runs_on", "name:CRM", "name:web02", rel.name, 2),
        ("depends_on", "name:CRM", "name:ORCL01", rel.name, 3),
        ("runs_on", "name:ORCL01", "name:db01", rel.name, 4),
        ("depends_on", "name:web02", "name:esx01", rel.name, 5),
        ("depends_on", "name:web01", "name:esx01", rel.name, 6),
        ("depends_on", "name:PAR-DC1", "name:esx01", rel.name, 7),
        ("depends_on", "name:VMW-CL01", "name:esx01", rel.name, 8),
        ("depends_on", "name:CRM", "name:Loyalty", rel.name, 9),
        ("depends_on", "name:CRM", "name:oldbox", rel.name, 10),
        ("depends_on", "name:web02", "name:eth0", rel.name, 11),
        ("runs_on", "name:CRM", "name:ghost-server", rel.name, 13),
    }
    assert batch.skipped == {"repeated relationship": 1}


def test_rows_without_a_name_use_their_key(mm: Metamodel, tmp_path: Path) -> None:
    path = tmp_path / "cis.csv"
    path.write_text("sys_id,name,sys_class_name\nabc,,cmdb_ci_linux_server\n", "utf-8")
    batch = importer(mm, "servicenow").read(path)
    assert elements(batch) == {("Server", "abc", "abc", (), 2)}
    assert texts(batch.warnings) == [f"{path}: 1 row without a name: the key is used as the name"]


def test_batches_add_up(mm: Metamodel) -> None:
    snow = importer(mm, "servicenow")
    batch = snow.read(DATA / "servicenow_cmdb_ci_list.csv")
    other = snow.read(DATA / "servicenow_cmdb_ci.json")
    total = len(batch.records) + len(other.records)
    batch.extend(other)
    assert len(batch.records) == total
    assert batch.skipped["install_status is '7'"] == 1
    assert batch.skipped["install_status is 'Retired'"] == 1
    assert len(batch.warnings) == 3


def test_a_short_row_is_a_problem_unless_the_mapping_pads(mm: Metamodel) -> None:
    ci = DATA / "broken_short_row.csv"
    batch = importer(mm, "servicenow").read(ci)
    assert [(p.line, p.record) for p in batch.problems] == [(5, 3)]
    assert "row has 6 cells but the header has 8 columns" in batch.problems[0].message
    assert {r.name for r in batch.records} == {"web01", "db01"}
    padding = mapping_from_text(
        "short_rows: pad\nelements: {key: sys_id, name: name, type: Server, "
        "attributes: {location: location, description: short_description}}\n",
        "pad.yaml",
        mm,
    )
    padded = CmdbImporter(padding, mm).read(ci)
    assert padded.problems == []
    web02 = next(r for r in padded.records if r.name == "web02")
    assert web02.attrs == {"location": "Saint-Denis - DC Paris Nord"}
    # the reading option given to read() wins over the mapping's
    assert CmdbImporter(padding, mm).read(ci, short_rows="error").problems != []


def test_rows_after_multi_line_cells_are_named_by_line_and_record(mm: Metamodel) -> None:
    ci = DATA / "servicenow_multiline_cells.csv"
    batch = importer(mm, "servicenow").read(ci)
    assert batch.problems == []
    assert [(r.name, str(r.origin)) for r in batch.records] == [
        ("web01", f"{ci}:2"),
        ("web02", f"{ci}:5 (record 3)"),
        ("db01", f"{ci}:7 (record 4)"),
    ]


def test_servicenow_install_dates_put_cis_in_the_landscape_from_that_day(
    mm: Metamodel, workspace: Path
) -> None:
    from ea_repo import Repository
    from ea_repo.model import CURRENT
    from ea_repo.sync import SyncEngine

    ci = DATA / "servicenow_cmdb_ci_installed.csv"
    rel = DATA / "servicenow_cmdb_rel_ci_installed.csv"
    batch = importer(mm, "servicenow").read(ci, rel)
    assert batch.problems == []
    installed = {r.name: r.attrs.get("lifecycle_phase_in") for r in batch.records if r.name}
    # The day of "2018-10-02 07:00:00"; no install date, no bound.
    assert installed == {
        "ThinkStation S20": "2018-10-02",
        "lnx-crm-01": "2024-03-15",
        "lnx-crm-02": None,
        "CRM": "2024-04-01",
    }
    with Repository.open(workspace) as repo:
        SyncEngine(repo.store, repo.metamodel).run("cmdb", batch)
        on = {
            day: {e.name for e in repo.store.iter_elements(CURRENT.on(day))}
            for day in ("2024-03-14", "2024-03-31", "2024-04-01")
        }
        assert on == {
            "2024-03-14": {"ThinkStation S20", "lnx-crm-02"},
            "2024-03-31": {"ThinkStation S20", "lnx-crm-01", "lnx-crm-02"},
            "2024-04-01": {"ThinkStation S20", "lnx-crm-01", "lnx-crm-02", "CRM"},
        }
        runs_on = {(r.src, r.dst) for r in repo.store.iter_relations(CURRENT.on("2024-03-31"))}
        assert runs_on == set()  # the application is not installed yet
        assert len(list(repo.store.iter_relations(CURRENT.on("2024-04-01")))) == 2


def test_a_header_the_mapping_names_twice_over_is_refused_naming_both_columns(
    mm: Metamodel,
) -> None:
    # A list export with a dot-walked field shown by its label repeats "name": taking the
    # first silently could give every CI the name of its support group.
    path = DATA / "broken_repeated_header.csv"
    with pytest.raises(SourceError) as err:
        importer(mm, "servicenow").read(path)
    assert str(err.value) == (
        f"{path}: the header holds 'name' more than once: 'name' (column 2), 'name (2)' (column 5)"
    )
    assert "rename the columns in the export" in (err.value.hint or "")


def test_a_repeated_header_no_mapping_reads_is_no_problem(mm: Metamodel) -> None:
    batch = importer(mm, "servicenow").read(DATA / "servicenow_repeated_unmapped.csv")
    assert not batch.problems
    assert [(r.key, r.name) for r in batch.records] == [
        ("3a1f0c2e1b2c4d5e6f708192a3b4c5d6", "web01")
    ]
