"""The built-in metamodel (ea_repo/metamodel/default.yaml): it loads, and says what the analyses rely on."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from ea_repo.errors import MetamodelError
from ea_repo.metamodel import (
    IDENTIFIER,
    LAYERS,
    AttrType,
    Dependent,
    Metamodel,
    load_metamodel,
)
from ea_repo.model import Direction, Step
from ea_repo.yamlio import parse_yaml

ELEMENT_TYPES = {
    "motivation": ["Stakeholder", "Driver", "Goal", "Principle", "Requirement", "Constraint"],
    "strategy": ["Capability", "ValueStream", "CourseOfAction"],
    "business": [
        "BusinessActor",
        "BusinessRole",
        "OrganizationUnit",
        "BusinessProcess",
        "BusinessFunction",
        "BusinessService",
        "BusinessEvent",
        "BusinessObject",
        "Product",
    ],
    "application": [
        "Application",
        "ApplicationComponent",
        "ApplicationInterface",
        "ApplicationService",
        "ApplicationFunction",
        "ApplicationEvent",
    ],
    "data": ["DataObject"],
    "technology": [
        "Node",
        "Server",
        "VirtualMachine",
        "Cluster",
        "ContainerPlatform",
        "Device",
        "SystemSoftware",
        "SoftwareProduct",
        "TechnologyService",
        "TechnologyInterface",
        "Network",
    ],
    "physical": ["Datacenter", "Location", "Equipment", "Facility"],
    "implementation": ["WorkPackage", "Deliverable", "Plateau", "ImplementationEvent", "Gap"],
}

# name -> (dependent, redundant)
RELATION_TYPES = {
    "runs_on": (Dependent.SOURCE, False),
    "hosted_on": (Dependent.SOURCE, False),
    "member_of": (Dependent.TARGET, True),
    "located_in": (Dependent.SOURCE, False),
    "uses": (Dependent.SOURCE, False),
    "instance_of": (Dependent.SOURCE, False),
    "serves": (Dependent.TARGET, False),
    "realizes": (Dependent.TARGET, False),
    "composed_of": (Dependent.SOURCE, False),
    "aggregates": (Dependent.NONE, False),
    "flow": (Dependent.TARGET, False),
    "accesses": (Dependent.SOURCE, False),
    "stores": (Dependent.TARGET, False),
    "triggers": (Dependent.TARGET, False),
    "assigned_to": (Dependent.TARGET, True),
    "allocated_to": (Dependent.TARGET, False),
    "responsible_for": (Dependent.NONE, False),
    "depends_on": (Dependent.SOURCE, False),
    "connected_to": (Dependent.SOURCE, False),
    "influences": (Dependent.NONE, False),
    "associated_with": (Dependent.NONE, False),
    "specializes": (Dependent.NONE, False),
}


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel()


def test_builtin_loads_by_default_and_by_name(mm: Metamodel) -> None:
    assert mm.name == "ea-repo default"
    assert mm.version == "1.0"
    assert "default.yaml" in mm.source
    again = load_metamodel("builtin")
    assert set(again.element_types) == set(mm.element_types)
    assert set(again.relation_types) == set(mm.relation_types)


def test_builtin_loads_from_its_path_too() -> None:
    # The same file read as a workspace metamodel: the path is what errors would cite.
    path = Path(str(resources.files("ea_repo.metamodel").joinpath("default.yaml")))
    from_path = load_metamodel(path)
    assert from_path.source == str(path)
    assert set(from_path.element_types) == set(load_metamodel().element_types)


def test_builtin_is_read_once_per_process() -> None:
    # Every command loads it; the objects are frozen, so one copy serves them all.
    assert load_metamodel() is load_metamodel("builtin")


def test_yaml_lines_are_those_of_the_file() -> None:
    data = parse_yaml("a: 1\n\nb:\n  c: [1, 2]\n  d: {e: 3}\n", "x.yaml", MetamodelError)
    assert (data.line_of("a"), data.line_of("b")) == (1, 3)
    inner = data["b"]
    assert (inner.line_of("c"), inner.line_of("d"), inner["d"].line_of("e")) == (4, 5, 5)


def test_every_layer_has_a_type(mm: Metamodel) -> None:
    for layer in LAYERS:
        assert mm.types_in_layer(layer), f"no element type in layer {layer}"
    assert {t.layer for t in mm.element_types.values()} <= set(LAYERS)


@pytest.mark.parametrize(
    ("layer", "name"),
    [(layer, name) for layer, names in ELEMENT_TYPES.items() for name in names],
)
def test_expected_element_type_exists_in_its_layer(mm: Metamodel, layer: str, name: str) -> None:
    assert name in mm.element_types
    assert mm.element_types[name].layer == layer


def test_database_is_declared_in_a_data_or_technology_layer(mm: Metamodel) -> None:
    assert mm.element_types["Database"].layer in ("data", "technology")


@pytest.mark.parametrize(("name", "expected"), sorted(RELATION_TYPES.items()))
def test_expected_relation_type_and_its_direction(
    mm: Metamodel, name: str, expected: tuple[Dependent, bool]
) -> None:
    rt = mm.relation_types[name]
    assert (rt.dependent, rt.redundant) == expected


def test_dependent_directions_the_analyses_rely_on(mm: Metamodel) -> None:
    rels = mm.relation_types
    assert rels["runs_on"].dependent is Dependent.SOURCE
    assert rels["serves"].dependent is Dependent.TARGET
    assert rels["flow"].dependent is Dependent.TARGET
    assert rels["located_in"].dependent is Dependent.SOURCE
    assert rels["member_of"].dependent is Dependent.TARGET
    assert rels["member_of"].redundant is True


def test_hosting_places_software_on_nodes_and_nodes_in_sites(mm: Metamodel) -> None:
    # What `in:X` follows: a cluster stands on its members, data on its store. Using a
    # service, receiving a flow or being an instance of a catalog release places nothing.
    assert mm.hosting_types == ("hosted_on", "located_in", "member_of", "runs_on", "stores")
    assert set(mm.impact_steps(mm.hosting_types)) == {
        Step("hosted_on", Direction.IN),
        Step("located_in", Direction.IN),
        Step("member_of", Direction.OUT),
        Step("runs_on", Direction.IN),
        Step("stores", Direction.OUT),
    }


def test_impact_and_dependency_steps(mm: Metamodel) -> None:
    impact = set(mm.impact_steps())
    dependencies = set(mm.dependency_steps())
    assert Step("runs_on", Direction.IN) in impact
    assert Step("flow", Direction.OUT) in impact
    assert Step("runs_on", Direction.OUT) in dependencies
    assert Step("flow", Direction.IN) in dependencies
    assert Step("runs_on", Direction.OUT) not in impact
    assert Step("flow", Direction.IN) not in impact
    # Each step read backwards: the two traversals are exact mirrors.
    flip = {Direction.IN: Direction.OUT, Direction.OUT: Direction.IN}
    assert {Step(s.relation_type, flip[s.direction]) for s in impact} == dependencies


# Pairs the ArchiMate 3.2 relationship tables (appendix B) allow, as metamodel types: among
# them, each kind an earlier metamodel refused and real models use.
ARCHIMATE_32_PAIRS = [
    ("flow", "Capability", "Capability"),
    ("flow", "ValueStream", "ValueStream"),
    ("flow", "WorkPackage", "WorkPackage"),
    ("flow", "SystemSoftware", "Grouping"),
    ("flow", "Network", "TechnologyCollaboration"),
    ("flow", "Equipment", "Path"),
    ("flow", "Device", "TechnologyCollaboration"),
    ("accesses", "BusinessInteraction", "BusinessObject"),
    ("accesses", "BusinessEvent", "Contract"),
    ("accesses", "ApplicationInteraction", "DataObject"),
    ("accesses", "Network", "Material"),
    ("accesses", "WorkPackage", "Deliverable"),
    ("allocated_to", "Resource", "Capability"),
    ("allocated_to", "Resource", "ValueStream"),
    ("assigned_to", "BusinessActor", "Stakeholder"),
    ("assigned_to", "Facility", "Node"),
    ("assigned_to", "Node", "Material"),
    ("assigned_to", "DistributionNetwork", "BusinessEvent"),
    ("triggers", "BusinessProcess", "Product"),
    ("triggers", "Capability", "Capability"),
    ("serves", "Resource", "CourseOfAction"),
    ("serves", "Location", "BusinessProcess"),
]


@pytest.mark.parametrize(("relation", "source", "target"), ARCHIMATE_32_PAIRS)
def test_archimate_32_pairs_are_allowed(
    mm: Metamodel, relation: str, source: str, target: str
) -> None:
    rt = mm.relation_types[relation]
    assert source in rt.sources and target in rt.targets


def test_capability_flows_and_resources_degrade(mm: Metamodel) -> None:
    # A capability missing a feed or a resource works on, worse: impact stops there.
    assert mm.relation_types["flow"].degrades
    assert mm.relation_types["allocated_to"].degrades
    assert not mm.relation_types["accesses"].degrades


def test_relations_without_a_dependent_are_never_followed(mm: Metamodel) -> None:
    followed = {s.relation_type for s in mm.impact_steps()}
    inert = {n for n, (dep, _) in RELATION_TYPES.items() if dep is Dependent.NONE}
    assert followed.isdisjoint(inert)
    assert {"runs_on", "hosted_on", "member_of", "uses", "stores", "instance_of"} <= followed


def test_subtypes_are_accepted_where_their_parent_is(mm: Metamodel) -> None:
    runs_on = mm.relation_types["runs_on"]
    assert {
        "Node",
        "Server",
        "VirtualMachine",
        "Cluster",
        "ContainerPlatform",
        "Device",
    } <= runs_on.targets
    assert {"Application", "ApplicationComponent", "SystemSoftware", "Database"} <= runs_on.sources
    assert "Application" not in runs_on.targets
    for subtype in ("Server", "VirtualMachine", "Cluster", "ContainerPlatform", "Device"):
        assert mm.is_a(subtype, "Node")
        assert mm.element_types[subtype].layer == "technology"
        assert "hostname" in mm.element_types[subtype].attributes  # inherited
    assert {"Server", "VirtualMachine"} <= mm.relation_types["member_of"].sources
    assert "Datacenter" in mm.relation_types["located_in"].targets
    assert "Datacenter" in mm.relation_types["located_in"].sources  # a datacenter is in a location
    assert "Location" in mm.relation_types["located_in"].targets


def test_specific_relationship_ends(mm: Metamodel) -> None:
    rels = mm.relation_types
    assert {"VirtualMachine", "ContainerPlatform"} <= rels["hosted_on"].sources
    assert {"Server", "Cluster"} <= rels["hosted_on"].targets
    assert "SystemSoftware" in rels["instance_of"].sources
    assert rels["instance_of"].targets == frozenset({"SoftwareProduct"})
    assert {"Application", "ApplicationComponent"} <= rels["flow"].sources & rels["flow"].targets
    assert {"DataObject", "BusinessObject"} <= rels["accesses"].targets
    assert {"Database", "Application", "SystemSoftware"} <= rels["stores"].sources
    assert {"BusinessProcess", "OrganizationUnit"} <= rels["serves"].targets
    assert {"Node"} <= rels["connected_to"].sources
    assert rels["connected_to"].targets == frozenset({"Network"})
    everything = frozenset(mm.element_types)
    assert rels["depends_on"].sources == rels["depends_on"].targets == everything
    assert rels["responsible_for"].targets == everything


def test_data_object_personal_data_flag(mm: Metamodel) -> None:
    attr = mm.element_types["DataObject"].attributes["personal_data"]
    assert attr.type is AttrType.BOOL
    assert attr.default is False
    assert attr.coerce("yes") is True
    classification = mm.element_types["DataObject"].attributes["classification"]
    assert classification.values == ("public", "internal", "confidential", "secret")


def test_application_attributes(mm: Metamodel) -> None:
    attrs = mm.element_types["Application"].attributes
    assert attrs["criticality"].values == ("low", "medium", "high", "critical")
    assert attrs["lifecycle_phase"].values == (
        "plan",
        "phase_in",
        "active",
        "phase_out",
        "end_of_life",
    )
    assert attrs["hosting"].values == ("on_premise", "saas", "iaas", "paas")
    assert attrs["it_owner"].type is AttrType.EMAIL
    assert attrs["users"].type is AttrType.INT
    assert attrs["url"].type is AttrType.URL
    with pytest.raises(ValueError):
        attrs["criticality"].coerce("urgent")


def test_relationship_attributes(mm: Metamodel) -> None:
    mode = mm.relation_types["accesses"].attributes["mode"]
    assert mode.values == ("read", "write", "readwrite", "create", "delete")
    assert mode.default == "read"
    master = mm.relation_types["stores"].attributes["master"]
    assert master.type is AttrType.BOOL
    assert master.default is False
    flow = mm.relation_types["flow"].attributes
    assert {"protocol", "middleware", "frequency", "criticality", "data_objects"} <= set(flow)
    assert flow["data_objects"].type is AttrType.LIST
    assert flow["data_objects"].coerce("Customer, Order") == ["Customer", "Order"]


def test_lifecycle_dates(mm: Metamodel) -> None:
    product = mm.element_types["SoftwareProduct"].attributes
    assert "end_of_support" in mm.lifecycle.end_of_support
    assert "end_of_life" in mm.lifecycle.end_of_life
    for name in (*mm.lifecycle.end_of_support, *mm.lifecycle.end_of_life):
        assert product[name].type is AttrType.DATE
    for type_name in ("SystemSoftware", "Node", "Server"):
        attrs = mm.element_types[type_name].attributes
        assert attrs["end_of_support"].type is AttrType.DATE
        assert attrs["end_of_life"].type is AttrType.DATE
    assert {"eol_product", "eol_cycle", "vendor", "product", "version"} <= set(product)


def test_capability_level(mm: Metamodel) -> None:
    assert mm.element_types["Capability"].attributes["level"].type is AttrType.INT
    composed_of = mm.relation_types["composed_of"]
    assert "Capability" in composed_of.sources
    assert "Capability" in composed_of.targets


def test_names_follow_the_conventions(mm: Metamodel) -> None:
    for name in mm.element_types:
        assert IDENTIFIER.match(name)
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", name), f"{name} is not CamelCase"
    for name in mm.relation_types:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), f"{name} is not snake_case"
    neo4j_types = [rt.neo4j_type for rt in mm.relation_types.values()]
    assert len(neo4j_types) == len(set(neo4j_types))
    for et in mm.element_types.values():
        for attr in et.attributes:
            assert IDENTIFIER.match(attr)
            assert attr not in {"id", "type", "name", "status", "src", "dst"}


def test_everything_is_documented(mm: Metamodel) -> None:
    for et in mm.element_types.values():
        assert et.description, f"element type {et.name} has no description"
        assert "description" in et.attributes  # common attributes reach every type
        assert "owner" in et.attributes
    for rt in mm.relation_types.values():
        assert rt.description, f"relationship type {rt.name} has no description"
    # Labels are written in the file, not left to the loader's fallbacks.
    text = resources.files("ea_repo.metamodel").joinpath("default.yaml").read_text("utf-8")
    raw = parse_yaml(text, "default.yaml", MetamodelError)["relationship_types"]
    for name, spec in raw.items():
        assert spec.get("label"), f"{name} has no label"
        assert spec.get("reverse_label"), f"{name} has no reverse_label"
        assert mm.relation_types[name].reverse_label == spec["reverse_label"]
