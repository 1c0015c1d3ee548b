"""KNIME's aggregation methods (org.knime.base.data.aggregation), shared by GroupBy and Pivot.

Each method has KNIME's id (as stored in `aggregationMethod`), its column label (`Sum` in
`Sum(x)`), the result type for an input type and whether missing cells take part. `aggregate`
computes one group's cell from the group's values in input order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.api import ColumnType
from nodes._datetime import date_time_text
from nodes._java_text import java_double_to_string


def is_missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def cell_text(value: Any, col_type: str) -> str:
    """A cell as KNIME's `DataCell.toString()` writes it; `?` for a missing cell."""
    if is_missing(value):
        return "?"
    if col_type == ColumnType.DOUBLE:
        return java_double_to_string(float(value))
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        return str(int(value))
    if col_type == ColumnType.BOOLEAN:
        return "true" if bool(value) else "false"
    if col_type in ColumnType.DATE_TIME:
        return date_time_text(value)
    if ColumnType.collection_kind(col_type):
        element = ColumnType.element_of(col_type)
        return "[" + ", ".join(cell_text(v, element) for v in value) + "]"
    return str(value)


@dataclass(frozen=True)
class Method:
    id: str  # KNIME's current method id
    label: str  # KNIME's column label, e.g. "Sum" in "Sum(diag)"
    numeric_only: bool
    result: Callable[[str], str]  # input column type -> result column type
    uses_limit: bool = False  # skipped when a group has more distinct values than maxNoneNumericalVals
    missing_option: bool = True  # the "missing" checkbox applies (KNIME's supportsMissingValueOption)


def _sum_type(t: str) -> str:
    return t if t in (ColumnType.INTEGER, ColumnType.LONG) else ColumnType.DOUBLE


def _same(t: str) -> str:
    return t


def _double(t: str) -> str:
    return ColumnType.DOUBLE


def _integer(t: str) -> str:
    return ColumnType.INTEGER


def _string(t: str) -> str:
    return ColumnType.STRING


METHODS: dict[str, Method] = {
    "first": Method("First", "First", False, _same),
    "last": Method("Last", "Last", False, _same),
    "min": Method("Minimum", "Min", False, _same, missing_option=False),
    "max": Method("Maximum", "Max", False, _same, missing_option=False),
    "mean": Method("Mean", "Mean", True, _double, missing_option=False),
    "median": Method("Median_V3.4", "Median", True, _double, missing_option=False),
    "sum": Method("Sum_V2.5.2", "Sum", True, _sum_type, missing_option=False),
    "product": Method("Product", "Product", True, _double, missing_option=False),
    "range": Method("Range", "Range", True, _double, missing_option=False),
    "standard deviation": Method(
        "Standard deviation", "Standard deviation", True, _double, missing_option=False
    ),
    "variance": Method("Variance", "Variance", True, _double, missing_option=False),
    "count": Method("Count", "Count", False, _integer),
    "unique count": Method("Unique count", "Unique count", False, _integer, uses_limit=True),
    "concatenate": Method("Concatenate", "Concatenate", False, _string),
    "unique concatenate": Method("Unique concatenate", "Unique concatenate", False, _string, uses_limit=True),
    "mode": Method("Mode", "Mode", False, _same, uses_limit=True),
    "percent": Method("Percent", "Percent", False, _double),
    "missing value count": Method("Missing value count", "Missing value count", False, _integer, False),
    "list": Method("List", "List", False, ColumnType.list_of),
    "set": Method("Set", "Set", False, ColumnType.set_of, uses_limit=True),
}
_ALIASES = {
    "minimum": "min",
    "maximum": "max",
    "stddeviation": "standard deviation",
    "std": "standard deviation",
    "standarddeviation": "standard deviation",
    "uniquecount": "unique count",
    "uniqueconcatenate": "unique concatenate",
    "missingvaluecount": "missing value count",
    "missingcount": "missing value count",
}


def method_key(method_id: str) -> str | None:
    """KNIME's method ids (`Sum_V2.5.2`, `Mean`, `Minimum`, `uniqueConcatenate_V2.4`) to ours."""
    base = method_id.split("_V", 1)[0].strip().lower()
    if base in METHODS:
        return base
    squashed = re.sub(r"[\s_]+", "", base)
    key = _ALIASES.get(base) or _ALIASES.get(squashed)
    return key if key in METHODS else None


def method_names() -> str:
    return ", ".join(m.label if m.label == m.id else f"{m.id} ({m.label})" for m in METHODS.values())


def skipped_groups_message(skipped: dict[str, list[tuple[str, str]]]) -> str:
    """GroupByTable.getSkippedGroupsMessage(3, 3)."""
    parts = []
    for column, groups in list(skipped.items())[:3]:
        names = [g for g, _ in groups if g]
        causes = list(dict.fromkeys(c for _, c in groups if c))
        text = column
        if names:
            text += ' groups: "' + ", ".join(names[:3]) + (", ..." if len(names) > 3 else "") + '"'
        if causes:
            text += ' cause: "' + ", ".join(causes[:3]) + '"'
        parts.append(text)
    more = "; ..." if len(skipped) > 3 else ""
    return "Skipped group(s): " + "; ".join(parts) + more


