"""Spark Linear Regression Learner: a pipeline of StringIndexer/OneHotEncoder, VectorAssembler and
`LinearRegression`, as KNIME's MLLinearRegressionLearner job.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Cancelled,
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
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import ColumnFilter
from nodes._spark import (
    SPARK_DATA,
    need_spark_data,
    require_spark,
    spark_column,
    spark_message,
)
from nodes._spark_ml import (
    LINEAR_REGRESSION_KIND,
    NOMINAL_FEATURES,
    SPARK_ML_MODEL,
    SparkMLModel,
    _as_node_error,
    _spec,
)


class SparkLinearRegressionSettings(NodeSettings):
    """KNIME's LinearLearnerSettings in linear-regression mode (`classColumn`, `featureColumns`,
    `lossFunction`, `maxIterations`, `convergenceTolerance`, `useStandardization`, `fitIntercept`,
    `regularizer`, `regParam`, `elasticNetParam`, `solver`, `handleInvalid`)."""

    classColumn: str | None = Field(None, title="Target column", description="The numeric target column.")
    featureColumns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Feature columns",
        description="Numeric features as they are, String features one-hot encoded (alphabetical order, the last "
        "value dropped).",
    )
    lossFunction: Literal["SQUARED_ERROR", "HUBER"] = Field(
        "SQUARED_ERROR", title="Loss function", description="squaredError or huber (Spark's `loss`)."
    )
    maxIterations: int = Field(100, ge=1, title="Max iterations", description="Spark's `maxIter`.")
    convergenceTolerance: float = Field(
        1e-6, ge=0, title="Convergence tolerance", description="Spark's `tol`."
    )
    useStandardization: bool = Field(
        True, title="Standardize features", description="Spark's `standardization` (before fitting)."
    )
    fitIntercept: bool = Field(True, title="Fit intercept", description="Spark's `fitIntercept`.")
    regularizer: Literal["NONE", "RIDGE", "LASSO", "ELASTIC_NET"] = Field(
        "NONE",
        description="NONE: regParam 0; RIDGE: elasticNetParam 0; LASSO: elasticNetParam 1; ELASTIC_NET: both as set.",
    )
    regParam: float = Field(0.01, ge=0, title="Regularization parameter", description="Spark's `regParam`.")
    elasticNetParam: float = Field(
        0.5, ge=0, le=1, title="Elastic net parameter", description="ELASTIC_NET: Spark's `elasticNetParam`."
    )
    solver: Literal["AUTO", "LBFGS", "NORMAL"] = Field(
        "AUTO",
        description="auto, l-bfgs or normal (Spark's `solver`); the normal equation gives standard errors.",
    )
    handleInvalid: Literal["ERROR", "SKIP"] = Field(
        "ERROR",
        title="Missing values",
        description="ERROR: a missing value in a feature or the target fails the node; SKIP: such rows are ignored.",
    )


def _regression_columns(spec: TableSpec, s: SparkLinearRegressionSettings) -> tuple[str, list[str]]:
    target = s.classColumn
    if not target:
        raise ConfigureError("No target column selected", setting="classColumn")
    col = spec.get(target)
    if col is None:
        raise ConfigureError(f"Target column {target!r} not found in the input data", setting="classColumn")
    if not col.is_numeric():
        raise ConfigureError(
            f"Target column {target!r} is not numeric (type {col.type})", setting="classColumn"
        )
    features = [
        c
        for c in s.featureColumns.apply(spec)
        if c != target and (spec.type_of(c) in ColumnType.NUMERIC | NOMINAL_FEATURES | {ColumnType.BOOLEAN})
    ]
    if not features:
        raise ConfigureError("No feature columns selected", setting="featureColumns")
    return target, features


COEFFICIENTS_SPEC = TableSpec.of(
    [
        ("Variable", ColumnType.STRING),
        ("Coeff.", ColumnType.DOUBLE),
        ("Std. Err.", ColumnType.DOUBLE),
        ("t-value", ColumnType.DOUBLE),
        ("P>|t|", ColumnType.DOUBLE),
    ]
)
STATISTICS_SPEC = TableSpec.of(
    [
        (name, ColumnType.DOUBLE)
        for name in (
            "R^2",
            "Adjusted R^2",
            "Explained Variance",
            "Mean Absolute Error",
            "Mean Squared Error",
            "Root Mean Squared Error",
        )
    ]
)


def _regression_model_spec(spec: TableSpec, target: str, features: list[str]) -> ModelSpec:
    return ModelSpec(
        LINEAR_REGRESSION_KIND,
        learning_columns=spec.select(features),
        target=ColumnSpec(target, ColumnType.DOUBLE),
        details={"category": "REGRESSION"},
    )


def _spark_linreg_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        [
            "classColumn",
            "featureColumns",
            "lossFunction",
            "maxIterations",
            "convergenceTolerance",
            "useStandardization",
            "fitIntercept",
            "regularizer",
            "regParam",
            "elasticNetParam",
            "solver",
            "handleInvalid",
        ]
    )
    # `family` is saved by the shared settings class but only used by the logistic learner


def _missing_cells(values: Any) -> list[Any]:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]


class SparkLinearRegressionLearner(Node):
    """KNIME's Spark Linear Regression Learner (MLLinearRegressionLearnerNodeFactory)."""

    type_name = "spark_linear_regression_learner"
    display_name = "Spark Linear Regression Learner"
    category = Category.LEARNER
    description = (
        "Trains Spark MLlib's LinearRegression (squared error or Huber loss, none/ridge/lasso/elastic-net "
        "regularization) on Spark data. Port 1: the model for the Spark Predictor (Regression); port 2: "
        "Variable, Coeff., Std. Err., t-value, P>|t| per feature and the Intercept (statistics only with the normal "
        "solver without L1; as in KNIME the column `t-value` holds the p-values and `P>|t|` the t-values); port 3: "
        "R^2, Adjusted R^2, Explained Variance, Mean Absolute Error, Mean Squared Error, Root Mean Squared Error of "
        "the training data."
    )
    keywords = ("spark", "mllib", "linear regression", "lasso", "ridge", "elastic net", "huber")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.ml.prediction.linear.regression.MLLinearRegressionLearnerNodeFactory",
            "Spark Linear Regression Learner",
            _spark_linreg_from_knime,
        ),
    )
    inputs = (Port(SPARK_DATA, "Spark data", "Training data."),)
    outputs = (
        Port(SPARK_ML_MODEL, "Spark ML model", "The trained pipeline."),
        Port(TABLE, "Coefficients and Intercept", "One row per feature, then Intercept."),
        Port(TABLE, "Model statistics", "Training statistics."),
    )
    Settings = SparkLinearRegressionSettings

    def configure(
        self, in_specs: list[Any], settings: SparkLinearRegressionSettings, ctx: NodeContext
    ) -> list[Any]:
        require_spark()
        spec = _spec(in_specs[0])
        if spec is None:
            return [UNKNOWN, COEFFICIENTS_SPEC, STATISTICS_SPEC]
        target, features = _regression_columns(spec, settings)
        return [_regression_model_spec(spec, target, features), COEFFICIENTS_SPEC, STATISTICS_SPEC]

    def execute(
        self, inputs: list[Any], settings: SparkLinearRegressionSettings, ctx: NodeContext
    ) -> list[Any]:
        from pyspark.ml import Pipeline
        from pyspark.ml.feature import VectorAssembler

        data = need_spark_data(inputs[0], 1)
        try:
            target, features = _regression_columns(data.spec, settings)
        except ConfigureError as exc:
            raise _as_node_error(exc) from None
        frame = data.dataframe(ctx)
        tag = uuid.uuid4().hex[:12]
        aliases = {f: f"f{i}_{tag}" for i, f in enumerate(features)}
        label = f"label_{tag}"
        handle = settings.handleInvalid.lower()
        train = frame.select(
            spark_column(target).cast("double").alias(label),
            *[spark_column(f).alias(a) for f, a in aliases.items()],
        )
        if handle == "skip":
            train = train.na.drop(subset=[label, *aliases.values()])
        stages, vector_inputs, nominal = _encoding_stages(features, aliases, data.types, handle)
        vector, prediction = f"features_{tag}", f"prediction_{tag}"
        stages.append(VectorAssembler(inputCols=vector_inputs, outputCol=vector, handleInvalid=handle))
        stages.append(_regression_stage(settings, vector, label, prediction))
        ctx.progress(0.1, "fitting")
        pipeline = _fit(Pipeline(stages=stages), train, handle)
        stages_fitted: list[Any] = list(pipeline.stages)
        lr = stages_fitted[-1]
        names = _coefficient_names(features, nominal, aliases, stages_fitted)
        coefficients, stats = _coefficients_and_statistics(lr, names, settings.fitIntercept)
        model = SparkMLModel(
            LINEAR_REGRESSION_KIND,
            target,
            features,
            {f: data.types[f] for f in features},
            aliases,
            prediction,
            pipeline=pipeline,
        )
        mspec = _regression_model_spec(data.spec, target, features)
        return [
            Model("spark_ml", model, LINEAR_REGRESSION_KIND, spec=mspec),
            coefficients,
            stats,
        ]


