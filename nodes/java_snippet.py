"""KNIME's Java Snippet nodes, run for real: the user's Java is compiled with javac and executed on
a JVM (nodes._java_snippet_runtime), one process per node execution.

Java Snippet and Java Edit Variable (org.knime.base.node.jsnippet): KNIME generates a class
`JSnippet extends AbstractJSnippet` from the system imports, `scriptImports`, one public field per
input/output column and flow variable (`inCols`, `outCols`, `inVars`, `outVars`), `scriptFields`,
and `public void snippet()` holding `scriptBody`. One instance serves every row
(JavaSnippetCellFactory): before each call the input fields get the row's cells (a missing cell is
null), the output column fields are reset to null, the input variable fields are read from the
variables (which earlier rows' output variables may have replaced); afterwards a null output column
field is a missing cell and a null output variable fails the node. `Abort` fails the node
("Calculation aborted: ..."); any other exception leaves that row's outputs missing and warns,
unless the snippet has output variables, which fails it. With no output column the input table
passes unchanged; with no rows the output variables keep the values KNIME gives them at configure
time (-1, -1.0, "").

Java Snippet (simple) and Java Edit Variable (simple) (org.knime.ext.sun.nodes.script): the
expression is tokenised like KNIME's Expression.compile (java.io.StreamTokenizer: comments dropped,
strings re-escaped); `$col$` becomes a field typed by JavaSnippetType (Boolean, Integer, Long,
Double, else String; collections as arrays), `$$ROWINDEX$$`, `$$ROWID$$`, `$$ROWCOUNT$$` and
`$${Iname}$$` / `$${Dname}$$` / `$${Sname}$$` become fields too; version 2 puts the body into a
method returning the return type, version 1 (KNIME 1.x) wraps the last expression in `return`. A
row with a missing cell in a referenced column gets a missing result without evaluation (unless
`insert_missing_as_null`); an exception leaves the cell missing (KNIME only logs it).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator

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
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type, seq
from nodes._column_types import typed_column
from nodes._java_snippet_runtime import (
    ABORTED,
    END,
    FAILED,
    FATAL,
    NULL,
    OK,
    JavaObject,
    Reader,
    RowFailure,
    Source,
    column_values,
    compile_snippet,
    encode_column,
    encode_int,
    encode_string,
    encode_value,
    is_missing,
    read_failure,
    run_java,
    value_kind,
)
from nodes._java_text import java_double_to_string
from nodes._variable_ports import OPTIONAL_VARIABLES_IN
from nodes._variables import INTERNAL_PREFIX, variable_entry_type

# ------------------------------------------------------------------------------------- Java types

_ELEMENTS = ("Double", "Integer", "Long", "String", "Boolean")


def java_type(name: str) -> tuple[str, bool] | None:
    """(element, is_array) of a field's Java type as KNIME saves it (`java.lang.Double`,
    `[Ljava.lang.Double;`) or written short (`Double`, `Double[]`); None when unsupported."""
    text = name.strip()
    array = False
    if text.startswith("[L") and text.endswith(";"):
        text, array = text[2:-1], True
    elif text.endswith("[]"):
        text, array = text[:-2].strip(), True
    simple = text.removeprefix("java.lang.")
    return (simple, array) if simple in _ELEMENTS else None


def _declared(element: str, array: bool) -> str:
    return element + ("[]" if array else "")


# the column types a Java type can be read from (KNIME's DataCellToJava converters)
_READS = {
    "Double": {ColumnType.DOUBLE, ColumnType.INTEGER, ColumnType.LONG, ColumnType.BOOLEAN},
    "Long": {ColumnType.LONG, ColumnType.INTEGER, ColumnType.BOOLEAN},
    "Integer": {ColumnType.INTEGER, ColumnType.BOOLEAN},
    "Boolean": {ColumnType.BOOLEAN},
    "String": {
        ColumnType.STRING,
        ColumnType.SMILES,
        ColumnType.JSON,
        ColumnType.XML,
        ColumnType.URI,
        ColumnType.DOUBLE,
        ColumnType.INTEGER,
        ColumnType.LONG,
        ColumnType.BOOLEAN,
    },
}
# the column types a Java type can be written to (KNIME's JavaToDataCell converters)
_WRITES = {
    "Double": {ColumnType.DOUBLE},
    "Long": {ColumnType.LONG, ColumnType.DOUBLE},
    "Integer": {ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE},
    "Boolean": {ColumnType.BOOLEAN},
    "String": {ColumnType.STRING},
}


def _readable(col_type: str, element: str, array: bool) -> bool:
    kind = ColumnType.collection_kind(col_type)
    if element == "String" and not array:  # the "toString()" converter takes any cell
        return not _travel_kind(col_type).startswith("U:")
    if array != bool(kind):
        return False
    if kind:
        inner = ColumnType.element_of(col_type)
        return inner == ColumnType.UNKNOWN or inner in _READS[element]
    return col_type in _READS[element]


def _writable(col_type: str, element: str, array: bool) -> bool:
    kind = ColumnType.collection_kind(col_type)
    if array != bool(kind):
        return False
    return (ColumnType.element_of(col_type) if kind else col_type) in _WRITES[element]


# KNIME's FlowVariable.Type names (LONG and BOOLEAN for newer variable types) and knitflow's
_VAR_TYPES = {
    "INTEGER": "Integer",
    "DOUBLE": "Double",
    "STRING": "String",
    "LONG": "Long",
    "BOOLEAN": "Boolean",
}
# the Java types an input variable field can take, by variable type
_VAR_READS = {
    "INTEGER": {"Integer", "Double"},
    "LONG": {"Long", "Double"},
    "DOUBLE": {"Double"},
    "STRING": {"String"},
    "BOOLEAN": {"Boolean"},
}
# the value an output variable has when no row ran (JavaSnippet.configure)
_VAR_DEFAULTS = {"INTEGER": -1, "DOUBLE": -1.0, "STRING": "", "LONG": -1, "BOOLEAN": False}


# ---------------------------------------------------------------------------------------- settings

VarType = Literal["INTEGER", "DOUBLE", "STRING", "LONG", "BOOLEAN"]


class _JavaField(NodeSettings):
    Name: str = Field(description="The column or flow variable.")
    JavaName: str = Field(description="The name of the Java field in the snippet.")
    JavaType: str = Field(
        description="The field's Java type: java.lang.Double, Integer, Long, String or Boolean, or an array of "
        "one of them ([Ljava.lang.Double; or Double[]) for a collection column."
    )

    @field_validator("JavaName")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not value.isidentifier():
            raise ValueError(f"{value!r} is not a Java field name")
        return value

    @field_validator("JavaType")
    @classmethod
    def _supported(cls, value: str) -> str:
        if java_type(value) is None:
            raise ValueError(
                f"Java type {value!r} is not supported (Double, Integer, Long, String, Boolean and their arrays)"
            )
        return value


class InCol(_JavaField):
    Type: str | None = Field(
        None, description="The column's type when the snippet was written (informative)."
    )


class OutCol(_JavaField):
    Type: str = Field(
        description="The output column's type: Double, Integer, Long, String, Boolean or List of ..."
    )
    replaceExisting: bool = Field(
        False, description="Replace the input column of that name instead of appending."
    )


class InVar(_JavaField):
    Type: VarType = Field(description="The flow variable's type.")


class OutVar(InVar):
    replaceExisting: bool = Field(False, description="Replace an existing flow variable of that name.")


class _SnippetSettings(NodeSettings):
    scriptImports: str = Field(
        "// Your custom imports:\n", description="Import statements.", json_schema_extra={"format": "java"}
    )
    scriptFields: str = Field(
        "// Your custom variables:\n",
        description="Member declarations of the snippet class (they keep their values from row to row).",
        json_schema_extra={"format": "java"},
    )
    scriptBody: str = Field(
        "// Enter your code here:\n\n\t\t\n\n",
        description="The body of the snippet method, run once per row.",
        json_schema_extra={"format": "java"},
    )
    jarFiles: list[str] = Field(default_factory=list, description="Jar files added to the class path.")
    inVars: list[InVar] = Field(default_factory=list, description="Input flow variable fields.")
    outVars: list[OutVar] = Field(default_factory=list, description="Output flow variable fields.")


class JavaSnippetSettings(_SnippetSettings):
    inCols: list[InCol] = Field(default_factory=list, description="Input column fields.")
    outCols: list[OutCol] = Field(default_factory=list, description="Output column fields.")


_RETURN_TYPES = (
    "java.lang.Double",
    "java.lang.Integer",
    "java.lang.Long",
    "java.lang.String",
    "java.lang.Boolean",
)
ReturnType = Literal[
    "java.lang.Double", "java.lang.Integer", "java.lang.Long", "java.lang.String", "java.lang.Boolean"
]


class JavaScriptingSettings(NodeSettings):
    expression: str = Field(
        "",
        description="The Java code: $column$, $$ROWID$$, $$ROWINDEX$$, $$ROWCOUNT$$ and $${Sname}$$ (I, D, S) "
        "refer to the row and the flow variables; version 2 code ends with a return statement.",
        json_schema_extra={"format": "java"},
    )
    header: str = Field(
        "",
        description="Global member declarations of the expression class.",
        json_schema_extra={"format": "java"},
    )
    replaced_column: str = Field("new column", description="The new column's name, or the column to replace.")
    append_column: bool = Field(
        False,
        description="KNIME's key for 'replace': true replaces replaced_column, false appends a new column.",
    )
    return_type: ReturnType = Field("java.lang.Double", description="The Java type the expression returns.")
    is_array_return: bool = Field(False, description="The expression returns an array: the column is a list.")
    insert_missing_as_null: bool = Field(
        False,
        description="Hand missing cells to the expression as null; otherwise a row with a missing cell in a "
        "referenced column gets a missing result without evaluation.",
    )
    expression_version: Literal[1, 2] = Field(
        2,
        description="2: the expression is a method body with return; 1 (KNIME 1.x): its last expression is returned.",
    )
    java_libraries: list[str] = Field(default_factory=list, description="Jar files added to the class path.")

    @field_validator("return_type", mode="before")
    @classmethod
    def _full_name(cls, value: Any) -> Any:
        if isinstance(value, str) and value in _ELEMENTS:
            return f"java.lang.{value}"
        return value


class EditVariableSettings(JavaScriptingSettings):
    replaced_column: str = Field(
        "new variable", description="The flow variable the expression's result is pushed as."
    )
    return_type: ReturnType = Field("java.lang.String", description="The Java type the expression returns.")


# ----------------------------------------------------------------------------- Java Snippet: checks


def _check_columns(settings: JavaSnippetSettings, spec: TableSpec) -> TableSpec:
    """The output spec; KNIME's validateSettings checks of the column fields."""
    for f in settings.inCols:
        if f.Name not in spec:
            raise ConfigureError(f'The column "{f.Name}" is not found in the input table.', setting="inCols")
        element, array = java_type(f.JavaType) or ("", False)
        col_type = spec.type_of(f.Name)
        if not _readable(col_type, element, array):
            raise ConfigureError(
                f'Missing converter for column "{f.Name}" ({col_type}) to java field "{f.JavaName}" '
                f"({_declared(element, array)})",
                setting="inCols",
            )
    out = spec
    for g in settings.outCols:
        element, array = java_type(g.JavaType) or ("", False)
        if not _writable(g.Type, element, array):
            raise ConfigureError(
                f'Missing converter for java field "{g.JavaName}" ({_declared(element, array)}) to column '
                f'"{g.Name}" ({g.Type})',
                setting="outCols",
            )
        if g.replaceExisting:
            if g.Name not in spec:
                raise ConfigureError(
                    f'The output column "{g.Name}" is marked to be a replacement, but an input with this name '
                    "does not exist.",
                    setting="outCols",
                )
            out = out.replace(g.Name, g.Type)
        else:
            if g.Name in out:
                raise ConfigureError(
                    f'The output column "{g.Name}" is marked to be new, but an input with this name does exist.',
                    setting="outCols",
                )
            out = out.append((g.Name, g.Type))
    _check_names(settings)
    return out


