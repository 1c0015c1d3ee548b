"""RowID: KNIME's node that replaces the RowIDs (new Row0, Row1, ... or a column's values) and/or
keeps the old ones in a column (org.knime.base.node.preproc.rowkey2, RowKeyNodeModel2 with
RowKeyUtil2.changeRowKey).

A column's value becomes the RowID by its cell's toString (numbers as Java prints them). A missing
value fails the node or becomes `?`; a duplicate fails the node or gets a counter, `a`, `a(1)`,
`a(2)`, as KNIME makes them unique.
"""

from __future__ import annotations

from typing import Any, Literal

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
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._java_text import cell_to_string
from nodes._rows import is_missing

MISSING_KEY = "?"  # RowKeyUtil2.MISSING_VALUE_REPLACEMENT


class RowIDSettings(NodeSettings):
    """KNIME's RowKeyNodeSettings (5.3+ names; older archives' keys are migrated as KNIME does)."""

    replaceRowKey: bool = Field(True, title="Replace RowIDs", description="Replace the RowIDs.")
    replaceRowKeyMode: Literal["GENERATE_NEW", "USE_COLUMN"] = Field(
        "GENERATE_NEW",
        title="Replacement mode",
        description="New RowIDs Row0, Row1, ... or a column's values.",
    )
    newRowKeyColumnV2: str | None = Field(
        None,
        title="ID column",
        json_schema_extra=widget("column"),
        description="The column that gives the RowIDs.",
    )
    removeRowKeyCol: bool = Field(False, title="Remove selected ID column", description="Drop the ID column.")
    handleMissingsMode: Literal["FAIL", "REPLACE"] = Field(
        "FAIL", title="If ID column contains missing values", description='Fail, or use "?" as the RowID.'
    )
    handleDuplicatesMode: Literal["FAIL", "APPEND_COUNTER"] = Field(
        "FAIL",
        title="If ID column contains duplicates",
        description="Fail, or append a counter to a repeated value: a, a(1), a(2).",
    )
    appendRowKeyCol: bool = Field(
        False,
        title="Append column with RowID values",
        description="Keep the current RowIDs in a String column.",
    )
    newColumnName4RowKeyValues: str = Field("Old RowID", title="Column name", description="Its name.")


def _row_id_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["replaceRowKey", "removeRowKeyCol", "appendRowKeyCol", "newColumnName4RowKeyValues"])
    if "newRowKeyColumnV2" in knime.tree or "replaceRowKeyMode" in knime.tree:
        knime.take_all(
            ["replaceRowKeyMode", "newRowKeyColumnV2", "handleMissingsMode", "handleDuplicatesMode"]
        )
    else:  # before 5.3 (RowKeyNodeSettings' migrations): no column means new RowIDs
        column = knime.get("newRowKeyColumnName")
        knime.put("newRowKeyColumnV2", column, "newRowKeyColumnName")
        knime.put(
            "replaceRowKeyMode", "GENERATE_NEW" if column is None else "USE_COLUMN", "newRowKeyColumnName"
        )
        knime.put(
            "handleMissingsMode",
            "REPLACE" if knime.get("replaceMissingValues") else "FAIL",
            "replaceMissingValues",
        )
        knime.put(
            "handleDuplicatesMode",
            "APPEND_COUNTER" if knime.get("ensureUniqueness") else "FAIL",
            "ensureUniqueness",
        )
    # a map from new to old RowIDs for hiliting, and a dialog check of the new column's name
    knime.unread("enableHilite", "doNotAllowPaddedColumnName")


def _by_column(s: RowIDSettings) -> bool:
    return s.replaceRowKey and s.replaceRowKeyMode == "USE_COLUMN"


