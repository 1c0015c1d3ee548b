"""String Manipulation and String Manipulation (Multi Column): KNIME's string function language
(nodes._string_manipulation) applied row by row, with KNIME's rules for the output type (the
stored return type, else the outermost function's) and for missing cells."""

from __future__ import annotations

import math
import re
from typing import Any, Literal

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
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._aggregation import cell_text, is_missing
from nodes._column_types import typed_column
from nodes._common import ColumnFilter
from nodes._string_functions import FUNCTIONS, JavaError
from nodes._string_manipulation import (
    KIND_NAMES,
    Compiled,
    Environment,
    Row,
    StringManipulationError,
    compile_expression,
    outer_function_type,
)
from nodes._variable_ports import OPTIONAL_VARIABLES_IN
from nodes._variables import INTERNAL_PREFIX

ReturnType = Literal[
    "java.lang.String", "java.lang.Integer", "java.lang.Long", "java.lang.Double", "java.lang.Boolean"
]
_KIND_OF_RETURN = {
    "java.lang.String": "S",
    "java.lang.Integer": "I",
    "java.lang.Long": "L",
    "java.lang.Double": "D",
    "java.lang.Boolean": "Z",
}
_COLUMN_TYPE = {
    "S": ColumnType.STRING,
    "I": ColumnType.INTEGER,
    "L": ColumnType.LONG,
    "D": ColumnType.DOUBLE,
    "Z": ColumnType.BOOLEAN,
}
_TYPE_KIND = {ColumnType.INTEGER: "I", ColumnType.LONG: "L", ColumnType.DOUBLE: "D", ColumnType.BOOLEAN: "Z"}


def column_kind(col_type: str) -> str | None:
    """The Java type a column is handed to the expression as (JavaSnippetType): numbers and booleans
    as themselves, lists of strings as String[], any other cell as its text."""
    if ColumnType.collection_kind(col_type):
        return "A" if ColumnType.element_of(col_type) in (ColumnType.STRING, ColumnType.SMILES) else None
    return _TYPE_KIND.get(col_type, "S")


def _java_value(value: Any, col_type: str, kind: str) -> Any:
    if is_missing(value):
        return None
    if kind in ("I", "L"):
        return int(value)
    if kind == "D":
        return float(value)
    if kind == "Z":
        return bool(value)
    if kind == "A":
        return [None if is_missing(v) else str(v) for v in value]
    return value if isinstance(value, str) else cell_text(value, col_type)


def _environment(spec: TableSpec, ctx: NodeContext, row_count: int, multi: bool) -> Environment:
    kinds = {}
    for c in spec.columns:
        kind = column_kind(c.type)
        if kind is not None:
            kinds[c.name] = kind
    return Environment(kinds, dict(ctx.variables), row_count=row_count, current_column=multi)


def _compile(text: str, env: Environment, setting: str) -> Compiled:
    try:
        return compile_expression(text, env)
    except StringManipulationError as exc:
        raise ConfigureError(str(exc), setting=setting) from None


def _assignable(expr_kind: str, out_kind: str) -> bool:
    """javac's `return <expr>;` in a method returning the boxed out type."""
    return expr_kind == out_kind or expr_kind == "N"


