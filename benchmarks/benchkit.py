"""What every benchmark script shares: loading a sibling script, the command line and
``main``, loading a landscape into a store, the CPU calibration, percentiles, verdicts,
peak memory and the aligned summary table.

The scripts are not a package: each puts this folder on ``sys.path`` and imports
``benchkit``; a sibling script (the generators) is loaded with :func:`sibling`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import random
import resource
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

from ea_repo.model import Element, Relation
from ea_repo.store.base import GraphStore

HERE = Path(__file__).resolve().parent


def sibling(name: str) -> ModuleType:
    """The benchmark script ``name``.py of this folder, loaded once per process."""
    key = f"ea_bench_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


Option = tuple[str, Callable[[str], Any], Any]
"""An extra command-line option of a script: (flag, type, default)."""


def main(
    doc: str,
    run: Callable[[argparse.Namespace], dict[str, Any]],
    summary: Callable[[dict[str, Any]], str],
    argv: Sequence[str] | None = None,
    extra: Sequence[Option] = (),
) -> int:
    """The ``main`` of a benchmark script: ``--elements``, ``--relations``, ``--seed``,
    ``--json`` and the script's ``extra`` options; runs ``run``, prints a blank line and
    ``summary`` of the figures, and writes them to ``--json`` when given."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--elements", type=int, default=100_000)
    parser.add_argument("--relations", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=42)
    for flag, kind, default in extra:
        parser.add_argument(flag, type=kind, default=default)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = run(args)
    print()
    print(summary(figures))
    save_figures(figures, args.json)
    return 0


def load(
    store: GraphStore,
    elements: Sequence[Element],
    relations: Sequence[Relation],
    *,
    say: bool = False,
) -> float:
    """Write ``elements`` and ``relations`` to ``store`` in one transaction; the seconds it
    took (said on stdout with ``say``)."""
    t0 = time.perf_counter()
    with store.transaction():
        store.upsert_elements(elements)
        store.upsert_relations(relations)
    seconds = time.perf_counter() - t0
    if say:
        print(
            f"loaded {len(elements):,} elements + {len(relations):,} relations in {seconds:.1f} s",
            flush=True,
        )
    return seconds


def end_of_support(elements: Iterable[Element], rng: random.Random, soon: str) -> list[Element]:
    """The elements, each SoftwareProduct with an end of support drawn from ``rng``: one in
    five 2020-06-30 (past), one in five ``soon``, the others 2031-12-31."""
    dated = []
    for e in elements:
        if e.type == "SoftwareProduct":
            roll = rng.random()
            eos = "2020-06-30" if roll < 0.2 else (soon if roll < 0.4 else "2031-12-31")
            e = replace(e, attrs={**e.attrs, "end_of_support": eos})
        dated.append(e)
    return dated


def counted(relations: Iterable[Relation], metamodel: Any) -> tuple[Counter[str], Counter[str]]:
    """Each element's direct dependents (by the relationship types' ``dependent``) and its
    flows, counted."""
    from ea_repo.metamodel import Dependent

    dependents: Counter[str] = Counter()
    flows: Counter[str] = Counter()
    for rel in relations:
        rt = metamodel.relation_types[rel.type]
        if rt.dependent in (Dependent.SOURCE, Dependent.BOTH):
            dependents[rel.dst] += 1
        if rt.dependent in (Dependent.TARGET, Dependent.BOTH):
            dependents[rel.src] += 1
        if rel.type == "flow":
            flows[rel.src] += 1
            flows[rel.dst] += 1
    return dependents, flows


def starts(relations: Iterable[Relation], metamodel: Any) -> tuple[str, str]:
    """The benchmarks' starts: the hub (the element with the most direct dependents) and
    the element with the most flows."""
    dependents, flows = counted(relations, metamodel)
    return dependents.most_common(1)[0][0], flows.most_common(1)[0][0]


def machine(seed: int) -> dict[str, Any]:
    """The first figures of a run: the Python and SQLite versions, the CPU calibration and
    the seed."""
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "calibration_ms": calibrate(),
        "seed": seed,
    }


def calibrate() -> float:
    """Milliseconds for a fixed pure-Python loop (best of 3), to compare machines."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def environment_line(python: str, sqlite: str, calibration_ms: float) -> str:
    return (
        f"Python {python}, SQLite {sqlite}, "
        f"CPU calibration {calibration_ms:.0f} ms (pure-Python loop; lower is faster)"
    )


def aligned(head: str, env: str, rows: Sequence[tuple[str, str, str, str, str]]) -> str:
    """The summary table: (label, value, unit, target, verdict) rows under a title and the
    environment line, columns aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [head, env, "-" * max(len(head), len(env))]
    for label, value, unit, target, result in rows:
        lines.append(
            f"{label:<{widths[0]}}  {value:>{widths[1]}} {unit:<{widths[2]}}  "
            f"{target:<{widths[3]}}  {result}".rstrip()
        )
    return "\n".join(lines)


def save_figures(figures: dict[str, Any], path: Path | None) -> None:
    """Write the figures as JSON to ``path`` (its folder created), when one is given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nfigures written to {path}")
