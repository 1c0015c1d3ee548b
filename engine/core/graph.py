"""A checked document compiled into what the scheduler walks: node instances, the dependency
graph, where each input comes from, and the loops each node sits in (the one place that decides
what a loop body is)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.api import Category, LoopEndNode, LoopStartNode, Node, variable_type
from engine.core import digraph
from engine.core.document import NodeEntry, WorkflowDoc
from engine.core.metanodes import enclosing
from engine.core.registry import registry
from engine.core.status import GraphError
from engine.core.variables import VarEntry, VarStack

Scope = tuple[int, ...]  # the loop starts enclosing a node, outermost first


@dataclass
class LoopStructure:
    """KNIME's scope stacks: a loop start opens a scope on its outputs, a loop end closes the
    innermost scope of its inputs. `problems` lists wiring that cannot run (node id, message)."""

    scope: dict[int, Scope] = field(default_factory=dict)
    end_of: dict[int, int] = field(default_factory=dict)  # loop start -> loop end
    start_of: dict[int, int] = field(default_factory=dict)  # loop end -> loop start
    problems: list[tuple[int, str]] = field(default_factory=list)

    @classmethod
    def of(
        cls, order: Iterable[int], predecessors: Callable[[int], Iterable[int]], kind: Callable[[int], str]
    ) -> LoopStructure:
        """`kind(n)` is "start", "end" or "" for each node id, `order` a topological order."""
        s = cls()
        out_scope: dict[int, Scope] = {}
        for n in order:
            preds = [out_scope[p] for p in predecessors(n) if p in out_scope]
            inner: Scope = max(preds, key=len) if preds else ()
            for p in preds:
                if inner[: len(p)] != p:
                    s.problems.append((n, f"node #{n} joins branches of different loops ({p} vs {inner})"))
            s.scope[n] = inner
            if kind(n) == "start":
                out_scope[n] = (*inner, n)
            elif kind(n) == "end":
                if not inner:
                    s.problems.append((n, f"Loop End #{n} is not downstream of a loop start"))
                    out_scope[n] = inner
                    continue
                start = inner[-1]
                if start in s.end_of:
                    s.problems.append(
                        (n, f"loop start #{start} has two loop ends (#{s.end_of[start]} and #{n})")
                    )
                s.end_of.setdefault(start, n)
                s.start_of[n] = start
                out_scope[n] = inner[:-1]
            else:
                out_scope[n] = inner
        for n in s.scope:
            if kind(n) == "start" and n not in s.end_of:
                s.problems.append((n, f"loop start #{n} has no matching loop end"))
        return s

    def members(self, start: int) -> set[int]:
        """A loop's start, body and end."""
        return {n for n, sc in self.scope.items() if start in sc} | {start}


def _kind(cls: type[Node] | None) -> str:
    if cls is not None and issubclass(cls, LoopStartNode):
        return "start"
    if cls is not None and issubclass(cls, LoopEndNode):
        return "end"
    return ""


def document_graph(doc: WorkflowDoc) -> digraph.DiGraph:
    graph = digraph.DiGraph()
    graph.add_nodes_from(n.id for n in doc.nodes)
    graph.add_edges_from((c.source, c.dest) for c in doc.connections)
    return graph


def close_loops(doc: WorkflowDoc, nodes: set[int], *, drop: bool = False) -> set[int]:
    """A loop runs whole: with a node of a loop in `nodes`, add the loop's every member and what
    they need (or, with `drop`, remove the loop and what depends on it unless it is all there)."""
    graph = document_graph(doc)
    try:
        order = list(digraph.lexicographical_topological_sort(graph))
    except digraph.Unfeasible:
        return set(nodes)
    kinds = {n.id: _kind(registry.get(n.type)) for n in doc.nodes}
    loops = LoopStructure.of(order, graph.predecessors, kinds.__getitem__)
    result = set(nodes)
    for start in loops.end_of:
        members = loops.members(start)
        if not members & result:
            continue
        if not drop:
            result |= members
            for m in members:
                result |= digraph.ancestors(graph, m)
        elif not members <= result:
            result -= members
            for m in members:
                result -= digraph.descendants(graph, m)
    return result


