#!/usr/bin/env python3
"""Generate the sample landscape of ``examples/``: a retail group's CMDB and interface catalog.

Writes, next to this script, what the architects of a (fictional) retail group
would export from their tools:

* ``servicenow/cmdb_ci.csv`` — a ServiceNow ``cmdb_ci`` list export (List >
  Export > CSV): field names as headers, display values in the cells (class
  labels in ``sys_class_name``, ``16,384`` MB of RAM, ``2024-05-16 12:40:57``
  dates), no ``sys_id`` column, a few names shared by two CIs of different
  classes, and a few Retired rows;
* ``servicenow/cmdb_rel_ci.csv`` — the ``cmdb_rel_ci`` export naming parent and
  child by display name, with the dot-walked ``parent.sys_class_name`` /
  ``child.sys_class_name`` columns that tell same-named CIs apart;
* ``interfaces.csv`` — the integration team's interface catalog, saved by
  Excel as "CSV UTF-8" (BOM, CRLF), in the shape the ``flows`` importer reads.

The output is deterministic (seeded; run it twice, get the same bytes). With
``--check`` (the default) it then imports the files through the real
importers and sync engine into a temporary repository, fails on any problem,
and prints the landscape's counts by type (the table in ``README.md``).

    python examples/build_sample.py            # regenerate and check
    python examples/build_sample.py --no-check # regenerate only (stdlib only)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20240516
COMPANY = "Belcour Retail Group"
DOMAIN = "belcour-retail.example"

# fmt: off
# Tables of data: kept one entry per line, as written.
CI_COLUMNS = [
    "name", "sys_class_name", "install_status", "operational_status", "used_for",
    "ip_address", "fqdn", "os", "os_version", "cpu_count", "ram", "disk_space",
    "serial_number", "manufacturer", "model_id", "location", "vendor", "version",
    "busines_criticality", "short_description", "owned_by", "support_group", "company",
    "sys_updated_on",
]
REL_COLUMNS = [
    "parent", "type", "child", "parent.sys_class_name", "child.sys_class_name",
    "connection_strength", "sys_updated_on",
]
FLOW_COLUMNS = [
    "Interface ID", "Interface name", "Source application", "Target application", "Protocol",
    "Middleware", "Data objects", "Format", "Frequency", "Criticality", "Personal data",
    "Status", "Integration owner", "Last review", "Description",
]

# ServiceNow class labels, as a list export displays sys_class_name.
BAPP, APPL = "Business Application", "Application"
VM, CLOUD_VM = "VMware Virtual Machine Instance", "Virtual Machine Instance"
LINUX, WINDOWS, ESX, SERVER = "Linux Server", "Windows Server", "ESX Server", "Server"
CNODE, WNODE = "Cluster Node", "Windows Cluster Node"
VCLUSTER, CLUSTER, WCLUSTER, K8S = (
    "VMware vCenter Cluster",
    "Cluster",
    "Windows Cluster",
    "Kubernetes Cluster",
)
ORACLE, MSSQL, POSTGRES, MYSQL, DB2 = (
    "Oracle Instance",
    "MSFT SQL Instance",
    "PostgreSQL Instance",
    "MySQL Instance",
    "DB2 Instance",
)
TOMCAT, WEBSPHERE, JBOSS, WEBLOGIC = "Tomcat", "WebSphere", "JBoss", "WebLogic"
IIS, NGINX, APPSERVER = "Microsoft IIS Web Server", "Nginx Web Server", "Application Server"
F5, DATACENTER, AWS_DC, AZURE_DC = "F5 BIG-IP", "Data Center", "AWS Datacenter", "Azure Datacenter"

# Relationship types, as cmdb_rel_ci displays them.
RUNS_ON = "Runs on::Runs"
DEPENDS_ON = "Depends on::Used by"
HOSTED_ON = "Hosted on::Hosts"
VIRTUALIZED_BY = "Virtualized by::Virtualizes"
MEMBERS = "Members::Member of"
CLUSTER_OF = "Cluster of::Cluster"
CONTAINS = "Contains::Contained by"
LOCATED_IN = "Located in::Houses"
SENDS_DATA = "Sends data to::Receives data from"

# Operating systems as ServiceNow discovery fills `os` and `os_version`.
OS = {
    "rhel6": ("Linux Red Hat", "6.10"),
    "rhel7": ("Linux Red Hat", "7.9"),
    "rhel8": ("Linux Red Hat", "8.8"),
    "rhel8.6": ("Linux Red Hat", "8.6"),
    "rhel8.10": ("Linux Red Hat", "8.10"),
    "rhel9": ("Linux Red Hat", "9.2"),
    "rhel9.4": ("Linux Red Hat", "9.4"),
    "amzn2": ("Linux Amazon", "2"),
    "w2008": ("Windows 2008 R2 Enterprise", "6.1.7601"),
    "w2012": ("Windows 2012 R2 Standard", "6.3.9600"),
    "w2016": ("Windows 2016 Standard", "10.0.14393"),
    "w2016dc": ("Windows 2016 Datacenter", "10.0.14393"),
    "w2019": ("Windows 2019 Standard", "10.0.17763"),
    "w2022": ("Windows 2022 Standard", "10.0.20348"),
    "esx67": ("ESXi", "6.7.0"),
    "esx70": ("ESXi", "7.0.3"),
    "esx80": ("ESXi", "8.0.2"),
    "ibmi72": ("IBM i", "7.2"),
    "ibmi73": ("IBM i", "7.3"),
    "tmos": ("BIG-IP TMOS", "15.1.10"),
}
CRITICALITY = {1: "1 - most critical", 2: "2 - somewhat critical", 3: "3 - less critical", 4: "4 - not critical"}
# fmt: on


@dataclass(frozen=True)
class Site:
    """Where infrastructure lives: a datacenter CI, the location display value, a subnet."""

    dc: str
    dc_class: str
    location: str
    net: int


SITES = {
    "PAR": Site("DC Paris Nord", DATACENTER, "Saint-Denis - DC Paris Nord", 10),
    "LYO": Site("DC Lyon Sud", DATACENTER, "Vénissieux - DC Lyon Sud", 20),
    "AWS": Site("AWS eu-west-3 (Paris)", AWS_DC, "AWS eu-west-3", 30),
    "AZ": Site("Azure France Central", AZURE_DC, "Azure France Central", 40),
}

Ci = tuple[str, str]
"""A CI as the relationship export names it: (display name, class label)."""


class Landscape:
    """Accumulates CI rows and relationship rows, with seeded ids, serials and dates."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.cis: dict[Ci, dict[str, str]] = {}
        self.rels: list[tuple[Ci, str, Ci]] = []
        self.hosts: dict[str, int] = Counter()

    # ------------------------------------------------------------- primitives

    def ci(self, name: str, cls: str, **cols: str) -> Ci:
        """A CI row, Installed and Operational unless ``cols`` say otherwise."""
        key = (name, cls)
        if key in self.cis:
            raise ValueError(f"CI defined twice: {key}")
        row = dict.fromkeys(CI_COLUMNS, "")
        row.update(
            name=name,
            sys_class_name=cls,
            install_status="Installed",
            operational_status="Operational",
            company=COMPANY,
            sys_updated_on=self.when(),
        )
        row.update(cols)
        self.cis[key] = row
        return key

    def rel(self, parent: Ci, type_: str, child: Ci) -> None:
        """A relationship row between two CIs already defined."""
        if parent not in self.cis or child not in self.cis:
            raise ValueError(f"relationship to an unknown CI: {parent} {type_} {child}")
        self.rels.append((parent, type_, child))

    def when(self, start: str = "2024-02-01", days: int = 130) -> str:
        """A ``sys_updated_on`` value within ``days`` after ``start``."""
        base = dt.datetime.fromisoformat(start)
        moment = base + dt.timedelta(seconds=self.rng.randrange(days * 86400))
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    def ip(self, site: str) -> str:
        """The next address of the site's subnet."""
        net = SITES[site].net
        self.hosts[site] += 1
        n = self.hosts[site]
        return f"10.{net}.{n // 200 + 1}.{n % 200 + 10}"

    def hexpairs(self, n: int) -> str:
        """``n`` random hexadecimal bytes, space-separated."""
        return " ".join(f"{self.rng.randrange(256):02x}" for _ in range(n))

    def vmware_serial(self) -> str:
        """A serial number as VMware gives its VMs."""
        return f"VMware-42 {self.hexpairs(7)}-{self.hexpairs(8)}"

    def tag(self, prefix: str, n: int) -> str:
        """A hardware serial number: ``prefix`` and ``n`` characters."""
        alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(n))

    @staticmethod
    def mb(gb: int) -> str:
        """Gigabytes as the ``ram`` column shows them: megabytes with a thousands separator."""
        return f"{gb * 1024:,}"

    # ----------------------------------------------------------------- nodes

    def node_cols(
        self, name: str, site: str, os_key: str, cpu: int, ram_gb: int, used_for: str
    ) -> dict[str, str]:
        """The columns every node row has."""
        os_name, os_version = OS[os_key]
        return {
            "ip_address": self.ip(site),
            "fqdn": f"{name.lower()}.{DOMAIN}",
            "os": os_name,
            "os_version": os_version,
            "cpu_count": str(cpu),
            "ram": self.mb(ram_gb),
            "disk_space": f"{self.rng.choice([80, 120, 200, 500, 1200, 2400]):,}",
            "location": SITES[site].location,
            "used_for": used_for,
        }

    def vm(
        self,
        name: str,
        site: str,
        host: Ci,
        os_key: str,
        cpu: int = 4,
        ram_gb: int = 16,
        used_for: str = "Production",
        desc: str = "",
        group: str = "INFRA-VIRTU",
        **extra: str,
    ) -> Ci:
        """A VMware VM, virtualized by ``host`` (a vCenter cluster or an ESX server)."""
        ref = self.ci(
            name,
            VM,
            **self.node_cols(name, site, os_key, cpu, ram_gb, used_for),
            serial_number=self.vmware_serial(),
            manufacturer="VMware, Inc.",
            model_id="VMware Virtual Platform",
            short_description=desc,
            support_group=group,
            **extra,
        )
        self.rel(ref, VIRTUALIZED_BY, host)
        return ref

    def cloud_vm(
        self,
        name: str,
        site: str,
        os_key: str,
        size: str,
        cpu: int,
        ram_gb: int,
        desc: str = "",
        group: str = "CLOUD-OPS",
    ) -> Ci:
        """A cloud VM, hosted on the region's datacenter CI."""
        aws = site == "AWS"
        serial = (
            (
                "ec2"
                + "".join(self.rng.choice("0123456789abcdef") for _ in range(5))
                + "-"
                + "-".join(self.hexpairs(2).replace(" ", "") for _ in range(3))
                + "-"
                + self.hexpairs(6).replace(" ", "")
            )
            if aws
            else self.tag("0000-0016-", 10)
        )
        ref = self.ci(
            name,
            CLOUD_VM,
            **self.node_cols(name, site, os_key, cpu, ram_gb, "Production"),
            serial_number=serial,
            manufacturer="Amazon EC2" if aws else "Microsoft Corporation",
            model_id=size,
            short_description=desc,
            support_group=group,
        )
        self.rel(ref, HOSTED_ON, (SITES[site].dc, SITES[site].dc_class))
        return ref

    def physical(
        self,
        name: str,
        cls: str,
        site: str,
        os_key: str,
        manufacturer: str,
        model: str,
        cpu: int,
        ram_gb: int,
        desc: str = "",
        used_for: str = "Production",
        group: str = "INFRA-SYSTEMS",
        contained: bool = True,
    ) -> Ci:
        """A physical node, contained by its site's datacenter unless ``contained`` is false."""
        prefix, length = {"Dell Inc.": ("", 7), "HPE": ("CZJ", 7), "IBM": ("78", 5)}[manufacturer]
        ref = self.ci(
            name,
            cls,
            **self.node_cols(name, site, os_key, cpu, ram_gb, used_for),
            serial_number=self.tag(prefix, length),
            manufacturer=manufacturer,
            model_id=model,
            short_description=desc,
            support_group=group,
        )
        if contained:
            self.rel((SITES[site].dc, SITES[site].dc_class), CONTAINS, ref)
        return ref

    def software(
        self,
        name: str,
        cls: str,
        version: str,
        host: Ci,
        vendor: str,
        desc: str = "",
        used_for: str = "Production",
        group: str = "INFRA-MIDDLEWARE",
    ) -> Ci:
        """An installed software (DBMS instance, application server) running on ``host``."""
        ref = self.ci(
            name,
            cls,
            version=version,
            vendor=vendor,
            short_description=desc,
            used_for=used_for,
            support_group=group,
            location=self.cis[host]["location"],
        )
        self.rel(ref, RUNS_ON, host)
        return ref

    def app(
        self,
        name: str,
        crit: int,
        vendor: str,
        version: str,
        owner: str,
        group: str,
        desc: str,
        cls: str = BAPP,
    ) -> Ci:
        """An application CI (a *Business Application* unless ``cls`` says otherwise)."""
        return self.ci(
            name,
            cls,
            vendor=vendor,
            version=version,
            busines_criticality=CRITICALITY[crit],
            owned_by=owner,
            support_group=group,
            short_description=desc,
        )


