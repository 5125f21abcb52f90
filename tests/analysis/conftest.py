"""A hand-built landscape with known answers, in every store backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from ea_repo.metamodel import Metamodel, load_metamodel
from ea_repo.model import Element, ElementId, Relation, Status
from ea_repo.store import GraphStore

#   dc1 ── srv1 ─┐                         cap1
#      └── srv3  ├ member_of ── cl1 ── vm1 ── app-a ─flow→ app-b ─flow→ app-c ─flow→ app-a (cycle)
#   dc2 ── srv2 ─┘                                        │  ↑            │
#                srv3 ── vm2 ── app-b                      serves bp1 ←── serves
#                       vm2 ── app-r (retired)            bp1 realizes cap1
ELEMENTS = [
    ("dc1", "Datacenter"),
    ("dc2", "Datacenter"),
    ("srv1", "Server"),
    ("srv2", "Server"),
    ("srv3", "Server"),
    ("cl1", "Cluster"),
    ("vm1", "VirtualMachine"),
    ("vm2", "VirtualMachine"),
    ("app-a", "Application"),
    ("app-b", "Application"),
    ("app-c", "Application"),
    ("app-r", "Application"),
    ("bp1", "BusinessProcess"),
    ("cap1", "Capability"),
]
RELATIONS = [
    ("srv1", "located_in", "dc1"),
    ("srv3", "located_in", "dc1"),
    ("srv2", "located_in", "dc2"),
    ("srv1", "member_of", "cl1"),
    ("srv2", "member_of", "cl1"),
    ("vm1", "hosted_on", "cl1"),
    ("vm2", "hosted_on", "srv3"),
    ("app-a", "runs_on", "vm1"),
    ("app-b", "runs_on", "vm2"),
    ("app-c", "runs_on", "vm2"),
    ("app-r", "runs_on", "vm2"),
    ("app-a", "flow", "app-b"),
    ("app-b", "flow", "app-c"),
    ("app-c", "flow", "app-a"),
    ("app-b", "serves", "bp1"),
    ("app-c", "serves", "bp1"),
    ("bp1", "realizes", "cap1"),
]


@pytest.fixture(scope="session")
def mm() -> Metamodel:
    return load_metamodel()


@pytest.fixture
def land(store: GraphStore) -> GraphStore:
    store.upsert_elements(
        Element(ElementId(i), t, i.upper(), {}, Status.RETIRED if i == "app-r" else Status.ACTIVE)
        for i, t in ELEMENTS
    )
    store.upsert_relations(Relation(ElementId(s), t, ElementId(d)) for s, t, d in RELATIONS)
    return store


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace holding the small retail landscape of tests/landscape.py."""
    from tests.landscape import build

    return build(tmp_path_factory.mktemp("landscape") / "ws")