def _check_names(settings: _SnippetSettings) -> None:
    fields = [
        *getattr(settings, "inCols", []),
        *getattr(settings, "outCols", []),
        *settings.inVars,
        *settings.outVars,
    ]
    seen: set[str] = set()
    for f in fields:
        if f.JavaName in seen:
            raise ConfigureError(f'The Java field name "{f.JavaName}" is used twice.', setting="scriptBody")
        seen.add(f.JavaName)
    for f in settings.outVars:
        element, array = java_type(f.JavaType) or ("", False)
        if array or _VAR_TYPES[f.Type] != element:
            raise ConfigureError(
                f'The output flow variable "{f.Name}" ({f.Type}) cannot be set from a {_declared(element, array)} '
                "field.",
                setting="outVars",
            )
    for f in settings.inVars:
        element, array = java_type(f.JavaType) or ("", False)
        if array or element not in _VAR_READS[f.Type]:
            raise ConfigureError(
                f'The flow variable "{f.Name}" ({f.Type}) cannot be read as {_declared(element, array)}.',
                setting="inVars",
            )


def _variables(ctx: NodeContext) -> dict[str, tuple[Any, str]]:
    """The flow variables a snippet sees: name -> (value, knitflow type)."""
    found = {}
    for name, value in ctx.variables.items():
        if name.startswith(INTERNAL_PREFIX):
            continue
        found[name] = (value, variable_entry_type(ctx, name, value))
    return found


