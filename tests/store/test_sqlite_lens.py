"""The SQLite store's one place for what a lens shows (``_Visible``): the SQL it generates,
and that its two ways of checking a relation's ends select the same rows in a real file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ea_repo.model import (
    CURRENT,
    EVERYTHING,
    Element,
    ElementId,
    Lens,
    Relation,
    RelationId,
    Status,
)
from ea_repo.store.sqlite import _ID, SQLiteStore, _Visible, _visible

IN = "IN (SELECT value FROM json_each(?))"
RETIRED_ONLY = Lens(statuses=frozenset({Status.RETIRED}))


def test_a_row_is_shown_by_its_status_bound_as_one_sorted_json_parameter() -> None:
    current = _visible(CURRENT).rows("e")
    assert current.text == f"e.status {IN}"
    assert current.params == ('["active"]',)
    everything = _visible(EVERYTHING).rows("r")
    assert everything.text == f"r.status {IN}"
    assert everything.params == ('["active","retired"]',)


def test_the_fast_path_holds_for_lenses_that_show_active_rows() -> None:
    assert _visible(CURRENT).few_hidden
    assert _visible(EVERYTHING).few_hidden
    assert not _visible(RETIRED_ONLY).few_hidden


def test_one_object_per_lens() -> None:
    assert _visible(Lens()) is _visible(CURRENT)
    assert _visible(Lens.everything()) is _visible(EVERYTHING)


def test_relation_ends_against_the_hidden_elements_bind_them_once_sorted() -> None:
    shown = _visible(CURRENT).relations("r", frozenset({"b", "a"}))
    keys = f"(SELECT key FROM element WHERE id {IN})"  # noqa: S608 (the ends are the elements' keys)
    assert shown.text == f"r.status {IN} AND r.src NOT IN {keys} AND r.dst NOT IN {keys}"
    assert shown.params == ('["active"]', '["a","b"]', '["a","b"]')


def test_relation_ends_need_no_condition_when_nothing_is_hidden() -> None:
    assert _visible(EVERYTHING).relations("r", frozenset()) == _visible(EVERYTHING).rows("r")


def test_relation_ends_looked_up_use_aliases_of_their_own() -> None:
    shown = _visible(RETIRED_ONLY).relations("r", None)
    assert shown.text == (
        "r.status IN (SELECT value FROM json_each(?)) "
        "AND EXISTS (SELECT 1 FROM element r_src WHERE r_src.key = r.src "
        "AND r_src.status IN (SELECT value FROM json_each(?))) "
        "AND EXISTS (SELECT 1 FROM element r_dst WHERE r_dst.key = r.dst "
        "AND r_dst.status IN (SELECT value FROM json_each(?)))"
    )
    assert shown.params == ('["retired"]',) * 3


def test_hidden_among_the_rows_that_are_not_active() -> None:
    rows = {"x": Status.RETIRED, "y": Status.RETIRED}
    assert _visible(CURRENT).hidden_among(rows) == {"x", "y"}
    assert _visible(EVERYTHING).hidden_among(rows) == frozenset()


@pytest.mark.parametrize(
    "lens", [CURRENT, EVERYTHING, RETIRED_ONLY], ids=["current", "everything", "retired-only"]
)
def test_both_ways_of_checking_the_ends_select_the_same_relations(
    tmp_path: Path, lens: Lens
) -> None:
    statuses = {"a": Status.ACTIVE, "b": Status.RETIRED, "c": Status.ACTIVE, "d": Status.RETIRED}
    store = SQLiteStore(tmp_path / "repository.db")
    store.upsert_elements(
        [Element(ElementId(i), "Application", i.upper(), status=st) for i, st in statuses.items()]
    )
    pairs = [(s, d, st) for s in statuses for d in statuses if s != d for st in Status]
    store.upsert_relations(
        [
            Relation(ElementId(s), "flow", ElementId(d), id=RelationId(f"{s}{d}-{st}"), status=st)
            for s, d, st in pairs
        ]
    )
    hidden = frozenset(i for i, st in statuses.items() if st not in lens.statuses)
    expected = {
        f"{s}{d}-{st}"
        for s, d, st in pairs
        if st in lens.statuses and s not in hidden and d not in hidden
    }
    assert expected  # every lens here shows some relation

    def selected(hidden_elements: frozenset[str] | None) -> set[str]:
        shown = _visible(lens).relations("r", hidden_elements)
        sql = f"SELECT r.id FROM relation r WHERE {shown.text}"  # noqa: S608 (the fragment under test)
        rows = store._db.execute(sql, shown.params)
        return {row[0] for row in rows}

    assert selected(hidden) == expected
    assert selected(None) == expected
    assert store._hidden("element", lens) == hidden
    store.close()


def test_the_rows_kept_for_the_fast_path_are_read_from_their_partial_index(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "repository.db")
    for table in ("element", "relation"):
        plan = store._db.execute(
            f"EXPLAIN QUERY PLAN SELECT {_ID[table].format(table)}, status FROM {table} "  # noqa: S608
            f"WHERE {_Visible.KEPT}"
        ).fetchall()
        # (a relation's ends' ids are then read by their keys)
        assert [row[3] for row in plan if str(row[3]).startswith(f"SCAN {table}")] == [
            f"SCAN {table} USING COVERING INDEX {table}_inactive"
        ]
        assert not [row for row in plan if str(row[3]).startswith("SCAN") and table not in row[3]]
    store.close()


def test_a_date_adds_the_span_of_the_row_bound_as_parameters() -> None:
    shown = _visible(CURRENT.on("2026-05-01")).rows("e")
    assert shown.text == (
        f"e.status {IN} AND (e.since IS NULL OR e.since <= ?) AND (e.until IS NULL OR e.until > ?)"
    )
    assert shown.params == ('["active"]', "2026-05-01", "2026-05-01")
    assert _visible(CURRENT.on("2026-05-01")).few_hidden


# id -> (since, until) as the lifecycle dates give them; the days asked about below
DATED = {
    "old": {"lifecycle_phase_in": "2020-01-01", "lifecycle_end_of_life": "2024-01-01"},
    "new": {"lifecycle_phase_in": "2026-01-01"},
    "plan": {"lifecycle_plan": "2025-01-01"},
    "always": {},
    "gone": {"lifecycle_end_of_life": "2025-06-01"},
}


@pytest.mark.parametrize("day", ["2019-01-01", "2024-01-01", "2025-06-01", "2026-01-01"])
@pytest.mark.parametrize("few", [True, False], ids=["hidden-ids", "ends-looked-up"])
def test_with_a_date_both_ways_of_checking_the_ends_select_the_same_relations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, day: str, few: bool
) -> None:
    from ea_repo import timeline

    if not few:  # as when a day hides more elements than the fast path takes
        monkeypatch.setattr("ea_repo.store.sqlite.FEW_HIDDEN", 0)
    store = SQLiteStore(tmp_path / "repository.db")
    store.upsert_elements(
        [Element(ElementId(i), "Application", i, attrs) for i, attrs in DATED.items()]
    )
    pairs = [(s, d, r) for s in DATED for d in DATED if s != d for r in ("old", "always")]
    store.upsert_relations(
        [
            Relation(ElementId(s), "flow", ElementId(d), DATED[r], id=RelationId(f"{s}-{d}-{r}"))
            for s, d, r in pairs
        ]
    )
    lens = CURRENT.on(day)
    shown = {i for i, attrs in DATED.items() if timeline.shown_at(attrs, day)}
    expected = {f"{s}-{d}-{r}" for s, d, r in pairs if {s, d} <= shown and r in shown}
    assert {r.id for r in store.iter_relations(lens)} == expected
    assert sum(store.counts(lens).relations.values()) == len(expected)
    assert store._hidden("element", lens) == set(DATED) - shown
    assert {e.id for e in store.iter_elements(lens)} == shown
    store.close()


def test_the_rows_a_date_hides_are_read_from_their_partial_indexes(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "repository.db")
    for table in ("element", "relation"):
        plan = store._db.execute(
            f"EXPLAIN QUERY PLAN {_Visible.DATED_HIDDEN.format(table=table, id=_ID[table].format(table))}",
            ("2026-01-01",),
        ).fetchall()
        searches = [row[3] for row in plan if str(row[3]).startswith(f"SEARCH {table} ")]
        assert searches == [
            f"SEARCH {table} USING COVERING INDEX {table}_since (since>?)",
            f"SEARCH {table} USING COVERING INDEX {table}_until (until<?)",
        ]
    store.close()
