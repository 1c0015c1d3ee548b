"""The web-UI Row Filter (`filter.row3`) as a shared base: its settings, its KNIME translator and
the row test, so that Row Filter (nodes.rules) and Row Splitter (nodes.row_ops) are the same
filter with one or two outputs.

Criteria are KNIME's {column, operator, value} predicates (on a column, `<ROW_ID>` or
`<ROW_NUMBER>`) or KNIME Expression language conditions (nodes._expressions); they combine with
AND or OR. Configure evaluates them over zero rows built from the input spec, so unknown columns,
wrong operators and syntax errors surface before execution.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
)
from engine.api.knime import KnimeSettings
from nodes._expressions import (
    BOOLEAN,
    INTEGER,
    MISSING,
    STRING,
    Ast,
    ColumnTypeError,
    ExpressionError,
    ExpressionEvaluator,
    Rows,
    UnknownAtConfigure,
    Vec,
    fullmatch,
    java_double_text,
    parse_expression,
    to_text,
    wildcard_regex,
)
from nodes._knime_row_filter import row3_from_knime


def expression_failure(exc: ExpressionError, setting: str, configuring: bool) -> NodeError:
    """An expression error as the node's error, naming the setting that holds the expression."""
    cls = ConfigureError if configuring else NodeError
    return cls(f"{setting}: {exc}", setting=setting)


def expression_rows(inp: Any, ctx: NodeContext) -> Rows:
    if isinstance(inp, Table):
        return Rows.of_table(inp, ctx.variables)
    return Rows.of_spec(inp, ctx.variables)


ROW_NUMBER = "<ROW_NUMBER>"
ROW_ID = "<ROW_ID>"

Operator = Literal[
    "EQ",
    "NEQ",
    "NEQ_MISS",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "FIRST_N_ROWS",
    "LAST_N_ROWS",
    "REGEX",
    "WILDCARD",
    "IS_TRUE",
    "IS_FALSE",
    "IS_MISSING",
    "IS_NOT_MISSING",
]
_ORDERING = {"LT", "LTE", "GT", "GTE", "BETWEEN"}
_VALUELESS = {"IS_TRUE", "IS_FALSE", "IS_MISSING", "IS_NOT_MISSING"}
_OPERATORS = (
    "EQ",
    "NEQ",
    "NEQ_MISS",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "FIRST_N_ROWS",
    "LAST_N_ROWS",
    "REGEX",
    "WILDCARD",
    "IS_TRUE",
    "IS_FALSE",
    "IS_MISSING",
    "IS_NOT_MISSING",
)


class RowFilterPredicate(NodeSettings):
    """One filter criterion, with KNIME's row3 keys."""

    column: str = Field(
        ..., description="Column to test, or KNIME's special columns `<ROW_NUMBER>` (1-based) and `<ROW_ID>`."
    )
    operator: Operator = Field(
        "EQ",
        description=(
            "EQ, NEQ (not equal nor missing), NEQ_MISS (not equal, missing allowed), LT, LTE, GT, GTE, "
            "BETWEEN (values [low, high], inclusive), FIRST_N_ROWS, LAST_N_ROWS, REGEX, WILDCARD, IS_TRUE, "
            "IS_FALSE, IS_MISSING, IS_NOT_MISSING."
        ),
    )
    value: bool | int | float | str | None = Field(
        None, description="Reference value, read as the column's type."
    )
    values: list[bool | int | float | str] | None = Field(
        None, description="Two values for BETWEEN: low, high."
    )
    caseMatching: Literal["CASESENSITIVE", "CASEINSENSITIVE"] = Field(
        "CASESENSITIVE", description="Case matching of string comparisons and patterns."
    )


class RowFilterSettings(NodeSettings):
    matchCriteria: Literal["AND", "OR"] = Field(
        "AND", description="AND: a row must match every predicate; OR: at least one."
    )
    predicates: list[RowFilterPredicate | str] = Field(
        default_factory=list,
        description=(
            "Filter criteria. Each is KNIME's {column, operator, value} or a KNIME Expression language "
            'condition such as `$N > 1050` or `$["rho0 lambda lambda"] < 30.0` (MISSING counts as false).'
        ),
    )
    outputMode: Literal["MATCHING", "NON_MATCHING"] = Field(
        "MATCHING", description="Keep the MATCHING rows or the NON_MATCHING ones."
    )
    domains: Literal["RETAIN", "COMPUTE"] = Field(
        "RETAIN", description="KNIME's domain handling of the output; it does not change the rows."
    )


def value_text(value: bool | int | float | str) -> str:
    """A reference value as the text it is matched against (KNIME's cell string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_text(value)
    return str(value)


def row_filter_from_knime(knime: KnimeSettings) -> None:
    """The web-UI Row Filter's settings, every layout KNIME wrote (nodes/_knime_row_filter.py)."""
    row3_from_knime(knime)


