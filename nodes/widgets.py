"""KNIME's widget nodes (the inputs of a component's page, org.knime.js.base.node.widget.*) and the
configuration nodes (org.knime.js.base.node.configuration.*) placed outside a component: Boolean,
Double, String, Integer (configuration only; the Integer Widget runs as integer_input), Date&Time,
List Box, Single Selection, Column Selection, Multiple Selection, Value Selection and Column Filter,
the page-only Refresh Button and Text Output widgets, and Credentials (which fails: knitflow has
no credentials). Each pushes its saved default value
(WidgetNodeModel / DialogNodeModel.getRelevantValue without a value set on the page or in a
dialog); knitflow's dialog, or a workflow variable bound to that setting, stands for that value.

Inside a component the engine makes some configuration nodes (Boolean, Integer, Double, String,
Single Selection, Column Selection) the component's own `configuration` (engine/knime/configuration.py) before any mapping here
is consulted; these mappings serve the widgets and configuration nodes it leaves as nodes.

The selection nodes that read a table (Column Selection, Value Selection, Column Filter) offer
what the input has: its columns, and for Value Selection the possible values of its nominal
columns. KNIME takes those from the table spec's domain; knitflow's tables carry none, so the
values are the data's distinct values in order of first appearance (at most 60, what KNIME's
DataTableDomainCreator keeps for a new table), as for every other knitflow node."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

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
    row_ids,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type, seq
from nodes._common import ColumnFilter
from nodes._datetime import date_time_text, java_date_text
from nodes._java_hash import capacity_after_puts, hash_order, string_hash_code
from nodes._java_text import cell_to_string, java_double_to_string, parse_java_double, parse_java_int
from nodes._quickforms import (
    DIALOG_KEYS,
    VariableSource,
    check_bounds,
    input_spec_filter_from_knime,
    take_variable_name,
    value_from_knime,
)
from nodes._string_functions import JavaError, java_regex, java_replacement
from nodes._variable_ports import OPTIONAL_VARIABLES_IN
from nodes._views import TextOutputSettings, resolved_text, text_output_from_knime, text_output_view

_WIDGET = "org.knime.js.base.node.widget."
_CONFIGURATION = "org.knime.js.base.node.configuration."

# What only shapes the page or the component dialog: the QuickForm's keys (LabeledConfig's label,
# description and required, WidgetConfig's hideInWizard and customCSS, DialogNodeConfig's
# parameterName and hideInDialog) and ReExecutableConfig's trigger_reexecution (the page re-runs
# the component when the value changes). None of them changes the value pushed.
_PRESENTATION_KEYS = (*DIALOG_KEYS, "trigger_reexecution")


def _push_int_by_default(knime: KnimeSettings) -> None:
    """BooleanNodeConfig.loadSettings: a node saved before KNIME 4.1 has no `pushIntVar` and keeps
    pushing an Integer."""
    knime.take("pushIntVar", default=True)


def _widget_mappings(
    widget: tuple[str, str],
    configuration: tuple[str, str],
    value_key: str,
    *keys: str,
    value: Callable[[Any], Any] | None = None,
    pushes_int_by_default: bool = False,
    layout: tuple[str, ...] = (),
) -> tuple[KnimeMapping, KnimeMapping]:
    """A widget and the configuration node of the same kind, each as (factory, name), read alike:
    `defaultValue.<value_key>` as `defaultValue`, the variable name (FlowVariableConfig's
    `flowVariableName`; the QuickForm-era spelling `flowvariablename` when a file has that), the
    given keys as they are; `layout` names keys that only arrange the control (dropdown or radio
    buttons, how many options show)."""
    translate = _dialog_translator(
        value_key, *keys, value=value, pushes_int_by_default=pushes_int_by_default, layout=layout
    )
    return (
        KnimeMapping(_WIDGET + widget[0], widget[1], translate),
        KnimeMapping(_CONFIGURATION + configuration[0], configuration[1], translate),
    )


def _dialog_translator(
    value_key: str,
    *keys: str,
    value: Callable[[Any], Any] | None = None,
    pushes_int_by_default: bool = False,
    layout: tuple[str, ...] = (),
) -> Callable[[KnimeSettings], None]:
    """How a widget or configuration node is read (see `_widget_mappings`)."""
    return value_from_knime(
        value_key,
        *keys,
        name="flowVariableName",
        name_keys=("flowVariableName", "flowvariablename"),
        value=value,
        also=_push_int_by_default if pushes_int_by_default else None,
        ignored=(*_PRESENTATION_KEYS, *layout),
    )


def _check_min_max(settings: Any, kind: str, text: Callable[[Any], str], cls: type[NodeError]) -> None:
    """The value against the bounds that are switched on (useMin/useMax), in KNIME's words."""
    minimum = settings.min if settings.useMin else None
    maximum = settings.max if settings.useMax else None
    check_bounds(settings.defaultValue, minimum, maximum, kind, text, cls)


class _VariableWidget(VariableSource):
    """A widget without inputs whose one variable output carries the variable it pushes
    (WidgetFlowVariableNodeModel, DialogFlowVariableNodeModel)."""

    outputs = (Port(VARIABLES, "Variable", "The widget's flow variable."),)

    def variable(self, settings: Any) -> tuple[str, Any, str]:
        """(name, value, variable type)."""
        raise NotImplementedError

    def variables(self, settings: Any) -> list[tuple[str, Any, str]]:
        return [self.variable(settings)]

    def check(self, settings: Any, cls: type[NodeError]) -> None:
        """Subclasses check their value (KNIME's validateViewValue) before calling this."""
        if not self.variable(settings)[0].strip():
            raise cls("the flow variable name is empty", setting="flowVariableName")


# ------------------------------------------------------------------------------------------ Boolean


class BooleanWidgetSettings(NodeSettings):
    """BooleanInputWidgetConfig / BooleanInputDialogNodeConfig with BooleanNodeConfig."""

    flowVariableName: str = Field("boolean-input", description="Name of the flow variable the node creates.")
    defaultValue: bool = Field(False, description="The value (KNIME: the checkbox's saved default).")
    pushIntVar: bool = Field(
        False,
        description="Push the Integer 1 or 0 instead of a Boolean variable (how KNIME's boolean widgets "
        "worked before 4.1; a node saved then has this on).",
    )


class BooleanWidget(_VariableWidget):
    """KNIME's Boolean Widget and Boolean Configuration (BooleanWidgetNodeModel,
    BooleanDialogNodeModel): a Boolean variable, or 1/0 when `pushIntVar` is on."""

    type_name = "boolean_widget"
    display_name = "Boolean Widget"
    description = (
        "Creates one flow variable (`flowVariableName`) from a checkbox value: a Boolean, or with `pushIntVar` "
        "(KNIME before 4.1) the Integer 1 for true and 0 for false. Stands for KNIME's Boolean Widget and "
        "Boolean Configuration."
    )
    keywords = ("flow variable", "widget", "configuration", "parameter", "boolean", "checkbox", "component")
    knime = _widget_mappings(
        ("input.bool.BooleanWidgetNodeFactory", "Boolean Widget"),
        ("input.bool.BooleanDialogNodeFactory", "Boolean Configuration"),
        "boolean",
        pushes_int_by_default=True,
        layout=("type",),  # checkbox or radio buttons (5.5)
    )
    Settings = BooleanWidgetSettings

    def variable(self, settings: BooleanWidgetSettings) -> tuple[str, Any, str]:
        if settings.pushIntVar:
            return settings.flowVariableName, int(settings.defaultValue), "Integer"
        return settings.flowVariableName, settings.defaultValue, "Boolean"


# ------------------------------------------------------------------------------------------- Double


class DoubleWidgetSettings(NodeSettings):
    """DoubleInputWidgetConfig / DoubleInputDialogNodeConfig with DoubleNodeConfig."""

    flowVariableName: str = Field("double-input", description="Name of the flow variable the node creates.")
    defaultValue: float = Field(0.0, description="The value of the Double variable.")
    useMin: bool = Field(False, description="The value must not be below `min`.")
    useMax: bool = Field(False, description="The value must not be above `max`.")
    min: float = Field(0.0, description="The smallest value allowed (with `useMin`).")
    max: float = Field(1.0, description="The largest value allowed (with `useMax`).")


