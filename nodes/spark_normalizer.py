"""Spark Normalizer: the scale and translation from MLlib's column statistics, as KNIME's Spark job
(knime-bigdata, `org.knime.bigdata.spark3_5.jobs`) computes them.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import Field

from engine.api import (
    UNKNOWN,
    Cancelled,
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
    TableSpec,
)
from engine.api.knime import KnimeMapping
from nodes._common import ColumnFilter
from nodes._spark import (
    SPARK_DATA,
    SparkData,
    need_spark_data,
    require_spark,
    spark_column,
    spark_message,
)
from nodes._spark_ml import _spec
from nodes.normalizer import NORMALIZER_MODEL, AffineTransform

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
