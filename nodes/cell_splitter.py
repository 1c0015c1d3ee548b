"""Cell Splitter: a string column split at a delimiter into columns, a list or a set (collection
cells are tuples in object columns, see nodes/collection_columns.py), with KNIME's type guessing."""

from __future__ import annotations

import codecs
from typing import Any

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
from engine.api.knime import KnimeMapping
from nodes._aggregation import is_missing
from nodes._column_types import typed_column
from nodes._common import require_columns, spec_or_none
from nodes._java_text import java_trim, parse_java_double, parse_java_int

# ----------------------------------------------------------------------------------- Cell Splitter


class CellSplitterSettings(NodeSettings):
    colName: str = Field(
        "",
        title="Column to split",
        description="The string column whose values are split.",
        json_schema_extra=widget("column"),
    )
    delimiter: str = Field(",", title="Delimiter", description="Text separating the parts.")
    useEscapeCharacter: bool = Field(
        False,
        title="Use \\ as escape character",
        description="Read \\t, \\n, \\uXXXX in the delimiter as Java does.",
    )
    quotePattern: str | None = Field(
        '"',
        title="Quotation character",
        description="Parts between these quotes are not split (empty: no quotes).",
    )
    removeQuotes: bool = Field(
        True, title="Remove quotation characters", description="Drop the quotes of a part."
    )
    removeWhitespaces: bool = Field(
        True, title="Remove leading and trailing white space chars (trim)", description="Trim each part."
    )
    outputAsList: bool = Field(False, title="As list", description="One List column `<col>_SplitResultList`.")
    outputAsSet: bool = Field(
        False, title="As set", description="One Set column `<col>_SplitResultSet` (distinct parts)."
    )
    outputAsColumns: bool = Field(
        True, title="As new columns", description="One column per part: `<col>_Arr[0]`, `<col>_Arr[1]`, ..."
    )
    guessNumOfCols: bool = Field(
        True,
        title="Guess size and column types",
        description="Columns as many as the most parts in a row, typed Integer, Double or String from the parts "
        "(else numberOfCols String columns, the last one holding the rest).",
    )
    numberOfCols: int = Field(
        1, ge=1, title="Set array size", description="Number of new columns when not guessing."
    )
    hasScanLimit: bool = Field(False, title="Scan limit", description="Guess from the first rows only.")
    scanLimit: int = Field(50, ge=1, description="Rows scanned when guessing with a scan limit.")
    useEmptyString: bool = Field(
        False,
        title="Create empty string cells",
        description="Missing parts (and missing input) become empty strings in String columns instead of missing.",
    )
    splitColumnNames: bool = Field(
        False, description="Name the new columns by splitting the input column's name."
    )
    removeInputColumn: bool = Field(False, title="Remove input column", description="Drop the split column.")


def _unescape(text: str) -> str:
    return codecs.decode(text.encode("latin-1", "backslashreplace"), "unicode_escape")


def _tokens(text: str, s: CellSplitterSettings, delim: str) -> list[tuple[str, int]]:
    """Parts of `text` split at the delimiter outside quotes, with the position where each starts
    (KNIME's Tokenizer: no consecutive delimiters combined; `\\` escapes inside quotes)."""
    quote = s.quotePattern or ""
    out: list[tuple[str, int]] = []
    if not text:
        return out
    i, start = 0, 0
    buf: list[str] = []
    while i <= len(text):
        if i == len(text):
            out.append(("".join(buf), start))
            break
        if quote and text.startswith(quote, i):
            j = i + len(quote)
            body = []
            while j < len(text) and not text.startswith(quote, j):
                if text[j] == "\\" and j + 1 < len(text):
                    body.append(text[j + 1])
                    j += 2
                    continue
                body.append(text[j])
                j += 1
            piece = "".join(body)
            buf.append(piece if s.removeQuotes else quote + piece + quote)
            i = j + len(quote)
            continue
        if text.startswith(delim, i):
            out.append(("".join(buf), start))
            buf = []
            i += len(delim)
            start = i
            continue
        buf.append(text[i])
        i += 1
    return out


