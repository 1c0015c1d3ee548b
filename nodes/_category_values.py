"""The category aggregation of KNIME's dynamic JavaScript charts (Bar Chart, Pie/Donut Chart):
their `GroupedProcessor` groups the rows by the category column with a GroupBy (groups in value
order), counts each group (Occurence Count) or sums or averages each frequency column in it,
missing values skipped; rows with a missing category form the "Missing values" category, last,
when the chart asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.api import Table
from nodes._mining import cell_text

COUNT = "Occurence\u00a0Count"  # KNIME's spelling, with a no-break space
MISSING_CATEGORY = "Missing values"


@dataclass
class CategoryValues:
    """One row per category (`keys` holds the category cells, None for the missing category),
    one column per series; NaN where a group has no value; missing cells counted per column."""

    categories: list[str]
    keys: list[Any]
    series: list[str]
    values: np.ndarray
    missing: dict[str, int]


def category_values(
    table: Table, cat: str, aggr: str, columns: list[str], with_missing_category: bool
) -> CategoryValues:
    """The groups of `cat` in KNIME's GroupBy order, counted (aggr = COUNT) or with each of
    `columns` summed or averaged (aggr "Sum" / "Average")."""
    keys = table.df[cat]
    present = keys.notna().to_numpy()
    texts = np.array(
        [cell_text(v) if p else "" for v, p in zip(keys.tolist(), present, strict=True)], dtype=object
    )
    order = sorted(
        {(v, t) for v, t, p in zip(keys.tolist(), texts, present, strict=True) if p}, key=_sort_key
    )
    categories = [t for _, t in order]
    cells: list[Any] = [v for v, _ in order]
    missing_counts: dict[str, int] = {}
    with_missing = with_missing_category and not present.all()
    groups = [texts == t for t in categories] + ([~present] if with_missing else [])
    if with_missing:
        categories = [*categories, MISSING_CATEGORY]
        cells = [*cells, None]
    if not present.all():
        missing_counts[cat] = int((~present).sum())
    if aggr == COUNT:
        values = np.array([[float(g.sum())] for g in groups]).reshape(len(groups), 1)
        return CategoryValues(categories, cells, ["Occurrence Count"], values, missing_counts)
    values = np.full((len(groups), len(columns)), np.nan)
    for j, name in enumerate(columns):
        col = pd.to_numeric(table.df[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(col).any():
            missing_counts[name] = int(np.isnan(col).sum())
        for i, g in enumerate(groups):
            v = col[g]
            v = v[~np.isnan(v)]
            if len(v):
                values[i, j] = v.sum() if aggr == "Sum" else v.mean()
    return CategoryValues(categories, cells, list(columns), values, missing_counts)


def _sort_key(item: tuple[Any, str]) -> tuple[int, Any]:
    value, text = item
    if isinstance(value, bool | np.bool_):
        return (0, bool(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return (1, float(value))
    return (2, text)
