"""Tables between pandas and Spark: KNIME column types as Spark types and back, through Arrow when the
session has it on, and the driver-side rows of a Spark frame (`snapshot`) as Spark to Table would fetch
them, so that fetching small Spark data needs no Spark job."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from engine.api import ColumnType


def spark_type(knime_type: str) -> Any:
    from pyspark.sql import types as T

    return {
        ColumnType.INTEGER: T.IntegerType(),
        ColumnType.LONG: T.LongType(),
        ColumnType.DOUBLE: T.DoubleType(),
        ColumnType.BOOLEAN: T.BooleanType(),
        ColumnType.STRING: T.StringType(),
        ColumnType.SMILES: T.StringType(),
    }[knime_type]


def python_values(series: pd.Series, knime_type: str) -> list[Any]:
    """A column as Python values of its Spark type, None for a missing cell."""
    missing = series.isna().to_numpy()
    if knime_type == ColumnType.DOUBLE:
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return [None if m else float(v) for v, m in zip(values, missing, strict=True)]
    if knime_type in (ColumnType.INTEGER, ColumnType.LONG):
        return [None if m else int(v) for v, m in zip(series.tolist(), missing, strict=True)]
    if knime_type == ColumnType.BOOLEAN:
        return [None if m else bool(v) for v, m in zip(series.tolist(), missing, strict=True)]
    return [None if m else str(v) for v, m in zip(series.tolist(), missing, strict=True)]


def _arrow_ready(df: pd.DataFrame, columns: list[str], types: dict[str, str]) -> pd.DataFrame:
    """The columns in dtypes Arrow maps onto the Spark schema exactly (nullable integers and
    booleans, float64, strings as Python objects), index 0..n-1."""
    data: dict[str, Any] = {}
    for c in columns:
        t, col = types[c], df[c].reset_index(drop=True)
        if t == ColumnType.DOUBLE:
            data[c] = pd.to_numeric(col).astype("Float64")  # NaN and NA: null, as the row path sends None
        elif t == ColumnType.INTEGER:
            data[c] = col.astype("Int32")
        elif t == ColumnType.LONG:
            data[c] = col.astype("Int64")
        elif t == ColumnType.BOOLEAN:
            data[c] = col.astype("boolean")
        else:
            data[c] = pd.Series(python_values(col, t), dtype=object)
    return pd.DataFrame(data, columns=columns)


def frame_from_pandas(session: Any, df: pd.DataFrame, columns: list[str], types: dict[str, str]) -> Any:
    """A Spark DataFrame with the table's rows in order (RowIDs are not transferred, as in KNIME):
    through Arrow when the session has it on (one batch instead of a pickled Python row per row),
    else (or should Arrow refuse a column) from Python rows."""
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField(c, spark_type(types[c]), True) for c in columns])
    arrow = session.conf.get("spark.sql.execution.arrow.pyspark.enabled", "false").lower() == "true"
    if arrow and columns and len(df):
        try:
            return session.createDataFrame(_arrow_ready(df, columns, types), schema)
        except Exception:  # noqa: BLE001 - any Arrow refusal: the row path below always works
            pass
    cols = [python_values(df[c], types[c]) for c in columns]
    rows = list(zip(*cols, strict=True)) if cols else [() for _ in range(len(df))]
    return session.createDataFrame(rows, schema)


def knime_type(spark_type: Any, known: str | None) -> str:
    name = type(spark_type).__name__
    if name in ("DoubleType", "FloatType", "DecimalType"):
        return ColumnType.DOUBLE
    if name in ("IntegerType", "ShortType", "ByteType"):
        return ColumnType.INTEGER
    if name == "LongType":
        return ColumnType.LONG
    if name == "BooleanType":
        return ColumnType.BOOLEAN
    if name == "StringType" and known in (ColumnType.STRING, ColumnType.SMILES):
        return known
    return ColumnType.STRING


def typed_frame(columns: list[str], types: list[str], values: list[list[Any]]) -> pd.DataFrame:
    """Columns of Python values (None = missing) as the pandas frame Spark to Table outputs."""
    data: dict[str, pd.Series] = {}
    for name, t, col in zip(columns, types, values, strict=True):
        if t == ColumnType.DOUBLE:
            data[name] = pd.Series([np.nan if v is None else float(v) for v in col], dtype="float64")
        elif t in (ColumnType.INTEGER, ColumnType.LONG):
            if any(v is None for v in col):
                data[name] = pd.Series(pd.array(col, dtype="Int64"))
            else:
                data[name] = pd.Series(col, dtype="int64")
        elif t == ColumnType.BOOLEAN:
            data[name] = (
                pd.Series(pd.array(col, dtype="boolean")) if None in col else pd.Series(col, dtype="bool")
            )
        else:
            data[name] = pd.Series([None if v is None else str(v) for v in col], dtype="object")
    df = pd.DataFrame(data, columns=columns)
    df.attrs["knime_types"] = dict(zip(columns, types, strict=True))
    return df


def frame_to_pandas(schema: Any, rows: list[Any], known: dict[str, str]) -> pd.DataFrame:
    """Collected rows as a typed pandas frame (index 0..n-1)."""
    names = [f.name for f in schema.fields]
    types = [knime_type(f.dataType, known.get(f.name)) for f in schema.fields]
    return typed_frame(names, types, [[r[i] for r in rows] for i in range(len(names))])


def snapshot_to_pandas(snapshot: pd.DataFrame, columns: list[str], types: dict[str, str]) -> pd.DataFrame:
    """The driver-side rows of a Spark frame as `frame_to_pandas` would give them after a round trip
    through Spark (the same Spark types, so the same KNIME types and dtypes), without a Spark job."""
    round_trip = [knime_type(spark_type(types[c]), types[c]) for c in columns]
    return typed_frame(columns, round_trip, [python_values(snapshot[c], types[c]) for c in columns])
