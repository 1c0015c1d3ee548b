"""Histogram: KNIME's binning (fixed count, custom edges) drawn with matplotlib when looked at."""

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
from nodes._views import (
    _INTERACTION,
    _figure,
    _first_numeric,
    _label,
    _locked,
    _missing_columns,
    _note,
    _numeric,
    _png,
)

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
