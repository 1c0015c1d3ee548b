"""The KNIME Expression language's grammar (after knime-base-expressions' `KnimeExpression.g4`) and its
parser to `Ast`: `$["col"]`, `$col`, `$["col", -1]`, `$[ROW_ID]`, `$$var`, `+ - * / // % **`, `??`,
comparisons, `and/or/not`, constants, calls with positional and named arguments, `#` comments.
Operator nodes are located at their operator, so a type error points at the `+` that cannot apply."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer, v_args

from nodes._expr_common import (
    BOOLEAN,
    FLOAT,
    INTEGER,
    MISSING,
    STRING,
    Ast,
    ExpressionError,
    meta_position,
    parse_text,
    token_position,
)
from nodes._lark_cache import lalr_parser


def _unescape(body: str) -> str:
    def repl(m: re.Match[str]) -> str:
        c = m.group(1)
        if c.startswith("u"):
            return chr(int(c[1:], 16))
        return {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "a": "\a", "v": "\v"}.get(c, c)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", repl, body, flags=re.S)


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
        digits = c[0].replace("_", "")
        value = (
            int(digits) if len(digits) <= 19 else 2**63
        )  # longer: out of range, never int() of 5000 digits
        if value >= 2**63:  # KNIME's INTEGER is a Java long
            raise ExpressionError(
                f"the integer {digits[:30]}{'…' if len(digits) > 30 else ''} does not fit in 64 bits "
                "(write it as a float, e.g. with .0)",
                "",
                c[0].line,
                c[0].column,
            )
        return Ast("lit", value=(INTEGER, value), **token_position(c[0]))

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
    return lalr_parser(_EXPR_GRAMMAR, propagate_positions=True, maybe_placeholders=False)


@lru_cache(maxsize=512)
def parse_expression(text: str) -> Ast:
    """Parse a KNIME Expression language script (raises ExpressionError with line/column)."""
    if not text.strip():
        raise ExpressionError("the expression is empty", text)
    return parse_text(_expr_parser(), _ExprBuilder(), text, "expression")
