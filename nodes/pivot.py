"""Pivot, with KNIME's output naming: the SVD workflows (12_01, 12_02) pivot a Cross Joiner's
output into a diagonal matrix, so the column names (`0.0+Sum(diag)`) and their order must be KNIME's
exactly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    row_ids,
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._aggregation import (
    METHODS,
    Method,
    Skipped,
    aggregate,
    cell_text,
    is_missing,
    method_key,
    method_names,
)
from nodes._column_types import typed_column
from nodes._common import need_table, require_columns, spec_or_none

# ---------------------------------------------------------------------------------------- Pivot


class PivotAggregation(NodeSettings):
    """One row of KNIME's `aggregationColumn` config (columnNames/aggregationMethod/inclMissingVals)."""

    column: str = Field(description="Column to aggregate.")
    method: str = Field(
        "Sum_V2.5.2",
        description="KNIME aggregation method id: Sum_V2.5.2, Mean, Median, Min, Max, Count, First, Last, "
        "Standard deviation, Variance, Unique count, Concatenate, Unique concatenate.",
    )
    include_missing: bool = Field(
        False, description="Let missing cells take part (Count, First, Last, Unique count, concatenations)."
    )


class PivotSettings(NodeSettings):
    groupByColumns: list[str] = Field(
        default_factory=list, description="Group columns: one output row per distinct combination."
    )
    pivotColumns: list[str] = Field(
        default_factory=list, description="Pivot columns: one output column per distinct value (combination)."
    )
    aggregations: list[PivotAggregation] = Field(
        default_factory=list, description="Aggregated columns with their methods (KNIME's aggregationColumn)."
    )
    column_name_option: Literal[
        "Pivot name+Aggregation name", "Aggregation name+Pivot name", "Pivot name"
    ] = Field(
        "Pivot name+Aggregation name",
        description="How pivot column names combine pivot value and aggregation.",
    )
    columnNamePolicy: Literal[
        "Aggregation method (column name)", "Column name (aggregation method)", "Keep original name(s)"
    ] = Field("Aggregation method (column name)", description="How an aggregation is named, e.g. Sum(diag).")
    missing_values: bool = Field(True, description="Ignore rows whose pivot value is missing.")
    ignore_domain: bool = Field(
        True,
        description="Take pivot values from the data (knitflow tables carry no domains, so the data is always used).",
    )
    total_aggregation: bool = Field(False, description="Append overall totals to the pivot totals (port 3).")
    sort_lexicographical: bool = Field(
        False, description="Sort the group and the pivot columns of each output by name."
    )
    retainOrder: bool = Field(
        False, description="Order groups by first appearance in the input instead of by value."
    )
    maxNoneNumericalVals: int = Field(
        10000, ge=1, description="Maximum distinct values per group for Unique count / Unique concatenate."
    )
    valueDelimiter: str = Field(", ", description="Delimiter of the concatenating methods.")


@dataclass(frozen=True)
class _Agg:
    column: str
    method: Method
    include_missing: bool
    in_type: str
    out_type: str
    name: str  # aggregation name per the column name policy, e.g. Sum(diag)


