"""Incident and alert exports: import, sync, the CI found by id then name, and the moment
they are open at, from the real files in tests/data/incidents/ through the `ea` command."""

from __future__ import annotations

import json
import zoneinfo
from pathlib import Path

import pytest

from ea_repo.analysis.incidents import incidents_at, parse_moment
from ea_repo.errors import SourceError
from ea_repo.importers.mapping import mapping_from_text, parse_datetime
from ea_repo.metamodel import load_metamodel
from ea_repo.model import EVERYTHING
from ea_repo.repository import Repository

DATA = Path(__file__).parent.parent / "data" / "incidents"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
CRM = "af6d5e4c5f60718293a4b5c6d7e8f90a"
ERP = "b07e6f5d60718293a4b5c6d7e8f90a1b"
FINANCE = "c18f706e718293a4b5c6d7e8f90a1b2c"
INTRANET = "d290817f8293a4b5c6d7e8f90a1b2c3d"
VM_CRM = "7c3a2b1f2c3d4e5f60718293a4b5c6d7"
VM_ERP = "8d4b3c2a3d4e5f60718293a4b5c6d7e8"
VM_FIN = "9e5c4d3b4e5f60718293a4b5c6d7e8f9"
CLUSTER = "6b2f1a0e1b2c3d4e5f60718293a4b5c6"


@pytest.fixture
def cmdb(ea, workspace: Path) -> Path:
    """A workspace holding the small CMDB: three applications on three VMs of one cluster."""
    result = ea(
        "import", "cmdb", DATA / "cmdb_ci.csv", DATA / "cmdb_rel_ci.csv", "--preset", "servicenow"
    )
    assert result.code == 0, result.err
    return workspace


def import_incidents(ea, name: str, *options: str):
    return ea(
        "import", "incidents", DATA / name, "--preset", "servicenow",
        "--timezone", "Europe/Paris", "--source", "incidents", *options,
    )  # fmt: skip


def incidents(root: Path) -> dict[str, dict]:
    """Every Incident in the repository, by id: its status, attributes and what it affects."""
    with Repository.open(root) as repo:
        found = repo.store.find_elements(types=["Incident"], lens=EVERYTHING)
        affects = {
            r.src: r.dst
            for r in repo.store.relations_of([e.id for e in found], EVERYTHING, types=["affects"])
        }
        return {
            e.id: {"status": e.status.value, **e.attrs, "affects": affects.get(e.id)} for e in found
        }


def open_at(root: Path, moment: str) -> list[str]:
    with Repository.open(root) as repo:
        report = incidents_at(repo.store, parse_moment(moment), only_open=True)  # type: ignore[arg-type]
    return sorted(i.incident.id for i in report.incidents)


def test_a_servicenow_list_export_becomes_incidents_affecting_their_cis(ea, cmdb: Path) -> None:
    result = import_incidents(ea, "incident.csv")
    assert result.code == 0, result.err
    found = incidents(cmdb)
    # INC0020007 names no CI (a laptop): skipped and counted, not an error.
    assert set(found) == {f"INC002000{n}" for n in range(1, 7)}
    assert "skipped 1 row: no configuration item" in result.out
    assert {i: f["affects"] for i, f in found.items()} == {
        "INC0020001": INTRANET,
        "INC0020002": CRM,
        "INC0020003": ERP,
        "INC0020004": FINANCE,
        "INC0020005": CRM,
        "INC0020006": VM_ERP,
    }
    erp = found["INC0020003"]
    # Paris display time 09:55 in March (CET) is 08:55 UTC.
    assert (erp["number"], erp["priority"], erp["state"], erp["opened_at"]) == (
        "INC0020003",
        "critical",
        "in_progress",
        "2026-03-14T08:55:00Z",
    )
    assert "resolved_at" not in erp
    intranet = found["INC0020001"]
    assert (intranet["state"], intranet["resolved_at"], intranet["closed_at"]) == (
        "closed",
        "2026-01-10T09:30:00Z",
        "2026-01-13T10:00:00Z",
    )
    assert (found["INC0020004"]["state"], found["INC0020005"]["state"]) == ("on_hold", "canceled")
    assert found["INC0020004"]["assignment_group"] == "Finance team"


