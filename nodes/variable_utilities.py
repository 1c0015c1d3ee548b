"""Flow-variable utilities: rules and a math formula over flow variables (Rule Engine Variable,
Math Formula (Variable)), a table column as one variable per row (Table Column to Variable), a
pause (Wait...) and a temporary folder for the run (Create Temp Dir).

The two expression nodes reuse the table nodes' languages (`nodes._rule_language`,
`nodes._jep_language`) evaluated over one row without columns: only flow variables can be
referenced, so a column, `$$ROWINDEX$$`, `$$ROWCOUNT$$`, `$$ROWID$$` or a `COL_*` aggregate is
an error, as KNIME's variable rule parser refuses them.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VARIABLES,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, PortMap, seq
from nodes._common import ColumnFilter
from nodes._expr_common import BOOLEAN, FLOAT, INTEGER, STRING, Ast, ExpressionError, Rows
from nodes._java_text import java_double_to_string
from nodes._jep_language import JEP_FUNCTION_NAMES, JepEvaluator, parse_jep
from nodes._row_filter import expression_failure
from nodes._rows import is_missing
from nodes._rule_language import RuleEvaluator, is_rule_comment, parse_rule
from nodes._variable_ports import OPTIONAL_VARIABLES_IN
from nodes._variables import INTERNAL_PREFIX, variable_entry_type


def _ast_nodes(node: Ast) -> Iterator[Ast]:
    yield node
    for arg in node.args:
        if isinstance(arg, Ast):
            yield from _ast_nodes(arg)


def _check_variables_only(ast: Ast, text: str) -> None:
    """Rules and formulas over flow variables have no table: no columns, no row specials."""
    for node in _ast_nodes(ast):
        if node.op == "col":
            name = node.value if isinstance(node.value, str) else node.value[0]
            raise ExpressionError(
                f"column ${name}$ cannot be used: there is no table, only flow variables",
                text,
                node.line,
                node.column,
            )
        if node.op == "special":
            raise ExpressionError(
                f"$${node.value}$$ is not available: there is no table, only flow variables",
                text,
                node.line,
                node.column,
            )


def _variable_rows(variables: Any, *, configuring: bool) -> Rows:
    """One row without columns (none at configure time, when variables may be placeholders)."""
    if configuring:
        return Rows(0, {}, None, np.zeros(0, dtype=object), variables, configuring=True)
    return Rows(1, {}, pd.DataFrame(index=range(1)), np.array([""], dtype=object), variables)


def _error_class(configuring: bool) -> type[NodeError]:
    return ConfigureError if configuring else NodeError


class _VariableFormula(Node):
    """A formula over flow variables whose result is pushed as one flow variable: configuring
    parses and checks it, executing evaluates it."""

    category = Category.MANIPULATOR
    inputs = (OPTIONAL_VARIABLES_IN,)

    def evaluate(self, settings: Any, ctx: NodeContext, *, configuring: bool) -> tuple[str, Any, str]:
        """(variable name, value, variable type); the value means nothing when configuring."""
        raise NotImplementedError

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        self.evaluate(settings, ctx, configuring=True)
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        ctx.push_variable(*self.evaluate(settings, ctx, configuring=False))
        return [None]


# ===================================================================================== Rule Engine Variable

_INT_RANGE = (-(2**31), 2**31 - 1)
# what an outcome makes of the result's type: KNIME's cell types by their rule kind
_OUTCOME_OF_VARIABLE = {"S": STRING, "I": INTEGER, "D": FLOAT, "L": INTEGER, "B": BOOLEAN}
_LONG = "LONG"


class RuleEngineVariableSettings(NodeSettings):
    """KNIME's RuleEngineSettings as the Rule Engine Variable reads them (`rules`, `new-column-name`)."""

    rules: list[str] = Field(
        default_factory=list,
        description=(
            'The rules, one per line: `condition => outcome`, e.g. `$${Dthreshold}$$ > 0.5 => "high"`. The '
            'first matching rule gives the value; no match gives "", 0 or 0.0 by the result\'s type. Lines '
            "starting with // are comments. Flow variables as $${Sname}$$, $${Iname}$$, $${Dname}$$; operators "
            "< <= = >= >, AND, OR, XOR, NOT, LIKE, MATCHES, IN; no columns and no $$ROWINDEX$$."
        ),
        json_schema_extra=widget("formula", language="rule", lines=True),
    )
    new_column_name: str = Field(
        "prediction", description="Name of the flow variable the result is pushed as."
    )


