"""Linear regression: KNIME's Linear Regression Learner (LinReg2) and Regression Predictor.

The learner fits ordinary least squares on the learning columns (numeric ones as they are, nominal
ones as dummy variables against their first value in sorted order), optionally through a predefined
offset instead of an estimated intercept, and reports KNIME's coefficient table (Variable, Coeff.,
Std. Err., t-value, P>|t|). KNIME fits with Commons Math's `MillerUpdatingRegression` (Givens
rotations); knitflow solves the same least-squares problem by a Householder QR decomposition, so
coefficients agree to rounding (about 1e-12 relative on well-conditioned data), not bit for bit.
The predictor applies such a model the way KNIME's PMML General Regression predictor does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnSpec,
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
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import ColumnFilter
from nodes._mining import NOMINAL, cell_text
from nodes._regression import LINEAR_KIND, REGRESSION_KINDS, REGRESSION_MODEL, RegressionContent

MODEL_KIND = LINEAR_KIND

COEFFICIENT_SPEC = TableSpec.of(
    [
        ("Variable", ColumnType.STRING),
        ("Coeff.", ColumnType.DOUBLE),
        ("Std. Err.", ColumnType.DOUBLE),
        ("t-value", ColumnType.DOUBLE),
        ("P>|t|", ColumnType.DOUBLE),
    ]
)
LEARNING_TYPES = ColumnType.NUMERIC | NOMINAL
# a column whose part not explained by the columns before it is below this fraction of its norm is
# redundant (Miller's algorithm tests the same residual against machine precision; a looser bound
# keeps exact duplicates redundant despite rounding)
REDUNDANCY_TOLERANCE = 1e-10


# -------------------------------------------------------------------------------------- model


@dataclass
class LinearRegressionContent:
    """KNIME's LinearRegressionContent: the design (covariates and factors with their sorted
    levels, the first one the baseline), the coefficients (intercept first when estimated) and
    the statistics of the fit."""

    target: str
    learning_columns: list[tuple[str, str]]  # (name, type) in input-table order
    levels: dict[str, list[Any]]  # factor -> its sorted training values
    parameters: list[str]  # "x1", "colour=red", ... (no intercept)
    beta: np.ndarray = field(repr=False)  # [intercept,] one per parameter; 0 for a redundant one
    covariance: np.ndarray = field(repr=False)  # NaN rows/columns for redundant parameters
    include_constant: bool = True
    offset_value: float = 0.0
    value_count: int = 0
    r_squared: float = math.nan
    adjusted_r_squared: float = math.nan

    def design(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """One column per coefficient (a leading 1 for the intercept) and the rows that have every
        learning value. An unknown nominal value counts as the baseline, as in KNIME."""
        n = len(df)
        cols: list[np.ndarray] = [np.ones(n)] if self.include_constant else []
        ok = np.ones(n, dtype=bool)
        for name, _ in self.learning_columns:
            s = df[name]
            missing = s.isna().to_numpy()
            ok &= ~missing
            levels = self.levels.get(name)
            if levels is None:
                cols.append(pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
                continue
            texts = np.array([None if m else cell_text(v) for v, m in zip(s.tolist(), missing, strict=True)])
            for level in levels[1:]:
                cols.append((texts == cell_text(level)).astype(float))
        x = np.column_stack(cols) if cols else np.zeros((n, 0))
        return x, ok

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """x · beta summed left to right (Commons Math's matrix product), plus the offset when no
        intercept was estimated; missing where a learning value is missing."""
        x, ok = self.design(df)
        estimate = np.zeros(len(df))
        for j in range(x.shape[1]):
            estimate = estimate + x[:, j] * self.beta[j]
        if not self.include_constant:
            estimate = estimate + self.offset_value
        estimate[~ok] = np.nan
        return estimate


def _standard_errors(content: LinearRegressionContent) -> np.ndarray:
    return np.sqrt(np.abs(np.diag(content.covariance)))


def coefficient_table(content: LinearRegressionContent) -> Table:
    """KNIME's `createTablePortObject`: one row per parameter, then `Intercept`; RowIDs Row1, Row2, ...;
    undefined statistics (a redundant column, no degrees of freedom left) are missing cells."""
    from scipy.stats import t as t_distribution

    se = _standard_errors(content)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_values = content.beta / se
    df_resid = content.value_count - len(content.beta)
    if df_resid > 0:
        p_values = 2.0 * (1.0 - t_distribution.cdf(np.abs(t_values), df_resid))
    else:  # KNIME: NotStrictlyPositiveException -> NaN
        p_values = np.full(len(content.beta), np.nan)
    order = (
        list(range(1, len(content.beta))) + [0]
        if content.include_constant
        else list(range(len(content.beta)))
    )
    names = [*content.parameters, "Intercept"] if content.include_constant else list(content.parameters)
    rows = [
        (name, content.beta[i], se[i], t_values[i], p_values[i]) for name, i in zip(names, order, strict=True)
    ]
    frame = pd.DataFrame(
        rows, columns=COEFFICIENT_SPEC.names, index=[f"Row{i + 1}" for i in range(len(rows))]
    )
    for c in COEFFICIENT_SPEC.names[1:]:
        frame[c] = pd.to_numeric(frame[c]).astype(float)
    frame = frame.astype({"Variable": object})
    return Table(frame, {c.name: c.type for c in COEFFICIENT_SPEC.columns})


# ---------------------------------------------------------------------------------- least squares


@dataclass
class _Fit:
    beta: np.ndarray
    covariance: np.ndarray
    redundant: list[int]
    r_squared: float
    adjusted_r_squared: float


def _least_squares(x: np.ndarray, y: np.ndarray, has_intercept: bool) -> _Fit:
    """OLS as Commons Math's `MillerUpdatingRegression.regress()` reports it: a column that is a
    linear combination of the columns before it gets a NaN coefficient and NaN covariances, the
    mean squared error divides by n - rank, R^2 is centred only with an intercept (the adjusted R^2
    then uses n - 1, else n)."""
    n, p = x.shape
    independent: list[int] = []
    redundant: list[int] = []
    for j in range(p):
        column = x[:, j]
        norm = float(np.linalg.norm(column))
        if independent and norm > 0:
            basis = x[:, independent]
            coef, *_ = np.linalg.lstsq(basis, column, rcond=None)
            norm_left = float(np.linalg.norm(column - basis @ coef))
        else:
            norm_left = norm
        if norm > 0 and norm_left > REDUNDANCY_TOLERANCE * norm and len(independent) < n:
            independent.append(j)
        else:
            redundant.append(j)
    beta = np.full(p, np.nan)
    cov = np.full((p, p), np.nan)
    residuals = y.copy()
    if independent:
        xi = x[:, independent]
        q, r = np.linalg.qr(xi, mode="reduced")
        coef = np.linalg.solve(r, q.T @ y)
        beta[independent] = coef
        residuals = y - xi @ coef
        rank = len(independent)
        sse = float(residuals @ residuals)
        mse = sse / (n - rank) if n > rank else math.nan
        r_inv = np.linalg.inv(r)
        cov[np.ix_(independent, independent)] = mse * (r_inv @ r_inv.T)
    else:
        rank = 0
        sse = float(y @ y)
    if has_intercept:
        sst = float(((y - y.mean()) ** 2).sum()) if n else math.nan
        r2 = 1.0 - sse / sst if sst else math.nan
        adj = 1.0 - (sse * (n - 1)) / (sst * (n - rank)) if sst and n > rank else math.nan
    else:
        sst = float(y @ y)
        r2 = 1.0 - sse / sst if sst else math.nan
        adj = 1.0 - (1.0 - r2) * (n / (n - rank)) if n > rank else math.nan
    return _Fit(beta, cov, redundant, r2, adj)


# ------------------------------------------------------------------------------------ learner


class LinRegLearnerSettings(NodeSettings):
    """KNIME's LinReg2LearnerSettings (`target`, `column_filter`, `include_constant`,
    `offset_value`, `missing_value_handling`, `scatter_plot_first_row`, `scatter_plot_row_count`)."""

    target: str | None = Field(
        None, description="The numeric target (response) column. Null: the last numeric column (KNIME warns)."
    )
    column_filter: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Values",
        description="The independent variables: numeric columns as they are, String/Boolean columns as dummy "
        "variables (one per value but the first in sorted order). The target is never a learning column.",
    )
    include_constant: bool = Field(
        True,
        title="Estimate the intercept",
        description="Estimate the constant term; off: the regression goes through `offset_value` (KNIME's "
        '"Predefined offset value").',
    )
    offset_value: float = Field(
        0.0,
        title="Offset value",
        description="Subtracted from the target before fitting; when the intercept is not estimated the model "
        "adds it back to every prediction (the predefined intercept).",
    )
    missing_value_handling: Literal["ignore", "fail"] = Field(
        "fail",
        title="Missing values in input data",
        description="ignore: rows with a missing learning or target value are skipped; fail: they are an error.",
    )
    scatter_plot_first_row: int = Field(
        1, ge=1, description="KNIME's scatter plot view: first row shown (knitflow has no such view)."
    )
    scatter_plot_row_count: int = Field(
        20000,
        ge=1,
        description="KNIME's scatter plot view: number of rows shown (knitflow has no such view).",
    )


def _resolve_columns(spec: TableSpec, settings: LinRegLearnerSettings) -> tuple[str, list[str], str | None]:
    """(target, learning columns in table order, a warning) as LinReg2Learner.init resolves them."""
    warning = None
    target = settings.target
    if target is None:
        numeric = [c.name for c in spec.columns if c.is_numeric()]
        if not numeric:
            raise ConfigureError("No column in spec with numeric data.", setting="target")
        target = numeric[-1]
        if len(numeric) > 1:
            warning = f"The target column is not set. Using {target}"
    col = spec.get(target)
    if col is None:
        raise ConfigureError(f"The target {target!r} is not in the input.", setting="target")
    if not col.is_numeric():
        raise ConfigureError(f'Type of column "{target}" is not numeric.', setting="target")
    chosen = set(settings.column_filter.apply(spec))
    chosen.discard(target)
    learning = []
    for c in spec.columns:
        if c.name not in chosen:
            continue
        if c.type not in LEARNING_TYPES:
            if c.name in settings.column_filter.included_names:
                raise ConfigureError(
                    f'Type of column "{c.name}" is not one of the allowed types, which are numeric or nominal.',
                    setting="column_filter",
                )
            continue  # an unknown column of another type is not taken
        learning.append(c.name)
    if not learning:
        raise ConfigureError("At least one column must be included.", setting="column_filter")
    return target, learning, warning


def model_spec(spec: TableSpec, target: str, learning: list[str]) -> ModelSpec:
    return ModelSpec(
        MODEL_KIND,
        learning_columns=spec.select(learning),
        target=ColumnSpec(target, ColumnType.DOUBLE),
    )


def _linreg_learner_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        [
            "target",
            "column_filter",
            "include_constant",
            "offset_value",
            "missing_value_handling",
            "scatter_plot_first_row",
            "scatter_plot_row_count",
        ]
    )


class LinearRegressionLearner(Node):
    """KNIME's Linear Regression Learner (LinReg2LearnerNodeFactory2)."""

    type_name = "linear_regression_learner"
    display_name = "Linear Regression Learner"
    category = Category.LEARNER
    description = (
        "Computes a multiple linear regression model (ordinary least squares). Numeric learning columns are used "
        "as they are, nominal ones (String, Boolean) as dummy variables against their first value in sorted "
        "order. Port 1: the model for the Regression Predictor; port 2: Coefficients and Statistics (Variable, "
        "Coeff., Std. Err., t-value, P>|t|; one row per variable, then Intercept). A column that is a linear "
        "combination of earlier ones gets coefficient 0, missing statistics and a warning."
    )
    keywords = ("linear regression", "least squares", "OLS", "lm", "coefficients", "p-value")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.regression.linear2.learner.LinReg2LearnerNodeFactory2",
            "Linear Regression Learner",
            _linreg_learner_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.regression.linear2.learner.LinReg2LearnerNodeFactory",
            "Linear Regression Learner",
            _linreg_learner_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input data", "Table containing the data used for the regression."),)
    outputs = (
        Port(REGRESSION_MODEL, "Model for Predictor", "The computed regression model."),
        Port(
            TABLE,
            "Coefficients and Statistics",
            "Coefficients and statistics of the linear regression model.",
        ),
    )
    Settings = LinRegLearnerSettings

    def configure(self, in_specs: list[Any], settings: LinRegLearnerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            if settings.target is None:
                raise ConfigureError("No target set.", setting="target")
            return [UNKNOWN, COEFFICIENT_SPEC]
        target, learning, _ = _resolve_columns(spec, settings)
        return [model_spec(spec, target, learning), COEFFICIENT_SPEC]

    def execute(self, inputs: list[Any], settings: LinRegLearnerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        spec = table.spec
        try:
            target, learning, warning = _resolve_columns(spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        if warning:
            ctx.warn(warning)
        df = table.df
        used = [*learning, target]
        missing = df[used].isna().any(axis=1).to_numpy() if len(df) else np.zeros(0, dtype=bool)
        if missing.any():
            if settings.missing_value_handling == "fail":
                row = table.row_ids[int(np.flatnonzero(missing)[0])]
                raise NodeError(
                    f'Missing value in row "{row}": the learner fails on missing values '
                    '(missing_value_handling "fail"); use "ignore" or a Missing Value node',
                    setting="missing_value_handling",
                )
            df = df[~missing]
        levels: dict[str, list[Any]] = {}
        parameters: list[str] = []
        for name in learning:
            if spec.type_of(name) in NOMINAL:
                values = [v.item() if isinstance(v, np.generic) else v for v in df[name].tolist()]
                levels[name] = sorted(set(values))  # Java's comparators: String order, false < true
                parameters += [f"{name}={cell_text(v)}" for v in levels[name][1:]]
            else:
                parameters.append(name)
        content = LinearRegressionContent(
            target=target,
            learning_columns=[(n, spec.type_of(n)) for n in learning],
            levels=levels,
            parameters=parameters,
            beta=np.zeros(0),
            covariance=np.zeros((0, 0)),
            include_constant=settings.include_constant,
            offset_value=settings.offset_value,
            value_count=len(df),
        )
        if len(df) == 0:
            raise NodeError("No rows to learn from (the input is empty or every row has a missing value).")
        x, _ = content.design(df)
        y = pd.to_numeric(df[target]).to_numpy(dtype=float) - settings.offset_value
        fit = _least_squares(x, y, settings.include_constant)
        content.beta = np.where(np.isnan(fit.beta), 0.0, fit.beta)
        content.covariance = fit.covariance
        content.r_squared, content.adjusted_r_squared = fit.r_squared, fit.adjusted_r_squared
        if fit.redundant:
            first = 1 if settings.include_constant else 0
            names = ["Intercept" if i < first else content.parameters[i - first] for i in fit.redundant]
            ctx.warn(
                "The following columns are redundant and will not contribute to the model: "
                f"{', '.join(names)}. Coefficient statistics will not be accurate and contain missing information."
            )
        if settings.include_constant and settings.offset_value != 0.0:
            ctx.warn(
                "offset_value is subtracted from the target although the intercept is estimated (KNIME does the "
                "same): predictions are shifted by the offset"
            )
        summary = (
            f"linear regression of {target} on {len(learning)} column(s), R^2 = {content.r_squared:.6g} "
            f"(n = {content.value_count})"
        )
        mspec = model_spec(spec, target, learning)
        return [Model(MODEL_KIND, content, summary, spec=mspec), coefficient_table(content)]


# ---------------------------------------------------------------------------------- predictor


class RegressionPredictorSettings(NodeSettings):
    """KNIME's RegressionPredictorSettings (`has_custom_predicition_name` -- KNIME's spelling --,
    `custom_prediction_name`)."""

    has_custom_predicition_name: bool = Field(
        False,
        title="Change prediction column name",
        description="Name the prediction column `custom_prediction_name` instead of `Prediction (<target>)`.",
    )
    custom_prediction_name: str | None = Field(
        None,
        title="Prediction column name",
        description="Name of the new prediction column.",
        json_schema_extra=widget("new_column"),
    )


def _prediction_column(spec: TableSpec, target: str, settings: RegressionPredictorSettings) -> str:
    if settings.has_custom_predicition_name:
        name = settings.custom_prediction_name or ""
        if not name:
            raise ConfigureError(
                "Please define a name for the prediction column.", setting="custom_prediction_name"
            )
    else:
        name = f"Prediction ({target})"
    return unique_column_name(spec.names, name)


def _check_learning_columns(learning: TableSpec, spec: TableSpec) -> None:
    """RegressionPredictorCellFactory.createColumnSpec's checks."""
    for col in learning.columns:
        have = spec.get(col.name)
        if have is None:
            raise ConfigureError(f'The table for prediction does not contain the column "{col.name}".')
        if col.type in NOMINAL and have.type not in NOMINAL:
            raise ConfigureError(
                f'The column "{col.name}" in the table of prediction is expected to be  compatible with '
                '"NominalValue".'
            )
        if col.type in ColumnType.NUMERIC and not have.is_numeric():
            raise ConfigureError(
                f'The column "{col.name}" in the table of prediction is expected to be numeric.'
            )


class RegressionPredictor(Node):
    """KNIME's Regression Predictor (predict3.RegressionPredictorNodeFactory2) for linear models."""

    type_name = "linear_regression_predictor"
    display_name = "Regression Predictor"
    category = Category.PREDICTOR
    description = (
        "Predicts the response with a linear or polynomial regression model: appends one Double column "
        "`Prediction (<target>)` "
        "(or a custom name; made unique). Rows with a missing learning value get a missing prediction; a nominal "
        "value the model has not seen counts as the baseline value."
    )
    keywords = ("predict", "regression", "linear regression", "PMML", "apply")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.regression.predict3.RegressionPredictorNodeFactory2",
            "Regression Predictor",
        ),
        KnimeMapping(
            "org.knime.base.node.mine.regression.predict3.RegressionPredictorNodeFactory",
            "Regression Predictor",
        ),
    )
    inputs = (
        Port(REGRESSION_MODEL, "Regression model", "The regression model."),
        Port(TABLE, "Data for prediction", "Missing values will give missing values in the output."),
    )
    outputs = (Port(TABLE, "Predicted data", "Table from input with an additional prediction column."),)
    Settings = RegressionPredictorSettings

    def configure(
        self, in_specs: list[Any], settings: RegressionPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        mspec, spec = in_specs
        if settings.has_custom_predicition_name and not settings.custom_prediction_name:
            raise ConfigureError(
                "Please define a name for the prediction column.", setting="custom_prediction_name"
            )
        if not isinstance(mspec, ModelSpec) or not isinstance(spec, TableSpec) or mspec.target is None:
            return [UNKNOWN]
        if mspec.kind not in REGRESSION_KINDS:
            raise ConfigureError(f"Model Type: {mspec.kind} is not supported.")
        _check_learning_columns(mspec.learning_columns, spec)
        return [spec.append((_prediction_column(spec, mspec.target.name, settings), ColumnType.DOUBLE))]

    def execute(
        self, inputs: list[Any], settings: RegressionPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model, table = inputs
        content = model.payload if isinstance(model, Model) else None
        if not isinstance(content, RegressionContent) or not isinstance(table, Table):
            raise NodeError("the model port holds no regression model")
        try:
            _check_learning_columns(TableSpec.of(content.learning_columns), table.spec)
            name = _prediction_column(table.spec, content.target, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        df = table.df.copy()
        df[name] = content.predict(table.df) if len(df) else np.zeros(0)
        return [table.with_frame(df, {name: ColumnType.DOUBLE})]
