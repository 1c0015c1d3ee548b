"""KNIME's container nodes (knime-json, org.knime.json.node.container.*, .input, .output): the
inputs and outputs of a workflow that is called as a service (KNIME Server/Hub REST, Call
Workflow). Without a caller each input node gives what KNIME gives then: Container Input (Table)
its input table or its configured template table, Container Input (Variable) its default variables,
Container Input (JSON) its default JSON value, Container Input (Row) its input's first row or its
template row; the output nodes hand their input on.

A caller reaches them as in KNIME through the settings KNIME keeps for it: `inputPathOrUrl` (a
JSON file holding the caller's table or variables; bind it to a workflow variable and set that
with `knitflow run --set`), `outputPathOrUrl` of Container Output (Table) (the result as a JSON
file), and for Container Input (Variable) a workflow variable named after `parameterName` holding
the JSON a REST caller would send.

The tables travel as KNIME's container-table JSON (ContainerTableJsonSchema):
`{"table-spec": [{"<column>": "<type>"}, ...], "table-data": [[cell, ...], ...]}`, types `string`,
`int`, `long`, `double`, `boolean`, `localdate`, `localtime`, `localdatetime` (`zoneddatetime`
has no knitflow column type). A cell is parsed as ContainerTableMapper does: the JSON value's Java
`toString()` given to the column type's cell factory.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VARIABLES,
    VIEW,
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
    View,
    row_ids,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._datetime import date_time_text, parse_iso
from nodes._java_text import java_double_to_string, parse_java_double, parse_java_int
from nodes._json_cells import JsonCellError, json_text, parse_json, without_json_comments
from nodes._variable_ports import OPTIONAL_VARIABLES_IN

_CONTAINER = "org.knime.json.node.container."

# ----------------------------------------------------------------------------- container-table JSON

# ContainerTableValidDataTypes: the simple names, both ways
_TYPE_OF_NAME = {
    "string": ColumnType.STRING,
    "int": ColumnType.INTEGER,
    "double": ColumnType.DOUBLE,
    "long": ColumnType.LONG,
    "boolean": ColumnType.BOOLEAN,
    "localdate": ColumnType.LOCAL_DATE,
    "localtime": ColumnType.LOCAL_TIME,
    "localdatetime": ColumnType.LOCAL_DATE_TIME,
    # other types are named by their DataType identifier (cell class) or legacy name
    "org.knime.core.data.json.JSONCell": ColumnType.JSON,
    "JSON": ColumnType.JSON,
}
# ContainerTableValidDataTypes.parse(DataType): the types knitflow writes (others would need KNIME's
# DataType identifier)
_NAME_OF_TYPE = {t: n for n, t in _TYPE_OF_NAME.items() if t != ColumnType.JSON}
# DataType.toString(), as ContainerTableMapper's parse error names the column type
_KNIME_TYPE_TEXT = {
    ColumnType.STRING: "String",
    ColumnType.INTEGER: "Number (integer)",
    ColumnType.DOUBLE: "Number (double)",
    ColumnType.LONG: "Number (long)",
    ColumnType.BOOLEAN: "Boolean value",
    ColumnType.LOCAL_DATE: "Local Date",
    ColumnType.LOCAL_TIME: "Local Time",
    ColumnType.LOCAL_DATE_TIME: "Local Date Time",
    ColumnType.JSON: "JSON",
}


def _java_text(value: Any) -> str:
    """`toString()` of what Jackson reads a JSON value into (Integer/Long/BigInteger, Double,
    Boolean, String, ArrayList, LinkedHashMap)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double_to_string(value)
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_java_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java_text(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"not a JSON value: {value!r}")


_CELL_FACTORIES: dict[str, Callable[[str], Any]] = {
    ColumnType.STRING: lambda s: s,
    ColumnType.INTEGER: lambda s: parse_java_int(s, 32),  # Integer.parseInt
    ColumnType.LONG: lambda s: parse_java_int(s, 64),  # Long.parseLong
    ColumnType.DOUBLE: parse_java_double,
    ColumnType.BOOLEAN: lambda s: s.lower() == "true",  # Boolean.parseBoolean: anything else is false
    ColumnType.LOCAL_DATE: lambda s: parse_iso(s, ColumnType.LOCAL_DATE),
    ColumnType.LOCAL_TIME: lambda s: parse_iso(s, ColumnType.LOCAL_TIME),
    ColumnType.LOCAL_DATE_TIME: lambda s: parse_iso(s, ColumnType.LOCAL_DATE_TIME),
    ColumnType.JSON: lambda s: json_text(parse_json(s)),
}


def column_type_of(name: str) -> str | None:
    """The knitflow column type of a container-table type name; None: knitflow has none."""
    return _TYPE_OF_NAME.get(name)


def _unsupported(name: str) -> str:
    if name == "zoneddatetime":
        return "zoneddatetime (Zoned Date&Time): knitflow has no zoned date-time column type"
    return f"{name!r}: not a column type knitflow can build from container-table JSON"


def table_spec_of(document: Any) -> list[tuple[str, str]] | None:
    """The (name, container type name) pairs of a container table's `table-spec`, None when it
    has none; raises NodeError for a document that is no container table."""
    if not isinstance(document, dict) or not isinstance(document.get("table-data"), list):
        raise NodeError('not a container table: a JSON object with a "table-data" array is expected')
    spec = document.get("table-spec")
    if spec is None:
        return None
    if not isinstance(spec, list):
        raise NodeError('not a container table: "table-spec" must be an array')
    pairs = []
    for entry in spec:
        if not (isinstance(entry, dict) and len(entry) == 1 and isinstance(next(iter(entry.values())), str)):
            raise NodeError(
                f'not a container table: a "table-spec" entry must be {{"<name>": "<type>"}}: {entry!r}'
            )
        ((name, kind),) = entry.items()
        pairs.append((str(name), kind))
    return pairs


def _checked_spec(pairs: list[tuple[str, str]]) -> TableSpec:
    """ContainerTableMapper.toTableSpec: known types, no duplicate names."""
    first: dict[str, int] = {}
    columns = []
    for i, (name, kind) in enumerate(pairs):
        if name in first:
            raise NodeError(
                f'Columns "{first[name]}" and "{i}" have equal names. Duplicate column names in input are not '
                "allowed."
            )
        first[name] = i
        col_type = column_type_of(kind)
        if col_type is None:
            raise NodeError(f"column {name!r} has type {_unsupported(kind)}")
        columns.append((name, col_type))
    return TableSpec.of(columns)


