"""The public names of KNIME's expression languages, from one place (kept for the nodes importing
them from here).

The languages live in their own modules: `nodes._expr_common` (value kinds, errors, Ast, value
vectors, rows), `nodes._expression_grammar` + `_expression_language` + `_expression_functions`
(the KNIME Expression language), `nodes._rule_language` (the Rule Engine's) and
`nodes._jep_language` (Math Formula's JEP). New code imports from those modules.
"""

from __future__ import annotations

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
    column_vec,
    const_vec,
    empty_vec,
    fullmatch,
    java_double_text,
    kind_of_type,
    to_text,
    vec_to_series,
    wildcard_regex,
)
from nodes._expression_grammar import parse_expression
from nodes._expression_language import ExpressionEvaluator, expression_output_type
from nodes._jep_language import JepEvaluator, jep_row_columns, parse_jep
from nodes._rule_language import RuleEvaluator, is_rule_comment, parse_rule, rule_outcome_type

__all__ = [
    "BOOLEAN",
    "FLOAT",
    "INTEGER",
    "MISSING",
    "NUMERIC_KINDS",
    "STRING",
    "Ast",
    "ColumnTypeError",
    "ExpressionError",
    "ExpressionEvaluator",
    "JepEvaluator",
    "Rows",
    "RuleEvaluator",
    "UnknownAtConfigure",
    "Vec",
    "as_float",
    "column_vec",
    "const_vec",
    "empty_vec",
    "expression_output_type",
    "fullmatch",
    "is_rule_comment",
    "java_double_text",
    "jep_row_columns",
    "kind_of_type",
    "parse_expression",
    "parse_jep",
    "parse_rule",
    "rule_outcome_type",
    "to_text",
    "vec_to_series",
    "wildcard_regex",
]
