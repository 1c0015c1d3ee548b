"""Table Creator: a small literal table turned into typed columns, as KNIME's Table Creator."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from engine.api import (
    TABLE,
    Category,
    ColumnType,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type, get, seq
from nodes._column_types import column_type_name
from nodes._csv_cells import _cell_string
from nodes._java_text import (
    java_trim,
    parse_java_double,
    parse_java_int,
)

# ------------------------------------------------------------------------------------ Table Creator


class CreatorColumn(NodeSettings):
    name: str = Field(description="Column name.")
    type: str = Field("String", description="Column type: String, Integer, Long, Double or Boolean.")
    missing_value_pattern: str | None = Field(
        "",
        description="A cell with exactly this text is missing (default: an empty cell is missing); null: only "
        "cells given as null are missing and an empty text stays an empty String (the newer Table Creator).",
    )

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        return column_type_name(value)


PresentCell = str | int | float | bool
Cell = PresentCell | None


class TableCreatorSettings(NodeSettings):
    columns: list[CreatorColumn] = Field(
        default_factory=list,
        description="The columns, in order: `{name: alpha, type: Double}` (types String, Integer, Long, Double, "
        "Boolean).",
    )
    rows: list[list[Cell]] = Field(
        default_factory=list,
        description="The cells row by row, e.g. `[[0.1], [1]]`; text is parsed to the column type, `null` or the "
        "column's missing value pattern is a missing cell, short rows are padded with missing cells.",
    )
    row_indices: list[int] | None = Field(
        None,
        description="KNIME's stored form (alternative to rows): row index of each cell; negative = unused.",
    )
    column_indices: list[int] | None = Field(
        None, description="KNIME's stored form: column index of each cell."
    )
    values: list[Cell] | None = Field(None, description="KNIME's stored form: the text of each cell.")
    row_id_prefix: str = Field("Row", description="RowIDs are prefix + counter + suffix.")
    row_id_suffix: str = Field("", description="RowID suffix.")
    row_id_start_value: int = Field(0, description="First RowID counter value.")

    @model_validator(mode="after")
    def _cells(self) -> TableCreatorSettings:
        arrays = (self.row_indices, self.column_indices, self.values)
        if any(a is not None for a in arrays):
            if any(a is None for a in arrays):
                raise ValueError("row_indices, column_indices and values must be given together")
            if not len({len(a) for a in arrays if a is not None}) == 1:
                raise ValueError("row_indices, column_indices and values must have the same length")
            if self.rows:
                raise ValueError("give the cells either as rows or as row_indices/column_indices/values")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate column names: {names}")
        return self

    def cell_rows(self) -> list[list[Cell]]:
        """The cells as rows, KNIME's parallel arrays unpacked (cells at a negative row index or a
        column index beyond the columns are not part of the table, as in KNIME)."""
        if self.row_indices is None:
            return [list(r) for r in self.rows]
        width = len(self.columns)
        used = [
            (r, c, v)
            for r, c, v in zip(self.row_indices, self.column_indices or [], self.values or [], strict=True)
            if r >= 0 and 0 <= c < width
        ]
        n_rows = max((r for r, _, _ in used), default=-1) + 1
        grid: list[list[Cell]] = [[None] * width for _ in range(n_rows)]
        for r, c, v in used:
            grid[r][c] = v
        return grid


def _string_cell(value: PresentCell) -> Any:
    return _cell_string(value) if not isinstance(value, str) else value


def _integer_cell(value: PresentCell, bits: int) -> Any:
    """Whole numbers only: a bool or a fractional double is no Integer/Long (KNIME refuses them)."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        value = int(value)
    if isinstance(value, int):
        return parse_java_int(str(value), bits)
    return parse_java_int(java_trim(value), bits)


def _double_cell(value: PresentCell) -> Any:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        return float(value)
    return parse_java_double(value)


def _boolean_cell(value: PresentCell) -> Any:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ValueError
    return text == "true"


# column type -> parser of one cell (ValueError: not a valid cell of that type)
_CELL_PARSERS: dict[str, Callable[[PresentCell], Any]] = {
    ColumnType.STRING: _string_cell,
    ColumnType.INTEGER: partial(_integer_cell, bits=32),  # Java int
    ColumnType.LONG: partial(_integer_cell, bits=64),  # Java long
    ColumnType.DOUBLE: _double_cell,
    ColumnType.BOOLEAN: _boolean_cell,
}


def _is_missing_cell(value: PresentCell, col: CreatorColumn) -> bool:
    """Text equal to the column's missing value pattern (None: no pattern, only null is missing)."""
    return (
        isinstance(value, str)
        and col.missing_value_pattern is not None
        and value == col.missing_value_pattern
    )


def _cell_as_read(value: Cell, col_type: str) -> Cell:
    """The cell as an error names it: a whole double in an Integer/Long column was read as an int."""
    if isinstance(value, float) and value.is_integer() and col_type in (ColumnType.INTEGER, ColumnType.LONG):
        return int(value)
    return value


def _creator_cell(value: Cell, col: CreatorColumn, where: str) -> Any:
    """A Table Creator cell parsed to its column type (None: missing)."""
    if value is None or _is_missing_cell(value, col):
        return None
    t = col.type
    if t in _CELL_PARSERS:
        try:
            return _CELL_PARSERS[t](value)
        except ValueError:
            pass
    shown = _cell_as_read(value, t)
    raise NodeError(f"{where}: {shown!r} is not a valid {t} for column {col.name!r}", setting="rows")


