"""Polynomial Regression Learner / predictor against numpy least squares, and Fuzzy c-Means against
a direct implementation of KNIME's update equations (with java.util.Random's draws written out
here), plus both KNIME mappings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, NodeError
from engine.core.testing import run_node

POLY_FACTORY = "org.knime.base.node.mine.regression.polynomial.learner2.PolyRegLearnerNodeFactory2"
FUZZY_FACTORY = "org.knime.base.node.mine.cluster.fuzzycmeans.FuzzyClusterNodeFactory2"
FUZZY_FACTORY_V1 = "org.knime.base.node.mine.cluster.fuzzycmeans.FuzzyClusterNodeFactory"

X = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.5])
NOISE = np.array([0.1, -0.2, 0.05, 0.0, 0.15, -0.1, 0.2, -0.05])


def one_column() -> pd.DataFrame:
    return pd.DataFrame({"x": X, "y": 1.0 + 2.0 * X - 0.5 * X**2 + NOISE})


def two_columns() -> pd.DataFrame:
    x2 = np.array([3.0, 1.0, -1.0, 2.0, 0.0, 4.0, -2.0, 1.5])
    label = ["a", "b", "c", "d", "e", "f", "g", "h"]
    return pd.DataFrame({"x1": X, "label": label, "x2": x2, "y": 0.5 + X - x2 + 0.3 * x2**2 + NOISE})


def reference(design: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Textbook OLS: lstsq coefficients, sigma^2 (X'X)^-1 standard errors, two-sided t p-values."""
    n, p = design.shape
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ beta
    se = np.sqrt(np.diag(resid @ resid / (n - p) * np.linalg.inv(design.T @ design)))
    t = beta / se
    return {"beta": beta, "se": se, "t": t, "p": 2 * scipy.stats.t.sf(np.abs(t), n - p)}


# ===================================================================================== polynomial


def test_polynomial_one_column_matches_polyfit_and_textbook_statistics() -> None:
    frame = one_column()
    result = run_node("polynomial_regression_learner", {"targetColumn": "y", "degree": 2}, frame)
    stats = result.df(3)
    assert list(stats.columns) == ["Variable", "Exponent", "Coeff.", "Std. Err.", "t-value", "P>|t|"]
    assert stats["Variable"].tolist() == ["x", "x", "Intercept"] and stats["Exponent"].tolist() == [1, 2, 0]
    assert stats.index.tolist() == ["Row1", "Row2", "Row3"]
    a2, a1, a0 = np.polyfit(X, frame["y"], 2)
    assert np.allclose(stats["Coeff."], [a1, a2, a0], rtol=1e-10)
    ref = reference(np.column_stack([np.ones(len(X)), X, X**2]), frame["y"].to_numpy())
    order = [1, 2, 0]
    for column, key in (("Std. Err.", "se"), ("t-value", "t"), ("P>|t|", "p")):
        assert np.allclose(stats[column], ref[key][order], rtol=1e-8), column
    data = result.df(2)
    assert list(data.columns) == ["x", "y", "PolyReg prediction", "Prediction Error"]
    fitted = a0 + a1 * X + a2 * X**2
    assert np.allclose(data["PolyReg prediction"], fitted, rtol=1e-10)
    assert np.allclose(data["Prediction Error"], np.abs(fitted - frame["y"]), rtol=1e-8, atol=1e-12)


def test_polynomial_two_columns_orders_powers_outermost_and_skips_strings() -> None:
    frame = two_columns()
    result = run_node("polynomial_regression_learner", {"targetColumn": "y", "degree": 2}, frame)
    stats = result.df(3)
    assert stats["Variable"].tolist() == ["x1", "x2", "x1", "x2", "Intercept"]
    assert stats["Exponent"].tolist() == [1, 1, 2, 2, 0]
    x1, x2 = frame["x1"].to_numpy(), frame["x2"].to_numpy()
    design = np.column_stack([np.ones(len(frame)), x1, x2, x1**2, x2**2])
    ref = reference(design, frame["y"].to_numpy())
    assert np.allclose(stats["Coeff."], ref["beta"][[1, 2, 3, 4, 0]], rtol=1e-9)
    assert np.allclose(stats["Std. Err."], ref["se"][[1, 2, 3, 4, 0]], rtol=1e-8)
    assert result[1].spec.learning_columns.names == ["x1", "x2"]


