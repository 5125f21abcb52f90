"""The benchmark landscape generator: exact counts, sound references, reproducible."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_store.py"

ELEMENT_TYPES = {
    "Capability",
    "BusinessProcess",
    "Application",
    "ApplicationComponent",
    "Server",
    "VirtualMachine",
    "Cluster",
    "Datacenter",
    "DataObject",
    "SystemSoftware",
    "SoftwareProduct",
}
RELATION_TYPES = {
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
}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """benchmarks/ is not a package: its scripts load each other through benchkit."""
    sys.path.insert(0, str(BENCH.parent))
    import benchkit

    return benchkit.sibling("bench_store")


def test_counts_ids_and_references(bench: ModuleType) -> None:
    elements, relations = bench.generate(200, 600, seed=1)
    assert len(elements) == 200
    assert len(relations) == 600
    element_ids = [e.id for e in elements]
    assert len(set(element_ids)) == len(element_ids)
    relation_ids = [r.id for r in relations]
    assert len(set(relation_ids)) == len(relation_ids)
    known = set(element_ids)
    missing = [r.id for r in relations if r.src not in known or r.dst not in known]
    assert missing == []
    assert {e.type for e in elements} == ELEMENT_TYPES
    assert {r.type for r in relations} <= RELATION_TYPES


def test_layering(bench: ModuleType) -> None:
    elements, relations = bench.generate(200, 600, seed=1)
    types = {e.id: e.type for e in elements}
    for r in relations:
        if r.type == "flow":
            assert (types[r.src], types[r.dst]) == ("Application", "Application")
        elif r.type == "runs_on":
            assert types[r.dst] == "VirtualMachine"
        elif r.type == "hosted_on":
            assert (types[r.src], types[r.dst]) in {
                ("VirtualMachine", "Server"),
                ("VirtualMachine", "Cluster"),
            }
        elif r.type == "located_in":
            assert types[r.dst] == "Datacenter"


def test_same_seed_same_landscape(bench: ModuleType) -> None:
    assert bench.generate(200, 600, seed=1) == bench.generate(200, 600, seed=1)
    assert bench.generate(200, 600, seed=1) != bench.generate(200, 600, seed=2)


def test_fewer_relations_than_the_structure_needs(bench: ModuleType) -> None:
    elements, relations = bench.generate(200, 50, seed=3)
    assert len(relations) == 50
    known = {e.id for e in elements}
    assert all(r.src in known and r.dst in known for r in relations)


def test_the_landscape_respects_the_built_in_metamodel(bench: ModuleType) -> None:
    from ea_repo.metamodel import load_metamodel

    mm = load_metamodel()
    elements, relations = bench.generate(2000, 6000, seed=1)
    types = {e.id: e.type for e in elements}
    assert all(mm.element_type(t) is not None for t in types.values())
    wrong = {
        (r.type, types[r.src], types[r.dst])
        for r in relations
        if types[r.src] not in mm.relation_types[r.type].sources
        or types[r.dst] not in mm.relation_types[r.type].targets
    }
    assert wrong == set()