def _check_variables(settings: _SnippetSettings, variables: Mapping[str, tuple[Any, str]]) -> None:
    for f in settings.inVars:
        if f.Name not in variables:
            raise NodeError(f'The flow variable "{f.Name}" is not found in the input.', setting="inVars")
        if variables[f.Name][1] != _VAR_TYPES[f.Type]:
            raise NodeError(
                f'The type of the flow variable "{f.Name}" has changed ({f.Type} expected, '
                f"{variables[f.Name][1]} found).",
                setting="inVars",
            )
    for g in settings.outVars:
        if g.replaceExisting and g.Name not in variables:
            raise NodeError(
                f'The output flow variable "{g.Name}" is marked to be a replacement, but an input with this name '
                "does not exist.",
                setting="outVars",
            )
        if not g.replaceExisting and g.Name in variables:
            raise NodeError(
                f'The output flow variable "{g.Name}" is marked to be new, but an input with this name does exist.',
                setting="outVars",
            )


# ------------------------------------------------------------------------ Java Snippet: the class

_SYSTEM_IMPORTS = (
    "org.knime.base.node.jsnippet.expression.AbstractJSnippet",
    "org.knime.base.node.jsnippet.expression.Abort",
    "org.knime.base.node.jsnippet.expression.Cell",
    "org.knime.base.node.jsnippet.expression.ColumnException",
    "org.knime.base.node.jsnippet.expression.TypeException",
    "static org.knime.base.node.jsnippet.expression.Type.*",
    "java.util.Date",
    "java.util.Calendar",
    "org.w3c.dom.Document",
)
_CELL_ACCESS = re.compile(r"\b(getCell|isMissing|isType)\s*\(")


def _script(text: str) -> str:
    return text.replace("\r\n", "\n")


def _jsnippet_source(settings: _SnippetSettings) -> Source:
    src = Source()
    src.add("// system imports\n" + "".join(f"import {s};\n" for s in _SYSTEM_IMPORTS))
    src.add(_script(settings.scriptImports), "scriptImports")
    fields = ["// system variables", "public class JSnippet extends AbstractJSnippet {"]
    groups = (
        ("Input column", getattr(settings, "inCols", [])),
        ("Input flow variable", settings.inVars),
        ("Output column", getattr(settings, "outCols", [])),
        ("Output flow variable", settings.outVars),
    )
    for label, group in groups:
        for f in group:
            element, array = java_type(f.JavaType) or ("Object", False)
            fields.append(f'  /** {label}: "{f.Name}" */')
            fields.append(f"  public {_declared(element, array)} {f.JavaName};")
    src.add("\n".join(fields))
    src.add(_script(settings.scriptFields), "scriptFields")
    src.add("// expression start\n    public void snippet() throws TypeException, ColumnException, Abort {")
    src.add(_script(settings.scriptBody), "scriptBody")
    src.add("// expression end\n    }\n}")
    return src


@dataclass
class _SnippetResult:
    rows: list[list[Any] | None]  # the output column values per row (None: the row failed)
    variables: dict[str, Any]  # the output variables' final values
    failures: list[str]


def _run_snippet(
    settings: _SnippetSettings,
    table: Table | None,
    ctx: NodeContext,
    variables: Mapping[str, tuple[Any, str]],
) -> _SnippetResult:
    """Compile the snippet and run it over the table's rows (one row without cells for Java Edit
    Variable)."""
    in_cols: list[InCol] = getattr(settings, "inCols", [])
    out_cols: list[OutCol] = getattr(settings, "outCols", [])
    source = _jsnippet_source(settings)
    classpath = compile_snippet("JSnippet", source, ctx, settings.jarFiles, "scriptBody")

    row_ids = table.row_ids if table is not None else ["Row0"]
    request = _snippet_request(settings, table, in_cols, out_cols, variables)
    ctx.check_cancelled()
    answer = Reader(run_java("jsnippet", "JSnippet", classpath, request, ctx))

    rows: list[list[Any] | None] = []
    failures: list[str] = []
    while _snippet_answer(answer, len(out_cols), row_ids, source, rows, failures):
        pass
    out_vars = {f.Name: answer.value() for f in settings.outVars}
    if not rows:  # no row ran: the values KNIME pushes at configure time
        out_vars = {f.Name: _VAR_DEFAULTS[f.Type] for f in settings.outVars}
    return _SnippetResult(rows, out_vars, failures)


def _snippet_request(
    settings: _SnippetSettings,
    table: Table | None,
    in_cols: list[InCol],
    out_cols: list[OutCol],
    variables: Mapping[str, tuple[Any, str]],
) -> bytes:
    """What the Java runner reads: the table's columns, the variables, the fields, then each row's
    RowID and the cells sent (all of them when the code reads cells by name)."""
    if table is None:
        names: list[str] = []
        types: dict[str, str] = {}
        row_ids = ["Row0"]
        row_count = 1
    else:
        names, types, row_ids, row_count = table.columns, table.types, table.row_ids, len(table)
    code = settings.scriptFields + "\n" + settings.scriptBody
    if _CELL_ACCESS.search(code):
        sent = list(range(len(names)))
    else:
        sent = list(dict.fromkeys(names.index(f.Name) for f in in_cols))
    header = [encode_int(row_count), encode_int(len(names))]
    for name in names:
        header += [encode_string(name), encode_string(types[name])]
    header.append(encode_int(len(variables)))
    for name, (value, var_type) in variables.items():
        header.append(encode_string(name) + encode_value(value, _var_kind(var_type)))
    header.append(encode_int(len(sent)) + b"".join(encode_int(i) for i in sent))
    header.append(encode_int(len(in_cols)) + b"".join(encode_string(f.JavaName) for f in in_cols))
    header += [encode_int(sent.index(names.index(f.Name))) for f in in_cols]
    header.append(
        encode_int(len(settings.inVars)) + b"".join(encode_string(f.JavaName) for f in settings.inVars)
    )
    header += [encode_string(f.Name) for f in settings.inVars]
    header.append(encode_int(len(out_cols)) + b"".join(encode_string(f.JavaName) for f in out_cols))
    header.append(
        encode_int(len(settings.outVars)) + b"".join(encode_string(f.JavaName) for f in settings.outVars)
    )
    header += [encode_string(f.Name) for f in settings.outVars]
    columns = (
        [_encode_field_column(column_values(table, names[i]), _travel_kind(types[names[i]])) for i in sent]
        if table is not None
        else []
    )
    parts = header
    for r, row_id in enumerate(row_ids):
        parts.append(b"\x01" + encode_string(row_id))
        parts.extend(col[r] for col in columns)
    parts.append(b"\x00")
    return b"".join(parts)


