"""Importers: one module per source format, each turning files into an ImportBatch."""

from .base import ImportBatch

__all__ = ["ImportBatch"]
