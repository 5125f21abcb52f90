"""The traversal read path in CPU time, for comparing two versions of the store on a shared machine.

On bench_store's landscape (a repository file built once, then reused with ``--db``):

* ``neighbors`` of 500 random ids along the impact steps (what one traversal level asks):
  cold, a new store per call (its page cache and the far ends' ids it keeps are empty,
  as in a fresh ``ea`` process), and warm, the same store call after call;
* typical impact: ``analyse()`` (depth ≤ 6, paths) from ``--starts`` random technology and
  application elements, as ``bench_analysis.py``, p50 and p95;
* the hub's closure (``traverse`` from the element with the most direct dependents, median
  of 3) and its full ``analyse()``.

Every figure is CPU time (``time.process_time``): the clock of a machine others share says
more about them than about the code. To compare with another checkout, run this script with
that checkout's ``ea_repo`` first on the path, each version with its own ``--db`` (a newer
version migrates a file an older one made), the two in turn::

    SITE=$(.venv/bin/python -c "import site; print(site.getsitepackages()[0])")
    PYTHONPATH=/path/to/other/checkout:$SITE .venv/bin/python -S \\
        benchmarks/bench_traversal.py --db /tmp/other.db
    .venv/bin/python benchmarks/bench_traversal.py --db /tmp/this.db

(``-S`` keeps this environment's editable install of ``ea_repo`` off the path.)
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import ea_repo
from ea_repo.analysis.impact import analyse
from ea_repo.analysis.traversal import traverse
from ea_repo.metamodel import load_metamodel
from ea_repo.store import SQLiteStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchkit

SAMPLE = 500


def _ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def run(args: argparse.Namespace) -> dict[str, Any]:
    generator = benchkit.sibling("bench_store")
    mm = load_metamodel()
    steps = mm.impact_steps()
    elements, relations = generator.generate(args.elements, args.relations, args.seed)
    with tempfile.TemporaryDirectory(prefix="ea-bench-traversal-") as tmp:
        db = args.db or Path(tmp) / "repository.db"
        if not Path(db).exists():
            store = SQLiteStore(db)
            benchkit.load(store, elements, relations, say=True)
            store.close()
        hub = benchkit.counted(relations, mm)[0].most_common(1)[0][0]
        ids = [e.id for e in elements]
        candidates = [e.id for e in elements if e.type in benchkit.IMPACT_START_TYPES]
        del elements, relations
        gc.collect()
        gc.freeze()
        cpu = time.process_time
        rng = random.Random(args.seed)

        cold = []
        for _ in range(15):
            store = SQLiteStore(db)
            chosen = rng.sample(ids, SAMPLE)
            t0 = cpu()
            store.neighbors(chosen, steps)
            cold.append(cpu() - t0)
            store.close()
        store = SQLiteStore(db)
        store.neighbors(rng.sample(ids, SAMPLE), steps)  # warm-up
        warm, hops = [], []
        for _ in range(args.repeat):
            chosen = rng.sample(ids, SAMPLE)
            t0 = cpu()
            hops.append(len(store.neighbors(chosen, steps)))
            warm.append(cpu() - t0)
        print(f"neighbors cold {_ms(cold):.1f} ms, warm {_ms(warm):.1f} ms", flush=True)

        store.close()
        store = SQLiteStore(db)  # analyses start as a fresh process's would
        starts = rng.sample(candidates, args.starts)
        analyse(store, mm, starts[:5], max_depth=6)
        impact = []
        for start in starts:
            t0 = cpu()
            analyse(store, mm, [start], max_depth=6)
            impact.append(cpu() - t0)
        closure = []
        for _ in range(3):
            t0 = cpu()
            reached = len(traverse(store, mm, [hub]).reached) - 1
            closure.append(cpu() - t0)
        t0 = cpu()
        analyse(store, mm, [hub])
        closure_report = cpu() - t0
        store.close()
    return {
        "code": str(Path(ea_repo.__file__).resolve().parent.parent),
        "elements": args.elements,
        "relations": args.relations,
        "neighbors_cold_p50_ms": _ms(cold),
        "neighbors_warm_p50_ms": _ms(warm),
        "neighbors_avg_hops": statistics.fmean(hops),
        "impact_p50_ms": _ms(impact),
        "impact_p95_ms": benchkit.percentile(impact, 95) * 1000,
        "hub": hub,
        "closure_reached": reached,
        "closure_ms": _ms(closure),
        "closure_report_ms": closure_report * 1000,
    }


def summary(fig: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"traversal read path, CPU time ({fig['elements']:,} elements, "
            f"{fig['relations']:,} relations; the code of {fig['code']})",
            f"  neighbors, {SAMPLE} ids x impact steps ({fig['neighbors_avg_hops']:,.0f} hops)"
            f"  cold p50 {fig['neighbors_cold_p50_ms']:.1f} ms, warm p50 "
            f"{fig['neighbors_warm_p50_ms']:.1f} ms",
            f"  typical impact  p50 {fig['impact_p50_ms']:.1f} ms, p95 {fig['impact_p95_ms']:.1f} ms",
            f"  hub closure ({fig['closure_reached']:,} reached)  {fig['closure_ms']:.0f} ms, "
            f"with its report {fig['closure_report_ms']:.0f} ms",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    return benchkit.main(
        __doc__,
        run,
        summary,
        argv,
        [("--db", Path, None), ("--starts", int, 200), ("--repeat", int, 60)],
    )


if __name__ == "__main__":
    raise SystemExit(main())
