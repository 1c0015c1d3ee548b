"""The KNIME Expression language (the Expression node, KNIME 5.x): a vectorised evaluator of the `Ast`
that `nodes._expression_grammar.parse_expression` builds, with the language's constants and
`COLUMN_*` aggregates; its functions (`abs`, `exp`, `if`, ...) are in `nodes._expression_functions`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

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
    numpy_dtype,
    to_text,
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
        """The values of one sub-expression (operators check their operands' kinds here)."""
        handler = self._HANDLERS.get(node.op)
        if handler is None:
            raise self.fail(node, f"unsupported operation {node.op}")  # pragma: no cover
        return handler(self, node)

    # -- leaves
    def _literal(self, node: Ast) -> Vec:
        kind, value = node.value
        return const_vec(kind, value, self.n)

    def _column(self, node: Ast) -> Vec:
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

    def _row_special(self, node: Ast) -> Vec:
        n = self.n
        if node.value == "ROW_INDEX":
            return Vec(INTEGER, np.arange(n, dtype=np.int64), np.zeros(n, dtype=bool))
        if node.value == "ROW_NUMBER":
            return Vec(INTEGER, np.arange(1, n + 1, dtype=np.int64), np.zeros(n, dtype=bool))
        return Vec(STRING, self.rows.row_ids.astype(object), np.zeros(n, dtype=bool))

    def _flow_variable(self, node: Ast) -> Vec:
        try:
            value = self.rows.variable(node.value)
        except KeyError:
            known = ", ".join(self.rows.variables) or "none"
            raise self.fail(
                node,
                f"flow variable {node.value!r} is not defined (known: {known})",
                variable_name=node.value,
            ) from None
        return _value_vec(value, self.n)

    def _constant(self, node: Ast) -> Vec:
        if node.value not in _EXPR_CONSTANTS:
            raise self.fail(node, f"unknown constant {node.value!r} (known: {', '.join(_EXPR_CONSTANTS)})")
        kind, value = _EXPR_CONSTANTS[node.value]
        return const_vec(kind, value, self.n)

    # -- operators
    def _negate(self, node: Ast) -> Vec:
        a = self.ev(node.args[0])
        if a.kind == MISSING:
            return a
        if a.kind not in NUMERIC_KINDS:
            raise self.fail(node, f"unary '-' cannot be applied to {a.kind}")
        return Vec(a.kind, -a.values, a.missing.copy())

    def _not(self, node: Ast) -> Vec:
        a = self.ev(node.args[0])
        if a.kind == MISSING:
            return Vec(BOOLEAN, np.zeros(self.n, dtype=bool), np.ones(self.n, dtype=bool))
        if a.kind != BOOLEAN:
            raise self.fail(node, f"'not' needs a BOOLEAN operand, got {a.kind}")
        return Vec(BOOLEAN, ~a.values, a.missing.copy())

    def _logic_op(self, node: Ast) -> Vec:
        return self._logic(node, self.ev(node.args[0]), self.ev(node.args[1]))

    def _compare_op(self, node: Ast) -> Vec:
        return self._compare(node, self.ev(node.args[0]), self.ev(node.args[1]))

    def _arith_op(self, node: Ast) -> Vec:
        return self._arith(node, self.ev(node.args[0]), self.ev(node.args[1]))

    def _missing_fallback(self, node: Ast) -> Vec:
        """`a ?? b`: b where a is MISSING."""
        a, b = self.ev(node.args[0]), self.ev(node.args[1])
        kind = self.common_kind(node, a.kind, b.kind, "??")
        a2, b2 = self.cast(a, kind), self.cast(b, kind)
        take_b = a.missing
        return Vec(kind, np.where(take_b, b2.values, a2.values), np.where(take_b, b2.missing, a2.missing))

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
        kind = self._arith_kind(node, a, b)
        if MISSING in (a.kind, b.kind):
            return Vec(
                kind, np.full(self.n, filler(kind), dtype=numpy_dtype(kind)), np.ones(self.n, dtype=bool)
            )
        if kind == FLOAT:
            return Vec(FLOAT, _FLOAT_ARITH[op](as_float(a), as_float(b)), missing)
        x, y = a.values.astype(np.int64), b.values.astype(np.int64)
        if op in ("//", "%"):
            return Vec(INTEGER, self._integer_division(op, x, y, missing), missing)
        if op == "**":
            return Vec(INTEGER, _integer_power(x, y), missing)
        return Vec(INTEGER, _INTEGER_ARITH[op](x, y), missing)

    def _arith_kind(self, node: Ast, a: Vec, b: Vec) -> str:
        """The result kind of `a op b` for numbers: INTEGER op INTEGER stays INTEGER except for `/`."""
        op = node.op
        for v in (a, b):
            if v.kind not in NUMERIC_KINDS and v.kind != MISSING:
                raise self.fail(node, f"operator '{op}' cannot be applied to {a.kind} and {b.kind}")
        known = {a.kind, b.kind} - {MISSING}
        if op == "/":
            return FLOAT
        if op == "//":
            if known - {INTEGER}:
                raise self.fail(node, f"operator '//' needs INTEGER operands, got {a.kind} and {b.kind}")
            return INTEGER
        return INTEGER if known <= {INTEGER} else FLOAT

    def _integer_division(self, op: str, x: np.ndarray, y: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """INTEGER `//` and `%`; a zero divisor gives 0 (with a warning)."""
        zero = (y == 0) & ~missing
        if zero.any():
            self._warn_once(f"integer {'division' if op == '//' else 'modulo'} by zero gives 0")
        safe = np.where(y == 0, 1, y)
        vals = np.floor_divide(x, safe) if op == "//" else np.fmod(x, safe)
        return np.where(y == 0, 0, vals)

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

    _HANDLERS: ClassVar[dict[str, Callable[[ExpressionEvaluator, Ast], Vec]]] = {
        "lit": _literal,
        "col": _column,
        "special": _row_special,
        "var": _flow_variable,
        "const": _constant,
        "neg": _negate,
        "not": _not,
        **dict.fromkeys(("and", "or"), _logic_op),
        **dict.fromkeys(("<", "<=", ">", ">=", "==", "!="), _compare_op),
        "??": _missing_fallback,
        **dict.fromkeys(("+", "-", "*", "/", "//", "%", "**"), _arith_op),
        "call": _call,
    }


_FLOAT_ARITH: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "%": np.fmod,  # Java's remainder: the sign of the dividend
    "**": np.power,
}

_INTEGER_ARITH: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
}


def _integer_power(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """INTEGER ** INTEGER: exact for exponents >= 0, truncated towards zero below."""
    neg = y < 0
    vals = np.power(x, np.where(neg, 0, y))
    if neg.any():
        fl = np.trunc(np.power(x.astype(np.float64), y.astype(np.float64)))
        fl = np.where(np.isfinite(fl), fl, 0.0)
        vals = np.where(neg, fl.astype(np.int64), vals)
    return vals


def expression_output_type(kind: str) -> str:
    """The KNIME column type the Expression node writes for a result kind (INTEGER -> Long)."""
    return {
        INTEGER: ColumnType.LONG,
        FLOAT: ColumnType.DOUBLE,
        STRING: ColumnType.STRING,
        BOOLEAN: ColumnType.BOOLEAN,
    }[kind]
