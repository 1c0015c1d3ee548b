"""Cell Splitter: a string column split at a delimiter into columns, a list or a set (collection
cells are tuples in object columns, see nodes/collection_columns.py), with KNIME's type guessing."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
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
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
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


# ------------------------------------------------------------------------------------- Regex Split
#
# KNIME compiles the pattern with java.util.regex; knitflow translates it into Python's `re` where
# both match the same strings, and refuses (naming `pattern`) what `re` cannot match as Java does.


class JavaPatternError(Exception):
    """A pattern Java rejects, or one whose Java meaning Python's `re` cannot reproduce."""


_TERMINATORS = "\\n\\r\\u0085\\u2028\\u2029"  # Java's line terminators (UNIX_LINES: only \n)
_POSIX_CLASSES = {  # java.util.regex's US-ASCII POSIX classes, as set bodies
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7f",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "Graph": "\\x21-\\x7e",
    "Print": "\\x20-\\x7e",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1f\\x7f",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0b\\f\\r",
}
_SIMPLE_ESCAPES = {"t": "\\t", "n": "\\n", "r": "\\r", "f": "\\f", "a": "\\x07", "e": "\\x1b"}
_ASCII_SHORTHANDS = {"d": "0-9", "s": " \\t\\n\\x0b\\f\\r"}  # \w is left out: see _shorthand
_INLINE_FLAGS = re.compile(r"\(\?([idmsuxU]*)(?:-([idmsuxU]*))?\)")
_QUANTIFIER = re.compile(r"\{\d+(?:,\d*)?\}")


@dataclass
class JavaFlags:
    """Pattern.compile's flags as the node sets them (comments and literal are refused by KNIME)."""

    case_insensitive: bool = False
    unix_lines: bool = False
    multiline: bool = False
    dotall: bool = False
    unicode_case: bool = False
    unicode_class: bool = False

    @property
    def ascii(self) -> bool:
        """Java's shorthands, POSIX classes and \\b are US-ASCII and its case folding too unless
        UNICODE_CASE is on for a case-insensitive match: Python's re.ASCII is exactly that."""
        return not self.unicode_class and not (self.unicode_case and self.case_insensitive)


