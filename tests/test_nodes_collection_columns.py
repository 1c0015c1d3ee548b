"""Cell Splitter, Create Collection Column, Ungroup and One to Many: KNIME's naming (`_Arr[i]`,
`_SplitResultList`, `<RowID>_1`), type guessing and collection types."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import ColumnType, ConfigureError, Table
from engine.core.testing import configure_node, run_node


def texts(values: list[object], **extra: list[object]) -> Table:
    df = pd.DataFrame({"s": values, **extra})
    return Table.from_frame(df, {"s": ColumnType.STRING})


def test_cell_splitter_guesses_columns_and_types() -> None:
    table = texts(["1, 2.5 ,x", "3,4,y z", None, "5"])
    run = run_node("cell_splitter", {"colName": "s"}, table)
    out = run.df()
    assert out.columns.tolist() == ["s", "s_Arr[0]", "s_Arr[1]", "s_Arr[2]"]
    types = run.outputs[0].types
    assert (types["s_Arr[0]"], types["s_Arr[1]"], types["s_Arr[2]"]) == ("Integer", "Double", "String")
    assert out["s_Arr[0]"].tolist()[:2] == [1, 3] and out["s_Arr[0]"].tolist()[2] is pd.NA
    assert out["s_Arr[1]"].tolist()[:2] == [2.5, 4.0] and np.isnan(out["s_Arr[1]"].tolist()[3])
    assert out["s_Arr[2]"].tolist() == ["x", "y z", None, None]
    assert run.specs[0] is not None  # configure: unknown until the data is scanned


def test_cell_splitter_fixed_size_quotes_and_names() -> None:
    table = texts(['a,"b,c",d', "e"], **{"s_Arr[0]": [1, 2]})
    settings = {"colName": "s", "guessNumOfCols": False, "numberOfCols": 2, "useEmptyString": True}
    run = run_node("cell_splitter", settings, table)
    out = run.df()
    assert out.columns.tolist() == ["s", "s_Arr[0]", "s_Arr[0](2)", "s_Arr[1]"]
    assert out["s_Arr[0](2)"].tolist() == ["a", "e"]
    assert out["s_Arr[1]"].tolist() == [
        '"b,c",d',
        "",
    ]  # the last column keeps the rest; empty string, not missing
    assert run.specs[0] == run.outputs[0].spec
    quoted = run_node("cell_splitter", {"colName": "s"}, texts(['a,"b,c",d'])).df()
    assert quoted.iloc[0, 1:].tolist() == ["a", "b,c", "d"]


def test_cell_splitter_list_and_set(tmp_path) -> None:
    table = texts(["b;a;b", None])
    run = run_node(
        "cell_splitter",
        {"colName": "s", "delimiter": ";", "outputAsList": True, "removeInputColumn": True},
        table,
    )
    assert run.df().columns.tolist() == ["s_SplitResultList"]
    assert run.df().iloc[0, 0] == ("b", "a", "b") and run.df().iloc[1, 0] is None
    assert run.specs[0].type_of("s_SplitResultList") == "List of String"
    out = run_node("cell_splitter", {"colName": "s", "delimiter": ";", "outputAsSet": True}, table).df()
    assert out["s_SplitResultSet"].tolist()[0] == ("b", "a")
    with pytest.raises(ConfigureError, match="must be of type string"):
        configure_node("cell_splitter", {"colName": "n"}, Table.from_frame(pd.DataFrame({"n": [1]})).spec)
    model = {
        "colName": "s",
        "delimiter": ";",
        "quotePattern": None,
        "removeQuotes": False,
        "numberOfCols": 3,
        "guessNumOfCols": True,
        "useEmptyString": False,
        "useEscapeCharacter": False,
        "outputAsList": False,
        "outputAsSet": False,
        "outputAsColumns": True,
        "removeWhitespaces": True,
        "splitColumnNames": False,
        "hasScanLimit": False,
        "scanLimit": 50,
        "removeInputColumn": False,
    }
    kind, settings, found = import_node(
        tmp_path, "org.knime.base.node.preproc.cellsplit2.CellSplitter2NodeFactory", model
    )
    assert kind == "cell_splitter" and found == []
    assert run_node("cell_splitter", settings, table).df().columns.tolist() == [
        "s",
        "s_Arr[0]",
        "s_Arr[1]",
        "s_Arr[2]",
    ]


def test_create_collection_and_ungroup_round_trip() -> None:
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [2.0, 5.0, np.nan], "k": ["x", "y", "z"]})
    table = Table.from_frame(df)
    run = run_node(
        "create_collection_column",
        {"includes": {"included_names": ["a", "b"], "enforce_option": "EnforceInclusion"}},
        table,
    )
    out = run.df()
    assert out["AggregatedValues"].tolist() == [(1.0, 2.0), (None, 5.0), (3.0, None)]
    assert (
        run.specs[0].type_of("AggregatedValues")
        == "List of Double"
        == run.outputs[0].types["AggregatedValues"]
    )
    skip = run_node(
        "create_collection_column",
        {
            "includes": {"included_names": ["a", "b"], "enforce_option": "EnforceInclusion"},
            "ignoreMissingValue": True,
            "removeCols": True,
            "createSet": True,
        },
        table,
    )
    assert skip.df().columns.tolist() == ["k", "AggregatedValues"]
    assert skip.df()["AggregatedValues"].tolist() == [(1.0, 2.0), (5.0,), (3.0,)]
    assert skip.outputs[0].types["AggregatedValues"] == "Set of Double"

    ungrouped = run_node("ungroup", {}, run.outputs[0])
    u = ungrouped.df()
    assert list(u.index) == ["Row0_1", "Row0_2", "Row1_1", "Row1_2", "Row2_1", "Row2_2"]
    assert u["k"].tolist() == ["x", "x", "y", "y", "z", "z"]
    assert ungrouped.outputs[0].types["AggregatedValues"] == ColumnType.DOUBLE
    assert ungrouped.specs[0] == ungrouped.outputs[0].spec
    skipped = run_node("ungroup", {"skipMissingValues": True}, run.outputs[0]).df()
    assert len(skipped) == 4


def test_ungroup_parallel_lists_empty_and_missing() -> None:
    df = pd.DataFrame(
        {"l1": [("a", "b"), None, (), ("c",)], "l2": [(1,), None, (), (2, 3)], "v": [10, 20, 30, 40]}
    )
    df.index = pd.Index(["r0", "r1", "r2", "r3"], dtype=object)
    table = Table(df, {"l1": "List of String", "l2": "List of Integer", "v": ColumnType.LONG})
    out = run_node("ungroup", {"removeCollectionCol": True}, table).df()
    assert list(out.index) == ["r0_1", "r0_2", "r1", "r2_1", "r3_1", "r3_2"]
    assert out["l1"].tolist() == ["a", "b", None, None, "c", None]
    assert [None if v is pd.NA else v for v in out["l2"].tolist()] == [1, None, None, None, 2, 3]
    kept = run_node("ungroup", {"removeCollectionCol": False, "skipEmptyCollections": True}, table)
    assert kept.df().columns.tolist() == ["l1", "l1 (#1)", "l2", "l2 (#1)", "v"]
    assert "r2_1" not in kept.df().index


def test_one_to_many() -> None:
    df = pd.DataFrame({"c": ["red", "blue", None, "red"], "d": ["blue", "x", "x", "x"], "n": [1, 2, 3, 4]})
    table = Table.from_frame(df, {"c": ColumnType.STRING, "d": ColumnType.STRING})
    run = run_node(
        "one_to_many",
        {"columns2Btransformed": {"included_names": ["c", "d"], "enforce_option": "EnforceInclusion"}},
        table,
    )
    out = run.df()
    assert out.columns.tolist() == ["c", "d", "n", "red", "blue_c", "blue_d", "x"]
    assert out["red"].tolist() == [1, 0, 0, 1] and out["x"].tolist() == [0, 1, 1, 1]
    assert run.outputs[0].types["red"] == ColumnType.INTEGER
    removed = run_node(
        "one_to_many",
        {
            "columns2Btransformed": {"included_names": ["c"], "enforce_option": "EnforceInclusion"},
            "removeSources": True,
        },
        table,
    ).df()
    assert removed.columns.tolist() == ["d", "n", "red", "blue"]
