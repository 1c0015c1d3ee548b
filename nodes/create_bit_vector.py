"""Create Bit Vector: KNIME's bit vectors from several numeric or string columns, or parsed from one
string or collection column (CreateBitVectorNodeModel and the cell factories of
org.knime.base.data.bitvector).

Multiple numeric columns: bit i (the i-th included column in input order) is set when the value is
>= the threshold, or >= percentage/100 times the column's mean, where the mean is the sum of the
present values divided by the number of rows (missing cells count in the denominator). Multiple
string columns: bit i is set when the cell matches the pattern (or does not, with NOT_MATCHING);
missing cells never set a bit. One string column: a bit string ('0'/'1', its last character is bit
0), a hex string (the last character holds bits 0-3) or whitespace-separated bit indices (the vector
is as long as the largest index in the whole column + 1). One collection column: one bit per
distinct element (by its text, numbered in order of first appearance in the column). A cell that
cannot be parsed becomes missing and is counted in a warning, or fails the node with
`failOnParseError`. KNIME names the bits after the source columns or elements; knitflow's bit-vector
columns carry no element names, and hold vectors of one length only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
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
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._bitvector import BitVector, BitVectorArray, BitVectorDtype, n_bytes
from nodes._common import ColumnFilter, spec_or_none, wildcard_regex
from nodes._java_text import INT32, cell_to_string, java_trim, parse_java_int
from nodes._rows import cell_text, is_missing
from nodes._string_functions import JavaError, java_regex

# the cell types KNIME's DoubleValue / StringValue accept (a Boolean cell is a DoubleValue too)
_DOUBLE_VALUE = ColumnType.NUMERIC | {ColumnType.BOOLEAN}
_STRING_VALUE = frozenset({ColumnType.STRING, ColumnType.SMILES})
_TYPED_ELEMENTS = _DOUBLE_VALUE | {ColumnType.STRING}
_MULTI = ("MULTI_STRING", "MULTI_NUMERICAL")
_CHUNK = 256  # columns converted at a time (a multiple of 8: each chunk fills whole bytes)
_JAVA_SPACE = re.compile(r"[ \t\n\x0b\f\r]")  # Java's \s
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_MAX_LOGGED = 20  # BitVectorCellFactory.printError logs this many errors, then suppresses them


class CreateBitVectorSettings(NodeSettings):
    """KNIME's CreateBitVectorNodeModel settings (its config keys)."""

    columnType: Literal["SINGLE_STRING", "SINGLE_COLLECTION", "MULTI_STRING", "MULTI_NUMERICAL"] = Field(
        "SINGLE_STRING",
        description="Where the bits come from: one string column (parsed), one collection column, several "
        "string columns (pattern matching) or several numeric columns (threshold).",
    )
    multiColumnNames: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="MULTI_*: the columns, one bit each in input order (only String, resp. numeric and "
        "Boolean, columns are considered).",
    )
    multiStringColumnPatter: str | None = Field(
        None, description="MULTI_STRING: the pattern each cell is matched against (whole value)."
    )
    multiStringColumnHasWildcards: bool = Field(False, description="MULTI_STRING: * and ? are wildcards.")
    multiStringColumnCaseSensitive: bool = Field(False, description="MULTI_STRING: match case exactly.")
    multiStringColumnIsRegex: bool = Field(False, description="MULTI_STRING: the pattern is a Java regex.")
    multiStringColumnSetMatching: Literal["MATCHING", "NOT_MATCHING"] = Field(
        "MATCHING", description="MULTI_STRING: set the bit of matching (or of non-matching) cells."
    )
    singleNumericThreshold: float = Field(
        1.0, description="MULTI_NUMERICAL: a bit is set when the value is >= this threshold."
    )
    singleNumericUseMean: bool = Field(
        False, description="MULTI_NUMERICAL: compare with a percentage of each column's mean instead."
    )
    singleNumericMeanThreshold: int = Field(
        100, ge=0, description="MULTI_NUMERICAL with the mean: the percentage of the mean a value must reach."
    )
    singleColumnName: str | None = Field(
        None,
        description="SINGLE_*: the string or collection column to parse (empty: the last suitable column).",
        json_schema_extra=widget("column"),
    )
    singleStringType: Literal["BIT", "HEX", "ID"] = Field(
        "BIT",
        description="SINGLE_STRING: the cells hold '0'/'1' strings, hexadecimal strings, or bit indices "
        "separated by whitespace.",
    )
    removeInputColumns: bool = Field(
        False, description="Remove the source column(s); a single column is replaced in place."
    )
    outputColumnName: str = Field("BitVector", description="Name of the bit-vector column.")
    failOnParseError: bool = Field(
        False, description="Fail on a cell that cannot be parsed, instead of making it missing."
    )


