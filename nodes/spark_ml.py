"""Spark machine-learning nodes on PySpark (pyspark.ml): Spark Normalizer, Spark Partitioning, Spark
Linear Regression Learner, Spark Predictor (Regression) and Spark Numeric Scorer.

They run in the run's Spark session like the other Spark nodes (`nodes.spark`) and compute what
KNIME's Spark jobs compute (knime-bigdata, `org.knime.bigdata.spark3_5.jobs`): the normalizer's
scale and translation from MLlib's column statistics, the partition with `Dataset.randomSplit`
(so a seeded KNIME partition selects the same rows, given the same Spark partitioning: Table to
Spark makes `local[numberOfThreads]` partitions in both), the learner as a pipeline of
StringIndexer/OneHotEncoder, VectorAssembler and `LinearRegression`, the scorer's sums in Spark SQL.
"""

from __future__ import annotations

import io
import math
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
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
    PortType,
    Table,
    TableSpec,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, get
from nodes._common import ColumnFilter
from nodes._mining import parse_seed
from nodes.normalizer import NORMALIZER_MODEL, AffineTransform
from nodes.spark import (
    SPARK_DATA,
    SparkData,
    need_spark_data,
    require_spark,
    spark_column,
    spark_data_spec,
    spark_message,
)

SPARK_ML_MODEL = PortType.register(PortType("spark.model", "Spark ML model", "#a0522d", "square"))
LINEAR_REGRESSION_KIND = "MLLinearRegression"  # KNIME's model name (MLLinearRegressionLearnerNodeModel)
NOMINAL_FEATURES = frozenset({ColumnType.STRING, ColumnType.SMILES})


def _spec(obj: Any) -> TableSpec | None:
    return spark_data_spec(obj)


def _as_node_error(exc: ConfigureError) -> NodeError:
    return NodeError(str(exc), setting=exc.setting)


# ------------------------------------------------------------------------------- Spark Normalizer


class SparkNormalizerSettings(NodeSettings):
    """KNIME's NormalizerConfig as the Spark Normalizer saves it (`mode`, `new-min`, `new-max`,
    `data-column-filter`)."""

    mode: Literal["MINMAX", "Z_SCORE", "DECIMALSCALING"] = Field(
        "MINMAX",
        description="MINMAX: [min, max] onto [new_min, new_max]; Z_SCORE: (x - mean) / sd with the sample standard "
        "deviation; DECIMALSCALING: divide by 10^ceil(log10(max)) (Spark's rule: the maximum, not the largest "
        "absolute value).",
    )
    new_min: float = Field(0.0, title="Min", description="MINMAX: the new minimum.")
    new_max: float = Field(1.0, title="Max", description="MINMAX: the new maximum.")
    data_column_filter: ColumnFilter = Field(
        default_factory=ColumnFilter, description="The numeric columns to normalize."
    )


def _normalize_columns(spec: TableSpec, s: SparkNormalizerSettings) -> list[str]:
    return s.data_column_filter.apply(spec, allowed_types=ColumnType.NUMERIC)


def _affine(stats: dict[str, np.ndarray], s: SparkNormalizerSettings) -> tuple[np.ndarray, np.ndarray]:
    """Scale and translation per column as NormalizedDataFrameContainerFactory computes them."""
    if s.mode == "MINMAX":
        low, high = stats["min"], stats["max"]
        value_range = (high - low) / (s.new_max - s.new_min)
        tiny = value_range < 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(tiny, 0.0, 1.0 / value_range)
        translation = np.where(tiny, s.new_min, s.new_min - low * scale)
        return scale, translation
    if s.mode == "Z_SCORE":
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 1.0 / np.sqrt(stats["variance"])
        # KNIME adds Double.MIN_VALUE (its z-score "min"), which only shows when mean * scale is 0
        return scale, 5e-324 - stats["mean"] * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = 1.0 / np.power(10.0, np.ceil(np.log10(stats["max"])))
    return scale, np.zeros(len(scale))


def _summary(mode: str, n: int, s: SparkNormalizerSettings) -> str:
    if mode == "Z_SCORE":
        return f"Z-Score (Gaussian) normalization on {n} column(s)"
    if mode == "MINMAX":
        return f"Min/Max ({s.new_min:g}, {s.new_max:g}) normalization on {n} column(s)"
    return f"Decimal Scaling normalization on {n} column(s)"


