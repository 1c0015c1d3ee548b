"""The KNIME Expression language (the Expression node, KNIME 5.x): grammar after knime-base-expressions'
`KnimeExpression.g4`, a parser to `Ast` and a vectorised evaluator.

`$["col"]`, `$col`, `$["col", -1]`, `$[ROW_ID]`, `$$var`, `+ - * / // % **`, `??`, comparisons,
`and/or/not`, constants such as `PI`; the functions (`abs`, `exp`, `if`, ...) are in
`nodes._expression_functions`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
from lark import Lark, Token, Transformer, v_args

from engine.api import ColumnType
from nodes._expr_common import (
    BOOLEAN,
    FLOAT,
    INTEGER,
    MISSING,
    NUMERIC_KINDS,
    STRING,
    Ast,
    ColumnTypeError,
    ExpressionError,
    Rows,
    Vec,
    as_float,
    const_vec,
    filler,
    meta_position,
    numpy_dtype,
    parse_text,
    to_text,
    token_position,
)
from nodes._expression_functions import EXPRESSION_FUNCTIONS


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
    values = np.full(n, filler(vec.kind), dtype=vec.values.dtype)
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
        return Ast(_EXPR_OPS[str(c[1])], (c[0], c[2]), **token_position(c[1]))

    def unop(self, meta: Any, c: list[Any]) -> Ast:
        op = _EXPR_OPS[str(c[0])]
        return Ast("neg" if op == "-" else "not", (c[1],), **token_position(c[0]))

    def fallback_neg(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("??", (c[0], Ast("neg", (c[3],), **token_position(c[2]))), **token_position(c[1]))

    def integer(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(INTEGER, int(c[0].replace("_", ""))), **token_position(c[0]))

    def float(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(FLOAT, float(c[0].replace("_", ""))), **token_position(c[0]))

    def string(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(STRING, _unescape(c[0][1:-1])), **token_position(c[0]))

    def true(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(BOOLEAN, True), **token_position(c[0]))

    def false(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(BOOLEAN, False), **token_position(c[0]))

    def missing(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(MISSING, None), **token_position(c[0]))

    def row_index(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("special", value="ROW_INDEX", **token_position(c[0]))

    def row_number(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("special", value="ROW_NUMBER", **token_position(c[0]))

    def row_id(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("special", value="ROW_ID", **token_position(c[0]))

    def column(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("col", value=(str(c[0])[1:], 0), **token_position(c[0]))

    def column_long(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("col", value=(_unescape(c[0][1:-1]), 0), **meta_position(meta))

    def column_offset(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("col", value=(_unescape(c[0][1:-1]), c[1]), **meta_position(meta))

    def offset_pos(self, meta: Any, c: list[Token]) -> int:
        return int(c[0].replace("_", ""))

    def offset_neg(self, meta: Any, c: list[Token]) -> int:
        return -int(c[1].replace("_", ""))

    def flow_var(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("var", value=str(c[0])[2:], **token_position(c[0]))

    def flow_var_long(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("var", value=_unescape(c[0][1:-1]), **meta_position(meta))

    def constant(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("const", value=str(c[0]), **token_position(c[0]))

    def call(self, meta: Any, c: list[Any]) -> Ast:
        args = c[1] if len(c) > 1 else []
        positional = tuple(a for a in args if isinstance(a, Ast))
        named = tuple(a for a in args if isinstance(a, tuple))
        return Ast("call", positional, value=str(c[0]), kwargs=named, **token_position(c[0]))

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
    return parse_text(_expr_parser(), _ExprBuilder(), text, "expression")


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
            kind = self.common_kind(node, a.kind, b.kind, "??")
            a2, b2 = self.cast(a, kind), self.cast(b, kind)
            take_b = a.missing
            return Vec(kind, np.where(take_b, b2.values, a2.values), np.where(take_b, b2.missing, a2.missing))
        if op in ("+", "-", "*", "/", "//", "%", "**"):
            return self._arith(node, self.ev(node.args[0]), self.ev(node.args[1]))
        if op == "call":
            return self._call(node)
        raise self.fail(node, f"unsupported operation {op}")  # pragma: no cover

    def common_kind(self, node: Ast, a: str, b: str, what: str) -> str:
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
    def cast(v: Vec, kind: str) -> Vec:
        if v.kind == kind:
            return v
        if v.kind == MISSING:
            return Vec(kind, np.full(len(v), filler(kind), dtype=numpy_dtype(kind)), v.missing)
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
                kind, np.full(self.n, filler(kind), dtype=numpy_dtype(kind)), np.ones(self.n, dtype=bool)
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
        spec = EXPRESSION_FUNCTIONS.get(name)
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


def expression_output_type(kind: str) -> str:
    """The KNIME column type the Expression node writes for a result kind (INTEGER -> Long)."""
    return {
        INTEGER: ColumnType.LONG,
        FLOAT: ColumnType.DOUBLE,
        STRING: ColumnType.STRING,
        BOOLEAN: ColumnType.BOOLEAN,
    }[kind]
