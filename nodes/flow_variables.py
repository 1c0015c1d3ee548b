"""Flow-variable nodes: a table row becomes variables (Table Row to Variable), variables become
constant columns (Variable to Table Column), and variables typed in by hand (Variable Creator, and
the QuickForm inputs: String, Boolean, Integer, Double Input and Single Selection)."""

from __future__ import annotations

import math
import re
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
    Table,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._common import ColumnFilter
from nodes._java_text import java_double_to_string
from nodes._quickforms import DIALOG_KEYS, VariableSource, check_bounds, value_from_knime
from nodes._string_functions import JavaError, java_regex, java_replacement
from nodes._variable_ports import OPTIONAL_VARIABLES_IN
from nodes._variables import (
    RowToVariableSettings,
    configure_row_variables,
    legacy_row_variables_from_knime,
    row_variable_types,
    row_variables,
    row_variables_from_knime,
    selected_variables,
)


class TableRowToVariable(Node):
    """KNIME's TableToVariable3: the first row of a table as flow variables."""

    type_name = "table_row_to_variable"
    display_name = "Table Row to Variable"
    category = Category.OTHER
    description = (
        "Turns the first row of the input table into flow variables: a String variable `RowID` holding the "
        "row's RowID and one variable per selected column, named after the column and typed by it "
        "(Integer, Long, Double, Boolean, String). Missing cells and an empty table follow the "
        "missing-value policy."
    )
    keywords = ("flow variable", "row", "variable", "first row")
    knime = (
        KnimeMapping(
            "org.knime.base.node.flowvariable.tablerowtovariable3.TableToVariable3NodeFactory",
            "Table Row to Variable",
            row_variables_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.flowvariable.tablerowtovariable2.TableToVariable2NodeFactory",
            "Table Row to Variable (legacy)",
            legacy_row_variables_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "Its first row becomes flow variables."),)
    outputs = (Port(VARIABLES, "Variables", "RowID and one variable per selected column."),)
    Settings = RowToVariableSettings

    def configure_variables(
        self, in_specs: list[Any], settings: RowToVariableSettings
    ) -> dict[str, str] | None:
        return row_variable_types(in_specs[0], settings)

    def configure(self, in_specs: list[Any], settings: RowToVariableSettings, ctx: NodeContext) -> list[Any]:
        return configure_row_variables(in_specs[0], settings)

    def execute(self, inputs: list[Any], settings: RowToVariableSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        for name, value, vtype in row_variables(table, 0 if len(table) else None, settings):
            ctx.push_variable(name, value, vtype)
        return [None]


# ------------------------------------------------------------------------------------------------


class VariableToTableColumnSettings(NodeSettings):
    """KNIME's AppendVariableToTable4 settings. KNIME stores the selection under `filter`, which is
    accepted as an alias."""

    variables: list[str] | ColumnFilter = Field(
        default_factory=list,
        alias="filter",
        description="The variables to append as columns: a list of names (in this order; an unknown name is an "
        "error), or KNIME's manual filter (included_names / excluded_names / enforce_option, where "
        "EnforceExclusion also takes variables not listed; names not present are ignored).",
    )


_COLUMN_TYPE = {
    "Integer": ColumnType.INTEGER,
    "Long": ColumnType.LONG,
    "Double": ColumnType.DOUBLE,
    "Boolean": ColumnType.BOOLEAN,
    "String": ColumnType.STRING,
    "Path": ColumnType.STRING,
}


class VariableToTableColumn(Node):
    """KNIME's AppendVariableToTable4: flow variables as constant columns."""

    type_name = "variable_to_table_column"
    display_name = "Variable to Table Column"
    category = Category.MANIPULATOR
    description = (
        "Appends one constant column per selected flow variable to the input table; the column is named after "
        "the variable (` (variable)` is added when the table already has that name) and typed by the variable."
    )
    keywords = ("flow variable", "append", "column", "constant")
    knime = (
        KnimeMapping(
            "org.knime.base.node.flowvariable.appendvariabletotable4.AppendVariableToTable4NodeFactory",
            "Variable to Table Column",
        ),
    )
    inputs = (
        OPTIONAL_VARIABLES_IN,
        Port(TABLE, "Table", "The table to append the columns to."),
    )
    outputs = (Port(TABLE, "Table with variables", "The input plus one column per selected variable."),)
    Settings = VariableToTableColumnSettings

    def execute(
        self, inputs: list[Any], settings: VariableToTableColumnSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[1]
        selected = selected_variables(settings.variables, ctx)
        if not selected:
            ctx.log("No variables selected")
        df = table.df.copy()
        taken = set(table.columns)
        types: dict[str, str] = {}
        for name, value, vtype in selected:
            col = name
            if col in taken and not col.lower().endswith("(variable)"):
                col = f"{col} (variable)"
            base, i = col, 1
            while col in taken:
                col = f"{base} (#{i})"
                i += 1
            taken.add(col)
            ctype = _COLUMN_TYPE.get(vtype, ColumnType.STRING)
            df[col] = _constant(value, ctype, len(df))
            types[col] = ctype
        return [table.with_frame(df, types)]


def _constant(value: Any, ctype: str, n: int) -> pd.Series | np.ndarray:
    if ctype in (ColumnType.INTEGER, ColumnType.LONG):
        return np.full(n, int(value), dtype=np.int64)
    if ctype == ColumnType.DOUBLE:
        return np.full(n, float(value), dtype=np.float64)
    if ctype == ColumnType.BOOLEAN:
        return np.full(n, bool(value), dtype=bool)
    return np.array([str(value)] * n, dtype=object)


# ------------------------------------------------------------------------------------------------


_JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)")
_JAVA_INTEGER = re.compile(r"[+-]?\d+")
_TYPE_NAMES = {
    "STRING": "String",
    "INTEGER": "Integer",
    "LONG": "Long",
    "DOUBLE": "Double",
    "BOOLEAN": "Boolean",
}
# the first Variable Creator stored its types as these words (VariableCreatorNodeSettings' migration)
_OLD_TYPE_NAMES = {"str": "STRING", "int": "INTEGER", "long": "LONG", "double": "DOUBLE", "bool": "BOOLEAN"}


class NewFlowVariable(NodeSettings):
    name: str = Field("variable_1", description="The name of the new flow variable.")
    type: Literal["STRING", "INTEGER", "LONG", "DOUBLE", "BOOLEAN"] = Field(
        "STRING", description="Its type: STRING, INTEGER (32 bit), LONG (64 bit), DOUBLE or BOOLEAN."
    )
    value: str = Field(
        "",
        description="The value as text: a whole number for INTEGER/LONG; a Java double (1.5, 1e-3, Infinity, "
        "-Infinity, NaN) for DOUBLE; BOOLEAN is true when the text is `true` in any case, else false.",
    )


class VariableCreatorSettings(NodeSettings):
    """KNIME's VariableCreatorNodeSettings (`newFlowVariables`: name, type, value)."""

    newFlowVariables: list[NewFlowVariable] = Field(
        default_factory=lambda: [NewFlowVariable()],
        title="New flow variables",
        description="The new flow variables to create.",
    )


def _variable_value(var: NewFlowVariable) -> Any:
    """The value as KNIME's `createFromStringAndPush` parses it; None when it cannot (`canConvert`)."""
    text = var.value
    if var.type == "STRING":
        return text
    if var.type == "BOOLEAN":
        return text.lower() == "true"  # Boolean.parseBoolean
    if var.type == "DOUBLE":
        if not _JAVA_DOUBLE.fullmatch(text):
            return None
        return float(text.rstrip("fFdD").replace("Infinity", "inf"))
    if not _JAVA_INTEGER.fullmatch(text):
        return None
    value = int(text)
    bits = 32 if var.type == "INTEGER" else 64
    return value if -(2 ** (bits - 1)) <= value < 2 ** (bits - 1) else None


def _check_variables(variables: list[NewFlowVariable]) -> list[Any]:
    """VariableCreatorNodeModel.validateSettings: names not blank, unique, every value parseable."""
    if any(not v.name.strip() for v in variables):
        raise ConfigureError("Variable names must not be blank.", setting="newFlowVariables")
    names = [v.name for v in variables]
    dupes = [n for n in dict.fromkeys(names) if names.count(n) > 1]
    if dupes:
        raise ConfigureError(
            f"The variable name '{dupes[0]}' is used more than once.", setting="newFlowVariables"
        )
    values = []
    for v in variables:
        value = _variable_value(v)
        if value is None:
            raise ConfigureError(
                f"The value of the variable '{v.name}' could not be parsed as a {v.type.capitalize()}.",
                setting="newFlowVariables",
            )
        values.append(value)
    return values


def _variable_creator_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    if "newFlowVariables" in tree:
        entries = [
            {"name": e.get("name"), "type": e.get("type"), "value": e.get("value") or ""}
            for e in seq(tree["newFlowVariables"])
        ]
        knime.put("newFlowVariables", entries, "newFlowVariables")
        return
    old = tree.get("variables")  # the first layout: parallel arrays, types as str/int/long/double/bool
    if isinstance(old, dict):
        knime.note("Variable Creator settings of the first layout (variables.types/names/values) read")
        names, types, values = (list(seq(old.get(k))) for k in ("names", "types", "values"))
        entries = [
            {"name": n, "type": _OLD_TYPE_NAMES.get(str(t), str(t)), "value": v or ""}
            for n, t, v in zip(names, types, values, strict=False)
        ]
        knime.put("newFlowVariables", entries, "variables")


class VariableCreator(Node):
    """KNIME's Variable Creator: new flow variables typed and valued in the dialog."""

    type_name = "variable_creator"
    display_name = "Variable Creator"
    category = Category.SOURCE
    description = (
        "Creates flow variables of the types KNIME offers (String, Integer, Long, Double, Boolean) with the values "
        "typed in, pushed so that the first one listed is on top. A variable that replaces an incoming one of "
        "the same name gets a warning."
    )
    keywords = ("flow variable", "create", "constant", "parameter", "variable")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.variablecreator.VariableCreatorNodeFactory",
            "Variable Creator",
            _variable_creator_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.variablecreator.VariableCreatorNodeFactory2",
            "Variable Creator",
            _variable_creator_from_knime,
        ),
    )
    outputs = (Port(VARIABLES, "Created variables", "The new flow variables."),)
    Settings = VariableCreatorSettings

    def configure_variables(self, in_specs: list[Any], settings: VariableCreatorSettings) -> dict[str, str]:
        """Known from the settings: bindings to them after this node are checked by validate."""
        return {var.name: _TYPE_NAMES[var.type] for var in reversed(settings.newFlowVariables)}

    def configure(
        self, in_specs: list[Any], settings: VariableCreatorSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_variables(settings.newFlowVariables)
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: VariableCreatorSettings, ctx: NodeContext) -> list[Any]:
        try:
            values = _check_variables(settings.newFlowVariables)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        if not settings.newFlowVariables:
            ctx.warn("No flow variables created. The output will be empty.")
        existing = set(ctx.variables)
        for var, value in reversed(list(zip(settings.newFlowVariables, values, strict=True))):
            if var.name in existing:
                ctx.warn(f"The flow variable '{var.name}' is being overwritten.")
            if var.type == "DOUBLE" and math.isinf(value) and not var.value.endswith("Infinity"):
                ctx.warn(f"The value '{var.value}' is too large or too small to be represented as a double.")
            ctx.push_variable(var.name, value, _TYPE_NAMES[var.type])
        return [None]


