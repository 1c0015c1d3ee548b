"""Reading CSV text as KNIME's table reader does (univocity underneath): decoding and BOMs, the
quoted-record parser, the fast path for simple files, the reader's settings; shared by the CSV
Reader and the readers built on it."""

from __future__ import annotations

import codecs
import functools
import gzip
import itertools
import re
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from engine.api import (
    NodeError,
    NodeSettings,
    unique_column_name,
    widget,
)
from nodes._column_types import column_type_name
from nodes._java_text import (
    python_codec,
)

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
        # where a quoted value's text stops being copied as it is (without quoting never searched)
        self.quote_or_escape = re.compile(
            f"[{re.escape(self.quote + self.escape)}]" if self.quote else "(?!)"
        )

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
        line, pos = lines[i], 0
        delim, quote = self.delim, self.quote
        while True:
            # skip leading whitespace (but not the delimiter itself, e.g. a tab)
            while pos < len(line) and line[pos] <= " " and not line.startswith(delim, pos):
                pos += 1
            if pos < len(line) and line[pos] == quote:
                field, i, pos = self._quoted_field(lines, i, pos + 1)
                line = lines[i]
            else:
                end = line.find(delim, pos)
                end = len(line) if end < 0 else end
                field = self._plain(line[pos:end])
                pos = end
            fields.append(field)
            if pos >= len(line):
                return fields, i + 1
            pos += len(delim)
            if pos >= len(line):  # a trailing delimiter: one more (empty) value
                fields.append(None)
                return fields, i + 1

    def _quoted_field(self, lines: list[str], i: int, pos: int) -> tuple[str | None, int, int]:
        """The value whose opening quote ends before `pos`: (value, its last line, the position of
        the delimiter after it or the line's end)."""
        content, i, pos = self._quoted_text(lines, i, pos)
        line = lines[i]
        # anything between the closing quote and the delimiter is kept (univocity does too)
        end = line.find(self.delim, pos)
        end = len(line) if end < 0 else end
        content += line[pos:end].strip(_WS)
        if self.keep_quotes:
            return self.quote + content + self.quote, i, end
        content = content.strip(_WS)
        return (content if content else self.empty_quoted), i, end

    def _quoted_text(self, lines: list[str], i: int, pos: int) -> tuple[str, int, int]:
        """The text up to the closing quote, escapes resolved: (text, the line of the closing quote,
        the position after it). Jumps from quote to escape character, copying the text between."""
        quote, escape = self.quote, self.escape
        line = lines[i]
        buf: list[str] = []
        while True:
            found = self.quote_or_escape.search(line, pos)
            if found is None:
                buf.append(line[pos:])
                if i + 1 >= len(lines):  # unterminated quote at the end of the file: take what we have
                    return "".join(buf), i, len(line)
                i += 1
                line, pos = lines[i], 0
                buf.append("\n")
                continue
            k = found.start()
            buf.append(line[pos:k])
            if line[k] == escape and line.startswith(quote, k + 1):  # an escaped (or doubled) quote
                buf.append(quote)
                pos = k + 2
            elif line[k] == quote:
                return "".join(buf), i, k + 1
            else:  # an escape character escaping nothing is kept
                buf.append(escape)
                pos = k + 1


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


def _non_blank_lines(lines: list[str], comment: str) -> list[str]:
    """Drops the lines that are empty or start with the comment character; one with whitespace is
    kept here and sends the whole file to the record parser."""
    if comment:
        return [line for line in lines if line and line[0] != comment]
    return [line for line in lines if line]


def _header_and_rows(lines: list[str], delim: str, has_header: bool) -> tuple[list[str] | None, list[str]]:
    if not has_header:
        return None, lines
    return (lines[0].split(delim) if lines else []), lines[1:]


def _needs_record_parser(parser: _CsvParser, parts: list[str], lines: list[str]) -> bool:
    """Whether a quote character or something to trim is in the header, the skipped rows or the
    data lines (checked a block at a time, never as one string of the whole file)."""
    blocks = ("\n".join(lines[i : i + _BLOCK_ROWS]) for i in range(0, len(lines), _BLOCK_ROWS))
    for part in itertools.chain(parts, blocks):
        if (parser.quote and parser.quote in part) or len(part.translate(_TRIMMED)) != len(part):
            return True
    return False


def _all_records_width(lines: list[str], delim: str, width: int) -> bool:
    return width > 0 and all(line.count(delim) == width - 1 for line in lines)


