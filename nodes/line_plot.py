"""Line Plot: a PNG rendered with matplotlib when the view is looked at; and KNIME's Line Plot
(JavaScript) (org.knime.js.base.node.viz.plotter.line), an image of the lines as its chart draws them
plus its table output (the input, with the view's selection column when selection is enabled)."""

from __future__ import annotations

import re
from typing import Any, Literal

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
from engine.api.knime import KnimeMapping, KnimeSettings, take_view_keys
from nodes._colors import COLUMN_NAMES, DEFAULT_COLOR, color_models, row_colors
from nodes._common import ColumnFilter
from nodes._plotting import D3_CATEGORY10, figure, image_figure, locked, picture
from nodes._views import (
    _INTERACTION,
    _NONE_CHOICES,
    ROW_ID,
    AxisLimits,
    _apply_limits,
    _apply_scale,
    _check_plottable,
    _label,
    _missing_columns,
    _note,
    _numeric,
    _values,
    selection_spec,
    with_selection,
)

# ------------------------------------------------------------------------------------------ Line Plot


class LinePlotSettings(NodeSettings):
    """KNIME's Line Plot settings (org.knime.base.views.node.lineplot)."""

    x_axis_column_v3: str | None = Field(
        ROW_ID, description="Column on the x axis, or '<ROW_ID>' (default) for the RowIDs in row order."
    )
    y_axis_column_v2: list[str] | ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="The numeric columns drawn as lines: a list of names or a column filter (default: all numeric).",
    )
    title: str = Field("Line Plot", description="Title of the plot.")
    y_axis_scale: Literal["VALUE", "LOG"] = Field(
        "VALUE", description="Linear (VALUE) or logarithmic (LOG) y axis."
    )
    axis_extent_method: Literal["AUTO", "MANUAL"] = Field(
        "AUTO",
        description="AUTO fits the axes to the data; MANUAL uses manual_axis_limits (y range only for RowIDs).",
    )
    manual_axis_limits: AxisLimits = Field(default_factory=AxisLimits, description="Axis ranges for MANUAL.")
    custom_x_axis_label_v2: str | None = Field(
        None, description="x-axis label (default: the column name or RowID)."
    )
    custom_y_axis_label_v2: str | None = Field(None, description="y-axis label (default: the column names).")
    line_size: int = Field(2, ge=1, description="Line width in pixels.")
    show_data_point_markers: bool = Field(False, description="Mark the data points.")
    data_point_marker_size: int = Field(5, ge=1, description="Marker size in pixels.")
    max_rows: int = Field(2500, ge=1, description="At most this many rows (the first ones) are plotted.")
    show_legend: bool = Field(True, description="Show the legend of the lines.")


