"""Column-header nodes: Row to Column Names, Extract Column Header and Insert Column Header
(org.knime.base.node.preproc.rowtocolumnheader, columnheaderextract, columnheaderinsert)."""

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
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings, choice
from nodes._aggregation import cell_text, is_missing
from nodes._column_types import typed_column
from nodes._java_text import parse_java_double, parse_java_int

_RENAMINGS = TableSpec.of(
    [
        ("Old column name", ColumnType.STRING),
        ("New column name", ColumnType.STRING),
        ("New column type", ColumnType.STRING),
    ]
)


def _guess(values: list[str | None]) -> str:
    """The table readers' type hierarchy on text: Integer < Long < Double < String."""
    present = [v for v in values if v is not None]
    for kind, parse in (
        (ColumnType.INTEGER, lambda v: parse_java_int(v.strip(), 32)),
        (ColumnType.LONG, lambda v: parse_java_int(v.strip(), 64)),
        (ColumnType.DOUBLE, parse_java_double),
    ):
        try:
            for v in present:
                parse(v)
            return kind if present else ColumnType.STRING
        except ValueError:
            continue
    return ColumnType.STRING


# ----------------------------------------------------------------------------- Row to Column Names


class RowToColumnHeaderSettings(NodeSettings):
    headerRowIndex: int = Field(
        0, ge=0, title="Number of rows before the header", description="Rows preceding the header row."
    )
    discardBefore: bool = Field(
        False, title="Discard rows before header row", description="Drop the rows before the header row."
    )
    detectTypes: bool = Field(
        False,
        title="Detect types of resulting columns",
        description="Re-type every column from its cells' text: Integer, Long, Double, else String.",
    )


def _header_names(table: Table, k: int) -> list[str]:
    """Row k's cells as unique column names (an empty cell: `Column<i>`)."""
    header = table.df.iloc[k]
    taken: set[str] = set()
    names = []
    for i, col in enumerate(table.columns):
        v = header[col]
        text = "" if is_missing(v) else cell_text(v, table.types[col])
        name = unique_column_name(taken, text if text.strip() else f"Column{i}")
        taken.add(name)
        names.append(name)
    return names


def _detected(column: pd.Series, col_type: str) -> tuple[pd.Series, str]:
    """A column's cells as text, re-typed by what they hold (KNIME's type detection)."""
    cells = [None if is_missing(v) else cell_text(v, col_type) for v in column.to_numpy(dtype=object)]
    t = _guess(cells)
    parsed: list[Any] = cells
    if t in (ColumnType.INTEGER, ColumnType.LONG):
        parsed = [None if v is None else int(v.strip()) for v in cells]
    elif t == ColumnType.DOUBLE:
        parsed = [None if v is None else parse_java_double(v) for v in cells]
    return typed_column(parsed, t), t


