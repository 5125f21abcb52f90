"""Render command results as a table for people, or JSON, CSV or Markdown for tools.

A command builds a :class:`Result`: one or more titled tables plus the
structured data that ``--format json`` prints. Rendering knows nothing of
what the tables mean.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from .config import workspace_file
from .errors import EaError, Problem
from .results import Result as Result
from .results import Table as Table
from .results import age_text as age_text
from .results import cell_text as cell_text


class Format(StrEnum):
    """Output formats of data commands."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MD = "md"


def render(result: Result, fmt: Format, width: int | None = None) -> str:
    """The text of ``result`` in format ``fmt``."""
    if fmt is Format.JSON:
        return json.dumps(result.data, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt is Format.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for i, table in enumerate(result.tables):
            if i:
                buffer.write("\n")
            if len(result.tables) > 1:
                writer.writerow([f"# {table.title}"])
            writer.writerow(table.columns)
            writer.writerows([cell_text(v) for v in row] for row in table.rows)
        return buffer.getvalue()
    if fmt is Format.MD:
        parts = []
        for table in result.tables:
            lines = [f"### {markdown(table.title)}", ""] if table.title else []
            lines.append("| " + " | ".join(markdown(c) for c in table.columns) + " |")
            lines.append("|" + "|".join("---" for _ in table.columns) + "|")
            for row in table.rows:
                lines.append("| " + " | ".join(markdown(cell_text(v)) for v in row) + " |")
            parts.append("\n".join(lines))
        parts.extend(f"_{markdown(note)}_" for note in result.notes)
        return "\n\n".join(parts) + "\n"
    # rich only for a table: a command printing JSON does not pay for importing it
    from rich.console import Console
    from rich.table import Table as RichTable

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or 120,
        force_terminal=False,
        no_color=True,
        highlight=False,
        markup=False,  # names such as "Paris [old]" are data, not rich markup
        emoji=False,  # nor is ":fire:" an emoji
    )
    plain = sum(len(table.rows) for table in result.tables) > PLAIN_ROWS
    for table in result.tables:
        title = shown(table.title)
        if not table.rows:
            console.print(f"{title}: none" if title else "none")
        elif plain:
            buffer.write(_plain_table(title, table))
        else:
            rich_table = RichTable(title=title or None, title_justify="left", show_edge=False)
            for column in table.columns:
                rich_table.add_column(column, overflow="fold")
            for row in table.rows:
                rich_table.add_row(*(shown(cell_text(v)) for v in row))
            console.print(rich_table)
        console.print()
    for note in result.notes:
        console.print(shown(note))
    return buffer.getvalue()


