"""Metanodes and components: graphs inside a node, as KNIME structures its workflows.

In the file a metanode is a node of type `metanode` whose `workflow` holds its own nodes and
connections and declares its input and output ports; connections inside name the metanode's own
ports `in:K` and `out:K` (KNIME writes node id -1). A component (type `component`) adds a
`configuration` — options whose values (the outer node's `settings`, else the defaults) are flow
variables inside — and may take its workflow from a shared file (`link:`), whose hash is kept so a
changed source is reported as KNIME reports an updatable link.

The scheduler never sees them: `flatten` rewrites a document into one graph of plain nodes before it
is checked and compiled, so configure-time specs, cache keys, "why it ran" and loops work per inner
node at no extra cost. Inner nodes get ids that encode their path (`12:3` is 12_000_003; `path_of`
and `id_of_path` convert), so run.json, `--until`, the Python API and errors can speak KNIME's
`12:3:5`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.core.yamlio import PathKey

if TYPE_CHECKING:
    from engine.core.document import Connection, NodeEntry, WorkflowDoc

CONTAINER_TYPES = ("metanode", "component")
OWN_PORTS = -1  # the container's own ports inside its workflow: `in:K`, `out:K` (KNIME's node id -1)
_LEVEL = 1_000_000  # an inner id is outer * _LEVEL + inner
INNER_ID_BASE = _LEVEL  # ids from here on are inside a metanode or component


class ContainerPort(BaseModel):
    """A port a metanode or component declares."""

    model_config = ConfigDict(extra="forbid")
    name: str = ""
    type: str = Field("table", description="table, model, variables, view or a registered port type")


class ConfigurationOption(BaseModel):
    """One option of a component's configuration (KNIME's configuration nodes): a flow variable inside."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="The flow variable it becomes inside the component.")
    type: Literal["integer", "double", "string", "boolean", "column", "choice"] = "string"
    default: Any = None
    title: str | None = None
    description: str = ""
    choices: list[str] = Field(default_factory=list, description="For `choice`: the values offered.")


class InnerWorkflow(BaseModel):
    """What a metanode or component holds."""

    model_config = ConfigDict(extra="forbid")
    inputs: list[ContainerPort] = Field(default_factory=list)
    outputs: list[ContainerPort] = Field(default_factory=list)
    nodes: list[NodeEntry] = Field(default_factory=list)
    connections: list[Connection] = Field(default_factory=list)
    configuration: list[ConfigurationOption] = Field(default_factory=list)
    description: str = ""
    # a component's flow-variable scope (KNIME's Component Input / Output variable filters)
    variables_in: list[str] | None = Field(
        None, description="Component: the variables that enter from its inputs (absent: all of them)."
    )
    variables_out: list[str] | None = Field(
        default_factory=list,
        description="Component: the variables made inside that leave through its outputs (null: all of them).",
    )

    @field_validator("connections", mode="before")
    @classmethod
    def _parse_connections(cls, value: Any) -> Any:
        from engine.core.document import Connection

        if isinstance(value, list):
            return [Connection.parse(v) if isinstance(v, str) else v for v in value]
        return value


def encode_id(outer: int, inner: int) -> int:
    return outer * _LEVEL + inner


def path_of(node_id: int) -> str:
    """12_000_003 -> '12:3' (a top-level id stays itself)."""
    parts = []
    while node_id >= _LEVEL:
        node_id, inner = divmod(node_id, _LEVEL)
        parts.append(inner)
    return ":".join(str(p) for p in [node_id, *reversed(parts)])


def id_of_path(text: str | int) -> int:
    """'12:3:5' (or 12) -> the flat id."""
    parts = [int(p) for p in str(text).split(":")]
    node_id = parts[0]
    for inner in parts[1:]:
        node_id = encode_id(node_id, inner)
    return node_id


@dataclass(frozen=True)
class VariableWall:
    """A component's flow-variable scope: what may enter (None: all) and what made inside may leave."""

    names_in: frozenset[str] | None
    names_out: frozenset[str] | None


def enclosing(node_id: int) -> list[int]:
    """The containers around a flat id, innermost first."""
    found = []
    while node_id >= _LEVEL:
        node_id //= _LEVEL
        found.append(node_id)
    return found