def _aggregations(spec: TableSpec, s: PivotSettings) -> list[_Agg]:
    if not s.pivotColumns:
        raise ConfigureError("No pivot columns selected.", setting="pivotColumns")
    require_columns(spec, s.groupByColumns, "groupByColumns")
    require_columns(spec, s.pivotColumns, "pivotColumns")
    for piv in s.pivotColumns:
        if piv in s.groupByColumns:
            raise ConfigureError(
                f'Ambiguous group/pivot column selection for column "{piv}".', setting="pivotColumns"
            )
    if not s.aggregations:
        raise ConfigureError("No aggregation columns selected.", setting="aggregations")
    require_columns(spec, [a.column for a in s.aggregations], "aggregations")
    aggs: list[_Agg] = []
    for a in s.aggregations:
        key = method_key(a.method)
        if key is None:
            raise ConfigureError(
                f"aggregation method {a.method!r} is not supported (supported: {method_names()})",
                setting="aggregations",
            )
        if a.column in s.groupByColumns or a.column in s.pivotColumns:
            raise ConfigureError(
                f"column {a.column!r} is a group or pivot column and cannot be aggregated",
                setting="aggregations",
            )
        method = METHODS[key]
        in_type = spec.type_of(a.column)
        if method.numeric_only and in_type not in ColumnType.NUMERIC:
            raise ConfigureError(
                f"{method.label} needs a numeric column; {a.column!r} is {in_type}", setting="aggregations"
            )
        if s.columnNamePolicy == "Aggregation method (column name)":
            name = f"{method.label}({a.column})"
        elif s.columnNamePolicy == "Column name (aggregation method)":
            name = f"{a.column} ({method.label})"
        else:
            name = a.column
        aggs.append(_Agg(a.column, method, a.include_missing, in_type, method.result(in_type), name))
    names = [a.name for a in aggs]
    if len(set(names)) != len(names):
        raise ConfigureError(
            f"duplicate aggregation column names {names}: choose another column name policy",
            setting="columnNamePolicy",
        )
    if s.column_name_option == "Pivot name" and len(aggs) > 1:
        raise ConfigureError(
            "The 'Pivot name' column naming option solely supports the selection of a single aggregation method.",
            setting="column_name_option",
        )
    return aggs


def _aggregate(values: pd.Series, agg: _Agg, s: PivotSettings, ctx: NodeContext, total_rows: int = 0) -> Any:
    """One aggregated cell (None = missing) from the values of one group (nodes._aggregation)."""
    try:
        return aggregate(
            values,
            agg.method,
            agg.in_type,
            agg.include_missing,
            delimiter=s.valueDelimiter,
            max_unique=s.maxNoneNumericalVals,
            total_rows=total_rows,
        )
    except Skipped as exc:
        ctx.log(f"{agg.name}: {exc}; cell left missing")
        return None


