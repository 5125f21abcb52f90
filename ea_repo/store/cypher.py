"""Every Cypher statement of the Neo4j backend, generated from the metamodel in one place.

Labels and relationship types cannot be query parameters, so they are written
into the text: they come only from a validated metamodel (identifiers checked
again here) and are always back-quoted. Every value is a parameter
(``$repo``, ``$ids``, ``$rows``...).

The graph: every element is a ``:Element`` node with one more label, its type
(``:Application``); every relation is a relationship of the type named after
the metamodel relationship in UPPER_SNAKE case (``runs_on`` → ``:RUNS_ON``).
Runs, provenance (assertions, with the digest of the record behind each) and
the change log are nodes too (``:EaRun``, ``:EaAssertion``, ``:EaChange``), and one
``:EaMeta`` node per repository holds counters and the schema version. Every
node and relationship carries ``repo``, the repository tag, so several
repositories (or test runs) share one database, as Neo4j Community has only one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from ..errors import MetamodelError
from ..metamodel.schema import IDENTIFIER, Metamodel, upper_snake

ELEMENT = "Element"
INTERNAL_LABELS = frozenset(
    {ELEMENT, "EaMeta", "EaRun", "EaAssertion", "EaChange", "EaRelKey", "EaLock", "EaStaged"}
)

# What a lens shows, in one place: every statement that reads what a lens shows filters with
# these two fragments, over the named parameters :func:`.neo4j._shown` gives for a lens
# (``$statuses``, the statuses shown, sorted; ``$status``, the first of them, for the
# one-status fast path of a traversal, which compares with ``=``; ``$at``, the day the
# landscape is seen as at, or null).


def shown(alias: str, one_status: bool = False) -> str:
    """The condition node or relationship ``alias`` meets when the lens shows it.

    >>> shown("n")
    'n.status IN $statuses AND ($at IS NULL OR (n.since IS NULL OR n.since <= $at) AND (n.until IS NULL OR n.until > $at))'
    >>> shown("r", one_status=True).split(" AND ")[0]
    'r.status = $status'
    """
    status = f"{alias}.status = $status" if one_status else f"{alias}.status IN $statuses"
    return f"{status} AND {in_landscape(alias)}"


def in_landscape(alias: str) -> str:
    """The condition node or relationship ``alias`` meets when its lifecycle span
    (``since``, ``until``: :func:`ea_repo.timeline.span`, kept on every upsert) holds
    ``$at``, or no day is asked (``$at`` null).

    >>> in_landscape("n")
    '($at IS NULL OR (n.since IS NULL OR n.since <= $at) AND (n.until IS NULL OR n.until > $at))'
    """
    return (
        f"($at IS NULL OR ({alias}.since IS NULL OR {alias}.since <= $at) "
        f"AND ({alias}.until IS NULL OR {alias}.until > $at))"
    )


def shown_with_ends(rel: str, src: str, dst: str, one_status: bool = False) -> str:
    """The condition relationship ``rel`` meets when the lens shows it with both its ends.

    >>> shown_with_ends("r", "s", "d").count("$statuses"), shown_with_ends("r", "s", "d").count("$at")
    (3, 9)
    """
    return " AND ".join(shown(alias, one_status) for alias in (rel, src, dst))


# Staged runs (see :mod:`.neo4j`): a run too large for one transaction commits in several,
# and readers must not see it until its last. Every write transaction marks what it writes
# with its number (``wrote``, from ``EaMeta.writes``) and, the first time it changes an
# item, keeps the item's state before it in ``prev_*`` (``keep_visible``). A block that
# stages lists its number on the ``EaStaged`` node before its first commit and leaves the list
# with its last; a failed one restores ``prev_*`` and deletes what it added first (the
# ``UNDO_*`` statements). Readers learn the list from one read of the ``EaStaged`` node
# (``STAGED_STATE``); when it is empty (no staged run open, nearly always) they send the
# statements above unchanged, else each statement's ``staged`` form, which reads an item
# marked by a listed block as its ``prev_*`` state (an item it added, with no
# ``prev_status``, is then shown by no lens). A block is listed ``neo4j.FENCE_SECONDS``
# before its first commit, and marked ``closing`` that long before its last: a reader that
# looked less than that ago, at no block closing, cannot have met a block it does not know
# of, and need not look again after its query (see ``neo4j.Neo4jStore._through``).
STAGED_PROPS = ("type", "name", "attrs", "status", "since", "until", "last_run", "last_seen")
_READ_VALUE = re.compile(r"\b([a-z])\.(" + "|".join(STAGED_PROPS) + r")\b")


def seen(alias: str, prop: str) -> str:
    """Property ``prop`` of ``alias`` as readers see it while the blocks ``$hidden`` are open.

    >>> seen("n", "name")
    'CASE WHEN n.wrote IN $hidden THEN n.prev_name ELSE n.name END'
    """
    return f"CASE WHEN {alias}.wrote IN $hidden THEN {alias}.prev_{prop} ELSE {alias}.{prop} END"


@functools.lru_cache(maxsize=512)
def staged(statement: str) -> str:
    """The form of a reading statement for while staged blocks (``$hidden``) are open: every
    value in ``STAGED_PROPS`` it reads, in conditions and rows alike, read through ``seen``.

    >>> staged("MATCH (n) WHERE n.status IN $statuses RETURN [n.id, n.name_cf, n.name]")[:63]
    'MATCH (n) WHERE CASE WHEN n.wrote IN $hidden THEN n.prev_status'
    """
    return _READ_VALUE.sub(lambda m: seen(m[1], m[2]), statement)


def keep_visible(alias: str, props: Sequence[str]) -> str:
    """The SET items that keep ``props`` of ``alias`` in ``prev_*`` (unless this transaction
    kept them already) and mark it with ``$wrote``, the writing transaction's number.

    >>> keep_visible("r", ["status"])
    'r.prev_status = CASE WHEN r.wrote = $wrote THEN r.prev_status ELSE r.status END, r.wrote = $wrote'
    """
    items = [
        f"{alias}.prev_{p} = CASE WHEN {alias}.wrote = $wrote THEN {alias}.prev_{p} "
        f"ELSE {alias}.{p} END"
        for p in props
    ]
    return ", ".join([*items, f"{alias}.wrote = $wrote"])


# Reads return one record per query holding every row (``collect([...])``): the driver
# decodes one big list much faster than many records (measured: 5x on 1 000 elements).
# Element rows: id, type, name, attrs, status.
ELEMENT_ROW = "[n.id, n.type, n.name, n.attrs, n.status]"
ELEMENT_ROWS = f"collect({ELEMENT_ROW})"
# The metamodel name of relation ``r``: ``$type_names`` maps relationship types to them.
# Relations hold no copy of it (one property less on each, a tenth less time to write
# them); those written before kept theirs.
RELATION_TYPE = "coalesce(r.type, $type_names[type(r)])"
# Relation rows: id, src, type, dst, attrs, status.
RELATION_ROWS = f"collect([r.id, s.id, {RELATION_TYPE}, d.id, r.attrs, r.status])"


def quote(name: str) -> str:
    """A label or relationship type, checked and back-quoted for Cypher text."""
    if not IDENTIFIER.match(name):
        raise MetamodelError(f"{name!r} cannot be a Neo4j label or relationship type")
    return f"`{name}`"


class CypherBuilder:
    """Generates the backend's queries for one metamodel.

    >>> b = CypherBuilder.for_types(["Server"], ["runs_on"])
    >>> b.rel_types["runs_on"]
    'RUNS_ON'
    """

    def __init__(self, labels: frozenset[str], rel_types: dict[str, str]) -> None:
        self.labels = labels  # element types: each is its own label
        self.rel_types = rel_types  # metamodel relation type → Neo4j relationship type

    @classmethod
    def for_types(
        cls, element_types: Iterable[str], relation_types: Iterable[str]
    ) -> CypherBuilder:
        """A builder for these type names; refuses names Cypher cannot carry or that collide."""
        labels = frozenset(element_types)
        for name in sorted(labels):
            quote(name)
            if name in INTERNAL_LABELS:
                raise MetamodelError(
                    f"element type {name!r} is a name the Neo4j backend uses itself",
                    hint="rename the type in the metamodel",
                )
        rel_types: dict[str, str] = {}
        seen: dict[str, str] = {}
        for name in sorted(relation_types):
            quote(name)
            rtype = upper_snake(name)
            if rtype in seen:
                raise MetamodelError(
                    f"relationship types {seen[rtype]!r} and {name!r} both become {rtype} in Neo4j",
                    hint="rename one of them in the metamodel",
                )
            seen[rtype] = name
            rel_types[name] = rtype
        return cls(labels, rel_types)

    @classmethod
    def for_metamodel(cls, metamodel: Metamodel) -> CypherBuilder:
        """A builder for the (validated) metamodel's element and relationship types."""
        return cls.for_types(metamodel.element_types, metamodel.relation_types)

    def _label(self, element_type: str) -> str:
        """The quoted label of an element type; KeyError for a type the metamodel lacks."""
        if element_type not in self.labels:
            raise KeyError(element_type)
        return quote(element_type)

    def _rel_type(self, relation_type: str) -> str:
        """The quoted relationship type of a relation type; KeyError if the metamodel lacks it."""
        return quote(self.rel_types[relation_type])

    # -- schema ------------------------------------------------------------------

    def schema_statements(self) -> list[str]:
        """Constraints and indexes, each idempotent (``IF NOT EXISTS``)."""
        statements = [
            "CREATE CONSTRAINT ea_element_key IF NOT EXISTS "
            "FOR (n:Element) REQUIRE (n.repo, n.id) IS UNIQUE",
            "CREATE INDEX ea_element_name IF NOT EXISTS FOR (n:Element) ON (n.repo, n.name_cf)",
            "CREATE CONSTRAINT ea_meta_key IF NOT EXISTS FOR (m:EaMeta) REQUIRE m.repo IS UNIQUE",
            "CREATE CONSTRAINT ea_lock_key IF NOT EXISTS FOR (l:EaLock) REQUIRE l.repo IS UNIQUE",
            "CREATE CONSTRAINT ea_run_key IF NOT EXISTS "
            "FOR (r:EaRun) REQUIRE (r.repo, r.id) IS UNIQUE",
            "CREATE CONSTRAINT ea_assertion_key IF NOT EXISTS "
            "FOR (a:EaAssertion) REQUIRE (a.repo, a.source, a.kind, a.item_id) IS UNIQUE",
            "CREATE INDEX ea_assertion_item IF NOT EXISTS "
            "FOR (a:EaAssertion) ON (a.repo, a.kind, a.item_id)",
            "CREATE CONSTRAINT ea_relkey_key IF NOT EXISTS "
            "FOR (k:EaRelKey) REQUIRE (k.repo, k.id) IS UNIQUE",
            "CREATE INDEX ea_change_item IF NOT EXISTS FOR (c:EaChange) ON (c.repo, c.item_id)",
            "CREATE INDEX ea_change_run IF NOT EXISTS FOR (c:EaChange) ON (c.repo, c.run_id)",
        ]
        for rtype in sorted(self.rel_types.values()):
            statements.append(
                f"CREATE INDEX ea_rel_{rtype.lower()} IF NOT EXISTS "
                f"FOR ()-[r:{quote(rtype)}]-() ON (r.repo, r.id)"
            )
        return statements

    # -- elements ----------------------------------------------------------------

    def create_elements(self, element_type: str) -> str:
        """Create the elements of one type from ``$rows``; returns ``[id, elementId]`` pairs.

        A row is ``[id, name, name_cf, attrs, status, since, until]`` (lists encode and
        decode faster than maps). ``attrs`` is null for no attributes, ``since`` and
        ``until`` (the lifecycle span) for no bound: the property is then absent, one
        less to write. The node ids let the relations created
        next find their ends without an index lookup (see :meth:`create_relations`).
        """
        return (
            f"UNWIND $rows AS row CREATE (n:Element:{self._label(element_type)} "
            "{repo: $repo, id: row[0], type: $type, name: row[1], name_cf: row[2], "
            "attrs: row[3], status: row[4], since: row[5], until: row[6], updated_at: $now, "
            "wrote: $wrote}) "
            "RETURN collect([row[0], elementId(n)])"
        )

    def update_elements(self, old_type: str, new_type: str) -> str:
        """Update elements of ``old_type`` in place from ``$rows``, moved to the label of
        ``new_type`` if it differs (the old type may have left the metamodel since)."""
        relabel = ""
        if old_type != new_type:
            relabel = f" REMOVE n:{quote(old_type)} SET n:{self._label(new_type)}"
        return (
            "UNWIND $rows AS row MATCH (n:Element {repo: $repo, id: row[0]}) "
            f"SET {keep_visible('n', ELEMENT_PROPS)} "
            "SET n.type = $type, n.name = row[1], n.name_cf = row[2], "
            "n.attrs = row[3], n.status = row[4], n.since = row[5], n.until = row[6], "
            f"n.updated_at = $now{relabel}"
        )

    @staticmethod
    def relabel_elements(old_type: str, new_type: str) -> str:
        """Move the elements ``$ids`` from the label of ``old_type`` back to ``new_type``'s
        (undoing a failed staged block, which had changed their type)."""
        return (
            "UNWIND $ids AS i MATCH (n:Element {repo: $repo, id: i}) "
            f"REMOVE n:{quote(old_type)} SET n:{quote(new_type)}"
        )

    def elements_of_types(self, element_types: Sequence[str]) -> str:
        """Elements of these types (by label) shown by ``$statuses``."""
        return " UNION ALL ".join(
            f"MATCH (n:{self._label(t)}) WHERE n.repo = $repo AND {shown('n')} "
            f"RETURN {ELEMENT_ROWS}"
            for t in element_types
        )

    # -- relations ---------------------------------------------------------------

    def create_relations(self, relation_type: str) -> str:
        """Create relations of one type from ``$rows``; returns how many found both ends.

        A row is ``[src node id, src, dst node id, dst, id, attrs, status, since, until]``: the ends
        are found by their node ids (``elementId``), a direct seek where the key
        index would take a locking seek per end, and checked to be still the
        elements named (label, repository and id), so that a node id a concurrent
        deletion freed for reuse cannot link anything else. ``attrs`` null: none.
        A relation keeps neither its type's name (its relationship type says it,
        see ``RELATION_TYPE``) nor a time stamp (the change log has its history):
        one property record per relation instead of two.

        The patterns carry no label on purpose: with ``(s:Element)`` the planner
        may take the key index instead of the node id, and does whenever its
        statistics say the database is empty (a first import, whose elements are
        not yet committed when the relations are planned); that plan ran a load
        ten times slower. Without a label no index applies, so the seek by node id
        is the only plan; the label is checked as a filter (``labels()``, which no
        index serves).
        """
        return (
            "UNWIND $rows AS row "
            "MATCH (s) WHERE elementId(s) = row[0] AND 'Element' IN labels(s) "
            "AND s.repo = $repo AND s.id = row[1] "
            "MATCH (d) WHERE elementId(d) = row[2] AND 'Element' IN labels(d) "
            "AND d.repo = $repo AND d.id = row[3] "
            f"CREATE (s)-[r:{self._rel_type(relation_type)} "
            "{repo: $repo, id: row[4], attrs: row[5], status: row[6], since: row[7], "
            "until: row[8], wrote: $wrote}]->(d) RETURN count(r)"
        )

    def update_relations(self, relation_type: str) -> str:
        """Update attributes and status of relations of one type from ``$rows``
        (``[id, attrs, status, since, until]``)."""
        return (
            f"UNWIND $rows AS row MATCH ()-[r:{self._rel_type(relation_type)} "
            "{repo: $repo, id: row[0]}]->() "
            f"SET {keep_visible('r', RELATION_PROPS)} "
            "SET r.attrs = row[1], r.status = row[2], r.since = row[3], r.until = row[4]"
        )

    def relations_by_id(self, relation_type: str) -> str:
        """Relations of one type whose id is in ``$ids``, looked up in that type's index."""
        return (
            "UNWIND $ids AS i "
            f"MATCH (s)-[r:{self._rel_type(relation_type)} {{repo: $repo, id: i}}]->(d) "
            f"WHERE {shown('r')} RETURN {RELATION_ROWS}"
        )

    def set_relation_status(self, relation_type: str) -> str:
        """Set ``$status`` on relations of one type among ``$ids``; returns how many changed."""
        return (
            f"UNWIND $ids AS i MATCH ()-[r:{self._rel_type(relation_type)} "
            "{repo: $repo, id: i}]->() WHERE r.status <> $status "
            "SET r.status = $status RETURN count(r)"
        )

    def delete_relations(self, relation_type: str, unwritten: bool = False) -> str:
        """Delete relations of one type among ``$ids``; returns how many. ``unwritten``: only
        those ``$wrote`` did not write (a relation a staged run moved: the old one goes in
        its last transaction, the new one, of the same id, stays)."""
        only = " WHERE coalesce(r.wrote <> $wrote, true)" if unwritten else ""
        return (
            f"UNWIND $ids AS i MATCH ()-[r:{self._rel_type(relation_type)} "
            f"{{repo: $repo, id: i}}]->(){only} DELETE r RETURN count(*)"
        )

    def neighbors(
        self, out_types: Sequence[str], in_types: Sequence[str], one_status: bool = False
    ) -> str:
        """One traversal level: from ``$ids`` along ``out_types`` out and ``in_types`` in.

        Rows: origin id, relation id, Neo4j relationship type (``type(r)``, read from
        the relationship itself where the ``type`` property is one more read),
        far end id, attributes, 0 when followed out (origin is the source) or 1
        when followed in, then the status. ``one_status``: the lens shows one
        status, ``$status``; every row has it, so rows leave it out. At least one
        of the two lists is not empty (the store asks for no level without a step).
        """
        return (
            "UNWIND $ids AS i MATCH (a:Element {repo: $repo, id: i}) "
            f"{self._hops_of_a(out_types, in_types, one_status)} "
            f"RETURN {self._hop_rows(one_status)}"
        )

    def expand(
        self, out_types: Sequence[str], in_types: Sequence[str], levels: int, one_status: bool
    ) -> str:
        """``levels`` traversal levels in one query, each from the elements the last reached.

        One record: the hop rows of each level (as :meth:`neighbors` gives them,
        followed by the element reached: its type, name, attributes and, unless
        ``one_status``, status), then the ids of the elements each level expanded,
        then the rows of the elements of ``$ids`` that ``$statuses`` shows (a
        traversal learns there which of its starts it may start from). Level 1 expands
        ``$ids``; level k the elements level k-1 reached, except through a
        relationship type in ``$stop`` — when there are at most ``$cap`` of them:
        past that, it and every level after it expand nothing (the caller asks
        again, a level at a time). An element reached again at a later level is
        expanded again: removing it would cost a list search per element.
        """
        if not 1 <= levels <= 64:
            raise ValueError(f"levels must be between 1 and 64, not {levels}")
        hops = self._hops_of_a(out_types, in_types, one_status)
        rows = self._hop_rows(one_status, far_ends=True)
        parts = ["UNWIND $ids AS i MATCH (a0:Element {repo: $repo, id: i}) WITH collect(a0) AS f0"]
        for k in range(1, levels + 1):
            guard = "" if k == 1 else f" WITH f{k - 1} WHERE size(f{k - 1}) <= $cap"
            reached = (
                f", collect(DISTINCT CASE WHEN type(r) IN $stop THEN null ELSE b END) AS f{k}"
                if k < levels
                else ""
            )
            parts.append(
                f"CALL {{ WITH f{k - 1}{guard} UNWIND f{k - 1} AS a {hops} "
                f"RETURN {rows} AS h{k}{reached} }}"
            )
        # A level whose frontier was over the cap expanded nothing: it names no element.
        expanded = [
            f"[n IN f{k} | n.id]"
            if k == 0
            else f"CASE WHEN size(f{k}) <= $cap THEN [n IN f{k} | n.id] ELSE [] END"
            for k in range(levels)
        ]
        hop_lists = [f"h{k}" for k in range(1, levels + 1)]
        asked = f"[n IN f0 WHERE {shown('n')} | {ELEMENT_ROW}]"
        return (
            " ".join(parts) + f" RETURN [{', '.join(hop_lists)}], [{', '.join(expanded)}], {asked}"
        )

    def _hops_of_a(
        self, out_types: Sequence[str], in_types: Sequence[str], one_status: bool
    ) -> str:
        """The clauses that give ``a, r, b, way`` for every visible hop from node ``a``."""
        branches = []
        if out_types:
            types = "|".join(self._rel_type(t) for t in out_types)
            branches.append(f"WITH a MATCH (a)-[r:{types}]->(b) RETURN r, b, 0 AS way")
        if in_types:
            types = "|".join(self._rel_type(t) for t in in_types)
            branches.append(f"WITH a MATCH (a)<-[r:{types}]-(b) RETURN r, b, 1 AS way")
        return (
            f"CALL {{ {' UNION ALL '.join(branches)} }} WITH a, r, b, way "
            f"WHERE {shown('r', one_status)} AND {shown('b', one_status)}"
        )

    @staticmethod
    def _hop_rows(one_status: bool, far_ends: bool = False) -> str:
        """Hop rows; with ``far_ends``, the type, name and attributes of the element reached
        follow (and its status, unless ``one_status``)."""
        status = "" if one_status else ", r.status"
        if far_ends:
            status += ", b.type, b.name, b.attrs" + ("" if one_status else ", b.status")
        return f"collect([a.id, r.id, type(r), b.id, r.attrs, way{status}])"


