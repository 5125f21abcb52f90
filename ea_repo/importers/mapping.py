"""The mapping file of a CMDB import: which columns become which elements and relations.

A mapping is YAML, checked once at load against the metamodel, every mistake
reported as ``file:line: problem — hint``; the importer then trusts it. Its
shape (the ServiceNow and iTop presets in ``presets/`` are complete examples)::

    id_prefix: ""                 # put before every id taken from the source ("itop-")
    dayfirst: false               # 03/04/2024 is 3 April when true (date, datetime transforms)
    timezone: UTC                 # the zone of times written without one (datetime transform)
    decimal_comma: false          # "1,5" is 1.5 and "1.234" is 1234 when true (number)
    short_rows: error             # pad: the CSV export leaves trailing empty cells out
    elements:
      key: sys_id                 # column(s) holding the element id
      key_fallback: [name, "@type", serial_number]   # when the key cell is empty or absent
      name: name
      type:                       # or a constant type: `type: Server`
        column: [sys_class_name, class]
        map:
          cmdb_ci_linux_server: Server
          Computer: {type: Device, set: {device_kind: workstation}}
          IP Address: null        # rows of this class are ignored (counted)
      skip_unmapped: false        # true: rows of unmapped classes are skipped and counted
      on_duplicate: error         # rows that share a key but differ: error | first | last | merge
      skip_when: {install_status: [Retired, Absent]}
      attributes:
        hostname: fqdn
        cpu_count: {column: cpu_count, transform: number}
        memory_gb: {column: ram, transform: number, divide_by: 1024}
        environment: {column: used_for, map: {Production: production, "*": null}}
      links:                      # an external-key column on a CI row that is a relation
        - {type: hosted_on, id: virtualhost_id, name: virtualhost_name, ignore: ["0"]}
    relations:                    # one spec, or a list (the first whose columns are present)
      parent: parent
      child: child
      parent_id: parent.sys_id    # ids win over names when present and not empty
      child_id: child.sys_id
      refs: name                  # name | id: how `parent`/`child` refer to elements
      child_class: child.sys_class_name   # optional: through elements.type.map, narrows a name
      type:                       # or a constant: `type: depends_on` / `type: [runs_on, depends_on]`
        column: type
        map:
          "Runs on::Runs": runs_on
          "Members::Member of": {type: member_of, reverse: true}
          "Contains::Contained by": [{type: located_in, reverse: true}, composed_of]
      skip_unmapped: false
      ignore: ["0"]               # cell values that mean "no element" (iTop's empty keys)

Rules shared by every part:

* a *column* is a name or a list of names; a row's value is the first
  non-empty cell among those the file has. Names match exactly, else
  ignoring case, spaces, ``_``, ``.`` and ``-`` (``serial_number`` reads the
  Excel label ``Serial number``).
* a *map* matches exactly, else ignoring case and surrounding spaces; the
  key ``"*"`` catches every other value; a value mapped to ``null`` is dropped
  (an attribute left unset, a row ignored).
* a relationship entry listing several types, from the most specific to the
  most generic, takes the first that the metamodel allows between the two
  ends when the importer knows their types, else the last one.
* rows that give the same element as an earlier row (same key, type, name,
  attributes and links) are kept once and counted. Rows that share a key but
  differ follow ``on_duplicate``: ``error`` (a problem naming both rows),
  ``first`` or ``last`` (the first or last such row in the file wins),
  ``merge`` (one element: for the name, the type and each attribute, the
  value most of the rows give, ties going to the value that sorts first,
  empty cells not counting; links of every row). ``merge`` does not depend
  on the order of the rows, so a re-sorted export gives the same elements;
  ``first`` and ``last`` do.
* an attribute is set only on elements whose type declares it; an empty
  cell leaves it unset. Transforms: ``number`` (``3,665``, ``1 234,5``),
  ``date`` (to ``YYYY-MM-DD``), ``datetime`` (to ISO 8601 UTC,
  ``2026-03-01T07:15:00Z``: a time written without a zone is in ``timezone``), ``bool``, ``list`` (split on ``,`` or ``;``),
  ``lower``, ``upper``, ``strip`` (collapse spaces); a list of them applies in
  order, after ``map``. A value a transform cannot read is a row problem.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import SourceError
from ..metamodel import Metamodel
from ..yamlio import Collector, LineDict, load_yaml, node_line, parse_yaml, suggest
from .tabular import SHORT_ROWS

TYPE_TOKEN = "@type"
"""In ``key_fallback``: the element type the row maps to, not a column."""

WILDCARD = "*"
"""In a map: the entry for every value not listed."""

TRANSFORMS = ("number", "date", "datetime", "bool", "list", "lower", "upper", "strip")
"""The value transforms an attribute may apply, in the order given."""

REFS = ("name", "id")

ON_DUPLICATE = ("error", "first", "last", "merge")
"""What ``on_duplicate`` may say about rows that share a key but differ."""

_ON_DUPLICATE_HINT = "error refuses them, first or last keeps one of them, merge combines them"


def check_on_duplicate(value: str) -> str:
    """``value`` if it is one of :data:`ON_DUPLICATE`; else a :class:`SourceError`."""
    if value not in ON_DUPLICATE:
        raise SourceError(
            f"on_duplicate {value!r} is not one of {', '.join(ON_DUPLICATE)}",
            hint=f"for rows of a CI export that share a key but differ: {_ON_DUPLICATE_HINT}",
        )
    return value


_TOP_KEYS = {
    "description",
    "id_prefix",
    "dayfirst",
    "timezone",
    "decimal_comma",
    "short_rows",
    "on_duplicate",
    "elements",
    "relations",
}
_ELEMENT_KEYS = {
    "key",
    "key_fallback",
    "name",
    "type",
    "skip_unmapped",
    "skip_when",
    "attributes",
    "links",
    "on_duplicate",
}
_TYPE_KEYS = {"column", "columns", "map"}
_CLASS_KEYS = {"type", "set"}
_ATTRIBUTE_KEYS = {"column", "columns", "transform", "map", "divide_by"}
_LINK_KEYS = {"type", "id", "name", "ignore"}
_RELATION_KEYS = {
    "parent",
    "child",
    "parent_id",
    "child_id",
    "parent_class",
    "child_class",
    "refs",
    "type",
    "skip_unmapped",
    "ignore",
}
_TARGET_KEYS = {"type", "reverse"}

_MISSING = object()
_TRUE = {"true", "yes", "y", "1", "on", "oui", "vrai", "x"}
_FALSE = {"false", "no", "n", "0", "off", "non", "faux"}
_FOLD = re.compile(r"\s+")


def fold(value: str) -> str:
    """How map keys and cell values are compared when they differ in case or spacing."""
    return _FOLD.sub(" ", value.strip()).casefold()


# ----------------------------------------------------------------- the objects


@dataclass(frozen=True)
class ValueMap:
    """A ``map:`` of the mapping file: source values to what they become."""

    entries: Mapping[str, Any]

    @cached_property
    def _folded(self) -> dict[str, Any]:
        return {fold(k): v for k, v in self.entries.items() if k != WILDCARD}

    def lookup(self, value: str) -> tuple[bool, Any]:
        """``(True, result)`` when ``value`` is mapped (result may be None), else ``(False, None)``."""
        found = self.entries.get(value, _MISSING)
        if found is not _MISSING and value != WILDCARD:
            return True, found
        folded = self._folded
        key = fold(value)
        if key in folded:
            return True, folded[key]
        if WILDCARD in self.entries:
            return True, self.entries[WILDCARD]
        return False, None


@dataclass(frozen=True)
class ClassTarget:
    """The element type a class maps to, and attributes every such element gets."""

    type: str
    set: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TypeMapping:
    """How a row's element type is found: a class column and its map, or a constant."""

    columns: tuple[str, ...] = ()
    classes: ValueMap = ValueMap({})
    constant: ClassTarget | None = None

    def targets(self) -> list[ClassTarget]:
        """Every element type this mapping can produce."""
        found = [self.constant] if self.constant else []
        found += [t for t in self.classes.entries.values() if isinstance(t, ClassTarget)]
        return found


