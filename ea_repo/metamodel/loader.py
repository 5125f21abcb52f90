"""Load a metamodel YAML file, reporting every mistake as ``file:line: problem — hint``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import timeline
from ..errors import MetamodelError
from ..yamlio import Collector, LineDict, load_yaml, node_line, parse_yaml, suggest
from .schema import (
    IDENTIFIER,
    LAYERS,
    RESERVED_ATTRIBUTES,
    AttributeSpec,
    AttrType,
    Dependent,
    ElementType,
    Lifecycle,
    Metamodel,
    RelationType,
    upper_snake,
)

BUILTIN = "builtin"

_TOP_KEYS = {
    "name",
    "version",
    "description",
    "common_attributes",
    "common_relation_attributes",
    "element_types",
    "relationship_types",
    "lifecycle",
}
_ELEMENT_KEYS = {"layer", "description", "attributes", "extends", "abstract"}
_RELATION_KEYS = {
    "from",
    "to",
    "dependent",
    "redundant",
    "impact",
    "hosting",
    "description",
    "label",
    "reverse_label",
    "attributes",
}
_ATTRIBUTE_KEYS = {
    "type",
    "required",
    "recommended",
    "default",
    "unique",
    "values",
    "description",
}

LIFECYCLE_ATTRIBUTES = {
    name: AttributeSpec(name=name, type=AttrType.DATE, description=timeline.DESCRIPTIONS[phase])
    for phase, name in timeline.ATTRIBUTES.items()
}
"""The lifecycle dates (:mod:`ea_repo.timeline`) every element and relationship type has,
whatever its metamodel declares."""


def _with_lifecycle(attributes: dict[str, AttributeSpec]) -> dict[str, AttributeSpec]:
    """``attributes`` followed by the lifecycle dates (a metamodel's own declaration of one,
    a date too, keeps its description)."""
    own = {n: a for n, a in attributes.items() if n not in LIFECYCLE_ATTRIBUTES}
    return own | {n: attributes.get(n, a) for n, a in LIFECYCLE_ATTRIBUTES.items()}


def _parse_attribute(
    name: str, raw: Any, where: LineDict, col: Collector, owner: str
) -> AttributeSpec | None:
    line = where.line_of(name)
    if not IDENTIFIER.match(name):
        col.add(
            f"attribute name {name!r} of {owner} is not a valid identifier",
            line,
            "use letters, digits and underscores, starting with a letter",
        )
        return None
    if name in RESERVED_ATTRIBUTES:
        col.add(f"attribute name {name!r} of {owner} is reserved", line, "choose another name")
        return None
    spec: dict[str, Any]
    if isinstance(raw, str):
        spec = {"type": raw}
    elif isinstance(raw, LineDict):
        col.unknown_keys(raw, _ATTRIBUTE_KEYS, f"attribute {name!r} of {owner}")
        spec = dict(raw)
        line = raw.line_of("type") or line
    else:
        col.add(
            f"attribute {name!r} of {owner} must be a type name or a mapping",
            line,
            "e.g. `criticality: {type: enum, values: [low, high]}`",
        )
        return None
    type_text = str(spec.get("type", "string")).strip()
    values: tuple[str, ...] = ()
    if type_text.startswith("enum(") and type_text.endswith(")"):
        values = tuple(v.strip() for v in type_text[5:-1].split(",") if v.strip())
        type_text = "enum"
    try:
        attr_type = AttrType(type_text)
    except ValueError:
        col.add(
            f"unknown attribute type {type_text!r} for {owner}.{name}",
            line,
            suggest(type_text, [t.value for t in AttrType])
            or f"use one of: {', '.join(t.value for t in AttrType)}",
        )
        return None
    if name in LIFECYCLE_ATTRIBUTES and attr_type is not AttrType.DATE:
        col.add(
            f"{owner}.{name} is declared as {attr_type.value}, but {name} is a lifecycle date",
            line,
            "every type has it as `type: date`; remove the declaration or choose another name",
        )
        return None
    if "values" in spec:
        raw_values = spec["values"]
        if not isinstance(raw_values, list) or not raw_values:
            col.add(f"values of {owner}.{name} must be a non-empty list", line)
            return None
        values = tuple(str(v) for v in raw_values)
    if attr_type is AttrType.ENUM and not values:
        col.add(f"enum attribute {owner}.{name} has no values", line, "add `values: [a, b]`")
        return None
    if values and attr_type is not AttrType.ENUM:
        col.add(f"{owner}.{name} has values but is not an enum", line, "set `type: enum`")
        return None
    if len(set(values)) != len(values):
        col.add(f"enum {owner}.{name} lists a value twice", line)
    flags = {}
    for flag in ("required", "recommended", "unique"):
        flags[flag] = spec.get(flag, False)
        if not isinstance(flags[flag], bool):
            col.add(f"{flag} of {owner}.{name} must be true or false", line)
            return None
    attribute = AttributeSpec(
        name=name,
        type=attr_type,
        required=flags["required"],
        recommended=flags["recommended"],
        unique=flags["unique"],
        values=values,
        description=str(spec.get("description", "") or ""),
    )
    if spec.get("default") is not None:
        try:
            default = attribute.coerce(spec["default"])
        except ValueError as exc:
            col.add(f"default of {owner}.{name} is invalid: {exc}", line)
            return None
        attribute = AttributeSpec(**{**attribute.__dict__, "default": default})
    return attribute


def _parse_attributes(
    raw: Any, col: Collector, owner: str, line: int | None
) -> dict[str, AttributeSpec]:
    if raw is None:
        return {}
    if not isinstance(raw, LineDict):
        col.add(f"attributes of {owner} must be a mapping", line, "name: type, one per line")
        return {}
    result = {}
    for name, spec in raw.items():
        parsed = _parse_attribute(name, spec, raw, col, owner)
        if parsed is not None:
            result[name] = parsed
    return result


def _type_list(
    raw: Any, known: dict[str, Any], col: Collector, what: str, line: int | None
) -> list[str]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        col.add(f'{what} must be an element type, a list of them, or "*"', line)
        return []
    names: list[str] = []
    for item in items:
        item = str(item)
        if item == "*":
            names.extend(known)
        elif item not in known:
            col.add(
                f"{what} names unknown element type {item!r}",
                line,
                suggest(item, known) or "declare it under element_types",
            )
        else:
            names.append(item)
    return names


def parse_metamodel(data: Any, filename: str) -> Metamodel:
    """Build a :class:`Metamodel` from parsed YAML, raising one error listing every problem."""
    col = Collector(filename)
    if not isinstance(data, LineDict):
        col.add("a metamodel must be a YAML mapping", 1, "start with `name:` and `element_types:`")
        raise _failure(col)
    col.unknown_keys(data, _TOP_KEYS, "the metamodel")

    common = _parse_attributes(
        data.get("common_attributes"),
        col,
        "common_attributes",
        node_line(data, "common_attributes"),
    )

    common_relation = _parse_attributes(
        data.get("common_relation_attributes"),
        col,
        "common_relation_attributes",
        node_line(data, "common_relation_attributes"),
    )

    raw_types = data.get("element_types")
    if not isinstance(raw_types, LineDict) or not raw_types:
        col.add("element_types must be a non-empty mapping", node_line(data, "element_types") or 1)
        raw_types = LineDict()

    # First pass: names, layers, own attributes.
    parsed: dict[str, dict[str, Any]] = {}
    for tname, traw in raw_types.items():
        line = raw_types.line_of(tname)
        if not IDENTIFIER.match(tname):
            col.add(
                f"element type name {tname!r} is not a valid identifier",
                line,
                "use letters, digits and underscores, starting with a letter (e.g. DataObject)",
            )
            continue
        if not isinstance(traw, LineDict):
            col.add(f"element type {tname!r} must be a mapping", line, "give at least `layer:`")
            continue
        col.unknown_keys(traw, _ELEMENT_KEYS, f"element type {tname!r}")
        layer = traw.get("layer")
        if layer is not None and layer not in LAYERS:
            col.add(
                f"unknown layer {layer!r} for element type {tname!r}",
                traw.line_of("layer"),
                suggest(str(layer), LAYERS) or f"use one of: {', '.join(LAYERS)}",
            )
        extends = traw.get("extends")
        if extends is not None and not isinstance(extends, str):
            col.add(
                f"extends of {tname!r} must be one type name",
                traw.line_of("extends"),
                "single inheritance: `extends: Node`",
            )
            extends = None
        abstract = traw.get("abstract", False)
        if not isinstance(abstract, bool):
            col.add(f"abstract of {tname!r} must be true or false", traw.line_of("abstract"))
            abstract = False
        parsed[tname] = {
            "layer": layer,
            "extends": extends,
            "abstract": abstract,
            "description": str(traw.get("description", "") or ""),
            "attributes": _parse_attributes(
                traw.get("attributes"), col, tname, traw.line_of("attributes")
            ),
            "line": line,
            "raw": traw,
        }
    lower_seen: dict[str, str] = {}
    for tname, info in parsed.items():
        if tname.lower() in lower_seen:
            col.add(
                f"element type {tname!r} differs from {lower_seen[tname.lower()]!r} only by case",
                info["line"],
                "types are matched case-insensitively on the command line; rename one",
            )
        lower_seen[tname.lower()] = tname

    # Second pass: inheritance.
    element_types: dict[str, ElementType] = {}

    failed: set[str] = set()

    def resolve(tname: str, chain: tuple[str, ...]) -> ElementType | None:
        if tname in element_types:
            return element_types[tname]
        if tname in failed:
            return None
        result = _resolve(tname, chain)
        if result is None:
            failed.add(tname)
        return result

    def _resolve(tname: str, chain: tuple[str, ...]) -> ElementType | None:
        info = parsed[tname]
        parent_name = info["extends"]
        inherited: dict[str, AttributeSpec] = dict(common)
        layer = info["layer"]
        if parent_name is not None:
            if parent_name in chain:
                col.add(
                    f"element type {tname!r} extends itself through {' → '.join(chain)}",
                    info["line"],
                )
                return None
            if parent_name not in parsed:
                col.add(
                    f"element type {tname!r} extends unknown type {parent_name!r}",
                    info["raw"].line_of("extends"),
                    suggest(str(parent_name), parsed) or "declare the parent type",
                )
                return None
            parent = resolve(parent_name, (*chain, tname))
            if parent is None:
                return None
            inherited.update(parent.attributes)
            layer = layer or parent.layer
        if layer is None:
            col.add(
                f"element type {tname!r} has no layer",
                info["line"],
                f"add `layer:` ({', '.join(LAYERS)})",
            )
            return None
        for aname in info["attributes"]:
            if (
                aname in inherited
                and parent_name is not None
                and aname not in common
                and aname not in LIFECYCLE_ATTRIBUTES
            ):
                col.add(
                    f"attribute {aname!r} of {tname!r} is already inherited from {parent_name!r}",
                    info["raw"]["attributes"].line_of(aname),
                    "remove it from the subtype",
                )
        inherited.update(info["attributes"])
        et = ElementType(
            name=tname,
            layer=layer,
            description=info["description"],
            attributes=_with_lifecycle(inherited),
            extends=parent_name,
            abstract=info["abstract"],
        )
        element_types[tname] = et
        return et

    for tname in parsed:
        resolve(tname, ())

    def with_subtypes(names: list[str]) -> frozenset[str]:
        return frozenset(t for t in element_types if any(_is_a(element_types, t, n) for n in names))

    # Relationship types.
    raw_rels = data.get("relationship_types")
    relation_types: dict[str, RelationType] = {}
    if raw_rels is None:
        raw_rels = LineDict()
    if not isinstance(raw_rels, LineDict):
        col.add("relationship_types must be a mapping", node_line(data, "relationship_types"))
        raw_rels = LineDict()
    for rname, rraw in raw_rels.items():
        line = raw_rels.line_of(rname)
        if not IDENTIFIER.match(rname):
            col.add(
                f"relationship type name {rname!r} is not a valid identifier",
                line,
                "use letters, digits and underscores, starting with a letter (e.g. runs_on)",
            )
            continue
        clash = next(
            (
                o
                for o in relation_types
                if o.lower() == rname.lower() or upper_snake(o) == upper_snake(rname)
            ),
            None,
        )
        if clash is not None:
            col.add(
                f"relationship type {rname!r} clashes with {clash!r}",
                line,
                "names are matched case-insensitively and both would be the same Neo4j type; rename one",
            )
        if rname in parsed:
            col.add(
                f"{rname!r} is both an element type and a relationship type", line, "rename one"
            )
        if not isinstance(rraw, LineDict):
            col.add(
                f"relationship type {rname!r} must be a mapping",
                line,
                "give `from:`, `to:` and `dependent:`",
            )
            continue
        col.unknown_keys(rraw, _RELATION_KEYS, f"relationship type {rname!r}")
        missing = [k for k in ("from", "to", "dependent") if k not in rraw]
        if missing:
            col.add(f"relationship type {rname!r} lacks {', '.join(missing)}", line)
            continue
        sources = _type_list(
            rraw["from"], parsed, col, f"`from` of {rname!r}", rraw.line_of("from")
        )
        targets = _type_list(rraw["to"], parsed, col, f"`to` of {rname!r}", rraw.line_of("to"))
        try:
            dependent = Dependent(str(rraw["dependent"]))
        except ValueError:
            col.add(
                f"dependent of {rname!r} is {rraw['dependent']!r}",
                rraw.line_of("dependent"),
                "use source, target, both or none: the end that depends on the other",
            )
            continue
        redundant = _one_end_flag(
            col,
            rraw,
            rname,
            "redundant",
            dependent,
            "redundancy needs one dependent end: source or target",
        )
        impact = rraw.get("impact", "down")
        if impact not in ("down", "degraded"):
            col.add(
                f"impact of {rname!r} is {impact!r}",
                rraw.line_of("impact"),
                "use down (the dependent fails with its dependency) or degraded (it loses something, keeps running)",
            )
        hosting = _one_end_flag(
            col,
            rraw,
            rname,
            "hosting",
            dependent,
            "the dependent end is the one hosted (source: App runs_on Node); use source or target",
        )
        if hosting and impact == "degraded":
            col.add(
                f"{rname!r} is hosting but its impact is degraded",
                rraw.line_of("hosting"),
                "what is hosted stops with its host; a data flow is not hosting",
            )
        relation_types[rname] = RelationType(
            name=rname,
            sources=with_subtypes(sources),
            targets=with_subtypes(targets),
            dependent=dependent,
            redundant=redundant,
            degrades=impact == "degraded",
            hosting=hosting,
            description=str(rraw.get("description", "") or ""),
            label=str(rraw.get("label", "") or rname.replace("_", " ")),
            reverse_label=str(rraw.get("reverse_label", "") or f"{rname.replace('_', ' ')} (from)"),
            attributes=_with_lifecycle(
                {
                    **common_relation,
                    **_parse_attributes(
                        rraw.get("attributes"), col, rname, rraw.line_of("attributes")
                    ),
                }
            ),
        )

    # Lifecycle.
    lifecycle = Lifecycle()
    raw_life = data.get("lifecycle")
    if raw_life is not None:
        if not isinstance(raw_life, LineDict):
            col.add("lifecycle must be a mapping", node_line(data, "lifecycle"))
        else:
            col.unknown_keys(raw_life, {"end_of_support", "end_of_life"}, "lifecycle")
            known_dates = {
                a.name
                for et in element_types.values()
                for a in et.attributes.values()
                if a.type is AttrType.DATE
            }
            fields: dict[str, tuple[str, ...]] = {}
            for key in ("end_of_support", "end_of_life"):
                raw_names = raw_life.get(key, [])
                names = [raw_names] if isinstance(raw_names, str) else raw_names or []
                if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                    col.add(
                        f"lifecycle.{key} must be an attribute name or a list of them",
                        raw_life.line_of(key),
                        f"e.g. `{key}: [{key}]`",
                    )
                    continue
                for n in names:
                    if n not in known_dates:
                        col.add(
                            f"lifecycle.{key} names {n!r}, which is no date attribute of any element type",
                            raw_life.line_of(key),
                            suggest(str(n), known_dates) or "declare it with `type: date`",
                        )
                fields[key] = tuple(str(n) for n in names)
            lifecycle = Lifecycle(**fields)

    if col.problems:
        raise _failure(col)
    return Metamodel(
        name=str(data.get("name", Path(filename).stem)),
        version=str(data.get("version", "1")),
        element_types=element_types,
        relation_types=relation_types,
        lifecycle=lifecycle,
        source=filename,
    )


def _one_end_flag(
    col: Collector, raw: LineDict, rname: str, key: str, dependent: Dependent, hint: str
) -> bool:
    """A true/false flag of relationship type ``rname`` that needs one dependent end."""
    value = raw.get(key, False)
    if not isinstance(value, bool):
        col.add(f"{key} of {rname!r} must be true or false", raw.line_of(key))
        return False
    if value and dependent not in (Dependent.SOURCE, Dependent.TARGET):
        col.add(
            f"{rname!r} is {key} but its dependent is {dependent.value}", raw.line_of(key), hint
        )
    return value


def _is_a(types: dict[str, ElementType], name: str, ancestor: str) -> bool:
    current: str | None = name
    while current is not None:
        if current == ancestor:
            return True
        current = types[current].extends if current in types else None
    return False


def _failure(col: Collector) -> MetamodelError:
    count = len(col.problems)
    return MetamodelError(
        f"{col.filename}: {count} problem{'s' if count != 1 else ''} in the metamodel",
        problems=col.problems,
    )


def load_metamodel(path: str | Path | None = None) -> Metamodel:
    """Load a metamodel file, or the built-in one when ``path`` is None or ``"builtin"``.

    Raises :class:`~ea_repo.errors.MetamodelError` listing every problem found,
    each as ``file:line: problem — hint``. The built-in metamodel is read once
    per process (its objects are frozen, so sharing it is safe).

    >>> mm = load_metamodel()
    >>> mm.element_types["Application"].layer
    'application'
    """
    if path is None or str(path) == BUILTIN:
        return _builtin_metamodel()
    return parse_metamodel(load_yaml(Path(path), MetamodelError), str(path))


@lru_cache(maxsize=1)
def _builtin_metamodel() -> Metamodel:
    # The file beside this module (package data): importlib.resources would cost every
    # command that reads the metamodel the import of tempfile, shutil and the compressors.
    text = Path(__file__).with_name("default.yaml").read_text("utf-8")
    filename = "<builtin default.yaml>"
    return parse_metamodel(parse_yaml(text, filename, MetamodelError), filename)
