"""Repository quality at scale: ``ea quality`` on the generated ServiceNow landscape, and
what measuring it at every sync run costs.

    python benchmarks/bench_quality.py [--elements N] [--relations M] [--seed S] [--json PATH]

It writes the exports with ``generate.py`` (N CIs, M relationships, the interface
catalog), imports them through ``sync_all`` into a fresh SQLite workspace (what
``ea sync`` does; the first import keeps the first quality figures), then measures
in one run, each command in-process through ``ea_repo.cli.main`` on a freshly
opened repository:

* the baseline: ``ea stats -f json`` (counts by type: one aggregate query per kind);
* ``ea quality -f json`` (target: 10 s at 100 000 CIs and 300 000 relationships), and
  its ratio to the baseline;
* an unchanged re-sync (``ea sync``: every source confirmed without reading its files),
  with the quality figures kept, and the same with it switched off, alternately, twice
  each: nothing changed, so the last figures still hold and are kept again
  (``quality.keep``) after a count of the stale elements;
* a re-sync after touching 1 % of the CI and relationship rows, with the quality kept
  (measured: the figures no longer hold) and, after touching another 1 %, without:
  what measuring at a sync run costs.

Benchmarks report, they do not gate: the exit code is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ea_repo import sources
from ea_repo.cli import main as ea

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts and benchkit
import benchkit  # noqa: E402

QUALITY_TARGET_S = 10.0


def timed_ea(*args: str) -> tuple[float, str]:
    """Run ``ea ARGS`` in-process; its wall time and what it printed (exit code checked)."""
    out = io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = ea(list(args))
    seconds = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(f"ea {' '.join(args)} exited {code}")
    return seconds, out.getvalue()


@contextlib.contextmanager
def quality_kept(on: bool, spent: list[float]) -> Iterator[None]:
    """Syncs that keep the quality figures (as shipped; the seconds each keeping takes are
    appended to ``spent``), or that skip them."""
    kept = sources.keep_quality

    def timed(*args: Any, **kwargs: Any) -> None:
        t0 = time.perf_counter()
        kept(*args, **kwargs)
        spent.append(time.perf_counter() - t0)

    sources.keep_quality = timed if on else (lambda *args, **kwargs: None)
    try:
        yield
    finally:
        sources.keep_quality = kept


def run(args: argparse.Namespace) -> dict[str, Any]:
    importer = benchkit.sibling("bench_import")
    figures = benchkit.machine(args.seed)
    with tempfile.TemporaryDirectory(prefix="ea-bench-quality-") as tmp_name:
        tmp = Path(tmp_name)
        exports = tmp / "generated"
        figures["generate_s"] = importer.generate_exports(args, exports)
        ws = importer.make_workspace(tmp / "ws", exports, with_interfaces=True)
        t0 = time.perf_counter()
        timed_ea("sync", "-w", str(ws))
        figures["first_sync_s"] = time.perf_counter() - t0
        print(f"first sync (every source, quality kept): {figures['first_sync_s']:.1f} s")

        stats_s, stats_out = timed_ea("stats", "-w", str(ws), "-f", "json")
        counts = json.loads(stats_out)
        figures["elements"] = sum(counts["elements"].values())
        figures["relations"] = sum(counts["relations"].values())
        figures["stats_s"] = stats_s
        print(f"ea stats: {stats_s:.2f} s", flush=True)

        quality_s, quality_out = timed_ea("quality", "-w", str(ws), "-f", "json")
        report = json.loads(quality_out)
        figures["quality_s"] = quality_s
        figures["ratio"] = quality_s / stats_s
        figures["score"] = report["score"]
        figures["findings"] = {
            key: len(report[key])
            for key in ("orphans", "stale", "namesakes", "unconfirmed_relations")
        }
        print(f"ea quality: {quality_s:.2f} s, score {report['score']}", flush=True)

        resyncs: dict[str, list[float]] = {"with": [], "without": []}
        carried: list[float] = []
        for _ in range(2):
            for label, on in (("with", True), ("without", False)):
                with quality_kept(on, carried):
                    seconds, _ = timed_ea("sync", "-w", str(ws))
                resyncs[label].append(seconds)
                print(f"re-sync, unchanged, {label} quality: {seconds:.2f} s", flush=True)
        figures["resync_s"] = {k: statistics.median(v) for k, v in resyncs.items()}
        figures["resync_runs_s"] = resyncs
        figures["keep_carried_s"] = statistics.median(carried)
        # A re-sync that changes 1 % of the rows: the figures no longer hold, so measured.
        touched: dict[str, float] = {}
        measured: list[float] = []
        for i, (label, on) in enumerate((("with", True), ("without", False))):
            importer.touch_exports(ws / "exports", importer.TOUCH_SHARE, args.seed + 1 + i)
            with quality_kept(on, measured):
                touched[label], _ = timed_ea("sync", "-w", str(ws))
            print(f"re-sync, 1 % touched, {label} quality: {touched[label]:.2f} s", flush=True)
        figures["touched_s"] = touched
        figures["keep_measured_s"] = measured[0]
        _, kept = timed_ea("quality", "-w", str(ws), "-f", "json")
        figures["trend_points"] = len(json.loads(kept)["trend"])
    figures["peak_rss_mb"] = benchkit.peak_rss_mb()
    return figures


def summary(fig: dict[str, Any]) -> str:
    ok = fig["quality_s"] <= QUALITY_TARGET_S
    with_q, without_q = fig["resync_s"]["with"], fig["resync_s"]["without"]
    touched = fig["touched_s"]
    rows = [
        ("ea stats (baseline)", f"{fig['stats_s']:.2f}", "s", "", ""),
        (
            "ea quality",
            f"{fig['quality_s']:.2f}",
            "s",
            f"<= {QUALITY_TARGET_S:g} s",
            benchkit.verdict(ok),
        ),
        ("  ratio to ea stats", f"{fig['ratio']:.1f}", "x", "", ""),
        ("re-sync, unchanged, quality kept", f"{with_q:.2f}", "s", "", ""),
        ("re-sync, unchanged, quality off", f"{without_q:.2f}", "s", "", ""),
        (
            "  of which keeping the figures (still holding)",
            f"{fig['keep_carried_s']:.2f}",
            "s",
            "",
            "",
        ),
        ("re-sync, 1 % touched, quality kept", f"{touched['with']:.2f}", "s", "", ""),
        ("re-sync, 1 % touched, quality off", f"{touched['without']:.2f}", "s", "", ""),
        ("  of which measuring and keeping them", f"{fig['keep_measured_s']:.2f}", "s", "", ""),
    ]
    head = (
        f"ea-repo quality benchmark: {fig['elements']:,} elements + {fig['relations']:,} "
        f"relations (SQLite), score {fig['score']}, findings {fig['findings']}"
    )
    env = benchkit.environment_line(fig["python"], fig["sqlite"], fig["calibration_ms"])
    return benchkit.aligned(head, env, rows)


def main(argv: list[str] | None = None) -> int:
    return benchkit.main(__doc__, run, summary, argv, [("--interfaces", int, None)])


if __name__ == "__main__":
    raise SystemExit(main())
