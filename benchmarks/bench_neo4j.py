"""Neo4j benchmark: the same landscape in SQLite and in Neo4j, measured side by side in one run.

Run (needs a Neo4j 5 server; skips with a message otherwise)::

    EA_NEO4J_URI=bolt://localhost:7687 EA_NEO4J_PASSWORD=... \\
    .venv/bin/python benchmarks/bench_neo4j.py [--elements N] [--relations M] [--seed S]
                                               [--starts K] [--skip-sync | --skip-store]
                                               [--json PATH]

(``EA_TEST_NEO4J_URI``/``_USER``/``_PASSWORD`` are used when the ``EA_NEO4J_*`` ones are unset.)

0. warm-up: a tenth of the landscape loaded into Neo4j and deleted (see
   :func:`warm_up`), its rate printed;
1. store load: the landscape of ``bench_store.generate`` (N elements, M
   relations), ``upsert_elements`` + ``upsert_relations`` in one transaction on
   each backend — on Neo4j, ``UNWIND $rows`` batches grouped by label and
   relationship type (target: ≥ 20 000 rows/s);
2. typical impact: ``analyse()`` from K random technology and application
   elements, each start on both backends in turn, p50 and p95 (target: Neo4j p50
   within 3× of SQLite's);
3. unless ``--skip-sync``: the ServiceNow exports of ``generate.py`` through the
   whole pipeline (``run_source``: read, validate, diff, write with provenance,
   digests and change log), first import and unchanged re-sync, on each backend,
   with the server's heap peak during the Neo4j first import (:class:`HeapWatch`).

``--skip-store`` leaves out 1 and 2: ``--elements 1000000 --relations 1954000
--skip-store`` is the first import of a million CIs through the pipeline.

Everything written to Neo4j is under a fresh repository tag, deleted at the end.
Benchmarks report, they do not gate: the exit code is 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ea_repo.analysis.impact import analyse
from ea_repo.errors import EaError
from ea_repo.metamodel import load_metamodel
from ea_repo.store import GraphStore, SQLiteStore

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling scripts and benchkit
import benchkit  # noqa: E402

LOAD_TARGET_ROWS_S = 20_000
IMPACT_RATIO_TARGET = 3.0


def server() -> tuple[str, str, str | None, str | None] | None:
    """(uri, user, password, database) from EA_NEO4J_* or EA_TEST_NEO4J_*, or None."""
    for prefix in ("EA_NEO4J_", "EA_TEST_NEO4J_"):
        uri = os.environ.get(prefix + "URI")
        if uri:
            return (
                uri,
                os.environ.get(prefix + "USER", "neo4j"),
                os.environ.get(prefix + "PASSWORD"),
                os.environ.get(prefix + "DATABASE"),
            )
    return None


def open_neo4j(tag: str) -> GraphStore:
    from ea_repo.store.neo4j import Neo4jStore

    found = server()
    assert found is not None
    uri, user, password, database = found
    return Neo4jStore(
        uri, user, password, database=database, repository=tag, metamodel=load_metamodel()
    )


def with_store(config: str, store: dict[str, str]) -> str:
    """``ea.yaml`` text with its ``store:`` block replaced by ``store``."""
    out: list[str] = []
    skipping = False
    for line in config.splitlines():
        if line.startswith("store:"):
            out.append("store: " + json.dumps(store))
            skipping = True
        elif skipping and (line.startswith(" ") or not line.strip()):
            continue
        else:
            skipping = False
            out.append(line)
    return "\n".join(out) + "\n"


def load(store: GraphStore, elements: list[Any], relations: list[Any]) -> float:
    return benchkit.load(store, elements, relations)


def bare_unwind(elements: list[Any], relations: list[Any]) -> float:
    """Seconds for the baseline: the same rows as bare ``UNWIND ... CREATE`` on the same server.

    Nodes under a throw-away label with no constraint or index, relationships
    between them found by element id (no lookup index), one transaction;
    deleted afterwards.
    """
    import neo4j

    found = server()
    assert found is not None
    uri, user, password, database = found
    label = f"EaBenchBare{uuid.uuid4().hex[:8]}"
    driver = neo4j.GraphDatabase.driver(uri, auth=(user, password or ""))
    try:
        with driver.session(database=database) as session:
            t0 = time.perf_counter()
            tx = session.begin_transaction()
            ids: dict[str, str] = {}
            for k in range(0, len(elements), 10_000):
                rows = [
                    {"id": e.id, "name": e.name, "attrs": json.dumps(dict(e.attrs))}
                    for e in elements[k : k + 10_000]
                ]
                result = tx.run(
                    f"UNWIND $rows AS row CREATE (n:{label}) SET n = row "
                    "RETURN collect([row.id, elementId(n)])",
                    rows=rows,
                )
                ids.update(dict(result.single()[0]))
            for k in range(0, len(relations), 10_000):
                rows = [
                    {
                        "s": ids[r.src],
                        "d": ids[r.dst],
                        "id": r.id,
                        "attrs": json.dumps(dict(r.attrs)),
                    }
                    for r in relations[k : k + 10_000]
                ]
                tx.run(
                    "UNWIND $rows AS row MATCH (s) WHERE elementId(s) = row.s "
                    "MATCH (d) WHERE elementId(d) = row.d "
                    "CREATE (s)-[:EA_BENCH_BARE {id: row.id, attrs: row.attrs}]->(d)",
                    rows=rows,
                ).consume()
            tx.commit()
            seconds = time.perf_counter() - t0
            session.run(
                f"MATCH (n:{label}) CALL {{ WITH n DETACH DELETE n }} IN TRANSACTIONS OF 5000 ROWS"
            ).consume()
    finally:
        driver.close()
    return seconds


class HeapWatch:
    """The server's heap in use (MiB), sampled every ``every`` seconds from its JMX bean
    (``dbms.queryJmx``) on a thread of its own while the ``with`` block runs: ``peak``, and
    ``max``, the heap the server may grow to. A server that does not answer the bean (a
    managed one) leaves both at None."""

    QUERY = (
        "CALL dbms.queryJmx('java.lang:type=Memory') YIELD attributes "
        "RETURN attributes.HeapMemoryUsage.value.properties.used, "
        "attributes.HeapMemoryUsage.value.properties.max"
    )

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self.peak: float | None = None
        self.max: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        import neo4j

        found = server()
        assert found is not None
        uri, user, password, database = found
        with neo4j.GraphDatabase.driver(uri, auth=(user, password or "")) as driver:
            while True:
                try:
                    used, most = driver.execute_query(self.QUERY, database_=database).records[0]
                except Exception:  # no bean (a managed server): no figure
                    return
                self.peak = max(self.peak or 0.0, used / 2**20)
                self.max = most / 2**20
                if self._stop.wait(self.every):
                    return

    def __enter__(self) -> HeapWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def __str__(self) -> str:
        if self.peak is None or self.max is None:
            return "server heap: not answered"
        return f"server heap peak {self.peak:,.0f} MiB of {self.max:,.0f} MiB"


def impact_times(stores: dict[str, GraphStore], starts: list[str]) -> dict[str, list[float]]:
    """Milliseconds of ``analyse()`` from each start, on each store in turn.

    The stores take each start one after the other, so that a busy moment of
    this machine weighs on every backend alike instead of on whichever was
    being measured then.
    """
    mm = load_metamodel()
    for store in stores.values():
        analyse(store, mm, starts[:5], max_depth=6)  # warm-up (and, on Neo4j, query plans)
    times: dict[str, list[float]] = {name: [] for name in stores}
    for start in starts:
        for name, store in stores.items():
            t0 = time.perf_counter()
            analyse(store, mm, [start], max_depth=6)
            times[name].append((time.perf_counter() - t0) * 1000)
    return times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def warm_up(tag: str, elements: list[Any], relations: list[Any]) -> float:
    """Rows/s of a tenth of the landscape loaded under a scratch tag, deleted after.

    A server just started runs its statements interpreted until the JVM has
    compiled them: the first load after a start is up to twice as slow as the
    next. A server runs for months; the figures below are of one that is warm,
    and this one says what the first load after a restart gives.
    """
    part = elements[: max(1, len(elements) // 10)]
    ids = {e.id for e in part}
    links = [r for r in relations if r.src in ids and r.dst in ids]
    store = open_neo4j(tag)
    try:
        seconds = load(store, part, links)
        impact_times({"neo4j": store}, sorted(ids)[:50])
    finally:
        store.purge(keep=False)  # type: ignore[attr-defined]
        store.close()
    return (len(part) + len(links)) / seconds


def bench_store_level(args: argparse.Namespace, tag: str) -> dict[str, Any]:
    gen = benchkit.sibling("bench_store")
    elements, relations = gen.generate(args.elements, args.relations, args.seed)
    rows = len(elements) + len(relations)
    print(f"landscape: {len(elements):,} elements + {len(relations):,} relations", flush=True)
    rate = warm_up(tag + "w", elements, relations)
    print(f"  warm-up: a tenth of it into Neo4j, {rate:,.0f} rows/s (deleted)", flush=True)
    rng = random.Random(args.seed)
    candidates = [
        e.id
        for e in elements
        if e.type in ("Server", "VirtualMachine", "SystemSoftware", "Application")
    ]
    starts = rng.sample(candidates, min(args.starts, len(candidates)))
    figures: dict[str, Any] = {
        "elements": len(elements),
        "relations": len(relations),
        "warm_up_rows_s": rate,
    }
    with tempfile.TemporaryDirectory(prefix="ea-bench-neo4j-") as tmp:
        stores: dict[str, GraphStore] = {
            "sqlite": SQLiteStore(Path(tmp) / "repository.db"),
            "neo4j": open_neo4j(tag),
        }
        try:
            for name, store in stores.items():
                seconds = load(store, elements, relations)
                figures[name] = {"load_s": seconds, "load_rows_s": rows / seconds}
                print(
                    f"  {name:6}: load {seconds:.1f} s ({rows / seconds:,.0f} rows/s)", flush=True
                )
            for name, times in impact_times(stores, starts).items():
                figures[name]["impact_p50_ms"] = statistics.median(times)
                figures[name]["impact_p95_ms"] = _pct(times, 0.95)
                f = figures[name]
                print(
                    f"  {name:6}: impact p50 {f['impact_p50_ms']:.1f} ms, "
                    f"p95 {f['impact_p95_ms']:.1f} ms (each start on both backends in turn)",
                    flush=True,
                )
            bare = bare_unwind(elements, relations)
            figures["bare_unwind"] = {"load_s": bare, "load_rows_s": rows / bare}
            print(
                f"  baseline: bare UNWIND CREATE of the same rows, no index: {bare:.1f} s "
                f"({rows / bare:,.0f} rows/s); the store takes "
                f"{figures['neo4j']['load_s'] / bare:.1f}x that",
                flush=True,
            )
        finally:
            for store in stores.values():
                if store.backend == "neo4j":
                    store.purge(keep=False)  # type: ignore[attr-defined]
                store.close()
    return figures


def bench_sync(args: argparse.Namespace, tag: str) -> dict[str, Any]:
    imp = benchkit.sibling("bench_import")
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ea-bench-neo4j-sync-") as tmp_name:
        tmp = Path(tmp_name)
        exports = tmp / "generated"
        ns = argparse.Namespace(
            elements=args.elements, relations=args.relations, interfaces=0, seed=args.seed
        )
        imp.generate_exports(ns, exports)
        found = server()
        assert found is not None
        uri, user, password, database = found
        for name in ("sqlite", "neo4j"):
            ws = imp.make_workspace(tmp / f"ws-{name}", exports, with_interfaces=False)
            if name == "neo4j":
                config = ws / "ea.yaml"
                store = {"backend": "neo4j", "uri": uri, "user": user, "repository": tag}
                if database:
                    store["database"] = database
                config.write_text(
                    with_store(config.read_text(encoding="utf-8"), store), encoding="utf-8"
                )
                if password is not None:
                    os.environ["EA_NEO4J_PASSWORD"] = password
            rows_path = exports / imp.gen.CI_FILE, exports / imp.gen.REL_FILE
            rows = sum(sum(1 for _ in p.open(encoding="utf-8")) - 1 for p in rows_path)
            with HeapWatch() as heap:
                first = imp.first_import(ws, "cmdb")
            imp._report(f"  {name:6} first import", first, rows)
            if name == "neo4j":
                print(f"  {name:6} first import: {heap}", flush=True)
                first["server_heap_peak_mib"], first["server_heap_max_mib"] = heap.peak, heap.max
            again = imp.resync(ws, "cmdb")
            imp._report(f"  {name:6} re-sync, unchanged", again, rows)
            figures[name] = {"rows": rows, "first_import": first, "resync": again}
    return figures


def run(args: argparse.Namespace) -> dict[str, Any]:
    tag = f"bench{uuid.uuid4().hex[:8]}"
    probe = open_neo4j(tag)
    figures: dict[str, Any] = {
        "server": getattr(probe, "server_agent", "?"),
        "tag": tag,
        "calibration_ms": benchkit.calibrate(),
    }
    probe.close()
    print(
        f"server: {figures['server']}; CPU calibration {figures['calibration_ms']:.0f} ms",
        flush=True,
    )
    if not args.skip_store:
        print("(1)+(2) store load and impact", flush=True)
        figures["store"] = bench_store_level(args, tag)
    if not args.skip_sync:
        print("(3) ServiceNow exports through the sync pipeline", flush=True)
        try:
            figures["sync"] = bench_sync(args, tag + "s")
        finally:
            store = open_neo4j(tag + "s")
            store.purge(keep=False)  # type: ignore[attr-defined]
            store.close()
    if args.skip_store:
        return figures
    st = figures["store"]
    ratio = st["neo4j"]["impact_p50_ms"] / st["sqlite"]["impact_p50_ms"]
    figures["impact_ratio"] = ratio
    figures["load_pass"] = st["neo4j"]["load_rows_s"] >= LOAD_TARGET_ROWS_S
    figures["impact_pass"] = ratio <= IMPACT_RATIO_TARGET
    print(
        f"Neo4j load {st['neo4j']['load_rows_s']:,.0f} rows/s (target ≥ {LOAD_TARGET_ROWS_S:,}): "
        f"{'PASS' if figures['load_pass'] else 'MISS'}; impact p50 {ratio:.1f}× SQLite's "
        f"(target ≤ {IMPACT_RATIO_TARGET:.0f}×): {'PASS' if figures['impact_pass'] else 'MISS'}",
        flush=True,
    )
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elements", type=int, default=100_000, help="elements (default 100 000)")
    parser.add_argument("--relations", type=int, help="relations (default 3 x elements)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--starts", type=int, default=200, help="impact starts (default 200)")
    parser.add_argument("--skip-sync", action="store_true", help="only the store-level figures")
    parser.add_argument("--skip-store", action="store_true", help="only the sync pipeline")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    if args.relations is None:
        args.relations = 3 * args.elements
    if server() is None:
        print(
            "bench_neo4j: skipped — no Neo4j server configured "
            "(set EA_NEO4J_URI and EA_NEO4J_PASSWORD, or EA_TEST_NEO4J_URI and _PASSWORD)"
        )
        return 0
    try:
        figures = run(args)
    except EaError as exc:  # the server unreachable, wrong credentials...: said, not a traceback
        print(f"bench_neo4j: stopped — {exc}" + (f" ({exc.hint})" if exc.hint else ""))
        return 0
    benchkit.save_figures(figures, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
