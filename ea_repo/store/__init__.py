"""Graph stores: the protocol and its backends."""

from .base import Counts, Expansion, GraphStore
from .sqlite import SQLiteStore

__all__ = ["Counts", "Expansion", "GraphStore", "SQLiteStore"]
