"""How the analysis commands call the library: what they compute for each output format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import ea_repo.analysis.impact as impact_module


@pytest.mark.parametrize(("fmt", "paths"), [("json", True), ("table", True), ("dot", False)])
def test_paths_are_built_for_data_formats_only(
    ea, retail: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, paths: bool
) -> None:
    asked: list[Any] = []
    analyse = impact_module.analyse

    def spy(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("paths", True))
        return analyse(*args, **kwargs)

    monkeypatch.setattr(impact_module, "analyse", spy)
    result = ea("impact", "srv-esx01", "-f", fmt, "-o", tmp_path / f"out.{fmt}", "-w", retail)
    assert result.code == 0, result.err
    assert asked == [paths]


@pytest.fixture
def wms_retired(tmp_path: Path) -> Path:
    """The retail landscape after a sync retired the warehouse application and its relations."""
    from ea_repo import EVERYTHING, Repository, Status
    from tests.landscape import build

    root = build(tmp_path / "ws")
    with Repository.open(root) as repo, repo.store.transaction():
        relations = repo.store.relations_of(["app-wms"], EVERYTHING)
        repo.store.set_status("element", ["app-wms"], Status.RETIRED)
        repo.store.set_status("relation", [r.id for r in relations[:1]], Status.RETIRED)
    return root


@pytest.mark.parametrize(
    "command",
    [
        ["impact", "app-wms"],
        ["dependencies", "Warehouse Management (AS/400)"],
        ["decommission", "app-wms"],
        ["flows", "app-wms"],
        ["impact", "app-wms", "-f", "svg"],
        ["report", "impact", "app-wms"],
        ["report", "decommission", "app-wms"],
    ],
)
def test_a_retired_start_is_a_user_error_naming_it(
    ea, wms_retired: Path, tmp_path: Path, command: list[str]
) -> None:
    result = ea(*command, "-o", tmp_path / "out", "-w", wms_retired)
    assert result.code == 2, result.err
    assert "error: Warehouse Management (AS/400) (app-wms) is retired" in result.err
    assert "hint: `ea show app-wms`" in result.err
    assert ea("show", "app-wms", "-w", wms_retired).code == 0  # still there to inspect


def test_the_library_drops_or_refuses_a_retired_start(wms_retired: Path) -> None:
    from ea_repo import Repository
    from ea_repo.analysis.decommission import decommission
    from ea_repo.analysis.flows import data_flows
    from ea_repo.analysis.impact import analyse
    from ea_repo.errors import NotFoundError

    with Repository.open(wms_retired) as repo:
        store, mm = repo.store, repo.metamodel
        report = analyse(store, mm, ["app-wms", "app-oms"])
        assert [e.id for e in report.starts] == ["app-oms"]
        assert report.traversal.starts == ["app-oms"]
        assert analyse(store, mm, ["app-wms"]).affected == []
        with pytest.raises(NotFoundError, match="app-wms"):
            decommission(store, mm, "app-wms")
        with pytest.raises(NotFoundError, match="app-wms"):
            data_flows(store, mm, "app-wms")


def test_a_quoted_name_is_read_as_a_selector(ea, retail: Path) -> None:
    result = ea("impact", '"Order Management"', "-w", retail, "-f", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["starts"] == ["app-oms"]


def test_a_selector_is_resolved_without_looking_for_suggestions(
    retail: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ea_repo.selection as selection
    from ea_repo import Repository

    def no_suggestions(*args: Any) -> str:
        raise AssertionError("suggestions built for a selector")

    monkeypatch.setattr(selection, "suggest_elements", no_suggestions)
    with Repository.open(retail) as repo:
        assert repo.resolve("type:Datacenter") == ["dc-lyon", "dc-paris"]
