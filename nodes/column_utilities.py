"""Column utilities of knime-base that rewrite one column from a lookup or a comparison: Cell
Replacer (a dictionary table on port 2), String Replace (Dictionary) (a dictionary file) and
Column Comparator (two columns of a row compared, the outcome in a new column).

KNIME's sources: org.knime.base.node.preproc.cellreplace (CellReplacerNodeModel and
CellReplacerNodeSettings, 4.7 on, and the model before), preproc.stringreplacer.dict
(SearchReplaceDictNodeModel) and preproc.colcompare (ColumnComparatorNodeModel / DialogPane).
"""

from __future__ import annotations

import re
from pathlib import Path
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
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, file_name
from nodes._aggregation import cell_text
from nodes._column_types import typed_column
from nodes._common import wildcard_regex
from nodes._rows import ROW_ID, common_type, is_missing, is_row_id
from nodes._string_functions import JavaError, java_regex

_TEXT_TYPES = (ColumnType.STRING, ColumnType.SMILES)


def _column_values(values: list[Any], sources: list[str], out_type: str, index: pd.Index) -> pd.Series:
    """Cells coming from columns of several types as one column of `out_type`: a String column
    gets the other cells' text (KNIME keeps them under a generic type, which knitflow cannot)."""
    cells = [
        None
        if is_missing(v)
        else cell_text(v, t)
        if out_type == ColumnType.STRING and not isinstance(v, str)
        else v
        for v, t in zip(values, sources, strict=True)
    ]
    series = typed_column(cells, out_type)
    series.index = index
    return series


# ------------------------------------------------------------------------------- Cell Replacer


class CellReplacerSettings(NodeSettings):
    """KNIME's CellReplacerNodeSettings (keys of 4.7 on; older workflows lack the string matching
    and found-column keys, whose defaults are the old behaviour)."""

    targetCol: str | None = Field(
        None,
        title="Target column",
        description="Column whose cells are looked up.",
        json_schema_extra=widget("column"),
    )
    noMatchPolicy: Literal["Input", "Missing"] = Field(
        "Missing",
        title="If no element matches use",
        description="Input: keep the target cell; Missing: a missing cell.",
    )
    dictInputCol: str | None = Field(
        None,
        title="Input (lookup)",
        description=f"Dictionary column holding the keys ({ROW_ID} for the RowIDs; a collection column: each element).",
        json_schema_extra=widget("column"),
    )
    dictOutputCol: str | None = Field(
        None,
        title="Output (replacement)",
        description=f"Dictionary column holding the replacements ({ROW_ID} for the RowIDs).",
        json_schema_extra=widget("column"),
    )
    stringMatchBehaviour: Literal["Exact", "Substring", "Wildcard", "RegEx"] = Field(
        "Exact",
        title="String matching",
        description="With a String key column: whole value, key contained in the cell, key as wildcard (* ?) or "
        "Java regex matching the whole cell; the first dictionary row that matches wins.",
    )
    caseSensitive: bool = Field(
        True, title="Case sensitive", description="Match upper and lower case exactly."
    )
    appendColumn: bool = Field(
        False, title="Append new column", description="Append the result instead of replacing."
    )
    appendColumnName: str = Field(
        "Replacement", title="New column name", description="Name of the appended column."
    )
    appendFoundColumn: bool = Field(
        False,
        title="Append found column",
        description="Append a column `found` telling whether a key matched.",
    )
    foundColumnPositiveString: str = Field(
        "found", description="Text of the found column when a key matched."
    )
    foundColumnNegativeString: str = Field("not found", description="Text of the found column otherwise.")


def _column_name_model(value: Any) -> str | None:
    """KNIME's SettingsModelColumnName: a config of `columnName` and `useRowID`."""
    if not isinstance(value, dict):
        return None if value is None else str(value)
    return ROW_ID if value.get("useRowID") else value.get("columnName")


