"""Metanodes and components in the editor: nodes found by their KNIME path (the flat ids inner
nodes run under), a component's dialog generated from its configuration, and a container's
outputs read from the inner nodes that make them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.api import TableSpec
from engine.core.container_editing import configuration_errors
from engine.core.document import NodeEntry, WorkflowDoc
from engine.core.metanodes import (
    CONTAINER_TYPES,
    INNER_ID_BASE,
    ContainerError,
    ContainerPort,
    Flattened,
    InnerWorkflow,
    flatten,
    has_containers,
    id_of_path,
    path_of,
)
from engine.editor.errors import ApiError

if TYPE_CHECKING:
    from engine.editor.session import Session

_SCHEMA_TYPES = {"integer": "integer", "double": "number", "boolean": "boolean"}
_WIDGETS = {
    "integer": "number",
    "double": "number",
    "boolean": "checkbox",
    "string": "text",
    "column": "column",
}


def find_entry(doc: WorkflowDoc, n: int) -> NodeEntry:
    """The entry of node `n`, a top-level id or the flat id of a node inside containers."""
    nodes = doc.nodes
    entry = None
    for part in path_of(n).split(":"):
        entry = next((e for e in nodes if e.id == int(part)), None)
        if entry is None:
            break
        nodes = entry.workflow.nodes if entry.workflow is not None else []
    if entry is None:
        raise ApiError(404, f"there is no node {path_of(n)}")
    return entry


def top_level(n: int) -> int:
    """The top-level node (a container) that holds node `n`."""
    return id_of_path(path_of(n).split(":")[0]) if n >= INNER_ID_BASE else n


def flattened(session: Session, doc: WorkflowDoc) -> Flattened | None:
    if not has_containers(doc):
        return None
    try:
        return flatten(doc, {}, session.path.parent)
    except ContainerError:
        return None


def output_source(session: Session, n: int, port: int) -> tuple[int, int]:
    """Where output `port` of node `n` is made: through containers to the plain node inside."""
    if port == 0:
        return n, port
    entry = find_entry(session.editor.doc, n)
    if entry.type not in CONTAINER_TYPES:
        return n, port
    flat = flattened(session, session.editor.doc)
    found = flat.sources(n, port) if flat is not None else []
    return found[0] if found else (n, port)


def container_in_specs(session: Session, n: int, inputs: list[ContainerPort]) -> list[Any]:
    """The table spec at each input of a container: what arrives at the first inner node it feeds."""
    flat = flattened(session, session.editor.doc)
    specs: list[Any] = []
    for port in range(1, len(inputs) + 1):
        spec = None
        for node, p in flat.targets(n, port) if flat is not None else []:
            assert flat is not None
            src = next((c for c in flat.doc.connections if c.dest == node and c.dest_port == p), None)
            st = session.statuses.get(src.source) if src is not None else None
            if src is not None and st is not None and 1 <= src.source_port <= len(st.specs):
                out = st.specs[src.source_port - 1]
                spec = out.to_json() if isinstance(out, TableSpec) else None
            if spec is not None:
                break
        specs.append(spec)
    return specs


def configuration_schema(inner: InnerWorkflow) -> dict[str, Any]:
    """A JSON Schema of a component's options, with the widget of each, for the generated dialog."""
    props: dict[str, Any] = {}
    for o in inner.configuration:
        field: dict[str, Any] = {
            "title": o.title or o.name,
            "description": o.description or f"flow variable {o.name} ({o.type}) inside the component",
            "widget": "choice" if o.type == "choice" else _WIDGETS[o.type],
            "widget_declared": True,
        }
        field["type"] = _SCHEMA_TYPES.get(o.type, "string")
        if o.type == "choice":
            field["enum"] = list(o.choices)
        if o.default is not None:
            field["default"] = o.default
        props[o.name] = field
    return {"title": "Configuration", "type": "object", "properties": props}


def container_dialog(session: Session, n: int, entry: NodeEntry) -> dict[str, Any]:
    """The dialog of a metanode or component: a component's options are its settings."""
    inner = entry.workflow
    if inner is None:
        raise ApiError(
            422, f"component {path_of(n)} is linked to {entry.link}: its options are set in that file"
        )
    defaults = {o.name: o.default for o in inner.configuration if o.default is not None}
    kind = "Component" if entry.type == "component" else "Metanode"
    return {
        "id": n,
        "local": int(path_of(n).split(":")[-1]),
        "type": entry.type,
        "container": True,
        "display_name": kind,
        "description": inner.description
        or f"{kind} with {len(inner.nodes)} nodes; its options are flow variables inside.",
        "name": entry.name,
        "annotation": entry.annotation,
        "schema": configuration_schema(inner),
        "configuration": [o.model_dump(mode="json") for o in inner.configuration],
        "settings": dict(entry.settings),
        "defaults": defaults,
        "use_variables": {},
        "expose_variables": {},
        "path_settings": [],
        "preview": False,
        "in_specs": container_in_specs(session, n, inner.inputs),
        "variables": [],
        "status": session.status_json(n),
        "data_dirs": [str(d) for d in session.workspace.data_dirs],
        "workflow_dir": str(session.path.parent),
    }


def validate_container(session: Session, n: int, settings: dict[str, Any]) -> dict[str, Any]:
    """A component's values being edited: per-option problems, then a trial configure."""
    with session.lock:
        entry = find_entry(session.editor.doc, n)
        inner = entry.workflow
        errors = configuration_errors(inner.configuration, settings) if inner is not None else []
        if errors:
            return {"errors": errors, "configure_error": None}
        doc = session.editor.doc.model_copy(deep=True)
        find_entry(doc, n).settings = dict(settings)
    statuses, problems = session.configure_states(doc)
    st = statuses.get(n)
    message = (st.error if st is not None else None) or next((p for p in problems if path_of(n) in p), None)
    return {"errors": [], "configure_error": {"message": message, "setting": None} if message else None}
