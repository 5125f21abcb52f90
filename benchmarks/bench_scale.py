"""Scale benchmark (issue 20): every figure of a large group's CMDB in one run, each beside
its baseline measured in the same run.

Run by ``make bench-scale`` at the issue's workload, 1 000 000 CIs, 1 954 000 CI
relationships and 1 046 000 interface-catalog rows (``generate.py``'s ServiceNow exports)::

    .venv/bin/python benchmarks/bench_scale.py [--elements N] [--seed S] [--dir DIR]
                                               [--starts K] [--runs R] [--repeat V]
                                               [--profile DIR] [--json PATH]

``--elements N`` scales the relationships and the catalog with it (1.954 N and 1.046 N).
In one workspace declaring two sources (the CMDB, ServiceNow preset, and the interface
catalog), it measures:

* the baseline: ``csv.reader`` + ``sqlite3`` ``executemany`` of every row of the three
  files into plain tables (``benchkit.bare_load``);
* the CMDB's first import, the catalog's first import (µs per row beside the CMDB's), the
  CMDB's unchanged re-sync after the catalog ran, the CMDB's re-sync with 1 % of its rows
  changed, and ``ea sync`` of every source, unchanged: each step in a child process of its
  own (``bench_import``'s steps), with its clock and CPU time and its peak memory (VmHWM);
* the repository's bytes against the CSV's, and its bytes per row (``dbstat``);
* impact in the library: ``analyse()`` (depth ≤ 6) from ``--starts`` random technology and
  application elements, as ``bench_analysis`` does, p50 and p95;
* ``ea impact APP`` and ``ea show ID`` from the shell, process start included: the median
  of ``--runs`` runs, each in turn with the baselines ``python -c pass`` and
  ``python -c "import typer"``;
* every built-in view, built and drawn to SVG as ``bench_views`` does, from the starts it
  chooses, beside reading every element; and ``ea waves`` on one datacenter from the shell.

The targets are the issue's. Those in seconds for the import and re-sync steps hold at
1 000 000 CIs and are judged only there; the others (ratios, bytes, memory, and the
interactive ones: impact, the shell, views, waves) are judged at any size.
Benchmarks report, they do not gate: the exit code is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ea_repo.analysis.impact import analyse
from ea_repo.repository import Repository
from ea_repo.sources import sync_all
from ea_repo.sync import SyncResult
from ea_repo.views.spec import builtin_views

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts and benchkit
import benchkit  # noqa: E402

ISSUE_ELEMENTS = 1_000_000
RELATIONS_PER_CI = 1.954
INTERFACES_PER_CI = 1.046
TOUCH_SHARE = 0.01

# The issue's targets at ISSUE_ELEMENTS.
FIRST_TARGET_S = 120.0
FIRST_RATIO_TARGET = 1.8
RESYNC_TARGET_S = 10.0
TOUCHED_TARGET_S = 30.0
SYNC_ALL_TARGET_S = 30.0
SIZE_RATIO_TARGET = 8.0  # half of today's 16x the CSV
PEAK_TARGET_MB = 3 * 1024
IMPACT_P50_TARGET_MS = 50.0
SHELL_TARGET_S = 0.4
VIEW_TARGET_S = 5.0
WAVES_TARGET_S = 10.0

imports = benchkit.sibling("bench_import")
views = benchkit.sibling("bench_views")
gen = benchkit.sibling("generate")


# -- the steps, each in a child process ------------------------------------------------


def sync_every_source(ws: Path) -> dict[str, Any]:
    """``ea sync``: every source of the workspace, in a freshly opened repository."""
    summaries: dict[str, Any] = {}

    def call(clock: Any) -> SyncResult | None:
        with Repository.open(ws) as repo:
            assert repo.workspace is not None
            outcomes = sync_all(repo.workspace, repo.store, repo.metamodel, progress=clock)
        for outcome in outcomes:
            if outcome.error is not None:
                raise outcome.error
            if outcome.result is not None:
                summaries[outcome.name] = outcome.result.summary()
        return None

    figures = imports.timed_run(call)
    figures["sources"] = summaries
    return figures


CHILD_STEPS = {
    "first_import": imports.first_import,
    "resync": imports.resync,
    "sync_all": lambda ws, source: sync_every_source(ws),
}


def step(name: str, ws: Path, source: str, profile: Path | None) -> dict[str, Any]:
    """Run the step ``name`` of ``source`` in a child process (:data:`CHILD_STEPS`)."""
    args = ["--child", name, source, str(ws)]
    figures = benchkit.in_child(
        Path(__file__), args + (["--profile", str(profile)] if profile else [])
    )
    imports._report(f"{name} {source}", figures)
    return figures


def unchanged(figures: dict[str, Any]) -> bool:
    """Whether a run (or each source of ``ea sync``) changed nothing."""
    if "error" in figures:
        return False
    runs = figures.get("sources", {}).values() if "sources" in figures else [figures["summary"]]
    return all(
        not any(v for k, v in counts.items() if k != "unchanged")
        for summary in runs
        for counts in (summary.get("elements", {}), summary.get("relations", {}))
    )


# -- the questions ---------------------------------------------------------------------


def library_impact(repo: Repository, starts: int, seed: int) -> dict[str, Any]:
    """``analyse()`` (depth ≤ 6, paths) from random technology and application elements."""
    candidates = sorted(e.id for e in repo.store.find_elements(types=benchkit.IMPACT_START_TYPES))
    chosen = random.Random(seed).sample(candidates, min(starts, len(candidates)))
    analyse(repo.store, repo.metamodel, chosen[:5], max_depth=6)  # warm-up
    times, reached = [], []
    for start in chosen:
        t0 = time.perf_counter()
        report = analyse(repo.store, repo.metamodel, [start], max_depth=6)
        times.append((time.perf_counter() - t0) * 1000)
        reached.append(len(report.affected))
    return {
        "starts": len(chosen),
        "p50_ms": statistics.median(times),
        "p95_ms": benchkit.percentile(times, 95),
        "reached_median": statistics.median(reached),
    }


def typical_application(repo: Repository, seed: int, sample: int = 25) -> str:
    """Of ``sample`` random applications, the one whose whole impact (what ``ea impact``
    reports) is of median size: the question the shell figures ask is a typical one."""
    apps = sorted(e.id for e in repo.store.find_elements(types=["Application"]))
    chosen = random.Random(seed).sample(apps, min(sample, len(apps)))
    sized = sorted((len(analyse(repo.store, repo.metamodel, [a]).affected), a) for a in chosen)
    return sized[len(sized) // 2][1]


def shell_figures(ws: Path, app: str, element: str, runs: int) -> dict[str, Any]:
    """``ea impact APP`` and ``ea show ID`` from the shell, beside starting Python."""
    ea = str(Path(sys.executable).with_name("ea"))
    python = sys.executable
    commands = {
        "python -c pass": [python, "-c", "pass"],
        'python -c "import typer"': [python, "-c", "import typer"],
        f"ea show {element}": [ea, "show", element, "-w", str(ws)],
        f"ea impact {app}": [ea, "impact", app, "-w", str(ws)],
    }
    return benchkit.shell_times(commands, runs)


def the_views(repo: Repository, ws: Path, repeat: int) -> dict[str, Any]:
    """Every built-in view as ``bench_views`` builds it, from the starts it chooses; reading
    every element (the baseline) and ``ea waves`` on the datacenter it chose."""
    store, mm = repo.store, repo.metamodel
    t0 = time.perf_counter()
    count = sum(1 for _ in store.iter_elements())
    baseline = time.perf_counter() - t0
    print(f"reading all {count:,} elements: {baseline:.2f} s", flush=True)
    starts = views.view_starts(mm, store.iter_elements(), store.iter_relations())
    figures = views.measure_views(store, mm, builtin_views(), starts, repeat)
    selector = "in:" + starts["migration-waves"].lstrip("+")
    ea = str(Path(sys.executable).with_name("ea"))
    waves = benchkit.shell_times({"waves": [ea, "waves", selector, "-w", str(ws)]}, 1)["waves"]
    print(f"ea waves {selector}: {waves['seconds']:.2f} s", flush=True)
    return {"read_all_s": baseline, "views": figures, "waves": waves | {"selector": selector}}


# -- the run ---------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate (or copy) the exports, take every measurement, return the figures."""
    figures = benchkit.machine(args.seed)
    figures["elements"] = args.elements
    with tempfile.TemporaryDirectory(prefix="ea-bench-scale-") as tmp_name:
        tmp = Path(tmp_name)
        exports = args.dir
        if exports is None:
            exports = tmp / "generated"
            figures["generate_seconds"] = imports.generate_exports(args, exports)
            print(f"generated in {figures['generate_seconds']:.1f} s", flush=True)
        ws = imports.make_workspace(tmp / "ws", exports, with_interfaces=True)
        if args.dir is None:
            shutil.rmtree(exports)  # the workspace holds its copy
        files = [ws / "exports" / name for name in (gen.CI_FILE, gen.REL_FILE, gen.INTERFACES_FILE)]
        bare = benchkit.bare_load(files, tmp / "bare.db")
        (tmp / "bare.db").unlink()
        figures["bare"] = bare
        print(f"bare csv.reader + executemany: {bare['seconds']:.1f} s, {bare['rows']:,} rows")

        figures["cmdb_first"] = step("first_import", ws, "cmdb", args.profile)
        figures["catalog_first"] = step("first_import", ws, "interfaces", args.profile)
        figures["cmdb_resync"] = step("resync", ws, "cmdb", args.profile)
        db = ws / ".ea" / "repository.db"
        figures["sizes"] = benchkit.repository_bytes(db)
        figures["database_bytes"] = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
        figures["touched"] = imports.touch_exports(ws / "exports", TOUCH_SHARE, args.seed + 1)
        figures["cmdb_touched"] = step("resync", ws, "cmdb", args.profile)
        figures["sync_all"] = step("sync_all", ws, "-", args.profile)

        with Repository.open(ws) as repo:
            figures["impact"] = library_impact(repo, args.starts, args.seed)
            print(f"impact p50 {figures['impact']['p50_ms']:.1f} ms", flush=True)
            app = typical_application(repo, args.seed)
            figures["shell"] = shell_figures(ws, app, app, args.runs)
            figures["views"] = the_views(repo, ws, args.repeat)
    figures["peak_rss_mb"] = benchkit.peak_rss_mb()
    return figures


