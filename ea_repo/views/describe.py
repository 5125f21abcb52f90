"""The views as results: the list of them (``ea view list``) and what one selects, groups and
lays out (``ea view show``), each with its tables, its JSON document and its notes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..results import Table
from .spec import ViewSpec

LIST_COLUMNS = ("name", "from", "analysis", "title", "description")


@dataclass(frozen=True)
class ViewList:
    """Views by name: the built-in ones and a workspace's own."""

    views: Mapping[str, ViewSpec]

    def _rows(self) -> list[list[Any]]:
        return [
            [
                v.name,
                "built-in" if v.builtin else v.origin,
                v.analysis or "",
                v.title,
                v.description,
            ]
            for v in self.views.values()
        ]

    def to_tables(self) -> list[Table]:
        return [Table("views", list(LIST_COLUMNS), self._rows())]

    def to_data(self) -> list[dict[str, Any]]:
        return [dict(zip(LIST_COLUMNS, r, strict=True)) for r in self._rows()]

    def notes(self) -> list[str]:
        return []


@dataclass(frozen=True)
class ViewDetail:
    """One view spec: what it selects, how it groups and lays out, its size limit."""

    spec: ViewSpec

    def _fields(self) -> list[list[str]]:
        spec = self.spec
        return [
            ["name", spec.name],
            ["title", spec.title],
            ["description", spec.description],
            ["from", "built-in" if spec.builtin else spec.origin],
            ["select", spec.select.to_text() if spec.select else "(given by --select)"],
            ["analysis", spec.analysis or ""],
            ["relations", "all" if spec.relations is None else ", ".join(spec.relations) or "none"],
            ["group", "; ".join(r.to_text() for r in spec.group)],
            ["layout", f"{spec.engine} {spec.direction}"],
            ["colour by", spec.color_by],
            ["labels", ", ".join(spec.labels)],
            ["edge labels", ", ".join(spec.edge_labels)],
            ["limit", f"{spec.limit} elements, {spec.edge_limit or 3 * spec.limit} links"],
            ["options", ", ".join(f"{k}={v}" for k, v in spec.options.items())],
        ]

    def to_tables(self) -> list[Table]:
        return [Table(f"view {self.spec.name}", ["field", "value"], self._fields())]

    def to_data(self) -> dict[str, str]:
        return dict(self._fields())

    def notes(self) -> list[str]:
        return []
