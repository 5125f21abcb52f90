"""Fixtures shared by the importer tests."""

from __future__ import annotations

import pytest

from ea_repo.metamodel import Metamodel, load_metamodel


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    """The built-in metamodel, loaded once per module."""
    return load_metamodel()
