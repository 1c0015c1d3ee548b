"""The plain graph of a workflow's connections, for what the editor asks of it (ancestors of the
nodes to run, successors to reset, predecessors whose variables a dialog offers)."""

from __future__ import annotations

import networkx as nx

from engine.core.document import NodeEntry, WorkflowDoc
from engine.core.metanodes import CONTAINER_TYPES, encode_id, inner_ids, path_of, worst_state
from engine.core.status import IDLE, NodeStatus


def workflow_graph(doc: WorkflowDoc) -> nx.DiGraph:
    """The nodes and connections as a directed graph (connections to missing nodes left out)."""
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in doc.nodes)
    g.add_edges_from((c.source, c.dest) for c in doc.connections if c.source in g and c.dest in g)
    return g


def add_container_states(doc: WorkflowDoc, statuses: dict[int, NodeStatus]) -> None:
    """A metanode's or component's light is the worst of its nodes' (KNIME's aggregate state),
    at any depth (a container inside one is shown when its parent is opened)."""
    _container_states(doc.nodes, 0, statuses)


def _container_states(entries: list[NodeEntry], outer: int, statuses: dict[int, NodeStatus]) -> None:
    for entry in entries:
        if entry.type not in CONTAINER_TYPES:
            continue
        flat = encode_id(outer, entry.id) if outer else entry.id
        if entry.workflow is not None:
            _container_states(entry.workflow.nodes, flat, statuses)
        inside = [
            statuses[n] for n in inner_ids(flat, list(statuses)) if statuses[n].type not in CONTAINER_TYPES
        ]
        status = NodeStatus(flat, entry.type, entry.name or entry.type, IDLE)
        if inside:
            status.state = worst_state([st.state for st in inside])
            failed = next((st for st in inside if st.error), None)
            if failed is not None:
                status.error = f"#{path_of(failed.id)} {failed.name}: {failed.error}"
            status.seconds = sum(st.seconds for st in inside)
        statuses[flat] = status