class RowToColumnHeader(Node):
    type_name = "row_to_column_header"
    display_name = "Row to Column Names"
    category = Category.MANIPULATOR
    description = (
        "Uses the cells of one row as the column names (missing or empty cells give Column<i>, repeated names "
        "' (#1)') and removes that row; optionally re-detects the column types. The second table lists the "
        "renamings."
    )
    keywords = ("header", "column names", "first row", "promote headers", "row to column header")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.rowtocolumnheader.RowToColumnHeaderNodeFactory",
            "Row to Column Names",
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with new header"), Port(TABLE, "Renamings"))
    Settings = RowToColumnHeaderSettings

    def configure(
        self, in_specs: list[Any], settings: RowToColumnHeaderSettings, ctx: NodeContext
    ) -> list[Any]:
        return [UNKNOWN, _RENAMINGS]  # the names come from the data

    def execute(self, inputs: list[Any], settings: RowToColumnHeaderSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        k = settings.headerRowIndex
        if k >= len(table):
            raise NodeError(
                f"the header row (index {k}) does not exist: the table has {len(table)} rows",
                setting="headerRowIndex",
            )
        names = _header_names(table, k)
        keep = [p for p in range(len(table)) if p != k and (not settings.discardBefore or p > k)]
        df = table.df.iloc[keep].copy()
        df.columns = names
        types = {n: table.types[c] for n, c in zip(names, table.columns, strict=True)}
        if settings.detectTypes:
            for n, c in zip(names, table.columns, strict=True):
                series, types[n] = _detected(df[n], table.types[c])
                series.index = df.index
                df[n] = series
        renamings = pd.DataFrame(
            {
                "Old column name": table.columns,
                "New column name": names,
                "New column type": [types[n] for n in names],
            },
            dtype=object,
        )
        renamings.index = pd.Index([f"Row{i}" for i in range(len(names))], dtype=object)
        return [Table(df, types), Table(renamings, {c: ColumnType.STRING for c in _RENAMINGS.names})]


# --------------------------------------------------------------------------- Extract Column Header

_TYPE_FILTERS = {
    "All": None,
    "String": frozenset({ColumnType.STRING, ColumnType.SMILES}),
    "Integer": frozenset({ColumnType.INTEGER, ColumnType.BOOLEAN}),
    "Double": ColumnType.NUMERIC | {ColumnType.BOOLEAN},
}


class ExtractColumnHeaderSettings(NodeSettings):
    replaceColHeader: bool = Field(
        True, title="Generate new column names", description="Rename the selected columns to prefix + number."
    )
    unifyHeaderPrefix: str = Field("Column ", title="Prefix", description="Prefix of the generated names.")
    coltype: Literal["All", "String", "Integer", "Double"] = Field(
        "All", title="Restrain column types", description="Which columns take part (by type)."
    )
    transposeColHeader: bool = Field(
        False,
        title="Output format for column names",
        description="False: one row with a column per name; True: one column `Column Header` with a row per name.",
    )
    use_one_based_indexing: bool = Field(
        True, description="Number generated names from 1 (KNIME 5.0 on) or from 0 (older workflows)."
    )


def _scheme(spec: TableSpec, s: ExtractColumnHeaderSettings) -> dict[int, str]:
    """ColumnHeaderExtractorNodeModel.renamingScheme: new names for the selected columns, skipping the
    names of the columns that are not renamed."""
    allowed = _TYPE_FILTERS[s.coltype]
    chosen = [i for i, c in enumerate(spec.columns) if allowed is None or c.type in allowed]
    used = {c.name for i, c in enumerate(spec.columns) if i not in chosen}
    index = 1 if s.use_one_based_indexing else 0
    out = {}
    for i in chosen:
        while True:
            name = f"{s.unifyHeaderPrefix}{index}"
            index += 1
            if name not in used:
                used.add(name)
                break
        out[i] = name
    return out


def _extract_specs(
    spec: TableSpec, s: ExtractColumnHeaderSettings
) -> tuple[TableSpec, TableSpec, dict[int, str]]:
    scheme = _scheme(spec, s)
    if s.transposeColHeader:
        names = ["Column Header"]
    elif s.replaceColHeader:
        names = list(scheme.values())
    else:
        names = [spec.columns[i].name for i in scheme]
    header = TableSpec.of((n, ColumnType.STRING) for n in names)
    renamed = (
        TableSpec.of((scheme.get(i, c.name), c.type) for i, c in enumerate(spec.columns))
        if s.replaceColHeader
        else spec
    )
    return header, renamed, scheme


def _extract_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["replaceColHeader", "unifyHeaderPrefix", "coltype", "transposeColHeader"])
    # added in 5.0 (an internal key): older workflows number from 0
    knime.put("use_one_based_indexing", bool(knime.get("use_one_based_indexing_Internals", False)))


