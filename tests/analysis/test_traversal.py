"""The traversal engine on a landscape with known answers (every backend)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ea_repo.analysis import State, traverse
from ea_repo.metamodel import Metamodel
from ea_repo.model import EVERYTHING, Element, ElementId, Relation
from ea_repo.store import Expansion, GraphStore


def summary(result) -> dict[str, tuple[int, str]]:
    return {r.id: (r.distance, r.state.value) for r in result.affected()}


def test_impact_of_a_datacenter_with_redundancy_and_a_cycle(
    land: GraphStore, mm: Metamodel
) -> None:
    result = traverse(land, mm, ["dc1"])
    assert summary(result) == {
        "srv1": (1, "down"),
        "srv3": (1, "down"),
        "cl1": (2, "degraded"),  # srv2, in dc2, still serves the cluster
        "vm2": (2, "down"),
        "app-b": (3, "down"),
        "app-c": (3, "down"),
        "bp1": (4, "down"),
        "app-a": (4, "degraded"),  # misses app-c's feed; its own cluster still serves it
        "cap1": (5, "down"),
    }
    assert result.reached["cl1"].missing == ["srv2"]
    assert "vm1" not in result  # a degraded cluster still serves its VMs
    assert "app-r" not in result  # retired


def test_losing_every_member_takes_the_cluster_down(land: GraphStore, mm: Metamodel) -> None:
    result = traverse(land, mm, ["dc1", "dc2"])
    assert result.reached["cl1"].state is State.DOWN
    assert result.reached["vm1"].distance == 3
    assert {h.origin for h in result.reached["cl1"].via} == {"srv1", "srv2"}
    # A member lost later (further away) still completes the set.
    later = traverse(land, mm, ["srv1", "dc2"])
    assert later.reached["cl1"].state is State.DOWN
    assert later.reached["cl1"].distance == 2


def test_without_redundancy_rules_one_member_is_enough(land: GraphStore, mm: Metamodel) -> None:
    result = traverse(land, mm, ["srv1"], redundancy=False)
    assert result.reached["cl1"].state is State.DOWN
    assert "app-a" in result


def test_paths_say_why(land: GraphStore, mm: Metamodel) -> None:
    result = traverse(land, mm, ["srv3"])
    assert [(h.origin, h.relation.type, h.target) for h in result.path("cap1")] == [
        ("srv3", "hosted_on", "vm2"),
        ("vm2", "runs_on", "app-b"),
        ("app-b", "serves", "bp1"),
        ("bp1", "realizes", "cap1"),
    ]
    # bp1 is reached by two shortest paths (through app-b and app-c): both are kept.
    assert sorted(tuple(h.origin for h in p) for p in result.paths("bp1")) == [
        ("srv3", "vm2", "app-b"),
        ("srv3", "vm2", "app-c"),
    ]
    assert result.path("srv3") == []


def test_depth_limit(land: GraphStore, mm: Metamodel) -> None:
    result = traverse(land, mm, ["srv3"], max_depth=2)
    assert summary(result) == {"vm2": (1, "down"), "app-b": (2, "down"), "app-c": (2, "down")}
    assert result.truncated
    assert not traverse(land, mm, ["srv3"], max_depth=10).truncated


def test_the_depth_limit_counts_only_what_lies_beyond(store: GraphStore, mm: Metamodel) -> None:
    store.upsert_elements(Element(ElementId(i), "Application", i.upper()) for i in "abc")
    store.upsert_relations(
        [
            Relation(ElementId("a"), "uses", ElementId("b")),
            Relation(ElementId("b"), "uses", ElementId("a")),
        ]
    )
    # Past b lies only a, the start: nothing was left out.
    assert not traverse(store, mm, ["a"], max_depth=1).truncated
    store.upsert_relations([Relation(ElementId("c"), "uses", ElementId("b"))])
    assert traverse(store, mm, ["a"], max_depth=1).truncated


class Asked:
    """A store that records how many elements each ``expand`` asked about."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.asked: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def expand(self, ids: Iterable[str], *args: Any, **kwargs: Any) -> Expansion:
        wanted = list(ids)
        self.asked.append(len(wanted))
        return self.store.expand(wanted, *args, **kwargs)


def test_the_look_past_the_depth_limit_stops_at_the_first_element_beyond(
    store: GraphStore, mm: Metamodel
) -> None:
    servers = [f"srv{i:03}" for i in range(100)]
    store.upsert_elements(
        [
            Element(ElementId("dc"), "Datacenter", "DC"),
            *(Element(ElementId(s), "Server", s) for s in servers),
            *(Element(ElementId(f"vm-{s}"), "VirtualMachine", s) for s in ("srv000", "srv099")),
        ]
    )
    store.upsert_relations(Relation(ElementId(s), "located_in", ElementId("dc")) for s in servers)
    store.upsert_relations([Relation(ElementId("vm-srv099"), "hosted_on", ElementId("srv099"))])
    # Only the last server has something beyond: the look past finds it.
    assert traverse(store, mm, ["dc"], max_depth=1).truncated
    store.upsert_relations([Relation(ElementId("vm-srv000"), "hosted_on", ElementId("srv000"))])
    spy = Asked(store)
    result = traverse(spy, mm, ["dc"], max_depth=1)  # type: ignore[arg-type]
    assert result.truncated and len(result.affected()) == 100
    # The first server says it: the others' hops are not asked for (any store answering
    # several levels at once answered them with the first level).
    assert spy.asked[0] == 1 and all(n < 100 for n in spy.asked[1:])
    # Nothing beyond any server: not truncated.
    assert not traverse(store, mm, ["dc"], relation_types=["located_in"], max_depth=1).truncated


