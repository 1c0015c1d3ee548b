"""Auto-Binner: numeric columns cut into bins computed from the data, and the binning as a model.

KNIME's AutoBinner (autobinner2, autobinner3): a fixed number of bins of equal width (between the
column's smallest and largest value) or of about equal frequency, or bins between estimated
sample quantiles (R-7, on the sorted column); optionally with integer bounds. The first bin is
closed on both ends, the others open on the left: `[e0,e1]`, `(e1,e2]`, ... Bins are named
`Bin 1`, `Bin 2`, ..., by their borders or by their midpoints (Java's US number format, or
BigDecimal's text with `advancedFormatting`). A value no bin covers and a missing value give a
missing cell. The String column `<name> [Binned]` is appended (or replaces the column), and the
second output holds the bins (KNIME's PMML DerivedField Discretize).

KNIME takes the equal-width range from the column's domain, which a reader computes from the
values; after a filter the domain can still be the wider one, while knitflow, having no domains,
always uses the values present.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
)
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
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._common import ColumnFilter
from nodes._java_text import java_double_to_string, short_string_from
from nodes._rows import is_missing

DISCRETIZE = PortType.register(
    PortType("model.discretize", "Binning (KNIME: PMML DerivedField Discretize)", "#2e7dd1", "square")
)
KIND = "discretize"
SUFFIX = " [Binned]"
_BINNABLE = frozenset(ColumnType.NUMERIC | {ColumnType.BOOLEAN})  # DoubleValue-compatible cells
_ROUNDING = {
    "UP": ROUND_UP,
    "DOWN": ROUND_DOWN,
    "CEILING": ROUND_CEILING,
    "FLOOR": ROUND_FLOOR,
    "HALF_UP": ROUND_HALF_UP,
    "HALF_DOWN": ROUND_HALF_DOWN,
    "HALF_EVEN": ROUND_HALF_EVEN,
}


class AutoBinnerSettings(NodeSettings):
    """KNIME's AutoBinnerLearnSettings (autobinner3; autobinner2's targetColumn / includeAll are
    read into `column_filter`)."""

    column_filter: list[str] | ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="The numeric columns to bin: KNIME's column filter (numeric and Boolean columns only), or a "
        "list of names binned in that order.",
    )
    method: Literal["fixedNumber", "sampleQuantiles"] = Field(
        "fixedNumber", description="A fixed number of bins, or bins between sample quantiles."
    )
    binCount: int = Field(5, ge=1, description="fixedNumber: the number of bins.")
    equalityMethod: Literal["width", "frequency"] = Field(
        "width", description="fixedNumber: bins of equal width, or holding about equally many values."
    )
    integerBounds: bool = Field(
        False, description="Round the borders to integers (first down, the others up)."
    )
    sampleQuantiles: list[float] = Field(
        default_factory=lambda: [0.0, 0.25, 0.5, 0.75, 1.0],
        description="sampleQuantiles: the quantiles (0 to 1, ascending) whose values are the bin borders.",
    )
    binNaming: Literal["numbered", "edges", "midpoints"] = Field(
        "numbered", description="Name bins `Bin 1`, `Bin 2`, ..., by their borders, or by their midpoints."
    )
    replaceColumn: bool = Field(
        False, description="Replace the column instead of appending `<name> [Binned]`."
    )
    advancedFormatting: bool = Field(
        False, description="Format borders and midpoints with precision, precisionMode and outputFormat."
    )
    outputFormat: Literal["Standard", "Plain", "Engineering"] = Field(
        "Standard",
        description="advancedFormatting: BigDecimal's toString, toPlainString or toEngineeringString.",
    )
    precision: int = Field(3, description="advancedFormatting: decimal places or significant figures.")
    precisionMode: Literal["Decimal", "Significant"] = Field(
        "Decimal", description="advancedFormatting: round to decimal places or to significant figures."
    )
    roundingMode: Literal[
        "UP", "DOWN", "CEILING", "FLOOR", "HALF_UP", "HALF_DOWN", "HALF_EVEN", "UNNECESSARY"
    ] = Field("HALF_UP", description="advancedFormatting: Java's RoundingMode.")


_KEYS = [
    "method",
    "binCount",
    "equalityMethod",
    "integerBounds",
    "binNaming",
    "replaceColumn",
    "advancedFormatting",
    "precision",
    "roundingMode",
]


def _auto_binner_from_knime(knime: KnimeSettings) -> None:
    """autobinner3 (`column-filter`) and autobinner2 (`targetColumn`, `includeAll`); 5.5 writes
    the enumerations camel-cased (`standard`, `decimal`), which KNIME reads case-blind."""
    tree = knime.tree
    if "column-filter" in tree:
        knime.take("column_filter", "column-filter")
    elif tree.get("includeAll") or tree.get("targetColumn") is None:
        knime.put("column_filter", {}, "includeAll")  # every numeric column
    else:
        knime.put("column_filter", [str(c) for c in seq(tree["targetColumn"])], "targetColumn")
    knime.take_all(_KEYS)
    knime.take("sampleQuantiles", transform=lambda v: [float(q) for q in seq(v)])
    for key in ("outputFormat", "precisionMode"):
        knime.take(key, transform=lambda v: str(v)[:1].upper() + str(v)[1:])
    knime.unread("includeAll", "targetColumn")  # both decided `column_filter` above


# ---------------------------------------------------------------------------------------- bins


@dataclass(frozen=True)
class Bin:
    """PMMLDiscretizeBin with one interval: [left, right] for the first bin, else (left, right]."""

    name: str
    left: float
    right: float
    left_open: bool

    def covers(self, value: float) -> bool:
        return (
            self.left < value < self.right
            or value == self.right
            or (value == self.left and not self.left_open)
        )


@dataclass(frozen=True)
class Discretization:
    """The model: each binned column's source column and bins, in output order."""

    columns: tuple[tuple[str, str, tuple[Bin, ...]], ...]  # (binned column, source column, bins)

    def summary(self) -> str:
        return f"Discretized columns : [{', '.join(name for name, _, _ in self.columns)}]"