def _rule_engine_variable_from_knime(knime: KnimeSettings) -> None:
    """RuleEngineVariableNodeModel pushes under `new-column-name` only: the replace option of the
    table node's settings and the Long-output switch (for $$ROWINDEX$$) change nothing here."""
    knime.take("rules", transform=lambda v: [str(r) for r in seq(v)])
    knime.take("new_column_name", "new-column-name")
    knime.unread("append-column", "replace-column-name", "disallowLongOutputForCompatibility")


def _parse_rules(settings: RuleEngineVariableSettings, configuring: bool) -> list[tuple[str, str, Ast]]:
    parsed = []
    for i, entry in enumerate(settings.rules):
        for line in entry.splitlines() or [""]:
            if is_rule_comment(line):
                continue
            text = line.strip()
            try:
                ast = parse_rule(text)
                _check_variables_only(ast, text)
            except ExpressionError as exc:
                raise expression_failure(exc, f"rules.{i}", configuring) from None
            parsed.append((f"rules.{i}", text, ast))
    return parsed


def _outcome_kind(outcome: Ast) -> str:
    """The type KNIME's Outcome.getType gives: a literal's, or the flow variable's type character."""
    if outcome.op == "var":
        return _OUTCOME_OF_VARIABLE[outcome.value[1]]
    kind, value = outcome.value
    if kind == INTEGER and not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
        return _LONG
    return str(kind)


def _result_kind(kinds: list[str]) -> str:
    """DataType.getCommonSuperType of the outcomes: String when no rule is left or a string is among
    them (a type without a common native value becomes String); Integer, or Double when a double
    joins; anything else (Boolean, Long, Boolean with numbers) is a type KNIME cannot push."""
    present = set(kinds)
    if not present or STRING in present:
        return STRING
    if present == {INTEGER}:
        return INTEGER
    if present <= {INTEGER, FLOAT}:
        return FLOAT
    return BOOLEAN if present == {BOOLEAN} else _LONG


_RESULT_TYPES = {STRING: "String", INTEGER: "Integer", FLOAT: "Double"}


def _as_text(kind: str, value: Any) -> str:
    """DataCell.toString of an outcome pushed into a String result."""
    if kind == FLOAT:
        return java_double_to_string(float(value))
    if kind == BOOLEAN:
        return "true" if value else "false"
    return str(value)


def _rule_value(result: str, kind: str, value: Any) -> Any:
    if result == STRING:
        return _as_text(kind, value)
    if result == INTEGER:
        return int(value)
    if result == FLOAT:
        return float(value)
    cell = "BooleanCell" if kind == BOOLEAN else "LongCell"
    raise NodeError(
        f"Wrong type: class org.knime.core.data.def.{cell} (a flow variable is a String, Integer or Double)",
        setting="rules",
    )


def _default_value(result: str) -> Any:
    """No rule matched: "" for String, 0 for Integer, else 0.0 (KNIME's else branch)."""
    return {STRING: "", INTEGER: 0}.get(result, 0.0)


class RuleEngineVariable(_VariableFormula):
    """KNIME's Rule Engine Variable: the first matching rule over flow variables gives a new variable."""

    type_name = "rule_engine_variable"
    display_name = "Rule Engine Variable"
    description = (
        'Applies rules over flow variables (`$${Ivalue}$$ > 5 => "big"`) and pushes the first matching rule\'s '
        "outcome as a new flow variable, typed by the common type of all outcomes (String, Integer, Double); "
        'with no match it is "", 0 or 0.0.'
    )
    keywords = ("rule", "flow variable", "if", "case", "condition", "variable")
    knime = (
        KnimeMapping(
            "org.knime.base.node.rules.engine.RuleEngineVariableNodeFactory",
            "Rule Engine Variable",
            _rule_engine_variable_from_knime,
        ),
    )
    outputs = (Port(VARIABLES, "Variables", "The incoming variables and the rule result."),)
    Settings = RuleEngineVariableSettings

    def configure_variables(
        self, in_specs: list[Any], settings: RuleEngineVariableSettings
    ) -> dict[str, str] | None:
        try:
            rules = _parse_rules(settings, configuring=True)
        except ConfigureError:
            return {}
        result = _result_kind([_outcome_kind(ast.args[1]) for _, _, ast in rules])
        return {settings.new_column_name: _RESULT_TYPES.get(result, "Double")}

    def evaluate(
        self, settings: RuleEngineVariableSettings, ctx: NodeContext, *, configuring: bool
    ) -> tuple[str, Any, str]:
        name = settings.new_column_name
        if not name.strip():
            raise _error_class(configuring)("the variable name is empty", setting="new_column_name")
        rules = _parse_rules(settings, configuring)
        result = _result_kind([_outcome_kind(ast.args[1]) for _, _, ast in rules])
        variable_type = _RESULT_TYPES.get(result, "Double")
        rows = _variable_rows(ctx.variables, configuring=configuring)
        for setting, text, ast in rules:
            evaluator = RuleEvaluator(text, rows)
            try:
                matched = evaluator.condition(ast.args[0])
                outcome = evaluator.operand(ast.args[1])
            except ExpressionError as exc:
                raise expression_failure(exc, setting, configuring) from None
            if not configuring and bool(matched[0]):
                return name, _rule_value(result, outcome.kind, outcome.values[0]), variable_type
        return name, _default_value(result), variable_type


