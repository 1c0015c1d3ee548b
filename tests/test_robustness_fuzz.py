"""Property-based fuzzing (hypothesis) of what reads text from users: the YAML loader and document
parser, and the expression languages (Expression, Row Filter, Rule Engine, Math Formula, String
Manipulation). Whatever the text, the answer is a value or a clear, located error — never another
exception (which the CLI would show with a stack).

10,000 cases in all (`CASES` below), derandomized so CI sees the same cases every time, with a
per-case deadline; together they run in well under a minute.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from engine.api import NodeError, Table, port_spec
from engine.core.context import RunContext
from engine.core.document import WorkflowDoc, parse_document
from engine.core.registry import registry
from engine.core.variables import VarStack
from engine.core.yamlio import YamlSyntaxError, check_text, decode_document, load_with_lines
from nodes import _expression_functions, _jep_language, _string_functions

CASES = {
    "yaml_text": 2300,
    "yaml_bytes": 1000,
    "document": 700,
    "expression": 1500,
    "row_filter": 600,
    "rule_engine": 1300,
    "math_formula": 1300,
    "string_manipulation": 1300,
}
assert sum(CASES.values()) == 10_000


def _settings(name: str) -> Any:
    return settings(
        max_examples=CASES[name],
        derandomize=True,  # the same cases on every run: a CI failure can be reproduced
        deadline=2000,  # ms per case: a case this slow is a hang worth a failure
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        database=None,
    )


def _phrases(tokens: list[str], *, max_size: int = 24) -> st.SearchStrategy[str]:
    """Token soup: the language's own tokens, some noise, joined with or without spaces."""
    piece = st.one_of(
        st.sampled_from(tokens),
        st.sampled_from(tokens),
        st.text(max_size=3),
    )
    return st.tuples(st.lists(piece, max_size=max_size), st.sampled_from(["", " ", "\n"])).map(
        lambda t: t[1].join(t[0])
    )


# ------------------------------------------------------------------------------ YAML and documents

_YAML_TOKENS = [
    "format: knitflow/1\n",
    "name: x\n",
    "nodes:\n",
    "- id: 1\n",
    "  type: csv_reader\n",
    "  settings:\n",
    "    file: a.csv\n",
    "connections:\n",
    "- 1:1 -> 2:1\n",
    "variables:\n",
    "  v: 1\n",
    "? ",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "!!str ",
    "!!int ",
    "!!binary ",
    "!!set ",
    "!!python/object ",
    "!foo ",
    "<<: ",
    "|\n",
    ">\n",
    '"',
    "'",
    "\\u",
    '"\\ud800"',
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "  ",
    "\t",
    "\n",
    "\x00",
    "\x07",
    "\ufeff",
    "\u2028",
    "2020-13-45",
    "1:2:3",
    "0x1F",
    "9" * 50,
    ".nan",
    ".inf",
    "~",
    "yes",
]

yaml_texts = st.one_of(_phrases(_YAML_TOKENS, max_size=40), st.text(max_size=200))


def _read(text: str) -> None:
    try:
        load_with_lines(text)
    except YamlSyntaxError as exc:
        assert exc.line is None or exc.line >= 1
        assert "\n" not in str(exc)


@_settings("yaml_text")
@given(yaml_texts)
def test_yaml_loader_answers_every_text(text: str) -> None:
    _read(text)


@_settings("yaml_bytes")
@given(st.one_of(st.binary(max_size=300), yaml_texts.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_yaml_bytes_decode_or_say_where(data: bytes) -> None:
    try:
        text = decode_document(data)
    except YamlSyntaxError as exc:
        assert "byte offset" in str(exc) or "file is" in str(exc)
        return
    try:
        check_text(text)
    except YamlSyntaxError:
        return
    _read(text)


_KEYS = st.one_of(
    st.sampled_from(["file", "columns", "alpha", "name", "id", "type", "settings", ""]), st.text(max_size=4)
)
_DOC_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.sampled_from(["1:1 -> 2:1", "csv_reader", "loop_end", "knitflow/1", "${v}", "$${x}$$"]),
    ),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_KEYS, children, max_size=4)),
    max_leaves=6,
)