def _cell_replacer_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["targetCol", "noMatchPolicy", "stringMatchBehaviour", "caseSensitive", "appendColumn"]
        + ["appendColumnName", "appendFoundColumn", "foundColumnPositiveString", "foundColumnNegativeString"]
    )
    for key in ("appendColumnName", "foundColumnPositiveString", "foundColumnNegativeString"):
        if knime.settings.get(key, "") is None:
            knime.settings.pop(key)
    for key in ("dictInputCol", "dictOutputCol"):
        if key in knime.tree:
            knime.put(key, _column_name_model(knime.tree[key]), key)
    for key, allowed in (
        ("noMatchPolicy", ("Input", "Missing")),
        ("stringMatchBehaviour", ("Exact", "Substring", "Wildcard", "RegEx")),
    ):
        if knime.settings.get(key, allowed[0]) not in allowed:
            knime.lost(f"{key} = {knime.settings.pop(key)!r} is not known; the default is used")
    # column properties (element names, colour handlers) are metadata knitflow's columns do not carry
    knime.unread("retainColumnProperties")


class _Lookup:
    """The dictionary as KNIME's cell factory holds it: key cell -> (key text, replacement), in
    first-insertion order; a repeated key keeps its place and takes the later replacement."""

    def __init__(self, table: Table, s: CellReplacerSettings, key_type: str) -> None:
        self.s = s
        self.key_is_text = key_type in _TEXT_TYPES
        self.lowered = (
            self.key_is_text and not s.caseSensitive and s.stringMatchBehaviour in ("Exact", "Substring")
        )
        self.entries: dict[Any, tuple[str, Any]] = {}
        self.duplicate: str | None = None
        self._patterns: dict[str, re.Pattern[str]] = {}
        inputs = _dictionary_cells(table, s.dictInputCol or "")
        outputs = _dictionary_cells(table, s.dictOutputCol or "")
        element = ColumnType.collection_kind(key_type) and ColumnType.element_of(key_type)
        for key, out in zip(inputs, outputs, strict=True):
            if element and not is_missing(key):
                for item in key:
                    self._add(item, element, out)
            else:
                self._add(key, key_type, out)

    def _add(self, value: Any, col_type: str, out: Any) -> None:
        if not is_missing(value) and self.lowered:
            text = cell_text(value, col_type).lower()
            key: Any = (ColumnType.STRING, text)
        else:
            key, text = _cell_key(value, col_type), cell_text(value, col_type)
        if key in self.entries:
            self.duplicate = text
        self.entries[key] = (text, out)

    def find(self, value: Any, col_type: str) -> tuple[bool, Any]:
        """(matched, replacement) for one target cell."""
        s = self.s
        if not self.key_is_text or is_missing(value):
            hit = self.entries.get(_cell_key(value, col_type))
        elif s.stringMatchBehaviour == "Exact":
            key = (ColumnType.STRING, cell_text(value, col_type).lower()) if not s.caseSensitive else None
            hit = self.entries.get(key or _cell_key(value, col_type))
        else:
            text = cell_text(value, col_type)
            hit = next((e for e in self.entries.values() if self._matches(text, e[0])), None)
        return (False, None) if hit is None else (True, hit[1])

    def _matches(self, text: str, pattern: str) -> bool:
        s = self.s
        if s.stringMatchBehaviour == "Substring":
            return pattern in (text if s.caseSensitive else text.lower())
        compiled = self._patterns.get(pattern)
        if compiled is None:
            flags = 0 if s.caseSensitive else re.IGNORECASE
            try:
                source = (
                    wildcard_regex(pattern)
                    if s.stringMatchBehaviour == "Wildcard"
                    else java_regex(pattern).pattern
                )
                compiled = self._patterns[pattern] = re.compile(source, flags)
            except (JavaError, re.error) as exc:
                raise NodeError(
                    f"Invalid pattern {pattern!r} in the dictionary: {exc}", setting="dictInputCol"
                ) from None
        return compiled.fullmatch(text) is not None


