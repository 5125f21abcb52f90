"""Import benchmark: ServiceNow exports through the real pipeline, first import and re-sync.

Run by ``make bench``::

    .venv/bin/python benchmarks/bench_import.py [--elements N] [--relations M] [--seed S]
                                                [--interfaces K] [--dir DIR] [--no-touch]
                                                [--json PATH]

It writes the exports with ``generate.py`` (a ServiceNow ``cmdb_ci`` export of
N CIs, a ``cmdb_rel_ci`` export of M relationships and an interface catalog)
into a temporary workspace, or copies them from ``--dir``, then measures in one
run:

a. reading: ``CmdbImporter.read`` of the two files with the ServiceNow preset
   (tables, then records), and a bare ``csv.reader`` pass for comparison;
b. the first import, through ``run_source`` on a fresh workspace (what
   ``ea import cmdb FILES --preset servicenow`` does), split into reading,
   validation, diff and writing (target: 30 s at 100 000 + 300 000);
c. the re-sync of the unchanged files with ``sync_all`` (what ``ea sync``
   does), in a freshly opened repository (target: 15 s): byte-identical
   input in an unchanged repository is confirmed without reading the files;
   c'. the same re-sync with the files read again, as when another source
   changed the repository in between (every record recognised by its digest);
d. a re-sync after touching 1 % of the CI rows (a changed description) and
   1 % of the relationship rows (VMs moved to another host);

and the interface catalog's first import and re-sync (informative).

The figures of issue 20 come from the same run, on the same files: the bare
baseline (``csv.reader`` + ``sqlite3`` ``executemany`` of every row of the
three files into plain tables), then the CMDB first import, the catalog
first import and the unchanged CMDB re-sync after the catalog ran, each in
a child process of its own whose peak RSS (``VmHWM``) is its step's
alone, each printed as a ratio to the baseline; and the bytes the
repository spends per element, relation, assertion and change row (the
``dbstat`` table). ``--profile DIR`` writes a cProfile of each child step.
Benchmarks report, they do not gate: the exit code is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ea_repo.config import init_workspace
from ea_repo.errors import EaError
from ea_repo.importers.cmdb import CmdbImporter
from ea_repo.importers.presets import load_preset
from ea_repo.importers.tabular import read_table
from ea_repo.metamodel import load_metamodel
from ea_repo.repository import Repository
from ea_repo.runtime import gc_paused
from ea_repo.sources import (
    input_digest,
    read_source,
    run_source,
    source_specs,
    sync_all,
    sync_lock,
)
from ea_repo.sync import SyncEngine, SyncResult

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts and benchkit
import benchkit  # noqa: E402

FIRST_TARGET_S = 30.0
RESYNC_TARGET_S = 15.0
TOUCH_SHARE = 0.01


gen = benchkit.sibling("generate")


# -- the workspace --------------------------------------------------------------

WORKSPACE_SOURCES = """
sources:
  cmdb:
    importer: cmdb
    preset: servicenow
    files: [exports/{ci}, exports/{rel}]
"""
INTERFACES_SOURCE = """
  interfaces:
    importer: flows
    files: [exports/{interfaces}]
"""


def make_workspace(root: Path, exports: Path, with_interfaces: bool) -> Path:
    """A fresh workspace whose ``ea.yaml`` declares the exports (copied in) as sources."""
    ws = init_workspace(root)
    target = ws / "exports"
    target.mkdir()
    names = [gen.CI_FILE, gen.REL_FILE] + ([gen.INTERFACES_FILE] if with_interfaces else [])
    for name in names:
        shutil.copyfile(exports / name, target / name)
    config = ws / "ea.yaml"
    text = config.read_text(encoding="utf-8").replace("sources: {}\n", "")
    text += WORKSPACE_SOURCES.format(ci=gen.CI_FILE, rel=gen.REL_FILE)
    if with_interfaces:
        text += INTERFACES_SOURCE.format(interfaces=gen.INTERFACES_FILE)
    config.write_text(text, encoding="utf-8")
    return ws


class StageClock:
    """A sync progress callback that splits a run into read, validate, diff and write."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.marks: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        # The first call of a stage starts it, any later one ends it (a stage with
        # nothing to do reports 0 of 0 twice).
        now = time.perf_counter()
        if f"{stage}-start" not in self.marks:
            self.marks[f"{stage}-start"] = now
        else:
            self.marks[f"{stage}-end"] = now

    def stages(self, end: float) -> dict[str, float]:
        m = self.marks
        v0, v1 = m.get("validating-start", end), m.get("validating-end", end)
        w0, w1 = m.get("writing-start", end), m.get("writing-end", end)
        return {
            "read": v0 - self.t0,
            "validate": v1 - v0,
            "diff": w0 - v1,
            "write": w1 - w0,
        }


