"""KNIME's older text readers read into knitflow's CSV Reader, where their settings translate.

The classic CSV Reader (`io.csvreader.CSVReaderNodeFactory`, KNIME 2.1-4.x, `CSVReaderConfig`)
and the File Reader (`io.filereader.FileReaderNodeFactory`, `FileReaderNodeSettings` over the
`TokenizerSettings` of KNIME's FileTokenizer) both parse with KNIME's own tokenizer: quote and
comment patterns, whitespace and delimiter rules that knitflow's reader (univocity's rules, like
KNIME's current CSV Reader) has only in part. What does not translate is a finding; the File
Reader's stored column names and types become the reader's `columns`.
"""

from __future__ import annotations

from typing import Any

from engine.api.knime import KnimeSettings, column_type, file_name, seq

_LINE_BREAKS = {"\n", "\r", "\r\n"}


def _file(knime: KnimeSettings, url: Any, key: str) -> None:
    """The file as the current CSV Reader's translator writes it: `${data_dir}/<name>`, or the
    bare name when a flow variable sets the path."""
    name = file_name(str(url)) if url else None
    bound = key in knime.variables
    knime.put("file", name if bound or not name else f"${{data_dir}}/{name}", key)
    if url and name != url:
        knime.note(f"file {url!r} imported as {knime.settings['file']!r}")


def classic_csv_reader_from_knime(knime: KnimeSettings) -> None:
    """`CSVReaderConfig` (KNIME 2.1-4.x): url, colDelimiter, rowDelimiter, quote (no escape
    character), commentStart, hasRowHeader (default true), hasColHeader, supportShortLines,
    limitRowsCount, skipFirstLinesCount, characterSetName, limitAnalysisCount (-1: none)."""
    tree = knime.tree
    _file(knime, tree.get("url"), "url")
    knime.take("column_delimiter", "colDelimiter")
    row = tree.get("rowDelimiter", "\n")
    if row not in _LINE_BREAKS:
        knime.put("row_delimiter", row, "rowDelimiter")
    else:
        knime.paths["rowDelimiter"] = "row_delimiter"
    quote = tree.get("quote", '"')
    knime.put("quote_char", quote or "", "quote")
    knime.put("quote_escape_char", "", "quote")  # addQuotePattern(quote, quote): no escape character
    comment = tree.get("commentStart", "#") or ""
    if len(comment) > 1:
        knime.lost(f"comment lines starting with {comment!r} (more than one character) are not supported")
    else:
        knime.put("comment_char", comment, "commentStart")
    knime.put("has_row_id", bool(tree.get("hasRowHeader", True)), "hasRowHeader")
    knime.put("has_column_header", bool(tree.get("hasColHeader", True)), "hasColHeader")
    knime.take("support_short_data_rows", "supportShortLines")
    limit = tree.get("limitRowsCount", -1)
    if isinstance(limit, int) and limit >= 0:
        knime.put("max_rows", limit, "limitRowsCount")
    skip = tree.get("skipFirstLinesCount", -1)
    if isinstance(skip, int) and skip > 0:
        knime.put("skip_lines", skip, "skipFirstLinesCount")
    if tree.get("characterSetName"):
        knime.take("charset", "characterSetName")
    else:
        knime.paths["characterSetName"] = "charset"
        knime.note("no character set stored: KNIME used the system's default, knitflow reads UTF-8")
    analysis = tree.get("limitAnalysisCount", -1)
    scanned = isinstance(analysis, int) and analysis >= 0
    knime.put("limit_data_rows_scanned", scanned, "limitAnalysisCount")
    if scanned:
        knime.put("max_data_rows_scanned", max(1, analysis), "limitAnalysisCount")
    knime.note(
        "KNIME's classic CSV Reader guessed the column types with its FileAnalyzer; knitflow "
        "guesses like the current CSV Reader (Integer, Long, Double, String)"
    )
    knime.unread("limitRowsCount", "skipFirstLinesCount")


# ------------------------------------------------------------------------------------ File Reader

# cell classes of the File Reader's column properties knitflow reads
_READER_TYPES = {"Integer", "Long", "Double", "String", "Boolean"}