def _create_bit_vector_from_knime(knime: KnimeSettings) -> None:
    """The same keys in every version (2.10 to 5.x); `vectorType` only chooses KNIME's cell class."""
    knime.take_all(
        ["columnType", "multiColumnNames", "multiStringColumnPatter", "multiStringColumnHasWildcards"]
        + ["multiStringColumnCaseSensitive", "multiStringColumnIsRegex", "multiStringColumnSetMatching"]
        + ["singleNumericThreshold", "singleNumericUseMean", "singleNumericMeanThreshold"]
        + ["singleColumnName", "singleStringType", "removeInputColumns", "outputColumnName"]
        + ["failOnParseError"]
    )
    vector_type = knime.tree.get("vectorType", "DENSE")
    if vector_type != "DENSE":
        knime.lost(
            f"vectorType = {vector_type!r}: knitflow's bit-vector columns are dense (KNIME makes sparse "
            "bit-vector cells; the bits are the same)"
        )
    knime.unread("vectorType")


# ------------------------------------------------------------------------------------ parse errors


@dataclass
class _Errors:
    """BitVectorCellFactory.printError: each bad cell becomes missing and is counted (the last message
    is kept for the warning), or fails the node when `fail` is on."""

    fail: bool
    count: int = 0
    last: str = ""
    logged: list[str] = field(default_factory=list)

    def add(self, row_id: Any, message: str) -> None:
        self.last = f"Error in row {row_id}: {message}"
        if self.fail:
            ending = "" if self.last.endswith(".") else "."
            raise NodeError(
                f"{self.last}{ending} Unselect the fail on parse error option to ignore parsing errors.",
                setting="failOnParseError",
            )
        if self.count < _MAX_LOGGED:
            self.logged.append(self.last)
        self.count += 1

    def report(self, ctx: NodeContext, n_rows: int) -> None:
        for message in self.logged:
            ctx.log(message)
        if self.count > _MAX_LOGGED:
            ctx.log("Suppressing further error messages...")
        if self.count and n_rows:
            ctx.warn(
                f"{self.count} errors found. Last message: {self.last}. See log file for details on all errors."
            )


# --------------------------------------------------------------------------- single string column


def _bit_string(text: str) -> tuple[BitVector | None, str | None]:
    """BitString2BitVectorCellFactory: the trimmed text read from its end, '1' sets a bit."""
    bits = java_trim(text)
    bad = next((c for c in reversed(bits) if c not in "01"), None)
    if bad is not None:
        return None, f"Invalid character ('{bad}') in bitvector string"
    return BitVector.from_binary_string(bits), None


def _hex_string(text: str) -> tuple[BitVector | None, str | None]:
    """Hex2BitVectorCellFactory / DenseBitVector(String): the last character holds bits 0-3."""
    hexes = java_trim(text)
    bad = next((c for c in reversed(hexes) if c not in _HEX_DIGITS), None)
    if bad is not None:
        return None, f"Unable to convert \"{text}\" to bit vector: Invalid character in hex number ('{bad}')"
    nibbles = np.array([int(c, 16) for c in reversed(hexes)], dtype=np.uint8)
    bits = (nibbles[:, None] >> np.arange(4, dtype=np.uint8)) & 1
    return BitVector.from_bits(bits.ravel()), None


