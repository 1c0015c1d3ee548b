"""KNIME's JavaScript Pie/Donut Chart (dynamic node `org.knime.dynamic.js.base:nodes/:donutChart`),
drawn with matplotlib.

Its `GroupedProcessor` aggregates like the Bar Chart's (`nodes._category_values`): one row per
category, counted or the frequency column summed or averaged. `donutchart.js` then sorts those
rows by category (strings case-insensitively, numbers by value, the missing category last), takes
each value's magnitude (`Math.abs`, not for the missing category), leaves out a category whose
frequency values are all missing, and appends the "Missing values" slice when both
`reportOnMissingValues` and `includeMissValCat` are on. `togglePie` on draws a donut whose hole
is `holeSize` of the radius (NVD3 1.8.1: outer radius 0.8 r, inner `holeSize` r).

Labels follow NVD3 1.8.1: a slice is labelled when its value is not 0 and its share of the circle
is at least `labelThreshold`; Key is the category, Value the number as `d3.format(",.2f")`,
Percent the share as `d3.format("%")` (whole percent, half up). Colours: d3's category10
(category20 above ten categories, the missing category counted) or, with `customColors`, the row
colours of the aggregated table (the Color Manager's model when it colours the category column,
else KNIME's default grey), by position. A negative "Missing values" sum is drawn by its magnitude
(d3's pie cannot draw it either).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import numpy as np
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
    NodeSettings,
    Port,
    Table,
    TableSpec,
    View,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._category_values import COUNT, MISSING_CATEGORY, category_values
from nodes._colors import DEFAULT_COLOR, active_color_column, color_models
from nodes._plotting import D3_CATEGORY10, D3_CATEGORY20, dynamic_js_view_options, figure, locked, picture


class PieChartSettings(NodeSettings):
    """KNIME's Pie/Donut Chart options (the ids of its node.xml)."""

    cat: str | None = Field(
        None,
        title="Category Column",
        description="The column whose values form the slices.",
        json_schema_extra=widget("column"),
    )
    aggr: Literal["Occurence\u00a0Count", "Sum", "Average"] = Field(
        "Occurence\u00a0Count",
        title="Aggregation Method",
        description="Occurence Count: rows per category; Sum or Average: of the frequency column per category "
        "(missing values skipped).",
    )
    freq: str | None = Field(
        None,
        title="Frequency Column",
        description="The numeric column summed or averaged (Sum, Average); negative results count by magnitude.",
        json_schema_extra=widget("column"),
    )
    reportOnMissingValues: bool = Field(
        True,
        title="Report on missing values",
        description="Warn about missing values; enables the missing slice.",
    )
    includeMissValCat: bool = Field(
        True,
        title="Include 'Missing values' category",
        description="Rows with a missing category form a 'Missing values' slice (needs reportOnMissingValues).",
    )
    title: str = Field("Pie Chart", description="Chart title.")
    subtitle: str = Field("", description="Chart subtitle.")
    togglePie: bool = Field(False, title="Plot donut chart", description="A donut instead of a pie.")
    holeSize: float = Field(
        0.35, ge=0, le=1, title="Donut Hole Ratio", description="The hole's radius as a share of the radius."
    )
    insideTitle: str = Field("", title="Title inside donut", description="Text in the donut's hole.")
    customColors: bool = Field(
        False,
        title="Use row colors",
        description="Colour the slices by the Color Manager's colours of the category column.",
    )
    legend: bool = Field(True, title="Display legend", description="Show the legend.")
    showLabels: bool = Field(True, title="Show labels", description="Label the slices.")
    labelType: Literal["Key", "Value", "Percent"] = Field(
        "Value", title="Label type", description="The category, the value or the share of each slice."
    )
    labelThreshold: float = Field(
        0.05,
        ge=0,
        le=1,
        title="Label Threshold",
        description="Smallest share of the circle that gets a label.",
    )
    width: int = Field(600, ge=1, description="Image width in pixels (KNIME's svg option).")
    height: int = Field(400, ge=1, description="Image height in pixels.")


_PIE_KEYS = (
    "cat",
    "aggr",
    "freq",
    "reportOnMissingValues",
    "includeMissValCat",
    "title",
    "subtitle",
    "togglePie",
    "holeSize",
    "insideTitle",
    "customColors",
    "legend",
    "showLabels",
    "labelType",
    "labelThreshold",
)
# what only changes KNIME's interactive view or its memory use, not the picture
_PIE_VIEW_ONLY = (
    "processInMemory",
    "displayFullscreenButton",
    "showWarnings",
    "enableViewControls",
    "enableTitleEdit",
    "enableSubtitleEdit",
    "enableDonutToggle",
    "enableHoleEdit",
    "enableInsideTitleEdit",
    "enableColumnChooser",
    "enableLabelEdit",
    "enableSwitchMissValCat",
    "enableSelection",
    "subscribeToSelection",
    "publishSelection",
    "displayClearSelectionButton",
    "hideInWizard",
    "maxRows",
    "generateImage",
    "generateImagemodel",  # a second image flag KNIME 4.1 saved
    "customCSS",
)


