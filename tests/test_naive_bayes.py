"""Naive Bayes Learner / Predictor: KNIME's datamodel3 against hand-computed Gaussian densities and
counts, scikit-learn where its model coincides, missing and unseen values, the statistics table and
the KNIME mapping (keys of real learner3 / predictor4 / learner2 settings)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.naive_bayes import CategoricalNB, GaussianNB
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, NodeError
from engine.core.testing import run_node

LEARNER = "org.knime.base.node.mine.bayes.naivebayes.learner3.NaiveBayesLearnerNodeFactory4"
LEARNER2 = "org.knime.base.node.mine.bayes.naivebayes.learner2.NaiveBayesLearnerNodeFactory2"
PREDICTOR = "org.knime.base.node.mine.bayes.naivebayes.predictor4.NaiveBayesPredictorNodeFactory3"

TRAIN = pd.DataFrame(
    {
        "x": [1.0, 2.0, 3.0, 6.0, 7.0, 9.0],
        "color": ["r", "r", "g", "g", "b", "g"],
        "cls": ["A", "A", "A", "B", "B", "B"],
    }
)


def log_gauss(x: float, values: list[float]) -> float:
    """The log density with the sample standard deviation, computed apart from the node."""
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
    return -0.5 * ((x - mean) / sd) ** 2 - math.log(sd) - 0.5 * math.log(2 * math.pi)


def learn(df: pd.DataFrame = TRAIN, **settings: object):
    return run_node("naive_bayes_learner", {"classifyColumn": "cls", **settings}, df)


def predict(model: object, df: pd.DataFrame, **settings: object):
    return run_node("naive_bayes_predictor", {"inclProbVals": True, **settings}, model, df)


def softmax(logs: list[float]) -> list[float]:
    top = max(logs)
    e = [math.exp(v - top) for v in logs]
    return [v / sum(e) for v in e]


def test_hand_computed_gaussian_and_counts() -> None:
    model = learn()[1]
    out = predict(model, pd.DataFrame({"x": [2.5, 100.0], "color": ["b", "g"]}))
    t = math.log(1e-4)  # "b" never occurs with A: the default probability
    a = math.log(3 / 6) + log_gauss(2.5, [1, 2, 3]) + t
    b = math.log(3 / 6) + log_gauss(2.5, [6, 7, 9]) + math.log(1 / 3)
    # x = 100 is beyond both Gaussians: each density is floored at the default probability
    a2 = math.log(0.5) + t + math.log(1 / 3)
    b2 = math.log(0.5) + t + math.log(2 / 3)
    df = out[1].df
    assert list(df.columns) == ["x", "color", "P (cls=A)", "P (cls=B)", "Prediction (cls)"]
    assert df["P (cls=A)"].tolist() == pytest.approx([softmax([a, b])[0], softmax([a2, b2])[0]], rel=1e-12)
    assert df["P (cls=B)"].tolist() == pytest.approx([softmax([a, b])[1], softmax([a2, b2])[1]], rel=1e-12)
    assert df["Prediction (cls)"].tolist() == ["B", "B"]


def test_statistics_table() -> None:
    stats = learn()[2]
    assert stats.columns == [
        "Attribute",
        "Value",
        "Class",
        "Count",
        "Missing value count",
        "Mean",
        "Standard deviation",
    ]
    rows = stats.df.astype(object).where(stats.df.notna(), None).values.tolist()
    assert stats.row_ids[:2] == ["Row0", "Row1"]
    assert rows[:8] == [
        ["cls", None, "A", 3, 0, None, None],
        ["cls", None, "B", 3, 0, None, None],
        ["color", "b", "A", 0, 0, None, None],
        ["color", "b", "B", 1, 0, None, None],
        ["color", "g", "A", 1, 0, None, None],
        ["color", "g", "B", 2, 0, None, None],
        ["color", "r", "A", 2, 0, None, None],
        ["color", "r", "B", 0, 0, None, None],
    ]
    assert rows[8][:5] == ["x", None, "A", 3, 0] and rows[9][:5] == ["x", None, "B", 3, 0]
    assert [rows[8][5], rows[8][6]] == pytest.approx([2.0, 1.0])
    assert [rows[9][5], rows[9][6]] == pytest.approx([22 / 3, float(np.std([6, 7, 9], ddof=1))])
    skipping = learn(skipMissingVals=True)[2]
    assert "Missing value count" not in skipping.columns


def test_matches_sklearn_gaussian_nb_with_sample_variance() -> None:
    """GaussianNB is KNIME's model once its variances are the unbiased ones (and no floor is hit)."""
    rng = np.random.default_rng(3)
    x = np.vstack([rng.normal(0, 1, (30, 2)), rng.normal(1.5, 0.7, (25, 2))])
    y = np.array(["a"] * 30 + ["b"] * 25)
    df = pd.DataFrame({"f1": x[:, 0], "f2": x[:, 1], "cls": y})
    sk = GaussianNB().fit(x, y)
    sk.var_ = np.array([x[y == c].var(axis=0, ddof=1) for c in sk.classes_])
    probe = rng.normal(0.8, 1.0, (20, 2))
    out = predict(learn(df)[1], pd.DataFrame({"f1": probe[:, 0], "f2": probe[:, 1]}))[1].df
    expected = sk.predict_proba(probe)
    assert out["P (cls=a)"].to_numpy() == pytest.approx(expected[:, 0], rel=1e-9, abs=1e-12)
    assert out["P (cls=b)"].to_numpy() == pytest.approx(expected[:, 1], rel=1e-9, abs=1e-12)
    assert out["Prediction (cls)"].tolist() == sk.predict(probe).tolist()


