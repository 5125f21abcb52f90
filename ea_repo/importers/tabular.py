"""Read a CSV, XLSX or JSON export into one shape: a header and numbered rows of text.

Exports come from spreadsheets, CMDB list views and REST calls, written on
machines we know nothing about. This module guesses as little as it must (the
encoding, the delimiter) and refuses rather than mangles: a file it cannot
decode raises :class:`~ea_repo.errors.SourceError` naming the file, never a
garbled import. A CSV row is numbered by the line of the file where it
starts, so that every message points at what an editor shows; where a quoted
cell spanning lines (or a blank line) makes the spreadsheet's row number
differ, the table keeps that record number too. A CSV row shorter than the
header is a problem, not a row with empty cells (unless ``short_rows="pad"``),
and a file that ends inside a quoted cell is refused as truncated: either
would otherwise blank attributes the source still holds.

>>> table = read_table("servers.csv")                   # doctest: +SKIP
>>> table.columns, table.rows[0]                        # doctest: +SKIP
(['name', 'class'], (2, {'name': 'web01', 'class': 'Linux Server'}))
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from ..errors import Problem, SourceError
from ..model import Origin
from ..runtime import gc_paused

DELIMITERS = (",", ";", "\t", "|")
"""The delimiters recognised in CSV files, in order of preference on a tie."""

SHORT_ROWS = ("error", "pad")
"""What a CSV row with fewer cells than the header is: a problem (``error``, the
default: a cut row would blank attributes), or a row whose missing trailing
cells are empty (``pad``, for a format that leaves trailing empty cells out)."""

MAX_CELL = 16 * 1024 * 1024
"""The most characters a CSV cell may hold (the ``csv`` module stops at 128 KiB).

