"""Column Appender: the columns of several tables side by side, rows matched by position or by the
RowIDs of one table, with KNIME's naming rules (org.knime.base.node.preproc.columnappend2)."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
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
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._column_types import typed_column
from nodes._common import spec_or_none

# ---------------------------------------------------------------------------------- Column Appender

RowIdMode = Literal["IDENTICAL", "GENERATE", "KEY_TABLE"]
_OLD_MODES = {
    "Identical row keys and table lengths": "IDENTICAL",
    "Generate new row keys": "GENERATE",
    "Use row keys from one of the input tables": "KEY_TABLE",
}


class ColumnAppenderSettings(NodeSettings):
    selected_rowid_mode: RowIdMode = Field(
        "IDENTICAL",
        title="RowID mode",
        description="IDENTICAL: the tables have the same RowIDs in the same order (else the node fails); "
        "GENERATE: new RowIDs Row0, Row1, ... (shorter tables are filled with missing cells); KEY_TABLE: "
        "the RowIDs and row count of the table selected below.",
    )
    selected_rowid_table_number: int = Field(
        1,
        ge=1,
        title="Table number",
        description="Table whose RowIDs are used with KEY_TABLE (1 = first input).",
    )


def _appended_names(specs: list[TableSpec]) -> list[list[str]]:
    """KNIME's UniqueNameGenerator over all tables: a repeated name gets ` (#1)`, ` (#2)`, ..."""
    taken: set[str] = set()
    out = []
    for spec in specs:
        names = []
        for name in spec.names:
            new = unique_column_name(taken, name)
            taken.add(new)
            names.append(new)
        out.append(names)
    return out


def _column_appender_from_knime(knime: KnimeSettings) -> None:
    mode = knime.get("selected_rowid_mode")
    knime.put("selected_rowid_mode", _OLD_MODES.get(mode, mode), "selected_rowid_mode")
    number, old = knime.get("selected_rowid_table_number", -1), knime.get("selected_rowid_table", -1)
    if old is not None and old != -1 and (number in (None, -1) or "selected_rowid_table" in knime.variables):
        knime.put("selected_rowid_table_number", int(old) + 1, "selected_rowid_table")  # 0-based before 5.0
    elif number not in (None, -1):
        knime.put("selected_rowid_table_number", int(number), "selected_rowid_table_number")


class ColumnAppender(Node):
    type_name = "column_appender"
    display_name = "Column Appender"
    category = Category.MANIPULATOR
    description = (
        "Puts the columns of the input tables side by side, row by row (no join). Repeated column names get "
        "' (#1)'. RowIDs: identical in all tables (checked), newly generated, or taken from one table."
    )
    keywords = ("append columns", "combine", "side by side", "concatenate columns", "hstack", "merge")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.columnappend2.ColumnAppender2NodeFactory",
            "Column Appender",
            _column_appender_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.columnappend.ColumnAppenderNodeFactory",
            "Column Appender",
            _column_appender_from_knime,
        ),
    )
    inputs = (
        Port(TABLE, "First table"),
        Port(TABLE, "Second table"),
        Port(TABLE, "Third table", optional=True),
        Port(TABLE, "Fourth table", optional=True),
        Port(TABLE, "Fifth table", optional=True),
    )
    outputs = (Port(TABLE, "Appended table"),)
    Settings = ColumnAppenderSettings

    def configure(self, in_specs: list[Any], settings: ColumnAppenderSettings, ctx: NodeContext) -> list[Any]:
        connected = [s for i, s in enumerate(in_specs) if i < 2 or s is not None]
        if settings.selected_rowid_mode == "KEY_TABLE" and settings.selected_rowid_table_number > len(
            connected
        ):
            raise ConfigureError(
                "The selected port number for row key must be a number between 1 and "
                f"{len(connected)} (number of the last port)",
                setting="selected_rowid_table_number",
            )
        specs = [spec_or_none(s) for s in connected]
        if any(s is None for s in specs):
            return [UNKNOWN]
        names = _appended_names([s for s in specs if s is not None])
        return [
            TableSpec.of(
                (n, c.type)
                for s, ns in zip(specs, names, strict=True)
                if s
                for n, c in zip(ns, s.columns, strict=True)
            )
        ]

    def execute(self, inputs: list[Any], settings: ColumnAppenderSettings, ctx: NodeContext) -> list[Any]:
        tables: list[Table] = [t for i, t in enumerate(inputs) if i < 2 or t is not None]
        names = _appended_names([t.spec for t in tables])
        mode = settings.selected_rowid_mode
        index = _row_index(tables, settings)
        n = len(index)
        shorter = [i + 1 for i, t in enumerate(tables) if len(t) < n]
        longer = [i + 1 for i, t in enumerate(tables) if len(t) > n]
        ref = (
            "the longest table"
            if mode == "GENERATE"
            else f"the selected table {settings.selected_rowid_table_number}"
        )
        if shorter:
            ctx.warn(
                f"Table(s) {shorter} shorter than {ref}. Corresponding columns were filled using missing values."
            )
        if longer:
            ctx.warn(f"Table(s) {longer} longer than {ref}. Extra rows were ignored.")
        data: dict[str, pd.Series] = {}
        types: dict[str, str] = {}
        for t, ns in zip(tables, names, strict=True):
            for col, new in zip(t.columns, ns, strict=True):
                values = list(t.df[col].to_numpy(dtype=object)[:n]) + [None] * max(0, n - len(t))
                if len(t) >= n:
                    series = t.df[col].iloc[:n].reset_index(drop=True)
                else:
                    series = typed_column(values, t.types[col])
                data[new], types[new] = series, t.types[col]
        frame = pd.DataFrame(data, index=pd.RangeIndex(n)) if data else pd.DataFrame(index=pd.RangeIndex(n))
        frame.index = index
        return [Table(frame, types)]


def _row_index(tables: list[Table], settings: ColumnAppenderSettings) -> pd.Index:
    """The output's RowIDs: the tables' own (which must agree), new ones for the longest table,
    or those of the selected table."""
    mode = settings.selected_rowid_mode
    if mode == "IDENTICAL":
        ids = tables[0].row_ids
        for k, t in enumerate(tables[1:], start=2):
            if t.row_ids != ids:
                raise NodeError(
                    f"the RowIDs of table {k} differ from those of table 1 (names, order or number of rows); "
                    "choose RowID mode GENERATE or KEY_TABLE",
                    setting="selected_rowid_mode",
                )
        return pd.Index(ids, dtype=object)
    if mode == "GENERATE":
        return row_ids(max(len(t) for t in tables))
    k = settings.selected_rowid_table_number - 1
    if k >= len(tables):
        raise NodeError("the selected table is not connected", setting="selected_rowid_table_number")
    return pd.Index(tables[k].row_ids, dtype=object)
