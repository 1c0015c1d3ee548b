"""KNIME's String Manipulation function library (org.knime.base.node.preproc.stringmanipulation
.manipulator and org.knime.core.util.string.KnimeStringUtils), in Python with Java's semantics.

Each function is a list of Java overloads: parameter kinds, return kind and implementation. Kinds:
S String, I int, L long, D double, Z boolean, C char, A String[], O Object; `Ib`/`Lb`/`Db` are the
boxed Integer/Long/Double parameters of the conversion overloads (no widening), `S...`/`O...`
varargs. A Java exception (e.g. a NullPointerException on a null argument) is raised as `JavaError`:
KNIME then leaves the cell missing and warns.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nodes._java_text import java_double_to_string, parse_java_double, parse_java_int


class JavaError(Exception):
    """A Java exception thrown while evaluating (NullPointerException, NumberFormatException...)."""


@dataclass(frozen=True)
class Overload:
    params: tuple[str, ...]
    returns: str
    impl: Callable[..., Any]


# ------------------------------------------------------------------------------------ Java helpers

_JAVA_WS = {chr(c) for c in (9, 10, 11, 12, 13, 28, 29, 30, 31)}


def _is_whitespace(ch: str) -> bool:
    """Character.isWhitespace: space separators except the no-break ones, and the ASCII controls."""
    if ch in _JAVA_WS:
        return True
    return unicodedata.category(ch) in ("Zs", "Zl", "Zp") and ch not in "\u00a0\u2007\u202f"


def _npe(value: Any) -> Any:
    if value is None:
        raise JavaError("NullPointerException")
    return value


def wrap32(n: int) -> int:
    return (n + 2**31) % 2**32 - 2**31


def wrap64(n: int) -> int:
    return (n + 2**63) % 2**64 - 2**63


def double_to_long(d: float, bits: int = 64) -> int:
    """Java's (long)/(int) cast of a double: truncation, saturated, NaN -> 0."""
    if math.isnan(d):
        return 0
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if math.isinf(d):
        return hi if d > 0 else lo
    return max(lo, min(hi, int(d)))


def java_string(value: Any, kind: str) -> str:
    """String.valueOf / string concatenation of a value of the given kind."""
    if value is None:
        return "null"
    if kind == "D":
        return java_double_to_string(float(value))
    if kind == "Z":
        return "true" if value else "false"
    if kind == "A":
        return "[Ljava.lang.String;@" + format(id(value) & 0xFFFFFF, "x")
    return str(value)


def _title(ch: str) -> str:
    t = ch.title()
    return t if len(t) == 1 else ch


# ------------------------------------------------------------------------------- KnimeStringUtils


def capitalize(s: str | None, delims: str | None = None) -> str | None:
    """WordUtils.capitalizeFully: lower-case all, then title-case the first letter of each word."""
    if not s:
        return s
    if delims is not None and len(delims) == 0:
        return s
    low = s.lower()
    out, cap = [], True
    for ch in low:
        is_delim = _is_whitespace(ch) if delims is None else ch in delims
        if is_delim:
            cap = True
            out.append(ch)
        elif cap:
            out.append(_title(ch))
            cap = False
        else:
            out.append(ch)
    return "".join(out)


def _collation_key(s: str) -> tuple[Any, ...]:
    base = [remove_diacritic(c) or c for c in s]
    return (
        [b.lower() for b in base],
        [unicodedata.normalize("NFKD", c) != c for c in s],
        [0 if c.islower() or not c.isalpha() else 1 for c in s],
    )


def compare(a: str | None, b: str | None) -> int:
    """Collator.getInstance().compare (approximated: letters by base letter, then accents, then case
    with lower case first); -1, 0 or 1 as Java's collator returns."""
    ka, kb = _collation_key(a or ""), _collation_key(b or "")
    return (ka > kb) - (ka < kb)


def _index_of_ic(s: str, needle: str, start: int) -> int:
    start = max(start, 0)
    if start > len(s) - len(needle):
        return -1
    for i in range(start, len(s) - len(needle) + 1):
        if (
            s[i : i + len(needle)].lower() == needle.lower()
            or s[i : i + len(needle)].upper() == needle.upper()
        ):
            return i
    return -1


def _last_index_of_ic(s: str, needle: str, start: int) -> int:
    start = min(start, len(s) - len(needle))
    for i in range(start, -1, -1):
        if (
            s[i : i + len(needle)].lower() == needle.lower()
            or s[i : i + len(needle)].upper() == needle.upper()
        ):
            return i
    return -1


