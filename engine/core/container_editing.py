"""Editing metanodes and components: the editor's commands scoped to a container's own workflow,
"Create metanode / component" from a selection, "Expand", and a component's configuration.

A command with `scope` ("4" or "4:2", KNIME's path of the container) runs on a `ScopedDoc`: the
inner workflow seen as a document whose own ports `in:K` / `out:K` (node id -1) are typed by the
container's declared ports, so the same rules (typed ports, one connection per input, no cycles)
hold inside as at the top level. Collapse and expand rewire the connections that cross the
container's boundary, so the flattened graph (what runs) stays the same.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from pydantic import PrivateAttr, ValidationError

from engine.api import PortType
from engine.core.document import Connection, NodeEntry, WorkflowDoc, node_ports
from engine.core.editing import CommandError, next_node_id, node_of
from engine.core.metanodes import (
    CONTAINER_TYPES,
    OWN_PORTS,
    ConfigurationOption,
    ContainerPort,
    InnerWorkflow,
)
from engine.core.registry import registry


class ScopedDoc(WorkflowDoc):
    """A container's workflow as a document (what scoped commands edit); `own` declares its ports."""

    _own: InnerWorkflow | None = PrivateAttr(default=None)
    _owner: NodeEntry | None = PrivateAttr(default=None)

    @property
    def own(self) -> InnerWorkflow | None:
        return self._own

    @property
    def owner(self) -> NodeEntry | None:
        return self._owner


def scope_path(scope: Any) -> list[int]:
    """'4:2', [4, 2] or 4 -> [4, 2]."""
    try:
        if isinstance(scope, list | tuple):
            return [int(p) for p in scope]
        return [int(p) for p in str(scope).split(":") if p != ""]
    except ValueError:
        raise CommandError(f"scope {scope!r} is not a node path such as 4 or 4:2") from None


def container_at(doc: WorkflowDoc, path: list[int]) -> NodeEntry:
    """The metanode or component at a path; a linked component is edited in its own file."""
    entry: NodeEntry | None = None
    nodes = doc.nodes
    for depth, node_id in enumerate(path):
        entry = next((n for n in nodes if n.id == node_id), None)
        where = ":".join(map(str, path[: depth + 1]))
        if entry is None:
            raise CommandError(f"there is no node {where}")
        if entry.type not in CONTAINER_TYPES:
            raise CommandError(f"node {where} is not a metanode or component")
        if entry.workflow is None:
            raise CommandError(f"component {where} is linked to {entry.link}: edit that file instead")
        nodes = entry.workflow.nodes
    if entry is None:
        raise CommandError("an empty scope")
    return entry


def scoped(doc: WorkflowDoc, path: list[int]) -> ScopedDoc:
    entry = container_at(doc, path)
    inner = entry.workflow
    assert inner is not None
    view = ScopedDoc(
        name=entry.name or entry.type,
        description=inner.description,
        nodes=inner.nodes,
        connections=inner.connections,
    )
    view._own, view._owner = inner, entry  # noqa: SLF001 (set where it is made)
    return view


def write_back(doc: WorkflowDoc, path: list[int], view: ScopedDoc) -> None:
    """The edited inner workflow into its container."""
    if view.annotations:
        raise CommandError("workflow annotations are kept at the top level only, not inside a metanode")
    if view.variables:
        raise CommandError("workflow variables belong to the top level (a component has its configuration)")
    entry = container_at(doc, path)
    inner = entry.workflow
    assert inner is not None
    inner.nodes, inner.connections, inner.description = view.nodes, view.connections, view.description
    entry.name = view.name if view.name not in ("", entry.type) else entry.name


# ---------------------------------------------------------------------------------- port types


