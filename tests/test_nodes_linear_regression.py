"""Linear Regression Learner and Regression Predictor against an independent least-squares fit
(scipy), plus KNIME's dummy coding, offset, redundant columns, missing values and naming."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import scipy.stats

from engine.api import ColumnType, ConfigureError, Model, ModelSpec, NodeError, TableSpec
from engine.api.knime import KnimeSettings
from engine.core.testing import configure_node, run_node
from nodes.linear_regression import LinearRegressionLearner, RegressionPredictor


def ols(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray | float]:
    """Textbook OLS statistics, computed independently of the node (scipy's lstsq and an explicit
    inverse of X'X)."""
    n, p = x.shape
    beta, *_ = scipy.linalg.lstsq(x, y)
    resid = y - x @ beta
    sigma2 = resid @ resid / (n - p)
    cov = sigma2 * np.linalg.inv(x.T @ x)
    se = np.sqrt(np.diag(cov))
    t = beta / se
    return {"beta": beta, "se": se, "t": t, "p": 2 * scipy.stats.t.sf(np.abs(t), n - p)}


@pytest.fixture
def data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 40
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.uniform(-2, 2, size=n), "c": rng.normal(3, 1, n)})
    frame["y"] = 1.5 + 2.0 * frame["a"] - 0.7 * frame["b"] + 0.1 * frame["c"] + rng.normal(0, 0.3, n)
    return frame


def test_coefficients_statistics_match_scipy_ols(data: pd.DataFrame) -> None:
    res = run_node("linear_regression_learner", {"target": "y"}, data)
    table = res.df(2)
    assert list(table.columns) == ["Variable", "Coeff.", "Std. Err.", "t-value", "P>|t|"]
    assert table.index.tolist() == ["Row1", "Row2", "Row3", "Row4"]
    assert table["Variable"].tolist() == ["a", "b", "c", "Intercept"]
    x = np.column_stack([data[["a", "b", "c"]].to_numpy(), np.ones(len(data))])
    ref = ols(x, data["y"].to_numpy())
    for col, key in (("Coeff.", "beta"), ("Std. Err.", "se"), ("t-value", "t")):
        assert np.allclose(table[col], ref[key], rtol=1e-9, atol=0), col
    assert np.allclose(table["P>|t|"], ref["p"], rtol=1e-7, atol=1e-15)
    model = res[1]
    assert isinstance(model, Model) and isinstance(model.spec, ModelSpec)
    assert model.spec.learning_columns.names == ["a", "b", "c"] and model.spec.target.name == "y"
    resid = data["y"] - x @ ref["beta"]
    r2 = 1 - (resid**2).sum() / ((data["y"] - data["y"].mean()) ** 2).sum()
    assert model.payload.r_squared == pytest.approx(r2, rel=1e-12)
    assert model.payload.adjusted_r_squared == pytest.approx(1 - (1 - r2) * 39 / 36, rel=1e-12)


def test_predictor_appends_prediction_named_after_the_target(data: pd.DataFrame) -> None:
    model = run_node("linear_regression_learner", {"target": "y"}, data)[1]
    out = run_node("linear_regression_predictor", {}, model, data)
    frame = out.df(1)
    assert list(frame.columns) == ["a", "b", "c", "y", "Prediction (y)"]
    x = np.column_stack([np.ones(len(data)), data[["a", "b", "c"]].to_numpy()])
    beta, *_ = scipy.linalg.lstsq(x, data["y"].to_numpy())
    assert np.allclose(frame["Prediction (y)"], x @ beta, rtol=1e-10)
    assert out.specs[0].names == list(frame.columns)
    custom = run_node(
        "linear_regression_predictor",
        {"has_custom_predicition_name": True, "custom_prediction_name": "a"},
        model,
        data,
    )
    assert custom.df(1).columns[-1] == "a (#1)"  # made unique like KNIME
    with pytest.raises(ConfigureError, match="define a name"):
        run_node("linear_regression_predictor", {"has_custom_predicition_name": True}, model, data)


