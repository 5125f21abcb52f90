"""Lifecycle catalogs in the endoflife.date formats: the shipped snapshot, snapshot files, API
files (v0 lists, v1 documents), booleans in date fields, and malformed input."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from importlib import resources
from pathlib import Path
from types import ModuleType

import pytest

from ea_repo.errors import SourceError
from ea_repo.lifecycle.catalog import (
    ENDED,
    Product,
    Release,
    load_builtin_catalog,
    load_catalog,
    parse_api,
    parse_catalog_text,
    render_label,
)

DATA = Path(__file__).parent.parent / "data" / "eol"
ROOT = Path(__file__).parent.parent.parent
D = dt.date


def _dates(r: Release) -> tuple[object, ...]:
    return (r.release_date, r.support, r.eol, r.extended_support)


def _rel(product: Product, cycle: str) -> Release:
    release = product.release(cycle)
    assert release is not None, cycle
    return release


# ------------------------------------------------------------------ shipped snapshot


def test_builtin_catalog_holds_the_common_cmdb_products_with_provenance() -> None:
    catalog = load_builtin_catalog()
    assert (catalog.snapshot_date, catalog.commit) == (
        "2026-08-22",
        "a70eca337600e7d721dc48112c271f98661d208b",
    )
    expected = {
        "rhel", "centos", "oracle-linux", "ubuntu", "debian", "sles", "windows-server",
        "windows", "ibm-i", "ibm-aix", "macos", "mssqlserver", "oracle-database",
        "postgresql", "mysql", "mariadb", "mongodb", "ibm-db2", "redis", "elasticsearch",
        "tomcat", "red-hat-jboss-eap", "nginx", "apache-http-server", "haproxy", "rabbitmq",
        "apache-kafka", "apache-activemq", "oracle-jdk", "eclipse-temurin", "dotnet",
        "nodejs", "python", "php", "vmware-esxi", "vmware-vcenter",
    }  # fmt: skip
    assert expected <= set(catalog.products)
    assert all(p.releases for p in catalog)
    assert _dates(_rel(catalog["rhel"], "7")) == (
        D(2014, 6, 10),
        D(2019, 8, 6),
        D(2024, 6, 30),
        D(2029, 5, 31),
    )


def test_builtin_labels_are_rendered_and_the_file_is_small() -> None:
    catalog = load_builtin_catalog()
    labels = [r.label for p in catalog for r in p.releases if r.label]
    assert not [label for label in labels if "__" in label or "<" in label]
    assert _rel(catalog["mssqlserver"], "11.0-sp4").label == "2012 SP4"
    data = resources.files("ea_repo.lifecycle").joinpath("data/endoflife.json")
    assert len(data.read_bytes()) < 500_000


def test_builtin_licence_carries_the_mit_notice_and_the_provenance() -> None:
    text = resources.files("ea_repo.lifecycle").joinpath("data/LICENSE-endoflife.txt").read_text()
    assert "MIT License" in text and "Permission is hereby granted" in text
    assert "a70eca337600e7d721dc48112c271f98661d208b" in text and "2026-08-22" in text


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_eol_snapshot", ROOT / "tools" / "make_eol_snapshot.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_snapshot_tool_keeps_the_chosen_products_and_fields_deterministically() -> None:
    tool = _tool()
    extract = json.loads((DATA / "snapshot.json").read_text())
    built = tool.build(extract, ["mssqlserver", "rhel"])
    assert sorted(built["products"]) == ["mssqlserver", "rhel"]
    assert "identifiers" not in built["products"]["rhel"]
    sp4 = built["products"]["mssqlserver"]["releases"][1]
    assert sp4 == {
        "cycle": "11.0-sp4",
        "eol": "2022-07-12",
        "extendedSupport": "2025-07-08",
        "label": "2012 SP4",
        "latest": "11.0.7512.11 GDR",
        "releaseDate": "2017-10-05",
        "support": "2022-07-12",
    }
    assert built["meta"]["commit"] == "a70eca337600e7d721dc48112c271f98661d208b"
    assert tool.dump(built) == tool.dump(tool.build(extract, ["rhel", "mssqlserver"]))
    assert parse_catalog_text(tool.dump(built), "x").get("rhel") is not None
    with pytest.raises(SystemExit, match="not in the extract: hp-ux"):
        tool.build(extract, ["hp-ux"])


def test_shipped_snapshot_lists_only_products_the_tool_selects() -> None:
    assert set(load_builtin_catalog().products) == set(_tool().wanted())


# ------------------------------------------------------------------ API v0 files


def test_api_file_takes_its_product_from_the_file_name() -> None:
    catalog = load_catalog(DATA / "rhel.json")
    rhel = catalog["rhel"]
    assert [r.cycle for r in rhel.releases][:4] == ["10", "9", "8", "7"]
    seven = rhel.release("7")
    assert seven is not None
    assert _dates(seven) == (D(2014, 6, 10), D(2019, 8, 6), D(2024, 6, 30), D(2029, 5, 31))
    assert (seven.lts, seven.latest) == (D(2024, 6, 30), "7.9")
    assert catalog.source == str(DATA / "rhel.json")


def test_api_product_option_wins_over_the_file_name() -> None:
    assert list(load_catalog(DATA / "rhel.json", product="redhat").products) == ["redhat"]


def test_api_support_booleans_are_turned_round() -> None:
    """v0 `support: false` = active support has ended (the front matter's `eoas: true`)."""
    python = load_catalog(DATA / "python.json")["python"]
    assert _rel(python, "3.5").support is ENDED
    assert _rel(python, "3.5").eol == D(2020, 9, 30)
    assert _rel(python, "3.14").support == D(2027, 10, 1)
    assert _rel(python, "3.14").extended_support is None
    assert _rel(python, "3.14").lts is False


def test_api_booleans_in_eol_and_extended_support() -> None:
    exchange = load_catalog(DATA / "msexchange.json")["msexchange"]
    current = exchange.release("subscription")
    assert current is not None
    # eol false = not announced; v0 support true = still supported; v0 extendedSupport
    # false = ended or never offered: no end is claimed.
    assert (current.support, current.eol, current.extended_support) == (None, None, None)
    old = exchange.release("4.0")
    assert old is not None
    assert (old.support, old.eol, old.extended_support) == (ENDED, ENDED, None)
    assert _rel(exchange, "2019").extended_support == D(2026, 11, 1)


def test_api_v1_document() -> None:
    catalog = load_catalog(DATA / "oracle-database-v1.json")
    oracle = catalog["oracle-database"]
    assert (oracle.title, oracle.category) == ("Oracle Database", "database")
    r121 = oracle.release("12.1")
    assert r121 is not None
    assert (r121.label, r121.eol, r121.extended_support, r121.lts) == (
        "12c Release 1",
        D(2018, 7, 31),
        D(2022, 7, 31),
        True,
    )
    assert _rel(oracle, "9.0").eol is ENDED
    assert _rel(oracle, "23").extended_support is None
    assert _rel(oracle, "23").support is None


# ------------------------------------------------------------------ snapshot files


def test_snapshot_file_with_booleans_and_template_labels() -> None:
    catalog = load_catalog(DATA / "snapshot.json")
    assert catalog.snapshot_date == "2026-08-22"
    assert _rel(catalog["mssqlserver"], "11.0").label == "2012"
    assert _rel(catalog["oracle-solaris"], "11.2").eol is ENDED
    assert _rel(catalog["ibm-i"], "7.6").eol is None
    assert catalog["rhel"].aliases == ("redhat", "redhatlinux")
    windows = catalog["windows-server"]
    assert windows.release_title(_rel(windows, "2012-r2")) == "Microsoft Windows Server 2012 R2"


def test_merged_catalog_takes_a_product_from_the_later_file() -> None:
    merged = load_builtin_catalog().merged(load_catalog(DATA / "oracle-database-v1.json"))
    assert [r.cycle for r in merged["oracle-database"].releases] == ["23", "19", "12.1", "9.0"]
    assert "rhel" in merged and len(merged) == len(load_builtin_catalog())


@pytest.mark.parametrize(
    ("label", "cycle", "codename", "expected"),
    [
        ("2012 '__CODENAME__' SP4", "11.0-sp4", None, "2012 SP4"),
        ("OS X __RELEASE_CYCLE__ (__CODENAME__)", "10.11", None, "OS X 10.11"),
        ("OS X __RELEASE_CYCLE__ (__CODENAME__)", "10.11", "El Capitan", "OS X 10.11 (El Capitan)"),
        ("9 <abbr title='Standard Term Support'>STS</abbr>", "9", None, "9 STS"),
        ("__CODENAME__", "1", None, None),
        (None, "1", None, None),
    ],
)
def test_render_label(
    label: str | None, cycle: str, codename: str | None, expected: str | None
) -> None:
    assert render_label(label, cycle, codename) == expected


def test_ended_marker_reads_well() -> None:
    assert (repr(ENDED), str(ENDED)) == ("ENDED", "ended (no date published)")


# ------------------------------------------------------------------ malformed input


def test_truncated_file_names_the_file_line_and_column() -> None:
    with pytest.raises(SourceError) as err:
        load_catalog(DATA / "broken_truncated.json")
    assert str(err.value).startswith(f"{DATA / 'broken_truncated.json'}:1:")
    assert "invalid JSON" in str(err.value)
    assert err.value.problems[0].line == 1


def test_bad_values_are_all_reported_at_their_position() -> None:
    with pytest.raises(SourceError) as err:
        load_catalog(DATA / "broken_dates.json")
    messages = [p.message for p in err.value.problems]
    assert messages == [
        "[1].eol: expected a date (YYYY-MM-DD), true or false, got '2029-13-31'",
        "[2].support: expected a date (YYYY-MM-DD), true or false, got 2019",
        '[3].cycle: every release needs its cycle (e.g. "7", "2019", "12.1")',
        '[4].cycle: write the cycle as a string ("6.1"), a number loses digits',
        "[5].cycle: release '9' is given twice",
    ]
    assert {p.file for p in err.value.problems} == {str(DATA / "broken_dates.json")}
    assert str(err.value).startswith(f"{DATA / 'broken_dates.json'}: [1].eol:")
    assert "(and 4 more problems)" in str(err.value)


def test_bad_snapshot_is_reported_at_json_paths() -> None:
    with pytest.raises(SourceError) as err:
        load_catalog(DATA / "broken_snapshot.json")
    assert [p.message for p in err.value.problems] == [
        "products.rhel.releases: expected a list of release cycles",
        "products.ubuntu.aliases: expected a list of names",
        "products.ubuntu.releases[0].eol: expected a date (YYYY-MM-DD), true or false, got 'soon'",
        "products.bad id!: 'bad id!' is not a product id (letters, digits, '.', '-', '_')",
    ]


def test_json_that_is_no_lifecycle_data() -> None:
    with pytest.raises(SourceError, match="not lifecycle data"):
        load_catalog(DATA / "broken_not_lifecycle.json")


def test_missing_file_and_nameless_api_data() -> None:
    with pytest.raises(SourceError, match="file not found"):
        load_catalog(DATA / "nowhere.json")
    with pytest.raises(SourceError, match="does not name its product"):
        parse_catalog_text("[]", "<stdin>")
    with pytest.raises(SourceError, match="is not a product id"):
        parse_api([], "red hat", "<stdin>")


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "rhel.json"
    path.write_bytes(b'[{"cycle": "7", "eol": "2024-06-30", "label": "caf\xe9"}]')
    with pytest.raises(SourceError, match="not UTF-8"):
        load_catalog(path)


def test_json_nested_too_deep_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "rhel.json"
    path.write_text('{"products": ' + "[" * 100_000 + "]" * 100_000 + "}", "utf-8")
    with pytest.raises(SourceError) as err:
        load_catalog(path)
    assert str(err.value).startswith(f"{path}: JSON nested too deeply to be read")