# ------------------------------------------------------------------------- String Input (QuickForm)

_QUICKFORM = "org.knime.js.base.node.quickform."


class StringInputSettings(NodeSettings):
    """KNIME's String Input QuickForm in both generations: StringInputQuickFormInNodeModel (before
    2.10: variableName, value.value) and the JavaScript StringInputQuickFormNodeModel (2.10-3.x:
    flowvariablename, defaultValue.string, regex, error_message, editorType)."""

    variableName: str = Field(
        "string-input", description="Name of the String flow variable the node creates."
    )
    value: str = Field("", description="Its value (in KNIME, what the wizard's user typed or the default).")
    regex: str = Field(
        "",
        description="A Java regular expression the whole value must match (single-line editor only); "
        "empty: any value.",
    )
    error_message: str = Field(
        "", description="The error when the value does not match `regex`; each `?` becomes the value."
    )
    editorType: Literal["Single-line", "Multi-line"] = Field(
        "Single-line",
        description="Single-line or Multi-line; `regex` applies to the single-line editor only.",
    )


def _string_input_from_knime(knime: KnimeSettings) -> None:
    knime.take("variableName")
    knime.take("value", "value.value")
    # the dialog's label, description, weight and wizard visibility change no value
    knime.unread("label", "description", "weight", "hide_in_wizard")


