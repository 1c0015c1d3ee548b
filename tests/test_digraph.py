"""engine.core.digraph gives the orders and sets networkx gives (the core used networkx before)."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from engine.core import digraph


def _pair(nodes: list[int], edges: list[tuple[int, int]]) -> tuple[digraph.DiGraph, nx.DiGraph]:
    ours, theirs = digraph.DiGraph(), nx.DiGraph()
    for g in (ours, theirs):
        g.add_nodes_from(nodes)
        g.add_edges_from(edges)
    return ours, theirs


@pytest.mark.parametrize("seed", range(30))
def test_orders_and_reachability_match_networkx(seed: int) -> None:
    rng = random.Random(seed)
    nodes = rng.sample(range(1, 200), rng.randint(1, 40))  # ids in any insertion order
    rank = {n: i for i, n in enumerate(rng.sample(nodes, len(nodes)))}  # a hidden order: no cycle
    edges = [(a, b) for a in nodes for b in nodes if rank[a] < rank[b] and rng.random() < 0.1]
    ours, theirs = _pair(nodes, edges)
    assert list(digraph.topological_sort(ours)) == list(nx.topological_sort(theirs))
    assert list(digraph.lexicographical_topological_sort(ours)) == list(
        nx.lexicographical_topological_sort(theirs)
    )
    assert list(digraph.topological_generations(ours)) == [
        list(g) for g in nx.topological_generations(theirs)
    ]
    for n in nodes:
        assert digraph.ancestors(ours, n) == nx.ancestors(theirs, n)
        assert digraph.descendants(ours, n) == nx.descendants(theirs, n)
        assert list(ours.predecessors(n)) == list(theirs.predecessors(n))
        target = rng.choice(nodes)
        assert digraph.has_path(ours, n, target) == nx.has_path(theirs, n, target)
    assert digraph.is_acyclic(ours)


def test_a_cycle_has_no_topological_order() -> None:
    ours, _ = _pair([1, 2, 3], [(1, 2), (2, 3), (3, 2)])
    assert not digraph.is_acyclic(ours)
    with pytest.raises(digraph.Unfeasible):
        list(digraph.lexicographical_topological_sort(ours))
    with pytest.raises(digraph.Unfeasible):
        list(digraph.topological_sort(ours))
    assert digraph.ancestors(ours, 2) == {1, 3}  # a cycle through 2 leaves 2 out, as networkx does
