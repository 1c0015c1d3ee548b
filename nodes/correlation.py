"""KNIME's Linear Correlation (CorrelationCompute2NodeModel, CorrelationComputer2, CorrelationUtils):
Pearson's r with its p-value for numeric pairs, Cramér's V for nominal pairs, and the correlation
model port."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
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
    NodeSettings,
    Port,
    Table,
    TableSpec,
    row_ids,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import ColumnFilter
from nodes._learning import text_values
from nodes._mining import NOMINAL, cell_text

NUMERIC_STATS = ColumnType.NUMERIC | {ColumnType.BOOLEAN}  # DoubleValue columns, as in nodes/statistics.py

# ---------------------------------------------------------------------------- Linear Correlation


class CorrelationSettings(NodeSettings):
    """KNIME's CorrelationCompute2NodeModel settings."""

    include_list: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Column filter",
        description="The numeric and nominal columns to correlate.",
    )
    possibleValuesCount: int = Field(
        50,
        ge=2,
        title="Possible values count",
        description="Nominal columns with more distinct values get no correlation (missing cells).",
    )
    pvalAlternative: Literal["TWO_SIDED", "GREATER", "LESS"] = Field(
        "TWO_SIDED", title="p-value", description="Alternative hypothesis of the p-value of Pearson's r."
    )
    columnPairsFilter: Literal["ALL", "COMPATIBLE_PAIRS", "VALID_CORRELATION"] = Field(
        "ALL",
        title="Include column pairs",
        description="All pairs; only numeric/numeric and nominal/nominal pairs; or only pairs with a correlation.",
    )


def _correlation_columns(spec: TableSpec, s: CorrelationSettings) -> list[str]:
    if not any(c.type in NUMERIC_STATS or c.type in NOMINAL for c in spec.columns):
        raise ConfigureError("No double or nominal compatible columns in input")
    names = s.include_list.apply(spec, allowed_types=NUMERIC_STATS | NOMINAL)
    if not names:
        raise ConfigureError("No columns selected", setting="include_list")
    return names


CORRELATION_SPEC = TableSpec.of(
    [
        ("First column name", ColumnType.STRING),
        ("Second column name", ColumnType.STRING),
        ("Correlation value", ColumnType.DOUBLE),
        ("p value", ColumnType.DOUBLE),
        ("Degrees of freedom", ColumnType.INTEGER),
    ]
)


def pearson(x: np.ndarray, y: np.ndarray, alternative: str) -> tuple[float, float, int]:
    """Pearson's r over the complete pairs, its p value (t distribution, n - 2 degrees of freedom)."""
    from scipy import stats

    ok = ~np.isnan(x) & ~np.isnan(y)
    n = int(ok.sum())
    dof = n - 2
    if n < 2:
        return math.nan, math.nan, max(dof, 0)
    a, b = x[ok] - x[ok].mean(), y[ok] - y[ok].mean()
    denom = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    if denom == 0.0:
        return math.nan, math.nan, dof
    r = max(-1.0, min(1.0, float((a * b).sum()) / denom))
    if dof <= 0:
        return r, math.nan, dof
    t = r * math.sqrt(dof / (1 - r * r)) if abs(r) < 1 else math.copysign(math.inf, r)
    if alternative == "GREATER":
        p = float(stats.t.sf(t, dof))
    elif alternative == "LESS":
        p = float(stats.t.cdf(t, dof))
    else:
        p = float(2 * stats.t.sf(abs(t), dof))
    return r, p, dof


def cramers_v(x: list[Any], y: list[Any], limit: int) -> tuple[float, float, int]:
    """Cramér's V of the contingency table (missing cells are a value of their own) and the chi-square p value."""
    from scipy import stats

    xs, ys = (
        [cell_text(v) if v is not None else None for v in x],
        [cell_text(v) if v is not None else None for v in y],
    )
    rows, cols = list(dict.fromkeys(xs)), list(dict.fromkeys(ys))
    if len(rows) > limit or len(cols) > limit or min(len(rows), len(cols)) < 2:
        return math.nan, math.nan, 0
    ri, ci = {v: i for i, v in enumerate(rows)}, {v: i for i, v in enumerate(cols)}
    table = np.zeros((len(rows), len(cols)))
    for a, b in zip(xs, ys, strict=True):
        table[ri[a], ci[b]] += 1
    n = table.sum()
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    dof = (len(rows) - 1) * (len(cols) - 1)
    v = math.sqrt(chi2 / (n * (min(len(rows), len(cols)) - 1)))
    return v, float(stats.chi2.sf(chi2, dof)), dof


