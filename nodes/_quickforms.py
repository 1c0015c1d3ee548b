"""What KNIME's QuickForm inputs (nodes.flow_variables), widgets and configuration nodes
(nodes.widgets) have in common: a source node that checks its value and pushes flow variables,
the min/max check of the number inputs, and the translator of their settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.api import UNKNOWN, Category, ConfigureError, Node, NodeContext, NodeError
from engine.api.knime import KnimeSettings

# QuickFormConfig's keys for the wizard page and the component dialog (parameterName names the
# value a component dialog or a REST call may set): they change no value the node pushes
DIALOG_KEYS = (
    "label",
    "description",
    "hideInWizard",
    "hideInDialog",
    "required",
    "parameterName",
    "customCSS",
)


def value_from_knime(
    value_key: str,
    *keys: str,
    name: str = "flowvariablename",
    name_keys: tuple[str, ...] = ("flowvariablename",),
    value: Callable[[Any], Any] | None = None,
    also: Callable[[KnimeSettings], None] | None = None,
    ignored: tuple[str, ...] = DIALOG_KEYS,
) -> Callable[[KnimeSettings], None]:
    """The translator of a node that pushes one value: the variable name as `name` from the first
    of `name_keys` the settings have (the last when none), `defaultValue.<value_key>` as
    `defaultValue` (through `value`), what `also` reads, the given keys as they are; `ignored`
    names the keys that only shape the page or the dialog."""

    def translate(knime: KnimeSettings) -> None:
        knime.take(name, next((key for key in name_keys if key in knime.tree), name_keys[-1]))
        knime.take("defaultValue", f"defaultValue.{value_key}", transform=value)
        if also is not None:
            also(knime)
        knime.take_all(list(keys))
        knime.unread(under="defaultValue")
        knime.unread(*ignored)

    return translate


def check_bounds(
    value: float,
    minimum: float | None,
    maximum: float | None,
    kind: str,
    text: Callable[[Any], str],
    cls: type[NodeError],
) -> None:
    """Int/DoubleInputQuickFormNodeModel.validateViewValue (and the widgets'), KNIME's messages;
    a bound that is switched off is None."""
    if minimum is not None and value < minimum:
        raise cls(
            f"The set {kind} {text(value)} is smaller than the allowed minimum of {text(minimum)}",
            setting="defaultValue",
        )
    if maximum is not None and value > maximum:
        raise cls(
            f"The set {kind} {text(value)} is bigger than the allowed maximum of {text(maximum)}",
            setting="defaultValue",
        )


class VariableSource(Node):
    """A node with no input whose one variable output carries the variables it pushes: it checks its
    value and pushes them when configured and when executed (QuickFormFlowVariableNodeModel,
    WidgetFlowVariableNodeModel, DialogFlowVariableNodeModel)."""

    category = Category.SOURCE

    def variables(self, settings: Any) -> list[tuple[str, Any, str]]:
        """(name, value, type) in push order (the last is on top)."""
        raise NotImplementedError

    def check(self, settings: Any, cls: type[NodeError]) -> None:
        """KNIME's validateViewValue: raise `cls` for a value the node refuses."""

    def configure_variables(self, in_specs: list[Any], settings: Any) -> dict[str, str]:
        return {name: vtype for name, _, vtype in self.variables(settings)}

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        self.check(settings, ConfigureError)
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        self.check(settings, NodeError)
        for name, value, vtype in self.variables(settings):
            ctx.push_variable(name, value, vtype)
        return [None]


# InputSpecFilter.Config's keys (the Column Selection and Column Filter Configuration since 4.1):
# which columns the node offers, by preferred value class and by whether a column has a domain
_INPUT_SPEC_FILTER_KEYS = frozenset({"allow_all_types", "type_filter", "filter_columns_without_domain"})


def take_variable_name(knime: KnimeSettings) -> None:
    """FlowVariableConfig's `flowVariableName` (the QuickForm-era `flowvariablename` when a file
    has that spelling) as `flowVariableName`."""
    key = "flowvariablename" if "flowvariablename" in knime.tree else "flowVariableName"
    knime.take("flowVariableName", key)


def input_spec_filter_from_knime(knime: KnimeSettings, column_type: Callable[[str], str | None]) -> None:
    """A configuration node's InputSpecFilter.Config as `allowedTypes` (None: every type). KNIME
    saves it as one sub-config holding `allow_all_types`, `type_filter` (a boolean per preferred
    value class) and `filter_columns_without_domain`; it is recognised by those keys. Hiding the
    columns without a domain has no counterpart (knitflow's columns carry no domain)."""
    for key, sub in knime.tree.items():
        if not (isinstance(sub, dict) and "allow_all_types" in sub and set(sub) <= _INPUT_SPEC_FILTER_KEYS):
            continue
        if sub.get("allow_all_types", True):
            knime.put("allowedTypes", None, key)
        else:
            flags = sub.get("type_filter") or {}
            chosen = [column_type(k) for k, on in flags.items() if on is True or str(on).lower() == "true"]
            knime.put("allowedTypes", [t for t in chosen if t], key)
        if sub.get("filter_columns_without_domain", False):
            knime.lost(
                f"{key}.filter_columns_without_domain = true (offer only columns with a domain) has no "
                "counterpart in knitflow: every column of an allowed type is offered"
            )
        return