# fmt: off
# Middleware as discovery names its instances ("<label>@<host>"): label, class, version, vendor.
SW = {
    "tomcat85": ("Tomcat", TOMCAT, "8.5.93", "Apache Software Foundation"),
    "tomcat9": ("Tomcat", TOMCAT, "9.0.85", "Apache Software Foundation"),
    "websphere9": ("WebSphere", WEBSPHERE, "9.0.5.14", "IBM"),
    "websphere855": ("WebSphere", WEBSPHERE, "8.5.5.20", "IBM"),
    "jboss72": ("JBoss", JBOSS, "EAP 7.2.0", "Red Hat"),
    "weblogic12": ("WebLogic", WEBLOGIC, "12.2.1.3.0", "Oracle"),
    "iis75": ("IIS", IIS, "7.5", "Microsoft"),
    "iis85": ("IIS", IIS, "8.5", "Microsoft"),
    "iis10": ("IIS", IIS, "10.0", "Microsoft"),
    "nginx": ("nginx", NGINX, "1.20.1", "F5, Inc."),
    "ace12": ("ACE", APPSERVER, "12.0.10.0", "IBM"),
}
# Database engines: class, version as discovery reports it, vendor, product for descriptions.
DB = {
    "ora11": (ORACLE, "11.2.0.4.0", "Oracle", "Oracle Database 11g Release 2"),
    "ora12": (ORACLE, "12.1.0.2.0", "Oracle", "Oracle Database 12c Release 1"),
    "ora19": (ORACLE, "19.0.0.0.0", "Oracle", "Oracle Database 19c"),
    "sql2012": (MSSQL, "11.0.7507.2", "Microsoft", "SQL Server 2012 Standard"),
    "sql2016": (MSSQL, "13.0.6435.1", "Microsoft", "SQL Server 2016 Standard"),
    "sql2019": (MSSQL, "15.0.4345.5", "Microsoft", "SQL Server 2019 Standard"),
    "pg11": (POSTGRES, "11.22", "PostgreSQL Global Development Group", "PostgreSQL 11"),
    "pg15": (POSTGRES, "15.6", "PostgreSQL Global Development Group", "PostgreSQL 15"),
    "pg16": (POSTGRES, "16.2", "PostgreSQL Global Development Group", "PostgreSQL 16"),
    "mysql80": (MYSQL, "8.0.35", "Oracle", "MySQL 8.0"),
    "db2i72": (DB2, "7.2", "IBM", "Db2 for IBM i 7.2"),
    "db2i73": (DB2, "7.3", "IBM", "Db2 for IBM i 7.3"),
}


