"""Reading KNIME workflow archives (.knwf zips or exported workflow folders).

KNIME stores a workflow as `workflow.knime` (nodes, connections, workflow annotations) plus one
`settings.xml` per node, all in its generic XML *config* format:
`<config key=...>` for nested maps and `<entry key=... type=... value=.../>` for typed leaves.
This module turns that into plain Python (`KnimeWorkflow`), and `skeleton` turns it into a
knitflow `WorkflowDoc` using the table-driven mappings of `engine.knime.mappings`; `load_knwf`
gives a runnable `Workflow`, `import_cli` is `knitflow import-knime`, and
`python -m engine.knime --update-readme` regenerates the README's supported-node list.

Port numbers are kept as KNIME writes them: port 0 is the implicit flow-variable port and data
ports count from 1, which is knitflow's numbering as well.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from engine.core.document import Annotation, Connection, NodeEntry, WorkflowDoc

if TYPE_CHECKING:
    from engine.core.workflow import Workflow

__all__ = [
    "Binding",
    "ImportReport",
    "KnimeAnnotation",
    "KnimeConnection",
    "KnimeFormatError",
    "KnimeNode",
    "KnimeWorkflow",
    "NodeReport",
    "PLACEHOLDER_TYPE",
    "ReportEntry",
    "decode_string",
    "flatten_variables",
    "import_cli",
    "load_knwf",
    "main",
    "parse_config",
    "parse_config_xml",
    "read_archive",
    "skeleton",
    "supported_nodes_markdown",
    "to_document",
    "update_readme",
]

_NS = "{http://www.knime.org/2008/09/XMLConfig}"
_ESCAPE_RE = re.compile(r"%%(\d{5})")
PLACEHOLDER_TYPE = "knime_placeholder"


class KnimeFormatError(Exception):
    """The file is not a KNIME workflow this reader understands."""


# ------------------------------------------------------------------------------ XML config format


def decode_string(value: str) -> str:
    """Undo KNIME's own escaping on top of XML: characters XML 1.0 cannot hold (and some others,
    e.g. newlines, NUL, full-width brackets) are written as `%%` + five decimal digits."""
    if "%%" not in value:
        return value
    return _ESCAPE_RE.sub(lambda m: chr(int(m.group(1))), value)


def _entry_value(elem: ET.Element) -> Any:
    if elem.get("isnull") == "true":
        return None
    kind = elem.get("type", "xstring")
    raw = elem.get("value", "")
    if kind in ("xint", "xlong", "xshort", "xbyte"):
        return int(raw)
    if kind in ("xdouble", "xfloat"):
        return float(raw)  # KNIME writes Java's "NaN", "Infinity", "-Infinity": float() reads them
    if kind == "xboolean":
        return raw.strip().lower() == "true"
    return decode_string(raw)  # xstring, xchar, xpassword, xtransientstring, ...


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_config(elem: ET.Element) -> Any:
    """A `<config>` element as Python: a dict of its children in file order; a KNIME array (a
    config holding exactly `array-size` and the keys "0".."n-1") becomes a list."""
    out: dict[str, Any] = {}
    for child in elem:
        tag = _local(child.tag)
        key = child.get("key", "")
        if tag == "entry":
            out[key] = _entry_value(child)
        elif tag == "config":
            out[key] = parse_config(child)
    return _as_array(out)


def _as_array(tree: dict[str, Any]) -> Any:
    size = tree.get("array-size")
    if not isinstance(size, int) or isinstance(size, bool) or len(tree) != size + 1:
        return tree
    try:
        return [tree[str(i)] for i in range(size)]
    except KeyError:
        return tree


def parse_config_xml(text: str | bytes) -> dict[str, Any]:
    """A whole XML config document (settings.xml, workflow.knime) as a dict."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise KnimeFormatError(f"not a readable KNIME config file: {exc}") from None
    if _local(root.tag) != "config":
        raise KnimeFormatError(f"not a KNIME config file (root element <{_local(root.tag)}>)")
    tree = parse_config(root)
    return tree if isinstance(tree, dict) else {"": tree}


@dataclass(frozen=True)
class Binding:
    """A setting's flow-variable binding: `used` overrides the setting, `exposed` publishes it."""

    used: str | None = None
    exposed: str | None = None


