"""Scale generator: realistic ServiceNow exports (and an interface catalog) of any size.

::

    .venv/bin/python benchmarks/generate.py --elements N [--relations M] [--interfaces K]
                                            [--seed S] --out DIR

writes, deterministically for a seed (same arguments, same bytes):

``DIR/cmdb_ci.csv``
    a ``cmdb_ci`` list export (List > Export > CSV: field names as header,
    display values, every cell quoted) of exactly N CIs: ``sys_id`` (32 hex
    characters), ``name``, ``sys_class_name`` and the attribute columns the
    ServiceNow preset reads (``install_status``, ``operational_status``,
    ``used_for``, ``ip_address``, ``fqdn``, ``os``, ``os_version``,
    ``cpu_count``, ``ram`` in MB with thousands separators, ``serial_number``,
    ``manufacturer``, ``model_id``, ``location``, ``version``,
    ``busines_criticality``, ``support_group``, ``short_description``) plus
    ``sys_updated_on``, which it ignores. Only classes the preset maps.
``DIR/cmdb_rel_ci.csv``
    a ``cmdb_rel_ci`` export of exactly M rows (default 3 N): ``parent``,
    ``type``, ``child`` (display names, not unique) and ``parent.sys_id``,
    ``child.sys_id``; only relationship types the preset maps, each between
    classes the built-in metamodel allows for the type the preset picks.
``DIR/interfaces.csv``
    an interface catalog of K rows (default 6 % of N; 0: none) for the flows
    importer, between business applications (referenced by their unique
    names), with preferential attachment: a few hub applications carry many
    interfaces. Written only when ``ea_repo.importers.flows`` exists.
``DIR/manifest.json``
    what was written and what a correct import gives: rows per class and per
    relationship type, rows the preset skips on purpose (retired CIs and the
    relationships touching them; retired and planned interfaces), and the
    expected element and relation counts per type.

The landscape, top layer first (shares of N; virtual machines take the rest,
about 55 %): business processes 0.4 %, business applications 2 %,
applications (``cmdb_ci_appl``, the deployed parts) 10 %, application
servers 5 %, DBMS instances 6 %, physical Linux/Windows servers 15 %, ESX
hosts 3 %, cluster nodes 2 %, clusters 0.5 %, vCenter clusters 0.3 %,
datacenters 0.01 % (at least 2 of each). 0.5 % of the CIs are retired
(``install_status`` Retired, half of them sharing their name with the CI
that replaced them), as real exports keep them; the preset skips them and
their relationships, and the manifest counts both.

Capabilities are not in the CMDB export: ServiceNow has no CI class for them
and the preset maps none. They come from another source (a capability map
imported from ArchiMate, or entered by hand) and are linked to the business
processes there.

Relations: each lower-layer CI hangs off the layer above (processes are
provided by business applications, applications belong to a business
application and run on VMs or servers, sometimes through an application
server, and use DBMS instances; DBMS instances run on VMs, servers or
clusters; VMs are virtualized by ESX hosts or vCenter clusters; ESX hosts are
members of vCenter clusters, cluster nodes of clusters; physical nodes and
clusters are located in datacenters). The rest of M is dependencies and data
flows between applications (preferential attachment), extra deployments,
database use, VMs located in datacenters and process support. No two rows
give the same relation after mapping (the importer would skip the second).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import itertools
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ea_repo.importers.mapping import ClassTarget, CmdbMapping
from ea_repo.importers.presets import load_preset
from ea_repo.metamodel import Metamodel, load_metamodel

CI_FILE = "cmdb_ci.csv"
REL_FILE = "cmdb_rel_ci.csv"
INTERFACES_FILE = "interfaces.csv"
MANIFEST_FILE = "manifest.json"
MIN_ELEMENTS = 100

CI_COLUMNS = (
    "sys_id",
    "name",
    "sys_class_name",
    "install_status",
    "operational_status",
    "used_for",
    "ip_address",
    "fqdn",
    "os",
    "os_version",
    "cpu_count",
    "ram",
    "serial_number",
    "manufacturer",
    "model_id",
    "location",
    "version",
    "busines_criticality",
    "support_group",
    "short_description",
    "sys_updated_on",
)
REL_COLUMNS = ("parent", "type", "child", "parent.sys_id", "child.sys_id")
INTERFACE_COLUMNS = (
    "Interface ID",
    "Name",
    "Source application",
    "Target application",
    "Protocol",
    "Middleware",
    "Data objects",
    "Frequency",
    "Criticality",
    "Personal data",
    "Format",
    "Status",
)

# -- the landscape ------------------------------------------------------------

# role -> (share of N, classes with weights). Roles are the layers; the classes
# are ServiceNow tables the preset maps, all of one element type per role.
# VMs ("vm") take what the others leave.
ROLES: dict[str, tuple[float, tuple[tuple[str, int], ...]]] = {
    "dc": (0.0001, (("cmdb_ci_datacenter", 1),)),
    "vcluster": (0.003, (("cmdb_ci_vcenter_cluster", 1),)),
    "cluster": (0.005, (("cmdb_ci_cluster", 3), ("cmdb_ci_win_cluster", 1))),
    "esx": (0.03, (("cmdb_ci_esx_server", 1),)),
    "node": (0.02, (("cmdb_ci_cluster_node", 3), ("cmdb_ci_win_cluster_node", 1))),
    "server": (0.15, (("cmdb_ci_linux_server", 6), ("cmdb_ci_win_server", 4))),
    "vm": (0.0, (("cmdb_ci_vmware_instance", 1),)),
    "db": (
        0.06,
        (
            ("cmdb_ci_db_ora_instance", 4),
            ("cmdb_ci_db_mssql_instance", 3),
            ("cmdb_ci_db_postgresql_instance", 2),
            ("cmdb_ci_db_mysql_instance", 1),
        ),
    ),
    "appserver": (
        0.05,
        (
            ("cmdb_ci_app_server_tomcat", 6),
            ("cmdb_ci_app_server_jboss", 2),
            ("cmdb_ci_app_server_websphere", 1),
            ("cmdb_ci_app_server_weblogic", 1),
        ),
    ),
    "bizapp": (0.02, (("cmdb_ci_business_app", 1),)),
    "appl": (0.10, (("cmdb_ci_appl", 1),)),
    "process": (0.004, (("cmdb_ci_business_process", 1),)),
}
REST_ROLE = "vm"
RETIRED_SHARE = 0.005
RETIRABLE = ("vm", "server", "appl", "db", "appserver")

# Structural relationship rows: (ServiceNow type, parent role, child role).
# Filler rows, as shares of what is left of M once the structure is written.
FILLER: tuple[tuple[str, str, str, float], ...] = (
    ("Depends on::Used by", "appl", "appl", 0.30),
    ("Runs on::Runs", "appl", "vm", 0.20),
    ("Uses::Used by", "appl", "db", 0.15),
    ("Located in::Houses", "vm", "dc", 0.12),
    ("Sends data to::Receives data from", "appl", "appl", 0.10),
    ("Depends on::Used by", "bizapp", "bizapp", 0.05),
    ("Provides::Provided by", "bizapp", "process", 0.04),
    ("Runs on::Runs", "appl", "server", 0.04),
)
KINDS: tuple[tuple[str, str, str], ...] = (
    ("Provides::Provided by", "bizapp", "process"),
    ("Depends on::Used by", "bizapp", "appl"),
    ("Runs on::Runs", "appl", "appserver"),
    ("Runs on::Runs", "appl", "vm"),
    ("Runs on::Runs", "appl", "server"),
    ("Runs on::Runs", "appserver", "vm"),
    ("Runs on::Runs", "appserver", "server"),
    ("Runs on::Runs", "db", "vm"),
    ("Runs on::Runs", "db", "server"),
    ("Runs on::Runs", "db", "cluster"),
    ("Uses::Used by", "appl", "db"),
    ("Virtualized by::Virtualizes", "vm", "esx"),
    ("Virtualized by::Virtualizes", "vm", "vcluster"),
    ("Members::Member of", "vcluster", "esx"),
    ("Cluster of::Cluster", "node", "cluster"),
    ("Located in::Houses", "server", "dc"),
    ("Located in::Houses", "esx", "dc"),
    ("Located in::Houses", "node", "dc"),
    ("Located in::Houses", "cluster", "dc"),
    ("Located in::Houses", "vcluster", "dc"),
) + tuple((t, p, c) for t, p, c, _ in FILLER)

USED_FOR = (
    ("Production", 50),
    ("Test", 15),
    ("Development", 15),
    ("QA", 8),
    ("Staging", 7),
    ("Disaster recovery", 5),
)
ENV_LETTER = {
    "Production": "p",
    "Test": "t",
    "Development": "d",
    "QA": "q",
    "Staging": "s",
    "Disaster recovery": "r",
}
INSTALL_STATUS = (("Installed", 970), ("In Maintenance", 15), ("Pending Install", 10), ("", 5))
OPERATIONAL_STATUS = (("Operational", 960), ("Non-Operational", 25), ("Repair in Progress", 15))
CRITICALITY = (
    ("1 - most critical", 10),
    ("2 - somewhat critical", 25),
    ("3 - less critical", 40),
    ("4 - not critical", 20),
    ("", 5),
)
LINUX_OS = (("Linux Red Hat", "8.9", 5), ("Linux Red Hat", "9.3", 4), ("Linux Red Hat", "7.9", 2))
LINUX_OS += (("Linux SuSE", "15 SP5", 2), ("Ubuntu", "22.04", 2), ("Oracle Linux", "8.8", 1))
WINDOWS_OS = (
    ("Windows 2019 Datacenter", "10.0.17763", 5),
    ("Windows 2022 Datacenter", "10.0.20348", 4),
    ("Windows 2016 Standard", "10.0.14393", 2),
)
HARDWARE = (
    ("Dell Inc.", "PowerEdge R750", 4),
    ("Dell Inc.", "PowerEdge R740", 3),
    ("HPE", "ProLiant DL380 Gen10", 4),
    ("HPE", "ProLiant DL360 Gen11", 2),
    ("Lenovo", "ThinkSystem SR650", 2),
    ("Cisco Systems", "UCS B200 M5", 1),
)
SITES = (
    ("Paris", "PAR"),
    ("Lyon", "LYS"),
    ("Frankfurt", "FRA"),
    ("Amsterdam", "AMS"),
    ("Dublin", "DUB"),
    ("Madrid", "MAD"),
    ("Milano", "MIL"),
    ("London", "LON"),
)
SOFTWARE = {
    "cmdb_ci_app_server_tomcat": ("Tomcat", "Apache Software Foundation", ("9.0.85", "10.1.18")),
    "cmdb_ci_app_server_jboss": ("JBoss EAP", "Red Hat", ("7.4.14", "7.3.10")),
    "cmdb_ci_app_server_websphere": ("WebSphere", "IBM", ("9.0.5.17", "8.5.5.24")),
    "cmdb_ci_app_server_weblogic": ("WebLogic", "Oracle", ("14.1.1.0", "12.2.1.4")),
    "cmdb_ci_db_ora_instance": ("ORA", "Oracle", ("19.21.0.0", "12.2.0.1", "21.12.0.0")),
    "cmdb_ci_db_mssql_instance": ("MSSQLSERVER", "Microsoft", ("15.0.4345.5", "16.0.4105.2")),
    "cmdb_ci_db_postgresql_instance": ("pg", "PostgreSQL", ("15.5", "16.1", "13.13")),
    "cmdb_ci_db_mysql_instance": ("mysql", "Oracle", ("8.0.35", "5.7.44")),
}
SUPPORT_GROUPS = 120
DOMAINS = (
    "Finance",
    "Sales",
    "Marketing",
    "Supply Chain",
    "Logistics",
    "Procurement",
    "Human Resources",
    "Payroll",
    "Customer Service",
    "Risk",
    "Compliance",
    "Treasury",
    "Manufacturing",
    "Quality",
    "Maintenance",
    "E-commerce",
    "Retail",
    "Legal",
    "Data",
    "Security",
    "Réclamations",
    "Facturation",
    "Fleet",
    "Energy",
    "Pricing",
)
FUNCTIONS = (
    "Portal",
    "Billing",
    "Ledger",
    "CRM",
    "Data Warehouse",
    "Reporting",
    "Order Management",
    "Inventory",
    "Planning",
    "Scheduling",
    "Claims",
    "Contracts",
    "Onboarding",
    "Analytics",
    "Gateway",
    "Archive",
    "Workflow",
    "Master Data",
    "Forecasting",
    "Mobile App",
    "Self-Service",
    "Case Management",
    "Document Management",
    "Payments",
    "Tracking",
    "Catalogue",
    "Gestion des Tiers",
    "Settlement",
    "Exposure",
    "Audit",
)
MODULES = ("API", "Web", "Batch", "Backend", "Front", "ETL", "Worker", "Reports", "Admin", "Sync")
PROCESSES = (
    "Order to Cash",
    "Procure to Pay",
    "Hire to Retire",
    "Record to Report",
    "Plan to Produce",
    "Issue to Resolution",
    "Lead to Order",
    "Quote to Contract",
    "Idea to Market",
    "Acquire to Dispose",
    "Forecast to Plan",
    "Request to Fulfil",
)
DATA_OBJECTS = (
    "Customer",
    "Order",
    "Invoice",
    "Payment",
    "Product",
    "Price",
    "Stock level",
    "Shipment",
    "Supplier",
    "Purchase order",
    "Contract",
    "Employee",
    "Payslip",
    "General ledger entry",
    "Budget",
    "Forecast",
    "Claim",
    "Policy",
    "Account",
    "Transaction",
    "Delivery note",
    "Return",
    "Campaign",
    "Lead",
    "Opportunity",
    "Case",
    "Asset",
    "Work order",
    "Timesheet",
    "Exchange rate",
    "Credit limit",
    "Tax code",
    "Bank statement",
    "Consent",
    "Address",
    "Store",
    "Vehicle",
    "Meter reading",
    "Tariff",
    "Document",
)
PERSONAL = frozenset(
    {"Customer", "Employee", "Payslip", "Consent", "Address", "Lead", "Timesheet", "Claim"}
)
PROTOCOLS = (
    ("HTTPS/REST", 40),
    ("SOAP", 12),
    ("SFTP", 15),
    ("IBM MQ", 10),
    ("Kafka", 10),
    ("JDBC", 8),
    ("AS2", 5),
)
MIDDLEWARE = (
    ("MuleSoft ESB", 25),
    ("Axway MFT", 15),
    ("Kafka", 10),
    ("Informatica", 10),
    ("Direct", 40),
)
FREQUENCIES = ("Real-time", "Hourly", "Daily", "Weekly", "Monthly", "On demand")
FORMATS = ("JSON", "XML", "CSV", "EDIFACT", "IDoc", "Fixed width")
INTERFACE_CRITICALITY = (("Critical", 8), ("High", 25), ("Medium", 45), ("Low", 22))
INTERFACE_STATUS = (("Active", 88), ("In production", 7), ("Retired", 3), ("Planned", 2))
INTERFACE_SKIPPED = frozenset({"Retired", "Planned"})
INTERFACE_SHARE = 0.06
EPOCH = datetime(2024, 6, 1, 8, 0, 0)


def _pairs(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class _Picker:
    """Weighted choices from a fixed list, faster than ``rng.choices`` per draw."""

    def __init__(self, values: Sequence[Any], weights: Sequence[float]) -> None:
        self.values = list(values)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def _picker(pairs: Sequence[tuple[Any, float]]) -> _Picker:
    return _Picker([p[0] for p in pairs], [p[1] for p in pairs])


# -- what the preset makes of it ----------------------------------------------


@dataclass(frozen=True)
class Preset:
    """The element type of each class and the relation each row kind becomes, per the preset."""

    class_types: dict[str, str]
    role_types: dict[str, str]
    kinds: dict[tuple[str, str, str], tuple[str, bool]]  # -> (relation type, reverse)


def preset_view(metamodel: Metamodel | None = None, mapping: CmdbMapping | None = None) -> Preset:
    """Check every class and row kind against the ServiceNow preset and the metamodel.

    Raises ``ValueError`` when the preset does not map a class or a
    relationship type the generator writes, or when the relation a kind
    becomes is not allowed between its ends (the sync would refuse the run).
    """
    mm = metamodel or load_metamodel()
    mapping = mapping or load_preset("servicenow", mm)
    assert mapping.elements is not None and mapping.relations
    class_types: dict[str, str] = {}
    role_types: dict[str, str] = {}
    for role, (_, classes) in ROLES.items():
        for cls, _ in classes:
            found, target = mapping.elements.type.classes.lookup(cls)
            if not found or not isinstance(target, ClassTarget):
                raise ValueError(f"the ServiceNow preset does not map class {cls!r}")
            class_types[cls] = target.type
            if role_types.setdefault(role, target.type) != target.type:
                raise ValueError(f"role {role}: classes of different element types")
    spec = mapping.relations[0]
    kinds: dict[tuple[str, str, str], tuple[str, bool]] = {}
    for kind in KINDS:
        sn_type, parent, child = kind
        found, targets = spec.types.lookup(sn_type)
        if not found or not targets:
            raise ValueError(f"the ServiceNow preset does not map relationship type {sn_type!r}")
        ptype, ctype = role_types[parent], role_types[child]
        chosen = None
        for target in targets:  # the importer's rule: the first the metamodel allows
            src, dst = (ctype, ptype) if target.reverse else (ptype, ctype)
            rt = mm.relation_types[target.type]
            if src in rt.sources and dst in rt.targets:
                chosen = target
                break
        if chosen is None:
            raise ValueError(
                f"{parent} {sn_type!r} {child}: no type the preset lists "
                f"is allowed from {ptype} to {ctype}"
            )
        kinds[kind] = (chosen.type, chosen.reverse)
    return Preset(class_types, role_types, kinds)


# -- the generator ------------------------------------------------------------


@dataclass
class _Landscape:
    rng: random.Random
    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    by_role: dict[str, list[int]] = field(default_factory=dict)
    envs: list[str] = field(default_factory=list)
    biz_of: dict[int, int] = field(default_factory=dict)  # appl -> its business application


def _role_counts(n: int) -> dict[str, int]:
    counts = {role: max(2, round(n * share)) for role, (share, _) in ROLES.items()}
    counts[REST_ROLE] = 0
    rest = n - sum(counts.values())
    if rest < 2:
        raise ValueError(f"--elements must be at least {MIN_ELEMENTS}, not {n}")
    counts[REST_ROLE] = rest
    return counts


def _elements(n: int, rng: random.Random) -> _Landscape:
    land = _Landscape(rng)
    counts = _role_counts(n)
    used_for = _picker(USED_FOR)
    install = _picker(INSTALL_STATUS)
    operational = _picker(OPERATIONAL_STATUS)
    criticality = _picker(CRITICALITY)
    linux_os = _Picker([(o, v) for o, v, _ in LINUX_OS], [w for *_, w in LINUX_OS])
    windows_os = _Picker([(o, v) for o, v, _ in WINDOWS_OS], [w for *_, w in WINDOWS_OS])
    hardware = _Picker([(m, k) for m, k, _ in HARDWARE], [w for *_, w in HARDWARE])
    groups = [f"SG-{d.upper().replace(' ', '-')}-{i:02d}" for i in range(5) for d in DOMAINS]
    groups = groups[: max(10, min(SUPPORT_GROUPS, n // 200))]
    n_dc = counts["dc"]
    dc_names = [
        f"{SITES[i % len(SITES)][0]} DC{i // len(SITES) + 1}" for i in range(n_dc)
    ]  # "Paris DC1", "Lyon DC1"...
    bizapp_names: dict[str, int] = {}
    ip_counter = itertools.count(1)
    clock = EPOCH

    def add(role: str, cls: str, name: str, env: str, cells: dict[str, str]) -> int:
        nonlocal clock
        index = len(land.ids)
        sys_id = f"{rng.getrandbits(128):032x}"
        clock -= timedelta(seconds=rng.randrange(1, 400))
        row = [
            sys_id,
            name,
            cls,
            install(rng),
            operational(rng),
            env,
            cells.get("ip_address", ""),
            cells.get("fqdn", ""),
            cells.get("os", ""),
            cells.get("os_version", ""),
            cells.get("cpu_count", ""),
            cells.get("ram", ""),
            cells.get("serial_number", ""),
            cells.get("manufacturer", ""),
            cells.get("model_id", ""),
            cells.get("location", ""),
            cells.get("version", ""),
            cells.get("busines_criticality", ""),
            rng.choice(groups),
            cells.get("short_description", ""),
            clock.strftime("%Y-%m-%d %H:%M:%S"),
        ]
        land.ids.append(sys_id)
        land.names.append(name)
        land.classes.append(cls)
        land.roles.append(role)
        land.rows.append(row)
        land.envs.append(env)
        land.by_role.setdefault(role, []).append(index)
        return index

    def ip() -> str:
        i = next(ip_counter)
        return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"

    def node_cells(cls: str, host: str, virtual: bool) -> dict[str, str]:
        windows = "win" in cls
        os_name, os_version = (windows_os if windows else linux_os)(rng)
        if cls == "cmdb_ci_esx_server":
            os_name, os_version = "ESXi", rng.choice(("7.0.3", "8.0.2", "6.7.0"))
        cells = {
            "ip_address": ip(),
            "fqdn": f"{host}.corp.example.com",
            "os": os_name,
            "os_version": os_version,
        }
        if virtual:
            cells["cpu_count"] = str(rng.choice((2, 2, 4, 4, 4, 8, 8, 16, 32)))
            cells["ram"] = f"{rng.choice((4, 8, 8, 16, 16, 32, 64, 128)) * 1024:,}"
            cells["serial_number"] = "VMware-42 " + rng.getrandbits(64).to_bytes(8).hex(" ")
        else:
            maker, model = hardware(rng)
            cells["cpu_count"] = str(rng.choice((16, 24, 32, 48, 64, 96, 128)))
            cells["ram"] = f"{rng.choice((128, 256, 384, 512, 768, 1024, 2048)) * 1024:,}"
            cells["serial_number"] = f"{rng.choice('CJMSZ')}{rng.getrandbits(40):010X}"
            cells["manufacturer"] = maker
            cells["model_id"] = model
        return cells

    role_classes = {role: _picker(classes) for role, (_, classes) in ROLES.items()}
    biz_pick: _Picker | None = None  # applications per business application: heavy-tailed
    for role in ROLES:
        pick = role_classes[role]
        for i in range(counts[role]):
            cls = pick(rng)
            env = used_for(rng)
            letter = ENV_LETTER[env]
            if role == "dc":
                site = dc_names[i]
                add(role, cls, site, "", {"location": site})
            elif role in ("cluster", "vcluster"):
                site = SITES[rng.randrange(len(SITES))][1]
                kind = "VC" if role == "vcluster" else rng.choice(("ORA", "SQL", "APP", "FS"))
                add(role, cls, f"CL-{kind}-{site}-{letter.upper()}{i:04d}", env, {})
            elif role in ("esx", "node", "server", "vm"):
                windows = "win" in cls or (role == "vm" and rng.random() < 0.35)
                prefix = {"esx": "esx", "node": "cn", "server": "s", "vm": "v"}[role]
                if role in ("server", "vm"):
                    prefix += "w" if windows else "l"
                host = f"{prefix}{letter}{i:05d}"
                cells = node_cells("win" if windows else cls, host, role == "vm")
                if role != "vm":
                    cells["location"] = rng.choice(dc_names)
                add(role, cls, host, env, cells)
            elif role in ("db", "appserver"):
                product, vendor, versions = SOFTWARE[cls]
                cells = {"version": rng.choice(versions), "manufacturer": vendor}
                if cls == "cmdb_ci_db_mssql_instance":
                    name = f"MSSQLSERVER@sw{letter}{rng.randrange(counts['server']):05d}"
                elif role == "db":
                    name = f"{product}{letter.upper()}{i:04d}"
                else:
                    name = f"{product}@v{letter}{i:05d}:{rng.choice((8080, 8443, 9080, 7001))}"
                add(role, cls, name, env, cells)
            elif role == "bizapp":
                base = f"{rng.choice(DOMAINS)} {rng.choice(FUNCTIONS)}"
                seen = bizapp_names.get(base, 0)
                bizapp_names[base] = seen + 1
                name = base if not seen else f"{base} {seen + 1}"
                add(
                    role,
                    cls,
                    name,
                    env,
                    {
                        "version": f"{rng.randint(1, 12)}.{rng.randint(0, 9)}",
                        "busines_criticality": criticality(rng),
                        "short_description": f"{name}: the {base.split()[-1].lower()} application",
                    },
                )
            elif role == "appl":
                if biz_pick is None:
                    bizapps = land.by_role["bizapp"]
                    biz_pick = _Picker(bizapps, [rng.paretovariate(1.2) for _ in bizapps])
                biz = biz_pick(rng)
                code = "".join(w[0] for w in land.names[biz].split()[:3]).upper()
                name = f"{code}{biz % 1000:03d} {rng.choice(MODULES)} ({env})"
                index = add(
                    role, cls, name, env, {"version": f"{rng.randint(1, 30)}.{rng.randint(0, 20)}"}
                )
                land.biz_of[index] = biz
            else:  # process
                name = f"{PROCESSES[i % len(PROCESSES)]} {i // len(PROCESSES) + 1}"
                add(role, cls, name, "", {"busines_criticality": criticality(rng)})
    return land


def _retire(land: _Landscape) -> set[int]:
    """Mark a few CIs retired, half of them named as the CI that replaced them."""
    rng = land.rng
    candidates = [i for role in RETIRABLE for i in land.by_role[role]]
    retired = set(rng.sample(candidates, max(1, round(len(land.ids) * RETIRED_SHARE))))
    for i in sorted(retired):
        row = land.rows[i]
        row[3] = "Retired"
        row[4] = rng.choice(("Retired", "Non-Operational"))
        if rng.random() < 0.5:
            twin = rng.choice(land.by_role[land.roles[i]])
            land.names[i] = row[1] = land.names[twin]
    return retired


def _relations(
    land: _Landscape, n_relations: int, view: Preset
) -> tuple[list[tuple[int, str, int]], list[str]]:
    """Exactly ``n_relations`` rows (parent, ServiceNow type, child) and each row's mapped type."""
    rng = land.rng
    by = land.by_role
    rows: list[tuple[int, str, int]] = []
    mapped: list[str] = []
    seen: set[tuple[str, int, int]] = set()

    def link(sn_type: str, parent: int, child: int) -> bool:
        if parent == child:
            return False
        kind = (sn_type, land.roles[parent], land.roles[child])
        rtype, reverse = view.kinds[kind]
        signature = (rtype, child, parent) if reverse else (rtype, parent, child)
        if signature in seen:
            return False
        seen.add(signature)
        rows.append((parent, sn_type, child))
        mapped.append(rtype)
        return True

    vm_host = _Picker(
        by["esx"] + by["vcluster"],
        [rng.paretovariate(2.0) for _ in range(len(by["esx"]) + len(by["vcluster"]))],
    )
    db_pick = _Picker(by["db"], [1.0 / (r + 1) ** 0.8 for r in range(len(by["db"]))])
    vms, servers = by["vm"], by["server"]

    def compute_host() -> int:
        return rng.choice(vms) if rng.random() < 0.8 else rng.choice(servers)

    # processes are provided by business applications
    for proc in by["process"]:
        for _ in range(rng.choice((1, 1, 2, 3))):
            link("Provides::Provided by", rng.choice(by["bizapp"]), proc)
    # applications: their business application, where they run, what they use
    for appl in by["appl"]:
        link("Depends on::Used by", land.biz_of[appl], appl)
        if by["appserver"] and rng.random() < 0.5:
            link("Runs on::Runs", appl, rng.choice(by["appserver"]))
        for _ in range(min(8, int(rng.paretovariate(1.8)))):
            link("Runs on::Runs", appl, compute_host())
        if rng.random() < 0.8:
            link("Uses::Used by", appl, db_pick(rng))
    for sw in by["appserver"]:
        link("Runs on::Runs", sw, compute_host())
    for db in by["db"]:
        host = compute_host() if rng.random() < 0.85 else rng.choice(by["cluster"])
        link("Runs on::Runs", db, host)
    for vm in vms:
        link("Virtualized by::Virtualizes", vm, vm_host(rng))
    for esx in by["esx"]:
        if rng.random() < 0.8:
            link("Members::Member of", rng.choice(by["vcluster"]), esx)
    for node in by["node"]:
        link("Cluster of::Cluster", node, rng.choice(by["cluster"]))
    for role in ("server", "esx", "node", "cluster", "vcluster"):
        for ci in by[role]:
            link("Located in::Houses", ci, rng.choice(by["dc"]))

    if len(rows) > n_relations:
        keep = sorted(rng.sample(range(len(rows)), n_relations))
        return [rows[i] for i in keep], [mapped[i] for i in keep]

    # The rest: preferential attachment between applications (a few hubs get
    # many dependencies and flows), extra deployments, database use...
    hubs = list(by["appl"])
    menu = list(FILLER)
    failures = 0
    pick = _Picker(range(len(menu)), [w for *_, w in menu])
    while len(rows) < n_relations:
        sn_type, prole, crole, _ = menu[pick(rng)]
        if prole == "appl" and crole == "appl":
            parent = rng.choice(hubs) if rng.random() < 0.5 else rng.choice(by["appl"])
            child = rng.choice(hubs) if rng.random() < 0.7 else rng.choice(by["appl"])
        elif crole == "db":
            parent, child = rng.choice(by[prole]), db_pick(rng)
        else:
            parent, child = rng.choice(by[prole]), rng.choice(by[crole])
        if link(sn_type, parent, child):
            failures = 0
            if prole == crole == "appl":
                hubs.append(parent)
                hubs.append(child)
        else:
            failures += 1
            if failures > 10_000:
                raise ValueError(
                    f"cannot place {n_relations} distinct relations among "
                    f"{len(land.ids)} CIs; ask for fewer relations"
                )
    return rows, mapped


