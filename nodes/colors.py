"""Color Manager and Color Appender (org.knime.base.node.viz.property.color).

A colour model is attached to one column of the table (see `nodes._colors`: it rides in the
DataFrame's `attrs`, the way KNIME keeps a `ColorHandler` in the column spec) and handed out on a
colour-model port. Views colour their points by it.

Nominal colouring (`ColorManager2DialogNominal.createColorMapping`): the column's distinct values,
sorted case-insensitively by their text, take the palette's colours in turn (starting over when
the palette is used up). Range colouring interpolates linearly between the colours of the column's
minimum and maximum.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._colors import COLUMN_NAMES, ColorModel, cell_key, set_color_model, settings_cell_text

COLOR_MODEL = PortType.register(PortType("viewproperty.color", "Color model", "#b0b0b0", "square"))

# ColorManager2NodeModel.PaletteOption: set_1 'Paired', set_2 'Set3' (colorbrewer2.org), set_3 colour-blind safe
PALETTES: dict[str, list[str]] = {
    "set_1": [
        "#33a02c",
        "#e31a1c",
        "#b15928",
        "#6a3d9a",
        "#1f78b4",
        "#ff7f00",
        "#b2df8a",
        "#fdbf6f",
        "#fb9a99",
        "#cab2d6",
        "#a6cee3",
        "#ffff99",
    ],  # fmt: skip
    "set_2": [
        "#fb8072",
        "#bc80bd",
        "#b3de69",
        "#80b1d3",
        "#fdb462",
        "#8dd3c7",
        "#bebada",
        "#ffed6f",
        "#ccebc5",
        "#d9d9d9",
        "#fccde5",
        "#ffffb3",
    ],  # fmt: skip
    "set_3": ["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"],
}
NOMINAL_TYPES = frozenset({ColumnType.STRING, ColumnType.BOOLEAN, ColumnType.SMILES})


def _java_case_insensitive(text: str) -> str:
    """A sort key ordering as `String.CASE_INSENSITIVE_ORDER`: each char upper-cased, then lower-cased
    (Java maps char by char, so a char whose Python case mapping has several chars stays as it is)."""
    out = []
    for ch in text:
        up = ch.upper() if len(ch.upper()) == 1 else ch
        out.append(up.lower() if len(up.lower()) == 1 else up)
    return "".join(out)


def nominal_model(values: list[str], palette_option: str, custom: dict[str, str]) -> ColorModel:
    """`createColorMapping` for a palette, or the user's colours for `custom_set` (black for values
    without one, KNIME's UNKNOWN_VALUE_PALETTE)."""
    if palette_option == "custom_set":
        colors = {v: custom.get(v, "#000000") for v in values}
        return ColorModel("nominal", colors, ["#000000"])
    palette = PALETTES[palette_option]
    ordered = sorted(values, key=_java_case_insensitive)
    colors = {v: palette[i % len(palette)] for i, v in enumerate(ordered)}
    return ColorModel("nominal", colors, list(palette))


def _argb_to_hex(value: Any) -> str:
    """KNIME stores colours as `Color.getRGB()` ints (ARGB); the alpha is dropped."""
    if isinstance(value, str):
        return value
    return f"#{int(value) & 0xFFFFFF:06x}"


def distinct_values(series: pd.Series) -> list[str]:
    """The column's possible values (KNIME's domain) in order of appearance, missing cells left out."""
    return list(dict.fromkeys(cell_key(v) for v in series.tolist() if not pd.isna(v)))


def _color_port(column: str, model: ColorModel) -> Model:
    return Model("color", (column, model), f'Coloring on "{column}"', spec=ModelSpec("color"))


# ------------------------------------------------------------------------------------ Color Manager


