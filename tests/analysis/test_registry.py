"""The registry of analyses: each declared once, run through Repository.analyse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ea_repo import Repository
from ea_repo.analysis.impact import analyse as impact
from ea_repo.analysis.registry import ANALYSES, Starts
from ea_repo.errors import ValidationError
from ea_repo.model import CURRENT, EVERYTHING, Status
from ea_repo.selection import parse_selector
from ea_repo.views.spec import ANALYSES as VIEW_ANALYSES
from ea_repo.views.spec import builtin_views


def test_every_analysis_has_its_built_in_view_and_the_specs_know_them_all() -> None:
    views = builtin_views()
    assert tuple(ANALYSES) == VIEW_ANALYSES
    for name, kind in ANALYSES.items():
        assert views[kind.view].analysis == name


def test_analyse_resolves_the_starts_as_the_commands_do(retail: Path) -> None:
    with Repository.open(retail) as repo:
        report = repo.analyse("impact", "srv-esx01", max_depth=2)
        direct = impact(repo.store, repo.metamodel, repo.resolve("srv-esx01"), max_depth=2)
        assert [a.element.id for a in report.affected] == [a.element.id for a in direct.affected]
        assert report.affected and max(a.distance for a in report.affected) <= 2


def test_an_unknown_parameter_or_analysis_is_refused(retail: Path) -> None:
    with Repository.open(retail) as repo:
        with pytest.raises(ValidationError, match="has no parameter 'depth'"):
            repo.analyse("impact", "srv-esx01", depth=2)
        with pytest.raises(ValidationError, match="unknown analysis 'impacts'"):
            repo.analyse("impacts", "srv-esx01")
        with pytest.raises(ValidationError, match="needs a start"):
            repo.analyse("decommission")


def test_the_lens_reaches_obsolescence(tmp_path: Path) -> None:
    from tests.landscape import build

    far = dt.date(2100, 1, 1)  # every dated technology is past its end by then
    with Repository.open(build(tmp_path / "ws")) as repo:  # its own: an element is retired
        dated = repo.analyse("obsolescence", at=far).technologies
        assert dated
        gone = dated[0].element.id
        repo.store.set_status("element", [gone], Status.RETIRED)
        current = repo.analyse("obsolescence", at=far, lens=CURRENT).technologies
        everything = repo.analyse("obsolescence", at=far, lens=EVERYTHING).technologies
    assert gone not in {t.element.id for t in current}
    assert gone in {t.element.id for t in everything}


@pytest.mark.parametrize("name", [n for n, a in ANALYSES.items() if a.starts is Starts.ONE])
def test_an_analysis_of_one_element_refuses_a_selector_of_several(retail: Path, name: str) -> None:
    with (
        Repository.open(retail) as repo,
        pytest.raises(ValidationError, match="about one element"),
    ):
        repo.analyse(name, parse_selector("type:Application"))


def test_layers_are_checked_by_the_registry_for_every_analysis_that_takes_them(
    retail: Path,
) -> None:
    takes = [n for n, a in ANALYSES.items() if any(p.name == "layers" for p in a.params)]
    assert takes == ["impact", "dependencies", "waves", "health"]
    with Repository.open(retail) as repo:
        for name in takes:
            with pytest.raises(ValidationError, match="unknown layer 'bizness'"):
                repo.analyse(name, "srv-esx01", layers=["bizness"])
