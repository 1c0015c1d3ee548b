"""KNIME's JavaScript Box Plot and Conditional Box Plot (dynamic nodes
`org.knime.dynamic.js.base:nodes/:boxplot_v2` and `:cond_boxplot_v2`), drawn with matplotlib.

The statistics are KNIME's `BoxplotCalculator` (org.knime.base.node.viz.plotter.box), computed
on a column's values without missing cells, sorted ascending (n values v[0..n-1]): minimum and
maximum; the median v[n/2] (n odd) or the mean of v[n/2-1] and v[n/2]; the quartiles v[n/4] and
v[3n/4] (integer division) unless n is a multiple of four, then the means of v[n/4-1], v[n/4] and
of v[3n/4-1], v[3n/4] (no interpolation as in numpy's percentiles). With IQR = Q3 - Q1, a value
below Q1 - 3 IQR or above Q3 + 3 IQR is an extreme outlier, one below Q1 - 1.5 IQR or above
Q3 + 1.5 IQR a mild one; the lower whisker is the first value not below Q1 - 1.5 IQR (the minimum
when none is below), the upper whisker the last value not above Q3 + 1.5 IQR, exactly as KNIME's
loop sets them. Infinite values fail the node with `failOnSpecialDoubles`, else they count as
missing (knitflow holds a missing number as NaN, so a NaN counts as missing either way). A column
with only missing values has no box.

The Conditional Box Plot makes one box per class of the category column: the classes sorted by
their text (KNIME takes them from the column's domain; knitflow from the values present), then
the "Missing values" class of the rows with a missing category, shown when `reportOnMissingValues`
and `includeMissValClass` are on. It draws the column `numCol` (the first of `columns` when not
set). Boxes appear in the order of the JavaScript object holding them: keys that are array
indices ("0", "17") first, ascending, then the others in KNIME's order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

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
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._category_values import MISSING_CATEGORY
from nodes._colors import DEFAULT_COLOR, row_colors
from nodes._common import ColumnFilter
from nodes._mining import cell_text
from nodes._plotting import D3_CATEGORY10, D3_CATEGORY20, dynamic_js_view_options, figure, locked, picture


@dataclass
class BoxStatistics:
    """KNIME's BoxplotStatistics; outliers as (value, RowID)."""

    minimum: float
    maximum: float
    lower_whisker: float
    lower_quartile: float
    median: float
    upper_quartile: float
    upper_whisker: float
    mild_outliers: list[tuple[float, str]] = field(default_factory=list)
    extreme_outliers: list[tuple[float, str]] = field(default_factory=list)


