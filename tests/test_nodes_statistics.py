"""Statistics and Linear Correlation: commons-math moments against scipy, KNIME's table layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, TableSpec
from engine.core.testing import configure_node, run_node


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "a": rng.normal(size=50),
            "b": rng.integers(0, 10, 50),
            "s": rng.choice(["x", "y", "z"], 50),
            "t": rng.choice(["u", "v"], 50),
        }
    )
    df.loc[3, "a"] = np.nan
    df.loc[5, "s"] = None
    return df


def test_statistics_moments_equal_scipy_and_layout(data: pd.DataFrame) -> None:
    res = run_node("statistics", {"compute_median": True}, data)
    stats = res.df(1)
    assert res[1].columns[:15] == [
        "Column",
        "Min",
        "Max",
        "Mean",
        "Std. deviation",
        "Variance",
        "Skewness",
        "Kurtosis",
        "Overall sum",
        "No. missings",
        "No. NaNs",
        "No. +\u221es",
        "No. -\u221es",
        "Median",
        "Row count",
    ]
    assert res[1].types["Histogram"] == "SVG image" and stats.index.tolist() == ["a", "b"]
    a = data["a"].dropna().to_numpy()
    row = stats.loc["a"]
    assert row["Mean"] == pytest.approx(a.mean()) and row["Variance"] == pytest.approx(a.var(ddof=1))
    assert row["Skewness"] == pytest.approx(st.skew(a, bias=False))
    assert row["Kurtosis"] == pytest.approx(st.kurtosis(a, bias=False))
    assert (
        row["Median"] == pytest.approx(np.median(a)) and row["No. missings"] == 1 and row["Row count"] == 50
    )
    assert row["Overall sum"] == pytest.approx(a.sum())
    assert stats.loc["b", "Min"] == data["b"].min() and stats.loc["b", "Max"] == data["b"].max()
    assert res.specs[0] == res[1].spec and res.specs[1] == res[2].spec and res.specs[2] == res[3].spec
    nominal = res.df(2)
    assert nominal.index.tolist() == ["s", "t"] and nominal["No. missings"].tolist() == [1, 0]
    assert nominal["Histogram"].iloc[0].startswith("<svg")


def test_occurrences_counts_order_and_knime_names(data: pd.DataFrame) -> None:
    occ = run_node(
        "statistics",
        {"filter_nominal_columns": {"included_names": ["s"], "enforce_option": "EnforceInclusion"}},
        data,
    )
    df = occ.df(3)
    assert occ[3].columns == ["s", "Count (s)", "Relative Frequency (s)"]
    counts = data["s"].value_counts(dropna=False)
    assert df["Count (s)"].tolist() == sorted(counts.tolist(), reverse=True)
    assert df["Relative Frequency (s)"].sum() == pytest.approx(1.0)
    assert pd.isna(df["s"].iloc[-1])  # the missing cell is a value of its own (count 1)
    both = run_node("statistics", {}, data)
    # KNIME renames every odd column to "Count (<the one before>)", meant for two columns per value
    assert both[3].columns == [
        "s",
        "Count (s)",
        "Relative Frequency (s)",
        "Count (Relative Frequency (s))",
        "t_Count",
        "Count (t_Count)",
    ]
    too_few = run_node("statistics", {"num_nominal_values_output": 2}, data)
    assert any("exceeds for column(s)" in w for w in too_few.warnings)


def test_linear_correlation_pairs_matrix_and_p_values(data: pd.DataFrame) -> None:
    res = run_node("linear_correlation", {}, data)
    pairs = res.df(1)
    assert res[1].columns == [
        "First column name",
        "Second column name",
        "Correlation value",
        "p value",
        "Degrees of freedom",
    ]
    first = pairs.iloc[0]
    ok = data["a"].notna()
    r, p = st.pearsonr(data["a"][ok], data["b"][ok])
    assert (first["First column name"], first["Second column name"]) == ("a", "b")
    assert first["Correlation value"] == pytest.approx(r) and first["p value"] == pytest.approx(p)
    assert first["Degrees of freedom"] == ok.sum() - 2
    mixed = pairs[(pairs["First column name"] == "a") & (pairs["Second column name"] == "s")].iloc[0]
    assert np.isnan(mixed["Correlation value"])
    nominal = pairs.iloc[-1]
    table = pd.crosstab(data["s"].fillna("?"), data["t"])
    chi2, p_chi, dof, _ = st.chi2_contingency(table, correction=False)
    assert nominal["Correlation value"] == pytest.approx(np.sqrt(chi2 / (len(data) * (min(table.shape) - 1))))
    assert nominal["p value"] == pytest.approx(p_chi) and nominal["Degrees of freedom"] == dof
    matrix = res.df(2)
    assert matrix.loc["a", "b"] == matrix.loc["b", "a"] == pytest.approx(r) and matrix.loc["a", "a"] == 1.0
    greater = run_node(
        "linear_correlation", {"pvalAlternative": "GREATER", "columnPairsFilter": "VALID_CORRELATION"}, data
    )
    assert len(greater.df(1)) == 2
    assert greater.df(1)["p value"].iloc[0] == pytest.approx(
        st.pearsonr(data["a"][ok], data["b"][ok], alternative="greater")[1]
    )
    assert res.specs[1] == res[2].spec
    with pytest.raises(ConfigureError, match="No columns selected"):
        configure_node(
            "linear_correlation",
            {"include_list": {"included_names": [], "enforce_option": "EnforceInclusion"}},
            TableSpec.of([("a", ColumnType.DOUBLE)]),
        )


def test_knime_settings_import(tmp_path: Path) -> None:
    stats = {
        "compute_median": True,
        "num_nominal-values": 20,
        "num_nominal-values_output": 1000,
        "filter_nominal_columns": {
            "filter-type": "STANDARD",
            "included_names": ["s"],
            "excluded_names": ["a"],
            "enforce_option": "EnforceInclusion",
        },
        "image format": "SVG",
        "histogram width": 200,
        "histogram height": 100,
        "enable HiLite": False,
        "show min max": True,
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.stats.viz.extended.ExtendedStatisticsNodeFactory", stats
    )
    assert node.type == "statistics" and findings(report) == []
    assert node.settings["compute_median"] is True
    corr = {
        "include-list": {
            "filter-type": "STANDARD",
            "included_names": ["a", "b"],
            "excluded_names": [],
            "enforce_option": "EnforceExclusion",
        },
        "possibleValuesCount": 50,
        "pvalAlternative": "TWO_SIDED",
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.preproc.correlation.compute2.CorrelationCompute2NodeFactory", corr
    )
    assert node.type == "linear_correlation" and findings(report) == []


def test_value_counter_sorts_by_the_column_type_with_missing_first(tmp_path: Path) -> None:
    from engine.api import Table

    words = Table.from_frame(
        pd.DataFrame({"w": ["b", "a", None, "B", "b", "a10", "a2", None, "b"]}), {"w": ColumnType.STRING}
    )
    run = run_node("value_counter", {"columnName": "w"}, words)
    out = run.outputs[0]
    # String.compareTo: upper case first, "a10" < "a2"; the missing cell ("?") before every value
    assert out.row_ids == ["?", "B", "a", "a10", "a2", "b"]
    assert out.df["count"].tolist() == [2, 1, 1, 1, 1, 3] and out.types["count"] == ColumnType.INTEGER
    assert run.specs[0] == out.spec
    numbers = Table.from_frame(pd.DataFrame({"x": [10.0, 2.0, 2.0, -1.5]}))
    assert run_node("value_counter", {"columnName": "x"}, numbers).outputs[0].row_ids == [
        "-1.5",
        "2.0",
        "10.0",
    ]
    with pytest.raises(ConfigureError, match="No column selected"):
        configure_node("value_counter", {}, numbers.spec)
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.base.node.preproc.valcount.ValueCounterNodeFactory",
        {"columnName": "x", "hiliting": True},
    )
    assert node.type == "value_counter" and findings(report) == [] and node.settings["columnName"] == "x"