def _java_index_of(s: str, needle: str, start: int) -> int:
    start = max(start, 0)
    if start >= len(s):
        return len(s) if not needle else -1
    return s.find(needle, start)


def _java_last_index_of(s: str, needle: str, start: int) -> int:
    if start < 0:
        return -1
    return s.rfind(needle, 0, min(start, len(s)) + len(needle))


def _boundaries(s: str, needle: str, index: int) -> bool:
    if index == -1:
        return True

    def wb(i: int) -> bool:
        return i < 0 or i > len(s) - 1 or _is_whitespace(s[i])

    return wb(index - 1) and wb(index + len(needle))


def index_of_mod(s: str | None, needle: str | None, start: int, modifiers: str | None) -> int:
    """KnimeStringUtils.indexOf(str, needle, start, modifiers): i ignore case, b backward, w words."""
    if s is None or needle is None:
        return -1
    opt = (modifiers or "").lower()
    ic, back, words = "i" in opt, "b" in opt, "w" in opt
    if back:
        find = _last_index_of_ic if ic else _java_last_index_of
        step = -1
    else:
        find = _index_of_ic if ic else _java_index_of
        step = 1
    index = find(s, needle, start)
    while words and not _boundaries(s, needle, index):
        index = find(s, needle, index + step)
    return index


def index_of_opt(s: str | None, needle: str | None, options: str | None) -> int:
    opt = options or ""
    start = len(_npe(s)) if "b" in opt.lower() else 0
    return index_of_mod(s, needle, start, opt)


def count(s: str | None, to_count: str | None, modifiers: str | None = "") -> int:
    if not s or not to_count:
        return 0
    n, i = 0, index_of_opt(s, to_count, modifiers)
    while i != -1:
        n += 1
        i = index_of_mod(s, to_count, i + len(to_count), modifiers)
    return n


def count_chars(s: str | None, chars: str | None, modifiers: str | None = "") -> int:
    if not s:
        return 0
    opt = (modifiers or "").lower()
    total = 0
    for c in chars or "":
        if "i" in opt:
            lower, upper = c.lower(), c.upper()
            total += s.count(lower) + (s.count(upper) if lower != upper else 0)
        else:
            total += s.count(c)
    return len(s) - total if "v" in opt else total


def _char_matches(c: str, ic: bool, opposite: bool, chars: str) -> bool:
    hit = any(c == r or (ic and c.upper() == r.upper()) for r in chars)
    return hit != opposite


def index_of_chars(
    s: str | None, chars: str | None, start: int | None = None, modifiers: str | None = ""
) -> int:
    """KnimeStringUtils.indexOfChars: the first (or, with b, last) position of one of the characters."""
    if not s or not chars:
        return -1
    opt = (modifiers or "").lower()
    ic, opposite, back = "i" in opt, "v" in opt, "b" in opt
    if start is None:
        start = len(s) if back else 0
    if back:
        for i in range(min(len(s) - 1, max(start, 0)), -1, -1):
            if _char_matches(s[i], ic, opposite, chars):
                return i
    else:
        for i in range(max(start, 0), len(s)):
            if _char_matches(s[i], ic, opposite, chars):
                return i
    return -1


def join_sep(sep: str | None, parts: list[str | None]) -> str | None:
    if parts and all(p is None for p in parts):
        return None
    return (sep or "").join("" if p is None else p for p in parts)


def remove_chars(s: str | None, chars: str | None) -> str | None:
    if s is None or not chars:
        return s
    return re.sub("[" + re.escape(chars) + "]+", "", s)


def remove_diacritic(s: str | None) -> str | None:
    if s is None:
        return None
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.category(c).startswith("M"))


def replace(s: str | None, search: str | None, repl: str | None, modifiers: str | None = "") -> str | None:
    """KnimeStringUtils.replace: every occurrence, options i (ignore case) and w (whole words)."""
    if not s or not search or repl is None:
        return s
    out, start = [], 0
    end = index_of_opt(s, search, modifiers)
    if end == -1:
        return s
    while end != -1:
        out.append(s[start:end] + repl)
        start = end + len(search)
        end = index_of_mod(s, search, start, modifiers)
    out.append(s[start:])
    return "".join(out)


