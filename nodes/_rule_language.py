"""The Rule Engine language (Rule Engine, Rule-based Row Filter/Splitter): one rule per line,
`$col$ >= 0 => "stable"`, `AND/OR/XOR/NOT`, `LIKE`, `MATCHES`, `IN`, `MISSING`; a grammar, a parser
to `Ast` and a vectorised evaluator of conditions and outcomes."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
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
    UnknownAtConfigure,
    Vec,
    as_float,
    const_vec,
    empty_vec,
    fullmatch,
    meta_position,
    parse_text,
    to_text,
    token_position,
    wildcard_regex,
)
from nodes._lark_cache import lalr_parser

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
            return Ast(_RULE_BINOPS[data], (children[0], children[1]), **meta_position(meta))
        raise AssertionError(f"unhandled rule {data}")  # pragma: no cover

    def rule(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("rule", (c[0], c[1]), **meta_position(meta))

    def not_(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("NOT", (c[0],), **meta_position(meta))

    def is_missing(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("MISSING", (c[0],), **meta_position(meta))

    def compare(self, meta: Any, c: list[Any]) -> Ast:
        return Ast(str(c[1]), (c[0], c[2]), **token_position(c[1]))

    def like(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("LIKE", (c[0], c[2]), **token_position(c[1]))

    def matches(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("MATCHES", (c[0], c[2]), **token_position(c[1]))

    def in_(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("IN", tuple(c), **meta_position(meta))

    def truth(self, meta: Any, c: list[Any]) -> Ast:
        return Ast("TRUTH", (c[0],), **meta_position(meta))

    def column(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("col", value=(str(c[0])[1:-1], 0), **token_position(c[0]))

    def flow_var(self, meta: Any, c: list[Token]) -> Ast:
        body = str(c[0])[3:-3]  # ${Sname}
        return Ast("var", value=(body[1:], body[0]), **token_position(c[0]))

    def special(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("special", value=str(c[0])[2:-2], **token_position(c[0]))

    def string(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(STRING, str(c[0])[1:-1]), **token_position(c[0]))

    def number(self, meta: Any, c: list[Token]) -> Ast:
        text = str(c[0])
        if re.fullmatch(r"[+-]?[0-9]+", text):
            return Ast("lit", value=(INTEGER, int(text)), **token_position(c[0]))
        return Ast("lit", value=(FLOAT, float(text)), **token_position(c[0]))

    def true(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(BOOLEAN, True), **token_position(c[0]))

    def false(self, meta: Any, c: list[Token]) -> Ast:
        return Ast("lit", value=(BOOLEAN, False), **token_position(c[0]))


@lru_cache(maxsize=1)
def _rule_parser() -> Lark:
    return lalr_parser(_RULE_GRAMMAR, propagate_positions=True)


def is_rule_comment(line: str) -> bool:
    """Blank lines and `//` comment lines are not rules."""
    stripped = line.strip()
    return not stripped or stripped.startswith("//")


@lru_cache(maxsize=512)
def parse_rule(text: str) -> Ast:
    """Parse one Rule Engine rule (`condition => outcome`)."""
    return parse_text(_rule_parser(), _RuleBuilder(), text, "rule")


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
