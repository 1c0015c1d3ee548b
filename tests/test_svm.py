"""SVM Learner / Predictor: one-vs-rest decision values against an independent libsvm fit on a
kernel matrix computed here by KNIME's formulas, KNIME's probabilities and column names, missing
values, configure errors, and the mapping of both factories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.svm import SVC
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError
from engine.core.testing import run_node

LEARNER = "org.knime.base.node.mine.svm.learner.SVMLearnerNodeFactory2"
PREDICTOR = "org.knime.base.node.mine.svm.predictor2.SVMPredictorNodeFactory"

_RNG = np.random.default_rng(7)
_CENTRES = {"red": (0.0, 0.0), "green": (3.0, 0.5), "blue": (0.5, 3.0)}
_POINTS = [(c, _RNG.normal(scale=0.4, size=2) + np.array(xy)) for c, xy in _CENTRES.items() for _ in range(8)]
TRAIN = pd.DataFrame(
    {
        "x": [p[1][0] for p in _POINTS],
        "y": [p[1][1] for p in _POINTS],
        "label": [p[0] for p in _POINTS],
    }
).sample(frac=1.0, random_state=3)
TEST = pd.DataFrame({"x": [0.1, 2.9, 0.4, 1.0], "y": [-0.2, 0.6, 3.1, 1.0]})
ORDER = list(dict.fromkeys(TRAIN["label"]))  # classes in order of first appearance


def knime_kernel(kind: str, a: np.ndarray, b: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """The three kernels exactly as KNIME's PolynomialKernel / HyperTangentKernel / RBFKernel."""
    if kind == "RBF":
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
        return np.exp(-d2 / 2.0 / p["kernel_param_sigma"] ** 2)
    if kind == "HyperTangent":
        return np.tanh(p["kernel_param_kappa"] * (a @ b.T) + p["kernel_param_delta"])
    return (p["kernel_param_Gamma"] * (a @ b.T) + p["kernel_param_Bias"]) ** p["kernel_param_Power"]


def reference_distances(kind: str, params: dict[str, float], c: float = 1.0) -> np.ndarray:
    """One binary libsvm per class (class vs rest) on a precomputed KNIME kernel matrix."""
    x = TRAIN[["x", "y"]].to_numpy()
    t = TEST[["x", "y"]].to_numpy()
    out = []
    for cls in ORDER:
        svc = SVC(C=c, kernel="precomputed", tol=1e-3).fit(
            knime_kernel(kind, x, x, params), TRAIN["label"] == cls
        )
        out.append(svc.decision_function(knime_kernel(kind, t, x, params)))
    return np.column_stack(out)


KERNELS = [
    ("Polynomial", {"kernel_param_Gamma": 1.0, "kernel_param_Bias": 1.0, "kernel_param_Power": 1.0}),
    ("Polynomial", {"kernel_param_Gamma": 0.5, "kernel_param_Bias": 2.0, "kernel_param_Power": 2.0}),
    ("Polynomial", {"kernel_param_Gamma": 0.2, "kernel_param_Bias": 3.0, "kernel_param_Power": 1.5}),
    ("RBF", {"kernel_param_sigma": 1.0}),
    ("HyperTangent", {"kernel_param_kappa": 0.1, "kernel_param_delta": 0.5}),
]


@pytest.mark.parametrize(("kind", "params"), KERNELS)
def test_svm_one_vs_rest_matches_independent_libsvm(kind: str, params: dict[str, float]) -> None:
    settings = {"classcol": "label", "kernel_type": kind, "c_parameter": 10.0, **params}
    model = run_node("svm_learner", settings, TRAIN)[1]
    out = run_node("svm_predictor", {"add_probabilities": True}, model, TEST)[1].df
    expected = reference_distances(kind, params, c=10.0)
    got = model.payload.distances(TEST[["x", "y"]].to_numpy(), ORDER)
    np.testing.assert_allclose(got, expected, atol=2e-3)
    p = 1.0 / (1.0 + np.exp(-expected))
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out[[f"P (label={c})" for c in ORDER]].to_numpy(), p, atol=1e-3)
    assert list(out.columns) == ["x", "y", *[f"P (label={c})" for c in ORDER], "Prediction (label)"]
    if kind != "HyperTangent":  # the clusters are separable; tanh with these parameters is too weak a kernel
        assert out["Prediction (label)"].tolist() == [
            "red",
            "green",
            "blue",
            np.array(ORDER)[expected[3].argmax()],
        ]


def test_svm_predicts_training_clusters_and_missing_values() -> None:
    train = pd.concat([TRAIN, pd.DataFrame({"x": [np.nan], "y": [9.0], "label": ["purple"]})])
    model = run_node("svm_learner", {"classcol": "label"}, train)[1]
    assert [s.positive for s in model.payload.svms] == ORDER  # the incomplete row trains nothing
    test = pd.DataFrame({"x": [0.0, np.nan], "y": [0.0, 1.0]})
    run = run_node("svm_predictor", {"change_prediction": True, "prediction_column_name": "cls"}, model, test)
    assert run[1].df["cls"].tolist() == ["red", None]
    assert list(run[1].df.columns) == ["x", "y", "cls"]
    fitted = run_node("svm_predictor", {}, model, TRAIN)[1].df
    assert fitted["Prediction (label)"].tolist() == TRAIN["label"].tolist()


