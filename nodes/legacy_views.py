"""KNIME's older view nodes drawn as pictures: Interactive Histogram (local), Scatter Plot (local),
Decision Tree View (JavaScript) and Heatmap (JavaScript).

Interactive Histogram (local) (org.knime.base.node.viz.histogram.node, HistogramNodeModel and
InteractiveHistogramVizModel) saves only the binning column, the aggregation columns with their
colours and how many rows to show; its view opens with KNIME's defaults, which are drawn here:
aggregation method COUNT (AggregationMethod.getDefaultMethod), stacked layout, empty bins hidden,
the missing-value bin shown when it holds rows, and `calculateIntegerMaxNoOfBins(10, column)` bins.
A numeric column is cut into intervals (IntervalBinCreator / BinningUtil: a rounded bin width, the
first bin starting at 0 where that fits, the first interval closed `[a - b]`, the others `(a - b]`);
any other column gets one bin per value, sorted by caption. With COUNT every aggregation column's
bar in a bin is the bin's row count. Not-a-number values go to an `Invalid_values` bar.

Scatter Plot (local) (org.knime.base.node.viz.plotter.scatter, DefaultVisualizationNodeModel and
TwoColumnProperties) saves no axes: its view opens on the first and the second column of the table
it keeps, which leaves out columns that are neither numeric nor nominal, nominal columns with more
than `max_nominal_values` values (or none) and numeric columns without values. Those two columns
are drawn, numeric ones over their range, nominal ones with one place per value.

Decision Tree View (JavaScript) (org.knime.js.base.node.viz.decisiontree.classification; KNIME
4.1 called it "Decision Tree View") draws the tree as its d3 view opens: the nodes above
`expandedLevel` unfolded (or as the saved `nodeStatus` says), each box with `majority (n/total)`
of the training counts and the folded class table, the split condition over each child. Port 2 is
the optional table with the Boolean selection column (false, missing past `maxRows`) when
selection is enabled, an inactive port otherwise.

Heatmap (JavaScript) (org.knime.js.base.node.viz.heatmap) colours the first page of rows (all rows
without paging) by the included numeric columns: a linear gradient through the three colours (or
the discrete colours, quantized) between the columns' common minimum and maximum (or the custom
ones), out-of-range and missing values in their own colours. Port 2 is the input table plus the
selection column (false in a batch run) when selection is enabled.

The interactive parts (hiliting, zooming, tooltips, menus) change nothing in the pictures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    INACTIVE,
    TABLE,
    UNKNOWN,
    VIEW,
    Category,
    ColumnType,
    ConfigureError,
    Model,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    View,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._colors import DEFAULT_COLOR, row_colors
from nodes._common import ColumnFilter
from nodes._decision_tree import DECISION_TREE, KIND, DecisionTreeModel, TreeNode
from nodes._decision_tree_pmml import _is_binary, _ordered
from nodes._java_text import java_double_to_string
from nodes._learning import model_spec_of
from nodes._mining import cell_text
from nodes._plotting import figure, ignore_view_options, image_figure, locked, picture
from nodes._shapes import draw_points, row_markers, row_size_factors
from nodes._views import selection_spec, with_selection

_NUMERIC = frozenset({ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE})
_NOMINAL = frozenset({ColumnType.STRING, ColumnType.BOOLEAN, ColumnType.SMILES})
LIGHT_GRAY = "#c0c0c0"  # java.awt.Color.lightGray, KNIME's colour of a default aggregation column


def _argb_hex(value: Any) -> str:
    """A java.awt.Color saved as its signed ARGB int, as `#rrggbb`."""
    return f"#{int(value) & 0xFFFFFF:06x}" if isinstance(value, int) else LIGHT_GRAY


def _note_view_keys(knime: KnimeSettings, keys: list[str]) -> None:
    """The keys present that only shape the interactive view: noted, their bindings dropped."""
    ignore_view_options(
        knime,
        [k for k in keys if k in knime.tree],
        "interactive view options without effect on the outputs",
        "an interactive view option",
    )


def _lost_unless(knime: KnimeSettings, key: str, harmless: tuple[Any, ...]) -> None:
    """A key whose only supported value changes nothing (no custom CSS, no number decoder)."""
    if key not in knime.tree:
        return
    value = knime.tree[key]
    if value not in harmless:
        knime.lost(f"setting {key} = {value!r} has no counterpart in knitflow")
    else:
        knime.ignore_binding(key, "it is unused")


# ------------------------------------------------------------------- Interactive Histogram (local)

INTERVAL_DIGITS = 2  # AbstractHistogramVizModel.INTERVAL_DIGITS
DEFAULT_NO_OF_BINS = 10  # AbstractHistogramVizModel.DEFAULT_NO_OF_BINS
MISSING_VAL_BAR_CAPTION = "Missing_values"
INVALID_VAL_BAR_CAPTION = "Invalid_values"


def _big_value_rounder(value: float, round_up: bool) -> float:
    """BinningUtil.bigValueRounder: the next 'nice' number at or above (below) the value."""
    size = abs(value)
    if size < 1:
        return small_value_rounder(value, INTERVAL_DIGITS, False, round_up)
    steps = ((20, 50, 20.0, 2.0), (50, 100, 50.0, 5.0), (100, 500, 100.0, 10.0), (500, 1000, 500.0, 50.0))
    divider, addition = 1.0, 1.0
    for low, high, start, step in (*steps, (1000, 100000, 1000.0, 100.0)):
        if low < size <= high:
            divider, addition = start, step
    if size > 100000:
        divider, addition = 100000.0, 1000.0
        while size / 10 > divider:
            divider *= 10
            addition *= 10
    while size / divider > 1:
        divider += addition
    if not round_up and value - divider != 0 and value > 0:
        divider -= addition
    return -divider if value < 0 else divider


def small_value_rounder(value: float, digits: int, is_integer: bool, round_up: bool) -> float:
    """BinningUtil.smallValueRounder: `digits` significant digits of Double.toString(value)."""
    if abs(value) >= 10:
        return _big_value_rounder(value, round_up)
    if is_integer:
        return float(math.ceil(abs(value)))
    counter = 0
    found = False
    for char in java_double_to_string(value):
        if counter > digits:
            break
        if char in "-.":
            continue
        if char != "0" or found:
            found = True
            counter += 1
    factor = int(10.0**counter)
    shifted = value * factor
    return (math.ceil(shifted) if round_up else math.floor(shifted)) / factor


def bin_interval(max_val: float, min_val: float, bins: int, is_integer: bool) -> float:
    """BinningUtil.createBinInterval."""
    if bins == 0:
        return max_val - min_val
    interval = (max_val - min_val) / bins
    if interval > 10:
        interval = _big_value_rounder(interval, True)
    else:
        interval = small_value_rounder(interval, INTERVAL_DIGITS, is_integer, True)
    if is_integer and interval == 1 and (max_val - min_val) >= bins:
        interval = 2.0
    return 1.0 if interval == 0 else interval


def bin_start(min_val: float, interval: float, is_integer: bool) -> float:
    """BinningUtil.createBinStart: 0 where the first bin can hold it, else a rounded minimum."""
    if (not is_integer or interval > 1) and min_val >= 0 and min_val - interval <= 0:
        return 0.0
    return _big_value_rounder(min_val, False)


def rounded_border(value: float, increment: float, digits: int, is_integer: bool) -> float:
    """BinningUtil.myRoundedBorders, rounding a bin border up at the increment's first digit plus
    `digits`. KNIME's version with `isInteger` was not available; integer borders are kept whole."""
    if is_integer:
        return float(math.ceil(value))
    first = 0
    current = 0
    while current == 0:
        first += 1
        current = int(increment * 10.0**first)
    factor = int(10.0 ** (max(digits, first) + 1))
    if value < 0:
        shifted = math.floor(value * factor)
    else:
        shifted = math.ceil((value * (factor * 10) + 9) / 10)
    return shifted / factor


