"""Scatter Plot: a PNG rendered with matplotlib when the view is looked at, as KNIME draws a view
only when it is opened.
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
from nodes._colors import active_color_column, color_models, row_colors
from nodes._plotting import figure, locked, picture
from nodes._views import (
    _INTERACTION,
    _NONE_CHOICES,
    AxisLimits,
    _apply_limits,
    _apply_scale,
    _check_plottable,
    _first_numeric,
    _label,
    _missing_columns,
    _note,
    _numeric,
    _values,
)

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
            fig, ax = figure(settings.title)
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
            return picture(fig)

        return [View(render=locked(draw), title=settings.title)]


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
