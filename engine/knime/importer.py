"""KNIME workflow -> knitflow document, with the mappings node types declare (`Node.knime`).

`to_document` runs each node's translator (`engine.api.knime`) and fits the result to the node
type's settings model; `skeleton` reads an archive and does that, `load_knwf` gives a runnable
`Workflow` and `import_cli` is `knitflow import-knime` (the README's list of the nodes it maps is
`engine.knime.supported_nodes`). Everything that cannot be carried over exactly is an entry of the
`ImportReport`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.api import Node
from engine.api.knime import KnimeMapping, KnimeSettings, convert
from engine.core.document import Annotation, Connection, NodeEntry, WorkflowDoc
from engine.core.metanodes import ContainerPort, InnerWorkflow
from engine.knime.archive import (
    TEMPLATE_PORTS,
    KnimeFormatError,
    KnimeNode,
    KnimePort,
    KnimeWorkflow,
    read_archive,
)
from engine.knime.configuration import component_boundary, component_configuration
from engine.knime.ports import PLACEHOLDER_TYPE, loadable_connections, placeholder_ports

if TYPE_CHECKING:
    from engine.core.workflow import Workflow


@cache
def knime_index() -> dict[str, tuple[type[Node], KnimeMapping]]:
    """Every registered node type's KNIME mappings by factory: the full class name (or
    `extension:node` key). A factory is matched by its full name only: an older node of another
    package with the same class name (the old Row Filter's `RowFilterNodeFactory`) has other
    settings, and reading them with the newer node's translator would guess."""
    from engine.core.registry import registry

    index: dict[str, tuple[type[Node], KnimeMapping]] = {}
    for cls in registry.all().values():
        for mapping in cls.knime:
            if mapping.factory in index:
                other = index[mapping.factory][0].type_name
                raise ValueError(
                    f"KNIME factory {mapping.factory} is mapped twice ({other}, {cls.type_name})"
                )
            index[mapping.factory] = (cls, mapping)
    return index


def find_mapping(node: KnimeNode) -> tuple[type[Node], KnimeMapping] | None:
    """The node type mapping this KNIME node: a built-in one is found through the registry's index
    (only its family is imported), anything else (a plug-in's) through every registered type."""
    from engine.core.registry import registry

    key = node.factory_key
    type_name = _builtin_factories().get(key)
    cls = registry.get(type_name) if type_name is not None else None
    if cls is not None:
        for mapping in cls.knime:
            if mapping.factory == key:
                return cls, mapping
    return knime_index().get(key)


@cache
def _builtin_factories() -> dict[str, str]:
    """KNIME factory -> built-in node type, from the registry's index (nothing imported)."""
    from engine.core.registry import registry

    return {factory: name for name, entry in registry.index().items() for factory in entry.knime}


# ----------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class ReportEntry:
    """One thing the import could not carry over exactly."""

    node_id: int | None
    node_name: str | None
    kind: str  # unknown_node, unsupported_node, unregistered_type, setting, connection, note
    message: str
    factory: str | None = None

    def __str__(self) -> str:
        where = f"#{self.node_id} {self.node_name}: " if self.node_id is not None else ""
        return f"{where}{self.message}"


@dataclass
class ImportReport:
    entries: list[ReportEntry] = field(default_factory=list)

    def add(self, kind: str, message: str, node: KnimeNode | None = None) -> None:
        self.entries.append(
            ReportEntry(
                node.id if node else None,
                node.name if node else None,
                kind,
                message,
                node.factory if node else None,
            )
        )

    def for_node(self, node: KnimeNode) -> NodeReport:
        return NodeReport(self, node)

    def of_kind(self, kind: str) -> list[ReportEntry]:
        return [e for e in self.entries if e.kind == kind]

    def __str__(self) -> str:
        return "\n".join(f"[{e.kind}] {e}" for e in self.entries)


@dataclass
class NodeReport:
    """What a mapping function is handed to note anything it could not translate."""

    report: ImportReport
    node: KnimeNode

    def setting(self, message: str) -> None:
        """A setting knitflow does not support or had to change."""
        self.report.add("setting", message, self.node)

    def note(self, message: str) -> None:
        self.report.add("note", message, self.node)


# --------------------------------------------------------------------------------------- skeleton


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _model_classes(annotation: Any) -> list[type]:
    """Pydantic models inside a field's annotation (`X`, `X | None`, `list[X]`)."""
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for a in get_args(annotation) for m in _model_classes(a)]