class _JavaRegex:
    """One pass over a Java pattern, writing the Python pattern that matches the same strings."""

    def __init__(self, pattern: str, flags: JavaFlags) -> None:
        self.src = pattern
        self.flags = flags
        self.pos = 0
        self.out: list[str] = []

    def translate(self) -> re.Pattern[str]:
        self._leading_flags()
        while self.pos < len(self.src):
            self._atom()
        py_flags = re.ASCII if self.flags.ascii else 0
        if self.flags.case_insensitive:
            py_flags |= re.IGNORECASE
        try:
            return re.compile("".join(self.out), py_flags)
        except re.error as exc:
            raise JavaPatternError(str(exc)) from None

    def _refuse(self, construct: str) -> JavaPatternError:
        return JavaPatternError(
            f"{construct} (at index {self.pos}) cannot be matched as Java does by knitflow's regular expressions"
        )

    def _leading_flags(self) -> None:
        """`(?i)` and the like at the very start set flags for the whole pattern; elsewhere they are refused."""
        m = _INLINE_FLAGS.match(self.src)
        if m is None:
            return
        names = {"i": "case_insensitive", "d": "unix_lines", "m": "multiline", "s": "dotall"}
        names.update(u="unicode_case", U="unicode_class")
        for letters, value in ((m[1] or "", True), (m[2] or "", False)):
            for letter in letters:
                if letter == "x":
                    raise self._refuse("the inline flag x (comments)")
                setattr(self.flags, names[letter], value)
        if self.flags.unicode_class:
            self.flags.unicode_case = True
        self.pos = m.end()

    def _atom(self) -> None:
        ch = self.src[self.pos]
        if ch == "\\":
            self.out.append(self._escape(in_class=False))
        elif ch == "[":
            self._char_class()
        elif ch == "(":
            self._group()
        elif ch == "{":
            m = _QUANTIFIER.match(self.src, self.pos)
            if m is None:
                raise JavaPatternError(f"Illegal repetition near index {self.pos}")
            self.out.append(m[0])
            self.pos = m.end()
        elif ch in ".^$":
            self.out.append(self._anchor_or_dot(ch))
            self.pos += 1
        else:
            self.out.append(ch)
            self.pos += 1

    def _anchor_or_dot(self, ch: str) -> str:
        f = self.flags
        if ch == ".":
            if f.dotall:
                return "(?s:.)"
            return "[^\\n]" if f.unix_lines else f"[^{_TERMINATORS}]"
        if ch == "^":
            if not f.multiline:
                return "\\A"
            after = "(?<=\\n)" if f.unix_lines else f"(?<=[{_TERMINATORS}])(?!(?<=\\r)\\n)"
            return f"(?:\\A|{after})(?=[\\s\\S])"  # Java's ^ never matches at the end of the input
        return self._dollar(multiline=f.multiline)

    def _dollar(self, *, multiline: bool) -> str:
        """Java's $ (and \\Z, a $ that ignores MULTILINE): before a final line terminator or at
        the end; in MULTILINE mode before any terminator, never between \\r and \\n."""
        if self.flags.unix_lines:
            return "(?=\\n|\\Z)" if multiline else "(?=\\n?\\Z)"
        if multiline:
            return "(?=[\\r\\u0085\\u2028\\u2029]|(?<!\\r)\\n|\\Z)"
        return "(?=\\r\\n\\Z|(?<!\\r)\\n\\Z|[\\r\\u0085\\u2028\\u2029]\\Z|\\Z)"

    def _group(self) -> None:
        rest = self.src[self.pos :]
        for plain in ("(?:", "(?=", "(?!", "(?>", "(?<=", "(?<!"):
            if rest.startswith(plain):
                self.out.append(plain)
                self.pos += len(plain)
                return
        if rest.startswith("(?<"):
            m = re.match(r"\(\?<([a-zA-Z][a-zA-Z0-9]*)>", rest)
            if m is None:
                raise JavaPatternError(
                    f"named capturing group is missing trailing '>' or has a bad name near index {self.pos}"
                )
            self.out.append(f"(?P<{m[1]}>")
            self.pos += m.end()
            return
        if rest.startswith("(?"):
            raise self._refuse("an inline flag group")
        self.out.append("(")
        self.pos += 1

    def _escape(self, *, in_class: bool) -> str:
        """The Python text for the escape at `pos` (a set body inside a character class)."""
        if self.pos + 1 >= len(self.src):
            raise JavaPatternError(f"Unexpected internal error near index {self.pos}")
        ch = self.src[self.pos + 1]
        self.pos += 2
        if ch in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[ch]
        if ch in "dDsSwW":
            return self._shorthand(ch, in_class)
        if ch in "pP":
            return self._posix(ch, in_class)
        if ch == "Q":
            return self._quoted(in_class)
        if ch in "0xu":
            return re.escape(chr(self._code_point(ch)))
        if not in_class:
            anchor = self._anchor_escape(ch)
            if anchor is not None:
                return anchor
        if ch.isascii() and ch.isalnum():
            raise self._refuse(f"the escape \\{ch}")
        return re.escape(ch)

    def _anchor_escape(self, ch: str) -> str | None:
        if ch == "A":
            return "\\A"
        if ch == "z":
            return "\\Z"
        if ch == "Z":
            return self._dollar(multiline=False)
        if ch in "bB":
            if not self.flags.ascii:
                raise self._refuse(f"\\{ch} with Unicode case folding or Unicode character classes")
            return f"\\{ch}"
        if ch.isdigit() and ch != "0":
            if self.pos < len(self.src) and self.src[self.pos].isdigit():
                raise self._refuse("a back reference followed by a digit")
            return f"\\{ch}"
        if ch == "k":
            m = re.match(r"<([a-zA-Z][a-zA-Z0-9]*)>", self.src[self.pos :])
            if m is None:
                raise JavaPatternError(
                    f"\\k is not followed by '<' for named capturing group near index {self.pos}"
                )
            self.pos += m.end()
            return f"(?P={m[1]})"
        return None

    def _shorthand(self, ch: str, in_class: bool) -> str:
        """\\d \\s \\w: US-ASCII in Java unless UNICODE_CHARACTER_CLASS (then Python's Unicode
        \\d is Java's; its \\s and \\w are not)."""
        f = self.flags
        if f.ascii or (f.unicode_class and ch in "dD"):
            return f"\\{ch}"
        if f.unicode_class or ch in "wW":
            raise self._refuse(f"\\{ch} with Unicode case folding or Unicode character classes")
        body = _ASCII_SHORTHANDS[ch.lower()]
        if in_class:
            if ch.isupper():
                raise self._refuse(f"\\{ch} inside a character class with Unicode case folding")
            return body
        return f"[^{body}]" if ch.isupper() else f"[{body}]"

    def _posix(self, ch: str, in_class: bool) -> str:
        m = re.match(r"\{(\w+)\}", self.src[self.pos :])
        name = m[1] if m else ""
        body = _POSIX_CLASSES.get(name)
        if body is None or not self.flags.ascii:
            raise self._refuse(f"the class \\{ch}{{{name}}}" if m else f"\\{ch}")
        if self.flags.case_insensitive and name in ("Lower", "Upper"):
            raise self._refuse(f"\\{ch}{{{name}}} in a case-insensitive pattern")
        assert m is not None
        self.pos += m.end()
        if in_class:
            if ch == "P":
                raise self._refuse(f"\\P{{{name}}} inside a character class")
            return body
        return f"[^{body}]" if ch == "P" else f"[{body}]"

    def _quoted(self, in_class: bool) -> str:
        end = self.src.find("\\E", self.pos)
        text = self.src[self.pos :] if end < 0 else self.src[self.pos : end]
        self.pos = len(self.src) if end < 0 else end + 2
        if in_class:
            return "".join(re.escape(c) if c in "\\]^-[" else c for c in text)
        return re.escape(text)

    def _code_point(self, kind: str) -> int:
        """\\0 octal (one to three digits), \\xhh, \\x{h...h}, \\uhhhh (pos after the letter)."""
        src = self.src
        if kind == "0":
            m = re.match(r"[0-3][0-7]{2}|[0-7]{1,2}", src[self.pos :])
            if m is None:
                raise JavaPatternError(f"Illegal octal escape sequence near index {self.pos}")
        elif kind == "x":
            m = re.match(r"\{([0-9a-fA-F]+)\}|[0-9a-fA-F]{2}", src[self.pos :])
            if m is None:
                raise JavaPatternError(f"Illegal hexadecimal escape sequence near index {self.pos}")
        else:
            m = re.match(r"[0-9a-fA-F]{4}", src[self.pos :])
            if m is None:
                raise JavaPatternError(f"Illegal Unicode escape sequence near index {self.pos}")
        self.pos += m.end()
        digits = m[1] if kind == "x" and m[1] else m[0]
        value = int(digits, 8 if kind == "0" else 16)
        if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
            raise self._refuse("a surrogate or out-of-range code point")
        return value

    def _char_class(self) -> None:
        """`[...]`: Java's unions (a nested `[`) and intersections (`&&`) are refused."""
        self.pos += 1
        parts = ["["]
        if self.src.startswith("^", self.pos):
            parts.append("^")
            self.pos += 1
        if self.src.startswith("]", self.pos):
            raise self._refuse("a ']' right after '['")
        while True:
            if self.pos >= len(self.src):
                raise JavaPatternError(f"Unclosed character class near index {self.pos - 1}")
            ch = self.src[self.pos]
            if ch == "]":
                self.pos += 1
                break
            if ch == "[" or self.src.startswith("&&", self.pos):
                raise self._refuse("a nested character class or an intersection (&&)")
            if ch == "\\":
                if self.src.startswith("\\b", self.pos):
                    raise self._refuse("\\b inside a character class")
                parts.append(self._escape(in_class=True))
                continue
            parts.append(re.escape(ch) if ch in "|&~" else ch)
            self.pos += 1
        self.out.append("".join(parts) + "]")


