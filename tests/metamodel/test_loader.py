"""Loading metamodel files: every mistake is reported as file:line: problem — hint."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ea_repo.errors import MetamodelError
from ea_repo.metamodel import AttrType, Dependent, load_metamodel
from ea_repo.model import Direction, Step
from ea_repo.timeline import ATTRIBUTES, DESCRIPTIONS

LIFECYCLE = set(ATTRIBUTES.values())

GOOD = """\
name: test
version: "2"
common_attributes:
  owner: email
element_types:
  Node:
    layer: technology
    attributes:
      hostname: {type: string, unique: true}
      environment: {type: enum, values: [production, test], default: production}
  Server:
    extends: Node
    attributes:
      rack: string
  Application:
    layer: application
    attributes:
      criticality: enum(low, high)
      go_live: date
      users: int
relationship_types:
  runs_on:
    from: Application
    to: [Node]
    dependent: source
    label: runs on
    reverse_label: hosts
  flow:
    from: Application
    to: Application
    dependent: target
    attributes:
      protocol: string
  member_of:
    from: Server
    to: Node
    dependent: target
    redundant: true
    hosting: true
lifecycle:
  end_of_support: [go_live]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mm.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(MetamodelError) as info:
        load_metamodel(path)
    assert info.value.problems, "a metamodel error must list its problems"
    return [str(p).replace(str(path), "mm.yaml") for p in info.value.problems]


