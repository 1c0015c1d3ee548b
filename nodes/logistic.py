"""Logistic regression: KNIME's Logistic Regression Learner (learner4) and Predictor.

KNIME fits a multinomial model (one logit per non-reference class, the reference class's logit
fixed at 0) by stochastic average gradient (SAG) with an optional prior, or by IRLS. knitflow
minimises the same objective -- negative log-likelihood plus the prior's negative log-density,
intercept unpenalised -- with a deterministic solver run to convergence (Newton's method for the
Uniform/Gauss priors, L-BFGS-B for Laplace), i.e. the optimum that KNIME's randomised SAG approaches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    Table,
    TableSpec,
    row_ids,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import ColumnFilter
from nodes._mining import NOMINAL, cell_text, check_column, parse_seed

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


# ------------------------------------------------------------------------------------ learner


class LogRegLearnerSettings(NodeSettings):
    """KNIME's LogRegLearnerNodeFactory4 settings (keys of settings.xml)."""

    target: str | None = Field(None, description="The nominal (String or Boolean) target column.")
    targetReferenceCategory: str | None = Field(
        None,
        description="The reference class (its logit is fixed at 0; it gets no coefficient rows). Empty: the last "
        "class in the class order.",
    )
    column_filter: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="The learning columns (numeric columns are covariates, String/Boolean columns are dummy-coded "
        "factors); the target is never a learning column.",
    )
    useOrderFromTargetDomain: bool = Field(
        False, description="Order the classes by first appearance instead of sorting them."
    )
    useOrderFromFeatureDomain: bool = Field(
        False,
        description="Order factor levels by first appearance instead of sorting them (the first is the base).",
    )
    solver: Literal["SAG", "IRLS"] = Field(
        "SAG",
        description="SAG: the regularised objective (with `prior`); IRLS: plain maximum likelihood (no prior). knitflow "
        "solves both to convergence deterministically (Newton's method; L-BFGS-B for the Laplace prior).",
    )
    maxEpoch: int = Field(100, gt=0, description="Maximum number of solver iterations (KNIME: epochs).")
    performLazy: bool = Field(True, description="KNIME's lazy SAG updates; no effect on the optimum.")
    epsilon: float = Field(
        1e-5,
        ge=0,
        description="Convergence: stop when the largest coefficient change is below epsilon (relative).",
    )
    learningRateStrategy: Literal["Fixed", "LineSearch"] = Field(
        "Fixed", description="SAG's learning rate strategy; no effect on the optimum knitflow computes."
    )
    stepSize: float = Field(0.1, gt=0, description="SAG's fixed learning rate; no effect on the optimum.")
    prior: Literal["Uniform", "Gauss", "Laplace"] = Field(
        "Uniform",
        description="Coefficient prior (SAG only): Uniform = no regularisation; Gauss = L2 penalty "
        "||beta||^2 / (2 priorVariance); Laplace = L1 penalty sqrt(2 / priorVariance) ||beta||_1. The intercept is "
        "never penalised.",
    )
    priorVariance: float = Field(0.1, gt=0, description="Variance of the Gauss or Laplace prior.")
    inMemory: bool = Field(True, description="KNIME's in-memory training data flag; no effect.")
    seed: int | None = Field(
        None,
        description="KNIME's seed for SAG's row sampling. Unused: knitflow's solver is deterministic, so the result "
        "does not depend on it.",
    )
    chunkSize: int = Field(
        10000, gt=0, description="KNIME's chunk size for out-of-memory training; no effect."
    )
    calcCoefficientStatistics: bool = Field(
        True,
        description="Compute Std. Err., z-score and P>|z| from the inverse of the observed information (Hessian of the "
        "penalised negative log-likelihood).",
    )

    @field_validator("seed", mode="before")
    @classmethod
    def _seed(cls, value: Any) -> int | None:
        return parse_seed(value)

    @field_validator("targetReferenceCategory", mode="before")
    @classmethod
    def _reference(cls, value: Any) -> str | None:
        return None if value is None or value == "" else cell_text(value)