def port_type_at(doc: WorkflowDoc, node_id: int, port: int, *, output: bool) -> PortType | None | bool:
    """The type of a port of a node, a container or (node -1) the scope's own ports; None when
    there is no such port, True when it cannot be known (a linked component) and anything fits."""
    if port == 0:
        return PortType.VARIABLES
    if node_id == OWN_PORTS:
        own = doc.own if isinstance(doc, ScopedDoc) else None
        if own is None:
            return None
        # inside, the container's inputs are sources (`in:K`) and its outputs are destinations
        ports = own.inputs if output else own.outputs
        return _declared(ports, port)
    entry = doc.node(node_id)
    if entry.type in CONTAINER_TYPES:
        if entry.workflow is None:
            return True
        return _declared(entry.workflow.outputs if output else entry.workflow.inputs, port)
    cls = registry.get(entry.type)
    if cls is None:
        return None
    inputs, outputs = node_ports(cls, entry.settings)
    found = outputs if output else inputs
    return found[port - 1].type if 1 <= port <= len(found) else None


def _declared(ports: list[ContainerPort], port: int) -> PortType | None:
    if not 1 <= port <= len(ports):
        return None
    return PortType.all().get(ports[port - 1].type, PortType.TABLE)


def _port_name(doc: WorkflowDoc, node_id: int, port: int) -> str:
    if port == 0:
        return "variables"
    if node_id == OWN_PORTS and isinstance(doc, ScopedDoc) and doc.own is not None:
        ports = doc.own.inputs
        return ports[port - 1].name if 1 <= port <= len(ports) else ""
    entry = doc.node(node_id)
    if entry.workflow is not None:
        outs = entry.workflow.outputs
        return outs[port - 1].name if 1 <= port <= len(outs) else ""
    cls = registry.get(entry.type)
    if cls is None:
        return ""
    _, outputs = node_ports(cls, entry.settings)
    return outputs[port - 1].name if 1 <= port <= len(outputs) else ""


def _type_id(doc: WorkflowDoc, node_id: int, port: int) -> str:
    found = port_type_at(doc, node_id, port, output=True)
    return found.id if isinstance(found, PortType) else "table"


def graph_edge(c: Connection) -> tuple[int | str, int | str]:
    """A connection as a graph edge; a container's own ports are two ends, never one node."""
    return ("in" if c.source == OWN_PORTS else c.source), ("out" if c.dest == OWN_PORTS else c.dest)


def port_owner(doc: WorkflowDoc, node_id: int, own_side: str) -> str:
    """How a refused connection names the node (or the container's own ports) it meant."""
    if node_id == OWN_PORTS:
        return f"the container's {own_side}"
    entry = doc.node(node_id)
    cls = registry.get(entry.type)
    return (cls.display_name or cls.type_name) if cls else (entry.name or entry.type)


def pasted_container(item: dict[str, Any], node_id: int, offset: tuple[int, int]) -> NodeEntry:
    """A copied metanode or component, with its insides, under a new id."""
    fields = {k: item.get(k) for k in ("type", "name", "annotation", "settings", "workflow", "link")}
    entry = NodeEntry.model_validate({k: v for k, v in fields.items() if v is not None} | {"id": node_id})
    pos = item.get("position")
    entry.position = (round(pos[0] + offset[0]), round(pos[1] + offset[1])) if pos else None
    return entry


# ------------------------------------------------------------------------------------ commands