class SparkNormalizer(Node):
    """KNIME's Spark Normalizer (SparkNormalizerPMMLNodeFactory)."""

    type_name = "spark_normalizer"
    display_name = "Spark Normalizer"
    category = Category.MANIPULATOR
    description = (
        "Normalizes numeric columns of Spark data (min-max, z-score with the sample standard deviation, or decimal "
        "scaling), computing y = scale * x + translation from MLlib's column statistics as KNIME's Spark job does; "
        "rows with a missing value do not enter the statistics and keep it. Normalized columns become Double. "
        "Port 2: the transformation, usable by Normalizer (Apply) on local tables."
    )
    keywords = ("spark", "normalize", "z-score", "min-max", "standardize", "scale")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.preproc.normalize.SparkNormalizerPMMLNodeFactory",
            "Spark Normalizer",
        ),
    )
    inputs = (Port(SPARK_DATA, "Spark data", "Data to normalize."),)
    outputs = (
        Port(SPARK_DATA, "Normalized Spark data"),
        Port(NORMALIZER_MODEL, "Normalizer model", "KNIME: the PMML transformation."),
    )
    Settings = SparkNormalizerSettings

    def configure(
        self, in_specs: list[Any], settings: SparkNormalizerSettings, ctx: NodeContext
    ) -> list[Any]:
        require_spark()
        if settings.mode == "MINMAX" and settings.new_min > settings.new_max:
            raise ConfigureError("new_min must not be larger than new_max", setting="new_min")
        spec = _spec(in_specs[0])
        if spec is None:
            return [UNKNOWN, UNKNOWN]
        out = spec
        columns = _normalize_columns(spec, settings)
        for name in columns:
            out = out.replace(name, ColumnType.DOUBLE)
        return [out, ModelSpec("normalizer", spec.select(columns))]  # what Normalizer (Apply) checks

    def execute(self, inputs: list[Any], settings: SparkNormalizerSettings, ctx: NodeContext) -> list[Any]:
        from pyspark.ml.feature import VectorAssembler
        from pyspark.ml.stat import Summarizer

        data = need_spark_data(inputs[0], 1)
        columns = _normalize_columns(data.spec, settings)
        frame = data.dataframe(ctx)
        if not columns:
            ctx.warn("No columns included - input stays unchanged.")
            transform = AffineTransform((), (), (), (), (), "", settings.mode)
            return [data, Model("normalizer", transform, "", spec=ModelSpec("normalizer"))]
        safe = [f"c{i}" for i in range(len(columns))]
        numbers = frame.select(
            [spark_column(c).cast("double").alias(a) for c, a in zip(columns, safe, strict=True)]
        )
        vectors = VectorAssembler(inputCols=safe, outputCol="v", handleInvalid="skip").transform(numbers)
        try:
            row = vectors.select(
                Summarizer.metrics("mean", "variance", "min", "max", "count").summary(vectors["v"]).alias("s")
            ).first()
        except Cancelled:
            raise
        except Exception as exc:
            raise NodeError(f"Spark Normalizer failed: {spark_message(exc)}") from exc
        summary = row["s"] if row is not None else None
        if summary is None or summary["count"] == 0:
            raise NodeError("no row without missing values to compute the statistics from")
        stats = {k: np.asarray(summary[k].toArray(), dtype=float) for k in ("mean", "variance", "min", "max")}
        scale, translation = _affine(stats, settings)
        affine = dict(zip(columns, zip(scale.tolist(), translation.tolist(), strict=True), strict=True))
        exprs = []
        for name in data.columns:
            if name in affine:
                a, b = affine[name]
                exprs.append((spark_column(name).cast("double") * float(a) + float(b)).alias(name))
            else:
                exprs.append(spark_column(name))
        types = dict(data.types)
        types.update(dict.fromkeys(columns, ColumnType.DOUBLE))
        out = SparkData(frame.select(exprs), list(data.columns), types, data.context)
        k = len(columns)
        bounds = (settings.new_min, settings.new_max) if settings.mode == "MINMAX" else (math.nan, math.nan)
        transform = AffineTransform(
            tuple(columns),
            tuple(scale.tolist()),
            tuple(translation.tolist()),
            (bounds[0],) * k,
            (bounds[1],) * k,
            _summary(settings.mode, k, settings),
            settings.mode,
        )
        model = Model(
            "normalizer",
            transform,
            transform.summary,
            spec=ModelSpec("normalizer", data.spec.select(columns)),
        )
        return [out, model]