def _java_int_text(value: float) -> str:
    return str(int(value)) if int(value) == value else java_double_to_string(value)


def bar_name(first: bool, left: float, right: float) -> str:
    """BinningUtil.createBarName."""
    if left == right:
        return str(int(right))
    return f"{'[' if first else '('}{_java_int_text(left)} - {_java_int_text(right)}]"


def interval_bins(lower: float, upper: float, bins: int, is_integer: bool) -> list[tuple[str, float, float]]:
    """IntervalBinCreator.createBins for a column whose domain is [lower, upper]."""
    count = DEFAULT_NO_OF_BINS if bins < 1 else bins
    if lower - upper == 0:
        count = 1
    interval = bin_interval(upper, lower, count, is_integer)
    start = bin_start(lower, interval, is_integer)
    if start != lower:
        interval = bin_interval(upper, start, count, is_integer)
    last = rounded_border(upper, interval, INTERVAL_DIGITS, is_integer)
    while start + interval * count < last:
        interval = interval + interval * 0.001
    single = is_integer and interval == 1
    left = start
    out = []
    for i in range(count):
        right = left if single else rounded_border(left + interval, interval, INTERVAL_DIGITS, is_integer)
        out.append((bar_name(i == 0, left, right), left, right))
        left = right + interval if single else right
    return out


@dataclass(frozen=True)
class HistogramBin:
    caption: str
    rows: int


def _interval_counts(values: np.ndarray, edges: list[tuple[str, float, float]]) -> list[HistogramBin]:
    """BinningUtil.addDataRow2IntervalBin: the first bin whose bounds hold the value."""
    placed = np.zeros(len(values), dtype=bool)
    counts = []
    for i, (caption, low, high) in enumerate(edges):
        if i == 0:
            hit = (values >= low) & (values <= high)
        else:
            hit = ((values > low) & (values <= high)) | ((low == high) & (values == high))
        hit &= ~placed
        placed |= hit
        counts.append(HistogramBin(caption, int(hit.sum())))
    if not placed.all():
        raise NodeError(f"No bin found for x value:{java_double_to_string(float(values[~placed][0]))}")
    return counts


