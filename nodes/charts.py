"""ROC Curve and the JavaScript Bar Chart, drawn with matplotlib.

ROC Curve (org.knime.js.base.node.viz.plotter.roc, and the older org.knime.base.node.viz.roc "ROC
Curve (local)") computes its curves with KNIME's `ROCCalculator`: the rows sorted by the score column,
descending (a stable sort, missing scores last); one step up for each row of the positive class, one
step right for each other row; a point is added only where the score changes (tied scores make one
diagonal segment); the coordinates are divided by the totals and the last point is (1, 1). The area
sums the trapezoids of the segments that move right. The AUC table holds one row per curve, the
RowID being the score column. The class is compared as text (`DataCell.toString()`); a row with a
missing class or score counts like any other (its class text being `?`) unless
`ignoreMissingValues` is on.

Bar Chart is KNIME's dynamic JavaScript bar chart (nodeDir `org.knime.dynamic.js.base:nodes/:barChart`,
its GroupedProcessor): the rows grouped by the category column, sorted by category, counted
(Occurence Count) or the frequency columns summed or averaged, missing values skipped. A missing
category forms the "Missing values" category when `reportOnMissingValues` and `includeMissValCat`
are on. KNIME renders SVG through NVD3; this is a PNG of the same bars.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VIEW,
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
    View,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._category_values import COUNT, category_values
from nodes._colors import row_colors
from nodes._common import ColumnFilter
from nodes._mining import cell_text
from nodes._plotting import dynamic_js_view_options, ignore_view_options, image_figure, locked, picture

AUC_SPEC = TableSpec.of([("Area Under Curve", ColumnType.DOUBLE)])
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _series_colors(color_table: Table | None, names: list[str]) -> list[str]:
    """The colour of each named series from the optional colour table (first column = the names,
    the row colours from its Color Manager); the default palette otherwise."""
    found: dict[str, str] = {}
    if isinstance(color_table, Table) and color_table.columns and len(color_table):
        colors = row_colors(color_table.df)
        if colors:
            first = color_table.df.iloc[:, 0].tolist()
            found = {cell_text(v): c for v, c in zip(first, colors, strict=True)}
    return [found.get(n, _PALETTE[i % len(_PALETTE)]) for i, n in enumerate(names)]


def _datacell_text(value: Any) -> str | None:
    """A DataCell as KNIME saves it ({datacell: class, class: {field: value}}) as `toString()`."""
    if isinstance(value, dict):
        inner = value.get(str(value.get("datacell")))
        if isinstance(inner, dict) and inner:
            return cell_text(next(iter(inner.values())))
        return None
    return None if value is None else cell_text(value)


# ------------------------------------------------------------------------------------------- ROC


def roc_curve(
    classes: list[str], scores: np.ndarray, skip: np.ndarray, positive: str
) -> tuple[np.ndarray, np.ndarray, float]:
    """KNIME's ROCCalculator for one score column: (false positive rates, true positive rates, area).
    `classes` are the class cells' texts, `scores` floats (NaN = missing), `skip` the rows left out."""
    order = np.argsort(np.where(np.isnan(scores), np.inf, -scores), kind="stable")
    n = len(order) - int(skip.sum())
    xs = np.zeros(n + 1)
    ys = np.zeros(n + 1)
    tp = fp = k = 0
    last: float | None = None
    first = True
    for i in order:
        if skip[i]:
            continue
        if classes[i] == positive:
            tp += 1
        else:
            fp += 1
        score = scores[i]
        same = (not first) and ((np.isnan(score) and last is not None and np.isnan(last)) or score == last)
        if not same:
            k += 1
            last = float(score)
        first = False
        xs[k] = fp
        ys[k] = tp
    xs, ys = xs[: k + 1].copy(), ys[: k + 1].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        xs /= fp
        ys /= tp
    xs[-1] = 1.0
    ys[-1] = 1.0
    area = 0.0
    for j in range(1, len(xs)):
        if xs[j - 1] < xs[j]:
            area += 0.5 * (xs[j] - xs[j - 1]) * (ys[j] + ys[j - 1])
    return xs, ys, area