def _learning_columns(spec: TableSpec, settings: LogRegLearnerSettings) -> list[str]:
    cols = [c for c in settings.column_filter.apply(spec) if c != settings.target]
    for c in cols:
        if spec.type_of(c) not in FEATURE_TYPES:
            raise ConfigureError(
                f"Type of column {c!r} ({spec.type_of(c)}) is not one of the allowed types, which are numeric or nominal",
                setting="column_filter",
            )
    if not cols:
        raise ConfigureError("At least one column must be included.", setting="column_filter")
    return cols


def _model_spec(
    spec: TableSpec, target: str, columns: list[str], classes: list[Any] | None = None
) -> ModelSpec:
    """What the predictor checks before anything runs; the classes (for the probability
    columns) are known once the model is learned."""
    return ModelSpec(
        "logistic_regression",
        spec.select(columns),
        spec.get(target),
        {"classes": classes, "nominal": [c for c in columns if spec.type_of(c) in NOMINAL]},
    )


def _ordered_levels(values: list[Any], keep_order: bool) -> list[Any]:
    levels = list(dict.fromkeys(values))
    if keep_order:
        return levels
    try:
        return sorted(levels)
    except TypeError:
        return sorted(levels, key=cell_text)


def _logreg_learner_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    knime.take("target")
    ref = tree.get("targetReferenceCategory")
    if isinstance(ref, dict):
        cls = ref.get("datacell")
        cell = ref.get(cls) if cls else None
        ref = next(iter(cell.values())) if isinstance(cell, dict) and cell else None
    knime.put("targetReferenceCategory", ref, "targetReferenceCategory")
    knime.take("column_filter", "column-filter")
    knime.take_all(
        [
            "solver",
            "maxEpoch",
            "performLazy",
            "epsilon",
            "learningRateStrategy",
            "stepSize",
            "prior",
            "priorVariance",
            "inMemory",
            "seed",
            "chunkSize",
            "calcCoefficientStatistics",
            "useOrderFromTargetDomain",
            "useOrderFromFeatureDomain",
        ]
    )


