"""The selector language: parsing into a spec tree, evaluation on a real store, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ea_repo.errors import SelectorError
from ea_repo.metamodel import Metamodel, load_metamodel
from ea_repo.model import EVERYTHING, Element, ElementId, Relation, Status
from ea_repo.selection import (
    METHODS,
    Atom,
    Intersection,
    Method,
    Union,
    check_selector,
    parse_selector,
    select,
    select_ids,
)
from ea_repo.store import GraphStore, SQLiteStore

#  loc-idf ◄── dc-paris ◄── srv-db01 ◄── ora-19 ◄──uses── app-crm ──serves──► bp-sales ──realizes──► cap-sell
#                  ▲   ▲                    ▲               │  │
#                  │   └─ srv-app01 ◄─ vm-crm ◄─────────────┘  └─flow──► app-om ──runs_on──► srv-test ──► dc-lyon
#          ups-1 ──┘          ▲  ▲        ▲                                │
#                             │  │        └── app-crmrep                   └──uses──► ora-19
#                  bk-sw ─────┘  └─ vm-old (retired)        app-legacy (retired) ──► srv-db01
#  Unconnected: bk-svc (a second "Backup"), "ci:0042" (an id with a colon), db-sales.
ELEMENTS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("loc-idf", "Location", "Île-de-France", {}),
    ("dc-paris", "Datacenter", "Paris DC1", {"tier": 3}),
    ("dc-lyon", "Datacenter", "Lyon DC2", {"tier": 2}),
    ("ups-1", "Equipment", "UPS Paris", {"category": "power"}),
    (
        "srv-db01",
        "Server",
        "DB Server 01",
        {
            "environment": "production",
            "location": "Paris-1",
            "cpu_count": 16,
            "end_of_support": "2024-06-30",
        },
    ),
    (
        "srv-app01",
        "Server",
        "App Server 01",
        {"environment": "production", "location": "Paris-1", "cpu_count": 8},
    ),
    ("srv-test", "Server", "Test Server", {"environment": "test", "location": "Lyon-2"}),
    ("vm-crm", "VirtualMachine", "vm-crm-prod", {"environment": "production"}),
    ("vm-old", "VirtualMachine", "Old VM", {"environment": "production"}),
    (
        "ora-19",
        "SystemSoftware",
        "Oracle DB 19c",
        {"product": "Oracle Database", "category": "database", "environment": "production"},
    ),
    ("bk-sw", "SystemSoftware", "Backup", {"category": "other"}),
    ("bk-svc", "TechnologyService", "Backup", {}),
    ("app-crm", "Application", "CRM", {"tags": ["pci", "gdpr"], "criticality": "high"}),
    ("app-crmrep", "Application", "CRM Reporting", {}),
    ("app-om", "Application", "Order Management", {"tags": ["gdpr"], "criticality": "medium"}),
    ("app-legacy", "Application", "Legacy CRM", {"tags": ["gdpr"]}),
    ("bp-sales", "BusinessProcess", "Sales", {}),
    ("cap-sell", "Capability", "Selling", {}),
    ("ci:0042", "BusinessActor", "Sales Team", {}),
    ("db-sales", "Database", "Sales schema", {"encrypted": True, "size_gb": 12.5}),
]
RETIRED = {"vm-old", "app-legacy"}
RELATIONS = [
    ("dc-paris", "located_in", "loc-idf"),
    ("srv-db01", "located_in", "dc-paris"),
    ("srv-app01", "located_in", "dc-paris"),
    ("ups-1", "located_in", "dc-paris"),
    ("srv-test", "located_in", "dc-lyon"),
    ("vm-crm", "hosted_on", "srv-app01"),
    ("vm-old", "hosted_on", "srv-app01"),
    ("ora-19", "runs_on", "srv-db01"),
    ("bk-sw", "runs_on", "srv-app01"),
    ("app-crm", "runs_on", "vm-crm"),
    ("app-crm", "uses", "ora-19"),
    ("app-crmrep", "runs_on", "vm-crm"),
    ("app-om", "runs_on", "srv-test"),
    ("app-om", "uses", "ora-19"),
    ("app-crm", "flow", "app-om"),
    ("app-crm", "serves", "bp-sales"),
    ("bp-sales", "realizes", "cap-sell"),
    ("app-legacy", "runs_on", "srv-db01"),
]
ACTIVE = {i for i, *_ in ELEMENTS} - RETIRED


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GraphStore]:
    s = SQLiteStore(tmp_path / "repository.db")
    s.upsert_elements(
        Element(ElementId(i), t, n, a, Status.RETIRED if i in RETIRED else Status.ACTIVE)
        for i, t, n, a in ELEMENTS
    )
    s.upsert_relations(Relation(ElementId(a), t, ElementId(b)) for a, t, b in RELATIONS)
    yield s
    s.close()


def ids(store: GraphStore, mm: Metamodel, text: str, **kw: Any) -> set[str]:
    return set(select_ids(store, mm, text, **kw))


def error(store: GraphStore, mm: Metamodel, text: str) -> SelectorError:
    with pytest.raises(SelectorError) as info:
        select_ids(store, mm, text)
    return info.value


# -- atoms -------------------------------------------------------------------------

SERVERS = {"srv-db01", "srv-app01", "srv-test"}

ATOMS = [
    # type: subtypes included, names ignore case, retired excluded
    ("type:Server", SERVERS),
    ("type:server", SERVERS),
    ("TYPE:SERVER", SERVERS),
    ("type:Node", SERVERS | {"vm-crm"}),
    ("type:Facility", {"dc-paris", "dc-lyon"}),
    ("type:VirtualMachine", {"vm-crm"}),
    ("type:Gap", set()),
    # layer:
    ("layer:physical", {"loc-idf", "dc-paris", "dc-lyon", "ups-1"}),
    ("layer:Strategy", {"cap-sell"}),
    ("layer:business", {"bp-sales", "ci:0042"}),
    ("layer:technology", SERVERS | {"vm-crm", "ora-19", "bk-sw", "bk-svc"}),
    ("layer:implementation", set()),
    ("layer:DATA", {"db-sales"}),
    # attr.: value read as the declared type
    ("attr.environment=production", {"srv-db01", "srv-app01", "vm-crm", "ora-19"}),
    ("attr.environment=PRODUCTION", {"srv-db01", "srv-app01", "vm-crm", "ora-19"}),
    ("attr.Environment=test", {"srv-test"}),
    ("attr.cpu_count=16", {"srv-db01"}),
    ("attr.cpu_count=016", {"srv-db01"}),
    ("attr.end_of_support=2024-06-30", {"srv-db01"}),
    ("attr.end_of_support=2024-06-30T08:00:00Z", {"srv-db01"}),
    ("attr.tier=3", {"dc-paris"}),
    ("attr.encrypted=yes", {"db-sales"}),
    ("attr.encrypted=TRUE", {"db-sales"}),
    ("attr.encrypted=false", set()),
    ("attr.size_gb=12.50", {"db-sales"}),
    ("attr.location=Paris-1", {"srv-db01", "srv-app01"}),
    ("attr.location=paris-1", set()),  # text is compared exactly
    ("attr.criticality=HIGH", {"app-crm"}),
    ('attr.product="Oracle Database"', {"ora-19"}),
    # list attributes: membership, every item of a list value
    ("attr.tags=gdpr", {"app-crm", "app-om"}),
    ('attr.tags="gdpr,pci"', {"app-crm"}),
    ("attr.tags=pc", set()),
    # declared as an enum by SystemSoftware and as text by Equipment
    ("attr.category=power", {"ups-1"}),
    ("attr.category=DATABASE", {"ora-19"}),
    ("attr.category=database", {"ora-19"}),
    # name: exact or glob, ignoring case, on the display name
    ("name:CRM", {"app-crm"}),
    ("name:crm", {"app-crm"}),
    ("name:*crm*", {"app-crm", "app-crmrep", "vm-crm"}),
    ("name:crm*", {"app-crm", "app-crmrep"}),
    ("name:?RM", {"app-crm"}),
    ('name:"Order Management"', {"app-om"}),
    ('name:"* Server 0[1]"', {"srv-db01", "srv-app01"}),
    ("name:*ÎLE*", {"loc-idf"}),
    ("name:île-de-france", {"loc-idf"}),
    ("name:*", ACTIVE),
    ("name:nothing", set()),
    # id: exact id only; a bare word: id, then unique name
    ("id:app-crm", {"app-crm"}),
    ('id:"ci:0042"', {"ci:0042"}),
    ("app-crm", {"app-crm"}),
    ("CRM", {"app-crm"}),
    ("crm", {"app-crm"}),
    ('"Order Management"', {"app-om"}),
    ('"ci:0042"', {"ci:0042"}),
    ('"sales team"', {"ci:0042"}),
    ("île-de-france", {"loc-idf"}),  # non-ASCII case is ignored too
    # in: what stands wholly on the place through the hosting relationships; using
    # Oracle in Paris, receiving the CRM's flow does not put Order Management there
    (
        'in:"Paris DC1"',
        {
            "dc-paris",
            "srv-db01",
            "srv-app01",
            "ups-1",
            "vm-crm",
            "ora-19",
            "bk-sw",
            "app-crm",
            "app-crmrep",
        },
    ),
    ("in:dc-lyon", {"dc-lyon", "srv-test", "app-om"}),
    (
        "in:loc-idf",
        {"loc-idf"}
        | {
            "dc-paris",
            "srv-db01",
            "srv-app01",
            "ups-1",
            "vm-crm",
            "ora-19",
            "bk-sw",
            "app-crm",
            "app-crmrep",
        },
    ),
    ("in:dc-lyon type:Application", {"app-om"}),
    ("in:srv-db01", {"srv-db01", "ora-19"}),
    ("in:vm-old", set()),
    # retired elements resolve to nothing rather than an error
    ("vm-old", set()),
    ("id:vm-old", set()),
    ('"Legacy CRM"', set()),
    ("+vm-old+", set()),
]


@pytest.mark.parametrize(("text", "expected"), ATOMS, ids=[t for t, _ in ATOMS])
def test_atoms(store: GraphStore, mm: Metamodel, text: str, expected: set[str]) -> None:
    assert ids(store, mm, text) == expected


def test_retired_elements_are_selected_through_the_everything_lens(
    store: GraphStore, mm: Metamodel
) -> None:
    assert ids(store, mm, "type:VirtualMachine", lens=EVERYTHING) == {"vm-crm", "vm-old"}
    assert ids(store, mm, "name:*crm*", lens=EVERYTHING) == {
        "app-crm",
        "app-crmrep",
        "vm-crm",
        "app-legacy",
    }
    assert ids(store, mm, '"Legacy CRM"', lens=EVERYTHING) == {"app-legacy"}
    assert ids(store, mm, "attr.tags=gdpr", lens=EVERYTHING) == {"app-crm", "app-om", "app-legacy"}
    assert ids(store, mm, "1+srv-db01", lens=EVERYTHING) == {"srv-db01", "ora-19", "app-legacy"}


def test_every_method_has_its_class() -> None:
    assert set(METHODS) == set(Method)
    assert {cls.__name__ for cls in METHODS.values()} == {
        "TypeSelector",
        "LayerSelector",
        "AttrSelector",
        "NameSelector",
        "IdSelector",
        "InSelector",
        "ElementSelector",
    }


# -- graph operators --------------------------------------------------------------

GRAPH = [
    # +X: X and what depends on it (an outage's reach); structural, so the
    # cluster redundancy of the impact analysis does not apply
    ("+srv-db01", {"srv-db01", "ora-19", "app-crm", "app-om", "bp-sales", "cap-sell"}),
    ("1+srv-db01", {"srv-db01", "ora-19"}),
    ("2+srv-db01", {"srv-db01", "ora-19", "app-crm", "app-om"}),
    ("3+srv-db01", {"srv-db01", "ora-19", "app-crm", "app-om", "bp-sales"}),
    (
        "+loc-idf",
        {
            "loc-idf",
            "dc-paris",
            "srv-db01",
            "srv-app01",
            "ups-1",
            "ora-19",
            "vm-crm",
            "bk-sw",
            "app-crm",
            "app-crmrep",
            "app-om",
            "bp-sales",
            "cap-sell",
        },
    ),
    # X+: X and what it depends on
    (
        "cap-sell+",
        {
            "cap-sell",
            "bp-sales",
            "app-crm",
            "vm-crm",
            "ora-19",
            "srv-app01",
            "srv-db01",
            "dc-paris",
            "loc-idf",
        },
    ),
    ("cap-sell+2", {"cap-sell", "bp-sales", "app-crm"}),
    ('"Order Management"+1', {"app-om", "srv-test", "ora-19", "app-crm"}),
    ('name:"order management"+1', {"app-om", "srv-test", "ora-19", "app-crm"}),
    # both ways
    ("+app-crm+1", {"app-crm", "app-om", "bp-sales", "cap-sell", "vm-crm", "ora-19"}),
    ("1+app-crm+1", {"app-crm", "app-om", "bp-sales", "vm-crm", "ora-19"}),
    # on a set: every match is a start
    ("type:Server+1", SERVERS | {"dc-paris", "dc-lyon"}),
    ("1+type:Datacenter", {"dc-paris", "dc-lyon", "srv-db01", "srv-app01", "ups-1", "srv-test"}),
    # nothing depends on the capability; a leaf depends on nothing
    ("+cap-sell", {"cap-sell"}),
    ("loc-idf+", {"loc-idf"}),
]


@pytest.mark.parametrize(("text", "expected"), GRAPH, ids=[t for t, _ in GRAPH])
def test_graph_operators(store: GraphStore, mm: Metamodel, text: str, expected: set[str]) -> None:
    assert ids(store, mm, text) == expected


# -- unions, intersections, precedence -------------------------------------------

COMBINED = [
    ("type:Capability,type:BusinessProcess", {"cap-sell", "bp-sales"}),
    ("  type:Capability ,  type:BusinessProcess  ", {"cap-sell", "bp-sales"}),
    ("attr.environment=production type:Node", {"srv-db01", "srv-app01", "vm-crm"}),
    ("type:Application +srv-db01", {"app-crm", "app-om"}),
    ("layer:physical srv-app01+", {"dc-paris", "loc-idf"}),
    ("type:Capability type:Server", set()),
    ("name:*crm* type:Application attr.tags=pci", {"app-crm"}),
    # a space binds tighter than a comma: (Server ∩ Paris-1) ∪ Capability ...
    ("type:Server attr.location=Paris-1,type:Capability", {"srv-db01", "srv-app01", "cap-sell"}),
    # ... not Server ∩ (Paris-1 ∪ Capability) ...
    ("type:Capability,type:Server attr.location=Paris-1", {"srv-db01", "srv-app01", "cap-sell"}),
    # ... and each side of a comma is a whole intersection
    ("type:Server srv-test,type:Datacenter attr.tier=2", {"srv-test", "dc-lyon"}),
    ("+srv-db01 type:Application,cap-sell+1 layer:business", {"app-crm", "app-om", "bp-sales"}),
]


@pytest.mark.parametrize(("text", "expected"), COMBINED, ids=[t for t, _ in COMBINED])
def test_unions_and_intersections(
    store: GraphStore, mm: Metamodel, text: str, expected: set[str]
) -> None:
    assert ids(store, mm, text) == expected


def test_select_returns_elements_ordered_by_id(store: GraphStore, mm: Metamodel) -> None:
    found = select(store, mm, "2+srv-db01")
    assert [e.id for e in found] == ["app-crm", "app-om", "ora-19", "srv-db01"]
    assert all(isinstance(e, Element) for e in found)
    assert found[0].name == "CRM"
    assert select(store, mm, "type:Capability type:Server") == []


def test_a_tree_is_evaluated_like_its_text(store: GraphStore, mm: Metamodel) -> None:
    tree = Intersection(
        (
            Union((Atom(Method.TYPE, "Server"), Atom(Method.TYPE, "Capability"))),
            Atom(Method.ATTR, "Paris-1", key="location"),
        )
    )
    assert ids(store, mm, tree.to_text()) == {"srv-db01", "srv-app01"}
    assert select_ids(store, mm, tree) == {"srv-db01", "srv-app01"}


# -- parsing and the spec tree ---------------------------------------------------


def test_parse_builds_the_spec_tree() -> None:
    assert parse_selector("type:Server") == Atom(Method.TYPE, "Server")
    assert parse_selector(
        '2+type:Server+ layer:technology,"Order Management"+3 attr.tags="a b"'
    ) == Union(
        (
            Intersection(
                (
                    Atom(
                        Method.TYPE,
                        "Server",
                        dependents=True,
                        dependents_depth=2,
                        dependencies=True,
                    ),
                    Atom(Method.LAYER, "technology"),
                )
            ),
            Intersection(
                (
                    Atom(
                        Method.ELEMENT,
                        "Order Management",
                        dependencies=True,
                        dependencies_depth=3,
                    ),
                    Atom(Method.ATTR, "a b", key="tags"),
                )
            ),
        )
    )
    assert parse_selector("a b c") == Intersection(
        (Atom(Method.ELEMENT, "a"), Atom(Method.ELEMENT, "b"), Atom(Method.ELEMENT, "c"))
    )
    assert parse_selector("a,b") == Union((Atom(Method.ELEMENT, "a"), Atom(Method.ELEMENT, "b")))


PARSES = [
    ("+x", Atom(Method.ELEMENT, "x", dependents=True)),
    ("x+", Atom(Method.ELEMENT, "x", dependencies=True)),
    ("+x+", Atom(Method.ELEMENT, "x", dependents=True, dependencies=True)),
    ("2+x", Atom(Method.ELEMENT, "x", dependents=True, dependents_depth=2)),
    ("x+3", Atom(Method.ELEMENT, "x", dependencies=True, dependencies_depth=3)),
    (
        "10+x+10",
        Atom(
            Method.ELEMENT,
            "x",
            dependents=True,
            dependents_depth=10,
            dependencies=True,
            dependencies_depth=10,
        ),
    ),
    # "2+" alone is the element 2 and its dependencies; "12+5" a depth then 5
    ("2+", Atom(Method.ELEMENT, "2", dependencies=True)),
    ("12+5", Atom(Method.ELEMENT, "5", dependents=True, dependents_depth=12)),
    ("name:*oracle*", Atom(Method.NAME, "*oracle*")),
    ("Name:a:b", Atom(Method.NAME, "a:b")),
    ("attr.url=https://x.org/a", Atom(Method.ATTR, "https://x.org/a", key="url")),
    ("ATTR.env=prod", Atom(Method.ATTR, "prod", key="env")),
    ('attr.env="a=b c"', Atom(Method.ATTR, "a=b c", key="env")),
    ('"type:x"', Atom(Method.ELEMENT, "type:x")),
    ('"a\\"b\\\\c"', Atom(Method.ELEMENT, 'a"b\\c')),
    ('"a\\nb"', Atom(Method.ELEMENT, "a\\nb")),
    ("a\\b", Atom(Method.ELEMENT, "a\\b")),
    ('id:"x y"+', Atom(Method.ID, "x y", dependencies=True)),
    ('in:"DC Lyon"', Atom(Method.IN, "DC Lyon")),
    ("2+In:dc-lyon", Atom(Method.IN, "dc-lyon", dependents=True, dependents_depth=2)),
]


@pytest.mark.parametrize(("text", "tree"), PARSES, ids=[t for t, _ in PARSES])
def test_parse_atoms_and_operators(text: str, tree: Atom) -> None:
    assert parse_selector(text) == tree


ROUND_TRIPS = [
    ("type:Server", "type:Server"),
    ("TYPE:Server", "type:Server"),
    ("  a ,  b   c ", "a,b c"),
    (
        "2+type:Server+ layer:technology,name:*oracle*",
        "2+type:Server+ layer:technology,name:*oracle*",
    ),
    ('"Order Management"+1', '"Order Management"+1'),
    ('name:"Order Management"', 'name:"Order Management"'),
    ('id:"ci:0042"', "id:ci:0042"),  # after the method, ':' is plain
    ('"ci:0042"', '"ci:0042"'),
    ('"attr.x=1"', '"attr.x=1"'),
    ('attr.tags="gdpr,pci"', 'attr.tags="gdpr,pci"'),
    ('"a\\"b\\\\c"', '"a\\"b\\\\c"'),
    ("a\\b", "a\\b"),
    ('"a+b"', '"a+b"'),
    ('"12+5"+', '"12+5"+'),
    ("12+5", "12+5"),
    ("2+", "2+"),
    ('IN:"Paris DC1"', 'in:"Paris DC1"'),
]


@pytest.mark.parametrize(("text", "canonical"), ROUND_TRIPS, ids=[t for t, _ in ROUND_TRIPS])
def test_to_text_round_trips(text: str, canonical: str) -> None:
    tree = parse_selector(text)
    assert tree.to_text() == canonical
    assert str(tree) == canonical
    assert parse_selector(canonical) == tree


def test_to_text_distributes_a_union_inside_an_intersection() -> None:
    a, b, c, d = (Atom(Method.ELEMENT, v) for v in "abcd")
    assert Intersection((Union((a, b)), c)).to_text() == "a c,b c"
    assert Intersection((Union((a, b)), Union((c, d)))).to_text() == "a c,a d,b c,b d"
    assert Union((Union((a, b)), Intersection((c, Intersection((d, a)))))).to_text() == "a,b,c d a"
    assert Intersection((a,)).to_text() == "a"


def test_to_text_quotes_what_would_not_read_back() -> None:
    assert Atom(Method.ELEMENT, "weird id:1").to_text() == '"weird id:1"'
    assert Atom(Method.ELEMENT, "x,y").to_text() == '"x,y"'
    assert Atom(Method.ELEMENT, "Attr.x").to_text() == '"Attr.x"'
    assert Atom(Method.NAME, 'say "hi"').to_text() == 'name:"say \\"hi\\""'
    assert Atom(Method.NAME, "a:b").to_text() == "name:a:b"  # after the method, ':' is plain
    assert (
        Atom(Method.TYPE, "S", dependents=True, dependents_depth=2, dependencies=True).to_text()
        == "2+type:S+"
    )


def test_atoms_accept_method_names_and_reject_inconsistent_specs() -> None:
    assert Atom("type", "Server") == Atom(Method.TYPE, "Server")  # type: ignore[arg-type]
    cases = [
        (lambda: Atom("kind", "x"), "unknown selector method 'kind'"),  # type: ignore[arg-type]
        (lambda: Atom(Method.TYPE, ""), "the type selector has no value"),
        (
            lambda: Atom(Method.ATTR, "x"),
            "an attribute selector needs a key, and only it has one",
        ),
        (
            lambda: Atom(Method.NAME, "x", key="k"),
            "an attribute selector needs a key, and only it has one",
        ),
        (lambda: Atom(Method.ATTR, "x", key="not a key"), "'not a key' is not an attribute name"),
        (
            lambda: Atom(Method.TYPE, "x", dependents_depth=2),
            "a dependents depth is given without dependents",
        ),
        (
            lambda: Atom(Method.TYPE, "x", dependencies=True, dependencies_depth=0),
            "the dependencies depth must be a whole number of at least 1, not 0",
        ),
        (lambda: Union(()), "a union needs at least one part"),
        (lambda: Intersection(("a",)), "an intersection can only hold selectors, not 'a'"),  # type: ignore[arg-type]
    ]
    for build, message in cases:
        with pytest.raises(SelectorError) as info:
            build()
        assert info.value.message == message


# -- errors -------------------------------------------------------------------------

_DEPTH_HINT = (
    "a depth is a whole number: 2+X (dependents up to 2 levels), X+3 (dependencies "
    "up to 3 levels); quote a value that contains '+'"
)
_PLUS_HINT = "+X selects X and its dependents, X+ X and its dependencies"
_COMMA_HINT = "a comma separates alternatives: type:Server,type:VirtualMachine"

SYNTAX_ERRORS = [
    ("", 'selector "": empty selector', "e.g. type:Server, layer:technology, name:*crm*, +app-crm"),
    (
        "   ",
        'selector "   ": empty selector',
        "e.g. type:Server, layer:technology, name:*crm*, +app-crm",
    ),
    (
        "type:Srv +",
        "selector \"type:Srv +\": expected a selector after the '+' at column 10",
        _PLUS_HINT,
    ),
    ("+", "selector \"+\": expected a selector after the '+' at column 1", _PLUS_HINT),
    ("++x", "selector \"++x\": unexpected '+' at column 2", _PLUS_HINT),
    ("x++", "selector \"x++\": unexpected '+' after '+' at column 3", _DEPTH_HINT),
    ("x+two", "selector \"x+two\": unexpected 't' after '+' at column 3", _DEPTH_HINT),
    ("two+x", "selector \"two+x\": unexpected 'x' after '+' at column 5", _DEPTH_HINT),
    ("x+2.5", "selector \"x+2.5\": unexpected '.' after '+' at column 4", _DEPTH_HINT),
    ("0+x", 'selector "0+x": depth 0 at column 1 is less than 1', _DEPTH_HINT),
    ("x+00", 'selector "x+00": depth 00 at column 3 is less than 1', _DEPTH_HINT),
    ("a,,b", "selector \"a,,b\": expected a selector after the ',' at column 2", _COMMA_HINT),
    ("a, ", "selector \"a, \": expected a selector after the ',' at column 2", _COMMA_HINT),
    (",a", 'selector ",a": expected a selector at column 1', _COMMA_HINT),
    (
        'name:"Order',
        'selector "name:"Order": unbalanced quote: the \'"\' at column 6 is never closed',
        'close it: name:"Order Management"',
    ),
    (
        'a "b',
        'selector "a "b": unbalanced quote: the \'"\' at column 3 is never closed',
        'close it: name:"Order Management"',
    ),
    (
        'name:Order"x"',
        'selector "name:Order"x"": unexpected \'"\' at column 11',
        'quote the whole value: name:"Order Management"',
    ),
    (
        '"a"b',
        'selector ""a"b": unexpected \'b\' at column 4',
        "separate terms with a space (both) or a comma (either)",
    ),
    ("layer:", "selector \"layer:\": 'layer:' has no value at column 1", "e.g. layer:technology"),
    ("x type:+", "selector \"x type:+\": 'type:' has no value at column 3", "e.g. type:Server"),
    ('name:""', 'selector "name:""": empty value at column 1', "e.g. name:*crm*"),
    ('""', 'selector """": empty value at column 1', "e.g. app-crm"),
    (
        "attr.x=",
        "selector \"attr.x=\": 'attr.x=' has no value at column 1",
        "e.g. attr.environment=production",
    ),
    (
        "attr.environment",
        'selector "attr.environment": expected attr.KEY=VALUE at column 1',
        "e.g. attr.environment=production",
    ),
    (
        "x attr.=1",
        "selector \"x attr.=1\": '' at column 8 is not an attribute name",
        "e.g. attr.environment=production",
    ),
    (
        "typo:Server",
        "selector \"typo:Server\": unknown selector method 'typo' at column 1",
        "did you mean 'type'? methods: type:, layer:, name:, id:, in:, attr.KEY=VALUE; "
        "quote an id that contains ':'",
    ),
    (
        "ci:0042",
        "selector \"ci:0042\": unknown selector method 'ci' at column 1",
        "methods: type:, layer:, name:, id:, in:, attr.KEY=VALUE; quote an id that contains ':'",
    ),
]


