"""Expression-language nodes: Rule Engine, Expression, Row Filter and Math Formula.

Each language is a real grammar (`nodes._rule_language`, `nodes._expression_language`,
`nodes._jep_language`), evaluated column-at-a-time over the whole table. Configure runs the same
evaluators over zero rows built from the input spec, so syntax errors (with line and column),
unknown columns and type errors surface before execution, and the output column types are known:
the Expression node writes KNIME's Long/Double/String/Boolean, the Rule Engine the common type of
its outcomes, Math Formula Double (Integer with `convert_to_int`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._expr_common import (
    BOOLEAN,
    FLOAT,
    INTEGER,
    MISSING,
    STRING,
    Ast,
    ColumnTypeError,
    ExpressionError,
    Rows,
    UnknownAtConfigure,
    Vec,
    fullmatch,
    java_double_text,
    to_text,
    vec_to_series,
    wildcard_regex,
)
from nodes._expression_grammar import parse_expression
from nodes._expression_language import ExpressionEvaluator, expression_output_type
from nodes._jep_language import JepEvaluator, parse_jep
from nodes._knime_row_filter import classic_from_knime, row3_from_knime
from nodes._rule_language import RuleEvaluator, is_rule_comment, parse_rule, rule_outcome_type


def _fail(exc: ExpressionError, setting: str, configuring: bool) -> NodeError:
    """An expression error as the node's error, naming the setting that holds the expression."""
    cls = ConfigureError if configuring else NodeError
    return cls(f"{setting}: {exc}", setting=setting)


def _rows(inp: Any, ctx: NodeContext) -> Rows:
    if isinstance(inp, Table):
        return Rows.of_table(inp, ctx.variables)
    return Rows.of_spec(inp, ctx.variables)


def _table_out(inp: Table, order: list[str], new: dict[str, tuple[Vec, str]]) -> Table:
    """The input table with the computed columns put in (replaced in place or appended)."""
    df = inp.df
    columns: dict[str, pd.Series] = {}
    types: dict[str, str] = {}
    for name in order:
        if name in new:
            vec, col_type = new[name]
            columns[name] = vec_to_series(vec, df.index, col_type)
            types[name] = col_type
        else:
            columns[name] = df[name]
            types[name] = inp.types[name]
    out = pd.DataFrame(columns, index=df.index) if columns else pd.DataFrame(index=df.index)
    return Table(out, types)


def _spec_out(spec: TableSpec, order: list[str], new: dict[str, tuple[Vec, str]]) -> TableSpec:
    types = {c.name: c.type for c in spec.columns}
    return TableSpec.of([(n, new[n][1] if n in new else types[n]) for n in order])


# ================================================================================== Rule Engine


class _ColumnsFromExpressions(Node):
    """Rule Engine, Expression and Math Formula: parse the settings once, evaluate them over the
    rows (at configure time over an empty table of the input spec, to get the output spec)."""

    def _parse(self, settings: Any, *, configuring: bool) -> Any:
        raise NotImplementedError

    def _compute(
        self, parsed: Any, rows: Rows, spec: TableSpec, settings: Any, ctx: NodeContext, *, configuring: bool
    ) -> tuple[list[str], dict[str, tuple[Vec, str]]]:
        raise NotImplementedError

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        parsed = self._parse(settings, configuring=True)
        spec = in_specs[0]
        if spec is UNKNOWN:
            return [UNKNOWN]
        try:
            order, new = self._compute(parsed, _rows(spec, ctx), spec, settings, ctx, configuring=True)
        except UnknownAtConfigure:
            return [UNKNOWN]
        return [_spec_out(spec, order, new)]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        parsed = self._parse(settings, configuring=False)
        order, new = self._compute(parsed, _rows(table, ctx), table.spec, settings, ctx, configuring=False)
        return [_table_out(table, order, new)]


class RuleEngineSettings(NodeSettings):
    rules: list[str] = Field(
        default_factory=list,
        description=(
            'The rules, one per line: `condition => outcome`, e.g. `$dE$ >= 0 => "stable"`. The first '
            "matching rule gives the value; no match gives a missing value. Lines starting with // are "
            "comments. Operators: < <= = >= >, AND, OR, XOR, NOT, LIKE (wildcards * ?), MATCHES (regex), "
            "IN (list), MISSING $col$; $$ROWID$$, $$ROWINDEX$$, $$ROWCOUNT$$; flow variables $${Sname}$$ "
            "(S string, I integer, D double)."
        ),
    )
    append_column: bool = Field(
        True, description="Append a new column (true) or replace an existing one (false)."
    )
    new_column_name: str = Field("prediction", description="Name of the appended column.")
    replace_column_name: str = Field("", description="Column replaced by the result when not appending.")


