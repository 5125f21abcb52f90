"""The JSON Schema of each kind of result: the document ``-f json`` prints, a study offers
and a web API serves (:func:`~ea_repo.analysis.present.present`'s ``data``).

Kept in the package beside the code that writes the documents, so that a consumer (a
pipeline, the web explorer's clients) can check what it reads, and the tests hold the
writers to it. One file, ``results.schema.json`` (JSON Schema 2020-12), holds a definition
per kind under ``$defs`` and the parts they share (a path step, an id list).

>>> schema("impact")["$ref"]
'#/$defs/impact'
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

KINDS = ("impact", "decommission", "flows", "waves", "diagnose", "obsolescence", "health")
"""The kinds of result a schema describes; ``dependencies`` is an ``impact``."""


@cache
def _document() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("results.schema.json").read_text("utf-8")
    found: dict[str, Any] = json.loads(text)
    return found


def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of the result of ``kind`` (one of :data:`KINDS`, or ``dependencies``),
    self-contained: every shared definition comes with it. Raises KeyError for another kind."""
    document = _document()
    name = "impact" if kind == "dependencies" else kind
    if name not in KINDS:
        raise KeyError(kind)
    return {
        "$schema": document["$schema"],
        "$id": f"{document['$id']}:{name}",
        "title": f"{document['title']}: {name}",
        "$defs": document["$defs"],
        "$ref": f"#/$defs/{name}",
    }
