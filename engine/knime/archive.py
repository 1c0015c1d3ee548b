"""Reading KNIME workflow archives (.knwf zips or exported workflow folders).

KNIME stores a workflow as `workflow.knime` (nodes, connections, workflow annotations) plus one
`settings.xml` per node, all in its generic XML *config* format:
`<config key=...>` for nested maps and `<entry key=... type=... value=.../>` for typed leaves.
This module turns that into plain Python (`KnimeWorkflow`); `engine.knime.importer` turns that
into a knitflow document with the mappings the node types declare.

Port numbers are knitflow's: port 0 is the implicit flow-variable port and data ports count from
1, as KNIME writes them for native nodes and components. Metanodes have no flow-variable port
(KNIME numbers their ports from 0), so their side of a connection is shifted by one; so are the
ports of a metanode template's own inputs and outputs (connections from or to node id -1).
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

from engine.api.knime import Binding, get

if TYPE_CHECKING:
    pass

__all__ = [
    "TEMPLATE_PORTS",
    "Binding",
    "KnimeAnnotation",
    "KnimeConnection",
    "KnimeFormatError",
    "KnimeNode",
    "KnimePort",
    "KnimeWorkflow",
    "decode_string",
    "flatten_variables",
    "parse_config",
    "parse_config_xml",
    "read_archive",
]

_NS = "{http://www.knime.org/2008/09/XMLConfig}"
_ESCAPE_RE = re.compile(r"%%(\d{5})")


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


TEMPLATE_PORTS = -1  # the node id KNIME gives a metanode's own in- and output ports


@dataclass(frozen=True)
class KnimePort:
    """One port of a node as the archive declares it (knitflow numbering, see the module doc)."""

    index: int
    object_class: str | None = None  # KNIME's port object (or spec) class
    name: str = ""


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
    # (extension id, node id) for Python extension nodes; (plugin, node folder) for dynamic JS nodes
    extension_node: tuple[str, str] | None = None
    port_summaries: dict[int, str] = field(default_factory=dict)  # recorded port_object_summary per out port
    in_ports: dict[int, KnimePort] = field(default_factory=dict)  # declared inputs (metanodes, components)
    out_ports: dict[int, KnimePort] = field(default_factory=dict)  # declared outputs (settings.xml `ports`)
    view: dict[str, Any] = field(
        default_factory=dict
    )  # the `view` config of view nodes (axes, columns, title)
    view_bindings: dict[str, Binding] = field(default_factory=dict)
    creation_config: dict[str, Any] = field(default_factory=dict)  # dynamic ports (node_creation_config)
    state: str | None = None
    settings: dict[str, Any] = field(default_factory=dict, repr=False)  # the whole settings.xml
    inner: KnimeWorkflow | None = None  # a metanode's or component's own workflow
    virtual_in: int | None = None  # a component's input node (its ports are the component's inputs)
    virtual_out: int | None = None

    @property
    def folder(self) -> str:
        return str(PurePosixPath(self.settings_file).parent)

    @property
    def is_meta(self) -> bool:
        return self.node_type != "NativeNode"

    @property
    def factory_key(self) -> str:
        """What a `KnimeMapping` names: the factory's class name, or `extension:node_id` for
        Python extension nodes (they all share one factory class)."""
        if self.extension_node is not None:
            return f"{self.extension_node[0]}:{self.extension_node[1]}"
        return self.factory

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
    # a metanode template's own ports (connections from / to node id -1)
    template_in_ports: dict[int, KnimePort] = field(default_factory=dict)
    template_out_ports: dict[int, KnimePort] = field(default_factory=dict)

    def node(self, node_id: int) -> KnimeNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    @property
    def unsupported(self) -> list[KnimeNode]:
        """Metanodes and components whose own workflow is not in the archive (or is empty)."""
        return [n for n in self.nodes if n.is_meta and (n.inner is None or not n.inner.nodes)]


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

    def inside(self, folder: str) -> _Source:
        """The files of a metanode or component folder, addressed relative to it."""
        sub = _Source.__new__(_Source)
        sub.path, sub._zip = self.path / folder if self._zip is None else self.path, self._zip
        sub._root = f"{self._root}/{folder}" if self._root else folder
        if self._zip is None:
            sub._root = ""
        return sub

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
        _read_container(source, node, folder)
    else:
        _read_native(source, node)
    return node


def _read_container(source: _Source, node: KnimeNode, folder: str) -> None:
    """A metanode's settings_file is its own workflow.knime; a component's is a settings.xml
    whose inner workflow knitflow cannot run either: name, ports and a component's dialog values."""
    raw = source.read(node.settings_file)
    if raw is None:
        return
    tree = parse_config_xml(raw)
    if node.node_type == "SubNode":
        node.name = str(tree.get("name") or node.name)
        node.annotation = _node_annotation(tree)
        # the values its dialog gave its configuration nodes (`<parameter>-<node id>`)
        node.model = _dict_or_empty(tree.get("model"))
        # a component lists its ports without its hidden flow-variable port
        node.in_ports = _declared_ports(tree.get("inports"), shift=1)
        node.out_ports = _declared_ports(tree.get("outports"), shift=1)
        for key, attr in (("virtual-in-ID", "virtual_in"), ("virtual-out-ID", "virtual_out")):
            if isinstance(tree.get(key), int):
                setattr(node, attr, tree[key])
    else:
        node.in_ports = _declared_ports(get(tree, "meta_in_ports.port_enum"), shift=1)
        node.out_ports = _declared_ports(get(tree, "meta_out_ports.port_enum"), shift=1)
    inner = source.inside(folder)
    if inner.read("workflow.knime") is not None:
        node.inner = _read_workflow(inner, node.name, path=source.path)


