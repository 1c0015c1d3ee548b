"""KNIME's older views as pictures: Interactive Histogram (local), Scatter Plot (local), Decision
Tree View (JavaScript), Heatmap (JavaScript); their numbers checked against hand-derived values
and numpy, and their mappings against hand-made settings with the keys KNIME writes.

Histogram borders, derived by hand from KNIME's BinningUtil: an Integer column 1..20 gets
min(10, 20) bins; the width (20 - 1) / 10 = 1.9 is rounded up to 2, the first bin can start at 0,
so the bins are [0 - 2], (2 - 4], ..., (18 - 20]. A Double column 0..100: width 10; the last border
100 rounded up at the third decimal (the +0.9 rule) is 100.001 > 10 * 10, so the width grows by
0.1% to 10.01 and each border is rounded up the same way: 10.011, 20.022, ..., 100.11.
"""

from __future__ import annotations

import struct
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import INACTIVE, ConfigureError, Model, Table
from engine.core.testing import run_node
from nodes.legacy_views import (
    DecisionTreeViewSettings,
    HeatmapSettings,
    InteractiveHistogramSettings,
    heat_color,
    histogram_bins,
    histogram_columns,
    interval_bins,
    tree_boxes,
    visualized_columns,
    wnumb,
)

HISTOGRAM = "org.knime.base.node.viz.histogram.node.HistogramNodeFactory"
SCATTER = "org.knime.base.node.viz.plotter.scatter.ScatterPlotterNodeFactory"
TREE_VIEW = "org.knime.js.base.node.viz.decisiontree.classification.DecisionTreeViewNodeFactory"
HEATMAP = "org.knime.js.base.node.viz.heatmap.HeatMapNodeFactory"


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def right_closed_counts(values: np.ndarray, edges: list[float]) -> list[int]:
    """Counts per bin, the first [a, b], the others (a, b] (numpy, independent of the node)."""
    index = np.digitize(values, edges[1:-1], right=True)
    return np.bincount(index, minlength=len(edges) - 1).tolist()


# ------------------------------------------------------------------------- Interactive Histogram


def test_integer_bins_follow_binningutil() -> None:
    values = [1, 2, 2, 3, 7, 8, 8, 8, 15, 20]
    column = pd.Series(pd.array([*values, None], dtype="Int32"))
    edges = [float(e) for e in range(0, 21, 2)]
    expected = right_closed_counts(np.array(values, dtype=float), edges)
    captions = ["[0 - 2]"] + [f"({a} - {a + 2}]" for a in range(2, 20, 2)]
    shown = [(c, n) for c, n in zip(captions, expected, strict=True) if n] + [("Missing_values", 1)]
    bins = histogram_bins(column, column, "Integer")
    assert [(b.caption, b.rows) for b in bins] == shown
    assert [c for c, *_ in interval_bins(1.0, 20.0, 10, True)] == captions
    assert [c for c, *_ in interval_bins(3.0, 7.0, 5, True)] == ["3", "4", "5", "6", "7"]


def test_double_bins_and_row_limit() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([[0.0, 100.0], rng.uniform(0, 100, 40)])
    edges = [0.0] + [round(0.011 * 1000 * k) / 1000 + 10 * k for k in range(1, 11)]
    assert edges[-1] == pytest.approx(100.11)
    bins = interval_bins(0.0, 100.0, 10, False)
    assert [b[2] for b in bins] == pytest.approx(edges[1:])
    assert bins[0][0] == "[0 - 10.011]" and bins[1][0] == "(10.011 - 20.022]"
    df = pd.DataFrame({"v": values, "w": values * 2})
    run = run_node(
        "interactive_histogram", {"HistogramXColName": "v", "noOfRows": 20, "aggrColumn": ["w"]}, df
    )
    assert run.warnings == ["Only the first 20 of 42 rows are displayed."]
    counted = histogram_bins(df["v"], df["v"].iloc[:20], "Double")
    expected = right_closed_counts(values[:20], edges)
    assert [b.rows for b in counted] == [n for n in expected if n]
    assert png_size(run[1].png) == (800, 600)