def _integer_bounds(edges: list[float]) -> list[float]:
    """AutoBinner.toIntegerBoundaries: the first border floored, the others ceiled, duplicates dropped."""
    return sorted({float(math.floor(edges[0]))} | {float(math.ceil(e)) for e in edges[1:]})


def _width_edges(values: np.ndarray, count: int) -> list[float]:
    low, high = float(values.min()), float(values.max())
    return [low] + [low + i / count * (high - low) for i in range(1, count)] + [high]


def _java_round(x: float) -> int:
    """Math.round(double)."""
    return math.floor(x + 0.5)


def _frequency_edges(values: np.ndarray, count: int, integer: bool) -> list[float]:
    """AutoBinner.findEdgesForEqualCount: borders about n/count values apart, moved to the nearer
    end of a run of equal values."""
    ordered = sorted(float(v) for v in values)
    rounded = [math.ceil(v) if integer else v for v in ordered]
    per_bin = _java_round(len(ordered) / count)
    if per_bin < 1:
        raise NodeError(
            f"too few values ({len(ordered)}) for {count} bins of equal frequency", setting="binCount"
        )
    edges = [0.0] * (count + 1)
    edges[0] = math.floor(ordered[0]) if integer else ordered[0]
    edges[-1] = rounded[-1]
    start, index = 0, per_bin - 1
    for i in range(1, count):
        if index >= len(ordered):
            edges[i] = edges[i - 1]
            continue
        edge = rounded[index]
        lower = index
        while lower >= start and not edge > rounded[lower]:
            lower -= 1
        higher = index
        while higher < len(ordered) - 1 and not rounded[higher + 1] > edge:
            higher += 1
        lower_diff = -(lower - start + 1 - per_bin)
        higher_diff = higher - start + 1 - per_bin
        index = lower if lower >= start and lower_diff <= higher_diff else higher
        edges[i] = rounded[index]
        start = index + 1
        index += per_bin
    return [float(e) for e in edges]


def _quantile_edges(
    sorted_values: list[float | None], row_ids: list[str], quantiles: list[float]
) -> list[float]:
    """AutoBinner.createEdgesFromQuantiles (R-7) walking the sorted column, missing cells first;
    a quantile that touches a missing cell fails as KNIME does."""
    n = len(sorted_values)
    if n == 0:
        raise NodeError("the input table is empty: no quantiles to compute")
    read, current, following = 1, 0, 0
    edges = []
    for p in quantiles:
        h = (n - 1) * p + 1
        q = math.floor(h)
        while (p == 1.0 or read - 1 < q) and read < n:
            current, following = following, read
            read += 1
        if p == 1.0:
            current = following
        low, high = sorted_values[current], sorted_values[following]
        if low is None or high is None:
            raise NodeError(
                f'Missing values not support for quantile calculation (error in row "{row_ids[following]}")'
            )
        edges.append(low + (h - q) * (high - low))
    return edges


