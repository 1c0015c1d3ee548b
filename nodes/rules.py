"""Expression-language nodes: Rule Engine, Expression, Row Filter and Math Formula (single and multi
column).

Each language is a real grammar (`nodes._rule_language`, `nodes._expression_language`,
`nodes._jep_language`), evaluated column-at-a-time over the whole table. Configure runs the same
evaluators over zero rows built from the input spec, so syntax errors (with line and column),
unknown columns and type errors surface before execution, and the output column types are known:
the Expression node writes KNIME's Long/Double/String/Boolean, the Rule Engine the common type of
its outcomes, Math Formula Double (Integer with `convert_to_int`).
"""

from __future__ import annotations

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
    NodeSettings,
    Port,
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._common import ColumnFilter
from nodes._expr_common import (
    BOOLEAN,
    FLOAT,
    INTEGER,
    MISSING,
    STRING,
    Ast,
    ExpressionError,
    Rows,
    UnknownAtConfigure,
    Vec,
    to_text,
    vec_to_series,
)
from nodes._expression_functions import EXPRESSION_FUNCTIONS
from nodes._expression_grammar import parse_expression
from nodes._expression_language import ExpressionEvaluator, expression_output_type
from nodes._jep_language import JEP_FUNCTION_NAMES, JepEvaluator, parse_jep, with_current_column
from nodes._knime_row_filter import classic_from_knime, row3_from_knime
from nodes._row_filter import RowFilterBase
from nodes._row_filter import expression_failure as _fail
from nodes._row_filter import expression_rows as _rows
from nodes._rule_language import RuleEvaluator, is_rule_comment, parse_rule, rule_outcome_type


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
        json_schema_extra=widget("formula", language="rule", lines=True),
    )
    append_column: bool = Field(
        True, description="Append a new column (true) or replace an existing one (false)."
    )
    new_column_name: str = Field(
        "prediction", description="Name of the appended column.", json_schema_extra=widget("new_column")
    )
    replace_column_name: str = Field(
        "",
        description="Column replaced by the result when not appending.",
        json_schema_extra=widget("column"),
    )


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
        values: np.ndarray = np.full(n, fill, dtype=dtype)
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
        json_schema_extra=widget("formula", language="expression", functions=sorted(EXPRESSION_FUNCTIONS)),
    )
    columnOutputMode: Literal["APPEND", "REPLACE_EXISTING"] = Field(
        "APPEND", description="APPEND a new column or REPLACE_EXISTING an existing one."
    )
    createdColumn: str = Field(
        "New Column",
        description="Name of the appended column (APPEND).",
        json_schema_extra=widget("new_column"),
    )
    replacedColumn: str = Field(
        "",
        description="Column replaced by the result (REPLACE_EXISTING).",
        json_schema_extra=widget("column"),
    )

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


def _row_filter_from_knime(knime: KnimeSettings) -> None:
    """The web-UI Row Filter, all its layouts (nodes/_knime_row_filter.py)."""
    row3_from_knime(knime)


def _classic_row_filter_from_knime(knime: KnimeSettings) -> None:
    """The classic Row Filter's filter tree (nodes/_knime_row_filter.py)."""
    classic_from_knime(knime)