def _id_tokens(text: str) -> list[str]:
    """`text.split("\\\\s")` as Java splits: one token per whitespace character, trailing empty
    tokens dropped; each token trimmed as KNIME does before Integer.parseInt."""
    tokens = _JAVA_SPACE.split(text)
    if len(tokens) > 1:  # no separator at all: the text itself, even when empty
        while tokens and tokens[-1] == "":
            tokens.pop()
    return [java_trim(t) for t in tokens]


def _id_positions(text: str) -> tuple[list[int] | None, str | None]:
    """IdString2BitVectorCellFactory.getCell: the bit indices, or the message of the first bad one."""
    trimmed = java_trim(text)
    if not trimmed:
        return [], None
    positions = []
    for token in _id_tokens(trimmed):
        try:
            pos = parse_java_int(token)
        except ValueError:
            return None, f'Unable to convert "{trimmed}" to bit vector: For input string: "{token}"'
        if pos < 0:
            return None, f"Invalid negative index in index string: {trimmed}"
        positions.append(pos)
    return positions, None


def _id_length(values: np.ndarray) -> int | None:
    """CreateBitVectorNodeModel.scanMaxPos: the largest valid index of the column + 1 (an int), or None
    when no cell holds one (KNIME's length is then negative)."""
    largest = None
    for value in values:
        if is_missing(value):
            continue
        for token in _id_tokens(str(value)):
            try:
                pos = parse_java_int(token)
            except ValueError:
                continue
            largest = pos if largest is None else max(largest, pos)
    if largest is None or largest + 1 > INT32[1]:
        return None
    return largest + 1


def _vectors_of_ids(values: np.ndarray, row_ids: list[Any], errors: _Errors) -> BitVectorArray:
    length = _id_length(values)
    mask = np.array([is_missing(v) for v in values], dtype=bool)
    if length is None:
        if not mask.all():
            raise NodeError(
                "Length of a BitVector can't be negative. (no cell holds a valid bit index)",
                setting="singleColumnName",
            )
        return BitVectorArray(np.zeros((len(values), 0), dtype=np.uint8), 0, mask)
    packed = np.zeros((len(values), n_bytes(length)), dtype=np.uint8)
    for row, value in enumerate(values):
        if mask[row]:
            continue
        positions, message = _id_positions(str(value))
        if positions is None:
            errors.add(row_ids[row], message or "")
            mask[row] = True
            continue
        idx = np.asarray(positions, dtype=np.int64)
        np.bitwise_or.at(packed[row], idx >> 3, (1 << (idx & 7)).astype(np.uint8))
    return BitVectorArray(packed, length, mask)


def _vectors_of_strings(values: np.ndarray, row_ids: list[Any], kind: str, errors: _Errors) -> BitVectorArray:
    parse = _bit_string if kind == "BIT" else _hex_string
    vectors: list[BitVector | None] = []
    for row, value in enumerate(values):
        if is_missing(value):
            vectors.append(None)
            continue
        vector, message = parse(str(value))
        if vector is None:
            errors.add(row_ids[row], message or "")
        vectors.append(vector)
    lengths = sorted({v.n_bits for v in vectors if v is not None})
    if len(lengths) > 1:
        shown = ", ".join(map(str, lengths[:5])) + (", ..." if len(lengths) > 5 else "")
        raise NodeError(
            f"the parsed bit vectors have different lengths ({shown} bits); knitflow's bit-vector columns "
            "hold vectors of one length",
            setting="singleColumnName",
        )
    return pd.array(vectors, dtype=BitVectorDtype())


# ----------------------------------------------------------------------- single collection column


def _element_text(value: Any, element_type: str) -> str:
    """DataCell.toString of a collection element ('?' for a missing one)."""
    if element_type in _TYPED_ELEMENTS:
        return cell_to_string(value, element_type)
    text = cell_text(value)
    return "?" if text is None else str(text)