@dataclass(frozen=True)
class AttributeMapping:
    """One attribute: the columns it is read from and how the text is converted."""

    attribute: str
    columns: tuple[str, ...]
    transforms: tuple[str, ...] = ()
    values: ValueMap | None = None
    divide_by: float | None = None

    @cached_property
    def plain(self) -> bool:
        """Whether the cell text is the value as it is (no map, transform or division)."""
        return self.values is None and not self.transforms and self.divide_by is None

    def convert(
        self,
        text: str,
        *,
        dayfirst: bool = False,
        decimal_comma: bool = False,
        timezone: dt.tzinfo = dt.UTC,
    ) -> Any:
        """The attribute value for a (non-empty) cell; None to leave it unset.

        Raises ``ValueError`` with a message naming the value when a transform
        cannot read it.
        """
        value: Any = text
        if self.values is not None:
            found, mapped = self.values.lookup(text)
            if found:
                value = mapped
        if value is None:
            return None
        for name in self.transforms:
            if isinstance(value, str):
                value = apply_transform(
                    name, value, dayfirst=dayfirst, decimal_comma=decimal_comma, timezone=timezone
                )
        if self.divide_by is not None:
            number = (
                value if isinstance(value, int | float) else parse_number(str(value), decimal_comma)
            )
            value = round(number / self.divide_by, 2)
        return value