@dataclass
class Flattened:
    doc: WorkflowDoc
    lines: dict[PathKey, int]
    origin: dict[int, PathKey] = field(default_factory=dict)  # flat id -> where it is written in the file
    containers: dict[int, str] = field(default_factory=dict)  # container id -> its type
    # container -> where its variable port leads, its inputs' targets, its outputs' sources
    first_nodes: dict[int, list[int]] = field(default_factory=dict)
    ins: dict[int, dict[int, list[tuple[int, int]]]] = field(default_factory=dict)
    outs: dict[int, dict[int, tuple[int, int]]] = field(default_factory=dict)
    walls: dict[int, VariableWall] = field(default_factory=dict)  # component id -> its variable scope

    def sources(self, node: int, port: int) -> list[tuple[int, int]]:
        """Where an output really comes from: through containers to the plain node inside."""
        if node not in self.outs:
            return [(node, port)]
        if port not in self.outs[node]:
            return []
        return self.sources(*self.outs[node][port])

    def targets(self, node: int, port: int) -> list[tuple[int, int]]:
        """Where an input really goes: through containers to the plain nodes inside."""
        if node not in self.ins:
            return [(node, port)]
        if port == 0:  # a container's variable port: into each of its first plain nodes
            found = []
            for first in self.first_nodes.get(node, []):
                found.extend(self.targets(first, 0))
            return found
        return [t for inner in self.ins[node].get(port, []) for t in self.targets(*inner)]

    warnings: list[str] = field(default_factory=list)


def has_containers(doc: WorkflowDoc) -> bool:
    return any(n.type in CONTAINER_TYPES for n in doc.nodes)


class ContainerError(ValueError):
    def __init__(self, message: str, node_id: int, where: PathKey) -> None:
        super().__init__(message)
        self.node_id = node_id
        self.where = where


def flatten(doc: WorkflowDoc, lines: dict[PathKey, int], base_dir: Path | None = None) -> Flattened:
    """One graph of plain nodes from a document with metanodes and components (any depth)."""
    out = Flattened(doc, {}, {})
    nodes, conns = _expand(doc.nodes, doc.connections, 0, ("nodes",), out, base_dir, {})
    out.doc = doc.model_copy(update={"nodes": nodes, "connections": conns})
    out.doc._variable_walls = out.walls  # noqa: SLF001 (set once, where it is made)
    for i, n in enumerate(nodes):
        where = out.origin.get(n.id, ("nodes", i))
        for key, line in lines.items():
            if key[: len(where)] == where:
                out.lines[("nodes", i, *key[len(where) :])] = line
    for key, line in lines.items():
        if key and key[0] != "nodes":
            out.lines[key] = line
    return out


def _expand(
    entries: list[NodeEntry],
    connections: list[Connection],
    outer: int,
    where: PathKey,
    out: Flattened,
    base_dir: Path | None,
    pushed: dict[str, Any],
) -> tuple[list[NodeEntry], list[Connection]]:
    """This level's nodes with their containers expanded; connections rewired through them."""
    nodes: list[NodeEntry] = []
    passthrough: dict[int, dict[int, int]] = {}  # container -> output K -> its input J (in:J -> out:K)
    inner_conns: list[Connection] = []
    flat_of = {e.id: (encode_id(outer, e.id) if outer else e.id) for e in entries}
    for i, entry in enumerate(entries):
        here = (*where, i)
        flat = flat_of[entry.id]
        if entry.type not in CONTAINER_TYPES:
            nodes.append(_plain_node(entry, flat, connections, pushed))
            out.origin[flat] = here
            continue
        sub_nodes, sub_conns = _expand_container(entry, flat, here, out, base_dir, pushed, passthrough)
        nodes.extend(sub_nodes)
        inner_conns.extend(sub_conns)
    # the inner connections of nested containers were rewired by the recursive call; rewire this level's
    resolved = _rewire_level(connections, flat_of, passthrough, where, out)
    return nodes, [*inner_conns, *resolved]