PLAIN_ROWS = 200
"""Above this many rows (all tables of a result together) tables are printed as plain aligned
columns: rich measures and folds every cell, about 0.4 ms a row (2 000 rows of an impact took
0.8 s of CPU, 63 000 took 87 s; the 130 waves of a datacenter, 16 000 rows in tables of at most
50, 4.4 s), against a hundredth of that for plain columns — the tables would cost more than the
question."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """``text`` safe to print on a terminal: control characters (an escape sequence that would
    recolour, move the cursor or retitle the window, a line break inside a cell) are written as
    escapes, ``\\x1b``, ``\\n``."""
    return _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


# A markup character and its escape; "]" only before "(", where it would close a link's text.
_MARKDOWN = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "*": "\\*", "`": "\\`", "|": "\\|", "]": "]\\"}
_MARKDOWN_SPECIAL = re.compile(r"[&<>*`|]|\](?=\()")


def markdown(text: str) -> str:
    """``text`` as Markdown shows it, letter for letter: a name is data, never markup.

    ``<`` is written ``&lt;`` (a name holding ``<script>`` or ``<img>`` is no HTML in a
    rendered page), ``*``, a backtick and ``|`` get a backslash, so does the ``(`` after a
    ``]`` (no link is made), and control characters are escaped as :func:`shown` does."""
    return _MARKDOWN_SPECIAL.sub(lambda m: _MARKDOWN[m[0]], shown(text))


def _plain_table(title: str, table: Table) -> str:
    """A large table as aligned columns, two spaces apart, no folding."""
    rows = [[shown(cell_text(v)) for v in row] for row in table.rows]
    columns = [shown(c) for c in table.columns]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    lines = [title] if title else []
    lines += [line(columns), line(["─" * w for w in widths])]
    lines += [line(r) for r in rows]
    return "\n".join(lines) + "\n"


class OutputError(EaError):
    """An output file cannot be written (a missing permission, a folder in the way, a full disk)."""


def check_output(path: Path, workspace: str | Path | None = None) -> None:
    """Raise OutputError when ``path`` is a file of the workspace (``workspace``, the one in
    use, or one around ``path``): its repository, journals, lock or ``ea.yaml``."""
    what = workspace_file(path, workspace)
    if what is not None:
        raise OutputError(
            f"cannot write {path}: it is {what}",
            hint="give an output file outside the workspace's .ea folder and ea.yaml",
        )


def _refuse_a_folder(path: Path) -> None:
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder", hint="give a file name")


def write_output(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to the file ``path``, creating its folder.

    The data goes to a temporary file in the same folder, renamed over
    ``path`` once complete: an interrupted write leaves no half-written file.
    A path that exists but is no regular file (``/dev/stdout``, a pipe) is
    written directly. Raises OutputError naming the path, and before writing
    anything when the path is a file of a workspace (see :func:`check_output`).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    check_output(path)
    try:
        _refuse_a_folder(path)
        target = path.resolve() if path.is_symlink() else path
        if target.exists() and not target.is_file():
            with open(target, "wb") as stream:
                stream.write(raw)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        # os.open honours the umask, so the file gets the permissions a plain write gives it.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(raw)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="check that the folder exists or can be created, and that you may write there",
        ) from exc


PROBLEM_COLUMNS = ("source", "file", "line", "record", "column", "message", "hint")
"""The fields of a problems file (``--problems``), in the order of its CSV columns."""


def check_problems_path(path: Path | None) -> None:
    """Refuse, before any work, a problems file whose format its extension does not say,
    or a folder, or a path below a file: found only once the run is over, either would turn
    a done import into an error."""
    if path is None:
        return
    if path.suffix.lower() not in (".csv", ".json"):
        raise OutputError(
            f"--problems {path}: the file must end in .csv or .json (its format)",
            hint="e.g. --problems problems.csv",
        )
    _refuse_a_folder(path)
    # the nearest existing ancestor must be a folder, or no file can be made below it
    ancestor = next((p for p in path.parents if p.exists()), None)
    if ancestor is not None and not ancestor.is_dir():
        raise OutputError(
            f"cannot write {path}: {ancestor} is a file, not a folder",
            hint="give a path in a folder",
        )


def write_problems(path: Path, problems: Sequence[tuple[str | None, Problem]]) -> None:
    """Write every one of ``problems`` (each with the source it belongs to) to ``path``:
    a JSON list of objects or a CSV table by its extension, fields :data:`PROBLEM_COLUMNS`
    (empty when unknown). No problem writes an empty list, not nothing: a file left
    from an earlier run would say what is no longer true."""
    check_problems_path(path)
    rows = [{"source": source, **problem.to_data()} for source, problem in problems]
    if path.suffix.lower() == ".json":
        text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, PROBLEM_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    write_output(path, text)


def emit(result: Result, fmt: Format, output: Path | None = None) -> None:
    """Print ``result``, or write it to ``output`` (and say so on stderr)."""
    if output is not None:
        write_output(output, render(result, fmt, width=200))
        print(f"wrote {output}", file=sys.stderr)
        return
    width = None
    if fmt is Format.TABLE and sys.stdout.isatty():
        from rich.console import Console

        width = Console().width
    sys.stdout.write(render(result, fmt, width=width))


@contextmanager
def stage_progress() -> Iterator[Callable[[str, int, int], None]]:
    """A ``progress(stage, done, total)`` callback drawing one rich bar per stage on
    stderr while the block runs, when stderr is a terminal (else it does nothing)."""
    if not sys.stderr.isatty():
        yield lambda stage, done, total: None
        return
    from rich.console import Console
    from rich.progress import Progress

    tasks: dict[str, Any] = {}
    with Progress(console=Console(stderr=True), transient=True) as bar:

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or 1)
            bar.update(tasks[stage], completed=done)

        yield progress