def _fit(pipeline: Any, train: Any, handle: str) -> Any:
    """Spark's failures as node errors; a null under handleInvalid=error gets KNIME's message."""
    try:
        return pipeline.fit(train)
    except Cancelled:
        raise
    except Exception as exc:
        if handle == "error" and "null" in str(exc).lower():
            raise NodeError("Observed missing values in input columns.", setting="handleInvalid") from exc
        raise NodeError(f"Spark Linear Regression Learner failed: {spark_message(exc)}") from exc


def _coefficient_names(
    features: list[str], nominal: list[str], aliases: dict[str, str], stages_fitted: list[Any]
) -> list[str]:
    """One name per coefficient: a nominal feature has `<feature>=<value>` per one-hot column (the
    indexer's labels, the last one dropped)."""
    names: list[str] = []
    for f in features:
        if f in nominal:
            indexer = next(
                s for s in stages_fitted if getattr(s, "getInputCol", lambda: None)() == aliases[f]
            )
            names += [f"{f}={value}" for value in list(indexer.labels)[:-1]]
        else:
            names.append(f)
    return names


def _coefficients_and_statistics(lr: Any, names: list[str], fit_intercept: bool) -> tuple[Table, Table]:
    """KNIME's coefficient table (missing cells where Spark has no summary) and training statistics."""
    coefficients = np.array(lr.coefficients.toArray(), dtype=np.float64)
    std_err, t_values, p_values, stats = _summary(lr)
    rows: list[tuple[str, Any, float | None, float | None, float | None]] = []
    values = [*coefficients.tolist(), float(lr.intercept)] if fit_intercept else coefficients.tolist()
    labels = [*names, "Intercept"] if fit_intercept else names
    for i, (name, coeff) in enumerate(zip(labels, values, strict=True)):
        if std_err is None or t_values is None or p_values is None:
            rows.append((name, coeff, None, None, None))
        else:  # KNIME writes the p-value under "t-value" and the t-value under "P>|t|"
            rows.append((name, coeff, std_err[i], p_values[i], t_values[i]))
    coeff_df = pd.DataFrame(
        rows, columns=COEFFICIENTS_SPEC.names, index=[f"Row{i + 1}" for i in range(len(rows))]
    )
    for c in COEFFICIENTS_SPEC.names[1:]:
        coeff_df[c] = pd.Series(_missing_cells(coeff_df[c].tolist()), index=coeff_df.index, dtype="float64")
    coeff_df["Variable"] = coeff_df["Variable"].astype(object)
    stats_df = pd.DataFrame([[float(v) for v in stats]], columns=STATISTICS_SPEC.names, index=["Row1"])
    return (
        Table(coeff_df, {c.name: c.type for c in COEFFICIENTS_SPEC.columns}),
        Table(stats_df, {c.name: c.type for c in STATISTICS_SPEC.columns}),
    )