def _plain_node(
    entry: NodeEntry, flat: int, connections: list[Connection], pushed: dict[str, Any]
) -> NodeEntry:
    """A node under its flat id; one that nothing of its level feeds takes the variables its
    containers push in (a fed node gets them through its inputs)."""
    node = entry.model_copy(update={"id": flat})
    if pushed and not _fed_inside(entry.id, connections):
        node._scope_variables = {**pushed, **entry.scope_variables}  # noqa: SLF001
    return node


def _expand_container(
    entry: NodeEntry,
    flat: int,
    here: PathKey,
    out: Flattened,
    base_dir: Path | None,
    pushed: dict[str, Any],
    passthrough: dict[int, dict[int, int]],
) -> tuple[list[NodeEntry], list[Connection]]:
    """A metanode's or component's inner nodes and connections, flattened; its own ports recorded in
    `out` (and `passthrough`) so that the level above can be rewired through it."""
    out.containers[flat] = entry.type
    inner = _inner_workflow(entry, here, out, base_dir)
    inner_pushed = dict(pushed)
    if entry.type == "component":
        inner_pushed.update(_configured(entry, inner, here))
        out.walls[flat] = _variable_wall(inner)
    sub_nodes, sub_conns = _expand(
        inner.nodes,
        [c for c in inner.connections if OWN_PORTS not in (c.source, c.dest)],
        flat,
        (*here, "workflow", "nodes"),
        out,
        base_dir,
        inner_pushed,
    )
    out.first_nodes[flat] = [
        encode_id(flat, e.id) for e in inner.nodes if not _fed_inside(e.id, inner.connections)
    ]
    _record_own_ports(flat, inner.connections, out, passthrough)
    return sub_nodes, sub_conns


def _variable_wall(inner: InnerWorkflow) -> VariableWall:
    """Which flow variables a component lets in and out (None: all of them)."""
    names_in = None if inner.variables_in is None else frozenset(inner.variables_in)
    names_out = None if inner.variables_out is None else frozenset(inner.variables_out)
    return VariableWall(names_in, names_out)


def _record_own_ports(
    flat: int,
    inner_connections: list[Connection],
    out: Flattened,
    passthrough: dict[int, dict[int, int]],
) -> None:
    """Where a container's own ports lead inside it: `in:J` to inner inputs, inner outputs to
    `out:K`, and `in:J -> out:K` straight through."""
    ins: dict[int, list[tuple[int, int]]] = {}
    outs: dict[int, tuple[int, int]] = {}
    through: dict[int, int] = {}
    out.ins[flat], out.outs[flat], passthrough[flat] = ins, outs, through
    for c in inner_connections:
        if c.source == OWN_PORTS and c.dest == OWN_PORTS:
            through[c.dest_port] = c.source_port
        elif c.source == OWN_PORTS:
            ins.setdefault(c.source_port, []).append((encode_id(flat, c.dest), c.dest_port))
        elif c.dest == OWN_PORTS:
            outs[c.dest_port] = (encode_id(flat, c.source), c.source_port)


def _rewire_level(
    connections: list[Connection],
    flat_of: dict[int, int],
    passthrough: dict[int, dict[int, int]],
    where: PathKey,
    out: Flattened,
) -> list[Connection]:
    """This level's connections between plain nodes: one into or out of a container becomes one per
    inner node behind the container's port."""
    from engine.core.document import Connection

    resolved: list[Connection] = []
    for c in connections:
        src, dst = flat_of.get(c.source, c.source), flat_of.get(c.dest, c.dest)
        sources = out.sources(src, c.source_port)
        if src in out.outs and not sources:
            sources = _passed_through(src, c.source_port, passthrough, connections, flat_of, where, out)
        targets = out.targets(dst, c.dest_port)
        for s, sp in sources:
            for d, dp in targets:
                resolved.append(Connection(source=s, source_port=sp, dest=d, dest_port=dp))
    return resolved


def _passed_through(
    container: int,
    port: int,
    passthrough: dict[int, dict[int, int]],
    connections: list[Connection],
    flat_of: dict[int, int],
    where: PathKey,
    out: Flattened,
) -> list[tuple[int, int]]:
    """`in:J -> out:K` inside a container: its output K is whatever feeds its input J."""
    if port in passthrough.get(container, {}):
        j = passthrough[container][port]
        return [
            s
            for c in connections
            if flat_of.get(c.dest, c.dest) == container and c.dest_port == j
            for s in out.sources(flat_of.get(c.source, c.source), c.source_port)
        ]
    raise ContainerError(
        f"output {port} of {path_of(container)} is not connected inside it (no 'N:P -> out:{port}')",
        container,
        where,
    )


