"""More of KNIME's scikit-learn Labs nodes (extension org.knime.python.sklearn, knime-python-sklearn):
the Partial Least Squares and Gaussian Process Regression learners (their models feed the Sklearn
Regression Predictor of `nodes.sklearn_nodes`), the Gaussian Process Classification learner and the
Sklearn Classification Predictor.

They call scikit-learn the way the extension does: features are the numeric columns as they are
followed by the one-hot encoded String/Boolean columns, rows with missing values are skipped or
fail the node, and the estimators get the extension's arguments and nothing else. The extension
looks kernels up by name in a table that misspells "ConsantKernel", so choosing the constant
kernel gives scikit-learn's default kernel; this is reproduced.
"""

from __future__ import annotations

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
from nodes._learning import append_unique
from nodes._mining import NOMINAL
from nodes.sklearn_nodes import FEATURE_TYPES, SKLEARN_REGRESSION, RegressionModelObject, _handle_missing

SKLEARN_CLASSIFICATION = PortType.register(
    PortType("model.sklearn_classification", "Scikit-learn classification model", "#f7931e", "square")
)
EXTENSION = "org.knime.python.sklearn"

# util.kernels of the extension (note its key "ConsantKernel": the constant kernel is never found)
_KERNELS = {"RationalQuadratic", "ConsantKernel", "DotProduct", "RBF", "WhiteKernel"}


def _kernel(name: str) -> Any:
    from sklearn.gaussian_process import kernels

    return getattr(kernels, name)() if name in _KERNELS else None


def _fit_quietly(estimator: Any, x: Any, y: Any, ctx: NodeContext) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        interruptible(ctx, lambda: estimator.fit(x, y))  # a cancel need not wait for the fit
    for w in caught:
        ctx.log(f"{w.category.__name__}: {w.message}")
    return estimator


def _model_object(
    spec: TableSpec, df: pd.DataFrame, features: list[str], targets: list[str], mvh: str
) -> RegressionModelObject:
    model = RegressionModelObject(
        estimator=None,
        feature_columns=[(f, spec.type_of(f)) for f in features],
        target_column=(targets[0], spec.type_of(targets[0])),
        missing_value_handling=mvh,
        numeric=[f for f in features if spec.type_of(f) in ColumnType.NUMERIC],
        nominal=[f for f in features if spec.type_of(f) in NOMINAL],
        extra_targets=[(t, spec.type_of(t)) for t in targets[1:]],
    )
    if model.nominal:
        from sklearn.preprocessing import OneHotEncoder

        model.encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        model.encoder.fit(df[model.nominal].astype(object).to_numpy())
    return model


def _check_features(spec: TableSpec, features: list[str], targets: list[str], kind: str) -> None:
    if not features:
        raise ConfigureError("Feature column(s) have not been specified.", setting="feature_columns")
    missing = [f for f in [*features, *targets] if f not in spec]
    if missing:
        raise ConfigureError(f"column(s) {', '.join(map(repr, missing))} not found in the input table")
    wrong = [f for f in features if spec.type_of(f) not in FEATURE_TYPES]
    if wrong:
        raise ConfigureError(
            f"feature column(s) {wrong} are neither numeric nor nominal", setting="feature_columns"
        )
    for t in targets:
        if t in features:
            raise ConfigureError(
                f'{kind} column "{t}" cannot be selected as both target and feature column.',
                setting="feature_columns",
            )


# ------------------------------------------------------------------------------------------- PLS


class PLSLearnerSettings(NodeSettings):
    """The extension's PartialLeastSquaresRegressionLearner (`general_settings`, `algorithm_settings`)."""

    feature_columns: list[str] | None = Field(
        None, description="Feature columns (numeric or nominal). Null: see below."
    )
    target_columns: list[str] | None = Field(
        None,
        description="Numeric target column(s). Null: the rightmost numeric column, or the two rightmost with two "
        "components when there are at least two numeric and four numeric or nominal columns.",
    )
    missing_value_handling: Literal["SkipRow", "Fail"] = Field(
        "SkipRow", description="SkipRow: rows with missing values are not used; Fail: they are an error."
    )
    n_components: int = Field(
        1,
        ge=1,
        title="Number of components to keep",
        description="scikit-learn PLSRegression `n_components`.",
    )