def _cell_key(value: Any, col_type: str) -> Any:
    """A cell as KNIME's DataCell.equals sees it: cells of different types never match, missing
    cells all match each other."""
    if is_missing(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return (col_type, value)


def _dictionary_cells(table: Table, column: str) -> list[Any]:
    if is_row_id(column):
        return list(table.row_ids)
    return list(table.df[column].to_numpy(dtype=object))


def _dictionary_type(spec: TableSpec, column: str | None, setting: str, cls: type[NodeError]) -> str:
    if is_row_id(column):
        return ColumnType.STRING
    if not column:
        raise cls(f"No {setting} column selected", setting=setting)
    if column not in spec:
        raise cls(f'No such column "{column}"', setting=setting)
    return spec.type_of(column)


def _replacer_layout(
    spec: TableSpec, dictionary: TableSpec, s: CellReplacerSettings, cls: type[NodeError]
) -> tuple[str, str, str | None, str]:
    """(replacement column name, its type, found column name or None, the key column's type)."""
    if not s.targetCol:
        raise cls("No targetCol column selected", setting="targetCol")
    if s.targetCol not in spec:
        raise cls(f'No such column "{s.targetCol}"', setting="targetCol")
    key_type = _dictionary_type(dictionary, s.dictInputCol, "dictInputCol", cls)
    out_type = _dictionary_type(dictionary, s.dictOutputCol, "dictOutputCol", cls)
    if s.noMatchPolicy == "Input":
        out_type = common_type([out_type, spec.type_of(s.targetCol)])
    name = s.targetCol
    if s.appendColumn:
        if not s.appendColumnName:
            raise cls("No new column name given", setting="appendColumnName")
        name = unique_column_name(spec.names, s.appendColumnName)
    found = unique_column_name(spec.names, "found") if s.appendFoundColumn else None
    if s.appendColumn and found == name:
        raise cls(f"Duplicate column name: {name}", setting="appendColumnName")
    return name, out_type, found, key_type


class CellReplacer(Node):
    """KNIME's Cell Replacer."""

    type_name = "cell_replacer"
    display_name = "Cell Replacer"
    category = Category.MANIPULATOR
    description = (
        "Replaces the cells of a target column by the dictionary table's replacement column where its key column "
        "matches (exactly, or for String keys as substring, wildcard or regex, case sensitive or not; a collection "
        "key column gives one key per element). Unmatched cells stay or become missing; the result replaces the "
        "column or is appended, optionally with a found / not found column."
    )
    keywords = ("replace", "dictionary", "lookup", "map values", "recode", "translate")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.cellreplace.CellReplacerNodeFactory",
            "Cell Replacer",
            _cell_replacer_from_knime,
        ),
    )
    inputs = (
        Port(TABLE, "Input table", "The table whose target column is replaced."),
        Port(TABLE, "Dictionary table", "Key and replacement columns."),
    )
    outputs = (Port(TABLE, "Table with replaced column"),)
    Settings = CellReplacerSettings

    def configure(self, in_specs: list[Any], settings: CellReplacerSettings, ctx: NodeContext) -> list[Any]:
        spec, dictionary = in_specs
        if not isinstance(spec, TableSpec) or not isinstance(dictionary, TableSpec):
            return [UNKNOWN]
        name, out_type, found, _ = _replacer_layout(spec, dictionary, settings, ConfigureError)
        out = spec.append((name, out_type)) if settings.appendColumn else spec.replace(name, out_type)
        return [out.append((found, ColumnType.STRING)) if found else out]

    def execute(self, inputs: list[Any], settings: CellReplacerSettings, ctx: NodeContext) -> list[Any]:
        table, dictionary = inputs
        s = settings
        name, out_type, found, key_type = _replacer_layout(table.spec, dictionary.spec, s, NodeError)
        lookup = _Lookup(dictionary, s, key_type)
        target_type = table.spec.type_of(s.targetCol or "")
        replacement_type = _dictionary_type(dictionary.spec, s.dictOutputCol, "dictOutputCol", NodeError)
        values, sources, hits = [], [], []
        for cell in table.df[s.targetCol].to_numpy(dtype=object):
            hit, new = lookup.find(cell, target_type)
            hits.append(hit)
            if hit:
                values.append(new)
                sources.append(replacement_type)
            else:
                values.append(cell if s.noMatchPolicy == "Input" else None)
                sources.append(target_type)
        if lookup.duplicate is not None:
            ctx.warn(f'Duplicate search key "{lookup.duplicate}"')
        df = table.df.copy(deep=False)
        df[name] = _column_values(values, sources, out_type, df.index)
        types = {name: out_type}
        if found:
            yes, no = s.foundColumnPositiveString, s.foundColumnNegativeString
            df[found] = pd.Series([yes if h else no for h in hits], index=df.index, dtype=object)
            types[found] = ColumnType.STRING
        return [table.with_frame(df, types)]