def _pie_from_knime(knime: KnimeSettings) -> None:
    for key in _PIE_KEYS:
        knime.take(key)
    dynamic_js_view_options(knime, _PIE_KEYS, _PIE_VIEW_ONLY)


# ------------------------------------------------------------------------------------ the slices


@dataclass
class PieSlices:
    """The slices as KNIME's view draws them, in drawing order (clockwise from 12 o'clock)."""

    labels: list[str]
    values: list[float]
    colors: list[str]
    texts: list[str]  # each slice's label ("" where NVD3 shows none)
    excluded: list[str] = field(default_factory=list)  # categories with only missing values
    missing: dict[str, int] = field(default_factory=dict)  # missing cells per column
    hidden_missing: bool = False  # the missing category has a value but is not drawn


def pie_slices(table: Table, settings: PieChartSettings) -> PieSlices:
    """KNIME's slices of `table`: GroupedProcessor's aggregation, then donutchart.js' order,
    magnitudes, left-out categories, missing slice, colours and labels."""
    cat = str(settings.cat)
    columns = [] if settings.aggr == COUNT else [str(settings.freq)]
    found = category_values(table, cat, settings.aggr, columns, with_missing_category=True)
    rows = list(zip(found.keys, found.categories, found.values[:, 0].tolist(), strict=True))
    rows.sort(key=lambda row: _js_order(row[0]))  # stable: GroupBy's order among equal keys
    labels: list[str] = []
    values: list[float] = []
    excluded: list[str] = []
    missing_value: float | None = None
    for key, label, value in rows:
        if key is None:
            missing_value = value
        elif math.isnan(value):
            excluded.append(label)
        else:
            labels.append(label)
            values.append(abs(value))
    if missing_value is not None and settings.reportOnMissingValues and settings.includeMissValCat:
        if math.isnan(missing_value):
            excluded.append(MISSING_CATEGORY)
        else:
            labels.append(MISSING_CATEGORY)
            values.append(missing_value)
    with_missing = missing_value is not None and not math.isnan(missing_value)
    colors = _slice_colors(table, settings, [row[0] for row in rows], len(values) + int(with_missing))
    texts = _label_texts(settings, labels, values)
    hidden = with_missing and MISSING_CATEGORY not in labels
    return PieSlices(labels, values, colors[: len(values)], texts, excluded, found.missing, hidden)


def _js_order(key: Any) -> tuple[int, Any]:
    """donutchart.js' sortByClusterName: strings compared lower-cased, numbers by value,
    the missing category last."""
    if key is None:
        return (2, 0)
    if isinstance(key, str):
        return (1, key.lower())
    if isinstance(key, bool | np.bool_):
        return (0, float(bool(key)))
    if isinstance(key, int | float | np.integer | np.floating):
        return (0, float(key))
    return (1, str(key).lower())


def _slice_colors(table: Table, settings: PieChartSettings, keys: list[Any], count: int) -> list[str]:
    """`setColorRange`: `count` colours, slice i taking colour i."""
    if not settings.customColors:
        palette = D3_CATEGORY20 if count > 10 else D3_CATEGORY10
        return [palette[i % len(palette)] for i in range(count)]
    cat = str(settings.cat)
    model = color_models(table.df).get(cat) if active_color_column(table.df) == cat else None
    row_colors = [model.color_of(k) if model is not None else DEFAULT_COLOR for k in keys]
    return [row_colors[i] if i < len(row_colors) else "#7C7C7C" for i in range(count)]


def _label_texts(settings: PieChartSettings, labels: list[str], values: list[float]) -> list[str]:
    """NVD3 1.8.1's pie labels, the shares taken from d3's pie layout (angles summed in order)."""
    total = 0.0
    for v in values:
        total += v
    k = 2 * math.pi / total if total else 0.0
    angle = 0.0
    texts = []
    for label, value in zip(labels, values, strict=True):
        start = angle
        angle += value * k
        share = (angle - start) / (2 * math.pi)
        if not settings.showLabels or not value or share < settings.labelThreshold:
            texts.append("")
        elif settings.labelType == "Key":
            texts.append(label)
        elif settings.labelType == "Value":
            texts.append(d3_fixed(value, 2, grouped=True))
        else:
            texts.append(d3_fixed(share * 100, 0) + "%")
    return texts