def _vectors_of_collections(values: np.ndarray, element_type: str) -> BitVectorArray:
    """Collection2BitVectorCellFactory: elements numbered by first appearance in the column (a missing
    element gets a number too, as KNIME counts its text '?', but never sets its bit)."""
    index: dict[str, int] = {}
    mask = np.array([is_missing(v) for v in values], dtype=bool)
    for row, cell in enumerate(values):
        if not mask[row]:
            for element in cell:
                index.setdefault(_element_text(element, element_type), len(index))
    packed = np.zeros((len(values), n_bytes(len(index))), dtype=np.uint8)
    for row, cell in enumerate(values):
        if mask[row]:
            continue
        idx = np.array(
            [index[_element_text(e, element_type)] for e in cell if not is_missing(e)], dtype=np.int64
        )
        if len(idx):
            np.bitwise_or.at(packed[row], idx >> 3, (1 << (idx & 7)).astype(np.uint8))
    return BitVectorArray(packed, len(index), mask)


# ------------------------------------------------------------------------------ multiple columns


def _pack_columns(
    table: Table, names: list[str], bits_of: Callable[[list[str]], np.ndarray], ctx: NodeContext
) -> BitVectorArray:
    """Bit j of each row from column names[j]; `bits_of` turns a chunk of columns into a (rows x k)
    boolean matrix, so a table of thousands of columns is never converted all at once."""
    packed = np.zeros((len(table), n_bytes(len(names))), dtype=np.uint8)
    for start in range(0, len(names), _CHUNK):
        ctx.check_cancelled()
        chunk = names[start : start + _CHUNK]
        bits = bits_of(chunk)
        packed[:, start // 8 : start // 8 + n_bytes(len(chunk))] = np.packbits(
            bits, axis=1, bitorder="little"
        )
        ctx.progress(min(1.0, (start + len(chunk)) / len(names)))
    return BitVectorArray(packed, len(names))


def _numeric_bits(table: Table, settings: CreateBitVectorSettings) -> Callable[[list[str]], np.ndarray]:
    """Numeric2BitVectorThresholdCellFactory / Numeric2BitVectorMeanCellFactory (missing cells: 0)."""
    factor = settings.singleNumericMeanThreshold / 100.0
    rows = len(table)

    def bits_of(chunk: list[str]) -> np.ndarray:
        values = table.frame_of(chunk).to_numpy(dtype=np.float64, na_value=np.nan)
        if not settings.singleNumericUseMean:
            return values >= settings.singleNumericThreshold
        present = np.where(np.isnan(values), 0.0, values)
        # calculateMeanValues: summed row by row (as Java adds), divided by all rows
        sums = np.cumsum(present, axis=0)[-1] if rows else np.zeros(len(chunk))
        with np.errstate(invalid="ignore", divide="ignore"):
            means = sums / rows
        return values >= factor * means

    return bits_of


def _equals_ignore_case(a: str, b: str) -> bool:
    """String.equalsIgnoreCase: same length, chars equal in upper or in lower case."""
    if len(a) != len(b):
        return False
    return all(x == y or x.upper() == y.upper() or x.lower() == y.lower() for x, y in zip(a, b, strict=True))


def _string_matcher(settings: CreateBitVectorSettings) -> Callable[[str], bool]:
    """StringCompareRowFilter.matches: the whole cell text against the pattern (a wildcard or regex
    with DOTALL | MULTILINE, case-insensitive unless asked), else string equality."""
    pattern = settings.multiStringColumnPatter
    if pattern is None:
        raise NodeError("Pattern to match can't be null.", setting="multiStringColumnPatter")
    wildcards, regex = settings.multiStringColumnHasWildcards, settings.multiStringColumnIsRegex
    case = settings.multiStringColumnCaseSensitive
    if wildcards and regex:
        raise NodeError(
            "Arguments hasWildcards and isRegExpr can't be true at the same time",
            setting="multiStringColumnIsRegex",
        )
    if not (wildcards or regex):
        return (lambda text: text == pattern) if case else (lambda text: _equals_ignore_case(pattern, text))
    try:
        source = wildcard_regex(pattern) if wildcards else java_regex(pattern).pattern
        compiled = re.compile(source, re.DOTALL | re.MULTILINE | (0 if case else re.IGNORECASE))
    except (JavaError, re.error) as exc:
        raise NodeError(f"invalid pattern {pattern!r}: {exc}", setting="multiStringColumnPatter") from None
    return lambda text: compiled.fullmatch(text) is not None


