"""Logistic regression's model and solver, shared by KNIME's Logistic Regression Learner and
Predictor: a multinomial model (one logit per non-reference class, the reference class's logit
fixed at 0), fitted to KNIME's objective (negative log-likelihood plus the prior's negative
log-density, intercept unpenalised) by a deterministic solver run to convergence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.api import (
    ColumnType,
    PortType,
    TableSpec,
)
from nodes._mining import cell_text

LOGREG_MODEL = PortType.register(
    PortType("model.logistic_regression", "Logistic regression model", "#1d4e89", "square")
)

COEFF_COLUMNS = ("Logit", "Variable", "Coeff.", "Std. Err.", "z-score", "P>|z|")
STATS_SPEC = TableSpec.of([("Iterations", ColumnType.INTEGER), ("LogLikelihood", ColumnType.DOUBLE)])
FEATURE_TYPES = ColumnType.NUMERIC | {ColumnType.BOOLEAN, ColumnType.STRING}


def coefficient_spec(with_statistics: bool) -> TableSpec:
    names = COEFF_COLUMNS if with_statistics else COEFF_COLUMNS[:3]
    return TableSpec.of(
        [(n, ColumnType.STRING if n in ("Logit", "Variable") else ColumnType.DOUBLE) for n in names]
    )


# -------------------------------------------------------------------------------------- model


@dataclass
class Feature:
    """One learning column: a numeric covariate or a nominal factor dummy-coded against its first level."""

    column: str
    levels: list[Any] | None = None  # None for numeric columns

    def variables(self) -> list[str]:
        if self.levels is None:
            return [self.column]
        return [f"{self.column}={cell_text(v)}" for v in self.levels[1:]]


@dataclass
class LogisticModel:
    """What the predictor needs: the design (features), the class order and the coefficients.
    `beta[k]` holds the intercept then one coefficient per variable for class `logits[k]`."""

    target: str
    target_type: str
    classes: list[Any]  # the target's values in domain (first appearance) order
    logits: list[Any]  # non-reference classes, in coefficient order
    reference: Any
    features: list[Feature]
    feature_types: dict[str, str]
    beta: np.ndarray = field(repr=False)

    def design(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Design matrix (intercept first) and a mask of the rows that can be predicted."""
        return _design(df, self.features)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities in `logits + [reference]` order (reference logit fixed at 0)."""
        eta = np.column_stack([x @ self.beta.T, np.zeros(len(x))])
        eta -= eta.max(axis=1, keepdims=True)
        p = np.exp(eta)
        return p / p.sum(axis=1, keepdims=True)


def _design(df: pd.DataFrame, features: list[Feature]) -> tuple[np.ndarray, np.ndarray]:
    n = len(df)
    cols = [np.ones(n)]
    ok = np.ones(n, dtype=bool)
    for f in features:
        s = df[f.column]
        missing = s.isna().to_numpy()
        ok &= ~missing
        if f.levels is None:
            cols.append(pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
        else:
            values = [cell_text(v) if not m else None for v, m in zip(s.tolist(), missing, strict=True)]
            known = {cell_text(v) for v in f.levels}
            ok &= np.array([v is None or v in known for v in values], dtype=bool)
            for level in f.levels[1:]:
                text = cell_text(level)
                cols.append(np.array([1.0 if v == text else 0.0 for v in values]))
    x = np.column_stack(cols) if n else np.zeros((0, len(cols)))
    x[~ok] = 0.0
    return x, ok


# ------------------------------------------------------------------------------------- solver


@dataclass
class Fit:
    beta: np.ndarray
    iterations: int
    loglike: float
    covariance: np.ndarray | None
    converged: bool
    warnings: list[str]


def _probs(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    eta = np.column_stack([x @ beta.T, np.zeros(len(x))])
    eta -= eta.max(axis=1, keepdims=True)
    p = np.exp(eta)
    return p / p.sum(axis=1, keepdims=True)


def _nll(x: np.ndarray, y: np.ndarray, beta: np.ndarray) -> float:
    """Multinomial cross entropy; y holds class indices, the reference last (index K-1)."""
    eta = np.column_stack([x @ beta.T, np.zeros(len(x))])
    m = eta.max(axis=1)
    lse = m + np.log(np.exp(eta - m[:, None]).sum(axis=1))
    return float((lse - eta[np.arange(len(y)), y]).sum())


def _loglike_hessian(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """MultinomialLoss.hessian: blocks sum_i x_i x_i^T p_ik (delta_kl - p_il) over the K-1 logits."""
    k1 = p.shape[1] - 1
    d = x.shape[1]
    h = np.zeros((k1 * d, k1 * d))
    for a in range(k1):
        for b in range(a, k1):
            w = p[:, a] * ((1.0 if a == b else 0.0) - p[:, b])
            block = (x * w[:, None]).T @ x
            h[a * d : (a + 1) * d, b * d : (b + 1) * d] = block
            if a != b:
                h[b * d : (b + 1) * d, a * d : (a + 1) * d] = block.T
    return h


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    *,
    penalty: str,
    variance: float,
    max_iter: int,
    epsilon: float,
    with_covariance: bool,
) -> Fit:
    """Minimise NLL + prior (intercept column 0 unpenalised). penalty: none | l2 | l1."""
    k1, d = n_classes - 1, x.shape[1]
    onehot = np.zeros((len(y), n_classes))
    onehot[np.arange(len(y)), y] = 1.0
    mask = np.ones((k1, d))
    mask[:, 0] = 0.0  # KNIME never regularises the intercept
    lam = 1.0 / variance
    warns: list[str] = []

    def objective(beta: np.ndarray) -> float:
        value = _nll(x, y, beta)
        if penalty == "l2":
            value += 0.5 * lam * float(((beta * mask) ** 2).sum())
        elif penalty == "l1":
            value += math.sqrt(2.0 * lam) * float(np.abs(beta * mask).sum())
        return value

    beta = np.zeros((k1, d))
    converged = False
    iterations = 0
    if penalty == "l1":
        beta, iterations, converged = _fit_l1(x, onehot, mask, math.sqrt(2.0 * lam), max_iter, epsilon)
    else:
        current = objective(beta)
        for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
            p = _probs(x, beta)
            grad = (p[:, :k1] - onehot[:, :k1]).T @ x
            hess = _loglike_hessian(x, p)
            if penalty == "l2":
                grad = grad + lam * beta * mask
                hess = hess + np.diag(lam * mask.ravel())
            g = grad.ravel()
            try:
                step = np.linalg.solve(hess, g)
                if not np.all(np.isfinite(step)):
                    raise np.linalg.LinAlgError
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(hess, g, rcond=None)[0]
            step = step.reshape(k1, d)
            t = 1.0
            while True:  # backtracking keeps every Newton step a descent step
                candidate = beta - t * step
                value = objective(candidate)
                if value <= current + 1e-12 * abs(current) or t < 1e-10:
                    break
                t *= 0.5
            change = float(np.abs(candidate - beta).max())
            scale = max(1.0, float(np.abs(candidate).max()))
            beta, previous, current = candidate, current, value
            if change <= epsilon * scale or abs(previous - current) <= 1e-15 * max(1.0, abs(current)):
                converged = True
                break
    if not converged:
        warns.append(
            "The algorithm did not reach convergence after the specified number of epochs. Setting the epoch limit "
            "higher might result in a better model."
            + (
                ""
                if penalty == "l2"
                else " (without a Gauss prior the maximum-likelihood estimate may "
                "not exist, e.g. for separable classes)"
            )
        )
    if penalty != "l2" and len(y) and _probs(x, beta)[np.arange(len(y)), y].min() > 1 - 1e-8:
        warns.append(
            "The classes are perfectly separated by the learning columns: the maximum-likelihood estimate "
            "does not exist and the coefficients are arbitrarily large; consider a Gauss prior."
        )
    covariance = None
    if with_covariance:
        p = _probs(x, beta)
        info = _loglike_hessian(x, p)
        if penalty == "l2":
            info = info + np.diag(lam * mask.ravel())
        try:
            covariance = np.linalg.inv(info)
            if not np.all(np.isfinite(covariance)):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            covariance = None
            warns.append(
                "The covariance matrix could not be calculated because the observed fisher information "
                "matrix was singular."
            )
    return Fit(beta, iterations, -_nll(x, y, beta), covariance, converged, warns)


def _fit_l1(
    x: np.ndarray, onehot: np.ndarray, mask: np.ndarray, weight: float, max_iter: int, epsilon: float
) -> tuple[np.ndarray, int, bool]:
    """Laplace prior: L-BFGS-B on beta = b+ - b- (b+, b- >= 0 for the penalised entries)."""
    from scipy.optimize import minimize

    k1, d = mask.shape
    y = onehot.argmax(axis=1)
    pen = mask.ravel() > 0
    n = k1 * d

    def unpack(z: np.ndarray) -> np.ndarray:
        return (z[:n] - z[n:]).reshape(k1, d)

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        beta = unpack(z)
        p = _probs(x, beta)
        g = ((p[:, :k1] - onehot[:, :k1]).T @ x).ravel()
        value = _nll(x, y, beta) + weight * float(z[np.concatenate([pen, pen])].sum())
        gp = g + weight * pen
        gm = -g + weight * pen
        return value, np.concatenate([gp, gm])

    bounds = [(0.0, None) if pe else (None, None) for pe in pen] + [
        (0.0, None) if pe else (0.0, 0.0) for pe in pen
    ]
    res = minimize(
        fun,
        np.zeros(2 * n),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": max_iter, "ftol": 1e-15, "gtol": max(epsilon * 1e-3, 1e-12)},
    )
    return unpack(res.x), int(res.nit), bool(res.success)