def _interfaces(land: _Landscape, k: int) -> list[list[str]]:
    """``k`` interface rows between business applications, with preferential attachment."""
    rng = land.rng
    apps = list(land.by_role["bizapp"])
    hubs = list(apps)
    protocol, middleware = _picker(PROTOCOLS), _picker(MIDDLEWARE)
    criticality, status = _picker(INTERFACE_CRITICALITY), _picker(INTERFACE_STATUS)
    data_pick = _Picker(DATA_OBJECTS, [1.0 / (r + 1) for r in range(len(DATA_OBJECTS))])
    rows = []
    for i in range(k):
        source = rng.choice(hubs) if rng.random() < 0.6 else rng.choice(apps)
        target = rng.choice(hubs) if rng.random() < 0.6 else rng.choice(apps)
        while target == source:
            target = rng.choice(apps)
        hubs += (source, target)
        objects = list(dict.fromkeys(data_pick(rng) for _ in range(rng.choice((1, 1, 2, 3)))))
        personal = any(o in PERSONAL for o in objects)
        rows.append(
            [
                f"INT-{i + 1:06d}",
                f"{objects[0]} feed {i + 1}",
                land.names[source],
                land.names[target],
                protocol(rng),
                middleware(rng),
                "; ".join(objects),
                rng.choice(FREQUENCIES),
                criticality(rng),
                "Yes" if personal else "No",
                rng.choice(FORMATS),
                status(rng),
            ]
        )
    return rows