# ------------------------------------------------------------------------------ Spark Partitioning


class SparkPartitioningSettings(NodeSettings):
    """KNIME's SparkSamplingNodeSettings (`method`, `samplingMethod`, `fraction`, `count`,
    `random_seed`, `class_column`, `withReplacement`, `exactSampling`)."""

    method: Literal["Relative", "Absolute"] = Field(
        "Relative", description="Relative: `fraction` of the rows go to port 1; Absolute: `count` rows."
    )
    samplingMethod: Literal["First", "Random", "Stratified"] = Field(
        "Random",
        description="First: the first rows (in Spark partition order); Random: Dataset.randomSplit; Stratified: "
        "the fraction of every value of `class_column`.",
    )
    fraction: float = Field(0.7, ge=0, le=1, description="Relative: the fraction of rows for port 1.")
    count: int = Field(100, ge=0, description="Absolute: the number of rows for port 1.")
    random_seed: str | int | None = Field(
        None,
        description="Seed of the random split (a Java long; empty/null: a different split on every run unless "
        "the run has a seed).",
    )
    class_column: str | None = Field(None, description="Stratified: the class column.")
    withReplacement: bool = Field(False, description="Stratified: sample with replacement (not supported).")
    exactSampling: bool = Field(
        False,
        description="Stratified: exactly ceil(fraction x class size) rows per class (else approximately).",
    )


def _check_partitioning(spec: TableSpec | None, s: SparkPartitioningSettings) -> None:
    if s.samplingMethod == "Stratified":
        if not s.class_column:
            raise ConfigureError("No class column for stratified sampling selected", setting="class_column")
        if spec is not None and s.class_column not in spec:
            raise ConfigureError(
                f"Column '{s.class_column}' for stratified sampling does not exist", setting="class_column"
            )
        if s.withReplacement:
            raise ConfigureError(
                "stratified sampling with replacement is not supported", setting="withReplacement"
            )
    try:
        parse_seed(s.random_seed)
    except ValueError as exc:
        raise ConfigureError(str(exc), setting="random_seed") from None


