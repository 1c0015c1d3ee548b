"""XGBoost Tree / Linear Ensemble Learners and Predictors: the nodes against xgboost called directly
with the same parameters, rows and seed (identical predictions), KNIME's column layout, the
configure-time checks and the import of KNIME's settings (`options` / `booster` configs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from test_knime_import import bindings, findings, import_fragment, notes

from engine.api import ColumnType, ConfigureError, NodeError, TableSpec
from engine.core.testing import configure_node, run_node

BASE = "org.knime.xgboost.base.nodes"
TREE_CLASSIFICATION = f"{BASE}.learner.classification.XGBTreeClassificationLearnerNodeFactory2"
TREE_CLASSIFICATION_OLD = f"{BASE}.learner.XGBTreeClassificationLearnerNodeFactory"
TREE_REGRESSION = f"{BASE}.learner.regression.XGBTreeRegressionLearnerNodeFactory2"
TREE_REGRESSION_OLD = f"{BASE}.learner.XGBTreeRegressionLearnerNodeFactory"
LINEAR_CLASSIFICATION = f"{BASE}.learner.classification.XGBLinearClassificationLearnerNodeFactory2"
LINEAR_CLASSIFICATION_OLD = f"{BASE}.learner.XGBLinearClassificationLearnerNodeFactory"
LINEAR_REGRESSION = f"{BASE}.learner.regression.XGBLinearRegressionLearnerNodeFactory2"
LINEAR_REGRESSION_OLD = f"{BASE}.learner.XGBLinearRegressionLearnerNodeFactory"
PREDICTOR = f"{BASE}.predictor.XGBClassificationPredictorNodeFactory"
PREDICTOR_REGRESSION = f"{BASE}.predictor.XGBRegressionPredictorNodeFactory"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 150
    df = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.choice(["x", "y", "z"], size=n),
            "flag": rng.random(n) > 0.5,
        }
    )
    df.loc[[3, 40], "a"] = np.nan
    df.loc[5, "c"] = None
    score = df["a"].fillna(0) + (df["c"] == "x") - 0.5 * df["flag"]
    df["y"] = np.where(score > 0.6, "hi", np.where(df["b"] > 0, "mid", "lo"))
    df["t"] = 2 * df["a"].fillna(0) + df["b"] + (df["c"] == "z") + rng.normal(scale=0.1, size=n)
    df["w"] = rng.uniform(0.5, 2, size=n)
    return df


def design(df: pd.DataFrame, levels: list[str]) -> np.ndarray:
    """The matrix KNIME's description implies, built independently: a, b, one-hot c, flag as 0/1."""
    c = df["c"].to_numpy(dtype=object)
    onehot = np.array([[np.nan] * len(levels) if v is None else [float(v == x) for x in levels] for v in c])
    return np.column_stack([df["a"], df["b"], onehot, df["flag"].astype(float)]).astype(np.float32)


def direct(params: dict[str, Any], df: pd.DataFrame, label: np.ndarray, rounds: int, **extra: Any) -> Any:
    dm = xgb.DMatrix(design(df, LEVELS), label=label, missing=np.nan, **extra)
    return xgb.train({"verbosity": 0, "nthread": 1, **params}, dm, num_boost_round=rounds)


LEVELS = ["x", "z", "y"]  # the indicator columns of c: its values in order of first appearance
FEATURES = {"excluded_names": ["t", "w"]}
# one thread: the machines running the tests are shared (OpenMP threads spin when CPUs are scarce)
ONE_THREAD = {"manualNumThreads": True, "numThreads": 1}
TREE = {
    **ONE_THREAD,
    "eta": 0.2,
    "maxDepth": 4,
    "subsample": 0.8,
    "colSampleByTree": 0.9,
    "colSampleByNode": 0.8,
    "lambda": 2.0,
    "alpha": 0.1,
    "gamma": 0.05,
    "minChildWeight": 2.0,
    "treeMethod": "Hist",
    "maxBin": 64,
}
XGB_TREE = {
    "eta": 0.2,
    "max_depth": 4,
    "subsample": 0.8,
    "colsample_bytree": 0.9,
    "colsample_bynode": 0.8,
    "lambda": 2.0,
    "alpha": 0.1,
    "gamma": 0.05,
    "min_child_weight": 2.0,
    "tree_method": "hist",
    "max_bin": 64,
}