def _typed(values: list[Any], col_type: str) -> pd.Series:
    missing = [v is None for v in values]
    if col_type == ColumnType.DOUBLE:
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        return pd.Series(values, dtype="Int64" if any(missing) else "int64")
    if col_type == ColumnType.BOOLEAN:
        return pd.Series(values, dtype="boolean" if any(missing) else "bool")
    return pd.Series(values, dtype=object)


def _table_creator_from_knime(knime: KnimeSettings) -> None:
    """KNIME stores the cells as parallel arrays; knitflow gets columns and rows of strings."""
    tree = knime.tree
    props = tree.get("columnProperties") or {}
    col_keys = sorted((k for k in props if k.isdigit()), key=int)
    columns = []
    for k in col_keys:
        p = props[k]
        if p.get("SkipThisColumn"):
            continue
        columns.append({"name": p.get("ColumnName"), "type": column_type(get(p, "ColumnClass.cell_class"))})
        if p.get("MissValuePattern"):
            columns[-1]["missing_value_pattern"] = p["MissValuePattern"]
    index = {int(k): i for i, k in enumerate(k for k in col_keys if not props[k].get("SkipThisColumn"))}
    rows_i, cols_i, vals = (
        seq(tree.get("rowIndices")),
        seq(tree.get("columnIndices")),
        seq(tree.get("values")),
    )
    n_rows = max((r for r in rows_i if r >= 0), default=-1) + 1
    rows: list[list[str | None]] = [[None] * len(columns) for _ in range(n_rows)]
    for r, c, v in zip(rows_i, cols_i, vals, strict=False):
        if r < 0 or c not in index:
            continue  # KNIME keeps stale cells of deleted rows/columns at index -1
        rows[r][index[c]] = v
    knime.put("columns", columns, "columnProperties")
    knime.put("rows", rows, "values")
    knime.take_all(["rowIdPrefix", "rowIdSuffix", "rowIdStartValue"])


_CREATOR_TYPES = (
    ColumnType.STRING,
    ColumnType.INTEGER,
    ColumnType.LONG,
    ColumnType.DOUBLE,
    ColumnType.BOOLEAN,
)


def _table_creator3_from_knime(knime: KnimeSettings) -> None:
    """The web-UI Table Creator (KNIME 5.11, `TableCreatorNodeParameters`): `columns` each with
    `name`, `type` (a DataType) and `values` (text, null = missing), `numRows`; RowIDs Row0, Row1,
    ...; a value is read by its type's String converter, so an empty text is an empty String."""
    tree = knime.tree
    columns: list[dict[str, Any]] = []
    cells: list[list[Any]] = []
    for c in seq(tree.get("columns")):
        raw = c.get("type")
        cell_class = get(c, "type.cell_class") if isinstance(raw, dict) else raw
        col_type = column_type(cell_class)
        name = c.get("name")
        if col_type not in _CREATOR_TYPES:
            knime.lost(
                f"Table Creator column {name!r}: type {cell_class!r} is not supported (String, Integer, "
                "Long, Double and Boolean are)"
            )
            col_type = ColumnType.STRING
        columns.append({"name": name, "type": col_type, "missing_value_pattern": None})
        cells.append(list(seq(c.get("values"))))
    n_rows = int(tree.get("numRows", 1) or 0)
    rows = [[v[r] if r < len(v) else None for v in cells] for r in range(n_rows)]
    knime.put("columns", columns, "columns")
    knime.put("rows", rows, "numRows")


class TableCreator(Node):
    type_name = "table_creator"
    display_name = "Table Creator"
    category = Category.SOURCE
    description = (
        "A small table typed in the workflow: `columns` gives names and types, `rows` the cells row by row (text is "
        "parsed to the column type). RowIDs are row_id_prefix + counter + row_id_suffix (Row0, Row1, ...). KNIME's "
        "stored form (row_indices, column_indices, values) is accepted too."
    )
    keywords = ("create", "manual", "literal", "enter", "constants", "parameters", "spreadsheet")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.tablecreator.TableCreator2NodeFactory",
            "Table Creator",
            _table_creator_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.tablecreator.TableCreator3NodeFactory",
            "Table Creator",
            _table_creator3_from_knime,
        ),
    )
    outputs = (Port(TABLE, "Table", "The typed-in table"),)
    Settings = TableCreatorSettings

    def configure(self, in_specs: list[Any], settings: TableCreatorSettings, ctx: NodeContext) -> list[Any]:
        return [TableSpec.of((c.name, c.type) for c in settings.columns)]

    def execute(self, inputs: list[Any], settings: TableCreatorSettings, ctx: NodeContext) -> list[Any]:
        cols = settings.columns
        rows = settings.cell_rows()
        if rows and not cols:
            raise NodeError("cells given but no columns defined", setting="columns")
        parsed: list[list[Any]] = [[] for _ in cols]
        for r, row in enumerate(rows):
            if len(row) > len(cols):
                raise NodeError(
                    f"row {r} has {len(row)} cells but there are {len(cols)} columns", setting="rows"
                )
            padded = list(row) + [None] * (len(cols) - len(row))
            for c, (value, col) in enumerate(zip(padded, cols, strict=True)):
                parsed[c].append(_creator_cell(value, col, f"row {r}"))
        df = pd.DataFrame({col.name: _typed(parsed[c], col.type) for c, col in enumerate(cols)})
        start = settings.row_id_start_value
        df.index = pd.Index(
            [f"{settings.row_id_prefix}{start + i}{settings.row_id_suffix}" for i in range(len(rows))],
            dtype=object,
        )
        if df.index.has_duplicates:
            raise NodeError("the RowIDs are not unique", setting="row_id_prefix")
        return [Table(df, {c.name: c.type for c in cols})]
