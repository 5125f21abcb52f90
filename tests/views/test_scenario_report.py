"""``ea report scenario``: the gap a scenario opens, as a self-contained HTML study, its two
states drawn side by side with real Graphviz, the changes marked in the state that has them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ea_repo import Repository
from ea_repo.cli import main
from ea_repo.model import Element, ElementId
from tests.views.test_views import SVG, parse_html

NEW = 'R&D <CRM> "Next" l\'été'


@pytest.fixture
def crm_out(retail: Path) -> Path:
    """The retail landscape with scenario crm-out: a new CRM (a hostile name) replaces the
    CRM on 2027-06-01, Transport Management retires, Order Management becomes high."""
    for args in (
        ["new", "crm-out", "-d", "a new CRM"],
        ["add", "crm-out", "Application", "--id", "app-next", "--name", NEW],
        ["replace", "crm-out", "app-crm", "app-next", "--on", "2027-06-01"],
        ["retire", "crm-out", "app-tms"],
        ["set", "crm-out", "app-oms", "--set", "criticality=high"],
    ):
        assert main(["scenario", *args, "-w", str(retail)]) == 0
    return retail


def _report(ws: Path, out: Path, *args: str) -> str:
    assert main(["report", "scenario", "crm-out", *args, "-o", str(out), "-w", str(ws)]) == 0
    return out.read_text(encoding="utf-8")


def _svgs(html: str) -> list[ET.Element]:
    """The inline SVGs of a page, parsed as the XML they are."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, re.S)]


def _marked(svg: ET.Element, kind: str) -> dict[str, set[str]]:
    """The nodes and edges of ``svg`` marked ``kind``: their class (``element``, a relation
    type) -> the texts drawn in them."""
    found: dict[str, set[str]] = {}
    for g in svg.iter(f"{SVG}g"):
        # Graphviz 2.50+ puts "node" or "edge" before the class given.
        words = [w for w in (g.get("class") or "").split() if w not in ("node", "edge")]
        if words[1:] == [kind]:
            texts = {t.text or "" for t in g.iter(f"{SVG}text")}
            found.setdefault(words[0], set()).update(texts)
    return found


def test_the_two_states_are_drawn_side_by_side_with_the_changes_marked(
    crm_out: Path, tmp_path: Path
) -> None:
    html = _report(crm_out, tmp_path / "crm.html")
    parsed = parse_html(html)
    body = " ".join(parsed.text)
    assert "Scenario study: crm-out" in body
    assert "scenario crm-out against the facts, both as on 2027-06-01" in body
    before, after = _svgs(html)
    assert html.index("Before: the facts") < html.index("After: scenario crm-out")
    assert ("div", {"class": "pair"}) in parsed.tags

    # Added: in the after diagram only, green and bold, with the relations it takes over.
    added = _marked(after, "added")
    assert NEW in added["element"]
    assert "serves" in added and "runs_on" in added
    assert not _marked(before, "added")
    assert NEW not in {t.text for t in before.iter(f"{SVG}text")}
    # Removed: in the before diagram only, red and dashed.
    removed = _marked(before, "removed")
    assert {"CRM", "Transport Management"} <= removed["element"]
    assert "serves" in removed
    assert not _marked(after, "removed")
    # Changed: in both.
    assert "Order Management" in _marked(before, "changed")["element"]
    assert "Order Management" in _marked(after, "changed")["element"]
    node = next(
        g
        for g in after.iter(f"{SVG}g")
        if (g.get("class") or "").split()[-2:] == ["element", "added"]
    )
    assert any(p.get("stroke") == "#2e7d32" for p in node.iter() if p.get("stroke"))
    # The legend says what the marks mean; the diff's own tables follow.
    assert "added by the scenario (after only; green, bold)" in body
    assert "Elements: 1 added, 1 changed, 2 removed" in body
    assert "Freshness of the data" in body and "fixture" in body


def test_names_are_escaped_in_the_page_and_in_the_drawings(crm_out: Path, tmp_path: Path) -> None:
    html = _report(crm_out, tmp_path / "crm.html")
    assert "<CRM>" not in html  # never raw: neither in the tables nor in the SVG
    assert NEW in "".join(parse_html(html).text)
    assert "R&amp;D &lt;CRM&gt;" in html
    for tag, attrs in parse_html(html).tags:
        assert tag not in ("script", "link", "img", "iframe", "crm")
        assert not any(
            (attrs.get(a) or "").startswith(("http:", "https:", "//")) for a in ("src", "href")
        )


def test_edits_a_sync_moved_under_stand_out_at_the_top(crm_out: Path, tmp_path: Path) -> None:
    html = _report(crm_out, tmp_path / "quiet.html")
    assert 'class="warnings"' not in html
    with Repository.open(crm_out) as repo:  # the source moves Order Management's criticality
        oms = repo.element("app-oms")
        repo.add_many(
            [Element(ElementId(oms.id), oms.type, oms.name, {**oms.attrs, "criticality": "low"})],
            source="fixture",
        )
    html = _report(crm_out, tmp_path / "moved.html")
    section = html[html.index('<section class="warnings">') : html.index("</section>")]
    warning = "".join(parse_html(section).text)
    assert "The facts have moved under 1 edit(s)" in warning
    assert "scenario crm-out, edit 4 (set app-oms" in warning
    assert "'critical' when written, 'low' now" in warning
    assert html.index('class="warnings"') < html.index("<h2>Summary</h2>")


def test_a_large_neighbourhood_is_cut_and_says_so(crm_out: Path, tmp_path: Path) -> None:
    from ea_repo.scenarios.diff import scenario_diff
    from ea_repo.views.build import scenario_graphs

    with Repository.open(crm_out) as repo:
        gap = scenario_diff(repo, "crm-out")
        before, after = repo.seen(gap.day), repo.seen(gap.day, "crm-out")
        graphs = scenario_graphs(gap, before.store, after.store, repo.metamodel, limit=5)
    for graph in graphs:
        assert len(graph.nodes) <= 5
        assert any("left out (limit 5)" in note for note in graph.notes)
    assert "app-next" in graphs[1].nodes and "app-crm" in graphs[0].nodes


def test_against_another_scenario_and_an_unknown_one(
    crm_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scenario", "new", "keep", "-w", str(crm_out)]) == 0
    html = _report(crm_out, tmp_path / "vs.html", "--against", "keep", "--at", "2027-07-01")
    assert "scenario crm-out against scenario keep, both as on 2027-07-01" in html
    out = tmp_path / "none.html"
    args = ["report", "scenario", "nope", "-o", str(out), "-w", str(crm_out)]
    assert main(args) == 2
    assert "nope" in capsys.readouterr().err and not out.exists()
