"""Matching what a CMDB names to a lifecycle release: the issue's examples, the names CMDBs
really display, build numbers, and the reasons given when nothing matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from ea_repo.errors import SourceError
from ea_repo.lifecycle.catalog import Catalog, load_builtin_catalog, load_catalog
from ea_repo.lifecycle.matching import (
    Match,
    Unmatched,
    builtin_aliases,
    load_aliases,
    match,
    match_all,
    normalize_name,
    tokens,
)

DATA = Path(__file__).parent.parent / "data" / "eol"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_builtin_catalog()


def _key(result: Match | Unmatched) -> tuple[str, str] | None:
    return result.key if isinstance(result, Match) else None


# ------------------------------------------------------------------ issue #4


def test_issue_example_rhel(catalog: Catalog) -> None:
    result = match("Red Hat Enterprise Linux 7.9", None, catalog)
    assert isinstance(result, Match)
    assert (result.key, result.rule, result.version, result.source) == (
        ("rhel", "7"),
        "prefix",
        "7.9",
        "name",
    )
    assert result.product.release_title(result.release) == "Red Hat Enterprise Linux 7"


def test_issue_example_sql_server(catalog: Catalog) -> None:
    """endoflife.date tracks SQL Server per service pack: 2012 SP4 is its own cycle (11.0-sp4),
    whose dates (2022/2025) differ from the 2012 RTM cycle 11.0 (2014)."""
    result = match("Microsoft SQL Server 2012 SP4", None, catalog)
    assert isinstance(result, Match)
    assert (result.key, result.rule, result.release.label) == (
        ("mssqlserver", "11.0-sp4"),
        "label",
        "2012 SP4",
    )
    assert _key(match("Microsoft SQL Server 2012", None, catalog)) == ("mssqlserver", "11.0")


def test_issue_example_oracle(catalog: Catalog) -> None:
    result = match("Oracle Database 12c Enterprise Edition", None, catalog)
    assert isinstance(result, Match)
    assert (result.key, result.release.label) == (("oracle-database", "12.1"), "12c Release 1")
    # The version field, when the CMDB has it, is more precise than the banner.
    assert _key(match("Oracle Database 12c Enterprise Edition", "12.2.0.1.0", catalog)) == (
        "oracle-database",
        "12.2",
    )


# ------------------------------------------------------------------ what CMDBs display


@pytest.mark.parametrize(
    ("product", "version", "expected"),
    [
        ("Linux Red Hat", "8.6", ("rhel", "8")),
        ("RHEL", "9.4", ("rhel", "9")),
        ("Red Hat Enterprise Linux", "RHEL 7.9", ("rhel", "7")),
        ("Red Hat Enterprise Linux Server release 7.9 (Maipo)", None, ("rhel", "7")),
        ("Windows 2016 Standard", "10.0.14393", ("windows-server", "2016")),
        ("Windows 2016 Standard", None, ("windows-server", "2016")),
        ("Microsoft Windows Server 2019 Datacenter", None, ("windows-server", "2019")),
        ("Windows Server 2012 R2", None, ("windows-server", "2012-r2")),
        ("Windows 2012 R2 Standard", "6.3.9600", ("windows-server", "2012-r2")),
        ("Windows 2008 R2 Enterprise", None, ("windows-server", "2008-r2-sp1")),
        ("Windows 10 Enterprise", "10.0.19045", ("windows", "10-22h2")),
        ("Windows XP", "5.1.2600", ("windows", "5-sp3")),
        ("Microsoft SQL Server", "2016 SP2", ("mssqlserver", "13.0-sp2")),
        ("MSFT SQL Instance", "15.0.4345.5", ("mssqlserver", "15.0")),
        ("Oracle Instance", "19.0.0.0.0", ("oracle-database", "19")),
        ("Oracle Database", "11.2.0.4.0", ("oracle-database", "11.2")),
        ("Oracle Database", "19c", ("oracle-database", "19")),
        ("Oracle Database 11g Release 2", None, ("oracle-database", "11.2")),
        ("IBM i", "V7R4M0", ("ibm-i", "7.4")),
        ("OS/400", "7.3", ("ibm-i", "7.3")),
        ("AS/400", "7.2", ("ibm-i", "7.2")),
        ("AIX 7.1", None, ("ibm-aix", "7.1.5")),
        ("AIX", "7200-05-03-2148", ("ibm-aix", "7.2.5")),
        ("PostgreSQL", "15.6", ("postgresql", "15")),
        ("PostgreSQL 9.6.24", None, ("postgresql", "9.6")),
        ("Apache Tomcat", "9.0.85", ("tomcat", "9.0")),
        ("Apache Tomcat 8.5.x", None, ("tomcat", "8.5")),
        ("JBoss", "EAP 7.2.0", ("red-hat-jboss-eap", "7")),
        ("SUSE Linux Enterprise Server 15 SP4", None, ("sles", "15.4")),
        ("Ubuntu 20.04.6 LTS", None, ("ubuntu", "20.04")),
        ("Debian GNU/Linux 11 (bullseye)", None, ("debian", "11")),
        ("CentOS Linux 7 (Core)", None, ("centos", "7")),
        ("Linux Amazon", "2", ("amazon-linux", "2")),
        ("ESXi", "7.0.3", ("vmware-esxi", "7.0")),
        ("VMware ESXi", "6.7.0", ("vmware-esxi", "6.7")),
        ("Java", "1.8.0_281", ("oracle-jdk", "8")),
        ("Oracle Java", "8u281", ("oracle-jdk", "8")),
        (".NET Framework 4.8", None, ("dotnetfx", "4.8")),
        (".NET Core 3.1", None, ("dotnet", "3.1")),
        ("Python", "3.10.4", ("python", "3.10")),
        ("Node.js", "18.17.1", ("nodejs", "18")),
        ("nginx", "1.20.1", ("nginx", "1.20")),
        ("Microsoft(R) SQL Server(R) 2019", None, ("mssqlserver", "15.0")),
        ("Product Search", "Elasticsearch 7.17", ("elasticsearch", "7")),
        ("Citrix Virtual Apps", "7 1912 LTSR", ("citrix-vad", "1912")),
        ("BIG-IP TMOS", "15.1.10", ("big-ip", "15.1")),
    ],
)
def test_cmdb_names(
    catalog: Catalog, product: str, version: str | None, expected: tuple[str, str]
) -> None:
    result = match(product, version, catalog)
    assert _key(result) == expected, result


# ------------------------------------------------------------------ build numbers


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("11.0.7001.0", "11.0-sp4"),  # SP4 RTM build: above SP3's latest 11.0.6614
        ("11.0.6020.0", "11.0-sp3"),
        ("11.0.2100.60", "11.0"),
        ("13.0.5026.0", "13.0-sp2"),
        ("10.50.6000.34", "10.50-sp3"),  # no plain 10.50 cycle: the family still decides
        ("11.0.9999.0", "11.0-sp4"),  # newer than the data: the newest of the family
    ],
)
def test_sql_server_builds_fall_in_their_service_pack(
    catalog: Catalog, version: str, expected: str
) -> None:
    result = match("MSFT SQL Instance", version, catalog)
    assert isinstance(result, Match)
    assert result.release.cycle == expected
    assert result.source == "version"


def test_windows_build_shared_by_two_releases_says_which_it_chose(catalog: Catalog) -> None:
    result = match("Windows", "10.0.17763", catalog)
    assert isinstance(result, Match)
    assert (result.key, result.rule) == (("windows-server", "2019"), "build")
    assert result.note == ("build 10.0.17763 is the latest of 2 releases; chose 2019 over 1809-sac")
    client = match("Windows 10 Enterprise", "10.0.19044", catalog)
    assert _key(client) == ("windows", "10-21h2-e")  # the edition word picks the (E) release


def test_a_year_in_the_name_beats_a_build_shared_with_the_client(catalog: Catalog) -> None:
    """10.0.14393 is both Windows 10 1607 and Windows Server 2016: '2016' settles it."""
    assert _key(match("Windows 2016 Datacenter", "10.0.14393", catalog)) == (
        "windows-server",
        "2016",
    )


def test_the_version_field_is_more_precise_than_the_name(catalog: Catalog) -> None:
    result = match("Microsoft SQL Server 2012", "11.0.7001.0", catalog)
    assert isinstance(result, Match)
    assert (result.key, result.rule, result.source) == (
        ("mssqlserver", "11.0-sp4"),
        "service pack by build",
        "version",
    )


# ------------------------------------------------------------------ unmatched, with reasons


@pytest.mark.parametrize(
    ("product", "version", "reason"),
    [
        ("CRM", "2.3", "no lifecycle product is known as 'CRM'; add the name to the alias file"),
        (
            "Oracle WebLogic",
            "12.2.1.3.0",
            "'Oracle WebLogic': endoflife.date has no lifecycle data for Oracle WebLogic Server",
        ),
        (
            "Microsoft IIS",
            "10.0",
            "'Microsoft IIS': IIS is supported with the Windows Server it ships in; link the server's OS instead",
        ),
        ("AS/400", None, "IBM iSeries: no version given"),
        (
            "Windows Server",
            "unknown",
            "Microsoft Windows Server: no version given ('unknown' is not a version)",
        ),
        (
            "Oracle 11g",
            None,
            "Oracle Database: version '11g' could be 11.2, 11.1; give a more precise version (build, service pack, release)",
        ),
        (
            "Apache Struts",
            "2.5",
            "'Apache Struts': read as Apache HTTP Server (from 'apache'), but 'struts' is no version of it; another product?",
        ),
        (
            "Kafka Event Hub",
            "Confluent Platform 7.4",
            "'Kafka Event Hub': read as Apache Kafka (from 'kafka'), but 'event' is no version of it; another product?",
        ),
        (
            "IBM Db2",
            "7.3",
            "IBM Db2 has no release matching '7.3' (releases: 12.1, 11.5, 11.1, 10.5, 10.1, 9.7, 9.5, 9.1)",
        ),
    ],
)
def test_unmatched_reasons(
    catalog: Catalog, product: str, version: str | None, reason: str
) -> None:
    result = match(product, version, catalog)
    assert isinstance(result, Unmatched)
    assert result.reason == reason
    assert not result


def test_ambiguous_versions_list_the_candidates(catalog: Catalog) -> None:
    result = match("Windows 10 Enterprise", None, catalog)
    assert isinstance(result, Unmatched)
    assert result.reason.startswith("Microsoft Windows: version '10' could be 10-22h2, ")
    assert result.product is not None and result.product.id == "windows"
    aix = match("AIX 7.2", None, catalog)
    assert isinstance(aix, Unmatched)
    assert "7.2.5, 7.2.4, 7.2.3, 7.2.2, 7.2.1, 7.2.0" in aix.reason


def test_unknown_release_lists_what_exists(catalog: Catalog) -> None:
    result = match("Red Hat Enterprise Linux 2.1", None, catalog)
    assert isinstance(result, Unmatched)
    assert result.reason == (
        "Red Hat Enterprise Linux has no release matching '2.1' (releases: 10, 9, 8, 7, 6, 5, 4)"
    )


def test_empty_product(catalog: Catalog) -> None:
    assert match("  ", "7", catalog) == Unmatched("no product name given")


# ------------------------------------------------------------------ other catalogs, aliases


def test_matching_against_a_snapshot_file() -> None:
    small = load_catalog(DATA / "snapshot.json")
    assert [_key(r) for r in match_all(
        [("Windows", "10.0.17763"), ("Windows", "10.0.14393"), ("Solaris", "11.2"), ("mssql", "2012")],
        small,
    )] == [
        ("windows-server", "2019"),
        ("windows-server", "2016"),
        ("oracle-solaris", "11.2"),
        ("mssqlserver", "11.0"),
    ]  # fmt: skip


def test_workspace_alias_file_extends_and_overrides() -> None:
    aliases = load_aliases(DATA / "aliases_workspace.yaml")
    catalog = load_builtin_catalog()
    assert _key(match("RH Linux Srv 8.4", None, catalog, aliases)) == ("rhel", "8")
    assert _key(match("Oracle 11g", None, catalog, aliases)) == ("oracle-database", "11.2")
    # "Windows" now means the workstation only: build 10.0.14393 is Windows 10 1607.
    assert _key(match("Windows", "10.0.14393", catalog, aliases)) == ("windows", "10-1607-e")
    homegrown = match("Homegrown OS", "3", catalog, aliases)
    assert isinstance(homegrown, Unmatched)
    assert homegrown.reason == "'Homegrown OS': built in-house, no vendor lifecycle"
    # The built-in names are still there.
    assert _key(match("Linux Red Hat", "7.9", catalog, aliases)) == ("rhel", "7")
    assert aliases.sources[-1] == str(DATA / "aliases_workspace.yaml")


def test_broken_alias_file_names_every_line() -> None:
    with pytest.raises(SourceError) as err:
        load_aliases(DATA / "broken_aliases.yaml")
    located = [(p.line, p.message) for p in err.value.problems]
    file = {p.file for p in err.value.problems}
    assert file == {str(DATA / "broken_aliases.yaml")}
    assert [line for line, _ in located] == [3, 4, 6, 7, 8, 9]
    messages = [m for _, m in located]
    assert messages[-1].startswith("unknown key 'flavours'")
    assert messages[-2].startswith("oracle-database.colour: unknown key")
    assert "rhel.vendor: expected a name" in messages
    assert "rhel.names: expected a list of names" in messages
    assert 'oracle-database.versions.12c: quote the version, e.g. "12.1"' in messages
    assert any(
        m.startswith("oracle-database.patterns: '(unclosed' is no regular expression")
        for m in messages
    )


def test_alias_file_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text("products:\n  rhel: [unclosed\n")
    with pytest.raises(SourceError) as err:
        load_aliases(path)
    assert err.value.problems[0].file == str(path)
    assert err.value.problems[0].line is not None


def test_builtin_alias_table_covers_the_issue_names() -> None:
    names = builtin_aliases().names
    for name, product in [
        ("Red Hat Enterprise Linux", "rhel"),
        ("Linux Red Hat", "rhel"),
        ("RHEL", "rhel"),
        ("Microsoft SQL Server", "mssqlserver"),
        ("MSFT SQL Instance", "mssqlserver"),
        ("Oracle Database", "oracle-database"),
        ("Oracle Instance", "oracle-database"),
        ("IBM i", "ibm-i"),
        ("OS/400", "ibm-i"),
        ("AS/400", "ibm-i"),
        ("PostgreSQL", "postgresql"),
        ("Apache Tomcat", "tomcat"),
    ]:
        assert product in names[normalize_name(name)], name
    assert names["windows"] == ("windows-server", "windows")


def test_tokens() -> None:
    assert tokens("Microsoft(R) SQL Server(R) 2012 Service Pack 4") == [
        "microsoft", "sql", "server", "2012", "sp4",
    ]  # fmt: skip
    assert tokens("Windows Server 2012R2") == ["windows", "server", "2012", "r2"]
    assert tokens("Debian GNU/Linux 10.0.14393") == ["debian", "gnu", "linux", "10.0.14393"]
    assert tokens(None) == []