class SparkPartitioning(Node):
    """KNIME's Spark Partitioning (SparkPartitionNodeFactory)."""

    type_name = "spark_partitioning"
    display_name = "Spark Partitioning"
    category = Category.MANIPULATOR
    description = (
        "Splits Spark data into two partitions (e.g. train and test). Random: `Dataset.randomSplit([f, 1 - f], "
        "seed)` as KNIME's Spark job calls it, so the same seed on the same Spark partitioning selects the same "
        "rows; First: the first rows in partition order; Stratified: each class value's fraction (Spark's "
        "`sampleBy`, which draws other rows than KNIME's RDD `sampleByKey`). A fraction of 1 returns the input "
        "and an empty second partition, with a warning."
    )
    keywords = ("spark", "partition", "split", "train", "test", "random split", "sampling")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.preproc.partition.SparkPartitionNodeFactory", "Spark Partitioning"
        ),
    )
    inputs = (Port(SPARK_DATA, "Spark data", "Data to split."),)
    outputs = (
        Port(SPARK_DATA, "First partition", "The sampled rows (e.g. training data)."),
        Port(SPARK_DATA, "Second partition", "The other rows (e.g. test data)."),
    )
    Settings = SparkPartitioningSettings

    def is_deterministic(self, settings: SparkPartitioningSettings) -> bool:
        return settings.samplingMethod == "First" or parse_seed(settings.random_seed) is not None

    def configure(
        self, in_specs: list[Any], settings: SparkPartitioningSettings, ctx: NodeContext
    ) -> list[Any]:
        require_spark()
        spec = _spec(in_specs[0])
        _check_partitioning(spec, settings)
        return [spec, spec] if spec is not None else [UNKNOWN, UNKNOWN]

    def execute(self, inputs: list[Any], settings: SparkPartitioningSettings, ctx: NodeContext) -> list[Any]:
        from pyspark.sql import functions as F
        from pyspark.sql import window as W

        data = need_spark_data(inputs[0], 1)
        try:
            _check_partitioning(data.spec, settings)
        except ConfigureError as exc:
            raise _as_node_error(exc) from None
        frame = data.dataframe(ctx)
        total = frame.count()
        if settings.method == "Relative":
            fraction = settings.fraction
        else:
            fraction = min(1.0, settings.count / total) if total else 1.0

        def result(first: Any, second: Any) -> list[Any]:
            return [
                SparkData(first, list(data.columns), dict(data.types), data.context),
                SparkData(second, list(data.columns), dict(data.types), data.context),
            ]

        def no_split() -> list[Any]:
            ctx.warn(
                "Sampling failed. Sampling size larger then number of available rows in Spark. Return input data."
            )
            return result(frame, frame.limit(0))

        seed = ctx.seed(parse_seed(settings.random_seed))
        if settings.samplingMethod == "Random":
            if fraction >= 1.0:
                return no_split()
            first, second = frame.randomSplit([fraction, 1.0 - fraction], seed)
            return result(first, second)
        if settings.samplingMethod == "First":
            wanted = settings.count if settings.method == "Absolute" else math.ceil(total * settings.fraction)
            if wanted >= total:
                return no_split()
            order = f"__order_{uuid.uuid4().hex}"
            numbered = frame.withColumn(order, F.monotonically_increasing_id())
            ranked = numbered.withColumn(order, F.row_number().over(W.Window.orderBy(order)))
            keep = [spark_column(c) for c in data.columns]
            return result(
                ranked.where(F.col(order) <= wanted).orderBy(order).select(keep),
                ranked.where(F.col(order) > wanted).orderBy(order).select(keep),
            )
        if fraction >= 1.0:
            return no_split()
        key = str(settings.class_column)
        labels = [r[0] for r in frame.select(spark_column(key)).distinct().collect()]
        order = f"__id_{uuid.uuid4().hex}"
        numbered = frame.withColumn(order, F.monotonically_increasing_id())
        keep = [spark_column(c) for c in data.columns]
        if settings.exactSampling:
            draw = f"__draw_{uuid.uuid4().hex}"
            per_class = W.Window.partitionBy(spark_column(key)).orderBy(draw)
            ranked = (
                numbered.withColumn(draw, F.rand(seed))
                .withColumn("__rank", F.row_number().over(per_class))
                .withColumn("__size", F.count(F.lit(1)).over(W.Window.partitionBy(spark_column(key))))
            )
            sampled = ranked.where(F.col("__rank") <= F.ceil(F.col("__size") * fraction))
        else:
            sampled = numbered.sampleBy(key, {label: fraction for label in labels if label is not None}, seed)
        sampled = sampled.select(*keep, F.col(order))
        others = numbered.join(sampled.select(order), on=order, how="left_anti")
        return result(sampled.orderBy(order).select(keep), others.orderBy(order).select(keep))


# ------------------------------------------------------------------ Spark Linear Regression Learner


