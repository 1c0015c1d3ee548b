"""Column Appender, Column Rename/Renamer, Column Resorter, Constant Value Column and Missing Value
Column Filter: KNIME's naming rules, RowIDs and configure-time specs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.core.testing import configure_node, run_node


def left() -> Table:
    return Table.from_frame(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}))


def right(n: int = 3) -> Table:
    return Table.from_frame(pd.DataFrame({"b": np.arange(n, dtype=float), "c": [True] * n}))


def test_column_appender_identical_rowids_and_unique_names() -> None:
    run = run_node("column_appender", {}, left(), right())
    out = run.df()
    assert out.columns.tolist() == ["a", "b", "b (#1)", "c"]
    assert list(out.index) == ["Row0", "Row1", "Row2"]
    assert run.specs[0] == run.outputs[0].spec
    assert run.outputs[0].types["b (#1)"] == ColumnType.DOUBLE


def test_column_appender_modes() -> None:
    short = Table.from_frame(pd.DataFrame({"c": [1.5]}))
    with pytest.raises(NodeError, match="RowIDs of table 2 differ"):
        run_node("column_appender", {}, left(), short)
    run = run_node("column_appender", {"selected_rowid_mode": "GENERATE"}, left(), short)
    out = run.df()
    assert out["c"].tolist()[0] == 1.5 and np.isnan(out["c"].tolist()[1])
    assert any("shorter" in w for w in run.warnings)
    keyed = left().df.copy()
    keyed.index = pd.Index(["r1", "r2", "r3"], dtype=object)
    run = run_node(
        "column_appender",
        {"selected_rowid_mode": "KEY_TABLE", "selected_rowid_table_number": 2},
        short,
        Table(keyed, left().types),
    )
    assert list(run.df().index) == ["r1", "r2", "r3"]
    with pytest.raises(ConfigureError, match="between 1 and 2"):
        configure_node(
            "column_appender",
            {"selected_rowid_mode": "KEY_TABLE", "selected_rowid_table_number": 3},
            left().spec,
            right().spec,
        )


def test_column_appender_three_tables(tmp_path) -> None:
    out = run_node("column_appender", {}, left(), right(), right()).df()
    assert out.columns.tolist() == ["a", "b", "b (#1)", "c", "b (#2)", "c (#1)"]
    kind, settings, found = import_node(
        tmp_path,
        "org.knime.base.node.preproc.columnappend2.ColumnAppender2NodeFactory",
        {"selected_rowid_mode": "KEY_TABLE", "selected_rowid_table": -1, "selected_rowid_table_number": 2},
    )
    assert kind == "column_appender" and found == []
    assert settings == {"selected_rowid_mode": "KEY_TABLE", "selected_rowid_table_number": 2}
    _, settings, _ = import_node(
        tmp_path,
        "org.knime.base.node.preproc.columnappend.ColumnAppenderNodeFactory",
        {"selected_rowid_mode": "Generate new row keys", "selected_rowid_table": 0},
    )
    assert settings["selected_rowid_mode"] == "GENERATE"


def test_column_rename_and_renamer(tmp_path) -> None:
    settings = {
        "all_columns": [
            {"old_column_name": "a", "new_column_name": "A"},
            {"old_column_name": "zz", "new_column_name": "q"},
        ]
    }
    run = run_node("column_rename", settings, left())
    assert run.df().columns.tolist() == ["A", "b"]
    assert any("zz" in w for w in run.warnings)
    with pytest.raises(ConfigureError, match="duplicate column names"):
        configure_node(
            "column_rename", {"all_columns": [{"old_column_name": "a", "new_column_name": "b"}]}, left().spec
        )
    out = run_node("column_renamer", {"renamings": [{"oldName": "b", "newName": "B"}]}, left()).df()
    assert out.columns.tolist() == ["a", "B"]
    with pytest.raises(ConfigureError, match="not found"):
        configure_node("column_renamer", {"renamings": [{"oldName": "q", "newName": "B"}]}, left().spec)
    model = {"all_columns": {"0": {"old_column_name": "a", "new_column_name": "A", "new_column_type": 0}}}
    kind, settings, found = import_node(
        tmp_path, "org.knime.base.node.preproc.rename.RenameNodeFactory", model
    )
    assert kind == "column_rename" and found == []
    assert settings["all_columns"] == [{"old_column_name": "a", "new_column_name": "A"}]
    model = {"renamings": {"0": {"oldName": "a", "newName": "A"}}}
    kind, settings, found = import_node(
        tmp_path, "org.knime.base.node.preproc.column.renamer.ColumnRenamerNodeFactory", model
    )
    assert (
        kind == "column_renamer"
        and found == []
        and settings["renamings"] == [{"oldName": "a", "newName": "A"}]
    )


def test_column_resorter() -> None:
    table = Table.from_frame(pd.DataFrame({"a": [1], "b": [2], "c": [3], "d": [4]}))
    order = {"ColumnOrder": ["c", "<any unknown new column>", "a", "gone"]}
    run = run_node("column_resorter", order, table)
    assert run.df().columns.tolist() == ["c", "b", "d", "a"]
    assert run.specs[0].names == ["c", "b", "d", "a"]
    assert run_node("column_resorter", {"ColumnOrder": ["d"]}, table).df().columns.tolist() == [
        "d",
        "a",
        "b",
        "c",
    ]


def test_constant_value_column(tmp_path) -> None:
    settings = {
        "newColumnSettings": [
            {"columnNameToAppend": "a", "type": "Integer", "customOrMissingValue": "CUSTOM", "value": "7"},
            {
                "columnNameToAppend": "when",
                "type": "Local Date",
                "customOrMissingValue": "CUSTOM",
                "value": "2024-03-01",
            },
            {
                "replaceOrAppend": "REPLACE",
                "columnNameToReplace": "b",
                "type": "Double",
                "customOrMissingValue": "MISSING",
            },
        ]
    }
    run = run_node("constant_value_column", settings, left())
    out = run.df()
    assert out.columns.tolist() == ["a", "b", "a (#1)", "when"]
    assert out["a (#1)"].tolist() == [7, 7, 7]
    assert out["when"].tolist() == [dt.date(2024, 3, 1)] * 3
    assert out["b"].isna().all()
    assert run.specs[0] == run.outputs[0].spec
    assert run.outputs[0].types["b"] == ColumnType.DOUBLE
    bad = {"newColumnSettings": [{"type": "Integer", "customOrMissingValue": "CUSTOM", "value": "x"}]}
    with pytest.raises(ConfigureError, match="not a valid value"):
        configure_node("constant_value_column", bad, left().spec)
    old = {
        "replaced-column": None,
        "new-column-name": "k",
        "column-type": "DOUBLE",
        "column-value": "1.5",
        "date-format": "dd.MM.yyyy",
    }
    kind, settings, found = import_node(
        tmp_path, "org.knime.base.node.preproc.constantvalue.ConstantValueColumnNodeFactory", old
    )
    assert kind == "constant_value_column" and found == []
    assert run_node("constant_value_column", settings, left()).df()["k"].tolist() == [1.5] * 3


def test_missing_value_column_filter() -> None:
    df = pd.DataFrame({"full": [1.0, 2.0, 3.0, 4.0], "half": [1.0, None, None, 4.0], "none": [None] * 4})
    table = Table.from_frame(df)
    assert run_node("missing_value_column_filter", {}, table).df().columns.tolist() == ["full", "half"]
    out = run_node("missing_value_column_filter", {"missing_value_percentage": 50}, table).df()
    assert out.columns.tolist() == ["full"]
    keep_half = {"missing_value_percentage": 50, "column_filter": {"excluded_names": ["half"]}}
    assert run_node("missing_value_column_filter", keep_half, table).df().columns.tolist() == ["full", "half"]


# ---------------------------------------------------------------------------- Column Rename (Regex)

RENAME_REGEX = "org.knime.base.node.preproc.columnrenameregex.ColumnRenameRegexNodeFactory"


def test_column_rename_regex() -> None:
    df = pd.DataFrame({"split_1": [1], "Split_2": [2.0], "x": ["a"]})
    out = run_node("column_rename_regex", {"searchString": "split_(\\d)", "replaceString": "part$1"}, df)[1]
    assert out.columns == ["part1", "Split_2", "x"]
    out = run_node(
        "column_rename_regex", {"searchString": "split_", "replaceString": "", "isCaseInsensitive": True}, df
    )[1]
    assert out.columns == ["1", "2", "x"] and out.types["2"] == "Double"
    out = run_node("column_rename_regex", {"searchString": "^", "replaceString": "c_"}, df)[1]
    assert out.columns == ["c_split_1", "c_Split_2", "c_x"]
    out = run_node("column_rename_regex", {"searchString": ".", "replaceString": "-", "isLiteral": True}, df)[
        1
    ]
    assert out.columns == ["split_1", "Split_2", "x"]
    with pytest.raises(ConfigureError, match="empty column name"):
        run_node("column_rename_regex", {"searchString": "x", "replaceString": ""}, df)
    with pytest.raises(ConfigureError, match="duplicate"):
        run_node("column_rename_regex", {"searchString": "(?i)split_\\d", "replaceString": "s"}, df)


def test_column_rename_regex_imports(tmp_path: Path) -> None:
    from test_knime_import import findings, import_fragment

    model = {
        "searchString": "split_1",
        "replaceString": "_sub",
        "isCaseInsensitive": False,
        "isLiteral": False,
    }
    node, report, _ = import_fragment(tmp_path, RENAME_REGEX, model)
    assert node.type == "column_rename_regex" and findings(report) == [] and node.settings == model
    _, report, _ = import_fragment(
        tmp_path, RENAME_REGEX, {**model, "isLiteral": True, "replaceString": "$1"}
    )
    assert any("literal" in f for f in findings(report))


def test_column_combiner_quoting_replacing_and_java_texts() -> None:
    table = Table.from_frame(
        pd.DataFrame(
            {
                "s": ["a,b", 'say "hi"', None],
                "d": [1e7, 0.5, np.nan],
                "i": [1, 2, 3],
                "b": [True, False, True],
            }
        )
    )
    # the delimiter ", " is trimmed to ","; without quoting it is replaced inside a text
    plain = run_node(
        "column_combiner", {"delimiter": ", ", "replace_delimiter": ";", "new_column_name": "c"}, table
    )
    assert plain.df()["c"].tolist() == ["a;b,1.0E7,1,true", 'say "hi",0.5,2,false', "?,?,3,true"]
    assert plain.specs[0] == plain.outputs[0].spec and plain.outputs[0].types["c"] == ColumnType.STRING
    quoted = run_node(
        "column_combiner",
        {
            "column_filter": {"included_names": ["s", "i"], "enforce_option": "EnforceInclusion"},
            "delimiter": "-",
            "is_quoting": True,
            "quote_char": '"',
            "new_column_name": "c",
            "remove_included_columns": True,
        },
        table,
    )
    assert quoted.df().columns.tolist() == ["d", "b", "c"]
    assert quoted.df()["c"].tolist() == ["a,b-1", '"say \\"hi\\""-2', "?-3"]
    always = {
        "delimiter": " ",
        "is_quoting": True,
        "is_quoting_always": True,
        "quote_char": "'",
        "new_column_name": "c",
    }
    assert run_node("column_combiner", always, table).df()["c"].tolist()[2] == "'?' '?' '3' 'true'"
    with pytest.raises(ConfigureError, match="Column already exits: s"):
        configure_node("column_combiner", {"new_column_name": "s"}, table.spec)
    with pytest.raises(ConfigureError, match=r'unable to find column\(s\): "x"'):
        configure_node(
            "column_combiner",
            {"column_filter": {"included_names": ["x", "s"], "enforce_option": "EnforceInclusion"}},
            table.spec,
        )
    with pytest.raises(ConfigureError, match="must not contain delimiter"):
        configure_node("column_combiner", {"delimiter": ",", "replace_delimiter": "a,"}, table.spec)
