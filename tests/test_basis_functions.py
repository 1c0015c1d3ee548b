"""PNN Learner (DDA) / PNN Predictor and Fuzzy Rule Learner / Fuzzy Rule Predictor: DDA rule counts,
radii and trapezoids worked out by hand on tiny data sets, row order dependence, epochs, missing
value replacements, the predictors' class columns and don't-know class, and the KNIME mapping."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import bindings, findings, import_fragment

from engine.api import ConfigureError, Model
from engine.core.testing import run_node
from nodes._basis_functions import Bounds, Membership, shrink_loss, t_conorm, t_norm

PNN_LEARNER = "org.knime.base.node.mine.bfn.radial.RadialBasisFunctionLearnerNodeFactory"
PNN_PREDICTOR = "org.knime.base.node.mine.bfn.radial.RadialBasisFunctionPredictor2NodeFactory"
FUZZY_LEARNER = "org.knime.base.node.mine.bfn.fuzzy.FuzzyBasisFunctionLearnerNodeFactory"
FUZZY_PREDICTOR = "org.knime.base.node.mine.bfn.fuzzy.FuzzyBasisFunctionPredictor2NodeFactory"

TWO_CLASSES = pd.DataFrame({"x": [1.0, 2.0, 5.0, 6.0], "c": ["A", "A", "B", "B"]})
S = math.sqrt(-math.log(0.2))  # a PNN radius is (distance to the conflicting row) / sqrt(-ln theta minus)


def learn(node: str, df: pd.DataFrame, **settings: object) -> tuple[pd.DataFrame, Model]:
    run = run_node(node, {"target_column": ["c"], **settings}, df)
    return run[1].df, run[2]


def test_pnn_dda_by_hand() -> None:
    """Epoch 1 commits A at 1 and B at 5 (each shrunk to 4 / S against the other's anchor), epoch 2
    shrinks B against x=2 to 3 / S, epoch 3 changes nothing."""
    rules, model = learn("pnn_learner", TWO_CLASSES)
    assert rules.index.tolist() == ["Rule_1", "Rule_2"]
    assert rules["x"].tolist() == [1.0, 5.0] and rules["c"].tolist() == ["A", "B"]
    assert rules["Spread"].tolist() == pytest.approx([4 / S, 3 / S], rel=1e-12)
    assert rules["Weight"].tolist() == [2, 2] and rules["Features"].tolist() == [1, 1]
    assert rules["Variance"].tolist() == [0.5, 0.5]  # (0^2 + 1^2) / 2 covered rows
    assert model.spec.details == {"class_values": ["A", "B"], "epochs": 3}
    assert model.summary == "2 rules for class: A (1) ,B (1)"


def test_pnn_row_order_epochs_and_shrink_after_commit() -> None:
    reverse = TWO_CLASSES.iloc[::-1]
    rules, _ = learn("pnn_learner", reverse)
    assert rules["c"].tolist() == ["B", "A"] and rules["x"].tolist() == [6.0, 2.0]
    assert rules["Spread"].tolist() == pytest.approx([4 / S, 3 / S], rel=1e-12)
    one_epoch, _ = learn("pnn_learner", TWO_CLASSES, max_epochs=1)
    assert one_epoch["Spread"].tolist() == pytest.approx([4 / S, 4 / S], rel=1e-12)
    unshrunk, _ = learn("pnn_learner", TWO_CLASSES, max_epochs=1, shrink_after_commit=False)
    assert unshrunk["Spread"].tolist()[1] == np.finfo(float).max  # Double.MAX_VALUE: never shrunk


def test_pnn_predictor_normalised_activations_and_dont_know() -> None:
    _, model = learn("pnn_learner", TWO_CLASSES)
    test = pd.DataFrame({"x": [3.0, 100.0, None]})
    out = run_node("pnn_predictor", {}, model, test)[1]
    assert out.columns == ["x", "P (c=A)", "P (c=B)", "Prediction (c)"]
    a = 2 * math.exp(-(2.0**2) / (4 / S) ** 2)  # each rule weighted by its 2 covered rows
    b = 2 * math.exp(-(2.0**2) / (3 / S) ** 2)
    assert out.df["P (c=A)"].tolist()[0] == pytest.approx(a / (a + b), rel=1e-12)
    assert out.df["P (c=B)"].tolist()[0] == pytest.approx(b / (a + b), rel=1e-12)
    # far away nothing activates (no winner); a missing cell is left out of the distance
    assert out.df["P (c=A)"].tolist()[1:] == [0.0, 0.5]
    assert out.df["Prediction (c)"].tolist() == ["A", None, "A"]
    high = run_node("pnn_predictor", {"dont_know_prop": a + 0.01}, model, test)[1]
    assert high.df["Prediction (c)"].tolist() == [None, None, "A"]  # raw activation 2 > threshold
    short = run_node(
        "pnn_predictor",
        {"append_class_probabilities": False, "change_prediction": True, "prediction_column_name": "Winner"},
        model,
        test,
    )[1]
    assert short.columns == ["x", "Winner"]


def test_fuzzy_rules_by_hand() -> None:
    """A at 1 grows its core to 2 and cuts its right support at B's row 5; B at 5 grows its core to
    6 and cuts its left support at A's row 2 (epoch 2); epoch 3 changes nothing."""
    rules, model = learn("fuzzy_rule_learner", TWO_CLASSES)
    assert rules["x"].tolist() == ["<1.0,1.0,2.0,5.0>", "<2.0,5.0,6.0,6.0>"]
    assert rules["Weight"].tolist() == [2, 2] and rules["Features"].tolist() == [1, 1]
    assert rules["Spread"].tolist() == [0.2, 0.2]  # core width 1 over the domain width 5
    assert rules["Variance"].tolist() == [0.5, 0.5]
    assert model.spec.details["epochs"] == 3
    out = run_node("fuzzy_rule_predictor", {}, model, pd.DataFrame({"x": [3.0, 7.0, 0.5, None]}))[1]
    assert out.df["P (c=A)"].tolist() == pytest.approx([2 / 3, 0.0, 1.0, 1.0])  # (5 - 3) / (5 - 2)
    assert out.df["P (c=B)"].tolist() == pytest.approx([1 / 3, 1.0, 0.0, 1.0])  # (3 - 2) / (5 - 2)
    assert out.df["Prediction (c)"].tolist() == ["A", "B", "A", "A"]  # a tie keeps the first class


def test_fuzzy_shrinks_the_dimension_losing_least() -> None:
    """B's row (2, 6) conflicts with A at (0, 0): cutting x at 2 loses (10-2)/10, cutting y at 6
    only (10-6)/10, so A's y support ends at 6. B's core grows to [2,10] x [6,10]."""
    df = pd.DataFrame({"x": [0.0, 2.0, 10.0], "y": [0.0, 6.0, 10.0], "c": ["A", "B", "B"]})
    rules, model = learn("fuzzy_rule_learner", df, shrink_after_commit=False)
    assert rules["x"].tolist() == ["<0.0,0.0,0.0,0.0>", "<0.0,2.0,10.0,10.0>"]
    assert rules["y"].tolist() == ["<0.0,0.0,0.0,6.0>", "<6.0,6.0,10.0,10.0>"]
    assert rules["Weight"].tolist() == [1, 2] and rules["Features"].tolist() == [1, 1]
    assert rules["Spread"].tolist() == pytest.approx([0.0, 8 * 4 / 100])
    assert rules["Variance"].tolist() == pytest.approx([0.0, 40.0])  # (0 + sqrt(8^2 + 4^2)^2) / 2
    assert model.spec.details["epochs"] == 2


def test_norms_and_shrink_losses() -> None:
    a, b = 0.6, 0.7
    assert [t_norm(n, a, b) for n in range(5)] == pytest.approx([0.6, 0.42, 0.3, 0.5, 0.0])
    yager2 = math.sqrt(a * a + b * b)
    assert [t_conorm(n, a, b) for n in range(5)] == pytest.approx([0.7, 0.88, 1.0, yager2, 1.0])
    mf = Membership(5.0, Bounds([0.0], [10.0]), 0)
    mf.set_core_left(4.0)
    mf.set_core_right(7.0)
    mf.set_supp_left(0.0)
    # border based / anchor based / rule based: the lost width over the ramp, the anchor distance, the rule
    assert [shrink_loss(k, "leftsupp", 2.0, mf) for k in range(3)] == pytest.approx([2 / 4, 2 / 5, 2 / 10])
    assert [shrink_loss(k, "leftcore", 4.5, mf) for k in range(3)] == pytest.approx([0.5 / 3, 0.5, 0.5 / 3])
    assert shrink_loss(0, "rightsupp", 10.0, mf) == 5e-324  # on the border: Double.MIN_VALUE
    assert (
        mf.activation(2.0) == 0.5
        and mf.activation(9.0) == 1.0
        and mf.center_of_gravity() == pytest.approx((2 * 8 / 3 + 3 * 5.5) / 5)
    )


@pytest.mark.parametrize(
    ("missing", "anchor"),
    [
        ("INCORP", None),
        ("MEAN", 4.0),
        ("MIN", 2.0),
        ("MAX", 6.0),
        ("ZERO", 0.0),
        ("ONE", 1.0),
        ("BEST_GUESS", 4.0),
    ],
)
def test_missing_value_replacement(missing: str, anchor: float | None) -> None:
    """Class A's only row is missing x: its rule's anchor is the replacement (the middle of the
    column's min 2 and max 6 for MEAN, and for BEST_GUESS while no rule of A exists)."""
    df = pd.DataFrame({"x": [2.0, None, 6.0], "c": ["B", "A", "B"]})
    rules, _ = learn("pnn_learner", df, missing=missing)
    got = rules.loc[rules["c"] == "A", "x"].tolist()
    assert math.isnan(got[0]) if anchor is None else got == [anchor], got


def test_best_guess_takes_the_covering_rule() -> None:
    """Row (?, 5) of class A: BEST_GUESS takes x = 1 from A's rule at (1, 1) (distance 4), MEAN the
    middle 5 of x's range (distance sqrt(32)); Rule_1's variance shows which."""
    df = pd.DataFrame({"x": [1.0, None, 9.0], "y": [1.0, 5.0, 9.0], "c": ["A", "A", "B"]})
    guessed, _ = learn("pnn_learner", df, missing="BEST_GUESS")
    mean, _ = learn("pnn_learner", df, missing="MEAN")
    assert guessed["Variance"].tolist()[0] == pytest.approx(16 / 2)
    assert mean["Variance"].tolist()[0] == pytest.approx(32 / 2)


def test_missing_class_and_class_membership_targets() -> None:
    df = pd.DataFrame({"x": [1.0, 5.0], "c": ["A", None]})
    rules, model = learn("pnn_learner", df)
    assert rules["c"].tolist() == ["A", None]
    out = run_node("pnn_predictor", {}, model, pd.DataFrame({"x": [1.0]}))[1]
    assert out.columns[1:] == ["P (c=A)", "P (c=?)", "Prediction (c)"]
    assert out.df.iloc[0, 1:3].tolist() == pytest.approx([1 / 1.2, 0.2 / 1.2])  # exp(-16 / (4/S)^2) = 0.2
    degrees = pd.DataFrame({"x": [1.0, 5.0], "a": [1.0, 0.0], "b": [0.2, 1.0]})
    run = run_node("pnn_learner", {"target_column": ["a", "b"]}, degrees)
    assert run[1].columns == ["x", "Class", "Weight", "Spread", "Features", "Variance"]
    assert run[1].df["Class"].tolist() == ["a", "b"]
    out = run_node("pnn_predictor", {}, run[2], pd.DataFrame({"x": [4.0]}))[1]
    assert out.columns[-1] == "Prediction (Class)" and out.df["Prediction (Class)"].tolist() == ["b"]


def test_configure_errors() -> None:
    df = pd.DataFrame({"x": [1.0, 2.0], "c": ["A", "B"]})
    with pytest.raises(ConfigureError, match='Target "z" column not available'):
        run_node("pnn_learner", {"target_column": ["z"]}, df)
    with pytest.raises(ConfigureError, match=r"Found only one column of type DoubleValue: \[x\]"):
        run_node("fuzzy_rule_learner", {"target_column": ["x"]}, df)
    run = run_node("pnn_learner", {}, df)  # no target: the first column that is not numeric
    assert run[1].columns == ["x", "c", "Weight", "Spread", "Features", "Variance"]
    with pytest.raises(ConfigureError, match='Model column "x" not in data spec'):
        run_node("pnn_predictor", {}, run[2], pd.DataFrame({"y": [1.0]}))
    with pytest.raises(ConfigureError, match='Data column "x" is not compatible with DoubleValue'):
        run_node("pnn_predictor", {}, run[2], pd.DataFrame({"x": ["1"]}))


def test_imports_learners(tmp_path: Path) -> None:
    pnn = {
        "distance_function": 0,
        "missing": 0,
        "shrink_after_commit": True,
        "max_class_coverage": True,
        "max_epochs": -1,
        "target_column": ["c"],
        "theta_minus": 0.2,
        "theta_plus": 0.4,
    }
    node, report, _ = import_fragment(tmp_path, PNN_LEARNER, pnn)
    assert node.type == "pnn_learner" and findings(report) == []
    assert node.settings["target_column"] == ["c"] and node.settings["missing"] == "INCORP"
    assert run_node("pnn_learner", node.settings, TWO_CLASSES)[1].df["Spread"].tolist()[1] == pytest.approx(
        3 / S
    )
    fuzzy = {
        "target_column": ["c"],
        "missing": 1,
        "distance_function": 0,
        "shrink_after_commit": True,
        "max_class_coverage": True,
        "max_epochs": 2,
        "shrink": 0,
        "norm": 1,
    }
    node, report, _ = import_fragment(tmp_path, FUZZY_LEARNER, fuzzy)
    assert node.type == "fuzzy_rule_learner" and findings(report) == []
    assert (node.settings["missing"], node.settings["norm"], node.settings["shrink"]) == (
        "BEST_GUESS",
        "PRODUCT",
        "VOLUME_BORDER_BASED",
    )
    assert node.settings["max_epochs"] == 2
    older = {**pnn, "target_column": "c"}  # KNIME 1.2 stored one target column as a string
    node, report, _ = import_fragment(tmp_path, PNN_LEARNER, older)
    assert findings(report) == [] and node.settings["target_column"] == ["c"]
    _, report, _ = import_fragment(tmp_path, FUZZY_LEARNER, {**fuzzy, "norm": 7, "distance_function": 1})
    assert len(findings(report)) == 2
    bound = bindings(theta_minus={"used": "tm"}, missing={"used": "how"})
    node, report, _ = import_fragment(tmp_path, PNN_LEARNER, pnn, bound)
    assert node.use_variables == {"theta_minus": "tm"}  # an index choice cannot follow its named setting
    assert [f for f in findings(report) if "missing" in f]


def test_imports_predictors(tmp_path: Path) -> None:
    predictor = {
        "prediction column name_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": True},
        "prediction column name": "Prediction ()",
        "change prediction_Internals": {"SettingsModelID": "SMID_boolean", "EnabledStatus": True},
        "change prediction": False,
        "dont_know_prop": -1.0,
        "ignore_dont_know": False,
        "append_class_probabilities": True,
        "class probability suffix_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": True},
        "class probability suffix": "",
    }
    node, report, _ = import_fragment(tmp_path, PNN_PREDICTOR, predictor)
    assert node.type == "pnn_predictor" and findings(report) == []
    assert node.settings["dont_know_prop"] == -1.0 and node.settings["append_class_probabilities"] is True
    fuzzy = {**predictor, "dont_know_prop": 0.0, "ignore_dont_know": True, "class probability suffix": "_p"}
    node, report, _ = import_fragment(tmp_path, FUZZY_PREDICTOR, fuzzy)
    assert node.type == "fuzzy_rule_predictor" and findings(report) == []
    _, model = learn("fuzzy_rule_learner", TWO_CLASSES)
    out = run_node("fuzzy_rule_predictor", node.settings, model, pd.DataFrame({"x": [3.0]}))[1]
    assert out.columns == ["x", "P (c=A)_p", "P (c=B)_p", "Prediction (c)"]
