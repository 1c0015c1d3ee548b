"""Numeric Binner: KNIME's user-defined intervals turning numeric columns into String bin names.

Each column has a chain of bins, each a named interval whose ends are open or closed; a value gets
the name of the first bin that covers it, a missing value, NaN or a value no bin covers a missing
cell (BinnerColumnFactory.apply). The result replaces the column in place or is appended under
`is_appended`; appended columns come in the order KNIME's `HashMap` of binned columns iterates
them, which is not the dialog's order. KNIME only loads a chain running from -Infinity to
+Infinity without gaps (BinnerNodeModel.validateSettings): other chains fail with KNIME's message.

KNIME's binned column also lists every bin name as a possible value, used or not; knitflow has no
column domains, so nodes after it see only the names that occur. The PMML variant's optional PMML
input and its PMML output (the binning as a PMML transformation) have no counterpart.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
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
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._java_hash import capacity_after_puts, hash_order, string_hash_code
from nodes._java_text import java_double_to_string

# DoubleValue-compatible cells (a BooleanCell is a DoubleValue too: 1 or 0)
_DOUBLE_COMPATIBLE = ColumnType.NUMERIC | {ColumnType.BOOLEAN}
_BIN_KEYS = ("bin_name", "left_open", "left_value", "right_open", "right_value")


class NumericBin(NodeSettings):
    """KNIME's NumericBin (one interval)."""

    bin_name: str = Field(description="The name written for values in this interval.")
    left_open: bool = Field(description="The left end does not belong to the interval.")
    left_value: float = Field(description="The left end (-inf for the first bin).")
    right_open: bool = Field(description="The right end does not belong to the interval.")
    right_value: float = Field(description="The right end (inf for the last bin).")


class BinnedColumn(NodeSettings):
    """One entry of KNIME's `binned_columns`: the column's bins and `<column>_is_appended`."""

    column: str = Field(description="The numeric column to bin.", json_schema_extra=widget("column"))
    bins: list[NumericBin] = Field(
        default_factory=list,
        description="The intervals, from -inf to inf, each starting where the last ends.",
    )
    is_appended: str | None = Field(
        None, description="Name of the appended String column; none: the bin names replace the column."
    )


class NumericBinnerSettings(NodeSettings):
    """KNIME's BinnerNodeModel settings."""

    binned_columns: list[BinnedColumn] = Field(default_factory=list, description="The columns to bin.")


def _chain_problems(entry: BinnedColumn) -> list[str]:
    """BinnerNodeModel.validateSettings for one column: each bin starts where the last ended
    (the first at -Infinity), no bin runs backwards or is a point with an open end, the last
    ends at +Infinity."""
    col, problems, old = entry.column, [], -math.inf
    for b in entry.bins:
        left, right = b.left_value, b.right_value
        if left != old:
            problems.append(
                f"{col}: {b.bin_name} check interval: left={java_double_to_string(left)},"
                f"oldright={java_double_to_string(old)}"
            )
        if right < left:
            problems.append(
                f"{col}: {b.bin_name} check interval: left={java_double_to_string(left)},"
                f"right={java_double_to_string(right)}"
            )
        elif right == left and (b.left_open or b.right_open):
            problems.append(
                f"{col}: {b.bin_name} check borders: left={java_double_to_string(left)},"
                f"right={java_double_to_string(right)}"
            )
        old = right
    if old != math.inf:
        problems.append(f"{col}: check last right interval value={java_double_to_string(old)}")
    return problems


def _settings_problems(settings: NumericBinnerSettings) -> list[str]:
    return [p for entry in settings.binned_columns for p in _chain_problems(entry)]


def _binner_from_knime(knime: KnimeSettings) -> None:
    """`binned_columns` names the columns; each has a config of bins (`<name>_<index>`, read in
    file order as KNIME does) and `<column>_is_appended` (null: replace). Bindings on these keys
    have no counterpart (no KNIME path is tied to the knitflow setting)."""
    columns = [str(c) for c in seq(knime.get("binned_columns"))]
    entries = []
    for column in columns:
        bins = knime.get(column)
        if not isinstance(bins, dict) or not all(_is_bin(b) for b in bins.values()):
            knime.unreadable(f"the bins of column {column!r} are not in a layout KNIME can load")
            return
        entries.append(
            BinnedColumn(
                column=column,
                bins=[NumericBin(**{k: b[k] for k in _BIN_KEYS}) for b in bins.values()],
                is_appended=knime.get(f"{column}_is_appended"),
            )
        )
    settings = NumericBinnerSettings(binned_columns=entries)
    knime.put("binned_columns", settings.model_dump()["binned_columns"])
    problems = _settings_problems(settings)
    if problems:
        knime.lost("KNIME refuses to load these bins: " + "; ".join(problems))
    knime.unread("binned_columns", *columns, *(f"{c}_is_appended" for c in columns))


