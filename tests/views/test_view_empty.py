"""Empty results are drawn: real Graphviz output that says the view holds nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ea_repo.cli import main
from ea_repo.config import init_workspace
from ea_repo.views.graph import EMPTY_NOTE

SVG = "{http://www.w3.org/2000/svg}"


def svg_text(path: Path) -> str:
    root = ET.fromstring(path.read_bytes())
    return " ".join(t.text or "" for t in root.iter(f"{SVG}text"))


@pytest.mark.parametrize(
    "view", ["application-landscape", "capability-map", "infrastructure", "flow-map"]
)
def test_a_view_of_an_empty_workspace_is_a_drawing_saying_so(
    tmp_path: Path, capsys, view: str
) -> None:
    root = init_workspace(tmp_path / "ws")
    out = tmp_path / f"{view}.svg"
    code = main(["view", "render", view, "-f", "svg", "-o", str(out), "-w", str(root)])
    assert code == 0, capsys.readouterr().err
    assert EMPTY_NOTE in svg_text(out)


def test_a_capability_map_without_capabilities_says_so(tmp_path: Path, capsys) -> None:
    root = init_workspace(tmp_path / "ws")
    assert main(["add", "Application", "--id", "crm", "-w", str(root)]) == 0
    out = tmp_path / "caps.png"
    code = main(["view", "render", "capability-map", "-f", "png", "-o", str(out), "-w", str(root)])
    assert code == 0, capsys.readouterr().err
    assert out.read_bytes().startswith(b"\x89PNG")
    dot = tmp_path / "caps.dot"
    assert (
        main(["view", "render", "capability-map", "-f", "dot", "-o", str(dot), "-w", str(root)])
        == 0
    )
    assert EMPTY_NOTE in dot.read_text(encoding="utf-8")


def test_obsolescence_long_ago_is_an_empty_study(retail: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "obsolescence.html"
    code = main(["report", "obsolescence", "--at", "1990-01-01", "-o", str(out), "-w", str(retail)])
    assert code == 0, capsys.readouterr().err
    page = out.read_text(encoding="utf-8")
    assert "<svg" in page and EMPTY_NOTE in page
    svg = tmp_path / "obsolescence.svg"
    code = main(
        ["obsolescence", "--at", "1990-01-01", "-f", "svg", "-o", str(svg), "-w", str(retail)]
    )
    assert code == 0, capsys.readouterr().err
    assert EMPTY_NOTE in svg_text(svg)


def test_waves_with_nothing_to_move_draw_an_empty_plan(
    retail: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "waves.svg"
    # Business processes do not move: nothing is left to plan.
    code = main(["waves", "type:BusinessProcess", "-f", "svg", "-o", str(out), "-w", str(retail)])
    assert code == 0, capsys.readouterr().err
    assert EMPTY_NOTE in svg_text(out)