def flatten_variables(tree: Any, prefix: str = "") -> dict[str, Binding]:
    """The `variables/tree` of a settings.xml as {dotted model path: Binding}, non-empty ones only.
    A leaf is a config holding `used_variable` / `exposed_variable`; the path mirrors the model."""
    out: dict[str, Binding] = {}
    if isinstance(tree, list):
        tree = {str(i): v for i, v in enumerate(tree)}
    if not isinstance(tree, dict):
        return out
    if "used_variable" in tree or "exposed_variable" in tree:
        used = tree.get("used_variable") or None
        exposed = tree.get("exposed_variable") or None
        if used or exposed:
            out[prefix] = Binding(used, exposed)
        return out
    for key, value in tree.items():
        if isinstance(value, dict | list):
            out.update(flatten_variables(value, f"{prefix}.{key}" if prefix else key))
    return out


def html_to_text(text: str) -> str:
    """KNIME 5 stores workflow annotations as HTML paragraphs; knitflow shows plain text."""
    text = re.sub(r"(?i)<br\s*/?>", "\n", text)
    text = re.sub(r"(?i)</(p|div|li|h[1-6])\s*>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text).strip("\n")


# ------------------------------------------------------------------------------- workflow objects


@dataclass
class KnimeNode:
    id: int
    settings_file: str  # relative to the workflow folder, e.g. "CSV Reader (#1)/settings.xml"
    factory: str  # full Java class name; "" for metanodes/components
    name: str  # the node's display name (node-name in settings.xml)
    bounds: tuple[int, int, int, int] | None  # x, y, width, height (KNIME writes -1 for unknown sizes)
    annotation: str | None
    model: dict[str, Any]  # the `model` config: the node's own settings
    variables: dict[str, Any]  # the raw `variables/tree` config
    bindings: dict[str, Binding]  # flattened variables tree
    node_type: str = "NativeNode"  # NativeNode, MetaNode, SubNode
    extension_node: tuple[str, str] | None = None  # (extension id, node id) for Python extension nodes
    port_summaries: dict[int, str] = field(default_factory=dict)  # recorded port_object_summary per out port
    view: dict[str, Any] = field(
        default_factory=dict
    )  # the `view` config of view nodes (axes, columns, title)
    view_bindings: dict[str, Binding] = field(default_factory=dict)
    creation_config: dict[str, Any] = field(default_factory=dict)  # dynamic ports (node_creation_config)
    state: str | None = None
    settings: dict[str, Any] = field(default_factory=dict, repr=False)  # the whole settings.xml

    @property
    def folder(self) -> str:
        return str(PurePosixPath(self.settings_file).parent)

    @property
    def is_meta(self) -> bool:
        return self.node_type != "NativeNode"

    @property
    def factory_key(self) -> str:
        """The key into `knime_mappings.MAPPINGS`: the factory's simple class name, or
        `extension:node_id` for Python extension nodes (they all share one factory class)."""
        if self.extension_node is not None:
            return f"{self.extension_node[0]}:{self.extension_node[1]}"
        return self.factory.rsplit(".", 1)[-1]

    @property
    def position(self) -> tuple[int, int] | None:
        return (self.bounds[0], self.bounds[1]) if self.bounds else None


@dataclass(frozen=True)
class KnimeConnection:
    source: int
    source_port: int
    dest: int
    dest_port: int

    def __str__(self) -> str:
        return f"{self.source}:{self.source_port} -> {self.dest}:{self.dest_port}"


@dataclass
class KnimeAnnotation:
    text: str  # plain text (HTML converted)
    bounds: tuple[int, int, int, int]
    content_type: str = "text/plain"
    raw_text: str = ""


@dataclass
class KnimeWorkflow:
    name: str
    path: Path
    nodes: list[KnimeNode]
    connections: list[KnimeConnection]
    annotations: list[KnimeAnnotation]
    description: str = ""
    created_by: str | None = None
    version: str | None = None
    state: str | None = None

    def node(self, node_id: int) -> KnimeNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    @property
    def unsupported(self) -> list[KnimeNode]:
        """Metanodes and components: knitflow has no nested workflows."""
        return [n for n in self.nodes if n.is_meta]


# ------------------------------------------------------------------------------------ file access


class _Source:
    """Files of a workflow, from a zip or a folder, addressed relative to the workflow folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._root = ""
        if path.is_dir():
            if not (path / "workflow.knime").is_file():
                found = sorted(path.rglob("workflow.knime"), key=lambda p: len(p.parts))
                if not found:
                    raise KnimeFormatError(f"{path}: no workflow.knime in this folder")
                self.path = found[0].parent
            return
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise KnimeFormatError(f"{path}: not a KNIME archive (.knwf zip): {exc}") from None
        names = [n for n in self._zip.namelist() if PurePosixPath(n).name == "workflow.knime"]
        if not names:
            raise KnimeFormatError(f"{path}: the archive holds no workflow.knime")
        top = min(names, key=lambda n: n.count("/"))
        same_depth = [n for n in names if n.count("/") == top.count("/")]
        if len(same_depth) > 1:
            raise KnimeFormatError(
                f"{path}: the archive holds {len(same_depth)} workflows (a workflow group); export one workflow"
            )
        self._root = str(PurePosixPath(top).parent)
        if self._root == ".":
            self._root = ""

    @property
    def name(self) -> str:
        if self._zip is None:
            return self.path.name
        return PurePosixPath(self._root).name if self._root else self.path.stem

    def read(self, rel: str) -> bytes | None:
        rel = rel.replace("\\", "/")
        if self._zip is None:
            p = self.path / rel
            return p.read_bytes() if p.is_file() else None
        full = f"{self._root}/{rel}" if self._root else rel
        try:
            return self._zip.read(full)
        except KeyError:
            return None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _int_list(value: Any) -> list[int]:
    if isinstance(value, list):
        return [int(v) for v in value]
    if isinstance(value, dict):
        return [int(value[k]) for k in sorted((k for k in value if k.isdigit()), key=int)]
    return []


def _configs(tree: Any, prefix: str) -> Iterator[dict[str, Any]]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key.startswith(prefix) and isinstance(value, dict):
                yield value


def _description(source: _Source) -> str:
    raw = source.read("workflow-metadata.xml")
    if raw is None:
        return ""
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        return ""
    for elem in root.iter():
        if _local(elem.tag) == "description":
            return (elem.text or "").strip()
    return ""


def _read_node(source: _Source, entry: dict[str, Any]) -> KnimeNode:
    node_id = int(entry["id"])
    settings_file = str(entry.get("node_settings_file") or "")
    node_type = str(entry.get("node_type") or ("MetaNode" if entry.get("node_is_meta") else "NativeNode"))
    if entry.get("node_is_meta") and node_type == "NativeNode":
        node_type = "MetaNode"
    bounds_raw = _int_list((entry.get("ui_settings") or {}).get("extrainfo.node.bounds"))
    bounds = tuple(bounds_raw[:4]) if len(bounds_raw) >= 4 else None
    folder = str(PurePosixPath(settings_file).parent)
    name = re.sub(r"\s*\(#\d+\)$", "", folder) if folder not in ("", ".") else f"node {node_id}"
    node = KnimeNode(
        id=node_id,
        settings_file=settings_file,
        factory="",
        name=name,
        bounds=bounds,  # type: ignore[arg-type]
        annotation=None,
        model={},
        variables={},
        bindings={},
        node_type=node_type,
    )
    if node.is_meta:
        # a metanode's settings_file is its own workflow.knime; a component's is a settings.xml
        # whose inner workflow knitflow cannot run either: name only, no settings.
        raw = source.read(settings_file)
        if raw is not None and node_type == "SubNode":
            tree = parse_config_xml(raw)
            node.name = str(tree.get("name") or node.name)
            node.annotation = _node_annotation(tree)
        return node
    raw = source.read(settings_file)
    if raw is None:
        raise KnimeFormatError(f"node #{node_id}: {settings_file} is missing from the archive")
    tree = parse_config_xml(raw)
    node.settings = tree
    node.factory = str(tree.get("factory") or "")
    node.name = str(tree.get("name") or tree.get("node-name") or node.name)
    model = tree.get("model")
    node.model = model if isinstance(model, dict) else {}
    variables = (tree.get("variables") or {}).get("tree") if isinstance(tree.get("variables"), dict) else None
    node.variables = variables if isinstance(variables, dict) else {}
    node.bindings = flatten_variables(node.variables)
    view = tree.get("view")
    node.view = view if isinstance(view, dict) else {}
    view_vars = tree.get("view_variables")
    if isinstance(view_vars, dict):
        node.view_bindings = flatten_variables(view_vars.get("tree") or {})
    creation = tree.get("node_creation_config")
    node.creation_config = creation if isinstance(creation, dict) else {}
    node.annotation = _node_annotation(tree)
    node.state = tree.get("state")
    fs = tree.get("factory_settings")
    if isinstance(fs, dict) and fs.get("extension_id") and fs.get("node_id"):
        node.extension_node = (str(fs["extension_id"]), str(fs["node_id"]))
    for port in _configs(tree.get("ports"), "port_"):
        if isinstance(port.get("index"), int) and port.get("port_object_summary") is not None:
            node.port_summaries[port["index"]] = str(port["port_object_summary"])
    return node


def _node_annotation(tree: dict[str, Any]) -> str | None:
    ann = tree.get("nodeAnnotation")
    if not isinstance(ann, dict) or not ann.get("text"):
        return None
    text = str(ann["text"])
    return html_to_text(text) if ann.get("contentType") == "text/html" else text


def _annotation(entry: dict[str, Any]) -> KnimeAnnotation:
    raw = str(entry.get("text") or "")
    ctype = str(entry.get("contentType") or "text/plain")
    text = html_to_text(raw) if ctype == "text/html" else raw
    bounds = tuple(int(entry.get(k) or 0) for k in ("x-coordinate", "y-coordinate", "width", "height"))
    return KnimeAnnotation(text, bounds, ctype, raw)  # type: ignore[arg-type]


def read_archive(path: str | Path) -> KnimeWorkflow:
    """Read a `.knwf` archive or an exported workflow folder. Metanodes and components are read
    as nodes without settings (see `KnimeWorkflow.unsupported`)."""
    path = Path(path)
    if not path.exists():
        raise KnimeFormatError(f"{path}: no such file or folder")
    source = _Source(path)
    try:
        raw = source.read("workflow.knime")
        if raw is None:
            raise KnimeFormatError(f"{path}: no workflow.knime")
        tree = parse_config_xml(raw)
        nodes = [_read_node(source, entry) for entry in _configs(tree.get("nodes"), "node_")]
        connections = []
        for c in _configs(tree.get("connections"), "connection_"):
            connections.append(
                KnimeConnection(
                    int(c["sourceID"]), int(c["sourcePort"]), int(c["destID"]), int(c["destPort"])
                )
            )
        annotations = [_annotation(a) for a in _configs(tree.get("annotations"), "annotation_")]
        wf = KnimeWorkflow(
            name=source.name,
            path=path,
            nodes=sorted(nodes, key=lambda n: n.id),
            connections=connections,
            annotations=annotations,
            description=_description(source),
            created_by=tree.get("created_by"),
            version=tree.get("version"),
            state=tree.get("state"),
        )
    finally:
        source.close()
    return wf


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
    from engine.knime.mappings import convert

    return {
        "factory": node.factory or node.node_type,
        "node_name": node.name,
        "message": message,
        "knime_settings": convert(node.model, NodeReport(ImportReport(), node), ""),
    }


def to_document(
    wf: KnimeWorkflow, report: ImportReport | None = None, *, data_dir: str | None = None
) -> WorkflowDoc:
    """The knitflow document of a read archive; every loss goes into `report`. Data files read
    by CSV Readers become `${data_dir}/<file>`; `data_dir` (default `../data`) is then declared as
    a workflow variable."""
    from engine.knime.mappings import MAPPINGS

    report = report if report is not None else ImportReport()
    entries: list[NodeEntry] = []
    port_maps: dict[int, tuple[dict[int, int | None], dict[int, int | None]]] = {}
    for node in wf.nodes:
        nrep = report.for_node(node)
        use: dict[str, str] = {}
        expose: dict[str, str] = {}
        if node.is_meta:
            kind = "component" if node.node_type == "SubNode" else "metanode"
            msg = (
                f"KNIME {kind} #{node.id} ({node.name}) cannot be imported: knitflow has no nested workflows"
            )
            report.add("unsupported_node", msg, node)
            type_name, settings = PLACEHOLDER_TYPE, _placeholder(node, msg)
        elif (mapping := MAPPINGS.get(node.factory_key)) is None:
            msg = f"KNIME node {node.name!r} ({node.factory_key}) has no knitflow equivalent"
            report.add("unknown_node", msg, node)
            type_name, settings = PLACEHOLDER_TYPE, _placeholder(node, msg)
        else:
            type_name = mapping.type_name
            tree = {**node.view, **node.model}
            bindings = {**node.view_bindings, **node.bindings}
            settings, use, expose = mapping.settings(tree, bindings, nrep)
            settings, use, expose = _fit(type_name, settings, use, expose, nrep)
            if mapping.ports is not None:
                port_maps[node.id] = mapping.ports(node.creation_config)
        if type_name == PLACEHOLDER_TYPE:
            for path, b in node.bindings.items():
                report.add("setting", f"flow-variable binding of {path} ({b}) dropped with the node", node)
        entries.append(
            NodeEntry(
                id=node.id,
                type=type_name,
                name=node.name,
                annotation=node.annotation,
                position=node.position,
                settings=settings,
                use_variables=use,
                expose_variables=expose,
            )
        )
    connections = []
    for c in wf.connections:
        # port 0 (flow variables) is the same everywhere; dynamic port groups may be renumbered
        src = (
            port_maps[c.source][1].get(c.source_port, c.source_port)
            if c.source in port_maps and c.source_port
            else c.source_port
        )
        dst = (
            port_maps[c.dest][0].get(c.dest_port, c.dest_port)
            if c.dest in port_maps and c.dest_port
            else c.dest_port
        )
        if src is None or dst is None:
            report.add(
                "connection",
                f"connection {c} dropped: knitflow's node has no equivalent port",
                wf.node(c.source if src is None else c.dest),
            )
            continue
        connections.append(Connection(source=c.source, source_port=src, dest=c.dest, dest_port=dst))
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

    from engine.core.document import write_document

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
    from engine.core.document import WorkflowLoadError, check
    from engine.core.workflow import Workflow

    path = Path(path)
    doc = skeleton(path, report, data_dir=data_dir)
    problems = check(doc, {}, str(path))
    if problems:
        raise WorkflowLoadError(problems)
    wf = Workflow(doc, (path.resolve().parent / f"{doc.name}.yaml"))
    wf.compile()  # loop wiring problems are load problems too
    return wf


# ------------------------------------------------------------------------- supported node list

README_START, README_END = "<!-- knime-nodes:start -->", "<!-- knime-nodes:end -->"


def supported_nodes_markdown() -> str:
    """The README's list of importable KNIME nodes, generated from `knime_mappings.MAPPINGS`."""
    from engine.knime.mappings import MAPPINGS

    rows = sorted(MAPPINGS.items(), key=lambda item: (item[1].knime_name.lower(), item[0]))
    lines = ["| KNIME node | KNIME factory | knitflow type |", "|---|---|---|"]
    for key, mapping in rows:
        lines.append(f"| {mapping.knime_name} | `{key}` | `{mapping.type_name}` |")
    return "\n".join(lines) + "\n"


def update_readme(readme: str | Path, *, check_only: bool = False) -> bool:
    """Rewrite the generated node list between the README's markers; True when it was (or, with
    `check_only`, would be) changed."""
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{path}: markers {README_START} ... {README_END} not found")
    new = text[: start + len(README_START)] + "\n" + supported_nodes_markdown() + text[end:]
    if new == text:
        return False
    if not check_only:
        path.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    """`python -m engine.knime --update-readme [--check] [README]` regenerates the node list."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m engine.knime", description=main.__doc__)
    parser.add_argument(
        "readme", nargs="?", type=Path, default=Path(__file__).resolve().parents[2] / "README.md"
    )
    parser.add_argument(
        "--update-readme", action="store_true", help="rewrite the README's supported-node list"
    )
    parser.add_argument(
        "--check", action="store_true", help="only report whether the list is out of date (exit 1)"
    )
    args = parser.parse_args(argv)
    if not (args.update_readme or args.check):
        print(supported_nodes_markdown(), end="")
        return 0
    changed = update_readme(args.readme, check_only=args.check)
    if args.check:
        print(f"{args.readme}: supported-node list {'out of date' if changed else 'up to date'}")
        return 1 if changed else 0
    print(f"{args.readme}: supported-node list {'updated' if changed else 'already up to date'}")
    return 0
