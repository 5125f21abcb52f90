"""read_table: CSV (encodings, delimiters), XLSX and JSON exports into numbered rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from ea_repo.errors import SourceError
from ea_repo.importers import tabular
from ea_repo.importers.tabular import detect_delimiter, normalize_header, read_table

DATA = Path(__file__).parent.parent / "data" / "cmdb"


def test_servicenow_list_export_csv() -> None:
    table = read_table(DATA / "servicenow_cmdb_ci_list.csv")
    assert table.encoding == "utf-8"
    assert table.delimiter == ","
    assert table.columns[:4] == ["name", "class", "install_status", "operational_status"]
    assert len(table.columns) == 19
    assert [n for n, _ in table.rows] == list(range(2, 17))
    number, first = table.rows[0]
    assert (number, first["name"], first["class"], first["ram"]) == (
        2,
        "web01",
        "Linux Server",
        "16,384",
    )
    assert first["manufacturer"] == "VMware, Inc."  # a quoted delimiter stays in its cell
    assert first["sys_updated_on"] == "2024-05-16 12:40:57"
    assert table.problems == []


def test_french_excel_export_semicolon_cp1252() -> None:
    table = read_table(DATA / "inventaire_excel_fr.csv")
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert table.columns == [
        "Identifiant",
        "Nom",
        "Catégorie",
        "Statut",
        "Adresse IP",
        "Système",
        "Mémoire (Go)",
        "Fin de support",
        "Environnement",
        "Responsable",
    ]
    # the blank line 4 and the trailing ";;;;" row are skipped, numbering as Excel shows it
    assert [n for n, _ in table.rows] == [2, 3, 5, 6, 7]
    rows = dict(table.rows)
    assert rows[3]["Nom"] == "Entrepôt – base WMS"  # en dash: cp1252, not latin-1
    assert rows[3]["Mémoire (Go)"] == "1\u00a0024"
    assert rows[2]["Responsable"] == "Équipe Systèmes"


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("\ufeffname,class\r\nweb01,Serveur Réseau\r\n".encode(), "utf-8-sig"),
        ("name,class\nweb01,Serveur Réseau\n".encode(), "utf-8"),
        ("name,class\nweb01,Serveur Réseau\n".encode("cp1252"), "cp1252"),
        ("name\tclass\r\nweb01\tServeur Réseau\r\n".encode("utf-16"), "utf-16"),
    ],
)
def test_encodings_are_detected(tmp_path: Path, content: bytes, encoding: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    table = read_table(path)
    assert table.encoding == encoding
    assert table.columns == ["name", "class"]  # the BOM is not part of the first header
    assert table.rows == [(2, {"name": "web01", "class": "Serveur Réseau"})]


def test_mixed_encoding_is_refused_not_mangled() -> None:
    path = DATA / "broken_mixed_encoding.csv"
    with pytest.raises(SourceError) as err:
        read_table(path)
    assert str(err.value) == (
        f"{path}: not valid UTF-8: byte 0x81 at line 3, though other characters are UTF-8"
    )
    assert err.value.hint == "the file mixes encodings; re-export it as UTF-8 (Excel: 'CSV UTF-8')"


def test_undecodable_file() -> None:
    path = DATA / "broken_undecodable.csv"
    with pytest.raises(SourceError) as err:
        read_table(path)
    assert str(err.value) == (
        f"{path}: cannot decode: not UTF-8 (byte 0x81 at line 3) "
        "and not Windows-1252 either (byte 0x81 at line 3)"
    )
    assert "re-export the file as UTF-8" in (err.value.hint or "")


def test_explicit_encoding_that_does_not_fit(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("name\nCafé\n".encode("cp1252"))
    with pytest.raises(SourceError, match=r"x\.csv: not utf-8 text: byte 0xE9 at line 2"):
        read_table(path, encoding="utf-8")
    assert read_table(path, encoding="cp1252").rows == [(2, {"name": "Café"})]


def test_too_many_cells_is_a_row_problem() -> None:
    path = DATA / "broken_too_many_cells.csv"
    table = read_table(path)
    assert table.delimiter == ";"
    # row 4 ends with an empty extra cell (a trailing ';'): harmless, kept
    assert [(n, r["name"]) for n, r in table.rows] == [(2, "web01"), (4, "web03")]
    assert [str(p) for p in table.problems] == [
        f"{path}:3: row has 5 cells but the header has 4 columns; row ignored — "
        "a value probably contains the delimiter ';' without quotes"
    ]


def test_quoted_multiline_cells_count_as_one_row(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('name,short_description\nweb01,"line one\nline two"\n\nweb02,x\n', "utf-8")
    table = read_table(path)
    # numbered by the line each row starts on; web02 is record 4 (as a spreadsheet
    # shows it) on line 5
    assert table.rows == [
        (2, {"name": "web01", "short_description": "line one\nline two"}),
        (5, {"name": "web02", "short_description": "x"}),
    ]
    assert table.records == {4: 3, 5: 4}  # line 4, the blank record 3, is no row
    assert str(table.origin(5)) == f"{path}:5 (record 4)"
    assert str(table.origin(2)) == f"{path}:2"


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_rows_are_the_same_whatever_the_pieces_the_text_is_read_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """The text is given to the csv module a piece at a time (see ``_lines``): line ends
    of every kind and quoted cells spanning lines read the same across the cuts."""
    monkeypatch.setattr(tabular, "_CHUNK", chunk)
    path = tmp_path / "x.csv"
    path.write_bytes(
        b'name,short_description\r\nweb01,"line one\r\nline two"\r\n\r\n'
        b"web02,x\rweb03,\"a\nb\"\nweb04,last"
    )
    table = read_table(path, stream=chunk == 7)
    assert list(table.rows) == [
        (2, {"name": "web01", "short_description": "line one\r\nline two"}),
        (5, {"name": "web02", "short_description": "x"}),
        (6, {"name": "web03", "short_description": "a\nb"}),
        (8, {"name": "web04", "short_description": "last"}),
    ]
    assert table.records == {4: 3, 5: 4, 6: 5, 8: 6}


def test_a_streamed_table_finds_its_problems_as_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,class\nweb01,Server\nweb02,Server,extra\nweb03\n", "utf-8")
    table = read_table(path, stream=True)
    assert table.columns == ["name", "class"] and table.problems == []
    assert [n for n, _ in table.rows] == [2]
    assert [(p.line, p.message) for p in table.problems] == [
        (3, "row has 3 cells but the header has 2 columns; row ignored"),
        (4, "row has 1 cells but the header has 2 columns; row ignored"),
    ]
    truncated = tmp_path / "t.csv"
    truncated.write_text('name,class\nweb01,"Ser', "utf-8")
    rows = read_table(truncated, stream=True).rows
    with pytest.raises(SourceError, match="the export is truncated"):
        list(rows)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("name,class,ip", ","),
        ("name;class;ip", ";"),
        ("name\tclass\tip", "\t"),
        ("name|class|ip", "|"),
        ('"name; full",class,ip', ","),  # quoted delimiters do not count
        ('"Nom, complet";"Classe";"IP"', ";"),
        ("name", ","),
        ("\n\nname;class\n", ";"),
    ],
)
def test_detect_delimiter(header: str, expected: str) -> None:
    assert detect_delimiter(header + "\nx") == expected


def test_headers_are_trimmed_and_duplicates_renamed(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(" name , Name ,name,,\nweb01,a,b,c,\n", "utf-8")
    table = read_table(path)
    assert table.columns == ["name", "Name", "name (2)"]
    assert table.rows == [(2, {"name": "web01", "Name": "a", "name (2)": "b"})]


def test_column_lookup_ignores_case_spaces_and_underscores() -> None:
    table = read_table(DATA / "inventaire_excel_fr.csv")
    assert table.column("Adresse IP") == "Adresse IP"
    assert table.column(["adresse_ip"]) == "Adresse IP"
    assert table.column(["missing", "fin-de-support"]) == "Fin de support"
    assert table.column("nothing") is None
    assert (
        normalize_header(" Serial_Number ") == normalize_header("serial number") == "serial number"
    )


def test_missing_empty_and_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nope\.csv: file not found"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("\n\n", "utf-8")
    with pytest.raises(SourceError, match=r"empty\.csv: empty CSV: no header row"):
        read_table(tmp_path / "empty.csv")
    with pytest.raises(SourceError, match="is a directory"):
        read_table(tmp_path)


def test_legacy_xls_and_binary_files_are_refused(tmp_path: Path) -> None:
    xls = tmp_path / "export.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    with pytest.raises(SourceError) as err:
        read_table(xls)
    assert str(err.value) == f"{xls}: an old Excel .xls workbook, which cannot be read"
    assert err.value.hint == "save it as .xlsx or as CSV"
    blob = tmp_path / "export.csv"
    blob.write_bytes(b"name\x00\x01\x02")
    with pytest.raises(SourceError, match="a binary file, not a text export"):
        read_table(blob)


# ---------------------------------------------------------------------- XLSX


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """A ServiceNow list exported to Excel: labels as headers, typed cells, two sheets."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Page 1"
    ws.append(["Name", "Class", "CPU count", "RAM (MB)", "Updated", "Installed", "Virtual"])
    ws.append(
        [
            "web01",
            "Linux Server",
            4,
            16384.0,
            dt.datetime(2024, 5, 16, 12, 40, 57),
            dt.date(2021, 3, 1),
            False,
        ]
    )
    ws.append([])
    ws.append(["db01", "Linux Server", 16.5, None, None, None, True])
    other = wb.create_sheet("Relations")
    other.append(["parent", "type", "child"])
    other.append(["CRM", "Runs on::Runs", "web01"])
    path = tmp_path / "cmdb_ci.xlsx"
    wb.save(path)
    return path


