"""The scikit-learn Labs nodes (PLS, Gaussian process regression/classification, Classification
Predictor) against scikit-learn called the way KNIME's extension calls it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cross_decomposition import PLSRegression
from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF
from test_knime_import import config, findings, import_fragment

from engine.api import ColumnType, ConfigureError, ModelSpec, TableSpec
from engine.core.testing import configure_node, run_node

PYTHON_FACTORY = "org.knime.python3.nodes.extension.ExtensionNodeSetFactory$DynamicExtensionNodeFactory"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd"))
    df["s"] = rng.choice(["x", "y"], 60)
    df["t1"] = df.a * 2 + df.b + rng.normal(scale=0.1, size=60)
    df["t2"] = df.c - df.d
    df["cls"] = np.where(df.a + df.b > 0, "pos", "neg")
    return df


def design(df: pd.DataFrame, numeric: list[str], nominal: str | None = None) -> np.ndarray:
    parts = [df[numeric].to_numpy()]
    if nominal:
        parts += [(df[nominal] == v).to_numpy(dtype=float)[:, None] for v in sorted(df[nominal].unique())]
    return np.column_stack(parts)


def test_pls_defaults_two_targets_and_predictions(data: pd.DataFrame) -> None:
    table = data.drop(columns="cls")
    learned = run_node("pls_regression_learner", {}, table)
    spec = learned.specs[0]
    assert isinstance(spec, ModelSpec) and spec.details["targets"] == ["t1", "t2"]
    assert spec.learning_columns.names == ["a", "b", "c", "d", "s"]
    out = run_node("regression_predictor", {}, learned[1], table)
    assert out[1].columns[-2:] == ["t1_pred", "t2_pred"]
    x = design(table, list("abcd"), "s")
    expected = PLSRegression(n_components=2).fit(x, table[["t1", "t2"]]).predict(x)
    assert np.abs(out.df(1)[["t1_pred", "t2_pred"]].to_numpy() - expected).max() < 1e-10
    one = run_node("pls_regression_learner", {"target_columns": ["t1"], "feature_columns": ["a", "b"]}, table)
    assert (
        run_node("regression_predictor", {"prediction_column": "fit"}, one[1], table)[1].columns[-1] == "fit"
    )
    with pytest.raises(ConfigureError, match="cannot be larger than the number of features"):
        configure_node(
            "pls_regression_learner",
            {"target_columns": ["t1"], "feature_columns": ["a"], "n_components": 2},
            TableSpec.of([("a", ColumnType.DOUBLE), ("t1", ColumnType.DOUBLE)]),
        )
    with pytest.raises(ConfigureError, match="custom prediction column name"):
        run_node("regression_predictor", {"prediction_column": "fit"}, learned[1], table)


def test_gaussian_process_regression_and_the_kernel_lookup(data: pd.DataFrame) -> None:
    x = data[["a", "b"]].to_numpy()
    for kernel, expected_kernel in (("RBF", RBF()), ("ConstantKernel", None), ("Default", None)):
        model = run_node(
            "gaussian_process_regression_learner",
            {"target_column": "t1", "feature_columns": ["a", "b"], "kernel": kernel, "alpha": 1e-2},
            data,
        )[1]
        ours = run_node("regression_predictor", {}, model, data).df(1)["t1_pred"].to_numpy()
        reference = (
            GaussianProcessRegressor(kernel=expected_kernel, alpha=1e-2).fit(x, data[["t1"]]).predict(x)
        )
        assert np.allclose(ours, np.ravel(reference))
    # "ConstantKernel" is missed by the extension's kernel table: the default kernel, fixed hyperparameters
    assert (
        "fixed" in repr(model.payload.estimator.kernel_.get_params())
        or model.payload.estimator.kernel is None
    )


def test_gaussian_process_classification_and_predictor(data: pd.DataFrame) -> None:
    model = run_node(
        "gaussian_process_classification_learner",
        {"feature_columns": ["a", "b", "s"], "target_column": "cls"},
        data,
    )[1]
    out = run_node("classification_predictor", {"prob_columns_suffix": "_p"}, model, data)
    assert out[1].columns[-3:] == ["cls_pred", "P (cls_pred=neg)_p", "P (cls_pred=pos)_p"]
    assert out.specs[0] == out[1].spec
    x = design(data, ["a", "b"], "s")
    y = (data["cls"] == "pos").to_numpy(dtype=int)  # LabelEncoder: neg=0, pos=1
    ref = GaussianProcessClassifier().fit(x, y)
    assert np.allclose(
        out.df(1)[["P (cls_pred=neg)_p", "P (cls_pred=pos)_p"]].to_numpy(), ref.predict_proba(x)
    )
    assert (out.df(1)["cls_pred"].to_numpy() == np.array(["neg", "pos"])[ref.predict(x)]).all()
    named = run_node(
        "classification_predictor", {"prediction_column": "guess", "predict_probs": False}, model, data
    )
    assert named[1].columns[-1] == "guess" and named[1].types["guess"] == ColumnType.STRING
    with pytest.raises(ConfigureError, match="does not contain all selected feature columns"):
        configure_node("classification_predictor", {}, model.spec, TableSpec.of([("a", ColumnType.DOUBLE)]))


def test_missing_values_skip_or_fail(data: pd.DataFrame) -> None:
    holes = data.copy()
    holes.loc[holes.index[:4], "a"] = np.nan
    model = run_node(
        "gaussian_process_classification_learner",
        {"feature_columns": ["a", "b"], "target_column": "cls"},
        holes,
    )[1]
    assert len(run_node("classification_predictor", {}, model, holes).df(1)) == len(holes) - 4
    with pytest.raises(Exception, match="missing values"):
        run_node(
            "gaussian_process_classification_learner",
            {"feature_columns": ["a", "b"], "target_column": "cls", "missing_value_handling": "Fail"},
            holes,
        )


@pytest.mark.parametrize(
    ("node_id", "model", "type_name"),
    [
        (
            "PartialLeastSquaresRegressionLearner",
            {
                "general_settings": {
                    "feature_columns": ["a", "b"],
                    "target_columns": ["t1"],
                    "missing_value_handling": "SkipRow",
                },
                "algorithm_settings": {"n_components": 1},
            },
            "pls_regression_learner",
        ),
        (
            "GaussianProcessRegressionLearner",
            {
                "general_settings": {
                    "feature_columns": ["a"],
                    "target_column": "t1",
                    "missing_value_handling": "Fail",
                },
                "algo_settings": {"alpha": 0.5, "kernel": "DotProduct", "normalize_y": True},
            },
            "gaussian_process_regression_learner",
        ),
        (
            "GaussianProcessClassificationLearner",
            {
                "general_settings": {
                    "feature_columns": ["a"],
                    "target_column": "cls",
                    "missing_value_handling": "SkipRow",
                },
                "algorithm_settings": {"kernel": "RationalQuadratic", "multi_class_method": "OVO"},
            },
            "gaussian_process_classification_learner",
        ),
        (
            "ClassificationPredictor",
            {
                "predictor_settings": {
                    "prediction_column": "",
                    "predict_probs": True,
                    "prob_columns_suffix": "_x",
                }
            },
            "classification_predictor",
        ),
    ],
)
def test_knime_settings_import(tmp_path: Path, node_id: str, model: dict, type_name: str) -> None:
    extra = config("factory_settings", extension_id="org.knime.python.sklearn", node_id=node_id)
    node, report, _ = import_fragment(tmp_path, PYTHON_FACTORY, model, extra=extra)
    assert node.type == type_name and findings(report) == []
    flat = {k: v for group in model.values() for k, v in group.items()}
    assert node.settings == flat