class ColorManagerSettings(NodeSettings):
    selected_column: str | None = Field(
        None,
        title="Color by",
        description="The column whose values colour the rows, or `<_COLUMNS-CONTAINED-IN-TABLE_>` to colour the "
        "column names (line plots); default: the last String column.",
    )
    is_nominal: bool = Field(
        True,
        title="Nominal",
        description="Nominal colours per value (true) or a colour range (numeric columns).",
    )
    palette_option: Literal["set_1", "set_2", "set_3", "custom_set"] = Field(
        "set_1",
        title="Palette",
        description="set_1 ('Paired'), set_2 ('Set3'), set_3 (colour-blind safe) or custom_set (custom_colors).",
    )
    custom_colors: dict[str, str] = Field(
        default_factory=dict,
        title="Custom colours",
        description="custom_set: colour per value, e.g. {ZB: '#ff0000'}; values without one are black.",
    )
    min_color: str = Field(
        "#ff0000", title="Minimum colour", description="Range colouring: colour of the minimum."
    )
    max_color: str = Field(
        "#00ff00", title="Maximum colour", description="Range colouring: colour of the maximum."
    )


def _color_manager_from_knime(knime: KnimeSettings) -> None:
    knime.take("selected_column")
    knime.take("is_nominal")
    knime.take("palette_option", default="custom_set")  # settings without it predate the palettes
    values = [settings_cell_text(v) for v in seq(knime.get("values"))]
    if values:
        knime.put("custom_colors", {v: _argb_to_hex(knime.get(v)) for v in values}, "values")
    for key in ("min_color", "max_color"):
        if knime.get(key) is not None:
            knime.put(key, _argb_to_hex(knime.get(key)), key)
    knime.unread(*values)  # one colour per value, keyed by the value's text