def _output(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "D":
        f = float(value)
        return None if math.isnan(f) else f
    return value


def _rows(
    table: Table, compiled: Compiled, env: Environment
) -> tuple[list[dict[str, Any]], list[list[bool]]]:
    """Per row the referenced cells as Java values, and whether each is missing."""
    columns = compiled.columns
    values = {c: table.df[c].to_numpy(dtype=object) for c in columns}
    cells: list[dict[str, Any]] = []
    missing: list[list[bool]] = []
    for k in range(len(table)):
        row = {c: _java_value(values[c][k], table.types[c], env.column_kinds[c]) for c in columns}
        cells.append(row)
        missing.append([row[c] is None for c in columns])
    return cells, missing


# ------------------------------------------------------------------------------ String Manipulation


class StringManipulationSettings(NodeSettings):
    expression: str = Field(
        "",
        title="Expression",
        description='KNIME string functions and Java operators, e.g. `join($first$, " ", upperCase($last$))`; '
        "columns as $name$, flow variables as $${Sname}$$ (I, D, S), $$ROWINDEX$$, $$ROWCOUNT$$, $$ROWID$$.",
        json_schema_extra=widget("formula", language="string", functions=sorted(FUNCTIONS)),
    )
    replaced_column: str = Field(
        "new column",
        title="Column name",
        description="Name of the appended column, or the column to replace.",
        json_schema_extra=widget("new_column"),
    )
    append_column: bool = Field(
        False,
        title="Replace column",
        description="True: replace the column named above (KNIME stores 'replace' under this key); false: append.",
    )
    return_type: ReturnType | None = Field(
        None,
        description="Java return type (KNIME stores it once the dialog has compiled the expression); empty: the "
        "outermost function's type, as KNIME decides.",
    )
    insert_missing_as_null: bool = Field(
        False,
        title="Insert missing as null",
        description="Pass missing cells to the functions as null; otherwise a row with a missing cell in a used "
        "column gives a missing result.",
    )
    test_compilation_on_dialog_close: bool = Field(
        True, description="KNIME's dialog option; knitflow always checks the expression at configure time."
    )


def _output_kind(expression: str, compiled: Compiled, s: StringManipulationSettings) -> str:
    if s.return_type is not None:
        out = _KIND_OF_RETURN[s.return_type]
    else:
        guessed = outer_function_type(expression)
        if guessed is None:
            raise ConfigureError(
                "Ambiguous return type! Use 'string()' or another function from the \"Convert Type\" category to "
                "specify the return type.",
                setting="expression",
            )
        out = guessed
    if not _assignable(compiled.kind, out):
        raise ConfigureError(
            f"Type mismatch: cannot convert from {KIND_NAMES[compiled.kind]} to {KIND_NAMES[out]}",
            setting="expression",
        )
    return out


def _sm_plan(
    spec: TableSpec, s: StringManipulationSettings, ctx: NodeContext, rows: int
) -> tuple[Compiled, str, TableSpec]:
    if not s.append_column and not s.replaced_column:
        raise ConfigureError("Column name must not be empty", setting="replaced_column")
    env = _environment(spec, ctx, rows, multi=False)
    compiled = _compile(s.expression, env, "expression")
    kind = _output_kind(s.expression, compiled, s)
    col_type = _COLUMN_TYPE[kind]
    if s.append_column:
        if s.replaced_column not in spec:
            raise ConfigureError(
                f"column {s.replaced_column!r} to replace does not exist", setting="replaced_column"
            )
        out = spec.replace(s.replaced_column, col_type)
    else:
        if s.replaced_column in spec:
            raise ConfigureError(f"Duplicate column name: {s.replaced_column!r}", setting="replaced_column")
        out = spec.append((s.replaced_column, col_type))
    return compiled, kind, out


def _string_manipulation_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["expression", "replaced_column", "append_column", "insert_missing_as_null"])
    knime.take("test_compilation_on_dialog_close")
    return_type = knime.get("return_type")
    if return_type == "java.util.Date":
        knime.lost("return type java.util.Date (KNIME's legacy Date and Time) is not supported")
    elif return_type is not None:
        knime.take("return_type")


def _problems(ctx: NodeContext, errors: list[str]) -> None:
    if len(errors) == 1:
        ctx.warn(f"Problems in one row: {errors[0]}")
    elif errors:
        ctx.warn(f"Problems in {len(errors)} rows. First error: {errors[0]}")


