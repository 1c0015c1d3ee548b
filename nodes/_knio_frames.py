"""The pandas side of nodes._knio (KNIME's `knime.scripting.io`): a table as KNIME's Python API
hands it to a script, and a script's DataFrame back as a table, with KNIME's column types and RowIDs
(knime-python `knime/api/table.py`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from engine.api import ColumnType
from engine.api import Table as EngineTable
from engine.api import row_ids as make_row_ids


class KnioError(Exception):
    """A misuse of the knio API inside a script (reported with the script's line)."""


_INT32 = (np.iinfo(np.int32).min, np.iinfo(np.int32).max)
_INT64 = (np.iinfo(np.int64).min, np.iinfo(np.int64).max)


def _sentinel_value(sentinel: str | int | None, col_type: str) -> int | None:
    if sentinel is None:
        return None
    lo, hi = _INT32 if col_type == ColumnType.INTEGER else _INT64
    if sentinel == "min":
        return int(lo)
    if sentinel == "max":
        return int(hi)
    if isinstance(sentinel, int | np.integer):
        return int(sentinel)
    raise KnioError(f"sentinel must be 'min', 'max' or an int, not {sentinel!r}")


def table_to_pandas(table: EngineTable, sentinel: str | int | None = None) -> pd.DataFrame:
    """KNIME's pandas view of a table: Integer columns as int32 (nullable Int32 with missing
    values), Long as int64/Int64, so that a script that passes them through keeps the types."""
    df = table.df.copy()
    for name, col_type in table.types.items():
        if col_type not in (ColumnType.INTEGER, ColumnType.LONG):
            continue
        col = df[name]
        width = "32" if col_type == ColumnType.INTEGER else "64"
        fill = _sentinel_value(sentinel, col_type)
        if col.isna().any():
            df[name] = (
                col.fillna(fill).astype(f"int{width}") if fill is not None else col.astype(f"Int{width}")
            )
        else:
            df[name] = col.astype(f"int{width}")
    df.index = pd.Index([str(i) for i in df.index], dtype=object)
    return df


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool | np.bool_)


def _is_int(v: Any) -> bool:
    return isinstance(v, int | np.integer) and not _is_bool(v)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not _is_bool(v)


def _infer_object_column(col: pd.Series) -> tuple[pd.Series, str]:
    """An object column's KNIME type from its values: all booleans, all ints, all numbers, else text."""
    values = [v for v in col.tolist() if not _missing(v)]
    has_missing = len(values) < len(col)
    if values and all(_is_bool(v) for v in values):
        return col.astype("boolean") if has_missing else col.astype(bool), ColumnType.BOOLEAN
    if values and all(_is_int(v) for v in values):
        if has_missing:
            ints = pd.array([None if _missing(v) else int(v) for v in col], dtype="Int64")
            return pd.Series(ints, index=col.index), ColumnType.LONG
        return col.astype("int64"), ColumnType.LONG
    if values and all(_is_number(v) for v in values):
        return col.astype("float64"), ColumnType.DOUBLE
    return _as_text(col), ColumnType.STRING


def _as_text(col: pd.Series) -> pd.Series:
    texts = [None if _missing(v) else (v if isinstance(v, str) else str(v)) for v in col.tolist()]
    return pd.Series(texts, index=col.index, dtype=object)


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _knime_row_ids(index: pd.Index, row_ids: str) -> pd.Index:
    if row_ids == "generate":
        return make_row_ids(len(index))
    if row_ids == "auto" and pd.api.types.is_integer_dtype(index.dtype):
        return pd.Index([f"Row{int(i)}" for i in index], dtype=object)
    if row_ids in ("auto", "keep"):
        return pd.Index([str(i) for i in index], dtype=object)
    raise KnioError(f"row_ids must be 'auto', 'keep' or 'generate', not {row_ids!r}")


def _checked_frame(data: Any, row_ids: str) -> pd.DataFrame:
    """A copy of a script's DataFrame with string column names and KNIME RowIDs, both unique."""
    if not isinstance(data, pd.DataFrame):
        raise KnioError(f"Table.from_pandas needs a pandas DataFrame, got {type(data).__name__}")
    df = data.copy()
    df.columns = [str(c) if not isinstance(c, tuple) else "_".join(map(str, c)) for c in df.columns]
    if len(set(df.columns)) != len(df.columns):
        dup = pd.Index(df.columns)[pd.Index(df.columns).duplicated()][0]
        raise KnioError(f"duplicate column name {dup!r} in the output table")
    df.index = _knime_row_ids(df.index, row_ids)
    if df.index.has_duplicates:
        raise KnioError(f"duplicate RowID {df.index[df.index.duplicated()][0]!r} in the output table")
    return df


def _integer_column(col: pd.Series, sentinel: str | int | None) -> tuple[pd.Series, str]:
    """Narrow ints are KNIME Integers, wider ones Longs (and Integers whose values do not fit);
    the sentinel value, if any, stands for a missing cell."""
    dtype = col.dtype
    np_dtype = np.dtype(getattr(dtype, "numpy_dtype", dtype))
    small = np_dtype.itemsize < 4 or (np_dtype.itemsize == 4 and np_dtype.kind == "i")
    col_type = ColumnType.INTEGER if small else ColumnType.LONG
    lo, hi = _INT32 if small else _INT64
    fill = None if sentinel is None else _sentinel_value(sentinel, col_type)
    ints = col.astype("Int64")
    if fill is not None:
        ints = ints.mask(ints == fill)
    if ints.notna().any() and (int(ints.min()) < lo or int(ints.max()) > hi):
        col_type = ColumnType.LONG
    return (ints if ints.isna().any() else ints.astype("int64")), col_type


def _typed_column(col: pd.Series, sentinel: str | int | None) -> tuple[pd.Series, str]:
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return col, ColumnType.BOOLEAN
    if pd.api.types.is_integer_dtype(dtype):
        return _integer_column(col, sentinel)
    if pd.api.types.is_float_dtype(dtype):
        return col.astype("float64"), ColumnType.DOUBLE
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        texts = [None if _missing(v) else str(v) for v in col.tolist()]
        return pd.Series(texts, index=col.index, dtype=object), ColumnType.STRING
    return _infer_object_column(col)


def pandas_to_table(
    data: pd.DataFrame, sentinel: str | int | None = None, row_ids: str = "auto"
) -> EngineTable:
    """KNIME's `Table.from_pandas`: column names become strings, RowIDs follow `row_ids`."""
    df = _checked_frame(data, row_ids)
    types: dict[str, str] = {}
    for name in list(df.columns):
        df[name], types[name] = _typed_column(df[name], sentinel)
    return EngineTable(df, types)
