"""KNIME's Logistic Regression Learner (learner4); the model and solver live in nodes._logistic."""

from __future__ import annotations

import math
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
    Table,
    TableSpec,
    row_ids,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import ColumnFilter
from nodes._logistic import (
    FEATURE_TYPES,
    LOGREG_MODEL,
    STATS_SPEC,
    Feature,
    Fit,
    LogisticModel,
    _design,
    coefficient_spec,
    fit_logistic,
)
from nodes._mining import NOMINAL, cell_text, check_column, parse_seed

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


def _check_no_missing(table: Table, columns: list[str], setting: str) -> None:
    """The learner takes no missing cells: the first one is named with its row."""
    for c in columns:
        miss = table.df[c].isna().to_numpy()
        if not miss.any():
            continue
        row = table.row_ids[int(np.flatnonzero(miss)[0])]
        if setting == "target":
            raise NodeError(
                f'The target column contains missing values in row with ID "{row}"; consider to use '
                '"Missing Value" node to fix it.',
                setting="target",
            )
        raise NodeError(
            f'Column {c!r} contains missing values (row "{row}"); the logistic regression learner '
            "does not support them, consider a Missing Value node",
            setting="column_filter",
        )


def _reference_category(classes: list[Any], target: str, settings: LogRegLearnerSettings) -> Any:
    """The chosen reference category, or the last class (KNIME's default)."""
    if len(classes) < 2:
        raise NodeError(
            f"The target column {target!r} has one value, only. At least two target categories are expected.",
            setting="target",
        )
    if settings.targetReferenceCategory is None:
        return classes[-1]
    found = [c for c in classes if cell_text(c) == settings.targetReferenceCategory]
    if not found:
        raise NodeError(
            f"reference category {settings.targetReferenceCategory!r} does not occur in the "
            f"target column {target!r}",
            setting="targetReferenceCategory",
        )
    return found[0]


def _features(
    table: Table, columns: list[str], settings: LogRegLearnerSettings, ctx: NodeContext
) -> list[Feature]:
    """The learning columns as features (nominal ones with their levels); constant numeric
    columns are left out, as KNIME does, with a log line."""
    df, spec = table.df, table.spec
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
    return features


def _penalty(settings: LogRegLearnerSettings, x: np.ndarray) -> str:
    """IRLS fits without a prior (and needs no more features than rows); SAG uses the prior's."""
    if settings.solver != "IRLS":
        return {"Uniform": "none", "Gauss": "l2", "Laplace": "l1"}[settings.prior]
    if x.shape[1] - 1 > len(x):
        raise NodeError(
            "The data contains more features than rows. The IRLS solver can't deal with this shape, "
            "please use the SAG solver with regularization instead.",
            setting="solver",
        )
    return "none"


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
        _check_no_missing(table, [target], "target")
        columns = _learning_columns(spec, settings)
        _check_no_missing(table, columns, "column_filter")
        target_values = [v.item() if isinstance(v, np.generic) else v for v in df[target].tolist()]
        classes = _ordered_levels(target_values, settings.useOrderFromTargetDomain)
        reference = _reference_category(classes, target, settings)
        logits = [c for c in classes if c != reference]
        index = {c: i for i, c in enumerate(logits)}
        y = np.array([index.get(v, len(logits)) for v in target_values])
        features = _features(table, columns, settings, ctx)
        x, _ = _design(df, features)
        # KNIME's training rows store feature values as 32-bit floats
        x = x.astype(np.float32).astype(np.float64)
        fit = fit_logistic(
            x,
            y,
            len(logits) + 1,
            penalty=_penalty(settings, x),
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