def test_nominal_bins_defaults_and_errors() -> None:
    texts = ["b", "a", "c", "a", None, "b", "a"]
    column = pd.Series(texts, dtype=object)
    counts = Counter(t for t in texts if t is not None)
    bins = histogram_bins(column, column, "String")
    assert [(b.caption, b.rows) for b in bins] == [*sorted(counts.items()), ("Missing_values", 1)]
    first3 = histogram_bins(column, column.iloc[:3], "String")
    assert [(b.caption, b.rows) for b in first3] == [("a", 1), ("b", 1), ("c", 1)]
    df = pd.DataFrame({"s": texts, "v": np.arange(7.0), "w": np.arange(7.0)})
    spec = Table.from_frame(df).spec
    # a saved column the table lacks: KNIME takes the first binnable column and the next numeric one
    gone = InteractiveHistogramSettings(HistogramXColName="gone", aggrColumn=["w"])
    assert histogram_columns(spec, gone) == ("s", ["v"])
    assert histogram_columns(spec, InteractiveHistogramSettings(HistogramXColName="v")) == ("v", [])
    with pytest.raises(ConfigureError, match="greater zero"):
        run_node("interactive_histogram", {"HistogramXColName": "s", "noOfRows": 0}, df)
    assert run_node("interactive_histogram", {"HistogramXColName": "s", "allRows": True}, df)[1].png


def test_histogram_import(tmp_path: Path) -> None:
    model = {
        "allRows": False,
        "noOfRows": 20000,
        "HistogramXColName": "parental level of education",
        "aggrColumn": {
            "colorColumnNames": ["math score", "reading score"],
            "math score": -65536,
            "reading score": -16776961,
        },
    }
    node, report, _ = import_fragment(tmp_path, HISTOGRAM, model)
    assert node.type == "interactive_histogram" and findings(report) == []
    assert node.settings == {
        "allRows": False,
        "noOfRows": 20000,
        "HistogramXColName": "parental level of education",
        "aggrColumn": ["math score", "reading score"],
        "aggrColumnColors": ["#ff0000", "#0000ff"],
    }
    _, report, _ = import_fragment(tmp_path, HISTOGRAM, {**model, "binCount": 5})
    assert any("binCount" in f for f in findings(report))


# ------------------------------------------------------------------------------ Scatter (local)


def test_scatter_local_opens_on_the_first_two_kept_columns(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "id": [f"r{i}" for i in range(8)],  # 8 values > max_nominal_values 3: left out
            "empty": [np.nan] * 8,  # no bounds: left out
            "a": np.arange(8.0),
            "b": ["x", "y"] * 4,
            "c": np.arange(8.0) ** 2,
        }
    )
    assert visualized_columns(Table.from_frame(df), 3) == ["a", "b", "c"]
    assert visualized_columns(Table.from_frame(df), 60) == ["id", "a", "b", "c"]
    run = run_node("scatter_plot_local", {"end": 5, "max_nominal_values": 3}, df)
    assert "Only the first 5 rows are displayed." in run.warnings
    assert png_size(run[1].png) == (800, 600)
    node, report, _ = import_fragment(
        tmp_path, SCATTER, {"end": 20600, "max_nominal_values": 60, "antialias": False}
    )
    assert node.type == "scatter_plot_local" and findings(report) == []
    assert node.settings == {"end": 20600, "max_nominal_values": 60}


# ------------------------------------------------------------------------- Decision Tree View


def training() -> pd.DataFrame:
    """x = 1..20; A (x 1-5), B (6-9), C (10-15), D (16-20); the learner splits x <= 15.5 (A5 B4 C6)
    against D5, then y <= 5 (A5 B4) against C6, then x <= 5.5 (A5) against B4."""
    y = [1, 2, 1, 2, 1, 1, 2, 1, 2, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8]
    classes = ["A"] * 5 + ["B"] * 4 + ["C"] * 6 + ["D"] * 5
    return pd.DataFrame({"x": np.arange(1.0, 21.0), "y": np.array(y, dtype=float), "cls": classes})


@cache
def learned() -> Model:
    return run_node("decision_tree_learner", {"classifyColumn": "cls"}, training())[1]