# ================================================================================== Math Formula (Variable)


class MathFormulaVariableSettings(NodeSettings):
    """The Math Formula (Variable)'s settings, under the keys of the Math Formula's (JEPNodeModel)."""

    expression: str = Field(
        "",
        description=(
            "JEP formula over flow variables, e.g. `round($${Dprice}$$ * 1.19, 2)`: $${Iname}$$ and $${Dname}$$; "
            "+ - * / % ^, == != < <= > >=, && || !, functions abs sqrt exp ln log pow round floor ceil min max "
            "if sin cos ...; constants pi, e. No columns, no $$ROWINDEX$$ and no COL_* aggregates."
        ),
        json_schema_extra=widget("formula", language="jep", functions=JEP_FUNCTION_NAMES),
    )
    append_column: bool = Field(
        True,
        description="Push a new variable (true) or replace the incoming variable `replaced_column` (false).",
    )
    replaced_column: str = Field(
        "", description="Name of the new variable, or of the incoming variable the result replaces."
    )
    convert_to_int: bool = Field(
        False, description="Round the result (Java's Math.round) to an Integer variable instead of a Double."
    )


def _math_formula_variable_from_knime(knime: KnimeSettings) -> None:
    knime.take("expression", transform=lambda v: (v or "").strip())
    knime.take_all(["append_column", "replaced_column", "convert_to_int"])
    knime.unread()


def _formula_type(settings: MathFormulaVariableSettings) -> str:
    return "Integer" if settings.convert_to_int else "Double"


def _formula_value(value: float, convert_to_int: bool, cls: type[NodeError]) -> int | float:
    """A NaN or infinite result has no variable value (the table node makes it a missing cell)."""
    if not np.isfinite(value):
        raise cls(f"the formula's result is {java_double_to_string(value)}", setting="expression")
    if not convert_to_int:
        return value
    rounded = int(np.floor(value + 0.5))
    if not _INT_RANGE[0] <= rounded <= _INT_RANGE[1]:
        raise cls(
            f"the result {java_double_to_string(value)} is outside the Integer range", setting="expression"
        )
    return rounded


class MathFormulaVariable(_VariableFormula):
    """KNIME's Math Formula (Variable): a JEP formula over flow variables as a new or replaced variable."""

    type_name = "math_formula_variable"
    display_name = "Math Formula (Variable)"
    description = (
        "Evaluates a JEP formula over Integer and Double flow variables (`$${Dx}$$ * 2 + $${Iy}$$`) and pushes "
        "the result as a new Double variable (Integer with `convert_to_int`) or in place of an incoming one."
    )
    keywords = ("math", "formula", "jep", "flow variable", "calculate", "variable")
    knime = (
        KnimeMapping(
            "org.knime.ext.jep.variable.JEPVariableNodeFactory",
            "Math Formula (Variable)",
            _math_formula_variable_from_knime,
        ),
    )
    outputs = (Port(VARIABLES, "Variables", "The incoming variables with the new or replaced one."),)
    Settings = MathFormulaVariableSettings

    def configure_variables(
        self, in_specs: list[Any], settings: MathFormulaVariableSettings
    ) -> dict[str, str]:
        return {settings.replaced_column: _formula_type(settings)}

    def evaluate(
        self, settings: MathFormulaVariableSettings, ctx: NodeContext, *, configuring: bool
    ) -> tuple[str, int | float | None, str]:
        cls = _error_class(configuring)
        name = settings.replaced_column
        if not name.strip():
            raise cls("the variable name is empty", setting="replaced_column")
        still_open = configuring and getattr(ctx.variables, "open", False)
        if not settings.append_column and name not in ctx.variables and not still_open:
            raise cls(f"there is no flow variable {name!r} to replace", setting="replaced_column")
        text = settings.expression.strip()
        try:
            ast = parse_jep(text)
            _check_variables_only(ast, text)
            with np.errstate(all="ignore"):
                values = JepEvaluator(text, _variable_rows(ctx.variables, configuring=configuring)).ev(ast)
        except ExpressionError as exc:
            raise expression_failure(exc, "expression", configuring) from None
        if configuring:
            return name, None, _formula_type(settings)
        value = _formula_value(float(np.broadcast_to(values, (1,))[0]), settings.convert_to_int, cls)
        return name, value, _formula_type(settings)


