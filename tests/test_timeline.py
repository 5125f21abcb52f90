"""Lifecycle dates: when an item is in the landscape, and in which phase."""

from __future__ import annotations

import pytest

from ea_repo.timeline import NEVER, out_of_order, phase_at, shown_at, span

CRM = {
    "lifecycle_plan": "2026-01-01",
    "lifecycle_phase_in": "2026-06-01",
    "lifecycle_active": "2026-09-01",
    "lifecycle_phase_out": "2028-01-01",
    "lifecycle_end_of_life": "2028-06-30",
}


@pytest.mark.parametrize(
    ("day", "shown", "phase"),
    [
        ("2025-12-31", False, None),
        ("2026-03-01", False, "plan"),
        ("2026-06-01", True, "phase_in"),
        ("2027-01-01", True, "active"),
        ("2028-02-01", True, "phase_out"),
        ("2028-06-29", True, "phase_out"),
        ("2028-06-30", False, "end_of_life"),
    ],
)
def test_an_item_is_in_the_landscape_from_phase_in_until_end_of_life(
    day: str, shown: bool, phase: str | None
) -> None:
    assert shown_at(CRM, day) is shown
    assert phase_at(CRM, day) == phase


def test_an_item_without_dates_is_always_there_and_a_plan_alone_never() -> None:
    assert shown_at({}, "1900-01-01") and shown_at({"name": "x"}, "2999-01-01")
    assert span({"lifecycle_plan": "2026-01-01"}) == (NEVER, None)
    assert not shown_at({"lifecycle_plan": "2026-01-01"}, "2990-01-01")
    assert not shown_at({"lifecycle_plan": "2026-01-01"}, NEVER)  # not even on the last day
    assert shown_at({"lifecycle_plan": "2026-01-01"}, None)


def test_active_alone_opens_the_span_and_the_earlier_of_phase_in_and_active_counts() -> None:
    assert span({"lifecycle_active": "2027-01-01"}) == ("2027-01-01", None)
    assert span({"lifecycle_active": "2027-01-01", "lifecycle_phase_in": "2026-01-01"})[0] == (
        "2026-01-01"
    )


def test_dates_out_of_order_are_named() -> None:
    assert out_of_order(CRM) is None
    message = out_of_order(
        {"lifecycle_phase_in": "2027-01-01", "lifecycle_end_of_life": "2026-01-01"}
    )
    assert message is not None
    assert "lifecycle_end_of_life 2026-01-01 comes before lifecycle_phase_in 2027-01-01" in message
