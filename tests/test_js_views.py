"""KNIME's JavaScript view nodes that public workflows use: Scorer (JavaScript) (its three tables,
checked against scikit-learn), Line Plot (JavaScript) and Scatter Plot (JavaScript) (image size,
table output, errors naming the setting), each imported from a fragment holding exactly the keys
of a settings.xml KNIME saved."""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    precision_recall_fscore_support,
)
from test_knime_import import findings, import_fragment, notes

from engine.api import INACTIVE, ConfigureError, NodeError, Table, View
from engine.core.testing import run_node
from nodes.line_plot import LinePlotJS, LinePlotJSSettings, _LineDrawing

SCORER = "org.knime.js.base.node.scorer.ScorerNodeFactory"
LINE = "org.knime.js.base.node.viz.plotter.line.LinePlotNodeFactory"
SCATTER = "org.knime.js.base.node.viz.plotter.scatterSelectionAppender.ScatterPlotNodeFactory"


def png_size(view: View) -> tuple[int, int]:
    data = view.png
    assert data is not None and data.startswith(b"\x89PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# ------------------------------------------------------------------------------- Scorer (JavaScript)

ACTUAL = ["b", "a", "a", "c", "b", "a", None, "c", "a", "b", "d"]
PREDICTED = ["a", "a", "b", "c", "b", "a", "a", "a", "a", "b", "a"]
SCORED = pd.DataFrame({"actual": ACTUAL, "predicted": PREDICTED}, index=[f"r{i}" for i in range(11)])
EVERY_STATISTIC = {
    key: True
    for key in (
        "classAccuracy",
        "classBalancedAccuracy",
        "classErrorRate",
        "classFalseNegativeRate",
    )
}


def test_scorer_js_tables_match_sklearn() -> None:
    run = run_node(
        "scorer_js", {"firstColumn": "actual", "secondColumn": "predicted", **EVERY_STATISTIC}, SCORED
    )
    kept = [i for i, a in enumerate(ACTUAL) if a is not None]
    y_true = [ACTUAL[i] for i in kept]
    y_pred = [PREDICTED[i] for i in kept]
    labels = ["a", "b", "c", "d"]  # Lexical, KNIME's default order
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    assert run[1].columns == labels and list(run[1].row_ids) == labels
    assert run[1].df.to_numpy().tolist() == matrix.tolist()

    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=np.nan
    )
    total = matrix.sum()
    tp = np.diag(matrix)
    fp = matrix.sum(axis=0) - tp
    fn = matrix.sum(axis=1) - tp
    tn = total - tp - fp - fn
    stats = run[2]
    assert stats.columns == [
        "True Positives",
        "False Positives",
        "True Negatives",
        "False Negatives",
        "Accuracy",
        "Balanced Accuracy",
        "Error Rate",
        "False Negative Rate",
        "Recall",
        "Precision",
        "Sensitivity",
        "Specificity",
        "F-measure",
    ]
    assert list(stats.row_ids) == labels
    df = stats.df
    assert df["True Positives"].tolist() == tp.tolist() and df["False Positives"].tolist() == fp.tolist()
    assert df["True Negatives"].tolist() == tn.tolist() and df["False Negatives"].tolist() == fn.tolist()
    np.testing.assert_allclose(df["Accuracy"], (tp + tn) / total)
    np.testing.assert_allclose(df["Error Rate"], (fp + fn) / total)
    np.testing.assert_allclose(df["Recall"], recall)
    np.testing.assert_allclose(df["Sensitivity"], recall)
    np.testing.assert_allclose(df["False Negative Rate"], fn / (tp + fn))
    np.testing.assert_allclose(df["Precision"], precision)
    np.testing.assert_allclose(df["Specificity"], tn / (tn + fp))
    np.testing.assert_allclose(df["Balanced Accuracy"], (recall + tn / (tn + fp)) / 2)
    # d is never predicted: its precision is undefined, and so is its F-measure for KNIME (a missing
    # cell) where scikit-learn scores it 0
    assert math.isnan(precision[3]) and f1[3] == 0
    np.testing.assert_allclose(df["F-measure"][:3], f1[:3])
    assert math.isnan(df["F-measure"].iloc[3])

    overall = run[3]
    assert list(overall.row_ids) == ["Overall"]
    assert overall.columns == [
        "Overall Accuracy",
        "Overall Error",
        "Cohen's kappa",
        "Correctly Classified",
        "Incorrectly Classified",
    ]
    row = overall.df.iloc[0]
    assert row["Overall Accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert row["Overall Error"] == pytest.approx(1 - accuracy_score(y_true, y_pred))
    assert row["Cohen's kappa"] == pytest.approx(cohen_kappa_score(y_true, y_pred))
    assert (row["Correctly Classified"], row["Incorrectly Classified"]) == (6, 4)
    assert run.warnings == [
        "There were 1 missing values in the reference or in the prediction class columns."
    ]


def test_scorer_js_default_columns_order_and_errors() -> None:
    settings = {"firstColumn": "actual", "secondColumn": "predicted", "sortingStrategy": "InsertionOrder"}
    run = run_node("scorer_js", {**settings, "overallError": False}, SCORED)
    # the values in both columns first, then those only in the reference column, in order of appearance
    assert run[1].columns == ["b", "a", "c", "d"]
    assert run[2].columns == [
        "True Positives",
        "False Positives",
        "True Negatives",
        "False Negatives",
        "Recall",
        "Precision",
        "Sensitivity",
        "Specificity",
        "F-measure",
    ]
    assert run[3].columns == [
        "Overall Accuracy",
        "Cohen's kappa",
        "Correctly Classified",
        "Incorrectly Classified",
    ]
    assert run.specs[1].names == run[2].columns and run.specs[2].names == run[3].columns
    with pytest.raises(NodeError, match="Missing value in row: r6") as failed:
        run_node("scorer_js", {**settings, "ignoreMissingValues": False}, SCORED)
    assert failed.value.setting == "ignoreMissingValues"
    with pytest.raises(ConfigureError, match="not available anymore") as missing:
        run_node("scorer_js", {**settings, "secondColumn": "gone"}, SCORED)
    assert missing.value.setting == "secondColumn"


# the model of "Scorer _JavaScript_ (#238)" (Aditi-Gupta7/Anti-Money-Laundering, KNIME 4.7)
SCORER_MODEL: dict[str, Any] = {
    "hideInWizard": False,
    "warningsInView": True,
    "reportMissingValues": True,
    "firstColumn": "isFraud",
    "secondColumn": "Prediction (isFraud)",
    "sortingStrategy": "Lexical",
    "reverseOrder": False,
    "ignoreMissingValues": True,
    "title": "Scorer View",
    "subtitle": "",
    "displayTotalRows": False,
    "displayConfusionMatrixRates": True,
    "headerColor": "#FFF0C7",
    "diagonalColor": "#A6C0C5",
    "displayFloatAsPercent": True,
    "displayFullscreenButton": True,
    "displayClassStatsTable": False,
    "classTruePositives": True,
    "classFalsePositives": True,
    "classTrueNegatives": True,
    "classFalseNegatives": True,
    "classAccuracy": False,
    "classBalancedAccuracy": False,
    "classErrorRate": False,
    "classFalseNegativeRate": False,
    "classRecall": True,
    "classPrecision": True,
    "classSensitivity": True,
    "classSpecificity": True,
    "classFMeasure": True,
    "displayOverallStats": True,
    "overallAccuracy": True,
    "overallError": True,
    "overallCohensKappa": True,
    "overallCorrectClassified": True,
    "overallWrongClassified": True,
    "enableViewControls": True,
    "enableTitleEditing": True,
    "enableSubtitleEditing": True,
    "enableRowsNumberConfig": True,
    "enableConfusionMatrixRatesConfig": True,
    "enableClassStatisticsConfig": True,
    "enableOverallStatisticsConfig": True,
    "customCSS": "",
    "displayLabels": True,
    "displayClassNature": True,
    "enableLabelsDisplayConfig": True,
}


def test_scorer_js_imports_the_saved_settings(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, SCORER, SCORER_MODEL)
    assert node.type == "scorer_js" and findings(report) == []
    assert node.settings["firstColumn"] == "isFraud" and node.settings["sortingStrategy"] == "Lexical"
    assert "title" not in node.settings and node.settings["classAccuracy"] is False
    fraud = pd.DataFrame({"isFraud": ["1", "0", "0", "1"], "Prediction (isFraud)": ["1", "0", "1", "1"]})
    run = run_node("scorer_js", node.settings, fraud)
    assert run[1].df.to_numpy().tolist() == [[1, 1], [0, 2]]
    # a key this mapping does not know is a finding, not silently dropped
    _, report, _ = import_fragment(tmp_path, SCORER, {**SCORER_MODEL, "classMatthews": True})
    assert any("classMatthews" in f for f in findings(report))


# ---------------------------------------------------------------------------- Line Plot (JavaScript)

LINES = pd.DataFrame(
    {
        "t": [0.0, 1.0, 2.0, 3.0, 4.0],
        "rate": [70.0, 72.0, np.nan, 75.0, 74.0],
        "steps": [1, 2, 3, 4, 5],
        "label": ["a", "b", "c", "d", "e"],
    },
    index=[f"Row{i}" for i in range(5)],
)


def test_line_plot_js_image_and_table() -> None:
    settings = {"xCol": "t", "yCols": ["rate", "steps"], "imageWidth": 640, "imageHeight": 360, "maxRows": 3}
    run = run_node("line_plot_js", {**settings, "chartTitle": "Heart", "chartSubtitle": "rate"}, LINES)
    assert png_size(run[1]) == (640, 360)
    table: Table = run[2]
    assert table.columns == ["t", "rate", "steps", "label", "Selected (Line Plot)"]
    assert table.df["Selected (Line Plot)"].tolist() == [False, False, False, pd.NA, pd.NA]
    assert run.warnings == ["Only the first 3 rows are displayed."]
    assert run.specs[1].names == table.columns
    # the RowIDs on the x axis (no column saved, or the view's "<RowID>"), no selection column
    for x in (None, "<RowID>"):
        small = {"xCol": x, "enableSelection": False, "imageWidth": 300, "imageHeight": 200}
        run = run_node("line_plot_js", small, LINES)
        assert png_size(run[1]) == (300, 200) and run[2].columns == list(LINES.columns)
    assert run_node("line_plot_js", {"generateImage": False}, LINES)[1] is INACTIVE


def test_line_plot_js_errors_name_the_setting() -> None:
    with pytest.raises(ConfigureError, match='x-axis: "time" not available') as x_missing:
        run_node("line_plot_js", {"xCol": "time"}, LINES)
    assert x_missing.value.setting == "xCol"
    with pytest.raises(ConfigureError, match="pulse") as y_missing:
        run_node("line_plot_js", {"xCol": "t", "yCols": ["pulse"]}, LINES)
    assert y_missing.value.setting == "yCols"


def _line_moves(svg: bytes, color: str) -> int:
    """How many pieces the line drawn in `color` has (its path's move-to commands; the legend's
    sample line comes after it)."""
    paths = re.findall(rb'<path d="([^"]*)"[^>]*style="fill: none; stroke: ' + color.encode(), svg)
    assert len(paths) == 2
    return paths[0].count(b"M ")


@pytest.mark.parametrize(("method", "pieces"), [("noGap", 1), ("gap", 2)])
def test_line_plot_js_missing_values(method: str, pieces: int) -> None:
    run = run_node("line_plot_js", {"xCol": "t", "yCols": ["rate"], "missingValueMethod": method}, LINES)
    drawn = run[1].picture("svg")
    assert drawn is not None and drawn[1] == "svg"
    assert _line_moves(drawn[0], "#1f77b4") == pieces
    removed = _LineDrawing(
        Table.from_frame(LINES),
        LinePlotJSSettings(missingValueMethod="removeColumn"),
        "t",
        ["rate", "steps"],
        ["#000000", "#ffffff"],
    )
    assert removed.ys == ["steps"] and removed.colors == ["#ffffff"]


def _date_time_formats(timezone: str) -> dict[str, Any]:
    internals = {"SettingsModelID": "SMID_string", "EnabledStatus": True}
    formats: dict[str, Any] = {}
    for key, value in (
        ("globalDateTimeLocale", "en"),
        ("globalDateFormat", "YYYY-MM-DD"),
        ("globalLocalDateFormat", "YYYY-MM-DD"),
        ("globalLocalDateTimeFormat", "YYYY-MM-DD"),
        ("globalLocalTimeFormat", "HH:mm:ss"),
        ("globalZonedDateTimeFormat", "YYYY-MM-DD z"),
        ("timezone", timezone),
    ):
        formats[f"{key}_Internals"] = internals
        formats[key] = value
    return formats


# the model of "Line Plot _JavaScript_ (#18)" (33750900053607/knime_Heart_rate_project_3, KNIME 3.7)
LINE_MODEL: dict[str, Any] = {
    "hideInWizard": False,
    "generateImage": True,
    "showLegend": True,
    "autoRange": True,
    "useDomainInformation": False,
    "showGrid": True,
    "showCrosshair": False,
    "snapToPoints": False,
    "resizeToWindow": True,
    "enableViewConfiguration": True,
    "enableTitleChange": True,
    "enableSubtitleChange": True,
    "enableXColumnChange": True,
    "enableYColumnChange": True,
    "enableXAxisLabelEdit": True,
    "enableYAxisLabelEdit": True,
    "enableDotSizeChange": False,
    "enableZooming": True,
    "enableDragZooming": False,
    "enablePanning": True,
    "showZoomResetButton": False,
    "enableSelection": False,
    "enableRectangleSelection": False,
    "enableLassoSelection": False,
    "chartTitle": "",
    "chartSubtitle": "",
    "xCol": "Time (seconds)",
    "yCols": {
        "filter-type": "STANDARD",
        "included_names": ["Rate (beats per minute)"],
        "excluded_names": ["Time (seconds)"],
        "enforce_option": "EnforceExclusion",
        "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True},
        "datatype": {
            "typelist": {
                "org.knime.core.data.DoubleValue": False,
                "org.knime.core.data.IntValue": False,
                "org.knime.core.data.BooleanValue": False,
                "org.knime.core.data.LongValue": False,
                "org.knime.core.data.StringValue": False,
                "org.knime.core.data.date.DateAndTimeValue": False,
            }
        },
    },
    "maxRows": 2500,
    "selectionColumnName": "Selected (Line Plot)",
    "xAxisLabel": "",
    "yAxisLabel": "",
    "xAxisMin": None,
    "xAxisMax": None,
    "yAxisMin": None,
    "yAxisMax": None,
    "dot_size": "3",
    "imageWidth": 800,
    "imageHeight": 600,
    "backgroundColor": "rgba(255,255,255,1.0)",
    "dataAreaColor": "rgba(255,255,255,1.0)",
    "gridColor": "rgba(230,230,230,1.0)",
    "displayFullscreenButton": True,
    "missingValueMethod": "noGap",
    "showWarningInView": True,
    "dateTimeFormats_Internals": {"SettingsModelID": "SMID_datetime", "EnabledStatus": True},
    "dateTimeFormats": _date_time_formats("Asia/Tokyo"),
    "reportOnMissingValues": True,
}


def test_line_plot_js_imports_the_saved_settings(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, LINE, LINE_MODEL)
    assert node.type == "line_plot_js" and findings(report) == []
    assert node.settings["xCol"] == "Time (seconds)" and node.settings["xAxisMin"] is None
    heart = pd.DataFrame({"Time (seconds)": [0.0, 0.5, 1.0], "Rate (beats per minute)": [60.0, 62.0, 61.0]})
    run = run_node("line_plot_js", node.settings, heart)
    assert png_size(run[1]) == (800, 600) and run[2].columns == list(heart.columns)
    # #15 of the same workflow: "Col1" on x, the column named "0" on y
    y_cols = {
        **LINE_MODEL["yCols"],
        "included_names": ["0"],
        "excluded_names": ["Col0", "Col1"],
    }
    node, report, _ = import_fragment(
        tmp_path, LINE, {**LINE_MODEL, "xCol": "Col1", "yCols": y_cols, "maxRows": 10000}
    )
    assert findings(report) == []
    cols = pd.DataFrame({"Col0": ["a", "b"], "Col1": [1.0, 2.0], "0": [3.0, 4.0], "Col2": [5, 6]})
    drawing = _LineDrawing(
        Table.from_frame(cols), LinePlotJSSettings.model_validate(node.settings), "Col1", [], []
    )
    assert LinePlotJS._ys(drawing.settings, Table.from_frame(cols).spec) == ["0", "Col2"]  # new columns join
    # the bounds of a saved zoom, stored as text
    node, report, _ = import_fragment(tmp_path, LINE, {**LINE_MODEL, "xAxisMin": "0.5", "xAxisMax": "2.0"})
    assert findings(report) == [] and (node.settings["xAxisMin"], node.settings["xAxisMax"]) == (0.5, 2.0)
    _, report, _ = import_fragment(tmp_path, LINE, {**LINE_MODEL, "autoRange": False})
    assert any("autoRange" in f for f in findings(report))
    # a flow variable on a view-only option changes nothing: its binding is dropped with a note
    _, report, _ = import_fragment(
        tmp_path,
        LINE,
        LINE_MODEL,
        {"enableZooming": {"used_variable": "zoom", "exposed_variable": None}},
    )
    assert findings(report) == [] and any("enableZooming" in n for n in notes(report))


# -------------------------------------------------------------------------- Scatter Plot (JavaScript)

# the model of "Scatter Plot _JavaScript_ (#18)" (RichardOro01/IA-Knime, KNIME 5.1)
SCATTER_MODEL: dict[str, Any] = {
    **{k: v for k, v in LINE_MODEL.items() if k not in ("yCols", "missingValueMethod", "xCol")},
    "generateImage": False,
    "showLegend": False,
    "enableSelection": True,
    "enableRectangleSelection": True,
    "xCol": "white_rating",
    "yCol": "turns",
    "selectionColumnName": "Selected (Scatter Plot)",
    "publishSelection": True,
    "subscribeSelection": True,
    "enableShowSelectedOnly": True,
    "subscribeFilter": True,
    "enableSwitchLegend": False,
    "dateTimeFormats": _date_time_formats("America/Havana"),
    "enforceOrigin": False,
    "showSelectedOnly": False,
}


def test_scatter_plot_js_imports_the_saved_settings(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, SCATTER, SCATTER_MODEL)
    assert node.type == "scatter_plot_js" and findings(report) == []
    chess = pd.DataFrame(
        {"white_rating": [1500, 1620, 1710], "turns": [40, 61, 33], "opening": ["x", "y", "z"]}
    )
    # KNIME's node made no image (generateImage off): the port is an inactive branch
    assert run_node("scatter_plot_js", node.settings, chess)[1] is INACTIVE
    drawn = {**node.settings, "generateImage": True, "imageWidth": 500, "imageHeight": 400}
    run = run_node("scatter_plot_js", drawn, chess)
    assert png_size(run[1]) == (500, 400)
    assert run[2].columns == [*chess.columns, "Selected (Scatter Plot)"]
    assert run[2].df["Selected (Scatter Plot)"].tolist() == [False, False, False]
    with pytest.raises(ConfigureError) as missing:
        run_node("scatter_plot_js", {**node.settings, "yCol": "moves"}, chess)
    assert missing.value.setting == "yCol"
