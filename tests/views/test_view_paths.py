"""The edges of impact and dependency diagrams, read from the traversal, are those of every path."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ea_repo import Repository
from ea_repo.analysis.impact import analyse
from ea_repo.views.build import _compressed_edges, _impact_counted, _impact_drawn, impact_graph
from ea_repo.views.graph import ViewGraph, fit
from ea_repo.views.render import to_dot
from ea_repo.views.spec import builtin_views


def edges(graph: ViewGraph) -> list[tuple[str, str, str, str, int, bool]]:
    return [(e.src, e.dst, e.type, e.label, e.count, e.both) for e in graph.edges]


def test_impact_edges_equal_the_compressed_paths_of_every_element(retail: Path) -> None:
    spec = replace(builtin_views()["impact"], limit=10_000, edge_limit=10_000)
    seen_hidden = seen_shared = 0
    with Repository.open(retail) as repo:
        ids = sorted(e.id for e in repo.store.iter_elements())
        for start in ids:
            for way in ("impact", "dependencies"):
                for layers in (None, ["application", "business"], ["strategy"]):
                    report = analyse(repo.store, repo.metamodel, [start], way=way, layers=layers)
                    drawn = impact_graph(report, spec)
                    expected = ViewGraph("x", nodes={k: replace(n) for k, n in drawn.nodes.items()})
                    _compressed_edges(expected, (a.path for a in report.affected))
                    expected = fit(expected, spec.limit, spec.edge_limit)
                    assert edges(drawn) == edges(expected), (start, way, layers)
                    seen_hidden += any("hidden" in e.label for e in drawn.edges)
                    seen_shared += any(e.count > 1 for e in drawn.edges)
    # The landscape exercises both: steps through elements not drawn, segments on several paths.
    assert seen_hidden and seen_shared


def test_analysis_without_paths_reaches_the_same_elements(retail: Path) -> None:
    with Repository.open(retail) as repo:
        full = analyse(repo.store, repo.metamodel, ["srv-esx01"])
        bare = analyse(repo.store, repo.metamodel, ["srv-esx01"], paths=False)
    assert [(a.element.id, a.distance, a.state) for a in bare.affected] == [
        (a.element.id, a.distance, a.state) for a in full.affected
    ]
    assert all(a.path == [] for a in bare.affected)
    assert all(a.path for a in full.affected)
    # Paths built on shared beginnings read as before: each starts at the start.
    assert all(a.path[0].origin.id == "srv-esx01" for a in full.affected)
    assert all(
        a.path[-1].target.id == a.element.id and len(a.path) == a.distance for a in full.affected
    )


def test_impact_over_the_limit_is_counted_as_fit_collapses_it(retail: Path) -> None:
    base = builtin_views()["impact"]
    compared = 0
    with Repository.open(retail) as repo:
        ids = sorted(e.id for e in repo.store.iter_elements())
        for start in ids:
            for way in ("impact", "dependencies"):
                for layers in (None, ["application", "business"]):
                    report = analyse(repo.store, repo.metamodel, [start], way=way, layers=layers)
                    drawn = len(report.starts) + len(report.affected)
                    for limit, edge_limit in ((2, None), (4, 3), (drawn - 1, None), (6, 40)):
                        if not 1 <= limit < drawn:
                            continue
                        spec = replace(base, limit=limit, edge_limit=edge_limit)
                        counted = _impact_counted(report, spec)
                        expected = _impact_drawn(report, spec)
                        assert to_dot(counted) == to_dot(expected), (start, way, layers, limit)
                        assert counted.elements_total == drawn
                        compared += 1
    assert compared > 100
