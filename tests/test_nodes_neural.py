"""RProp MLP Learner / MultiLayerPerceptron Predictor: the vectorised RProp against a line-by-line port
of KNIME's RProp.train loops, Java-random initial weights, KNIME's predictor columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, NodeError, TableSpec
from engine.core.testing import configure_node, run_node
from nodes._java_random import JavaRandom
from nodes.neural import Perceptrons, RPropTrainer, initial_network


@pytest.fixture(scope="module")
def iris() -> pd.DataFrame:
    data = load_iris(as_frame=True)
    df = data.frame.rename(columns={"target": "class"})
    df["class"] = df["class"].map(dict(enumerate(data.target_names)))
    num = df.columns[:4]
    df[num] = (df[num] - df[num].min()) / (df[num].max() - df[num].min())
    return df


def knime_rprop(weights, thresholds, samples, outputs, iterations):
    """RProp.train as KNIME writes it: row by row, weight by weight (plain Python lists)."""
    w = [[list(r) for r in layer] for layer in weights]
    th = [list(t) for t in thresholds]
    eta = [[[0.1] * len(r) for r in layer] for layer in w]
    thr_eta = [[0.1] * len(t) for t in th]
    old = [[[0.0] * len(r) for r in layer] for layer in w]
    thr_old = [[0.0] * len(t) for t in th]

    def act(v):
        return 0.0 if v < -37 else (1.0 if v > 37 else 1 / (1 + np.exp(-v)))

    def sgn(d):
        return 1.0 if d > 0 else (-1.0 if d < 0 else 0.0)

    for _ in range(iterations):
        err = [[[0.0] * len(r) for r in layer] for layer in w]
        terr = [[0.0] * len(t) for t in th]
        for s in range(len(samples)):
            out = [list(samples[s])]
            for layer in range(len(w)):
                row = []
                for j in range(len(w[layer])):
                    total = 0.0
                    for k in range(len(out[-1])):
                        total += out[-1][k] * w[layer][j][k]
                    row.append(act(total - th[layer][j]))
                out.append(row)
            delta = [None] * len(out)
            delta[-1] = [(outputs[s][j] - y) * y * (1 - y) for j, y in enumerate(out[-1])]
            for i in range(len(out) - 2, 0, -1):
                delta[i] = []
                for j, y in enumerate(out[i]):
                    total = 0.0
                    for k in range(len(delta[i + 1])):
                        total += delta[i + 1][k] * w[i][k][j]
                    delta[i].append(y * (1 - y) * total)
            for i in range(len(w)):
                for j in range(len(w[i])):
                    for k in range(len(w[i][j])):
                        err[i][j][k] += out[i][k] * -delta[i + 1][j]
                    terr[i][j] += delta[i + 1][j]
        for grads, params, etas, olds in ((err, w, eta, old), ([terr], [th], [thr_eta], [thr_old])):
            for a in range(len(params)):
                for b in range(len(params[a])):
                    items = params[a][b] if isinstance(params[a][b], list) else None
                    for c in range(len(items) if items is not None else 1):
                        g = grads[a][b][c] if items is not None else grads[a][b]
                        o = olds[a][b][c] if items is not None else olds[a][b]
                        e = etas[a][b][c] if items is not None else etas[a][b]
                        if g * o > 0:
                            e = min(e * 1.2, 50.0)
                            delta_w, o = -sgn(g) * e, g
                        elif g * o < 0:
                            e, delta_w, o = max(e * 0.5, 1e-6), 0.0, 0.0
                        else:
                            delta_w, o = -sgn(g) * e, g
                        if items is not None:
                            params[a][b][c] += delta_w
                            etas[a][b][c], olds[a][b][c] = e, o
                        else:
                            params[a][b] += delta_w
                            etas[a][b], olds[a][b] = e, o
    return w, th


def test_vectorised_rprop_equals_knime_loops(iris: pd.DataFrame) -> None:
    x = iris.iloc[::5, :4].to_numpy()
    labels = iris["class"].iloc[::5].to_numpy()
    t = np.stack([(labels == c).astype(float) for c in ("setosa", "versicolor", "virginica")], axis=1)
    net = Perceptrons(list(iris.columns[:4]), "class", False, ["setosa", "versicolor", "virginica"])
    initial_network(net, [4, 5, 4, 3], JavaRandom(7))
    start_w = [w.tolist() for w in net.weights]
    start_t = [t_.tolist() for t_ in net.thresholds]
    trainer = RPropTrainer(net)
    for _ in range(15):
        trainer.step(x, t)
    w, th = knime_rprop(start_w, start_t, x.tolist(), t.tolist(), 15)
    for ours, theirs in zip(net.weights, w, strict=True):
        assert np.allclose(ours, np.array(theirs), rtol=0, atol=1e-9)
    for ours, theirs in zip(net.thresholds, th, strict=True):
        assert np.allclose(ours, np.array(theirs), rtol=0, atol=1e-9)


def test_initial_weights_come_from_java_random() -> None:
    net = Perceptrons(["a", "b"], "y", True)
    initial_network(net, [2, 3, 1], JavaRandom(42))
    rnd = JavaRandom(42)
    first = [(rnd.nextDouble() - 0.5) * 2 for _ in range(3)]
    assert net.weights[0][0].tolist() == first[:2] and net.thresholds[0][0] == first[2]


def test_iris_classification_and_predictor_columns(iris: pd.DataFrame) -> None:
    settings = {"classcol": "class", "useRandomSeed": True, "randomSeed": 42}
    model = run_node("rprop_mlp_learner", settings, iris)[1]
    again = run_node("rprop_mlp_learner", settings, iris)[1]
    assert all(
        np.array_equal(a, b) for a, b in zip(model.payload.weights, again.payload.weights, strict=True)
    )
    out = run_node("mlp_predictor", {"class_probability_suffix": "_p"}, model, iris)
    assert out[1].columns[5:] == [
        "P (class=setosa)_p",
        "P (class=versicolor)_p",
        "P (class=virginica)_p",
        "Prediction (class)",
    ]
    assert out.specs[0] == out[1].spec
    df = out.df(1)
    assert (df["Prediction (class)"].to_numpy() == iris["class"].to_numpy()).mean() > 0.95
    probs = df.iloc[:, 5:8].to_numpy()
    assert not np.allclose(probs.sum(axis=1), 1.0)  # raw activations, as KNIME appends them
    names = np.array(["setosa", "versicolor", "virginica"])
    assert (df["Prediction (class)"].to_numpy() == names[probs.argmax(axis=1)]).all()


def test_regression_target_range_missing_values_and_errors() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.uniform(size=200), "b": rng.uniform(size=200)})
    df["t"] = 0.2 + 0.5 * df["a"] * df["b"]
    model = run_node("rprop_mlp_learner", {"classcol": "t", "maxiter": 200, "useRandomSeed": True}, df)[1]
    out = run_node("mlp_predictor", {"change_prediction": True, "prediction_column_name": "fit"}, model, df)
    assert out[1].types["fit"] == ColumnType.DOUBLE
    assert np.abs(out.df(1)["fit"].to_numpy() - df["t"].to_numpy()).mean() < 0.03
    with pytest.raises(NodeError, match=r"not in range \[0,1\]"):
        run_node("rprop_mlp_learner", {"classcol": "a"}, df.assign(a=df["a"] * 3))
    holes = df.copy()
    holes.loc[holes.index[:5], "a"] = np.nan
    with pytest.raises(NodeError, match="Missing values"):
        run_node("rprop_mlp_learner", {"classcol": "t"}, holes)
    run_node("rprop_mlp_learner", {"classcol": "t", "ignoremv": True, "maxiter": 5}, holes)
    with pytest.raises(NodeError, match="should not contain missing values"):
        run_node("mlp_predictor", {}, model, holes)
    spec = TableSpec.of([("a", ColumnType.DOUBLE), ("s", ColumnType.STRING), ("t", ColumnType.DOUBLE)])
    with pytest.raises(ConfigureError, match="Only double columns"):
        configure_node("rprop_mlp_learner", {"classcol": "t"}, spec)


def test_knime_settings_import(tmp_path: Path) -> None:
    model = {
        "maxiter": 250,
        "hiddenlayer": 2,
        "nrhiddenneurons": 8,
        "classcol": "class",
        "ignoremv": True,
        "useRandomSeed": True,
        "randomSeed": -123456,
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.neural.rprop.RPropNodeFactory2", model
    )
    assert node.type == "rprop_mlp_learner" and findings(report) == [] and node.settings == model
    pred = {
        "prediction column name": "Prediction ()",
        "change prediction": False,
        "append probabilities": False,
        "class probability suffix": "",
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.neural.mlp2.MLPPredictorNodeFactory", pred
    )
    assert node.type == "mlp_predictor" and findings(report) == []
    assert node.settings["append_probabilities"] is False