def test_a_second_sync_of_the_same_export_changes_nothing(ea, cmdb: Path) -> None:
    (cmdb / "ea.yaml").write_text(
        (cmdb / "ea.yaml").read_text().replace("sources: {}\n", "")
        + "sources:\n"
        + "  cmdb:\n    importer: cmdb\n    preset: servicenow\n"
        + f"    files: [{DATA / 'cmdb_ci.csv'}, {DATA / 'cmdb_rel_ci.csv'}]\n"
        + "  incidents:\n    importer: incidents\n    preset: servicenow\n"
        + f"    files: [{DATA / 'incident.csv'}]\n    timezone: Europe/Paris\n"
    )
    synced = ea("sync", "--json")
    assert synced.code == 0, synced.err
    first = json.loads(synced.out)
    again = json.loads(ea("sync", "--json").out)
    (first_run,) = [s for s in first["sources"] if s["source"] == "incidents"]
    (second_run,) = [s for s in again["sources"] if s["source"] == "incidents"]
    assert first_run["status"] == "ok" and first_run["elements"]["added"] == 6
    assert second_run["elements"] == {**second_run["elements"], "added": 0, "changed": 0}
    assert second_run["elements"]["unchanged"] == 6
    assert second_run["relations"]["unchanged"] == 6


def test_an_incident_resolved_in_the_next_export_is_no_longer_open(ea, cmdb: Path) -> None:
    assert import_incidents(ea, "incident.csv").code == 0
    assert open_at(cmdb, "2026-03-14T12:30Z") == ["INC0020003", "INC0020004"]
    result = import_incidents(ea, "incident_next.csv", "-f", "json")
    assert result.code == 0, result.err
    missing = json.loads(result.out)["details"]
    assert missing["elements"]["missing"] == {"INC0020001": "keep", "INC0020004": "retire"}
    assert sorted(missing["relations"]["missing"].values()) == ["keep", "retire"]
    found = incidents(cmdb)
    erp = found["INC0020003"]
    assert (erp["state"], erp["resolved_at"]) == ("resolved", "2026-03-14T12:10:00Z")
    # Still open earlier that morning: the history is kept, not rewritten.
    assert "INC0020003" in open_at(cmdb, "2026-03-14T09:15Z")
    # INC0020001, long closed, left the export's window: kept as it was, with its CI.
    assert (found["INC0020001"]["status"], found["INC0020001"]["state"]) == ("active", "closed")
    assert found["INC0020001"]["affects"] == INTRANET
    # INC0020004, on hold, left it too: its end is unknown, so it follows on_missing
    # (retire) and is a symptom of no moment any more.
    assert found["INC0020004"]["status"] == "retired"
    assert open_at(cmdb, "2026-03-14T12:30Z") == []


def test_an_unknown_ci_is_a_problem_naming_file_and_row_and_nothing_is_written(
    ea, cmdb: Path, tmp_path: Path
) -> None:
    problems = tmp_path / "problems.json"
    result = import_incidents(ea, "unknown_ci.csv", "--problems", problems)
    assert result.code == 2
    (problem,) = json.loads(problems.read_text())
    assert (Path(problem["file"]).name, problem["line"]) == ("unknown_ci.csv", 3)
    assert "unknown configuration item 'MAINFRAME-01'" in problem["message"]
    assert "unknown_ci.csv" in result.err and "MAINFRAME-01" in result.err
    assert incidents(cmdb) == {}
    skipped = import_incidents(ea, "unknown_ci.csv", "--unknown-ci", "skip")
    assert skipped.code == 0, skipped.err
    assert set(incidents(cmdb)) == {"INC0030001"}
    assert "configuration item unknown to the repository" in " ".join(skipped.out.split())


def test_bad_times_are_problems_naming_the_row_and_column(ea, cmdb: Path, tmp_path: Path) -> None:
    problems = tmp_path / "problems.json"
    result = import_incidents(ea, "bad_times.csv", "--problems", problems)
    assert result.code == 2
    found = {(p["line"], p["column"]): p["message"] for p in json.loads(problems.read_text())}
    assert found.keys() == {(2, None), (3, "opened_at"), (4, "opened_at")}
    assert (
        "resolved_at 2026-03-14T07:00:00Z is before opened_at 2026-03-14T08:50:00Z"
        in found[2, None]
    )
    assert "cannot read '14 March 2026' as a date and time" in found[3, "opened_at"]
    assert "'2026-02-30' is not a real date" in found[4, "opened_at"]
    assert incidents(cmdb) == {}


def test_a_table_api_json_export_finds_the_ci_by_sys_id_first(ea, cmdb: Path) -> None:
    result = import_incidents(ea, "incident.json")
    assert result.code == 0, result.err
    found = incidents(cmdb)
    # Its display value is an old name no element bears: the sys_id finds it.
    assert found["INC0020003"]["affects"] == ERP
    assert found["INC0020002"]["opened_at"] == "2026-03-14T08:50:00Z"
    assert found["INC0020002"]["state"] == "resolved"


