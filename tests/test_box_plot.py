"""Box Plot and Conditional Box Plot: KNIME's BoxplotCalculator statistics (quartiles without
interpolation, whiskers, mild and extreme outliers), the boxes the views draw and their import."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import config, findings, import_fragment, notes

from engine.api import ColumnType, ConfigureError, NodeError, Table, TableSpec
from engine.core.testing import configure_node, run_node
from nodes._colors import ColorModel, set_color_model
from nodes._plotting import D3_CATEGORY10
from nodes.box_plot import (
    BoxStatistics,
    ConditionalBoxPlotSettings,
    box_statistics,
    class_colors,
    conditional_statistics,
    js_object_order,
    js_round2,
    shown_classes,
)

DYNAMIC_JS = "org.knime.dynamic.js.v30.DynamicJSNodeFactory"
BOX_DIR = config("factory_settings", nodeDir="org.knime.dynamic.js.base:nodes/:boxplot_v2")
COND_DIR = config("factory_settings", nodeDir="org.knime.dynamic.js.base:nodes/:cond_boxplot_v2")
SMALL = {"width": 240, "height": 160}


def expected_box(values: np.ndarray) -> dict[str, object]:
    """The statistics by numpy: for n = 4k and 4k + 1 KNIME's quartiles are numpy's "midpoint"
    percentiles; the whiskers the extreme values within 1.5 IQR of the box."""
    q1, q3 = np.percentile(values, [25, 75], method="midpoint")
    iqr = q3 - q1
    inside = values[(values >= q1 - 1.5 * iqr) & (values <= q3 + 1.5 * iqr)]
    extreme = (values < q1 - 3 * iqr) | (values > q3 + 3 * iqr)
    return {
        "q1": q1,
        "median": np.median(values),
        "q3": q3,
        "lower_whisker": inside.min(),
        "upper_whisker": inside.max(),
        "mild": sorted(values[~extreme & ((values < q1 - 1.5 * iqr) | (values > q3 + 1.5 * iqr))].tolist()),
        "extreme": sorted(values[extreme].tolist()),
    }


def check(s: BoxStatistics, values: np.ndarray) -> None:
    expected = expected_box(values)
    mild, extreme = expected.pop("mild"), expected.pop("extreme")
    found = summary(s)
    assert (found.pop("mild"), found.pop("extreme")) == (mild, extreme)
    assert found == pytest.approx(expected)


def summary(s: BoxStatistics) -> dict[str, object]:
    return {
        "q1": s.lower_quartile,
        "median": s.median,
        "q3": s.upper_quartile,
        "lower_whisker": s.lower_whisker,
        "upper_whisker": s.upper_whisker,
        "mild": sorted(v for v, _ in s.mild_outliers),
        "extreme": sorted(v for v, _ in s.extreme_outliers),
    }


@pytest.mark.parametrize("n", [8, 9, 40, 41, 101])
def test_statistics_match_numpy_where_the_methods_agree(n: int) -> None:
    rng = np.random.default_rng(n)
    values = np.concatenate([rng.normal(size=n - 3), [6.0, -9.0, 25.0]])
    stats = box_statistics(values, [f"Row{i}" for i in range(n)])
    check(stats, values)
    assert (stats.minimum, stats.maximum) == (values.min(), values.max())
    assert ("Row" + str(n - 1), 25.0) in [(r, v) for v, r in stats.extreme_outliers]


def test_quartiles_without_interpolation_for_other_sizes() -> None:
    # n = 6: Q1 = v[1], Q3 = v[4] (numpy's linear percentiles would say 2.25 and 4.75)
    s = box_statistics(np.array([6.0, 1.0, 5.0, 2.0, 4.0, 3.0]), list("abcdef"))
    assert (s.lower_quartile, s.median, s.upper_quartile) == (2.0, 3.5, 5.0)
    s = box_statistics(np.array([1.0, 2.0, 3.0, 4.0, 100.0, 5.0, 6.0]), list("abcdefg"))  # n = 7
    assert (s.lower_quartile, s.median, s.upper_quartile) == (2.0, 4.0, 6.0)
    assert s.upper_whisker == 6.0 and s.extreme_outliers == [(100.0, "e")]
    s = box_statistics(np.array([7.0]), ["x"])
    assert (s.lower_whisker, s.lower_quartile, s.median, s.upper_quartile, s.upper_whisker) == (7.0,) * 5


def test_box_plot_node_per_column_missing_and_special_doubles() -> None:
    df = pd.DataFrame(
        {
            "b": [1.0, 2.0, np.nan, 4.0, 5.0],
            "17": [3.0, 1.0, 2.0, 5.0, 4.0],
            "none": [np.nan] * 5,
            "t": list("abcde"),
        }
    )
    res = run_node("box_plot", {"columns": {"enforce_option": "EnforceExclusion"}, **SMALL}, df)
    assert res[1].png[:4] == b"\x89PNG"
    assert any("b - 1 missing value(s)" in w for w in res.warnings)
    assert any("only missing values and were excluded" in w and "none" in w for w in res.warnings)
    assert js_object_order(["b", "17", "none", "01", "3"]) == ["3", "17", "b", "none", "01"]
    inf = df.assign(b=[1.0, np.inf, 2.0, 3.0, 4.0])
    with pytest.raises(NodeError, match="Incompatible value encountered: Infinity"):
        run_node("box_plot", {}, inf)
    res = run_node("box_plot", {"failOnSpecialDoubles": False, "multi": False, "numCol": "b", **SMALL}, inf)
    assert any("1 missing value(s)" in w for w in res.warnings)
    with pytest.raises(ConfigureError, match="No numeric columns given"):
        configure_node("box_plot", {}, TableSpec.of([("t", ColumnType.STRING)]))


def test_conditional_statistics_per_class_and_order() -> None:
    rng = np.random.default_rng(5)
    classes = np.repeat(["b", "A", "10", "9"], [8, 9, 12, 13]).astype(object)
    values = rng.normal(size=len(classes))
    values[[0, 20]] = np.nan
    df = pd.DataFrame({"c": np.append(classes, [None, None]), "v": np.append(values, [1.5, np.nan])})
    stats, excluded, missing = conditional_statistics(Table.from_frame(df), "c", "v", True)
    assert list(stats) == ["10", "9", "A", "b", "Missing values"]  # Java's String order, missing last
    for name, group in df.dropna(subset=["c"]).groupby("c"):
        kept = group["v"].dropna().to_numpy()
        if len(kept) % 4 in (0, 1):
            check(stats[str(name)], kept)
        assert stats[str(name)].median == pytest.approx(np.median(kept))
    assert excluded == [] and missing == {"10": 1, "b": 1, "Missing values": 1}
    settings = ConditionalBoxPlotSettings(catCol="c")
    assert list(shown_classes(stats, settings)) == ["9", "10", "A", "b", "Missing values"]  # JS object order
    hidden = settings.model_copy(update={"includeMissValClass": False})
    assert list(shown_classes(stats, hidden)) == ["9", "10", "A", "b"]


def test_conditional_node_colours_and_warnings() -> None:
    df = pd.DataFrame({"c": ["x", "y", "x", "z", None, "y"], "v": [1.0, 2.0, 3.0, np.nan, 4.0, 5.0]})
    flt = {"included_names": ["v"], "enforce_option": "EnforceInclusion"}
    res = run_node("conditional_box_plot", {"catCol": "c", "columns": flt, **SMALL}, df)
    assert res[1].png[:4] == b"\x89PNG"
    assert any("excluded from the view:\n    z" in w for w in res.warnings)
    settings = ConditionalBoxPlotSettings(catCol="c")
    assert class_colors(["x", "y"], settings, None) == list(D3_CATEGORY10[:2])
    colour_df = pd.DataFrame({"name": ["y", "x"]})
    set_color_model(colour_df, "name", ColorModel("nominal", {"x": "#ff0000", "y": "#00ff00"}))
    table = Table.from_frame(colour_df)
    # known classes take their row's colour; an unknown one the next colour of the scale's range
    assert class_colors(["x", "y", "w"], settings, table) == ["#ff0000", "#00ff00", "#00ff00"]
    plain = settings.model_copy(update={"applyColors": False, "boxColor": "#123456"})
    assert class_colors(["x", "y"], plain, table) == ["#123456", "#123456"]
    res = run_node("conditional_box_plot", {"catCol": "c", "columns": flt, **SMALL}, df, table)
    assert res[1].png[:4] == b"\x89PNG"
    with pytest.raises(ConfigureError, match="not available anymore"):
        configure_node("conditional_box_plot", {"catCol": "q"}, TableSpec.of([("v", ColumnType.DOUBLE)]))


def test_labels_round_like_javascript() -> None:
    # 2.675 * 100 is 267.5 in doubles: Math.round goes up, also for -267.5 (to -267);
    # -1.235 * 100 is -123.50000000000001, nearer -124
    assert [js_round2(v) for v in (3.0, 2.675, -2.675, 1.005, -1.235, 0.1 + 0.2, 1234.5678)] == [
        "3",
        "2.68",
        "-2.67",
        "1",
        "-1.24",
        "0.3",
        "1234.57",
    ]


WHITE = {"Red": 255, "Green": 255, "Blue": 255, "Alpha": 255}
FILTER = {
    "filter-type": "STANDARD",
    "included_names": ["total_rooms"],
    "excluded_names": ["longitude", "median_house_value"],
    "enforce_option": "EnforceExclusion",
    "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True, "excludeMatching": False},
    "datatype": {"typelist": {"org.knime.core.data.DoubleValue": False}},
}
# the model keys of KNIME 4.5's Box Plot (CHP-, Data Underst #11 / Box Plot #9)
BOX_MODEL = {
    "numCol": "median_house_value",
    "backgroundColor": WHITE,
    "svg": {"width": 800, "height": 600, "fullscreen": True, "showFullscreen": True},
    "columns": FILTER,
    "boxColor": {**WHITE, "Red": 16},
    "enableTitleEdit": True,
    "displayFullscreen": True,
    "title": "Box Plot",
    "multi": True,
    "failOnSpecialDoubles": True,
    "reportOnMissingValues": True,
    "subtitle": "",
    "enableViewControls": True,
    "enableColumnSelection": True,
    "showWarnings": True,
    "enableSubtitleEdit": True,
    "daColor": WHITE,
    "hideInWizard": False,
    "maxRows": 2500,
    "generateImage": False,
    "customCSS": "",
}
# the model keys of KNIME 4.7's Conditional Box Plot (AML EDA #242 / Conditional Box Plot #268)
COND_MODEL = {
    **{k: v for k, v in BOX_MODEL.items() if k != "multi"},
    "numCol": "amount",
    "catCol": "isFraud",
    "enableSwitchMissValClass": True,
    "applyColors": True,
    "includeMissValClass": True,
    "title": "Conditional Box Plot",
}


def test_import_of_the_real_keys(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, DYNAMIC_JS, BOX_MODEL, extra=BOX_DIR)
    assert node.type == "box_plot" and findings(report) == []
    assert node.settings["boxColor"] == "#10ffff" and node.settings["columns"]["included_names"] == [
        "total_rooms"
    ]
    assert node.settings["numCol"] == "median_house_value" and node.settings["width"] == 800
    assert any("enableColumnSelection" in n for n in notes(report))
    node, report, _ = import_fragment(tmp_path, DYNAMIC_JS, COND_MODEL, extra=COND_DIR)
    assert node.type == "conditional_box_plot" and findings(report) == []
    assert node.settings["catCol"] == "isFraud" and node.settings["applyColors"] is True


def test_unknown_key_and_unreadable_colour_are_findings(tmp_path: Path) -> None:
    model = {**BOX_MODEL, "whiskerFactor": 2.0, "daColor": {"Red": "x"}}
    _, report, _ = import_fragment(tmp_path, DYNAMIC_JS, model, extra=BOX_DIR)
    assert any("whiskerFactor" in f for f in findings(report))
    assert any("daColor" in f for f in findings(report))
