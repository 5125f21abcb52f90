"""`ea import`, `ea sync`: scheduled, idempotent, guarded, locked, atomic — on real export files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ea_repo import Repository
from ea_repo.model import EVERYTHING
from tests.checkpoints import EaProcess

DATA = Path(__file__).parent / "data" / "sync"
WEB04 = "b0000000000000000000000000000005"

SOURCES = """
sources:
  cmdb:
    importer: cmdb
    preset: servicenow
    files: [exports/cmdb_ci.csv, exports/cmdb_rel_ci.csv]
    on_missing: retire
    max_missing: 20%
"""


@pytest.fixture
def synced(workspace: Path) -> Path:
    """A workspace whose ea.yaml declares a ServiceNow source over copies of the test exports."""
    exports = workspace / "exports"
    exports.mkdir()
    for name in ("cmdb_ci.csv", "cmdb_rel_ci.csv"):
        shutil.copy(DATA / name, exports / name)
    config = workspace / "ea.yaml"
    config.write_text(config.read_text().replace("sources: {}\n", SOURCES))
    return workspace


def drop_rows(path: Path, *needles: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not any(n in line for n in needles)))


def statuses(root: Path) -> dict[str, str]:
    with Repository.open(root) as repo:
        return {e.id: e.status.value for e in repo.store.iter_elements(EVERYTHING)}


def test_sync_twice_changes_nothing(ea, synced: Path) -> None:
    first = ea("sync", "--json")
    assert first.code == 0, first.err
    summary = json.loads(first.out)
    assert summary["ok"] is True
    assert summary["sources"][0]["elements"]["added"] == 8
    assert summary["sources"][0]["relations"]["added"] == 6
    second = json.loads(ea("sync", "--json").out)["sources"][0]
    assert second["elements"] == {
        "added": 0,
        "changed": 0,
        "revived": 0,
        "unchanged": 8,
        "missing": 0,
    }
    assert second["relations"]["unchanged"] == 6
    with Repository.open(synced) as repo:
        app = repo.element("a0000000000000000000000000000001")
        assert (app.type, app.name) == ("Application", "Order Management")
        assert repo.element("b0000000000000000000000000000001").attrs["cpu_count"] == 8
        assert {r.source for r in repo.store.runs()} == {"cmdb"}


def _last_seen(root: Path) -> set[int]:
    with Repository.open(root) as repo:
        ids = [e.id for e in repo.store.iter_elements(EVERYTHING)]
        return {a.last_run for a in repo.store.assertions("element", ids)}


def test_unchanged_files_are_confirmed_without_being_read_again(
    ea, synced: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ea_repo import sources

    assert ea("sync").code == 0
    read = sources.read_source
    calls: list[str] = []

    def counting(spec, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(spec.name)
        return read(spec, *args, **kwargs)

    monkeypatch.setattr(sources, "read_source", counting)
    dry = json.loads(ea("sync", "--json", "--dry-run").out)["sources"][0]
    assert dry["applied"] is False and dry["elements"]["unchanged"] == 8
    assert _last_seen(synced) == {1}  # a dry run confirms nothing
    second = json.loads(ea("sync", "--json").out)["sources"][0]
    assert calls == []  # the same bytes, the same repository: nothing to read
    assert second["elements"]["unchanged"] == 8 and second["relations"]["unchanged"] == 6
    assert _last_seen(synced) == {second["run"]}  # every assertion confirmed by the new run

    # Another source adds an element no reference of the source can meet: still no read.
    assert ea("add", "Application", "--name", "New App").code == 0
    assert json.loads(ea("sync", "--json").out)["sources"][0]["elements"]["unchanged"] == 8
    assert calls == []
    # Another element now bears the name of an end of the source's relations: read again.
    assert ea("add", "Application", "--name", "Order Management").code == 0
    third = json.loads(ea("sync", "--json").out)["sources"][0]
    assert calls == ["cmdb"] and third["elements"]["unchanged"] == 8
    assert json.loads(ea("sync", "--json").out)["sources"][0]["run"] == third["run"] + 1
    assert calls == ["cmdb"]  # and after that run, the shortcut holds again

    # One byte changed in an export: read again, and the change found.
    ci = synced / "exports" / "cmdb_ci.csv"
    ci.write_text(ci.read_text().replace("Order Management", "Order Management 2"))
    fourth = json.loads(ea("sync", "--json").out)["sources"][0]
    assert calls == ["cmdb", "cmdb"] and fourth["elements"]["changed"] == 1


def test_a_server_removed_from_the_export_is_retired_then_revived(ea, synced: Path) -> None:
    assert ea("sync").code == 0
    ci = synced / "exports" / "cmdb_ci.csv"
    original = ci.read_text()
    drop_rows(ci, WEB04)
    out = ea("sync", "--json")
    assert out.code == 0, out.err
    assert json.loads(out.out)["sources"][0]["elements"]["missing"] == 1
    assert statuses(synced)[WEB04] == "retired"
    assert WEB04 not in ea("find", "--type", "Server").out
    ci.write_text(original)
    back = json.loads(ea("sync", "--json").out)["sources"][0]
    assert back["elements"]["revived"] == 1
    assert statuses(synced)[WEB04] == "active"
    history = json.loads(ea("history", WEB04, "-f", "json").out)
    assert [h["op"] for h in history] == ["added", "retired", "revived"]


def test_a_relation_to_a_retired_server_is_retired_with_it_and_said(ea, synced: Path) -> None:
    assert ea("sync").code == 0
    webshop = "a0000000000000000000000000000002"
    assert ea("link", webshop, "runs_on", WEB04).code == 0  # by hand: source "manual"
    ci = synced / "exports" / "cmdb_ci.csv"
    original = ci.read_text()
    drop_rows(ci, WEB04)
    out = ea("sync")
    assert out.code == 0, out.err
    assert "1 relation(s) retired with an element this run retired" in out.out
    sources = {s["source"]: s for s in json.loads(ea("status", "-f", "json").out)["sources"]}
    assert sources["cmdb"]["changes"]["relations_with_elements"] == {"retired": 1}
    with Repository.open(synced) as repo:
        (rel,) = repo.store.relations_of([WEB04], EVERYTHING)
        assert rel.status.value == "retired"
        assert repo.store.relations_of([webshop], types=["runs_on"]) != []
        assert WEB04 not in {r.dst for r in repo.store.relations_of([webshop])}
    ci.write_text(original)
    back = ea("sync")
    assert "1 relation(s) a source still asserts revived with their element" in back.out
    with Repository.open(synced) as repo:
        assert repo.store.relations_of([WEB04])[0].src == webshop


def test_a_truncated_export_trips_the_guard(ea, synced: Path) -> None:
    assert ea("sync").code == 0
    drop_rows(synced / "exports" / "cmdb_ci.csv", "web0", "oms-app01")
    drop_rows(synced / "exports" / "cmdb_rel_ci.csv", "web0", "oms-app01")
    refused = ea("sync")
    assert refused.code == 1
    assert "would remove" in refused.err and "--force" in refused.err
    assert set(statuses(synced).values()) == {"active"}
    dry = ea("sync", "--dry-run", "--json")
    assert "would remove" in json.loads(dry.out)["sources"][0]["refused"]
    assert ea("sync", "--force").code == 0
    assert list(statuses(synced).values()).count("retired") == 5


def test_one_broken_row_writes_nothing_and_names_the_row(ea, synced: Path) -> None:
    ci = synced / "exports" / "cmdb_ci.csv"
    ci.write_text(ci.read_text().replace('9.4,4,"16,384",CZ100003', '9.4,many,"16,384",CZ100003'))
    result = ea("sync")
    assert result.code == 1
    assert "cmdb_ci.csv:6:" in result.err  # web02, the fifth data row under the header
    assert "cpu_count" in result.err
    assert statuses(synced) == {}


def test_a_failed_sync_is_a_run_that_status_and_history_show(ea, synced: Path) -> None:
    ci = synced / "exports" / "cmdb_ci.csv"
    good = ci.read_text()
    ci.write_text(good.replace('9.4,4,"16,384",CZ100003', '9.4,many,"16,384",CZ100003'))
    assert ea("sync").code == 1
    (source,) = json.loads(ea("status", "-f", "json").out)["sources"]
    assert source["last_success"] is None
    failed = source["last_run"]
    assert (failed["status"], failed["problems"]) == ("failed", 1)
    assert failed["first_problem"].startswith(f"{ci}:6:")
    assert "nothing was written" in failed["message"]
    (listed,) = json.loads(ea("history", "-f", "json").out)
    assert (listed["status"], listed["stats"]["problems"]) == ("failed", 1)
    alarm = ea("status", "--fail-on", "failed")
    assert alarm.code == 1 and "alarm: cmdb: last run failed #1" in alarm.out
    assert "1 problem(s), first:" in alarm.out
    # A success, then a run the guard refuses: the success stays the last success.
    ci.write_text(good)
    assert ea("sync").code == 0
    assert ea("status", "--fail-on", "failed", "--fail-on", "stale").code == 0
    drop_rows(ci, "web0", "oms-app01")
    assert ea("sync").code == 1
    (source,) = json.loads(ea("status", "-f", "json").out)["sources"]
    assert source["last_run"]["status"] == "refused"
    assert "would remove" in source["last_run"]["message"]
    assert source["last_success"] is not None and source["age_days"] < 1
    assert ea("status", "--fail-on", "failed").code == 1
    # The same refused input again is refused again, not taken for the last success's.
    again = ea("sync", "--json")
    assert again.code == 1 and json.loads(again.out)["sources"][0]["status"] == "refused"
    with Repository.open(synced) as repo:
        assert [r.status for r in repo.store.runs()] == [
            "refused",
            "refused",
            "succeeded",
            "failed",
        ]


def test_a_missing_export_is_a_failed_run(ea, synced: Path) -> None:
    (synced / "exports" / "cmdb_rel_ci.csv").unlink()
    assert ea("sync").code == 1
    (source,) = json.loads(ea("status", "-f", "json").out)["sources"]
    assert source["last_run"]["status"] == "failed"
    assert "cmdb_rel_ci.csv: file not found" in source["last_run"]["message"]


def test_an_export_that_is_a_folder_is_said_to_be_one(ea, synced: Path) -> None:
    rel = synced / "exports" / "cmdb_rel_ci.csv"
    rel.unlink()
    rel.mkdir()
    result = ea("sync")
    assert result.code == 1
    assert "cmdb_rel_ci.csv: a folder, not a file" in result.err


def test_a_second_sync_waits_for_none(ea, synced: Path) -> None:
    from filelock import FileLock

    with FileLock(str(synced / ".ea" / "sync.lock")):
        result = ea("sync")
        imported = ea("import", "cmdb", DATA / "cmdb_ci.csv", "--preset", "servicenow")
    assert result.code == 4
    assert "another sync or edit" in result.err
    assert imported.code == 4  # an import does not queue behind a sync either
    assert statuses(synced) == {}


def test_a_manual_edit_gives_up_after_its_wait_and_changes_nothing(
    ea, synced: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from filelock import FileLock

    monkeypatch.setattr("ea_repo.sources.MANUAL_EDIT_WAIT", 0.3)  # 10 s by default
    with FileLock(str(synced / ".ea" / "sync.lock")):  # a sync holds it
        added = ea("add", "Application", "--id", "crm")
    assert added.code == 4
    assert "another sync or edit" in added.err and "waited 0.3 s" in added.err
    assert statuses(synced) == {}


def test_a_sync_killed_mid_run_leaves_the_repository_unchanged(ea, synced: Path) -> None:
    assert ea("sync").code == 0
    before = statuses(synced)
    drop_rows(synced / "exports" / "cmdb_ci.csv", WEB04)
    # A real process, killed with SIGKILL after the upserts, inside the write transaction.
    script = textwrap.dedent(
        f"""
        import os, signal
        from ea_repo.store.sqlite import SQLiteStore
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        SQLiteStore.log_changes = die
        from ea_repo.cli import main
        main(["sync", "--workspace", {str(synced)!r}])
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9
    assert statuses(synced) == before
    again = json.loads(ea("sync", "--json").out)
    assert again["sources"][0]["elements"]["missing"] == 1  # the next run converges