# -- statements that name no label or relationship type of the metamodel --------

ELEMENTS_BY_ID = (
    "UNWIND $ids AS i MATCH (n:Element {repo: $repo, id: i}) "
    f"WHERE {shown('n')} RETURN {ELEMENT_ROWS}"
)
ELEMENTS_PAGE = (
    f"MATCH (n:Element {{repo: $repo}}) WHERE {shown('n')} AND n.id > $after "
    f"WITH n ORDER BY n.id LIMIT $limit RETURN {ELEMENT_ROWS}"
)
ELEMENTS_NAMED = (
    "UNWIND $names AS nm MATCH (n:Element {repo: $repo, name_cf: nm}) "
    f"WHERE {shown('n')} WITH n ORDER BY n.id RETURN {ELEMENT_ROWS}"
)
# The node ids (``elementId``) of elements, for relations to find their ends by.
NODE_IDS = (
    "UNWIND $ids AS i MATCH (n:Element {repo: $repo, id: i}) RETURN collect([i, elementId(n)])"
)
# Returning ``i``, not ``n.id``: asked for ``n.id``, the planner has been seen to seek every
# element of the repository (``id IS NOT NULL``) for each id and filter (75 s for 19 000 ids).
INACTIVE_ELEMENTS = (
    "UNWIND $ids AS i MATCH (n:Element {repo: $repo, id: i}) WHERE n.status <> 'active' "
    "RETURN collect(i)"
)
SET_ELEMENT_STATUS = (
    "UNWIND $ids AS i MATCH (n:Element {repo: $repo, id: i}) WHERE n.status <> $status "
    "SET n.status = $status, n.updated_at = $now RETURN count(n)"
)
DELETE_ELEMENTS = (
    "UNWIND $ids AS i MATCH (n:Element {repo: $repo, id: i}) DETACH DELETE n RETURN count(*)"
)
RELATIONS_ALL = (
    f"MATCH (s:Element {{repo: $repo}})-[r]->(d:Element) WHERE {shown_with_ends('r', 's', 'd')} "
    f"WITH s, r, d ORDER BY r.id RETURN {RELATION_ROWS}"
)
RELATIONS_OF = (
    "UNWIND $ids AS i MATCH (a:Element {repo: $repo, id: i})-[r]-() "
    f"WITH DISTINCT r WHERE ($types IS NULL OR {RELATION_TYPE} IN $types) "
    "WITH r, startNode(r) AS s, endNode(r) AS d "
    f"WHERE {shown_with_ends('r', 's', 'd')} "
    f"WITH s, r, d ORDER BY r.id RETURN {RELATION_ROWS}"
)
# What a write transaction keeps of an item the first time it changes it (``keep_visible``).
ELEMENT_PROPS = ("type", "name", "name_cf", "attrs", "status", "since", "until")
RELATION_PROPS = ("attrs", "status", "since", "until")
ASSERTION_PROPS = ("last_run", "last_seen", "asserted", "digest")
STRANDED_RELATIONS = (
    "MATCH (e:Element {repo: $repo}) WHERE e.status = $retired "
    "MATCH (e)-[r]-() WHERE r.status = 'active' "
    "WITH DISTINCT r WITH r, startNode(r) AS s, endNode(r) AS d "
    f"WITH s, r, d ORDER BY r.id RETURN {RELATION_ROWS}"
)
COUNT_ELEMENTS = (
    f"MATCH (n:Element {{repo: $repo}}) WHERE {shown('n')} RETURN n.type, count(*) ORDER BY n.type"
)
COUNT_RELATIONS = (
    f"MATCH (s:Element {{repo: $repo}})-[r]->(d:Element) WHERE {shown_with_ends('r', 's', 'd')} "
    f"RETURN {RELATION_TYPE} AS t, count(*) ORDER BY t"
)
RETIRED_COUNTS = (
    "CALL { MATCH (n:Element {repo: $repo}) WHERE n.status = $retired RETURN count(n) AS e } "
    "CALL { MATCH (:Element {repo: $repo})-[r]->() WHERE r.status = $retired "
    "RETURN count(r) AS rel } RETURN e, rel"
)
RELATION_IDS_OF_ELEMENTS = (
    "UNWIND $ids AS i MATCH (a:Element {repo: $repo, id: i})-[r]-() RETURN collect(DISTINCT r.id)"
)