class LinePlot(Node):
    """KNIME's Line Plot rendered as a PNG."""

    type_name = "line_plot"
    display_name = "Line Plot"
    category = Category.VISUALIZER
    description = "Draws numeric columns as lines over the rows (x = RowID) or over an x column."
    keywords = ("view", "plot", "line", "chart", "series")
    knime = (
        KnimeMapping(
            "org.knime.base.views.node.lineplot.LinePlotNodeFactory",
            "Line Plot",
            take_view_keys(
                [
                    "xAxisColumnV3",
                    "yAxisColumnV2",
                    "title",
                    "yAxisScale",
                    "axisExtentMethod",
                    "manualAxisLimits",
                    "customXAxisLabelV2",
                    "customYAxisLabelV2",
                    "lineSize",
                    "showDataPointMarkers",
                    "dataPointMarkerSize",
                    "maxRows",
                    "showLegend",
                ],
                ignore=_INTERACTION,
                harmless={"timeFormat": ""},  # the format of a date/time x axis (default)
            ),
        ),
    )
    inputs = (Port(TABLE, "Table", "The data to plot."),)
    outputs = (Port(VIEW, "Image", "The plot as a PNG picture."),)
    Settings = LinePlotSettings

    @staticmethod
    def _x(settings: LinePlotSettings) -> str | None:
        x = settings.x_axis_column_v3
        return None if x in _NONE_CHOICES or x == ROW_ID else x

    @staticmethod
    def _ys(spec: TableSpec, settings: LinePlotSettings) -> list[str]:
        if isinstance(settings.y_axis_column_v2, list):
            return list(settings.y_axis_column_v2)
        return settings.y_axis_column_v2.apply(spec, allowed_types=ColumnType.NUMERIC)

    def configure(self, in_specs: list[Any], settings: LinePlotSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if isinstance(spec, TableSpec):
            _check_plottable(spec, self._x(settings), "x_axis_column_v3")
            for y in self._ys(spec, settings):
                if y in spec and spec.type_of(y) not in ColumnType.NUMERIC:
                    raise ConfigureError(
                        f"column {y!r} is {spec.type_of(y)}; a line needs a numeric column",
                        setting="y_axis_column_v2",
                    )
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: LinePlotSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        x = self._x(settings)
        ys = self._ys(table.spec, settings)
        missing = _missing_columns(ctx, ([x] if x else []) + ys, table)
        present = [y for y in ys if y not in missing]

        def draw() -> bytes:
            fig, ax = figure(settings.title)
            ax.set_xlabel(_label(settings.custom_x_axis_label_v2, x or "RowID"))
            ax.set_ylabel(_label(settings.custom_y_axis_label_v2, ", ".join(ys)))
            if (x is not None and x in missing) or not present:
                _note(
                    ax,
                    f"column(s) not found: {', '.join(missing)}" if missing else "no numeric column selected",
                )
            else:
                part = Table(table.df.iloc[: settings.max_rows], table.types)
                xs = np.arange(len(part)) if x is None else _values(part, x).to_numpy()
                marker = "o" if settings.show_data_point_markers else None
                names_model = color_models(part.df).get(COLUMN_NAMES)  # a Color Manager on the column names
                line_colors = names_model.colors if names_model is not None else {}
                for y in present:
                    ax.plot(
                        xs,
                        _numeric(part.df[y]).to_numpy(),
                        linewidth=settings.line_size,
                        marker=marker,
                        markersize=settings.data_point_marker_size,
                        label=y,
                        color=line_colors.get(y),
                    )
                if x is None and len(part):
                    ticks = np.unique(np.linspace(0, len(part) - 1, min(len(part), 12)).round().astype(int))
                    ax.set_xticks(ticks)
                    ax.set_xticklabels([part.row_ids[i] for i in ticks], rotation=45, ha="right")
                if settings.show_legend:
                    ax.legend()
            _apply_scale(ax, "y", settings.y_axis_scale)
            _apply_limits(ax, settings.axis_extent_method, settings.manual_axis_limits, x=x is not None)
            return picture(fig)

        return [View(render=locked(draw), title=settings.title)]


# ----------------------------------------------------------------------------- Line Plot (JavaScript)

_JS_ROW_ID = "<RowID>"  # how the view's x-column menu names the RowIDs (the dialog saves no column)
_JS_PLOTTABLE = frozenset(
    {*ColumnType.NUMERIC, ColumnType.BOOLEAN, ColumnType.STRING, ColumnType.SMILES, *ColumnType.DATE_TIME}
)
_JS_SELECTION_DEFAULT = "Selected (Line Plot)"
# LinePlotViewConfig keys that only shape the interactive view: its controls, zooming, panning,
# crosshair and selection tools, warnings shown in it, the window it fills; `dot_size` (the line
# renderer draws no dots) and the date formats of the view's tick labels
_LINE_JS_VIEW_KEYS = (
    "hideInWizard",
    "showCrosshair",
    "snapToPoints",
    "resizeToWindow",
    "enableViewConfiguration",
    "enableTitleChange",
    "enableSubtitleChange",
    "enableXColumnChange",
    "enableYColumnChange",
    "enableXAxisLabelEdit",
    "enableYAxisLabelEdit",
    "enableDotSizeChange",
    "enableZooming",
    "enableDragZooming",
    "enablePanning",
    "showZoomResetButton",
    "enableRectangleSelection",
    "enableLassoSelection",
    "displayFullscreenButton",
    "showWarningInView",
    "reportOnMissingValues",
    "dot_size",
    "dateTimeFormats",
    "date_format",
    "globalDateFormat",
    "globalDateTimeLocale",
    "globalLocalDateFormat",
    "globalLocalDateTimeFormat",
    "globalLocalTimeFormat",
    "globalZonedDateTimeFormat",
)
_LINE_JS_KEYS = (
    "xCol",
    "yCols",
    "maxRows",
    "selectionColumnName",
    "enableSelection",
    "generateImage",
    "chartTitle",
    "chartSubtitle",
    "xAxisLabel",
    "yAxisLabel",
    "useDomainInformation",
    "showLegend",
    "showGrid",
    "imageWidth",
    "imageHeight",
    "backgroundColor",
    "dataAreaColor",
    "gridColor",
    "missingValueMethod",
)


class LinePlotJSSettings(NodeSettings):
    """KNIME's LinePlotViewConfig (Line Plot (JavaScript)): what changes its image and its table."""

    xCol: str | None = Field(
        None,
        title="Choose column for x axis",
        description="Column on the x axis; empty (or '<RowID>') for the RowIDs in row order.",
        json_schema_extra=widget("column"),
    )
    yCols: list[str] | ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Choose columns for y axis",
        description="The columns drawn as lines: a list of names or a column filter (default: every "
        "numeric and string column; a string column is drawn as the positions of its values).",
    )
    maxRows: int = Field(
        2500, ge=0, title="Maximum number of rows", description="Only the first rows are drawn."
    )
    enableSelection: bool = Field(
        True,
        title="Enable selection",
        description="Append the view's Boolean selection column to the output table (false for the drawn rows "
        "in a batch run, missing for the rows beyond maxRows).",
    )
    selectionColumnName: str = Field(
        _JS_SELECTION_DEFAULT, title="Selection column name", description="Name of the appended column."
    )
    generateImage: bool = Field(
        True, title="Create image at outport", description="Off: the image port is inactive, as in KNIME."
    )
    chartTitle: str | None = Field(None, title="Chart title", description="Title of the image.")
    chartSubtitle: str | None = Field(None, title="Chart subtitle", description="Subtitle, below the title.")
    xAxisLabel: str | None = Field(
        None, title="Label for x axis", description="x-axis label (empty: the x column's name)."
    )
    yAxisLabel: str | None = Field(None, title="Label for y axis", description="y-axis label (empty: none).")
    xAxisMin: float | None = Field(None, description="Lower end of the x axis (used with xAxisMax).")
    xAxisMax: float | None = Field(None, description="Upper end of the x axis (used with xAxisMin).")
    yAxisMin: float | None = Field(None, description="Lower end of the y axis (used with yAxisMax).")
    yAxisMax: float | None = Field(None, description="Upper end of the y axis (used with yAxisMin).")
    useDomainInformation: bool = Field(
        False,
        title="Use domain information",
        description="An axis end not given is the columns' smallest / largest value (numeric columns).",
    )
    missingValueMethod: Literal["noGap", "gap", "removeColumn"] = Field(
        "noGap",
        title="Missing value handling",
        description="A missing y value: noGap connects the points around it, gap breaks the line, removeColumn "
        "leaves out every y column with a missing value. Rows with a missing x value are never drawn.",
    )
    showLegend: bool = Field(True, title="Show color legend", description="Legend of the lines.")
    showGrid: bool = Field(True, title="Show grid", description="Draw the grid lines.")
    imageWidth: int = Field(800, ge=1, title="Width of image (in px)", description="Image width.")
    imageHeight: int = Field(600, ge=1, title="Height of image (in px)", description="Image height.")
    backgroundColor: str = Field("rgba(255,255,255,1.0)", description="Colour around the plot (CSS rgba).")
    dataAreaColor: str = Field("rgba(230,230,230,1.0)", description="Colour of the data area (CSS rgba).")
    gridColor: str = Field("rgba(255,255,255,1.0)", description="Colour of the grid lines (CSS rgba).")


