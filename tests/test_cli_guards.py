"""The CLI's guards against users' mistakes: every one a clear error (exit 2), never a traceback,
never a file of the workspace overwritten."""

from __future__ import annotations

import contextlib
import re
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


# -- outputs onto the workspace's own files -----------------------------------------


def store_state(root: Path) -> tuple[bytes, bytes]:
    return (root / "ea.yaml").read_bytes(), (root / ".ea" / "repository.db").read_bytes()


@pytest.mark.parametrize(
    "output",
    [
        ".ea/repository.db",
        ".ea/../.ea/repository.db",
        "./.ea/repository.db-wal",
        ".ea/repository.db-shm",
        ".ea/repository.db-journal",
        ".ea/sync.lock",
        "ea.yaml",
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["find", "--type", "Server", "-f", "csv"],
        ["impact", "srv-esx01", "-f", "svg"],
        ["view", "render", "infrastructure", "-f", "dot"],
        ["report", "impact", "srv-esx01"],
        ["export", "archimate"],
    ],
)
def test_no_output_replaces_a_file_of_the_workspace(
    retail: Path, ea, monkeypatch: pytest.MonkeyPatch, command: list[str], output: str
) -> None:
    monkeypatch.chdir(retail)
    before = store_state(retail)
    r = ea(*command, "-o", output, "-w", retail)
    assert r.code == 2, r.err
    assert f"error: cannot write {Path(output)}: it is " in r.err
    assert store_state(retail) == before
    assert ea("find", "--type", "Server", "-w", retail).code == 0


def test_no_other_name_of_the_repository_slips_through(
    retail: Path, ea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "link.db").symlink_to(retail / ".ea" / "repository.db")
    (elsewhere / "dangling").symlink_to(retail / ".ea" / "repository.db-journal")
    (elsewhere / "data").symlink_to(retail / ".ea")
    monkeypatch.chdir(elsewhere)
    before = store_state(retail)
    for output in ("link.db", "dangling", "data/repository.db", "data/new-file.csv"):
        r = ea("find", "-f", "csv", "-o", output, "-w", retail)
        assert r.code == 2 and f"cannot write {output}: it is " in r.err, (output, r.err)
    assert store_state(retail) == before