@dataclass(frozen=True)
class Target:
    """A relationship type a row maps to; ``reverse`` swaps its ends."""

    type: str
    reverse: bool = False


@dataclass(frozen=True)
class LinkMapping:
    """A column of a CI row that names another element: a relation from this one."""

    targets: tuple[Target, ...]
    id_columns: tuple[str, ...] = ()
    name_columns: tuple[str, ...] = ()
    ignore: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ElementMapping:
    """The ``elements`` section: how a CI row becomes an element."""

    name: tuple[str, ...]
    type: TypeMapping
    key: tuple[str, ...] = ()
    key_fallback: tuple[str, ...] = ()
    skip_unmapped: bool = False
    skip_when: tuple[tuple[str, frozenset[str]], ...] = ()  # (column, folded values)
    attributes: tuple[AttributeMapping, ...] = ()
    links: tuple[LinkMapping, ...] = ()
    on_duplicate: str = "error"  # one of ON_DUPLICATE


@dataclass(frozen=True)
class RelationMapping:
    """One ``relations`` spec: how a row of a relationship export becomes a relation."""

    parent: tuple[str, ...] = ()
    child: tuple[str, ...] = ()
    parent_id: tuple[str, ...] = ()
    child_id: tuple[str, ...] = ()
    parent_class: tuple[str, ...] = ()
    child_class: tuple[str, ...] = ()
    refs: str = "name"
    type_columns: tuple[str, ...] = ()
    types: ValueMap = ValueMap({})  # value -> tuple[Target, ...] | None
    constant: tuple[Target, ...] | None = None
    skip_unmapped: bool = False
    ignore: frozenset[str] = frozenset()

    def expected_columns(self) -> str:
        """The columns this spec needs, for messages: ``parent, type, child``."""
        parts = [alternatives(self.parent_id + self.parent)]
        if self.constant is None:
            parts.append(alternatives(self.type_columns))
        parts.append(alternatives(self.child_id + self.child))
        return ", ".join(parts)


@dataclass(frozen=True)
class CmdbMapping:
    """A whole mapping file, validated against a metamodel."""

    source: str
    elements: ElementMapping | None = None
    relations: tuple[RelationMapping, ...] = ()
    id_prefix: str = ""
    dayfirst: bool = False
    decimal_comma: bool = False
    short_rows: str = "error"  # what a CSV row shorter than the header is (tabular.SHORT_ROWS)
    timezone: dt.tzinfo = dt.UTC  # of times written without a zone (datetime transform)


def alternatives(columns: Iterable[str]) -> str:
    """``'a' or 'b'``: the columns any of which a message asks for; ``(none)`` if none."""
    names = list(dict.fromkeys(columns))
    return " or ".join(repr(c) for c in names) if names else "(none)"


# ------------------------------------------------------------------ transforms


_NUMBER_SPACES = re.compile(r"[\s\u00a0\u202f']")
_COMMA_GROUPS = re.compile(r"[+-]?\d{1,3}(,\d{3})+")
_DOT_GROUPS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+")
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?")


def parse_number(text: str, decimal_comma: bool = False) -> int | float:
    """A number as exports write it: ``3,665``, ``1 234,5``, ``1.234,5``, ``16384``.

    Spaces (also non-breaking ones) and apostrophes are thousands separators.
    With one kind of separator, a comma followed by groups of three digits
    is a thousands separator (ServiceNow's ``3,665``), any other comma the
    decimal point (French ``3,5``); ``decimal_comma`` makes every comma
    decimal and every dot a thousands separator. Raises ``ValueError``.
    """
    if text.isascii() and text.isdigit():  # most numbers in an export
        return int(text)
    s = _NUMBER_SPACES.sub("", text)
    if decimal_comma:
        s = s.replace(".", "").replace(",", ".")
    elif "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):
            s = s.replace(".", "").replace(",", ".")
        else:
            s = s.replace(",", "")
    elif "," in s:
        s = s.replace(",", "") if _COMMA_GROUPS.fullmatch(s) else s.replace(",", ".")
    elif s.count(".") > 1 and _DOT_GROUPS.fullmatch(s):
        s = s.replace(".", "")
    if _INTEGER.fullmatch(s):
        return int(s)
    if _DECIMAL.fullmatch(s):
        return float(s)
    raise ValueError(f"cannot read {text!r} as a number")


_ISO = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")


