"""Row Aggregator: sums, averages, extremes and counts per category against pandas/numpy, KNIME's
result types and column names (RowAggregatorNodeModel, SumNumeric, AverageNumeric,
MultiplyNumeric, WeightedAverageNumeric, GroupByTable) and its settings layouts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import UNKNOWN, ColumnType, ConfigureError, Table
from engine.core.testing import configure_node, run_node

FACTORY = "org.knime.base.node.preproc.rowagg.RowAggregatorNodeFactory"
ALL = {"included_names": [], "excluded_names": [], "enforce_option": "EnforceExclusion"}


def only(*names: str) -> dict[str, object]:
    return {"included_names": list(names), "excluded_names": [], "enforce_option": "EnforceInclusion"}


def sample() -> Table:
    df = pd.DataFrame(
        {
            "g": ["b", "a", None, "b", "a", "b", "c"],
            "i": pd.array([1, 2, 3, None, 5, 6, 7], dtype="Int64"),
            "l": pd.array([10, 20, 30, 40, 50, 60, 70], dtype="int64"),
            "d": [1.5, np.nan, 0.25, 2.0, 0.1, 0.2, 0.3],
            "f": [True, False, True, True, None, False, True],
            "w": [1.0, 2.0, 0.5, 3.0, np.nan, 1.5, 2.5],
            "s": ["x", "y", "z", "x", "y", "z", "x"],
        }
    )
    types = {
        "g": ColumnType.STRING,
        "i": ColumnType.INTEGER,
        "l": ColumnType.LONG,
        "d": ColumnType.DOUBLE,
        "f": ColumnType.BOOLEAN,
        "w": ColumnType.DOUBLE,
        "s": ColumnType.STRING,
    }
    return Table.from_frame(df.astype({"f": "boolean"}), types)


def groups(table: Table) -> list[tuple[str | None, pd.DataFrame]]:
    """The groups in KNIME's output order: missing category first, then sorted."""
    df = table.df
    keys = [None, *sorted(k for k in df["g"].dropna().unique())]
    return [(k, df[df["g"].isna()] if k is None else df[df["g"] == k]) for k in keys]


def run(table: Table, **settings: object):
    return run_node("row_aggregator", {"frequencyColumns": ALL, **settings}, table)


def test_sum_per_category_matches_pandas_with_knime_types() -> None:
    table = sample()
    result = run(table, categoryColumn="g", aggregationMethod="SUM")
    out = result.df()
    # numeric columns only, original names; Integer and Boolean sums are Integer, Long stays Long
    assert result.specs[0].names == ["g", "i", "l", "d", "f", "w"]
    assert [result.specs[0].type_of(c) for c in ("i", "l", "d", "f", "w")] == [
        ColumnType.INTEGER,
        ColumnType.LONG,
        ColumnType.DOUBLE,
        ColumnType.INTEGER,
        ColumnType.DOUBLE,
    ]
    assert list(out.index) == ["Row0", "Row1", "Row2", "Row3"]
    assert out["g"].tolist() == [None, "a", "b", "c"]
    for row, (_, grp) in zip(out.itertuples(index=False), groups(table), strict=True):
        assert row.i == grp["i"].sum()
        assert row.l == grp["l"].sum()
        assert row.d == pytest.approx(grp["d"].sum(), abs=0, rel=1e-15)
        assert row.f == int(grp["f"].dropna().astype(int).sum())
    assert result.outputs[1] is None  # no grand totals asked for: the port is inactive
    assert result.specs[1] is UNKNOWN


def test_double_sums_add_in_row_order() -> None:
    values = [1e16, 1.0, -1e16, 1.0]  # pairwise or compensated sums give 2.0; Java's loop gives 1.0
    out = run(Table.from_frame(pd.DataFrame({"v": values})), aggregationMethod="SUM").df()
    total = 0.0
    for v in values:
        total += v
    assert out["v"].iloc[0] == total == 1.0


def test_average_is_knime_incremental_mean() -> None:
    table = sample()
    out = run(table, categoryColumn="g", aggregationMethod="AVERAGE").df()
    for row, (_, grp) in zip(out.itertuples(index=False), groups(table), strict=True):
        for col in ("i", "l", "d"):
            present = grp[col].dropna().astype(float).tolist()
            if not present:
                assert pd.isna(getattr(row, col))
                continue
            assert getattr(row, col) == pytest.approx(np.mean(present), rel=1e-15)
            mean = 0.0  # commons-math's Mean, as AverageNumeric documents it
            for n, x in enumerate(present, start=1):
                mean += (x - mean) / n
            assert getattr(row, col) == mean
    assert out["i"].dtype == np.float64