@dataclass
class CorrelationModel:
    columns: list[str]
    matrix: np.ndarray  # symmetric, NaN where no correlation


def _correlation_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["include-list", "possibleValuesCount", "pvalAlternative", "columnPairsFilter"])


class LinearCorrelation(Node):
    """KNIME's Linear Correlation."""

    type_name = "linear_correlation"
    display_name = "Linear Correlation"
    category = Category.OTHER
    description = (
        "Correlates every pair of selected columns: numeric/numeric by Pearson's r over the complete rows with its "
        "p value (t distribution, n - 2 degrees of freedom), nominal/nominal by Cramér's V with the chi-square test "
        "(missing cells a value of their own; columns with more than possibleValuesCount values are skipped); other "
        "pairs are missing. Port 1: one row per pair (First/Second column name, Correlation value, p value, Degrees "
        "of freedom); port 2: the correlation matrix; port 3: the correlation model."
    )
    keywords = ("correlation", "pearson", "cramer", "association", "matrix")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.correlation.compute2.CorrelationCompute2NodeFactory",
            "Linear Correlation",
            _correlation_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input data", "Numeric and nominal columns."),)
    outputs = (
        Port(TABLE, "Correlation measure", "Correlation values, p values and degrees of freedom per pair."),
        Port(TABLE, "Correlation matrix", "The correlation values as a square matrix."),
        Port(MODEL, "Correlation model", "The correlation matrix for the Correlation Filter."),
    )
    Settings = CorrelationSettings

    def configure(self, in_specs: list[Any], settings: CorrelationSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [CORRELATION_SPEC, UNKNOWN, UNKNOWN]
        names = _correlation_columns(spec, settings)
        matrix = TableSpec.of([(n, ColumnType.DOUBLE) for n in names])
        return [CORRELATION_SPEC, matrix, ModelSpec("correlation", spec.select(names))]

    def execute(self, inputs: list[Any], settings: CorrelationSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        spec, df = table.spec, table.df
        names = _correlation_columns(spec, settings)
        numeric = {n: spec.type_of(n) in NUMERIC_STATS for n in names}
        values = {
            n: df[n].astype("float64").to_numpy(dtype=float, na_value=np.nan)
            if numeric[n]
            else text_values(df[n])
            for n in names
        }
        k = len(names)
        matrix = np.full((k, k), np.nan)
        rows = []
        constant = []
        for i in range(k):
            matrix[i, i] = 1.0
            for j in range(i + 1, k):
                a, b = names[i], names[j]
                compatible = numeric[a] == numeric[b]
                if numeric[a] and numeric[b]:
                    r, p, dof = pearson(
                        np.asarray(values[a]), np.asarray(values[b]), settings.pvalAlternative
                    )
                    if math.isnan(r) and dof > 0:
                        constant.append(f"{a} - {b}")
                elif not numeric[a] and not numeric[b]:
                    r, p, dof = cramers_v(list(values[a]), list(values[b]), settings.possibleValuesCount)
                else:
                    r, p, dof = math.nan, math.nan, 0
                matrix[i, j] = matrix[j, i] = r
                if settings.columnPairsFilter == "VALID_CORRELATION" and math.isnan(r):
                    continue
                if settings.columnPairsFilter == "COMPATIBLE_PAIRS" and not compatible:
                    continue
                rows.append([a, b, r, p, dof])
        if constant:
            ctx.warn("Column pairs with constant values (no correlation): " + ", ".join(constant[:4]))
        pairs = pd.DataFrame(rows, columns=CORRELATION_SPEC.names, index=row_ids(len(rows)))
        pairs["Correlation value"] = pairs["Correlation value"].astype("float64")
        pairs["p value"] = pairs["p value"].astype("float64")
        pairs["Degrees of freedom"] = pairs["Degrees of freedom"].astype("int32")
        out = Table(pairs, {c.name: c.type for c in CORRELATION_SPEC.columns})
        square = Table(
            pd.DataFrame(matrix, columns=names, index=pd.Index(names, dtype=object)),
            dict.fromkeys(names, ColumnType.DOUBLE),
        )
        model = Model(
            "correlation",
            CorrelationModel(names, matrix),
            f"correlation of {k} columns",
            spec=ModelSpec("correlation", spec.select(names)),
        )
        return [out, square, model]
