"""KNIME's String Manipulation language: a lark grammar for its Java expressions, a type checker
that resolves Java overloads as javac would, and a compiler to Python closures run row by row.

KNIME compiles `return <expression>;` as Java with the manipulators' static methods imported
(org.knime.ext.sun.nodes.script.expression.Expression): `$col$` is a column, `$${Sname}$$` a flow
variable (I int, D double, S string), `$$ROWINDEX$$`, `$$ROWCOUNT$$`, `$$ROWID$$` the row's
position, the table size and the RowID. Besides function calls the Java operators work (`+` joins
strings), literals, casts and ternaries. Type errors are found before any row is read, like
javac's; a Java exception while evaluating a row leaves that cell missing (KNIME warns).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from nodes._java_overloads import NUMERIC, RANK, STRING_METHODS, invoke, npe_bool, npe_str, resolve, score
from nodes._lark_cache import lalr_parser
from nodes._string_functions import (
    FUNCTIONS,
    RETURN_TYPES,
    JavaError,
    double_to_long,
    java_string,
    wrap32,
    wrap64,
)

_GRAMMAR = r"""
?start: expr
?expr: or_expr
     | or_expr "?" expr ":" expr -> ternary
?or_expr: and_expr | or_expr "||" and_expr -> or_
?and_expr: eq_expr | and_expr "&&" eq_expr -> and_
?eq_expr: rel_expr | eq_expr EQOP rel_expr -> binop
?rel_expr: add_expr | rel_expr RELOP add_expr -> binop
?add_expr: mul_expr | add_expr ADDOP mul_expr -> binop
?mul_expr: unary | mul_expr MULOP unary -> binop
?unary: "-" unary -> neg
      | "+" unary
      | "!" unary -> not_
      | CAST unary -> cast
      | postfix
?postfix: primary | postfix "." NAME "(" [args] ")" -> method
?primary: NAME "(" [args] ")" -> call
        | STRING -> string
        | CHAR -> char
        | NUMBER -> number
        | "true" -> true
        | "false" -> false
        | "null" -> null
        | SPECIAL -> special
        | FLOWVAR -> flowvar
        | COLUMN -> column
        | "(" expr ")"
args: expr ("," expr)*