def java_pattern(pattern: str, flags: JavaFlags) -> re.Pattern[str]:
    """Python's version of `Pattern.compile(pattern, flags)`; JavaPatternError when Java rejects
    the pattern or knitflow cannot match it exactly as Java would."""
    return _JavaRegex(pattern, flags).translate()


class RegexSplitSettings(NodeSettings):
    """KNIME's RegexSplitNodeSettings (String Splitter (Regex), formerly Regex Split); the keys of
    its `output` config sit at the top level here."""

    column: str | None = Field(
        None, description="The String column whose values are split.", json_schema_extra=widget("column")
    )
    pattern: str = Field(
        "(.*)",
        description="Java regular expression; each capture group, (...) or (?<name>...), gives one output value.",
    )
    isCaseInsensitive: bool = Field(
        False, description="Match regardless of case (US-ASCII unless isUniCodeCase)."
    )
    requireWholeMatch: bool = Field(
        True, description="The pattern must match the whole string (else its first match inside it is used)."
    )
    noMatchBehaviour: Literal["INSERT_MISSING", "INSERT_EMPTY", "FAIL"] = Field(
        "INSERT_MISSING",
        description="For a missing or non-matching string: missing cells, empty strings, or fail (a warning "
        "otherwise).",
    )
    isUnixLines: bool = Field(False, description="Only \\n ends a line for ., ^ and $.")
    isMultiLine: bool = Field(False, description="^ and $ match at every line start and end.")
    isDotAll: bool = Field(False, description=". also matches line terminators.")
    isUniCodeCase: bool = Field(
        False, description="Case-insensitive matching follows Unicode, not only US-ASCII."
    )
    isCanonEQ: bool = Field(False, description="Canonical equivalence (not supported by knitflow: refused).")
    isUnicodeCharacterClass: bool = Field(
        False, description="\\d, \\w, \\s and the POSIX classes follow Unicode instead of US-ASCII."
    )
    decrementGroupIndexByOne: bool = Field(
        False,
        description="Number unnamed groups from 0, as nodes made before KNIME 5.3 did (split_0, split_1...).",
    )
    mode: Literal["COLUMNS", "ROWS", "LIST", "SET"] = Field(
        "COLUMNS",
        description="One new column per group, one row per group, or all groups in a List or Set column.",
    )
    columnPrefixMode: Literal["INPUT_COL_NAME", "CUSTOM", "NONE"] = Field(
        "INPUT_COL_NAME",
        description="COLUMNS: prefix of the new column names: the input column's name and a space, "
        "columnPrefix, or none.",
    )
    columnPrefix: str = Field("Split ", description="COLUMNS with a CUSTOM prefix: the prefix.")
    removeInputColumn: bool = Field(False, description="COLUMNS: drop the split column.")
    singleOutputColumnMode: Literal["APPEND", "REPLACE"] = Field(
        "APPEND",
        description="ROWS, LIST, SET: append the result column or put it in the input column's place.",
    )
    columnName: str = Field("Split", description="ROWS, LIST, SET: name of the appended column.")
    groupLabels: Literal["CAPTURE_GROUP_NAMES", "SPLIT_INPUT_COL_NAME"] = Field(
        "CAPTURE_GROUP_NAMES",
        description="Labels of the groups (column-name suffixes, RowID suffixes, element names): the group names "
        "or numbers, or the groups the pattern captures from the input column's name.",
    )
    doNotAllowEmptyBlankOrPaddedColumnName: bool = Field(
        True,
        description="Refuse an empty, blank or padded columnName (KNIME 5.5 on; older nodes did not check).",
    )
    isLiteral: bool = Field(False, description="Deprecated: KNIME refuses the node when it is set.")
    isComments: bool = Field(False, description="Deprecated: KNIME refuses the node when it is set.")


