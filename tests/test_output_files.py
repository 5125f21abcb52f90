"""Writing output files: every command's -o goes through output.write_output."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from ea_repo.output import OutputError, write_output


def test_write_output_creates_the_folder_and_replaces_whole(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "out.txt"
    write_output(target, "été\n")
    assert target.read_bytes() == "été\n".encode()
    write_output(target, b"\x89PNG")
    assert target.read_bytes() == b"\x89PNG"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def full_disk(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OutputError, match=f"cannot write {target}: No space left on device"):
        write_output(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_symlink_is_written_through_and_a_pipe_directly(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_output(link, "new")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new"

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_output(fifo, "through the pipe")
    reader.join(timeout=10)
    assert received == [b"through the pipe"]
    assert fifo.is_fifo()


def test_a_folder_or_a_file_in_the_way_is_a_user_error(ea, workspace: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    for output in (tmp_path, a_file / "out.csv"):
        result = ea("stats", "-f", "csv", "-o", output)
        assert result.code == 2, result.err
        assert f"error: cannot write {output}" in result.err
        assert "internal error" not in result.err


def test_export_creates_the_folder_and_reports_in_the_format_asked(
    ea, workspace: Path, tmp_path: Path
) -> None:
    assert ea("add", "Application", "--id", "crm", "--name", "CRM").code == 0
    target = tmp_path / "not" / "yet" / "model.xml"
    result = ea("export", "archimate", "-o", target, "-f", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["file"] == str(target)
    assert json.loads(result.out)["elements"] == 1
    assert target.read_text(encoding="utf-8").startswith("<?xml")
    result = ea("export", "archimate", "-o", tmp_path)
    assert (result.code, "it is a folder" in result.err) == (2, True)
