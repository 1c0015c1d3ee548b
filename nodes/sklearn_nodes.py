"""KNIME's scikit-learn Labs nodes: Sklearn Lasso Regression Learner and Sklearn Regression Predictor
(extension org.knime.python.sklearn), which wrap `sklearn.linear_model.Lasso`."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

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
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import interruptible
from nodes._mining import NOMINAL

SKLEARN_REGRESSION = PortType.register(
    PortType("model.sklearn_regression", "Scikit-learn regression model", "#f7931e", "square")
)

FEATURE_TYPES = ColumnType.NUMERIC | NOMINAL


@dataclass
class RegressionModelObject:
    """KNIME's `RegressionModelObject`: the fitted estimator, its one-hot encoder and missing-value rule,
    plus the feature/target schema the predictor checks against."""

    estimator: Any
    feature_columns: list[tuple[str, str]]  # (name, type) in the learner's order
    target_column: tuple[str, str]
    missing_value_handling: str
    encoder: Any = None  # OneHotEncoder of the nominal feature columns, if any
    nominal: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    extra_targets: list[tuple[str, str]] = field(default_factory=list)  # PLS: further targets, in order

    def encode(self, df: pd.DataFrame, store: dict[str, Any] | None = None) -> np.ndarray:
        """KNIME's encode_*_feature_columns: numeric columns first, then the one-hot encoded nominal ones.
        With a loop `store`, plain numeric features land in its reusable buffer (see `_float_buffer`): the
        caller must be done with the result before the next encode."""
        parts = []
        if self.numeric:
            numbers = df[self.numeric]
            if all(isinstance(t, np.dtype) and t.kind in "biuf" for t in numbers.dtypes):
                # plain NumPy columns (e.g. 1,024 uint8 fingerprint bits): one conversion straight into the
                # Fortran order coordinate descent reads, so scikit-learn copies nothing again
                values = numbers.to_numpy()
                if store is not None and not self.nominal:
                    out = _float_buffer(store, values.shape)
                    np.copyto(out, values)
                    return out
                parts.append(np.asfortranarray(values, dtype=np.float64))
            else:
                parts.append(numbers.apply(pd.to_numeric).to_numpy(dtype=float, na_value=np.nan))
        if self.nominal:
            values = df[self.nominal].astype(object).where(df[self.nominal].notna(), None).to_numpy()
            parts.append(self.encoder.transform(values))
        if len(parts) == 1:
            return parts[0]  # no copy: 1,024 fingerprint bits x 35,000 rows are 287 MB as floats
        return np.hstack(parts) if parts else np.zeros((len(df), 0))

    def features(self, table: Table, store: dict[str, Any] | None = None) -> Any:
        """The feature matrix of `table`, columns in `encode`'s order: a float64 CSC matrix when numeric
        features are held sparse (`engine.api.SparseTable`; 13_01's 1,024 Morgan bits, ~2 % set), which
        scikit-learn's Lasso fits by sparse coordinate descent (the intercept through the column means it
        passes the solver, X itself is never centred) and predicts from; else `encode` of the dense frame."""
        held = set(table.sparse_columns)
        if not any(c in held for c in self.numeric):
            return self.encode(table.frame_of([*self.numeric, *self.nominal]) if held else table.df, store)
        import scipy.sparse as sp

        x = table.float_matrix(self.numeric, sparse="csc")
        if self.nominal:
            frame = table.frame_of(self.nominal)
            values = frame.astype(object).where(frame.notna(), None).to_numpy()
            x = sp.hstack([x, sp.csc_matrix(self.encoder.transform(values))], format="csc")
            x.sort_indices()
        return x


def _float_buffer(store: dict[str, Any], shape: tuple[int, ...]) -> np.ndarray:
    """A Fortran-order float64 array of `shape` in the loop's reusable feature buffer. A loop fitting a
    Lasso per pass (13_01: 45 fits, up to 35,000 x 1,024 = 287 MB) would otherwise map fresh memory for
    each feature matrix, and the kernel's page faults (with transparent huge pages: compaction) cost
    more than the conversion itself: 2-5 s of 13_01's loop. It grows to the largest matrix."""
    size = math.prod(shape)
    buf = store.get(FEATURE_BUFFER)
    if buf is None or buf.size < size:
        store.pop(FEATURE_BUFFER, None)  # the old one goes before the new one comes
        buf = store[FEATURE_BUFFER] = np.empty(size, dtype=np.float64)
    return buf[:size].reshape(shape, order="F")


