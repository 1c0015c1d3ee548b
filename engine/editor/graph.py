"""The plain graph of a workflow's connections, for what the editor asks of it (ancestors of the
nodes to run, successors to reset, predecessors whose variables a dialog offers)."""

from __future__ import annotations

import networkx as nx

from engine.core.document import WorkflowDoc


def workflow_graph(doc: WorkflowDoc) -> nx.DiGraph:
    """The nodes and connections as a directed graph (connections to missing nodes left out)."""
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in doc.nodes)
    g.add_edges_from((c.source, c.dest) for c in doc.connections if c.source in g and c.dest in g)
    return g