def test_weighted_sum_and_average_match_numpy() -> None:
    table = sample()
    s = run(
        table, categoryColumn="g", aggregationMethod="SUM", weightColumn="w", frequencyColumns=only("d", "l")
    )
    a = run(
        table, categoryColumn="g", aggregationMethod="AVERAGE", weightColumn="w", frequencyColumns=only("d")
    )
    assert s.specs[0].type_of("l") == ColumnType.DOUBLE  # Double weight x Long value
    for row_s, row_a, (_, grp) in zip(
        s.df().itertuples(index=False), a.df().itertuples(index=False), groups(table), strict=True
    ):
        both = grp.dropna(subset=["d", "w"])
        if both.empty:
            assert pd.isna(row_s.d) and pd.isna(row_a.d)
            continue
        assert row_s.d == pytest.approx(float(np.sum(both["d"] * both["w"])), rel=1e-15)
        assert row_a.d == pytest.approx(float(np.average(both["d"], weights=both["w"])), rel=1e-14)
        with_l = grp.dropna(subset=["w"])
        assert row_s.l == pytest.approx(float(np.sum(with_l["l"] * with_l["w"])))


def test_integer_weights_keep_integer_products() -> None:
    df = pd.DataFrame({"g": ["a", "a", "b"], "x": [2, 3, 4], "n": [5, 6, 7]})
    table = Table.from_frame(df, {"g": ColumnType.STRING, "x": ColumnType.INTEGER, "n": ColumnType.INTEGER})
    result = run(
        table, categoryColumn="g", aggregationMethod="SUM", weightColumn="n", frequencyColumns=only("x")
    )
    assert result.specs[0].type_of("x") == ColumnType.INTEGER
    assert result.df()["x"].tolist() == [2 * 5 + 3 * 6, 4 * 7]


def test_min_max_keep_types_and_match_pandas() -> None:
    table = sample()
    low = run(table, categoryColumn="g", aggregationMethod="MIN")
    high = run(table, categoryColumn="g", aggregationMethod="MAX")
    assert low.specs[0].type_of("f") == ColumnType.BOOLEAN and low.specs[0].type_of("i") == ColumnType.INTEGER
    for lo, hi, (_, grp) in zip(
        low.df().itertuples(index=False), high.df().itertuples(index=False), groups(table), strict=True
    ):
        for col in ("i", "l", "d", "f"):
            present = grp[col].dropna()
            if present.empty:
                assert pd.isna(getattr(lo, col))
                continue
            assert getattr(lo, col) == present.min()
            assert getattr(hi, col) == present.max()


def test_minimum_prefers_negative_zero_as_double_compare() -> None:
    out = run(Table.from_frame(pd.DataFrame({"v": [0.0, -0.0]})), aggregationMethod="MIN").df()
    assert np.signbit(out["v"].iloc[0])


def test_count_and_grand_totals() -> None:
    table = sample()
    result = run(table, categoryColumn="g", aggregationMethod="COUNT", grandTotals=True)
    assert result.specs[0].names == ["g", "OCCURRENCE_COUNT"]
    assert result.specs[0].type_of("OCCURRENCE_COUNT") == ColumnType.LONG
    assert result.df()["OCCURRENCE_COUNT"].tolist() == [len(grp) for _, grp in groups(table)]
    totals = result.df(2)
    assert list(totals.index) == ["Row0"] and totals["OCCURRENCE_COUNT"].tolist() == [len(table)]
    sums = run(table, categoryColumn="g", aggregationMethod="SUM", grandTotals=True)
    assert sums.specs[1].names == ["i", "l", "d", "f", "w"]
    assert sums.df(2)["l"].tolist() == [int(table.df["l"].sum())]


def test_without_category_the_totals_are_the_first_output() -> None:
    table = sample()
    result = run(table, aggregationMethod="AVERAGE", grandTotals=True)
    assert result.specs[0].names == ["i", "l", "d", "f", "w"]
    assert result.df()["d"].iloc[0] == pytest.approx(table.df["d"].mean())
    assert result.outputs[1] is None


def test_empty_input() -> None:
    empty = Table.from_frame(sample().df.iloc[:0], sample().types)
    counted = run(empty, aggregationMethod="COUNT")
    assert counted.df()["OCCURRENCE_COUNT"].tolist() == [0]  # COUNT never gives a missing cell
    summed = run(empty, aggregationMethod="SUM")
    assert len(summed.df()) == 1 and summed.df().isna().all(axis=None)
    grouped = run(empty, categoryColumn="g", aggregationMethod="SUM", grandTotals=True)
    assert len(grouped.df()) == 0 and len(grouped.df(2)) == 1