def test_polynomial_missing_values_ignore_or_fail() -> None:
    frame = one_column()
    frame.loc[2, "x"] = np.nan
    frame.loc[5, "y"] = np.nan
    result = run_node(
        "polynomial_regression_learner",
        {"targetColumn": "y", "degree": 2, "missing_value_handling": "ignore"},
        frame,
    )
    keep = frame.dropna()
    a2, a1, a0 = np.polyfit(keep["x"], keep["y"], 2)
    assert np.allclose(result.df(3)["Coeff."], [a1, a2, a0], rtol=1e-10)
    predicted = result.df(2)["PolyReg prediction"]
    assert predicted.isna().tolist() == [False, False, True, False, False, True, False, False]
    with pytest.raises(NodeError, match="Missing value in row"):
        run_node(
            "polynomial_regression_learner", {"targetColumn": "y", "missing_value_handling": "fail"}, frame
        )


def test_polynomial_too_few_rows_reports_zero_coefficients_like_knime() -> None:
    frame = one_column().head(3)
    result = run_node("polynomial_regression_learner", {"targetColumn": "y", "degree": 2}, frame)
    assert result.warnings == ["not enough data (3 rows) for this many predictors (3 predictors)"]
    stats = result.df(3)
    assert stats["Coeff."].tolist() == [0.0, 0.0, 0.0] and stats["Std. Err."].isna().all()
    assert result.df(2)["PolyReg prediction"].tolist() == [0.0, 0.0, 0.0]


def test_polynomial_predictor_applies_the_model() -> None:
    learned = run_node("polynomial_regression_learner", {"targetColumn": "y", "degree": 3}, one_column())
    new = pd.DataFrame({"x": [0.25, 7.0, None]})
    out = run_node("linear_regression_predictor", {}, learned[1], new).df()
    a3, a2, a1, a0 = np.polyfit(X, one_column()["y"], 3)
    expected = a0 + a1 * 0.25 + a2 * 0.25**2 + a3 * 0.25**3
    assert out.columns.tolist() == ["x", "Prediction (y)"]
    predicted = out["Prediction (y)"].tolist()
    assert predicted[0] == pytest.approx(expected, rel=1e-9) and pd.isna(predicted[2])
    named = run_node(
        "linear_regression_predictor",
        {"has_custom_predicition_name": True, "custom_prediction_name": "x"},
        learned[1],
        new,
    ).df()
    assert named.columns.tolist() == ["x", "x (#1)"]
    with pytest.raises(ConfigureError, match='does not contain the column "x"'):
        run_node("linear_regression_predictor", {}, learned[1], pd.DataFrame({"z": [1.0]}))


def test_polynomial_configure_errors() -> None:
    with pytest.raises(ConfigureError, match="does not exist"):
        run_node("polynomial_regression_learner", {"targetColumn": "nope"}, one_column())
    only_target = pd.DataFrame({"y": [1.0, 2.0]})
    with pytest.raises(ConfigureError, match="No double-compatible variables"):
        run_node("polynomial_regression_learner", {"targetColumn": "y"}, only_target)


def test_polynomial_imports_both_layouts(tmp_path: Path) -> None:
    model = {
        "degree": 3,
        "targetColumn": "y",
        "maxViewRows": 10000,
        "missing_value_handling": "ignore",
        "column filter": {
            "filter-type": "STANDARD",
            "included_names": ["x1"],
            "excluded_names": ["x2", "y"],
            "enforce_option": "EnforceExclusion",
            "name_pattern": {
                "pattern": "",
                "type": "Wildcard",
                "caseSensitive": True,
                "excludeMatching": False,
            },
            "datatype": {"typelist": {"org.knime.core.data.DoubleValue": True}},
        },
    }
    node, report, _ = import_fragment(tmp_path, POLY_FACTORY, model)
    assert node.type == "polynomial_regression_learner" and findings(report) == []
    assert node.settings["degree"] == 3 and node.settings["missing_value_handling"] == "ignore"
    out = run_node("polynomial_regression_learner", node.settings, two_columns())
    assert out.df(3)["Variable"].tolist() == ["x1", "x1", "x1", "Intercept"]
    legacy = {
        "degree": 2,
        "targetColumn": "y",
        "maxViewRows": 500,
        "selectedColumns": ["x2"],
        "includeAll": False,
    }
    node, report, _ = import_fragment(tmp_path, POLY_FACTORY, legacy)
    assert findings(report) == []
    assert node.settings["missing_value_handling"] == "ignore"  # absent before 2.10
    out = run_node("polynomial_regression_learner", node.settings, two_columns())
    assert out.df(3)["Variable"].tolist() == ["x2", "x2", "Intercept"]
    _, report, _ = import_fragment(tmp_path, POLY_FACTORY, {**model, "offset": 1.0})
    assert any("offset" in f for f in findings(report))