REPOSITORY_EMPTY = (
    "OPTIONAL MATCH (n:Element {repo: $repo}) WITH n LIMIT 1 "
    "OPTIONAL MATCH (a:EaAssertion {repo: $repo}) WITH n, a LIMIT 1 "
    "OPTIONAL MATCH (k:EaRelKey {repo: $repo}) WITH n, a, k LIMIT 1 "
    "RETURN n IS NULL AND a IS NULL AND k IS NULL"
)
META = "MATCH (m:EaMeta {repo: $repo}) RETURN m.schema_version, m.tricky_keys"
SET_SCHEMA_VERSION = "MATCH (m:EaMeta {repo: $repo}) SET m.schema_version = $version"
# Migration 2: the items whose attributes may hold lifecycle dates (their JSON holds
# ``$marker``, the opening of such a name), as [key, attrs]; then their span, from
# [key, since, until] rows.
DATED_ELEMENTS = (
    "MATCH (n:Element {repo: $repo}) WHERE n.attrs CONTAINS $marker RETURN collect([n.id, n.attrs])"
)
SET_ELEMENT_SPANS = (
    "UNWIND $rows AS row MATCH (n:Element {repo: $repo, id: row[0]}) "
    "SET n.since = row[1], n.until = row[2]"
)
DATED_RELATIONS = (
    "MATCH (:Element {repo: $repo})-[r]->() WHERE r.attrs CONTAINS $marker "
    "RETURN collect([elementId(r), r.attrs])"
)
SET_RELATION_SPANS = (
    "UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row[0] AND r.repo = $repo "
    "SET r.since = row[1], r.until = row[2]"
)
INIT_META = (
    "MERGE (m:EaMeta {repo: $repo}) "
    "ON CREATE SET m.schema_version = $version, m.run_seq = 0, m.change_seq = 0, "
    "m.tricky_keys = false "
    "RETURN m.schema_version"
)
# The type of each relation whose id a source gave (not ``src|type|dst``), to find it by id.
REL_KEYS = "UNWIND $ids AS i MATCH (k:EaRelKey {repo: $repo, id: i}) RETURN collect([k.id, k.type])"
FLAG_TRICKY_KEYS = "MERGE (m:EaMeta {repo: $repo}) SET m.tricky_keys = true"
# Written first in every explicit transaction: the write lock it takes on the repository's
# EaMeta node, held until commit, makes writers of one repository take turns (as SQLite's
# BEGIN IMMEDIATE does), so a run's plan is made against the state it commits onto.
# Every other write transaction takes it too (each chunk of a staged block, each write
# outside a block). It returns the transaction's number (``writes``, marked on what a block
# writes) and the staged blocks open (see ``staged`` above).
WRITE_LOCK = (
    "MERGE (m:EaMeta {repo: $repo}) SET m.writes = coalesce(m.writes, 0) + 1 "
    "WITH m OPTIONAL MATCH (s:EaStaged {repo: $repo}) RETURN m.writes, coalesce(s.open, [])"
)
# The staged blocks open, one node per repository: ``open``, their numbers, with ``owners``
# and ``since`` (the server's clock, ms) in the same order; ``closing``, those about to close;
# ``opened``, how many ever opened. Written by the holder of the write lock, or by a block
# holding it, in a transaction of its own (see the fence above): never by two at once.
STAGED_STATE = (
    "OPTIONAL MATCH (s:EaStaged {repo: $repo}) "
    "RETURN [coalesce(s.open, []), coalesce(s.opened, 0), coalesce(s.closing, [])]"
)
OPEN_STAGED = (
    "MERGE (s:EaStaged {repo: $repo}) SET s.open = coalesce(s.open, []) + $wrote, "
    "s.owners = coalesce(s.owners, []) + $owner, s.since = coalesce(s.since, []) + timestamp(), "
    "s.opened = coalesce(s.opened, 0) + 1"
)
# Written with the first commit of staged block ``$wrote``: its runs know it.
MARK_STAGED_RUNS = "UNWIND $runs AS i MATCH (r:EaRun {repo: $repo, id: i}) SET r.staged = $wrote"
CLOSING_STAGED = "MATCH (s:EaStaged {repo: $repo}) SET s.closing = coalesce(s.closing, []) + $wrote"
# With its last commit, or once a failed one is undone: no longer listed.
CLOSE_STAGED = (
    "MATCH (s:EaStaged {repo: $repo}) "
    "WITH s, [i IN range(0, size(coalesce(s.open, [])) - 1) WHERE s.open[i] <> $wrote] AS kept "
    "SET s.open = [i IN kept | s.open[i]], s.owners = [i IN kept | s.owners[i]], "
    "s.since = [i IN kept | s.since[i]], "
    "s.closing = [w IN coalesce(s.closing, []) WHERE w <> $wrote]"
)
# Undoing failed staged block ``$wrote``, ``$limit`` items per transaction (each statement
# returns how many it did; run again until none): additions deleted, changes restored.
# Until the block leaves ``EaStaged.open`` readers see none of it, undone or not.
UNDO_ADDED_ELEMENTS = (
    "MATCH (n:Element {repo: $repo}) WHERE n.wrote = $wrote AND n.prev_status IS NULL "
    "WITH n LIMIT $limit DETACH DELETE n RETURN count(*)"
)
UNDO_RETYPED_ELEMENTS = (
    "MATCH (n:Element {repo: $repo}) WHERE n.wrote = $wrote AND n.prev_type <> n.type "
    "RETURN collect([n.id, n.type, n.prev_type])"
)
UNDO_CHANGED_ELEMENTS = (
    "MATCH (n:Element {repo: $repo}) WHERE n.wrote = $wrote WITH n LIMIT $limit "
    "SET n.type = n.prev_type, n.name = n.prev_name, n.name_cf = n.prev_name_cf, "
    "n.attrs = n.prev_attrs, n.status = n.prev_status, n.since = n.prev_since, "
    "n.until = n.prev_until, n.wrote = null RETURN count(*)"
)
UNDO_ADDED_RELATIONS = (
    "MATCH (:Element {repo: $repo})-[r]->() WHERE r.wrote = $wrote AND r.prev_status IS NULL "
    "WITH r LIMIT $limit DELETE r RETURN count(*)"
)
UNDO_CHANGED_RELATIONS = (
    "MATCH (:Element {repo: $repo})-[r]->() WHERE r.wrote = $wrote WITH r LIMIT $limit "
    "SET r.attrs = r.prev_attrs, r.status = r.prev_status, r.since = r.prev_since, "
    "r.until = r.prev_until, r.wrote = null RETURN count(*)"
)
UNDO_ADDED_ASSERTIONS = (
    "MATCH (a:EaAssertion {repo: $repo}) WHERE a.wrote = $wrote AND a.prev_last_run IS NULL "
    "WITH a LIMIT $limit DELETE a RETURN count(*)"
)
UNDO_CHANGED_ASSERTIONS = (
    "MATCH (a:EaAssertion {repo: $repo}) WHERE a.wrote = $wrote WITH a LIMIT $limit "
    "SET a.last_run = a.prev_last_run, a.last_seen = a.prev_last_seen, "
    "a.asserted = a.prev_asserted, a.digest = a.prev_digest, a.wrote = null RETURN count(*)"
)
UNDO_CHANGE_LOG = (
    "UNWIND $runs AS i MATCH (c:EaChange {repo: $repo, run_id: i}) "
    "WITH c LIMIT $limit DELETE c RETURN count(*)"
)
# The staged blocks to undo, each with its runs: those whose runs all are interrupted (lease
# expired, or owner in ``$dead``), or, carried by no running run (it died before its first
# commit), whose owner is in ``$dead`` or that were listed a lease (``$lease`` ms) ago.
INTERRUPTED_STAGED = (
    "MATCH (s:EaStaged {repo: $repo}) UNWIND range(0, size(coalesce(s.open, [])) - 1) AS i "
    "WITH s.open[i] AS w, s.owners[i] AS owner, s.since[i] AS since "
    "OPTIONAL MATCH (r:EaRun {repo: $repo, staged: w}) WHERE r.status = 'running' "
    "WITH w, owner, since, collect(r) AS open "
    "WHERE CASE WHEN size(open) = 0 THEN owner IN $dead OR since < timestamp() - $lease "
    "ELSE all(r IN open WHERE coalesce(r.lease_until, 0) < timestamp() OR r.owner IN $dead) END "
    "RETURN collect([w, [r IN open | r.id]])"
)
UNDO_STATEMENTS = (
    UNDO_CHANGE_LOG,
    UNDO_ADDED_ASSERTIONS,
    UNDO_CHANGED_ASSERTIONS,
    UNDO_ADDED_RELATIONS,
    UNDO_CHANGED_RELATIONS,
    UNDO_ADDED_ELEMENTS,
    UNDO_CHANGED_ELEMENTS,
)
SET_REL_KEYS = (
    "UNWIND $rows AS row MERGE (k:EaRelKey {repo: $repo, id: row[0]}) SET k.type = row[1]"
)
CREATE_REL_KEYS = "UNWIND $rows AS row CREATE (:EaRelKey {repo: $repo, id: row[0], type: row[1]})"
DELETE_REL_KEYS = "UNWIND $ids AS i MATCH (k:EaRelKey {repo: $repo, id: i}) DELETE k"