def test_tree_classification_equals_xgboost(data: pd.DataFrame) -> None:
    settings = {
        "targetColumn": "y",
        "featureFilter": FEATURES,
        "boostingRounds": 15,
        "useStaticSeed": True,
        "staticSeed": 11,
        **TREE,
    }
    run = run_node("xgboost_tree_learner", settings, data)
    out = run_node(
        "xgboost_predictor", {"appendProbabilities": True, "probabilitySuffix": "_p"}, run[1], data
    )
    classes = ["lo", "hi", "mid"]  # first appearance in the target column
    assert list(pd.unique(data["y"])) == classes and list(pd.unique(data["c"].dropna())) == LEVELS
    label = np.array([classes.index(v) for v in data["y"]])
    params = {**XGB_TREE, "objective": "multi:softprob", "num_class": 3, "base_score": 0.5, "seed": 11}
    expected = direct(params, data, label, 15).predict(xgb.DMatrix(design(data, LEVELS)))
    probs = out.df(1)[[f"P (y={c})_p" for c in classes]].to_numpy()
    assert np.array_equal(probs, expected.astype(np.float64))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    assert out[1].columns[-4:] == ["P (y=lo)_p", "P (y=hi)_p", "P (y=mid)_p", "Prediction (y)"]
    assert (out.df(1)["Prediction (y)"].to_numpy() == np.array(classes)[expected.argmax(axis=1)]).all()
    assert out[1].spec.get("Prediction (y)").type == ColumnType.STRING
    assert out.specs[0] == out[1].spec
    assert (
        out.df(1)["Prediction (y)"].to_numpy() == data["y"].to_numpy()
    ).mean() > 0.9  # it learned something


def test_seeds_reproduce(data: pd.DataFrame) -> None:
    settings = {
        "targetColumn": "t",
        "featureFilter": {"excluded_names": ["y", "w"]},
        "boostingRounds": 8,
        **TREE,
    }

    def predict(extra: dict[str, Any], seed: int | None = None) -> np.ndarray:
        model = run_node("xgboost_tree_learner_regression", {**settings, **extra}, data, seed=seed)[1]
        return run_node("xgboost_predictor_regression", {}, model, data).df(1)["Prediction (t)"].to_numpy()

    static = {"useStaticSeed": True, "staticSeed": 5}
    assert np.array_equal(predict(static), predict(static))
    assert not np.array_equal(predict(static), predict({**static, "staticSeed": 6}))
    # no static seed: a new seed per execution, derived from the run seed when the run has one
    assert np.array_equal(predict({}, seed=1), predict({}, seed=1))
    assert not np.array_equal(predict({}, seed=1), predict({}, seed=2))


def test_regression_with_weights_equals_xgboost(data: pd.DataFrame) -> None:
    settings = {
        "targetColumn": "t",
        "weightColumn": "w",
        "featureFilter": {"excluded_names": ["y"]},
        "boostingRounds": 20,
        "baseScore": 0.25,
        "useStaticSeed": True,
        "staticSeed": 3,
        **TREE,
    }
    model = run_node("xgboost_tree_learner_regression", settings, data)[1]
    out = run_node("xgboost_predictor_regression", {}, model, data)
    params = {**XGB_TREE, "objective": "reg:squarederror", "base_score": 0.25, "seed": 3}
    booster = direct(params, data, data["t"].to_numpy(), 20, weight=data["w"].to_numpy())
    expected = booster.predict(xgb.DMatrix(design(data, LEVELS)))
    assert np.array_equal(out.df(1)["Prediction (t)"].to_numpy(), expected.astype(np.float64))
    assert out[1].columns[-1] == "Prediction (t)" and out.specs[0] == out[1].spec
    renamed = run_node(
        "xgboost_predictor_regression",
        {"changePredictionColumnName": True, "predictionColumnName": "t"},
        model,
        data,
    )
    assert renamed[1].columns[-1] == "t (#1)"  # made unique against the input