# ================================================================================ Table Column to Variable

# CellToVariableConverterFactory: the variable type each column type becomes (collections, which
# become array variables in KNIME, have no knitflow variable type)
_VARIABLE_OF_COLUMN = {
    ColumnType.BOOLEAN: "Boolean",
    ColumnType.INTEGER: "Integer",
    ColumnType.LONG: "Long",
    ColumnType.DOUBLE: "Double",
    ColumnType.STRING: "String",
    ColumnType.SMILES: "String",
}
# TableColumnToVariable(2): IntValue first (Boolean cells are IntValues), then DoubleValue (Long
# cells), then StringValue
_LEGACY_VARIABLE_OF_COLUMN = {
    ColumnType.BOOLEAN: "Integer",
    ColumnType.INTEGER: "Integer",
    ColumnType.LONG: "Double",
    ColumnType.DOUBLE: "Double",
    ColumnType.STRING: "String",
    ColumnType.SMILES: "String",
}


class TableColumnToVariableSettings(NodeSettings):
    """KNIME's TableColumnToVariable4NodeSettings (`column`, `missingOperation`)."""

    column: str | None = Field(
        None,
        description="The column whose values become flow variables named after their RowIDs; none: the first "
        "column that can become a variable.",
        json_schema_extra=widget("column"),
    )
    missingOperation: Literal["IGNORE", "FAIL"] = Field(
        "IGNORE", description="A missing cell: IGNORE skips the row, FAIL stops the node."
    )
    legacy_conversion: bool = Field(
        False,
        description="Convert as TableColumnToVariable (1, 2) did: Boolean cells become Integer 0/1 and Long "
        "cells Double; only Integer, Long, Double, Boolean and String columns.",
    )


def _missing_operation(knime: KnimeSettings) -> None:
    """`missingOperation` (5.5 on), `skip_missing` (the first web-UI node), `ignore missing` (before)."""
    tree = knime.tree
    if "missingOperation" in tree:
        knime.take("missingOperation")
        return
    for key in ("skip_missing", "ignore missing"):
        if key in tree:
            knime.put("missingOperation", "IGNORE" if tree[key] else "FAIL", key)
            return


def _column_to_variable_from_knime(knime: KnimeSettings) -> None:
    knime.take("column", transform=lambda v: None if v in (None, "") else str(v))
    _missing_operation(knime)
    knime.unread()


def _legacy_column_to_variable_from_knime(knime: KnimeSettings) -> None:
    """TableColumnToVariable(2): `column` is a SettingsModelColumnName (useRowID, columnName)."""
    column = knime.tree.get("column")
    if isinstance(column, dict):
        if column.get("useRowID"):
            knime.lost("the RowID as the column: KNIME finds no such column and fails")
        name = column.get("columnName")
        knime.put("column", str(name) if name else None, "column")
    else:
        knime.take("column", transform=lambda v: str(v) if v else None)
    _missing_operation(knime)
    knime.put("legacy_conversion", True)
    knime.unread()


def _conversions(settings: TableColumnToVariableSettings) -> dict[str, str]:
    return _LEGACY_VARIABLE_OF_COLUMN if settings.legacy_conversion else _VARIABLE_OF_COLUMN


