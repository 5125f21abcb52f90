"""The Cypher builder of the Neo4j backend: every statement's text, without a server."""

from __future__ import annotations

import re

import pytest

from ea_repo.errors import MetamodelError
from ea_repo.metamodel import load_metamodel
from ea_repo.store import cypher as q
from ea_repo.store.cypher import CypherBuilder, shown


@pytest.fixture(scope="module")
def builder() -> CypherBuilder:
    return CypherBuilder.for_metamodel(load_metamodel())


def test_one_label_per_element_type_and_upper_snake_relationship_types(
    builder: CypherBuilder,
) -> None:
    mm = load_metamodel()
    assert set(builder.labels) == set(mm.element_types)
    assert builder.rel_types["runs_on"] == "RUNS_ON"
    assert builder.rel_types["associated_with"] == "ASSOCIATED_WITH"
    assert set(builder.rel_types.values()) == {rt.neo4j_type for rt in mm.relation_types.values()}


def test_elements_are_created_with_both_labels_and_values_as_parameters(
    builder: CypherBuilder,
) -> None:
    text = builder.create_elements("Application")
    assert text.startswith("UNWIND $rows AS row CREATE (n:Element:`Application` {repo: $repo, ")
    assert "id: row[0]" in text and "attrs: row[3]" in text and "updated_at: $now" in text
    assert text.endswith("RETURN collect([row[0], elementId(n)])")  # node ids for the relations
    assert "'" not in text and '"' not in text  # no literal value anywhere


def test_a_type_change_moves_the_element_to_its_new_label(builder: CypherBuilder) -> None:
    text = builder.update_elements("Server", "VirtualMachine")
    assert text.endswith("REMOVE n:`Server` SET n:`VirtualMachine`")
    assert "REMOVE" not in builder.update_elements("Server", "Server")
    # An element of a type the metamodel no longer has still moves to a type it has.
    assert builder.update_elements("Mainframe", "Server").endswith(
        "REMOVE n:`Mainframe` SET n:`Server`"
    )
    with pytest.raises(KeyError):
        builder.update_elements("Server", "Mainframe")


def test_relations_are_created_between_nodes_found_by_node_id_and_checked_by_key(
    builder: CypherBuilder,
) -> None:
    assert builder.create_relations("hosted_on") == (
        "UNWIND $rows AS row "
        "MATCH (s) WHERE elementId(s) = row[0] AND 'Element' IN labels(s) "
        "AND s.repo = $repo AND s.id = row[1] "
        "MATCH (d) WHERE elementId(d) = row[2] AND 'Element' IN labels(d) "
        "AND d.repo = $repo AND d.id = row[3] "
        "CREATE (s)-[r:`HOSTED_ON` {repo: $repo, id: row[4], attrs: row[5], status: row[6], "
        "since: row[7], until: row[8], wrote: $wrote}]->(d) RETURN count(r)"
    )


def test_one_traversal_level_is_one_query_for_both_directions(builder: CypherBuilder) -> None:
    text = builder.neighbors(["runs_on", "flow"], ["serves"])
    assert text.count("UNWIND $ids") == 1
    assert "MATCH (a)-[r:`RUNS_ON`|`FLOW`]->(b) RETURN r, b, 0 AS way" in text
    assert "MATCH (a)<-[r:`SERVES`]-(b) RETURN r, b, 1 AS way" in text
    assert f"{shown('r')} AND {shown('b')}" in text
    assert text.endswith("RETURN collect([a.id, r.id, type(r), b.id, r.attrs, way, r.status])")
    one = builder.neighbors(["runs_on"], [], one_status=True)
    assert f"{shown('r', True)} AND {shown('b', True)}" in one
    assert one.endswith("RETURN collect([a.id, r.id, type(r), b.id, r.attrs, way])")
    only_in = builder.neighbors([], ["serves"])
    assert "->(b)" not in only_in and "UNION" not in only_in
    only_out = builder.neighbors(["flow"], [])
    assert "<-[r:" not in only_out and "UNION" not in only_out


