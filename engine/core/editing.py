"""Command-based editing of a workflow document with undo and redo.

Every change the editor makes is a named command (`add_node`, `connect`, `set_settings`, ...)
applied here, on the server, so the rules that keep a document loadable (typed ports, one
connection per input, no cycles, valid settings) are enforced in one place whatever the client.
Undo and redo keep document snapshots: workflows are small (tens of nodes), and a snapshot can
never drift from the document the way hand-written inverse commands can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
from pydantic import ValidationError

from engine.api import Node, PortType
from engine.core.document import Annotation, Connection, NodeEntry, WorkflowDoc, ports_compatible
from engine.core.document_saving import canonical_dict
from engine.core.keys import digest
from engine.core.metanodes import CONTAINER_TYPES, OWN_PORTS
from engine.core.registry import registry

UNDO_LIMIT = 200


class CommandError(Exception):
    """A command the document's rules refuse; `errors` lists per-field problems for dialogs."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.errors = errors or []
        self.status = status


# Commands that change what a run computes; the others (layout, names, notes) may be applied
# while a run is going on.
SEMANTIC = frozenset(
    "add_node remove connect disconnect set_settings paste set_workflow collapse expand set_configuration".split()
)


@dataclass
class _Step:
    label: str
    doc: WorkflowDoc


class Editor:
    """A document plus its undo and redo stacks. `version` grows with every change (undo and
    redo too), so a client can tell when it is looking at a stale document."""

    def __init__(self, doc: WorkflowDoc, limit: int = UNDO_LIMIT) -> None:
        self.doc = doc
        self.version = 0
        self.limit = limit
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []

    # ---------------------------------------------------------------------------------- stacks

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> str | None:
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        return self._redo[-1].label if self._redo else None

    def execute(self, command: dict[str, Any]) -> dict[str, Any]:
        """Apply one command (a dict with `op` and its parameters); returns what it created.
        A refused command leaves the document untouched and raises `CommandError`."""
        op = command.get("op")
        handler = _handler(str(op))
        if handler is None:
            known = ", ".join(sorted(_handlers()))
            raise CommandError(f"unknown command {op!r} (known: {known})")
        before = self.doc.model_copy(deep=True)
        params = {k: v for k, v in command.items() if k not in ("op", "scope")}
        try:
            result = self._apply(handler, params, command.get("scope"))
        except TypeError as exc:
            self.doc = before
            raise CommandError(f"{op}: bad parameters ({exc})") from None
        except CommandError:
            self.doc = before
            raise
        except (ValueError, KeyError, ValidationError) as exc:
            self.doc = before
            raise CommandError(f"{op}: {exc}") from None
        if result.pop("_noop", False):
            return result
        self._undo.append(_Step(str(command.get("label") or op), before))
        del self._undo[: -self.limit]
        self._redo.clear()
        self.version += 1
        return result

    def _apply(
        self, handler: Callable[..., dict[str, Any]], params: dict[str, Any], scope: Any
    ) -> dict[str, Any]:
        """Run a command on the document, or (`scope`, a container's path) on a container's workflow."""
        if scope in (None, "", []):
            return handler(self.doc, **params)
        from engine.core.container_editing import scope_path, scoped, write_back

        path = scope_path(scope)
        view = scoped(self.doc, path)
        result = handler(view, **params)
        write_back(self.doc, path, view)
        return result

    def undo(self) -> str:
        if not self._undo:
            raise CommandError("nothing to undo")
        step = self._undo.pop()
        self._redo.append(_Step(step.label, self.doc))
        self.doc = step.doc
        self.version += 1
        return step.label

    def redo(self) -> str:
        if not self._redo:
            raise CommandError("nothing to redo")
        step = self._redo.pop()
        self._undo.append(_Step(step.label, self.doc))
        self.doc = step.doc
        self.version += 1
        return step.label

    def replace(self, doc: WorkflowDoc) -> None:
        """Start over from a document read anew (the file changed on disk)."""
        self.doc = doc
        self._undo.clear()
        self._redo.clear()
        self.version += 1

    def content_digest(self) -> str:
        return document_digest(self.doc)


def document_digest(doc: WorkflowDoc) -> str:
    return digest(canonical_dict(doc))


# ------------------------------------------------------------------------------------ helpers


def node_of(doc: WorkflowDoc, node_id: Any) -> NodeEntry:
    try:
        return doc.node(int(node_id))
    except (KeyError, ValueError, TypeError):
        raise CommandError(f"there is no node {node_id}") from None


_node = node_of


def _node_class(type_name: str) -> type[Node]:
    cls = registry.get(type_name)
    if cls is None:
        raise CommandError(f"unknown node type {type_name!r}")
    return cls


def next_node_id(doc: WorkflowDoc) -> int:
    return max((n.id for n in doc.nodes), default=0) + 1