Long descriptions and work notes fit; a larger cell is reported as such, or
as an unclosed quote when that is what made it."""

_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_HEADER_NOISE = re.compile(r"[\s_.\-]+")


def normalize_header(name: str) -> str:
    """The form in which two column names are compared when they differ in spelling.

    ``Serial number``, ``serial_number`` and ``SERIAL-NUMBER`` compare equal,
    so that a mapping written for a ServiceNow CSV export (field names) also
    reads its Excel export (labels).
    """
    return _HEADER_NOISE.sub(" ", name.strip().casefold()).strip()


@dataclass(frozen=True)
class Table:
    """A table read from an export: its columns and its rows as text.

    ``rows`` holds ``(row_number, cells)`` pairs (a list; for a CSV read with
    ``stream``, an iterator that makes them as it is read, once); ``row_number`` is, for CSV,
    the line of the file where the row starts, for XLSX the sheet's row number
    (header = row 1), for JSON the 1-based index of the object. ``records``
    maps a CSV row number to its record number (as a spreadsheet numbers the
    row) where the two differ. Every cell of every column is present (``""``
    when empty). ``problems`` are rows that could not be read (too many or too
    few cells, not an object, a NUL character); they are not in ``rows`` (a
    streamed table finds them as its rows are read: whole once they are).
    """

    file: str
    columns: list[str]
    rows: Iterable[tuple[int, dict[str, str]]]
    problems: list[Problem] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    records: Mapping[int, int] = field(default_factory=dict)
    repeated: Mapping[str, list[str]] = field(default_factory=dict)
    """A header the file holds more than once -> the columns it became (``Name``,
    ``Name (2)``…): a mapping naming it is refused, it could take the wrong one."""

    def origin(self, row: int) -> Origin:
        """Where the row numbered ``row`` comes from, its record number with it when it differs."""
        return Origin(self.file, row, self.records.get(row))

    def column(self, names: str | Iterable[str]) -> str | None:
        """The first of ``names`` that is a column of this table, else None.

        A name matches exactly, else after :func:`normalize_header`.
        """
        wanted = [names] if isinstance(names, str) else list(names)
        present = set(self.columns)
        for name in wanted:
            if name in present:
                return self._single(name, [name])
        normalized: dict[str, list[str]] = {}
        for c in self.columns:
            normalized.setdefault(normalize_header(c), []).append(c)
        for name in wanted:
            found = normalized.get(normalize_header(name))
            if found is not None:
                return self._single(name, found)
        return None

    def _single(self, name: str, found: list[str]) -> str:
        """The one column ``found`` for ``name``; a SourceError when the header says more."""
        same = [c for f in found for c in self.repeated.get(f, [f])]
        if len(same) == 1:
            return same[0]
        places = ", ".join(f"{c!r} (column {self.columns.index(c) + 1})" for c in same)
        raise SourceError(
            f"{self.file}: the header holds {name!r} more than once: {places}",
            hint="rename the columns in the export so that each name is once in the header; "
            "a mapping may name the second as it is listed here",
        )

    def present(self, names: Iterable[str]) -> list[str]:
        """The columns of this table matching ``names``, in the order of ``names``."""
        found: list[str] = []
        for name in names:
            col = self.column(name)
            if col is not None and col not in found:
                found.append(col)
        return found

    def columns_text(self, *, quoted: bool = False) -> str:
        """The columns for a message: the first 30, then how many more; ``none`` if there are none."""
        if not self.columns:
            return "none"
        shown = ", ".join(repr(c) if quoted else c for c in self.columns[:30])
        more = len(self.columns) - 30
        return shown + (f" and {more} more" if more > 0 else "")


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    short_rows: str = "error",
    stream: bool = False,
) -> Table:
    """Read a CSV, XLSX or JSON export.

    The format follows the extension (``.csv``/``.tsv``/``.txt``, ``.xlsx``/
    ``.xlsm``, ``.json``), else the content. CSV: the encoding is UTF-8 (with
    or without BOM), UTF-16 with BOM or, recognised by its zero bytes, without
    one, else Windows-1252; the delimiter is the one of ``,`` ``;`` tab ``|``
    most frequent on the header line, quotes respected; ``short_rows`` says
    what a row with fewer cells than the header is (see :data:`SHORT_ROWS`).
    XLSX: the first sheet unless ``sheet``. JSON: a list of objects, or an
    object holding one under ``records`` or ``result`` (ServiceNow exports and
    REST answers).

    Raises :class:`~ea_repo.errors.SourceError` when the file cannot be read
    as a table at all (truncated inside a quoted cell, nested too deep, not
    text); rows that cannot be read are in ``Table.problems``. ``stream``: a
    CSV's rows are made as the caller reads them, never all held at once (a
    million-row export); the errors above are then raised while it reads.
    """
    if short_rows not in SHORT_ROWS:
        raise SourceError(
            f"short_rows {short_rows!r} is not one of {', '.join(SHORT_ROWS)}",
            hint="pad: the format leaves trailing empty cells out; error: a short row is a problem",
        )
    p = Path(path)
    name = str(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(f"{name}: file not found", hint="check the path") from exc
    except IsADirectoryError as exc:
        raise SourceError(f"{name}: is a directory, not a file") from exc
    except OSError as exc:
        raise SourceError(f"{name}: cannot read: {exc.strerror}") from exc

    with gc_paused():
        return _read(name, p, data, sheet, encoding, delimiter, short_rows, stream)


def _read(
    name: str,
    p: Path,
    data: bytes,
    sheet: str | None,
    encoding: str | None,
    delimiter: str | None,
    short_rows: str,
    stream: bool = False,
) -> Table:
    kind = _kind_of(p, data)
    if kind == "xls":
        raise SourceError(
            f"{name}: an old Excel .xls workbook, which cannot be read",
            hint="save it as .xlsx or as CSV",
        )
    if kind == "xlsx":
        return _read_xlsx(name, data, sheet)
    if sheet is not None:
        raise SourceError(f"{name}: a sheet was given but the file is not an XLSX workbook")
    text, used = _decode(name, data, encoding)
    if kind == "json":
        return _read_json(name, text, used)
    return _read_csv(name, text, used, delimiter, short_rows, stream)


# ----------------------------------------------------------------------- format


def _kind_of(path: Path, data: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == ".xls":
        return "xls"
    if suffix == ".json":
        return "json"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2 container: legacy .xls
        return "xls"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" if head[:1] in (b"[", b"{") else "csv"


# --------------------------------------------------------------------- encoding


def _decode(name: str, data: bytes, encoding: str | None) -> tuple[str, str]:
    """Decode ``data``: the given encoding, else UTF-8/UTF-16 by BOM, UTF-8, cp1252."""
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except LookupError as exc:
            raise SourceError(
                f"{name}: unknown encoding {encoding!r}", hint="e.g. utf-8, cp1252, latin-1"
            ) from exc
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{name}: not {encoding} text: {_where(data, exc.start)}",
                hint="leave the encoding out to let it be detected",
            ) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(name, data[3:], "utf-8", "UTF-8 (it starts with a UTF-8 BOM)"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(name, data, "utf-16", "UTF-16 (it starts with a UTF-16 BOM)"), "utf-16"
    if b"\x00" in data[:4096]:
        utf16 = _utf16_without_bom(data)
        if utf16 is not None:
            return utf16
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise SourceError(
            f"{name}: a binary file, not a text export: it holds NUL bytes (the first at line {line})",
            hint="export the list as CSV, XLSX or JSON; if it is text in UTF-16 or UTF-32 "
            "without BOM, save it again as UTF-8, or give its encoding (e.g. `encoding: utf-16-le`)",
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _UTF8_SEQUENCE.search(data):
        # UTF-8 characters elsewhere mean this is broken UTF-8, not cp1252:
        # reading it as cp1252 would turn every accent into mojibake.
        raise SourceError(
            f"{name}: not valid UTF-8: {_where(data, utf8_error.start)}, "
            "though other characters are UTF-8",
            hint="the file mixes encodings; re-export it as UTF-8 (Excel: 'CSV UTF-8')",
        )
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{name}: cannot decode: not UTF-8 ({_where(data, utf8_error.start)}) "
            f"and not Windows-1252 either ({_where(data, exc.start)})",
            hint="re-export the file as UTF-8 (Excel: 'CSV UTF-8'), or give its encoding",
        ) from exc


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """The text and encoding (``utf-16-le`` or ``-be``) of UTF-16 ``data`` written without
    a BOM; None when it is not that.

    Delimiters, digits, line ends and Latin letters are below U+0100, so in
    UTF-16 one byte of each of their pairs is zero: the second in little-endian,
    the first in big-endian. Text of another script still has its delimiters
    and line ends (a tenth of its pairs at least); a binary file has zeros on
    both sides, or does not decode to lines of text.
    """
    sample = data[:4096]
    pairs = len(sample) // 2
    low, high = sample[0 : pairs * 2 : 2].count(0), sample[1 : pairs * 2 : 2].count(0)
    if high >= pairs * 0.1 and low <= high * 0.05:
        encoding = "utf-16-le"
    elif low >= pairs * 0.1 and high <= low * 0.05:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    head = text[:2048]
    return (text, encoding) if "\0" not in text and ("\n" in head or "\r" in head) else None


def _strict(name: str, data: bytes, encoding: str, what: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"{name}: claims to be {what} but is not: {_where(data, exc.start)}",
            hint="re-export the file as UTF-8",
        ) from exc


def _where(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    return f"byte 0x{data[offset]:02X} at line {line}"


# -------------------------------------------------------------------------- CSV


def _read_csv(
    name: str,
    text: str,
    encoding: str,
    delimiter: str | None,
    short_rows: str = "error",
    stream: bool = False,
) -> Table:
    if delimiter is None:
        delimiter = detect_delimiter(text)
    elif delimiter.lower() in ("tab", "\\t"):
        delimiter = "\t"
    if len(delimiter) != 1:
        raise SourceError(
            f"{name}: the delimiter must be one character, got {delimiter!r}",
            hint="e.g. ',' ';' 'tab' '|'",
        )
    numbers: dict[int, int] = {}
    return _build(
        name,
        _csv_records(name, text, delimiter, numbers),
        encoding=encoding,
        delimiter=delimiter,
        kind="CSV",
        numbers=numbers,
        short_rows=short_rows,
        nul="\0" in text,
        stream=stream,
    )


def _csv_records(
    name: str, text: str, delimiter: str, numbers: dict[int, int]
) -> Iterator[tuple[int, list[str]]]:
    """The records of CSV ``text``, each with the line it starts on, one at a time (a
    table's rows are made as they are read: the raw records are never all held).

    A record is one spreadsheet row even when a quoted cell spans lines: rows are
    numbered by the line they start on, and ``numbers`` is given the record number
    where it differs. Raises :class:`~ea_repo.errors.SourceError` where the csv
    module gives up, and at the end when the text ends inside a quoted cell.
    """
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(_lines(text), delimiter=delimiter)
    start = last = 1
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if start != number:
                numbers[start] = number
            last = start
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        number += 1  # the record the reader gave up on
        raise _unreadable(
            name, text, start, number if number != start else None, delimiter, exc
        ) from exc
    if number:
        offset = _last_line_offset(text) if last == reader.line_num else _line_offset(text, last)
        if _ends_in_quotes(text, offset, delimiter):
            raise _truncated(name, last, numbers.get(last))


def _truncated(name: str, line: int, record: int | None) -> SourceError:
    problem = Problem(
        "the file ends inside a quoted cell opened in the row starting here: the export is "
        "truncated (or that quote is never closed); nothing was read",
        name,
        line,
        "export it again; if the file is whole, close the quote",
        record,
    )
    return SourceError(str(problem), problems=[problem])


def _unreadable(
    name: str, text: str, line: int, record: int | None, delimiter: str, exc: csv.Error
) -> SourceError:
    """The error for a CSV the csv module gives up on at the row starting at ``line``."""
    if str(exc).startswith("field larger than field limit"):
        if _ends_in_quotes(text, _line_offset(text, line), delimiter):
            return _truncated(name, line, record)
        problem = Problem(
            f"a cell of the row starting here holds more than {MAX_CELL // (1024 * 1024)} MiB, "
            "the most a cell may hold; nothing was read",
            name,
            line,
            "no attribute is that large: leave that column out of the export, or cut the cell",
            record,
        )
    else:
        problem = Problem(
            f"unreadable CSV: {exc}", name, line, "a quote is probably not closed", record
        )
    return SourceError(str(problem), problems=[problem])


_CHUNK = 1 << 20  # characters of text given to one StringIO


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends (``\n``, ``\r\n`` or ``\r``), as the csv
    module reads them from a file opened with ``newline=""``.

    A megabyte at a time: ``io.StringIO`` copies its text at four bytes a character
    (a 400 MB export would take 1.6 GB more while it is read). Each piece ends after
    a ``\n``, so no line end is cut in two.
    """
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + _CHUNK)
        end = size if end < 0 else end + 1
        yield from io.StringIO(text[start:end], newline="")
        start = end


