"""What KNIME's three expression languages share: value kinds, located errors, the Ast, value
vectors and the rows an expression is evaluated over.

The languages themselves live in `nodes._expression_grammar`, `_expression_language` and
`_expression_functions` (the KNIME Expression language), `nodes._rule_language` (the Rule
Engine's) and `nodes._jep_language` (Math Formula's JEP).

Evaluation is column-at-a-time: every sub-expression becomes a `Vec` (a numpy array of values plus
a missing mask) for all rows at once. The same evaluators run at configure time over zero rows built
from the input spec, so output column types and type errors are known before any data flows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypedDict

import numpy as np
import pandas as pd
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from engine.api import ColumnType, Table, TableSpec
from nodes._common import wildcard_regex  # noqa: F401 (part of this module's API)

# value kinds of the evaluators (the KNIME Expression language's type names)
INTEGER = "INTEGER"
FLOAT = "FLOAT"
STRING = "STRING"
BOOLEAN = "BOOLEAN"
MISSING = "MISSING"  # the type of the MISSING literal: every value missing
NUMERIC_KINDS = frozenset({INTEGER, FLOAT})

_KIND_OF_TYPE = {
    ColumnType.INTEGER: INTEGER,
    ColumnType.LONG: INTEGER,
    ColumnType.DOUBLE: FLOAT,
    ColumnType.STRING: STRING,
    ColumnType.SMILES: STRING,
    ColumnType.BOOLEAN: BOOLEAN,
}


# ------------------------------------------------------------------------------------------- errors


class ExpressionError(Exception):
    """A syntax, reference or type error, located in the expression's text (1-based line/column)."""

    def __init__(
        self,
        reason: str,
        text: str = "",
        line: int | None = None,
        column: int | None = None,
        *,
        column_name: str | None = None,
        variable_name: str | None = None,
    ) -> None:
        self.reason = reason
        self.text = text
        self.line = line
        self.column = column
        self.column_name = column_name  # set when a referenced column does not exist
        self.variable_name = variable_name  # set when a referenced flow variable does not exist
        super().__init__(self.render())

    def render(self) -> str:
        if not self.text:
            return self.reason
        shown = self.text.replace("\n", "\\n")
        if self.line is None or self.column is None:
            return f"{self.reason} in expression `{shown}`"
        lines = self.text.splitlines() or [""]
        src = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        caret = " " * max(self.column - 1, 0) + "^"
        return (
            f"{self.reason} at line {self.line}, column {self.column} of expression `{shown}`\n"
            f"    {src}\n    {caret}"
        )


class ColumnTypeError(TypeError):
    """A column whose type expressions cannot read (e.g. a bit vector)."""


class UnknownAtConfigure(Exception):
    """A flow variable whose value (and so type) is only known at execution time."""


def _end_position(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


_FRIENDLY = {
    "INTEGER": "a number",
    "FLOAT": "a number",
    "NUMBER": "a number",
    "STRING": "a string",
    "COLUMN": "a column reference",
    "FLOW_VAR": "a flow variable",
    "FLOWVAR": "a flow variable",
    "NAME": "a function or constant name",
    "ROWVAR": "$$ROWINDEX$$/$$ROWCOUNT$$",
    "SPECIAL": "$$ROWID$$/$$ROWINDEX$$/$$ROWCOUNT$$",
    "ROW_INDEX": "$[ROW_INDEX]",
    "ROW_NUMBER": "$[ROW_NUMBER]",
    "ROW_ID": "$[ROW_ID]",
    "CMP": "a comparison operator",
    "TRUE": "TRUE",
    "FALSE": "FALSE",
    "MISSING": "MISSING",
    "_ARROW": "'=>'",
    "$END": "the end of the expression",
}


def _describe_expected(parser: Lark, names: set[str] | frozenset[str] | None, keywords_upper: bool) -> str:
    if not names:
        return ""
    shown: list[str] = []
    for name in sorted(names):
        text = _FRIENDLY.get(name)
        if text is None and name.startswith("_") and name[1:].isalpha():
            text = name[1:] if keywords_upper else name[1:].lower()  # AND/OR/NOT...
        if text is None:
            try:
                pattern = parser.get_terminal(name).pattern
                text = repr(pattern.value) if pattern.type == "str" else name.lower()
            except KeyError:
                text = name.lower()
        if text not in shown:
            shown.append(text)
    if len(shown) > 8:
        shown = shown[:8] + ["..."]
    return "; expected " + ", ".join(shown)


def _syntax_error(parser: Lark, exc: UnexpectedInput, text: str, language: str) -> ExpressionError:
    upper = language == "rule"
    line, column = getattr(exc, "line", -1), getattr(exc, "column", -1)
    if isinstance(exc, UnexpectedCharacters):
        what = f"unexpected character {text[exc.pos_in_stream or 0]!r}"
        expected = _describe_expected(parser, exc.allowed, upper)
    elif isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            what = "unexpected end of expression"
            line, column = _end_position(text)
        else:
            what = f"unexpected {token.value!r}"
        expected = _describe_expected(parser, exc.expected, upper)
    elif isinstance(exc, UnexpectedEOF):
        what = "unexpected end of expression"
        line, column = _end_position(text)
        expected = _describe_expected(parser, set(exc.expected or []), upper)
    else:  # pragma: no cover - lark has no other kinds
        what, expected = str(exc), ""
    if line is None or line < 1:
        line, column = _end_position(text)
    return ExpressionError(f"{language} syntax error: {what}{expected}", text, line, column)


# --------------------------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Ast:
    """One node of a parsed expression; `line`/`column` locate it for error messages."""

    op: str
    args: tuple[Any, ...] = ()
    value: Any = None
    line: int = 0
    column: int = 0
    kwargs: tuple[tuple[str, Any], ...] = ()


class Position(TypedDict):
    """Where an Ast node starts (`Ast(..., **position)`)."""

    line: int
    column: int


def meta_position(meta: Any) -> Position:
    return {"line": getattr(meta, "line", 0) or 0, "column": getattr(meta, "column", 0) or 0}


def token_position(tok: Token) -> Position:
    return {"line": tok.line or 0, "column": tok.column or 0}


def parse_text(parser: Lark, builder: Transformer, text: str, language: str) -> Ast:
    try:
        tree = parser.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(parser, exc, text, language) from None
    try:
        return builder.transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, ExpressionError):
            err = exc.orig_exc
            raise ExpressionError(err.reason, text, err.line, err.column) from None
        raise