class RowFilter(RowFilterBase):
    type_name = "row_filter"
    display_name = "Row Filter"
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
        json_schema_extra=widget("formula", language="jep", functions=JEP_FUNCTION_NAMES),
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
        json_schema_extra=widget("column"),
    )
    new_column_name: str | None = Field(
        None,
        description="Name of the appended column (append_column = true).",
        json_schema_extra=widget("new_column"),
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
        return order, {name: _formula_column(vec, settings.convert_to_int)}


def _formula_column(vec: Vec, convert_to_int: bool) -> tuple[Vec, str]:
    """A Double column, or with `convert_to_int` Java's Math.round into an Integer column (missing
    outside the 32-bit range)."""
    if not convert_to_int:
        return vec, ColumnType.DOUBLE
    rounded = np.floor(vec.values + 0.5)
    out_of_range = (rounded < -(2**31)) | (rounded > 2**31 - 1)
    missing = vec.missing | out_of_range
    ints = np.where(missing, 0, rounded).astype(np.int64)
    return Vec(INTEGER, ints, missing), ColumnType.INTEGER


# ================================================================== Math Formula (Multi Column)


class MultiColumnMathFormulaSettings(NodeSettings):
    """KNIME's MultiColumnJEPNodeFactory keys (`replaced_column` holds the suffix, as KNIME saves it)."""

    expression: str = Field(
        ...,
        description=(
            "JEP formula evaluated once per selected column; `$$CURRENT_COLUMN$$` is that column, e.g. "
            "`$$CURRENT_COLUMN$$ / COL_MAX($$CURRENT_COLUMN$$)`. Otherwise as Math Formula."
        ),
        json_schema_extra=widget("formula", language="jep", functions=JEP_FUNCTION_NAMES),
    )
    column_selection: ColumnFilter = Field(
        default_factory=ColumnFilter, description="The columns the formula is evaluated for."
    )
    append_column: bool = Field(
        False,
        description="Append one result column per selected column, named after it with `replaced_column` as "
        "suffix (true), or replace the selected columns (false).",
    )
    replaced_column: str = Field("", description="The suffix of the appended columns.")
    convert_to_int: bool = Field(
        False, description="Round the results to Integer columns (missing outside the 32-bit range)."
    )


def _multi_column_math_formula_from_knime(knime: KnimeSettings) -> None:
    knime.take("expression", transform=lambda v: (v or "").strip())
    knime.take_all(["column_selection", "append_column", "replaced_column", "convert_to_int"])


class MultiColumnMathFormula(_ColumnsFromExpressions):
    type_name = "math_formula_multi_column"
    display_name = "Math Formula (Multi Column)"
    category = Category.MANIPULATOR
    description = (
        "Evaluates one JEP formula for each selected column (`$$CURRENT_COLUMN$$ * 100`), replacing the columns "
        "or appending `<column><suffix>`; every result is computed from the input row."
    )
    keywords = ("math", "formula", "jep", "multi column", "calculate", "compute", "each column")
    knime = (
        KnimeMapping(
            "org.knime.ext.jep.multicolumn.MultiColumnJEPNodeFactory",
            "Math Formula (Multi Column)",
            _multi_column_math_formula_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the result columns"),)
    Settings = MultiColumnMathFormulaSettings

    @staticmethod
    def _parse(settings: MultiColumnMathFormulaSettings, *, configuring: bool) -> Ast:
        try:
            return parse_jep(settings.expression.strip())
        except ExpressionError as exc:
            raise _fail(exc, "expression", configuring) from None

    @staticmethod
    def _targets(spec: TableSpec, settings: MultiColumnMathFormulaSettings) -> dict[str, str]:
        """Selected column -> the column its result goes to. Only numeric columns can be chosen: a saved
        filter lists no other column in either list, so "the rest" never takes a String column in."""
        selected = settings.column_selection.apply(spec, allowed_types=ColumnType.NUMERIC)
        if not selected:
            raise ConfigureError("no column is selected", setting="column_selection")
        if not settings.append_column:
            return {c: c for c in selected}
        targets = {c: c + settings.replaced_column for c in selected}
        taken = [t for t in targets.values() if t in spec]
        if taken:
            raise ConfigureError(
                f"column {taken[0]!r} already exists; choose another suffix", setting="replaced_column"
            )
        return targets

    def _compute(
        self,
        ast: Ast,
        rows: Rows,
        spec: TableSpec,
        settings: MultiColumnMathFormulaSettings,
        ctx: NodeContext,
        *,
        configuring: bool,
    ) -> tuple[list[str], dict[str, tuple[Vec, str]]]:
        targets = self._targets(spec, settings)
        text = settings.expression.strip()
        new: dict[str, tuple[Vec, str]] = {}
        for column, target in targets.items():
            try:
                vec = JepEvaluator(text, rows).evaluate(with_current_column(ast, column))
            except ExpressionError as exc:
                raise _fail(exc, "expression", configuring) from None
            new[target] = _formula_column(vec, settings.convert_to_int)
        order = [*spec.names, *(t for t in targets.values() if t not in spec)]
        return order, new


__all__ = ["Expression", "MathFormula", "MultiColumnMathFormula", "RowFilter", "RuleEngine"]