# A running run carries a lease: its owner (host/pid/token) and an expiry in the server's
# clock (ms), renewed while it works; a run whose lease expired was interrupted.
START_RUN = (
    "MERGE (m:EaMeta {repo: $repo}) SET m.run_seq = coalesce(m.run_seq, 0) + 1 "
    "WITH m.run_seq AS id CREATE (r:EaRun {repo: $repo, id: id, source: $source, "
    "started_at: $at, status: 'running', stats: '{}', owner: $owner, "
    "lease_until: timestamp() + $lease}) RETURN id"
)
RENEW_RUNS = (
    "UNWIND $ids AS i MATCH (r:EaRun {repo: $repo, id: i}) "
    "WHERE r.status = 'running' AND r.owner = $owner SET r.lease_until = timestamp() + $lease"
)
RUNNING_OWNERS = (
    "MATCH (r:EaRun {repo: $repo}) WHERE r.status = 'running' RETURN collect(DISTINCT r.owner)"
)
CLOSE_EXPIRED_RUNS = (
    "MATCH (r:EaRun {repo: $repo}) WHERE r.status = 'running' "
    "AND (coalesce(r.lease_until, 0) < timestamp() OR r.owner IN $dead) "
    "SET r.status = 'failed', r.message = $message, r.finished_at = $at RETURN count(r)"
)
# The lock of a repository tag: one node, its owner and lease; taken in one write that
# first locks the node (the SET), then reads who holds it: two takers cannot both win.
TAKE_LOCK = (
    "MERGE (l:EaLock {repo: $repo}) SET l.taking = true "
    "WITH l, l.owner IS NULL OR l.owner = $owner OR l.until < timestamp() "
    "OR l.owner IN $dead AS free "
    "SET l.owner = CASE WHEN free THEN $owner ELSE l.owner END, "
    "l.until = CASE WHEN free THEN timestamp() + $lease ELSE l.until END, "
    "l.since = CASE WHEN free THEN $at ELSE l.since END "
    "REMOVE l.taking RETURN free, l.owner, l.since"
)
LOCK_OWNER = "MATCH (l:EaLock {repo: $repo}) RETURN collect(l.owner)"
RENEW_LOCK = (
    "MATCH (l:EaLock {repo: $repo}) WHERE l.owner = $owner SET l.until = timestamp() + $lease"
)
RELEASE_LOCK = (
    "MATCH (l:EaLock {repo: $repo}) WHERE l.owner = $owner "
    "SET l.owner = null, l.until = null, l.since = null"
)
FINISH_RUN = (
    "MATCH (r:EaRun {repo: $repo, id: $id}) SET r.status = $status, r.stats = $stats, "
    "r.message = $message, r.finished_at = $at"
)
FAIL_OPEN_RUNS = (
    "UNWIND $ids AS i MATCH (r:EaRun {repo: $repo, id: i}) WHERE r.status = 'running' "
    "SET r.status = 'failed', r.message = $message, r.finished_at = $at"
)
RUNS = (
    "MATCH (r:EaRun {repo: $repo}) WHERE ($source IS NULL OR r.source = $source) "
    "AND ($status IS NULL OR r.status = $status) AND ($after IS NULL OR r.id > $after) "
    "WITH r ORDER BY r.id DESC LIMIT $limit "
    "RETURN collect([r.id, r.source, r.started_at, r.finished_at, r.status, r.stats, r.message])"
)

