"""The ports of imported placeholders, and connections every imported document can load.

A KNIME node knitflow cannot map becomes a `knime_placeholder` that keeps the KNIME node's real
ports, so that every connection of the KNIME workflow has somewhere to go: their count comes
from the connections and from what the archive declares (the `ports` of a settings.xml, a
metanode's `meta_in_ports`, a component's `inports`), their kinds from the KNIME port classes.
A placeholder output feeding a mapped node takes that node's input type (KNIME connected only
compatible ports, and knitflow's types are finer than KNIME's port classes), so the document
checker accepts the connection. A connection that still does not fit a mapped node's ports is
dropped and reported, never left to make the whole document unloadable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.api import Port, PortType
from engine.core.document import Connection, NodeEntry, node_ports, port_type, ports_compatible
from engine.core.registry import registry
from engine.knime.archive import KnimePort

PLACEHOLDER_TYPE = "knime_placeholder"

# KNIME port object / spec classes (by a part of their name) -> knitflow port type ids; first match wins
_PORT_KINDS: tuple[tuple[str, str], ...] = (
    ("FlowVariablePortObject", "variables"),
    ("BufferedDataTable", "table"),
    ("DataTableSpec", "table"),
    ("InactiveBranch", "knime.unknown"),
    ("ImagePortObject", "view"),
    ("SparkContextPortObject", "spark.context"),
    ("SparkData", "spark.data"),
    ("PythonBinaryBlob", "python.object"),
    ("PickledObject", "python.object"),
    ("DBDataPortObject", "knime.database.data"),  # KNIME's DB Data (and its spec): nodes.database
    ("DBSessionPortObject", "knime.database"),  # KNIME's DB Session (DB Connection port)
    (".database.", "knime.database"),
    (".DB", "knime.database"),
    ("Database", "knime.database"),
    ("FileSystemPortObject", "knime.filesystem"),
    ("Credentials", "knime.credentials"),
    ("PMML", "model"),
    ("Model", "model"),
)


def port_kind(knime_class: str | None) -> str | None:
    """A KNIME port object (or spec) class as a knitflow port type id; None when not known."""
    if not knime_class:
        return None
    for part, kind in _PORT_KINDS:
        if part in knime_class:
            return kind
    return "knime.unknown"


def _most_specific(wanted: list[PortType]) -> str | None:
    """The port type id every one of the `wanted` input types accepts (the longest such id)."""
    for candidate in sorted({w.id for w in wanted}, key=len, reverse=True):
        probe = PortType.all().get(candidate) or PortType(candidate, candidate)
        if all(w.accepts(probe) for w in wanted):
            return candidate
    return None


def placeholder_ports(
    entries: list[NodeEntry],
    connections: list[Connection],
    declared: Callable[[int], tuple[dict[int, KnimePort], dict[int, KnimePort]]],
) -> None:
    """Write each placeholder's `inputs`/`outputs` settings: as many ports as the KNIME node
    declares or its connections use, each of the kind its KNIME class, its mapped neighbour or
    its placeholder neighbour says. `declared(node_id)` gives the archive's (inputs, outputs)."""
    by_id = {e.id: e for e in entries}
    holders = [e for e in entries if e.type == PLACEHOLDER_TYPE]
    mapped_ports: dict[int, tuple[tuple[Port, ...], tuple[Port, ...]]] = {}
    for e in entries:
        cls = registry.get(e.type)
        if e.type != PLACEHOLDER_TYPE and cls is not None:
            mapped_ports[e.id] = node_ports(cls, e.settings)

    out_kinds: dict[tuple[int, int], str] = {}
    out_specs: dict[int, list[dict[str, Any]]] = {}
    for e in holders:
        _, outs = declared(e.id)
        out_specs[e.id] = _output_specs(e.id, outs, connections, mapped_ports, out_kinds)
    for e in holders:
        ins, _ = declared(e.id)
        incoming = {c.dest_port: c for c in connections if c.dest == e.id and c.dest_port > 0}
        specs = []
        for p in range(1, max([*ins, *incoming], default=0) + 1):
            decl = ins.get(p)
            kind = _input_kind(decl, incoming.get(p), mapped_ports, out_kinds, out_specs)
            specs.append(_spec(kind or "knime.unknown", decl))
        by_id[e.id].settings = {**e.settings, "inputs": specs, "outputs": out_specs[e.id]}


