"""Normalizer, Normalizer (Apply) and Denormalizer: KNIME's affine column normalisation, bit for bit.

KNIME computes the statistics with Apache Commons Math's incremental `Mean` and bias-corrected
`Variance` (one pass, Welford-style updates) and applies `y = scale * x + translation`. The same
operation order is used here, so normalised values equal KNIME's to the last bit (10_03's recorded
R² is reproduced to 16 digits only this way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
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
from engine.api.knime import KnimeMapping, KnimeSettings, ignore_settings, seq
from nodes._common import ColumnFilter
from nodes._java_text import java_double_to_string

NORMALIZER_MODEL = PortType.register(PortType("model.normalizer", "Normalizer model", "#52b788", "square"))

VERY_SMALL = 1e-10  # AffineTransTable.VERY_SMALL: rounding slack at the min/max bounds


@dataclass(frozen=True)
class AffineTransform:
    """KNIME's AffineTransConfiguration: per column y = scale * x + translation, with optional
    bounds (NaN: none) that absorb rounding errors."""

    names: tuple[str, ...]
    scales: tuple[float, ...]
    translations: tuple[float, ...]
    mins: tuple[float, ...]
    maxs: tuple[float, ...]
    summary: str
    mode: str

    def inverse(self) -> AffineTransform:
        """AffineTransConfiguration's inverse (the Denormalizer): x = y / scale - translation / scale,
        without bounds."""
        with np.errstate(divide="ignore", invalid="ignore"):
            scales = tuple(float(np.float64(1.0) / np.float64(s)) for s in self.scales)
            translations = tuple(
                float(-np.float64(t) / np.float64(s))
                for s, t in zip(self.scales, self.translations, strict=True)
            )
        nan = tuple(float("nan") for _ in self.names)
        return AffineTransform(
            self.names, scales, translations, nan, nan, f"inverse of {self.summary}", self.mode
        )

    def apply(self, table: Table, *, strict: bool) -> tuple[Table, list[str]]:
        """The transformed table and warnings. strict (the Normalizer itself): a value outside the
        bounds beyond rounding is an error; otherwise (Normalizer Apply) only a warning."""
        df = table.df.copy(deep=False)  # columns are replaced below, never written into: no data copy
        types = dict(table.types)
        warnings: list[str] = []
        absent = [n for n in self.names if n not in table.types]
        if absent:
            warnings.append(
                f"Normalization was not applied to {len(absent)} column(s) as they do not exist in the table: {absent}"
            )
        for name, scale, trans, lo, hi in zip(
            self.names, self.scales, self.translations, self.mins, self.maxs, strict=True
        ):
            if name not in table.types:
                continue
            x = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            y = scale * x + trans
            interval = hi - lo
            with np.errstate(divide="ignore", invalid="ignore"):
                if not np.isnan(lo):
                    low = y < lo
                    snap = low & ((lo - y) / interval < VERY_SMALL)
                    y[snap] = lo
                    if (low & ~snap).any():
                        warnings.append(_out_of_bounds(x, y, low & ~snap, "Lower Bound", lo))
                if not np.isnan(hi):
                    high = y > hi
                    snap = high & ((y - hi) / interval < VERY_SMALL)
                    y[snap] = hi
                    if (high & ~snap).any():
                        warnings.append(_out_of_bounds(x, y, high & ~snap, "Upper Bound", hi))
            df[name] = y
            types[name] = ColumnType.DOUBLE
        if strict and any(w.startswith("Normalized value") for w in warnings):
            raise NodeError(next(w for w in warnings if w.startswith("Normalized value")))
        return Table(df, types), warnings


def _out_of_bounds(x: np.ndarray, y: np.ndarray, bad: np.ndarray, which: str, bound: float) -> str:
    k = int(np.flatnonzero(bad)[0])
    return (
        f"Normalized value is out of bounds. Original value: {java_double_to_string(float(x[k]))} "
        f"Transformed value: {java_double_to_string(float(y[k]))} {which}: {java_double_to_string(bound)}"
    )


# ----------------------------------------------------------------------------------- statistics


def commons_math_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of `x` (rows x columns, NaN = missing): count, Commons Math `Mean` and
    bias-corrected `Variance`, updated row by row exactly like `FirstMoment`/`SecondMoment`."""
    n_cols = x.shape[1]
    n = np.zeros(n_cols)
    m1 = np.zeros(n_cols)
    m2 = np.zeros(n_cols)
    present = ~np.isnan(x)
    for row, ok in zip(x, present, strict=True):
        if not ok.any():
            continue
        n = np.where(ok, n + 1.0, n)
        d = np.where(ok, row, 0.0)
        dev = d - m1
        n_dev = dev / np.where(ok, n, 1.0)
        m1 = np.where(ok, m1 + n_dev, m1)
        m2 = np.where(ok, m2 + (n - 1.0) * dev * n_dev, m2)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, m1, np.nan)
        var = np.where(n > 1, m2 / (n - 1.0), np.where(n == 1, 0.0, np.nan))
    var = np.where((var < 0.0) & (var > -1.0e8), 0.0, var)  # Statistics3Table's round-off guard
    return n, mean, var