def _line_offset(text: str, line: int) -> int:
    """The offset in ``text`` of the start of line ``line`` (1-based), lines ending as
    the csv module reads them (``\n``, ``\r\n`` or ``\r``)."""
    return sum(map(len, islice(_lines(text), line - 1)))


def _last_line_offset(text: str) -> int:
    """The offset of the start of the last line of ``text`` (a final line end ends it)."""
    end = len(text)
    if text.endswith("\r\n"):
        end -= 2
    elif text.endswith(("\n", "\r")):
        end -= 1
    return max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1


def _ends_in_quotes(text: str, start: int, delimiter: str) -> bool:
    """Whether CSV ``text``, read from ``start`` (the start of a row), ends inside a quoted cell.

    Quotes are read as the csv module reads them: one opens a quoted cell only
    at the start of a cell, ``""`` inside is a quote, and after the closing
    quote the cell goes on unquoted. Only quotes are visited, not every character.
    """
    i = text.find('"', start)
    while i >= 0:
        if i == start or text[i - 1] in (delimiter, "\n", "\r"):
            while True:  # inside a quoted cell: find the quote that closes it
                i = text.find('"', i + 1)
                if i < 0:
                    return True
                if text.startswith('"', i + 1):
                    i += 1  # a doubled quote stands for one
                    continue
                break
        i = text.find('"', i + 1)
    return False


