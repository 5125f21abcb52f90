"""Render time of every built-in view on the generated 100k-element / 300k-relation landscape.

Each view is built from the repository (selection, analysis when it has one,
grouping, collapsing over its limit) and drawn to SVG by Graphviz; the figure
is the whole, per view, median of ``--repeat`` runs. Target (issue #5): no
view over 5 s. The baseline in the same run is the time to read every element
of the repository (``iter_elements``), the floor of any "draw everything" tool.

Analysis views need a start: the impact and dependencies views start at the
most depended-on element, decommission at the application with the most
flows, data flows at the same application, migration waves at one datacenter.
A fifth of the software products get an end of support in the past and a
fifth one within the horizon, so obsolescence has something to find.

Two workspace views follow the built-ins, the cases any spec may build (issue
17): ``by-hostname`` selects the technology, application and physical layers
and groups by ``hostname`` (unique per machine: every virtual machine and
server gets one here, some 30 000 groups), ``limit: 400``, ``edge_limit:
1200``; ``apps-by-machine`` groups the 23 000 applications and components by
the machine they run on. The spec matrix follows (``m-*``, :func:`matrix_views`):
two layer sets (three layers, 90 800 elements; five, 92 000) by four group rules
(``hostname``, ``serial`` then ``owner``, ``container: [runs_on]``, ``layer``), each
plain and styled (``labels``, ``edge_labels`` and ``color_by``).

    python benchmarks/bench_views.py [--elements N] [--relations M] [--repeat R]
                                     [--db FILE] [--only VIEW ...] [--dot DIR]

``--db FILE`` keeps the loaded landscape in FILE and reuses it on the next run
with the same size and seed (loading takes longer than all the views);
``--only`` measures just the views named (shell patterns: ``'m-*'`` is the spec matrix);
``--dot DIR`` writes each view's DOT to DIR, to compare two versions. Each figure is also
given as a multiple of the CPU calibration (:func:`benchkit.calibrate`, the mean of one
before and one after the views), which a loaded machine inflates as it does the views,
and the CPU time of the view (Python and Graphviz), which waiting for a core does not.
"""

from __future__ import annotations

import argparse
import fnmatch
import gc
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ea_repo.metamodel import Metamodel, load_metamodel
from ea_repo.model import Element, Relation
from ea_repo.store import SQLiteStore
from ea_repo.store.base import GraphStore
from ea_repo.views.build import build_view
from ea_repo.views.render import render
from ea_repo.views.spec import ViewSpec, ViewSpecError, builtin_views, parse_view
from ea_repo.yamlio import parse_yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts and benchkit
import benchkit  # noqa: E402

TARGET_S = 5.0

STRESS_VIEWS = {
    "by-hostname": """
name: by-hostname
title: Everything by host name
select: "layer:technology,layer:application,layer:physical"
group: [{attribute: hostname}]
limit: 400
edge_limit: 1200
""",
    "apps-by-machine": """
name: apps-by-machine
title: Applications by the machine they run on
select: "type:Application,type:ApplicationComponent"
group: [{container: [runs_on]}]
""",
}
"""Workspace views whose groups outnumber any limit (see the module docstring)."""

MATRIX_LAYERS = {
    "3L": "layer:technology,layer:application,layer:physical",
    "5L": "layer:strategy,layer:business,layer:application,layer:technology,layer:physical",
}
MATRIX_GROUPS = {
    "hostname": "[{attribute: hostname}]",
    "serial-owner": "[{attribute: serial}, {attribute: owner}]",
    "container": "[{container: [runs_on]}]",
    "layer": "[layer]",
}
MATRIX_STYLED = (
    "labels: [owner, criticality]\nstyle: {edge_labels: [protocol, data], color_by: %s}\n"
)
"""The spec matrix (issue 17: every view within 5 s whatever its spec): each layer set by each
group rule, plain and styled (labels, edge labels and a colouring; ``criticality``, and ``risk``
for the host names), ``limit: 400``, ``edge_limit: 1200``."""