def _dict_or_empty(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _read_native(source: _Source, node: KnimeNode) -> None:
    """A node's settings.xml: factory, name, model and view settings with their flow-variable
    bindings, annotation, state and the shapes of its output ports."""
    raw = source.read(node.settings_file)
    if raw is None:
        raise KnimeFormatError(f"node #{node.id}: {node.settings_file} is missing from the archive")
    tree = parse_config_xml(raw)
    node.settings = tree
    node.factory = str(tree.get("factory") or "")
    node.name = str(tree.get("name") or tree.get("node-name") or node.name)
    node.model = _dict_or_empty(tree.get("model"))
    variables = (tree.get("variables") or {}).get("tree") if isinstance(tree.get("variables"), dict) else None
    node.variables = _dict_or_empty(variables)
    node.bindings = flatten_variables(node.variables)
    node.view = _dict_or_empty(tree.get("view"))
    view_vars = tree.get("view_variables")
    if isinstance(view_vars, dict):
        node.view_bindings = flatten_variables(view_vars.get("tree") or {})
    node.creation_config = _dict_or_empty(tree.get("node_creation_config"))
    node.annotation = _node_annotation(tree)
    node.state = tree.get("state")
    node.extension_node = _extension_node(tree.get("factory_settings"), node.extension_node)
    _read_out_ports(node, tree)


def _extension_node(fs: Any, default: tuple[str, str] | None) -> tuple[str, str] | None:
    """Which node of a shared factory this is: (extension, node id), or for KNIME's dynamic
    JavaScript nodes (which share DynamicJSNodeFactory) `nodeDir`'s plugin and node folder
    ("plugin:configFolder:nodeFolder", e.g. org.knime.dynamic.js.base:nodes/:barChart)."""
    if isinstance(fs, dict) and fs.get("extension_id") and fs.get("node_id"):
        return (str(fs["extension_id"]), str(fs["node_id"]))
    if isinstance(fs, dict) and isinstance(fs.get("nodeDir"), str) and fs["nodeDir"].count(":") == 2:
        plugin, _, folder = fs["nodeDir"].split(":")
        return (plugin, folder)
    return default


def _read_out_ports(node: KnimeNode, tree: dict[str, Any]) -> None:
    for port in _configs(tree.get("ports"), "port_"):
        if not isinstance(port.get("index"), int):
            continue
        if port.get("port_object_summary") is not None:
            node.port_summaries[port["index"]] = str(port["port_object_summary"])
        kind = port.get("port_object_class") or port.get("port_spec_class")
        node.out_ports[port["index"]] = KnimePort(port["index"], str(kind) if kind else None)


def _declared_ports(tree: Any, *, shift: int) -> dict[int, KnimePort]:
    """Ports a metanode (`meta_in_ports.port_enum`) or component (`inports`) declares: configs
    holding `index` (from 0, the flow-variable port not counted), `name` and `type.object_class`."""
    ports: dict[int, KnimePort] = {}
    for cfg in (tree or {}).values() if isinstance(tree, dict) else []:
        if not isinstance(cfg, dict) or not isinstance(cfg.get("index"), int):
            continue
        index = cfg["index"] + shift
        if index <= 0:
            continue
        kind = get(cfg, "type.object_class")
        ports[index] = KnimePort(index, str(kind) if kind else None, str(cfg.get("name") or ""))
    return ports


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
        wf = _read_workflow(source, source.name, path=path)
        wf.description = _description(source)
    finally:
        source.close()
    return wf


def _read_workflow(source: _Source, name: str, *, path: Path) -> KnimeWorkflow:
    """One workflow.knime (the archive's, or a metanode's or component's inside it)."""
    raw = source.read("workflow.knime")
    if raw is None:
        raise KnimeFormatError(f"{path}: no workflow.knime")
    tree = parse_config_xml(raw)
    nodes = [_read_node(source, entry) for entry in _configs(tree.get("nodes"), "node_")]
    # metanodes (and a template's own ports, id -1) number their ports from 0: shift them
    from_zero = {n.id for n in nodes if n.node_type == "MetaNode"} | {TEMPLATE_PORTS}
    connections = []
    for c in _configs(tree.get("connections"), "connection_"):
        src, dst = int(c["sourceID"]), int(c["destID"])
        connections.append(
            KnimeConnection(
                src,
                int(c["sourcePort"]) + (src in from_zero),
                dst,
                int(c["destPort"]) + (dst in from_zero),
            )
        )
    annotations = [_annotation(a) for a in _configs(tree.get("annotations"), "annotation_")]
    return KnimeWorkflow(
        name=name,
        path=path,
        nodes=sorted(nodes, key=lambda n: n.id),
        connections=connections,
        annotations=annotations,
        created_by=tree.get("created_by"),
        version=tree.get("version"),
        state=tree.get("state"),
        template_in_ports=_declared_ports(get(tree, "meta_in_ports.port_enum"), shift=1),
        template_out_ports=_declared_ports(get(tree, "meta_out_ports.port_enum"), shift=1),
    )
