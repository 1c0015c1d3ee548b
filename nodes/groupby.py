"""GroupBy: KNIME's grouping with its aggregation methods, column naming and row order.

Follows org.knime.base.node.preproc.groupby (GroupByNodeModel, GroupByTable, BigGroupByTable,
MemoryGroupByTable): group columns first, then one column per aggregation named by the column
name policy (a repeated name gets `_1`, `_2`, ...); groups sorted by the group columns (missing
values first, strings by character code) with RowIDs Row0, Row1, ...; "retain order" puts the
groups in order of first appearance but keeps those RowIDs; "process in memory" (or no group
column) keeps first appearance with fresh RowIDs.
"""

from __future__ import annotations

import fnmatch
import re
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
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type, get, seq
from nodes._aggregation import (
    METHODS,
    Method,
    Skipped,
    aggregate,
    cell_text,
    is_missing,
    method_key,
    method_names,
    skipped_groups_message,
)
from nodes._column_types import typed_column
from nodes._common import require_columns
from nodes._compare import SortingCriterion, sorted_positions

NamePolicy = Literal[
    "Aggregation method (column name)", "Column name (aggregation method)", "Keep original name(s)"
]


class Aggregation(NodeSettings):
    """One manual aggregation (a row of KNIME's `aggregationColumn`)."""

    column: str = Field(description="Column to aggregate.")
    method: str = Field(
        "First",
        description="KNIME aggregation method: First, Last, Minimum, Maximum, Mean, Median, Sum, Product, Range, "
        "Count, Unique count, Unique concatenate, Concatenate, List, Set, Standard deviation, Variance, Mode, "
        "Percent, Missing value count (KNIME's ids such as Sum_V2.5.2 are accepted).",
    )
    include_missing: bool | None = Field(
        None,
        title="Missing",
        description="Let missing cells take part (Count, First, Last, List, concatenations, ...); "
        "empty = the method's KNIME default.",
    )


class PatternAggregation(NodeSettings):
    """KNIME's pattern based aggregation: every remaining column whose name matches."""

    pattern: str = Field(description="Column name pattern (wildcards * and ?, or a regular expression).")
    regex: bool = Field(False, description="The pattern is a regular expression.")
    method: str = Field("First", description="Aggregation method (as in `aggregations`).")
    include_missing: bool | None = Field(None, description="Let missing cells take part.")


class TypeAggregation(NodeSettings):
    """KNIME's type based aggregation: every remaining column of this type."""

    type: str = Field(description="Column type, e.g. Double, String.")
    method: str = Field("First", description="Aggregation method (as in `aggregations`).")
    include_missing: bool | None = Field(None, description="Let missing cells take part.")


class GroupBySettings(NodeSettings):
    groupByColumns: list[str] = Field(
        default_factory=list,
        title="Group columns",
        description="One output row per distinct combination of these columns (none: one row for the table).",
    )
    aggregations: list[Aggregation] = Field(
        default_factory=list,
        title="Manual aggregation",
        description="Aggregated columns with their methods, in output order (KNIME's aggregationColumn).",
    )
    patternAggregators: list[PatternAggregation] = Field(
        default_factory=list,
        title="Pattern based aggregation",
        description="Methods for the remaining columns whose names match (after the manual ones).",
    )
    dataTypeAggregators: list[TypeAggregation] = Field(
        default_factory=list,
        title="Type based aggregation",
        description="Methods for the remaining columns of a type (after the pattern based ones).",
    )
    columnNamePolicy: NamePolicy = Field(
        "Aggregation method (column name)",
        title="Column naming",
        description="How aggregation columns are named: Sum(x), x (Sum) or x.",
    )
    maxNoneNumericalVals: int = Field(
        10000,
        ge=1,
        title="Maximum unique values per group",
        description="Unique count, Unique concatenate, Set and Mode leave a group's cell missing (with a warning) "
        "beyond this many distinct values.",
    )
    valueDelimiter: str = Field(", ", title="Value delimiter", description="Delimiter of the concatenations.")
    retainOrder: bool = Field(
        False, title="Retain row order", description="Groups in order of first appearance (RowIDs as sorted)."
    )
    inMemory: bool = Field(
        False,
        title="Process in memory",
        description="Groups in order of first appearance with RowIDs Row0, Row1, ... (KNIME's in-memory path).",
    )
    enableHilite: bool = Field(
        False, description="KNIME's hiliting; knitflow has none, so it changes nothing."
    )