def test_binary_logistic_dart_and_linear_equal_xgboost(data: pd.DataFrame) -> None:
    two = data.assign(y=np.where(data["y"] == "hi", "hi", "other"))
    label = (two["y"] == "hi").to_numpy(dtype=float)  # "other" appears first: class 0
    assert two["y"][0] == "other"
    dart = {
        "booster": "Dart",
        "rateDrop": 0.2,
        "skipDrop": 0.3,
        "sampleType": "Weighted",
        "normalizeType": "Forest",
    }
    settings = {
        "targetColumn": "y",
        "featureFilter": FEATURES,
        "objective": "binary:logistic",
        "boostingRounds": 10,
        "useStaticSeed": True,
        "staticSeed": 2,
        "scalePosWeight": 1.5,
        **TREE,
        **dart,
    }
    model = run_node("xgboost_tree_learner", settings, two)[1]
    out = run_node("xgboost_predictor", {"appendProbabilities": True}, model, two).df(1)
    params = {
        **XGB_TREE,
        "objective": "binary:logistic",
        "base_score": 0.5,
        "seed": 2,
        "scale_pos_weight": 1.5,
        "booster": "dart",
        "rate_drop": 0.2,
        "skip_drop": 0.3,
        "sample_type": "weighted",
        "normalize_type": "forest",
    }
    p = direct(params, two, label, 10).predict(xgb.DMatrix(design(two, LEVELS))).astype(np.float64)
    assert np.array_equal(out["P (y=hi)"].to_numpy(), p)
    assert np.array_equal(out["P (y=other)"].to_numpy(), 1.0 - p)
    assert list(out.columns[-3:]) == ["P (y=other)", "P (y=hi)", "Prediction (y)"]
    assert (out["Prediction (y)"] == np.where(p > 0.5, "hi", "other")).all()

    linear = {
        "targetColumn": "t",
        "featureFilter": {"excluded_names": ["y", "w"]},
        "boostingRounds": 12,
        **ONE_THREAD,
        "lambda": 0.5,
        "alpha": 0.01,
        "updater": "CoordDescent",
        "featureSelector": "Greedy",
        "topK": 2,
        "objective": "reg:linear",
    }
    model = run_node("xgboost_linear_learner_regression", linear, data)[1]
    got = run_node("xgboost_predictor_regression", {}, model, data).df(1)["Prediction (t)"].to_numpy()
    lin = {
        "booster": "gblinear",
        "lambda": 0.5,
        "alpha": 0.01,
        "updater": "coord_descent",
        "feature_selector": "greedy",
        "top_k": 2,
        "objective": "reg:squarederror",
        "base_score": 0.5,
    }
    # the linear booster draws no random numbers with these settings; the seed does not matter
    booster = direct(lin, data.fillna({"a": 0.0}), data["t"].to_numpy(), 12)
    clean = run_node("xgboost_linear_learner_regression", linear, data.fillna({"a": 0.0}))[1]
    ours = run_node("xgboost_predictor_regression", {}, clean, data.fillna({"a": 0.0})).df(1)
    expected = booster.predict(xgb.DMatrix(design(data.fillna({"a": 0.0}), LEVELS)))
    assert np.array_equal(ours["Prediction (t)"].to_numpy(), expected.astype(np.float64))
    assert np.corrcoef(got, data["t"])[0, 1] > 0.9


def test_unknown_and_missing_values(data: pd.DataFrame) -> None:
    model = run_node(
        "xgboost_tree_learner",
        {
            "targetColumn": "y",
            "featureFilter": FEATURES,
            "boostingRounds": 5,
            "useStaticSeed": True,
            **ONE_THREAD,
        },
        data,
    )[1]
    new = data.head(4).copy()
    new.loc[new.index[0], "c"] = "unseen"
    with pytest.raises(NodeError, match="unseen"):
        run_node("xgboost_predictor", {}, model, new)
    lenient = run_node(
        "xgboost_predictor", {"appendProbabilities": True, "unknownAsMissing": True}, model, new
    )
    as_missing = new.copy()
    as_missing.loc[new.index[0], "c"] = None
    missing = run_node("xgboost_predictor", {"appendProbabilities": True}, model, as_missing)
    columns = ["P (y=lo)", "P (y=hi)", "P (y=mid)"]
    assert np.array_equal(lenient.df(1)[columns].to_numpy(), missing.df(1)[columns].to_numpy())
    bad = data.copy()
    bad.loc[2, "y"] = None
    with pytest.raises(NodeError, match="missing values"):
        run_node("xgboost_tree_learner", {"targetColumn": "y", "featureFilter": FEATURES, **ONE_THREAD}, bad)


