"""Column Aggregator: KNIME's row-wise aggregation of the selected columns with GroupBy's methods.

Follows org.knime.base.node.preproc.columnaggregator (ColumnAggregatorNodeModel,
AggregationCellFactory): each row's cells of the selected columns (in table order) form one group
that every method aggregates into a new column named by its `resultColName` (by default the
method's label: Sum, Mean, Count ...). The new columns are appended after the input columns, of
which the aggregated and/or the other ("retained") ones can be removed. The methods see the
selected columns as one column of their common type (Integer and Long widen to Long, to Double with
a Double column); Percent divides by the table's row count, as KNIME's global settings do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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
from nodes._common import ColumnFilter

_NO_METHOD = (
    "No aggregation method specified. At least one aggregation method is required to perform an aggregation."
)
_NO_COLUMN = "No aggregated column(s) specified. At least one column is needed to perform an aggregation."

# methods whose result depends on each cell's own type (its text), not on the common type
_BY_TEXT = frozenset({"Concatenate", "Unique concatenate", "Unique count", "Mode"})


class AggregationMethod(NodeSettings):
    """One method of KNIME's `aggregationMethods` (NamedAggregationOperator)."""

    aggregationMethod: str = Field(
        description="KNIME aggregation method: First, Last, Minimum, Maximum, Mean, Median, Sum, Product, Range, "
        "Count, Unique count, Unique concatenate, Concatenate, List, Set, Standard deviation, Variance, Mode, "
        "Percent, Missing value count (KNIME's ids such as Sum_V2.5.2 are accepted)."
    )
    resultColName: str | None = Field(
        None,
        title="Column name",
        description="Name of the new column; empty: the method's label (Sum, Mean ...).",
    )
    inclMissingVals: bool = Field(
        False,
        title="Missing",
        description="Let missing cells take part (Count, First, Last, List, concatenations).",
    )


class ColumnAggregatorSettings(NodeSettings):
    """KNIME's ColumnAggregatorNodeModel settings."""

    aggregationColumns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Aggregation columns",
        description="The columns aggregated per row.",
    )
    aggregationMethods: list[AggregationMethod] = Field(
        default_factory=list, description="The methods, one new column each, in output order."
    )
    removeAggregationColumns: bool = Field(
        False, description="Remove the aggregated columns from the output."
    )
    removeRetainedColumns: bool = Field(
        False, description="Remove the columns not aggregated from the output."
    )
    maxNoneNumericalVals: int = Field(
        10000,
        ge=1,
        title="Maximum unique values per row",
        description="Unique count, Unique concatenate, Set and Mode give a missing cell beyond this many distinct values.",
    )
    valueDelimiter: str = Field(", ", description="Delimiter of the concatenations.")


_JAVA_ESCAPE = re.compile(r"\\(u+[0-9a-fA-F]{4}|[0-3][0-7]{0,2}|[4-7][0-7]?|.)", re.DOTALL)
_JAVA_CONTROL = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r"}


def java_unescaped(text: str) -> str:
    """commons-lang3 `StringEscapeUtils.unescapeJava` (SettingsModelString.getJavaUnescapedStringValue)."""

    def one(m: re.Match[str]) -> str:
        body = m[1]
        if body[0] == "u":
            return chr(int(body.lstrip("u"), 16))
        if body[0].isdigit() and body[0] < "8":
            return chr(int(body, 8))
        return _JAVA_CONTROL.get(body, body)

    return _JAVA_ESCAPE.sub(one, text)