class LogisticRegressionLearner(Node):
    """KNIME's Logistic Regression Learner (LogRegLearnerNodeFactory4)."""

    type_name = "logistic_regression_learner"
    display_name = "Logistic Regression Learner"
    category = Category.LEARNER
    description = (
        "Fits a multinomial logistic regression: one logit per non-reference class of the nominal target, the "
        "reference class's logit fixed at 0. Numeric columns are covariates (constant ones are dropped, as in KNIME), "
        "String/Boolean columns are dummy-coded factors. The objective is KNIME's: negative log-likelihood plus the "
        "prior (Gauss = L2, Laplace = L1; intercept unpenalised), solved to convergence deterministically, which is "
        "the optimum KNIME's stochastic SAG solver approaches. Port 2: per logit one row per variable and a row "
        "`Constant` with Coeff., Std. Err., z-score and P>|z| (RowIDs Row1, Row2, ...); port 3: Iterations and "
        "LogLikelihood."
    )
    keywords = ("classification", "logit", "multinomial", "regression", "SAG", "IRLS")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.regression.logistic.learner4.LogRegLearnerNodeFactory4",
            "Logistic Regression Learner",
            _logreg_learner_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Training data", "Learning columns and a nominal target column."),)
    outputs = (
        Port(LOGREG_MODEL, "Model", "The logistic regression model (KNIME: a PMML GeneralRegressionModel)."),
        Port(TABLE, "Coefficients and statistics", "Logit, Variable, Coeff., Std. Err., z-score, P>|z|."),
        Port(TABLE, "Model statistics", "Iterations and LogLikelihood."),
    )
    Settings = LogRegLearnerSettings

    def configure(self, in_specs: list[Any], settings: LogRegLearnerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        model_spec: Any = UNKNOWN
        if isinstance(spec, TableSpec):
            check_column(spec, settings.target, "target", what="target", allowed=NOMINAL)
            model_spec = _model_spec(spec, str(settings.target), _learning_columns(spec, settings))
        elif not settings.target:
            raise ConfigureError("no target column selected", setting="target")
        return [model_spec, coefficient_spec(settings.calcCoefficientStatistics), STATS_SPEC]

    def execute(self, inputs: list[Any], settings: LogRegLearnerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        spec = table.spec
        self.configure([spec], settings, ctx)
        if len(table) == 0:
            raise NodeError("The input table is empty. Please provide data to learn on.")
        df = table.df
        target = str(settings.target)
        tmiss = df[target].isna().to_numpy()
        if tmiss.any():
            row = table.row_ids[int(np.flatnonzero(tmiss)[0])]
            raise NodeError(
                f'The target column contains missing values in row with ID "{row}"; consider to use '
                '"Missing Value" node to fix it.',
                setting="target",
            )
        columns = _learning_columns(spec, settings)
        for c in columns:
            miss = df[c].isna().to_numpy()
            if miss.any():
                row = table.row_ids[int(np.flatnonzero(miss)[0])]
                raise NodeError(
                    f'Column {c!r} contains missing values (row "{row}"); the logistic regression learner '
                    "does not support them, consider a Missing Value node",
                    setting="column_filter",
                )

        target_values = [v.item() if isinstance(v, np.generic) else v for v in df[target].tolist()]
        classes = _ordered_levels(target_values, settings.useOrderFromTargetDomain)
        if len(classes) < 2:
            raise NodeError(
                f"The target column {target!r} has one value, only. At least two target categories are "
                "expected.",
                setting="target",
            )
        if settings.targetReferenceCategory is None:
            reference = classes[-1]
        else:
            found = [c for c in classes if cell_text(c) == settings.targetReferenceCategory]
            if not found:
                raise NodeError(
                    f"reference category {settings.targetReferenceCategory!r} does not occur in the "
                    f"target column {target!r}",
                    setting="targetReferenceCategory",
                )
            reference = found[0]
        logits = [c for c in classes if c != reference]
        index = {c: i for i, c in enumerate(logits)}
        y = np.array([index.get(v, len(logits)) for v in target_values])

        features: list[Feature] = []
        dropped: list[str] = []
        for c in columns:
            if spec.type_of(c) in ColumnType.NUMERIC:
                values = pd.to_numeric(df[c]).to_numpy(dtype=float)
                if values.min() == values.max():
                    dropped.append(c)
                    continue
                features.append(Feature(c))
            else:
                vals = [v.item() if isinstance(v, np.generic) else v for v in df[c].tolist()]
                features.append(Feature(c, _ordered_levels(vals, settings.useOrderFromFeatureDomain)))
        if dropped:
            ctx.log(
                f"{'Column' if len(dropped) == 1 else 'Columns'} {', '.join(dropped)} "
                f"{'has a constant value' if len(dropped) == 1 else 'have constant values'} - will be ignored "
                "during training"
            )
        if not features:
            raise NodeError("no usable learning column left (all are constant)", setting="column_filter")

        x, _ = _design(df, features)
        # KNIME's training rows store feature values as 32-bit floats
        x = x.astype(np.float32).astype(np.float64)
        if settings.solver == "IRLS":
            if x.shape[1] - 1 > len(x):
                raise NodeError(
                    "The data contains more features than rows. The IRLS solver can't deal with this shape, "
                    "please use the SAG solver with regularization instead.",
                    setting="solver",
                )
            penalty = "none"
        else:
            penalty = {"Uniform": "none", "Gauss": "l2", "Laplace": "l1"}[settings.prior]
        fit = fit_logistic(
            x,
            y,
            len(logits) + 1,
            penalty=penalty,
            variance=settings.priorVariance,
            max_iter=settings.maxEpoch,
            epsilon=settings.epsilon,
            with_covariance=settings.calcCoefficientStatistics,
        )
        for w in fit.warnings:
            ctx.log(w)

        domain_order = list(dict.fromkeys(target_values))
        model = LogisticModel(
            target=target,
            target_type=spec.type_of(target),
            classes=domain_order,
            logits=logits,
            reference=reference,
            features=features,
            feature_types={f.column: spec.type_of(f.column) for f in features},
            beta=fit.beta,
        )
        n_vars = x.shape[1] - 1
        summary = (
            f"logistic regression of {target} on {n_vars} variable{'s' if n_vars != 1 else ''}, "
            f"{len(logits)} logit{'s' if len(logits) != 1 else ''} (reference {cell_text(reference)})"
        )
        coefficients = self._coefficient_table(model, fit, settings.calcCoefficientStatistics)
        stats = Table(
            pd.DataFrame(
                {"Iterations": np.array([fit.iterations], dtype=np.int32), "LogLikelihood": [fit.loglike]},
                index=row_ids(1),
            ),
            {"Iterations": ColumnType.INTEGER, "LogLikelihood": ColumnType.DOUBLE},
        )
        model_spec = _model_spec(spec, target, [f.column for f in features], classes=domain_order)
        return [Model("logistic_regression", model, summary, spec=model_spec), coefficients, stats]

    @staticmethod
    def _coefficient_table(model: LogisticModel, fit: Fit, with_stats: bool) -> Table:
        variables = [v for f in model.features for v in f.variables()]
        d = len(variables) + 1
        se = np.sqrt(np.abs(np.diag(fit.covariance))) if fit.covariance is not None else None
        rows: list[list[Any]] = []
        for k, logit in enumerate(model.logits):
            order = [*range(1, d), 0]  # variables first, the intercept last (`Constant`)
            for j in order:
                name = variables[j - 1] if j else "Constant"
                coeff = float(fit.beta[k, j])
                row: list[Any] = [cell_text(logit), name, coeff]
                if with_stats:
                    if se is None:
                        row += [math.nan, math.nan, math.nan]
                    else:
                        err = float(se[k * d + j])
                        z = (
                            coeff / err
                            if err != 0
                            else (math.copysign(math.inf, coeff) if coeff else math.nan)
                        )
                        p = math.erfc(abs(z) / math.sqrt(2.0)) if not math.isnan(z) else math.nan
                        row += [err, z, p]
                rows.append(row)
        spec = coefficient_spec(with_stats)
        frame = pd.DataFrame(rows, columns=spec.names, index=row_ids(len(rows), start=1))
        for c in spec.names[2:]:
            frame[c] = frame[c].astype("float64")
        return Table(frame, {c.name: c.type for c in spec.columns})


# ---------------------------------------------------------------------------------- predictor


class LogRegPredictorSettings(NodeSettings):
    """KNIME's LogisticRegressionPredictor settings (KNIME's keys, misspellings included)."""

    has_custom_predicition_name: bool = Field(  # KNIME's key, misspelt as in settings.xml
        False, description="Use `custom_prediction_name` for the prediction column."
    )
    custom_prediction_name: str | None = Field(
        None,
        description="Prediction column name when `has_custom_predicition_name` is on.",
        json_schema_extra=widget("new_column"),
    )
    include_probabilites: bool = Field(  # KNIME's key, misspelt
        False, description="Append one probability column `P (<target>=<class>)` per class."
    )
    propability_columns_suffix: str = Field(  # KNIME's key, misspelt
        "",
        description="Suffix appended to the probability column names.",
        json_schema_extra=widget("text", advanced=True),
    )


def _prediction_columns(
    model: tuple[str, str, list[Any]], spec: TableSpec, settings: LogRegPredictorSettings
) -> list[tuple[str, str]]:
    """KNIME's RegressionPredictorCellFactory.createColumnSpec: probabilities (domain order) first,
    then the prediction; each name made unique against the input columns."""
    target, target_type, classes = model
    existing = list(spec.names)
    out: list[tuple[str, str]] = []
    if settings.include_probabilites:
        for value in classes:
            name = unique_column_name(
                existing, f"P ({target}={cell_text(value)}){settings.propability_columns_suffix}"
            )
            out.append((name, ColumnType.DOUBLE))
    if settings.has_custom_predicition_name:
        if not settings.custom_prediction_name:
            raise ConfigureError(
                "the custom prediction column name is empty", setting="custom_prediction_name"
            )
        base = settings.custom_prediction_name
    else:
        base = f"Prediction ({target})"
    out.append((unique_column_name(existing, base), target_type))
    return out


def _check_features(model: ModelSpec, spec: TableSpec) -> None:
    nominal = set(model.details.get("nominal", ()))
    for learned in model.learning_columns.columns:
        col = spec.get(learned.name)
        if col is None:
            raise ConfigureError(f'The table for prediction does not contain the column "{learned.name}".')
        if learned.name not in nominal and not col.is_numeric():
            raise ConfigureError(
                f'The column "{learned.name}" in the table of prediction is expected to be numeric.'
            )
        if learned.name in nominal and col.type not in NOMINAL:
            raise ConfigureError(
                f'The column "{learned.name}" in the table of prediction is expected to be nominal.'
            )


class LogisticRegressionPredictor(Node):
    """KNIME's Logistic Regression Predictor."""

    type_name = "logistic_regression_predictor"
    display_name = "Logistic Regression Predictor"
    category = Category.PREDICTOR
    description = (
        "Applies a logistic regression model: appends `Prediction (<target>)` (the most probable class) and, "
        "optionally, one column `P (<target>=<class>)<suffix>` per class before it. Rows with a missing (or unseen "
        "nominal) learning value get missing predictions."
    )
    keywords = ("classification", "predict", "logit", "probability")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.regression.logistic.predictor.LogisticRegressionPredictorNodeFactory",
            "Logistic Regression Predictor",
        ),
    )
    inputs = (
        Port(LOGREG_MODEL, "Model", "A logistic regression model."),
        Port(TABLE, "Data", "The rows to predict; must contain the model's learning columns."),
    )
    outputs = (Port(TABLE, "Predictions", "The input plus the prediction (and probability) columns."),)
    Settings = LogRegPredictorSettings

    def configure(
        self, in_specs: list[Any], settings: LogRegPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model_spec, spec = in_specs
        if not isinstance(model_spec, ModelSpec) or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _check_features(model_spec, spec)
        classes = model_spec.details.get("classes")
        if classes is None and settings.include_probabilites:
            return [UNKNOWN]  # one probability column per class: the classes come with the learned model
        assert model_spec.target is not None
        target = (model_spec.target.name, model_spec.target.type, classes or [])
        return [spec.append(*_prediction_columns(target, spec, settings))]

    def execute(self, inputs: list[Any], settings: LogRegPredictorSettings, ctx: NodeContext) -> list[Any]:
        model: LogisticModel = inputs[0].payload
        table: Table = inputs[1]
        _check_features(inputs[0].spec, table.spec)
        new_cols = _prediction_columns((model.target, model.target_type, model.classes), table.spec, settings)
        x, ok = model.design(table.df)
        p = model.probabilities(x)  # in logits + [reference] order
        coeff_order = [*model.logits, model.reference]
        df = table.df.copy()
        if settings.include_probabilites:
            for (name, _), value in zip(new_cols[:-1], model.classes, strict=True):
                col = p[:, coeff_order.index(value)].copy()
                col[~ok] = np.nan
                df[name] = col
        # the most probable class; ties go to the first class in domain order
        by_domain = p[:, [coeff_order.index(v) for v in model.classes]]
        best = by_domain.argmax(axis=1) if len(df) else np.zeros(0, dtype=int)
        pred_name, pred_type = new_cols[-1]
        labels = [model.classes[i] if good else None for i, good in zip(best, ok, strict=True)]
        if pred_type == ColumnType.BOOLEAN:
            df[pred_name] = pd.array(labels, dtype="boolean")
        else:
            df[pred_name] = pd.Series(labels, index=df.index, dtype=object)
        return [table.with_frame(df, dict(new_cols))]