def _is_bin(tree: Any) -> bool:
    """A bin config NumericBin(NodeSettingsRO) can read: a name, two flags, two numbers."""
    if not isinstance(tree, dict) or any(k not in tree for k in _BIN_KEYS):
        return False
    flags = (tree["left_open"], tree["right_open"])
    ends = (tree["left_value"], tree["right_value"])
    return (
        isinstance(tree["bin_name"], str)
        and all(isinstance(f, bool) for f in flags)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in ends)
    )


def _plan(spec: TableSpec, settings: NumericBinnerSettings, cls: type[NodeError]) -> list[BinnedColumn]:
    """The columns in the order KNIME bins them, checked as BinnerNodeModel.configure does."""
    problems = _settings_problems(settings)
    if problems:
        raise cls("\n".join(problems), setting="binned_columns")
    by_column = {e.column: e for e in settings.binned_columns}
    if len(by_column) < len(settings.binned_columns):
        raise cls("a column is binned twice", setting="binned_columns")
    ordered = [
        by_column[c]
        for c in hash_order(list(by_column), string_hash_code, capacity_after_puts(len(by_column)))
    ]
    appended: set[str] = set()
    for entry in ordered:
        col = spec.get(entry.column)
        if col is None:
            raise cls(f'Binner: column "{entry.column}" not found in spec.', setting="binned_columns")
        if col.type not in _DOUBLE_COMPATIBLE:
            raise cls(
                f'Binner: column "{entry.column}" not compatible with double-type.', setting="binned_columns"
            )
        if entry.is_appended is not None and (entry.is_appended in spec or entry.is_appended in appended):
            raise cls(
                f'Binner: duplicate appended column "{entry.is_appended}" in spec.', setting="binned_columns"
            )
        if entry.is_appended is not None:
            appended.add(entry.is_appended)
    return ordered


def _doubles(series: pd.Series) -> np.ndarray:
    """DoubleValue.getDoubleValue of each cell; NaN for a missing one."""
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "biuf":
        return series.to_numpy(dtype=np.float64)
    return np.asarray(series.astype(object).where(series.notna(), np.nan), dtype=np.float64)


def _bin_names(values: np.ndarray, bins: list[NumericBin]) -> np.ndarray:
    """The first covering bin's name per value (NumericBin.covers), None where none covers it."""
    out = np.full(len(values), None, dtype=object)
    free = np.ones(len(values), dtype=bool)
    for b in bins:
        covers = (b.left_value < values) & (values < b.right_value)
        if not b.left_open:
            covers |= values == b.left_value
        if not b.right_open:
            covers |= values == b.right_value
        hit = covers & free
        out[hit] = b.bin_name
        free &= ~hit
    return out


def _duplicate_name_warning(settings: NumericBinnerSettings) -> str | None:
    """KNIME's warning for a bin name used twice in one column (the last one found wins)."""
    warning = None
    for entry in settings.binned_columns:
        seen: set[str] = set()
        for b in entry.bins:
            if b.bin_name in seen:
                warning = f'Bin name "{b.bin_name}" is used for different intervals.'
            seen.add(b.bin_name)
    return warning


class NumericBinner(Node):
    type_name = "numeric_binner"
    display_name = "Numeric Binner"
    category = Category.MANIPULATOR
    description = (
        "Bins numeric columns into named intervals with open or closed ends: each value gets the name of the "
        "first bin covering it (missing when none does, or the value is missing); the String column of bin "
        "names replaces the column or is appended."
    )
    keywords = ("bin", "binning", "discretize", "interval", "categorize", "bucket", "range", "numeric binner")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.binner.BinnerNodeFactory", "Numeric Binner", _binner_from_knime
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.pmml.binner.BinnerNodeFactory",
            "Numeric Binner (PMML)",
            _binner_from_knime,
            ports=lambda _cfg: ({2: None}, {2: None}),  # the PMML input and output have no counterpart
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Binned table"),)
    Settings = NumericBinnerSettings

    def configure(self, in_specs: list[Any], settings: NumericBinnerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        for entry in _plan(spec, settings, ConfigureError):
            if entry.is_appended is None:
                spec = spec.replace(entry.column, ColumnType.STRING)
            else:
                spec = spec.append((entry.is_appended, ColumnType.STRING))
        return [spec]

    def execute(self, inputs: list[Any], settings: NumericBinnerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        plan = _plan(table.spec, settings, NodeError)
        if not plan:
            ctx.warn("No column select for binning.")
        warning = _duplicate_name_warning(settings)
        if warning:
            ctx.warn(warning)
        df = table.df.copy(deep=False)
        types = {}
        for entry in plan:
            target = entry.column if entry.is_appended is None else entry.is_appended
            df[target] = _bin_names(_doubles(table.df[entry.column]), entry.bins)
            types[target] = ColumnType.STRING
        return [table.with_frame(df, types)]