def _snippet_answer(
    answer: Reader,
    n_out: int,
    row_ids: list[str],
    source: Source,
    rows: list[list[Any] | None],
    failures: list[str],
) -> bool:
    """Read one row's answer into `rows` (None and a noted failure when the row threw); False at
    the end of the rows."""
    status = answer.byte()
    if status == END:
        return False
    if status == OK:
        rows.append([answer.value() for _ in range(n_out)])
    elif status == FAILED:
        failures.append(_snippet_failure(row_ids[len(rows)], read_failure(answer), source))
        rows.append(None)
    elif status == ABORTED:
        message = answer.value()
        raise NodeError(f"Calculation aborted: {message or '<no details>'}", setting="scriptBody")
    elif status == FATAL:
        message = answer.string()
        if answer.byte() == FAILED:
            message = f"{message}\n{_snippet_failure(row_ids[len(rows)], read_failure(answer), source)}"
        raise NodeError(message, setting="scriptBody")
    else:
        raise NodeError(f"the Java runner answered with an unknown status {status}")
    return True


def _var_kind(var_type: str) -> str:
    return {"Integer": "I", "Long": "J", "Double": "D", "Boolean": "Z"}.get(var_type, "S")


def _snippet_failure(row_id: str, failure: RowFailure, source: Source) -> str:
    """JavaSnippetCellFactory's message for an exception thrown for a row."""
    text = f'Evaluation of java snippet failed for row "{row_id}".'
    if failure.line >= 0:
        text += f"The exception is caused by {source.describe(failure.line)}. "
    if failure.message is not None:
        text += f"Exception message ({failure.exception}): {failure.message}"
    else:
        text += f"Exception: {failure.exception}"
    return text


def _report_failures(failures: list[str], ctx: NodeContext) -> None:
    if not failures:
        return
    for text in failures[:20]:
        ctx.log(text)
    if len(failures) > 20:
        ctx.log(f"... and {len(failures) - 20} more rows failed")
    ctx.warn(
        "Exceptions in the code caused missing rows to be output.\nCheck log for details. "
        f"({len(failures)} rows; first: {failures[0]})"
    )


def _out_value(value: Any, col_type: str) -> Any:
    """A Java field value as a cell of the output column's type."""
    if value is None:
        return None
    kind = ColumnType.collection_kind(col_type)
    if kind:
        element = ColumnType.element_of(col_type)
        items = tuple(_out_value(v, element) for v in value)
        return tuple(dict.fromkeys(items)) if kind == ColumnType.SET else items
    if col_type == ColumnType.DOUBLE:
        return float(value)
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        return int(value)
    if col_type == ColumnType.BOOLEAN:
        return bool(value)
    return str(value)


def _push_variables(settings: _SnippetSettings, values: Mapping[str, Any], ctx: NodeContext) -> None:
    for f in settings.outVars:
        var_type = _VAR_TYPES[f.Type]
        value = values[f.Name]
        value = float(value) if var_type == "Double" else value
        ctx.push_variable(f.Name, value, var_type)


def _output_table(table: Table, settings: JavaSnippetSettings, rows: list[list[Any] | None]) -> Table:
    if not settings.outCols:
        return table
    df = table.df.copy(deep=False)
    types: dict[str, str] = {}
    for i, f in enumerate(settings.outCols):
        values = [None if row is None else _out_value(row[i], f.Type) for row in rows]
        column = typed_column(values, f.Type)
        column.index = df.index
        df[f.Name] = column
        types[f.Name] = f.Type
    return table.with_frame(df, types)


# ------------------------------------------------------------------------------------------ nodes

_KEYWORDS = ("java", "snippet", "script", "code", "javac", "jsnippet")


