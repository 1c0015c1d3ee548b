"""Where a node without a position goes: by dependency level, left to right, as KNIME places the
nodes of a workflow written without coordinates. The editor and the SVG picture both need it."""

from __future__ import annotations

import networkx as nx

from engine.core.document import WorkflowDoc


def auto_layout(doc: WorkflowDoc) -> bool:
    """Give nodes without a position one, by dependency level (left to right); True if any moved."""
    missing = [n for n in doc.nodes if n.position is None]
    if not missing:
        return False
    graph = nx.DiGraph()
    graph.add_nodes_from(n.id for n in doc.nodes)
    graph.add_edges_from((c.source, c.dest) for c in doc.connections if c.source != c.dest)
    try:
        levels = {n: i for i, gen in enumerate(nx.topological_generations(graph)) for n in gen}
    except nx.NetworkXUnfeasible:
        levels = {n.id: i for i, n in enumerate(doc.nodes)}
    rows: dict[int, int] = {}
    for n in sorted(doc.nodes, key=lambda e: (levels.get(e.id, 0), e.id)):
        if n.position is None:
            lvl = levels.get(n.id, 0)
            row = rows.get(lvl, 0)
            rows[lvl] = row + 1
            n.position = (80 + 150 * lvl, 80 + 120 * row)
    return True
