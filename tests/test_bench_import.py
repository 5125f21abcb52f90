"""The scale generator's ServiceNow exports import cleanly through the real pipeline.

benchmarks/generate.py writes what benchmarks/bench_import.py measures; these
tests run it small and check that the ServiceNow preset, the built-in
metamodel and the sync engine accept every row, with counts that match the
files, a no-op re-sync, and byte-identical output for a seed.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ea_repo.importers.presets import load_preset
from ea_repo.metamodel import load_metamodel
from ea_repo.sources import make_spec, read_source, run_source
from ea_repo.store import SQLiteStore

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
N, SEED = 400, 7


def _load(name: str) -> ModuleType:
    """benchmarks/ is not a package: its scripts load each other through benchkit."""
    sys.path.insert(0, str(BENCHMARKS))
    import benchkit

    return benchkit.sibling(name)


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _load("generate")


@pytest.fixture(scope="module")
def exports(gen: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    assert gen.main(["--elements", str(N), "--seed", str(SEED), "--out", str(out)]) == 0
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _expected(exports: Path) -> dict[str, Any]:
    """What an import must give, counted from the files themselves (not the manifest)."""
    mm = load_metamodel()
    classes = load_preset("servicenow", mm).elements.type.classes  # type: ignore[union-attr]
    cis = _rows(exports / "cmdb_ci.csv")
    rels = _rows(exports / "cmdb_rel_ci.csv")
    retired = {r["sys_id"] for r in cis if r["install_status"] == "Retired"}
    types = Counter(classes.lookup(r["sys_class_name"])[1].type for r in cis)
    types -= Counter(
        classes.lookup(r["sys_class_name"])[1].type for r in cis if r["sys_id"] in retired
    )
    to_retired = sum(1 for r in rels if {r["parent.sys_id"], r["child.sys_id"]} & retired)
    return {
        "ci_rows": len(cis),
        "rel_rows": len(rels),
        "retired": len(retired),
        "to_retired": to_retired,
        "elements": len(cis) - len(retired),
        "relations": len(rels) - to_retired,
        "element_types": dict(types),
    }


def test_exports_have_the_servicenow_shape(exports: Path, gen: ModuleType) -> None:
    cis = _rows(exports / "cmdb_ci.csv")
    rels = _rows(exports / "cmdb_rel_ci.csv")
    assert len(cis) == N
    assert len(rels) == 3 * N
    assert list(cis[0]) == list(gen.CI_COLUMNS)
    assert list(rels[0]) == ["parent", "type", "child", "parent.sys_id", "child.sys_id"]
    ids = [r["sys_id"] for r in cis]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    # names are not unique (as in real CMDBs): relationships must go by sys_id
    assert len({r["name"] for r in cis}) < len(cis)
    known = set(ids)
    assert all(r["parent.sys_id"] in known and r["child.sys_id"] in known for r in rels)
    # ServiceNow display values: RAM in MB with thousands separators
    assert any(re.fullmatch(r"\d{1,3}(,\d{3})+", r["ram"]) for r in cis)
    # every class and relationship type is one the preset maps
    mm = load_metamodel()
    mapping = load_preset("servicenow", mm)
    assert mapping.elements is not None
    assert all(mapping.elements.type.classes.lookup(r["sys_class_name"])[0] for r in cis)
    assert all(mapping.relations[0].types.lookup(r["type"])[0] for r in rels)


def test_first_import_and_resync(exports: Path, tmp_path: Path) -> None:
    mm = load_metamodel()
    expected = _expected(exports)
    spec = make_spec(
        "cmdb",
        "cmdb",
        [exports / "cmdb_ci.csv", exports / "cmdb_rel_ci.csv"],
        preset="servicenow",
    )
    batch = read_source(spec, mm)
    assert batch.problems == []
    # what the preset skips on purpose, and nothing else
    assert dict(batch.skipped) == {
        k: v
        for k, v in {
            "install_status is 'Retired'": expected["retired"],
            "relationship to a CI skipped in this import": expected["to_retired"],
        }.items()
        if v
    }
    assert expected["retired"] > 0 and expected["to_retired"] > 0

    store = SQLiteStore(tmp_path / "repository.db")
    try:
        first = run_source(spec, store, mm)
        assert first.applied
        assert first.elements.counts() == {
            "added": expected["elements"],
            "changed": 0,
            "revived": 0,
            "unchanged": 0,
            "missing": 0,
        }
        assert first.relations.counts()["added"] == expected["relations"]
        counts = store.counts()
        assert counts.elements == expected["element_types"]
        assert sum(counts.relations.values()) == expected["relations"]
        logged = len(store.changes())

        again = run_source(spec, store, mm)
        assert again.applied
        assert again.elements.counts() == {
            "added": 0,
            "changed": 0,
            "revived": 0,
            "unchanged": expected["elements"],
            "missing": 0,
        }
        assert again.relations.counts() == {
            "added": 0,
            "changed": 0,
            "revived": 0,
            "unchanged": expected["relations"],
            "missing": 0,
        }
        assert len(store.changes()) == logged
        assert store.counts() == counts
    finally:
        store.close()


def test_manifest_agrees_with_the_import(exports: Path, gen: ModuleType, tmp_path: Path) -> None:
    import json

    manifest = json.loads((exports / gen.MANIFEST_FILE).read_text("utf-8"))
    expected = _expected(exports)
    assert manifest["ci_rows"] == expected["ci_rows"]
    assert manifest["relation_rows"] == expected["rel_rows"]
    assert manifest["skipped"] == {
        "retired_cis": expected["retired"],
        "relations_to_retired_cis": expected["to_retired"],
    }
    assert manifest["expected"]["elements"] == expected["elements"]
    assert manifest["expected"]["element_types"] == expected["element_types"]
    mm = load_metamodel()
    store = SQLiteStore(tmp_path / "repository.db")
    try:
        spec = make_spec(
            "cmdb",
            "cmdb",
            [exports / "cmdb_ci.csv", exports / "cmdb_rel_ci.csv"],
            preset="servicenow",
        )
        run_source(spec, store, mm)
        assert store.counts().relations == manifest["expected"]["relation_types"]
        if "interfaces" not in manifest:
            pytest.skip("no flows importer: no interface catalog")
        flows = make_spec("interfaces", "flows", [exports / "interfaces.csv"])
        assert read_source(flows, mm).problems == []
        first = run_source(flows, store, mm)
        wanted = manifest["interfaces"]["expected"]
        assert first.elements.counts()["added"] == wanted["data_objects"]
        assert first.relations.counts()["added"] == wanted["flows"] + wanted["accesses"]
        counts = store.counts()
        assert counts.relations["flow"] == (
            manifest["expected"]["relation_types"].get("flow", 0) + wanted["flows"]
        )
        again = run_source(flows, store, mm)
        assert again.elements.counts()["unchanged"] == wanted["data_objects"]
        assert again.relations.counts()["unchanged"] == wanted["flows"] + wanted["accesses"]
        assert not again.elements.added and not again.relations.added
        assert not again.elements.changed and not again.relations.changed
    finally:
        store.close()


def test_same_seed_same_bytes(gen: ModuleType, exports: Path, tmp_path: Path) -> None:
    gen.write_exports(tmp_path / "again", N, seed=SEED)
    gen.write_exports(tmp_path / "other", N, seed=SEED + 1)
    for name in ("cmdb_ci.csv", "cmdb_rel_ci.csv", "manifest.json"):
        assert (tmp_path / "again" / name).read_bytes() == (exports / name).read_bytes()
        assert (tmp_path / "other" / name).read_bytes() != (exports / name).read_bytes()


def test_sizes_are_honoured(gen: ModuleType, tmp_path: Path) -> None:
    few = gen.write_exports(tmp_path / "few", 150, 100, seed=1, interfaces=0)
    assert few["ci_rows"] == 150 and few["relation_rows"] == 100
    assert not (tmp_path / "few" / "interfaces.csv").exists()
    many = gen.write_exports(tmp_path / "many", 150, 600, seed=1, interfaces=0)
    assert many["relation_rows"] == 600
    with pytest.raises(ValueError):
        gen.write_exports(tmp_path / "tiny", 20)


def test_touched_exports_resync_as_a_small_change(exports: Path, tmp_path: Path) -> None:
    import shutil

    bench = _load("bench_import")
    work = tmp_path / "exports"
    work.mkdir()
    for name in ("cmdb_ci.csv", "cmdb_rel_ci.csv"):
        shutil.copyfile(exports / name, work / name)
    mm = load_metamodel()
    spec = make_spec(
        "cmdb", "cmdb", [work / "cmdb_ci.csv", work / "cmdb_rel_ci.csv"], preset="servicenow"
    )
    store = SQLiteStore(tmp_path / "repository.db")
    try:
        run_source(spec, store, mm)
        before = {r["sys_id"]: r for r in _rows(work / "cmdb_ci.csv")}
        touched = bench.touch_exports(work, 0.05, seed=3)
        after = _rows(work / "cmdb_ci.csv")
        changed = [
            r
            for r in after
            if r["short_description"] != before[r["sys_id"]]["short_description"]
            and r["install_status"] != "Retired"
        ]
        result = run_source(spec, store, mm)
        assert touched["ci_rows"] == round(N * 0.05)
        assert result.elements.counts()["changed"] == len(changed) > 0
        moved = result.relations.counts()
        assert moved["added"] == moved["missing"] > 0
        assert moved["changed"] == 0
    finally:
        store.close()


def test_the_neo4j_benchmark_says_an_unreachable_server_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on: a real refused connection
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for name in ("EA_NEO4J_URI", "EA_NEO4J_USER", "EA_NEO4J_PASSWORD", "EA_NEO4J_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EA_TEST_NEO4J_URI", f"bolt://127.0.0.1:{port}")
    monkeypatch.setenv("EA_TEST_NEO4J_USER", "neo4j")
    monkeypatch.setenv("EA_TEST_NEO4J_PASSWORD", "not-shown")
    bench = _load("bench_neo4j")
    assert bench.main(["--elements", "50", "--skip-sync"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("bench_neo4j: stopped — cannot reach the Neo4j server")
    assert "not-shown" not in out and "Traceback" not in out
