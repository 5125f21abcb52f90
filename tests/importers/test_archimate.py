"""ArchiMate exchange files: import, export and round trip, on files written for the tests."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from defusedxml.ElementTree import parse as safe_parse

from ea_repo import Repository
from ea_repo.errors import SourceError
from ea_repo.importers.archimate import (
    NS,
    XSI_TYPE,
    ArchimateImporter,
    load_archimate_mapping,
)
from ea_repo.metamodel import load_metamodel
from ea_repo.model import CURRENT, EVERYTHING, Record

DATA = Path(__file__).parent.parent / "data" / "archimate"
EVERY = DATA / "every_type.xml"

# Every ArchiMate 3.1 element type of every_type.xml and the metamodel type it becomes.
EXPECTED_ELEMENTS = {
    "Resource": "Resource", "Capability": "Capability", "ValueStream": "ValueStream",
    "CourseOfAction": "CourseOfAction", "BusinessActor": "BusinessActor",
    "BusinessRole": "BusinessRole", "BusinessCollaboration": "BusinessCollaboration",
    "BusinessInterface": "BusinessInterface", "BusinessProcess": "BusinessProcess",
    "BusinessFunction": "BusinessFunction", "BusinessInteraction": "BusinessInteraction",
    "BusinessEvent": "BusinessEvent", "BusinessService": "BusinessService",
    "BusinessObject": "BusinessObject", "Contract": "Contract", "Representation": "Representation",
    "Product": "Product", "ApplicationComponent": "Application",
    "ApplicationCollaboration": "ApplicationCollaboration",
    "ApplicationInterface": "ApplicationInterface", "ApplicationFunction": "ApplicationFunction",
    "ApplicationInteraction": "ApplicationInteraction", "ApplicationProcess": "ApplicationProcess",
    "ApplicationEvent": "ApplicationEvent", "ApplicationService": "ApplicationService",
    "DataObject": "DataObject", "Node": "Node", "Device": "Device",
    "SystemSoftware": "SystemSoftware", "TechnologyCollaboration": "TechnologyCollaboration",
    "TechnologyInterface": "TechnologyInterface", "Path": "Path", "CommunicationNetwork": "Network",
    "TechnologyFunction": "TechnologyFunction", "TechnologyProcess": "TechnologyProcess",
    "TechnologyInteraction": "TechnologyInteraction", "TechnologyEvent": "TechnologyEvent",
    "TechnologyService": "TechnologyService", "Artifact": "Artifact", "Equipment": "Equipment",
    "Facility": "Facility", "DistributionNetwork": "DistributionNetwork", "Material": "Material",
    "Stakeholder": "Stakeholder", "Driver": "Driver", "Assessment": "Assessment", "Goal": "Goal",
    "Outcome": "Outcome", "Principle": "Principle", "Requirement": "Requirement",
    "Constraint": "Constraint", "Meaning": "Meaning", "Value": "Value",
    "WorkPackage": "WorkPackage", "Deliverable": "Deliverable",
    "ImplementationEvent": "ImplementationEvent", "Plateau": "Plateau", "Gap": "Gap",
    "Grouping": "Grouping", "Location": "Location",
}  # fmt: skip

EXPECTED_RELATIONS = {
    ("r-composition", "e-ApplicationComponent", "composed_of", "e-ApplicationInterface"),
    ("r-aggregation", "e-Grouping", "aggregates", "e-BusinessActor"),
    ("r-assignment", "e-BusinessActor", "assigned_to", "e-BusinessRole"),
    ("r-realization", "e-ApplicationService", "realizes", "e-BusinessService"),
    ("r-serving", "e-ApplicationService", "serves", "e-BusinessProcess"),
    ("r-access", "e-ApplicationComponent", "accesses", "e-DataObject"),
    ("r-access-read", "e-BusinessProcess", "accesses", "e-BusinessObject"),
    ("r-influence", "e-Driver", "influences", "e-Goal"),
    ("r-triggering", "e-BusinessEvent", "triggers", "e-BusinessProcess"),
    ("r-flow", "e-ApplicationComponent", "flow", "e-crm"),
    ("r-specialization", "e-Node", "specializes", "e-Device"),
    ("r-association", "e-Stakeholder", "associated_with", "e-Goal"),
    ("r-serving-node", "e-Node", "serves", "e-ApplicationComponent"),
    ("r-serving-artifact", "e-Artifact", "associated_with", "e-ApplicationProcess"),
    # through the and-junction, then the or-junction
    ("r-j1..r-j3..r-j4", "e-BusinessEvent", "triggers", "e-BusinessProcess"),
    ("r-j2..r-j3..r-j4", "e-ApplicationEvent", "triggers", "e-BusinessProcess"),
}


@pytest.fixture(scope="module")
def records() -> dict[str, Record]:
    batch = ArchimateImporter(load_metamodel()).read(EVERY)
    assert batch.problems == []
    return {r.key or "": r for r in batch.records}


def test_every_element_type_maps_to_its_metamodel_type(records: dict[str, Record]) -> None:
    got = {(r.key, r.type) for r in records.values() if r.kind == "element"}
    expected = {(f"e-{a}", t) for a, t in EXPECTED_ELEMENTS.items()}
    expected |= {("e-crm", "Application"), ("e-orders", "DataObject")}
    assert got == expected
    assert records["e-Grouping"].name == "Grouping one"


def test_the_shipped_mapping_covers_every_archimate_type() -> None:
    mapping = load_archimate_mapping(None, load_metamodel())
    assert set(EXPECTED_ELEMENTS) | {"AndJunction", "OrJunction"} == set(mapping.elements)
    assert set(mapping.relationships) == {
        "Composition", "Aggregation", "Assignment", "Realization", "Serving", "Access",
        "Influence", "Triggering", "Flow", "Specialization", "Association",
    }  # fmt: skip


def test_every_relationship_type_and_junction_chains(records: dict[str, Record]) -> None:
    got = {
        (r.key, r.src.value, r.type, r.dst.value)
        for r in records.values()
        if r.kind == "relation" and r.src and r.dst
    }
    assert got == EXPECTED_RELATIONS


def test_relationship_attributes(records: dict[str, Record]) -> None:
    assert records["r-access"].attrs == {"mode": "readwrite"}
    assert records["r-access-read"].attrs == {"mode": "read"}
    assert records["r-influence"].attrs == {"modifier": "++"}
    assert records["r-association"].attrs == {"directed": True}
    assert records["r-serving-artifact"].attrs == {"archimate_type": "Serving"}
    assert records["r-flow"].attrs == {
        "title": "orders feed",
        "description": "Nightly batch.",
        "protocol": "SFTP",
        "properties": {"Cost centre": "CC-40"},
        "folder": "Relations",
    }


def test_properties_languages_and_folders(records: dict[str, Record]) -> None:
    crm = records["e-crm"]
    assert crm.name == "Customer relations"
    assert crm.attrs == {
        "names": {"en": "Customer relations", "fr": "Relation client"},
        "description": "Sales & service front office.",
        "descriptions": {
            "en": "Sales & service front office.",
            "fr": "Front office vente & service.",
        },
        "folder": "Application/Front office",
        "criticality": "high",
        "users": 1200,
        "go_live_date": "2019-04-01",
        "properties": {"Cost centre": "CC-12"},
    }
    # "Very high" is no criticality of a DataObject (it has none): kept as a property.
    assert records["e-orders"].attrs == {
        "personal_data": True,
        "properties": {"Criticality": "Very high"},
    }
    assert records["e-DataObject"].attrs == {"folder": "Application"}


def test_a_preferred_language_chooses_the_display_name(tmp_path: Path) -> None:
    mapping_file = tmp_path / "fr.yaml"
    mapping_file.write_text("language: fr\n")
    mm = load_metamodel()
    batch = ArchimateImporter(mm, load_archimate_mapping(mapping_file, mm)).read(EVERY)
    crm = next(r for r in batch.records if r.key == "e-crm")
    assert (crm.name, crm.attrs["description"]) == (
        "Relation client",
        "Front office vente & service.",
    )


def test_relationships_to_relationships_are_left_out_and_reported() -> None:
    batch = ArchimateImporter(load_metamodel()).read(EVERY)
    assert "r-note" not in {r.key for r in batch.records}
    assert sum(batch.skipped.values()) == 1
    assert any(
        "from or to another relationship" in str(w) and "r-note" in str(w) for w in batch.warnings
    )
    assert any("2 junction(s) resolved into 2 direct relation(s)" in str(w) for w in batch.warnings)


_HEAD = (
    f'<?xml version="1.0"?>\n<model xmlns="{NS}" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" identifier="m">\n'
)


def test_junction_chains_that_lead_nowhere_are_reported(tmp_path: Path) -> None:
    # a → j1 → j2 with nothing after j2, and b → j3 → j4 → j3 (a loop): no chain reaches
    # an element, so the five relationships are left out, and said to be.
    elements = [("a", "Node"), ("b", "Node"), ("j1", "AndJunction"), ("j2", "AndJunction")]
    elements += [("j3", "OrJunction"), ("j4", "OrJunction")]
    relationships = [("r1", "a", "j1"), ("r2", "j1", "j2"), ("r3", "b", "j3")]
    relationships += [("r4", "j3", "j4"), ("r5", "j4", "j3")]
    model = tmp_path / "dead_ends.xml"
    model.write_text(
        _HEAD
        + "<elements>\n"
        + "".join(
            f'<element identifier="{i}" xsi:type="{t}"><name>{i}</name></element>\n'
            for i, t in elements
        )
        + "</elements>\n<relationships>\n"
        + "".join(
            f'<relationship identifier="{i}" xsi:type="Triggering" source="{s}" target="{t}"/>\n'
            for i, s, t in relationships
        )
        + "</relationships>\n</model>\n"
    )
    batch = ArchimateImporter(load_metamodel()).read(model)
    assert batch.problems == []
    assert {r.key for r in batch.records} == {"a", "b"}
    assert [str(w) for w in batch.warnings if "junction" in str(w)] == [
        f"{model}: left out 5 relationship(s) to or from junctions that join nothing on "
        "their other side"
    ]


def test_folders_and_junction_chains_thousands_deep_are_read(tmp_path: Path) -> None:
    # Deeper than Python's recursion limit: both are walked with stacks of their own.
    deep = 3000
    junctions = "".join(
        f'<element identifier="j{i}" xsi:type="AndJunction"><name>j</name></element>'
        for i in range(deep)
    )
    links = "".join(
        f'<relationship identifier="r{i + 1}" xsi:type="Serving" source="j{i}" target="j{i + 1}"/>'
        for i in range(deep - 1)
    )
    folders = "".join(f"<item><label>F{i}</label>" for i in range(deep))
    model = tmp_path / "deep.xml"
    model.write_text(
        _HEAD
        + '<elements><element identifier="a" xsi:type="Node"><name>A</name></element>'
        + '<element identifier="b" xsi:type="Node"><name>B</name></element>'
        + junctions
        + "</elements><relationships>"
        + '<relationship identifier="r0" xsi:type="Serving" source="a" target="j0"/>'
        + links
        + f'<relationship identifier="rz" xsi:type="Serving" source="j{deep - 1}" target="b"/>'
        + "</relationships><organizations>"
        + folders
        + '<item identifierRef="a"/>'
        + "</item>" * deep
        + "</organizations></model>\n"
    )
    batch = ArchimateImporter(load_metamodel()).read(model)
    assert batch.problems == []
    records = {r.key: r for r in batch.records}
    assert records["a"].attrs["folder"] == "/".join(f"F{i}" for i in range(deep))
    [chained] = [r for r in batch.records if r.kind == "relation"]  # a → 3000 junctions → b
    assert chained.key is not None and chained.key.startswith("r0..r1..r2..")
    assert chained.key.endswith(f"..r{deep - 1}..rz")
    assert chained.src is not None and chained.dst is not None
    assert (chained.src.value, chained.dst.value) == ("a", "b")


def test_a_bad_mapping_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("elements:\n  Node: Computer\nrelationships:\n  Flow: sends\n")
    with pytest.raises(SourceError) as err:
        load_archimate_mapping(bad, load_metamodel())
    found = {(p.line, p.message.split(",")[0]) for p in err.value.problems}
    assert found == {
        (2, "ArchiMate Node maps to 'Computer'"),
        (4, "ArchiMate Flow maps to 'sends'"),
    }


def test_an_unknown_key_in_a_mapping_is_located_with_the_keys_allowed(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("language: fr\nelemnts:\n  Node: Node\nviews: {}\n")
    with pytest.raises(SourceError) as err:
        load_archimate_mapping(bad, load_metamodel())
    assert [(p.file, p.line, p.message, p.hint) for p in err.value.problems] == [
        (str(bad), 2, "unknown key 'elemnts'", "did you mean 'elements'?"),
        (
            str(bad),
            4,
            "unknown key 'views'",
            "allowed keys: elements, export_elements, export_relationships, fallback, "
            "language, properties, relationships",
        ),
    ]


def test_a_bad_export_entry_is_a_located_problem_not_a_crash(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "export_relationships:\n"
        "  runs_on: {type: [Node]}\n"
        "  hosted_on: {type: Servin}\n"
        "  uses: {type: Serving, reverse: maybe}\n"
        "export_elements:\n"
        "  Database: [DataObject]\n"
    )
    with pytest.raises(SourceError) as err:
        load_archimate_mapping(bad, load_metamodel())
    found = {(p.file, p.line, p.message.split(" is exported")[0]) for p in err.value.problems}
    assert found == {
        (str(bad), 2, "runs_on"),
        (str(bad), 3, "hosted_on"),
        (str(bad), 4, "uses"),
        (str(bad), 6, "Database"),
    }
    assert any(p.hint == "did you mean 'Serving'?" for p in err.value.problems)


def test_unmapping_a_type_drops_the_shipped_exports_written_as_it(tmp_path: Path) -> None:
    user = tmp_path / "m.yaml"
    user.write_text("relationships:\n  Serving: null\nelements:\n  DataObject: null\n")
    mapping = load_archimate_mapping(user, load_metamodel())
    assert "Serving" not in mapping.relationships
    assert "runs_on" not in mapping.export_relationships
    assert mapping.export_relationships["member_of"] == ("Aggregation", True)
    assert "Database" not in mapping.export_elements
    assert mapping.archimate_relationship_type("runs_on") is None


def test_an_own_export_entry_to_an_unmapped_type_is_the_users_mistake(tmp_path: Path) -> None:
    user = tmp_path / "m.yaml"
    user.write_text(
        "relationships:\n  Serving: null\nexport_relationships:\n  runs_on: {type: Serving}\n"
    )
    with pytest.raises(SourceError) as err:
        load_archimate_mapping(user, load_metamodel())
    assert [(p.file, p.line) for p in err.value.problems] == [(str(user), 4)]


def test_the_exported_type_follows_the_mapping_read_backwards() -> None:
    mm = load_metamodel()
    mapping = load_archimate_mapping(None, mm)
    assert mapping.archimate_element_type("Application", mm) == "ApplicationComponent"
    assert mapping.archimate_element_type("Node", mm) == "Node"
    assert mapping.archimate_element_type("Server", mm) == "Node"  # through its parent
    assert mapping.archimate_element_type("NoSuchType", mm) is None
    assert mapping.archimate_relationship_type("serves") == ("Serving", False)
    assert mapping.archimate_relationship_type("runs_on") == ("Serving", True)


def test_a_mapping_that_is_not_yaml_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("elements:\n  Node: [Server\n")
    with pytest.raises(SourceError) as err:
        load_archimate_mapping(bad, load_metamodel())
    assert [(p.file, p.line) for p in err.value.problems] == [(str(bad), 3)]
    assert str(err.value).startswith(f"{bad}:3: invalid YAML")


# ---------------------------------------------------------------- through the CLI


def _dump(workspace: Path) -> tuple[set[Any], set[Any]]:
    with Repository.open(workspace) as repo:
        elements = {
            (e.id, e.type, e.name, repr(sorted(e.attrs.items())))
            for e in repo.store.iter_elements()
        }
        relations = {
            (r.id, r.src, r.type, r.dst, repr(sorted(r.attrs.items())))
            for r in repo.store.iter_relations()
        }
    return elements, relations


def _counts(workspace: Path) -> tuple[int, int, int]:
    with Repository.open(workspace) as repo:
        elements = sum(1 for _ in repo.store.iter_elements(EVERYTHING))
        relations = sum(1 for _ in repo.store.iter_relations(EVERYTHING))
        runs = len(repo.store.runs())
    return elements, relations, runs


def test_round_trip_import_export_import(ea, workspace: Path, tmp_path: Path) -> None:
    assert ea("import", "archimate", EVERY, "--source", "archi").code == 0
    exported = tmp_path / "model.xml"
    result = ea("export", "archimate", "-o", exported)
    assert result.code == 0, result.err
    again = tmp_path / "again.xml"
    assert ea("export", "archimate", "-o", again).code == 0
    assert exported.read_bytes() == again.read_bytes()  # deterministic

    other = tmp_path / "other"
    assert ea("init", other).code == 0
    assert ea("import", "archimate", exported, "--source", "archi", "-w", other).code == 0
    first, second = _dump(workspace), _dump(other)
    assert second == first
    assert len(first[0]) == 62 and len(first[1]) == 16
    # The same workspace, the same source: the export is recognised as unchanged.
    result = ea("import", "archimate", exported, "--source", "archi", "-f", "json")
    assert '"unchanged": 62' in result.out and '"unchanged": 16' in result.out


def test_export_is_a_valid_exchange_file(ea, workspace: Path, tmp_path: Path) -> None:
    assert ea("import", "archimate", EVERY, "--source", "archi").code == 0
    out = tmp_path / "model.xml"
    assert ea("export", "archimate", "-o", out).code == 0
    root = safe_parse(out).getroot()
    q = lambda tag: f"{{{NS}}}{tag}"  # noqa: E731
    assert root.tag == q("model")
    # The schema's sequence: name, elements, relationships, organizations, propertyDefinitions.
    order = [c.tag for c in root]
    assert order == [
        q("name"),
        q("elements"),
        q("relationships"),
        q("organizations"),
        q("propertyDefinitions"),
    ]
    ids = [n.get("identifier") for n in root.iter() if n.get("identifier")]
    assert len(ids) == len(set(ids))
    elements = {e.get("identifier"): e for e in root.iter(q("element"))}
    assert all(e.find(q("name")) is not None for e in elements.values())
    assert {e.get(XSI_TYPE) for e in elements.values()} == set(EXPECTED_ELEMENTS)
    relationships = list(root.iter(q("relationship")))
    known = set(elements) | {r.get("identifier") for r in relationships}
    assert all(r.get("source") in known and r.get("target") in known for r in relationships)
    propdefs = {
        p.get("identifier"): p.findtext(q("name")) for p in root.iter(q("propertyDefinition"))
    }
    refs = {p.get("propertyDefinitionRef") for p in root.iter(q("property"))}
    assert refs == set(propdefs)
    assert set(propdefs.values()) == {
        "Cost centre",
        "criticality",
        "go_live_date",
        "personal_data",
        "protocol",
        "Criticality",
        "users",
    }
    access = next(r for r in relationships if r.get("identifier") == "r-access")
    assert access.get("accessType") == "ReadWrite"
    items = {i.get("identifierRef") for i in root.iter(q("item")) if i.get("identifierRef")}
    assert items == {"e-crm", "e-DataObject", "r-flow"}


def test_repository_native_types_and_ids_survive_the_round_trip(
    ea, workspace: Path, tmp_path: Path
) -> None:
    assert (
        ea("add", "Server", "--id", "ci:srv-1", "--name", "SRV1", "--set", "hostname=srv1").code
        == 0
    )
    assert ea("add", "Application", "--id", "app:crm", "--name", "CRM").code == 0
    assert ea("link", "app:crm", "runs_on", "ci:srv-1").code == 0
    out = tmp_path / "native.xml"
    assert ea("export", "archimate", "-o", out).code == 0
    text = out.read_text()
    assert 'xsi:type="Node"' in text and 'xsi:type="Serving"' in text
    other = tmp_path / "other"
    assert ea("init", other).code == 0
    assert ea("import", "archimate", out, "--source", "manual", "-w", other).code == 0
    assert _dump(other) == _dump(workspace)


def test_export_a_selection(ea, workspace: Path, tmp_path: Path) -> None:
    assert ea("import", "archimate", EVERY, "--source", "archi").code == 0
    out = tmp_path / "app.xml"
    result = ea("export", "archimate", "--select", "layer:data", "-o", out)
    assert result.code == 0
    root = safe_parse(out).getroot()
    ids = {e.get("identifier") for e in root.iter(f"{{{NS}}}element")}
    assert ids == {"e-DataObject", "e-orders"}
    assert ea("export", "archimate", "--select", "type:Gap type:Goal").code == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("billion_laughs.xml", "billion_laughs.xml:3: refused: the file declares the entity 'lol'"),
        ("external_entity.xml", "external_entity.xml:3: refused: the file declares the external entity 'secret' (file:///etc/passwd)"),
        ("malformed.xml", "malformed.xml:9: malformed XML: mismatched tag"),
        ("unmapped_type.xml", "unmapped_type.xml:8: ArchiMate element type 'Container' (element 'e-2') has no mapping"),
        ("dangling.xml", "dangling.xml:14: relationship 'r-gone': its target 'e-missing' is no element or relationship of the file"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_and_nothing_is_written(
    ea, workspace: Path, tmp_path: Path, name: str, expected: str
) -> None:
    path = tmp_path / name
    shutil.copy(DATA / name, path)
    before = _counts(workspace)
    result = ea("import", "archimate", path, "--source", "archi")
    assert result.code == 2
    assert expected in result.err
    assert "Traceback" not in result.err
    assert "root:x:0" not in result.err + result.out  # the external entity was never read
    after = _counts(workspace)
    assert after[:2] == (0, 0) and before[:2] == (0, 0)


def test_an_unmapped_element_is_one_problem_not_a_dangling_reference_too(
    ea, workspace: Path
) -> None:
    result = ea("import", "archimate", DATA / "unmapped_type.xml", "--source", "archi")
    assert result.code == 2
    assert "1 problem in the input" in result.err
    assert "no element or relationship of the file" not in result.err


def test_an_unmapped_type_imports_once_the_user_maps_it(ea, workspace: Path) -> None:
    result = ea(
        "import", "archimate", DATA / "unmapped_type.xml", "--source", "archi",
        "--mapping", DATA / "unmapped_mapping.yaml",
    )  # fmt: skip
    assert result.code == 0, result.err
    with Repository.open(workspace) as repo:
        assert {(e.id, e.type) for e in repo.store.iter_elements()} == {
            ("e-1", "Node"),
            ("e-2", "Node"),
        }
        assert [(r.src, r.dst) for r in repo.store.iter_relations()] == [("e-1", "e-2")]


def test_an_archimate_source_in_ea_yaml(ea, workspace: Path) -> None:
    (workspace / "exports").mkdir()
    shutil.copy(EVERY, workspace / "exports" / "model.xml")
    config = workspace / "ea.yaml"
    config.write_text(
        config.read_text().replace(
            "sources: {}\n",
            "sources:\n  archi:\n    importer: archimate\n    files: [exports/model.xml]\n",
        )
    )
    result = ea("sync")
    assert result.code == 0, result.err
    assert _counts(workspace)[:2] == (62, 16)
    impact = ea("impact", "e-Node", "-f", "json")
    assert impact.code == 0
    assert "e-ApplicationComponent" in impact.out


# ------------------------------------------- ArchiMate 3.2 relationships and their impact

CAPABILITIES = DATA / "capability_flows.xml"


def test_a_valid_archimate_model_keeps_every_relationship_type(ea, workspace: Path) -> None:
    result = ea("import", "archimate", CAPABILITIES, "--source", "archi", "-f", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["notes"] == []  # nothing demoted
    with Repository.open(workspace) as repo:
        got = {(r.id, r.src, r.type, r.dst) for r in repo.store.iter_relations()}
        assert not any("archimate_type" in r.attrs for r in repo.store.iter_relations())
    assert got == {
        ("id-flow-payments-liquidity", "id-cap-payments", "flow", "id-cap-liquidity"),
        ("id-flow-liquidity-reporting", "id-cap-liquidity", "flow", "id-cap-reporting"),
        ("id-access-clearing-order", "id-bi-clearing", "accesses", "id-bo-payment-order"),
        ("id-realizes-clearing-payments", "id-bi-clearing", "realizes", "id-cap-payments"),
        ("id-assign-operations-payments", "id-res-operations", "allocated_to", "id-cap-payments"),
        ("id-assign-agent-clearing", "id-role-clearing-agent", "assigned_to", "id-bi-clearing"),
    }


def _impact(ea: Any, element: str) -> dict[str, Any]:
    result = ea("impact", element, "-f", "json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def _reached(data: dict[str, Any]) -> set[tuple[str, str, int]]:
    return {(a["id"], a["state"], a["distance"]) for a in data["affected"]}


def test_impact_follows_interaction_access_and_capability_flows(ea, workspace: Path) -> None:
    assert ea("import", "archimate", CAPABILITIES, "--source", "archi").code == 0
    data = _impact(ea, "id-bo-payment-order")
    # The interaction cannot work without the order it reads, nor the capability it realises;
    # the capability fed by that one is degraded, and impact stops there (reporting is not reached).
    assert _reached(data) == {
        ("id-bi-clearing", "down", 1),
        ("id-cap-payments", "down", 2),
        ("id-cap-liquidity", "degraded", 3),
    }
    liquidity = next(a for a in data["affected"] if a["id"] == "id-cap-liquidity")
    assert [(s["from"], s["relation"], s["to"]) for s in liquidity["path"]] == [
        ("id-bo-payment-order", "accesses", "id-bi-clearing"),
        ("id-bi-clearing", "realizes", "id-cap-payments"),
        ("id-cap-payments", "flow", "id-cap-liquidity"),
    ]
    assert data["not_followed"] == {}


def test_impact_follows_a_resource_assigned_to_a_capability(ea, workspace: Path) -> None:
    assert ea("import", "archimate", CAPABILITIES, "--source", "archi").code == 0
    data = _impact(ea, "id-res-operations")
    assert _reached(data) == {("id-cap-payments", "degraded", 1)}
    (payments,) = data["affected"]
    assert [(s["from"], s["relation"], s["label"], s["to"]) for s in payments["path"]] == [
        ("id-res-operations", "allocated_to", "is allocated to", "id-cap-payments")
    ]


def test_impact_follows_an_assignment_to_the_behaviour_performed(ea, workspace: Path) -> None:
    assert ea("import", "archimate", CAPABILITIES, "--source", "archi").code == 0
    # The interaction's only performer gone, it is not performed: down, and what it realises too.
    data = _impact(ea, "id-role-clearing-agent")
    assert _reached(data) == {
        ("id-bi-clearing", "down", 1),
        ("id-cap-payments", "down", 2),
        ("id-cap-liquidity", "degraded", 3),
    }
    clearing = next(a for a in data["affected"] if a["id"] == "id-bi-clearing")
    assert [(s["from"], s["relation"], s["to"]) for s in clearing["path"]] == [
        ("id-role-clearing-agent", "assigned_to", "id-bi-clearing")
    ]


def test_capability_flows_and_allocations_survive_the_round_trip(
    ea, workspace: Path, tmp_path: Path
) -> None:
    assert ea("import", "archimate", CAPABILITIES, "--source", "archi").code == 0
    out = tmp_path / "capabilities.xml"
    assert ea("export", "archimate", "-o", out).code == 0
    text = out.read_text()
    assert 'source="id-res-operations" target="id-cap-payments" xsi:type="Assignment"' in text
    assert "ea-repo:type" not in text  # every type is read back as it was written
    other = tmp_path / "other"
    assert ea("init", other).code == 0
    assert ea("import", "archimate", out, "--source", "archi", "-w", other).code == 0
    assert _dump(other) == _dump(workspace)


def test_a_relationship_may_map_to_types_tried_in_order(tmp_path: Path) -> None:
    user = tmp_path / "m.yaml"
    user.write_text("relationships:\n  Flow: [serves, flow]\n  Access: [accesses, gone]\n")
    with pytest.raises(SourceError) as err:
        load_archimate_mapping(user, load_metamodel())
    assert [(p.file, p.line, p.message) for p in err.value.problems] == [
        (
            str(user),
            3,
            "ArchiMate Access maps to 'gone', which is no relationship type of the metamodel",
        )
    ]
    user.write_text("relationships:\n  Flow: [serves, flow]\n")
    mapping = load_archimate_mapping(user, load_metamodel())
    assert mapping.relationships["Flow"] == ("serves", "flow")
    assert mapping.relationships["Assignment"] == ("allocated_to", "assigned_to")
    batch = ArchimateImporter(load_metamodel(), mapping).read(CAPABILITIES)
    # Capabilities may serve each other too: the first type that allows the pair wins.
    types = {r.key: r.type for r in batch.records if r.kind == "relation"}
    assert types["id-flow-payments-liquidity"] == "serves"


def _narrow_metamodel(path: Path) -> None:
    """The built-in metamodel as a workspace copied it before the ArchiMate 3.2 pairs:
    flows between applications only, access from applications and processes, no allocated_to."""
    text = resources.files("ea_repo.metamodel").joinpath("default.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    rels = data["relationship_types"]
    rels["flow"]["from"] = rels["flow"]["to"] = ["Application", "ApplicationComponent"]
    rels["accesses"]["from"] = ["Application", "ApplicationComponent", "BusinessProcess"]
    del rels["allocated_to"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_a_narrower_metamodel_counts_its_demotions_and_impact_says_what_it_missed(
    ea, tmp_path: Path
) -> None:
    ws = tmp_path / "narrow"
    ws.mkdir()
    _narrow_metamodel(ws / "metamodel.yaml")
    assert ea("init", ws, "--metamodel", "metamodel.yaml").code == 0
    result = ea("import", "archimate", CAPABILITIES, "--source", "archi", "-w", ws, "-f", "json")
    assert result.code == 0, result.err
    # One note per ArchiMate type with its count (the shipped Assignment list lost allocated_to).
    assert json.loads(result.out)["notes"] == [
        f"{CAPABILITIES}: {n} kept as associated_with: {kind} relationships between ends the "
        f"metamodel's {refused} does not allow (ArchiMate type in archimate_type)"
        for n, kind, refused in (
            ("1 row", "Access", "accesses"),
            ("1 row", "Assignment", "assigned_to"),
            ("2 rows", "Flow", "flow"),
        )
    ]

    impact = ea("impact", "id-bo-payment-order", "-w", ws, "-f", "json")
    assert impact.code == 0, impact.err
    data = json.loads(impact.out)
    assert data["affected"] == []
    assert data["not_followed"] == {"Access": 1}
    table = ea("impact", "id-cap-payments", "-w", ws)
    # Payments: its two demoted neighbours (the flow out, the resource in); liquidity is not reached.
    assert (
        "not followed: 2 relation(s) touching what was reached (1 Assignment, 1 Flow) came from "
        "ArchiMate but the metamodel keeps them only as associations (archimate_type)"
    ) in " ".join(table.out.split())
    dependencies = json.loads(ea("dependencies", "id-cap-liquidity", "-w", ws, "-f", "json").out)
    assert dependencies["not_followed"] == {"Flow": 2}


def test_lifecycle_properties_become_the_lifecycle_dates(ea, workspace: Path) -> None:
    batch = ArchimateImporter(load_metamodel()).read(DATA / "lifecycle.xml")
    assert batch.problems == []
    got = {r.key: r.attrs for r in batch.records}
    assert got["id-crm-old"] == {
        "lifecycle_phase_in": "2012-03-01",
        "lifecycle_phase_out": "2026-01-01",
        "lifecycle_end_of_life": "2026-07-01",
    }
    # Spelled out as in Archi's Properties tab: the same attributes.
    assert got["id-crm-new"] == {
        "lifecycle_plan": "2025-01-15",
        "lifecycle_phase_in": "2025-10-01",
        "lifecycle_active": "2026-07-01",
    }
    # No date: kept as a property, and said so.
    assert got["id-erp"] == {"properties": {"lifecycle_end_of_life": "when the board decides"}}
    assert any("(Application.lifecycle_end_of_life)" in str(w) for w in batch.warnings)
    assert got["id-flow-old"]["lifecycle_end_of_life"] == "2026-07-01"
    assert got["id-flow-new"]["lifecycle_phase_in"] == "2026-07-01"

    result = ea("import", "archimate", DATA / "lifecycle.xml", "--source", "archi")
    assert result.code == 0, result.err
    with Repository.open(workspace) as repo:
        for day, shown in (
            ("2025-12-31", {"id-crm-old", "id-crm-new", "id-erp"}),
            ("2026-07-01", {"id-crm-new", "id-erp"}),
        ):
            lens = CURRENT.on(day)
            assert {e.id for e in repo.store.iter_elements(lens)} == shown
        flows = {r.id for r in repo.store.iter_relations(CURRENT.on("2026-07-01"))}
        assert flows == {"id-flow-new"}
