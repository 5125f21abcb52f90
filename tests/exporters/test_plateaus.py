"""ArchiMate export of the landscape on a day, under a scenario, and as two plateaus with
the gap between them: real exchange files written by `ea export archimate`, read back."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from defusedxml.ElementTree import parse as safe_parse

from ea_repo import Repository
from ea_repo.config import init_workspace
from ea_repo.errors import MetamodelError, SourceError
from ea_repo.exporters.plateaus import State, plateau_model
from ea_repo.importers.archimate import NS, XSI_TYPE
from ea_repo.metamodel import load_metamodel, parse_metamodel
from ea_repo.model import Element, ElementId
from ea_repo.timeline import ATTRIBUTES
from ea_repo.yamlio import parse_yaml

BASELINE, TARGET = "2026-06-01", "2028-01-01"

SCENARIO = """\
name: crm
description: Salesforce replaces the legacy CRM; the fax gateway and the CRM's server go
based_on: null
edits:
  - {op: add, id: app-bi, type: Application, name: BI, attrs: {lifecycle_phase_in: 2027-06-01}}
  - {op: replace, id: app-crm, by: app-sfdc, effective: 2027-06-01}
  - {op: set, id: app-oms, attrs: {criticality: critical}}
  - {op: link, src: app-sfdc, type: flow, dst: app-bi}
  - {op: unlink, relation: "app-oms|serves|cap-sales"}
  - {op: retire, id: app-fax}
  - {op: retire, id: srv-crm01}
"""


def _metamodel_with_dates(root: Path) -> str | None:
    """The workspace's metamodel: the built-in one, given the lifecycle dates if it lacks them."""
    if ATTRIBUTES["phase_in"] in load_metamodel().element_types["Application"].attributes:
        return None
    text = resources.files("ea_repo.metamodel").joinpath("default.yaml").read_text("utf-8")
    dates = "".join(f"  {name}: {{type: date}}\n" for name in ATTRIBUTES.values())
    for section in ("common_attributes:\n", "common_relation_attributes:\n"):
        text = text.replace(section, section + dates, 1)
    root.mkdir(parents=True, exist_ok=True)
    (root / "metamodel.yaml").write_text(text, encoding="utf-8")
    return "metamodel.yaml"


def _workspace(path: Path) -> Path:
    return init_workspace(path, _metamodel_with_dates(path))


