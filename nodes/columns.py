"""Column nodes: Column Rename, Column Renamer, Column Rename (Regex), Column Resorter, Constant Value Column, Missing
Value Column Filter and Column Combiner, with KNIME's naming rules (org.knime.base.node.preproc); Column Appender is
nodes/column_appender.py."""

from __future__ import annotations

import re
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
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type, get, seq
from nodes._column_types import column_type_name, typed_column
from nodes._common import ColumnFilter, require_columns, spec_or_none
from nodes._datetime import parse_iso
from nodes._java_hash import copied_string_set_order
from nodes._java_text import (
    cell_to_string,
    java_trim,
    parse_java_double,
    parse_java_int,
    short_string_from,
)
from nodes._string_functions import JavaError, java_regex, java_replacement


def _fail(exc: ConfigureError) -> NodeError:
    return NodeError(str(exc), setting=exc.setting)


# ----------------------------------------------------------------------------- Column Rename (old)


class RenameEntry(NodeSettings):
    old_column_name: str = Field(description="Column to rename.")
    new_column_name: str = Field(description="Its new name.")
    new_column_type: int = Field(
        0,
        description="KNIME's index of a more general type for the column (0 = keep); knitflow keeps the type.",
    )


class ColumnRenameSettings(NodeSettings):
    all_columns: list[RenameEntry] = Field(
        default_factory=list, title="Columns", description="The columns to rename and their new names."
    )


def _renamed_spec(spec: TableSpec, mapping: dict[str, str], setting: str) -> TableSpec:
    names = [mapping.get(c, c) for c in spec.names]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ConfigureError(f"duplicate column names after renaming: {', '.join(dupes)}", setting=setting)
    if any(not n.strip() for n in mapping.values()):
        raise ConfigureError("a new column name is empty", setting=setting)
    return TableSpec.of((n, c.type) for n, c in zip(names, spec.columns, strict=True))


def _relabelled(table: Table, spec: TableSpec) -> Table:
    """The table's cells under the renamed spec's names (no data copied)."""
    df = table.df.copy(deep=False)
    df.columns = spec.names
    return Table(df, {c.name: c.type for c in spec.columns})


def _rename_from_knime(knime: KnimeSettings) -> None:
    entries = []
    for c in (knime.get("all_columns") or {}).values():
        if not isinstance(c, dict):
            continue
        entries.append(
            {"old_column_name": c.get("old_column_name"), "new_column_name": c.get("new_column_name")}
        )
        if c.get("new_column_type") not in (None, 0):
            knime.note(
                f"column {c.get('old_column_name')!r}: KNIME's more general column type is not kept "
                "(the cells are unchanged)"
            )
    knime.put("all_columns", entries, "all_columns")


