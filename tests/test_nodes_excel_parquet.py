"""Excel Reader/Writer and Parquet Reader/Writer: round trips checked against openpyxl and pyarrow
read independently, plus the legacy CSV Writer translation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.api.knime import KnimeSettings
from engine.core.testing import run_node
from nodes.csv_writer import CsvWriter
from nodes.excel import ExcelReader, column_index, column_letters, guess_type


def sample() -> Table:
    df = pd.DataFrame(
        {
            "i": pd.array([1, 2, None], dtype="Int64"),
            "x": [0.5, np.nan, 2.5],
            "s": ["a", None, "c"],
            "b": [True, False, True],
        },
        index=pd.Index(["r1", "r2", "r3"], dtype=object),
    )
    return Table(df, {"i": ColumnType.INTEGER})


def test_excel_writer_cells_read_back_by_openpyxl(tmp_path: Path) -> None:
    f = tmp_path / "out.xlsx"
    run_node("excel_writer", {"file": str(f), "sheet_names": ["data"], "write_row_key": True}, sample())
    ws = openpyxl.load_workbook(f)["data"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows == [
        ["RowID", "i", "x", "s", "b"],
        ["r1", 1, 0.5, "a", True],
        ["r2", 2, None, None, False],
        ["r3", None, 2.5, "c", True],
    ]
    with pytest.raises(NodeError):
        run_node("excel_writer", {"file": str(f), "sheet_names": ["data"]}, sample())


def test_excel_append_sheet_rows_and_missing_pattern(tmp_path: Path) -> None:
    f = tmp_path / "out.xlsx"
    run_node("excel_writer", {"file": str(f), "sheet_names": ["a"]}, sample())
    settings = {
        "file": str(f),
        "sheet_names": ["a", "b"],
        "if_path_exists": "append",
        "if_sheet_exists": "APPEND",
        "replace_missings": True,
        "missing_value_pattern": "NA",
    }
    run_node("excel_writer", settings, sample(), sample())
    wb = openpyxl.load_workbook(f)
    assert wb.sheetnames == ["a", "b"]
    assert wb["a"].max_row == 1 + 3 + 3  # header once, rows appended below
    assert wb["b"].cell(3, 1).value == 2 and wb["b"].cell(4, 1).value == "NA"


def test_excel_reader_round_trip_and_types(tmp_path: Path) -> None:
    f = tmp_path / "t.xlsx"
    run_node("excel_writer", {"file": str(f), "sheet_names": ["data"], "write_row_key": True}, sample())
    run = run_node("excel_reader", {"file": str(f), "row_id": "COLUMN", "row_id_column": "A"})
    out = run.df()
    assert list(out.index) == ["r1", "r2", "r3"]
    assert run.outputs[0].types == {"i": "Integer", "x": "Double", "s": "String", "b": "Boolean"}
    assert run.specs[0] == run.outputs[0].spec
    expected = pd.read_excel(f, index_col=0)
    assert np.allclose(out["x"].to_numpy(dtype=float), expected["x"].to_numpy(), equal_nan=True)
    assert list(out["s"]) == ["a", None, "c"]


def test_excel_reader_sheet_area_header_and_index(tmp_path: Path) -> None:
    f = tmp_path / "m.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "first"
    second = wb.create_sheet("second")
    for row in (
        ["title"],
        [None, "k", "v", "ignored"],
        [None, "a", 1, 9],
        [None, None, None, None],
        [None, "b", 2.5, 9],
    ):
        second.append(row)
    wb.save(f)
    settings = {
        "file": str(f),
        "sheet_selection": "INDEX",
        "sheet_index": 1,
        "column_names_row_number": 2,
        "sheet_area": "SPECIFIC",
        "read_from_column": "B",
        "read_to_column": "C",
    }
    out = run_node("excel_reader", settings).df()
    assert list(out.columns) == ["k", "v"] and list(out["k"]) == ["a", "b"]
    assert list(out["v"]) == [1.0, 2.5] and list(out.index) == ["Row0", "Row1"]
    no_header = run_node("excel_reader", {**settings, "table_contains_column_names": False}).df()
    assert list(no_header.columns) == ["B", "C"] and len(no_header) == 3  # empty rows skipped
    with pytest.raises(ConfigureError):
        run_node("excel_reader", {"file": str(f), "sheet_selection": "NAME", "sheet_name": "nope"})


def test_excel_helpers() -> None:
    assert [column_index(x) for x in ("A", "Z", "AA", "AZ")] == [1, 26, 27, 52]
    assert [column_letters(i) for i in (1, 26, 27, 52)] == ["A", "Z", "AA", "AZ"]
    assert guess_type([1, 2.0]) == ColumnType.INTEGER and guess_type([1, 2**40]) == ColumnType.LONG
    assert guess_type([1, 0.5]) == ColumnType.DOUBLE and guess_type([True, 1]) == ColumnType.STRING
    assert guess_type([None]) == ColumnType.STRING


def test_parquet_round_trip_and_knime_types(tmp_path: Path) -> None:
    f = tmp_path / "t.parquet"
    run_node("parquet_writer", {"file": str(f)}, sample())
    schema = pq.read_schema(f)
    assert [str(t) for t in schema.types] == ["int32", "double", "string", "bool"]
    run = run_node("parquet_reader", {"file": str(f)})
    out = run.df()
    assert list(out.index) == ["Row0", "Row1", "Row2"]
    assert run.specs[0] == run.outputs[0].spec
    assert run.outputs[0].types == {"i": "Integer", "x": "Double", "s": "String", "b": "Boolean"}
    independent = pq.read_table(f).to_pandas()
    assert list(out["s"]) == list(independent["s"]) and out["i"].isna().tolist() == [False, False, True]
    with pytest.raises(NodeError):
        run_node("parquet_writer", {"file": str(f)}, sample())


class _Report:
    node = None

    def __init__(self) -> None:
        self.lost: list[str] = []

    def setting(self, message: str) -> None:
        self.lost.append(message)

    def note(self, message: str) -> None:
        pass


def test_legacy_csv_writer_and_excel_reader_translation(tmp_path: Path) -> None:
    report = _Report()
    mapping = next(m for m in CsvWriter.knime if m.simple_name == "CSVWriterNodeFactory")
    settings, _, _ = mapping.apply(
        KnimeSettings(
            {
                "filename": "C:\\data\\out.csv",
                "writeColHeader": True,
                "writeRowHeader": False,
                "missing": "",
                "colSeparator": ";",
                "quoteBegin": '"',
                "quoteEnd": '"',
                "quoteReplacement": '""',
                "quoteMode": "IF_NEEDED",
                "fileOverwritePolicy": "Overwrite",
                "charSet": None,
            },
            {},
            report,
        )
    )
    CsvWriter.Settings.model_validate(settings)
    assert settings["file"] == "out.csv" and settings["if_path_exists"] == "overwrite"
    assert settings["column_delimiter"] == ";" and not report.lost
    out = tmp_path / "out.csv"
    run_node("csv_writer", {**settings, "file": str(out)}, pd.DataFrame({"x": [1.0, 1e-5]}))
    assert out.read_text(encoding="utf-8").splitlines() == ["x", "1.0", "1.0E-5"]
    report = _Report()
    excel, _, _ = ExcelReader.knime[0].apply(
        KnimeSettings(
            {
                "settings": {
                    "file_selection": {"path": {"path": "data/book.xlsx"}},
                    "sheet_selection": "NAME",
                    "sheet_name": "S1",
                    "table_contains_column_names": True,
                    "column_names_row_number": 1,
                    "row_id": "GENERATE",
                },
                "advanced_settings": {"skip_empty_rows": True, "reevaluate_formulas": False},
            },
            {},
            report,
        )
    )
    ExcelReader.Settings.model_validate(excel)
    assert excel["file"] == "${data_dir}/book.xlsx" and excel["sheet_name"] == "S1" and not report.lost