def test_a_good_file_loads_with_inheritance_and_steps(tmp_path: Path) -> None:
    mm = load_metamodel(write(tmp_path, GOOD))
    server = mm.element_types["Server"]
    assert server.layer == "technology"
    assert set(server.attributes) == {"owner", "hostname", "environment", "rack", *LIFECYCLE}
    assert server.attributes["environment"].default == "production"
    assert mm.element_types["Application"].attributes["criticality"].values == ("low", "high")
    assert mm.element_types["Application"].attributes["go_live"].type is AttrType.DATE
    runs_on = mm.relation_types["runs_on"]
    assert runs_on.targets == {"Node", "Server"}  # subtypes are allowed where the parent is
    assert runs_on.dependent is Dependent.SOURCE
    assert (runs_on.label, runs_on.reverse_label) == ("runs on", "hosts")
    assert mm.relation_types["member_of"].redundant
    assert mm.hosting_types == ("member_of",) and not runs_on.hosting
    assert mm.relation_types["member_of"].neo4j_type == "MEMBER_OF"
    assert mm.impact_steps() == (
        Step("flow", Direction.OUT),
        Step("member_of", Direction.OUT),
        Step("runs_on", Direction.IN),
    )
    assert mm.dependency_steps(["runs_on"]) == (Step("runs_on", Direction.OUT),)
    assert mm.is_a("Server", "Node") and not mm.is_a("Node", "Server")
    assert mm.lifecycle.end_of_support == ("go_live",)
    assert mm.element_type("server") is server  # case-insensitive lookup


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "element_types:\n  App:\n    layer: application\n    attributes:\n      x: strin\n",
            "mm.yaml:5: unknown attribute type 'strin' for App.x — did you mean 'string'?",
        ),
        (
            "element_types:\n  App:\n    layer: application\n"
            "relationship_types:\n  runs_on:\n    from: App\n    to: Servr\n    dependent: source\n",
            "mm.yaml:7: `to` of 'runs_on' names unknown element type 'Servr'",
        ),
        (
            "element_types:\n  My-App:\n    layer: application\n",
            "mm.yaml:2: element type name 'My-App' is not a valid identifier",
        ),
        (
            "element_types:\n  App:\n    layer: application\n  App:\n    layer: business\n",
            "mm.yaml:4: invalid YAML: duplicate key 'App'",
        ),
        (
            "element_types:\n  App:\n    layer: application\n   bad: [\n",
            "mm.yaml:4: invalid YAML",
        ),
        (
            "element_types:\n  App:\n    layer: aplication\n",
            "mm.yaml:3: unknown layer 'aplication' for element type 'App' — did you mean 'application'?",
        ),
        (
            "element_types:\n  App:\n    layer: application\n"
            "relationship_types:\n  flow:\n    from: App\n    to: App\n    dependent: receiver\n",
            "mm.yaml:8: dependent of 'flow' is 'receiver' — use source, target, both or none",
        ),
        (
            "element_types:\n  App:\n    layer: application\n    attributes:\n      name: string\n",
            "mm.yaml:5: attribute name 'name' of App is reserved",
        ),
        (
            "element_types:\n  App:\n    layer: application\n    attributes:\n"
            "      c: {type: enum, values: [a, b], default: z}\n",
            "mm.yaml:5: default of App.c is invalid: 'z' is not one of a, b",
        ),
        (
            "element_types:\n  App:\n    layer: application\n    colour: red\n",
            "mm.yaml:4: unknown key 'colour' in element type 'App'",
        ),
        (
            "element_types:\n  A:\n    extends: B\n  B:\n    extends: A\n",
            "extends itself",
        ),
        (
            "element_types:\n  App:\n    layer: application\n  app:\n    layer: application\n",
            "mm.yaml:4: element type 'app' differs from 'App' only by case",
        ),
        (
            "element_types:\n  App:\n    layer: application\n"
            "relationship_types:\n  App:\n    from: App\n    to: App\n    dependent: none\n",
            "mm.yaml:5: 'App' is both an element type and a relationship type",
        ),
        (
            "element_types:\n  App:\n    layer: application\n"
            "relationship_types:\n  r:\n    from: App\n    to: App\n    dependent: both\n    redundant: true\n",
            "mm.yaml:9: 'r' is redundant but its dependent is both",
        ),
        (
            "element_types:\n  App:\n    layer: application\nlifecycle:\n  end_of_life: [eol]\n",
            "mm.yaml:5: lifecycle.end_of_life names 'eol', which is no date attribute of any element type",
        ),
        ("- just\n- a list\n", "mm.yaml:1: a metamodel must be a YAML mapping"),
        (
            "element_types:\n  App:\n    layer: application\n"
            "relationship_types:\n  flow:\n    from: App\n    to: App\n    dependent: target\n    impact: sideways\n",
            "mm.yaml:9: impact of 'flow' is 'sideways' — use down",
        ),
        (
            "element_types:\n  App:\n    layer: application\n"
            "relationship_types:\n  r:\n    from: App\n    to: App\n    dependent: source\n    hosting: yes please\n",
            "mm.yaml:9: hosting of 'r' must be true or false",
        ),
        (
            "element_types:\n  App:\n    layer: application\n"
            "relationship_types:\n  r:\n    from: App\n    to: App\n    dependent: none\n    hosting: true\n",
            "mm.yaml:9: 'r' is hosting but its dependent is none — the dependent end is the one hosted",
        ),
        (
            "element_types:\n  App:\n    layer: application\n"
            "relationship_types:\n  flow:\n    from: App\n    to: App\n    dependent: target\n"
            "    impact: degraded\n    hosting: true\n",
            "mm.yaml:10: 'flow' is hosting but its impact is degraded",
        ),
    ],
)
def test_each_mistake_is_located_and_explained(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(tmp_path, text)
    assert any(p.startswith(expected) or expected in p for p in found), found


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "element_types:\n  A:\n    layer: nowhere\n  B:\n    layer: application\n"
        "    attributes:\n      x: colour\n",
    )
    assert len(found) == 2
    assert found[0].startswith("mm.yaml:3:") and found[1].startswith("mm.yaml:7:")


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(MetamodelError, match="file not found"):
        load_metamodel(tmp_path / "nope.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: m\u00e9tamod\u00e8le\n".encode("latin-1"))
    with pytest.raises(MetamodelError, match="not UTF-8"):
        load_metamodel(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "element_types:\n  A:\n    layer: business\n    extends: [B]\n",
            "mm.yaml:4: extends of 'A' must be one type name",
        ),
        (
            "element_types:\n  A:\n    layer: business\n    abstract: 'no'\n",
            "mm.yaml:4: abstract of 'A' must be true or false",
        ),
        (
            "element_types:\n  A:\n    layer: business\n    attributes:\n"
            "      owner: {type: string, recommended: maybe}\n",
            "mm.yaml:5: recommended of A.owner must be true or false",
        ),
        (
            "element_types:\n  A:\n    layer: business\nlifecycle:\n  end_of_support: 5\n",
            "mm.yaml:5: lifecycle.end_of_support must be an attribute name or a list of them",
        ),
        (
            "element_types:\n  A:\n    layer: business\nrelationship_types:\n"
            "  uses: {from: A, to: A, dependent: source}\n  Uses: {from: A, to: A, dependent: source}\n",
            "mm.yaml:6: relationship type 'Uses' clashes with 'uses'",
        ),
        (
            "element_types:\n  A:\n    layer: business\nrelationship_types:\n"
            "  runs_on: {from: A, to: A, dependent: source}\n  runsOn: {from: A, to: A, dependent: source}\n",
            "mm.yaml:6: relationship type 'runsOn' clashes with 'runs_on'",
        ),
    ],
)
def test_malformed_values_are_errors_not_crashes(tmp_path: Path, text: str, expected: str) -> None:
    found = problems(tmp_path, text)
    assert any(p.startswith(expected) for p in found), found


