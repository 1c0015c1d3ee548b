"""The legacy JavaScript Scatter Plot (org.knime.js.base.node.viz.plotter.scatterSelectionAppender), the
Image View (also KNIME's Image Output widget) and the Text Output widget.

KNIME's "Scatter Plot (JavaScript) (legacy)" draws the rows in their colours (a Color Manager's row
colours) and has two outputs: an image of the plot (SVG in KNIME, PNG here) and the input table
with a Boolean selection column appended. A batch run selects nothing, so every cell of that column
is false, as in the tables KNIME saves. The view's interactive options (zooming, panning, selection
modes, the controls offered to the user) change nothing in either output; the importer notes them.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    INACTIVE,
    TABLE,
    UNKNOWN,
    VARIABLES,
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
    picture_format,
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._colors import DEFAULT_COLOR, active_color_column, color_models, row_colors
from nodes._plotting import figure, locked, picture
from nodes._views import TextOutputSettings, text_output_from_knime, text_output_view

_RESULT_KEYS = (
    "xCol",
    "yCol",
    "maxRows",
    "selectionColumnName",
    "chartTitle",
    "chartSubtitle",
    "xAxisLabel",
    "yAxisLabel",
    "xAxisMin",
    "xAxisMax",
    "yAxisMin",
    "yAxisMax",
    "autoRange",
    "useDomainInformation",
    "enforceOrigin",
    "showLegend",
    "showGrid",
    "dot_size",
    "imageWidth",
    "imageHeight",
    "generateImage",
    "backgroundColor",
    "dataAreaColor",
    "gridColor",
    "showSelectedOnly",
)


def _rgba(text: str, default: str) -> Any:
    """KNIME's `rgba(r,g,b,a)` colour strings as a matplotlib colour tuple."""
    try:
        inner = text[text.index("(") + 1 : text.rindex(")")]
        r, g, b, a = (float(v) for v in inner.split(","))
        return (r / 255, g / 255, b / 255, a)
    except ValueError:
        return default


class ScatterPlotJSSettings(NodeSettings):
    """The settings of KNIME's legacy JavaScript Scatter Plot that change its outputs."""

    xCol: str | None = Field(None, title="Choose column for x axis", description="Column on the x axis.")
    yCol: str | None = Field(None, title="Choose column for y axis", description="Column on the y axis.")
    maxRows: int = Field(
        2500, ge=1, title="Maximum number of rows", description="At most this many rows are drawn."
    )
    selectionColumnName: str = Field(
        "Selected (Scatter Plot)",
        title="Selection column name",
        description="Name of the appended Boolean column (the view's selection; false in a batch run).",
    )
    chartTitle: str = Field("", title="Chart title", description="Title of the plot.")
    chartSubtitle: str = Field("", title="Chart subtitle", description="Subtitle, below the title.")
    xAxisLabel: str = Field(
        "", title="Label for x axis", description="x-axis label (empty: the column name)."
    )
    yAxisLabel: str = Field(
        "", title="Label for y axis", description="y-axis label (empty: the column name)."
    )
    xAxisMin: float | None = Field(None, description="Lower end of the x axis (autoRange off).")
    xAxisMax: float | None = Field(None, description="Upper end of the x axis (autoRange off).")
    yAxisMin: float | None = Field(None, description="Lower end of the y axis (autoRange off).")
    yAxisMax: float | None = Field(None, description="Upper end of the y axis (autoRange off).")
    autoRange: bool = Field(True, title="Auto range axes", description="Fit the axes to the data.")
    useDomainInformation: bool = Field(
        False,
        title="Use domain information",
        description="Axes span the columns' domains (their min and max).",
    )
    enforceOrigin: bool = Field(False, title="Enforce origin", description="Keep (0, 0) inside the axes.")
    showLegend: bool = Field(False, title="Show color legend", description="Legend of the colour model.")
    showGrid: bool = Field(True, title="Show grid", description="Draw the grid lines.")
    dot_size: str = Field("3", title="Dot size", description="Radius of the dots in pixels.")
    imageWidth: int = Field(800, ge=1, title="Width of image (in px)", description="Image width.")
    imageHeight: int = Field(600, ge=1, title="Height of image (in px)", description="Image height.")
    generateImage: bool = Field(True, title="Create image at outport", description="Draw the image output.")
    backgroundColor: str = Field("rgba(255,255,255,1.0)", description="Background colour.")
    dataAreaColor: str = Field("rgba(255,255,255,1.0)", description="Colour of the data area.")
    gridColor: str = Field("rgba(230,230,230,1.0)", description="Colour of the grid lines.")
    showSelectedOnly: bool = Field(
        False, title="Show selected rows only", description="Draw only selected rows (none in a batch run)."
    )