class ColorManager(Node):
    """KNIME's Color Manager (ColorManager2NodeFactory)."""

    type_name = "color_manager"
    display_name = "Color Manager"
    category = Category.VISUALIZER
    description = (
        "Assigns colours to the values of a nominal column (a palette, or custom colours) or to the range of a "
        "numeric column; the table passes unchanged with the colour model attached to that column, and views "
        "colour their points by it. Port 2 carries the colour model for Color Appender."
    )
    keywords = ("color", "colour", "palette", "legend", "view property")
    knime = (
        KnimeMapping(
            "org.knime.base.node.viz.property.color.ColorManager2NodeFactory",
            "Color Manager",
            _color_manager_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "The table to colour."),)
    outputs = (
        Port(TABLE, "Table with colours", "The input with the colour model attached."),
        Port(COLOR_MODEL, "Color model", "The colour model (for Color Appender)."),
    )
    Settings = ColorManagerSettings

    @staticmethod
    def _column(spec: TableSpec, settings: ColorManagerSettings, ctx: NodeContext | None) -> str:
        column = settings.selected_column
        if column is None:
            nominal = [c.name for c in spec.columns if c.type in NOMINAL_TYPES]
            if not nominal:
                raise ConfigureError(
                    "No column selected and no categorical column available.", setting="selected_column"
                )
            column = nominal[-1]
            if ctx is not None:
                ctx.warn(f'Selected column "{column}" with default nominal color mapping.')
            return column
        if column != COLUMN_NAMES and column not in spec:
            raise ConfigureError(f'Column "{column}" not found.', setting="selected_column")
        if (
            column != COLUMN_NAMES
            and not settings.is_nominal
            and spec.type_of(column) not in ColumnType.NUMERIC
        ):
            raise ConfigureError(
                f'Column "{column}" is not numeric (but {spec.type_of(column)}) and not valid for numeric range '
                "coloring",
                setting="selected_column",
            )
        if column != COLUMN_NAMES and settings.is_nominal and spec.type_of(column) not in NOMINAL_TYPES:
            raise ConfigureError(
                f'Column "{column}" has no nominal values set: execute predecessor or add Binner.',
                setting="selected_column",
            )
        return column

    def configure(self, in_specs: list[Any], settings: ColorManagerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, ModelSpec("color")]
        self._column(spec, settings, None)
        return [spec, ModelSpec("color")]

    def execute(self, inputs: list[Any], settings: ColorManagerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        column = self._column(table.spec, settings, ctx)
        df = table.df.copy(deep=False)
        if column == COLUMN_NAMES:
            model = nominal_model(table.columns, settings.palette_option, settings.custom_colors)
        elif settings.is_nominal or column not in table.columns:
            model = nominal_model(
                distinct_values(table.df[column]), settings.palette_option, settings.custom_colors
            )
        else:
            values = pd.to_numeric(table.df[column], errors="coerce").dropna()
            lower = float(values.min()) if len(values) else math.nan
            upper = float(values.max()) if len(values) else math.nan
            model = ColorModel(
                "range", lower=lower, upper=upper, min_color=settings.min_color, max_color=settings.max_color
            )
        set_color_model(df, column, model)
        return [table.with_frame(df), _color_port(column, model)]


# ----------------------------------------------------------------------------------- Color Appender


class ColorAppenderSettings(NodeSettings):
    apply_to_column_names: bool = Field(
        False, title="Apply to column names", description="Colour the column names (a nominal model needed)."
    )
    selected_column: str | None = Field(
        None,
        title="Append colors to",
        description="The column that receives the colour model (default: the model's own column, if present).",
    )


def _color_appender_from_knime(knime: KnimeSettings) -> None:
    knime.take("apply_to_column_names")
    knime.take("selected_column")
    knime.unread()


class ColorAppender(Node):
    """KNIME's Color Appender (ColorAppender3NodeFactory; ColorAppender2NodeFactory without port 2)."""

    type_name = "color_appender"
    display_name = "Color Appender"
    category = Category.VISUALIZER
    description = (
        "Attaches a colour model from a Color Manager to a column of another table. For a nominal model, values the "
        "model does not know take the palette colours it has not used yet (KNIME's applyToNewValues)."
    )
    keywords = ("color", "colour", "apply", "palette", "view property")
    knime = (
        KnimeMapping(
            "org.knime.base.node.viz.property.color.ColorAppender3NodeFactory",
            "Color Appender",
            _color_appender_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.viz.property.color.ColorAppender2NodeFactory",
            "Color Appender",
            _color_appender_from_knime,
        ),
    )
    inputs = (
        Port(COLOR_MODEL, "Color model", "The colour model."),
        Port(TABLE, "Table", "The table to colour."),
    )
    outputs = (
        Port(TABLE, "Table with colours", "The input with the colour model attached."),
        Port(COLOR_MODEL, "Color model", "The model as applied (new values included)."),
    )
    Settings = ColorAppenderSettings

    def configure(self, in_specs: list[Any], settings: ColorAppenderSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[1]
        if isinstance(spec, TableSpec) and settings.selected_column and not settings.apply_to_column_names:
            if settings.selected_column not in spec:
                raise ConfigureError(
                    f'Column "{settings.selected_column}" not available.', setting="selected_column"
                )
        return [spec if isinstance(spec, TableSpec) else UNKNOWN, ModelSpec("color")]

    def execute(self, inputs: list[Any], settings: ColorAppenderSettings, ctx: NodeContext) -> list[Any]:
        model_port: Model = inputs[0]
        table: Table = inputs[1]
        source_column, model = model_port.payload
        if settings.apply_to_column_names:
            if model.kind != "nominal":
                raise NodeError(
                    "Node is configured to apply coloring to column names but the input model does not "
                    "represent a model on nominal values.",
                    setting="apply_to_column_names",
                )
            column = COLUMN_NAMES
            applied = model.with_new_values(table.columns)
        else:
            chosen = settings.selected_column or (source_column if source_column in table.columns else None)
            if chosen is None:
                raise NodeError("Node is not properly configured.", setting="selected_column")
            column = chosen
            if column not in table.columns:
                raise NodeError(f'Column "{column}" not available.', setting="selected_column")
            applied = (
                model.with_new_values(distinct_values(table.df[column])) if model.kind == "nominal" else model
            )
        df = table.df.copy(deep=False)
        set_color_model(df, column, applied)
        label = column if not settings.apply_to_column_names else COLUMN_NAMES
        return [table.with_frame(df), _color_port(label, applied)]