def _rule_engine_from_knime(knime: KnimeSettings) -> None:
    knime.take("rules", transform=lambda v: list(seq(v)))
    knime.take_all(["append-column", "new-column-name", "replace-column-name"])


class RuleEngine(_ColumnsFromExpressions):
    type_name = "rule_engine"
    display_name = "Rule Engine"
    category = Category.MANIPULATOR
    description = (
        'Applies rules (`$col$ >= 0 => "stable"`) to every row; the first matching rule\'s outcome goes '
        "into a new or replaced column, missing when no rule matches."
    )
    keywords = ("rule", "if", "case", "classify", "condition", "label")
    knime = (
        KnimeMapping(
            "org.knime.base.node.rules.engine.RuleEngineNodeFactory", "Rule Engine", _rule_engine_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the rule results"),)
    Settings = RuleEngineSettings

    @staticmethod
    def _parse(settings: RuleEngineSettings, *, configuring: bool) -> list[tuple[str, str, Ast]]:
        parsed = []
        for i, entry in enumerate(settings.rules):
            for line in entry.splitlines() or [""]:
                if is_rule_comment(line):
                    continue
                text = line.strip()
                try:
                    parsed.append((f"rules.{i}", text, parse_rule(text)))
                except ExpressionError as exc:
                    raise _fail(exc, f"rules.{i}", configuring) from None
        return parsed

    @staticmethod
    def _target(spec: TableSpec, settings: RuleEngineSettings) -> tuple[str, list[str]]:
        names = spec.names
        if settings.append_column:
            name = settings.new_column_name
            if not name.strip():
                raise ConfigureError("the name of the new column is empty", setting="new_column_name")
            if name in names:
                raise ConfigureError(
                    f"column {name!r} already exists; choose another name or replace it",
                    setting="new_column_name",
                )
            return name, [*names, name]
        name = settings.replace_column_name
        if name not in names:
            raise ConfigureError(
                f"column {name!r} to replace not found in the input table (columns: {', '.join(names) or 'none'})",
                setting="replace_column_name",
            )
        return name, names

    def _compute(
        self,
        rules: list[tuple[str, str, Ast]],
        rows: Rows,
        spec: TableSpec,
        settings: RuleEngineSettings,
        ctx: NodeContext,
        *,
        configuring: bool,
    ) -> tuple[list[str], dict[str, tuple[Vec, str]]]:
        target, order = self._target(spec, settings)
        conds: list[np.ndarray] = []
        outcomes: list[Vec] = []
        hints: list[tuple[str, str | None]] = []
        for setting, text, ast in rules:
            ev = RuleEvaluator(text, rows)
            condition, outcome_ast = ast.args
            try:
                conds.append(ev.condition(condition))
                outcome = ev.operand(outcome_ast)
            except ExpressionError as exc:
                raise _fail(exc, setting, configuring) from None
            outcomes.append(outcome)
            hints.append((outcome.kind, self._type_hint(outcome_ast, outcome, rows)))
        out_type = rule_outcome_type(hints)
        return order, {target: (self._combine(conds, outcomes, out_type, rows.n), out_type)}

    @staticmethod
    def _type_hint(node: Ast, vec: Vec, rows: Rows) -> str | None:
        if node.op == "col":
            return rows.types.get(node.value[0])
        if node.op == "lit" and node.value[0] == INTEGER and not -(2**31) <= node.value[1] < 2**31:
            return ColumnType.LONG
        return None

    @staticmethod
    def _combine(conds: list[np.ndarray], outcomes: list[Vec], out_type: str, n: int) -> Vec:
        """First matching rule wins; rows no rule matches are missing."""
        kind = {
            ColumnType.DOUBLE: FLOAT,
            ColumnType.INTEGER: INTEGER,
            ColumnType.LONG: INTEGER,
            ColumnType.BOOLEAN: BOOLEAN,
        }.get(out_type, STRING)
        dtype = {FLOAT: np.float64, INTEGER: np.int64, BOOLEAN: np.bool_}.get(kind, object)
        fill = {FLOAT: 0.0, INTEGER: 0, BOOLEAN: False}.get(kind, "")
        values = np.full(n, fill, dtype=dtype)
        missing = np.ones(n, dtype=bool)
        taken = np.zeros(n, dtype=bool)
        for cond, outcome in zip(conds, outcomes, strict=True):
            hit = cond & ~taken
            if not hit.any():
                continue
            src = to_text(outcome) if kind == STRING else outcome
            values[hit] = src.values[hit].astype(dtype)
            missing[hit] = outcome.missing[hit]
            taken |= hit
        return Vec(kind, values, missing)


# ================================================================================== Expression


class ExpressionItem(NodeSettings):
    """One expression of the Expression node, with KNIME's keys."""

    script: str = Field(
        ...,
        description=(
            'KNIME Expression language, e.g. `abs($["IP_B"] - $["EA_B"]) / $["rp_A"]**2`. Columns: '
            '$["name"] or $name (offset: $["name", -1]); $[ROW_ID], $[ROW_INDEX], $[ROW_NUMBER]; '
            'flow variables $$name or $$["name"]; + - * / // % **, ??, comparisons, and/or/not, '
            "if(c, a, b) and functions such as abs, exp, ln, log10, sqrt, round, min, max."
        ),
    )
    columnOutputMode: Literal["APPEND", "REPLACE_EXISTING"] = Field(
        "APPEND", description="APPEND a new column or REPLACE_EXISTING an existing one."
    )
    createdColumn: str = Field("New Column", description="Name of the appended column (APPEND).")
    replacedColumn: str = Field("", description="Column replaced by the result (REPLACE_EXISTING).")

    @field_validator("columnOutputMode", mode="before")
    @classmethod
    def _replace_alias(cls, value: Any) -> Any:
        return "REPLACE_EXISTING" if value == "REPLACE" else value


class ExpressionSettings(NodeSettings):
    expressions: list[ExpressionItem] = Field(
        default_factory=list,
        description="Expressions evaluated top to bottom; each can use the columns the ones before it made.",
    )


def _expression_from_knime(knime: KnimeSettings) -> None:
    """Main expression plus `additionalExpressions`, as one ordered list."""
    tree = knime.tree
    keys = ("script", "columnOutputMode", "createdColumn", "replacedColumn")
    exprs = [{k: tree.get(k) for k in keys}]
    exprs += [{k: e.get(k) for k in keys} for e in seq(tree.get("additionalExpressions"))]
    for e in exprs:
        e["script"] = (e["script"] or "").strip()
        if e["columnOutputMode"] == "APPEND":
            e.pop("replacedColumn")
        else:
            e.pop("createdColumn")
    knime.put("expressions", exprs, "script")
    knime.paths.update({k: "expressions" for k in ("additionalExpressions", *keys[1:])})
    # the language and function-library versions the script was written against
    knime.unread("languageVersion", "builtinFunctionsVersion", "builtinAggregationsVersion")


class Expression(_ColumnsFromExpressions):
    type_name = "expression"
    display_name = "Expression"
    category = Category.MANIPULATOR
    description = (
        'Computes new or replaced columns with KNIME\'s expression language (`$["a"] / $["b"]**2`, '
        '`if($x > 0, "pos", "neg")`), one or more expressions evaluated in order.'
    )
    keywords = ("expression", "formula", "calculate", "compute", "column", "math", "string")
    knime = (
        KnimeMapping(
            "org.knime.base.expressions.node.row.mapper.ExpressionRowMapperNodeFactory",
            "Expression",
            _expression_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the computed columns"),)
    Settings = ExpressionSettings

    @staticmethod
    def _parse(settings: ExpressionSettings, *, configuring: bool) -> list[Ast]:
        asts = []
        for i, item in enumerate(settings.expressions):
            try:
                asts.append(parse_expression(item.script.strip()))
            except ExpressionError as exc:
                raise _fail(exc, f"expressions.{i}.script", configuring) from None
        return asts

    @staticmethod
    def _compute(
        asts: list[Ast],
        rows: Rows,
        spec: TableSpec,
        settings: ExpressionSettings,
        ctx: NodeContext,
        *,
        configuring: bool,
    ) -> tuple[list[str], dict[str, tuple[Vec, str]]]:
        order = list(spec.names)
        new: dict[str, tuple[Vec, str]] = {}
        for i, (item, ast) in enumerate(zip(settings.expressions, asts, strict=True)):
            setting = f"expressions.{i}.script"
            if item.columnOutputMode == "APPEND":
                name = item.createdColumn
                if not name.strip():
                    raise ConfigureError(
                        "the name of the new column is empty", setting=f"expressions.{i}.createdColumn"
                    )
                if name in order:
                    raise ConfigureError(
                        f"column {name!r} already exists; choose another name or replace it",
                        setting=f"expressions.{i}.createdColumn",
                    )
            else:
                name = item.replacedColumn
                if name not in order:
                    raise ConfigureError(
                        f"column {name!r} to replace not found (columns: {', '.join(order) or 'none'})",
                        setting=f"expressions.{i}.replacedColumn",
                    )
            text = item.script.strip()
            try:
                vec = ExpressionEvaluator(text, rows, warn=ctx.log).evaluate(ast)
            except ExpressionError as exc:
                raise _fail(exc, setting, configuring) from None
            if vec.kind == MISSING:
                raise _fail(
                    ExpressionError("the expression always evaluates to MISSING", text), setting, configuring
                )
            col_type = expression_output_type(vec.kind)
            rows.put(name, vec, col_type)
            new[name] = (vec, col_type)
            if name not in order:
                order.append(name)
        return order, new


# ================================================================================== Row Filter

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


def _value_text(value: bool | int | float | str) -> str:
    """A reference value as the text it is matched against (KNIME's cell string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_text(value)
    return str(value)


def _row_filter_from_knime(knime: KnimeSettings) -> None:
    """The web-UI Row Filter, all its layouts (nodes/_knime_row_filter.py)."""
    row3_from_knime(knime)


def _classic_row_filter_from_knime(knime: KnimeSettings) -> None:
    """The classic Row Filter's filter tree (nodes/_knime_row_filter.py)."""
    classic_from_knime(knime)


class RowFilter(Node):
    type_name = "row_filter"
    display_name = "Row Filter"
    category = Category.MANIPULATOR
    description = (
        "Keeps the rows that match (or do not match) criteria on column values, RowIDs or row numbers; "
        "rows keep their RowIDs and order."
    )
    keywords = ("filter", "rows", "select", "where", "subset", "condition")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.filter.row3.RowFilterNodeFactory",
            "Row Filter",
            _row_filter_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.filter.row.RowFilterNodeFactory",
            "Row Filter (legacy)",
            _classic_row_filter_from_knime,
        ),
    )
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
            self._mask(_rows(spec, ctx), settings, configuring=True)
        except UnknownAtConfigure:
            pass
        return [spec]

    def execute(self, inputs: list[Any], settings: RowFilterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        mask = self._mask(_rows(table, ctx), settings, configuring=False)
        if settings.outputMode == "NON_MATCHING":
            mask = ~mask
        return [table.with_frame(table.df[mask])]

    @staticmethod
    def _parse(text: str, i: int, *, configuring: bool) -> Ast:
        try:
            return parse_expression(text.strip())
        except ExpressionError as exc:
            raise _fail(exc, f"predicates.{i}", configuring) from None

    def _mask(self, rows: Rows, settings: RowFilterSettings, *, configuring: bool) -> np.ndarray:
        masks = []
        for i, pred in enumerate(settings.predicates):
            if isinstance(pred, str):
                ast = self._parse(pred, i, configuring=configuring)
                try:
                    vec = ExpressionEvaluator(pred.strip(), rows).evaluate(ast)
                except ExpressionError as exc:
                    raise _fail(exc, f"predicates.{i}", configuring) from None
                if vec.kind not in (BOOLEAN, MISSING):
                    raise ConfigureError(
                        f"predicates.{i}: the condition must be BOOLEAN, not {vec.kind}",
                        setting=f"predicates.{i}",
                    )
                masks.append(vec.values & ~vec.missing)
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
        value = pred.value if pred.value is not None else (pred.values or [None])[0]
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
        ref = _value_text(pred.value)
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


# ================================================================================= Math Formula


class MathFormulaSettings(NodeSettings):
    expression: str = Field(
        ...,
        description=(
            "JEP formula, e.g. `if($row$ == $column$, $Singular Value$, 0)`. Columns $name$ (numeric), "
            "$$ROWINDEX$$ (0-based), $$ROWCOUNT$$, flow variables $${Iname}$$ / $${Dname}$$; + - * / % ^, "
            "== != < <= > >=, && || !, functions abs sqrt exp ln log pow round floor ceil min max if sin cos ..., "
            "COL_MIN($col$) COL_MAX COL_MEAN COL_MEDIAN COL_SUM COL_STDDEV COL_VAR; constants pi, e."
        ),
    )
    append_column: bool = Field(
        True, description="Append a new column (true) or replace `replaced_column` (false)."
    )
    replaced_column: str = Field(
        "",
        description=(
            "Column to replace; as in KNIME, a replaced column that does not exist is appended under this name. "
            "When appending without `new_column_name`, the name of the new column."
        ),
    )
    new_column_name: str | None = Field(
        None, description="Name of the appended column (append_column = true)."
    )
    convert_to_int: bool = Field(
        False,
        description="Round the result to an Integer column (missing outside the 32-bit range) instead of Double.",
    )


def _math_formula_from_knime(knime: KnimeSettings) -> None:
    knime.take("expression", transform=lambda v: (v or "").strip())
    knime.take_all(["append_column", "replaced_column", "convert_to_int"])


class MathFormula(_ColumnsFromExpressions):
    type_name = "math_formula"
    display_name = "Math Formula"
    category = Category.MANIPULATOR
    description = (
        "Evaluates a JEP formula over numeric columns (`$a$ * 2 + $$ROWINDEX$$`, `if(c, a, b)`) into a new or "
        "replaced Double column; a missing input or a NaN/infinite result gives a missing value."
    )
    keywords = ("math", "formula", "jep", "calculate", "compute", "arithmetic")
    knime = (KnimeMapping("org.knime.ext.jep.JEPNodeFactory", "Math Formula", _math_formula_from_knime),)
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the result column"),)
    Settings = MathFormulaSettings

    @staticmethod
    def _parse(settings: MathFormulaSettings, *, configuring: bool) -> Ast:
        try:
            return parse_jep(settings.expression.strip())
        except ExpressionError as exc:
            raise _fail(exc, "expression", configuring) from None

    @staticmethod
    def _target(spec: TableSpec, settings: MathFormulaSettings) -> tuple[str, list[str]]:
        names = spec.names
        if settings.append_column:
            name = settings.new_column_name or settings.replaced_column
            setting = "new_column_name" if settings.new_column_name else "replaced_column"
            if not name.strip():
                raise ConfigureError("the name of the new column is empty", setting="new_column_name")
            if name in names:
                raise ConfigureError(
                    f"column {name!r} already exists; choose another name or replace it", setting=setting
                )
            return name, [*names, name]
        name = settings.replaced_column
        if not name.strip():
            raise ConfigureError("no column to replace is set", setting="replaced_column")
        # KNIME's quirk (12_01, 12_02): replacing a column that does not exist appends it
        return name, names if name in names else [*names, name]

    def _compute(
        self,
        ast: Ast,
        rows: Rows,
        spec: TableSpec,
        settings: MathFormulaSettings,
        ctx: NodeContext,
        *,
        configuring: bool,
    ) -> tuple[list[str], dict[str, tuple[Vec, str]]]:
        name, order = self._target(spec, settings)
        text = settings.expression.strip()
        try:
            vec = JepEvaluator(text, rows).evaluate(ast)
        except ExpressionError as exc:
            raise _fail(exc, "expression", configuring) from None
        if not settings.convert_to_int:
            return order, {name: (vec, ColumnType.DOUBLE)}
        rounded = np.floor(vec.values + 0.5)  # Java's Math.round
        out_of_range = (rounded < -(2**31)) | (rounded > 2**31 - 1)
        missing = vec.missing | out_of_range
        ints = np.where(missing, 0, rounded).astype(np.int64)
        return order, {name: (Vec(INTEGER, ints, missing), ColumnType.INTEGER)}


__all__ = ["Expression", "MathFormula", "RowFilter", "RuleEngine"]