def test_tree_boxes_as_the_view_opens() -> None:
    tree = learned().payload
    root = tree_boxes(tree, DecisionTreeViewSettings())
    assert root.label == "C (6/20)" and root.split == "x" and root.expanded
    assert [(c.condition, c.label, c.expanded) for c in root.children] == [
        ("≤ 15.50", "C (6/15)", False),
        ("> 15.50", "D (5/5)", False),
    ]
    assert tree_boxes(tree, DecisionTreeViewSettings(expandedLevel=0)).children == []
    deep = tree_boxes(tree, DecisionTreeViewSettings(expandedLevel=5, decimals="1", truncationLimit=6))
    assert [c.condition for c in deep.children[0].children] == ["≤ 5.0", "> 5.0"]
    assert deep.children[0].children[0].children[1].label == "B (..."


def test_number_format() -> None:
    fmt = DecisionTreeViewSettings(thousand=",", prefix="$", negativeBefore="(", postfix="!")
    assert wnumb(1234.565, fmt) == "$1,234.57!"
    assert wnumb(-0.5, fmt) == "($-0.50!"
    assert wnumb(1234.5, DecisionTreeViewSettings(decimals="")) == "1234.5"


def test_decision_tree_view_ports() -> None:
    df = training()
    run = run_node("decision_tree_view_js", {"maxRows": 3}, learned(), df)
    selected = run[2].df["Selected (Decision Tree View)"].tolist()
    assert selected[:3] == [False] * 3 and all(pd.isna(v) for v in selected[3:])
    assert run.warnings == ["Only the first 3 rows are displayed in the view."]
    width, height = png_size(run[1].png)
    assert width >= 400 and height >= 300
    alone = run_node("decision_tree_view_js", {"generateImage": False}, learned())
    assert alone[1] is INACTIVE and alone[2] is INACTIVE and alone.specs == [INACTIVE, INACTIVE]
    assert run_node("decision_tree_view_js", {"enableSelection": False}, learned(), df)[2] is INACTIVE
    with pytest.raises(ConfigureError, match="not compatible"):
        run_node("decision_tree_view_js", {}, learned(), df.drop(columns="y"))


TREE_MODEL = {
    "enableViewConfiguration": True,
    "generateImage": True,
    "hideInWizard": False,
    "enableTitleChange": True,
    "enableSubtitleChange": True,
    "chartTitle": "",
    "chartSubtitle": "",
    "backgroundColor": "#FFFFFF",
    "dataAreaColor": "#FFFFFF",
    "nodeBackgroundColor": "#FFFFFF",
    "nodeStatus": {},
    "expandedLevel": 1,
    "nodeStatusFromView": False,
    "maxRows": 10000,
    "enableSelection": False,
    "selectionColumnName": "Selected (Decision Tree View)",
    "decimals": "2",
    "mark": ".",
    "thousand": None,
    "prefix": None,
    "postfix": None,
    "negative": "-",
    "negativeBefore": None,
    "negativeClasses": None,
    "encoder": None,
    "decoder": None,
    "edit": None,
    "undo": None,
    "publishSelection": True,
    "subscribeSelection": True,
    "displayFullscreenButton": True,
    "enableZooming": True,
    "displaySelectionResetButton": True,
    "truncationLimit": 25,
    "scale": 1.0,
    "showZoomResetButton": False,
    "customCSS": "",
}


def test_decision_tree_view_import(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, TREE_VIEW, TREE_MODEL)
    assert node.type == "decision_tree_view_js" and findings(report) == []
    assert node.settings["nodeStatus"] is None and node.settings["thousand"] == ""
    assert node.settings["enableSelection"] is False and node.settings["decimals"] == "2"
    node, report, _ = import_fragment(tmp_path, TREE_VIEW, {**TREE_MODEL, "nodeStatus": [1, 0, 1]})
    assert node.settings["nodeStatus"] == [1, 0, 1]
    _, report, _ = import_fragment(tmp_path, TREE_VIEW, {**TREE_MODEL, "scale": 2.0, "customCSS": "svg {}"})
    assert len(findings(report)) == 2


# ------------------------------------------------------------------------------------ Heatmap