class ColumnRename(Node):
    type_name = "column_rename"
    display_name = "Column Rename"
    category = Category.MANIPULATOR
    description = (
        "Renames columns (the legacy KNIME node); configured columns missing from the input are skipped with a "
        "warning. Cells, types and order are unchanged."
    )
    keywords = ("rename", "column name", "header", "relabel")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.rename.RenameNodeFactory", "Column Rename", _rename_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Renamed table"),)
    Settings = ColumnRenameSettings

    @staticmethod
    def _mapping(spec: TableSpec, s: ColumnRenameSettings, ctx: NodeContext) -> dict[str, str]:
        absent = [e.old_column_name for e in s.all_columns if e.old_column_name not in spec]
        if absent:
            ctx.warn(f"Some columns are not in the input table and are not renamed: {', '.join(absent)}")
        return {e.old_column_name: e.new_column_name for e in s.all_columns if e.old_column_name in spec}

    def configure(self, in_specs: list[Any], settings: ColumnRenameSettings, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        return [_renamed_spec(spec, self._mapping(spec, settings, ctx), "all_columns")]

    def execute(self, inputs: list[Any], settings: ColumnRenameSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        mapping = {
            e.old_column_name: e.new_column_name
            for e in settings.all_columns
            if e.old_column_name in table.types
        }
        try:
            spec = _renamed_spec(table.spec, mapping, "all_columns")
        except ConfigureError as exc:
            raise _fail(exc) from None
        return [_relabelled(table, spec)]


# ----------------------------------------------------------------------- Column Renamer (5.x node)


class Renaming(NodeSettings):
    oldName: str = Field(title="Column", description="Column to rename.")
    newName: str = Field(title="New name", description="Its new name.")


class ColumnRenamerSettings(NodeSettings):
    renamings: list[Renaming] = Field(
        default_factory=list, title="Renamings", description="Columns and their new names."
    )


def _renamer_from_knime(knime: KnimeSettings) -> None:
    renamings = [
        {"oldName": r.get("oldName"), "newName": r.get("newName")} for r in seq(knime.get("renamings"))
    ]
    knime.put("renamings", renamings, "renamings")


class ColumnRenamer(Node):
    type_name = "column_renamer"
    display_name = "Column Renamer"
    category = Category.MANIPULATOR
    description = (
        "Renames columns (KNIME's newer Column Renamer): every listed column must exist, the new names must be "
        "unique; cells, types and order are unchanged."
    )
    keywords = ("rename", "column name", "header", "relabel")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.column.renamer.ColumnRenamerNodeFactory",
            "Column Renamer",
            _renamer_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Renamed table"),)
    Settings = ColumnRenamerSettings

    @staticmethod
    def _spec(spec: TableSpec, s: ColumnRenamerSettings, ctx: NodeContext | None) -> TableSpec:
        require_columns(spec, [r.oldName for r in s.renamings], "renamings")
        olds = [r.oldName for r in s.renamings]
        if len(set(olds)) != len(olds):
            raise ConfigureError("a column is renamed twice", setting="renamings")
        if ctx is not None:
            same = [r.oldName for r in s.renamings if r.oldName == r.newName]
            if same:
                ctx.warn(f"The following columns are not renamed (same name): {', '.join(same)}")
        return _renamed_spec(spec, {r.oldName: r.newName for r in s.renamings}, "renamings")

    def configure(self, in_specs: list[Any], settings: ColumnRenamerSettings, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        return [UNKNOWN if spec is None else self._spec(spec, settings, ctx)]

    def execute(self, inputs: list[Any], settings: ColumnRenamerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            spec = self._spec(table.spec, settings, None)
        except ConfigureError as exc:
            raise _fail(exc) from None
        return [_relabelled(table, spec)]


# -------------------------------------------------------------------------------- Column Rename (Regex)


class ColumnRenameRegexSettings(NodeSettings):
    """KNIME's ColumnRenameRegexConfiguration."""

    searchString: str = Field(
        "", description="Java regular expression (or literal text) searched in every name."
    )
    replaceString: str = Field("", description="Replacement for each match; $1, ${name} refer to groups.")
    isCaseInsensitive: bool = Field(False, description="Match regardless of case.")
    isLiteral: bool = Field(
        False, description="Search the text literally instead of as a regular expression."
    )


def _rename_regex_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["searchString", "replaceString", "isCaseInsensitive", "isLiteral"])
    replacement = str(knime.tree.get("replaceString") or "")
    if knime.tree.get("isLiteral") and ("$" in replacement or "\\" in replacement):
        knime.lost(
            "a literal search with $ or \\ in the replacement: knitflow reads them as in a regex replacement"
        )
    knime.unread()


def _regex_renamed(spec: TableSpec, settings: ColumnRenameRegexSettings) -> TableSpec:
    flags = re.IGNORECASE if settings.isCaseInsensitive else 0
    try:
        source = (
            re.escape(settings.searchString)
            if settings.isLiteral
            else java_regex(settings.searchString).pattern
        )
        pattern = re.compile(source, flags)
    except (JavaError, re.error) as exc:
        raise ConfigureError(
            f"Invalid search pattern {settings.searchString!r}: {exc}", setting="searchString"
        ) from None
    renames: dict[str, str] = {}
    for name in spec.names:
        try:
            new = pattern.sub(lambda m: java_replacement(m, settings.replaceString), name)
        except JavaError as exc:
            raise ConfigureError(
                f"replacement {settings.replaceString!r}: {exc}", setting="replaceString"
            ) from None
        if not new:
            raise ConfigureError(
                f"Replacement in column '{name}' leads to an empty column name", setting="replaceString"
            )
        if new != name:
            renames[name] = new
    return _renamed_spec(spec, renames, "replaceString")


class ColumnRenameRegex(Node):
    type_name = "column_rename_regex"
    display_name = "Column Rename (Regex)"
    category = Category.MANIPULATOR
    description = (
        "Renames every column whose name matches a Java regular expression (or a literal text), replacing the "
        "matches (`$1` refers to groups); names that would be empty or collide are errors."
    )
    keywords = ("rename", "regex", "column name", "prefix", "suffix", "replace")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.columnrenameregex.ColumnRenameRegexNodeFactory",
            "Column Rename (Regex)",
            _rename_regex_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Renamed table"),)
    Settings = ColumnRenameRegexSettings

    def configure(
        self, in_specs: list[Any], settings: ColumnRenameRegexSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        return [UNKNOWN if spec is None else _regex_renamed(spec, settings)]

    def execute(self, inputs: list[Any], settings: ColumnRenameRegexSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            spec = _regex_renamed(table.spec, settings)
        except ConfigureError as exc:
            raise _fail(exc) from None
        return [_relabelled(table, spec)]


# --------------------------------------------------------------------------------- Column Resorter

ANY_UNKNOWN = "<any unknown new column>"


class ColumnResorterSettings(NodeSettings):
    ColumnOrder: list[str] = Field(
        default_factory=list,
        title="Columns",
        description=f"Output column order; `{ANY_UNKNOWN}` places the columns not listed (in input order). "
        "Listed names missing from the input are ignored.",
    )


def resorted(names: list[str], order: list[str]) -> list[str]:
    """ColumnResorterNodeModel: listed columns in list order, unlisted ones at the placeholder (else last)."""
    present = set(names)
    listed = [n for n in order if n in present or n == ANY_UNKNOWN]
    unknown = [n for n in names if n not in set(order)]
    out: list[str] = []
    for n in listed:
        if n == ANY_UNKNOWN:
            out.extend(unknown)
        elif n not in out:
            out.append(n)
    if ANY_UNKNOWN not in listed:
        out.extend(unknown)
    return out


class ColumnResorter(Node):
    type_name = "column_resorter"
    display_name = "Column Resorter"
    category = Category.MANIPULATOR
    description = (
        "Reorders the columns as listed; columns not in the list go where the placeholder is (else last)."
    )
    keywords = ("reorder", "sort columns", "column order", "move column", "arrange")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.columnresorter.ColumnResorterNodeFactory", "Column Resorter"
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Resorted table"),)
    Settings = ColumnResorterSettings

    def configure(self, in_specs: list[Any], settings: ColumnResorterSettings, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        return [UNKNOWN if spec is None else spec.select(resorted(spec.names, settings.ColumnOrder))]

    def execute(self, inputs: list[Any], settings: ColumnResorterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        return [table.with_frame(table.df[resorted(table.columns, settings.ColumnOrder)])]


# ---------------------------------------------------------------------------- Constant Value Column


class ConstantColumn(NodeSettings):
    """One column of KNIME's `newColumnSettings`."""

    replaceOrAppend: Literal["APPEND", "REPLACE"] = Field(
        "APPEND", title="Output column", description="Append or replace."
    )
    columnNameToAppend: str = Field(
        "New column", title="New column", description="Name of the appended column."
    )
    columnNameToReplace: str | None = Field(None, title="Replace column", description="Column to replace.")
    type: str = Field(
        "String",
        title="Column type",
        description="Integer, Long, Double, String, Boolean, Local Date, Local Time or Local Date Time.",
    )
    customOrMissingValue: Literal["CUSTOM", "MISSING"] = Field(
        "MISSING", title="Fill value", description="Fill with the custom value or with missing cells."
    )
    value: str = Field("", title="Custom value", description="The value, as text (ISO for dates and times).")


class ConstantValueSettings(NodeSettings):
    newColumnSettings: list[ConstantColumn] = Field(
        default_factory=lambda: [ConstantColumn()],
        title="Constant columns",
        description="The columns to append or replace, each with one value for every row.",
    )


def _constant(c: ConstantColumn, where: str) -> tuple[str, Any]:
    try:
        col_type = column_type_name(c.type)
    except ValueError as exc:
        raise ConfigureError(str(exc), setting=f"{where}.type") from None
    if c.customOrMissingValue == "MISSING":
        return col_type, None
    text = c.value
    try:
        if col_type in (ColumnType.INTEGER, ColumnType.LONG):
            return col_type, parse_java_int(text.strip(), 32 if col_type == ColumnType.INTEGER else 64)
        if col_type == ColumnType.DOUBLE:
            return col_type, parse_java_double(text)
        if col_type == ColumnType.BOOLEAN:
            if text.strip().lower() not in ("true", "false"):
                raise ValueError(text)
            return col_type, text.strip().lower() == "true"
        if col_type in ColumnType.DATE_TIME:
            return col_type, parse_iso(text, col_type)
    except ValueError:
        raise ConfigureError(
            f"The value '{text}' is not a valid value for the selected type {col_type}.",
            setting=f"{where}.value",
        ) from None
    return col_type, text


def _constant_plan(
    spec: TableSpec, s: ConstantValueSettings
) -> tuple[TableSpec, list[tuple[str, str, Any, bool]]]:
    plan = []
    names = list(spec.names)
    types = {c.name: c.type for c in spec.columns}
    taken = set(names)
    for i, c in enumerate(s.newColumnSettings):
        where = f"newColumnSettings.{i}"
        col_type, value = _constant(c, where)
        if c.replaceOrAppend == "REPLACE":
            if not c.columnNameToReplace or c.columnNameToReplace not in types:
                raise ConfigureError(
                    f"Column to replace: '{c.columnNameToReplace}' does not exist in input table",
                    setting=f"{where}.columnNameToReplace",
                )
            name, replace = c.columnNameToReplace, True
        else:
            if not c.columnNameToAppend.strip():
                raise ConfigureError(
                    "The column name to append must not be empty.", setting=f"{where}.columnNameToAppend"
                )
            name, replace = unique_column_name(taken, c.columnNameToAppend), False
            taken.add(name)
            names.append(name)
        types[name] = col_type
        plan.append((name, col_type, value, replace))
    return TableSpec.of((n, types[n]) for n in names), plan


def _constant_value_from_knime(knime: KnimeSettings) -> None:
    if knime.get("newColumnSettings") is not None:  # the 5.x node
        columns = []
        for c in seq(knime.get("newColumnSettings")):
            entry = {
                k: c.get(k) for k in ("replaceOrAppend", "columnNameToAppend", "columnNameToReplace", "value")
            }
            entry["customOrMissingValue"] = c.get("customOrMissingValue") or "CUSTOM"
            cls = get(c, "type.cell_class")
            entry["type"] = column_type(cls) if cls else "String"
            columns.append({k: v for k, v in entry.items() if v is not None})
        knime.put("newColumnSettings", columns, "newColumnSettings")
        return
    old_type = str(knime.get("column-type") or "STRING")
    mapped = {"LONG": "Long", "INT": "Integer", "DOUBLE": "Double", "STRING": "String", "BOOLEAN": "Boolean"}
    if old_type not in mapped:
        knime.lost(f"column type {old_type} (legacy Date and Time or XML) is not supported")
    replaced = knime.get("replaced-column")
    column = {
        "replaceOrAppend": "REPLACE" if replaced else "APPEND",
        "columnNameToAppend": knime.get("new-column-name") or "New column",
        "columnNameToReplace": replaced,
        "type": mapped.get(old_type, "String"),
        "customOrMissingValue": "CUSTOM",
        "value": knime.get("column-value") or "",
    }
    knime.put("newColumnSettings", [column], "column-value")


class ConstantValueColumn(Node):
    type_name = "constant_value_column"
    display_name = "Constant Value Column"
    category = Category.MANIPULATOR
    description = (
        "Appends (or replaces) columns holding one value for every row: a typed constant or missing cells. An "
        "appended name that exists already gets ' (#1)'."
    )
    keywords = ("constant", "fixed value", "literal", "add column", "fill")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.constantvalue.ConstantValueColumnNodeFactory2",
            "Constant Value Column",
            _constant_value_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.constantvalue.ConstantValueColumnNodeFactory",
            "Constant Value Column",
            _constant_value_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with constant columns"),)
    Settings = ConstantValueSettings

    def configure(self, in_specs: list[Any], settings: ConstantValueSettings, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        return [UNKNOWN if spec is None else _constant_plan(spec, settings)[0]]

    def execute(self, inputs: list[Any], settings: ConstantValueSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            spec, plan = _constant_plan(table.spec, settings)
        except ConfigureError as exc:
            raise _fail(exc) from None
        df = table.df.copy()
        n = len(df)
        for name, col_type, value, _replace in plan:
            series = typed_column([value] * n, col_type)
            series.index = df.index
            df[name] = series
        df = df[spec.names]
        return [Table(df, {c.name: c.type for c in spec.columns})]


# --------------------------------------------------------------------- Missing Value Column Filter


class MissingValueColumnFilterSettings(NodeSettings):
    column_filter: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns to test",
        description="Columns checked for missing values (the others are kept).",
    )
    missing_value_percentage: float = Field(
        100.0,
        ge=0,
        le=100,
        title="Missing value threshold (in %)",
        description="A tested column is removed when its share of missing cells is at least this percentage.",
    )


class MissingValueColumnFilter(Node):
    type_name = "missing_value_column_filter"
    display_name = "Missing Value Column Filter"
    category = Category.MANIPULATOR
    description = (
        "Removes the tested columns whose percentage of missing cells reaches the threshold (100: only columns "
        "that are entirely missing). Which columns go is known only from the data."
    )
    keywords = ("missing", "empty columns", "drop columns", "sparse", "null", "filter")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.filter.missingvaluecolfilter.MissingValueColumnFilterNodeFactory",
            "Missing Value Column Filter",
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Filtered table"),)
    Settings = MissingValueColumnFilterSettings

    def configure(
        self, in_specs: list[Any], settings: MissingValueColumnFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        return [UNKNOWN]  # depends on the cells

    def execute(
        self, inputs: list[Any], settings: MissingValueColumnFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        tested = settings.column_filter.apply(table.spec)
        n = len(table)
        drop = set()
        for col in tested:
            missing = int(np.count_nonzero(table.df[col].isna().to_numpy()))
            share = 100.0 * missing / n if n else 0.0
            if n and share >= settings.missing_value_percentage:
                drop.add(col)
        keep = [c for c in table.columns if c not in drop]
        return [table.with_frame(table.df[keep])]


# --------------------------------------------------------------------------------- Column Combiner


class ColumnCombinerSettings(NodeSettings):
    """KNIME's ColCombine2NodeModel settings."""

    column_filter: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns",
        description="The columns whose texts are joined, in table order.",
    )
    delimiter: str = Field(",", description="Put between the texts (trimmed, unless it is only white space).")
    is_quoting: bool = Field(
        False,
        title="Quote characters",
        description="Quote a text that holds the delimiter or the quote character (else replace the delimiter).",
    )
    quote_char: str = Field('"', min_length=1, max_length=1, description="The quote character.")
    is_quoting_always: bool = Field(False, title="Quote always", description="Quote every text.")
    replace_delimiter: str = Field(
        "",
        title="Replace delimiter by",
        description="Without quoting: what replaces the delimiter inside a text.",
    )
    new_column_name: str = Field("combined string", description="Name of the appended String column.")
    remove_included_columns: bool = Field(False, description="Remove the combined columns.")


def _column_combiner_from_knime(knime: KnimeSettings) -> None:
    knime.take("column_filter", "column-filter")
    # KNIME saves the quote options or the replacement, whichever is active
    knime.take_all(
        [
            "delimiter",
            "is_quoting",
            "quote_char",
            "is_quoting_always",
            "replace_delimiter",
            "new_column_name",
            "remove_included_columns",
        ]
    )


def _combiner_check(spec: TableSpec, settings: ColumnCombinerSettings) -> list[str]:
    """ColCombine2NodeModel.configure and validateSettings, KNIME's messages."""
    if not settings.new_column_name.strip():
        raise ConfigureError("Name of new column must not be empty", setting="new_column_name")
    delimiter = _trimmed_delimiter(settings.delimiter)
    if settings.is_quoting:
        if settings.quote_char.isspace():
            raise ConfigureError("Can't use white space as quote char", setting="quote_char")
        if settings.quote_char in delimiter:
            raise ConfigureError(
                f"Delimiter String \"{delimiter}\" must not contain quote character ('{settings.quote_char}')",
                setting="delimiter",
            )
    elif delimiter and delimiter in settings.replace_delimiter:
        raise ConfigureError(
            f'Replacement string "{settings.replace_delimiter}" must not contain delimiter string "{delimiter}"',
            setting="replace_delimiter",
        )
    flt = settings.column_filter
    if flt.enforce_option == "EnforceInclusion":
        absent = flt.removed_from_includes(spec)
        if absent:
            raise ConfigureError(
                "Input table does not match selected include columns, unable to find column(s): "
                + short_string_from(copied_string_set_order(absent)),
                setting="column_filter",
            )
    if settings.new_column_name in spec:
        raise ConfigureError(f"Column already exits: {settings.new_column_name}", setting="new_column_name")
    return flt.apply(spec)


def _trimmed_delimiter(delimiter: str) -> str:
    """', ' becomes ',', but a delimiter of white space only is kept."""
    return delimiter if not java_trim(delimiter) else java_trim(delimiter)


def _combined(texts: list[str], delimiter: str, settings: ColumnCombinerSettings) -> str:
    """ColCombine2NodeModel.handleContent: quote (escaping the quote and backslash) or replace the delimiter."""
    parts = []
    quote = settings.quote_char
    for text in texts:
        if not settings.is_quoting:
            parts.append(text.replace(delimiter, settings.replace_delimiter))
        elif settings.is_quoting_always or delimiter in text or quote in text:
            escaped = "".join("\\" + ch if ch in (quote, "\\") else ch for ch in text)
            parts.append(quote + escaped + quote)
        else:
            parts.append(text)
    return delimiter.join(parts)


class ColumnCombiner(Node):
    type_name = "column_combiner"
    display_name = "Column Combiner"
    category = Category.MANIPULATOR
    description = (
        "Appends a String column joining the texts of the selected columns (in table order) with a delimiter, "
        "quoting or replacing the delimiter inside a text; numbers print as Java prints them, missing cells as `?`."
    )
    keywords = ("combine", "concatenate", "join columns", "merge columns", "paste", "string")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.colcombine2.ColCombine2NodeFactory",
            "Column Combiner",
            _column_combiner_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the combined column"),)
    Settings = ColumnCombinerSettings

    def configure(self, in_specs: list[Any], settings: ColumnCombinerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        included = _combiner_check(spec, settings)
        out = spec.append((settings.new_column_name, ColumnType.STRING))
        return (
            [out.select([n for n in out.names if n not in included])]
            if settings.remove_included_columns
            else [out]
        )

    def execute(self, inputs: list[Any], settings: ColumnCombinerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            included = _combiner_check(table.spec, settings)
        except ConfigureError as exc:
            raise _fail(exc) from None
        delimiter = _trimmed_delimiter(settings.delimiter)
        columns = [
            [cell_to_string(v, table.types[c]) for v in table.df[c].to_numpy(dtype=object)] for c in included
        ]
        df = table.df.copy()
        df[settings.new_column_name] = pd.Series(
            [_combined(list(texts), delimiter, settings) for texts in zip(*columns, strict=True)]
            if columns
            else [""] * len(df),
            index=df.index,
            dtype=object,
        )
        if settings.remove_included_columns:
            df = df.drop(columns=included)
        out = table.with_frame(df, {settings.new_column_name: ColumnType.STRING})
        return [out]
