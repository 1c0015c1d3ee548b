"""The scheduler: configure-time spec propagation, dependency-ordered execution with failure
isolation, concurrent branches, generic loops, result caching and seeds.

Every client (CLI, Python API, web server) goes through `Execution`; what a client adds (the
editor's path confinement, configure memo and kept results) comes in through `ExecutionHooks`,
events go out through the `listener`, and results are dropped with `MemoryCache.discard`.
"""

from __future__ import annotations

import gc
import os
import re
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from pydantic import ValidationError

from engine.api import (
    UNKNOWN,
    VARIABLE_REFERENCE,
    Iteration,
    LoopEndNode,
    LoopStartNode,
    Model,
    Node,
    NodeError,
    Port,
    PortType,
    Table,
    View,
    port_spec,
    variable_type,
)
from engine.core.cache import CachedResult, MemoryCache, digest, why_changed
from engine.core.context import Cancelled, Resources, RunContext, derive_seed
from engine.core.document import NodeEntry, WorkflowDoc
from engine.core.registry import registry
from engine.core.variables import VarEntry, VarStack

Listener = Callable[[dict[str, Any]], None]

IDLE, CONFIGURED, QUEUED, EXECUTING, EXECUTED = "idle", "configured", "queued", "executing", "executed"


class GraphError(Exception):
    """The wiring cannot be executed (e.g. a Loop End without a Loop Start)."""

    def __init__(self, message: str, node_id: int | None = None) -> None:
        super().__init__(message)
        self.node_id = node_id


@dataclass
class NodeStatus:
    """What a client can see of one node: KNIME's traffic light plus results."""

    id: int
    type: str
    name: str
    state: str = IDLE
    error: str | None = None
    setting: str | None = None
    seconds: float = 0.0
    cached: bool = False
    reason: str = ""
    outputs: list[Any] = field(default_factory=list)
    specs: list[Any] = field(default_factory=list)
    variables: VarStack = field(default_factory=VarStack)
    key: str | None = None
    iteration: tuple[int, int | None] | None = None
    log: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
        self.nodes: dict[int, Node] = {i: cls() for i, cls in self.types.items()}
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(self.entries)
        # data inputs: (dest, port) -> (src, port); variable-only inputs: dest -> [src]
        self.data_in: dict[tuple[int, int], tuple[int, int]] = {}
        self.var_in: dict[int, list[int]] = {}
        for c in doc.connections:
            self.graph.add_edge(c.source, c.dest)
            if c.dest_port == 0:
                self.var_in.setdefault(c.dest, []).append(c.source)
            else:
                self.data_in[(c.dest, c.dest_port)] = (c.source, c.source_port)
        self.order: list[int] = list(nx.lexicographical_topological_sort(self.graph))
        self.scope, self.loop_end_of, self.loop_start_of = self._scopes()

    def _scopes(self) -> tuple[dict[int, tuple[int, ...]], dict[int, int], dict[int, int]]:
        """Each node's enclosing loops, found the way KNIME's scope stacks are: a loop start opens a
        scope on its outputs, a loop end closes the innermost scope of its inputs."""
        scope: dict[int, tuple[int, ...]] = {}
        out_scope: dict[int, tuple[int, ...]] = {}
        end_of: dict[int, int] = {}
        start_of: dict[int, int] = {}
        for n in self.order:
            preds = [out_scope[p] for p in self.graph.predecessors(n)]
            inner: tuple[int, ...] = max(preds, key=len) if preds else ()
            for p in preds:
                if inner[: len(p)] != p:
                    raise GraphError(f"node #{n} joins branches of different loops ({p} vs {inner})", n)
            scope[n] = inner
            node = self.nodes[n]
            if isinstance(node, LoopStartNode):
                out_scope[n] = (*inner, n)
            elif isinstance(node, LoopEndNode):
                if not inner:
                    raise GraphError(f"Loop End #{n} is not downstream of a loop start", n)
                start = inner[-1]
                if start in end_of:
                    raise GraphError(f"loop start #{start} has two loop ends (#{end_of[start]} and #{n})", n)
                end_of[start] = n
                start_of[n] = start
                out_scope[n] = inner[:-1]
            else:
                out_scope[n] = inner
        for n, node in self.nodes.items():
            if isinstance(node, LoopStartNode) and n not in end_of:
                raise GraphError(f"loop start #{n} has no matching loop end", n)
        return scope, end_of, start_of

    def units(
        self, level: tuple[int, ...], members: set[int] | None = None
    ) -> tuple[list[int], dict[int, set[int]]]:
        """The units of one loop level: plain node ids, or a loop start id standing for its whole loop.
        Returns units in topological order and each unit's dependencies within the level."""

        def unit_of(n: int) -> int | None:
            s = self.scope[n]
            if isinstance(self.nodes[n], LoopStartNode) and s == level:
                return n
            if s == level:
                if isinstance(self.nodes[n], LoopEndNode):
                    return None
                return n
            if s[: len(level)] == level and len(s) > len(level):
                return s[len(level)]
            return None

        order: list[int] = []
        deps: dict[int, set[int]] = {}
        member_of: dict[int, int] = {}
        for n in self.order:
            u = unit_of(n)
            if u is None:
                continue
            if members is not None and u not in members:
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

    def body(self, start: int) -> list[int]:
        """Nodes inside the loop opened by `start` (the end included), in topological order."""
        return [n for n in self.order if start in self.scope[n]]