@pytest.fixture
def landscape(ea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Four applications, a server and a capability, some with lifecycle dates, and the
    scenario ``crm``: add, replace, set, link, unlink, retire.

    The facts' dates keep them in the landscape on every day the tests ask about: what
    differs between the states comes from the scenario and from the phases."""
    root = _workspace(tmp_path / "ws")
    monkeypatch.setenv("EA_WORKSPACE", str(root))
    adds = [
        ("Application", "app-crm", "Legacy CRM", "criticality=high",
         "lifecycle_active=2015-01-01", "lifecycle_phase_out=2027-01-01"),
        ("Application", "app-oms", "Order management", "criticality=high"),
        ("Application", "app-sfdc", "Salesforce",
         "lifecycle_plan=2023-01-01", "lifecycle_phase_in=2024-01-01"),
        ("Application", "app-fax", "Fax gateway"),
        ("Server", "srv-crm01", "SRV CRM 01"),
        ("Capability", "cap-sales", "Sales"),
    ]  # fmt: skip
    for type_name, ident, name, *sets in adds:
        args = [a for s in sets for a in ("--set", s)]
        result = ea("add", type_name, "--id", ident, "--name", name, *args)
        assert result.code == 0, result.err
    for src, rel, dst in [
        ("app-crm", "flow", "app-oms"),
        ("app-crm", "runs_on", "srv-crm01"),
        ("app-oms", "serves", "cap-sales"),
        ("app-fax", "flow", "app-oms"),
    ]:
        result = ea("link", src, rel, dst)
        assert result.code == 0, result.err
    (root / "scenarios").mkdir()
    (root / "scenarios" / "crm.yaml").write_text(SCENARIO, encoding="utf-8")
    return root


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


class Model:
    """An exchange file read back: concepts by their repository id (``ea-repo:id`` when
    the identifier had to differ)."""

    def __init__(self, path: Path) -> None:
        self.root = safe_parse(path).getroot()
        names = {
            p.get("identifier"): p.findtext(q("name"))
            for p in self.root.iter(q("propertyDefinition"))
        }
        self.props: dict[str, dict[str, str]] = {}
        self.id_of: dict[str, str] = {}
        self.nodes: dict[str, Any] = {}
        for node in [*self.root.iter(q("element")), *self.root.iter(q("relationship"))]:
            props = {
                names[p.get("propertyDefinitionRef")]: p.findtext(q("value")) or ""
                for p in node.iter(q("property"))
            }
            ident = props.get("ea-repo:id", node.get("identifier"))
            self.id_of[node.get("identifier")] = ident
            self.props[ident] = props
            self.nodes[ident] = node

    def of_type(self, xtype: str) -> dict[str, Any]:
        return {i: n for i, n in self.nodes.items() if n.get(XSI_TYPE) == xtype}

    def from_(self, source: str, xtype: str) -> set[str]:
        """The ids ``source`` is linked to by relationships of ``xtype``."""
        return {
            self.id_of[n.get("target")]
            for n in self.of_type(xtype).values()
            if self.id_of[n.get("source")] == source
        }


BASELINE_ELEMENTS = {"app-crm", "app-oms", "app-sfdc", "app-fax", "srv-crm01", "cap-sales"}
BASELINE_RELATIONS = {
    "app-crm|flow|app-oms",
    "app-crm|runs_on|srv-crm01",
    "app-oms|serves|cap-sales",
    "app-fax|flow|app-oms",
}
TARGET_ELEMENTS = {"app-sfdc", "app-oms", "app-bi", "cap-sales"}
TARGET_RELATIONS = {"app-sfdc|flow|app-oms", "app-sfdc|flow|app-bi"}


def test_plateaus_hold_each_state_and_the_gap_lists_what_differs(
    ea, landscape: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plateaus.xml"
    result = ea(
        "export", "archimate", "--plateaus", "--scenario", "crm", "--at", TARGET,
        "--baseline", BASELINE, "-o", out, "-f", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    model = Model(out)
    # The schema's sequence, no views; identifiers unique, every end a concept of the file.
    assert [c.tag for c in model.root] == [
        q("name"),
        q("elements"),
        q("relationships"),
        q("propertyDefinitions"),
    ]
    idents = [n.get("identifier") for n in model.nodes.values()]
    assert len(idents) == len(set(idents))
    assert all(
        n.get("source") in model.id_of and n.get("target") in model.id_of
        for n in model.root.iter(q("relationship"))
    )
    # The union of both states, once.
    plateaus = model.of_type("Plateau")
    assert set(plateaus) == {"plateau-baseline", "plateau-target"}
    assert set(model.of_type("Gap")) == {"gap"}
    assert set(model.of_type("ApplicationComponent")) == {
        "app-crm", "app-oms", "app-sfdc", "app-bi", "app-fax",
    }  # fmt: skip
    # Each plateau aggregates exactly its state's elements and relationships.
    assert model.from_("plateau-baseline", "Aggregation") == BASELINE_ELEMENTS | BASELINE_RELATIONS
    assert model.from_("plateau-target", "Aggregation") == TARGET_ELEMENTS | TARGET_RELATIONS
    assert model.from_("plateau-baseline", "Triggering") == {"plateau-target"}
    assert plateaus["plateau-baseline"].findtext(q("name")) == f"Baseline ({BASELINE})"
    assert plateaus["plateau-target"].findtext(q("name")) == f"Target: crm ({TARGET})"
    assert model.props["plateau-baseline"] == {"as_of": BASELINE}
    assert model.props["plateau-target"] == {"as_of": TARGET}
    # The gap: associated with both plateaus and with everything that differs.
    assert model.from_("gap", "Association") == {
        "plateau-baseline", "plateau-target",
        "app-bi", "app-crm", "srv-crm01", "app-fax", "app-oms",
        *(BASELINE_RELATIONS ^ TARGET_RELATIONS),
    }  # fmt: skip
    documentation = model.nodes["gap"].findtext(q("documentation")).splitlines()
    assert documentation[0] == (
        f"From Baseline ({BASELINE}) to Target: crm ({TARGET}). "
        "elements: 1 added, 3 removed, 1 changed; relations: 2 added, 4 removed, 0 changed."
    )
    for line in [
        '+ Application "BI" (app-bi)',
        '+ "Salesforce" flow "BI"',
        '- Server "SRV CRM 01" (srv-crm01)',
        '- "Order management" serves "Sales"',
        '~ Application "Order management" (app-oms): criticality: high → critical',
    ]:
        assert line in documentation
    # Lifecycle dates are properties named as their attributes; the baseline's version of
    # an element of both states is written, the target's values are in the gap.
    assert model.props["app-crm"] == {
        "criticality": "high",
        "lifecycle_active": "2015-01-01",
        "lifecycle_phase_out": "2027-01-01",
    }
    assert model.props["app-sfdc"] == {
        "lifecycle_plan": "2023-01-01",
        "lifecycle_phase_in": "2024-01-01",
    }
    assert model.props["app-oms"] == {"criticality": "high"}
    assert '"removed": [\n        "app-crm"' in result.out  # the gap in the JSON summary
    again = tmp_path / "again.xml"
    assert ea(
        "export", "archimate", "--plateaus", "--scenario", "crm", "--at", TARGET,
        "--baseline", BASELINE, "-o", again,
    ).code == 0  # fmt: skip
    assert again.read_bytes() == out.read_bytes()


def test_each_plateau_aggregates_what_the_repository_shows_on_its_day(
    ea, landscape: Path, tmp_path: Path
) -> None:
    # Facts whose dates take them out before the baseline, between the two days, or in.
    for type_name, ident, dates in [
        ("Application", "app-old", "lifecycle_end_of_life=2025-12-31"),
        ("Server", "srv-old", "lifecycle_end_of_life=2027-09-30"),
        ("Application", "app-next", "lifecycle_phase_in=2027-03-01"),
    ]:
        assert ea("add", type_name, "--id", ident, "--set", dates).code == 0
    assert ea("link", "app-oms", "runs_on", "srv-old").code == 0
    out = tmp_path / "plateaus.xml"
    result = ea(
        "export", "archimate", "--plateaus", "--scenario", "crm", "--at", TARGET,
        "--baseline", BASELINE, "-o", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    model = Model(out)
    with Repository.open(landscape) as repo:
        for plateau, day, scenario in [
            ("plateau-baseline", BASELINE, None),
            ("plateau-target", TARGET, "crm"),
        ]:
            store = repo.seen(day, scenario).store
            shown = {e.id for e in store.iter_elements()} | {r.id for r in store.iter_relations()}
            assert model.from_(plateau, "Aggregation") == shown


def test_a_selection_leaves_no_aggregation_of_a_relationship_left_out(
    ea, landscape: Path, tmp_path: Path
) -> None:
    out = tmp_path / "apps.xml"
    result = ea(
        "export", "archimate", "--plateaus", "--scenario", "crm", "--at", TARGET,
        "--baseline", BASELINE, "--select", "type:Application", "-o", out, "-f", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    model = Model(out)
    assert model.from_("plateau-baseline", "Aggregation") == {
        "app-crm", "app-oms", "app-sfdc", "app-fax", "app-crm|flow|app-oms",
        "app-fax|flow|app-oms",
    }  # fmt: skip
    assert all(
        n.get("source") in model.id_of and n.get("target") in model.id_of
        for n in model.root.iter(q("relationship"))
    )
    assert '"app-crm|runs_on|srv-crm01"' in result.out  # said to be left out


def test_dates_alone_make_the_target_and_a_phase_entered_is_a_change(
    ea, landscape: Path, tmp_path: Path
) -> None:
    out = tmp_path / "dates.xml"
    result = ea(
        "export", "archimate", "--plateaus", "--at", "2027-02-01", "--baseline", BASELINE,
        "-o", out,
    )  # fmt: skip
    assert result.code == 0, result.err
    model = Model(out)
    assert model.from_("gap", "Association") == {"plateau-baseline", "plateau-target", "app-crm"}
    documentation = model.nodes["gap"].findtext(q("documentation")).splitlines()
    assert documentation[-1] == ('~ Application "Legacy CRM" (app-crm): phase: active → phase_out')
    assert model.nodes["plateau-target"].findtext(q("name")) == "Target (2027-02-01)"


def _dump(store: Any) -> tuple[set[Any], set[Any]]:
    elements = {
        (e.id, e.type, e.name, repr(sorted(e.attrs.items()))) for e in store.iter_elements()
    }
    relations = {
        (r.id, r.src, r.type, r.dst, repr(sorted(r.attrs.items()))) for r in store.iter_relations()
    }
    return elements, relations


@pytest.mark.parametrize(
    ("options", "day", "scenario", "expected"),
    [
        (["--at", BASELINE], BASELINE, None, BASELINE_ELEMENTS),
        (["--scenario", "crm", "--at", TARGET], TARGET, "crm", TARGET_ELEMENTS),
    ],
)
def test_the_landscape_seen_that_day_comes_back_on_import(
    ea,
    landscape: Path,
    tmp_path: Path,
    options: list[str],
    day: str,
    scenario: str | None,
    expected: set[str],
) -> None:
    out = tmp_path / "seen.xml"
    result = ea("export", "archimate", *options, "-o", out)
    assert result.code == 0, result.err
    other = _workspace(tmp_path / "other")
    result = ea("import", "archimate", out, "--source", "archi", "-w", other)
    assert result.code == 0, result.err
    with Repository.open(landscape) as repo, Repository.open(other) as copy:
        seen = _dump(repo.seen(day, scenario).store)
        back = _dump(copy.store)
        dates = copy.store.get_elements(["app-crm", "app-sfdc"])
    assert back == seen
    assert {e[0] for e in back[0]} == expected
    # Lifecycle dates come back as the attributes they were written from.
    if "app-crm" in dates:
        assert dates["app-crm"].attrs["lifecycle_phase_out"] == "2027-01-01"
    if "app-sfdc" in dates:
        assert dates["app-sfdc"].attrs["lifecycle_phase_in"] == "2024-01-01"
    assert dates


def test_without_a_day_the_export_holds_the_whole_repository(
    ea, landscape: Path, tmp_path: Path
) -> None:
    ends = "lifecycle_end_of_life=2025-12-31"
    assert ea("add", "Application", "--id", "app-old", "--set", ends).code == 0
    assert (
        ea("add", "Application", "--id", "app-new", "--set", "lifecycle_plan=2030-01-01").code == 0
    )
    out = tmp_path / "all.xml"
    assert ea("export", "archimate", "-o", out).code == 0
    model = Model(out)
    # What has left the landscape, and a plan not in it yet, with their dates; no scenario.
    assert model.props["app-old"] == {"lifecycle_end_of_life": "2025-12-31"}
    assert model.props["app-new"] == {"lifecycle_plan": "2030-01-01"}
    assert "app-bi" not in model.nodes


def test_the_plateau_file_imports_and_says_what_it_leaves_out(
    ea, landscape: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plateaus.xml"
    assert ea(
        "export", "archimate", "--plateaus", "--scenario", "crm", "--at", TARGET,
        "--baseline", BASELINE, "-o", out,
    ).code == 0  # fmt: skip
    other = _workspace(tmp_path / "other")
    result = ea("import", "archimate", out, "--source", "archi", "-w", other, "-f", "json")
    assert result.code == 0, result.err
    # Relations link elements: a plateau's relationships and the gap's are left out, counted.
    skipped = {key.split()[0]: n for key, n in json.loads(result.out)["skipped"].items()}
    assert skipped == {
        "Aggregation": len(BASELINE_RELATIONS) + len(TARGET_RELATIONS),
        "Association": len(BASELINE_RELATIONS ^ TARGET_RELATIONS),
    }
    with Repository.open(other) as copy:
        plateau = copy.store.get_elements(["plateau-target"])["plateau-target"]
        members = {
            r.dst for r in copy.store.relations_of(["plateau-target"]) if r.type == "aggregates"
        }
    assert plateau.type == "Plateau" and plateau.attrs["as_of"] == TARGET
    assert members == TARGET_ELEMENTS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plateaus"], "--plateaus compares two states: say which is the target"),
        (["--baseline", BASELINE], "--baseline goes with --plateaus"),
        (["--plateaus", "--at", TARGET, "--baseline", "2026-13-01"], "--baseline '2026-13-01' is not a date"),
        (["--scenario", "nope"], "no scenario 'nope'"),
        (["--plateaus", "--scenario", "crm", "--at", TARGET, "--baseline", BASELINE, "--select", "app-bi"],
         f"no element with id or name 'app-bi', in the baseline ({BASELINE})"),
    ],
)  # fmt: skip
def test_options_that_do_not_fit_are_refused(
    ea, landscape: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "never.xml"
    result = ea("export", "archimate", *args, "-o", out)
    assert result.code == 2
    assert message in result.err
    assert not out.exists()


def test_the_plateaus_and_the_gap_take_identifiers_the_model_leaves_free() -> None:
    mm = load_metamodel()
    taken = {
        ident: Element(ElementId(ident), "Application", ident)
        for ident in ("gap", "plateau-target")
    }
    state = State("2026-06-01", None, taken, {})
    elements, relations, _ = plateau_model(state, State("2027-06-01", "s", taken, {}), mm)
    assert {e.id for e in elements} == {
        "gap",
        "plateau-target",
        "gap-2",
        "plateau-baseline",
        "plateau-target-2",
    }
    assert {e.type for e in elements if e.id.endswith("-2")} == {"Plateau", "Gap"}
    ends = {(r.src, r.type, r.dst) for r in relations}
    assert ("plateau-target-2", "aggregates", "plateau-target") in ends
    assert ("plateau-baseline", "triggers", "plateau-target-2") in ends


def test_a_metamodel_without_plateaus_is_told_what_it_lacks() -> None:
    tiny = parse_metamodel(
        parse_yaml(
            "name: tiny\nversion: '1'\nelement_types:\n  Application: {layer: application}\n"
            "relationship_types:\n  aggregates: {from: '*', to: '*', dependent: none}\n",
            "tiny.yaml",
            MetamodelError,
        ),
        "tiny.yaml",
    )
    state = State(None, None, {}, {})
    with pytest.raises(SourceError) as err:
        plateau_model(state, state, tiny)
    assert str(err.value) == (
        "plateaus need the metamodel's types Plateau, Gap, associated_with, triggers, which it lacks"
    )