def test_ad_hoc_import_and_its_errors(ea, workspace: Path) -> None:
    ci, rel = DATA / "cmdb_ci.csv", DATA / "cmdb_rel_ci.csv"
    dry = ea("import", "cmdb", ci, rel, "--preset", "servicenow", "--dry-run")
    assert dry.code == 0 and "dry run, nothing written" in dry.out
    assert statuses(workspace) == {}
    assert ea("import", "cmdb", ci, rel, "--preset", "servicenow", "--source", "snow").code == 0
    with Repository.open(workspace) as repo:
        assert repo.store.asserted_ids("snow", "relation")
    no_mapping = ea("import", "cmdb", ci)
    assert no_mapping.code == 2 and "preset or a mapping" in no_mapping.err
    missing = ea("import", "cmdb", workspace / "nope.csv", "--preset", "servicenow")
    assert missing.code == 2 and "nope.csv: file not found" in missing.err


def test_sources_in_ea_yaml_are_checked(ea, workspace: Path) -> None:
    config = workspace / "ea.yaml"
    config.write_text(
        config.read_text().replace(
            "sources: {}\n",
            "sources:\n  cmdb:\n    importer: cmdb\n    preset: servicenow\n    fils: [a.csv]\n",
        )
    )
    result = ea("sync")
    assert result.code == 2
    assert "ea.yaml:" in result.err and "unknown setting 'fils'" in result.err
    assert "did you mean 'file" in result.err