FEATURE_BUFFER = "sklearn float features"


def _handle_missing(
    df: pd.DataFrame, columns: list[str], mode: str, setting: str | None = None
) -> pd.DataFrame:
    """`_skip_missing` for a plain frame (the Labs learners work on frames)."""
    dtypes = df.dtypes
    # NumPy integer and boolean columns (e.g. 1,024 fingerprint bits) cannot hold a missing value
    maybe = [c for c in columns if not (isinstance(dtypes[c], np.dtype) and dtypes[c].kind in "iub")]
    missing = df[maybe].isna().any(axis=1) if maybe else pd.Series(False, index=df.index)
    if missing.any():
        if mode != "SkipRow":
            raise NodeError("There are missing values in the input data.", setting=setting)
        df = df[~missing]
    if df.empty:
        raise NodeError(
            "All rows are skipped due to missing values." if missing.any() else "The input table is empty."
        )
    return df


def _skip_missing(table: Table, columns: list[str], mode: str, setting: str | None = None) -> Table:
    """KNIME's utils.handle_missing_values: SkipRow drops rows with a missing value in `columns`,
    Fail raises; an empty result is an error. Columns held sparse stay sparse."""
    missing = table.missing_rows(columns)
    if missing.any():
        if mode != "SkipRow":
            raise NodeError("There are missing values in the input data.", setting=setting)
        table = table.take(~missing)
    if len(table) == 0:
        raise NodeError(
            "All rows are skipped due to missing values." if missing.any() else "The input table is empty."
        )
    return table


class LassoLearnerSettings(NodeSettings):
    """Settings of KNIME's Sklearn Lasso Regression Learner (Labs) (`general_settings`, `algo_settings`)."""

    feature_columns: list[str] | None = Field(
        None,
        description="Feature columns (numeric, String or Boolean; nominal ones are one-hot encoded). Empty/null: all "
        "numeric and nominal columns except the target.",
    )
    target_column: str | None = Field(
        None, description="The numeric target column. Null: the rightmost numeric column."
    )
    missing_value_handling: Literal["SkipRow", "Fail"] = Field(
        "SkipRow",
        description="SkipRow: rows with a missing feature or target are not used; Fail: they are an error.",
    )
    alpha: float = Field(
        1.0,
        ge=0,
        description="Constant that multiplies the L1 term (scikit-learn Lasso `alpha`); 0 = least squares.",
    )
    fit_intercept: bool = Field(True, description="Calculate the intercept (scikit-learn `fit_intercept`).")
    max_iter: int = Field(
        1000, ge=1, description="Maximum number of coordinate descent iterations (`max_iter`)."
    )


def _resolve(spec: TableSpec, settings: LassoLearnerSettings) -> tuple[list[str], str]:
    """Target and feature columns as the KNIME node resolves them, with its configure-time checks."""
    numeric = [c.name for c in spec.columns if c.is_numeric()]
    target = settings.target_column
    if target is None:
        if not numeric:
            raise ConfigureError("expected at least one numerical column as target", setting="target_column")
        target = numeric[-1]
    col = spec.get(target)
    if col is None:
        raise ConfigureError(
            f"target column {target!r} not found in the input table", setting="target_column"
        )
    if not col.is_numeric():
        raise ConfigureError(
            f"the target column {target!r} is not numeric (type {col.type})", setting="target_column"
        )
    features = settings.feature_columns
    if features is None:
        features = [c.name for c in spec.columns if c.type in FEATURE_TYPES and c.name != target]
    if not features:
        raise ConfigureError("Feature column(s) have not been specified.", setting="feature_columns")
    missing = [f for f in features if f not in spec]
    if missing:
        raise ConfigureError(
            f"feature column(s) {', '.join(map(repr, missing))} not found in the input table",
            setting="feature_columns",
        )
    wrong = [f"{f!r} ({spec.type_of(f)})" for f in features if spec.type_of(f) not in FEATURE_TYPES]
    if wrong:
        raise ConfigureError(
            f"feature column(s) {', '.join(wrong)} are neither numeric nor nominal", setting="feature_columns"
        )
    if target in features:
        raise ConfigureError(
            f'Numerical column "{target}" cannot be selected as both target and feature column.',
            setting="feature_columns",
        )
    return list(features), target


