"""Shape and size models carried with a table, as KNIME keeps a `ShapeHandler` / `SizeHandler` in
a column's spec (the Shape Manager and Size Manager set them; the local Scatter Plot draws with
them). Like the colours (`nodes._colors`) they ride on the DataFrame's metadata, so every node that
passes the column through keeps them. KNIME keeps one handler of each kind per table: setting one
on a column removes it from the others (`appendShapeHandler` / `appendSizeHandler`).

Shapes: KNIME's `ShapeModelNominal`, value text -> shape name (`ShapeFactory`; "Default" is the
rectangle). Sizes: `SizeModelDouble`, a factor between 1 and `factor` from the value's place in the
column's [min, max] by the mapping LINEAR, SQUARE_ROOT, LOGARITHMIC or EXPONENTIAL; a missing value,
a value out of range or a non-number gets the default factor 1. Where Java's arithmetic gives NaN
(a logarithm of a non-positive bound, an empty range) the factor is NaN, and the plots draw the
point at the default size.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from nodes._colors import cell_key

SHAPES_ATTR = "knime.shapes"
SIZES_ATTR = "knime.sizes"

# ShapeFactory's names (both spellings of the X shape) as matplotlib markers
SHAPE_MARKERS = {
    "Rectangle": "s",
    "Default": "s",
    "Circle": "o",
    "Triangle": "^",
    "Reverse Triangle": "v",
    "Diamond": "D",
    "Cross": "+",
    "Asterisk": "*",
    "X-Shape": "x",
    "X Shape": "x",
    "Horizontal Line": "_",
    "Vertical Line": "|",
}
SIZE_MAPPINGS = ("LINEAR", "SQUARE_ROOT", "LOGARITHMIC", "EXPONENTIAL")


def set_shapes(df: pd.DataFrame, column: str, shapes: dict[str, str]) -> None:
    """Attach the shape model to `column` (in place), replacing the table's previous one."""
    df.attrs[SHAPES_ATTR] = {"column": column, "shapes": dict(shapes)}


def set_sizes(df: pd.DataFrame, column: str, low: float, high: float, factor: float, mapping: str) -> None:
    """Attach the size model to `column` (in place), replacing the table's previous one."""
    df.attrs[SIZES_ATTR] = {"column": column, "min": low, "max": high, "factor": factor, "mapping": mapping}


def row_markers(df: pd.DataFrame) -> list[str] | None:
    """Each row's matplotlib marker by the table's shape model; None without one."""
    model = df.attrs.get(SHAPES_ATTR)
    if not model or model.get("column") not in df.columns:
        return None
    shapes = model["shapes"]
    return [
        SHAPE_MARKERS.get(shapes.get(cell_key(v), "Default"), "s") if not _missing(v) else "s"
        for v in df[model["column"]].tolist()
    ]


def size_factor(value: Any, low: float, high: float, factor: float, mapping: str) -> float:
    """SizeModelDouble.getSizeFactor."""
    if _missing(value) or isinstance(value, str | bool):
        return 1.0
    d = float(value)
    if d < low or d > high:
        return 1.0
    scale = {
        "LINEAR": lambda v: v,
        "SQUARE_ROOT": lambda v: math.sqrt(v) if v >= 0 else math.nan,
        "LOGARITHMIC": lambda v: math.log(v) if v > 0 else math.nan,
        "EXPONENTIAL": lambda v: v * v,
    }[mapping]
    span = scale(high) - scale(low)
    if not span or math.isnan(span):  # Java's 0/0 or a log/sqrt of a non-positive bound: NaN
        return math.nan
    return (scale(d) - scale(low)) / span * (factor - 1) + 1


def row_size_factors(df: pd.DataFrame) -> list[float] | None:
    """Each row's size factor by the table's size model; None without one."""
    model = df.attrs.get(SIZES_ATTR)
    if not model or model.get("column") not in df.columns:
        return None
    args = (model["min"], model["max"], model["factor"], model["mapping"])
    return [size_factor(v, *args) for v in df[model["column"]].tolist()]


def draw_points(
    ax: Any,
    xs: np.ndarray,
    ys: np.ndarray,
    keep: np.ndarray,
    colors: np.ndarray,
    markers: list[str] | None,
    factors: list[float] | None,
    *,
    base_size: float,
) -> None:
    """Scatter the kept points in their colours, one call per marker (matplotlib draws one marker
    kind per call); a size factor multiplies the marker's width (its area by the square)."""
    sizes = np.full(len(xs), float(base_size))
    if factors is not None:
        f = np.array(factors, dtype=float)
        sizes = base_size * np.where(np.isnan(f), 1.0, f) ** 2
    kinds = np.array(markers if markers is not None else ["o"] * len(xs), dtype=object)
    for marker in dict.fromkeys(kinds[keep].tolist()):
        mask = keep & (kinds == marker)
        ax.scatter(xs[mask], ys[mask], s=sizes[mask], c=colors[mask].tolist(), marker=marker)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


__all__ = [
    "SHAPE_MARKERS",
    "SIZE_MAPPINGS",
    "draw_points",
    "row_markers",
    "row_size_factors",
    "set_shapes",
    "set_sizes",
    "size_factor",
]