def test_import_eol_links_software_to_real_lifecycle_dates(ea, workspace: Path) -> None:
    ea(
        "add",
        "SystemSoftware",
        "--id",
        "ora",
        "--set",
        "product=Oracle Database",
        "--set",
        "version=12.1.0.2",
    )
    ea(
        "add",
        "SystemSoftware",
        "--id",
        "odd",
        "--set",
        "product=Homegrown Scheduler",
        "--set",
        "version=3",
    )
    result = ea("import", "eol", "-f", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["elements"]["added"] == 1
    with Repository.open(workspace) as repo:
        release = repo.element("eol:oracle-database:12.1")
        # from the shipped endoflife.date snapshot
        assert (release.attrs["end_of_life"], release.attrs["extended_support_end"]) == (
            "2018-07-31",
            "2022-07-31",
        )
        assert repo.store.get_relations(["ora|instance_of|eol:oracle-database:12.1"])
    table = ea("import", "eol", "--dry-run").out
    assert "unmatched (1)" in table and "Homegrown Scheduler" in table


def test_lifecycle_dates_reach_software_a_later_cmdb_run_added(ea, workspace: Path) -> None:
    # The eol source's records are made from the software the repository holds: its input
    # files unchanged (none: the shipped snapshot), it must still be read after the CMDB
    # brought a new database — not confirmed as it was.
    exports = workspace / "exports"
    exports.mkdir()
    ci = exports / "cmdb_ci.csv"
    rows = (DATA.parent / "eol" / "servicenow_cmdb_ci.csv").read_text().splitlines()
    oracle = next(r for r in rows if "ss-oraprd" in r)
    ci.write_text("\n".join(r for r in rows if r != oracle) + "\n")
    config = workspace / "ea.yaml"
    config.write_text(
        config.read_text().replace(
            "sources: {}\n",
            "sources:\n  cmdb:\n    importer: cmdb\n    preset: servicenow\n"
            "    files: [exports/cmdb_ci.csv]\n  eol:\n    importer: eol\n",
        )
    )
    assert ea("sync").code == 0
    with Repository.open(workspace) as repo:
        assert not repo.store.get_elements(["eol:oracle-database:12.1"])
    ci.write_text(ci.read_text() + oracle + "\n")
    result = ea("sync", "--json")
    assert result.code == 0, result.err
    eol = json.loads(result.out)["sources"][1]
    assert eol["source"] == "eol" and eol["elements"]["added"] == 1
    with Repository.open(workspace) as repo:
        assert repo.store.get_relations(["ss-oraprd|instance_of|eol:oracle-database:12.1"])


# -- a manual edit racing a sync (real processes, held at named checkpoints) ---------

OMS_APP01 = "b0000000000000000000000000000001"


def _change_cpu_in_export(root: Path) -> None:
    """The next export says oms-app01 has 16 CPUs (8 before)."""
    path = root / "exports" / "cmdb_ci.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(
        "".join(
            line.replace('7.9,8,"32,768"', '7.9,16,"32,768"') if OMS_APP01 in line else line
            for line in lines
        )
    )


