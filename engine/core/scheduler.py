"""The scheduler: configure-time spec propagation, dependency-ordered execution with failure
isolation, concurrent branches, loops, result caching and seeds.

Every client (CLI, Python API, editor) goes through `Execution`; what a client adds (the editor's
path confinement, configure memo and kept results) comes in through `ExecutionHooks`, events go
out through the `listener`. The parts: `graph` (what runs where), `dispatch` (one level's units in
dependency order), `loop_unit` (a whole loop as one unit: its cache, passes and loop end), `loops`
and `executors` (a loop's passes and where they run), `outcomes` (failure messages, stale files),
`keys` (what decides a result and why a node ran), `settings` (variables into settings).
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.api import (
    INACTIVE,
    CaughtFailure,
    FailedBranch,
    LoopStartNode,
    Node,
    NodeError,
    caught_failure,
    port_spec,
)
from engine.core import digraph
from engine.core.cache import CachedResult, MemoryCache
from engine.core.configure import ConfigurePass
from engine.core.context import Cancelled, Resources, RunContext
from engine.core.dispatch import LevelPlan, LevelRun
from engine.core.executors import ForkedPasses, InlinePasses, PassExecutor, fork_available
from engine.core.graph import CompiledWorkflow
from engine.core.interrupt import NodeThreads
from engine.core.keys import KeyParts, digest, node_key_parts, uncacheable_reason, why_changed
from engine.core.loop_unit import LoopUnit
from engine.core.loops import LoopRun
from engine.core.outcomes import (
    Failed,
    message_of,
    needs_traceback,
    skipped_as_inactive,
    touched_changed,
    touched_files,
)
from engine.core.settings import coerce_like, exposed_variables, resolve_settings
from engine.core.status import CONFIGURED, EXECUTED, EXECUTING, IDLE, QUEUED, GraphError, NodeStatus
from engine.core.tracing import traced_reads
from engine.core.variables import VarStack

Listener = Callable[[dict[str, Any]], None]

__all__ = [
    "CONFIGURED",
    "EXECUTED",
    "EXECUTING",
    "IDLE",
    "QUEUED",
    "CompiledWorkflow",
    "Execution",
    "ExecutionHooks",
    "GraphError",
    "Listener",
    "NodeStatus",
]


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
        pass_executor: PassExecutor | None = None,
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
        self.in_worker = False  # a forked loop worker: its inner loops run their passes inline
        self._pass_executor = pass_executor
        self.node_threads = NodeThreads()  # cancelling interrupts node code that never checks
        self._running_loops: dict[int, LoopRun] = {}  # by loop start, while their passes run
        self.root_vars = self._root_variables(variables or {})
        self.status: dict[int, NodeStatus] = {
            n: NodeStatus(n, e.type, e.name or compiled.types[n].display_name or e.type)
            for n, e in compiled.entries.items()
        }
        self._lock = threading.Lock()
        self.cache_scope = compiled.doc.name

    def _root_variables(self, overrides: dict[str, Any]) -> VarStack:
        values = dict(self.wf.doc.variables)
        for name, value in overrides.items():
            try:
                values[name] = coerce_like(value, values.get(name))
            except ValueError as exc:
                raise ValueError(f"workflow variable {name}: {exc}") from None
        return VarStack.of(values)

    def become_worker(self) -> None:
        """In a forked loop worker: fresh lock, no listener (the parent reports), no more forking."""
        self._lock = threading.Lock()
        self.listener = None
        self.in_worker = True
        self.node_threads = NodeThreads()

    # ------------------------------------------------------------------------------- events

    def emit(self, event: dict[str, Any]) -> None:
        if self.listener is not None:
            try:
                self.listener(event)
            except Exception:
                pass

    def set_state(self, node_id: int, state: str, **fields: Any) -> None:
        with self._lock:
            st = self.status[node_id]
            st.state = state
            for k, v in fields.items():
                setattr(st, k, v)
        self.emit({"event": "state", "node": node_id, "state": state, "error": st.error, "cached": st.cached})

    def _warning(self, node_id: int, message: str) -> None:
        self.status[node_id].warnings.append(message)
        self.emit({"event": "warning", "node": node_id, "message": message})

    def _log(self, node_id: int, message: str) -> None:
        self.status[node_id].log.append(message)
        self.emit({"event": "log", "node": node_id, "message": message})

    # ---------------------------------------------------------------------------- configure

    def configure(self) -> dict[int, NodeStatus]:
        """Propagate specs and flow variables through the whole workflow without executing."""
        return ConfigurePass(self).run()

    def unconnected(self, n: int) -> str:
        """The configure-time error of a node whose required inputs have no connection."""
        node, sources = self.wf.nodes[n], self.wf.inputs_of(n)
        ports = [
            f"{p} ({port.name})"
            for p, (port, src) in enumerate(zip(node.inputs, sources, strict=True), start=1)
            if not port.optional and src is None
        ]
        return f"required input port {', '.join(ports)} is not connected"

    def settings_of(self, n: int, variables: VarStack, *, strict: bool = True) -> Any:
        settings = resolve_settings(
            self.wf.entries[n], self.wf.types[n], variables, self.wf.base_dir, strict=strict
        )
        self.hooks.check_settings(n, self.wf.types[n], settings, self.wf.base_dir)
        return settings

    def configure_node(self, n: int, in_specs: list[Any], settings: Any, ctx: RunContext) -> list[Any]:
        node = self.wf.nodes[n]
        return list(self.hooks.configure(n, in_specs, lambda: list(node.configure(in_specs, settings, ctx))))

    def context(self, n: int, variables: VarStack, pass_path: tuple[int, ...]) -> RunContext:
        scope = self.wf.scope[n][:-1] if n in self.wf.loop_start_of else self.wf.scope[n]
        loop = self._running_loops.get(scope[-1]) if scope else None  # the innermost loop running n
        return RunContext(
            node_id=n,
            variables=variables,
            scope=scope,
            iteration_path=pass_path,
            run_seed=self.seed,
            scratch_root=self.scratch_dir,
            cancel_event=self.cancel_event,
            on_progress=lambda nid, f, m: self.emit(
                {"event": "progress", "node": nid, "fraction": f, "message": m}
            ),
            on_log=self._log,
            on_warning=self._warning,
            resources=self.resources,
            workers=self.workers,
            loop_store=loop.store if loop is not None else None,
            on_idle=self._import_ahead,
        )

    def _import_ahead(self, waiting: int) -> None:
        """`ctx.while_waiting()` of node `waiting`: import what the nodes yet to run `preload`, the
        first needed first, if it is the only node running (see engine.core.preload)."""
        if self.in_worker or not self.node_threads.alone():
            return
        from engine.core.preload import import_ahead

        later = [n for n in self.wf.order if n != waiting and self.status[n].state != EXECUTED]
        import_ahead(module for n in later for module in self.wf.types[n].preload)

    # ------------------------------------------------------------------------------- run

    def run(self, until: int | None = None) -> dict[int, NodeStatus]:
        self.configure()
        try:
            units, deps = self.wf.units(())
            if until is not None:
                needed = set(digraph.ancestors(self.wf.graph, until)) | {until}
                wanted = {self.wf.unit_at((), n) for n in needed}
                units = [u for u in units if u in wanted]
                deps = {u: deps[u] & wanted for u in units}
            with self.node_threads.watching(self.cancel_event):
                self.run_level(units, deps, (), ())
        finally:
            self.resources.close_all()
            if self.cache is not None:
                self.cache.flush()
        return self.status

    def run_level(
        self,
        units: list[int],
        deps: dict[int, set[int]],
        level: tuple[int, ...],
        pass_path: tuple[int, ...],
        release: frozenset[int] = frozenset(),
    ) -> bool:
        """Run the units of one level (a node, or a loop start standing for its whole loop);
        False if any failed. Units in `release` drop their outputs once all their readers ran."""
        return LevelRun(
            LevelPlan(units, deps),
            run_unit=lambda u: self._run_unit(u, level, pass_path),
            skip=self._skip,
            queued=self._queued,
            main_thread_only=lambda u: self._forks_workers(u, level),
            cancelled=self.cancel_event.is_set,
            threads=self.threads,
            release=self._drop_outputs,
            released=release,
        ).run()

    def _drop_outputs(self, n: int) -> None:
        self.status[n].outputs = []

    def _forks_workers(self, u: int, level: tuple[int, ...]) -> bool:
        """A loop that may run its passes in forked worker processes starts from the main thread:
        forking from a pool thread is unsafe, and a thread-run loop would share one core's GIL."""
        node = self.wf.nodes[u]
        return (
            self.workers > 1
            and not self.in_worker
            and isinstance(node, LoopStartNode)
            and type(node).plan is not LoopStartNode.plan
            and u in self.wf.loop_end_of
            and self.wf.scope[u] == level
            and fork_available()
        )

    def _queued(self, u: int) -> None:
        if self.status[u].state != EXECUTED:
            self.set_state(u, QUEUED)

    def _skip(self, unit: int, why: str) -> None:
        members = [unit] if unit not in self.wf.loop_end_of else [*self.wf.body(unit), unit]
        for n in members:
            st = self.status[n]
            st.outputs = []
            self.set_state(n, CONFIGURED if st.state != IDLE else IDLE, reason=why)

    def _run_unit(self, u: int, level: tuple[int, ...], pass_path: tuple[int, ...]) -> bool:
        if u in self.wf.loop_end_of and self.wf.scope[u] == level:
            return LoopUnit(self, u).run(level, pass_path)
        return self._run_node(u, pass_path)

    # ---------------------------------------------------------------------------- inputs

    def input_variables(self, n: int) -> VarStack:
        """Merge of the predecessors' variables: data ports in reverse order, then the variable
        port, so port 0 wins over port 1 wins over port 2 (KNIME's stack priority)."""
        sources = [src[0] for src in reversed(self.wf.inputs_of(n)) if src is not None]
        sources += self.wf.var_in.get(n, [])
        stacks = [self.wf.through_walls(s, n, self.status[s].variables, self._variables_of) for s in sources]
        merged = VarStack.merge([self.root_vars, *stacks]) if stacks else self.root_vars
        return self.wf.with_scope_variables(n, merged)

    def _variables_of(self, n: int) -> VarStack:
        return self.status[n].variables

    def inputs_of(self, n: int) -> tuple[list[Any], dict[str, str]]:
        """The objects on `n`'s input ports and the keys they were computed from."""
        objs: list[Any] = []
        keys: dict[str, str] = {}
        for p, src in enumerate(self.wf.inputs_of(n), start=1):
            if src is None:
                if not self.wf.nodes[n].inputs[p - 1].optional:
                    raise Failed(self.unconnected(n))
                objs.append(None)
                continue
            st = self.status[src[0]]
            if st.error or src[1] - 1 >= len(st.outputs):
                raise Failed(f"input port {p} has no data: node #{src[0]} is not executed")
            objs.append(st.outputs[src[1] - 1])
            keys[str(p)] = f"{st.key}:{src[1]}"
        for src_id in self.wf.var_in.get(n, []):
            keys[f"0<{src_id}"] = str(self.status[src_id].key)
        return objs, keys

    # ------------------------------------------------------------------------------ one node

    def key_parts(
        self,
        n: int,
        settings: Any,
        variables: VarStack,
        input_keys: dict[str, str],
        pass_path: tuple[int, ...],
    ) -> KeyParts | None:
        return node_key_parts(
            self.wf.types[n],
            self.wf.nodes[n],
            settings,
            variables,
            input_keys,
            run_seed=self.seed,
            node_id=n,
            pass_path=pass_path,
        )

    def _run_node(self, n: int, pass_path: tuple[int, ...]) -> bool:
        t0 = time.perf_counter()
        kept = None if pass_path else self.hooks.kept_result(n)
        if kept is not None:
            self.finish(
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
            variables = self.input_variables(n)
            inputs, input_keys = self.inputs_of(n)
            if skipped_as_inactive(self.wf.nodes[n], inputs):
                self.finish_inactive(n, variables, t0, inputs)
                return True
            settings = self.settings_of(n, variables)
            parts = self.key_parts(n, settings, variables, input_keys, pass_path)
            key = digest(parts) if parts is not None else f"nocache-{n}-{time.time_ns()}"
            stale = self._serve_cached(n, parts, key, variables, t0, cacheable=not pass_path)
            if stale is None:
                return True
            reason = stale or self.change_reason(
                f"{self.cache_scope}#{n}",
                parts,
                uncacheable_reason(self.wf.nodes[n], settings, self.seed),
                pass_path,
            )
            self._execute(n, inputs, settings, variables, pass_path, t0, key=key, parts=parts, reason=reason)
            return True
        except KeyboardInterrupt:  # e.g. a script raising it: the user's interrupt, not a failure
            self.cancel_event.set()
            self.cancelled(n, t0)
            return False
        except Exception as exc:  # a node's failure is isolated to its descendants
            if isinstance(exc, Cancelled) or (self.cancel_event.is_set() and not isinstance(exc, NodeError)):
                self.cancelled(n, t0)
            elif self.in_try_scope(n):
                self.finish_caught(n, exc, t0)
                return True
            else:
                self.fail(n, exc, t0)
            return False

    def _serve_cached(
        self, n: int, parts: KeyParts | None, key: str, variables: VarStack, t0: float, *, cacheable: bool
    ) -> str | None:
        """None when the node was served from the cache; else "" or why a cached result is stale."""
        if parts is None or self.cache is None or not cacheable:
            return ""
        hit = self.cache.get(key)
        if hit is None:
            return ""
        stale = touched_changed(hit.touched)
        if stale:
            return stale
        self.cache.set_last_parts(f"{self.cache_scope}#{n}", parts)
        self.finish(n, hit.outputs, variables.push(hit.pushed), key, t0, cached=True, reason="unchanged")
        return None

    def change_reason(
        self, scope_key: str, parts: KeyParts | None, uncached_reason: str | None, pass_path: tuple[int, ...]
    ) -> str:
        if pass_path:
            return ""
        if parts is None:
            return uncached_reason or "not cacheable"
        previous = self.cache.last_parts(scope_key) if self.cache is not None else None
        return why_changed(previous, parts)

    def _execute(
        self,
        n: int,
        inputs: list[Any],
        settings: Any,
        variables: VarStack,
        pass_path: tuple[int, ...],
        t0: float,
        *,
        key: str,
        parts: KeyParts | None,
        reason: str,
    ) -> None:
        node, entry = self.wf.nodes[n], self.wf.entries[n]
        # a loop body node lets go of its previous pass's outputs before computing the next ones
        self.set_state(
            n,
            EXECUTING,
            error=None,
            setting=None,
            outputs=[],
            warnings=[],
            log=[],
            key_parts=parts,
            touched={},
        )
        ctx = self.context(n, variables, pass_path)
        self.configure_node(n, [port_spec(o) for o in inputs], settings, ctx)
        with self.node_threads.running_node(), traced_reads() as opened:
            outputs = list(node.execute(inputs, settings, ctx))
        if len(outputs) != len(node.outputs):
            raise NodeError(f"{entry.type} returned {len(outputs)} outputs for {len(node.outputs)} ports")
        pushed = ctx.pushed + exposed_variables(entry, settings, self.wf.scope[n])
        touched = touched_files(opened, node.reads(settings), node.writes(settings))
        if parts is not None and self.cache is not None and not pass_path and not ctx.used_random_seed:
            self.cache.put(key, CachedResult(outputs, pushed, touched))
            self.cache.set_last_parts(f"{self.cache_scope}#{n}", parts)
        self.finish(n, outputs, variables.push(pushed), key, t0, cached=False, reason=reason)
        self.status[n].touched = touched

    def finish(
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
        self.set_state(
            n,
            EXECUTED,
            outputs=outputs,
            specs=[port_spec(o) for o in outputs],
            variables=variables,
            key=key,
            seconds=time.perf_counter() - t0 if seconds is None else seconds,
            cached=cached,
            reason=reason,
            error=None,
        )

    def finish_inactive(
        self, n: int, variables: VarStack, t0: float, inputs: list[Any] | None = None
    ) -> None:
        """A node on an inactive branch: executed in KNIME's sense, INACTIVE at every output (the
        failed branch of a try-catch scope, if that is what made it inactive, carrying its failure)."""
        failure = caught_failure(inputs or [])
        inactive = INACTIVE if failure is None else FailedBranch(failure)
        outputs = [inactive] * len(self.wf.nodes[n].outputs)
        self.finish(
            n, outputs, variables, f"inactive-{n}", t0, cached=False, reason="not executed: inactive branch"
        )

    def in_try_scope(self, n: int) -> bool:
        """Whether `n` sits in a try-catch scope: a Try above it and a Catch below it."""
        nodes, graph = self.wf.nodes, self.wf.graph
        return any(nodes[a].opens_try_scope for a in digraph.ancestors(graph, n)) and any(
            nodes[d].closes_try_scope for d in digraph.descendants(graph, n)
        )

    def finish_caught(self, n: int, exc: BaseException, t0: float) -> None:
        """KNIME's try-catch: a node failing inside the scope leaves its branch inactive and its
        failure to the Catch node, instead of failing the run."""
        message = message_of(exc).strip()
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        failure = CaughtFailure(f"{self.status[n].name} #{n}", message, message, trace)
        try:
            variables = self.input_variables(n)
        except Exception:
            variables = self.root_vars
        outputs = [FailedBranch(failure)] * len(self.wf.nodes[n].outputs)
        reason = f"failed inside a try-catch scope: {message}"
        self.finish(n, outputs, variables, f"caught-{n}-{time.time_ns()}", t0, cached=False, reason=reason)
        self._warning(n, f"failed inside a try-catch scope, so its branch is inactive: {message}")

    def cancelled(self, n: int, t0: float) -> None:
        """KNIME: a cancelled node is back to configured, without an error."""
        self.set_state(
            n, CONFIGURED, outputs=[], error=None, setting=None, reason="cancelled",
            seconds=time.perf_counter() - t0, cached=False, loop_progress=None,
        )  # fmt: skip

    def fail(self, n: int, exc: BaseException, t0: float) -> None:
        message = message_of(exc)
        if needs_traceback(exc):
            message += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
        self.set_state(
            n,
            CONFIGURED,
            outputs=[],
            error=message.strip(),
            setting=getattr(exc, "setting", None),
            seconds=time.perf_counter() - t0,
            cached=False,
        )

    @staticmethod
    def message_of(exc: BaseException) -> str:
        return message_of(exc)

    # ------------------------------------------------------------------------------ loops

    def pass_executor(self, plan: list[Any] | None) -> PassExecutor | None:
        """Where a loop's planned passes run (None: the loop runs pass by pass with feedback)."""
        if plan is None or len(plan) < 2 or self.in_worker:
            return None
        if self._pass_executor is not None:  # chosen by the user (a cluster): whatever `workers` says
            return self._pass_executor
        if self.workers <= 1:
            return None
        if fork_available():
            return ForkedPasses(self.workers)
        return InlinePasses()

    def plans_passes(self) -> bool:
        """Whether a loop asks its start for a plan of independent passes (to run them elsewhere)."""
        return (self.workers > 1 or self._pass_executor is not None) and not self.in_worker

    @contextmanager
    def loop_running(self, start: int, loop: LoopRun) -> Iterator[None]:
        """While a loop's passes run, its body nodes' contexts reach the loop's store."""
        self._running_loops[start] = loop
        try:
            yield
        finally:
            self._running_loops.pop(start, None)
