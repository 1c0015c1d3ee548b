"""Java's method overloads for KNIME's String Manipulation: which overload javac picks for the
argument kinds (fixed arity first, then varargs), how the arguments are boxed and unboxed when it is
called, and the `String` methods an expression may call on a string (`$name$.length()`).

Kinds are nodes._string_functions' (S String, I int, L long, D double, C char, Z boolean, ...; N is
a null literal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nodes._string_functions import JavaError, Overload, java_string

Fn = Callable[[Any], Any]  # a compiled expression: row -> value

NUMERIC = ("I", "L", "D", "C")
RANK = {"C": 0, "I": 1, "L": 2, "D": 3}


def npe_bool(v: Any) -> bool:
    if v is None:
        raise JavaError("NullPointerException")
    return bool(v)


def npe_str(v: Any) -> str:
    if v is None:
        raise JavaError("NullPointerException")
    return str(v)


def score(arg: str, param: str) -> int | None:
    """How an argument kind fits a parameter (None: not applicable)."""
    if param == "S":
        return 0 if arg == "S" else 1 if arg == "N" else None
    if param == "O":
        return 2
    if param in ("Ib", "Lb", "Db", "Zb"):
        return 0 if arg == param[0] else 1 if arg == "N" else None
    if param == arg:
        return 0
    if param in ("I", "L", "D") and arg in NUMERIC and RANK[arg] <= RANK[param]:
        return 1
    return None


def resolve(overloads: list[Overload], kinds: list[str]) -> Overload | None:
    """javac's choice: fixed arity first (best total fit), then varargs."""
    best: tuple[int, Overload] | None = None
    for o in overloads:
        total = _fixed_arity_fit(o, kinds)
        if total is not None and (best is None or total < best[0]):
            best = (total, o)
    if best is not None:
        return best[1]
    return next((o for o in overloads if _varargs_fit(o, kinds)), None)


def _is_varargs(o: Overload) -> bool:
    return bool(o.params) and o.params[-1].endswith("...")


def _fixed_arity_fit(o: Overload, kinds: list[str]) -> int | None:
    """The total fit of a fixed-arity overload (lower is closer); None if it does not apply."""
    if _is_varargs(o) or len(o.params) != len(kinds):
        return None
    scores = [score(k, p) for k, p in zip(kinds, o.params, strict=True)]
    if any(s is None for s in scores):
        return None
    return sum(s for s in scores if s is not None)


def _varargs_fit(o: Overload, kinds: list[str]) -> bool:
    """Whether a varargs overload takes these arguments (a String[] may stand for `String...`)."""
    if not _is_varargs(o):
        return False
    fixed, element = o.params[:-1], o.params[-1][:-3]
    if len(kinds) < len(fixed):
        return False
    if any(score(k, p) is None for k, p in zip(kinds, fixed, strict=False)):
        return False
    rest = kinds[len(fixed) :]
    if element == "S" and len(rest) == 1 and rest[0] == "A":
        return True
    return all(score(k, element) is not None for k in rest)


def invoke(o: Overload, args: list[tuple[str, Fn]]) -> Fn:
    fns = [f for _, f in args]
    kinds = [k for k, _ in args]
    params = list(o.params)
    varargs = bool(params) and params[-1].endswith("...")
    n_fixed = len(params) - 1 if varargs else len(params)

    def value(k: str, p: str, v: Any) -> Any:
        if p.startswith("O"):
            return None if v is None else java_string(v, k)
        if p in ("I", "L", "D", "C", "Z"):
            if v is None:
                raise JavaError("NullPointerException")
            if p in ("I", "L") and isinstance(v, str):
                return ord(v)
            if p == "D":
                return float(v) if not isinstance(v, str) else float(ord(v))
        return v

    def call(r: Any) -> Any:
        values = [f(r) for f in fns]
        fixed = [value(kinds[i], params[i], values[i]) for i in range(n_fixed)]
        if varargs:
            element = params[-1][:-3]
            rest = values[n_fixed:]
            if element == "S" and len(rest) == 1 and kinds[n_fixed] == "A":
                packed = list(rest[0]) if rest[0] is not None else None
            else:
                packed = [value(kinds[n_fixed + i], element, v) for i, v in enumerate(rest)]
            if packed is None:
                raise JavaError("NullPointerException")
            return o.impl(*fixed, packed)
        return o.impl(*fixed)

    return call


def java_substring(s: str, a: int, b: int) -> str:
    if a < 0 or b > len(s) or a > b:
        raise JavaError(f"StringIndexOutOfBoundsException: begin {a}, end {b}, length {len(s)}")
    return s[a:b]


STRING_METHODS: dict[tuple[str, int], tuple[tuple[str, ...], str, Callable[..., Any]]] = {
    ("length", 0): ((), "I", len),
    ("toUpperCase", 0): ((), "S", str.upper),
    ("toLowerCase", 0): ((), "S", str.lower),
    ("trim", 0): ((), "S", lambda s: s.strip("".join(chr(c) for c in range(33)))),
    ("isEmpty", 0): ((), "Z", lambda s: s == ""),
    ("equals", 1): (("O",), "Z", lambda s, o: s == o),
    ("equalsIgnoreCase", 1): (("S",), "Z", lambda s, o: o is not None and s.lower() == o.lower()),
    ("contains", 1): (("S",), "Z", lambda s, o: npe_str(o) in s),
    ("startsWith", 1): (("S",), "Z", lambda s, o: s.startswith(npe_str(o))),
    ("endsWith", 1): (("S",), "Z", lambda s, o: s.endswith(npe_str(o))),
    ("concat", 1): (("S",), "S", lambda s, o: s + npe_str(o)),
    ("substring", 1): (("I",), "S", lambda s, a: java_substring(s, a, len(s))),
    ("substring", 2): (("I", "I"), "S", lambda s, a, b: java_substring(s, a, b)),
    ("indexOf", 1): (("S",), "I", lambda s, o: s.find(npe_str(o))),
    ("lastIndexOf", 1): (("S",), "I", lambda s, o: s.rfind(npe_str(o))),
}
