"""Row Aggregator: KNIME's simplified GroupBy (`org.knime.base.node.preproc.rowagg`).

One aggregation function for all selected numeric columns, optionally per category and weighted,
with KNIME's rules (`RowAggregatorNodeModel`, `SumNumeric`, `AverageNumeric`, `MultiplyNumeric`,
`WeightedAverageNumeric`, `GroupByTable`):

* columns keep their names (`ColumnNamePolicy.KEEP_ORIGINAL_NAME`; a column that is also the
  category column gets `_1`); COUNT writes `OCCURRENCE_COUNT` (Long), the group size;
* SUM keeps Integer/Long/Double (Booleans count as 0/1 Integers) and adds in row order; an Integer
  sum outside the int range is missing with KNIME's "Skipped group(s)" warning, a Long overflow
  fails; a weight multiplies first (Integer x Integer = Integer, else Long, else Double);
* AVERAGE is Double, updated incrementally (m += (x - m) / n; weighted: West's WV2), so the
  rounding is KNIME's; MINIMUM/MAXIMUM keep the column type; missing cells are skipped (a weighted
  row counts only when value and weight are present);
* groups come sorted by the category column (missing first) with RowIDs Row0, Row1, ...; the
  grand totals (second port, when asked for) are one row `Row0`. With no category column the
  totals are the first output and the second port is inactive (no table), as in KNIME.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnSpec,
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
from engine.api.knime import KnimeMapping, KnimeSettings, choice
from nodes._aggregation import cell_text, skipped_groups_message
from nodes._common import ColumnFilter
from nodes._compare import SortingCriterion, sorted_positions
from nodes._rows import coerce, group_keys, is_missing

COUNT_COLUMN = "OCCURRENCE_COUNT"
AGGREGATABLE = frozenset({ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE, ColumnType.BOOLEAN})
_INT_LIKE = frozenset({ColumnType.INTEGER, ColumnType.BOOLEAN})  # IntValue-compatible
_LONG_LIKE = _INT_LIKE | {ColumnType.LONG}  # LongValue-compatible
_INT = (-(2**31), 2**31 - 1)
_LONG = (-(2**63), 2**63 - 1)
_KNIME_TYPE = {
    ColumnType.INTEGER: "Number (integer)",
    ColumnType.LONG: "Number (long)",
    ColumnType.DOUBLE: "Number (double)",
    ColumnType.BOOLEAN: "Boolean value",
}
_NO_COLUMNS = 'Choose at least one aggregation column to aggregate or choose the "Occurrence count" aggregation function.'

Method = Literal["COUNT", "SUM", "AVERAGE", "MIN", "MAX"]


class RowAggregatorSettings(NodeSettings):
    categoryColumn: str | None = Field(  # noqa: N815 (KNIME's key)
        None,
        title="Category column",
        description="Rows are grouped by this column's values; none: one row of grand totals over all rows.",
    )
    aggregationMethod: Method = Field(  # noqa: N815
        "SUM",
        title="Aggregation",
        description="COUNT (occurrence count), SUM, AVERAGE, MIN or MAX, applied to every aggregation column.",
    )
    frequencyColumns: ColumnFilter = Field(  # noqa: N815
        default_factory=ColumnFilter,
        title="Aggregation columns",
        description="The numeric columns to aggregate (Integer, Long, Double, Boolean; others are never "
        "aggregated). Not used by COUNT.",
    )
    weightColumn: str | None = Field(  # noqa: N815
        None,
        title="Weight column",
        description="SUM and AVERAGE multiply each value by this column first (none: unweighted).",
    )
    grandTotals: bool = Field(  # noqa: N815
        False,
        title='Additional "grand totals" at second output port',
        description="With a category column: also aggregate all rows into one row on the second output "
        "(otherwise that port is inactive).",
    )


def _none_choice(value: Any) -> str | None:
    """A column choice of the web UI (`<NONE>`) or a legacy string (`<none>`, empty) as a name or None."""
    name = choice(value) if isinstance(value, dict) else value
    return None if name in (None, "", "<none>", "<NONE>") else str(name)


def _row_aggregator_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    for name, new, old in (
        ("categoryColumn", "categoryColumnV2", "categoryColumn"),
        ("weightColumn", "weightColumnV2", "weightColumn"),
    ):
        key = new if new in tree else old
        knime.put(name, _none_choice(tree.get(key)), key)
    knime.take("aggregationMethod")
    knime.take("frequencyColumns")
    knime.take("grandTotals")
    knime.ignore_binding("enableHiliting", "knitflow has no hiliting")


class _Plan:
    """What configure decides: the columns, their result types and the output specs."""

    def __init__(self, spec: TableSpec, s: RowAggregatorSettings, error: type[NodeError]) -> None:
        method = s.aggregationMethod
        columns = [c for c in s.frequencyColumns.apply(spec) if spec.type_of(c) in AGGREGATABLE]
        self.columns: list[str] = [] if method == "COUNT" else columns
        if method != "COUNT" and not columns:
            raise error(_NO_COLUMNS, setting="frequencyColumns")
        self.category = s.categoryColumn
        if self.category is not None and self.category not in spec:
            raise error(f'Missing category column: "{self.category}".', setting="categoryColumn")
        weighted = method in ("SUM", "AVERAGE") and s.weightColumn is not None
        self.weight = s.weightColumn if weighted else None
        if self.weight is not None:
            if self.weight not in spec:
                raise error(f'Missing weight column: "{self.weight}".', setting="weightColumn")
            if spec.type_of(self.weight) not in AGGREGATABLE:
                raise error(
                    f'Weight column "{self.weight}" is not numeric ({spec.type_of(self.weight)}).',
                    setting="weightColumn",
                )
        self.types = {c: self._result_type(spec, c, method) for c in self.columns}
        self.names = _names(self.category, self.columns)
        aggregated = [ColumnSpec(self.names[c], self.types[c]) for c in self.columns]
        if method == "COUNT":
            if self.category == COUNT_COLUMN:
                raise error(f"Count column name {COUNT_COLUMN} ambiguous.", setting="categoryColumn")
            aggregated.append(ColumnSpec(COUNT_COLUMN, ColumnType.LONG))
        self.totals = TableSpec(tuple(aggregated))
        group = [ColumnSpec(self.category, spec.type_of(self.category))] if self.category is not None else []
        self.grouped = TableSpec(tuple(group + aggregated))
        self.has_totals_port = self.category is not None and s.grandTotals

    def _result_type(self, spec: TableSpec, column: str, method: str) -> str:
        t = spec.type_of(column)
        if method in ("MIN", "MAX"):
            return t
        if method == "AVERAGE":
            return ColumnType.DOUBLE
        if self.weight is not None:  # MultiplyNumeric(weight, value)
            t = _product_type(spec.type_of(self.weight), t)
        return ColumnType.INTEGER if t in _INT_LIKE else t


def _product_type(a: str, b: str) -> str:
    if a in _INT_LIKE and b in _INT_LIKE:
        return ColumnType.INTEGER
    if a in _LONG_LIKE and b in _LONG_LIKE:
        return ColumnType.LONG
    return ColumnType.DOUBLE


def _names(category: str | None, columns: list[str]) -> dict[str, str]:
    """GroupByTable.createGroupByTableSpec with KEEP_ORIGINAL_NAME: a name already used gets `_1`."""
    counts: dict[str, int] = {category: 1} if category is not None else {}
    names: dict[str, str] = {}
    for c in columns:
        if c in counts:
            names[c] = f"{c}_{counts[c]}"
            counts[c] += 1
        else:
            counts[c] = 1
            names[c] = c
    return names


class _Skip(Exception):
    """The aggregate is missing and the group is reported as skipped (KNIME's setSkippedAgg)."""


def _number(value: Any, col_type: str) -> int | float:
    if col_type in _LONG_LIKE:
        return int(value)
    return float(value)


def _overflow(column: str, col_type: str) -> str:
    text = f'Numeric overflow of aggregation result for input column "{column}" of type "{_KNIME_TYPE[col_type]}".'
    if col_type == ColumnType.INTEGER:
        text += ' Consider converting the input column to "Number (long)".'
    return text


def _sum(values: list[Any], col_type: str, column: str) -> int | float:
    """SumNumeric: int and long sums in 64 bits (an overflow there fails the node), double sums
    added one by one in row order."""
    if col_type in _LONG_LIKE:
        total = 0
        for v in values:
            total += v
            if not _LONG[0] <= total <= _LONG[1]:
                what = _KNIME_TYPE[ColumnType.LONG if col_type == ColumnType.LONG else ColumnType.INTEGER]
                raise NodeError(f'Numeric overflow aggregating values for column of type "{what}".')
        if col_type in _INT_LIKE and not _INT[0] <= total <= _INT[1]:
            raise _Skip(_overflow(column, ColumnType.INTEGER))
        return total
    acc = np.float64(0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        for v in values:
            acc = acc + np.float64(v)
    return float(acc)


def _mean(values: list[float], column: str, col_type: str) -> float:
    """AverageNumeric: the differential update of commons-math's Mean; NaN ends the group (skipped)."""
    mean = np.float64(0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        for n, v in enumerate(values, start=1):
            mean = mean + (np.float64(v) - mean) / n
            if math.isnan(mean):
                raise _Skip(_overflow(column, col_type))
    return float(mean)


def _weighted_mean(pairs: list[tuple[float, float]], column: str, col_type: str) -> float:
    """WeightedAverageNumeric (West 1979, WV2); negative weights are an error as in KNIME."""
    mean, total = np.float64(0.0), np.float64(0.0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for x, w in pairs:
            if w < 0:
                raise NodeError("Negative weights not supported")
            q = np.float64(x) - mean
            temp = total + np.float64(w)
            mean = mean + q * np.float64(w) / temp
            total = temp
            if math.isnan(mean):
                raise _Skip(_overflow(column, col_type))
    return float(mean)


def _product(w: Any, v: Any, w_type: str, v_type: str) -> int | float:
    """MultiplyNumeric: exact int/long products (an overflow fails the node), else doubles."""
    out = _product_type(w_type, v_type)
    if out == ColumnType.DOUBLE:
        return float(w) * float(v)
    p = int(w) * int(v)
    low, high = _INT if out == ColumnType.INTEGER else _LONG
    if not low <= p <= high:
        text = (
            f'Numeric overflow multiplying values for column of type "{_KNIME_TYPE[w_type]}" and column of '
            f'type "{_KNIME_TYPE[v_type]}".'
        )
        if ColumnType.INTEGER in (w_type, v_type):
            text += ' Consider converting the input column(s) to "Number (long)".'
        raise NodeError(text)
    return p


def _extreme(values: list[Any], col_type: str, largest: bool) -> Any:
    """MinOperator/MaxOperator: the first extreme value by the type's comparator (Double.compare
    orders -0.0 before 0.0)."""
    if col_type == ColumnType.DOUBLE:

        def key(v: Any) -> tuple[float, int]:
            return (float(v), 0 if math.copysign(1.0, v) < 0 else 1)

        return max(values, key=key) if largest else min(values, key=key)
    return max(values) if largest else min(values)


class RowAggregator(Node):
    type_name = "row_aggregator"
    display_name = "Row Aggregator"
    category = Category.MANIPULATOR
    description = (
        "Aggregates the selected numeric columns with one function (occurrence count, sum, average, minimum or "
        "maximum), optionally per category of one column and weighted by another (sum, average); columns keep "
        "their names, COUNT writes OCCURRENCE_COUNT. Groups are sorted by category; the second output holds the "
        'grand totals when "grand totals" is on (inactive otherwise, and when there is no category column).'
    )
    keywords = ("aggregate", "sum", "average", "mean", "count", "total", "group", "weighted", "category")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.rowagg.RowAggregatorNodeFactory",
            "Row Aggregator",
            _row_aggregator_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (
        Port(
            TABLE, "Aggregated table", "One row per category (or the grand totals without a category column)"
        ),
        Port(TABLE, "Grand totals", "One row aggregating all rows (inactive unless grand totals are on)"),
    )
    Settings = RowAggregatorSettings

    def configure(self, in_specs: list[Any], settings: RowAggregatorSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        if not spec.columns:
            ctx.warn("Input table should contain at least one column.")
        plan = _Plan(spec, settings, ConfigureError)
        if plan.category is None:
            return [plan.totals, UNKNOWN]
        return [plan.grouped, plan.totals if plan.has_totals_port else UNKNOWN]

    def execute(self, inputs: list[Any], settings: RowAggregatorSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        plan = _Plan(table.spec, settings, NodeError)
        method = settings.aggregationMethod
        grouped: Table | None = None
        if plan.category is not None:
            criteria = [SortingCriterion(column=plan.category, string_comparison="LEXICOGRAPHIC")]
            keys = group_keys(table, [plan.category])
            members: dict[Any, list[int]] = {}
            for p in sorted_positions(table, criteria, missing_to_end=False):
                members.setdefault(keys[p], []).append(int(p))
            cat_type = table.types[plan.category]
            groups = [(cell_text(k[0], cat_type), sorted(m)) for k, m in members.items()]
            skipped: dict[str, list[tuple[str, str]]] = {}
            grouped = _aggregate_groups(table, plan, method, groups, plan.grouped, skipped, ctx)
            if skipped:
                ctx.warn(skipped_groups_message(skipped))
            if not plan.has_totals_port:
                return [grouped, None]
        # KNIME's totals: one group of all rows, one output row even for an empty input
        skipped = {}
        totals = _aggregate_groups(
            table, plan, method, [("", list(range(len(table))))], plan.totals, skipped, ctx
        )
        if skipped:
            ctx.warn(skipped_groups_message(skipped))
        return [totals, None] if grouped is None else [grouped, totals]


def _aggregate_groups(
    table: Table,
    plan: _Plan,
    method: str,
    groups: list[tuple[str, list[int]]],
    spec: TableSpec,
    skipped: dict[str, list[tuple[str, str]]],
    ctx: NodeContext,
) -> Table:
    """One output row per (label, row positions) group, RowIDs Row0, Row1, ...; the category
    column first when `spec` has it."""
    df = table.df
    data: dict[str, list[Any]] = {c.name: [] for c in spec.columns}
    with_category = plan.category is not None and len(spec.columns) > len(plan.totals.columns)
    weights = df[plan.weight].to_numpy(dtype=object) if plan.weight is not None else None
    w_type = table.types[plan.weight] if plan.weight is not None else ""
    columns = {c: df[c].to_numpy(dtype=object) for c in plan.columns}
    for k, (label, positions) in enumerate(groups):
        if k % 1000 == 0:
            ctx.check_cancelled()
        if with_category:
            assert plan.category is not None
            v = df[plan.category].iloc[positions[0]]
            data[plan.category].append(None if is_missing(v) else v)
        for c, values in columns.items():
            group_weights = weights[positions] if weights is not None else None
            try:
                cell = _aggregate(method, values[positions], table.types[c], c, group_weights, w_type)
            except _Skip as exc:
                skipped.setdefault(c, []).append((label, str(exc)))
                cell = None
            data[plan.names[c]].append(cell)
        if method == "COUNT":
            data[COUNT_COLUMN].append(len(positions))
    frame = pd.DataFrame(
        {c.name: coerce(pd.Series(data[c.name], dtype=object), c.type) for c in spec.columns}
    )
    frame.index = row_ids(len(groups))
    return Table(frame, {c.name: c.type for c in spec.columns})


def _aggregate(
    method: str, values: np.ndarray, col_type: str, column: str, weights: np.ndarray | None, w_type: str
) -> Any:
    """One group's cell (None: missing) of one column."""
    if weights is not None:
        pairs = [
            (v, w) for v, w in zip(values, weights, strict=True) if not is_missing(v) and not is_missing(w)
        ]
        if not pairs:
            return None
        if method == "AVERAGE":
            return _weighted_mean([(float(v), float(w)) for v, w in pairs], column, col_type)
        products = [_product(w, v, w_type, col_type) for v, w in pairs]
        return _sum(products, _product_type(w_type, col_type), column)
    present = [v for v in values if not is_missing(v)]
    if not present:
        return None
    if method == "SUM":
        return _sum([_number(v, col_type) for v in present], col_type, column)
    if method == "AVERAGE":
        return _mean([float(v) for v in present], column, col_type)
    return _extreme(present, col_type, largest=method == "MAX")
