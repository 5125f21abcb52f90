"""The CLI's guards against users' mistakes: every one a clear error (exit 2), never a traceback,
never a file of the workspace overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def retail(tmp_path: Path) -> Path:
    from tests.landscape import build

    return build(tmp_path / "retail")


# -- far dates and long durations -------------------------------------------------


def test_the_last_date_of_the_calendar_is_a_date_like_any(retail: Path, tmp_path: Path, ea) -> None:
    r = ea("obsolescence", "--at", "9999-12-31", "-f", "json", "-w", retail)
    assert r.code == 0, r.err
    assert '"worst": "obsolete"' in r.out  # everything dated has reached its end by then
    page = tmp_path / "far.html"
    r = ea("report", "obsolescence", "--at", "9999-12-31", "-o", page, "-w", retail)
    assert r.code == 0, r.err
    r = ea("view", "render", "capability-map", "--at", "9999-12-31", "-f", "dot", "-w", retail)
    assert r.code == 0, r.err


@pytest.mark.parametrize("command", [["obsolescence"], ["report", "obsolescence", "-o", "x.html"]])
def test_a_horizon_beyond_the_calendar_is_refused(retail: Path, ea, command: list[str]) -> None:
    r = ea(*command, "--horizon", "99999y", "-w", retail)
    assert r.code == 2
    assert "--horizon '99999y' is more than 100 years" in r.err
    assert "internal error" not in r.err


@pytest.mark.parametrize("value", ["99999999d", "99999999"])
def test_a_stale_after_beyond_the_calendar_is_refused_with_its_line(
    retail: Path, ea, value: str
) -> None:
    config = retail / "ea.yaml"
    text = config.read_text().replace("stale_after: 180d", f"stale_after: {value}")
    config.write_text(text)
    line = text.splitlines().index(f"stale_after: {value}") + 1
    r = ea("status", "-w", retail)
    assert r.code == 2
    assert f"ea.yaml:{line}: stale_after" in r.err and "more than 100 years" in r.err


# -- depths ------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["impact", "dependencies", "flows"])
@pytest.mark.parametrize("depth", ["0", "-1"])
def test_a_depth_below_one_is_refused_as_in_a_selector(
    retail: Path, ea, command: str, depth: str
) -> None:
    for fmt in ("table", "svg"):
        r = ea(command, "app-oms", "--depth", depth, "-f", fmt, "-w", retail)
        assert r.code == 2, r.out
        assert "Invalid value for '--depth'" in r.err and "greater than or equal to 1" in r.err
        assert r.out == ""
