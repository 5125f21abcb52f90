"""The switch-off checklist, on the small retail landscape with known answers."""

from __future__ import annotations

import json
from pathlib import Path

from ea_repo import Repository
from ea_repo.analysis.decommission import decommission


def test_switching_off_the_crm(retail: Path) -> None:
    with Repository.open(retail) as repo:
        r = decommission(repo.store, repo.metamodel, "app-crm")
    # What stops: the customer data the CRM keeps, Loyalty which reads it, the consent
    # process the CRM serves and its capability (by impact's strict reading)...
    assert {a.element.id for a in r.breaks} == {
        "do-customer",
        "app-loyalty",
        "bp-consent",
        "cap-customer",
    }
    assert r.degraded == []  # Loyalty's feed from the CRM matters less than its data being gone
    assert [(f.direction, f.partner.id) for f in r.flows] == [
        ("in", "app-consent"),
        ("in", "app-webshop"),
        ("out", "app-loyalty"),
    ]
    assert [(d.data.id, d.master, d.personal) for d in r.data] == [("do-customer", True, True)]
    assert "migrate to the successor (CRM is the system of record); purge" in r.data[0].action
    # The CRM's VM, its PostgreSQL instance and that product go with it; the hypervisor stays.
    assert {e.id for e in r.freed} == {"vm-crm", "sw-pg-crm", "sp-postgresql-16"}
    stays = {s.element.id: {o.id for o in s.other_dependents} for s in r.stays}
    assert stays["srv-esx01"] == {"vm-esb", "vm-oms", "vm-db"}
    assert "app-webshop" not in stays  # a data sender is a flow to re-route, not infrastructure
    support = {s.element.id: (s.unsupported, [e.id for e in s.remaining]) for s in r.support}
    assert support == {"bp-consent": (False, ["app-consent"])}
    assert [(c.who, c.role) for c in r.notify] == [("crm-team@retail.example", "it_owner")]


def test_switching_off_the_warehouse_system_leaves_picking_unsupported_only_if_alone(
    retail: Path,
) -> None:
    with Repository.open(retail) as repo:
        r = decommission(repo.store, repo.metamodel, "app-wms")
    support = {s.element.id: (s.unsupported, [e.id for e in s.remaining]) for s in r.support}
    # Picking is also served by the TMS: it keeps a support, and so does its capability.
    assert support["bp-picking"] == (False, ["app-tms"])
    assert [c.who for c in r.notify] == ["Logistics (ou-logistics)", "wms-team@retail.example"]
    assert {e.id for e in r.freed} == {"srv-as400"}
    assert {s.element.id for s in r.stays} == {"dc-lyon"}


def test_the_cli_checklist(ea, retail: Path) -> None:
    result = ea("decommission", "CRM", "-w", retail, "-f", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["target"]["id"] == "app-crm"
    assert data["data"][0]["personal"] is True
    text = ea("decommission", "app-crm", "-w", retail).out
    for heading in (
        "1. breaks",
        "2. flows",
        "3. data",
        "4. freed",
        "5. shared",
        "6. processes",
        "7. notify",
    ):
        assert heading in text
