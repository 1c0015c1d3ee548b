"""Column Expressions and Variable Expressions (KNIME's JavaScript expression nodes, now "legacy").

Each expression is a JavaScript script, run on an embedded V8: its last statement's value is the
result (`"a1"; "a2"` gives "a2"), stored in the declared output type. All expressions read the
input row (a column an earlier expression makes is not visible to a later one), `column()` of a
missing cell is null and a null result is a missing cell. The function library is in
nodes._js_expression_library.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal, get_args

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
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type
from nodes._column_types import typed_column
from nodes._datetime import date_time_text, parse_iso
from nodes._java_text import java_double_to_string
from nodes._js_expression_library import (
    CHUNK_ROWS,
    FUNCTION_NAMES,
    UNSUPPORTED,
    JsObject,
    ScriptError,
    decode,
    js_cell,
    js_context,
    load,
    run_rows,
    syntax_problem,
)
from nodes._rows import cell_text, is_missing
from nodes._variable_ports import OPTIONAL_VARIABLES_IN
from nodes._variables import INTERNAL_PREFIX

OutputType = Literal[
    "String", "Integer", "Long", "Double", "Boolean", "Local Date", "Local Time", "Local Date Time"
]
_INT_RANGE = {ColumnType.INTEGER: 2**31, ColumnType.LONG: 2**63}
_FORMULA = widget("formula", language="javascript", functions=list(FUNCTION_NAMES), lines=True)
_NOT_DETERMINISTIC = re.compile(
    r"\bMath\s*\.\s*random\b|\bDate\s*\.\s*now\b|\bnew\s+Date\s*\(\s*\)|\bDate\s*\(\s*\)"
)
_LITERAL_COLUMN = re.compile(
    r"""(?<![\w.$])column\s*\(\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')\s*[,)]"""
)
_LIMITS = (
    "Not evaluated (the expression fails with a message instead): "
    + "; ".join(f"{name}() ({why})" for name, why in UNSUPPORTED.items())
    + "; round(x, precision); KNIME's date-and-time and collection functions (Date&Time cells reach the "
    "script as Java's ISO text, collections as arrays; JavaScript's own Date, Math, String and Array work); "
    "Java regex possessive quantifiers and atomic groups."
)


class ExpressionError(NodeError):
    """An expression failed for a row; the message names the row, the expression and its line."""


def _script_failure(err: ScriptError, row_ids: list[str], cls: type[NodeError] = NodeError) -> NodeError:
    return cls(
        f"Row '{row_ids[err.row]}' (index {err.row}), expression {err.expression + 1}: {err.describe()}",
        setting=f"expressions.{err.expression}.expression",
    )


# ------------------------------------------------------------------------------ result conversion


class ConversionError(Exception):
    """A result the declared output type cannot hold."""