def container_table_spec(document: Any, fallback: Any = None) -> TableSpec:
    """The table spec of a container table, or of `fallback` (the template) when it has none."""
    pairs = table_spec_of(document)
    if pairs is None:
        if fallback is None:
            raise NodeError("table spec cannot be null")
        return container_table_spec(fallback)
    return _checked_spec(pairs)


def _series(values: list[Any], col_type: str) -> pd.Series:
    missing = any(v is None for v in values)
    if col_type == ColumnType.DOUBLE:
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        return pd.Series(values, dtype="Int64" if missing else "int64")
    if col_type == ColumnType.BOOLEAN:
        return pd.Series(values, dtype="boolean" if missing else "bool")
    return pd.Series(values, dtype=object)


def container_table(document: Any, fallback: Any = None) -> Table:
    """ContainerTableMapper.toBufferedDataTable: the rows of `document` in its own spec, else in
    the spec of `fallback`; RowIDs Row0, Row1, ..."""
    spec = container_table_spec(document, fallback)
    rows = document["table-data"]
    width = len(spec)
    columns: list[list[Any]] = [[] for _ in range(width)]
    for r, row in enumerate(rows):
        cells = row if isinstance(row, list) else [row]
        if len(cells) != width:
            raise NodeError(
                f"Invalid input. Template table spec defines {width} columns, but input row {r} has "
                f"{len(cells)} cells."
            )
        for c, (value, col) in enumerate(zip(cells, spec.columns, strict=True)):
            if value is None:
                columns[c].append(None)
                continue
            text = _java_text(value)
            try:
                columns[c].append(_CELL_FACTORIES[col.type](text))
            except (ValueError, JsonCellError):
                raise NodeError(
                    f'Could not parse: "{text}" to type: "{_KNIME_TYPE_TEXT[col.type]}"'
                ) from None
    df = pd.DataFrame({col.name: _series(columns[c], col.type) for c, col in enumerate(spec.columns)})
    df.index = row_ids(len(rows))
    return Table(df, {col.name: col.type for col in spec.columns})


def _json_cell_value(value: Any, col_type: str) -> Any:
    """ContainerTableMapper.parse: numbers and booleans as JSON numbers and booleans, every
    other cell as its text."""
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        return int(value)
    if col_type == ColumnType.DOUBLE:
        v = float(value)
        if math.isnan(v) or math.isinf(v):  # Jackson writes non-finite doubles as strings
            return java_double_to_string(v)
        return v
    if col_type == ColumnType.BOOLEAN:
        return bool(value)
    if col_type in ColumnType.DATE_TIME:
        return date_time_text(value)
    return str(value)


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def container_json(table: Table) -> dict[str, Any]:
    """ContainerTableMapper.toContainerTable: the table as container-table JSON."""
    spec = []
    for col in table.spec.columns:
        name = _NAME_OF_TYPE.get(col.type)
        if name is None:
            raise NodeError(
                f"column {col.name!r} of type {col.type}: knitflow writes container tables of the types "
                f"{', '.join(_NAME_OF_TYPE.values())} only"
            )
        spec.append({col.name: name})
    data = []
    cols = [(table.df[c.name].to_numpy(dtype=object), c.type) for c in table.spec.columns]
    for i in range(len(table)):
        data.append([None if _is_missing(v[i]) else _json_cell_value(v[i], t) for v, t in cols])
    return {"table-spec": spec, "table-data": data}


def _number_text(value: Any) -> str:
    if isinstance(value, float):
        return java_double_to_string(value)
    return json.dumps(value, ensure_ascii=False)


def write_container_json(document: Any) -> str:
    """Compact JSON as Jackson's ObjectMapper writes it (doubles in Java's text)."""
    if isinstance(document, dict):
        return (
            "{"
            + ",".join(
                f"{json.dumps(k, ensure_ascii=False)}:{write_container_json(v)}" for k, v in document.items()
            )
            + "}"
        )
    if isinstance(document, list):
        return "[" + ",".join(write_container_json(v) for v in document) + "]"
    return _number_text(document)


# ----------------------------------------------------------------------------------- shared parts


def _load_json(text: str, what: str, setting: str | None = None) -> Any:
    """JSON with Python numbers (Jackson's Integer/Long/Double); comments allowed."""
    try:
        return json.loads(without_json_comments(text, hash_comments=True))
    except (ValueError, JsonCellError) as exc:
        raise NodeError(f"{what} is not valid JSON: {exc}", setting=setting) from None


def _local_path(path_or_url: str) -> Path:
    """FileUtil.openInputStream's local files: a path or a file: URL."""
    if path_or_url.startswith("file:"):
        return Path(unquote(urlparse(path_or_url).path))
    if "://" in path_or_url:
        raise NodeError(
            f"{path_or_url}: knitflow reads local files only (a path or a file: URL)",
            setting="inputPathOrUrl",
        )
    return Path(path_or_url)


def read_external_json(path_or_url: str) -> Any:
    """The external input KNIME reads from `inputPathOrUrl` (FilePathOrURLReader)."""
    try:
        text = _local_path(path_or_url).read_text(encoding="utf-8")
    except OSError as exc:
        raise NodeError(
            f'Input path "{path_or_url}" could not be resolved ({exc.strerror or exc})',
            setting="inputPathOrUrl",
        ) from None
    return _load_json(text, f'Input path "{path_or_url}"', "inputPathOrUrl")


class ContainerSettings(NodeSettings):
    """What every container node keeps for its caller (ContainerNodeSharedConfiguration)."""

    parameterName: str = Field(
        "input",
        description="The name the caller knows the parameter by (KNIME: in the REST API and in Call Workflow).",
    )
    description: str = Field("", description="The parameter's description for the caller (REST API spec).")
    useFullyQualifiedName: bool = Field(
        False, description="KNIME appends the node's ID to the parameter name for the caller."
    )


def _take_shared(knime: KnimeSettings) -> None:
    knime.take("parameterName")
    knime.take("description", transform=lambda v: v or "")
    knime.take("useFullyQualifiedName")


def _external_path(knime: KnimeSettings, key: str) -> None:
    """`inputPathOrUrl` / `outputPathOrUrl`: set by a caller (null in a saved workflow); a knime://
    URL cannot be resolved outside KNIME."""
    value = knime.get(key)
    knime.take(key, transform=lambda v: v or None)
    if isinstance(value, str) and value.startswith("knime:"):
        knime.lost(f"{key} = {value!r}: knitflow cannot resolve knime:// URLs")


# --------------------------------------------------------------------------- Container Input (Table)

