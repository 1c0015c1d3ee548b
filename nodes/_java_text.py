"""Java's number parsing and printing, and Java charset names, for the IO and table nodes.

KNIME reads numbers with `Integer.parseInt` / `Double.parseDouble` and prints them with
`Double.toString` or a `DecimalFormat`; matching those rules keeps type guessing, written files and
transposed cells identical to KNIME's.
"""

from __future__ import annotations

import codecs
import math
import re
from typing import Any

import pandas as pd

from engine.api import ColumnType

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)

# Double.parseDouble's grammar (FloatingDecimal.readJavaFormatString), after trimming
_DEC = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?"
_HEX = r"0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+[fFdD]?"
DOUBLE_RE = re.compile(rf"[+-]?(?:NaN|Infinity|{_DEC}|{_HEX})")
INT_RE = re.compile(r"[+-]?[0-9]+")
_JAVA_WS = "".join(chr(i) for i in range(33))  # String.trim() removes chars <= ' '


def java_trim(text: str) -> str:
    return text.strip(_JAVA_WS)


def short_string_from(names: list[str], shown: int = 3) -> str:
    """ConvenienceMethods.getShortStringFrom, which KNIME's error messages list names with:
    the first names quoted, then `... <k more>`."""
    text = ", ".join(f'"{n}"' for n in names[:shown])
    return text + (f",  ... <{len(names) - shown} more>" if len(names) > shown else "")


def parse_java_double(text: str) -> float:
    """`Double.parseDouble`; raises ValueError for what Java rejects."""
    s = java_trim(text)
    if not DOUBLE_RE.fullmatch(s):
        raise ValueError(f"not a number: {text!r}")
    if s[-1] in "fFdD" and not s.endswith(("NaN", "Infinity")):
        s = s[:-1]
    body = s.lstrip("+-")
    if body[:2] in ("0x", "0X"):
        value = float.fromhex(body)
        return -value if s.startswith("-") else value
    if body == "NaN":
        return math.nan
    if body == "Infinity":
        return -math.inf if s.startswith("-") else math.inf
    return float(s)


def parse_java_int(text: str, bits: int = 32) -> int:
    """`Integer.parseInt` (bits=32) or `Long.parseLong` (bits=64): no whitespace, range-checked."""
    if not INT_RE.fullmatch(text):
        raise ValueError(f"not an integer: {text!r}")
    value = int(text)
    lo, hi = INT32 if bits == 32 else INT64
    if not lo <= value <= hi:
        raise ValueError(f"out of range for a {bits}-bit integer: {text!r}")
    return value


def _digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits of |value| (no leading/trailing zeros) and the decimal exponent of
    the first digit: value = d1.d2d3... * 10**e10. Read off `repr`, which is shortest round-trip."""
    text = repr(abs(value))
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    point = len(whole) + (int(exp) if exp else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    stripped = stripped.rstrip("0") or "0"
    return stripped, point - 1


def java_double_to_string(value: float) -> str:
    """`Double.toString`: KNIME's text for a Double cell (`0.0`, `1.0E-5`, `1.2345678E7`)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return f"{sign}0.0"
    text, e10 = _digits(value)
    if 1e-3 <= abs(value) < 1e7:
        if e10 >= 0:
            whole = text[: e10 + 1].ljust(e10 + 1, "0")
            frac = text[e10 + 1 :] or "0"
        else:
            whole, frac = "0", "0" * (-e10 - 1) + text
        return f"{sign}{whole}.{frac}"
    return f"{sign}{text[0]}.{text[1:] or '0'}E{e10}"


def java_decimal_format(value: float, keep_trailing_zero: bool = False) -> str:
    """`new DecimalFormat("#.#")` (or `"#.0"`) with 340 fraction digits, as KNIME's CSV Writer
    prints doubles: plain notation, no integer zero before the point (`.5`), `1` for 1.0."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"  # DecimalFormatSymbols.getInfinity()
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return f"{sign}.0" if keep_trailing_zero else f"{sign}0"
    text, e10 = _digits(value)
    if e10 >= 0:
        whole = text[: e10 + 1].ljust(e10 + 1, "0")
        frac = text[e10 + 1 :]
    else:
        whole, frac = "", "0" * (-e10 - 1) + text
    if keep_trailing_zero and not frac:
        frac = "0"
    if not frac:
        return f"{sign}{whole or '0'}"
    return f"{sign}{whole}.{frac}"


_JAVA_CHARSETS = {
    "windows-31j": "cp932",
    "ms932": "cp932",
    "x-utf-16le-bom": "utf-16",
    "x-utf-32le-bom": "utf-32",
}


def python_codec(charset: str | None) -> str:
    """A Java charset name as a Python codec name (None: UTF-8); ValueError if unknown."""
    if not charset:
        return "utf-8"
    name = _JAVA_CHARSETS.get(charset.lower(), charset)
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"unknown character set {charset!r}") from None


def cell_to_string(value: Any, col_type: str) -> str:
    """A cell as KNIME prints it with toString (Column Combiner, RowID): a String's own text,
    numbers as Java prints them, `?` for a missing cell."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "?"
    if col_type == ColumnType.DOUBLE:
        return java_double_to_string(float(value))
    if col_type == ColumnType.BOOLEAN:
        return "true" if value else "false"
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        return str(int(value))
    return str(value)