class DoubleWidget(_VariableWidget):
    """KNIME's Double Widget and Double Configuration (DoubleWidgetNodeModel, DoubleDialogNodeModel)."""

    type_name = "double_widget"
    display_name = "Double Widget"
    description = (
        "Creates one Double flow variable (`flowVariableName`) holding `defaultValue`; a value outside the "
        "optional `min`/`max` bounds fails the node. Stands for KNIME's Double Widget and Double Configuration."
    )
    keywords = ("flow variable", "widget", "configuration", "parameter", "double", "number", "component")
    knime = _widget_mappings(
        ("input.dbl.DoubleWidgetNodeFactory", "Double Widget"),
        ("input.dbl.DoubleDialogNodeFactory", "Double Configuration"),
        "double",
        "useMin",
        "useMax",
        "min",
        "max",
    )
    Settings = DoubleWidgetSettings

    def check(self, settings: DoubleWidgetSettings, cls: type[NodeError]) -> None:
        """The value against the bounds that are switched on, in KNIME's words and Java's number text."""
        _check_min_max(settings, "double", java_double_to_string, cls)
        super().check(settings, cls)

    def variable(self, settings: DoubleWidgetSettings) -> tuple[str, Any, str]:
        return settings.flowVariableName, float(settings.defaultValue), "Double"


# --------------------------------------------------------------------------------- Single Selection


def _first_selected(value: Any) -> str | None:
    """SingleMultipleSelectionNodeValue keeps the selection as a string array: its first entry."""
    selected = seq(value)
    return None if not selected or selected[0] is None else str(selected[0])


class SingleSelectionWidgetSettings(NodeSettings):
    """SingleSelectionWidgetConfig / SingleSelectionDialogNodeConfig."""

    flowVariableName: str = Field(
        "single-selection", description="Name of the String flow variable the node creates."
    )
    defaultValue: str | None = Field(None, description="The selected value (None: nothing is selected).")
    possible_choices: list[str] = Field(default_factory=list, description="The values offered.")


class SingleSelectionWidget(_VariableWidget):
    """KNIME's Single Selection Widget and Single Selection Configuration: the selected value as a
    String variable (the QuickForm before them also pushed an `(index)` variable; these do not)."""

    type_name = "single_selection_widget"
    display_name = "Single Selection Widget"
    description = (
        "Creates a String flow variable (`flowVariableName`) holding the value selected among "
        "`possible_choices`; with nothing selected the node fails. Stands for KNIME's Single Selection Widget "
        "and Single Selection Configuration."
    )
    keywords = ("flow variable", "widget", "configuration", "parameter", "selection", "choice", "dropdown")
    knime = _widget_mappings(
        ("selection.single.SingleSelectionWidgetNodeFactory", "Single Selection Widget"),
        ("selection.single.SingleSelectionDialogNodeFactory", "Single Selection Configuration"),
        "variable_value",
        "possible_choices",
        value=_first_selected,
        # the control (dropdown, list, radio buttons) and how many options it shows
        layout=("type", "limit_number_visible_options", "number_visible_options"),
    )
    Settings = SingleSelectionWidgetSettings

    def check(self, settings: SingleSelectionWidgetSettings, cls: type[NodeError]) -> None:
        if settings.defaultValue is None:
            raise cls("no value is selected", setting="defaultValue")
        super().check(settings, cls)

    def variable(self, settings: SingleSelectionWidgetSettings) -> tuple[str, Any, str]:
        return settings.flowVariableName, settings.defaultValue or "", "String"


# ------------------------------------------------------------------ the selections that read a table

# the control (dropdown, list, radio buttons, twin list, check boxes) and how many options it shows
# (SingleMultipleSelectionNodeConfig, ColumnSelectionNodeConfig, ValueSelectionNodeConfig,
# ColumnFilterNodeConfig)
_SELECTION_LAYOUT = ("type", "limit_number_visible_options", "number_visible_options")
# the input's columns (and ValueSelectionNodeConfig's `colValues`, their possible values) as KNIME
# saw them when it last configured the node: the node offers what its input has when it runs
_OFFERED_KEYS = ("possibleColumns", "colValues")
_MAX_POSSIBLE_VALUES = 60  # DataContainerSettings.MAX_POSSIBLE_VALUES: more distinct values, no domain values
_NOMINAL = frozenset({ColumnType.STRING, ColumnType.SMILES, ColumnType.BOOLEAN})  # NominalValue cells


def _allowed(spec: TableSpec, allowed_types: list[str] | None) -> TableSpec:
    """InputSpecFilter.filter: the columns of the allowed types (all of them without a type filter)."""
    if allowed_types is None:
        return spec
    return TableSpec(tuple(c for c in spec.columns if c.type in allowed_types))


def _check_name(name: str, cls: type[NodeError]) -> None:
    if not name.strip():
        raise cls("the flow variable name is empty", setting="flowVariableName")


def _names(value: Any) -> list[str]:
    """A string array setting (null entries, which KNIME cannot select, left out)."""
    return [str(v) for v in seq(value) if v is not None]


# ------------------------------------------------------------------------------- Column Selection


class ColumnSelectionWidgetSettings(NodeSettings):
    """ColumnSelectionWidgetConfig / ColumnSelectionDialogNodeConfig with ColumnSelectionNodeConfig."""

    flowVariableName: str = Field(
        "column-selection", description="Name of the String flow variable the node creates."
    )
    defaultValue: str = Field(
        "",
        description="The selected column (KNIME: `defaultValue.column`).",
        json_schema_extra=widget("column"),
    )
    autoConfigure: bool = Field(
        True,
        description="A selected column the input lacks is replaced by the first column, with a warning (the "
        "widget, and the configuration node before KNIME 4.1); off: the node fails (the Column Selection "
        "Configuration since 4.1).",
    )
    allowedTypes: list[str] | None = Field(
        None,
        description="Offer only the columns of these types (the configuration node's type filter); null: all.",
    )


def _column_selection_from_knime(auto_configure: bool) -> Callable[[KnimeSettings], None]:
    def translate(knime: KnimeSettings) -> None:
        take_variable_name(knime)
        knime.take("defaultValue", "defaultValue.column")
        knime.put("autoConfigure", auto_configure)
        input_spec_filter_from_knime(knime, column_type)
        knime.unread(under="defaultValue")
        knime.unread(*_PRESENTATION_KEYS, *_SELECTION_LAYOUT, *_OFFERED_KEYS)

    return translate