def test_a_generic_alert_list_finds_cis_by_id_or_name(ea, cmdb: Path) -> None:
    result = ea("import", "incidents", DATA / "alerts.csv", "--preset", "generic")
    assert result.code == 0, result.err
    found = incidents(cmdb)
    assert {i: f["affects"] for i, f in found.items()} == {
        "ALR-1": VM_CRM,  # by name
        "ALR-2": VM_CRM,  # by its sys_id
        "ALR-3": VM_FIN,
    }
    alr3 = found["ALR-3"]
    assert (alr3["kind"], alr3["priority"], alr3["state"], alr3["opened_at"]) == (
        "alert",
        "high",
        "in_progress",
        "2026-03-14T08:01:00Z",
    )
    assert (found["ALR-1"]["priority"], found["ALR-2"]["state"]) == ("high", "resolved")


def test_diagnose_at_takes_exactly_the_incidents_open_then(ea, cmdb: Path) -> None:
    assert import_incidents(ea, "incident.csv").code == 0

    def diagnosis(at: str) -> dict:
        result = ea("diagnose", "--at", at, "-f", "json")
        assert result.code == 0, result.err
        return json.loads(result.out)

    # 10:15 in Paris: CRM (and its canceled duplicate, until 10:20), ERP and Finance.
    morning = diagnosis("2026-03-14T10:15+01:00")
    assert sorted(i["number"] for i in morning["incidents"]) == [
        "INC0020002",
        "INC0020003",
        "INC0020004",
    ]
    assert sorted(morning["symptoms"]) == sorted([CRM, ERP, FINANCE])
    assert morning["candidates"][0]["id"] == CLUSTER
    # The VM incident is resolved at 08:59:59 UTC: open the second before, not at it.
    assert VM_ERP in diagnosis("2026-03-14T08:59:58Z")["symptoms"]
    assert VM_ERP not in diagnosis("2026-03-14T09:59:59+01:00")["symptoms"]
    assert diagnosis("2026-03-14T08:45Z")["symptoms"] == [VM_ERP]
    quiet = ea("diagnose", "--at", "2026-03-14T06:00")
    assert quiet.code == 2 and "no incident open at 2026-03-14T06:00:00Z" in quiet.err
    # Symptoms named on the command line join those of the incidents.
    both = ea("diagnose", "Intranet", "--at", "2026-03-14T08:45Z", "-f", "json")
    assert both.code == 0, both.err
    assert json.loads(both.out)["symptoms"] == [INTRANET, VM_ERP]


def test_ea_incidents_lists_the_state_at_a_moment(ea, cmdb: Path) -> None:
    assert import_incidents(ea, "incident.csv").code == 0
    listed = json.loads(ea("incidents", "--at", "2026-03-14T09:15Z", "-f", "json").out)
    states = {i["number"]: i["status_at"] for i in listed["incidents"]}
    # INC0020007 has no CI and was skipped; INC0020001 is long closed.
    assert states == {
        "INC0020001": "closed",
        "INC0020002": "open",
        "INC0020003": "open",
        "INC0020004": "open",
        "INC0020005": "canceled",
        "INC0020006": "resolved",
    }
    only_open = json.loads(ea("incidents", "--at", "2026-03-14T09:15Z", "--open", "-f", "json").out)
    # The open ones, the most urgent first.
    assert [i["number"] for i in only_open["incidents"]][:1] == ["INC0020003"]
    assert {i["ci"]["name"] for i in only_open["incidents"]} == {"CRM", "ERP", "Finance"}
    bad = ea("incidents", "--at", "14/03/2026")
    assert bad.code == 2 and "--at '14/03/2026' is not a date or a date and time" in bad.err


def test_a_moment_before_the_year_1000_or_out_of_range_is_read_right(ea, cmdb: Path) -> None:
    assert import_incidents(ea, "incident.csv").code == 0
    # Times compare as text: the year is written with its four digits, so nothing of 2026
    # is opened by 0999 (a three-digit year sorted after 2026).
    early = json.loads(ea("incidents", "--at", "0999-06-01", "-f", "json").out)
    assert early["at"] == "0999-06-01T00:00:00Z" and early["incidents"] == []
    late = json.loads(ea("incidents", "--at", "9999-12-31", "--open", "-f", "json").out)
    assert {i["number"] for i in late["incidents"]} == {"INC0020003", "INC0020004"}  # never ended
    for command in ("incidents", "health", "diagnose"):
        for moment in ("0001-01-01T00:00+01:00", "9999-12-31T23:00-05:00"):
            out = ea(command, "--at", moment)
            assert out.code == 2, (command, moment, out.err)
            assert f"--at {moment!r} is out of the range of dates" in out.err


