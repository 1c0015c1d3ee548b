"""View nodes: Table View, Line Plot, Scatter Plot and Histogram.

KNIME's views have no data output and influence no result; here each one produces a `View` on a
view port (a PNG rendered with matplotlib, or the displayed table) so a run can write it out.
The data is checked and prepared in `execute`; the drawing waits until the picture is looked at
(see `View`), as KNIME draws a view only when it is opened.
Like KNIME, a plot whose columns are not in the input still executes: it renders an empty picture
that names the missing columns (11_01's Scatter Plot #244 keeps stale column names).
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
    NodeSettings,
    Port,
    Table,
    TableSpec,
    View,
)
from engine.api.knime import KnimeMapping, KnimeSettings, take_view_keys
from nodes._colors import COLUMN_NAMES, active_color_column, color_models, row_colors
from nodes._common import ColumnFilter
from nodes._plotting import figure, locked, png

# what only changes how a KNIME view is used, not what knitflow draws: tooltips, animation,
# zooming, selection, downloading; the size and format of KNIME's optional image output port
_INTERACTION = (
    "allowImageDownload",
    "enableAnimation",
    "enableDataZoom",
    "selectionMode",
    "showTooltip",
    "publishSelection",
    "subscribeToSelection",
    "generateImage",
    "imageFormat",
    "width",
    "height",
)
ROW_ID = "<ROW_ID>"
_NONE_CHOICES = {None, "", "<NONE>"}
_PLOTTABLE = frozenset(
    {
        ColumnType.INTEGER,
        ColumnType.LONG,
        ColumnType.DOUBLE,
        ColumnType.STRING,
        ColumnType.BOOLEAN,
        ColumnType.SMILES,
    }
)


class AxisLimits(NodeSettings):
    """KNIME's manualAxisLimits (used when axis_extent_method is MANUAL)."""

    x_axis_manual_min: float = Field(0.0, description="Lower end of the x axis.")
    x_axis_manual_max: float = Field(100.0, description="Upper end of the x axis.")
    y_axis_manual_min: float = Field(0.0, description="Lower end of the y axis.")
    y_axis_manual_max: float = Field(100.0, description="Upper end of the y axis.")


# ------------------------------------------------------------------------------------------- helpers


_figure = figure
_locked = locked
_png = png


def _label(custom: str | None, default: str) -> str:
    """KNIME: no custom label -> the column name; a custom label (even empty) replaces it."""
    return default if custom is None else custom


