"""The eol importer: software facts read from the repository, matched to lifecycle releases,
turned into SoftwareProduct elements and instance_of links, and applied by the sync engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ea_repo.errors import SourceError
from ea_repo.importers.cmdb import CmdbImporter
from ea_repo.importers.eol import EolBatch, EolImporter, SoftwareFact, software_facts
from ea_repo.importers.presets import load_preset
from ea_repo.lifecycle.catalog import Catalog, load_builtin_catalog, load_catalog
from ea_repo.metamodel import Metamodel, load_metamodel
from ea_repo.metamodel.validate import check_element
from ea_repo.model import Element, ElementId, Ref, Status
from ea_repo.store import SQLiteStore
from ea_repo.sync import SyncEngine

DATA = Path(__file__).parent.parent / "data" / "eol"


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel()


@pytest.fixture(scope="module")
def small() -> Catalog:
    return load_catalog(DATA / "snapshot.json")


def _e(id_: str, type_: str, name: str, **attrs: object) -> Element:
    return Element(ElementId(id_), type_, name, attrs)


def _end(ref: Ref | None) -> str:
    assert ref is not None
    return ref.value


def _fact(id_: str, type_: str, product: str, version: str | None = None) -> SoftwareFact:
    return SoftwareFact(id_, type_, product, version, f"{type_} {id_}")


# ------------------------------------------------------------------ facts


def test_software_facts_read_what_each_type_says(mm: Metamodel) -> None:
    elements = [
        _e("ss-sql", "SystemSoftware", "SQL01", product="Microsoft SQL Server", version="11.0.7001.0", edition="Enterprise"),
        _e("ss-nameless", "SystemSoftware", "ORCL01"),
        _e("srv-1", "VirtualMachine", "vm1", os="Linux Red Hat", os_version="8.6"),
        _e("srv-2", "Server", "bare", hostname="bare.example"),
        _e("sp-pg", "SoftwareProduct", "PostgreSQL 15", version="15", end_of_life="2027-11-11"),
        _e("app-search", "Application", "Product Search", vendor="Elastic", version="Elasticsearch 7.17"),
        _e("app-saas", "Application", "Kyriba", vendor="Kyriba", version="SaaS"),
        _e("app-inhouse", "Application", "Loyalty", version="6.3"),
        _e("cap-x", "Capability", "Sell"),
        _e("eol:rhel:8", "SoftwareProduct", "Red Hat Enterprise Linux 8", product="Red Hat Enterprise Linux", version="8"),
        Element(ElementId("ss-old"), "SystemSoftware", "old", {"product": "Oracle Database"}, Status.RETIRED),
    ]  # fmt: skip
    facts = software_facts(elements, mm)
    assert [(f.element_id, f.element_type, f.product_text, f.version_text) for f in facts] == [
        ("ss-sql", "SystemSoftware", "Microsoft SQL Server Enterprise", "11.0.7001.0"),
        ("ss-nameless", "SystemSoftware", "ORCL01", None),
        ("srv-1", "VirtualMachine", "Linux Red Hat", "8.6"),
        ("sp-pg", "SoftwareProduct", "PostgreSQL 15", "15"),
        ("app-search", "Application", "Product Search", "Elasticsearch 7.17"),
    ]
    assert facts[0].origin_text == "SystemSoftware ss-sql (SQL01)"
    assert facts[3].current == {"end_of_life": "2027-11-11"}


# ------------------------------------------------------------------ records


def test_matched_facts_become_products_and_links(mm: Metamodel, small: Catalog) -> None:
    batch = EolImporter(small, mm).read(
        [
            _fact("ss-ora", "SystemSoftware", "Oracle Database 12c Enterprise Edition"),
            _fact("ss-sql1", "SystemSoftware", "Microsoft SQL Server", "11.0.7001.0"),
            _fact("ss-sql2", "SystemSoftware", "MSFT SQL Instance", "11.0.7507.2"),
        ]
    )
    assert isinstance(batch, EolBatch)
    assert batch.problems == [] and batch.unmatched == []
    elements = {str(r.key): r for r in batch.records if r.kind == "element"}
    assert sorted(elements) == ["eol:mssqlserver:11.0-sp4", "eol:oracle-database:12.1"]
    sql = elements["eol:mssqlserver:11.0-sp4"]
    assert (sql.type, sql.name) == ("SoftwareProduct", "Microsoft SQL Server 2012 SP4")
    assert dict(sql.attrs) == {
        "vendor": "Microsoft",
        "product": "Microsoft SQL Server",
        "version": "2012 SP4",
        "release_date": "2017-10-05",
        "end_of_support": "2022-07-12",
        "end_of_life": "2022-07-12",
        "extended_support_end": "2025-07-08",
        "latest": "11.0.7512.11 GDR",
        "eol_product": "mssqlserver",
        "eol_cycle": "11.0-sp4",
    }
    oracle = elements["eol:oracle-database:12.1"]
    assert oracle.name == "Oracle Database 12c Release 1"
    assert "end_of_support" not in oracle.attrs  # not in the data: not copied from eol
    assert (
        oracle.attrs["end_of_life"],
        oracle.attrs["extended_support_end"],
        oracle.attrs["lts"],
    ) == (
        "2018-07-31",
        "2022-07-31",
        True,
    )
    links = {(r.type, _end(r.src), _end(r.dst)) for r in batch.records if r.kind == "relation"}
    assert links == {
        ("instance_of", "ss-ora", "eol:oracle-database:12.1"),
        ("instance_of", "ss-sql1", "eol:mssqlserver:11.0-sp4"),
        ("instance_of", "ss-sql2", "eol:mssqlserver:11.0-sp4"),
    }
    assert batch.summary() == {
        "facts": 3,
        "matched": 3,
        "unmatched": 0,
        "skipped": {},
        "releases": 2,
    }


def test_boolean_end_dates_are_never_turned_into_dates(mm: Metamodel, small: Catalog) -> None:
    batch = EolImporter(small, mm).read(
        [
            _fact("ss-sol", "SystemSoftware", "Solaris", "11.2"),
            _fact("ss-i", "SystemSoftware", "IBM i", "7.6"),
        ]
    )
    products = {r.key: dict(r.attrs) for r in batch.records if r.kind == "element"}
    solaris = products["eol:oracle-solaris:11.2"]
    assert "end_of_life" not in solaris
    assert (
        solaris["description"] == "endoflife.date gives no date for: end of life (already ended)."
    )
    assert [str(w) for w in batch.warnings] == [
        f"{small.source}: Oracle Solaris 11.2: end of life already passed but endoflife.date gives no date; left unset"
    ]
    ibm_i = products["eol:ibm-i:7.6"]  # eol false: not announced, no attribute, no warning
    assert "end_of_life" not in ibm_i and "description" not in ibm_i


def test_unmatched_facts_are_listed_with_their_reason(mm: Metamodel, small: Catalog) -> None:
    facts = [
        _fact("ss-wls", "SystemSoftware", "Oracle WebLogic", "12.2.1.3.0"),
        _fact("ss-x", "SystemSoftware", "ORCL01"),
        _fact("ss-rh", "SystemSoftware", "Red Hat Enterprise Linux", "6.10"),
    ]
    batch = EolImporter(small, mm).read(facts)
    assert [(f.element_id, reason) for f, reason in batch.unmatched] == [
        (
            "ss-wls",
            "'Oracle WebLogic': endoflife.date has no lifecycle data for Oracle WebLogic Server",
        ),
        ("ss-x", "no lifecycle product is known as 'ORCL01'; add the name to the alias file"),
        ("ss-rh", "Red Hat Enterprise Linux has no release matching '6.10' (releases: 9, 8, 7)"),
    ]
    assert batch.records == []
    warnings = [str(w) for w in batch.warnings]
    head = next(
        i for i, w in enumerate(warnings) if w.startswith("3 elements matched no lifecycle release")
    )
    # Then one line per reason: nothing unmatched is dropped silently.
    assert len(warnings) - head - 1 == len({reason for _, reason in batch.unmatched})
    assert all(w.startswith("  unmatched (") for w in warnings[head + 1 :])


def _metamodel_without_nodes(tmp_path: Path) -> Metamodel:
    from importlib import resources

    text = resources.files("ea_repo.metamodel").joinpath("default.yaml").read_text()
    new = (
        "from: [SystemSoftware, Application, ApplicationComponent, Node]\n    to: [SoftwareProduct]"
    )
    assert new in text
    path = tmp_path / "metamodel.yaml"
    path.write_text(text.replace(new, new.replace(", Node]", "]")))
    return load_metamodel(path)


def test_nodes_are_skipped_while_instance_of_does_not_allow_them(
    tmp_path: Path, small: Catalog
) -> None:
    batch = EolImporter(small, _metamodel_without_nodes(tmp_path)).read(
        [
            _fact("srv-1", "Server", "Linux Red Hat", "7.9"),
            _fact("srv-2", "VirtualMachine", "Windows 2016 Standard", "10.0.14393"),
            _fact("srv-3", "VirtualMachine", "Linux Red Hat", "8.6"),
            _fact("srv-3", "VirtualMachine", "Linux Red Hat", "8.6"),
        ]
    )
    assert batch.records == []
    assert dict(batch.skipped) == {
        "Server: instance_of cannot start from it": 1,
        "VirtualMachine: instance_of cannot start from it": 2,
        "element given twice": 1,
    }
    assert any("add the type to instance_of's `from`" in str(w) for w in batch.warnings)


def test_nodes_are_linked_to_their_operating_system(mm: Metamodel, small: Catalog) -> None:
    with_nodes = mm  # the built-in instance_of starts from nodes too
    batch = EolImporter(small, with_nodes).read(
        [_fact("srv-2", "VirtualMachine", "Windows 2016 Standard", "10.0.14393")]
    )
    assert batch.skipped == {}
    assert {(r.kind, r.key or _end(r.dst)) for r in batch.records} == {
        ("element", "eol:windows-server:2016"),
        ("relation", "eol:windows-server:2016"),
    }


def test_cmdb_software_products_are_enriched_in_place(mm: Metamodel, small: Catalog) -> None:
    fact = SoftwareFact(
        "sp-rhel8", "SoftwareProduct", "RHEL", "8", "SoftwareProduct sp-rhel8 (RHEL 8)",
        {"end_of_support": "2024-05-31", "end_of_life": "2029-06-30"},
    )  # fmt: skip
    batch = EolImporter(small, mm).read([fact])
    assert len(batch.records) == 1
    record = batch.records[0]
    assert (record.kind, record.type, record.key, record.name) == (
        "element",
        "SoftwareProduct",
        "sp-rhel8",
        None,  # the CMDB's name stays
    )
    assert dict(record.attrs) == {
        "release_date": "2019-05-07",
        "end_of_support": "2024-05-31",
        "end_of_life": "2029-05-31",
        "extended_support_end": "2033-05-31",
        "lts": True,
        "latest": "8.10",
        "eol_product": "rhel",
        "eol_cycle": "8",
    }
    assert [str(w) for w in batch.warnings] == [
        "SoftwareProduct sp-rhel8 (RHEL 8): replaces end_of_life "
        "with the dates of Red Hat Enterprise Linux 8; if another source sets them too, they will "
        "alternate — keep one source for them"
    ]


def test_a_metamodel_without_software_products_is_refused(tmp_path: Path, small: Catalog) -> None:
    path = tmp_path / "mm.yaml"
    path.write_text(
        "name: tiny\nversion: '1'\nelement_types:\n  Thing: {layer: technology}\n"
        "relationship_types:\n  uses: {from: [Thing], to: [Thing], dependent: source}\n"
    )
    with pytest.raises(SourceError, match="no SoftwareProduct element type or no instance_of"):
        EolImporter(small, load_metamodel(path)).read([])


# ------------------------------------------------------------------ end to end


def test_cmdb_then_eol_through_the_sync_engine(tmp_path: Path, mm: Metamodel) -> None:
    store = SQLiteStore(tmp_path / "repository.db")
    try:
        cmdb = CmdbImporter(load_preset("servicenow", mm), mm).read(
            DATA / "servicenow_cmdb_ci.csv", DATA / "servicenow_cmdb_rel_ci.csv"
        )
        engine = SyncEngine(store, mm)
        engine.run("cmdb", cmdb)

        catalog = load_builtin_catalog()
        batch = EolImporter(catalog, mm).read(software_facts(store.iter_elements(), mm))
        result = engine.run("eol", batch)
        assert result.applied

        products = {
            str(e.id): e
            for e in store.iter_elements()
            if e.type == "SoftwareProduct" and e.id.startswith("eol:")
        }
        assert sorted(products) == [
            "eol:elasticsearch:7",
            "eol:mssqlserver:11.0-sp4",
            "eol:oracle-database:12.1",
            "eol:postgresql:15",
            "eol:rhel:7",  # the servers' operating systems
            "eol:tomcat:9.0",
            "eol:windows-server:2016",
        ]
        oracle = products["eol:oracle-database:12.1"]
        assert oracle.name == "Oracle Database 12c Release 1"
        assert {
            k: oracle.attrs.get(k)
            for k in ("vendor", "version", "end_of_life", "extended_support_end")
        } == {
            "vendor": "Oracle",
            "version": "12c Release 1",
            "end_of_life": "2018-07-31",
            "extended_support_end": "2022-07-31",
        }
        sql = products["eol:mssqlserver:11.0-sp4"]
        assert (sql.name, sql.attrs["end_of_support"], sql.attrs["extended_support_end"]) == (
            "Microsoft SQL Server 2012 SP4",
            "2022-07-12",
            "2025-07-08",
        )
        pg15 = catalog["postgresql"].release("15")
        assert pg15 is not None and isinstance(pg15.eol, dt.date)
        assert products["eol:postgresql:15"].attrs["end_of_life"] == pg15.eol.isoformat()

        links = {(r.src, r.dst) for r in store.iter_relations() if r.type == "instance_of"}
        assert links == {
            ("ss-oraprd", "eol:oracle-database:12.1"),
            ("ss-sqlcrm", "eol:mssqlserver:11.0-sp4"),
            ("ss-sqlhr", "eol:mssqlserver:11.0-sp4"),
            ("ss-pgweb", "eol:postgresql:15"),
            ("ss-pgweb", "spkg-pg15"),  # the CMDB's own link stays
            ("ss-tomcat", "eol:tomcat:9.0"),
            ("app-search", "eol:elasticsearch:7"),
            ("srv-db01", "eol:rhel:7"),  # servers, through their os and os_version
            ("srv-web01", "eol:windows-server:2016"),
        }
        # The CMDB's software catalog entry got the dates, kept its name and vendor.
        spkg = store.get_elements(["spkg-pg15"])[ElementId("spkg-pg15")]
        assert spkg.name == "PostgreSQL 15"
        assert (spkg.attrs["vendor"], spkg.attrs["eol_product"], spkg.attrs["end_of_life"]) == (
            "PostgreSQL Global Development Group",
            "postgresql",
            pg15.eol.isoformat(),
        )
        assert sorted((f.element_id, reason) for f, reason in batch.unmatched) == [
            ("ss-iis", "'Microsoft IIS': IIS is supported with the Windows Server it ships in; link the server's OS instead"),
            ("ss-wls", "'Oracle WebLogic': endoflife.date has no lifecycle data for Oracle WebLogic Server"),
        ]  # fmt: skip
        assert dict(batch.skipped) == {}  # servers are linked through their operating system

        # A second run with the same repository changes nothing.
        again = engine.run(
            "eol", EolImporter(catalog, mm).read(software_facts(store.iter_elements(), mm))
        )
        assert (again.elements.counts()["unchanged"], again.relations.counts()["unchanged"]) == (
            8,  # 7 releases and the CMDB's own PostgreSQL entry
            8,
        )
        assert again.elements.added == [] and again.elements.changed == {}

        # Software the CMDB no longer holds loses its link; its release goes with it.
        engine.run(
            "cmdb",
            [
                r
                for r in cmdb.records
                if r.key not in {"ss-tomcat"}
                and not (r.kind == "relation" and r.src and r.src.value == "ss-tomcat")
            ],
            max_missing=1.0,
        )
        after = engine.run(
            "eol", EolImporter(catalog, mm).read(software_facts(store.iter_elements(), mm))
        )
        assert after.elements.missing == {"eol:tomcat:9.0": "retire"}
        assert after.relations.missing == {"ss-tomcat|instance_of|eol:tomcat:9.0": "retire"}
    finally:
        store.close()


def test_every_shipped_release_makes_a_valid_software_product(mm: Metamodel) -> None:
    """Dates, lts, names: each release of the shipped snapshot passes metamodel validation."""
    catalog = load_builtin_catalog()
    importer = EolImporter(catalog, mm)
    bad = []
    for product in catalog:
        for release in product.releases:
            record = importer.release_record(product, release)
            _, _, problems = check_element(mm, record.type, record.attrs)
            if problems or not record.name:
                bad.append((record.key, problems))
    assert bad == []
    assert (
        importer.release_record(catalog["rhel"], catalog["rhel"].releases[0]).key == "eol:rhel:10"
    )
