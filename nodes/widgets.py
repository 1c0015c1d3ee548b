"""KNIME's widget nodes (the inputs of a component's page, org.knime.js.base.node.widget.*) and the
configuration nodes (org.knime.js.base.node.configuration.*) placed outside a component: Boolean,
Double and Single Selection. Each pushes one flow variable holding its saved default value
(WidgetNodeModel / DialogNodeModel.getRelevantValue without a value set on the page or in a
dialog); knitflow's dialog, or a workflow variable bound to `defaultValue`, stands for that value.

Inside a component the engine makes KNIME's Boolean, Double and Single Selection configuration
nodes the component's own `configuration` (engine/knime/configuration.py) before any mapping here
is consulted; these mappings serve the widgets and configuration nodes it leaves as nodes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from engine.api import VARIABLES, NodeError, NodeSettings, Port
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._java_text import java_double_to_string
from nodes._quickforms import DIALOG_KEYS, VariableSource, check_bounds, value_from_knime

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
    translate = value_from_knime(
        value_key,
        *keys,
        name="flowVariableName",
        name_keys=("flowVariableName", "flowvariablename"),
        value=value,
        also=_push_int_by_default if pushes_int_by_default else None,
        ignored=(*_PRESENTATION_KEYS, *layout),
    )
    return (
        KnimeMapping(_WIDGET + widget[0], widget[1], translate),
        KnimeMapping(_CONFIGURATION + configuration[0], configuration[1], translate),
    )


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
        minimum = settings.min if settings.useMin else None
        maximum = settings.max if settings.useMax else None
        check_bounds(settings.defaultValue, minimum, maximum, "double", java_double_to_string, cls)
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