def _pls_default_columns(
    numeric: list[str], usable: list[str], targets: list[str] | None, n: int
) -> tuple[list[str], list[str], int]:
    """The extension's defaults: the rightmost numeric column as target, or the two rightmost with two
    components when the table is wide enough; every other usable column a feature."""
    if len(numeric) >= 2 and len(usable) >= 4:
        n = 2
        targets = targets if targets is not None else numeric[-2:]
    else:
        targets = [numeric[-1]]
    return [c for c in usable if c not in targets], targets, n


def _check_numeric_targets(spec: TableSpec, targets: list[str]) -> None:
    """PLS regresses numbers only (a nominal target is the extension's classification learners' job)."""
    if any(not spec.get(t) or not spec.get(t).is_numeric() for t in targets):  # type: ignore[union-attr]
        raise ConfigureError("the target columns must be numeric", setting="target_columns")


def _pls_columns(spec: TableSpec, s: PLSLearnerSettings) -> tuple[list[str], list[str], int]:
    numeric = [c.name for c in spec.columns if c.is_numeric()]
    usable = [c.name for c in spec.columns if c.type in FEATURE_TYPES]
    if not numeric or (len(numeric) == 1 and len(usable) == 1):
        raise ConfigureError(
            f"The number of numerical columns are {len(numeric)}, expected at least one numerical column and another "
            "numerical or nominal column."
        )
    targets, features, n = s.target_columns, s.feature_columns, s.n_components
    if targets is None or (targets and features is None):  # the extension's `(targets and features) is None`
        features, targets, n = _pls_default_columns(numeric, usable, targets, n)
    if not targets:
        raise ConfigureError("Target column(s) have not been specified.", setting="target_columns")
    _check_features(spec, features or [], targets, "Numerical")
    assert features is not None
    _check_numeric_targets(spec, targets)
    if n > len(features):
        raise ConfigureError(
            f"The number of components ({n}) cannot be larger than the number of features ({len(features)}).",
            setting="n_components",
        )
    return features, targets, n


def _pls_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["feature_columns", "target_columns", "missing_value_handling"], tree_path="general_settings"
    )
    knime.take_all(["n_components"], tree_path="algorithm_settings")


class PLSRegressionLearner(Node):
    """KNIME's Sklearn Partial Least Squares Regression Learner (Labs)."""

    type_name = "pls_regression_learner"
    display_name = "Sklearn Partial Least Squares Regression Learner (Labs)"
    category = Category.LEARNER
    description = (
        "Fits scikit-learn's `PLSRegression(n_components)` (scaled, NIPALS, defaults otherwise) of one or more numeric "
        "targets on the feature columns (numeric as they are, then String/Boolean one-hot encoded). Predict with the "
        "Sklearn Regression Predictor: one `<target>_pred` column per target."
    )
    keywords = ("PLS", "partial least squares", "regression", "scikit-learn", "sklearn", "chemometrics")
    knime = (
        KnimeMapping(
            f"{EXTENSION}:PartialLeastSquaresRegressionLearner",
            "Sklearn Partial Least Squares Regression Learner (Labs)",
            _pls_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "Feature columns and numeric target column(s)."),)
    outputs = (Port(SKLEARN_REGRESSION, "Trained model", "The fitted PLS regression."),)
    Settings = PLSLearnerSettings

    def configure(self, in_specs: list[Any], settings: PLSLearnerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        features, targets, _ = _pls_columns(spec, settings)
        return [
            ModelSpec("sklearn_regression", spec.select(features), spec.get(targets[0]), {"targets": targets})
        ]

    def execute(self, inputs: list[Any], settings: PLSLearnerSettings, ctx: NodeContext) -> list[Any]:
        from sklearn.cross_decomposition import PLSRegression

        table: Table = inputs[0]
        features, targets, n = _pls_columns(table.spec, settings)
        if n > len(table.df):
            raise NodeError(
                f"The number of components to keep {n} must be smaller than or equal to the number of samples "
                f"(number of rows in the input table) {len(table.df)}."
            )
        df = _handle_missing(
            table.df, [*features, *targets], settings.missing_value_handling, "missing_value_handling"
        )
        model = _model_object(table.spec, df, features, targets, settings.missing_value_handling)
        y = df[targets].apply(pd.to_numeric).to_numpy(dtype=float)
        model.estimator = _fit_quietly(PLSRegression(n_components=n), model.encode(df), y, ctx)
        summary = f"PLS({n} components) of {', '.join(targets)} on {len(features)} features"
        return [Model("sklearn_regression", model, summary, spec=model)]


# ------------------------------------------------------------------------------ Gaussian processes


class GPRegressionLearnerSettings(NodeSettings):
    """The extension's GaussianProcessRegressionLearner (`general_settings`, `algo_settings`)."""

    feature_columns: list[str] | None = Field(
        None, description="Feature columns. Null: all numeric and nominal ones."
    )
    target_column: str | None = Field(
        None, description="The numeric target. Null: the rightmost numeric column."
    )
    missing_value_handling: Literal["SkipRow", "Fail"] = Field(
        "SkipRow", description="SkipRow: rows with missing values are not used; Fail: they are an error."
    )
    alpha: float = Field(
        1e-10, ge=0, description="Value added to the kernel matrix's diagonal during fitting."
    )
    kernel: Literal["Default", "ConstantKernel", "DotProduct", "RBF", "WhiteKernel"] = Field(
        "Default",
        description="Default: ConstantKernel(1.0, fixed) * RBF(1.0, fixed); DotProduct, RBF, WhiteKernel: scikit-learn's "
        "kernel with its default hyperparameters, optimised; ConstantKernel gives the default kernel (the extension's "
        "lookup misses it).",
    )
    normalize_y: bool = Field(False, description="Normalise the target values (scikit-learn `normalize_y`).")


def _gpr_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["feature_columns", "target_column", "missing_value_handling"], tree_path="general_settings"
    )
    knime.take_all(["alpha", "kernel", "normalize_y"], tree_path="algo_settings")


