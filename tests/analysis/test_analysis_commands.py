"""How the analysis commands call the library: what they compute for each output format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ea_repo.analysis.impact as impact_module


@pytest.mark.parametrize(("fmt", "paths"), [("json", True), ("table", True), ("dot", False)])
def test_paths_are_built_for_data_formats_only(
    ea, retail: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, paths: bool
) -> None:
    asked: list[Any] = []
    analyse = impact_module.analyse

    def spy(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("paths", True))
        return analyse(*args, **kwargs)

    monkeypatch.setattr(impact_module, "analyse", spy)
    result = ea("impact", "srv-esx01", "-f", fmt, "-o", tmp_path / f"out.{fmt}", "-w", retail)
    assert result.code == 0, result.err
    assert asked == [paths]