def test_relation_type_filter(land: GraphStore, mm: Metamodel) -> None:
    result = traverse(land, mm, ["app-a"], relation_types=["flow"])
    # A receiver misses a feed but keeps running: degraded, and impact stops there.
    assert summary(result) == {"app-b": (1, "degraded")}


def test_dependencies_go_the_other_way(land: GraphStore, mm: Metamodel) -> None:
    result = traverse(
        land,
        mm,
        ["app-b"],
        way="dependencies",
        relation_types=["runs_on", "hosted_on", "located_in", "member_of"],
    )
    assert summary(result) == {"vm2": (1, "down"), "srv3": (2, "down"), "dc1": (3, "down")}
    full = traverse(land, mm, ["cap1"], way="dependencies")
    # The mirror of impact: app-a only feeds app-b (losing it degrades app-b, no
    # further), so neither app-a nor what it runs on is a dependency of cap1.
    assert summary(full) == {
        "bp1": (1, "down"),
        "app-b": (2, "down"),
        "app-c": (2, "down"),
        "vm2": (3, "down"),
        "srv3": (4, "down"),
        "dc1": (5, "down"),
    }
    for element in full.reached:
        assert "cap1" in traverse(land, mm, [element]) or element == "cap1"


def test_dependencies_through_a_feed_only_degrade(land: GraphStore, mm: Metamodel) -> None:
    result = traverse(land, mm, ["app-b"], way="dependencies")
    states = summary(result)
    # app-b runs on vm2 (down if it goes); app-a feeds it (degraded), and whatever
    # app-a needs degrades app-b too — but app-a's own feed, app-c, does not count.
    assert states["vm2"] == (1, "down") and states["dc1"] == (3, "down")
    assert states["app-a"] == (1, "degraded")
    assert states["vm1"] == (2, "degraded") and states["cl1"] == (3, "degraded")
    assert "app-c" not in states
    # The mirror: losing one of them reaches app-b in the same state. (Not for srv1 and
    # srv2: each is one of cl1's redundant members, so losing one alone degrades cl1 only;
    # dependencies list both, as what app-b needs.)
    for element in ("vm2", "srv3", "dc1", "app-a", "vm1", "cl1"):
        assert summary(traverse(land, mm, [element]))["app-b"][1] == states[element][1]


def test_retired_elements_are_seen_through_a_wider_lens(land: GraphStore, mm: Metamodel) -> None:
    assert "app-r" in traverse(land, mm, ["vm2"], lens=EVERYTHING)
    assert "app-r" not in traverse(land, mm, ["vm2"])


def test_several_starts_and_unknown_relation_steps(land: GraphStore, mm: Metamodel) -> None:
    result = traverse(land, mm, ["app-a", "app-b", "app-a"])
    assert result.starts == ["app-a", "app-b"]
    assert result.reached["app-c"].distance == 1


def test_a_dependency_first_reached_through_a_feed_keeps_its_true_distance(
    store: GraphStore, mm: Metamodel
) -> None:
    # s runs on h, h on g; g is a cluster of m, and m runs on n; n is a cluster of f, and f
    # feeds s and is a cluster of m. Through the feed, m and n are soft dependencies of s
    # (degraded, at 2 and 3); through h and g, m is a hard one at 3, n at 4 and f at 5.
    ids = ["s", "h", "g", "m", "n", "f"]
    store.upsert_elements(Element(ElementId(i), "Application", i.upper()) for i in ids)
    store.upsert_relations(
        Relation(ElementId(a), t, ElementId(b))
        for a, t, b in [
            ("s", "hosted_on", "h"),
            ("h", "hosted_on", "g"),
            ("m", "member_of", "g"),
            ("m", "hosted_on", "n"),
            ("f", "member_of", "n"),
            ("m", "member_of", "f"),
            ("f", "flow", "s"),
        ]
    )
    result = traverse(store, mm, ["s"], way="dependencies", redundancy=False)
    assert summary(result) == {
        "h": (1, "down"),
        "f": (5, "down"),
        "g": (2, "down"),
        "m": (3, "down"),
        "n": (4, "down"),
    }
    # Every element's distance is the length of the path that explains it.
    for r in result.affected():
        assert len(result.path(r.id)) == r.distance