def _lasso_learner_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["feature_columns", "target_column", "missing_value_handling"], tree_path="general_settings"
    )
    knime.take_all(["alpha", "fit_intercept", "max_iter"], tree_path="algo_settings")


class LassoLearner(Node):
    """KNIME's Sklearn Lasso Regression Learner (Labs)."""

    type_name = "lasso_learner"
    display_name = "Sklearn Lasso Regression Learner (Labs)"
    category = Category.LEARNER
    description = (
        "Fits scikit-learn's `Lasso(alpha, fit_intercept, max_iter)` (all other parameters at scikit-learn's "
        "defaults: tol 1e-4, cyclic coordinate descent) on the feature columns: numeric ones as they are (in the "
        "order given), then the String/Boolean ones one-hot encoded. Rows with missing values are skipped or fail "
        "the node."
    )
    keywords = ("lasso", "L1", "linear regression", "scikit-learn", "sklearn", "regularization")
    preload = ("sklearn.linear_model",)
    knime = (
        KnimeMapping(
            "org.knime.python.sklearn:LassoLearner",
            "Sklearn Lasso Regression Learner (Labs)",
            _lasso_learner_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "Feature columns and a numeric target column."),)
    outputs = (Port(SKLEARN_REGRESSION, "Trained model", "The fitted Lasso with its feature/target schema."),)
    Settings = LassoLearnerSettings

    def configure(self, in_specs: list[Any], settings: LassoLearnerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        features, target = _resolve(spec, settings)
        return [_model_spec(spec, features, target)]

    def execute(self, inputs: list[Any], settings: LassoLearnerSettings, ctx: NodeContext) -> list[Any]:
        from scipy.sparse import issparse
        from sklearn.linear_model import Lasso

        table: Table = inputs[0]
        spec = table.spec
        features, target = _resolve(spec, settings)
        table = _skip_missing(
            table, [*features, target], settings.missing_value_handling, "missing_value_handling"
        )
        model = RegressionModelObject(
            estimator=None,
            feature_columns=[(f, spec.type_of(f)) for f in features],
            target_column=(target, spec.type_of(target)),
            missing_value_handling=settings.missing_value_handling,
            numeric=[f for f in features if spec.type_of(f) in ColumnType.NUMERIC],
            nominal=[f for f in features if spec.type_of(f) in NOMINAL],
        )
        if model.nominal:
            from sklearn.preprocessing import OneHotEncoder

            model.encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            model.encoder.fit(table.frame_of(model.nominal).astype(object).to_numpy())
        store = ctx.loop_store()  # loop passes repeat the same shapes: one feature buffer for all
        x = model.features(table, store)
        # KNIME passes df[[target]]
        y = pd.to_numeric(table.column(target)).to_numpy(dtype=float).reshape(-1, 1)
        # x is usually an array of our own (encode converted it, or a sparse matrix made for this fit): then
        # scikit-learn may center it in place instead of copying it first (287 MB at 35,000 x 1,024 dense);
        # same numbers either way
        own = issparse(x) or (
            (x.flags.owndata or (store is not None and x.base is store.get(FEATURE_BUFFER)))
            and x.flags.writeable
        )
        estimator = Lasso(
            alpha=settings.alpha,
            fit_intercept=settings.fit_intercept,
            max_iter=settings.max_iter,
            copy_X=not own,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            interruptible(ctx, lambda: estimator.fit(x, y))  # a cancel need not wait for the fit (13_01)
        for w in caught:
            ctx.log(f"{w.category.__name__}: {w.message}")
        model.estimator = estimator
        n = len(features)
        summary = (
            f"Lasso(alpha={settings.alpha:g}) of {target} on {n} feature{'s' if n != 1 else ''}, "
            f"{int(np.count_nonzero(estimator.coef_))} non-zero coefficient(s)"
        )
        return [Model("sklearn_regression", model, summary, spec=_model_spec(spec, features, target))]


def _model_spec(spec: TableSpec, features: list[str], target: str) -> ModelSpec:
    """What the Regression Predictor checks before anything runs: the feature columns (names and
    types, as KNIME's `RegressionModelObject` keeps them) and the target."""
    return ModelSpec("sklearn_regression", spec.select(features), spec.get(target))


class RegressionPredictorSettings(NodeSettings):
    """Settings of KNIME's Sklearn Regression Predictor (Labs) (`predictor_settings`)."""

    prediction_column: str = Field(
        "",
        description="Name of the appended prediction column; empty: `<target>_pred`.",
        json_schema_extra=widget("new_column"),
    )


def _schema(model: RegressionModelObject | ModelSpec) -> tuple[list[tuple[str, str]], list[str]]:
    """(feature columns with their types, target names) of a fitted model or of a learner's
    configure-time `ModelSpec` (PLS names all its targets in `details["targets"]`)."""
    if isinstance(model, RegressionModelObject):
        targets = [model.target_column[0], *(t for t, _ in model.extra_targets)]
        return list(model.feature_columns), targets
    features = [(c.name, c.type) for c in model.learning_columns.columns]
    targets = list(model.details.get("targets") or ([model.target.name] if model.target else []))
    return features, targets


def _check_schema(
    model: RegressionModelObject | ModelSpec, spec: TableSpec, settings: RegressionPredictorSettings
) -> list[str]:
    """The prediction columns: `<target>_pred` (or the custom name) per target."""
    features, targets = _schema(model)
    present = {(c.name, c.type) for c in spec.columns}
    missing = [n for n, t in features if (n, t) not in present]
    if missing:
        raise ConfigureError(
            f"The input table does not contain all selected feature columns. Missing columns: {missing}"
        )
    custom = settings.prediction_column.strip()
    names = [settings.prediction_column if custom else f"{targets[0]}_pred"]
    if len(targets) > 1 and custom:
        raise ConfigureError(
            "a custom prediction column name would name every target's prediction alike",
            setting="prediction_column",
        )
    names += [f"{t}_pred" for t in targets[1:]]
    for name in names:
        if name in spec:
            raise ConfigureError(
                f"the prediction column {name!r} already exists in the input table",
                setting="prediction_column",
            )
    return names


def _regression_predictor_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["prediction_column"], tree_path="predictor_settings")


class RegressionPredictor(Node):
    """KNIME's Sklearn Regression Predictor (Labs)."""

    type_name = "regression_predictor"
    display_name = "Sklearn Regression Predictor (Labs)"
    category = Category.PREDICTOR
    description = (
        "Applies a scikit-learn regression model: appends one Double prediction column (named "
        "`prediction_column`, default `<target>_pred`). As in KNIME, the learner's missing-value rule is applied to "
        "the feature columns and, if present, the target column: SkipRow drops such rows, Fail raises."
    )
    keywords = ("predict", "regression", "scikit-learn", "sklearn", "lasso")
    knime = (
        KnimeMapping(
            "org.knime.python.sklearn:RegressionPredictor",
            "Sklearn Regression Predictor (Labs)",
            _regression_predictor_from_knime,
        ),
    )
    inputs = (
        Port(SKLEARN_REGRESSION, "Trained model", "A scikit-learn regression model."),
        Port(TABLE, "Input data", "Must contain the model's feature columns (same names and types)."),
    )
    outputs = (Port(TABLE, "Output data", "The input rows kept plus the prediction column."),)
    Settings = RegressionPredictorSettings

    def configure(
        self, in_specs: list[Any], settings: RegressionPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model_obj, spec = in_specs
        # a learner's ModelSpec (configure, or a model that carries one), or an older model's object
        model = model_obj.spec if isinstance(model_obj, Model) else model_obj
        if not isinstance(model, RegressionModelObject | ModelSpec) or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        names = _check_schema(model, spec, settings)
        return [spec.append(*((name, ColumnType.DOUBLE) for name in names))]

    def execute(
        self, inputs: list[Any], settings: RegressionPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model: RegressionModelObject = inputs[0].payload
        table: Table = inputs[1]
        names = _check_schema(model, table.spec, settings)
        columns = [n for n, _ in model.feature_columns]
        columns += [t for t, _ in [model.target_column, *model.extra_targets] if t in table.spec]
        if len(table):
            table = _skip_missing(table, columns, model.missing_value_handling)
        predicted = np.zeros((len(table), len(names)), dtype=np.float64)
        if len(table):
            features = model.features(table, ctx.loop_store())
            predicted = np.asarray(model.estimator.predict(features), dtype=float).reshape(len(table), -1)
        for j, name in enumerate(names):
            table = table.with_column(name, predicted[:, j], ColumnType.DOUBLE)
        return [table]