@dataclass(eq=False)
class SparkMLModel:
    """KNIME's Spark ML model port object: the fitted pipeline (aliased feature columns, optional
    StringIndexer/OneHotEncoder stages, VectorAssembler, the regressor) plus what the predictor
    checks. The live pipeline lives in the JVM and outlasts a Spark session; pickling (a disk cache)
    stores the pipeline as MLlib writes it (KNIME keeps the same zip), written only then because
    writing costs seconds."""

    kind: str
    target: str
    features: list[str]
    feature_types: dict[str, str]
    aliases: dict[str, str]  # feature column -> the pipeline's input column
    prediction: str  # the pipeline's prediction column
    saved: bytes | None = field(default=None, repr=False)
    pipeline: Any = field(default=None, repr=False)  # the live PipelineModel (None after unpickling)

    def __getstate__(self) -> dict[str, Any]:
        if self.saved is None:
            self.saved = self._write()
        state = dict(self.__dict__)
        state["pipeline"] = None
        return state

    def _write(self) -> bytes:
        from pyspark import SparkContext

        if self.pipeline is None or SparkContext._active_spark_context is None:  # noqa: SLF001
            raise TypeError("a Spark ML model can only be stored while its Spark session runs")
        folder = Path(tempfile.mkdtemp(prefix="sparkmodel"))
        try:
            self.pipeline.write().overwrite().save(str(folder / "model"))
            return _zip_folder(folder / "model")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def live_pipeline(self, ctx: NodeContext) -> Any:
        if self.pipeline is None:
            from pyspark.ml import PipelineModel

            if self.saved is None:
                raise NodeError("the Spark ML model was lost; re-execute its learner")
            folder = Path(tempfile.mkdtemp(prefix="sparkmodel", dir=ctx.scratch_dir))
            with zipfile.ZipFile(io.BytesIO(self.saved)) as archive:
                archive.extractall(folder)
            self.pipeline = PipelineModel.load(str(folder))
        return self.pipeline

    def transform(self, frame: Any, columns: list[str], name: str, ctx: NodeContext) -> Any:
        """The input columns plus the prediction as `name`, rows in input order."""
        keep = [spark_column(c) for c in columns]
        aliased = frame.select(*keep, *[spark_column(f).alias(a) for f, a in self.aliases.items()])
        predicted = self.live_pipeline(ctx).transform(aliased)
        return predicted.select(
            *[spark_column(c) for c in columns], spark_column(self.prediction).alias(name)
        )


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


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
        from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler
        from pyspark.ml.regression import LinearRegression

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
        stages: list[Any] = []
        vector_inputs: list[str] = []
        nominal: list[str] = []
        for f in features:
            if data.types[f] in NOMINAL_FEATURES:
                indexed = f"{aliases[f]}_idx"
                stages.append(
                    StringIndexer(
                        inputCol=aliases[f],
                        outputCol=indexed,
                        stringOrderType="alphabetAsc",
                        handleInvalid=handle,
                    )
                )
                nominal.append(f)
                vector_inputs.append(f"{indexed}_one_hot")
            else:
                vector_inputs.append(aliases[f])
        if nominal:
            stages.append(
                OneHotEncoder(
                    inputCols=[f"{aliases[f]}_idx" for f in nominal],
                    outputCols=[f"{aliases[f]}_idx_one_hot" for f in nominal],
                    dropLast=True,
                    handleInvalid="error",
                )
            )
        vector = f"features_{tag}"
        stages.append(VectorAssembler(inputCols=vector_inputs, outputCol=vector, handleInvalid=handle))
        prediction = f"prediction_{tag}"
        regularization = {
            "NONE": (0.0, 0.0),
            "RIDGE": (settings.regParam, 0.0),
            "LASSO": (settings.regParam, 1.0),
            "ELASTIC_NET": (settings.regParam, settings.elasticNetParam),
        }[settings.regularizer]
        stages.append(
            LinearRegression(
                featuresCol=vector,
                labelCol=label,
                predictionCol=prediction,
                loss="squaredError" if settings.lossFunction == "SQUARED_ERROR" else "huber",
                maxIter=settings.maxIterations,
                standardization=settings.useStandardization,
                fitIntercept=settings.fitIntercept,
                solver={"AUTO": "auto", "LBFGS": "l-bfgs", "NORMAL": "normal"}[settings.solver],
                tol=settings.convergenceTolerance,
                regParam=regularization[0],
                elasticNetParam=regularization[1],
            )
        )
        ctx.progress(0.1, "fitting")
        try:
            pipeline = Pipeline(stages=stages).fit(train)
        except Cancelled:
            raise
        except Exception as exc:
            if handle == "error" and "null" in str(exc).lower():
                raise NodeError("Observed missing values in input columns.", setting="handleInvalid") from exc
            raise NodeError(f"Spark Linear Regression Learner failed: {spark_message(exc)}") from exc
        stages_fitted: list[Any] = list(pipeline.stages)
        lr = stages_fitted[-1]
        names: list[str] = []
        for f in features:
            if f in nominal:
                indexer = next(
                    s for s in stages_fitted if getattr(s, "getInputCol", lambda: None)() == aliases[f]
                )
                names += [f"{f}={value}" for value in list(indexer.labels)[:-1]]
            else:
                names.append(f)
        coefficients = np.array(lr.coefficients.toArray(), dtype=np.float64)
        std_err = t_values = p_values = None
        if lr.hasSummary:
            summary = lr.summary
            try:
                std_err = list(summary.coefficientStandardErrors)
                t_values = list(summary.tValues)
                p_values = list(summary.pValues)
            except Cancelled:
                raise
            except Exception:  # only the normal equation without L1 has them (KNIME: missing cells)
                std_err = t_values = p_values = None
            stats = [
                summary.r2,
                summary.r2adj,
                summary.explainedVariance,
                summary.meanAbsoluteError,
                summary.meanSquaredError,
                summary.rootMeanSquaredError,
            ]
        else:
            stats = [math.nan] * 6
        rows = []
        values = (
            [*coefficients.tolist(), float(lr.intercept)] if settings.fitIntercept else coefficients.tolist()
        )
        labels = [*names, "Intercept"] if settings.fitIntercept else names
        for i, (name, coeff) in enumerate(zip(labels, values, strict=True)):
            if std_err is None or t_values is None or p_values is None:
                rows.append((name, coeff, None, None, None))
            else:  # KNIME writes the p-value under "t-value" and the t-value under "P>|t|"
                rows.append((name, coeff, std_err[i], p_values[i], t_values[i]))
        coeff_df = pd.DataFrame(
            rows, columns=COEFFICIENTS_SPEC.names, index=[f"Row{i + 1}" for i in range(len(rows))]
        )
        for c in COEFFICIENTS_SPEC.names[1:]:
            coeff_df[c] = pd.Series(
                _missing_cells(coeff_df[c].tolist()), index=coeff_df.index, dtype="float64"
            )
        coeff_df["Variable"] = coeff_df["Variable"].astype(object)
        stats_df = pd.DataFrame([[float(v) for v in stats]], columns=STATISTICS_SPEC.names, index=["Row1"])
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
            Table(coeff_df, {c.name: c.type for c in COEFFICIENTS_SPEC.columns}),
            Table(stats_df, {c.name: c.type for c in STATISTICS_SPEC.columns}),
        ]