_next_id = next_node_id


def _position(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    x, y = value
    return (round(float(x)), round(float(y)))


def validate_settings(type_name: str, settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-field problems of a settings dict against the node type's model ([] when valid)."""
    cls = _node_class(type_name)
    try:
        cls.Settings.model_validate(settings)
    except ValidationError as exc:
        return [
            {"loc": ".".join(map(str, e["loc"])), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False)
        ]
    return []


def _check_bindings(cls: type[Node], bindings: dict[str, str], kind: str) -> None:
    fields = cls.Settings.model_fields
    for setting, var in bindings.items():
        if setting.split(".")[0] not in fields:
            raise CommandError(f"{kind}: {cls.type_name} has no setting {setting!r}")
        if not isinstance(var, str) or not var:
            raise CommandError(f"{kind}: setting {setting!r} needs a variable name")


def connection_problem(doc: WorkflowDoc, conn: Connection) -> str | None:
    """Why `conn` may not be added (None if it may). The rules of KNIME's `canAddConnection`:
    the ports exist, their types fit, and the connection closes no cycle. Inside a metanode
    (a scoped document) node -1 is the container's own ports, `in:K` and `out:K`."""
    from engine.core.container_editing import graph_edge, port_owner, port_type_at

    if conn.source == conn.dest and conn.source != OWN_PORTS:
        return "a node cannot feed itself"
    try:
        out_t = port_type_at(doc, conn.source, conn.source_port, output=True)
        in_t = port_type_at(doc, conn.dest, conn.dest_port, output=False)
    except KeyError as exc:
        return f"there is no node {exc.args[0]}"
    if out_t is None:
        return f"{port_owner(doc, conn.source, 'inputs')} has no output port {conn.source_port}"
    if in_t is None:
        return f"{port_owner(doc, conn.dest, 'outputs')} has no input port {conn.dest_port}"
    if isinstance(out_t, PortType) and isinstance(in_t, PortType) and not ports_compatible(out_t, in_t):
        return f"incompatible ports: a {out_t.label} output cannot feed a {in_t.label} input"
    graph = nx.DiGraph()
    graph.add_nodes_from(n.id for n in doc.nodes)
    graph.add_edges_from(graph_edge(c) for c in doc.connections)
    src, dst = graph_edge(conn)
    if src in graph and dst in graph and nx.has_path(graph, dst, src):
        return f"the connection would close a cycle (#{dst} already feeds #{src})"
    return None


def _connection(value: Any) -> Connection:
    if isinstance(value, str):
        return Connection.parse(value)
    if isinstance(value, dict):
        return Connection(**value)
    if isinstance(value, list | tuple) and len(value) == 4:
        return Connection(source=value[0], source_port=value[1], dest=value[2], dest_port=value[3])
    raise CommandError(f"not a connection: {value!r}")


# ----------------------------------------------------------------------------------- commands


def _add_node(
    doc: WorkflowDoc,
    type: str,
    position: Any = None,
    settings: dict[str, Any] | None = None,
    name: str | None = None,
    annotation: str | None = None,
    id: int | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    cls = _node_class(type)
    settings = dict(settings or {})
    errors = validate_settings(type, settings)
    if errors:
        raise CommandError(f"invalid settings for {type}", errors, status=422)
    node_id = int(id) if id is not None else _next_id(doc)
    if any(n.id == node_id for n in doc.nodes):
        raise CommandError(f"node id {node_id} is taken")
    doc.nodes.append(
        NodeEntry(
            id=node_id,
            type=cls.type_name,
            name=name or None,
            annotation=annotation or None,
            position=_position(position),
            settings=settings,
        )
    )
    return {"node": node_id}


def _remove(
    doc: WorkflowDoc,
    nodes: list[int] | None = None,
    connections: list[Any] | None = None,
    annotations: list[int] | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    """Delete nodes (with their connections), connections and workflow annotations at once."""
    ids, drop, idx = _removal_targets(doc, nodes or [], connections or [], annotations or [])
    if not ids and not drop and not idx:
        return {"_noop": True}
    doc.nodes = [n for n in doc.nodes if n.id not in ids]
    doc.connections = [
        c for c in doc.connections if c.source not in ids and c.dest not in ids and str(c) not in drop
    ]
    for i in idx:
        del doc.annotations[i]
    return {"removed": sorted(ids)}


def _removal_targets(
    doc: WorkflowDoc, nodes: list[int], connections: list[Any], annotations: list[int]
) -> tuple[set[int], set[str], list[int]]:
    """What a removal names, all checked before anything changes: one that is not there refuses the
    whole command. Annotation indexes come highest first, so deleting one leaves the others' in place."""
    ids = {int(n) for n in nodes}
    for n in ids:
        _node(doc, n)
    drop = {str(_connection(c)) for c in connections}
    for c in drop - {str(c) for c in doc.connections}:
        raise CommandError(f"there is no connection {c}")
    idx = sorted({int(i) for i in annotations}, reverse=True)
    for i in idx:
        if not 0 <= i < len(doc.annotations):
            raise CommandError(f"there is no annotation {i}")
    return ids, drop, idx


def _move(
    doc: WorkflowDoc,
    positions: dict[str, Any] | None = None,
    annotations: dict[str, Any] | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    """Set node positions ({id: [x, y]}) and annotation bounds ({index: [x, y, w, h]})."""
    changed = False
    for key, pos in (positions or {}).items():
        entry = _node(doc, key)
        new = _position(pos)
        if new != entry.position:
            entry.position = new
            changed = True
    for key, bounds in (annotations or {}).items():
        i = int(key)
        if not 0 <= i < len(doc.annotations):
            raise CommandError(f"there is no annotation {i}")
        x, y, w, h = (round(float(v)) for v in bounds)
        new_b = (x, y, max(w, 20), max(h, 16))
        if new_b != doc.annotations[i].bounds:
            doc.annotations[i] = Annotation(text=doc.annotations[i].text, bounds=new_b)
            changed = True
    return {} if changed else {"_noop": True}


def _connect(
    doc: WorkflowDoc,
    source: int,
    source_port: int,
    dest: int,
    dest_port: int,
    label: str | None = None,
) -> dict[str, Any]:
    conn = Connection(
        source=int(source), source_port=int(source_port), dest=int(dest), dest_port=int(dest_port)
    )
    if any(str(c) == str(conn) for c in doc.connections):
        return {"_noop": True, "connection": str(conn)}
    replaced = None
    if conn.dest_port != 0:
        # one connection per input: KNIME replaces the one that was there
        for c in doc.connections:
            if c.dest == conn.dest and c.dest_port == conn.dest_port:
                replaced = c
        if replaced is not None:
            doc.connections.remove(replaced)
    problem = connection_problem(doc, conn)
    if problem:
        raise CommandError(f"connection {conn} refused: {problem}", status=409)
    doc.connections.append(conn)
    return {"connection": str(conn), "replaced": str(replaced) if replaced else None}


def _disconnect(doc: WorkflowDoc, connection: Any, label: str | None = None) -> dict[str, Any]:
    return _remove(doc, connections=[connection])


def _set_settings(
    doc: WorkflowDoc,
    node: int,
    settings: dict[str, Any] | None = None,
    use_variables: dict[str, str] | None = None,
    expose_variables: dict[str, str] | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    entry = _node(doc, node)
    if entry.type in CONTAINER_TYPES:  # a component's configuration values
        from engine.core.container_editing import set_container_settings

        if not isinstance(settings, dict) or use_variables or expose_variables:
            raise CommandError(f"{entry.type} #{entry.id} takes its configuration values as settings only")
        set_container_settings(entry, settings)
        return {}
    cls = _node_class(entry.type)
    if settings is not None:
        if not isinstance(settings, dict):
            raise CommandError("settings must be a mapping")
        errors = validate_settings(entry.type, settings)
        if errors:
            raise CommandError(f"invalid settings for #{entry.id}", errors, status=422)
        entry.settings = dict(settings)
    if use_variables is not None:
        _check_bindings(cls, use_variables, "use_variables")
        entry.use_variables = dict(use_variables)
    if expose_variables is not None:
        _check_bindings(cls, expose_variables, "expose_variables")
        entry.expose_variables = dict(expose_variables)
    return {}


def _rename(doc: WorkflowDoc, node: int, name: str | None, label: str | None = None) -> dict[str, Any]:
    entry = _node(doc, node)
    new = (name or "").strip() or None
    if new == entry.name:
        return {"_noop": True}
    entry.name = new
    return {}


def _set_annotation(
    doc: WorkflowDoc, node: int, text: str | None, label: str | None = None
) -> dict[str, Any]:
    entry = _node(doc, node)
    new = (text or "").rstrip() or None
    if new == entry.annotation:
        return {"_noop": True}
    entry.annotation = new
    return {}


def _add_annotation(doc: WorkflowDoc, text: str, bounds: Any, label: str | None = None) -> dict[str, Any]:
    x, y, w, h = (round(float(v)) for v in bounds)
    doc.annotations.append(Annotation(text=str(text), bounds=(x, y, max(w, 20), max(h, 16))))
    return {"annotation": len(doc.annotations) - 1}


def _edit_annotation(
    doc: WorkflowDoc, index: int, text: str | None = None, bounds: Any = None, label: str | None = None
) -> dict[str, Any]:
    i = int(index)
    if not 0 <= i < len(doc.annotations):
        raise CommandError(f"there is no annotation {i}")
    old = doc.annotations[i]
    new_bounds = old.bounds if bounds is None else tuple(round(float(v)) for v in bounds)
    doc.annotations[i] = Annotation(text=old.text if text is None else str(text), bounds=new_bounds)
    return {}


def _paste(
    doc: WorkflowDoc,
    nodes: list[dict[str, Any]],
    connections: list[Any] | None = None,
    offset: Any = (40, 40),
    label: str | None = None,
) -> dict[str, Any]:
    """Insert copies of nodes (as the client copied them) with fresh ids, and the connections
    among them; returns the old -> new id map."""
    dx, dy = (round(float(v)) for v in offset)
    mapping: dict[int, int] = {}
    next_id = _next_id(doc)
    for item in nodes:
        if item.get("type") in CONTAINER_TYPES:  # a copied metanode or component, with its insides
            from engine.core.container_editing import pasted_container

            mapping[int(item.get("id", next_id))] = next_id
            doc.nodes.append(pasted_container(item, next_id, (dx, dy)))
            next_id += 1
            continue
        cls = _node_class(str(item.get("type")))
        settings = dict(item.get("settings") or {})
        errors = validate_settings(cls.type_name, settings)
        if errors:
            raise CommandError(f"invalid settings for pasted {cls.type_name}", errors, status=422)
        pos = item.get("position")
        entry = NodeEntry(
            id=next_id,
            type=cls.type_name,
            name=item.get("name"),
            annotation=item.get("annotation"),
            position=(_position((pos[0] + dx, pos[1] + dy)) if pos else None),
            settings=settings,
            use_variables=dict(item.get("use_variables") or {}),
            expose_variables=dict(item.get("expose_variables") or {}),
        )
        _check_bindings(cls, entry.use_variables, "use_variables")
        _check_bindings(cls, entry.expose_variables, "expose_variables")
        if "id" in item:
            mapping[int(item["id"])] = next_id
        doc.nodes.append(entry)
        next_id += 1
    for value in connections or []:
        c = _connection(value)
        if c.source in mapping and c.dest in mapping:
            new = Connection(
                source=mapping[c.source],
                source_port=c.source_port,
                dest=mapping[c.dest],
                dest_port=c.dest_port,
            )
            problem = connection_problem(doc, new)
            if problem is None:
                doc.connections.append(new)
    if not nodes:
        return {"_noop": True, "nodes": {}}
    return {"nodes": {str(k): v for k, v in mapping.items()}}


def _set_workflow(
    doc: WorkflowDoc,
    name: str | None = None,
    description: str | None = None,
    variables: dict[str, Any] | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    if name is not None:
        if not str(name).strip():
            raise CommandError("a workflow needs a name")
        doc.name = str(name).strip()
    if description is not None:
        doc.description = str(description)
    if variables is not None:
        if not isinstance(variables, dict) or not all(isinstance(k, str) and k for k in variables):
            raise CommandError("variables must map names to values")
        doc.variables = dict(variables)
    return {}


def _batch(doc: WorkflowDoc, commands: list[dict[str, Any]], label: str | None = None) -> dict[str, Any]:
    """Several commands as one undo step (e.g. delete a selection, or move a group)."""
    results = []
    for cmd in commands:
        op = cmd.get("op")
        handler = _handler(str(op))
        if handler is None or op == "batch":
            raise CommandError(f"unknown command in batch: {op!r}")
        res = handler(doc, **{k: v for k, v in cmd.items() if k != "op"})
        res.pop("_noop", None)
        results.append(res)
    return {"results": results}


_COMMANDS: dict[str, Callable[..., dict[str, Any]]] = {
    "add_node": _add_node,
    "remove": _remove,
    "move": _move,
    "connect": _connect,
    "disconnect": _disconnect,
    "set_settings": _set_settings,
    "rename": _rename,
    "set_node_annotation": _set_annotation,
    "add_annotation": _add_annotation,
    "edit_annotation": _edit_annotation,
    "paste": _paste,
    "set_workflow": _set_workflow,
    "batch": _batch,
}


def _handlers() -> dict[str, Callable[..., dict[str, Any]]]:
    from engine.core.container_editing import CONTAINER_COMMANDS

    return {**_COMMANDS, **CONTAINER_COMMANDS}


def _handler(op: str) -> Callable[..., dict[str, Any]] | None:
    return _handlers().get(op)


def is_semantic(command: dict[str, Any]) -> bool:
    """Whether a command changes what a run computes (refused while the workflow executes)."""
    op = command.get("op")
    if op == "batch":
        return any(is_semantic(c) for c in command.get("commands", []))
    if op == "remove":
        return bool(command.get("nodes") or command.get("connections"))
    return op in SEMANTIC