def _js_string_input_from_knime(knime: KnimeSettings) -> None:
    """StringInputQuickFormConfig; a null string is pushed as "" (createAndPushFlowVariable)."""
    knime.take("variableName", "flowvariablename")
    knime.take("value", "defaultValue.string", transform=lambda v: "" if v is None else str(v))
    knime.take_all(["regex", "error_message", "editorType"])
    knime.unread(under="defaultValue")
    # the multi-line editor's size is the wizard page's layout
    knime.unread(*DIALOG_KEYS, "multilineEditorWidth", "multilineEditorHeight")


def _check_string_input(settings: StringInputSettings, cls: type[NodeError]) -> None:
    """StringInputQuickFormNodeModel.validateViewValue: `String.matches(regex)`, the error message
    with `?` replaced by the value (`replaceAll("[?]", value)`)."""
    if settings.editorType != "Single-line" or not settings.regex:
        return
    try:
        pattern = java_regex(settings.regex)
    except JavaError as exc:
        raise cls(f"Invalid regex {settings.regex!r}: {exc}", setting="regex") from None
    if not pattern.fullmatch(settings.value):
        message = re.sub(r"\?", lambda m: java_replacement(m, settings.value), settings.error_message)
        raise cls(message, setting="value")


class StringInput(Node):
    """KNIME's String Input QuickForm: one String flow variable whose value the workflow's user sets."""

    type_name = "string_input"
    display_name = "String Input (QuickForm)"
    category = Category.SOURCE
    description = (
        "Creates one String flow variable (`variableName`) holding `value` — KNIME's QuickForm for a value the "
        "person running the workflow enters; here it is set in the node's settings or bound to a workflow variable. "
        "A `regex` the value must match fails the node with `error_message`."
    )
    keywords = ("flow variable", "input", "quickform", "parameter", "string")
    knime = (
        KnimeMapping(
            "org.knime.quickform.nodes.in.string.StringInputQuickFormInNodeFactory",
            "String Input (QuickForm)",
            _string_input_from_knime,
        ),
        KnimeMapping(
            _QUICKFORM + "input.string.StringInputQuickFormNodeFactory",
            "String Input",
            _js_string_input_from_knime,
        ),
    )
    outputs = (Port(VARIABLES, "Variable", "The String variable."),)
    Settings = StringInputSettings

    def configure_variables(self, in_specs: list[Any], settings: StringInputSettings) -> dict[str, str]:
        return {settings.variableName: "String"}

    def configure(self, in_specs: list[Any], settings: StringInputSettings, ctx: NodeContext) -> list[Any]:
        if not settings.variableName.strip():
            raise ConfigureError("the variable name is empty", setting="variableName")
        _check_string_input(settings, ConfigureError)
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: StringInputSettings, ctx: NodeContext) -> list[Any]:
        _check_string_input(settings, NodeError)
        ctx.push_variable(settings.variableName, settings.value, "String")
        return [None]


