"""The workflow's directed graph of node ids and the few algorithms a run needs, in networkx's
names and orders (topological orders node for node as networkx 3 gives them).

A run used to import networkx for them: ~290 modules, 0.15-0.2 s of a 3 s cold run. The editor
and the cycle report (`find_cycle`, only when there is a cycle) still use networkx.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Iterator
from typing import Any


class Unfeasible(Exception):
    """The graph has a cycle: no topological order exists."""


class DiGraph:
    """Nodes and edges in insertion order (predecessors and successors as they were added)."""

    def __init__(self) -> None:
        self._succ: dict[Any, dict[Any, None]] = {}
        self._pred: dict[Any, dict[Any, None]] = {}

    def add_node(self, n: Hashable) -> None:
        if n not in self._succ:
            self._succ[n] = {}
            self._pred[n] = {}

    def add_nodes_from(self, nodes: Iterable[Hashable]) -> None:
        for n in nodes:
            self.add_node(n)

    def add_edge(self, u: Hashable, v: Hashable) -> None:
        self.add_node(u)
        self.add_node(v)
        self._succ[u][v] = None
        self._pred[v][u] = None

    def add_edges_from(self, edges: Iterable[tuple[Any, ...]]) -> None:
        for u, v, *_ in edges:
            self.add_edge(u, v)

    def remove_edge(self, u: Hashable, v: Hashable) -> None:
        del self._succ[u][v]
        del self._pred[v][u]

    def predecessors(self, n: Hashable) -> Iterator[Any]:
        return iter(self._pred[n])

    def successors(self, n: Hashable) -> Iterator[Any]:
        return iter(self._succ[n])

    @property
    def nodes(self) -> list[Any]:
        return list(self._succ)

    @property
    def edges(self) -> list[tuple[Any, Any]]:
        return [(u, v) for u, vs in self._succ.items() for v in vs]

    def __contains__(self, n: object) -> bool:
        return n in self._succ

    def __iter__(self) -> Iterator[Any]:
        return iter(self._succ)

    def __len__(self) -> int:
        return len(self._succ)


def _reachable(links: dict[Any, dict[Any, None]], source: Hashable) -> set[Any]:
    if source not in links:
        raise KeyError(f"node {source!r} is not in the graph")
    seen: set[Any] = set()
    todo = [source]
    while todo:
        for nxt in links[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    seen.discard(source)
    return seen


def ancestors(graph: DiGraph, n: Hashable) -> set[Any]:
    """Every node with a path to `n` (`n` itself only on a cycle through it: never, as networkx)."""
    return _reachable(graph._pred, n)


def descendants(graph: DiGraph, n: Hashable) -> set[Any]:
    return _reachable(graph._succ, n)


def has_path(graph: DiGraph, source: Hashable, target: Hashable) -> bool:
    return source == target or target in _reachable(graph._succ, source)


def topological_generations(graph: DiGraph) -> Iterator[list[Any]]:
    """Kahn's algorithm level by level: the sources, then what only they feed, ..."""
    indegree = {v: len(p) for v, p in graph._pred.items() if p}
    generation = [v for v, p in graph._pred.items() if not p]
    while generation:
        following = []
        for node in generation:
            for child in graph._succ[node]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    following.append(child)
                    del indegree[child]
        yield generation
        generation = following
    if indegree:
        raise Unfeasible("the graph contains a cycle")


def topological_sort(graph: DiGraph) -> Iterator[Any]:
    for generation in topological_generations(graph):
        yield from generation


def lexicographical_topological_sort(graph: DiGraph) -> Iterator[Any]:
    """The topological order that always takes the smallest ready node next."""
    position = {n: i for i, n in enumerate(graph._succ)}
    indegree = {v: len(p) for v, p in graph._pred.items() if p}
    ready = [(v, position[v]) for v, p in graph._pred.items() if not p]
    heapq.heapify(ready)
    while ready:
        node, _ = heapq.heappop(ready)
        for child in graph._succ[node]:
            indegree[child] -= 1
            if indegree[child] == 0:
                del indegree[child]
                heapq.heappush(ready, (child, position[child]))
        yield node
    if indegree:
        raise Unfeasible("the graph contains a cycle")


def is_acyclic(graph: DiGraph) -> bool:
    try:
        for _ in topological_generations(graph):
            pass
    except Unfeasible:
        return False
    return True
