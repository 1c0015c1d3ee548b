"""Polynomial Regression Learner (and a predictor for its model) and Fuzzy c-Means, as KNIME has them.

Polynomial regression (`polynomial.learner2.PolyRegLearnerNodeModel`, `Learner`, `PolyRegContent`):
ordinary least squares of the target on x, x^2, ..., x^degree of every learning column plus an
intercept. KNIME fits with Commons Math's `MillerUpdatingRegression`; knitflow solves the same
problem by a QR decomposition, so the numbers agree to rounding. A power that is a linear
combination of the ones before it gets a NaN coefficient (missing statistics) as in Miller's
algorithm, which makes KNIME's predictions NaN too. With no more rows than parameters Miller refuses
(`ModelSpecificationException`): KNIME then warns, reports zero coefficients and predicts 0.

Fuzzy c-Means (`fuzzycmeans.FuzzyClusterNodeModel`, `FCMAlgorithm(Memory)`): prototypes start at
`java.util.Random.nextDouble()` draws (seeded when asked), then each iteration updates the
memberships u_ij = 1 / sum_k (d_ij / d_ik)^(1/(m-1)) (d squared Euclidean; a row on a prototype
belongs to it alone; the optional noise cluster is at distance delta^2) and moves every prototype to
sum_i u_ij^m x_i / sum_i u_ij^m, until the prototypes move less than 1e-7 in total.
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
    PortType,
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._common import ColumnFilter
from nodes._java_random import JavaRandom
from nodes._learning import numeric_matrix
from nodes._regression import POLYNOMIAL_KIND, REGRESSION_MODEL

# the port types the linear regression and k-Means nodes declare: KNIME connects these learners'
# PMML outputs to the same Regression Predictor and Cluster Assigner
CLUSTER_MODEL = PortType.register(
    PortType("model.cluster", "Cluster model (prototypes)", "#1469af", "square")
)
# what KNIME's DoubleValue columns are in knitflow: the numbers, and Booleans as 0/1 (BooleanCell
# implements DoubleValue)
DOUBLE_COMPATIBLE = ColumnType.NUMERIC | {ColumnType.BOOLEAN}

# ===================================================================================== polynomial

PREDICTION_COLUMN = "PolyReg prediction"
ERROR_COLUMN = "Prediction Error"
POLY_STATISTICS_SPEC = TableSpec.of(
    [
        ("Variable", ColumnType.STRING),
        ("Exponent", ColumnType.INTEGER),
        ("Coeff.", ColumnType.DOUBLE),
        ("Std. Err.", ColumnType.DOUBLE),
        ("t-value", ColumnType.DOUBLE),
        ("P>|t|", ColumnType.DOUBLE),
    ]
)
# a power whose part not explained by the regressors before it is below this fraction of its norm
# counts as linearly dependent (Miller's check does the same against machine precision)
DEPENDENCE_TOLERANCE = 1e-10


@dataclass
class PolynomialRegressionContent:
    """KNIME's PolyRegContent: `beta` is the intercept, then one coefficient per (power, column),
    powers outermost (x1, x2, x1^2, x2^2, ...), the order Miller's regression was fed in."""

    target: str
    learning_columns: list[tuple[str, str]]  # (name, type) in input-table order
    degree: int
    beta: np.ndarray = field(repr=False)
    covariance: np.ndarray = field(repr=False)
    value_count: int = 0
    r_squared: float = math.nan
    adjusted_r_squared: float = math.nan

    def coefficient(self, column: int, power: int) -> float:
        return float(self.beta[1 + (power - 1) * len(self.learning_columns) + column])

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """The learner's cell factory: beta_0, then column by column its powers 1..degree (each power
        the previous one times x); missing where a learning value is missing."""
        names = [name for name, _ in self.learning_columns]
        values = numeric_matrix(df, names).reshape(len(df), len(names))
        total = np.full(len(df), float(self.beta[0]))
        for col in range(len(names)):
            power = np.ones(len(df))
            for d in range(1, self.degree + 1):
                power = power * values[:, col]
                total = total + self.coefficient(col, d) * power
        total[np.isnan(values).any(axis=1)] = np.nan
        return total