def _rows(fig: dict[str, Any]) -> dict[str, int]:
    """The rows of each file, as the baseline counted them."""
    rows = fig["bare"]["file_rows"]
    ci, rel, catalog = rows[gen.CI_FILE], rows[gen.REL_FILE], rows[gen.INTERFACES_FILE]
    return {"ci": ci, "relations": rel, "cmdb": ci + rel, "catalog": catalog}


def summary(fig: dict[str, Any]) -> str:
    """The aligned table of every figure, its baseline and its target's verdict."""
    scale = fig["elements"] / ISSUE_ELEMENTS
    bare, rows = fig["bare"], _rows(fig)
    files = bare["files"]
    cmdb_bare = files[gen.CI_FILE] + files[gen.REL_FILE]
    table: list[tuple[str, str, str, str, str]] = []

    def line(
        label: str, value: str, unit: str = "", target: str = "", ok: bool | None = None
    ) -> None:
        table.append((label, value, unit, target, "" if ok is None else benchkit.verdict(ok)))

    def at_scale(target: float) -> tuple[str, float | None]:
        """A time target of the issue's workload: judged only at that size (a smaller run
        has the same fixed costs, a larger one more rows)."""
        if scale == 1:
            return f"<= {target:g} s", target
        return f"<= {target:g} s at 1M", None

    def judged(seconds: float, limit: float | None) -> bool | None:
        return None if limit is None else seconds <= limit

    def step_lines(label: str, key: str, target: float | None, baseline: float) -> None:
        run = fig[key]
        if "error" in run:
            line(label, "error", "", "", False)
            return
        if target is None:
            line(label, f"{run['seconds']:.1f}", "s")
        else:
            text, limit = at_scale(target)
            line(label, f"{run['seconds']:.1f}", "s", text, judged(run["seconds"], limit))
            if not unchanged(run) and key != "cmdb_touched":
                line("      the re-sync changed something!", "", "", "", False)
        line("      CPU time (child process)", f"{run['cpu_seconds']:.1f}", "s")
        line(
            "      ratio to the bare baseline of its files", f"{run['seconds'] / baseline:.2f}", "x"
        )
        peak = run["peak_rss_mb"]
        line("      peak memory (VmHWM)", f"{peak:,.0f}", "MiB", f"<= {PEAK_TARGET_MB:,} MiB",
             peak <= PEAK_TARGET_MB)  # fmt: skip

    line("bare csv.reader + executemany, 3 files (baseline)", f"{bare['seconds']:.1f}", "s")
    line("      CPU time", f"{bare['cpu_seconds']:.1f}", "s")
    for name, secs in files.items():
        line(f"      {name}", f"{secs:.1f}", "s")
    step_lines("CMDB first import", "cmdb_first", None, cmdb_bare)
    step_lines("catalog first import", "catalog_first", None, files[gen.INTERFACES_FILE])
    cmdb, catalog = fig["cmdb_first"], fig["catalog_first"]
    if "error" not in cmdb and "error" not in catalog:
        for what, label in (("seconds", "clock"), ("cpu_seconds", "CPU")):
            per_cmdb = cmdb[what] / rows["cmdb"] * 1e6
            per_catalog = catalog[what] / rows["catalog"] * 1e6
            line(f"      µs per row, catalog / CMDB ({label})", f"{per_catalog:.0f} / {per_cmdb:.0f}",
                 "µs", "catalog <= CMDB", per_catalog <= per_cmdb)  # fmt: skip
        both = cmdb["seconds"] + catalog["seconds"]
        text, limit = at_scale(FIRST_TARGET_S)
        line("first import, CMDB + catalog", f"{both:.1f}", "s", text, judged(both, limit))
        ratio = both / bare["seconds"]
        line("      ratio to the bare baseline", f"{ratio:.2f}", "x",
             f"<= {FIRST_RATIO_TARGET:g} x", ratio <= FIRST_RATIO_TARGET)  # fmt: skip
    step_lines("CMDB re-sync, unchanged, after the catalog", "cmdb_resync", RESYNC_TARGET_S, cmdb_bare)  # fmt: skip
    touched = fig["touched"]
    step_lines(f"CMDB re-sync, 1 % of rows changed ({touched['ci_rows']:,} CIs, "
               f"{touched['relation_rows']:,} relationships)", "cmdb_touched", TOUCHED_TARGET_S,
               cmdb_bare)  # fmt: skip
    step_lines("ea sync, every source unchanged", "sync_all", SYNC_ALL_TARGET_S, bare["seconds"])

    size, csv_bytes = fig["database_bytes"], sum(bare["bytes"].values())
    line("repository file (SQLite + WAL), after the first imports", f"{size / 2**20:,.0f}", "MiB")
    line("      the CSV files", f"{csv_bytes / 2**20:,.0f}", "MiB")
    line("      repository / CSV", f"{size / csv_bytes:.1f}", "x", f"<= {SIZE_RATIO_TARGET:g} x",
         size / csv_bytes <= SIZE_RATIO_TARGET)  # fmt: skip
    line("      CSV bytes per row", f"{csv_bytes / bare['rows']:,.0f}", "B")
    for name in benchkit.SIZED:
        sized = fig["sizes"].get(name)
        if sized and "per_row" in sized:
            line(f"      {name}: bytes per row (table + indexes)", f"{sized['per_row']:,.0f}",
                 f"B x {sized['rows']:,}")  # fmt: skip

    impact = fig["impact"]
    line(f"impact in the library, p50 ({impact['starts']} starts, depth <= 6)",
         f"{impact['p50_ms']:.1f}", "ms", f"<= {IMPACT_P50_TARGET_MS:g} ms",
         impact["p50_ms"] <= IMPACT_P50_TARGET_MS)  # fmt: skip
    line("      p95", f"{impact['p95_ms']:.1f}", "ms")
    for name, times in fig["shell"].items():
        if name.startswith("ea "):
            ok = times["seconds"] <= SHELL_TARGET_S and times["exit_code"] == 0
            line(f"{name} (shell, median)", f"{times['seconds']:.3f}", "s",
                 f"<= {SHELL_TARGET_S:g} s", ok)  # fmt: skip
        else:
            line(f"      baseline: {name}", f"{times['seconds']:.3f}", "s")
        line("      CPU time", f"{times['cpu_seconds']:.3f}", "s")
    shown = fig["views"]
    line("reading every element (baseline of the views)", f"{shown['read_all_s']:.2f}", "s")
    for name, v in shown["views"].items():
        line(f"view {name} ({v['elements']:,} elements)", f"{v['seconds']:.2f}", "s",
             f"<= {VIEW_TARGET_S:g} s", v["seconds"] <= VIEW_TARGET_S)  # fmt: skip
        line("      CPU time (with Graphviz)", f"{v['cpu_seconds']:.2f}", "s")
    waves = shown["waves"]
    line(f"ea waves '{waves['selector']}' (shell)", f"{waves['seconds']:.2f}", "s",
         f"<= {WAVES_TARGET_S:g} s", waves["seconds"] <= WAVES_TARGET_S and waves["exit_code"] == 0)  # fmt: skip
    line("peak memory of this process (impact, views)", f"{fig['peak_rss_mb']:,.0f}", "MiB")

    head = (
        f"ea-repo scale benchmark: {rows['ci']:,} CIs + {rows['relations']:,} CI relationships "
        f"+ {rows['catalog']:,} interface-catalog rows, seed {fig['seed']}"
    )
    env = benchkit.environment_line(fig["python"], fig["sqlite"], fig["calibration_ms"])
    return benchkit.aligned(head, env, table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--elements", type=int, default=ISSUE_ELEMENTS, help="CIs (default 1 000 000)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--dir", type=Path, help="use the exports in DIR instead of generating them"
    )
    parser.add_argument("--starts", type=int, default=200, help="impact starts (default 200)")
    parser.add_argument(
        "--runs", type=int, default=9, help="runs of each shell command (default 9)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each view (default 1)")
    benchkit.step_options(parser)
    args = parser.parse_args(argv)
    if args.child:
        name, source, ws = args.child
        call = CHILD_STEPS[name]
        return benchkit.child_figures(
            lambda: call(Path(ws), source), args.profile, f"{source}-{name}"
        )
    if args.dir is None and args.elements < gen.MIN_ELEMENTS:
        parser.error(f"--elements must be at least {gen.MIN_ELEMENTS}")
    for name in (gen.CI_FILE, gen.REL_FILE, gen.INTERFACES_FILE):
        if args.dir is not None and not (args.dir / name).is_file():
            parser.error(f"{args.dir} has no {name}")
    args.relations = round(args.elements * RELATIONS_PER_CI)
    args.interfaces = round(args.elements * INTERFACES_PER_CI)
    return benchkit.report(run, summary, args)


if __name__ == "__main__":
    sys.exit(main())
