"""The relations and hops the stores build from their rows are the model's own objects."""

from __future__ import annotations

import dataclasses

import pytest

from ea_repo.model import (
    Direction,
    Element,
    ElementId,
    Hop,
    Lens,
    Relation,
    RelationId,
    Status,
    Step,
)
from ea_repo.store.rows import hop, relation
from ea_repo.store.sqlite import SQLiteStore


def test_a_relation_built_from_a_row_equals_the_one_its_constructor_makes() -> None:
    made = Relation(
        ElementId("a"), "flow", ElementId("b"), {"k": 1}, Status.RETIRED, RelationId("f-1")
    )
    built = relation("a", "flow", "b", {"k": 1}, Status.RETIRED, "f-1")
    assert type(built) is Relation
    assert built == made
    assert dataclasses.asdict(built) == dataclasses.asdict(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.src = ElementId("c")  # type: ignore[misc]


def test_a_hop_built_from_a_row_equals_the_one_its_constructor_makes() -> None:
    rel = relation("a", "runs_on", "b", {}, Status.ACTIVE, "a|runs_on|b")
    built = hop("b", rel, "a", Direction.IN)
    assert built == Hop(ElementId("b"), rel, ElementId("a"), Direction.IN)


def test_neighbors_give_the_hops_the_model_would_make() -> None:
    store = SQLiteStore(":memory:")
    store.upsert_elements(
        Element(ElementId(i), "Application", i.upper()) for i in ("crm", "erp", "dwh")
    )
    store.upsert_relations(
        [
            Relation(ElementId("crm"), "flow", ElementId("erp")),
            Relation(
                ElementId("dwh"), "flow", ElementId("crm"), {"via": "sftp"}, id=RelationId("f-9")
            ),
        ]
    )
    store.set_status("relation", ["crm|flow|erp"], Status.RETIRED)
    both = [Step("flow", Direction.OUT), Step("flow", Direction.IN)]

    hops = store.neighbors(["crm"], both, Lens(frozenset(Status)))
    assert sorted(hops, key=lambda h: h.target) == [
        Hop(
            ElementId("crm"),
            Relation(
                ElementId("dwh"), "flow", ElementId("crm"), {"via": "sftp"}, id=RelationId("f-9")
            ),
            ElementId("dwh"),
            Direction.IN,
        ),
        Hop(
            ElementId("crm"),
            Relation(ElementId("crm"), "flow", ElementId("erp"), status=Status.RETIRED),
            ElementId("erp"),
            Direction.OUT,
        ),
    ]
    assert [h.target for h in store.neighbors(["crm"], both)] == ["dwh"]
