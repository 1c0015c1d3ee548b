"""KNIME's configuration nodes inside a component (Integer, Double, String, Boolean, Column
Selection and Single Selection Configuration, org.knime.js.base.node.configuration.*) become the
knitflow component's `configuration`: each one a typed option whose flow variable the component's
nodes see. The node itself goes (it only made that variable), with its connections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.api.knime import seq
from engine.core.metanodes import ConfigurationOption

if TYPE_CHECKING:
    from engine.knime.archive import KnimeNode
    from engine.knime.importer import ImportReport

_BASE = "org.knime.js.base.node.configuration."
# factory -> (knitflow option type, the key of the value inside `defaultValue`)
CONFIGURATION_NODES: dict[str, tuple[str, str]] = {
    _BASE + "input.integer.IntegerDialogNodeFactory": ("integer", "integer"),
    _BASE + "input.dbl.DoubleDialogNodeFactory": ("double", "double"),
    _BASE + "input.string.StringDialogNodeFactory": ("string", "string"),
    _BASE + "input.bool.BooleanDialogNodeFactory": ("boolean", "boolean"),
    _BASE + "selection.column.ColumnSelectionDialogNodeFactory": ("column", "column"),
    _BASE + "selection.single.SingleSelectionDialogNodeFactory": ("choice", "variable_value"),
}
_CASTS: dict[str, Any] = {"integer": int, "double": float, "boolean": bool}


def is_configuration_node(node: KnimeNode) -> bool:
    return node.factory in CONFIGURATION_NODES


def _value(kind: str, key: str, holder: Any) -> Any:
    if not isinstance(holder, dict) or key not in holder:
        return None
    value = holder[key]
    if kind == "choice":  # the single selection keeps its value as a one-element string array
        value = value[0] if isinstance(value, list) and value else (value or None)
    cast = _CASTS.get(kind)
    try:
        return cast(value) if cast is not None and value is not None else value
    except (TypeError, ValueError):
        return None


def configuration_option(
    node: KnimeNode, component: KnimeNode, report: ImportReport
) -> tuple[ConfigurationOption, Any]:
    """One configuration node as an option, and the value the component's dialog gave it (KNIME
    keeps it in the component's settings under `<parameter name>-<node id>`), else None."""
    kind, key = CONFIGURATION_NODES[node.factory]
    model = node.model
    name = str(model.get("flowvariablename") or model.get("parameterName") or f"option_{node.id}")
    default = _value(kind, key, model.get("defaultValue"))
    choices = [str(c) for c in model.get("possible_choices") or []] if kind == "choice" else []
    option = ConfigurationOption(
        name=name,
        type=kind,
        default=default,
        title=str(model.get("label") or "") or None,
        description=str(model.get("description") or ""),
        choices=choices,
    )
    given = None
    for k, v in component.model.items():
        if str(k).rsplit("-", 1)[-1] == str(node.id) and isinstance(v, dict):
            given = _value(kind, key, v.get("currentValue", v))
    if default is None and given is None:
        report.add(
            "setting",
            f"configuration {name!r} ({node.name}) has no value; set it in the component's dialog",
            node,
        )
    return option, given


def variable_filter(node: KnimeNode | None, report: ImportReport) -> list[str] | None:
    """A Component Input or Output node's `variable-filter` as the names that pass (None: all):
    knitflow's `variables_in` / `variables_out`."""
    tree = node.model.get("variable-filter") if node is not None else None
    if node is None or not isinstance(tree, dict):
        return None
    included = [str(n) for n in seq(tree.get("included_names"))]
    excluded = [str(n) for n in seq(tree.get("excluded_names"))]
    if tree.get("filter-type", "STANDARD") != "STANDARD":
        report.add(
            "setting", f"variable filter of type {tree.get('filter-type')!r}: every variable passes", node
        )
        return None
    if tree.get("enforce_option") == "EnforceInclusion":
        return included
    if excluded:  # "all but these" also lets through variables unknown when it was configured
        report.add("note", f"variable filter excludes {', '.join(excluded)}; the names it listed pass", node)
        return included
    return None