def _edit(root: Path) -> list[str]:
    return ["add", "Server", "--id", OMS_APP01, "--update", "--set", "owner=ops", "-w", str(root)]


def _both_kept_and_a_resync_changes_nothing(ea, root: Path) -> None:
    with Repository.open(root) as repo:
        server = repo.element(OMS_APP01)
        assert (server.attrs["cpu_count"], server.attrs["owner"]) == (16, "ops")
    again = json.loads(ea("sync", "--json").out)["sources"][0]
    for kind in ("elements", "relations"):
        moved = {k: n for k, n in again[kind].items() if k != "unchanged" and n}
        assert moved == {}, (kind, again)
    with Repository.open(root) as repo:
        assert repo.element(OMS_APP01).attrs["cpu_count"] == 16


def test_a_manual_edit_during_a_sync_waits_for_it(ea, synced: Path, tmp_path: Path) -> None:
    assert ea("sync").code == 0
    _change_cpu_in_export(synced)
    sync = EaProcess(tmp_path / "sync", "sync", "-w", str(synced), stop="sync.planned")
    sync.wait_for("sync.planned")  # planned inside its write transaction, not committed
    edit = EaProcess(tmp_path / "edit", *_edit(synced))
    edit.wait_for("manual.locking")
    time.sleep(0.5)
    assert edit.proc.poll() is None  # the edit waits for the sync's lock...
    assert not (edit.folder / "manual.read.reached").exists()
    sync.release("sync.planned")
    assert sync.finish()[0] == 0
    code, _, err = edit.finish()
    assert code == 0, err  # ...then reads what the sync wrote
    _both_kept_and_a_resync_changes_nothing(ea, synced)


