"""Attribute values: parsed from text, checked against their declared type."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ea_repo.metamodel import AttributeSpec, AttrType


def spec(t: AttrType, **kw: object) -> AttributeSpec:
    return AttributeSpec("x", t, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("type_", "raw", "expected"),
    [
        (AttrType.INT, " 42 ", 42),
        (AttrType.INT, 3.0, 3),
        (AttrType.FLOAT, "2.5", 2.5),
        (AttrType.BOOL, "Yes", True),
        (AttrType.BOOL, "false", False),
        (AttrType.BOOL, 0, False),
        (AttrType.DATE, "2024-05-16 12:40:57", "2024-05-16"),
        (AttrType.DATE, dt.date(2025, 1, 31), "2025-01-31"),
        (AttrType.DATE, "2025-01-31T10:00:00Z", "2025-01-31"),
        (AttrType.LIST, "gdpr, core ,", ["gdpr", "core"]),
        (AttrType.LIST, ("a", 1), ["a", "1"]),
        (AttrType.URL, "https://wiki.example.org/crm", "https://wiki.example.org/crm"),
        (AttrType.EMAIL, " ops@example.org", "ops@example.org"),
        (AttrType.STRING, 12, "12"),
    ],
)
def test_values_are_normalised(type_: AttrType, raw: object, expected: object) -> None:
    assert spec(type_).coerce(raw) == expected


@pytest.mark.parametrize(
    ("type_", "raw", "message"),
    [
        (AttrType.INT, "3,665", "whole number"),
        (AttrType.INT, True, "boolean"),
        (AttrType.FLOAT, "n/a", "number"),
        (AttrType.BOOL, "maybe", "true or false"),
        (AttrType.DATE, "16/05/2024", "YYYY-MM-DD"),
        (AttrType.DATE, "2024-02-30", "not a real date"),
        (AttrType.URL, "wiki/crm", "URL"),
        (AttrType.EMAIL, "ops at example", "e-mail"),
        (AttrType.STRING, {"a": 1}, "mapping"),
        (AttrType.LIST, 5, "list"),
    ],
)
def test_bad_values_say_what_was_expected(type_: AttrType, raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        spec(type_).coerce(raw)


def test_enum_matches_case_insensitively_and_keeps_the_declared_spelling() -> None:
    s = spec(AttrType.ENUM, values=("Low", "High"))
    assert s.coerce("high") == "High"
    with pytest.raises(ValueError, match="not one of Low, High"):
        s.coerce("medium")


@given(st.dates())
def test_any_date_round_trips(day: dt.date) -> None:
    s = spec(AttrType.DATE)
    assert s.coerce(s.coerce(day)) == day.isoformat()


@given(st.integers())
def test_any_int_round_trips_through_text(n: int) -> None:
    assert spec(AttrType.INT).coerce(str(n)) == n
