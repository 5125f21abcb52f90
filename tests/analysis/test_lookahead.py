"""A store answering several levels per query gives every traversal the same answer as one
answering one level (the Neo4j store looks ahead; this checks the traversal's side on SQLite)."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ea_repo.analysis import traverse
from ea_repo.metamodel import Metamodel, load_metamodel
from ea_repo.model import CURRENT, EVERYTHING, Element, ElementId, Lens, Relation, Status, Step
from ea_repo.store import Expansion, GraphStore, SQLiteStore

MM: Metamodel = load_metamodel()
TYPES = [
    "hosted_on",
    "runs_on",
    "member_of",  # redundant
    "flow",  # degrades
    "serves",
    "realizes",
    "uses",
    "located_in",
    "composed_of",
    "aggregates",  # followed by no traversal
]


class LookingAhead:
    """A SQLite store whose ``expand`` answers up to ``depth`` levels, as the Neo4j store's does:
    every level expanded from what the last reached (but through ``stop``), each element
    once, none past a level wider than ``cap``, with the elements asked for and reached
    that the lens shows. Counts its calls."""

    def __init__(self, store: SQLiteStore, depth: int, cap: int) -> None:
        self.store = store
        self.depth = depth
        self.cap = cap
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def expand(
        self,
        ids: Iterable[str],
        steps: Sequence[Step],
        lens: Lens = CURRENT,
        *,
        exclude: Collection[str] = (),
        levels: int | None = 1,
        stop: Collection[str] = (),
    ) -> Expansion:
        self.calls += 1
        frontier = list(dict.fromkeys(ids))
        asked = set(frontier)
        origins: set[str] = set()
        hops = []
        for level in range(self.depth if levels is None else min(levels, self.depth)):
            if level and len(frontier) > self.cap:
                break
            got = self.store.neighbors(frontier, steps, lens)
            origins.update(frontier)
            hops += [h for h in got if h.target not in exclude]
            reached = {h.target for h in got if h.relation.type not in stop}
            frontier = sorted(reached - origins)
        elements = self.store.get_elements(asked | {h.target for h in hops}, lens)
        return Expansion(hops, frozenset(origins), elements)


def _answer(result: Any, store: Any, lens: Lens) -> Any:
    reached = {
        r.id: (
            r.distance,
            r.state.value,
            [(h.origin, h.relation.id, h.target, h.direction) for h in r.via],
            r.missing,
        )
        for r in result.reached.values()
    }
    return result.starts, reached, result.truncated, result.elements(store, lens=lens)


landscapes = st.integers(min_value=2, max_value=12).flatmap(
    lambda n: st.tuples(
        st.lists(st.booleans(), min_size=n, max_size=n),  # retired?
        st.lists(
            st.tuples(
                st.integers(0, n - 1), st.sampled_from(TYPES), st.integers(0, n - 1), st.booleans()
            ),
            max_size=3 * n,
        ),
        st.lists(st.integers(0, n - 1), min_size=1, max_size=3),
    )
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    landscape=landscapes,
    way=st.sampled_from(["impact", "dependencies"]),
    max_depth=st.one_of(st.none(), st.integers(0, 4)),
    redundancy=st.booleans(),
    wide=st.booleans(),
    depth=st.integers(2, 6),
    cap=st.integers(1, 4),
)
def test_looking_ahead_changes_no_answer(
    landscape: Any,
    way: str,
    max_depth: int | None,
    redundancy: bool,
    wide: bool,
    depth: int,
    cap: int,
) -> None:
    retired, links, starts = landscape
    lens = EVERYTHING if wide else CURRENT
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "repository.db")
        try:
            store.upsert_elements(
                Element(
                    ElementId(f"e{i}"),
                    "Application",
                    f"E{i}",
                    {"n": i},
                    Status.RETIRED if r else Status.ACTIVE,
                )
                for i, r in enumerate(retired)
            )
            relations = {
                f"e{s}|{t}|e{d}": Relation(
                    ElementId(f"e{s}"),
                    t,
                    ElementId(f"e{d}"),
                    {},
                    Status.RETIRED if gone and not retired[s] else Status.ACTIVE,
                )
                for s, t, d, gone in links
            }
            store.upsert_relations(relations.values())
            ahead = LookingAhead(store, depth, cap)
            options: dict[str, Any] = {
                "way": way,
                "max_depth": max_depth,
                "redundancy": redundancy,
                "lens": lens,
            }
            ids = [f"e{i}" for i in starts]
            plain_store: GraphStore = store
            expected = _answer(traverse(plain_store, MM, ids, **options), store, lens)
            got = _answer(traverse(ahead, MM, ids, **options), ahead, lens)  # type: ignore[arg-type]
            assert got == expected
        finally:
            store.close()


def test_a_look_ahead_saves_the_queries_of_the_levels_it_answered(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "repository.db")
    chain = [f"e{i}" for i in range(6)]  # e1 uses e0, e2 uses e1, ...
    store.upsert_elements(Element(ElementId(i), "Application", i.upper()) for i in chain)
    store.upsert_relations(
        Relation(ElementId(b), "uses", ElementId(a)) for a, b in itertools.pairwise(chain)
    )
    one = traverse(LookingAhead(store, 1, 10), MM, ["e0"])  # type: ignore[arg-type]
    ahead = LookingAhead(store, 4, 10)
    result = traverse(ahead, MM, ["e0"])  # type: ignore[arg-type]
    assert (
        {r.id: r.distance for r in result.affected()}
        == {r.id: r.distance for r in one.affected()}
        == {f"e{i}": i for i in range(1, 6)}
    )
    assert ahead.calls == 2  # levels 1-4, then 5-6 (the sixth finds nothing)
    # The elements came with the hops: none is read again.
    assert result.known.keys() == set(chain)
    store.close()


def test_an_element_expanded_by_two_answers_keeps_its_hops_once(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "repository.db")
    # x, a cluster of s and p, is degraded at level 1 (p still serves it), comes down at
    # level 3 through m1 and m2, and takes y with it. The first answer expands x ahead;
    # the second, asked for m2, expands x again.
    store.upsert_elements(
        Element(ElementId(i), "Application", i.upper()) for i in ["s", "p", "x", "m1", "m2", "y"]
    )
    store.upsert_relations(
        Relation(ElementId(a), t, ElementId(b))
        for a, t, b in [
            ("s", "member_of", "x"),
            ("p", "member_of", "x"),
            ("m1", "uses", "s"),
            ("m2", "uses", "m1"),
            ("x", "uses", "m2"),
            ("y", "uses", "x"),
        ]
    )
    ahead = LookingAhead(store, 2, 10)
    result = traverse(ahead, MM, ["s"])  # type: ignore[arg-type]
    assert ahead.calls == 3  # s (and x, m1); m2 (and x); y
    assert _answer(result, ahead, CURRENT) == _answer(traverse(store, MM, ["s"]), store, CURRENT)
    assert [(h.origin, h.target) for h in result.reached[ElementId("y")].via] == [("x", "y")]
    store.close()


def test_data_flows_read_the_same_through_a_store_looking_ahead(retail: Path) -> None:
    from ea_repo import Repository
    from ea_repo.analysis.flows import data_flows

    def edges(report: Any) -> list[tuple[str, str, str, int, bool]]:
        return [
            (f.sender.id, f.receiver.id, f.relation.id, f.distance, f.personal)
            for f in [*report.downstream, *report.upstream]
        ]

    with Repository.open(retail) as repo:
        plain = data_flows(repo.store, repo.metamodel, "app-webshop", depth=3)
        ahead = LookingAhead(repo.store, 4, 10)  # type: ignore[arg-type]
        got = data_flows(ahead, repo.metamodel, "app-webshop", depth=3)  # type: ignore[arg-type]
    assert edges(got) == edges(plain)
    assert {f.distance for f in plain.downstream} == {1, 2, 3}
    assert ahead.calls == 2  # one answer each way
