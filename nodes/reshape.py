"""Reshaping tables: Unpivot and Cross Joiner (Pivot: nodes/pivot.py), with KNIME's output naming and RowIDs.

The SVD workflows (12_01, 12_02) build a diagonal matrix out of a Cross Joiner and a Pivot and
read recommendations from an Unpivot, so the column names (`0.0+Sum(diag)`), the column order
and the RowIDs (`Row0_Row1`, `Row0`...) must be KNIME's exactly.
"""

from __future__ import annotations

import math
from decimal import Decimal
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
    row_ids,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping
from nodes._aggregation import (
    cell_text,
)
from nodes._column_types import typed_column
from nodes._common import ColumnFilter, need_table, spec_or_none

# ------------------------------------------------------------------------------- shared helpers


def java_double(value: float) -> str:
    """Java's `Double.toString`: KNIME renders pivot values with it (`0.0`, `1.0E10`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    assert isinstance(exponent, int)
    exponent += len(digits) - len(text)
    e10 = len(text) + exponent - 1  # exponent of the first significant digit
    prefix = "-" if sign else ""
    if 1e-3 <= abs(value) < 1e7:
        if e10 >= 0:
            whole = text[: e10 + 1].ljust(e10 + 1, "0")
            frac = text[e10 + 1 :] or "0"
        else:
            whole, frac = "0", "0" * (-e10 - 1) + text
        return f"{prefix}{whole}.{frac}"
    return f"{prefix}{text[0]}.{text[1:] or '0'}E{e10}"


# ------------------------------------------------------------------------------------ Cross Joiner


class CrossJoinerSettings(NodeSettings):
    rigthSuffix: str = Field(  # KNIME's key, misspelt as in settings.xml
        " (#1)",
        description="Appended (repeatedly if needed) to bottom-table column names that clash with top-table names.",
        json_schema_extra=widget("text"),
    )
    CFG_SEPARATOR: str = Field(
        "_", description="Separator between the top and the bottom RowID in the new RowID."
    )
    CFG_SHOW_FIRST: bool = Field(False, description="Append a column with the top table's RowIDs.")
    CFG_SHOW_SECOND: bool = Field(False, description="Append a column with the bottom table's RowIDs.")
    CFG_FIRST_COLUMNNAME: str = Field(
        "FirstRowIDs", description="Name of the top-RowID column.", json_schema_extra=widget("new_column")
    )
    CFG_SECOND_COLUMNNAME: str = Field(
        "SecondRowIDs", description="Name of the bottom-RowID column.", json_schema_extra=widget("new_column")
    )


def _cross_spec(left: TableSpec, right: TableSpec, s: CrossJoinerSettings) -> tuple[TableSpec, list[str]]:
    """Output spec and the renamed right columns (CrossJoinerNodeModel.createSpec)."""
    if not s.rigthSuffix.strip():
        raise ConfigureError("Empty values for suffix are not allowed!", setting="rigthSuffix")
    left_names = set(left.names)
    right_names = set(right.names)
    new_names: list[str] = []
    renamed: list[str] = []
    for col in right.columns:
        name = col.name
        while name in left_names or name in new_names:
            name += s.rigthSuffix
            while name in right_names:
                name += s.rigthSuffix
        if name != col.name:
            new_names.append(name)
        renamed.append(name)
    spec = TableSpec.of(
        [(c.name, c.type) for c in left.columns]
        + [(n, c.type) for n, c in zip(renamed, right.columns, strict=True)]
    )
    extra: list[tuple[str, str]] = []
    if s.CFG_SHOW_FIRST:
        if not s.CFG_FIRST_COLUMNNAME.strip():
            raise ConfigureError(
                "Empty values for column name(top) are not allowed!", setting="CFG_FIRST_COLUMNNAME"
            )
        extra.append((unique_column_name(set(spec.names), s.CFG_FIRST_COLUMNNAME), ColumnType.STRING))
        spec = spec.append(extra[-1])
    if s.CFG_SHOW_SECOND:
        if not s.CFG_SECOND_COLUMNNAME.strip():
            raise ConfigureError(
                "Empty values for column name(bottom) are not allowed!", setting="CFG_SECOND_COLUMNNAME"
            )
        extra.append((unique_column_name(set(spec.names), s.CFG_SECOND_COLUMNNAME), ColumnType.STRING))
        spec = spec.append(extra[-1])
    return spec, renamed


class CrossJoiner(Node):
    type_name = "cross_joiner"
    display_name = "Cross Joiner"
    category = Category.MANIPULATOR
    description = (
        "Combines every row of the top table with every row of the bottom table (Cartesian product). "
        "Rows come top-row-major; RowIDs are `<top RowID><separator><bottom RowID>`; bottom columns whose "
        "names clash with top columns get the suffix."
    )
    keywords = ("cartesian", "product", "join", "combine", "all pairs")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.crossjoin.CrossJoinerNodeFactory",
            "Cross Joiner",
            skip=("CFG_CACHE",),
        ),
    )
    inputs = (Port(TABLE, "Top table", "Left table (its rows vary slowest)"), Port(TABLE, "Bottom table"))
    outputs = (Port(TABLE, "Joined table", "Every top row combined with every bottom row"),)
    Settings = CrossJoinerSettings

    def configure(self, in_specs: list[Any], settings: CrossJoinerSettings, ctx: NodeContext) -> list[Any]:
        left, right = spec_or_none(in_specs[0]), spec_or_none(in_specs[1])
        if left is None or right is None:
            if not settings.rigthSuffix.strip():
                raise ConfigureError("Empty values for suffix are not allowed!", setting="rigthSuffix")
            return [UNKNOWN]
        return [_cross_spec(left, right, settings)[0]]

    def execute(self, inputs: list[Any], settings: CrossJoinerSettings, ctx: NodeContext) -> list[Any]:
        left, right = need_table(inputs[0], 1), need_table(inputs[1], 2)
        spec, renamed = _cross_spec(left.spec, right.spec, settings)
        n_left, n_right = len(left), len(right)
        li = np.repeat(np.arange(n_left), n_right)
        ri = np.tile(np.arange(n_right), n_left)
        parts = [left.df.iloc[li].reset_index(drop=True)]
        right_part = right.df.iloc[ri].reset_index(drop=True)
        right_part.columns = renamed
        parts.append(right_part)
        left_ids = np.asarray(left.row_ids, dtype=object)
        right_ids = np.asarray(right.row_ids, dtype=object)
        ids = [f"{a}{settings.CFG_SEPARATOR}{b}" for a, b in zip(left_ids[li], right_ids[ri], strict=True)]
        extra_names = spec.names[len(left.columns) + len(renamed) :]
        extra = {}
        if settings.CFG_SHOW_FIRST:
            extra[extra_names.pop(0)] = pd.Series(left_ids[li], dtype="object")
        if settings.CFG_SHOW_SECOND:
            extra[extra_names.pop(0)] = pd.Series(right_ids[ri], dtype="object")
        if extra:
            parts.append(pd.DataFrame(extra))
        df = pd.concat(parts, axis=1)
        if len(set(ids)) != len(ids):
            dup = pd.Index(ids)[pd.Index(ids).duplicated()][0]
            raise NodeError(
                f"duplicate RowID {dup!r} in the joined table: choose a separator that does not occur in the RowIDs",
                setting="CFG_SEPARATOR",
            )
        df.index = pd.Index(ids, dtype=object)
        return [Table(df, {c.name: c.type for c in spec.columns})]


# -------------------------------------------------------------------------------------- Unpivot


class UnpivotSettings(NodeSettings):
    value_columns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="Columns whose values are unpivoted (one output row per cell).",
    )
    retained_columns: ColumnFilter = Field(
        default_factory=ColumnFilter, description="Columns copied onto every output row of their input row."
    )
    missing_values: bool = Field(
        False, description="Skip cells with missing values (KNIME's `missing-values`)."
    )


def _common_type(types: list[str]) -> str:
    """KNIME's common super type, as far as our column types go."""
    kinds = set(types)
    if len(kinds) == 1:
        return types[0]
    if kinds <= {ColumnType.INTEGER, ColumnType.LONG}:
        return ColumnType.LONG
    if kinds <= ColumnType.NUMERIC:
        return ColumnType.DOUBLE
    return ColumnType.STRING