class _Agg:
    __slots__ = ("column", "in_type", "include_missing", "method", "name", "out_type")

    def __init__(self, column: str, method: Method, include_missing: bool, in_type: str, name: str) -> None:
        self.column, self.method, self.include_missing = column, method, include_missing
        self.in_type, self.out_type, self.name = in_type, method.result(in_type), name


# KNIME's per-method default of the "missing" checkbox (AggregationMethods' registration)
_EXCLUDE_MISSING_BY_DEFAULT = {
    "Mean",
    "Median",
    "Sum",
    "Product",
    "Range",
    "Standard deviation",
    "Variance",
    "Unique concatenate",
}


def _method(method_id: str, setting: str) -> Method:
    key = method_key(method_id)
    if key is None:
        raise ConfigureError(
            f"aggregation method {method_id!r} is not supported (supported: {method_names()})",
            setting=setting,
        )
    return METHODS[key]


def _policy_name(policy: str, column: str, method: Method) -> str:
    if policy == "Aggregation method (column name)":
        return f"{method.label}({column})"
    if policy == "Column name (aggregation method)":
        return f"{column} ({method.label})"
    return column


def _pattern_matches(p: PatternAggregation, name: str) -> bool:
    if p.regex:
        try:
            return re.fullmatch(p.pattern, name) is not None
        except re.error as exc:
            raise ConfigureError(
                f"invalid pattern {p.pattern!r}: {exc}", setting="patternAggregators"
            ) from None
    return fnmatch.fnmatchcase(name, p.pattern)


_Chosen = tuple[str, Method, bool | None, str]  # column, method, include missing, setting path


def _plan(spec: TableSpec, s: GroupBySettings, ctx: NodeContext) -> tuple[TableSpec, list[_Agg]]:
    """Output spec and aggregations (GroupByNodeModel.getAggregators + createGroupByTableSpec)."""
    require_columns(spec, s.groupByColumns, "groupByColumns")
    if len(set(s.groupByColumns)) != len(s.groupByColumns):
        raise ConfigureError("a group column is selected twice", setting="groupByColumns")
    chosen = _chosen_aggregations(spec, s, ctx)
    if not s.groupByColumns and not chosen:
        raise ConfigureError(
            "Please select at least one group or aggregation column", setting="groupByColumns"
        )
    if s.columnNamePolicy == "Keep original name(s)":
        seen: set[str] = set()
        for column, _, _, where in chosen:
            if column in seen:
                raise ConfigureError(
                    f"Duplicate column names: {column}. Not possible with 'Keep original name(s)' option",
                    setting=where,
                )
            seen.add(column)
    aggs = _named_aggregations(spec, s, chosen)
    out = TableSpec.of(
        [(c, spec.type_of(c)) for c in s.groupByColumns] + [(a.name, a.out_type) for a in aggs]
    )
    return out, aggs