# ------------------------------------------- Boolean, Integer, Double Input, Single Selection (QuickForm)


class QuickFormSettings(NodeSettings):
    """QuickFormFlowVariableConfig: the variable's name. KNIME pushes the wizard's or the component
    dialog's value when one was given, else `defaultValue` (QuickFormNodeModel.getRelevantValue)."""

    flowvariablename: str = Field("new variable", description="Name of the flow variable the node creates.")


class _QuickFormInput(VariableSource):
    """A QuickForm: no input, one variable output (QuickFormFlowVariableNodeModel)."""

    outputs = (Port(VARIABLES, "Variable", "The flow variable."),)


class BooleanInputSettings(QuickFormSettings):
    defaultValue: bool = Field(False, description="The value: pushed as the Integer 1 (true) or 0 (false).")


class BooleanInput(_QuickFormInput):
    """KNIME's Boolean Input QuickForm (BooleanInputQuickFormNodeModel)."""

    type_name = "boolean_input"
    display_name = "Boolean Input"
    description = (
        "Creates one flow variable (`flowvariablename`) from a checkbox value. As in KNIME (whose flow variables "
        "had no Boolean type then), the variable is an Integer: 1 for true, 0 for false."
    )
    keywords = ("flow variable", "input", "quickform", "parameter", "boolean", "checkbox")
    knime = (
        KnimeMapping(
            _QUICKFORM + "input.bool.BooleanInputQuickFormNodeFactory",
            "Boolean Input",
            value_from_knime("boolean"),
        ),
    )
    Settings = BooleanInputSettings

    def variables(self, settings: BooleanInputSettings) -> list[tuple[str, Any, str]]:
        return [(settings.flowvariablename, 1 if settings.defaultValue else 0, "Integer")]


