"""Migration waves: what a hand-picked selection touches among what stays."""

from __future__ import annotations

from pathlib import Path

from ea_repo import Repository
from ea_repo.analysis.waves import plan_waves


def test_touched_lists_both_ways_and_leaves_out_what_is_placed_nowhere(retail: Path) -> None:
    with Repository.open(retail) as repo:
        report = plan_waves(repo.store, repo.metamodel, ["app-crm", "vm-crm", "sw-pg-crm"])
    touches = {
        (t.element.id, t.relation.type, t.moving.id, t.depends) for t in report.waves[0].touched
    }
    # The ESX host stays and the CRM's VM needs it; the process and the customer data
    # the CRM serves and stores need the CRM; its flow partners are touched both ways.
    assert ("srv-esx01", "hosted_on", "vm-crm", False) in touches
    assert ("bp-consent", "serves", "app-crm", True) in touches
    assert ("do-customer", "stores", "app-crm", True) in touches
    assert ("app-webshop", "flow", "app-crm", False) in touches  # sends to the CRM
    assert ("app-loyalty", "flow", "app-crm", True) in touches  # receives from it
    # A catalog release is reachable from anywhere: nothing to plan in a cut-over.
    assert not [t for t in touches if t[0] == "sp-postgresql-16"]
    # Inside the selection, the stack is one group: one wave, nothing cut.
    assert [sorted(e.id for e in w.elements) for w in report.waves] == [
        ["app-crm", "sw-pg-crm", "vm-crm"]
    ]
    assert report.cross == []


def test_relations_are_read_whole(retail: Path) -> None:
    with Repository.open(retail) as repo:
        ids = [e.id for e in repo.store.iter_elements()]
        full = plan_waves(repo.store, repo.metamodel, ids, max_size=4)
    # Everything is chosen: nothing stays, nothing is touched.
    assert full.touched == []
    # The relations are read whole: their attributes can be read once the repository is closed.
    assert [dict(c.relation.attrs) for c in full.cross]
    assert len(full.waves) > 1 and full.cross