class GaussianProcessRegressionLearner(Node):
    """KNIME's Sklearn Gaussian Process Regression Learner (Labs)."""

    type_name = "gaussian_process_regression_learner"
    display_name = "Sklearn Gaussian Process Regression Learner (Labs)"
    category = Category.LEARNER
    description = (
        "Fits scikit-learn's `GaussianProcessRegressor(kernel, alpha, normalize_y)` (L-BFGS-B hyperparameter "
        "optimisation, no restarts) on the feature columns. Predict with the Sklearn Regression Predictor."
    )
    keywords = ("gaussian process", "kriging", "GPR", "regression", "scikit-learn", "sklearn")
    knime = (
        KnimeMapping(
            f"{EXTENSION}:GaussianProcessRegressionLearner",
            "Sklearn Gaussian Process Regression Learner (Labs)",
            _gpr_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "Feature columns and a numeric target column."),)
    outputs = (Port(SKLEARN_REGRESSION, "Trained model", "The fitted Gaussian process."),)
    Settings = GPRegressionLearnerSettings

    def configure(
        self, in_specs: list[Any], settings: GPRegressionLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        from nodes.sklearn_nodes import _resolve

        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        features, target = _resolve(spec, settings)  # type: ignore[arg-type]
        return [ModelSpec("sklearn_regression", spec.select(features), spec.get(target))]

    def execute(
        self, inputs: list[Any], settings: GPRegressionLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        from sklearn.gaussian_process import GaussianProcessRegressor

        from nodes.sklearn_nodes import _resolve

        table: Table = inputs[0]
        features, target = _resolve(table.spec, settings)  # type: ignore[arg-type]
        df = _handle_missing(
            table.df, [*features, target], settings.missing_value_handling, "missing_value_handling"
        )
        model = _model_object(table.spec, df, features, [target], settings.missing_value_handling)
        gpr = GaussianProcessRegressor(
            kernel=_kernel(settings.kernel), alpha=settings.alpha, normalize_y=settings.normalize_y
        )
        y = (
            pd.to_numeric(df[target]).to_numpy(dtype=float).reshape(-1, 1)
        )  # the extension passes df[[target]]
        model.estimator = _fit_quietly(gpr, model.encode(df), y, ctx)
        return [
            Model(
                "sklearn_regression",
                model,
                f"GP regression of {target}: {model.estimator.kernel_}",
                spec=model,
            )
        ]


@dataclass
class ClassificationModelObject(RegressionModelObject):
    """The extension's ClassificationModelObject: the estimator, the encoders and the class labels
    in LabelEncoder order (sorted)."""

    classes: list[Any] = field(default_factory=list)


class GPClassificationLearnerSettings(NodeSettings):
    """The extension's GaussianProcessClassificationLearner (`general_settings`, `algorithm_settings`)."""

    feature_columns: list[str] | None = Field(
        None, description="Feature columns. Null: all numeric and nominal ones."
    )
    target_column: str | None = Field(
        None, description="The nominal target. Null: the rightmost nominal column."
    )
    missing_value_handling: Literal["SkipRow", "Fail"] = Field(
        "SkipRow", description="SkipRow: rows with missing values are not used; Fail: they are an error."
    )
    kernel: Literal["Default", "RationalQuadratic", "DotProduct", "RBF", "WhiteKernel"] = Field(
        "Default", description="Default: 1.0 * RBF(1.0) with fixed hyperparameters; the others optimised."
    )
    multi_class_method: Literal["OVR", "OVO"] = Field(
        "OVR", description="One-vs-Rest (one binary classifier per class) or One-vs-One (per pair)."
    )


def _gpc_columns(spec: TableSpec, s: GPClassificationLearnerSettings) -> tuple[list[str], str]:
    nominal = [c.name for c in spec.columns if c.type in NOMINAL]
    usable = [c.name for c in spec.columns if c.type in FEATURE_TYPES]
    if not nominal or (len(nominal) == 1 and len(usable) == 1):
        raise ConfigureError(
            f"The number of nominal columns are {len(nominal)}, expected at least one nominal column and another "
            "numeric or nominal column."
        )
    target = s.target_column if s.target_column is not None else nominal[-1]
    features = s.feature_columns if s.feature_columns is not None else [c for c in usable if c != target]
    _check_features(spec, features, [target], "Nominal")
    if spec.type_of(target) not in NOMINAL:
        raise ConfigureError(f"the target column {target!r} is not nominal", setting="target_column")
    return features, target


def _gpc_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["feature_columns", "target_column", "missing_value_handling"], tree_path="general_settings"
    )
    knime.take_all(["kernel", "multi_class_method"], tree_path="algorithm_settings")


class GaussianProcessClassificationLearner(Node):
    """KNIME's Sklearn Gaussian Process Classification Learner (Labs)."""

    type_name = "gaussian_process_classification_learner"
    display_name = "Sklearn Gaussian Process Classification Learner (Labs)"
    category = Category.LEARNER
    description = (
        "Fits scikit-learn's `GaussianProcessClassifier(kernel, multi_class)` (Laplace approximation) on the feature "
        "columns; the classes are label-encoded in sorted order. Predict with the Sklearn Classification Predictor."
    )
    keywords = ("gaussian process", "GPC", "classification", "scikit-learn", "sklearn")
    knime = (
        KnimeMapping(
            f"{EXTENSION}:GaussianProcessClassificationLearner",
            "Sklearn Gaussian Process Classification Learner (Labs)",
            _gpc_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "Feature columns and a nominal target column."),)
    outputs = (Port(SKLEARN_CLASSIFICATION, "Trained model", "The fitted Gaussian process classifier."),)
    Settings = GPClassificationLearnerSettings

    def configure(
        self, in_specs: list[Any], settings: GPClassificationLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        features, target = _gpc_columns(spec, settings)
        return [ModelSpec("sklearn_classification", spec.select(features), spec.get(target))]

    def execute(
        self, inputs: list[Any], settings: GPClassificationLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        from sklearn.gaussian_process import GaussianProcessClassifier

        table: Table = inputs[0]
        spec = table.spec
        features, target = _gpc_columns(spec, settings)
        df = _handle_missing(
            table.df, [*features, target], settings.missing_value_handling, "missing_value_handling"
        )
        base = _model_object(spec, df, features, [target], settings.missing_value_handling)
        labels = [v.item() if isinstance(v, np.generic) else v for v in df[target].tolist()]
        classes = sorted(set(labels))  # LabelEncoder
        model = ClassificationModelObject(
            **{k: getattr(base, k) for k in base.__dataclass_fields__}, classes=classes
        )
        code = {c: i for i, c in enumerate(classes)}
        y = np.array([code[v] for v in labels])
        multi = "one_vs_rest" if settings.multi_class_method == "OVR" else "one_vs_one"
        gpc = GaussianProcessClassifier(kernel=_kernel(settings.kernel), multi_class=multi)
        model.estimator = _fit_quietly(gpc, model.encode(df), y, ctx)
        mspec = ModelSpec(
            "sklearn_classification",
            spec.select(features),
            spec.get(target),
            {"classes": [str(c) for c in classes]},
        )
        return [
            Model(
                "sklearn_classification",
                model,
                f"GP classifier of {target} ({len(classes)} classes)",
                spec=mspec,
            )
        ]


# ------------------------------------------------------------------------------------- predictor


class ClassificationPredictorSettings(NodeSettings):
    """The extension's ClassificationPredictor (`predictor_settings`)."""

    prediction_column: str = Field(
        "",
        description="Name of the prediction column; empty: `<target>_pred`.",
        json_schema_extra=widget("new_column"),
    )
    predict_probs: bool = Field(
        True,
        description="Append `P (<target>_pred=<class>)<suffix>` per class (predict_proba, classes sorted).",
    )
    prob_columns_suffix: str = Field("", description="Suffix of the probability columns.")


def _classification_columns(
    model: ModelSpec, spec: TableSpec, s: ClassificationPredictorSettings
) -> list[tuple[str, str]] | None:
    present = {(c.name, c.type) for c in spec.columns}
    missing = [c.name for c in model.learning_columns.columns if (c.name, c.type) not in present]
    if missing:
        raise ConfigureError(
            f"The input table does not contain all selected feature columns. Missing columns: {missing}"
        )
    target = model.target.name if model.target else ""
    name = s.prediction_column if s.prediction_column.strip() else f"{target}_pred"
    columns = [(name, ColumnType.STRING)]
    if s.predict_probs:
        classes = model.details.get("classes")
        if classes is None:
            return None
        columns += [(f"P ({target}_pred={c}){s.prob_columns_suffix}", ColumnType.DOUBLE) for c in classes]
    clash = [n for n, _ in columns if n in spec]
    if clash:
        raise ConfigureError(
            f"the prediction column(s) {clash} already exist in the input table", setting="prediction_column"
        )
    return append_unique(spec, columns)


def _classification_predictor_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["prediction_column", "predict_probs", "prob_columns_suffix"], tree_path="predictor_settings"
    )


class ClassificationPredictor(Node):
    """KNIME's Sklearn Classification Predictor (Labs)."""

    type_name = "classification_predictor"
    display_name = "Sklearn Classification Predictor (Labs)"
    category = Category.PREDICTOR
    description = (
        "Applies a scikit-learn classification model: appends `<target>_pred` (or the custom name; String) and "
        "optionally `P (<target>_pred=<class>)<suffix>` per class. The learner's missing-value rule applies to the "
        "feature columns (and the target, if present): SkipRow drops such rows, Fail raises."
    )
    keywords = ("predict", "classification", "scikit-learn", "sklearn", "gaussian process")
    knime = (
        KnimeMapping(
            f"{EXTENSION}:ClassificationPredictor",
            "Sklearn Classification Predictor (Labs)",
            _classification_predictor_from_knime,
        ),
    )
    inputs = (
        Port(SKLEARN_CLASSIFICATION, "Trained model", "A scikit-learn classification model."),
        Port(TABLE, "Input data", "Must contain the model's feature columns (same names and types)."),
    )
    outputs = (
        Port(TABLE, "Output data", "The input rows kept plus the prediction (and probability) columns."),
    )
    Settings = ClassificationPredictorSettings

    def configure(
        self, in_specs: list[Any], settings: ClassificationPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model = in_specs[0] if isinstance(in_specs[0], ModelSpec) else None
        if model is None or not isinstance(in_specs[1], TableSpec):
            return [UNKNOWN]
        columns = _classification_columns(model, in_specs[1], settings)
        return [UNKNOWN if columns is None else in_specs[1].append(*columns)]

    def execute(
        self, inputs: list[Any], settings: ClassificationPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model: ClassificationModelObject = inputs[0].payload
        table: Table = inputs[1]
        columns = _classification_columns(inputs[0].spec, table.spec, settings)
        assert columns is not None
        check = [n for n, _ in model.feature_columns]
        if model.target_column[0] in table.spec:
            check.append(model.target_column[0])
        df = table.df
        if len(df):
            df = _handle_missing(df, check, model.missing_value_handling)
        df = df.copy()
        x = model.encode(df) if len(df) else None
        codes = np.asarray(model.estimator.predict(x)) if x is not None else np.zeros(0, dtype=int)
        df[columns[0][0]] = pd.array([str(model.classes[c]) for c in codes], dtype=object)
        if settings.predict_probs:
            probs = model.estimator.predict_proba(x) if x is not None else np.zeros((0, len(model.classes)))
            for j, (name, _) in enumerate(columns[1:]):
                df[name] = probs[:, j]
        return [table.with_frame(df, dict(columns))]
