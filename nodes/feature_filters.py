"""Column filters by statistics: Low Variance Filter (LowVarFilter2NodeModel with KNIME's
StatisticsTable variance) and Correlation Filter (CorrelationFilterNodeModel with
PMCCPortObjectAndSpec.getReducedSet on the Linear Correlation node's model)."""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np
from pydantic import Field

from engine.api import (
    MODEL,
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._common import ColumnFilter, spec_or_none
from nodes._mining import NOMINAL

DOUBLE_VALUE = ColumnType.NUMERIC | {ColumnType.BOOLEAN}  # DoubleValue-compatible cells

# ----------------------------------------------------------------------------- Low Variance Filter


class LowVarianceSettings(NodeSettings):
    max_variance: float = Field(
        0.0,
        ge=0.0,
        title="Variance upper bound",
        description="Columns whose variance is not above this are removed; 0 removes constant columns.",
    )
    col_filter: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns to include",
        description="The numeric columns considered; all other columns are kept whatever their variance.",
    )


def statistics_variance(values: np.ndarray) -> float:
    """StatisticsTable's variance of the non-missing values: (sum of squares - sum^2 / n) / (n - 1),
    summed row by row as KNIME does (a constant 0.1 column may keep a tiny variance); NaN for no
    value or one."""
    v = values[~np.isnan(values)]
    n = len(v)
    if n == 0:
        return math.nan
    total = float(np.add.accumulate(v)[-1])  # sequential, as Java's loop (np.sum is pairwise)
    squares = float(np.add.accumulate(v * v)[-1])
    numerator = squares - total * total / n
    if n == 1:
        return math.nan if numerator == 0.0 else math.copysign(math.inf, numerator)
    return numerator / (n - 1)


def _low_variance_from_knime(knime: KnimeSettings) -> None:
    """`col_filter` is a column filter (LowVarFilter2) or, in the first version, the names of the
    columns considered."""
    knime.take("max_variance")
    raw = knime.get("col_filter")
    if isinstance(raw, dict) and "filter-type" in raw:
        knime.take("col_filter")
    elif raw is not None:
        knime.take(
            "col_filter",
            transform=lambda v: {
                "included_names": [str(x) for x in seq(v)],
                "enforce_option": "EnforceInclusion",
            },
        )
    knime.unread()