def matrix_views() -> dict[str, str]:
    """The YAML of every case of the spec matrix, by name (``m-LAYERS-GROUP[+style]``)."""
    views: dict[str, str] = {}
    for lname, select in MATRIX_LAYERS.items():
        for gname, group in MATRIX_GROUPS.items():
            colours = ["criticality", "risk"] if gname == "hostname" else ["criticality"]
            for style in ["", *colours]:
                name = f"m-{lname}-{gname}" + (f"+{style}" if style else "")
                views[name] = (
                    f'name: {name}\ntitle: {name}\nselect: "{select}"\ngroup: {group}\n'
                    "limit: 400\nedge_limit: 1200\n" + (MATRIX_STYLED % style if style else "")
                )
    return views


def stress_views() -> dict[str, ViewSpec]:
    """The views of :data:`STRESS_VIEWS` and the spec matrix, parsed as a workspace's own would be."""
    return {
        name: parse_view(parse_yaml(text, f"<{name}>", ViewSpecError), f"<{name}>")
        for name, text in {**STRESS_VIEWS, **matrix_views()}.items()
    }


def view_starts(
    mm: Metamodel, elements: Iterable[Element], relations: Iterable[Relation]
) -> dict[str, str]:
    """The start of each analysis view (see the module docstring), chosen from the landscape:
    the most depended-on element, the application with the most flows, the first datacenter."""
    datacenter = next(e.id for e in elements if e.type == "Datacenter")
    hub, busiest_app = benchkit.starts(relations, mm)
    return {
        "impact": hub,
        "dependencies": busiest_app,
        "decommission": busiest_app,
        "data-flows": busiest_app,
        "migration-waves": f'+"{datacenter}"',
        # Two symptoms: the busiest application and what most depends on.
        "diagnosis": f"{busiest_app},{hub}",
    }


def measure_views(
    store: GraphStore,
    mm: Metamodel,
    views: dict[str, ViewSpec],
    starts: dict[str, str],
    repeat: int,
    dot: Path | None = None,
) -> dict[str, Any]:
    """Build and draw each view ``repeat`` times (said on stdout as it goes); the figures of
    each: median total, build and CPU seconds, and what it drew."""
    figures: dict[str, Any] = {}
    for name, spec in views.items():
        select = starts.get(name)
        runs, build_runs, cpu_runs, nodes, engine = [], [], [], 0, ""
        for _ in range(repeat):
            c0 = _cpu()
            t0 = time.perf_counter()
            graph = build_view(store, mm, spec, select)
            t1 = time.perf_counter()
            render(graph, "svg")
            runs.append(time.perf_counter() - t0)
            cpu_runs.append(_cpu() - c0)
            if dot is not None:
                dot.mkdir(parents=True, exist_ok=True)
                (dot / f"{name}.dot").write_bytes(render(graph, "dot"))
            build_runs.append(t1 - t0)
            nodes, engine = len(graph.nodes), graph.engine
        figures[name] = {
            "seconds": statistics.median(runs),
            "build_seconds": statistics.median(build_runs),
            "cpu_seconds": statistics.median(cpu_runs),
            "nodes": nodes,
            "edges": len(graph.edges),
            "elements": graph.elements_total,
            "engine": engine,
            "start": select,
        }
        print(f"{name:24s} {figures[name]['seconds']:6.2f} s", flush=True)
    return figures


