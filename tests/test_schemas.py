"""One document per result: what `-f json` prints of every analysis on the sample landscape
holds to the result's JSON Schema kept in the package, and the data an HTML study offers is
that same document.

The schemas are checked with jsonschema (a test dependency): a validator of the standard the
schemas are written in, which a consumer of the documents would use as well.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ea_repo.schemas import KINDS, schema
from ea_repo.views.report import embedded_data

INCIDENT_TIME = "2026-03-14T10:00"

# (kind, the command's arguments); every analysis, with the options that add to its document
ANALYSES = [
    ("impact", ["impact", "VCL-PAR-PROD01"]),
    ("impact", ["impact", "WMS Reflex", "--explain", "Operate warehouses"]),
    (
        "impact",
        ["impact", "DC Lyon Sud", "--scenario", "harmonise-invoicing", "--at", "2027-02-01"],
    ),
    ("dependencies", ["dependencies", "Webshop", "--layer", "technology"]),
    ("decommission", ["decommission", "WMS Reflex"]),
    ("flows", ["flows", "WMS Reflex", "-d", "2"]),
    ("flows", ["flows", "Customer", "--personal"]),
    ("waves", ["waves", 'in:"DC Lyon Sud"', "--max-size", "40"]),
    ("diagnose", ["diagnose", "CRM Dynamics", "SAP ECC", "Tagetik Consolidation"]),
    ("diagnose", ["diagnose", "--at", INCIDENT_TIME]),
    ("obsolescence", ["obsolescence", "--horizon", "6m"]),
    ("obsolescence", ["obsolescence", "--at", "2030-01-01", "--layer", "technology"]),
    ("health", ["health", "--at", INCIDENT_TIME]),
    ("health", ["health", "--layer", "technology"]),
]

# (the study's arguments, the analysis command printing the same document)
STUDIES = [
    (["impact", "VCL-PAR-PROD01"], ["impact", "VCL-PAR-PROD01"]),
    (["decommission", "WMS Reflex"], ["decommission", "WMS Reflex"]),
    (
        ["waves", 'in:"DC Lyon Sud"', "--max-size", "40"],
        ["waves", 'in:"DC Lyon Sud"', "--max-size", "40"],
    ),
    (["obsolescence", "--horizon", "6m"], ["obsolescence", "--horizon", "6m"]),
    (["health", "--at", INCIDENT_TIME], ["health", "--at", INCIDENT_TIME]),
    (
        ["impact", "DC Lyon Sud", "--at", "2027-02-01"],
        ["impact", "DC Lyon Sud", "--at", "2027-02-01"],
    ),
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace `ea demo` builds: the sample landscape, its incidents and scenarios."""
    from ea_repo.demo import build_demo

    root = tmp_path_factory.mktemp("sample") / "ws"
    build_demo(root)
    return root


def printed(ea: Any, sample: Path, args: list[str]) -> Any:
    result = ea(*args, "-f", "json", "-w", sample)
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_every_schema_is_a_valid_json_schema() -> None:
    for kind in (*KINDS, "dependencies"):
        jsonschema.Draft202012Validator.check_schema(schema(kind))
    with pytest.raises(KeyError):
        schema("no-such-analysis")


@pytest.mark.parametrize(("kind", "args"), ANALYSES, ids=[" ".join(a) for _, a in ANALYSES])
def test_the_json_of_every_analysis_holds_to_its_schema(
    ea: Any, sample: Path, kind: str, args: list[str]
) -> None:
    document = printed(ea, sample, args)
    jsonschema.validate(document, schema(kind), cls=jsonschema.Draft202012Validator)
    assert any(document.get(key) for key in document), "an empty answer proves nothing"


def test_what_the_options_add_is_in_the_schema_too(ea: Any, sample: Path) -> None:
    explained = printed(ea, sample, ["impact", "WMS Reflex", "--explain", "Operate warehouses"])
    assert explained["explain"]["paths"]
    at_incidents = printed(ea, sample, ["diagnose", "--at", INCIDENT_TIME])
    assert at_incidents["incidents"]
    marked = ["add", "Application", "--id", "WMS Reflex|Application", "--update"]
    assert ea(*marked, "--set", "lifecycle_phase_out=2027-01-01", "-w", sample).code == 0
    try:
        phasing = printed(ea, sample, ["impact", "DC Lyon Sud", "--at", "2027-02-01"])
    finally:
        assert ea(*marked, "--set", "lifecycle_phase_out=", "-w", sample).code == 0
    assert phasing["phasing_out"] == ["WMS Reflex|Application"]
    jsonschema.validate(phasing, schema("impact"))