def _number_text(value: int | float) -> str:
    """Java's text of the number Nashorn hands over: an Integer when whole and in int range, else a
    Double (`1.0E10`)."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 2**31):
        return str(int(value)) if abs(value) < 2**31 else java_double_to_string(float(value))
    return java_double_to_string(value)


def _whole(value: Any, col_type: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConversionError(f"{_js_type(value)} result cannot be stored as {col_type}")
    if isinstance(value, float) and not value.is_integer():
        raise ConversionError(f"{_number_text(value)} is not a whole number ({col_type} output)")
    limit = _INT_RANGE[col_type]
    if not -limit <= int(value) < limit:
        raise ConversionError(f"{_number_text(value)} lies outside the {col_type} range")
    return int(value)


def _js_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return f"a JavaScript object ({value.description})" if isinstance(value, JsObject) else "a value"


def _scalar(value: Any, col_type: str) -> Any:
    """One (non-collection) result as a cell of `col_type`."""
    if value is None:
        return None
    if isinstance(value, list | JsObject):
        hint = "; declare the output as a collection" if isinstance(value, list) else ""
        raise ConversionError(f"{_js_type(value)} result cannot be stored as {col_type}{hint}")
    if col_type == ColumnType.DOUBLE:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConversionError(f"{_js_type(value)} result cannot be stored as Double")
        return float(value)
    if col_type in _INT_RANGE:
        return _whole(value, col_type)
    if col_type == ColumnType.BOOLEAN:
        if not isinstance(value, bool):
            raise ConversionError(f"{_js_type(value)} result cannot be stored as Boolean")
        return value
    if col_type == ColumnType.STRING:
        if isinstance(value, bool):
            return "true" if value else "false"
        return _number_text(value) if isinstance(value, int | float) else str(value)
    if not isinstance(value, str):
        raise ConversionError(f"{_js_type(value)} result cannot be stored as {col_type} (give ISO text)")
    try:
        return parse_iso(value, col_type)
    except ValueError:
        raise ConversionError(f"{value!r} is not an ISO {col_type}") from None


def to_cell(raw: Any, col_type: str) -> Any:
    """An encoded result from V8 as a cell of the declared type (collections: tuples)."""
    value = decode(raw)
    if ColumnType.collection_kind(col_type) is None:
        return _scalar(value, col_type)
    if value is None:
        return None
    if not isinstance(value, list):
        raise ConversionError(f"{_js_type(value)} result cannot be stored as {col_type} (an array is needed)")
    element = ColumnType.element_of(col_type)
    return tuple(_scalar(v, element) for v in value)


# ------------------------------------------------------------------------------ cells into V8


def _js_value(value: Any, col_type: str) -> Any:
    """A cell as the script sees it: numbers, strings, booleans, arrays for collections, Java's
    text for Date&Time and other cells; null for a missing cell."""
    if is_missing(value):
        return None
    if ColumnType.collection_kind(col_type):
        element = ColumnType.element_of(col_type)
        return [_js_value(v, element) for v in value]
    if col_type in _INT_RANGE:
        return int(value)
    if col_type == ColumnType.DOUBLE:
        return js_cell(float(value))
    if col_type == ColumnType.BOOLEAN:
        return bool(value)
    if col_type in ColumnType.DATE_TIME:
        return date_time_text(value)
    return value if isinstance(value, str) else cell_text(value)


def _flow_variables(ctx: NodeContext) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in ctx.variables.items():
        if name.startswith(INTERNAL_PREFIX):
            continue
        if isinstance(value, float) and math.isnan(value):
            out[name] = None
        elif isinstance(value, bool | int | float | str):
            out[name] = value
        else:
            out[name] = str(value)
    return out


def _check_syntax(scripts: list[str], cls: type[NodeError]) -> None:
    for i, script in enumerate(scripts):
        problem = syntax_problem(script)
        if problem is not None:
            raise cls(
                f"Expression {i + 1} is not valid JavaScript: {problem}",
                setting=f"expressions.{i}.expression",
            )


def _needed_columns(scripts: list[str], spec: TableSpec) -> list[str]:
    """The columns to hand to V8: the literally named ones, or all when a script computes a name."""
    mentions = sum(len(re.findall(r"(?<![\w.$])column(?![\w$])", s)) for s in scripts)
    literal = [m[1] if m[1] is not None else m[2] for s in scripts for m in _LITERAL_COLUMN.finditer(s)]
    if mentions != len(literal) or any("\\" in name for name in literal):
        return spec.names
    return [name for name in spec.names if name in set(literal)]


def _mentions_clock(scripts: list[str]) -> bool:
    return any(_NOT_DETERMINISTIC.search(s) for s in scripts)


# ============================================================================= Column Expressions


class ColumnExpression(NodeSettings):
    """One element of KNIME's `expressions` config."""

    expression: str = Field(
        "",
        description='A JavaScript script; its last value is the cell, e.g. `column("a") / column("b")`.',
        json_schema_extra=_FORMULA,
    )
    outputName: str = Field("", description="The appended column, or the column replaced.")
    outputType: OutputType = Field("String", description="Type of the output column (its cells).")
    isCollection: bool = Field(False, description="The script returns an array: a List column of outputType.")
    replaceColumn: bool = Field(
        False, description="Replace the input column outputName instead of appending."
    )

    @property
    def column_type(self) -> str:
        return ColumnType.list_of(self.outputType) if self.isCollection else self.outputType


