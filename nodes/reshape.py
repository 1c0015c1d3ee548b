"""Reshaping tables: Pivot, Unpivot and Cross Joiner, with KNIME's output naming and RowIDs.

The SVD workflows (12_01, 12_02) build a diagonal matrix out of a Cross Joiner and a Pivot and
read recommendations from an Unpivot, so the column names (`0.0+Sum(diag)`), the column order
and the RowIDs (`Row0_Row1`, `Row0`...) must be KNIME's exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
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
    widget,
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
from nodes._common import ColumnFilter, require_columns

# ------------------------------------------------------------------------------- shared helpers


def java_double(value: float) -> str:
    """Java's `Double.toString`: KNIME renders pivot values with it (`0.0`, `1.0E10`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    assert isinstance(exponent, int)
    exponent += len(digits) - len(text)
    e10 = len(text) + exponent - 1  # exponent of the first significant digit
    prefix = "-" if sign else ""
    if 1e-3 <= abs(value) < 1e7:
        if e10 >= 0:
            whole = text[: e10 + 1].ljust(e10 + 1, "0")
            frac = text[e10 + 1 :] or "0"
        else:
            whole, frac = "0", "0" * (-e10 - 1) + text
        return f"{prefix}{whole}.{frac}"
    return f"{prefix}{text[0]}.{text[1:] or '0'}E{e10}"


def _spec_or_none(spec: Any) -> TableSpec | None:
    return spec if isinstance(spec, TableSpec) else None


def _need_table(obj: Any, port: int) -> Table:
    if not isinstance(obj, Table):
        raise NodeError(f"input port {port} has no data table")
    return obj


# ------------------------------------------------------------------------------------ Cross Joiner


class CrossJoinerSettings(NodeSettings):
    rigthSuffix: str = Field(  # KNIME's key, misspelt as in settings.xml
        " (#1)",
        description="Appended (repeatedly if needed) to bottom-table column names that clash with top-table names.",
        json_schema_extra=widget("text"),
    )
    CFG_SEPARATOR: str = Field(
        "_", description="Separator between the top and the bottom RowID in the new RowID."
    )
    CFG_SHOW_FIRST: bool = Field(False, description="Append a column with the top table's RowIDs.")
    CFG_SHOW_SECOND: bool = Field(False, description="Append a column with the bottom table's RowIDs.")
    CFG_FIRST_COLUMNNAME: str = Field(
        "FirstRowIDs", description="Name of the top-RowID column.", json_schema_extra=widget("new_column")
    )
    CFG_SECOND_COLUMNNAME: str = Field(
        "SecondRowIDs", description="Name of the bottom-RowID column.", json_schema_extra=widget("new_column")
    )


def _cross_spec(left: TableSpec, right: TableSpec, s: CrossJoinerSettings) -> tuple[TableSpec, list[str]]:
    """Output spec and the renamed right columns (CrossJoinerNodeModel.createSpec)."""
    if not s.rigthSuffix.strip():
        raise ConfigureError("Empty values for suffix are not allowed!", setting="rigthSuffix")
    left_names = set(left.names)
    right_names = set(right.names)
    new_names: list[str] = []
    renamed: list[str] = []
    for col in right.columns:
        name = col.name
        while name in left_names or name in new_names:
            name += s.rigthSuffix
            while name in right_names:
                name += s.rigthSuffix
        if name != col.name:
            new_names.append(name)
        renamed.append(name)
    spec = TableSpec.of(
        [(c.name, c.type) for c in left.columns]
        + [(n, c.type) for n, c in zip(renamed, right.columns, strict=True)]
    )
    extra: list[tuple[str, str]] = []
    if s.CFG_SHOW_FIRST:
        if not s.CFG_FIRST_COLUMNNAME.strip():
            raise ConfigureError(
                "Empty values for column name(top) are not allowed!", setting="CFG_FIRST_COLUMNNAME"
            )
        extra.append((unique_column_name(set(spec.names), s.CFG_FIRST_COLUMNNAME), ColumnType.STRING))
        spec = spec.append(extra[-1])
    if s.CFG_SHOW_SECOND:
        if not s.CFG_SECOND_COLUMNNAME.strip():
            raise ConfigureError(
                "Empty values for column name(bottom) are not allowed!", setting="CFG_SECOND_COLUMNNAME"
            )
        extra.append((unique_column_name(set(spec.names), s.CFG_SECOND_COLUMNNAME), ColumnType.STRING))
        spec = spec.append(extra[-1])
    return spec, renamed


