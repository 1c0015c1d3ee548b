"""Helpers shared by the classification learners and predictors of the analytics modules
(trees, forests, boosting, neighbours, neural networks): KNIME's PredictorHelper naming, class
values in KNIME's domain order, and output columns made unique the way KNIME's
UniqueNameGenerator does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from engine.api import ColumnType, ConfigureError, ModelSpec, TableSpec, unique_column_name
from nodes._mining import NOMINAL, cell_text


def prediction_name(custom: str | None, change: bool, target: str) -> str:
    """PredictorHelper.computePredictionColumnName: `Prediction (<target>)` unless overridden."""
    if change:
        if not custom or not custom.strip():
            raise ConfigureError("Prediction column name cannot be empty", setting="prediction column name")
        return custom
    return f"Prediction ({target})"


def probability_name(target: str, value: Any, suffix: str | None) -> str:
    """PredictorHelper.probabilityColumnName: `P (<target>=<value>)<suffix>`."""
    return f"P ({target}={cell_text(value)}){suffix or ''}"


def class_values(values: Iterable[Any]) -> list[Any]:
    """The distinct non-missing values in order of first appearance: the order KNIME's domain
    calculator records possible values in (and the learners' class mappers use)."""
    seen: dict[Any, None] = {}
    for v in values:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            continue
        seen.setdefault(v.item() if isinstance(v, np.generic) else v, None)
    return list(seen)


def append_unique(spec: TableSpec, columns: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The new columns' names made unique against the input and each other (`name (#1)`)."""
    out: list[tuple[str, str]] = []
    taken = set(spec.names)
    for name, kind in columns:
        unique = unique_column_name(taken, name)
        taken.add(unique)
        out.append((unique, kind))
    return out


def check_learning_columns(model: ModelSpec, spec: TableSpec) -> None:
    """Configure-time check of a predictor's input against the learner's columns (name and kind)."""
    for col in model.learning_columns.columns:
        have = spec.get(col.name)
        if have is None:
            raise ConfigureError(
                f'Learning column "{col.name}" not found in input data to be predicted '
                f"(columns: {', '.join(spec.names) or 'none'})"
            )
        numeric = col.type in ColumnType.NUMERIC or col.type == ColumnType.BOOLEAN
        if numeric and not (have.is_numeric() or have.type == ColumnType.BOOLEAN):
            raise ConfigureError(f"the learning column {col.name!r} must be numeric (type {have.type})")
        if not numeric and col.type in NOMINAL and have.type not in NOMINAL:
            raise ConfigureError(f"the learning column {col.name!r} must be nominal (type {have.type})")


def model_spec_of(obj: Any, kind: str) -> ModelSpec | None:
    """A predictor's model port at configure time: the learner's `ModelSpec` of the right kind."""
    return obj if isinstance(obj, ModelSpec) and obj.kind == kind else None


def numeric_matrix(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Numeric (and Boolean, as 0/1) columns as a float matrix with NaN for missing cells."""
    if not columns:
        return np.zeros((len(df), 0))
    parts = []
    for c in columns:
        s = df[c]
        if isinstance(s.dtype, pd.BooleanDtype) or s.dtype == bool:
            parts.append(s.astype("float64").to_numpy(dtype=float, na_value=np.nan))
        else:
            parts.append(pd.to_numeric(s).to_numpy(dtype=float, na_value=np.nan))
    return np.column_stack(parts)


def text_values(series: pd.Series) -> list[Any]:
    """A nominal column's cells as Python values (None for missing), compared like KNIME cells."""
    return [None if pd.isna(v) else (v.item() if isinstance(v, np.generic) else v) for v in series.tolist()]
