"""Migration waves: what a selection needs outside itself, and the plan without that list."""

from __future__ import annotations

from pathlib import Path

from ea_repo import Repository
from ea_repo.analysis.waves import plan_waves


def test_outside_lists_what_the_selection_needs_elsewhere(retail: Path) -> None:
    with Repository.open(retail) as repo:
        report = plan_waves(repo.store, repo.metamodel, ["app-crm", "vm-crm", "sw-pg-crm"])
    needed = {(a.id, b.id, r.type) for a, b, r in report.outside}
    assert ("vm-crm", "srv-esx01", "hosted_on") in needed
    assert ("sw-pg-crm", "sp-postgresql-16", "instance_of") in needed
    # Data flows cross a move: the CRM's senders are not something it needs moved with it.
    assert not [t for t in needed if t[2] == "flow"]
    # Inside the selection, the stack is one group: one wave, nothing cut.
    assert [sorted(e.id for e in w.elements) for w in report.waves] == [
        ["app-crm", "sw-pg-crm", "vm-crm"]
    ]
    assert report.cross == []


def test_plan_without_outside_is_the_same_plan(retail: Path) -> None:
    with Repository.open(retail) as repo:
        ids = [e.id for e in repo.store.iter_elements()]
        full = plan_waves(repo.store, repo.metamodel, ids, max_size=4)
        bare = plan_waves(repo.store, repo.metamodel, ids, max_size=4, outside=False)
    assert full.outside and bare.outside == []
    # The relations are read whole: their attributes can be read once the repository is closed.
    assert [dict(c.relation.attrs) for c in full.cross] + [dict(r.attrs) for *_, r in full.outside]
    assert bare.waves == full.waves and bare.cross == full.cross
    assert len(full.waves) > 1 and full.cross