def test_nominal_columns_become_dummies_against_the_first_sorted_value() -> None:
    frame = pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            "colour": ["red", "blue", "green", "blue", "red", "green", "blue", "red"],
            "flag": [True, False, True, False, True, True, False, False],
            "y": [3.1, 3.9, 7.2, 7.8, 11.1, 12.9, 13.8, 17.2],
        }
    )
    res = run_node("linear_regression_learner", {"target": "y"}, frame)
    table = res.df(2)
    assert table["Variable"].tolist() == ["x", "colour=green", "colour=red", "flag=true", "Intercept"]
    design = np.column_stack(
        [
            frame["x"],
            frame["colour"] == "green",
            frame["colour"] == "red",
            frame["flag"],
            np.ones(len(frame)),
        ]
    ).astype(float)
    ref = ols(design, frame["y"].to_numpy())
    assert np.allclose(table["Coeff."], ref["beta"], rtol=1e-9)
    assert np.allclose(table["Std. Err."], ref["se"], rtol=1e-9)
    new = pd.DataFrame(
        {"x": [2.0, 2.0], "colour": ["purple", "blue"], "flag": [False, False], "y": [0.0, 0.0]}
    )
    pred = run_node("linear_regression_predictor", {}, res[1], new).df(1)["Prediction (y)"]
    # an unseen value counts as the baseline (blue), as in KNIME's LinReg2Predictor
    assert pred.iloc[0] == pytest.approx(pred.iloc[1], rel=1e-12)


def test_without_intercept_the_offset_is_the_predefined_intercept(data: pd.DataFrame) -> None:
    settings = {"target": "y", "include_constant": False, "offset_value": 1.5}
    res = run_node("linear_regression_learner", settings, data)
    table = res.df(2)
    assert table["Variable"].tolist() == ["a", "b", "c"]
    x = data[["a", "b", "c"]].to_numpy()
    y = data["y"].to_numpy() - 1.5
    ref = ols(x, y)
    assert np.allclose(table["Coeff."], ref["beta"], rtol=1e-9)
    assert np.allclose(table["Std. Err."], ref["se"], rtol=1e-9)
    sse = ((y - x @ ref["beta"]) ** 2).sum()
    r2 = 1 - sse / (y @ y)  # through the origin: the uncentred R^2 of Commons Math
    assert res[1].payload.r_squared == pytest.approx(r2, rel=1e-12)
    assert res[1].payload.adjusted_r_squared == pytest.approx(1 - (1 - r2) * 40 / 37, rel=1e-12)
    pred = run_node("linear_regression_predictor", {}, res[1], data).df(1)["Prediction (y)"]
    assert np.allclose(pred, x @ ref["beta"] + 1.5, rtol=1e-10)


def test_redundant_column_gets_zero_and_missing_statistics(data: pd.DataFrame) -> None:
    frame = data.assign(d=data["a"] * 2.0 - data["b"])  # a linear combination of earlier columns
    frame = frame[["a", "b", "d", "c", "y"]]
    res = run_node("linear_regression_learner", {"target": "y"}, frame)
    table = res.df(2)
    assert table.loc["Row3", "Variable"] == "d" and table.loc["Row3", "Coeff."] == 0.0
    assert table.loc["Row3", ["Std. Err.", "t-value", "P>|t|"]].isna().all()
    assert any("redundant" in w and "d" in w for w in res.warnings)
    ref = ols(
        np.column_stack([frame[["a", "b", "c"]].to_numpy(), np.ones(len(frame))]), frame["y"].to_numpy()
    )
    kept = table.drop(index="Row3")
    assert np.allclose(kept["Coeff."], ref["beta"], rtol=1e-9)


def test_missing_values_fail_or_are_ignored(data: pd.DataFrame) -> None:
    holes = data.copy()
    holes.loc[3, "b"] = np.nan
    with pytest.raises(NodeError, match='Missing value in row "Row3"'):
        run_node("linear_regression_learner", {"target": "y"}, holes)
    res = run_node("linear_regression_learner", {"target": "y", "missing_value_handling": "ignore"}, holes)
    clean = holes.dropna()
    ref = ols(
        np.column_stack([clean[["a", "b", "c"]].to_numpy(), np.ones(len(clean))]), clean["y"].to_numpy()
    )
    assert np.allclose(res.df(2)["Coeff."], ref["beta"], rtol=1e-9)
    assert res[1].payload.value_count == 39
    pred = run_node("linear_regression_predictor", {}, res[1], holes).df(1)["Prediction (y)"]
    assert math.isnan(pred.iloc[3]) and not pred.drop(index="Row3").isna().any()


