"""The metamodel as frozen objects, validated once at load; the rest of the code trusts them."""

from __future__ import annotations

import builtins
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..model import Direction, Step

IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

LAYERS = (
    "motivation",
    "strategy",
    "business",
    "application",
    "data",
    "technology",
    "physical",
    "implementation",
    "other",  # ArchiMate's composites that belong to no layer (Grouping)
    "operations",  # observations of the running system (incidents, alerts): never facts
)

RESERVED_ATTRIBUTES = frozenset({"id", "type", "name", "status", "src", "dst"})


class AttrType(StrEnum):
    """The value types an attribute can have."""

    STRING = "string"
    TEXT = "text"
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"
    ENUM = "enum"
    LIST = "list"
    URL = "url"
    EMAIL = "email"
    MAP = "map"  # text keys to text values: free properties, names by language


class Dependent(StrEnum):
    """Which end of a relationship depends on the other (impact flows towards it)."""

    SOURCE = "source"
    TARGET = "target"
    BOTH = "both"
    NONE = "none"


_CANONICAL: dict[AttrType, type] = {
    AttrType.STRING: str,
    AttrType.TEXT: str,
    AttrType.INT: int,
    AttrType.FLOAT: float,
    AttrType.BOOL: bool,
}
_TRUE = {"true", "yes", "y", "1", "on", "oui", "vrai"}
_FALSE = {"false", "no", "n", "0", "off", "non", "faux"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+(?:Z|[+-][0-9:]+)?)?$")


def upper_snake(name: str) -> str:
    """``runs_on`` or ``runsOn`` → ``RUNS_ON``: how a relationship type is named in Neo4j."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute of an element or relationship type."""

    name: str
    type: AttrType
    required: bool = False
    default: Any = None
    # Not enforced: an attribute a complete record should have (``ea quality`` counts it)
    recommended: bool = False
    unique: bool = False
    values: tuple[str, ...] = ()
    description: str = ""

    @property
    def canonical(self) -> builtins.type | None:
        """The Python type a value of this attribute already has in its canonical form
        (it passes through :meth:`coerce` unchanged), when one type is enough to tell."""
        return _CANONICAL.get(self.type)

    def coerce(self, value: Any) -> Any:
        """Return ``value`` in this attribute's canonical form, or raise ``ValueError``.

        Strings (from the command line or a CSV cell) are parsed; dates become
        ISO ``YYYY-MM-DD`` strings; lists become lists of strings.
        """
        t = self.type
        if t in (AttrType.STRING, AttrType.TEXT):
            if type(value) is str:  # nearly every value an import gives
                return value
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                return str(value)
            raise ValueError(f"expected text, got {_kind(value)}")
        if t is AttrType.INT:
            if isinstance(value, bool):
                raise ValueError("expected a whole number, got a boolean")
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, str):
                try:
                    return int(value.strip())
                except ValueError:
                    pass
            raise ValueError(f"expected a whole number, got {value!r}")
        if t is AttrType.FLOAT:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str):
                try:
                    return float(value.strip())
                except ValueError:
                    pass
            raise ValueError(f"expected a number, got {value!r}")
        if t is AttrType.BOOL:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                return value.strip().lower() in _TRUE
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise ValueError(f"expected true or false, got {value!r}")
        if t is AttrType.DATE:
            if isinstance(value, dt.datetime):
                return value.date().isoformat()
            if isinstance(value, dt.date):
                return value.isoformat()
            if isinstance(value, str):
                m = _DATE.match(value.strip())
                if m:
                    try:
                        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
                    except ValueError as exc:
                        raise ValueError(f"{value!r} is not a real date") from exc
            raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
        if t is AttrType.ENUM:
            text = str(value).strip() if not isinstance(value, bool) else str(value).lower()
            if text in self.values:
                return text
            folded = {v.lower(): v for v in self.values}
            if text.lower() in folded:
                return folded[text.lower()]
            raise ValueError(f"{value!r} is not one of {', '.join(self.values)}")
        if t is AttrType.LIST:
            if isinstance(value, str):
                return [part.strip() for part in value.split(",") if part.strip()]
            if isinstance(value, list | tuple):
                return [str(v) for v in value]
            raise ValueError(f"expected a list, got {_kind(value)}")
        if t is AttrType.MAP:
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    raise ValueError(
                        'expected a mapping, e.g. {"Cost centre": "CC-12"}, got text'
                    ) from None
            if isinstance(value, Mapping):
                return {str(k): _map_value(v) for k, v in value.items()}
            raise ValueError(f"expected a mapping, got {_kind(value)}")
        if t is AttrType.URL:
            if isinstance(value, str) and _URL.match(value.strip()):
                return value.strip()
            raise ValueError(f"expected a URL such as https://example.org/x, got {value!r}")
        if t is AttrType.EMAIL:
            if isinstance(value, str) and _EMAIL.match(value.strip()):
                return value.strip()
            raise ValueError(f"expected an e-mail address, got {value!r}")
        raise AssertionError(f"unhandled attribute type {t}")  # pragma: no cover


