"""Copying a repository between stores (store/copy.py), here between SQLite files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ea_repo.errors import ConflictError, StoreError, ValidationError
from ea_repo.model import Element, ElementId, Relation
from ea_repo.store.copy import copy_repository, is_empty
from ea_repo.store.sqlite import SQLiteStore


def test_types_the_target_cannot_hold_are_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    source, target = SQLiteStore(tmp_path / "a.db"), SQLiteStore(tmp_path / "b.db")
    try:
        run = source.start_run("cmdb")
        source.upsert_elements(
            [Element(ElementId("a"), "Application", "A"), Element(ElementId("m"), "Mainframe", "M")]
        )
        source.upsert_relations([Relation(ElementId("a"), "runs_on", ElementId("m"))])
        source.finish_run(run.id, "succeeded")
        with pytest.raises(
            ValidationError, match="elements of types the metamodel lacks: Mainframe"
        ):
            copy_repository(source, target, types=(["Application"], ["runs_on"]))
        with pytest.raises(
            ValidationError, match="relations of types the metamodel lacks: runs_on"
        ):
            copy_repository(source, target, types=(["Application", "Mainframe"], ["flow"]))
        assert is_empty(target)
        report = copy_repository(source, target, types=(["Application", "Mainframe"], ["runs_on"]))
        assert report.ok and report.source["elements"] == 2
    finally:
        source.close()
        target.close()


def test_a_copy_failing_part_way_says_what_it_left_and_replace_starts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = SQLiteStore(tmp_path / "a.db"), SQLiteStore(tmp_path / "b.db")
    try:
        source.upsert_elements([Element(ElementId(i), "Application", i) for i in ("a", "b")])
        source.upsert_relations([Relation(ElementId("a"), "uses", ElementId("b"))])

        def full_disk(relations: object) -> int:
            raise StoreError("database or disk is full")

        monkeypatch.setattr(target, "upsert_relations", full_disk)
        with pytest.raises(StoreError) as err:
            copy_repository(source, target)
        assert err.value.hint == (
            "the target holds part of the copy: run the copy again with --replace"
        )
        assert not is_empty(target)  # the elements were written
        monkeypatch.undo()
        with pytest.raises(ConflictError, match="not empty"):
            copy_repository(source, target)
        report = copy_repository(source, target, replace=True)
        assert report.ok and report.target["relations"] == 1
    finally:
        source.close()
        target.close()