def test_a_broken_parent_is_reported_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "element_types:\n  C:\n    extends: X\n  D:\n    extends: C\n  E:\n    extends: C\n",
    )
    assert found == [
        "mm.yaml:3: element type 'C' extends unknown type 'X' — declare the parent type"
    ]


def test_every_type_of_any_metamodel_has_the_lifecycle_dates(tmp_path: Path) -> None:
    for mm in (load_metamodel(write(tmp_path, GOOD)), load_metamodel()):
        kinds = [*mm.element_types.values(), *mm.relation_types.values()]
        for kind in kinds:
            dated = {n: a for n, a in kind.attributes.items() if n in LIFECYCLE}
            assert list(dated) == list(ATTRIBUTES.values()), kind.name
            assert {a.type for a in dated.values()} == {AttrType.DATE}
            assert [a.description for a in dated.values()] == list(DESCRIPTIONS.values())
    # A server's support dates (from its vendor) stay what they were.
    server = load_metamodel().element_types["Server"].attributes
    assert server["end_of_life"].type is AttrType.DATE and "end_of_life" not in LIFECYCLE


def test_a_metamodel_may_declare_a_lifecycle_date_as_a_date(tmp_path: Path) -> None:
    mm = load_metamodel(
        write(
            tmp_path,
            """\
            common_attributes:
              lifecycle_plan: {type: date, description: "Decided by the board"}
            element_types:
              Node: {layer: technology}
              Server:
                extends: Node
                attributes:
                  lifecycle_active: date
            """,
        )
    )
    server = mm.element_types["Server"].attributes
    assert server["lifecycle_plan"].description == "Decided by the board"
    assert list(server)[-5:] == list(ATTRIBUTES.values())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "element_types:\n  App:\n    layer: application\n    attributes:\n"
            "      lifecycle_active: string\n",
            "mm.yaml:5: App.lifecycle_active is declared as string, but lifecycle_active is a lifecycle date",
        ),
        (
            "common_attributes:\n  lifecycle_plan: {type: enum, values: [a, b]}\n"
            "element_types:\n  App: {layer: application}\n",
            "mm.yaml:2: common_attributes.lifecycle_plan is declared as enum, but lifecycle_plan is a lifecycle date",
        ),
        (
            "element_types:\n  App: {layer: application}\nrelationship_types:\n  flow:\n"
            "    from: App\n    to: App\n    dependent: target\n    attributes:\n"
            "      lifecycle_end_of_life: int\n",
            "mm.yaml:9: flow.lifecycle_end_of_life is declared as int, but lifecycle_end_of_life is a lifecycle date",
        ),
    ],
)
def test_a_lifecycle_date_declared_with_another_type_is_an_error_at_its_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    (problem,) = problems(tmp_path, text)
    assert problem.startswith(expected)


def test_recommended_attributes(tmp_path: Path) -> None:
    mm = load_metamodel(
        write(
            tmp_path,
            "element_types:\n  Node:\n    layer: technology\n    attributes:\n"
            "      location: {type: string, recommended: true}\n      rack: string\n"
            "  Server:\n    extends: Node\n",
        )
    )
    server = mm.element_types["Server"].attributes
    assert server["location"].recommended and not server["location"].required
    assert not server["rack"].recommended
