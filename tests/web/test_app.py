"""The explorer's pages and API over the demo landscape and a hostile one, through Flask's
test client: what they show, that every value is escaped, that nothing writes, and the token."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from ea_repo.repository import Repository
from ea_repo.web.app import CSP, create_app
from ea_repo.web.server import check_binding, is_loopback

CLUSTER = "VCL-PAR-PROD01|Cluster"


def test_home_shows_each_source_freshness_and_the_counts(client, demo_repo: Repository) -> None:
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for source in demo_repo.status().sources:
        assert f"<td>{source.source}</td>" in text
    total = sum(demo_repo.stats().counts.elements.values())
    assert f"{total:,} elements" in text
    assert page.headers["Content-Security-Policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP


def test_search_filters_by_type_and_attribute_and_pages(client, demo_repo: Repository) -> None:
    servers = demo_repo.find(type_name="Server", attrs={"environment": "production"})
    assert len(servers) > 2
    page = client.get("/search", query_string={"type": "Server", "where": "environment=production"})
    text = page.get_data(as_text=True)
    assert text.count('class="element"') == min(len(servers), 50)
    assert servers[0].name in text
    everything = client.get("/search", query_string={"q": "a"})
    assert 'rel="next"' in everything.get_data(as_text=True)
    second = client.get("/search", query_string={"q": "a", "page": 1}).get_data(as_text=True)
    assert "51–" in second
    bad = client.get("/search", query_string={"where": "nonsense"})
    assert bad.status_code == 400 and "is not KEY=VALUE" in bad.get_data(as_text=True)


def test_the_element_page_shows_attributes_provenance_and_relations(
    client, demo_repo: Repository
) -> None:
    detail = demo_repo.describe("WMS Reflex")
    text = client.get("/element", query_string={"id": "WMS Reflex"}).get_data(as_text=True)
    assert '<h1 id="element-name">WMS Reflex</h1>' in text
    for assertion in detail.provenance:
        assert f"<td>{assertion.source}</td><td>{assertion.first_seen}</td>" in text
    labels = {n.label for n in detail.neighbors}
    for label in labels:
        assert f"<h3>{label} " in text
    assert client.get("/element", query_string={"id": "no such thing"}).status_code == 404


def test_the_element_page_lists_lifecycle_dates_and_the_incidents_open_now(tmp_path: Path) -> None:
    repo = Repository.init(tmp_path / "ws")
    repo.add(
        "Application",
        id="crm",
        name="CRM",
        attrs={"lifecycle_active": "2019-03-01", "lifecycle_phase_out": "2027-06-30"},
    )
    repo.add(
        "Incident",
        id="inc1",
        name="INC1",
        attrs={"number": "INC0001", "opened_at": "2026-01-01T10:00:00Z", "short_description": "CRM slow"},
    )
    repo.add(
        "Incident",
        id="inc2",
        name="INC2",
        attrs={
            "number": "INC0002",
            "opened_at": "2025-01-01T10:00:00Z",
            "resolved_at": "2025-01-02T10:00:00Z",
            "short_description": "fixed long ago",
        },
    )
    repo.link("inc1", "affects", "crm")
    repo.link("inc2", "affects", "crm")
    text = create_app(repo).test_client().get("/element?id=crm").get_data(as_text=True)
    section = text.split("<h2>Open incidents</h2>")[1].split("</ul>")[0]
    assert "INC0001" in section and "CRM slow" in section
    assert "INC0002" not in section
    lifecycle = text.split('id="lifecycle"')[1].split("</table>")[0]
    assert "<th>active</th><td>2019-03-01</td>" in lifecycle
    assert "<th>phase out</th><td>2027-06-30</td>" in lifecycle
    repo.close()


def test_the_explorer_api_gives_a_level_at_a_time_and_paths(client, demo_repo: Repository) -> None:
    first = client.get(
        "/api/children", query_string={"start": CLUSTER, "node": CLUSTER, "level": 0}
    ).get_json()
    report = demo_repo.analyse("impact", [CLUSTER], max_depth=1)
    assert first["total"] == len(report.affected) > len(first["rows"]) == 50
    assert {r["id"] for r in first["rows"]} <= {a.element.id for a in report.affected}
    assert all(r["distance"] == 1 and r["relation"] for r in first["rows"])
    child = first["rows"][0]
    second = client.get(
        "/api/children", query_string={"start": CLUSTER, "node": child["id"], "level": 1}
    ).get_json()
    deeper = demo_repo.analyse("impact", [CLUSTER], max_depth=2)
    expected = {
        a.element.id
        for a in deeper.affected
        if a.distance == 2
        and any(h.origin == child["id"] for h in deeper.traversal.reached[a.element.id].via)
    }
    assert {r["id"] for r in second["rows"]} == expected and expected
    reached = client.get(
        "/api/reached",
        query_string={"start": CLUSTER, "depth": 4, "layer": ["business", "strategy"]},
    ).get_json()
    full = demo_repo.analyse("impact", [CLUSTER], max_depth=4, layers=["business", "strategy"])
    assert reached["total"] == len(full.affected)
    for row in reached["rows"]:
        assert row["layer"] in ("business", "strategy")
        assert row["path"][0]["from"] == CLUSTER and row["path"][-1]["to"] == row["id"]
        assert len(row["path"]) == row["distance"]
    assert {r["state"] for r in reached["rows"]} <= {"down", "degraded"}


def test_the_explorer_api_pages_a_large_level(tmp_path: Path) -> None:
    repo = Repository.init(tmp_path / "ws")
    repo.add("Node", id="host", name="host")
    for i in range(120):
        repo.add("SystemSoftware", id=f"sw{i:03}", name=f"sw {i:03}")
        repo.link(f"sw{i:03}", "runs_on", "host")
    client = create_app(repo).test_client()
    ask = {"start": "host", "node": "host", "level": 0}
    page = client.get("/api/children", query_string=ask).get_json()
    assert page["total"] == 120 and len(page["rows"]) == 50
    rest = client.get("/api/children", query_string={**ask, "offset": 100}).get_json()
    assert [r["id"] for r in rest["rows"]] == [f"sw{i:03}" for i in range(100, 120)]
    kept = client.get("/api/children", query_string={**ask, "include": "sw110"}).get_json()
    assert len(kept["rows"]) == 51 and kept["rows"][-1]["id"] == "sw110"
    bad = client.get("/api/reached", query_string={"start": "host", "depth": 99})
    assert bad.status_code == 400 and "out of range" in bad.get_json()["error"]
    repo.close()


def test_views_are_svg_with_elements_linking_to_their_pages(client) -> None:
    listing = client.get("/views").get_data(as_text=True)
    assert "application-landscape" in listing
    text = client.get("/view?name=application-landscape").get_data(as_text=True)
    assert "<svg" in text
    assert 'xlink:href="/element?id=' in text or 'href="/element?id=' in text
    download = client.get("/view?name=application-landscape&format=svg")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.get_data().lstrip().startswith(b"<?xml")
    needs_start = client.get("/view?name=impact").get_data(as_text=True)
    assert "give it a start" in needs_start


def test_every_view_of_the_list_is_drawn(client, demo_root: Path) -> None:
    from ea_repo.views.spec import all_views

    starts = {
        "impact": "VCL-PAR-PROD01",
        "dependencies": "WMS Reflex",
        "decommission": "WMS Reflex",
        "data-flows": "WMS Reflex",
        "migration-waves": 'in:"DC Lyon Sud"',
        "diagnosis": '"CRM Dynamics","SAP ECC"',
    }
    for name in all_views(demo_root):
        query = {"name": name, **({"select": starts[name]} if name in starts else {})}
        text = client.get("/view", query_string=query).get_data(as_text=True)
        assert "<svg" in text, name
        assert 'href="/element?id=' in text, name


def test_results_are_the_reports_own_tables_and_documents(client, demo_repo: Repository) -> None:
    from ea_repo.results import Result, cell_text

    report = demo_repo.analyse("decommission", "WMS Reflex")
    shaped = Result.of(report)
    text = client.get("/result/decommission?target=WMS+Reflex").get_data(as_text=True)
    for table in shaped.tables:
        assert f"<h2>{table.title}</h2>".replace("&", "&amp;") in text or table.title in text
    assert json.loads(client.get("/result/decommission?target=WMS+Reflex&format=json").get_data()) == json.loads(
        json.dumps(shaped.data, default=str)
    )
    rows = list(csv.reader(io.StringIO(client.get("/result/obsolescence?format=csv").get_data(as_text=True))))
    obsolescence = Result.of(demo_repo.analyse("obsolescence"))
    assert rows[1 if len(obsolescence.tables) > 1 else 0] == list(obsolescence.tables[0].columns)
    assert any(cell_text(obsolescence.tables[0].rows[0][0]) in r for r in rows)
    study = client.get("/result/decommission?target=WMS+Reflex&format=html")
    assert study.headers["Content-Disposition"] == 'attachment; filename="decommission-study.html"'
    assert b"WMS Reflex" in study.get_data()


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_nothing_but_get_and_head(client, method: str) -> None:
    for path in ("/", "/element?id=WMS+Reflex", "/api/children", "/nowhere"):
        assert client.open(path, method=method).status_code == 405
    assert client.head("/").status_code == 200


def test_a_page_asked_for_under_another_host_name_is_refused(client) -> None:
    assert client.get("/", headers={"Host": "evil.example:8080"}).status_code == 403
    assert client.get("/", headers={"Host": "127.0.0.1:8080"}).status_code == 200
    assert client.get("/", headers={"Host": "[::1]:8080"}).status_code == 200


def test_the_token_by_header_or_once_in_the_query_then_a_cookie(demo_repo: Repository) -> None:
    app = create_app(demo_repo, token="s3cret-token", local=False)
    client = app.test_client()
    assert client.get("/").status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert client.get("/static/style.css").status_code == 401
    first = client.get("/search?q=WMS&token=s3cret-token")
    assert first.status_code == 303 and first.headers["Location"] == "/search?q=WMS"
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/search?q=WMS").status_code == 200  # the cookie carries it now
    assert create_app(demo_repo, token="s3cret-token", local=False).test_client().get(
        "/?token=wrong"
    ).status_code == 401


def test_listening_beyond_the_loopback_needs_a_token() -> None:
    from ea_repo.errors import ValidationError

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    check_binding("127.0.0.1", None)
    check_binding("0.0.0.0", "a-token")
    with pytest.raises(ValidationError, match="EA_SERVE_TOKEN"):
        check_binding("0.0.0.0", None)
    with pytest.raises(ValidationError, match="empty"):
        check_binding("0.0.0.0", "  ")


def test_no_other_command_imports_the_web_stack() -> None:
    import subprocess
    import sys

    code = "import sys, ea_repo.cli; print([m for m in ('flask', 'werkzeug', 'ea_repo.web') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_impact_results_download_with_every_layer_asked(client) -> None:
    page = client.get("/result/impact?target=VCL-PAR-PROD01&layer=business&layer=strategy")
    text = page.get_data(as_text=True)
    assert "layer=business&amp;layer=strategy&amp;format=json" in text
    data = client.get("/result/impact?target=VCL-PAR-PROD01&layer=business&layer=strategy&format=json").get_json()
    assert data["affected"] and {a["layer"] for a in data["affected"]} <= {"business", "strategy"}


def test_ea_serve_refuses_another_host_without_a_token(ea, demo_root: Path, monkeypatch) -> None:
    monkeypatch.delenv("EA_SERVE_TOKEN", raising=False)
    result = ea("serve", "--host", "0.0.0.0", "-w", demo_root)
    assert result.code == 2
    assert "needs a token: set EA_SERVE_TOKEN" in result.err


@pytest.mark.parametrize("port", ["99999", "0", "-1"])
def test_ea_serve_refuses_a_port_out_of_range(ea, demo_root: Path, port: str) -> None:
    # 99999 was taken modulo 65536: the explorer came up on port 34463, said so in passing.
    result = ea("serve", "--port", port, "-w", demo_root)
    assert result.code == 2
    assert "--port" in result.err


HOSTILE = "<script>alert('x')</script>"
QUOTED = "\"><img src=x onerror=alert(1)>"


@pytest.fixture
def hostile(tmp_path: Path) -> Repository:
    repo = Repository.init(tmp_path / "ws")
    repo.add("Application", id="app<b>1</b>", name=HOSTILE, attrs={"description": QUOTED})
    repo.add("Node", id="srv'\"", name=f"srv {QUOTED}")
    repo.link("app<b>1</b>", "runs_on", "srv'\"")
    return repo


def test_hostile_names_and_attributes_are_escaped_everywhere(hostile: Repository) -> None:
    client = create_app(hostile).test_client()
    pages = [
        "/",
        "/search?q=script",
        "/search?q=img",
        "/element?id=app%3Cb%3E1%3C%2Fb%3E",
        "/element?id=srv'%22",
        "/explore?id=srv'%22",
        "/view?name=application-landscape",
        "/view?name=infrastructure",
        "/result/impact?target=srv'%22",
        "/result/decommission?target=app%3Cb%3E1%3C%2Fb%3E",
        "/element?id=%3Cscript%3E",
    ]
    for url in pages:
        answer = client.get(url)
        text = answer.get_data(as_text=True)
        assert answer.status_code in (200, 404), url
        assert "<script>alert" not in text, url
        assert "<img src=x" not in text, url
        assert "<b>1</b>" not in text, url
    element = client.get("/element?id=app%3Cb%3E1%3C%2Fb%3E").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in element
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in element
    explore = client.get("/explore?id=srv'%22").get_data(as_text=True)
    assert 'data-name="srv &#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in explore
    api = client.get("/api/children?start=srv'%22&node=srv'%22&level=0").get_json()
    assert api["rows"][0]["name"] == HOSTILE  # JSON: the browser sets it as text
    hostile.close()


def test_under_a_scenario_the_pages_show_its_landscape(demo_repo: Repository) -> None:
    seen = demo_repo.seen(None, "crm-replacement")
    client = create_app(seen).test_client()
    home = client.get("/").get_data(as_text=True)
    assert "under scenario crm-replacement" in home
    found = client.get("/search?q=Salesforce").get_data(as_text=True)
    assert "Salesforce Sales Cloud" in found
    page = client.get("/element?id=app-salesforce").get_data(as_text=True)
    assert '<h1 id="element-name">Salesforce Sales Cloud</h1>' in page
    facts = create_app(demo_repo).test_client()
    assert "Salesforce Sales Cloud" not in facts.get("/search?q=Salesforce").get_data(as_text=True)
    assert facts.get("/element?id=app-salesforce").status_code == 404
