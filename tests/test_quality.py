"""`ea quality`: completeness, orphans, stale elements, namesakes and unconfirmed relations,
with known answers on small landscapes, on every backend; the threshold, the trend kept
with each sync run, and the HTML study."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from ea_repo import Repository
from ea_repo.metamodel import load_metamodel
from ea_repo.model import Element, Record, Ref, Relation
from ea_repo.quality import keep, measure, trend
from ea_repo.store import GraphStore
from ea_repo.sync import SyncEngine

DATA = Path(__file__).parent / "data" / "quality"
MM = load_metamodel()


def landscape(store: GraphStore) -> None:
    """Nine elements and six relations, each flaw planted once:

    * cmdb asserts three applications (Billing complete; CRM with a criticality only; "crm",
      CRM's namesake, with nothing), two servers (srv1 complete and in the datacenter, srv2
      bare and nowhere), a datacenter and two capabilities (Sell realised by Billing, Pay by
      nothing), and the relations Billing and CRM runs_on srv1, srv1 located_in DC, Billing
      realizes Sell;
    * a manual edit links crm runs_on srv2 (placed, but no source confirms it);
    * a flow CRM -> Billing and a Location were written with no assertion at all (as a
      copy between stores could leave them): the flow is confirmed by nobody, the
      location never confirmed, so stale.
    """
    engine = SyncEngine(store, MM)
    app = "Application"
    engine.run(
        "cmdb",
        [
            Record.element(
                app,
                "billing",
                "Billing",
                {"owner": "Finance IT", "criticality": "high", "it_owner": "it@example.org"},
            ),
            Record.element(app, "crm", "CRM", {"criticality": "low"}),
            Record.element(app, "crm2", "crm"),
            Record.element(
                "Server", "srv1", "srv1", {"environment": "production", "location": "Paris"}
            ),
            Record.element("Server", "srv2", "srv2"),
            Record.element("Datacenter", "dc", "DC Paris"),
            Record.element("Capability", "sell", "Sell"),
            Record.element("Capability", "pay", "Pay"),
            Record.relation("runs_on", "billing", "srv1"),
            Record.relation("runs_on", "crm", "srv1"),
            Record.relation("located_in", "srv1", "dc"),
            Record.relation("realizes", "billing", "sell"),
        ],
    )
    engine.run("manual", [Record.relation("runs_on", Ref("crm2"), Ref("srv2"))], partial=True)
    with store.transaction():
        store.upsert_elements([Element("lyon", "Location", "Lyon")])  # type: ignore[arg-type]
        store.upsert_relations([Relation("crm", "flow", "billing")])  # type: ignore[arg-type]


def test_known_answers(store: GraphStore) -> None:
    landscape(store)
    report = measure(store, MM)
    types = {t.type: t for t in report.types}
    app = types["Application"]
    assert (app.count, app.expected, app.filled, app.namesakes, app.orphans) == (3, 9, 4, 2, 0)
    # complete 4/9, clean 1/3: 100 × (4/9 + 1/3) / 2
    assert app.score == 38.9
    assert (types["Server"].filled, types["Server"].orphans, types["Server"].score) == (2, 1, 50.0)
    assert types["Capability"].score == 75.0  # nothing to fill; Pay is unsupported
    assert types["Datacenter"].score == 100.0
    assert types["Location"].stale == 1 and types["Location"].score == 50.0
    assert {(f.element.id, f.detail) for f in report.orphans} == {
        ("srv2", "unplaced"),
        ("pay", "unsupported"),
    }
    assert {f.element.id for f in report.namesakes} == {"crm", "crm2"}
    assert [(f.element.id, f.detail) for f in report.stale] == [("lyon", "never")]
    assert {(u.type, u.src, u.dst, u.asserted_by) for u in report.unconfirmed} == {
        ("runs_on", "crm2", "srv2", "manual"),
        ("flow", "crm", "billing", "nobody"),
    }
    assert types["runs_on"].score == 66.7 and types["flow"].score == 0.0
    sources = {s.source: s for s in report.sources}
    assert (sources["cmdb"].elements, sources["cmdb"].expected, sources["cmdb"].filled) == (
        8,
        13,
        6,
    )
    assert sources["manual"].elements == 0
    assert {(g.type, g.attribute, g.missing) for g in report.gaps} == {
        ("Application", "owner", 2),
        ("Application", "criticality", 1),
        ("Application", "it_owner", 2),
        ("Server", "environment", 1),
        ("Server", "location", 1),
    }
    # complete 6/13, clean 4/9, confirmed 4/6: the mean of the three
    assert report.score == round(100 * (6 / 13 + 4 / 9 + 4 / 6) / 3, 1) == 52.4
    # Two hundred days on, nothing has been confirmed for stale_after (180 days).
    later = measure(store, MM, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=200))
    assert len(later.stale) == 9


def test_scope_measures_one_type_and_its_subtypes(store: GraphStore) -> None:
    landscape(store)
    report = measure(store, MM, scope="Node")
    assert [t.type for t in report.types] == ["Server"]  # no relation type either
    assert report.score == 50.0  # complete 2/4, clean 1/2
    assert [f.element.id for f in report.orphans] == ["srv2"]


def test_orphans_follow_the_metamodel_not_type_names(tmp_path: Path) -> None:
    """A workspace metamodel with types of its own: a Workload is placed by `deployed_on`
    (hosting), or by a dependency that takes it down on a deeper layer (`needs` a Site);
    one that only degrades it (`talks_to`) or reaches its own layer (`calls`) places
    nothing."""
    path = tmp_path / "mm.yaml"
    path.write_text(
        "element_types:\n"
        "  Workload: {layer: application}\n"
        "  Host: {layer: technology}\n"
        "  Site: {layer: physical}\n"
        "  Goal: {layer: strategy}\n"
        "relationship_types:\n"
        "  deployed_on: {from: Workload, to: Host, dependent: source, hosting: true}\n"
        "  talks_to: {from: Workload, to: Host, dependent: source, impact: degraded}\n"
        "  calls: {from: Workload, to: Workload, dependent: source}\n"
        "  needs: {from: Workload, to: Site, dependent: source}\n"
        "  serves: {from: Workload, to: Goal, dependent: target}\n"
    )
    mm = load_metamodel(path)
    from ea_repo.store import SQLiteStore

    store = SQLiteStore(tmp_path / "repository.db")
    SyncEngine(store, mm).run(
        "src",
        [
            Record.element("Workload", "w1", "w1"),
            Record.element("Workload", "w2", "w2"),
            Record.element("Host", "h1", "h1"),
            Record.element("Workload", "w3", "w3"),
            Record.element("Site", "s1", "s1"),
            Record.element("Goal", "g1", "g1"),
            Record.element("Goal", "g2", "g2"),
            Record.relation("deployed_on", "w1", "h1"),
            Record.relation("talks_to", "w2", "h1"),
            Record.relation("calls", "w2", "w1"),
            Record.relation("needs", "w3", "s1"),
            Record.relation("serves", "w1", "g1"),
        ],
    )
    report = measure(store, mm)
    # Host and Site stand on nothing in this metamodel: no hosting relation places them.
    assert [(f.element.id, f.detail) for f in report.orphans] == [
        ("g2", "unsupported"),
        ("w2", "unplaced"),
    ]
    store.close()


@pytest.fixture
def synced(workspace: Path) -> Path:
    """A workspace whose ea.yaml declares a ServiceNow source over copies of tests/data/quality."""
    exports = workspace / "exports"
    exports.mkdir()
    for name in ("cmdb_ci.csv", "cmdb_rel_ci.csv"):
        shutil.copy(DATA / name, exports / name)
    config = workspace / "ea.yaml"
    config.write_text(
        config.read_text().replace(
            "sources: {}\n",
            "sources:\n  cmdb:\n    importer: cmdb\n    preset: servicenow\n"
            "    files: [exports/cmdb_ci.csv, exports/cmdb_rel_ci.csv]\n",
        )
    )
    return workspace


def test_cli_scores_the_export_and_fails_under(ea, synced: Path) -> None:
    assert ea("sync").code == 0
    data = json.loads(ea("quality", "-f", "json").out)
    # Applications: 3 of 9 values (Billing: owner and criticality; CRM: criticality);
    # servers 2 of 4: complete 5/13. Clean: Billing, srv1 and the datacenter (crm and CRM
    # are namesakes, crm and srv2 stand on nothing): 3/6. Every relation is the export's.
    assert data["shares"] == {"completeness": 5 / 13, "clean": 0.5, "confirmed": 1.0}
    assert data["score"] == round(100 * (5 / 13 + 0.5 + 1) / 3, 1) == 62.8
    assert ea("quality", "--fail-under", "62").code == 0
    below = ea("quality", "--fail-under", "63")
    assert below.code == 1 and "alarm: the score 62.8 is below 63" in below.out
    assert ea("quality", "--type", "server", "--fail-under", "50").code == 0
    wrong = ea("quality", "--fail-under", "150")
    assert wrong.code == 2 and "not a score" in wrong.err
    unknown = ea("quality", "--type", "Servr")
    assert unknown.code == 2 and "Server" in unknown.err


def test_the_trend_after_two_syncs(ea, synced: Path) -> None:
    assert ea("sync").code == 0
    # The second export gives srv2 its environment and location.
    ci = synced / "exports" / "cmdb_ci.csv"
    ci.write_text(
        ci.read_text().replace('cmdb_ci_linux_server","",""', 'cmdb_ci_linux_server","Test","Lyon"')
    )
    assert ea("sync").code == 0
    data = json.loads(ea("quality", "-f", "json").out)
    scores = [p["score"] for p in data["trend"]]
    assert scores == [62.8, round(100 * (7 / 13 + 0.5 + 1) / 3, 1)]
    assert scores[-1] == data["score"]
    with Repository.open(synced) as repo:
        runs = repo.store.runs(status="succeeded")
        # kept in the run's stats beside its counts, which stay as they were
        assert runs[0].stats["quality"]["score"] == scores[-1]
        assert runs[0].stats["elements"]["changed"] == 1
    table = ea("quality").out
    assert "trend (kept with each sync run)" in table


def test_an_import_keeps_its_figures_and_a_dry_run_none(ea, workspace: Path) -> None:
    files = [DATA / "cmdb_ci.csv", DATA / "cmdb_rel_ci.csv"]
    assert ea("import", "cmdb", *files, "--preset", "servicenow", "--dry-run").code == 0
    with Repository.open(workspace) as repo:
        assert trend(repo.store) == []
    assert ea("import", "cmdb", *files, "--preset", "servicenow").code == 0
    with Repository.open(workspace) as repo:
        assert [p.figures["score"] for p in trend(repo.store)] == [62.8]


def test_keep_amends_a_finished_run_only_by_its_stats(store: GraphStore) -> None:
    landscape(store)
    before = store.runs(source="cmdb")[0]
    keep(store, MM, before.id)
    after = store.runs(source="cmdb")[0]
    assert (after.status, after.finished_at, after.message) == (
        before.status,
        before.finished_at,
        before.message,
    )
    assert {k: v for k, v in after.stats.items() if k != "quality"} == dict(before.stats)
    assert after.stats["quality"]["score"] == 52.4
    assert "carried_from" not in after.stats["quality"]  # Lyon is stale: never carried
    assert [p.run for p in trend(store)] == [before.id]


def test_the_study_is_escaped_and_draws_the_trend(ea, synced: Path, tmp_path: Path) -> None:
    assert ea("sync").code == 0
    assert ea("sync").code == 0
    out = tmp_path / "q.html"
    assert ea("report", "quality", "-o", out).code == 0
    html = out.read_text()
    assert "<script>alert(1)</script>" not in html
    assert "srv2 &lt;script&gt;alert(1)&lt;/script&gt;" in html  # an orphan, listed
    svg = re.search(r"<svg[^>]*aria-label=\"quality score per sync run\".*?</svg>", html, re.S)
    assert svg is not None and svg.group(0).count("<circle") == 2
    assert "62.8 / 100" in html


def quality_of_runs(root: Path) -> list[dict]:
    """The quality figures kept with each run that has them, oldest first."""
    with Repository.open(root) as repo:
        runs = repo.store.runs()[::-1]
    return [{"run": r.id, **r.stats["quality"]} for r in runs if "quality" in r.stats]


def test_an_unchanged_sync_carries_the_figures_a_change_measures_again(ea, synced: Path) -> None:
    assert ea("sync").code == 0
    assert ea("sync").code == 0  # unchanged: the figures still hold
    first, second = quality_of_runs(synced)
    assert "carried_from" not in first and second["carried_from"] == first["run"]
    assert {k: v for k, v in second.items() if k not in ("run", "carried_from")} == {
        k: v for k, v in first.items() if k != "run"
    }
    assert ea("sync").code == 0  # carried again, from the run that measured them
    assert quality_of_runs(synced)[-1]["carried_from"] == first["run"]
    # A manual edit between two syncs changes the repository: the next sync measures.
    assert ea("add", "Application", "--name", "Payroll").code == 0
    assert ea("sync").code == 0
    last = quality_of_runs(synced)[-1]
    assert "carried_from" not in last and last["elements"] == 7
    # Two hundred days on, every element is stale: measured again, not carried.
    with Repository.open(synced) as repo:
        run = repo.store.runs(source="cmdb")[0].id
        later = keep(repo.store, MM, run, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=200))
    assert "carried_from" not in later and later["stale"] == 7


def test_a_repository_never_synced_has_no_trend_yet(ea, workspace: Path, tmp_path: Path) -> None:
    assert ea("add", "Capability", "--name", "Sell").code == 0
    data = json.loads(ea("quality", "-f", "json").out)
    assert data["trend"] == [] and [o["name"] for o in data["orphans"]] == ["Sell"]
    assert "no trend yet" in ea("quality").out
    out = tmp_path / "q.html"
    assert ea("report", "quality", "-o", out).code == 0
    assert "No trend yet" in out.read_text() and "<svg" not in out.read_text()


def test_a_failure_to_keep_the_figures_leaves_the_run_standing(
    ea, synced: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures are written after the run: the store failing then (locked, full) loses
    them, not the run nor its report."""
    from ea_repo import quality
    from ea_repo.errors import StoreLockedError

    def locked(*args: object, **kwargs: object) -> None:
        raise StoreLockedError("the database is locked")

    monkeypatch.setattr(quality, "measure", locked)
    result = ea("sync", "--json")
    assert result.code == 0, result.err
    (outcome,) = json.loads(result.out)["sources"]
    assert outcome["status"] == "ok"
    assert any("quality figures not kept" in n for n in outcome["notes"])
    files = [synced / "exports" / "cmdb_ci.csv", synced / "exports" / "cmdb_rel_ci.csv"]
    imported = ea("import", "cmdb", *files, "--preset", "servicenow", "--force")
    assert imported.code == 0, imported.err
    assert "quality figures not kept" in imported.out + imported.err
    with Repository.open(synced) as repo:
        runs = repo.store.runs()
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert all("quality" not in r.stats for r in runs)


def test_keep_reads_the_latest_runs_once_not_the_whole_history(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At every sync the figures are a run back: the runs read are a page of the latest
    ones, once, however long the history."""
    landscape(store)
    for _ in range(40):
        old = store.start_run("other")
        store.finish_run(old.id, "succeeded", {})
    first = store.runs()[0].id
    keep(store, MM, first)
    run = store.start_run("other")
    store.finish_run(run.id, "succeeded", {})
    asked: list[dict] = []
    runs = store.runs

    def counted(*args: object, **kwargs: object) -> list:
        asked.append(kwargs)
        return runs(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "runs", counted)
    figures = keep(store, MM, run.id)
    assert [a.get("limit") for a in asked] == [16]
    assert figures["score"] == 52.4 and store.runs(limit=1)[0].stats["quality"] == figures
    # `ea quality` reads the trend the same way: the runs back to its last point.
    asked.clear()
    assert [p.run for p in trend(store, limit=2)] == [first, run.id]
    assert asked == [{"status": "succeeded", "limit": 16}]
