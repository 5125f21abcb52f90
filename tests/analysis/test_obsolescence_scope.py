"""A scoped obsolescence report is the whole report narrowed: same risks, causes and paths."""

from __future__ import annotations

import datetime as dt
import itertools

from ea_repo.analysis.obsolescence import ObsolescenceReport, obsolescence
from ea_repo.metamodel import Metamodel
from ea_repo.model import Element, ElementId
from ea_repo.store import GraphStore
from tests.analysis.test_obsolescence import AT, add_software


def summary(report: ObsolescenceReport) -> tuple[list[object], list[object]]:
    return (
        [(t.element, t.risk, t.reason) for t in report.technologies],
        [(e.element, e.layer, e.risk, e.cause, e.distance, e.path) for e in report.exposed],
    )


def test_scoped_report_is_the_whole_report_narrowed(land: GraphStore, mm: Metamodel) -> None:
    add_software(land)
    # An element with a lifecycle attribute that is no date is no technology, scoped or not.
    land.upsert_elements(
        [Element(ElementId("sp-odd"), "SoftwareProduct", "Odd", {"end_of_life": "unknown"})]
    )
    whole = obsolescence(land, mm, at=AT, horizon_days=365)
    assert "sp-odd" not in {t.element.id for t in whole.technologies}
    ids = sorted(e.element.id for e in whole.exposed) + ["sp-ora11", "sp-soon", "app-c"]
    assert len(whole.exposed) >= 6
    for size in (1, 2, 3):
        for scope in itertools.combinations(ids, size):
            scoped = obsolescence(land, mm, at=AT, horizon_days=365, scope=set(scope))
            narrowed = ObsolescenceReport(
                whole.at,
                whole.horizon_days,
                [t for t in whole.technologies if t.element.id in scope],
                [e for e in whole.exposed if e.element.id in scope],
            )
            assert summary(scoped) == summary(narrowed), scope
    later = obsolescence(land, mm, at=dt.date(2030, 1, 1), horizon_days=30, scope={"cap1"})
    assert [(e.element.id, e.risk.value) for e in later.exposed] == [("cap1", "obsolete")]
