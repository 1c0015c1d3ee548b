"""KNIME's expression languages: lark grammars, parsers and vectorised evaluators.

Three languages live here, each with KNIME's own precedence and missing-value rules:

- the **KNIME Expression language** (Expression node, 5.x; grammar after knime-base-expressions'
  `KnimeExpression.g4`): `$["col"]`, `$col`, `$[ROW_ID]`, `$$var`, `+ - * / // % **`, `??`,
  comparisons, `and/or/not`, functions such as `abs`, `exp`, `if`;
- the **Rule Engine** language: one rule per line, `$col$ >= 0 => "stable"`, `AND/OR/XOR/NOT`,
  `LIKE`, `MATCHES`, `IN`, `MISSING`;
- **JEP** (Math Formula): `$col$`, `$$ROWINDEX$$`, `$${Iname}$$`, `+ - * / % ^`, `if(c, a, b)`,
  every value a double.

Evaluation is column-at-a-time: every sub-expression becomes a `Vec` (a numpy array of values plus
a missing mask) for all rows at once. The same evaluators run at configure time over zero rows built
from the input spec, so output column types and type errors are known before any data flows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from engine.api import ColumnType, Table, TableSpec

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
        what = f"unexpected character {text[exc.pos_in_stream]!r}"
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


def _pos(meta: Any) -> dict[str, int]:
    return {"line": getattr(meta, "line", 0) or 0, "column": getattr(meta, "column", 0) or 0}


def _tok_pos(tok: Token) -> dict[str, int]:
    return {"line": tok.line or 0, "column": tok.column or 0}


def _parse(parser: Lark, builder: Transformer, text: str, language: str) -> Ast:
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


def _filler(kind: str) -> Any:
    return {INTEGER: 0, FLOAT: 0.0, STRING: "", BOOLEAN: False}.get(kind, None)


def _np_dtype(kind: str) -> Any:
    return {INTEGER: np.int64, FLOAT: np.float64, BOOLEAN: np.bool_}.get(kind, object)


def const_vec(kind: str, value: Any, n: int) -> Vec:
    if kind == MISSING or value is None:
        k = MISSING if kind == MISSING else kind
        return Vec(k, np.full(n, _filler(kind), dtype=_np_dtype(kind)), np.ones(n, dtype=bool))
    return Vec(kind, np.full(n, value, dtype=_np_dtype(kind)), np.zeros(n, dtype=bool))


def empty_vec(kind: str, n: int = 0) -> Vec:
    return Vec(
        kind,
        np.full(n, _filler(kind), dtype=_np_dtype(kind)),
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
        vals = vec.values.astype(np.int64)
        if miss.any():
            return pd.Series(pd.arrays.IntegerArray(vals, miss.copy()), index=index)
        return pd.Series(vals, index=index)
    if col_type == ColumnType.DOUBLE:
        vals = vec.values.astype(np.float64).copy()
        vals[miss] = np.nan
        return pd.Series(vals, index=index)
    if col_type == ColumnType.BOOLEAN:
        vals = vec.values.astype(bool)
        if miss.any():
            return pd.Series(pd.arrays.BooleanArray(vals, miss.copy()), index=index)
        return pd.Series(vals, index=index)
    vals = to_text(vec).values.copy()
    vals[miss] = None
    return pd.Series(vals, index=index, dtype=object)


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
    if vec.kind == INTEGER:
        vals = vec.values.astype(str).astype(object)
    elif vec.kind == FLOAT:
        vals = _java_double_ufunc(vec.values.astype(np.float64)) if n else np.zeros(0, dtype=object)
        vals = np.asarray(vals, dtype=object)
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


def _value_vec(value: Any, n: int) -> Vec:
    """A flow variable's value as a constant Vec."""
    if value is None:
        return const_vec(MISSING, None, n)
    if isinstance(value, bool | np.bool_):
        return const_vec(BOOLEAN, bool(value), n)
    if isinstance(value, int | np.integer):
        return const_vec(INTEGER, int(value), n)
    if isinstance(value, float | np.floating):
        return const_vec(FLOAT, float(value), n)
    return const_vec(STRING, str(value), n)


def _shift(vec: Vec, offset: int) -> Vec:
    """`$["col", offset]`: the value `offset` rows away (missing past either end)."""
    n = len(vec)
    values = np.full(n, _filler(vec.kind), dtype=vec.values.dtype)
    missing = np.ones(n, dtype=bool)
    if offset == 0:
        return vec
    if abs(offset) < n:
        if offset > 0:
            values[: n - offset] = vec.values[offset:]
            missing[: n - offset] = vec.missing[offset:]
        else:
            values[-offset:] = vec.values[: n + offset]
            missing[-offset:] = vec.missing[: n + offset]
    return Vec(vec.kind, values, missing)


def wildcard_regex(pattern: str) -> str:
    """KNIME's wildcard pattern (`*` any run, `?` one character) as a regular expression."""
    out = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    return "".join(out)


def fullmatch(vec: Vec, regex: str, flags: int = 0) -> np.ndarray:
    """Whole-value regex match of a string Vec (Java's `Matcher.matches`); missing never matches."""
    if len(vec) == 0:
        return np.zeros(0, dtype=bool)
    compiled = re.compile(regex, flags)
    hits = pd.Series(vec.values, dtype=object).str.fullmatch(compiled).fillna(False).to_numpy(dtype=bool)
    return hits & ~vec.missing


def _unescape(body: str) -> str:
    def repl(m: re.Match[str]) -> str:
        c = m.group(1)
        if c.startswith("u"):
            return chr(int(c[1:], 16))
        return {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "a": "\a", "v": "\v"}.get(c, c)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", repl, body, flags=re.S)


# ============================================================================ KNIME Expression language

_EXPR_GRAMMAR = r"""
?start: expr

?expr: or_expr
?or_expr: and_expr
    | or_expr OR and_expr               -> binop
?and_expr: not_expr
    | and_expr AND not_expr             -> binop
?not_expr: comparison
    | NOT not_expr                      -> unop
?comparison: sum
    | comparison (LT | LE | GT | GE | EQEQ | EQ | NE) sum  -> binop
?sum: product
    | sum (PLUS | MINUS) product        -> binop
?product: unary
    | product (STAR | SLASH | DSLASH | PERCENT) unary      -> binop
?unary: power
    | MINUS unary                       -> unop
?power: fallback
    | fallback POW unary                -> binop
?fallback: atom
    | fallback QQ atom                  -> binop
    | fallback QQ MINUS unary           -> fallback_neg
?atom: INTEGER                          -> integer
    | FLOAT                             -> float
    | STRING                            -> string
    | TRUE                              -> true
    | FALSE                             -> false
    | MISSING                           -> missing
    | ROW_INDEX                         -> row_index
    | ROW_NUMBER                        -> row_number
    | ROW_ID                            -> row_id
    | COLUMN                            -> column
    | "$[" STRING "]"                   -> column_long
    | "$[" STRING "," offset "]"        -> column_offset
    | FLOW_VAR                          -> flow_var
    | "$$[" STRING "]"                  -> flow_var_long
    | NAME                              -> constant
    | NAME "(" ")"                      -> call
    | NAME "(" arguments ")"            -> call
    | "(" expr ")"
offset: INTEGER                         -> offset_pos
    | MINUS INTEGER                     -> offset_neg
arguments: argument ("," argument)* ","?
?argument: expr
    | NAME EQ expr                      -> named

OR.2: /(or|OR)(?![A-Za-z0-9_])/
AND.2: /(and|AND)(?![A-Za-z0-9_])/
NOT.2: /(not|NOT)(?![A-Za-z0-9_])/
TRUE.2: /TRUE(?![A-Za-z0-9_])/
FALSE.2: /FALSE(?![A-Za-z0-9_])/
MISSING.2: /MISSING(?![A-Za-z0-9_])/
LT: "<"
LE: "<="
GT: ">"
GE: ">="
EQEQ: "=="
EQ: "="
NE: "!=" | "<>"
PLUS: "+"
MINUS: "-"
STAR: "*"
SLASH: "/"
DSLASH: "//"
PERCENT: "%"
POW: "**"
QQ: "??"
ROW_INDEX: "$[ROW_INDEX]"
ROW_NUMBER: "$[ROW_NUMBER]"
ROW_ID: "$[ROW_ID]"
FLOW_VAR: /\$\$[A-Za-z0-9_]+/
COLUMN: /\$[A-Za-z0-9_]+/
FLOAT.2: /(([0-9](_?[0-9])*)?\.[0-9](_?[0-9])*|[0-9](_?[0-9])*\.)([eE][+-]?[0-9](_?[0-9])*)?|[0-9](_?[0-9])*[eE][+-]?[0-9](_?[0-9])*/
INTEGER: /0|[1-9](_?[0-9])*/
STRING: /"(\\.|[^"\\])*"|'(\\.|[^'\\])*'/s
NAME: /[A-Za-z][A-Za-z0-9_]*/
COMMENT: /#[^\n]*/
%import common.WS
%ignore WS
%ignore COMMENT
"""

