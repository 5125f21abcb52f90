"""Technology lifecycle data in the endoflife.date formats, and matching CMDB software to it.

* :mod:`.catalog` — products and release cycles with their support dates:
  the snapshot shipped with ea-repo (:func:`load_builtin_catalog`), snapshot
  files and endoflife.date API files (:func:`load_catalog`);
* :mod:`.matching` — which release a CMDB's product/version text designates
  (:func:`match`), through an alias table (``aliases.yaml``) a workspace may
  extend (:func:`load_aliases`).

The eol importer (:mod:`ea_repo.importers.eol`) turns matches into records.
"""

from .catalog import (
    ENDED,
    Catalog,
    Ended,
    PhaseEnd,
    Product,
    Release,
    load_builtin_catalog,
    load_catalog,
)
from .matching import AliasTable, Match, Matcher, Unmatched, builtin_aliases, load_aliases, match

__all__ = [
    "ENDED",
    "AliasTable",
    "Catalog",
    "Ended",
    "Match",
    "Matcher",
    "PhaseEnd",
    "Product",
    "Release",
    "Unmatched",
    "builtin_aliases",
    "load_aliases",
    "load_builtin_catalog",
    "load_catalog",
    "match",
]
