"""One page of a table for the output viewer: rows (optionally sorted, the order cached per
table and column), a window of columns, cells as JSON the front end can show."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
from fastapi.responses import Response

from engine.api import Table
from engine.editor.errors import ApiError


def table_page(
    table: Table,
    key: tuple[Any, ...],
    sort_cache: OrderedDict[tuple[Any, ...], np.ndarray],
    offset: int,
    limit: int,
    sort: str | None,
    desc: bool,
    col_offset: int,
    col_limit: int | None,
    extra: dict[str, Any],
    col_filter: str | None = None,
) -> Response:
    """`limit` rows from `offset` (in the order of column `sort` when given) and the columns from
    `col_offset` (`col_limit` of them, all when None), as the JSON the output viewer reads."""
    df = table.df
    total = len(df)
    limit = max(1, min(int(limit), 1000))
    offset = max(0, min(int(offset), max(total - 1, 0)))
    if sort:
        order = _sort_order(table, (*key, sort, desc), sort_cache, sort, desc)
        rows = order[offset : offset + limit]
        page = df.iloc[rows]
    else:
        page = df.iloc[offset : offset + limit]
    chosen = list(range(df.shape[1]))
    if col_filter:  # the viewer's column search: names containing the text, any case
        needle = col_filter.lower()
        chosen = [i for i, c in enumerate(df.columns) if needle in str(c).lower()]
    ncols = len(chosen)
    c0 = max(0, int(col_offset))
    c1 = ncols if col_limit is None else min(ncols, c0 + max(1, int(col_limit)))
    page = page.iloc[:, chosen[c0:c1]]
    columns = [{"name": str(c), "type": table.types.get(str(c), "")} for c in page.columns]
    page = _json_ready(page, table)
    rows_json = (
        page.to_json(orient="values", double_precision=15, default_handler=str)
        if len(page.columns)
        else json.dumps([[] for _ in range(len(page))])
    )
    head = {
        **extra,
        "kind": "table",
        "total_rows": total,
        "total_columns": ncols,
        "offset": offset,
        "limit": limit,
        "col_offset": c0,
        "col_filter": col_filter or "",
        "sort": sort,
        "desc": desc,
        "columns": columns,
        "row_ids": [str(i) for i in page.index],
    }
    body = json.dumps(head)[:-1] + ',"rows":' + rows_json + "}"
    return Response(body, media_type="application/json")


def _sort_order(
    table: Table,
    cache_key: tuple[Any, ...],
    sort_cache: OrderedDict[tuple[Any, ...], np.ndarray],
    sort: str,
    desc: bool,
) -> np.ndarray:
    """Row positions in the order of column `sort` (or the RowIDs), missing values last; the last
    16 orders are kept."""
    order = sort_cache.get(cache_key)
    if order is not None:
        return order
    df = table.df
    if sort == "RowID":
        values = pd.Series(df.index.astype(str), copy=False)
    elif sort in df.columns:
        values = df[sort]
        if table.types.get(sort) == "Bit vector" or values.dtype == object:
            values = values.astype(str).where(values.notna(), None)
    else:
        raise ApiError(400, f"no column {sort!r} to sort by")
    order = np.asarray(
        values.reset_index(drop=True).sort_values(ascending=not desc, kind="stable", na_position="last").index
    )
    sort_cache[cache_key] = order
    while len(sort_cache) > 16:
        sort_cache.popitem(last=False)
    return order


def _json_ready(page: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Bit vectors and other object cells as strings, numbers and booleans kept, NaN as null."""
    odd = [
        i
        for i, c in enumerate(page.columns)
        if table.types.get(str(c)) in ("Bit vector",) or page[c].dtype == object
    ]
    if not odd:
        return page
    page = page.copy()
    for i in odd:
        page.isetitem(i, page.iloc[:, i].map(_json_cell))
    return page


def _json_cell(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v if isinstance(v, str | int | float | bool) else str(v)