_OUTPUT_KEYS = ["mode", "columnPrefixMode", "columnPrefix", "removeInputColumn", "singleOutputColumnMode"] + [
    "columnName",
    "groupLabels",
]


def _regex_split_from_knime(knime: KnimeSettings) -> None:
    """The 5.3+ layout (an `output` config; noMatchBehaviour moved out of it in 5.5) and the
    legacy Regex Split's keys, which KNIME loads as groups numbered from 0 named `split_<i>`."""
    tree = knime.tree
    knime.take_all(["column", "pattern", "isCaseInsensitive", "requireWholeMatch", "noMatchBehaviour"])
    knime.take_all(["isUnixLines", "isMultiLine", "isDotAll", "isUniCodeCase", "isCanonEQ"])
    knime.take_all(["isUnicodeCharacterClass", "decrementGroupIndexByOne", "isLiteral", "isComments"])
    knime.take("doNotAllowEmptyBlankOrPaddedColumnName", default=False)
    if "decrementGroupIndexByOne" not in tree:
        knime.put("decrementGroupIndexByOne", True)
    if isinstance(tree.get("output"), dict):
        for key in [*_OUTPUT_KEYS, "noMatchBehaviour"]:
            knime.take(key, f"output.{key}")
        knime.unread(under="output")
    else:
        knime.put("columnPrefixMode", "CUSTOM")
        knime.put("columnPrefix", "split_")
    if tree.get("isCanonEQ"):
        knime.lost(
            "isCanonEQ = true (canonical equivalence) cannot be matched by knitflow's regular expressions"
        )
    knime.unread()


