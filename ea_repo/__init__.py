"""ea-repo: an enterprise-architecture repository with an impact-analysis engine.

The library API is the product; the ``ea`` command is a thin skin over it.
"""

from .config import Workspace, load_workspace
from .errors import EaError
from .metamodel import Metamodel, load_metamodel
from .model import CURRENT, EVERYTHING, Element, Lens, Relation, Status
from .repository import Repository
from .store import GraphStore, SQLiteStore

__version__ = "0.1.0"

__all__ = [
    "CURRENT",
    "EVERYTHING",
    "EaError",
    "Element",
    "GraphStore",
    "Lens",
    "Metamodel",
    "Relation",
    "Repository",
    "SQLiteStore",
    "Status",
    "Workspace",
    "__version__",
    "load_metamodel",
    "load_workspace",
]