def test_matches_sklearn_categorical_nb_without_smoothing() -> None:
    """With every value seen with every class there is no zero count: CategoricalNB without
    smoothing is then KNIME's nominal model."""
    rng = np.random.default_rng(5)
    u = rng.integers(0, 3, 80)
    v = rng.integers(0, 2, 80)
    y = np.where(rng.random(80) < np.array([0.2, 0.5, 0.8])[u], "yes", "no")
    df = pd.DataFrame({"u": [f"u{i}" for i in u], "v": [f"v{i}" for i in v], "cls": y})
    sk = CategoricalNB(alpha=1e-10, force_alpha=True).fit(np.column_stack([u, v]), y)
    grid = np.array([[i, j] for i in range(3) for j in range(2)])
    probe = pd.DataFrame({"u": [f"u{i}" for i in grid[:, 0]], "v": [f"v{j}" for j in grid[:, 1]]})
    out = predict(learn(df)[1], probe)[1].df
    expected = sk.predict_proba(grid)
    assert out["P (cls=no)"].to_numpy() == pytest.approx(expected[:, 0], rel=1e-6)
    assert out["P (cls=yes)"].to_numpy() == pytest.approx(expected[:, 1], rel=1e-6)


def test_missing_values_counted_or_skipped() -> None:
    df = pd.DataFrame(
        {
            "x": [1.0, None, 3.0, 6.0, 7.0, 9.0, 4.0],
            "color": ["r", None, "g", "g", None, "g", "r"],
            "cls": ["A", "A", "A", "B", "B", "B", None],
        }
    )
    with pytest.raises(NodeError, match="Missing class value found in row Row6"):
        learn(df)
    counted = learn(df.iloc[:6])
    assert counted.warnings == ["The following attributes contain missing values: x, color"]
    probe = pd.DataFrame({"x": [None], "color": [None]})
    out = predict(counted[1], probe)[1].df
    t = math.log(1e-4)  # a missing number is the default probability; a missing value is a value
    a, b = math.log(0.5) + t + math.log(1 / 3), math.log(0.5) + t + math.log(1 / 3)
    assert out["P (cls=A)"].tolist() == pytest.approx([softmax([a, b])[0]])
    skipped = learn(df, skipMissingVals=True)
    stats = skipped[2].df
    x_a = stats[(stats["Attribute"] == "x") & (stats["Class"] == "A")]
    assert x_a["Count"].tolist() == [2] and x_a["Mean"].tolist() == pytest.approx([2.0])
    out = predict(skipped[1], pd.DataFrame({"x": [None, 2.0], "color": [None, None]}))[1].df
    # missing cells add nothing: the priors (3/6 each) decide the first row, the Gaussian the second
    assert out["P (cls=A)"].tolist()[0] == pytest.approx(0.5)
    a = math.log(0.5) + log_gauss(2.0, [1, 3])
    b = math.log(0.5) + log_gauss(2.0, [6, 7, 9])
    assert out["P (cls=A)"].tolist()[1] == pytest.approx(softmax([a, b])[0], rel=1e-12)


