"""Sources declared in ea.yaml and given to `ea import`: checked before anything is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from ea_repo.config import init_workspace, load_workspace
from ea_repo.errors import WorkspaceError
from ea_repo.sources import make_spec, parse_ratio, source_specs


@pytest.mark.parametrize(
    ("value", "ratio"),
    [("20%", 0.2), ("100%", 1.0), ("0%", 0.0), ("0.2", 0.2), (0.2, 0.2), (1, 1.0), ("20", 0.2)],
)
def test_ratios(value: object, ratio: float) -> None:
    assert parse_ratio(value) == pytest.approx(ratio)


@pytest.mark.parametrize("value", ["150%", "101%", "-5%", "150", "lots"])
def test_ratios_out_of_range_or_unreadable_are_refused(value: str) -> None:
    # "150%" was read as 1.5% (divided by 100 twice).
    with pytest.raises(WorkspaceError):
        parse_ratio(value)


def _specs(tmp_path: Path, sources: str) -> list[object]:
    root = init_workspace(tmp_path / "ws")
    config = root / "ea.yaml"
    config.write_text(config.read_text().replace("sources: {}\n", sources))
    return list(source_specs(load_workspace(root, env={})))


def test_columns_that_are_not_a_mapping_are_refused_at_their_line(tmp_path: Path) -> None:
    sources = "sources:\n  flows:\n    importer: flows\n    files: [a.csv]\n    columns: [a, b]\n"
    with pytest.raises(WorkspaceError) as err:
        _specs(tmp_path, sources)
    lines = (tmp_path / "ws" / "ea.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "columns:" in text)
    assert f"ea.yaml:{line}: source 'flows': columns must be a mapping" in str(err.value)


def test_a_cmdb_source_of_three_files_is_refused_before_any_sync(tmp_path: Path) -> None:
    sources = (
        "sources:\n  cmdb:\n    importer: cmdb\n    preset: servicenow\n"
        "    files: [a.csv, b.csv, c.csv]\n"
    )
    with pytest.raises(WorkspaceError) as err:
        _specs(tmp_path, sources)
    assert "a cmdb source reads a CI export and a relationship export" in str(err.value)
    with pytest.raises(WorkspaceError):
        make_spec("x", "cmdb", ["a", "b", "c"], preset="servicenow")


@pytest.mark.parametrize(
    ("importer", "message"), [("", "no importer"), ("importer: cdmb\n    ", "unknown importer")]
)
def test_the_importer_is_checked_once(tmp_path: Path, importer: str, message: str) -> None:
    with pytest.raises(WorkspaceError) as err:
        _specs(tmp_path, f"sources:\n  s:\n    {importer}files: [a.csv]\n")
    assert f"source 's': {message}" in str(err.value)
    assert "importers: cmdb, flows, eol, archimate" in str(err.value.hint)


def test_a_source_named_manual_is_refused_before_it_retires_the_hand_made_edits(
    tmp_path: Path,
) -> None:
    # A full run of a source called "manual" retired what `ea add` had made (within max_missing).
    sources = (
        "sources:\n  manual:\n    importer: cmdb\n    preset: servicenow\n    files: [a.csv]\n"
    )
    with pytest.raises(WorkspaceError) as err:
        _specs(tmp_path, sources)
    lines = (tmp_path / "ws" / "ea.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text == "  manual:")
    assert f"ea.yaml:{line}: source 'manual': the source name 'manual' is reserved" in str(
        err.value
    )
    assert [s.name for s in _specs(tmp_path / "2", sources.replace("manual:", "cmdb:"))] == ["cmdb"]