def _sorted_positions(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Row positions ordered by the columns ascending, missing values first (KNIME's sorter)."""
    if not columns or df.empty:
        return np.arange(len(df))
    keyed = df[columns].reset_index(drop=True)
    order = keyed.sort_values(columns, na_position="first", kind="stable").index
    return order.to_numpy()


def _group_keys(df: pd.DataFrame, columns: list[str], positions: np.ndarray) -> list[tuple[Any, ...]]:
    """Hashable group keys per row (missing values normalised to None)."""
    if not columns:
        return [()] * len(positions)
    cols = [df[c].to_numpy(dtype=object) for c in columns]
    return [tuple(None if is_missing(col[p]) else col[p] for col in cols) for p in positions]


def _lexi(names: list[str], start: int, stop: int) -> list[str]:
    return names[:start] + sorted(names[start:stop]) + names[stop:]


def _pivot_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    knime.take("groupByColumns", "grouByColumns")  # sic: KNIME's key is misspelt
    knime.take("pivotColumns")
    agg = tree.get("aggregationColumn") or {}
    names, methods = seq(agg.get("columnNames")), seq(agg.get("aggregationMethod"))
    missing = seq(agg.get("inclMissingVals"))
    knime.put(
        "aggregations",
        [
            {"column": c, "method": m, "include_missing": bool(missing[i]) if i < len(missing) else False}
            for i, (c, m) in enumerate(zip(names, methods, strict=False))
        ],
        "aggregationColumn",
    )
    for k in ("patternAggregators", "dataTypeAggregators"):
        if tree.get(k):
            knime.lost(f"{k} (aggregation by pattern or type) is not supported")
    knime.take_all(
        [
            "column_name_option",
            "columnNamePolicy",
            "missing_values",
            "ignore_domain",
            "total_aggregation",
            "sort_lexicographical",
            "retainOrder",
            "maxNoneNumericalVals",
            "valueDelimiter",
        ]
    )


class Pivot(Node):
    type_name = "pivot"
    display_name = "Pivot"
    category = Category.MANIPULATOR
    description = (
        "Groups the rows by the group columns and spreads the aggregated values over one column per distinct "
        "pivot value, named `<pivot value>+<aggregation>` (e.g. `0.0+Sum(diag)`). Port 2 holds the group totals, "
        "port 3 one row of totals per pivot value."
    )
    keywords = ("crosstab", "wide", "spread", "group by", "aggregate", "long to wide")
    knime = (KnimeMapping("org.knime.base.node.preproc.pivot.Pivot2NodeFactory", "Pivot", _pivot_from_knime),)
    inputs = (Port(TABLE, "Input table"),)
    outputs = (
        Port(TABLE, "Pivot table", "Group columns, then one column per pivot value and aggregation"),
        Port(TABLE, "Group totals", "Group columns and the aggregations over all pivot values"),
        Port(TABLE, "Pivot totals", "One row: missing group cells and the aggregations per pivot value"),
    )
    Settings = PivotSettings

    def configure(self, in_specs: list[Any], settings: PivotSettings, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN, UNKNOWN, UNKNOWN]
        aggs = _aggregations(spec, settings)
        group = TableSpec.of(
            [(c, spec.type_of(c)) for c in settings.groupByColumns] + [(a.name, a.out_type) for a in aggs]
        )
        if settings.sort_lexicographical:
            n = len(settings.groupByColumns)
            group = group.select(_lexi(_lexi(group.names, 0, n), n, len(group)))
        return [UNKNOWN, group, UNKNOWN]

    def execute(self, inputs: list[Any], settings: PivotSettings, ctx: NodeContext) -> list[Any]:
        table = need_table(inputs[0], 1)
        spec = table.spec
        aggs = _aggregations(spec, settings)
        s = settings
        df = table.df.reset_index(drop=True)
        group_cols, pivot_cols = list(s.groupByColumns), list(s.pivotColumns)
        pivot_types = [spec.type_of(c) for c in pivot_cols]

        # the group-by table of group + pivot columns, sorted by them (missing first)
        order = _sorted_positions(df, group_cols + pivot_cols)
        pivot_texts = [
            [cell_text(v, t) for v in df[c].to_numpy(dtype=object)]
            for c, t in zip(pivot_cols, pivot_types, strict=True)
        ]
        pivot_missing = np.zeros(len(df), dtype=bool)
        for c in pivot_cols:
            pivot_missing |= df[c].isna().to_numpy()
        kept = [int(p) for p in order if not (s.missing_values and pivot_missing[p])]

        # distinct values per pivot column in order of first appearance, then all combinations
        comb: list[list[str]] = []
        for texts in pivot_texts:
            comb.append(list(dict.fromkeys(texts[p] for p in kept)))
        pivots: list[str] = []
        for i, values in enumerate(comb):
            if i == 0:
                pivots = list(values)
            else:
                pivots = [f"{p}_{v}" for v in values for p in pivots]
        row_pivot = ["_".join(texts[p] for texts in pivot_texts) for p in range(len(df))]

        def pivot_name(p: str, agg: _Agg) -> str:
            if s.column_name_option == "Pivot name+Aggregation name":
                return f"{p}+{agg.name}"
            if s.column_name_option == "Aggregation name+Pivot name":
                return f"{agg.name}+{p}"
            return p

        pivot_columns = [(pivot_name(p, a), p, a) for p in pivots for a in aggs]
        names = group_cols + [n for n, _, _ in pivot_columns]
        if len(set(names)) != len(names):
            raise NodeError(f"pivot column names clash: {names}", setting="column_name_option")

        # port 1: one row per group (groups in sorted order, or by first appearance with retainOrder)
        keys = _group_keys(df, group_cols, np.asarray(kept, dtype=int))
        groups: dict[tuple[Any, ...], list[int]] = {}
        for key, p in zip(keys, kept, strict=True):
            groups.setdefault(key, []).append(p)
        group_items = list(groups.items())
        if s.retainOrder:
            group_items.sort(key=lambda kv: min(kv[1]))
        rows1: dict[str, list[Any]] = {n: [] for n in names}
        for _key, positions in group_items:
            first = positions[0]
            for c in group_cols:
                rows1[c].append(df[c].iloc[first])
            by_pivot: dict[str, list[int]] = {}
            for p in positions:
                by_pivot.setdefault(row_pivot[p], []).append(p)
            for name, piv, agg in pivot_columns:
                members = by_pivot.get(piv)
                rows1[name].append(
                    None if members is None else _aggregate(df[agg.column].iloc[members], agg, s, ctx)
                )
            ctx.check_cancelled()
        types1 = {c: spec.type_of(c) for c in group_cols} | {n: a.out_type for n, _, a in pivot_columns}
        port1 = self._table(rows1, types1, len(group_items))

        # port 2: plain group-by on the group columns over all rows
        all_pos = _sorted_positions(df, group_cols)
        all_keys = _group_keys(df, group_cols, all_pos)
        groups2: dict[tuple[Any, ...], list[int]] = {}
        for key, p in zip(all_keys, all_pos, strict=True):
            groups2.setdefault(key, []).append(int(p))
        items2 = list(groups2.items())
        if s.retainOrder:
            items2.sort(key=lambda kv: min(kv[1]))
        names2 = group_cols + [a.name for a in aggs]
        rows2: dict[str, list[Any]] = {n: [] for n in names2}
        for _key, positions in items2:
            for c in group_cols:
                rows2[c].append(df[c].iloc[positions[0]])
            for a in aggs:
                rows2[a.name].append(_aggregate(df[a.column].iloc[positions], a, s, ctx))
        types2 = {c: spec.type_of(c) for c in group_cols} | {a.name: a.out_type for a in aggs}
        port2 = self._table(rows2, types2, len(items2))

        # port 3: one row of per-pivot aggregates (group cells missing), optionally with overall totals
        rows3: dict[str, list[Any]] = {n: [] for n in names}
        types3 = dict(types1)
        names3 = list(names)
        n3 = 0
        if kept:
            n3 = 1
            by_pivot_all: dict[str, list[int]] = {}
            for p in sorted(kept):
                by_pivot_all.setdefault(row_pivot[p], []).append(p)
            for c in group_cols:
                rows3[c].append(None)
            for name, piv, agg in pivot_columns:
                members = by_pivot_all.get(piv)
                rows3[name].append(
                    None if members is None else _aggregate(df[agg.column].iloc[members], agg, s, ctx)
                )
        if s.total_aggregation:
            for a in aggs:
                total_name = a.name if a.name not in rows3 else unique_column_name(set(rows3), a.name)
                rows3[total_name] = [_aggregate(df[a.column], a, s, ctx)] if n3 else []
                types3[total_name] = a.out_type
                names3.append(total_name)
        port3 = self._table(rows3, types3, n3)
        if s.total_aggregation and n3:
            port3.df.index = pd.Index(["Totals"], dtype=object)

        if s.sort_lexicographical:
            g = len(group_cols)
            port1 = port1.with_frame(port1.df[_lexi(_lexi(port1.columns, 0, g), g, len(names))])
            port2 = port2.with_frame(port2.df[_lexi(_lexi(port2.columns, 0, g), g, len(names2))])
            cols3 = _lexi(_lexi(_lexi(port3.columns, 0, g), g, len(names)), len(names), len(names3))
            port3 = port3.with_frame(port3.df[cols3])
        return [port1, port2, port3]

    @staticmethod
    def _table(rows: dict[str, list[Any]], types: dict[str, str], n: int) -> Table:
        df = pd.DataFrame({name: typed_column(values, types[name]) for name, values in rows.items()})
        df.index = row_ids(n)
        return Table(df, {k: types[k] for k in rows})