_EXPR_OPS = {
    "or": "or",
    "OR": "or",
    "and": "and",
    "AND": "and",
    "not": "not",
    "NOT": "not",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "==": "==",
    "=": "==",
    "!=": "!=",
    "<>": "!=",
    "+": "+",
    "-": "-",
    "*": "*",
    "/": "/",
    "//": "//",
    "%": "%",
    "**": "**",
    "??": "??",
}


@v_args(meta=True)
class _ExprBuilder(Transformer):
    """Parse tree -> Ast for the KNIME Expression language. Operator nodes are located at their
    operator, so a type error points at the `+` or `<` that cannot apply."""

    def binop(self, meta: Any, c: list[Any]) -> Ast:
        return Ast(_EXPR_OPS[str(c[1])], (c[0], c[2]), **_tok_pos(c[1]))

    def unop(self, meta: Any, c: list[Any]) -> Ast:
        op = _EXPR_OPS[str(c[0])]
        return Ast("neg" if op == "-" else "not", (c[1],), **_tok_pos(c[0]))

    def fallback_neg(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("??", (c[0], Ast("neg", (c[3],), **_tok_pos(c[2]))), **_tok_pos(c[1]))

    def integer(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(INTEGER, int(c[0].replace("_", ""))), **_tok_pos(c[0]))

    def float(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(FLOAT, float(c[0].replace("_", ""))), **_tok_pos(c[0]))

    def string(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(STRING, _unescape(c[0][1:-1])), **_tok_pos(c[0]))

    def true(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(BOOLEAN, True), **_tok_pos(c[0]))

    def false(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(BOOLEAN, False), **_tok_pos(c[0]))

    def missing(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(MISSING, None), **_tok_pos(c[0]))

    def row_index(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("special", value="ROW_INDEX", **_tok_pos(c[0]))

    def row_number(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("special", value="ROW_NUMBER", **_tok_pos(c[0]))

    def row_id(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("special", value="ROW_ID", **_tok_pos(c[0]))

    def column(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("col", value=(str(c[0])[1:], 0), **_tok_pos(c[0]))

    def column_long(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("col", value=(_unescape(c[0][1:-1]), 0), **_pos(meta))

    def column_offset(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("col", value=(_unescape(c[0][1:-1]), c[1]), **_pos(meta))

    def offset_pos(self, meta: Any, c: list[Token]) -> int:
        return int(c[0].replace("_", ""))

    def offset_neg(self, meta: Any, c: list[Token]) -> int:
        return -int(c[1].replace("_", ""))

    def flow_var(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("var", value=str(c[0])[2:], **_tok_pos(c[0]))

    def flow_var_long(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("var", value=_unescape(c[0][1:-1]), **_pos(meta))

    def constant(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("const", value=str(c[0]), **_tok_pos(c[0]))

    def call(self, meta: Any, c: list[Any]) -> Ast:
        args = c[1] if len(c) > 1 else []
        positional = tuple(a for a in args if isinstance(a, Ast))
        named = tuple(a for a in args if isinstance(a, tuple))
        return Ast("call", positional, value=str(c[0]), kwargs=named, **_tok_pos(c[0]))

    def arguments(self, meta: Any, c: list[Any]) -> list[Any]:
        seen_named = False
        for a in c:
            if isinstance(a, tuple):
                seen_named = True
            elif seen_named:
                raise ExpressionError(
                    "a positional argument cannot follow a named argument", "", a.line, a.column
                )
        return list(c)

    def named(self, meta: Any, c: list[Any]) -> tuple[str, Ast]:
        return (str(c[0]), c[2])


@lru_cache(maxsize=1)
def _expr_parser() -> Lark:
    return Lark(_EXPR_GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)


@lru_cache(maxsize=512)
def parse_expression(text: str) -> Ast:
    """Parse a KNIME Expression language script (raises ExpressionError with line/column)."""
    if not text.strip():
        raise ExpressionError("the expression is empty", text)
    return _parse(_expr_parser(), _ExprBuilder(), text, "expression")


_EXPR_CONSTANTS: dict[str, tuple[str, Any]] = {
    "E": (FLOAT, math.e),
    "PI": (FLOAT, math.pi),
    "INF": (FLOAT, math.inf),
    "NaN": (FLOAT, math.nan),
    "MIN_INTEGER": (INTEGER, -(2**63)),
    "MAX_INTEGER": (INTEGER, 2**63 - 1),
    "MIN_FLOAT": (FLOAT, -np.finfo(np.float64).max),
    "MAX_FLOAT": (FLOAT, np.finfo(np.float64).max),
    "TINY_FLOAT": (FLOAT, np.finfo(np.float64).tiny),
}


class ExpressionEvaluator:
    """Evaluates a KNIME Expression language Ast over `Rows`, column-at-a-time.

    Semantics follow KNIME: INTEGER op INTEGER stays INTEGER (64-bit) for `+ - * // % **`, `/`
    always gives FLOAT, `+` with a STRING concatenates; an operand that is MISSING makes the result
    MISSING; `==`/`!=` treat MISSING as a value (MISSING == MISSING), ordering comparisons with a
    MISSING operand are FALSE; `and`/`or` use three-valued logic; `a ?? b` is b where a is MISSING.
    """

    def __init__(self, text: str, rows: Rows, warn: Callable[[str], None] | None = None) -> None:
        self.text = text
        self.rows = rows
        self.n = rows.n
        self.warn = warn or (lambda msg: None)
        self._warned: set[str] = set()

    # -- helpers
    def fail(self, node: Ast, reason: str, **extra: Any) -> ExpressionError:
        return ExpressionError(reason, self.text, node.line, node.column, **extra)

    def _warn_once(self, msg: str) -> None:
        if msg not in self._warned and self.n:
            self._warned.add(msg)
            self.warn(msg)

    def evaluate(self, ast: Ast) -> Vec:
        with np.errstate(all="ignore"):
            return self.ev(ast)

    def ev(self, node: Ast) -> Vec:
        op = node.op
        n = self.n
        if op == "lit":
            kind, value = node.value
            return const_vec(kind, value, n)
        if op == "col":
            name, offset = node.value
            if not self.rows.has(name):
                known = ", ".join(self.rows.types) or "none"
                raise self.fail(
                    node, f"column {name!r} not found in the input table (columns: {known})", column_name=name
                )
            try:
                vec = self.rows.column(name)
            except ColumnTypeError as exc:
                raise self.fail(node, str(exc)) from None
            return _shift(vec, offset) if offset else vec
        if op == "special":
            if node.value == "ROW_INDEX":
                return Vec(INTEGER, np.arange(n, dtype=np.int64), np.zeros(n, dtype=bool))
            if node.value == "ROW_NUMBER":
                return Vec(INTEGER, np.arange(1, n + 1, dtype=np.int64), np.zeros(n, dtype=bool))
            return Vec(STRING, self.rows.row_ids.astype(object), np.zeros(n, dtype=bool))
        if op == "var":
            try:
                value = self.rows.variable(node.value)
            except KeyError:
                known = ", ".join(self.rows.variables) or "none"
                raise self.fail(
                    node,
                    f"flow variable {node.value!r} is not defined (known: {known})",
                    variable_name=node.value,
                ) from None
            return _value_vec(value, n)
        if op == "const":
            if node.value not in _EXPR_CONSTANTS:
                raise self.fail(
                    node, f"unknown constant {node.value!r} (known: {', '.join(_EXPR_CONSTANTS)})"
                )
            kind, value = _EXPR_CONSTANTS[node.value]
            return const_vec(kind, value, n)
        if op == "neg":
            a = self.ev(node.args[0])
            if a.kind == MISSING:
                return a
            if a.kind not in NUMERIC_KINDS:
                raise self.fail(node, f"unary '-' cannot be applied to {a.kind}")
            return Vec(a.kind, -a.values, a.missing.copy())
        if op == "not":
            a = self.ev(node.args[0])
            if a.kind == MISSING:
                return Vec(BOOLEAN, np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
            if a.kind != BOOLEAN:
                raise self.fail(node, f"'not' needs a BOOLEAN operand, got {a.kind}")
            return Vec(BOOLEAN, ~a.values, a.missing.copy())
        if op in ("and", "or"):
            return self._logic(node, self.ev(node.args[0]), self.ev(node.args[1]))
        if op in ("<", "<=", ">", ">=", "==", "!="):
            return self._compare(node, self.ev(node.args[0]), self.ev(node.args[1]))
        if op == "??":
            a, b = self.ev(node.args[0]), self.ev(node.args[1])
            kind = self._common(node, a.kind, b.kind, "??")
            a2, b2 = self._cast(a, kind), self._cast(b, kind)
            take_b = a.missing
            return Vec(kind, np.where(take_b, b2.values, a2.values), np.where(take_b, b2.missing, a2.missing))
        if op in ("+", "-", "*", "/", "//", "%", "**"):
            return self._arith(node, self.ev(node.args[0]), self.ev(node.args[1]))
        if op == "call":
            return self._call(node)
        raise self.fail(node, f"unsupported operation {op}")  # pragma: no cover

    def _common(self, node: Ast, a: str, b: str, what: str) -> str:
        if a == b:
            return a
        if a == MISSING:
            return b
        if b == MISSING:
            return a
        if {a, b} == {INTEGER, FLOAT}:
            return FLOAT
        raise self.fail(node, f"{what}: incompatible types {a} and {b}")

    @staticmethod
    def _cast(v: Vec, kind: str) -> Vec:
        if v.kind == kind:
            return v
        if v.kind == MISSING:
            return Vec(kind, np.full(len(v), _filler(kind), dtype=_np_dtype(kind)), v.missing)
        if kind == FLOAT:
            return Vec(FLOAT, v.values.astype(np.float64), v.missing)
        return v

    def _logic(self, node: Ast, a: Vec, b: Vec) -> Vec:
        for v in (a, b):
            if v.kind not in (BOOLEAN, MISSING):
                raise self.fail(node, f"'{node.op}' needs BOOLEAN operands, got {v.kind}")
        at, af = a.values & ~a.missing, ~a.values & ~a.missing
        bt, bf = b.values & ~b.missing, ~b.values & ~b.missing
        if node.op == "and":
            true, false = at & bt, af | bf
        else:
            true, false = at | bt, af & bf
        return Vec(BOOLEAN, true, ~(true | false))

    def _compare(self, node: Ast, a: Vec, b: Vec) -> Vec:
        op = node.op
        n = self.n
        kinds = {a.kind, b.kind} - {MISSING}
        if op in ("==", "!="):
            if len(kinds) == 2 and kinds != {INTEGER, FLOAT}:
                raise self.fail(node, f"'{op}' cannot compare {a.kind} with {b.kind}")
            if kinds <= NUMERIC_KINDS and FLOAT in kinds:
                equal = as_float(a) == as_float(b)
            else:
                equal = a.values == b.values
            equal = np.asarray(equal, dtype=bool)
            both = ~a.missing & ~b.missing
            result = (equal & both) | (a.missing & b.missing)
            if op == "!=":
                result = ~result
            return Vec(BOOLEAN, result, np.zeros(n, dtype=bool))
        if not kinds <= NUMERIC_KINDS:
            raise self.fail(node, f"'{op}' needs numbers, got {a.kind} and {b.kind}")
        x, y = as_float(a), as_float(b)
        if a.kind == INTEGER and b.kind == INTEGER:
            x, y = a.values, b.values
        cmp = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op]
        result = np.asarray(cmp(x, y), dtype=bool) & ~a.missing & ~b.missing
        return Vec(BOOLEAN, result, np.zeros(n, dtype=bool))

    def _arith(self, node: Ast, a: Vec, b: Vec) -> Vec:
        op = node.op
        missing = a.missing | b.missing
        if op == "+" and STRING in (a.kind, b.kind):
            sa, sb = to_text(a), to_text(b)
            return Vec(STRING, sa.values + sb.values, missing)
        for v in (a, b):
            if v.kind not in NUMERIC_KINDS and v.kind != MISSING:
                raise self.fail(node, f"operator '{op}' cannot be applied to {a.kind} and {b.kind}")
        known = {a.kind, b.kind} - {MISSING}
        if op == "/":
            kind = FLOAT
        elif op == "//":
            if known - {INTEGER}:
                raise self.fail(node, f"operator '//' needs INTEGER operands, got {a.kind} and {b.kind}")
            kind = INTEGER
        else:
            kind = INTEGER if known <= {INTEGER} else FLOAT
        if MISSING in (a.kind, b.kind):
            return Vec(
                kind, np.full(self.n, _filler(kind), dtype=_np_dtype(kind)), np.ones(self.n, dtype=bool)
            )
        if kind == FLOAT:
            x, y = as_float(a), as_float(b)
            if op == "+":
                vals = x + y
            elif op == "-":
                vals = x - y
            elif op == "*":
                vals = x * y
            elif op == "/":
                vals = x / y
            elif op == "%":
                vals = np.fmod(x, y)  # Java's remainder: the sign of the dividend
            else:
                vals = np.power(x, y)
            return Vec(FLOAT, vals, missing)
        x, y = a.values.astype(np.int64), b.values.astype(np.int64)
        if op == "+":
            vals = x + y
        elif op == "-":
            vals = x - y
        elif op == "*":
            vals = x * y
        elif op in ("//", "%"):
            zero = (y == 0) & ~missing
            if zero.any():
                self._warn_once(f"integer {'division' if op == '//' else 'modulo'} by zero gives 0")
            safe = np.where(y == 0, 1, y)
            vals = np.floor_divide(x, safe) if op == "//" else np.fmod(x, safe)
            vals = np.where(y == 0, 0, vals)
        else:  # INTEGER ** INTEGER: exact for exponents >= 0, truncated towards zero below
            neg = y < 0
            vals = np.power(x, np.where(neg, 0, y))
            if neg.any():
                fl = np.trunc(np.power(x.astype(np.float64), y.astype(np.float64)))
                fl = np.where(np.isfinite(fl), fl, 0.0)
                vals = np.where(neg, fl.astype(np.int64), vals)
        return Vec(INTEGER, vals, missing)

    # -- functions
    def _call(self, node: Ast) -> Vec:
        name = node.value
        if name.isupper() and name.startswith("COLUMN_"):
            return self._aggregate(node)
        spec = _EXPR_FUNCTIONS.get(name)
        if spec is None:
            raise self.fail(node, f"unknown function {name!r}")
        params, fn = spec
        args = list(node.args)
        names = [p.lstrip("*?") for p in params]
        variadic = bool(params) and params[-1].startswith("*")
        for kw, value in node.kwargs:
            if kw not in names or variadic and kw == names[-1]:
                raise self.fail(node, f"{name}() has no parameter {kw!r}")
            idx = names.index(kw)
            while len(args) <= idx:
                args.append(None)
            if args[idx] is not None:
                raise self.fail(node, f"{name}() got parameter {kw!r} twice")
            args[idx] = value
        required = [p for p in params if not p.startswith(("?", "*"))]
        if len(args) < len(required) or (not variadic and len(args) > len(params)):
            raise self.fail(node, f"{name}() takes {self._arity(params)}, got {len(args)}")
        vecs = [self.ev(a) if isinstance(a, Ast) else None for a in args]
        return fn(self, node, vecs)

    @staticmethod
    def _arity(params: tuple[str, ...]) -> str:
        req = sum(1 for p in params if not p.startswith(("?", "*")))
        if params and params[-1].startswith("*"):
            return f"at least {req} arguments"
        if req == len(params):
            return f"{req} argument{'s' if req != 1 else ''}"
        return f"{req} to {len(params)} arguments"

    def need(self, node: Ast, v: Vec, kinds: frozenset[str] | set[str], what: str) -> None:
        if v.kind not in kinds and v.kind != MISSING:
            raise self.fail(node, f"{node.value}(): {what} must be {'/'.join(sorted(kinds))}, got {v.kind}")

    def _aggregate(self, node: Ast) -> Vec:
        name = node.value
        func = name[len("COLUMN_") :]
        if func not in ("MIN", "MAX", "SUM", "MEAN", "AVERAGE", "MEDIAN", "STD_DEV", "VARIANCE", "COUNT"):
            raise self.fail(node, f"unknown aggregation {name!r}")
        if len(node.args) != 1 or node.args[0].op != "lit" or node.args[0].value[0] != STRING:
            raise self.fail(node, f'{name}() needs the column name as a string, e.g. {name}("col")')
        col = node.args[0].value[1]
        if not self.rows.has(col):
            raise self.fail(node, f"column {col!r} not found in the input table", column_name=col)
        vec = self.rows.column(col)
        present = vec.values[~vec.missing]
        n = self.n
        if func == "COUNT":
            return const_vec(INTEGER, int(present.size), n)
        if vec.kind not in NUMERIC_KINDS:
            raise self.fail(node, f"{name}() needs a numeric column, {col!r} is {vec.kind}")
        kind = vec.kind if func in ("MIN", "MAX", "SUM") else FLOAT
        if present.size == 0:
            return const_vec(kind, None, n)
        values = present.astype(np.float64)
        result: Any
        if func == "MIN":
            result = present.min()
        elif func == "MAX":
            result = present.max()
        elif func == "SUM":
            result = present.sum()
        elif func in ("MEAN", "AVERAGE"):
            result = values.mean()
        elif func == "MEDIAN":
            result = float(np.median(values))
        elif func == "STD_DEV":
            result = float(values.std(ddof=1)) if values.size > 1 else 0.0
        else:
            result = float(values.var(ddof=1)) if values.size > 1 else 0.0
        return const_vec(kind, result.item() if hasattr(result, "item") else result, n)


def _union_missing(vecs: list[Vec | None]) -> np.ndarray:
    out = None
    for v in vecs:
        if v is not None:
            out = v.missing.copy() if out is None else out | v.missing
    assert out is not None
    return out


def _float_fn(f: Callable[..., np.ndarray]) -> Callable[[ExpressionEvaluator, Ast, list[Vec | None]], Vec]:
    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        vecs = [a for a in args if a is not None]
        for v in vecs:
            ev.need(node, v, NUMERIC_KINDS, "every argument")
        return Vec(FLOAT, f(*[as_float(v) for v in vecs]), _union_missing(vecs))

    return run


def _same_kind_fn(
    f: Callable[[np.ndarray], np.ndarray],
) -> Callable[[ExpressionEvaluator, Ast, list[Vec | None]], Vec]:
    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        v = args[0]
        assert v is not None
        ev.need(node, v, NUMERIC_KINDS, "the argument")
        kind = FLOAT if v.kind == MISSING else v.kind
        return Vec(kind, f(v.values).astype(_np_dtype(kind)), v.missing.copy())

    return run


def _to_integer_fn(
    f: Callable[[np.ndarray], np.ndarray],
) -> Callable[[ExpressionEvaluator, Ast, list[Vec | None]], Vec]:
    """floor/ceil: FLOAT -> INTEGER (a NaN or infinite value becomes MISSING)."""

    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        v = args[0]
        assert v is not None
        ev.need(node, v, NUMERIC_KINDS, "the argument")
        if v.kind == INTEGER:
            return v
        x = f(as_float(v))
        bad = ~np.isfinite(x)
        return Vec(INTEGER, np.where(bad, 0, x).astype(np.int64), v.missing | bad)

    return run


def _fn_round(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
    v, prec = args[0], args[1] if len(args) > 1 else None
    assert v is not None
    ev.need(node, v, NUMERIC_KINDS, "the number")
    if prec is None:
        if v.kind == INTEGER:
            return v
        x = np.rint(as_float(v))  # ties to even
        bad = ~np.isfinite(x)
        return Vec(INTEGER, np.where(bad, 0, x).astype(np.int64), v.missing | bad)
    ev.need(node, prec, {INTEGER}, "the precision")
    digits = prec.values.astype(np.int64)
    scale = np.power(10.0, digits)
    return Vec(FLOAT, np.rint(as_float(v) * scale) / scale, v.missing | prec.missing)


def _fn_minmax(which: str) -> Callable[[ExpressionEvaluator, Ast, list[Vec | None]], Vec]:
    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        vecs = [a for a in args if a is not None]
        if len(vecs) < 2:
            raise ev.fail(node, f"{which}() needs at least 2 arguments")
        for v in vecs:
            ev.need(node, v, NUMERIC_KINDS, "every argument")
        kinds = {v.kind for v in vecs} - {MISSING}
        kind = INTEGER if kinds <= {INTEGER} and kinds else FLOAT
        stack = np.vstack([v.values.astype(_np_dtype(kind)) for v in vecs])
        vals = stack.min(axis=0) if which == "min" else stack.max(axis=0)
        return Vec(kind, vals, _union_missing(vecs))

    return run


def _fn_stat(which: str) -> Callable[[ExpressionEvaluator, Ast, list[Vec | None]], Vec]:
    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        vecs = [a for a in args if a is not None]
        for v in vecs:
            ev.need(node, v, NUMERIC_KINDS, "every argument")
        stack = np.vstack([as_float(v) for v in vecs])
        vals = stack.mean(axis=0) if which == "average" else np.median(stack, axis=0)
        return Vec(FLOAT, vals, _union_missing(vecs))

    return run


def _fn_if(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
    """if(c1, v1, [c2, v2, ...], else): the value of the first TRUE condition (a MISSING condition
    counts as not TRUE)."""
    vecs = [a for a in args if a is not None]
    if len(vecs) < 3 or len(vecs) % 2 == 0:
        raise ev.fail(node, "if() takes condition/value pairs and a final else value: if(c, a, b)")
    conds, values = vecs[:-1:2], vecs[1:-1:2] + [vecs[-1]]
    for c in conds:
        if c.kind not in (BOOLEAN, MISSING):
            raise ev.fail(node, f"if(): conditions must be BOOLEAN, got {c.kind}")
    kind = values[0].kind
    for v in values[1:]:
        kind = ev._common(node, kind, v.kind, "if()")
    cast = [ev._cast(v, kind) for v in values]
    out_vals = cast[-1].values.copy()
    out_miss = cast[-1].missing.copy()
    taken = np.zeros(ev.n, dtype=bool)
    for c, v in zip(conds, cast[:-1], strict=True):
        hit = c.values & ~c.missing & ~taken
        out_vals = np.where(hit, v.values, out_vals)
        out_miss = np.where(hit, v.missing, out_miss)
        taken |= hit
    return Vec(kind, out_vals.astype(_np_dtype(kind)), out_miss)


def _string_fn(
    f: Callable[..., pd.Series], out_kind: str
) -> Callable[[ExpressionEvaluator, Ast, list[Vec | None]], Vec]:
    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        vecs = [a for a in args if a is not None]
        ev.need(node, vecs[0], {STRING}, "the first argument")
        for v in vecs[1:]:
            ev.need(node, v, {STRING}, "every argument")
        series = [pd.Series(v.values, dtype=object) for v in vecs]
        result = f(*series) if ev.n else pd.Series([], dtype=_np_dtype(out_kind))
        vals = result.to_numpy(dtype=_np_dtype(out_kind)) if ev.n else np.zeros(0, dtype=_np_dtype(out_kind))
        return Vec(out_kind, vals, _union_missing(vecs))

    return run


def _str_method(method: str, out_kind: str) -> Callable[[ExpressionEvaluator, Ast, list[Vec | None]], Vec]:
    """A `str` method applied element-wise by a numpy ufunc (the arguments may be columns)."""

    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        vecs = [a for a in args if a is not None]
        for v in vecs:
            ev.need(node, v, {STRING}, "every argument")
        fn = np.frompyfunc(getattr(str, method), len(vecs), 1)
        vals = (
            np.asarray(fn(*[v.values for v in vecs]), dtype=_np_dtype(out_kind))
            if ev.n
            else np.zeros(0, dtype=_np_dtype(out_kind))
        )
        return Vec(out_kind, vals, _union_missing(vecs))

    return run


def _substring(text: str, start: int, length: int | None) -> str:
    begin = max(int(start) - 1, 0)
    return text[begin:] if length is None else text[begin : begin + max(int(length), 0)]


_substring_ufunc = np.frompyfunc(_substring, 3, 1)


def _fn_substring(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
    """substring(s, start, length): `length` characters from the 1-based `start` (to the end without length)."""
    s, start = args[0], args[1]
    length = args[2] if len(args) > 2 else None
    assert s is not None and start is not None
    ev.need(node, s, {STRING}, "the string")
    ev.need(node, start, {INTEGER}, "the start")
    vecs: list[Vec | None] = [s, start]
    if length is not None:
        ev.need(node, length, {INTEGER}, "the length")
        vecs.append(length)
    lengths = length.values if length is not None else np.full(ev.n, None, dtype=object)
    vals = _substring_ufunc(s.values, start.values, lengths) if ev.n else np.zeros(0, dtype=object)
    return Vec(STRING, np.asarray(vals, dtype=object), _union_missing(vecs))


def _fn_string(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
    v = args[0]
    assert v is not None
    return to_text(v)


def _fn_parse(kind: str) -> Callable[[ExpressionEvaluator, Ast, list[Vec | None]], Vec]:
    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        v = args[0]
        assert v is not None
        ev.need(node, v, {STRING}, "the argument")
        num = pd.to_numeric(pd.Series(v.values, dtype=object).str.strip(), errors="coerce")
        bad = num.isna().to_numpy(dtype=bool) | v.missing
        vals = num.to_numpy(dtype=np.float64, na_value=0.0)
        if kind == INTEGER:
            bad |= vals != np.trunc(vals)
            vals = np.where(bad, 0, vals).astype(np.int64)
        return Vec(kind, vals, bad)

    return run


def _fn_regex_match(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
    s, pat = args[0], args[1]
    assert s is not None and pat is not None
    ev.need(node, s, {STRING}, "the string")
    if node.args[1].op != "lit":
        raise ev.fail(node, "regex_match(): the pattern must be a string literal")
    hits = fullmatch(s, node.args[1].value[1])
    return Vec(BOOLEAN, hits, s.missing.copy())


_FnSpec = tuple[tuple[str, ...], Callable[[ExpressionEvaluator, Ast, list[Vec | None]], Vec]]

# name -> (parameters, implementation); "?p" optional, "*p" variadic. A subset of KNIME's catalog:
# the math, control and string functions whose semantics are unambiguous.
_EXPR_FUNCTIONS: dict[str, _FnSpec] = {
    "abs": (("x",), _same_kind_fn(np.abs)),
    "sign": (("x",), _same_kind_fn(np.sign)),
    "sqrt": (("x",), _float_fn(np.sqrt)),
    "exp": (("x",), _float_fn(np.exp)),
    "ln": (("x",), _float_fn(np.log)),
    "log10": (("x",), _float_fn(np.log10)),
    "log2": (("x",), _float_fn(np.log2)),
    "log1p": (("x",), _float_fn(np.log1p)),
    "log": (("x", "base"), _float_fn(lambda x, b: np.log(x) / np.log(b))),
    "pow": (("x", "y"), _float_fn(np.power)),
    "sin": (("x",), _float_fn(np.sin)),
    "cos": (("x",), _float_fn(np.cos)),
    "tan": (("x",), _float_fn(np.tan)),
    "asin": (("x",), _float_fn(np.arcsin)),
    "acos": (("x",), _float_fn(np.arccos)),
    "atan": (("x",), _float_fn(np.arctan)),
    "atan2": (("y", "x"), _float_fn(np.arctan2)),
    "sinh": (("x",), _float_fn(np.sinh)),
    "cosh": (("x",), _float_fn(np.cosh)),
    "tanh": (("x",), _float_fn(np.tanh)),
    "asinh": (("x",), _float_fn(np.arcsinh)),
    "acosh": (("x",), _float_fn(np.arccosh)),
    "atanh": (("x",), _float_fn(np.arctanh)),
    "degrees": (("x",), _float_fn(np.degrees)),
    "radians": (("x",), _float_fn(np.radians)),
    "floor": (("x",), _to_integer_fn(np.floor)),
    "ceil": (("x",), _to_integer_fn(np.ceil)),
    "round": (("x", "?precision"), _fn_round),
    "min": (("*x",), _fn_minmax("min")),
    "max": (("*x",), _fn_minmax("max")),
    "average": (("*x",), _fn_stat("average")),
    "median": (("*x",), _fn_stat("median")),
    "is_nan": (("x",), lambda ev, node, a: Vec(BOOLEAN, np.isnan(as_float(a[0])), a[0].missing.copy())),  # type: ignore[index,union-attr]
    "if": (("*args",), _fn_if),
    "length": (("s",), _string_fn(lambda s: s.str.len(), INTEGER)),
    "upper_case": (("s",), _string_fn(lambda s: s.str.upper(), STRING)),
    "lower_case": (("s",), _string_fn(lambda s: s.str.lower(), STRING)),
    "strip": (("s",), _string_fn(lambda s: s.str.strip(), STRING)),
    "substring": (("s", "start", "?length"), _fn_substring),
    "contains": (("s", "search"), _str_method("__contains__", BOOLEAN)),
    "starts_with": (("s", "prefix"), _str_method("startswith", BOOLEAN)),
    "ends_with": (("s", "suffix"), _str_method("endswith", BOOLEAN)),
    "replace": (("s", "old", "new"), _str_method("replace", STRING)),
    "regex_match": (("s", "pattern"), _fn_regex_match),
    "string": (("x",), _fn_string),
    "parse_float": (("s",), _fn_parse(FLOAT)),
    "parse_int": (("s",), _fn_parse(INTEGER)),
}


def expression_output_type(kind: str) -> str:
    """The KNIME column type the Expression node writes for a result kind (INTEGER -> Long)."""
    return {
        INTEGER: ColumnType.LONG,
        FLOAT: ColumnType.DOUBLE,
        STRING: ColumnType.STRING,
        BOOLEAN: ColumnType.BOOLEAN,
    }[kind]


# =============================================================================== Rule Engine language

_RULE_GRAMMAR = r"""
?start: rule
rule: condition _ARROW outcome

?condition: or_c
?or_c: xor_c
    | or_c _OR xor_c                    -> or_
?xor_c: and_c
    | xor_c _XOR and_c                  -> xor_
?and_c: not_c
    | and_c _AND not_c                  -> and_
?not_c: atom_c
    | _NOT not_c                        -> not_
?atom_c: "(" condition ")"
    | _MISSING operand                  -> is_missing
    | operand CMP operand               -> compare
    | operand LIKE operand              -> like
    | operand MATCHES operand           -> matches
    | operand _IN "(" operand ("," operand)* ")"  -> in_
    | operand                           -> truth

?outcome: operand

?operand: COLUMN                        -> column
    | FLOWVAR                           -> flow_var
    | SPECIAL                           -> special
    | STRING                            -> string
    | NUMBER                            -> number
    | TRUE                              -> true
    | FALSE                             -> false

_OR.2: /OR(?![A-Za-z0-9_])/
_XOR.2: /XOR(?![A-Za-z0-9_])/
_AND.2: /AND(?![A-Za-z0-9_])/
_NOT.2: /NOT(?![A-Za-z0-9_])/
_MISSING.2: /MISSING(?![A-Za-z0-9_])/
LIKE.2: /LIKE(?![A-Za-z0-9_])/
MATCHES.2: /MATCHES(?![A-Za-z0-9_])/
_IN.2: /IN(?![A-Za-z0-9_])/
TRUE.2: /TRUE(?![A-Za-z0-9_])/
FALSE.2: /FALSE(?![A-Za-z0-9_])/
_ARROW.4: "=>"
CMP: "<=" | ">=" | "<" | ">" | "="
SPECIAL.3: /\$\$(ROWID|ROWINDEX|ROWCOUNT)\$\$/
FLOWVAR.3: /\$\$\{[A-Za-z][^}]*\}\$\$/
COLUMN: /\$[^$\n]+\$/
STRING: /"[^"\n]*"|\/[^\/\n]*\//
NUMBER: /[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?/
%import common.WS_INLINE
%ignore WS_INLINE
"""

_RULE_BINOPS = {"or_": "OR", "xor_": "XOR", "and_": "AND"}


@v_args(meta=True)
class _RuleBuilder(Transformer):
    """Parse tree -> Ast for one Rule Engine rule: Ast("rule", (condition, outcome))."""

    def __default__(self, data: str, children: list[Any], meta: Any) -> Any:
        if data in _RULE_BINOPS:
            return Ast(_RULE_BINOPS[data], (children[0], children[1]), **_pos(meta))
        raise AssertionError(f"unhandled rule {data}")  # pragma: no cover

    def rule(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("rule", (c[0], c[1]), **_pos(meta))

    def not_(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("NOT", (c[0],), **_pos(meta))

    def is_missing(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("MISSING", (c[0],), **_pos(meta))

    def compare(self, meta: Any, c: list[Any]) -> Ast:
        return Ast(str(c[1]), (c[0], c[2]), **_tok_pos(c[1]))

    def like(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("LIKE", (c[0], c[2]), **_tok_pos(c[1]))

    def matches(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("MATCHES", (c[0], c[2]), **_tok_pos(c[1]))

    def in_(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("IN", tuple(c), **_pos(meta))

    def truth(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("TRUTH", (c[0],), **_pos(meta))

    def column(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("col", value=(str(c[0])[1:-1], 0), **_tok_pos(c[0]))

    def flow_var(self, meta: Any, c: list[Token]) -> Ast:
        body = str(c[0])[3:-3]  # ${Sname}
        return Ast("var", value=(body[1:], body[0]), **_tok_pos(c[0]))

    def special(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("special", value=str(c[0])[2:-2], **_tok_pos(c[0]))

    def string(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(STRING, str(c[0])[1:-1]), **_tok_pos(c[0]))

    def number(self, meta: Any, c: list[Token]) -> Ast:
        text = str(c[0])
        if re.fullmatch(r"[+-]?[0-9]+", text):
            return Ast("lit", value=(INTEGER, int(text)), **_tok_pos(c[0]))
        return Ast("lit", value=(FLOAT, float(text)), **_tok_pos(c[0]))

    def true(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(BOOLEAN, True), **_tok_pos(c[0]))

    def false(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(BOOLEAN, False), **_tok_pos(c[0]))


@lru_cache(maxsize=1)
def _rule_parser() -> Lark:
    return Lark(_RULE_GRAMMAR, parser="lalr", propagate_positions=True)


def is_rule_comment(line: str) -> bool:
    """Blank lines and `//` comment lines are not rules."""
    stripped = line.strip()
    return not stripped or stripped.startswith("//")


@lru_cache(maxsize=512)
def parse_rule(text: str) -> Ast:
    """Parse one Rule Engine rule (`condition => outcome`)."""
    return _parse(_rule_parser(), _RuleBuilder(), text, "rule")


_RULE_VAR_KINDS = {"S": STRING, "I": INTEGER, "D": FLOAT, "L": INTEGER, "B": BOOLEAN}


class RuleEvaluator:
    """Evaluates Rule Engine conditions (two-valued: a comparison with a missing operand is false,
    except that missing equals missing for `=`, `<=`, `>=`) and outcomes, column-at-a-time."""

    def __init__(self, text: str, rows: Rows) -> None:
        self.text = text
        self.rows = rows
        self.n = rows.n

    def fail(self, node: Ast, reason: str, **extra: Any) -> ExpressionError:
        return ExpressionError(reason, self.text, node.line, node.column, **extra)

    def operand(self, node: Ast) -> Vec:
        n = self.n
        if node.op == "lit":
            kind, value = node.value
            return const_vec(kind, value, n)
        if node.op == "col":
            name = node.value[0]
            if not self.rows.has(name):
                known = ", ".join(self.rows.types) or "none"
                raise self.fail(
                    node, f"column {name!r} not found in the input table (columns: {known})", column_name=name
                )
            try:
                return self.rows.column(name)
            except ColumnTypeError as exc:
                raise self.fail(node, str(exc)) from None
        if node.op == "special":
            if node.value == "ROWID":
                return Vec(STRING, self.rows.row_ids.astype(object), np.zeros(n, dtype=bool))
            if node.value == "ROWINDEX":
                return Vec(INTEGER, np.arange(n, dtype=np.int64), np.zeros(n, dtype=bool))
            return const_vec(INTEGER, n, n)
        if node.op == "var":
            name, type_char = node.value
            kind = _RULE_VAR_KINDS.get(type_char)
            if kind is None:
                raise self.fail(
                    node, f"flow variable reference needs a type character S, I or D: $${{S{name}}}$$"
                )
            try:
                value = self.rows.variable(name)
            except UnknownAtConfigure:
                return empty_vec(kind, n)
            except KeyError:
                known = ", ".join(self.rows.variables) or "none"
                raise self.fail(
                    node, f"flow variable {name!r} is not defined (known: {known})", variable_name=name
                ) from None
            try:
                converted = {STRING: str, INTEGER: int, FLOAT: float, BOOLEAN: bool}[kind](value)
            except (TypeError, ValueError):
                raise self.fail(node, f"flow variable {name!r} = {value!r} is not of type {kind}") from None
            return const_vec(kind, converted, n)
        raise self.fail(node, f"unexpected operand {node.op}")  # pragma: no cover

    def condition(self, node: Ast) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self._cond(node)

    def _cond(self, node: Ast) -> np.ndarray:
        op = node.op
        if op in ("AND", "OR", "XOR"):
            a, b = self._cond(node.args[0]), self._cond(node.args[1])
            return a & b if op == "AND" else a | b if op == "OR" else a ^ b
        if op == "NOT":
            return ~self._cond(node.args[0])
        if op == "MISSING":
            return self.operand(node.args[0]).missing.copy()
        if op == "TRUTH":
            v = self.operand(node.args[0])
            if v.kind != BOOLEAN:
                raise self.fail(node, f"a condition must be a comparison or a Boolean value, got {v.kind}")
            return v.values & ~v.missing
        if op in ("=", "<", "<=", ">", ">="):
            return self._compare(node, self.operand(node.args[0]), self.operand(node.args[1]))
        if op in ("LIKE", "MATCHES"):
            left, right = self.operand(node.args[0]), self.operand(node.args[1])
            if right.kind != STRING:
                raise self.fail(node, f"{op} needs a string pattern on its right, got {right.kind}")
            text = to_text(left)
            if node.args[1].op == "lit" or self.n == 0:
                pattern = node.args[1].value[1] if node.args[1].op == "lit" else ""
                regex = wildcard_regex(pattern) if op == "LIKE" else pattern
                try:
                    return fullmatch(text, regex, re.S)
                except re.error as exc:
                    raise self.fail(node.args[1], f"invalid regular expression: {exc}") from None
            out = np.zeros(self.n, dtype=bool)  # a pattern from a column: one regex per distinct pattern
            for pattern in pd.unique(right.values[~right.missing]):
                rows = (right.values == pattern) & ~right.missing
                regex = wildcard_regex(pattern) if op == "LIKE" else pattern
                sub = Vec(STRING, text.values[rows], text.missing[rows])
                out[rows] = fullmatch(sub, regex, re.S)
            return out
        if op == "IN":
            left = self.operand(node.args[0])
            out = np.zeros(self.n, dtype=bool)
            for item in node.args[1:]:
                out |= self._compare(
                    Ast("=", line=item.line, column=item.column),
                    left,
                    self.operand(item),
                    missing_equal=False,
                )
            return out
        raise self.fail(node, f"unsupported condition {op}")  # pragma: no cover

    def _compare(self, node: Ast, a: Vec, b: Vec, *, missing_equal: bool = True) -> np.ndarray:
        op = node.op
        kinds = {a.kind, b.kind}
        if kinds <= NUMERIC_KINDS:
            x, y = as_float(a), as_float(b)
            if a.kind == INTEGER and b.kind == INTEGER:
                x, y = a.values, b.values
            both_nan = np.isnan(x) & np.isnan(y) if FLOAT in kinds else np.zeros(self.n, dtype=bool)
        elif kinds == {STRING} or (kinds == {BOOLEAN} and op == "="):
            x, y = a.values, b.values
            both_nan = np.zeros(self.n, dtype=bool)
        else:
            raise self.fail(node, f"cannot compare {a.kind} with {b.kind} using '{op}'")
        cmp = {"=": np.equal, "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op]
        present = ~a.missing & ~b.missing
        result = np.asarray(cmp(x, y), dtype=bool) & present
        if op in ("=", "<=", ">=") and missing_equal:
            result |= (a.missing & b.missing) | (both_nan & present)
        return result


def rule_outcome_type(kinds: list[tuple[str, str | None]]) -> str:
    """The output column type from the outcomes' kinds: the common super type (Integer < Long <
    Double for numbers; String when strings are involved or types mix)."""
    present = [(k, t) for k, t in kinds if k != MISSING]
    if not present:
        return ColumnType.STRING
    ks = {k for k, _ in present}
    if ks == {BOOLEAN}:
        return ColumnType.BOOLEAN
    if ks <= NUMERIC_KINDS:
        if FLOAT in ks:
            return ColumnType.DOUBLE
        return ColumnType.LONG if any(t == ColumnType.LONG for _, t in present) else ColumnType.INTEGER
    return ColumnType.STRING


# ====================================================================================== JEP language

_JEP_GRAMMAR = r"""
?start: expr
?expr: or_
?or_: and_
    | or_ "||" and_                     -> or_op
?and_: eq
    | and_ "&&" eq                      -> and_op
?eq: rel
    | eq "==" rel                       -> eq
    | eq "!=" rel                       -> ne
?rel: add
    | rel "<" add                       -> lt
    | rel "<=" add                      -> le
    | rel ">" add                       -> gt
    | rel ">=" add                      -> ge
?add: mul
    | add "+" mul                       -> add
    | add "-" mul                       -> sub
?mul: unary
    | mul "*" unary                     -> mul
    | mul "/" unary                     -> div
    | mul "%" unary                     -> mod
?unary: power
    | "-" unary                         -> neg
    | "+" unary
    | "!" unary                         -> not_
?power: atom
    | atom "^" unary                    -> pow
?atom: NUMBER                           -> number
    | COLUMN                            -> column
    | ROWVAR                            -> rowvar
    | FLOWVAR                           -> flow_var
    | NAME                              -> constant
    | NAME "(" ")"                      -> call
    | NAME "(" expr ("," expr)* ")"     -> call
    | "(" expr ")"

ROWVAR.3: /\$\$(ROWINDEX|ROWCOUNT)\$\$/
FLOWVAR.3: /\$\$\{[A-Za-z][^}]*\}\$\$/
COLUMN: /\$[^$]+\$/
NUMBER: /([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
%import common.WS
%ignore WS
"""

_JEP_BINOPS = {
    "or_op": "||",
    "and_op": "&&",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "mod": "%",
    "pow": "^",
}


@v_args(meta=True)
class _JepBuilder(Transformer):
    """Parse tree -> Ast for JEP (Math Formula)."""

    def __default__(self, data: str, children: list[Any], meta: Any) -> Any:
        if data in _JEP_BINOPS:
            return Ast(_JEP_BINOPS[data], (children[0], children[1]), **_pos(meta))
        raise AssertionError(f"unhandled rule {data}")  # pragma: no cover

    def neg(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("neg", (c[0],), **_pos(meta))

    def not_(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("!", (c[0],), **_pos(meta))

    def number(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=float(c[0]), **_tok_pos(c[0]))

    def column(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("col", value=str(c[0])[1:-1], **_tok_pos(c[0]))

    def rowvar(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("special", value=str(c[0])[2:-2], **_tok_pos(c[0]))

    def flow_var(self, meta: Any, c: list[Token]) -> Ast:
        body = str(c[0])[3:-3]
        return Ast("var", value=(body[1:], body[0]), **_tok_pos(c[0]))

    def constant(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("const", value=str(c[0]), **_tok_pos(c[0]))

    def call(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("call", tuple(c[1:]), value=str(c[0]), **_tok_pos(c[0]))


@lru_cache(maxsize=1)
def _jep_parser() -> Lark:
    return Lark(_JEP_GRAMMAR, parser="lalr", propagate_positions=True)


@lru_cache(maxsize=512)
def parse_jep(text: str) -> Ast:
    """Parse a Math Formula (JEP) expression."""
    if not text.strip():
        raise ExpressionError("the expression is empty", text)
    return _parse(_jep_parser(), _JepBuilder(), text, "Math Formula")


_JEP_AGGREGATES = {"COL_MIN", "COL_MAX", "COL_MEAN", "COL_MEDIAN", "COL_SUM", "COL_STDDEV", "COL_VAR"}


def jep_row_columns(ast: Ast) -> list[Ast]:
    """Column references evaluated row by row (not those inside COL_* aggregates)."""
    out: list[Ast] = []

    def visit(node: Ast) -> None:
        if node.op == "col":
            out.append(node)
        if node.op == "call" and node.value in _JEP_AGGREGATES:
            return
        for a in node.args:
            if isinstance(a, Ast):
                visit(a)

    visit(ast)
    return out


def _truth(x: np.ndarray) -> np.ndarray:
    """JEP's truth: non-zero, and NaN counts as true."""
    return (x != 0) | np.isnan(x)


def _java_round(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5)


_JEP_FUNCTIONS: dict[str, tuple[int, int, Callable[..., np.ndarray]]] = {
    "abs": (1, 1, np.abs),
    "sqrt": (1, 1, np.sqrt),
    "exp": (1, 1, np.exp),
    "ln": (1, 1, np.log),
    "log": (1, 1, np.log10),
    "pow": (2, 2, np.power),
    "sin": (1, 1, np.sin),
    "cos": (1, 1, np.cos),
    "tan": (1, 1, np.tan),
    "asin": (1, 1, np.arcsin),
    "acos": (1, 1, np.arccos),
    "atan": (1, 1, np.arctan),
    "atan2": (2, 2, np.arctan2),
    "sinh": (1, 1, np.sinh),
    "cosh": (1, 1, np.cosh),
    "tanh": (1, 1, np.tanh),
    "asinh": (1, 1, np.arcsinh),
    "acosh": (1, 1, np.arccosh),
    "atanh": (1, 1, np.arctanh),
    "floor": (1, 1, np.floor),
    "ceil": (1, 1, np.ceil),
    "round": (
        1,
        2,
        lambda x, d=None: (
            _java_round(x)
            if d is None
            else _java_round(x * np.power(10.0, np.trunc(d))) / np.power(10.0, np.trunc(d))
        ),
    ),
    "mod": (2, 2, np.fmod),
    "sgn": (1, 1, np.sign),
    "signum": (1, 1, np.sign),
    "min": (2, 99, lambda *xs: np.minimum.reduce(xs)),
    "max": (2, 99, lambda *xs: np.maximum.reduce(xs)),
    "sum": (1, 99, lambda *xs: np.add.reduce(xs)),
    "avg": (1, 99, lambda *xs: np.add.reduce(xs) / len(xs)),
    "if": (3, 3, lambda c, a, b: np.where(_truth(c), a, b)),
    "between": (3, 3, lambda x, lo, hi: ((x >= lo) & (x <= hi)).astype(np.float64)),
    "isNaN": (1, 1, lambda x: np.isnan(x).astype(np.float64)),
}

_JEP_CONSTANTS = {"pi": math.pi, "e": math.e, "PI": math.pi, "E": math.e}


class JepEvaluator:
    """Evaluates a Math Formula over `Rows` with doubles throughout. A row whose used columns hold a
    missing value gives a missing result, as does a NaN or infinite result (KNIME's JEP node)."""

    def __init__(self, text: str, rows: Rows) -> None:
        self.text = text
        self.rows = rows
        self.n = rows.n

    def fail(self, node: Ast, reason: str, **extra: Any) -> ExpressionError:
        return ExpressionError(reason, self.text, node.line, node.column, **extra)

    def evaluate(self, ast: Ast) -> Vec:
        missing = np.zeros(self.n, dtype=bool)
        for node in jep_row_columns(ast):
            missing |= self._column(node).missing
        with np.errstate(all="ignore"):
            values = np.asarray(self.ev(ast), dtype=np.float64)
        if values.shape != (self.n,):
            values = np.broadcast_to(values, (self.n,)).copy()
        missing |= ~np.isfinite(values)
        return Vec(FLOAT, np.where(missing, 0.0, values), missing)

    def _column(self, node: Ast) -> Vec:
        name = node.value
        if not self.rows.has(name):
            known = ", ".join(self.rows.types) or "none"
            raise self.fail(
                node, f"column {name!r} not found in the input table (columns: {known})", column_name=name
            )
        col_type = self.rows.types[name]
        if col_type == ColumnType.UNKNOWN and self.rows.configuring:
            raise UnknownAtConfigure(name)
        if col_type not in ColumnType.NUMERIC:
            raise self.fail(node, f"column {name!r} is {col_type}; Math Formula uses numeric columns only")
        return self.rows.column(name)

    def ev(self, node: Ast) -> np.ndarray:
        n = self.n
        op = node.op
        if op == "lit":
            return np.full(n, node.value, dtype=np.float64)
        if op == "col":
            vec = self._column(node)
            return np.where(vec.missing, np.nan, as_float(vec))
        if op == "special":
            if node.value == "ROWINDEX":
                return np.arange(n, dtype=np.float64)
            return np.full(n, float(n))
        if op == "var":
            name, _type_char = node.value
            try:
                value = self.rows.variable(name)
            except UnknownAtConfigure:
                return np.zeros(n)
            except KeyError:
                known = ", ".join(self.rows.variables) or "none"
                raise self.fail(
                    node, f"flow variable {name!r} is not defined (known: {known})", variable_name=name
                ) from None
            if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
                raise self.fail(node, f"flow variable {name!r} = {value!r} is not a number")
            return np.full(n, float(value))
        if op == "const":
            if node.value not in _JEP_CONSTANTS:
                raise self.fail(node, f"unknown constant {node.value!r} (known: pi, e)")
            return np.full(n, _JEP_CONSTANTS[node.value])
        if op == "neg":
            return -self.ev(node.args[0])
        if op == "!":
            return (~_truth(self.ev(node.args[0]))).astype(np.float64)
        if op == "call":
            return self._call(node)
        a, b = self.ev(node.args[0]), self.ev(node.args[1])
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        if op == "%":
            return np.fmod(a, b)
        if op == "^":
            return np.power(a, b)
        if op == "&&":
            return (_truth(a) & _truth(b)).astype(np.float64)
        if op == "||":
            return (_truth(a) | _truth(b)).astype(np.float64)
        if op == "!=":
            return (~(a == b)).astype(np.float64)
        cmp = {"==": np.equal, "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}[op]
        return cmp(a, b).astype(np.float64)

    def _call(self, node: Ast) -> np.ndarray:
        name = node.value
        if name in _JEP_AGGREGATES:
            if len(node.args) != 1 or node.args[0].op != "col":
                raise self.fail(node, f"{name}() needs one column reference, e.g. {name}($col$)")
            vec = self._column(node.args[0])
            present = as_float(vec)[~vec.missing]
            if present.size == 0:
                return np.full(self.n, np.nan)
            stat = {
                "COL_MIN": np.min,
                "COL_MAX": np.max,
                "COL_MEAN": np.mean,
                "COL_MEDIAN": np.median,
                "COL_SUM": np.sum,
                "COL_STDDEV": lambda v: np.std(v, ddof=1) if v.size > 1 else 0.0,
                "COL_VAR": lambda v: np.var(v, ddof=1) if v.size > 1 else 0.0,
            }[name](present)
            return np.full(self.n, float(stat))
        spec = _JEP_FUNCTIONS.get(name)
        if spec is None:
            raise self.fail(node, f"unknown function {name!r}")
        lo, hi, fn = spec
        if not lo <= len(node.args) <= hi:
            count = f"{lo}" if lo == hi else f"{lo} to {hi}" if hi < 99 else f"at least {lo}"
            raise self.fail(node, f"{name}() takes {count} argument(s), got {len(node.args)}")
        return np.asarray(fn(*[self.ev(a) for a in node.args]), dtype=np.float64)