def _double_format(value: float) -> str:
    return java_double_to_string(value)


def fit_normalizer(
    table: Table, columns: list[str], mode: str, new_min: float, new_max: float
) -> tuple[AffineTransform, list[str]]:
    """KNIME's Normalizer2: statistics over all rows, columns with only missing values skipped."""
    x = (
        np.column_stack(
            [
                pd.to_numeric(table.df[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
                for c in columns
            ]
        )
        if columns
        else np.zeros((len(table), 0))
    )
    warnings: list[str] = []
    n_rows = len(table)
    all_missing = [c for i, c in enumerate(columns) if np.isnan(x[:, i]).sum() == n_rows]
    if all_missing:
        warnings.append(f"Ignore column(s) {' '.join(all_missing)} as it/they contain only missing values")
    keep = [i for i, c in enumerate(columns) if c not in all_missing]
    names = tuple(columns[i] for i in keep)
    if len(keep) < len(columns):  # a copy of the whole matrix only when a column is dropped
        x = x[:, keep]
    k = len(names)
    with np.errstate(all="ignore"):
        if mode == "Z_SCORE":
            _, mean, var = commons_math_moments(x)
            sd = np.sqrt(var)
            scales = np.where(sd == 0.0, 1.0, 1.0 / sd)
            trans = -mean * scales
            scales = np.where(np.isnan(mean), np.nan, scales)
            mins = maxs = np.full(k, np.nan)
            summary = f"Z-Score (Gaussian) normalization on {k} column(s)"
        else:
            lo = np.nanmin(x, axis=0) if k and n_rows else np.full(k, np.nan)
            hi = np.nanmax(x, axis=0) if k and n_rows else np.full(k, np.nan)
            if mode == "MINMAX":
                scales = np.where(hi == lo, 1.0, 1.0 / (hi - lo))
                trans = -lo * scales
                scales = scales * (new_max - new_min)
                trans = trans * (new_max - new_min) + new_min
                mins, maxs = np.full(k, new_min), np.full(k, new_max)
                summary = (
                    f"Min/Max ({_double_format(new_min)}, {_double_format(new_max)}) normalization "
                    f"on {k} column(s)"
                )
            else:  # DECIMALSCALING
                scales = np.empty(k)
                for i in range(k):
                    value = max(abs(float(hi[i])), abs(float(lo[i])))
                    if np.isinf(value):
                        raise NodeError(f"Cannot handle infinite values: {names[i]}", setting="mode")
                    exp = 0
                    while abs(value) > 1:
                        value = value / 10
                        exp += 1
                    scales[i] = 1.0 / float(10.0**exp)
                trans = np.zeros(k)
                mins, maxs = np.full(k, -1.0), np.full(k, 1.0)
                summary = f"Decimal Scaling normalization on {k} column(s)"
    transform = AffineTransform(
        names,
        tuple(map(float, scales)),
        tuple(map(float, trans)),
        tuple(map(float, mins)),
        tuple(map(float, maxs)),
        summary,
        mode,
    )
    return transform, warnings


# ----------------------------------------------------------------------------------- Normalizer


class NormalizerSettings(NodeSettings):
    mode: Literal["MINMAX", "Z_SCORE", "DECIMALSCALING"] = Field(
        "MINMAX",
        description="MINMAX: linear map of [min, max] onto [new_min, new_max]; Z_SCORE: (x - mean) / sd with the "
        "sample standard deviation (n - 1), constant columns only centred; DECIMALSCALING: divide by the power of "
        "10 that brings the largest absolute value to at most 1.",
    )
    data_column_filter_config: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="Columns to normalize (only numeric columns qualify; EnforceExclusion = KNIME's "
        "includeUnknownColumns: new numeric columns are normalized too).",
    )
    new_min: float = Field(0.0, description="MINMAX: the new minimum.")
    new_max: float = Field(1.0, description="MINMAX: the new maximum.")


def _selected(spec: TableSpec, settings: NormalizerSettings) -> list[str]:
    return settings.data_column_filter_config.apply(spec, allowed_types=ColumnType.NUMERIC)


def _normalizer_from_knime(knime: KnimeSettings) -> None:
    """Normalizer3: mode, new-min, new-max and the columns, since 5.3 as the web UI's
    `dataColumnFilterConfig`, before as the classic `data-column-filter` (Normalizer3Config)."""
    knime.take("mode")
    knime.take("new_min", "new-min")
    knime.take("new_max", "new-max")
    columns = "dataColumnFilterConfig" if "dataColumnFilterConfig" in knime.tree else "data-column-filter"
    knime.take("data_column_filter_config", columns)
    knime.unread()


# Normalizer2NodeModel / NormalizerNodeModel: the mode as a number
_LEGACY_MODES = {1: "MINMAX", 2: "Z_SCORE", 3: "DECIMALSCALING"}


def _legacy_normalizer_from_knime(knime: KnimeSettings) -> None:
    """The Normalizer before Normalizer3 (`normalize` and `normalize2`): mode 0-3, newmin, newmax,
    the `columns` array, or all numeric columns with `all_numeric_columns_used` (or no array)."""
    tree = knime.tree
    mode = _LEGACY_MODES.get(tree.get("mode", 2))
    if mode is None:
        knime.unreadable(f"Normalizer: mode {tree.get('mode')!r} (no normalization) is not supported")
        return
    knime.put("mode", mode, "mode")
    knime.take("new_min", "newmin")
    knime.take("new_max", "newmax")
    columns = tree.get("columns")
    if tree.get("all_numeric_columns_used") or columns is None:
        flt: dict[str, Any] = {}  # every numeric column, also those added later
    else:
        # (KNIME fails when a listed column is missing; knitflow skips it)
        flt = {"included_names": list(seq(columns)), "enforce_option": "EnforceInclusion"}
    knime.put("data_column_filter_config", flt, "columns")
    knime.unread("all_numeric_columns_used")


class Normalizer(Node):
    type_name = "normalizer"
    display_name = "Normalizer"
    category = Category.MANIPULATOR
    description = (
        "Normalizes numeric columns over all rows: Z-score (sample standard deviation, n - 1), min-max onto "
        "[new_min, new_max], or decimal scaling. Normalized columns become Double and keep their names and "
        "positions; missing cells stay missing; other columns are untouched. Port 2 holds the transformation for "
        'Normalizer (Apply), summarised like KNIME ("Z-Score (Gaussian) normalization on 18 column(s)").'
    )
    keywords = ("normalize", "standardize", "z-score", "scale", "min-max", "rescale", "feature scaling")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.normalize3.Normalizer3NodeFactory",
            "Normalizer",
            _normalizer_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.normalize2.Normalizer2NodeFactory",
            "Normalizer (legacy)",
            _legacy_normalizer_from_knime,
            note="KNIME's older node computes its statistics with Statistics3Table: the last digits may differ",
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.normalize.NormalizerNodeFactory",
            "Normalizer (legacy)",
            _legacy_normalizer_from_knime,
            note="KNIME's older node computes its statistics with Statistics3Table: the last digits may differ",
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (
        Port(TABLE, "Normalized table"),
        Port(NORMALIZER_MODEL, "Normalizer model", "The transformation, for Normalizer (Apply)"),
    )
    Settings = NormalizerSettings

    def configure(self, in_specs: list[Any], settings: NormalizerSettings, ctx: NodeContext) -> list[Any]:
        if settings.mode == "MINMAX" and settings.new_min > settings.new_max:
            raise ConfigureError("new_min must not be larger than new_max", setting="new_min")
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        out = spec
        columns = _selected(spec, settings)
        for name in columns:
            out = out.replace(name, ColumnType.DOUBLE)
        return [out, ModelSpec("normalizer", spec.select(columns))]

    def execute(self, inputs: list[Any], settings: NormalizerSettings, ctx: NodeContext) -> list[Any]:
        if settings.mode == "MINMAX" and settings.new_min > settings.new_max:
            raise NodeError("new_min must not be larger than new_max", setting="new_min")
        table: Table = inputs[0]
        columns = _selected(table.spec, settings)
        if not columns:
            ctx.log("No columns included - input stays unchanged.")
        transform, warnings = fit_normalizer(
            table, columns, settings.mode, settings.new_min, settings.new_max
        )
        out, more = transform.apply(table, strict=True)
        for w in warnings + more:
            ctx.log(w)
        types = dict(out.types)
        for name in columns:  # all selected columns are Double, also those skipped for having no values
            types[name] = ColumnType.DOUBLE
        df = out.df
        for name in columns:
            if name not in transform.names:
                df[name] = pd.to_numeric(df[name], errors="coerce").astype("float64")
        model = Model(
            "normalizer",
            transform,
            transform.summary,
            spec=ModelSpec("normalizer", table.spec.select(columns)),
        )
        return [Table(df, types), model]


# ---------------------------------------------------------------------------- Normalizer (Apply)


class NormalizerApply(Node):
    type_name = "normalizer_apply"
    display_name = "Normalizer (Apply)"
    category = Category.PREDICTOR
    description = (
        "Applies a Normalizer's transformation (the same scale and offset per column) to another table, e.g. the "
        "test data. Model columns missing from the table are skipped with a warning; values outside the training "
        "range are kept."
    )
    keywords = ("normalize", "apply", "transform", "scale", "test data")
    knime: ClassVar[tuple[KnimeMapping, ...]] = (
        KnimeMapping(
            "org.knime.base.node.preproc.normalize3.NormalizerApplyNodeFactory",
            "Normalizer (Apply)",
            ignore_settings,
            note="no settings",
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.normalize.NormalizerApplyNodeFactory",
            "Normalizer (Apply) (legacy)",
            ignore_settings,
            note="no settings; the same ports (model, table) -> table",
        ),
    )
    inputs = (
        Port(NORMALIZER_MODEL, "Normalizer model"),
        Port(TABLE, "Table to normalize"),
    )
    outputs = (Port(TABLE, "Normalized table"),)

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        model, spec = in_specs
        if not isinstance(model, ModelSpec) or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        out = spec
        for name in model.learning_columns.names:
            col = spec.get(name)
            if col is None:
                continue
            if not col.is_numeric():
                raise ConfigureError(f'Column "{name}" is to be normalized, but is not numeric')
            out = out.replace(name, ColumnType.DOUBLE)
        return [out]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        model, table = inputs
        transform = model.payload
        if not isinstance(transform, AffineTransform):
            raise NodeError("the model port does not hold a normalizer model")
        for name in transform.names:
            col = table.spec.get(name)
            if col is not None and not col.is_numeric():
                raise NodeError(f'Column "{name}" is to be normalized, but is not numeric')
        out, warnings = transform.apply(table, strict=False)
        for w in warnings:
            ctx.log(w)
        return [out]


class Denormalizer(NormalizerApply):
    """KNIME's Denormalizer: undoes a Normalizer with its model."""

    type_name = "denormalizer"
    display_name = "Denormalizer"
    description = (
        "Reverts a Normalizer's transformation with its model (x = (y - offset) / scale per column), e.g. to "
        "turn normalized predictions back into the original units. Model columns missing from the table are "
        "skipped with a warning."
    )
    keywords = ("denormalize", "inverse", "normalizer", "original scale", "unscale")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.normalize.NormalizerDeNodeFactory",
            "Denormalizer",
            ignore_settings,
            note="no settings",
        ),
    )
    inputs = (
        Port(NORMALIZER_MODEL, "Normalizer model"),
        Port(TABLE, "Table to denormalize"),
    )
    outputs = (Port(TABLE, "Denormalized table"),)

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        model, table = inputs
        transform = model.payload
        if not isinstance(transform, AffineTransform):
            raise NodeError("the model port does not hold a normalizer model")
        return super().execute(
            [Model(model.kind, transform.inverse(), model.summary, model.spec), table], settings, ctx
        )
