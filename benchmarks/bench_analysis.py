"""Impact analysis latency on the generated 100k-element / 300k-relation landscape.

Measured in one run, on the same SQLite file:

* typical impact: ``analyse()`` (traversal + elements + paths) from many
  random starts, depth ≤ 6 — p50 and p95;
* full closure from a hub (the most depended-on element): the whole
  transitive impact, no depth limit;
* the baseline the design must beat: loading the same graph into networkx
  from the store and calling ``nx.descendants`` on the same hub — the
  "load everything and traverse in memory" approach;
* the cost of a date: typical impact and the hub's closure through
  ``Lens(at=today)`` against ``Lens()``, interleaved start by start, on the
  landscape as generated (no lifecycle date), then again once every element
  has a phase-in date in the past (the same answers, every row dated).

Targets (issue #4): typical impact ≤ 50 ms p50; full closure of a hub ≤ 0.5 s
and well ahead of the networkx load-and-traverse path.

    python benchmarks/bench_analysis.py [--elements N] [--relations M] [--starts K]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import networkx as nx

from ea_repo.analysis.impact import analyse
from ea_repo.analysis.traversal import traverse
from ea_repo.metamodel import Dependent, Metamodel, load_metamodel
from ea_repo.model import CURRENT, Element, Lens
from ea_repo.store import SQLiteStore

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts and benchkit
import benchkit  # noqa: E402

IMPACT_P50_TARGET_MS = 50.0
CLOSURE_TARGET_S = 0.5


def run(args: argparse.Namespace) -> dict[str, Any]:
    generator = benchkit.sibling("bench_store")
    mm = load_metamodel()
    elements, relations = generator.generate(args.elements, args.relations, args.seed)
    gc.freeze()
    with tempfile.TemporaryDirectory(prefix="ea-bench-analysis-") as tmp:
        store = SQLiteStore(Path(tmp) / "repository.db")
        benchkit.load(store, elements, relations, say=True)

        # The hub: the element with the most direct dependents (impact steps).
        steps = mm.impact_steps()
        dependents, _ = benchkit.counted(relations, mm)
        hub = dependents.most_common(1)[0][0]

        # Typical impact: random starts among the technology and application elements.
        rng = random.Random(args.seed)
        candidates = [e.id for e in elements if e.type in benchkit.IMPACT_START_TYPES]
        starts = rng.sample(candidates, args.starts)
        analyse(store, mm, starts[:5], max_depth=6)  # warm-up
        times, reached = [], []
        for start in starts:
            t0 = time.perf_counter()
            report = analyse(store, mm, [start], max_depth=6)
            times.append((time.perf_counter() - t0) * 1000)
            reached.append(len(report.affected))
        print(f"typical impact p50 {statistics.median(times):.1f} ms", flush=True)

        closure_runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            closure = traverse(store, mm, [hub])
            closure_runs.append(time.perf_counter() - t0)
        closure_s = statistics.median(closure_runs)
        t0 = time.perf_counter()
        full = analyse(store, mm, [hub])
        closure_report_s = time.perf_counter() - t0
        print(
            f"hub closure {closure_s * 1000:.0f} ms ({len(closure.reached) - 1:,} reached)",
            flush=True,
        )

        # Baseline: load the graph from the store into networkx, then nx.descendants.
        t0 = time.perf_counter()
        graph = nx.DiGraph()
        graph.add_nodes_from(e.id for e in store.iter_elements())
        for rel in store.iter_relations():
            rt = mm.relation_types.get(rel.type)
            if rt is None:
                continue
            if rt.dependent in (Dependent.SOURCE, Dependent.BOTH):
                graph.add_edge(rel.dst, rel.src)
            if rt.dependent in (Dependent.TARGET, Dependent.BOTH):
                graph.add_edge(rel.src, rel.dst)
        nx_load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        nx_reached = nx.descendants(graph, hub)
        nx_traverse_s = time.perf_counter() - t0

        today = dt.date.today().isoformat()
        undated = _date_costs(store, mm, starts, hub, today)
        print(f"a date, no dated row: impact x{undated['impact_ratio']:.2f}", flush=True)
        t0 = time.perf_counter()
        with store.transaction():
            store.upsert_elements(_installed(elements, args.seed))
        dating_s = time.perf_counter() - t0
        dated = _date_costs(store, mm, starts, hub, today)
        print(f"a date, every element dated: impact x{dated['impact_ratio']:.2f}", flush=True)
        store.close()
    return {
        "elements": len(elements),
        "relations": len(relations),
        "seed": args.seed,
        "starts": args.starts,
        "steps": len(steps),
        "impact_ms": {
            "p50": statistics.median(times),
            "p95": benchkit.percentile(times, 95),
            "max": max(times),
        },
        "impact_reached": {"median": statistics.median(reached), "max": max(reached)},
        "hub": hub,
        "hub_direct_dependents": dependents[hub],
        "closure_s": closure_s,
        "closure_runs_s": closure_runs,
        "closure_with_report_s": closure_report_s,
        "closure_reached": len(closure.reached) - 1,
        "closure_report_affected": len(full.affected),
        "networkx_load_s": nx_load_s,
        "networkx_descendants_s": nx_traverse_s,
        "networkx_reached": len(nx_reached),
        "ratio_networkx_over_closure": (nx_load_s + nx_traverse_s) / closure_s,
        "date_undated": undated,
        "date_dated": dated,
        "dating_upsert_s": dating_s,
    }


def _installed(elements: list[Element], seed: int) -> list[Element]:
    """``elements``, each with a phase-in date in the past (between 2010 and 2024)."""
    rng = random.Random(seed)
    first = dt.date(2010, 1, 1).toordinal()
    return [
        Element(
            e.id,
            e.type,
            e.name,
            {
                **e.attrs,
                "lifecycle_phase_in": dt.date.fromordinal(first + rng.randrange(5400)).isoformat(),
            },
            e.status,
        )
        for e in elements
    ]


def _date_costs(
    store: SQLiteStore, mm: Metamodel, starts: list[str], hub: str, day: str
) -> dict[str, Any]:
    """Typical impact and the hub's closure through ``Lens()`` and ``Lens(at=day)``,
    interleaved so that both see the same machine, each first every other time (the
    second run of a start finds its pages cached); the ratios dated / not."""
    dated_lens = CURRENT.on(day)
    plain: list[float] = []
    with_day: list[float] = []
    both = [(CURRENT, plain), (dated_lens, with_day)]
    for n, start in enumerate(starts):
        for lens, times in both if n % 2 else both[::-1]:
            t0 = time.perf_counter()
            analyse(store, mm, [start], max_depth=6, lens=lens)
            times.append((time.perf_counter() - t0) * 1000)
    closure: dict[Lens, list[float]] = {CURRENT: [], dated_lens: []}
    for n in range(4):
        for lens, runs in closure.items() if n % 2 else reversed(closure.items()):
            t0 = time.perf_counter()
            traverse(store, mm, [hub], lens=lens)
            runs.append(time.perf_counter() - t0)
    p50, p50_day = statistics.median(plain), statistics.median(with_day)
    closure_s, closure_day_s = (statistics.median(runs) for runs in closure.values())
    return {
        "day": day,
        "impact_p50_ms": p50,
        "impact_p50_at_day_ms": p50_day,
        "impact_ratio": p50_day / p50,
        "closure_s": closure_s,
        "closure_at_day_s": closure_day_s,
        "closure_ratio": closure_day_s / closure_s,
    }


def summary(fig: dict[str, Any]) -> str:
    """The human-readable figures with PASS/MISS."""
    ok_impact = fig["impact_ms"]["p50"] <= IMPACT_P50_TARGET_MS
    ok_closure = fig["closure_s"] <= CLOSURE_TARGET_S
    lines = [
        f"ea-repo analysis benchmark: {fig['elements']:,} elements + {fig['relations']:,} relations, seed {fig['seed']}",
        "-" * 78,
        f"typical impact (depth <= 6, {fig['starts']} starts)  p50 {fig['impact_ms']['p50']:7.1f} ms   <= {IMPACT_P50_TARGET_MS:g} ms  {'PASS' if ok_impact else 'MISS'}",
        f"                                        p95 {fig['impact_ms']['p95']:7.1f} ms   (median {fig['impact_reached']['median']:.0f} reached, max {fig['impact_reached']['max']})",
        f"hub closure, traversal ({fig['closure_reached']:,} reached)   {fig['closure_s'] * 1000:7.0f} ms   <= {CLOSURE_TARGET_S * 1000:g} ms  {'PASS' if ok_closure else 'MISS'}",
        f"hub closure with report (elements, paths)    {fig['closure_with_report_s'] * 1000:7.0f} ms",
        f"networkx: load from store {fig['networkx_load_s'] * 1000:.0f} ms + descendants {fig['networkx_descendants_s'] * 1000:.0f} ms ({fig['networkx_reached']:,} reached)",
        f"  networkx path / ea-repo closure           {fig['ratio_networkx_over_closure']:7.1f} x",
    ]
    for label, key in (("no row dated", "date_undated"), ("every element dated", "date_dated")):
        d = fig[key]
        lines.append(
            f"Lens(at={d['day']}) / Lens(), {label}: impact p50 {d['impact_p50_at_day_ms']:.1f} / "
            f"{d['impact_p50_ms']:.1f} ms = {d['impact_ratio']:.2f} x; hub closure "
            f"{d['closure_at_day_s'] * 1000:.0f} / {d['closure_s'] * 1000:.0f} ms = {d['closure_ratio']:.2f} x"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return benchkit.main(__doc__, run, summary, argv, [("--starts", int, 200)])


if __name__ == "__main__":
    raise SystemExit(main())
