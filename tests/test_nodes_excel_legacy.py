"""Excel Reader (XLS), Excel Writer (XLS), Excel Sheet Appender (XLS): KNIME's legacy Excel nodes
checked on workbooks built here with openpyxl (.xlsx) and xlwt (.xls), read back independently."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import UNKNOWN, ConfigureError, NodeError, Table
from engine.core.testing import configure_node, run_node
from nodes.excel_legacy import excel_date, excel_general, excel_number_text

xlwt = pytest.importorskip("xlwt")  # writes the binary .xls test workbooks (test-only dependency)

READ4 = "org.knime.ext.poi2.node.read4.XLSReaderNodeFactory"
READ3 = "org.knime.ext.poi2.node.read3.XLSReaderNodeFactory"
READ2 = "org.knime.ext.poi2.node.read2.XLSReaderNodeFactory"
POI_READ2 = "org.knime.ext.poi.node.read2.XLSReaderNodeFactory"
WRITER = "org.knime.ext.poi2.node.write2.XLSWriter2NodeFactory"
POI_WRITER = "org.knime.ext.poi.node.write2.XLSWriter2NodeFactory"
APPENDER = "org.knime.ext.poi2.node.write2.XLSAppenderNodeFactory"
POI_APPENDER = "org.knime.ext.poi.node.write2.XLSAppenderNodeFactory"


def book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


REPORT = [
    ["Quarterly report"],
    ["id", "x", "when", "flag", "mix", "id"],
    [1, 0.5, dt.datetime(2020, 1, 2), True, "a", 7],
    [2, None, dt.datetime(2020, 1, 2, 3, 4, 5), False, 3, 8],
    [None, None, None, None, None, None],
    [3000000000, 1.5, None, None, 0.25, 9],
]


def test_types_header_and_rows_above_it(tmp_path: Path) -> None:
    f = book(tmp_path / "r.xlsx", {"empty": [], "data": REPORT})
    run = run_node("excel_reader_xls", {"file": str(f), "has_col_hdrs": True, "col_hdr_row": 2})
    out = run.df()
    # the empty first sheet is passed over; the duplicate header gets "_1"
    assert list(out.columns) == ["id", "x", "when", "flag", "mix", "id_1"]
    assert run.outputs[0].types == {
        "id": "String",  # the title row above the header is data, and 3e9 is no int
        "x": "Double",
        "when": "Local Date Time",
        "flag": "Boolean",
        "mix": "String",
        "id_1": "Integer",
    }
    assert run.specs[0] == run.outputs[0].spec
    assert list(out.index) == ["Row0", "Row1", "Row2", "Row3"]  # empty row skipped, header not counted
    assert out["id"].tolist() == ["Quarterly report", "1", "2", "3000000000"]
    assert out["when"].tolist()[:3] == [None, dt.datetime(2020, 1, 2), dt.datetime(2020, 1, 2, 3, 4, 5)]
    assert out["mix"].tolist() == [None, "a", "3", "0.25"]  # numbers as Excel's General shows them
    assert out["id_1"].tolist()[1:] == [7, 8, 9] and pd.isna(out["id_1"].iloc[0])
    assert np.isnan(out["x"].iloc[2]) and out["x"].iloc[3] == 1.5


def test_row_ids_continuous_jumps_and_keep_empty_rows(tmp_path: Path) -> None:
    f = book(tmp_path / "r.xlsx", {"data": REPORT})
    base = {"file": str(f), "has_col_hdrs": True, "col_hdr_row": 2}
    jumps = run_node("excel_reader_xls", {**base, "index_continuous": False, "index_jump_skips": True}).df()
    assert list(jumps.index) == ["Row0", "Row2", "Row3", "Row5"]  # "Row" + the 0-based sheet row
    kept = run_node("excel_reader_xls", {**base, "skip_empty_rows": False}).df()
    assert list(kept.index) == ["Row0", "Row1", "Row2", "Row3", "Row4"]
    assert kept.iloc[3].isna().all()
    with pytest.raises(ConfigureError, match="Exactly one"):
        run_node("excel_reader_xls", {**base, "index_jump_skips": True})


def test_generated_column_names_and_excel_letters(tmp_path: Path) -> None:
    f = book(tmp_path / "r.xlsx", {"data": [["a", None, 1], ["b", None, 2]]})
    plain = run_node("excel_reader_xls", {"file": str(f)}).df()
    assert list(plain.columns) == ["Col0", "Col1"] and list(plain.index) == ["Row0", "Row1"]
    letters = run_node("excel_reader_xls", {"file": str(f), "keep_xl_hdr": True}).df()
    assert list(letters.columns) == ["A", "C"] and list(letters.index) == ["1", "2"]
    wide = run_node("excel_reader_xls", {"file": str(f), "skip_empty_cols": False})
    assert wide.outputs[0].types == {"Col0": "String", "Col1": "String", "Col2": "Integer"}
    assert wide.df()["Col1"].isna().all()
    # KNIME adds the area's first column (B = 2) to an offset that already counts it (read4's
    # fillEmptyColHeaders): the data column C is named D
    area = {"read_all_data": False, "first_row": 1, "first_col": "B", "keep_xl_hdr": True}
    assert list(run_node("excel_reader_xls", {"file": str(f), **area}).df().columns) == ["D"]


def test_row_ids_from_a_column(tmp_path: Path) -> None:
    f = book(tmp_path / "r.xlsx", {"data": [["k", "v"], ["a", 1], ["a", 2], [None, 3], [2.5, 4]]})
    base = {
        "file": str(f),
        "has_col_hdrs": True,
        "has_row_hdrs": True,
        "row_hdr_col": "A",
        "index_continuous": False,
    }
    with pytest.raises(NodeError, match="duplicate row ID 'a'"):
        run_node("excel_reader_xls", base)
    out = run_node("excel_reader_xls", {**base, "uniquify_rowid": True}).df()
    assert list(out.index) == ["a", "a_1", "", "2.5"] and list(out.columns) == ["v"]
    f2 = book(tmp_path / "u.xlsx", {"data": [["k", "v"], ["a", 1], [None, 3]]})
    assert list(run_node("excel_reader_xls", {**base, "file": str(f2)}).df().index) == ["a", "Row2"]


def test_missing_pattern_errors_hidden_columns_and_area(tmp_path: Path) -> None:
    f = tmp_path / "r.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["n", "e", "h", "s"], [1, "#DIV/0!", 5, "NA"], [2, 3, 6, "x"], [3, 4, 7, "y"]):
        ws.append(row)
    ws.column_dimensions["C"].hidden = True
    wb.save(f)
    base = {"file": str(f), "has_col_hdrs": True, "miss_val_pattern": "NA"}
    run = run_node("excel_reader_xls", base)
    assert list(run.df().columns) == ["n", "e", "s"]  # the hidden column C is left out
    assert run.outputs[0].types["e"] == "String" and run.df()["e"].tolist() == ["#XL_EVAL_ERROR#", "3", "4"]
    assert run.df()["s"].tolist() == [None, "x", "y"]
    no_pattern = run_node("excel_reader_xls", {**base, "formula_err_use_pattern": False})
    assert no_pattern.outputs[0].types["e"] == "Integer" and pd.isna(no_pattern.df()["e"].iloc[0])
    shown = run_node("excel_reader_xls", {**base, "skip_hidden_cols": False}).df()
    assert list(shown.columns) == ["n", "e", "h", "s"]
    area = {"read_all_data": False, "first_row": 3, "last_row": 4, "first_col": "A", "last_col": "B"}
    part = run_node("excel_reader_xls", {**base, **area})
    assert list(part.df().columns) == ["n", "e"] and part.outputs[0].types["e"] == "Integer"
    assert part.df()["n"].tolist() == [2, 3] and list(part.df().index) == ["Row0", "Row1"]
    with pytest.raises(ConfigureError, match="First row"):
        run_node("excel_reader_xls", {**base, "read_all_data": False, "first_col": "A"})


def test_sheet_by_name_and_missing_sheet(tmp_path: Path) -> None:
    f = book(tmp_path / "r.xlsx", {"one": [["a"]], "two": [[1], [2]]})
    assert run_node("excel_reader_xls", {"file": str(f), "sheet_name": "two"}).df()["Col0"].tolist() == [1, 2]
    assert run_node("excel_reader_xls", {"file": str(f)}).df()["Col0"].tolist() == ["a"]
    with pytest.raises(ConfigureError, match='does not contain a sheet called "three"'):
        run_node("excel_reader_xls", {"file": str(f), "sheet_name": "three"})
    # a file written later by another node: its spec is unknown until it exists
    assert configure_node("excel_reader_xls", {"file": str(tmp_path / "later.xlsx")}) == [UNKNOWN]


def test_binary_xls_workbook(tmp_path: Path) -> None:
    f = tmp_path / "old.xls"
    wb = xlwt.Workbook()
    wb.add_sheet("blank")
    ws = wb.add_sheet("data")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    pct = xlwt.easyxf(num_format_str="0.00%")
    for c, name in enumerate(["i", "d", "t", "b", "m"]):
        ws.write(0, c, name)
    ws.write(1, 0, 1)
    ws.write(1, 1, 0.25)
    ws.write(1, 2, dt.datetime(2021, 3, 4), date_style)
    ws.write(1, 3, True)
    ws.write(1, 4, 0.125, pct)
    ws.write(2, 0, 2)
    ws.write(2, 1, 3)
    ws.write(2, 4, "text")
    ws.col(5).hidden = True
    ws.write(1, 5, "hidden")
    wb.save(str(f))
    run = run_node("excel_reader_xls", {"file": str(f), "has_col_hdrs": True})
    out = run.df()
    assert run.outputs[0].types == {
        "i": "Integer",
        "d": "Double",
        "t": "Local Date Time",
        "b": "Boolean",
        "m": "String",
    }
    assert out["t"].tolist() == [dt.datetime(2021, 3, 4), None]
    assert out["m"].tolist() == ["12.50%", "text"]  # the number as its cell format shows it
    assert out["d"].tolist() == [0.25, 3.0] and out["b"].tolist()[0] is True


def test_excel_dates_numbers_and_general_format() -> None:
    assert excel_date(1, False) == dt.datetime(1900, 1, 1)
    assert excel_date(0.5, False) == dt.datetime(1899, 12, 31, 12)
    assert excel_date(61, False) == dt.datetime(1900, 3, 1) == excel_date(60, False)
    assert excel_date(43831.75, False) == dt.datetime(2020, 1, 1, 18)
    assert excel_date(0, True) == dt.datetime(1904, 1, 1)
    assert [excel_general(v) for v in (3.0, 0.5, 1 / 3, 123456789012.0, 1e-11, -2.5)] == [
        "3",
        "0.5",
        "0.3333333333",
        "1.23457E11",
        "1E-11",
        "-2.5",
    ]
    assert excel_number_text(1234.5, "#,##0.00") == ("1,234.50", True)
    assert excel_number_text(2.5, "0") == ("3", True)  # Excel rounds half up
    assert excel_number_text(0.1, "0.0E+00")[1] is False


# ------------------------------------------------------------------------------------ writers


def table() -> Table:
    df = pd.DataFrame(
        {
            "i": pd.array([1, None], dtype="Int64"),
            "x": [np.inf, 2.5],
            "s": ["a", None],
            "b": [True, False],
            "t": [dt.datetime(2020, 5, 6, 7, 8, 9), None],
        },
        index=pd.Index(["r1", "r2"], dtype=object),
    )
    return Table(df, {"i": "Integer", "x": "Double", "s": "String", "b": "Boolean", "t": "Local Date Time"})


def test_writer_cells_and_overwrite(tmp_path: Path) -> None:
    f = tmp_path / "w.xlsx"
    settings = {
        "file": str(f),
        "sheetname": "out",
        "writeColHdr": True,
        "writeRowHdr": True,
        "missingPattern": "NA",
    }
    run_node("excel_writer_xls", settings, table())
    ws = openpyxl.load_workbook(f)["out"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["row ID", "i", "x", "s", "b", "t"]
    assert rows[1] == ["r1", 1, "=1/0", "a", True, dt.datetime(2020, 5, 6, 7, 8, 9)]
    assert rows[2] == ["r2", "NA", 2.5, "NA", False, "NA"]
    assert ws["F2"].number_format == "yyyy-mm-dd hh:mm:ss"
    with pytest.raises(NodeError, match="must not be overwritten"):
        run_node("excel_writer_xls", {**settings, "overwrite_ok": False}, table())
    run_node(
        "excel_writer_xls",
        {**settings, "overwrite_ok": True, "sheetname": "again", "write_missing_values": False},
        table(),
    )
    wb = openpyxl.load_workbook(f)
    assert wb.sheetnames == ["again"] and wb["again"]["B3"].value is None  # the old file is replaced
    with pytest.raises(ConfigureError, match=r"\.xls"):
        run_node("excel_writer_xls", {**settings, "file": str(tmp_path / "w.xls")}, table())


def test_appender_adds_and_replaces_sheets(tmp_path: Path) -> None:
    f = book(tmp_path / "a.xlsx", {"keep": [["k"]], "data": [["old"]]})
    run_node("excel_sheet_appender_xls", {"file": str(f), "sheetname": "data"}, table())
    wb = openpyxl.load_workbook(f)
    assert wb.sheetnames == ["keep", "data"] and wb["data"]["A1"].value == 1  # no header asked
    with pytest.raises(NodeError, match="already contains a sheet"):
        run_node(
            "excel_sheet_appender_xls",
            {"file": str(f), "sheetname": "data", "do_not_overwrite_sheet": True},
            table(),
        )
    with pytest.raises(NodeError, match="does not exist"):
        run_node(
            "excel_sheet_appender_xls",
            {"file": str(tmp_path / "none.xlsx"), "sheetname": "s", "file_must_exist": True},
            table(),
        )
    run_node(
        "excel_sheet_appender_xls",
        {"file": str(f), "sheetname": "a/b:c" + "x" * 30, "writeColHdr": True},
        table(),
    )
    assert openpyxl.load_workbook(f).sheetnames[-1] == "a_b_c" + "x" * 17 + "..."


# ---------------------------------------------------------------------------- KNIME settings


READER_MODEL = {
    "SHEET_NAME": "<first sheet with data>",
    "READ_ALL_DATA": True,
    "FIRST_ROW": 0,
    "LAST_ROW": 0,
    "FIRST_COL": None,
    "LAST_COL": None,
    "HAS_COL_HDRS": True,
    "COL_HDR_ROW": 2,
    "INDEX_CONTINUOUS": True,
    "INDEX_JUMP_SKIPS": False,
    "HAS_ROW_HDRS": False,
    "ROW_HDR_COL": "A",
    "MISS_VAL_PATTERN": None,
    "SKIP_EMPTY_COLS": True,
    "SKIP_EMPTY_ROWS": True,
    "SKIP_HIDDEN_COLS": True,
    "KEEP_XL_HDR": False,
    "UNIQUIFY_ROWID": False,
    "FORMULA_ERR_USE_PATTERN": True,
    "FORMULA_ERR_PATTERN": "#XL_EVAL_ERROR#",
    "REEVALUATE_FORMULAE": False,
    "TIMEOUT_IN_SECONDS": 1,
    "NO_PREVIEW": False,
}


def test_import_read4_and_older_layouts(tmp_path: Path) -> None:
    model = {
        "FILE_CHOOSER": {
            "filesystem": "KNIME",
            "knime_filesystem": "knime.workflow",
            "knime_mountpoint_filesystem": "LOCAL",
            "path_or_url": "knime://knime.workflow/data/r.xlsx",
            "include_subfolders": False,
            "filter_mode": "EXTENSIONS",
        },
        "fileOrFolderModel": "FILE",
        **READER_MODEL,
        "XLS_SettingsForSpecID": "id",
    }
    kind, settings, found = import_node(tmp_path, READ4, model)
    assert kind == "excel_reader_xls" and found == []
    _, _, found = import_node(tmp_path, READ4, {**model, "fileOrFolderModel": "FILE_IN_FOLDER"})
    assert len(found) == 1 and "FILE_IN_FOLDER" in found[0]
    assert settings["file"] == "${data_dir}/r.xlsx" and settings["sheet_name"] == ""
    assert settings["col_hdr_row"] == 2 and settings["first_col"] == ""
    f = book(tmp_path / "r.xlsx", {"data": REPORT})
    assert list(run_node("excel_reader_xls", {**settings, "file": str(f)}).df().columns)[0] == "id"
    old = {"XLS_LOCATION": "C:\\data\\r.xlsx", **READER_MODEL, "FIRST_COL": "B"}
    del old["INDEX_CONTINUOUS"], old["INDEX_JUMP_SKIPS"]  # saved before 3.3.2
    for factory in (READ3, READ2):
        _, s, found = import_node(tmp_path, factory, old)
        assert found == [] and s["first_col"] == "B"
        assert s["index_continuous"] is False and s["index_jump_skips"] is True
    legacy = {
        **READER_MODEL,
        "XLS_LOCATION": "/d/r.xls",
        "FIRST_ROW": 4,
        "LAST_ROW": -1,
        "FIRST_COL": 1,
        "LAST_COL": -1,
        "COL_HDR_ROW": 0,
        "ROW_HDR_COL": 0,
    }
    for key in (
        "REEVALUATE_FORMULAE",
        "TIMEOUT_IN_SECONDS",
        "NO_PREVIEW",
        "INDEX_CONTINUOUS",
        "INDEX_JUMP_SKIPS",
    ):
        del legacy[key]
    _, s, found = import_node(tmp_path, POI_READ2, legacy)
    assert s["first_row"] == 5 and s["first_col"] == "B" and s["col_hdr_row"] == 1
    assert s["last_row"] == 0 and s["last_col"] == "" and s["row_hdr_col"] == "A"
    assert len(found) == 1 and "KNIME 2.x" in found[0]


def test_import_reports_what_cannot_be_honoured(tmp_path: Path) -> None:
    model = {"XLS_LOCATION": "r.xlsx", **READER_MODEL, "REEVALUATE_FORMULAE": True, "SOME_NEW_KEY": 3}
    _, _, found = import_node(tmp_path, READ3, model)
    assert any("REEVALUATE_FORMULAE" in m for m in found)
    assert any("SOME_NEW_KEY" in m for m in found)  # an unknown key is reported, not dropped


WRITER_MODEL = {
    "xCellOffset": 0,
    "yCellOffset": 0,
    "writeColHdr": True,
    "writeRowHdr": False,
    "filename": "C:\\out\\result",
    "sheetname": "results",
    "missingPattern": None,
    "overwrite_ok": True,
    "open_file": False,
    "file_must_exist": False,
    "do_not_overwrite_sheet": False,
    "landscape": False,
    "autosize": False,
    "paper_size": 1,
    "write_missing_values": False,
    "evaluate_formula": False,
    "column-filter": {
        "filter-type": "STANDARD",
        "included_names": ["s"],
        "excluded_names": ["i", "x", "b", "t"],
        "enforce_option": "EnforceInclusion",
    },
}


def test_import_writer_and_appender(tmp_path: Path) -> None:
    kind, settings, found = import_node(tmp_path, WRITER, WRITER_MODEL)
    assert kind == "excel_writer_xls" and found == []
    assert settings["file"] == "result.xlsx" and settings["sheetname"] == "results"  # KNIME adds .xlsx
    out = tmp_path / "result.xlsx"
    run_node("excel_writer_xls", {**settings, "file": str(out)}, table())
    assert [[c.value for c in r] for r in openpyxl.load_workbook(out)["results"].iter_rows()] == [
        ["s"],
        ["a"],
    ]  # the missing cell is not written
    kind, _, found = import_node(
        tmp_path, POI_WRITER, {**WRITER_MODEL, "filename": "/x/old.xls", "yCellOffset": 2}
    )
    assert kind == "excel_writer_xls"
    assert any(".xls" in m for m in found) and any("yCellOffset" in m for m in found)
    for factory in (APPENDER, POI_APPENDER):
        kind, _, found = import_node(tmp_path, factory, {**WRITER_MODEL, "surprise": True})
        assert kind == "excel_sheet_appender_xls" and any("surprise" in m for m in found)