def test_several_levels_are_one_query_each_from_the_last(builder: CypherBuilder) -> None:
    text = builder.expand(["runs_on"], ["serves"], 3, one_status=True)
    assert text.startswith(
        "UNWIND $ids AS i MATCH (a0:Element {repo: $repo, id: i}) WITH collect(a0) AS f0 "
    )
    assert text.count("MATCH (a)-[r:`RUNS_ON`]->(b)") == 3
    assert text.count("MATCH (a)<-[r:`SERVES`]-(b)") == 3
    # Level 1 expands the ids; level k what level k-1 reached, unless past the cap.
    assert "CALL { WITH f0 UNWIND f0 AS a " in text
    assert "CALL { WITH f1 WITH f1 WHERE size(f1) <= $cap UNWIND f1 AS a " in text
    assert "CALL { WITH f2 WITH f2 WHERE size(f2) <= $cap UNWIND f2 AS a " in text
    # What a `stop` relation reaches is no frontier; the last level reaches no further.
    assert text.count("collect(DISTINCT CASE WHEN type(r) IN $stop THEN null ELSE b END)") == 2
    assert "AS f3" not in text
    assert (
        "collect([a.id, r.id, type(r), b.id, r.attrs, way, b.type, b.name, b.attrs]) AS h1" in text
    )
    assert text.endswith(
        "RETURN [h1, h2, h3], [[n IN f0 | n.id], "
        "CASE WHEN size(f1) <= $cap THEN [n IN f1 | n.id] ELSE [] END, "
        "CASE WHEN size(f2) <= $cap THEN [n IN f2 | n.id] ELSE [] END], "
        # the elements asked for, as the lens shows them
        f"[n IN f0 WHERE {shown('n')} | [n.id, n.type, n.name, n.attrs, n.status]]"
    )
    every = builder.expand(["runs_on"], [], 2, one_status=False)
    assert "way, r.status, b.type, b.name, b.attrs, b.status]) AS h2" in every
    with pytest.raises(ValueError, match="levels"):
        builder.expand(["runs_on"], [], 0, one_status=True)


def test_lookup_by_id_uses_the_types_index(builder: CypherBuilder) -> None:
    assert builder.relations_by_id("flow") == (
        "UNWIND $ids AS i MATCH (s)-[r:`FLOW` {repo: $repo, id: i}]->(d) "
        f"WHERE {shown('r')} "
        "RETURN collect([r.id, s.id, coalesce(r.type, $type_names[type(r)]), d.id, r.attrs, r.status])"
    )
    assert "MATCH (s)-[r:`SERVES` {repo: $repo, id: i}]->(d)" in builder.relations_by_id("serves")
    with pytest.raises(KeyError):
        builder.relations_by_id("teleports_to")


def test_schema_is_idempotent_with_an_index_per_relationship_type(builder: CypherBuilder) -> None:
    statements = builder.schema_statements()
    assert all(" IF NOT EXISTS " in s for s in statements)
    assert (
        "CREATE CONSTRAINT ea_element_key IF NOT EXISTS "
        "FOR (n:Element) REQUIRE (n.repo, n.id) IS UNIQUE"
    ) in statements
    rel_indexes = [s for s in statements if "FOR ()-[r:" in s]
    assert len(rel_indexes) == len(builder.rel_types)
    assert (
        "CREATE INDEX ea_rel_runs_on IF NOT EXISTS FOR ()-[r:`RUNS_ON`]-() ON (r.repo, r.id)"
        in rel_indexes
    )
    names = [s.split()[2] for s in statements]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", ["Bad Type", "x`) DETACH DELETE n //", "1st", ""])
def test_names_cypher_cannot_carry_are_refused(name: str) -> None:
    with pytest.raises(MetamodelError):
        CypherBuilder.for_types([name], [])
    with pytest.raises(MetamodelError):
        CypherBuilder.for_types([], [name])


def test_colliding_and_reserved_names_are_refused() -> None:
    with pytest.raises(MetamodelError, match="both become RUNS_ON"):
        CypherBuilder.for_types([], ["runs_on", "runsOn"])
    with pytest.raises(MetamodelError, match="uses itself"):
        CypherBuilder.for_types(["Element"], [])


def test_unknown_types_never_reach_the_text(builder: CypherBuilder) -> None:
    with pytest.raises(KeyError):
        builder.create_elements("Spaceship")
    with pytest.raises(KeyError):
        builder.create_relations("teleports_to")


def test_fixed_statements_take_every_value_as_a_parameter() -> None:
    fixed = [
        v
        for k, v in vars(q).items()
        if k.isupper()
        and isinstance(v, str)
        and " " in v
        and not k.endswith(("_ROW", "_ROWS", "_TYPE"))
    ]
    assert len(fixed) > 20
    for text in fixed:
        # The only literals are the backend's own status and kind words.
        literals = set(re.findall(r"'([^']*)'", text))
        assert literals <= {"active", "running", "failed", "element", "{}"}, text
        assert "$repo" in text, text
    assert "IS NULL" not in q.CHANGES  # every filter has its own statement
    assert q.purge("EaChange").startswith("MATCH (n:`EaChange` {repo: $repo}) CALL {")
    with pytest.raises(ValueError):
        q.purge("Application")


def test_the_change_log_is_filtered_by_kind_and_op_only_when_asked() -> None:
    assert q.changes_of(q.CHANGES_OF_RUN, kind=False, ops=False) == q.CHANGES_OF_RUN
    of_run = q.changes_of(q.CHANGES_OF_RUN, kind=True, ops=True)
    assert of_run.startswith(
        "MATCH (c:EaChange {repo: $repo, run_id: $run}) WHERE c.kind = $kind AND c.op IN $ops "
        "WITH c ORDER BY c.seq"
    )
    of_item = q.changes_of(q.CHANGES_OF_ITEM, kind=False, ops=True)
    assert "WHERE ($run IS NULL OR c.run_id = $run) AND c.op IN $ops WITH c" in of_item
