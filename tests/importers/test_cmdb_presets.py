"""The shipped presets: they load, state their contract, and cover what real exports hold."""

from __future__ import annotations

import re

import pytest

from ea_repo.errors import MetamodelError, SourceError
from ea_repo.importers.mapping import ClassTarget
from ea_repo.importers.presets import PRESETS, load_preset, preset_text
from ea_repo.metamodel import Metamodel, load_metamodel, parse_metamodel
from ea_repo.yamlio import parse_yaml


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel()


def test_presets_load_against_the_builtin_metamodel(mm: Metamodel) -> None:
    assert PRESETS == ("servicenow", "itop")
    for name in PRESETS:
        mapping = load_preset(name, mm)
        assert mapping.source == f"<preset {name}.yaml>"
        assert mapping.elements is not None
        assert mapping.relations


def test_unknown_preset() -> None:
    with pytest.raises(SourceError) as err:
        load_preset("bmc")
    assert str(err.value) == "unknown preset 'bmc'"
    assert err.value.hint == "presets: servicenow, itop"


def test_each_preset_states_its_column_contract() -> None:
    snow = preset_text("servicenow")
    for line in (
        "#   required   name ",
        "#   required   sys_class_name ",
        "#          or  class ",
        "#   key        sys_id ",
        "#   required   parent ",
        "#   required   type ",
        "#   required   child ",
    ):
        assert line in snow
    itop = preset_text("itop")
    for line in (
        "#   required   id ",
        "#   required   name ",
        "#   required   finalclass ",
        "#   lnkApplicationSolutionToFunctionalCI:",
    ):
        assert line in itop


def test_servicenow_maps_labels_and_table_names(mm: Metamodel) -> None:
    elements = load_preset("servicenow", mm).elements
    assert elements is not None
    lookup = elements.type.classes.lookup
    expected = {
        "Linux Server": "Server",
        "cmdb_ci_linux_server": "Server",
        "Windows Server": "Server",
        "cmdb_ci_win_server": "Server",
        "cmdb_ci_unix_server": "Server",
        "cmdb_ci_aix_server": "Server",
        "ESX Server": "Server",
        "Cluster Node": "Server",
        "cmdb_ci_cluster_node": "Server",
        "Computer": "Device",
        "VMware Virtual Machine Instance": "VirtualMachine",
        "cmdb_ci_vm_instance": "VirtualMachine",
        "Cluster": "Cluster",
        "Application": "Application",
        "Business Application": "Application",
        "Business Service": "BusinessService",
        "Application Service": "ApplicationService",
        "cmdb_ci_db_ora_instance": "SystemSoftware",
        "MSFT SQL Instance": "SystemSoftware",
        "cmdb_ci_db_postgresql_instance": "SystemSoftware",
        "cmdb_ci_db_mysql_instance": "SystemSoftware",
        "Database": "Database",
        "Software": "SoftwareProduct",
        "Data Center": "Datacenter",
        "Tomcat": "SystemSoftware",
        "WebSphere": "SystemSoftware",
        "Load Balancer": "Device",
        "Network Gear": "Device",
        "IP Router": "Device",
        "IP Switch": "Device",
        "Storage Device": "Device",
    }
    found = {}
    for cls in expected:
        ok, target = lookup(cls)
        assert ok, cls
        assert isinstance(target, ClassTarget)
        found[cls] = target.type
    assert found == expected
    assert lookup("LINUX SERVER") == lookup("Linux Server")  # labels match ignoring case
    assert lookup("IP Address") == (False, None)  # unmapped: skipped and counted


def test_servicenow_relationship_types_fall_back_to_a_type_valid_between_any_ends(
    mm: Metamodel,
) -> None:
    """The last type listed for a relationship value is used when the ends' types are
    unknown, so it must be one the metamodel allows between any two elements."""
    (relations,) = load_preset("servicenow", mm).relations
    everything = frozenset(mm.element_types)
    for value in (
        "Runs on::Runs",
        "Depends on::Used by",
        "Hosted on::Hosts",
        "Contains::Contained by",
        "Sends data to::Receives data from",
        "Members::Member of",
        "Virtualized by::Virtualizes",
        "Uses::Used by",
        "Connected by::Connects",
        "Instantiates::Instantiated by",
        "Cluster of::Cluster",
    ):
        ok, targets = relations.types.lookup(value)
        assert ok, value
        last = mm.relation_types[targets[-1].type]
        assert last.sources == everything and last.targets == everything, value
    ok, runs_on = relations.types.lookup("Runs on::Runs")
    assert runs_on[0].type == "runs_on" and not runs_on[0].reverse
    ok, members = relations.types.lookup("Members::Member of")
    assert (members[0].type, members[0].reverse) == ("member_of", True)  # child member_of parent


def test_a_metamodel_without_the_preset_types(mm: Metamodel) -> None:
    tiny = parse_metamodel(
        parse_yaml(
            "name: tiny\nversion: '1'\nelement_types:\n  Application: {layer: application}\n"
            "relationship_types:\n  depends_on: {from: '*', to: '*', dependent: source}\n",
            "tiny.yaml",
            MetamodelError,
        ),
        "tiny.yaml",
    )
    with pytest.raises(SourceError) as err:
        load_preset("servicenow", tiny)
    first = str(err.value.problems[0])
    assert re.match(
        r"<preset servicenow\.yaml>:\d+: elements\.type\.map\['\w+'\]: unknown element type 'Server'",
        first,
    )