def detect_delimiter(text: str) -> str:
    """The delimiter of CSV ``text``: the candidate most frequent on its header line.

    Delimiters inside quoted fields are not counted. A file with a single
    column (no candidate on the header line) reads with ``,``.
    """
    header = _first_record_text(text)
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first on a tie
    return best if counts[best] else ","


def _first_record_text(text: str) -> str:
    """The text of the first non-blank record (up to an unquoted line end)."""
    start = 0
    while True:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if line.strip() or end < 0:
            break
        start = end + 1
    quoted = False
    for i in range(start, len(text)):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif ch in "\r\n" and not quoted:
            return text[start:i]
    return text[start:]


# ------------------------------------------------------------------------- XLSX


def _read_xlsx(name: str, data: bytes, sheet: str | None) -> Table:
    import openpyxl  # imported here: only XLSX imports pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise SourceError(
            f"{name}: not a readable XLSX workbook",
            hint="open it in Excel and save it again as .xlsx, or export as CSV",
        ) from exc
    try:
        if sheet is None:
            worksheet = workbook.worksheets[0]
        elif sheet in workbook.sheetnames:
            worksheet = workbook[sheet]
        else:
            raise SourceError(
                f"{name}: no sheet named {sheet!r}",
                hint=f"sheets: {', '.join(workbook.sheetnames)}",
            )
        records: list[tuple[int, list[str]]] = []
        number = 0
        for cells in worksheet.iter_rows():
            number += 1
            for cell in cells:
                row = getattr(cell, "row", None)
                if row is not None:
                    number = row
                    break
            records.append((number, [_cell_text(c) for c in cells]))
    finally:
        workbook.close()
    return _build(name, records, kind="sheet")