def test_category_column_aggregated_too_gets_suffix() -> None:
    df = pd.DataFrame({"k": [1, 1, 2], "v": [1.0, 2.0, 3.0]})
    table = Table.from_frame(df, {"k": ColumnType.INTEGER, "v": ColumnType.DOUBLE})
    result = run(table, categoryColumn="k", aggregationMethod="SUM")
    assert result.specs[0].names == ["k", "k_1", "v"]
    assert result.df()["k_1"].tolist() == [2, 2]


def test_integer_sum_overflow_is_a_skipped_group() -> None:
    df = pd.DataFrame({"g": ["a", "a", "b"], "x": [2**31 - 1, 1, 5]})
    table = Table.from_frame(df, {"g": ColumnType.STRING, "x": ColumnType.INTEGER})
    result = run(table, categoryColumn="g", aggregationMethod="SUM")
    assert pd.isna(result.df()["x"].iloc[0]) and result.df()["x"].iloc[1] == 5
    assert any(
        w.startswith('Skipped group(s): x groups: "a" cause: "Numeric overflow') for w in result.warnings
    )


def test_configure_errors() -> None:
    spec = sample().spec
    with pytest.raises(ConfigureError, match="Choose at least one aggregation column"):
        configure_node("row_aggregator", {"frequencyColumns": only("s")}, spec)
    with pytest.raises(ConfigureError, match='Missing category column: "nope"'):
        configure_node("row_aggregator", {"categoryColumn": "nope"}, spec)
    with pytest.raises(ConfigureError, match='Missing weight column: "nope"'):
        configure_node("row_aggregator", {"weightColumn": "nope"}, spec)
    renamed = Table.from_frame(pd.DataFrame({"OCCURRENCE_COUNT": ["a"]})).spec
    with pytest.raises(ConfigureError, match="ambiguous"):
        configure_node(
            "row_aggregator", {"categoryColumn": "OCCURRENCE_COUNT", "aggregationMethod": "COUNT"}, renamed
        )
    # MIN and MAX have no weighted version: KNIME ignores the (greyed-out) weight column
    specs = configure_node("row_aggregator", {"aggregationMethod": "MAX", "weightColumn": "nope"}, spec)
    assert specs[0].names == ["i", "l", "d", "f", "w"]


def test_fragment_web_ui_layout(tmp_path) -> None:
    model = {
        "categoryColumnV2": {"regularChoice": "g", "specialChoice": None},
        "aggregationMethod": "AVERAGE",
        "frequencyColumns": {
            "mode": "MANUAL",
            "patternFilter": {"pattern": "", "isCaseSensitive": False, "isInverted": False},
            "manualFilter": {
                "manuallySelected": ["d"],
                "manuallyDeselected": ["i"],
                "includeUnknownColumns": False,
            },
            "typeFilter": {"selectedTypes": [], "typeDisplays": []},
        },
        "weightColumnV2": {"regularChoice": None, "specialChoice": "NONE"},
        "grandTotals": True,
        "enableHiliting": False,
    }
    type_name, settings, found = import_node(tmp_path, FACTORY, model)
    assert type_name == "row_aggregator" and found == []
    assert settings["categoryColumn"] == "g" and settings["weightColumn"] is None
    assert settings["grandTotals"] is True and settings["aggregationMethod"] == "AVERAGE"
    out = run_node("row_aggregator", settings, sample())
    assert out.specs[0].names == ["g", "d"]


def test_fragment_first_layout(tmp_path) -> None:
    """KNIME 5.1's settings: the columns were plain strings, `<none>` (or empty) for none."""
    model = {
        "categoryColumn": "<none>",
        "aggregationMethod": "SUM",
        "frequencyColumns": {
            "selected": ["l"],
            "mode": "MANUAL",
            "manualFilter": {
                "manuallySelected": ["l"],
                "manuallyDeselected": [],
                "includeUnknownColumns": False,
            },
        },
        "weightColumn": "w",
        "grandTotals": False,
    }
    type_name, settings, found = import_node(tmp_path, FACTORY, model)
    assert found == []
    assert settings["categoryColumn"] is None and settings["weightColumn"] == "w"
    out = run_node("row_aggregator", settings, sample()).df()
    both = sample().df.dropna(subset=["w"])
    assert out["l"].iloc[0] == pytest.approx(float(np.sum(both["l"] * both["w"])))