def build_cmdb(ls: Landscape) -> None:
    """The CIs and relationships of the group's CMDB."""
    # ------------------------------------------------------------ datacenters
    dcs = {
        "PAR": ls.ci(
            "DC Paris Nord",
            DATACENTER,
            short_description="Primary datacenter (owned, Tier III), Saint-Denis",
            location=SITES["PAR"].location,
            support_group="INFRA-DC",
        ),
        "LYO": ls.ci(
            "DC Lyon Sud",
            DATACENTER,
            short_description="Secondary datacenter (colocation), Vénissieux - DECOMMISSIONING: contract ends 2026-12-31, remaining workloads to move to DC Paris Nord or the cloud",
            location=SITES["LYO"].location,
            support_group="INFRA-DC",
        ),
        "AWS": ls.ci(
            "AWS eu-west-3 (Paris)",
            AWS_DC,
            short_description="AWS region eu-west-3, account belcour-prod",
            location=SITES["AWS"].location,
            support_group="CLOUD-OPS",
        ),
        "AZ": ls.ci(
            "Azure France Central",
            AZURE_DC,
            short_description="Azure region France Central, subscription BLC-PROD",
            location=SITES["AZ"].location,
            support_group="CLOUD-OPS",
        ),
    }
    saas = {
        "salesforce": ls.ci(
            "Salesforce Hyperforce EU (Frankfurt)",
            AWS_DC,
            short_description="SaaS provider hosting: Salesforce on AWS eu-central-1 (GDPR data residency record)",
            support_group="CLOUD-OPS",
        ),
        "workday": ls.ci(
            "Workday EU (Dublin)",
            DATACENTER,
            short_description="SaaS provider hosting: Workday EU data centers (GDPR data residency record)",
            support_group="CLOUD-OPS",
        ),
        "adyen": ls.ci(
            "Adyen EU (Amsterdam)",
            DATACENTER,
            short_description="SaaS provider hosting: Adyen payment platform, EU (PCI DSS)",
            support_group="CLOUD-OPS",
        ),
        "transporeon": ls.ci(
            "Transporeon EU (Frankfurt)",
            DATACENTER,
            short_description="SaaS provider hosting: Transporeon platform, EU",
            support_group="CLOUD-OPS",
        ),
        "kyriba": ls.ci(
            "Kyriba EU (Paris)",
            DATACENTER,
            short_description="SaaS provider hosting: Kyriba treasury, EU",
            support_group="CLOUD-OPS",
        ),
        "azwe": ls.ci(
            "Azure West Europe",
            AZURE_DC,
            short_description="Microsoft Azure West Europe: hosts our SaaS vendors RELEX and Power BI",
            support_group="CLOUD-OPS",
        ),
    }
    ls.ci("DC Nanterre", DATACENTER, install_status="Retired", operational_status="Retired", short_description="Former datacenter, closed 2019")

    # -------------------------------------------------------- virtualisation
    clusters: dict[str, Ci] = {}
    for name, site, hosts, os_key, model, ram, desc in [
        (
            "VCL-PAR-PROD01",
            "PAR",
            range(1, 9),
            "esx70",
            "PowerEdge R750",
            768,
            "vSphere cluster production 1",
        ),
        (
            "VCL-PAR-PROD02",
            "PAR",
            range(9, 15),
            "esx80",
            "PowerEdge R760",
            1024,
            "vSphere cluster production 2 (OpenShift, e-commerce)",
        ),
        (
            "VCL-PAR-HPROD",
            "PAR",
            range(15, 19),
            "esx70",
            "PowerEdge R740",
            512,
            "vSphere cluster non-production (recette, QA, dev)",
        ),
        (
            "VCL-LYO-PROD01",
            "LYO",
            range(1, 5),
            "esx67",
            "ProLiant DL380 Gen9",
            384,
            "vSphere cluster Lyon (legacy workloads, to migrate)",
        ),
    ]:
        cluster = ls.ci(name, VCLUSTER, short_description=desc, location=SITES[site].location, support_group="INFRA-VIRTU")
        clusters[name] = cluster
        for i in hosts:
            host = ls.physical(
                f"esx{site.lower()}{i:02d}", ESX, site, os_key,
                "HPE" if site == "LYO" else "Dell Inc.", model, 48, ram,
                desc=f"ESXi host of {name}", group="INFRA-VIRTU",
            )
            ls.rel(cluster, MEMBERS, host)
    # A standalone host in the Lyon DMZ, outside any cluster.
    dmz = ls.physical("esxlyo05", ESX, "LYO", "esx67", "HPE", "ProLiant DL360 Gen9", 24, 256, desc="Standalone ESXi host, DMZ (file transfer gateways)", group="INFRA-VIRTU")
    ls.ci("esxlyo06", ESX, install_status="Retired", operational_status="Retired", serial_number=ls.tag("CZJ", 7), location=SITES["LYO"].location, short_description="Decommissioned 2023")
    par1, par2, hprod, lyo = (clusters[n] for n in ("VCL-PAR-PROD01", "VCL-PAR-PROD02", "VCL-PAR-HPROD", "VCL-LYO-PROD01"))

    ocp = ls.ci("ocp-par-prod", K8S, version="4.12", vendor="Red Hat", short_description="OpenShift Container Platform, production (e-commerce and store microservices)", support_group="PLATFORM", location=SITES["PAR"].location)
    ls.rel(ocp, HOSTED_ON, par2)
    for i in range(1, 7):
        worker = ls.vm(f"ocp-par-wrk{i:02d}", "PAR", par2, "rhel8.6", 16, 64, desc="OpenShift worker (RHCOS)", group="PLATFORM")
        ls.rel(ocp, MEMBERS, worker)

    # ------------------------------------------------------ load balancers
    lbs = {}
    for name, site in [("lb-par-f5-01", "PAR"), ("lb-par-f5-02", "PAR"), ("lb-lyo-f5-01", "LYO")]:
        lbs[name] = ls.ci(
            name, F5, ip_address=ls.ip(site), fqdn=f"{name}.{DOMAIN}", os=OS["tmos"][0],
            os_version=OS["tmos"][1], serial_number=ls.tag("f5-", 8).lower(),
            manufacturer="F5 Networks", model_id="BIG-IP i5800", location=SITES[site].location,
            used_for="Production", support_group="INFRA-NETWORK",
        )
        ls.rel(lbs[name], LOCATED_IN, dcs[site])

    # ----------------------------------------------- shared physical clusters
    rac = ls.ci("RAC-PAR-ERP", CLUSTER, short_description="Oracle RAC 12c cluster (SAP ECC, Oracle Retail)", location=SITES["PAR"].location, support_group="DBA-ORACLE")
    for i in (1, 2):
        node = ls.physical(f"orapar-erp0{i}", CNODE, "PAR", "rhel7", "Dell Inc.", "PowerEdge R740", 64, 768, desc="Oracle RAC node", group="DBA-ORACLE")
        ls.rel(node, CLUSTER_OF, rac)
    wsfc = ls.ci("WSFC-PAR-SQL01", WCLUSTER, short_description="Windows failover cluster for SQL Server (POS, consolidation)", location=SITES["PAR"].location, support_group="DBA-SQLSERVER")
    for suffix in ("a", "b"):
        node = ls.physical(f"sqlpar01{suffix}", WNODE, "PAR", "w2016dc", "HPE", "ProLiant DL380 Gen10", 32, 512, desc="SQL Server failover cluster node", group="DBA-SQLSERVER")
        ls.rel(node, CLUSTER_OF, wsfc)

    as400 = ls.physical("AS400PRD1", SERVER, "PAR", "ibmi73", "IBM", "Power System S914 (9009-41A)", 8, 256, desc="IBM i production partition (WMS)", group="INFRA-IBMI")
    as400_rec = ls.physical("AS400REC1", SERVER, "PAR", "ibmi73", "IBM", "Power System S914 (9009-41A)", 4, 128, desc="IBM i recette partition (WMS)", used_for="Staging", group="INFRA-IBMI")
    as400_lyo = ls.physical("AS400LYO1", SERVER, "LYO", "ibmi72", "IBM", "Power System S814 (8286-41A)", 4, 64, desc="IBM i 7.2 partition, Lyon (logistics invoicing) - out of IBM support", group="INFRA-IBMI")

    # Same name, two classes of the same element type (Server): nothing refers to them
    # by name, so the composite key (name|type|serial) keeps them apart without a problem.
    ls.physical("srv-backup01", LINUX, "PAR", "rhel8", "Dell Inc.", "PowerEdge R540", 16, 64, desc="Backup media server (Veeam proxy)", group="INFRA-BACKUP", contained=False)
    ls.physical("srv-backup01", WINDOWS, "LYO", "w2016", "HPE", "ProLiant DL380 Gen9", 8, 32, desc="Backup server (old Backup Exec)", group="INFRA-BACKUP", contained=False)

    def deploy(app: Ci, code: str, site: str, host: Ci, role: str, n: int, os_key: str,
               sw: str | None = None, cpu: int = 4, ram: int = 16, group: str = "") -> list[Ci]:
        """n VMs (or cloud VMs) ``code-roleNN``; the app runs on their middleware, else on them."""
        made = []
        for i in range(1, n + 1):
            name = f"{code}-{role}{i:02d}"
            if site in ("AWS", "AZ"):
                node = ls.cloud_vm(name, site, os_key, "m5.xlarge" if site == "AWS" else "Standard_D4s_v5", cpu, ram, desc=f"{ls.cis[app]['name']} {role}")
            else:
                node = ls.vm(name, site, host, os_key, cpu, ram, desc=f"{ls.cis[app]['name']} {role}", group=group or "INFRA-VIRTU")
            if sw is not None:
                label, cls, version, vendor = SW[sw]
                inst = ls.software(f"{label}@{name}", cls, version, node, vendor)
                ls.rel(app, RUNS_ON, inst)
            else:
                ls.rel(app, RUNS_ON, node)
            made.append(node)
        return made

    def database(app: Ci | None, name: str, engine: str, host: Ci, used_for: str = "Production") -> Ci:
        cls, version, vendor, product = DB[engine]
        group = {ORACLE: "DBA-ORACLE", MSSQL: "DBA-SQLSERVER", DB2: "INFRA-IBMI"}.get(cls, "DBA-OPENSOURCE")
        inst = ls.software(name, cls, version, host, vendor, desc=product, used_for=used_for, group=group)
        if app is not None:
            ls.rel(app, DEPENDS_ON, inst)
        return inst

    def db_vm(app: Ci, host_name: str, site: str, cluster: Ci, os_key: str, engine: str,
              instance: str | None = None, cpu: int = 8, ram: int = 64) -> Ci:
        """A database VM and its instance; ``instance`` defaults to the engine's usual naming."""
        node = ls.vm(host_name, site, cluster, os_key, cpu, ram, desc=f"Database server ({DB[engine][3]})", group="DBA")
        cls = DB[engine][0]
        if instance is None:
            instance = {
                MSSQL: f"{host_name.upper()}\\{host_name.split('-')[0].upper()}",
                POSTGRES: f"{host_name}:5432",
                MYSQL: f"{host_name}:3306",
            }.get(cls, host_name.split("-")[0].upper() + "PRD")
        return database(app, instance, engine, node)

    def nonprod(code: str, roles: list[tuple[str, str]], engine: str | None = None, site: str = "PAR") -> None:
        """Recette (staging) VMs for each role and a recette database; dev VMs for n-tier apps."""
        host = hprod if site == "PAR" else lyo
        for env, used_for in (("rec", "Staging"), ("dev", "Development")):
            if env == "dev" and len(roles) < 2:
                continue
            for role, os_key in roles:
                ls.vm(f"{code}-{env}-{role}01", site, host, os_key, 2, 8, used_for=used_for, desc=f"{code.upper()} {env} {role}")
            if engine and env == "rec":
                node = ls.vm(f"{code}-{env}-db01", site, host, roles[0][1], 4, 32, used_for=used_for, desc=f"{code.upper()} {env} database")
                cls = DB[engine][0]
                instance = {
                    ORACLE: f"{code.upper()}REC",
                    MSSQL: f"{code.upper()}-{env.upper()}-DB01\\{code.upper()}",
                    POSTGRES: f"{code}-{env}-db01:5432",
                    MYSQL: f"{code}-{env}-db01:3306",
                }[cls]
                database(None, instance, engine, node, used_for=used_for)

    def on_saas(app: Ci, where: str) -> None:
        ls.rel(app, HOSTED_ON, saas[where])

    # ------------------------------------------------------------ applications
    # Identity first: many applications depend on it.
    ad = ls.app("Active Directory", 1, "Microsoft", "2016 forest level", "Marc Lefebvre", "INFRA-IDENTITY", "Corporate directory and authentication (belcour.local)", cls=APPL)
    for name, site, os_key, physical in [("adpar01", "PAR", "w2019", True), ("adpar02", "PAR", "w2019", False), ("adlyo01", "LYO", "w2016", True)]:
        node = (
            ls.physical(
                name,
                WINDOWS,
                site,
                os_key,
                "Dell Inc." if site == "PAR" else "HPE",
                "PowerEdge R440" if site == "PAR" else "ProLiant DL360 Gen9",
                8,
                32,
                desc="Domain controller",
                group="INFRA-IDENTITY",
            )
            if physical
            else ls.vm(
                name, site, par1, os_key, 4, 16, desc="Domain controller", group="INFRA-IDENTITY"
            )
        )
        ls.rel(ad, RUNS_ON, node)
    sso = ls.app("SSO PingFederate", 1, "Ping Identity", "10.3", "Marc Lefebvre", "INFRA-IDENTITY", "Single sign-on (SAML, OIDC) for employees and suppliers", cls=APPL)
    deploy(sso, "sso", "PAR", par1, "app", 2, "rhel8")
    nonprod("sso", [("app", "rhel8")])
    ls.rel(sso, DEPENDS_ON, lbs["lb-par-f5-01"])
    ls.rel(sso, DEPENDS_ON, ad)

    # Integration platforms.
    esb = ls.app("ESB", 1, "IBM", "App Connect Enterprise 12", "Nadia Benali", "INTEG-ICC", "Enterprise service bus (IBM ACE + IBM MQ): most application flows go through it", cls=APPL)
    deploy(esb, "esb", "PAR", par1, "node", 4, "rhel8.10", sw="ace12", cpu=8, ram=32)
    nonprod("esb", [("node", "rhel8.10")])
    kafka = ls.app("Kafka Event Hub", 2, "Confluent", "Confluent Platform 7.4", "Nadia Benali", "PLATFORM", "Event streaming platform (stores, e-commerce events)", cls=APPL)
    deploy(kafka, "kfk", "PAR", par2, "brk", 3, "rhel8", cpu=8, ram=64)
    nonprod("kfk", [("brk", "rhel8")])
    talend = ls.app("Talend ETL", 2, "Qlik (Talend)", "7.3.1", "Julien Moreau", "DATA-TEAM", "Batch ETL jobs (data warehouse loads, finance extracts)", cls=APPL)
    deploy(talend, "tal", "PAR", par1, "job", 2, "rhel7", cpu=8, ram=32)
    db_vm(talend, "tal-pg01", "PAR", par1, "rhel7", "pg11")
    nonprod("tal", [("job", "rhel7")])
    mft = ls.app("Axway MFT", 2, "Axway", "SecureTransport 5.5", "Nadia Benali", "INTEG-ICC", "Managed file transfer gateway (SFTP with partners and legacy systems)", cls=APPL)
    deploy(mft, "mft", "LYO", dmz, "gw", 2, "rhel7")
    db_vm(mft, "mft-db01", "LYO", lyo, "rhel6", "ora11", instance="MFTPRD")
    ls.rel(mft, DEPENDS_ON, lbs["lb-lyo-f5-01"])

    # Logistics.
    wms = ls.app("WMS Reflex", 1, "Hardis Group", "Reflex WMS 11.2", "Sophie Garnier", "APP-LOGISTICS", "Warehouse management for the 3 distribution centres (IBM i, RPG/ILE)")
    ls.rel(wms, RUNS_ON, as400)
    database(wms, "WMSPRD", "db2i73", as400)
    database(None, "WMSREC", "db2i73", as400_rec, used_for="Staging")
    ls.rel(wms, DEPENDS_ON, ad)
    facl = ls.app("Logistics Invoicing (AS/400)", 3, "", "3.4", "Sophie Garnier", "APP-LOGISTICS", "Billing of logistics services to franchisees (in-house RPG, IBM i 7.2)")
    ls.rel(facl, RUNS_ON, as400_lyo)
    database(facl, "FACLOG", "db2i72", as400_lyo)
    voice = ls.app("Voice Picking", 2, "Honeywell", "Vocollect VoiceConsole 5.4", "Sophie Garnier", "APP-LOGISTICS", "Voice-directed picking in the distribution centres")
    deploy(voice, "voc", "LYO", lyo, "app", 1, "w2012", sw="iis85")
    db_vm(voice, "voc-sql01", "LYO", lyo, "w2012", "sql2012")
    tms = ls.app("TMS", 1, "Transporeon", "SaaS", "Sophie Garnier", "APP-LOGISTICS", "Transport management, carrier booking and tracking (SaaS)")
    on_saas(tms, "transporeon")

    # Merchandising and supply.
    rms = ls.app("Merchandising RMS", 1, "Oracle", "Oracle Retail Merchandising 16.0", "Olivier Petit", "APP-MERCH", "Item, supplier, purchase order and store replenishment master system")
    deploy(rms, "rms", "PAR", par1, "app", 2, "rhel7", sw="weblogic12", cpu=8, ram=32)
    database(rms, "RMSPRD", "ora12", rac)
    nonprod("rms", [("app", "rhel7")], "ora12")
    mdm = ls.app("MDM Semarchy", 2, "Semarchy", "xDM 5.3", "Olivier Petit", "APP-MERCH", "Product and supplier master data hub")
    deploy(mdm, "mdm", "PAR", par1, "app", 1, "rhel8", sw="tomcat9")
    db_vm(mdm, "mdm-pg01", "PAR", par1, "rhel8", "pg15")
    nonprod("mdm", [("app", "rhel8")], "pg15")
    pim = ls.app("PIM Akeneo", 2, "Akeneo", "7.0", "Emma Rousseau", "APP-ECOM", "Product information (marketing content, images) for all channels")
    deploy(pim, "pim", "PAR", par2, "app", 1, "rhel8", sw="nginx")
    db_vm(pim, "pim-db01", "PAR", par2, "rhel8", "mysql80")
    nonprod("pim", [("app", "rhel8")], "mysql80")
    pricing = ls.app("Pricing Engine", 2, "", "2.8", "Olivier Petit", "APP-MERCH", "Retail prices and promotions for stores and online (in-house Java)")
    deploy(pricing, "prc", "PAR", par2, "app", 2, "rhel9", sw="tomcat9")
    db_vm(pricing, "prc-pg01", "PAR", par2, "rhel9", "pg16")
    nonprod("prc", [("app", "rhel9")])
    relex = ls.app("RELEX Replenishment", 2, "RELEX Solutions", "SaaS", "Olivier Petit", "APP-MERCH", "Demand forecasting and store replenishment (SaaS)")
    on_saas(relex, "azwe")
    supplier = ls.app("Supplier Portal", 3, "", "4.1", "Olivier Petit", "APP-MERCH", "Supplier self-service: appointments, ASNs, invoices status (in-house)")
    deploy(supplier, "sup", "PAR", par1, "app", 2, "rhel7", sw="jboss72")
    db_vm(supplier, "sup-pg01", "PAR", par1, "rhel7", "pg15")
    ls.rel(supplier, DEPENDS_ON, lbs["lb-par-f5-02"])
    ls.rel(supplier, DEPENDS_ON, sso)
    nonprod("sup", [("app", "rhel7")], "pg15")
    edi = ls.app("EDI Generix", 1, "Generix Group", "GCI Invoice Manager 6", "Nadia Benali", "INTEG-ICC", "EDI gateway with suppliers, carriers and franchisees (EDIFACT over AS2/SFTP)")
    edi_srv = ls.physical("srvlyo-edi01", WINDOWS, "LYO", "w2008", "HPE", "ProLiant DL380 G7", 8, 32, desc="EDI gateway server - Windows 2008 R2, out of support", group="INTEG-ICC")
    ls.rel(edi, RUNS_ON, edi_srv)
    database(edi, "SRVLYO-EDI01\\EDI", "sql2012", edi_srv)

    # Stores.
    pos = ls.app("Store POS", 1, "Aptos", "Store 21.2", "Thomas Lambert", "APP-STORES", "Point of sale central server for 312 stores (tills sync every 15 min)")
    deploy(pos, "pos", "PAR", par1, "app", 2, "w2016", sw="iis10", cpu=8, ram=32)
    database(pos, "SQLCLU01\\POS", "sql2016", wsfc)
    nonprod("pos", [("app", "w2016")])
    sbo = ls.app("Store Back-Office", 2, "", "5.12", "Thomas Lambert", "APP-STORES", "Store back-office: receptions, orders, counts, staff hours (in-house .NET)")
    deploy(sbo, "sbo", "LYO", lyo, "web", 2, "w2012", sw="iis85")
    db_vm(sbo, "sbo-sql01", "LYO", lyo, "w2012", "sql2012")
    nonprod("sbo", [("web", "w2012")], "sql2012", site="LYO")
    ls.rel(sbo, DEPENDS_ON, lbs["lb-lyo-f5-01"])
    ls.rel(sbo, DEPENDS_ON, ad)
    sinv = ls.app("Store Inventory", 3, "", "1.6", "Thomas Lambert", "APP-STORES", "RFID store inventory and stock requests (microservices on OpenShift)")
    ls.rel(sinv, RUNS_ON, ocp)
    db_vm(sinv, "sinv-pg01", "PAR", par2, "rhel8", "pg15")
    nonprod("sinv", [("api", "rhel8")], "pg15")
    gift = ls.app("Gift Card Service", 3, "", "2.0", "Thomas Lambert", "APP-STORES", "Gift card issuing and redemption (in-house .NET)")
    deploy(gift, "gcs", "PAR", par1, "app", 1, "w2019", sw="iis10")
    db_vm(gift, "gcs-sql01", "PAR", par1, "w2019", "sql2019", instance="gcs-sql01")
    nonprod("gcs", [("app", "w2019")], "sql2019")

    # E-commerce.
    webshop = ls.app("Webshop", 1, "SAP", "SAP Commerce 2205", "Emma Rousseau", "APP-ECOM", "belcour.example online store (storefront and back office)")
    deploy(webshop, "web", "PAR", par2, "fo", 4, "rhel8", sw="tomcat9", cpu=8, ram=32)
    deploy(webshop, "web", "PAR", par2, "bo", 2, "rhel8", sw="tomcat9")
    db_vm(webshop, "web-ora01", "PAR", par2, "rhel8", "ora19", instance="WEBPRD", cpu=16, ram=128)
    ls.rel(webshop, DEPENDS_ON, lbs["lb-par-f5-01"])
    ls.rel(webshop, DEPENDS_ON, lbs["lb-par-f5-02"])
    nonprod("web", [("fo", "rhel8"), ("bo", "rhel8")], "ora19")
    mobile = ls.app("Mobile App Backend", 2, "", "3.9", "Emma Rousseau", "APP-ECOM", "Backend of the iOS/Android app (microservices on OpenShift)")
    ls.rel(mobile, RUNS_ON, ocp)
    db_vm(mobile, "mob-pg01", "PAR", par2, "rhel9.4", "pg15")
    nonprod("mob", [("api", "rhel9.4")], "pg15")
    ls.rel(mobile, DEPENDS_ON, lbs["lb-par-f5-01"])
    search = ls.app("Product Search", 2, "Elastic", "Elasticsearch 7.17", "Emma Rousseau", "APP-ECOM", "Product search and facets for web and app (self-managed on AWS)")
    deploy(search, "search", "AWS", dcs["AWS"], "es", 3, "amzn2", cpu=8, ram=64)
    payment = ls.app("Payment Gateway", 1, "Adyen", "SaaS", "Emma Rousseau", "APP-ECOM", "Card and wallet payments, online and in store (PSP, SaaS)")
    on_saas(payment, "adyen")
    oms = ls.app("OMS", 1, "IBM", "Sterling Order Management 10.0", "Emma Rousseau", "APP-ECOM", "Order management: web, app and click & collect orders, ship-from-store")
    deploy(oms, "oms", "PAR", par1, "app", 2, "rhel7", sw="websphere9", cpu=8, ram=32)
    # The instance carries its VM's name: "oms-db01" is a VM and an Oracle Instance.
    db_vm(oms, "oms-db01", "PAR", par1, "rhel8", "ora19", instance="oms-db01", cpu=16, ram=128)
    ls.rel(oms, DEPENDS_ON, lbs["lb-par-f5-02"])
    nonprod("oms", [("app", "rhel7")], "ora19")
    ls.ci("oms-app03", VM, install_status="Retired", operational_status="Retired", serial_number=ls.vmware_serial(), location=SITES["PAR"].location, short_description="OMS app node, removed 2023-11")
    ls.rel(oms, RUNS_ON, ("oms-app03", VM))  # the export still relates the retired VM

    # Customer.
    crm = ls.app("CRM Dynamics", 2, "Microsoft", "Dynamics CRM 2016 (8.2) on-premises", "Laura Fontaine", "APP-CUSTOMER", "Customer relationship management (store and web customers)")
    deploy(crm, "crm", "PAR", par1, "web", 2, "w2012", sw="iis85")
    deploy(crm, "crm", "PAR", par1, "async", 1, "w2012")
    db_vm(crm, "crm-sql01", "PAR", par1, "w2016", "sql2016", instance="crm-sql01")
    ls.rel(crm, DEPENDS_ON, lbs["lb-par-f5-02"])
    ls.rel(crm, DEPENDS_ON, ad)
    nonprod("crm", [("web", "w2012")])
    loyalty = ls.app("Loyalty", 2, "", "6.3", "Laura Fontaine", "APP-CUSTOMER", "Loyalty programme: cards, points, vouchers (in-house Java)")
    deploy(loyalty, "loy", "PAR", par1, "app", 2, "rhel7", sw="tomcat85")
    db_vm(loyalty, "loy-pg01", "PAR", par1, "rhel7", "pg11", instance="loy-pg01")
    nonprod("loy", [("app", "rhel7")], "pg11")
    ls.ci("Legacy Loyalty (Cobol)", BAPP, install_status="Retired", operational_status="Retired", busines_criticality=CRITICALITY[3], short_description="Former loyalty system, replaced by Loyalty in 2021")
    consent = ls.app("Consent & Data Purge", 2, "", "1.4", "Laura Fontaine", "APP-CUSTOMER", "Customer consents (GDPR) and right-to-erasure orchestration across systems")
    deploy(consent, "consent", "AWS", dcs["AWS"], "app", 2, "rhel9")
    node = ls.cloud_vm("consent-pg01", "AWS", "rhel9", "r6g.large", 2, 16, desc="Consent database")
    database(consent, "consent-pg01:5432", "pg16", node)
    marketing = ls.app("Marketing Cloud", 3, "Salesforce", "SaaS", "Laura Fontaine", "APP-CUSTOMER", "Marketing automation: e-mail/SMS campaigns, journeys (SaaS)")
    on_saas(marketing, "salesforce")
    service = ls.app("Service Cloud", 2, "Salesforce", "SaaS", "Laura Fontaine", "APP-CUSTOMER", "Customer service: cases, chat, agent console (SaaS)")
    on_saas(service, "salesforce")
    ls.rel(service, DEPENDS_ON, sso)

    # Finance.
    ecc = ls.app("SAP ECC", 1, "SAP", "ECC 6.0 EHP7", "Isabelle Roux", "APP-FINANCE", "Finance and controlling ERP (FI/CO, purchasing of non-merchandise)")
    deploy(ecc, "sapecc", "PAR", par1, "ci", 1, "rhel7", cpu=8, ram=64)
    deploy(ecc, "sapecc", "PAR", par1, "app", 3, "rhel7", cpu=16, ram=96)
    database(ecc, "ECP", "ora12", rac)
    nonprod("sapecc", [("app", "rhel7")], "ora12")
    ls.rel(ecc, DEPENDS_ON, ad)
    sage = ls.app("Sage FRP 1000", 2, "Sage", "FRP 1000 v7.60", "Isabelle Roux", "APP-FINANCE", "Accounting of the franchise subsidiary (Belcour Franchise SAS)")
    deploy(sage, "frp", "PAR", par1, "app", 1, "w2012")
    db_vm(sage, "frp-sql01", "PAR", par1, "w2012", "sql2012")
    nonprod("frp", [("app", "w2012")], "sql2012")
    kyriba = ls.app("Kyriba", 2, "Kyriba", "SaaS", "Isabelle Roux", "APP-FINANCE", "Treasury: cash positions, bank connectivity, payments (SaaS)")
    on_saas(kyriba, "kyriba")
    tagetik = ls.app("Tagetik Consolidation", 3, "Wolters Kluwer", "CCH Tagetik 5.2", "Isabelle Roux", "APP-FINANCE", "Group financial consolidation and budgeting")
    deploy(tagetik, "tag", "PAR", par1, "app", 1, "w2016")
    database(tagetik, "SQLCLU01\\TAG", "sql2016", wsfc)

    # HR.
    workday = ls.app("Workday HCM", 2, "Workday", "SaaS", "Hélène Mercier", "APP-HR", "Core HR: employees, organisation, recruitment (SaaS)")
    on_saas(workday, "workday")
    payroll = ls.app("HR Access Payroll", 1, "Sopra HR Software", "HR Access 7.30", "Hélène Mercier", "APP-HR", "Payroll for 9,400 employees (runs monthly on the 24th)")
    deploy(payroll, "hra", "LYO", lyo, "app", 2, "rhel6", cpu=4, ram=32)
    db_vm(payroll, "hra-db01", "LYO", lyo, "rhel6", "ora11", instance="HRAPRD")
    nonprod("hra", [("app", "rhel6")], "ora11", site="LYO")
    kelio = ls.app("Kelio Time & Attendance", 3, "Bodet Software", "Kelio 5.2", "Hélène Mercier", "APP-HR", "Badging, schedules and time records for stores and warehouses")
    kel_srv = ls.physical("srvlyo-kel01", WINDOWS, "LYO", "w2008", "HPE", "ProLiant DL360 G7", 4, 16, desc="Kelio server - Windows 2008 R2, out of support", group="APP-HR")
    ls.software("IIS@srvlyo-kel01", IIS, "7.5", kel_srv, "Microsoft")
    ls.rel(kelio, RUNS_ON, ("IIS@srvlyo-kel01", IIS))
    database(kelio, "SRVLYO-KEL01\\KELIO", "sql2012", kel_srv)

    # Data and BI.
    dwh = ls.app("Data Warehouse", 2, "Oracle", "19c", "Julien Moreau", "DATA-TEAM", "Enterprise data warehouse (sales, stock, customers, finance)")
    # A physical server and its Oracle instance share the name "dwh-ora01".
    dwh_srv = ls.physical("dwh-ora01", LINUX, "PAR", "rhel7", "Dell Inc.", "PowerEdge R940", 96, 1536, desc="Data warehouse database server", group="DBA-ORACLE")
    ls.rel(dwh, RUNS_ON, dwh_srv)
    database(dwh, "dwh-ora01", "ora19", dwh_srv)
    bo = ls.app("BusinessObjects BI", 3, "SAP", "BI Platform 4.2 SP8", "Julien Moreau", "DATA-TEAM", "Historical reporting (to be replaced by Power BI)")
    deploy(bo, "bo", "LYO", lyo, "app", 2, "w2012", sw="tomcat85", cpu=8, ram=32)
    db_vm(bo, "bo-sql01", "LYO", lyo, "w2012", "sql2012")
    nonprod("bo", [("app", "w2012")], site="LYO")
    powerbi = ls.app("Power BI", 3, "Microsoft", "SaaS", "Julien Moreau", "DATA-TEAM", "Self-service BI and dashboards (SaaS)")
    on_saas(powerbi, "azwe")
    gateway = ls.cloud_vm("pbi-gw01", "AZ", "w2022", "Standard_D4s_v5", 4, 16, desc="Power BI on-premises data gateway")
    ls.rel(powerbi, DEPENDS_ON, gateway)
    ls.rel(powerbi, DEPENDS_ON, sso)

    # Technical applications: in the CMDB, not in the interface catalog.
    zabbix = ls.app("Zabbix Monitoring", 2, "Zabbix", "6.0 LTS", "Karim Haddad", "INFRA-MONITORING", "Infrastructure and application monitoring", cls=APPL)
    deploy(zabbix, "zbx", "PAR", par1, "srv", 1, "rhel8", sw="nginx")
    deploy(zabbix, "zbx", "PAR", par1, "proxy", 2, "rhel8")
    db_vm(zabbix, "zbx-pg01", "PAR", par1, "rhel8", "pg15")
    veeam = ls.app("Veeam Backup", 1, "Veeam", "12.1", "Karim Haddad", "INFRA-BACKUP", "Backup of VMs and databases (both datacenters)", cls=APPL)
    deploy(veeam, "veeam", "PAR", par1, "srv", 1, "w2019")
    deploy(veeam, "veeam", "LYO", lyo, "proxy", 2, "w2016")
    citrix = ls.app("Citrix Virtual Apps", 2, "Citrix", "7 1912 LTSR", "Karim Haddad", "INFRA-WORKPLACE", "Published applications for head office and warehouses (SAP GUI, AS/400 emulator)", cls=APPL)
    deploy(citrix, "ctx", "PAR", par1, "sf", 2, "w2016", sw="iis10")
    deploy(citrix, "ctx", "PAR", par1, "vda", 6, "w2016", cpu=8, ram=48)
    db_vm(citrix, "ctx-sql01", "PAR", par1, "w2016", "sql2016")
    ls.rel(citrix, DEPENDS_ON, ad)
    ls.rel(citrix, DEPENDS_ON, lbs["lb-par-f5-01"])
    gitlab = ls.app("GitLab", 3, "GitLab", "16.11", "Karim Haddad", "PLATFORM", "Source code, CI/CD pipelines", cls=APPL)
    deploy(gitlab, "gitlab", "AWS", dcs["AWS"], "app", 1, "rhel9", cpu=8, ram=32)
    deploy(gitlab, "gitlab", "AWS", dcs["AWS"], "runner", 3, "rhel9")
    ls.rel(gitlab, DEPENDS_ON, sso)

    # Flows the CMDB records itself (identity provisioning); the interface catalog does not
    # list these pairs, so no flow is asserted twice.
    for parent, child in CMDB_FLOWS:
        ls.rel((parent, APPL if parent in APPLICATION_CLASS else BAPP), SENDS_DATA, (child, APPL if child in APPLICATION_CLASS else BAPP))

    # Unattached non-production VMs, as every CMDB has them.
    for i in range(1, 31):
        ls.vm(f"tst-par-{i:03d}", "PAR", hprod, ls.rng.choice(["rhel8", "rhel9", "w2019", "w2022"]), 2, 8, used_for=ls.rng.choice(["Test", "Development", "QA"]), desc="Sandbox VM")
    for i in range(1, 13):
        ls.vm(f"tst-lyo-{i:03d}", "LYO", lyo, ls.rng.choice(["rhel7", "w2012"]), 2, 8, used_for=ls.rng.choice(["Test", "Development"]), desc="Sandbox VM (to clean up before DC exit)")
    ls.ci("tst-lyo-099", VM, install_status="Retired", operational_status="Retired", serial_number=ls.vmware_serial(), location=SITES["LYO"].location, short_description="Deleted")