class ColumnExpressionsSettings(NodeSettings):
    """KNIME's Column Expressions settings (org.knime.expressions.base)."""

    expressions: list[ColumnExpression] = Field(
        default_factory=list, description="The expressions, each making or replacing one column."
    )
    failOnInvalidAccess: bool = Field(
        True,
        description="A missing column or flow variable, or a row offset outside the window, fails the node "
        "(else it reads as null).",
    )
    failOnScriptError: bool = Field(
        False,
        description="A failing expression fails the node (else the cell is missing and a warning is shown).",
    )
    multiRowAccessWindowSize: int = Field(
        0, ge=0, description='Rows before and after the current one that column("name", offset) may read.'
    )
    multiRowAccessReturnFirstLastWhenOutOfBounds: bool = Field(
        True, description="An offset beyond the table reads the first/last row (else null)."
    )


_ELEMENT = re.compile(r"element (\d+)")


def _elements(knime: KnimeSettings) -> list[tuple[str, dict[str, Any]]]:
    """The `element N` configs of `expressions`, in order, with their KNIME paths; `count` must agree."""
    tree = knime.tree.get("expressions") or {}
    found = sorted(((int(m[1]), k) for k in tree if (m := _ELEMENT.fullmatch(k))), key=lambda p: p[0])
    elements = [(f"expressions.{k}", tree[k]) for _, k in found if isinstance(tree[k], dict)]
    count = knime.tree.get("count")
    if count is not None and int(count) != len(elements):
        knime.lost(
            f"count = {count} but {len(elements)} expressions are stored; knitflow reads the stored ones"
        )
    return elements


def _data_type(path: str, config: Any, knime: KnimeSettings) -> tuple[str, bool] | None:
    """KNIME's saved DataType (`cell_class`, `is_null`, a collection's `collection_element_type`) as
    (knitflow element type, is a list); None when knitflow has no such column type."""
    if not isinstance(config, dict) or config.get("is_null") or not config.get("cell_class"):
        knime.unreadable(f"{path}: no output type stored")
        return None
    cell_class = str(config["cell_class"])
    kind = column_type(cell_class) or cell_class
    if kind in ("List", "Set"):
        element = _data_type(f"{path}.collection_element_type", config.get("collection_element_type"), knime)
        if element is None:
            return None
        if kind == "Set":
            knime.unreadable(f"{path}: Set output columns are not supported")
            return None
        return element[0], True
    if kind == "JSON":
        knime.lost(f"{path}: JSON output is kept as a String column holding the JSON text")
        return ColumnType.STRING, False
    if kind not in get_args(OutputType):
        knime.unreadable(f"{path}: output type {cell_class} is not supported")
        return None
    return kind, False


def _column_expressions_from_knime(knime: KnimeSettings) -> None:
    """`expressions` (`element N`: expression, outputName, outputType, replaceColumn, isCollection),
    `count`, the error handling and the multi-row window (KNIME 4.6+)."""
    items = []
    for path, element in _elements(knime):
        declared = _data_type(f"{path}.outputType", element.get("outputType"), knime)
        if declared is None:
            return
        item: dict[str, Any] = {
            k: element[k] for k in ("expression", "outputName", "replaceColumn") if k in element
        }
        item["outputType"], as_list = declared
        item["isCollection"] = bool(element.get("isCollection")) or as_list
        items.append(item)
        knime.unread("expression", "outputName", "outputType", "replaceColumn", "isCollection", under=path)
    knime.put("expressions", items, "expressions")
    knime.take_all(
        [
            "failOnInvalidAccess",
            "failOnScriptError",
            "multiRowAccessWindowSize",
            "multiRowAccessReturnFirstLastWhenOutOfBounds",
        ]
    )
    knime.unread("count")