# ------------------------------------------------------------------------------------- value vectors


@dataclass
class Vec:
    """The values of one sub-expression for every row. Missing slots hold a filler of the right
    type (0, 0.0, "" or False) so that numpy operations never meet None."""

    kind: str
    values: np.ndarray
    missing: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


def filler(kind: str) -> Any:
    return {INTEGER: 0, FLOAT: 0.0, STRING: "", BOOLEAN: False}.get(kind, None)


def numpy_dtype(kind: str) -> Any:
    return {INTEGER: np.int64, FLOAT: np.float64, BOOLEAN: np.bool_}.get(kind, object)


def const_vec(kind: str, value: Any, n: int) -> Vec:
    if kind == MISSING or value is None:
        k = MISSING if kind == MISSING else kind
        return Vec(k, np.full(n, filler(kind), dtype=numpy_dtype(kind)), np.ones(n, dtype=bool))
    return Vec(kind, np.full(n, value, dtype=numpy_dtype(kind)), np.zeros(n, dtype=bool))


def empty_vec(kind: str, n: int = 0) -> Vec:
    return Vec(
        kind,
        np.full(n, filler(kind), dtype=numpy_dtype(kind)),
        np.ones(n, dtype=bool) if kind == MISSING else np.zeros(n, dtype=bool),
    )


def kind_of_type(col_type: str) -> str | None:
    return _KIND_OF_TYPE.get(col_type)


def column_vec(series: pd.Series, col_type: str) -> Vec:
    """A table column as a Vec; a NaN in a Double column counts as missing (pandas cannot tell them apart)."""
    kind = kind_of_type(col_type)
    if kind is None:
        raise ColumnTypeError(f"column type {col_type} is not supported in expressions")
    missing = series.isna().to_numpy(dtype=bool)
    n = len(series)
    if kind == INTEGER:
        num = pd.to_numeric(series, errors="coerce")
        if pd.api.types.is_integer_dtype(num.dtype):
            values = num.to_numpy(dtype=np.int64, na_value=0)
        else:
            values = num.to_numpy(dtype=np.float64, na_value=0.0).astype(np.int64)
    elif kind == FLOAT:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        values = np.where(missing, 0.0, values)
    elif kind == STRING:
        values = series.to_numpy(dtype=object).copy()
        values[missing] = ""
        values[~missing] = values[~missing].astype(str)  # SMILES and other string-like cells as text
    else:
        raw = series.to_numpy(dtype=object)
        values = np.zeros(n, dtype=bool)
        values[~missing] = raw[~missing].astype(bool)
    return Vec(kind, values, missing)


