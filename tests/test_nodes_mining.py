"""Learners, predictors and scorers: KNIME's output layouts, names and numbers (10_01, 10_02, 10_03,
11_01)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spec_shapes import data_file

from engine.api import ColumnType, ConfigureError, Model, NodeError, Table, TableSpec
from engine.core.registry import registry
from engine.core.testing import configure_node, run_node

ROOT = Path(__file__).resolve().parent.parent


def data_path(name: str) -> Path:
    """A tutorial data file (committed in data/; $KNITFLOW_DATA first)."""
    return data_file(name)


# ------------------------------------------------------------------------------------------ Scorer


def scored(first: list, second: list, **settings: object) -> object:
    df = pd.DataFrame({"actual": first, "predicted": second}, index=[f"Row{i}" for i in range(len(first))])
    return run_node("scorer", {"first": "actual", "second": "predicted", **settings}, df)


def test_scorer_tables_as_knime() -> None:
    res = scored(["a", "a", "b", "b", "b", "c"], ["a", "b", "b", "b", "a", "c"])
    cm = res.df(1)
    assert cm.index.tolist() == ["a", "b", "c"] == cm.columns.tolist()
    assert cm.to_numpy().tolist() == [[1, 1, 0], [1, 2, 0], [0, 0, 1]]
    assert res[1].types == {"a": ColumnType.INTEGER, "b": ColumnType.INTEGER, "c": ColumnType.INTEGER}
    stats = res.df(2)
    assert stats.columns.tolist() == [
        "TruePositives",
        "FalsePositives",
        "TrueNegatives",
        "FalseNegatives",
        "Recall",
        "Precision",
        "Sensitivity",
        "Specificity",
        "F-measure",
        "Accuracy",
        "Cohen's kappa",
    ]
    assert stats.index.tolist() == ["a", "b", "c", "Overall"]
    b = stats.loc["b"]
    assert (b["TruePositives"], b["FalsePositives"], b["TrueNegatives"], b["FalseNegatives"]) == (2, 1, 2, 1)
    assert b["Recall"] == b["Sensitivity"] == pytest.approx(2 / 3)
    assert b["Precision"] == pytest.approx(2 / 3) and b["Specificity"] == pytest.approx(2 / 3)
    assert b["F-measure"] == pytest.approx(2 / 3)
    assert pd.isna(b["Accuracy"]) and pd.isna(b["Cohen's kappa"])
    overall = stats.loc["Overall"]
    assert overall[:4].isna().all() and overall[4:9].isna().all()
    assert overall["Accuracy"] == pytest.approx(4 / 6)
    # Cohen's kappa: p0 = 4/6, pe = (2*2 + 3*3 + 1*1) / 36
    pe = 14 / 36
    assert overall["Cohen's kappa"] == pytest.approx((4 / 6 - pe) / (1 - pe))
    assert (
        res[2].spec
        == configure_node(
            "scorer",
            {"first": "actual", "second": "predicted"},
            TableSpec.of([("actual", "String"), ("predicted", "String")]),
        )[1]
    )
    assert res.variables == {
        "Accuracy": pytest.approx(4 / 6),
        "Error": pytest.approx(2 / 6),
        "#Correct": 4,
        "#False": 2,
        "Cohen's kappa": pytest.approx((4 / 6 - pe) / (1 - pe)),
    }


def test_scorer_class_order_and_sorting() -> None:
    first = ["z", "x", "x", "only1"]
    second = ["x", "only2", "x", "z"]
    # values in both columns (in reference order), then reference-only, then prediction-only
    assert scored(first, second).df(1).index.tolist() == ["z", "x", "only1", "only2"]
    assert scored(first, second, sortingStrategy=2).df(1).index.tolist() == ["only1", "only2", "x", "z"]
    assert scored(first, second, sortingStrategy="Lexical", sortingReversed=True).df(1).index.tolist() == [
        "z",
        "x",
        "only2",
        "only1",
    ]
    assert scored(first, second, sortingReversed=True).df(1).index.tolist() == ["only2", "only1", "x", "z"]
    assert scored(first, second, sortingStrategy=3, sortingReversed=True).df(1).index.tolist() == [
        "z",
        "x",
        "only1",
        "only2",
    ]
    assert scored([3, 1, 2], [1, 1, 10], sortingStrategy="Numeric").df(1).index.tolist() == [
        "1",
        "2",
        "3",
        "10",
    ]
    with pytest.raises(NodeError, match="Numeric"):
        scored(first, second, sortingStrategy=1)


def test_scorer_perfect_binary_like_10_01_and_prefix() -> None:
    res = scored(["unstable", "stable", "stable"], ["unstable", "stable", "stable"], flowVarPrefix="train ")
    assert res.df(1).index.tolist() == ["unstable", "stable"]
    assert res.df(2).shape == (3, 11)
    assert res.variables == {
        "train Accuracy": 1.0,
        "train Error": 0.0,
        "train #Correct": 3,
        "train #False": 0,
        "train Cohen's kappa": 1.0,
    }


def test_scorer_missing_values_and_empty_table() -> None:
    res = scored(["a", None, "b", "b"], ["a", "a", np.nan, "b"])
    assert res.df(1).to_numpy().tolist() == [[1, 0], [0, 1]]
    assert res.variables["#Correct"] == 2 and res.variables["#False"] == 0
    with pytest.raises(NodeError, match="Missing value in row: Row1"):
        scored(["a", None], ["a", "a"], ignore_missing_values=False)
    empty = scored([], [])
    assert empty.df(1).shape == (0, 0)
    assert empty.df(2).index.tolist() == ["Overall"]
    assert math.isnan(empty.variables["Accuracy"]) and math.isnan(empty.variables["Cohen's kappa"])
    # a single class scored perfectly: kappa is undefined (0/0), a missing cell
    single = scored(["a", "a"], ["a", "a"])
    assert single.variables["Accuracy"] == 1.0 and math.isnan(single.variables["Cohen's kappa"])


def test_scorer_configure_errors() -> None:
    spec = TableSpec.of([("actual", "String"), ("predicted", "String")])
    with pytest.raises(ConfigureError) as err:
        configure_node("scorer", {"first": "actual", "second": "nope"}, spec)
    assert err.value.setting == "second"
    with pytest.raises(ConfigureError):
        configure_node("scorer", {}, spec)
    with pytest.raises(ConfigureError, match="two columns"):
        configure_node(
            "scorer", {"first": "actual", "second": "actual"}, TableSpec.of([("actual", "String")])
        )


# ----------------------------------------------------------------------------------- Numeric Scorer


def numeric(ref: list, pred: list, **settings: object) -> object:
    df = pd.DataFrame({"y": ref, "p": pred}, index=[f"Row{i}" for i in range(len(ref))])
    return run_node("numeric_scorer", {"reference": "y", "predicted": "p", **settings}, df)


def test_numeric_scorer_values_rows_and_variables() -> None:
    ref, pred = [1.0, 2.0, 4.0, -2.0], [1.5, 1.0, 4.0, -1.0]
    res = numeric(ref, pred, generate_flow_variables=True)
    out = res.df(1)
    assert out.columns.tolist() == ["p"]
    assert out.index.tolist() == [
        "R^2",
        "mean absolute error",
        "mean squared error",
        "root mean squared error",
        "mean signed difference",
        "mean absolute percentage error",
        "adjusted R^2",
    ]
    r, p = np.array(ref), np.array(pred)
    r2 = 1 - ((r - p) ** 2).sum() / ((r - r.mean()) ** 2).sum()
    expected = [
        r2,
        np.abs(r - p).mean(),
        ((r - p) ** 2).mean(),
        math.sqrt(((r - p) ** 2).mean()),
        (p - r).mean(),
        (np.abs(r - p) / np.abs(r)).mean(),
        r2,
    ]
    assert out["p"].tolist() == pytest.approx(expected, rel=1e-14)
    assert list(res.variables) == [
        "R^2",
        "adjusted R^2",
        "mean absolute error",
        "mean squared error",
        "root mean squared error",
        "mean signed difference",
        "mean absolute percentage error",
    ]
    assert res.variables["R^2"] == pytest.approx(r2)
    assert numeric(ref, pred).variables == {}  # KNIME's default: no flow variables


def test_numeric_scorer_options_and_edge_cases() -> None:
    res = numeric(
        [1.0, 2.0, 3.0, 5.0],
        [1.0, 2.5, 2.0, 5.5],
        number_of_predictors=1,
        override_default_output_name=True,
        output_column="scores",
        generate_flow_variables=True,
        name_prefix_for_flowvars="test ",
    )
    out = res.df(1)
    assert out.columns.tolist() == ["scores"]
    r2 = out.loc["R^2", "scores"]
    assert out.loc["adjusted R^2", "scores"] == pytest.approx(1 - (1 - r2) * 3 / 2)
    assert "test R^2" in res.variables and "test adjusted R^2" in res.variables
    # a zero reference makes MAPE missing; a missing reference skips the row (n still counts it)
    res = numeric([0.0, 1.0, None, 3.0], [0.5, 1.0, 7.0, 2.0])
    out = res.df(1)["p"]
    assert math.isnan(out["mean absolute percentage error"])
    assert out["mean absolute error"] == pytest.approx(0.5)
    with pytest.raises(NodeError, match="Missing value in prediction column in row: Row1"):
        numeric([1.0, 2.0], [1.0, None])
    empty = numeric([], []).df(1)["p"]
    assert empty.isna().all()


def test_numeric_scorer_configure_errors() -> None:
    spec = TableSpec.of([("y", "Double"), ("s", "String")])
    with pytest.raises(ConfigureError, match="not numeric") as err:
        configure_node("numeric_scorer", {"reference": "y", "predicted": "s"}, spec)
    assert err.value.setting == "predicted"
    with pytest.raises(ConfigureError, match="not found"):
        configure_node("numeric_scorer", {"reference": "x", "predicted": "y"}, spec)
    out = configure_node("numeric_scorer", {"reference": "y", "predicted": "y"}, spec)[0]
    assert out == TableSpec.of([("y", "Double")])


# ------------------------------------------------------------------------- Lasso (10_02 / 10_03)

FEATURES = [
    "ZA",
    "ZB",
    "IP_A",
    "EA_A",
    "EN_A",
    "Highest_occ_A",
    "Lowest_unocc_A",
    "rs_A",
    "rp_A",
    "rd_A",
    "IP_B",
    "EA_B",
    "EN_B",
    "Highest_occ_B",
    "Lowest_unocc_B",
    "rs_B",
    "rp_B",
    "rd_B",
]
TEST_ROWS = [
    f"Row{i}"
    for i in (1, 4, 5, 11, 18, 19, 21, 24, 26, 29, 30, 33, 34, 37, 39, 41, 43, 51, 53, 59, 61, 71, 75, 77, 79)
]
METRICS = [
    "R^2",
    "mean absolute error",
    "mean squared error",
    "root mean squared error",
    "mean signed difference",
    "mean absolute percentage error",
]
REF_10_02 = {  # workflows/10_02_ZB_WZ_regression.md, six printed decimals
    1e-05: [0.834401, 0.146228, 0.057755, 0.240323, -0.071493, 0.983629],
    0.0001: [0.836212, 0.142799, 0.057123, 0.239005, -0.069057, 0.996475],
    0.001: [0.804050, 0.144670, 0.068341, 0.261420, -0.061588, 1.286646],
    0.01: [0.583641, 0.207437, 0.145211, 0.381066, -0.053155, 2.264625],
    0.1: [0.340920, 0.244868, 0.229864, 0.479441, -0.097602, 1.167927],
    1.0: [-0.030654, 0.359525, 0.359456, 0.599547, -0.103397, 1.892312],
}
KNIME_ALPHA_1 = {  # flow variables KNIME recorded for alpha = 1
    "R^2": -0.03065381559566549,
    "mean absolute error": 0.3595249122807017,
    "mean squared error": 0.3594560291166512,
    "root mean squared error": 0.5995465195601182,
    "mean signed difference": -0.1033971929824562,
    "mean absolute percentage error": 1.892311798638751,
    "adjusted R^2": -0.03065381559566549,
}


@pytest.fixture(scope="module")
def zb_wz() -> Table:
    """The ZB/WZ table as 10_02 feeds the Lasso: Z-scores (n - 1) of the 18 features over all 82 rows."""
    df = pd.read_csv(data_path("ZB_WZ_dE_rawdescriptor.csv"))
    df.index = pd.Index([f"Row{i}" for i in range(len(df))], dtype=object)
    for c in FEATURES:
        df[c] = (df[c] - df[c].mean()) / df[c].std(ddof=1)
    return Table(
        df, {c: ColumnType.DOUBLE for c in FEATURES} | {"A": "String", "B": "String", "dE": "Double"}
    )


def split(table: Table) -> tuple[Table, Table]:
    test = table.df.loc[TEST_ROWS]
    train = table.df.drop(index=TEST_ROWS)
    return table.with_frame(train), table.with_frame(test)


def lasso_scores(table: Table, features: list[str], alpha: float) -> object:
    train, test = split(table)
    learner = run_node(
        "lasso_learner",
        {
            "feature_columns": features,
            "target_column": "dE",
            "missing_value_handling": "SkipRow",
            "alpha": alpha,
            "fit_intercept": True,
            "max_iter": 1000,
        },
        train,
    )
    pred = run_node("regression_predictor", {"prediction_column": "dE_pred"}, learner[1], test)
    assert pred.df(1).shape == (25, len(table.columns) + 1) and pred.df(1).index.tolist() == TEST_ROWS
    assert pred[1].types["dE_pred"] == ColumnType.DOUBLE
    return run_node(
        "numeric_scorer",
        {"reference": "dE", "predicted": "dE_pred", "generate_flow_variables": True},
        pred[1],
    )


@pytest.mark.parametrize("alpha", list(REF_10_02))
def test_lasso_alpha_scan_matches_10_02(zb_wz: Table, alpha: float) -> None:
    res = lasso_scores(zb_wz, FEATURES, alpha)
    scores = res.df(1)["dE_pred"]
    assert [scores[m] for m in METRICS] == pytest.approx(REF_10_02[alpha], abs=5e-7)
    if alpha == 1.0:
        for name, value in KNIME_ALPHA_1.items():
            assert res.variables[name] == pytest.approx(value, abs=1e-9), name
            assert scores[name] == pytest.approx(value, abs=1e-9)


def test_lasso_10_03_final_model(zb_wz: Table) -> None:
    raw = pd.read_csv(data_path("ZB_WZ_dE_rawdescriptor.csv"))
    raw.index = zb_wz.df.index
    df = zb_wz.df.copy()
    desc = {
        "desp1": (raw["IP_B"] - raw["EA_B"]).abs() / raw["rp_A"] ** 2,
        "desp2": (raw["rs_A"] - raw["rp_B"]).abs() / np.exp(raw["rs_A"]),
        "desp3": (raw["rp_B"] - raw["rs_B"]).abs() / np.exp(raw["rd_A"]),
    }
    for name, values in desc.items():
        df[name] = (values - values.mean()) / values.std(ddof=1)
    table = Table(df, {**zb_wz.types, "desp1": "Double", "desp2": "Double", "desp3": "Double"})
    res = lasso_scores(table, ["desp1", "desp2", "desp3"], 1e-4)
    assert res.variables["R^2"] == pytest.approx(0.9786673179225764, abs=1e-9)
    assert res.variables["mean absolute error"] == pytest.approx(0.06744671257250884, abs=1e-9)
    learner = run_node(
        "lasso_learner",
        {"feature_columns": ["desp1", "desp2", "desp3"], "target_column": "dE", "alpha": 1e-4},
        split(table)[0],
    )
    est = learner[1].payload.estimator
    assert np.ravel(est.coef_) == pytest.approx([0.398119, -0.109878, -0.071488], abs=1e-6)
    assert float(np.ravel(est.intercept_)[0]) == pytest.approx(0.105379, abs=1e-6)


def test_lasso_defaults_missing_values_and_nominal_features() -> None:
    df = pd.DataFrame(
        {
            "s": ["a", "b", "a", "b", "a", None],
            "x": [1.0, 2.0, 3.0, 4.0, None, 6.0],
            "y": [1.0, 3.0, 3.0, 5.0, 5.0, 7.0],
        }
    )
    learner = run_node("lasso_learner", {"alpha": 0.0001}, df)
    model = learner[1].payload
    assert model.target_column == ("y", "Double") and [n for n, _ in model.feature_columns] == ["s", "x"]
    assert model.numeric == ["x"] and model.nominal == ["s"]
    pred = run_node("regression_predictor", {}, learner[1], df)
    out = pred.df(1)
    assert out.columns.tolist() == ["s", "x", "y", "y_pred"]
    assert out.index.tolist() == ["Row0", "Row1", "Row2", "Row3"]  # SkipRow drops the incomplete rows
    with pytest.raises(NodeError, match="missing values"):
        run_node("lasso_learner", {"missing_value_handling": "Fail"}, df)
    with pytest.raises(NodeError, match="All rows are skipped"):
        run_node(
            "lasso_learner",
            {"feature_columns": ["x"], "target_column": "y"},
            pd.DataFrame({"x": [None, None], "y": [1.0, 2.0]}),
        )


def test_lasso_in_a_loop_reuses_one_feature_buffer_with_the_same_results() -> None:
    """Inside loop passes the learner and predictor convert integer features into one buffer the loop
    keeps: a larger pass, then a smaller one, fit and predict exactly as a fresh conversion does."""
    from nodes.sklearn_nodes import FEATURE_BUFFER

    rng = np.random.default_rng(5)
    bits = pd.DataFrame(
        rng.integers(0, 2, size=(400, 40), dtype=np.uint8), columns=[f"b{i}" for i in range(40)]
    )
    bits["y"] = bits.to_numpy() @ rng.normal(size=40) + rng.normal(scale=0.1, size=400)
    settings = {"target_column": "y", "alpha": 1e-3}

    def fit_predict(rows: int, store: dict[str, object] | None) -> tuple[np.ndarray, np.ndarray]:
        data = bits.iloc[:rows]
        learner = run_node("lasso_learner", settings, data, loop_store=store)
        pred = run_node("regression_predictor", {}, learner[1], data, loop_store=store)
        return learner[1].payload.estimator.coef_, pred.df(1)["y_pred"].to_numpy()

    store: dict[str, object] = {}
    fresh = [fit_predict(rows, None) for rows in (400, 150)]
    looped = [fit_predict(rows, store) for rows in (400, 150)]
    assert list(store) == [FEATURE_BUFFER] and store[FEATURE_BUFFER].size == 400 * 40  # type: ignore[attr-defined]
    for (coef, pred), (coef_loop, pred_loop) in zip(fresh, looped, strict=True):
        assert np.array_equal(coef, coef_loop) and np.array_equal(pred, pred_loop)


def test_lasso_configure_errors() -> None:
    spec = TableSpec.of([("s", "String"), ("x", "Double"), ("y", "Double")])
    with pytest.raises(ConfigureError, match="not numeric"):
        configure_node("lasso_learner", {"target_column": "s"}, spec)
    with pytest.raises(ConfigureError, match="not found") as err:
        configure_node("lasso_learner", {"target_column": "y", "feature_columns": ["x", "nope"]}, spec)
    assert err.value.setting == "feature_columns"
    with pytest.raises(ConfigureError, match="both target and feature"):
        configure_node("lasso_learner", {"target_column": "y", "feature_columns": ["x", "y"]}, spec)
    with pytest.raises(ConfigureError, match="not been specified"):
        configure_node("lasso_learner", {"target_column": "y", "feature_columns": []}, spec)


def test_regression_predictor_checks_schema() -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 6.0]})
    model = run_node("lasso_learner", {"feature_columns": ["x"], "target_column": "y", "alpha": 0.0}, df)[1]
    assert isinstance(model, Model)
    spec = configure_node(
        "regression_predictor",
        {"prediction_column": "Prediction (y)"},
        model,
        TableSpec.of([("x", "Double")]),
    )[0]
    assert spec == TableSpec.of([("x", "Double"), ("Prediction (y)", "Double")])
    with pytest.raises(ConfigureError, match="Missing columns"):
        configure_node("regression_predictor", {}, model, TableSpec.of([("x", "Integer")]))
    out = run_node("regression_predictor", {}, model, pd.DataFrame({"x": [4.0]}))
    assert out.df(1)["y_pred"].tolist() == pytest.approx([8.0])
    assert run_node("regression_predictor", {}, model, pd.DataFrame({"x": pd.Series([], dtype=float)})).df(
        1
    ).shape == (0, 2)


# ------------------------------------------------------------------------------ Logistic regression


def two_class_data(n: int = 80, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    logit = 0.5 + 1.5 * x1 - 1.0 * x2
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame(
        {"x1": x1, "x2": x2, "const": 1.0, "cls": y},
        index=pd.Index([f"Row{i}" for i in range(n)], dtype=object),
    )


def test_logistic_learner_tables_like_knime() -> None:
    df = two_class_data()
    res = run_node(
        "logistic_regression_learner",
        {"target": "cls", "targetReferenceCategory": "no", "prior": "Gauss", "priorVariance": 100.0},
        df,
    )
    coeffs = res.df(2)
    assert coeffs.columns.tolist() == ["Logit", "Variable", "Coeff.", "Std. Err.", "z-score", "P>|z|"]
    # the constant column is dropped (KNIME ignores constant learning columns); Constant comes last
    assert coeffs["Variable"].tolist() == ["x1", "x2", "Constant"]
    assert coeffs["Logit"].tolist() == ["yes"] * 3
    assert coeffs.index.tolist() == ["Row1", "Row2", "Row3"]
    assert res[2].types == {
        "Logit": "String",
        "Variable": "String",
        "Coeff.": "Double",
        "Std. Err.": "Double",
        "z-score": "Double",
        "P>|z|": "Double",
    }
    stats = res.df(3)
    assert stats.columns.tolist() == ["Iterations", "LogLikelihood"] and stats.index.tolist() == ["Row0"]
    assert res[3].types == {"Iterations": "Integer", "LogLikelihood": "Double"}
    assert res.specs[1] == res[2].spec and res.specs[2] == res[3].spec
    # z = coeff / se and P = 2 Phi(-|z|)
    row = coeffs.iloc[0]
    assert row["z-score"] == pytest.approx(row["Coeff."] / row["Std. Err."])
    assert row["P>|z|"] == pytest.approx(math.erfc(abs(row["z-score"]) / math.sqrt(2)))
    assert res[1].summary.startswith("logistic regression of cls on 2 variables")
    bare = run_node("logistic_regression_learner", {"target": "cls", "calcCoefficientStatistics": False}, df)
    assert bare.df(2).columns.tolist() == ["Logit", "Variable", "Coeff."] == bare.specs[1].names


def test_logistic_gauss_prior_optimum_equals_sklearn_l2() -> None:
    from sklearn.linear_model import LogisticRegression

    df = two_class_data()
    res = run_node(
        "logistic_regression_learner",
        {
            "target": "cls",
            "targetReferenceCategory": "no",
            "column_filter": {"included_names": ["x1", "x2"], "enforce_option": "EnforceInclusion"},
            "prior": "Gauss",
            "priorVariance": 0.5,
        },
        df,
    )
    x = df[["x1", "x2"]].to_numpy(np.float32).astype(float)
    # sklearn's objective C * sum(loss) + ||w||^2 / 2 (intercept unpenalised) equals KNIME's Gauss prior with C = variance
    sk = LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000).fit(x, (df["cls"] == "yes").astype(int))
    assert res.df(2)["Coeff."].tolist() == pytest.approx([*sk.coef_.ravel(), sk.intercept_[0]], abs=1e-6)


def test_logistic_uniform_prior_statistics_equal_classic_formulas() -> None:
    df = two_class_data(200, seed=5)
    res = run_node("logistic_regression_learner", {"target": "cls", "targetReferenceCategory": "no"}, df)
    coeffs = res.df(2)
    beta = coeffs["Coeff."].to_numpy()
    x = np.column_stack([df["x1"], df["x2"], np.ones(len(df))]).astype(np.float32).astype(float)
    y = (df["cls"] == "yes").to_numpy(float)
    p = 1 / (1 + np.exp(-x @ beta))
    assert np.abs(x.T @ (y - p)).max() < 1e-8  # score equations solved
    cov = np.linalg.inv((x * (p * (1 - p))[:, None]).T @ x)
    assert coeffs["Std. Err."].to_numpy() == pytest.approx(np.sqrt(np.diag(cov)), rel=1e-6)
    loglike = float((y * np.log(p) + (1 - y) * np.log(1 - p)).sum())
    assert res.df(3)["LogLikelihood"].iloc[0] == pytest.approx(loglike, rel=1e-9)
    irls = run_node(
        "logistic_regression_learner",
        {"target": "cls", "targetReferenceCategory": "no", "solver": "IRLS", "prior": "Gauss"},
        df,
    )
    assert irls.df(2)["Coeff."].to_numpy() == pytest.approx(beta, abs=1e-7)  # IRLS ignores the prior


def test_logistic_laplace_prior_and_separable_classes() -> None:
    df = two_class_data(200, seed=5)
    df["noise"] = np.random.default_rng(1).normal(size=len(df))
    strong = run_node(
        "logistic_regression_learner",
        {"target": "cls", "targetReferenceCategory": "no", "prior": "Laplace", "priorVariance": 0.01},
        df,
    ).df(2)
    weak = run_node(
        "logistic_regression_learner",
        {"target": "cls", "targetReferenceCategory": "no", "prior": "Laplace", "priorVariance": 1e6},
        df,
    ).df(2)
    plain = run_node(
        "logistic_regression_learner", {"target": "cls", "targetReferenceCategory": "no"}, df
    ).df(2)
    assert (
        strong.set_index("Variable").loc["noise", "Coeff."] == 0.0
    )  # the L1 penalty zeroes the weak feature
    assert weak["Coeff."].to_numpy() == pytest.approx(plain["Coeff."].to_numpy(), abs=1e-2)
    separable = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5], "c": ["a"] * 3 + ["b"] * 3})
    res = run_node("logistic_regression_learner", {"target": "c"}, separable)
    assert np.isfinite(res.df(2)["Coeff."]).all()
    gauss = run_node(
        "logistic_regression_learner", {"target": "c", "prior": "Gauss", "priorVariance": 100.0}, separable
    )
    assert abs(gauss.df(2)["Coeff."].iloc[0]) < abs(res.df(2)["Coeff."].iloc[0])


def test_logistic_multinomial_nominal_factor_and_reference_default() -> None:
    rng = np.random.default_rng(11)
    n = 300
    x = rng.normal(size=n)
    g = rng.choice(["u", "v", "w"], size=n)
    cls = np.where(
        x + (g == "w") + rng.normal(scale=0.8, size=n) > 0.6,
        "C",
        np.where(x + rng.normal(scale=0.8, size=n) < -0.4, "A", "B"),
    )
    df = pd.DataFrame({"g": g, "x": x, "cls": cls})
    res = run_node(
        "logistic_regression_learner", {"target": "cls", "prior": "Gauss", "priorVariance": 10.0}, df
    )
    coeffs = res.df(2)
    # classes sorted, reference = the last (C); factor g dummy-coded against its first level
    assert coeffs["Logit"].tolist() == ["A"] * 4 + ["B"] * 4
    assert coeffs["Variable"].tolist() == ["g=v", "g=w", "x", "Constant"] * 2
    model = res[1].payload
    assert model.reference == "C" and model.logits == ["A", "B"]
    pred = run_node(
        "logistic_regression_predictor",
        {"include_probabilites": True, "propability_columns_suffix": "_p"},
        res[1],
        df,
    )
    out = pred.df(1)
    classes = list(dict.fromkeys(cls))
    assert out.columns.tolist() == ["g", "x", "cls", *[f"P (cls={c})_p" for c in classes], "Prediction (cls)"]
    probs = out[[f"P (cls={c})_p" for c in classes]].to_numpy()
    assert probs.sum(axis=1) == pytest.approx(np.ones(n))
    assert out["Prediction (cls)"].tolist() == [classes[i] for i in probs.argmax(axis=1)]
    assert (out["Prediction (cls)"] == out["cls"]).mean() > 0.6


def test_logistic_predictor_names_missing_values_and_boolean_target() -> None:
    df = two_class_data()
    df["cls"] = df["cls"] == "yes"
    res = run_node(
        "logistic_regression_learner", {"target": "cls", "prior": "Gauss", "priorVariance": 1.0}, df
    )
    assert set(res.df(2)["Logit"]) == {"false"}  # reference = last sorted class (True)
    test = df.copy()
    test.loc["Row0", "x1"] = np.nan
    test["Prediction (cls)"] = 0  # name clash: KNIME makes the new name unique
    pred = run_node("logistic_regression_predictor", {}, res[1], test)
    out = pred.df(1)
    assert out.columns[-1] == "Prediction (cls) (#1)"
    assert pred[1].types["Prediction (cls) (#1)"] == ColumnType.BOOLEAN
    assert pd.isna(out.loc["Row0", "Prediction (cls) (#1)"])
    custom = run_node(
        "logistic_regression_predictor",
        {"has_custom_predicition_name": True, "custom_prediction_name": "guess"},
        res[1],
        df,
    )
    assert custom.df(1).columns[-1] == "guess"
    spec = configure_node(
        "logistic_regression_predictor",
        {"include_probabilites": True},
        res[1],
        TableSpec.of([("x1", "Double"), ("x2", "Double")]),
    )[0]
    assert spec.names == ["x1", "x2", "P (cls=false)", "P (cls=true)", "Prediction (cls)"]
    with pytest.raises(ConfigureError, match="does not contain the column"):
        configure_node("logistic_regression_predictor", {}, res[1], TableSpec.of([("x1", "Double")]))


def test_logistic_learner_errors() -> None:
    spec = TableSpec.of([("x", "Double"), ("t", "Double"), ("s", "String")])
    with pytest.raises(ConfigureError, match="expected one of") as err:
        configure_node("logistic_regression_learner", {"target": "t"}, spec)
    assert err.value.setting == "target"
    with pytest.raises(ConfigureError, match="At least one column"):
        configure_node(
            "logistic_regression_learner",
            {"target": "s", "column_filter": {"excluded_names": ["x", "t"]}},
            spec,
        )
    with pytest.raises(NodeError, match="one value, only"):
        run_node(
            "logistic_regression_learner", {"target": "s"}, pd.DataFrame({"x": [1.0, 2.0], "s": ["a", "a"]})
        )
    with pytest.raises(NodeError, match="missing values in row with ID"):
        run_node(
            "logistic_regression_learner", {"target": "s"}, pd.DataFrame({"x": [1.0, 2.0], "s": ["a", None]})
        )
    with pytest.raises(NodeError, match="empty"):
        run_node(
            "logistic_regression_learner",
            {"target": "s"},
            Table(
                pd.DataFrame({"x": pd.Series([], dtype=float), "s": pd.Series([], dtype=object)}),
                {"s": "String"},
            ),
        )
    with pytest.raises(NodeError, match="reference category"):
        run_node(
            "logistic_regression_learner",
            {"target": "s", "targetReferenceCategory": "zzz"},
            pd.DataFrame({"x": [1.0, 2.0, 3.0], "s": ["a", "b", "a"]}),
        )


# ---------------------------------------------------------------------------- Random forest (11_01)


@pytest.fixture(scope="module")
def maxphase() -> pd.DataFrame:
    df = pd.read_csv(data_path("maxphase_property.csv"), skipinitialspace=True)
    df.columns = [c.strip() for c in df.columns]
    df = df.drop(columns=["Hf (eV/atom)", "Ecoh (eV/atom)", "rho0 lambda tau"])
    df.index = pd.Index([f"Row{i}" for i in range(len(df))], dtype=object)
    return df.iloc[:60]


TARGET = "rho0 lambda lambda"
RF = {
    "targetColumn": TARGET,
    "columnFilterConfig": {"excluded_names": ["Material"]},
    "seed": "1",
    "maxLevels": 5,
    "minNodeSize": 10,
    "nrModels": 20,
}


def test_random_forest_outputs_as_knime(maxphase: pd.DataFrame) -> None:
    res = run_node("random_forest_learner_regression", RF, maxphase)
    oob = res.df(1)
    assert oob.shape == (60, 107)
    assert oob.columns[-3:].tolist() == [
        f"{TARGET} (Out-of-bag)",
        f"{TARGET} (Out-of-bag) (Prediction Variance)",
        "model count",
    ]
    assert res[1].types["model count"] == ColumnType.INTEGER
    assert res.specs[0] == res[1].spec
    assert oob["model count"].between(0, 20).all() and oob["model count"].sum() > 0
    stats = res.df(2)
    assert stats.shape == (102, 6) and stats.index.tolist()[0] == "n"
    assert stats.columns.tolist() == [
        "#splits (level 0)",
        "#splits (level 1)",
        "#splits (level 2)",
        "#candidates (level 0)",
        "#candidates (level 1)",
        "#candidates (level 2)",
    ]
    assert stats["#splits (level 0)"].sum() == 20  # every tree splits its root
    assert stats["#candidates (level 0)"].isna().all()  # per-node samples are not reported by scikit-learn
    model = res[3]
    assert model.summary == "20 classifiers on 102 attributes"
    assert all(t.get_depth() <= 5 for t in model.payload.trees)


def test_random_forest_seed_determinism_and_per_tree_candidates(maxphase: pd.DataFrame) -> None:
    node = registry.get("random_forest_learner_regression")()
    settings = node.Settings.model_validate(RF)
    assert node.is_deterministic(settings)
    assert not node.is_deterministic(node.Settings.model_validate({**RF, "seed": ""}))
    a = run_node("random_forest_learner_regression", RF, maxphase)
    b = run_node("random_forest_learner_regression", RF, maxphase)
    pd.testing.assert_frame_equal(a.df(1), b.df(1))
    c = run_node("random_forest_learner_regression", {**RF, "seed": 2}, maxphase)
    assert not a.df(1).iloc[:, -3].equals(c.df(1).iloc[:, -3])
    per_tree = run_node(
        "random_forest_learner_regression",
        {**RF, "isUseDifferentAttributesAtEachNode": False, "maxLevels": 2},
        maxphase,
    )
    stats = per_tree.df(2)
    assert stats["#candidates (level 0)"].sum() == 20 * 10  # floor(sqrt(102)) attributes per tree
    assert stats["#splits (level 2)"].sum() == 0  # nodes at depth max_levels are leaves
    everything = run_node(
        "random_forest_learner_regression", {**RF, "columnSamplingMode": "None", "nrModels": 3}, maxphase
    )
    assert everything.df(2)["#candidates (level 0)"].tolist() == [3] * 102


def test_random_forest_predictor(maxphase: pd.DataFrame) -> None:
    model = run_node(
        "random_forest_learner_regression",
        {**RF, "isDataSelectionWithReplacement": False, "dataFraction": 0.5},
        maxphase,
    )[3]
    pred = run_node("random_forest_predictor_regression", {}, model, maxphase)
    out = pred.df(1)
    assert out.columns[-2:].tolist() == [
        f"Prediction ({TARGET})",
        f"Prediction ({TARGET}) (Prediction Variance)",
    ]
    per_tree = model.payload.tree_predictions(model.payload.design(maxphase))
    assert out[f"Prediction ({TARGET})"].to_numpy() == pytest.approx(per_tree.mean(axis=0))
    assert out[f"Prediction ({TARGET}) (Prediction Variance)"].to_numpy() == pytest.approx(
        per_tree.var(axis=0, ddof=1)
    )
    r2 = run_node("numeric_scorer", {"reference": TARGET, "predicted": f"Prediction ({TARGET})"}, pred[1]).df(
        1
    )
    assert r2.iloc[0, 0] > 0.3
    custom = run_node(
        "random_forest_predictor_regression",
        {
            "changePredictionColumnName": True,
            "predictionColumnName": "yhat",
            "appendPredictionConfidence": False,
            "appendModelCount": True,
        },
        model,
        maxphase,
    )
    assert custom.df(1).columns[-2:].tolist() == ["yhat", "model count"]
    assert custom.df(1)["model count"].eq(20).all()
    with pytest.raises(ConfigureError, match="does not contain the learning column"):
        configure_node("random_forest_predictor_regression", {}, model, TableSpec.of([("n", "Integer")]))


def test_random_forest_errors_and_nominal_attributes() -> None:
    spec = TableSpec.of([("s", "String"), ("y", "Double")])
    with pytest.raises(ConfigureError, match="not numeric"):
        configure_node("random_forest_learner_regression", {"targetColumn": "s"}, spec)
    with pytest.raises(ConfigureError, match="no valid learning columns"):
        configure_node(
            "random_forest_learner_regression",
            {"targetColumn": "y", "columnFilterConfig": {"excluded_names": ["s"]}},
            spec,
        )
    with pytest.raises(ValueError, match="minimum child size"):
        registry.get("random_forest_learner_regression").Settings.model_validate(
            {"targetColumn": "y", "minNodeSize": 4, "minChildSize": 3}
        )
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"s": rng.choice(["a", "b"], 50), "x": rng.normal(size=50)})
    df["y"] = np.where(df["s"] == "a", 10.0, 0.0) + df["x"]
    df.loc[3, "x"] = np.nan
    res = run_node(
        "random_forest_learner_regression",
        {"targetColumn": "y", "seed": 5, "nrModels": 10, "columnSamplingMode": "None"},
        df,
    )
    assert res.df(2).index.tolist() == ["s", "x"]
    assert res.df(2).loc["s", "#splits (level 0)"] == 10
    pred = run_node("random_forest_predictor_regression", {}, res[3], df).df(1)
    assert pred["Prediction (y)"].notna().all()