# ---------------------------------------------------------------------------------- bin names


def _grouped(digits: str) -> str:
    head = len(digits) % 3 or 3
    return ",".join([digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)])


def _us_number(value: float) -> str:
    """NumberFormat.getNumberInstance(Locale.US): `#,##0.###`, HALF_EVEN on the exact value."""
    rounded = Decimal(value).quantize(Decimal("0.001"), rounding=ROUND_HALF_EVEN)
    whole, _, frac = f"{abs(rounded):f}".partition(".")
    frac = frac.rstrip("0")
    text = _grouped(whole) + (f".{frac}" if frac else "")
    return f"-{text}" if value < 0 else text


def _small_number(value: float) -> str:
    """DecimalFormat("0.00E0"): one integer digit, two decimals, HALF_EVEN on the exact value."""
    exact = Decimal(value)
    exponent = exact.adjusted()
    mantissa = exact.scaleb(-exponent).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    if abs(mantissa) >= 10:
        exponent += 1
        mantissa = exact.scaleb(-exponent).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return f"{mantissa}E{exponent}"


def _plain_format(value: float) -> str:
    """AutoBinner.BinnerNumberFormat.format without advanced formatting."""
    if value == 0.0:
        return "0"
    if math.isinf(value) or math.isnan(value):
        return java_double_to_string(value)
    return _small_number(value) if abs(value) < 0.0001 else _us_number(value)


def _advanced_format(value: float, settings: AutoBinnerSettings) -> str:
    """BigDecimal(value) rounded to `precision` decimals or significant figures, then its text."""
    if math.isinf(value) or math.isnan(value):
        raise NodeError(
            f"cannot format {java_double_to_string(value)} as a decimal", setting="advancedFormatting"
        )
    exact = Decimal(value)
    if settings.roundingMode == "UNNECESSARY":
        rounded = _round(exact, settings, ROUND_DOWN)
        if rounded != exact:
            raise NodeError("Rounding necessary", setting="roundingMode")
    else:
        rounded = _round(exact, settings, _ROUNDING[settings.roundingMode])
    if settings.outputFormat == "Plain":
        return f"{rounded:f}"
    if settings.outputFormat == "Engineering":
        return rounded.to_eng_string()
    return str(rounded)


def _round(exact: Decimal, settings: AutoBinnerSettings, mode: str) -> Decimal:
    if settings.precisionMode == "Decimal":
        return exact.quantize(Decimal(1).scaleb(-settings.precision), rounding=mode)
    if settings.precision <= 0:
        return exact  # MathContext(0): no rounding
    return Context(prec=settings.precision, rounding=mode).plus(exact)


def _bins(edges: list[float], settings: AutoBinnerSettings) -> tuple[Bin, ...]:
    if len(edges) < 2:
        return ()

    def fmt(value: float) -> str:
        return _advanced_format(value, settings) if settings.advancedFormatting else _plain_format(value)

    count = len(edges) - 1
    if settings.binNaming == "numbered":
        names = [f"Bin {i + 1}" for i in range(count)]
    elif settings.binNaming == "edges":
        names = [("[" if i == 0 else "(") + f"{fmt(edges[i])},{fmt(edges[i + 1])}]" for i in range(count)]
    else:
        names = [fmt((edges[i + 1] - edges[i]) / 2 + edges[i]) for i in range(count)]
    return tuple(Bin(names[i], edges[i], edges[i + 1], i > 0) for i in range(count))


# ------------------------------------------------------------------------------------ the node


def _binned_columns(spec: TableSpec, settings: AutoBinnerSettings, cls: type[NodeError]) -> list[str]:
    """The columns to bin, in output order; missing or non-numeric ones fail."""
    chosen = settings.column_filter
    if isinstance(chosen, ColumnFilter):
        missing = chosen.removed_from_includes(spec) if chosen.enforce_option == "EnforceInclusion" else []
        if missing:
            raise cls(
                "Input table does not contain the following selected column(s): "
                + short_string_from(missing),
                setting="column_filter",
            )
        return chosen.apply(spec, allowed_types=_BINNABLE)
    for name in chosen:
        col = spec.get(name)
        if col is None:
            raise cls(f'Column "{name}"is missing in the input table.', setting="column_filter")
        if col.type not in _BINNABLE:
            raise cls(f'Column "{name}" is not numeric.', setting="column_filter")
    return list(dict.fromkeys(chosen))