def test_svm_single_class_predicts_it() -> None:
    one = TRAIN.assign(label="only")
    model = run_node("svm_learner", {"classcol": "label", "kernel_type": "RBF"}, one)[1]
    out = run_node("svm_predictor", {"add_probabilities": True}, model, TEST)[1].df
    assert out["Prediction (label)"].tolist() == ["only"] * 4 and out["P (label=only)"].tolist() == [1.0] * 4


@pytest.mark.parametrize(
    ("settings", "frame", "setting", "message"),
    [
        ({}, TRAIN, "classcol", "Class column not set"),
        ({"classcol": "nope"}, TRAIN, "classcol", "not found"),
        ({"classcol": "x"}, TRAIN, "classcol", "must be nominal"),
        ({"classcol": "label"}, TRAIN[["label"]], "classcol", "one single valid column"),
        ({"classcol": "label", "c_parameter": 0.0}, TRAIN, "c_parameter", "overlapping penalty"),
        (
            {"classcol": "label", "kernel_type": "RBF", "kernel_param_sigma": 0.0},
            TRAIN,
            "kernel_param_sigma",
            "sigma",
        ),
    ],
)
def test_svm_learner_configure_errors(
    settings: dict[str, Any], frame: pd.DataFrame, setting: str, message: str
) -> None:
    with pytest.raises(ConfigureError, match=message) as err:
        run_node("svm_learner", settings, frame)
    assert err.value.setting == setting


def test_svm_learner_warns_about_rejected_columns_and_predictor_checks_columns() -> None:
    run = run_node("svm_learner", {"classcol": "label"}, TRAIN.assign(note="n"))
    assert run.warnings == ["Rejecting 1 column(s) due to incompatible type: [note]"]
    with pytest.raises(ConfigureError, match='"y" not found'):
        run_node("svm_predictor", {}, run[1], TEST[["x"]])


def _internals(kind: str, enabled: bool = True) -> dict[str, Any]:
    return {"SettingsModelID": kind, "EnabledStatus": enabled}


LEARNER_MODEL: dict[str, Any] = {
    "kernel_type": "RBF",
    "kernel_param_Gamma_Internals": _internals("SMID_double"),
    "kernel_param_Gamma": 1.0,
    "kernel_param_kappa": 0.1,
    "kernel_param_Power_Internals": _internals("SMID_double"),
    "kernel_param_Power": 1.0,
    "kernel_param_kappa_Internals": _internals("SMID_double", False),
    "classcol": "label",
    "kernel_param_Bias_Internals": _internals("SMID_double"),
    "kernel_param_delta_Internals": _internals("SMID_double", False),
    "kernel_param_Bias": 1.0,
    "c_parameter_Internals": _internals("SMID_double"),
    "kernel_param_delta": 0.5,
    "kernel_param_sigma_Internals": _internals("SMID_double", False),
    "kernel_param_sigma": 0.7,
    "classcol_Internals": _internals("SMID_string"),
    "c_parameter": 2.0,
}
PREDICTOR_MODEL: dict[str, Any] = {
    "prediction column name": "Prediction ()",
    "add probabilities": True,
    "change prediction": False,
    "add probabilities_Internals": _internals("SMID_boolean"),
    "class probability suffix": "_svm",
    "class probability suffix_Internals": _internals("SMID_string"),
    "prediction column name_Internals": _internals("SMID_string"),
    "change prediction_Internals": _internals("SMID_boolean"),
}


def test_svm_imports_learner_and_predictor(tmp_path: Path) -> None:
    learner, report, _ = import_fragment(tmp_path, LEARNER, LEARNER_MODEL)
    assert learner.type == "svm_learner" and findings(report) == []
    assert learner.settings["kernel_param_sigma"] == 0.7 and learner.settings["c_parameter"] == 2.0
    predictor, report, _ = import_fragment(tmp_path, PREDICTOR, PREDICTOR_MODEL)
    assert predictor.type == "svm_predictor" and findings(report) == []
    model = run_node("svm_learner", learner.settings, TRAIN)[1]
    out = run_node("svm_predictor", predictor.settings, model, TEST)[1].df
    assert list(out.columns)[2:] == [f"P (label={c})_svm" for c in ORDER] + ["Prediction (label)"]
    params = {"kernel_param_sigma": 0.7}
    expected = reference_distances("RBF", params, c=2.0)
    np.testing.assert_allclose(
        model.payload.distances(TEST[["x", "y"]].to_numpy(), ORDER), expected, atol=2e-3
    )
    _, report, _ = import_fragment(tmp_path, LEARNER, {**LEARNER_MODEL, "shrinking": True})
    assert any("shrinking" in f for f in findings(report))