# ------------------------------------------------------------------ Spark Predictor (Regression)


class SparkPredictorRegressionSettings(NodeSettings):
    """KNIME's MLPredictorRegressionNodeSettings (`overwritePredictionColumn`, `predictionColumn`)."""

    overwritePredictionColumn: bool = Field(
        False,
        title="Change prediction column name",
        description="Name the prediction column `predictionColumn` instead of `Prediction (<target>)`.",
    )
    predictionColumn: str = Field(
        "Prediction",
        title="Prediction column",
        description="Name of the new prediction column when overwritten.",
        json_schema_extra=widget("new_column"),
    )


def _prediction_name(spec: TableSpec, target: str, s: SparkPredictorRegressionSettings) -> str:
    name = s.predictionColumn if s.overwritePredictionColumn else f"Prediction ({target})"
    return unique_column_name(spec.names, name)


def _check_features(learning: TableSpec, spec: TableSpec) -> None:
    """MLPredictionUtils.checkFeatureColumns: every feature column present with a compatible type."""
    for col in learning.columns:
        have = spec.get(col.name)
        if have is None:
            raise ConfigureError(f"Feature column '{col.name}' not found in input data")
        nominal = col.type in NOMINAL_FEATURES
        if nominal != (have.type in NOMINAL_FEATURES):
            raise ConfigureError(
                f"Feature column '{col.name}' has type {have.type}, but the model was learned on {col.type}"
            )