def _split_regex(s: RegexSplitSettings, cls: type[NodeError]) -> re.Pattern[str]:
    """RegexSplitter.fromSettings."""
    for flag in ("isComments", "isLiteral"):
        if getattr(s, flag):
            raise cls(
                f"The flag `{flag}` is set for this node, but it is not supported by this node. The flag is most "
                "likely set by a flow variable. Disable it to use this node.",
                setting=flag,
            )
    if s.isCanonEQ:
        raise cls("canonical equivalence (isCanonEQ) is not supported by knitflow", setting="isCanonEQ")
    flags = JavaFlags(
        case_insensitive=s.isCaseInsensitive,
        unix_lines=s.isUnixLines,
        multiline=s.isMultiLine,
        dotall=s.isDotAll,
        unicode_case=s.isUniCodeCase or s.isUnicodeCharacterClass,
        unicode_class=s.isUnicodeCharacterClass,
    )
    try:
        return java_pattern(s.pattern, flags)
    except JavaPatternError as exc:
        raise cls(f"Invalid Pattern: {s.pattern}: {exc}", setting="pattern") from None


def _captures(regex: re.Pattern[str], text: str, whole: bool) -> list[str | None] | None:
    """The groups of the (whole or first) match, None for a group that took no part; None: no match."""
    m = regex.fullmatch(text) if whole else regex.search(text)
    return None if m is None else list(m.groups())


def _group_labels(s: RegexSplitSettings, regex: re.Pattern[str], cls: type[NodeError]) -> list[str]:
    """RegexSplitNodeModel.getOutputGroupLabels: names (numbers for unnamed groups), or the groups
    captured from the input column's name (all present, non-blank and distinct)."""
    if s.groupLabels == "CAPTURE_GROUP_NAMES":
        names = {index: name for name, index in regex.groupindex.items()}
        offset = 1 if s.decrementGroupIndexByOne else 0
        return [names.get(i, str(i - offset)) for i in range(1, regex.groups + 1)]
    found = _captures(regex, s.column or "", s.requireWholeMatch)
    if found is None:
        raise cls(
            "The pattern does not match the input column name, but the node is configured to split the input "
            "column name to get the suffixes.",
            setting="groupLabels",
        )
    if any(label is None or not label.strip() for label in found):
        raise cls(
            "When matching the pattern to the input column name, one or more (optional) capture groups were not "
            "present or blank.",
            setting="groupLabels",
        )
    labels = [str(label) for label in found]
    if len(set(labels)) != len(labels):
        raise cls(
            "When matching the pattern to the input column name, two or more (optional) capture groups contained "
            "the same string. Please ensure that splitting the input column name produces unique identifiers.",
            setting="groupLabels",
        )
    return labels


def _check_column_name(name: str, cls: type[NodeError]) -> None:
    """ColumnNameValidationUtils.validateColumnName for the appended column (5.5 on)."""
    problem = None
    if not name:
        problem = "must not be empty."
    elif not name.strip():
        problem = "must not be blank."
    elif name != name.strip():
        problem = "must start and end with a non-whitespace character."
    if problem:
        raise cls(f"The output column name {problem}", setting="columnName")


@dataclass
class _RegexSplitPlan:
    regex: re.Pattern[str]
    labels: list[str]
    spec: TableSpec
    new_names: list[str]  # COLUMNS: the new columns; else the one result column


