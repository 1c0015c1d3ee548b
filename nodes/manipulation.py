"""Column Filter, Reference Column Filter, Sorter and Table Transposer with KNIME's semantics.

The Sorter is a stable multi-key sort with KNIME's comparators (alphanumeric "natural" string
order, missing cells smallest unless sent to the end); the Transposer turns column names into
RowIDs and RowIDs into column names, with the most general type per new column.
"""

from __future__ import annotations

from typing import Any, Literal

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
)
from engine.api.knime import KnimeMapping, KnimeSettings, choice, column_selection, ignore_settings, seq
from nodes._column_types import common_type, in_reference_columns
from nodes._common import ColumnFilter, require_columns
from nodes._compare import ROW_ID_NAMES, SortingCriterion, sorted_positions
from nodes._java_text import java_double_to_string

# ----------------------------------------------------------------------------------- Column Filter


class ColumnFilterSettings(NodeSettings):
    column_filter: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="Columns to keep: listed includes, minus listed excludes; columns in neither list are kept "
        "with EnforceExclusion and dropped with EnforceInclusion. Unknown names are ignored.",
    )


def _column_filter_from_knime(knime: KnimeSettings) -> None:
    """`column-filter`: the classic DataColumnSpecFilterConfiguration or, since 5.x, the web UI's
    ColumnFilter (both read by engine.api.knime.convert, their pattern and type modes included)."""
    knime.take("column_filter", "column-filter")
    knime.unread()


def _legacy_column_filter_from_knime(knime: KnimeSettings) -> None:
    """FilterColumnNodeFactory (KNIME 1.x-2.x): the names in `exclude` are excluded, or with
    `selectionOption` EnforceInclusion (older: `enforce_inclusion` = true) the only ones included."""
    tree = knime.tree
    names = list(seq(tree.get("exclude")))
    option = tree.get("selectionOption")
    if option is None:
        option = "EnforceInclusion" if tree.get("enforce_inclusion") else "EnforceExclusion"
    if option == "EnforceInclusion":
        flt = {"included_names": names, "enforce_option": "EnforceInclusion"}
    elif option == "EnforceExclusion":
        flt = {"excluded_names": names, "enforce_option": "EnforceExclusion"}
    else:
        knime.unreadable(f"Column Filter: selection option {option!r} is not known")
        return
    knime.put("column_filter", flt, "exclude")
    knime.paths.update({"selectionOption": "column_filter", "enforce_inclusion": "column_filter"})
    knime.unread()