# --------------------------------------------------------------------- String Replace (Dictionary)


class StringReplaceDictionarySettings(NodeSettings):
    """KNIME's SearchReplaceDictNodeModel keys."""

    target_column: str | None = Field(
        None,
        title="Target Column",
        description="Column whose cells are replaced.",
        json_schema_extra=widget("column"),
    )
    appended_column: str | None = Field(
        None,
        title="Append Column",
        description="Name of a new column for the result; empty: replace the target.",
    )
    dictionary_location: str = Field(
        "",
        title="Dictionary Location",
        description="Text file, one entry a line: `value<delim>key1<delim>key2...`; cells equal to a key become "
        "the value.",
        json_schema_extra=widget("file"),
    )
    delimiter_in_dict: str = Field(
        ",",
        min_length=1,
        max_length=1,
        title="Delimiter in Dictionary",
        description="Separates value and keys.",
    )


def _dictionary_file_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["target_column", "appended_column", "delimiter_in_dict"])
    path = knime.tree.get("dictionary_location")
    if isinstance(path, str) and path:
        bound = "dictionary_location" in knime.variables
        value = path if bound else f"${{data_dir}}/{file_name(path)}"
        knime.put("dictionary_location", value, "dictionary_location")
        if not bound:
            knime.note(f"dictionary file {path!r} imported as {value!r}")
    knime.unread()


def _read_dictionary(path: Path, delimiter: str) -> dict[str, str]:
    """Java's StringTokenizer per line (runs of delimiters split once, empty lines skipped); the
    first token is the value, the others its keys, each trimmed unless only blanks."""
    mapping: dict[str, str] = {}
    for line in re.split("\r\n|\r|\n", path.read_text(encoding="utf-8")):
        tokens = [t.strip(_JAVA_BLANKS) or t for t in line.split(delimiter) if t]
        for key in tokens[1:]:
            mapping[key] = tokens[0]
    return mapping


_JAVA_BLANKS = "".join(chr(c) for c in range(33))  # String.trim() removes every char <= ' '