def _regex_split_plan(spec: TableSpec, s: RegexSplitSettings, cls: type[NodeError]) -> _RegexSplitPlan:
    if s.column is None:
        raise cls("No input column selected.", setting="column")
    if s.column not in spec:
        raise cls(f"No such column in input table: {s.column}", setting="column")
    if spec.type_of(s.column) not in (ColumnType.STRING, ColumnType.SMILES):
        raise cls("Selected column does not contain strings", setting="column")
    regex = _split_regex(s, cls)
    if (
        s.doNotAllowEmptyBlankOrPaddedColumnName
        and s.mode != "COLUMNS"
        and s.singleOutputColumnMode == "APPEND"
    ):
        _check_column_name(s.columnName, cls)
    labels = _group_labels(s, regex, cls)
    if s.mode == "COLUMNS":
        kept = spec.names if not s.removeInputColumn else [n for n in spec.names if n != s.column]
        base = TableSpec.of((n, spec.type_of(n)) for n in kept)
        prefix = {"NONE": "", "INPUT_COL_NAME": f"{s.column} ", "CUSTOM": s.columnPrefix}[s.columnPrefixMode]
        names = [unique_column_name(kept, prefix + label) for label in labels]
        return _RegexSplitPlan(regex, labels, base.append(*[(n, ColumnType.STRING) for n in names]), names)
    cell_type = {"ROWS": ColumnType.STRING, "LIST": ColumnType.list_of(ColumnType.STRING)}.get(
        s.mode, ColumnType.set_of(ColumnType.STRING)
    )
    if s.singleOutputColumnMode == "REPLACE":
        return _RegexSplitPlan(regex, labels, spec.replace(s.column, cell_type), [s.column])
    name = unique_column_name(spec.names, s.columnName)
    return _RegexSplitPlan(regex, labels, spec.append((name, cell_type)), [name])


class RegexSplit(Node):
    type_name = "regex_split"
    display_name = "String Splitter (Regex)"
    category = Category.MANIPULATOR
    description = (
        "Splits a String column with a Java regular expression: each capture group gives one value, as new "
        "String columns (`<prefix><group name or number>`), as one row per group (RowID `<RowID>_<label>`) or "
        "as one List or Set column. A missing or non-matching string gives missing cells (or empty strings, or "
        "fails) with a warning. Java constructs Python cannot match identically are refused."
    )
    keywords = ("regex", "split", "capture group", "extract", "parse", "pattern", "regular expression")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.regexsplit.RegexSplitNodeFactory",
            "String Splitter (Regex)",
            _regex_split_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Split table"),)
    Settings = RegexSplitSettings

    def configure(self, in_specs: list[Any], settings: RegexSplitSettings, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        return [_regex_split_plan(spec, settings, ConfigureError).spec]

    def execute(self, inputs: list[Any], settings: RegexSplitSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        s = settings
        plan = _regex_split_plan(table.spec, s, NodeError)
        n_groups = plan.regex.groups
        replacement = {"INSERT_MISSING": None, "INSERT_EMPTY": ""}
        rows: list[list[str | None]] = []
        unmatched = False
        for k, value in enumerate(table.df[s.column].to_numpy(dtype=object)):
            if k % 10000 == 0:
                ctx.check_cancelled()
            found = None if is_missing(value) else _captures(plan.regex, str(value), s.requireWholeMatch)
            if found is None:
                if s.noMatchBehaviour == "FAIL":
                    raise NodeError(
                        f"Input string did not match the pattern. Aborting execution. (row {table.row_ids[k]!r}: "
                        "the node is configured to fail if an input string does not match the pattern)",
                        setting="noMatchBehaviour",
                    )
                unmatched = True
                found = [replacement[s.noMatchBehaviour]] * n_groups
            rows.append(found)
        if unmatched:
            ctx.warn("Some input string(s) were missing or did not match the pattern.")
        return [_regex_split_table(table, s, plan, rows)]


def _regex_split_table(
    table: Table, s: RegexSplitSettings, plan: _RegexSplitPlan, rows: list[list[str | None]]
) -> Table:
    types = {c.name: c.type for c in plan.spec.columns}
    if s.mode == "ROWS":
        n = len(plan.labels)
        positions = [k for k in range(len(rows)) for _ in range(n)]
        df = table.df.iloc[positions].copy()
        df[plan.new_names[0]] = np.array([v for r in rows for v in r], dtype=object)  # the index repeats
        df.index = pd.Index(
            [f"{rid}_{label}" for rid in table.row_ids for label in plan.labels], dtype=object
        )
        return Table(df[plan.spec.names], types)
    df = table.df.copy()
    if s.mode == "COLUMNS":
        for i, name in enumerate(plan.new_names):
            df[name] = pd.Series([r[i] for r in rows], index=df.index, dtype=object)
    else:
        cells = [tuple(r) if s.mode == "LIST" else tuple(dict.fromkeys(r)) for r in rows]
        df[plan.new_names[0]] = pd.Series(cells, index=df.index, dtype=object)
    return Table(df[plan.spec.names], types)
