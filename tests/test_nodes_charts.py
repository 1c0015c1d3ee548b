"""ROC Curve (KNIME's ROCCalculator) and the JavaScript Bar Chart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score, roc_curve
from test_knime_import import config, findings, import_fragment

from engine.api import ColumnType, ConfigureError, Table, TableSpec, View
from engine.core.testing import configure_node, run_node
from nodes._colors import ColorModel, set_color_model
from nodes.charts import AUC_SPEC, COUNT, BarChartSettings, bar_values
from nodes.charts import roc_curve as knime_roc

ROC_JS = "org.knime.js.base.node.viz.plotter.roc.ROCCurveNodeFactory"
ROC_LOCAL = "org.knime.base.node.viz.roc.ROCNodeFactory"
DYNAMIC_JS = "org.knime.dynamic.js.v30.DynamicJSNodeFactory"


@pytest.fixture(scope="module")
def scored() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    cls = rng.choice(["yes", "no"], 300)
    return pd.DataFrame(
        {
            "class": cls,
            "p": rng.random(300) + (cls == "yes") * 0.4,
            "coarse": np.round(rng.random(300) + (cls == "yes") * 0.2, 1),  # many ties
            "noise": rng.random(300),
        }
    )


def test_auc_equals_sklearn_with_ties_and_one_row_per_curve(scored: pd.DataFrame) -> None:
    curves = ["p", "coarse", "noise"]
    res = run_node("roc_curve", {"classColumn": "class", "positiveClass": "yes", "curves": curves}, scored)
    auc = res.df(2)
    assert res.specs[1] == AUC_SPEC and res[2].types == {"Area Under Curve": ColumnType.DOUBLE}
    assert auc.index.tolist() == curves
    for c in curves:
        assert auc.loc[c, "Area Under Curve"] == pytest.approx(
            roc_auc_score(scored["class"] == "yes", scored[c])
        )
    assert isinstance(res[1], View) and res[1].png is not None and res[1].png[:4] == b"\x89PNG"


def test_curve_points_one_per_distinct_score(scored: pd.DataFrame) -> None:
    """Each distinct score is one point; sklearn's unthinned curve has the same points."""
    y = (scored["class"] == "yes").to_numpy()
    xs, ys, _ = knime_roc(
        scored["class"].tolist(), scored["coarse"].to_numpy(), np.zeros(len(y), bool), "yes"
    )
    fpr, tpr, _ = roc_curve(y, scored["coarse"], drop_intermediate=False)
    np.testing.assert_allclose(xs, fpr)
    np.testing.assert_allclose(ys, tpr)


def test_small_example_and_missing_values() -> None:
    df = pd.DataFrame({"c": ["p", "n", "p", "n", None], "s": [0.9, 0.8, 0.8, 0.3, 0.5]})
    settings = {"classColumn": "c", "positiveClass": "p", "curves": ["s"], "ignoreMissingValues": True}
    res = run_node("roc_curve", settings, df)
    assert res.df(2).loc["s", "Area Under Curve"] == pytest.approx(0.875)  # (0,0) (0,.5) (.5,1) (1,1)
    res = run_node("roc_curve", {**settings, "ignoreMissingValues": False}, df)
    # the row with a missing class counts as a negative (its class text is "?"), scored 0.5
    assert res.df(2).loc["s", "Area Under Curve"] == pytest.approx(roc_auc_score([1, 0, 1, 0, 0], df["s"]))
    assert any("missing" in w for w in res.warnings)


def test_configure_checks() -> None:
    spec = TableSpec.of([("c", ColumnType.STRING), ("s", ColumnType.DOUBLE), ("t", ColumnType.STRING)])
    assert (
        configure_node("roc_curve", {"classColumn": "c", "positiveClass": "x", "curves": ["s"]}, spec)[1]
        == AUC_SPEC
    )
    with pytest.raises(ConfigureError, match="No curves"):
        configure_node("roc_curve", {"classColumn": "c", "positiveClass": "x"}, spec)
    with pytest.raises(ConfigureError, match="not numeric"):
        configure_node("roc_curve", {"classColumn": "c", "positiveClass": "x", "curves": ["t"]}, spec)