def _chosen_column(spec: TableSpec, settings: TableColumnToVariableSettings, cls: type[NodeError]) -> str:
    convertible = _conversions(settings)
    if (
        settings.column is None
    ):  # the classic dialog's auto-guess (TableColumnToVariable2: only a sole column)
        applicable = [c.name for c in spec.columns if c.type in convertible]
        if not applicable:
            raise cls("Input contains no column that can be converted to a flow variable", setting="column")
        if settings.legacy_conversion and len(applicable) > 1:
            raise cls("No column selected", setting="column")
        return applicable[0]
    if settings.column not in spec:
        raise cls(f"The selected column '{settings.column}' is not part of the input", setting="column")
    if spec.type_of(settings.column) not in convertible:
        raise cls(
            f"The selected column '{settings.column}' cannot be converted to a flow variable",
            setting="column",
        )
    return settings.column


def _column_variable_value(value: Any, variable_type: str) -> Any:
    if variable_type == "Boolean":
        return bool(value)
    if variable_type in ("Integer", "Long"):
        return int(value)
    if variable_type == "Double":
        return float(value)
    return str(value)


class TableColumnToVariable(Node):
    """KNIME's Table Column to Variable: one flow variable per row, named after the RowID."""

    type_name = "table_column_to_variable"
    display_name = "Table Column to Variable"
    category = Category.OTHER
    description = (
        "Turns each row's value in the chosen column into a flow variable named after the row's RowID and typed "
        "by the column (Boolean, Integer, Long, Double, String); rows with a missing value are skipped or fail "
        "the node. The last row's variable ends up on top."
    )
    keywords = ("flow variable", "column", "rowid", "variables", "convert")
    knime = (
        KnimeMapping(
            "org.knime.base.node.flowvariable.tablecoltovariable4.TableColumnToVariable4NodeFactory",
            "Table Column to Variable",
            _column_to_variable_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.flowvariable.tablecoltovariable4.TableColumnToVariable4NodeFactory2",
            "Table Column to Variable (Labs)",
            _column_to_variable_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.flowvariable.tablecoltovariable3.TableColumnToVariable3NodeFactory",
            "Table Column to Variable (legacy)",
            _column_to_variable_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.flowvariable.tablecoltovariable2.TableColumnToVariable2NodeFactory",
            "Table Column to Variable (legacy)",
            _legacy_column_to_variable_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.flowvariable.tablecoltovariable.TableColumnToVariableNodeFactory",
            "Table Column to Variable (legacy)",
            _legacy_column_to_variable_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "The table whose column becomes flow variables."),)
    outputs = (Port(VARIABLES, "Variables", "One variable per row, named after its RowID."),)
    Settings = TableColumnToVariableSettings

    def configure_variables(
        self, in_specs: list[Any], settings: TableColumnToVariableSettings
    ) -> dict[str, str] | None:
        return None  # the RowIDs name the variables

    def configure(
        self, in_specs: list[Any], settings: TableColumnToVariableSettings, ctx: NodeContext
    ) -> list[Any]:
        if isinstance(in_specs[0], TableSpec):
            _chosen_column(in_specs[0], settings, ConfigureError)
        return [UNKNOWN]

    def execute(
        self, inputs: list[Any], settings: TableColumnToVariableSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        column = _chosen_column(table.spec, settings, NodeError)
        if settings.column is None:
            ctx.warn(f"Auto-guessing: Selected column '{column}'")
        if len(table) == 0:
            ctx.warn("Node created no variables since the input data table is empty.")
            return [None]
        variable_type = _conversions(settings)[table.spec.type_of(column)]
        index = table.spec.names.index(column)
        row_ids = table.df.index
        for position, value in enumerate(table.df[column].to_numpy(dtype=object)):
            if is_missing(value):
                if settings.missingOperation == "IGNORE":
                    continue
                raise NodeError(
                    f'Missing values are not allowed as variable values -- column "{column}" (index {index}) '
                    f'for row "{row_ids[position]}"',
                    setting="missingOperation",
                )
            ctx.push_variable(
                str(row_ids[position]), _column_variable_value(value, variable_type), variable_type
            )
        return [None]


# ============================================================================================= Wait...

_POLL_SECONDS = 0.02


class WaitSettings(NodeSettings):
    """The Wait... node's options: for a duration, until a time of day, or for a file event."""

    wait_option: Literal["for_time", "to_time", "for_file"] = Field(
        "for_time",
        description="for_time: wait the given hours, minutes and seconds; to_time: wait until that time of day "
        "(tomorrow's when it has passed today); for_file: wait until the file at `path` is created, modified or "
        "deleted (`file_status`).",
    )
    for_hours: int = Field(0, ge=0, description="Hours to wait (for_time).")
    for_minutes: int = Field(0, ge=0, description="Minutes to wait (for_time).")
    for_seconds: float = Field(1, ge=0, description="Seconds to wait (for_time).")
    to_hours: int = Field(0, ge=0, le=23, description="Hour of the time of day to wait for (to_time).")
    to_min: int = Field(0, ge=0, le=59, description="Minute of the time of day to wait for (to_time).")
    to_seconds: int = Field(0, ge=0, le=59, description="Second of the time of day to wait for (to_time).")
    path: str = Field("", description="The file to watch (for_file).", json_schema_extra=widget("file"))
    file_status: Literal["Creation", "Modification", "Deletion"] = Field(
        "Creation", description="The event on `path` that ends the wait (for_file)."
    )


_WAIT_OPTIONS = {0: "for_time", 1: "to_time", 2: "for_file"}


def _wait_from_knime(knime: KnimeSettings) -> None:
    """SleepNodeModel: `wait_option` 0 (for time), 1 (to time), 2 (for file)."""
    option = knime.tree.get("wait_option", 0)
    if option not in _WAIT_OPTIONS:
        knime.unreadable(f"Wait...: wait option {option!r} is not known")
        return
    knime.put("wait_option", _WAIT_OPTIONS[option], "wait_option")
    knime.take_all(
        ["for_hours", "for_minutes", "for_seconds", "to_hours", "to_min", "to_seconds", "path", "file_status"]
    )
    knime.unread()


def seconds_until(now: dt.datetime, hours: int, minutes: int, seconds: int) -> float:
    """From `now` to the next time the clock shows hours:minutes:seconds (tomorrow when it has passed)."""
    target = now.replace(hour=hours, minute=minutes, second=seconds, microsecond=0)
    if target <= now:
        target += dt.timedelta(days=1)
    return (target - now).total_seconds()


def _file_state(path: Path) -> tuple[int, int, int] | None:
    """(inode, modification time, size) of the file, None when it does not exist."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def file_event_happened(
    status: str, before: tuple[int, int, int] | None, now: tuple[int, int, int] | None
) -> bool:
    """Whether the change from `before` to `now` is the awaited watch event."""
    if status == "Creation":
        return now is not None and (before is None or now[0] != before[0])
    if status == "Deletion":
        return before is not None and now is None
    return now is not None and now != before


def _sleep(seconds: float, ctx: NodeContext) -> None:
    """Sleep in short steps so that a cancelled run stops waiting."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ctx.check_cancelled()
        time.sleep(min(left, 0.1))


def _wait_for_file(path: Path, status: str, ctx: NodeContext) -> None:
    state = _file_state(path)
    while True:
        ctx.check_cancelled()
        time.sleep(_POLL_SECONDS)
        now = _file_state(path)
        if file_event_happened(status, state, now):
            return
        state = now


class Wait(Node):
    """KNIME's Wait... node: holds the flow for a time, until a time of day, or until a file event."""

    type_name = "wait"
    display_name = "Wait..."
    category = Category.OTHER
    description = (
        "Waits before passing its flow variables on: for a duration, until a time of day (the next day's when it "
        "has passed), or until a file is created, modified or deleted. Nodes connected after it start later."
    )
    keywords = ("wait", "sleep", "pause", "delay", "timer", "file")
    knime = (
        KnimeMapping("org.knime.base.node.flowcontrol.sleep.SleepNodeFactory", "Wait...", _wait_from_knime),
    )
    inputs = (OPTIONAL_VARIABLES_IN,)
    outputs = (Port(VARIABLES, "Variables", "The incoming variables, after the wait."),)
    Settings = WaitSettings
    path_settings = ("path",)

    def cacheable(self, settings: WaitSettings) -> bool:
        return False  # the wait is the point; a cached result would skip it

    def configure(self, in_specs: list[Any], settings: WaitSettings, ctx: NodeContext) -> list[Any]:
        if settings.wait_option == "for_file" and not settings.path:
            raise ConfigureError("no file to wait for", setting="path")
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: WaitSettings, ctx: NodeContext) -> list[Any]:
        if settings.wait_option == "for_time":
            _sleep(settings.for_hours * 3600 + settings.for_minutes * 60 + settings.for_seconds, ctx)
        elif settings.wait_option == "to_time":
            _sleep(
                seconds_until(dt.datetime.now(), settings.to_hours, settings.to_min, settings.to_seconds), ctx
            )
        else:
            if not settings.path:
                raise NodeError("no file to wait for", setting="path")
            _wait_for_file(Path(settings.path), settings.file_status, ctx)
        return [None]


