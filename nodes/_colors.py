"""Colour models carried with a table, as KNIME keeps a `ColorHandler` in a column's spec.

A table's colours live in its DataFrame's metadata, `df.attrs["knime.colors"]`: a dict from column
name to a JSON-able colour model (`ColorModel.to_dict`), the entry added last being the active one
(KNIME colours a row by one column's handler). pandas carries `attrs` through row and column
selections, copies, sorting and appended columns (`df[...]`, `.loc`, `.copy()`, `df[c] = ...`), so
every node that passes a column through keeps its colours, as KNIME's column rearrangers do; a
node that builds a new frame starts without colours, as a KNIME node creating new column specs.
No engine change is needed: `Table` is untouched, the attribute rides on the frame.

The model is KNIME's `ColorModelNominal` (value -> colour; the palette colours values the Color Appender meets anew)
or `ColorModelRange` (linear between the colours of the column's lower and upper bound).
`COLUMN_NAMES` is the column-name model of the Color Manager (colours for columns, used by line plots).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

ATTR = "knime.colors"
COLUMN_NAMES = (
    "<_COLUMNS-CONTAINED-IN-TABLE_>"  # ColorManager2NodeModel.COLUMNS_CONTAINED_IN_TABLE_IDENTIFIER
)
DEFAULT_COLOR = "#808080"  # KNIME's ColorAttr.DEFAULT (grey) for rows without a colour


@dataclass
class ColorModel:
    """One column's colours: `nominal` (value text -> "#rrggbb", `palette` for values not listed)
    or `range` (`lower`/`upper` bound with `min_color`/`max_color`)."""

    kind: str  # "nominal" or "range"
    colors: dict[str, str] = field(default_factory=dict)
    palette: list[str] = field(default_factory=list)
    lower: float = math.nan
    upper: float = math.nan
    min_color: str = "#ff0000"
    max_color: str = "#00ff00"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "colors": dict(self.colors),
            "palette": list(self.palette),
            "lower": self.lower,
            "upper": self.upper,
            "min_color": self.min_color,
            "max_color": self.max_color,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColorModel:
        return cls(
            kind=str(data.get("kind", "nominal")),
            colors=dict(data.get("colors") or {}),
            palette=list(data.get("palette") or []),
            lower=float(data.get("lower", math.nan)),
            upper=float(data.get("upper", math.nan)),
            min_color=str(data.get("min_color", "#ff0000")),
            max_color=str(data.get("max_color", "#00ff00")),
        )

    def color_of(self, value: Any) -> str:
        """The colour of one cell: missing cells and values the model does not list get KNIME's
        default grey (`ColorModelNominal.getColorAttr`); the palette only serves the Color Appender."""
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return DEFAULT_COLOR
        if self.kind == "range":
            return self._interpolate(float(value))
        return self.colors.get(cell_key(value), DEFAULT_COLOR)

    def with_new_values(self, values: list[str]) -> ColorModel:
        """`ColorModelNominal.applyToNewValues`: values not in the model take the palette colours not
        used yet, in order, starting over when the palette is used up."""
        colors = dict(self.colors)
        free = [c for c in self.palette if c not in colors.values()]
        for value in values:
            if not free:
                free = list(self.palette)
            assigned = colors.get(value)
            if assigned is not None:
                if assigned in free:
                    free.remove(assigned)
            elif free:
                colors[value] = free.pop(0)
        return ColorModel("nominal", colors, list(self.palette))

    def _interpolate(self, value: float) -> str:
        lo, hi = self.lower, self.upper
        if math.isnan(lo) or math.isnan(hi) or hi == lo:
            ratio = 0.0 if math.isnan(lo) or value <= lo else 1.0
        else:
            ratio = min(1.0, max(0.0, (value - lo) / (hi - lo)))
        a, b = _rgb(self.min_color), _rgb(self.max_color)
        return "#" + "".join(f"{round(x + (y - x) * ratio):02x}" for x, y in zip(a, b, strict=True))


def cell_key(value: Any) -> str:
    """A cell as the colour map keys it (KNIME's `DataCell.toString()` for the common types)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def settings_cell_text(cell: Any) -> str:
    """A DataCell as KNIME writes it in settings ({datacell: class, class: {field: value}}) as text."""
    if isinstance(cell, dict):
        inner = cell.get(str(cell.get("datacell")))
        if isinstance(inner, dict) and inner:
            return cell_key(next(iter(inner.values())))
    return cell_key(cell)


def _rgb(color: str) -> tuple[int, int, int]:
    text = color.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def color_models(df: pd.DataFrame) -> dict[str, ColorModel]:
    """The colour models of a frame's columns that are still there (in the order they were set)."""
    raw = df.attrs.get(ATTR) or {}
    present = set(map(str, df.columns))
    return {c: ColorModel.from_dict(m) for c, m in raw.items() if c in present or c == COLUMN_NAMES}


def active_color_column(df: pd.DataFrame) -> str | None:
    """The column whose colours the rows take (the model set last), None without one."""
    models = [c for c in color_models(df) if c != COLUMN_NAMES]
    return models[-1] if models else None


def set_color_model(df: pd.DataFrame, column: str, model: ColorModel) -> None:
    """Attach `model` to `column` of `df` (in place; make a shallow copy of a frame you do not own)."""
    raw = dict(df.attrs.get(ATTR) or {})
    raw.pop(column, None)
    raw[column] = model.to_dict()
    df.attrs[ATTR] = raw


def row_colors(df: pd.DataFrame, column: str | None = None) -> list[str] | None:
    """Each row's colour by `column`'s model (default: the active one); None when there is none."""
    models = color_models(df)
    column = column if column is not None else active_color_column(df)
    if column is None or column not in models or column not in df.columns:
        return None
    model = models[column]
    return [model.color_of(v) for v in df[column].tolist()]
