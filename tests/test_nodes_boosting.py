"""Gradient Boosted Trees Learner / Predictor: Friedman's algorithms against scikit-learn's
GradientBoostingClassifier (K-class, zero init: the same algorithm 4.6) and GradientBoostingRegressor
(Huber loss), KNIME's column layout."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, TableSpec
from engine.core.testing import configure_node, run_node


@pytest.fixture(scope="module")
def classes() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    x, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3, random_state=1)
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(6)])
    df["y"] = np.array(["a", "b", "c"])[y]
    return df, x, y


def test_classification_equals_sklearn_k_class_boosting(classes) -> None:
    df, x, y = classes
    for n, tolerance in ((5, 1e-12), (20, 1e-3)):  # later iterations: rare float-level split ties differ
        model = run_node(
            "gradient_boosted_trees_learner", {"targetColumn": "y", "seed": 0, "nrModels": n}, df
        )[1]
        out = run_node("gradient_boosted_trees_predictor", {}, model, df)
        ours = out.df(1)[["P (y=a)", "P (y=b)", "P (y=c)"]].to_numpy()
        sk = GradientBoostingClassifier(
            n_estimators=n, max_depth=4, learning_rate=0.1, init="zero", random_state=0
        )
        diff = np.abs(ours - sk.fit(x, y).predict_proba(x))
        assert diff.max() < tolerance and diff.mean() < 1e-5
    # class values in order of appearance, probabilities before the prediction (KNIME >= 3.6)
    assert out[1].columns[7:] == [
        "P (y=b)",
        "P (y=c)",
        "P (y=a)",
        "Prediction (y)",
        "Prediction (y) (Confidence)",
    ]
    pred = out.df(1)
    assert (pred["Prediction (y)"].to_numpy() == np.array(["a", "b", "c"])[ours.argmax(axis=1)]).all()
    assert np.allclose(pred["Prediction (y) (Confidence)"], ours.max(axis=1))
    assert out.specs[0] == out[1].spec


def test_regression_follows_huber_m_treeboost() -> None:
    all_x, all_y = make_regression(n_samples=500, n_features=5, noise=10, random_state=2)
    x, y, test_x, test_y = all_x[:300], all_y[:300], all_x[300:], all_y[300:]
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)])
    df["t"] = y
    sk = GradientBoostingRegressor(loss="huber", alpha=0.95, max_depth=4, learning_rate=0.1, random_state=0)
    one = run_node(
        "gradient_boosted_trees_learner_regression", {"targetColumn": "t", "nrModels": 1, "seed": 0}, df
    )
    first = run_node("gradient_boosted_trees_predictor_regression", {}, one[1], df).df(1)["Prediction (t)"]
    # the only difference after one iteration: the quantile definition of the Huber threshold
    assert np.abs(first.to_numpy() - sk.set_params(n_estimators=1).fit(x, y).predict(x)).max() < 0.05
    model = run_node("gradient_boosted_trees_learner_regression", {"targetColumn": "t", "seed": 0}, df)[1]
    test = pd.DataFrame(test_x, columns=[f"f{i}" for i in range(5)])
    ours = (
        run_node("gradient_boosted_trees_predictor_regression", {}, model, test)
        .df(1)["Prediction (t)"]
        .to_numpy()
    )
    theirs = sk.set_params(n_estimators=100).fit(x, y).predict(test_x)

    def r2(p: np.ndarray) -> float:
        return 1 - ((test_y - p) ** 2).sum() / ((test_y - test_y.mean()) ** 2).sum()

    assert abs(r2(ours) - r2(theirs)) < 0.01 and r2(ours) > 0.9


def test_binary_target_sampling_and_determinism() -> None:
    rng = np.random.default_rng(4)
    df = pd.DataFrame(
        {"a": rng.normal(size=200), "b": rng.normal(size=200), "c": rng.choice(["u", "v"], 200)}
    )
    df["y"] = np.where(df["a"] + (df["c"] == "u") > 0.5, "yes", "no")
    settings = {
        "targetColumn": "y",
        "seed": 7,
        "nrModels": 30,
        "dataFraction": 0.7,
        "columnSamplingMode": "SquareRoot",
    }
    m1 = run_node("gradient_boosted_trees_learner", settings, df)[1]
    m2 = run_node("gradient_boosted_trees_learner", settings, df)[1]
    p1 = run_node("gradient_boosted_trees_predictor", {}, m1, df).df(1)
    p2 = run_node("gradient_boosted_trees_predictor", {}, m2, df).df(1)
    pd.testing.assert_frame_equal(p1, p2)
    assert np.allclose(p1[["P (y=yes)", "P (y=no)"]].sum(axis=1), 1.0) or np.allclose(
        p1[["P (y=no)", "P (y=yes)"]].sum(axis=1), 1.0
    )
    assert (p1["Prediction (y)"].to_numpy() == df["y"].to_numpy()).mean() > 0.9
    legacy = run_node(
        "gradient_boosted_trees_predictor",
        {"legacyColumnOrder": True, "suffixForClassProbabilities": "_x"},
        m1,
        df,
    )
    assert legacy[1].columns[4:] == [
        "Prediction (y)",
        "Confidence",
        f"P(y={df['y'][0]})_x",
        legacy[1].columns[-1],
    ]


def test_configure_checks() -> None:
    spec = TableSpec.of([("a", ColumnType.DOUBLE), ("y", ColumnType.STRING), ("t", ColumnType.DOUBLE)])
    with pytest.raises(ConfigureError):
        configure_node("gradient_boosted_trees_learner", {"targetColumn": "t"}, spec)
    with pytest.raises(ConfigureError):
        configure_node("gradient_boosted_trees_learner_regression", {"targetColumn": "y"}, spec)
    ms = configure_node("gradient_boosted_trees_learner_regression", {"targetColumn": "t"}, spec)[0]
    out = configure_node(
        "gradient_boosted_trees_predictor_regression",
        {},
        ms,
        TableSpec.of([("a", "Double"), ("y", "String")]),
    )
    assert out[0].names == ["a", "y", "Prediction (t)"]
    cls = configure_node("gradient_boosted_trees_learner", {"targetColumn": "y"}, spec)[0]
    unknown = configure_node("gradient_boosted_trees_predictor", {}, cls, spec)[0]
    known = configure_node("gradient_boosted_trees_predictor", {"appendClassConfidences": False}, cls, spec)[
        0
    ]
    assert repr(unknown) == "UNKNOWN" and known.names[-2:] == [
        "Prediction (y)",
        "Prediction (y) (Confidence)",
    ]


def test_knime_settings_import(tmp_path: Path) -> None:
    learner = {
        "targetColumn": "y",
        "seed": "7",
        "maxLevels": 4,
        "minNodeSize": -1,
        "minChildSize": -1,
        "dataFraction": 1.0,
        "isDataSelectionWithReplacement": False,
        "columnSamplingMode": "None",
        "columnFractionPerTree": 1.0,
        "columnAbsolutePerTree": 10,
        "isUseDifferentAttributesAtEachNode": False,
        "nrModels": 100,
        "missingValueHandling": "XGBoost",
        "useAverageSplitPoints": True,
        "useBinaryNominalSplits": True,
        "learningRate": 0.05,
        "alphaFraction": 0.9,
    }
    base = "org.knime.base.node.mine.treeensemble2.node.gradientboosting"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        node, report, _ = import_fragment(
            tmp_path, f"{base}.learner.regression.GradientBoostingRegressionLearnerNodeFactory2", learner
        )
    assert node.type == "gradient_boosted_trees_learner_regression" and findings(report) == []
    assert node.settings["learningRate"] == 0.05 and node.settings["alphaFraction"] == 0.9
    node, report, _ = import_fragment(
        tmp_path, f"{base}.learner.classification.GradientBoostingClassificationLearnerNodeFactory2", learner
    )
    assert node.type == "gradient_boosted_trees_learner" and findings(report) == []
    predictor = {
        "predictionColumnName": "Prediction (y)",
        "changePredictionColumnName": False,
        "appendPredictionConfidence": True,
        "appendClassConfidences": True,
        "suffixForClassProbabilities": "",
        "appendModelCount": False,
        "useSoftVoting": False,
    }
    node, report, _ = import_fragment(
        tmp_path,
        f"{base}.predictor.classification.GradientBoostingClassificationPredictorNodeFactory2",
        predictor,
    )
    assert node.type == "gradient_boosted_trees_predictor" and findings(report) == []