def _chosen_aggregations(spec: TableSpec, s: GroupBySettings, ctx: NodeContext) -> list[_Chosen]:
    """The manual aggregations (a missing column dropped with a warning, as KNIME), then pattern
    and type based ones for the columns not used yet."""
    chosen: list[_Chosen] = []
    used = set(s.groupByColumns)
    invalid = 0
    for i, a in enumerate(s.aggregations):
        method = _method(a.method, f"aggregations.{i}.method")
        if a.column not in spec:
            invalid += 1  # KNIME drops it with a warning
            continue
        chosen.append((a.column, method, a.include_missing, f"aggregations.{i}"))
        used.add(a.column)
    for i, p in enumerate(s.patternAggregators):
        _method(p.method, f"patternAggregators.{i}.method")
    for col in [c for c in spec.columns if c.name not in used]:
        for i, p in enumerate(s.patternAggregators):  # every matching pattern adds one (as in KNIME)
            method = METHODS[method_key(p.method) or ""]
            if _pattern_matches(p, col.name) and _compatible(method, col.type):
                chosen.append((col.name, method, p.include_missing, f"patternAggregators.{i}"))
                used.add(col.name)
    for col in [c for c in spec.columns if c.name not in used]:
        for i, t in enumerate(s.dataTypeAggregators):
            method = _method(t.method, f"dataTypeAggregators.{i}.method")
            if col.type == t.type and _compatible(method, col.type):
                chosen.append((col.name, method, t.include_missing, f"dataTypeAggregators.{i}"))
                used.add(col.name)
    if invalid:
        ctx.warn(f"{invalid} invalid aggregation column(s) found.")
    return chosen


def _named_aggregations(spec: TableSpec, s: GroupBySettings, chosen: list[_Chosen]) -> list[_Agg]:
    """Each aggregation with its output name by the naming policy (`_1`, `_2` ... on clashes)."""
    counts: dict[str, int] = {c: 1 for c in s.groupByColumns}
    aggs: list[_Agg] = []
    for column, method, incl, where in chosen:
        in_type = spec.type_of(column)
        if not _compatible(method, in_type):
            raise ConfigureError(
                f"{method.label} needs a numeric column; {column!r} is {in_type}", setting=where
            )
        name = _policy_name(s.columnNamePolicy, column, method)
        if name in counts:
            unique = f"{name}_{counts[name]}"
            counts[name] += 1
        else:
            counts[name] = 1
            unique = name
        include = incl if incl is not None else method.label not in _EXCLUDE_MISSING_BY_DEFAULT
        aggs.append(_Agg(column, method, include, in_type, unique))
    return aggs


def _compatible(method: Method, col_type: str) -> bool:
    return not method.numeric_only or col_type in ColumnType.NUMERIC or col_type == ColumnType.BOOLEAN


def _group_order(table: Table, s: GroupBySettings) -> tuple[list[list[int]], list[str]]:
    """Row positions of each group in output order, and the groups' RowIDs."""
    df = table.df
    n = len(df)
    groups: dict[tuple[Any, ...], list[int]] = {}
    if s.inMemory or not s.groupByColumns:
        order = np.arange(n)
    else:
        criteria = [SortingCriterion(column=c, string_comparison="LEXICOGRAPHIC") for c in s.groupByColumns]
        order = sorted_positions(table, criteria, missing_to_end=False)
    columns = [df[c].to_numpy(dtype=object) for c in s.groupByColumns]
    for p in order:
        key = tuple(None if is_missing(col[p]) else _key(col[p]) for col in columns)
        groups.setdefault(key, []).append(int(p))
    members = list(groups.values())
    ids = list(row_ids(len(members)))
    if s.retainOrder and not s.inMemory and s.groupByColumns and n > 1:
        ranked = sorted(range(len(members)), key=lambda g: min(members[g]))
        members, ids = [members[g] for g in ranked], [ids[g] for g in ranked]
    return [sorted(m) for m in members], ids


