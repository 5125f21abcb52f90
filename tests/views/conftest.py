from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def retail(tmp_path: Path) -> Path:
    """A workspace holding the small retail landscape of tests/landscape.py (one per test: some
    tests add views or elements)."""
    from tests.landscape import build

    return build(tmp_path / "retail")