RECORD_ASSERTIONS = (
    "UNWIND $rows AS row MERGE (a:EaAssertion {repo: $repo, source: $source, kind: $kind, "
    "item_id: row.id}) ON CREATE SET a.first_run = $run, a.first_seen = $at, a.wrote = $wrote "
    f"ON MATCH SET {keep_visible('a', ASSERTION_PROPS)} "
    "SET a.last_run = $run, a.last_seen = $at, a.asserted = row.asserted, a.digest = row.digest"
)
CREATE_ASSERTIONS = (
    "UNWIND $rows AS row CREATE (:EaAssertion {repo: $repo, source: $source, kind: $kind, "
    "item_id: row.id, first_run: $run, first_seen: $at, last_run: $run, last_seen: $at, "
    "asserted: row.asserted, digest: row.digest, wrote: $wrote})"
)
TOUCH_ALL_ASSERTIONS = (
    "MATCH (a:EaAssertion {repo: $repo, source: $source, kind: $kind}) WHERE a.last_run <> $run "
    "SET a.last_run = $run, a.last_seen = $at"
)
# An assertion by its four keys: the unique index on all four, whatever the statistics say
# (the planner has been seen to take the item index and filter by source, 33 s for 19 000).
ASSERTION_SEEK = (
    "UNWIND $ids AS i MATCH (a:EaAssertion {repo: $repo, source: $source, kind: $kind, "
    "item_id: i}) USING INDEX SEEK a:EaAssertion(repo, source, kind, item_id) "
)
TOUCH_ASSERTIONS = (
    ASSERTION_SEEK
    + f"SET {keep_visible('a', ('last_run', 'last_seen'))} SET a.last_run = $run, a.last_seen = $at"
)
ASSERTED_VALUES = ASSERTION_SEEK + "RETURN collect([i, a.asserted])"
LATEST_RUNS = (
    "MATCH (r:EaRun {repo: $repo}) WITH r.source AS source, max(r.id) AS latest, "
    "max(CASE WHEN r.status = $succeeded THEN r.id END) AS success "
    "MATCH (r:EaRun {repo: $repo}) WHERE r.id IN [latest, success] "
    "WITH r ORDER BY r.id DESC "
    "RETURN collect([r.id, r.source, r.started_at, r.finished_at, r.status, r.stats, r.message])"
)
COUNT_ASSERTED = (
    "MATCH (a:EaAssertion {repo: $repo, source: $source, kind: $kind}) RETURN [count(a)]"
)
COUNT_STALE = (
    f"MATCH (n:Element {{repo: $repo}}) WHERE {shown('n')} "
    "OPTIONAL MATCH (a:EaAssertion {repo: $repo, kind: 'element', item_id: n.id}) "
    "WITH n, max(a.last_seen) AS seen WHERE seen IS NULL OR seen < $before "
    "RETURN [count(n)]"
)
ASSERTED_IDS = (
    "MATCH (a:EaAssertion {repo: $repo, source: $source, kind: $kind}) RETURN collect(a.item_id)"
)
RETRACT_ASSERTIONS = ASSERTION_SEEK + "DELETE a"
DROP_ASSERTIONS = (
    "UNWIND $ids AS i MATCH (a:EaAssertion {repo: $repo, kind: $kind, item_id: i}) DELETE a"
)
# (``a.last_run IS NOT NULL`` holds for every assertion stored; the staged form of the
# statement hides those a staged block added.)
ASSERTIONS = (
    "UNWIND $ids AS i MATCH (a:EaAssertion {repo: $repo, kind: $kind, item_id: i}) "
    "WHERE a.last_run IS NOT NULL "
    "WITH a ORDER BY a.item_id, a.source RETURN collect([a.kind, a.item_id, a.source, "
    "a.first_run, a.last_run, a.first_seen, a.last_seen])"
)
STALE_ELEMENTS = (
    f"MATCH (n:Element {{repo: $repo}}) WHERE {shown('n')} "
    "OPTIONAL MATCH (a:EaAssertion {repo: $repo, kind: 'element', item_id: n.id}) "
    "WITH n, max(a.last_seen) AS seen WHERE seen IS NULL OR seen < $before "
    "WITH n, seen ORDER BY seen IS NOT NULL, seen, n.id LIMIT $limit "
    "RETURN collect([n.id, n.type, n.name, n.attrs, n.status, seen])"
)

