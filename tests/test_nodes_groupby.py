"""GroupBy: KNIME's aggregation methods, naming policies, group order and RowIDs, checked against
pandas/numpy computations and against the rules of KNIME's GroupByTable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import ColumnType, ConfigureError, Table
from engine.core.testing import configure_node, run_node

GROUPBY = "org.knime.base.node.preproc.groupby.GroupByNodeFactory"


def sample() -> Table:
    df = pd.DataFrame(
        {
            "g": ["b", "a", None, "b", "a", "b"],
            "v": [1.0, 2.0, 3.0, np.nan, 5.0, 7.0],
            "i": pd.array([1, 2, 3, 4, 5, 6], dtype="int64"),
            "s": ["x", "y", "x", None, "y", "z"],
        }
    )
    return Table.from_frame(df, {"g": ColumnType.STRING, "s": ColumnType.STRING})


def aggs(*pairs: tuple[str, str], include_missing: bool | None = None) -> list[dict[str, object]]:
    return [{"column": c, "method": m, "include_missing": include_missing} for c, m in pairs]


def test_numeric_methods_match_pandas() -> None:
    table = sample()
    settings = {
        "groupByColumns": ["g"],
        "aggregations": aggs(
            ("v", "Sum_V2.5.2"),
            ("v", "Mean"),
            ("v", "Median_V3.4"),
            ("v", "Standard deviation"),
            ("v", "Variance"),
            ("v", "Minimum"),
            ("v", "Maximum"),
            ("i", "Sum"),
            ("i", "Range"),
        ),
    }
    run = run_node("groupby", settings, table)
    out = run.df()
    # groups sorted by the group column, the missing group first; RowIDs Row0..
    assert out["g"].tolist() == [None, "a", "b"]
    assert list(out.index) == ["Row0", "Row1", "Row2"]
    ref = table.df.groupby("g", dropna=False)
    for key, row in zip([None, "a", "b"], out.itertuples(index=False), strict=True):
        grp = table.df[table.df["g"].isna()] if key is None else ref.get_group(key)
        v = grp["v"].dropna()
        assert row[1] == pytest.approx(v.sum())
        assert row[2] == pytest.approx(v.mean())
        assert row[3] == pytest.approx(np.median(v))
        assert row[4] == pytest.approx(v.std(ddof=1) if len(v) > 1 else 0.0)
        assert row[5] == pytest.approx(v.var(ddof=1) if len(v) > 1 else 0.0)
        assert row[6] == v.min() and row[7] == v.max()
        assert row[8] == grp["i"].sum()
        assert row[9] == grp["i"].max() - grp["i"].min()
    assert out.columns.tolist() == [
        "g",
        "Sum(v)",
        "Mean(v)",
        "Median(v)",
        "Standard deviation(v)",
        "Variance(v)",
        "Min(v)",
        "Max(v)",
        "Sum(i)",
        "Range(i)",
    ]
    assert run.specs[0].type_of("Sum(i)") == ColumnType.LONG  # int64 column: a Long
    assert run.specs[0].type_of("Mean(v)") == ColumnType.DOUBLE


def test_general_methods_and_missing_cells() -> None:
    table = sample()
    settings = {
        "groupByColumns": ["g"],
        "aggregations": aggs(
            ("s", "First"),
            ("s", "Last"),
            ("s", "Count"),
            ("s", "Unique count"),
            ("s", "Concatenate"),
            ("s", "Unique concatenate"),
            ("s", "List"),
            ("s", "Set"),
            ("s", "Mode"),
            ("s", "Percent"),
            ("s", "Missing value count"),
        ),
    }
    out = run_node("groupby", settings, table).df().set_index("g", drop=False)
    b = out.loc["b"]
    # method defaults for missing cells: First/Last/Count/List/Concatenate/Unique count take them,
    # Unique concatenate does not
    assert b["First(s)"] == "x" and b["Last(s)"] == "z"
    assert b["Count(s)"] == 3 and b["Unique count(s)"] == 3
    assert b["Concatenate(s)"] == "x, ?, z"
    assert b["Unique concatenate(s)"] == "x, z"
    assert b["List(s)"] == ("x", None, "z")
    assert b["Set(s)"] == ("x", None, "z")
    assert b["Mode(s)"] == "x"
    assert b["Percent(s)"] == pytest.approx(100 * 3 / 6)
    assert b["Missing value count(s)"] == 1
    a = out.loc["a"]
    assert a["List(s)"] == ("y", "y") and a["Set(s)"] == ("y",) and a["Unique count(s)"] == 1


def test_missing_cells_excluded_when_asked() -> None:
    settings = {
        "groupByColumns": ["g"],
        "aggregations": aggs(("s", "Count"), ("s", "List"), include_missing=False),
    }
    out = run_node("groupby", settings, sample()).df().set_index("g")
    assert out.loc["b", "Count(s)"] == 2 and out.loc["b", "List(s)"] == ("x", "z")


def test_spec_types_of_collections_and_configure_matches_execute() -> None:
    settings = {"groupByColumns": ["g"], "aggregations": aggs(("s", "List"), ("i", "Set"), ("i", "Count"))}
    table = sample()
    specs = configure_node("groupby", settings, table.spec)
    run = run_node("groupby", settings, table)
    assert specs[0] == run.specs[0] == run.outputs[0].spec
    assert specs[0].type_of("List(s)") == "List of String"
    assert specs[0].type_of("Set(i)") == "Set of Long"
    assert specs[0].type_of("Count(i)") == ColumnType.INTEGER


def test_naming_policies_and_repeated_names() -> None:
    table = sample()
    base = {"groupByColumns": ["g"], "aggregations": aggs(("v", "Sum"), ("i", "Mean"))}
    out = run_node("groupby", {**base, "columnNamePolicy": "Column name (aggregation method)"}, table).df()
    assert out.columns.tolist() == ["g", "v (Sum)", "i (Mean)"]
    out = run_node("groupby", {**base, "columnNamePolicy": "Keep original name(s)"}, table).df()
    assert out.columns.tolist() == ["g", "v", "i"]
    # the same column and method twice (with and without missing cells): KNIME appends _1
    twice = [{"column": "v", "method": "Count", "include_missing": True}, {"column": "v", "method": "Count"}]
    out = run_node("groupby", {"groupByColumns": ["g"], "aggregations": twice}, table).df()
    assert out.columns.tolist() == ["g", "Count(v)", "Count(v)_1"]
    with pytest.raises(ConfigureError, match="Duplicate column names"):
        configure_node(
            "groupby",
            {"groupByColumns": ["g"], "aggregations": twice, "columnNamePolicy": "Keep original name(s)"},
            table.spec,
        )


def test_row_order_options() -> None:
    table = sample()
    base = {"groupByColumns": ["g"], "aggregations": aggs(("i", "Sum"))}
    retained = run_node("groupby", {**base, "retainOrder": True}, table).df()
    assert retained["g"].tolist() == ["b", "a", None]
    assert list(retained.index) == ["Row2", "Row1", "Row0"]  # RowIDs of the sorted pass, rows reordered
    memory = run_node("groupby", {**base, "inMemory": True}, table).df()
    assert memory["g"].tolist() == ["b", "a", None]
    assert list(memory.index) == ["Row0", "Row1", "Row2"]
    assert memory["Sum(i)"].tolist() == [1 + 4 + 6, 2 + 5, 3]


def test_no_group_column_aggregates_the_table_and_empty_input() -> None:
    out = run_node("groupby", {"aggregations": aggs(("v", "Mean"), ("s", "Count"))}, sample()).df()
    assert out.shape == (1, 2)
    assert out.iloc[0, 0] == pytest.approx(np.nanmean([1.0, 2.0, 3.0, 5.0, 7.0]))
    empty = Table.from_frame(sample().df.iloc[:0], sample().types)
    out = run_node("groupby", {"groupByColumns": ["g"], "aggregations": aggs(("v", "Sum"))}, empty).df()
    assert out.shape == (0, 2)


def test_pattern_and_type_aggregators() -> None:
    settings = {
        "groupByColumns": ["g"],
        "aggregations": aggs(("v", "Max")),
        "patternAggregators": [{"pattern": "[is]", "regex": True, "method": "Count"}],
        "dataTypeAggregators": [{"type": "Double", "method": "Mean"}],
    }
    out = run_node("groupby", settings, sample()).df()
    assert out.columns.tolist() == ["g", "Max(v)", "Count(i)", "Count(s)"]


def test_configure_errors() -> None:
    spec = sample().spec
    with pytest.raises(ConfigureError, match="not found"):
        configure_node("groupby", {"groupByColumns": ["nope"]}, spec)
    with pytest.raises(ConfigureError, match="needs a numeric column"):
        configure_node("groupby", {"groupByColumns": ["g"], "aggregations": aggs(("s", "Sum"))}, spec)
    with pytest.raises(ConfigureError, match="not supported"):
        configure_node("groupby", {"groupByColumns": ["g"], "aggregations": aggs(("s", "Frobnicate"))}, spec)
    with pytest.raises(ConfigureError, match="at least one group"):
        configure_node("groupby", {}, spec)


def test_unique_value_limit_skips_group_with_warning() -> None:
    settings = {
        "groupByColumns": ["g"],
        "aggregations": aggs(("s", "Unique concatenate")),
        "maxNoneNumericalVals": 1,
    }
    run = run_node("groupby", settings, sample())
    assert run.df().set_index("g").loc["b", "Unique concatenate(s)"] is None
    assert any("Skipped group(s): s" in w for w in run.warnings)


def test_knime_settings_translate(tmp_path) -> None:
    model = {
        "grouByColumns": {"InclList": ["g"], "ExclList": []},
        "maxNoneNumericalVals": 10000,
        "enableHilite": False,
        "sortInMemory": False,
        "aggregationColumn": {
            "columnNames": ["v", "s"],
            "aggregationMethod": ["Sum_V2.5.2", "Unique concatenate"],
            "inclMissingVals": [False, True],
        },
        "patternAggregators": {},
        "dataTypeAggregators": {},
        "columnNamePolicy": "Aggregation method (column name)",
        "retainOrder": False,
        "inMemory": False,
        "valueDelimiter": "; ",
        "nodeVersion": 1,
    }
    node_type, settings, found = import_node(tmp_path, GROUPBY, model)
    assert node_type == "groupby"
    assert [f for f in found if "nodeVersion" not in f and "sortInMemory" not in f] == []
    assert settings["groupByColumns"] == ["g"]
    assert settings["aggregations"][1] == {
        "column": "s",
        "method": "Unique concatenate",
        "include_missing": True,
    }
    out = run_node("groupby", settings, sample()).df()
    assert out.set_index("g").loc["b", "Unique concatenate(s)"] == "x; ?; z"