_MappedPorts = dict[int, tuple[tuple[Port, ...], tuple[Port, ...]]]  # a mapped node's (inputs, outputs)


def _output_specs(
    node_id: int,
    outs: dict[int, KnimePort],
    connections: list[Connection],
    mapped_ports: _MappedPorts,
    out_kinds: dict[tuple[int, int], str],
) -> list[dict[str, Any]]:
    """A placeholder's outputs: the most specific kind the mapped nodes it feeds take, else its
    KNIME class's (recorded in `out_kinds`)."""
    used = {c.source_port for c in connections if c.source == node_id and c.source_port > 0}
    specs = []
    for p in range(1, max([*outs, *used], default=0) + 1):
        decl = outs.get(p)
        wanted = [
            mapped_ports[c.dest][0][c.dest_port - 1].type
            for c in connections
            if c.source == node_id
            and c.source_port == p
            and c.dest in mapped_ports
            and 0 < c.dest_port <= len(mapped_ports[c.dest][0])
        ]
        kind = _most_specific(wanted) if wanted else None
        kind = kind or port_kind(decl.object_class if decl else None) or "knime.unknown"
        out_kinds[(node_id, p)] = kind
        specs.append(_spec(kind, decl))
    return specs


def _input_kind(
    decl: KnimePort | None,
    conn: Connection | None,
    mapped_ports: _MappedPorts,
    out_kinds: dict[tuple[int, int], str],
    out_specs: dict[int, list[dict[str, Any]]],
) -> str | None:
    """A placeholder input's kind: its KNIME class's, or what the connected output gives; an
    upstream placeholder that did not know its output's kind takes this input's."""
    kind = port_kind(decl.object_class if decl else None)
    if conn is None:
        return kind
    if conn.source_port == 0:
        return "variables"  # a node's flow-variable port feeds a flow-variable input
    if conn.source in mapped_ports and conn.source_port <= len(mapped_ports[conn.source][1]):
        return mapped_ports[conn.source][1][conn.source_port - 1].type.id
    upstream = (conn.source, conn.source_port)
    if kind is None or kind == "knime.unknown":
        return out_kinds.get(upstream, kind)
    if out_kinds.get(upstream) == "knime.unknown":
        out_kinds[upstream] = kind
        out_specs[conn.source][conn.source_port - 1]["type"] = kind
    return kind


def _spec(kind: str, decl: KnimePort | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": kind}
    if decl is not None and decl.name:
        spec["name"] = decl.name
    if decl is not None and decl.object_class:
        spec["knime_class"] = decl.object_class
    return spec


def loadable_connections(
    entries: list[NodeEntry], connections: list[Connection], drop: Callable[[Connection, str], None]
) -> list[Connection]:
    """The connections whose ports exist and fit; `drop(connection, why)` reports the others."""
    by_id = {e.id: e for e in entries}
    kept = []
    taken: set[tuple[int, int]] = set()
    for c in connections:
        src, dst = by_id.get(c.source), by_id.get(c.dest)
        src_cls = registry.get(src.type) if src else None
        dst_cls = registry.get(dst.type) if dst else None
        if src is None or dst is None:
            # KNIME, too, loads a workflow whose connection names a node that is not there
            drop(c, f"there is no node {c.source if src is None else c.dest}")
            continue
        if src_cls is None or dst_cls is None:
            kept.append(c)  # a node type that is not installed is the document checker's to report
            continue
        out_t = port_type(src_cls, c.source_port, output=True, settings=src.settings)
        in_t = port_type(dst_cls, c.dest_port, output=False, settings=dst.settings)
        if out_t is None:
            drop(c, f"{src_cls.type_name} has no output port {c.source_port}")
        elif in_t is None:
            drop(c, f"{dst_cls.type_name} has no input port {c.dest_port}")
        elif not ports_compatible(out_t, in_t):
            drop(c, f"a {out_t.label} output cannot feed a {in_t.label} input")
        elif c.dest_port and (c.dest, c.dest_port) in taken:
            drop(c, f"input port {c.dest_port} already has a connection")
        else:
            if c.dest_port:
                taken.add((c.dest, c.dest_port))
            kept.append(c)
    return kept
