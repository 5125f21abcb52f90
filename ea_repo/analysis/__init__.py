"""Analyses: the traversal engine and one module per question architects ask."""

from .traversal import Reached, State, Traversal, Way, traverse

__all__ = ["Reached", "State", "Traversal", "Way", "traverse"]
