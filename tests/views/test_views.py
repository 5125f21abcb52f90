"""Views over the retail landscape: specs, DOT determinism, SVG and HTML content, hostile names."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ea_repo import Repository
from ea_repo.cli import main
from ea_repo.errors import EaError
from ea_repo.views import render_view
from ea_repo.views.build import build_view
from ea_repo.views.spec import ViewSpecError, builtin_views, load_view

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = 'R&D <Ops> "Prod" l\'été Ω 東京'


def svg_texts(data: bytes) -> tuple[ET.Element, list[str]]:
    root = ET.fromstring(data)
    return root, [t.text or "" for t in root.iter(f"{SVG}text")]


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == cls]


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> Collector:
    parser = Collector()
    parser.feed(text)
    return parser


def test_builtin_views_load_and_fit_the_default_metamodel(retail: Path) -> None:
    views = builtin_views()
    assert {
        "application-landscape",
        "flow-map",
        "infrastructure",
        "capability-map",
        "impact",
        "obsolescence",
        "decommission",
    } <= set(views)
    with Repository.open(retail) as repo:
        for spec in views.values():
            build_view(repo.store, repo.metamodel, spec, "app-wms" if spec.analysis else None)


def test_landscape_svg_has_domain_clusters_elements_and_legend(retail: Path) -> None:
    with Repository.open(retail) as repo:
        data = render_view(repo, "application-landscape", fmt="svg")
    root, texts = svg_texts(data)
    clusters = groups(root, "cluster group")
    labels = {" ".join(t.text or "" for t in g.iter(f"{SVG}text")) for g in clusters}
    assert labels == {"Sales", "Logistics", "Customer", "Integration", "Finance"}
    assert len(groups(root, "node element")) == 9  # the nine applications
    assert "Warehouse Management" in " ".join(texts)
    assert "Legend" in texts and "critical" in texts and "high" in texts


def test_infrastructure_puts_servers_in_their_datacenters(retail: Path) -> None:
    with Repository.open(retail) as repo:
        graph = build_view(repo.store, repo.metamodel, builtin_views()["infrastructure"])
    group_of = {n.element_id: graph.groups[n.group].label for n in graph.nodes.values() if n.group}
    assert group_of["srv-as400"] == "DC Lyon 2 (closing 2027)"
    assert group_of["app-wms"] == "DC Lyon 2 (closing 2027)"
    assert group_of["vm-oms"] == "DC Paris 1"
    assert graph.nodes["dc-paris"].anchor  # the datacenter is drawn as its cluster


def test_flow_map_labels_edges_with_protocol_and_data(retail: Path) -> None:
    with Repository.open(retail) as repo:
        graph = build_view(repo.store, repo.metamodel, builtin_views()["flow-map"])
    labels = {(e.src, e.dst): e.label for e in graph.edges}
    assert labels[("app-wms", "app-tms")] == "SFTP · Order"
    both = [e for e in graph.edges if e.both]
    assert {(e.src, e.dst) for e in both} == {
        ("app-esb", "app-oms"),
        ("app-esb", "app-webshop"),
        ("app-esb", "app-wms"),
    }


def test_capability_map_colours_by_obsolescence(retail: Path) -> None:
    with Repository.open(retail) as repo:
        graph = build_view(repo.store, repo.metamodel, builtin_views()["capability-map"])
    fills = {n.element_id: n.look.fill for n in graph.nodes.values()}
    # Order to cash runs on Oracle 12c (obsolete) through the OMS.
    assert fills["cap-sell-online"] == "#F4A6A6"
    assert fills["cap-finance"] == "#CDEBC5"
    assert "obsolete technology beneath" in [i.label for i in graph.legend]


def test_same_repository_gives_byte_identical_dot(retail: Path, tmp_path: Path) -> None:
    with Repository.open(retail) as repo:
        first = [render_view(repo, n, fmt="dot") for n in ("infrastructure", "flow-map")]
        again = [render_view(repo, n, fmt="dot") for n in ("infrastructure", "flow-map")]
    assert first == again
    # A copy of the repository built in another order gives the same DOT too.
    from ea_repo.config import init_workspace
    from ea_repo.model import Element, ElementId, Relation
    from tests.landscape import ELEMENTS, RELATIONS

    other = tmp_path / "other"
    init_workspace(other)
    with Repository.open(other) as repo:
        repo.add_many(
            [Element(ElementId(i), t, n, a) for i, t, n, a in reversed(ELEMENTS)],
            [Relation(ElementId(s), t, ElementId(d), a) for s, t, d, a in reversed(RELATIONS)],
            source="fixture",
        )
        assert [render_view(repo, n, fmt="dot") for n in ("infrastructure", "flow-map")] == first


def test_hostile_name_survives_dot_svg_and_html(retail: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    from tests.landscape import build

    build(ws)
    with Repository.open(ws) as repo:
        repo.add(
            "Application", id='evil"\\id', name=HOSTILE, attrs={"domain": HOSTILE}, update=False
        )
        repo.link('evil"\\id', "runs_on", "vm-oms")
        dot = render_view(repo, "application-landscape", fmt="dot").decode()
        svg = render_view(repo, "application-landscape", fmt="svg")
        html = render_view(repo, "application-landscape", fmt="html").decode()
    assert "R&amp;D &lt;Ops&gt; &quot;Prod&quot; l&#39;été Ω 東京" in dot
    _, texts = svg_texts(svg)  # parses: the escaping held
    assert any(HOSTILE in t for t in texts)
    parsed = parse_html(html)
    assert HOSTILE in "".join(parsed.text)
    assert "<Ops>" not in html  # never raw
    assert not [t for t in parsed.tags if t[0] in ("script", "link", "img") or t[0] == "ops"]


def test_size_limit_collapses_groups_with_a_note(retail: Path, tmp_path: Path) -> None:
    spec_file = tmp_path / "small.yaml"
    spec_file.write_text(
        'name: small\nselect: "layer:technology,layer:application"\ngroup: [layer]\nlimit: 5\n',
        encoding="utf-8",
    )
    with Repository.open(retail) as repo:
        graph = build_view(repo.store, repo.metamodel, load_view(spec_file))
        svg = render_view(repo, str(spec_file), fmt="svg")
    assert len(graph.nodes) <= 5
    assert sum(n.count for n in graph.nodes.values()) == graph.elements_total == 22
    assert any("collapsed" in note for note in graph.notes)
    root, texts = svg_texts(svg)
    assert groups(root, "node collapsed")
    assert any("collapsed" in t for t in texts)


def test_spec_errors_point_at_file_and_line(tmp_path: Path, retail: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        'name: bad\nselect: "type:Application"\nlayout: {engine: dott}\ncolour: red\nlimit: 100000\n',
        encoding="utf-8",
    )
    with pytest.raises(ViewSpecError) as exc:
        load_view(bad)
    text = [str(p) for p in exc.value.problems]
    assert any(
        t.startswith(f"{bad}:3: layout.engine 'dott'") and "did you mean 'dot'" in t for t in text
    )
    assert any(t.startswith(f"{bad}:4: unknown key 'colour'") for t in text)
    assert any(t.startswith(f"{bad}:5: limit must be") for t in text)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text('name: u\nselect: "type:Aplication"\nrelations: [flows]\n', encoding="utf-8")
    with Repository.open(retail) as repo, pytest.raises(EaError) as exc2:
        build_view(repo.store, repo.metamodel, load_view(unknown))
    lines = [str(p) for p in exc2.value.problems]
    assert any(line.startswith(f"{unknown}:2: select:") for line in lines)
    assert any(line.startswith(f"{unknown}:3: unknown relationship type 'flows'") for line in lines)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("analysis: waves\noptions: {max_size: 0}\n", "3: options.max_size must be a whole number"),
        ("analysis: flows\noptions:\n  depth: deep\n", "4: options.depth must be a whole number"),
        ("analysis: obsolescence\noptions: {layers: [aplication]}\n", "3: options.layers names"),
        ("analysis: obsolescence\noptions: {horizon: soon}\n", "3: options.horizon 'soon' is not"),
        ("analysis: impact\noptions: {depth: 2}\n", "3: unknown key 'depth' in options of the"),
        ("options: [depth]\n", "2: options must be a mapping"),
    ],
)
def test_view_options_are_checked_with_their_line(tmp_path: Path, text: str, expected: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\n" + text, encoding="utf-8")
    with pytest.raises(ViewSpecError) as exc:
        load_view(bad)
    assert str(exc.value.problems[0]).startswith(f"{bad}:{expected}")


def test_one_layer_is_a_list_of_one(tmp_path: Path) -> None:
    spec = tmp_path / "v.yaml"
    spec.write_text("name: v\nanalysis: obsolescence\noptions: {layers: application}\n")
    assert load_view(spec).options == {"layers": ["application"]}


def test_workspace_view_is_listed_and_rendered_by_name(
    retail: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (retail / "views").mkdir(exist_ok=True)
    (retail / "views" / "sales.yaml").write_text(
        'name: sales\ntitle: Sales systems\nselect: "attr.domain=Sales"\nrelations: [flow]\n',
        encoding="utf-8",
    )
    assert main(["view", "list", "-w", str(retail), "-f", "json"]) == 0
    assert '"name": "sales"' in capsys.readouterr().out
    out = retail / "out" / "sales.svg"
    assert main(["view", "render", "sales", "-f", "svg", "-o", str(out), "-w", str(retail)]) == 0
    _, texts = svg_texts(out.read_bytes())
    assert "Sales systems" in texts and "Webshop" in texts and "CRM" not in texts


def test_analysis_commands_draw_their_result(retail: Path, tmp_path: Path) -> None:
    out = tmp_path / "impact.svg"
    assert main(["impact", "srv-esx01", "-f", "svg", "-o", str(out), "-w", str(retail)]) == 0
    root, texts = svg_texts(out.read_bytes())
    layers = {
        " ".join(t.text or "" for t in g.iter(f"{SVG}text")) for g in groups(root, "cluster group")
    }
    assert {"Technology", "Application", "Business", "Strategy (capabilities)"} <= layers
    assert "Impact of esx01" in texts and "stops working" in texts
    for command, fmt in (
        (["decommission", "app-wms"], "dot"),
        (["flows", "app-crm"], "svg"),
        (["waves", "+dc-lyon"], "pdf"),
        (["obsolescence"], "png"),
        (["dependencies", "app-oms"], "html"),
    ):
        target = tmp_path / f"{command[0]}.{fmt}"
        assert main([*command, "-f", fmt, "-o", str(target), "-w", str(retail)]) == 0
        assert target.stat().st_size > 200
    assert (tmp_path / "obsolescence.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "waves.pdf").read_bytes()[:4] == b"%PDF"


@pytest.mark.parametrize(
    ("kind", "args", "expected"),
    [
        ("impact", ["srv-esx01"], "Impact study: esx01"),
        ("obsolescence", [], "Obsolescence study"),
        ("decommission", ["app-wms"], "Decommission study: Warehouse Management (AS/400)"),
    ],
)
def test_reports_are_self_contained_html(
    retail: Path, tmp_path: Path, kind: str, args: list[str], expected: str
) -> None:
    out = tmp_path / f"{kind}.html"
    assert main(["report", kind, *args, "-o", str(out), "-w", str(retail)]) == 0
    text = out.read_text(encoding="utf-8")
    parsed = parse_html(text)
    tags = [t for t, _ in parsed.tags]
    body = " ".join(parsed.text)
    assert expected in body
    assert "svg" in tags and "style" in tags and "table" in tags
    assert "Freshness of the data" in body and "fixture" in body
    assert "Generated by ea-repo" in body
    # No external resource: nothing fetched from elsewhere.
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "link", "img", "iframe")
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), (tag, attrs)


def test_analysis_view_without_a_start_is_a_clear_error(
    retail: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["view", "render", "impact", "-f", "svg", "-w", str(retail)]) == 2
    assert "needs a start" in capsys.readouterr().err


def test_an_analysis_view_of_a_retired_element_says_it_is_retired(
    retail: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ea_repo.model import Status

    with Repository.open(retail) as repo:
        repo.store.set_status("element", ["srv-web01"], Status.RETIRED)
    args = ["view", "render", "impact", "--select", "srv-web01", "-f", "dot", "-w", str(retail)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "selects only retired elements (srv-web01)" in err and "ea show srv-web01" in err
    assert main([*args[:4], "no-such-thing", *args[5:]]) == 2
    assert "no element with id or name" in capsys.readouterr().err  # unknown, not retired


def test_a_report_shows_a_source_whose_last_run_failed(retail: Path, tmp_path: Path) -> None:
    from ea_repo import Repository
    from ea_repo.errors import Problem, SourceError
    from ea_repo.sync import SyncEngine

    with Repository.open(retail) as repo:
        problem = Problem("cpu_count: 'many' is not an integer", "cmdb_ci.csv", 6)
        SyncEngine(repo.store, repo.metamodel).record_failure(
            "fixture", "2026-01-02T03:04:05Z", SourceError("fixture: 1 problem", problems=[problem])
        )
    out = tmp_path / "impact.html"
    assert main(["report", "impact", "srv-esx01", "-o", str(out), "-w", str(retail)]) == 0
    body = " ".join(parse_html(out.read_text(encoding="utf-8")).text)
    assert "failed #" in body
    assert "1 problem(s), first: cmdb_ci.csv:6: cpu_count: 'many' is not an integer" in body
