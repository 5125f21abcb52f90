"""ea-repo: an enterprise-architecture repository with an impact-analysis engine.

The library API is the product; the ``ea`` command is a thin skin over it.

The names below are imported on first use (PEP 562), not with the package: a command that
answers a small question (``ea show``) loads only the modules it needs, and ``import
ea_repo.cli`` does not pay for the store, the sync engine or the metamodel loader up front.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names as type checkers see them (``X as X``: re-exported)
    from .config import Workspace as Workspace
    from .config import load_workspace as load_workspace
    from .errors import EaError as EaError
    from .metamodel import Metamodel as Metamodel
    from .metamodel import load_metamodel as load_metamodel
    from .model import CURRENT as CURRENT
    from .model import EVERYTHING as EVERYTHING
    from .model import Element as Element
    from .model import Lens as Lens
    from .model import Relation as Relation
    from .model import Status as Status
    from .repository import Repository as Repository
    from .store import GraphStore as GraphStore
    from .store import SQLiteStore as SQLiteStore

__version__ = "0.1.0"

_EXPORTS = {
    "CURRENT": "model",
    "EVERYTHING": "model",
    "EaError": "errors",
    "Element": "model",
    "GraphStore": "store",
    "Lens": "model",
    "Metamodel": "metamodel",
    "Relation": "model",
    "Repository": "repository",
    "SQLiteStore": "store",
    "Status": "model",
    "Workspace": "config",
    "load_metamodel": "metamodel",
    "load_workspace": "config",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    """The public name ``name``, imported from its module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ea_repo' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next look-up finds it without this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