_CONNECTIONS = st.tuples(*[st.integers(-1, 400)] * 4).map(lambda t: f"{t[0]}:{t[1]} -> {t[2]}:{t[3]}")

_NODE = st.fixed_dictionaries(
    {"id": _DOC_VALUES, "type": st.sampled_from(sorted(registry.all())[:60] + ["nope"])},
    optional={
        "settings": _DOC_VALUES,
        "name": _DOC_VALUES,
        "position": _DOC_VALUES,
        "use_variables": _DOC_VALUES,
        "expose_variables": _DOC_VALUES,
    },
)

documents = st.fixed_dictionaries(
    {"format": st.sampled_from(["knitflow/1", "knitflow/1", "x"]), "name": _DOC_VALUES},
    optional={
        "nodes": st.one_of(st.lists(_NODE, max_size=4), _DOC_VALUES),
        "connections": st.one_of(
            st.lists(
                st.one_of(st.from_regex(r"\d{1,3}:\d \-> \d{1,3}:\d", fullmatch=True), _DOC_VALUES),
                max_size=4,
            ),
            _DOC_VALUES,
        ),
        "variables": _DOC_VALUES,
        "annotations": _DOC_VALUES,
        "description": _DOC_VALUES,
    },
)


@_settings("document")
@given(documents)
def test_document_parser_answers_every_structure(doc: dict[str, Any]) -> None:
    """Any structure YAML can hold (given to the parser as JSON-style YAML) parses or gives
    problems; `check` runs on every document that parses."""
    import json

    from engine.core.document import check

    text = json.dumps(doc, allow_nan=True).replace("NaN", ".nan").replace("Infinity", ".inf")
    parsed, lines, problems = parse_document(text, "fuzz.yaml")
    assert (parsed is None) == bool(problems)
    if parsed is not None:
        assert isinstance(parsed, WorkflowDoc)
        for problem in check(parsed, lines, "fuzz.yaml"):
            assert problem.file == "fuzz.yaml"
    for problem in problems:
        assert "\n" not in str(problem)


# ------------------------------------------------------------------------------ expression languages

_TABLE = Table.from_frame(
    pd.DataFrame(
        {
            "a": np.array([1, 2, 3, -4], dtype=np.int64),
            "b": [1.5, np.nan, -2.0, 1e308],
            "s": ["x", None, "yz", ""],
            "flag": [True, False, True, False],
        }
    )
)
_VARIABLES = {"x": 1.5, "name": "abc", "n": 3, "big": 2**62}


def _node_answers(node_type: str, node_settings: dict[str, Any]) -> None:
    """Configure and execute; a NodeError (a clear message for the user) or invalid settings are
    fine, anything else is a bug."""
    node = registry.all()[node_type]()
    try:
        parsed = node.Settings.model_validate(node_settings)
        ctx = RunContext(node_id=1, variables=VarStack.of(_VARIABLES))
        node.configure([port_spec(_TABLE)], parsed, ctx)
        node.execute([_TABLE], parsed, ctx)
    except (NodeError, ValidationError):
        pass


def _formulas(
    atoms: list[str],
    binops: list[str],
    unops: list[str],
    functions: list[str],
    wrap: str = "({})",
) -> st.SearchStrategy[str]:
    """Well-formed formulas of a language (so the evaluator is reached, not only the parser):
    atoms, unary and binary operators and function calls of any arity, nested a few levels."""
    return st.recursive(
        st.sampled_from(atoms),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(binops), inner).map(
                lambda t: wrap.format(f"{t[0]} {t[1]} {t[2]}")
            ),
            st.tuples(st.sampled_from(unops), inner).map(lambda t: f"{t[0]}{t[1]}"),
            st.tuples(st.sampled_from(functions), st.lists(inner, max_size=4)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"
            ),
        ),
        max_leaves=8,
    )