def _unique_row_ids(lines: list[str], delim: str) -> bool:
    """Whether the first values are RowIDs the parser would accept (none empty, no duplicates)."""
    ids = [line.split(delim, 1)[0] for line in lines]
    return "" not in ids and len(set(ids)) == len(ids)


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
    # without quotes every line break ends a record
    lines = _non_blank_lines(lines[s.skip_lines :], parser.comment)
    header, lines = _header_and_rows(lines, delim, s.has_column_header)
    first = s.skip_data_rows
    skipped = lines[:first]  # checked too: a quote or a blank-looking line there shifts the records
    lines = lines[first:] if limit is None else lines[first : first + limit]
    if _needs_record_parser(parser, [delim.join(header or []), "\n".join(skipped)], lines):
        return None
    offset = 1 if s.has_row_id else 0
    names = _names(header, lines[0].split(delim) if lines else None, offset)
    if not _all_records_width(lines, delim, len(names) + offset):
        return None
    if offset and not _unique_row_ids(lines, delim):
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
        self.offset = 1 if s.has_row_id else 0
        self.columnar = False  # the blocks hold Arrow string arrays (`_arrow_table`), not lists
        table = _arrow_table(text, self.parser, s, limit) if len(text) >= _ARROW_MIN_CHARS else None
        if table is not None:
            self.names = table.names
            self.lines = []
            self.columnar = True
            self._table = table
            self._blocks = lambda: _arrow_blocks(table)
            return
        self.lines = self._lines(text, limit)
        del text
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
        """All rows in one raw table (a columnar source's one block as it is)."""
        if self.columnar:
            self._table.note = self.note
            return self._table
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


# ------------------------------------------------------------------------ the Arrow path

_ARROW_MIN_CHARS = 1 << 15
"""Smaller texts go the Python way: Arrow's fixed cost per call outweighs what it saves."""

_WS_CLASS = r"[\x00-\x09\x0b\x0c\x0e-\x20]"  # what univocity trims, line breaks aside
# a line of whitespace only after the first (the record parser skips it; Arrow would read it as a row)
_BLANK_LINE = re.compile(rf"\n{_WS_CLASS}+(?=\n|\Z)")
_TRIM_CHARS = "".join(chr(i) for i in range(33))


def _arrow_table(text: str, parser: _CsvParser, s: CsvReaderSettings, limit: int | None) -> _RawTable | None:
    """The file's rows as one block of Arrow string arrays (missing cells null), split by Arrow's
    C++ CSV parser: for a file where that split is provably the record parser's (one-character
    delimiter, no comment or whitespace-only lines, every quoted value a whole field with its quotes
    doubled inside, ...), the numeric columns never become Python strings. None for any other file,
    which the Python paths read (and word the errors of). With a row limit (configure's sample), only
    a prefix of lines, as `_CsvSource._lines` reads."""
    if limit is None:
        return _arrow_read(text, parser, s, None) or None
    want = s.skip_lines + 1 + s.skip_data_rows + limit + 1
    n = want * 2 + 100
    while True:
        prefix = _line_prefix(text, n) if n < len(text) else None
        got = _arrow_read(text if prefix is None else prefix, parser, s, limit, whole=prefix is None)
        if got is not False:
            return got or None
        n *= 4


def _arrow_read(
    text: str, parser: _CsvParser, s: CsvReaderSettings, limit: int | None, whole: bool = True
) -> _RawTable | None | Literal[False]:
    """`_arrow_table` on `text` (all of the file when `whole`, else a prefix of its lines: False when
    the prefix holds too few rows to tell)."""
    split = _arrow_body(text, parser, s)
    if split is None:
        return None
    table = _arrow_parse(*split, parser)
    if table is None:
        return None
    return _arrow_rows(table, s, limit, whole)


def _arrow_body(text: str, parser: _CsvParser, s: CsvReaderSettings) -> tuple[str, bool, bool] | None:
    """The text after the skipped lines with line breaks made \n, when Arrow splits it as the
    record parser does, with whether it holds quotes and whitespace other than line breaks; None
    otherwise."""
    delim, quote, comment = parser.delim, parser.quote, parser.comment
    if (
        parser.row_delim
        or len(delim) != 1
        or delim in "\r\n"
        or delim == quote
        or (comment and comment <= " ")
    ):
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    pos = 0
    for _ in range(s.skip_lines):
        pos = text.find("\n", pos) + 1
        if pos == 0:
            return None
    body = text[pos:] if pos else text
    if body.startswith("\ufeff"):  # Arrow would drop it as a byte order mark
        return None
    quoted = bool(quote) and quote in body
    if quoted and (parser.keep_quotes or parser.empty_quoted is not None or parser.escape != quote):
        return None
    if quoted and not _tame_quotes(body, quote, delim):
        return None
    spaced = len(body.translate(_TRIMMED)) != len(body)
    if _skipped_lines(body, comment, spaced):
        return None
    return body, quoted, spaced


