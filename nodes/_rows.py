"""Row-level helpers shared by the join, concatenate and row-operation nodes: taking rows by
position (with -1 for "no row here", i.e. a missing cell) while keeping knitflow's dtype for each
KNIME column type, KNIME's common super type of two column types, and the RowIDs of appended
tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from engine.api import ColumnType, NodeError, Table
from nodes._java_text import java_double_to_string

ROW_ID_ALIASES = ("<RowID>", "<ROW_ID>", "<row-keys>", "<ROWID>", "$RowID$", "ROWID")
ROW_ID = "<RowID>"


def is_row_id(name: str | None) -> bool:
    return name in ROW_ID_ALIASES


def is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def group_keys(table: Table, columns: list[str]) -> list[tuple[Any, ...]]:
    """Each row's values in `columns` as a hashable key; missing cells are None (equal to each other,
    as KNIME's missing cells are)."""
    cols = [table.df[c].to_numpy(dtype=object) for c in columns]
    return [tuple(None if is_missing(col[i]) else col[i] for col in cols) for i in range(len(table))]


def coerce(series: pd.Series, col_type: str) -> pd.Series:
    """`series` in the dtype knitflow uses for `col_type` (nullable when it holds missing cells)."""
    has_missing = bool(series.isna().any())
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        if has_missing:
            return series.astype("Int64")
        return series.astype(np.int64)
    if col_type == ColumnType.DOUBLE:
        return pd.to_numeric(series, errors="coerce").astype(np.float64)
    if col_type == ColumnType.BOOLEAN:
        return series.astype("boolean") if has_missing else series.astype(bool)
    return series.astype(object).where(~series.isna(), None)


def take(series: pd.Series, col_type: str, positions: np.ndarray) -> pd.Series:
    """series[positions] with a missing cell where a position is -1 (an outer join's padding)."""
    positions = np.asarray(positions, dtype=np.int64)
    if len(positions) and positions.min() < 0:
        values = series.to_numpy(dtype=object)
        picked = np.empty(len(positions), dtype=object)
        present = positions >= 0
        picked[present] = values[positions[present]]
        picked[~present] = None
        return coerce(pd.Series(picked, dtype=object), col_type)
    out = series.iloc[positions].reset_index(drop=True)
    return out


_WIDTH = {ColumnType.INTEGER: 0, ColumnType.LONG: 1, ColumnType.DOUBLE: 2}


def common_type(types: Sequence[str]) -> str:
    """KNIME's common super type as knitflow can hold it: equal types stay, numbers widen
    (Integer < Long < Double), anything else becomes String (KNIME keeps a generic cell type,
    whose cells knitflow writes as their text)."""
    distinct = list(dict.fromkeys(types))
    if len(distinct) == 1:
        return distinct[0]
    if all(t in _WIDTH for t in distinct):
        return max(distinct, key=_WIDTH.__getitem__)
    return ColumnType.STRING


def cell_text(value: Any) -> Any:
    """A cell as KNIME prints it (Double.toString, true/false), missing stays missing."""
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return java_double_to_string(float(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def as_type(series: pd.Series, from_type: str, to_type: str) -> pd.Series:
    """A column widened to `to_type` (see `common_type`)."""
    if from_type == to_type:
        return series
    if to_type == ColumnType.STRING:
        return pd.Series(
            [cell_text(v) for v in series.to_numpy(dtype=object)], index=series.index, dtype=object
        )
    return coerce(series, to_type)


def appended_row_ids(
    tables: list[Table], *, suffix: str | None, fail_setting: str | None = None
) -> tuple[list[str], list[np.ndarray], int]:
    """The RowIDs of tables appended one after the other, as KNIME's AppendedRowsTable gives them:
    a repeated RowID gets `suffix` appended until unique, or (suffix None) its row is skipped, or
    (fail_setting given) fails the node. Returns the kept rows' RowIDs, which rows of each table
    are kept, and how many were skipped."""
    ids: list[str] = []
    keep: list[np.ndarray] = []
    seen: set[str] = set()
    skipped = 0
    for t in tables:
        mask = np.ones(len(t), dtype=bool)
        for k, rid in enumerate(t.row_ids):
            new = rid
            if new in seen:
                if fail_setting is not None:
                    raise NodeError(
                        f"Duplicate RowID {rid!r} in the concatenated tables", setting=fail_setting
                    )
                if suffix is None:
                    mask[k] = False
                    skipped += 1
                    continue
                while new in seen:
                    new += suffix
            seen.add(new)
            ids.append(new)
        keep.append(mask)
    return ids, keep, skipped
