"""CMDB imports through the sync engine: the records the importer produces are valid for the
built-in metamodel, and what only the sync engine can see (ambiguous or unknown names) is
reported with the row of the relationship export."""

from __future__ import annotations

from pathlib import Path

import pytest

from ea_repo.errors import SourceError
from ea_repo.importers.cmdb import CmdbImporter
from ea_repo.importers.mapping import load_mapping
from ea_repo.importers.presets import load_preset
from ea_repo.metamodel import Metamodel, load_metamodel
from ea_repo.store import SQLiteStore
from ea_repo.sync import SyncEngine

DATA = Path(__file__).parent.parent / "data" / "cmdb"


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel()


@pytest.mark.parametrize(
    ("mapping", "files", "elements", "relations"),
    [
        ("servicenow", ["servicenow_cmdb_ci_server.csv", "servicenow_cmdb_rel_ci_ids.csv"], 4, 2),
        (
            "itop",
            ["itop_functionalci.csv", "itop_lnkapplicationsolutiontobusinessprocess.csv"],
            12,  # the telephone among them is a Device
            6,
        ),
        ("mapping_fr.yaml", ["inventaire_excel_fr.csv"], 4, 0),
    ],
)
def test_clean_exports_sync(
    mm: Metamodel, tmp_path: Path, mapping: str, files: list[str], elements: int, relations: int
) -> None:
    loaded = (
        load_mapping(DATA / mapping, mm) if mapping.endswith(".yaml") else load_preset(mapping, mm)
    )
    batch = CmdbImporter(loaded, mm).read(*(DATA / f for f in files))
    store = SQLiteStore(tmp_path / "repository.db")
    try:
        result = SyncEngine(store, mm).run("cmdb", batch)
        assert (len(result.elements.added), len(result.relations.added)) == (elements, relations)
        again = SyncEngine(store, mm).run(
            "cmdb", CmdbImporter(loaded, mm).read(*(DATA / f for f in files))
        )
        assert (again.elements.added, again.relations.added) == ([], [])
    finally:
        store.close()


def test_duplicated_names_are_reported_by_row(mm: Metamodel, tmp_path: Path) -> None:
    rel = DATA / "servicenow_cmdb_rel_ci.csv"
    batch = CmdbImporter(load_preset("servicenow", mm), mm).read(
        DATA / "servicenow_cmdb_ci_list.csv", rel
    )
    store = SQLiteStore(tmp_path / "repository.db")
    try:
        with pytest.raises(SourceError) as err:
            SyncEngine(store, mm).run("cmdb", batch)
    finally:
        store.close()
    found = {(p.file, p.line, p.message.split(" (")[0]) for p in err.value.problems}
    assert found == {
        (str(rel), 2, "2 elements are named 'CRM'"),
        (str(rel), 3, "2 elements are named 'CRM'"),
        (str(rel), 6, "2 elements are named 'web01'"),
        (str(rel), 9, "2 elements are named 'CRM'"),
        (str(rel), 13, "2 elements are named 'CRM'"),
        (str(rel), 13, "no element named 'ghost-server'"),
    }