def _fit_keys(
    model: type, values: dict[str, Any], report: NodeReport, where: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """Rename keys to the model's fields (compared without case and separators), recursing into
    nested models; keys without a field are dropped and reported. Returns (values, renames)."""
    fields = model.model_fields  # type: ignore[attr-defined]
    lookup: dict[str, str] = {}
    for fname, finfo in fields.items():
        key = finfo.alias or fname
        lookup.setdefault(_norm(fname), key)
        if finfo.alias:
            lookup.setdefault(_norm(finfo.alias), key)
    out: dict[str, Any] = {}
    renames: dict[str, str] = {}
    for key, value in values.items():
        target = (
            key if key in fields or any(f.alias == key for f in fields.values()) else lookup.get(_norm(key))
        )
        if target is None:
            report.setting(f"setting {where}{key} = {_short(value)} has no counterpart in knitflow")
            continue
        finfo = fields.get(target) or next(f for f in fields.values() if f.alias == target)
        nested = _model_classes(finfo.annotation)
        if nested and isinstance(value, dict):
            value, _ = _fit_keys(nested[0], value, report, f"{where}{target}.")
        elif nested and isinstance(value, list):
            value = [
                _fit_keys(nested[0], v, report, f"{where}{target}[{i}].")[0] if isinstance(v, dict) else v
                for i, v in enumerate(value)
            ]
        out[target] = value
        renames[key] = target
    return out, renames


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fit(
    type_name: str, settings: dict[str, Any], use: dict[str, str], expose: dict[str, str], report: NodeReport
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Fit the mapped settings to the node type's settings model once that type is registered;
    what fails validation is dropped (and reported) so that the document stays loadable."""
    from pydantic import ValidationError

    from engine.core.registry import registry

    cls = registry.get(type_name)
    if cls is None:
        report.report.add(
            "unregistered_type",
            f"node type {type_name!r} is not installed: settings not checked",
            report.node,
        )
        return settings, use, expose
    settings, renames = _fit_keys(cls.Settings, settings, report, "")
    fields = {_norm(f.alias or n): f.alias or n for n, f in cls.Settings.model_fields.items()}
    fields.update({_norm(n): f.alias or n for n, f in cls.Settings.model_fields.items()})

    def rename(paths: dict[str, str], kind: str) -> dict[str, str]:
        result = {}
        for path, var in paths.items():
            head, _, rest = path.partition(".")
            target = renames.get(head) or fields.get(_norm(head))
            if target is None:
                report.setting(f"{kind} {path} -> {var!r} dropped: {type_name} has no setting {head!r}")
                continue
            result[target + ("." + rest if rest else "")] = var
        return result

    use, expose = rename(use, "use_variables"), rename(expose, "expose_variables")
    for _ in range(len(settings) + 1):
        try:
            cls.Settings.model_validate(settings)
            break
        except ValidationError as exc:
            bad = {
                str(err["loc"][0]) for err in exc.errors() if err["loc"] and str(err["loc"][0]) in settings
            }
            for err in exc.errors():
                loc = ".".join(map(str, err["loc"]))
                value = settings.get(str(err["loc"][0])) if err["loc"] else None
                report.setting(f"setting {loc} = {_short(value)} rejected by {type_name}: {err['msg']}")
            if not bad:
                break
            for key in bad:
                settings.pop(key, None)
    return settings, use, expose


def _placeholder(node: KnimeNode, message: str) -> dict[str, Any]:
    return {
        "factory": node.factory or node.node_type,
        "node_name": node.name,
        "message": message,
        "knime_settings": convert(node.model, NodeReport(ImportReport(), node), ""),
    }


def _template_ports(wf: KnimeWorkflow, report: ImportReport) -> dict[str, KnimeNode]:
    """A metanode template (connections from or to id -1, the metanode's own ports) gets two
    placeholders standing for its input and output ports: the workflow around the template is not in the archive."""
    used = {
        side
        for c in wf.connections
        for side, nid in (("in", c.source), ("out", c.dest))
        if nid == TEMPLATE_PORTS
    }
    if not used and not (wf.template_in_ports or wf.template_out_ports):
        return {}
    next_id = max((n.id for n in wf.nodes), default=0) + 1
    xs = [n.position[0] for n in wf.nodes if n.position] or [0]
    ys = [n.position[1] for n in wf.nodes if n.position] or [0]
    middle = sum(ys) // len(ys)
    pseudo: dict[str, KnimeNode] = {}
    for side, ports, x in (
        ("in", wf.template_in_ports, min(xs) - 150),
        ("out", wf.template_out_ports, max(xs) + 150),
    ):
        if side not in used and not ports:
            continue
        name = "Metanode inputs" if side == "in" else "Metanode outputs"
        node = KnimeNode(
            id=next_id,
            settings_file="",
            factory="",
            name=name,
            bounds=(x, middle, -1, -1),
            annotation=None,
            model={},
            variables={},
            bindings={},
            node_type="MetaNodePorts",
        )
        if side == "in":
            node.out_ports = dict(ports)
        else:
            node.in_ports = dict(ports)
        next_id += 1
        pseudo[side] = node
        report.add(
            "unsupported_node",
            f"the {'inputs' if side == 'in' else 'outputs'} of this metanode template (node id -1) are a "
            "placeholder: the workflow the template is used in is not in the archive",
            node,
        )
    return pseudo


_PortMaps = tuple[dict[int, int | None], dict[int, int | None]]  # KNIME port -> knitflow's (in, out)


def _mapped_port(port_maps: dict[int, _PortMaps], node_id: int, side: int, port: int) -> int | None:
    """knitflow's port for a KNIME port: port 0 (flow variables) is the same everywhere; dynamic
    port groups may be renumbered (None: the node has no equivalent)."""
    if node_id in port_maps and port:
        return port_maps[node_id][side].get(port, port)
    return port


def _node_entry(
    node: KnimeNode, report: ImportReport, data_dir: str | None, port_maps: dict[int, _PortMaps]
) -> NodeEntry:
    """One KNIME node as a document entry: translated by its mapping, a container with its inner
    workflow, or a placeholder with the KNIME node's ports (and why)."""
    if node.is_meta and node.inner is not None and node.inner.nodes and node.node_type != "MetaNodePorts":
        return _container(node, report, data_dir)
    use: dict[str, str] = {}
    expose: dict[str, str] = {}
    if node.node_type == "MetaNodePorts":
        type_name = PLACEHOLDER_TYPE
        settings = _placeholder(
            node, "a metanode template's own ports: the workflow using it is not in the archive"
        )
    elif node.is_meta:
        kind = "component" if node.node_type == "SubNode" else "metanode"
        msg = f"KNIME {kind} #{node.id} ({node.name}) cannot be imported: its workflow is not in the archive"
        report.add("unsupported_node", msg, node)
        type_name, settings = PLACEHOLDER_TYPE, _placeholder(node, msg)
    elif (found := find_mapping(node)) is None:
        msg = f"KNIME node {node.name!r} ({node.factory_key}) has no knitflow equivalent"
        report.add("unknown_node", msg, node)
        type_name, settings = PLACEHOLDER_TYPE, _placeholder(node, msg)
    else:
        type_name, settings, use, expose = _translated(node, *found, report.for_node(node), port_maps)
    if type_name == PLACEHOLDER_TYPE:
        for path, b in node.bindings.items():
            report.add("setting", f"flow-variable binding of {path} ({b}) dropped with the node", node)
    return NodeEntry(
        id=node.id,
        type=type_name,
        name=node.name,
        annotation=node.annotation,
        position=node.position,
        settings=settings,
        use_variables=use,
        expose_variables=expose,
    )


def _translated(
    node: KnimeNode, cls: type[Node], mapping: KnimeMapping, nrep: NodeReport, port_maps: dict[int, _PortMaps]
) -> tuple[str, Any, dict[str, str], dict[str, str]]:
    """The node's type, settings and variable bindings by its mapping; a placeholder when the
    mapping refuses (never a node that runs with other settings than KNIME's)."""
    knime = KnimeSettings({**node.view, **node.model}, {**node.view_bindings, **node.bindings}, nrep)
    settings, use, expose = mapping.apply(knime)
    if knime.refused is not None:
        return PLACEHOLDER_TYPE, _placeholder(node, knime.refused), {}, {}
    settings, use, expose = _fit(cls.type_name, settings, use, expose, nrep)
    if mapping.ports is not None:
        port_maps[node.id] = mapping.ports(node.creation_config)
    return cls.type_name, settings, use, expose


def _connections(
    wf: KnimeWorkflow,
    template: dict[str, KnimeNode],
    port_maps: dict[int, _PortMaps],
    knime_nodes: dict[int, KnimeNode],
    report: ImportReport,
    *,
    nested: bool,
) -> tuple[list[Connection], list[Connection]]:
    """The connections with knitflow's port numbers (those without an equivalent port dropped and
    reported), and inside a container those from or to its own ports."""
    connections: list[Connection] = []
    own: list[Connection] = []  # inside a container: connections from/to its own ports
    for c in wf.connections:
        if nested and TEMPLATE_PORTS in (c.source, c.dest):
            own.append(
                Connection(source=c.source, source_port=c.source_port, dest=c.dest, dest_port=c.dest_port)
            )
            continue
        source = template["in"].id if c.source == TEMPLATE_PORTS else c.source
        dest = template["out"].id if c.dest == TEMPLATE_PORTS else c.dest
        src, dst = (
            _mapped_port(port_maps, source, 1, c.source_port),
            _mapped_port(port_maps, dest, 0, c.dest_port),
        )
        if src is None or dst is None:
            report.add(
                "connection",
                f"connection {c} dropped: knitflow's node has no equivalent port",
                knime_nodes.get(source if src is None else dest),
            )
            continue
        connections.append(Connection(source=source, source_port=src, dest=dest, dest_port=dst))
    return connections, own


def to_document(
    wf: KnimeWorkflow,
    report: ImportReport | None = None,
    *,
    data_dir: str | None = None,
    nested: bool = False,
) -> WorkflowDoc:
    """The knitflow document of a read archive; every loss goes into `report`. Data files read
    by CSV Readers become `${data_dir}/<file>`; `data_dir` (default `../data`) is then declared as
    a workflow variable. The document always loads: unknown nodes, metanodes and components become
    placeholders with the KNIME node's ports, and a connection that does not fit is dropped and
    reported."""
    report = report if report is not None else ImportReport()
    port_maps: dict[int, _PortMaps] = {}
    # a metanode's own ports (node id -1) are the container's `in:K`/`out:K` when it is imported
    # inside its workflow; a metanode template exported on its own gets placeholder nodes for them
    template = {} if nested else _template_ports(wf, report)
    knime_nodes = {n.id: n for n in [*wf.nodes, *template.values()]}
    entries = [_node_entry(node, report, data_dir, port_maps) for node in [*wf.nodes, *template.values()]]
    connections, own = _connections(wf, template, port_maps, knime_nodes, report, nested=nested)

    def declared(node_id: int) -> tuple[dict[int, KnimePort], dict[int, KnimePort]]:
        node = knime_nodes.get(node_id)
        return (node.in_ports, node.out_ports) if node is not None else ({}, {})

    def drop(c: Connection, why: str) -> None:
        report.add("connection", f"connection {c} dropped: {why}", knime_nodes.get(c.dest))

    placeholder_ports(entries, connections, declared)
    plain = [e for e in entries if e.workflow is None]
    inner = [
        c for c in connections if c.source not in containers(entries) and c.dest not in containers(entries)
    ]
    crossing = [c for c in connections if c not in inner]
    connections = [*loadable_connections(plain, inner, drop), *crossing, *own]
    annotations = [Annotation(text=a.text, bounds=a.bounds) for a in wf.annotations if a.text.strip()]
    variables: dict[str, Any] = {}
    if any("${data_dir}" in str(e.settings) for e in entries):
        variables["data_dir"] = data_dir or "../data"
    return WorkflowDoc(
        name=wf.name,
        description=wf.description,
        variables=variables,
        nodes=entries,
        connections=connections,
        annotations=annotations,
    )


def containers(entries: list[NodeEntry]) -> set[int]:
    return {e.id for e in entries if e.workflow is not None}


def _container(node: KnimeNode, report: ImportReport, data_dir: str | None) -> NodeEntry:
    """A KNIME metanode or component with its own workflow: a knitflow metanode/component. A
    component's input and output nodes become its `in:K` / `out:K` ports."""
    assert node.inner is not None
    inner, scope = component_boundary(node, report) if node.node_type == "SubNode" else (node.inner, {})
    inner, options, values = component_configuration(inner, node, report)
    doc = to_document(inner, report, data_dir=data_dir, nested=True)
    ports_in = [ContainerPort(name=p.name) for _, p in sorted(node.in_ports.items())]
    ports_out = [ContainerPort(name=p.name) for _, p in sorted(node.out_ports.items())]
    return NodeEntry(
        id=node.id,
        type="component" if node.node_type == "SubNode" else "metanode",
        name=node.name,
        annotation=node.annotation,
        position=node.position,
        settings=values,
        workflow=InnerWorkflow(
            inputs=ports_in,
            outputs=ports_out,
            nodes=doc.nodes,
            connections=doc.connections,
            configuration=options,
            **scope,
        ),
    )


def skeleton(
    path: str | Path, report: ImportReport | None = None, *, data_dir: str | None = None
) -> WorkflowDoc:
    """The knitflow document of a KNIME archive: ids, types (mapped or `knime_placeholder`), names,
    annotations, positions, connections, workflow annotations and mapped settings."""
    return to_document(read_archive(path), report, data_dir=data_dir)


def import_cli(
    source: Path, output: Path | None, *, data_dir: str | None = None, strict: bool = False
) -> int:
    """`knitflow import-knime`: write the YAML (default `<workflow name>.yaml`), list every loss
    on stderr; with `strict`, write nothing when anything could not be mapped (exit 2)."""
    import sys

    from engine.core.document_saving import write_document

    report = ImportReport()
    try:
        doc = skeleton(source, report, data_dir=data_dir)
    except KnimeFormatError as exc:
        print(f"import-knime: {exc}", file=sys.stderr)
        return 2
    for entry in report.entries:
        print(f"{source.name}: [{entry.kind}] {entry}", file=sys.stderr)
    losses = [e for e in report.entries if e.kind != "note"]
    if strict and losses:
        print(f"import-knime: {len(losses)} problem(s); nothing written (--strict)", file=sys.stderr)
        return 2
    target = output or Path(f"{doc.name}.yaml")
    write_document(doc, target)
    print(
        f"wrote {target} ({len(doc.nodes)} nodes, {len(doc.connections)} connections, "
        f"{len(losses)} problem(s))"
    )
    return 0


def load_knwf(
    path: str | Path, *, data_dir: str | None = None, report: ImportReport | None = None
) -> Workflow:
    """The Python API of the importer: a KNIME archive (or exported workflow folder) as a runnable,
    unsaved `Workflow`. Its base folder (for relative paths such as `${data_dir}`'s default
    `../data` and the CSV Writer's file) is the folder holding the archive; `wf.save(path)` writes
    the YAML. What could not be mapped goes into `report`."""
    from engine.core.document import WorkflowLoadError, checked
    from engine.core.workflow import Workflow

    path = Path(path)
    doc = skeleton(path, report, data_dir=data_dir)
    doc, _, problems = checked(doc, {}, str(path), path.resolve().parent)
    if problems:
        raise WorkflowLoadError(problems)
    wf = Workflow(doc, (path.resolve().parent / f"{doc.name}.yaml"))
    wf.compile()  # loop wiring problems are load problems too
    return wf