def run(args: argparse.Namespace) -> dict[str, Any]:
    generator = benchkit.sibling("bench_store")
    mm = load_metamodel()
    elements, relations = generator.generate(args.elements, args.relations, args.seed)
    rng = random.Random(args.seed)
    elements = [
        replace(e, attrs={**e.attrs, "hostname": f"{e.id}.example.net"})
        if e.type in ("VirtualMachine", "Server")
        else e
        for e in benchkit.end_of_support(elements, rng, "2026-03-31")
    ]
    starts = view_starts(mm, elements, relations)
    gc.freeze()
    with tempfile.TemporaryDirectory(prefix="ea-bench-views-") as tmp:
        store = _open_store(args, Path(tmp), elements, relations)
        del elements, relations
        t0 = time.perf_counter()
        count = sum(1 for _ in store.iter_elements())
        baseline = time.perf_counter() - t0
        print(f"loaded; reading all {count:,} elements takes {baseline:.2f} s", flush=True)
        calibration = [benchkit.calibrate()]
        views = {
            name: spec
            for name, spec in {**builtin_views(), **stress_views()}.items()
            if not args.only or any(fnmatch.fnmatchcase(name, pattern) for pattern in args.only)
        }
        figures = measure_views(store, mm, views, starts, args.repeat, args.dot)
        store.close()
        calibration.append(benchkit.calibrate())
    return {
        "calibration_ms": statistics.mean(calibration),
        "elements": args.elements,
        "relations": args.relations,
        "seed": args.seed,
        "baseline_read_all_s": baseline,
        "views": figures,
    }


def _cpu() -> float:
    """CPU seconds of this process and of the Graphviz it ran: what a loaded machine inflates
    least (waiting for a core is not counted)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _open_store(
    args: argparse.Namespace, tmp: Path, elements: list[Any], relations: list[Any]
) -> SQLiteStore:
    """The store holding the landscape: loaded afresh, or the ``--db`` file of an earlier run."""
    key = f"{args.elements} {args.relations} {args.seed} hostnames"
    path = args.db or tmp / "repository.db"
    stamp = path.with_name(path.name + ".landscape")
    if args.db is not None and path.exists():
        if stamp.exists() and stamp.read_text(encoding="utf-8") == key:
            print(f"reusing {path}", flush=True)
            return SQLiteStore(path)
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(path)
    benchkit.load(store, elements, relations)
    if args.db is not None:
        stamp.write_text(key, encoding="utf-8")
    return store


def summary(fig: dict[str, Any]) -> str:
    """The human-readable figures with PASS/MISS per view."""
    lines = [
        f"ea-repo views benchmark: {fig['elements']:,} elements + {fig['relations']:,} relations, seed {fig['seed']}",
        f"baseline: reading every element {fig['baseline_read_all_s']:.2f} s",
        benchkit.environment_line(
            platform.python_version(), sqlite3.sqlite_version, fig["calibration_ms"]
        ),
        "-" * 104,
        f"{'view':24s} {'total':>7s} {'build':>7s} {'render':>7s} {'cpu':>7s} {'x base':>7s} {'x calib':>7s} {'elements':>9s} {'nodes':>6s} {'edges':>6s}  engine  target",
    ]
    for name, v in fig["views"].items():
        ok = v["seconds"] <= TARGET_S
        lines.append(
            f"{name:24s} {v['seconds']:6.2f}s {v['build_seconds']:6.2f}s "
            f"{v['seconds'] - v['build_seconds']:6.2f}s {v['cpu_seconds']:6.2f}s "
            f"{v['seconds'] / fig['baseline_read_all_s']:6.2f}x "
            f"{v['seconds'] * 1000 / fig['calibration_ms']:6.1f}x "
            f"{v['elements']:9,} {v['nodes']:6d} {v['edges']:6d}  {v['engine']:6s}  <= {TARGET_S:g} s {'PASS' if ok else 'MISS'}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elements", type=int, default=100_000)
    parser.add_argument("--relations", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--db", type=Path, default=None, help="keep (and reuse) the landscape here")
    parser.add_argument(
        "--only", nargs="*", default=None, help="measure these views only (shell patterns: 'm-*')"
    )
    parser.add_argument(
        "--dot", type=Path, default=None, help="write each view's DOT here (VIEW.dot)"
    )
    args = parser.parse_args(argv)
    fig = run(args)
    print(summary(fig))
    benchkit.save_figures(fig, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
