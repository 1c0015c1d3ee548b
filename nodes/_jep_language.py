"""JEP, the Math Formula node's language: `$col$`, `$$ROWINDEX$$`, `$${Iname}$$`, `+ - * / % ^`,
`if(c, a, b)`, `COL_MEAN($col$)`, every value a double; a grammar, a parser to `Ast` and a
vectorised evaluator."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from lark import Lark, Token, Transformer, v_args

from engine.api import ColumnType
from nodes._expr_common import (
    FLOAT,
    Ast,
    ExpressionError,
    Rows,
    UnknownAtConfigure,
    Vec,
    as_float,
    meta_position,
    parse_text,
    token_position,
)
from nodes._lark_cache import lalr_parser

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

ROWVAR.3: /\$\$(ROWINDEX|ROWCOUNT|CURRENT_COLUMN)\$\$/
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
            return Ast(_JEP_BINOPS[data], (children[0], children[1]), **meta_position(meta))
        raise AssertionError(f"unhandled rule {data}")  # pragma: no cover

    def neg(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("neg", (c[0],), **meta_position(meta))

    def not_(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("!", (c[0],), **meta_position(meta))

    def number(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=float(c[0]), **token_position(c[0]))

    def column(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("col", value=str(c[0])[1:-1], **token_position(c[0]))

    def rowvar(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("special", value=str(c[0])[2:-2], **token_position(c[0]))

    def flow_var(self, meta: Any, c: list[Token]) -> Ast:
        body = str(c[0])[3:-3]
        return Ast("var", value=(body[1:], body[0]), **token_position(c[0]))

    def constant(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("const", value=str(c[0]), **token_position(c[0]))

    def call(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("call", tuple(c[1:]), value=str(c[0]), **token_position(c[0]))


@lru_cache(maxsize=1)
def _jep_parser() -> Lark:
    return lalr_parser(_JEP_GRAMMAR, propagate_positions=True)


@lru_cache(maxsize=512)
def parse_jep(text: str) -> Ast:
    """Parse a Math Formula (JEP) expression."""
    if not text.strip():
        raise ExpressionError("the expression is empty", text)
    return parse_text(_jep_parser(), _JepBuilder(), text, "Math Formula")


_JEP_AGGREGATE_STATS: dict[str, Callable[[np.ndarray], Any]] = {
    "COL_MIN": np.min,
    "COL_MAX": np.max,
    "COL_MEAN": np.mean,
    "COL_MEDIAN": np.median,
    "COL_SUM": np.sum,
    "COL_STDDEV": lambda v: np.std(v, ddof=1) if v.size > 1 else 0.0,
    "COL_VAR": lambda v: np.var(v, ddof=1) if v.size > 1 else 0.0,
}
_JEP_AGGREGATES = set(_JEP_AGGREGATE_STATS)


CURRENT_COLUMN = "CURRENT_COLUMN"


def with_current_column(ast: Ast, column: str) -> Ast:
    """Math Formula (Multi Column): `$$CURRENT_COLUMN$$` read as a reference to `column`."""
    if ast.op == "special" and ast.value == CURRENT_COLUMN:
        return dataclasses.replace(ast, op="col", value=column)
    if not ast.args:
        return ast
    args = tuple(with_current_column(a, column) if isinstance(a, Ast) else a for a in ast.args)
    return dataclasses.replace(ast, args=args)


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


_JEP_FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
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
# the function catalogue the editor's formula editor offers
JEP_FUNCTION_NAMES = sorted(_JEP_FUNCTIONS) + sorted(_JEP_AGGREGATE_STATS)


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
        """The doubles of one sub-expression (NaN where a used column is missing)."""
        handler = self._HANDLERS.get(node.op)
        if handler is not None:
            return handler(self, node)
        a, b = self.ev(node.args[0]), self.ev(node.args[1])
        return _JEP_BINARY[node.op](a, b)

    def _literal(self, node: Ast) -> np.ndarray:
        return np.full(self.n, node.value, dtype=np.float64)

    def _column_values(self, node: Ast) -> np.ndarray:
        vec = self._column(node)
        return np.where(vec.missing, np.nan, as_float(vec))

    def _row_special(self, node: Ast) -> np.ndarray:
        if node.value == CURRENT_COLUMN:
            raise self.fail(node, "$$CURRENT_COLUMN$$ is only known in Math Formula (Multi Column)")
        if node.value == "ROWINDEX":
            return np.arange(self.n, dtype=np.float64)
        return np.full(self.n, float(self.n))

    def _flow_variable(self, node: Ast) -> np.ndarray:
        name, _type_char = node.value
        try:
            value = self.rows.variable(name)
        except UnknownAtConfigure:
            return np.zeros(self.n)
        except KeyError:
            known = ", ".join(self.rows.variables) or "none"
            raise self.fail(
                node, f"flow variable {name!r} is not defined (known: {known})", variable_name=name
            ) from None
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise self.fail(node, f"flow variable {name!r} = {value!r} is not a number")
        return np.full(self.n, float(value))

    def _constant(self, node: Ast) -> np.ndarray:
        if node.value not in _JEP_CONSTANTS:
            raise self.fail(node, f"unknown constant {node.value!r} (known: pi, e)")
        return np.full(self.n, _JEP_CONSTANTS[node.value])

    def _negate(self, node: Ast) -> np.ndarray:
        return -self.ev(node.args[0])

    def _not(self, node: Ast) -> np.ndarray:
        return (~_truth(self.ev(node.args[0]))).astype(np.float64)

    def _call(self, node: Ast) -> np.ndarray:
        name = node.value
        if name in _JEP_AGGREGATES:
            return self._aggregate(node)
        spec = _JEP_FUNCTIONS.get(name)
        if spec is None:
            raise self.fail(node, f"unknown function {name!r}")
        lo, hi, fn = spec
        if not lo <= len(node.args) <= hi:
            count = f"{lo}" if lo == hi else f"{lo} to {hi}" if hi < 99 else f"at least {lo}"
            raise self.fail(node, f"{name}() takes {count} argument(s), got {len(node.args)}")
        return np.asarray(fn(*[self.ev(a) for a in node.args]), dtype=np.float64)

    def _aggregate(self, node: Ast) -> np.ndarray:
        """COL_MEAN($col$) and friends: one statistic of the whole column, for every row."""
        name = node.value
        if len(node.args) != 1 or node.args[0].op != "col":
            raise self.fail(node, f"{name}() needs one column reference, e.g. {name}($col$)")
        vec = self._column(node.args[0])
        present = as_float(vec)[~vec.missing]
        if present.size == 0:
            return np.full(self.n, np.nan)
        return np.full(self.n, float(_JEP_AGGREGATE_STATS[name](present)))

    _HANDLERS: ClassVar[dict[str, Callable[[JepEvaluator, Ast], np.ndarray]]] = {
        "lit": _literal,
        "col": _column_values,
        "special": _row_special,
        "var": _flow_variable,
        "const": _constant,
        "neg": _negate,
        "!": _not,
        "call": _call,
    }


def _as_double(
    f: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A comparison or logical operator as JEP gives it: 1.0 for true, 0.0 for false."""
    return lambda a, b: f(a, b).astype(np.float64)


# binary operators over doubles (JEP's truth: non-zero, NaN counts as true)
_JEP_BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "%": np.fmod,
    "^": np.power,
    "&&": _as_double(lambda a, b: _truth(a) & _truth(b)),
    "||": _as_double(lambda a, b: _truth(a) | _truth(b)),
    "!=": _as_double(lambda a, b: ~(a == b)),
    "==": _as_double(np.equal),
    "<": _as_double(np.less),
    "<=": _as_double(np.less_equal),
    ">": _as_double(np.greater),
    ">=": _as_double(np.greater_equal),
}
