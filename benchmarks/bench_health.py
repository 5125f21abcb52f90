"""Health at an instant on the generated 100k-element / 300k-relation landscape.

The landscape of ``bench_store.generate`` (a fifth of the software products past their end
of support, a fifth reaching it within the horizon, as in ``bench_views.py``), with
``--incidents`` Incident elements (default 400) each affecting one element drawn at random
among applications, components, virtual machines, servers, clusters and system software;
priorities weighted as an ITSM tool sees them (5 % critical, 15 % high, 50 % moderate, 30 %
low), opened over the twelve months before the instant, two thirds of them resolved a few
hours to a few days later. Written to a fresh SQLite workspace through the store (no source
confirms the facts, so every element is stale: the worst case for that read).

Measured in one run, each command in-process through ``ea_repo.cli.main`` on a freshly
opened repository, median of ``--repeat``:

* the baseline: ``ea obsolescence -f json`` (the support status of the technology and what
  depends on it, which health reuses);
* ``ea health -f json`` and its ratio to the baseline;
* ``ea view render health -o FILE.svg`` (the heat map; target: 5 s);
* ``ea report health -o FILE.html`` (the study).

    python benchmarks/bench_health.py [--elements N] [--relations M] [--incidents K]
                                      [--seed S] [--repeat R] [--json PATH]

Benchmarks report, they do not gate: the exit code is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import io
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ea_repo import Repository
from ea_repo.cli import main as ea
from ea_repo.config import init_workspace
from ea_repo.model import Element, ElementId, Relation

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts and benchkit
import benchkit  # noqa: E402

VIEW_TARGET_S = 5.0
AT = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
TARGETS = (
    "Application",
    "ApplicationComponent",
    "VirtualMachine",
    "Server",
    "Cluster",
    "SystemSoftware",
)
PRIORITIES = (("critical", 5), ("high", 15), ("moderate", 50), ("low", 30))


def incidents(
    elements: list[Element], count: int, seed: int
) -> tuple[list[Element], list[Relation]]:
    """``count`` incidents on elements drawn at random, opened over the year before AT."""
    rng = random.Random(seed)
    targets = sorted(e.id for e in elements if e.type in TARGETS)
    names, weights = zip(*PRIORITIES, strict=True)
    found, links = [], []
    for n in range(count):
        opened = AT - dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
        attrs: dict[str, Any] = {
            "number": f"INC{n:07d}",
            "priority": rng.choices(names, weights)[0],
            "state": "in_progress",
            "opened_at": opened.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if rng.random() < 2 / 3:
            resolved = opened + dt.timedelta(minutes=rng.randrange(60, 5 * 24 * 60))
            attrs.update(state="resolved", resolved_at=resolved.strftime("%Y-%m-%dT%H:%M:%SZ"))
        iid = ElementId(f"inc-{n:05d}")
        found.append(Element(iid, "Incident", attrs["number"], attrs))
        links.append(Relation(iid, "affects", ElementId(rng.choice(targets))))
    return found, links


def timed_ea(repeat: int, *args: str) -> tuple[float, str]:
    """Run ``ea ARGS`` in-process ``repeat`` times: the median wall time and the last output."""
    times, text = [], ""
    for _ in range(repeat):
        out = io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = ea(list(args))
        times.append(time.perf_counter() - t0)
        if code != 0:
            raise SystemExit(f"ea {' '.join(args)} exited {code}")
        text = out.getvalue()
    return statistics.median(times), text


def run(args: argparse.Namespace) -> dict[str, Any]:
    generator = benchkit.sibling("bench_store")
    elements, relations = generator.generate(args.elements, args.relations, args.seed)
    rng = random.Random(args.seed)
    dated = benchkit.end_of_support(elements, rng, "2027-03-31")
    tickets, affects = incidents(dated, args.incidents, args.seed)
    gc.freeze()
    figures: dict[str, Any] = {
        **benchkit.machine(args.seed),
        "elements": len(dated),
        "relations": len(relations),
        "incidents": len(tickets),
    }
    with tempfile.TemporaryDirectory(prefix="ea-bench-health-") as tmp_name:
        tmp = Path(tmp_name)
        ws = init_workspace(tmp / "ws")
        with Repository.open(ws) as repo:
            load_s = benchkit.load(repo.store, [*dated, *tickets], [*relations, *affects])
        del dated, relations
        print(f"loaded in {load_s:.1f} s", flush=True)
        at = AT.strftime("%Y-%m-%dT%H:%M:%SZ")
        day = AT.date().isoformat()
        w = ("-w", str(ws))
        base_s, base_out = timed_ea(args.repeat, "obsolescence", *w, "--at", day, "-f", "json")
        figures["obsolescence_s"] = base_s
        figures["obsolete_exposed"] = len(json.loads(base_out)["exposed"])
        print(f"ea obsolescence: {base_s:.2f} s", flush=True)
        health_s, health_out = timed_ea(args.repeat, "health", *w, "--at", at, "-f", "json")
        report = json.loads(health_out)
        figures["health_s"] = health_s
        figures["ratio"] = health_s / base_s
        figures["counts"] = report["counts"]
        figures["open_incidents"] = len(report["open_incidents"])
        print(f"ea health: {health_s:.2f} s, {report['counts']}", flush=True)
        svg = tmp / "health.svg"
        view_s, _ = timed_ea(
            args.repeat, "view", "render", "health", *w, "--at", day, "-o", str(svg)
        )
        figures["view_s"] = view_s
        figures["view_bytes"] = svg.stat().st_size
        print(f"ea view render health: {view_s:.2f} s", flush=True)
        html = tmp / "health.html"
        study_s, _ = timed_ea(args.repeat, "report", "health", *w, "--at", at, "-o", str(html))
        figures["study_s"] = study_s
        figures["study_bytes"] = html.stat().st_size
        print(f"ea report health: {study_s:.2f} s", flush=True)
    figures["peak_rss_mb"] = benchkit.peak_rss_mb()
    return figures


def summary(fig: dict[str, Any]) -> str:
    rows = [
        ("ea obsolescence (baseline)", f"{fig['obsolescence_s']:.2f}", "s", "", ""),
        ("ea health", f"{fig['health_s']:.2f}", "s", "", ""),
        ("  ratio to ea obsolescence", f"{fig['ratio']:.1f}", "x", "", ""),
        (
            "ea view render health",
            f"{fig['view_s']:.2f}",
            "s",
            f"<= {VIEW_TARGET_S:g} s",
            benchkit.verdict(fig["view_s"] <= VIEW_TARGET_S),
        ),
        ("ea report health", f"{fig['study_s']:.2f}", "s", "", ""),
    ]
    head = (
        f"ea-repo health benchmark: {fig['elements']:,} elements + {fig['relations']:,} "
        f"relations + {fig['incidents']} incidents (SQLite), {fig['open_incidents']} open, "
        f"states {fig['counts']}"
    )
    env = benchkit.environment_line(fig["python"], fig["sqlite"], fig["calibration_ms"])
    return benchkit.aligned(head, env, rows)


def main(argv: list[str] | None = None) -> int:
    return benchkit.main(
        __doc__, run, summary, argv, [("--incidents", int, 400), ("--repeat", int, 3)]
    )


if __name__ == "__main__":
    raise SystemExit(main())