def timed_run(call: Callable[[StageClock], SyncResult | None]) -> dict[str, Any]:
    """Run ``call`` with a stage clock; the figures of the run, or its error."""
    cpu = time.process_time()
    clock = StageClock()
    try:
        result = call(clock)
        error = None
    except EaError as exc:
        result, error = None, exc
    end = time.perf_counter()
    figures: dict[str, Any] = {
        "seconds": end - clock.t0,
        # this process's CPU time: steadier than the clock on a shared machine
        "cpu_seconds": time.process_time() - cpu,
        "stages": clock.stages(end),
        "peak_rss_mb": benchkit.peak_rss_mb(),
    }
    if result is not None:
        figures["summary"] = result.summary()
    if error is not None:
        figures["error"] = error.message
        figures["problems"] = [str(p) for p in error.problems[:20]]
        figures["problem_count"] = len(error.problems)
        print(f"  FAILED: {error.message}", flush=True)
        for problem in figures["problems"]:
            print(f"    {problem}", flush=True)
    return figures


def first_import(ws: Path, source: str) -> dict[str, Any]:
    """``ea import``: open the repository, read the source and apply it."""

    def call(clock: StageClock) -> SyncResult:
        with Repository.open(ws) as repo:
            assert repo.workspace is not None
            spec = next(s for s in source_specs(repo.workspace) if s.name == source)
            return run_source(spec, repo.store, repo.metamodel, progress=clock)

    return timed_run(call)


def resync(ws: Path, source: str) -> dict[str, Any]:
    """``ea sync --source SOURCE``: a freshly opened repository, under the sync lock."""

    def call(clock: StageClock) -> SyncResult | None:
        with Repository.open(ws) as repo:
            assert repo.workspace is not None
            outcomes = sync_all(
                repo.workspace, repo.store, repo.metamodel, only=[source], progress=clock
            )
        outcome = outcomes[0]
        if outcome.error is not None:
            raise outcome.error
        return outcome.result

    return timed_run(call)


def resync_reread(ws: Path, source: str) -> dict[str, Any]:
    """The same re-sync with the files read again: what a run does when the shortcut for
    byte-identical input does not apply (another source changed the repository since)."""

    def call(clock: StageClock) -> SyncResult:
        with Repository.open(ws) as repo:
            assert repo.workspace is not None
            spec = next(s for s in source_specs(repo.workspace) if s.name == source)
            with sync_lock(repo.workspace), gc_paused():  # as run_source reads and applies
                batch = read_source(spec, repo.metamodel, repo.store)
                return SyncEngine(repo.store, repo.metamodel).run(
                    spec.name,
                    batch,
                    on_missing=spec.on_missing,
                    max_missing=spec.max_missing,
                    progress=clock,
                    input_digest=input_digest(spec, repo.metamodel),
                )

    return timed_run(call)


# -- the steps of issue 20, each in a child process -------------------------------

STEPS = ("first_import", "resync")


def in_child(step: str, ws: Path, source: str, profile: Path | None) -> dict[str, Any]:
    """Run ``step`` (first_import or resync) of ``source`` in a fresh Python process, so that
    its peak RSS is the step's own; with ``profile``, under cProfile (its stats kept there)."""
    args = ["--child", step, source, str(ws)]
    return benchkit.in_child(
        Path(__file__), args + (["--profile", str(profile)] if profile else [])
    )


def child_main(step: str, source: str, ws: Path, profile: Path | None) -> int:
    """The child's side of :func:`in_child`: the figures as JSON on the last line."""
    call = {"first_import": first_import, "resync": resync}[step]
    return benchkit.child_figures(lambda: call(ws, source), profile, f"{source}-{step}")


# -- reading ----------------------------------------------------------------------