class ColumnSelectionWidget(Node):
    """KNIME's Column Selection Widget and Column Selection Configuration (ColumnSelectionWidgetNodeModel,
    ColumnSelectionDialogNodeModel): one of the input's column names as a String variable."""

    type_name = "column_selection_widget"
    display_name = "Column Selection Widget"
    category = Category.OTHER
    description = (
        "Creates a String flow variable (`flowVariableName`) holding the name of the selected input column "
        "(`defaultValue`). When the input lacks that column the node takes the first column and warns, or with "
        "`autoConfigure` off fails; an input without (allowed) columns fails the node. Stands for KNIME's "
        "Column Selection Widget and Column Selection Configuration."
    )
    keywords = ("flow variable", "widget", "configuration", "parameter", "column", "selection", "component")
    knime = (
        KnimeMapping(
            _WIDGET + "selection.column.ColumnSelectionWidgetNodeFactory",
            "Column Selection Widget",
            _column_selection_from_knime(True),
        ),
        KnimeMapping(
            _CONFIGURATION + "selection.column.ColumnSelectionDialogNodeFactory2",
            "Column Selection Configuration",
            _column_selection_from_knime(False),
        ),
        KnimeMapping(
            _CONFIGURATION + "selection.column.ColumnSelectionDialogNodeFactory",
            "Column Selection Configuration (legacy)",
            _column_selection_from_knime(True),
        ),
    )
    inputs = (Port(TABLE, "Table", "The columns to choose from."),)
    outputs = (Port(VARIABLES, "Variable", "The selected column's name."),)
    Settings = ColumnSelectionWidgetSettings

    def chosen(
        self, spec: TableSpec, settings: ColumnSelectionWidgetSettings, cls: type[NodeError]
    ) -> tuple[str, str | None]:
        """(column, warning): createAndPushFlowVariable's choice among the offered columns."""
        offered = _allowed(spec, settings.allowedTypes).names
        if not offered:
            raise cls("No column available for selection in input table.")
        column = settings.defaultValue
        if column in offered:
            return column, None
        if not settings.autoConfigure:
            raise cls(f"Column '{column}' is not part of the table spec anymore.", setting="defaultValue")
        warning = f"Column '{column}' is not part of the table spec anymore.\n" if column else ""
        return offered[0], warning + "Auto-guessing default column."

    def configure_variables(
        self, in_specs: list[Any], settings: ColumnSelectionWidgetSettings
    ) -> dict[str, str]:
        return {settings.flowVariableName: "String"}

    def configure(
        self, in_specs: list[Any], settings: ColumnSelectionWidgetSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_name(settings.flowVariableName, ConfigureError)
        if isinstance(in_specs[0], TableSpec):
            self.chosen(in_specs[0], settings, ConfigureError)
        return [UNKNOWN]

    def execute(
        self, inputs: list[Any], settings: ColumnSelectionWidgetSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_name(settings.flowVariableName, NodeError)
        column, warning = self.chosen(inputs[0].spec, settings, NodeError)
        if warning:
            ctx.warn(warning)
        ctx.push_variable(settings.flowVariableName, column, "String")
        return [None]


# ----------------------------------------------------------------------------- Multiple Selection


class MultipleSelectionWidgetSettings(NodeSettings):
    """MultipleSelectionWidgetConfig / MultipleSelectionDialogNodeConfig with MultipleSelectionNodeConfig."""

    flowVariableName: str = Field(
        "multiple-selection",
        description="Name of the String flow variable the node creates, and of the output table's column.",
    )
    defaultValue: list[str] = Field(default_factory=list, description="The selected values, in this order.")
    possible_choices: list[str] = Field(default_factory=list, description="The values offered.")
    ignore_invalid_values: bool = Field(
        True,
        description="Leave the selected values that are not among `possible_choices` out of the table (the "
        "widget since KNIME 5.3.2; the variable keeps them). The configuration node never does.",
    )


def _multiple_selection_from_knime(widget_node: bool) -> Callable[[KnimeSettings], None]:
    def translate(knime: KnimeSettings) -> None:
        take_variable_name(knime)
        knime.take("defaultValue", "defaultValue.variable_value", transform=_names)
        knime.take("possible_choices", transform=_names)
        if widget_node:  # absent before 5.3.2, where KNIME's default is on
            knime.take("ignore_invalid_values", default=True)
        else:
            knime.put("ignore_invalid_values", False)
        knime.unread(under="defaultValue")
        # enable_search (5.3): a search box over the choices
        knime.unread(*_PRESENTATION_KEYS, *_SELECTION_LAYOUT, "enable_search")

    return translate


class MultipleSelectionWidget(Node):
    """KNIME's Multiple Selection Widget and Multiple Selection Configuration
    (MultipleSelectionWidgetNodeModel, MultipleSelectionDailogNodeModel): a table of the selected
    values, and the values joined by commas as a String variable."""

    type_name = "multiple_selection_widget"
    display_name = "Multiple Selection Widget"
    category = Category.SOURCE
    description = (
        "Outputs the selected values (`defaultValue`) as a table with one String column named after "
        "`flowVariableName`, one row per value (RowIDs Row0, Row1, ...), and creates a String flow variable of "
        "that name holding the values joined by commas. With `ignore_invalid_values` the values not among "
        "`possible_choices` are left out of the table. Stands for KNIME's Multiple Selection Widget and "
        "Multiple Selection Configuration."
    )
    keywords = ("flow variable", "widget", "configuration", "parameter", "selection", "choices", "component")
    knime = (
        KnimeMapping(
            _WIDGET + "selection.multiple.MultipleSelectionWidgetNodeFactory",
            "Multiple Selection Widget",
            _multiple_selection_from_knime(True),
        ),
        KnimeMapping(
            _CONFIGURATION + "selection.multiple.MultipleSelectionDialogNodeFactory",
            "Multiple Selection Configuration",
            _multiple_selection_from_knime(False),
        ),
    )
    inputs = ()
    outputs = (Port(TABLE, "Selected values", "One String column, one row per selected value."),)
    Settings = MultipleSelectionWidgetSettings

    def configure_variables(
        self, in_specs: list[Any], settings: MultipleSelectionWidgetSettings
    ) -> dict[str, str]:
        return {settings.flowVariableName: "String"}

    def configure(
        self, in_specs: list[Any], settings: MultipleSelectionWidgetSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_name(settings.flowVariableName, ConfigureError)
        return [TableSpec.of([(settings.flowVariableName, ColumnType.STRING)])]

    def execute(
        self, inputs: list[Any], settings: MultipleSelectionWidgetSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_name(settings.flowVariableName, NodeError)
        # StringUtils.join(values, ","): pushed before the invalid values are filtered out
        ctx.push_variable(settings.flowVariableName, ",".join(settings.defaultValue), "String")
        values = settings.defaultValue
        if settings.ignore_invalid_values:
            offered = set(settings.possible_choices)
            values = [v for v in values if v in offered]
        column = pd.Series(values, index=row_ids(len(values)), dtype=object)
        frame = pd.DataFrame({settings.flowVariableName: column})
        return [Table(frame, {settings.flowVariableName: ColumnType.STRING})]


# -------------------------------------------------------------------------------- Value Selection

# ValueSelectionNodeConfig.getPossibleValues: the nominal columns compatible with the chosen type
# (Boolean cells are IntValues and DoubleValues; SMILES cells are StringValues)
_VALUE_COLUMNS = {
    "String": frozenset({ColumnType.STRING, ColumnType.SMILES}),
    "Integer": frozenset({ColumnType.BOOLEAN}),
    "Double": frozenset({ColumnType.BOOLEAN}),
    "All": _NOMINAL,
}


class ValueSelectionWidgetSettings(NodeSettings):
    """ValueSelectionWidgetConfig / ValueSelectionDialogNodeConfig with ValueSelectionNodeConfig;
    `column` and `value` are the saved default (ValueSelectionNodeValue)."""

    flowVariableName: str = Field(
        "value-selection",
        description="Name of the variable holding the value; `<name> (column)` holds the column's name.",
    )
    column: str = Field(
        "", description="The column whose values are offered.", json_schema_extra=widget("column")
    )
    value: str = Field("", description="The selected value, as text.")
    columnType: Literal["String", "Integer", "Double", "All"] = Field(
        "All",
        description="Which columns are offered, and the variable's type: Integer and Double push a number, "
        "String and All the text.",
    )
    lockColumn: bool = Field(
        False, description="Fail instead of choosing another column when the input lacks `column`."
    )


def _value_selection_from_knime(knime: KnimeSettings) -> None:
    take_variable_name(knime)
    knime.take("column", "defaultValue.column")
    knime.take("value", "defaultValue.value")
    knime.take_all(["columnType", "lockColumn"])
    knime.unread(under="defaultValue")
    knime.unread(*_PRESENTATION_KEYS, *_SELECTION_LAYOUT, *_OFFERED_KEYS)


def _possible_values(table: Table, column_type_name: str) -> dict[str, list[str]]:
    """The offered columns and their possible values (DataCell.toString), empty ones left out: the
    domain KNIME computes for a new table, i.e. the distinct values in order of first appearance
    of each nominal column with at most 60 of them."""
    kinds = _VALUE_COLUMNS[column_type_name]
    out: dict[str, list[str]] = {}
    for col in table.spec.columns:
        if col.type not in kinds:
            continue
        distinct = list(dict.fromkeys(v for v in table.column(col.name) if not pd.isna(v)))
        if 0 < len(distinct) <= _MAX_POSSIBLE_VALUES:
            out[col.name] = [cell_to_string(v, col.type) for v in distinct]
    return out


def _first_column(columns: list[str]) -> str:
    """`possibleValues.keySet().iterator().next()` of the HashMap Collectors.toMap fills from the
    TreeMap of columns: sorted by name (String.compareTo, UTF-16 order), then Java's hash order."""
    ordered = sorted(columns, key=lambda name: name.encode("utf-16-be"))
    return hash_order(ordered, string_hash_code, capacity_after_puts(len(ordered)))[0]


class ValueSelectionWidget(Node):
    """KNIME's Value Selection Widget and Value Selection Configuration (ValueSelectionWidgetNodeModel,
    ValueSelectionDialogNodeModel): a column and one of its possible values as flow variables."""

    type_name = "value_selection_widget"
    display_name = "Value Selection Widget"
    category = Category.OTHER
    description = (
        "Creates two flow variables: `<flowVariableName> (column)`, the String `column`, and `flowVariableName`, "
        "the selected `value` (an Integer or Double for `columnType` Integer or Double, else a String). The value "
        "must be one of the column's possible values (its distinct values, when it has at most 60); otherwise the "
        "node takes the column's first value, and when the column offers none (or is missing) the first offered "
        "column and its first value, with a warning (with `lockColumn` a missing column fails the node). The "
        "`(column)` variable keeps the saved column name, as KNIME's does. Stands for KNIME's Value Selection "
        "Widget and Value Selection Configuration."
    )
    keywords = ("flow variable", "widget", "configuration", "parameter", "value", "selection", "domain")
    knime = (
        KnimeMapping(
            _WIDGET + "selection.value.ValueSelectionWidgetNodeFactory",
            "Value Selection Widget",
            _value_selection_from_knime,
        ),
        KnimeMapping(
            _CONFIGURATION + "selection.value.ValueSelectionDialogNodeFactory",
            "Value Selection Configuration",
            _value_selection_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "The columns and values to choose from."),)
    outputs = (Port(VARIABLES, "Variables", "The column's name and the selected value."),)
    Settings = ValueSelectionWidgetSettings

    def configure_variables(
        self, in_specs: list[Any], settings: ValueSelectionWidgetSettings
    ) -> dict[str, str]:
        kind = settings.columnType if settings.columnType in ("Integer", "Double") else "String"
        return {f"{settings.flowVariableName} (column)": "String", settings.flowVariableName: kind}

    def _locked_missing(self, settings: ValueSelectionWidgetSettings, cls: type[NodeError]) -> NodeError:
        return cls(
            f"Locked column '{settings.column}' is not part of the table spec anymore or its domain is empty.",
            setting="column",
        )

    def configure(
        self, in_specs: list[Any], settings: ValueSelectionWidgetSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_name(settings.flowVariableName, ConfigureError)
        spec = in_specs[0]
        if (
            isinstance(spec, TableSpec)
            and settings.lockColumn
            and settings.column
            and settings.column not in spec
        ):
            raise self._locked_missing(settings, ConfigureError)
        return [UNKNOWN]

    def execute(
        self, inputs: list[Any], settings: ValueSelectionWidgetSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_name(settings.flowVariableName, NodeError)
        possible = _possible_values(inputs[0], settings.columnType)
        if not possible:
            raise NodeError("The input table does not contain any column with domain information.")
        column, value, warning = settings.column, settings.value, ""
        if column not in possible:
            if column:
                if settings.lockColumn:
                    raise self._locked_missing(settings, NodeError)
                warning = f"Column '{column}' is not part of the table spec anymore or its domain is empty.\n"
            warning += "Auto-guessing default column and value."
            column = _first_column(list(possible))
            value = possible[column][0]
        if value not in possible[column]:  # KNIME's second warning replaces the first
            warning = (
                f"The selected value '{value}' is not among the possible values in the column '{column}'.\n"
                "Auto-guessing new default value."
            )
            value = possible[column][0]
        if warning:
            ctx.warn(warning)
        name = settings.flowVariableName
        ctx.push_variable(f"{name} (column)", settings.column, "String")
        try:
            if settings.columnType == "Integer":
                ctx.push_variable(name, parse_java_int(value), "Integer")
            elif settings.columnType == "Double":
                ctx.push_variable(name, parse_java_double(value), "Double")
            else:
                ctx.push_variable(name, value, "String")
        except ValueError:
            raise NodeError(
                f'For input string: "{value}"', setting="columnType"
            ) from None  # NumberFormatException
        return [None]


# ---------------------------------------------------------------------------------- Column Filter


class ColumnFilterWidgetSettings(NodeSettings):
    """ColumnFilterWidgetConfig(2) / ColumnFilterDialogNodeConfig with ColumnFilterNodeConfig;
    `columns` and `columnFilter` are the saved default (ColumnFilterNodeValue)."""

    flowVariableName: str = Field(
        "column-filter", description="Name of the String flow variable listing the kept columns."
    )
    columnFilter: ColumnFilter | None = Field(
        default_factory=ColumnFilter,
        description="The columns to keep, applied to the input (KNIME: `defaultValue.columnFilter`); null: "
        "exactly the names in `columns`.",
    )
    columns: list[str] = Field(
        default_factory=list,
        description="The selected columns as saved; used only without `columnFilter` (an input lacking one of "
        "them fails the node).",
    )
    stringArrayVariable: bool = Field(
        False,
        description="KNIME 4.1 on pushes the names as a String array variable, which knitflow cannot "
        "represent: the node then pushes no variable. Off: the names joined by commas, as before 4.1.",
    )
    allowedTypes: list[str] | None = Field(
        None,
        description="Offer only the columns of these types (the configuration node's type filter); null: all.",
    )
    min_num_columns: int = Field(
        0, description="Fail when fewer columns are kept (the configuration node's check)."
    )
    error_message: str = Field(
        "", description="The message of that failure; empty: `Select at least <n> columns`."
    )


def _column_filter_from_knime(array_variable: bool, configuration: bool) -> Callable[[KnimeSettings], None]:
    def translate(knime: KnimeSettings) -> None:
        take_variable_name(knime)
        knime.take("columns", "defaultValue.columns", transform=_names)
        if isinstance(knime.get("defaultValue.columnFilter"), dict):
            knime.take("columnFilter", "defaultValue.columnFilter")
        else:  # a node saved before its dialog kept the filter: the names as saved
            knime.put("columnFilter", None)
        knime.put("stringArrayVariable", array_variable)
        if array_variable:
            name = knime.settings.get("flowVariableName")
            knime.lost(
                f"the node pushes the kept column names as a String array flow variable {name!r} (KNIME 4.1 "
                "on); knitflow has no array variables, so the node pushes no variable (its table is exact)"
            )
        if configuration:
            input_spec_filter_from_knime(knime, column_type)
            # ModularValidatorConfig: one sub-config per validator, MinNumColumnsValidatorFactory's
            # `min_num_columns` (MinNumColumnsValidatorConfig: min_num_columns, error_message)
            knime.take("min_num_columns", "validation.min_num_columns.min_num_columns")
            knime.take("error_message", "validation.min_num_columns.error_message")
            knime.unread(under="validation.min_num_columns")
            knime.unread(under="validation")
        knime.unread(under="defaultValue")
        knime.unread(*_PRESENTATION_KEYS, *_SELECTION_LAYOUT, *_OFFERED_KEYS)

    return translate


class ColumnFilterWidget(Node):
    """KNIME's Column Filter Widget and Column Filter Configuration (ColumnFilterWidgetNodeModel(2),
    ColumnFilterDialogNodeModel): the input with the selected columns, and their names as a flow
    variable."""

    type_name = "column_filter_widget"
    display_name = "Column Filter Widget"
    category = Category.MANIPULATOR
    description = (
        "Keeps the input columns `columnFilter` selects (in input order; rows unchanged) and creates a String "
        "flow variable (`flowVariableName`) listing them joined by commas. Without `columnFilter` the names in "
        "`columns` are kept and a name the input lacks fails the node. The configuration node can offer only "
        "columns of `allowedTypes` and fail when fewer than `min_num_columns` are kept. KNIME 4.1 on pushes a "
        "String array variable instead, which knitflow cannot (`stringArrayVariable`: no variable). Stands for "
        "KNIME's Column Filter Widget and Column Filter Configuration."
    )
    keywords = (
        "flow variable",
        "widget",
        "configuration",
        "parameter",
        "column filter",
        "columns",
        "component",
    )
    knime = (
        KnimeMapping(
            _WIDGET + "filter.column.ColumnFilterWidgetNodeFactory2",
            "Column Filter Widget",
            _column_filter_from_knime(True, False),
        ),
        KnimeMapping(
            _WIDGET + "filter.column.ColumnFilterWidgetNodeFactory",
            "Column Filter Widget (legacy)",
            _column_filter_from_knime(False, False),
        ),
        KnimeMapping(
            _CONFIGURATION + "filter.column.ColumnFilterDialogNodeFactory2",
            "Column Filter Configuration",
            _column_filter_from_knime(True, True),
        ),
        KnimeMapping(
            _CONFIGURATION + "filter.column.ColumnFilterDialogNodeFactory",
            "Column Filter Configuration (legacy)",
            _column_filter_from_knime(False, True),
        ),
    )
    inputs = (Port(TABLE, "Table", "The table whose columns are filtered."),)
    outputs = (Port(TABLE, "Filtered table", "The selected columns."),)
    Settings = ColumnFilterWidgetSettings

    def selected(
        self, spec: TableSpec, settings: ColumnFilterWidgetSettings, cls: type[NodeError]
    ) -> list[str]:
        """The selected names (the variable's order) and the check of the kept columns."""
        offered = _allowed(spec, settings.allowedTypes)
        if settings.columnFilter is not None:
            names = settings.columnFilter.apply(offered)
        else:  # ColumnFilterNodeUtil.createSpec
            unknown = [n for n in settings.columns if n not in offered]
            if unknown:
                raise cls(f"Unknown columns [{', '.join(unknown)}] selected.", setting="columns")
            names = list(settings.columns)
        if len(set(names)) < settings.min_num_columns:
            message = settings.error_message or f"Select at least {settings.min_num_columns} columns"
            raise cls(message, setting="min_num_columns")
        return names

    def configure_variables(
        self, in_specs: list[Any], settings: ColumnFilterWidgetSettings
    ) -> dict[str, str]:
        return {} if settings.stringArrayVariable else {settings.flowVariableName: "String"}

    def configure(
        self, in_specs: list[Any], settings: ColumnFilterWidgetSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_name(settings.flowVariableName, ConfigureError)
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        kept = set(self.selected(spec, settings, ConfigureError))
        return [spec.select([n for n in spec.names if n in kept])]

    def execute(self, inputs: list[Any], settings: ColumnFilterWidgetSettings, ctx: NodeContext) -> list[Any]:
        _check_name(settings.flowVariableName, NodeError)
        table: Table = inputs[0]
        names = self.selected(table.spec, settings, NodeError)
        if not settings.stringArrayVariable:
            ctx.push_variable(settings.flowVariableName, ",".join(names), "String")
        kept = set(names)
        return [table.with_frame(table.df[[n for n in table.columns if n in kept]])]


# ------------------------------------------------------------------------- Refresh Button Widget


class RefreshButtonWidgetSettings(NodeSettings):
    """RefreshButtonWidgetNodeConfig."""

    buttonText: str = Field(
        "Refresh",
        description="The button's text; $${Sname}$$, $${Iname}$$, $${Dname}$$ insert flow variables.",
    )


def _refresh_button_from_knime(knime: KnimeSettings) -> None:
    knime.take("buttonText")
    # the page's label, tooltip, visibility and styling; trigger_reexecution: the page re-runs the
    # component when the button is pressed
    knime.unread("label", "description", "hideInWizard", "customCSS", "trigger_reexecution")


class RefreshButtonWidget(Node):
    """KNIME's Refresh Button Widget (RefreshButtonWidgetNodeModel): a button on a component's page
    that re-runs it; a run executes the node once, which pushes the button's text and the count 0."""

    type_name = "refresh_button_widget"
    display_name = "Refresh Button Widget"
    category = Category.SOURCE
    description = (
        "Creates the flow variables KNIME's Refresh Button Widget pushes when executed: `refresh_widget`, the "
        "button text with flow variable references ($${Sname}$$ ...) filled in, and `refresh_count`, the number "
        "of earlier presses (0: a run executes the node once)."
    )
    keywords = ("widget", "button", "refresh", "re-execute", "component page")
    knime = (
        KnimeMapping(
            _WIDGET + "reexecution.refresh.RefreshButtonWidgetNodeFactory",
            "Refresh Button Widget",
            _refresh_button_from_knime,
        ),
    )
    inputs = ()
    outputs = (Port(VARIABLES, "Variables", "refresh_widget and refresh_count."),)
    Settings = RefreshButtonWidgetSettings

    def configure_variables(
        self, in_specs: list[Any], settings: RefreshButtonWidgetSettings
    ) -> dict[str, str]:
        return {"refresh_widget": "String", "refresh_count": "Integer"}

    def configure(
        self, in_specs: list[Any], settings: RefreshButtonWidgetSettings, ctx: NodeContext
    ) -> list[Any]:
        return [UNKNOWN]

    def execute(
        self, inputs: list[Any], settings: RefreshButtonWidgetSettings, ctx: NodeContext
    ) -> list[Any]:
        text = resolved_text(settings.buttonText, ctx, "buttonText")
        ctx.push_variable("refresh_widget", text, "String")
        ctx.push_variable("refresh_count", 0, "Integer")
        return [None]


# --------------------------------------------------------------------------- Text Output Widget


class TextOutputWidgetSettings(TextOutputSettings):
    """TextOutputWidgetConfig: the keys of the legacy Text Output's TextOutputConfig."""


class TextOutputWidget(Node):
    """KNIME's Text Output Widget (TextOutputWidgetNodeModel): a text on a component's page, with
    flow variables filled in. KNIME's node has no output port; knitflow shows the text as a view."""

    type_name = "text_output_widget"
    display_name = "Text Output Widget"
    category = Category.VISUALIZER
    description = (
        "Shows a text, with flow variable references $${Sname}$$, $${Iname}$$ and $${Dname}$$ replaced by their "
        "values (a missing or wrongly typed variable fails the node), as a one-cell table titled by the label; "
        "an HTML text is kept as HTML source, not rendered."
    )
    keywords = ("text", "output", "widget", "report", "html", "label", "component page")
    knime = (
        KnimeMapping(
            _WIDGET + "output.text.TextOutputWidgetNodeFactory",
            "Text Output Widget",
            text_output_from_knime,
        ),
    )
    inputs = (OPTIONAL_VARIABLES_IN,)
    outputs = (Port(VIEW, "Text", "The resolved text."),)
    Settings = TextOutputWidgetSettings

    def configure(
        self, in_specs: list[Any], settings: TextOutputWidgetSettings, ctx: NodeContext
    ) -> list[Any]:
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: TextOutputWidgetSettings, ctx: NodeContext) -> list[Any]:
        return [text_output_view(settings, ctx, self.display_name)]


# ---------------------------------------------------------------------------------------- List Box

# ListBoxNodeUtil.getSeparatorRegex's refusal of an escape other than \n and \t
_BAD_ESCAPE = "A back slash must not be followed by a char other than n or t; ignore the separator."


class ListBoxWidgetSettings(NodeSettings):
    """ListBoxInputWidgetConfig / ListBoxInputDialogNodeConfig with ListBoxNodeConfig."""

    flowVariableName: str = Field(
        "list-box-input",
        description="Name of the String flow variable holding the whole text, and of the table's column.",
    )
    defaultValue: str = Field(
        "", description="The text (KNIME: `defaultValue.string`) the node splits into the table's rows."
    )
    separator: str | None = Field(
        "\\n",
        description="Each character separates two values; `\\n` and `\\t` stand for a line break and a tab (a "
        "backslash before any other character fails the node). Empty: one value. null (how KNIME reads a node "
        "saved without one): one value, with KNIME's warning `Auto guessing separator.`",
    )
    separate_each_character: bool = Field(False, description="Every character is a value of its own.")
    omit_empty: bool = Field(True, description="Leave empty values out of the table.")
    regex: str = Field("", description="A Java regular expression every value must match (empty: any value).")
    error_message: str = Field(
        "", description="The error when a value does not match `regex`; each `?` becomes the value."
    )
    enforceRegex: bool = Field(
        True,
        description="A value that does not match `regex` fails the node (the List Box Configuration). The List "
        "Box Widget checks `regex` only on its page, so a run never fails on it: off.",
    )


def _list_box_from_knime(enforce_regex: bool) -> Callable[[KnimeSettings], None]:
    def translate(knime: KnimeSettings) -> None:
        take_variable_name(knime)
        knime.take("defaultValue", "defaultValue.string", transform=lambda v: "" if v is None else str(v))
        knime.take("separator", transform=lambda v: None if v is None else str(v))
        knime.take_all(["separate_each_character", "omit_empty", "regex", "error_message"])
        knime.put("enforceRegex", enforce_regex)
        knime.unread(under="defaultValue")
        # seperator_regex (KNIME's spelling) is derived from `separator` whenever the node runs;
        # number_visible_options sizes the list box on the page
        knime.unread(*_PRESENTATION_KEYS, "seperator_regex", "number_visible_options")

    return translate


def _separator_pattern(separator: str | None, cls: type[NodeError]) -> re.Pattern[str] | None:
    """ListBoxNodeUtil.getSeparatorRegex: each character a separator of its own, `\\n` and `\\t`
    escapes, a trailing backslash itself; None: no splitting."""
    if not separator:
        return None
    pieces, i = [], 0
    while i < len(separator):
        ch = separator[i]
        if ch == "\\" and i + 1 < len(separator):
            if separator[i + 1] not in "nt":
                raise cls(_BAD_ESCAPE, setting="separator")
            pieces.append("\n" if separator[i + 1] == "n" else "\t")
            i += 2
            continue
        pieces.append(ch)
        i += 1
    return re.compile("|".join(re.escape(p) for p in pieces))


def _with_value(message: str, value: str) -> str:
    """`message.replaceAll("[?]", value)`: the value as a Java replacement ($ and \\ escapes)."""
    return re.sub(r"\?", lambda m: java_replacement(m, value), message)


def _list_box_values(settings: ListBoxWidgetSettings, cls: type[NodeError]) -> list[str]:
    """ListBoxNodeUtil.getSeparatedValues, then the configuration node's regex check (KNIME's
    messages)."""
    text = settings.defaultValue
    if settings.separate_each_character:
        values = list(text) or [""]  # Java's split(""): "" gives one empty string
    else:
        pattern = None if settings.separator is None else _separator_pattern(settings.separator, cls)
        values = [text] if pattern is None else pattern.split(text)  # split(regex, -1): trailing ones kept
    if settings.omit_empty:
        values = [v for v in values if v]
    if settings.enforceRegex and settings.regex:
        try:
            matcher = java_regex(settings.regex)
        except JavaError as exc:
            raise cls(f"Invalid regex {settings.regex!r}: {exc}", setting="regex") from None
        for i, value in enumerate(values, start=1):
            if not matcher.fullmatch(value):
                message = _with_value(settings.error_message, value)
                raise cls(f"Value {i} is not valid:\n{message}", setting="defaultValue")
    return values


class ListBoxWidget(Node):
    """KNIME's List Box Widget and List Box Configuration (ListBoxWidgetNodeModel,
    ListBoxDialogNodeModel): a text split into a one-column table, and the text as a variable."""

    type_name = "list_box_widget"
    display_name = "List Box Widget"
    category = Category.SOURCE
    description = (
        "Splits a text (`defaultValue`) at the `separator` characters (`\\n`: line break, `\\t`: tab; or into single "
        "characters) and outputs the values as a table with one String column named after `flowVariableName` "
        "(RowIDs Row0, Row1, ...; empty values left out with `omit_empty`). Also creates a String flow variable of "
        "that name holding the whole, unsplit text. With `regex` (and `enforceRegex`) a value that does not match "
        "fails the node. Stands for KNIME's List Box Widget and List Box Configuration."
    )
    keywords = ("flow variable", "widget", "configuration", "parameter", "list", "text area", "component")
    knime = (
        KnimeMapping(
            _WIDGET + "input.listbox.ListBoxWidgetNodeFactory", "List Box Widget", _list_box_from_knime(False)
        ),
        KnimeMapping(
            _CONFIGURATION + "input.listbox.ListBoxDialogNodeFactory",
            "List Box Configuration",
            _list_box_from_knime(True),
        ),
    )
    inputs = ()
    outputs = (Port(TABLE, "Values", "One String column, one row per value."),)
    Settings = ListBoxWidgetSettings

    def configure_variables(self, in_specs: list[Any], settings: ListBoxWidgetSettings) -> dict[str, str]:
        return {settings.flowVariableName: "String"}

    def configure(self, in_specs: list[Any], settings: ListBoxWidgetSettings, ctx: NodeContext) -> list[Any]:
        _check_name(settings.flowVariableName, ConfigureError)
        _list_box_values(settings, ConfigureError)
        return [TableSpec.of([(settings.flowVariableName, ColumnType.STRING)])]

    def execute(self, inputs: list[Any], settings: ListBoxWidgetSettings, ctx: NodeContext) -> list[Any]:
        _check_name(settings.flowVariableName, NodeError)
        values = _list_box_values(settings, NodeError)
        if settings.separator is None:
            ctx.warn("Auto guessing separator.")
        ctx.push_variable(settings.flowVariableName, settings.defaultValue, "String")
        name = settings.flowVariableName
        frame = pd.DataFrame({name: pd.Series(values, index=row_ids(len(values)), dtype=object)})
        return [Table(frame, {name: ColumnType.STRING})]


# --------------------------------------------------------------------------------------- Date&Time

_DATE_TIME_TYPES = ("LOCAL_DATE", "LOCAL_TIME", "LOCAL_DATE_TIME", "ZONED_DATE_TIME")
_DATE = r"(?P<date>\d{4}-\d{2}-\d{2})"  # years 1-9999, what Python holds
_TIME = r"(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)"
_ZONED = re.compile(
    _DATE + "T" + _TIME + r"(?P<offset>Z|[+-]\d{2}:\d{2}(?::\d{2})?)(?:\[(?P<region>[^\]]+)\])?"
)
_LOCAL_DATE_TIME = re.compile(_DATE + "T" + _TIME)


@dataclass(frozen=True)
class _DateTime:
    """A java.time.ZonedDateTime: its local date-time (microseconds), its offset and its zone's
    region id (None when the zone is an offset)."""

    local: dt.datetime
    offset: dt.timedelta
    region: str | None = None

    def instant(self) -> dt.datetime:
        return self.local - self.offset


def _parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _parse_time(text: str) -> dt.time:
    """HH:mm[:ss[.fraction]]; a fraction beyond microseconds is cut off."""
    clock, _, fraction = text.partition(".")
    parts = [int(p) for p in clock.split(":")]
    micro = int((fraction + "000000")[:6]) if fraction else 0
    return dt.time(parts[0], parts[1], parts[2] if len(parts) > 2 else 0, micro)


def _offset_of(text: str) -> dt.timedelta:
    if text == "Z":
        return dt.timedelta(0)
    sign = -1 if text[0] == "-" else 1
    hours, minutes, *seconds = (int(p) for p in text[1:].split(":"))
    return sign * dt.timedelta(hours=hours, minutes=minutes, seconds=seconds[0] if seconds else 0)


def _offset_text(offset: dt.timedelta) -> str:
    """ZoneOffset.getId: Z, +HH:MM or +HH:MM:SS."""
    total = int(offset.total_seconds())
    if total == 0:
        return "Z"
    sign, total = ("-" if total < 0 else "+"), abs(total)
    text = f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"
    return text + (f":{total % 60:02d}" if total % 60 else "")


def _zoned(text: str) -> _DateTime | None:
    """ZonedDateTime.parse of ZonedDateTime.toString's text; None when it is not one."""
    match = _ZONED.fullmatch(text.strip())
    if match is None:
        return None
    local = dt.datetime.combine(_parse_date(match["date"]), _parse_time(match["time"]))
    return _DateTime(local, _offset_of(match["offset"]), match["region"])


def _system_zone() -> str | None:
    """ZoneId.systemDefault's region id, as the JVM finds it (TZ, /etc/timezone, the
    /etc/localtime link); None: only the offset is known."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    link = os.path.realpath("/etc/localtime")
    if "zoneinfo/" in link:
        candidates.append(link.split("zoneinfo/", 1)[1])
    for name in candidates:
        if name:
            with contextlib.suppress(ValueError, zoneinfo.ZoneInfoNotFoundError):
                zoneinfo.ZoneInfo(name)
                return name
    return None


def _now(millis: bool) -> _DateTime:
    """ZonedDateTime.now() in the system zone (DateTimeUtils.nowZonedDateTimeMillis: to millis)."""
    region = _system_zone()
    now = dt.datetime.now(zoneinfo.ZoneInfo(region)) if region else dt.datetime.now().astimezone()
    if millis:
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    return _DateTime(now.replace(tzinfo=None), now.utcoffset() or dt.timedelta(0), region)


def _bound(text: str, kind: str, now: _DateTime, setting: str, cls: type[NodeError]) -> _DateTime:
    """DateNodeConfig.parseZonedDateTime: a zoned date-time, or for the local types a local
    date-time (in the system zone), a date (with the current time) or a time (today)."""
    zoned = _zoned(text)
    if zoned is not None:
        return zoned
    text = text.strip()
    refused = cls(f"'{text}' could not be parsed as {kind}.", setting=setting)
    try:
        if _LOCAL_DATE_TIME.fullmatch(text):
            if kind == "ZONED_DATE_TIME":
                raise refused
            date, _, clock = text.partition("T")
            return _DateTime(
                dt.datetime.combine(_parse_date(date), _parse_time(clock)), now.offset, now.region
            )
        if re.fullmatch(_DATE, text):
            if kind != "LOCAL_DATE":
                raise refused
            return _DateTime(dt.datetime.combine(_parse_date(text), now.local.time()), now.offset, now.region)
        if re.fullmatch(_TIME, text):
            if kind != "LOCAL_TIME":
                raise refused
            return _DateTime(dt.datetime.combine(now.local.date(), _parse_time(text)), now.offset, now.region)
    except ValueError:
        pass
    raise cls(f"'{text}' could not be parsed as a date, time, or date&time with zone.", setting=setting)


def _iso_time(value: dt.time) -> str:
    """DateTimeFormatter.ISO_LOCAL_TIME: seconds always, the fraction without trailing zeros."""
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return text + (f".{value.microsecond:06d}".rstrip("0") if value.microsecond else "")


def _iso_text(value: _DateTime, kind: str) -> str:
    """DateNodeUtil's formatters (ISO_DATE, ISO_TIME, ISO_DATE_TIME, ISO_ZONED_DATE_TIME)."""
    date, clock = java_date_text(value.local.date()), _iso_time(value.local.time())
    if kind == "LOCAL_DATE":
        return date
    if kind == "LOCAL_TIME":
        return clock
    if kind == "LOCAL_DATE_TIME":
        return f"{date}T{clock}"
    return f"{date}T{clock}{_offset_text(value.offset)}" + (f"[{value.region}]" if value.region else "")


def _java_text(value: _DateTime, kind: str) -> str:
    """The `toString` of the compared temporal (LocalDate, LocalTime, LocalDateTime, ZonedDateTime)."""
    if kind == "LOCAL_DATE":
        return date_time_text(value.local.date())
    if kind == "LOCAL_TIME":
        return date_time_text(value.local.time())
    text = date_time_text(value.local)
    if kind == "LOCAL_DATE_TIME":
        return text
    return text + _offset_text(value.offset) + (f"[{value.region}]" if value.region else "")


def _comparable(value: _DateTime, kind: str) -> Any:
    if kind == "LOCAL_DATE":
        return value.local.date()
    if kind == "LOCAL_TIME":
        return value.local.time()
    return value.local if kind == "LOCAL_DATE_TIME" else value.instant()


class DateTimeWidgetSettings(NodeSettings):
    """DateInputWidgetConfig / DateInputDialogNodeConfig with DateNodeConfig; `defaultValue` is
    DateNodeValue's `date&time`."""

    flowVariableName: str = Field(
        "date-input", description="Name of the String flow variable the node creates."
    )
    defaultValue: str | None = Field(
        None,
        description="The date&time as KNIME saves it (ZonedDateTime text, e.g. `2024-03-05T14:30+01:00[Europe/"
        "Berlin]`); the variable holds the part `date_time_type` names.",
    )
    date_time_type: Literal["LOCAL_DATE", "LOCAL_TIME", "LOCAL_DATE_TIME", "ZONED_DATE_TIME"] = Field(
        "LOCAL_DATE_TIME",
        description="What the variable holds: a date (2024-03-05), a time (14:30:00), a date&time "
        "(2024-03-05T14:30:00) or a date&time with zone (2024-03-05T14:30:00+01:00[Europe/Berlin]).",
    )
    use_default_exec_time: bool = Field(
        False, description="Take the time of execution (in the system's zone) instead of `defaultValue`."
    )
    use_min: bool = Field(False, description="The value must not be before `min`.")
    use_max: bool = Field(False, description="The value must not be after `max`.")
    use_min_exec_time: bool = Field(
        False, description="The time of execution is the minimum instead of `min`."
    )
    use_max_exec_time: bool = Field(
        False, description="The time of execution is the maximum instead of `max`."
    )
    min: str = Field("", description="The earliest value allowed (with `use_min`), in KNIME's text.")
    max: str = Field("", description="The latest value allowed (with `use_max`), in KNIME's text.")
    nowInMillis: bool = Field(
        True,
        description="The time of execution to the millisecond (the widget); off: as precise as the clock (the "
        "configuration node).",
    )


def _date_time_from_knime(widget_node: bool) -> Callable[[KnimeSettings], None]:
    def translate(knime: KnimeSettings) -> None:
        take_variable_name(knime)
        knime.take(
            "defaultValue", "defaultValue.date&time", transform=lambda v: None if v is None else str(v)
        )
        knime.take_all(
            [
                "date_time_type",
                "use_default_exec_time",
                "use_min",
                "use_max",
                "use_min_exec_time",
                "use_max_exec_time",
                "min",
                "max",
            ]
        )
        knime.put("nowInMillis", widget_node)
        knime.unread(under="defaultValue")
        # show_now: the page's "now" button; granularity: how finely the page's picker sets the time
        knime.unread(*_PRESENTATION_KEYS, "show_now", "granularity")

    return translate


class DateTimeWidget(_VariableWidget):
    """KNIME's Date&Time Widget and Date&Time Configuration (DateWidgetNodeModel,
    DateDialogNodeModel): a date, time or date&time as a String variable in ISO format."""

    type_name = "date_time_widget"
    display_name = "Date&Time Widget"
    description = (
        "Creates a String flow variable (`flowVariableName`) holding a date, a time, a date&time or a date&time "
        "with zone (`date_time_type`) in ISO format (2024-03-05, 14:30:00, 2024-03-05T14:30:00, "
        "2024-03-05T14:30:00+01:00[Europe/Berlin]), taken from `defaultValue` or, with `use_default_exec_time`, "
        "the time of execution. A value before `min` or after `max` (either can be the time of execution) fails "
        "the node. Stands for KNIME's Date&Time Widget and Date&Time Configuration."
    )
    keywords = ("flow variable", "widget", "configuration", "parameter", "date", "time", "calendar", "now")
    knime = (
        KnimeMapping(
            _WIDGET + "input.date.DateWidgetNodeFactory", "Date&Time Widget", _date_time_from_knime(True)
        ),
        KnimeMapping(
            _CONFIGURATION + "input.date.DateDialogNodeFactory",
            "Date&Time Configuration",
            _date_time_from_knime(False),
        ),
    )
    Settings = DateTimeWidgetSettings

    def cacheable(self, settings: Any) -> bool:
        """Not when the value or a bound is the time of execution."""
        s: DateTimeWidgetSettings = settings
        return not (s.use_default_exec_time or s.use_min_exec_time or s.use_max_exec_time)

    def value(self, settings: DateTimeWidgetSettings, now: _DateTime, cls: type[NodeError]) -> _DateTime:
        if settings.use_default_exec_time:
            return now
        if settings.defaultValue is None:
            raise cls("no date&time is set", setting="defaultValue")
        value = _zoned(settings.defaultValue)
        if value is None:  # DateNodeValue.loadFromNodeSettings
            raise cls(f"Can't parse date: {settings.defaultValue}", setting="defaultValue")
        return value

    def problem(
        self, settings: DateTimeWidgetSettings, value: _DateTime, now: _DateTime, cls: type[NodeError]
    ) -> str | None:
        """DateNodeUtil.validateMinMaxByConfig's message, None when the value is allowed."""
        kind = settings.date_time_type
        if settings.use_min:
            low = now if settings.use_min_exec_time else _bound(settings.min, kind, now, "min", cls)
            if _comparable(value, kind) < _comparable(low, kind):
                return f"The set date&time '{_java_text(value, kind)}' must not be before '{_java_text(low, kind)}'."
        if settings.use_max:
            high = now if settings.use_max_exec_time else _bound(settings.max, kind, now, "max", cls)
            if _comparable(value, kind) > _comparable(high, kind):
                return f"The set date&time '{_java_text(value, kind)}' must not be after '{_java_text(high, kind)}'."
        return None

    def check(self, settings: DateTimeWidgetSettings, cls: type[NodeError]) -> None:
        """When configured, a value outside the bounds only warns in KNIME if the time of execution
        is involved (the run then fails); otherwise it fails at once."""
        now = _now(settings.nowInMillis)
        value = self.value(settings, now, cls)
        message = self.problem(settings, value, now, cls)
        if message and not (cls is ConfigureError and not self.cacheable(settings)):
            raise cls(message, setting="defaultValue")
        if not settings.flowVariableName.strip():
            raise cls("the flow variable name is empty", setting="flowVariableName")

    def configure_variables(self, in_specs: list[Any], settings: DateTimeWidgetSettings) -> dict[str, str]:
        return {settings.flowVariableName: "String"}

    def variable(self, settings: DateTimeWidgetSettings) -> tuple[str, Any, str]:
        now = _now(settings.nowInMillis)
        text = _iso_text(self.value(settings, now, NodeError), settings.date_time_type)
        return settings.flowVariableName, text, "String"


# ------------------------------------------------------------------------------------------ String


class StringWidgetSettings(NodeSettings):
    """StringInputWidgetConfig / StringInputDialogNodeConfig with StringNodeConfig."""

    flowVariableName: str = Field(
        "string-input", description="Name of the String flow variable the node creates."
    )
    defaultValue: str = Field("", description="The value (KNIME: `defaultValue.string`).")
    regex: str = Field(
        "",
        description="A Java regular expression the whole value must match (single-line editor only); empty: any "
        "value.",
    )
    error_message: str = Field(
        "", description="The error when the value does not match `regex`; each `?` becomes the value."
    )
    editorType: Literal["Single-line", "Multi-line"] = Field(
        "Single-line",
        description="Single-line or Multi-line; `regex` applies to the single-line editor only.",
    )


class StringWidget(_VariableWidget):
    """KNIME's String Widget and String Configuration (StringWidgetNodeModel, StringDialogNodeModel)."""

    type_name = "string_widget"
    display_name = "String Widget"
    description = (
        "Creates one String flow variable (`flowVariableName`) holding `defaultValue`; with the single-line editor "
        "a `regex` the whole value must match fails the node with `error_message`. Stands for KNIME's String "
        "Widget and String Configuration."
    )
    keywords = ("flow variable", "widget", "configuration", "parameter", "string", "text", "component")
    knime = _widget_mappings(
        ("input.string.StringWidgetNodeFactory", "String Widget"),
        ("input.string.StringDialogNodeFactory", "String Configuration"),
        "string",
        "regex",
        "error_message",
        "editorType",
        value=lambda v: "" if v is None else str(v),  # a null string is pushed as ""
        layout=("multilineEditorWidth", "multilineEditorHeight"),
    )
    Settings = StringWidgetSettings

    def check(self, settings: StringWidgetSettings, cls: type[NodeError]) -> None:
        """validateViewValue / validateDialogValue: `String.matches(regex)`, the message with `?`
        replaced by the value."""
        if settings.editorType == "Single-line" and settings.regex:
            try:
                pattern = java_regex(settings.regex)
            except JavaError as exc:
                raise cls(f"Invalid regex {settings.regex!r}: {exc}", setting="regex") from None
            if not pattern.fullmatch(settings.defaultValue):
                raise cls(_with_value(settings.error_message, settings.defaultValue), setting="defaultValue")
        super().check(settings, cls)

    def variable(self, settings: StringWidgetSettings) -> tuple[str, Any, str]:
        return settings.flowVariableName, settings.defaultValue, "String"


# ------------------------------------------------------------------------------------------ Integer


class IntegerConfigurationSettings(NodeSettings):
    """IntegerInputDialogNodeConfig with IntegerNodeConfig."""

    flowVariableName: str = Field("integer-input", description="Name of the flow variable the node creates.")
    defaultValue: int = Field(0, description="The value of the Integer variable.")
    useMin: bool = Field(False, description="The value must not be below `min`.")
    useMax: bool = Field(False, description="The value must not be above `max`.")
    min: int = Field(0, description="The smallest value allowed (with `useMin`).")
    max: int = Field(100, description="The largest value allowed (with `useMax`).")


class IntegerConfiguration(_VariableWidget):
    """KNIME's Integer Configuration outside a component (IntegerDialogNodeModel); inside one the
    engine makes it an option of the component. (The Integer Widget runs as integer_input.)"""

    type_name = "integer_configuration"
    display_name = "Integer Configuration"
    description = (
        "Creates one Integer flow variable (`flowVariableName`) holding `defaultValue`; a value outside the "
        "optional `min`/`max` bounds fails the node. Stands for KNIME's Integer Configuration."
    )
    keywords = ("flow variable", "configuration", "parameter", "integer", "number", "component")
    knime = (
        KnimeMapping(
            _CONFIGURATION + "input.integer.IntegerDialogNodeFactory",
            "Integer Configuration",
            _dialog_translator("integer", "useMin", "useMax", "min", "max"),
        ),
    )
    Settings = IntegerConfigurationSettings

    def check(self, settings: IntegerConfigurationSettings, cls: type[NodeError]) -> None:
        _check_min_max(settings, "integer", str, cls)
        super().check(settings, cls)

    def variable(self, settings: IntegerConfigurationSettings) -> tuple[str, Any, str]:
        return settings.flowVariableName, settings.defaultValue, "Integer"


# -------------------------------------------------------------------------------------- Credentials


class CredentialsWidgetSettings(NodeSettings):
    """CredentialsInputWidgetConfig / CredentialsInputDialogNodeConfig: only the variable's name
    (the user name and password are not carried over)."""

    flowVariableName: str = Field(
        "credentials-input", description="Name of the credentials flow variable KNIME's node creates."
    )


def _credentials_from_knime(knime: KnimeSettings) -> None:
    take_variable_name(knime)
    name = knime.settings.get("flowVariableName")
    knime.lost(
        f"the node pushes the credentials flow variable {name!r}; knitflow has no credentials, so it fails"
    )
    # the user name, the (encrypted) password and their options are deliberately not read
    knime.unread(*[k for k in knime.tree if k not in ("flowVariableName", "flowvariablename")])


class CredentialsWidget(Node):
    """KNIME's Credentials Widget and Credentials Configuration: knitflow has no credentials flow
    variables, so the node fails with a message saying so rather than running without them."""

    type_name = "credentials_widget"
    display_name = "Credentials Widget"
    category = Category.SOURCE
    description = (
        "Stands for KNIME's Credentials Widget and Credentials Configuration, which push a credentials flow "
        "variable (user name and password); knitflow has no credentials, so the node fails."
    )
    keywords = ("widget", "configuration", "credentials", "password", "login", "user")
    knime = (
        KnimeMapping(
            _WIDGET + "input.credentials.CredentialsWidgetNodeFactory",
            "Credentials Widget",
            _credentials_from_knime,
        ),
        KnimeMapping(
            _CONFIGURATION + "input.credentials.CredentialsDialogNodeFactory",
            "Credentials Configuration",
            _credentials_from_knime,
        ),
    )
    inputs = ()
    outputs = (Port(VARIABLES, "Credentials", "The credentials flow variable (not supported)."),)
    Settings = CredentialsWidgetSettings

    def _refuse(self, settings: CredentialsWidgetSettings, cls: type[NodeError]) -> NodeError:
        return cls(
            f"{self.display_name}: knitflow does not support credentials flow variables "
            f"({settings.flowVariableName!r} cannot be created)"
        )

    def configure(
        self, in_specs: list[Any], settings: CredentialsWidgetSettings, ctx: NodeContext
    ) -> list[Any]:
        raise self._refuse(settings, ConfigureError)

    def execute(self, inputs: list[Any], settings: CredentialsWidgetSettings, ctx: NodeContext) -> list[Any]:
        raise self._refuse(settings, NodeError)
