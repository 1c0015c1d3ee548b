"""The workflow document: pydantic models of the YAML file and loading with all problems at once
(saving in canonical form: `document_saving`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from engine.api import Node, Port, PortType
from engine.core import digraph
from engine.core.metanodes import (
    OWN_PORTS,
    ContainerError,
    InnerWorkflow,
    flatten,
    has_containers,
    path_of,
)
from engine.core.registry import registry
from engine.core.yamlio import (
    MAX_DOCUMENT_BYTES,
    PathKey,
    YamlSyntaxError,
    decode_document,
    line_of,
    load_with_lines,
)

FORMAT = "knitflow/1"
# `in:K` / `out:K`: a metanode's or component's own ports, in the connections of its workflow
_CONNECTION_RE = re.compile(r"^\s*(in|\d+)\s*:\s*(\d+)\s*->\s*(out|\d+)\s*:\s*(\d+)\s*$")


class NodeEntry(BaseModel):
    """One node of the workflow as written in the file."""

    model_config = ConfigDict(extra="forbid")

    id: int = Field(description="The node id, KNIME's #id.")
    type: str = Field(description="A registered node type (see `knitflow nodes`).")
    name: str | None = Field(None, description="Display name shown above the node.")
    annotation: str | None = Field(None, description="Free text shown under the node.")
    position: tuple[int, int] | None = Field(
        None, description="Editor position (x, y) of the node's top left."
    )
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Validated by the node type's settings model."
    )
    use_variables: dict[str, str] = Field(
        default_factory=dict,
        description="setting path -> flow variable that overrides it (KNIME used_variable).",
    )
    expose_variables: dict[str, str] = Field(
        default_factory=dict,
        description="setting path -> new flow variable holding its value (exposed_variable).",
    )
    workflow: InnerWorkflow | None = Field(
        None, description="A metanode's or component's own nodes, connections and ports."
    )
    link: str | None = Field(
        None, description="A component taken from a shared component file (path relative to this file)."
    )
    link_version: str | None = Field(
        None, description="The linked file's version when it was taken (a changed file is reported)."
    )
    # flow variables a component's configuration gives the node (set when containers are flattened)
    _scope_variables: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def scope_variables(self) -> dict[str, Any]:
        return self._scope_variables


class Connection(BaseModel):
    source: int
    source_port: int
    dest: int
    dest_port: int

    def __str__(self) -> str:
        source = "in" if self.source == OWN_PORTS else self.source
        dest = "out" if self.dest == OWN_PORTS else self.dest
        return f"{source}:{self.source_port} -> {dest}:{self.dest_port}"

    @classmethod
    def parse(cls, text: str) -> Connection:
        m = _CONNECTION_RE.match(str(text))
        if not m:
            raise ValueError(f"connection {text!r} is not of the form 'SRC:PORT -> DEST:PORT'")
        source = OWN_PORTS if m[1] == "in" else int(m[1])
        dest = OWN_PORTS if m[3] == "out" else int(m[3])
        return cls(source=source, source_port=int(m[2]), dest=dest, dest_port=int(m[4]))


class Annotation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    bounds: tuple[int, int, int, int] = Field(description="x, y, width, height")


class WorkflowDoc(BaseModel):
    """The whole file. Connections are written as 'SRC:PORT -> DEST:PORT' strings."""

    model_config = ConfigDict(extra="forbid")

    format: str = Field(FORMAT, description="File format version.")
    name: str
    description: str = ""
    variables: dict[str, Any] = Field(
        default_factory=dict, description="Workflow variables and their defaults."
    )
    nodes: list[NodeEntry] = Field(default_factory=list)
    connections: list[Connection] = Field(default_factory=list)
    annotations: list[Annotation] = Field(default_factory=list)
    # after flattening: the metanodes and components the nodes came from, and what their links said
    _containers: dict[int, str] = PrivateAttr(default_factory=dict)
    _container_warnings: list[str] = PrivateAttr(default_factory=list)
    _variable_walls: dict[int, Any] = PrivateAttr(default_factory=dict)  # component id -> VariableWall

    @property
    def containers(self) -> dict[int, str]:
        return self._containers

    @property
    def container_warnings(self) -> list[str]:
        return self._container_warnings

    @property
    def variable_walls(self) -> dict[int, Any]:
        return self._variable_walls

    @field_validator("connections", mode="before")
    @classmethod
    def _parse_connections(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [Connection.parse(v) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("format")
    @classmethod
    def _check_format(cls, value: str) -> str:
        if value != FORMAT:
            raise ValueError(f"unsupported format {value!r}; this knitflow reads {FORMAT!r}")
        return value

    def node(self, node_id: int) -> NodeEntry:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)


InnerWorkflow.model_rebuild(_types_namespace={"NodeEntry": NodeEntry, "Connection": Connection})
NodeEntry.model_rebuild()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workflow file, located as precisely as possible."""

    file: str
    line: int | None
    message: str
    node_id: int | None = None
    setting: str | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        parts = [where]
        if self.node_id is not None:
            parts.append(f"node #{path_of(self.node_id)}")
        if self.setting:
            parts.append(f"setting '{self.setting}'")
        return ": ".join(parts) + f": {self.message}"