def replace_chars(
    s: str | None, search: str | None, repl: str | None, modifiers: str | None = ""
) -> str | None:
    if not s or not search or repl is None:
        return s
    opt = (modifiers or "").lower()
    ic = "i" in opt
    out = []
    for c in s:
        if _char_matches(c, ic, False, search):
            idx = search.find(c)
            if idx < 0 and ic:
                idx = search.find(c.lower()) if c.islower() else search.find(c.upper())
                if idx < 0:
                    idx = search.find(c.upper()) if c.islower() else search.find(c.lower())
            if 0 <= idx < len(repl):
                out.append(repl[idx])
        else:
            out.append(c)
    return "".join(out)


_UMLAUTS = ("ä", "Ä", "ö", "Ö", "ü", "Ü", "ß", "\u1e9e")


def replace_umlauts(s: str | None, omit_e: bool) -> str | None:
    if s is None:
        return None
    repl = (
        ("a", "A", "o", "O", "u", "U", "ss", "Ss")
        if omit_e
        else ("ae", "Ae", "oe", "Oe", "ue", "Ue", "ss", "Ss")
    )
    table = dict(zip(_UMLAUTS, repl, strict=True))
    return "".join(table.get(c, c) for c in s)


def _strip(s: str | None, start: bool, end: bool) -> str | None:
    if s is None:
        return None
    i, j = 0, len(s)
    while start and i < j and _is_whitespace(s[i]):
        i += 1
    while end and j > i and _is_whitespace(s[j - 1]):
        j -= 1
    return s[i:j]


def substr(s: str | None, start: int, length: int | None = None) -> str | None:
    """StringUtils.mid (negative start counts as 0)."""
    if s is None:
        return None
    if length is None:
        if not s:
            return s
        length = len(s)
    if length < 0 or start > len(s):
        return ""
    start = max(start, 0)
    return s[start : start + length]


def pad(s: str | None, size: int, chars: str | None, left: bool) -> str | None:
    """StringUtils.leftPad/rightPad (spaces when no characters are given)."""
    if s is None:
        return None
    fill = chars or " "
    n = size - len(s)
    if n <= 0:
        return s
    padding = (fill * (n // len(fill) + 1))[:n]
    return padding + s if left else s + padding


def to_int(v: Any, kind: str, bits: int) -> int | None:
    if v is None:
        return None
    if kind == "S":
        try:
            return parse_java_int(v, bits)
        except ValueError:
            raise JavaError(f'String "{v}" cannot be cast to {"int" if bits == 32 else "long"}.') from None
    if kind == "D":
        return double_to_long(float(v), bits)
    return wrap32(int(v)) if bits == 32 else wrap64(int(v))


def to_double(v: Any, kind: str) -> float | None:
    if v is None:
        return None
    if kind == "S":
        try:
            return parse_java_double(v)
        except ValueError:
            raise JavaError(f'String "{v}" cannot be cast to double.') from None
    return float(v)


def md5(s: str | None) -> str:
    return hashlib.md5(_npe(s).encode("utf-8")).hexdigest()


_URL_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")


def url_encode(s: str | None, charset: str | None = "UTF-8") -> str | None:
    """URLEncoder.encode: application/x-www-form-urlencoded (space as +)."""
    text = _npe(s)
    try:
        codec = {"UTF-8": "utf-8", "US-ASCII": "ascii", "ISO-8859-1": "latin-1"}.get(
            str(charset).upper(), str(charset)
        )
        "".encode(codec)
    except LookupError:
        return None
    out = []
    for ch in text:
        if ch in _URL_SAFE:
            out.append(ch)
        elif ch == " ":
            out.append("+")
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode(codec, errors="replace")))
    return "".join(out)


def url_decode(s: str | None) -> str | None:
    text = _npe(s)
    raw = bytearray()
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%":
            try:
                raw.append(int(text[i + 1 : i + 3], 16))
            except ValueError:
                raise JavaError("URLDecoder: Illegal hex characters in escape (%) pattern") from None
            i += 3
            continue
        if raw:
            out.append(raw.decode("utf-8", errors="replace"))
            raw = bytearray()
        out.append(" " if ch == "+" else ch)
        i += 1
    if raw:
        out.append(raw.decode("utf-8", errors="replace"))
    return "".join(out)


# ------------------------------------------------------------------------------- Java regular expressions

_POSIX = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "Space": " \\t\\n\\x0B\\f\\r",
    "Blank": " \\t",
    "XDigit": "0-9a-fA-F",
    "javaLowerCase": "a-z",
    "javaUpperCase": "A-Z",
    "L": "^\\W\\d_",
    "IsAlphabetic": "^\\W\\d_",
    "N": "\\d",
}