DEFAULT_TEMPLATE = (
    '{"table-spec":[{"column-string":"string"},{"column-int":"int"},{"column-double":"double"},'
    '{"column-long":"long"},{"column-boolean":"boolean"},{"column-localdate":"localdate"},'
    '{"column-localdatetime":"localdatetime"},{"column-zoneddatetime":"zoneddatetime"}],'
    '"table-data":[["value1",1,1.5,1000,true,"2018-03-27","2018-03-27T08:30:45.111",'
    '"2018-03-27T08:30:45.111+01:00[Europe/Paris]"],["value2",2,2.5,2000,false,"2018-03-28",'
    '"2018-03-28T08:30:45.111","2018-03-28T08:30:45.111+01:00[Europe/Paris]"]]}'
)  # ContainerTableDefaultJsonStructure


class ContainerTableInputSettings(ContainerSettings):
    """ContainerTableInputNodeConfiguration with ContainerTemplateTableConfiguration."""

    parameterName: str = Field(
        "table-input", description="The name the caller knows the table by (REST API, Call Workflow)."
    )
    inputPathOrUrl: str | None = Field(
        None,
        description="A JSON file holding the caller's table as container-table JSON (KNIME keeps this setting for "
        "callers: bind it to a workflow variable). Without one the input table, else the template, is output.",
    )
    exampleInput: str = Field(
        DEFAULT_TEMPLATE,
        description="The template table as container-table JSON: output when nothing else is, and the spec of a "
        "caller's table that has none.",
    )


def _template_from_knime(key: str) -> Callable[[KnimeSettings], None]:
    """The template table (a JSON text) and the types it needs."""

    def take(knime: KnimeSettings) -> None:
        text = knime.get(key)
        if text is None:
            return
        knime.put(key, text, key)
        try:
            pairs = table_spec_of(json.loads(without_json_comments(str(text), hash_comments=True)))
        except (ValueError, JsonCellError, NodeError) as exc:
            # a note, not a finding: the template matters only when no table or caller feeds the
            # node, and then the node fails saying why (nothing runs with other data than KNIME's)
            knime.note(f"{key}: the template table cannot be read ({exc}); the node fails when it outputs it")
            return
        bad = [
            f"{name!r} ({_unsupported(kind)})" for name, kind in pairs or [] if column_type_of(kind) is None
        ]
        if bad:
            knime.note(
                f"{key}: template column {', '.join(bad)}; the node fails when it outputs its template (no "
                "table connected to its input and no caller's table)"
            )

    return take


# ContainerTemplateTableConfiguration's keys that only choose what the dialog saves as the template
# and what the REST API shows as example: the template is saved as it is used
_TEMPLATE_DIALOG_KEYS = ("useEntireTable", "numberOfRows", "omitTableSpec")


def _container_table_input_from_knime(knime: KnimeSettings) -> None:
    _take_shared(knime)
    _external_path(knime, "inputPathOrUrl")
    _template_from_knime("exampleInput")(knime)
    knime.unread(*_TEMPLATE_DIALOG_KEYS)


class ContainerTableInput(Node):
    """KNIME's Container Input (Table) (ContainerTableInputNodeModel): the caller's table, else the
    table at the optional input (checked to be mappable), else the template."""

    type_name = "container_input_table"
    display_name = "Container Input (Table)"
    category = Category.SOURCE
    description = (
        "The table a caller passes to the workflow: read from `inputPathOrUrl` (container-table JSON; a caller's "
        "table without a spec is read in the template's spec) when set; else the table at the optional input; "
        "else the template table `exampleInput` (with a warning)."
    )
    keywords = ("service", "rest", "call workflow", "deployment", "container", "input", "template", "api")
    knime = (
        KnimeMapping(
            _CONTAINER + "input.table.ContainerTableInputNodeFactory",
            "Container Input (Table)",
            _container_table_input_from_knime,
        ),
    )
    inputs = (
        Port(TABLE, "Input table", "A table to output instead of the template (optional).", optional=True),
    )
    outputs = (Port(TABLE, "Table", "The caller's table, the input table or the template."),)
    Settings = ContainerTableInputSettings
    path_settings = ("inputPathOrUrl",)

    @staticmethod
    def _template(settings: ContainerTableInputSettings) -> Any:
        return _load_json(settings.exampleInput, "The template table (exampleInput)", "exampleInput")

    def configure(
        self, in_specs: list[Any], settings: ContainerTableInputSettings, ctx: NodeContext
    ) -> list[Any]:
        try:
            if settings.inputPathOrUrl:
                external = read_external_json(settings.inputPathOrUrl)
                return [container_table_spec(external, self._template(settings))]
            if in_specs and isinstance(in_specs[0], TableSpec):
                return [in_specs[0]]
            # an unconnected input and one whose table is known only at run time look alike here
            return [UNKNOWN]
        except NodeError as exc:
            raise ConfigureError(str(exc), setting=exc.setting or "exampleInput") from None

    def execute(
        self, inputs: list[Any], settings: ContainerTableInputSettings, ctx: NodeContext
    ) -> list[Any]:
        if settings.inputPathOrUrl:
            external = read_external_json(settings.inputPathOrUrl)
            return [container_table(external, self._template(settings))]
        if inputs and inputs[0] is not None:
            container_json(inputs[0])  # KNIME maps the table to check it can be passed on
            return [inputs[0]]
        ctx.warn("Configured template table is output")
        try:
            return [container_table(self._template(settings))]
        except NodeError as exc:
            raise NodeError(f"template table: {exc}", setting="exampleInput") from None


# -------------------------------------------------------------------------- Container Output (Table)


class ContainerTableOutputSettings(ContainerSettings):
    """ContainerTableOutputNodeConfiguration."""

    parameterName: str = Field(
        "table-output", description="The name the caller knows the result by (REST API, Call Workflow)."
    )
    outputPathOrUrl: str | None = Field(
        None,
        description="Write the table as container-table JSON to this file (KNIME keeps this setting for callers: "
        "bind it to a workflow variable).",
    )


def _container_table_output_from_knime(knime: KnimeSettings) -> None:
    _take_shared(knime)
    _external_path(knime, "outputPathOrUrl")
    # exampleOutput is the REST API's example only; the dialog keys choose what it holds
    knime.unread("exampleOutput", *_TEMPLATE_DIALOG_KEYS)