def test_unseen_value_unknown_columns_and_ties() -> None:
    df = pd.DataFrame({"color": ["r", "g", "r", "g"], "cls": ["B", "B", "A", "A"]})
    model = learn(df)[1]
    out = predict(model, pd.DataFrame({"color": ["purple"], "other": [1]}))
    # an unseen value is the default probability for every class: the priors tie, the first class met wins
    assert out[1].df["P (cls=A)"].tolist() == [0.5] and out[1].df["Prediction (cls)"].tolist() == ["B"]
    assert out.warnings == ["The following input columns are unknown and will be skipped: other"]
    none = predict(model, pd.DataFrame({"z": [1.0]}))
    assert none.warnings == ["The following attributes are missing in the input data: color"]


def test_too_many_nominal_values_and_class_values() -> None:
    df = pd.DataFrame({"color": ["r", "g", "b", "r"], "x": [1.0, 2, 3, 4], "cls": ["A", "B", "A", "C"]})
    run = learn(df, maxNoOfNomVals=2)
    assert run.warnings == ["The following attributes are skipped: color/Too many values"]
    assert list(run[1].payload.attributes) == ["x"]
    assert run[1].spec.learning_columns.names == ["x"]
    with pytest.raises(NodeError, match="Class attribute has too many unique values"):
        learn(df, maxNoOfNomVals=1)  # three classes: one more than the maximum still fits


def test_prediction_column_name_suffix_and_types() -> None:
    # an Integer class needs a nominal column beside it: KNIME counts only those ("Not enough valid columns")
    with pytest.raises(ConfigureError, match="Not enough valid columns"):
        learn(pd.DataFrame({"x": [1.0, 2], "cls": [1, 2]}))
    df = pd.DataFrame(
        {"x": [1.0, 2, 3, 6, 7, 9], "s": ["a"] * 6, "cls": np.array([1, 1, 1, 2, 2, 2], "int32")}
    )
    model = learn(df)[1]
    out = predict(
        model,
        pd.DataFrame({"x": [2.0, 8.0]}),
        change_prediction=True,
        prediction_column_name="guess",
        class_probability_suffix="_nb",
    )[1]
    assert out.columns == ["x", "P (cls=1)_nb", "P (cls=2)_nb", "guess"]
    assert out.types["guess"] == ColumnType.INTEGER and out.df["guess"].tolist() == [1, 2]
    plain = predict(model, pd.DataFrame({"x": [2.0], "Prediction (cls)": ["taken"]}), inclProbVals=False)[1]
    assert plain.columns == ["x", "Prediction (cls)", "Prediction (cls) (#1)"]
    # a Long class goes through PMML as a double: KNIME predicts it as a Double
    as_long = predict(learn(df.astype({"cls": "int64"}))[1], pd.DataFrame({"x": [8.0]}), inclProbVals=False)[
        1
    ]
    assert as_long.types["Prediction (cls)"] == ColumnType.DOUBLE and as_long.df[
        "Prediction (cls)"
    ].tolist() == [2.0]
    with pytest.raises(ConfigureError, match="Prediction column name cannot be empty"):
        predict(model, pd.DataFrame({"x": [2.0]}), change_prediction=True, prediction_column_name=" ")


