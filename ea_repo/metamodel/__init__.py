"""The metamodel: which element and relationship types exist, and how impact flows."""

from .loader import BUILTIN, load_metamodel, parse_metamodel
from .schema import (
    IDENTIFIER,
    LAYERS,
    AttributeSpec,
    AttrType,
    Dependent,
    ElementType,
    Lifecycle,
    Metamodel,
    RelationType,
)

__all__ = [
    "BUILTIN",
    "IDENTIFIER",
    "LAYERS",
    "AttrType",
    "AttributeSpec",
    "Dependent",
    "ElementType",
    "Lifecycle",
    "Metamodel",
    "RelationType",
    "load_metamodel",
    "parse_metamodel",
]