def test_xlsx_first_sheet(workbook: Path) -> None:
    table = read_table(workbook)
    assert table.columns == [
        "Name",
        "Class",
        "CPU count",
        "RAM (MB)",
        "Updated",
        "Installed",
        "Virtual",
    ]
    assert table.rows == [
        (
            2,
            {
                "Name": "web01",
                "Class": "Linux Server",
                "CPU count": "4",
                "RAM (MB)": "16384",
                "Updated": "2024-05-16 12:40:57",
                "Installed": "2021-03-01",
                "Virtual": "false",
            },
        ),
        (
            4,
            {
                "Name": "db01",
                "Class": "Linux Server",
                "CPU count": "16.5",
                "RAM (MB)": "",
                "Updated": "",
                "Installed": "",
                "Virtual": "true",
            },
        ),
    ]


def test_xlsx_named_sheet(workbook: Path) -> None:
    table = read_table(workbook, sheet="Relations")
    assert table.rows == [(2, {"parent": "CRM", "type": "Runs on::Runs", "child": "web01"})]
    with pytest.raises(SourceError) as err:
        read_table(workbook, sheet="Sheet9")
    assert str(err.value) == f"{workbook}: no sheet named 'Sheet9'"
    assert err.value.hint == "sheets: Page 1, Relations"


