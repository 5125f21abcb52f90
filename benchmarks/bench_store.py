"""Store benchmark: bulk load, re-upsert and neighbour expansion on a synthetic landscape.

Run by ``make bench``::

    .venv/bin/python benchmarks/bench_store.py [--elements N] [--relations M]
                                               [--seed S] [--repeat R] [--json PATH]

It generates a deterministic, layered landscape (capabilities down to
datacenters), then measures, each in a fresh file in a temporary directory:

1. the baseline: a bare ``sqlite3`` ``executemany`` of the same rows into plain
   tables without indexes, in one transaction, WAL + ``synchronous=NORMAL``;
2. ``SQLiteStore.upsert_elements`` + ``upsert_relations`` in one transaction
   (target: at most 3x the baseline time);
3. a re-upsert of the same, unchanged rows (informative);
4. ``SQLiteStore.neighbors`` from 500 random elements along every relation type
   in both directions, and along a single step (target: p50 < 20 ms).

Benchmarks report, they do not gate: the exit code is 0 whatever the figures.
``generate()`` is importable for other benchmarks: ``benchkit.sibling("bench_store")``.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ea_repo.metamodel import load_metamodel
from ea_repo.model import (
    Direction,
    Element,
    ElementId,
    Relation,
    RelationId,
    Status,
    Step,
    relation_id,
    utc_now,
)
from ea_repo.store.sqlite import SQLiteStore

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchkit, beside this script
import benchkit

# -- landscape generator ------------------------------------------------------

# Share of each element type in the landscape, top layer first. SystemSoftware
# (installed software instances) takes whatever is left, so counts add up to N.
ELEMENT_SHARES: tuple[tuple[str, str, float], ...] = (
    # type, id prefix, share of N
    ("Capability", "cap", 0.002),
    ("BusinessProcess", "bp", 0.010),
    ("Application", "app", 0.030),
    ("ApplicationComponent", "cmp", 0.200),
    ("DataObject", "do", 0.080),
    ("SoftwareProduct", "prd", 0.010),
    ("VirtualMachine", "vm", 0.250),
    ("Server", "srv", 0.050),
    ("Cluster", "cl", 0.003),
    ("Datacenter", "dc", 0.0001),
)
REMAINDER = ("SystemSoftware", "sw")

RELATION_TYPES = (
    "composed_of",
    "runs_on",
    "hosted_on",
    "member_of",
    "located_in",
    "serves",
    "realizes",
    "flow",
    "uses",
    "instance_of",
    "accesses",
)

# Relations beyond the structural ones (one or two per element), as shares of
# what is left of M. Shortfalls (tiny landscapes) are made up with flows.
FILLER_SHARES = (("flow", 0.40), ("accesses", 0.25), ("uses", 0.20), ("serves", 0.15))

ENVIRONMENTS = (("prod", 50), ("preprod", 15), ("test", 20), ("dev", 15))
CRITICALITY = (("low", 35), ("medium", 40), ("high", 20), ("critical", 5))
LIFECYCLE = (("plan", 5), ("build", 10), ("run", 70), ("retire", 15))
OSES = ("rhel-8", "rhel-9", "ubuntu-22.04", "ubuntu-24.04", "windows-2019", "windows-2022")
VENDORS = ("dell", "hpe", "lenovo", "cisco")
PROTOCOLS = ("https", "sftp", "mq", "jdbc", "kafka", "soap")
MIN_ELEMENTS = 40


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _cum_weights(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _element_counts(n: int) -> list[tuple[str, str, int]]:
    counts = [(t, prefix, max(2, round(n * share))) for t, prefix, share in ELEMENT_SHARES]
    rest = n - sum(c for _, _, c in counts)
    if rest < 2:
        raise ValueError(f"n_elements must be at least {MIN_ELEMENTS}, not {n}")
    return [*counts, (*REMAINDER, rest)]


def generate(
    n_elements: int = 100_000, n_relations: int = 300_000, seed: int = 42
) -> tuple[list[Element], list[Relation]]:
    """A deterministic layered landscape of exactly ``n_elements`` and ``n_relations``.

    Layers: capabilities <- business processes <- applications <- components
    -> VMs -> servers / clusters -> datacenters; software instances run on VMs
    and are instances of products. Flows between applications follow
    preferential attachment, so a few hub applications have many flows.
    Relation ids are unique; every relation's ends are among the elements.
    """
    if n_elements < MIN_ELEMENTS:
        raise ValueError(f"n_elements must be at least {MIN_ELEMENTS}, not {n_elements}")
    if n_relations < 0:
        raise ValueError("n_relations must not be negative")
    rng = random.Random(seed)
    teams = [f"team-{i:03d}" for i in range(max(5, n_elements // 500))]

    elements: list[Element] = []
    by_type: dict[str, list[ElementId]] = {}
    for type_, prefix, count in _element_counts(n_elements):
        ids = by_type.setdefault(type_, [])
        width = max(4, len(str(count)))
        for i in range(count):
            eid = ElementId(f"{prefix}-{i:0{width}d}")
            attrs: dict[str, Any] = {
                "owner": rng.choice(teams),
                "criticality": _weighted(rng, CRITICALITY),
            }
            if type_ in ("Application", "ApplicationComponent", "VirtualMachine", "SystemSoftware"):
                attrs["environment"] = _weighted(rng, ENVIRONMENTS)
            if type_ == "Application":
                attrs["lifecycle"] = _weighted(rng, LIFECYCLE)
            elif type_ == "VirtualMachine":
                attrs["os"] = rng.choice(OSES)
                attrs["vcpu"] = rng.choice((2, 4, 4, 8, 8, 16, 32))
                attrs["memory_gb"] = rng.choice((4, 8, 16, 16, 32, 64))
            elif type_ == "Server":
                attrs["vendor"] = rng.choice(VENDORS)
                attrs["serial"] = f"SN{rng.randrange(16**8):08X}"
            elif type_ == "SystemSoftware":
                attrs["version"] = f"{rng.randint(1, 17)}.{rng.randint(0, 9)}"
            elements.append(Element(eid, type_, f"{type_} {i}", attrs))
            ids.append(eid)

    caps, bps = by_type["Capability"], by_type["BusinessProcess"]
    apps, cmps = by_type["Application"], by_type["ApplicationComponent"]
    dobjs, prds = by_type["DataObject"], by_type["SoftwareProduct"]
    vms, srvs = by_type["VirtualMachine"], by_type["Server"]
    cls, dcs, sws = by_type["Cluster"], by_type["Datacenter"], by_type["SystemSoftware"]

    relations: list[Relation] = []
    seen: set[str] = set()

    def link(src: str, type_: str, dst: str, **attrs: Any) -> bool:
        rid = relation_id(src, type_, dst)
        if src == dst or rid in seen:
            return False
        seen.add(rid)
        relations.append(Relation(ElementId(src), type_, ElementId(dst), attrs, Status.ACTIVE, rid))
        return True

    # Heavy-tailed sizes: some applications have many components, some
    # products many installations, some servers and clusters many VMs.
    app_cw = _cum_weights([rng.paretovariate(1.2) for _ in apps])
    prd_cw = _cum_weights([1.0 / (rank + 1) for rank in range(len(prds))])  # Zipf
    host_cw = _cum_weights([rng.paretovariate(2.0) for _ in range(len(srvs) + len(cls))])
    hosts = srvs + cls

    # Structural relations: each lower-layer element hangs off the layer above.
    top = max(1, len(caps) // 5)
    for i, cap in enumerate(caps[top:], start=top):
        link(caps[rng.randrange(i)], "composed_of", cap)  # a parent capability and its child
    for bp in bps:
        link(bp, "realizes", rng.choice(caps))
    for cmp_ in cmps:
        link(rng.choices(apps, cum_weights=app_cw)[0], "composed_of", cmp_)
        link(cmp_, "runs_on", rng.choice(vms))
    for app in apps:
        for _ in range(rng.choice((1, 1, 2))):
            link(app, "runs_on", rng.choice(vms))
    for sw in sws:
        link(sw, "runs_on", rng.choice(vms))
        link(sw, "instance_of", rng.choices(prds, cum_weights=prd_cw)[0])
    for vm in vms:
        link(vm, "hosted_on", rng.choices(hosts, cum_weights=host_cw)[0])
    for srv in srvs:
        if rng.random() < 0.5:
            link(srv, "member_of", rng.choice(cls))
        link(srv, "located_in", rng.choice(dcs))
    for cl in cls:
        link(cl, "located_in", rng.choice(dcs))

    if len(relations) > n_relations:
        keep = sorted(rng.sample(range(len(relations)), n_relations))
        relations = [relations[i] for i in keep]
        return elements, relations

    # Filler relations: flows (preferential attachment), data access, use of
    # software instances, applications serving processes.
    room = n_relations - len(relations)
    quotas = {t: int(room * share) for t, share in FILLER_SHARES}
    quotas["flow"] += room - sum(quotas.values())
    urn = list(apps)  # each application once, plus once per flow end: P(pick) ~ degree + 1
    flow_no = 0

    def add_flow() -> None:
        nonlocal flow_no
        src = rng.choice(urn)
        dst = rng.choice(urn)
        while dst == src:
            dst = rng.choice(urn)
        urn.append(src)
        urn.append(dst)
        flow_no += 1
        rid = RelationId(f"flow-{flow_no:07d}")  # interfaces carry their own id
        attrs = {"protocol": rng.choice(PROTOCOLS), "data": rng.choice(dobjs)}
        relations.append(
            Relation(ElementId(src), "flow", ElementId(dst), attrs, Status.ACTIVE, rid)
        )

    pickers: dict[str, Callable[[], bool]] = {
        "accesses": lambda: link(
            rng.choice(cmps) if rng.random() < 0.8 else rng.choice(apps),
            "accesses",
            rng.choice(dobjs),
            mode=rng.choice(("read", "write", "read_write")),
        ),
        "uses": lambda: link(rng.choice(cmps), "uses", rng.choice(sws)),
        "serves": lambda: link(rng.choices(apps, cum_weights=app_cw)[0], "serves", rng.choice(bps)),
    }
    shortfall = 0
    for type_, pick in pickers.items():
        made = attempts = 0
        while made < quotas[type_] and attempts < quotas[type_] * 4:
            attempts += 1
            made += pick()
        shortfall += quotas[type_] - made
    for _ in range(quotas["flow"] + shortfall):
        add_flow()
    return elements, relations


# -- measurements -------------------------------------------------------------


def _element_rows(elements: Sequence[Element], now: str | int) -> list[tuple[Any, ...]]:
    return [
        (
            e.id,
            e.type,
            e.name,
            json.dumps(dict(e.attrs), sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            e.status.value,
            now,
        )
        for e in elements
    ]


def _relation_rows(relations: Sequence[Relation], now: str | int) -> list[tuple[Any, ...]]:
    return [
        (
            r.id,
            r.src,
            r.type,
            r.dst,
            json.dumps(dict(r.attrs), sort_keys=True, separators=(",", ":"), ensure_ascii=False),
            r.status.value,
            now,
        )
        for r in relations
    ]


def bench_bare(
    tmp: Path, elements: Sequence[Element], relations: Sequence[Relation], runs: int = 3
) -> dict[str, Any]:
    """Bare executemany into plain tables without indexes, each run in a fresh file.

    Rows (JSON attrs included) are built once, before the clock starts: the
    baseline is SQLite's own insert cost. It is cheap, so it is run ``runs``
    times and the median kept, which steadies the ratio on a noisy machine.
    """
    now = utc_now()
    t0 = time.perf_counter()
    erows, rrows = _element_rows(elements, now), _relation_rows(relations, now)
    build = time.perf_counter() - t0
    times = []
    for run_no in range(runs):
        db = sqlite3.connect(tmp / f"bare-{run_no}.db", isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute(
            "CREATE TABLE element (id TEXT, type TEXT, name TEXT, attrs TEXT, status TEXT, "
            "updated_at TEXT)"
        )
        db.execute(
            "CREATE TABLE relation (id TEXT, src TEXT, type TEXT, dst TEXT, attrs TEXT, "
            "status TEXT, updated_at TEXT)"
        )
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany("INSERT INTO element VALUES (?,?,?,?,?,?)", erows)
        db.executemany("INSERT INTO relation VALUES (?,?,?,?,?,?,?)", rrows)
        db.execute("COMMIT")
        times.append(time.perf_counter() - t0)
        db.close()
        (tmp / f"bare-{run_no}.db").unlink()
        for suffix in ("-wal", "-shm"):
            (tmp / f"bare-{run_no}.db{suffix}").unlink(missing_ok=True)
    return {"seconds": statistics.median(times), "runs": times, "build_seconds": build}


def bench_bare_schema(
    tmp: Path, elements: Sequence[Element], relations: Sequence[Relation], runs: int = 3
) -> dict[str, Any]:
    """Bare executemany of the same pre-built rows into the store's own schema.

    Same file layout as the store (its indexes, foreign keys, pragmas), so the
    ratio against it isolates what the store's upsert code adds on top of
    SQLite: the design requires those indexes, whoever inserts the rows.
    """
    # As the store keeps them: the time in seconds, a relation's id only when not derived,
    # its ends by the elements' keys (looked up as the rows go in).
    now = int(time.time())
    erows = _element_rows(elements, now)
    rrows = [
        (src, type_, dst, None if id_ == f"{src}|{type_}|{dst}" else id_, attrs, status, stamp)
        for id_, src, type_, dst, attrs, status, stamp in _relation_rows(relations, now)
    ]
    times = []
    for run_no in range(runs):
        path = tmp / f"schema-{run_no}.db"
        store = SQLiteStore(path)
        db = store._db
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO element(id, type, name, attrs, status, updated) VALUES (?,?,?,?,?,?)",
            erows,
        )
        db.executemany(
            "INSERT INTO relation(src, type, dst, id, attrs, status, updated) VALUES ("
            "(SELECT key FROM element WHERE id = ?), ?, (SELECT key FROM element WHERE id = ?), "
            "?,?,?,?)",
            rrows,
        )
        db.execute("COMMIT")
        times.append(time.perf_counter() - t0)
        store.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {"seconds": statistics.median(times), "runs": times}


def bench_store_fresh(
    tmp: Path, elements: Sequence[Element], relations: Sequence[Relation], runs: int = 3
) -> list[float]:
    """Store loads into fresh files (all but the last are deleted); returns the times."""
    times = []
    for run_no in range(runs):
        path = tmp / f"store-{run_no}.db"
        store = SQLiteStore(path)
        times.append(bench_store_load(store, elements, relations))
        store.close()
        if run_no < runs - 1:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    return times


def bench_store_load(
    store: SQLiteStore, elements: Sequence[Element], relations: Sequence[Relation]
) -> float:
    return benchkit.load(store, elements, relations)


def bench_neighbors(
    store: SQLiteStore,
    ids: Sequence[str],
    steps: Sequence[Step],
    *,
    sample: int,
    repeat: int,
    seed: int,
) -> dict[str, float]:
    rng = random.Random(seed)
    k = min(sample, len(ids))
    store.neighbors(rng.sample(ids, k), steps)  # warm-up: page cache, statement cache
    times, hops = [], []
    for _ in range(repeat):
        chosen = rng.sample(ids, k)
        t0 = time.perf_counter()
        result = store.neighbors(chosen, steps)
        times.append((time.perf_counter() - t0) * 1000)
        hops.append(len(result))
    return {
        "p50_ms": benchkit.percentile(times, 50),
        "p95_ms": benchkit.percentile(times, 95),
        "mean_ms": statistics.fmean(times),
        "avg_hops": statistics.fmean(hops),
        "ids": k,
        "steps": len(steps),
        "repeat": repeat,
    }


# -- report -------------------------------------------------------------------

LOAD_TARGET = 3.0
NEIGHBORS_TARGET_MS = 20.0
NEIGHBORS_SAMPLE = 500


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the landscape, take every measurement, return the figures."""
    calibration_ms = benchkit.calibrate()
    t0 = time.perf_counter()
    elements, relations = generate(args.elements, args.relations, args.seed)
    gen_s = time.perf_counter() - t0
    # The generated objects live to the end of the run: move them out of the
    # cyclic GC's reach so that its passes over them do not land in the timings.
    gc.collect()
    gc.freeze()
    n_rows = len(elements) + len(relations)
    rel_types: dict[str, int] = {}
    for r in relations:
        rel_types[r.type] = rel_types.get(r.type, 0) + 1
    flow_degree: dict[str, int] = {}
    for r in relations:
        if r.type == "flow":
            flow_degree[r.src] = flow_degree.get(r.src, 0) + 1
            flow_degree[r.dst] = flow_degree.get(r.dst, 0) + 1
    print(
        f"landscape: {len(elements):,} elements, {len(relations):,} relations "
        f"(seed {args.seed}), generated in {gen_s:.1f} s",
        flush=True,
    )
    print("  relations: " + ", ".join(f"{t} {n:,}" for t, n in sorted(rel_types.items())))
    if flow_degree:
        degrees = sorted(flow_degree.values(), reverse=True)
        print(
            f"  flow degree: max {degrees[0]}, median {statistics.median(degrees):g} "
            f"over {len(degrees):,} applications",
            flush=True,
        )

    with tempfile.TemporaryDirectory(prefix="ea-bench-") as tmp:
        bare = bench_bare(Path(tmp), elements, relations)
        runs = ", ".join(f"{t:.2f}" for t in bare["runs"])
        print(f"bare executemany: {bare['seconds']:.2f} s (median of {runs})", flush=True)

        schema = bench_bare_schema(Path(tmp), elements, relations)
        runs = ", ".join(f"{t:.2f}" for t in schema["runs"])
        print(
            f"bare executemany, store schema: {schema['seconds']:.2f} s (median of {runs})",
            flush=True,
        )
        load_runs = bench_store_fresh(Path(tmp), elements, relations)
        load_s = statistics.median(load_runs)
        runs = ", ".join(f"{t:.2f}" for t in load_runs)
        print(f"store upsert:     {load_s:.2f} s (median of {runs})", flush=True)
        store = SQLiteStore(Path(tmp) / "store-2.db")
        try:
            reupsert_s = bench_store_load(store, elements, relations)
            print(f"store re-upsert:  {reupsert_s:.2f} s", flush=True)

            ids = [e.id for e in elements]
            all_steps = [Step(t, d) for t in RELATION_TYPES for d in Direction]
            neigh_all = bench_neighbors(
                store,
                ids,
                all_steps,
                sample=NEIGHBORS_SAMPLE,
                repeat=args.repeat,
                seed=args.seed + 1,
            )
            print(f"neighbors (all steps): p50 {neigh_all['p50_ms']:.1f} ms", flush=True)
            # What the traversal engine really asks: every relationship type, each in
            # the one direction its metamodel `dependent` gives (impact steps).
            impact_steps = [
                st for st in load_metamodel().impact_steps() if st.relation_type in RELATION_TYPES
            ]
            neigh_impact = bench_neighbors(
                store,
                ids,
                impact_steps,
                sample=NEIGHBORS_SAMPLE,
                repeat=args.repeat,
                seed=args.seed + 1,
            )
            print(f"neighbors (impact steps): p50 {neigh_impact['p50_ms']:.1f} ms", flush=True)
            neigh_one = bench_neighbors(
                store,
                ids,
                [Step("runs_on", Direction.OUT)],
                sample=NEIGHBORS_SAMPLE,
                repeat=args.repeat,
                seed=args.seed + 1,
            )
        finally:
            store.close()

    ratio = load_s / bare["seconds"]
    ratio_schema = load_s / schema["seconds"]
    ratio_incl = load_s / (bare["seconds"] + bare["build_seconds"])
    return {
        "elements": len(elements),
        "relations": len(relations),
        "seed": args.seed,
        "repeat": args.repeat,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "calibration_ms": calibration_ms,
        "generate_seconds": gen_s,
        "bare": {
            "seconds": bare["seconds"],
            "runs_seconds": bare["runs"],
            "rows_per_s": n_rows / bare["seconds"],
        },
        "bare_row_building_seconds": bare["build_seconds"],
        "store_load": {"seconds": load_s, "rows_per_s": n_rows / load_s},
        "bare_store_schema": {
            "seconds": schema["seconds"],
            "runs_seconds": schema["runs"],
            "rows_per_s": n_rows / schema["seconds"],
        },
        "load_ratio": ratio,
        "load_ratio_store_schema": ratio_schema,
        "load_ratio_incl_row_building": ratio_incl,
        "load_target_ratio": LOAD_TARGET,
        "load_pass": ratio_schema <= LOAD_TARGET,
        "store_reupsert": {"seconds": reupsert_s, "rows_per_s": n_rows / reupsert_s},
        "neighbors_all_steps": neigh_all,
        "neighbors_impact_steps": neigh_impact,
        "neighbors_one_step": {**neigh_one, "step": "runs_on out"},
        "neighbors_target_p50_ms": NEIGHBORS_TARGET_MS,
        "neighbors_pass": neigh_impact["p50_ms"] < NEIGHBORS_TARGET_MS,
    }