def _guess(values: list[str]) -> str:
    kind = ColumnType.INTEGER
    for v in values:
        if not v:
            continue  # an empty part becomes a missing cell, whatever the type
        if kind == ColumnType.INTEGER:
            try:
                parse_java_int(v)
                continue
            except ValueError:
                kind = ColumnType.DOUBLE
        if kind == ColumnType.DOUBLE:
            try:
                parse_java_double(v)
            except ValueError:
                return ColumnType.STRING
    return kind


def _uniquify(name: str, taken: set[str]) -> str:
    """CellSplitterCellFactory.uniquifyName: `name(2)`, then `name(2)(3)`, ..."""
    k = 1
    while name in taken:
        k += 1
        name = f"{name}({k})"
    return name


def _split_plan(spec: TableSpec, s: CellSplitterSettings, types: list[str] | None) -> TableSpec:
    names = [c for c in spec.names if not (s.removeInputColumn and c == s.colName)]
    out = TableSpec.of((n, spec.type_of(n)) for n in names)
    taken = set(spec.names)
    if s.outputAsList or s.outputAsSet:
        kind = "List" if s.outputAsList else "Set"
        name = _uniquify(f"{s.colName}_SplitResult{kind}", taken)
        element_type = ColumnType.list_of if s.outputAsList else ColumnType.set_of
        return out.append((name, element_type(ColumnType.STRING)))
    assert types is not None
    headers = _header_names(s) if s.splitColumnNames else []
    for i, t in enumerate(types):
        base = headers[i] if i < len(headers) and headers[i] else f"{s.colName}_Arr[{i}]"
        name = _uniquify(base, taken)
        taken.add(name)
        out = out.append((name, t))
    return out


def _header_names(s: CellSplitterSettings) -> list[str]:
    delim = _unescape(s.delimiter) if s.useEscapeCharacter else s.delimiter
    return [java_trim(t) if s.removeWhitespaces else t for t, _ in _tokens(s.colName, s, delim)]


def _check_splitter(spec: TableSpec, s: CellSplitterSettings) -> None:
    if not s.colName:
        raise ConfigureError("Specify the column to split.", setting="colName")
    require_columns(spec, [s.colName], "colName")
    if spec.type_of(s.colName) not in (ColumnType.STRING, ColumnType.SMILES):
        raise ConfigureError("Selected split column must be of type string", setting="colName")
    if not s.delimiter:
        raise ConfigureError("Specify the delimiter to perform splitting with.", setting="delimiter")
    if s.quotePattern and (s.quotePattern.startswith(s.delimiter) or s.delimiter.startswith(s.quotePattern)):
        raise ConfigureError(
            "The quote and delimiter can't be the same and can't prefix each other.", setting="quotePattern"
        )


