"""Obsolescence on a hand-built landscape: statuses at a date, worst status propagated, with the why."""

from __future__ import annotations

import datetime as dt

from ea_repo.analysis.obsolescence import Risk, obsolescence
from ea_repo.metamodel import Metamodel
from ea_repo.model import Element, ElementId, Relation
from ea_repo.store import GraphStore

AT = dt.date(2026, 11, 23)


def add_software(land: GraphStore) -> None:
    land.upsert_elements(
        [
            Element(
                ElementId("sp-ora11"),
                "SoftwareProduct",
                "Oracle Database 11.2",
                {"end_of_support": "2015-01-31", "end_of_life": "2020-12-31"},
            ),
            Element(
                ElementId("sp-rhel8"),
                "SoftwareProduct",
                "RHEL 8",
                {"end_of_support": "2024-05-31", "end_of_life": "2029-05-31"},
            ),
            Element(
                ElementId("sp-pg17"),
                "SoftwareProduct",
                "PostgreSQL 17",
                {"end_of_life": "2029-11-08"},
            ),
            Element(
                ElementId("sp-soon"), "SoftwareProduct", "Tomcat 9", {"end_of_life": "2027-03-31"}
            ),
            Element(ElementId("sw-ora"), "SystemSoftware", "ORA-PRD", {}),
            Element(ElementId("sw-pg"), "SystemSoftware", "PG-PRD", {}),
            Element(ElementId("sw-tc"), "SystemSoftware", "TC-PRD", {}),
        ]
    )
    land.upsert_relations(
        [
            Relation(ElementId("sw-ora"), "instance_of", ElementId("sp-ora11")),
            Relation(ElementId("sw-pg"), "instance_of", ElementId("sp-pg17")),
            Relation(ElementId("sw-tc"), "instance_of", ElementId("sp-soon")),
            Relation(ElementId("app-b"), "uses", ElementId("sw-ora")),  # app-b → bp1 → cap1
            Relation(ElementId("app-a"), "uses", ElementId("sw-pg")),
            Relation(ElementId("app-a"), "uses", ElementId("sw-tc")),
        ]
    )


def test_statuses_at_a_date(land: GraphStore, mm: Metamodel) -> None:
    add_software(land)
    report = obsolescence(land, mm, at=AT, horizon_days=365)
    risks = {t.element.id: (t.risk.value, t.reason) for t in report.technologies}
    assert risks == {
        "sp-ora11": ("obsolete", "end of life 2020-12-31, 2153 days ago"),
        "sp-rhel8": ("warning", "support ended 2024-05-31; end of life 2029-05-31, in 920 days"),
        "sp-soon": ("warning", "end of life 2027-03-31, in 128 days"),
        "sp-pg17": ("ok", "supported until 2029-11-08"),
    }
    assert [t.element.id for t in report.technologies][:1] == ["sp-ora11"]  # worst first
    assert report.worst() is Risk.OBSOLETE


def test_worst_status_reaches_dependents_with_its_cause(land: GraphStore, mm: Metamodel) -> None:
    add_software(land)
    report = obsolescence(land, mm, at=AT, horizon_days=365)
    exposed = {e.element.id: (e.risk.value, e.cause.id) for e in report.exposed}
    # app-b uses the obsolete Oracle; bp1 and cap1 follow.
    assert exposed["app-b"] == ("obsolete", "sp-ora11")
    assert exposed["bp1"] == ("obsolete", "sp-ora11")
    assert exposed["cap1"] == ("obsolete", "sp-ora11")
    assert exposed["sw-ora"] == ("obsolete", "sp-ora11")
    # app-a uses Tomcat 9: a warning. Receiving app-c's data does not make it obsolete.
    assert exposed["app-a"] == ("warning", "sp-soon")
    assert exposed["sw-tc"] == ("warning", "sp-soon")
    assert "app-c" not in exposed  # only receives data from app-b
    assert "sw-pg" not in exposed  # PostgreSQL 17 is fine
    path = next(e for e in report.exposed if e.element.id == "cap1").path
    assert [s.target.id for s in path] == ["sw-ora", "app-b", "bp1", "cap1"]


def test_horizon_and_date_move_the_line(land: GraphStore, mm: Metamodel) -> None:
    add_software(land)
    short = obsolescence(land, mm, at=AT, horizon_days=30)
    assert {t.element.id: t.risk for t in short.technologies}["sp-soon"] is Risk.OK
    later = obsolescence(land, mm, at=dt.date(2030, 1, 1), horizon_days=30)
    risks = {t.element.id: t.risk for t in later.technologies}
    assert risks["sp-rhel8"] is Risk.OBSOLETE and risks["sp-pg17"] is Risk.OBSOLETE


def test_scope_limits_the_report(land: GraphStore, mm: Metamodel) -> None:
    add_software(land)
    report = obsolescence(land, mm, at=AT, scope={"cap1", "sp-ora11"})
    assert [t.element.id for t in report.technologies] == ["sp-ora11"]
    assert [e.element.id for e in report.exposed] == ["cap1"]


def test_nothing_dated_means_nothing_at_risk(land: GraphStore, mm: Metamodel) -> None:
    report = obsolescence(land, mm, at=AT)
    assert report.technologies == [] and report.exposed == []
    assert report.worst() is Risk.OK