def _output_spec(spec: TableSpec, settings: ColumnExpressionsSettings, cls: type[NodeError]) -> TableSpec:
    """Replaced columns keep their place with the new type; new ones are appended in order."""
    out = spec
    for i, item in enumerate(settings.expressions):
        name = item.outputName
        if not name.strip():
            raise cls(f"Expression {i + 1} has no output column name", setting=f"expressions.{i}.outputName")
        if item.replaceColumn:
            if name not in spec:
                raise cls(
                    f"Column '{name}' to replace does not exist in the input table",
                    setting=f"expressions.{i}.outputName",
                )
            out = out.replace(name, item.column_type)
        elif name in out:
            raise cls(f"Duplicate column name: {name}", setting=f"expressions.{i}.outputName")
        else:
            out = out.append((name, item.column_type))
    return out


def _check_columns(spec: TableSpec, settings: ColumnExpressionsSettings, cls: type[NodeError]) -> None:
    """column("name") with a literal name must name an input column when invalid access fails."""
    if not settings.failOnInvalidAccess:
        return
    for i, item in enumerate(settings.expressions):
        for m in _LITERAL_COLUMN.finditer(item.expression):
            name = m[1] if m[1] is not None else m[2]
            if "\\" not in name and name not in spec:
                raise cls(
                    f"Expression {i + 1}: no column '{name}' in the input table",
                    setting=f"expressions.{i}.expression",
                )