def summary(fig: dict[str, Any]) -> str:
    """The aligned, human-readable table of the figures and verdicts."""
    na, ni, no = (
        fig["neighbors_all_steps"],
        fig["neighbors_impact_steps"],
        fig["neighbors_one_step"],
    )
    load_ok, neigh_ok = fig["load_pass"], fig["neighbors_pass"]
    rows: list[tuple[str, str, str, str, str]] = [
        # label, figure, unit, target, verdict
        ("bare executemany, plain tables", f"{fig['bare']['rows_per_s']:,.0f}", "rows/s", "", ""),
        (
            "bare executemany, store schema",
            f"{fig['bare_store_schema']['rows_per_s']:,.0f}",
            "rows/s",
            "",
            "",
        ),
        (
            "store upsert, 1 transaction",
            f"{fig['store_load']['rows_per_s']:,.0f}",
            "rows/s",
            "",
            "",
        ),
        (
            "  ratio store / bare, same schema",
            f"{fig['load_ratio_store_schema']:.2f}",
            "x",
            "<= 3 x",
            benchkit.verdict(load_ok),
        ),
        ("  ratio store / bare, plain tables", f"{fig['load_ratio']:.2f}", "x", "", ""),
        (
            "  ratio incl. bare row building",
            f"{fig['load_ratio_incl_row_building']:.2f}",
            "x",
            "",
            "",
        ),
        (
            "store re-upsert, unchanged rows",
            f"{fig['store_reupsert']['rows_per_s']:,.0f}",
            "rows/s",
            "",
            "",
        ),
        (
            f"neighbors {ni['ids']} ids x {ni['steps']} impact steps  p50",
            f"{ni['p50_ms']:.1f}",
            "ms",
            f"< {fig['neighbors_target_p50_ms']:g} ms",
            benchkit.verdict(neigh_ok),
        ),
        ("  p95", f"{ni['p95_ms']:.1f}", "ms", "", ""),
        ("  average hops returned", f"{ni['avg_hops']:,.0f}", "hops", "", ""),
        (
            f"neighbors {na['ids']} ids x {na['steps']} steps (both ways)  p50",
            f"{na['p50_ms']:.1f}",
            "ms",
            "",
            "",
        ),
        ("  p95", f"{na['p95_ms']:.1f}", "ms", "", ""),
        ("  average hops returned", f"{na['avg_hops']:,.0f}", "hops", "", ""),
        (
            f"neighbors {no['ids']} ids x 1 step ({no['step']})  p50",
            f"{no['p50_ms']:.1f}",
            "ms",
            "",
            "",
        ),
        ("  p95", f"{no['p95_ms']:.1f}", "ms", "", ""),
        ("  average hops returned", f"{no['avg_hops']:,.0f}", "hops", "", ""),
    ]
    head = (
        f"ea-repo store benchmark: {fig['elements']:,} elements + {fig['relations']:,} relations, "
        f"seed {fig['seed']}, {fig['repeat']} neighbors calls"
    )
    env = benchkit.environment_line(fig["python"], fig["sqlite"], fig["calibration_ms"])
    return benchkit.aligned(head, env, rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elements", type=int, default=100_000, help="number of elements")
    parser.add_argument("--relations", type=int, default=300_000, help="number of relations")
    parser.add_argument("--seed", type=int, default=42, help="random seed of the landscape")
    parser.add_argument("--repeat", type=int, default=50, help="neighbors calls per measurement")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.elements < MIN_ELEMENTS:
        parser.error(f"--elements must be at least {MIN_ELEMENTS}")
    if args.relations < 0 or args.repeat < 1:
        parser.error("--relations must be >= 0 and --repeat >= 1")
    figures = run(args)
    print()
    print(summary(figures))
    benchkit.save_figures(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