def _scatter_js_from_knime(knime: KnimeSettings) -> None:
    for key in _RESULT_KEYS:
        knime.take(key)
    ignored = sorted(k for k in knime.tree if k not in _RESULT_KEYS and not k.endswith("_Internals"))
    if ignored:
        knime.note(f"interactive view options without effect on the outputs: {', '.join(ignored)}")
        for key in ignored:
            knime.ignore_binding(key, "an interactive view option")


class ScatterPlotJS(Node):
    """KNIME's Scatter Plot (JavaScript) (legacy), with its selection output."""

    type_name = "scatter_plot_js"
    display_name = "Scatter Plot (JavaScript) (legacy)"
    category = Category.VISUALIZER
    description = (
        "Plots one column against another in the rows' colours (a Color Manager's). Port 1: the plot as a "
        "picture; port 2: the input plus the Boolean selection column (false for every row in a batch run)."
    )
    keywords = ("view", "plot", "scatter", "chart", "javascript", "selection")
    knime = (
        KnimeMapping(
            "org.knime.js.base.node.viz.plotter.scatterSelectionAppender.ScatterPlotNodeFactory",
            "Scatter Plot (JavaScript) (legacy)",
            _scatter_js_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Display data", "The data to plot."),)
    outputs = (
        Port(VIEW, "Image", "The scatter plot as a picture."),
        Port(TABLE, "Input data and view selection", "The input plus the selection column."),
    )
    Settings = ScatterPlotJSSettings

    @staticmethod
    def _axes(spec: TableSpec, settings: ScatterPlotJSSettings) -> tuple[str, str]:
        numeric = [c.name for c in spec.columns if c.type in ColumnType.NUMERIC]
        x = settings.xCol or (numeric[0] if numeric else None)
        y = settings.yCol or (numeric[1] if len(numeric) > 1 else x)
        if x is None or y is None:
            raise ConfigureError("the input has no numeric column to plot", setting="xCol")
        for name, setting in ((x, "xCol"), (y, "yCol")):
            if name not in spec:
                raise ConfigureError(f"column {name!r} is not in the input table", setting=setting)
        return x, y

    @staticmethod
    def _selection_column(spec: TableSpec, settings: ScatterPlotJSSettings) -> str:
        return unique_column_name(set(spec.names), settings.selectionColumnName or "Selected (Scatter Plot)")

    def configure(self, in_specs: list[Any], settings: ScatterPlotJSSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        self._axes(spec, settings)
        image = UNKNOWN if settings.generateImage else INACTIVE  # KNIME: no image, an inactive port
        return [image, spec.append((self._selection_column(spec, settings), ColumnType.BOOLEAN))]

    def execute(self, inputs: list[Any], settings: ScatterPlotJSSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        x, y = self._axes(table.spec, settings)
        if len(table) > settings.maxRows:
            ctx.warn(f"Only the first {settings.maxRows} rows are displayed.")
        selection = self._selection_column(table.spec, settings)
        df = table.df.copy()
        df[selection] = pd.array([False] * len(df), dtype="boolean")
        out = table.with_frame(df, {selection: ColumnType.BOOLEAN})
        part = table.df.iloc[: settings.maxRows]

        def draw() -> bytes:
            dpi = 100
            fig, ax = figure(
                settings.chartTitle, (settings.imageWidth / dpi, settings.imageHeight / dpi), dpi
            )
            fig.set_facecolor(_rgba(settings.backgroundColor, "white"))
            ax.set_facecolor(_rgba(settings.dataAreaColor, "white"))
            if settings.chartSubtitle:
                fig.suptitle(settings.chartSubtitle, fontsize="small", y=0.02)
            ax.set_xlabel(settings.xAxisLabel or x)
            ax.set_ylabel(settings.yAxisLabel or y)
            xs = pd.to_numeric(part[x], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            ys = pd.to_numeric(part[y], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            keep = ~(np.isnan(xs) | np.isnan(ys))
            if settings.showSelectedOnly:
                keep[:] = False  # nothing is selected in a batch run
            colors = row_colors(part) or [DEFAULT_COLOR] * len(part)
            try:
                radius = float(settings.dot_size)
            except ValueError:
                radius = 3.0
            ax.scatter(
                xs[keep], ys[keep], s=(2 * radius) ** 2, c=np.array(colors, dtype=object)[keep].tolist()
            )
            if settings.showGrid:
                ax.grid(True, color=_rgba(settings.gridColor, "#e6e6e6"))
                ax.set_axisbelow(True)
            column = active_color_column(part)
            model = color_models(part).get(column) if column else None
            if settings.showLegend and model is not None and model.kind == "nominal":
                from matplotlib.lines import Line2D

                handles = [
                    Line2D([], [], marker="o", linestyle="", color=c, label=v)
                    for v, c in model.colors.items()
                ]
                ax.legend(handles=handles, title=column)
            self._limits(ax, settings, table, x, y)
            return picture(fig)

        if not settings.generateImage:
            return [INACTIVE, out]
        return [View(render=locked(draw), title=settings.chartTitle or "Scatter Plot"), out]

    @staticmethod
    def _limits(ax: Any, settings: ScatterPlotJSSettings, table: Table, x: str, y: str) -> None:
        if not settings.autoRange:
            if settings.xAxisMin is not None or settings.xAxisMax is not None:
                ax.set_xlim(settings.xAxisMin, settings.xAxisMax)
            if settings.yAxisMin is not None or settings.yAxisMax is not None:
                ax.set_ylim(settings.yAxisMin, settings.yAxisMax)
        elif settings.useDomainInformation:
            for col, setter in ((x, ax.set_xlim), (y, ax.set_ylim)):
                values = pd.to_numeric(table.df[col], errors="coerce").dropna()
                if len(values) and values.min() < values.max():
                    setter(float(values.min()), float(values.max()))
        if settings.enforceOrigin:
            lo, hi = ax.get_xlim()
            ax.set_xlim(min(lo, 0.0), max(hi, 0.0))
            lo, hi = ax.get_ylim()
            ax.set_ylim(min(lo, 0.0), max(hi, 0.0))


# ------------------------------------------------------------------------------------------ Image View


class ImageViewSettings(NodeSettings):
    title: str = Field("Image View", description="Title shown with the image.")


def _image_output_from_knime(knime: KnimeSettings) -> None:
    """The Image Output widget shows its image in a component's page under its label."""
    knime.take("title", "label")
    # the page's layout and texts: the picture is the same
    knime.unread("description", "hideInWizard", "customCSS", "maxwidth", "maxheight")


class ImageView(Node):
    """KNIME's Image View: shows the picture on an image port (a view node's output, a rendered chart)."""

    type_name = "image_view"
    display_name = "Image View"
    category = Category.VISUALIZER
    description = "Shows an image port's picture; a run writes it out as a PNG (or SVG) file."
    keywords: ClassVar[tuple[str, ...]] = ("view", "image", "picture", "png", "svg", "display")
    inputs = (Port(VIEW, "Image", "The image to show."),)
    outputs = (Port(VIEW, "View", "The same picture."),)
    Settings = ImageViewSettings

    def configure(self, in_specs: list[Any], settings: ImageViewSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: ImageViewSettings, ctx: NodeContext) -> list[Any]:
        image: View = inputs[0]
        if not image.has_picture:
            ctx.warn("the input port holds no picture")
            return [View(title=settings.title or image.title)]
        return [View(render=lambda: _picture_bytes(image), title=settings.title or image.title)]


class ImageOutput(ImageView):
    """KNIME's Image Output widget: a component page's picture, here the image under its label."""

    type_name = "image_output"
    display_name = "Image Output"
    category = Category.VISUALIZER
    description = "Shows an image port's picture under its label, as the widget does on a component's page."
    keywords = ("widget", "output", "image", "picture", "component page")
    knime = (
        KnimeMapping(
            "org.knime.js.base.node.output.image.ImageOutputNodeFactory",
            "Image Output",
            _image_output_from_knime,
        ),
    )


def _picture_bytes(image: View) -> bytes:
    """The input's picture, drawn only when this view is, in the format asked for."""
    drawn = image.picture(picture_format())
    if drawn is None:
        raise NodeError("the input port's picture could not be drawn")
    return drawn[0]


# ----------------------------------------------------------------------------------- Text Output


class TextOutput(Node):
    """A text (with flow variables filled in) for a component's page: here a one-cell table view."""

    type_name = "text_output"
    display_name = "Text Output (legacy)"
    category = Category.VISUALIZER
    description = (
        "Shows a text, with flow variable references $${Sname}$$, $${Iname}$$ and $${Dname}$$ replaced by their "
        "values (a missing or wrongly typed variable fails the node), as a one-cell table titled by the label; "
        "an HTML text is kept as HTML source, not rendered."
    )
    keywords = ("text", "output", "widget", "report", "html", "label", "component page")
    knime = (
        KnimeMapping(
            "org.knime.js.base.node.output.text.TextOutputNodeFactory",
            "Text Output (legacy)",
            text_output_from_knime,
        ),
    )
    inputs = (Port(VARIABLES, "Flow variables", "Variables the text refers to.", optional=True),)
    outputs = (Port(VIEW, "Text", "The resolved text."),)
    Settings = TextOutputSettings

    def configure(self, in_specs: list[Any], settings: TextOutputSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: TextOutputSettings, ctx: NodeContext) -> list[Any]:
        return [text_output_view(settings, ctx, self.display_name)]
