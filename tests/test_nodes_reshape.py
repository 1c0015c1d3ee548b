"""Pivot, Unpivot and Cross Joiner: KNIME's naming, column order and RowIDs (12_01 / 12_02)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.api import ColumnType, ConfigureError, NodeError, Table, TableSpec
from engine.core.testing import configure_node, run_node
from nodes.reshape import java_double

PIVOT_12_01 = {
    "groupByColumns": ["row"],
    "pivotColumns": ["column"],
    "aggregations": [{"column": "diag", "method": "Sum_V2.5.2", "include_missing": False}],
    "column_name_option": "Pivot name+Aggregation name",
    "columnNamePolicy": "Aggregation method (column name)",
    "missing_values": True,
    "ignore_domain": True,
    "total_aggregation": False,
    "sort_lexicographical": False,
    "retainOrder": False,
    "maxNoneNumericalVals": 10000,
}


def singular_values(values: list[float]) -> Table:
    return Table.from_frame(pd.DataFrame({"Singular Value": values}))


def with_index(table: Table, name: str) -> Table:
    """What the Math Formula `$$ROWINDEX$$` nodes of 12_01 append: a Double column."""
    df = table.df.copy()
    df[name] = np.arange(len(df), dtype=float)
    return Table(df, {**table.types, name: ColumnType.DOUBLE})


def diagonal_pipeline(values: list[float]) -> tuple[Table, Table, Table, Table]:
    sv = singular_values(values)
    joined = run_node("cross_joiner", {}, with_index(sv, "row"), with_index(sv, "column"))[1]
    df = joined.df.copy()
    df["diag"] = np.where(df["row"] == df["column"], df["Singular Value"], 0.0)
    res = run_node("pivot", PIVOT_12_01, Table(df, {**joined.types, "diag": ColumnType.DOUBLE}))
    return joined, res[1], res[2], res[3]


# ------------------------------------------------------------------------------------ Cross Joiner


def test_cross_joiner_naming_and_order_as_in_12_01() -> None:
    s = [5.035026, 2.320022, 1.740423, 1.267447]
    joined, _, _, _ = diagonal_pipeline(s)
    assert joined.columns == ["Singular Value", "row", "Singular Value (#1)", "column"]
    assert joined.row_ids[:5] == ["Row0_Row0", "Row0_Row1", "Row0_Row2", "Row0_Row3", "Row1_Row0"]
    assert len(joined) == 16
    assert joined.df["row"].tolist() == [float(i) for i in range(4) for _ in range(4)]
    assert joined.df["column"].tolist() == [float(j) for _ in range(4) for j in range(4)]
    assert joined.df["Singular Value (#1)"].tolist() == s * 4
    assert joined.types["Singular Value (#1)"] == ColumnType.DOUBLE


def test_cross_joiner_repeated_suffix_rowid_columns_and_empty() -> None:
    left = pd.DataFrame({"a": [1, 2], "a (#1)": ["x", "y"]}, index=["L0", "L1"])
    right = pd.DataFrame({"a": [3.0]}, index=["R0"])
    res = run_node(
        "cross_joiner", {"CFG_SHOW_FIRST": True, "CFG_SHOW_SECOND": True, "CFG_SEPARATOR": "|"}, left, right
    )
    t = res[1]
    assert t.columns == ["a", "a (#1)", "a (#1) (#1)", "FirstRowIDs", "SecondRowIDs"]
    assert t.row_ids == ["L0|R0", "L1|R0"]
    assert t.df["FirstRowIDs"].tolist() == ["L0", "L1"]
    assert res.specs[0].names == t.columns
    empty = run_node("cross_joiner", {}, left.iloc[:0], right)[1]
    assert len(empty) == 0 and empty.columns == ["a", "a (#1)", "a (#1) (#1)"]


def test_cross_joiner_errors() -> None:
    with pytest.raises(ConfigureError, match="suffix"):
        configure_node(
            "cross_joiner",
            {"rigthSuffix": " "},
            TableSpec.of([("a", "Double")]),
            TableSpec.of([("a", "Double")]),
        )
    left = pd.DataFrame({"a": [1, 2]}, index=["x_y", "x"])
    right = pd.DataFrame({"b": [1, 2]}, index=["z", "y_z"])
    with pytest.raises(NodeError, match="duplicate RowID"):
        run_node("cross_joiner", {}, left, right)


# ------------------------------------------------------------------------------------------ Pivot


def test_pivot_diagonal_matrix_as_in_12_01() -> None:
    s = [5.035026, 2.320022, 1.740423, 1.267447]
    _, p1, p2, p3 = diagonal_pipeline(s)
    assert p1.columns == ["row", "0.0+Sum(diag)", "1.0+Sum(diag)", "2.0+Sum(diag)", "3.0+Sum(diag)"]
    assert p1.row_ids == ["Row0", "Row1", "Row2", "Row3"]
    assert np.allclose(p1.df.iloc[:, 1:].to_numpy(), np.diag(s))
    assert p1.types["0.0+Sum(diag)"] == ColumnType.DOUBLE
    assert p2.columns == ["row", "Sum(diag)"] and p2.shape == (4, 2)
    assert np.allclose(p2.df["Sum(diag)"], s)
    assert p3.shape == (1, 5) and p3.df["row"].isna().all()
    assert np.allclose(p3.df.iloc[0, 1:].to_numpy(dtype=float), s)


def test_pivot_more_than_ten_values_keeps_numeric_order() -> None:
    # 12 singular values: columns 10.0 and 11.0 come after 9.0 (the sorted group table decides)
    _, p1, _, _ = diagonal_pipeline([float(12 - i) for i in range(12)])
    assert p1.columns[1:4] == ["0.0+Sum(diag)", "1.0+Sum(diag)", "2.0+Sum(diag)"]
    assert p1.columns[-2:] == ["10.0+Sum(diag)", "11.0+Sum(diag)"]
    assert np.allclose(p1.df.iloc[:, 1:].to_numpy(), np.diag([float(12 - i) for i in range(12)]))


def test_pivot_missing_values_first_appearance_and_types() -> None:
    df = pd.DataFrame(
        {
            "g": ["b", "a", "b", "a", "c", "c"],
            "p": pd.array([2, 3, 1, None, None, None], dtype="Int64"),
            "v": pd.array([1, 2, 3, 4, 5, 6], dtype="int32"),
        }
    )
    settings = {
        **PIVOT_12_01,
        "groupByColumns": ["g"],
        "pivotColumns": ["p"],
        "aggregations": [{"column": "v", "method": "Sum_V2.5.2"}, {"column": "v", "method": "Count"}],
        "columnNamePolicy": "Column name (aggregation method)",
    }
    res = run_node("pivot", settings, df)
    p1 = res[1]
    # group a (pivot 3) comes first, so 3 is the first pivot; b adds 1 and 2 in sorted order
    assert p1.columns == [
        "g",
        "3+v (Sum)",
        "3+v (Count)",
        "1+v (Sum)",
        "1+v (Count)",
        "2+v (Sum)",
        "2+v (Count)",
    ]
    assert p1.df["g"].tolist() == ["a", "b"]  # c has only missing pivot values: no row
    assert p1.types["3+v (Sum)"] == ColumnType.INTEGER and p1.types["1+v (Count)"] == ColumnType.INTEGER
    assert p1.df["3+v (Sum)"].tolist()[0] == 2 and pd.isna(p1.df["3+v (Sum)"].iloc[1])
    # group totals include the rows with missing pivot values
    assert res[2].df["v (Sum)"].tolist() == [6, 4, 11]
    assert res.specs[1].names == ["g", "v (Sum)", "v (Count)"]
    # missing pivot values kept as their own pivot "?"
    kept = run_node("pivot", {**settings, "missing_values": False}, df)[1]
    assert kept.columns[1:3] == ["?+v (Sum)", "?+v (Count)"]
    assert kept.df["g"].tolist() == ["a", "b", "c"]


def test_pivot_options_retain_order_totals_and_lexicographic() -> None:
    df = pd.DataFrame({"g": ["z", "y", "z"], "p": ["b", "a", "a"], "v": [1.0, 2.0, 3.0]})
    base = {
        **PIVOT_12_01,
        "groupByColumns": ["g"],
        "pivotColumns": ["p"],
        "aggregations": [{"column": "v", "method": "Mean"}],
    }
    plain = run_node("pivot", base, df)[1]
    assert plain.df["g"].tolist() == ["y", "z"]
    assert plain.columns == ["g", "a+Mean(v)", "b+Mean(v)"]
    retained = run_node("pivot", {**base, "retainOrder": True}, df)[1]
    assert retained.df["g"].tolist() == ["z", "y"]
    totals = run_node(
        "pivot", {**base, "total_aggregation": True, "column_name_option": "Aggregation name+Pivot name"}, df
    )[3]
    assert totals.columns == ["g", "Mean(v)+a", "Mean(v)+b", "Mean(v)"]
    assert totals.row_ids == ["Totals"]
    assert totals.df["Mean(v)"].iloc[0] == pytest.approx(2.0)
    assert totals.df["Mean(v)+a"].iloc[0] == pytest.approx(2.5)


def test_pivot_two_pivot_columns_make_all_combinations() -> None:
    df = pd.DataFrame({"g": [1, 1], "p": ["x", "y"], "q": ["u", "w"], "v": [1.0, 2.0]})
    res = run_node(
        "pivot",
        {
            **PIVOT_12_01,
            "groupByColumns": ["g"],
            "pivotColumns": ["p", "q"],
            "aggregations": [{"column": "v", "method": "Sum"}],
        },
        df,
    )
    assert res[1].columns == ["g", "x_u+Sum(v)", "y_u+Sum(v)", "x_w+Sum(v)", "y_w+Sum(v)"]
    assert pd.isna(res[1].df["y_u+Sum(v)"].iloc[0])


def test_pivot_empty_table() -> None:
    df = pd.DataFrame(
        {
            "row": pd.Series([], dtype=float),
            "column": pd.Series([], dtype=float),
            "diag": pd.Series([], dtype=float),
        }
    )
    res = run_node("pivot", PIVOT_12_01, df)
    assert res[1].columns == ["row"] and len(res[1]) == 0
    assert len(res[2]) == 0 and len(res[3]) == 0


def test_pivot_configure_errors() -> None:
    spec = TableSpec.of([("row", "Double"), ("column", "Double"), ("diag", "Double"), ("s", "String")])
    with pytest.raises(ConfigureError, match="No pivot columns"):
        configure_node("pivot", {**PIVOT_12_01, "pivotColumns": []}, spec)
    with pytest.raises(ConfigureError, match="nope") as err:
        configure_node("pivot", {**PIVOT_12_01, "groupByColumns": ["nope"]}, spec)
    assert err.value.setting == "groupByColumns"
    with pytest.raises(ConfigureError, match="Ambiguous"):
        configure_node("pivot", {**PIVOT_12_01, "pivotColumns": ["row"]}, spec)
    with pytest.raises(ConfigureError, match="numeric"):
        configure_node(
            "pivot", {**PIVOT_12_01, "aggregations": [{"column": "s", "method": "Sum_V2.5.2"}]}, spec
        )
    with pytest.raises(ConfigureError, match="not supported"):
        configure_node(
            "pivot", {**PIVOT_12_01, "aggregations": [{"column": "diag", "method": "Frobnicate"}]}, spec
        )
    with pytest.raises(ConfigureError, match="No aggregation"):
        configure_node("pivot", {**PIVOT_12_01, "aggregations": []}, spec)


def test_java_double_rendering() -> None:
    assert [java_double(x) for x in (0.0, 1.0, 10.0, 0.5, 123456.789, 1e7, 1.5e-4, -2.0, 0.001)] == [
        "0.0",
        "1.0",
        "10.0",
        "0.5",
        "123456.789",
        "1.0E7",
        "1.5E-4",
        "-2.0",
        "0.001",
    ]


# ----------------------------------------------------------------------------------------- Unpivot


UNPIVOT_12_01 = {
    "value_columns": {
        "included_names": ["stale"],
        "excluded_names": [],
        "enforce_option": "EnforceExclusion",
    },
    "retained_columns": {"included_names": [], "excluded_names": [], "enforce_option": "EnforceInclusion"},
    "missing_values": False,
}


def test_unpivot_long_table_as_in_12_02() -> None:
    df = pd.DataFrame(
        [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]],
        columns=["0^10^Fd-3m", "5^5^R-3m", "9^1^I41/amd"],
        index=["Al^As", "Sn^As"],
    )
    res = run_node("unpivot", UNPIVOT_12_01, df)
    t = res[1]
    assert t.columns == ["RowIDs", "ColumnNames", "ColumnValues"]
    assert t.row_ids == [f"Row{i}" for i in range(6)]
    assert t.df["RowIDs"].tolist() == ["Al^As"] * 3 + ["Sn^As"] * 3
    assert t.df["ColumnNames"].tolist() == ["0^10^Fd-3m", "5^5^R-3m", "9^1^I41/amd"] * 2
    assert t.df["ColumnValues"].tolist() == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert t.types == {"RowIDs": "String", "ColumnNames": "String", "ColumnValues": "Double"}
    assert res.specs[0] == t.spec


def test_unpivot_missing_retained_name_clash_and_types() -> None:
    frame = pd.DataFrame(
        {"ColumnNames": ["k1", "k2"], "a": pd.array([1, None], dtype="Int64"), "b": [2.5, 3.5]}
    )
    df = Table.from_frame(frame, {"a": ColumnType.INTEGER})
    settings = {
        "value_columns": {"included_names": ["a", "b"], "enforce_option": "EnforceInclusion"},
        "retained_columns": {"included_names": ["ColumnNames"], "enforce_option": "EnforceInclusion"},
        "missing_values": True,
    }
    t = run_node("unpivot", settings, df)[1]
    assert t.columns == ["RowIDs", "ColumnNames(0)", "ColumnValues", "ColumnNames"]
    assert t.df["ColumnNames(0)"].tolist() == ["a", "b", "b"]  # the missing cell of a/Row1 is skipped
    assert t.df["ColumnValues"].tolist() == [1.0, 2.5, 3.5]
    assert t.types["ColumnValues"] == ColumnType.DOUBLE
    assert t.df["ColumnNames"].tolist() == ["k1", "k1", "k2"]
    assert t.row_ids == ["Row0", "Row1", "Row2"]
    ints = run_node(
        "unpivot",
        {
            **settings,
            "missing_values": False,
            "value_columns": {"included_names": ["a"], "enforce_option": "EnforceInclusion"},
        },
        df,
    )[1]
    assert ints.types["ColumnValues"] == ColumnType.INTEGER and ints.df["ColumnValues"].isna().tolist() == [
        False,
        True,
    ]


def test_unpivot_errors_and_empty() -> None:
    with pytest.raises(ConfigureError, match="No column 'value'"):
        configure_node(
            "unpivot",
            {"value_columns": {"enforce_option": "EnforceInclusion"}},
            TableSpec.of([("a", "Double")]),
        )
    t = run_node("unpivot", UNPIVOT_12_01, pd.DataFrame({"a": pd.Series([], dtype=float)}))[1]
    assert len(t) == 0 and t.columns == ["RowIDs", "ColumnNames", "ColumnValues"]
