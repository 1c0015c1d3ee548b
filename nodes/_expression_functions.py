"""The KNIME Expression language's functions: name -> (parameters, vectorised implementation).

A subset of KNIME's catalog (knime-base-expressions): the math, control and string functions whose
semantics are unambiguous. Each implementation gets the evaluator (for type checks and errors
located at the call), the call's Ast and its evaluated arguments (None for an omitted optional one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nodes._expr_common import (
    BOOLEAN,
    FLOAT,
    INTEGER,
    MISSING,
    NUMERIC_KINDS,
    STRING,
    Ast,
    Vec,
    as_float,
    fullmatch,
    numpy_dtype,
    to_text,
)

if TYPE_CHECKING:
    from nodes._expression_language import ExpressionEvaluator

# an implementation: (evaluator, the call's Ast, its evaluated arguments) -> the result
ExprFunction = Callable[["ExpressionEvaluator", Ast, list[Vec | None]], Vec]


def _union_missing(vecs: Sequence[Vec | None]) -> np.ndarray:
    out = None
    for v in vecs:
        if v is not None:
            out = v.missing.copy() if out is None else out | v.missing
    assert out is not None
    return out


def _float_fn(f: Callable[..., np.ndarray]) -> ExprFunction:
    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        vecs = [a for a in args if a is not None]
        for v in vecs:
            ev.need(node, v, NUMERIC_KINDS, "every argument")
        return Vec(FLOAT, f(*[as_float(v) for v in vecs]), _union_missing(vecs))

    return run


def _same_kind_fn(
    f: Callable[[np.ndarray], np.ndarray],
) -> ExprFunction:
    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        v = args[0]
        assert v is not None
        ev.need(node, v, NUMERIC_KINDS, "the argument")
        kind = FLOAT if v.kind == MISSING else v.kind
        return Vec(kind, f(v.values).astype(numpy_dtype(kind)), v.missing.copy())

    return run


def _to_integer_fn(
    f: Callable[[np.ndarray], np.ndarray],
) -> ExprFunction:
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


def _fn_minmax(which: str) -> ExprFunction:
    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        vecs = [a for a in args if a is not None]
        if len(vecs) < 2:
            raise ev.fail(node, f"{which}() needs at least 2 arguments")
        for v in vecs:
            ev.need(node, v, NUMERIC_KINDS, "every argument")
        kinds = {v.kind for v in vecs} - {MISSING}
        kind = INTEGER if kinds <= {INTEGER} and kinds else FLOAT
        stack = np.vstack([v.values.astype(numpy_dtype(kind)) for v in vecs])
        vals = stack.min(axis=0) if which == "min" else stack.max(axis=0)
        return Vec(kind, vals, _union_missing(vecs))

    return run


def _fn_stat(which: str) -> ExprFunction:
    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        vecs = [a for a in args if a is not None]
        if len(vecs) < 2:  # KNIME's MathFunctions.AVERAGE/MEDIAN: input1, input2, more...
            raise ev.fail(node, f"{which}() needs at least 2 arguments")
        for v in vecs:
            ev.need(node, v, NUMERIC_KINDS, "every argument")
        stack = np.vstack([as_float(v) for v in vecs])
        vals = stack.mean(axis=0) if which == "average" else np.median(stack, axis=0)
        return Vec(FLOAT, vals, _union_missing(vecs))

    return run


def _fn_is_nan(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
    v = args[0]
    assert v is not None
    return Vec(BOOLEAN, np.isnan(as_float(v)), v.missing.copy())


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
        kind = ev.common_kind(node, kind, v.kind, "if()")
    cast = [ev.cast(v, kind) for v in values]
    out_vals = cast[-1].values.copy()
    out_miss = cast[-1].missing.copy()
    taken = np.zeros(ev.n, dtype=bool)
    for c, v in zip(conds, cast[:-1], strict=True):
        hit = c.values & ~c.missing & ~taken
        out_vals = np.where(hit, v.values, out_vals)
        out_miss = np.where(hit, v.missing, out_miss)
        taken |= hit
    return Vec(kind, out_vals.astype(numpy_dtype(kind)), out_miss)


def _string_fn(f: Callable[..., pd.Series], out_kind: str) -> ExprFunction:
    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        vecs = [a for a in args if a is not None]
        ev.need(node, vecs[0], {STRING}, "the first argument")
        for v in vecs[1:]:
            ev.need(node, v, {STRING}, "every argument")
        series = [pd.Series(v.values, dtype=object) for v in vecs]
        result = f(*series) if ev.n else pd.Series([], dtype=numpy_dtype(out_kind))
        vals = (
            result.to_numpy(dtype=numpy_dtype(out_kind)) if ev.n else np.zeros(0, dtype=numpy_dtype(out_kind))
        )
        return Vec(out_kind, vals, _union_missing(vecs))

    return run


def _str_method(method: str, out_kind: str) -> ExprFunction:
    """A `str` method applied element-wise by a numpy ufunc (the arguments may be columns)."""

    def run(ev: ExpressionEvaluator, node: Ast, args: list[Vec | None]) -> Vec:
        vecs = [a for a in args if a is not None]
        for v in vecs:
            ev.need(node, v, {STRING}, "every argument")
        fn = np.frompyfunc(getattr(str, method), len(vecs), 1)
        vals = (
            np.asarray(fn(*[v.values for v in vecs]), dtype=numpy_dtype(out_kind))
            if ev.n
            else np.zeros(0, dtype=numpy_dtype(out_kind))
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


def _fn_parse(kind: str) -> ExprFunction:
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


_FnSpec = tuple[tuple[str, ...], ExprFunction]

# name -> (parameters, implementation); "?p" optional, "*p" variadic. A subset of KNIME's catalog:
# the math, control and string functions whose semantics are unambiguous.
EXPRESSION_FUNCTIONS: dict[str, _FnSpec] = {
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
    "is_nan": (("x",), _fn_is_nan),
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
