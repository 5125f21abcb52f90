"""Copying a repository between stores (store/copy.py), here between SQLite files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ea_repo.errors import ValidationError
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
