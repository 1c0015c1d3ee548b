"""Column-type helpers several node families share: KNIME type names, a typed column from Python
values, and the common super type of a row's cells."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from engine.api import ColumnType

_TYPE_ALIASES = {
    "integer": ColumnType.INTEGER,
    "int": ColumnType.INTEGER,
    "number (integer)": ColumnType.INTEGER,
    "long": ColumnType.LONG,
    "number (long)": ColumnType.LONG,
    "double": ColumnType.DOUBLE,
    "float": ColumnType.DOUBLE,
    "number (float)": ColumnType.DOUBLE,
    "number (double)": ColumnType.DOUBLE,
    "string": ColumnType.STRING,
    "boolean": ColumnType.BOOLEAN,
    "boolean value": ColumnType.BOOLEAN,
    "local date": ColumnType.LOCAL_DATE,
    "local time": ColumnType.LOCAL_TIME,
    "local date time": ColumnType.LOCAL_DATE_TIME,
    "local date-time": ColumnType.LOCAL_DATE_TIME,
}


def column_type_name(value: Any) -> str:
    """Normalise a type name (`Integer`, `Number (Integer)`, `Double`, `Number (Float)`, `String`...)."""
    key = str(value).strip().lower()
    if key not in _TYPE_ALIASES:
        raise ValueError(
            f"unknown column type {value!r}: use Integer, Long, Double, String, Boolean, Local Date, "
            "Local Time or Local Date Time (KNIME's 'Number (Integer)', 'Number (Float)' are accepted too)"
        )
    return _TYPE_ALIASES[key]


_WIDTH = {ColumnType.BOOLEAN: 0, ColumnType.INTEGER: 1, ColumnType.LONG: 2, ColumnType.DOUBLE: 3}


def common_type(types: list[str]) -> str:
    """KNIME's common super type of the cells of one input row: the widest numeric type when all are
    numbers (Integer < Long < Double), the type itself when all agree, else String."""
    distinct = set(types)
    if not distinct:
        return ColumnType.STRING  # only missing cells
    if len(distinct) == 1:
        only = distinct.pop()
        return ColumnType.STRING if only == ColumnType.SMILES else only
    if distinct <= set(_WIDTH):
        widest = max(distinct, key=_WIDTH.__getitem__)
        return ColumnType.INTEGER if widest == ColumnType.BOOLEAN else widest
    return ColumnType.STRING


def typed_column(values: list[Any] | np.ndarray, col_type: str) -> pd.Series:
    """A column of KNIME type `col_type` from Python values, None meaning missing."""
    missing = [v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) for v in values]
    if col_type == ColumnType.DOUBLE:
        return pd.Series(
            [np.nan if m else float(v) for v, m in zip(values, missing, strict=True)], dtype="float64"
        )
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        if any(missing):
            return pd.Series(
                [pd.NA if m else int(v) for v, m in zip(values, missing, strict=True)], dtype="Int64"
            )
        return pd.Series([int(v) for v in values], dtype="int64")
    if col_type == ColumnType.BOOLEAN:
        if any(missing):
            return pd.Series(
                [pd.NA if m else bool(v) for v, m in zip(values, missing, strict=True)], dtype="boolean"
            )
        return pd.Series([bool(v) for v in values], dtype="bool")
    return pd.Series([None if m else v for v, m in zip(values, missing, strict=True)], dtype="object")


# KNIME's DataType.isASuperTypeOf for the column types knitflow has: the types each type's values
# also stand for (a BooleanCell is an IntValue, an IntCell a LongValue and a DoubleValue, ...)
_SUB_TYPES = {
    ColumnType.DOUBLE: frozenset({ColumnType.LONG, ColumnType.INTEGER, ColumnType.BOOLEAN}),
    ColumnType.LONG: frozenset({ColumnType.INTEGER, ColumnType.BOOLEAN}),
    ColumnType.INTEGER: frozenset({ColumnType.BOOLEAN}),
}


def is_super_type(super_type: str, sub_type: str) -> bool:
    """KNIME's `super_type.isASuperTypeOf(sub_type)`: a column of `super_type` holds the other's cells."""
    return sub_type == super_type or sub_type in _SUB_TYPES.get(super_type, frozenset())


def in_reference_columns(spec: Any, reference: Any, type_compatibility: bool) -> list[bool]:
    """Per column of `spec`: does the reference table have it? With `type_compatibility`, only
    when the column's type is a super type of the reference column's (KNIME's
    AbstractColumnRefNodeModel: a Double column matches an Integer reference column, not the
    other way round)."""
    found = []
    for col in spec.columns:
        ref = reference.get(col.name)
        found.append(ref is not None and (not type_compatibility or is_super_type(col.type, ref.type)))
    return found