class CrossJoiner(Node):
    type_name = "cross_joiner"
    display_name = "Cross Joiner"
    category = Category.MANIPULATOR
    description = (
        "Combines every row of the top table with every row of the bottom table (Cartesian product). "
        "Rows come top-row-major; RowIDs are `<top RowID><separator><bottom RowID>`; bottom columns whose "
        "names clash with top columns get the suffix."
    )
    keywords = ("cartesian", "product", "join", "combine", "all pairs")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.crossjoin.CrossJoinerNodeFactory",
            "Cross Joiner",
            skip=("CFG_CACHE",),
        ),
    )
    inputs = (Port(TABLE, "Top table", "Left table (its rows vary slowest)"), Port(TABLE, "Bottom table"))
    outputs = (Port(TABLE, "Joined table", "Every top row combined with every bottom row"),)
    Settings = CrossJoinerSettings

    def configure(self, in_specs: list[Any], settings: CrossJoinerSettings, ctx: NodeContext) -> list[Any]:
        left, right = _spec_or_none(in_specs[0]), _spec_or_none(in_specs[1])
        if left is None or right is None:
            if not settings.rigthSuffix.strip():
                raise ConfigureError("Empty values for suffix are not allowed!", setting="rigthSuffix")
            return [UNKNOWN]
        return [_cross_spec(left, right, settings)[0]]

    def execute(self, inputs: list[Any], settings: CrossJoinerSettings, ctx: NodeContext) -> list[Any]:
        left, right = _need_table(inputs[0], 1), _need_table(inputs[1], 2)
        spec, renamed = _cross_spec(left.spec, right.spec, settings)
        n_left, n_right = len(left), len(right)
        li = np.repeat(np.arange(n_left), n_right)
        ri = np.tile(np.arange(n_right), n_left)
        parts = [left.df.iloc[li].reset_index(drop=True)]
        right_part = right.df.iloc[ri].reset_index(drop=True)
        right_part.columns = renamed
        parts.append(right_part)
        left_ids = np.asarray(left.row_ids, dtype=object)
        right_ids = np.asarray(right.row_ids, dtype=object)
        ids = [f"{a}{settings.CFG_SEPARATOR}{b}" for a, b in zip(left_ids[li], right_ids[ri], strict=True)]
        extra_names = spec.names[len(left.columns) + len(renamed) :]
        extra = {}
        if settings.CFG_SHOW_FIRST:
            extra[extra_names.pop(0)] = pd.Series(left_ids[li], dtype="object")
        if settings.CFG_SHOW_SECOND:
            extra[extra_names.pop(0)] = pd.Series(right_ids[ri], dtype="object")
        if extra:
            parts.append(pd.DataFrame(extra))
        df = pd.concat(parts, axis=1)
        if len(set(ids)) != len(ids):
            dup = pd.Index(ids)[pd.Index(ids).duplicated()][0]
            raise NodeError(
                f"duplicate RowID {dup!r} in the joined table: choose a separator that does not occur in the RowIDs",
                setting="CFG_SEPARATOR",
            )
        df.index = pd.Index(ids, dtype=object)
        return [Table(df, {c.name: c.type for c in spec.columns})]


# -------------------------------------------------------------------------------------- Unpivot


class UnpivotSettings(NodeSettings):
    value_columns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="Columns whose values are unpivoted (one output row per cell).",
    )
    retained_columns: ColumnFilter = Field(
        default_factory=ColumnFilter, description="Columns copied onto every output row of their input row."
    )
    missing_values: bool = Field(
        False, description="Skip cells with missing values (KNIME's `missing-values`)."
    )


def _common_type(types: list[str]) -> str:
    """KNIME's common super type, as far as our column types go."""
    kinds = set(types)
    if len(kinds) == 1:
        return types[0]
    if kinds <= {ColumnType.INTEGER, ColumnType.LONG}:
        return ColumnType.LONG
    if kinds <= ColumnType.NUMERIC:
        return ColumnType.DOUBLE
    return ColumnType.STRING


