"""Check elements and relations against the metamodel, in words a user understands.

The checks return lists of messages instead of raising, so that an import can
report every bad row at once; :func:`raise_if` turns them into one
:class:`~ea_repo.errors.ValidationError` for interactive commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import timeline
from ..errors import NotFoundError, ValidationError
from ..yamlio import suggest
from .schema import AttributeSpec, ElementType, Metamodel, RelationType


def resolve_element_type(mm: Metamodel, name: str) -> ElementType:
    """The element type called ``name`` (case-insensitive), or a NotFoundError with a hint."""
    et = mm.element_type(name)
    if et is None:
        raise NotFoundError(
            f"unknown element type {name!r}",
            hint=suggest(name, mm.element_types) or "`ea metamodel show` lists the types",
        )
    return et


def resolve_relation_type(mm: Metamodel, name: str) -> RelationType:
    """The relationship type called ``name`` (case-insensitive), or a NotFoundError with a hint."""
    rt = mm.relation_type(name)
    if rt is None:
        raise NotFoundError(
            f"unknown relationship type {name!r}",
            hint=suggest(name, mm.relation_types)
            or "`ea metamodel show` lists the relationship types",
        )
    return rt


def check_attributes(
    specs: Mapping[str, AttributeSpec], attrs: Mapping[str, Any], owner: str
) -> tuple[dict[str, Any], list[str]]:
    """Coerce ``attrs`` to their declared types, fill defaults, flag what is wrong.

    Returns the normalised attributes and the list of problems. Empty values
    (None or "") count as absent.
    """
    problems: list[str] = []
    result: dict[str, Any] = {}
    for key, value in attrs.items():
        spec = specs.get(key)
        if spec is None:
            hint = suggest(key, specs)
            problems.append(
                f"{owner} has no attribute {key!r}"
                + (f" ({hint})" if hint else f"; known: {', '.join(sorted(specs)) or 'none'}")
            )
            continue
        if value is None or value == "":
            continue
        if type(value) is spec.canonical:  # nearly every value an import gives
            result[key] = value
            continue
        try:
            result[key] = spec.coerce(value)
        except ValueError as exc:
            problems.append(f"{owner}.{key}: {exc}")
    defaults, required = _fill_rules(specs)
    for name, default in defaults:
        if name not in result:
            result[name] = default
    for name in required:
        if name not in result:
            problems.append(f"{owner}.{name} is required")
    return result, problems


_FILL_RULES: dict[int, tuple[Mapping[str, AttributeSpec], tuple[Any, ...], tuple[str, ...]]] = {}


def _fill_rules(
    specs: Mapping[str, AttributeSpec],
) -> tuple[tuple[tuple[str, Any], ...], tuple[str, ...]]:
    """The defaults and the required names of a type's attributes, worked out once per
    type (an import checks hundreds of thousands of records against a few types)."""
    hit = _FILL_RULES.get(id(specs))
    if hit is None or hit[0] is not specs:  # the entry holds ``specs``: its id stays unique
        defaults = tuple((a.name, a.default) for a in specs.values() if a.default is not None)
        required = tuple(a.name for a in specs.values() if a.default is None and a.required)
        hit = (specs, defaults, required)
        _FILL_RULES[id(specs)] = hit
    return hit[1], hit[2]


def check_element(
    mm: Metamodel, type_name: str, attrs: Mapping[str, Any]
) -> tuple[ElementType | None, dict[str, Any], list[str]]:
    """Validate an element of ``type_name`` with ``attrs``; returns (type, attrs, problems)."""
    et = mm.element_type(type_name)
    if et is None:
        hint = suggest(type_name, mm.element_types)
        return None, {}, [f"unknown element type {type_name!r}" + (f" ({hint})" if hint else "")]
    if et.abstract:
        return et, {}, [f"element type {et.name!r} is abstract; use one of its subtypes"]
    normalised, problems = check_attributes(et.attributes, attrs, et.name)
    return et, normalised, problems + _lifecycle_problems(normalised, et.name)


def check_relation(
    mm: Metamodel, type_name: str, src_type: str, dst_type: str, attrs: Mapping[str, Any]
) -> tuple[RelationType | None, dict[str, Any], list[str]]:
    """Validate a relation between elements of the given types; returns (type, attrs, problems)."""
    rt = mm.relation_type(type_name)
    if rt is None:
        hint = suggest(type_name, mm.relation_types)
        return (
            None,
            {},
            [f"unknown relationship type {type_name!r}" + (f" ({hint})" if hint else "")],
        )
    problems = []
    if src_type not in rt.sources:
        problems.append(
            f"{rt.name} cannot start from {_a(src_type)}; allowed: {_short(rt.sources)}"
        )
    if dst_type not in rt.targets:
        problems.append(f"{rt.name} cannot lead to {_a(dst_type)}; allowed: {_short(rt.targets)}")
    normalised, attr_problems = check_attributes(rt.attributes, attrs, rt.name)
    return rt, normalised, problems + attr_problems + _lifecycle_problems(normalised, rt.name)


def _lifecycle_problems(attrs: Mapping[str, Any], owner: str) -> list[str]:
    """The contradiction in ``attrs``'s lifecycle dates, if any, as a problem of ``owner``."""
    wrong = timeline.out_of_order(attrs)
    return [f"{owner}: {wrong}"] if wrong else []


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _short(names: frozenset[str], limit: int = 8) -> str:
    ordered = sorted(names)
    if len(ordered) > limit:
        return ", ".join(ordered[:limit]) + f" and {len(ordered) - limit} more"
    return ", ".join(ordered)


def raise_if(problems: list[str], what: str) -> None:
    """Raise a ValidationError gathering ``problems`` about ``what``, if any."""
    if problems:
        raise ValidationError(
            f"{what}: {problems[0]}"
            if len(problems) == 1
            else f"{what}: {len(problems)} problems: " + "; ".join(problems),
            hint="`ea metamodel show TYPE` lists the attributes and relationships of a type",
        )