def test_a_store_outside_the_workspace_is_guarded_through_the_workspace_option(
    retail: Path, ea, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The repository lives outside the workspace: only the workspace's ea.yaml says where.
    outside = tmp_path / "data" / "repo.db"
    outside.parent.mkdir()
    (retail / ".ea" / "repository.db").rename(outside)
    config = retail / "ea.yaml"
    config.write_text(config.read_text().replace(".ea/repository.db", str(outside)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EA_WORKSPACE", raising=False)
    before = outside.read_bytes()
    for args in (["-o", outside, "-w", retail], ["-w", retail, "-o", outside]):
        r = ea("find", "-f", "csv", *args)
        assert r.code == 2 and "it is the repository" in r.err, r.err
    assert outside.read_bytes() == before


def test_the_library_writer_guards_the_workspace_around_the_file(retail: Path) -> None:
    from ea_repo.output import OutputError, write_output

    before = store_state(retail)
    with pytest.raises(OutputError, match="it is the repository"):
        write_output(retail / ".ea" / "repository.db", "id,name\n")
    assert store_state(retail) == before
    write_output(retail / "reports" / "servers.csv", "id,name\n")  # beside it is fine
    assert (retail / "reports" / "servers.csv").read_text() == "id,name\n"


# -- what reaches the terminal -------------------------------------------------------

HOSTILE = "Evil\x1b[2J\x1b]0;pwned\x07 app\u009b31m\nsecond line"


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_control_sequences_in_names_are_escaped_in_tables(ea, workspace: Path, fmt: str) -> None:
    assert ea("add", "Application", "--id", "evil", "--name", HOSTILE).code == 0
    for args in (["find", "Evil"], ["show", "evil"]):
        r = ea(*args, "-f", fmt)
        assert r.code == 0, r.err
        assert "\x1b" not in r.out and "\x07" not in r.out and "\u009b" not in r.out
        assert "Evil\\x1b[2J\\x1b]0;pwned\\x07 app\\x9b31m\\nsecond line" in r.out
    # JSON keeps the name as it is (escaped by JSON itself)
    assert '"Evil\\u001b[2J' in ea("find", "Evil", "-f", "json").out


def test_a_large_table_is_printed_as_plain_columns_one_line_a_row() -> None:
    from ea_repo.output import PLAIN_ROWS, Format, Result, Table, render

    rows = [[f"e{i}", f"Element {i}\x1b[31m", i, ["a", "b"]] for i in range(PLAIN_ROWS + 1)]
    text = render(Result([Table("big", ["id", "name", "n", "tags"], rows)]), Format.TABLE)
    lines = text.splitlines()
    assert lines[0] == "big"
    assert lines[1].split() == ["id", "name", "n", "tags"]
    body = lines[3 : 3 + len(rows)]
    assert [line.split()[0] for line in body] == [r[0] for r in rows]  # one line a row
    assert re.split(" {2,}", body[7]) == ["e7", "Element 7\\x1b[31m", "7", "a, b"]
    assert "┃" not in text and "\x1b" not in text
    # below the threshold, the framed table people read
    small = render(
        Result([Table("small", ["id", "name"], [r[:2] for r in rows[:3]])]), Format.TABLE
    )
    assert "┃" in small
    # many small tables that together pass the threshold (waves of 50 elements): plain too
    many = [Table(f"t{i}", ["id", "name"], [r[:2] for r in rows[:50]]) for i in range(5)]
    text = render(Result(many), Format.TABLE)
    assert "┃" not in text and text.splitlines()[:2] == ["t0", "id   name"]


def test_a_binary_diagram_is_never_written_to_a_terminal(
    retail: Path, ea, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import os
    import pty
    import threading

    master, slave = pty.openpty()
    received = bytearray()

    def drain() -> None:  # what reaches the terminal (and a writer never blocks on it)
        with contextlib.suppress(OSError):
            while chunk := os.read(master, 65536):
                received.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        terminal = os.ttyname(slave)
        for fmt in ("png", "pdf"):
            r = ea("view", "render", "infrastructure", "-f", fmt, "-o", terminal, "-w", retail)
            assert r.code == 2 and f"-f {fmt} is binary" in r.err, r.err
            with monkeypatch.context() as m:
                m.setattr("sys.stdout", io.TextIOWrapper(io.FileIO(slave, "w", closefd=False)))
                r = ea("impact", "srv-esx01", "-f", fmt, "-w", retail)
            assert r.code == 2 and f"-f {fmt} is binary" in r.err
    finally:
        os.close(slave)
        reader.join(5)
        os.close(master)
    assert bytes(received) == b""


def test_a_view_may_draw_every_relationship_type_as_a_list_of_star(retail: Path, ea) -> None:
    views = retail / "views"
    views.mkdir()
    texts = {}
    for name, relations in (("star-list", '["*"]'), ("star", '"*"'), ("unset", None)):
        spec = f'name: {name}\ntitle: All\nselect: "layer:application,layer:technology"\n'
        if relations:
            spec += f"relations: {relations}\n"
        (views / f"{name}.yaml").write_text(spec)
        r = ea("view", "render", name, "-f", "dot", "-w", retail)
        assert r.code == 0, r.err
        texts[name] = r.out.replace(f"// {name}", "")
    assert texts["star-list"] == texts["star"] == texts["unset"]
    assert 'class="runs_on"' in texts["star-list"] and 'class="flow"' in texts["star-list"]


def test_markup_in_names_is_data_in_markdown_output(ea, workspace: Path) -> None:
    # A report pasted into a wiki or a merge request renders its Markdown: a name must not
    # become HTML, a link or emphasis there.
    name = '<script>alert("x")</script> <img src=x onerror=alert(1)> *big* [doc](https://evil.example) R&D|IT `x`'
    assert ea("add", "Application", "--id", "hostile", "--name", name).code == 0
    for args in (["find", "script"], ["show", "hostile"]):
        out = ea(*args, "-f", "md").out
        assert "<script" not in out and "<img" not in out and "](" not in out
        assert (
            '&lt;script&gt;alert("x")&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; '
            "\\*big\\* [doc]\\(https://evil.example) R&amp;D\\|IT \\`x\\`"
        ) in out