def _fed_inside(node_id: int, connections: list[Connection]) -> bool:
    """Whether a node takes an input from another node of its own level (variables then flow in)."""
    return any(c.dest == node_id and c.source != OWN_PORTS for c in connections)


def _inner_workflow(entry: NodeEntry, here: PathKey, out: Flattened, base_dir: Path | None) -> InnerWorkflow:
    if entry.workflow is not None:
        return entry.workflow
    if entry.link:
        return _linked(entry, here, out, base_dir)
    raise ContainerError(f"{entry.type} #{entry.id} has neither a workflow nor a link", entry.id, here)


def _linked(entry: NodeEntry, here: PathKey, out: Flattened, base_dir: Path | None) -> InnerWorkflow:
    """A shared component file: its `workflow` (and configuration). A source that changed since the
    link was taken (`link_version`) is reported, as KNIME reports an updatable link."""
    from engine.core.yamlio import load_with_lines

    path = Path(entry.link or "")
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContainerError(
            f"linked component {entry.link}: {exc.strerror or exc}", entry.id, here
        ) from None
    version = hashlib.sha256(raw).hexdigest()[:12]
    if entry.link_version and entry.link_version != version:
        out.warnings.append(
            f"#{entry.id} {entry.name or entry.type}: its linked component {entry.link} changed since it was "
            f"taken (version {entry.link_version}, now {version}): update the link to accept it"
        )
    data, _ = load_with_lines(raw.decode("utf-8"))
    body = data.get("workflow", data) if isinstance(data, dict) else None
    try:
        return InnerWorkflow.model_validate(body)
    except ValueError as exc:
        raise ContainerError(f"linked component {entry.link}: {exc}", entry.id, here) from None


def link_version(path: Path) -> str:
    """What `link_version` records for a component file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


_PYTHON_TYPES = {
    "integer": int,
    "double": float,
    "boolean": bool,
    "string": str,
    "column": str,
    "choice": str,
}


def _configured(entry: NodeEntry, inner: InnerWorkflow, here: PathKey) -> dict[str, Any]:
    """The component's configuration values: the outer node's settings, else the defaults."""
    known = {o.name for o in inner.configuration}
    unknown = sorted(set(entry.settings) - known)
    if unknown:
        raise ContainerError(
            f"component #{entry.id}: no configuration option {unknown[0]!r} (it has: {', '.join(sorted(known))})",
            entry.id,
            (*here, "settings", unknown[0]),
        )
    values = {}
    for option in inner.configuration:
        value = entry.settings.get(option.name, option.default)
        kind = _PYTHON_TYPES[option.type]
        if value is None:
            raise ContainerError(
                f"component #{entry.id}: option {option.name!r} has no value and no default",
                entry.id,
                (*here, "settings"),
            )
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ContainerError(
                f"component #{entry.id}: option {option.name!r} must be {option.type}, not {value!r}",
                entry.id,
                (*here, "settings", option.name),
            )
        if option.type == "choice" and option.choices and value not in option.choices:
            raise ContainerError(
                f"component #{entry.id}: option {option.name!r} is one of {option.choices}, not {value!r}",
                entry.id,
                (*here, "settings", option.name),
            )
        values[option.name] = value
    return values


# KNIME shows a metanode's or component's traffic light as the worst of its nodes' lights
_WORST_FIRST = ("executing", "queued", "idle", "configured", "executed")


def inner_ids(container: int, ids: list[int] | set[int]) -> list[int]:
    """The flat ids of the nodes inside a container (at any depth)."""
    prefix = path_of(container) + ":"
    return [n for n in ids if n >= INNER_ID_BASE and path_of(n).startswith(prefix)]


def worst_state(states: list[str]) -> str:
    for state in _WORST_FIRST:
        if state in states:
            return state
    return states[0] if states else "idle"