def _optional_number(value: Any) -> float | None:
    """LinePlotViewConfig stores the axis bounds as strings (null: not set)."""
    return None if value is None or value == "" else float(value)


def _line_plot_js_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(_LINE_JS_KEYS)
    for key in ("xAxisMin", "xAxisMax", "yAxisMin", "yAxisMax"):
        knime.take(key, transform=_optional_number)
    if knime.get("autoRange") is False:
        knime.lost(
            "autoRange = false: where no axis bounds are saved KNIME's chart keeps its axis library's initial "
            "range; knitflow fits such an axis to the data"
        )
    for key in _LINE_JS_VIEW_KEYS:
        knime.ignore_binding(key, "a setting of the interactive view only")
    # autoRange on: the axes fit the data, saved bounds applying either way (as in the view)
    knime.unread("autoRange", *_LINE_JS_VIEW_KEYS)


def _css_color(text: str, default: str) -> Any:
    """A CSS `rgba(r,g,b,a)` string as a matplotlib colour."""
    parts = re.fullmatch(r"\s*rgba?\(([^)]*)\)\s*", text or "")
    try:
        values = [float(v) for v in parts[1].split(",")] if parts else []
    except ValueError:
        values = []
    if len(values) not in (3, 4):
        return default
    return (values[0] / 255, values[1] / 255, values[2] / 255, values[3] if len(values) == 4 else 1.0)


