"""KNIME's Statistics node (ExtendedStatisticsNodeModel over Statistics3Table) and Value Counter;
Linear Correlation is nodes/correlation.py.

Statistics follows Statistics3Table: the moments are Apache commons-math's running statistics
(Mean, bias-corrected Variance, Skewness, Kurtosis, fed one value at a time), the overall sum is
mean * count, the median the mean of the two middle values, nominal values are counted in order
of first appearance (a missing cell counts as a value) and sorted by count. The occurrences table
is the one KNIME produces: per nominal column its values, `<col>_Count` and `Relative Frequency
(<col>)`, after which KNIME renames every odd column to `Count (<the column before>)` (a step meant
for two columns per value, so with several nominal columns the names shift, as in KNIME). The
histogram cells are drawn as small SVG (or PNG) pictures of the value distribution. knitflow has no
NaN distinct from a missing cell, so "No. NaNs" is always 0.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
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
    NodeSettings,
    Port,
    Table,
    TableSpec,
    row_ids,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import ColumnFilter
from nodes._compare import SortingCriterion, sorted_positions
from nodes._java_text import cell_to_string
from nodes._learning import text_values
from nodes._mining import NOMINAL, cell_text

NUMERIC_STATS = ColumnType.NUMERIC | {ColumnType.BOOLEAN}  # DoubleValue columns
SVG_IMAGE, PNG_IMAGE = "SVG image", "PNG image"
_STAT_COLUMNS: list[tuple[str, str]] = [
    ("Column", ColumnType.STRING),
    ("Min", ColumnType.DOUBLE),
    ("Max", ColumnType.DOUBLE),
    ("Mean", ColumnType.DOUBLE),
    ("Std. deviation", ColumnType.DOUBLE),
    ("Variance", ColumnType.DOUBLE),
    ("Skewness", ColumnType.DOUBLE),
    ("Kurtosis", ColumnType.DOUBLE),
    ("Overall sum", ColumnType.DOUBLE),
    ("No. missings", ColumnType.INTEGER),
    ("No. NaNs", ColumnType.INTEGER),
    ("No. +\u221es", ColumnType.INTEGER),
    ("No. -\u221es", ColumnType.INTEGER),
    ("Median", ColumnType.DOUBLE),
    ("Row count", ColumnType.INTEGER),
]


@dataclass
class Moments:
    """commons-math FirstMoment..FourthMoment, incremented value by value."""

    n: int = 0
    m1: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0

    def add(self, x: float) -> None:
        prev_m2, prev_m3 = self.m2, self.m3
        self.n += 1
        n0 = float(self.n)
        dev = x - self.m1
        n_dev = dev / n0
        self.m1 += n_dev
        self.m2 += (n0 - 1) * dev * n_dev
        n_dev_sq = n_dev * n_dev
        self.m3 = self.m3 - 3.0 * n_dev * prev_m2 + (n0 - 1) * (n0 - 2) * n_dev_sq * dev
        self.m4 = (
            self.m4
            - 4.0 * n_dev * prev_m3
            + 6.0 * n_dev_sq * prev_m2
            + ((n0 * n0) - 3 * (n0 - 1)) * (n_dev_sq * n_dev_sq * (n0 - 1) * n0)
        )

    def variance(self) -> float:
        return math.nan if self.n == 0 else (0.0 if self.n == 1 else self.m2 / (self.n - 1))

    def skewness(self) -> float:
        if self.n < 3:
            return math.nan
        variance = self.m2 / (self.n - 1)
        if variance < 10e-20:
            return 0.0
        n0 = float(self.n)
        return (n0 * self.m3) / ((n0 - 1) * (n0 - 2) * math.sqrt(variance) * variance)

    def kurtosis(self) -> float:
        if self.n <= 3:
            return math.nan
        variance = self.m2 / (self.n - 1)
        if variance < 10e-20:
            return 0.0
        n = float(self.n)
        return (n * (n + 1) * self.m4 - 3 * self.m2 * self.m2 * (n - 1)) / (
            (n - 1) * (n - 2) * (n - 3) * variance * variance
        )


# ------------------------------------------------------------------------------------ histograms


def _svg(counts: list[int], labels: list[str], width: int, height: int) -> str:
    """A bar chart as a small SVG document (KNIME's histogram cells are SVG by default)."""
    top = max(counts) if counts else 0
    bar = width / max(len(counts), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">']
    for i, (c, label) in enumerate(zip(counts, labels, strict=True)):
        h = 0 if top == 0 else (height - 12) * c / top
        parts.append(
            f'<rect x="{i * bar + 1:.2f}" y="{height - 12 - h:.2f}" width="{max(bar - 2, 1):.2f}" height="{h:.2f}" '
            f'fill="#4d79a8"><title>{_xml(label)}: {c}</title></rect>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _png(counts: list[int], width: int, height: int) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from nodes._common import MATPLOTLIB_LOCK

    with MATPLOTLIB_LOCK:
        fig = Figure(figsize=(width / 100, height / 100), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.bar(range(len(counts)), counts, color="#4d79a8")
        ax.set_axis_off()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _numeric_bins(values: np.ndarray) -> tuple[list[int], list[str]]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return [], []
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        return [len(finite)], [f"{lo:g}"]
    edges = np.linspace(lo, hi, 5)  # KNIME's histogram column uses four bins
    counts, _ = np.histogram(finite, bins=edges)
    return counts.tolist(), [f"{a:g}-{b:g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]


# ------------------------------------------------------------------------------------ Statistics


class StatisticsSettings(NodeSettings):
    """KNIME's ExtendedStatisticsNodeModel settings."""

    compute_median: bool = Field(
        False, title="Calculate median values", description="Fill the Median column."
    )
    num_nominal_values: int = Field(
        20,
        ge=0,
        title="Max no. of most frequent and infrequent values (in view)",
        description="Up to this many nominal values the histograms are labelled.",
    )
    num_nominal_values_output: int = Field(
        1000,
        ge=0,
        title="Max no. of possible values per column (in output table)",
        description="A nominal column with more distinct values is not counted (KNIME warns).",
    )
    filter_nominal_columns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Nominal values",
        description="Columns whose values are counted (default: the String and Boolean columns).",
    )
    image_format: Literal["SVG", "PNG"] = Field("SVG", description="Format of the histogram cells.")
    histogram_width: int = Field(200, ge=1, le=2000, description="Histogram width in pixels.")
    histogram_height: int = Field(100, ge=1, le=2000, description="Histogram height in pixels.")
    enable_HiLite: bool = Field(False, description="KNIME's hiliting support; no effect here.")
    show_min_max: bool = Field(
        True, description="Label the histograms' x axis in KNIME's view; no effect on the data."
    )


def _nominal_columns(spec: TableSpec, s: StatisticsSettings) -> list[str]:
    f = s.filter_nominal_columns
    default = not f.included_names and not f.excluded_names and f.type_filter is None
    return f.apply(spec, allowed_types=NOMINAL if default else None)


def _image_type(s: StatisticsSettings) -> str:
    return SVG_IMAGE if s.image_format == "SVG" else PNG_IMAGE


def _occurrence_columns(spec: TableSpec, nominal: list[str]) -> list[tuple[str, str]]:
    """Statistics3Table.createOutSpecNominal, then ExtendedStatistics' renamedOccurrencesSpec."""
    names = set(spec.names)
    cols: list[tuple[str, str]] = []
    for name in nominal:
        cols.append((name, spec.type_of(name)))
        cols.append((unique_column_name(names, f"{name}_Count"), ColumnType.INTEGER))
        cols.append((unique_column_name(names, f"Relative Frequency ({name})"), ColumnType.DOUBLE))
    original = [n for n, _ in cols]
    return [(f"Count ({original[i - 1]})" if i % 2 == 1 else n, t) for i, (n, t) in enumerate(cols)]


def _statistics_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        [
            "compute_median",
            "num_nominal-values",
            "num_nominal-values_output",
            "filter_nominal_columns",
            "image format",
            "histogram width",
            "histogram height",
            "enable HiLite",
            "show min max",
        ]
    )


class Statistics(Node):
    """KNIME's Statistics."""

    type_name = "statistics"
    display_name = "Statistics"
    category = Category.OTHER
    description = (
        "Port 1: per numeric column Min, Max, Mean, Std. deviation, Variance, Skewness, Kurtosis (commons-math's "
        "bias-corrected estimators), Overall sum, No. missings, No. NaNs, No. +\u221es, No. -\u221es, Median (if "
        "enabled), Row count and a Histogram picture. Port 2: per selected nominal column its No. missings and a "
        "histogram. Port 3: the occurrences of the nominal values (value, count, relative frequency), most frequent "
        "first, with KNIME's column names."
    )
    keywords = ("statistics", "summary", "describe", "mean", "median", "frequency table", "field summary")
    knime = (
        KnimeMapping(
            "org.knime.base.node.stats.viz.extended.ExtendedStatisticsNodeFactory",
            "Statistics",
            _statistics_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "Table from which to compute statistics."),)
    outputs = (
        Port(TABLE, "Statistics Table", "Statistics of the numeric columns."),
        Port(TABLE, "Nominal Histogram Table", "Missing values and histograms of the nominal columns."),
        Port(TABLE, "Occurrences Table", "The nominal values and their counts."),
    )
    Settings = StatisticsSettings

    def configure(self, in_specs: list[Any], settings: StatisticsSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        image = _image_type(settings)
        first = TableSpec.of([*_STAT_COLUMNS, ("Histogram", image)])
        second = TableSpec.of(
            [("Column", ColumnType.STRING), ("No. missings", ColumnType.INTEGER), ("Histogram", image)]
        )
        if not isinstance(spec, TableSpec):
            return [first, second, UNKNOWN]
        return [first, second, TableSpec.of(_occurrence_columns(spec, _nominal_columns(spec, settings)))]

    def execute(self, inputs: list[Any], settings: StatisticsSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        image = _image_type(settings)
        w, h = settings.histogram_width, settings.histogram_height

        def picture(counts: list[int], labels: list[str]) -> Any:
            return _svg(counts, labels, w, h) if image == SVG_IMAGE else _png(counts, w, h)

        first = _numeric_table(table, settings, ctx, picture, image)
        nominal = _nominal_columns(table.spec, settings)
        counted = _nominal_counts(table.df, nominal, settings, ctx)
        return [
            first,
            _histogram_table(table.df, nominal, counted, picture, image),
            _occurrences_table(table.spec, nominal, counted),
        ]


_Picture = Callable[[list[int], list[str]], Any]


def _numeric_row(
    col: str, values: np.ndarray, n_rows: int, settings: StatisticsSettings, picture: _Picture
) -> list[Any]:
    """One row of port 1: commons-math's moments of a numeric column's present values."""
    missing = int(np.isnan(values).sum())
    present = values[~np.isnan(values)]
    m = Moments()
    for v in present.tolist():
        m.add(v)
    variance = m.variance()
    if variance < 0.0 and variance > -1.0e8:  # KNIME's guard against round-off
        variance = 0.0
    median = float(np.median(present)) if settings.compute_median and len(present) else math.nan
    return [
        col,
        float(present.min()) if len(present) else math.nan,
        float(present.max()) if len(present) else math.nan,
        m.m1 if m.n else math.nan,
        math.sqrt(variance) if not math.isnan(variance) else math.nan,
        variance,
        m.skewness(),
        m.kurtosis(),
        m.m1 * m.n if m.n else 0.0,
        missing,
        0,
        int(np.isposinf(present).sum()),
        int(np.isneginf(present).sum()),
        median,
        n_rows,
        picture(*_numeric_bins(present)),
    ]


def _numeric_table(
    table: Table, settings: StatisticsSettings, ctx: NodeContext, picture: _Picture, image: str
) -> Table:
    """Port 1: one row of statistics per numeric column."""
    rows = []
    for col in [c.name for c in table.spec.columns if c.type in NUMERIC_STATS]:
        ctx.check_cancelled()
        values = table.df[col].astype("float64").to_numpy(dtype=float, na_value=np.nan)
        rows.append(_numeric_row(col, values, len(table.df), settings, picture))
    names = [n for n, _ in _STAT_COLUMNS] + ["Histogram"]
    stats = pd.DataFrame(rows, columns=names, index=pd.Index([r[0] for r in rows], dtype=object))
    for name, kind in _STAT_COLUMNS:
        if kind == ColumnType.INTEGER:
            stats[name] = stats[name].astype("int32")
        elif kind == ColumnType.DOUBLE:
            stats[name] = stats[name].astype("float64")
    return Table(stats, {**dict(_STAT_COLUMNS), "Histogram": image})


def _nominal_counts(
    df: pd.DataFrame, nominal: list[str], settings: StatisticsSettings, ctx: NodeContext
) -> dict[str, list[tuple[Any, int]]]:
    """Each nominal column's values with their counts, most frequent first (ties keep first
    appearance); none for a column with more distinct values than the limit (KNIME warns)."""
    counted: dict[str, list[tuple[Any, int]]] = {}
    too_many = []
    for col in nominal:
        counts: dict[Any, int] = {}
        for v in text_values(df[col]):
            counts[v] = counts.get(v, 0) + 1
            if len(counts) == settings.num_nominal_values_output + 1:
                too_many.append(col)
                counts = {}
                break
        counted[col] = sorted(counts.items(), key=lambda kv: -kv[1])  # stable: ties keep first appearance
    if too_many:
        ctx.warn(
            f"Maximum number of unique possible values ({settings.num_nominal_values_output}) exceeds for "
            "column(s): " + ",".join(f'"{c}"' for c in too_many)
        )
    return counted


def _histogram_table(
    df: pd.DataFrame,
    nominal: list[str],
    counted: dict[str, list[tuple[Any, int]]],
    picture: _Picture,
    image: str,
) -> Table:
    """Port 2: per nominal column its missing cells and a histogram of its values."""
    hist_rows = []
    for col in nominal:
        items = [(v, c) for v, c in counted[col] if v is not None]
        hist_rows.append(
            [col, int(df[col].isna().sum()), picture([c for _, c in items], [cell_text(v) for v, _ in items])]
        )
    second_df = pd.DataFrame(
        hist_rows, columns=["Column", "No. missings", "Histogram"], index=pd.Index(nominal, dtype=object)
    )
    second_df["No. missings"] = second_df["No. missings"].astype("int32")
    return Table(
        second_df, {"Column": ColumnType.STRING, "No. missings": ColumnType.INTEGER, "Histogram": image}
    )


def _occurrences_table(
    spec: TableSpec, nominal: list[str], counted: dict[str, list[tuple[Any, int]]]
) -> Table:
    """Port 3: value, count and relative frequency columns per nominal column, side by side."""
    if not nominal:
        return Table(pd.DataFrame(index=row_ids(0)), {})
    occ_cols = _occurrence_columns(spec, nominal)
    length = max((len(v) for v in counted.values()), default=0)
    data: dict[str, Any] = {}
    for k, col in enumerate(nominal):
        items = counted[col]
        total = sum(c for _, c in items)
        values = [items[i][0] if i < len(items) else None for i in range(length)]
        name_v, name_c, name_f = (occ_cols[3 * k][0], occ_cols[3 * k + 1][0], occ_cols[3 * k + 2][0])
        data[name_v] = _typed(values, spec.type_of(col))
        data[name_c] = pd.array(
            [items[i][1] if i < len(items) else None for i in range(length)], dtype="Int32"
        )
        data[name_f] = [items[i][1] / total if i < len(items) else np.nan for i in range(length)]
    return Table(pd.DataFrame(data, index=row_ids(length)), dict(occ_cols))


def _typed(values: list[Any], kind: str) -> Any:
    """A column of cells (None = missing) in the pandas dtype of its KNIME type."""
    if kind in (ColumnType.INTEGER, ColumnType.LONG):
        return pd.array(values, dtype="Int32" if kind == ColumnType.INTEGER else "Int64")
    if kind == ColumnType.DOUBLE:
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    if kind == ColumnType.BOOLEAN:
        return pd.array(values, dtype="boolean")
    return pd.array(values, dtype=object)


# ----------------------------------------------------------------------------------- Value Counter

VALUE_COUNTS_SPEC = TableSpec.of([("count", ColumnType.INTEGER)])


class ValueCounterSettings(NodeSettings):
    """KNIME's ValueCounterNodeModel settings."""

    columnName: str | None = Field(
        None,
        title="Column with values to count",
        json_schema_extra=widget("column"),
        description="Any column.",
    )


def _value_counter_from_knime(knime: KnimeSettings) -> None:
    knime.take("columnName")
    knime.unread(
        "hiliting"
    )  # maps counted rows for KNIME's hiliting; knitflow has none, the table is the same


class ValueCounter(Node):
    """How often each distinct value occurs: KNIME's quick frequency table for one column."""

    type_name = "value_counter"
    display_name = "Value Counter"
    category = Category.OTHER
    description = (
        "Counts the occurrences of each distinct value of one column: one row per value, its RowID the value's "
        "text (`?` for missing cells), with the Integer column `count`, sorted by the column type's order (strings "
        "by character codes, numbers by value, missing first) as KNIME's ValueCounterNodeModel does."
    )
    keywords = ("count", "frequency", "distinct", "histogram", "occurrences", "value counts")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.valcount.ValueCounterNodeFactory",
            "Value Counter",
            _value_counter_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Counts", "One row per distinct value, RowID = the value."),)
    Settings = ValueCounterSettings

    def configure(self, in_specs: list[Any], settings: ValueCounterSettings, ctx: NodeContext) -> list[Any]:
        if settings.columnName is None:
            raise ConfigureError("No column selected.", setting="columnName")
        spec = in_specs[0]
        if isinstance(spec, TableSpec) and settings.columnName not in spec:
            raise ConfigureError(
                f"Column '{settings.columnName}' not in the input table", setting="columnName"
            )
        return [VALUE_COUNTS_SPEC]

    def execute(self, inputs: list[Any], settings: ValueCounterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self.configure([table.spec], settings, ctx)
        name = str(settings.columnName)
        series = table.df[name]
        missing = series.isna()
        counts = series[~missing].value_counts(sort=False)
        distinct = Table.from_frame(pd.DataFrame({name: counts.index}), {name: table.types[name]})
        order = sorted_positions(
            distinct, [SortingCriterion(column=name, string_comparison="LEXICOGRAPHIC")], False
        )
        values = [counts.index[i] for i in order]
        ids = [cell_to_string(v, table.types[name]) for v in values]  # RowKey(cell.toString())
        numbers = [int(counts.iloc[i]) for i in order]
        if missing.any():  # a missing cell is smaller than any value
            ids, numbers = ["?", *ids], [int(missing.sum()), *numbers]
        frame = pd.DataFrame({"count": pd.Series(numbers, dtype="int64")})
        frame.index = pd.Index(ids, dtype=object)
        return [Table.from_frame(frame, {"count": ColumnType.INTEGER})]
