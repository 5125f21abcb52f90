"""The library API: validation before any write, provenance, change log, unique attributes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ea_repo import Repository
from ea_repo.errors import ConflictError, SourceError
from ea_repo.model import Element, ElementId, Relation


@pytest.fixture
def repo(workspace: Path):
    with Repository.open(workspace) as r:
        yield r


def el(id: str, type: str, **attrs: object) -> Element:
    return Element(ElementId(id), type, id.upper(), attrs)


def rel(src: str, type: str, dst: str, **attrs: object) -> Relation:
    return Relation(ElementId(src), type, ElementId(dst), attrs)


def test_add_many_writes_one_run_with_provenance(repo: Repository) -> None:
    n = repo.add_many(
        [el("a", "Application", criticality="HIGH"), el("s", "Server", environment="production")],
        [rel("a", "runs_on", "s")],
        source="script",
    )
    assert n == (2, 1)
    runs = repo.store.runs()
    assert [(r.source, r.status) for r in runs] == [("script", "succeeded")]
    assert runs[0].stats["elements"]["added"] == 2
    assert runs[0].stats["relations"]["added"] == 1
    assert repo.element("a").attrs["criticality"] == "high"  # normalised to the declared spelling
    assert repo.store.asserted_ids("script", "element") == {"a", "s"}
    assert repo.store.asserted_ids("script", "relation") == {"a|runs_on|s"}


def test_add_many_reports_every_problem_and_writes_nothing(repo: Repository) -> None:
    with pytest.raises(SourceError) as info:
        repo.add_many(
            [
                el("a", "Application", criticality="urgent"),
                el("b", "Nonsense"),
                el("s", "Server"),
                el("s", "Server"),
                el("c", "Application"),
            ],
            [rel("c", "runs_on", "ghost"), rel("s", "runs_on", "c"), rel("s", "located_in", "a")],
        )
    text = [str(p) for p in info.value.problems]
    assert len(text) == 6, text
    assert any("'urgent' is not one of" in t for t in text)
    assert any("unknown element type 'Nonsense'" in t for t in text)
    assert any("duplicate key 's'" in t for t in text)
    assert any("no element with id 'ghost'" in t for t in text)
    assert any("runs_on cannot lead to an Application" in t for t in text)
    assert any("runs_on cannot start from a Server" in t for t in text)
    assert not any("'a'" in t and "located_in" in t for t in text)  # a is reported once, for itself
    assert "nothing was written" in info.value.message
    assert repo.store.counts().elements == {}
    assert repo.store.runs() == []


def test_re_adding_the_same_items_changes_nothing(repo: Repository) -> None:
    items = ([el("a", "Application"), el("s", "Server")], [rel("a", "runs_on", "s")])
    repo.add_many(*items)
    repo.add_many(*items)
    assert [c.op for c in repo.store.changes()] == ["added", "added", "added"]
    assert repo.store.runs()[0].stats["elements"] == {
        "added": 0,
        "changed": 0,
        "revived": 0,
        "unchanged": 2,
        "missing": 0,
    }


def test_unique_attributes_are_enforced(tmp_path: Path) -> None:
    root = tmp_path / "own"
    root.mkdir()
    (root / "mm.yaml").write_text(
        "element_types:\n"
        "  Node:\n    layer: technology\n    attributes:\n      serial: {type: string, unique: true}\n"
        "  Server:\n    extends: Node\n"
    )
    with Repository.init(root, metamodel="mm.yaml") as own:
        own.add("Node", id="one", attrs={"serial": "X-1"})
        with pytest.raises(ConflictError, match="already used by 'one'"):
            own.add("Server", id="two", attrs={"serial": "X-1"})  # unique across subtypes
        own.add(
            "Node", id="one", name="One", attrs={"serial": "X-1"}, update=True
        )  # itself is no clash
        own.add("Server", id="two", attrs={"serial": "X-2"})


def test_show_groups_relations_with_labels_from_each_side(repo: Repository) -> None:
    repo.add_many(
        [el("a", "Application"), el("b", "Application"), el("s", "Server")],
        [rel("a", "runs_on", "s"), rel("a", "flow", "b")],
    )
    runs_on = repo.metamodel.relation_types["runs_on"]
    on_server = repo.describe("s").neighbors
    assert [(n.label, n.other.id) for n in on_server] == [(runs_on.reverse_label, "a")]
    from_app = {
        (n.relation.type, n.direction.value, n.other.id) for n in repo.describe("a").neighbors
    }
    assert from_app == {("runs_on", "out", "s"), ("flow", "out", "b")}


def test_unknown_id_suggests_close_ones(repo: Repository) -> None:
    repo.add("Application", id="order-management")
    with pytest.raises(Exception, match="no element 'order-managment'") as info:
        repo.element("order-managment")
    assert "order-management" in (info.value.hint or "")  # type: ignore[attr-defined]


def test_an_element_can_be_named_where_an_id_is_expected(repo: Repository) -> None:
    repo.add_many(
        [
            Element(ElementId("a0f3"), "Application", "Order Management", {}),
            Element(ElementId("s1"), "Server", "web01", {}),
            Element(ElementId("s2"), "Server", "web01", {}),
        ]
    )
    assert repo.element("order management").id == "a0f3"
    assert repo.describe("Order Management").element.id == "a0f3"
    with pytest.raises(Exception, match="2 elements are named 'web01'") as info:
        repo.element("web01")
    assert [str(p) for p in info.value.problems] == ["s1 (Server)", "s2 (Server)"]  # type: ignore[attr-defined]
    rel = repo.link("Order Management", "runs_on", "s1")
    assert (rel.src, rel.dst) == ("a0f3", "s1")


def test_unique_attributes_are_enforced_by_every_sync(tmp_path: Path) -> None:
    from ea_repo.errors import SourceError
    from ea_repo.model import Record
    from ea_repo.sync import SyncEngine

    root = tmp_path / "own"
    root.mkdir()
    (root / "mm.yaml").write_text(
        "element_types:\n"
        "  Node:\n    layer: technology\n    attributes:\n      serial: {type: string, unique: true}\n"
    )
    with Repository.init(root, metamodel="mm.yaml") as own:
        engine = SyncEngine(own.store, own.metamodel)
        nodes = [Record.element("Node", f"n{i}", attrs={"serial": f"S-{i}"}) for i in range(3)]
        engine.run("cmdb", nodes)
        twice = [*nodes, Record.element("Node", "n3", attrs={"serial": "S-1"})]
        with pytest.raises(SourceError) as info:
            engine.run("cmdb", twice)
        assert [p.message for p in info.value.problems] == ["serial='S-1' is already used by 'n1'"]
        with pytest.raises(SourceError, match="1 problem"):
            engine.run(
                "manual", [Record.element("Node", "n9", attrs={"serial": "S-2"})], partial=True
            )
        # Two elements trading their values in one run is no clash.
        swapped = [
            Record.element("Node", "n0", attrs={"serial": "S-1"}),
            Record.element("Node", "n1", attrs={"serial": "S-0"}),
            nodes[2],
        ]
        assert engine.run("cmdb", swapped).elements.counts()["changed"] == 2


def test_a_link_to_a_retired_element_is_refused_until_it_is_revived(repo: Repository) -> None:
    from ea_repo.model import EVERYTHING, Status

    repo.add("Application", id="crm")
    repo.add("Server", id="srv")
    repo.store.set_status("element", ["srv"], Status.RETIRED)
    with pytest.raises(ConflictError, match=r"srv \(srv\) is retired") as info:
        repo.link("crm", "runs_on", "srv")
    assert "ea add Server --id srv --update" in (info.value.hint or "")
    assert repo.store.relations_of(["srv"], EVERYTHING) == []
    repo.add("Server", id="srv", update=True)
    assert repo.link("crm", "runs_on", "srv").status is Status.ACTIVE
    assert [r.id for r in repo.store.relations_of(["srv"])] == ["crm|runs_on|srv"]
