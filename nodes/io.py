"""File and table sources/sinks: CSV Reader, CSV Writer and Table Creator, with KNIME's rules.

The CSV Reader reproduces KNIME's table reader (univocity underneath): quoted values, trimming,
comments, type guessing Integer -> Long -> Double -> String on the first rows, the stored column
order and types of a KNIME workflow, generated RowIDs. The CSV Writer prints numbers the way
KNIME's CSV Writer does (so a write/read round trip gives the same table as in KNIME) and writes
atomically. The Table Creator turns a small literal table into typed columns.
"""

from __future__ import annotations

import codecs
import functools
import gzip
import itertools
import math
import os
import re
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from engine.api import (
    TABLE,
    UNKNOWN,
    VARIABLES,
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
    atomic_write,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type, file_name, get, seq
from nodes._column_types import column_type_name
from nodes._datetime import date_time_text, is_date_time_type, parse_iso
from nodes._java_text import (
    INT32,
    INT64,
    java_decimal_format,
    java_double_to_string,
    java_trim,
    parse_java_double,
    parse_java_int,
    python_codec,
)
from nodes._knime_readers import classic_csv_reader_from_knime, file_reader_from_knime

_WS = "".join(chr(i) for i in range(33))  # univocity trims chars <= ' '


# KNIME's reader/creator type names -> knitflow column types
def _unescape(text: str | None) -> str:
    """KNIME's EscapeUtils: `\\t`, `\\n`, `\\r` typed in a dialog stand for the control characters;
    `\\0` (or nothing) means "no character"."""
    if text is None or text in ("", "\0", "\\0"):
        return ""
    return text.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r")


def _missing_file(path: str, setting: str = "file") -> NodeError:
    """Names where a relative path was looked for, and the one file knitflow cannot ship."""
    hint = (
        " QM9 is not shipped: `knitflow data fetch --qm9` makes it."
        if Path(path).name == "qm9.csv"
        else " A relative path is read from the workflow's folder (or `--set data_dir=DIR` where the "
        "workflow uses one); `knitflow examples DIR` writes the tutorial workflows with their data."
    )
    return NodeError(f"file not found: {path}.{hint}", setting=setting)


# -------------------------------------------------------------------------------------- CSV Reader


class ReaderColumn(NodeSettings):
    """One column of the stored table spec (KNIME's `table_transformation`): `name` is the column
    as it is in the file (after trimming), `rename` its output name, `type` the enforced type,
    `keep: false` drops it. The list order is the output order (or `position`, when given)."""

    name: str = Field(description="Column name in the file.")
    rename: str | None = Field(None, description="Output name (default: the file's name).")
    type: str | None = Field(
        None,
        description="Output type: Integer, Long, Double, String, Boolean, Local Date, Local Time or Local Date "
        "Time (ISO values such as 2024-03-01, 12:30, 2024-03-01T12:30) (default: guessed).",
    )
    keep: bool = Field(True, description="False drops the column.")
    position: int | None = Field(
        None, description="Output position (KNIME's stored position; default: list order)."
    )

    @field_validator("type")
    @classmethod
    def _type(cls, value: str | None) -> str | None:
        return None if value is None else column_type_name(value)


class CsvReaderSettings(NodeSettings):
    file: str = Field(
        "",
        description="The CSV file (relative paths are resolved against the workflow folder; "
        "`${data_dir}/name.csv` reads from the workflow's data directory).",
    )
    has_column_header: bool = Field(True, description="The first record holds the column names.")
    has_row_id: bool = Field(False, description="The first column holds the RowIDs (else Row0, Row1, ...).")
    column_delimiter: str = Field(
        ",", description="Column delimiter (`\\t` for tab; may be several characters)."
    )
    quote_char: str = Field('"', description="Quote character (empty: no quoting).")
    quote_escape_char: str = Field('"', description='Escapes a quote inside a quoted value (`"` doubles it).')
    comment_char: str = Field(
        "#", description="Lines starting with this character are skipped (empty: none)."
    )
    row_delimiter: str | None = Field(
        None, description="Row delimiter; empty/None: any line break (\\n, \\r\\n, \\r), as KNIME's default."
    )
    charset: str | None = Field(
        "UTF-8",
        description="Character set (Java name: UTF-8, windows-31j as the tutorial workflows saved it, ...). "
        "Imported KNIME workflows keep the charset they saved.",
        json_schema_extra=widget("text", advanced=True),
    )
    quote_option: Literal["REMOVE_QUOTES_AND_TRIM", "KEEP_QUOTES"] = Field(
        "REMOVE_QUOTES_AND_TRIM",
        description="REMOVE_QUOTES_AND_TRIM removes quotes and trims values and header names; KEEP_QUOTES keeps "
        "quoted values verbatim (quotes included). Unquoted values are always trimmed.",
        json_schema_extra=widget("choice", advanced=True),
    )
    replace_empty_quotes_with_missing: bool = Field(
        True,
        description='An empty quoted value ("") becomes a missing cell (else an empty string).',
        json_schema_extra=widget("checkbox", advanced=True),
    )
    thousands_separator: str | None = Field(
        None,
        description="Thousands separator in numbers (none by default).",
        json_schema_extra=widget("text", advanced=True),
    )
    decimal_separator: str = Field(
        ".", description="Decimal separator in numbers.", json_schema_extra=widget("text", advanced=True)
    )
    skip_lines: int = Field(
        0,
        ge=0,
        description="Lines skipped at the beginning of the file.",
        json_schema_extra=widget("number", advanced=True),
    )
    skip_data_rows: int = Field(
        0,
        ge=0,
        description="Data rows skipped after the header.",
        json_schema_extra=widget("number", advanced=True),
    )
    max_rows: int | None = Field(
        None,
        ge=0,
        description="Read at most this many data rows (None: all).",
        json_schema_extra=widget("number", advanced=True),
    )
    support_short_data_rows: bool = Field(
        False,
        description="Rows with fewer values than columns are padded with missing cells (else an error).",
        json_schema_extra=widget("checkbox", advanced=True),
    )
    limit_data_rows_scanned: bool = Field(
        True,
        description="Guess the types from the first rows only.",
        json_schema_extra=widget("checkbox", advanced=True),
    )
    max_data_rows_scanned: int = Field(
        10000,
        ge=1,
        description="Rows used for type guessing.",
        json_schema_extra=widget("number", advanced=True),
    )
    enforce_types: bool = Field(
        True,
        description="Use the types stored in `columns` (else guess them from the file every time).",
        json_schema_extra=widget("checkbox", advanced=True),
    )
    columns: list[ReaderColumn] | None = Field(
        None,
        description="Stored column spec (KNIME's table transformation): output order, names, types, kept "
        "columns. Columns of the file not listed are appended at the end with guessed types.",
    )
    keep_unknown_columns: bool = Field(
        True,
        description="With a stored column spec: append the file's columns that `columns` does not list (KNIME's "
        "unknown columns `keep`); off: drop them.",
        json_schema_extra=widget("checkbox", advanced=True),
    )

    @field_validator("charset")
    @classmethod
    def _charset(cls, value: str | None) -> str | None:
        python_codec(value)
        return value


class _RawTable:
    """Parsed CSV text: header names, RowIDs (or None) and one list of strings/None per column."""

    def __init__(
        self,
        names: list[str],
        row_ids: list[str] | None,
        columns: list[list[str | None]],
        first_row: int = 0,
    ) -> None:
        self.names = names
        self.row_ids = row_ids
        self.columns = columns
        self.first_row = first_row  # the number of the block's first data row in the file (0-based)
        self.note: str | None = None  # a warning for the node to give (a skipped byte order mark)

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else len(self.row_ids or [])


class _CsvParser:
    """Splits CSV text into records like univocity does with KNIME's reader settings."""

    def __init__(self, s: CsvReaderSettings) -> None:
        self.delim = _unescape(s.column_delimiter) or ","
        self.quote = _unescape(s.quote_char)[:1]
        self.escape = _unescape(s.quote_escape_char)[:1]
        self.comment = _unescape(s.comment_char)[:1]
        self.row_delim = _unescape(s.row_delimiter)
        self.keep_quotes = s.quote_option == "KEEP_QUOTES"
        self.empty_quoted: str | None = None if s.replace_empty_quotes_with_missing else ""

    def lines(self, text: str) -> list[str]:
        if self.row_delim:
            return text.split(self.row_delim)
        # any line break (\r\n, \n, \r): the same split as a regular expression, several times faster
        return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def records(self, lines: list[str], start: int = 0) -> Iterator[tuple[int, list[str | None]]]:
        """Yields (line number, fields) per record; comment and blank lines are skipped."""
        i, n = start, len(lines)
        while i < n:
            line = lines[i]
            stripped = line.lstrip(_WS)
            if not stripped.strip(_WS) or (self.comment and stripped.startswith(self.comment)):
                i += 1
                continue
            if not self.quote or self.quote not in line:
                yield i + 1, [v.strip(_WS) or None for v in line.split(self.delim)]
                i += 1
                continue
            first = i
            fields, i = self._quoted_record(lines, i)
            yield first + 1, fields

    @staticmethod
    def _plain(value: str) -> str | None:
        value = value.strip(_WS)
        return value if value else None

    def _quoted_record(self, lines: list[str], i: int) -> tuple[list[str | None], int]:
        """Character-level parse of a record containing quotes; quoted values may span lines."""
        fields: list[str | None] = []
        line, pos, n_lines = lines[i], 0, len(lines)
        delim, quote, escape = self.delim, self.quote, self.escape
        while True:
            # skip leading whitespace (but not the delimiter itself, e.g. a tab)
            while pos < len(line) and line[pos] <= " " and not line.startswith(delim, pos):
                pos += 1
            if pos < len(line) and line[pos] == quote:
                pos += 1
                buf: list[str] = []
                while True:
                    if pos >= len(line):
                        if i + 1 >= n_lines:
                            break  # unterminated quote at the end of the file: take what we have
                        i += 1
                        line, pos = lines[i], 0
                        buf.append("\n")
                        continue
                    ch = line[pos]
                    if ch == escape and escape != quote and line.startswith(quote, pos + 1):
                        buf.append(quote)
                        pos += 2
                    elif ch == quote:
                        if escape == quote and line.startswith(quote, pos + 1):
                            buf.append(quote)
                            pos += 2
                        else:
                            pos += 1
                            break
                    else:
                        buf.append(ch)
                        pos += 1
                # anything between the closing quote and the delimiter is kept (univocity does too)
                end = line.find(delim, pos)
                end = len(line) if end < 0 else end
                rest = line[pos:end].strip(_WS)
                content = "".join(buf) + rest
                if self.keep_quotes:
                    fields.append(quote + content + quote)
                else:
                    content = content.strip(_WS)
                    fields.append(content if content else self.empty_quoted)
                pos = end
            else:
                end = line.find(delim, pos)
                end = len(line) if end < 0 else end
                fields.append(self._plain(line[pos:end]))
                pos = end
            if pos >= len(line):
                return fields, i + 1
            pos += len(delim)
            if pos >= len(line):  # a trailing delimiter: one more (empty) value
                fields.append(None)
                return fields, i + 1


def _unique_names(names: list[str]) -> list[str]:
    """Empty header cells become `Column<i>`, duplicates `name (#1)`, `name (#2)`..."""
    out: list[str] = []
    taken: set[str] = set()
    for i, name in enumerate(names):
        candidate = unique_column_name(taken, name if name else f"Column{i}")
        taken.add(candidate)
        out.append(candidate)
    return out


_TRIMMED = {i: None for i in range(33) if chr(i) not in "\r\n"}  # what univocity trims, line breaks aside


def _names(header: list[str] | None, first_row: Sequence[str | None] | None, offset: int) -> list[str]:
    if header is not None:
        return _unique_names(header[offset:])
    width = len(first_row) if first_row is not None else 0
    return [f"Column{i}" for i in range(max(0, width - offset))]


def _simple_layout(
    lines: list[str], parser: _CsvParser, s: CsvReaderSettings, limit: int | None
) -> tuple[list[str], list[str]] | None:
    """The common file without the record parser: when the rows read hold no quote character and
    nothing to trim, records are lines and values what the delimiter separates (qm9.csv, 130,831 rows:
    0.15 s instead of 1.2 s). Gives the column names and the data lines; None for any other file, and
    for one the parser must word an error about: it reads those."""
    delim = parser.delim
    if parser.row_delim or "\n" in delim or "\r" in delim:
        return None
    lines = lines[s.skip_lines :]  # without quotes every line break ends a record
    comment = parser.comment
    # a line is blank or a comment when empty or starting with the comment character; one with
    # whitespace is kept here and sends the whole file to the parser below
    lines = (
        [line for line in lines if line and line[0] != comment]
        if comment
        else [line for line in lines if line]
    )
    header: list[str] | None = None
    if s.has_column_header:
        header = lines[0].split(delim) if lines else []
        lines = lines[1:]
    skipped = lines[
        : s.skip_data_rows
    ]  # checked too: a quote or a blank-looking line there shifts the records
    lines = lines[s.skip_data_rows :] if limit is None else lines[s.skip_data_rows : s.skip_data_rows + limit]
    parts = [delim.join(header or []), "\n".join(skipped)]
    for part in parts + ["\n".join(lines[i : i + _BLOCK_ROWS]) for i in range(0, len(lines), _BLOCK_ROWS)]:
        if (parser.quote and parser.quote in part) or len(part.translate(_TRIMMED)) != len(part):
            return None
    offset = 1 if s.has_row_id else 0
    names = _names(header, lines[0].split(delim) if lines else None, offset)
    width = len(names) + offset
    if width == 0 or any(line.count(delim) != width - 1 for line in lines):
        return None
    if offset:
        ids = [line.split(delim, 1)[0] for line in lines]
        if "" in ids or len(set(ids)) < len(ids):
            return None
    return names, lines


def _simple_blocks(names: list[str], lines: list[str], delim: str, offset: int) -> Iterator[_RawTable]:
    width = len(names) + offset
    for start in range(0, max(len(lines), 1), _BLOCK_ROWS):
        block = lines[start : start + _BLOCK_ROWS]
        values = "\n".join(block).replace("\n", delim).split(delim) if block else []
        columns: list[list[str | None]] = [values[c::width] for c in range(width)]  # type: ignore[misc]
        del values
        for c, column in enumerate(columns):
            if "" in column:
                columns[c] = [v or None for v in column]
        ids = columns.pop(0) if offset else None
        yield _RawTable(names, ids, columns, first_row=start)  # type: ignore[arg-type]


@functools.cache
def _ascii_compatible(codec: str) -> bool:
    ascii_bytes = bytes(range(128))
    try:
        return ascii_bytes.decode(codec) == ascii_bytes.decode("ascii")
    except UnicodeDecodeError:
        return False


_BOMS = {
    "utf-8": codecs.BOM_UTF8,
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
    "utf-32-le": codecs.BOM_UTF32_LE,
    "utf-32-be": codecs.BOM_UTF32_BE,
}


def _without_bom(data: bytes, codec: str, charset: str) -> tuple[bytes, str | None]:
    """The file's bytes without a byte order mark, as KNIME's BomEncodingUtils reads them for the UTF
    charsets (UTF-16 and UTF-32 without an order read it themselves), and a note when a UTF-8 mark
    starts a file read in another charset (the tutorials' windows-31j): KNIME keeps it as two odd
    characters in the first column name; knitflow drops it and says so."""
    bom = _BOMS.get(codec)
    if bom is not None:
        return (data[len(bom) :], None) if data.startswith(bom) else (data, None)
    if data.startswith(codecs.BOM_UTF8) and not codec.startswith("utf") and _ascii_compatible(codec):
        return data[3:], (
            f"the file starts with a UTF-8 byte order mark but is read as {charset}: skipped the mark "
            "(set charset to UTF-8 if the file is UTF-8 text)"
        )
    return data, None


_BLOCK_ROWS = 50_000
"""Rows turned into Python strings at a time: a million-row file of 21 columns never exists as 21
million strings at once (about 1.2 GB); each block is converted to typed columns and dropped."""


def _decoded_text(p: Path, s: CsvReaderSettings) -> tuple[str, str | None]:
    """The file's text (gzip inflated, byte order mark dropped) and a warning, if any."""
    codec = python_codec(s.charset)
    data = p.read_bytes()
    if data[:2] == b"\x1f\x8b":  # gzip, as KNIME's reader detects
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise NodeError(f"{p.name} is not a readable gzip file: {exc}", setting="file") from None
    data, note = _without_bom(data, codec, s.charset or "UTF-8")
    # ASCII bytes read the same in every ASCII-compatible charset, and decode ten times faster as ASCII
    return data.decode(
        "ascii" if data.isascii() and _ascii_compatible(codec) else codec, errors="replace"
    ), note


def _line_prefix(text: str, lines: int) -> str | None:
    """The text up to its `lines`-th line break, or None when it has fewer."""
    pos = 0
    for _ in range(lines):
        pos = text.find("\n", pos) + 1
        if pos == 0:
            return None
    return text[:pos]


class _CsvSource:
    """A CSV file read as blocks of raw rows (`_RawTable`s numbered by `first_row`): only one block of
    Python strings exists at a time. `blocks()` reads the rows again each time it is iterated."""

    def __init__(self, path: str, s: CsvReaderSettings, max_rows: int | None = None) -> None:
        p = Path(path)
        if not p.is_file():
            raise _missing_file(path)
        self.file_name = p.name
        self.s = s
        self.parser = _CsvParser(s)
        text, self.note = _decoded_text(p, s)
        limit = s.max_rows
        if max_rows is not None:
            limit = max_rows if limit is None else min(limit, max_rows)
        self.limit = limit
        self.lines = self._lines(text, limit)
        del text
        self.offset = 1 if s.has_row_id else 0
        simple = _simple_layout(self.lines, self.parser, s, limit)
        if simple is not None:
            self.names, data_lines = simple
            self.lines = []
            self._blocks = lambda: _simple_blocks(self.names, data_lines, self.parser.delim, self.offset)
        else:
            self.names = self._parsed()[0]
            self._blocks = lambda: self._parsed()[1]

    def _lines(self, text: str, limit: int | None) -> list[str]:
        """The lines of the text; with a row limit (configure's sample of a large file) only as many
        as give one record more than needed, so the records read are those of the whole text."""
        if limit is not None:
            s = self.s
            want = s.skip_lines + 1 + s.skip_data_rows + limit + 1
            n = want * 2 + 100
            while n < len(text):
                prefix = _line_prefix(text, n)
                if prefix is None:
                    break
                lines = self.parser.lines(prefix)
                records = self.parser.records(lines, min(s.skip_lines, len(lines)))
                if sum(1 for _ in itertools.islice(records, want)) >= want:
                    return lines
                n *= 4
        return self.parser.lines(text)

    def blocks(self) -> Iterator[_RawTable]:
        return self._blocks()

    def joined(self) -> _RawTable:
        """All rows in one raw table."""
        blocks = list(self.blocks())
        ids = None if not self.offset else [i for b in blocks for i in b.row_ids or []]
        columns = [[v for b in blocks for v in b.columns[c]] for c in range(len(self.names))]
        table = _RawTable(self.names, ids, columns)
        table.note = self.note
        return table

    def _parsed(self) -> tuple[list[str], Iterator[_RawTable]]:
        """Column names and the blocks, read with the record parser."""
        s, parser, lines = self.s, self.parser, self.lines
        records = parser.records(lines, min(s.skip_lines, len(lines)))
        header: list[str] | None = None
        if s.has_column_header:
            first = next(records, None)
            header = [v or "" for v in first[1]] if first is not None else []
        data = itertools.islice(
            records, s.skip_data_rows, None if self.limit is None else s.skip_data_rows + self.limit
        )
        head = next(data, None)
        names = _names(header, head[1] if head is not None else None, self.offset)
        rows = itertools.chain([head] if head is not None else [], data)
        return names, self._parsed_blocks(names, rows)

    def _parsed_blocks(
        self, names: list[str], rows: Iterator[tuple[int, list[str | None]]]
    ) -> Iterator[_RawTable]:
        offset, s, name = self.offset, self.s, self.file_name
        width = len(names) + offset
        seen: set[str] = set()
        start = 0
        while True:
            block = list(itertools.islice(rows, _BLOCK_ROWS))
            columns: list[list[str | None]] = [[] for _ in names]
            ids: list[str] | None = [] if s.has_row_id else None
            for line_no, fields in block:
                if len(fields) > width:
                    raise NodeError(
                        f"too many values in line {line_no} of {name}: {len(fields)} instead of {width}",
                        setting="file",
                    )
                if len(fields) < width:
                    if not s.support_short_data_rows:
                        raise NodeError(
                            f"too few values in line {line_no} of {name}: {len(fields)} instead of {width} "
                            "(enable support_short_data_rows to fill them with missing values)",
                            setting="file",
                        )
                    fields = fields + [None] * (width - len(fields))
                if ids is not None:
                    rid = fields[0]
                    if rid is None:
                        raise NodeError(
                            f"line {line_no} of {name} has no RowID in its first column", setting="has_row_id"
                        )
                    if rid in seen:
                        raise NodeError(
                            f"duplicate RowID {rid!r} in line {line_no} of {name}", setting="has_row_id"
                        )
                    seen.add(rid)
                    ids.append(rid)
                for c in range(len(names)):
                    columns[c].append(fields[c + offset])
            if block or not start:
                yield _RawTable(names, ids, columns, first_row=start)
            if len(block) < _BLOCK_ROWS:
                return
            start += len(block)


def _read_raw(path: str, s: CsvReaderSettings, max_rows: int | None = None) -> _RawTable:
    """Header, RowIDs and raw column strings of the file (at most `max_rows` data rows)."""
    return _CsvSource(path, s, max_rows).joined()


class _NumberText:
    """KNIME's IntegerParser/DoubleParser pre-processing for custom thousands/decimal separators."""

    def __init__(self, s: CsvReaderSettings) -> None:
        self.thousands = _unescape(s.thousands_separator)[:1]
        self.decimal = _unescape(s.decimal_separator)[:1] or "."
        t = re.escape(self.thousands) if self.thousands else ""
        d = re.escape(self.decimal)
        self.int_re = re.compile(rf"(?i)[+-]?\d{{0,3}}(?:{t}\d{{3}})*") if t else None
        self.dbl_re = (
            re.compile(rf"(?i)[+-]?\d{{0,3}}(?:{t}\d{{3}})*(?:{d}\d*)?(?:e[+-]?\d+)?[fd]?") if t else None
        )

    @property
    def default(self) -> bool:
        return not self.thousands and self.decimal == "."

    def int_text(self, v: str) -> str | None:
        if self.int_re is not None:
            if not self.int_re.fullmatch(v):
                return None
            v = v.replace(self.thousands, "")
        return v

    def double_text(self, v: str) -> str | None:
        if self.dbl_re is not None:
            if not self.dbl_re.fullmatch(v):
                return None
            v = v.replace(self.thousands, "")
        if self.decimal != ".":
            if "." in v:
                return None
            v = v.replace(self.decimal, ".")
        return v


_INT_CHARS = {ord(c): None for c in "0123456789+-"}  # str.translate deletes them: what is left is not a digit
_DOUBLE_CHARS = {ord(c): None for c in "0123456789+-.eE"}


def parse_ints(values: list[str], bits: int, fmt: _NumberText | None = None) -> list[int] | None:
    """The values as `Integer.parseInt` (32) / `Long.parseLong` (64) reads them, or None if one fails.
    On the characters [0-9+-] Python's int() accepts exactly what Java accepts."""
    if fmt is not None and not fmt.default:
        normal = [fmt.int_text(v) for v in values]
        if any(v is None for v in normal):
            return None
        values = normal  # type: ignore[assignment]
    if "".join(values).translate(_INT_CHARS):
        return None
    try:
        ints = [int(v) for v in values]
    except ValueError:
        return None
    lo, hi = INT32 if bits == 32 else INT64
    if ints and (min(ints) < lo or max(ints) > hi):
        return None
    return ints


def parse_doubles(values: list[str], fmt: _NumberText | None = None) -> np.ndarray | None:
    """The values as `Double.parseDouble` reads them, or None if one fails. On [0-9+-.eE] Python's
    float() accepts exactly Java's forms; other characters (NaN, Infinity, 1d, 0x1p3) go through
    the Java grammar one by one."""
    if fmt is not None and not fmt.default:
        normal = [fmt.double_text(v) for v in values]
        if any(v is None for v in normal):
            return None
        values = normal  # type: ignore[assignment]
    if not "".join(values).translate(_DOUBLE_CHARS):
        try:
            return np.array(values, dtype=object).astype(np.float64)
        except ValueError:
            return None
    out = np.empty(len(values), dtype=np.float64)
    for k, v in enumerate(values):
        try:
            out[k] = parse_java_double(v)
        except ValueError:
            return None
    return out


def _guess_type(values: list[str], fmt: _NumberText) -> str:
    """KNIME's CSV type hierarchy: Integer < Long < Double < String; no values -> String."""
    if not values:
        return ColumnType.STRING
    if parse_ints(values, 32, fmt) is not None:
        return ColumnType.INTEGER
    if parse_ints(values, 64, fmt) is not None:
        return ColumnType.LONG
    if parse_doubles(values, fmt) is not None:
        return ColumnType.DOUBLE
    return ColumnType.STRING


def _bad_value(
    raw: _RawTable, name: str, values: list[str | None], col_type: str, fmt: _NumberText
) -> NodeError:
    """The first value of the column that does not parse as `col_type`, as a user-facing error."""

    def bad(v: str) -> bool:
        if col_type in (ColumnType.INTEGER, ColumnType.LONG):
            return parse_ints([v], 32 if col_type == ColumnType.INTEGER else 64, fmt) is None
        if col_type == ColumnType.DOUBLE:
            return parse_doubles([v], fmt) is None
        if is_date_time_type(col_type):
            return _parse_date_times([v], col_type) is None
        return v.lower() not in ("true", "false")

    k = next((i for i, v in enumerate(values) if v is not None and bad(v)), 0)
    row = raw.row_ids[k] if raw.row_ids is not None else f"Row{raw.first_row + k}"
    return NodeError(
        f"value {values[k]!r} in row {row} of column {name!r} is not a valid {col_type} (the column type comes "
        "from the stored spec or from the first rows); set its type to String or fix the file",
        setting="columns",
    )


def _present(values: list[str | None]) -> tuple[np.ndarray, list[str]]:
    if None not in values:
        return np.ones(len(values), dtype=bool), values  # type: ignore[return-value]
    present = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    return present, [v for v in values if v is not None]


def _convert(
    raw: _RawTable, index: int, col_type: str, fmt: _NumberText, same: dict[Any, Any] | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """One raw column of a block as typed values and the mask of its missing cells (None: none are
    missing, or they are NaN / None in the values); `_column` joins the blocks. `same` maps a string
    to the equal one kept already: a column of a few distinct names holds a few string objects, not
    one per row, and the block's own strings can all be freed."""
    name = raw.names[index]
    values = raw.columns[index]
    n = len(values)
    if col_type == ColumnType.STRING:
        strings = np.empty(n, dtype=object)
        strings[:] = values if same is None else [same.setdefault(v, v) for v in values]
        return strings, None
    present, sub = _present(values)
    missing = None if present.all() else ~present
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        ints = parse_ints(sub, 32 if col_type == ColumnType.INTEGER else 64, fmt)
        if ints is None:
            raise _bad_value(raw, name, values, col_type, fmt)
        if missing is None:
            return np.array(ints, dtype=np.int64), None
        out_i = np.zeros(n, dtype=np.int64)
        out_i[present] = ints
        return out_i, missing
    if col_type == ColumnType.DOUBLE:
        doubles = parse_doubles(sub, fmt)
        if doubles is None:
            raise _bad_value(raw, name, values, col_type, fmt)
        out_d = np.full(n, np.nan)
        out_d[present] = doubles
        return out_d, None
    if col_type == ColumnType.BOOLEAN:
        lowered = [v.lower() for v in sub]
        if any(v not in ("true", "false") for v in lowered):
            raise _bad_value(raw, name, values, col_type, fmt)
        out_b = np.zeros(n, dtype=bool)
        out_b[present] = [v == "true" for v in lowered]
        return out_b, missing
    if is_date_time_type(col_type):
        cells = _parse_date_times(sub, col_type)
        if cells is None:
            raise _bad_value(raw, name, values, col_type, fmt)
        out_t = np.full(n, None, dtype=object)
        out_t[present] = cells
        return out_t, None
    raise NodeError(f"column type {col_type} cannot be read from CSV", setting="columns")  # pragma: no cover


_EMPTY_DTYPES = {
    ColumnType.INTEGER: np.int64,
    ColumnType.LONG: np.int64,
    ColumnType.DOUBLE: np.float64,
    ColumnType.BOOLEAN: np.bool_,
}


def _column(parts: list[tuple[np.ndarray, np.ndarray | None]], col_type: str) -> pd.Series:
    """A column from its converted blocks (missing cells: NaN / <NA> / None)."""
    dtype = _EMPTY_DTYPES.get(col_type, object)
    values = np.concatenate([v for v, _ in parts]) if parts else np.empty(0, dtype=dtype)
    if all(m is None for _, m in parts):
        return pd.Series(values, dtype=dtype)
    mask = np.concatenate([np.zeros(len(v), dtype=bool) if m is None else m for v, m in parts])
    if col_type == ColumnType.BOOLEAN:
        return pd.Series(pd.arrays.BooleanArray(values, mask))
    return pd.Series(pd.arrays.IntegerArray(values, mask))


def _parse_date_times(values: list[str], col_type: str) -> list[Any] | None:
    """ISO dates/times (KNIME's default formats of the Local Date/Time types), or None if one fails."""
    try:
        return [parse_iso(v, col_type) for v in values]
    except ValueError:
        return None


def _layout(
    names: list[str], guessed: dict[str, str], s: CsvReaderSettings, file_known: bool
) -> list[tuple[str, str, str]]:
    """(file column, output name, type) in output order, applying the stored column spec."""
    if not s.columns:
        return [(n, n, guessed[n]) for n in names]
    stored = list(s.columns)
    if all(c.position is not None for c in stored):
        stored.sort(key=lambda c: c.position)  # type: ignore[arg-type, return-value]
    listed = {c.name for c in stored}
    if file_known:
        absent = [c.name for c in stored if c.name not in names]
        if absent:
            raise NodeError(
                f"column{'s' if len(absent) > 1 else ''} {', '.join(map(repr, absent))} of the stored spec "
                f"not in the file (file columns: {', '.join(names)})",
                setting="columns",
            )
    out: list[tuple[str, str, str]] = []
    for c in stored:
        if not c.keep:
            continue
        if c.type is not None and (s.enforce_types or c.name not in guessed):
            col_type = c.type
        else:
            col_type = guessed.get(c.name, ColumnType.STRING)
        out.append((c.name, c.rename or c.name, col_type))
    if s.keep_unknown_columns:
        out += [(n, n, guessed[n]) for n in names if n not in listed]
    dupes = {o for _, o, _ in out if [x for _, x, _ in out].count(o) > 1}
    if dupes:
        raise NodeError(f"duplicate output column names {sorted(dupes)}", setting="columns")
    return out


def _reader_columns(knime: KnimeSettings) -> list[dict[str, Any]]:
    """The stored table transformation: columns in output order with their types (`keep: false`
    drops one, `name` renames)."""
    trans = knime.get("table_spec_config_Internals.table_transformation")
    if not isinstance(trans, dict):
        return []
    cols: list[tuple[int, dict[str, Any]]] = []
    for c in seq(trans.get("columns")):
        source = get(c, "external_spec.name")
        entry: dict[str, Any] = {"name": source}
        new = c.get("name")
        if new is not None and new != source:
            entry["rename"] = new
        entry["type"] = column_type(get(c, "production_path._converter_dst"))
        if c.get("keep") is False:
            entry["keep"] = False
        cols.append((c.get("position", len(cols)), entry))
    cols.sort(key=lambda pe: pe[0])
    return [e for _, e in cols]


def _csv_reader_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    s = "settings"
    path = get(tree, f"{s}.file_selection.path.path")
    bound = f"{s}.file_selection.path" in knime.variables
    name = file_name(path)
    # data files live in the workflow variable data_dir; a file another node writes (path bound to
    # a flow variable) is read relative to the workflow
    knime.put("file", name if bound or not name else f"${{data_dir}}/{name}", f"{s}.file_selection.path")
    if path and name != path:
        knime.note(f"file {path!r} imported as {knime.settings['file']!r}")
    if get(tree, f"{s}.file_selection.filter_mode.filter_mode", "FILE") != "FILE":
        knime.lost("reading a folder of files is not supported; the path is read as one file")
    if get(tree, f"{s}.skip_empty_data_rows"):
        knime.lost("skip_empty_data_rows = true is not supported: knitflow does not skip empty lines")
    knime.take("has_column_header", f"{s}.has_column_header")
    knime.take("has_row_id", f"{s}.has_row_id")
    knime.take("column_delimiter", f"{s}.column_delimiter")
    knime.take("quote_char", f"{s}.quote_char")
    knime.take("quote_escape_char", f"{s}.quote_escape_char")
    knime.take("comment_char", f"{s}.comment_char")
    if not get(tree, f"{s}.use_line_break_row_delimiter", True):
        knime.take("row_delimiter", f"{s}.row_delimiter")
    knime.take("charset", "encoding.charset")
    adv = "advanced_settings"
    knime.take("quote_option", f"{adv}.quote_option")
    knime.take("replace_empty_quotes_with_missing", f"{adv}.replace_empty_quotes_with_missing")
    thousands = get(tree, f"{adv}.thousands_separator")
    if thousands not in (None, "", "\x00"):
        knime.put("thousands_separator", thousands, f"{adv}.thousands_separator")
    decimal = get(tree, f"{adv}.decimal_separator")
    if decimal not in (None, "."):
        knime.put("decimal_separator", decimal, f"{adv}.decimal_separator")
    for flag, count, name_ in (
        ("limit_rows.skip_lines", "limit_rows.number_of_lines_to_skip", "skip_lines"),
        ("limit_rows.skip_data_rows", "limit_rows.number_of_rows_to_skip", "skip_data_rows"),
        ("limit_rows.limit_data_rows", "limit_rows.max_rows", "max_rows"),
    ):
        if get(tree, flag):
            knime.put(name_, get(tree, count), count)
    knime.take("support_short_data_rows", f"{s}.support_short_data_rows")
    knime.take("limit_data_rows_scanned", f"{adv}.limit_data_rows_scanned")
    knime.take("max_data_rows_scanned", f"{adv}.max_data_rows_scanned")
    trans = "table_spec_config_Internals.table_transformation"
    if get(tree, f"{trans}.enforce_types") is not None:
        knime.take("enforce_types", f"{trans}.enforce_types")
    columns = _reader_columns(knime)
    if columns:
        knime.put("columns", columns)
        if (
            knime.get("table_spec_config_Internals.table_transformation.unknown_columns_transformation.keep")
            is False
        ):
            knime.put("keep_unknown_columns", False)
    for flag, what in (
        (f"{adv}.no_row_delimiters_in_quotes", "line breaks inside quotes are not allowed in KNIME"),
        (f"{s}.prepend_file_idx_to_row_id", "KNIME prefixes the RowIDs with the file index"),
    ):
        if get(tree, flag):
            knime.lost(f"{flag} = true is not supported: {what}")
    # the rest tunes memory, parallel reading, the dialog or checks knitflow makes anyway
    knime.unread(
        "autodetect_buffer_size",
        "skip_empty_data_rows",
        "prepend_file_idx_to_row_id",
        "use_line_break_row_delimiter",
        "row_delimiter",
        under=s,
    )
    knime.unread(
        "check_table_spec",
        "fail_on_differing_specs",
        "limit_memory_per_column",
        "max_num_chunks_per_file",
        "min_chunk_size_in_bytes",
        "maximum_number_of_columns",
        "no_row_delimiters_in_quotes",
        "thousands_separator",
        "decimal_separator",
        under=adv,
    )
    # (a count is read when its flag is on, and changes nothing when it is off)
    knime.unread(
        "skip_lines",
        "skip_data_rows",
        "limit_data_rows",
        "number_of_lines_to_skip",
        "number_of_rows_to_skip",
        "max_rows",
        under="limit_rows",
    )
    knime.unread(under="encoding")
    knime.unread("settings", "advanced_settings", "limit_rows", "table_spec_config_Internals")


def _file_reader_from_knime(knime: KnimeSettings) -> None:
    """The filehandling File Reader (KNIME 4.2+) is the CSV Reader with another description (KNIME 5.12
    maps the one onto the other: FileReaderNodeFactoryClassMapper). The classic File Reader
    (io.filereader, a `DataURL` tree) shares the class name: it never reads as this layout."""
    if "settings" not in knime.tree:
        knime.lost(
            "this File Reader settings layout (the classic io.filereader File Reader) is not supported"
        )
        return
    _csv_reader_from_knime(knime)


class CsvReader(Node):
    type_name = "csv_reader"
    display_name = "CSV Reader"
    category = Category.SOURCE
    description = (
        "Reads a CSV file like KNIME's CSV Reader: quoted values (quotes removed and values and header names "
        "trimmed), `#` comment lines, an empty quoted value read as missing, column types guessed on the first "
        "10000 rows (Integer, else Long, else Double, else String), RowIDs Row0, Row1, ... or the first column. "
        "`columns` holds the column order and types KNIME stored for the workflow (a KNIME import fills it)."
    )
    keywords = ("csv", "read", "file", "import", "load", "text", "comma")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.filehandling.csv.reader.CSVTableReaderNodeFactory",
            "CSV Reader",
            _csv_reader_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.csvreader.CSVReaderNodeFactory",
            "CSV Reader (legacy)",
            classic_csv_reader_from_knime,
            note="KNIME's classic CSV Reader: nodes/_knime_readers.py says what translates",
        ),
        KnimeMapping(
            "org.knime.base.node.io.filereader.FileReaderNodeFactory",
            "File Reader",
            file_reader_from_knime,
            note="KNIME's File Reader (FileTokenizer): nodes/_knime_readers.py says what translates",
        ),
        KnimeMapping(
            "org.knime.base.node.io.filehandling.csv.reader.FileReaderNodeFactory",
            "File Reader",
            _file_reader_from_knime,
        ),
    )
    outputs = (Port(TABLE, "File table", "The file's rows and columns"),)
    Settings = CsvReaderSettings
    path_settings = ("file",)

    def _stored_spec(self, s: CsvReaderSettings) -> TableSpec | None:
        if not s.columns or any(c.type is None for c in s.columns if c.keep):
            return None
        layout = _layout([c.name for c in s.columns], {}, s, file_known=False)
        return TableSpec.of((out, t) for _, out, t in layout)

    def configure(self, in_specs: list[Any], settings: CsvReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no file selected", setting="file")
        if not Path(settings.file).is_file():
            stored = self._stored_spec(settings)
            if stored is not None:
                return [stored]  # e.g. a file another node writes first
            raise ConfigureError(str(_missing_file(settings.file)), setting="file")
        scan = settings.max_data_rows_scanned if settings.limit_data_rows_scanned else None
        try:
            raw = _read_raw(settings.file, settings, max_rows=scan)
            fmt = _NumberText(settings)
            guessed = {
                n: _guess_type([v for v in raw.columns[i] if v is not None], fmt)
                for i, n in enumerate(raw.names)
            }
            layout = _layout(raw.names, guessed, settings, file_known=True)
        except NodeError as exc:
            raise ConfigureError(str(exc), setting=exc.setting) from None
        return [TableSpec.of((out, t) for _, out, t in layout)]

    def execute(self, inputs: list[Any], settings: CsvReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise NodeError("no file selected", setting="file")
        source = _CsvSource(settings.file, settings)
        if source.note:
            ctx.warn(source.note)
        ctx.progress(0.2, "converting values")
        fmt = _NumberText(settings)
        scan = settings.max_data_rows_scanned if settings.limit_data_rows_scanned else None
        guessed = _guessed_types(source, fmt, scan)
        layout = _layout(source.names, guessed, settings, file_known=True)
        position = {n: i for i, n in enumerate(source.names)}
        parts: dict[str, list[tuple[np.ndarray, np.ndarray | None]]] = {out: [] for _, out, _ in layout}
        same: dict[str, dict[Any, Any] | None] = {out: {} for _, out, _ in layout}
        ids: list[str] = []
        n_rows = 0
        for raw in source.blocks():  # one block of strings at a time, converted and dropped
            ctx.check_cancelled()
            for src, out, t in layout:
                parts[out].append(_convert(raw, position[src], t, fmt, same[out]))
                if len(same[out] or ()) > _BLOCK_ROWS:  # mostly distinct values: sharing saves nothing
                    same[out] = None
            ids += raw.row_ids or []
            n_rows += raw.n_rows
        has_ids = bool(source.offset)
        del source, same  # the file's lines
        data = {out: _column(parts.pop(out), t) for _, out, t in layout}
        index = pd.Index(ids if has_ids else [f"Row{i}" for i in range(n_rows)], dtype=object)
        df = pd.DataFrame(data, columns=[out for _, out, _ in layout])
        df.index = index
        return [Table(df, {out: t for _, out, t in layout})]


_TYPE_ORDER = [ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE, ColumnType.STRING]


def _guessed_types(source: _CsvSource, fmt: _NumberText, scan: int | None) -> dict[str, str]:
    """KNIME's guess from the first `scan` rows (None: all), block by block: a column is the widest
    type any block needs (Integer < Long < Double < String), exactly what one guess over all those
    values gives; no values at all -> String."""
    kinds: dict[str, str | None] = dict.fromkeys(source.names)
    seen = 0
    for raw in source.blocks():
        take = raw.n_rows if scan is None else min(raw.n_rows, scan - seen)
        for i, name in enumerate(source.names):
            values = [v for v in raw.columns[i][:take] if v is not None]
            if values:
                kind = _guess_type(values, fmt)
                before = kinds[name]
                kinds[name] = kind if before is None else max(before, kind, key=_TYPE_ORDER.index)
        seen += take
        if scan is not None and seen >= scan:
            break
    return {name: kind or ColumnType.STRING for name, kind in kinds.items()}


# -------------------------------------------------------------------------------------- CSV Writer

_LINE_BREAKS = {
    "SYSTEM": os.linesep,
    "LF": "\n",
    "UNIX_LINUX": "\n",
    "CRLF": "\r\n",
    "WINDOWS": "\r\n",
    "CR": "\r",
    "MAC_OS9": "\r",
}


class CsvWriterSettings(NodeSettings):
    file: str = Field(
        "", description="Output file (relative paths are resolved against the workflow folder)."
    )
    if_path_exists: Literal["overwrite", "fail", "append"] = Field(
        "fail", description="What to do when the file exists: overwrite it, fail, or append the rows."
    )
    create_missing_folders: bool = Field(
        False, description="Create the file's folder when it does not exist."
    )
    column_delimiter: str = Field(",", description="Column delimiter (`\\t` for tab).")
    row_delimiter: str | None = Field(
        None,
        description="Line break: None/SYSTEM (the system's), LF, CRLF, CR, or the characters themselves.",
    )
    quote_char: str = Field('"', description="Quote character.")
    quote_escape_char: str = Field('"', description="Written before a quote inside a quoted value.")
    write_column_header: bool = Field(True, description="Write the column names as the first line.")
    skip_column_header_on_append: bool = Field(False, description="When appending, do not repeat the header.")
    write_row_header: bool = Field(False, description="Write the RowIDs as a first column (header `row ID`).")
    missing_value_pattern: str = Field("", description="Text written for a missing cell (never quoted).")
    compress_with_gzip: bool = Field(False, description="Write a gzip-compressed file.")
    quote_mode: Literal["STRINGS_ONLY", "ALWAYS", "IF_NEEDED", "NEVER"] = Field(
        "STRINGS_ONLY",
        description="STRINGS_ONLY quotes non-numeric values and the header; IF_NEEDED only values containing the "
        "delimiter; NEVER replaces the delimiter inside strings by `separator_replacement`.",
    )
    separator_replacement: str = Field("", description="Replaces the delimiter inside strings in NEVER mode.")
    decimal_separator: str = Field(".", description="Decimal separator of written numbers.")
    use_scientific_format: bool = Field(
        False, description="Write doubles as Java prints them (1.0E-5); else in plain notation (.00001)."
    )
    keep_trailing_zero_in_decimals: bool = Field(
        False, description="Plain notation keeps one decimal (1.0 instead of 1)."
    )
    charset: str | None = Field(
        "UTF-8",
        description="Character set (Java name). KNIME writes its platform default when none is set; "
        "knitflow writes UTF-8 (the tutorial workflows set windows-31j explicitly).",
    )

    @field_validator("charset")
    @classmethod
    def _charset(cls, value: str | None) -> str | None:
        python_codec(value)
        return value


class _CsvFormatter:
    """KNIME's CSVWriter2 cell formatting and quoting."""

    def __init__(self, s: CsvWriterSettings) -> None:
        self.s = s
        self.delim = _unescape(s.column_delimiter)
        self.quote = _unescape(s.quote_char)[:1]
        self.escaped = _unescape(s.quote_escape_char)[:1] + self.quote
        self.decimal = _unescape(s.decimal_separator)[:1] or "."

    def quoted(self, value: str, numeric: bool) -> str:
        mode = self.s.quote_mode
        if mode == "NEVER" and not numeric and self.delim and self.delim in value:
            return value.replace(self.delim, self.s.separator_replacement)
        if (
            mode == "ALWAYS"
            or (mode == "STRINGS_ONLY" and not numeric)
            or (mode == "IF_NEEDED" and self.delim in value)
        ):
            body = value.replace(self.quote, self.escaped) if self.quote else value
            return f"{self.quote}{body}{self.quote}"
        return value

    def number(self, text: str, value: float | None) -> str:
        if value is not None and not self.s.use_scientific_format and text.count(".") == 1:
            text = java_decimal_format(value, self.s.keep_trailing_zero_in_decimals)
        if self.decimal != "." and self.decimal not in text and text.count(".") == 1:
            text = text.replace(".", self.decimal)
        return text

    def column(self, series: pd.Series, col_type: str) -> list[str]:
        missing = series.isna().to_numpy()
        pattern = self.s.missing_value_pattern
        values = series.to_numpy(dtype=object)
        plain = not self.s.use_scientific_format
        keep_zero = self.s.keep_trailing_zero_in_decimals
        swap = self.decimal != "."
        out: list[str] = []
        for v, m in zip(values, missing, strict=True):
            if m:
                out.append(pattern)
            elif col_type == ColumnType.DOUBLE:
                f = float(v)
                if plain and math.isfinite(f):  # Double.toString of a finite double has exactly one "."
                    text = java_decimal_format(f, keep_zero)
                    out.append(
                        self.quoted(
                            text.replace(".", self.decimal) if swap and self.decimal not in text else text,
                            True,
                        )
                    )
                else:
                    out.append(self.quoted(self.number(java_double_to_string(f), f), True))
            elif col_type in (ColumnType.INTEGER, ColumnType.LONG):
                out.append(self.quoted(self.number(str(int(v)), None), True))
            elif col_type == ColumnType.BOOLEAN:
                out.append(self.quoted("true" if bool(v) else "false", True))
            elif is_date_time_type(col_type):  # Java's toString, as KNIME writes them (quoted as text)
                out.append(self.quoted(date_time_text(v), False))
            else:
                out.append(self.quoted(_cell_string(v), False))
        return out


def _cell_string(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return java_double_to_string(float(value))
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def _line_break(value: str | None) -> str:
    if not value:
        return os.linesep
    return _LINE_BREAKS.get(value.upper(), _unescape(value))


def _csv_writer_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    s = "settings"
    fc = f"{s}.file_chooser_settings"
    path = get(tree, f"{fc}.path.path")
    knime.put("file", file_name(path), f"{fc}.path")
    if path and file_name(path) != path:
        knime.note(f"file {path!r} imported as {file_name(path)!r} (relative to the workflow)")
    knime.take("if_path_exists", f"{fc}.if_path_exists")
    knime.take("create_missing_folders", f"{fc}.create_missing_folders")
    knime.take("column_delimiter", f"{s}.column_delimiter")
    if get(tree, f"{s}.row_delimiter") is not None:
        knime.take("row_delimiter", f"{s}.row_delimiter")
    knime.take("quote_char", f"{s}.quote_char")
    knime.take("quote_escape_char", f"{s}.quote_escape_char")
    knime.take("write_column_header", f"{s}.write_column_header")
    knime.take("write_row_header", f"{s}.write_row_header")
    knime.take("skip_column_header_on_append", f"{s}.skip_column_header_on_append")
    adv = "advanced_settings"
    knime.take_all(
        [
            "missing_value_pattern",
            "compress_with_gzip",
            "quote_mode",
            "separator_replacement",
            "decimal_separator",
            "use_scientific_format",
            "keep_trailing_zero_in_decimals",
        ],
        tree_path=adv,
    )
    knime.take("charset", "encoding.character_set")
    comment = get(tree, "comment_header_settings") or {}
    if any(
        comment.get(k)
        for k in (
            "add_time_to_comment",
            "add_user_to_comment",
            "add_table_name_to_comment",
            "add_custom_text_to_comment",
        )
    ):
        knime.lost("the comment header is not supported")


def _legacy_csv_writer_from_knime(knime: KnimeSettings) -> None:
    """The CSV Writer before KNIME 4.2 (`csvwriter.CSVWriterNodeFactory`): FileWriterSettings and
    FileWriterNodeSettings keys. Its doubles are Double.toString (1.0, 1.0E-5) with
    `scientificExtrema` (absent: true), else DecimalFormat("#.#") (1, .5, .00001)."""
    tree = knime.tree
    path = tree.get("filename")
    knime.put("file", file_name(path), "filename")
    policy = {"Abort": "fail", "Overwrite": "overwrite", "Append": "append"}
    mode = tree.get("fileOverwritePolicy")
    where = "fileOverwritePolicy"
    if mode is None and "isAppendToFile" in tree:  # KNIME 1.3-2.0
        mode, where = ("Append" if tree["isAppendToFile"] else "Overwrite"), "isAppendToFile"
    knime.put("if_path_exists", policy.get(str(mode), "fail"), where)
    knime.take("write_column_header", "writeColHeader")
    knime.take("write_row_header", "writeRowHeader")
    knime.take("skip_column_header_on_append", "skipWriteColHeaderOnAppend")
    knime.take("missing_value_pattern", "missing", transform=lambda v: v or "")
    knime.take("column_delimiter", "colSeparator")
    begin, end = tree.get("quoteBegin", '"') or "", tree.get("quoteEnd", '"') or ""
    if begin != end or len(begin) > 1:
        knime.lost(
            f"the quotes {begin!r}...{end!r} are not supported (one character, the same on both sides)"
        )
    knime.put("quote_char", begin[:1], "quoteBegin")
    knime.paths["quoteEnd"] = "quote_char"
    quote = {"IF_NEEDED": "IF_NEEDED", "ALWAYS": "ALWAYS", "STRINGS": "STRINGS_ONLY", "REPLACE": "NEVER"}
    quote_mode = str(tree.get("quoteMode") or "STRINGS")
    knime.put("quote_mode", quote.get(quote_mode, "STRINGS_ONLY"), "quoteMode")
    if quote_mode == "IF_NEEDED":
        knime.note("KNIME's legacy writer also quotes a value equal to the missing value pattern")
    # a quote inside a quoted value is replaced by `quoteReplacement`; knitflow writes an escape
    # character before it
    replacement = tree.get("quoteReplacement") or ""
    if quote_mode != "REPLACE" and end:
        if len(replacement) == len(end) + 1 and replacement.endswith(end):
            knime.put("quote_escape_char", replacement[0], "quoteReplacement")
        else:
            knime.lost(
                f"quotes inside values replaced by {replacement!r} is not supported (knitflow escapes "
                f"them: an escape character before the quote)"
            )
    else:
        knime.paths["quoteReplacement"] = "quote_escape_char"
    knime.take("separator_replacement", "sepReplacePattern", transform=lambda v: v or "")
    if tree.get("ReplSepInStrings") and quote_mode != "REPLACE":
        knime.lost("replacing the column delimiter inside quoted strings is not supported")
    knime.paths["ReplSepInStrings"] = "separator_replacement"
    knime.take("decimal_separator", "decimalSeparator", transform=lambda v: v or ".")
    knime.take("compress_with_gzip", "gzip")
    line_end = tree.get("lineEndingMode")
    if line_end is not None:
        knime.put(
            "row_delimiter",
            {"SYST": "SYSTEM", "LF": "LF", "CRLF": "CRLF", "CR": "CR"}.get(line_end, line_end),
            "lineEndingMode",
        )
    charset = tree.get("charSet")
    knime.put("charset", charset or "UTF-8", "charSet")
    if not charset:
        knime.note("charset: the platform default of KNIME is written as UTF-8")
    scientific = bool(tree.get("scientificExtrema", True))
    knime.put("use_scientific_format", scientific, "scientificExtrema")
    knime.put("keep_trailing_zero_in_decimals", scientific, "scientificExtrema")
    if not scientific:
        knime.note(
            "KNIME's legacy writer prints Boolean cells as 1/0 in this number format; knitflow true/false"
        )
    if any(tree.get(k) for k in ("addTime", "addUser", "addTablename", "userCommentLine")):
        knime.lost("the comment header is not supported")
    knime.unread("addTime", "addUser", "addTablename", "userCommentLine", "commentBegin", "commentEnd")


class CsvWriter(Node):
    type_name = "csv_writer"
    display_name = "CSV Writer"
    category = Category.SINK
    description = (
        "Writes the input table to a CSV file like KNIME's CSV Writer: strings quoted (STRINGS_ONLY), doubles in "
        "plain notation without trailing zeros (1, .5, .00001 as KNIME's DecimalFormat prints them), missing cells "
        "as the missing value pattern, RowIDs optional. The file is replaced atomically. Bind `file` with "
        "expose_variables to pass the path on (KNIME's `filename` variable)."
    )
    keywords = ("csv", "write", "export", "save", "file", "output")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.filehandling.csv.writer.CSVWriter2NodeFactory",
            "CSV Writer",
            _csv_writer_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.csvwriter.CSVWriterNodeFactory",
            "CSV Writer (legacy)",
            _legacy_csv_writer_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "The table to write"),)
    outputs = (
        Port(VARIABLES, "Flow variables", "Carries the variables on; connect it to order a reader after"),
    )
    Settings = CsvWriterSettings
    path_settings = ("file",)

    def configure(self, in_specs: list[Any], settings: CsvWriterSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no output file given", setting="file")
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: CsvWriterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        if not settings.file:
            raise NodeError("no output file given", setting="file")
        path = Path(settings.file)
        if path.is_dir():
            raise NodeError(f"{path} is a folder, not a file", setting="file")
        if not path.parent.exists():
            if not settings.create_missing_folders:
                raise NodeError(
                    f"folder {path.parent} does not exist (enable create_missing_folders)", setting="file"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
        exists = path.exists()
        if exists and settings.if_path_exists == "fail":
            raise NodeError(
                f"file {path} exists (set if_path_exists to overwrite or append)", setting="if_path_exists"
            )
        fmt = _CsvFormatter(settings)
        newline = _line_break(settings.row_delimiter)
        delim = fmt.delim
        appending = exists and settings.if_path_exists == "append"
        lines: list[str] = []
        if settings.write_column_header and not (appending and settings.skip_column_header_on_append):
            head = [fmt.quoted("row ID", False)] if settings.write_row_header else []
            head += [fmt.quoted(c, False) for c in table.columns]
            lines.append(delim.join(head))
        cols = [fmt.column(table.df[c], table.types[c]) for c in table.columns]
        if settings.write_row_header:
            cols.insert(0, [fmt.quoted(r, False) for r in table.row_ids])
        for k in range(len(table)):
            if k % 10000 == 0:
                ctx.check_cancelled()
            lines.append(delim.join(col[k] for col in cols))
        text = "".join(line + newline for line in lines)
        codec = python_codec(settings.charset)
        payload = text.encode(codec, errors="replace")
        if settings.compress_with_gzip:
            payload = gzip.compress(payload)
        if appending:
            payload = path.read_bytes() + payload
        atomic_write(path, payload)
        ctx.log(f"wrote {len(table)} rows to {path}")
        return [None]


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


Cell = str | int | float | bool | None


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


def _creator_cell(value: Cell, col: CreatorColumn, where: str) -> Any:
    """A Table Creator cell parsed to its column type (None: missing)."""
    if value is None or (
        isinstance(value, str)
        and col.missing_value_pattern is not None
        and value == col.missing_value_pattern
    ):
        return None
    t = col.type
    try:
        if t == ColumnType.STRING:
            return _cell_string(value) if not isinstance(value, str) else value
        if t in (ColumnType.INTEGER, ColumnType.LONG):
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError
                value = int(value)
            if isinstance(value, int):
                return parse_java_int(str(value), 32 if t == ColumnType.INTEGER else 64)
            return parse_java_int(java_trim(value), 32 if t == ColumnType.INTEGER else 64)
        if t == ColumnType.DOUBLE:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, int | float):
                return float(value)
            return parse_java_double(value)
        if t == ColumnType.BOOLEAN:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in ("true", "false"):
                raise ValueError
            return text == "true"
    except ValueError:
        pass
    raise NodeError(f"{where}: {value!r} is not a valid {t} for column {col.name!r}", setting="rows")


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