def bench_read(ci: Path, rel: Path) -> dict[str, Any]:
    """``CmdbImporter.read`` split into tables and records, and a bare csv.reader pass."""
    mm = load_metamodel()
    importer = CmdbImporter(load_preset("servicenow", mm), mm)
    t0 = time.perf_counter()
    rows = 0
    for path in (ci, rel):
        with path.open(encoding="utf-8", newline="") as f:
            rows += sum(1 for _ in csv.reader(f)) - 1
    bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    ci_table, rel_table = read_table(ci), read_table(rel)
    tables = time.perf_counter() - t0
    t0 = time.perf_counter()
    batch = importer.transform(ci_table, rel_table)
    records = time.perf_counter() - t0
    total = tables + records
    return {
        "rows": rows,
        "bare_csv_seconds": bare,
        "tables_seconds": tables,
        "records_seconds": records,
        "seconds": total,
        "rows_per_s": rows / total,
        "records": len(batch.records),
        "skipped": sum(batch.skipped.values()),
        "skipped_reasons": dict(batch.skipped.most_common(10)),
        "problems": len(batch.problems),
        "peak_rss_mb": benchkit.peak_rss_mb(),
    }


# -- touching 1 % -------------------------------------------------------------------


def touch_exports(exports: Path, share: float, seed: int) -> dict[str, int]:
    """Change ``share`` of the CI rows (description) and of the relationship rows (VM moves).

    A moved VM's "Virtualized by" row points at another ESX host or vCenter
    cluster: the sync should retire one relation and add another. Returns
    how many rows of each kind were touched.
    """
    rng = random.Random(seed)
    ci_path, rel_path = exports / gen.CI_FILE, exports / gen.REL_FILE
    with ci_path.open(encoding="utf-8", newline="") as f:
        ci_rows = list(csv.reader(f))
    header, body = ci_rows[0], ci_rows[1:]
    desc = header.index("short_description")
    cls, sys_id, name = (header.index(c) for c in ("sys_class_name", "sys_id", "name"))
    for i in rng.sample(range(len(body)), round(len(body) * share)):
        body[i][desc] = (body[i][desc] + " (updated)").strip()
    hosts = [
        (row[name], row[sys_id])
        for row in body
        if row[cls] in ("cmdb_ci_esx_server", "cmdb_ci_vcenter_cluster")
    ]
    with ci_path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(ci_rows)

    with rel_path.open(encoding="utf-8", newline="") as f:
        rel_rows = list(csv.reader(f))
    rheader, rbody = rel_rows[0], rel_rows[1:]
    rtype, child, child_id = (rheader.index(c) for c in ("type", "child", "child.sys_id"))
    moves = [i for i, row in enumerate(rbody) if row[rtype] == "Virtualized by::Virtualizes"]
    moved = rng.sample(moves, min(len(moves), round(len(rbody) * share)))
    for i in moved:
        new_name, new_id = rng.choice(hosts)
        while new_id == rbody[i][child_id]:
            new_name, new_id = rng.choice(hosts)
        rbody[i][child], rbody[i][child_id] = new_name, new_id
    with rel_path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows(rel_rows)
    return {"ci_rows": round(len(body) * share), "relation_rows": len(moved)}


# -- the run -------------------------------------------------------------------------


def generate_exports(args: argparse.Namespace, out: Path) -> float:
    """Run generate.py in a child process (its memory stays out of our peak RSS)."""
    command = [
        sys.executable,
        str(HERE / "generate.py"),
        "--elements",
        str(args.elements),
        "--seed",
        str(args.seed),
        "--out",
        str(out),
    ]
    if args.relations is not None:
        command += ["--relations", str(args.relations)]
    if args.interfaces is not None:
        command += ["--interfaces", str(args.interfaces)]
    t0 = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - t0


def _counts(figures: dict[str, Any], kind: str) -> dict[str, int]:
    return figures.get("summary", {}).get(kind, {})