class ExtractColumnHeader(Node):
    type_name = "extract_column_header"
    display_name = "Extract Column Header"
    category = Category.MANIPULATOR
    description = (
        "Outputs the column names (as one row `Column Header`, or as one column) and the input table, optionally "
        "with the columns renamed to prefix + number (Column 1, Column 2, ...)."
    )
    keywords = ("header", "column names", "extract names", "rename generic")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.columnheaderextract.ColumnHeaderExtractorNodeFactory",
            "Extract Column Header",
            _extract_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Column header"), Port(TABLE, "Input table with new header"))
    Settings = ExtractColumnHeaderSettings

    def configure(
        self, in_specs: list[Any], settings: ExtractColumnHeaderSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        header, renamed, _ = _extract_specs(spec, settings)
        return [header, renamed]

    def execute(
        self, inputs: list[Any], settings: ExtractColumnHeaderSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        header_spec, renamed, scheme = _extract_specs(table.spec, settings)
        originals = [table.columns[i] for i in scheme]
        if settings.transposeColHeader:
            ids = list(scheme.values()) if settings.replaceColHeader else originals
            header = pd.DataFrame({"Column Header": originals}, dtype=object)
            header.index = pd.Index(ids, dtype=object)
        else:
            header = pd.DataFrame([originals], columns=header_spec.names, dtype=object)
            header.index = pd.Index(["Column Header"], dtype=object)
        df = table.df.copy(deep=False)
        df.columns = renamed.names
        return [
            Table(header, {n: ColumnType.STRING for n in header_spec.names}),
            Table(df, {c.name: c.type for c in renamed.columns}),
        ]


# ---------------------------------------------------------------------------- Insert Column Header

ROW_ID = "<RowID>"


class InsertColumnHeaderSettings(NodeSettings):
    lookupColumn: str = Field(
        ROW_ID,
        title="Lookup column",
        description=f"Column of the dictionary table holding the current column names ({ROW_ID}: its RowIDs).",
    )
    valueColumn: str = Field(
        "", title="Names column", description="Column of the dictionary table with the new names."
    )
    failIfNoMatch: bool = Field(
        True,
        title="Fail if no assignment in dictionary table",
        description="Fail when a column has no entry (else it keeps its name).",
    )


def _insert_from_knime(knime: KnimeSettings) -> None:
    for key in ("lookupColumn", "valueColumn"):
        raw = knime.get(key)
        value = choice(raw) if isinstance(raw, dict) else raw
        knime.put(key, ROW_ID if value in (None, "", "<ROW_ID>") and key == "lookupColumn" else value, key)
    knime.take("failIfNoMatch")


class InsertColumnHeader(Node):
    type_name = "insert_column_header"
    display_name = "Insert Column Header"
    category = Category.MANIPULATOR
    description = (
        "Renames the columns of the first table with a dictionary (second table): a lookup column of current names "
        "(or its RowIDs) and a column of new names. Missing new names keep the old name."
    )
    keywords = ("header", "rename", "dictionary", "column names", "mapping")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.columnheaderinsert.ColumnHeaderInsertNodeFactory",
            "Insert Column Header",
            _insert_from_knime,
        ),
    )
    inputs = (
        Port(TABLE, "Data table"),
        Port(TABLE, "Dictionary table", "Old names (or RowIDs) and new names"),
    )
    outputs = (Port(TABLE, "Table with new header"),)
    Settings = InsertColumnHeaderSettings

    def configure(
        self, in_specs: list[Any], settings: InsertColumnHeaderSettings, ctx: NodeContext
    ) -> list[Any]:
        dictionary = in_specs[1]
        if isinstance(dictionary, TableSpec):
            for key in ("lookupColumn", "valueColumn"):
                name = getattr(settings, key)
                if not (key == "lookupColumn" and name == ROW_ID) and name not in dictionary:
                    raise ConfigureError(f"column {name!r} not found in the dictionary table", setting=key)
        return [UNKNOWN]  # the new names come from the dictionary's rows

    def execute(self, inputs: list[Any], settings: InsertColumnHeaderSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        dictionary: Table = inputs[1]
        keys = (
            dictionary.row_ids
            if settings.lookupColumn == ROW_ID
            else [
                None if is_missing(v) else str(v)
                for v in dictionary.df[settings.lookupColumn].to_numpy(dtype=object)
            ]
        )
        values = [
            None if is_missing(v) else str(v)
            for v in dictionary.df[settings.valueColumn].to_numpy(dtype=object)
        ]
        mapping: dict[str, str | None] = {}
        for k, v in zip(keys, values, strict=True):
            if k is None:
                continue
            if k in mapping:
                raise NodeError(f"Duplicate key in dictionary table: {k!r}", setting="lookupColumn")
            mapping[k] = v
        names = []
        for c in table.columns:
            if c not in mapping:
                if settings.failIfNoMatch:
                    raise NodeError(
                        f"No name assignment for column {c!r} in dictionary table", setting="failIfNoMatch"
                    )
                names.append(c)
            else:
                names.append(mapping[c] or c)
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise NodeError(
                f"duplicate column names after renaming: {', '.join(dupes)}", setting="valueColumn"
            )
        df = table.df.copy(deep=False)
        df.columns = names
        return [Table(df, {n: table.types[c] for n, c in zip(names, table.columns, strict=True)})]