def test_an_incident_two_sources_attach_to_two_cis_is_listed_on_both(ea, cmdb: Path) -> None:
    # The service desk's list has INC0020003 on ERP; another tool's export has it on CRM.
    assert import_incidents(ea, "incident.csv").code == 0
    second = ea(
        "import", "incidents", DATA / "incident_second_ci.csv", "--preset", "servicenow",
        "--timezone", "Europe/Paris", "--source", "other-desk",
    )  # fmt: skip
    assert second.code == 0, second.err
    listed = json.loads(ea("incidents", "--at", "2026-03-14T10:00Z", "--open", "-f", "json").out)
    on = sorted(i["ci"]["name"] for i in listed["incidents"] if i["number"] == "INC0020003")
    assert on == ["CRM", "ERP"]
    assert listed["open"] == len({i["number"] for i in listed["incidents"]})  # counted once
    # ea diagnose --at takes both as symptoms, as ea health colours both.
    diagnosed = json.loads(ea("diagnose", "--at", "2026-03-14T10:00Z", "-f", "json").out)
    assert {CRM, ERP} <= set(diagnosed["symptoms"])
    health = json.loads(ea("health", "--at", "2026-03-14T10:00Z", "-f", "json").out)
    colour = {e["name"]: "INC0020003" in e["open_incidents"] for e in health["elements"]}
    assert colour["CRM"] and colour["ERP"]


def test_times_are_read_in_the_mapping_timezone_and_kept_in_utc() -> None:
    # Summer time in Paris: UTC+2; a zone written in the cell wins over the mapping's.
    assert parse_datetime("2026-07-01 08:15:00", timezone=PARIS) == "2026-07-01T06:15:00Z"
    assert parse_datetime("2026-07-01T08:15:00Z", timezone=PARIS) == "2026-07-01T08:15:00Z"
    assert parse_datetime("01/07/2026 08:15", dayfirst=True) == "2026-07-01T08:15:00Z"
    with pytest.raises(SourceError) as err:
        mapping_from_text(
            "timezone: Europe/Pariss\nelements: {key: number, name: number, type: Incident}\n",
            "m.yaml",
            load_metamodel(),
        )
    assert "m.yaml:1: timezone 'Europe/Pariss' is not a time zone" in str(err.value.problems[0])


def test_times_a_mapping_leaves_as_written_are_refused(ea, cmdb: Path, tmp_path: Path) -> None:
    problems = tmp_path / "problems.json"
    result = ea(
        "import", "incidents", DATA / "incident.csv", "--mapping", DATA / "plain_times.yaml",
        "--problems", problems,
    )  # fmt: skip
    assert result.code == 2
    found = json.loads(problems.read_text())
    assert (found[0]["line"], found[0]["message"]) == (
        2,
        "INC0020001: opened_at '2026-01-10 09:00:00' is not an ISO 8601 UTC time "
        "(2026-03-14T08:55:00Z)",
    )
    assert incidents(cmdb) == {}


def test_an_alert_without_an_opening_time_is_imported_and_said_so(
    ea, cmdb: Path, tmp_path: Path
) -> None:
    alerts = tmp_path / "alerts.csv"
    alerts.write_text("id,ci,state\nALR-9,vm-crm01,open\n")
    result = ea("import", "incidents", alerts, "--preset", "generic")
    assert result.code == 0, result.err
    assert "without an opening time (opened_at): open since always, until it ends" in " ".join(
        result.out.split()
    )
    assert open_at(cmdb, "2026-03-14T12:00Z") == ["ALR-9"]  # a live alert is never hidden


def test_an_excel_export_with_labels_and_date_cells_reads_the_same(ea, cmdb: Path) -> None:
    result = import_incidents(ea, "incident.xlsx")
    assert result.code == 0, result.err
    found = incidents(cmdb)
    assert {i: f["affects"] for i, f in found.items()} == {
        "INC0020003": ERP,
        "INC0020004": FINANCE,
        "INC0020006": VM_ERP,
    }
    vm = found["INC0020006"]
    assert (vm["opened_at"], vm["resolved_at"], vm["state"]) == (
        "2026-03-14T07:00:00Z",
        "2026-03-14T08:59:59Z",
        "resolved",
    )
    assert found["INC0020003"]["assignment_group"] == "ERP team"