APPLICATION_CLASS = {"Active Directory", "SSO PingFederate", "ESB", "Kafka Event Hub", "Talend ETL", "Axway MFT", "Zabbix Monitoring", "Veeam Backup", "Citrix Virtual Apps", "GitLab"}
CMDB_FLOWS = [
    ("Active Directory", "SSO PingFederate"),
    ("Active Directory", "Kelio Time & Attendance"),
    ("SSO PingFederate", "Service Cloud"),
    ("SSO PingFederate", "Workday HCM"),
]

# ------------------------------------------------------------ interface catalog

# Data objects and whether they hold personal data. A catalog row is marked
# "Personal data: Yes" exactly when it carries personal objects, and never mixes
# personal and non-personal objects (the flows importer flags every object of a
# personal row).
PERSONAL = {
    "Customer", "Customer order", "Delivery address", "Customer consent", "Loyalty account",
    "Loyalty transaction", "Employee", "Payslip", "Time record", "Payment card token",
    "Payment transaction", "Customer return", "Parcel label", "User account", "Service ticket",
    "Erasure request", "Email engagement", "Customer segment", "Salary payment",
    "Operator productivity",
}
NOT_PERSONAL = {
    "Product", "Product content", "Supplier", "Price", "Promotion", "Stock level",
    "Stock movement", "Purchase order", "Advance shipping notice", "Goods receipt",
    "Inventory count", "Transfer order", "Store allocation", "Store", "Shipment",
    "Transport plan", "Delivery status", "Dock appointment", "Invoice", "Supplier invoice",
    "General ledger entry", "Bank statement", "Payment order", "Sales forecast",
    "Replenishment order", "Sales receipt", "Sales figures", "Warehouse activity",
    "Warehouse task", "Tariff", "Gift card", "Payment settlement", "Marketing campaign",
    "Loyalty liability", "Consolidated results", "Cash position",
}