def test_a_sync_during_a_manual_edit_is_refused_then_applies(
    ea, synced: Path, tmp_path: Path
) -> None:
    assert ea("sync").code == 0
    _change_cpu_in_export(synced)
    edit = EaProcess(tmp_path / "edit", *_edit(synced), stop="manual.read")
    edit.wait_for("manual.read")  # the edit has read oms-app01 (8 CPUs), not written
    sync = EaProcess(tmp_path / "sync", "sync", "--json", "-w", str(synced))
    code, out, err = sync.finish()
    assert code == 4 and "another sync or edit" in err  # it would have been overwritten
    assert json.loads(out)["ok"] is False  # the scheduler still reads JSON
    edit.release("manual.read")
    assert edit.finish()[0] == 0
    assert ea("sync").code == 0  # the scheduler's retry
    _both_kept_and_a_resync_changes_nothing(ea, synced)


def test_a_locked_database_is_a_clear_error_after_one_wait(
    ea, synced: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from ea_repo.store.sqlite import SQLiteStore

    config = synced / "ea.yaml"  # a second source: still one wait for the whole sync
    config.write_text(
        config.read_text()
        + "  again:\n    importer: cmdb\n    preset: servicenow\n"
        + "    files: [exports/cmdb_ci.csv]\n"
    )
    assert ea("sync").code == 0
    monkeypatch.setattr(SQLiteStore, "busy_timeout", 2.0)  # 30 s by default
    other = sqlite3.connect(synced / ".ea" / "repository.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write transaction (a backup, a shell)
    try:
        added = ea("add", "Application", "--id", "crm")
        started = time.monotonic()
        synced_json = ea("sync", "--json")
        waited = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert added.code == 3
    assert "is locked: another process has held a write transaction" in added.err
    assert "internal error" not in added.err + synced_json.err
    assert synced_json.code == 3
    summary = json.loads(synced_json.out)
    assert summary["ok"] is False
    assert [("is locked" in s["error"]) for s in summary["sources"]] == [True, True]
    assert waited < 3.9  # one wait of 2 s, not one per source (4 s)
    assert ea("add", "Application", "--id", "crm").code == 0  # and nothing is stuck after


@pytest.mark.parametrize("shape", ["folder", "dangling link"])
def test_a_lock_file_that_is_not_a_file_is_a_clear_error(ea, synced: Path, shape: str) -> None:
    lock = synced / ".ea" / "sync.lock"
    lock.unlink(missing_ok=True)
    if shape == "folder":
        lock.mkdir()
    else:
        lock.symlink_to(synced / "nowhere" / "sync.lock")
    for args in (["sync"], ["add", "Application", "--id", "crm"]):
        result = ea(*args)
        assert result.code == 2, result.err
        assert f"the lock file {lock} is not a plain file" in result.err
        assert "internal error" not in result.err


def test_a_sync_killed_at_each_checkpoint_leaves_the_repository_as_before(
    ea, synced: Path, tmp_path: Path
) -> None:
    import signal

    assert ea("sync").code == 0
    before = statuses(synced)
    drop_rows(synced / "exports" / "cmdb_ci.csv", WEB04)
    for point in ("sync.read", "sync.planned", "sync.written", "sync.before-commit"):
        sync = EaProcess(tmp_path / point, "sync", "-w", str(synced), stop=point)
        sync.wait_for(point)
        sync.proc.send_signal(signal.SIGKILL)
        assert sync.finish()[0] == -signal.SIGKILL
        assert statuses(synced) == before, point
        with Repository.open(synced) as repo:
            assert [r.status for r in repo.store.runs()] == ["succeeded"], point
    assert json.loads(ea("sync", "--json").out)["sources"][0]["elements"]["missing"] == 1