def parse_date(text: str, dayfirst: bool = False) -> str:
    """A date as ``YYYY-MM-DD`` from ``2024-05-16 12:40:57``, ``2024-05-16``, ``16/05/2024``...

    ``dd/mm/yyyy`` versus ``mm/dd/yyyy`` follows ``dayfirst`` unless a part
    above 12 settles it. Raises ``ValueError``.
    """
    s = text.strip()
    m = _ISO.match(s)
    if m:
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _NUMERIC.match(s)
        if not m:
            raise ValueError(f"cannot read {text!r} as a date")
        a, b, year = int(m[1]), int(m[2]), int(m[3])
        if a > 12 or (dayfirst and b <= 12):
            day, month = a, b
        else:
            month, day = a, b
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real date") from exc


_TIME = re.compile(
    r"^(?P<date>\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4})"
    r"(?:[ T](?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<zone>Z|UTC|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def parse_datetime(text: str, dayfirst: bool = False, timezone: dt.tzinfo = dt.UTC) -> str:
    """A moment as ISO 8601 UTC, ``2026-03-01T07:15:00Z``, from ``2026-03-01 08:15:00``,
    ``2026-03-01T08:15:00+01:00``, ``01/03/2026 08:15`` (``dayfirst``) or a bare date
    (its midnight).

    A time written without a zone (ServiceNow's display values are in the exporting
    user's zone) is read in ``timezone``. Raises ``ValueError``.

    >>> import zoneinfo
    >>> parse_datetime("2026-03-01 08:15:00", timezone=zoneinfo.ZoneInfo("Europe/Paris"))
    '2026-03-01T07:15:00Z'
    """
    m = _TIME.match(text.strip())
    if not m:
        raise ValueError(f"cannot read {text!r} as a date and time")
    day = dt.date.fromisoformat(parse_date(m["date"], dayfirst))
    try:
        clock = dt.time(int(m["h"] or 0), int(m["m"] or 0), int(m["s"] or 0))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a real time of day") from exc
    zone: dt.tzinfo = timezone
    written = (m["zone"] or "").upper()
    if written in ("Z", "UTC"):
        zone = dt.UTC
    elif written:
        sign = 1 if written[0] == "+" else -1
        digits = written[1:].replace(":", "")
        zone = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    moment = dt.datetime.combine(day, clock, tzinfo=zone).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def time_zone(name: str) -> dt.tzinfo:
    """The time zone called ``name`` (an IANA name, or UTC); else a :class:`SourceError`."""
    if name == "UTC":
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SourceError(
            f"timezone {name!r} is not a time zone",
            hint="an IANA name such as Europe/Paris or America/New_York, or UTC",
        ) from None


def parse_bool(text: str) -> bool:
    """``true``/``yes``/``1``/``oui``/``x`` or ``false``/``no``/``0``/``non``. Raises ``ValueError``."""
    value = text.strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"cannot read {text!r} as true or false")


def apply_transform(
    name: str,
    text: str,
    *,
    dayfirst: bool = False,
    decimal_comma: bool = False,
    timezone: dt.tzinfo = dt.UTC,
) -> Any:
    """Apply the transform called ``name`` (one of :data:`TRANSFORMS`) to ``text``."""
    if name == "number":
        return parse_number(text, decimal_comma)
    if name == "date":
        return parse_date(text, dayfirst)
    if name == "datetime":
        return parse_datetime(text, dayfirst, timezone)
    if name == "bool":
        return parse_bool(text)
    if name == "list":
        return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]
    if name == "lower":
        return text.lower()
    if name == "upper":
        return text.upper()
    if name == "strip":
        return " ".join(text.split())
    raise AssertionError(f"unknown transform {name}")  # pragma: no cover - checked at load


# --------------------------------------------------------------------- loading


def load_mapping(path: str | Path, metamodel: Metamodel) -> CmdbMapping:
    """Load and check a mapping file.

    Raises :class:`~ea_repo.errors.SourceError` listing every problem, each
    as ``file:line: problem — hint``.
    """
    return parse_mapping(load_yaml(Path(path), SourceError), str(path), metamodel)


def mapping_from_text(text: str, filename: str, metamodel: Metamodel) -> CmdbMapping:
    """Parse and check a mapping given as YAML text (a packaged preset)."""
    return parse_mapping(parse_yaml(text, filename, SourceError), filename, metamodel)


def parse_mapping(data: Any, filename: str, metamodel: Metamodel) -> CmdbMapping:
    """Check parsed YAML (from :func:`~ea_repo.yamlio.load_yaml`) and build the mapping."""
    return _Parser(filename, metamodel).mapping(data)


