"""What every benchmark script shares: loading a sibling script, the command line and
``main``, loading a landscape into a store, the CPU calibration, percentiles, verdicts,
peak memory, steps run in a child process of their own, the bare ``csv`` + ``executemany``
baseline, the bytes a repository spends per row, commands timed from the shell and the
aligned summary table.

The scripts are not a package: each puts this folder on ``sys.path`` and imports
``benchkit``; a sibling script (the generators) is loaded with :func:`sibling`.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
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
    return report(run, summary, parser.parse_args(argv))


def report(
    run: Callable[[argparse.Namespace], dict[str, Any]],
    summary: Callable[[dict[str, Any]], str],
    args: argparse.Namespace,
) -> int:
    """Run ``run``, print a blank line and ``summary`` of the figures, write them to
    ``args.json`` when given; the exit code, 0 whatever the figures."""
    figures = run(args)
    print()
    print(summary(figures))
    save_figures(figures, args.json)
    return 0


def step_options(parser: argparse.ArgumentParser) -> None:
    """The options of a script whose steps run in child processes (:func:`in_child`):
    ``--json``, ``--profile DIR`` and the hidden ``--child STEP SOURCE WS``."""
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="cProfile each child step into DIR"
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("STEP", "SOURCE", "WS"), help=argparse.SUPPRESS
    )


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


IMPACT_START_TYPES = (
    "Server",
    "VirtualMachine",
    "SystemSoftware",
    "Application",
    "ApplicationComponent",
)
"""The element types typical impact analyses start from: the technology and applications."""


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def own_peak_rss_mb() -> float:
    """This process's peak RSS in MiB since it started its program: Linux's ``VmHWM``.

    ``getrusage`` would not do in a child: Linux carries the parent's peak, at the time
    of the fork, over into the child's ``ru_maxrss``, even across ``exec``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def in_child(script: Path, args: Sequence[str]) -> dict[str, Any]:
    """Run ``script`` with ``args`` in a fresh Python process (so that its peak RSS is its
    own); the figures it printed as JSON on its last line (:func:`child_figures`)."""
    command = [sys.executable, str(script), *args]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{' '.join(command)} failed (exit code {done.returncode})")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def child_figures(
    call: Callable[[], dict[str, Any]], profile: Path | None = None, stem: str = "step"
) -> int:
    """The child's side of :func:`in_child`: run ``call`` (under cProfile, its stats kept as
    ``profile/stem.prof`` and ``.txt``, when ``profile`` is given), add the process's own
    peak RSS and print the figures as JSON on the last line."""
    if profile is None:
        figures = call()
    else:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        figures = profiler.runcall(call)
        profile.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(profile / f"{stem}.prof"))
        with open(profile / f"{stem}.txt", "w", encoding="utf-8") as out:
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)
    figures["peak_rss_mb"] = own_peak_rss_mb()
    print(json.dumps(figures, default=str))
    return 0


def bare_load(files: Sequence[Path], db: Path) -> dict[str, Any]:
    """The baseline of an import: parse each file with ``csv.reader`` and ``executemany`` its
    rows into a plain table of TEXT columns (no index, one transaction, WAL,
    ``synchronous=NORMAL``)."""
    t0, cpu = time.perf_counter(), time.process_time()
    per_file: dict[str, float] = {}
    file_rows: dict[str, int] = {}
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("BEGIN")
        for n, path in enumerate(files):
            t1 = time.perf_counter()
            with path.open(encoding="utf-8", newline="") as f:
                reader = csv.reader(f)
                header = next(reader)
                columns = ", ".join(f"c{i} TEXT" for i in range(len(header)))
                con.execute(f"CREATE TABLE t{n} ({columns})")
                insert = f"INSERT INTO t{n} VALUES ({', '.join('?' * len(header))})"  # noqa: S608
                before = con.total_changes
                con.executemany(insert, reader)
                file_rows[path.name] = con.total_changes - before
            per_file[path.name] = time.perf_counter() - t1
        t1 = time.perf_counter()
        con.execute("COMMIT")
    finally:
        con.close()
    commit = time.perf_counter() - t1
    return {
        "seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - cpu,
        "rows": sum(file_rows.values()),
        "file_rows": file_rows,
        # the commit shared in proportion to each file's time
        "files": {k: v + commit * v / (t1 - t0) for k, v in per_file.items()},
        "bytes": {p.name: p.stat().st_size for p in files},
        "peak_rss_mb": peak_rss_mb(),
    }


SIZED = ("element", "relation", "assertion", "asserted", "change")
"""The tables whose bytes per row :func:`repository_bytes` gives (``asserted``: the distinct
texts sources asserted, which provenance rows point to)."""


def repository_bytes(db: Path) -> dict[str, dict[str, float]]:
    """Bytes per row of the element, relation, assertion and change tables, each with its
    indexes, from SQLite's ``dbstat`` table (pages in use, as the file holds them)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        owner = dict(
            con.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")
        )
        out: dict[str, dict[str, float]] = {}
        pages = con.execute("SELECT name, SUM(pgsize), SUM(payload) FROM dbstat GROUP BY name")
        total = 0
        for name, size, payload in pages:
            total += size
            table = owner.get(name, name)
            entry = out.setdefault(table, {"bytes": 0, "table_bytes": 0, "payload": 0})
            entry["bytes"] += size
            if name == table:
                entry["table_bytes"] += size
                entry["payload"] += payload
        for table in SIZED:
            if table in out:
                rows = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
                out[table]["rows"] = rows
                out[table]["per_row"] = out[table]["bytes"] / rows if rows else 0.0
        out["total"] = {"bytes": total}
        return out
    finally:
        con.close()


def shell_times(commands: dict[str, Sequence[str]], runs: int) -> dict[str, dict[str, float]]:
    """Each command run ``runs`` times from the shell as a user would (process start
    included), the commands in turn so that a busy moment weighs on all alike: the median
    clock and CPU (user + system of the child) seconds, and the exit code of the last run,
    after one warm-up run of each."""
    # Bytecode caches as an installed package has them (pip writes them; an environment
    # that forbids writing them would compile every module from source at each start).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for argv in commands.values():  # a warm-up run: the caches, the files read
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    clock: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    codes: dict[str, int] = {}
    for _ in range(runs):
        for name, argv in commands.items():
            t0 = time.perf_counter()
            child = subprocess.Popen(
                argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            _, status, usage = os.wait4(child.pid, 0)
            clock[name].append(time.perf_counter() - t0)
            cpu[name].append(usage.ru_utime + usage.ru_stime)
            codes[name] = os.waitstatus_to_exitcode(status)
            child.returncode = codes[name]  # reaped here: Popen must not wait for it again
    return {
        name: {
            "seconds": statistics.median(clock[name]),
            "cpu_seconds": statistics.median(cpu[name]),
            "exit_code": codes[name],
        }
        for name in commands
    }


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