class LowVarianceFilter(Node):
    type_name = "low_variance_filter"
    display_name = "Low Variance Filter"
    category = Category.MANIPULATOR
    description = (
        "Removes the selected numeric columns whose sample variance (missing cells skipped) is not above the "
        "bound; a column with fewer than two values has no variance and is removed too. Other columns stay."
    )
    keywords = ("low variance", "constant columns", "feature selection", "variance", "dimension reduction")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.lowvarfilter2.LowVarFilter2NodeFactory",
            "Low Variance Filter",
            _low_variance_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.lowvarfilter.LowVarFilterNodeFactory",
            "Low Variance Filter",
            _low_variance_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input data", "Numeric input data (non-numeric columns are left untouched)."),)
    outputs = (Port(TABLE, "Filtered data", "The input without the low-variance columns."),)
    Settings = LowVarianceSettings

    def configure(self, in_specs: list[Any], settings: LowVarianceSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]  # which columns go depends on the data

    def execute(self, inputs: list[Any], settings: LowVarianceSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        candidates = set(settings.col_filter.apply(table.spec, allowed_types=DOUBLE_VALUE))
        kept = []
        for name in table.columns:
            if name in candidates:
                values = table.df[name].to_numpy(dtype=float, na_value=np.nan)
                if not statistics_variance(values) > settings.max_variance:
                    continue
            kept.append(name)
        if len(kept) == len(table.columns):
            ctx.warn("No columns were filtered out.")
        return [table.with_frame(table.df[kept])]


# ----------------------------------------------------------------------------- Correlation Filter


class CorrelationPayload(Protocol):
    """What the Linear Correlation node's model holds (nodes/correlation.py's CorrelationModel)."""

    columns: list[str]
    matrix: np.ndarray


class CorrelationFilterSettings(NodeSettings):
    correlation_threshold: float = Field(
        1.0,
        gt=0.0,
        le=1.0,
        title="Correlation threshold",
        description="Column pairs correlated at least this strongly (absolute value) count as redundant.",
    )


def reduced_set(names: list[str], matrix: np.ndarray, threshold: float) -> list[str]:
    """PMCCPortObjectAndSpec.getReducedSet: repeatedly take the column with the most partners at or
    above the threshold (the first one on a tie), keep it and drop its partners; columns without
    such partners all survive. Missing correlations never count."""
    k = len(names)
    strong = np.abs(np.nan_to_num(matrix, nan=0.0)) >= threshold
    hidden = np.zeros(k, dtype=bool)
    excluded: set[int] = set()
    while True:
        counts = np.zeros(k, dtype=int)
        for i in range(k):
            if hidden[i]:
                continue
            for j in range(i + 1, k):
                if not hidden[j] and strong[i, j]:
                    counts[i] += 1
                    counts[j] += 1
        best, most = -1, -1
        for i in range(k):
            if not hidden[i] and counts[i] > 0 and counts[i] > most:
                best, most = i, int(counts[i])
        if best < 0:
            break
        for i in range(k):
            if not hidden[i] and i != best and strong[best, i]:
                hidden[i] = True
                excluded.add(i)
        hidden[best] = True
    return [n for i, n in enumerate(names) if i not in excluded]


def _model_columns(spec: TableSpec, model_columns: list[str]) -> None:
    """createColumnRearranger's checks, with KNIME's messages."""
    for c in model_columns:
        if c not in spec:
            raise ConfigureError(f"No such column in input table: {c}")
    compatible = {c.name for c in spec.columns if c.type in DOUBLE_VALUE or c.type in NOMINAL}
    for c in model_columns:
        if c not in compatible:
            raise ConfigureError(f"Some columns are not present in the input table: {c}")


def _correlation_filter_from_knime(knime: KnimeSettings) -> None:
    knime.take("correlation_threshold")
    knime.unread()


class CorrelationFilter(Node):
    type_name = "correlation_filter"
    display_name = "Correlation Filter"
    category = Category.MANIPULATOR
    description = (
        "Removes redundant columns using the Linear Correlation node's model: among the model's columns, the one "
        "with the most partners correlated at least as strongly as the threshold (absolute value) is kept and "
        "those partners removed, repeatedly; columns outside the model stay."
    )
    keywords = ("correlation filter", "redundant columns", "feature selection", "collinear", "pearson")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.correlation.filter.CorrelationFilterNodeFactory",
            "Correlation Filter",
            _correlation_filter_from_knime,
        ),
    )
    inputs = (
        Port(MODEL, "Correlation model", "The model of the Linear Correlation node."),
        Port(TABLE, "Input data", "The table to filter (the correlated table or one like it)."),
    )
    outputs = (Port(TABLE, "Filtered data", "The input without the redundant columns."),)
    Settings = CorrelationFilterSettings

    def configure(
        self, in_specs: list[Any], settings: CorrelationFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        model, spec = in_specs[0], spec_or_none(in_specs[1])
        if isinstance(model, ModelSpec):
            if model.kind != "correlation":
                raise ConfigureError(f"Expected a correlation model, got a {model.kind} model")
            if spec is not None:
                _model_columns(spec, model.learning_columns.names)
        return [UNKNOWN]  # the correlation values decide (KNIME's spec has none before execution)

    def execute(self, inputs: list[Any], settings: CorrelationFilterSettings, ctx: NodeContext) -> list[Any]:
        model, table = inputs
        if not isinstance(model, Model) or model.kind != "correlation":
            raise NodeError("The first input is not a correlation model")
        payload: CorrelationPayload = model.payload
        names = list(payload.columns)
        try:
            _model_columns(table.spec, names)
        except ConfigureError as exc:
            raise NodeError(str(exc)) from None
        survivors = set(
            reduced_set(names, np.asarray(payload.matrix, dtype=float), settings.correlation_threshold)
        )
        in_model = set(names)
        kept = [
            c.name
            for c in table.spec.columns
            if not (c.type in DOUBLE_VALUE or c.type in NOMINAL)
            or c.name not in in_model
            or c.name in survivors
        ]
        return [table.with_frame(table.df[kept])]