def java_regex(pattern: str) -> re.Pattern[str]:
    """A java.util.regex pattern for Python's re: named groups, POSIX classes, \\z."""

    def posix(m: re.Match[str]) -> str:
        neg, name = m.group(1) == "P", m.group(2)
        if name not in _POSIX:
            raise JavaError(f"regex class \\p{{{name}}} is not supported")
        body = _POSIX[name]
        if body.startswith("^"):  # a negated set already
            return f"[{body[1:]}]" if neg else f"[{body}]"
        return f"[^{body}]" if neg else f"[{body}]"

    converted = re.sub(r"\\([pP])\{(\w+)\}", posix, pattern)
    converted = converted.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!")
    converted = converted.replace("\\z", "\\Z")
    try:
        return re.compile(converted)
    except re.error as exc:
        raise JavaError(f"PatternSyntaxException: {exc}") from None


def java_replacement(m: re.Match[str], replacement: str) -> str:
    """A match's replacement in Java's syntax ($1, ${name}, \\ escapes)."""
    out, i = [], 0
    while i < len(replacement):
        ch = replacement[i]
        if ch == "\\" and i + 1 < len(replacement):
            out.append(replacement[i + 1])
            i += 2
        elif ch == "$":
            named = re.match(r"\$\{(\w+)\}", replacement[i:])
            if named:
                out.append(m.group(named.group(1)) or "")
                i += len(named.group(0))
                continue
            digits = re.match(r"\$(\d)", replacement[i:])
            if not digits:
                raise JavaError("IllegalArgumentException: Illegal group reference")
            out.append(m.group(int(digits.group(1))) or "")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def regex_replace(s: str | None, regex: str | None, repl: str | None) -> str:
    """Matcher.replaceAll with Java's replacement syntax ($1, ${name}, \\ escapes)."""
    text, pattern, replacement = _npe(s), java_regex(_npe(regex)), _npe(repl)
    return pattern.sub(lambda m: java_replacement(m, replacement), text)


def regex_matcher(s: str | None, regex: str | None) -> str:
    return "True" if java_regex(_npe(regex)).fullmatch(_npe(s)) else "False"


# ------------------------------------------------------------------------------------- the library

S, I, L, D, Z, C, A, O = "S", "I", "L", "D", "Z", "C", "A", "O"  # noqa: E741 (Java type letters)


def _f(*overloads: tuple[tuple[str, ...], str, Callable[..., Any]]) -> list[Overload]:
    return [Overload(p, r, f) for p, r, f in overloads]


def _strs(fn: Callable[[str | None], str | None]) -> Callable[[list[str | None]], list[str | None]]:
    return lambda parts: [fn(p) for p in parts]


def _to_empty(s: str | None) -> str:
    return "" if s is None else s


def _to_null(s: str | None) -> str | None:
    return None if s == "" else s


def _string_of(v: Any, kind: str) -> str | None:
    return None if v is None else java_string(v, kind)