# ======================================================================================== Create Temp Dir


class TempFileVariable(NodeSettings):
    variable_name: str = Field(..., description="Name of the String variable.")
    file_name: str = Field(..., description="File name inside the temporary folder.")


class CreateTempDirSettings(NodeSettings):
    """KNIME's CreateTempDirectoryConfiguration."""

    baseName: str = Field(
        "knimetemp-", description="The folder's name starts with this; a random part follows."
    )
    variableName: str = Field("temp_dir_path", description="The String variable holding the folder's path.")
    deleteOnReset: bool = Field(
        True,
        description="Delete the folder and its content when the run ends (KNIME: when the node is reset).",
    )
    additional_files: list[TempFileVariable] = Field(
        default_factory=list,
        description="More String variables, each the path of a file name inside the folder (not created).",
    )


def _create_temp_dir_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["baseName", "variableName", "deleteOnReset"])
    names = [str(n) for n in seq(knime.tree.get("variable_names"))]
    files = [str(f) for f in seq(knime.tree.get("file_names"))]
    if len(names) != len(files):
        knime.lost(f"{len(names)} variable names for {len(files)} file names; the unpaired ones are left out")
    pairs = [{"variable_name": n, "file_name": f} for n, f in zip(names, files, strict=False)]
    knime.put("additional_files", pairs, "variable_names")
    knime.paths["file_names"] = "additional_files"
    knime.unread()


