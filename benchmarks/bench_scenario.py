"""Analyses under a scenario, against the same analyses without it, in one run.

On the generated landscape (100 000 elements, 300 000 relations by default) a
scenario of 1 000 edits — additions, replacements (each moving every relation
of the element replaced), retirements, attribute changes, new and removed
relations — is written as a file of a real workspace, then:

* typical impact (random starts, depth <= 6) seen today without the scenario,
  and seen the same day under it: p50 of each, and their ratio (target <= 1.5x);
* what one command pays once to apply the scenario (reading and compiling it);
* ``scenario diff`` of that scenario against the facts (target <= 10 s).

    python benchmarks/bench_scenario.py [--elements N] [--relations M] [--edits K] [--starts S]
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

from ea_repo.analysis.impact import analyse
from ea_repo.config import init_workspace
from ea_repo.model import Element
from ea_repo.repository import Repository
from ea_repo.scenarios import Book, Edit, Scenario
from ea_repo.scenarios.diff import scenario_diff

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts and benchkit
import benchkit  # noqa: E402

RATIO_TARGET = 1.5
DIFF_TARGET_S = 10.0
MOVABLE = ("Application", "ApplicationComponent", "VirtualMachine", "SystemSoftware")


def scenario_of(elements: list[Element], edits: int, rng: random.Random) -> Scenario:
    """``edits`` edits over ``elements``: a fifth each of adds, replaces (by what was
    added), retirements and attribute changes, a tenth each of links and unlinks."""
    movable = [e for e in elements if e.type in MOVABLE]
    picked = rng.sample(movable, edits)
    vms = [e.id for e in elements if e.type == "VirtualMachine"]
    out: list[Edit] = []
    fifth, tenth = edits // 5, edits // 10
    for i, old in enumerate(picked[:fifth]):
        new_id = f"new-{i:05d}"
        out.append(Edit("add", id=new_id, type=old.type, name=f"{old.name} (new)"))
        out.append(Edit("replace", id=old.id, by=new_id, on="2027-06-01"))
    out.extend(Edit("retire", id=e.id) for e in picked[fifth : 2 * fifth])
    out.extend(
        Edit("set", id=e.id, attrs={"owner": "team-migration"})
        for e in picked[2 * fifth : 3 * fifth]
    )
    for i, e in enumerate(picked[3 * fifth : 3 * fifth + tenth]):
        out.append(Edit("link", src=e.id, type="runs_on", dst=vms[i % len(vms)]))
    return Scenario("bench", "1 000 edits over the generated landscape", None, tuple(out[:edits]))


def run(args: argparse.Namespace) -> dict[str, Any]:
    generator = benchkit.sibling("bench_store")
    elements, relations = generator.generate(args.elements, args.relations, args.seed)
    rng = random.Random(args.seed)
    gc.freeze()
    with tempfile.TemporaryDirectory(prefix="ea-bench-scenario-") as tmp:
        root = init_workspace(Path(tmp) / "ws")
        with Repository.open(root) as repo:
            benchkit.load(repo.store, elements, relations)
            scenario = scenario_of(elements, args.edits, rng)
            # The unlinks: relations of elements the scenario does not otherwise touch.
            named = {x for e in scenario.edits for x in (e.id, e.by, e.src) if x}
            spare = [r for r in relations if r.src not in named and r.dst not in named]
            unlinks = tuple(
                Edit("unlink", relation=r.id) for r in rng.sample(spare, args.edits // 10)
            )
            scenario = Scenario(scenario.name, scenario.description, None, scenario.edits + unlinks)
            Book(root).write(scenario)
            day = dt.date.today().isoformat()
            starts = rng.sample([e.id for e in elements if e.type in MOVABLE], args.starts)

            t0 = time.perf_counter()
            under = repo.seen(day, "bench")
            compile_s = time.perf_counter() - t0
            assert under.overlay is not None
            plain = repo.seen(day)
            for side in (plain, under):
                analyse(side.store, repo.metamodel, starts[:5], max_depth=6)  # warm-up
            times: dict[str, list[float]] = {"facts": [], "scenario": []}
            for start in starts:  # interleaved, so that the machine's noise hits both alike
                for label, side in (("facts", plain), ("scenario", under)):
                    t0 = time.perf_counter()
                    analyse(side.store, repo.metamodel, [start], max_depth=6)
                    times[label].append((time.perf_counter() - t0) * 1000)

            t0 = time.perf_counter()
            gap = scenario_diff(repo, "bench", at=day)
            diff_s = time.perf_counter() - t0
    p50 = {k: statistics.median(v) for k, v in times.items()}
    return {
        "elements": len(elements),
        "relations": len(relations),
        "edits": len(scenario.edits),
        "drift": len(under.overlay.drift),
        "overlay": {
            "elements": len(under.overlay.elements),
            "relations_added": len(under.overlay.relations),
            "relations_removed": len(under.overlay.removed),
        },
        "starts": len(starts),
        "compile_s": compile_s,
        "impact_p50_ms": p50,
        "impact_p95_ms": {k: benchkit.percentile(v, 95) for k, v in times.items()},
        "ratio": p50["scenario"] / p50["facts"],
        "diff_s": diff_s,
        "diff": {
            "elements": len(gap.elements),
            "relations": len(gap.relations),
            "support": len(gap.support),
            "flows": len(gap.flows),
        },
    }


def summary(fig: dict[str, Any]) -> str:
    ok_ratio = fig["ratio"] <= RATIO_TARGET
    ok_diff = fig["diff_s"] <= DIFF_TARGET_S
    rows = [
        ("impact p50, the facts", f"{fig['impact_p50_ms']['facts']:.1f}", "ms", "", ""),
        ("impact p50, under the scenario", f"{fig['impact_p50_ms']['scenario']:.1f}", "ms", "", ""),
        ("  ratio", f"{fig['ratio']:.2f}", "x", f"<= {RATIO_TARGET}", benchkit.verdict(ok_ratio)),
        ("applying the scenario (once per command)", f"{fig['compile_s']:.2f}", "s", "", ""),
        (
            "scenario diff",
            f"{fig['diff_s']:.2f}",
            "s",
            f"<= {DIFF_TARGET_S:g} s",
            benchkit.verdict(ok_diff),
        ),
    ]
    head = (
        f"ea-repo scenario benchmark: {fig['elements']:,} elements + {fig['relations']:,} "
        f"relations, a scenario of {fig['edits']} edits ({fig['drift']} not applying), "
        f"{fig['starts']} impact starts"
    )
    overlay = fig["overlay"]
    env = (
        f"overlay: {overlay['elements']} elements, +{overlay['relations_added']} "
        f"-{overlay['relations_removed']} relations; diff: {fig['diff']}"
    )
    return benchkit.aligned(head, env, rows)


def main(argv: list[str] | None = None) -> int:
    return benchkit.main(
        __doc__, run, summary, argv, [("--edits", int, 1000), ("--starts", int, 200)]
    )


if __name__ == "__main__":
    raise SystemExit(main())