class CellSplitter(Node):
    type_name = "cell_splitter"
    display_name = "Cell Splitter"
    category = Category.MANIPULATOR
    description = (
        "Splits a string column at a delimiter (quotes respected) into new columns `<col>_Arr[0]`, ... (typed by "
        "guessing, the last one keeping the rest when the size is fixed), or into one List or Set column."
    )
    keywords = ("split", "tokenize", "delimiter", "separate", "explode", "text to columns")
    knime = (
        KnimeMapping("org.knime.base.node.preproc.cellsplit2.CellSplitter2NodeFactory", "Cell Splitter"),
        KnimeMapping("org.knime.base.node.preproc.cellsplit.CellSplitterNodeFactory", "Cell Splitter"),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Split table"),)
    Settings = CellSplitterSettings

    def configure(self, in_specs: list[Any], settings: CellSplitterSettings, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        _check_splitter(spec, settings)
        if settings.outputAsColumns and not (settings.outputAsList or settings.outputAsSet):
            if settings.guessNumOfCols:
                return [UNKNOWN]  # the number and types of the new columns come from the data
            return [_split_plan(spec, settings, [ColumnType.STRING] * settings.numberOfCols)]
        return [_split_plan(spec, settings, None)]

    def execute(self, inputs: list[Any], settings: CellSplitterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        s = settings
        try:
            _check_splitter(table.spec, s)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        delim = _unescape(s.delimiter) if s.useEscapeCharacter else s.delimiter
        raw = table.df[s.colName].to_numpy(dtype=object)
        texts: list[str | None] = [None if is_missing(v) else str(v) for v in raw]
        parts = [None if t is None else _tokens(t, s, delim) for t in texts]

        df = table.df.drop(columns=[s.colName]) if s.removeInputColumn else table.df.copy()
        if s.outputAsList or s.outputAsSet:
            out_spec = _split_plan(table.spec, s, None)
            df[out_spec.names[-1]] = pd.Series(_collection_cells(parts, s), index=df.index, dtype=object)
            return [Table(df, {c.name: c.type for c in out_spec.columns})]
        if s.guessNumOfCols:
            types = _guessed_types(parts, s)
        else:
            types = [ColumnType.STRING] * s.numberOfCols
        n_cols = len(types)
        out_spec = _split_plan(table.spec, s, types)
        new_names = out_spec.names[len(out_spec) - n_cols :]
        columns = _split_columns(texts, parts, types, s)
        for name, t, values in zip(new_names, types, columns, strict=True):
            series = typed_column(values, t)
            series.index = df.index
            df[name] = series
        return [Table(df, {c.name: c.type for c in out_spec.columns})]


def _split_columns(
    texts: list[str | None],
    parts: list[list[tuple[str, int]] | None],
    types: list[str],
    s: CellSplitterSettings,
) -> list[list[Any]]:
    """The new columns' cells; the last column takes the rest of a text with more parts."""
    n_cols = len(types)
    columns: list[list[Any]] = [[] for _ in range(n_cols)]
    for text, p in zip(texts, parts, strict=True):
        for i in range(n_cols):
            token: str | None = None
            if text is not None and p is not None and i < len(p):
                token = p[i][0] if i < n_cols - 1 or len(p) == n_cols else text[p[i][1] :]
            columns[i].append(_split_cell(token, types[i], s))
    return columns


def _clean(token: str, s: CellSplitterSettings) -> str:
    return java_trim(token) if s.removeWhitespaces else token


def _collection_cells(parts: list[list[tuple[str, int]] | None], s: CellSplitterSettings) -> list[Any]:
    """One list (or set, first-seen order) cell per row."""
    cells: list[Any] = []
    for p in parts:
        if p is None:
            cells.append(None)
            continue
        tokens = [_clean(t, s) for t, _ in p]
        cells.append(tuple(tokens) if s.outputAsList else tuple(dict.fromkeys(tokens)))
    return cells


def _guessed_types(parts: list[list[tuple[str, int]] | None], s: CellSplitterSettings) -> list[str]:
    """As many columns as the most parts in the scanned rows, each typed by its values."""
    scanned = parts[: s.scanLimit] if s.hasScanLimit else parts
    n_cols = max((len(p) for p in scanned if p), default=0)
    if n_cols < 1:
        raise NodeError(
            "Data analysis computed no columns to add (happens if input table is empty or has only missing "
            "values). Please set the array size manually.",
            setting="guessNumOfCols",
        )
    return [_guess([_clean(p[i][0], s) for p in scanned if p and i < len(p)]) for i in range(n_cols)]


def _split_cell(token: str | None, kind: str, s: CellSplitterSettings) -> Any:
    """A part as a cell of its column's type (an absent part: missing, or "" if so set)."""
    if token is None:
        return "" if s.useEmptyString and kind == ColumnType.STRING else None
    token = _clean(token, s)
    if kind == ColumnType.STRING:
        return token
    if not token:
        return None
    if kind == ColumnType.INTEGER:
        return parse_java_int(token)
    return parse_java_double(token)