def test_heat_colors() -> None:
    settings = HeatmapSettings()
    assert heat_color(0.0, 0.0, 4.0, settings) == "#5e3c99"
    assert heat_color(2.0, 0.0, 4.0, settings) == "#f7f7f7"
    assert heat_color(4.0, 0.0, 4.0, settings) == "#e66101"
    # a quarter: halfway between #5E3C99 and #F7F7F7, (94+247)/2 = 170.5 -> 171, 153.5 -> 154, 200
    assert heat_color(1.0, 0.0, 4.0, settings) == "#ab9ac8"
    assert heat_color(None, 0.0, 4.0, settings) == "#000000"
    out = HeatmapSettings(upperOutOfRangeColor="#ff0000", lowerOutOfRangeColor="#00ff00")
    assert heat_color(5.0, 0.0, 4.0, out) == "#ff0000" and heat_color(-1.0, 0.0, 4.0, out) == "#00ff00"
    discrete = HeatmapSettings(
        continuousGradient=False, discreteGradientColors=["#111111", "#222222", "#333333"]
    )
    # d3.scaleQuantize over [0, 3] with three colours: thresholds at 1 and 2
    shown = [heat_color(v, 0.0, 3.0, discrete) for v in (0.0, 0.9, 1.4, 2.5, 3.0)]
    assert shown == ["#111111", "#111111", "#222222", "#333333", "#333333"]


def test_heatmap_node(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1.0, 5.0, np.nan], "b": [-2.0, 0.0, 3.0], "name": ["p", "q", "r"]})
    run = run_node("heatmap_js", {"labelColumn": "name", "imageWidth": 400, "imageHeight": 300}, df)
    assert png_size(run[1].png) == (400, 300)
    assert run[2].columns == ["a", "b", "name", "Selected (Heatmap)"]
    assert run[2].df["Selected (Heatmap)"].tolist() == [False] * 3
    off = run_node("heatmap_js", {"generateImage": False, "enableSelection": False}, df)
    assert off[1] is INACTIVE and off[2].columns == ["a", "b", "name"]
    with pytest.raises(ConfigureError, match="no numeric columns"):
        run_node("heatmap_js", {}, df[["name"]])
    model = {
        "customCSS": "",
        "hideInWizard": False,
        "showWarningInView": True,
        "generateImage": True,
        "imageWidth": 800,
        "imageHeight": 600,
        "resizeToWindow": True,
        "displayFullscreenButton": True,
        "chartTitle": "Heatmap",
        "chartSubtitle": "",
        "minValue": 0.0,
        "maxValue": 1.0,
        "useCustomMin": False,
        "useCustomMax": False,
        "enableViewConfiguration": True,
        "enableTitleChange": True,
        "enableColorModeEdit": True,
        "enableShowToolTips": True,
        "showToolTips": False,
        "threeColorGradient": ["#5E3C99", "#F7F7F7", "#E66101"],
        "discreteGradientColors": ["#5E3C99", "#F7F7F7", "#E66101"],
        "continuousGradient": True,
        "numDiscreteColors": 3,
        "missingValueColor": "#000000",
        "upperOutOfRangeColor": "#000000",
        "lowerOutOfRangeColor": "#000000",
        "columns": {
            "filter-type": "STANDARD",
            "included_names": ["a", "b"],
            "excluded_names": [],
            "enforce_option": "EnforceExclusion",
        },
        "labelColumn": "name",
        "svgLabelColumn": None,
        "subscribeFilter": True,
        "enableSelection": True,
        "publishSelection": True,
        "subscribeSelection": True,
        "selectionColumnName": "Selected (Heatmap)",
        "showSelectedRowsOnly": False,
        "enableShowSelectedRowsOnly": True,
        "showResetSelectionButton": True,
        "enablePaging": True,
        "initialPageSize": 100,
        "enablePageSizeChange": True,
        "allowedPageSizes": [100, 250, 500, 1000],
        "enableShowAll": False,
        "enableZoom": True,
        "enablePanning": True,
        "showZoomResetButton": False,
    }
    node, report, _ = import_fragment(tmp_path, HEATMAP, model)
    assert node.type == "heatmap_js" and findings(report) == []
    assert node.settings["columns"]["included_names"] == ["a", "b"] and node.settings["labelColumn"] == "name"
    assert run_node("heatmap_js", node.settings, df)[1].png
    _, report, _ = import_fragment(tmp_path, HEATMAP, {**model, "showSelectedRowsOnly": True})
    assert any("showSelectedRowsOnly" in f for f in findings(report))