class RowFilterBase(Node):
    """The Row Filter's test (no node type of its own): Row Filter keeps the matching (or the other)
    rows, Row Splitter returns both."""

    category = Category.MANIPULATOR
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Filtered table"),)
    Settings = RowFilterSettings

    def configure(self, in_specs: list[Any], settings: RowFilterSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        for i, pred in enumerate(settings.predicates):
            if isinstance(pred, str):
                self._parse(pred, i, configuring=True)
        if spec is UNKNOWN:
            return [UNKNOWN]
        try:
            self._mask(expression_rows(spec, ctx), settings, configuring=True)
        except UnknownAtConfigure:
            pass
        return [spec]

    def execute(self, inputs: list[Any], settings: RowFilterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        mask = self._mask(expression_rows(table, ctx), settings, configuring=False)
        if settings.outputMode == "NON_MATCHING":
            mask = ~mask
        return [table.with_frame(table.df[mask])]

    @staticmethod
    def _parse(text: str, i: int, *, configuring: bool) -> Ast:
        try:
            return parse_expression(text.strip())
        except ExpressionError as exc:
            raise expression_failure(exc, f"predicates.{i}", configuring) from None

    def _mask(self, rows: Rows, settings: RowFilterSettings, *, configuring: bool) -> np.ndarray:
        masks = []
        for i, pred in enumerate(settings.predicates):
            if isinstance(pred, str):
                ast = self._parse(pred, i, configuring=configuring)
                try:
                    vec = ExpressionEvaluator(pred.strip(), rows).evaluate(ast)
                except ExpressionError as exc:
                    raise expression_failure(exc, f"predicates.{i}", configuring) from None
                if vec.kind not in (BOOLEAN, MISSING):
                    raise ConfigureError(
                        f"predicates.{i}: the condition must be BOOLEAN, not {vec.kind}",
                        setting=f"predicates.{i}",
                    )
                # a MISSING condition is not TRUE: the row does not match
                masks.append(
                    np.zeros(rows.n, dtype=bool) if vec.kind == MISSING else vec.values & ~vec.missing
                )
            else:
                masks.append(self._predicate(pred, rows, f"predicates.{i}"))
        if not masks:
            return np.ones(rows.n, dtype=bool)
        out = masks[0]
        for m in masks[1:]:
            out = out & m if settings.matchCriteria == "AND" else out | m
        return out

    def _predicate(self, pred: RowFilterPredicate, rows: Rows, setting: str) -> np.ndarray:
        op = pred.operator
        n = rows.n
        if pred.column == ROW_NUMBER:
            return self._row_numbers(pred, n, setting)
        if pred.column == ROW_ID:
            if op not in ("EQ", "NEQ", "NEQ_MISS", "REGEX", "WILDCARD"):
                raise ConfigureError(
                    f"operator {op} cannot be applied to the RowID", setting=f"{setting}.operator"
                )
            ids = Vec(STRING, rows.row_ids.astype(object), np.zeros(n, dtype=bool))
            return self._string_test(pred, ids, setting)
        if not rows.has(pred.column):
            known = ", ".join(rows.types) or "none"
            raise ConfigureError(
                f"column {pred.column!r} not found in the input table (columns: {known})",
                setting=f"{setting}.column",
            )
        col_type = rows.types[pred.column]
        if op in ("IS_MISSING", "IS_NOT_MISSING"):
            missing = (
                rows.frame[pred.column].isna().to_numpy(dtype=bool)
                if rows.frame is not None
                else np.zeros(0, dtype=bool)
            )
            return missing if op == "IS_MISSING" else ~missing
        if op in ("FIRST_N_ROWS", "LAST_N_ROWS"):
            raise ConfigureError(f"operator {op} needs the column {ROW_NUMBER}", setting=f"{setting}.column")
        try:
            vec = rows.column(pred.column)
        except ColumnTypeError as exc:
            raise ConfigureError(str(exc), setting=f"{setting}.column") from None
        if vec.kind == BOOLEAN:
            if op not in ("IS_TRUE", "IS_FALSE"):
                raise ConfigureError(
                    f"Boolean column {pred.column!r} is filtered with IS_TRUE or IS_FALSE, not {op}",
                    setting=f"{setting}.operator",
                )
            hit = vec.values if op == "IS_TRUE" else ~vec.values
            return hit & ~vec.missing
        if op in ("IS_TRUE", "IS_FALSE"):
            raise ConfigureError(
                f"operator {op} needs a Boolean column; {pred.column!r} is {col_type}",
                setting=f"{setting}.operator",
            )
        if vec.kind == STRING:
            if op in _ORDERING:
                raise ConfigureError(
                    f"operator {op} is not applicable to String column {pred.column!r}",
                    setting=f"{setting}.operator",
                )
            return self._string_test(pred, vec, setting)
        if op in ("REGEX", "WILDCARD"):
            if vec.kind != INTEGER:
                raise ConfigureError(
                    f"operator {op} needs a string or integer column; {pred.column!r} is {col_type}",
                    setting=f"{setting}.operator",
                )
            return self._string_test(pred, to_text(vec), setting)
        return self._numeric_test(pred, vec, setting)

    @staticmethod
    def _number(value: Any, setting: str) -> float | int:
        if isinstance(value, bool) or value is None:
            raise ConfigureError(f"a number is needed, got {value!r}", setting=setting)
        if isinstance(value, int | float):
            return value
        try:
            text = str(value).strip()
            return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
        except ValueError:
            raise ConfigureError(f"{value!r} is not a number", setting=setting) from None

    def _bounds(self, pred: RowFilterPredicate, setting: str) -> list[float | int]:
        if pred.operator == "BETWEEN":
            vals = pred.values or []
            if len(vals) != 2:
                raise ConfigureError("BETWEEN needs two values: [low, high]", setting=f"{setting}.values")
            return [self._number(v, f"{setting}.values") for v in vals]
        value = pred.value if pred.value is not None else (pred.values[0] if pred.values else None)
        return [self._number(value, f"{setting}.value")]

    def _compare(self, op: str, x: np.ndarray, bounds: list[float | int]) -> np.ndarray:
        ref = bounds[0]
        if op == "EQ":
            return x == ref
        if op in ("NEQ", "NEQ_MISS"):
            return x != ref
        if op == "LT":
            return x < ref
        if op == "LTE":
            return x <= ref
        if op == "GT":
            return x > ref
        if op == "GTE":
            return x >= ref
        return (x >= bounds[0]) & (x <= bounds[1])

    def _row_numbers(self, pred: RowFilterPredicate, n: int, setting: str) -> np.ndarray:
        op = pred.operator
        numbers = np.arange(1, n + 1, dtype=np.int64)
        if op in ("REGEX", "WILDCARD", "IS_TRUE", "IS_FALSE", "IS_MISSING", "IS_NOT_MISSING"):
            raise ConfigureError(
                f"operator {op} cannot be applied to {ROW_NUMBER}", setting=f"{setting}.operator"
            )
        bounds = self._bounds(pred, setting)
        if op == "FIRST_N_ROWS":
            return numbers <= bounds[0]
        if op == "LAST_N_ROWS":
            return numbers > n - bounds[0]
        return np.asarray(self._compare(op, numbers, bounds), dtype=bool)

    def _numeric_test(self, pred: RowFilterPredicate, vec: Vec, setting: str) -> np.ndarray:
        op = pred.operator
        bounds = self._bounds(pred, setting)
        x = (
            vec.values
            if vec.kind == INTEGER and all(isinstance(b, int) for b in bounds)
            else vec.values.astype(np.float64)
        )
        with np.errstate(invalid="ignore"):
            hit = np.asarray(self._compare(op, x, bounds), dtype=bool)
        if op == "NEQ_MISS":
            return hit | vec.missing  # missing values pass "is not equal"
        return hit & ~vec.missing  # missing values never match

    def _string_test(self, pred: RowFilterPredicate, vec: Vec, setting: str) -> np.ndarray:
        op = pred.operator
        if pred.value is None:
            raise ConfigureError(f"operator {op} needs a value", setting=f"{setting}.value")
        ref = value_text(pred.value)
        insensitive = pred.caseMatching == "CASEINSENSITIVE"
        if op in ("EQ", "NEQ", "NEQ_MISS"):
            if insensitive:
                equal = (
                    pd.Series(vec.values, dtype=object).str.lower().to_numpy() == ref.lower()
                    if len(vec)
                    else np.zeros(0, dtype=bool)
                )
            else:
                equal = vec.values == ref
            equal = np.asarray(equal, dtype=bool)
            if op == "EQ":
                return equal & ~vec.missing
            hit = ~equal
            return hit | vec.missing if op == "NEQ_MISS" else hit & ~vec.missing
        if op in ("REGEX", "WILDCARD"):
            regex = wildcard_regex(ref) if op == "WILDCARD" else ref
            flags = re.S | re.M | (re.I if insensitive else 0)
            try:
                re.compile(regex, flags)
            except re.error as exc:
                raise ConfigureError(
                    f"invalid regular expression {ref!r}: {exc}", setting=f"{setting}.value"
                ) from None
            return fullmatch(vec, regex, flags)
        raise ConfigureError(f"operator {op} is not applicable to strings", setting=f"{setting}.operator")