class JavaSnippet(Node):
    type_name = "java_snippet"
    display_name = "Java Snippet"
    category = Category.SCRIPT
    description = (
        "Runs Java code once per row (compiled with javac, run on a JVM): input columns and flow variables are "
        "mapped to Java fields, output fields become new or replaced columns and flow variables."
    )
    keywords = _KEYWORDS
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Output table", "The input with the output columns appended or replaced."),)
    Settings = JavaSnippetSettings

    def configure(self, in_specs: list[Any], settings: JavaSnippetSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [_check_columns(settings, spec)]

    def configure_variables(
        self, in_specs: list[Any], settings: JavaSnippetSettings
    ) -> dict[str, str] | None:
        return {f.Name: _VAR_TYPES[f.Type] for f in settings.outVars}

    def execute(self, inputs: list[Any], settings: JavaSnippetSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        _check_columns(settings, table.spec)
        variables = _variables(ctx)
        _check_variables(settings, variables)
        result = _run_snippet(settings, table, ctx, variables)
        _report_failures(result.failures, ctx)
        _push_variables(settings, result.variables, ctx)
        return [_output_table(table, settings, result.rows)]


class JavaEditVariable(Node):
    type_name = "java_edit_variable"
    display_name = "Java Edit Variable"
    category = Category.SCRIPT
    description = (
        "Runs Java code once (compiled with javac, run on a JVM) to read flow variables into Java fields and "
        "push output fields as new or replaced flow variables."
    )
    keywords = (*_KEYWORDS, "flow variable", "variable")
    inputs = (OPTIONAL_VARIABLES_IN,)
    outputs = (Port(VARIABLES, "Variables", "The output flow variables."),)
    Settings = _SnippetSettings

    def configure(self, in_specs: list[Any], settings: _SnippetSettings, ctx: NodeContext) -> list[Any]:
        _check_names(settings)
        return [None]

    def configure_variables(self, in_specs: list[Any], settings: _SnippetSettings) -> dict[str, str] | None:
        return {f.Name: _VAR_TYPES[f.Type] for f in settings.outVars}

    def execute(self, inputs: list[Any], settings: _SnippetSettings, ctx: NodeContext) -> list[Any]:
        _check_names(settings)
        variables = _variables(ctx)
        _check_variables(settings, variables)
        result = _run_snippet(settings, None, ctx, variables)
        for text in result.failures:  # KNIME's Java Edit Variable only logs them
            ctx.log(text)
        _push_variables(settings, result.variables, ctx)
        return [None]


# ---------------------------------------------------------------- Java Snippet (simple): the class


@dataclass(frozen=True)
class _ExprField:
    java_name: str  # the field in the generated class (__col0, __ROWID, __variable_0)
    java_class: str  # its declared type (Integer, Double[], String ...)
    kind: Literal["column", "variable", "constant"]
    name: str  # the column, the flow variable or ROWINDEX / ROWID / ROWCOUNT
    value_kind: str = ""  # how the values travel (runtime.value_kind)


_ESCAPES = {"a": "\x07", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\x0b"}


def _quoted(text: str, i: int, quote: str) -> tuple[str, int]:
    """The quoted text from position i (escapes resolved, octal ones too), ended by the quote (read
    past), a line break or the end; and the position after it."""
    n, buf = len(text), []
    while i < n and text[i] != quote and text[i] not in "\n\r":
        ch = text[i]
        i += 1
        if ch == "\\" and i < n:
            ch = text[i]
            i += 1
            if "0" <= ch <= "7":
                value, first = int(ch), ch
                if i < n and "0" <= text[i] <= "7":
                    value = value * 8 + int(text[i])
                    i += 1
                    if first <= "3" and i < n and "0" <= text[i] <= "7":
                        value = value * 8 + int(text[i])
                        i += 1
                ch = chr(value)
            else:
                ch = _ESCAPES.get(ch, ch)
        buf.append(ch)
    if i < n and text[i] == quote:
        i += 1
    return "".join(buf), i


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """java.io.StreamTokenizer as KNIME configures it: every char a word char except `/` (which
    starts // and /* */ comments, dropped) and the quotes `'`, `"`, `$` (escapes resolved, ended
    by the quote, a line break or the end). Tokens: (type, text, line)."""
    out: list[tuple[str, str, int]] = []
    i, n = 0, len(text)
    while i < n:
        line = text.count("\n", 0, i) + 1
        c = text[i]
        if c in "'\"$":
            value, i = _quoted(text, i + 1, c)
            out.append((c, value, line))
        elif c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                break
            i = end + 2
        elif c == "/" and text.startswith("//", i):
            while i < n and text[i] not in "\n\r":
                i += 1
        elif c == "/":
            out.append(("/", "/", line))
            i += 1
        else:
            j = i
            while j < n and text[j] not in "'\"$/":
                j += 1
            out.append(("word", text[i:j], line))
            i = j
    return out


def _snippet_class(col_type: str) -> tuple[str, str]:
    """(Java class, value kind) a column is handed as (JavaSnippetType.findType)."""
    kind = ColumnType.collection_kind(col_type)
    base = ColumnType.element_of(col_type) if kind else col_type
    if base == ColumnType.BOOLEAN:
        element, travels = "Boolean", "Z"
    elif base == ColumnType.INTEGER:
        element, travels = "Integer", "I"
    elif base == ColumnType.LONG:
        element, travels = "Long", "J"
    elif base == ColumnType.DOUBLE:
        element, travels = "Double", "D"
    elif base in ColumnType.DATE_TIME:
        element, travels = "String", "T:" + base
    elif base == ColumnType.UNKNOWN and kind:
        element, travels = "String", "?"
    elif value_kind(base).startswith("U:"):
        raise NodeError(
            f"columns of type {col_type} cannot be handed to Java by knitflow", setting="expression"
        )
    else:
        element, travels = "String", "S"
    return (element + "[]", "A:" + travels) if kind else (element, travels)


def _special_field(
    text: str, line: int, version: int, fields: dict[tuple[str, str], _ExprField]
) -> _ExprField:
    """The field of a `$$...$$` reference: ROWINDEX/ROWID (ROWNUMBER/ROWKEY in version 1),
    ROWCOUNT, or a flow variable `{Iname}` / `{Dname}` / `{Sname}` (one field per variable)."""
    if (text == "ROWNUMBER" and version == 1) or (text == "ROWINDEX" and version != 1):
        return _ExprField("__ROWINDEX", "Integer", "constant", "ROWINDEX", "I")
    if (text == "ROWKEY" and version == 1) or (text == "ROWID" and version != 1):
        return _ExprField("__ROWID", "String", "constant", "ROWID", "S")
    if text == "ROWCOUNT":
        return _ExprField("__ROWCOUNT", "Integer", "constant", "ROWCOUNT", "I")
    if not (text.startswith("{") and text.endswith("}")):
        raise NodeError(f"Invalid special identifier: {text} (at line {line})", setting="expression")
    var = text[1:-1]
    if not var:
        raise NodeError(f"Empty variable string at line {line}", setting="expression")
    java_class = {"I": "Integer", "D": "Double", "S": "String"}.get(var[0])
    if java_class is None:
        raise NodeError(
            f"Invalid type identifier for variable in line {line}: {var[0]}", setting="expression"
        )
    if not var[1:]:
        raise NodeError(f"Empty variable identifier in line {line}", setting="expression")
    old = fields.get(("variable", var[1:]))
    count = sum(1 for f in fields.values() if f.kind == "variable")
    java_name = old.java_name if old else f"__variable_{count}"
    return _ExprField(java_name, java_class, "variable", var[1:], var[0])


def _parse_expression(settings: JavaScriptingSettings, spec: TableSpec) -> tuple[str, list[_ExprField]]:
    """Expression.compile: the Java body with its references replaced by fields, and the fields."""
    version = settings.expression_version
    body: list[str] = []
    fields: dict[tuple[str, str], _ExprField] = {}
    special = False
    for kind, text, line in _tokens(settings.expression):
        if kind == "word":
            if not special:
                body.append(text)
                continue
            field = _special_field(text, line, version, fields)
            fields[(field.kind, field.name)] = field
            body.append(field.java_name)
        elif kind == "/":
            body.append("/")
        elif kind in "'\"":
            if special:
                raise NodeError(f"Invalid special identifier: {text} (at line {line})", setting="expression")
            escaped = (
                text.replace("\\", "\\\\")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
                .replace(kind, "\\" + kind)
            )
            body.append(kind + escaped + kind)
        elif text == "":
            special = not special
        else:
            if text not in spec:
                raise NodeError(f"No such column: {text} (at line {line})", setting="expression")
            index = spec.names.index(text)
            java_class, travels = _snippet_class(spec.type_of(text))
            field = _ExprField(f"__col{index}", java_class, "column", text, travels)
            fields[("column", text)] = field
            body.append(field.java_name)
    return "".join(body), list(fields.values())


_DEFAULT_IMPORTS = ("java.text.*", "java.util.*", "java.io.*", "java.net.*", "java.util.regex.*")
_OBJECTIFY = (
    "".join(
        f"  protected final {boxed} objectify({prim} v) {{\n    return {boxed}.valueOf(v);\n  }}\n\n"
        for prim, boxed in (
            ("byte", "Byte"),
            ("char", "Character"),
            ("double", "Double"),
            ("float", "Float"),
            ("int", "Integer"),
            ("long", "Long"),
            ("short", "Short"),
            ("boolean", "Boolean"),
        )
    )
    + "  protected final Object objectify(Object o) {\n    return o;\n  }\n\n"
)


def _expression_source(settings: JavaScriptingSettings, body: str, fields: list[_ExprField]) -> Source:
    """Expression.generateSourceVersion1/2."""
    src = Source()
    imports = [*_DEFAULT_IMPORTS, "org.knime.ext.sun.nodes.script.expression.AbstractSnippetExpression"]
    imports.append("org.knime.ext.sun.nodes.script.expression.Abort")
    src.add("".join(f"import {i};\n" for i in imports))
    src.add("public class Expression extends AbstractSnippetExpression {\n")
    src.add("".join(f"  public {f.java_class} {f.java_name};\n" for f in fields))
    r_type = settings.return_type
    if settings.expression_version == 1:
        cast = {
            "java.lang.Double": "(double)(",
            "java.lang.Integer": "(int)(",
            "java.lang.String": '"" + (',
        }.get(r_type, f"({r_type})(")
        src.add("  public Object internalEvaluate() {")
        cut = body.rfind(";")
        statements, last = (body[: cut + 1], body[cut + 1 :]) if cut >= 0 else ("", body)
        src.add("    " + statements + "\n    return objectify(" + cast + last + "));", "expression")
        src.add("  }\n\n" + _OBJECTIFY + "}")
        return src
    src.add(settings.header, "header")
    array = "[]" if settings.is_array_return else ""
    src.add(f"  @Override\n  public {r_type}{array} internalEvaluate() throws Abort {{")
    src.add(body, "expression")
    src.add("  }\n\n}")
    return src


def _java_time_text(value: Any, col_type: str) -> str:
    """LocalDate/LocalTime/LocalDateTime.toString: seconds only when set, fractions by 3 digits."""
    if col_type == ColumnType.LOCAL_DATE:
        return value.isoformat()

    def clock(t: dt.time) -> str:
        text = f"{t.hour:02d}:{t.minute:02d}"
        if t.second or t.microsecond:
            text += f":{t.second:02d}"
            if t.microsecond:
                text += (
                    f".{t.microsecond // 1000:03d}" if t.microsecond % 1000 == 0 else f".{t.microsecond:06d}"
                )
        return text

    if col_type == ColumnType.LOCAL_TIME:
        return clock(value)
    return value.date().isoformat() + "T" + clock(value.time())


def _travel_kind(col_type: str) -> str:
    """runtime.value_kind, with date and time cells travelling as their Java text (T:<type>)."""
    kind = ColumnType.collection_kind(col_type)
    base = ColumnType.element_of(col_type) if kind else col_type
    if base in ColumnType.DATE_TIME:
        return ("A:T:" if kind else "T:") + base
    return value_kind(col_type)


def _encode_field_column(values: list[Any], travels: str) -> list[bytes]:
    if travels.startswith("T:") or travels.startswith("A:T:"):
        col_type = travels.split("T:", 1)[1]
        if travels.startswith("A:"):
            return [
                NULL
                if v is None
                else encode_value(
                    tuple(None if is_missing(e) else _java_time_text(e, col_type) for e in v), "A:S"
                )
                for v in values
            ]
        return [NULL if v is None else encode_value(_java_time_text(v, col_type), "S") for v in values]
    return encode_column(values, travels)


@dataclass
class _ExpressionRun:
    results: list[Any]  # per row: the returned value (None: missing)
    failures: list[str]


def _run_expression(
    settings: JavaScriptingSettings,
    table: Table | None,
    spec: TableSpec,
    row_ids: list[str],
    row_count: int,
    ctx: NodeContext,
) -> _ExpressionRun:
    body, fields = _parse_expression(settings, spec)
    source = _expression_source(settings, body, fields)
    classpath = compile_snippet("Expression", source, ctx, settings.java_libraries, "expression")
    request, evaluate = _expression_request(settings, table, fields, row_ids, row_count, ctx)
    ctx.check_cancelled()
    answer = Reader(run_java("expression", "Expression", classpath, request, ctx))
    results: list[Any] = []
    failures: list[str] = []
    for r, row_id in enumerate(row_ids):
        results.append(
            _expression_answer(answer, settings, source, row_id, failures) if evaluate[r] else None
        )
    if any(evaluate) and answer.byte() != END:
        raise NodeError("the Java runner's answer does not end where expected")
    for text in failures[:20]:
        ctx.log(text)
    if len(failures) > 20:
        ctx.log(f"... and {len(failures) - 20} more rows failed")
    return _ExpressionRun(results, failures)


def _expression_request(
    settings: JavaScriptingSettings,
    table: Table | None,
    fields: list[_ExprField],
    row_ids: list[str],
    row_count: int,
    ctx: NodeContext,
) -> tuple[bytes, list[bool]]:
    """What the Java runner reads: the field names, then each row's field values (rows with a
    missing input skipped unless missing values are passed as null); and which rows run."""
    variables = {f.name: _variable_value(f, ctx) for f in fields if f.kind == "variable"}
    columns: dict[str, list[Any]] = {}
    encoded: list[list[bytes] | bytes | str] = []
    for f in fields:
        if f.kind == "column":
            assert table is not None
            columns[f.name] = column_values(table, f.name)
            encoded.append(_encode_field_column(columns[f.name], f.value_kind))
        elif f.kind == "variable":
            encoded.append(variables[f.name])
        else:
            encoded.append(f.name)
    needed = [] if settings.insert_missing_as_null else list(columns.values())
    evaluate = [not any(col[r] is None for col in needed) for r in range(len(row_ids))]
    specials = {
        "ROWINDEX": lambda r, rid: encode_value(r, "I"),
        "ROWID": lambda r, rid: encode_value(rid, "S"),
    }
    parts = [encode_int(len(fields)) + b"".join(encode_string(f.java_name) for f in fields)]
    for r, row_id in enumerate(row_ids):
        if not evaluate[r]:
            continue
        parts.append(b"\x01")
        for value in encoded:
            if isinstance(value, list):
                parts.append(value[r])
            elif isinstance(value, bytes):
                parts.append(value)
            elif value in specials:
                parts.append(specials[value](r, row_id))
            else:
                parts.append(encode_value(row_count, "I"))
    parts.append(b"\x00")
    return b"".join(parts), evaluate


def _expression_answer(
    answer: Reader, settings: JavaScriptingSettings, source: Any, row_id: str, failures: list[str]
) -> Any:
    """One row's answer of the Java runner: its value, or None after a failure it notes."""
    status = answer.byte()
    if status == OK:
        return _returned(answer.value(), settings, row_id, failures)
    if status == FAILED:
        failure = read_failure(answer)
        where = f" ({source.describe(failure.line)})" if failure.line >= 0 else ""
        text = failure.message if failure.message is not None else failure.exception
        failures.append(f'Evaluation of expression failed for row "{row_id}": {text}{where}')
        return None
    if status == ABORTED:
        message = answer.value()
        raise NodeError(f"Calculation aborted: {message or '<no details>'}", setting="expression")
    if status == FATAL:
        raise NodeError(answer.string(), setting="expression")
    raise NodeError(f"the Java runner answered with an unexpected status {status}")


def _variable_value(f: _ExprField, ctx: NodeContext) -> bytes:
    """The flow variable as the expression reads it (peekFlowVariableInt/Double/String)."""
    if f.name not in ctx.variables:
        raise NodeError(f'Flow variable "{f.name}" does not exist', setting="expression")
    value = ctx.variables[f.name]
    var_type = variable_entry_type(ctx, f.name, value)
    if f.value_kind == "I":
        if var_type != "Integer":
            raise NodeError(
                f'Flow variable "{f.name}" is of type {var_type}, not Integer', setting="expression"
            )
        return encode_value(int(value), "I")
    if f.value_kind == "D":
        if var_type not in ("Double", "Integer", "Long"):
            raise NodeError(
                f'Flow variable "{f.name}" is of type {var_type}, not Double', setting="expression"
            )
        return encode_value(float(value), "D")
    return encode_value(value, _var_kind(var_type))


_RETURN_COLUMN = {
    "java.lang.Double": ColumnType.DOUBLE,
    "java.lang.Integer": ColumnType.INTEGER,
    "java.lang.Long": ColumnType.LONG,
    "java.lang.String": ColumnType.STRING,
    "java.lang.Boolean": ColumnType.BOOLEAN,
}
_RETURN_PYTHON: dict[str, type | tuple[type, ...]] = {
    "java.lang.Double": float,
    "java.lang.Integer": int,
    "java.lang.Long": int,
    "java.lang.String": str,
    "java.lang.Boolean": bool,
}


def _returned(value: Any, settings: JavaScriptingSettings, row_id: str, failures: list[str]) -> Any:
    """JavaSnippetType.asKNIMECell: a value of another class is a missing cell."""
    if value is None:
        return None
    wanted = _RETURN_PYTHON[settings.return_type]
    if settings.is_array_return:
        if not isinstance(value, tuple):
            return None
        return tuple(v if isinstance(v, wanted) and not isinstance(v, JavaObject) else None for v in value)
    if (
        isinstance(value, JavaObject)
        or not isinstance(value, wanted)
        or (wanted is int and isinstance(value, bool))
    ):
        name = value.class_name if isinstance(value, JavaObject) else type(value).__name__
        failures.append(
            f'Row "{row_id}": unable to cast "{name}" to "{settings.return_type}", assigning missing'
        )
        return None
    return value


def _result_type(settings: JavaScriptingSettings) -> str:
    col_type = _RETURN_COLUMN[settings.return_type]
    return ColumnType.list_of(col_type) if settings.is_array_return else col_type


def _simple_spec(settings: JavaScriptingSettings, spec: TableSpec) -> TableSpec:
    name = settings.replaced_column
    if settings.append_column:
        if name not in spec:
            raise ConfigureError(
                f"the column to replace, {name!r}, is not in the input", setting="replaced_column"
            )
        return spec.replace(name, _result_type(settings))
    if not name:
        raise ConfigureError("Column name must not be empty", setting="replaced_column")
    if name in spec:
        raise ConfigureError(f"the input already has a column {name!r}", setting="replaced_column")
    return spec.append((name, _result_type(settings)))


class JavaSnippetSimple(Node):
    type_name = "java_snippet_simple"
    display_name = "Java Snippet (simple)"
    category = Category.SCRIPT
    description = (
        "Computes a column from a Java expression (compiled with javac, run on a JVM): $column$ refers to a "
        "cell, $$ROWID$$, $$ROWINDEX$$, $$ROWCOUNT$$ to the row, $${Sname}$$ to a flow variable."
    )
    keywords = (*_KEYWORDS, "expression", "formula")
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Output table", "The input with the computed column appended or replaced."),)
    Settings = JavaScriptingSettings

    def configure(self, in_specs: list[Any], settings: JavaScriptingSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [_simple_spec(settings, spec)]

    def execute(self, inputs: list[Any], settings: JavaScriptingSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        _simple_spec(settings, table.spec)
        run = _run_expression(settings, table, table.spec, table.row_ids, len(table), ctx)
        col_type = _result_type(settings)
        column = typed_column(run.results, col_type)
        column.index = table.df.index
        df = table.df.copy(deep=False)
        df[settings.replaced_column] = column
        return [table.with_frame(df, {settings.replaced_column: col_type})]


def _java_text(value: Any) -> str:
    """A result cell's toString, as Java Edit Variable (simple) pushes non-number results."""
    if value is None:
        return "?"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double_to_string(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_java_text(v) for v in value) + "]"
    return str(value)


class JavaEditVariableSimple(Node):
    type_name = "java_edit_variable_simple"
    display_name = "Java Edit Variable (simple)"
    category = Category.SCRIPT
    description = (
        "Computes a flow variable from a Java expression (compiled with javac, run on a JVM); $${Sname}$$ "
        "(I, D, S) refers to the incoming flow variables."
    )
    keywords = (*_KEYWORDS, "expression", "flow variable", "variable")
    inputs = (OPTIONAL_VARIABLES_IN,)
    outputs = (Port(VARIABLES, "Variables", "The computed flow variable."),)
    Settings = EditVariableSettings

    def configure(self, in_specs: list[Any], settings: JavaScriptingSettings, ctx: NodeContext) -> list[Any]:
        return [None]

    def configure_variables(
        self, in_specs: list[Any], settings: JavaScriptingSettings
    ) -> dict[str, str] | None:
        return {settings.replaced_column: _variable_type(settings)}

    def execute(self, inputs: list[Any], settings: JavaScriptingSettings, ctx: NodeContext) -> list[Any]:
        run = _run_expression(settings, None, TableSpec(), ["empty"], -1, ctx)
        value = run.results[0]
        if value is None:
            detail = f": {run.failures[0]}" if run.failures else ""
            raise NodeError(f"Calculation returned missing value{detail}", setting="expression")
        var_type = _variable_type(settings)
        if var_type == "String":
            value = _java_text(value)
        ctx.push_variable(settings.replaced_column, value, var_type)
        return [None]


def _variable_type(settings: JavaScriptingSettings) -> str:
    if settings.is_array_return:
        return "String"
    return {"java.lang.Integer": "Integer", "java.lang.Double": "Double"}.get(settings.return_type, "String")


# -------------------------------------------------------------------------------- KNIME mappings


def _knime_column_type(config: Any) -> str | None:
    """A saved DataType (`cell_class`, a collection's `collection_element_type`) as a knitflow type."""
    if not isinstance(config, dict) or not config.get("cell_class"):
        return None
    kind = column_type(str(config["cell_class"]))
    if kind in (ColumnType.LIST, ColumnType.SET):
        element = _knime_column_type(config.get("collection_element_type"))
        return f"{kind} of {element}" if element else kind
    return kind


_FIELD_KEYS = {
    "Name",
    "JavaName",
    "JavaType",
    "Type",
    "replaceExisting",
    "ConverterFactory",
    "JavaTypeProviderBundle",
}


def _fields_from_knime(knime: KnimeSettings, key: str, column: bool, output: bool) -> list[dict[str, Any]]:
    """One list of JavaField settings (JavaFieldList: array-size, "0", "1" ...)."""
    fields = []
    for i, entry in enumerate(seq(knime.get(key))):
        where = f"{key}.{i}"
        if not isinstance(entry, dict):
            knime.lost(f"{where}: unreadable field definition")
            continue
        name, java_name, jtype = entry.get("Name"), entry.get("JavaName"), str(entry.get("JavaType") or "")
        if java_type(jtype) is None:
            knime.lost(
                f'{where}: the Java field "{java_name}" of "{name}" has Java type {jtype!r}, which knitflow\'s Java '
                "Snippet does not support (Double, Integer, Long, String, Boolean and their arrays); the field is left out"
            )
            continue
        field: dict[str, Any] = {"Name": name, "JavaName": java_name, "JavaType": jtype}
        raw_type = entry.get("Type")
        if column:
            col_type = _knime_column_type(raw_type)
            if output:
                element, array = java_type(jtype) or ("", False)
                if col_type is None or not _writable(col_type, element, array):
                    knime.lost(
                        f'{where}: output column "{name}" of type {col_type or raw_type!r} from Java type {jtype} is '
                        "not supported by knitflow; the field is left out"
                    )
                    continue
            field["Type"] = col_type
        else:
            if raw_type not in _VAR_TYPES:
                knime.lost(
                    f'{where}: flow variable "{name}" of type {raw_type!r} is not supported; the field is left out'
                )
                continue
            field["Type"] = raw_type
        if output:
            field["replaceExisting"] = bool(entry.get("replaceExisting", False))
        unknown = sorted(set(entry) - _FIELD_KEYS)
        if unknown:
            knime.lost(f"{where}: keys {unknown} have no counterpart in knitflow")
        fields.append(field)
    return fields


def _snippet_from_knime(knime: KnimeSettings, columns: bool) -> None:
    for key in ("scriptImports", "scriptFields", "scriptBody"):
        knime.take(key, transform=lambda v: _script(str(v or "")))
    jars = [str(j) for j in seq(knime.get("jarFiles")) if j]
    knime.put("jarFiles", jars, "jarFiles")
    if jars:
        knime.lost(
            f"jarFiles {jars}: the snippet's class path names jar files of the machine that saved the workflow; "
            "knitflow adds them to the class path only where they exist"
        )
    bundles = [str(b) for b in seq(knime.get("bundles")) if b]
    if bundles:
        knime.lost(f"bundles {bundles}: additional OSGi bundles are not available to knitflow's Java Snippet")
    keys = ("inCols", "outCols", "inVars", "outVars") if columns else ("inVars", "outVars")
    for key in keys:
        knime.put(key, _fields_from_knime(knime, key, key.endswith("Cols"), key.startswith("out")), key)
    if not columns:
        for key in ("inCols", "outCols"):
            if seq(knime.get(key)):
                knime.lost(f"{key}: Java Edit Variable has no table, the column fields are ignored")
        if knime.get("runOnExecute") is False:
            knime.note(
                "runOnExecute is off: KNIME runs the snippet at configure time, knitflow when the node runs"
            )
    # version: the snippet layout (always "version 1.x"); templateUUID: the dialog's template
    knime.unread("version", "templateUUID", "runOnExecute", "bundles", "inCols", "outCols")


def _java_snippet_from_knime(knime: KnimeSettings) -> None:
    _snippet_from_knime(knime, columns=True)


def _java_edit_var_from_knime(knime: KnimeSettings) -> None:
    _snippet_from_knime(knime, columns=False)


def _scripting_from_knime(knime: KnimeSettings) -> None:
    knime.take("expression", transform=lambda v: _script(str(v or "")))
    knime.take("header", transform=lambda v: _script(str(v or "")), default="")
    knime.take("replaced_column", transform=lambda v: str(v or ""))
    knime.take("append_column", transform=bool)
    r_type = knime.get("return_type")
    if r_type not in _RETURN_TYPES:
        knime.unreadable(f"return_type {r_type!r} is not supported (Integer, Long, Double, String, Boolean)")
        return
    knime.put("return_type", r_type, "return_type")
    knime.take("is_array_return", transform=bool, default=False)
    knime.take("insert_missing_as_null", transform=bool, default=False)
    knime.take("expression_version", transform=int, default=1)  # absent: a KNIME 1.x expression
    jars = [str(j) for j in seq(knime.get("java_libraries")) if j]
    knime.put("java_libraries", jars, "java_libraries")
    if jars:
        knime.lost(
            f"java_libraries {jars}: the expression's class path names jar files of the machine that saved the "
            "workflow; knitflow adds them to the class path only where they exist"
        )
    # whether the dialog compiles the code when it closes
    knime.unread("test_compilation_on_dialog_close")


JavaSnippet.knime = (
    KnimeMapping(
        "org.knime.base.node.jsnippet.JavaSnippetNodeFactory", "Java Snippet", _java_snippet_from_knime
    ),
)
JavaEditVariable.knime = (
    KnimeMapping(
        "org.knime.base.node.jsnippet.JavaEditVarNodeFactory", "Java Edit Variable", _java_edit_var_from_knime
    ),
)
JavaSnippetSimple.knime = (
    KnimeMapping(
        "org.knime.ext.sun.nodes.script.JavaScriptingNodeFactory",
        "Java Snippet (simple)",
        _scripting_from_knime,
    ),
)
JavaEditVariableSimple.knime = (
    KnimeMapping(
        "org.knime.ext.sun.nodes.script.node.editvar.JavaEditVariableNodeFactory",
        "Java Edit Variable (simple)",
        _scripting_from_knime,
    ),
)