def d3_fixed(value: float, digits: int, grouped: bool = False) -> str:
    """JavaScript's `toFixed(digits)` (the exact binary value rounded half away from zero), with
    d3's thousands commas when `grouped`."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return format(rounded, ",f" if grouped else "f")


# ------------------------------------------------------------------------------------------ node


class PieChart(Node):
    type_name = "pie_chart"
    display_name = "Pie/Donut Chart"
    category = Category.VISUALIZER
    description = (
        "KNIME's JavaScript Pie/Donut Chart as a PNG: one slice per category (sorted), its rows counted or "
        "the frequency column summed or averaged; optional 'Missing values' slice, donut hole, labels "
        "(key, value or percent) above a size threshold."
    )
    keywords = ("pie chart", "donut chart", "pie", "donut", "chart", "category", "share", "view")
    knime = (KnimeMapping("org.knime.dynamic.js.base:donutChart", "Pie/Donut Chart", _pie_from_knime),)
    inputs = (Port(TABLE, "Display data", "The categories and values."),)
    outputs = (Port(VIEW, "Pie chart image", "The chart as a PNG picture."),)
    Settings = PieChartSettings

    @staticmethod
    def _check(spec: TableSpec, settings: PieChartSettings) -> None:
        if not settings.cat:
            raise ConfigureError("No column selected for category values.", setting="cat")
        if settings.cat not in spec:
            raise ConfigureError(
                f"Index for category column with name {settings.cat} not found.", setting="cat"
            )
        if settings.aggr == COUNT:
            return
        if not settings.freq:
            raise ConfigureError("No column selected for frequency values.", setting="freq")
        if settings.freq not in spec:
            raise ConfigureError(
                f"Index for frequency column with name {settings.freq} not found.", setting="freq"
            )
        if spec.type_of(settings.freq) not in ColumnType.NUMERIC:
            raise ConfigureError(f"frequency column {settings.freq!r} is not numeric", setting="freq")

    def configure(self, in_specs: list[Any], settings: PieChartSettings, ctx: NodeContext) -> list[Any]:
        if isinstance(in_specs[0], TableSpec):
            self._check(in_specs[0], settings)
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: PieChartSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self._check(table.spec, settings)
        slices = pie_slices(table, settings)
        _warn(ctx, settings, slices)

        def draw() -> bytes:
            return _draw_pie(settings, slices)

        return [View(render=locked(draw), title=settings.title)]


def _warn(ctx: NodeContext, settings: PieChartSettings, slices: PieSlices) -> None:
    """GroupedProcessor's warning and the view's (donutchart.js `processMissingValues`)."""
    report = settings.reportOnMissingValues
    if report and slices.missing:
        ctx.warn(
            "The following data columns have missing values, which were ignored during the aggregation:\n"
            + ",\n".join(f"    {k} - {v} missing value(s)" for k, v in slices.missing.items())
        )
    if not slices.labels and slices.hidden_missing and report:
        ctx.warn(
            "No chart was generated since the frequency column has only missing values.\nThere are values "
            "where the category name is missing.\nTo see them switch on the option \"Include 'Missing values' "
            'category" in the view settings.'
        )
    elif not slices.labels:
        ctx.warn(
            "No chart was generated since the frequency column has only missing values or empty.\n"
            "Re-run the workflow with different data."
        )
    elif slices.excluded and report:
        ctx.warn(
            "Categories '"
            + "', '".join(slices.excluded)
            + "' have only missing values in the frequency column and were excluded from the view."
        )


def _draw_pie(settings: PieChartSettings, slices: PieSlices) -> bytes:
    dpi = 100
    fig, ax = figure(settings.title, (settings.width / dpi, settings.height / dpi), dpi)
    if settings.subtitle:
        fig.suptitle(settings.subtitle, fontsize="small", y=0.02)
    ax.set_aspect("equal")
    ax.axis("off")
    if not any(slices.values):  # donutchart.js says so for an empty chart too
        text = "The plot is empty because all values are equal to 0."
        ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="red")
        return picture(fig)
    hole = settings.holeSize / 0.8 if settings.togglePie else 0.0  # NVD3: outer radius 0.8 r
    wedges, _ = ax.pie(
        [abs(v) for v in slices.values],
        colors=slices.colors,
        startangle=90,
        counterclock=False,
        wedgeprops={"width": 1 - min(hole, 1.0), "edgecolor": "white", "linewidth": 0.5},
    )
    middle = (1 + min(hole, 1.0)) / 2  # the arcs' centroid, where NVD3 puts the labels
    for wedge, text in zip(wedges, slices.texts, strict=True):
        if text:
            theta = math.radians((wedge.theta1 + wedge.theta2) / 2)
            ax.text(middle * math.cos(theta), middle * math.sin(theta), text, ha="center", va="center")
    if settings.togglePie and settings.insideTitle:
        ax.text(0, 0, settings.insideTitle, ha="center", va="center")
    if settings.legend:
        ax.legend(wedges, slices.labels, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return picture(fig)