@pytest.mark.parametrize(
    ("text", "message", "hint"), SYNTAX_ERRORS, ids=[t for t, *_ in SYNTAX_ERRORS]
)
def test_syntax_errors(text: str, message: str, hint: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    assert info.value.message == message
    assert info.value.hint == hint


LAYER_LIST = (
    "layers: motivation, strategy, business, application, data, technology, physical, "
    "implementation, other, operations"
)

EVALUATION_ERRORS = [
    ("type:Srv", "selector \"type:Srv\": unknown element type 'Srv'", "did you mean 'Server'?"),
    (
        "type:Zzzz",
        "selector \"type:Zzzz\": unknown element type 'Zzzz'",
        "`ea metamodel show` lists the types",
    ),
    (
        "layer:tech",
        "selector \"layer:tech\": unknown layer 'tech'",
        "did you mean 'technology'? " + LAYER_LIST,
    ),
    ("layer:zzz", "selector \"layer:zzz\": unknown layer 'zzz'", LAYER_LIST),
    (
        "attr.enviroment=production",
        "selector \"attr.enviroment=production\": no element type has an attribute 'enviroment'",
        "did you mean 'environment'?",
    ),
    (
        "attr.zzz=1",
        "selector \"attr.zzz=1\": no element type has an attribute 'zzz'",
        "`ea metamodel show TYPE` lists the attributes",
    ),
    (
        "attr.environment=prod",
        "selector \"attr.environment=prod\": attribute 'environment': "
        "'prod' is not one of production, preproduction, test, development, dr",
        "environment is declared as enum",
    ),
    (
        "attr.cpu_count=many",
        "selector \"attr.cpu_count=many\": attribute 'cpu_count': "
        "expected a whole number, got 'many'",
        "cpu_count is declared as int",
    ),
    (
        "attr.end_of_support=30/06/2024",
        "selector \"attr.end_of_support=30/06/2024\": attribute 'end_of_support': "
        "expected a date as YYYY-MM-DD, got '30/06/2024'",
        "end_of_support is declared as date",
    ),
    (
        'attr.tags=","',
        'selector "attr.tags=","": attribute \'tags\': expected at least one item',
        "tags is declared as list",
    ),
    (
        "Backup",
        "selector \"Backup\": 2 elements are named 'Backup'",
        "use one of these ids instead of the name (`ea show ID` shows one in full)",
    ),
    (
        "app-crn",
        "selector \"app-crn\": no element with id or name 'app-crn'",
        "did you mean 'app-crm' or 'app-crmrep' or 'app-om'?",
    ),
    (
        "type:Server Oracle-DB-19",
        "selector \"type:Server Oracle-DB-19\": no element with id or name 'Oracle-DB-19'",
        "did you mean 'Oracle DB 19c' or 'ora-19'?",
    ),
    (
        "zzzzzz",
        "selector \"zzzzzz\": no element with id or name 'zzzzzz'",
        "`ea find TEXT` searches ids, names and attributes",
    ),
    (
        "*crm*",
        "selector \"*crm*\": no element with id or name '*crm*'",
        "to match names by pattern, write name:*crm*",
    ),
    (
        "id:CRM",
        "selector \"id:CRM\": no element with id 'CRM'",
        "'CRM' is the name of app-crm; without 'id:' a unique name is accepted",
    ),
    (
        "id:app-crn",
        "selector \"id:app-crn\": no element with id 'app-crn'",
        "did you mean 'app-crm' or 'app-crmrep' or 'app-om'?",
    ),
    # metamodel mistakes are found before any element is resolved
    (
        "app-crn type:Srv",
        "selector \"app-crn type:Srv\": unknown element type 'Srv'",
        "did you mean 'Server'?",
    ),
]


@pytest.mark.parametrize(
    ("text", "message", "hint"), EVALUATION_ERRORS, ids=[t for t, *_ in EVALUATION_ERRORS]
)
def test_evaluation_errors(
    store: GraphStore, mm: Metamodel, text: str, message: str, hint: str
) -> None:
    err = error(store, mm, text)
    assert err.message == message
    assert err.hint == hint


def test_an_ambiguous_name_lists_each_element_with_what_tells_them_apart(
    store: GraphStore, mm: Metamodel
) -> None:
    err = error(store, mm, "Backup")
    assert [str(p) for p in err.problems] == [
        "bk-svc (TechnologyService): category=(none)",
        "bk-sw (SystemSoftware): category=other",
    ]


def test_errors_of_a_tree_quote_its_text(store: GraphStore, mm: Metamodel) -> None:
    tree = Union((Atom(Method.TYPE, "Server"), Atom(Method.TYPE, "Srv", dependents=True)))
    with pytest.raises(SelectorError) as info:
        select(store, mm, tree)
    assert info.value.message == "selector \"type:Server,+type:Srv\": unknown element type 'Srv'"


def test_check_selector_uses_the_metamodel_only(mm: Metamodel) -> None:
    tree = check_selector("app-unknown type:Server attr.environment=production", mm)
    assert tree == Intersection(
        (
            Atom(Method.ELEMENT, "app-unknown"),
            Atom(Method.TYPE, "Server"),
            Atom(Method.ATTR, "production", key="environment"),
        )
    )
    same = parse_selector("name:x")
    assert check_selector(same, mm) is same
    assert check_selector("in:dc-nowhere", mm) == Atom(Method.IN, "dc-nowhere")
    with pytest.raises(SelectorError) as info:
        check_selector("layer:tech", mm)
    assert info.value.message == "selector \"layer:tech\": unknown layer 'tech'"
    with pytest.raises(SelectorError) as info:
        check_selector("attr.cpu_count=x", mm)
    assert info.value.message == (
        "selector \"attr.cpu_count=x\": attribute 'cpu_count': expected a whole number, got 'x'"
    )
