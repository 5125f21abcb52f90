"""The CMDB mapping file: located errors at load, value transforms, maps."""

from __future__ import annotations

from pathlib import Path

import pytest

from ea_repo.errors import SourceError
from ea_repo.importers.mapping import (
    AttributeMapping,
    ClassTarget,
    Target,
    ValueMap,
    load_mapping,
    mapping_from_text,
    parse_bool,
    parse_date,
    parse_number,
)
from ea_repo.metamodel import Metamodel, load_metamodel

DATA = Path(__file__).parent.parent / "data" / "cmdb"


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel()


def problems_of(text: str, mm: Metamodel) -> list[str]:
    with pytest.raises(SourceError) as err:
        mapping_from_text(text, "m.yaml", mm)
    return [str(p) for p in err.value.problems]


def test_every_mistake_is_reported_with_its_line(mm: Metamodel) -> None:
    path = DATA / "broken_mapping.yaml"
    with pytest.raises(SourceError) as err:
        load_mapping(path, mm)
    assert str(err.value) == f"{path}: 10 problems in the mapping"
    assert sorted((p.line or 0, str(p)) for p in err.value.problems) == sorted(
        (line, f"{path}:{line}: {text}")
        for line, text in [
            (
                9,
                "elements.type.map['cmdb_ci_spkg']: unknown element type 'SoftwarProduct' — did you mean 'SoftwareProduct'?",
            ),
            (
                10,
                "elements.type.map['cmdb_ci_appl'].set.criticality: 'extreme' is not one of low, medium, high, critical",
            ),
            (12, "attribute 'cpu_count': unknown transform 'numbr' — did you mean 'number'?"),
            (
                13,
                "attribute 'hostnme' belongs to none of the mapped element types — did you mean 'hostname'?",
            ),
            (
                14,
                "attribute 'criticality': map value 'vital' is not valid — one of: low, medium, high, critical",
            ),
            (
                15,
                "attribute 'memory_gb': divide_by must be a non-zero number — e.g. 1024 for MB to GB",
            ),
            (16, "unknown key 'skip_unmaped' in elements — did you mean 'skip_unmapped'?"),
            (
                20,
                "relations.refs must be `name` or `id` — how parent/child cells refer to elements",
            ),
            (
                24,
                "relations.type.map['Runs on::Runs']: unknown relationship type 'runs_onn' — did you mean 'runs_on'?",
            ),
            (25, "relations.type.map['Members::Member of']: reverse must be true or false"),
        ]
    )


