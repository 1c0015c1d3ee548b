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
        run = _PivotRun(need_table(inputs[0], 1), settings, ctx)
        port1, port2, port3 = run.pivot_table(), run.group_table(), run.totals_table()
        if settings.sort_lexicographical:
            g, n1 = len(run.group_cols), len(run.names)
            port1 = port1.with_frame(port1.df[_lexi(_lexi(port1.columns, 0, g), g, n1)])
            port2 = port2.with_frame(port2.df[_lexi(_lexi(port2.columns, 0, g), g, g + len(run.aggs))])
            cols3 = _lexi(_lexi(_lexi(port3.columns, 0, g), g, n1), n1, len(port3.columns))
            port3 = port3.with_frame(port3.df[cols3])
        return [port1, port2, port3]


def _pivot_table(rows: dict[str, list[Any]], types: dict[str, str], n: int) -> Table:
    df = pd.DataFrame({name: typed_column(values, types[name]) for name, values in rows.items()})
    df.index = row_ids(n)
    return Table(df, {k: types[k] for k in rows})


def _combinations(pivot_texts: list[list[str]], kept: list[int]) -> list[str]:
    """Distinct values per pivot column in order of first appearance, then all combinations
    (KNIME's order: the first column varies fastest)."""
    pivots: list[str] = []
    for i, texts in enumerate(pivot_texts):
        values = list(dict.fromkeys(texts[p] for p in kept))
        pivots = list(values) if i == 0 else [f"{p}_{v}" for v in values for p in pivots]
    return pivots


def _pivot_name(p: str, agg: _Agg, option: str) -> str:
    if option == "Pivot name+Aggregation name":
        return f"{p}+{agg.name}"
    if option == "Aggregation name+Pivot name":
        return f"{agg.name}+{p}"
    return p


class _PivotRun:
    """One execution: the group-by table of group + pivot columns sorted by them (missing first),
    and from it KNIME's three ports."""

    def __init__(self, table: Table, s: PivotSettings, ctx: NodeContext) -> None:
        self.s, self.ctx, self.spec = s, ctx, table.spec
        self.aggs = _aggregations(table.spec, s)
        self.df = df = table.df.reset_index(drop=True)
        self.group_cols, pivot_cols = list(s.groupByColumns), list(s.pivotColumns)
        order = _sorted_positions(df, self.group_cols + pivot_cols)
        pivot_texts = [
            [cell_text(v, table.spec.type_of(c)) for v in df[c].to_numpy(dtype=object)] for c in pivot_cols
        ]
        pivot_missing = np.zeros(len(df), dtype=bool)
        for c in pivot_cols:
            pivot_missing |= df[c].isna().to_numpy()
        self.kept = [int(p) for p in order if not (s.missing_values and pivot_missing[p])]
        self.row_pivot = ["_".join(texts[p] for texts in pivot_texts) for p in range(len(df))]
        self.pivot_columns = [
            (_pivot_name(p, a, s.column_name_option), p, a)
            for p in _combinations(pivot_texts, self.kept)
            for a in self.aggs
        ]
        self.names = self.group_cols + [n for n, _, _ in self.pivot_columns]
        if len(set(self.names)) != len(self.names):
            raise NodeError(f"pivot column names clash: {self.names}", setting="column_name_option")
        self.types = {c: self.spec.type_of(c) for c in self.group_cols} | {
            n: a.out_type for n, _, a in self.pivot_columns
        }

    def _groups(self, positions: list[int] | np.ndarray) -> list[tuple[tuple[Any, ...], list[int]]]:
        """Rows by group (in sorted order, or by first appearance with retainOrder)."""
        keys = _group_keys(self.df, self.group_cols, np.asarray(positions, dtype=int))
        groups: dict[tuple[Any, ...], list[int]] = {}
        for key, p in zip(keys, positions, strict=True):
            groups.setdefault(key, []).append(int(p))
        items = list(groups.items())
        if self.s.retainOrder:
            items.sort(key=lambda kv: min(kv[1]))
        return items

    def _pivot_cells(self, rows: dict[str, list[Any]], positions: list[int]) -> None:
        """One cell per pivot column from the rows at `positions` (missing where none has that pivot)."""
        by_pivot: dict[str, list[int]] = {}
        for p in positions:
            by_pivot.setdefault(self.row_pivot[p], []).append(p)
        for name, piv, agg in self.pivot_columns:
            members = by_pivot.get(piv)
            rows[name].append(
                None
                if members is None
                else _aggregate(self.df[agg.column].iloc[members], agg, self.s, self.ctx)
            )

    def pivot_table(self) -> Table:
        """Port 1: one row per group, one column per pivot value and aggregation."""
        group_items = self._groups(self.kept)
        rows: dict[str, list[Any]] = {n: [] for n in self.names}
        for _key, positions in group_items:
            for c in self.group_cols:
                rows[c].append(self.df[c].iloc[positions[0]])
            self._pivot_cells(rows, positions)
            self.ctx.check_cancelled()
        return _pivot_table(rows, self.types, len(group_items))

    def group_table(self) -> Table:
        """Port 2: a plain group-by on the group columns over all rows."""
        items = self._groups(_sorted_positions(self.df, self.group_cols))
        rows: dict[str, list[Any]] = {n: [] for n in self.group_cols + [a.name for a in self.aggs]}
        for _key, positions in items:
            for c in self.group_cols:
                rows[c].append(self.df[c].iloc[positions[0]])
            for a in self.aggs:
                rows[a.name].append(_aggregate(self.df[a.column].iloc[positions], a, self.s, self.ctx))
        types = {c: self.spec.type_of(c) for c in self.group_cols} | {a.name: a.out_type for a in self.aggs}
        return _pivot_table(rows, types, len(items))

    def totals_table(self) -> Table:
        """Port 3: one row of per-pivot aggregates (group cells missing), optionally with overall totals."""
        rows: dict[str, list[Any]] = {n: [] for n in self.names}
        types = dict(self.types)
        n = 0
        if self.kept:
            n = 1
            for c in self.group_cols:
                rows[c].append(None)
            self._pivot_cells(rows, sorted(self.kept))
        if self.s.total_aggregation:
            for a in self.aggs:
                total_name = a.name if a.name not in rows else unique_column_name(set(rows), a.name)
                rows[total_name] = [_aggregate(self.df[a.column], a, self.s, self.ctx)] if n else []
                types[total_name] = a.out_type
        table = _pivot_table(rows, types, n)
        if self.s.total_aggregation and n:
            table.df.index = pd.Index(["Totals"], dtype=object)
        return table
