"""Server time of the web explorer's pages on the generated 100k-element / 300k-relation
landscape (``ea serve``; issue 21).

Each figure is the time the Flask app takes to answer one request (its test client: no
network), the median of ``--repeat`` runs, beside its CPU time (``os.times``, Graphviz
included), which waiting for a core on a shared machine does not inflate. Targets: the
element page and the explorer's first impact level at most 300 ms, a search at most
200 ms, a view page at most 5 s. The explorer keeps its last reports; each impact run
here starts with none kept (a first visit). The baselines in the same run are the library's
read of an element and its relations (``Repository.describe``), the floor of an element
page, and the impact analysis to depth 1 from the hub (``Repository.analyse``), the floor
of the explorer's first level.

The starts are those of ``bench_views.py``: the element most depended on (the hub) and
the application with the most flows.

    python benchmarks/bench_serve.py [--elements N] [--relations M] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ea_repo.config import init_workspace
from ea_repo.metamodel import load_metamodel
from ea_repo.repository import Repository
from ea_repo.web.app import create_app

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts and benchkit
import benchkit  # noqa: E402

TARGETS_S = {"element": 0.3, "impact": 0.3, "search": 0.2, "view": 5.0}


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(repeat: int, call: Callable[[], Any], before: Callable[[], None] | None = None) -> dict[str, float]:
    """Median clock and CPU seconds of ``call`` over ``repeat`` runs (``before`` each, untimed)."""
    clock, cpu = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        c0, t0 = _cpu(), time.perf_counter()
        call()
        clock.append(time.perf_counter() - t0)
        cpu.append(_cpu() - c0)
    return {"s": statistics.median(clock), "cpu_s": statistics.median(cpu)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    generator = benchkit.sibling("bench_store")
    mm = load_metamodel()
    elements, relations = generator.generate(args.elements, args.relations, args.seed)
    hub, app_id = benchkit.starts(relations, mm)
    names = {e.id: e.name for e in elements}
    figures: dict[str, Any] = {
        **benchkit.machine(args.seed),
        "elements": len(elements),
        "relations": len(relations),
        "hub": hub,
        "application": app_id,
    }
    pages: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="ea-bench-serve-") as tmp_name:
        ws = init_workspace(Path(tmp_name) / "ws")
        with Repository.open(ws) as repo:
            benchkit.load(repo.store, elements, relations, say=True)
            del elements, relations
            app = create_app(repo)
            client = app.test_client()
            explorer = app.extensions["ea_explorer"]

            def get(path: str, **query: Any) -> Callable[[], None]:
                url = path + "?" + urlencode(query, doseq=True)

                def call() -> None:
                    answer = client.get(url)
                    if answer.status_code != 200:
                        raise SystemExit(f"{url}: {answer.status_code} {answer.get_data()[:300]!r}")

                return call

            forget = explorer._reports.clear
            figures["baseline_describe"] = timed(args.repeat, lambda: repo.describe(app_id))
            figures["baseline_impact_level"] = timed(
                args.repeat, lambda: repo.analyse("impact", [hub], max_depth=1, paths=False)
            )
            cases: list[tuple[str, str, Callable[[], None], Callable[[], None] | None]] = [
                ("element", "element page: the busiest application", get("/element", id=app_id), None),
                ("element", "element page: the hub", get("/element", id=hub), None),
                ("impact", "explorer page", get("/explore", id=hub), None),
                ("impact", "first impact level of the hub", get("/api/children", start=hub, node=hub, level=0), forget),
                ("impact", "first impact level of the application", get("/api/children", start=app_id, node=app_id, level=0), forget),
                ("impact", "reached within 3 of the application", get("/api/reached", start=app_id, depth=3), forget),
                ("search", "search: a name, first page", get("/search", q=names[app_id][:6]), None),
                ("search", "search: type and attribute", get("/search", type="Server", where="environment=production"), None),
                ("search", "search: text found nowhere", get("/search", q="no-such-text-anywhere"), None),
            ]
            for view in ("application-landscape", "flow-map", "infrastructure", "capability-map"):
                cases.append(("view", f"view {view}", get("/view", name=view), None))
            cases.append(("view", "view impact of the hub", get("/view", name="impact", select=hub), None))
            for kind, label, call, before in cases:
                repeat = 1 if kind == "view" else args.repeat
                figure = timed(repeat, call, before)
                pages[label] = {**figure, "kind": kind, "target_s": TARGETS_S[kind]}
                print(f"{label}: {figure['s'] * 1000:.0f} ms (cpu {figure['cpu_s'] * 1000:.0f} ms)", flush=True)
    figures["pages"] = pages
    figures["peak_rss_mb"] = benchkit.peak_rss_mb()
    return figures


def summary(fig: dict[str, Any]) -> str:
    base = fig["baseline_describe"]["s"]
    level = fig["baseline_impact_level"]
    rows = [
        ("Repository.describe (baseline)", f"{base * 1000:.0f}", "ms", "", ""),
        (
            f"analyse impact of the hub, depth 1 (cpu {level['cpu_s'] * 1000:.0f} ms)",
            f"{level['s'] * 1000:.0f}",
            "ms",
            "",
            "",
        ),
    ]
    for label, p in fig["pages"].items():
        rows.append(
            (
                f"{label} (cpu {p['cpu_s'] * 1000:.0f} ms, {p['s'] / base:.1f}x baseline)",
                f"{p['s'] * 1000:.0f}",
                "ms",
                f"<= {p['target_s'] * 1000:.0f} ms",
                benchkit.verdict(p["s"] <= p["target_s"]),
            )
        )
    head = (
        f"ea-repo web explorer benchmark: {fig['elements']:,} elements + "
        f"{fig['relations']:,} relations (SQLite), server time per request"
    )
    env = benchkit.environment_line(fig["python"], fig["sqlite"], fig["calibration_ms"])
    return benchkit.aligned(head, env, rows)


def main(argv: list[str] | None = None) -> int:
    return benchkit.main(__doc__, run, summary, argv, [("--repeat", int, 5)])


if __name__ == "__main__":
    raise SystemExit(main())
