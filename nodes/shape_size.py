"""Shape Manager and Size Manager (org.knime.base.node.viz.property.shape / .size).

Both pass their table through unchanged and attach a view property to one column (`nodes._shapes`):
the Shape Manager a shape per nominal value, the Size Manager a size factor from a numeric column's
range. The local Scatter Plot draws its points with them, as KNIME's Swing views do. The second
output is the property on its own (KNIME's ShapeHandlerPortObject / SizeHandlerPortObject).

KNIME takes the Size Manager's range from the column's domain; knitflow's tables keep no domain, so
the range is the column's smallest and largest value in the input (the domain KNIME computes for a
freshly read table; a domain KNIME kept from before a row filter can be wider).
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
from nodes._colors import settings_cell_text
from nodes._shapes import SHAPE_MARKERS, set_shapes, set_sizes

SHAPE_MODEL = PortType.register(PortType("viewproperty.shape", "Shape model", "#b0b0b0", "square"))
SIZE_MODEL = PortType.register(PortType("viewproperty.size", "Size model", "#b0b0b0", "square"))

ShapeName = Literal[
    "Rectangle",
    "Circle",
    "Triangle",
    "Reverse Triangle",
    "Diamond",
    "Cross",
    "Asterisk",
    "X-Shape",
    "Horizontal Line",
    "Vertical Line",
    "Default",
]

# ------------------------------------------------------------------------------------ Shape Manager


class ShapeManagerSettings(NodeSettings):
    selected_column: str | None = Field(None, title="Shapes by", description="The nominal column.")
    shapes: dict[str, ShapeName] = Field(
        default_factory=dict,
        description="Shape per value, e.g. {ZB: Circle}; values not listed get the default (a rectangle).",
    )


def _shape_manager_from_knime(knime: KnimeSettings) -> None:
    """ShapeManagerNodeModel.saveSettingsTo: `selected_column`, the values as a DataCell array
    `values`, and each value's shape name under the value's text."""
    knime.take("selected_column")
    values = [settings_cell_text(v) for v in seq(knime.get("values"))]
    shapes = {}
    for value in values:
        shape = "X-Shape" if knime.get(value) == "X Shape" else str(knime.get(value))
        if shape not in SHAPE_MARKERS:
            knime.lost(f"shape {shape!r} of value {value!r} is not one of KNIME's shapes")
            continue
        shapes[value] = shape
    knime.put("shapes", shapes, "values")
    knime.unread(*values)


class ShapeManager(Node):
    """KNIME's Shape Manager: a shape per value of a nominal column, for the views."""

    type_name = "shape_manager"
    display_name = "Shape Manager"
    category = Category.VISUALIZER
    description = (
        "Assigns a shape to each value of a nominal column; the table passes unchanged with the shapes attached "
        "to that column (replacing shapes set before), and the local Scatter Plot draws its points with them. "
        "Port 2 carries the shape model."
    )
    keywords = ("shape", "marker", "symbol", "view property", "legend")
    knime = (
        KnimeMapping(
            "org.knime.base.node.viz.property.shape.ShapeManagerNodeFactory",
            "Shape Manager",
            _shape_manager_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "The table to give shapes."),)
    outputs = (
        Port(TABLE, "Table with shapes", "The input with the shape model attached."),
        Port(SHAPE_MODEL, "Shape model", "The shape model."),
    )
    Settings = ShapeManagerSettings

    def configure(self, in_specs: list[Any], settings: ShapeManagerSettings, ctx: NodeContext) -> list[Any]:
        if settings.selected_column is None:
            raise ConfigureError("No column selected.", setting="selected_column")
        spec = in_specs[0]
        if isinstance(spec, TableSpec) and settings.selected_column not in spec:
            raise ConfigureError(f"Column {settings.selected_column} not found.", setting="selected_column")
        if not settings.shapes:
            raise ConfigureError("No shapes defined to apply.", setting="shapes")
        return [spec if isinstance(spec, TableSpec) else UNKNOWN, ModelSpec("shape")]

    def execute(self, inputs: list[Any], settings: ShapeManagerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self.configure([table.spec], settings, ctx)
        column = str(settings.selected_column)
        df = table.df.copy(deep=False)
        set_shapes(df, column, dict(settings.shapes))
        summary = f"Shapes based on column {column!r}"
        return [
            table.with_frame(df),
            Model("shape", (column, dict(settings.shapes)), summary, ModelSpec("shape")),
        ]


# ------------------------------------------------------------------------------------- Size Manager


class SizeManagerSettings(NodeSettings):
    selected_column: str | None = Field(None, title="Sizes by", description="The numeric column.")
    size_factor: float = Field(
        2.0, ge=1, title="Scaling factor", description="The largest value is drawn this many times larger."
    )
    size_mapping_method: Literal["LINEAR", "SQUARE_ROOT", "LOGARITHMIC", "EXPONENTIAL"] = Field(
        "LINEAR",
        title="Mapping method",
        description="How a value's place in the column's range becomes its size.",
    )


def _size_manager_from_knime(knime: KnimeSettings) -> None:
    """SizeManager2NodeModel: `selected_column`, `size_factor`, `size_mapping_method` (settings saved
    before the last two existed load KNIME's defaults, 2 and LINEAR)."""
    knime.take("selected_column")
    knime.take("size_factor")
    knime.take("size_mapping_method")
    knime.unread()


class SizeManager(Node):
    """KNIME's Size Manager: a size per row from a numeric column's range, for the views."""

    type_name = "size_manager"
    display_name = "Size Manager"
    category = Category.VISUALIZER
    description = (
        "Gives each row a size factor between 1 and the scaling factor from its value's place in a numeric "
        "column's range (linear, square root, logarithmic or exponential); the table passes unchanged with the "
        "sizes attached to that column, and the local Scatter Plot draws its points with them."
    )
    keywords = ("size", "marker size", "view property", "scale")
    knime = (
        KnimeMapping(
            "org.knime.base.node.viz.property.size.SizeManager2NodeFactory",
            "Size Manager",
            _size_manager_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "The table to give sizes."),)
    outputs = (
        Port(TABLE, "Table with sizes", "The input with the size model attached."),
        Port(SIZE_MODEL, "Size model", "The size model."),
    )
    Settings = SizeManagerSettings

    def configure(self, in_specs: list[Any], settings: SizeManagerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        column = settings.selected_column
        if isinstance(spec, TableSpec):
            if column is None or column not in spec:
                raise ConfigureError(f"Column {column} not found.", setting="selected_column")
            if spec.type_of(column) not in ColumnType.NUMERIC:
                raise ConfigureError(f"No bounds defined for column: {column}", setting="selected_column")
        return [spec if isinstance(spec, TableSpec) else UNKNOWN, ModelSpec("size")]

    def execute(self, inputs: list[Any], settings: SizeManagerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self.configure([table.spec], settings, ctx)
        column = str(settings.selected_column)
        values = pd.to_numeric(table.df[column], errors="coerce").dropna()
        if values.empty or not math.isfinite(values.min()) or not math.isfinite(values.max()):
            raise NodeError(f"No bounds defined for column: {column}", setting="selected_column")
        low, high = float(values.min()), float(values.max())
        df = table.df.copy(deep=False)
        set_sizes(df, column, low, high, settings.size_factor, settings.size_mapping_method)
        model = {
            "min": low,
            "max": high,
            "factor": settings.size_factor,
            "mapping": settings.size_mapping_method,
        }
        summary = (
            f"DoubleRange SizeModel (factor={settings.size_factor:g}, method={settings.size_mapping_method})"
        )
        return [table.with_frame(df), Model("size", (column, model), summary, ModelSpec("size"))]


__all__ = ["SHAPE_MODEL", "SIZE_MODEL", "ShapeManager", "SizeManager"]