def _delete_folder(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class CreateTempDir(Node):
    """KNIME's Create Temp Dir: a new temporary folder for the run, its path as a flow variable."""

    type_name = "create_temp_dir"
    display_name = "Create Temp Dir"
    category = Category.OTHER
    description = (
        "Creates a new, empty folder in the system's temporary location (named `baseName` plus a random part) and "
        "pushes its path as a String variable, with more variables for file paths inside it. With `deleteOnReset` "
        "the folder is deleted when the run ends."
    )
    keywords = ("temporary", "temp", "folder", "directory", "path", "flow variable")
    knime = (
        KnimeMapping(
            "org.knime.base.node.util.createtempdir.CreateTempDirectoryNodeFactory",
            "Create Temp Dir",
            _create_temp_dir_from_knime,
        ),
    )
    inputs = (OPTIONAL_VARIABLES_IN,)
    outputs = (Port(VARIABLES, "Variables", "The folder's path and the file paths inside it."),)
    Settings = CreateTempDirSettings

    def cacheable(self, settings: CreateTempDirSettings) -> bool:
        return False  # every run gets a folder of its own (and may delete it at its end)

    def configure_variables(self, in_specs: list[Any], settings: CreateTempDirSettings) -> dict[str, str]:
        out = {settings.variableName: "String"}
        out.update({f.variable_name: "String" for f in settings.additional_files})
        return out

    def configure(self, in_specs: list[Any], settings: CreateTempDirSettings, ctx: NodeContext) -> list[Any]:
        if not settings.variableName.strip():
            raise ConfigureError("the variable name is empty", setting="variableName")
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: CreateTempDirSettings, ctx: NodeContext) -> list[Any]:
        def make() -> Path:
            return Path(tempfile.mkdtemp(prefix=settings.baseName)).resolve()

        if settings.deleteOnReset:  # a resource of its own, closed (deleted) when the run ends
            folder: Path = ctx.resource(f"create_temp_dir/{uuid.uuid4().hex}", make, _delete_folder)
        else:
            folder = make()
        ctx.push_variable(settings.variableName, os.fspath(folder), "String")
        for extra in settings.additional_files:
            ctx.push_variable(extra.variable_name, os.fspath(folder / extra.file_name), "String")
        return [None]


# ------------------------------------------------------------------------------ Local Variable Filter

# KNIME port object classes (by a part of the name) a pass-through port of the filter can carry
_PASS_THROUGH_KINDS = (
    ("BufferedDataTable", "table"),
    ("FlowVariablePortObject", "variables"),
    ("PMML", "model"),
    ("Model", "model"),
)