WMS, OMS, RMS, EDI, TMS = "WMS Reflex", "OMS", "Merchandising RMS", "EDI Generix", "TMS"
ESB, ETL, MFT, KAFKA = "ESB", "Talend ETL", "Axway MFT", "Kafka Event Hub"
RT, H, D, W, M = "Real-time", "Hourly", "Daily", "Weekly", "Monthly"

# (source, target, name, objects, protocol, middleware, format, frequency, criticality[, extras])
Row = tuple
WMS_FLOWS: list[Row] = [
    (RMS, WMS, "Item master", "Product", "MQ", ESB, "XML", RT, "High"),
    (RMS, WMS, "Purchase orders", "Purchase order", "MQ", ESB, "XML", RT, "Critical"),
    (RMS, WMS, "Purchase order changes", "Purchase order", "SOAP", ESB, "XML", RT, "High"),
    (RMS, WMS, "Store transfer orders", "Transfer order", "MQ", ESB, "XML", RT, "High"),
    (RMS, WMS, "Store allocations", "Store allocation", "SFTP", MFT, "CSV", "Daily 05:00", "High"),
    (RMS, WMS, "Store master", "Store", "SFTP", ESB, "CSV", D, "Low"),
    ("MDM Semarchy", WMS, "Product logistics data (dimensions, weights, pallets)", "Product", "REST/HTTPS", ESB, "JSON", RT, "Medium"),
    ("MDM Semarchy", WMS, "Supplier master", "Supplier", "REST/HTTPS", ESB, "JSON", D, "Low"),
    (OMS, WMS, "E-commerce order release", "Customer order; Delivery address", "MQ", ESB, "XML", RT, "Critical"),
    (OMS, WMS, "Order cancellation", "Customer order", "MQ", ESB, "XML", RT, "High"),
    (OMS, WMS, "Order modification (address change)", "Customer order; Delivery address", "MQ", ESB, "XML", RT, "High"),
    (OMS, WMS, "Click & collect reservation", "Customer order", "MQ", ESB, "XML", RT, "High"),
    (OMS, WMS, "Customer return announcement", "Customer return", "MQ", ESB, "XML", RT, "Medium"),
    (OMS, WMS, "Ship-from-store rerouting", "Customer order", "REST/HTTPS", ESB, "JSON", RT, "Medium"),
    (EDI, WMS, "Supplier despatch advice (DESADV)", "Advance shipping notice", "SFTP", MFT, "EDIFACT D96A", "Every 15 min", "Critical"),
    (EDI, WMS, "Carrier status (IFTSTA)", "Delivery status", "SFTP", MFT, "EDIFACT D96A", H, "Medium"),
    ("Supplier Portal", WMS, "Dock appointment booking", "Dock appointment", "REST/HTTPS", ESB, "JSON", RT, "High"),
    ("Supplier Portal", WMS, "Supplier ASN entered on the portal", "Advance shipping notice", "REST/HTTPS", ESB, "JSON", RT, "High"),
    (TMS, WMS, "Transport plan", "Transport plan", "REST/HTTPS", ESB, "JSON", H, "High"),
    (TMS, WMS, "Carrier assignment", "Shipment", "REST/HTTPS", ESB, "JSON", RT, "High"),
    (TMS, WMS, "Proof of delivery", "Delivery status", "REST/HTTPS", ESB, "JSON", D, "Medium"),
    ("RELEX Replenishment", WMS, "Store replenishment orders", "Replenishment order", "SFTP", MFT, "CSV", "Daily 04:00", "Critical"),
    ("RELEX Replenishment", WMS, "Volume forecast for labour planning", "Sales forecast", "SFTP", MFT, "CSV", W, "Low"),
    ("Voice Picking", WMS, "Pick confirmations", "Warehouse task", "TCP socket", "", "Fixed-length", RT, "Critical"),
    ("Voice Picking", WMS, "Operator log-on and log-off", "Employee", "TCP socket", "", "Fixed-length", RT, "Medium"),
    ("Store Back-Office", WMS, "Store receipt confirmation", "Goods receipt", "SFTP", ESB, "XML", D, "Medium"),
    ("Store Back-Office", WMS, "Store returns to warehouse", "Transfer order", "SFTP", ESB, "XML", D, "Medium"),
    ("Store Inventory", WMS, "Urgent store stock requests", "Replenishment order", "Kafka", KAFKA, "Avro", RT, "Medium"),
    ("Workday HCM", WMS, "Warehouse staff list", "Employee", "SFTP", MFT, "CSV", D, "Medium"),
    ("Kelio Time & Attendance", WMS, "Shift schedules", "Time record", "SFTP", MFT, "CSV", D, "Low"),
    ("Active Directory", WMS, "User accounts (LDAP sync)", "User account", "LDAPS", "", "LDIF", RT, "Medium"),
    ("Consent & Data Purge", WMS, "Customer erasure requests", "Erasure request", "REST/HTTPS", ESB, "JSON", D, "High"),
    ("Logistics Invoicing (AS/400)", WMS, "Logistics tariffs", "Tariff", "JDBC", "", "DB2 tables", M, "Low", {"noid": True}),
    ("SAP ECC", WMS, "Blocked suppliers", "Supplier", "SFTP", ESB, "CSV", D, "Low"),
    ("Pricing Engine", WMS, "Price labels for store deliveries", "Price", "SFTP", ESB, "CSV", D, "Medium"),
    (WMS, OMS, "Order status (picked, packed)", "Customer order", "MQ", ESB, "XML", RT, "Critical"),
    (WMS, OMS, "Shipment confirmation", "Customer order; Parcel label", "MQ", ESB, "XML", RT, "Critical"),
    (WMS, OMS, "Short-pick notification", "Customer order", "MQ", ESB, "XML", RT, "High"),
    (WMS, OMS, "Warehouse stock availability", "Stock level", "MQ", ESB, "XML", "Every 5 min", "Critical"),
    (WMS, OMS, "Customer return receipt", "Customer return", "MQ", ESB, "XML", RT, "Medium"),
    (WMS, "Webshop", "Real-time stock availability", "Stock level", "REST/HTTPS", ESB, "JSON", RT, "High"),
    (WMS, RMS, "Purchase order receipts", "Goods receipt", "MQ", ESB, "XML", RT, "Critical"),
    (WMS, RMS, "Stock adjustments", "Stock movement", "MQ", ESB, "XML", RT, "High"),
    (WMS, RMS, "Inventory count results", "Inventory count", "SFTP", MFT, "CSV", M, "Medium"),
    (WMS, RMS, "Transfer shipments", "Shipment", "MQ", ESB, "XML", RT, "High"),
    (WMS, RMS, "Daily stock snapshot", "Stock level", "SFTP", MFT, "CSV", "Daily 23:30", "High"),
    (WMS, "SAP ECC", "Goods movements (IDoc WMMBXY)", "Stock movement", "SOAP", ESB, "IDoc", H, "High"),
    (WMS, "SAP ECC", "Month-end stock valuation", "Stock level", "SFTP", ETL, "CSV", M, "High"),
    (WMS, "SAP ECC", "Receipts for invoice matching", "Goods receipt", "SOAP", ESB, "IDoc", D, "Critical"),
    (WMS, TMS, "Shipping requests", "Shipment", "REST/HTTPS", ESB, "JSON", RT, "Critical"),
    (WMS, TMS, "E-commerce parcel data (labels)", "Parcel label; Delivery address", "REST/HTTPS", ESB, "JSON", RT, "Critical"),
    (WMS, TMS, "Loading lists", "Shipment", "REST/HTTPS", ESB, "JSON", H, "High"),
    (WMS, EDI, "Despatch advice to franchise stores (DESADV)", "Advance shipping notice", "SFTP", MFT, "EDIFACT D96A", D, "High"),
    (WMS, EDI, "Receiving advice to suppliers (RECADV)", "Goods receipt", "SFTP", MFT, "EDIFACT D96A", D, "Medium"),
    (WMS, "Supplier Portal", "Receipt discrepancies", "Goods receipt", "REST/HTTPS", ESB, "JSON", D, "Medium"),
    (WMS, "Supplier Portal", "Appointment confirmations", "Dock appointment", "REST/HTTPS", ESB, "JSON", RT, "Medium"),
    (WMS, "Data Warehouse", "Shipments extract", "Shipment", "JDBC", ETL, "Table", "Daily 01:00", "Medium"),
    (WMS, "Data Warehouse", "Receipts extract", "Goods receipt", "JDBC", ETL, "Table", "Daily 01:00", "Medium"),
    (WMS, "Data Warehouse", "Stock extract", "Stock level", "JDBC", ETL, "Table", "Daily 01:00", "Medium"),
    (WMS, "Data Warehouse", "E-commerce order lines extract", "Customer order", "JDBC", ETL, "Table", "Daily 01:00", "Medium"),
    (WMS, "Data Warehouse", "Productivity by operator", "Operator productivity", "JDBC", ETL, "Table", "Daily 01:00", "Low"),
    (WMS, "RELEX Replenishment", "Warehouse stock on hand", "Stock level", "SFTP", MFT, "CSV", "Daily 22:00", "Critical"),
    (WMS, "RELEX Replenishment", "Open receipts", "Purchase order", "SFTP", MFT, "CSV", "Daily 22:00", "High"),
    (WMS, "Store Back-Office", "Store delivery notice", "Advance shipping notice", "SFTP", ESB, "XML", D, "High"),
    (WMS, "Store Inventory", "Goods in transit to stores", "Shipment", "Kafka", KAFKA, "Avro", RT, "Medium"),
    (WMS, "Logistics Invoicing (AS/400)", "Activity volumes for franchise billing", "Warehouse activity", "JDBC", "", "DB2 tables", D, "Medium", {"noid": True}),
    (WMS, "Voice Picking", "Pick assignments", "Warehouse task", "TCP socket", "", "Fixed-length", RT, "Critical"),
    (WMS, "Kelio Time & Attendance", "Hours worked per activity", "Time record", "SFTP", MFT, "CSV", D, "Low"),
    (WMS, "Consent & Data Purge", "Erasure confirmations", "Erasure request", "REST/HTTPS", ESB, "JSON", D, "High"),
    (WMS, "Service Cloud", "Delivery tracking for customer service", "Customer order", "REST/HTTPS", ESB, "JSON", RT, "Medium"),
    (WMS, "Data Warehouse", "Legacy stock extract (FTP)", "Stock level", "FTP", "", "CSV", D, "Low", {"status": "Retired", "desc": "Replaced by the Talend stock extract in 2023"}),
    (WMS, TMS, "Pallet tracking events (RFID)", "Shipment", "Kafka", KAFKA, "Avro", RT, "Medium", {"status": "Planned", "desc": "Project RFID-DC, go-live planned Q1 2025"}),
]