class StringManipulation(Node):
    type_name = "string_manipulation"
    display_name = "String Manipulation"
    category = Category.MANIPULATOR
    description = (
        "Computes a column from KNIME's string functions (join, substr, replace, regexReplace, upperCase, strip, "
        "padLeft, toInt, ...) and Java operators, appended or replacing a column. The output type is the stored "
        "return type or the outermost function's; a row whose evaluation fails gets a missing cell (warning)."
    )
    keywords = (
        "string",
        "text",
        "concatenate",
        "replace",
        "substring",
        "regex",
        "format",
        "join",
        "expression",
    )
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.stringmanipulation.StringManipulationNodeFactory",
            "String Manipulation",
            _string_manipulation_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the computed column"),)
    Settings = StringManipulationSettings

    def configure(
        self, in_specs: list[Any], settings: StringManipulationSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [_sm_plan(spec, settings, ctx, 0)[2]]

    def execute(self, inputs: list[Any], settings: StringManipulationSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            compiled, kind, out_spec = _sm_plan(table.spec, settings, ctx, len(table))
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        cells, missing = _rows(table, compiled, _environment(table.spec, ctx, len(table), multi=False))
        results: list[Any] = []
        errors: list[str] = []
        reported_missing = False
        for k, rid in enumerate(table.row_ids):
            if k % 10000 == 0:
                ctx.check_cancelled()
            if not settings.insert_missing_as_null and any(missing[k]):
                if not reported_missing:
                    column = compiled.columns[missing[k].index(True)]
                    ctx.log(f'Row "{rid}" contains missing value in column "{column}" - returning missing')
                    reported_missing = True
                results.append(None)
                continue
            try:
                results.append(_output(compiled.fn(Row(k, rid, cells[k])), kind))
            except JavaError as exc:
                errors.append(f'Evaluation of expression failed for row "{rid}": {exc}')
                results.append(None)
        _problems(ctx, errors)
        name = settings.replaced_column
        col_type = _COLUMN_TYPE[kind]
        series = typed_column(results, col_type)
        series.index = table.df.index
        df = table.df.copy()
        df[name] = series
        return [Table(df[out_spec.names], {c.name: c.type for c in out_spec.columns})]


# --------------------------------------------------------------- String Manipulation (Multi Column)


class MultiColumnSettings(NodeSettings):
    column_selection: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns",
        description="String and number columns; the expression runs once per column with its cell as "
        "$$CURRENTCOLUMN$$ (the cell's text).",
    )
    EXPRESSION: str = Field(
        "$$CURRENTCOLUMN$$",
        title="Expression",
        description="As in String Manipulation, with $$CURRENTCOLUMN$$ for the column being processed.",
    )
    APPEND_OR_REPLACE: Literal["APPEND_COLUMNS", "REPLACE_COLUMNS"] = Field(
        "APPEND_COLUMNS",
        title="Output",
        description="Append new columns (with the suffix) or replace the selected ones.",
    )
    APPEND_COLUMN_SUFFIX: str = Field(
        "_transformed", title="Suffix", description="Suffix of the appended columns."
    )
    abort_execution_on_evaluation_errors: bool = Field(
        True,
        title="Abort execution on evaluation errors",
        description="Fail on the first failing evaluation (else the cell is missing).",
    )
    insert_missing_values_as_null: bool = Field(
        True,
        title="Insert missing values as null",
        description="Evaluate with null for missing cells; otherwise a missing cell gives a missing result.",
    )


_MULTI_TYPES = frozenset({ColumnType.STRING, ColumnType.SMILES, *ColumnType.NUMERIC, ColumnType.BOOLEAN})


def _multi_plan(
    spec: TableSpec, s: MultiColumnSettings, ctx: NodeContext, rows: int
) -> tuple[Compiled, str, list[str], list[str], TableSpec]:
    sources = [c for c in s.column_selection.apply(spec) if spec.type_of(c) in _MULTI_TYPES]
    env = _environment(spec, ctx, rows, multi=True)
    compiled = _compile(s.EXPRESSION, env, "EXPRESSION")
    kind = (
        outer_function_type(s.EXPRESSION) or "S"
    )  # MultiColumnStringManipulationConfigurator: String when in doubt
    if not _assignable(compiled.kind, kind):
        raise ConfigureError(
            f"Type mismatch: cannot convert from {KIND_NAMES[compiled.kind]} to {KIND_NAMES[kind]}",
            setting="EXPRESSION",
        )
    col_type = _COLUMN_TYPE[kind]
    if s.APPEND_OR_REPLACE == "REPLACE_COLUMNS":
        targets = list(sources)
        out = spec
        for c in sources:
            out = out.replace(c, col_type)
    else:
        taken = set(spec.names)
        targets = [unique_column_name(taken, c + s.APPEND_COLUMN_SUFFIX) for c in sources]
        out = spec.append(*[(t, col_type) for t in targets])
    return compiled, kind, sources, targets, out


def _multi_from_knime(knime: KnimeSettings) -> None:
    knime.take("column_selection")
    knime.take_all(["EXPRESSION", "APPEND_OR_REPLACE", "APPEND_COLUMN_SUFFIX"])
    knime.take("abort_execution_on_evaluation_errors", "Abort execution on evaluation errors")
    knime.take("insert_missing_values_as_null", "Insert missing values as null")


class StringManipulationMultiColumn(Node):
    type_name = "string_manipulation_multi_column"
    display_name = "String Manipulation (Multi Column)"
    category = Category.MANIPULATOR
    description = (
        "Applies one String Manipulation expression to several columns, each cell bound to $$CURRENTCOLUMN$$ as "
        "text; results replace the columns or are appended with a suffix. The output type is the outermost "
        "function's (String when unclear)."
    )
    keywords = ("string", "text", "multi column", "batch", "replace", "transform columns", "expression")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.stringmanipulation.multicolumn.MultiColumnStringManipulationNodeFactory",
            "String Manipulation (Multi Column)",
            _multi_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Transformed table"),)
    Settings = MultiColumnSettings

    def configure(self, in_specs: list[Any], settings: MultiColumnSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [_multi_plan(spec, settings, ctx, 0)[4]]

    def execute(self, inputs: list[Any], settings: MultiColumnSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        s = settings
        try:
            compiled, kind, sources, targets, out_spec = _multi_plan(table.spec, s, ctx, len(table))
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        if not sources:
            return [table]
        env = _environment(table.spec, ctx, len(table), multi=True)
        cells, missing = _rows(table, compiled, env)
        texts = {
            c: [
                None if is_missing(v) else cell_text(v, table.types[c])
                for v in table.df[c].to_numpy(dtype=object)
            ]
            for c in sources
        }
        results: dict[str, list[Any]] = {t: [] for t in targets}
        errors: list[str] = []
        for k, rid in enumerate(table.row_ids):
            if k % 10000 == 0:
                ctx.check_cancelled()
            static_missing = not s.insert_missing_values_as_null and any(missing[k])
            for src, target in zip(sources, targets, strict=True):
                current = texts[src][k]
                if static_missing or (current is None and not s.insert_missing_values_as_null):
                    results[target].append(None)
                    continue
                try:
                    results[target].append(_output(compiled.fn(Row(k, rid, cells[k], current)), kind))
                except JavaError as exc:
                    message = f'Evaluation of expression failed for row "{rid}": {exc}'
                    if s.abort_execution_on_evaluation_errors:
                        raise NodeError(f"Execution stopped: {message}", setting="EXPRESSION") from None
                    errors.append(message)
                    results[target].append(None)
        _problems(ctx, errors)
        col_type = _COLUMN_TYPE[kind]
        df = table.df.copy()
        for target, values in results.items():
            series = typed_column(values, col_type)
            series.index = df.index
            df[target] = series
        return [Table(df[out_spec.names], {c.name: c.type for c in out_spec.columns})]


# -------------------------------------------------------------------- String Manipulation (Variable)


class StringManipulationVariableSettings(StringManipulationSettings):
    """KNIME's StringManipulationSettings, read by the variable node: the "column" is a variable."""

    expression: str = Field(
        "",
        title="Expression",
        description='KNIME string functions over flow variables, e.g. `join("id=", $${Sappid}$$)`; variables as '
        "$${Iname}$$, $${Dname}$$, $${Sname}$$ ($$ROWINDEX$$ and $$ROWCOUNT$$ are 0, $$ROWID$$ is empty).",
        json_schema_extra=widget("formula", language="string", functions=sorted(FUNCTIONS)),
    )
    replaced_column: str = Field(
        "new column",
        title="Variable name",
        description="Name of the new flow variable (made unique among the incoming ones), or the one to replace.",
    )
    append_column: bool = Field(
        False,
        title="Replace variable",
        description="True: replace the incoming variable named above (KNIME stores 'replace' under this key).",
    )
    insert_missing_as_null: bool = Field(
        False, description="Kept from KNIME's settings; there are no cells, so it changes nothing."
    )


_VARIABLE_TYPES = {"I": "Integer", "D": "Double", "S": "String"}
_CELL_CLASSES = {"L": "LongCell", "Z": "BooleanCell"}


def _new_variable_name(name: str, taken: set[str]) -> str:
    """KNIME's UniqueNameGenerator.newName: trimmed; a taken `x (#n)` continues at `x (#n+1)`."""
    name = name.strip()
    if name not in taken:
        return name
    base, index = name, 1
    m = re.fullmatch(r"(.*) \(#(\d+)\)", name, flags=re.DOTALL)
    if m is not None:
        base, index = m[1], int(m[2]) + 1
    while f"{base} (#{index})" in taken:
        index += 1
    return f"{base} (#{index})"


def _variable_plan(
    s: StringManipulationVariableSettings, variables: dict[str, Any]
) -> tuple[Compiled, str, str]:
    """StringManipulationVariableNodeModel.calculate up to the evaluation: the compiled
    expression, its output kind and the name the result is pushed as."""
    if not s.append_column and not s.replaced_column:
        raise ConfigureError("Column name must not be empty", setting="replaced_column")
    env = Environment({}, variables, row_count=0)
    compiled = _compile(s.expression, env, "expression")
    kind = _output_kind(s.expression, compiled, s)
    if s.append_column:
        if s.replaced_column not in variables:
            raise ConfigureError(
                f"Can't replace input variable '{s.replaced_column}' -- it does not exist in the input",
                setting="replaced_column",
            )
        name = s.replaced_column
    else:
        taken = {v for v in variables if not v.startswith(INTERNAL_PREFIX)}
        name = _new_variable_name(s.replaced_column, taken)
    if kind not in _VARIABLE_TYPES:
        raise ConfigureError(
            f"Invalid variable class: class org.knime.core.data.def.{_CELL_CLASSES[kind]}",
            setting="return_type",
        )
    return compiled, kind, name


def _string_manipulation_variable_from_knime(knime: KnimeSettings) -> None:
    """The column node's keys (StringManipulationSettings); any other key is reported."""
    _string_manipulation_from_knime(knime)
    knime.unread("return_type")  # java.util.Date is reported above


class StringManipulationVariable(Node):
    type_name = "string_manipulation_variable"
    display_name = "String Manipulation (Variable)"
    category = Category.MANIPULATOR
    description = (
        "Evaluates a String Manipulation expression once over the flow variables ($${Sname}$$, $${Iname}$$, "
        "$${Dname}$$) and pushes the result as a new flow variable (or replaces an incoming one). Integer, Double "
        "and String results only, as in KNIME; a missing result fails the node."
    )
    keywords = ("string", "flow variable", "expression", "join", "url", "variable", "manipulate")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.stringmanipulation.variable.StringManipulationVariableNodeFactory",
            "String Manipulation (Variable)",
            _string_manipulation_variable_from_knime,
        ),
    )
    inputs = (OPTIONAL_VARIABLES_IN,)
    outputs = (Port(VARIABLES, "Variables", "The incoming variables and the computed one."),)
    Settings = StringManipulationVariableSettings

    def configure_variables(
        self, in_specs: list[Any], settings: StringManipulationVariableSettings
    ) -> dict[str, str] | None:
        """The pushed variable's type comes from the stored return type or the outermost function;
        its name is the setting's unless an incoming variable already has it (then ` (#1)`)."""
        kind = (
            _KIND_OF_RETURN[settings.return_type]
            if settings.return_type
            else outer_function_type(settings.expression)
        )
        if kind not in _VARIABLE_TYPES:
            return {}
        return {settings.replaced_column.strip(): _VARIABLE_TYPES[kind]}

    def configure(
        self, in_specs: list[Any], settings: StringManipulationVariableSettings, ctx: NodeContext
    ) -> list[Any]:
        _variable_plan(settings, dict(ctx.variables))
        return [UNKNOWN]

    def execute(
        self, inputs: list[Any], settings: StringManipulationVariableSettings, ctx: NodeContext
    ) -> list[Any]:
        try:
            compiled, kind, name = _variable_plan(settings, dict(ctx.variables))
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        try:
            value = compiled.fn(Row(0, "", {}))
        except JavaError as exc:
            ctx.log(f'Evaluation of expression failed for row "": {exc}')
            value = None
        if value is None:
            raise NodeError("Calculation returned missing value", setting="expression")
        ctx.push_variable(name, float(value) if kind == "D" else value, _VARIABLE_TYPES[kind])
        return [None]
