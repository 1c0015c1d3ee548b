"""Tree Ensemble Learner / Predictor (classification, regression) and Simple Regression Tree Learner /
Predictor: out-of-bag quality against the spread measured for scikit-learn's forests, KNIME's column
layouts of three plugin generations, row sampling, split points, and the KNIME mappings of the real
settings.xml keys (first plugin 2.11 and treeensemble2 4.5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, TableSpec
from engine.core.testing import configure_node, run_node

# scikit-learn RandomForestClassifier(n_estimators=50, max_features="sqrt", oob_score=True) on CLASSES,
# random_state 0..7: out-of-bag accuracy 0.7994 +- 0.0079 (0.790 .. 0.8125), measured once
SKLEARN_OOB_ACCURACY = (0.7994, 0.0079)
# RandomForestRegressor(n_estimators=50, max_features=2, oob_score=True) on NUMBERS, random_state 0..7:
# out-of-bag RMSE 52.48 +- 0.91 (51.32 .. 54.24), measured once
SKLEARN_OOB_RMSE = (52.48, 0.91)
TE2 = "org.knime.base.node.mine.treeensemble2.node"
TE1 = "org.knime.base.node.mine.treeensemble.node"


@pytest.fixture(scope="module")
def classes() -> pd.DataFrame:
    x, y = make_classification(
        n_samples=400, n_features=8, n_informative=4, n_redundant=2, n_classes=3, random_state=0
    )
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(8)])
    df["y"] = np.array(["a", "b", "c"])[y]
    return df


@pytest.fixture(scope="module")
def numbers() -> pd.DataFrame:
    x, y = make_regression(n_samples=300, n_features=6, noise=5.0, random_state=0)
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(6)])
    df["y"] = y
    return df


def test_out_of_bag_accuracy_within_the_measured_spread(classes: pd.DataFrame) -> None:
    accuracies = []
    for seed in range(3):
        settings = {"targetColumn": "y", "seed": seed, "nrModels": 50, "splitCriterion": "Gini"}
        oob = run_node("tree_ensemble_learner", settings, classes).df(1)
        accuracies.append((oob["y (Out-of-bag)"].to_numpy() == classes["y"].to_numpy()).mean())
    mean, std = SKLEARN_OOB_ACCURACY
    # our own 8-seed spread was 0.8006 +- 0.0124; in-bag votes would score near 1
    assert abs(np.mean(accuracies) - mean) < 3 * std + 0.01


def test_regression_out_of_bag_error_within_the_measured_spread(numbers: pd.DataFrame) -> None:
    errors = []
    for seed in range(3):
        oob = run_node(
            "tree_ensemble_learner_regression", {"targetColumn": "y", "seed": seed, "nrModels": 50}, numbers
        )
        predicted = oob.df(1)["y (Out-of-bag)"].to_numpy()
        errors.append(np.sqrt(np.mean((predicted - numbers["y"].to_numpy()) ** 2)))
    mean, std = SKLEARN_OOB_RMSE
    assert abs(np.mean(errors) - mean) < 3 * std + 1.0  # ours: 53.31 +- 1.04 over 8 seeds


def test_out_of_bag_layouts_and_votes(classes: pd.DataFrame) -> None:
    settings = {"targetColumn": "y", "seed": 3, "nrModels": 20}
    res = run_node("tree_ensemble_learner", settings, classes)
    assert res[1].columns[9:] == [
        "P (y=a)",
        "P (y=c)",
        "P (y=b)",
        "y (Out-of-bag)",
        "y (Out-of-bag) (Confidence)",
        "model count",
    ]
    df = res.df(1)
    probs = df[["P (y=a)", "P (y=c)", "P (y=b)"]].to_numpy()
    counted = df["model count"].to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0) and np.allclose((probs * counted[:, None]) % 1, 0, atol=1e-9)
    assert np.allclose(df["y (Out-of-bag) (Confidence)"], probs.max(axis=1))
    assert counted.mean() == pytest.approx(20 / np.e, rel=0.15)  # out of bag with probability 1/e
    assert list(res.df(2).index) == [f"f{i}" for i in range(8)] and res.specs[1] == res[2].spec
    assert res.specs[2].learning_columns == res[3].spec.learning_columns
    pd.testing.assert_frame_equal(run_node("tree_ensemble_learner", settings, classes).df(1), df)
    old = run_node("tree_ensemble_learner", {**settings, "compatibility": "pre_3_6"}, classes)[1]
    assert old.columns[9:12] == ["y (Out-of-bag)", "y (Out-of-bag) (Confidence)", "P(y=a)"]
    holes = classes.copy()
    holes.loc[:4, "f0"] = np.nan
    first = run_node("tree_ensemble_learner", {**settings, "compatibility": "first_plugin"}, holes).df(1)
    assert list(first.columns[9:13]) == ["y (Out-of-bag)", "y (Out-of-bag) (Confidence)", "a", "c"]
    assert first["y (Out-of-bag)"].isna()[:5].all() and first["model count"].isna()[:5].all()
    assert first["y (Out-of-bag)"].notna()[5:].all()


def test_bagging_without_replacement_of_all_rows_leaves_nothing_out_of_bag(classes: pd.DataFrame) -> None:
    settings = {"targetColumn": "y", "seed": 1, "nrModels": 5, "isDataSelectionWithReplacement": False}
    oob = run_node("tree_ensemble_learner", settings, classes).df(1)
    assert (oob["model count"] == 0).all() and oob["y (Out-of-bag)"].isna().all()
    assert oob["P (y=a)"].isna().all()


def test_predictors_read_either_family_of_models(classes: pd.DataFrame) -> None:
    model = run_node("tree_ensemble_learner", {"targetColumn": "y", "seed": 2, "nrModels": 15}, classes)[3]
    spec = TableSpec.of([(f"f{i}", ColumnType.DOUBLE) for i in range(8)])
    assert configure_node("tree_ensemble_predictor", {}, model.spec, spec)[0].names[8:] == [
        "Prediction (y)",
        "Prediction (y) (Confidence)",
    ]
    soft = run_node(
        "tree_ensemble_predictor",
        {"useSoftVoting": True, "appendClassConfidences": True, "appendModelCount": True},
        model,
        classes,
    ).df(1)
    forest = model.payload
    x = classes[[f"f{i}" for i in range(8)]].to_numpy()
    mean = np.zeros((len(x), 3))
    for tree, cols, known in zip(forest.trees, forest.tree_columns, forest.tree_classes, strict=True):
        mean[:, known] += tree.predict_proba(x[:, cols]) / len(forest.trees)
    assert np.allclose(soft[["P (y=a)", "P (y=c)", "P (y=b)"]].to_numpy(), mean)
    assert (soft["Prediction (y)"].to_numpy() == np.array(["a", "c", "b"])[mean.argmax(axis=1)]).all()
    assert (soft["model count"] == 15).all()
    forest_model = run_node(
        "random_forest_learner", {"targetColumn": "y", "seed": 2, "nrModels": 5}, classes
    )[3]
    named = {
        "changePredictionColumnName": True,
        "predictionColumnName": "guess",
        "appendClassConfidences": True,
    }
    first = run_node(
        "tree_ensemble_predictor", {**named, "compatibility": "first_plugin"}, forest_model, classes
    )
    assert first[1].columns[9:] == ["guess", "guess (Confidence)", "a", "c", "b"]
    assert run_node("random_forest_predictor", {}, model, classes)[1].columns[9:11] == ["P (y=a)", "P (y=c)"]
    with pytest.raises(ConfigureError, match="Learning column"):
        configure_node("tree_ensemble_predictor", {}, model.spec, TableSpec.of([("f0", "Double")]))


@pytest.mark.parametrize(("mode", "expected"), [("Stratified", [30, 15, 5]), ("EqualSize", [5, 5, 5])])
def test_class_aware_row_sampling(mode: str, expected: list[int]) -> None:
    from nodes._tree_ensemble_model import draw_rows
    from nodes.tree_ensemble import TreeEnsembleLearnerSettings

    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    settings = TreeEnsembleLearnerSettings(
        targetColumn="y", rowSamplingMode=mode, dataFraction=0.5, isDataSelectionWithReplacement=False
    )
    rows = draw_rows(np.random.default_rng(0), np.arange(100), settings, y)
    assert np.bincount(y[rows], minlength=3).tolist() == expected and len(set(rows.tolist())) == len(rows)


def test_string_columns_without_domain_are_ignored(classes: pd.DataFrame) -> None:
    df = classes.assign(id=[f"id{i % 70}" for i in range(len(classes))], colour=["red", "blue"] * 200)
    settings = {"targetColumn": "y", "seed": 0, "nrModels": 5}
    res = run_node("tree_ensemble_learner", settings, df)
    assert "id" not in res.df(2).index and "colour" in res.df(2).index
    assert res.warnings == [
        '1 column(s) were ignored due to missing domain information: ["id"] -- change the node configuration or '
        "use a Domain Calculator node to fix it"
    ]
    kept = run_node("tree_ensemble_learner", {**settings, "ignoreColumnsWithoutDomain": False}, df)
    assert "id" in kept.df(2).index and kept.warnings == []


def test_regression_predictor_mean_and_variance(numbers: pd.DataFrame) -> None:
    model = run_node(
        "tree_ensemble_learner_regression", {"targetColumn": "y", "seed": 4, "nrModels": 12}, numbers
    )[3]
    out = run_node("tree_ensemble_predictor_regression", {"appendModelCount": True}, model, numbers)
    assert out[1].columns[7:] == ["Prediction (y)", "Prediction (y) (Prediction Variance)", "model count"]
    x = numbers[[f"f{i}" for i in range(6)]].to_numpy()
    each = np.array(
        [t.predict(x[:, c]) for t, c in zip(model.payload.trees, model.payload.tree_columns, strict=True)]
    )
    assert np.allclose(out.df(1)["Prediction (y)"], each.mean(axis=0))
    assert np.allclose(out.df(1)["Prediction (y) (Prediction Variance)"], each.var(axis=0, ddof=1))
    renamed = {
        "changePredictionColumnName": True,
        "predictionColumnName": "p",
        "appendPredictionConfidence": False,
    }
    assert run_node("tree_ensemble_predictor_regression", renamed, model, numbers)[1].columns[7:] == ["p"]
    forest = run_node("random_forest_predictor_regression", {}, model, numbers)
    assert np.allclose(forest.df(1)["Prediction (y)"], each.mean(axis=0))


def _best_split(x: np.ndarray, y: np.ndarray) -> float | None:
    """Brute force: the midpoint split with the least squared error of the two halves."""
    values = np.unique(x)
    best, where = ((y - y.mean()) ** 2).sum(), None
    for lo, hi in zip(values[:-1], values[1:], strict=True):
        left, right = y[x <= lo], y[x > lo]
        sse = ((left - left.mean()) ** 2).sum() + ((right - right.mean()) ** 2).sum()
        if sse < best - 1e-9:
            best, where = sse, (lo + hi) / 2
    return where


def test_simple_regression_tree_is_the_least_squares_tree() -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 10, 60)
    y = np.where(x < 3, 1.0, np.where(x < 7, 4.0, 9.0)) + rng.normal(0, 0.3, 60)
    data = pd.DataFrame({"x": x, "y": y})
    model = run_node("simple_regression_tree_learner", {"targetColumn": "y", "maxLevels": 2}, data)[1]
    probe = np.linspace(0, 10, 41)
    got = run_node("simple_regression_tree_predictor", {}, model, pd.DataFrame({"x": probe})).df(1)
    root = _best_split(x, y)
    assert root is not None
    expected = []
    for p in probe:
        side = x <= root if p <= root else x > root
        cut = _best_split(x[side], y[side])
        leaf = side if cut is None else side & ((x <= cut) if p <= cut else (x > cut))
        expected.append(y[leaf].mean())
    assert got.columns.tolist() == ["x", "Prediction (y)"]
    assert np.allclose(got["Prediction (y)"], expected)
    assert model.spec.kind == "regression_tree" and model.summary.startswith("regression tree with 4 leaves")


def test_split_points_and_missing_values() -> None:
    data = pd.DataFrame({"x": [1.0, 2.0, 3.0, 10.0], "y": [1.0, 1.0, 5.0, 5.0]})
    probe = pd.DataFrame({"x": [2.4, 2.6]})
    for average, expected in (
        (True, [1.0, 5.0]),
        (False, [5.0, 5.0]),
    ):  # split at 2.5, or at 2 (the lower value)
        settings = {"targetColumn": "y", "maxLevels": 1, "useAverageSplitPoints": average}
        model = run_node("simple_regression_tree_learner", settings, data)[1]
        assert (
            run_node("simple_regression_tree_predictor", {}, model, probe).df(1)["Prediction (y)"].tolist()
            == expected
        )
    holes = pd.DataFrame({"x": [1.0, 2.0, np.nan, 3.0, 10.0], "y": [1.0, 1.0, 1.0, 5.0, 5.0]})
    model = run_node("simple_regression_tree_learner", {"targetColumn": "y", "maxLevels": 1}, holes)[1]
    got = run_node("simple_regression_tree_predictor", {}, model, pd.DataFrame({"x": [np.nan]})).df(1)
    assert got["Prediction (y)"].tolist() == [1.0]  # the missing value went with the rows like it
    first = run_node(
        "simple_regression_tree_predictor",
        {"compatibility": "first_plugin"},
        model,
        pd.DataFrame({"x": [np.nan, 9.0]}),
    )
    assert first.df(1)["Prediction (y)"].isna().tolist() == [True, False]


def test_configure_errors() -> None:
    spec = TableSpec.of([("x", ColumnType.DOUBLE), ("t", ColumnType.DOUBLE), ("s", ColumnType.STRING)])
    with pytest.raises(ConfigureError, match="not of the correct type"):
        configure_node("tree_ensemble_learner", {"targetColumn": "t"}, spec)
    with pytest.raises(ConfigureError, match="numeric"):
        configure_node("tree_ensemble_learner_regression", {"targetColumn": "s"}, spec)
    with pytest.raises(ConfigureError, match="no valid learning columns"):
        configure_node(
            "simple_regression_tree_learner",
            {
                "targetColumn": "t",
                "columnFilterConfig": {"included_names": [], "enforce_option": "EnforceInclusion"},
            },
            spec,
        )


# --------------------------------------------------------------------------------- KNIME settings

FIRST_PLUGIN_LEARNER = {
    "targetColumn": "Target",
    "seed": "1436929338553",
    "maxLevels": -1,
    "minNodeSize": -1,
    "minChildSize": -1,
    "dataFraction": 1.0,
    "isDataSelectionWithReplacement": True,
    "hardCodedRootColumn": None,
    "columnSamplingMode": "SquareRoot",
    "columnFractionPerTree": 1.0,
    "columnAbsolutePerTree": 10,
    "isUseDifferentAttributesAtEachNode": True,
    "nrModels": 100,
    "splitCriterion": "InformationGainRatio",
    "useAverageSplitPoints": True,
    "fingerprintColumn": None,
    "includeColumns": {},
    "includeAllColumns": True,
    "ignoreColumnsWithoutDomain": True,
    "nrHilitePatterns": -1,
    "saveTargetDistributionInNodes": False,
}


def test_first_plugin_settings(tmp_path: Path) -> None:
    node, report, _ = import_fragment(
        tmp_path,
        f"{TE1}.learner.classification.TreeEnsembleClassificationLearnerNodeFactory",
        FIRST_PLUGIN_LEARNER,
    )
    assert node.type == "tree_ensemble_learner" and findings(report) == []
    assert (
        node.settings["compatibility"] == "first_plugin" and node.settings["useBinaryNominalSplits"] is False
    )
    assert node.settings["columnFilterConfig"]["enforce_option"] == "EnforceExclusion"
    regression = {
        **FIRST_PLUGIN_LEARNER,
        "includeColumns": ["UF", "Sexo", "Idade"],
        "includeAllColumns": False,
    }
    node, report, _ = import_fragment(
        tmp_path, f"{TE1}.learner.regression.TreeEnsembleRegressionLearnerNodeFactory", regression
    )
    assert node.type == "tree_ensemble_learner_regression" and findings(report) == []
    assert node.settings["columnFilterConfig"]["included_names"] == ["UF", "Sexo", "Idade"]
    predictor = {
        "appendPredictionConfidence": True,
        "appendClassConfidences": True,
        "appendModelCount": False,
        "predictionColumnName": "Tree Ensemble Prediction",
    }
    node, report, _ = import_fragment(
        tmp_path, f"{TE1}.predictor.classification.TreeEnsembleClassificationPredictorNodeFactory", predictor
    )
    assert node.type == "tree_ensemble_predictor" and findings(report) == []
    assert (
        node.settings["changePredictionColumnName"] is True
        and node.settings["compatibility"] == "first_plugin"
    )
    regression_predictor = {**predictor, "appendClassConfidences": False, "predictionColumnName": "Response"}
    node, report, _ = import_fragment(
        tmp_path,
        f"{TE1}.predictor.regression.TreeEnsembleRegressionPredictorNodeFactory",
        regression_predictor,
    )
    assert node.type == "tree_ensemble_predictor_regression" and findings(report) == []
    odd = {**FIRST_PLUGIN_LEARNER, "fingerprintColumn": "fp", "hardCodedRootColumn": "UF", "mystery": 1}
    _, report, _ = import_fragment(
        tmp_path, f"{TE1}.learner.classification.TreeEnsembleClassificationLearnerNodeFactory", odd
    )
    assert len(findings(report)) == 3
    # KNIME 2.5 named the classification nodes without the kind
    node, report, _ = import_fragment(
        tmp_path, f"{TE1}.learner.TreeEnsembleLearnerNodeFactory", FIRST_PLUGIN_LEARNER
    )
    assert node.type == "tree_ensemble_learner" and findings(report) == []
    node, report, _ = import_fragment(
        tmp_path, f"{TE1}.predictor.TreeEnsemblePredictorNodeFactory", predictor
    )
    assert node.type == "tree_ensemble_predictor" and findings(report) == []


def test_treeensemble2_settings(tmp_path: Path) -> None:
    learner = {
        "targetColumn": "median_house_value",
        "seed": "1651492802750",
        "maxLevels": -1,
        "minNodeSize": -1,
        "minChildSize": -1,
        "dataFraction": 1.0,
        "isDataSelectionWithReplacement": False,
        "hardCodedRootColumn": None,
        "columnSamplingMode": "None",
        "columnFractionPerTree": 1.0,
        "columnAbsolutePerTree": 10,
        "isUseDifferentAttributesAtEachNode": False,
        "nrModels": 100,
        "splitCriterion": "Gini",
        "missingValueHandling": "XGBoost",
        "useAverageSplitPoints": True,
        "useBinaryNominalSplits": True,
        "fingerprintColumn": None,
        "columnFilterConfig": {
            "filter-type": "STANDARD",
            "included_names": ["longitude", "latitude", "median_income"],
            "excluded_names": [],
            "enforce_option": "EnforceExclusion",
            "name_pattern": {
                "pattern": "",
                "type": "Wildcard",
                "caseSensitive": True,
                "excludeMatching": False,
            },
            "datatype": {"typelist": {"org.knime.core.data.DoubleValue": False}},
        },
        "ignoreColumnsWithoutDomain": False,
        "nrHilitePatterns": -1,
        "saveTargetDistributionInNodes": False,
        "rowSamplingMode": "Random",
    }
    node, report, _ = import_fragment(
        tmp_path, f"{TE2}.regressiontree.learner.RegressionTreeLearnerNodeFactory", learner
    )
    assert node.type == "simple_regression_tree_learner" and findings(report) == []
    assert "nrModels" not in node.settings and node.settings["columnSamplingMode"] == "None"
    node, report, _ = import_fragment(
        tmp_path, f"{TE2}.learner.regression.TreeEnsembleRegressionLearnerNodeFactory", learner
    )
    assert (
        node.type == "tree_ensemble_learner_regression"
        and findings(report) == []
        and node.settings["nrModels"] == 100
    )
    classify = {**learner, "targetColumn": "ocean", "rowSamplingMode": "EqualSize"}
    node, report, _ = import_fragment(
        tmp_path, f"{TE2}.learner.classification.TreeEnsembleClassificationLearnerNodeFactory2", classify
    )
    assert (
        node.type == "tree_ensemble_learner"
        and findings(report) == []
        and "compatibility" not in node.settings
    )
    _, report, _ = import_fragment(
        tmp_path,
        f"{TE2}.learner.classification.TreeEnsembleClassificationLearnerNodeFactory2",
        {**classify, "missingValueHandling": "Surrogate"},
    )
    assert any("surrogate" in f for f in findings(report))
    tree_predictor = {
        "predictionColumnName": "Prediction (median_house_value)",
        "changePredictionColumnName": False,
        "targetColumnName": None,
    }
    node, report, _ = import_fragment(
        tmp_path, f"{TE2}.regressiontree.predictor.RegressionTreePredictorNodeFactory", tree_predictor
    )
    assert node.type == "simple_regression_tree_predictor" and findings(report) == []
    predictor = {
        "predictionColumnName": "Prediction (ocean)",
        "changePredictionColumnName": False,
        "appendPredictionConfidence": True,
        "appendClassConfidences": True,
        "appendModelCount": False,
        "suffixForClassProbabilities": "_x",
        "useSoftVoting": True,
    }
    node, report, _ = import_fragment(
        tmp_path, f"{TE2}.predictor.classification.TreeEnsembleClassificationPredictorNodeFactory", predictor
    )
    assert node.type == "tree_ensemble_predictor" and findings(report) == []
    assert node.settings["compatibility"] == "pre_3_6" and node.settings["useSoftVoting"] is True
    node, report, _ = import_fragment(
        tmp_path, f"{TE2}.predictor.classification.TreeEnsembleClassificationPredictorNodeFactory2", predictor
    )
    assert node.type == "tree_ensemble_predictor" and findings(report) == []
    assert node.settings.get("compatibility", "current") != "pre_3_6"
    node, report, _ = import_fragment(
        tmp_path, f"{TE2}.predictor.regression.TreeEnsembleRegressionPredictorNodeFactory", predictor
    )
    assert node.type == "tree_ensemble_predictor_regression" and findings(report) == []
    assert "useSoftVoting" not in node.settings