class _Parser(Collector):
    """Builds a :class:`CmdbMapping`, collecting every problem before failing."""

    def __init__(self, filename: str, metamodel: Metamodel) -> None:
        super().__init__(filename)
        self.metamodel = metamodel

    # ---------------------------------------------------------------- top level

    def mapping(self, data: Any) -> CmdbMapping:
        if not isinstance(data, LineDict):
            self.add(
                "a mapping file must be a YAML mapping with `elements` and/or `relations`", None
            )
            raise self.failure()
        self.unknown_keys(data, _TOP_KEYS, "the mapping")
        if "elements" not in data and "relations" not in data:
            self.add(
                "the mapping has neither `elements` nor `relations`",
                data.line,
                "map the CI export under `elements`, the relationship export under `relations`",
            )
        prefix = data.get("id_prefix", "")
        if not isinstance(prefix, str):
            self.add(
                "id_prefix must be text", node_line(data, "id_prefix"), 'e.g. `id_prefix: "itop-"`'
            )
            prefix = ""
        elements = None
        if data.get("elements") is not None:
            elements = self.elements(data["elements"], node_line(data, "elements"))
        relations: tuple[RelationMapping, ...] = ()
        raw_rel = data.get("relations")
        if raw_rel is not None:
            specs = raw_rel if isinstance(raw_rel, list) else [raw_rel]
            if not specs:
                self.add("relations is an empty list", node_line(data, "relations"))
            built = [self.relation(spec, node_line(data, "relations"), elements) for spec in specs]
            relations = tuple(r for r in built if r is not None)
        dayfirst = self.flag(data, "dayfirst")
        timezone = self.timezone(data)
        decimal_comma = self.flag(data, "decimal_comma")
        short_rows = data.get("short_rows") or "error"
        if short_rows not in SHORT_ROWS:
            self.add(
                f"short_rows must be one of {', '.join(SHORT_ROWS)}",
                node_line(data, "short_rows"),
                "pad only for a format that leaves trailing empty cells out: "
                "a row cut short would blank the attributes it lost",
            )
        if self.problems:
            raise self.failure()
        return CmdbMapping(
            source=self.filename,
            elements=elements,
            relations=relations,
            id_prefix=prefix,
            dayfirst=dayfirst,
            decimal_comma=decimal_comma,
            short_rows=short_rows,
            timezone=timezone,
        )

    def timezone(self, data: LineDict) -> dt.tzinfo:
        """``timezone:``: an IANA zone name (Europe/Paris) or UTC, checked; UTC when absent."""
        name = data.get("timezone")
        if name is None:
            return dt.UTC
        try:
            return time_zone(str(name))
        except SourceError as exc:
            self.add(exc.message, node_line(data, "timezone"), exc.hint)
            return dt.UTC

    def failure(self) -> SourceError:
        count = len(self.problems)
        return SourceError(
            f"{self.filename}: {count} problem{'s' if count != 1 else ''} in the mapping",
            problems=self.problems,
        )

    def flag(self, node: LineDict, key: str) -> bool:
        value = node.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.add(f"{key} must be true or false", node.line_of(key))
            return False
        return value

    def columns(
        self, node: LineDict, key: str, where: str, *, required: bool = False
    ) -> tuple[str, ...]:
        """A column reference: a name or a list of names."""
        if key not in node or node[key] is None:
            if required:
                self.add(f"{where} needs `{key}`", node.line, f"the column holding the {key}")
            return ()
        raw = node[key]
        names = raw if isinstance(raw, list) else [raw]
        if not names or not all(isinstance(n, str | int) and str(n).strip() for n in names):
            self.add(
                f"{where}.{key} must be a column name or a list of them",
                node.line_of(key),
                f"e.g. `{key}: name` or `{key}: [name, Name]`",
            )
            return ()
        return tuple(str(n).strip() for n in names)

    def column_key(self, node: LineDict, where: str) -> tuple[str, ...]:
        """`column` or its synonym `columns`."""
        if "column" in node and "columns" in node:
            self.add(
                f"{where} has both `column` and `columns`", node.line_of("columns"), "keep one"
            )
        key = "columns" if "columns" in node else "column"
        return self.columns(node, key, where, required=True)

    # ----------------------------------------------------------------- elements

    def elements(self, raw: Any, line: int | None) -> ElementMapping | None:
        if not isinstance(raw, LineDict):
            self.add("elements must be a mapping", line, "with at least `key`, `name` and `type`")
            return None
        self.unknown_keys(raw, _ELEMENT_KEYS, "elements")
        key = self.columns(raw, "key", "elements")
        fallback = self.columns(raw, "key_fallback", "elements")
        if not key and not fallback:
            self.add(
                "elements needs a `key` column (or a `key_fallback` composite)",
                raw.line,
                'e.g. `key: sys_id` or `key_fallback: [name, "@type"]`',
            )
        if TYPE_TOKEN in key:
            self.add(f"{TYPE_TOKEN!r} may be used in key_fallback only", raw.line_of("key"))
        name = self.columns(raw, "name", "elements", required=True)
        type_mapping = self.type_mapping(
            raw.get("type"), raw.line_of("type") if "type" in raw else raw.line
        )
        targets = type_mapping.targets() if type_mapping else []
        attributes = self.attributes(raw.get("attributes"), node_line(raw, "attributes"), targets)
        links = self.links(raw.get("links"), node_line(raw, "links"))
        skip_when = self.skip_when(raw.get("skip_when"), node_line(raw, "skip_when"))
        on_duplicate = raw.get("on_duplicate", "error")
        if on_duplicate not in ON_DUPLICATE:
            self.add(
                f"elements.on_duplicate {on_duplicate!r} is not one of {', '.join(ON_DUPLICATE)}",
                raw.line_of("on_duplicate"),
                _ON_DUPLICATE_HINT,
            )
            on_duplicate = "error"
        if type_mapping is None:
            return None
        return ElementMapping(
            name=name,
            type=type_mapping,
            key=key,
            key_fallback=fallback,
            skip_unmapped=self.flag(raw, "skip_unmapped"),
            skip_when=skip_when,
            attributes=attributes,
            links=links,
            on_duplicate=on_duplicate,
        )

    def element_type(self, name: Any, line: int | None, where: str) -> str | None:
        if not isinstance(name, str) or not name.strip():
            self.add(f"{where} must name an element type", line)
            return None
        found = self.metamodel.element_type(name.strip())
        if found is None:
            self.add(
                f"{where}: unknown element type {name!r}",
                line,
                suggest(name, self.metamodel.element_types)
                or f"element types of {self.metamodel.name}: see `ea metamodel show`",
            )
            return None
        if found.abstract:
            self.add(
                f"{where}: element type {found.name!r} is abstract",
                line,
                "map to a concrete subtype",
            )
            return None
        return found.name

    def type_mapping(self, raw: Any, line: int | None) -> TypeMapping | None:
        if raw is None:
            self.add(
                "elements needs `type`: a constant element type, or a class column and its map",
                line,
                "e.g. `type: {column: sys_class_name, map: {cmdb_ci_linux_server: Server}}`",
            )
            return None
        if isinstance(raw, str | LineDict) and not (
            isinstance(raw, LineDict) and _TYPE_KEYS & set(raw)
        ):
            target = self.class_target(raw, line, "elements.type")
            return TypeMapping(constant=target) if target else None
        if not isinstance(raw, LineDict):
            self.add("elements.type must be an element type or a mapping", line)
            return None
        columns, classes = self.column_map(
            raw,
            "elements.type",
            self.class_target,
            "must map class values to element types",
            "e.g. `map: {cmdb_ci_linux_server: Server, Linux Server: Server}`",
        )
        return TypeMapping(columns=columns, classes=classes)

    def column_map(
        self,
        raw: LineDict,
        where: str,
        target: Callable[[Any, int | None, str], Any],
        what: str,
        example: str,
    ) -> tuple[tuple[str, ...], ValueMap]:
        """``{column: C, map: {value: target}}``: the columns and the map, each target read
        by ``target(raw, line, where)`` (None when it is wrong); a null target unmaps the value."""
        self.unknown_keys(raw, _TYPE_KEYS, where)
        columns = self.column_key(raw, where)
        raw_map = raw.get("map")
        entries: dict[str, Any] = {}
        if not isinstance(raw_map, LineDict) or not raw_map:
            self.add(f"{where}.map {what}", raw.line_of("map"), example)
        else:
            for value, spec in raw_map.items():
                if spec is None:
                    entries[value] = None
                    continue
                found = target(spec, raw_map.line_of(value), f"{where}.map[{value!r}]")
                if found:
                    entries[value] = found
        return columns, ValueMap(entries)

    def class_target(self, raw: Any, line: int | None, where: str) -> ClassTarget | None:
        if isinstance(raw, LineDict):
            self.unknown_keys(raw, _CLASS_KEYS, where)
            type_name = self.element_type(raw.get("type"), raw.line_of("type"), where)
            values = raw.get("set") or {}
            if not isinstance(values, LineDict | dict):
                self.add(f"{where}.set must map attributes to values", raw.line_of("set"))
                return None
            if type_name is None:
                return None
            constants: dict[str, Any] = {}
            et = self.metamodel.element_types[type_name]
            for attr, value in values.items():
                at = node_line(values, attr) or raw.line_of("set")
                spec = et.attributes.get(attr)
                if spec is None:
                    self.add(
                        f"{where}.set: {type_name} has no attribute {attr!r}",
                        at,
                        suggest(attr, et.attributes) or f"attributes: {', '.join(et.attributes)}",
                    )
                    continue
                try:
                    constants[attr] = spec.coerce(value)
                except ValueError as exc:
                    self.add(f"{where}.set.{attr}: {exc}", at)
            return ClassTarget(type_name, constants)
        type_name = self.element_type(raw, line, where)
        return ClassTarget(type_name) if type_name else None

    def attributes(
        self, raw: Any, line: int | None, targets: list[ClassTarget]
    ) -> tuple[AttributeMapping, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, LineDict):
            self.add("elements.attributes must map attribute names to columns", line)
            return ()
        types = {t.type for t in targets}
        declared: dict[str, list[Any]] = {}
        for type_name in sorted(types):
            for attr, spec in self.metamodel.element_types[type_name].attributes.items():
                declared.setdefault(attr, []).append(spec)
        result: list[AttributeMapping] = []
        for attr, spec in raw.items():
            at = raw.line_of(attr)
            where = f"attribute {attr!r}"
            if types and attr not in declared:
                hint = (
                    "the element name comes from elements.name"
                    if attr == "name"
                    else suggest(attr, declared) or f"mapped types: {', '.join(sorted(types))}"
                )
                self.add(f"{where} belongs to none of the mapped element types", at, hint)
                continue
            if isinstance(spec, str | list):
                node = LineDict({"column": spec})
                node.line = at
                columns = self.columns(node, "column", where)
                result.append(AttributeMapping(attr, columns))
                continue
            if not isinstance(spec, LineDict):
                self.add(
                    f"{where} must be a column name or a mapping",
                    at,
                    "e.g. `{column: ram, transform: number}`",
                )
                continue
            self.unknown_keys(spec, _ATTRIBUTE_KEYS, where)
            columns = self.column_key(spec, where)
            transforms = self.transforms(spec, where)
            values = None
            if "map" in spec:
                values = self.value_map(
                    spec["map"], spec.line_of("map"), where, declared.get(attr, [])
                )
            divide_by = None
            if "divide_by" in spec:
                d = spec["divide_by"]
                if isinstance(d, bool) or not isinstance(d, int | float) or d == 0:
                    self.add(
                        f"{where}: divide_by must be a non-zero number",
                        spec.line_of("divide_by"),
                        "e.g. 1024 for MB to GB",
                    )
                else:
                    divide_by = float(d)
            result.append(AttributeMapping(attr, columns, transforms, values, divide_by))
        return tuple(result)

    def transforms(self, spec: LineDict, where: str) -> tuple[str, ...]:
        raw = spec.get("transform")
        if raw is None:
            return ()
        names = raw if isinstance(raw, list) else [raw]
        good: list[str] = []
        for name in names:
            if name not in TRANSFORMS:
                self.add(
                    f"{where}: unknown transform {name!r}",
                    spec.line_of("transform"),
                    suggest(str(name), TRANSFORMS) or f"transforms: {', '.join(TRANSFORMS)}",
                )
            else:
                good.append(name)
        return tuple(good)

    def value_map(
        self, raw: Any, line: int | None, where: str, specs: list[Any]
    ) -> ValueMap | None:
        if not isinstance(raw, LineDict):
            self.add(
                f"{where}: map must map source values to values",
                line,
                "e.g. `map: {Production: production}`",
            )
            return None
        entries: dict[str, Any] = {}
        for source, value in raw.items():
            if value is not None and specs and not any(_coerces(s, value) for s in specs):
                allowed = next((s.values for s in specs if s.values), ())
                self.add(
                    f"{where}: map value {value!r} is not valid",
                    raw.line_of(source),
                    f"one of: {', '.join(allowed)}" if allowed else None,
                )
            entries[source] = value
        return ValueMap(entries)

    def skip_when(self, raw: Any, line: int | None) -> tuple[tuple[str, frozenset[str]], ...]:
        if raw is None:
            return ()
        if not isinstance(raw, LineDict):
            self.add(
                "elements.skip_when must map columns to lists of values",
                line,
                "e.g. `{install_status: [Retired]}`",
            )
            return ()
        result = []
        for column, values in raw.items():
            items = values if isinstance(values, list) else [values]
            if not items or not all(
                isinstance(v, str | int | float) and not isinstance(v, bool) for v in items
            ):
                self.add(
                    f"skip_when.{column} must be a value or a list of values", raw.line_of(column)
                )
                continue
            result.append((column, frozenset(fold(str(v)) for v in items)))
        return tuple(result)

    def links(self, raw: Any, line: int | None) -> tuple[LinkMapping, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.add(
                "elements.links must be a list",
                line,
                "e.g. `- {type: hosted_on, id: virtualhost_id}`",
            )
            return ()
        result = []
        for item in raw:
            if not isinstance(item, LineDict):
                self.add("each of elements.links must be a mapping", line)
                continue
            self.unknown_keys(item, _LINK_KEYS, "a link")
            targets = self.targets(item.get("type"), item.line_of("type"), "a link's type")
            ids = self.columns(item, "id", "a link")
            names = self.columns(item, "name", "a link")
            if not ids and not names:
                self.add(
                    "a link needs an `id` or a `name` column",
                    item.line,
                    "the column naming the other element",
                )
            if targets:
                result.append(LinkMapping(targets, ids, names, self.ignore(item)))
        return tuple(result)

    def ignore(self, node: LineDict) -> frozenset[str]:
        raw = node.get("ignore")
        if raw is None:
            return frozenset()
        items = raw if isinstance(raw, list) else [raw]
        return frozenset(str(v).strip() for v in items)

    # ---------------------------------------------------------------- relations

    def targets(self, raw: Any, line: int | None, where: str) -> tuple[Target, ...]:
        """A relationship type, `{type, reverse}`, or a list of them (specific first)."""
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            self.add(f"{where} is an empty list", line)
            return ()
        result = []
        for item in items:
            reverse = False
            name = item
            at = line
            if isinstance(item, LineDict):
                self.unknown_keys(item, _TARGET_KEYS, where)
                name = item.get("type")
                at = item.line_of("type")
                reverse = item.get("reverse", False)
                if not isinstance(reverse, bool):
                    self.add(f"{where}: reverse must be true or false", item.line_of("reverse"))
                    reverse = False
            if not isinstance(name, str) or not name.strip():
                self.add(
                    f"{where} must name a relationship type",
                    at,
                    "e.g. `runs_on` or `{type: member_of, reverse: true}`",
                )
                continue
            rt = self.metamodel.relation_type(name.strip())
            if rt is None:
                self.add(
                    f"{where}: unknown relationship type {name!r}",
                    at,
                    suggest(name, self.metamodel.relation_types)
                    or f"relationship types: {', '.join(sorted(self.metamodel.relation_types))}",
                )
                continue
            result.append(Target(rt.name, reverse))
        return tuple(result) if len(result) == len(items) else ()

    def relation(
        self, raw: Any, line: int | None, elements: ElementMapping | None
    ) -> RelationMapping | None:
        if not isinstance(raw, LineDict):
            self.add(
                "relations must be a mapping (or a list of them)",
                line,
                "with `parent`, `child` and `type`",
            )
            return None
        self.unknown_keys(raw, _RELATION_KEYS, "relations")
        parent = self.columns(raw, "parent", "relations")
        child = self.columns(raw, "child", "relations")
        parent_id = self.columns(raw, "parent_id", "relations")
        child_id = self.columns(raw, "child_id", "relations")
        for end, names, ids in (("parent", parent, parent_id), ("child", child, child_id)):
            if not names and not ids:
                self.add(
                    f"relations needs a `{end}` (or `{end}_id`) column",
                    raw.line,
                    f"the column naming the {end} CI",
                )
        refs = raw.get("refs", "name")
        if refs not in REFS:
            self.add(
                "relations.refs must be `name` or `id`",
                raw.line_of("refs"),
                "how parent/child cells refer to elements",
            )
            refs = "name"
        parent_class = self.columns(raw, "parent_class", "relations")
        child_class = self.columns(raw, "child_class", "relations")
        if (parent_class or child_class) and elements is None:
            self.add(
                "relations.parent_class/child_class need an `elements.type` map to read classes",
                raw.line_of("parent_class" if parent_class else "child_class"),
            )
        type_raw = raw.get("type")
        type_line = raw.line_of("type") if "type" in raw else raw.line
        if type_raw is None:
            self.add(
                "relations needs `type`: a relationship type, or a type column and its map",
                type_line,
                'e.g. `type: {column: type, map: {"Runs on::Runs": runs_on}}`',
            )
            return None
        by_type: dict[str, Any] = {}
        if isinstance(type_raw, LineDict) and _TYPE_KEYS & set(type_raw):
            by_type["type_columns"], by_type["types"] = self.column_map(
                type_raw,
                "relations.type",
                self.targets,
                "must map relationship values to relationship types",
                'e.g. `map: {"Runs on::Runs": runs_on}`',
            )
        else:
            by_type["constant"] = self.targets(type_raw, type_line, "relations.type")
            if not by_type["constant"]:
                return None
        return RelationMapping(
            parent,
            child,
            parent_id,
            child_id,
            parent_class,
            child_class,
            refs,
            skip_unmapped=self.flag(raw, "skip_unmapped"),
            ignore=self.ignore(raw),
            **by_type,
        )


def _coerces(spec: Any, value: Any) -> bool:
    try:
        spec.coerce(value)
    except ValueError:
        return False
    return True
