"""KNIME's row comparator, shared by every node that sorts or ranks rows (Sorter, Rank, GroupBy,
Duplicate Row Filter, Row Aggregator).

`sorted_positions` is a stable multi-key sort with KNIME's comparators
(`org.knime.core.data.sort`): strings in alphanumeric "natural" order (`AlphanumericComparator`)
or by UTF-16 code units, numbers by value (Double.compare for doubles: -0.0 < 0.0), booleans
false < true, missing cells smallest unless sent to the end, RowIDs compared as strings.
"""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np
from pydantic import Field

from engine.api import ColumnType, NodeSettings, Table

ROW_ID_NAMES = ("<RowID>", "<ROW_ID>", "<row-keys>", "<ROWID>")


class SortingCriterion(NodeSettings):
    column: str = Field(description="Column to sort by, or <RowID> for the RowIDs.")
    sorting_order: Literal["ASCENDING", "DESCENDING"] = Field("ASCENDING", description="Sort order.")
    string_comparison: Literal["NATURAL", "LEXICOGRAPHIC"] = Field(
        "NATURAL",
        description="Strings: NATURAL compares digit runs as numbers (Row2 < Row10), LEXICOGRAPHIC by character "
        "codes (Row10 < Row2).",
    )


def _utf16(text: str) -> bytes:
    """Java's String.compareTo orders by UTF-16 code units; big-endian UTF-16 bytes order the same."""
    return text.encode("utf-16-be", errors="surrogatepass")


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _chunks(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or _is_digit(text[i]) != _is_digit(text[start]):
            out.append(text[start:i])
            start = i
    return out


def _java_compare(a: str, b: str) -> int:
    ka, kb = _utf16(a), _utf16(b)
    return (ka > kb) - (ka < kb)


def alphanumeric_compare(a: str, b: str) -> int:
    """KNIME's `AlphanumericComparator.NATURAL_ORDER` (org.knime.core.data.sort)."""
    if not a:
        return -len(b)
    if not b:
        return 1
    if _is_digit(a[0]) != _is_digit(b[0]):
        return _java_compare(a, b)
    ca, cb = _chunks(a), _chunks(b)
    number = _is_digit(a[0])
    for x, y in zip(ca, cb, strict=False):
        if number:
            xs, ys = x.lstrip("0"), y.lstrip("0")
            cmp = (len(xs) > len(ys)) - (len(xs) < len(ys)) or (xs > ys) - (xs < ys)
            if not cmp:
                zx, zy = len(x) - len(xs), len(y) - len(ys)
                cmp = (zx > zy) - (zx < zy)
        else:
            cmp = _java_compare(x, y)
        if cmp:
            return cmp
        number = not number
    return (len(a) > len(b)) - (len(a) < len(b))


def _ranks(values: np.ndarray, present: np.ndarray, col_type: str, natural: bool) -> np.ndarray:
    """Dense ranks of the present values in KNIME's ascending order (ties share a rank)."""
    ranks = np.zeros(len(values), dtype=np.int64)
    idx = np.flatnonzero(present)
    if not len(idx):
        return ranks
    vals = values[idx]
    if col_type == ColumnType.DOUBLE:
        f = vals.astype("float64")
        sign = np.signbit(f)
        order = np.lexsort((~sign, f))  # Double.compare: -0.0 < 0.0 (NaN is a missing cell here)
        sf, sb = f[order], sign[order]
        change = np.ones(len(order), dtype=bool)
        change[1:] = (sf[1:] != sf[:-1]) | (sb[1:] != sb[:-1])
        ranks[idx[order]] = np.cumsum(change) - 1
        return ranks
    if col_type in ColumnType.NUMERIC or col_type == ColumnType.BOOLEAN:
        ints = np.array([int(v) for v in vals], dtype=np.int64)
        ranks[idx] = np.unique(ints, return_inverse=True)[1].reshape(-1)
        return ranks
    texts = [v if isinstance(v, str) else str(v) for v in vals]
    unique = sorted(set(texts), key=functools.cmp_to_key(alphanumeric_compare) if natural else _utf16)
    position = {u: i for i, u in enumerate(unique)}
    ranks[idx] = [position[t] for t in texts]
    return ranks


def _sort_keys(table: Table, criteria: list[SortingCriterion], missing_to_end: bool) -> list[np.ndarray]:
    """One integer key per criterion, each ordering the rows as KNIME's comparator for that column does."""
    n = len(table)
    keys: list[np.ndarray] = []
    for c in criteria:
        natural = c.string_comparison == "NATURAL"
        if c.column in ROW_ID_NAMES and c.column not in table.types:
            values = np.array(table.row_ids, dtype=object)
            present = np.ones(n, dtype=bool)
            col_type = ColumnType.STRING
        else:
            series = table.df[c.column]
            values = series.to_numpy(dtype=object)
            present = ~series.isna().to_numpy()
            col_type = table.types[c.column]
            if (
                col_type not in (ColumnType.STRING, ColumnType.SMILES)
                and col_type not in ColumnType.NUMERIC
                and col_type != ColumnType.BOOLEAN
            ):
                col_type = ColumnType.STRING  # other types: compared by their text
            if col_type == ColumnType.SMILES:
                col_type = ColumnType.STRING
        r = _ranks(values, present, col_type, natural)
        descending = c.sorting_order == "DESCENDING"
        key = -r if descending else r
        big = n + 1
        if missing_to_end:
            key = np.where(present, key, big)
        else:  # a missing cell is the smallest value
            key = np.where(present, key, big if descending else -big)
        keys.append(key)
    return keys


def sorted_positions(table: Table, criteria: list[SortingCriterion], missing_to_end: bool) -> np.ndarray:
    """Row positions in KNIME's sorted order; stable, so ties keep their input order."""
    keys = _sort_keys(table, criteria, missing_to_end)
    if not keys:
        return np.arange(len(table))
    return np.lexsort(tuple(reversed(keys)))


def row_ranks(table: Table, criteria: list[SortingCriterion], missing_to_end: bool) -> np.ndarray:
    """Each row's dense rank in KNIME's sorted order: rows the comparator finds equal share a rank, so
    a node that compares rows one by one (Top k Row Filter's heap) can reproduce KNIME's tie handling."""
    keys = _sort_keys(table, criteria, missing_to_end)
    ranks = np.zeros(len(table), dtype=np.int64)
    if not keys or not len(table):
        return ranks
    order = np.lexsort(tuple(reversed(keys)))
    stacked = np.stack([k[order] for k in keys])
    change = np.ones(len(order), dtype=bool)
    change[1:] = (stacked[:, 1:] != stacked[:, :-1]).any(axis=0)
    ranks[order] = np.cumsum(change) - 1
    return ranks