class _Failed(Exception):
    pass


class ExecutionHooks:
    """Public extension points for a client that drives executions (the editor server uses them to
    confine paths, memoise configure and keep executed nodes). The defaults change nothing;
    override what you need. Methods may be called from worker threads and forked loop workers."""

    def check_settings(self, node_id: int, node_type: type[Node], settings: Any, base_dir: Path) -> None:
        """Sees a node's settings after flow variables and relative paths are resolved, before
        configure or execute; raise `NodeError` to refuse them."""

    def configure(self, node_id: int, in_specs: list[Any], call: Callable[[], list[Any]]) -> list[Any]:
        """Wraps every call of a node's `configure` (e.g. to memoise it); returns the out specs."""
        return call()

    def kept_result(self, node_id: int) -> NodeStatus | None:
        """An earlier result to show instead of executing a top-level node again (KNIME does not
        re-execute executed predecessors); None executes it."""
        return None


class Execution:
    """One run of a compiled workflow."""

    def __init__(
        self,
        compiled: CompiledWorkflow,
        *,
        variables: dict[str, Any] | None = None,
        seed: int | None = None,
        cache: MemoryCache | None = None,
        listener: Listener | None = None,
        workers: int | None = None,
        threads: int | None = None,
        cancel_event: threading.Event | None = None,
        scratch_dir: Path | None = None,
        hooks: ExecutionHooks | None = None,
    ) -> None:
        self.wf = compiled
        self.hooks = hooks or ExecutionHooks()
        self.seed = seed
        self.cache = cache
        self.listener = listener
        self.workers = workers or os.cpu_count() or 1
        # `workers=1` means sequential: one node at a time, as a plain script would run
        self.threads = threads or (1 if self.workers == 1 else 2 * (os.cpu_count() or 1))
        self.cancel_event = cancel_event or threading.Event()
        self.scratch_dir = scratch_dir
        self.resources = Resources()
        self._running_loops: dict[int, _LoopRun] = {}  # by loop start, while their passes run
        self.root_vars = self._root_variables(variables or {})
        self.status: dict[int, NodeStatus] = {
            n: NodeStatus(n, e.type, e.name or compiled.types[n].display_name or e.type)
            for n, e in compiled.entries.items()
        }
        self._lock = threading.Lock()
        self.cache_scope = compiled.doc.name

    # ------------------------------------------------------------------------------ variables

    def _root_variables(self, overrides: dict[str, Any]) -> VarStack:
        values = dict(self.wf.doc.variables)
        for name, value in overrides.items():
            default = values.get(name)
            values[name] = _coerce_like(value, default)
        return VarStack.of(values)

    # ------------------------------------------------------------------------------- events

    def _emit(self, event: dict[str, Any]) -> None:
        if self.listener is not None:
            try:
                self.listener(event)
            except Exception:
                pass

    def _set_state(self, node_id: int, state: str, **fields: Any) -> None:
        with self._lock:
            st = self.status[node_id]
            st.state = state
            for k, v in fields.items():
                setattr(st, k, v)
        self._emit(
            {
                "event": "state",
                "node": node_id,
                "state": state,
                "error": self.status[node_id].error,
                "cached": self.status[node_id].cached,
            }
        )

    # ---------------------------------------------------------------------------- configure

    def configure(self) -> dict[int, NodeStatus]:
        """Propagate specs through the whole workflow without executing (KNIME's configure)."""
        specs: dict[int, list[Any]] = {}
        for n in self.wf.order:
            st = self.status[n]
            node = self.wf.nodes[n]
            in_specs: list[Any] = []
            missing = False
            for p in range(1, len(node.inputs) + 1):
                src = self.wf.data_in.get((n, p))
                if src is None:
                    in_specs.append(None)
                    missing = missing or not node.inputs[p - 1].optional
                    continue
                up = specs.get(src[0])
                in_specs.append(up[src[1] - 1] if up is not None and src[1] - 1 < len(up) else None)
            upstream_failed = any(
                self.status[p].state == IDLE and self.status[p].error for p in self.wf.graph.predecessors(n)
            )
            if missing or upstream_failed:
                st.state, st.specs = IDLE, []
                continue
            try:
                settings = self._resolve_settings(n, self.root_vars, strict=False)
                ctx = self._context(n, self.root_vars, ())
                out = self._configure_node(n, [UNKNOWN if s is None else s for s in in_specs], settings, ctx)
                st.specs = list(out)
                st.state, st.error, st.setting = CONFIGURED, None, None
                specs[n] = st.specs
            except Exception as exc:  # one node that cannot configure must not stop the others
                st.state, st.specs = IDLE, []
                st.error, st.setting = _message(exc), getattr(exc, "setting", None)
        return self.status

    # ------------------------------------------------------------------------------ settings

    def _resolve_settings(self, n: int, variables: VarStack, *, strict: bool = True) -> Any:
        entry = self.wf.entries[n]
        cls = self.wf.types[n]
        raw = _interpolate(entry.settings, variables, n)
        for path, var in entry.use_variables.items():
            if var in variables:
                _set_path(raw, path, variables[var])
            elif strict:
                raise NodeError(
                    f"setting is bound to flow variable {var!r}, which is not defined here", setting=path
                )
        try:
            settings = cls.Settings.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise NodeError(err["msg"], setting=".".join(map(str, err["loc"]))) from None
        for name in cls.path_settings:
            value = getattr(settings, name, None)
            if isinstance(value, str) and value and "://" not in value and not Path(value).is_absolute():
                object.__setattr__(settings, name, str((self.wf.base_dir / value).resolve()))
        self.hooks.check_settings(n, cls, settings, self.wf.base_dir)
        return settings

    def _configure_node(self, n: int, in_specs: list[Any], settings: Any, ctx: RunContext) -> list[Any]:
        node = self.wf.nodes[n]
        return self.hooks.configure(n, in_specs, lambda: list(node.configure(in_specs, settings, ctx)))

    # ------------------------------------------------------------------------------- context

    def _context(self, n: int, variables: VarStack, iteration: tuple[int, ...]) -> RunContext:
        scope = self.wf.scope[n][:-1] if n in self.wf.loop_start_of else self.wf.scope[n]
        loop = self._running_loops.get(scope[-1]) if scope else None  # the innermost loop running n
        return RunContext(
            node_id=n,
            variables=variables,
            scope=scope,
            iteration_path=iteration,
            run_seed=self.seed,
            scratch_root=self.scratch_dir,
            cancel_event=self.cancel_event,
            on_progress=lambda nid, f, m: self._emit(
                {"event": "progress", "node": nid, "fraction": f, "message": m}
            ),
            on_log=self._log,
            on_warning=self._warning,
            resources=self.resources,
            workers=self.workers,
            loop_store=loop.store if loop is not None else None,
        )

    def _warning(self, node_id: int, message: str) -> None:
        self.status[node_id].warnings.append(message)
        self._emit({"event": "warning", "node": node_id, "message": message})

    def _log(self, node_id: int, message: str) -> None:
        self.status[node_id].log.append(message)
        self._emit({"event": "log", "node": node_id, "message": message})

    # ------------------------------------------------------------------------------ run

    def run(self, until: int | None = None) -> dict[int, NodeStatus]:
        self.configure()
        try:
            top_units, deps = self.wf.units(())
            if until is not None:
                needed = set(nx.ancestors(self.wf.graph, until)) | {until}
                top_level = {self._unit_at((), n) for n in needed}
                top_units = [u for u in top_units if u in top_level]
                deps = {u: deps[u] & top_level for u in top_units}
            self._run_level(top_units, deps, (), ())
        finally:
            self.resources.close_all()
            if self.cache is not None:
                self.cache.flush()
        return self.status

    def _unit_at(self, level: tuple[int, ...], n: int) -> int:
        s = self.wf.scope[n]
        if isinstance(self.wf.nodes[n], LoopEndNode):
            return self.wf.loop_start_of[n] if len(s) == len(level) + 1 else s[len(level)]
        return s[len(level)] if len(s) > len(level) else n

    def _run_level(
        self,
        units: list[int],
        deps: dict[int, set[int]],
        level: tuple[int, ...],
        iteration: tuple[int, ...],
        release: frozenset[int] = frozenset(),
    ) -> bool:
        """Run the units of one level; returns False if any failed. Ready units run concurrently;
        a lone ready unit runs inline (no thread hand-off on chains). Units in `release` drop their
        outputs once all their consumers in the level have run (a loop pass nobody will look at)."""
        waiting = {u: len(deps[u]) for u in units}
        dependants: dict[int, list[int]] = {u: [] for u in units}
        for u in units:
            for d in deps[u]:
                dependants[d].append(u)
        unused = {u: len(dependants[u]) for u in release}
        ready = [u for u in units if waiting[u] == 0]
        failed: set[int] = set()
        running: dict[Future[bool], int] = {}
        pool: ThreadPoolExecutor | None = None

        def settle(u: int, ok: bool) -> None:
            if not ok:
                failed.add(u)
            for d in dependants[u]:
                waiting[d] -= 1
                if waiting[d] == 0:
                    ready.append(d)
            for d in deps[u] & release:
                unused[d] -= 1
                if unused[d] == 0:
                    self.status[d].outputs = []

        try:
            while ready or running:
                on_main: list[int] = []
                while ready:
                    u = ready.pop(0)
                    if self.cancel_event.is_set():
                        self._skip(u, "cancelled")
                        settle(u, False)
                    elif deps[u] & failed:
                        self._skip(u, "not executed: a predecessor failed")
                        settle(u, False)
                    elif self._forks_workers(u, level):
                        on_main.append(u)
                    elif self.threads == 1 or (not running and not ready and not on_main):
                        settle(u, self._run_unit(u, level, iteration))
                    else:
                        if pool is None:
                            pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="knitflow")
                        self._set_state_queued(u)
                        running[pool.submit(self._run_unit, u, level, iteration)] = u
                if on_main:
                    # one at a time, each with all the worker processes; the other branches go on in threads
                    for u in on_main[1:]:
                        self._set_state_queued(u)
                    ready[:0] = on_main[1:]
                    settle(on_main[0], self._run_unit(on_main[0], level, iteration))
                    continue
                if running:
                    finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for fut in finished:
                        settle(running.pop(fut), fut.result())
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        return not failed

    def _forks_workers(self, u: int, level: tuple[int, ...]) -> bool:
        """A loop that may run its passes in forked worker processes starts from the main thread:
        forking from a pool thread is unsafe, and a thread-run loop would share one core's GIL."""
        node = self.wf.nodes[u]
        return (
            self.workers > 1
            and isinstance(node, LoopStartNode)
            and type(node).plan is not LoopStartNode.plan
            and u in self.wf.loop_end_of
            and self.wf.scope[u] == level
            and _fork_available()
        )

    def _set_state_queued(self, u: int) -> None:
        if self.status[u].state != EXECUTED:
            self._set_state(u, QUEUED)

    def _skip(self, unit: int, why: str) -> None:
        members = [unit] if unit not in self.wf.loop_end_of else self.wf.body(unit) + [unit]
        for n in members:
            st = self.status[n]
            st.outputs = []
            self._set_state(n, CONFIGURED if st.state != IDLE else IDLE, reason=why)

    def _run_unit(self, u: int, level: tuple[int, ...], iteration: tuple[int, ...]) -> bool:
        if u in self.wf.loop_end_of and self.wf.scope[u] == level:
            return self._run_loop(u, level, iteration)
        return self._run_node(u, iteration)

    # ------------------------------------------------------------------------------ inputs

    def _input_vars(self, n: int) -> VarStack:
        """Merge of the predecessors' variables: data ports in reverse order, then the variable
        port, so port 0 wins over port 1 wins over port 2 (KNIME's stack priority)."""
        node = self.wf.nodes[n]
        stacks: list[VarStack] = []
        for p in range(len(node.inputs), 0, -1):
            src = self.wf.data_in.get((n, p))
            if src is not None:
                stacks.append(self.status[src[0]].variables)
        for src_id in self.wf.var_in.get(n, []):
            stacks.append(self.status[src_id].variables)
        if not stacks:
            return self.root_vars
        return VarStack.merge([self.root_vars, *stacks])

    def _inputs(self, n: int) -> tuple[list[Any], dict[str, str]]:
        node = self.wf.nodes[n]
        objs: list[Any] = []
        keys: dict[str, str] = {}
        for p in range(1, len(node.inputs) + 1):
            src = self.wf.data_in.get((n, p))
            if src is None:
                objs.append(None)
                continue
            st = self.status[src[0]]
            if st.error or src[1] - 1 >= len(st.outputs):
                raise _Failed(f"input port {p} has no data: node #{src[0]} is not executed")
            objs.append(st.outputs[src[1] - 1])
            keys[str(p)] = f"{st.key}:{src[1]}"
        for src_id in self.wf.var_in.get(n, []):
            keys[f"0<{src_id}"] = str(self.status[src_id].key)
        return objs, keys

    # ------------------------------------------------------------------------------ cache keys

    def _key_parts(
        self,
        n: int,
        settings: Any,
        variables: VarStack,
        input_keys: dict[str, str],
        iteration: tuple[int, ...],
    ) -> dict[str, Any] | None:
        node = self.wf.nodes[n]
        cls = self.wf.types[n]
        parts: dict[str, Any] = {
            "type": f"{cls.type_name}@{cls.version}",
            "settings": digest(settings.model_dump(mode="json")),
            "inputs": input_keys,
            "variables": digest(variables.to_json()),
        }
        if node.uses_run_seed(settings):
            if self.seed is None:
                return None  # randomised without a seed: never cached
            parts["seed"] = derive_seed(self.seed, n, iteration)
        return parts

    # ------------------------------------------------------------------------------ one node

    def _run_node(self, n: int, iteration: tuple[int, ...]) -> bool:
        node = self.wf.nodes[n]
        entry = self.wf.entries[n]
        t0 = time.perf_counter()
        in_iteration = bool(iteration)
        kept = None if in_iteration else self.hooks.kept_result(n)
        if kept is not None:
            self._finish(
                n,
                list(kept.outputs),
                kept.variables,
                kept.key or f"kept-{n}",
                t0,
                cached=True,
                reason="unchanged (kept from the last run)",
                seconds=kept.seconds,
            )
            return True
        try:
            variables = self._input_vars(n)
            inputs, input_keys = self._inputs(n)
            settings = self._resolve_settings(n, variables)
            parts = self._key_parts(n, settings, variables, input_keys, iteration)
            key = digest(parts) if parts is not None else f"nocache-{n}-{time.time_ns()}"
            cacheable = parts is not None and self.cache is not None and not in_iteration
            scope_key = f"{self.cache_scope}#{n}"
            if cacheable:
                hit = self.cache.get(key)  # type: ignore[union-attr]
                if hit is not None:
                    self.cache.set_last_parts(scope_key, parts)  # type: ignore[union-attr]
                    self._finish(
                        n, hit.outputs, variables.push(hit.pushed), key, t0, cached=True, reason="unchanged"
                    )
                    return True
            reason = ""
            if not in_iteration:
                prev = self.cache.last_parts(scope_key) if self.cache is not None else None
                reason = "randomised node without seed" if parts is None else why_changed(prev, parts)
            # a loop body node lets go of its previous pass's outputs before computing the next ones
            self._set_state(n, EXECUTING, error=None, setting=None, outputs=[])
            ctx = self._context(n, variables, iteration)
            in_specs = [port_spec(o) for o in inputs]
            self._configure_node(n, in_specs, settings, ctx)
            outputs = list(node.execute(inputs, settings, ctx))
            if len(outputs) != len(node.outputs):
                raise NodeError(f"{entry.type} returned {len(outputs)} outputs for {len(node.outputs)} ports")
            pushed = ctx.pushed + _exposed(entry, settings, self.wf.scope[n])
            if cacheable and not ctx.used_random_seed:
                self.cache.put(key, CachedResult(outputs, pushed))  # type: ignore[union-attr]
                self.cache.set_last_parts(scope_key, parts)  # type: ignore[union-attr]
            self._finish(n, outputs, variables.push(pushed), key, t0, cached=False, reason=reason)
            return True
        except Exception as exc:  # a node's failure is isolated to its descendants
            self._fail(n, exc, t0)
            return False

    def _finish(
        self,
        n: int,
        outputs: list[Any],
        variables: VarStack,
        key: str,
        t0: float,
        *,
        cached: bool,
        reason: str,
        seconds: float | None = None,
    ) -> None:
        specs = [port_spec(o) for o in outputs]
        self._set_state(
            n,
            EXECUTED,
            outputs=outputs,
            specs=specs,
            variables=variables,
            key=key,
            seconds=time.perf_counter() - t0 if seconds is None else seconds,
            cached=cached,
            reason=reason,
            error=None,
        )

    def _fail(self, n: int, exc: BaseException, t0: float) -> None:
        message = _message(exc)
        if not isinstance(exc, NodeError | _Failed | Cancelled | ValidationError):
            message += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
        self._set_state(
            n,
            CONFIGURED,
            outputs=[],
            error=message.strip(),
            setting=getattr(exc, "setting", None),
            seconds=time.perf_counter() - t0,
            cached=False,
        )

    # ------------------------------------------------------------------------------ loops

    def _loop_key(self, start: int, start_parts: dict[str, Any] | None) -> str | None:
        if start_parts is None:
            return None
        body: list[Any] = []
        for n in self.wf.body(start):
            entry = self.wf.entries[n]
            cls = self.wf.types[n]
            try:
                s = cls.Settings.model_validate(entry.settings)
            except ValidationError:
                return None
            if not self.wf.nodes[n].is_deterministic(s) and self.seed is None:
                return None
            ext = {}
            for (dest, port), (src, sport) in self.wf.data_in.items():
                if dest == n and start not in self.wf.scope[src] and src != start:
                    ext[str(port)] = f"{self.status[src].key}:{sport}"
            body.append(
                [
                    n,
                    f"{cls.type_name}@{cls.version}",
                    entry.settings,
                    entry.use_variables,
                    entry.expose_variables,
                    ext,
                ]
            )
        conns = sorted(str(c) for c in self.wf.doc.connections if start in self.wf.scope[c.dest])
        return digest({"start": start_parts, "body": body, "connections": conns, "seed": self.seed})

    def _run_loop(self, start: int, level: tuple[int, ...], iteration: tuple[int, ...]) -> bool:
        end = self.wf.loop_end_of[start]
        start_node: LoopStartNode = self.wf.nodes[start]  # type: ignore[assignment]
        end_node: LoopEndNode = self.wf.nodes[end]  # type: ignore[assignment]
        t0 = time.perf_counter()
        members = self.wf.body(start)
        try:
            variables = self._input_vars(start)
            inputs, input_keys = self._inputs(start)
            settings = self._resolve_settings(start, variables)
            parts = self._key_parts(start, settings, variables, input_keys, iteration)
            loop_key = self._loop_key(start, parts) if not iteration else None
            scope_key = f"{self.cache_scope}#{end}"
            loop_parts = {**(parts or {}), "body": loop_key}
            if loop_key is not None and self.cache is not None:
                hit = self.cache.get(loop_key)
                if hit is not None:
                    self.cache.set_last_parts(scope_key, loop_parts)
                    for n in [start, *members]:
                        if n != end:
                            self._set_state(
                                n,
                                EXECUTED,
                                cached=True,
                                reason="unchanged (loop from cache)",
                                outputs=[],
                                key=f"{loop_key}/{n}",
                            )
                    self._finish(
                        end, hit.outputs, VarStack(hit.pushed), loop_key, t0, cached=True, reason="unchanged"
                    )
                    return True
            reason = ""
            if not iteration:
                prev = self.cache.last_parts(scope_key) if self.cache is not None else None
                reason = (
                    "randomised node in loop without seed"
                    if loop_key is None
                    else why_changed(prev, loop_parts)
                )
            self._set_state(start, EXECUTING, error=None)
            start_ctx = self._context(start, variables, iteration)
            self._configure_node(start, [port_spec(o) for o in inputs], settings, start_ctx)
            start_key = digest(parts) if parts is not None else f"nocache-{start}-{time.time_ns()}"
            loop = _LoopRun(self, start, level, iteration, variables, start_ctx, start_key)
            plan = start_node.plan(inputs, settings, start_ctx) if self.workers > 1 else None
            if plan is not None and len(plan) > 1 and _fork_available():
                results = loop.run_parallel(plan)
            else:
                results = loop.run_sequential(start_node.iterations(inputs, settings, start_ctx))
            end_state: Any = None
            end_settings: Any = None
            end_vars = variables
            self._running_loops[start] = loop
            try:
                for i, (end_inputs, end_vars) in enumerate(results):
                    path = (*iteration, i)
                    end_settings = self._resolve_settings(end, end_vars)
                    end_ctx = self._context(end, end_vars, path)
                    if end_state is None:
                        end_state = end_node.begin(end_settings, end_ctx)
                    loop.feedback = end_node.collect(end_state, end_inputs, end_settings, end_ctx)
            finally:
                self._running_loops.pop(start, None)
                loop.release()
            if end_state is None:  # zero passes
                end_settings = self._resolve_settings(end, variables, strict=False)
                end_state = end_node.begin(end_settings, self._context(end, variables, iteration))
            end_ctx = self._context(end, end_vars, iteration)
            outputs = list(end_node.finish(end_state, end_settings, end_ctx))
            if getattr(end_settings, "propagate_loop_variables", False):
                out_vars = VarStack(
                    VarEntry(e.name, e.value, e.type, tuple(s for s in e.scope if s != start))
                    for e in end_vars.entries()
                )
            else:
                out_vars = end_vars.without_scope(start)
            out_vars = out_vars.push(end_ctx.pushed)
            self._set_state(start, EXECUTED, seconds=time.perf_counter() - t0, cached=False, reason=reason)
            if loop_key is not None and self.cache is not None:
                self.cache.put(loop_key, CachedResult(outputs, out_vars.entries()))
                self.cache.set_last_parts(scope_key, loop_parts)
            self._finish(
                end,
                outputs,
                out_vars,
                loop_key or f"nocache-{end}-{time.time_ns()}",
                t0,
                cached=False,
                reason=reason,
            )
            return True
        except Exception as exc:
            self._fail(start, exc, t0)
            self._fail(
                end,
                exc if isinstance(exc, NodeError) else _Failed(f"loop #{start} failed: {_message(exc)}"),
                t0,
            )
            return False