def _cell_text(cell: Any) -> str:
    value = cell.value
    if isinstance(value, dt.datetime):
        fmt = str(getattr(cell, "number_format", "") or "").lower()
        if value.time() == dt.time(0) and "h" not in fmt:
            return value.date().isoformat()  # a date-only cell, as Excel shows it
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return scalar_text(value)


def scalar_text(value: Any) -> str:
    """A cell value as text: integral floats without ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    return str(value)


# ------------------------------------------------------------------------- JSON


def parse_json(text: str, name: str, *, hint: str) -> Any:
    """The data of the JSON ``text`` read from the file ``name``.

    Raises :class:`~ea_repo.errors.SourceError` naming the line and column of
    a syntax error (with ``hint``), or saying the data nests deeper than can
    be read (Python's parser recurses once per level).
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}",
            problems=[Problem(f"invalid JSON: {exc.msg} (column {exc.colno})", name, exc.lineno)],
            hint=hint,
        ) from None
    except RecursionError:
        raise _too_deep(name) from None


def _too_deep(name: str) -> SourceError:
    return SourceError(
        f"{name}: JSON nested too deeply to be read: lists or objects inside one another "
        f"more than about {sys.getrecursionlimit()} levels down",
        hint="an export of rows is a list of objects a level or two deep; is this the right file?",
    )


def _read_json(name: str, text: str, encoding: str) -> Table:
    data = parse_json(text, name, hint="the export may be truncated")
    items = data
    if isinstance(data, dict):
        for key in ("records", "result"):
            if isinstance(data.get(key), list):
                items = data[key]
                break
        else:
            keys = ", ".join(sorted(map(str, data))[:8]) or "none"
            raise SourceError(
                f"{name}: a JSON object without a 'records' or 'result' list (keys: {keys})",
                hint='give a list of objects, or a ServiceNow export {"records": [...]}',
            )
    if not isinstance(items, list):
        raise SourceError(
            f"{name}: JSON of type {type(items).__name__}, not a list of objects",
            hint='give a list of objects, or a ServiceNow export {"records": [...]}',
        )
    columns: dict[str, None] = {}
    flat: list[tuple[int, dict[str, str] | None]] = []
    try:
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                flat.append((index, None))
                continue
            cells = _flatten(item)
            columns.update(dict.fromkeys(cells))
            flat.append((index, cells))
    except RecursionError:  # lists in lists in a cell, just below the parser's limit
        raise _too_deep(name) from None
    if flat and not columns and all(found is None for _, found in flat):
        # not one object (e.g. a list of lists): a table shape, not a row's mistake
        raise SourceError(
            f"{name}: a JSON list of {type(items[0]).__name__} items, not of objects",
            hint='give a list of objects, or a ServiceNow export {"records": [...]}',
        )
    names = list(columns)
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[Problem] = []
    nul = "\\u0000" in text
    for index, found in flat:
        if found is None:
            problems.append(
                Problem(f"item {index} is not an object", name, index, "each item must be {...}")
            )
        elif nul and (problem := _nul_problem(found, name, index, None)) is not None:
            problems.append(problem)
        elif any(v for v in found.values()):
            rows.append((index, {c: found.get(c, "") for c in names}))
    return Table(name, names, rows, problems, encoding=encoding)


def _flatten(item: dict[str, Any]) -> dict[str, str]:
    """One JSON object as cells; nested objects give ``key.sub`` cells too.

    A nested ``{"display_value": ..., "value": ...}`` (ServiceNow with
    ``sysparm_display_value=all``, or a reference ``{"link", "value"}``) gives
    its display value as the cell ``key``, and ``key.value`` keeps the raw
    value (the sys_id of a reference).
    """
    cells: dict[str, str] = {}
    for key, value in item.items():
        key = str(key).strip()
        if isinstance(value, dict):
            main = value.get("display_value", value.get("value", ""))
            cells[key] = _json_text(main)
            for sub, subvalue in value.items():
                if not isinstance(subvalue, dict | list):
                    cells[f"{key}.{sub}"] = _json_text(subvalue)
        else:
            cells[key] = _json_text(value)
    return cells


def _json_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_json_text(v) for v in value if v is not None)
    if isinstance(value, dict):
        return _json_text(value.get("display_value", value.get("value", "")))
    return scalar_text(value).strip()


# ------------------------------------------------------------------------ shared