def box_statistics(values: np.ndarray, row_ids: list[str]) -> BoxStatistics:
    """`BoxplotCalculator` on the (non-empty) values of one box."""
    order = np.argsort(values, kind="stable")
    v = values[order]
    n = len(v)
    q1 = (v[n // 4 - 1] + v[n // 4]) / 2.0 if n % 4 == 0 else v[n // 4]
    q3 = (v[3 * n // 4 - 1] + v[3 * n // 4]) / 2.0 if n % 4 == 0 else v[3 * n // 4]
    median = (v[n // 2 - 1] + v[n // 2]) / 2 if n % 2 == 0 else v[n // 2]
    iqr = q3 - q1
    whisker_low, whisker_high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    fence_low, fence_high = q1 - 3 * iqr, q3 + 3 * iqr
    stats = BoxStatistics(
        float(v[0]), float(v[-1]), float(v[0]), float(q1), float(median), float(q3), float(v[-1])
    )
    for value, i in zip(v.tolist(), order.tolist(), strict=True):  # KNIME's branches, in its order
        if value < fence_low:
            stats.extreme_outliers.append((value, row_ids[i]))
        elif value < whisker_low:
            stats.mild_outliers.append((value, row_ids[i]))
        elif stats.lower_whisker < whisker_low and value >= whisker_low:
            stats.lower_whisker = value
        elif value <= whisker_high:
            stats.upper_whisker = value
        elif value > fence_high:
            stats.extreme_outliers.append((value, row_ids[i]))
        elif value > whisker_high:
            stats.mild_outliers.append((value, row_ids[i]))
    return stats


def _numbers(table: Table, column: str, fail_on_special: bool) -> np.ndarray:
    """The column as floats, NaN for missing cells and (without failing) infinities."""
    values = pd.to_numeric(table.df[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    infinite = np.isinf(values)
    if infinite.any():
        if fail_on_special:
            bad = values[infinite][0]
            raise NodeError(
                f"Incompatible value encountered: {'Infinity' if bad > 0 else '-Infinity'}",
                setting="failOnSpecialDoubles",
            )
        values = np.where(infinite, np.nan, values)
    return values


def js_object_order(keys: list[str]) -> list[str]:
    """The order of a JavaScript object's keys: array indices ascending, then the rest as inserted."""

    def is_index(key: str) -> bool:
        return key.isdigit() and key.isascii() and str(int(key)) == key and int(key) < 2**32 - 1

    indices = sorted((k for k in keys if is_index(k)), key=int)
    return indices + [k for k in keys if not is_index(k)]


def js_round2(value: float) -> str:
    """A label of KNIME's box plots: `Math.round(v * 100) / 100` as JavaScript prints it."""
    scaled = value * 100
    whole = math.floor(scaled)  # Math.round: the nearest integer, ties up (scaled - whole is exact)
    rounded = (whole + 1 if scaled - whole >= 0.5 else whole) / 100
    if rounded.is_integer() and abs(rounded) < 1e21:
        return str(int(rounded))
    text = repr(rounded)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{'-' if exponent.startswith('-') else '+'}{exponent.lstrip('+-').lstrip('0')}"
    return text


# ------------------------------------------------------------------------------------ settings


class BoxPlotSettings(NodeSettings):
    """KNIME's JavaScript Box Plot options (the ids of its node.xml)."""

    columns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Included columns",
        description="The numeric columns to compute boxes for.",
    )
    multi: bool = Field(
        True, title="Plot multiple boxes", description="One box per included column (else only numCol)."
    )
    numCol: str | None = Field(
        None,
        title="Selected column",
        description="The column drawn when not plotting multiple boxes (the first included one when not set).",
        json_schema_extra=widget("column"),
    )
    reportOnMissingValues: bool = Field(
        True, title="Report on missing values", description="Warn about the missing values left out."
    )
    failOnSpecialDoubles: bool = Field(
        True,
        title="Fail on special doubles",
        description="Fail on an infinite value (else it is left out like a missing value).",
    )
    title: str = Field("Box Plot", description="Chart title.")
    subtitle: str = Field("", description="Chart subtitle.")
    backgroundColor: str = Field("#ffffff", title="Background color", description="Colour around the plot.")
    daColor: str = Field("#ffffff", title="Data area color", description="Colour of the plot area.")
    boxColor: str = Field("#ffffff", title="Box color", description="Fill colour of the boxes.")
    width: int = Field(800, ge=1, description="Image width in pixels (KNIME's svg option).")
    height: int = Field(600, ge=1, description="Image height in pixels.")


class ConditionalBoxPlotSettings(NodeSettings):
    """KNIME's Conditional Box Plot options (the ids of its node.xml)."""

    catCol: str | None = Field(
        None,
        title="Category Column",
        description="The column whose classes get a box each.",
        json_schema_extra=widget("column"),
    )
    columns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Included columns",
        description="The numeric columns to compute boxes for.",
    )
    numCol: str | None = Field(
        None,
        title="Selected Column",
        description="The column drawn (the first included one when not set).",
        json_schema_extra=widget("column"),
    )
    reportOnMissingValues: bool = Field(
        True,
        title="Report on missing values",
        description="Warn about missing values; enables the 'Missing values' class.",
    )
    includeMissValClass: bool = Field(
        True,
        title="Include 'Missing values' class",
        description="Rows with a missing category form a 'Missing values' box (needs reportOnMissingValues).",
    )
    failOnSpecialDoubles: bool = Field(
        True,
        title="Fail on special doubles",
        description="Fail on an infinite value (else it is left out like a missing value).",
    )
    title: str = Field("Conditional Box Plot", description="Chart title.")
    subtitle: str = Field("", description="Chart subtitle.")
    backgroundColor: str = Field("#ffffff", title="Background color", description="Colour around the plot.")
    daColor: str = Field("#ffffff", title="Data area color", description="Colour of the plot area.")
    applyColors: bool = Field(
        True,
        title="Apply colors by category",
        description="Colour the boxes by class: from the colour table, else d3's category10/20 palette.",
    )
    boxColor: str = Field(
        "#ffffff", title="Box color", description="Fill colour of the boxes when not coloured by category."
    )
    width: int = Field(800, ge=1, description="Image width in pixels (KNIME's svg option).")
    height: int = Field(600, ge=1, description="Image height in pixels.")


_COLOR_KEYS = ("backgroundColor", "daColor", "boxColor")
_BOX_KEYS = (
    "columns",
    "multi",
    "numCol",
    "reportOnMissingValues",
    "failOnSpecialDoubles",
    "title",
    "subtitle",
)
_COND_KEYS = (
    "catCol",
    "columns",
    "numCol",
    "reportOnMissingValues",
    "includeMissValClass",
    "failOnSpecialDoubles",
    "title",
    "subtitle",
    "applyColors",
)
# what only changes KNIME's interactive view, not the picture
_BOX_VIEW_ONLY = (
    "showWarnings",
    "displayFullscreen",
    "enableViewControls",
    "enableColumnSelection",
    "enableTitleEdit",
    "enableSubtitleEdit",
    "enableSwitchMissValClass",
    "hideInWizard",
    "maxRows",
    "generateImage",
    "customCSS",
)


def _hex_color(value: Any) -> str | None:
    """KNIME's colour setting (Red, Green, Blue, Alpha) as #rrggbb (#rrggbbaa when not opaque)."""
    if not isinstance(value, dict) or not all(
        isinstance(value.get(c), int) for c in ("Red", "Green", "Blue")
    ):
        return None
    text = "#" + "".join(f"{int(value[c]):02x}" for c in ("Red", "Green", "Blue"))
    alpha = value.get("Alpha", 255)
    return text if alpha == 255 else text + f"{int(alpha):02x}"


def _box_translator(keys: tuple[str, ...]) -> Any:
    def translate(knime: KnimeSettings) -> None:
        for key in keys:
            knime.take(key)
        for key in _COLOR_KEYS:
            if key in knime.tree:
                color = _hex_color(knime.tree[key])
                if color is None:
                    knime.lost(f"colour setting {key} = {knime.tree[key]!r} cannot be read")
                else:
                    knime.put(key, color, key)
        dynamic_js_view_options(knime, keys + _COLOR_KEYS, _BOX_VIEW_ONLY)

    return translate


# ------------------------------------------------------------------------------------ the boxes


def box_plot_statistics(
    table: Table, columns: list[str], fail_on_special: bool
) -> tuple[dict[str, BoxStatistics], list[str], dict[str, int]]:
    """`calculateMultiple`: (statistics per column with values, columns with only missing values,
    missing values per other column)."""
    row_ids = [str(i) for i in table.df.index]
    stats: dict[str, BoxStatistics] = {}
    excluded: list[str] = []
    missing: dict[str, int] = {}
    for name in columns:
        values = _numbers(table, name, fail_on_special)
        present = ~np.isnan(values)
        if not present.any():
            excluded.append(name)
            continue
        if not present.all():
            missing[name] = int((~present).sum())
        stats[name] = box_statistics(values[present], [r for r, p in zip(row_ids, present, strict=True) if p])
    return stats, excluded, missing


def conditional_statistics(
    table: Table, category: str, column: str, fail_on_special: bool
) -> tuple[dict[str, BoxStatistics], list[str], dict[str, int]]:
    """`calculateMultipleConditional` for one column: (statistics per class with values, classes
    with only missing values, missing values per other class)."""
    keys = table.df[category]
    present_class = keys.notna().to_numpy()
    names = [
        cell_text(v) if p else MISSING_CATEGORY for v, p in zip(keys.tolist(), present_class, strict=True)
    ]
    classes = sorted({n for n, p in zip(names, present_class, strict=True) if p}) + [MISSING_CATEGORY]
    values = _numbers(table, column, fail_on_special)
    row_ids = np.array([str(i) for i in table.df.index], dtype=object)
    name_array = np.array(names, dtype=object)
    stats: dict[str, BoxStatistics] = {}
    excluded: list[str] = []
    missing: dict[str, int] = {}
    for name in classes:
        rows = name_array == name
        present = rows & ~np.isnan(values)
        if not present.any():
            if name != MISSING_CATEGORY or rows.any():
                excluded.append(name)
            continue
        if (rows & ~present).any():
            missing[name] = int((rows & ~present).sum())
        stats[name] = box_statistics(values[present], row_ids[present].tolist())
    return stats, excluded, missing


# ------------------------------------------------------------------------------------ the nodes


def _check_columns(spec: TableSpec, flt: ColumnFilter) -> list[str]:
    columns = flt.apply(spec, allowed_types=ColumnType.NUMERIC)
    if not columns:
        raise ConfigureError("No numeric columns given", setting="columns")
    return columns


class BoxPlot(Node):
    type_name = "box_plot"
    display_name = "Box Plot"
    category = Category.VISUALIZER
    description = (
        "KNIME's JavaScript Box Plot as a PNG: one box per numeric column with KNIME's quartiles (no "
        "interpolation), whiskers at the last values within 1.5 IQR, mild (1.5-3 IQR) and extreme outliers."
    )
    keywords = ("box plot", "boxplot", "box", "whisker", "quartile", "median", "outlier", "view")
    knime = (KnimeMapping("org.knime.dynamic.js.base:boxplot_v2", "Box Plot", _box_translator(_BOX_KEYS)),)
    inputs = (Port(TABLE, "Input Data", "The numeric columns."),)
    outputs = (Port(VIEW, "Box Plot image", "The chart as a PNG picture."),)
    Settings = BoxPlotSettings

    def configure(self, in_specs: list[Any], settings: BoxPlotSettings, ctx: NodeContext) -> list[Any]:
        if isinstance(in_specs[0], TableSpec):
            _check_columns(in_specs[0], settings.columns)
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: BoxPlotSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        columns = _check_columns(table.spec, settings.columns)
        stats, excluded, missing = box_plot_statistics(table, columns, settings.failOnSpecialDoubles)
        shown = settings.numCol or columns[0]
        if settings.multi:
            boxes = {k: stats[k] for k in js_object_order(list(stats))}
        else:
            boxes = {shown: stats[shown]} if shown in stats else {}
        _warn_box_plot(ctx, settings, shown, columns, excluded, missing)
        colors = [settings.boxColor] * len(boxes)

        def draw() -> bytes:
            return _draw_boxes(settings, boxes, colors, "", "" if settings.multi else shown)

        return [View(render=locked(draw), title=settings.title)]


def _warn_box_plot(
    ctx: NodeContext,
    settings: BoxPlotSettings,
    shown: str,
    columns: list[str],
    excluded: list[str],
    missing: dict[str, int],
) -> None:
    """boxplot.js' `processMissingValues`."""
    if shown not in columns:
        ctx.warn(
            "No chart was generated since the Selected Column was not included in the node configuration "
            "dialog.\nPlease choose another column or add the Selected Column to the list of included columns."
        )
    elif settings.multi and len(excluded) == len(columns):
        ctx.warn("No chart was generated since all data columns have only missing values.")
    elif settings.multi and settings.reportOnMissingValues:
        if excluded:
            ctx.warn(
                "Following data columns contain only missing values and were excluded from the view:\n    "
                + "\n    ".join(excluded)
            )
        if missing:
            ctx.warn(
                "Missing values ignored during statistics calculations per data column:\n"
                + "".join(f"    {k} - {v} missing value(s)\n" for k, v in missing.items())
            )
    elif not settings.multi and shown in excluded:
        ctx.warn("No chart was generated since the selected data column has only missing values.")
    elif not settings.multi and shown in missing and settings.reportOnMissingValues:
        ctx.warn(
            f"Missing values ignored during statistics calculations:\n{missing[shown]} missing value(s)."
        )


class ConditionalBoxPlot(Node):
    type_name = "conditional_box_plot"
    display_name = "Conditional Box Plot"
    category = Category.VISUALIZER
    description = (
        "KNIME's JavaScript Conditional Box Plot as a PNG: one box per class of a category column for the "
        "selected numeric column, with KNIME's quartiles, whiskers and mild/extreme outliers; an optional "
        "'Missing values' class; boxes coloured by class."
    )
    keywords = ("conditional box plot", "box plot", "boxplot", "grouped", "category", "quartile", "view")
    knime = (
        KnimeMapping(
            "org.knime.dynamic.js.base:cond_boxplot_v2", "Conditional Box Plot", _box_translator(_COND_KEYS)
        ),
    )
    inputs = (
        Port(TABLE, "Input Data", "The category and numeric columns."),
        Port(
            TABLE, "Color Data", "First column: the class names, coloured by a Color Manager.", optional=True
        ),
    )
    outputs = (Port(VIEW, "Box Plot image", "The chart as a PNG picture."),)
    Settings = ConditionalBoxPlotSettings

    @staticmethod
    def _check(spec: TableSpec, settings: ConditionalBoxPlotSettings) -> list[str]:
        if not settings.catCol:
            raise ConfigureError("No category column given", setting="catCol")
        if settings.catCol not in spec:
            raise ConfigureError(
                f"Configured category column '{settings.catCol}' is not available anymore.", setting="catCol"
            )
        return _check_columns(spec, settings.columns)

    def configure(
        self, in_specs: list[Any], settings: ConditionalBoxPlotSettings, ctx: NodeContext
    ) -> list[Any]:
        if isinstance(in_specs[0], TableSpec):
            self._check(in_specs[0], settings)
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: ConditionalBoxPlotSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        columns = self._check(table.spec, settings)
        for name in columns:  # KNIME computes (and fails on) every included column
            _numbers(table, name, settings.failOnSpecialDoubles)
        shown = settings.numCol or columns[0]
        boxes: dict[str, BoxStatistics] = {}
        if shown in columns:
            stats, excluded, missing = conditional_statistics(
                table, str(settings.catCol), shown, settings.failOnSpecialDoubles
            )
            boxes = shown_classes(stats, settings)
            _warn_conditional(ctx, settings, boxes, stats, excluded, missing)
        else:
            ctx.warn(
                "No chart was generated since the Selected Column was not included in the node configuration "
                "dialog. Please choose another column or add the Selected Column to the list of included columns."
            )
        colors = class_colors(list(boxes), settings, inputs[1] if len(inputs) > 1 else None)

        def draw() -> bytes:
            return _draw_boxes(settings, boxes, colors, str(settings.catCol), shown)

        return [View(render=locked(draw), title=settings.title)]


def shown_classes(
    stats: dict[str, BoxStatistics], settings: ConditionalBoxPlotSettings
) -> dict[str, BoxStatistics]:
    """The boxes condboxplot.js draws, in its order (the 'Missing values' class only when asked)."""
    hide_missing = not (settings.includeMissValClass and settings.reportOnMissingValues)
    keys = [k for k in stats if not (hide_missing and k == MISSING_CATEGORY)]
    return {k: stats[k] for k in js_object_order(keys)}


def class_colors(
    keys: list[str], settings: ConditionalBoxPlotSettings, color_table: Table | None
) -> list[str]:
    """condboxplot.js' box colours: `boxColor`, or by class a d3 ordinal scale: the colour table's
    classes (first column, a string column) with their row colours, else category10/category20;
    a class the scale does not know takes the next colour of its range in order."""
    if not settings.applyColors:
        return [settings.boxColor] * len(keys)
    domain: list[str] = []
    palette = list(D3_CATEGORY20 if len(keys) > 10 else D3_CATEGORY10)
    if isinstance(color_table, Table) and color_table.columns:
        first = color_table.columns[0]
        if color_table.types[first] == ColumnType.STRING:
            found = row_colors(color_table.df) or [DEFAULT_COLOR] * len(color_table)
            names = ["null" if pd.isna(v) else str(v) for v in color_table.df[first]]
            domain = list(dict.fromkeys([*names, "null"]))
            palette = [*found, "#404040"]
    colors = []
    for key in keys:
        if key not in domain:
            domain.append(key)
        colors.append(palette[domain.index(key) % len(palette)])
    return colors


def _warn_conditional(
    ctx: NodeContext,
    settings: ConditionalBoxPlotSettings,
    boxes: dict[str, BoxStatistics],
    stats: dict[str, BoxStatistics],
    excluded: list[str],
    missing: dict[str, int],
) -> None:
    """condboxplot.js' `processMissingValues`."""
    with_missing = settings.includeMissValClass and settings.reportOnMissingValues
    if not with_missing:
        excluded = [c for c in excluded if c != MISSING_CATEGORY]
        missing = {k: v for k, v in missing.items() if k != MISSING_CATEGORY}
    if not boxes:
        hidden = MISSING_CATEGORY in stats and settings.reportOnMissingValues
        ctx.warn(
            "No chart was generated since all classes have only missing values.\n"
            + (
                "There are values where the class name is missing.\nTo see them switch on the option "
                "\"Include 'Missing values' class\" in the view settings."
                if hidden
                else "Choose another data column or re-run the workflow with different data."
            )
        )
        return
    if not settings.reportOnMissingValues:
        return
    if excluded:
        ctx.warn(
            "Following classes contain only missing values and were excluded from the view:\n    "
            + "\n    ".join(excluded)
        )
    if missing:
        ctx.warn(
            "Missing values ignored during statistics calculations per class:\n"
            + "".join(f"    {k} - {v} missing value(s)\n" for k, v in missing.items())
        )


# ------------------------------------------------------------------------------------- drawing


def _draw_boxes(
    settings: BoxPlotSettings | ConditionalBoxPlotSettings,
    boxes: dict[str, BoxStatistics],
    colors: list[str],
    x_label: str,
    y_label: str,
) -> bytes:
    dpi = 100
    fig, ax = figure(settings.title, (settings.width / dpi, settings.height / dpi), dpi)
    fig.set_facecolor(settings.backgroundColor)
    ax.set_facecolor(settings.daColor)
    if settings.subtitle:
        fig.suptitle(settings.subtitle, fontsize="small", y=0.02)
    if not boxes:
        return picture(fig)
    positions = list(range(len(boxes)))
    drawn = [
        {"med": s.median, "q1": s.lower_quartile, "q3": s.upper_quartile, "whislo": s.lower_whisker}
        | {"whishi": s.upper_whisker, "fliers": [], "label": name}
        for name, s in boxes.items()
    ]
    parts = ax.bxp(
        drawn,
        positions=positions,
        widths=0.4,
        patch_artist=True,
        showfliers=False,
        medianprops={"color": "black", "linewidth": 3},
        whiskerprops={"linestyle": "--", "color": "black"},
        capprops={"color": "black"},
        boxprops={"edgecolor": "black"},
    )
    for patch, color in zip(parts["boxes"], colors, strict=True):
        patch.set_facecolor(color)
    for x, s in zip(positions, boxes.values(), strict=True):
        _draw_outliers(ax, x, s, settings.daColor)
        for value in (s.upper_quartile, s.lower_quartile):
            ax.annotate(js_round2(value), (x - 0.2, value), ha="right", va="center", fontsize="small")
        for value in (s.median, s.upper_whisker, s.lower_whisker):
            ax.annotate(js_round2(value), (x + 0.2, value), ha="left", va="center", fontsize="small")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    return picture(fig)


def _draw_outliers(ax: Any, x: float, s: BoxStatistics, face: str) -> None:
    if s.mild_outliers:
        ys = [v for v, _ in s.mild_outliers]
        ax.scatter([x] * len(ys), ys, s=50, facecolors=face, edgecolors="black", zorder=3)
    if s.extreme_outliers:
        ys = [v for v, _ in s.extreme_outliers]
        ax.scatter([x] * len(ys), ys, s=40, marker="x", color="black", zorder=3)
