"""Health at an instant on the hand-built landscape, with incidents written in the test:
red through a dependency with its path, amber from a degrading hop, a lesser incident and
obsolete technology, the instant deciding which incidents are open, and the study."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from ea_repo import Repository
from ea_repo.analysis.health import Health, health
from ea_repo.analysis.incidents import parse_moment as parse_instant
from ea_repo.errors import ValidationError
from ea_repo.metamodel import Metamodel
from ea_repo.model import Element, ElementId, Relation
from ea_repo.store import GraphStore
from tests.analysis.test_obsolescence import add_software

UTC = dt.UTC


def incident(
    store: GraphStore, iid: str, on: str, priority: str, opened: str, **attrs: str
) -> None:
    """An Incident affecting ``on``, written straight to the store."""
    values: dict[str, Any] = {
        "number": iid.upper(),
        "priority": priority,
        "state": attrs.pop("state", "in_progress"),
        "opened_at": opened,
        **attrs,
    }
    store.upsert_elements([Element(ElementId(iid), "Incident", f"{iid} on {on}", values)])
    store.upsert_relations([Relation(ElementId(iid), "affects", ElementId(on))])


def states(report: Any) -> dict[str, str]:
    """The elements not green, with their state."""
    return {e.element.id: e.health.value for e in report.elements if e.health is not Health.GREEN}


def at(text: str) -> dt.datetime:
    moment = parse_instant(text)
    assert moment is not None
    return moment


def test_red_through_a_dependency_with_its_path(land: GraphStore, mm: Metamodel) -> None:
    # srv3 carries vm2, which carries app-b and app-c; both serve bp1, which realizes cap1.
    incident(land, "inc1", "srv3", "critical", "2026-03-01T08:00:00Z")
    report = health(land, mm, at=at("2026-03-01T09:00:00Z"))
    # app-a only receives a feed from app-c: degraded, hence amber, not red.
    assert states(report) == {
        "app-b": "red",
        "app-c": "red",
        "bp1": "red",
        "cap1": "red",
        "app-a": "amber",
    }
    by_id = {e.element.id: e for e in report.elements}
    reason = by_id["cap1"].reason()
    assert reason is not None
    assert [(s.origin.id, s.relation_type, s.target.id) for s in reason.path] == [
        ("srv3", "hosted_on", "vm2"),
        ("vm2", "runs_on", "app-b"),
        ("app-b", "serves", "bp1"),
        ("bp1", "realizes", "cap1"),
    ]
    assert reason.why.startswith("INC1 (critical)")
    assert "which degrades it" in (by_id["app-a"].reason() or reason).why
    # The element carrying the incident is no application: it is in the open incidents only.
    assert [i.element.id for i in report.open] == ["inc1"]
    assert by_id["app-b"].incidents == []
    data = report.to_data()
    assert data["counts"] == {"red": 4, "amber": 1, "green": 0}
    cap1 = next(e for e in data["elements"] if e["id"] == "cap1")
    assert cap1["findings"][0]["path"][0] == {
        "from": "srv3",
        "relation": "hosted_on",
        "label": "hosts (virtual)",
        "to": "vm2",
    }


def test_a_cluster_peer_down_only_degrades(land: GraphStore, mm: Metamodel) -> None:
    # srv1 and srv2 are both members of cl1: losing srv1 leaves cl1 degraded, app-a up.
    incident(land, "inc1", "srv1", "high", "2026-03-01T08:00:00Z")
    report = health(land, mm, at=at("2026-03-02"))
    assert states(report) == {}


def test_a_lesser_incident_is_amber_where_it_takes_things_down(
    land: GraphStore, mm: Metamodel
) -> None:
    incident(land, "inc1", "app-b", "moderate", "2026-03-01T08:00:00Z")
    incident(land, "inc2", "app-c", "planning", "2026-03-01T08:00:00Z")
    incident(land, "inc3", "app-c", "critical", "2026-03-01T08:00:00Z", kind="change")
    incident(land, "inc4", "app-c", "critical", "2026-03-01T08:00:00Z", state="canceled")
    report = health(land, mm, at=at("2026-03-02"))
    # app-b down takes bp1 and cap1 down: amber; app-c receives its feed: degraded, not amber.
    assert states(report) == {"app-b": "amber", "bp1": "amber", "cap1": "amber"}
    by_id = {e.element.id: e for e in report.elements}
    # Planning tickets and changes are open but colour nothing; a canceled one is not open.
    assert sorted(i.element.id for i in by_id["app-c"].incidents) == ["inc2", "inc3"]
    assert [i.element.id for i in report.open] == ["inc3", "inc1", "inc2"]


def test_the_instant_decides_what_is_open(land: GraphStore, mm: Metamodel) -> None:
    incident(
        land,
        "inc1",
        "app-b",
        "critical",
        "2026-03-01T08:00:00Z",
        state="resolved",
        resolved_at="2026-03-01T12:00:00Z",
        closed_at="2026-03-08T12:00:00Z",
    )
    during = health(land, mm, at=at("2026-03-01T11:59:59Z"))
    assert states(during) == {"app-b": "red", "bp1": "red", "cap1": "red", "app-c": "amber"}
    # Resolved at noon: not counted after it, nor before it was opened.
    assert states(health(land, mm, at=at("2026-03-01T12:00:00Z"))) == {}
    assert states(health(land, mm, at=at("2026-03-01"))) == {}  # a day: its end
    assert states(health(land, mm, at=at("2026-02-28T23:00:00Z"))) == {}
    assert states(health(land, mm, at=dt.date(2026, 2, 28))) == {}
    # A ticket closed without saying when is no longer open, whatever the instant; one still
    # open that does not say when it was opened is open at any instant.
    incident(land, "inc2", "app-a", "critical", "2026-02-01T08:00:00Z", state="closed")
    incident(land, "inc3", "app-c", "low", "")
    assert states(health(land, mm, at=at("2026-03-01T11:00:00Z"))) == {
        "app-b": "red",
        "bp1": "red",
        "cap1": "red",
        "app-c": "amber",
    }
    assert states(health(land, mm, at=at("2000-01-01"))) == {
        "app-c": "amber",
        "bp1": "amber",
        "cap1": "amber",
    }


def test_amber_from_obsolete_technology(land: GraphStore, mm: Metamodel) -> None:
    add_software(land)  # app-b uses sw-ora, an instance of Oracle 11.2 past its end of life
    report = health(land, mm, at=dt.datetime(2026, 11, 23, tzinfo=UTC))
    by_id = {e.element.id: e for e in report.elements}
    assert by_id["app-b"].health is Health.AMBER
    assert by_id["app-b"].support == "obsolete"
    reason = by_id["app-b"].reason()
    assert reason is not None and reason.why == "on obsolete technology: Oracle Database 11.2"
    assert [(s.origin.id, s.target.id) for s in reason.path] == [
        ("sp-ora11", "sw-ora"),
        ("sw-ora", "app-b"),
    ]
    # app-a stands on Tomcat 9, whose end of life is within the horizon: said, not coloured.
    assert by_id["app-a"].health is Health.GREEN and by_id["app-a"].support == "warning"
    # Given a state, the technology itself: amber when obsolete, its support said.
    tech = health(land, mm, at=dt.datetime(2026, 11, 23, tzinfo=UTC), layers=["technology"])
    looked = {e.element.id: (e.health.value, e.support) for e in tech.elements}
    assert looked["sp-ora11"] == ("amber", "obsolete")
    assert looked["sw-ora"] == ("amber", "obsolete")  # an instance of it
    assert looked["sp-soon"] == ("green", "warning")
    assert looked["sp-pg17"] == ("green", None)
    # Earlier, Oracle 11.2 was still supported: nothing amber.
    assert states(health(land, mm, at=dt.datetime(2014, 1, 1, tzinfo=UTC))) == {}


def test_layers_and_bad_instants(land: GraphStore, mm: Metamodel) -> None:
    report = health(land, mm, at=at("2026-03-02"), layers=["technology"])
    assert {e.element.type for e in report.elements} == {
        "Server",
        "VirtualMachine",
        "Cluster",
    }
    assert parse_instant("2026-03-01T10:00:00+02:00") == dt.datetime(2026, 3, 1, 8, tzinfo=UTC)
    with pytest.raises(ValidationError, match="is not a date or a date and time"):
        parse_instant("March 1st")


def test_incidents_opened_per_month(land: GraphStore, mm: Metamodel) -> None:
    incident(land, "inc1", "app-b", "low", "2026-01-05T08:00:00Z", state="closed",
             closed_at="2026-01-06T08:00:00Z")  # fmt: skip
    incident(land, "inc2", "app-b", "low", "2026-01-20T08:00:00Z")
    incident(land, "inc3", "srv3", "high", "2026-03-02T08:00:00Z")
    incident(land, "inc4", "app-a", "low", "2025-01-02T08:00:00Z")  # over a year before
    report = health(land, mm, at=at("2026-03-31"))
    months = report.monthly()
    assert months[0] == ("2025-04", 0, 0) and len(months) == 12
    assert [m for m in months if m[1]] == [("2026-01", 2, 1), ("2026-03", 1, 1)]
    assert [(e.id, v[9:]) for e, v in report.per_element()] == [
        ("app-b", [2, 0, 0]),
        ("srv3", [0, 0, 1]),
    ]


def test_study_escapes_and_charts_the_months(
    tmp_path: Path, ea: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ea_repo.views import report as study
    from tests.landscape import build

    monkeypatch.setattr(study, "STUDY_ROWS", 3)  # a long list is cut, and says so

    root = build(tmp_path / "ws")
    with Repository.open(root) as repo:
        repo.add_many(
            [
                Element(
                    ElementId(f"inc{n}"),
                    "Incident",
                    f"inc{n}",
                    {
                        "number": f"INC{n}",
                        "priority": "critical",
                        "state": "new",
                        "opened_at": opened,
                        "short_description": "<script>alert(1)</script>",
                    },
                )
                for n, opened in enumerate(
                    ["2026-01-05T08:00:00Z", "2026-01-20T08:00:00Z", "2026-03-02T08:00:00Z"]
                )
            ],
            [Relation(ElementId(f"inc{n}"), "affects", ElementId("vm-oms")) for n in range(3)],
            source="itsm",
        )
    out = tmp_path / "h.html"
    result = ea("report", "health", "-w", root, "--at", "2026-03-31", "-o", out)
    assert result.code == 0, result.err
    page = out.read_text()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()  # self-contained, no JS library either
    # Twelve months from 2025-04 on a scale of 0..4 (2 incidents in January, 1 in March):
    # x from 44 every 60 px, y = 16 + 164 × (1 − n / 4).
    chart = re.search(r'aria-label="incidents opened per month">.*?</svg>', page, re.S)
    assert chart is not None
    points = re.search(r'<polyline[^>]*points="([^"]+)"', chart.group(0))
    assert points is not None
    expected = [(44.0 + 60 * i, 180.0) for i in range(12)]
    expected[9] = (584.0, 98.0)
    expected[11] = (704.0, 139.0)
    assert points.group(1) == " ".join(f"{x:.1f},{y:.1f}" for x, y in expected)
    assert chart.group(0).count("<circle") == 12
    assert "2026-01: 2 incident(s) on 1 element(s)" in chart.group(0)
    # The heat map and the reds with their paths.
    assert "<h2>Red (4)</h2>" in page and "vm-oms-prd —hosts→ Order Management" in page
    assert "The first 3, by layer and name; `ea health -f csv` lists all 4." in page
    assert page.count('class="status-red"') == 3
    assert "<h2>Amber (" in page


def test_command(tmp_path: Path, ea: Any) -> None:
    from tests.landscape import build

    root = build(tmp_path / "ws")
    assert ea("add", "Incident", "-w", root, "--id", "inc1", "-n", "oms down",
              "-s", "priority=high", "-s", "state=new",
              "-s", "opened_at=2026-03-01T08:00:00Z").code == 0  # fmt: skip
    assert ea("link", "inc1", "affects", "vm-oms", "-w", root).code == 0
    result = ea("health", "-w", root, "--at", "2026-03-01T09:00:00Z", "-f", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    red = {e["id"] for e in data["elements"] if e["health"] == "red"}
    assert red == {"app-oms", "bp-order-to-cash", "bp-click-collect", "cap-sell-online"}
    assert [i["id"] for i in data["open_incidents"]] == ["inc1"]
    before = json.loads(ea("health", "-w", root, "--at", "2026-02-28", "-f", "json").out)
    assert before["open_incidents"] == []
    # For monitoring: red exits 1 while the incident is open; the sample's obsolete Oracle
    # leaves something amber at any time.
    assert ea("health", "-w", root, "--at", "2026-03-01T09:00:00Z", "--fail-on", "red").code == 1
    assert ea("health", "-w", root, "--at", "2026-02-28", "--fail-on", "red").code == 0
    assert ea("health", "-w", root, "--at", "2026-02-28", "--fail-on", "amber").code == 1
    bad = ea("health", "-w", root, "--at", "yesterday")
    assert bad.code == 2 and "is not a date or a date and time" in bad.err
    svg = tmp_path / "h.svg"
    drawn = ea("view", "render", "health", "-w", root, "--at", "2026-03-01", "-o", svg)
    assert drawn.code == 0, drawn.err
    text = svg.read_text()
    assert "Health at 2026&#45;03&#45;01T23:59:59Z" in text
    assert "#e86b6b" in text.lower()  # the reds' fill


def test_an_unreadable_opening_time_is_open_and_said(land: GraphStore, mm: Metamodel) -> None:
    incident(land, "inc1", "app-b", "high", "last tuesday")
    report = health(land, mm, at=at("2000-01-01"))
    assert states(report) == {"app-b": "red", "bp1": "red", "cap1": "red", "app-c": "amber"}
    assert report.notes() == [
        "1 incident(s) with an unreadable opened_at: counted as open since always"
    ]
    assert health(land, mm, at=at("2000-01-01"), layers=["strategy"]).counts() == {
        "red": 1,
        "amber": 0,
        "green": 0,
    }


def test_one_traversal_per_severity_from_the_incidents(
    land: GraphStore, mm: Metamodel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ea_repo.analysis import health as module

    calls: list[list[str]] = []
    real = module.traverse

    def counted(store: GraphStore, metamodel: Metamodel, starts: Any, **kw: Any) -> Any:
        calls.append(list(starts))
        return real(store, metamodel, starts, **kw)

    monkeypatch.setattr(module, "traverse", counted)
    incident(land, "inc1", "srv3", "critical", "2026-03-01T08:00:00Z")
    incident(land, "inc2", "vm1", "high", "2026-03-01T08:00:00Z")
    incident(land, "inc3", "app-a", "low", "2026-03-01T08:00:00Z")
    incident(land, "inc4", "app-b", "moderate", "2026-03-01T08:00:00Z")
    health(land, mm, at=at("2026-03-02"))
    # Not one per application: one from the severe incidents' elements, one from the others'.
    assert calls == [["srv3", "vm1"], ["app-a", "app-b"]]