def _column_aggregator_from_knime(knime: KnimeSettings) -> None:
    """Since 2.10 (`nodeVersion` 1) KNIME reads the delimiter Java-unescaped (`\\t` a tab)."""
    tree = knime.tree
    knime.take("aggregationColumns")
    knime.take_all(["removeAggregationColumns", "removeRetainedColumns", "maxNoneNumericalVals"])
    methods = tree.get("aggregationMethods") or {}
    names, ids = seq(methods.get("resultColName")), seq(methods.get("aggregationMethod"))
    missing = seq(methods.get("inclMissingVals"))
    knime.put(
        "aggregationMethods",
        [
            {
                "aggregationMethod": m,
                "resultColName": n,
                "inclMissingVals": bool(i < len(missing) and missing[i]),
            }
            for i, (n, m) in enumerate(zip(names, ids, strict=False))
        ],
        "aggregationMethods",
    )
    for method_id in ids:
        if method_key(str(method_id)) is None:
            knime.lost(f"aggregation method {method_id!r} is not supported (supported: {method_names()})")
    for key in methods:
        if key not in ("resultColName", "aggregationMethod", "inclMissingVals"):
            knime.lost(f"aggregationMethods.{key}: the parameters of an aggregation method are not supported")
    delimiter = tree.get("valueDelimiter")
    if delimiter is not None:
        unescaped = java_unescaped(str(delimiter)) if (tree.get("nodeVersion") or 0) > 0 else str(delimiter)
        knime.put("valueDelimiter", unescaped, "valueDelimiter")
        if unescaped != delimiter:
            knime.note(f"value delimiter {delimiter!r} read Java-unescaped as {unescaped!r}, as KNIME does")
    knime.unread("nodeVersion")


@dataclass(frozen=True)
class _Agg:
    name: str
    method: Method
    include_missing: bool
    in_type: str
    out_type: str
    by_text: bool  # the cells are handed over as their texts (mixed types)


def _common_type(types: list[str]) -> str | None:
    """CollectionCellFactory.getElementType for the types knitflow can name: one type, or the
    widest of Integer, Long and Double; None for unrelated types (KNIME's generic cell type)."""
    distinct = list(dict.fromkeys(types))
    if len(distinct) == 1:
        return distinct[0]
    if set(distinct) <= ColumnType.NUMERIC:
        return ColumnType.DOUBLE if ColumnType.DOUBLE in distinct else ColumnType.LONG
    return None


def _aggregation(chosen: AggregationMethod, types: list[str], position: int, cls: type[NodeError]) -> _Agg:
    where = f"aggregationMethods.{position}"
    key = method_key(chosen.aggregationMethod)
    if key is None:
        raise cls(
            f"aggregation method {chosen.aggregationMethod!r} is not supported (supported: {method_names()})",
            setting=f"{where}.aggregationMethod",
        )
    method = METHODS[key]
    common = _common_type(types)
    kinds = ", ".join(dict.fromkeys(types))
    numeric = common is not None and (common in ColumnType.NUMERIC or common == ColumnType.BOOLEAN)
    if method.numeric_only and not numeric:
        raise cls(f"{method.label} needs numeric columns; the aggregated columns are {kinds}", setting=where)
    if common is None and method.result(ColumnType.STRING) != method.result(ColumnType.INTEGER):
        raise cls(
            f"{method.label} of columns of different types ({kinds}) gives cells of several types in one column, "
            "which knitflow cannot represent",
            setting=where,
        )
    by_text = common is None or (len(set(types)) > 1 and method.label in _BY_TEXT)
    out_type = method.result(common or ColumnType.STRING)
    in_type = ColumnType.STRING if by_text or common is None else common
    name = chosen.resultColName or method.label
    return _Agg(name, method, chosen.inclMissingVals, in_type, out_type, by_text)