class CompiledWorkflow:
    """A checked document turned into the structures the scheduler walks."""

    def __init__(self, doc: WorkflowDoc, base_dir: Path) -> None:
        self.doc = doc
        self.base_dir = base_dir
        self.entries: dict[int, NodeEntry] = {n.id: n for n in doc.nodes}
        self.types: dict[int, type[Node]] = {}
        for n in doc.nodes:
            cls = registry.get(n.type)
            if cls is None:
                raise GraphError(f"unknown node type {n.type!r}", n.id)
            self.types[n.id] = cls
        # per-instance ports (Node.ports_for): e.g. an imported placeholder keeps the KNIME node's ports
        self.nodes: dict[int, Node] = {
            i: cls.for_settings(self.entries[i].settings) for i, cls in self.types.items()
        }
        self.graph = document_graph(doc)
        # data inputs: (dest, port) -> (src, port); variable-only inputs: dest -> [src]
        self.data_in: dict[tuple[int, int], tuple[int, int]] = {}
        self.var_in: dict[int, list[int]] = {}
        for c in doc.connections:
            if c.dest_port == 0:
                self.var_in.setdefault(c.dest, []).append(c.source)
            else:
                self.data_in[(c.dest, c.dest_port)] = (c.source, c.source_port)
        self.order: list[int] = list(digraph.lexicographical_topological_sort(self.graph))
        loops = LoopStructure.of(self.order, self.graph.predecessors, lambda n: _kind(self.types[n]))
        if loops.problems:
            node_id, message = loops.problems[0]
            raise GraphError(message, node_id)
        self.scope, self.loop_end_of, self.loop_start_of = loops.scope, loops.end_of, loops.start_of
        self._bodies: dict[int, list[int]] = {}
        self._feeds: dict[int, list[tuple[int, int]]] = {}

    def units(self, level: Scope) -> tuple[list[int], dict[int, set[int]]]:
        """The units of one loop level: plain node ids, or a loop start standing for its whole loop.
        Returns units in topological order and each unit's dependencies within the level."""
        order: list[int] = []
        deps: dict[int, set[int]] = {}
        member_of: dict[int, int] = {}
        for n in self.order:
            u = self.unit_at(level, n)
            if u is None:
                continue
            member_of[n] = u
            if u not in deps:
                deps[u] = set()
                order.append(u)
        for n, u in member_of.items():
            for p in self.graph.predecessors(n):
                pu = member_of.get(p)
                if pu is not None and pu != u:
                    deps[u].add(pu)
        return order, deps

    def unit_at(self, level: Scope, n: int) -> int | None:
        """The unit of `level` that runs node `n` (None when `n` is not inside `level`); a loop end
        belongs to its loop start's unit."""
        s = self.scope[n]
        if s[: len(level)] != level:
            return None
        if len(s) > len(level):
            return s[len(level)]
        if n in self.loop_start_of:
            return None  # the end of the loop that encloses `level`
        return n

    def through_walls(
        self, src: int, dest: int, stack: VarStack, variables_of: Callable[[int], VarStack]
    ) -> VarStack:
        """What of `src`'s variables reaches `dest` across the components between them: a component
        lets in what its `variables_in` names and lets out only what came in or `variables_out` names."""
        walls = self.doc.variable_walls
        if not walls:
            return stack
        around_src, around_dest = enclosing(src), enclosing(dest)
        for c in around_src:
            if c in walls and c not in around_dest and walls[c].names_out is not None:
                came_in = {
                    _entry_key(e)
                    for s, d in self._feeders(c)
                    for e in self.through_walls(s, d, variables_of(s), variables_of).entries()
                }
                stack = stack.keeping(_leaves(came_in, walls[c].names_out))
        for c in around_dest:
            names_in = walls[c].names_in if c in walls and c not in around_src else None
            if names_in is not None:
                stack = stack.keeping(_enters(names_in))
        return stack

    def _feeders(self, container: int) -> list[tuple[int, int]]:
        """The connections that enter a container: (outer source, inner destination)."""
        if container not in self._feeds:
            self._feeds[container] = [
                (c.source, c.dest)
                for c in self.doc.connections
                if container in enclosing(c.dest) and container not in enclosing(c.source)
            ]
        return self._feeds[container]

    def with_scope_variables(self, n: int, variables: VarStack) -> VarStack:
        """A component's configuration values on top of what flows into its first nodes."""
        scoped = self.entries[n].scope_variables
        if not scoped:
            return variables
        scope = self.scope.get(n, ())
        return variables.push([VarEntry(k, v, variable_type(v), scope) for k, v in scoped.items()])

    def body(self, start: int) -> list[int]:
        """Nodes inside the loop opened by `start` (the end included), in topological order."""
        if start not in self._bodies:
            self._bodies[start] = [n for n in self.order if start in self.scope[n]]
        return self._bodies[start]

    def shown_ports(self, n: int) -> list[int]:
        """The output ports a run shows its user (writes to its output folder): every port of sinks,
        views and scorers, and any port nothing reads."""
        node = self.nodes[n]
        ports = range(1, len(node.outputs) + 1)
        if node.category in (Category.SINK, Category.VISUALIZER, Category.SCORER):
            return list(ports)
        read = self._read_ports.get(n, set())
        return [p for p in ports if p not in read]

    @property
    def _read_ports(self) -> dict[int, set[int]]:
        if not hasattr(self, "_read_ports_memo"):
            memo: dict[int, set[int]] = {}
            for c in self.doc.connections:
                memo.setdefault(c.source, set()).add(c.source_port)
            self._read_ports_memo = memo
        return self._read_ports_memo

    def inputs_of(self, n: int) -> list[tuple[int, int] | None]:
        """The (source node, port) feeding each data input port 1..k of `n` (None: unconnected)."""
        return [self.data_in.get((n, p)) for p in range(1, len(self.nodes[n].inputs) + 1)]


def _entry_key(entry: VarEntry) -> tuple[Any, ...]:
    """A variable as a value (entries come back from worker processes as copies)."""
    value: Any = entry.value
    try:
        hash(value)
    except TypeError:
        value = repr(value)
    return (entry.name, entry.type, entry.scope, value)


def _leaves(came_in: set[tuple[Any, ...]], names_out: frozenset[str]) -> Callable[[VarEntry], bool]:
    return lambda e: e.name in names_out or _entry_key(e) in came_in


def _enters(names_in: frozenset[str]) -> Callable[[VarEntry], bool]:
    return lambda e: e.name in names_in