def _unpivot_spec(spec: TableSpec, s: UnpivotSettings) -> tuple[TableSpec, list[str], list[str]]:
    values = s.value_columns.apply(spec)
    if not values:
        raise ConfigureError("No column 'value' defined for unpivoting operation.", setting="value_columns")
    retained = s.retained_columns.apply(spec)
    names = []
    for base in ("RowIDs", "ColumnNames", "ColumnValues"):
        name, idx = base, 0
        while name in spec:
            name = f"{base}({idx})"
            idx += 1
        names.append(name)
    value_type = _common_type([spec.type_of(c) for c in values])
    out = TableSpec.of(
        [(names[0], ColumnType.STRING), (names[1], ColumnType.STRING), (names[2], value_type)]
        + [(c, spec.type_of(c)) for c in retained]
    )
    if len(set(out.names)) != len(out.names):
        raise ConfigureError(
            f"retained columns clash with the new column names {names}", setting="retained_columns"
        )
    return out, values, retained


class Unpivot(Node):
    type_name = "unpivot"
    display_name = "Unpivot"
    category = Category.MANIPULATOR
    description = (
        "Turns the selected value columns into rows: for each input row and value column one row with the input "
        "RowID (`RowIDs`), the column name (`ColumnNames`) and the cell (`ColumnValues`), followed by the retained "
        "columns. Output RowIDs are Row0, Row1, ..."
    )
    keywords = ("melt", "long format", "stack", "wide to long")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.unpivot2.Unpivot2NodeFactory", "Unpivot", skip=("enable-hiliting",)
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Unpivoted table"),)
    Settings = UnpivotSettings

    def configure(self, in_specs: list[Any], settings: UnpivotSettings, ctx: NodeContext) -> list[Any]:
        spec = _spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        return [_unpivot_spec(spec, settings)[0]]

    def execute(self, inputs: list[Any], settings: UnpivotSettings, ctx: NodeContext) -> list[Any]:
        table = _need_table(inputs[0], 1)
        out_spec, values, retained = _unpivot_spec(table.spec, settings)
        n_rows, n_vals = len(table), len(values)
        value_type = out_spec.columns[2].type
        frame = table.df[values]
        if value_type in ColumnType.NUMERIC:
            if value_type == ColumnType.DOUBLE:
                cells: Any = frame.to_numpy(dtype="float64", na_value=np.nan).ravel()
                missing = np.isnan(cells)
            else:
                obj = frame.astype("Int64").to_numpy(dtype=object, na_value=None).ravel()
                missing = np.array([v is None for v in obj], dtype=bool)
                cells = obj
        else:
            cells = frame.to_numpy(dtype=object).ravel()
            missing = np.array(
                [v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) for v in cells],
                dtype=bool,
            )
            if len(set(table.spec.type_of(c) for c in values)) > 1:
                cells = np.array(
                    [
                        None if m else cell_text(v, ColumnType.STRING)
                        for v, m in zip(cells, missing, strict=True)
                    ],
                    dtype=object,
                )
        row_idx = np.repeat(np.arange(n_rows), n_vals)
        col_idx = np.tile(np.arange(n_vals), n_rows)
        keep = ~missing if settings.missing_values else np.ones(len(cells), dtype=bool)
        row_idx, col_idx, cells = row_idx[keep], col_idx[keep], cells[keep]
        ids = np.asarray(table.row_ids, dtype=object)
        names = np.asarray(values, dtype=object)
        n_out = len(cells)
        data: dict[str, Any] = {
            out_spec.names[0]: pd.Series(ids[row_idx], dtype="object"),
            out_spec.names[1]: pd.Series(names[col_idx], dtype="object"),
        }
        if value_type == ColumnType.DOUBLE:
            data[out_spec.names[2]] = pd.Series(cells, dtype="float64")
        elif value_type in (ColumnType.INTEGER, ColumnType.LONG):
            data[out_spec.names[2]] = typed_column(list(cells), value_type)
        elif value_type == ColumnType.BOOLEAN:
            data[out_spec.names[2]] = typed_column(list(cells), value_type)
        else:
            data[out_spec.names[2]] = pd.Series(cells, dtype="object")
        for col in retained:
            data[col] = table.df[col].iloc[row_idx].reset_index(drop=True)
        df = pd.DataFrame(data)
        df.index = row_ids(n_out)
        return [Table(df, {c.name: c.type for c in out_spec.columns})]


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
        spec = _spec_or_none(in_specs[0])
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
        table = _need_table(inputs[0], 1)
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
