"""Helpers shared by the learner, predictor and scorer nodes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from engine.api import ColumnType, ConfigureError, TableSpec

NOMINAL = frozenset({ColumnType.STRING, ColumnType.BOOLEAN})


def cell_text(value: Any) -> str:
    """A cell's text as KNIME prints it (BooleanCell `true`, DoubleCell `1.0`)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e7:
            return f"{value:.1f}"
        return repr(value)
    return str(value)


def parse_seed(value: Any) -> int | None:
    """KNIME stores seeds as strings that may be empty or null; flow variables bind them as ints."""
    if value is None or isinstance(value, bool):
        return None if value is None else int(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"cannot parse seed {value!r} as an integer") from None


def check_column(
    spec: TableSpec,
    name: str | None,
    setting: str,
    *,
    what: str,
    numeric: bool = False,
    allowed: frozenset[str] | None = None,
) -> None:
    """Configure-time check that a chosen column exists (and has a usable type)."""
    if not name:
        raise ConfigureError(f"no {what} column selected", setting=setting)
    col = spec.get(name)
    if col is None:
        raise ConfigureError(
            f"{what} column {name!r} not found in the input table (columns: {', '.join(spec.names) or 'none'})",
            setting=setting,
        )
    if numeric and not col.is_numeric():
        raise ConfigureError(f"the {what} column {name!r} is not numeric (type {col.type})", setting=setting)
    if allowed is not None and col.type not in allowed:
        raise ConfigureError(
            f"the {what} column {name!r} has type {col.type}; expected one of {', '.join(sorted(allowed))}",
            setting=setting,
        )


def numeric_values(df: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as float64 with NaN for missing cells (nullable Int64 included)."""
    s = df[column]
    if isinstance(s.dtype, pd.BooleanDtype) or s.dtype == bool:
        return s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(s, errors="raise").to_numpy(dtype=float, na_value=np.nan)


def incremental_mean(values: Iterable[float]) -> float:
    """Apache commons-math `Mean.increment`/`getResult` (KNIME's scorers): m += (x - m) / n, which
    rounds differently from numpy's pairwise sum in the last bits."""
    m = 0.0
    n = 0
    for x in values:
        n += 1
        m += (x - m) / n
    return m if n else float("nan")


def sum_of_squares(values: Iterable[float]) -> float:
    """Apache commons-math `SumOfSquares` fed one value at a time."""
    total = 0.0
    for x in values:
        total += x * x
    return total
