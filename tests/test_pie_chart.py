"""Pie/Donut Chart: the slices of KNIME's GroupedProcessor and donutchart.js (order, magnitudes,
left-out and missing categories, NVD3 labels and colours), its picture and its import."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import config, findings, import_fragment, notes

from engine.api import ColumnType, ConfigureError, Table, TableSpec, View
from engine.core.testing import configure_node, run_node
from nodes._colors import ColorModel, set_color_model
from nodes._plotting import D3_CATEGORY10, D3_CATEGORY20
from nodes.pie_chart import PieChartSettings, PieSlices, d3_fixed, pie_slices

DYNAMIC_JS = "org.knime.dynamic.js.v30.DynamicJSNodeFactory"
DONUT_DIR = config("factory_settings", nodeDir="org.knime.dynamic.js.base:nodes/:donutChart")
COUNT = "Occurence\u00a0Count"

DF = pd.DataFrame(
    {
        "g": ["b", "a", None, "B", "c", "A", "d", "a", None, "c"],
        "v": [1.0, -2.0, -3.0, np.nan, 5.0, 2.5, np.nan, 4.0, -1.0, 0.5],
    }
)


def slices(**settings: object) -> PieSlices:
    return pie_slices(Table.from_frame(DF), PieChartSettings.model_validate({"cat": "g", **settings}))


def test_counts_sorted_case_insensitively_with_missing_slice_last() -> None:
    s = slices()
    counts = DF["g"].value_counts()
    expected = sorted(sorted(counts.index), key=str.lower)  # GroupBy's order, then the view's stable sort
    assert s.labels == [*expected, "Missing values"]
    assert s.values == [float(counts[c]) for c in expected] + [float(DF["g"].isna().sum())]
    assert slices(includeMissValCat=False).labels == expected
    assert slices(reportOnMissingValues=False).labels == expected


def test_sums_and_averages_as_magnitudes_except_the_missing_slice() -> None:
    present = DF.dropna(subset=["g"])
    for aggr, method in (("Sum", "sum"), ("Average", "mean")):
        s = slices(aggr=aggr, freq="v")
        grouped = getattr(present.groupby("g")["v"], method)()  # pandas: an all-missing group sums to 0
        kept = [
            c
            for c in sorted(grouped.index, key=str.lower)
            if present.loc[present["g"] == c, "v"].notna().any()
        ]
        assert s.labels == [*kept, "Missing values"]
        missing_rows = DF.loc[DF["g"].isna(), "v"]
        missing_value = missing_rows.sum() if aggr == "Sum" else missing_rows.mean()
        assert s.values == pytest.approx([abs(grouped[c]) for c in kept] + [missing_value])
        assert s.values[-1] < 0  # donutchart.js leaves the missing slice's sign alone
        assert s.excluded == ["B", "d"] and s.missing == {"g": 2, "v": 2}


def test_labels_threshold_and_formats() -> None:
    df = pd.DataFrame({"g": ["a", "b", "c", "d"], "v": [1.0, 19.0, 1234.5, 0.125]})
    settings = PieChartSettings(cat="g", aggr="Sum", freq="v", labelType="Value", labelThreshold=0.0)
    assert pie_slices(Table.from_frame(df), settings).texts == ["1.00", "19.00", "1,234.50", "0.13"]
    two = pd.DataFrame({"g": ["a", "b"], "v": [1.0, 19.0]})  # a's share is exactly 5 %
    s = PieChartSettings(cat="g", aggr="Sum", freq="v", labelType="Percent", labelThreshold=0.05)
    assert pie_slices(Table.from_frame(two), s).texts == ["5%", "95%"]
    three = pd.DataFrame({"g": ["a", "b"], "v": [1.0, 20.0]})  # 4.76 % < 5 %: no label
    assert pie_slices(Table.from_frame(three), s).texts == ["", "95%"]
    keys = s.model_copy(update={"labelType": "Key", "showLabels": True})
    assert pie_slices(Table.from_frame(two), keys).texts == ["a", "b"]
    assert pie_slices(Table.from_frame(two), keys.model_copy(update={"showLabels": False})).texts == ["", ""]
    # JavaScript's toFixed rounds the exact binary value half up: 0.125 -> 0.13, 1.005 (1.00499...) -> 1.00
    assert (d3_fixed(0.125, 2), d3_fixed(1.005, 2), d3_fixed(12.5, 0), d3_fixed(-2.5, 0)) == (
        "0.13",
        "1.00",
        "13",
        "-3",
    )


def test_colours_palette_and_row_colours() -> None:
    assert slices().colors == list(D3_CATEGORY10[:7])
    many = pd.DataFrame({"g": [f"c{i:02d}" for i in range(12)]})
    assert pie_slices(Table.from_frame(many), PieChartSettings(cat="g")).colors == list(D3_CATEGORY20[:12])
    coloured = DF.copy()
    set_color_model(coloured, "g", ColorModel("nominal", {"a": "#ff0000", "b": "#00ff00"}))
    s = pie_slices(Table.from_frame(coloured), PieChartSettings(cat="g", customColors=True))
    # KNIME's default grey for the values the model does not list and for the missing category
    assert s.colors == ["#808080", "#ff0000", "#808080", "#00ff00", "#808080", "#808080", "#808080"]


def test_draws_pie_and_donut_and_warns() -> None:
    small = {"width": 240, "height": 160}
    for extra in ({"legend": False}, {"togglePie": True, "holeSize": 0.5, "insideTitle": "in"}):
        res = run_node("pie_chart", {"cat": "g", "aggr": "Sum", "freq": "v", **small, **extra}, DF)
        assert isinstance(res[1], View) and res[1].png is not None and res[1].png[:4] == b"\x89PNG"
    assert any("B', 'd' have only missing values" in w for w in res.warnings)
    assert any("v - 2 missing value(s)" in w for w in res.warnings)
    empty = run_node("pie_chart", {"cat": "g", **small}, DF.iloc[:0])
    assert empty[1].png[:4] == b"\x89PNG" and any("No chart was generated" in w for w in empty.warnings)


def test_configure_checks() -> None:
    spec = TableSpec.of([("g", ColumnType.STRING), ("v", ColumnType.DOUBLE), ("t", ColumnType.STRING)])
    with pytest.raises(ConfigureError, match="No column selected for category"):
        configure_node("pie_chart", {}, spec)
    with pytest.raises(ConfigureError, match="No column selected for frequency"):
        configure_node("pie_chart", {"cat": "g", "aggr": "Sum"}, spec)
    with pytest.raises(ConfigureError, match="frequency column with name x not found"):
        configure_node("pie_chart", {"cat": "g", "aggr": "Average", "freq": "x"}, spec)
    with pytest.raises(ConfigureError, match="not numeric"):
        configure_node("pie_chart", {"cat": "g", "aggr": "Sum", "freq": "t"}, spec)


# the model keys of KNIME 4.7's Pie/Donut Chart (AML EDA, Pie_Donut Chart #246)
MODEL_47 = {
    "displayFullscreenButton": True,
    "legend": True,
    "labelType": "Value",
    "includeMissValCat": True,
    "maxRows": 2500,
    "processInMemory": True,
    "hideInWizard": False,
    "labelThreshold": 0.05,
    "showWarnings": True,
    "enableSubtitleEdit": True,
    "enableTitleEdit": True,
    "holeSize": 0.35,
    "togglePie": False,
    "insideTitle": "",
    "subtitle": "",
    "enableColumnChooser": True,
    "aggr": COUNT,
    "subscribeToSelection": True,
    "enableHoleEdit": True,
    "customColors": False,
    "freq": "newbalanceDest",
    "title": "Pie Chart",
    "enableSwitchMissValCat": True,
    "cat": "type",
    "publishSelection": True,
    "generateImage": False,
    "customCSS": "",
    "displayClearSelectionButton": True,
    "svg": {"width": 600, "showFullscreen": True, "fullscreen": True, "height": 400},
    "enableInsideTitleEdit": True,
    "enableSelection": True,
    "enableDonutToggle": True,
    "enableLabelEdit": True,
    "reportOnMissingValues": True,
    "showLabels": True,
    "enableViewControls": True,
}


def test_import_of_knime_47_and_41_settings(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, DYNAMIC_JS, MODEL_47, extra=DONUT_DIR)
    assert node.type == "pie_chart" and findings(report) == []
    assert node.settings["cat"] == "type" and node.settings["aggr"] == COUNT
    assert node.settings["width"] == 600 and node.settings["height"] == 400
    assert any("processInMemory" in n for n in notes(report))
    # KNIME 4.1 (Pie_Donut Chart #5 of VDD_Project): a second image flag, a null freq, a donut
    old = {**MODEL_47, "generateImagemodel": True, "freq": None, "togglePie": True, "aggr": "Sum"}
    node, report, _ = import_fragment(tmp_path, DYNAMIC_JS, old, extra=DONUT_DIR)
    assert findings(report) == [] and node.settings["togglePie"] is True and node.settings["freq"] is None


def test_unknown_key_is_a_finding(tmp_path: Path) -> None:
    _, report, _ = import_fragment(tmp_path, DYNAMIC_JS, {**MODEL_47, "sortSlices": "SIZE"}, extra=DONUT_DIR)
    assert any("sortSlices" in f for f in findings(report))