def _note(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", wrap=True, color="#a33")


def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype(np.float64)


def _values(table: Table, column: str) -> pd.Series:
    """Numbers for numeric columns; text (a categorical axis) for the others."""
    ctype = table.types[column]
    if ctype in ColumnType.NUMERIC:
        return _numeric(table.df[column])
    return table.df[column].map(lambda v: None if pd.isna(v) else str(v))


def _check_plottable(spec: Any, column: str | None, setting: str) -> None:
    if isinstance(spec, TableSpec) and column is not None and column in spec:
        ctype = spec.type_of(column)
        if ctype not in _PLOTTABLE:
            raise ConfigureError(
                f"column {column!r} has type {ctype}, which cannot be plotted", setting=setting
            )


def _first_numeric(spec: TableSpec, skip: str | None = None) -> str | None:
    for col in spec.columns:
        if col.type in ColumnType.NUMERIC and col.name != skip:
            return col.name
    return None


def _apply_scale(ax: Any, axis: str, scale: str) -> None:
    if scale == "LOG":
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log", nonpositive="mask")


def _apply_limits(ax: Any, method: str, limits: AxisLimits, x: bool = True) -> None:
    if method == "MANUAL":
        if x:
            ax.set_xlim(limits.x_axis_manual_min, limits.x_axis_manual_max)
        ax.set_ylim(limits.y_axis_manual_min, limits.y_axis_manual_max)


def _missing_columns(ctx: NodeContext, names: list[str], table: Table) -> list[str]:
    missing = [n for n in names if n not in table.types]
    if missing:
        ctx.log(
            f"column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} not in the input table; "
            "the view is empty"
        )
    return missing


# ---------------------------------------------------------------------------------------- Table View


class TableViewSettings(NodeSettings):
    """KNIME's Table View settings (those that change what is shown)."""

    displayed_columns_v2: ColumnFilter = Field(
        default_factory=ColumnFilter, description="Columns to show (default: all)."
    )
    title: str = Field("Table View", description="Title of the view.")
    show_row_keys: bool = Field(True, description="Show the RowIDs.")
    show_row_indices: bool = Field(False, description="Show the 0-based row numbers (as a column `#`).")


class TableView(Node):
    """KNIME's Table View: the selected columns of the input, written out as a table."""

    type_name = "table_view"
    display_name = "Table View"
    category = Category.VISUALIZER
    description = "Shows the input table (the selected columns); a run writes it as a CSV file."
    keywords = ("view", "table", "display", "inspect")
    knime = (
        KnimeMapping(
            "org.knime.base.views.node.tableview.TableViewNodeFactory",
            "Table View",
            take_view_keys(
                ["displayedColumnsV2", "title", "showRowKeys", "showRowIndices"],
                # the layout of the interactive table (knitflow shows all rows; no selection exists)
                ignore=(
                    *_INTERACTION,
                    "autoSizeColumnsToContent",
                    "customRowHeight",
                    "enableCellCopying",
                    "enableColumnSearch",
                    "enableGlobalSearch",
                    "enablePagination",
                    "enableRendererSelection",
                    "enableSortingByHeader",
                    "maxAutoRowHeight",
                    "pageSize",
                    "rowHeightMode",
                    "rowHeightModeV2",
                    "showColumnDataType",
                    "showOnlySelectedRows",
                    "showOnlySelectedRowsConfigurable",
                    "showTableSize",
                    "verticalPaddingMode",
                ),
            ),
        ),
        KnimeMapping(
            "org.knime.base.node.viz.table.TableNodeFactory",
            "Interactive Table (legacy)",
            take_view_keys([]),
            note="TableNodeModel has no settings: the table as it is",
        ),
    )
    inputs = (Port(TABLE, "Table", "The table to show."),)
    outputs = (Port(VIEW, "View", "The displayed table."),)
    Settings = TableViewSettings

    def configure(self, in_specs: list[Any], settings: TableViewSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: TableViewSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        columns = settings.displayed_columns_v2.apply(table.spec)
        df = table.df[columns].copy()
        types = {c: table.types[c] for c in columns}
        if settings.show_row_indices:
            name = "#"
            while name in df.columns:
                name += "#"
            df.insert(0, name, np.arange(len(df), dtype=np.int64))
            types[name] = ColumnType.LONG
        if not settings.show_row_keys:
            df.index = pd.Index([str(i) for i in range(len(df))], dtype=object)
        return [View(title=settings.title, table=Table(df, types))]


# --------------------------------------------------------------------------------------- Scatter Plot


class ScatterPlotSettings(NodeSettings):
    """KNIME's Scatter Plot settings (org.knime.base.views.node.scatterplot)."""

    x_axis_column_v3: str | None = Field(
        None, description="Column on the x axis (default: the first numeric column)."
    )
    y_axis_column_v3: str | None = Field(
        None, description="Column on the y axis (default: the next numeric column)."
    )
    color_column_v2: str | None = Field(
        None, description="Column that colours the points ('<NONE>' or empty: none)."
    )
    title: str = Field("Scatter Plot", description="Title of the plot.")
    x_axis_scale: Literal["VALUE", "LOG"] = Field(
        "VALUE", description="Linear (VALUE) or logarithmic (LOG) x axis."
    )
    y_axis_scale: Literal["VALUE", "LOG"] = Field(
        "VALUE", description="Linear (VALUE) or logarithmic (LOG) y axis."
    )
    axis_extent_method: Literal["AUTO", "MANUAL"] = Field(
        "AUTO", description="AUTO fits the axes to the data; MANUAL uses manual_axis_limits."
    )
    manual_axis_limits: AxisLimits = Field(default_factory=AxisLimits, description="Axis ranges for MANUAL.")
    custom_x_axis_label_v2: str | None = Field(None, description="x-axis label (default: the column name).")
    custom_y_axis_label_v2: str | None = Field(None, description="y-axis label (default: the column name).")
    data_point_size: int = Field(5, ge=1, description="Diameter of the points in pixels.")
    max_rows: int = Field(2500, ge=1, description="At most this many rows (the first ones) are plotted.")
    show_legend: bool = Field(True, description="Show the colour legend.")


def _legacy_scatter_plot_from_knime(knime: KnimeSettings) -> None:
    """DefaultVisualizationNodeModel: `end` (the rows shown, from the first), `antialias` and
    `max_nominal_values` (how the view draws); the axes are picked in the view and not saved."""
    knime.take("maxRows", "end")
    knime.note(
        "KNIME's legacy Scatter Plot picks its axes in the view (not saved): the first numeric columns are used"
    )
    knime.unread("antialias", "max_nominal_values")


class ScatterPlot(Node):
    """KNIME's Scatter Plot rendered as a PNG."""

    type_name = "scatter_plot"
    display_name = "Scatter Plot"
    category = Category.VISUALIZER
    description = "Plots one column against another as points (optionally log axes, manual ranges, colours)."
    keywords = ("view", "plot", "scatter", "chart", "points")
    knime = (
        KnimeMapping(
            "org.knime.base.views.node.scatterplot.ScatterPlotNodeFactory",
            "Scatter Plot",
            take_view_keys(
                [
                    "xAxisColumnV3",
                    "yAxisColumnV3",
                    "colorColumnV2",
                    "title",
                    "xAxisScale",
                    "yAxisScale",
                    "axisExtentMethod",
                    "manualAxisLimits",
                    "customXAxisLabelV2",
                    "customYAxisLabelV2",
                    "dataPointSize",
                    "maxRows",
                    "showLegend",
                ],
                ignore=_INTERACTION,
                harmless={"referenceLines": []},
            ),
        ),
        KnimeMapping(
            "org.knime.base.node.viz.scatterplot.ScatterPlotNodeFactory",
            "Scatter Plot (legacy)",
            _legacy_scatter_plot_from_knime,
            note="the axes of KNIME's legacy Scatter Plot are chosen in its view and not saved",
        ),
    )
    inputs = (Port(TABLE, "Table", "The data to plot."),)
    outputs = (Port(VIEW, "Image", "The plot as a PNG picture."),)
    Settings = ScatterPlotSettings

    def configure(self, in_specs: list[Any], settings: ScatterPlotSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if isinstance(spec, TableSpec):
            x, y = self._axes(spec, settings)
            _check_plottable(spec, x, "x_axis_column_v3")
            _check_plottable(spec, y, "y_axis_column_v3")
            color = None if settings.color_column_v2 in _NONE_CHOICES else settings.color_column_v2
            _check_plottable(spec, color, "color_column_v2")
        return [UNKNOWN]

    @staticmethod
    def _axes(spec: TableSpec, settings: ScatterPlotSettings) -> tuple[str, str]:
        x = settings.x_axis_column_v3 or _first_numeric(spec)
        y = settings.y_axis_column_v3 or _first_numeric(spec, skip=x) or x
        if x is None or y is None:
            raise ConfigureError(
                "the input has no numeric column to plot; choose the axis columns", setting="x_axis_column_v3"
            )
        return x, y

    def execute(self, inputs: list[Any], settings: ScatterPlotSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        x, y = self._axes(table.spec, settings)
        color = None if settings.color_column_v2 in _NONE_CHOICES else settings.color_column_v2
        missing = _missing_columns(ctx, [c for c in (x, y, color) if c is not None], table)

        def draw() -> bytes:
            fig, ax = _figure(settings.title)
            ax.set_xlabel(_label(settings.custom_x_axis_label_v2, x))
            ax.set_ylabel(_label(settings.custom_y_axis_label_v2, y))
            if missing:
                _note(ax, f"column(s) not found: {', '.join(missing)}")
            else:
                part = Table(table.df.iloc[: settings.max_rows], table.types)
                xs, ys = _values(part, x), _values(part, y)
                keep = xs.notna() & ys.notna()
                size = settings.data_point_size**2
                by_model = color if color is not None else active_color_column(part.df)
                if by_model is not None and _scatter_by_model(
                    ax, part, xs, ys, keep, by_model, size, settings.show_legend
                ):
                    pass  # the Color Manager's colours
                elif color is None:
                    ax.scatter(xs[keep].to_numpy(), ys[keep].to_numpy(), s=size, color="#1f77b4")
                else:
                    _scatter_colored(ax, part, xs, ys, keep, color, size, settings.show_legend)
            _apply_scale(ax, "x", settings.x_axis_scale)
            _apply_scale(ax, "y", settings.y_axis_scale)
            _apply_limits(ax, settings.axis_extent_method, settings.manual_axis_limits)
            return _png(fig)

        return [View(render=_locked(draw), title=settings.title)]


def _scatter_by_model(
    ax: Any,
    table: Table,
    xs: pd.Series,
    ys: pd.Series,
    keep: pd.Series,
    column: str,
    size: float,
    legend: bool,
) -> bool:
    """Points in the colours of `column`'s colour model (a Color Manager upstream); False without one.
    Without a colour column of its own the plot takes the table's row colours, as KNIME's views do."""
    model = color_models(table.df).get(column)
    colors = row_colors(table.df, column)
    if model is None or colors is None:
        return False
    mask = keep.to_numpy()
    ax.scatter(
        xs[keep].to_numpy(), ys[keep].to_numpy(), s=size, c=np.array(colors, dtype=object)[mask].tolist()
    )
    if legend and model.kind == "nominal":
        from matplotlib.lines import Line2D

        shown = set(np.array(colors, dtype=object)[mask].tolist())
        handles = [
            Line2D([], [], marker="o", linestyle="", color=c, label=v)
            for v, c in model.colors.items()
            if c in shown
        ]
        if handles:
            ax.legend(handles=handles, title=column)
    return True


def _scatter_colored(
    ax: Any,
    table: Table,
    xs: pd.Series,
    ys: pd.Series,
    keep: pd.Series,
    color: str,
    size: float,
    legend: bool,
) -> None:
    if table.types[color] in ColumnType.NUMERIC:
        cs = _numeric(table.df[color])
        points = ax.scatter(
            xs[keep].to_numpy(), ys[keep].to_numpy(), s=size, c=cs[keep].to_numpy(), cmap="viridis"
        )
        if legend:
            ax.figure.colorbar(points, ax=ax, label=color)
        return
    groups = table.df[color].map(lambda v: "?" if pd.isna(v) else str(v))
    for value in dict.fromkeys(groups[keep]):
        mask = keep & (groups == value)
        ax.scatter(xs[mask].to_numpy(), ys[mask].to_numpy(), s=size, label=value)
    if legend:
        ax.legend(title=color)


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
            fig, ax = _figure(settings.title)
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
            return _png(fig)

        return [View(render=_locked(draw), title=settings.title)]


# ------------------------------------------------------------------------------------------ Histogram


class HistogramSettings(NodeSettings):
    """KNIME's Histogram settings (org.knime.base.views.node.histogram)."""

    dimension_v3: str | None = Field(
        None, description="The numeric column binned (default: the first numeric)."
    )
    binning_type: Literal["EQUAL_WIDTH", "SAMPLE_QUANTILES", "CUSTOM"] = Field(
        "EQUAL_WIDTH",
        description="EQUAL_WIDTH: n_bins bins of equal width; SAMPLE_QUANTILES: n_bins bins of equal counts; "
        "CUSTOM: the bin edges in custom_bin_cutoff.",
    )
    n_bins: int = Field(20, ge=1, description="Number of bins.")
    has_integer_cutoff: bool = Field(False, description="Round the bin edges to whole numbers.")
    has_fixed_lower_bound: bool = Field(
        False, description="Start the bins at lower_bound (smaller values ignored)."
    )
    lower_bound: float = Field(0.0, description="The fixed lower bound.")
    has_fixed_upper_bound: bool = Field(
        False, description="End the bins at upper_bound (larger values ignored)."
    )
    upper_bound: float = Field(0.0, description="The fixed upper bound.")
    custom_bin_cutoff: str = Field("", description="CUSTOM: comma-separated bin edges, e.g. '0, 1.5, 3, 10'.")
    special_value_handling: Literal["IGNORE", "SEPARATE_BIN"] = Field(
        "IGNORE",
        description="Missing and infinite values: IGNORE drops them; SEPARATE_BIN counts them in a bar.",
    )
    frequency_axis_type: Literal["FREQUENCY", "PERCENTAGE"] = Field(
        "FREQUENCY", description="Count (FREQUENCY) or share in % (PERCENTAGE) on the frequency axis."
    )
    title: str = Field("Histogram", description="Title of the plot.")
    axis_extent_method: Literal["AUTO", "MANUAL"] = Field(
        "AUTO", description="AUTO fits the frequency axis; MANUAL ends it at manual_max."
    )
    manual_max: float = Field(100.0, description="Top of the frequency axis for MANUAL.")
    custom_dimension_axis_label_v2: str | None = Field(
        None, description="Label of the value axis (default: column)."
    )
    custom_frequency_axis_label_v2: str | None = Field(None, description="Label of the frequency axis.")
    show_numeric_labels: bool = Field(False, description="Write the count on each bar.")


class Histogram(Node):
    """KNIME's Histogram rendered as a PNG."""

    type_name = "histogram"
    display_name = "Histogram"
    category = Category.VISUALIZER
    description = "Bins one numeric column and draws the counts (or percentages) per bin."
    keywords = ("view", "plot", "histogram", "distribution", "bins")
    knime = (
        KnimeMapping(
            "org.knime.base.views.node.histogram.HistogramNodeFactory",
            "Histogram",
            take_view_keys(
                [
                    "dimensionV3",
                    "binningType",
                    "nBins",
                    "hasIntegerCutoff",
                    "hasFixedLowerBound",
                    "lowerBound",
                    "hasFixedUpperBound",
                    "upperBound",
                    "customBinCutoff",
                    "specialValueHandling",
                    "frequencyAxisType",
                    "title",
                    "axisExtentMethod",
                    "manualMax",
                    "customDimensionAxisLabelV2",
                    "customFrequencyAxisLabelV2",
                    "showNumericLabels",
                ],
                ignore=_INTERACTION,
            ),
        ),
    )
    inputs = (Port(TABLE, "Table", "The data to bin."),)
    outputs = (Port(VIEW, "Image", "The histogram as a PNG picture."),)
    Settings = HistogramSettings

    @staticmethod
    def _column(spec: TableSpec, settings: HistogramSettings) -> str:
        column = settings.dimension_v3 or _first_numeric(spec)
        if column is None:
            raise ConfigureError("the input has no numeric column to bin", setting="dimension_v3")
        return column

    def configure(self, in_specs: list[Any], settings: HistogramSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if isinstance(spec, TableSpec):
            column = self._column(spec, settings)
            if column in spec and spec.type_of(column) not in ColumnType.NUMERIC:
                raise ConfigureError(
                    f"column {column!r} is {spec.type_of(column)}; a histogram needs a numeric column",
                    setting="dimension_v3",
                )
        if settings.binning_type == "CUSTOM":
            _custom_edges(settings)
        if (
            settings.has_fixed_lower_bound
            and settings.has_fixed_upper_bound
            and settings.upper_bound <= settings.lower_bound
        ):
            raise ConfigureError("upper_bound must be larger than lower_bound", setting="upper_bound")
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: HistogramSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        column = self._column(table.spec, settings)
        missing = bool(_missing_columns(ctx, [column], table))
        values = np.zeros(0) if missing else _numeric(table.df[column]).to_numpy()
        special = ~np.isfinite(values)
        finite = values[~special]
        if settings.has_fixed_lower_bound:
            finite = finite[finite >= settings.lower_bound]
        if settings.has_fixed_upper_bound:
            finite = finite[finite <= settings.upper_bound]
        edges = _edges(finite, settings)
        counts, edges = np.histogram(finite, bins=edges) if len(edges) > 1 else (np.zeros(0), edges)
        percent = settings.frequency_axis_type == "PERCENTAGE"

        def draw() -> bytes:
            fig, ax = _figure(settings.title)
            ax.set_xlabel(_label(settings.custom_dimension_axis_label_v2, column))
            ax.set_ylabel(
                _label(settings.custom_frequency_axis_label_v2, "Percentage" if percent else "Frequency")
            )
            if missing:
                _note(ax, f"column not found: {column}")
                return _png(fig)
            total = len(finite) + (
                int(special.sum()) if settings.special_value_handling == "SEPARATE_BIN" else 0
            )
            heights = counts * (100.0 / total if percent and total else 1.0)
            bars = ax.bar(
                edges[:-1], heights, width=np.diff(edges), align="edge", edgecolor="white", color="#4c78a8"
            )
            if settings.special_value_handling == "SEPARATE_BIN" and special.any():
                n = int(special.sum()) * (100.0 / total if percent and total else 1.0)
                width = (edges[-1] - edges[0]) / max(len(counts), 1) if len(edges) > 1 else 1.0
                right = edges[-1] if len(edges) else 0.0
                ax.bar(
                    [right + width * 0.5],
                    [n],
                    width=width,
                    align="edge",
                    color="#bbbbbb",
                    label="missing / infinite",
                )
                ax.legend()
            if settings.show_numeric_labels:
                ax.bar_label(bars, fmt="%g")
            if settings.axis_extent_method == "MANUAL":
                ax.set_ylim(0, settings.manual_max)
            return _png(fig)

        return [View(render=_locked(draw), title=settings.title)]


def _custom_edges(settings: HistogramSettings) -> list[float]:
    try:
        edges = sorted(
            {float(v) for v in settings.custom_bin_cutoff.replace(";", ",").split(",") if v.strip()}
        )
    except ValueError:
        raise ConfigureError(
            f"custom_bin_cutoff {settings.custom_bin_cutoff!r} is not a comma-separated list of numbers",
            setting="custom_bin_cutoff",
        ) from None
    if len(edges) < 2:
        raise ConfigureError("custom_bin_cutoff needs at least two edges", setting="custom_bin_cutoff")
    return edges


def _edges(values: np.ndarray, settings: HistogramSettings) -> np.ndarray:
    if settings.binning_type == "CUSTOM":
        return np.array(_custom_edges(settings))
    lo = settings.lower_bound if settings.has_fixed_lower_bound else (values.min() if len(values) else 0.0)
    hi = settings.upper_bound if settings.has_fixed_upper_bound else (values.max() if len(values) else 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, lo + 0.5
    if settings.binning_type == "SAMPLE_QUANTILES" and len(values):
        edges = np.quantile(values, np.linspace(0, 1, settings.n_bins + 1))
        edges[0], edges[-1] = lo, hi
    else:
        edges = np.linspace(lo, hi, settings.n_bins + 1)
    if settings.has_integer_cutoff:
        edges = np.unique(np.round(edges))
        edges[0] = min(edges[0], np.floor(lo))
        edges[-1] = max(edges[-1], np.ceil(hi))
        if len(edges) < 2:
            edges = np.array([edges[0], edges[0] + 1.0])
    return np.unique(edges)