def _report(label: str, figures: dict[str, Any], rows: int | None = None) -> None:
    st = figures["stages"]
    rate = f", {rows / figures['seconds']:,.0f} rows/s" if rows else ""
    print(
        f"{label}: {figures['seconds']:.1f} s{rate}, CPU {figures['cpu_seconds']:.1f} s "
        f"(read {st['read']:.1f}, validate "
        f"{st['validate']:.1f}, diff {st['diff']:.1f}, write {st['write']:.1f}); "
        f"peak RSS {figures['peak_rss_mb']:,.0f} MiB",
        flush=True,
    )
    if "summary" in figures:
        e, r = _counts(figures, "elements"), _counts(figures, "relations")
        print(
            "  elements " + ", ".join(f"{k} {v:,}" for k, v in e.items() if v)
            + " | relations " + ", ".join(f"{k} {v:,}" for k, v in r.items() if v),
            flush=True,
        )  # fmt: skip


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate (or copy) the exports, take every measurement, return the figures."""
    figures = benchkit.machine(args.seed)
    with tempfile.TemporaryDirectory(prefix="ea-bench-import-") as tmp_name:
        tmp = Path(tmp_name)
        if args.dir is not None:
            exports = args.dir
            figures["generate_seconds"] = None
        else:
            exports = tmp / "generated"
            figures["generate_seconds"] = generate_exports(args, exports)
            print(f"generated in {figures['generate_seconds']:.1f} s", flush=True)
        manifest_path = exports / gen.MANIFEST_FILE
        manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.is_file() else {}
        figures["manifest"] = manifest
        with_interfaces = (exports / gen.INTERFACES_FILE).is_file()
        ws = make_workspace(tmp / "ws", exports, with_interfaces)
        ci, rel = ws / "exports" / gen.CI_FILE, ws / "exports" / gen.REL_FILE
        with ci.open(encoding="utf-8") as f:
            ci_rows = sum(1 for _ in csv.reader(f)) - 1
        with rel.open(encoding="utf-8") as f:
            rel_rows = sum(1 for _ in csv.reader(f)) - 1
        rows = ci_rows + rel_rows
        figures |= {"ci_rows": ci_rows, "relation_rows": rel_rows}
        print(f"exports: {ci_rows:,} CI rows + {rel_rows:,} relationship rows", flush=True)

        files = [ci, rel] + ([ws / "exports" / gen.INTERFACES_FILE] if with_interfaces else [])
        bare = benchkit.bare_load(files, tmp / "bare.db")
        figures["bare"] = bare
        print(
            f"bare csv.reader + executemany, {len(files)} files: {bare['seconds']:.1f} s, "
            f"{bare['rows']:,} rows",
            flush=True,
        )
        read = bench_read(ci, rel)
        figures["read"] = read
        print(
            f"(a) read: {read['seconds']:.1f} s, {read['rows_per_s']:,.0f} rows/s "
            f"(tables {read['tables_seconds']:.1f} s, records {read['records_seconds']:.1f} s; "
            f"bare csv.reader {read['bare_csv_seconds']:.1f} s); {read['records']:,} records, "
            f"{read['skipped']:,} rows skipped, {read['problems']} problems",
            flush=True,
        )
        figures["first_import"] = in_child("first_import", ws, "cmdb", args.profile)
        _report("(b) first import", figures["first_import"], rows)
        figures["resync"] = resync(ws, "cmdb")
        _report("(c) re-sync, unchanged", figures["resync"], rows)
        if with_interfaces:
            figures["interfaces_rows"] = bare["rows"] - rows
            figures["interfaces_first_import"] = in_child(
                "first_import", ws, "interfaces", args.profile
            )
            _report(
                "(e) interfaces, first import",
                figures["interfaces_first_import"],
                figures["interfaces_rows"],
            )
            figures["resync_after_interfaces"] = in_child("resync", ws, "cmdb", args.profile)
            _report(
                "(f) re-sync, unchanged, after the catalog ran",
                figures["resync_after_interfaces"],
                rows,
            )
        figures["resync_reread"] = resync_reread(ws, "cmdb")
        _report("(c') re-sync, unchanged, files read again", figures["resync_reread"], rows)
        if with_interfaces:
            figures["interfaces_resync"] = resync(ws, "interfaces")
            _report("    interfaces, re-sync", figures["interfaces_resync"])
        figures["sizes"] = benchkit.repository_bytes(ws / ".ea" / "repository.db")
        if args.touch:
            figures["touched"] = touch_exports(ws / "exports", TOUCH_SHARE, args.seed + 1)
            figures["resync_touched"] = resync(ws, "cmdb")
            _report("(d) re-sync, 1 % touched", figures["resync_touched"], rows)
        size = sum(p.stat().st_size for p in (ws / ".ea").glob("repository.db*"))
        figures["database_mb"] = size / 2**20
    figures["peak_rss_mb"] = benchkit.peak_rss_mb()
    first, again, reread = figures["first_import"], figures["resync"], figures["resync_reread"]

    def all_unchanged(run: dict[str, Any]) -> bool:
        return (
            "error" not in run
            and not any(v for k, v in _counts(run, "elements").items() if k != "unchanged")
            and not any(v for k, v in _counts(run, "relations").items() if k != "unchanged")
        )

    unchanged = all_unchanged(again) and all_unchanged(reread)
    figures |= {
        "first_target_s": FIRST_TARGET_S,
        "resync_target_s": RESYNC_TARGET_S,
        "first_pass": "error" not in first and first["seconds"] <= FIRST_TARGET_S,
        "resync_pass": unchanged and again["seconds"] <= RESYNC_TARGET_S,
        "resync_reread_pass": unchanged and reread["seconds"] <= RESYNC_TARGET_S,
        "resync_unchanged": unchanged,
    }
    return figures


CHILD_STEPS = ("first_import", "interfaces_first_import", "resync_after_interfaces")


def _baseline(fig: dict[str, Any], key: str) -> float:
    """The bare time of the files a step reads (0 if unknown)."""
    files = fig["bare"]["files"]
    if key == "interfaces_first_import":
        return float(files.get(gen.INTERFACES_FILE, 0.0))
    if key in (
        "first_import",
        "resync",
        "resync_reread",
        "resync_after_interfaces",
        "resync_touched",
    ):
        return float(files.get(gen.CI_FILE, 0.0) + files.get(gen.REL_FILE, 0.0))
    return 0.0


def summary(fig: dict[str, Any]) -> str:
    """The aligned, human-readable table of the figures and verdicts."""
    rows_total = fig["ci_rows"] + fig["relation_rows"]
    read = fig["read"]
    table: list[tuple[str, str, str, str, str]] = []

    def line(label: str, value: str, unit: str = "", target: str = "", verdict: str = "") -> None:
        table.append((label, value, unit, target, verdict))

    if fig.get("generate_seconds") is not None:
        line("generate the exports (generate.py)", f"{fig['generate_seconds']:.1f}", "s")
    bare = fig["bare"]
    line("bare csv.reader + executemany, every file", f"{bare['seconds']:.1f}", "s")
    line("      CPU time", f"{bare['cpu_seconds']:.1f}", "s")
    for name, seconds in bare["files"].items():
        line(f"      {name}", f"{seconds:.1f}", "s")
    line("(a) read: CmdbImporter, 2 files", f"{read['seconds']:.1f}", "s")
    line("      rows/s", f"{read['rows_per_s']:,.0f}", "rows/s")
    line("      tables (read_table)", f"{read['tables_seconds']:.1f}", "s")
    line("      records (transform)", f"{read['records_seconds']:.1f}", "s")
    line("      bare csv.reader, same files", f"{read['bare_csv_seconds']:.1f}", "s")

    def run_lines(label: str, key: str, target: float | None, ok: bool | None) -> None:
        run = fig.get(key)
        if run is None:
            return
        if "error" in run:
            line(label, "error", "", "", "FAIL")
            return
        line(
            label,
            f"{run['seconds']:.1f}",
            "s",
            f"<= {target:g} s" if target else "",
            benchkit.verdict(bool(ok)) if ok is not None else "",
        )
        if key in ("first_import", "resync", "resync_reread", "resync_touched"):
            line("      rows/s", f"{rows_total / run['seconds']:,.0f}", "rows/s")
        baseline = _baseline(fig, key)
        if baseline:
            line(
                "      ratio to the bare baseline of its files",
                f"{run['seconds'] / baseline:.2f}",
                "x",
            )
        if key in CHILD_STEPS:
            line("      peak RSS of the step (child process)", f"{run['peak_rss_mb']:,.0f}", "MiB")
            line("      CPU time of the step (child process)", f"{run['cpu_seconds']:.1f}", "s")
        st = run["stages"]
        line(
            "      read / validate / diff / write",
            f"{st['read']:.1f} / {st['validate']:.1f} / {st['diff']:.1f} / {st['write']:.1f}",
            "s",
        )

    run_lines("(b) first import (run_source)", "first_import", FIRST_TARGET_S, fig["first_pass"])
    run_lines("(c) re-sync, unchanged (sync_all)", "resync", RESYNC_TARGET_S, fig["resync_pass"])
    run_lines(
        "(c') the same, files read again",
        "resync_reread",
        RESYNC_TARGET_S,
        fig.get("resync_reread_pass"),
    )
    if "resync" in fig and not fig["resync_unchanged"]:
        line("      the re-sync changed something!", "", "", "", "FAIL")
    run_lines("(d) re-sync, 1 % of rows touched", "resync_touched", None, None)
    if "resync_touched" in fig and "summary" in fig["resync_touched"]:
        e, r = (
            _counts(fig["resync_touched"], "elements"),
            _counts(fig["resync_touched"], "relations"),
        )
        line(
            "      elements changed / relations +/-",
            f"{e.get('changed', 0):,} / +{r.get('added', 0):,} -{r.get('missing', 0):,}",
        )
    run_lines("(e) interfaces: first import", "interfaces_first_import", None, None)
    if "interfaces_first_import" in fig:
        for what in ("seconds", "cpu_seconds"):
            cmdb = fig["first_import"][what] / rows_total * 1e6
            catalog = fig["interfaces_first_import"][what] / fig["interfaces_rows"] * 1e6
            line(
                f"      µs per row, catalog / CMDB ({'CPU' if what == 'cpu_seconds' else 'clock'})",
                f"{catalog:.0f} / {cmdb:.0f}",
                "µs",
            )
        both = fig["first_import"]["seconds"] + fig["interfaces_first_import"]["seconds"]
        line("(b)+(e) first import, CMDB + catalog", f"{both:.1f}", "s")
        line(
            "      ratio to the bare baseline (target <= 1.8)", f"{both / bare['seconds']:.2f}", "x"
        )
    run_lines(
        "(f) CMDB re-sync, unchanged, after the catalog", "resync_after_interfaces", None, None
    )
    run_lines("interfaces: re-sync, unchanged", "interfaces_resync", None, None)
    line("peak RSS (this process)", f"{fig['peak_rss_mb']:,.0f}", "MiB")
    line("repository file (SQLite + WAL)", f"{fig['database_mb']:,.0f}", "MiB")
    csv_mb = sum(bare.get("bytes", {}).values()) / 2**20 if bare.get("bytes") else 0
    if csv_mb:
        line("      against the CSV files", f"{fig['database_mb'] / csv_mb:.1f}", "x")
    for name, size in fig.get("sizes", {}).items():
        if "per_row" in size:
            line(
                f"      {name}: bytes per row (table + indexes)",
                f"{size['per_row']:,.0f}",
                f"B x {size['rows']:,} = {size['bytes'] / 2**20:,.0f} MiB",
                f"table {size['table_bytes'] / 2**20:,.0f} MiB",
            )

    expected = fig.get("manifest", {}).get("expected", {})
    head = (
        f"ea-repo import benchmark: {fig['ci_rows']:,} CI rows + {fig['relation_rows']:,} "
        f"relationship rows (ServiceNow preset), seed {fig['seed']}"
    )
    if expected:
        head += f"; expected {expected['elements']:,} elements, {expected['relations']:,} relations"
    env = benchkit.environment_line(fig["python"], fig["sqlite"], fig["calibration_ms"])
    return benchkit.aligned(head, env, table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elements", type=int, default=100_000, help="CI rows (default 100 000)")
    parser.add_argument("--relations", type=int, help="relationship rows (default 3 x elements)")
    parser.add_argument("--interfaces", type=int, help="interface rows (default 6 %% of elements)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--dir", type=Path, help="use the exports in DIR (cmdb_ci.csv, cmdb_rel_ci.csv...)"
    )
    parser.add_argument(
        "--no-touch", dest="touch", action="store_false", help="skip the 1 %% re-sync"
    )
    benchkit.step_options(parser)
    args = parser.parse_args(argv)
    if args.child:
        step, source, ws = args.child
        return child_main(step, source, Path(ws), args.profile)
    if args.dir is None and args.elements < gen.MIN_ELEMENTS:
        parser.error(f"--elements must be at least {gen.MIN_ELEMENTS}")
    if args.dir is not None and not (args.dir / gen.CI_FILE).is_file():
        parser.error(f"{args.dir} has no {gen.CI_FILE}")
    return benchkit.report(run, summary, args)


if __name__ == "__main__":
    sys.exit(main())
