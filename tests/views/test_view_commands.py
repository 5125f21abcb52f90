"""The view and report commands over the retail landscape: what they write and how they fail."""

from __future__ import annotations

from pathlib import Path

from ea_repo import Repository
from ea_repo.cli import main
from ea_repo.views.build import build_view
from ea_repo.views.render import render
from ea_repo.views.spec import builtin_views


def test_an_html_page_is_headed_by_the_view_name(retail: Path, tmp_path: Path) -> None:
    with Repository.open(retail) as repo:
        graph = build_view(repo.store, repo.metamodel, builtin_views()["infrastructure"])
    page = render(graph, "html", "infrastructure").decode()
    assert "view infrastructure ·" in page
    out = tmp_path / "deps.html"
    assert main(["dependencies", "app-oms", "-f", "html", "-o", str(out), "-w", str(retail)]) == 0
    assert "view dependencies ·" in out.read_text(encoding="utf-8")


def test_a_bad_output_path_is_a_user_error(retail: Path, tmp_path: Path, capsys) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("", encoding="utf-8")
    for command in (
        ["view", "render", "infrastructure", "-f", "dot"],
        ["report", "impact", "srv-esx01"],
        ["impact", "srv-esx01", "-f", "dot"],
    ):
        for output in (tmp_path, in_the_way / "out"):
            capsys.readouterr()
            assert main([*command, "-o", str(output), "-w", str(retail)]) == 2
            assert f"error: cannot write {output}" in capsys.readouterr().err


def test_report_cells_read_like_table_cells(retail: Path) -> None:
    from ea_repo.output import cell_text
    from ea_repo.views.report import ReportTable, study_html

    value = {"ports": [80, 443], "tls": True, "owner": None}
    assert cell_text(value) == "ports=80, 443, tls=yes, owner="
    assert cell_text([["a", False], {"k": "v"}]) == "a, no, k=v"
    table = ReportTable("nested", ["value", "list"], [[value, [{"k": "v"}, None]]])
    with Repository.open(retail) as repo:
        page = study_html(
            repo,
            title="t",
            subtitle="s",
            summary=[],
            graph=build_view(repo.store, repo.metamodel, builtin_views()["infrastructure"]),
            tables=[table],
        )
    assert "ports=80, 443, tls=yes, owner=" in page
    assert "k=v, " in page
    assert "{&#39;" not in page and "[" not in table.rows[0][0]


def test_at_is_read_alike_by_every_command(retail: Path, tmp_path: Path, capsys) -> None:
    for command in (
        ["obsolescence"],
        ["view", "render", "infrastructure", "-o", str(tmp_path / "v.svg")],
        ["report", "obsolescence", "-o", str(tmp_path / "r.html")],
    ):
        capsys.readouterr()
        assert main([*command, "--at", "31/12/2026", "-w", str(retail)]) == 2
        err = capsys.readouterr().err
        assert err == "error: --at '31/12/2026' is not a date\nhint: write it as YYYY-MM-DD\n"


def test_view_list_and_show_need_no_store(
    retail: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.delenv("EA_WORKSPACE", raising=False)
    for command in (["view", "list"], ["view", "show", "infrastructure"]):
        capsys.readouterr()
        assert main(command) == 0, capsys.readouterr().err  # the built-in metamodel
        assert "infrastructure" in capsys.readouterr().out
    # a workspace whose store is unreachable still lists and shows its views
    config = retail / "ea.yaml"
    text = config.read_text(encoding="utf-8")
    assert "  backend: sqlite" in text
    neo4j = "  backend: neo4j\n  uri: bolt://127.0.0.1:9"
    config.write_text(text.replace("  backend: sqlite", neo4j), encoding="utf-8")
    assert main(["view", "show", "infrastructure", "-w", str(retail)]) == 0
    assert main(["stats", "-w", str(retail)]) == 3  # the store really is unreachable


def test_view_list_reads_no_metamodel(tmp_path: Path, capsys) -> None:
    # Listing views needs the workspace's views/ folder only: a metamodel being edited
    # (here, broken) does not stop it.
    (tmp_path / "ea.yaml").write_text("metamodel: metamodel.yaml\n", encoding="utf-8")
    (tmp_path / "metamodel.yaml").write_text("element_types: [\n", encoding="utf-8")
    assert main(["view", "list", "-f", "csv", "-w", str(tmp_path)]) == 0
    assert "application-landscape" in capsys.readouterr().out
