"""The Neo4j test server: stores under throw-away repository tags.

Kept apart from conftest.py so that tests importing it and the fixture that
cleans up share one list of open stores (conftest.py may be loaded under
another module name than ``tests.conftest``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from ea_repo.metamodel import Metamodel, load_metamodel
from ea_repo.store import GraphStore

NEO4J_SKIP = "Neo4j backend: set EA_TEST_NEO4J_URI (and _USER, _PASSWORD) to run against a server"


def open_test_neo4j(
    tag: str | None = None, metamodel: Metamodel | None = None, **options: Any
) -> GraphStore:
    """A Neo4jStore on the test server under a fresh repository tag; skips without a server.

    ``metamodel``: the built-in one unless given.

    Neo4j Community has one user database: each test gets its own tag
    (``t`` + random hex) and the ``_purge_neo4j`` fixture of tests/conftest.py deletes it afterwards.
    """
    uri = os.environ.get("EA_TEST_NEO4J_URI")
    if not uri:
        pytest.skip(NEO4J_SKIP)
    from ea_repo.store.neo4j import Neo4jStore

    store = Neo4jStore(
        uri,
        os.environ.get("EA_TEST_NEO4J_USER", "neo4j"),
        os.environ.get("EA_TEST_NEO4J_PASSWORD"),
        database=os.environ.get("EA_TEST_NEO4J_DATABASE"),
        repository=tag or f"t{uuid.uuid4().hex[:12]}",
        metamodel=metamodel or load_metamodel(),
        **options,
    )
    OPEN_NEO4J.append(store)
    return store


OPEN_NEO4J: list[GraphStore] = []
"""Stores opened by :func:`open_test_neo4j` and not yet purged."""


def neo4j_cmdb_workspace(root: Path, tag: str) -> Path:
    """Write the ``ea.yaml`` of a workspace (already initialised at ``root``) on the test
    server under ``tag``, declaring a ServiceNow source over ``exports/cmdb_ci.csv`` and
    ``exports/cmdb_rel_ci.csv``."""
    (root / "ea.yaml").write_text(
        "store:\n  backend: neo4j\n"
        f"  uri: {os.environ['EA_TEST_NEO4J_URI']}\n  repository: {tag}\n"
        "sources:\n  cmdb:\n    importer: cmdb\n    preset: servicenow\n"
        "    files: [exports/cmdb_ci.csv, exports/cmdb_rel_ci.csv]\n",
        encoding="utf-8",
    )
    return root