class ContainerTableOutput(Node):
    """KNIME's Container Output (Table) (ContainerTableOutputNodeModel): the workflow's result
    table; it passes on its input and writes it to `outputPathOrUrl` when that is set."""

    type_name = "container_output_table"
    display_name = "Container Output (Table)"
    category = Category.OTHER
    description = (
        "The table the workflow returns to its caller: the input, passed on unchanged; with `outputPathOrUrl` it is "
        "also written there as container-table JSON (KNIME's REST result)."
    )
    keywords = ("service", "rest", "call workflow", "deployment", "container", "output", "result", "api")
    knime = (
        KnimeMapping(
            _CONTAINER + "output.table.ContainerTableOutputNodeFactory",
            "Container Output (Table)",
            _container_table_output_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "The result table."),)
    outputs = (Port(TABLE, "Table", "The input table, unchanged."),)
    Settings = ContainerTableOutputSettings
    path_settings = ("outputPathOrUrl",)

    def configure(
        self, in_specs: list[Any], settings: ContainerTableOutputSettings, ctx: NodeContext
    ) -> list[Any]:
        return [in_specs[0]]

    def writes(self, settings: ContainerTableOutputSettings) -> list[str]:
        return [settings.outputPathOrUrl] if settings.outputPathOrUrl else []

    def execute(
        self, inputs: list[Any], settings: ContainerTableOutputSettings, ctx: NodeContext
    ) -> list[Any]:
        table = inputs[0]
        if settings.outputPathOrUrl:
            path = _local_path(settings.outputPathOrUrl)
            try:
                path.write_text(write_container_json(container_json(table)), encoding="utf-8")
            except OSError as exc:
                raise NodeError(f"{path}: {exc.strerror or exc}", setting="outputPathOrUrl") from None
        return [table]


# ----------------------------------------------------------------------- Container Input (Variable)

_VARIABLE_TYPES = {"str": "String", "int": "Integer", "double": "Double", "bool": "Boolean"}
# VariableType identifiers, as the node's messages name the types
_TYPE_IDS = {
    "String": "STRING",
    "Integer": "INTEGER",
    "Double": "DOUBLE",
    "Boolean": "BOOLEAN",
    "Long": "LONG",
}


class ContainerVariable(NodeSettings):
    """One row of SettingsModelVariables: its type (KNIME's saved name), name and value text."""

    name: str = Field(description="The variable's name.")
    type: Literal["str", "int", "double", "bool"] = Field(
        "str", description="Its type as KNIME saves it: str, int, double or bool."
    )
    value: str = Field("", description="The default value as text.")


class ContainerVariableInputSettings(ContainerSettings):
    """ContainerNodeSharedConfiguration, ContainerVariableInputNodeConfiguration2 and the
    SettingsModelVariables `variables`."""

    parameterName: str = Field(
        "variable-input",
        description="The name the caller knows the variables by; a workflow variable of this name holding the "
        'caller\'s JSON (`{"name": value, ...}`, or the bare value with `useSimpleJsonSpec`) stands for a caller.',
    )
    requireSpecification: bool = Field(
        False,
        description="Define the variables (`variables`): their defaults are output without a caller, and a "
        "caller's input must have exactly these names and types.",
    )
    useSimpleJsonSpec: bool = Field(
        False, description="With exactly one defined variable, a caller may send the bare value."
    )
    mergeVariables: bool = Field(False, description="KNIME saves it; its node model does not read it.")
    variables: list[ContainerVariable] = Field(
        default_factory=list, description="The defined variables, in order: the first ends up on top."
    )


def _int_value(text: str, bits: int) -> int | None:
    """SettingsModelVariables: `new BigInteger(text.trim())`, range-checked."""
    try:
        return parse_java_int(text.strip(), bits)
    except ValueError:
        return None


def _default_value(var: ContainerVariable) -> Any:
    """SettingsModelVariables.checkVariableValueString; None when KNIME refuses the text."""
    if var.type == "str":
        return var.value
    text = var.value.strip()
    if var.type == "int":
        return _int_value(text, 32)
    if var.type == "double":
        try:
            return parse_java_double(text) if text else None
        except ValueError:
            return None
    return text.lower() == "true"  # Boolean.valueOf


def _specification(settings: ContainerVariableInputSettings) -> dict[str, tuple[str, Any]] | None:
    """name -> (variable type, default) when the node requires a specification."""
    if not settings.requireSpecification:
        return None
    spec: dict[str, tuple[str, Any]] = {}
    for i, var in enumerate(settings.variables):
        name = var.name.strip()
        value = _default_value(var)
        if not name:
            raise NodeError(f"Please use a (non-empty) name for variable {i + 1}!", setting="variables")
        if name in spec:
            raise NodeError(
                f"Please use a name that is not already used by another variable ({name}) for variable {i + 1}!",
                setting="variables",
            )
        if value is None:
            raise NodeError(f"Variable {i} malformed: Value format incorrect", setting="variables")
        spec[name] = (_VARIABLE_TYPES[var.type], value)
    return spec


def _json_type(value: Any) -> str:
    """ContainerVariableInputNodeModel2.getTypeFromClass of what Jackson reads."""
    if value is None:
        raise NodeError("Value must not be null!")
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, str):
        return "String"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return "Integer"
        if -(2**63) <= value < 2**63:
            raise NodeError("Value must not be a LONG (INTEGER out of bounds)!")
        raise NodeError("Unsupported type class: BigInteger")
    if isinstance(value, list):
        raise NodeError("Value must not be an array!")
    raise NodeError("Value must not be an object!")


def _check_against_spec(document: dict[str, Any], spec: dict[str, tuple[str, Any]] | None) -> None:
    if spec is None:
        return
    missing = [n for n in spec if n not in document]
    unexpected = [n for n in document if n not in spec]
    if missing or unexpected:
        raise NodeError(
            "Input does not conform to specification: missing expected variables: "
            f"[{', '.join(missing)}], unexpected variables: [{', '.join(unexpected)}]"
        )


def _caller_variables(
    caller: Any, spec: dict[str, tuple[str, Any]] | None, settings: ContainerVariableInputSettings
) -> list[tuple[str, Any, str]]:
    """ContainerVariableInputNodeModel2.pushVariablesToStack: (name, value, type) in push order."""
    document = _load_json(caller, "the caller's variables") if isinstance(caller, str) else caller
    if spec is not None and len(spec) == 1 and settings.useSimpleJsonSpec:
        if isinstance(document, dict | list) or document is None:
            raise NodeError(
                "Error while parsing simplified JSON: expected a value of one of the following types [STRING, "
                "INTEGER, DOUBLE, BOOLEAN] and not a JSON object, array or null."
            )
        document = {next(iter(spec)): document}
    if not isinstance(document, dict):
        raise NodeError(
            "Error while parsing JSON: expected a JSON object with the variable names as properties (keys) and their "
            "values being one of the following types [STRING, INTEGER, DOUBLE, BOOLEAN] (and not JSON objects, "
            "arrays or null)."
        )
    _check_against_spec(document, spec)
    pushed: list[tuple[str, Any, str]] = []
    failed: list[str] = []
    for name, value in reversed(list(document.items())):
        try:
            actual = _json_type(value)
            wanted = spec[name][0] if spec is not None else actual
            if not (wanted == actual or (wanted == "Double" and actual == "Integer")):
                raise NodeError(
                    f"The specification demands type {_TYPE_IDS[wanted]} but {_TYPE_IDS[actual]} was provided"
                )
            pushed.append((name, float(value) if wanted == "Double" else value, wanted))
        except NodeError as exc:
            failed.append(f"{name}: {exc}")
    if failed:
        raise NodeError("; ".join(failed))
    return pushed