def vec_to_series(vec: Vec, index: pd.Index, col_type: str) -> pd.Series:
    """A Vec as a pandas column of the given KNIME type (nullable dtypes when values are missing)."""
    miss = vec.missing
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        ints = vec.values.astype(np.int64)
        if miss.any():
            return pd.Series(pd.arrays.IntegerArray(ints, miss.copy()), index=index)
        return pd.Series(ints, index=index)
    if col_type == ColumnType.DOUBLE:
        doubles = vec.values.astype(np.float64).copy()
        doubles[miss] = np.nan
        return pd.Series(doubles, index=index)
    if col_type == ColumnType.BOOLEAN:
        bools = vec.values.astype(bool)
        if miss.any():
            return pd.Series(pd.arrays.BooleanArray(bools, miss.copy()), index=index)
        return pd.Series(bools, index=index)
    texts: np.ndarray = to_text(vec).values.copy()
    texts[miss] = None
    return pd.Series(texts, index=index, dtype=object)


def java_double_text(value: float) -> str:
    """Java's `Double.toString`, the text KNIME gives a double when it needs a string."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign, digits, exponent = Decimal(repr(float(value))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    exponent += len(digits) - len(text)
    e10 = len(text) + exponent - 1
    prefix = "-" if sign else ""
    if 1e-3 <= abs(value) < 1e7:
        if e10 >= 0:
            whole = text[: e10 + 1].ljust(e10 + 1, "0")
            frac = text[e10 + 1 :] or "0"
        else:
            whole, frac = "0", "0" * (-e10 - 1) + text
        return f"{prefix}{whole}.{frac}"
    return f"{prefix}{text[0]}.{text[1:] or '0'}E{e10}"


_java_double_ufunc = np.frompyfunc(java_double_text, 1, 1)


def to_text(vec: Vec) -> Vec:
    """Values as KNIME renders them in a string context (`1`, `1.5`, `1.0E10`, `true`)."""
    if vec.kind == STRING:
        return vec
    n = len(vec)
    vals: np.ndarray
    if vec.kind == INTEGER:
        vals = vec.values.astype(str).astype(object)
    elif vec.kind == FLOAT:
        doubles = _java_double_ufunc(vec.values.astype(np.float64)) if n else np.zeros(0, dtype=object)
        vals = np.asarray(doubles, dtype=object)
    elif vec.kind == BOOLEAN:
        vals = np.where(vec.values, "true", "false").astype(object)
    else:
        vals = np.full(n, "", dtype=object)
    vals = vals.copy()
    vals[vec.missing] = ""
    return Vec(STRING, vals, vec.missing.copy())


def as_float(vec: Vec) -> np.ndarray:
    return vec.values.astype(np.float64)


# ------------------------------------------------------------------------------------- row sources


@dataclass
class Rows:
    """What an expression is evaluated over: the table's columns, RowIDs and the flow variables.
    Built from a spec with zero rows at configure time (`frame` is None)."""

    n: int
    types: dict[str, str]
    frame: pd.DataFrame | None
    row_ids: np.ndarray
    variables: Mapping[str, Any]
    configuring: bool = False
    added: dict[str, Vec] = field(default_factory=dict)

    @classmethod
    def of_table(cls, table: Table, variables: Mapping[str, Any]) -> Rows:
        ids = table.df.index.astype(str).to_numpy(dtype=object)
        return cls(len(table.df), dict(table.types), table.df, ids, variables)

    @classmethod
    def of_spec(cls, spec: TableSpec, variables: Mapping[str, Any]) -> Rows:
        types = {c.name: c.type for c in spec.columns}
        return cls(0, types, None, np.zeros(0, dtype=object), variables, configuring=True)

    def has(self, name: str) -> bool:
        return name in self.types

    def column(self, name: str) -> Vec:
        if name in self.added:
            return self.added[name]
        col_type = self.types[name]
        if col_type == ColumnType.UNKNOWN and self.configuring:
            raise UnknownAtConfigure(name)
        if kind_of_type(col_type) is None:
            raise ColumnTypeError(f"column {name!r} has type {col_type}, which expressions cannot use")
        if self.frame is None:
            return empty_vec(kind_of_type(col_type) or STRING, 0)
        return column_vec(self.frame[name], col_type)

    def put(self, name: str, vec: Vec, col_type: str) -> None:
        """Make an expression's output visible to the expressions after it."""
        self.added[name] = vec
        self.types[name] = col_type

    def variable(self, name: str) -> Any:
        if name in self.variables:
            return self.variables[name]
        if self.configuring:
            raise UnknownAtConfigure(name)
        raise KeyError(name)


def fullmatch(vec: Vec, regex: str, flags: int = 0) -> np.ndarray:
    """Whole-value regex match of a string Vec (Java's `Matcher.matches`); missing never matches."""
    if len(vec) == 0:
        return np.zeros(0, dtype=bool)
    compiled = re.compile(regex, flags)
    hits = pd.Series(vec.values, dtype=object).str.fullmatch(compiled).fillna(False).to_numpy(dtype=bool)
    return hits & ~vec.missing