# =================================================================================== fuzzy c-means


class JavaLcg:
    """java.util.Random's nextDouble, written out from its documented algorithm."""

    def __init__(self, seed: int) -> None:
        self.state = (seed ^ 0x5DEECE66D) & ((1 << 48) - 1)

    def bits(self, n: int) -> int:
        self.state = (self.state * 0x5DEECE66D + 0xB) & ((1 << 48) - 1)
        return self.state >> (48 - n)

    def next_double(self) -> float:
        return ((self.bits(26) << 27) + self.bits(27)) / float(1 << 53)


def reference_fcm(
    data: np.ndarray,
    k: int,
    m: float,
    seed: int,
    iterations: int,
    delta: float | None = None,
    lam: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Memberships and prototypes by the textbook FCM updates, element by element, from KNIME's
    initial prototypes; `delta`: a noise cluster at that distance, recomputed after each iteration
    as sqrt(lam * mean squared distance to the prototypes) when `lam` is given."""
    rnd = JavaLcg(seed)
    rows, dims = data.shape
    protos = [[rnd.next_double() for _ in range(dims)] for _ in range(k + (delta is not None))][:k]
    u = np.zeros((rows, k + (delta is not None)))
    change, done = np.inf, 0
    while change > 1e-7 and done < iterations:
        for i in range(rows):
            d = [sum((protos[c][j] - data[i][j]) ** 2 for j in range(dims)) for c in range(k)]
            if delta is not None:
                d.append(delta**2)
            for c in range(len(d)):
                u[i][c] = 1 / sum((d[c] / d[o]) ** (1 / (m - 1)) for o in range(len(d)))
        change = 0.0
        spread = sum(
            sum((protos[c][j] - data[i][j]) ** 2 for j in range(dims)) for c in range(k) for i in range(rows)
        )
        for c in range(k):
            w = [u[i][c] ** m for i in range(rows)]
            new = [sum(w[i] * data[i][j] for i in range(rows)) / sum(w) for j in range(dims)]
            change += sum(abs(a - b) for a, b in zip(protos[c], new, strict=True))
            protos[c] = new
        if lam is not None:
            delta = (lam * spread / (rows * k)) ** 0.5
        done += 1
    return u, np.array(protos)


BLOBS = pd.DataFrame(
    {
        "a": [0.10, 0.15, 0.05, 0.90, 0.85, 0.95, 0.50, 0.12],
        "b": [0.20, 0.10, 0.15, 0.80, 0.90, 0.85, 0.50, 0.18],
        "name": list("pqrstuvw"),
    }
)


def test_fuzzy_memberships_match_the_update_equations() -> None:
    settings = {"nrclusters": 2, "useRandomSeed": True, "randomSeed": 42, "exclude": ["a", "b"]}
    result = run_node("fuzzy_c_means", settings, BLOBS)
    out = result.df()
    assert out.columns.tolist() == ["a", "b", "name", "cluster_0", "cluster_1", "Winner Cluster"]
    u, protos = reference_fcm(BLOBS[["a", "b"]].to_numpy(), 2, 2.0, 42, 99)
    assert np.allclose(out[["cluster_0", "cluster_1"]], u, rtol=1e-9, atol=1e-12)
    assert np.allclose(out[["cluster_0", "cluster_1"]].sum(axis=1), 1.0)
    winners = [f"cluster_{i}" for i in u.argmax(axis=1)]
    assert out["Winner Cluster"].tolist() == winners
    assert len(set(winners[:3])) == 1 and winners[0] != winners[3]  # the two blobs
    model = result[2]
    assert np.allclose(model.payload.centers, protos, rtol=1e-9)
    assert model.spec.details["columns"] == ("a", "b")


def test_fuzzy_noise_cluster_and_fuzzifier() -> None:
    settings: dict[str, object] = {"nrclusters": 2, "useRandomSeed": True, "randomSeed": 3, "noise": True}
    settings |= {"delta": 0.3, "fuzzifier": 1.5, "exclude": ["a", "b"]}
    out = run_node("fuzzy_c_means", settings, BLOBS).df()
    assert out.columns.tolist()[3:] == ["cluster_0", "cluster_1", "NoiseCluster", "Winner Cluster"]
    u, _ = reference_fcm(BLOBS[["a", "b"]].to_numpy(), 2, 1.5, 3, 99, delta=0.3)
    assert np.allclose(out[["cluster_0", "cluster_1", "NoiseCluster"]], u, rtol=1e-9, atol=1e-12)
    names = np.array(["cluster_0", "cluster_1", "NoiseCluster"])
    assert out["Winner Cluster"].tolist() == names[u.argmax(axis=1)].tolist()


def test_fuzzy_automatic_delta_and_missing_values_as_zero() -> None:
    frame = BLOBS.copy()
    frame.loc[6, "a"] = np.nan
    settings: dict[str, object] = {"nrclusters": 2, "useRandomSeed": True, "randomSeed": 11, "noise": True}
    settings |= {"delta": -1.0, "lambda": 0.4, "exclude": ["a", "b"]}
    out = run_node("fuzzy_c_means", settings, frame).df()
    data = frame[["a", "b"]].fillna(0.0).to_numpy()
    u, _ = reference_fcm(data, 2, 2.0, 11, 99, delta=0.5, lam=0.4)
    assert np.allclose(out[["cluster_0", "cluster_1", "NoiseCluster"]], u, rtol=1e-9, atol=1e-12)


def test_fuzzy_row_on_a_prototype_belongs_to_it_alone() -> None:
    rnd = JavaLcg(5)
    first = [rnd.next_double(), rnd.next_double()]
    frame = pd.DataFrame({"a": [first[0], 0.3, 0.7], "b": [first[1], 0.9, 0.1]})
    out = run_node(
        "fuzzy_c_means", {"nrclusters": 2, "useRandomSeed": True, "randomSeed": 5, "maxiterations": 1}, frame
    )
    assert out.df().loc["Row0", ["cluster_0", "cluster_1"]].tolist() == [1.0, 0.0]
    assert "List of columns to use has been set automatically" in out.warnings[0]


def test_fuzzy_checks_columns() -> None:
    with pytest.raises(ConfigureError, match=r"unable to find column\(s\): \[zz\]"):
        run_node("fuzzy_c_means", {"exclude": ["a", "zz"]}, BLOBS)
    with pytest.raises(ConfigureError, match="not numeric"):
        run_node("fuzzy_c_means", {"exclude": ["name"]}, BLOBS)


def test_fuzzy_imports_knime_keys(tmp_path: Path) -> None:
    model = {
        "keep_all_columns": False,
        "nrclusters": 2,
        "maxiterations": 99,
        "fuzzifier": 2.0,
        "exclude": ["a", "b"],
        "noise": False,
        "delta": 0.2,
        "lambda": -1.0,
        "memory": True,
        "measures": True,
        "useRandomSeed": True,
        "randomSeed": 42,
    }
    node, report, _ = import_fragment(tmp_path, FUZZY_FACTORY, model)
    assert node.type == "fuzzy_c_means" and findings(report) == []
    imported = run_node("fuzzy_c_means", node.settings, BLOBS).df()
    u, _ = reference_fcm(BLOBS[["a", "b"]].to_numpy(), 2, 2.0, 42, 99)
    assert np.allclose(imported[["cluster_0", "cluster_1"]], u, rtol=1e-9, atol=1e-12)
    automatic = {**model, "noise": True, "delta": -1.0, "lambda": 0.5, "memory": False}
    node, report, _ = import_fragment(tmp_path, FUZZY_FACTORY_V1, automatic)
    assert node.settings["lambda"] == 0.5
    assert any("automatic delta" in f for f in findings(report))