def _container_variable_input2_from_knime(knime: KnimeSettings) -> None:
    _take_shared(knime)
    for key in ("requireSpecification", "useSimpleJsonSpec", "mergeVariables"):
        knime.take(key)
    table = knime.get("variables")
    if isinstance(table, dict):
        types, names, values = (list(seq(table.get(k))) for k in ("types", "names", "values"))
        if not len(types) == len(names) == len(values):
            knime.unreadable(
                f"The amount of variable types ({len(types)}), names ({len(names)}) and values ({len(values)}) "
                "must be equal!"
            )
            return
        unknown = sorted({str(t) for t in types} - set(_VARIABLE_TYPES))
        if unknown:
            knime.unreadable(f"variables: unknown variable type {', '.join(unknown)}")
            return
        entries = [
            {"name": n or "", "type": t, "value": v or ""}
            for t, n, v in zip(types, names, values, strict=True)
        ]
        knime.put("variables", entries)
        # supportedTypes: the types the dialog offers
        knime.unread("types", "names", "values", "supportedTypes", under="variables")
    path = knime.get("inputPathOrUrl")
    if path:
        knime.note(f"inputPathOrUrl = {path!r} is not read by KNIME's node model (4.4 on) either")
    knime.unread("inputPathOrUrl", "variables")


class ContainerVariableInput(Node):
    """KNIME's Container Input (Variable) since 4.4 (ContainerVariableInputNodeModel2): the
    caller's variables, else the defined defaults."""

    type_name = "container_input_variable"
    display_name = "Container Input (Variable)"
    category = Category.SOURCE
    description = (
        "Flow variables a caller passes to the workflow. With `requireSpecification` the `variables` are defined: "
        "without a caller their defaults are pushed (the first listed on top), and a caller's input must match "
        "their names and types. A workflow variable named `parameterName` holding the caller's JSON stands for a "
        'caller (`{"name": value, ...}`; the bare value with `useSimpleJsonSpec` and one variable).'
    )
    keywords = (
        "service",
        "rest",
        "call workflow",
        "deployment",
        "container",
        "input",
        "flow variable",
        "parameter",
    )
    knime = (
        KnimeMapping(
            _CONTAINER + "input.variable2.ContainerVariableInputNodeFactory2",
            "Container Input (Variable)",
            _container_variable_input2_from_knime,
        ),
    )
    inputs = (OPTIONAL_VARIABLES_IN,)
    outputs = (Port(VARIABLES, "Variables", "The caller's or the default variables."),)
    Settings = ContainerVariableInputSettings

    def _pushes(
        self, settings: ContainerVariableInputSettings, ctx: NodeContext | None
    ) -> list[tuple[str, Any, str]]:
        spec = _specification(settings)
        if ctx is not None and settings.parameterName in ctx.variables:
            return _caller_variables(ctx.variables[settings.parameterName], spec, settings)
        if spec is None:
            return []
        return [(name, value, vtype) for name, (vtype, value) in reversed(spec.items())]

    def configure_variables(
        self, in_specs: list[Any], settings: ContainerVariableInputSettings
    ) -> dict[str, str] | None:
        try:
            spec = _specification(settings)
        except NodeError:
            return {}
        if spec is None:
            return None  # a caller's variables are known only at run time
        return {name: vtype for name, (vtype, _) in reversed(spec.items())}

    def configure(
        self, in_specs: list[Any], settings: ContainerVariableInputSettings, ctx: NodeContext
    ) -> list[Any]:
        try:
            self._pushes(settings, ctx)
        except NodeError as exc:
            raise ConfigureError(str(exc), setting=exc.setting) from None
        return [UNKNOWN]

    def execute(
        self, inputs: list[Any], settings: ContainerVariableInputSettings, ctx: NodeContext
    ) -> list[Any]:
        pushes = self._pushes(settings, ctx)
        caller = settings.parameterName in ctx.variables
        if settings.requireSpecification and not settings.variables:
            ctx.warn("Specification is empty; no variables can be received")
        elif settings.requireSpecification and not caller:
            ctx.warn("Default variables are output")
        for name, value, vtype in pushes:
            ctx.push_variable(name, value, vtype)
        return [None]


_LEGACY_DEFAULTS = (
    ("variable-string", "somevariable", "String"),
    ("variable-double", 42.0, "Double"),
    ("variable-int", 100, "Integer"),
)  # ContainerVariableDefaultJsonStructure


class LegacyContainerVariableInputSettings(ContainerSettings):
    """ContainerVariableInputNodeConfiguration (KNIME 3.6-4.3)."""

    parameterName: str = Field(
        "variable-input", description=ContainerVariableInputSettings.model_fields["parameterName"].description
    )
    inputPathOrUrl: str | None = Field(
        None,
        description='A JSON file holding the caller\'s variables (`{"variables": [{"name": value}, ...]}`).',
    )


