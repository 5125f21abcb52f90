"""FlowsImporter on real-shaped interface catalogs: a French Excel CSV (cp1252, ``;``), a plain
UTF-8 CSV, an XLSX, broken rows and files, and the records through the real sync engine."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ea_repo.errors import SourceError
from ea_repo.importers.flows import (
    FlowBatch,
    FlowColumns,
    FlowsImporter,
    derived_key,
    slug,
    split_objects,
)
from ea_repo.metamodel import Metamodel, load_metamodel
from ea_repo.model import EVERYTHING, Origin, Record
from ea_repo.store import SQLiteStore
from ea_repo.sync import SyncEngine

DATA = Path(__file__).parent.parent / "data" / "flows"
FR = DATA / "catalogue_interfaces_fr.csv"
EN = DATA / "interfaces_en.csv"


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel()


def flows(batch: FlowBatch) -> set[tuple[Any, ...]]:
    """(key, source name, target name, attrs, row) of every flow record."""
    return {
        (
            r.key,
            r.src.value,
            r.dst.value,
            tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in r.attrs.items())),
            r.origin.row,
        )
        for r in batch.records
        if r.type == "flow" and r.src and r.dst and r.origin
    }


def data_objects(batch: FlowBatch) -> set[tuple[Any, ...]]:
    """(key, name, attrs, row) of every DataObject record."""
    return {
        (r.key, r.name, tuple(sorted(r.attrs.items())), r.origin.row if r.origin else None)
        for r in batch.records
        if r.kind == "element"
    }


def accesses(batch: FlowBatch) -> set[tuple[str, str, str]]:
    """(application name, data object key, mode) of every accesses record."""
    return {
        (r.src.value, r.dst.value, r.attrs["mode"])
        for r in batch.records
        if r.type == "accesses" and r.src and r.dst
    }


def texts(problems: list[Any]) -> list[str]:
    return [str(p) for p in problems]


# ------------------------------------------------------------------ catalogs


def test_french_excel_catalog_cp1252_semicolon(mm: Metamodel) -> None:
    batch = FlowsImporter(mm).read(FR)
    assert batch.problems == []
    assert batch.source_files == [str(FR)]
    assert all(r.src and r.src.type == "Application" for r in batch.records if r.type == "flow")
    assert all(r.dst and r.dst.by == "name" for r in batch.records if r.type == "flow")
    assert flows(batch) == {
        (
            "IF-001", "Site marchand", "Gestion des commandes",
            (("criticality", "critical"), ("data_objects", ("Commande client",)),
             ("description", "Commandes web validées"), ("format", "JSON"),
             ("frequency", "Temps réel"), ("interface_id", "IF-001"), ("middleware", "ESB"),
             ("personal_data", True), ("protocol", "REST/HTTPS")),
            2,
        ),
        (
            # A cell with a line break (Alt+Enter in Excel) lists two objects; a quoted ';'
            # in the description stays in it.
            "IF-002", "Gestion des commandes", "Entrepôt WMS",
            (("criticality", "high"), ("data_objects", ("Commande client", "Ligne de commande")),
             ("description", "Ordres de préparation; envoyés à la validation"), ("format", "XML"),
             ("frequency", "Temps réel"), ("interface_id", "IF-002"), ("middleware", "ESB"),
             ("personal_data", True), ("protocol", "MQ")),
            3,
        ),
        (
            # "Aucun" middleware is no middleware.
            "IF-003", "Entrepôt WMS", "Gestion des commandes",
            (("criticality", "medium"), ("data_objects", ("Stock",)),
             ("description", "Niveaux de stock"), ("format", "CSV"),
             ("frequency", "Toutes les heures"), ("interface_id", "IF-003"),
             ("personal_data", False), ("protocol", "SFTP")),
            5,
        ),
        (
            # No id: the key is made of the slugged ends, protocol and sorted objects.
            "flow:comptabilite|tresorerie-kyriba|sftp|ecriture-comptable/releve-bancaire",
            "Comptabilité", "Trésorerie Kyriba",
            (("criticality", "low"), ("data_objects", ("Écriture comptable", "Relevé bancaire")),
             ("description", "Flux historique sans identifiant"), ("format", "CSV"),
             ("frequency", "Quotidien"), ("protocol", "SFTP")),
            6,
        ),
        (
            "IF-007", "Gestion des commandes", "Fidélité",
            (("criticality", "high"), ("data_objects", ("Commande client", "Compte fidélité")),
             ("format", "Avro"), ("frequency", "Temps réel"), ("interface_id", "IF-007"),
             ("middleware", "Kafka"), ("personal_data", True), ("protocol", "Kafka")),
            9,
        ),
        (
            "IF-008", "Entrepôt WMS", "Comptabilité",
            (("criticality", "medium"), ("data_objects", ("Stock",)),
             ("description", "Valorisation du stock"), ("frequency", "Quotidien"),
             ("interface_id", "IF-008"), ("middleware", "Talend ETL"),
             ("personal_data", False), ("protocol", "JDBC")),
            10,
        ),
    }  # fmt: skip
    # Rows are numbered by the line they start on: IF-002's cell spans lines 3 and 4.
    # Each object once, named as first written, first row as origin; personal when
    # any row carrying it says so.
    assert data_objects(batch) == {
        ("data:commande-client", "Commande client", (("personal_data", True),), 2),
        ("data:ligne-de-commande", "Ligne de commande", (("personal_data", True),), 3),
        ("data:stock", "Stock", (), 5),
        ("data:ecriture-comptable", "Écriture comptable", (), 6),
        ("data:releve-bancaire", "Relevé bancaire", (), 6),
        ("data:compte-fidelite", "Compte fidélité", (("personal_data", True),), 9),
    }
    # The sender reads, the receiver writes; both at once is readwrite.
    assert accesses(batch) == {
        ("Site marchand", "data:commande-client", "read"),
        ("Gestion des commandes", "data:commande-client", "readwrite"),
        ("Entrepôt WMS", "data:commande-client", "write"),
        ("Fidélité", "data:commande-client", "write"),
        ("Gestion des commandes", "data:ligne-de-commande", "read"),
        ("Entrepôt WMS", "data:ligne-de-commande", "write"),
        ("Entrepôt WMS", "data:stock", "read"),
        ("Gestion des commandes", "data:stock", "write"),
        ("Comptabilité", "data:stock", "write"),
        ("Comptabilité", "data:ecriture-comptable", "read"),
        ("Trésorerie Kyriba", "data:ecriture-comptable", "write"),
        ("Comptabilité", "data:releve-bancaire", "read"),
        ("Trésorerie Kyriba", "data:releve-bancaire", "write"),
        ("Gestion des commandes", "data:compte-fidelite", "read"),
        ("Fidélité", "data:compte-fidelite", "write"),
    }
    assert len([r for r in batch.records if r.type == "accesses"]) == 15  # no repeats
    # Retired and planned interfaces are skipped and said so, never silently lost.
    assert batch.skipped == {
        "Statut is 'Décommissionné' (retired)": 1,
        "Statut is 'En projet' (not in service yet)": 1,
    }
    assert texts(batch.warnings) == [
        f"{FR}: skipped 1 row: Statut is 'Décommissionné' (retired)",
        f"{FR}: skipped 1 row: Statut is 'En projet' (not in service yet)",
        f"{FR}: 1 row with Statut 'Dégradé', read as in service",
        f"{FR}: 1 row without an interface id: keys derived from their content",
    ]


def test_plain_utf8_catalog_with_english_headers(mm: Metamodel) -> None:
    batch = FlowsImporter(mm).read(EN)
    assert batch.problems == []
    assert batch.warnings == []
    assert {(k, s, d, row) for k, s, d, _, row in flows(batch)} == {
        ("IF-100", "Webshop", "OMS", 2),
        ("IF-101", "OMS", "WMS", 3),
        ("IF-102", "WMS", "OMS", 4),
        ("IF-103", "CRM", "Marketing Automation", 5),
        ("IF-104", "WMS", "Webshop", 6),
    }
    attrs = {r.key: dict(r.attrs) for r in batch.records if r.type == "flow"}
    # The interface name leads the description; "none" middleware is left unset.
    assert attrs["IF-100"]["description"] == "Order capture: Orders placed online"
    assert attrs["IF-101"]["description"] == "Order release"
    assert "middleware" not in attrs["IF-102"]
    assert attrs["IF-103"]["criticality"] == "high"  # "HIGH"
    assert attrs["IF-103"]["data_objects"] == ["Customer", "Customer consent"]  # ',' splits
    assert attrs["IF-104"]["frequency"] == "every 15 min"  # frequencies stay as written
    assert data_objects(batch) == {
        ("data:customer-order", "Customer order", (("personal_data", True),), 2),
        ("data:delivery-address", "Delivery address", (("personal_data", True),), 3),
        ("data:stock-level", "Stock level", (), 4),
        ("data:customer", "Customer", (("personal_data", True),), 5),
        ("data:customer-consent", "Customer consent", (("personal_data", True),), 5),
    }


def test_xlsx_catalog_with_columns_named_by_the_user(mm: Metamodel, tmp_path: Path) -> None:
    path = tmp_path / "Cartographie des flux.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Flux"
    ws.append(["Réf.", "Émetteur SI", "Récepteur SI", "Protocol", "Via", "Objets", "PII"])
    ws.append(["X-1", "OMS", "ERP", "SFTP", "Axway MFT", "Invoice|Credit note", "no"])
    ws.append([None, None, None, None, None, None, None])
    ws.append([42, "HR Core", "Payroll", "SFTP", None, "Employee", "x"])
    wb.save(path)
    columns = FlowColumns(source="Émetteur SI", target="recepteur_si", interface_id="Réf.")
    batch = FlowsImporter(mm, columns).read(path)
    assert batch.problems == []
    assert flows(batch) == {
        (
            "X-1", "OMS", "ERP",
            (("data_objects", ("Invoice", "Credit note")), ("interface_id", "X-1"),
             ("middleware", "Axway MFT"), ("personal_data", False), ("protocol", "SFTP")),
            2,
        ),
        (
            # A numeric cell is read as Excel shows it.
            "42", "HR Core", "Payroll",
            (("data_objects", ("Employee",)), ("interface_id", "42"), ("personal_data", True),
             ("protocol", "SFTP")),
            4,
        ),
    }  # fmt: skip
    assert data_objects(batch) == {
        ("data:invoice", "Invoice", (), 2),
        ("data:credit-note", "Credit note", (), 2),
        ("data:employee", "Employee", (("personal_data", True),), 4),
    }


def test_several_files_are_one_catalog(mm: Metamodel, tmp_path: Path) -> None:
    copy = tmp_path / "interfaces_part2.csv"
    shutil.copy(EN, copy)
    batch = FlowsImporter(mm).read(EN, copy)
    assert batch.source_files == [str(EN), str(copy)]
    assert texts(batch.problems)[0] == (
        f"{copy}:2: duplicate interface id 'IF-100' (first at {EN}:2) — each interface "
        "appears once in the catalog; keep one row or renumber"
    )
    assert len(batch.problems) == 5
    # Data objects and accesses are emitted once for both files.
    assert len([r for r in batch.records if r.kind == "element"]) == 5


# -------------------------------------------------------------------- broken


def test_row_problems_name_file_and_row(mm: Metamodel) -> None:
    path = DATA / "broken_rows.csv"
    batch = FlowsImporter(mm).read(path)
    assert texts(batch.problems) == [
        f"{path}:10: row has 10 cells but the header has 9 columns; row ignored — a value "
        "probably contains the delimiter ',' without quotes",
        f"{path}:2: no target application: column 'to' is empty — every interface needs its "
        "target application",
        f"{path}:3: no source application: column 'from' is empty — every interface needs its "
        "source application",
        f"{path}:4: unknown criticality 'urgent' in column 'criticality' — use critical, high, "
        "medium or low (or P1..P4, critique/haute/moyenne/basse)",
        f"{path}:5: unknown criticality '2' in column 'criticality' (a bare number: is 1 the "
        "most or the least critical?) — use critical, high, medium or low (or P1..P4, "
        "critique/haute/moyenne/basse)",
        f"{path}:5: column 'pii': 'maybe' is not yes or no — yes/no, true/false, oui/non, x or "
        "empty",
        f"{path}:7: duplicate interface id 'F5' at rows 6 and 7 — each interface appears once "
        "in the catalog; keep one row or renumber",
        f"{path}:9: same interface as row 8: same source, target, protocol and data objects, "
        "and no interface id to tell them apart — give each interface an id in a column "
        "'interface_id'",
    ]
    # Rows with problems give no records; the others do.
    assert {(k, s, d, row) for k, s, d, _, row in flows(batch)} == {
        ("F5", "OMS", "WMS", 6),
        ("flow:wms|tms|sftp|shipment", "WMS", "TMS", 8),
    }


def test_missing_required_column_names_the_file_and_the_columns_found(mm: Metamodel) -> None:
    path = DATA / "broken_no_target.csv"
    with pytest.raises(SourceError) as err:
        FlowsImporter(mm).read(path)
    assert str(err.value).startswith(
        f"{path}: not an interface catalog: no target application column (expected target: "
        "one of 'target_application', 'target application',"
    )
    assert err.value.hint is not None
    assert err.value.hint.startswith(
        "columns found: 'Interface', 'Application source', 'Protocol', 'Data objects';"
    )


def test_a_column_named_by_the_user_must_exist(mm: Metamodel) -> None:
    with pytest.raises(SourceError) as err:
        FlowsImporter(mm, FlowColumns(source="Sender")).read(EN)
    assert str(err.value) == f"{EN}: no column 'Sender' (given for source)"
    assert err.value.hint is not None and "'source_application'" in err.value.hint


def test_unreadable_file_is_a_source_error(mm: Metamodel, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="file not found"):
        FlowsImporter(mm).read(tmp_path / "nope.csv")
    legacy = tmp_path / "flux.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 60)
    with pytest.raises(SourceError, match=r"flux\.xls: an old Excel \.xls workbook"):
        FlowsImporter(mm).read(legacy)


def test_columns_from_a_configuration_mapping() -> None:
    assert FlowColumns.from_mapping({"source": "App émettrice"}) == FlowColumns(
        source="App émettrice"
    )
    with pytest.raises(SourceError, match=r"ea.yaml: unknown column field 'sender'"):
        FlowColumns.from_mapping({"sender": "x"}, "ea.yaml")
    with pytest.raises(SourceError, match=r"columns.target: expected a column name, got 3"):
        FlowColumns.from_mapping({"target": 3})


def test_helpers() -> None:
    assert slug("  Données Client / RGPD ") == "donnees-client-rgpd"
    assert split_objects("Order; order |Invoice\nCredit  note,, ") == [
        "Order",
        "Invoice",
        "Credit note",
    ]
    assert derived_key("WMS", "OMS", "IBM MQ", ["Stock level", "Order"]) == (
        "flow:wms|oms|ibm-mq|order/stock-level"
    )
    assert derived_key("wms ", "OMS", "ibm mq", ["order", "STOCK LEVEL"]) == derived_key(
        "WMS", "OMS", "IBM MQ", ["Stock level", "Order"]
    )


def test_a_metamodel_without_flows_is_refused(mm: Metamodel) -> None:
    with pytest.raises(SourceError, match="no element type 'Appli'"):
        FlowsImporter(mm, endpoint_type="Appli")
    # Capabilities exchange flows (ArchiMate 3.2) but access no data object.
    with pytest.raises(SourceError, match="accesses does not lead from Capability"):
        FlowsImporter(mm, endpoint_type="Capability")
    with pytest.raises(SourceError, match="flow does not link Requirement elements"):
        FlowsImporter(mm, endpoint_type="Requirement")


# ------------------------------------------------------------ through the sync

FR_APPS = {
    "app-web": "Site marchand",
    "app-oms": "Gestion des commandes",
    "app-wms": "Entrepôt WMS",
    "app-compta": "Comptabilité",
    "app-treso": "Trésorerie Kyriba",
    "app-loyalty": "Fidélité",
}


def cmdb_with(store: SQLiteStore, mm: Metamodel, apps: dict[str, str]) -> None:
    records = [
        Record.element("Application", k, n, origin=Origin("cmdb.csv")) for k, n in apps.items()
    ]
    # A server named like an application: the type in the reference tells them apart.
    records.append(Record.element("Server", "srv-oms", "Gestion des commandes"))
    SyncEngine(store, mm).run("cmdb", records)


def test_sync_stores_flows_and_data_objects(mm: Metamodel, tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "repository.db")
    try:
        cmdb_with(store, mm, FR_APPS)
        result = SyncEngine(store, mm).run("flows", FlowsImporter(mm).read(FR))
        assert result.applied
        assert result.elements.counts()["added"] == 6
        assert result.relations.counts()["added"] == 6 + 15
        stored = list(store.iter_relations())
        assert {
            (r.id, r.src, r.dst, r.attrs.get("criticality")) for r in stored if r.type == "flow"
        } == {
            ("IF-001", "app-web", "app-oms", "critical"),
            ("IF-002", "app-oms", "app-wms", "high"),
            ("IF-003", "app-wms", "app-oms", "medium"),
            (
                "flow:comptabilite|tresorerie-kyriba|sftp|ecriture-comptable/releve-bancaire",
                "app-compta",
                "app-treso",
                "low",
            ),
            ("IF-007", "app-oms", "app-loyalty", "high"),
            ("IF-008", "app-wms", "app-compta", "medium"),
        }
        assert {(r.src, r.dst, r.attrs["mode"]) for r in stored if r.type == "accesses"} >= {
            ("app-oms", "data:commande-client", "readwrite"),
            ("app-wms", "data:stock", "read"),
            ("app-treso", "data:releve-bancaire", "write"),
        }
        assert {
            (e.id, e.name, e.attrs["personal_data"])
            for e in store.iter_elements()
            if e.type == "DataObject"
        } == {
            ("data:commande-client", "Commande client", True),
            ("data:ligne-de-commande", "Ligne de commande", True),
            ("data:stock", "Stock", False),
            ("data:ecriture-comptable", "Écriture comptable", False),
            ("data:releve-bancaire", "Relevé bancaire", False),
            ("data:compte-fidelite", "Compte fidélité", True),
        }
        # A second identical run changes nothing.
        again = SyncEngine(store, mm).run("flows", FlowsImporter(mm).read(FR))
        assert again.relations.counts()["unchanged"] == 21
        assert again.elements.counts()["unchanged"] == 6
    finally:
        store.close()


def test_sync_refuses_an_unknown_application_naming_the_rows(mm: Metamodel, tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "repository.db")
    try:
        cmdb_with(store, mm, {k: v for k, v in FR_APPS.items() if k != "app-compta"})
        with pytest.raises(SourceError) as err:
            SyncEngine(store, mm).run("flows", FlowsImporter(mm).read(FR))
        assert str(err.value) == "flows: 5 problems in the input; nothing was written"
        # Each record naming the unknown application, at the row that gave it: the flow
        # of record 5 and its two accesses, the flow of record 9 and its access to "Stock";
        # each at the line where its row starts, a quoted cell having spanned two lines.
        assert (
            sorted(texts(err.value.problems))
            == [f"{FR}:10 (record 9): no Application element named 'Comptabilité'"] * 2
            + [f"{FR}:6 (record 5): no Application element named 'Comptabilité'"] * 3
        )
        assert not [e for e in store.iter_elements(EVERYTHING) if e.type == "DataObject"]
    finally:
        store.close()


def test_a_data_object_named_like_an_application(mm: Metamodel, tmp_path: Path) -> None:
    catalog = tmp_path / "interfaces.csv"
    catalog.write_text("source,target,data\nCRM,Loyalty,Loyalty\n", encoding="utf-8")
    store = SQLiteStore(tmp_path / "repository.db")
    try:
        cmdb_with(store, mm, {"app-crm": "CRM", "app-loyalty": "Loyalty"})
        SyncEngine(store, mm).run("flows", FlowsImporter(mm).read(catalog))
        assert {(r.src, r.dst) for r in store.iter_relations() if r.type == "flow"} == {
            ("app-crm", "app-loyalty")
        }
    finally:
        store.close()