def _configs(tree: Any, prefix: str) -> list[dict[str, Any]]:
    """`Delim0`, `Delim1`, ... of a tokenizer config, in index order."""
    if not isinstance(tree, dict):
        return []
    keyed = [(k, v) for k, v in tree.items() if k.startswith(prefix) and isinstance(v, dict)]
    return [v for _, v in sorted(keyed, key=lambda kv: int(kv[0][len(prefix) :] or 0))]


def _reader_rows(knime: KnimeSettings, tree: dict[str, Any]) -> None:
    """Header, RowIDs and empty lines."""
    knime.put("has_column_header", bool(tree.get("hasColHdr", True)), "hasColHdr")
    has_row = bool(tree.get("hasRowHdr", False))
    knime.put("has_row_id", has_row, "hasRowHdr")
    prefix = tree.get("rowPrefix")
    if prefix not in (None, "Row") and not has_row:
        knime.lost(f"RowIDs {prefix!r} + row number are not supported (knitflow: Row0, Row1, ...)")
    if tree.get("uniquifyRowID") and has_row:
        knime.lost("uniquifying duplicate RowIDs read from the file is not supported")
    if tree.get("ignoreEmptyLines") is False:
        knime.lost("KNIME reads empty lines as rows of missing values; knitflow skips them")


def _reader_delimiters(knime: KnimeSettings, tree: dict[str, Any]) -> None:
    """Row delimiters (line breaks only) and the one column delimiter."""
    row_delims = {v for k, v in (tree.get("RowDelims") or {}).items() if k.startswith("RDelim")}
    if row_delims - _LINE_BREAKS:
        knime.lost(
            f"row delimiters {sorted(row_delims - _LINE_BREAKS)!r} are not supported (only line breaks)"
        )
    delims = [d for d in _configs(tree.get("Delimiters"), "Delim") if d.get("pattern") not in row_delims]
    if len(delims) == 1:
        knime.put("column_delimiter", str(delims[0].get("pattern")), "Delimiters")
        if delims[0].get("combineMultiple") or tree.get("CombineMultDelims"):
            knime.lost("consecutive column delimiters combined into one are not supported")
        if delims[0].get("includeInToken"):
            knime.lost("a column delimiter kept in the values is not supported")
    else:
        knime.lost(f"{len(delims)} column delimiters: knitflow's reader splits at exactly one")


def _reader_quotes(knime: KnimeSettings, tree: dict[str, Any]) -> None:
    """One quote character, the same on both sides."""
    quotes = _configs(tree.get("Quotes"), "Quote")
    if quotes:
        q = quotes[0]
        left, right = str(q.get("left") or ""), str(q.get("right") or "")
        if left != right or len(left) != 1:
            knime.lost(
                f"the quote pattern {left}...{right} is not supported (one character, the same on both sides)"
            )
        knime.put("quote_char", left[:1], "Quotes")
        knime.put("quote_escape_char", str(q.get("EscChar") or ""), "Quotes")
        if q.get("DontRem"):
            knime.put("quote_option", "KEEP_QUOTES", "Quotes")
        if len(quotes) > 1:
            others = ", ".join(f"{o.get('left')}...{o.get('right')}" for o in quotes[1:])
            knime.lost(
                f"further quote patterns ({others}) are not supported: only {left}...{right} quotes values"
            )
    else:
        knime.put("quote_char", "", "Quotes")


def _reader_comments(knime: KnimeSettings, tree: dict[str, Any]) -> None:
    """Line comments that start with one character."""
    line_comments: list[str] = []
    for c in _configs(tree.get("Comments"), "Comment"):
        begin, end = str(c.get("begin") or ""), str(c.get("end") or "")
        if end == "\n" and len(begin) == 1 and not line_comments:
            line_comments.append(begin)
        else:
            knime.lost(
                f"comments {begin}...{end!r} are not supported (only lines starting with one character)"
            )
    knime.put("comment_char", line_comments[0] if line_comments else "", "Comments")