class _LoopRun:
    """The passes of one loop: sequential (feedback flows to the start) or, for loops whose passes
    are planned up front, in forked worker processes that inherit the shared inputs instead of
    receiving them pickled once per pass."""

    def __init__(
        self,
        ex: Execution,
        start: int,
        level: tuple[int, ...],
        iteration: tuple[int, ...],
        variables: VarStack,
        start_ctx: RunContext,
        start_key: str,
    ) -> None:
        self.ex = ex
        self.start = start
        self.end = ex.wf.loop_end_of[start]
        self.inner = (*level, start)
        self.iteration = iteration
        self.variables = variables
        self.start_ctx = start_ctx
        self.start_key = start_key
        self.body_units, self.body_deps = ex.wf.units(self.inner)
        # body nodes whose outputs only other body nodes read: a pass nobody will look at (one a worker
        # does not report) lets them go once read, e.g. 13_01's 51 MB sample once it is partitioned
        feeds_end = {src for (dst, _), (src, _) in ex.wf.data_in.items() if dst == self.end}
        feeds_end |= set(ex.wf.var_in.get(self.end, []))
        self.unreported = frozenset(
            u for u in self.body_units if u not in ex.wf.loop_end_of and u not in feeds_end
        )
        self.feedback: Any = None
        self._stores: dict[int, dict[str, Any]] = {}  # by thread: what body nodes reuse between passes
        self._stores_lock = threading.Lock()

    def store(self) -> dict[str, Any]:
        with self._stores_lock:
            return self._stores.setdefault(threading.get_ident(), {})

    def release(self) -> None:
        with self._stores_lock:
            self._stores = {}

    def one_pass(
        self, i: int, it: Iteration, total: int | None, reported: bool = True
    ) -> tuple[list[Any], VarStack]:
        ex = self.ex
        path = (*self.iteration, i)
        loop_vars = [VarEntry(k, v, variable_type(v), self.inner) for k, v in it.variables.items()]
        start_vars = self.variables.push(self.start_ctx.pushed).push(loop_vars)
        total = it.variables.get("maxIterations", total)
        ex._set_state(
            self.start,
            EXECUTING,
            outputs=list(it.outputs),
            variables=start_vars,
            key=f"{self.start_key}/{i}",
            iteration=(i, total),
        )
        ex._emit({"event": "iteration", "node": self.start, "iteration": i, "total": total})
        release = frozenset() if reported else self.unreported
        if not ex._run_level(self.body_units, self.body_deps, self.inner, path, release):
            failed = [n for n in ex.wf.body(self.start) if ex.status[n].error]
            detail = f": #{failed[0]} {ex.status[failed[0]].error.splitlines()[0]}" if failed else ""
            raise _Failed(f"loop iteration {i} failed{detail}")
        end_inputs, _ = ex._inputs(self.end)
        return end_inputs, ex._input_vars(self.end)

    def run_sequential(self, generator: Any) -> Any:
        i = 0
        while True:
            if self.ex.cancel_event.is_set():
                raise Cancelled("execution cancelled")
            try:
                it = next(generator) if i == 0 else generator.send(self.feedback)
            except StopIteration:
                return
            yield self.one_pass(i, it, None)
            i += 1

    def run_parallel(self, plan: list[Iteration]) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _FORKED_LOOP
        n = len(plan)
        # The first pass runs here: its first calls (lazy imports of the learners, caches) are paid
        # once and inherited by every worker instead of once per worker.
        yield self.one_pass(0, plan[0], n)
        _FORKED_LOOP = (self, plan)
        # Objects the workers inherit are moved out of the collector's reach: a worker's garbage
        # collection would otherwise write to every inherited object and copy its memory page.
        gc.freeze()
        try:
            ctx = multiprocessing.get_context("fork")
            workers = min(self.ex.workers, n - 1)
            with ProcessPoolExecutor(
                max_workers=workers,
                mp_context=ctx,
                initializer=_share_cores,
                initargs=(max(1, (os.cpu_count() or 1) // workers),),
            ) as pool:
                # in order: two of a sweep's largest passes rarely run at once (memory), and the last
                # pass, whose body outputs the parent keeps, comes back at the end
                futures = [pool.submit(_forked_pass, i, i >= n - workers) for i in range(1, n)]
                for i, fut in enumerate(futures, start=1):
                    try:
                        end_inputs, end_entries, statuses = fut.result()
                    except _FailedPass as failed:
                        for f in futures:
                            f.cancel()
                        for node_id, fields in failed.statuses.items():
                            self.ex._set_state(node_id, fields.pop("state"), **fields)
                        raise _Failed(failed.message) from None
                    for node_id, fields in statuses.items():
                        self.ex._set_state(node_id, fields.pop("state"), **fields)
                    self.ex._set_state(self.start, EXECUTING, outputs=list(plan[i].outputs), iteration=(i, n))
                    self.ex._emit({"event": "iteration", "node": self.start, "iteration": i, "total": n})
                    yield end_inputs, VarStack(end_entries)
        finally:
            _FORKED_LOOP = None
            gc.unfreeze()


_FORKED_LOOP: tuple[_LoopRun, list[Iteration]] | None = None
_IN_WORKER = False


def _fork_available() -> bool:
    """Fork only from the main thread of the main process: inner loops of a pass run sequentially
    inside their worker."""
    import multiprocessing

    return (
        not _IN_WORKER
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.current_thread() is threading.main_thread()
    )


def _share_cores(threads: int) -> None:
    """A worker's native thread pools (BLAS, OpenMP) get its share of the cores: each would
    otherwise start one thread per core, and N workers would oversubscribe the machine N-fold."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # without threadpoolctl (it comes with scikit-learn) the pools stay as they are
        return
    threadpool_limits(limits=threads)


def _forked_pass(i: int, last_round: bool) -> tuple[list[Any], list[VarEntry], dict[int, dict[str, Any]]]:
    """Runs in a forked worker: the loop and its shared inputs were inherited, only `i` was sent.
    `last_round`: one of the last passes handed out, after which this worker most likely idles."""
    global _IN_WORKER
    _IN_WORKER = True
    assert _FORKED_LOOP is not None
    loop, plan = _FORKED_LOOP
    ex = loop.ex
    ex._lock = threading.Lock()
    ex.listener = None

    def body_statuses() -> dict[int, dict[str, Any]]:
        statuses: dict[int, dict[str, Any]] = {}
        for n in ex.wf.body(loop.start):
            if n != loop.end:
                st = ex.status[n]
                statuses[n] = {
                    "state": st.state,
                    "outputs": st.outputs,
                    "specs": st.specs,
                    "seconds": st.seconds,
                    "error": st.error,
                    "setting": st.setting,
                }
        return statuses

    last = i == len(plan) - 1  # the body shows the last pass, as in KNIME: the others report nothing
    try:
        end_inputs, end_vars = loop.one_pass(i, plan[i], len(plan), reported=last)
    except Exception as exc:  # the parent shows the failed pass's body, whose errors name the node
        loop.release()
        raise _FailedPass(_message(exc), body_statuses()) from None
    if last_round:  # what its nodes kept for a next pass (13_01: a 287 MB feature buffer) goes now
        loop.release()
    return end_inputs, end_vars.entries(), body_statuses() if last else {}


class _FailedPass(Exception):
    """A pass that failed in a worker, with its body's states for the parent to show."""

    def __init__(self, message: str, statuses: dict[int, dict[str, Any]]) -> None:
        super().__init__(message, statuses)
        self.message, self.statuses = message, statuses


# ---------------------------------------------------------------------------------------- helpers


def _message(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(map(str, err['loc']))}: {err['msg']}"
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, NodeError | _Failed | Cancelled | GraphError):
        text = f"{type(exc).__name__}: {text}"
    return text


def _interpolate(value: Any, variables: VarStack, node_id: int) -> Any:
    """Replace ${name} in string settings by workflow/flow variables (e.g. the data folder)."""
    if isinstance(value, str) and "${" in value:

        def sub(m: re.Match[str]) -> str:
            if m[1] not in variables:
                raise NodeError(f"unknown variable ${{{m[1]}}} in setting value {value!r}")
            return str(variables[m[1]])

        return VARIABLE_REFERENCE.sub(sub, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, variables, node_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, variables, node_id) for v in value]
    return value


