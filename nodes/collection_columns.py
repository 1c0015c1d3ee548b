"""Collection and splitting nodes: Cell Splitter, Create Collection Column, Ungroup, One to Many.

Collection cells are tuples in object columns typed `List of <element>` / `Set of <element>`
(engine.api.ColumnType.list_of/set_of); a set keeps its first-seen order, like KNIME's SetCell.
"""

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
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._aggregation import cell_text, is_missing
from nodes._column_types import common_type, typed_column
from nodes._common import ColumnFilter, require_columns
from nodes._java_text import java_trim, parse_java_double, parse_java_int


def _spec(obj: Any) -> TableSpec | None:
    return obj if isinstance(obj, TableSpec) else None


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
        spec = _spec(in_specs[0])
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

        def clean(token: str) -> str:
            return java_trim(token) if s.removeWhitespaces else token

        df = table.df.drop(columns=[s.colName]) if s.removeInputColumn else table.df.copy()
        if s.outputAsList or s.outputAsSet:
            cells: list[Any] = []
            for p in parts:
                if p is None:
                    cells.append(None)
                    continue
                tokens = [clean(t) for t, _ in p]
                cells.append(tuple(tokens) if s.outputAsList else tuple(dict.fromkeys(tokens)))
            out_spec = _split_plan(table.spec, s, None)
            name = out_spec.names[-1]
            df[name] = pd.Series(cells, index=df.index, dtype=object)
            return [Table(df, {c.name: c.type for c in out_spec.columns})]
        if s.guessNumOfCols:
            scanned = parts[: s.scanLimit] if s.hasScanLimit else parts
            n_cols = max((len(p) for p in scanned if p), default=0)
            if n_cols < 1:
                raise NodeError(
                    "Data analysis computed no columns to add (happens if input table is empty or has only missing "
                    "values). Please set the array size manually.",
                    setting="guessNumOfCols",
                )
            types = [_guess([clean(p[i][0]) for p in scanned if p and i < len(p)]) for i in range(n_cols)]
        else:
            n_cols, types = s.numberOfCols, [ColumnType.STRING] * s.numberOfCols
        out_spec = _split_plan(table.spec, s, types)
        new_names = out_spec.names[len(out_spec) - n_cols :]
        columns: list[list[Any]] = [[] for _ in range(n_cols)]
        for text, p in zip(texts, parts, strict=True):
            for i in range(n_cols):
                token: str | None = None
                cell: Any
                if text is not None and p is not None and i < len(p):
                    token = p[i][0] if i < n_cols - 1 or len(p) == n_cols else text[p[i][1] :]
                if token is None:
                    cell = "" if s.useEmptyString and types[i] == ColumnType.STRING else None
                else:
                    token = clean(token)
                    if types[i] == ColumnType.STRING:
                        cell = token
                    elif not token:
                        cell = None
                    elif types[i] == ColumnType.INTEGER:
                        cell = parse_java_int(token)
                    else:
                        cell = parse_java_double(token)
                columns[i].append(cell)
        for name, t, values in zip(new_names, types, columns, strict=True):
            series = typed_column(values, t)
            series.index = df.index
            df[name] = series
        return [Table(df, {c.name: c.type for c in out_spec.columns})]


# ------------------------------------------------------------------------ Create Collection Column


class CreateCollectionSettings(NodeSettings):
    includes: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns",
        description="Columns whose cells form each row's collection.",
    )
    createSet: bool = Field(
        False,
        title="Create a collection of type 'set'",
        description="A Set (distinct cells) instead of a List.",
    )
    removeCols: bool = Field(
        False, title="Remove aggregated columns", description="Drop the collected columns."
    )
    newColName: str = Field(
        "AggregatedValues", title="New column name", description="Name of the collection column."
    )
    ignoreMissingValue: bool = Field(
        False, title="Ignore missing values", description="Leave missing cells out of the collections."
    )


def _collection_plan(spec: TableSpec, s: CreateCollectionSettings) -> tuple[list[str], TableSpec]:
    cols = s.includes.apply(spec)
    if not cols:
        raise ConfigureError("Select columns to aggregate", setting="includes")
    element = common_type([spec.type_of(c) for c in cols])
    kind = ColumnType.set_of(element) if s.createSet else ColumnType.list_of(element)
    kept = [c for c in spec.names if not (s.removeCols and c in cols)]
    if s.newColName in kept:
        raise ConfigureError(f"column {s.newColName!r} exists already", setting="newColName")
    return cols, TableSpec.of([(c, spec.type_of(c)) for c in kept] + [(s.newColName, kind)])


