"""Row to Column Names, Extract/Insert Column Header, Value Lookup and Table Difference Checker."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.core.testing import configure_node, run_node


def raw() -> Table:
    df = pd.DataFrame(
        {"c0": ["junk", "id", "1", "2"], "c1": ["junk", "value", "2.5", None], "c2": [None, None, "a", "b"]}
    )
    return Table.from_frame(df, {c: ColumnType.STRING for c in df})


def test_row_to_column_header() -> None:
    run = run_node(
        "row_to_column_header", {"headerRowIndex": 1, "discardBefore": True, "detectTypes": True}, raw()
    )
    out = run.df()
    assert out.columns.tolist() == ["id", "value", "Column2"]
    assert list(out.index) == ["Row2", "Row3"]
    assert run.outputs[0].types == {"id": "Integer", "value": "Double", "Column2": "String"}
    assert out["id"].tolist() == [1, 2] and np.isnan(out["value"].tolist()[1])
    renamings = run.df(2)
    assert renamings["New column name"].tolist() == ["id", "value", "Column2"]
    kept = run_node("row_to_column_header", {"headerRowIndex": 1}, raw()).df()
    assert list(kept.index) == ["Row0", "Row2", "Row3"]


def test_extract_column_header(tmp_path) -> None:
    table = Table.from_frame(pd.DataFrame({"a": [1.0], "Column 1": ["x"], "c": [2]}))
    run = run_node("extract_column_header", {"coltype": "Double"}, table)
    header, renamed = run.df(1), run.df(2)
    # only the Double-compatible a and c are renamed; "Column 1" stays, so its name is skipped
    assert renamed.columns.tolist() == ["Column 2", "Column 1", "Column 3"]
    assert header.columns.tolist() == ["Column 2", "Column 3"]
    assert header.iloc[0].tolist() == ["a", "c"] and list(header.index) == ["Column Header"]
    assert run.specs[0] == run.outputs[0].spec and run.specs[1] == run.outputs[1].spec
    column = run_node(
        "extract_column_header", {"transposeColHeader": True, "replaceColHeader": False}, table
    ).df()
    assert column["Column Header"].tolist() == ["a", "Column 1", "c"]
    _, settings, found = import_node(
        tmp_path,
        "org.knime.base.node.preproc.columnheaderextract.ColumnHeaderExtractorNodeFactory",
        {"replaceColHeader": True, "unifyHeaderPrefix": "col", "coltype": "All"},
    )
    assert found == [] and settings["use_one_based_indexing"] is False  # saved before 5.0: numbered from 0
    assert run_node("extract_column_header", settings, table).df(2).columns.tolist() == [
        "col0",
        "col1",
        "col2",
    ]


def test_insert_column_header() -> None:
    table = Table.from_frame(pd.DataFrame({"a": [1], "b": [2]}))
    dictionary = Table.from_frame(
        pd.DataFrame({"old": ["a", "b"], "new": ["Alpha", None]}), {"old": "String", "new": "String"}
    )
    out = run_node(
        "insert_column_header", {"lookupColumn": "old", "valueColumn": "new"}, table, dictionary
    ).df()
    assert out.columns.tolist() == ["Alpha", "b"]
    by_id = dictionary.df.copy()
    by_id.index = pd.Index(["a", "c"], dtype=object)
    with pytest.raises(NodeError, match="No name assignment for column 'b'"):
        run_node("insert_column_header", {"valueColumn": "new"}, table, Table(by_id, dictionary.types))
    out = run_node(
        "insert_column_header",
        {"valueColumn": "new", "failIfNoMatch": False},
        table,
        Table(by_id, dictionary.types),
    ).df()
    assert out.columns.tolist() == ["Alpha", "b"]


def data_and_dict() -> tuple[Table, Table]:
    data = Table.from_frame(
        pd.DataFrame({"k": ["b", "a", "zz", None, "A"], "n": [5, 1, 9, 2, 3]}), {"k": "String"}
    )
    dictionary = Table.from_frame(
        pd.DataFrame({"key": ["a", "b", "a"], "val": [1.0, 2.0, 3.0], "k": ["x", "y", "z"]}),
        {"key": "String", "k": "String"},
    )
    return data, dictionary


def test_value_lookup_exact_first_last_and_names() -> None:
    data, dictionary = data_and_dict()
    settings = {
        "lookupCol": "k",
        "dictKeyCol": "key",
        "dictValueCols": {"included_names": ["val", "k"], "enforce_option": "EnforceInclusion"},
        "createFoundCol": True,
    }
    run = run_node("value_lookup", settings, data, dictionary)
    out = run.df()
    assert out.columns.tolist() == ["k", "n", "val", "k (#1)", "Match Found"]
    assert out["val"].tolist()[:2] == [2.0, 1.0] and np.isnan(out["val"].tolist()[2])
    assert out["Match Found"].tolist() == [True, True, False, False, False]
    assert run.specs[0] == run.outputs[0].spec
    last = run_node("value_lookup", {**settings, "searchDirection": "BACKWARD"}, data, dictionary).df()
    assert last["val"].tolist()[1] == 3.0
    nocase = run_node("value_lookup", {**settings, "caseSensitive": False}, data, dictionary).df()
    assert nocase["val"].tolist()[4] == 1.0
    replaced = run_node(
        "value_lookup",
        {**settings, "lookupColumnOutput": "REPLACE", "lookupReplacementCol": "k"},
        data,
        dictionary,
    ).df()
    assert replaced["k"].tolist() == ["y", "x", "zz", None, "A"]


def test_value_lookup_next_smaller_and_patterns() -> None:
    data = Table.from_frame(pd.DataFrame({"x": [0.5, 1.0, 2.7, 10.0]}))
    dictionary = Table.from_frame(
        pd.DataFrame({"t": [1.0, 2.0, 3.0], "grade": ["low", "mid", "high"]}), {"grade": "String"}
    )
    base = {
        "lookupCol": "x",
        "dictKeyCol": "t",
        "dictValueCols": {"included_names": ["grade"], "enforce_option": "EnforceInclusion"},
    }
    smaller = run_node("value_lookup", {**base, "matchBehaviour": "EQUALORSMALLER"}, data, dictionary).df()
    assert smaller["grade"].tolist() == [None, "low", "mid", "high"]
    larger = run_node("value_lookup", {**base, "matchBehaviour": "EQUALORLARGER"}, data, dictionary).df()
    assert larger["grade"].tolist() == ["low", "low", "high", None]
    words = Table.from_frame(pd.DataFrame({"w": ["apple pie", "banana"]}), {"w": "String"})
    patterns = Table.from_frame(
        pd.DataFrame({"p": ["*pie", "ban*"], "kind": ["dessert", "fruit"]}), {"p": "String", "kind": "String"}
    )
    wild = {
        "lookupCol": "w",
        "dictKeyCol": "p",
        "stringMatchBehaviour": "WILDCARD",
        "dictValueCols": {"included_names": ["kind"], "enforce_option": "EnforceInclusion"},
    }
    assert run_node("value_lookup", wild, words, patterns).df()["kind"].tolist() == ["dessert", "fruit"]
    with pytest.raises(ConfigureError, match="not found"):
        configure_node("value_lookup", {**base, "lookupCol": "nope"}, data.spec, dictionary.spec)


def test_table_difference_checker(tmp_path) -> None:
    ref = Table.from_frame(pd.DataFrame({"a": [1.0, 2.0], "s": ["x", "y"]}))
    assert run_node("table_difference_checker", {}, ref, ref).outputs == []
    other = Table.from_frame(pd.DataFrame({"a": [1.0, 2.0000001], "s": ["x", "y"]}))
    with pytest.raises(NodeError, match="Wrong value in row 'Row1' and column 'a'"):
        run_node("table_difference_checker", {}, other, ref)
    run_node(
        "table_difference_checker",
        {"columns": [{"column": "a", "checker": "epsilon", "epsilon": 1e-6}]},
        other,
        ref,
    )
    with pytest.raises(ConfigureError, match="Wrong column names"):
        configure_node(
            "table_difference_checker", {}, Table.from_frame(pd.DataFrame({"b": [1]})).spec, ref.spec
        )
    model = {
        "columnConfig_a": {
            "checkerFactory": "org.knime.testing.internal.diffcheckers.EqualityChecker$Factory"
        }
    }
    kind, settings, found = import_node(
        tmp_path, "org.knime.testing.internal.nodes.differ.DifferenceCheckerNodeFactory", model
    )
    assert (
        kind == "table_difference_checker"
        and found == []
        and settings["columns"] == [{"column": "a", "checker": "equal"}]
    )