def _string_bits(table: Table, settings: CreateBitVectorSettings) -> Callable[[list[str]], np.ndarray]:
    """MultiString2BitVectorCellFactory: set = (cell matches) == MATCHING; missing cells stay 0."""
    matches = _string_matcher(settings)
    wanted = settings.multiStringColumnSetMatching == "MATCHING"
    seen: dict[str, bool] = {}

    def bit(value: Any) -> bool:
        if is_missing(value):
            return False
        text = str(value)
        if text not in seen:
            seen[text] = matches(text) == wanted
        return seen[text]

    def bits_of(chunk: list[str]) -> np.ndarray:
        frame = table.frame_of(chunk)
        out = np.zeros((len(frame), len(chunk)), dtype=bool)
        for j, name in enumerate(chunk):
            out[:, j] = [bit(v) for v in frame[name].to_numpy(dtype=object)]
        return out

    return bits_of


# ---------------------------------------------------------------------------------------- the node


@dataclass(frozen=True)
class _Plan:
    sources: list[str]  # the column(s) the bits come from
    not_found: list[str]  # MULTI_*: included names the input lacks (or of the wrong type)
    spec: TableSpec  # the output


def _not_found(spec: TableSpec, columns: ColumnFilter, allowed: frozenset[str]) -> list[str]:
    """FilterResult.getRemovedFromIncludes: listed names the input lacks, or holds with a type the
    mode cannot use (KNIME filters the input by type first)."""
    if columns.mode != "MANUAL":
        return []
    compatible = {c.name for c in spec.columns if c.type in allowed}
    return [n for n in dict.fromkeys(columns.included_names) if n not in compatible]


def _convert_to_string(names: list[str], limit: int = 5) -> str:
    """CreateBitVectorNodeModel.convert2String: the first names, then '...'."""
    shown = ", ".join(names[: limit + 1])
    return shown + (", ..." if len(names) > limit + 1 else "")