class ROCCurveSettings(NodeSettings):
    """KNIME's ROC Curve settings (ROCCurveViewConfig / ROCSettings)."""

    classColumn: str | None = Field(
        None, title="Class column", description="The column with the true classes."
    )
    positiveClass: str | None = Field(
        None,
        title="Positive class value",
        description="The class the scores are probabilities of, compared with the class cells as text.",
    )
    curves: list[str] = Field(
        default_factory=list,
        title="Columns containing the positive class probabilities",
        description="One curve per numeric score column.",
    )
    maxPoints: int = Field(
        2000,
        title="Limit data points for each curve to",
        description="Points drawn per curve (-1: all); the area always uses every point.",
    )
    ignoreMissingValues: bool = Field(
        False,
        title="Ignore missing values",
        description="Leave out rows with a missing class or score (else they count, their class being `?`).",
    )
    title: str = Field("ROC Curve", description="Chart title.")
    subtitle: str = Field("", description="Chart subtitle.")
    xAxisTitle: str = Field("False Positive Rate", title="x-axis title", description="Label of the x axis.")
    yAxisTitle: str = Field("True Positive Rate", title="y-axis title", description="Label of the y axis.")
    showArea: bool = Field(
        True, title="Show area under curve", description="Write each curve's AUC in the legend."
    )
    showGrid: bool = Field(True, description="Draw the grid.")
    showLegend: bool = Field(True, description="Show the legend.")
    lineWidth: int = Field(2, ge=1, description="Width of the curves in pixels.")
    imageWidth: int = Field(800, ge=1, description="Image width in pixels.")
    imageHeight: int = Field(600, ge=1, description="Image height in pixels.")


_ROC_KEYS = (
    "classColumn",
    "curves",
    "maxPoints",
    "ignoreMissingValues",
    "title",
    "subtitle",
    "xAxisTitle",
    "yAxisTitle",
    "showArea",
    "showGrid",
    "showLegend",
    "lineWidth",
    "imageWidth",
    "imageHeight",
)


def _roc_from_knime(knime: KnimeSettings) -> None:
    for key in _ROC_KEYS:
        if key == "curves":
            knime.take(key, transform=lambda v: [str(x) for x in seq(v)])
        else:
            knime.take(key)
    knime.put("positiveClass", _datacell_text(knime.get("positiveClass")), "positiveClass")
    if knime.get("generateImage") is False:
        knime.note(
            "generateImage is off in KNIME (its image port is inactive); knitflow draws the image anyway"
        )
    ignored = sorted(
        k
        for k in knime.tree
        if k not in _ROC_KEYS and k not in ("positiveClass", "generateImage") and not k.endswith("_Internals")
    )
    ignore_view_options(knime, ignored)