OTHER_FLOWS: list[Row] = [
    # E-commerce
    ("Webshop", OMS, "Web order capture", "Customer order; Delivery address", "REST/HTTPS", ESB, "JSON", RT, "Critical"),
    ("Webshop", "Payment Gateway", "Payment authorisation (web)", "Payment card token; Payment transaction", "REST/HTTPS", "", "JSON", RT, "Critical"),
    ("Payment Gateway", "Webshop", "Payment notification webhook", "Payment transaction", "REST/HTTPS", "", "JSON", RT, "Critical"),
    ("Payment Gateway", "SAP ECC", "Settlement report", "Payment settlement", "SFTP", MFT, "CSV", D, "High"),
    ("Payment Gateway", "Kyriba", "Payout notification", "Payment settlement", "SFTP", MFT, "CSV", D, "Medium"),
    ("Mobile App Backend", OMS, "App order capture", "Customer order; Delivery address", "REST/HTTPS", ESB, "JSON", RT, "Critical"),
    ("Mobile App Backend", "Payment Gateway", "In-app payment", "Payment card token; Payment transaction", "REST/HTTPS", "", "JSON", RT, "Critical"),
    ("Mobile App Backend", "Loyalty", "Digital loyalty card", "Loyalty account", "REST/HTTPS", "", "JSON", RT, "High"),
    ("Mobile App Backend", "CRM Dynamics", "Customer account sync (app)", "Customer", "REST/HTTPS", ESB, "JSON", RT, "High"),
    ("Mobile App Backend", "Consent & Data Purge", "Consent captured in the app", "Customer consent", "REST/HTTPS", ESB, "JSON", RT, "High"),
    ("PIM Akeneo", "Webshop", "Product content publication", "Product content", "REST/HTTPS", ESB, "JSON", H, "High"),
    ("PIM Akeneo", "Product Search", "Product content indexing", "Product content", "REST/HTTPS", "", "JSON", H, "High"),
    ("PIM Akeneo", "Mobile App Backend", "Product content for the app", "Product content", "REST/HTTPS", ESB, "JSON", H, "Medium"),
    ("MDM Semarchy", "PIM Akeneo", "Product master", "Product", "REST/HTTPS", ESB, "JSON", RT, "High"),
    (RMS, "PIM Akeneo", "New items", "Product", "MQ", ESB, "XML", RT, "Medium"),
    ("Pricing Engine", "Webshop", "Online prices and promotions", "Price; Promotion", "REST/HTTPS", ESB, "JSON", H, "Critical"),
    ("Pricing Engine", "Store POS", "Store prices and promotions", "Price; Promotion", "SFTP", MFT, "XML", "Daily 03:00", "Critical"),
    ("Pricing Engine", "Mobile App Backend", "App prices", "Price; Promotion", "REST/HTTPS", ESB, "JSON", H, "High"),
    ("Pricing Engine", "Product Search", "Price facets", "Price", "REST/HTTPS", "", "JSON", H, "Medium"),
    (RMS, "Pricing Engine", "Item cost and retail", "Price; Product", "MQ", ESB, "XML", RT, "High"),
    ("Webshop", "Product Search", "Catalogue structure", "Product", "REST/HTTPS", "", "JSON", D, "Medium"),
    ("Webshop", "CRM Dynamics", "Customer account creation", "Customer", "REST/HTTPS", ESB, "JSON", RT, "High"),
    ("Webshop", "Consent & Data Purge", "Consent captured online", "Customer consent", "REST/HTTPS", ESB, "JSON", RT, "High"),
    ("Webshop", "Gift Card Service", "Gift card balance and redemption (web)", "Gift card", "REST/HTTPS", "", "JSON", RT, "Medium"),
    (OMS, "Webshop", "Order status for customers", "Customer order", "REST/HTTPS", ESB, "JSON", RT, "High"),
    (OMS, "Mobile App Backend", "Order status push", "Customer order", "REST/HTTPS", ESB, "JSON", RT, "High"),
    (OMS, "Marketing Cloud", "Order events for journeys", "Customer order", "Kafka", KAFKA, "Avro", RT, "Medium"),
    (OMS, "CRM Dynamics", "Order history", "Customer order", "REST/HTTPS", ESB, "JSON", D, "Medium"),
    (OMS, "SAP ECC", "E-commerce sales invoicing", "Invoice", "SOAP", ESB, "IDoc", D, "Critical"),
    (OMS, "Service Cloud", "Order details for agents", "Customer order", "REST/HTTPS", ESB, "JSON", RT, "High"),
    (OMS, "Store Back-Office", "Click & collect orders to stores", "Customer order", "REST/HTTPS", ESB, "JSON", RT, "High"),
    ("Store Back-Office", OMS, "Click & collect pickup confirmation", "Customer order", "REST/HTTPS", ESB, "JSON", RT, "High"),
    (OMS, "Payment Gateway", "Capture and refund", "Payment transaction", "REST/HTTPS", "", "JSON", RT, "Critical"),
    (OMS, TMS, "Ship-from-store parcels", "Parcel label; Delivery address", "REST/HTTPS", ESB, "JSON", RT, "High"),
    (OMS, "Data Warehouse", "Orders extract", "Customer order", "JDBC", ETL, "Table", "Daily 01:00", "Medium"),
    (OMS, "Gift Card Service", "Gift card redemption (orders)", "Gift card", "REST/HTTPS", "", "JSON", RT, "High"),
    (OMS, "Store Inventory", "Order events for store picking", "Customer order", "Kafka", KAFKA, "Avro", RT, "Medium"),
    # Stores
    ("Store POS", "Store Back-Office", "Sales receipts", "Sales receipt", "MQ", ESB, "XML", "Every 15 min", "Critical"),
    ("Store POS", "Loyalty", "Loyalty transactions", "Loyalty transaction", "REST/HTTPS", ESB, "JSON", RT, "High"),
    ("Loyalty", "Store POS", "Loyalty balance lookup", "Loyalty account", "REST/HTTPS", "", "JSON", RT, "High"),
    ("Store POS", "Payment Gateway", "Card payments (store terminals)", "Payment card token; Payment transaction", "REST/HTTPS", "", "JSON", RT, "Critical"),
    ("Store POS", "Gift Card Service", "Gift card activation", "Gift card", "REST/HTTPS", "", "JSON", RT, "High"),
    ("Store POS", "Data Warehouse", "Store sales", "Sales receipt", "SFTP", ETL, "CSV", "Daily 02:00", "High"),
    ("Store POS", "SAP ECC", "Daily sales journal", "Sales figures", "SOAP", ESB, "IDoc", D, "Critical"),
    ("Store POS", "RELEX Replenishment", "Store sales for forecasting", "Sales figures", "SFTP", MFT, "CSV", "Daily 02:30", "Critical"),
    ("Store POS", "Consent & Data Purge", "Consent captured at the till", "Customer consent", "REST/HTTPS", ESB, "JSON", RT, "Medium"),
    ("Store POS", "Store Inventory", "Sales events", "Sales receipt", "Kafka", KAFKA, "Avro", RT, "Medium"),
    ("Store Back-Office", RMS, "Store orders", "Replenishment order", "SFTP", ESB, "XML", D, "High"),
    ("Store Back-Office", RMS, "Store stock counts", "Inventory count", "SFTP", ESB, "XML", W, "Medium"),
    (RMS, "Store Back-Office", "Item and price master", "Product; Price", "SFTP", ESB, "XML", D, "High"),
    (RMS, "Store POS", "Item master for tills", "Product", "SFTP", MFT, "XML", "Daily 03:00", "Critical"),
    ("Store Back-Office", "Kelio Time & Attendance", "Store staff hours", "Time record", "SFTP", "", "CSV", D, "Medium", {"noid": True}),
    ("Kelio Time & Attendance", "HR Access Payroll", "Time and attendance for payroll", "Time record", "SFTP", MFT, "CSV", M, "Critical"),
    ("Store Inventory", "Store Back-Office", "RFID inventory results", "Inventory count", "REST/HTTPS", ESB, "JSON", D, "Medium"),
    (RMS, "Store Inventory", "Item master (RFID tags)", "Product", "Kafka", KAFKA, "Avro", D, "Low"),
    ("Store POS", "Legacy Loyalty (Cobol)", "Loyalty points (old system)", "Loyalty transaction", "SFTP", "", "Fixed-length", D, "High", {"status": "Retired", "desc": "Replaced by Loyalty in 2021"}),
    # Merchandising and supply
    ("RELEX Replenishment", RMS, "Purchase order proposals", "Purchase order", "SFTP", MFT, "CSV", "Daily 05:00", "Critical"),
    (RMS, "RELEX Replenishment", "Item and location master", "Product; Store", "SFTP", MFT, "CSV", D, "High"),
    (RMS, "RELEX Replenishment", "Promotion plan", "Promotion", "SFTP", MFT, "CSV", D, "Medium"),
    (RMS, "Data Warehouse", "Merchandising extract", "Product; Purchase order", "JDBC", ETL, "Table", "Daily 01:00", "Medium"),
    (RMS, "SAP ECC", "Stock valuation and margins", "Stock level", "SFTP", ESB, "CSV", M, "High"),
    (RMS, EDI, "Purchase orders to suppliers (ORDERS)", "Purchase order", "SFTP", MFT, "EDIFACT D96A", H, "Critical"),
    (EDI, RMS, "Order responses (ORDRSP)", "Purchase order", "SFTP", MFT, "EDIFACT D96A", H, "High"),
    (EDI, "SAP ECC", "Supplier invoices (INVOIC)", "Supplier invoice", "SFTP", ESB, "EDIFACT D96A", D, "High"),
    (EDI, "Supplier Portal", "Supplier EDI status", "Purchase order", "REST/HTTPS", ESB, "JSON", D, "Low"),
    (EDI, TMS, "Carrier bookings (IFTMIN)", "Shipment", "EDI AS2", "", "EDIFACT D96A", H, "High"),
    (TMS, EDI, "Transport status (IFTSTA)", "Delivery status", "EDI AS2", "", "EDIFACT D96A", H, "Medium"),
    (EDI, "Sage FRP 1000", "Franchisee invoices (INVOIC)", "Invoice", "EDI AS2", "", "EDIFACT D96A", D, "Medium"),
    ("Supplier Portal", RMS, "Supplier product data", "Product", "REST/HTTPS", ESB, "JSON", D, "Medium"),
    ("SAP ECC", "Supplier Portal", "Payment status for suppliers", "Supplier invoice", "REST/HTTPS", ESB, "JSON", D, "Medium"),
    ("MDM Semarchy", RMS, "Product master", "Product", "MQ", ESB, "XML", RT, "High"),
    ("MDM Semarchy", "SAP ECC", "Supplier master", "Supplier", "SOAP", ESB, "IDoc", D, "High"),
    (RMS, "MDM Semarchy", "Item creation requests", "Product", "REST/HTTPS", ESB, "JSON", RT, "Medium"),
    # Customer
    ("CRM Dynamics", "Marketing Cloud", "Customer audience", "Customer; Customer consent", "REST/HTTPS", ESB, "JSON", "Daily 04:00", "High"),
    ("Marketing Cloud", "CRM Dynamics", "E-mail engagement", "Email engagement", "REST/HTTPS", ESB, "JSON", D, "Medium"),
    ("Consent & Data Purge", "CRM Dynamics", "Consent updates", "Customer consent", "REST/HTTPS", ESB, "JSON", RT, "Critical"),
    ("Consent & Data Purge", "Marketing Cloud", "Opt-outs", "Customer consent", "REST/HTTPS", "", "JSON", RT, "Critical"),
    ("Consent & Data Purge", "CRM Dynamics", "Erasure requests (CRM)", "Erasure request", "REST/HTTPS", ESB, "JSON", D, "High"),
    ("Consent & Data Purge", "Loyalty", "Erasure requests (loyalty)", "Erasure request", "REST/HTTPS", ESB, "JSON", D, "High"),
    ("Consent & Data Purge", OMS, "Erasure requests (orders)", "Erasure request", "REST/HTTPS", ESB, "JSON", D, "High"),
    ("Consent & Data Purge", "Service Cloud", "Erasure requests (service)", "Erasure request", "REST/HTTPS", ESB, "JSON", D, "High"),
    ("Consent & Data Purge", "Marketing Cloud", "Erasure requests (marketing)", "Erasure request", "REST/HTTPS", "", "JSON", D, "High"),
    ("Consent & Data Purge", "Data Warehouse", "Erasure requests (data warehouse)", "Erasure request", "SFTP", ETL, "CSV", W, "High"),
    ("CRM Dynamics", "Consent & Data Purge", "Erasure confirmations (CRM)", "Erasure request", "REST/HTTPS", ESB, "JSON", D, "High"),
    ("Loyalty", "Consent & Data Purge", "Erasure confirmations (loyalty)", "Erasure request", "REST/HTTPS", ESB, "JSON", D, "High"),
    (OMS, "Consent & Data Purge", "Erasure confirmations (orders)", "Erasure request", "REST/HTTPS", ESB, "JSON", D, "High"),
    ("CRM Dynamics", "Loyalty", "Customer profile", "Customer", "REST/HTTPS", ESB, "JSON", RT, "High"),
    ("Loyalty", "CRM Dynamics", "Loyalty status", "Loyalty account", "REST/HTTPS", ESB, "JSON", D, "Medium"),
    ("Loyalty", "Marketing Cloud", "Loyalty segments", "Loyalty account", "SFTP", MFT, "CSV", D, "Medium"),
    ("Loyalty", "SAP ECC", "Loyalty points liability", "Loyalty liability", "SFTP", ESB, "CSV", M, "High"),
    ("Loyalty", "Data Warehouse", "Loyalty transactions extract", "Loyalty transaction", "JDBC", ETL, "Table", "Daily 01:00", "Medium"),
    ("CRM Dynamics", "Service Cloud", "Customer 360", "Customer", "REST/HTTPS", ESB, "JSON", RT, "High"),
    ("Service Cloud", "CRM Dynamics", "Service tickets", "Service ticket", "REST/HTTPS", ESB, "JSON", RT, "Medium"),
    ("CRM Dynamics", "Data Warehouse", "Customer extract", "Customer", "JDBC", ETL, "Table", "Daily 01:00", "Medium"),
    ("Marketing Cloud", "Data Warehouse", "Campaign results", "Marketing campaign", "SFTP", ETL, "CSV", D, "Low"),
    ("Data Warehouse", "Marketing Cloud", "Customer segments (scores)", "Customer segment", "SFTP", MFT, "CSV", W, "Medium"),
    ("Mobile App Backend", "Gift Card Service", "Gift cards in the app", "Gift card", "REST/HTTPS", "", "JSON", RT, "Medium", {"status": "Planned"}),
    # Finance
    ("SAP ECC", "Kyriba", "Payment orders (pain.001)", "Payment order", "SFTP", MFT, "XML", D, "Critical"),
    ("Kyriba", "SAP ECC", "Bank statements (MT940)", "Bank statement", "SFTP", MFT, "MT940", "Daily 07:00", "Critical"),
    ("Kyriba", "Sage FRP 1000", "Bank statements for the franchise entity", "Bank statement", "SFTP", MFT, "MT940", D, "High"),
    ("Sage FRP 1000", "Kyriba", "Supplier payments (franchise entity)", "Payment order", "SFTP", MFT, "XML", D, "High"),
    ("SAP ECC", "Tagetik Consolidation", "Trial balance", "General ledger entry", "JDBC", ETL, "Table", M, "High"),
    ("Sage FRP 1000", "Tagetik Consolidation", "Subsidiary trial balance", "General ledger entry", "SFTP", ETL, "CSV", M, "High"),
    ("SAP ECC", "Data Warehouse", "Financial actuals", "General ledger entry", "JDBC", ETL, "Table", D, "Medium"),
    ("Tagetik Consolidation", "Data Warehouse", "Consolidated results", "Consolidated results", "JDBC", ETL, "Table", M, "Low"),
    ("Logistics Invoicing (AS/400)", "SAP ECC", "Logistics invoices", "Invoice", "SFTP", MFT, "CSV", M, "High"),
    ("Logistics Invoicing (AS/400)", "Sage FRP 1000", "Franchise logistics invoices", "Invoice", "SFTP", MFT, "CSV", M, "High"),
    ("HR Access Payroll", "SAP ECC", "Payroll journal", "General ledger entry", "SFTP", MFT, "CSV", M, "Critical"),
    ("HR Access Payroll", "Kyriba", "Salary payment file", "Salary payment", "SFTP", MFT, "XML", M, "Critical"),
    ("Gift Card Service", "SAP ECC", "Gift card liability", "Gift card", "SFTP", ESB, "CSV", D, "High"),
    ("Kyriba", "Data Warehouse", "Cash positions", "Cash position", "SFTP", ETL, "CSV", D, "Low", {"noid": True}),
    # HR
    ("Workday HCM", "HR Access Payroll", "Employee master for payroll", "Employee", "SFTP", MFT, "CSV", "Daily 20:00", "Critical"),
    ("HR Access Payroll", "Workday HCM", "Payslip results", "Payslip", "SFTP", MFT, "CSV", M, "High"),
    ("Workday HCM", "Active Directory", "Joiners, movers and leavers", "Employee", "REST/HTTPS", "", "SCIM", RT, "High"),
    ("Workday HCM", "Kelio Time & Attendance", "Employee master for time and attendance", "Employee", "SFTP", MFT, "CSV", D, "High"),
    ("Kelio Time & Attendance", "Workday HCM", "Absences", "Time record", "SFTP", MFT, "CSV", D, "Medium"),
    ("Workday HCM", "Data Warehouse", "Headcount", "Employee", "SFTP", ETL, "CSV", M, "Low"),
    ("Workday HCM", "Store Back-Office", "Store staff", "Employee", "SFTP", MFT, "CSV", D, "Medium"),
    ("Workday HCM", "Voice Picking", "Warehouse operators", "Employee", "SFTP", MFT, "CSV", D, "Low", {"noid": True}),
    # Data and BI
    ("Data Warehouse", "BusinessObjects BI", "Reporting universes", "Sales figures", "JDBC", "", "Table", D, "High"),
    ("Data Warehouse", "Power BI", "Sales and stock datasets", "Sales figures; Stock level", "JDBC", "", "Table", D, "Medium"),
    ("Data Warehouse", "RELEX Replenishment", "Sales history backfill", "Sales figures", "SFTP", MFT, "CSV", "On demand", "Low"),
    ("BusinessObjects BI", "Power BI", "Report migration extracts", "Sales figures", "SFTP", "", "CSV", "On demand", "Low", {"status": "Planned", "desc": "BO decommissioning project"}),
]
# fmt: on


