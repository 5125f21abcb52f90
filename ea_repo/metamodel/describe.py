"""The metamodel described for people and tools (``ea metamodel show``): the types it
declares, or one element or relationship type in detail, as tables and a JSON document.

>>> # describe(load_metamodel(), "Application").to_data()["layer"]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..results import Table
from .schema import AttributeSpec, Dependent, ElementType, Metamodel, RelationType
from .validate import resolve_element_type

ATTRIBUTE_COLUMNS = (
    "attribute",
    "type",
    "required",
    "recommended",
    "default",
    "unique",
    "values",
    "description",
)


def _attribute_rows(attributes: Mapping[str, AttributeSpec]) -> list[list[Any]]:
    return [
        [
            a.name,
            a.type.value,
            a.required,
            a.recommended,
            a.default,
            a.unique,
            list(a.values),
            a.description,
        ]
        for a in attributes.values()
    ]


def _attributes_data(attributes: Mapping[str, AttributeSpec]) -> list[dict[str, Any]]:
    return [dict(zip(ATTRIBUTE_COLUMNS, r, strict=True)) for r in _attribute_rows(attributes)]


def impact_kind(rt: RelationType) -> str | None:
    """What a relationship type leaves its dependent in: down, degraded, or None (not followed)."""
    if rt.dependent is Dependent.NONE:
        return None
    return "degraded" if rt.degrades else "down"


@dataclass(frozen=True)
class MetamodelSummary:
    """Every element and relationship type of a metamodel."""

    metamodel: Metamodel

    def to_tables(self) -> list[Table]:
        mm = self.metamodel
        return [
            Table(
                f"element types ({mm.name} {mm.version})",
                ["type", "layer", "extends", "attributes", "description"],
                [
                    [t.name, t.layer, t.extends, len(t.attributes), t.description]
                    for t in sorted(mm.element_types.values(), key=lambda t: (t.layer, t.name))
                ],
            ),
            Table(
                "relationship types",
                ["type", "dependent", "redundant", "impact", "label", "description"],
                [
                    [r.name, r.dependent.value, r.redundant, impact_kind(r), r.label, r.description]
                    for r in sorted(mm.relation_types.values(), key=lambda r: r.name)
                ],
            ),
        ]

    def to_data(self) -> dict[str, Any]:
        mm = self.metamodel
        return {
            "name": mm.name,
            "version": mm.version,
            "element_types": {
                t.name: {"layer": t.layer, "extends": t.extends} for t in mm.element_types.values()
            },
            "relationship_types": {
                r.name: {
                    "dependent": r.dependent.value,
                    "redundant": r.redundant,
                    "impact": impact_kind(r),
                    "from": sorted(r.sources),
                    "to": sorted(r.targets),
                }
                for r in mm.relation_types.values()
            },
        }

    def notes(self) -> list[str]:
        return []


@dataclass(frozen=True)
class RelationTypeDetail:
    """One relationship type: what it means for impact, its ends, its attributes."""

    type: RelationType

    def to_tables(self) -> list[Table]:
        rt = self.type
        return [
            Table(
                f"relationship type {rt.name}",
                ["field", "value"],
                [
                    ["description", rt.description],
                    ["dependent", rt.dependent.value],
                    ["redundant", rt.redundant],
                    ["impact", impact_kind(rt)],
                    ["hosting", rt.hosting],
                    ["label", f"{rt.label} / {rt.reverse_label}"],
                    ["from", sorted(rt.sources)],
                    ["to", sorted(rt.targets)],
                ],
            ),
            Table("attributes", list(ATTRIBUTE_COLUMNS), _attribute_rows(rt.attributes)),
        ]

    def to_data(self) -> dict[str, Any]:
        rt = self.type
        return {
            "name": rt.name,
            "dependent": rt.dependent.value,
            "redundant": rt.redundant,
            "impact": impact_kind(rt),
            "hosting": rt.hosting,
            "from": sorted(rt.sources),
            "to": sorted(rt.targets),
            "attributes": _attributes_data(rt.attributes),
        }

    def notes(self) -> list[str]:
        return []


@dataclass(frozen=True)
class ElementTypeDetail:
    """One element type: its layer, attributes, and the relationships it may take part in."""

    metamodel: Metamodel
    type: ElementType

    def _relationships(self) -> tuple[list[list[Any]], list[list[Any]]]:
        rels = self.metamodel.relation_types.values()
        name = self.type.name
        outgoing = sorted([r.label, r.name, sorted(r.targets)] for r in rels if name in r.sources)
        incoming = sorted(
            [r.reverse_label, r.name, sorted(r.sources)] for r in rels if name in r.targets
        )
        return outgoing, incoming

    def to_tables(self) -> list[Table]:
        et = self.type
        outgoing, incoming = self._relationships()
        return [
            Table(
                f"element type {et.name}",
                ["field", "value"],
                [
                    ["layer", et.layer],
                    ["extends", et.extends],
                    ["abstract", et.abstract],
                    ["description", et.description],
                ],
            ),
            Table("attributes", list(ATTRIBUTE_COLUMNS), _attribute_rows(et.attributes)),
            Table(
                "relationships",
                ["direction", "reads", "type", "other end"],
                [["out", *row] for row in outgoing] + [["in", *row] for row in incoming],
            ),
        ]

    def to_data(self) -> dict[str, Any]:
        et = self.type
        outgoing, incoming = self._relationships()
        return {
            "name": et.name,
            "layer": et.layer,
            "extends": et.extends,
            "attributes": _attributes_data(et.attributes),
            "outgoing": [r[1] for r in outgoing],
            "incoming": [r[1] for r in incoming],
        }

    def notes(self) -> list[str]:
        return []


def describe(
    metamodel: Metamodel, type_name: str | None = None
) -> MetamodelSummary | RelationTypeDetail | ElementTypeDetail:
    """The metamodel's types, or the one called ``type_name`` (an element type first, a
    relationship type if no element type has that name). Raises NotFoundError for an
    unknown type, naming the near ones."""
    if type_name is None:
        return MetamodelSummary(metamodel)
    rt = metamodel.relation_type(type_name)
    if rt is not None and metamodel.element_type(type_name) is None:
        return RelationTypeDetail(rt)
    return ElementTypeDetail(metamodel, resolve_element_type(metamodel, type_name))
