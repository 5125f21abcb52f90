"""Each analysis report owns its presentation: the JSON document and the tables the
command prints are the report's own, read without a terminal library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ea_repo import Repository
from ea_repo.analysis.obsolescence import DEPENDENT_LAYERS
from ea_repo.output import Format, render
from ea_repo.results import Result

CASES = [
    ("impact", "srv-esx01", {}, ["impact", "srv-esx01"]),
    ("dependencies", "app-oms", {"max_depth": 2}, ["dependencies", "app-oms", "-d", "2"]),
    ("decommission", "app-oms", {}, ["decommission", "app-oms"]),
    ("flows", "app-oms", {"depth": 2}, ["flows", "app-oms", "-d", "2"]),
    ("flows", "do-customer", {}, ["flows", "do-customer"]),
    ("waves", 'in:"DC Paris 1"', {"max_size": 3}, ["waves", 'in:"DC Paris 1"', "--max-size", "3"]),
]


@pytest.mark.parametrize(("name", "target", "options", "args"), CASES)
def test_the_command_prints_the_reports_own_data_and_tables(
    ea, retail: Path, name: str, target: str, options: dict[str, Any], args: list[str]
) -> None:
    with Repository.open(retail) as repo:
        result = Result.of(repo.analyse(name, target, **options))
    printed = ea(*args, "-f", "json", "-w", retail)
    assert printed.code == 0, printed.err
    assert json.loads(printed.out) == result.data
    table = ea(*args, "-f", "csv", "-w", retail)
    assert table.out == render(result, Format.CSV)
    assert result.tables and all(t.title for t in result.tables)


def test_obsolescence_tables_list_the_dependents_of_the_layers_asked(retail: Path) -> None:
    import datetime as dt

    with Repository.open(retail) as repo:
        report = repo.analyse("obsolescence", at=dt.date(2100, 1, 1))
    dated, dependents = report.to_tables()
    assert dependents.title.startswith(f"depending on it ({', '.join(DEPENDENT_LAYERS)})")
    assert {row[3] for row in dependents.rows} <= set(DEPENDENT_LAYERS)
    _, technology = report.to_tables(["technology"])
    assert {row[3] for row in technology.rows} == {"technology"}
    assert len(dated.rows) == len(report.technologies)  # in 2100 everything dated is at risk
    assert report.to_data()["worst"] == "obsolete"


def test_path_steps_have_one_writer_and_the_labelled_shape_adds_the_label(retail: Path) -> None:
    with Repository.open(retail) as repo:
        report = repo.analyse("impact", "srv-esx01")
    step = next(a for a in report.affected if a.path).path[0]
    assert list(step.to_data()) == ["from", "relation", "to"]
    assert list(step.to_data(label=True)) == ["from", "relation", "label", "to"]
    assert report.to_data()["affected"][0]["path"][0] == report.affected[0].path[0].to_data(
        label=True
    )


def test_the_presentation_imports_no_terminal_library() -> None:
    code = (
        "import sys, ea_repo.results, ea_repo.analysis.registry, ea_repo.analysis.impact, "
        "ea_repo.analysis.decommission, ea_repo.analysis.flows, ea_repo.analysis.obsolescence, "
        "ea_repo.analysis.waves; "
        "print(sorted(m for m in ('rich', 'typer', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