class CreateBitVector(Node):
    type_name = "create_bit_vector"
    display_name = "Create Bit Vector"
    category = Category.MANIPULATOR
    description = (
        "Creates a bit-vector column: from several numeric columns (bit set when the value is >= a threshold "
        "or >= a percentage of the column mean), from several string columns (bit set when the cell matches "
        "a pattern), or by parsing one string column (bit string, hex string or bit indices) or one "
        "collection column (one bit per distinct element). Unparsable cells become missing (or fail the "
        "node). The bits carry no element names in knitflow."
    )
    keywords = ("bit vector", "fingerprint", "binary", "threshold", "hex", "collection", "create", "items")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.bitvector.create.CreateBitVectorNodeFactory",
            "Create Bit Vector",
            _create_bit_vector_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the bit-vector column"),)
    Settings = CreateBitVectorSettings

    def _plan(self, spec: TableSpec, s: CreateBitVectorSettings, cls: type[NodeError]) -> _Plan:
        out = s.outputColumnName
        if not out.strip():
            raise cls("Please specify the name of the output column", setting="outputColumnName")
        if out in spec:
            raise cls(
                f"Input table contains column with name {out} please specifiy a new output column name.",
                setting="outputColumnName",
            )
        if s.columnType in _MULTI:
            return self._multi_plan(spec, s, cls)
        column = self._single_column(spec, s, cls)
        if not s.removeInputColumns:
            return _Plan([column], [], spec.append((out, ColumnType.BIT_VECTOR)))
        columns = tuple(
            (out, ColumnType.BIT_VECTOR) if c.name == column else (c.name, c.type) for c in spec.columns
        )
        return _Plan([column], [], TableSpec.of(columns))

    def _multi_plan(self, spec: TableSpec, s: CreateBitVectorSettings, cls: type[NodeError]) -> _Plan:
        allowed = _STRING_VALUE if s.columnType == "MULTI_STRING" else _DOUBLE_VALUE
        sources = s.multiColumnNames.apply(spec, allowed_types=allowed)
        if not sources:
            raise cls(
                "No column selected in the multi column selection panel. Please (re-)configure the node.",
                setting="multiColumnNames",
            )
        removed = set(sources) if s.removeInputColumns else set()
        kept = tuple(c for c in spec.columns if c.name not in removed)
        out = TableSpec(kept).append((s.outputColumnName, ColumnType.BIT_VECTOR))
        return _Plan(sources, _not_found(spec, s.multiColumnNames, allowed), out)

    def _single_column(self, spec: TableSpec, s: CreateBitVectorSettings, cls: type[NodeError]) -> str:
        def compatible(col_type: str) -> bool:
            if s.columnType == "SINGLE_STRING":
                return col_type in _STRING_VALUE
            return ColumnType.collection_kind(col_type) is not None

        column = s.singleColumnName
        if column is None:
            raise cls("Please select the single column to process", setting="singleColumnName")
        if not column:  # autoGuessSingleColumn: the last compatible column
            candidates = [c.name for c in spec.columns if compatible(c.type)]
            if not candidates:
                raise cls(
                    "No single column selected. Please (re-)configure the node.", setting="singleColumnName"
                )
            column = candidates[-1]
        if column not in spec:
            raise cls(f"Selected column {column} not in the input table", setting="singleColumnName")
        if not compatible(spec.type_of(column)):
            raise cls(
                f"Data type of column {column} is not compatible with selected method",
                setting="singleColumnName",
            )
        return column

    def configure(
        self, in_specs: list[Any], settings: CreateBitVectorSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        return [self._plan(spec, settings, ConfigureError).spec]

    def execute(self, inputs: list[Any], settings: CreateBitVectorSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        plan = self._plan(table.spec, settings, NodeError)
        if plan.not_found:
            ctx.warn(f"Columns {_convert_to_string(plan.not_found)} not found in input table. ")
        errors = _Errors(settings.failOnParseError)
        vectors = self._vectors(table, plan, settings, errors, ctx)
        errors.report(ctx, len(table))
        return [self._output(table, plan, settings, vectors)]

    def _vectors(
        self, table: Table, plan: _Plan, s: CreateBitVectorSettings, errors: _Errors, ctx: NodeContext
    ) -> BitVectorArray:
        if s.columnType == "MULTI_NUMERICAL":
            return _pack_columns(table, plan.sources, _numeric_bits(table, s), ctx)
        if s.columnType == "MULTI_STRING":
            return _pack_columns(table, plan.sources, _string_bits(table, s), ctx)
        column = plan.sources[0]
        values = table.column(column).to_numpy(dtype=object)
        if s.columnType == "SINGLE_COLLECTION":
            return _vectors_of_collections(values, ColumnType.element_of(table.spec.type_of(column)))
        if s.singleStringType == "ID":
            return _vectors_of_ids(values, table.row_ids, errors)
        return _vectors_of_strings(values, table.row_ids, s.singleStringType, errors)

    def _output(
        self, table: Table, plan: _Plan, s: CreateBitVectorSettings, vectors: BitVectorArray
    ) -> Table:
        df = table.df.copy(deep=False)
        name = s.outputColumnName
        column = pd.Series(vectors, index=df.index, copy=False)
        if s.removeInputColumns and s.columnType not in _MULTI:
            position = df.columns.get_loc(plan.sources[0])
            df = df.drop(columns=plan.sources)
            df.insert(int(position), name, column)
        else:
            if s.removeInputColumns:
                df = df.drop(columns=plan.sources)
            df[name] = column
        return table.with_frame(df, {name: ColumnType.BIT_VECTOR})