# The digest of the record behind each assertion, for a re-sync to recognise it.
RECORD_DIGESTS = (
    "MATCH (a:EaAssertion {repo: $repo, source: $source}) WHERE a.digest IS NOT NULL "
    "RETURN collect([a.digest, a.kind, a.item_id])"
)

RESERVE_CHANGES = (
    "MERGE (m:EaMeta {repo: $repo}) SET m.change_seq = coalesce(m.change_seq, 0) + $n "
    "RETURN m.change_seq - $n"
)
LOG_CHANGES = (
    "UNWIND $rows AS row CREATE (:EaChange {repo: $repo, seq: row.seq, run_id: row.run_id, "
    "kind: row.kind, item_id: row.item_id, op: row.op, before: row.before, after: row.after, "
    "at: row.at})"
)
CHANGE_ROWS = "collect([c.run_id, c.kind, c.item_id, c.op, c.before, c.after, c.at])"
ORDERED_CHANGE_ROWS = f" WITH c ORDER BY c.seq LIMIT $limit RETURN {CHANGE_ROWS}"
CHANGES = f"MATCH (c:EaChange {{repo: $repo}}){ORDERED_CHANGE_ROWS}"
CHANGES_OF_ITEM = (
    "MATCH (c:EaChange {repo: $repo, item_id: $item}) WHERE ($run IS NULL OR c.run_id = $run)"
    f"{ORDERED_CHANGE_ROWS}"
)
CHANGES_OF_RUN = f"MATCH (c:EaChange {{repo: $repo, run_id: $run}}){ORDERED_CHANGE_ROWS}"


def changes_of(query: str, *, kind: bool, ops: bool) -> str:
    """``query`` (``CHANGES``, ``CHANGES_OF_ITEM`` or ``CHANGES_OF_RUN``) keeping only the
    entries of ``$kind`` and of ``$ops`` when asked: a condition only for a filter given."""
    conditions = [
        text for text, given in (("c.kind = $kind", kind), ("c.op IN $ops", ops)) if given
    ]
    if not conditions:
        return query
    match = query.removesuffix(ORDERED_CHANGE_ROWS)
    joined = " AND ".join(conditions)
    return f"{match} {'AND' if ' WHERE ' in match else 'WHERE'} {joined}{ORDERED_CHANGE_ROWS}"


def purge(label: str) -> str:
    """Delete the nodes of one internal label under ``$repo``, 5 000 per transaction.

    ``CALL {...} IN TRANSACTIONS`` runs only as an auto-commit query.
    """
    if label not in INTERNAL_LABELS:
        raise ValueError(f"{label!r} is not a label of the backend")
    return (
        f"MATCH (n:{quote(label)} {{repo: $repo}}) "
        "CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS RETURN count(*)"
    )
