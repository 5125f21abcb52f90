"""Broken input files through `ea import` and `ea sync`, as a user meets them: a clear
error naming the file and line, exit 2, and nothing written."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from ea_repo import Repository
from ea_repo.model import EVERYTHING

CMDB = Path(__file__).parent / "data" / "cmdb"
FLOWS = Path(__file__).parent / "data" / "flows"
WEB02 = "c0000000000000000000000000000002"


def attributes(root: Path) -> dict[str, dict[str, object]]:
    with Repository.open(root) as repo:
        return {e.id: dict(e.attrs) for e in repo.store.iter_elements(EVERYTHING)}


def imported(ea, workspace: Path) -> dict[str, dict[str, object]]:
    """The multi-line export imported once; what the repository then holds."""
    done = ea("import", "cmdb", CMDB / "servicenow_multiline_cells.csv", "--preset", "servicenow")
    assert done.code == 0, done.err
    return attributes(workspace)


def test_a_short_row_wipes_nothing(ea, workspace: Path) -> None:
    before = imported(ea, workspace)
    assert before[WEB02]["description"] == "Second front\nserver"
    short = CMDB / "broken_short_row.csv"
    result = ea("import", "cmdb", short, "--preset", "servicenow")
    assert result.code == 2
    assert f"{short}:5 (record 3): row has 6 cells but the header has 8 columns" in result.err
    assert "short_rows: pad" in result.err
    assert attributes(workspace) == before


def test_a_truncated_export_is_refused(ea, workspace: Path) -> None:
    before = imported(ea, workspace)
    cut = CMDB / "broken_truncated.csv"
    result = ea("import", "cmdb", cut, "--preset", "servicenow")
    assert result.code == 2
    assert f"error: {cut}:7 (record 4): the file ends inside a quoted cell" in result.err
    assert "truncated" in result.err and "Traceback" not in result.err
    assert attributes(workspace) == before


def test_short_rows_pad_in_a_source_of_ea_yaml(ea, workspace: Path) -> None:
    imported(ea, workspace)
    exports = workspace / "exports"
    exports.mkdir()
    shutil.copy(CMDB / "broken_short_row.csv", exports / "cmdb_ci.csv")
    config = workspace / "ea.yaml"
    source = (
        "sources:\n  cmdb:\n    importer: cmdb\n    preset: servicenow\n"
        "    files: [exports/cmdb_ci.csv]\n    short_rows: {}\n"
    )
    base = config.read_text()
    config.write_text(base.replace("sources: {}\n", source.format("sometimes")))
    wrong = ea("sync")
    assert wrong.code == 2
    assert (
        "ea.yaml:" in wrong.err and "short_rows 'sometimes' is not one of error, pad" in wrong.err
    )
    config.write_text(base.replace("sources: {}\n", source.format("pad")))
    padded = ea("sync")
    assert padded.code == 0, padded.err
    assert "description" not in attributes(workspace)[WEB02]  # the source says so explicitly


def test_a_short_row_in_an_interface_catalog(ea, workspace: Path) -> None:
    catalog = FLOWS / "broken_short_row.csv"
    result = ea("import", "flows", catalog, "--dry-run")
    assert result.code == 2
    assert f"{catalog}:3: row has 4 cells but the header has 6 columns" in result.err


def test_utf16_without_bom_imports(ea, workspace: Path) -> None:
    result = ea("import", "cmdb", CMDB / "servicenow_utf16le_no_bom.csv", "--preset", "servicenow")
    assert result.code == 0, result.err
    web01 = attributes(workspace)["c0000000000000000000000000000001"]
    assert web01["description"] == "Serveur frontal Réseau"


def test_json_nested_100000_deep(ea, workspace: Path, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"records": ' + "[" * 100_000 + "]" * 100_000 + "}", "utf-8")
    for command in (["cmdb", deep, "--preset", "servicenow"], ["eol", deep]):
        result = ea("import", *command)
        assert result.code == 2, result.err
        assert f"error: {deep}: JSON nested too deeply to be read" in result.err
        assert "internal error" not in result.err
    assert attributes(workspace) == {}


def test_a_json_list_of_lists_is_refused_by_its_shape(ea, workspace: Path, tmp_path: Path) -> None:
    rows = tmp_path / "rows.json"
    rows.write_text('[["sys_id", "name", "sys_class_name"], ["a1", "web01", "x"]]', "utf-8")
    for command in (["cmdb", rows, "--preset", "servicenow"], ["flows", rows]):
        result = ea("import", *command)
        assert result.code == 2, result.err
        assert f"error: {rows}: a JSON list of list items, not of objects" in result.err
    assert attributes(workspace) == {}


def test_a_problems_file_that_is_a_folder_is_refused_before_the_import(
    ea, workspace: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "problems.json"
    folder.mkdir()
    result = ea(
        "import",
        "cmdb",
        CMDB / "servicenow_cmdb_ci_list.csv",
        "--preset",
        "servicenow",
        "--problems",
        folder,
    )
    assert result.code == 2, result.err
    assert f"error: cannot write {folder}: it is a folder" in result.err
    assert attributes(workspace) == {}  # refused before the run: nothing imported
    result = ea("sync", "--problems", folder)
    assert result.code == 2, result.err
    assert f"error: cannot write {folder}: it is a folder" in result.err


def test_a_problems_file_below_a_file_is_refused_before_the_import(
    ea, workspace: Path, tmp_path: Path
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    below = a_file / "sub" / "problems.csv"
    result = ea(
        "import",
        "cmdb",
        CMDB / "servicenow_cmdb_ci_list.csv",
        "--preset",
        "servicenow",
        "--problems",
        below,
    )
    assert result.code == 2, result.err
    assert f"error: cannot write {below}: {a_file} is a file, not a folder" in result.err
    assert attributes(workspace) == {}


def test_a_nul_character_in_a_cell(ea, workspace: Path, tmp_path: Path) -> None:
    text = (CMDB / "servicenow_multiline_cells.csv").read_bytes().decode()
    # 100 rows first, so that the NUL is past the first 4 KB (where it would make a binary file)
    filler = "".join(f"d{i:031},srv{i},cmdb_ci_linux_server,Installed,,,,\r\n" for i in range(100))
    text = text.replace("\r\nc", "\r\n" + filler + "c", 1)
    nul = tmp_path / "cmdb_ci.csv"
    nul.write_bytes(text.replace("Oracle host", "Oracle\x00host").encode())
    result = ea("import", "cmdb", nul, "--preset", "servicenow")
    assert result.code == 2
    assert f"{nul}:107 (record 104): column 'short_description' holds a NUL character" in result.err
    assert attributes(workspace) == {}


# ------------------------------------------------------- every problem readable


def many_problems(folder: Path, count: int = 150) -> Path:
    """A ServiceNow export whose first row's description spans three lines, then
    ``count`` servers whose cpu_count is 'many', and a row of a class the preset skips."""
    rows = [
        "sys_id,name,sys_class_name,cpu_count,short_description",
        'e0,web00,cmdb_ci_linux_server,4,"Front\nweb\nserver"',
        *(f"e{i},web{i:02},cmdb_ci_linux_server,many,x" for i in range(1, count + 1)),
        "ip1,10.0.0.1,cmdb_ci_ip_address,,",
    ]
    path = folder / "cmdb_ci.csv"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return path


def test_a_failed_import_writes_every_problem(ea, workspace: Path, tmp_path: Path) -> None:
    export = many_problems(tmp_path)
    out, every = tmp_path / "out.json", tmp_path / "problems.csv"
    result = ea(
        "import", "cmdb", export, "--preset", "servicenow", "-f", "json", "-o", out,
        "--problems", every,
    )  # fmt: skip
    assert result.code == 2
    assert "... and 100 more (--problems FILE writes them all)" in result.err
    assert f"wrote 150 problems to {every}" in result.err
    summary = json.loads(out.read_text())  # written although the import failed
    assert (summary["status"], summary["problem_count"]) == ("failed", 150)
    assert len(summary["problems"]) == 150
    # web01, record 3, starts on line 5: the description of web00 spans lines 2 to 4
    assert summary["problems"][0] == {
        "file": str(export),
        "line": 5,
        "record": 3,
        "column": "cpu_count",
        "message": "column 'cpu_count': cannot read 'many' as a number (attribute cpu_count)",
        "hint": "numbers may use thousands separators (3,665 or 1 234,5); "
        "set decimal_comma for French exports",
    }
    assert summary["notes"] == [f"{export}: skipped 1 row: unmapped class 'cmdb_ci_ip_address'"]
    with every.open(newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 150
    assert [(r["source"], r["line"], r["record"], r["column"]) for r in table[:2]] == [
        ("cmdb", "5", "3", "cpu_count"),
        ("cmdb", "6", "4", "cpu_count"),
    ]
    assert f"{export}:5 (record 3): column 'cpu_count'" in result.err
    assert attributes(workspace) == {}


def test_a_successful_import_has_its_notes_in_json_and_an_empty_problems_file(
    ea, workspace: Path, tmp_path: Path
) -> None:
    every = tmp_path / "problems.json"
    every.write_text('[{"message": "from an earlier run"}]')
    result = ea(
        "import", "cmdb", CMDB / "servicenow_cmdb_ci_list.csv", "--preset", "servicenow",
        "-f", "json", "--problems", every,
    )  # fmt: skip
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["status"] == "ok"
    assert any("unmapped class 'IP Address'" in note for note in summary["notes"])
    assert json.loads(every.read_text()) == []
    wrong = ea("import", "flows", FLOWS / "interfaces_en.csv", "--problems", tmp_path / "p.txt")
    assert wrong.code == 2 and "must end in .csv or .json" in wrong.err


def test_sync_json_and_problems_file_carry_every_problem(
    ea, workspace: Path, tmp_path: Path
) -> None:
    exports = workspace / "exports"
    exports.mkdir()
    many_problems(exports)
    config = workspace / "ea.yaml"
    config.write_text(
        config.read_text().replace(
            "sources: {}\n",
            "sources:\n  cmdb:\n    importer: cmdb\n    preset: servicenow\n"
            "    files: [exports/cmdb_ci.csv]\n",
        )
    )
    every = tmp_path / "problems.json"
    result = ea("sync", "--json", "--problems", every)
    assert result.code == 1
    source = json.loads(result.out)["sources"][0]
    assert (source["status"], source["problem_count"], len(source["problems"])) == (
        "failed",
        150,
        150,
    )
    assert source["problems"][-1]["line"] == 154 and source["problems"][-1]["record"] == 152
    assert source["notes"] == [
        f"{exports / 'cmdb_ci.csv'}: skipped 1 row: unmapped class 'cmdb_ci_ip_address'"
    ]
    written = json.loads(every.read_text())
    assert len(written) == 150 and {p["source"] for p in written} == {"cmdb"}
    assert written == [{"source": "cmdb", **p} for p in source["problems"]]


def test_an_archimate_import_has_its_notes_in_json(ea, workspace: Path) -> None:
    model = Path(__file__).parent / "data" / "archimate" / "every_type.xml"
    result = ea("import", "archimate", model, "--dry-run", "-f", "json")
    assert result.code == 0, result.err
    notes = json.loads(result.out)["notes"]
    assert f"{model}: 2 junction(s) resolved into 2 direct relation(s)" in notes
    assert any("kept as associated_with" in note for note in notes)
