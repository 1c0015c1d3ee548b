"""Random Forest Learner / Predictor (classification): KNIME's output layout, voting, sampling modes,
and the out-of-bag accuracy against the spread measured for scikit-learn's RandomForestClassifier."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, TableSpec
from engine.core.testing import configure_node, run_node

# scikit-learn RandomForestClassifier(n_estimators=50, max_features="sqrt", oob_score=True) on the data below,
# random_state 0..7: out-of-bag accuracy 0.7994 +- 0.0079 (min 0.790, max 0.8125); measured once
SKLEARN_OOB_MEAN, SKLEARN_OOB_STD = 0.7994, 0.0079


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    x, y = make_classification(
        n_samples=400, n_features=8, n_informative=4, n_redundant=2, n_classes=3, random_state=0
    )
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(8)])
    df["y"] = np.array(["a", "b", "c"])[y]
    return df


def test_out_of_bag_accuracy_within_the_measured_spread(data: pd.DataFrame) -> None:
    accs = []
    for seed in range(4):
        res = run_node(
            "random_forest_learner",
            {"targetColumn": "y", "seed": seed, "nrModels": 50, "splitCriterion": "Gini"},
            data,
        )
        oob = res.df(1)
        accs.append((oob["y (Out-of-bag)"] == data["y"].to_numpy()).mean())
    # our 8-seed spread was 0.8006 +- 0.0124: both within a few standard deviations of each other
    assert abs(np.mean(accs) - SKLEARN_OOB_MEAN) < 3 * SKLEARN_OOB_STD + 0.01


def test_out_of_bag_table_layout_and_model_count(data: pd.DataFrame) -> None:
    res = run_node("random_forest_learner", {"targetColumn": "y", "seed": 5, "nrModels": 20}, data)
    oob = res[1]
    assert oob.columns[9:] == [
        "P (y=a)",
        "P (y=c)",
        "P (y=b)",
        "y (Out-of-bag)",
        "y (Out-of-bag) (Confidence)",
        "model count",
    ]
    assert oob.types["y (Out-of-bag)"] == ColumnType.STRING and oob.types["model count"] == ColumnType.INTEGER
    df = oob.df
    probs = df[["P (y=a)", "P (y=c)", "P (y=b)"]].to_numpy()
    counted = df["model count"].to_numpy()
    seen = counted > 0
    # hard voting: confidences are vote shares of the trees that did not see the row
    assert np.allclose(probs[seen].sum(axis=1), 1.0)
    assert np.allclose((probs[seen] * counted[seen, None]) % 1, 0, atol=1e-9)
    assert np.allclose(df["y (Out-of-bag) (Confidence)"][seen], probs[seen].max(axis=1))
    # a row is out of bag for a tree with probability 1/e
    assert counted.max() < 20 and counted.mean() == pytest.approx(20 / np.e, rel=0.1)
    again = run_node("random_forest_learner", {"targetColumn": "y", "seed": 5, "nrModels": 20}, data)
    pd.testing.assert_frame_equal(again.df(1), df)
    assert list(res.df(2).index) == [f"f{i}" for i in range(8)]
    assert res.specs[1] == res[2].spec


def test_predictor_columns_soft_voting_and_legacy_layout(data: pd.DataFrame) -> None:
    model = run_node("random_forest_learner", {"targetColumn": "y", "seed": 1, "nrModels": 15}, data)[3]
    spec = TableSpec.of([(f"f{i}", ColumnType.DOUBLE) for i in range(8)])
    expected = configure_node("random_forest_predictor", {}, model.spec, spec)[0]
    assert expected.names[8:] == [
        "P (y=a)",
        "P (y=c)",
        "P (y=b)",
        "Prediction (y)",
        "Prediction (y) (Confidence)",
    ]
    hard = run_node("random_forest_predictor", {}, model, data.drop(columns="y"))
    assert hard[1].spec == expected
    soft = run_node("random_forest_predictor", {"useSoftVoting": True, "appendModelCount": True}, model, data)
    forest = model.payload
    mean = forest.tree_probabilities(forest.design(data)).mean(axis=0)
    assert np.allclose(soft.df(1)[["P (y=a)", "P (y=c)", "P (y=b)"]].to_numpy(), mean)
    labels = np.array(["a", "c", "b"])  # class values in order of appearance
    assert (soft.df(1)["Prediction (y)"].to_numpy() == labels[mean.argmax(axis=1)]).all()
    assert (soft.df(1)["model count"] == 15).all()
    legacy = run_node(
        "random_forest_predictor",
        {"legacyColumnOrder": True, "changePredictionColumnName": True, "predictionColumnName": "guess"},
        model,
        data,
    )
    assert legacy[1].columns[9:] == ["guess", "guess (Confidence)", "P(y=a)", "P(y=c)", "P(y=b)"]
    with pytest.raises(ConfigureError, match="Learning column"):
        configure_node("random_forest_predictor", {}, model.spec, TableSpec.of([("f0", "Double")]))


@pytest.mark.parametrize("mode", ["Stratified", "EqualSize"])
def test_class_aware_row_sampling(mode: str) -> None:
    from nodes.random_forest_classification import RandomForestClassificationLearnerSettings, _row_sample

    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    s = RandomForestClassificationLearnerSettings(
        targetColumn="y", rowSamplingMode=mode, dataFraction=0.5, isDataSelectionWithReplacement=False
    )
    rows = _row_sample(np.random.default_rng(0), y, np.arange(100), 3, s)
    counts = np.bincount(y[rows], minlength=3).tolist()
    assert counts == ([30, 15, 5] if mode == "Stratified" else [5, 5, 5])
    assert len(set(rows.tolist())) == len(rows)


def test_configure_errors_and_nominal_attributes() -> None:
    spec = TableSpec.of([("x", ColumnType.DOUBLE), ("t", ColumnType.DOUBLE)])
    with pytest.raises(ConfigureError, match="not nominal"):
        configure_node("random_forest_learner", {"targetColumn": "t"}, spec)
    df = pd.DataFrame({"colour": ["red", "blue"] * 40, "n": np.arange(80.0), "t": ["x", "y"] * 40})
    res = run_node("random_forest_learner", {"targetColumn": "t", "seed": 0, "nrModels": 10}, df)
    seen = (res.df(1)["model count"] > 0).to_numpy()
    assert (res.df(1)["t (Out-of-bag)"].to_numpy()[seen] == df["t"].to_numpy()[seen]).all()


def test_knime_settings_import(tmp_path: Path) -> None:
    learner = {
        "targetColumn": "y",
        "columnFilterConfig": {
            "filter-type": "STANDARD",
            "included_names": ["a", "b"],
            "excluded_names": [],
            "enforce_option": "EnforceInclusion",
        },
        "seed": "42",
        "maxLevels": -1,
        "minNodeSize": -1,
        "minChildSize": -1,
        "dataFraction": 1.0,
        "isDataSelectionWithReplacement": True,
        "rowSamplingMode": "Stratified",
        "columnSamplingMode": "SquareRoot",
        "columnFractionPerTree": 1.0,
        "columnAbsolutePerTree": 10,
        "isUseDifferentAttributesAtEachNode": True,
        "nrModels": 100,
        "splitCriterion": "Gini",
        "missingValueHandling": "XGBoost",
        "useAverageSplitPoints": True,
        "useBinaryNominalSplits": True,
        "ignoreColumnsWithoutDomain": True,
    }
    base = "org.knime.base.node.mine.treeensemble2.node.randomforest"
    node, report, _ = import_fragment(
        tmp_path, f"{base}.learner.classification.RandomForestClassificationLearnerNodeFactory2", learner
    )
    assert node.type == "random_forest_learner" and findings(report) == []
    assert node.settings["seed"] == "42" or node.settings["seed"] == 42
    node, report, _ = import_fragment(
        tmp_path, f"{base}.learner.classification.RandomForestClassificationLearnerNodeFactory", learner
    )
    assert findings(report) == [] and node.settings["legacyColumnOrder"] is True
    # KNIME's row sampling enum value imports as it is; Surrogate missing-value handling is not run silently
    node, report, _ = import_fragment(
        tmp_path,
        f"{base}.learner.classification.RandomForestClassificationLearnerNodeFactory2",
        {**learner, "rowSamplingMode": "EqualSize"},
    )
    assert findings(report) == [] and node.settings["rowSamplingMode"] == "EqualSize"
    _, report, _ = import_fragment(
        tmp_path,
        f"{base}.learner.classification.RandomForestClassificationLearnerNodeFactory2",
        {**learner, "missingValueHandling": "Surrogate"},
    )
    assert [f for f in findings(report) if "urrogate" in f]
    predictor = {
        "predictionColumnName": "Prediction (y)",
        "changePredictionColumnName": False,
        "appendPredictionConfidence": True,
        "appendClassConfidences": False,
        "suffixForClassProbabilities": "",
        "appendModelCount": False,
        "useSoftVoting": True,
    }
    node, report, _ = import_fragment(
        tmp_path,
        f"{base}.predictor.classification.RandomForestClassificationPredictorNodeFactory2",
        predictor,
    )
    assert node.type == "random_forest_predictor" and findings(report) == []
    assert node.settings["useSoftVoting"] is True