def test_corrupt_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(SourceError, match=r"broken\.xlsx: not a readable XLSX workbook"):
        read_table(path)


# ---------------------------------------------------------------------- JSON


def test_servicenow_json_records() -> None:
    path = DATA / "servicenow_cmdb_ci.json"
    table = read_table(path)
    assert [n for n, _ in table.rows] == [1, 2, 3, 5]
    first = dict(table.rows)[1]
    assert first["location"] == "Lyon DC2"  # display_value wins
    assert first["location.value"] == "25ab9c4d0a0a0bb300f7dabdc0ca7c1c"
    assert dict(table.rows)[3]["short_description"] == ""  # null
    assert [str(p) for p in table.problems] == [
        f"{path}:4: item 4 is not an object — each item must be {{...}}"
    ]


def test_rest_result_with_display_values() -> None:
    table = read_table(DATA / "servicenow_cmdb_rel_ci.json")
    _, row = table.rows[0]
    assert (row["parent"], row["type"], row["child"]) == ("Payroll", "Runs on::Runs", "app-lnx-01")
    assert row["child.value"] == "0c43a5e9c0a8016401b9c5d5fd0a5ab2"


def test_plain_json_list(tmp_path: Path) -> None:
    path = tmp_path / "cis.json"
    path.write_text(
        '[{"name": "a", "cpu": 4, "tags": ["x", "y"]}, {"name": "b", "ram": 1.5}]', "utf-8"
    )
    table = read_table(path)
    assert table.columns == ["name", "cpu", "tags", "ram"]
    assert table.rows == [
        (1, {"name": "a", "cpu": "4", "tags": "x, y", "ram": ""}),
        (2, {"name": "b", "cpu": "", "tags": "", "ram": "1.5"}),
    ]