class ColumnExpressions(Node):
    type_name = "column_expressions"
    display_name = "Column Expressions"
    category = Category.MANIPULATOR
    description = (
        "Appends or replaces columns with JavaScript expressions evaluated per row (KNIME's Column Expressions, "
        'now "legacy"): column("name"), column("name", offset) within the multi-row window, variable("name"), '
        "rowIndex(), rowId(), rowCount() and KNIME's string, conversion and math functions (joinSep, substr, "
        "regexReplace, toInt, isMissing, floor, ...); the last value of each script is stored in the declared "
        "type, null as a missing cell; every expression reads the input row, not the columns earlier ones make. "
        + _LIMITS
    )
    keywords = ("javascript", "expression", "formula", "calculate", "column", "script", "derive")
    knime = (
        KnimeMapping(
            "org.knime.expressions.base.node.formulas.FormulasNodeFactory",
            "Column Expressions",
            _column_expressions_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the computed columns"),)
    Settings = ColumnExpressionsSettings

    def configure(
        self, in_specs: list[Any], settings: ColumnExpressionsSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_syntax([e.expression for e in settings.expressions], ConfigureError)
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _check_columns(spec, settings, ConfigureError)
        return [_output_spec(spec, settings, ConfigureError)]

    def is_deterministic(self, settings: ColumnExpressionsSettings) -> bool:
        return not _mentions_clock([e.expression for e in settings.expressions])

    def execute(self, inputs: list[Any], settings: ColumnExpressionsSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        scripts = [e.expression for e in settings.expressions]
        _check_syntax(scripts, NodeError)
        _check_columns(table.spec, settings, NodeError)
        out_spec = _output_spec(table.spec, settings, NodeError)
        results = self._evaluate(table, settings, ctx)
        df = table.df.copy(deep=False)
        for item, values in zip(settings.expressions, results, strict=True):
            series = typed_column(values, item.column_type)
            series.index = df.index
            df[item.outputName] = series
        return [Table(df[out_spec.names], {c.name: c.type for c in out_spec.columns})]

    @staticmethod
    def _evaluate(table: Table, settings: ColumnExpressionsSettings, ctx: NodeContext) -> list[list[Any]]:
        scripts = [e.expression for e in settings.expressions]
        types = [e.column_type for e in settings.expressions]
        row_ids = [str(r) for r in table.row_ids]
        columns = {
            c.name: [_js_value(v, c.type) for v in table.df[c.name].to_numpy(dtype=object)]
            for c in table.spec.columns
        }
        results: list[list[Any]] = [[] for _ in scripts]
        failures: list[str] = []
        with js_context() as js:
            load(
                js,
                scripts=scripts,
                columns=columns,
                row_ids=row_ids,
                variables=_flow_variables(ctx),
                table=True,
                window_size=settings.multiRowAccessWindowSize,
                first_last=settings.multiRowAccessReturnFirstLastWhenOutOfBounds,
                fail_invalid=settings.failOnInvalidAccess,
            )
            for start in range(0, len(row_ids), CHUNK_ROWS):
                ctx.check_cancelled()
                end = min(start + CHUNK_ROWS, len(row_ids))
                values, errors = run_rows(js, start, end, scripts)
                for err in errors:
                    if err.fatal or settings.failOnScriptError:
                        raise _script_failure(err, row_ids, ExpressionError)
                    failures.append(_script_failure(err, row_ids).args[0])
                for offset, row in enumerate(values):
                    for k, raw in enumerate(row):
                        results[k].append(
                            _converted(raw, types[k], start + offset, k, row_ids, settings, failures)
                        )
                ctx.progress(end / len(row_ids))
        if failures:
            ctx.warn(
                f"{len(failures)} evaluation(s) failed and left the cell missing; the first: {failures[0]}"
            )
        return results


def _converted(
    raw: Any,
    col_type: str,
    row: int,
    k: int,
    row_ids: list[str],
    settings: ColumnExpressionsSettings,
    failures: list[str],
) -> Any:
    """The cell of one result; a result the type cannot hold is a script error (KNIME converts the
    script's return value inside the same evaluation)."""
    try:
        return to_cell(raw, col_type)
    except ConversionError as exc:
        err = ScriptError(row, k, "ConversionError", str(exc), None, False)
        if settings.failOnScriptError:
            raise _script_failure(err, row_ids, ExpressionError) from None
        failures.append(_script_failure(err, row_ids).args[0])
        return None


# =========================================================================== Variable Expressions

VariableType = Literal["STRING", "INTEGER", "LONG", "DOUBLE", "BOOLEAN"]
_VARIABLE_CELL = {
    "STRING": ColumnType.STRING,
    "INTEGER": ColumnType.INTEGER,
    "LONG": ColumnType.LONG,
    "DOUBLE": ColumnType.DOUBLE,
    "BOOLEAN": ColumnType.BOOLEAN,
}
_VARIABLE_TYPE = {
    "STRING": "String",
    "INTEGER": "Integer",
    "LONG": "Long",
    "DOUBLE": "Double",
    "BOOLEAN": "Boolean",
}


class VariableExpression(NodeSettings):
    """One element of KNIME's `expressions` config of the variable node."""

    expression: str = Field(
        "",
        description='A JavaScript script over variable("name"); its last value is the variable\'s value.',
        json_schema_extra=_FORMULA,
    )
    outputName: str = Field("", description="Name of the flow variable pushed.")
    outputType: VariableType = Field("STRING", description="Type of the flow variable.")
    replaceVariable: bool = Field(False, description="Replace the incoming variable outputName.")


class VariableExpressionsSettings(NodeSettings):
    """KNIME's Variable Expressions settings (org.knime.expressions.base)."""

    expressions: list[VariableExpression] = Field(
        default_factory=list, description="The expressions, each pushing one flow variable."
    )


def _variable_expressions_from_knime(knime: KnimeSettings) -> None:
    """`expressions` (`element N`: expression, outputName, outputType, replaceVariable) and `count`."""
    items = []
    for path, element in _elements(knime):
        item = {
            k: element[k]
            for k in ("expression", "outputName", "outputType", "replaceVariable")
            if k in element
        }
        if item.get("outputType", "STRING") not in _VARIABLE_TYPE:
            knime.unreadable(f"{path}.outputType: flow variable type {item['outputType']} is not supported")
            return
        items.append(item)
        knime.unread("expression", "outputName", "outputType", "replaceVariable", under=path)
    knime.put("expressions", items, "expressions")
    knime.unread("count")


def _check_variable_names(
    settings: VariableExpressionsSettings, variables: dict[str, Any], cls: type[NodeError]
) -> None:
    for i, item in enumerate(settings.expressions):
        if not item.outputName.strip():
            raise cls(
                f"Expression {i + 1} has no output variable name", setting=f"expressions.{i}.outputName"
            )
        if item.replaceVariable and item.outputName not in variables:
            raise cls(
                f"Flow variable '{item.outputName}' to replace does not exist",
                setting=f"expressions.{i}.outputName",
            )


class VariableExpressions(Node):
    type_name = "variable_expressions"
    display_name = "Variable Expressions"
    category = Category.MANIPULATOR
    description = (
        "Creates or replaces flow variables with JavaScript expressions evaluated once (KNIME's Variable "
        'Expressions, now "legacy"): variable("name") and KNIME\'s string, conversion and math functions; the '
        "last value of each script becomes the variable, in the declared type (a null result fails the node). "
        + _LIMITS
    )
    keywords = ("javascript", "expression", "flow variable", "variable", "formula", "script")
    knime = (
        KnimeMapping(
            "org.knime.expressions.base.node.variableexpression.VariableExpressionsNodeFactory",
            "Variable Expressions",
            _variable_expressions_from_knime,
        ),
    )
    inputs = (OPTIONAL_VARIABLES_IN,)
    outputs = (Port(VARIABLES, "Variables", "The incoming variables and the computed ones."),)
    Settings = VariableExpressionsSettings

    def configure_variables(
        self, in_specs: list[Any], settings: VariableExpressionsSettings
    ) -> dict[str, str] | None:
        return {
            e.outputName: _VARIABLE_TYPE[e.outputType] for e in settings.expressions if e.outputName.strip()
        }

    def configure(
        self, in_specs: list[Any], settings: VariableExpressionsSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_syntax([e.expression for e in settings.expressions], ConfigureError)
        _check_variable_names(settings, _flow_variables(ctx), ConfigureError)
        return [UNKNOWN]

    def is_deterministic(self, settings: VariableExpressionsSettings) -> bool:
        return not _mentions_clock([e.expression for e in settings.expressions])

    def execute(
        self, inputs: list[Any], settings: VariableExpressionsSettings, ctx: NodeContext
    ) -> list[Any]:
        scripts = [e.expression for e in settings.expressions]
        _check_syntax(scripts, NodeError)
        variables = _flow_variables(ctx)
        _check_variable_names(settings, variables, NodeError)
        with js_context() as js:
            load(js, scripts=scripts, columns={}, row_ids=[""], variables=variables, table=False)
            values, errors = run_rows(js, 0, 1, scripts)
        if errors:
            err = errors[0]
            raise ExpressionError(
                f"Expression {err.expression + 1}: {err.describe()}",
                setting=f"expressions.{err.expression}.expression",
            )
        for i, (item, raw) in enumerate(zip(settings.expressions, values[0], strict=True)):
            try:
                value = to_cell(raw, _VARIABLE_CELL[item.outputType])
            except ConversionError as exc:
                raise ExpressionError(
                    f"Expression {i + 1}: {exc}", setting=f"expressions.{i}.expression"
                ) from None
            if value is None or (isinstance(value, float) and math.isnan(value)):
                raise ExpressionError(
                    f"Expression {i + 1} returned null: a flow variable cannot be missing",
                    setting=f"expressions.{i}.expression",
                )
            ctx.push_variable(item.outputName, value, _VARIABLE_TYPE[item.outputType])
        return [None]
