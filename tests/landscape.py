"""A small retail landscape with known answers, written through the library API.

Used by the CLI and analysis tests: 40 elements, every layer, a redundant web
cluster, flows through an ESB, personal data, an obsolete database product.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ea_repo import Repository
from ea_repo.config import init_workspace
from ea_repo.model import Element, ElementId, Relation

# (id, type, name, attributes)
ELEMENTS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("cap-sell-online", "Capability", "Sell online", {"level": 1}),
    ("cap-fulfil", "Capability", "Fulfil orders", {"level": 1}),
    ("cap-customer", "Capability", "Know the customer", {"level": 1}),
    ("cap-finance", "Capability", "Account and report", {"level": 1}),
    ("bp-order-to-cash", "BusinessProcess", "Order to cash", {}),
    ("bp-click-collect", "BusinessProcess", "Click and collect", {}),
    ("bp-picking", "BusinessProcess", "Warehouse picking", {}),
    ("bp-consent", "BusinessProcess", "Manage customer consent", {}),
    ("bp-invoicing", "BusinessProcess", "Invoicing", {}),
    (
        "ou-ecommerce",
        "OrganizationUnit",
        "E-commerce department",
        {"owner": "ecom-lead@retail.example"},
    ),
    ("ou-logistics", "OrganizationUnit", "Logistics", {"owner": "logistics@retail.example"}),
    (
        "app-webshop",
        "Application",
        "Webshop",
        {"criticality": "critical", "domain": "Sales", "it_owner": "webshop-team@retail.example"},
    ),
    (
        "app-oms",
        "Application",
        "Order Management",
        {"criticality": "critical", "domain": "Sales", "it_owner": "oms-team@retail.example"},
    ),
    (
        "app-wms",
        "Application",
        "Warehouse Management (AS/400)",
        {
            "criticality": "critical",
            "domain": "Logistics",
            "lifecycle_phase": "phase_out",
            "it_owner": "wms-team@retail.example",
        },
    ),
    (
        "app-tms",
        "Application",
        "Transport Management",
        {"criticality": "high", "domain": "Logistics", "hosting": "saas"},
    ),
    (
        "app-crm",
        "Application",
        "CRM",
        {"criticality": "high", "domain": "Customer", "it_owner": "crm-team@retail.example"},
    ),
    ("app-loyalty", "Application", "Loyalty", {"criticality": "medium", "domain": "Customer"}),
    (
        "app-consent",
        "Application",
        "Consent & Data Purge",
        {"criticality": "high", "domain": "Customer"},
    ),
    (
        "app-esb",
        "Application",
        "Integration bus (ESB)",
        {"criticality": "critical", "domain": "Integration"},
    ),
    ("app-erp", "Application", "Finance ERP", {"criticality": "critical", "domain": "Finance"}),
    (
        "do-customer",
        "DataObject",
        "Customer",
        {"personal_data": True, "classification": "confidential"},
    ),
    (
        "do-consent",
        "DataObject",
        "Consent record",
        {"personal_data": True, "classification": "confidential"},
    ),
    ("do-order", "DataObject", "Order", {"classification": "internal"}),
    ("do-stock", "DataObject", "Stock level", {"classification": "internal"}),
    ("do-invoice", "DataObject", "Invoice", {"classification": "confidential"}),
    ("dc-paris", "Datacenter", "DC Paris 1", {"city": "Paris", "country": "FR"}),
    ("dc-lyon", "Datacenter", "DC Lyon 2 (closing 2027)", {"city": "Lyon", "country": "FR"}),
    ("cl-web", "Cluster", "Web cluster", {"environment": "production"}),
    (
        "srv-web01",
        "Server",
        "web01",
        {
            "hostname": "web01.retail.example",
            "environment": "production",
            "os": "Red Hat Enterprise Linux",
            "os_version": "9.4",
        },
    ),
    (
        "srv-web02",
        "Server",
        "web02",
        {
            "hostname": "web02.retail.example",
            "environment": "production",
            "os": "Red Hat Enterprise Linux",
            "os_version": "9.4",
        },
    ),
    (
        "srv-esx01",
        "Server",
        "esx01",
        {"hostname": "esx01.retail.example", "environment": "production"},
    ),
    (
        "srv-as400",
        "Server",
        "AS400-PRD",
        {
            "hostname": "as400prd.retail.example",
            "environment": "production",
            "os": "IBM i",
            "os_version": "7.3",
        },
    ),
    (
        "vm-oms",
        "VirtualMachine",
        "vm-oms-prd",
        {
            "hostname": "oms-prd.retail.example",
            "environment": "production",
            "os": "Red Hat Enterprise Linux",
            "os_version": "7.9",
        },
    ),
    (
        "vm-crm",
        "VirtualMachine",
        "vm-crm-prd",
        {
            "hostname": "crm-prd.retail.example",
            "environment": "production",
            "os": "Windows Server",
            "os_version": "2012 R2",
        },
    ),
    (
        "vm-db",
        "VirtualMachine",
        "vm-ora-prd",
        {
            "hostname": "ora-prd.retail.example",
            "environment": "production",
            "os": "Red Hat Enterprise Linux",
            "os_version": "7.9",
        },
    ),
    (
        "vm-esb",
        "VirtualMachine",
        "vm-esb-prd",
        {
            "hostname": "esb-prd.retail.example",
            "environment": "production",
            "os": "Red Hat Enterprise Linux",
            "os_version": "8.10",
        },
    ),
    (
        "sw-oracle-prd",
        "SystemSoftware",
        "Oracle ORAPRD",
        {"product": "Oracle Database", "version": "12.1"},
    ),
    ("sw-pg-crm", "SystemSoftware", "PostgreSQL crm", {"product": "PostgreSQL", "version": "16"}),
    (
        "sp-oracle-12c",
        "SoftwareProduct",
        "Oracle Database 12c",
        {
            "vendor": "Oracle",
            "product": "Oracle Database",
            "version": "12.1",
            "end_of_support": "2022-07-31",
        },
    ),
    (
        "sp-postgresql-16",
        "SoftwareProduct",
        "PostgreSQL 16",
        {
            "vendor": "PostgreSQL Global Development Group",
            "product": "PostgreSQL",
            "version": "16",
            "end_of_support": "2028-11-09",
        },
    ),
]

# (source, relationship type, target, attributes)
RELATIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("bp-order-to-cash", "realizes", "cap-sell-online", {}),
    ("bp-click-collect", "realizes", "cap-sell-online", {}),
    ("bp-picking", "realizes", "cap-fulfil", {}),
    ("bp-consent", "realizes", "cap-customer", {}),
    ("bp-invoicing", "realizes", "cap-finance", {}),
    ("app-webshop", "serves", "bp-order-to-cash", {}),
    ("app-webshop", "serves", "bp-click-collect", {}),
    ("app-oms", "serves", "bp-order-to-cash", {}),
    ("app-oms", "serves", "bp-click-collect", {}),
    ("app-wms", "serves", "bp-picking", {}),
    ("app-tms", "serves", "bp-picking", {}),
    ("app-crm", "serves", "bp-consent", {}),
    ("app-consent", "serves", "bp-consent", {}),
    ("app-erp", "serves", "bp-invoicing", {}),
    ("ou-ecommerce", "responsible_for", "app-webshop", {}),
    ("ou-logistics", "responsible_for", "app-wms", {}),
    (
        "app-webshop",
        "flow",
        "app-esb",
        {"protocol": "HTTPS", "data_objects": ["Order"], "frequency": "real-time"},
    ),
    (
        "app-esb",
        "flow",
        "app-oms",
        {"protocol": "MQ", "data_objects": ["Order"], "frequency": "real-time"},
    ),
    (
        "app-oms",
        "flow",
        "app-esb",
        {"protocol": "MQ", "data_objects": ["Order"], "frequency": "real-time"},
    ),
    (
        "app-esb",
        "flow",
        "app-wms",
        {"protocol": "MQ", "data_objects": ["Order"], "frequency": "real-time"},
    ),
    (
        "app-wms",
        "flow",
        "app-esb",
        {"protocol": "SFTP", "data_objects": ["Stock level"], "frequency": "hourly"},
    ),
    (
        "app-esb",
        "flow",
        "app-webshop",
        {"protocol": "HTTPS", "data_objects": ["Stock level"], "frequency": "hourly"},
    ),
    (
        "app-wms",
        "flow",
        "app-tms",
        {"protocol": "SFTP", "data_objects": ["Order"], "frequency": "daily"},
    ),
    (
        "app-webshop",
        "flow",
        "app-crm",
        {"protocol": "HTTPS", "data_objects": ["Customer"], "frequency": "real-time"},
    ),
    (
        "app-crm",
        "flow",
        "app-loyalty",
        {"protocol": "SFTP", "data_objects": ["Customer"], "frequency": "daily"},
    ),
    (
        "app-consent",
        "flow",
        "app-crm",
        {"protocol": "HTTPS", "data_objects": ["Consent record"], "frequency": "real-time"},
    ),
    (
        "app-oms",
        "flow",
        "app-erp",
        {"protocol": "SFTP", "data_objects": ["Invoice"], "frequency": "daily"},
    ),
    ("app-crm", "stores", "do-customer", {"master": True}),
    ("app-consent", "stores", "do-consent", {"master": True}),
    ("sw-oracle-prd", "stores", "do-order", {"master": True}),
    ("app-wms", "stores", "do-stock", {"master": True}),
    ("app-erp", "stores", "do-invoice", {"master": True}),
    ("app-loyalty", "accesses", "do-customer", {"mode": "read"}),
    ("app-webshop", "runs_on", "cl-web", {}),
    ("srv-web01", "member_of", "cl-web", {}),
    ("srv-web02", "member_of", "cl-web", {}),
    ("app-oms", "runs_on", "vm-oms", {}),
    ("app-oms", "uses", "sw-oracle-prd", {}),
    ("app-crm", "runs_on", "vm-crm", {}),
    ("app-crm", "uses", "sw-pg-crm", {}),
    ("sw-pg-crm", "runs_on", "vm-crm", {}),
    ("sw-oracle-prd", "runs_on", "vm-db", {}),
    ("app-esb", "runs_on", "vm-esb", {}),
    ("app-wms", "runs_on", "srv-as400", {}),
    ("vm-oms", "hosted_on", "srv-esx01", {}),
    ("vm-crm", "hosted_on", "srv-esx01", {}),
    ("vm-db", "hosted_on", "srv-esx01", {}),
    ("vm-esb", "hosted_on", "srv-esx01", {}),
    ("sw-oracle-prd", "instance_of", "sp-oracle-12c", {}),
    ("sw-pg-crm", "instance_of", "sp-postgresql-16", {}),
    ("srv-web01", "located_in", "dc-paris", {}),
    ("srv-web02", "located_in", "dc-lyon", {}),
    ("srv-esx01", "located_in", "dc-paris", {}),
    ("srv-as400", "located_in", "dc-lyon", {}),
]


def build(root: Path) -> Path:
    """A workspace at ``root`` holding the landscape (one run of the source ``fixture``)."""
    init_workspace(root)
    with Repository.open(root) as repo:
        repo.add_many(
            [Element(ElementId(i), t, n, a) for i, t, n, a in ELEMENTS],
            [Relation(ElementId(s), t, ElementId(d), a) for s, t, d, a in RELATIONS],
            source="fixture",
        )
    return root