def catalog_rows(rng: random.Random) -> list[dict[str, str]]:
    """The rows of interfaces.csv, numbered INT-0001... in catalog order."""
    rows = []
    owners = {
        ESB: "Integration Competence Center",
        MFT: "Integration Competence Center",
        ETL: "Data Team",
        KAFKA: "Platform Team",
        "": "Application team",
    }
    for number, flow in enumerate(WMS_FLOWS + OTHER_FLOWS, start=1):
        src, dst, name, objects, protocol, middleware, fmt, freq, crit, *rest = flow
        extra = rest[0] if rest else {}
        names = [o.strip() for o in objects.split(";")]
        personal = {n in PERSONAL for n in names}
        unknown = [n for n in names if n not in PERSONAL | NOT_PERSONAL]
        if unknown or len(personal) != 1:
            raise ValueError(f"{name}: unknown or mixed data objects {names}")
        rows.append(
            {
                "Interface ID": "" if extra.get("noid") else f"INT-{number:04d}",
                "Interface name": name,
                "Source application": src,
                "Target application": dst,
                "Protocol": protocol,
                "Middleware": middleware or "Direct",
                "Data objects": "; ".join(names),
                "Format": fmt,
                "Frequency": freq,
                "Criticality": crit,
                "Personal data": "Yes" if personal == {True} else "No",
                "Status": extra.get("status", "Active"),
                "Integration owner": owners[middleware],
                "Last review": (
                    dt.date(2022, 1, 3) + dt.timedelta(days=rng.randrange(900))
                ).strftime("%d/%m/%Y"),
                "Description": extra.get("desc", ""),
            }
        )
    return rows