def test_every_class_of_each_preset_maps_to_a_type_of_the_builtin_metamodel(
    mm: Metamodel,
) -> None:
    for name in PRESETS:
        elements = load_preset(name, mm).elements
        assert elements is not None
        entries = elements.type.classes.entries
        assert len(entries) > 50, name
        for cls, target in entries.items():
            assert isinstance(target, ClassTarget), (name, cls)
            et = mm.element_types[target.type]
            assert not et.abstract, (name, cls)
            assert set(target.set) <= set(et.attributes), (name, cls)


def test_servicenow_maps_the_standard_class_model(mm: Metamodel) -> None:
    """Table names and labels of ServiceNow's base-system classes that list exports hold."""
    elements = load_preset("servicenow", mm).elements
    assert elements is not None
    expected = {
        ("cmdb_ci_service", "Service"): ("BusinessService", {}),
        ("cmdb_ci_service_business", "Business Service"): ("BusinessService", {}),
        ("cmdb_ci_service_auto", "Application Service"): ("ApplicationService", {}),
        ("cmdb_ci_service_technical", "Technology Management Service"): ("TechnologyService", {}),
        ("cmdb_ci_business_capability", "Business Capability"): ("Capability", {}),
        ("cmdb_ci_email_server", "Email Server"): ("SystemSoftware", {"category": "middleware"}),
        ("cmdb_ci_directory_server", "Directory Server"): ("SystemSoftware", {"category": "security"}),
        ("cmdb_ci_zone", "Data Center Zone"): ("Facility", {}),
        ("cmdb_ci_computer_room", "Computer Room"): ("Facility", {}),
        ("cmdb_ci_rack", "Rack"): ("Equipment", {"category": "rack"}),
        ("cmdb_ci_pdu", "PDU"): ("Equipment", {"category": "power"}),
        ("cmdb_ci_crac", "Computer Room AC"): ("Equipment", {"category": "cooling"}),
        ("cmdb_ci_disk", "Disk"): ("Equipment", {"category": "disk"}),
        ("cmdb_ci_network_adapter", "Network Adapter"): ("Equipment", {"category": "network adapter"}),
        ("cmdb_ci_peripheral", "Computer Peripheral"): ("Equipment", {"category": "peripheral"}),
        ("cmdb_ci_printer", "Printer"): ("Device", {"device_kind": "other"}),
        ("cmdb_ci_ip_phone", "IP Phone"): ("Device", {"device_kind": "other"}),
        ("cmdb_ci_netgear", "Network Gear"): ("Device", {"device_kind": "network"}),
        ("cmdb_ci_lb_f5_ltm", "F5 BigIP LTM"): ("Device", {"device_kind": "network"}),
        ("cmdb_ci_storage_switch", "Storage Switch"): ("Device", {"device_kind": "storage"}),
        ("cmdb_ci_spkg", "Software"): ("SoftwareProduct", {}),
        ("cmdb_ci_db_ora_catalog", "Oracle Catalog"): ("Database", {"engine": "Oracle"}),
        ("cmdb_ci_hyper_v_instance", "Hyper-V Virtual Machine Instance"): (
            "VirtualMachine", {"hypervisor": "Hyper-V"}),
        ("cmdb_ci_vpn", "Virtual Private Network"): ("Network", {"network_kind": "vpn"}),
        ("cmdb_ci_google_datacenter", "GCP Datacenter"): (
            "Datacenter", {"hosting_model": "cloud", "provider": "Google Cloud"}),
        ("cmdb_ci_availability_zone", "Availability Zone"): ("Datacenter", {"hosting_model": "cloud"}),
    }  # fmt: skip
    for names, (type_name, constants) in expected.items():
        for cls in names:
            ok, target = elements.type.classes.lookup(cls)
            assert ok and isinstance(target, ClassTarget), cls
            assert (target.type, dict(target.set)) == (type_name, constants), cls
    for unmapped in ("IP Address", "cmdb_ci_ip_address", "DNS Name", "Storage Volume"):
        assert elements.type.classes.lookup(unmapped) == (False, None)  # skipped, counted


def test_itop_maps_every_functional_ci_class_of_the_standard_datamodel(mm: Metamodel) -> None:
    elements = load_preset("itop", mm).elements
    assert elements is not None
    # the concrete FunctionalCI classes of iTop 3.2's modules, by code and English label
    classes = {
        "Server": "Server", "VirtualMachine": "VirtualMachine", "Virtual Machine": "VirtualMachine",
        "Hypervisor": "Server", "Farm": "Cluster", "PC": "Device", "Printer": "Device",
        "NetworkDevice": "Device", "Network Device": "Device", "StorageSystem": "Device",
        "SANSwitch": "Device", "NAS": "Device", "TapeLibrary": "Device", "Peripheral": "Device",
        "MobilePhone": "Device", "IPPhone": "Device", "Phone": "Device", "Tablet": "Device",
        "Rack": "Equipment", "Enclosure": "Equipment", "PowerSource": "Equipment", "PDU": "Equipment",
        "ApplicationSolution": "Application", "BusinessProcess": "BusinessProcess",
        "DBServer": "SystemSoftware", "Middleware": "SystemSoftware",
        "MiddlewareInstance": "SystemSoftware", "WebServer": "SystemSoftware",
        "PCSoftware": "SystemSoftware", "OtherSoftware": "SystemSoftware",
        "DatabaseSchema": "Database", "WebApplication": "ApplicationComponent",
        "ContainerCluster": "ContainerPlatform", "ContainerHost": "SystemSoftware",
        "ContainerApplication": "ApplicationComponent", "Containerized Application": "ApplicationComponent",
        "ContainerImage": "Artifact",
    }  # fmt: skip
    for cls, type_name in classes.items():
        ok, target = elements.type.classes.lookup(cls)
        assert ok and isinstance(target, ClassTarget), cls
        assert target.type == type_name, cls
