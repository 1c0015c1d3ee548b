"""KNIME's configuration nodes inside a component (Integer, Double, String, Boolean, Column
Selection and Single Selection Configuration, org.knime.js.base.node.configuration.*) become the
knitflow component's `configuration`: each one a typed option whose flow variable the component's
nodes see. The node itself goes (it only made that variable), with its connections."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from engine.api.knime import seq
from engine.core.metanodes import ConfigurationOption
from engine.knime.archive import TEMPLATE_PORTS, KnimeConnection

if TYPE_CHECKING:
    from engine.knime.archive import KnimeNode, KnimeWorkflow
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
# the QuickForm nodes before 4.x's configuration nodes: knitflow runs them as nodes that push their value
_QUICKFORMS = "org.knime.js.base.node.quickform."


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
    # QuickForms write `flowvariablename`, the newer configuration nodes `flowVariableName`
    variable = model.get("flowvariablename") or model.get("flowVariableName")
    name = str(variable or model.get("parameterName") or f"option_{node.id}")
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


def component_boundary(
    node: KnimeNode, report: ImportReport
) -> tuple[KnimeWorkflow, dict[str, list[str] | None]]:
    """A component's workflow without its input and output nodes (their ports become the
    component's `in:K` / `out:K`), and their variable filters as `variables_in` / `variables_out`."""
    assert node.inner is not None
    inner = node.inner
    by_id: dict[int | None, KnimeNode] = {n.id: n for n in inner.nodes}
    scope = {
        "variables_in": variable_filter(by_id.get(node.virtual_in), report),
        "variables_out": variable_filter(by_id.get(node.virtual_out), report),
    }
    rewired = []
    for c in inner.connections:
        if c.source == node.virtual_in:
            if c.source_port == 0:
                continue  # the component's flow variables reach its nodes through their inputs
            c = KnimeConnection(TEMPLATE_PORTS, c.source_port, c.dest, c.dest_port)
        if c.dest == node.virtual_out:
            if c.dest_port == 0:
                continue
            c = KnimeConnection(c.source, c.source_port, TEMPLATE_PORTS, c.dest_port)
        rewired.append(c)
    virtual = {node.virtual_in, node.virtual_out}
    nodes = [n for n in inner.nodes if n.id not in virtual]
    return replace(inner, nodes=nodes, connections=rewired), scope


def _kept_as_node(factory: str) -> bool:
    """A dialog node that stays a node inside a component: a QuickForm, or a configuration node the
    component's options cannot express (a table in or out, several variables, a type filter)."""
    return factory.startswith(_QUICKFORMS) or (
        factory.startswith(_BASE) and factory not in CONFIGURATION_NODES
    )


def quickform_values(inner: KnimeWorkflow, component: KnimeNode, report: ImportReport) -> KnimeWorkflow:
    """A QuickForm or configuration node kept as a node inside a component (or wrapped metanode)
    takes the value the component's dialog gave it, which KNIME keeps in the component's settings
    under `<parameter name>-<node id>` (the configuration nodes' as `currentValue` in newer
    versions) and uses instead of the node's own default (getRelevantValue)."""
    given = {str(k).rsplit("-", 1)[-1]: v for k, v in component.model.items() if isinstance(v, dict)}
    nodes = []
    for node in inner.nodes:
        value = given.get(str(node.id)) if _kept_as_node(node.factory) else None
        if isinstance(value, dict) and not node.factory.startswith(_QUICKFORMS):
            value = value.get("currentValue", value)
        if isinstance(value, dict):
            model = {**node.model, "defaultValue": value}
            if "use_default_exec_time" in model:  # Date&Time: the dialog's value wins over the clock
                model["use_default_exec_time"] = False
            node = replace(node, model=model)
            report.add(
                "note", f"{node.name}: the value set in its component's dialog replaces its default", node
            )
        nodes.append(node)
    return replace(inner, nodes=nodes)


def component_configuration(
    inner: KnimeWorkflow, component: KnimeNode, report: ImportReport
) -> tuple[KnimeWorkflow, list[ConfigurationOption], dict[str, Any]]:
    """The configuration nodes as options (and the values the component's dialog gave them); the
    nodes themselves go with their connections."""
    inner = quickform_values(inner, component, report)
    options, values = [], {}
    for config_node in [n for n in inner.nodes if is_configuration_node(n)]:
        option, given = configuration_option(config_node, component, report)
        options.append(option)
        if given is not None and given != option.default:
            values[option.name] = given
    if not options:
        return inner, options, values
    gone = {n.id for n in inner.nodes if is_configuration_node(n)}
    kept = [c for c in inner.connections if c.source not in gone and c.dest not in gone]
    return (
        replace(inner, nodes=[n for n in inner.nodes if n.id not in gone], connections=kept),
        options,
        values,
    )
