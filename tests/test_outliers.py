"""Numeric Outliers: the quartile estimations, groups, treatments, the heuristic, and the KNIME
mapping with the keys of real settings.xml files.

The expected intervals are computed here with numpy's percentiles. commons-math's estimation types
are Hyndman & Fan's definitions, which numpy names: R_1 inverted_cdf, R_2 averaged_inverted_cdf,
R_3 closest_observation, R_4 interpolated_inverted_cdf, R_5 hazen, R_6 weibull, R_7 linear,
R_8 median_unbiased, R_9 normal_unbiased; LEGACY ((n+1)p, first/last value outside) equals R_6
(weibull) for the quartiles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, Model
from engine.core.testing import run_node
from nodes.outliers import PSquare

FACTORY = "org.knime.base.node.stats.outlier.handler.NumericOutliersNodeFactory"
NUMPY_METHOD = {
    "R_1": "inverted_cdf",
    "R_2": "averaged_inverted_cdf",
    "R_3": "closest_observation",
    "R_4": "interpolated_inverted_cdf",
    "R_5": "hazen",
    "R_6": "weibull",
    "R_7": "linear",
    "R_8": "median_unbiased",
    "R_9": "normal_unbiased",
    "LEGACY": "weibull",
}
X = [3.0, 7.0, 8.0, 5.0, 12.0, 14.0, 21.0, 13.0, 18.0, 95.0, -40.0]
DF = pd.DataFrame(
    {
        "x": X + [None],
        "n": pd.array([4, 5, 5, 6, 7, 5, 4, 6, 30, 5, 6, None], dtype="Int64"),
        "g": ["b", "a", "b", "a", "b", "a", "b", "a", "b", "a", "b", None],
    }
)
ONLY = {"included_names": ["x"], "enforce_option": "EnforceInclusion"}


def interval(values: list[float], method: Any, k: float = 1.5) -> tuple[float, float]:
    q1, q3 = np.percentile(values, [25, 75], method=method)
    return q1 - k * (q3 - q1), q3 + k * (q3 - q1)


@pytest.mark.parametrize("estimation", list(NUMPY_METHOD))
@pytest.mark.parametrize("size", [4, 7, 11])
def test_intervals_match_numpy_percentiles(estimation: str, size: int) -> None:
    values = X[:size]
    settings = {"outlier_list": ONLY, "estimation_type": estimation, "iqr_scalar": 2.0}
    summary = run_node("numeric_outliers", settings, DF.iloc[:size])[2].df
    low, high = interval(values, NUMPY_METHOD[estimation], 2.0)
    assert summary.loc["Row0", "Lower bound"] == pytest.approx(low, abs=1e-12)
    assert summary.loc["Row0", "Upper bound"] == pytest.approx(high, abs=1e-12)
    assert summary.loc["Row0", "Member count"] == size


def test_replace_by_missing_and_summary_table() -> None:
    run = run_node("numeric_outliers", {}, DF)  # R_6, k = 1.5, all numeric columns
    low, high = interval(X, "weibull")
    treated, summary = run[1], run[2]
    flagged = [v < low or v > high for v in X]
    assert flagged == [False] * 9 + [True, True]
    assert treated.df["x"].isna().tolist() == flagged + [True]
    n_low, n_high = interval([4, 5, 5, 6, 7, 5, 4, 6, 30, 5, 6], "weibull")
    assert (n_low, n_high) == (pytest.approx(3.5), pytest.approx(7.5))
    assert treated.df["n"].tolist()[8] is pd.NA and treated.types["n"] == "Long"
    assert treated.row_ids == DF.index.map(lambda i: f"Row{i}").tolist()
    assert summary.columns == [
        "Outlier column",
        "Member count",
        "Outlier count",
        "Lower bound",
        "Upper bound",
    ]
    assert summary.row_ids == ["Row0", "Row1"]
    assert summary.df["Outlier column"].tolist() == ["x", "n"]
    assert summary.df["Member count"].tolist() == [11, 11]
    assert summary.df["Outlier count"].tolist() == [2, 1]
    model = run[3]
    assert isinstance(model, Model) and model.summary == 'Outlier treatment for columns: "x", "n"'
    assert model.payload.intervals[()]["x"] == (pytest.approx(low), pytest.approx(high))


def test_groups_sorted_or_in_memory_order() -> None:
    settings = {
        "outlier_list": ONLY,
        "use_groups": True,
        "groups_list": {"included_names": ["g", "x"], "enforce_option": "EnforceInclusion"},
        "estimation_type": "R_7",
    }
    summary = run_node("numeric_outliers", settings, DF)[2]
    # x is an outlier column, hence no group column; groups sorted with the missing one first
    assert summary.columns[:2] == ["Outlier column", "g"]
    assert summary.df["g"].tolist() == [None, "a", "b"]
    for row, group in (("Row1", "a"), ("Row2", "b")):
        values = [v for v, g in zip(X, DF["g"], strict=False) if g == group]
        low, high = interval(values, "linear")
        assert summary.df.loc[row, "Lower bound"] == pytest.approx(low)
        assert summary.df.loc[row, "Upper bound"] == pytest.approx(high)
        assert summary.df.loc[row, "Member count"] == len(values)
    assert summary.df.loc["Row0", "Member count"] == 0 and pd.isna(summary.df.loc["Row0", "Lower bound"])
    in_memory = run_node("numeric_outliers", {**settings, "memory_policy": True}, DF)[2]
    assert in_memory.df["g"].tolist() == ["b", "a", None]


def test_closest_permitted_value_and_detection_options() -> None:
    closest = {"replacement_strategy": "Closest permitted value"}
    run = run_node("numeric_outliers", closest, DF)
    low, high = interval(X, "weibull")
    assert run[1].df["x"].tolist()[9:11] == [pytest.approx(high), pytest.approx(low)]
    # Long column: the largest whole number inside [3.5, 7.5]
    assert run[1].df["n"].tolist()[8] == 7 and run[1].types["n"] == "Long"
    assert run[2].df["Outlier count"].tolist() == [2, 1]
    upper_only = run_node(
        "numeric_outliers", {**closest, "detection_option": "Outliers above upper bound"}, DF
    )
    assert upper_only[1].df["x"].tolist()[9:11] == [pytest.approx(high), -40.0]
    lower_only = run_node("numeric_outliers", {"detection_option": "Outliers below lower bound"}, DF)
    assert lower_only[1].df["x"].isna().tolist()[9:11] == [False, True]
    assert lower_only[2].df["Outlier count"].tolist() == [1, 0]


def test_remove_outlier_rows_or_keep_only_them() -> None:
    removed = run_node("numeric_outliers", {"outlier_treatment": "Remove outlier rows"}, DF)
    assert removed[1].row_ids == [f"Row{i}" for i in (0, 1, 2, 3, 4, 5, 6, 7, 11)]
    assert removed[1].df["x"].tolist()[:2] == [3.0, 7.0]  # rows are kept as they are
    kept = run_node("numeric_outliers", {"outlier_treatment": "Remove non-outlier rows"}, DF)
    assert kept[1].row_ids == ["Row8", "Row9", "Row10"]
    assert kept[2].df["Outlier count"].tolist() == [2, 1]
    none = run_node("numeric_outliers", {"outlier_treatment": "Remove non-outlier rows"}, DF.iloc[:5])
    assert len(none[1]) == 0 and none.warnings == ["Node created an empty data table"]


def test_heuristic_quartiles() -> None:
    """Up to five values P² takes the sorted value at int(q * (n - 1)); beyond, its markers move
    as in Jain & Chlamtac's worked example (median of 20 values: markers 0.02, 0.49, 4.44, 17.20,
    38.62 at positions 1, 6, 10, 16, 20)."""
    values = [9.0, 1.0, 4.0, 2.0, 100.0]
    frame = pd.DataFrame({"x": values})
    summary = run_node("numeric_outliers", {"use_heuristic": True}, frame)[2].df
    q1, q3 = sorted(values)[1], sorted(values)[3]  # int(0.25 * 4), int(0.75 * 4)
    assert summary.loc["Row0", "Lower bound"] == q1 - 1.5 * (q3 - q1)
    assert summary.loc["Row0", "Outlier count"] == 1
    paper = [0.02, 0.15, 0.74, 3.39, 0.83, 22.37, 10.15, 15.43, 38.62, 15.92]
    paper += [34.60, 10.28, 1.47, 0.40, 0.05, 11.39, 0.27, 0.42, 0.09, 11.37]
    median = PSquare(0.5)
    for v in paper:
        median.add(v)
    assert median.markers is not None
    assert [round(m.height, 2) for m in median.markers[1:]] == [0.02, 0.49, 4.44, 17.2, 38.62]
    assert [m.position for m in median.markers[1:]] == [1, 6, 10, 16, 20]


def test_configure_errors() -> None:
    with pytest.raises(ConfigureError, match="Input does not contain numerical columns"):
        run_node("numeric_outliers", {}, pd.DataFrame({"s": ["a"]}))
    with pytest.raises(ConfigureError, match="Please include at least one numerical column"):
        run_node(
            "numeric_outliers",
            {"outlier_list": {"included_names": ["g"], "enforce_option": "EnforceInclusion"}},
            DF,
        )
    with pytest.raises(ConfigureError, match="greater than or equal 0"):
        run_node("numeric_outliers", {"iqr_scalar": -1.0}, DF)


def _filter(included: list[str], excluded: list[str], enforce: str) -> dict[str, object]:
    """SettingsModelColumnFilter2 as KNIME 4.x writes it."""
    types = ["DoubleValue", "StringValue", "BooleanValue", "IntValue", "LongValue"]
    return {
        "filter-type": "STANDARD",
        "included_names": included,
        "excluded_names": excluded,
        "enforce_option": enforce,
        "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True, "excludeMatching": False},
        "datatype": {"typelist": {f"org.knime.core.data.{t}": False for t in types}},
    }


def _model(**changes: object) -> dict[str, object]:
    """The keys of PAnsah98/CHP- "Numeric Outliers (#10)" (KNIME 4.5)."""
    model: dict[str, object] = {
        "estimation-type_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": True},
        "estimation-type": "R_4",
        "groups-list": _filter([], ["x", "n", "g"], "EnforceInclusion"),
        "memory-policy": False,
        "outlier-list": _filter(["x", "n"], [], "EnforceExclusion"),
        "iqr-scalar": 1.5,
        "use-groups": False,
        "replacement-strategy": "Missing values",
        "outlier-treatment": "Replace outlier values",
        "detection-option": "All outliers",
        "update-domain": False,
        "use-heuristic": "false",
    }
    return {**model, **changes}


def test_imports_the_real_layouts(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, FACTORY, _model())
    assert node.type == "numeric_outliers" and findings(report) == []
    assert node.settings["estimation_type"] == "R_4" and node.settings["use_heuristic"] is False
    summary = run_node("numeric_outliers", node.settings, DF)[2].df
    assert summary.loc["Row0", "Lower bound"] == pytest.approx(interval(X, "interpolated_inverted_cdf")[0])
    # SilasContaifer/KNIME_Example "Numeric Outliers (#55)" (KNIME 4.3): groups, closest value, in memory
    grouped = _model(
        **{
            "groups-list": _filter(["g"], ["x", "n"], "EnforceInclusion"),
            "outlier-list": _filter(["x", "n"], [], "EnforceInclusion"),
            "memory-policy": True,
            "use-groups": True,
            "replacement-strategy": "Closest permitted value",
        }
    )
    node, report, _ = import_fragment(tmp_path, FACTORY, grouped)
    assert findings(report) == []
    assert node.settings["memory_policy"] is True and node.settings["groups_list"]["included_names"] == ["g"]
    assert run_node("numeric_outliers", node.settings, DF)[2].df["g"].tolist()[:3] == ["b", "a", None]


def test_unsupported_values_become_findings(tmp_path: Path) -> None:
    _, report, _ = import_fragment(tmp_path, FACTORY, _model(**{"use-heuristic": "sometimes"}))
    assert any("use-heuristic" in f for f in findings(report))
    _, report, _ = import_fragment(tmp_path, FACTORY, _model(**{"estimation-type": "R_10"}))
    assert any("estimation_type" in f for f in findings(report))
    _, report, _ = import_fragment(tmp_path, FACTORY, _model(**{"outlier-weights": "median"}))
    assert any("outlier-weights" in f for f in findings(report))
