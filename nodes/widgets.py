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

from engine.api import (
    UNKNOWN,
    VARIABLES,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._java_text import java_double_to_string

_WIDGET = "org.knime.js.base.node.widget."
_CONFIGURATION = "org.knime.js.base.node.configuration."

# What only shapes the page or the component dialog: LabeledConfig (label, description,
# required), WidgetConfig (hideInWizard, customCSS), DialogNodeConfig (parameterName,
# hideInDialog) and ReExecutableConfig (trigger_reexecution: the page re-runs the component
# when the value changes). None of them changes the value pushed.
_PRESENTATION_KEYS = (
    "label",
    "description",
    "required",
    "hideInWizard",
    "customCSS",
    "parameterName",
    "hideInDialog",
    "trigger_reexecution",
)


def _widget_from_knime(
    value_key: str,
    *keys: str,
    value: Callable[[Any], Any] | None = None,
    pushes_int_by_default: bool = False,
    layout: tuple[str, ...] = (),
) -> Callable[[KnimeSettings], None]:
    """A widget's or configuration node's translator: `defaultValue.<value_key>` as `defaultValue`,
    the variable name (FlowVariableConfig's `flowVariableName`; the QuickForm-era spelling
    `flowvariablename` when a file has that), the given keys as they are; `layout` names keys that
    only arrange the control (dropdown or radio buttons, how many options show)."""

    def translate(knime: KnimeSettings) -> None:
        name_key = "flowVariableName" if "flowVariableName" in knime.tree else "flowvariablename"
        knime.take("flowVariableName", name_key)
        knime.take("defaultValue", f"defaultValue.{value_key}", transform=value)
        if pushes_int_by_default:
            # BooleanNodeConfig.loadSettings: a node saved before KNIME 4.1 has no `pushIntVar`
            # and keeps pushing an Integer
            knime.take("pushIntVar", default=True)
        knime.take_all(list(keys))
        knime.unread(under="defaultValue")
        knime.unread(*_PRESENTATION_KEYS, *layout)

    return translate


class _VariableWidget(Node):
    """A widget without inputs whose one variable output carries the variable it pushes when
    configured and when executed (WidgetFlowVariableNodeModel, DialogFlowVariableNodeModel)."""

    category = Category.SOURCE
    outputs = (Port(VARIABLES, "Variable", "The widget's flow variable."),)

    def variable(self, settings: Any) -> tuple[str, Any, str]:
        """(name, value, variable type)."""
        raise NotImplementedError

    def refusal(self, settings: Any) -> tuple[str, str] | None:
        """(message, setting) when KNIME refuses the value (validateViewValue), else None."""
        return None

    def _checked(self, settings: Any, error: type[NodeError]) -> tuple[str, Any, str]:
        refused = self.refusal(settings)
        if refused is not None:
            raise error(refused[0], setting=refused[1])
        name, value, vtype = self.variable(settings)
        if not name.strip():
            raise error("the flow variable name is empty", setting="flowVariableName")
        return name, value, vtype

    def configure_variables(self, in_specs: list[Any], settings: Any) -> dict[str, str]:
        name, _, vtype = self.variable(settings)
        return {name: vtype}

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        self._checked(settings, ConfigureError)
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        ctx.push_variable(*self._checked(settings, NodeError))
        return [None]


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
    knime = (
        KnimeMapping(
            _WIDGET + "input.bool.BooleanWidgetNodeFactory",
            "Boolean Widget",
            # `type`: checkbox or radio buttons (5.5)
            _widget_from_knime("boolean", pushes_int_by_default=True, layout=("type",)),
        ),
        KnimeMapping(
            _CONFIGURATION + "input.bool.BooleanDialogNodeFactory",
            "Boolean Configuration",
            _widget_from_knime("boolean", pushes_int_by_default=True, layout=("type",)),
        ),
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
    knime = (
        KnimeMapping(
            _WIDGET + "input.dbl.DoubleWidgetNodeFactory",
            "Double Widget",
            _widget_from_knime("double", "useMin", "useMax", "min", "max"),
        ),
        KnimeMapping(
            _CONFIGURATION + "input.dbl.DoubleDialogNodeFactory",
            "Double Configuration",
            _widget_from_knime("double", "useMin", "useMax", "min", "max"),
        ),
    )
    Settings = DoubleWidgetSettings

    def refusal(self, settings: DoubleWidgetSettings) -> tuple[str, str] | None:
        """The value against the bounds that are switched on, in KNIME's words and Java's number text."""
        value = settings.defaultValue
        text = java_double_to_string
        if settings.useMin and value < settings.min:
            return (
                f"The set double {text(value)} is smaller than the allowed minimum of {text(settings.min)}",
                "defaultValue",
            )
        if settings.useMax and value > settings.max:
            return (
                f"The set double {text(value)} is bigger than the allowed maximum of {text(settings.max)}",
                "defaultValue",
            )
        return None

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
    knime = (
        KnimeMapping(
            _WIDGET + "selection.single.SingleSelectionWidgetNodeFactory",
            "Single Selection Widget",
            _widget_from_knime(
                "variable_value",
                "possible_choices",
                value=_first_selected,
                # the control (dropdown, list, radio buttons) and how many options it shows
                layout=("type", "limit_number_visible_options", "number_visible_options"),
            ),
        ),
        KnimeMapping(
            _CONFIGURATION + "selection.single.SingleSelectionDialogNodeFactory",
            "Single Selection Configuration",
            _widget_from_knime(
                "variable_value",
                "possible_choices",
                value=_first_selected,
                layout=("type", "limit_number_visible_options", "number_visible_options"),
            ),
        ),
    )
    Settings = SingleSelectionWidgetSettings

    def refusal(self, settings: SingleSelectionWidgetSettings) -> tuple[str, str] | None:
        if settings.defaultValue is None:
            return "no value is selected", "defaultValue"
        return None

    def variable(self, settings: SingleSelectionWidgetSettings) -> tuple[str, Any, str]:
        return settings.flowVariableName, settings.defaultValue or "", "String"