class StringReplaceDictionary(Node):
    """KNIME's String Replace (Dictionary)."""

    type_name = "string_replace_dictionary"
    display_name = "String Replace (Dictionary)"
    category = Category.MANIPULATOR
    description = (
        "Replaces the cells of a column that equal a key of a dictionary file (lines `value,key1,key2,...`) by the "
        "key's value; other cells keep their text, missing cells stay missing. The result is a String column that "
        "replaces the target column or is appended."
    )
    keywords = ("replace", "dictionary", "file", "search and replace", "map values")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.stringreplacer.dict.SearchReplaceDictNodeFactory",
            "String Replace (Dictionary)",
            _dictionary_file_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input", "Any table."),)
    outputs = (Port(TABLE, "Input with amended column"),)
    Settings = StringReplaceDictionarySettings
    path_settings = ("dictionary_location",)

    def reads(self, settings: StringReplaceDictionarySettings) -> list[str]:
        return [settings.dictionary_location] if settings.dictionary_location else []

    def _check(self, spec: TableSpec, s: StringReplaceDictionarySettings, cls: type[NodeError]) -> None:
        if not s.dictionary_location or not Path(s.dictionary_location).is_file():
            raise cls(f'No file at "{s.dictionary_location}"', setting="dictionary_location")
        delimiter = s.delimiter_in_dict
        if delimiter < " " and delimiter != "\t":
            raise cls(
                f"Can't use {delimiter!r} (hex code {ord(delimiter):x}) as delimiter",
                setting="delimiter_in_dict",
            )
        if s.target_column not in spec:
            raise cls(f'No such column "{s.target_column}" in input table', setting="target_column")
        if s.appended_column is not None:
            if not s.appended_column.strip():
                raise cls("New column name is empty", setting="appended_column")
            if s.appended_column in spec:
                raise cls(f'Column "{s.appended_column}" already exists', setting="appended_column")

    def configure(
        self, in_specs: list[Any], settings: StringReplaceDictionarySettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        self._check(spec, settings, ConfigureError)
        if settings.appended_column is not None:
            return [spec.append((settings.appended_column, ColumnType.STRING))]
        return [spec.replace(settings.target_column or "", ColumnType.STRING)]

    def execute(
        self, inputs: list[Any], settings: StringReplaceDictionarySettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        s = settings
        self._check(table.spec, s, NodeError)
        mapping = _read_dictionary(Path(s.dictionary_location), s.delimiter_in_dict)
        column = s.target_column or ""
        col_type = table.spec.type_of(column)
        texts = [
            None if is_missing(v) else cell_text(v, col_type) for v in table.df[column].to_numpy(dtype=object)
        ]
        target = s.appended_column if s.appended_column is not None else column
        df = table.df.copy(deep=False)
        df[target] = pd.Series(
            [mapping.get(t, t) if t is not None else None for t in texts], index=df.index, dtype=object
        )
        return [table.with_frame(df, {target: ColumnType.STRING})]


# ----------------------------------------------------------------------------- Column Comparator

_OPTIONS = Literal["LEFT_VALUE", "RIGHT_VALUE", "MISSING", "USER_DEFINED"]
_OPERATORS = {
    "==": lambda c: c == 0,
    "!=": lambda c: c != 0,
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}
_NUMBERS = frozenset({ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE, ColumnType.BOOLEAN})


class ColumnComparatorSettings(NodeSettings):
    """KNIME's ColumnComparatorNodeDialogPane keys (the web UI dialog keeps them)."""

    first_column: str | None = Field(
        None,
        title="Left column",
        description="Left column of the comparison.",
        json_schema_extra=widget("column"),
    )
    comparator_method: Literal["==", "!=", "<", "<=", ">", ">="] = Field(
        "==", title="Operator", description="How the left cell is compared with the right one."
    )
    second_column: str | None = Field(
        None,
        title="Right column",
        description="Right column of the comparison.",
        json_schema_extra=widget("column"),
    )
    match_option: _OPTIONS = Field(
        "LEFT_VALUE",
        title="Operator result 'true'",
        description="What the new column holds when the test holds.",
    )
    match_value: str = Field("TRUE", title="Tag", description="USER_DEFINED text for 'true'.")
    mismatch_option: _OPTIONS = Field(
        "RIGHT_VALUE", title="Operator result 'false'", description="What the new column holds otherwise."
    )
    mismatch_value: str = Field("FALSE", title="Tag", description="USER_DEFINED text for 'false'.")
    new_col_name: str = Field(
        "compare_result", title="Output column name", description="The appended column."
    )


def _comparator_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["first_column", "second_column", "comparator_method", "match_option", "match_value"]
        + ["mismatch_option", "mismatch_value", "new_col_name"]
    )
    if knime.settings.get("comparator_method", "==") not in _OPERATORS:
        knime.unreadable(f"comparator_method {knime.settings.pop('comparator_method')!r} is not known")
    for key in ("match_option", "mismatch_option"):
        if knime.settings.get(key, "MISSING") not in ("LEFT_VALUE", "RIGHT_VALUE", "MISSING", "USER_DEFINED"):
            knime.unreadable(f"{key} {knime.settings.pop(key)!r} is not known")
    knime.unread()


def _java_order(a: str, b: str) -> int:
    """String.compareTo: UTF-16 code units."""
    x, y = a.encode("utf-16-be"), b.encode("utf-16-be")
    return (x > y) - (x < y)


def compare_cells(a: Any, a_type: str, b: Any, b_type: str) -> int:
    """KNIME's comparator of the two cells' common super type: missing cells first, numbers by
    value, equal types naturally, anything else by the cells' text."""
    if is_missing(a) or is_missing(b):
        return int(is_missing(b)) - int(is_missing(a))
    if a_type in _NUMBERS and b_type in _NUMBERS:
        x, y = (int(a), int(b)) if ColumnType.DOUBLE not in (a_type, b_type) else (float(a), float(b))
        return (x > y) - (x < y)
    if a_type == b_type and a_type in ColumnType.DATE_TIME:
        return (a > b) - (a < b)
    if a_type == b_type and isinstance(a, str) and isinstance(b, str):
        return _java_order(a, b)
    return _java_order(cell_text(a, a_type), cell_text(b, b_type))


def _comparator_type(spec: TableSpec, s: ColumnComparatorSettings) -> str:
    left, right = spec.type_of(s.first_column or ""), spec.type_of(s.second_column or "")
    options = (s.match_option, s.mismatch_option)
    if "USER_DEFINED" in options:
        return ColumnType.STRING
    if "MISSING" in options:
        return left if "LEFT_VALUE" in options else right
    return common_type([left, right])


def _check_comparator(spec: TableSpec, s: ColumnComparatorSettings, cls: type[NodeError]) -> None:
    if s.first_column is None or s.second_column is None:
        raise cls("No column is selected for comparison.", setting="first_column")
    if s.first_column == s.second_column:
        raise cls(f"Left and right column are the same: {s.first_column}", setting="second_column")
    if "USER_DEFINED" not in (s.match_option, s.mismatch_option) and s.match_option == s.mismatch_option:
        raise cls("Replacement options are the same for true/false!", setting="mismatch_option")
    if s.first_column not in spec:
        raise cls(f"Column left not in spec: {s.first_column}", setting="first_column")
    if s.second_column not in spec:
        raise cls(f"Column right not in spec: {s.second_column}", setting="second_column")
    if not s.new_col_name.strip():
        raise cls("New column name must not be empty.", setting="new_col_name")
    if s.new_col_name in spec:
        raise cls(f"New column name '{s.new_col_name}' already exists in input data.", setting="new_col_name")


class ColumnComparator(Node):
    """KNIME's Column Comparator."""

    type_name = "column_comparator"
    display_name = "Column Comparator"
    category = Category.MANIPULATOR
    description = (
        "Compares two columns cell by cell (==, !=, <, <=, >, >= on their common type; missing cells are smallest) "
        "and appends a column holding, for 'true' and for 'false' each, the left value, the right value, a missing "
        "cell or a tag of your own."
    )
    keywords = ("compare", "columns", "equal", "difference", "flag", "condition")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.colcompare.ColumnComparatorNodeFactory",
            "Column Comparator",
            _comparator_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "The table with the two columns."),)
    outputs = (Port(TABLE, "Table with comparison column"),)
    Settings = ColumnComparatorSettings

    def configure(
        self, in_specs: list[Any], settings: ColumnComparatorSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _check_comparator(spec, settings, ConfigureError)
        return [spec.append((settings.new_col_name, _comparator_type(spec, settings)))]

    def execute(self, inputs: list[Any], settings: ColumnComparatorSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        s = settings
        _check_comparator(table.spec, s, NodeError)
        out_type = _comparator_type(table.spec, s)
        left, right = s.first_column or "", s.second_column or ""
        types = {"LEFT_VALUE": table.spec.type_of(left), "RIGHT_VALUE": table.spec.type_of(right)}
        # a tag makes the column a String one: a left or right value is then written as its text
        as_text = "USER_DEFINED" in (s.match_option, s.mismatch_option)
        test = _OPERATORS[s.comparator_method]
        values, sources = [], []
        for a, b in zip(
            table.df[left].to_numpy(dtype=object), table.df[right].to_numpy(dtype=object), strict=True
        ):
            holds = test(compare_cells(a, types["LEFT_VALUE"], b, types["RIGHT_VALUE"]))
            option = s.match_option if holds else s.mismatch_option
            if option in types:
                cell, cell_type = (a if option == "LEFT_VALUE" else b), types[option]
                values.append(cell_text(cell, cell_type) if as_text else cell)
                sources.append(cell_type)
            else:
                values.append(
                    (s.match_value if holds else s.mismatch_value) if option == "USER_DEFINED" else None
                )
                sources.append(ColumnType.STRING)
        df = table.df.copy(deep=False)
        df[s.new_col_name] = _column_values(values, sources, out_type, df.index)
        return [table.with_frame(df, {s.new_col_name: out_type})]
