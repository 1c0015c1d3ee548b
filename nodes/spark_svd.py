"""Spark SVD: the truncated singular value decomposition of MLlib (`RowMatrix.computeSVD`), as KNIME's
MLlibSVDNodeFactory runs it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    row_ids,
)
from engine.api.knime import KnimeMapping
from nodes._common import ColumnFilter
from nodes._spark import (
    SNAPSHOT_MAX_CELLS,
    SPARK_DATA,
    SparkData,
    driver_data,
    need_spark_data,
    require_spark,
    spark_column,
    spark_data_spec,
    spark_message,
    spark_session,
)


class SparkSvdSettings(NodeSettings):
    noOfSingularValues: int = Field(10, ge=1, description="K: the number of leading singular values.")
    reciprocalCondition: float = Field(
        1e-9, ge=0, description="Singular values below reciprocalCondition x the largest one are dropped."
    )
    computeU: bool = Field(False, description="Also compute U (port 3; inactive otherwise).")
    featureColumns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="Numeric columns forming the matrix (one matrix row per row).",
    )


def _svd_features(spec: TableSpec, s: SparkSvdSettings) -> list[str]:
    chosen = s.featureColumns.apply(spec)
    explicit = [
        c
        for c in chosen
        if c in s.featureColumns.included_names and spec.type_of(c) not in ColumnType.NUMERIC
    ]
    if explicit:
        raise ConfigureError(
            f"feature column {explicit[0]!r} is {spec.type_of(explicit[0])}; the SVD needs numeric columns",
            setting="featureColumns",
        )
    features = [c for c in chosen if spec.type_of(c) in ColumnType.NUMERIC]
    if not features:
        raise ConfigureError("no numeric feature columns selected", setting="featureColumns")
    if s.noOfSingularValues > len(features):
        raise ConfigureError(
            f"noOfSingularValues = {s.noOfSingularValues} exceeds the number of feature columns ({len(features)})",
            setting="noOfSingularValues",
        )
    return features


def _dims(k: int) -> list[str]:
    return [f"Dimension {i}" for i in range(k)]


def _vectors_from_rows(session: Any, matrix: np.ndarray) -> Any:
    """A DataFrame of one MLlib vector per matrix row (in order), made on the driver."""
    from pyspark.mllib.linalg import Vectors

    return session.createDataFrame([(Vectors.dense(row),) for row in matrix.tolist()], ["v"])


def _vectors_from_frame(frame: Any, features: list[str]) -> tuple[int, list[str], Any]:
    """Rows, feature columns with a missing value (one Spark job) and the vector DataFrame of a frame
    whose rows are not on the driver."""
    from pyspark.ml.feature import VectorAssembler
    from pyspark.mllib.util import MLUtils
    from pyspark.sql import functions as F

    safe = [f"f{i}" for i in range(len(features))]
    numeric = frame.select(
        [spark_column(c).cast("double").alias(a) for c, a in zip(features, safe, strict=True)]
    )
    stats = numeric.agg(
        F.count(F.lit(1)).alias("n"),
        *[F.sum(F.when(F.col(a).isNull() | F.isnan(F.col(a)), 1).otherwise(0)).alias(a) for a in safe],
    ).collect()[0]
    bad = [c for c, a in zip(features, safe, strict=True) if stats[a]]
    vectors = VectorAssembler(inputCols=safe, outputCol="v").transform(numeric).select("v")
    return int(stats["n"]), bad, MLUtils.convertVectorColumnsFromML(vectors, "v")


class SparkSvd(Node):
    type_name = "spark_svd"
    display_name = "Spark SVD"
    category = Category.LEARNER
    description = (
        "Truncated singular value decomposition A = U S Vᵀ with Spark MLlib (RowMatrix.computeSVD). Port 1: the "
        "K largest singular values (column `Singular Value`, descending); port 2: V (features x K); port 3: U "
        "(rows x K, input row order) when computeU is set. Matrix columns are `Dimension 0`..`Dimension K-1`."
    )
    keywords = ("spark", "mllib", "svd", "matrix factorisation", "dimension reduction", "recommendation")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.mllib.reduction.svd.MLlibSVDNodeFactory",
            "Spark SVD",
            skip=("classColumn",),
        ),
    )
    inputs = (Port(SPARK_DATA, "Spark data"),)
    outputs = (
        Port(TABLE, "Singular values"),
        Port(SPARK_DATA, "V matrix", "Right singular vectors, one row per feature column"),
        Port(SPARK_DATA, "U matrix", "Left singular vectors, one row per input row (computeU)"),
    )
    Settings = SparkSvdSettings

    def configure(self, in_specs: list[Any], settings: SparkSvdSettings, ctx: NodeContext) -> list[Any]:
        require_spark()
        sv = TableSpec.of([("Singular Value", ColumnType.DOUBLE)])
        spec = spark_data_spec(in_specs[0])
        if spec is None:
            return [sv, UNKNOWN, UNKNOWN]
        _svd_features(spec, settings)
        dims = TableSpec.of((d, ColumnType.DOUBLE) for d in _dims(settings.noOfSingularValues))
        return [sv, dims, dims if settings.computeU else UNKNOWN]

    def execute(self, inputs: list[Any], settings: SparkSvdSettings, ctx: NodeContext) -> list[Any]:
        from pyspark.mllib.linalg.distributed import RowMatrix

        data = need_spark_data(inputs[0], 1)
        try:
            features = _svd_features(data.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        session = spark_session(ctx, data.context)
        ctx.progress(0.05, "checking the matrix")
        if data.snapshot is not None:  # the rows are on the driver: checked there, no Spark job
            matrix = data.snapshot[features].apply(pd.to_numeric).to_numpy(dtype=float, na_value=np.nan)
            n_rows = len(matrix)
            bad = [c for j, c in enumerate(features) if np.isnan(matrix[:, j]).any()]
            vectors = None
        else:
            n_rows, bad, vectors = _vectors_from_frame(data.dataframe(ctx), features)
        if n_rows == 0:
            raise NodeError("the input Spark data has no rows")
        if bad:
            raise NodeError(
                f"column {bad[0]!r} has missing values; the SVD needs a complete matrix",
                setting="featureColumns",
            )
        ctx.progress(0.2, "computing the SVD")
        if vectors is None:  # a local relation: nothing to cache, U's pass re-reads the driver's rows
            vectors = _vectors_from_rows(session, matrix)
        else:  # any lineage: computed once for the Gramian and U's pass
            vectors = vectors.cache()
        try:
            svd = RowMatrix(vectors, numRows=n_rows, numCols=len(features)).computeSVD(
                settings.noOfSingularValues, computeU=settings.computeU, rCond=settings.reciprocalCondition
            )
            s = np.asarray(svd.s.toArray(), dtype=float)
            v = np.asarray(svd.V.toArray(), dtype=float)
            u_matrix = svd.U if settings.computeU else None
            u = None
            if u_matrix is not None and n_rows * len(s) <= SNAPSHOT_MAX_CELLS:
                ctx.progress(0.7, "computing U")
                # collected as the JVM pickles MLlib vectors: no Python worker is started for it
                collected = [vec.toArray() for vec in u_matrix.rows.collect()]
                u = np.array(collected, dtype=np.float64).reshape(n_rows, len(s))
        except Exception as exc:
            raise NodeError(f"Spark SVD failed: {spark_message(exc)}") from exc
        finally:
            vectors.unpersist()
        if not all(math.isfinite(x) for x in s):
            raise NodeError("the SVD produced non-finite singular values")
        k = len(s)
        if k < settings.noOfSingularValues:
            ctx.log(
                f"{settings.noOfSingularValues - k} singular value(s) below reciprocalCondition x s1 dropped: "
                f"{k} remain"
            )
        dims = _dims(k)
        doubles = dict.fromkeys(dims, ColumnType.DOUBLE)
        sv = Table(
            pd.DataFrame({"Singular Value": s}, index=row_ids(k)), {"Singular Value": ColumnType.DOUBLE}
        )
        v_data = driver_data(session, pd.DataFrame(v, columns=dims), doubles, data.context)
        u_data = None
        if u is not None:
            u_data = driver_data(session, pd.DataFrame(u, columns=dims), doubles, data.context)
        elif u_matrix is not None:  # too large for the driver: U stays in Spark
            from pyspark.sql import types as T

            schema = T.StructType([T.StructField(d, T.DoubleType(), False) for d in dims])
            rows = u_matrix.rows.map(lambda vec: tuple(float(x) for x in vec.toArray()))
            u_data = SparkData(session.createDataFrame(rows, schema).cache(), dims, doubles, data.context)
        return [sv, v_data, u_data]