# ---------------------------------------------------------------------- output


def write_csv(
    path: Path, columns: list[str], rows: list[dict[str, str]], *, bom: bool = False
) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        columns,
        quoting=csv.QUOTE_ALL if not bom else csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
    )
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8"))


def generate(out: Path) -> dict[str, int]:
    """Write the three export files under ``out``; returns counts of rows written."""
    ls = Landscape(SEED)
    build_cmdb(ls)
    # A list export is sorted by name; same-named CIs of two classes end up side by side.
    ci_rows = sorted(ls.cis.values(), key=lambda r: (r["name"].casefold(), r["sys_class_name"]))
    write_csv(out / "servicenow" / "cmdb_ci.csv", CI_COLUMNS, ci_rows)
    rel_rows = [
        {
            "parent": parent[0],
            "type": type_,
            "child": child[0],
            "parent.sys_class_name": parent[1],
            "child.sys_class_name": child[1],
            "connection_strength": "Always",
            "sys_updated_on": ls.when("2024-03-01", 100),
        }
        for parent, type_, child in ls.rels
    ]
    rel_rows.sort(key=lambda r: (r["parent"].casefold(), r["type"], r["child"].casefold()))
    write_csv(out / "servicenow" / "cmdb_rel_ci.csv", REL_COLUMNS, rel_rows)
    flows = catalog_rows(ls.rng)
    write_csv(out / "interfaces.csv", FLOW_COLUMNS, flows, bom=True)
    return {"cis": len(ci_rows), "relationships": len(rel_rows), "interfaces": len(flows)}


def check(out: Path) -> str:
    """Import the files through the real importers and sync engine; the landscape's summary.

    Raises SystemExit when an importer or the sync engine reports any problem.
    """
    from ea_repo.errors import SourceError
    from ea_repo.importers.cmdb import CmdbImporter
    from ea_repo.importers.flows import FlowsImporter
    from ea_repo.importers.presets import load_preset
    from ea_repo.metamodel import load_metamodel
    from ea_repo.store import SQLiteStore
    from ea_repo.sync import SyncEngine

    mm = load_metamodel()
    cmdb = CmdbImporter(load_preset("servicenow", mm), mm).read(
        out / "servicenow" / "cmdb_ci.csv", out / "servicenow" / "cmdb_rel_ci.csv"
    )
    flows = FlowsImporter(mm).read(out / "interfaces.csv")
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "repository.db")
        try:
            for source, batch in (("cmdb", cmdb), ("interfaces", flows)):
                try:
                    SyncEngine(store, mm).run(source, batch)
                except SourceError as exc:
                    print(exc.message, file=sys.stderr)
                    for problem in exc.problems[:50]:
                        print(f"  {problem}", file=sys.stderr)
                    raise SystemExit(2) from exc
            counts = store.counts()
            wms = next(e.id for e in store.iter_elements() if e.name == "WMS Reflex")
            wms_flows = sum(
                1 for r in store.iter_relations() if r.type == "flow" and wms in (r.src, r.dst)
            )
            personal = sum(
                1
                for e in store.iter_elements()
                if e.type == "DataObject" and e.attrs.get("personal_data")
            )
        finally:
            store.close()
    lines.append(
        f"{sum(counts.elements.values())} elements, {sum(counts.relations.values())} relations"
    )
    lines.append("elements:  " + ", ".join(f"{t} {n}" for t, n in sorted(counts.elements.items())))
    lines.append("relations: " + ", ".join(f"{t} {n}" for t, n in sorted(counts.relations.items())))
    lines.append(f"WMS Reflex flows (in + out): {wms_flows}; personal data objects: {personal}")
    for warning in (*cmdb.warnings, *flows.warnings):
        lines.append(f"note: {warning}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=HERE, help="where to write (default: examples/)"
    )
    parser.add_argument(
        "--no-check", action="store_true", help="do not import the result to check it"
    )
    args = parser.parse_args(argv)
    written = generate(args.out)
    print(
        f"wrote {written['cis']} CIs, {written['relationships']} relationships, {written['interfaces']} interfaces to {args.out}"
    )
    if not args.no_check:
        print(check(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