def _target(name: str, settings: AutoBinnerSettings) -> str:
    return name if settings.replaceColumn else name + SUFFIX


def _output_spec(spec: TableSpec, columns: list[str], settings: AutoBinnerSettings) -> TableSpec:
    out = spec
    for name in columns:
        target = _target(name, settings)
        out = (
            out.replace(target, ColumnType.STRING)
            if target in out
            else out.append((target, ColumnType.STRING))
        )
    return out


def _values(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values as doubles, missing mask); a Boolean is 1 or 0, as its DoubleValue."""
    cells = series.to_numpy(dtype=object)
    missing = np.array([is_missing(v) for v in cells], dtype=bool)
    doubles = np.array(
        [0.0 if m else float(v) for v, m in zip(cells, missing, strict=True)], dtype=np.float64
    )
    return doubles, missing


def _edges(table: Table, name: str, settings: AutoBinnerSettings) -> list[float]:
    values, missing = _values(table.df[name])
    present = values[~missing]
    if settings.method == "sampleQuantiles":
        order = np.concatenate(
            [np.flatnonzero(missing), np.flatnonzero(~missing)[np.argsort(present, kind="stable")]]
        )
        ids = [str(table.df.index[i]) for i in order]
        cells: list[float | None] = [None if missing[i] else float(values[i]) for i in order]
        edges = _quantile_edges(cells, ids, settings.sampleQuantiles)
    elif len(present) == 0:
        raise NodeError(f'Column "{name}" has no values to bin', setting="column_filter")
    elif settings.equalityMethod == "width":
        edges = _width_edges(present, settings.binCount)
    else:
        return _frequency_edges(present, settings.binCount, settings.integerBounds)
    return _integer_bounds(edges) if settings.integerBounds else edges


def _apply(values: np.ndarray, missing: np.ndarray, bins: tuple[Bin, ...]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, (value, gone) in enumerate(zip(values, missing, strict=True)):
        out[i] = None if gone else next((b.name for b in bins if b.covers(float(value))), None)
    return out


def _model_spec(spec: TableSpec, columns: list[str], settings: AutoBinnerSettings) -> ModelSpec:
    return ModelSpec(
        KIND,
        learning_columns=spec.select(columns),
        details={"columns": {_target(name, settings): name for name in columns}},
    )


class AutoBinner(Node):
    """KNIME's Auto-Binner (autobinner3, and autobinner2)."""

    type_name = "auto_binner"
    display_name = "Auto-Binner"
    category = Category.MANIPULATOR
    description = (
        "Bins numeric columns automatically: a fixed number of equal-width or equal-frequency bins, or bins between "
        "sample quantiles; bins named Bin 1, Bin 2, ..., by their borders or midpoints. Appends `<name> [Binned]` "
        "(String) or replaces the column; the second output is the binning, for applying it elsewhere."
    )
    keywords = ("binning", "discretize", "bins", "quantiles", "equal width", "equal frequency", "bucket")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.autobinner3.AutoBinnerLearnNodeFactory",
            "Auto-Binner",
            _auto_binner_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.autobinner2.AutoBinnerLearnNodeFactory",
            "Auto-Binner (legacy)",
            _auto_binner_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input data", "The table with the numeric columns to bin."),)
    outputs = (
        Port(TABLE, "Binned data", "The input with the binned columns."),
        Port(DISCRETIZE, "Binning model", "The bins of each column (KNIME: PMML Discretize)."),
    )
    Settings = AutoBinnerSettings

    def configure(self, in_specs: list[Any], settings: AutoBinnerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        columns = _binned_columns(spec, settings, ConfigureError)
        return [_output_spec(spec, columns, settings), _model_spec(spec, columns, settings)]

    def execute(self, inputs: list[Any], settings: AutoBinnerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        columns = _binned_columns(table.spec, settings, NodeError)
        df = table.df.copy(deep=False)
        types: dict[str, str] = {}
        learned = []
        for name in columns:
            ctx.check_cancelled()
            bins = _bins(_edges(table, name, settings), settings)
            values, missing = _values(table.df[name])
            target = _target(name, settings)
            df[target] = _apply(values, missing, bins)
            types[target] = ColumnType.STRING
            learned.append((target, name, bins))
        model = Discretization(tuple(learned))
        out = table.with_frame(df, types)
        return [out, Model(KIND, model, model.summary(), spec=_model_spec(table.spec, columns, settings))]