def _legacy_variables(document: Any) -> list[tuple[str, Any, str]]:
    """ContainerVariableInputNodeModel.pushVariablesToStack: in the listed order (the last on top);
    Integer, Double and String only."""
    entries = document.get("variables") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise NodeError(
            'not a container variable input: {"variables": [{"<name>": <value>}, ...]} is expected'
        )
    pushed: list[tuple[str, Any, str]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise NodeError(f"not a container variable: {entry!r}")
        for name, value in entry.items():
            if isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31:
                pushed.append((name, value, "Integer"))
            elif isinstance(value, float):
                pushed.append((name, value, "Double"))
            elif isinstance(value, str):
                pushed.append((name, value, "String"))
            else:
                raise NodeError(f'Variable "{name}" has invalid variable class "{_java_text(value)}"')
    return pushed


def _legacy_container_variable_input_from_knime(knime: KnimeSettings) -> None:
    _take_shared(knime)
    _external_path(knime, "inputPathOrUrl")
    knime.note(
        "Container Input (Variable) (3.6-4.3): KNIME pushes its default variables only while its variable input is "
        "unconnected; knitflow pushes them either way"
    )
    # exampleInput: the REST API's example; the node model pushes the fixed default variables
    knime.unread("exampleInput")


class LegacyContainerVariableInput(Node):
    """KNIME's first Container Input (Variable) (ContainerVariableInputNodeModel, 3.6-4.3): the
    caller's variables, else three fixed default variables."""

    type_name = "container_input_variable_legacy"
    display_name = "Container Input (Variable)"
    category = Category.SOURCE
    description = (
        "Flow variables a caller passes to the workflow (KNIME 3.6-4.3): read from `inputPathOrUrl` "
        '(`{"variables": [{"name": value}, ...]}`) or from a workflow variable named `parameterName` holding that '
        "JSON; without a caller KNIME's fixed defaults variable-string = somevariable, variable-double = 42.0 and "
        "variable-int = 100."
    )
    keywords = ContainerVariableInput.keywords
    knime = (
        KnimeMapping(
            _CONTAINER + "input.variable.ContainerVariableInputNodeFactory",
            "Container Input (Variable)",
            _legacy_container_variable_input_from_knime,
        ),
    )
    inputs = (OPTIONAL_VARIABLES_IN,)
    outputs = (Port(VARIABLES, "Variables", "The caller's or the default variables."),)
    Settings = LegacyContainerVariableInputSettings
    path_settings = ("inputPathOrUrl",)

    def _pushes(
        self, settings: LegacyContainerVariableInputSettings, ctx: NodeContext
    ) -> tuple[list[Any], bool]:
        if settings.inputPathOrUrl:
            return _legacy_variables(read_external_json(settings.inputPathOrUrl)), True
        if settings.parameterName in ctx.variables:
            caller = ctx.variables[settings.parameterName]
            document = _load_json(caller, "the caller's variables") if isinstance(caller, str) else caller
            return _legacy_variables(document), True
        return list(_LEGACY_DEFAULTS), False

    def configure_variables(
        self, in_specs: list[Any], settings: LegacyContainerVariableInputSettings
    ) -> None:
        return None  # a caller decides

    def configure(
        self, in_specs: list[Any], settings: LegacyContainerVariableInputSettings, ctx: NodeContext
    ) -> list[Any]:
        try:
            self._pushes(settings, ctx)
        except NodeError as exc:
            raise ConfigureError(str(exc), setting=exc.setting) from None
        return [UNKNOWN]

    def execute(
        self, inputs: list[Any], settings: LegacyContainerVariableInputSettings, ctx: NodeContext
    ) -> list[Any]:
        pushes, external = self._pushes(settings, ctx)
        if not external:
            ctx.warn("Default variables are output")
        for name, value, vtype in pushes:
            ctx.push_variable(name, value, vtype)
        return [None]


# --------------------------------------------------------------------------- Container Input (JSON)


class JsonInputSettings(ContainerSettings):
    """JSONInputNodeConfiguration."""

    parameterName: str = Field("json-input", description="The name the caller knows the JSON value by.")
    json_: str = Field(
        "{}",
        alias="json",
        description="The default JSON value (comments `/* */`, `//` and `#` allowed), output as the one cell.",
    )


def _json_input_from_knime(knime: KnimeSettings) -> None:
    _take_shared(knime)
    knime.take("json")
    knime.unread()


class JsonInput(Node):
    """KNIME's Container Input (JSON) (JSONInputNodeModel): the JSON value as a one-row table."""

    type_name = "container_input_json"
    display_name = "Container Input (JSON)"
    category = Category.SOURCE
    description = (
        "The JSON value a caller passes to the workflow; without a caller its default `json`, as a table of one row "
        "(Row0) with one JSON column named json."
    )
    keywords = ("service", "rest", "call workflow", "deployment", "container", "input", "json", "api")
    knime = (
        KnimeMapping(
            "org.knime.json.node.input.JSONInputNodeFactory",
            "Container Input (JSON)",
            _json_input_from_knime,
        ),
    )
    outputs = (Port(TABLE, "JSON", "One row, one JSON column `json`."),)
    Settings = JsonInputSettings

    @staticmethod
    def _value(settings: JsonInputSettings, cls: type[NodeError]) -> str:
        try:
            return json_text(parse_json(without_json_comments(settings.json_, hash_comments=True)))
        except JsonCellError as exc:
            raise cls(f"Unable to parse JSON: {exc}", setting="json") from None

    def configure(self, in_specs: list[Any], settings: JsonInputSettings, ctx: NodeContext) -> list[Any]:
        self._value(settings, ConfigureError)
        return [TableSpec.of([("json", ColumnType.JSON)])]

    def execute(self, inputs: list[Any], settings: JsonInputSettings, ctx: NodeContext) -> list[Any]:
        df = pd.DataFrame({"json": pd.Series([self._value(settings, NodeError)], dtype=object)})
        df.index = row_ids(1)
        return [Table(df, {"json": ColumnType.JSON})]


# -------------------------------------------------------------------------- Container Output (JSON)


class JsonOutputSettings(ContainerSettings):
    """JSONOutputConfiguration."""

    parameterName: str = Field("json-output", description="The key of the result in the caller's JSON.")
    jsonColumnName: str | None = Field(
        None, description="The JSON column holding the result; the others are ignored."
    )
    keepOneRowTablesSimple: bool = Field(
        True, description="A table of one row with a JSON value gives that value, not a one-element array."
    )


def _json_output_from_knime(knime: KnimeSettings) -> None:
    _take_shared(knime)
    knime.take("jsonColumnName")
    knime.take("keepOneRowTablesSimple")
    knime.unread("exampleJson")  # the REST API's example only


class JsonOutput(Node):
    """KNIME's Container Output (JSON) (JSONOutputNodeModel): the JSON a caller receives. KNIME's
    node has no output port; knitflow shows the result as a one-cell table on a view port."""

    type_name = "container_output_json"
    display_name = "Container Output (JSON)"
    category = Category.SINK
    description = (
        "The JSON value the workflow returns to its caller: the cells of `jsonColumnName` as a JSON array (missing "
        "cells null), or with `keepOneRowTablesSimple` the one value of a one-row table. Shown as a one-cell JSON "
        "table."
    )
    keywords = ("service", "rest", "call workflow", "deployment", "container", "output", "json", "result")
    knime = (
        KnimeMapping(
            "org.knime.json.node.output.JSONOutputNodeFactory",
            "Container Output (JSON)",
            _json_output_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "The table with the JSON result column."),)
    outputs = (Port(VIEW, "Result", "The caller's JSON as a one-cell table."),)
    Settings = JsonOutputSettings

    @staticmethod
    def _check(spec: TableSpec, settings: JsonOutputSettings, cls: type[NodeError]) -> str:
        name = settings.jsonColumnName
        if not name:
            raise cls("Column name must not be empty", setting="jsonColumnName")
        if name not in spec:
            raise cls(f"Selected column '{name}' does not exist", setting="jsonColumnName")
        if spec.type_of(name) != ColumnType.JSON:
            # KNIME's message lacks the type: its format has one placeholder for two arguments
            raise cls(f"Selected column '{name}' not json compatible, it's ", setting="jsonColumnName")
        return name

    def configure(self, in_specs: list[Any], settings: JsonOutputSettings, ctx: NodeContext) -> list[Any]:
        if isinstance(in_specs[0], TableSpec):
            self._check(in_specs[0], settings, ConfigureError)
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: JsonOutputSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        name = self._check(table.spec, settings, NodeError)
        cells = [
            None if _is_missing(v) else parse_json(str(v)) for v in table.df[name].to_numpy(dtype=object)
        ]
        if len(cells) == 1 and cells[0] is not None and settings.keepOneRowTablesSimple:
            result = json_text(cells[0])
        else:
            result = json_text(cells)
        df = pd.DataFrame({"json": pd.Series([result], dtype=object)})
        df.index = row_ids(1)
        return [View(title=settings.parameterName, table=Table(df, {"json": ColumnType.JSON}))]


# -------------------------------------------------------------------- Container Input (Credentials)


class ContainerCredentialsInputSettings(ContainerSettings):
    """ContainerCredentialsInputNodeConfiguration (the parameter; its credentials are not kept)."""

    parameterName: str = Field(
        "credential-input", description="The name the caller knows the credentials by."
    )


def _container_credentials_from_knime(knime: KnimeSettings) -> None:
    _take_shared(knime)
    knime.lost("Container Input (Credentials): knitflow has no credentials flow variables; the node fails")
    # the credentials themselves (exampleInput, inputPathOrUrl and newer keys) are not carried over
    knime.unread(
        *[k for k in knime.tree if k not in ("parameterName", "description", "useFullyQualifiedName")]
    )


class ContainerCredentialsInput(Node):
    """KNIME's Container Input (Credentials): knitflow has no credentials, so the node fails with
    a message saying so rather than running without them."""

    type_name = "container_input_credentials"
    display_name = "Container Input (Credentials)"
    category = Category.SOURCE
    description = (
        "Stands for KNIME's Container Input (Credentials), which pushes a credentials flow variable; knitflow has "
        "no credentials, so the node fails."
    )
    keywords = ("service", "rest", "container", "credentials", "password", "login")
    knime = (
        KnimeMapping(
            _CONTAINER + "input.credentials.ContainerCredentialsInputNodeFactory",
            "Container Input (Credentials)",
            _container_credentials_from_knime,
        ),
    )
    inputs = (OPTIONAL_VARIABLES_IN,)
    outputs = (Port(VARIABLES, "Credentials", "The credentials flow variable (not supported)."),)
    Settings = ContainerCredentialsInputSettings

    def _refuse(self, cls: type[NodeError]) -> NodeError:
        return cls("Container Input (Credentials): knitflow does not support credentials flow variables")

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        raise self._refuse(ConfigureError)

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        raise self._refuse(NodeError)


# ----------------------------------------------------------------------------- Container Input (Row)

EMPTY_TEMPLATE_ROW = '{"table-spec":[],"table-data":[]}'  # ContainerRowDefaultJsonStructure
_MAX_INT, _MAX_LONG = 2**31 - 1, 2**63 - 1
# MissingColumnHandling before KNIME 4.0 (org.knime.json.node.container.input.row): IGNORE left a
# missing column out of the output, what REMOVE does since
_OLD_COLUMN_HANDLING = {"Ignore": "Remove"}


class ContainerRowInputSettings(ContainerSettings):
    """ContainerRowInputNodeConfiguration."""

    inputPathOrUrl: str | None = Field(
        None,
        description="A JSON file holding the caller's row as one JSON object of column names and values (KNIME "
        "keeps this setting for callers: bind it to a workflow variable). Without one the input table's first "
        "row, else the template row, is output.",
    )
    templateRow: str = Field(
        EMPTY_TEMPLATE_ROW,
        description="The template row as container-table JSON: output when nothing else is, and with "
        "`useTemplateAsSpec` the columns, types and default values of a caller's row.",
    )
    useTemplateAsSpec: bool = Field(
        False,
        description="Read a caller's row in the template's columns and types; off: the columns are the row's keys, "
        "typed by their JSON values (String, Integer, Long, Double, Boolean; an object becomes its JSON text).",
    )
    missingValuesHandling: Literal["Accept", "Fill with default value", "Fail"] = Field(
        "Accept",
        description="With `useTemplateAsSpec`: what a null value becomes (a missing cell, the template's value, or "
        "the node fails).",
    )
    missingColumnHandling: Literal["Fill with missing value", "Fill with default value", "Remove", "Fail"] = (
        Field(
            "Fill with missing value",
            description="With `useTemplateAsSpec`: what a template column the caller's row lacks becomes.",
        )
    )
    appendSuperfluousColumns: bool = Field(
        True,
        description="With `useTemplateAsSpec`: keys the template lacks become further columns (typed by their "
        "values); off: they are dropped.",
    )


def _container_row_input_from_knime(knime: KnimeSettings) -> None:
    _take_shared(knime)
    _external_path(knime, "inputPathOrUrl")
    _template_from_knime("templateRow")(knime)
    knime.take_all(["useTemplateAsSpec", "missingValuesHandling", "appendSuperfluousColumns"])
    handling = knime.get("missingColumnHandling")
    if handling in _OLD_COLUMN_HANDLING:
        knime.take("missingColumnHandling", transform=lambda v: _OLD_COLUMN_HANDLING[v])
        knime.note(f"missingColumnHandling {handling!r} (before KNIME 4.0) is today's 'Remove'")
    else:
        knime.take("missingColumnHandling")
    knime.unread()


_NOT_A_MAP = (
    "Error when parsing input. The input must have a simple map format (only key/value pairs) and lists are not "
    "allowed."
)


def _row_object(document: Any) -> dict[str, Any]:
    """ContainerRowMapper.parseJsonToMap: the caller's row must be one JSON object."""
    if not isinstance(document, dict):
        raise NodeError(_NOT_A_MAP, setting="inputPathOrUrl")
    return document


def _inferred_type(value: Any) -> str:
    """ContainerRowMapper.inferColumnTypeFromCellObject over what Jackson reads: null and objects
    are Strings; integers Integer, Long or refused."""
    if value is None or isinstance(value, (str, dict)):
        return ColumnType.STRING
    if isinstance(value, bool):
        return ColumnType.BOOLEAN
    if isinstance(value, int):
        if -_MAX_INT - 1 <= value <= _MAX_INT:
            return ColumnType.INTEGER
        if -_MAX_LONG - 1 <= value <= _MAX_LONG:
            return ColumnType.LONG
        raise NodeError("Numeric integer values larger than 2^64 are not supported", setting="inputPathOrUrl")
    if isinstance(value, float):
        return ColumnType.DOUBLE
    if isinstance(value, list):
        raise NodeError("JSON arrays are not supported", setting="inputPathOrUrl")
    raise NodeError(f"The type of input cell '{value}' could not be infered.", setting="inputPathOrUrl")


def _row_spec(
    row: dict[str, Any], template: TableSpec | None, settings: ContainerRowInputSettings
) -> TableSpec:
    """ContainerRowMapper.toTableSpec, without and with the template."""
    if template is None:
        return TableSpec.of([(name, _inferred_type(value)) for name, value in row.items()])
    columns = []
    for col in template.columns:
        if col.name not in row:
            if settings.missingColumnHandling == "Remove":
                continue
            if settings.missingColumnHandling == "Fail":
                raise NodeError(
                    "The injected row does not contain all the columns specified in the template.\nThe node is "
                    "configured to fail on missing columns.",
                    setting="missingColumnHandling",
                )
        columns.append((col.name, col.type))
    if settings.appendSuperfluousColumns:
        known = set(template.names)
        columns += [(name, _inferred_type(value)) for name, value in row.items() if name not in known]
    return TableSpec.of(columns)


def _row_cell(value: Any, name: str, col_type: str) -> Any:
    """DataCellFactory.createDataCellOfType over the value's Java text (an object as its JSON)."""
    text = write_container_json(value) if isinstance(value, dict) else _java_text(value)
    try:
        return _CELL_FACTORIES[col_type](text)
    except (ValueError, JsonCellError):
        raise NodeError(
            f"The value '{_java_text(value)}' of column '{name}' cannot be parsed to the expected "
            f"'{_KNIME_TYPE_TEXT[col_type]}' type",
            setting="inputPathOrUrl",
        ) from None


def _template_cell(template: Table, name: str) -> Any:
    """getDataCellByColumnName: the template's first-row value of the column."""
    if len(template) == 0:
        raise NodeError(f"the template row has no row to take the default value of {name!r} from")
    value = template.df[name].iloc[0]
    return None if _is_missing(value) else value


def _caller_row(row: dict[str, Any], template: Table | None, settings: ContainerRowInputSettings) -> Table:
    """ContainerRowMapper.toDataTable: one row, RowID Row0."""
    spec = _row_spec(row, None if template is None else template.spec, settings)
    cells: list[Any] = []
    for col in spec.columns:
        if col.name not in row:  # a template column the row lacks (Fill with missing / default value)
            assert template is not None
            fill = settings.missingColumnHandling == "Fill with default value"
            cells.append(_template_cell(template, col.name) if fill else None)
            continue
        value = row[col.name]
        if value is not None:
            cells.append(_row_cell(value, col.name, col.type))
        elif template is None or settings.missingValuesHandling == "Accept":
            cells.append(None)
        elif settings.missingValuesHandling == "Fill with default value":
            cells.append(_template_cell(template, col.name) if col.name in template.spec else None)
        else:
            raise NodeError(
                "The injected row contains missing values.\nThe node is configured to not accept missing values "
                "in the input.",
                setting="missingValuesHandling",
            )
    df = pd.DataFrame({col.name: _series([cells[i]], col.type) for i, col in enumerate(spec.columns)})
    df.index = row_ids(1)
    return Table(df, {col.name: col.type for col in spec.columns})


class ContainerRowInput(Node):
    """KNIME's Container Input (Row) (ContainerRowInputNodeModel): one row a caller passes as a
    JSON object, else the first row of the optional input, else the template row."""

    type_name = "container_input_row"
    display_name = "Container Input (Row)"
    category = Category.SOURCE
    description = (
        "The row a caller passes to the workflow as a JSON object of column names and values, read from "
        "`inputPathOrUrl` when set: a one-row table (RowID Row0) whose columns are the object's keys typed by "
        "their values, or with `useTemplateAsSpec` the template's columns and types (missing columns and null "
        "values handled as set; further keys appended). Without a caller: the first row of the optional input "
        "table; else the template row `templateRow` (with a warning)."
    )
    keywords = ("service", "rest", "call workflow", "deployment", "container", "input", "row", "api")
    knime = (
        KnimeMapping(
            _CONTAINER + "input.row.ContainerRowInputNodeFactory",
            "Container Input (Row)",
            _container_row_input_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "A table whose first row is output (optional).", optional=True),)
    outputs = (Port(TABLE, "Row", "The caller's row, the input's first row or the template row."),)
    Settings = ContainerRowInputSettings
    path_settings = ("inputPathOrUrl",)

    @staticmethod
    def _template(settings: ContainerRowInputSettings) -> Any:
        return _load_json(settings.templateRow, "The template row (templateRow)", "templateRow")

    def configure(
        self, in_specs: list[Any], settings: ContainerRowInputSettings, ctx: NodeContext
    ) -> list[Any]:
        try:
            document = self._template(settings)
            if settings.inputPathOrUrl:
                row = _row_object(read_external_json(settings.inputPathOrUrl))
                template = container_table_spec(document) if settings.useTemplateAsSpec else None
                return [_row_spec(row, template, settings)]
            if in_specs and isinstance(in_specs[0], TableSpec):
                return [in_specs[0]]
            return [UNKNOWN]  # an unconnected input and one known only at run time look alike here
        except NodeError as exc:
            raise ConfigureError(str(exc), setting=exc.setting or "templateRow") from None

    def execute(self, inputs: list[Any], settings: ContainerRowInputSettings, ctx: NodeContext) -> list[Any]:
        if settings.inputPathOrUrl:
            row = _row_object(read_external_json(settings.inputPathOrUrl))
            template = container_table(self._template(settings)) if settings.useTemplateAsSpec else None
            return [_caller_row(row, template, settings)]
        if inputs and inputs[0] is not None:
            table: Table = inputs[0]
            return [table.with_frame(table.df.iloc[:1])]
        ctx.warn("Configured template row is output")
        try:
            return [container_table(self._template(settings))]
        except NodeError as exc:
            raise NodeError(f"template row: {exc}", setting="templateRow") from None
