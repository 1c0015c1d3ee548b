"""KNIME's Extract Table Spec: one row per input column describing it (DataTableSpecExtractor).

The rows are named by the columns and hold the column's name, KNIME's name of its type, its index,
optionally whether it has a colour, size, shape or filter handler, its domain's lower and upper
bound and optionally its possible values as a set. knitflow keeps no domains in its specs: like
its other nodes it takes the domain a new KNIME table gets from the data (DataTableDomainCreator's
defaults): bounds of numbers, booleans and dates and times, possible values of strings and
booleans while a column has at most 60 distinct values, in order of first appearance.

Type names follow KNIME's LEGACY_DISPLAY_NAME format (`DataType.toString()` before 5.5:
"Number (double)", "Boolean value", ...), which is what every workflow made before 5.5 gets;
the 5.5 formats IDENTIFIER and DISPLAY_NAME are not reproduced (an import finding).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._colors import COLUMN_NAMES, color_models
from nodes._rows import cell_text, common_type, is_missing
from nodes._shapes import SHAPES_ATTR, SIZES_ATTR

# DataType.toString() of the types knitflow holds whose KNIME name is known
LEGACY_TYPE_NAMES = {
    ColumnType.STRING: "String",
    ColumnType.INTEGER: "Number (integer)",
    ColumnType.LONG: "Number (long)",
    ColumnType.DOUBLE: "Number (double)",
    ColumnType.BOOLEAN: "Boolean value",
    ColumnType.LOCAL_DATE: "Local Date",
    ColumnType.LOCAL_TIME: "Local Time",
    ColumnType.LOCAL_DATE_TIME: "Local Date Time",
    ColumnType.JSON: "JSON",
}
NOMINAL = frozenset({ColumnType.STRING, ColumnType.SMILES, ColumnType.BOOLEAN})  # NominalValue cells
BOUNDED = frozenset(ColumnType.NUMERIC | ColumnType.DATE_TIME | {ColumnType.BOOLEAN})  # BoundedValue cells
MAX_POSSIBLE_VALUES = 60  # DataContainerSettings.MAX_POSSIBLE_VALUES
HANDLERS = ("Color Handler", "Size Handler", "Shape Handler", "Filter Handler")


class ExtractTableSpecSettings(NodeSettings):
    """ExtractTableSpecNodeModel's settings (ExtractTableSpecConfigKeys)."""

    ExtractPropertyHandlers: bool = Field(  # noqa: N815 (KNIME's key)
        False,
        description="Add Boolean columns telling which columns have a colour, size, shape or filter handler.",
    )
    PossibleValuesAsCollection: bool = Field(  # noqa: N815
        False, description="Add a Set column with each column's possible values."
    )
    TypeNameFormat: Literal["LEGACY_DISPLAY_NAME"] = Field(  # noqa: N815
        "LEGACY_DISPLAY_NAME",
        description="How types are named: KNIME's display names before 5.5 (Number (double), String, ...).",
    )


def _table_spec_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["ExtractPropertyHandlers", "PossibleValuesAsCollection"])
    fmt = knime.tree.get("TypeNameFormat")
    legacy = knime.tree.get("UseLegacyTypeNames")
    if fmt is None and legacy is not None:  # a 5.5 development layout: a flag instead of the format
        fmt = "LEGACY_DISPLAY_NAME" if legacy else "IDENTIFIER"
        knime.put("TypeNameFormat", "LEGACY_DISPLAY_NAME", "UseLegacyTypeNames")
    elif fmt is not None:
        knime.put("TypeNameFormat", "LEGACY_DISPLAY_NAME", "TypeNameFormat")
    if fmt not in (None, "LEGACY_DISPLAY_NAME"):
        knime.lost(
            f"type name format {fmt}: knitflow names types only as KNIME did before 5.5 (LEGACY_DISPLAY_NAME, "
            "e.g. 'Number (double)')"
        )
    knime.unread()


def _output_spec(spec: TableSpec, settings: ExtractTableSpecSettings, bound_type: str) -> TableSpec:
    cols: list[tuple[str, str]] = [
        ("Column Name", ColumnType.STRING),
        ("Column Type", ColumnType.STRING),
        ("Column Index", ColumnType.INTEGER),
    ]
    if settings.ExtractPropertyHandlers:
        cols += [(h, ColumnType.BOOLEAN) for h in HANDLERS]
    cols += [("Lower Bound", bound_type), ("Upper Bound", bound_type)]
    if settings.PossibleValuesAsCollection:
        cols.append(("Possible Values", ColumnType.SET))
    return TableSpec.of(cols)


def _type_name(col_type: str, column: str) -> str:
    name = LEGACY_TYPE_NAMES.get(col_type)
    if name is None:
        raise ConfigureError(f"knitflow does not know KNIME's name of column {column!r}'s type {col_type}")
    return name