def _map_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise ValueError(f"map values are text, got {_kind(value)}")


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


@dataclass(frozen=True)
class ElementType:
    """A kind of element, with its layer and attributes (inherited ones included)."""

    name: str
    layer: str
    description: str = ""
    attributes: Mapping[str, AttributeSpec] = field(default_factory=dict)
    extends: str | None = None
    abstract: bool = False


@dataclass(frozen=True)
class RelationType:
    """A kind of relationship: which types it links and which end depends on the other."""

    name: str
    sources: frozenset[str]  # element type names, already expanded to subtypes
    targets: frozenset[str]
    dependent: Dependent
    redundant: bool = False
    degrades: bool = False  # impact: degraded — the dependent loses something but keeps running
    hosting: bool = False  # the dependent end stands on the other: it is where the dependent is
    description: str = ""
    label: str = ""
    reverse_label: str = ""
    attributes: Mapping[str, AttributeSpec] = field(default_factory=dict)

    @property
    def neo4j_type(self) -> str:
        """The Neo4j relationship type: the name in UPPER_SNAKE case."""
        return upper_snake(self.name)


@dataclass(frozen=True)
class Lifecycle:
    """Which date attributes carry a technology's end of support and end of life."""

    end_of_support: tuple[str, ...] = ()
    end_of_life: tuple[str, ...] = ()


@dataclass(frozen=True)
class Metamodel:
    """The schema of a repository: element types, relationship types, lifecycle."""

    name: str
    version: str
    element_types: Mapping[str, ElementType]
    relation_types: Mapping[str, RelationType]
    lifecycle: Lifecycle = Lifecycle()
    source: str = "<builtin>"

    def element_type(self, name: str) -> ElementType | None:
        """The element type called ``name`` (exact, then case-insensitive), else None."""
        found = self.element_types.get(name)
        if found is None:
            folded = {k.lower(): v for k, v in self.element_types.items()}
            found = folded.get(name.lower())
        return found

    def relation_type(self, name: str) -> RelationType | None:
        """The relationship type called ``name`` (exact, then case-insensitive), else None."""
        found = self.relation_types.get(name)
        if found is None:
            folded = {k.lower(): v for k, v in self.relation_types.items()}
            found = folded.get(name.lower())
        return found

    def types_in_layer(self, layer: str) -> list[str]:
        """Names of the element types in ``layer``."""
        return sorted(n for n, t in self.element_types.items() if t.layer == layer)

    def is_a(self, type_name: str, ancestor: str) -> bool:
        """Whether ``type_name`` is ``ancestor`` or extends it, directly or not."""
        current: str | None = type_name
        while current is not None:
            if current == ancestor:
                return True
            et = self.element_types.get(current)
            current = et.extends if et else None
        return False

    def impact_steps(self, relation_types: Iterable[str] | None = None) -> tuple[Step, ...]:
        """The steps that lead from a dependency to its dependents.

        A relationship whose ``dependent`` is its source is followed backwards
        (from target to source), one whose dependent is its target forwards.
        """
        return self._steps(relation_types, reverse=False)

    def dependency_steps(self, relation_types: Iterable[str] | None = None) -> tuple[Step, ...]:
        """The steps that lead from a dependent to what it depends on."""
        return self._steps(relation_types, reverse=True)

    @property
    def hosting_types(self) -> tuple[str, ...]:
        """The relationship types marked ``hosting: true``, by name: their dependent end
        stands on the other (runs on it, is hosted on it, located in it)."""
        return tuple(sorted(n for n, rt in self.relation_types.items() if rt.hosting))

    def _steps(self, names: Iterable[str] | None, *, reverse: bool) -> tuple[Step, ...]:
        wanted = set(names) if names is not None else None
        steps: list[Step] = []
        for rt in sorted(self.relation_types.values(), key=lambda r: r.name):
            if wanted is not None and rt.name not in wanted:
                continue
            directions: list[Direction] = []
            if rt.dependent in (Dependent.TARGET, Dependent.BOTH):
                directions.append(Direction.IN if reverse else Direction.OUT)
            if rt.dependent in (Dependent.SOURCE, Dependent.BOTH):
                directions.append(Direction.OUT if reverse else Direction.IN)
            steps.extend(Step(rt.name, d) for d in directions)
        return tuple(steps)