class ColumnFilterNode(Node):
    type_name = "column_filter"
    display_name = "Column Filter"
    category = Category.MANIPULATOR
    description = (
        "Keeps the selected columns in their input order; rows and RowIDs are unchanged. Names in the lists that "
        "are not in the input are ignored, as in KNIME."
    )
    keywords = ("select", "columns", "remove", "drop", "keep", "exclude", "include", "projection")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.filter.column.DataColumnSpecFilterNodeFactory",
            "Column Filter",
            _column_filter_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.filter.column.FilterColumnNodeFactory",
            "Column Filter (legacy)",
            _legacy_column_filter_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Filtered table", "The selected columns"),)
    Settings = ColumnFilterSettings

    def configure(self, in_specs: list[Any], settings: ColumnFilterSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [spec.select(settings.column_filter.apply(spec))]

    def execute(self, inputs: list[Any], settings: ColumnFilterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        keep = settings.column_filter.apply(table.spec)
        return [table.with_frame(table.df[keep])]


# ------------------------------------------------------------------------- Reference Column Filter


class ReferenceColumnFilterSettings(NodeSettings):
    """KNIME's ColumnFilterRefNodeModel settings."""

    inexclude: Literal["Include columns from reference table", "Exclude columns from reference table"] = (
        Field(
            "Exclude columns from reference table",
            description="Keep only the columns the reference table also has, or drop them.",
        )
    )
    type_compatibility: bool = Field(
        False,
        description="A column counts as in the reference only when its type is a super type of the reference "
        "column's (a Double column matches an Integer one, not the other way round).",
    )


def _kept_columns(
    spec: TableSpec, reference: TableSpec, settings: ReferenceColumnFilterSettings
) -> list[str]:
    include = settings.inexclude.startswith("Include")
    return [
        c.name
        for c, hit in zip(
            spec.columns, in_reference_columns(spec, reference, settings.type_compatibility), strict=True
        )
        if hit == include
    ]


class ReferenceColumnFilter(Node):
    type_name = "reference_column_filter"
    display_name = "Reference Column Filter"
    category = Category.MANIPULATOR
    description = (
        "Keeps (or drops) the columns of the first table that the reference table (second input) also has, by "
        "name and optionally by compatible type; the order of the first table is kept."
    )
    keywords = ("columns", "reference", "filter", "same columns", "match columns")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.filter.columnref.ColumnFilterRefNodeFactory",
            "Reference Column Filter",
        ),
    )
    inputs = (
        Port(TABLE, "Table to be filtered"),
        Port(TABLE, "Reference table", "Only its columns are read."),
    )
    outputs = (Port(TABLE, "Filtered table"),)
    Settings = ReferenceColumnFilterSettings

    def configure(
        self, in_specs: list[Any], settings: ReferenceColumnFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        spec, reference = in_specs
        if not isinstance(spec, TableSpec) or not isinstance(reference, TableSpec):
            return [UNKNOWN]
        return [spec.select(_kept_columns(spec, reference, settings))]

    def execute(
        self, inputs: list[Any], settings: ReferenceColumnFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        table, reference = inputs
        keep = _kept_columns(table.spec, reference.spec, settings)
        return [table.with_frame(table.df[keep])]


# ------------------------------------------------------------------------------------------ Sorter


class SorterSettings(NodeSettings):
    sorting_criteria: list[SortingCriterion] = Field(
        default_factory=list,
        description="Sort keys, most significant first: `[{column: R^2, sorting_order: DESCENDING}]`.",
    )
    missing_to_end: bool = Field(
        False,
        description="Missing cells always go last; otherwise they are the smallest values (first when "
        "ascending, last when descending).",
    )


# the classic Sorter's placeholders in `incllist` (SorterNodeDialogPanel2)
_LEGACY_ROW_KEY, _LEGACY_NO_SORT = "-ROWKEY -", "- DO NOT SORT -"


def _sorter_from_knime(knime: KnimeSettings) -> None:
    """5.1 on: `sortingCriteria` (the column as `columnV2`, 5.1-5.4 as a ColumnSelection `column`);
    before: `incllist`, `sortOrder` (true = ascending) and, since 4.7, `alphaNumStringComp`
    (natural string comparison per key; before it strings compared lexicographically)."""
    tree = knime.tree
    criteria = []
    for c in seq(tree.get("sortingCriteria")):
        column = choice(c["columnV2"]) if isinstance(c.get("columnV2"), dict) else None
        if column is None and isinstance(c.get("column"), dict):
            column = column_selection(c["column"])
        criteria.append(
            {
                "column": column,
                "sortingOrder": c.get("sortingOrder"),
                "stringComparison": c.get("stringComparison"),
            }
        )
    if not criteria and "incllist" in tree:  # pre-5.1 Sorter settings
        names = seq(tree.get("incllist"))
        orders = seq(tree.get("sortOrder"))
        natural = tree.get("alphaNumStringComp", False)
        for i, (name, ascending) in enumerate(zip(names, orders, strict=False)):
            if name == _LEGACY_NO_SORT:
                continue
            alnum = natural[i] if isinstance(natural, list) and i < len(natural) else natural is True
            criteria.append(
                {
                    "column": "<ROW_ID>" if name == _LEGACY_ROW_KEY else name,
                    "sortingOrder": "ASCENDING" if ascending else "DESCENDING",
                    "stringComparison": "NATURAL" if alnum else "LEXICOGRAPHIC",
                }
            )
        knime.paths.update({"incllist": "sortingCriteria", "sortOrder": "sortingCriteria"})
        knime.paths["alphaNumStringComp"] = "sortingCriteria"
    knime.put("sortingCriteria", criteria, "sortingCriteria")
    knime.take("missingToEnd")
    knime.unread("sortinmemory")  # in memory or on disk: the same order


class Sorter(Node):
    type_name = "sorter"
    display_name = "Sorter"
    category = Category.MANIPULATOR
    description = (
        "Sorts the rows by one or more columns (or the RowIDs), each ascending or descending; whole rows move and "
        "keep their RowIDs, and equal keys keep their input order. Strings compare naturally (Row2 before Row10) "
        "unless LEXICOGRAPHIC; missing cells are the smallest values unless missing_to_end."
    )
    keywords = ("sort", "order", "rank", "arrange", "descending", "ascending")
    knime = (
        KnimeMapping("org.knime.base.node.preproc.sorter.SorterNodeFactory", "Sorter", _sorter_from_knime),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Sorted table"),)
    Settings = SorterSettings

    def configure(self, in_specs: list[Any], settings: SorterSettings, ctx: NodeContext) -> list[Any]:
        if not settings.sorting_criteria:
            raise ConfigureError("no column to sort by: add a sorting criterion", setting="sorting_criteria")
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        names = [
            c.column
            for c in settings.sorting_criteria
            if not (c.column in ROW_ID_NAMES and c.column not in spec)
        ]
        require_columns(spec, names, "sorting_criteria")
        return [spec]

    def execute(self, inputs: list[Any], settings: SorterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        if not settings.sorting_criteria:
            raise NodeError("no column to sort by: add a sorting criterion", setting="sorting_criteria")
        order = sorted_positions(table, settings.sorting_criteria, settings.missing_to_end)
        return [table.with_frame(table.df.iloc[order])]


# -------------------------------------------------------------------------------- Table Transposer


def _cell_text(value: Any, col_type: str) -> str:
    if col_type == ColumnType.DOUBLE:
        return java_double_to_string(float(value))
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        return str(int(value))
    if col_type == ColumnType.BOOLEAN:
        return "true" if bool(value) else "false"
    return str(value)


def _transposed_names(ids: list[str]) -> list[str]:
    """The RowIDs as column names, trimmed; an empty one becomes `<empty_0>`, `<empty_1>`, ..."""
    names: list[str] = []
    empty_idx = 0
    for rid in ids:
        name = rid.strip()
        if not name:
            name = f"<empty_{empty_idx}>"
            empty_idx += 1
        names.append(name)
    return names


def _transposed_column(values: Any, present: Any, t: str, types: list[str], *, mixed: bool) -> pd.Series:
    """One input row as a column of the row's common type (text of each cell if the types mix)."""
    if t == ColumnType.DOUBLE:
        return pd.Series(np.where(present, values, np.nan).astype("float64"))
    if t in (ColumnType.INTEGER, ColumnType.LONG):
        ints = [int(v) if p else pd.NA for v, p in zip(values, present, strict=True)]
        return pd.Series(ints, dtype="int64" if present.all() else "Int64")
    if t == ColumnType.BOOLEAN:
        flags = [bool(v) if p else pd.NA for v, p in zip(values, present, strict=True)]
        return pd.Series(flags, dtype="bool" if present.all() else "boolean")
    if t == ColumnType.STRING and mixed:
        texts = [_cell_text(v, ct) if p else None for v, ct, p in zip(values, types, present, strict=True)]
        return pd.Series(texts, dtype=object)
    return pd.Series([v if p else None for v, p in zip(values, present, strict=True)], dtype=object)


class TableTransposer(Node):
    type_name = "table_transposer"
    display_name = "Table Transposer"
    category = Category.MANIPULATOR
    description = (
        "Swaps rows and columns: output row i is input column i (RowID = its name), output columns are named after "
        "the input RowIDs. Each new column gets the most general type of its cells (all numbers: the widest number "
        "type; mixed with text: String, numbers written as KNIME prints them)."
    )
    keywords = ("transpose", "swap", "rotate", "pivot", "rows to columns")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.transpose.TransposeTableNodeFactory",
            "Table Transposer",
            ignore_settings,
            note="guess_or_fixed/chunk_size only tune memory",
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Transposed table"),)

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]  # the new columns are the input's RowIDs

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        df = table.df
        names = table.columns
        if len(df) == 0:
            empty = pd.DataFrame(index=pd.Index(names, dtype=object))
            return [Table(empty, {})]
        col_names = _transposed_names(table.row_ids)
        if len(set(col_names)) != len(col_names):
            raise NodeError("the RowIDs (the new column names) are not unique after trimming")
        missing = df.isna().to_numpy()
        cells = df.to_numpy(dtype=object)
        types = [table.types[c] for c in names]
        data: dict[str, pd.Series] = {}
        out_types: dict[str, str] = {}
        for i, new_name in enumerate(col_names):
            present = ~missing[i]
            row_types = [t for t, p in zip(types, present, strict=True) if p]
            t = common_type(row_types)
            data[new_name] = _transposed_column(cells[i], present, t, types, mixed=len(set(row_types)) > 1)
            out_types[new_name] = t
        out = pd.DataFrame(data)
        out.index = pd.Index(names, dtype=object)
        return [Table(out, out_types)]