def test_the_schema_refuses_a_document_that_drifted(ea: Any, sample: Path) -> None:
    document = printed(ea, sample, ["impact", "VCL-PAR-PROD01"])
    renamed = dict(document, affected=[dict(document["affected"][0], hops=2)])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(renamed, schema("impact"))
    missing = {k: v for k, v in document.items() if k != "starts"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(missing, schema("impact"))


@pytest.mark.parametrize(("study", "command"), STUDIES, ids=[" ".join(s) for s, _ in STUDIES])
def test_a_study_offers_the_document_the_command_prints(
    ea: Any, sample: Path, tmp_path: Path, study: list[str], command: list[str]
) -> None:
    page = tmp_path / "study.html"
    written = ea("report", *study, "-o", page, "-w", sample)
    assert written.code == 0, written.err
    assert embedded_data(page.read_text()) == printed(ea, sample, command)


def _library(repo: Any, command: str) -> Any:
    """What the library gives for ``command``: the objects the commands print."""
    from ea_repo.metamodel.describe import describe
    from ea_repo.repository import ElementList
    from ea_repo.scenarios import Book
    from ea_repo.scenarios.listing import describe_scenario, list_scenarios
    from ea_repo.views.describe import ViewList
    from ea_repo.views.spec import all_views

    book = Book(repo.workspace.root)
    return {
        "show": lambda: repo.describe("WMS Reflex"),
        "find": lambda: ElementList(repo.find(type_name="Server", limit=5)),
        "stats": repo.stats,
        "history": lambda: repo.run_log(50),
        "history-item": lambda: repo.item_history("WMS Reflex", 50),
        "metamodel": lambda: describe(repo.metamodel),
        "metamodel-type": lambda: describe(repo.metamodel, "Application"),
        "metamodel-relation": lambda: describe(repo.metamodel, "runs_on"),
        "scenario-list": lambda: list_scenarios(book, repo.store, repo.metamodel),
        "scenario-show": lambda: describe_scenario(
            book, "crm-replacement", repo.store, repo.metamodel
        ),
        "view-list": lambda: ViewList(all_views(repo.workspace.root)),
    }[command]()


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("show", ["show", "WMS Reflex"]),
        ("find", ["find", "--type", "Server", "--limit", "5"]),
        ("stats", ["stats"]),
        ("history", ["history"]),
        ("history-item", ["history", "WMS Reflex"]),
        ("metamodel", ["metamodel", "show"]),
        ("metamodel-type", ["metamodel", "show", "Application"]),
        ("metamodel-relation", ["metamodel", "show", "runs_on"]),
        ("scenario-list", ["scenario", "list"]),
        ("scenario-show", ["scenario", "show", "crm-replacement"]),
        ("view-list", ["view", "list"]),
    ],
)
def test_the_repositorys_own_results_print_what_the_library_gives(
    ea: Any, sample: Path, command: str, args: list[str]
) -> None:
    from ea_repo import Repository
    from ea_repo.output import Format, render
    from ea_repo.results import Result

    with Repository.open(sample) as repo:
        result = Result.of(_library(repo, command))
    assert printed(ea, sample, args) == json.loads(json.dumps(result.data, default=str))
    assert ea(*args, "-f", "csv", "-w", sample).out == render(result, Format.CSV)
    assert result.data and result.tables[0].rows


# (the web explorer's result page query, the analysis command printing the same document)
WEB = [
    ("impact", {"target": "VCL-PAR-PROD01"}, ["impact", "VCL-PAR-PROD01"]),
    ("dependencies", {"target": "Webshop"}, ["dependencies", "Webshop"]),
    ("decommission", {"target": "WMS Reflex"}, ["decommission", "WMS Reflex"]),
    (
        "waves",
        {"target": 'in:"DC Lyon Sud"', "max_size": "40"},
        ["waves", 'in:"DC Lyon Sud"', "--max-size", "40"],
    ),
    ("obsolescence", {"horizon": "6m"}, ["obsolescence", "--horizon", "6m"]),
]


@pytest.mark.parametrize(("kind", "query", "command"), WEB, ids=[k for k, _, _ in WEB])
def test_the_web_explorer_serves_the_document_the_command_prints(
    ea: Any, sample: Path, kind: str, query: dict[str, str], command: list[str]
) -> None:
    from ea_repo.repository import Repository
    from ea_repo.web.app import create_app

    with Repository.open(sample) as repo:
        response = (
            create_app(repo)
            .test_client()
            .get(f"/result/{kind}", query_string={**query, "format": "json"})
        )
        assert response.status_code == 200
        served = json.loads(response.data)
    assert served == printed(ea, sample, command)
    jsonschema.validate(served, schema(kind), cls=jsonschema.Draft202012Validator)