def _bounds(series: pd.Series, col_type: str) -> tuple[Any, Any]:
    if col_type not in BOUNDED:
        return None, None
    values = [v for v in series.tolist() if not is_missing(v)]
    if not values:
        return None, None
    return min(values), max(values)


def _possible_values(series: pd.Series, col_type: str) -> tuple[Any, ...] | None:
    if col_type not in NOMINAL:
        return None
    values = tuple(dict.fromkeys(v for v in series.tolist() if not is_missing(v)))
    return values if len(values) <= MAX_POSSIBLE_VALUES else None


def _bound_type(types: list[str]) -> str:
    """The bound columns' type: the columns' common type (KNIME: their common super type; a column of
    generic cells when none has bounds, here String holding only missing cells)."""
    return common_type(types) if types else ColumnType.STRING


def _handlers(table: Table) -> dict[str, tuple[bool, bool, bool, bool]]:
    colored = {c for c in color_models(table.df) if c != COLUMN_NAMES}
    sized = (table.df.attrs.get(SIZES_ATTR) or {}).get("column")
    shaped = (table.df.attrs.get(SHAPES_ATTR) or {}).get("column")
    return {c: (c in colored, c == sized, c == shaped, False) for c in table.columns}


def extract_spec(table: Table, settings: ExtractTableSpecSettings) -> Table:
    spec = table.spec
    rows = []
    for i, col in enumerate(spec.columns):
        series = table.df[col.name]
        low, high = _bounds(series, col.type)
        rows.append((col, i, low, high, _possible_values(series, col.type)))
    bounded = [col.type for col, _, low, _, _ in rows if low is not None]
    bound_type = _bound_type(bounded)
    out_spec = _output_spec(spec, settings, bound_type)
    handlers = _handlers(table) if settings.ExtractPropertyHandlers else {}

    def bound(value: Any) -> Any:
        if value is None:
            return None
        return cell_text(value) if bound_type == ColumnType.STRING else value

    data: dict[str, list[Any]] = {c: [] for c in out_spec.names}
    for col, i, low, high, values in rows:
        data["Column Name"].append(col.name)
        data["Column Type"].append(_type_name(col.type, col.name))
        data["Column Index"].append(i)
        for h, flag in zip(HANDLERS, handlers.get(col.name, (False,) * 4), strict=True):
            if settings.ExtractPropertyHandlers:
                data[h].append(flag)
        data["Lower Bound"].append(bound(low))
        data["Upper Bound"].append(bound(high))
        if settings.PossibleValuesAsCollection:
            data["Possible Values"].append(values)
    df = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in data.items()})
    df["Column Index"] = np.asarray(data["Column Index"], dtype=np.int64)
    for h in HANDLERS:
        if h in df:
            df[h] = np.asarray(data[h], dtype=bool)
    for b in ("Lower Bound", "Upper Bound"):
        if bound_type in ColumnType.NUMERIC:
            df[b] = pd.to_numeric(df[b]).astype(np.float64 if bound_type == ColumnType.DOUBLE else "Int64")
        elif bound_type == ColumnType.BOOLEAN:
            df[b] = df[b].astype("boolean")
    df.index = pd.Index(spec.names, dtype=object)
    return Table(df, {c.name: c.type for c in out_spec.columns})


class ExtractTableSpec(Node):
    """KNIME's Extract Table Spec."""

    type_name = "extract_table_spec"
    display_name = "Extract Table Spec"
    description = (
        "Describes the input's columns, one row each (RowID = column name): Column Name, Column Type (KNIME's "
        "type name, as before 5.5: Number (double), String, ...), Column Index, optionally Color/Size/Shape/"
        "Filter Handler flags, Lower Bound and Upper Bound of the column's domain, optionally its Possible "
        "Values. The domain is the data's: bounds of numbers, booleans, dates and times; possible values of "
        "strings and booleans with at most 60 distinct values."
    )
    keywords = ("spec", "metadata", "columns", "types", "domain", "schema")
    knime = (
        KnimeMapping(
            "org.knime.base.node.util.extracttablespec.ExtractTableSpecNodeFactory",
            "Extract Table Spec",
            _table_spec_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "The table whose spec is extracted."),)
    outputs = (Port(TABLE, "Table spec", "One row per input column."),)
    Settings = ExtractTableSpecSettings

    def configure(
        self, in_specs: list[Any], settings: ExtractTableSpecSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        for col in spec.columns:
            _type_name(col.type, col.name)
        if any(c.type in BOUNDED for c in spec.columns):
            return [UNKNOWN]  # the bounds' type depends on which columns have values
        return [_output_spec(spec, settings, ColumnType.STRING)]

    def execute(self, inputs: list[Any], settings: ExtractTableSpecSettings, ctx: NodeContext) -> list[Any]:
        table = inputs[0]
        if not isinstance(table, Table):
            raise NodeError("no input table")
        try:
            return [extract_spec(table, settings)]
        except ConfigureError as exc:
            raise NodeError(str(exc)) from None