def _bounds(settings: IntegerInputSettings | DoubleInputSettings) -> tuple[float | None, float | None]:
    """(min, max), None for a bound that is switched off."""
    return settings.min if settings.use_min else None, settings.max if settings.use_max else None


class IntegerInputSettings(QuickFormSettings):
    """IntInputQuickFormConfig."""

    defaultValue: int = Field(0, description="The value of the Integer variable.")
    use_min: bool = Field(False, description="The value must not be below `min`.")
    use_max: bool = Field(False, description="The value must not be above `max`.")
    min: int = Field(0, description="The smallest value allowed (with `use_min`).")
    max: int = Field(100, description="The largest value allowed (with `use_max`).")


def _camel_case_switches(knime: KnimeSettings) -> None:
    """The Integer Widget's (IntegerWidgetNodeModel) bound switches: it pushes and checks its value
    as the QuickForm does, with its keys in camel case."""
    knime.take("use_min", "useMin")
    knime.take("use_max", "useMax")


class IntegerInput(_QuickFormInput):
    """KNIME's Integer Input QuickForm (IntInputQuickFormNodeModel)."""

    type_name = "integer_input"
    display_name = "Integer Input"
    description = (
        "Creates one Integer flow variable (`flowvariablename`) holding `defaultValue`; a value outside the "
        "optional `min`/`max` bounds fails the node."
    )
    keywords = ("flow variable", "input", "quickform", "parameter", "integer", "number")
    knime = (
        KnimeMapping(
            _QUICKFORM + "input.integer.IntInputQuickFormNodeFactory",
            "Integer Input",
            value_from_knime("integer", "use_min", "use_max", "min", "max"),
        ),
        KnimeMapping(
            "org.knime.js.base.node.widget.input.integer.IntegerWidgetNodeFactory",
            "Integer Widget",
            value_from_knime(
                "integer", "min", "max", name_keys=("flowVariableName",), also=_camel_case_switches
            ),
        ),
    )
    Settings = IntegerInputSettings

    def check(self, settings: IntegerInputSettings, cls: type[NodeError]) -> None:
        check_bounds(settings.defaultValue, *_bounds(settings), "integer", str, cls)

    def variables(self, settings: IntegerInputSettings) -> list[tuple[str, Any, str]]:
        return [(settings.flowvariablename, settings.defaultValue, "Integer")]


class DoubleInputSettings(QuickFormSettings):
    """DoubleInputQuickFormConfig."""

    defaultValue: float = Field(0.0, description="The value of the Double variable.")
    use_min: bool = Field(False, description="The value must not be below `min`.")
    use_max: bool = Field(False, description="The value must not be above `max`.")
    min: float = Field(0.0, description="The smallest value allowed (with `use_min`).")
    max: float = Field(1.0, description="The largest value allowed (with `use_max`).")


class DoubleInput(_QuickFormInput):
    """KNIME's Double Input QuickForm (DoubleInputQuickFormNodeModel)."""

    type_name = "double_input"
    display_name = "Double Input"
    description = (
        "Creates one Double flow variable (`flowvariablename`) holding `defaultValue`; a value outside the "
        "optional `min`/`max` bounds fails the node."
    )
    keywords = ("flow variable", "input", "quickform", "parameter", "double", "number", "threshold")
    knime = (
        KnimeMapping(
            _QUICKFORM + "input.dbl.DoubleInputQuickFormNodeFactory",
            "Double Input",
            value_from_knime("double", "use_min", "use_max", "min", "max"),
        ),
    )
    Settings = DoubleInputSettings

    def check(self, settings: DoubleInputSettings, cls: type[NodeError]) -> None:
        check_bounds(settings.defaultValue, *_bounds(settings), "double", java_double_to_string, cls)

    def variables(self, settings: DoubleInputSettings) -> list[tuple[str, Any, str]]:
        return [(settings.flowvariablename, settings.defaultValue, "Double")]