def _collapse(
    doc: WorkflowDoc,
    nodes: list[int],
    kind: str = "metanode",
    name: str | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    """Selected nodes -> one metanode or component. Each outside source that feeds the selection
    becomes an input port, each inside source that feeds the rest an output port (KNIME's
    "Create metanode"); the nodes keep their ids and positions inside."""
    if kind not in CONTAINER_TYPES:
        raise CommandError(f"kind must be one of {', '.join(CONTAINER_TYPES)}, not {kind!r}")
    ids = {int(n) for n in nodes or []}
    if not ids:
        raise CommandError("select the nodes to put into the metanode")
    for n in ids:
        node_of(doc, n)
    chosen = [n for n in doc.nodes if n.id in ids]
    inside, entering, leaving, outer_conns = _partition(doc.connections, ids)
    new_id = next_node_id(doc)
    inputs, inner_in, outer_in = _boundary_inputs(doc, entering, new_id)
    outputs, inner_out, outer_out = _boundary_outputs(doc, leaving, new_id)
    inner_conns = [*inside, *inner_in, *inner_out]
    outer_conns += [*outer_in, *outer_out]
    container = NodeEntry(
        id=new_id,
        type=kind,
        name=(name or "").strip() or ("Component" if kind == "component" else "Metanode"),
        position=_centre(chosen),
        workflow=InnerWorkflow(
            inputs=inputs,
            outputs=outputs,
            nodes=chosen,
            connections=inner_conns,
            # what ran before runs the same: the variables made inside still reach the nodes after it
            **({"variables_out": None} if kind == "component" else {}),
        ),
    )
    doc.nodes = [n for n in doc.nodes if n.id not in ids] + [container]
    doc.connections = outer_conns
    return {"node": new_id, "inputs": len(inputs), "outputs": len(outputs)}


def _boundary_inputs(
    doc: WorkflowDoc, entering: list[Connection], new_id: int
) -> tuple[list[ContainerPort], list[Connection], list[Connection]]:
    """One input port per outside source feeding the selection: the ports, the inner connections
    from them, and the outer connections into them."""
    inputs: list[ContainerPort] = []
    inner: list[Connection] = []
    outer: list[Connection] = []
    in_port: dict[tuple[int, int], int] = {}
    for c in entering:
        key = (c.source, c.source_port)
        if key not in in_port:
            inputs.append(ContainerPort(name=_port_name(doc, *key), type=_type_id(doc, *key)))
            in_port[key] = len(inputs)
            outer.append(
                Connection(source=c.source, source_port=c.source_port, dest=new_id, dest_port=len(inputs))
            )
        inner.append(
            Connection(source=OWN_PORTS, source_port=in_port[key], dest=c.dest, dest_port=c.dest_port)
        )
    return inputs, inner, outer


def _boundary_outputs(
    doc: WorkflowDoc, leaving: list[Connection], new_id: int
) -> tuple[list[ContainerPort], list[Connection], list[Connection]]:
    """One output port per inside source feeding the rest: the ports, the inner connections into
    them, and the outer connections from them."""
    outputs: list[ContainerPort] = []
    inner: list[Connection] = []
    outer: list[Connection] = []
    out_port: dict[tuple[int, int], int] = {}
    for c in leaving:
        key = (c.source, c.source_port)
        if key not in out_port:
            outputs.append(ContainerPort(name=_port_name(doc, *key), type=_type_id(doc, *key)))
            out_port[key] = len(outputs)
            inner.append(
                Connection(source=c.source, source_port=c.source_port, dest=OWN_PORTS, dest_port=len(outputs))
            )
        outer.append(Connection(source=new_id, source_port=out_port[key], dest=c.dest, dest_port=c.dest_port))
    return outputs, inner, outer


def _expand(doc: WorkflowDoc, node: int, label: str | None = None) -> dict[str, Any]:
    """A metanode's or component's nodes back into the workflow that holds it, rewired to what fed
    and took its ports; a component's configuration values stay flow variables (workflow
    variables at the top level, options of the component that holds it inside one)."""
    entry = node_of(doc, node)
    if entry.type not in CONTAINER_TYPES:
        raise CommandError(f"node {entry.id} is not a metanode or component")
    inner = entry.workflow
    if inner is None:
        raise CommandError(f"component {entry.id} is linked to {entry.link}: it cannot be expanded")
    if entry.type == "component" and inner.configuration:
        _keep_configuration(doc, entry, inner)
    mapping = _free_ids(doc, entry, inner)
    shift = _shift(entry, inner)
    moved = [
        n.model_copy(
            update={
                "id": mapping[n.id],
                "position": (n.position[0] + shift[0], n.position[1] + shift[1]) if n.position else None,
            }
        )
        for n in inner.nodes
    ]
    new = _rewired(doc, entry, inner, mapping)
    doc.nodes = [n for n in doc.nodes if n.id != entry.id] + moved
    doc.connections = new
    return {"nodes": {str(k): v for k, v in mapping.items()}}


def _free_ids(doc: WorkflowDoc, entry: NodeEntry, inner: InnerWorkflow) -> dict[int, int]:
    """Inner id -> its id in the parent: kept unless another node of the parent has it."""
    taken = {n.id for n in doc.nodes if n.id != entry.id}
    mapping: dict[int, int] = {}
    next_free = max(taken | {n.id for n in inner.nodes}, default=0) + 1
    for n in inner.nodes:
        if n.id in taken:
            mapping[n.id], next_free = next_free, next_free + 1
        else:
            mapping[n.id] = n.id
        taken.add(mapping[n.id])
    return mapping


def _rewired(
    doc: WorkflowDoc, entry: NodeEntry, inner: InnerWorkflow, mapping: dict[int, int]
) -> list[Connection]:
    """The parent's connections with the container's ports replaced by what fed and took them."""
    feeds: dict[int, list[tuple[int, int]]] = {}
    takes: dict[int, list[tuple[int, int]]] = {}
    for c in doc.connections:
        if c.dest == entry.id:
            feeds.setdefault(c.dest_port, []).append((c.source, c.source_port))
        if c.source == entry.id:
            takes.setdefault(c.source_port, []).append((c.dest, c.dest_port))
    new: list[Connection] = [c for c in doc.connections if entry.id not in (c.source, c.dest)]
    for c in inner.connections:
        sources = (
            feeds.get(c.source_port, []) if c.source == OWN_PORTS else [(mapping[c.source], c.source_port)]
        )
        targets = takes.get(c.dest_port, []) if c.dest == OWN_PORTS else [(mapping[c.dest], c.dest_port)]
        new += [
            Connection(source=s, source_port=sp, dest=d, dest_port=dp)
            for s, sp in sources
            for d, dp in targets
        ]
    # the container's variable port fed its first nodes (those not fed inside): now directly
    first = [
        n.id
        for n in inner.nodes
        if not any(c.dest == n.id and c.source != OWN_PORTS for c in inner.connections)
    ]
    for s, sp in feeds.get(0, []):
        for f in first:
            if not any(c.dest == mapping[f] and c.dest_port == 0 for c in new):
                new.append(Connection(source=s, source_port=sp, dest=mapping[f], dest_port=0))
    return new


def _shift(entry: NodeEntry, inner: InnerWorkflow) -> tuple[int, int]:
    """How far the inner nodes move so that their centre lands where the container was."""
    centre = _centre(inner.nodes)
    if centre is None or entry.position is None:
        return (0, 0)
    return (entry.position[0] - centre[0], entry.position[1] - centre[1])


def _centre(nodes: list[NodeEntry]) -> tuple[int, int] | None:
    """The middle of the nodes' bounding box, on the 5-pixel grid (None when none is placed)."""
    placed = [n.position for n in nodes if n.position is not None]
    if not placed:
        return None
    xs, ys = [p[0] for p in placed], [p[1] for p in placed]
    return (5 * round((min(xs) + max(xs)) / 10), 5 * round((min(ys) + max(ys)) / 10))


def _partition(
    connections: list[Connection], ids: set[int]
) -> tuple[list[Connection], list[Connection], list[Connection], list[Connection]]:
    """The connections inside the selection, entering it, leaving it (each sorted by source and
    destination, so that ports are numbered the same way every time), and the untouched rest."""
    order = sorted(connections, key=lambda c: (c.source, c.source_port, c.dest, c.dest_port))
    inside = [c for c in order if c.source in ids and c.dest in ids]
    entering = [c for c in order if c.dest in ids and c.source not in ids]
    leaving = [c for c in order if c.source in ids and c.dest not in ids]
    rest = [c for c in connections if c.source not in ids and c.dest not in ids]
    return inside, entering, leaving, rest


def _keep_configuration(doc: WorkflowDoc, entry: NodeEntry, inner: InnerWorkflow) -> None:
    values = {o.name: entry.settings.get(o.name, o.default) for o in inner.configuration}
    owner = doc.owner if isinstance(doc, ScopedDoc) else None
    if owner is None:
        for name, value in values.items():
            if name in doc.variables and doc.variables[name] != value:
                raise CommandError(
                    f"cannot expand: its option {name!r} ({value!r}) would become a workflow variable, "
                    f"but the workflow has {name} = {doc.variables[name]!r}"
                )
        doc.variables = {**doc.variables, **values}
        return
    if owner.type != "component" or owner.workflow is None:
        raise CommandError(
            "cannot expand a configured component inside a metanode: its options need a component "
            "or the top level to live in (expand the metanode first)"
        )
    known = {o.name: o for o in owner.workflow.configuration}
    for option in inner.configuration:
        value = values[option.name]
        if option.name in known and known[option.name].default != value:
            raise CommandError(
                f"cannot expand: the enclosing component has an option {option.name!r} already"
            )
        if option.name not in known:
            owner.workflow.configuration.append(option.model_copy(update={"default": value}))


# ---------------------------------------------------------------------------- configuration

_KINDS: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "double": (int, float),
    "boolean": (bool,),
    "string": (str,),
    "column": (str,),
    "choice": (str,),
}