def _build(
    name: str,
    records: Iterable[tuple[int, list[str]]],
    *,
    kind: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    numbers: Mapping[int, int] | None = None,
    short_rows: str = "pad",
    nul: bool = False,
    stream: bool = False,
) -> Table:
    """Turn raw records (header first) into a :class:`Table`.

    ``numbers`` maps a row number to its record number where they differ;
    ``short_rows`` says whether a row with fewer cells than the named columns
    is a problem (``error``) or padded (``pad``: a sheet leaves out empty
    cells); ``nul`` says the text holds NUL characters, which rows to refuse.
    ``stream``: the header is read now, the rows as the table's reader asks.
    """
    numbers = {} if numbers is None else numbers
    given = iter(records)
    header = next((cells for _, cells in given if any(_clean(c) for c in cells)), None)
    if header is None:
        raise SourceError(f"{name}: empty {kind}: no header row", hint="is this the right file?")
    header_cells = [_clean(c) for c in header]
    columns: list[str] = []
    slots: list[tuple[int, str]] = []  # (cell index, column name) of named columns
    repeated: dict[str, list[str]] = {}
    for index, raw in enumerate(header_cells):
        if not raw:
            continue  # an unnamed column: nothing can be mapped from it
        column = raw
        n = 2
        while column in columns:
            column = f"{raw} ({n})"
            n += 1
        if column != raw:
            repeated.setdefault(raw, [raw]).append(column)
        columns.append(column)
        slots.append((index, column))
    width = len(header_cells)
    needed = slots[-1][0] + 1 if slots and short_rows == "error" else 0
    # the usual case, named columns first and side by side, takes the fast path
    leading = len(slots) if all(i == n for n, (i, _) in enumerate(slots)) else -1
    problems: list[Problem] = []
    rows = _rows(
        given, name, columns, slots, width, needed, leading, delimiter, numbers, nul, problems
    )
    return Table(
        name,
        columns,
        rows if stream else list(rows),
        problems,
        encoding=encoding,
        delimiter=delimiter,
        records=numbers,
        repeated={raw: same for raw, same in repeated.items()},
    )


def _rows(
    records: Iterator[tuple[int, list[str]]],
    name: str,
    columns: list[str],
    slots: list[tuple[int, str]],
    width: int,
    needed: int,
    leading: int,
    delimiter: str | None,
    numbers: Mapping[int, int],
    nul: bool,
    problems: list[Problem],
) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of ``records`` (those after the header) as cells by column; the records
    that cannot be rows go to ``problems`` (see :func:`_build`)."""
    for number, cells in records:
        if not "".join(cells).strip():
            continue
        if len(cells) > width and "".join(cells[width:]).strip():
            sep = f" {delimiter!r}" if delimiter else ""
            problems.append(
                Problem(
                    f"row has {len(cells)} cells but the header has {width} columns; row ignored",
                    name,
                    number,
                    f"a value probably contains the delimiter{sep} without quotes",
                    numbers.get(number),
                )
            )
            continue
        if len(cells) < needed:
            problems.append(
                Problem(
                    f"row has {len(cells)} cells but the header has {needed} columns; row ignored",
                    name,
                    number,
                    "the row is cut or lacks cells; if the export leaves trailing empty cells "
                    "out, say so with `short_rows: pad` (in the mapping or the source)",
                    numbers.get(number),
                )
            )
            continue
        if len(cells) >= leading >= 0:
            row = dict(zip(columns, map(str.strip, cells), strict=False))
        else:
            row = {col: (cells[i].strip() if i < len(cells) else "") for i, col in slots}
        if nul and (problem := _nul_problem(row, name, number, numbers.get(number))) is not None:
            problems.append(problem)
            continue
        yield number, row


def _nul_problem(
    cells: Mapping[str, str], name: str, number: int, record: int | None
) -> Problem | None:
    """The problem of a row with a NUL character in a cell, if it has one.

    Such a row is refused, not cleaned: NUL is no character of any text a
    CMDB holds; it comes from a damaged file or binary data pasted in, and
    dropping it silently would store a value the source does not hold.
    """
    column = next((c for c, v in cells.items() if "\0" in v), None)
    if column is None:
        return None
    return Problem(
        f"column {column!r} holds a NUL character (\\0); row ignored",
        name,
        number,
        "NUL is not text: the export is damaged or holds binary data; fix that cell "
        "in the source, or export again",
        record,
        column,
    )


def _clean(header: str) -> str:
    return header.replace("\ufeff", "").strip()
