"""The shipped sample landscape (examples/) through the real importers and sync engine.

The sources are read as examples/ea.yaml declares them (the configuration `ea demo` copies),
into a temporary SQLite repository; the tests then check the facts the demo and the README
rely on.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterator, Set
from dataclasses import dataclass
from pathlib import Path

import pytest

from ea_repo.analysis.incidents import status_at
from ea_repo.config import load_workspace
from ea_repo.importers.base import ImportBatch
from ea_repo.importers.cmdb import CmdbImporter
from ea_repo.importers.flows import FlowBatch, FlowsImporter
from ea_repo.importers.presets import load_preset
from ea_repo.metamodel import Metamodel, load_metamodel
from ea_repo.model import Direction, Element, Relation, Step
from ea_repo.sources import read_source, source_specs
from ea_repo.store import SQLiteStore
from ea_repo.sync import SyncEngine, SyncResult

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@dataclass
class Sample:
    mm: Metamodel
    store: SQLiteStore
    cmdb: ImportBatch
    flows: FlowBatch
    results: dict[str, SyncResult]
    elements: dict[str, Element]
    relations: list[Relation]

    def named(self, name: str) -> list[Element]:
        return sorted((e for e in self.elements.values() if e.name == name), key=lambda e: e.id)

    def app(self, name: str) -> Element:
        (found,) = [e for e in self.named(name) if e.type == "Application"]
        return found


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    workspace = load_workspace(EXAMPLES, env={})
    assert workspace.metamodel == "builtin"
    sources = dict(workspace.sources)
    assert list(sources) == ["cmdb", "eol", "business", "interfaces", "incidents"]
    cmdb_cfg, flows_cfg = sources["cmdb"], sources["interfaces"]
    assert (cmdb_cfg["importer"], cmdb_cfg["preset"], flows_cfg["importer"]) == (
        "cmdb",
        "servicenow",
        "flows",
    )
    mm = load_metamodel()
    cmdb = CmdbImporter(load_preset("servicenow", mm), mm).read(
        *(EXAMPLES / f for f in cmdb_cfg["files"])
    )
    flows = FlowsImporter(mm).read(*(EXAMPLES / f for f in flows_cfg["files"]))
    store = SQLiteStore(tmp_path_factory.mktemp("sample") / "repository.db")
    results = {
        "cmdb": SyncEngine(store, mm).run("cmdb", cmdb, on_missing=cmdb_cfg["on_missing"]),
        "interfaces": SyncEngine(store, mm).run("interfaces", flows),
    }
    yield Sample(
        mm,
        store,
        cmdb,
        flows,
        results,
        {e.id: e for e in store.iter_elements()},
        list(store.iter_relations()),
    )
    store.close()


def test_both_sources_import_without_a_problem(sample: Sample) -> None:
    assert sample.cmdb.problems == []
    assert sample.flows.problems == []
    assert all(r.applied for r in sample.results.values())
    # What the exports hold on purpose and the importers skip, counted.
    assert sample.cmdb.skipped["install_status is 'Retired'"] == 5
    assert sample.cmdb.skipped["relationship to a CI skipped in this import"] == 1
    assert sample.flows.skipped == {
        "Status is 'Planned' (not in service yet)": 3,
        "Status is 'Retired' (retired)": 2,
    }


def test_counts_are_those_of_a_mid_sized_landscape(sample: Sample) -> None:
    types = Counter(e.type for e in sample.elements.values())
    cis = sum(n for t, n in types.items() if t != "DataObject")
    assert 300 <= cis <= 1000
    assert 40 <= types["Application"] <= 60
    assert types["VirtualMachine"] >= 150
    assert types["Server"] >= 30
    assert types["SystemSoftware"] >= 60
    assert types["Cluster"] >= 5 and types["ContainerPlatform"] == 1
    assert types["Device"] == 3  # the F5 load balancers
    assert 40 <= types["DataObject"] <= 80
    relations = Counter(r.type for r in sample.relations)
    assert 150 <= relations["flow"] <= 300
    for kind in ("runs_on", "hosted_on", "member_of", "located_in", "depends_on", "accesses"):
        assert relations[kind] > 0, kind


def test_the_wms_has_sixty_flows_in_and_out_many_through_the_esb(sample: Sample) -> None:
    wms = sample.app("WMS Reflex").id
    flows = [r for r in sample.relations if r.type == "flow"]
    inbound = [r for r in flows if r.dst == wms]
    outbound = [r for r in flows if r.src == wms]
    assert len(inbound) + len(outbound) >= 60
    assert len(inbound) >= 25 and len(outbound) >= 25
    via_esb = [r for r in flows if r.attrs.get("middleware") == "ESB"]
    assert len(via_esb) >= 80
    # Middleware names are application names of the CMDB: the ESB, the ETL, the MFT, Kafka.
    middleware = {r.attrs["middleware"] for r in flows if "middleware" in r.attrs}
    assert middleware == {"ESB", "Talend ETL", "Axway MFT", "Kafka Event Hub"}
    assert all(sample.app(m) for m in middleware)
    protocols = {r.attrs.get("protocol") for r in flows}
    assert {"SFTP", "MQ", "REST/HTTPS", "SOAP", "JDBC", "EDI AS2", "Kafka"} <= protocols


def test_both_datacenters_and_the_decommissioning_note(sample: Sample) -> None:
    (paris,) = sample.named("DC Paris Nord")
    (lyon,) = sample.named("DC Lyon Sud")
    assert paris.type == lyon.type == "Datacenter"
    assert "DECOMMISSIONING" in lyon.attrs["description"]
    assert not sample.named("DC Nanterre")  # retired in the export: skipped


def reaches(sample: Sample, start: str, targets: Set[str], steps: list[Step]) -> bool:
    """Whether a BFS from ``start`` along ``steps`` reaches one of ``targets``.

    Other applications are not crossed: an application must reach a datacenter through
    its own infrastructure, not through an application it depends on.
    """
    seen, queue = {start}, deque([start])
    while queue:
        for hop in sample.store.neighbors([queue.popleft()], steps):
            if hop.target in targets:
                return True
            if hop.target not in seen and sample.elements[hop.target].type != "Application":
                seen.add(hop.target)
                queue.append(hop.target)
    return False


def test_every_application_reaches_a_datacenter(sample: Sample) -> None:
    datacenters = {e.id for e in sample.elements.values() if e.type == "Datacenter"}
    # From what depends to what it depends on: software on nodes, VMs on hosts and
    # clusters, clusters through their members, nodes in datacenters; SaaS applications
    # depend on their provider's datacenter.
    steps = [
        Step("runs_on", Direction.OUT),
        Step("hosted_on", Direction.OUT),
        Step("member_of", Direction.IN),
        Step("located_in", Direction.OUT),
        Step("depends_on", Direction.OUT),
    ]
    apps = [e for e in sample.elements.values() if e.type == "Application"]
    stranded = [a.name for a in apps if not reaches(sample, a.id, datacenters, steps)]
    assert stranded == []
    # Without depends_on, only the SaaS applications (on their provider's datacenter) are
    # left: no application reaches a datacenter merely through a load balancer it uses.
    compute_only = steps[:4]
    assert {a.name for a in apps if not reaches(sample, a.id, datacenters, compute_only)} == {
        "Payment Gateway",
        "TMS",
        "RELEX Replenishment",
        "Marketing Cloud",
        "Service Cloud",
        "Kyriba",
        "Workday HCM",
        "Power BI",
    }
    # The WMS's chain: the AS/400 in DC Paris Nord.
    (paris,) = sample.named("DC Paris Nord")
    assert reaches(sample, sample.app("WMS Reflex").id, {paris.id}, steps[:1] + steps[3:4])


def test_personal_data_objects_are_flagged(sample: Sample) -> None:
    objects = {e.name: e for e in sample.elements.values() if e.type == "DataObject"}
    personal = {n for n, e in objects.items() if e.attrs["personal_data"]}
    assert {
        "Customer",
        "Customer consent",
        "Loyalty account",
        "Employee",
        "Payment card token",
        "Erasure request",
    } <= personal
    assert {"Product", "Stock level", "Purchase order", "Invoice"}.isdisjoint(personal)
    # The consent service reaches every system holding customer data with erasure requests.
    consent = sample.app("Consent & Data Purge").id
    erasure_targets = {
        sample.elements[r.dst].name
        for r in sample.relations
        if r.type == "flow" and r.src == consent and "Erasure request" in r.attrs["data_objects"]
    }
    assert {"CRM Dynamics", "Loyalty", "OMS", "WMS Reflex", "Data Warehouse"} <= erasure_targets


def test_duplicated_names_are_told_apart(sample: Sample) -> None:
    # No sys_id in the export: the composite key name|type|serial_number keeps same-named
    # CIs apart, and the class columns of the relationship export resolve each name.
    for name, types in [
        ("oms-db01", {"VirtualMachine", "SystemSoftware"}),
        ("crm-sql01", {"VirtualMachine", "SystemSoftware"}),
        ("loy-pg01", {"VirtualMachine", "SystemSoftware"}),
        ("dwh-ora01", {"Server", "SystemSoftware"}),
        ("srv-backup01", {"Server"}),
    ]:
        found = sample.named(name)
        assert len(found) == 2, name
        assert {e.type for e in found} == types, name
    vm, instance = sorted(sample.named("oms-db01"), key=lambda e: e.type != "VirtualMachine")
    oms = sample.app("OMS").id
    edges = {(r.src, r.type, r.dst) for r in sample.relations}
    assert (oms, "depends_on", instance.id) in edges
    assert (vm.id, "hosted_on", "VCL-PAR-PROD01|Cluster") in edges


def test_an_instance_runs_on_its_same_named_host(sample: Sample) -> None:
    vm, instance = sorted(sample.named("oms-db01"), key=lambda e: e.type != "VirtualMachine")
    edges = {(r.src, r.type, r.dst) for r in sample.relations}
    assert (instance.id, "runs_on", vm.id) in edges


def test_the_readme_counts_are_those_of_the_files(sample: Sample) -> None:
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    elements = Counter(e.type for e in sample.elements.values())
    relations = Counter(r.type for r in sample.relations)
    headline = re.search(r"\*\*(\d+) elements and (\d+) relations\*\*", text)
    assert headline is not None
    assert (int(headline[1]), int(headline[2])) == (
        sum(elements.values()),
        sum(relations.values()),
    )
    rows = dict(re.findall(r"^\| (\w+) \| (\d+)\b", text, re.MULTILINE))
    assert {k: int(v) for k, v in rows.items()} == dict(elements) | dict(relations)


def test_lyon_waves_move_what_runs_in_lyon_and_touch_its_partners(sample: Sample) -> None:
    # The README's datacenter example: what is hosted in DC Lyon Sud moves, and only
    # that; what uses it or exchanges data with it stays and is listed as touched.
    from ea_repo.analysis.waves import plan_waves
    from ea_repo.selection import select_ids

    hosted = select_ids(sample.store, sample.mm, 'in:"DC Lyon Sud"')
    report = plan_waves(sample.store, sample.mm, hosted, max_size=40)
    moving = {e.name for w in report.waves for e in w.elements if e.type == "Application"}
    assert moving == {
        "Axway MFT",
        "BusinessObjects BI",
        "EDI Generix",
        "HR Access Payroll",
        "Kelio Time & Attendance",
        "Logistics Invoicing (AS/400)",
        "Store Back-Office",
        "Voice Picking",
    }
    # +X is what depends on X: flow partners in Paris and SaaS come with it.
    dependents = select_ids(sample.store, sample.mm, '+"DC Lyon Sud"')
    assert {sample.app("TMS").id, sample.app("Webshop").id} <= dependents
    touched = {e.name for e in report.touched}
    # Active Directory and Veeam have servers in both sites: they stay, and lose their Lyon ones.
    assert {"Active Directory", "Veeam Backup", "WMS Reflex", "TMS", "Workday HCM"} <= touched
    assert not touched & moving
    ad = [t for w in report.waves for t in w.touched if t.element.name == "Active Directory"]
    assert ("runs on", "adlyo01", True) in {(t.link, t.moving.name, t.depends) for t in ad}


def test_the_incident_export_reads_cleanly_with_three_open_together(sample: Sample) -> None:
    (spec,) = [s for s in source_specs(load_workspace(EXAMPLES, env={})) if s.name == "incidents"]
    batch = read_source(spec, sample.mm, sample.store)  # reads the CMDB's CIs, writes nothing
    assert batch.problems == [] and batch.skipped == {}
    incidents = {r.key: r for r in batch.records if r.kind == "element"}
    cis = {
        r.src.value: r.dst.value for r in batch.records if r.kind == "relation" and r.src and r.dst
    }
    assert len(incidents) == 12 and set(cis) == set(incidents)
    # The display times are Paris time: 10:15 there is 09:15 UTC.
    open_then = {
        k for k, r in incidents.items() if status_at(r.attrs, "2026-03-14T09:15:00Z") == "open"
    }
    assert {cis[k] for k in open_then} == {"CRM Dynamics", "SAP ECC", "Tagetik Consolidation"}
    assert {k for k, r in incidents.items() if r.attrs["state"] == "on_hold"} == {"INC0010012"}