def _unpivot_spec(spec: TableSpec, s: UnpivotSettings) -> tuple[TableSpec, list[str], list[str]]:
    values = s.value_columns.apply(spec)
    if not values:
        raise ConfigureError("No column 'value' defined for unpivoting operation.", setting="value_columns")
    retained = s.retained_columns.apply(spec)
    names = []
    for base in ("RowIDs", "ColumnNames", "ColumnValues"):
        name, idx = base, 0
        while name in spec:
            name = f"{base}({idx})"
            idx += 1
        names.append(name)
    value_type = _common_type([spec.type_of(c) for c in values])
    out = TableSpec.of(
        [(names[0], ColumnType.STRING), (names[1], ColumnType.STRING), (names[2], value_type)]
        + [(c, spec.type_of(c)) for c in retained]
    )
    if len(set(out.names)) != len(out.names):
        raise ConfigureError(
            f"retained columns clash with the new column names {names}", setting="retained_columns"
        )
    return out, values, retained


class Unpivot(Node):
    type_name = "unpivot"
    display_name = "Unpivot"
    category = Category.MANIPULATOR
    description = (
        "Turns the selected value columns into rows: for each input row and value column one row with the input "
        "RowID (`RowIDs`), the column name (`ColumnNames`) and the cell (`ColumnValues`), followed by the retained "
        "columns. Output RowIDs are Row0, Row1, ..."
    )
    keywords = ("melt", "long format", "stack", "wide to long")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.unpivot2.Unpivot2NodeFactory", "Unpivot", skip=("enable-hiliting",)
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Unpivoted table"),)
    Settings = UnpivotSettings

    def configure(self, in_specs: list[Any], settings: UnpivotSettings, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        return [_unpivot_spec(spec, settings)[0]]

    def execute(self, inputs: list[Any], settings: UnpivotSettings, ctx: NodeContext) -> list[Any]:
        table = need_table(inputs[0], 1)
        out_spec, values, retained = _unpivot_spec(table.spec, settings)
        n_rows, n_vals = len(table), len(values)
        value_type = out_spec.columns[2].type
        frame = table.df[values]
        if value_type in ColumnType.NUMERIC:
            if value_type == ColumnType.DOUBLE:
                cells: Any = frame.to_numpy(dtype="float64", na_value=np.nan).ravel()
                missing = np.isnan(cells)
            else:
                obj = frame.astype("Int64").to_numpy(dtype=object, na_value=None).ravel()
                missing = np.array([v is None for v in obj], dtype=bool)
                cells = obj
        else:
            cells = frame.to_numpy(dtype=object).ravel()
            missing = np.array(
                [v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) for v in cells],
                dtype=bool,
            )
            if len(set(table.spec.type_of(c) for c in values)) > 1:
                cells = np.array(
                    [
                        None if m else cell_text(v, ColumnType.STRING)
                        for v, m in zip(cells, missing, strict=True)
                    ],
                    dtype=object,
                )
        row_idx = np.repeat(np.arange(n_rows), n_vals)
        col_idx = np.tile(np.arange(n_vals), n_rows)
        keep = ~missing if settings.missing_values else np.ones(len(cells), dtype=bool)
        row_idx, col_idx, cells = row_idx[keep], col_idx[keep], cells[keep]
        ids = np.asarray(table.row_ids, dtype=object)
        names = np.asarray(values, dtype=object)
        n_out = len(cells)
        data: dict[str, Any] = {
            out_spec.names[0]: pd.Series(ids[row_idx], dtype="object"),
            out_spec.names[1]: pd.Series(names[col_idx], dtype="object"),
        }
        if value_type == ColumnType.DOUBLE:
            data[out_spec.names[2]] = pd.Series(cells, dtype="float64")
        elif value_type in (ColumnType.INTEGER, ColumnType.LONG):
            data[out_spec.names[2]] = typed_column(list(cells), value_type)
        elif value_type == ColumnType.BOOLEAN:
            data[out_spec.names[2]] = typed_column(list(cells), value_type)
        else:
            data[out_spec.names[2]] = pd.Series(cells, dtype="object")
        for col in retained:
            data[col] = table.df[col].iloc[row_idx].reset_index(drop=True)
        df = pd.DataFrame(data)
        df.index = row_ids(n_out)
        return [Table(df, {c.name: c.type for c in out_spec.columns})]