class SingleSelectionSettings(QuickFormSettings):
    """SingleSelectionQuickFormConfig."""

    defaultValue: str = Field("", description="The selected value.")
    possible_choices: list[str] = Field(default_factory=list, description="The values offered.")


class SingleSelection(_QuickFormInput):
    """KNIME's Single Selection QuickForm (SingleSelectionQuickFormNodeModel)."""

    type_name = "single_selection"
    display_name = "Single Selection"
    description = (
        "Creates a String flow variable (`flowvariablename`) holding the selected value and an Integer variable "
        "`<flowvariablename> (index)` holding its position among `possible_choices` (from 0; -1 when the value "
        "is not one of them, which KNIME does not treat as an error)."
    )
    keywords = ("flow variable", "input", "quickform", "parameter", "selection", "choice", "dropdown")
    knime = (
        KnimeMapping(
            _QUICKFORM + "selection.single.SingleSelectionQuickFormNodeFactory",
            "Single Selection",
            value_from_knime(
                "variable_value",
                "possible_choices",
                # the selection widget (dropdown, list, radio buttons) and how many options it shows
                ignored=(*DIALOG_KEYS, "type", "limit_number_visible_options", "number_visible_options"),
            ),
        ),
    )
    Settings = SingleSelectionSettings

    def variables(self, settings: SingleSelectionSettings) -> list[tuple[str, Any, str]]:
        choices = settings.possible_choices
        index = choices.index(settings.defaultValue) if settings.defaultValue in choices else -1
        return [
            (f"{settings.flowvariablename} (index)", index, "Integer"),
            (settings.flowvariablename, settings.defaultValue, "String"),
        ]


# ------------------------------------------------------------------------------------ Merge Variables

MERGED_INPUTS = 8


class MergeVariablesSettings(NodeSettings):
    pass


def _merge_variables_ports(creation: dict[str, Any]) -> tuple[dict[int, int | None], dict[int, int | None]]:
    """KNIME's fixed first input and its "Merged variables" group, in port order, onto knitflow's
    variable inputs (at most MERGED_INPUTS)."""
    count = sum(
        len([k for k in group if k.startswith("port_")])
        for name, group in (creation or {}).items()
        if isinstance(group, dict) and name in ("input", "Merged variables")
    )
    count = max(count, 1)
    return {i: i if i <= MERGED_INPUTS else None for i in range(1, count + 1)}, {1: 1}


class MergeVariables(Node):
    """Joins flow-variable branches into one, so a node downstream sees the variables of all of them."""

    type_name = "merge_variables"
    display_name = "Merge Variables"
    category = Category.OTHER
    description = (
        "Merges the flow variables of its inputs into one variable connection; where names clash, the top "
        "input's value wins, as KNIME merges flow-variable stacks."
    )
    keywords = ("flow variable", "merge", "join variables", "combine")
    knime = (
        KnimeMapping(
            "org.knime.base.node.util.mergevariables.MergeVariables2NodeFactory",
            "Merge Variables",
            ports=_merge_variables_ports,
        ),
    )
    inputs = (
        Port(VARIABLES, "Variables 1", "Flow variables."),
        *(
            Port(VARIABLES, f"Variables {i}", "Flow variables.", optional=True)
            for i in range(2, MERGED_INPUTS + 1)
        ),
    )
    outputs = (Port(VARIABLES, "Merged variables", "The variables of every input."),)
    Settings = MergeVariablesSettings

    def configure(self, in_specs: list[Any], settings: MergeVariablesSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: MergeVariablesSettings, ctx: NodeContext) -> list[Any]:
        return [None]  # the engine merges the inputs' variables, KNIME's priority: the top input wins