def test_curve_colours_from_colour_table(scored: pd.DataFrame) -> None:
    colors = pd.DataFrame({"name": ["p"]})
    set_color_model(colors, "name", ColorModel("nominal", {"p": "#ff0000"}))
    res = run_node(
        "roc_curve",
        {"classColumn": "class", "positiveClass": "yes", "curves": ["p"]},
        scored,
        Table.from_frame(colors),
    )
    assert res[1].png is not None


def test_roc_import(tmp_path: Path) -> None:
    cell = {
        "datacell": "org.knime.core.data.def.StringCell",
        "org.knime.core.data.def.StringCell": {"StringCell": "yes"},
    }
    model = {
        "classColumn": "class",
        "positiveClass": cell,
        "curves": ["p", "q"],
        "title": "ROC",
        "showArea": True,
        "generateImage": True,
        "enableControls": False,
    }
    node, report, _ = import_fragment(tmp_path, ROC_JS, model)
    assert node.type == "roc_curve" and findings(report) == []
    assert node.settings["positiveClass"] == "yes" and node.settings["curves"] == ["p", "q"]
    node, report, _ = import_fragment(
        tmp_path, ROC_LOCAL, {"classColumn": "c", "positiveClass": cell, "curves": ["p"]}
    )
    assert node.type == "roc_curve" and findings(report) == []


# ------------------------------------------------------------------------------------- Bar Chart


def test_bar_values_count_sorted_with_missing_category() -> None:
    df = pd.DataFrame({"g": ["b", "a", None, "b", "c"], "v": [1.0, 2.0, 3.0, np.nan, 5.0]})
    table = Table.from_frame(df)
    cats, series, values, missing = bar_values(table, BarChartSettings(cat="g"))
    assert cats == ["a", "b", "c", "Missing values"] and series == ["Occurrence Count"]
    assert values[:, 0].tolist() == [1, 2, 1, 1] and missing == {"g": 1}
    cats, _, _, _ = bar_values(table, BarChartSettings(cat="g", includeMissValCat=False))
    assert cats == ["a", "b", "c"]
    s = BarChartSettings(
        cat="g", aggr="Average", freq={"included_names": ["v"], "enforce_option": "EnforceInclusion"}
    )
    cats, series, values, missing = bar_values(table, s)
    assert series == ["v"] and values[:, 0].tolist() == [2.0, 1.0, 5.0, 3.0] and missing["v"] == 1
    s = s.model_copy(update={"aggr": "Sum"})
    assert bar_values(table, s)[2][:, 0].tolist() == [2.0, 1.0, 5.0, 3.0]


def test_bar_chart_draws_grouped_and_stacked() -> None:
    df = pd.DataFrame({"g": ["x", "y", "x"], "a": [1.0, 2.0, 3.0], "b": [2.0, 1.0, 0.5]})
    freq = {"included_names": ["a", "b"], "enforce_option": "EnforceInclusion"}
    for extra in ({"chartType": "Stacked"}, {"orientation": True}, {"staggerLabels": True}):
        res = run_node("bar_chart", {"cat": "g", "aggr": "Sum", "freq": freq, **extra}, df)
        assert res[1].png[:4] == b"\x89PNG"
    with pytest.raises(ConfigureError, match="Frequency column"):
        configure_node("bar_chart", {"cat": "g", "aggr": "Sum"}, TableSpec.of([("g", ColumnType.STRING)]))
    with pytest.raises(ConfigureError, match="No column"):
        configure_node("bar_chart", {}, TableSpec.of([("g", ColumnType.STRING)]))
    assert COUNT == "Occurence\u00a0Count"


def test_bar_chart_import_from_dynamic_js_node(tmp_path: Path) -> None:
    model = {
        "cat": "g",
        "aggr": "Sum",
        "freq": {
            "filter-type": "STANDARD",
            "included_names": ["a"],
            "excluded_names": ["b"],
            "enforce_option": "EnforceInclusion",
        },
        "title": "Sales",
        "chartType": "Stacked",
        "svg": {"width": 640, "height": 480, "fullscreen": True},
        "enableViewControls": True,
        "hideInWizard": False,
        "maxRows": 2500,
        "generateImage": True,
    }
    extra = config("factory_settings", nodeDir="org.knime.dynamic.js.base:nodes/:barChart")
    node, report, _ = import_fragment(tmp_path, DYNAMIC_JS, model, extra=extra)
    assert node.type == "bar_chart" and findings(report) == []
    assert node.settings["width"] == 640 and node.settings["chartType"] == "Stacked"
    assert node.settings["freq"]["included_names"] == ["a"]