def configuration_errors(options: list[ConfigurationOption], values: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-option problems of a component's values (the dialog shows them at their field)."""
    known = {o.name: o for o in options}
    errors = [
        {"loc": name, "msg": f"the component has no option {name!r}", "type": "unknown"}
        for name in values
        if name not in known
    ]
    for name, value in values.items():
        option = known.get(name)
        if option is None:
            continue
        kinds = _KINDS[option.type]
        wrong_bool = isinstance(value, bool) and bool not in kinds
        if wrong_bool or not isinstance(value, kinds):
            errors.append({"loc": name, "msg": f"must be {option.type}, not {value!r}", "type": "type"})
        elif option.type == "choice" and option.choices and value not in option.choices:
            errors.append({"loc": name, "msg": f"must be one of {option.choices}", "type": "choice"})
    return errors


def set_container_settings(entry: NodeEntry, settings: dict[str, Any]) -> None:
    """A component's configuration values (`set_settings` on a component)."""
    if entry.type == "metanode":
        if settings:
            raise CommandError(f"metanode #{entry.id} has no settings (a component has a configuration)")
        return
    if entry.workflow is None:
        raise CommandError(f"component #{entry.id} is linked: its options are set in {entry.link}")
    values = {
        k: float(v) if _is_double(entry.workflow, k) and isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in settings.items()
        if v is not None
    }
    errors = configuration_errors(entry.workflow.configuration, values)
    if errors:
        raise CommandError(f"invalid configuration for component #{entry.id}", errors, status=422)
    entry.settings = values


def _is_double(inner: InnerWorkflow, name: str) -> bool:
    return any(o.name == name and o.type == "double" for o in inner.configuration)


def _set_configuration(
    doc: WorkflowDoc, node: int, options: list[dict[str, Any]], label: str | None = None
) -> dict[str, Any]:
    """A component's options (KNIME's configuration nodes); values of dropped options go too."""
    entry = node_of(doc, node)
    if entry.type != "component" or entry.workflow is None:
        raise CommandError(f"node {entry.id} is not a component with its own workflow")
    try:
        parsed = [ConfigurationOption.model_validate(o) for o in options]
    except ValidationError as exc:
        raise CommandError(f"invalid option: {exc.errors(include_url=False)[0]['msg']}") from None
    names = [o.name for o in parsed]
    for name in names:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise CommandError(f"option name {name!r} is not a valid flow variable name (letters, digits, _)")
    if len(set(names)) != len(names):
        raise CommandError("two options have the same name")
    for o in parsed:
        if o.default is not None and configuration_errors([o], {o.name: o.default}):
            raise CommandError(f"the default of option {o.name!r} is not a {o.type}")
    entry.workflow.configuration = parsed
    entry.settings = {k: v for k, v in entry.settings.items() if k in set(names)}
    set_container_settings(entry, entry.settings)
    return {}


CONTAINER_COMMANDS: dict[str, Callable[..., dict[str, Any]]] = {
    "collapse": _collapse,
    "expand": _expand,
    "set_configuration": _set_configuration,
}