def _key(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _groupby_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    knime.take("groupByColumns", "grouByColumns")  # sic: KNIME's key is misspelt
    agg = tree.get("aggregationColumn")
    if agg is None and ("numericColumnMethod" in tree or "nominalColumnMethod" in tree):
        knime.lost(
            "pre-2.0 GroupBy settings (one method for all numeric and one for all other columns) are not read; "
            "re-save the node in KNIME"
        )
    agg = agg or {}
    names, methods = seq(agg.get("columnNames")), seq(agg.get("aggregationMethod"))
    missing = seq(agg.get("inclMissingVals"))
    knime.put(
        "aggregations",
        [
            {"column": c, "method": m, "include_missing": bool(missing[i]) if i < len(missing) else None}
            for i, (c, m) in enumerate(zip(names, methods, strict=False))
        ],
        "aggregationColumn",
    )
    if any(seq(v) for v in (get(agg, "functionSettings") or {}).values() if isinstance(v, dict)):
        knime.lost("aggregation method parameters (functionSettings) are not supported")
    patterns = []
    for p in seq(tree.get("patternAggregators")):
        patterns.append(
            {
                "pattern": p.get("inputPattern"),
                "regex": bool(p.get("isRegularExpression")),
                "method": p.get("aggregationMethod"),
                "include_missing": p.get("inclMissingVals"),
            }
        )
    knime.put("patternAggregators", patterns, "patternAggregators")
    types = []
    for t in seq(tree.get("dataTypeAggregators")):
        cls = get(t, "dataType.cell_class") or t.get("dataType")
        types.append(
            {
                "type": column_type(cls if isinstance(cls, str) else None),
                "method": t.get("aggregationMethod"),
                "include_missing": t.get("inclMissingVals"),
            }
        )
    knime.put("dataTypeAggregators", types, "dataTypeAggregators")
    if tree.get("typeMatch") not in (None, 0):
        knime.note("type based aggregation: sub-type matching read as strict matching of knitflow's types")
    knime.take_all(["columnNamePolicy", "maxNoneNumericalVals", "valueDelimiter", "retainOrder", "inMemory"])
    knime.take("enableHilite")
    if tree.get("columnNamePolicy") is None and tree.get("keepColumnName"):
        knime.put("columnNamePolicy", "Keep original name(s)", "keepColumnName")


class GroupBy(Node):
    type_name = "groupby"
    display_name = "GroupBy"
    category = Category.MANIPULATOR
    description = (
        "Groups the rows by the group columns and aggregates the other selected columns per group with KNIME's "
        "methods (First, Last, Min, Max, Mean, Median, Sum, Count, Unique count, Concatenate, List, Set, Mode, "
        "Percent, ...). Output: group columns, then one column per aggregation named like Sum(x); groups sorted "
        "by the group columns (missing first) unless row order is retained."
    )
    keywords = ("aggregate", "group", "summarize", "sum", "mean", "count", "distinct", "collapse", "pivot")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.groupby.GroupByNodeFactory", "GroupBy", _groupby_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Group table", "Group columns and aggregated columns"),)
    Settings = GroupBySettings

    def configure(self, in_specs: list[Any], settings: GroupBySettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [_plan(spec, settings, ctx)[0]]

    def execute(self, inputs: list[Any], settings: GroupBySettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            out_spec, aggs = _plan(table.spec, settings, ctx)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        members, ids = _group_order(table, settings)
        df = table.df
        data: dict[str, list[Any]] = {c.name: [] for c in out_spec.columns}
        skipped: dict[str, list[tuple[str, str]]] = {}
        group_cols = list(settings.groupByColumns)
        for k, positions in enumerate(members):
            if k % 1000 == 0:
                ctx.check_cancelled()
            first = positions[0]
            for c in group_cols:
                v = df[c].iloc[first]
                data[c].append(None if is_missing(v) else v)
            for a in aggs:
                values = df[a.column].iloc[positions]
                try:
                    cell = aggregate(
                        values,
                        a.method,
                        a.in_type,
                        a.include_missing,
                        delimiter=settings.valueDelimiter,
                        max_unique=settings.maxNoneNumericalVals,
                        total_rows=len(df),
                    )
                except Skipped as exc:
                    label = ",".join(cell_text(df[c].iloc[first], table.types[c]) for c in group_cols)
                    skipped.setdefault(a.column, []).append((label, str(exc)))
                    cell = None
                data[a.name].append(cell)
        if skipped:
            ctx.warn(skipped_groups_message(skipped))
        types = {c.name: c.type for c in out_spec.columns}
        frame = pd.DataFrame({name: typed_column(values, types[name]) for name, values in data.items()})
        frame.index = pd.Index(ids, dtype=object)
        return [Table(frame, types)]