def _language(tokens: list[str], formulas: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Two thirds well-formed formulas, a third token soup (the parser's error paths)."""
    return st.one_of(formulas, formulas, _phrases(tokens))


_EXPR_ATOMS = [
    "$a",
    "$b",
    "$s",
    "$flag",
    "$nope",
    '$["a"]',
    '$["b", -1]',
    '$["a", 2]',
    '$["s", 99999999999]',
    "$$x",
    "$$name",
    "$$n",
    "$$big",
    "$$nope",
    '$$["x"]',
    "$[ROW_INDEX]",
    "$[ROW_NUMBER]",
    "$[ROW_ID]",
    "0",
    "1",
    "2",
    "9223372036854775807",
    "99999999999999999999999",
    "1.5",
    "1e308",
    "1e-320",
    ".5",
    "1_000",
    '"x"',
    "'y'",
    '""',
    '"\\u0000"',
    '"\\"',
    '"(["',
    "TRUE",
    "FALSE",
    "MISSING",
    "E",
    "PI",
    "INF",
    "NaN",
    "MAX_INTEGER",
    "MIN_INTEGER",
    "TINY_FLOAT",
    "NOPE",
]
_EXPR_BINOPS = [
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "**",
    "??",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "=",
    "!=",
    "<>",
    "and",
    "or",
]
_EXPR_FUNCTIONS = sorted(_expression_functions.EXPRESSION_FUNCTIONS) + ["nope", "if", "substring"]
_EXPR_TOKENS = (
    _EXPR_ATOMS + _EXPR_BINOPS + ["not", "(", ")", ",", "#", "-"] + [f"{f}(" for f in _EXPR_FUNCTIONS]
)
expressions = _language(
    _EXPR_TOKENS, _formulas(_EXPR_ATOMS, _EXPR_BINOPS, ["-", "not ", ""], _EXPR_FUNCTIONS)
)


@_settings("expression")
@given(expressions)
def test_expression_language_answers_every_text(text: str) -> None:
    mode = "APPEND" if len(text) % 2 else "REPLACE_EXISTING"
    _node_answers(
        "expression",
        {
            "expressions": [
                {"script": text, "columnOutputMode": mode, "createdColumn": "out", "replacedColumn": "a"}
            ]
        },
    )


@_settings("row_filter")
@given(expressions)
def test_row_filter_predicates_answer_every_text(text: str) -> None:
    _node_answers("row_filter", {"predicates": [text]})


_RULE_OPERANDS = [
    "$a$",
    "$b$",
    "$s$",
    "$flag$",
    "$nope$",
    "$$ROWID$$",
    "$$ROWINDEX$$",
    "$$ROWCOUNT$$",
    "$${Dx}$$",
    "$${Sname}$$",
    "$${In}$$",
    "$${Lbig}$$",
    "$${Dnope}$$",
    "$${Bx}$$",
    '"big"',
    '"a*"',
    '"[a-z]+"',
    '"(("',
    '"?"',
    '""',
    "/x/",
    "1",
    "-1",
    "1.5",
    "1e999",
    ".5",
    "TRUE",
    "FALSE",
]
_RULE_OPS = ["=", "<", "<=", ">", ">=", "LIKE", "MATCHES"]
_RULE_TOKENS = (
    _RULE_OPERANDS + _RULE_OPS + ["=>", "AND", "OR", "XOR", "NOT", "MISSING", "IN", "(", ")", ",", "//"]
)
_rule_conditions = st.recursive(
    st.one_of(
        st.sampled_from(_RULE_OPERANDS),
        st.tuples(
            st.sampled_from(_RULE_OPERANDS), st.sampled_from(_RULE_OPS), st.sampled_from(_RULE_OPERANDS)
        ).map(" ".join),
        st.sampled_from(_RULE_OPERANDS).map(lambda o: f"MISSING {o}"),
        st.tuples(
            st.sampled_from(_RULE_OPERANDS), st.lists(st.sampled_from(_RULE_OPERANDS), min_size=1, max_size=3)
        ).map(lambda t: f"{t[0]} IN ({', '.join(t[1])})"),
    ),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["AND", "OR", "XOR"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda c: f"NOT {c}"),
    ),
    max_leaves=5,
)
rules = st.one_of(
    st.tuples(_rule_conditions, st.sampled_from(_RULE_OPERANDS)).map(lambda t: f"{t[0]} => {t[1]}"),
    st.tuples(_rule_conditions, st.sampled_from(_RULE_OPERANDS)).map(lambda t: f"{t[0]} => {t[1]}"),
    _phrases(_RULE_TOKENS, max_size=12),
)


@_settings("rule_engine")
@given(st.lists(rules, min_size=1, max_size=3), st.booleans())
def test_rule_engine_answers_every_rule(rules: list[str], append: bool) -> None:
    _node_answers(
        "rule_engine",
        {"rules": rules, "append_column": append, "new_column_name": "out", "replace_column_name": "a"},
    )


_JEP_ATOMS = [
    "$a$",
    "$b$",
    "$s$",
    "$flag$",
    "$nope$",
    "$$ROWINDEX$$",
    "$$ROWCOUNT$$",
    "$${Dx}$$",
    "$${In}$$",
    "$${Sname}$$",
    "$${Dnope}$$",
    "0",
    "1",
    "2.5",
    "1e308",
    "1e-320",
    "pi",
    "e",
    "nope",
]
_JEP_BINOPS = ["+", "-", "*", "/", "%", "^", "==", "!=", "<", "<=", ">", ">=", "&&", "||"]
_JEP_FUNCTIONS = (
    sorted(_jep_language._JEP_FUNCTIONS) + sorted(_jep_language._JEP_AGGREGATES) + ["rand", "nope"]
)
_JEP_TOKENS = _JEP_ATOMS + _JEP_BINOPS + ["!", "(", ")", ","] + [f"{f}(" for f in _JEP_FUNCTIONS]
jep_formulas = _language(_JEP_TOKENS, _formulas(_JEP_ATOMS, _JEP_BINOPS, ["-", "!", "+"], _JEP_FUNCTIONS))


@_settings("math_formula")
@given(jep_formulas, st.booleans(), st.booleans())
def test_math_formula_answers_every_text(text: str, append: bool, to_int: bool) -> None:
    _node_answers(
        "math_formula",
        {
            "expression": text,
            "append_column": append,
            "new_column_name": "out",
            "replaced_column": "b",
            "convert_to_int": to_int,
        },
    )


_SM_ATOMS = [
    "$a$",
    "$b$",
    "$s$",
    "$flag$",
    "$nope$",
    "$$ROWINDEX$$",
    "$$ROWCOUNT$$",
    "$$ROWID$$",
    "$$CURRENTCOLUMN$$",
    "$${Dx}$$",
    "$${Sname}$$",
    "$${In}$$",
    "$${Snope}$$",
    '"x"',
    '""',
    '"\\u0041"',
    '"\\n"',
    '"[("',
    "'c'",
    "1",
    "-1",
    "2147483648",
    "9223372036854775808",
    "1.5",
    "1e400",
    "0x7fffffff",
    "10L",
    "1.5d",
    "true",
    "false",
    "null",
]
_SM_BINOPS = ["+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||"]
_SM_FUNCTIONS = sorted(_string_functions.FUNCTIONS) + ["nope"]
_SM_TOKENS = (
    _SM_ATOMS
    + _SM_BINOPS
    + [
        "(String)",
        "(int)",
        "(Double)",
        "(long)",
        "!",
        "?",
        ":",
        "(",
        ")",
        ",",
        ".length()",
        ".substring(",
        "//",
        "/*",
    ]
    + [f"{f}(" for f in _SM_FUNCTIONS]
)
sm_formulas = _language(
    _SM_TOKENS,
    _formulas(
        _SM_ATOMS, _SM_BINOPS, ["-", "!", "(String) ", "(int) ", "(double) ", "(long) "], _SM_FUNCTIONS
    ),
)


@_settings("string_manipulation")
@given(sm_formulas, st.booleans(), st.booleans())
def test_string_manipulation_answers_every_text(text: str, append: bool, missing_as_null: bool) -> None:
    _node_answers(
        "string_manipulation",
        {
            "expression": text,
            "append_column": append,
            "replaced_column": "s",
            "insert_missing_as_null": missing_as_null,
        },
    )