def test_json_that_is_not_a_table(tmp_path: Path) -> None:
    path = DATA / "broken_not_a_table.json"
    with pytest.raises(SourceError) as err:
        read_table(path)
    assert str(err.value) == (
        f"{path}: a JSON object without a 'records' or 'result' list (keys: error, status)"
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"records": [\n{"name": "a"},\n', "utf-8")
    with pytest.raises(SourceError, match=r"bad\.json:3:1: invalid JSON"):
        read_table(bad)


def test_json_list_of_lists_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text('[["sys_id", "name"], ["a1", "web01"]]', "utf-8")
    with pytest.raises(SourceError) as err:
        read_table(path)
    assert str(err.value) == f"{path}: a JSON list of list items, not of objects"


# ------------------------------------------------- rows cut short, truncated files


def test_a_short_row_is_a_problem_naming_its_line_and_record() -> None:
    path = DATA / "broken_short_row.csv"
    table = read_table(path)
    # web02's row stops after its location: read with the missing cells empty, it would
    # blank its criticality and description. It starts on line 5, the third record.
    assert [(n, r["name"]) for n, r in table.rows] == [(2, "web01"), (6, "db01")]
    assert [str(p) for p in table.problems] == [
        f"{path}:5 (record 3): row has 6 cells but the header has 8 columns; row ignored — "
        "the row is cut or lacks cells; if the export leaves trailing empty cells out, "
        "say so with `short_rows: pad` (in the mapping or the source)"
    ]
    assert (table.problems[0].line, table.problems[0].record) == (5, 3)


def test_short_rows_pad_reads_missing_trailing_cells_as_empty() -> None:
    table = read_table(DATA / "broken_short_row.csv", short_rows="pad")
    assert table.problems == []
    web02 = dict(table.rows)[5]
    assert (web02["location"], web02["busines_criticality"], web02["short_description"]) == (
        "Saint-Denis - DC Paris Nord",
        "",
        "",
    )
    with pytest.raises(SourceError, match="short_rows 'maybe' is not one of error, pad"):
        read_table(DATA / "broken_short_row.csv", short_rows="maybe")


def test_trailing_unnamed_columns_may_be_left_out(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,class,,\nweb01,Linux Server\n", "utf-8")
    assert read_table(path).rows == [(2, {"name": "web01", "class": "Linux Server"})]


def test_a_file_cut_inside_a_quoted_cell_is_refused_as_truncated() -> None:
    path = DATA / "broken_truncated.csv"
    with pytest.raises(SourceError) as err:
        read_table(path)
    # db01's row starts on line 7 (record 4); its location was cut to 'Saint-Denis - DC Paris No'
    assert str(err.value) == (
        f"{path}:7 (record 4): the file ends inside a quoted cell opened in the row starting "
        "here: the export is truncated (or that quote is never closed); nothing was read — "
        "export it again; if the file is whole, close the quote"
    )
    assert [(p.file, p.line, p.record) for p in err.value.problems] == [(str(path), 7, 4)]


@pytest.mark.parametrize(
    "text",
    [
        'name,desc\nweb01,"a ""quoted"" word"\nweb02,"last\nline"',  # doubled quotes close
        'name,desc\nweb01,x\nweb02,"done" and more',  # text after a closing quote
        'name,desc\nweb01,x\nweb02,5" disk',  # a quote inside an unquoted cell is a character
        'name,desc\r\nweb01,x\r\nweb02,"y"\r\n',
        'name,desc\rweb01,x\rweb02,"y"',  # old Mac line ends
    ],
)
def test_whole_files_are_not_taken_for_truncated(tmp_path: Path, text: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode())
    assert [r["name"] for _, r in read_table(path).rows] == ["web01", "web02"]


def test_a_quote_never_closed_names_the_row_where_it_opens(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('name,desc\nweb01,"oops\nweb02,x\nweb03,y\n', "utf-8")
    with pytest.raises(SourceError) as err:
        read_table(path)
    assert str(err.value).startswith(f"{path}:2: the file ends inside a quoted cell")


# ------------------------------------------------------------- cells and encodings


def test_utf16_without_bom_is_read() -> None:
    table = read_table(DATA / "servicenow_utf16le_no_bom.csv")
    assert (table.encoding, table.delimiter) == ("utf-16-le", "\t")
    assert table.rows[0][1]["short_description"] == "Serveur frontal Réseau"


@pytest.mark.parametrize("encoding", ["utf-16-be", "utf-16-le"])
@pytest.mark.parametrize(
    ("header", "row"),
    [(("name", "class"), ("web01", "Serveur Réseau")), (("имя", "класс"), ("сервер", "Линукс"))],
)
def test_utf16_without_bom_either_order_any_script(
    tmp_path: Path, encoding: str, header: tuple[str, str], row: tuple[str, str]
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(f"{';'.join(header)}\r\n{';'.join(row)}\r\n".encode(encoding))
    table = read_table(path)
    assert table.encoding == encoding
    assert table.rows == [(2, dict(zip(header, row, strict=True)))]


def test_a_binary_file_says_where_its_first_nul_byte_is(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"name,class\nweb01,a\x00\x07\x00\x00\x01\x02\xff\n")
    with pytest.raises(SourceError) as err:
        read_table(path)
    assert str(err.value) == (
        f"{path}: a binary file, not a text export: it holds NUL bytes (the first at line 2)"
    )


def test_a_large_cell_reads_and_an_oversized_one_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.csv"
    big = "x" * (10 * 1024 * 1024)  # 10 MB: the csv module alone stops at 128 KiB
    path.write_text(f'name,desc\nweb01,"{big}"\nweb02,y\n', "utf-8")
    table = read_table(path)
    assert [len(r["desc"]) for _, r in table.rows] == [len(big), 1]
    monkeypatch.setattr(tabular, "MAX_CELL", 1024 * 1024)
    path.write_text(f'name,desc\nweb00,"two\nlines"\nweb01,"{big}"\nweb02,y\n', "utf-8")
    with pytest.raises(SourceError) as err:
        read_table(path)
    assert str(err.value).startswith(
        f"{path}:4 (record 3): a cell of the row starting here holds more than 1 MiB, "
        "the most a cell may hold"
    )


def test_nul_characters_in_cells_refuse_the_row(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    filler = "".join(f"srv{i:04},ok\n" for i in range(600))  # past the first 4 KB
    path.write_text(f"name,desc\n{filler}web01,a\x00b\nweb02,fine\n", "utf-8")
    table = read_table(path)
    assert [r["name"] for _, r in table.rows][-1] == "web02"
    assert [(p.line, p.column, p.message) for p in table.problems] == [
        (602, "desc", "column 'desc' holds a NUL character (\\0); row ignored")
    ]
    json_path = tmp_path / "x.json"
    json_path.write_text('[{"name": "web01", "desc": "a\\u0000b"}, {"name": "web02"}]', "utf-8")
    table = read_table(json_path)
    assert [r["name"] for _, r in table.rows] == ["web02"]
    assert [(p.line, p.column) for p in table.problems] == [(1, "desc")]


def test_json_nested_too_deep_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    with pytest.raises(SourceError, match=r"deep\.json: JSON nested too deeply to be read"):
        read_table(path)