def _out_spec(spec: TableSpec, s: RowIDSettings) -> TableSpec:
    """RowKeyNodeModel2.validateInput and configure, with KNIME's messages."""
    key_column = s.newRowKeyColumnV2 if _by_column(s) else None
    if _by_column(s):
        if key_column is None:
            raise ConfigureError("No column selected for replacing the RowID.", setting="newRowKeyColumnV2")
        if key_column not in spec:
            raise ConfigureError(
                f"Selected column: '{key_column}' not found in input table.", setting="newRowKeyColumnV2"
            )
    name = s.newColumnName4RowKeyValues
    if s.appendRowKeyCol:
        if not name.strip():
            raise ConfigureError(
                "Please provide a valid name for the new column.", setting="newColumnName4RowKeyValues"
            )
        dropped_same = s.replaceRowKey and s.removeRowKeyCol and key_column == name
        if name in spec and not dropped_same:
            raise ConfigureError(
                f"Column with name: '{name}' already exists.", setting="newColumnName4RowKeyValues"
            )
    out = spec
    if _by_column(s) and s.removeRowKeyCol:
        out = out.select([n for n in out.names if n != key_column])
    return out.append((name, ColumnType.STRING)) if s.appendRowKeyCol else out


def _keys_from_column(table: Table, s: RowIDSettings, ctx: NodeContext) -> list[str]:
    """RowKeyUtil2.changeRowKey for a column: toString of each cell, `?` for missing, counters for repeats."""
    column = str(s.newRowKeyColumnV2)
    taken: dict[str, int] = {}
    keys: list[str] = []
    missing = duplicates = 0
    for position, value in enumerate(table.df[column].to_numpy(dtype=object), start=1):
        key = cell_to_string(value, table.types[column])
        absent = is_missing(value)
        if absent:
            if s.handleMissingsMode != "REPLACE":
                raise NodeError(f"Missing value found in row {position}", setting="handleMissingsMode")
            key, missing = MISSING_KEY, missing + 1
        if key in taken:
            if s.handleDuplicatesMode != "APPEND_COUNTER":
                raise NodeError(
                    f'Duplicate RowID "{key}" in row {position}: choose "Append counter" to make it unique',
                    setting="handleDuplicatesMode",
                )
            duplicates += 0 if absent else 1
            base = key
            while key in taken:
                taken[base] += 1
                key = f"{base}({taken[base]})"
        taken[key] = 0
        keys.append(key)
    warning = (f"{missing} missing value(s) replaced with {MISSING_KEY}. " if missing else "") + (
        f"{duplicates} duplicate(s) now unique." if duplicates else ""
    )
    if warning:
        ctx.warn(warning.strip())
    return keys


class RowID(Node):
    """Gives a table new RowIDs or turns a column into them, the step before joins and lookups by RowID."""

    type_name = "row_id"
    display_name = "RowID"
    category = Category.MANIPULATOR
    description = (
        "Replaces the RowIDs by new ones (Row0, Row1, ...) or by a column's values (as text; missing values fail or "
        "become ?, duplicates fail or get a counter a(1), a(2)), optionally removing that column, and/or appends the "
        "current RowIDs as a String column."
    )
    keywords = ("rowid", "row key", "row id", "index", "set index", "reset index", "identifier")
    knime = (
        KnimeMapping("org.knime.base.node.preproc.rowkey2.RowKeyNodeFactory2", "RowID", _row_id_from_knime),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the new RowIDs"),)
    Settings = RowIDSettings

    def configure(self, in_specs: list[Any], settings: RowIDSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        return [_out_spec(spec, settings)] if isinstance(spec, TableSpec) else [UNKNOWN]

    def execute(self, inputs: list[Any], settings: RowIDSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            out_spec = _out_spec(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        df = table.df.copy()
        if settings.appendRowKeyCol:
            df[settings.newColumnName4RowKeyValues] = pd.Series(table.row_ids, index=df.index, dtype=object)
        if _by_column(settings):
            df.index = pd.Index(_keys_from_column(table, settings, ctx), dtype=object)
        elif settings.replaceRowKey:
            df.index = row_ids(len(df))
        return [Table(df[out_spec.names], {c.name: c.type for c in out_spec.columns})]