def test_an_export_without_a_ci_column_is_refused_naming_the_columns(ea, cmdb: Path) -> None:
    result = ea("import", "incidents", DATA / "no_ci_column.csv", "--preset", "generic")
    assert result.code == 2
    assert (
        "no_ci_column.csv: no configuration item column: expected 'ci' or 'cmdb_ci'" in result.err
    )
    assert "columns found: id, priority, state, opened" in result.err
    assert incidents(cmdb) == {}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "  incidents:\n    importer: incidents\n    preset: servicenow\n"
            "    files: [incident.csv]\n    timezone: Europe/Pariss\n",
            "ea.yaml:{line}: source 'incidents': timezone 'Europe/Pariss' is not a time zone",
        ),
        (
            "  cmdb:\n    importer: cmdb\n    preset: servicenow\n"
            "    files: [cmdb_ci.csv]\n    unknown_ci: skip\n",
            "ea.yaml:{line}: source 'cmdb': unknown_ci applies to incidents sources only",
        ),
        (
            "  incidents:\n    importer: incidents\n    preset: servicenow\n"
            "    files: [incident.csv]\n    unknown_ci: ignore\n",
            "ea.yaml:{line}: source 'incidents': unknown_ci 'ignore' is not one of error, skip",
        ),
    ],
)
def test_incident_settings_in_ea_yaml_are_checked(
    ea, workspace: Path, source: str, message: str
) -> None:
    config = workspace / "ea.yaml"
    text = config.read_text().replace("sources: {}\n", "") + "sources:\n" + source
    config.write_text(text)
    result = ea("sync")
    assert result.code == 2
    # The line of the setting at fault: the last one written.
    assert message.format(line=len(text.splitlines())) in result.err


def test_an_incident_mapping_without_an_affects_link_is_refused() -> None:
    from ea_repo.importers.incidents import IncidentsImporter

    mm = load_metamodel()
    mapping = mapping_from_text(
        "elements: {key: number, name: number, type: Incident}\n", "mine.yaml", mm
    )
    with pytest.raises(SourceError) as err:
        IncidentsImporter(mapping, mm)
    assert err.value.message == (
        "mine.yaml: an incident mapping needs `elements` with a link of type affects"
    )


def test_a_number_repeated_with_other_values_gets_a_hint_that_works_for_incidents(
    ea, cmdb: Path, tmp_path: Path
) -> None:
    export = tmp_path / "alerts.csv"
    export.write_text(
        "id,ci,state,opened\nALR-1,vm-crm01,open,2026-03-14T08:00Z\n"
        "ALR-1,vm-crm01,resolved,2026-03-14T08:00Z\n",
        encoding="utf-8",
    )
    result = ea("import", "incidents", export, "--preset", "generic")
    assert result.code == 2
    text = " ".join(result.err.split())
    assert "on_duplicate: merge (or first, last) under elements in a mapping of your own" in text
    assert "--on-duplicate" not in text


def test_a_header_only_export_is_refused_and_retires_no_open_incident(
    ea, cmdb: Path, tmp_path: Path
) -> None:
    # A failed export often leaves its header alone. The incidents that are over stay
    # whatever the export says, so with a long history the open ones are a small share of
    # what the source had: the share guard alone let such a run retire them all, silently.
    lines = (DATA / "incident.csv").read_text().splitlines()
    closed = lines[1]  # INC0020001, closed in January
    history = [closed.replace("INC0020001", f"INC00300{n:02d}") for n in range(40)]
    export = tmp_path / "incident.csv"
    export.write_text("\n".join([*lines, *history]) + "\n")
    run = ("import", "incidents", export, "--preset", "servicenow", "--timezone", "Europe/Paris")
    assert ea(*run, "--source", "incidents").code == 0
    before = incidents(cmdb)
    assert open_at(cmdb, "2026-03-14T12:30Z") == ["INC0020003", "INC0020004"]
    export.write_text(lines[0] + "\n")
    result = ea(*run, "--source", "incidents")
    assert result.code == 2
    assert "asserts nothing" in result.err and "--force" in result.err
    assert incidents(cmdb) == before
    # Said on purpose, it goes through.
    forced = ea(*run, "--source", "incidents", "--force")
    assert forced.code == 0, forced.err
    assert open_at(cmdb, "2026-03-14T12:30Z") == []