FUNCTIONS: dict[str, list[Overload]] = {
    "capitalize": _f(((S,), S, capitalize), ((S, S), S, capitalize)),
    "compare": _f(((S, S), I, compare)),
    "count": _f(((S, S), I, count), ((S, S, S), I, count)),
    "countChars": _f(((S, S), I, count_chars), ((S, S, S), I, count_chars)),
    "indexOf": _f(
        ((S, S), I, lambda s, n: -1 if s is None or n is None else s.find(n)),
        ((S, S, I), I, lambda s, n, st: -1 if s is None or n is None else _java_index_of(s, n, st)),
        ((S, S, S), I, index_of_opt),
        ((S, S, I, S), I, index_of_mod),
    ),
    "indexOfChars": _f(
        ((S, S), I, index_of_chars),
        ((S, S, I), I, lambda s, c, st: index_of_chars(s, c, st)),
        ((S, S, S), I, lambda s, c, m: index_of_chars(s, c, None, m)),
        ((S, S, I, S), I, index_of_chars),
    ),
    "join": _f((("S...",), S, lambda parts: join_sep(None, parts))),
    "joinSep": _f(((S, "S..."), S, join_sep)),
    "lastIndexOfChar": _f(((S, C), I, lambda s, c: _npe(s).rfind(c))),
    "length": _f(((S,), I, lambda s: 0 if s is None else len(s))),
    "lowerCase": _f(((S,), S, lambda s: None if s is None else s.lower())),
    "upperCase": _f(((S,), S, lambda s: None if s is None else s.upper())),
    "md5Checksum": _f(((S,), S, md5)),
    "padLeft": _f(
        ((S, I), S, lambda s, n: pad(s, n, None, True)), ((S, I, S), S, lambda s, n, c: pad(s, n, c, True))
    ),
    "padRight": _f(
        ((S, I), S, lambda s, n: pad(s, n, None, False)), ((S, I, S), S, lambda s, n, c: pad(s, n, c, False))
    ),
    "regexMatcher": _f(((S, S), S, regex_matcher)),
    "regexReplace": _f(((S, S, S), S, regex_replace)),
    "removeChars": _f(
        ((S,), S, lambda s: None if s is None else re.sub("[ ]+", "", s)), ((S, S), S, remove_chars)
    ),
    "removeDiacritic": _f(((S,), S, remove_diacritic)),
    "removeDuplicates": _f(((S,), S, lambda s: None if s is None else re.sub("[ ]+", " ", s))),
    "replace": _f(((S, S, S), S, replace), ((S, S, S, S), S, replace)),
    "replaceChars": _f(((S, S, S), S, replace_chars), ((S, S, S, S), S, replace_chars)),
    "replaceUmlauts": _f(((S, Z), S, replace_umlauts)),
    "reverse": _f(((S,), S, lambda s: s[::-1] if s else s)),
    "strip": _f(
        ((S,), S, lambda s: _strip(s, True, True)), (("S...",), A, _strs(lambda s: _strip(s, True, True)))
    ),
    "stripStart": _f(
        ((S,), S, lambda s: _strip(s, True, False)), (("S...",), A, _strs(lambda s: _strip(s, True, False)))
    ),
    "stripEnd": _f(
        ((S,), S, lambda s: _strip(s, False, True)), (("S...",), A, _strs(lambda s: _strip(s, False, True)))
    ),
    "substr": _f(((S, I), S, substr), ((S, I, I), S, substr)),
    "toEmpty": _f(((S,), S, _to_empty), (("S...",), A, _strs(_to_empty))),
    "toNull": _f(((S,), S, _to_null), (("S...",), A, _strs(_to_null))),
    "toBoolean": _f(
        ((S,), Z, lambda s: None if s is None else s.lower() == "true"), (("Zb",), Z, lambda b: b)
    ),
    "toInt": _f(
        ((S,), I, lambda v: to_int(v, S, 32)),
        (("Ib",), I, lambda v: to_int(v, I, 32)),
        (("Lb",), I, lambda v: to_int(v, L, 32)),
        (("Db",), I, lambda v: to_int(v, D, 32)),
    ),
    "toLong": _f(
        ((S,), L, lambda v: to_int(v, S, 64)),
        (("Ib",), L, lambda v: to_int(v, I, 64)),
        (("Lb",), L, lambda v: to_int(v, L, 64)),
        (("Db",), L, lambda v: to_int(v, D, 64)),
    ),
    "toDouble": _f(
        ((S,), D, lambda v: to_double(v, S)),
        (("Ib",), D, lambda v: to_double(v, I)),
        (("Lb",), D, lambda v: to_double(v, L)),
        (("Db",), D, lambda v: to_double(v, D)),
    ),
    "string": _f(
        ((S,), S, lambda v: v),
        (("Ib",), S, lambda v: _string_of(v, I)),
        (("Lb",), S, lambda v: _string_of(v, L)),
        (("Db",), S, lambda v: _string_of(v, D)),
        ((O,), S, lambda v: v),  # the caller passes the Java text of the object
        (("O...",), A, lambda parts: parts),
    ),
    "urlEncode": _f(((S,), S, url_encode)),
    "urlDecode": _f(((S,), S, url_decode)),
    "urlEncodeCharset": _f(((S, S), S, url_encode)),
}

# KNIME's manipulator return types (Manipulator.getReturnType): the output type of an expression
# whose outermost call is this function, when the node stores none
RETURN_TYPES: dict[str, str] = {
    name: ("Z" if name == "toBoolean" else overloads[0].returns) for name, overloads in FUNCTIONS.items()
}
RETURN_TYPES.update({"strip": S, "stripStart": S, "stripEnd": S, "toEmpty": S, "toNull": S, "string": S})