def _series_values(values: pd.Series, ctype: str) -> np.ndarray:
    """A y column as numbers: numeric and Boolean cells as they are, other cells as the position of
    their value (first appearance standing in for the column's domain), missing cells NaN."""
    if ctype in ColumnType.NUMERIC or ctype == ColumnType.BOOLEAN:
        return pd.to_numeric(
            values.map(lambda v: None if pd.isna(v) else float(v)), errors="coerce"
        ).to_numpy(dtype=np.float64)
    texts = [None if pd.isna(v) else str(v) for v in values.tolist()]
    positions = {t: i for i, t in enumerate(dict.fromkeys(t for t in texts if t is not None))}
    return np.array([np.nan if t is None else positions[t] for t in texts], dtype=np.float64)


class LinePlotJS(Node):
    """KNIME's Line Plot (JavaScript) as an image, with its table output."""

    type_name = "line_plot_js"
    display_name = "Line Plot (JavaScript)"
    category = Category.VISUALIZER
    description = (
        "Draws columns as lines over an x column or over the RowIDs, as KNIME's JavaScript Line Plot: port 1 the "
        "image (imageWidth x imageHeight pixels, title, subtitle, axis labels, legend, grid and colours as set; "
        "the lines take the colours of the optional colour table, first column = column names), port 2 the input "
        "table plus the Boolean selection column when selection is enabled (false in a batch run)."
    )
    keywords = ("view", "plot", "line", "chart", "series", "javascript", "time series")
    knime = (
        KnimeMapping(
            "org.knime.js.base.node.viz.plotter.line.LinePlotNodeFactory",
            "Line Plot (JavaScript)",
            _line_plot_js_from_knime,
        ),
    )
    inputs = (
        Port(TABLE, "Display data", "The data to plot."),
        Port(
            TABLE, "Color table", "First column: y column names, coloured by a Color Manager.", optional=True
        ),
    )
    outputs = (
        Port(VIEW, "Image", "The line plot as a picture."),
        Port(TABLE, "Input data and view selection", "The input, plus the selection column when enabled."),
    )
    Settings = LinePlotJSSettings

    @staticmethod
    def _x(settings: LinePlotJSSettings, spec: TableSpec) -> str | None:
        x = settings.xCol
        if not x or (x == _JS_ROW_ID and x not in spec):
            return None
        return x

    @staticmethod
    def _ys(settings: LinePlotJSSettings, spec: TableSpec) -> list[str]:
        if isinstance(settings.yCols, list):
            return list(settings.yCols)
        return settings.yCols.apply(spec, allowed_types=_JS_PLOTTABLE)

    def _check(
        self, spec: TableSpec, settings: LinePlotJSSettings, error: type[NodeError]
    ) -> tuple[str | None, list[str]]:
        if not any(c.type in _JS_PLOTTABLE for c in spec.columns):
            raise error("Data table must have at least one numerical or categorical column.", setting="yCols")
        x = self._x(settings, spec)
        if x is not None and x not in spec:
            raise error(f'Selected column for x-axis: "{x}" not available.', setting="xCol")
        if x is not None and spec.type_of(x) not in _JS_PLOTTABLE:
            raise error(f"column {x!r} has type {spec.type_of(x)}, which cannot be plotted", setting="xCol")
        ys = self._ys(settings, spec)
        for y in ys:
            if y not in spec:
                raise error(f"The y-column {y} is not present.", setting="yCols")
            if spec.type_of(y) not in _JS_PLOTTABLE:
                raise error(
                    f"column {y!r} has type {spec.type_of(y)}, which cannot be plotted", setting="yCols"
                )
        return x, ys

    def configure(self, in_specs: list[Any], settings: LinePlotJSSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN if settings.generateImage else INACTIVE, UNKNOWN]
        self._check(spec, settings, ConfigureError)
        if settings.enableSelection:
            spec = selection_spec(spec, settings.selectionColumnName, _JS_SELECTION_DEFAULT)[0]
        return [UNKNOWN if settings.generateImage else INACTIVE, spec]

    def execute(self, inputs: list[Any], settings: LinePlotJSSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        x, ys = self._check(table.spec, settings, NodeError)
        out = table
        if settings.enableSelection:
            out = with_selection(table, settings.selectionColumnName, _JS_SELECTION_DEFAULT, settings.maxRows)
        if len(table) > settings.maxRows:
            ctx.warn(f"Only the first {settings.maxRows} rows are displayed.")
        if not settings.generateImage:
            return [INACTIVE, out]
        colors = _line_colors(inputs[1] if len(inputs) > 1 else None, ys)
        drawing = _LineDrawing(table, settings, x, ys, colors)
        return [View(render=locked(drawing.draw), title=settings.chartTitle or self.display_name), out]


def _line_colors(color_table: Table | None, ys: list[str]) -> list[str]:
    """getColorForColumn: the row colour of the colour table's row whose first cell is the column's
    name; d3's category10 for the others."""
    by_name: dict[str, str] = {}
    if isinstance(color_table, Table) and color_table.columns:
        first = color_table.df.iloc[:, 0].tolist()
        rows = row_colors(color_table.df) or [DEFAULT_COLOR] * len(first)
        for value, color in zip(first, rows, strict=True):
            by_name.setdefault(str(value), color)
    return [by_name.get(y, D3_CATEGORY10[i % len(D3_CATEGORY10)]) for i, y in enumerate(ys)]


class _LineDrawing:
    """The picture of Line Plot (JavaScript), drawn when it is looked at."""

    def __init__(
        self, table: Table, settings: LinePlotJSSettings, x: str | None, ys: list[str], colors: list[str]
    ) -> None:
        self.full, self.settings, self.x, self.colors = table, settings, x, colors
        self.part = Table(table.df.iloc[: settings.maxRows], table.types)
        if settings.missingValueMethod == "removeColumn":
            kept = [(y, c) for y, c in zip(ys, colors, strict=True) if not self.part.df[y].isna().any()]
            ys, self.colors = [y for y, _ in kept], [c for _, c in kept]
        self.ys = ys

    def _xs(self) -> tuple[np.ndarray, list[str] | None]:
        """x positions and, for the RowIDs and category columns, the labels of the positions."""
        part, x = self.part, self.x
        if x is None:
            return np.arange(len(part), dtype=np.float64), [str(r) for r in part.row_ids]
        ctype = part.types[x]
        values = part.df[x]
        if ctype in ColumnType.NUMERIC or ctype == ColumnType.BOOLEAN:
            return _series_values(values, ctype), None
        if ctype in (ColumnType.LOCAL_DATE, ColumnType.LOCAL_DATE_TIME):
            return pd.to_datetime(values, errors="coerce").to_numpy(), None
        missing = values.isna().to_numpy()
        return np.where(missing, np.nan, np.arange(len(part), dtype=np.float64)), values.astype(str).tolist()

    def draw(self) -> bytes:
        s = self.settings
        fig, ax = image_figure("", s.imageWidth, s.imageHeight)
        fig.set_facecolor(_css_color(s.backgroundColor, "white"))
        ax.set_facecolor(_css_color(s.dataAreaColor, "#e6e6e6"))
        if s.chartTitle:
            fig.suptitle(s.chartTitle, x=0.01, ha="left")
        if s.chartSubtitle:
            ax.set_title(s.chartSubtitle, loc="left", fontsize="small")
        ax.set_xlabel(s.xAxisLabel or (self.x or ""))
        ax.set_ylabel(s.yAxisLabel or "")
        xs, labels = self._xs()
        drawn = pd.notna(xs)
        for y, color in zip(self.ys, self.colors, strict=True):
            values = _series_values(self.part.df[y], self.part.types[y])
            keep = drawn & (~np.isnan(values) if s.missingValueMethod == "noGap" else True)
            ax.plot(xs[keep], values[keep], color=color, label=y, linewidth=1.5)
        if labels is not None and drawn.any():
            ticks = np.flatnonzero(drawn)
            ticks = ticks[np.unique(np.linspace(0, len(ticks) - 1, min(len(ticks), 12)).round().astype(int))]
            ax.set_xticks(ticks.astype(np.float64))
            ax.set_xticklabels([labels[i] for i in ticks], rotation=45, ha="right")
        if s.showGrid:
            ax.grid(True, color=_css_color(s.gridColor, "white"))
            ax.set_axisbelow(True)
        if s.showLegend and self.ys:
            ax.legend()
        self._bounds(ax)
        return picture(fig)

    def _bounds(self, ax: Any) -> None:
        """The saved axis bounds (or, with useDomainInformation, the columns' value range where one
        is not saved), applied when both ends are known and the lower is below the upper."""
        s = self.settings
        x_columns = [self.x] if self.x is not None else []
        for setter, low, high, columns in (
            (ax.set_xlim, s.xAxisMin, s.xAxisMax, x_columns),
            (ax.set_ylim, s.yAxisMin, s.yAxisMax, self.ys),
        ):
            if s.useDomainInformation:
                lowest, highest = self._domain(columns)
                low = lowest if low is None else low
                high = highest if high is None else high
            if low is not None and high is not None and low < high:
                setter(low, high)

    def _domain(self, columns: list[str]) -> tuple[float | None, float | None]:
        """getMinimumFromColumns / getMaximumFromColumns over the numeric columns' values (the
        maximum starts at Double.MIN_VALUE, so a largest value <= 0 gives none, as in KNIME)."""
        numbers = [
            pd.to_numeric(self.full.df[c], errors="coerce").dropna()
            for c in columns
            if self.full.types.get(c) in ColumnType.NUMERIC
        ]
        values = pd.concat(numbers) if numbers else pd.Series(dtype=np.float64)
        if values.empty:
            return None, None
        highest = float(values.max())
        return float(values.min()), highest if highest > 5e-324 else None