def _plan(
    spec: TableSpec, s: ColumnAggregatorSettings, cls: type[NodeError]
) -> tuple[list[str], list[_Agg], TableSpec]:
    """(aggregated columns, methods, output spec) as ColumnAggregatorNodeModel configures them."""
    if not s.aggregationMethods:
        raise cls(_NO_METHOD, setting="aggregationMethods")
    selected = s.aggregationColumns.apply(spec)
    if not selected:
        raise cls(_NO_COLUMN, setting="aggregationColumns")
    types = [spec.type_of(c) for c in selected]
    aggs = [_aggregation(m, types, i, cls) for i, m in enumerate(s.aggregationMethods)]
    seen: dict[str, int] = {}
    for position, agg in enumerate(aggs, start=1):
        if agg.name in seen:
            raise cls(
                f'Duplicate column name "{agg.name}" found at position {seen[agg.name]} and {position}.',
                setting="aggregationMethods",
            )
        seen[agg.name] = position
    removed: set[str] = set()
    if s.removeAggregationColumns:
        removed |= set(selected)
    if s.removeRetainedColumns:
        removed |= {c.name for c in spec.columns if c.name not in selected}
    kept = [c for c in spec.columns if c.name not in removed]
    clash = next((a.name for a in aggs if a.name in {c.name for c in kept}), None)
    if clash is not None:
        raise cls(f"Duplicate column name: {clash}", setting="aggregationMethods")
    return selected, aggs, TableSpec(tuple(kept)).append(*[(a.name, a.out_type) for a in aggs])


def _cells(table: Table, selected: list[str], by_text: bool) -> np.ndarray:
    """The cells of the aggregated columns, one row per table row (as texts where a method
    compares each cell's text)."""
    cells = np.empty((len(table), len(selected)), dtype=object)
    for j, name in enumerate(selected):
        column = table.df[name].to_numpy(dtype=object)
        if by_text:
            col_type = table.types[name]
            column = np.array(
                [None if is_missing(v) else cell_text(v, col_type) for v in column], dtype=object
            )
        cells[:, j] = column
    return cells


class ColumnAggregator(Node):
    type_name = "column_aggregator"
    display_name = "Column Aggregator"
    category = Category.MANIPULATOR
    description = (
        "Aggregates the selected columns of each row with KNIME's aggregation methods (Sum, Mean, Min, Max, "
        "Count, Concatenate, List, Set, ...) into new columns named like the method (or as chosen); the "
        "aggregated and/or the other columns can be removed."
    )
    keywords = ("aggregate", "row-wise", "sum across columns", "row mean", "concatenate", "combine columns")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.columnaggregator.ColumnAggregatorNodeFactory",
            "Column Aggregator",
            _column_aggregator_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with aggregated columns"),)
    Settings = ColumnAggregatorSettings

    def configure(
        self, in_specs: list[Any], settings: ColumnAggregatorSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [_plan(spec, settings, ConfigureError)[2]]

    def execute(self, inputs: list[Any], settings: ColumnAggregatorSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        selected, aggs, out_spec = _plan(table.spec, settings, NodeError)
        variants = {flag: _cells(table, selected, by_text=flag) for flag in {a.by_text for a in aggs}}
        positions = pd.RangeIndex(len(selected))
        results: list[list[Any]] = [[] for _ in aggs]
        for i in range(len(table)):
            if i % 1000 == 0:
                ctx.check_cancelled()
            row = {
                flag: pd.Series(cells[i], index=positions, dtype=object, copy=False)
                for flag, cells in variants.items()
            }
            for agg, out in zip(aggs, results, strict=True):
                out.append(self._cell(row[agg.by_text], agg, settings, len(table)))
        df = table.df[[c.name for c in out_spec.columns[: len(out_spec) - len(aggs)]]].copy()
        for agg, cells in zip(aggs, results, strict=True):
            column = typed_column(cells, agg.out_type)
            column.index = df.index
            df[agg.name] = column
        return [Table(df, {c.name: c.type for c in out_spec.columns})]

    @staticmethod
    def _cell(values: pd.Series, agg: _Agg, s: ColumnAggregatorSettings, rows: int) -> Any:
        """One aggregated cell; missing when a distinct-value method meets too many values."""
        try:
            return aggregate(
                values,
                agg.method,
                agg.in_type,
                agg.include_missing,
                delimiter=s.valueDelimiter,
                max_unique=s.maxNoneNumericalVals,
                total_rows=rows,
            )
        except Skipped:
            return None