@dataclass
class _Ols:
    beta: np.ndarray  # NaN for a dependent regressor
    covariance: np.ndarray  # NaN rows and columns for a dependent regressor
    r_squared: float
    adjusted_r_squared: float


def _independent_regressors(design: np.ndarray) -> list[int]:
    """The regressors (columns) not in the span of the ones before them, found by Gram-Schmidt
    against an orthonormal basis of the kept ones (projected twice for stability)."""
    kept: list[int] = []
    basis = np.zeros((design.shape[0], 0))
    for j in range(design.shape[1]):
        column = design[:, j]
        length = float(np.linalg.norm(column))
        remainder = column - basis @ (basis.T @ column)
        remainder = remainder - basis @ (basis.T @ remainder)
        left = float(np.linalg.norm(remainder))
        if length > 0 and left > DEPENDENCE_TOLERANCE * length:
            basis = np.column_stack([basis, remainder / left])
            kept.append(j)
    return kept


def _least_squares_with_intercept(design: np.ndarray, y: np.ndarray) -> _Ols:
    """OLS as `RegressionResults` reports it (the design's first column is the intercept's 1s):
    the error variance divides by n - rank, R^2 is centred."""
    n, p = design.shape
    kept = _independent_regressors(design)
    beta = np.full(p, np.nan)
    covariance = np.full((p, p), np.nan)
    q, r = np.linalg.qr(design[:, kept], mode="reduced")
    estimate = np.linalg.solve(r, q.T @ y)
    residuals = y - design[:, kept] @ estimate
    sse = float(residuals @ residuals)
    rank = len(kept)
    r_inverse = np.linalg.inv(r)
    beta[kept] = estimate
    covariance[np.ix_(kept, kept)] = sse / (n - rank) * (r_inverse @ r_inverse.T)
    sst = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - sse / sst if sst else math.nan
    adjusted = 1.0 - sse * (n - 1) / (sst * (n - rank)) if sst else math.nan
    return _Ols(beta, covariance, r2, adjusted)


def _polynomial_design(values: np.ndarray, degree: int) -> np.ndarray:
    """[1, x1..xk, x1^2..xk^2, ...]: each power the previous one times x (the Learner's loop)."""
    parts = [np.ones((len(values), 1))]
    power = np.ones_like(values)
    for _ in range(degree):
        power = power * values
        parts.append(power)
    return np.hstack(parts)


def _missing_cell(value: float) -> float:
    return math.nan if value is None or math.isnan(value) else float(value)


def _statistics_table(content: PolynomialRegressionContent) -> Table:
    """`RegressionContent.createTablePortObject`: for each power, each learning column (Variable,
    Exponent, Coeff., Std. Err., t-value, P>|t|), then Intercept with exponent 0; NaN is missing."""
    from scipy.stats import t as t_distribution

    errors = np.sqrt(np.abs(np.diag(content.covariance)))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_values = content.beta / errors
    freedom = content.value_count - len(content.beta)
    if freedom > 0:
        p_values = 2 * (1 - t_distribution.cdf(np.abs(t_values), freedom))
    else:  # NotStrictlyPositiveException: NaN
        p_values = np.full(len(content.beta), np.nan)
    rows: list[tuple[Any, ...]] = []
    k = len(content.learning_columns)
    for power in range(1, content.degree + 1):
        for col, (name, _) in enumerate(content.learning_columns):
            i = 1 + (power - 1) * k + col
            rows.append((name, power, content.beta[i], errors[i], t_values[i], p_values[i]))
    rows.append(("Intercept", 0, content.beta[0], errors[0], t_values[0], p_values[0]))
    return _rows_table(rows)


def _unfitted_statistics_table(columns: list[str], degree: int) -> Table:
    """The table KNIME writes when Miller refuses the fit: column by column, its powers with
    coefficient 0 and missing statistics, then Intercept."""
    rows: list[tuple[Any, ...]] = [
        (c, d, 0.0, None, None, None) for c in columns for d in range(1, degree + 1)
    ]
    rows.append(("Intercept", 0, 0.0, None, None, None))
    return _rows_table(rows)


