"""Decision Tree Learner / Predictor: KNIME's algorithm against an independent scalar re-implementation,
known trees (iris) and KNIME's prediction semantics."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, ModelSpec, NodeError, TableSpec
from engine.core.testing import configure_node, run_node


@pytest.fixture(scope="module")
def iris() -> pd.DataFrame:
    data = load_iris(as_frame=True)
    df = data.frame.rename(columns={"target": "class"})
    df["class"] = df["class"].map(dict(enumerate(data.target_names)))
    df.index = [f"Row{i}" for i in range(len(df))]
    return df


def tree_of(model: object) -> list[tuple]:
    """The tree as nested tuples (attribute, tests, counts) for comparisons."""

    def walk(node) -> tuple:
        return (node.attribute, tuple(node.tests), tuple(node.counts), tuple(walk(c) for c in node.children))

    return walk(model.payload.root)


# ---------------------------------------------------- an independent scalar implementation (Gini, numbers)


def gini_quality(parts: list[list[float]]) -> float:
    n = sum(sum(p) for p in parts)
    split = 0.0
    for p in parts:
        size = sum(p)
        g = 1.0 if size == 0 else 1.0 - sum((c / size) ** 2 for c in p)
        split += size / n * g
    return 1.0 - split


def reference_tree(x: np.ndarray, y: np.ndarray, k: int, min_rec: int = 2) -> tuple:
    """KNIME's induction for numeric attributes without missing values, written as plain loops."""
    counts = [float((y == c).sum()) for c in range(k)]
    total = float(len(y))
    if max(counts) == total or total <= 2 * min_rec:
        return (-1, (), tuple(counts), ())
    best = None
    best_q = 0.0
    for a in range(x.shape[1]):
        order = sorted(range(len(y)), key=lambda i: x[i, a])
        min_count = max(min_rec, min(25.0, 0.1 * total / k)) if 0.1 * total / k >= min_rec else min_rec
        a_best, a_value = 0.0, math.nan
        below = [0.0] * k
        for t in range(1, len(order)):
            if total - sum(below) <= min_count:
                break
            below[y[order[t - 1]]] += 1
            lo, hi = x[order[t - 1], a], x[order[t], a]
            if hi != lo and sum(below) >= min_count:
                above = [counts[c] - below[c] for c in range(k)]
                q = gini_quality([below, above])
                if q >= a_best:
                    a_best, a_value = q, lo / 2 + hi / 2
        if a_best >= best_q:
            best, best_q = (a, a_value), a_best
    if best is None or math.isnan(best[1]):
        return (-1, (), tuple(counts), ())
    a, value = best
    left = x[:, a] <= value
    if min(left.sum(), (~left).sum()) < min_rec:
        return (-1, (), tuple(counts), ())
    kids = (reference_tree(x[left], y[left], k, min_rec), reference_tree(x[~left], y[~left], k, min_rec))
    return (a, (("<=", value), (">", value)), tuple(counts), kids)


def prune(node: tuple) -> tuple[float, tuple]:
    """Reduced error pruning on the nested tuples."""
    attribute, tests, counts, kids = node
    error = sum(counts) - max(counts)
    if not kids:
        return error, node
    pruned = [prune(k) for k in kids]
    if error - 0.001 <= sum(e for e, _ in pruned):
        return error, (-1, (), counts, ())
    return sum(e for e, _ in pruned), (attribute, tests, counts, tuple(k for _, k in pruned))


# ------------------------------------------------------------------------------------------- tests


def test_iris_gini_tree_is_the_known_one(iris: pd.DataFrame) -> None:
    res = run_node("decision_tree_learner", {"classifyColumn": "class"}, iris)
    root = res.outputs[0].payload.root
    assert (root.attribute, root.tests) == (3, [("<=", 0.8), (">", 0.8)])  # petal width
    inner = root.children[1]
    assert inner.tests == [("<=", 1.75), (">", 1.75)]
    assert inner.children[0].tests == [("<=", 4.95), (">", 4.95)]  # petal length
    leaves = []

    def collect(n) -> None:
        leaves.extend([n.counts.tolist()] if n.is_leaf else [])
        for c in n.children:
            collect(c)

    collect(root)
    assert leaves == [[50, 0, 0], [0, 47, 1], [0, 0, 3], [0, 2, 1], [0, 1, 45]]
    pred = run_node("decision_tree_predictor", {}, res.outputs[0], iris)
    assert (pred.df(1)["Prediction (class)"] == iris["class"]).sum() == 147


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gini_tree_equals_the_scalar_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    x = np.round(rng.normal(size=(n, 3)), 1)
    y = ((x[:, 0] + rng.normal(scale=0.7, size=n) > 0).astype(int) + (x[:, 1] > 0.5)).astype(int)
    df = pd.DataFrame(x, columns=["a", "b", "c"])
    labels = np.array(["low", "mid", "high"])
    df["y"] = labels[y]
    order = list(dict.fromkeys(df["y"]))  # class codes in order of first appearance
    codes = np.array([order.index(v) for v in df["y"]])
    for min_rec in (2, 5):
        res = run_node(
            "decision_tree_learner", {"classifyColumn": "y", "minNumberRecordsPerNode": min_rec}, df
        )
        expected = prune(reference_tree(x, codes, len(order), min_rec))[1]
        assert tree_of(res.outputs[0]) == expected


