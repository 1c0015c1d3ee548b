"""Shared parts of the view nodes: KNIME's view-only settings, axis limits and scales, plottable
columns, the empty picture that names missing columns (a view still executes then, as in
KNIME: 11_01's Scatter Plot #244 keeps stale column names), and the Boolean selection column the
JavaScript views append to their table output.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    ColumnType,
    ConfigureError,
    NodeContext,
    NodeError,
    NodeSettings,
    Table,
    TableSpec,
    View,
    row_ids,
    unique_column_name,
    variable_type,
)
from engine.api.knime import KnimeSettings
from nodes._plotting import figure, locked, picture
from nodes._variables import resolve_variable_references

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
_png = picture


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


def selection_spec(spec: TableSpec, name: str, fallback: str) -> tuple[TableSpec, str]:
    """The table spec plus a JavaScript view's Boolean selection column (`name`, or `fallback`
    when blank, made unique), and that column's name."""
    column = unique_column_name(set(spec.names), name.strip() or fallback)
    return spec.append((column, ColumnType.BOOLEAN)), column


def with_selection(table: Table, name: str, fallback: str, limit: int | None = None) -> Table:
    """The input plus the view's selection column: nothing is selected in a batch run (false),
    the rows past `limit` are not in the view at all (missing)."""
    _, column = selection_spec(table.spec, name, fallback)
    flags = [False if limit is None or i < limit else None for i in range(len(table))]
    df = table.df.copy()
    df[column] = pd.array(flags, dtype="boolean")
    return table.with_frame(df, {column: ColumnType.BOOLEAN})


# ----------------------------------------------------------- Text Output (legacy) and Text Output Widget


class TextOutputSettings(NodeSettings):
    """KNIME's TextOutputConfig / TextOutputWidgetConfig (the two generations save the same keys)."""

    text: str = Field(
        "", description="The text; $${Sname}$$, $${Iname}$$, $${Dname}$$ insert flow variables."
    )
    textFormat: Literal["Text", "Preformatted", "Html"] = Field(
        "Text",
        title="Text format",
        description="How KNIME's page shows it; knitflow keeps the text as it is.",
    )
    label: str = Field("", description="The title shown above the text.")


def text_output_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["text", "textFormat", "label"])
    knime.unread("description", "hideInWizard", "customCSS")  # the page's tooltip, visibility and styling


def resolved_text(text: str, ctx: NodeContext, setting: str) -> str:
    """FlowVariableResolver.parse over the variables the node sees; its failures fail the node."""

    def variable_of(name: str) -> tuple[Any, str] | None:
        value = ctx.variables.get(name)
        return None if value is None else (value, variable_type(value))

    try:
        return resolve_variable_references(text, variable_of)
    except ValueError as exc:
        raise NodeError(str(exc), setting=setting) from None


def text_output_view(settings: TextOutputSettings, ctx: NodeContext, default_title: str) -> View:
    """The resolved text as a one-cell table titled by the label."""
    text = resolved_text(settings.text, ctx, "text")
    frame = pd.DataFrame({"Text": pd.Series([text], index=row_ids(1), dtype=object)})
    return View(title=settings.label or default_title, table=Table(frame, {"Text": ColumnType.STRING}))