class SparkPredictorRegression(Node):
    """KNIME's Spark Predictor (Regression) (MLPredictorRegressionNodeFactory)."""

    type_name = "spark_predictor_regression"
    display_name = "Spark Predictor (Regression)"
    category = Category.PREDICTOR
    description = (
        "Applies a Spark ML regression model to Spark data: appends a Double column `Prediction (<target>)` (or "
        "a custom name, made unique). Rows the model's missing-value rule skips are dropped."
    )
    keywords = ("spark", "predict", "regression", "mllib", "apply")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.ml.prediction.predictor.regression.MLPredictorRegressionNodeFactory",
            "Spark Predictor (Regression)",
        ),
    )
    inputs = (
        Port(SPARK_ML_MODEL, "Spark ML model", "A regression model."),
        Port(SPARK_DATA, "Spark data", "Data to predict."),
    )
    outputs = (Port(SPARK_DATA, "Spark data with predictions"),)
    Settings = SparkPredictorRegressionSettings

    def configure(
        self, in_specs: list[Any], settings: SparkPredictorRegressionSettings, ctx: NodeContext
    ) -> list[Any]:
        require_spark()
        mspec, spec = in_specs[0], _spec(in_specs[1])
        if not isinstance(mspec, ModelSpec) or spec is None or mspec.target is None:
            return [UNKNOWN]
        if mspec.details.get("category") != "REGRESSION":
            raise ConfigureError(f"{mspec.kind} models are not supported by this node.")
        _check_features(mspec.learning_columns, spec)
        return [spec.append((_prediction_name(spec, mspec.target.name, settings), ColumnType.DOUBLE))]

    def execute(
        self, inputs: list[Any], settings: SparkPredictorRegressionSettings, ctx: NodeContext
    ) -> list[Any]:
        model_obj = inputs[0]
        model = model_obj.payload if isinstance(model_obj, Model) else None
        if not isinstance(model, SparkMLModel):
            raise NodeError("input port 1 has no Spark ML model")
        data = need_spark_data(inputs[1], 2)
        try:
            _check_features(TableSpec.of(model.feature_types.items()), data.spec)
        except ConfigureError as exc:
            raise _as_node_error(exc) from None
        name = _prediction_name(data.spec, model.target, settings)
        try:
            frame = model.transform(data.dataframe(ctx), list(data.columns), name, ctx)
        except Cancelled:
            raise
        except Exception as exc:
            raise NodeError(f"Spark prediction failed: {spark_message(exc)}") from exc
        types = {**data.types, name: ColumnType.DOUBLE}
        return [SparkData(frame, [*data.columns, name], types, data.context)]


# ------------------------------------------------------------------------- Spark Numeric Scorer

SCORE_ROWS = (
    "R^2",
    "mean absolute error",
    "mean squared error",
    "root mean squared deviation",
    "mean signed difference",
)


class SparkNumericScorerSettings(NodeSettings):
    """KNIME's NumericScorerSettings as the Spark Numeric Scorer saves them (`reference`, `predicted`,
    `override default output name`, `output column`, `generate flow variables`,
    `name prefix for flowvars`)."""

    reference: str | None = Field(None, description="The numeric reference (true) column.")
    predicted: str | None = Field(None, description="The numeric predicted column.")
    override_default_output_name: bool = Field(
        False, description="Name the output column `output_column` instead of after the predicted column."
    )
    output_column: str = Field(
        "", description="Output column name when `override_default_output_name` is on."
    )
    generate_flow_variables: bool = Field(
        False, description="Also push the five scores as Double flow variables named like the output rows."
    )
    name_prefix_for_flowvars: str = Field("", description="Prefix of the flow variable names.")


def _spark_scorer_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    for k in ("reference", "predicted"):
        if get(tree, f"{k}.useRowID"):
            knime.lost(f"{k}: using the RowID as a column is not supported (Spark data has no RowIDs)")
        knime.put(k, get(tree, f"{k}.columnName"), k)
    knime.take_all(
        [
            "override default output name",
            "output column",
            "generate flow variables",
            "name prefix for flowvars",
        ]
    )
    if not tree.get("override default output name"):
        knime.settings.pop("output_column", None)


def _check_score_column(spec: TableSpec, name: str | None, setting: str, what: str) -> None:
    if not name:
        raise ConfigureError(f"No columns selected for {what}", setting=setting)
    col = spec.get(name)
    if col is None:
        raise ConfigureError(f"No such column in input table: {name}", setting=setting)
    if not col.is_numeric():
        raise ConfigureError(f"The {what} column ({name}) is not double valued: {col.type}", setting=setting)