def test_no_degrees_of_freedom_gives_missing_p_values() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, 3.0]})
    table = run_node("linear_regression_learner", {"target": "y"}, frame).df(2)
    assert table["Coeff."].tolist() == pytest.approx([2.0, -1.0])
    assert table["P>|t|"].isna().all()


def test_configure_checks_and_specs() -> None:
    spec = TableSpec.of([("s", ColumnType.STRING), ("x", ColumnType.DOUBLE), ("y", ColumnType.INTEGER)])
    model_spec, coeffs = configure_node("linear_regression_learner", {"target": "y"}, spec)
    assert isinstance(model_spec, ModelSpec) and model_spec.learning_columns.names == ["s", "x"]
    assert coeffs.names == ["Variable", "Coeff.", "Std. Err.", "t-value", "P>|t|"]
    with pytest.raises(ConfigureError, match="not numeric"):
        configure_node("linear_regression_learner", {"target": "s"}, spec)
    with pytest.raises(ConfigureError, match="At least one column"):
        configure_node(
            "linear_regression_learner",
            {"target": "y", "column_filter": {"enforce_option": "EnforceInclusion"}},
            spec,
        )
    out = configure_node("linear_regression_predictor", {}, model_spec, spec)
    assert out[0].names == ["s", "x", "y", "Prediction (y)"]
    with pytest.raises(ConfigureError, match='does not contain the column "x"'):
        configure_node(
            "linear_regression_predictor", {}, model_spec, TableSpec.of([("s", ColumnType.STRING)])
        )
    # without a target KNIME takes the last numeric column and warns
    res = run_node("linear_regression_learner", {}, pd.DataFrame({"a": [1.0, 2, 3, 5], "b": [2.0, 4, 5, 9]}))
    assert res.df(2)["Variable"].tolist() == ["a", "Intercept"]
    assert res.warnings == ["The target column is not set. Using b"]


class _Report:
    node = None

    def __init__(self) -> None:
        self.findings: list[str] = []

    def setting(self, message: str) -> None:
        self.findings.append(message)

    def note(self, message: str) -> None:
        pass


def test_knime_settings_translate() -> None:
    tree = {
        "target": "y",
        "column_filter": {
            "filter-type": "STANDARD",
            "included_names": {"array-size": 0},
            "excluded_names": {"array-size": 0},
            "enforce_option": "EnforceExclusion",
        },
        "include_constant": True,
        "offset_value": 0.0,
        "missing_value_handling": "fail",
        "scatter_plot_first_row": 1,
        "scatter_plot_row_count": 20000,
    }
    report = _Report()
    settings, _, _ = LinearRegressionLearner.knime[0].apply(KnimeSettings(tree, {}, report))
    parsed = LinearRegressionLearner.Settings.model_validate(settings)
    assert parsed.target == "y" and parsed.column_filter.enforce_option == "EnforceExclusion"
    assert not report.findings
    predictor_tree = {"has_custom_predicition_name": False, "custom_prediction_name": None}
    settings, _, _ = RegressionPredictor.knime[0].apply(KnimeSettings(predictor_tree, {}, report))
    assert RegressionPredictor.Settings.model_validate(settings).has_custom_predicition_name is False
    assert not report.findings


def test_older_factories_import_from_settings_fragments(tmp_path: Path) -> None:
    """KNIME's older LinReg2 learner factory and the first predict3 predictor factory keep the same
    settings: imported from settings.xml fragments without a finding."""
    from test_knime_import import findings, import_fragment

    model = {
        "target": "y",
        "column_filter": {
            "filter-type": "STANDARD",
            "included_names": ["a", "b"],
            "excluded_names": [],
            "enforce_option": "EnforceInclusion",
        },
        "include_constant": False,
        "offset_value": 2.5,
        "missing_value_handling": "ignore",
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.regression.linear2.learner.LinReg2LearnerNodeFactory", model
    )
    assert node.type == "linear_regression_learner" and findings(report) == []
    assert node.settings["column_filter"]["included_names"] == ["a", "b"]
    assert node.settings["include_constant"] is False and node.settings["offset_value"] == 2.5
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.base.node.mine.regression.predict3.RegressionPredictorNodeFactory",
        {"has_custom_predicition_name": True, "custom_prediction_name": "fit"},
    )
    assert node.type == "linear_regression_predictor" and findings(report) == []
    assert node.settings == {"has_custom_predicition_name": True, "custom_prediction_name": "fit"}
