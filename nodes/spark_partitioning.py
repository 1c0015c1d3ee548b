"""Spark Partitioning with `Dataset.randomSplit`, so a seeded KNIME partition selects the same rows
given the same Spark partitioning (Table to Spark makes `local[numberOfThreads]` partitions in both).
"""

from __future__ import annotations

import math
import uuid
from typing import Any, Literal

from pydantic import Field

from engine.api import (
    UNKNOWN,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeSettings,
    Port,
    TableSpec,
)
from engine.api.knime import KnimeMapping
from nodes._mining import parse_seed
from nodes._spark import (
    SPARK_DATA,
    SparkData,
    need_spark_data,
    require_spark,
    spark_column,
)
from nodes._spark_ml import _as_node_error, _spec

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