class CreateCollectionColumn(Node):
    type_name = "create_collection_column"
    display_name = "Create Collection Column"
    category = Category.MANIPULATOR
    description = (
        "Appends one collection column holding each row's cells of the selected columns, as a List (in column "
        "order) or a Set (distinct cells); missing cells can be left out."
    )
    keywords = ("collection", "list", "set", "array", "combine cells", "aggregate row")
    knime = (
        KnimeMapping(
            "org.knime.base.collection.list.create2.CollectionCreate2NodeFactory", "Create Collection Column"
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with collection column"),)
    Settings = CreateCollectionSettings

    def configure(
        self, in_specs: list[Any], settings: CreateCollectionSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = _spec(in_specs[0])
        return [UNKNOWN if spec is None else _collection_plan(spec, settings)[1]]

    def execute(self, inputs: list[Any], settings: CreateCollectionSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            cols, out_spec = _collection_plan(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        values = [table.df[c].to_numpy(dtype=object) for c in cols]
        cells = []
        for row in zip(*values, strict=True):
            items = [None if is_missing(v) else v for v in row]
            if settings.ignoreMissingValue:
                items = [v for v in items if v is not None]
            cells.append(tuple(dict.fromkeys(items)) if settings.createSet else tuple(items))
        df = table.df.drop(columns=cols) if settings.removeCols else table.df.copy()
        df[settings.newColName] = pd.Series(cells, index=df.index, dtype=object)
        return [Table(df, {c.name: c.type for c in out_spec.columns})]


# ------------------------------------------------------------------------------------------ Ungroup


class UngroupSettings(NodeSettings):
    columnNames: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Collection columns",
        description="Collection columns to ungroup (other types are never selected).",
    )
    removeCollectionCol: bool = Field(
        True,
        title="Remove selected collection column",
        description="Replace each collection column by its elements.",
    )
    skipMissingValues: bool = Field(
        False,
        title="Skip missing values",
        description="Drop output rows whose ungrouped cells are all missing.",
    )
    skipEmptyCollections: bool = Field(
        False, title="Skip empty collections", description="Drop rows whose collections are all empty."
    )
    enableHilite: bool = Field(
        False, description="KNIME's hiliting; knitflow has none, so it changes nothing."
    )


def _ungroup_plan(spec: TableSpec, s: UngroupSettings) -> tuple[list[str], TableSpec]:
    cols = [c for c in s.columnNames.apply(spec) if ColumnType.collection_kind(spec.type_of(c))]
    out: list[tuple[str, str]] = []
    for c in spec.columns:
        if c.name in cols:
            element = ColumnType.element_of(c.type)
            if not s.removeCollectionCol:
                out.append((c.name, c.type))
                out.append((unique_column_name(set(spec.names), c.name), element))
            else:
                out.append((c.name, element))
        else:
            out.append((c.name, c.type))
    return cols, TableSpec.of(out)


def _ungroup_from_knime(knime: KnimeSettings) -> None:
    if knime.get("columnNames") is not None:
        knime.take("columnNames")
    elif knime.get("columnName"):  # before KNIME 2.8: one column
        knime.put(
            "columnNames",
            {"included_names": [knime.get("columnName")], "enforce_option": "EnforceInclusion"},
            "columnName",
        )
    knime.take_all(["removeCollectionCol", "skipMissingValues", "skipEmptyCollections", "enableHilite"])


class Ungroup(Node):
    type_name = "ungroup"
    display_name = "Ungroup"
    category = Category.MANIPULATOR
    description = (
        "Creates one row per element of the selected collection columns (parallel when several; shorter ones "
        "padded with missing cells); RowIDs `<RowID>_1`, `<RowID>_2`, ... Rows whose collections are all missing "
        "keep their RowID with missing cells."
    )
    keywords = ("ungroup", "explode", "unnest", "expand list", "flatten", "collection")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.ungroup.UngroupNodeFactory", "Ungroup", _ungroup_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Ungrouped table"),)
    Settings = UngroupSettings

    def configure(self, in_specs: list[Any], settings: UngroupSettings, ctx: NodeContext) -> list[Any]:
        spec = _spec(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        cols, out = _ungroup_plan(spec, settings)
        if not cols:
            ctx.warn("No ungroup column selected. Node returns input table.")
        return [out]

    def execute(self, inputs: list[Any], settings: UngroupSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        s = settings
        cols, out_spec = _ungroup_plan(table.spec, s)
        if not cols:
            return [table]
        frame = table.df
        names = table.columns
        col_values = {c: frame[c].to_numpy(dtype=object) for c in names}
        rows: list[list[Any]] = []
        ids: list[str] = []
        for k, rid in enumerate(table.row_ids):
            if k % 10000 == 0:
                ctx.check_cancelled()
            colls = [col_values[c][k] for c in cols]
            present = [None if is_missing(v) else tuple(v) for v in colls]
            if all(p is None for p in present):
                if not s.skipMissingValues:
                    rows.append(self._row(names, col_values, k, cols, [None] * len(cols), s))
                    ids.append(rid)
                continue
            longest = max(len(p) for p in present if p is not None)
            if longest == 0:
                if not s.skipEmptyCollections:
                    rows.append(self._row(names, col_values, k, cols, [None] * len(cols), s))
                    ids.append(f"{rid}_1")
                continue
            counter = 1
            for i in range(longest):
                elements = [p[i] if p is not None and i < len(p) else None for p in present]
                elements = [None if is_missing(e) else e for e in elements]
                if s.skipMissingValues and all(e is None for e in elements):
                    continue
                rows.append(self._row(names, col_values, k, cols, elements, s))
                ids.append(f"{rid}_{counter}")
                counter += 1
        types = {c.name: c.type for c in out_spec.columns}
        data = {
            name: typed_column([r[j] for r in rows], types[name]) for j, name in enumerate(out_spec.names)
        }
        df = pd.DataFrame(data)
        if len(rows) == 0:
            df = pd.DataFrame({n: pd.Series([], dtype=object) for n in out_spec.names})
        df.index = pd.Index(ids, dtype=object)
        return [Table(df, types)]

    @staticmethod
    def _row(
        names: list[str],
        values: dict[str, Any],
        k: int,
        cols: list[str],
        elements: list[Any],
        s: UngroupSettings,
    ) -> list[Any]:
        out: list[Any] = []
        for c in names:
            if c in cols:
                if not s.removeCollectionCol:
                    out.append(values[c][k])
                out.append(elements[cols.index(c)])
            else:
                v = values[c][k]
                out.append(None if is_missing(v) else v)
        return out


# --------------------------------------------------------------------------------------- One to Many


class OneToManySettings(NodeSettings):
    columns2Btransformed: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns to transform",
        description="Columns whose distinct values each become a 0/1 column.",
    )
    removeSources: bool = Field(
        False, title="Remove included columns", description="Drop the transformed columns."
    )


def _one_to_many_names(table: Table, cols: list[str]) -> list[tuple[str, str, str]]:
    """(source column, value text, new column name) per distinct value in first-appearance order; a
    name used twice becomes `value_column` (One2ManyCol2NodeModel)."""
    pairs = []
    for c in cols:
        t = table.types[c]
        for v in dict.fromkeys(
            cell_text(v, t) for v in table.df[c].to_numpy(dtype=object) if not is_missing(v)
        ):
            pairs.append((c, v))
    counts: dict[str, int] = {}
    for _, v in pairs:
        counts[v] = counts.get(v, 0) + 1
    taken = set(table.columns)
    out = []
    for c, v in pairs:
        name = v if counts[v] == 1 else f"{v}_{c}"
        name = unique_column_name(taken, name)
        taken.add(name)
        out.append((c, v, name))
    return out


def _one_to_many_from_knime(knime: KnimeSettings) -> None:
    raw = knime.get("columns2Btransformed")
    if isinstance(raw, dict) and "InclList" in raw:
        knime.put(
            "columns2Btransformed",
            {"included_names": list(raw.get("InclList") or []), "enforce_option": "EnforceInclusion"},
            "columns2Btransformed",
        )
    else:
        knime.take("columns2Btransformed")
    knime.take("removeSources")


class OneToMany(Node):
    type_name = "one_to_many"
    display_name = "One to Many"
    category = Category.MANIPULATOR
    description = (
        "One-hot encoding: each distinct value of the selected columns becomes an Integer column holding 1 where "
        "the row has that value, else 0 (missing cells: all 0). Columns are named after the values; a value found "
        "in two columns gives `value_column`."
    )
    keywords = ("one hot", "dummy", "binarize", "indicator", "categorical", "encode")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.columntrans2.One2ManyCol2NodeFactory",
            "One to Many",
            _one_to_many_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.columntrans.One2ManyColNodeFactory",
            "One to Many",
            _one_to_many_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Transformed table"),)
    Settings = OneToManySettings

    def configure(self, in_specs: list[Any], settings: OneToManySettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]  # the new columns are the values found in the data

    def execute(self, inputs: list[Any], settings: OneToManySettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        cols = [
            c
            for c in settings.columns2Btransformed.apply(table.spec)
            if not ColumnType.collection_kind(table.types[c])
        ]
        plan = _one_to_many_names(table, cols)
        texts = {
            c: [
                None if is_missing(v) else cell_text(v, table.types[c])
                for v in table.df[c].to_numpy(dtype=object)
            ]
            for c in cols
        }
        df = table.df.drop(columns=cols) if settings.removeSources else table.df.copy()
        new = {}
        for c, v, name in plan:
            new[name] = pd.Series([1 if t == v else 0 for t in texts[c]], index=df.index, dtype="int32")
        df = pd.concat([df, pd.DataFrame(new, index=df.index)], axis=1) if new else df
        return [table.with_frame(df, {name: ColumnType.INTEGER for _, _, name in plan})]