class VariableFilterSettings(NodeSettings):
    filter: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="The flow variables that pass (KNIME's name filter); every other variable of this scope "
        "is hidden downstream. By default all pass.",
    )
    pass_through: list[str] = Field(
        default_factory=list,
        description="The port kinds passed through unchanged, one input and one output each (table, model, "
        "variables, ...); KNIME's 'Pass through' port group.",
    )


def _pass_through_classes(creation: dict[str, Any]) -> list[str]:
    group = (creation or {}).get("Pass through")
    if not isinstance(group, dict):
        return []
    ports = sorted((k for k in group if k.startswith("port_")), key=lambda k: int(k[5:]))
    return [str(group[k].get("object_class") or "") if isinstance(group[k], dict) else "" for k in ports]


def _variable_filter_ports(creation: dict[str, Any]) -> tuple[PortMap, PortMap]:
    same: PortMap = {i: i for i in range(1, len(_pass_through_classes(creation)) + 1)}
    return same, dict(same)


def _variable_filter_from_knime(knime: KnimeSettings) -> None:
    """5.3 saved the passing names as `selectedVariables`, later versions as a name filter `filter`."""
    if knime.get("filter") is not None:
        knime.take("filter")
    elif knime.get("selectedVariables") is not None:
        names = [str(n) for n in seq(knime.get("selectedVariables"))]
        knime.put("filter", {"included_names": names, "enforce_option": "EnforceInclusion"})
    knime.unread("selectedVariables")
    kinds = []
    for i, cls in enumerate(_pass_through_classes(knime.node.creation_config if knime.node else {}), 1):
        kind = next((k for part, k in _PASS_THROUGH_KINDS if part in cls), None)
        if kind is None:
            knime.lost(
                f"pass-through port {i} carries {cls or 'an unknown port object'}; knitflow passes tables, models and variables"
            )
            kind = "table"
        kinds.append(kind)
    if kinds:
        knime.put("pass_through", kinds)


class VariableFilter(Node):
    """KNIME's Local Variable Filter: hides flow variables from everything downstream."""

    type_name = "variable_filter"
    display_name = "Local Variable Filter"
    category = Category.OTHER
    description = (
        "Passes its ports through unchanged and hides the flow variables the filter does not let pass from every "
        "node downstream. Only variables of this scope are hidden: inside a loop, a variable the loop body "
        "overwrote shows its value from outside the loop again; at the top level every variable can be hidden."
    )
    keywords = ("variable filter", "flow variable", "hide", "remove variables", "scope")
    knime = (
        KnimeMapping(
            "org.knime.base.node.flowvariable.filter.VariableFilterNodeFactory",
            "Local Variable Filter",
            _variable_filter_from_knime,
            ports=_variable_filter_ports,
        ),
    )
    Settings = VariableFilterSettings

    @classmethod
    def ports_for(cls, settings: Any = None) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
        kinds = (settings or {}).get("pass_through") if isinstance(settings, dict) else None
        if not isinstance(kinds, list) or not kinds:
            return cls.inputs, cls.outputs
        known = PortType.all()
        types = [known.get(k, TABLE) if isinstance(k, str) else TABLE for k in kinds]
        inputs = tuple(Port(t, f"Pass through {i}", "Any port object.") for i, t in enumerate(types, 1))
        outputs = tuple(Port(t, f"Pass through {i}", "The input, unchanged.") for i, t in enumerate(types, 1))
        return inputs, outputs

    def _hide(self, settings: VariableFilterSettings, ctx: NodeContext) -> None:
        available = {n: v for n, v in ctx.variables.items() if not n.startswith(INTERNAL_PREFIX)}
        spec = TableSpec.of([(n, variable_entry_type(ctx, n, v)) for n, v in available.items()])
        passing = set(settings.filter.apply(spec))
        for name in available:
            if name not in passing:
                ctx.hide_variable(name)

    def configure(self, in_specs: list[Any], settings: VariableFilterSettings, ctx: NodeContext) -> list[Any]:
        self._hide(settings, ctx)
        return list(in_specs)

    def execute(self, inputs: list[Any], settings: VariableFilterSettings, ctx: NodeContext) -> list[Any]:
        self._hide(settings, ctx)
        return list(inputs)


__all__ = [
    "CreateTempDir",
    "MathFormulaVariable",
    "RuleEngineVariable",
    "TableColumnToVariable",
    "VariableFilter",
    "Wait",
]