def _rows_table(rows: list[tuple[Any, ...]]) -> Table:
    names = POLY_STATISTICS_SPEC.names
    frame = pd.DataFrame(
        {
            names[0]: pd.Series([r[0] for r in rows], dtype=object),
            names[1]: np.array([r[1] for r in rows], dtype=np.int64),
            **{
                name: np.array([_missing_cell(r[i]) for r in rows], dtype=float)
                for i, name in enumerate(names[2:], start=2)
            },
        }
    )
    frame.index = pd.Index([f"Row{i + 1}" for i in range(len(rows))], dtype=object)
    return Table(frame, {c.name: c.type for c in POLY_STATISTICS_SPEC.columns})


class PolyRegLearnerSettings(NodeSettings):
    """KNIME's PolyRegLearnerSettings (`degree`, `targetColumn`, `maxViewRows`,
    `missing_value_handling`, `column filter`; before 2.10 `selectedColumns` and `includeAll`)."""

    targetColumn: str | None = Field(
        None,
        title="Target column (dependent variable)",
        description="The numeric target column. Null: the last numeric column.",
        json_schema_extra=widget("column"),
    )
    degree: int = Field(
        2, ge=1, title="Maximum polynomial degree", description="The maximum degree of the polynomial."
    )
    column_filter: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Independent variables",
        description="The numeric learning columns (KNIME's `column filter`); the target is never one of them.",
    )
    missing_value_handling: Literal["ignore", "fail"] = Field(
        "fail",
        title="Missing values in input data",
        description="ignore: rows with a missing learning or target value are not learnt from and get missing "
        "predictions; fail: a missing value is an error.",
    )
    maxViewRows: int = Field(
        10000,
        ge=1,
        title="Number of data points to show in view",
        description="KNIME's scatter plot view only (knitflow draws no such view).",
    )


def _polyreg_learner_from_knime(knime: KnimeSettings) -> None:
    """2.10 on: the `column filter` configuration; before, `selectedColumns` with `includeAll`
    (include every numeric column not listed otherwise), which KNIME migrates the same way."""
    knime.take_all(["targetColumn", "degree", "maxViewRows"])
    knime.take("missing_value_handling", default="ignore")  # absent before 2.10: ignore
    if "selectedColumns" in knime.tree:
        include_all = bool(knime.tree.get("includeAll", False))
        knime.put(
            "column_filter",
            {
                "included_names": [str(c) for c in seq(knime.tree["selectedColumns"])],
                "excluded_names": [],
                "enforce_option": "EnforceExclusion" if include_all else "EnforceInclusion",
            },
            "selectedColumns",
        )
    else:
        knime.take("column_filter", "column filter")
    knime.unread("includeAll")  # read with selectedColumns


def _learning_columns(spec: TableSpec, settings: PolyRegLearnerSettings) -> tuple[str, list[str]]:
    """`computeSelectedColumns` and configure's checks: (target, learning columns in table order)."""
    target = settings.targetColumn
    if target is None:
        numeric = [c.name for c in spec.columns if c.type in DOUBLE_COMPATIBLE]
        if not numeric:
            raise ConfigureError("No target column selected", setting="targetColumn")
        target = numeric[-1]
    learning = [c for c in settings.column_filter.apply(spec, allowed_types=DOUBLE_COMPATIBLE) if c != target]
    if not learning:
        raise ConfigureError(
            "No double-compatible variables (learning columns) in input table", setting="column_filter"
        )
    column = spec.get(target)
    if column is None:
        raise ConfigureError(f"Target column '{target}' does not exist.", setting="targetColumn")
    if column.type not in DOUBLE_COMPATIBLE:
        raise ConfigureError(f"Target column '{target}' is not numeric.", setting="targetColumn")
    for name in (PREDICTION_COLUMN, ERROR_COLUMN):
        if name in spec:
            raise ConfigureError(f"Duplicate column name: the input already has a column '{name}'")
    return target, learning


