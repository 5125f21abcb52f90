"""Crash tests: a real ``ea sync`` killed at each named point of a staged Neo4j run.

Each case syncs export A, then export B in a process held at one checkpoint of
the staged run (``EA_TEST_CHECKPOINTS``, see ``ea_repo.runtime.checkpoint``)
and killed there (SIGKILL: the next sync closes its run; SIGTERM: the process
closes it itself), then syncs B again: the repository must
then equal that of a clean A-then-B, element by element, with provenance
(sources, asserted attributes, record digests) and the change log, and no run
may be left ``running``. Every run is staged (``EA_NEO4J_STAGE_ROWS=1``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ea_repo.model import EVERYTHING
from tests.checkpoints import EaProcess
from tests.neo4j_support import NEO4J_SKIP, neo4j_cmdb_workspace, open_test_neo4j

pytestmark = pytest.mark.skipif(not os.environ.get("EA_TEST_NEO4J_URI"), reason=NEO4J_SKIP)

DATA = Path(__file__).parent / "data" / "sync"

# The points of a staged run, in order, with what is committed when the process dies there.
POINTS = {
    "neo4j.staged": "the run record (running) and the first chunk: the elements B changes or "
    "adds, with their log",
    "neo4j.chunk": "the next chunk too: the provenance of those elements",
    "neo4j.deferred": "every chunk, provenance and digests included; nothing retired",
    "neo4j.closing": "the same: the closing transaction is written, not committed",
    "neo4j.closed": "all of B, the run succeeded; the lock not released",
}


def _exports(root: Path, variant: str) -> None:
    """Export A (the sync tests' 8 CIs, 6 relations), or B: web01 and web02 changed,
    web04 gone, web05 new, the relation web02 → DC gone."""
    exports = root / "exports"
    exports.mkdir(exist_ok=True)
    ci = (DATA / "cmdb_ci.csv").read_text()
    rel = (DATA / "cmdb_rel_ci.csv").read_text()
    if variant == "B":
        lines = [line for line in ci.splitlines() if ",web04," not in line]
        lines.append(
            "b0000000000000000000000000000006,web05,cmdb_ci_linux_server,Installed,Operational,"
            '10.1.0.25,web05.retail.example,Linux Red Hat,9.4,4,"16,384",CZ100006,Production,'
            "2024-05-16 12:40:57"
        )
        ci = "\n".join(lines).replace(
            'Red Hat,9.4,4,"16,384",CZ100002', 'Red Hat,9.5,4,"16,384",CZ100002'
        )
        ci = ci.replace('9.4,4,"16,384",CZ100003', '9.4,8,"32,768",CZ100003') + "\n"
        rel = "".join(
            line + "\n" for line in rel.splitlines() if not line.startswith("web02,Located in")
        )
    (exports / "cmdb_ci.csv").write_text(ci)
    (exports / "cmdb_rel_ci.csv").write_text(rel)


def _workspace(root: Path, tag: str) -> Path:
    from ea_repo.config import init_workspace

    init_workspace(root)
    _exports(root, "A")
    return neo4j_cmdb_workspace(root, tag)


def _env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "EA_NEO4J_USER": os.environ.get("EA_TEST_NEO4J_USER", "neo4j"),
        "EA_NEO4J_PASSWORD": os.environ.get("EA_TEST_NEO4J_PASSWORD", ""),
        "EA_NEO4J_STAGE_ROWS": "1",
        **extra,
    }


def _sync(root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ea_repo", "sync", "-w", str(root)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _killed_sync(root: Path, folder: Path, point: str, sig: signal.Signals) -> None:
    """``ea sync`` held at ``point`` and killed there with ``sig``."""
    held = EaProcess(folder, "sync", "-w", str(root), stop=point, env=_env())
    held.wait_for(point)
    proc = held.proc
    proc.send_signal(sig)
    proc.wait(timeout=30)
    # SIGTERM ends the command as an error does (exit 128 + 15); SIGKILL leaves no say.
    assert proc.returncode == (128 + sig if sig == signal.SIGTERM else -sig), proc.communicate()


def _content(store: Any) -> dict[str, Any]:
    """Everything a run leaves, without run ids and times."""

    def text(value: Any) -> str:
        return json.dumps(value, sort_keys=True)

    elements = list(store.iter_elements(EVERYTHING))
    relations = list(store.iter_relations(EVERYTHING))
    ids = {"element": [e.id for e in elements], "relation": [r.id for r in relations]}
    return {
        "elements": sorted((e.id, e.type, e.name, text(e.attrs), e.status.value) for e in elements),
        "relations": sorted(
            (r.id, r.src, r.type, r.dst, text(r.attrs), r.status.value) for r in relations
        ),
        "provenance": sorted(
            (a.kind, a.item_id, a.source) for kind in ids for a in store.assertions(kind, ids[kind])
        ),
        "asserted": {kind: store.asserted_values("cmdb", kind, ids[kind]) for kind in ids},
        "digests": sorted(store.record_digests("cmdb").items()),
        "log": sorted(
            (c.kind, c.item_id, c.op, text(c.before), text(c.after)) for c in store.changes()
        ),
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The repository after a clean sync of A, then of B."""
    store = open_test_neo4j()
    root = _workspace(tmp_path_factory.mktemp("clean") / "ws", store.repo)  # type: ignore[attr-defined]
    _sync(root)
    _exports(root, "B")
    _sync(root)
    content = _content(store)
    assert [r.status for r in store.runs()] == ["succeeded", "succeeded"]
    assert content["log"], "B changes something"
    return content


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("point", list(POINTS))
def test_a_sync_killed_at_each_point_of_a_staged_run_converges_to_a_clean_run(
    tmp_path: Path, clean: dict[str, Any], point: str, sig: signal.Signals
) -> None:
    store = open_test_neo4j()
    root = _workspace(tmp_path / "ws", store.repo)  # type: ignore[attr-defined]
    _sync(root)
    _exports(root, "B")
    _killed_sync(root, tmp_path / "checkpoints", point, sig)
    killed = store.runs()[0]
    if point == "neo4j.closed":
        assert killed.status == "succeeded"
    elif sig == signal.SIGTERM:  # closed by the process itself, its lock released
        assert killed.status == "failed" and "stopped part-way" in (killed.message or "")
    else:
        assert killed.status == "running"
    if point != "neo4j.closed":
        assert _content(store) != clean  # killed part-way, indeed
    _sync(root)  # the next sync: takes over the lock, closes the run, finishes B
    assert "running" not in [r.status for r in store.runs()]
    if point != "neo4j.closed":
        closed = store.runs(after=killed.id - 1)[-1]
        assert (closed.id, closed.status) == (killed.id, "failed")
        if sig == signal.SIGKILL:
            assert (closed.message or "").startswith("interrupted")
    assert _content(store) == clean
