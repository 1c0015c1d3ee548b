"""Line Plot: a PNG rendered with matplotlib when the view is looked at."""

from __future__ import annotations

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
)
from engine.api.knime import KnimeMapping, take_view_keys
from nodes._colors import COLUMN_NAMES, color_models
from nodes._common import ColumnFilter
from nodes._views import (
    _INTERACTION,
    _NONE_CHOICES,
    ROW_ID,
    AxisLimits,
    _apply_limits,
    _apply_scale,
    _check_plottable,
    _figure,
    _label,
    _locked,
    _missing_columns,
    _note,
    _numeric,
    _png,
    _values,
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
