"""Incident diagnosis on the generated 100k-element / 300k-relation landscape.

Measured in one run, on the same SQLite file:

* diagnosis of 20 symptoms sharing a cause: VMs of the cluster hosting the most VMs,
  and applications running on them (15 VMs and 5 applications, fewer VMs when the
  cluster has fewer) — median of 3; target <= 2 s. The top candidate is checked
  to be the cluster (or the datacenter holding every member of it);
* the baseline in the same run: one impact analysis of that cluster (``analyse``,
  with its paths), median of 3, and the ratio of the two;
* for information, a diagnosis of 20 applications drawn at random (no common
  cause: many candidates, and pairs sought among them).

    python benchmarks/bench_diagnose.py [--elements N] [--relations M] [--seed S]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ea_repo.analysis.diagnose import diagnose
from ea_repo.analysis.impact import analyse
from ea_repo.metamodel import load_metamodel
from ea_repo.store import SQLiteStore

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts and benchkit
import benchkit  # noqa: E402

DIAGNOSE_TARGET_S = 2.0
SYMPTOMS = 20
RUNS = 3


def _timed(function: Any, runs: int = RUNS) -> tuple[float, Any]:
    """The median of ``runs`` calls of ``function`` (seconds), and its last result."""
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def run(args: argparse.Namespace) -> dict[str, Any]:
    generator = benchkit.sibling("bench_store")
    mm = load_metamodel()
    elements, relations = generator.generate(args.elements, args.relations, args.seed)
    gc.freeze()
    types = {e.id: e.type for e in elements}
    hosted: dict[str, list[str]] = defaultdict(list)  # cluster -> its VMs
    runs_on: dict[str, list[str]] = defaultdict(list)  # VM -> what runs on it
    for rel in relations:
        if rel.type == "hosted_on" and types[rel.dst] == "Cluster":
            hosted[rel.dst].append(rel.src)
        elif rel.type == "runs_on" and types[rel.src] == "Application":
            runs_on[rel.dst].append(rel.src)
    cluster = max(sorted(hosted), key=lambda c: len(hosted[c]))
    vms = sorted(hosted[cluster])
    apps = sorted({a for vm in vms for a in runs_on[vm]})
    wanted_vms = SYMPTOMS - min(5, len(apps))
    symptoms = vms[:wanted_vms] + apps[: SYMPTOMS - min(wanted_vms, len(vms))]
    rng = random.Random(args.seed)
    scattered = rng.sample(sorted(i for i, t in types.items() if t == "Application"), SYMPTOMS)

    with tempfile.TemporaryDirectory(prefix="ea-bench-diagnose-") as tmp:
        store = SQLiteStore(Path(tmp) / "repository.db")
        benchkit.load(store, elements, relations, say=True)
        analyse(store, mm, [cluster], max_depth=2)  # warm-up
        impact_s, impact = _timed(lambda: analyse(store, mm, [cluster]))
        print(f"impact of {cluster}: {impact_s * 1000:.0f} ms", flush=True)
        diagnose_s, report = _timed(lambda: diagnose(store, mm, symptoms))
        print(f"diagnosis of {len(symptoms)} symptoms: {diagnose_s * 1000:.0f} ms", flush=True)
        scattered_s, spread = _timed(lambda: diagnose(store, mm, scattered))
        print(f"diagnosis of {SYMPTOMS} random applications: {scattered_s * 1000:.0f} ms")
        store.close()
    top = report.candidates[0]
    return {
        "elements": len(elements),
        "relations": len(relations),
        "seed": args.seed,
        "cluster": cluster,
        "cluster_vms": len(vms),
        "symptoms": symptoms,
        "diagnose_s": diagnose_s,
        "candidates_found": report.found,
        "top": top.element.id,
        "top_type": top.element.type,
        "top_explains": len(top.explained),
        "top_breaks_down": top.breaks.down if top.breaks else None,
        "impact_s": impact_s,
        "impact_affected": len(impact.affected),
        "ratio_diagnose_over_impact": diagnose_s / impact_s,
        "scattered_s": scattered_s,
        "scattered_found": spread.found,
        "scattered_pairs": len(spread.pairs),
        "scattered_best_explains": len(spread.candidates[0].explained) if spread.candidates else 0,
    }


def summary(fig: dict[str, Any]) -> str:
    """The human-readable figures with PASS/MISS."""
    ok = fig["diagnose_s"] <= DIAGNOSE_TARGET_S
    ok_top = fig["top_explains"] == len(fig["symptoms"]) and fig["top_type"] in (
        "Cluster",
        "Datacenter",
    )
    lines = [
        f"ea-repo diagnosis benchmark: {fig['elements']:,} elements + {fig['relations']:,} relations, seed {fig['seed']}",
        "-" * 78,
        f"diagnosis of {len(fig['symptoms'])} symptoms ({fig['cluster']}, {fig['cluster_vms']} VMs)  {fig['diagnose_s'] * 1000:7.0f} ms   <= {DIAGNOSE_TARGET_S * 1000:g} ms  {benchkit.verdict(ok)}",
        f"  {fig['candidates_found']} candidates; first {fig['top']} ({fig['top_type']}), explains {fig['top_explains']}, also takes {fig['top_breaks_down']} down  {benchkit.verdict(ok_top)}",
        f"baseline: impact of the cluster ({fig['impact_affected']:,} affected)   {fig['impact_s'] * 1000:7.0f} ms",
        f"  diagnosis / impact                          {fig['ratio_diagnose_over_impact']:7.1f} x",
        f"diagnosis of {SYMPTOMS} random applications               {fig['scattered_s'] * 1000:7.0f} ms   ({fig['scattered_found']} candidates, best explains {fig['scattered_best_explains']}, {fig['scattered_pairs']} pairs)",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return benchkit.main(__doc__, run, summary, argv)


if __name__ == "__main__":
    raise SystemExit(main())