def _encoding_stages(
    features: list[str], aliases: dict[str, str], types: dict[str, Any], handle: str
) -> tuple[list[Any], list[str], list[str]]:
    """Nominal features one-hot encoded as KNIME's Spark learner does (categories in alphabetical
    order, the last one dropped): the stages, the assembler's inputs, and the nominal features."""
    from pyspark.ml.feature import OneHotEncoder, StringIndexer

    stages: list[Any] = []
    vector_inputs: list[str] = []
    nominal: list[str] = []
    for f in features:
        if types[f] not in NOMINAL_FEATURES:
            vector_inputs.append(aliases[f])
            continue
        indexed = f"{aliases[f]}_idx"
        stages.append(
            StringIndexer(
                inputCol=aliases[f], outputCol=indexed, stringOrderType="alphabetAsc", handleInvalid=handle
            )
        )
        nominal.append(f)
        vector_inputs.append(f"{indexed}_one_hot")
    if nominal:
        stages.append(
            OneHotEncoder(
                inputCols=[f"{aliases[f]}_idx" for f in nominal],
                outputCols=[f"{aliases[f]}_idx_one_hot" for f in nominal],
                dropLast=True,
                handleInvalid="error",
            )
        )
    return stages, vector_inputs, nominal


def _regression_stage(
    settings: SparkLinearRegressionSettings, vector: str, label: str, prediction: str
) -> Any:
    """MLlib's LinearRegression with KNIME's regularizer, loss and solver options."""
    from pyspark.ml.regression import LinearRegression

    reg_param, elastic_net = {
        "NONE": (0.0, 0.0),
        "RIDGE": (settings.regParam, 0.0),
        "LASSO": (settings.regParam, 1.0),
        "ELASTIC_NET": (settings.regParam, settings.elasticNetParam),
    }[settings.regularizer]
    return LinearRegression(
        featuresCol=vector,
        labelCol=label,
        predictionCol=prediction,
        loss="squaredError" if settings.lossFunction == "SQUARED_ERROR" else "huber",
        maxIter=settings.maxIterations,
        standardization=settings.useStandardization,
        fitIntercept=settings.fitIntercept,
        solver={"AUTO": "auto", "LBFGS": "l-bfgs", "NORMAL": "normal"}[settings.solver],
        tol=settings.convergenceTolerance,
        regParam=reg_param,
        elasticNetParam=elastic_net,
    )


def _summary(lr: Any) -> tuple[list[float] | None, list[float] | None, list[float] | None, list[float]]:
    """Standard errors, t- and p-values (only the normal equation without L1 has them; KNIME shows
    missing cells) and the fit statistics of a fitted LinearRegressionModel."""
    if not lr.hasSummary:
        return None, None, None, [math.nan] * 6
    summary = lr.summary
    std_err: list[float] | None
    t_values: list[float] | None
    p_values: list[float] | None
    try:
        std_err = list(summary.coefficientStandardErrors)
        t_values = list(summary.tValues)
        p_values = list(summary.pValues)
    except Cancelled:
        raise
    except Exception:
        std_err = t_values = p_values = None
    stats = [
        summary.r2,
        summary.r2adj,
        summary.explainedVariance,
        summary.meanAbsoluteError,
        summary.meanSquaredError,
        summary.rootMeanSquaredError,
    ]
    return std_err, t_values, p_values, stats
