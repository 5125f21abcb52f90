"""Graph stores: the protocol and its backends."""

from .base import Counts, GraphStore
from .sqlite import SQLiteStore

__all__ = ["Counts", "GraphStore", "SQLiteStore"]