class SparkNumericScorer(Node):
    """KNIME's Spark Numeric Scorer (SparkNumericScorerNodeFactory)."""

    type_name = "spark_numeric_scorer"
    display_name = "Spark Numeric Scorer"
    category = Category.SCORER
    description = (
        "Scores a numeric prediction column of Spark data against a reference column, computed in Spark as "
        "KNIME's job does: rows with a missing reference are skipped, a missing prediction is an error. Output: one "
        "Double column (named after the predicted column unless overridden) with the rows R^2, mean absolute "
        "error, mean squared error, root mean squared deviation and mean signed difference (prediction - "
        "reference); optionally the same as flow variables."
    )
    keywords = ("spark", "R2", "RMSE", "MAE", "MSE", "regression", "score")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.scorer.numeric.SparkNumericScorerNodeFactory",
            "Spark Numeric Scorer",
            _spark_scorer_from_knime,
        ),
    )
    inputs = (Port(SPARK_DATA, "Spark data", "With a reference and a prediction column."),)
    outputs = (Port(TABLE, "Scores", "Five rows of regression metrics."),)
    Settings = SparkNumericScorerSettings

    @staticmethod
    def _output_name(settings: SparkNumericScorerSettings) -> str:
        return settings.output_column if settings.override_default_output_name else str(settings.predicted)

    def configure(
        self, in_specs: list[Any], settings: SparkNumericScorerSettings, ctx: NodeContext
    ) -> list[Any]:
        require_spark()
        spec = _spec(in_specs[0])
        if spec is not None:
            _check_score_column(spec, settings.reference, "reference", "reference")
            _check_score_column(spec, settings.predicted, "predicted", "prediction")
        elif not settings.reference or not settings.predicted:
            raise ConfigureError(
                "no reference or prediction column selected",
                setting="reference" if not settings.reference else "predicted",
            )
        return [TableSpec.of([(self._output_name(settings), ColumnType.DOUBLE)])]

    def execute(self, inputs: list[Any], settings: SparkNumericScorerSettings, ctx: NodeContext) -> list[Any]:
        from pyspark.sql import functions as F

        data = need_spark_data(inputs[0], 1)
        try:
            _check_score_column(data.spec, settings.reference, "reference", "reference")
            _check_score_column(data.spec, settings.predicted, "predicted", "prediction")
        except ConfigureError as exc:
            raise _as_node_error(exc) from None
        frame = data.dataframe(ctx)
        ref, pred = "ref", "pred"
        filtered = frame.select(
            spark_column(str(settings.reference)).cast("double").alias(ref),
            spark_column(str(settings.predicted)).cast("double").alias(pred),
        ).where(F.col(ref).isNotNull() & ~F.isnan(F.col(ref)))
        sums = filtered.agg(
            F.count(F.lit(1)),
            F.sum((F.col(pred).isNull() | F.isnan(F.col(pred))).cast("int")),
            F.sum(F.col(ref)),
            F.sum(F.abs(F.col(ref) - F.col(pred))),
            F.sum(F.pow(F.col(ref) - F.col(pred), 2.0)),
            F.sum(F.col(pred) - F.col(ref)),
        ).first()
        assert sums is not None
        count = int(sums[0])
        if count == 0:
            raise NodeError("Unsupported empty input dataset detected.")
        if sums[1]:
            raise NodeError(
                f"Unsupported missing values in prediction column '{settings.predicted}' detected.",
                setting="predicted",
            )
        sums = sums[2:]
        mean_observed = sums[0] / count
        abs_error, squared_error, signed_diff = sums[1] / count, sums[2] / count, sums[3] / count
        null_model = (
            filtered.select(F.pow(F.col(ref) - F.lit(mean_observed), 2.0).alias("e")).agg(F.mean("e")).first()
        )
        assert null_model is not None
        values = [
            1.0 - squared_error / null_model[0] if null_model[0] else math.nan,
            abs_error,
            squared_error,
            math.sqrt(squared_error),
            signed_diff,
        ]
        if settings.generate_flow_variables:
            for row, value in zip(SCORE_ROWS, values, strict=True):
                ctx.push_variable(f"{settings.name_prefix_for_flowvars}{row}", float(value), "Double")
        name = self._output_name(settings)
        frame_out = pd.DataFrame({name: [float(v) for v in values]}, index=list(SCORE_ROWS))
        return [Table(frame_out, {name: ColumnType.DOUBLE})]