def test_yaml_syntax_error_and_missing_file(mm: Metamodel, tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("elements:\n  key: [sys_id\n  name: name\n", "utf-8")
    with pytest.raises(SourceError) as err:
        load_mapping(path, mm)
    assert str(err.value).startswith(f"{path}:3: invalid YAML")
    with pytest.raises(SourceError, match="file not found"):
        load_mapping(tmp_path / "none.yaml", mm)


def test_structural_mistakes(mm: Metamodel) -> None:
    assert problems_of("- a\n- b\n", mm) == [
        "m.yaml: a mapping file must be a YAML mapping with `elements` and/or `relations`"
    ]
    assert problems_of("description: nothing\n", mm) == [
        "m.yaml:1: the mapping has neither `elements` nor `relations` — map the CI export "
        "under `elements`, the relationship export under `relations`"
    ]
    assert problems_of("elements:\n  name: name\n", mm) == [
        "m.yaml:2: elements needs a `key` column (or a `key_fallback` composite) — "
        'e.g. `key: sys_id` or `key_fallback: [name, "@type"]`',
        "m.yaml:2: elements needs `type`: a constant element type, or a class column and its map — "
        "e.g. `type: {column: sys_class_name, map: {cmdb_ci_linux_server: Server}}`",
    ]
    assert problems_of(
        "elements:\n  key: id\n  name: name\n  type: {column: class}\n  attributes:\n    rack: {columns: r}\n",
        mm,
    ) == [
        "m.yaml:4: elements.type.map must map class values to element types — "
        "e.g. `map: {cmdb_ci_linux_server: Server, Linux Server: Server}`"
    ]
    assert problems_of(
        "relations:\n  parent: p\n  type: {column: t, map: {x: runs_on}}\n  dayfirst: 1\n", mm
    ) == [
        "m.yaml:4: unknown key 'dayfirst' in relations — allowed keys: child, child_class, "
        "child_id, ignore, parent, parent_class, parent_id, refs, skip_unmapped, type",
        "m.yaml:2: relations needs a `child` (or `child_id`) column — the column naming the child CI",
    ]


def test_flags_and_prefix_must_have_their_type(mm: Metamodel) -> None:
    text = (
        "id_prefix: 12\ndayfirst: oui\ndecimal_comma: 1\n"
        "relations: {parent: p, child: c, type: depends_on, skip_unmapped: maybe}\n"
    )
    assert problems_of(text, mm) == [
        'm.yaml:1: id_prefix must be text — e.g. `id_prefix: "itop-"`',
        "m.yaml:4: skip_unmapped must be true or false",
        "m.yaml:2: dayfirst must be true or false",
        "m.yaml:3: decimal_comma must be true or false",
    ]


def test_attribute_of_no_mapped_type(mm: Metamodel) -> None:
    text = (
        "elements:\n  key: id\n  name: name\n  type: Application\n"
        "  attributes:\n    cpu_count: cpus\n    name: n\n"
    )
    assert problems_of(text, mm) == [
        "m.yaml:6: attribute 'cpu_count' belongs to none of the mapped element types — "
        "mapped types: Application",
        "m.yaml:7: attribute 'name' belongs to none of the mapped element types — "
        "the element name comes from elements.name",
    ]


def test_a_valid_mapping(mm: Metamodel) -> None:
    text = """
id_prefix: "x-"
dayfirst: true
elements:
  key: [id, ID]
  key_fallback: [name, "@type"]
  name: name
  type:
    columns: class
    map:
      Linux Server: server         # type names are case-insensitive, stored canonical
      Laptop: {type: Device, set: {device_kind: workstation}}
      IP Address: null
  skip_when: {status: [Retired, 7]}
  attributes:
    memory_gb: {column: ram, transform: number, divide_by: 1024}
    tags: {column: labels, transform: [strip, list]}
  links:
    - {type: hosted_on, id: host_id, ignore: "0"}
relations:
  - parent: a
    child: b
    type: [{type: member_of, reverse: true}, composed_of]
"""
    m = mapping_from_text(text, "m.yaml", mm)
    assert (m.id_prefix, m.dayfirst, m.decimal_comma) == ("x-", True, False)
    el = m.elements
    assert el is not None
    assert (el.key, el.key_fallback, el.name, el.type.columns) == (
        ("id", "ID"),
        ("name", "@type"),
        ("name",),
        ("class",),
    )
    assert el.type.classes.entries == {
        "Linux Server": ClassTarget("Server"),
        "Laptop": ClassTarget("Device", {"device_kind": "workstation"}),
        "IP Address": None,
    }
    assert el.skip_when == (("status", frozenset({"retired", "7"})),)
    assert [(a.attribute, a.columns, a.transforms, a.divide_by) for a in el.attributes] == [
        ("memory_gb", ("ram",), ("number",), 1024.0),
        ("tags", ("labels",), ("strip", "list"), None),
    ]
    assert [(lk.targets, lk.id_columns, lk.ignore) for lk in el.links] == [
        ((Target("hosted_on"),), ("host_id",), frozenset({"0"}))
    ]
    (rel,) = m.relations
    assert rel.constant == (Target("member_of", reverse=True), Target("composed_of"))
    assert rel.expected_columns() == "'a', 'b'"


# ------------------------------------------------------------------ transforms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,665", 3665),
        ("131,072", 131072),
        ("1 234,5", 1234.5),
        ("1\u00a0024", 1024),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("3,5", 3.5),
        ("12,50", 12.5),
        ("1.234.567", 1234567),
        ("2.5", 2.5),
        ("-4", -4),
        ("1'000", 1000),
    ],
)
def test_parse_number(text: str, expected: float) -> None:
    value = parse_number(text)
    assert value == expected
    assert type(value) is type(expected)