def test_configure_checks(data: pd.DataFrame) -> None:
    spec = TableSpec.of([("a", ColumnType.DOUBLE), ("c", ColumnType.STRING), ("t", ColumnType.DOUBLE)])
    with pytest.raises(ConfigureError, match="no target"):
        configure_node("xgboost_tree_learner", {}, spec)
    with pytest.raises(ConfigureError, match="not found"):
        configure_node("xgboost_tree_learner", {"targetColumn": "gone"}, spec)
    with pytest.raises(ConfigureError):
        configure_node("xgboost_tree_learner", {"targetColumn": "t"}, spec)  # numeric: not a class column
    with pytest.raises(ConfigureError):
        configure_node("xgboost_tree_learner_regression", {"targetColumn": "c"}, spec)
    missing_feature = {
        "targetColumn": "t",
        "featureFilter": {"included_names": ["a", "zz"], "enforce_option": "EnforceInclusion"},
    }
    with pytest.raises(ConfigureError, match="zz"):
        configure_node("xgboost_linear_learner_regression", missing_feature, spec)
    with pytest.raises(ConfigureError, match="no feature"):
        configure_node(
            "xgboost_tree_learner_regression",
            {"targetColumn": "t", "featureFilter": {"enforce_option": "EnforceInclusion"}},
            spec,
        )
    regression = configure_node("xgboost_tree_learner_regression", {"targetColumn": "t"}, spec)[0]
    assert regression.learning_columns.names == ["a", "c"]
    out = configure_node(
        "xgboost_predictor_regression", {}, regression, TableSpec.of([("c", "String"), ("a", "Integer")])
    )
    assert out[0].names == ["c", "a", "Prediction (t)"]
    with pytest.raises(ConfigureError, match="Learning column"):
        configure_node("xgboost_predictor_regression", {}, regression, TableSpec.of([("a", "Double")]))
    with pytest.raises(ConfigureError, match="classification"):
        configure_node("xgboost_predictor", {}, regression, spec)
    classes = configure_node("xgboost_tree_learner", {"targetColumn": "c"}, spec)[0]
    assert (
        repr(configure_node("xgboost_predictor", {"appendProbabilities": True}, classes, spec)[0])
        == "UNKNOWN"
    )
    assert configure_node("xgboost_predictor", {}, classes, spec)[0].names[-1] == "Prediction (c)"


# ----------------------------------------------------------------------------------- KNIME import

FILTER = {
    "filter-type": "STANDARD",
    "included_names": ["a", "b", "c"],
    "excluded_names": ["y"],
    "enforce_option": "EnforceInclusion",
}
OPTIONS = {
    "targetColumn": "y",
    "weightColumn": None,
    "boostingRounds": 50,
    "numThreads": 4,
    "manualNumThreads": False,
    "useStaticSeed": True,
    "staticSeed": 42,
    "baseScore": 0.5,
    "objective": {"identifier": "multi:softprob"},
    "featureFilter": FILTER,
}
BOOSTER = {
    "booster": "Tree",
    "eta": 0.1,
    "gamma": 0.0,
    "maxDepth": 5,
    "minChildWeight": 1.0,
    "maxDeltaStep": 0.0,
    "subsample": 0.9,
    "colSampleByTree": 1.0,
    "colSampleByLevel": 1.0,
    "colSampleByNode": 1.0,
    "lambda": 1.0,
    "alpha": 0.0,
    "treeMethod": "Hist",
    "sketchEps": 0.03,
    "scalePosWeight": 1.0,
    "growPolicy": "LossGuide",
    "maxLeaves": 8,
    "maxBin": 256,
    "sampleType": "Uniform",
    "normalizeType": "Tree",
    "rateDrop": 0.0,
    "oneDrop": False,
    "skipDrop": 0.0,
}


def test_tree_learner_import(tmp_path: Path) -> None:
    model = {"options": OPTIONS, "booster": BOOSTER}
    variables = bindings(**{"booster.eta": {"used": "rate"}})
    node, report, _ = import_fragment(tmp_path, TREE_CLASSIFICATION, model, variables)
    assert node.type == "xgboost_tree_learner" and findings(report) == []
    s = node.settings
    assert s["targetColumn"] == "y" and s["boostingRounds"] == 50 and s["staticSeed"] == 42
    assert s["featureFilter"]["included_names"] == ["a", "b", "c"] and s["lambda"] == 1.0
    assert s["growPolicy"] == "LossGuide" and s["maxLeaves"] == 8 and s["objective"] == "multi:softprob"
    assert node.use_variables == {"eta": "rate"}
    old, report, _ = import_fragment(tmp_path, TREE_CLASSIFICATION_OLD, model)
    assert old.type == "xgboost_tree_learner" and findings(report) == []
    # Auto: the xgboost version decides the split method (a note); GPU methods and Approx's sketch cannot be kept
    auto, report, _ = import_fragment(
        tmp_path, TREE_CLASSIFICATION, {**model, "booster": {**BOOSTER, "treeMethod": "Auto"}}
    )
    assert findings(report) == [] and any("treeMethod Auto" in n for n in notes(report))
    _, report, _ = import_fragment(
        tmp_path, TREE_CLASSIFICATION, {**model, "booster": {**BOOSTER, "treeMethod": "GpuHist"}}
    )
    assert any("GpuHist" in f for f in findings(report))
    _, report, _ = import_fragment(
        tmp_path, TREE_CLASSIFICATION, {**model, "booster": {**BOOSTER, "treeMethod": "Approx"}}
    )
    assert any("sketchEps" in f for f in findings(report))