class ROCCurve(Node):
    type_name = "roc_curve"
    display_name = "ROC Curve"
    category = Category.VISUALIZER
    description = (
        "ROC curves of score columns against a two-class column, computed as KNIME's ROCCalculator does (rows "
        "sorted by score, one point per distinct score, trapezoid area). Port 1: the curves as a PNG; port 2: "
        "the area under each curve (RowID = score column)."
    )
    keywords = ("roc", "auc", "area under curve", "classification", "evaluation", "curve")
    knime = (
        KnimeMapping(
            "org.knime.js.base.node.viz.plotter.roc.ROCCurveNodeFactory", "ROC Curve", _roc_from_knime
        ),
        KnimeMapping(
            "org.knime.base.node.viz.roc.ROCNodeFactory",
            "ROC Curve (local)",
            _roc_from_knime,
            ports=lambda _cfg: ({}, {1: 2}),  # its only output is the AUC table
        ),
    )
    inputs = (
        Port(TABLE, "Table", "True classes and the positive-class scores."),
        Port(
            TABLE,
            "Curve colours",
            "First column: score column names, coloured by a Color Manager.",
            optional=True,
        ),
    )
    outputs = (
        Port(VIEW, "ROC curves", "The curves as a PNG picture."),
        Port(TABLE, "Areas under curve", "One row per curve: `Area Under Curve`."),
    )
    Settings = ROCCurveSettings

    @staticmethod
    def _check(spec: TableSpec, settings: ROCCurveSettings) -> None:
        if not settings.curves:
            raise ConfigureError("No curves defined", setting="curves")
        if not settings.classColumn:
            raise ConfigureError("no class column selected", setting="classColumn")
        if settings.classColumn not in spec:
            raise ConfigureError(
                f"class column {settings.classColumn!r} not in the input table", setting="classColumn"
            )
        if settings.positiveClass is None:
            raise ConfigureError("no positive class value given", setting="positiveClass")
        for name in settings.curves:
            if name not in spec:
                raise ConfigureError(f"score column {name!r} not in the input table", setting="curves")
            if spec.type_of(name) not in ColumnType.NUMERIC:
                raise ConfigureError(
                    f"score column {name!r} is {spec.type_of(name)}, not numeric", setting="curves"
                )

    def configure(self, in_specs: list[Any], settings: ROCCurveSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if isinstance(spec, TableSpec):
            self._check(spec, settings)
        elif not settings.curves:
            raise ConfigureError("No curves defined", setting="curves")
        return [UNKNOWN, AUC_SPEC]

    def execute(self, inputs: list[Any], settings: ROCCurveSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self._check(table.spec, settings)
        if len(table) == 0:
            ctx.warn("Input table contains no rows")
        class_col = table.df[str(settings.classColumn)]
        class_missing = class_col.isna().to_numpy()
        classes = ["?" if m else cell_text(v) for v, m in zip(class_col.tolist(), class_missing, strict=True)]
        curves: list[tuple[str, np.ndarray, np.ndarray, float]] = []
        warned = False
        for name in settings.curves:
            scores = pd.to_numeric(table.df[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            missing = class_missing | np.isnan(scores)
            if missing.any() and not settings.ignoreMissingValues and not warned:
                ctx.warn("Table contains missing values.")
                warned = True
            skip = missing if settings.ignoreMissingValues else np.zeros(len(scores), dtype=bool)
            xs, ys, area = roc_curve(classes, scores, skip, str(settings.positiveClass))
            curves.append((name, xs, ys, area))
        auc = pd.DataFrame(
            {"Area Under Curve": [c[3] for c in curves]}, index=pd.Index([c[0] for c in curves], dtype=object)
        )
        colors = _series_colors(inputs[1] if len(inputs) > 1 else None, list(settings.curves))

        def draw() -> bytes:
            fig, ax = image_figure(
                settings.title, settings.imageWidth, settings.imageHeight, settings.subtitle
            )
            ax.plot([0, 1], [0, 1], color="#cccccc", linewidth=1)
            for (name, xs, ys, area), color in zip(curves, colors, strict=True):
                px, py = _thin(xs, ys, settings.maxPoints)
                label = f"{name} ({area:.3f})" if settings.showArea else name
                ax.plot(px, py, color=color, linewidth=settings.lineWidth, label=label)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_xlabel(settings.xAxisTitle)
            ax.set_ylabel(settings.yAxisTitle)
            if settings.showGrid:
                ax.grid(True, color="#e6e6e6")
            if settings.showLegend and curves:
                ax.legend(loc="lower right")
            return picture(fig)

        return [
            View(render=locked(draw), title=settings.title),
            Table(auc, {"Area Under Curve": ColumnType.DOUBLE}),
        ]


def _thin(xs: np.ndarray, ys: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most `max_points` points of a curve for drawing, first and last kept (-1: all)."""
    if max_points < 2 or len(xs) <= max_points:
        return xs, ys
    keep = np.unique(np.linspace(0, len(xs) - 1, max_points).round().astype(int))
    return xs[keep], ys[keep]


# ------------------------------------------------------------------------------------- Bar Chart


class BarChartSettings(NodeSettings):
    """KNIME's JavaScript Bar Chart options (its node.xml ids)."""

    cat: str | None = Field(
        None, title="Category Column", description="The column whose values form the categories."
    )
    aggr: Literal["Occurence\u00a0Count", "Sum", "Average"] = Field(
        "Occurence\u00a0Count",
        title="Aggregation Method",
        description="Occurence Count: rows per category; Sum or Average: of each frequency column per category "
        "(missing values skipped).",
    )
    freq: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Frequency columns",
        description="Numeric columns aggregated for Sum and Average, one bar series each.",
    )
    reportOnMissingValues: bool = Field(
        True,
        title="Report on missing values",
        description="Warn about missing values; enables the missing category.",
    )
    includeMissValCat: bool = Field(
        True,
        title="Include 'Missing values' category",
        description="Rows with a missing category form a 'Missing values' category (needs reportOnMissingValues).",
    )
    title: str = Field("Bar Chart", description="Chart title.")
    subtitle: str = Field("", description="Chart subtitle.")
    catLabel: str = Field("", title="Category-axis label", description="Label of the category axis.")
    freqLabel: str = Field("", title="Frequency-axis label", description="Label of the frequency axis.")
    chartType: Literal["Grouped", "Stacked"] = Field(
        "Grouped",
        title="Chart type",
        description="Series side by side (Grouped) or on top of each other (Stacked).",
    )
    staggerLabels: bool = Field(
        False, title="Stagger labels", description="Alternate the category labels' height."
    )
    legend: bool = Field(True, title="Display legend", description="Show the legend.")
    orientation: bool = Field(False, title="Plot horizontal bar chart", description="Horizontal bars.")
    showMaximum: bool = Field(True, title="Display maximum value", description="Mark the largest bar value.")
    width: int = Field(800, ge=1, description="Image width in pixels (KNIME's svg option).")
    height: int = Field(600, ge=1, description="Image height in pixels.")


_BAR_KEYS = (
    "cat",
    "aggr",
    "freq",
    "reportOnMissingValues",
    "includeMissValCat",
    "title",
    "subtitle",
    "catLabel",
    "freqLabel",
    "chartType",
    "staggerLabels",
    "legend",
    "orientation",
    "showMaximum",
)


def _bar_chart_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(_BAR_KEYS)
    dynamic_js_view_options(knime, _BAR_KEYS)


def bar_values(
    table: Table, settings: BarChartSettings
) -> tuple[list[str], list[str], np.ndarray, dict[str, int]]:
    """(categories, series names, values [category x series], missing counts per column)."""
    columns = (
        [] if settings.aggr == COUNT else settings.freq.apply(table.spec, allowed_types=ColumnType.NUMERIC)
    )
    with_missing = settings.reportOnMissingValues and settings.includeMissValCat
    found = category_values(table, str(settings.cat), settings.aggr, columns, with_missing)
    return found.categories, found.series, found.values, found.missing


class BarChart(Node):
    type_name = "bar_chart"
    display_name = "Bar Chart"
    category = Category.VISUALIZER
    description = (
        "KNIME's JavaScript Bar Chart as a PNG: one bar per category (sorted) counting its rows, or one bar "
        "series per frequency column with its sum or average per category; grouped or stacked, vertical or "
        "horizontal."
    )
    keywords = ("bar chart", "bar", "plot", "chart", "category", "count", "view")
    knime = (KnimeMapping("org.knime.dynamic.js.base:barChart", "Bar Chart", _bar_chart_from_knime),)
    inputs = (
        Port(TABLE, "Display data", "The categories and values."),
        Port(
            TABLE, "Bar color data", "First column: series names, coloured by a Color Manager.", optional=True
        ),
    )
    outputs = (Port(VIEW, "Bar chart image", "The chart as a PNG picture."),)
    Settings = BarChartSettings

    @staticmethod
    def _check(spec: TableSpec, settings: BarChartSettings) -> None:
        if not settings.cat:
            raise ConfigureError("No column selected for category values.", setting="cat")
        if settings.cat not in spec:
            raise ConfigureError(f"category column {settings.cat!r} not in the input table", setting="cat")
        if settings.aggr != COUNT and not settings.freq.apply(spec, allowed_types=ColumnType.NUMERIC):
            raise ConfigureError(
                "Frequency column filter include list empty. Select at least one frequency column.",
                setting="freq",
            )

    def configure(self, in_specs: list[Any], settings: BarChartSettings, ctx: NodeContext) -> list[Any]:
        if isinstance(in_specs[0], TableSpec):
            self._check(in_specs[0], settings)
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: BarChartSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self._check(table.spec, settings)
        categories, series, values, missing = bar_values(table, settings)
        if missing and settings.reportOnMissingValues:
            ctx.warn(
                "The following data columns have missing values, which were ignored during the aggregation: "
                + ", ".join(f"{k} - {v} missing value(s)" for k, v in missing.items())
            )
        if not categories:
            raise NodeError("the table has no category to draw")
        colors = _series_colors(inputs[1] if len(inputs) > 1 else None, series)

        def draw() -> bytes:
            return _draw_bar_chart(settings, categories, series, values, colors)

        return [View(render=locked(draw), title=settings.title)]


def _draw_bar_chart(
    settings: BarChartSettings,
    categories: list[str],
    series: list[str],
    values: np.ndarray,
    colors: list[Any],
) -> bytes:
    fig, ax = image_figure(settings.title, settings.width, settings.height, settings.subtitle)
    stacked = settings.chartType == "Stacked"
    top = _draw_bars(ax, settings, len(categories), series, values, colors)
    cat_axis, freq_axis = (ax.yaxis, ax.xaxis) if settings.orientation else (ax.xaxis, ax.yaxis)
    cat_axis.set_ticks(np.arange(len(categories), dtype=float))
    labels = list(categories)
    if settings.staggerLabels and not settings.orientation:
        labels = [("\n" + c) if i % 2 else c for i, c in enumerate(labels)]
    cat_axis.set_ticklabels(labels)
    cat_axis.set_label_text(settings.catLabel or str(settings.cat))
    freq_axis.set_label_text(
        settings.freqLabel or ("Occurrence Count" if settings.aggr == COUNT else settings.aggr)
    )
    if settings.showMaximum and values.size and np.isfinite(values).any():
        highest = float(np.nanmax(top if stacked else values))
        (ax.axvline if settings.orientation else ax.axhline)(
            highest, color="#999999", linewidth=0.8, linestyle="--"
        )
    if settings.legend:
        ax.legend()
    return picture(fig)


def _draw_bars(
    ax: Any,
    settings: BarChartSettings,
    n_categories: int,
    series: list[str],
    values: np.ndarray,
    colors: list[Any],
) -> np.ndarray:
    """One bar series per column, side by side (grouped) or on top of each other (stacked);
    returns the stacks' tops (zeros when grouped)."""
    positions = np.arange(n_categories, dtype=float)
    stacked = settings.chartType == "Stacked"
    width = 0.8 if stacked else 0.8 / max(len(series), 1)
    base = np.zeros(n_categories)
    for j, (name, color) in enumerate(zip(series, colors, strict=True)):
        heights = np.nan_to_num(values[:, j])
        offset = positions if stacked else positions - 0.4 + width * (j + 0.5)
        below = base if stacked else None
        if settings.orientation:
            ax.barh(offset, heights, height=width, left=below, color=color, label=name)
        else:
            ax.bar(offset, heights, width=width, bottom=below, color=color, label=name)
        if stacked:
            base = base + heights
    return base
