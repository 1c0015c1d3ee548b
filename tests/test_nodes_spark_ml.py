"""Spark ML nodes on a real local Spark (one session for the module; the JVM is the test session's),
checked against numpy/scipy/scikit-learn, plus what needs no Spark."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import scipy.stats
from spec_shapes import data_dir

import nodes._spark_session as spark_session
import nodes.spark as spark_nodes
from engine.api import ColumnType, ConfigureError, Model, ModelSpec, NodeError, TableSpec
from engine.core.context import Resources, RunContext
from engine.core.testing import configure_node, run_node
from engine.core.variables import VarStack

SPARK_PROBLEM = spark_nodes.missing_requirements()
needs_spark = pytest.mark.skipif(SPARK_PROBLEM is not None, reason=f"Spark unavailable: {SPARK_PROBLEM}")
FEATURES = ["C_R", "C_T", "vol_per_atom", "Z", "f4", "d5", "L4f", "S4f", "J4f", "(g-1)J4f", "(2-g)J4f"]


def tc_table() -> pd.DataFrame:
    """The 60 x 12 table of the series' 02_2x workflows (the Tc target and its 11 descriptors)."""
    frame = pd.read_csv(data_dir("TC_ReCo_detail_descriptor.csv") / "TC_ReCo_detail_descriptor.csv")
    return frame[["Tc", *FEATURES]].astype(float)


def test_missing_pyspark_is_a_configure_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        spark_session, "missing_requirements", lambda: "PySpark is not installed: pip install x"
    )
    spec = TableSpec.of([("a", ColumnType.DOUBLE), ("b", ColumnType.DOUBLE)])
    for node, settings, specs in (
        ("spark_normalizer", {}, (spec,)),
        ("spark_partitioning", {}, (spec,)),
        ("spark_linear_regression_learner", {"classColumn": "a"}, (spec,)),
        ("spark_predictor_regression", {}, (None, spec)),
        ("spark_numeric_scorer", {"reference": "a", "predicted": "b"}, (spec,)),
    ):
        with pytest.raises(ConfigureError, match="PySpark is not installed"):
            configure_node(node, settings, *specs)


def test_configure_specs_without_running_spark() -> None:
    if SPARK_PROBLEM is not None:
        pytest.skip(SPARK_PROBLEM)
    spec = TableSpec.of([("y", ColumnType.INTEGER), ("x", ColumnType.INTEGER), ("s", ColumnType.STRING)])
    out, _ = configure_node("spark_normalizer", {"data_column_filter": {"excluded_names": ["y"]}}, spec)
    assert [c.type for c in out.columns] == ["Integer", "Double", "String"]
    model, coeffs, stats = configure_node("spark_linear_regression_learner", {"classColumn": "y"}, spec)
    assert isinstance(model, ModelSpec) and model.learning_columns.names == ["x", "s"]
    assert coeffs.names == ["Variable", "Coeff.", "Std. Err.", "t-value", "P>|t|"]
    assert stats.names[:3] == ["R^2", "Adjusted R^2", "Explained Variance"]
    pred = configure_node("spark_predictor_regression", {}, model, spec)[0]
    assert pred.names == ["y", "x", "s", "Prediction (y)"]
    with pytest.raises(ConfigureError, match="not found"):
        configure_node("spark_predictor_regression", {}, model, TableSpec.of([("y", ColumnType.DOUBLE)]))
    with pytest.raises(ConfigureError, match="not numeric"):
        configure_node("spark_linear_regression_learner", {"classColumn": "s"}, spec)
    with pytest.raises(ConfigureError, match="not double valued"):
        configure_node("spark_numeric_scorer", {"reference": "y", "predicted": "s"}, spec)
    with pytest.raises(ConfigureError, match="No class column"):
        configure_node("spark_partitioning", {"samplingMethod": "Stratified"}, spec)


# ---------------------------------------------------------------------------------- with Spark