def test_regression_and_linear_import(tmp_path: Path) -> None:
    options = {
        **OPTIONS,
        "targetColumn": "t",
        "objective": {"identifier": "reg:tweedie", "tweedieVariancePower": 1.3},
    }
    node, report, _ = import_fragment(
        tmp_path, TREE_REGRESSION, {"options": options, "booster": {**BOOSTER, "booster": "Dart"}}
    )
    assert node.type == "xgboost_tree_learner_regression" and findings(report) == []
    assert node.settings["objective"] == "reg:tweedie" and node.settings["tweedieVariancePower"] == 1.3
    assert node.settings["booster"] == "Dart"
    node, report, _ = import_fragment(
        tmp_path,
        TREE_REGRESSION_OLD,
        {
            "options": {**OPTIONS, "targetColumn": "t", "objective": {"identifier": "reg:linear"}},
            "booster": BOOSTER,
        },
    )
    assert node.type == "xgboost_tree_learner_regression" and findings(report) == []
    linear_booster = {
        "lambda": 0.2,
        "alpha": 0.3,
        "updater": "CoordDescent",
        "featureSelector": "Thrifty",
        "topK": 3,
    }
    for factory, kind, objective in (
        (LINEAR_CLASSIFICATION, "xgboost_linear_learner", "binary:logistic"),
        (LINEAR_CLASSIFICATION_OLD, "xgboost_linear_learner", "multi:softprob"),
        (LINEAR_REGRESSION, "xgboost_linear_learner_regression", "count:poisson"),
        (LINEAR_REGRESSION_OLD, "xgboost_linear_learner_regression", "reg:gamma"),
    ):
        opts = {**OPTIONS, "objective": {"identifier": objective}}
        node, report, _ = import_fragment(tmp_path, factory, {"options": opts, "booster": linear_booster})
        assert node.type == kind and findings(report) == []
        assert node.settings["featureSelector"] == "Thrifty" and node.settings["objective"] == objective
    # a classification objective on the regression learner is not silently replaced
    _, report, _ = import_fragment(
        tmp_path, LINEAR_REGRESSION, {"options": OPTIONS, "booster": linear_booster}
    )
    assert any("multi:softprob" in f for f in findings(report))


def test_unknown_keys_are_findings(tmp_path: Path) -> None:
    model = {
        "options": {**OPTIONS, "earlyStopping": 5},
        "booster": {**BOOSTER, "numParallelTree": 4},
        "extra": 1,
    }
    _, report, _ = import_fragment(tmp_path, TREE_CLASSIFICATION, model)
    found = findings(report)
    assert any("options.earlyStopping" in f for f in found)
    assert any("booster.numParallelTree" in f for f in found)
    assert any("extra" in f for f in found)
    objective = {**OPTIONS, "objective": {"identifier": "multi:softprob", "numClass": 3}}
    _, report, _ = import_fragment(tmp_path, TREE_CLASSIFICATION, {"options": objective, "booster": BOOSTER})
    assert any("options.objective.numClass" in f for f in findings(report))


def test_predictor_import(tmp_path: Path) -> None:
    predictor = {
        "predictionColumnName": "Prediction (y)",
        "changePredictionColumnName": False,
        "appendProbabilities": True,
        "probabilitySuffix": "_xgb",
        "unknownAsMissing": True,
        "batchSize": 10000,
    }
    node, report, _ = import_fragment(tmp_path, PREDICTOR, predictor)
    assert node.type == "xgboost_predictor" and findings(report) == []
    assert node.settings["probabilitySuffix"] == "_xgb" and node.settings["unknownAsMissing"] is True
    node, report, _ = import_fragment(tmp_path, PREDICTOR_REGRESSION, {**predictor, "something": "else"})
    assert node.type == "xgboost_predictor_regression"
    assert [f for f in findings(report) if "something" in f]