def _arrow_parse(body: str, quoted: bool, spaced: bool, parser: _CsvParser) -> Any:
    """Arrow's split of the body into string columns (trimmed, empty values missing, as the record
    parser gives them); None when Arrow cannot read it or types a column."""
    delim, quote = parser.delim, parser.quote
    try:
        data = body.encode("utf-8")
    except UnicodeEncodeError:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    try:
        table = pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(autogenerate_column_names=True, use_threads=True),
            parse_options=pcsv.ParseOptions(
                delimiter=delim,
                quote_char=quote if quoted else False,
                double_quote=quoted,
                escape_char=False,
                newlines_in_values=quoted,
                ignore_empty_lines=True,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=_string_columns(data, delim),
                strings_can_be_null=not spaced,
                quoted_strings_can_be_null=not spaced,
                null_values=[] if spaced else [""],
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    if spaced:  # trimmed, then empty -> missing
        columns = []
        for column in table.columns:
            column = pc.utf8_trim(column, characters=_TRIM_CHARS)
            columns.append(pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column))
        table = pa.table(columns, names=table.column_names)
    if any(not pa.types.is_string(t) for t in table.schema.types):
        return None
    return table


def _arrow_rows(
    table: Any, s: CsvReaderSettings, limit: int | None, whole: bool
) -> _RawTable | None | Literal[False]:
    """The header, the skipped and limited data rows and the RowIDs of Arrow's table, as the record
    parser's rows give them; None where the Python path must decide (and word the error)."""
    import pyarrow.compute as pc

    header: list[str] | None = None
    start = 0
    if s.has_column_header:
        if table.num_rows == 0:
            return None
        header = [c[0].as_py() or "" for c in table.columns]
        start = 1
    start += s.skip_data_rows
    stop = table.num_rows if limit is None else start + limit
    if not whole and table.num_rows <= stop:
        return False
    table = table.slice(start, max(0, min(stop, table.num_rows) - start))
    offset = 1 if s.has_row_id else 0
    if header is None and table.num_rows == 0:
        return None
    names = _names(header, [None] * table.num_columns if header is None else None, offset)
    if not names or len(names) + offset != table.num_columns:
        return None
    ids: list[str] | None = None
    if offset:
        id_column = table.column(0)
        if id_column.null_count or pc.count_distinct(id_column).as_py() != len(id_column):
            return None
        ids = id_column.to_pylist()
    columns = [table.column(c) for c in range(offset, table.num_columns)]
    return _RawTable(names, ids, columns)


def _skipped_lines(text: str, comment: str, spaced: bool) -> bool:
    """Whether the text has a line the record parser skips and Arrow would not: a comment line
    (whitespace before the comment character too) or a line of whitespace only. `spaced`: the text
    holds whitespace other than line breaks."""
    first = text[: text.find("\n")] if "\n" in text else text
    if spaced and first and not first.strip(_WS):
        return True
    if comment and comment in text:
        if first.lstrip(_WS).startswith(comment) or f"\n{comment}" in text:
            return True
        if spaced and re.search(rf"\n{_WS_CLASS}+{re.escape(comment)}", text):
            return True
    return spaced and _BLANK_LINE.search(text) is not None


def _arrow_blocks(table: _RawTable) -> Iterator[_RawTable]:
    """The rows in blocks of `_BLOCK_ROWS` (views, not copies), as the Python paths give them: a
    conversion error is then found in the same block, hence the same cell, as there."""
    n = table.n_rows
    for start in range(0, max(n, 1), _BLOCK_ROWS):
        ids = None if table.row_ids is None else table.row_ids[start : start + _BLOCK_ROWS]
        columns = [c[start : start + _BLOCK_ROWS] for c in table.columns]
        yield _RawTable(table.names, ids, columns, first_row=start)


def _string_columns(data: bytes, delim: str) -> Any:
    """Every column read as text: Arrow names them f0, f1, ...; a generous bound on their number
    (the delimiters in the first line, quoted ones too) types them all."""
    import pyarrow as pa

    start = 0
    while data[start : start + 1] == b"\n":
        start += 1
    end = data.find(b"\n", start)
    first = data[start : len(data) if end < 0 else end]
    return {f"f{i}": pa.string() for i in range(first.count(delim.encode("utf-8")) + 1)}


def _tame_quotes(text: str, quote: str, delim: str) -> bool:
    """Whether every quote character belongs to a quoted value that is a whole field (after a
    delimiter or line start, before one or a line end, quotes inside doubled): there Arrow's split
    is the record parser's. Anything else (text after a closing quote, a quote inside a value, an
    unterminated quote, whitespace around the quotes) is left to the record parser."""
    q = re.escape(quote)
    found = 0
    for m in re.finditer(f"{q}(?:[^{q}]++|{q}{q})*+{q}", text):
        a, b = m.span()
        if (a and text[a - 1] not in (delim, "\n")) or (b < len(text) and text[b] not in (delim, "\n")):
            return False
        found += text.count(quote, a, b)
    return found == text.count(quote)


def _read_raw(path: str, s: CsvReaderSettings, max_rows: int | None = None) -> _RawTable:
    """Header, RowIDs and raw column strings of the file (at most `max_rows` data rows)."""
    return _CsvSource(path, s, max_rows).joined()
