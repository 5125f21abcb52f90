"""The Neo4j backend's one place for what a lens shows: the Cypher fragments of the builder,
the parameters the store gives them, and that every statement reading through a lens uses them."""

from __future__ import annotations

import re

import pytest

from ea_repo.metamodel import load_metamodel
from ea_repo.model import CURRENT, EVERYTHING, Lens, Status
from ea_repo.store import cypher as q
from ea_repo.store.cypher import CypherBuilder, in_landscape, shown, shown_with_ends
from ea_repo.store.neo4j import _shown

RETIRED_ONLY = Lens(statuses=frozenset({Status.RETIRED}))


@pytest.fixture(scope="module")
def builder() -> CypherBuilder:
    return CypherBuilder.for_metamodel(load_metamodel())


def test_a_node_or_relationship_is_shown_by_its_status_among_named_parameters() -> None:
    assert shown("n") == f"n.status IN $statuses AND {in_landscape('n')}"
    assert shown("b", one_status=True) == f"b.status = $status AND {in_landscape('b')}"


def test_a_day_is_one_bound_parameter_compared_with_the_lifecycle_span() -> None:
    assert in_landscape("r") == (
        "($at IS NULL OR (r.since IS NULL OR r.since <= $at) AND (r.until IS NULL OR r.until > $at))"
    )


def test_a_relationship_is_shown_with_both_its_ends() -> None:
    assert shown_with_ends("r", "s", "d") == " AND ".join(shown(a) for a in ("r", "s", "d"))
    assert shown_with_ends("r", "s", "d", one_status=True) == " AND ".join(
        shown(a, one_status=True) for a in ("r", "s", "d")
    )


def test_the_parameters_of_a_lens_are_its_sorted_statuses_the_first_of_them_and_its_day() -> None:
    assert _shown(CURRENT) == {"statuses": ["active"], "status": "active", "at": None}
    assert _shown(EVERYTHING) == {"statuses": ["active", "retired"], "status": "active", "at": None}
    assert _shown(RETIRED_ONLY) == {"statuses": ["retired"], "status": "retired", "at": None}
    assert _shown(None) == _shown(EVERYTHING)  # every item as stored, for writers
    assert _shown(CURRENT.on("2026-05-01"))["at"] == "2026-05-01"


def _reading_statements(builder: CypherBuilder) -> dict[str, str]:
    return {
        "ELEMENTS_BY_ID": q.ELEMENTS_BY_ID,
        "ELEMENTS_PAGE": q.ELEMENTS_PAGE,
        "ELEMENTS_NAMED": q.ELEMENTS_NAMED,
        "RELATIONS_ALL": q.RELATIONS_ALL,
        "RELATIONS_OF": q.RELATIONS_OF,
        "COUNT_ELEMENTS": q.COUNT_ELEMENTS,
        "COUNT_RELATIONS": q.COUNT_RELATIONS,
        "COUNT_STALE": q.COUNT_STALE,
        "STALE_ELEMENTS": q.STALE_ELEMENTS,
        "elements_of_types": builder.elements_of_types(["Server"]),
        "relations_by_id": builder.relations_by_id("runs_on"),
        "neighbors": builder.neighbors(["runs_on"], ["runs_on"]),
        "neighbors, one status": builder.neighbors(["runs_on"], [], one_status=True),
        "expand": builder.expand(["runs_on"], ["runs_on"], 3, one_status=False),
        "expand, one status": builder.expand(["runs_on"], [], 2, one_status=True),
    }


def test_every_statement_that_reads_through_a_lens_spells_it_with_the_fragments(
    builder: CypherBuilder,
) -> None:
    for name, text in _reading_statements(builder).items():
        # Take out what the fragments generate: no status test may be left.
        rest = text
        for alias in ("n", "r", "b", "s", "d"):
            rest = rest.replace(shown(alias), "").replace(shown(alias, one_status=True), "")
        assert not re.search(r"\.status\s*(IN|=|<>)", rest), name
        assert "$statuses" in text or "$status" in text, name
        assert "$at" in text, name


def test_the_traversal_fast_path_compares_one_status_on_both_the_hop_and_its_far_end(
    builder: CypherBuilder,
) -> None:
    text = builder.neighbors(["runs_on"], ["runs_on"], one_status=True)
    assert f"WHERE {shown('r', True)} AND {shown('b', True)}" in text
    assert "$statuses" not in text


def test_while_a_staged_block_is_open_every_value_a_reading_statement_reads_is_seen(
    builder: CypherBuilder,
) -> None:
    bare = re.compile(r"\b[a-z]\.(" + "|".join(q.STAGED_PROPS) + r")\b")
    statements = {**_reading_statements(builder), "ASSERTIONS": q.ASSERTIONS}
    statements["RETIRED_COUNTS"] = q.RETIRED_COUNTS
    for name, text in statements.items():
        staged = q.staged(text)
        assert bare.search(text), name  # the plain form reads values as stored
        rest = staged
        for alias in "nrbsdap":
            for prop in q.STAGED_PROPS:
                rest = rest.replace(q.seen(alias, prop), "")
        assert not bare.search(rest.replace(".prev_", ".")), name
        assert "$hidden" in staged and "$hidden" not in text, name
    # a property whose name begins with one of them is another property
    assert q.staged("RETURN n.name_cf, n.name") == f"RETURN n.name_cf, {q.seen('n', 'name')}"


def test_a_write_keeps_the_state_before_it_once_per_block() -> None:
    assert q.keep_visible("n", ["name"]) == (
        "n.prev_name = CASE WHEN n.wrote = $wrote THEN n.prev_name ELSE n.name END, "
        "n.wrote = $wrote"
    )