def _polynomial_model_spec(spec: TableSpec, target: str, learning: list[str], degree: int) -> ModelSpec:
    return ModelSpec(
        POLYNOMIAL_KIND,
        learning_columns=spec.select(learning),
        target=ColumnSpec(target, ColumnType.DOUBLE),
        details={"degree": degree},
    )


class PolynomialRegressionLearner(Node):
    """KNIME's Polynomial Regression Learner (PolyRegLearnerNodeFactory2)."""

    type_name = "polynomial_regression_learner"
    display_name = "Polynomial Regression Learner"
    category = Category.LEARNER
    description = (
        "Fits the target by least squares on the powers 1..degree of every learning column plus an intercept. "
        "Port 1: the model (for the polynomial regression predictor); port 2: the input plus `PolyReg prediction` "
        "and `Prediction Error` (|prediction - target|); port 3: Coefficients and Statistics (Variable, Exponent, "
        "Coeff., Std. Err., t-value, P>|t|; power by power, then Intercept). With no more rows than parameters "
        "KNIME's fit fails: it warns and reports zero coefficients, and so does this node."
    )
    keywords = ("polynomial regression", "least squares", "curve fitting", "degree", "coefficients")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.regression.polynomial.learner2.PolyRegLearnerNodeFactory2",
            "Polynomial Regression Learner",
            _polyreg_learner_from_knime,
        ),
    )
    inputs = (
        Port(TABLE, "Training data", "The input samples; the learning columns are chosen in the settings."),
    )
    outputs = (
        Port(REGRESSION_MODEL, "Regression model", "The computed regression coefficients."),
        Port(TABLE, "Data with training error", "Training data with the prediction and its error."),
        Port(TABLE, "Coefficients and Statistics", "The coefficients with statistics of the training data."),
    )
    Settings = PolyRegLearnerSettings

    def configure(self, in_specs: list[Any], settings: PolyRegLearnerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN, POLY_STATISTICS_SPEC]
        target, learning = _learning_columns(spec, settings)
        appended = spec.append((PREDICTION_COLUMN, ColumnType.DOUBLE), (ERROR_COLUMN, ColumnType.DOUBLE))
        return [
            _polynomial_model_spec(spec, target, learning, settings.degree),
            appended,
            POLY_STATISTICS_SPEC,
        ]

    def execute(self, inputs: list[Any], settings: PolyRegLearnerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            target, learning = _learning_columns(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        values = numeric_matrix(table.df, learning).reshape(len(table), len(learning))
        y = numeric_matrix(table.df, [target]).reshape(len(table))
        complete = ~(np.isnan(values).any(axis=1) | np.isnan(y))
        if not complete.all() and settings.missing_value_handling == "fail":
            row = table.row_ids[int(np.flatnonzero(~complete)[0])]
            raise NodeError(
                f'Missing value in row "{row}": the learner fails on missing values (missing_value_handling '
                '"fail"); use "ignore" or a Missing Value node',
                setting="missing_value_handling",
            )
        parameters = 1 + len(learning) * settings.degree
        n = int(complete.sum())
        content = PolynomialRegressionContent(
            target,
            [(c, table.types[c]) for c in learning],
            settings.degree,
            np.zeros(parameters),
            np.zeros((0, 0)),
        )
        content.value_count = n
        if n <= parameters:  # MillerUpdatingRegression.regress: NOT_ENOUGH_DATA_FOR_NUMBER_OF_PREDICTORS
            ctx.warn(f"not enough data ({n} rows) for this many predictors ({parameters} predictors)")
            statistics = _unfitted_statistics_table(learning, settings.degree)
        else:
            fit = _least_squares_with_intercept(
                _polynomial_design(values[complete], settings.degree), y[complete]
            )
            content.beta, content.covariance = fit.beta, fit.covariance
            content.r_squared, content.adjusted_r_squared = fit.r_squared, fit.adjusted_r_squared
            statistics = _statistics_table(content)
            if np.isnan(fit.beta).any():
                ctx.warn("some powers are linear combinations of the others: their coefficients are missing")
        predictions = content.predict(table.df)
        predictions[~complete] = np.nan
        df = table.df.copy()
        df[PREDICTION_COLUMN] = predictions
        df[ERROR_COLUMN] = np.abs(predictions - y)
        summary = (
            f"polynomial regression (degree {settings.degree}) of {target} on {len(learning)} column(s), "
            f"R^2 = {content.r_squared:.6g} (n = {n})"
        )
        model = Model(
            POLYNOMIAL_KIND,
            content,
            summary,
            spec=_polynomial_model_spec(table.spec, target, learning, settings.degree),
        )
        output = table.with_frame(df, {PREDICTION_COLUMN: ColumnType.DOUBLE, ERROR_COLUMN: ColumnType.DOUBLE})
        return [model, output, statistics]


# =================================================================================== fuzzy c-means

FUZZY_KIND = "fuzzy_c_means"
MEMBERSHIP_PREFIX = "cluster_"  # FuzzyClusterNodeModel.CLUSTER_KEY
NOISE_CLUSTER = "NoiseCluster"  # FuzzyClusterNodeModel.NOISESPEC_KEY
WINNER_COLUMN = "Winner Cluster"
CONVERGED = 1e-7  # the main loop runs while the prototypes move by more in total
_SMALLEST_DOUBLE = float(np.nextafter(0.0, 1.0))  # Java's Double.MIN_VALUE


@dataclass(frozen=True)
class FuzzyClusterPrototypes:
    """The prototypes of the real clusters (the noise cluster has none), over named columns."""

    columns: tuple[str, ...]
    centers: np.ndarray
    coverage: tuple[int, ...]  # rows whose winner each cluster is


class FuzzyClusterSettings(NodeSettings):
    """KNIME's FuzzyClusterNodeModel keys (`exclude` holds the columns used, despite its name)."""

    nrclusters: int = Field(3, ge=1, le=9999, title="Number of clusters", description="Number of prototypes.")
    maxiterations: int = Field(
        99, ge=1, le=9999, title="Maximum number of iterations", description="Iteration limit."
    )
    fuzzifier: float = Field(
        2.0, gt=1.0, le=10.0, title="Fuzzifier", description="How much the clusters may overlap (m > 1)."
    )
    useRandomSeed: bool = Field(
        False,
        title="Use seed for random initialization",
        description="Start from `randomSeed`; otherwise the seed comes from the run (`--seed`) or is random.",
    )
    randomSeed: int = Field(
        0, title="Random seed", description="Seed of java.util.Random for the prototypes."
    )
    keep_all_columns: bool = Field(
        False, title="Always include all columns", description="Use every numeric column."
    )
    exclude: list[str] | None = Field(
        None,
        title="Used attributes",
        description="The columns clustered (KNIME's key `exclude`). Null: every numeric column, with a warning.",
    )
    noise: bool = Field(False, title="Induce noise cluster", description="Add a noise cluster.")
    delta: float = Field(
        0.2,
        title="Delta",
        description="Distance of every row to the noise cluster; not above 0: delta is computed from `lambda`.",
    )
    lambda_: float = Field(
        -1.0,
        alias="lambda",
        title="Lambda",
        description="Used when delta is computed: delta^2 = lambda times the mean squared distance of the rows "
        "to the prototypes; not above 0: a fixed delta.",
    )
    memory: bool = Field(
        True,
        title="Perform the clustering in memory",
        description="KNIME's in-memory variant counts a missing value as 0; the other one leaves it out of the "
        "distances.",
    )
    measures: bool = Field(
        True,
        title="Compute cluster quality measures",
        description="KNIME's view only (knitflow computes no quality measures).",
    )


def _fuzzy_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["nrclusters", "maxiterations", "fuzzifier", "useRandomSeed", "randomSeed", "keep_all_columns"]
        + ["noise", "delta", "lambda", "memory", "measures"]
    )
    if "exclude" in knime.tree:
        knime.put("exclude", [str(c) for c in seq(knime.tree["exclude"])], "exclude")
    tree = knime.tree
    automatic_delta = not float(tree.get("delta", 0.2)) > 0 and float(tree.get("lambda", -1.0)) > 0
    if tree.get("noise") and automatic_delta and tree.get("memory") is False:
        knime.lost(
            "the noise cluster's automatic delta of KNIME's clustering outside memory (memory = false) sums its "
            "Distance class, which knitflow does not reproduce; the in-memory update is used"
        )
    knime.unread()


@dataclass(frozen=True)
class _Noise:
    enabled: bool
    automatic: bool  # delta updated from lambda after every iteration
    delta: float
    lambda_: float


def _noise_of(settings: FuzzyClusterSettings) -> _Noise:
    """loadValidatedSettingsFrom: delta > 0 is a fixed delta, else it is computed, unless lambda is
    not above 0 either (then the default 0.2 stays); the computation starts from delta 0.5."""
    automatic = not settings.delta > 0
    delta = settings.delta if settings.delta > 0 else 0.2
    lam = settings.lambda_ if settings.lambda_ > 0 else 0.0
    if not settings.lambda_ > 0:
        automatic = False
    return _Noise(settings.noise, automatic, 0.5 if automatic else delta, lam)


def _fuzzy_columns(spec: TableSpec, settings: FuzzyClusterSettings) -> tuple[list[str], str | None]:
    """configure: (the columns used in table order, a warning when they were chosen automatically)."""
    warning = None
    if settings.keep_all_columns or settings.exclude is None:
        chosen = [c.name for c in spec.columns if c.type in DOUBLE_COMPATIBLE]
        if not settings.keep_all_columns:
            warning = "List of columns to use has been set automatically, please check it in the node configuration."
    else:
        missing = [n for n in settings.exclude if n not in spec]
        if missing:
            raise ConfigureError(
                f"Input table does not match selected columns, unable to find column(s): [{', '.join(missing)}]",
                setting="exclude",
            )
        wanted = set(settings.exclude)
        chosen = [c.name for c in spec.columns if c.name in wanted]
        for name in chosen:
            if spec.type_of(name) not in DOUBLE_COMPATIBLE:
                raise ConfigureError(f"the column '{name}' is not numeric", setting="exclude")
    if not chosen:
        raise ConfigureError(
            "No attributes set to work on. Please check the second tab 'Used Attributes' in the dialog",
            setting="exclude",
        )
    return chosen, warning


def _membership_names(settings: FuzzyClusterSettings) -> list[str]:
    names = [f"{MEMBERSHIP_PREFIX}{i}" for i in range(settings.nrclusters)]
    return [*names, NOISE_CLUSTER] if settings.noise else names


def _squared_distances(data: np.ndarray, centers: np.ndarray, present: np.ndarray | None) -> np.ndarray:
    """(rows x clusters) squared Euclidean distances summed dimension by dimension; `present`
    (outside memory) leaves a row's missing values out."""
    total = np.zeros((len(data), len(centers)))
    for dim in range(data.shape[1]):
        diff = centers[None, :, dim] - data[:, dim, None]
        if present is not None:
            diff = np.where(present[:, dim, None], diff, 0.0)
        total = total + diff * diff
    return total


def _on_prototype(data: np.ndarray, centers: np.ndarray, present: np.ndarray | None) -> np.ndarray:
    """Per row the first prototype it lies on exactly (-1: none); outside memory only the values a
    row has are compared, and a row without any lies on none."""
    known = np.ones(data.shape, dtype=bool) if present is None else present
    hit = np.full(len(data), -1, dtype=np.int64)
    for c in range(len(centers) - 1, -1, -1):  # the first prototype wins: written last
        equal = np.where(known, data == centers[c][None, :], True).all(axis=1) & known.any(axis=1)
        hit[equal] = c
    return hit


def _memberships(
    data: np.ndarray, centers: np.ndarray, fuzzifier: float, noise: _Noise, present: np.ndarray | None
) -> np.ndarray:
    """updateWeightMatrix: u_ij = 1 / sum_k (d_ij / d_ik)^(1/(m-1)), summed over k in order."""
    distances = _squared_distances(data, centers, present)
    if noise.enabled:
        distances = np.column_stack([distances, np.full(len(data), noise.delta**2)])
    exponent = 1.0 / (fuzzifier - 1.0)
    weights = np.empty_like(distances)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(distances.shape[1]):
            total = np.zeros(len(data))
            for k in range(distances.shape[1]):
                total = total + (distances[:, j] / distances[:, k]) ** exponent
            weights[:, j] = 1.0 / total
    hit = _on_prototype(data, centers, present)
    rows = np.flatnonzero(hit >= 0)
    weights[rows] = 0.0
    weights[rows, hit[rows]] = 1.0
    return weights


def _moved_prototypes(
    data: np.ndarray, centers: np.ndarray, weights: np.ndarray, fuzzifier: float
) -> np.ndarray:
    """updateClusterCenters: sum_i u_ij^m x_i / sum_i u_ij^m, added row after row (cumsum)."""
    moved = np.empty_like(centers)
    for c in range(len(centers)):
        weight = weights[:, c] ** fuzzifier
        if len(data) == 0:
            numerator, denominator = np.zeros(data.shape[1]), 0.0
        else:
            numerator = np.cumsum(weight[:, None] * data, axis=0)[-1]
            denominator = float(np.cumsum(weight)[-1])
        with np.errstate(divide="ignore", invalid="ignore"):
            moved[c] = numerator / denominator
    return moved


def fuzzy_c_means(
    data: np.ndarray,
    initial: np.ndarray,
    fuzzifier: float,
    max_iterations: int,
    noise: _Noise,
    present: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """The main loop: (prototypes, memberships of the last iteration, iterations). The memberships
    are those the last prototype update started from, as KNIME outputs them."""
    centers = initial.astype(float).copy()
    weights = np.zeros((len(data), len(centers) + (1 if noise.enabled else 0)))
    delta = noise.delta
    change = float(np.finfo(float).max)
    iteration = 0
    while change > CONVERGED and iteration < max_iterations:
        current = _Noise(noise.enabled, noise.automatic, delta, noise.lambda_)
        weights = _memberships(data, centers, fuzzifier, current, present)
        moved = _moved_prototypes(data, centers, weights, fuzzifier)
        if noise.enabled and noise.automatic:
            squared = _squared_distances(data, centers, present)  # to the prototypes before they moved
            spread = float(np.cumsum(squared.T.ravel())[-1]) if squared.size else 0.0
            with np.errstate(divide="ignore", invalid="ignore"):
                delta = float(np.sqrt(noise.lambda_ * np.divide(spread, len(data) * len(centers))))
        differences = np.abs(centers - moved).ravel()
        change = float(np.cumsum(differences)[-1]) if differences.size else 0.0
        centers = moved
        iteration += 1
    return centers, weights, iteration


def initial_prototypes(random: JavaRandom, clusters: int, dimension: int) -> np.ndarray:
    """FCMAlgorithm.init: every coordinate of every prototype (the noise cluster's too) a
    `nextDouble()`, prototype by prototype."""
    return np.array([[random.nextDouble() for _ in range(dimension)] for _ in range(clusters)]).reshape(
        clusters, dimension
    )


def _winners(weights: np.ndarray) -> np.ndarray:
    """ClusterMembershipFactory: the first largest membership above Double.MIN_VALUE (-1: none)."""
    if len(weights) == 0:
        return np.zeros(0, dtype=np.int64)
    comparable = np.where(np.isnan(weights), -np.inf, weights)
    best = np.argmax(comparable, axis=1)
    top = comparable[np.arange(len(weights)), best]
    return np.where(top > _SMALLEST_DOUBLE, best, -1)


class FuzzyCMeans(Node):
    """KNIME's Fuzzy c-Means (FuzzyClusterNodeFactory2)."""

    type_name = "fuzzy_c_means"
    display_name = "Fuzzy c-Means"
    category = Category.LEARNER
    description = (
        "Fuzzy clustering: every row belongs to each of c clusters with a membership between 0 and 1 (summing to "
        "1). Prototypes start at java.util.Random draws in [0, 1) (seeded when asked; normalize the data first), "
        "then memberships and prototypes are updated until the prototypes move less than 1e-7. Port 1: the input "
        "plus `cluster_0`, ..., optionally `NoiseCluster`, and `Winner Cluster` (the largest membership); port "
        "2: the prototypes as a cluster model."
    )
    keywords = ("clustering", "fuzzy", "c-means", "fcm", "membership", "soft clustering", "noise cluster")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.cluster.fuzzycmeans.FuzzyClusterNodeFactory2",
            "Fuzzy c-Means",
            _fuzzy_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.cluster.fuzzycmeans.FuzzyClusterNodeFactory",
            "Fuzzy c-Means",
            _fuzzy_from_knime,
            note="the older factory of the same node model (FuzzyClusterNodeModel) and settings keys",
        ),
    )
    inputs = (Port(TABLE, "Training data", "The rows to cluster (numeric columns; normalize them first)."),)
    outputs = (
        Port(
            TABLE, "Cluster memberships", "The input plus one membership column per cluster and the winner."
        ),
        Port(
            CLUSTER_MODEL, "PMML Cluster Model", "The prototypes of the clusters (without the noise cluster)."
        ),
    )
    Settings = FuzzyClusterSettings

    def is_deterministic(self, settings: FuzzyClusterSettings) -> bool:
        return settings.useRandomSeed

    def configure(self, in_specs: list[Any], settings: FuzzyClusterSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        columns, _ = _fuzzy_columns(spec, settings)
        new = [*_membership_names(settings), WINNER_COLUMN]
        taken = [n for n in new if n in spec]
        if taken:
            raise ConfigureError(f"Duplicate column name(s) in the output: {', '.join(taken)}")
        appended = spec.append(
            *[(n, ColumnType.DOUBLE) for n in new[:-1]], (WINNER_COLUMN, ColumnType.STRING)
        )
        return [appended, self._model_spec(columns, settings.nrclusters)]

    @staticmethod
    def _model_spec(columns: list[str], k: int) -> ModelSpec:
        return ModelSpec(
            FUZZY_KIND,
            TableSpec.of((c, ColumnType.DOUBLE) for c in columns),
            details={"columns": tuple(columns), "k": k},
        )

    def execute(self, inputs: list[Any], settings: FuzzyClusterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            self.configure([table.spec], settings, ctx)
            columns, warning = _fuzzy_columns(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        if warning:
            ctx.warn(warning)
        raw = numeric_matrix(table.df, columns).reshape(len(table), len(columns))
        present = None if settings.memory else ~np.isnan(raw)
        data = np.where(np.isnan(raw), 0.0, raw)
        noise = _noise_of(settings)
        random = JavaRandom(settings.randomSeed if settings.useRandomSeed else ctx.seed())
        total_clusters = settings.nrclusters + (1 if noise.enabled else 0)
        initial = initial_prototypes(random, total_clusters, len(columns))[: settings.nrclusters]
        centers, weights, iterations = fuzzy_c_means(
            data, initial, settings.fuzzifier, settings.maxiterations, noise, present
        )
        ctx.log(f"Fuzzy c-Means finished after {iterations} iteration(s)")
        winners = _winners(weights)
        labels = [
            NOISE_CLUSTER if noise.enabled and w == settings.nrclusters else f"{MEMBERSHIP_PREFIX}{w}"
            for w in winners.tolist()
        ]
        df = table.df.copy()
        names = _membership_names(settings)
        for i, name in enumerate(names):
            df[name] = weights[:, i]
        df[WINNER_COLUMN] = pd.Series(labels, index=df.index, dtype=object)
        coverage = tuple(int((winners == c).sum()) for c in range(settings.nrclusters))
        prototypes = FuzzyClusterPrototypes(tuple(columns), centers, coverage)
        summary = f"{settings.nrclusters} fuzzy clusters over {len(columns)} columns; winners {coverage}"
        model = Model(FUZZY_KIND, prototypes, summary, spec=self._model_spec(columns, settings.nrclusters))
        types = {**dict.fromkeys(names, ColumnType.DOUBLE), WINNER_COLUMN: ColumnType.STRING}
        return [table.with_frame(df, types), model]