def test_gain_ratio_root_split_value() -> None:
    """Gain ratio of the root split checked by hand: 6 rows, a clean cut between x=3 and x=4."""
    df = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6], "y": ["a", "a", "a", "b", "b", "b"]})
    res = run_node(
        "decision_tree_learner",
        {"classifyColumn": "y", "splitQualityMeasure": "Gain ratio", "minNumberRecordsPerNode": 1},
        df,
    )
    root = res.outputs[0].payload.root
    assert root.tests == [("<=", 3.5), (">", 3.5)]
    # gain 1 bit, split info 1 bit -> gain ratio 1; KNIME's minimum partition size clamps to 1 here
    from nodes._decision_tree import Measure as _Measure

    m = _Measure(gini=False)
    m.init(np.array([3.0, 3.0]), 6.0)
    q = m.post(
        m.measure(6.0, np.array([[3.0, 3.0]]), np.array([[[3.0, 0.0], [0.0, 3.0]]]), 0.0),
        6.0,
        np.array([[3.0, 3.0]]),
        0.0,
    )
    assert q[0] == pytest.approx(1.0)


def test_nominal_attributes_branch_per_value_and_unseen_values() -> None:
    df = pd.DataFrame(
        {
            "colour": ["red", "red", "blue", "blue", "green", "green", "red", "blue", "green", "red"] * 3,
            "y": ["p", "p", "q", "q", "r", "r", "p", "q", "r", "p"] * 3,
        }
    )
    res = run_node("decision_tree_learner", {"classifyColumn": "y"}, df)
    root = res.outputs[0].payload.root
    assert [t for t in root.tests] == [("in", frozenset({v})) for v in ("red", "blue", "green")]
    new = pd.DataFrame({"colour": ["blue", "purple", None]})
    out = run_node("decision_tree_predictor", {"ShowDistribution": True}, res.outputs[0], new).df(1)
    assert out["Prediction (y)"].tolist()[:1] == ["q"]
    assert pd.isna(out["Prediction (y)"].iloc[1])  # no true child: a missing prediction
    assert out["Prediction (y)"].iloc[2] == "p"  # missing value: the root's prediction (lastPrediction)
    assert out.loc[out.index[2], ["P (y=p)", "P (y=q)", "P (y=r)"]].tolist() == pytest.approx([0.4, 0.3, 0.3])
    assert out.loc[out.index[1], ["P (y=p)", "P (y=q)", "P (y=r)"]].tolist() == [0.0, 0.0, 0.0]
    last = run_node(
        "decision_tree_learner", {"classifyColumn": "y", "CFG_NOTRUECHILD": "returnLastPrediction"}, df
    ).outputs[0]
    assert run_node("decision_tree_predictor", {}, last, new).df(1)["Prediction (y)"].iloc[1] == "p"


def test_binary_nominal_splits_and_missing_values_with_fractional_weights() -> None:
    rng = np.random.default_rng(3)
    colours = rng.choice(["a", "b", "c", "d"], size=200)
    y = np.where(np.isin(colours, ["a", "c"]), "yes", "no")
    num = rng.normal(size=200)
    num[::7] = np.nan
    df = pd.DataFrame({"colour": colours, "num": num, "y": y})
    res = run_node("decision_tree_learner", {"classifyColumn": "y", "binaryNominalSplit": True}, df)
    root = res.outputs[0].payload.root
    assert sorted(map(sorted, [t[1] for t in root.tests])) == [["a", "c"], ["b", "d"]]
    assert all(c.is_leaf for c in root.children)
    # a missing numeric split value: the row goes down both branches with the branch weights
    df2 = pd.DataFrame({"num": [1.0, 2, 3, 4, 5, 6, 7, 8, np.nan, np.nan], "y": list("aaaabbbbab")})
    model = run_node(
        "decision_tree_learner", {"classifyColumn": "y", "minNumberRecordsPerNode": 1}, df2
    ).outputs[0]
    r = model.payload.root
    assert r.tests == [("<=", 4.5), (">", 4.5)]
    assert r.children[0].counts.tolist() == pytest.approx([4.5, 0.5])
    assert r.children[1].counts.tolist() == pytest.approx([0.5, 4.5])