class WorkflowLoadError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _loc_to_path(loc: tuple[Any, ...]) -> PathKey:
    return tuple(p for p in loc if isinstance(p, str | int))


def _settings_dotted(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def parse_document(text: str, file: str) -> tuple[WorkflowDoc | None, dict[PathKey, int], list[Problem]]:
    """YAML text -> document; structural problems only (node types are checked by `check`)."""
    try:
        data, lines = load_with_lines(text)
    except YamlSyntaxError as exc:
        return None, {}, [Problem(file, exc.line, f"YAML syntax error: {exc}" if exc.syntax else str(exc))]
    if not isinstance(data, dict):
        return (
            None,
            lines,
            [Problem(file, 1, "a workflow file must be a YAML mapping (format, name, nodes, ...)")],
        )
    try:
        return WorkflowDoc.model_validate(data), lines, []
    except ValidationError as exc:
        problems = []
        errors = _first_errors(data, exc)
        for err in errors:
            path = _loc_to_path(err["loc"])
            node_id = None
            if len(path) >= 2 and path[0] == "nodes" and isinstance(path[1], int):
                raw = data.get("nodes", [])
                if path[1] < len(raw) and isinstance(raw[path[1]], dict):
                    raw_id = raw[path[1]].get("id")
                    node_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
            problems.append(Problem(file, line_of(lines, path), f"{_path_text(path)}: {err['msg']}", node_id))
        if exc.error_count() > MAX_STRUCTURE_PROBLEMS:
            more = exc.error_count() - len(errors)
            problems.append(Problem(file, None, f"... and {more:,} more problems like these"))
        return None, lines, problems


MAX_STRUCTURE_PROBLEMS = 50
"""A file with a million wrong entries gets the first 50 problems and a count, not a million lines."""


def _first_errors(data: dict[Any, Any], exc: ValidationError) -> list[Any]:
    """The first problems of a document; listing all of a million wrong entries takes a minute, so a
    document with many is validated again with its lists cut short."""
    if exc.error_count() > MAX_STRUCTURE_PROBLEMS:
        cut = {k: v[: MAX_STRUCTURE_PROBLEMS * 2] if isinstance(v, list) else v for k, v in data.items()}
        try:
            WorkflowDoc.model_validate(cut)
        except ValidationError as short:
            return short.errors(include_url=False, include_input=False)[:MAX_STRUCTURE_PROBLEMS]
    return exc.errors(include_url=False, include_input=False)[:MAX_STRUCTURE_PROBLEMS]


def _path_text(path: PathKey) -> str:
    """nodes.3.settings.alpha; keys that are not short plain names are quoted and cut."""
    parts = []
    for part in path:
        text = str(part)
        if isinstance(part, str) and not re.fullmatch(r"[\w\-\^ ]{1,60}", text):
            text = repr(text if len(text) <= 40 else text[:40] + "…")
        parts.append(text)
    return ".".join(parts)


def node_index(doc: WorkflowDoc) -> dict[int, int]:
    return {n.id: i for i, n in enumerate(doc.nodes)}


def check(doc: WorkflowDoc, lines: dict[PathKey, int], file: str) -> list[Problem]:
    """Every problem of a parsed document: types, settings, ids, ports, wiring, cycles."""
    problems, seen, types = _node_problems(doc, lines, file)
    problems += _connection_problems(doc, lines, file, seen, types)
    # a required input left unconnected is not a load problem: like KNIME, which loads such a
    # workflow and shows the node red, it is a configure-time error of that node alone,
    # reported by `knitflow validate` and when the workflow runs
    problems += _cycle_problems(doc, lines, file, set(seen))
    return problems


def _node_problems(
    doc: WorkflowDoc, lines: dict[PathKey, int], file: str
) -> tuple[list[Problem], dict[int, int], dict[int, type[Node]]]:
    """The problems of the node entries, with the ids that exist and the classes of those of a known
    type: the connections are checked against both."""
    problems: list[Problem] = []
    seen: dict[int, int] = {}
    types: dict[int, type[Node]] = {}
    for i, entry in enumerate(doc.nodes):
        here = ("nodes", i)
        if entry.id in seen:
            problems.append(
                Problem(file, line_of(lines, (*here, "id")), f"duplicate node id {entry.id}", entry.id)
            )
            continue
        seen[entry.id] = i
        cls = registry.get(entry.type)
        if cls is None:
            problems.append(
                Problem(file, line_of(lines, (*here, "type")), unknown_type_message(entry.type), entry.id)
            )
            continue
        types[entry.id] = cls
        problems += _settings_problems(entry, cls, here, lines, file)
        problems += _variable_setting_problems(entry, cls, here, lines, file)
    return problems, seen, types


def _settings_problems(
    entry: NodeEntry, cls: type[Node], here: PathKey, lines: dict[PathKey, int], file: str
) -> list[Problem]:
    """Each setting the node type's model rejects, located at the setting's own line."""
    try:
        cls.Settings.model_validate(entry.settings)
    except ValidationError as exc:
        return [
            Problem(
                file,
                line_of(lines, (*here, "settings", *_loc_to_path(err["loc"]))),
                err["msg"],
                entry.id,
                _settings_dotted(err["loc"]) or None,
            )
            for err in exc.errors()
        ]
    return []


def _variable_setting_problems(
    entry: NodeEntry, cls: type[Node], here: PathKey, lines: dict[PathKey, int], file: str
) -> list[Problem]:
    """A flow variable bound to a setting the node type does not have would silently do nothing."""
    fields = cls.Settings.model_fields
    return [
        Problem(
            file,
            line_of(lines, (*here, kind, setting)),
            f"{kind}: {entry.type} has no setting {setting!r}",
            entry.id,
            setting,
        )
        for kind in ("use_variables", "expose_variables")
        for setting in getattr(entry, kind)
        if setting.split(".")[0] not in fields
    ]


def _connection_problems(
    doc: WorkflowDoc,
    lines: dict[PathKey, int],
    file: str,
    seen: dict[int, int],
    types: dict[int, type[Node]],
) -> list[Problem]:
    """The problems of the connections, in file order: missing nodes, then the wiring itself."""
    problems: list[Problem] = []
    settings_of = {entry.id: entry.settings for entry in doc.nodes}
    into: dict[tuple[int, int], int] = {}
    for ci, conn in enumerate(doc.connections):
        line = line_of(lines, ("connections", ci))
        problems += [
            Problem(file, line, f"connection {conn}: there is no node {nid}", nid)
            for nid in (conn.source, conn.dest)
            if nid not in seen
        ]
        src_cls, dst_cls = types.get(conn.source), types.get(conn.dest)
        if src_cls is None or dst_cls is None:
            # a node of unknown type is reported once, at its type: its connections still count as
            # wired, so its neighbours get no follow-on "not connected" errors
            if conn.dest_port != 0:
                into.setdefault((conn.dest, conn.dest_port), ci)
            continue
        problems += _wiring_problems(conn, ci, src_cls, dst_cls, settings_of, into, file, line)
    return problems


def _wiring_problems(
    conn: Connection,
    ci: int,
    src_cls: type[Node],
    dst_cls: type[Node],
    settings_of: dict[int, dict[str, Any]],
    into: dict[tuple[int, int], int],
    file: str,
    line: int | None,
) -> list[Problem]:
    """The problems of one connection between two known nodes: ports that do not exist or do not
    fit, an input fed twice (the inputs fed so far are recorded in `into`), a node feeding itself."""
    problems: list[Problem] = []

    def problem(message: str, node_id: int) -> None:
        problems.append(Problem(file, line, f"connection {conn}: {message}", node_id))

    out_type = port_type(src_cls, conn.source_port, output=True, settings=settings_of[conn.source])
    in_type = port_type(dst_cls, conn.dest_port, output=False, settings=settings_of[conn.dest])
    if out_type is None:
        problem(f"{src_cls.type_name} has no output port {conn.source_port}", conn.source)
    if in_type is None:
        problem(f"{dst_cls.type_name} has no input port {conn.dest_port}", conn.dest)
    if out_type is None or in_type is None:
        return problems
    if not ports_compatible(out_type, in_type):
        problem(f"port type mismatch: {out_type.label} output cannot feed a {in_type.label} input", conn.dest)
    if conn.dest_port != 0:
        if (conn.dest, conn.dest_port) in into:
            problem(f"input port {conn.dest_port} already has a connection", conn.dest)
        into[(conn.dest, conn.dest_port)] = ci
    if conn.source == conn.dest:
        problem("a node cannot feed itself", conn.dest)
    return problems


def unknown_type_message(type_name: str) -> str:
    """ "unknown node type 'x'", with the closest registered names and any plug-in that failed to
    load (its types would be missing)."""
    message = f"unknown node type {type_name!r}"
    close = registry.closest(type_name)
    if close:
        message += f"; did you mean {' or '.join(f'`{c}`' for c in close)}?"
    failed = registry.failed_plugins()
    if failed:
        message += "; " + "; ".join(str(f) for f in failed)
    return message


def _cycle_problems(doc: WorkflowDoc, lines: dict[PathKey, int], file: str, ids: set[int]) -> list[Problem]:
    """One problem per cycle found, located at the connection that closes it: the cycle's
    connection written last in the file (without it, the others form a chain)."""
    index: dict[tuple[int, int], list[int]] = {}
    for ci, c in enumerate(doc.connections):
        if c.source in ids and c.dest in ids and c.source != c.dest:
            index.setdefault((c.source, c.dest), []).append(ci)
    acyclic = digraph.DiGraph()
    acyclic.add_nodes_from(ids)
    acyclic.add_edges_from(index)
    if digraph.is_acyclic(acyclic):
        return []
    import networkx as nx  # its find_cycle names the cycle; only a workflow with one pays the import

    graph = nx.DiGraph()
    graph.add_nodes_from(ids)
    graph.add_edges_from(index)
    problems: list[Problem] = []
    while True:
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return problems
        closing = max(max(index[(a, b)]) for a, b, *_ in cycle)
        conn = doc.connections[closing]
        # the cycle read from the closing connection's destination round to its source
        order = [e[0] for e in cycle]
        start = order.index(conn.dest)
        path = order[start:] + order[:start]
        problems.append(
            Problem(
                file,
                line_of(lines, ("connections", closing)),
                f"connection {conn} closes a cycle: {' -> '.join(map(str, [*path, path[0]]))}",
                conn.dest,
            )
        )
        graph.remove_edge(conn.source, conn.dest)


def node_ports(cls: type[Node], settings: Any = None) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
    """(inputs, outputs) of one node: its type's `ports_for(settings)`, the class's ports when the
    settings cannot tell (a node may declare its ports per instance, e.g. an imported placeholder)."""
    try:
        return cls.ports_for(settings if isinstance(settings, dict) else None)
    except Exception:  # settings the type cannot read are reported by the settings check
        return cls.inputs, cls.outputs


def port_type(cls: type[Node], port: int, *, output: bool, settings: Any = None) -> PortType | None:
    if port == 0:
        return PortType.VARIABLES
    inputs, outputs = node_ports(cls, settings)
    ports = outputs if output else inputs
    return ports[port - 1].type if 1 <= port <= len(ports) else None


def ports_compatible(out_type: PortType, in_type: PortType) -> bool:
    variables = PortType.VARIABLES
    if in_type == variables and out_type == variables:
        return True
    if in_type == variables:
        # KNIME: any port's variables may be routed into a flow-variable input (port 0 ears)
        return True
    if out_type == variables:
        return False
    return in_type.accepts(out_type)


def read_document(path: str | Path) -> tuple[WorkflowDoc, dict[PathKey, int]]:
    """Load and check a file; raise `WorkflowLoadError` listing every problem."""
    path = Path(path)
    file = str(path)
    try:
        with path.open("rb") as fh:  # at most one byte more than allowed: a huge file is not read whole
            data = fh.read(MAX_DOCUMENT_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise WorkflowLoadError(
            [Problem(file, None, f"cannot read workflow: {getattr(exc, 'strerror', None) or exc}")]
        ) from None
    try:
        text = decode_document(data)
    except YamlSyntaxError as exc:
        raise WorkflowLoadError([Problem(file, exc.line, str(exc))]) from None
    doc, lines, problems = parse_document(text, file)
    if doc is not None:
        doc, lines, problems = checked(doc, lines, file, path.parent)
    if problems:
        raise WorkflowLoadError(problems)
    assert doc is not None
    return doc, lines


def checked(
    doc: WorkflowDoc, lines: dict[PathKey, int], file: str, base_dir: Path | None
) -> tuple[WorkflowDoc, dict[PathKey, int], list[Problem]]:
    """`check` of the document as it runs: metanodes and components flattened into one graph."""
    if has_containers(doc):
        try:
            flat = flatten(doc, lines, base_dir)
        except ContainerError as exc:
            return doc, lines, [Problem(file, line_of(lines, exc.where), str(exc), exc.node_id)]
        doc, lines = flat.doc, flat.lines
        doc._container_warnings = flat.warnings  # noqa: SLF001 (set once, where it is made)
        doc._containers = flat.containers  # noqa: SLF001
    return doc, lines, check(doc, lines, file)