@pytest.fixture(scope="module")
def spark_context(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if SPARK_PROBLEM is not None:
        pytest.skip(f"Spark unavailable: {SPARK_PROBLEM}")
    resources = Resources()
    ctx = RunContext(
        node_id=1, variables=VarStack(), scratch_root=tmp_path_factory.mktemp("sparkml"), resources=resources
    )
    node = spark_nodes.CreateLocalBigDataEnvironment()
    settings = node.Settings.model_validate({"contextName": "knitflow_ml_test", "numberOfThreads": 2})
    yield node.execute([], settings, ctx)[2]
    resources.close_all()
    from pyspark import SparkContext

    if SparkContext._active_spark_context is not None:  # noqa: SLF001
        SparkContext._active_spark_context.stop()  # noqa: SLF001


@pytest.fixture(scope="module")
def tc_spark(spark_context: Any) -> Any:
    return run_node("table_to_spark", {}, tc_table(), spark_context)[1]


def fetch(data: Any) -> pd.DataFrame:
    return run_node("spark_to_table", {}, data).df(1)


@needs_spark
def test_normalizer_modes_match_numpy(tc_spark: Any) -> None:
    frame = tc_table()
    chosen = {"data_column_filter": {"excluded_names": ["Tc"]}}
    z = run_node("spark_normalizer", {"mode": "Z_SCORE", **chosen}, tc_spark)
    out = fetch(z[1])
    expected = (frame[FEATURES] - frame[FEATURES].mean()) / frame[FEATURES].std(ddof=1)
    assert np.allclose(out[FEATURES], expected, rtol=1e-12, atol=1e-12)
    assert out["Tc"].tolist() == frame["Tc"].tolist()
    model = z[2]
    assert isinstance(model, Model) and model.summary == "Z-Score (Gaussian) normalization on 11 column(s)"
    applied = run_node("normalizer_apply", {}, model, frame).df(1)
    assert np.allclose(applied[FEATURES], expected, rtol=1e-12, atol=1e-12)
    mm = fetch(
        run_node("spark_normalizer", {"mode": "MINMAX", "new_min": -1, "new_max": 1, **chosen}, tc_spark)[1]
    )
    values = frame[FEATURES].to_numpy()
    low, high = values.min(axis=0), values.max(axis=0)
    constant = high - low < 1e-12
    ref = np.where(constant, -1.0, (values - low) / np.where(constant, 1.0, high - low) * 2 - 1)
    assert np.allclose(mm[FEATURES], ref, atol=1e-12)
    dec = fetch(run_node("spark_normalizer", {"mode": "DECIMALSCALING", **chosen}, tc_spark)[1])
    assert np.allclose(dec["Z"], frame["Z"] / 100.0)  # max(Z) = 68 -> 10^2


@needs_spark
def test_partitioning_random_split_as_knime(tc_spark: Any, spark_context: Any) -> None:
    # KNIME's 02_20 / 02_21 archives recorded 24 / 17 test rows of 60 for seeds 42 / 44 (local[2])
    normalized = run_node(
        "spark_normalizer", {"mode": "Z_SCORE", "data_column_filter": {"excluded_names": ["Tc"]}}, tc_spark
    )[1]
    for seed, test_rows in (("42", 24), ("44", 17)):
        first, second = run_node("spark_partitioning", {"random_seed": seed}, normalized).outputs
        a, b = fetch(first), fetch(second)
        assert (len(a), len(b)) == (60 - test_rows, test_rows)
        assert sorted(a["Tc"].tolist() + b["Tc"].tolist()) == sorted(tc_table()["Tc"].tolist())
    first_rows = run_node(
        "spark_partitioning", {"samplingMethod": "First", "method": "Absolute", "count": 7}, tc_spark
    )
    head, rest = fetch(first_rows[1]), fetch(first_rows[2])
    assert head["Tc"].tolist() == tc_table()["Tc"].tolist()[:7] and len(rest) == 53
    everything = run_node("spark_partitioning", {"fraction": 1.0, "random_seed": 3}, tc_spark)
    assert len(fetch(everything[1])) == 60 and len(fetch(everything[2])) == 0
    assert any("larger then number of available rows" in w for w in everything.warnings)
    strata = pd.DataFrame({"c": ["a"] * 30 + ["b"] * 10, "v": np.arange(40.0)})
    data = run_node("table_to_spark", {}, strata, spark_context)[1]
    exact = run_node(
        "spark_partitioning",
        {
            "samplingMethod": "Stratified",
            "class_column": "c",
            "exactSampling": True,
            "fraction": 0.5,
            "random_seed": 1,
        },
        data,
    )
    sample = fetch(exact[1])
    assert sample["c"].value_counts().to_dict() == {"a": 15, "b": 5} and len(fetch(exact[2])) == 20


@needs_spark
def test_linear_regression_without_regularization_matches_ols(tc_spark: Any, tmp_path: Path) -> None:
    frame = tc_table()
    chosen = ["C_R", "d5", "S4f", "J4f"]  # the 11 descriptors are collinear; these four are not
    settings = {
        "classColumn": "Tc",
        "featureColumns": {"included_names": chosen, "enforce_option": "EnforceInclusion"},
        "solver": "NORMAL",
        "regularizer": "NONE",
    }
    res = run_node("spark_linear_regression_learner", settings, tc_spark, scratch_dir=tmp_path)
    coeffs, stats = res.df(2), res.df(3)
    assert coeffs["Variable"].tolist() == [*chosen, "Intercept"]
    assert coeffs.index.tolist() == [f"Row{i}" for i in range(1, 6)]
    x = np.column_stack([frame[chosen].to_numpy(), np.ones(60)])
    y = frame["Tc"].to_numpy()
    beta, *_ = scipy.linalg.lstsq(x, y)
    resid = y - x @ beta
    se = np.sqrt(np.diag(resid @ resid / (60 - 5) * np.linalg.inv(x.T @ x)))
    t = beta / se
    p = 2 * scipy.stats.t.sf(np.abs(t), 55)
    assert np.allclose(coeffs["Coeff."], beta, rtol=1e-6)
    assert np.allclose(coeffs["Std. Err."], se, rtol=1e-6)
    # KNIME's Spark learner writes the p-values under "t-value" and the t-values under "P>|t|"
    assert np.allclose(coeffs["t-value"], p, rtol=1e-4, atol=1e-10)
    assert np.allclose(coeffs["P>|t|"], t, rtol=1e-6)
    r2 = 1 - resid @ resid / ((y - y.mean()) ** 2).sum()
    assert stats.loc["Row1", "R^2"] == pytest.approx(r2, rel=1e-9)
    assert stats.loc["Row1", "Mean Absolute Error"] == pytest.approx(np.abs(resid).mean(), rel=1e-6)
    assert stats.loc["Row1", "Root Mean Squared Error"] == pytest.approx(np.sqrt((resid**2).mean()), rel=1e-6)

    predicted = run_node("spark_predictor_regression", {}, res[1], tc_spark)
    out = fetch(predicted[1])
    assert list(out.columns) == ["Tc", *FEATURES, "Prediction (Tc)"]
    assert np.allclose(out["Prediction (Tc)"], x @ beta, rtol=1e-6)
    scores = run_node(
        "spark_numeric_scorer",
        {
            "reference": "Tc",
            "predicted": "Prediction (Tc)",
            "generate_flow_variables": True,
            "name_prefix_for_flowvars": "s_",
        },
        predicted[1],
    )
    table = scores.df(1)
    pred = out["Prediction (Tc)"].to_numpy()
    assert table.index.tolist() == [
        "R^2",
        "mean absolute error",
        "mean squared error",
        "root mean squared deviation",
        "mean signed difference",
    ]
    assert table.loc["R^2", "Prediction (Tc)"] == pytest.approx(
        1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum(), rel=1e-12
    )
    assert table.loc["mean absolute error"].iloc[0] == pytest.approx(np.abs(y - pred).mean(), rel=1e-12)
    assert table.loc["mean signed difference"].iloc[0] == pytest.approx((pred - y).mean(), rel=1e-9, abs=1e-9)
    assert scores.variables["s_R^2"] == table.loc["R^2"].iloc[0]

    # the model outlives pickling: stored as MLlib writes it, loaded back for the next prediction
    model = pickle.loads(pickle.dumps(res[1]))
    assert model.payload.pipeline is None and model.payload.saved
    again = fetch(
        run_node(
            "spark_predictor_regression",
            {"overwritePredictionColumn": True},
            model,
            tc_spark,
            scratch_dir=tmp_path,
        )[1]
    )
    assert again.columns[-1] == "Prediction" and np.allclose(
        again["Prediction"], out["Prediction (Tc)"], rtol=1e-12
    )


@needs_spark
def test_lasso_matches_scikit_learn(tc_spark: Any) -> None:
    from sklearn.linear_model import Lasso

    settings = {
        "classColumn": "Tc",
        "featureColumns": {"excluded_names": ["Tc"]},
        "regularizer": "LASSO",
        "regParam": 5.0,
        "useStandardization": False,
        "maxIterations": 1000,
        "convergenceTolerance": 1e-12,
    }
    res = run_node("spark_linear_regression_learner", settings, tc_spark)
    coeffs = res.df(2)
    assert coeffs["Std. Err."].isna().all()  # only the normal equation without L1 has statistics
    frame = tc_table()
    # MLlib scales the squared loss by 1/(2n) like scikit-learn, the L1 term is regParam |b|_1
    reference = Lasso(alpha=5.0, tol=1e-14, max_iter=1_000_000).fit(frame[FEATURES], frame["Tc"])
    assert np.allclose(coeffs["Coeff."].iloc[:-1], reference.coef_, rtol=1e-3, atol=1e-2)
    assert coeffs["Coeff."].iloc[-1] == pytest.approx(reference.intercept_, rel=1e-3)


@needs_spark
def test_nominal_features_and_missing_values(spark_context: Any) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=30), "kind": rng.choice(["p", "q", "r"], 30)})
    frame["y"] = 2 * frame["x"] + frame["kind"].map({"p": 0.0, "q": 1.0, "r": -1.0}) + rng.normal(0, 0.01, 30)
    data = run_node("table_to_spark", {}, frame, spark_context)[1]
    settings = {"classColumn": "y", "featureColumns": {"excluded_names": ["y"]}, "solver": "NORMAL"}
    coeffs = run_node("spark_linear_regression_learner", settings, data).df(2)
    # alphabetical indexing, the last value dropped: kind=p and kind=q against r
    assert coeffs["Variable"].tolist() == ["x", "kind=p", "kind=q", "Intercept"]
    assert coeffs["Coeff."].tolist() == pytest.approx([2.0, 1.0, 2.0, -1.0], abs=0.02)
    holes = frame.copy()
    holes.loc[4, "x"] = np.nan
    holey = run_node("table_to_spark", {}, holes, spark_context)[1]
    with pytest.raises(NodeError, match="missing values"):
        run_node("spark_linear_regression_learner", settings, holey)
    skipped = run_node("spark_linear_regression_learner", {**settings, "handleInvalid": "SKIP"}, holey)
    assert skipped.df(2)["Coeff."].iloc[0] == pytest.approx(2.0, abs=0.02)
    gaps = pd.DataFrame(
        {"y": [np.nan, 2.0, 3.0, 5.0], "p": [7.0, 2.5, 2.5, 5.5], "q": [1.0, 2.0, np.nan, 4.0]}
    )
    gap_data = run_node("table_to_spark", {}, gaps, spark_context)[1]
    scores = run_node("spark_numeric_scorer", {"reference": "y", "predicted": "p"}, gap_data).df(1)
    assert scores.loc["mean absolute error", "p"] == pytest.approx(
        0.5
    )  # the missing reference row is skipped
    assert scores.loc["R^2", "p"] == pytest.approx(1 - 0.75 / (14 / 3))
    with pytest.raises(NodeError, match="missing values in prediction column 'q'"):
        run_node("spark_numeric_scorer", {"reference": "y", "predicted": "q"}, gap_data)