def test_mdl_pruning_shrinks_a_noisy_tree(iris: pd.DataFrame) -> None:
    plain = run_node("decision_tree_learner", {"classifyColumn": "class"}, iris).outputs[0]
    mdl = run_node(
        "decision_tree_learner", {"classifyColumn": "class", "pruningMethod": "MDL"}, iris
    ).outputs[0]
    assert mdl.payload.root.size() < plain.payload.root.size()
    # MDL keeps a split only where it pays: every kept split has cost below its leaf cost
    from nodes._decision_tree import mdl_prune as _mdl_prune

    cost, again = _mdl_prune(mdl.payload.root)
    assert again.size() == mdl.payload.root.size()


def test_specs_errors_and_guessed_class_column(iris: pd.DataFrame) -> None:
    spec = TableSpec.of([("x", ColumnType.DOUBLE), ("s", ColumnType.STRING), ("t", ColumnType.STRING)])
    out = configure_node("decision_tree_learner", {}, spec)[0]
    assert isinstance(out, ModelSpec) and out.target.name == "t"
    assert [c.name for c in out.learning_columns.columns] == ["x", "s"]
    with pytest.raises(ConfigureError, match="not found or incompatible"):
        configure_node("decision_tree_learner", {"classifyColumn": "x"}, spec)
    with pytest.raises(ConfigureError, match="Root split column should be used"):
        configure_node("decision_tree_learner", {"classifyColumn": "t", "useFirstSplitColumn": True}, spec)
    with pytest.raises(NodeError, match="at least 2 records"):
        run_node("decision_tree_learner", {"classifyColumn": "class"}, iris.iloc[:1])
    res = run_node("decision_tree_learner", {}, iris)
    assert res.warnings == ['Guessing target column: "class".']
    # predictor specs: exact before and after the learner ran
    pspec = TableSpec.of([(c, ColumnType.DOUBLE) for c in iris.columns[:4]])
    before = configure_node(
        "decision_tree_predictor", {}, out, TableSpec.of([("x", "Double"), ("s", "String")])
    )[0]
    assert before.names[-1] == "Prediction (t)"
    after = configure_node(
        "decision_tree_predictor",
        {"ShowDistribution": True, "class_probability_suffix": "_p"},
        res.outputs[0].spec,
        pspec,
    )[0]
    assert after.names[4:] == [
        "P (class=setosa)_p",
        "P (class=versicolor)_p",
        "P (class=virginica)_p",
        "Prediction (class)",
    ]
    pred = run_node(
        "decision_tree_predictor",
        {"ShowDistribution": True, "class_probability_suffix": "_p"},
        res.outputs[0],
        iris,
    )
    assert pred.specs[0] == pred[0].spec
    with pytest.raises(ConfigureError, match="Learning column"):
        configure_node("decision_tree_predictor", {}, res.outputs[0].spec, TableSpec.of([("x", "Double")]))


def test_forced_root_split_and_rows_without_class(iris: pd.DataFrame) -> None:
    df = iris.copy()
    df.loc[df.index[:3], "class"] = None
    res = run_node(
        "decision_tree_learner",
        {"classifyColumn": "class", "useFirstSplitColumn": True, "firstSplitColumn": "sepal width (cm)"},
        df,
    )
    assert res.outputs[0].payload.root.attribute == 1
    assert res.warnings == ["3 rows removed due to missing class value;"]


def test_knime_settings_import(tmp_path: Path) -> None:
    model = {
        "classifyColumn": "class",
        "numverRecordsToView": 10000,
        "minNumberRecordsPerNode": 3,
        "pruningMethod": "MDL",
        "enableReducedErrorPruning": True,
        "splitQualityMeasure": "Gain ratio",
        "splitAverage": False,
        "numProcessors": 8,
        "maxNumNominalValues": 10,
        "binaryNominalSplit": False,
        "FilterNominalValuesFromParent": False,
        "skipColumnsWithoutDomain": True,
        "CFG_NOTRUECHILD": "returnLastPrediction",
        "CFG_MISSINGSTRATEGY": "defaultChild",
        "useFirstSplitColumn": False,
        "firstSplitColumn": None,
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.decisiontree2.learner2.DecisionTreeLearnerNodeFactory3", model
    )
    assert node.type == "decision_tree_learner" and findings(report) == []
    assert node.settings["CFG_MISSINGSTRATEGY"] == "lastPrediction"
    assert node.settings["splitAverage"] is False and node.settings["minNumberRecordsPerNode"] == 3
    old = {
        k: v
        for k, v in model.items()
        if k not in ("skipColumnsWithoutDomain", "CFG_NOTRUECHILD", "CFG_MISSINGSTRATEGY")
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.decisiontree2.learner.DecisionTreeLearnerNodeFactory", old
    )
    assert findings(report) == [] and node.settings["skipColumnsWithoutDomain"] is False
    pred = {
        "UseGainRatio": 10000,
        "change prediction": True,
        "prediction column name": "guess",
        "ShowDistribution": True,
        "class probability suffix": "",
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.decisiontree2.predictor2.DecTreePredictorNodeFactory", pred
    )
    assert node.type == "decision_tree_predictor" and findings(report) == []
    assert node.settings["change_prediction"] is True and node.settings["prediction_column_name"] == "guess"
