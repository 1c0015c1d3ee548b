"""CSV Writer: prints numbers the way KNIME's CSV Writer does (so a write/read round trip gives
the same table as in KNIME) and writes atomically."""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field, field_validator

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
    atomic_write,
)
from engine.api.knime import KnimeMapping, KnimeSettings, file_name, get
from nodes._common import output_file
from nodes._csv_cells import _cell_string
from nodes._csv_source import _unescape
from nodes._datetime import date_time_text, is_date_time_type
from nodes._java_text import (
    java_decimal_format,
    java_double_to_string,
    python_codec,
)

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


def _legacy_target(knime: KnimeSettings, tree: dict[str, Any]) -> None:
    """The file and what to do when it exists (KNIME 1.3-2.0 stored only whether to append)."""
    knime.put("file", file_name(tree.get("filename")), "filename")
    policy = {"Abort": "fail", "Overwrite": "overwrite", "Append": "append"}
    mode = tree.get("fileOverwritePolicy")
    where = "fileOverwritePolicy"
    if mode is None and "isAppendToFile" in tree:  # KNIME 1.3-2.0
        mode, where = ("Append" if tree["isAppendToFile"] else "Overwrite"), "isAppendToFile"
    knime.put("if_path_exists", policy.get(str(mode), "fail"), where)


def _legacy_quotes(knime: KnimeSettings, tree: dict[str, Any]) -> str:
    """The quote character and when to quote; gives KNIME's quote mode."""
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
    _legacy_quote_replacement(knime, tree, quote_mode, end)
    return quote_mode


def _legacy_quote_replacement(knime: KnimeSettings, tree: dict[str, Any], quote_mode: str, end: str) -> None:
    """A quote inside a quoted value is replaced by `quoteReplacement`; knitflow writes an escape
    character before it, so only a replacement of that form carries over."""
    replacement = tree.get("quoteReplacement") or ""
    if quote_mode == "REPLACE" or not end:
        knime.paths["quoteReplacement"] = "quote_escape_char"
    elif len(replacement) == len(end) + 1 and replacement.endswith(end):
        knime.put("quote_escape_char", replacement[0], "quoteReplacement")
    else:
        knime.lost(
            f"quotes inside values replaced by {replacement!r} is not supported (knitflow escapes "
            f"them: an escape character before the quote)"
        )


def _legacy_line_end_and_charset(knime: KnimeSettings, tree: dict[str, Any]) -> None:
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


def _legacy_number_format(knime: KnimeSettings, tree: dict[str, Any]) -> None:
    """`scientificExtrema` (absent: true) picks Double.toString, else DecimalFormat("#.#")."""
    scientific = bool(tree.get("scientificExtrema", True))
    knime.put("use_scientific_format", scientific, "scientificExtrema")
    knime.put("keep_trailing_zero_in_decimals", scientific, "scientificExtrema")
    if not scientific:
        knime.note(
            "KNIME's legacy writer prints Boolean cells as 1/0 in this number format; knitflow true/false"
        )


def _legacy_csv_writer_from_knime(knime: KnimeSettings) -> None:
    """The CSV Writer before KNIME 4.2 (`csvwriter.CSVWriterNodeFactory`): FileWriterSettings and
    FileWriterNodeSettings keys. Its doubles are Double.toString (1.0, 1.0E-5) with
    `scientificExtrema` (absent: true), else DecimalFormat("#.#") (1, .5, .00001)."""
    tree = knime.tree
    _legacy_target(knime, tree)
    knime.take("write_column_header", "writeColHeader")
    knime.take("write_row_header", "writeRowHeader")
    knime.take("skip_column_header_on_append", "skipWriteColHeaderOnAppend")
    knime.take("missing_value_pattern", "missing", transform=lambda v: v or "")
    knime.take("column_delimiter", "colSeparator")
    quote_mode = _legacy_quotes(knime, tree)
    knime.take("separator_replacement", "sepReplacePattern", transform=lambda v: v or "")
    if tree.get("ReplSepInStrings") and quote_mode != "REPLACE":
        knime.lost("replacing the column delimiter inside quoted strings is not supported")
    knime.paths["ReplSepInStrings"] = "separator_replacement"
    knime.take("decimal_separator", "decimalSeparator", transform=lambda v: v or ".")
    knime.take("compress_with_gzip", "gzip")
    _legacy_line_end_and_charset(knime, tree)
    _legacy_number_format(knime, tree)
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
        path, exists = _target_file(settings)
        appending = exists and settings.if_path_exists == "append"
        newline = _line_break(settings.row_delimiter)
        lines = _csv_lines(table, settings, appending, ctx)
        text = "".join(line + newline for line in lines)
        payload = text.encode(python_codec(settings.charset), errors="replace")
        if settings.compress_with_gzip:
            payload = gzip.compress(payload)
        if appending:
            payload = path.read_bytes() + payload
        atomic_write(path, payload)
        ctx.log(f"wrote {len(table)} rows to {path}")
        return [None]


def _target_file(settings: CsvWriterSettings) -> tuple[Path, bool]:
    """The output path, its folder created if asked for, and whether the file exists; fails before
    anything is formatted when the file cannot or must not be written."""
    if not settings.file:
        raise NodeError("no output file given", setting="file")
    path = Path(settings.file)
    if path.is_dir():
        raise NodeError(f"{path} is a folder, not a file", setting="file")
    return output_file(settings.file, settings.create_missing_folders, settings.if_path_exists)


def _header_line(table: Table, settings: CsvWriterSettings, fmt: _CsvFormatter) -> str:
    head = [fmt.quoted("row ID", False)] if settings.write_row_header else []
    head += [fmt.quoted(c, False) for c in table.columns]
    return fmt.delim.join(head)


def _csv_lines(table: Table, settings: CsvWriterSettings, appending: bool, ctx: NodeContext) -> list[str]:
    """The header (unless appending skips it) and one line per row, without line breaks."""
    fmt = _CsvFormatter(settings)
    delim = fmt.delim
    lines: list[str] = []
    if settings.write_column_header and not (appending and settings.skip_column_header_on_append):
        lines.append(_header_line(table, settings, fmt))
    cols = [fmt.column(table.df[c], table.types[c]) for c in table.columns]
    if settings.write_row_header:
        cols.insert(0, [fmt.quoted(r, False) for r in table.row_ids])
    for k in range(len(table)):
        if k % 10000 == 0:
            ctx.check_cancelled()
        lines.append(delim.join(col[k] for col in cols))
    return lines