def test_minimum_standard_deviation() -> None:
    df = pd.DataFrame({"x": [1.0, 1.0, 5.0, 6.0], "cls": ["A", "A", "B", "B"]})
    stats = learn(df, minSdValue=0.5, minSdThreshold=0.1)[2].df
    assert stats["Standard deviation"].tolist()[2:] == pytest.approx([0.5, float(np.std([5, 6], ddof=1))])


def test_configure_errors() -> None:
    with pytest.raises(ConfigureError, match="Please define the classification column"):
        run_node("naive_bayes_learner", {}, TRAIN)
    with pytest.raises(ConfigureError, match="Classification column not found"):
        learn(TRAIN, classifyColumn="nope")
    auto = run_node("naive_bayes_learner", {}, TRAIN[["x", "cls"]])
    assert auto.warnings == ["Classification column preset to cls"]


LEARNER_MODEL = {
    "classifyColumn_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": True},
    "classifyColumn": "cls",
    "threshold_Internals": {"SettingsModelID": "SMID_double", "EnabledStatus": True},
    "threshold": 1.0e-4,
    "minSdValue": 1.0e-4,
    "minSdThreshold": 0.0,
    "maxNoOfNomVals": 20,
    "skipMissingVals": False,
    "compatiblePMML": False,
}
PREDICTOR_MODEL = {
    "inclProbVals": False,
    "prediction column name": "Prediction ()",
    "change prediction": False,
    "class probability suffix": "",
}


def test_imports_real_keys(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, LEARNER, LEARNER_MODEL)
    assert node.type == "naive_bayes_learner" and findings(report) == []
    assert node.settings["maxNoOfNomVals"] == 20 and node.settings["classifyColumn"] == "cls"
    model = learn(**{k: v for k, v in node.settings.items() if k != "classifyColumn"})[1]
    node, report, _ = import_fragment(tmp_path, PREDICTOR, PREDICTOR_MODEL)
    assert node.type == "naive_bayes_predictor" and findings(report) == []
    out = run_node("naive_bayes_predictor", node.settings, model, TRAIN[["x", "color"]])[1]
    assert out.columns == ["x", "color", "Prediction (cls)"]
    with_probs = {**PREDICTOR_MODEL, "inclProbVals": True, "class probability suffix": "Probability"}
    node, report, _ = import_fragment(tmp_path, PREDICTOR, with_probs)
    assert findings(report) == [] and node.settings["class_probability_suffix"] == "Probability"


def test_unsupported_options_are_findings(tmp_path: Path) -> None:
    # learner2 (before 3.7): the same keys, but another model (datamodel2) and threshold 0 allowed
    older = {k: v for k, v in LEARNER_MODEL.items() if not k.startswith("minSd")}
    node, report, _ = import_fragment(tmp_path, LEARNER2, {**older, "threshold": 0.0, "maxNoOfNomVals": 30})
    assert node.type == "naive_bayes_learner"
    assert any("datamodel2" in f and "threshold 0.0" in f for f in findings(report))
    learner2_v3 = "org.knime.base.node.mine.bayes.naivebayes.learner2.NaiveBayesLearnerNodeFactory3"
    node, report, _ = import_fragment(tmp_path, learner2_v3, older)
    assert node.type == "naive_bayes_learner" and any("datamodel2" in f for f in findings(report))
    predictor3 = "org.knime.base.node.mine.bayes.naivebayes.predictor3.NaiveBayesPredictorNodeFactory2"
    node, report, _ = import_fragment(tmp_path, predictor3, PREDICTOR_MODEL)
    assert node.type == "naive_bayes_predictor" and any("datamodel2" in f for f in findings(report))
    _, report, _ = import_fragment(tmp_path, LEARNER, {**LEARNER_MODEL, "laplaceCorrector": 1.0})
    assert any("laplaceCorrector" in f for f in findings(report))