def test_parse_number_decimal_comma_and_errors() -> None:
    assert parse_number("1,234", decimal_comma=True) == 1.234
    assert parse_number("1.234", decimal_comma=True) == 1234
    for bad in ("four", "16 GB", "", "1,2,3.4.5"):
        with pytest.raises(ValueError, match=r"cannot read .* as a number"):
            parse_number(bad)


@pytest.mark.parametrize(
    ("text", "dayfirst", "expected"),
    [
        ("2024-05-16 12:40:57", False, "2024-05-16"),
        ("2024-05-16", False, "2024-05-16"),
        ("2024-05-16T12:40:57Z", False, "2024-05-16"),
        ("2024/5/6", False, "2024-05-06"),
        ("16/05/2024", False, "2024-05-16"),  # 16 cannot be a month
        ("05/16/2024", True, "2024-05-16"),  # 16 cannot be a month
        ("03/04/2024", True, "2024-04-03"),
        ("03/04/2024", False, "2024-03-04"),
        ("16.05.2024", True, "2024-05-16"),
        ("16/05/2024 08:30", True, "2024-05-16"),
    ],
)
def test_parse_date(text: str, dayfirst: bool, expected: str) -> None:
    assert parse_date(text, dayfirst) == expected


def test_parse_date_errors() -> None:
    with pytest.raises(ValueError, match="cannot read 'soon' as a date"):
        parse_date("soon")
    with pytest.raises(ValueError, match="'2024-02-30' is not a real date"):
        parse_date("2024-02-30")


def test_parse_bool() -> None:
    assert [parse_bool(v) for v in ("true", "Yes", "1", "oui", "x", "false", "No", "0", "non")] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    with pytest.raises(ValueError, match="cannot read 'maybe' as true or false"):
        parse_bool("maybe")


def test_value_map_lookup() -> None:
    values = ValueMap({"Production": "production", "Disaster recovery": "dr", "Training": None})
    assert values.lookup("Production") == (True, "production")
    assert values.lookup("  disaster   RECOVERY ") == (True, "dr")
    assert values.lookup("Training") == (True, None)
    assert values.lookup("QA") == (False, None)
    assert ValueMap({"a": 1, "*": 0}).lookup("zzz") == (True, 0)


def test_attribute_convert() -> None:
    ram = AttributeMapping("memory_gb", ("ram",), ("number",), divide_by=1024)
    assert ram.convert("3,665") == 3.58
    env = AttributeMapping("environment", ("used_for",), values=ValueMap({"QA": "test", "*": None}))
    assert (env.convert("qa"), env.convert("Training")) == ("test", None)
    tags = AttributeMapping("tags", ("labels",), ("list",))
    assert tags.convert("pci; gdpr, critical") == ["pci", "gdpr", "critical"]
    when = AttributeMapping("end_of_support", ("eos",), ("date",))
    assert when.convert("03/04/2024", dayfirst=True) == "2024-04-03"
    shout = AttributeMapping("code", ("c",), ("strip", "upper"))
    assert shout.convert("crm   fr") == "CRM FR"
    with pytest.raises(ValueError, match="cannot read 'lots' as a number"):
        ram.convert("lots")


def test_short_rows_is_error_or_pad(mm: Metamodel) -> None:
    text = "short_rows: {short}\nelements: {{key: id, name: name, type: Server}}\n"
    assert mapping_from_text(text.format(short="pad"), "m.yaml", mm).short_rows == "pad"
    assert mapping_from_text(text.format(short="error"), "m.yaml", mm).short_rows == "error"
    assert problems_of(text.format(short="skip"), mm) == [
        "m.yaml:1: short_rows must be one of error, pad — pad only for a format that leaves "
        "trailing empty cells out: a row cut short would blank the attributes it lost"
    ]