def _set_path(raw: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    target = raw
    for k in keys[:-1]:
        target = target.setdefault(k, {})
    target[keys[-1]] = value


def _get_path(obj: Any, path: str) -> Any:
    for k in path.split("."):
        obj = obj[k] if isinstance(obj, dict) else getattr(obj, k)
    return obj


def _exposed(entry: NodeEntry, settings: Any, scope: tuple[int, ...]) -> list[VarEntry]:
    out = []
    for path, var in entry.expose_variables.items():
        value = _get_path(settings, path)
        out.append(VarEntry(var, value, variable_type(value), scope))
    return out


def _coerce_like(value: Any, default: Any) -> Any:
    """`--set N=500` arrives as text; give it the type of the variable's default."""
    if not isinstance(value, str) or default is None or isinstance(default, str):
        return value
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


def output_summaries(st: NodeStatus) -> list[dict[str, Any]]:
    """`output_summary` of each of a node's outputs, with port numbers (1..n), as the CLI, run.json
    and the editor show them."""
    node_type = registry.get(st.type)
    declared = node_type.outputs if node_type is not None else ()
    return [
        {"port": p, **output_summary(obj, declared[p - 1] if p <= len(declared) else None)}
        for p, obj in enumerate(st.outputs, start=1)
    ]


def output_summary(obj: Any, port: Port | None = None) -> dict[str, Any]:
    """What run.json, the CLI and the editor say about one output; `port` tells an unfilled port
    (e.g. a Python Script's unused outputs: "empty") from a flow-variable port ("variables")."""
    if obj is None and port is not None and port.type != PortType.VARIABLES:
        return {"kind": "empty"}
    if isinstance(obj, Table):
        return {"kind": "table", "rows": obj.shape[0], "columns": obj.shape[1]}
    if isinstance(obj, Model):
        return {"kind": "model", "summary": obj.summary}
    if isinstance(obj, View):
        return {"kind": "view", "title": obj.title}
    if obj is None:
        return {"kind": "variables"}
    return {"kind": type(obj).__name__}
