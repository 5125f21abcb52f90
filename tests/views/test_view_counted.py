"""A spec view over its limit is counted by group and type, and gives the graph fit makes of
the view drawn element by element; its elements are read once (issue 17: every view ≤ 5 s)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ea_repo import Repository
from ea_repo.model import CURRENT, Element, Lens
from ea_repo.selection import parse_selector
from ea_repo.store import SQLiteStore
from ea_repo.views import build
from ea_repo.views.build import _spec_view, build_view
from ea_repo.views.render import to_dot
from ea_repo.views.spec import GroupRule, ViewSpec, builtin_views

GROUPS: dict[str, tuple[GroupRule, ...]] = {
    "domain": (GroupRule("attribute", attribute="domain"),),
    "container": (GroupRule("container", path=("runs_on",)),),
    "hosting": (GroupRule("container", path=("runs_on", "hosted_on")),),
    "layer": (GroupRule("layer"),),
    "none": (),
}


def spec_of(group: str, styled: bool, colour: str, limit: int) -> ViewSpec:
    base = builtin_views()["application-landscape"]
    return replace(
        base,
        select=parse_selector("layer:application,layer:technology,layer:business"),
        relations=None,
        group=GROUPS[group],
        labels=("criticality", "domain") if styled else (),
        edge_labels=("protocol", "frequency") if styled else (),
        color_by=colour,
        limit=limit,
        edge_limit=None,
    )


def test_counted_view_is_the_drawn_view_collapsed(retail: Path) -> None:
    compared = 0
    with Repository.open(retail) as repo:
        store, mm = repo.store, repo.metamodel
        for group, styled, colour in itertools.product(
            GROUPS, (False, True), ("layer", "criticality", "risk")
        ):
            spec = spec_of(group, styled, colour, 1000)
            assert spec.select is not None
            whole = len(_spec_view(store, mm, spec, spec.select, CURRENT, None).nodes)
            for limit in (1, 2, 4, 8, whole // 2, whole - 1):
                spec = spec_of(group, styled, colour, limit)
                assert spec.select is not None
                counted = _spec_view(store, mm, spec, spec.select, CURRENT, None)
                drawn = _spec_view(store, mm, spec, spec.select, CURRENT, None, counting=False)
                assert to_dot(counted) == to_dot(drawn), (group, styled, colour, limit)
                assert counted.elements_total == drawn.elements_total
                compared += 1
    assert compared == len(GROUPS) * 2 * 3 * 6


def test_a_view_over_its_limit_makes_no_node_per_element(
    retail: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = Counter[str]()
    node = build._node

    def counting(element: Element, *args: Any, **kwargs: Any) -> Any:
        made[element.id] += 1
        return node(element, *args, **kwargs)

    monkeypatch.setattr(build, "_node", counting)
    spec = spec_of("layer", True, "criticality", 3)
    with Repository.open(retail) as repo:
        graph = build_view(repo.store, repo.metamodel, spec)
    assert graph.elements_total > 20
    # One node per bucket at most (a bucket of one is its element), never one per element.
    assert sum(made.values()) <= len({(n.group, n.type) for n in graph.nodes.values()}) + 8
    assert sum(made.values()) < graph.elements_total / 2


class CountingStore(SQLiteStore):
    """The real store, counting how often each element is read."""

    reads: Counter[str]

    def get_elements(self, ids: Iterable[str], lens: Lens = CURRENT) -> dict[str, Element]:
        found = super().get_elements(ids, lens)
        self.reads.update(list(found))
        return found

    def find_elements(self, **kwargs: Any) -> list[Element]:
        found = super().find_elements(**kwargs)
        self.reads.update(e.id for e in found)
        return found


def test_a_view_reads_each_selected_element_once(retail: Path) -> None:
    with Repository.open(retail) as repo:
        mm, path = repo.metamodel, repo.store.path
    store = CountingStore(path)
    store.reads = Counter()
    try:
        spec = spec_of("domain", True, "criticality", 1000)
        graph = build_view(store, mm, spec)
    finally:
        store.close()
    drawn = {n.element_id for n in graph.nodes.values()}
    assert len(drawn) > 20
    assert {i: store.reads[i] for i in drawn} == {i: 1 for i in drawn}


def test_containers_outnumbering_the_limit_are_counted_too(retail: Path) -> None:
    # Each machine an application runs on is drawn, as the invisible anchor of its cluster.
    with Repository.open(retail) as repo:
        store, mm = repo.store, repo.metamodel
        whole = build_view(store, mm, spec_of("container", False, "layer", 1000))
        anchors = [n for n in whole.nodes.values() if n.anchor]
        assert len(anchors) >= 4
        for limit in range(4, len(anchors) + 2):  # four layers drawn: no fewer nodes
            small = build_view(store, mm, spec_of("container", False, "layer", limit))
            assert len(small.nodes) <= limit, limit
            assert any("collapsed" in note for note in small.notes)
            # A cluster drawn keeps its anchor; no anchor is left without its cluster.
            for node in small.nodes.values():
                if node.anchor:
                    assert node.group in small.groups
