"""Excel cells as KNIME's Excel Reader types and prints them: column letters, the type guessed over a
column's cells (Integer -> Long -> Double, Boolean, else String), cell text and typed columns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from engine.api import ColumnType, NodeError
from nodes._rows import coerce

INT32 = 2**31
INT64 = 2**63


def column_index(letters: str) -> int:
    """Excel column letters as a 1-based index (A = 1, AA = 27)."""
    n = 0
    for ch in letters.strip().upper():
        if not "A" <= ch <= "Z":
            raise NodeError(f"invalid column letters {letters!r}")
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(index: int) -> str:
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _cell_type(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return ColumnType.BOOLEAN
    if isinstance(value, int):
        return ColumnType.INTEGER if -INT32 <= value < INT32 else ColumnType.LONG
    if isinstance(value, float):
        if value.is_integer() and abs(value) < INT64:
            return ColumnType.INTEGER if -INT32 <= value < INT32 else ColumnType.LONG
        return ColumnType.DOUBLE
    return ColumnType.STRING


_NUMBER_RANK = {ColumnType.INTEGER: 0, ColumnType.LONG: 1, ColumnType.DOUBLE: 2}


def guess_type(values: list[Any]) -> str:
    """KNIME's type hierarchy over the cells: numbers widen Integer -> Long -> Double; Boolean only
    with Booleans; anything else (or a mix) is String."""
    kinds = {t for t in map(_cell_type, values) if t is not None}
    if not kinds:
        return ColumnType.STRING
    if kinds <= set(_NUMBER_RANK):
        return max(kinds, key=_NUMBER_RANK.__getitem__)
    if kinds == {ColumnType.BOOLEAN}:
        return ColumnType.BOOLEAN
    return ColumnType.STRING


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _convert(values: list[Any], col_type: str) -> pd.Series:
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        return coerce(pd.Series([None if v is None else int(v) for v in values], dtype=object), col_type)
    if col_type == ColumnType.DOUBLE:
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    if col_type == ColumnType.BOOLEAN:
        return coerce(pd.Series(values, dtype=object), col_type)
    return pd.Series([None if v is None else _text(v) for v in values], dtype=object)