class Skipped(Exception):
    """The group has more distinct values than the limit: KNIME leaves the cell missing and warns."""


def aggregate(
    values: pd.Series,
    method: Method,
    in_type: str,
    include_missing: bool,
    *,
    delimiter: str = ", ",
    max_unique: int = 10000,
    total_rows: int = 0,
) -> Any:
    """One aggregated cell (None = missing) from the values of one group, in input order.
    Raises `Skipped` when a distinct-value method meets more than `max_unique` values."""
    label = method.label
    cells = list(values.to_numpy(dtype=object))
    missing = [is_missing(v) for v in cells]
    present = [v for v, m in zip(cells, missing, strict=True) if not m]
    keep_missing = include_missing and method.missing_option
    pool = [None if m else v for v, m in zip(cells, missing, strict=True)] if keep_missing else present
    if label in _POSITIONAL:
        return _positional(label, pool, sum(missing), total_rows)
    if label in _DISTINCT:
        return _distinct(label, pool, in_type, delimiter, max_unique)
    if label == "Concatenate":
        return delimiter.join(cell_text(v, in_type) for v in pool) if pool else None
    if not present:
        return None
    if label == "Min":
        return min(present)
    if label == "Max":
        return max(present)
    numbers = np.asarray(present, dtype="float64")
    if label == "Sum":
        return _sum(numbers, method.result(in_type))
    if label in _STATISTICS:
        return _STATISTICS[label](numbers)
    raise ValueError(f"aggregation {label} not implemented")  # pragma: no cover


_POSITIONAL = ("Count", "Missing value count", "Percent", "First", "Last", "List")
_DISTINCT = ("Set", "Unique count", "Unique concatenate", "Mode")


def _positional(label: str, pool: list[Any], n_missing: int, total_rows: int) -> Any:
    """The methods that count or pick cells, whatever their type."""
    if label == "Count":
        return len(pool)
    if label == "Missing value count":
        return n_missing
    if label == "Percent":
        return 100.0 * len(pool) / total_rows if total_rows else None
    if label == "List":
        return tuple(pool)
    if not pool:
        return None
    return pool[0] if label == "First" else pool[-1]


def _distinct(label: str, pool: list[Any], in_type: str, delimiter: str, max_unique: int) -> Any:
    """The methods over distinct values, in first-seen order (KNIME's LinkedHashMap); a missing
    value counts as `?`."""
    counts = _distinct_counts(pool, in_type, max_unique, by_text=label != "Set")
    if label == "Unique count":
        return len(counts)
    if label == "Unique concatenate":
        return delimiter.join("?" if k == ("?",) else str(k) for k in counts) if counts else None
    if label == "Set":
        return tuple(None if k == ("?",) else k for k in counts)
    return _mode(counts, pool, in_type)


def _distinct_counts(pool: list[Any], in_type: str, max_unique: int, *, by_text: bool) -> dict[Any, int]:
    """How often each distinct value (its text, or itself for Set) occurs, in first-seen order."""
    counts: dict[Any, int] = {}
    for v in pool:
        key = ("?",) if v is None else (cell_text(v, in_type) if by_text else _hashable(v))
        if key not in counts and len(counts) >= max_unique:
            raise Skipped(f"Group contains too many unique values (more than {max_unique})")
        counts[key] = counts.get(key, 0) + 1
    return counts


def _mode(counts: dict[Any, int], pool: list[Any], in_type: str) -> Any:
    """The first value reaching the highest count (LinkedHashMap order); missing if that is `?`."""
    if not counts:
        return None
    best = max(counts.values())
    first_key = next(k for k, c in counts.items() if c == best)
    if first_key == ("?",):
        return None
    return next(v for v in pool if v is not None and cell_text(v, in_type) == first_key)


def _sum(numbers: np.ndarray, out_type: str) -> Any:
    total = float(numbers.sum())
    if out_type == ColumnType.INTEGER:
        if total > 2**31 - 1:
            raise Skipped("Sum > maximum int value. Convert column to long.")
        return int(total)
    if out_type == ColumnType.LONG:
        return int(total)
    return total


_STATISTICS: dict[str, Callable[[np.ndarray], float]] = {
    "Mean": lambda x: float(x.mean()),
    "Median": lambda x: float(np.median(x)),
    "Product": lambda x: float(np.prod(x)),
    "Range": lambda x: float(x.max() - x.min()),
    "Standard deviation": lambda x: float(x.std(ddof=1)) if len(x) > 1 else 0.0,
    "Variance": lambda x: float(x.var(ddof=1)) if len(x) > 1 else 0.0,
}


def _hashable(v: Any) -> Any:
    return v if not isinstance(v, list) else tuple(v)