def _reader_format(knime: KnimeSettings, tree: dict[str, Any]) -> None:
    """Whitespace, skipped lines, line breaks in quotes, decimal separator, charset, row limit."""
    whites = {v for v in (tree.get("WhiteSpaces") or {}).values() if isinstance(v, str)}
    if not whites:
        knime.lost("KNIME keeps the blanks around values (no whitespace characters set); knitflow trims them")
    if tree.get("LineContChar") is not None:
        knime.lost("a line continuation character is not supported")
    skip = tree.get("SkipFirstLines", 0)
    if isinstance(skip, int) and skip > 0:
        knime.put("skip_lines", skip, "SkipFirstLines")
    if not tree.get("NewLineInQuotes", False):
        knime.note(
            "KNIME does not allow line breaks inside quotes here; knitflow reads them as part of the value"
        )
    decimal = tree.get("DecimalSeparator", ".")
    if decimal not in (None, "."):
        knime.put("decimal_separator", decimal, "DecimalSeparator")
    knime.take("support_short_data_rows", "acceptShortLines")
    if tree.get("ignEmtpyTokensAtEOR"):
        knime.lost("ignoring empty values at the end of a row is not supported")
    if tree.get("CharsetName"):
        knime.take("charset", "CharsetName")
    max_rows = tree.get("MaxNumOfRows", -1)
    if isinstance(max_rows, int) and max_rows >= 0:
        knime.put("max_rows", max_rows, "MaxNumOfRows")


def _reader_columns(knime: KnimeSettings, tree: dict[str, Any]) -> None:
    """ColumnProperties (name, type, missing value pattern, skipped) and MissingPatterns."""
    columns = []
    for i, prop in enumerate(
        _configs({f"c{k}": v for k, v in (tree.get("ColumnProperties") or {}).items()}, "c")
    ):
        name = prop.get("ColumnName")
        kind = column_type((prop.get("ColumnClass") or {}).get("cell_class"))
        if kind not in _READER_TYPES:
            knime.lost(f"column {name!r}: type {kind} cannot be read; read as String")
            kind = "String"
        if prop.get("MissValuePattern"):
            knime.lost(
                f"column {name!r}: the missing value pattern {prop['MissValuePattern']!r} is not supported"
            )
        entry: dict[str, Any] = {"name": name, "type": kind, "position": i}
        if prop.get("SkipThisColumn"):
            entry["keep"] = False
        columns.append(entry)
    if columns:
        knime.put("columns", columns, "ColumnProperties")
        knime.put("enforce_types", True, "ColumnProperties")
    if any(seq(list((tree.get("MissingPatterns") or {}).values()))):
        knime.lost("missing value patterns are not supported")


def file_reader_from_knime(knime: KnimeSettings) -> None:
    """`FileReaderNodeSettings`: DataURL, hasColHdr, hasRowHdr, rowPrefix, uniquifyRowID,
    ignoreEmptyLines, RowDelims, Delimiters, Quotes, Comments, WhiteSpaces, LineContChar,
    CombineMultDelims, SkipFirstLines, NewLineInQuotes, DecimalSeparator, acceptShortLines,
    CharsetName, MaxNumOfRows, MissingPatterns and the ColumnProperties (name, type, missing
    value pattern, skipped)."""
    tree = knime.tree
    _file(knime, tree.get("DataURL"), "DataURL")
    for translate in (
        _reader_rows,
        _reader_delimiters,
        _reader_quotes,
        _reader_comments,
        _reader_format,
        _reader_columns,
    ):
        translate(knime, tree)
    knime.note(
        "KNIME's File Reader names the columns as stored; knitflow matches them with the file's header"
    )
    knime.unread(
        # read above, at their defaults (nothing to write)
        "SkipFirstLines",
        "DecimalSeparator",
        "CharsetName",
        "MaxNumOfRows",
        "Comments",
        "Quotes",
        "Delimiters",
        # the table's name, dialog state, the number of columns the properties already give, timeouts
        "TableName",
        "PreserveSettings",
        "delimsAtEOLuserVal",
        "numOfColumns",
        "MissingPatterns",
        "RowDelims",
        "WhiteSpaces",
        "LineContChar",
        "CombineMultDelims",
        "NewLineInQuotes",
        "ignEmtpyTokensAtEOR",
        "rowPrefix",
        "uniquifyRowID",
        "ignoreEmptyLines",
        "ConnectTimeoutInSeconds",
    )