def _numeric_bins(domain: pd.Series, shown: pd.Series, is_integer: bool) -> tuple[list[HistogramBin], int]:
    """Interval bins over the domain's finite range, and how many shown values are infinite."""
    known = pd.to_numeric(domain, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    known = known[np.isfinite(known)]
    if not len(known):
        raise NodeError("The lower bound of the binning column domain should be defined")
    bins = DEFAULT_NO_OF_BINS
    if is_integer:
        bins = min(bins, int(known.max() - known.min() + 1))  # BinningUtil.calculateIntegerMaxNoOfBins
    edges = interval_bins(float(known.min()), float(known.max()), bins, is_integer)
    numbers = pd.to_numeric(shown, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return _interval_counts(numbers[np.isfinite(numbers)], edges), int(np.isinf(numbers).sum())


def histogram_bins(domain: pd.Series, shown: pd.Series, column_type: str) -> list[HistogramBin]:
    """The bins of the shown rows (`domain`: the whole column, KNIME's column domain), empty bins
    left out, then the invalid-value (infinite) and missing-value bins when they hold rows."""
    invalid = 0
    if column_type in _NUMERIC or column_type == ColumnType.BOOLEAN:
        integer = column_type in (ColumnType.INTEGER, ColumnType.BOOLEAN)
        found, invalid = _numeric_bins(domain, shown, integer)
    else:
        texts = [cell_text(v) for v in shown.dropna().tolist()]
        found = [
            HistogramBin(c, texts.count(c)) for c in sorted({cell_text(v) for v in domain.dropna().tolist()})
        ]
    out = [b for b in found if b.rows > 0]
    if invalid:
        out.append(HistogramBin(INVALID_VAL_BAR_CAPTION, invalid))
    missing = int(shown.isna().sum())
    if missing:
        out.append(HistogramBin(MISSING_VAL_BAR_CAPTION, missing))
    return out


class InteractiveHistogramSettings(NodeSettings):
    """KNIME's AbstractHistogramNodeModel settings."""

    allRows: bool = Field(False, title="Display all rows", description="Show every row of the table.")
    noOfRows: int = Field(
        2500, ge=0, title="No. of rows to display", description="Without allRows: the first rows shown."
    )
    HistogramXColName: str | None = Field(
        None,
        title="Binning column",
        description="The column on the x axis (numeric: intervals; other: one bin per value).",
        json_schema_extra=widget("column"),
    )
    aggrColumn: list[str] = Field(
        default_factory=list,
        title="Aggregation column",
        description="Numeric columns, one bar each per bin (counted: the view's default method is COUNT).",
        json_schema_extra=widget("columns"),
    )
    aggrColumnColors: list[str] = Field(
        default_factory=list, description="The colour of each aggregation column's bars (#rrggbb)."
    )


def _interactive_histogram_from_knime(knime: KnimeSettings) -> None:
    """`aggrColumn` holds the names under colorColumnNames and each name's colour as an ARGB int;
    before the binning column was called HistogramXColName it was `xColumn`."""
    knime.take_all(["allRows", "noOfRows", "HistogramXColName"])
    if "HistogramXColName" not in knime.tree and "xColumn" in knime.tree:
        knime.take("HistogramXColName", "xColumn")
    aggr = knime.get("aggrColumn")
    if isinstance(aggr, dict):
        names = [str(n) for n in seq(aggr.get("colorColumnNames"))]
        knime.put("aggrColumn", names, "aggrColumn")
        knime.put("aggrColumnColors", [_argb_hex(aggr.get(n)) for n in names])
    knime.unread()


def _binnable(spec: TableSpec) -> list[str]:
    return [c.name for c in spec.columns if c.type in _NUMERIC or c.type in _NOMINAL]


def histogram_columns(spec: TableSpec, settings: InteractiveHistogramSettings) -> tuple[str, list[str]]:
    """HistogramNodeModel.configure: the saved columns, or (when they do not fit) the first binnable
    column and the first numeric one after it, as KNIME then chooses."""
    if not spec.columns:
        raise ConfigureError("Input table should have at least 1 column.")
    x = settings.HistogramXColName
    aggr = list(settings.aggrColumn)
    fits = x in spec and all(a in spec and spec.type_of(a) in _NUMERIC for a in aggr)
    if fits and x is not None:
        return x, aggr
    binnable = _binnable(spec)
    if not binnable:
        raise ConfigureError(
            "No column compatible with this node. Column needs to be nominal or numeric and must contain a "
            "valid domain. In order to compute the domain of a column use the DomainCalculator or ColumnFilter "
            "node.",
            setting="HistogramXColName",
        )
    x = binnable[0]
    rest = [c.name for c in spec.columns if c.type in _NUMERIC and c.name != x]
    return x, rest[:1]


class InteractiveHistogram(Node):
    """KNIME's Interactive Histogram (local) as its view first shows it."""

    type_name = "interactive_histogram"
    display_name = "Interactive Histogram (local)"
    category = Category.VISUALIZER
    description = (
        "KNIME's legacy interactive histogram as its view opens: the binning column cut into up to 10 "
        "intervals with KNIME's rounded borders (or one bin per nominal value), each bin's row count drawn "
        "once per aggregation column in that column's colour; empty bins hidden, missing values in their own bar."
    )
    keywords = ("histogram", "view", "bins", "bar", "legacy", "interactive", "local")
    knime = (
        KnimeMapping(
            "org.knime.base.node.viz.histogram.node.HistogramNodeFactory",
            "Interactive Histogram (local)",
            _interactive_histogram_from_knime,
            note="the view's aggregation method, bin count and layout are not saved: KNIME's defaults are drawn",
        ),
    )
    inputs = (Port(TABLE, "Data in port", "The data table to be displayed."),)
    outputs = (Port(VIEW, "Interactive Histogram View", "The histogram as a picture."),)
    Settings = InteractiveHistogramSettings

    def configure(
        self, in_specs: list[Any], settings: InteractiveHistogramSettings, ctx: NodeContext
    ) -> list[Any]:
        if not settings.allRows and settings.noOfRows <= 0:
            raise ConfigureError("No of rows must be greater zero", setting="noOfRows")
        if isinstance(in_specs[0], TableSpec):
            histogram_columns(in_specs[0], settings)
        return [UNKNOWN]

    def execute(
        self, inputs: list[Any], settings: InteractiveHistogramSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        x, aggr = histogram_columns(table.spec, settings)
        total = len(table)
        shown = total if settings.allRows else min(settings.noOfRows, total)
        if total < 1:
            ctx.warn("Empty data table found.")
        elif shown < total:
            ctx.warn(f"Only the first {shown} of {total} rows are displayed.")
        column = table.df[x]
        bins = histogram_bins(column, column.iloc[:shown], table.spec.type_of(x))
        saved = dict(zip(settings.aggrColumn, settings.aggrColumnColors, strict=False))
        colors = [saved.get(a, LIGHT_GRAY) for a in aggr]

        def draw() -> bytes:
            fig, ax = figure("")
            series = aggr or ["Count"]
            width = 0.8 / len(series)
            positions = np.arange(len(bins), dtype=float)
            for j, name in enumerate(series):
                ax.bar(
                    positions - 0.4 + width * (j + 0.5),
                    [b.rows for b in bins],
                    width=width,
                    color=colors[j] if aggr else LIGHT_GRAY,
                    edgecolor="black" if len(series) > 1 else "none",
                    label=name,
                )
            ax.set_xticks(
                positions, [b.caption for b in bins], rotation=45 if len(bins) > 6 else 0, ha="right"
            )
            ax.set_xlabel(x)
            ax.set_ylabel("Count")
            if len(aggr) > 1:
                ax.legend()
            return picture(fig)

        return [View(render=locked(draw), title="Interactive Histogram View")]


# ------------------------------------------------------------------------- Scatter Plot (local)


class ScatterPlotLocalSettings(NodeSettings):
    """KNIME's DefaultVisualizationNodeModel settings."""

    end: int = Field(2500, ge=1, title="No. of rows to display", description="The first rows are drawn.")
    max_nominal_values: int = Field(
        60,
        ge=1,
        title="Maximum number of nominal values allowed",
        description="Nominal columns with more values are left out of the view's columns.",
    )


def _scatter_local_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["end", "max_nominal_values"])
    knime.note(
        "KNIME's Scatter Plot (local) chooses its axes in the view (not saved); it opens on the first two "
        "columns it can show, which are drawn"
    )
    knime.unread("antialias")  # how the view paints lines, not what it shows


def visualized_columns(table: Table, max_nominal: int) -> list[str]:
    """DefaultVisualizationNodeModel.findCompatibleColumns: the columns kept for the view."""
    kept = []
    for col in table.spec.columns:
        values = table.df[col.name].dropna()
        if col.type in _NUMERIC:
            ok = bool(pd.to_numeric(values, errors="coerce").notna().any())
        elif col.type in _NOMINAL:
            distinct = len({cell_text(v) for v in values.tolist()})
            ok = 0 < distinct <= max_nominal
        else:
            ok = False
        if ok:
            kept.append(col.name)
    return kept


def _scatter_axis(series: pd.Series, numeric: bool) -> tuple[np.ndarray, list[str]]:
    """Positions on an axis: the numbers, or each nominal value's place in the column's domain."""
    if numeric:
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan), []
    texts = [None if pd.isna(v) else cell_text(v) for v in series.tolist()]
    order = list(dict.fromkeys(t for t in texts if t is not None))
    place = {t: float(i) for i, t in enumerate(order)}
    return np.array([np.nan if t is None else place[t] for t in texts]), order


class ScatterPlotLocal(Node):
    """KNIME's Scatter Plot (local) as its view first shows it."""

    type_name = "scatter_plot_local"
    display_name = "Scatter Plot (local)"
    category = Category.VISUALIZER
    description = (
        "KNIME's legacy scatter plot as its view opens: the first two columns it can show (numeric, or nominal "
        "with at most max_nominal_values values) against each other, the first `end` rows in their colours."
    )
    keywords = ("scatter", "plot", "view", "legacy", "local", "points")
    knime = (
        KnimeMapping(
            "org.knime.base.node.viz.plotter.scatter.ScatterPlotterNodeFactory",
            "Scatter Plot (local)",
            _scatter_local_from_knime,
            note="the axes are chosen in KNIME's view and not saved: the view's initial columns are drawn",
        ),
    )
    inputs = (Port(TABLE, "Data to display", "The data to plot."),)
    outputs = (Port(VIEW, "Scatter Plot", "The scatter plot as a picture."),)
    Settings = ScatterPlotLocalSettings

    def configure(
        self, in_specs: list[Any], settings: ScatterPlotLocalSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if isinstance(spec, TableSpec) and not _binnable(spec):
            raise ConfigureError(
                "No columns to visualize are available! Please refer to the NodeDescription to find out why!"
            )
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: ScatterPlotLocalSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        kept = visualized_columns(table, settings.max_nominal_values)
        if not kept:
            raise NodeError(
                "No columns to visualize are available! Please refer to the NodeDescription to find out why!"
            )
        if len(kept) < len(table.spec.columns):
            ctx.warn("Some columns are ignored: too many/missing nominal values or bounds missing.")
        if settings.end < len(table):
            ctx.warn(f"Only the first {settings.end} rows are displayed.")
        x, y = kept[0], kept[1 if len(kept) > 1 else 0]
        part = table.df.iloc[: settings.end]

        def draw() -> bytes:
            fig, ax = figure("")
            xs, x_names = _scatter_axis(part[x], table.spec.type_of(x) in _NUMERIC)
            ys, y_names = _scatter_axis(part[y], table.spec.type_of(y) in _NUMERIC)
            colors = np.array(row_colors(part) or [DEFAULT_COLOR] * len(part), dtype=object)
            keep = ~(np.isnan(xs) | np.isnan(ys))
            draw_points(ax, xs, ys, keep, colors, row_markers(part), row_size_factors(part), base_size=25)
            for names, axis in ((x_names, ax.xaxis), (y_names, ax.yaxis)):
                if names:
                    axis.set_ticks(np.arange(len(names), dtype=float), names)
            ax.set_xlabel(x)
            ax.set_ylabel(y)
            return picture(fig)

        return [View(render=locked(draw), title="Scatter Plot")]


# ---------------------------------------------------------------- Decision Tree View (JavaScript)


class NumberFormatted(Protocol):
    """KNIME's NumberFormatSettings (wNumb's options), kept under KNIME's own keys."""

    decimals: str
    mark: str
    thousand: str
    prefix: str
    postfix: str
    negative: str
    negativeBefore: str


def wnumb(value: float, fmt: NumberFormatted) -> str:
    """wNumb.to: rounded to `decimals` (half up), grouped by `thousand`, marked and signed."""
    negative = value < 0
    digits = int(fmt.decimals) if fmt.decimals.strip().isdigit() else None
    number = Decimal(repr(abs(value)))
    if digits is not None:
        number = number.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    whole, _, fraction = f"{number:f}".partition(".")
    if fmt.thousand:
        groups = [whole[max(i - 3, 0) : i] for i in range(len(whole), 0, -3)]
        whole = fmt.thousand.join(reversed(groups))
    text = whole + (fmt.mark + fraction if fraction else "")
    sign = fmt.negativeBefore if negative else ""
    return sign + fmt.prefix + (fmt.negative if negative else "") + text + fmt.postfix


def _count_text(value: float, fmt: NumberFormatted) -> str:
    """DecTreeDrawer.formatNumber: integers as JavaScript prints them, others by the number format."""
    return str(int(value)) if float(value).is_integer() else wnumb(value, fmt)


def _trimmed(text: str, limit: int) -> str:
    """DecTreeDrawer.trimText."""
    return text if len(text) < limit else text[: max(limit - 3, 0)] + "..."


def _condition_text(parent: TreeNode, branch: int, fmt: NumberFormatted) -> str:
    """DecTreeDrawer.conditionText of the PMML predicate KNIME's learner writes, shortened as
    briefCondText does (at most 10 characters)."""
    op, ref = parent.tests[branch]
    if op in ("<=", ">"):
        text = f"{'≤' if op == '<=' else '>'} {wnumb(float(ref), fmt)}"
    else:
        values = _ordered(ref, parent.split_values)
        text = f"in [{', '.join(values)}]" if _is_binary(parent, ref) else f"= {values[0]}"
    return text if len(text) <= 10 else text[:7] + "..."


class DecisionTreeViewSettings(NodeSettings):
    """KNIME's DecisionTreeViewConfig (the keys that change the outputs)."""

    generateImage: bool = Field(True, title="Create image at outport", description="Draw the image output.")
    chartTitle: str | None = Field(None, title="Title", description="Title above the tree.")
    chartSubtitle: str | None = Field(None, title="Subtitle", description="Subtitle below the title.")
    backgroundColor: str = Field("#FFFFFF", description="Background colour.")
    dataAreaColor: str = Field("#FFFFFF", description="Colour of the tree's area.")
    nodeBackgroundColor: str = Field("#FFFFFF", description="Colour of the node boxes.")
    nodeStatus: list[int] | None = Field(
        None, description="Saved from the view: per KNIME node index, 1 = unfolded (else expandedLevel)."
    )
    expandedLevel: int = Field(
        1, ge=0, title="Expanded levels", description="Levels unfolded (0: the root only)."
    )
    maxRows: int = Field(10000, ge=0, title="Maximum number of rows", description="Rows of the table used.")
    enableSelection: bool = Field(True, title="Enable selection", description="Append the selection column.")
    selectionColumnName: str = Field(
        "Selected (Decision Tree View)", title="Selection column name", description="Name of that column."
    )
    decimals: str = Field(
        "2", description="Decimal places of non-integer counts and thresholds ('': as they are)."
    )
    mark: str = Field(".", description="Decimal mark.")
    thousand: str = Field("", description="Thousands separator.")
    prefix: str = Field("", description="Text before a number.")
    postfix: str = Field("", description="Text after a number.")
    negative: str = Field("-", description="Sign of a negative number.")
    negativeBefore: str = Field("", description="Text before the prefix of a negative number.")
    truncationLimit: int = Field(25, ge=4, title="Truncation limit", description="Longest label in a box.")


_TREE_DRAWN = [
    "generateImage",
    "chartTitle",
    "chartSubtitle",
    "backgroundColor",
    "dataAreaColor",
    "nodeBackgroundColor",
    "expandedLevel",
    "maxRows",
    "enableSelection",
    "selectionColumnName",
    "truncationLimit",
]
_NUMBER_KEYS = ["decimals", "mark", "thousand", "prefix", "postfix", "negative", "negativeBefore"]
_TREE_VIEW_ONLY = [
    "enableViewConfiguration",
    "hideInWizard",
    "enableTitleChange",
    "enableSubtitleChange",
    "nodeStatusFromView",
    "publishSelection",
    "subscribeSelection",
    "displayFullscreenButton",
    "enableZooming",
    "displaySelectionResetButton",
    "showZoomResetButton",
]


def _decision_tree_view_from_knime(knime: KnimeSettings) -> None:
    """All keys of DecisionTreeViewConfig; the number format's JavaScript hooks (encoder, decoder,
    edit, undo, negativeClasses) and custom CSS are only carried over when empty."""
    knime.take_all(_TREE_DRAWN)
    knime.take("nodeStatus", transform=lambda v: [int(s) for s in seq(v)] or None)
    for key in _NUMBER_KEYS:
        knime.take(key, transform=lambda v: "" if v is None else str(v))
    for key in ("encoder", "decoder", "edit", "undo", "negativeClasses", "customCSS"):
        _lost_unless(knime, key, (None, ""))
    _lost_unless(knime, "scale", (1.0, 1))
    _note_view_keys(knime, _TREE_VIEW_ONLY)
    knime.unread(
        *_TREE_VIEW_ONLY, "encoder", "decoder", "edit", "undo", "negativeClasses", "customCSS", "scale"
    )


@dataclass
class TreeBox:
    """One drawn node: its text, the condition over it and where it sits (pixels, y down)."""

    node: TreeNode
    label: str
    condition: str
    split: str
    expanded: bool
    children: list[TreeBox] = field(default_factory=list)
    width: float = 0.0
    x: float = 0.0
    y: float = 0.0


FONT_SIZE = 10  # DecTreeDrawer's fontsize (pixels) before the svg exists
POINTS = FONT_SIZE * 0.72  # that size in points on a 100 dpi figure
MARGIN = 10
LEVEL_GAP = 60


def _text_width(text: str) -> float:
    return 0.62 * FONT_SIZE * len(text)


def _expanded(node: TreeNode, depth: int, settings: DecisionTreeViewSettings) -> bool:
    """DecTreeDrawer.isExpanded with the saved status, else JSDecisionTree.createNodeStatusFor."""
    status = settings.nodeStatus
    if status is not None and node.node_id >= 0:
        return node.node_id < len(status) and bool(status[node.node_id] & 1)
    return depth < settings.expandedLevel


def tree_boxes(model: DecisionTreeModel, settings: DecisionTreeViewSettings) -> TreeBox:
    """The shown part of the tree with each box's text (JSDecisionTreeTranslater and decisiontree.js)."""
    names = [cell_text(c) for c in model.classes]
    fmt = settings

    def build(node: TreeNode, depth: int, condition: str) -> TreeBox:
        counts = [float(c) for c in node.counts]
        best = int(np.argmax(counts)) if counts else 0
        label = (
            f"{names[best]} ({_count_text(max(counts, default=0.0), fmt)}/{_count_text(sum(counts), fmt)})"
        )
        split = model.attributes[node.attribute] if node.children else ""
        box = TreeBox(node, _trimmed(label, settings.truncationLimit), condition, split, False)
        box.expanded = bool(node.children) and _expanded(node, depth, settings)
        if box.expanded:
            box.children = [
                build(child, depth + 1, _condition_text(node, i, fmt))
                for i, child in enumerate(node.children)
            ]
        box.width = (
            max(_text_width(box.label), _text_width("Table:") + 20, _text_width("Selection: ")) + 2 * MARGIN
        )
        return box

    return build(model.root, 0, "")


def box_height(selection: bool) -> float:
    """DecTreeDrawer.calcNodeHeight: label and folded table panels, the selection bar, the button."""
    height = MARGIN + 2 * (FONT_SIZE + MARGIN) + MARGIN + (FONT_SIZE + MARGIN + 5)
    return height + (MARGIN + 2 * FONT_SIZE + 3 if selection else 0)


def place_boxes(root: TreeBox, height: float, top: float) -> tuple[float, float]:
    """Leaves side by side, parents centred over their children, one level per box height and gap
    (the root's top at `top`); returns the extent."""
    cursor = [float(MARGIN)]

    def visit(box: TreeBox, depth: int) -> None:
        box.y = top + depth * (height + LEVEL_GAP)
        for child in box.children:
            visit(child, depth + 1)
        if box.children:
            box.x = (box.children[0].x + box.children[-1].x) / 2
            cursor[0] = max(cursor[0], box.x + box.width / 2 + MARGIN)
        else:
            box.x = cursor[0] + box.width / 2
            cursor[0] += box.width + 2 * MARGIN

    visit(root, 0)
    boxes = list(_walk(root))
    right = max(b.x + b.width / 2 for b in boxes) + MARGIN
    bottom = max(b.y for b in boxes) + height + MARGIN
    return max(right, 400.0), max(bottom, 300.0)


def _walk(box: TreeBox) -> Any:
    yield box
    for child in box.children:
        yield from _walk(child)


def _draw_box(
    ax: Any, box: TreeBox, height: float, settings: DecisionTreeViewSettings, selection: bool
) -> None:
    from matplotlib.patches import Circle, Rectangle

    left, top = box.x - box.width / 2, box.y
    body = height - (FONT_SIZE + MARGIN + 5) - MARGIN
    ax.add_patch(
        Rectangle((left, top), box.width, body, facecolor=settings.nodeBackgroundColor, edgecolor="black")
    )
    text = {"fontsize": POINTS, "va": "top", "family": "sans-serif"}
    ax.text(box.x, top + MARGIN, box.label, ha="center", **text)
    ax.text(left + MARGIN, top + 2 * MARGIN + FONT_SIZE, "▸ Table:", ha="left", **text)
    if selection:
        bar_top = top + 3 * MARGIN + 2 * FONT_SIZE
        ax.text(left + MARGIN, bar_top, "Selection:", ha="left", **text)
        ax.add_patch(
            Rectangle(
                (left + MARGIN, bar_top + FONT_SIZE + 3),
                box.width - 2 * MARGIN,
                FONT_SIZE,
                facecolor="white",
                edgecolor="black",
                linewidth=0.5,
            )
        )
    if box.node.children:
        button_y = top + body + FONT_SIZE + MARGIN
        ax.add_patch(Circle((box.x, button_y), 5, facecolor="white", edgecolor="black"))
        ax.plot([box.x - 4, box.x + 4], [button_y, button_y], color="black", linewidth=1)
        if not box.expanded:
            ax.plot([box.x, box.x], [button_y - 4, button_y + 4], color="black", linewidth=1)
    if box.expanded:
        ax.text(box.x, top + body + 2, _trimmed(box.split, settings.truncationLimit), ha="center", **text)


def _diagonal(ax: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """d3.svg.diagonal: a cubic curve leaving and entering vertically."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    mid = (start[1] + end[1]) / 2
    path = Path(
        [start, (start[0], mid), (end[0], mid), end], [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4]
    )
    ax.add_patch(PathPatch(path, facecolor="none", edgecolor="#cccccc", linewidth=2, zorder=0))


def draw_decision_tree(root: TreeBox, settings: DecisionTreeViewSettings, selection: bool) -> bytes:
    height = box_height(selection)
    titles = 30 * bool(settings.chartTitle) + 16 * bool(settings.chartSubtitle)
    width, bottom = place_boxes(root, height, titles + 2 * MARGIN + FONT_SIZE)
    fig, ax = image_figure("", width, bottom)
    ax.set_position((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(bottom, 0)
    ax.axis("off")
    fig.patch.set_facecolor(settings.backgroundColor)
    if settings.chartTitle:
        ax.text(20, 30, settings.chartTitle, fontsize=24 * 0.72, va="baseline")
    if settings.chartSubtitle:
        ax.text(
            20, 30 * bool(settings.chartTitle) + 16, settings.chartSubtitle, fontsize=12 * 0.72, va="baseline"
        )
    for box in _walk(root):
        for child in box.children:
            _diagonal(ax, (box.x, box.y + height - MARGIN), (child.x, child.y))
            ax.text(
                child.x,
                child.y - 4,
                child.condition,
                ha="center",
                va="bottom",
                fontsize=POINTS,
                bbox={"facecolor": settings.dataAreaColor, "edgecolor": "none", "pad": 1},
            )
        _draw_box(ax, box, height, settings, selection)
    return picture(fig, tight=False)


def _check_tree_table(model: Any, spec: Any, cls: type[NodeError]) -> None:
    """DecisionTreeViewNodeModel.configure: the table must hold the tree's learning columns."""
    if model is None or not isinstance(spec, TableSpec):
        return
    for col in model.learning_columns.columns:
        other = spec.get(col.name)
        if other is None:
            raise cls(
                f'The provided table is not compatible with the decision tree. (Column "{col.name}" is not '
                "contained in table.)"
            )
        if other.type != col.type:
            raise cls(
                f'The provided table is not compatible with the decision tree.Column "{col.name}" does not '
                f'match column "{col.name}".)'
            )


class DecisionTreeView(Node):
    """KNIME's Decision Tree View (JavaScript)."""

    type_name = "decision_tree_view_js"
    display_name = "Decision Tree View (JavaScript)"
    category = Category.VISUALIZER
    description = (
        "Draws a decision tree as KNIME's JavaScript tree view opens: levels above expandedLevel unfolded, each "
        "box with the majority class and its training count, the split conditions over the children. Port 2: "
        "the optional table with the selection column (false in a batch run) when selection is enabled."
    )
    keywords = ("decision tree", "tree view", "view", "javascript", "image", "selection")
    knime = (
        KnimeMapping(
            "org.knime.js.base.node.viz.decisiontree.classification.DecisionTreeViewNodeFactory",
            "Decision Tree View (JavaScript)",
            _decision_tree_view_from_knime,
        ),
    )
    inputs = (
        Port(DECISION_TREE, "Decision Tree Model", "A tree from the Decision Tree Learner."),
        Port(
            TABLE, "Input data", "Rows that can be classified by the tree (for the selection).", optional=True
        ),
    )
    outputs = (
        Port(VIEW, "Image", "The tree as a picture (inactive when generateImage is off)."),
        Port(TABLE, "Input data and view selection", "The table plus the selection column (or inactive)."),
    )
    Settings = DecisionTreeViewSettings

    def configure(
        self, in_specs: list[Any], settings: DecisionTreeViewSettings, ctx: NodeContext
    ) -> list[Any]:
        data = in_specs[1] if len(in_specs) > 1 else None
        _check_tree_table(model_spec_of(in_specs[0], KIND), data, ConfigureError)
        image = UNKNOWN if settings.generateImage else INACTIVE
        if data is None or not settings.enableSelection:
            return [image, INACTIVE]
        if not isinstance(data, TableSpec):
            return [image, UNKNOWN]
        return [image, selection_spec(data, settings.selectionColumnName, "Selected (Decision Tree View)")[0]]

    def execute(self, inputs: list[Any], settings: DecisionTreeViewSettings, ctx: NodeContext) -> list[Any]:
        model = inputs[0]
        if not isinstance(model, Model) or not isinstance(model.payload, DecisionTreeModel):
            raise NodeError("Decision Tree evaluation failed: No tree model found.")
        data = inputs[1] if len(inputs) > 1 else None
        out: Any = INACTIVE
        if isinstance(data, Table):
            _check_tree_table(model.spec, data.spec, NodeError)
            if settings.maxRows < len(data):
                ctx.warn(f"Only the first {settings.maxRows} rows are displayed in the view.")
            if settings.enableSelection:
                out = with_selection(
                    data, settings.selectionColumnName, "Selected (Decision Tree View)", settings.maxRows
                )
        if not settings.generateImage:
            return [INACTIVE, out]
        tree: DecisionTreeModel = model.payload
        selection = isinstance(data, Table) and settings.enableSelection

        def draw() -> bytes:
            return draw_decision_tree(tree_boxes(tree, settings), settings, selection)

        return [View(render=locked(draw), title=settings.chartTitle or "Decision Tree View"), out]


# ---------------------------------------------------------------------------- Heatmap (JavaScript)

_GRADIENT = ["#5E3C99", "#F7F7F7", "#E66101"]


class HeatmapSettings(NodeSettings):
    """KNIME's HeatMapViewConfig (the keys that change the outputs)."""

    generateImage: bool = Field(True, title="Create image at outport", description="Draw the image output.")
    imageWidth: int = Field(800, ge=1, title="Width of image (in px)", description="Image width.")
    imageHeight: int = Field(600, ge=1, title="Height of image (in px)", description="Image height.")
    chartTitle: str | None = Field("Heatmap", title="Chart title", description="Title of the heatmap.")
    chartSubtitle: str | None = Field("", title="Chart subtitle", description="Subtitle.")
    minValue: float = Field(
        0.0, title="Custom minimum", description="Lower end of the colours (useCustomMin)."
    )
    maxValue: float = Field(
        1.0, title="Custom maximum", description="Upper end of the colours (useCustomMax)."
    )
    useCustomMin: bool = Field(False, description="Use minValue instead of the columns' smallest value.")
    useCustomMax: bool = Field(False, description="Use maxValue instead of the columns' largest value.")
    threeColorGradient: list[str] = Field(
        default_factory=lambda: list(_GRADIENT), description="Colours of minimum, middle and maximum."
    )
    discreteGradientColors: list[str] = Field(
        default_factory=lambda: list(_GRADIENT), description="The colours of the discrete scale, low to high."
    )
    continuousGradient: bool = Field(True, description="A continuous gradient (else the discrete colours).")
    numDiscreteColors: int = Field(3, ge=1, description="Number of discrete colours.")
    missingValueColor: str = Field("#000000", description="Colour of missing values.")
    upperOutOfRangeColor: str = Field("#000000", description="Colour of values above the maximum.")
    lowerOutOfRangeColor: str = Field("#000000", description="Colour of values below the minimum.")
    columns: ColumnFilter = Field(default_factory=ColumnFilter, description="The numeric columns shown.")
    labelColumn: str | None = Field(
        None,
        title="Label column",
        description="Row labels (default: RowIDs).",
        json_schema_extra=widget("column"),
    )
    enableSelection: bool = Field(True, description="Append the selection column to the table output.")
    selectionColumnName: str = Field("Selected (Heatmap)", description="Name of the selection column.")
    enablePaging: bool = Field(
        True, description="Show the rows page by page (the image holds the first page)."
    )
    initialPageSize: int = Field(100, ge=1, description="Rows on a page.")


_HEATMAP_DRAWN = [
    "generateImage",
    "imageWidth",
    "imageHeight",
    "chartTitle",
    "chartSubtitle",
    "minValue",
    "maxValue",
    "useCustomMin",
    "useCustomMax",
    "threeColorGradient",
    "discreteGradientColors",
    "continuousGradient",
    "numDiscreteColors",
    "missingValueColor",
    "upperOutOfRangeColor",
    "lowerOutOfRangeColor",
    "columns",
    "labelColumn",
    "enableSelection",
    "selectionColumnName",
    "enablePaging",
    "initialPageSize",
]
_HEATMAP_VIEW_ONLY = [
    "hideInWizard",
    "showWarningInView",
    "resizeToWindow",
    "displayFullscreenButton",
    "enableViewConfiguration",
    "enableTitleChange",
    "enableColorModeEdit",
    "enableShowToolTips",
    "showToolTips",
    "svgLabelColumn",
    "subscribeFilter",
    "publishSelection",
    "subscribeSelection",
    "enableShowSelectedRowsOnly",
    "showResetSelectionButton",
    "enablePageSizeChange",
    "allowedPageSizes",
    "enableShowAll",
    "enableZoom",
    "enablePanning",
    "showZoomResetButton",
]


def _heatmap_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(_HEATMAP_DRAWN)
    if knime.get("showSelectedRowsOnly"):
        knime.lost("showSelectedRowsOnly = true draws only selected rows, and a batch run selects none")
    else:
        knime.ignore_binding("showSelectedRowsOnly", "off")
    _lost_unless(knime, "customCSS", (None, ""))
    _note_view_keys(knime, _HEATMAP_VIEW_ONLY)
    knime.unread(*_HEATMAP_VIEW_ONLY, "showSelectedRowsOnly", "customCSS")


def _rgb(color: str) -> np.ndarray:
    text = color.lstrip("#")
    return np.array([int(text[i : i + 2], 16) for i in (0, 2, 4)], dtype=float)


def _hex(rgb: np.ndarray) -> str:
    return "#" + "".join(f"{math.floor(c + 0.5):02x}" for c in rgb)  # d3's rgb() rounds as Math.round


def heat_color(value: float | None, low: float, high: float, settings: HeatmapSettings) -> str:
    """Heatmap.getCellColor with its d3 scale: scaleLinear over colours at equal steps from `low`
    to `high` (RGB interpolation), or scaleQuantize over the discrete colours."""
    if value is None or math.isnan(value):
        return settings.missingValueColor
    if value > high:
        return settings.upperOutOfRangeColor
    if value < low:
        return settings.lowerOutOfRangeColor
    colors = settings.threeColorGradient if settings.continuousGradient else settings.discreteGradientColors
    share = 0.0 if high == low else (value - low) / (high - low)
    if not settings.continuousGradient:
        return colors[min(int(share * len(colors)), len(colors) - 1)].lower()
    position = share * (len(colors) - 1)
    i = min(int(position), len(colors) - 2)
    part = position - i
    return _hex(_rgb(colors[i]) * (1 - part) + _rgb(colors[i + 1]) * part)


def heat_range(table: Table, columns: list[str], settings: HeatmapSettings) -> tuple[float, float]:
    """HeatMapNodeModel.getMin / getMax: the columns' common bounds unless custom."""
    values = np.concatenate(
        [pd.to_numeric(table.df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in columns]
    )
    values = values[~np.isnan(values)]
    low = settings.minValue if settings.useCustomMin or not len(values) else float(values.min())
    high = settings.maxValue if settings.useCustomMax or not len(values) else float(values.max())
    return low, high


class HeatmapJS(Node):
    """KNIME's Heatmap (JavaScript)."""

    type_name = "heatmap_js"
    display_name = "Heatmap (JavaScript)"
    category = Category.VISUALIZER
    description = (
        "Colours the included numeric columns row by row (the first page of rows) on a three-colour gradient "
        "or discrete colours between the columns' minimum and maximum. Port 2: the input table with the "
        "selection column (false in a batch run) when selection is enabled."
    )
    keywords = ("heatmap", "heat map", "colour", "matrix", "view", "javascript")
    knime = (
        KnimeMapping(
            "org.knime.js.base.node.viz.heatmap.HeatMapNodeFactory",
            "Heatmap (JavaScript)",
            _heatmap_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "The data to colour."),)
    outputs = (
        Port(VIEW, "Image", "The heatmap as a picture (inactive when generateImage is off)."),
        Port(TABLE, "Input data and view selection", "The input plus the selection column when enabled."),
    )
    Settings = HeatmapSettings

    @staticmethod
    def _columns(spec: TableSpec, settings: HeatmapSettings, cls: type[NodeError]) -> list[str]:
        columns = settings.columns.apply(spec, allowed_types=_NUMERIC)
        if not columns:
            raise cls("Given data table contains no numeric columns", setting="columns")
        if settings.labelColumn and settings.labelColumn not in spec:
            raise cls(
                f"label column {settings.labelColumn!r} is not in the input table", setting="labelColumn"
            )
        return columns

    def configure(self, in_specs: list[Any], settings: HeatmapSettings, ctx: NodeContext) -> list[Any]:
        image = UNKNOWN if settings.generateImage else INACTIVE
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [image, UNKNOWN]
        self._columns(spec, settings, ConfigureError)
        if settings.enableSelection:
            spec = selection_spec(spec, settings.selectionColumnName, "Selected (Heatmap)")[0]
        return [image, spec]

    def execute(self, inputs: list[Any], settings: HeatmapSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        columns = self._columns(table.spec, settings, NodeError)
        out = table
        if settings.enableSelection:
            out = with_selection(table, settings.selectionColumnName, "Selected (Heatmap)")
        if not settings.generateImage:
            return [INACTIVE, out]
        low, high = heat_range(table, columns, settings)
        page = table.df.iloc[: settings.initialPageSize] if settings.enablePaging else table.df
        labels = [cell_text(v) for v in (page[settings.labelColumn] if settings.labelColumn else page.index)]
        cells = [
            [heat_color(None if pd.isna(v) else float(v), low, high, settings) for v in page[c].tolist()]
            for c in columns
        ]

        def draw() -> bytes:
            from matplotlib.colors import to_rgb

            fig, ax = image_figure("", settings.imageWidth, settings.imageHeight, settings.chartSubtitle)
            ax.set_title(settings.chartTitle or "", pad=24)
            rgb = np.array([[to_rgb(cells[j][i]) for j in range(len(columns))] for i in range(len(labels))])
            ax.imshow(rgb.reshape(len(labels), len(columns), 3), aspect="auto", interpolation="nearest")
            ax.xaxis.tick_top()
            ax.set_xticks(np.arange(len(columns)), columns, rotation=65, ha="left")
            ax.set_yticks(np.arange(len(labels)), labels)
            return picture(fig)

        return [View(render=locked(draw), title=settings.chartTitle or "Heatmap"), out]