CAST.3: /\(\s*(String|Integer|Long|Double|Boolean|Object|int|long|double|boolean|char)\s*\)/
SPECIAL.3: /\$\$(ROWINDEX|ROWCOUNT|ROWID|CURRENTCOLUMN)\$\$/
FLOWVAR.3: /\$\$\{[^}]*\}\$\$/
COLUMN.2: /\$(?!\$)([^$\\]|\\.)+\$/
STRING: /"([^"\\]|\\.)*"/
CHAR: /'([^'\\]|\\.)+'/
NUMBER.2: /0[xX][0-9a-fA-F]+[lL]?|(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?[dDfFlL]?/
NAME: /[A-Za-z_][A-Za-z0-9_]*/
EQOP: "==" | "!="
RELOP: "<=" | ">=" | "<" | ">"
ADDOP: "+" | "-"
MULOP: "*" | "/" | "%"
COMMENT: /\/\/[^\n]*/ | /\/\*(.|\n)*?\*\//
%import common.WS
%ignore WS
%ignore COMMENT
"""


class StringManipulationError(Exception):
    """A syntax or type error (KNIME's compilation error): the node does not configure."""


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return lalr_parser(_GRAMMAR, propagate_positions=True)


def _unescape(body: str) -> str:
    """java.io.StreamTokenizer's escapes, which KNIME applies to quoted text before compiling."""
    out, i = [], 0
    simple = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            octal = re.match(r"[0-7]{1,3}", body[i + 1 :])
            if octal and int(octal.group(0), 8) <= 0o377:
                out.append(chr(int(octal.group(0), 8)))
                i += 1 + len(octal.group(0))
                continue
            out.append(simple.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


# ------------------------------------------------------------------------------------- compilation

Fn = Callable[["_Row"], Any]


@dataclass
class _Row:
    """What one evaluation sees: the row's position, its RowID and its cells."""

    index: int = 0
    row_id: str = ""
    cells: dict[str, Any] = field(default_factory=dict)
    current: Any = None


@dataclass
class Compiled:
    kind: str  # static Java type of the expression: S I L D Z C A N O
    fn: Fn
    columns: list[str]  # referenced columns, in order of first use
    uses_current: bool


@dataclass
class Environment:
    column_kinds: dict[str, str]  # column -> S I L D Z A
    variables: dict[str, Any]
    row_count: int = 0
    current_column: bool = False  # $$CURRENTCOLUMN$$ allowed (String Manipulation (Multi Column))


_NAMES = {
    "S": "String",
    "I": "int",
    "L": "long",
    "D": "double",
    "Z": "boolean",
    "C": "char",
    "A": "String[]",
    "N": "null",
    "O": "Object",
}


def _promote(a: str, b: str) -> str:
    top = max(RANK[a], RANK[b], RANK["I"])
    return {1: "I", 2: "L", 3: "D"}[top]


def _arith(kind: str, value: Any) -> Any:
    if value is None:
        raise JavaError("NullPointerException")
    if isinstance(value, str):  # a char
        value = ord(value)
    return float(value) if kind == "D" else int(value)


def _wrap(kind: str, value: Any) -> Any:
    if kind == "I":
        return wrap32(value)
    if kind == "L":
        return wrap64(value)
    return value


def _divide(kind: str, a: Any, b: Any, op: str) -> Any:
    if kind == "D":
        if op == "/":
            if b == 0:
                return (
                    math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a) * math.copysign(1, b)
                )
            return a / b
        return math.fmod(a, b) if b != 0 else math.nan
    if b == 0:
        raise JavaError("ArithmeticException: / by zero")
    q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
    return _wrap(kind, q if op == "/" else a - q * b)


class _Compiler:
    def __init__(self, text: str, env: Environment) -> None:
        self.text, self.env = text, env
        self.columns: list[str] = []
        self.uses_current = False

    def fail(self, node: Tree | Token, message: str) -> StringManipulationError:
        line = getattr(node, "line", None) or getattr(getattr(node, "meta", None), "line", None)
        column = getattr(node, "column", None) or getattr(getattr(node, "meta", None), "column", None)
        where = f" (line {line}, column {column})" if line else ""
        return StringManipulationError(f"{message}{where} in expression `{self.text}`")

    def compile(self, node: Any) -> tuple[str, Fn]:
        if isinstance(node, Token):
            raise self.fail(node, f"unexpected {node.value!r}")
        method = getattr(self, f"_{node.data}", None)
        if method is None:
            raise self.fail(node, f"unsupported construct {node.data}")
        return method(node)

    # literals and references
    def _string(self, node: Tree) -> tuple[str, Fn]:
        value = _unescape(_text(node.children[0])[1:-1])
        return "S", lambda r: value

    def _char(self, node: Tree) -> tuple[str, Fn]:
        value = _unescape(_text(node.children[0])[1:-1])
        if len(value) != 1:
            raise self.fail(node, f"invalid character constant '{value}'")
        return "C", lambda r: value

    def _number(self, node: Tree) -> tuple[str, Fn]:
        text = _text(node.children[0])
        if text[:2].lower() == "0x":
            long = text[-1] in "lL"
            n = int(text.rstrip("lL"), 16)
            n = wrap64(n) if long else wrap32(n)
            return ("L" if long else "I"), lambda r: n
        if text[-1] in "lL":
            n = int(text[:-1])
            return "L", lambda r: n
        if re.search(r"[.eEdDfF]", text):
            d = float(text.rstrip("dDfF"))
            return "D", lambda r: d
        n = int(text)
        if n > 2**31 - 1:
            raise self.fail(node, f"The literal {text} of type int is out of range")
        return "I", lambda r: n

    def _true(self, node: Tree) -> tuple[str, Fn]:
        return "Z", lambda r: True

    def _false(self, node: Tree) -> tuple[str, Fn]:
        return "Z", lambda r: False

    def _null(self, node: Tree) -> tuple[str, Fn]:
        return "N", lambda r: None

    def _column(self, node: Tree) -> tuple[str, Fn]:
        name = _unescape(_text(node.children[0])[1:-1])
        if name not in self.env.column_kinds:
            raise self.fail(node, f"No such column: {name}")
        if name not in self.columns:
            self.columns.append(name)
        return self.env.column_kinds[name], lambda r: r.cells[name]

    def _special(self, node: Tree) -> tuple[str, Fn]:
        name = _text(node.children[0])[2:-2]
        if name == "ROWINDEX":
            return "I", lambda r: r.index
        if name == "ROWID":
            return "S", lambda r: r.row_id
        if name == "ROWCOUNT":
            count = self.env.row_count
            return "I", lambda r: count
        if not self.env.current_column:
            raise self.fail(node, "Invalid special identifier: CURRENTCOLUMN")
        self.uses_current = True
        return "S", lambda r: r.current

    def _flowvar(self, node: Tree) -> tuple[str, Fn]:
        body = _text(node.children[0])[3:-3]
        if len(body) < 2 or body[0] not in "IDS":
            raise self.fail(node, f"Invalid type identifier for variable: {body[:1]!r} (use I, D or S)")
        kind, name = body[0], body[1:]
        if name not in self.env.variables:
            raise self.fail(node, f"flow variable {name!r} does not exist")
        value = self.env.variables[name]
        try:
            if kind == "I":
                if isinstance(value, float) or isinstance(value, bool):
                    raise ValueError
                typed: Any = wrap32(int(value))
            elif kind == "D":
                typed = float(value)
            else:
                typed = (
                    value
                    if isinstance(value, str)
                    else java_string(value, "D" if isinstance(value, float) else "I")
                )
        except (TypeError, ValueError):
            raise self.fail(
                node, f"flow variable {name!r} ({value!r}) is not of type {_NAMES[kind]}"
            ) from None
        return kind, lambda r: typed

    # operators
    def _neg(self, node: Tree) -> tuple[str, Fn]:
        kind, f = self.compile(node.children[0])
        if kind not in NUMERIC:
            raise self.fail(node, f"The operator - is undefined for the argument type {_NAMES[kind]}")
        out = _promote(kind, "I")
        return out, lambda r: _wrap(out, -_arith(out, f(r)))

    def _not_(self, node: Tree) -> tuple[str, Fn]:
        kind, f = self.compile(node.children[0])
        if kind != "Z":
            raise self.fail(node, f"The operator ! is undefined for the argument type {_NAMES[kind]}")
        return "Z", lambda r: not npe_bool(f(r))

    def _and_(self, node: Tree) -> tuple[str, Fn]:
        (ka, fa), (kb, fb) = (self.compile(c) for c in node.children)
        if ka != "Z" or kb != "Z":
            raise self.fail(node, "The operator && needs boolean operands")
        return "Z", lambda r: npe_bool(fa(r)) and npe_bool(fb(r))

    def _or_(self, node: Tree) -> tuple[str, Fn]:
        (ka, fa), (kb, fb) = (self.compile(c) for c in node.children)
        if ka != "Z" or kb != "Z":
            raise self.fail(node, "The operator || needs boolean operands")
        return "Z", lambda r: npe_bool(fa(r)) or npe_bool(fb(r))

    def _binop(self, node: Tree) -> tuple[str, Fn]:
        left, op_token, right = node.children
        op = _text(op_token)
        ka, fa = self.compile(left)
        kb, fb = self.compile(right)
        if op == "+" and ("S" in (ka, kb)):
            return "S", lambda r: java_string(fa(r), ka) + java_string(fb(r), kb)
        if op in ("==", "!="):
            return self._equality(node, op, ka, fa, kb, fb)
        if ka not in NUMERIC or kb not in NUMERIC:
            raise self.fail(
                node, f"The operator {op} is undefined for the argument type(s) {_NAMES[ka]}, {_NAMES[kb]}"
            )
        kind = _promote(ka, kb)
        if op in ("<", ">", "<=", ">="):
            compare = {
                "<": lambda x, y: x < y,
                ">": lambda x, y: x > y,
                "<=": lambda x, y: x <= y,
                ">=": lambda x, y: x >= y,
            }[op]
            return "Z", lambda r: compare(_arith(kind, fa(r)), _arith(kind, fb(r)))
        if op in ("/", "%"):
            return kind, lambda r: _divide(kind, _arith(kind, fa(r)), _arith(kind, fb(r)), op)
        apply = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}[op]
        return kind, lambda r: _wrap(kind, apply(_arith(kind, fa(r)), _arith(kind, fb(r))))

    def _equality(self, node: Tree, op: str, ka: str, fa: Fn, kb: str, fb: Fn) -> tuple[str, Fn]:
        negate = op == "!="
        if ka in NUMERIC and kb in NUMERIC:
            kind = _promote(ka, kb)
            return "Z", lambda r: (_arith(kind, fa(r)) == _arith(kind, fb(r))) != negate
        if ka == kb == "Z":
            return "Z", lambda r: (npe_bool(fa(r)) == npe_bool(fb(r))) != negate
        if "N" in (ka, kb):
            return "Z", lambda r: ((fa(r) is None) if kb == "N" else (fb(r) is None)) != negate
        raise self.fail(
            node,
            f"{_NAMES[ka]} {op} {_NAMES[kb]} compares object references in Java (KNIME gives false for equal texts); "
            "use compare(a, b) == 0",
        )

    def _ternary(self, node: Tree) -> tuple[str, Fn]:
        (kc, fc), (ka, fa), (kb, fb) = (self.compile(c) for c in node.children)
        if kc != "Z":
            raise self.fail(node, "the condition of ?: must be boolean")
        if ka == kb:
            kind = ka
        elif ka in NUMERIC and kb in NUMERIC:
            kind = _promote(ka, kb)
        elif "N" in (ka, kb):
            kind = kb if ka == "N" else ka
        else:
            kind = "O"
        if kind in NUMERIC and ka != kb:
            return kind, lambda r: _arith(kind, fa(r)) if npe_bool(fc(r)) else _arith(kind, fb(r))
        return kind, lambda r: fa(r) if npe_bool(fc(r)) else fb(r)

    def _cast(self, node: Tree) -> tuple[str, Fn]:
        target = _text(node.children[0]).strip("() \t")
        kind, f = self.compile(node.children[1])
        primitive = {"int": "I", "long": "L", "double": "D", "char": "C", "boolean": "Z"}
        boxed = {"Integer": "I", "Long": "L", "Double": "D", "Boolean": "Z", "String": "S"}
        if target == "Object":
            return "O", f
        if target in boxed:
            want = boxed[target]
            if kind not in (want, "N"):
                raise self.fail(node, f"Cannot cast from {_NAMES[kind]} to {target}")
            return want, f
        want = primitive[target]
        if want == "Z" or kind == "Z":
            if kind != want:
                raise self.fail(node, f"Cannot cast from {_NAMES[kind]} to {target}")
            return want, f
        if kind not in NUMERIC:
            raise self.fail(node, f"Cannot cast from {_NAMES[kind]} to {target}")
        if want == "D":
            return "D", lambda r: float(_arith("D", f(r)))
        if want == "C":
            return "C", lambda r: chr(_arith("I", f(r)) & 0xFFFF)
        bits = 32 if want == "I" else 64

        def convert(r: _Row) -> int:
            v = _arith("D" if kind == "D" else "L", f(r))
            return double_to_long(v, bits) if kind == "D" else (wrap32(v) if bits == 32 else wrap64(v))

        return want, convert

    # calls
    def _args(self, node: Any) -> list[tuple[str, Fn]]:
        if node is None:
            return []
        return [self.compile(c) for c in node.children]

    def _call(self, node: Tree) -> tuple[str, Fn]:
        name = _text(node.children[0])
        args = self._args(node.children[1])
        overloads = FUNCTIONS.get(name)
        if overloads is None:
            raise self.fail(node, f"The method {name} is undefined")
        chosen = resolve(overloads, [k for k, _ in args])
        if chosen is None:
            shown = ", ".join(_NAMES[k] for k, _ in args)
            raise self.fail(node, f"The method {name} is not applicable for the arguments ({shown})")
        return chosen.returns, invoke(chosen, args)

    def _method(self, node: Tree) -> tuple[str, Fn]:
        target, name_token, arg_node = node.children
        kind, f = self.compile(target)
        name = _text(name_token)
        args = self._args(arg_node)
        spec = STRING_METHODS.get((name, len(args)))
        if kind != "S" or spec is None:
            raise self.fail(node, f"The method {name} is undefined for the type {_NAMES[kind]}")
        params, returns, impl = spec
        for (k, _), p in zip(args, params, strict=True):
            if score(k, p) is None:
                raise self.fail(
                    node, f"The method {name} is not applicable for the argument type {_NAMES[k]}"
                )
        fns = [g for _, g in args]
        return returns, lambda r: impl(npe_str(f(r)), *[g(r) for g in fns])


def _text(node: Any) -> str:
    """The text of a token (lark Tokens are strings)."""
    return str(node)


# ------------------------------------------------------------------------------------------- API


def parse(text: str) -> Tree:
    try:
        return _parser().parse(text)
    except UnexpectedInput as exc:
        line, column = getattr(exc, "line", "?"), getattr(exc, "column", "?")
        raise StringManipulationError(
            f"syntax error at line {line}, column {column} in expression `{text}`"
        ) from None


def compile_expression(text: str, env: Environment) -> Compiled:
    """Parse and type-check `text`; a `StringManipulationError` for what javac would reject."""
    if not text.strip():
        raise StringManipulationError("Empty expressions are not supported.")
    compiler = _Compiler(text, env)
    kind, fn = compiler.compile(parse(text))
    return Compiled(kind, fn, compiler.columns, compiler.uses_current)


def outer_function_type(text: str) -> str | None:
    """KNIME's guess of the return type: the manipulator named before the first `(` (or None)."""
    stripped = text.strip()
    end = stripped.find("(")
    if end < 0:
        return None
    return RETURN_TYPES.get(stripped[:end])


def evaluate(compiled: Compiled, row: _Row) -> Any:
    return compiled.fn(row)


Row = _Row
KIND_NAMES = _NAMES