def _flows_available() -> bool:
    try:
        import ea_repo.importers.flows  # noqa: F401
    except ImportError:
        return False
    return True


def write_exports(
    out: str | Path,
    n_elements: int,
    n_relations: int | None = None,
    seed: int = 42,
    interfaces: int | None = None,
) -> dict[str, Any]:
    """Write the exports into ``out`` (created if needed); return the manifest.

    ``n_relations`` defaults to 3 x ``n_elements``; ``interfaces`` to 6 % of
    ``n_elements`` (0 writes no catalog; it is never written when the flows
    importer does not exist). Raises ``ValueError`` for sizes it cannot honour.
    """
    if n_elements < MIN_ELEMENTS:
        raise ValueError(f"--elements must be at least {MIN_ELEMENTS}, not {n_elements}")
    n_relations = 3 * n_elements if n_relations is None else n_relations
    if n_relations < 0:
        raise ValueError("--relations must not be negative")
    if interfaces is None:
        interfaces = round(n_elements * INTERFACE_SHARE)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    view = preset_view()
    rng = random.Random(seed)
    land = _elements(n_elements, rng)
    retired = _retire(land)
    rel_rows, rel_types = _relations(land, n_relations, view)
    order = list(range(len(rel_rows)))
    rng.shuffle(order)  # export order is not the layers' order

    # ServiceNow's export: header of field names, every cell quoted, CRLF.
    ci_order = sorted(range(len(land.ids)), key=land.ids.__getitem__)  # sorted by sys_id
    with (out / CI_FILE).open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL)
        writer.writerow(CI_COLUMNS)
        writer.writerows(land.rows[i] for i in ci_order)
    names, ids = land.names, land.ids
    with (out / REL_FILE).open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL)
        writer.writerow(REL_COLUMNS)
        writer.writerows(
            (names[p], t, names[c], ids[p], ids[c]) for p, t, c in (rel_rows[i] for i in order)
        )

    element_types = Counter(
        view.class_types[land.classes[i]] for i in range(len(land.ids)) if i not in retired
    )
    kept = [
        rtype
        for (p, _, c), rtype in zip(rel_rows, rel_types, strict=True)
        if p not in retired and c not in retired
    ]
    manifest: dict[str, Any] = {
        "seed": seed,
        "files": {"ci": CI_FILE, "relations": REL_FILE},
        "ci_rows": len(land.ids),
        "relation_rows": len(rel_rows),
        "classes": dict(sorted(Counter(land.classes).items())),
        "relationship_types": dict(sorted(Counter(t for _, t, _ in rel_rows).items())),
        "skipped": {
            "retired_cis": len(retired),
            "relations_to_retired_cis": len(rel_rows) - len(kept),
        },
        "duplicate_names": len(names) - len(set(names)),
        "expected": {
            "elements": len(land.ids) - len(retired),
            "relations": len(kept),
            "element_types": dict(sorted(element_types.items())),
            "relation_types": dict(sorted(Counter(kept).items())),
        },
    }
    if interfaces and _flows_available():
        from ea_repo.importers.flows import DATA_KEY_PREFIX, slug, split_objects

        irows = _interfaces(land, interfaces)
        with (out / INTERFACES_FILE).open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(INTERFACE_COLUMNS)
            writer.writerows(irows)
        active = [r for r in irows if r[11] not in INTERFACE_SKIPPED]
        slugs: dict[str, str] = {}  # few distinct names: slug each once
        carried = [(r, [slugs.setdefault(o, slug(o)) for o in split_objects(r[6])]) for r in active]
        objects = {DATA_KEY_PREFIX + s for _, found in carried for s in found}
        accesses = {(app.casefold(), s) for r, found in carried for app in r[2:4] for s in found}
        manifest["files"]["interfaces"] = INTERFACES_FILE
        manifest["interfaces"] = {
            "rows": len(irows),
            "skipped": len(irows) - len(active),
            "expected": {
                "flows": len(active),
                "data_objects": len(objects),
                "accesses": len(accesses),
            },
        }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elements", type=int, required=True, help="CI rows (N)")
    parser.add_argument("--relations", type=int, help="relationship rows (M, default 3 N)")
    parser.add_argument(
        "--interfaces", type=int, help="interface catalog rows (default 6 %% of N; 0: none)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        manifest = write_exports(
            args.out, args.elements, args.relations, args.seed, args.interfaces
        )
    except ValueError as exc:
        parser.error(str(exc))
    seconds = time.perf_counter() - t0
    expected = manifest["expected"]
    print(
        f"{args.out / CI_FILE}: {manifest['ci_rows']:,} CIs "
        f"({manifest['skipped']['retired_cis']:,} retired, skipped by the preset)"
    )
    print(
        f"{args.out / REL_FILE}: {manifest['relation_rows']:,} relationships "
        f"({manifest['skipped']['relations_to_retired_cis']:,} touch a retired CI)"
    )
    if "interfaces" in manifest:
        info = manifest["interfaces"]
        print(
            f"{args.out / INTERFACES_FILE}: {info['rows']:,} interfaces "
            f"({info['skipped']:,} retired or planned)"
        )
    elif args.interfaces != 0:
        print("no interface catalog: ea_repo.importers.flows does not exist")
    print(
        f"expected import: {expected['elements']:,} elements, {expected['relations']:,} relations "
        f"(seed {args.seed}, written in {seconds:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
