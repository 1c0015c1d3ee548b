"""The web-UI Table Creator (TableCreator3NodeFactory, KNIME 5.11) and the filehandling File Reader
(the CSV Reader under another name) imported from settings in KNIME's layout, then run."""

from __future__ import annotations

import pandas as pd
from knime_fragment import import_node

from engine.api import ColumnType
from engine.core.testing import run_node

CREATOR3 = "org.knime.base.node.io.tablecreator.TableCreator3NodeFactory"
FILE_READER = "org.knime.base.node.io.filehandling.csv.reader.FileReaderNodeFactory"


def _column(name: str, cell: str, values: list[str | None]) -> dict[str, object]:
    return {"name": name, "type": {"cell_class": f"org.knime.core.data.def.{cell}"}, "values": values}


def test_table_creator3_columns_values_and_rows(tmp_path) -> None:
    model = {
        "columns": [
            _column("name", "StringCell", ["a", "", None]),
            _column("n", "IntCell", ["1", None]),  # shorter than numRows: the rest is missing
            _column("x", "DoubleCell", ["0.5", "1e-3", "-2"]),
            _column("big", "LongCell", ["9007199254740993", "0", "1"]),
            _column("ok", "BooleanCell", ["true", "false", None]),
        ],
        "numRows": 3,
    }
    type_name, settings, found = import_node(tmp_path, CREATOR3, model)
    assert type_name == "table_creator" and found == []
    run = run_node("table_creator", settings)
    out = run.df()
    assert list(out.index) == ["Row0", "Row1", "Row2"]
    assert [c.type for c in run.specs[0].columns] == [
        ColumnType.STRING,
        ColumnType.INTEGER,
        ColumnType.DOUBLE,
        ColumnType.LONG,
        ColumnType.BOOLEAN,
    ]
    assert out["name"].tolist()[:2] == ["a", ""] and out["name"].iloc[2] is None  # "" stays a String
    assert out["n"].iloc[0] == 1 and pd.isna(out["n"].iloc[1]) and pd.isna(out["n"].iloc[2])
    assert out["x"].tolist() == [0.5, 0.001, -2.0]
    assert out["big"].tolist() == [9007199254740993, 0, 1]
    assert out["ok"].iloc[0] == True and out["ok"].iloc[1] == False and pd.isna(out["ok"].iloc[2])  # noqa: E712


def test_table_creator3_unsupported_type_is_a_finding(tmp_path) -> None:
    column = {
        "name": "when",
        "type": {"cell_class": "org.knime.core.data.time.localdate.LocalDateCell"},
        "values": ["2024-01-01"],
    }
    model = {"columns": [column], "numRows": 1}
    _, _, found = import_node(tmp_path, CREATOR3, model)
    assert len(found) == 1 and "not supported" in found[0]


def test_filehandling_file_reader_reads_as_the_csv_reader(tmp_path) -> None:
    data = tmp_path / "t.csv"
    data.write_text("a;b\n1;x\n2;y\n", encoding="utf-8")
    model = {
        "settings": {
            "file_selection": {"path": {"path": str(data)}, "filter_mode": {"filter_mode": "FILE"}},
            "has_column_header": True,
            "column_delimiter": ";",
        },
        "encoding": {"charset": "UTF-8"},
    }
    type_name, settings, found = import_node(tmp_path, FILE_READER, model)
    assert type_name == "csv_reader" and found == []
    assert settings["file"] == "${data_dir}/t.csv" and settings["column_delimiter"] == ";"
    settings["file"] = str(data)
    out = run_node("csv_reader", settings).df()
    assert out["a"].tolist() == [1, 2] and out["b"].tolist() == ["x", "y"]


def test_classic_file_reader_layout_never_reads_as_the_filehandling_one(tmp_path) -> None:
    """The classic File Reader (io.filereader) shares the class name with the filehandling one: its
    `DataURL` tree goes to its own translator (tests/test_knime_layouts.py), never to the CSV
    Reader's defaults, so a tree without delimiters is a finding."""
    model = {"DataURL": "file:/data/t.csv", "hasColHdr": True, "hasRowHdr": False, "numOfColumns": 2}
    factory = "org.knime.base.node.io.filereader.FileReaderNodeFactory"
    _, _, found = import_node(tmp_path, factory, model)
    assert found and "column delimiters" in found[0]
