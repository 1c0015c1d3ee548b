"""A loop as one unit of its level: served whole from the cache or run pass by pass (or on a pass
executor), its loop end fed each pass, and the body nodes told why they ran.

`Execution` runs a loop start through `LoopUnit`; the passes themselves are `loops.LoopRun`'s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from engine.api import LoopEndNode, LoopStartNode, NodeError, is_inactive, port_spec
from engine.core.cache import CachedResult
from engine.core.context import Cancelled
from engine.core.keys import KeyParts, digest, files_state, loop_key, why_changed
from engine.core.loops import LoopRun, PassResult
from engine.core.outcomes import Failed, message_of, skipped_as_inactive, touched_changed
from engine.core.status import EXECUTED, EXECUTING
from engine.core.variables import VarEntry, VarStack

if TYPE_CHECKING:
    from engine.core.scheduler import Execution


class LoopUnit:
    """One run of the loop that starts at `start` (with everything up to its loop end)."""

    def __init__(self, ex: Execution, start: int) -> None:
        self.ex = ex
        self.wf = ex.wf
        self.start = start
        self.end = ex.wf.loop_end_of[start]

    def run(self, level: tuple[int, ...], pass_path: tuple[int, ...]) -> bool:
        """False when the loop failed or was cancelled (its start and end say why)."""
        ex, start, end = self.ex, self.start, self.end
        t0 = time.perf_counter()
        try:
            variables = ex.input_variables(start)
            inputs, input_keys = ex.inputs_of(start)
            if skipped_as_inactive(self.wf.nodes[start], inputs):
                self._inactive(variables, t0, inputs)
                return True
            settings = ex.settings_of(start, variables)
            parts = ex.key_parts(start, settings, variables, input_keys, pass_path)
            key = None if pass_path else self._key(parts)
            loop_parts = {**(parts or {}), "body": key}
            if self._serve_cached(key, loop_parts, t0):
                return True
            reason = (
                "a node in the loop is never served from a cache" if key is None and not pass_path else ""
            )
            if key is not None:
                reason = ex.change_reason(f"{ex.cache_scope}#{end}", loop_parts, None, pass_path)
            outputs, out_vars = self._passes(level, pass_path, variables, inputs, settings, parts)
            ex.set_state(start, EXECUTED, seconds=time.perf_counter() - t0, cached=False, reason=reason)
            if not pass_path:
                self._explain_body(reason)
            self._store(key, loop_parts, outputs, out_vars)
            ex.finish(
                end,
                outputs,
                out_vars,
                key or f"nocache-{end}-{time.time_ns()}",
                t0,
                cached=False,
                reason=reason,
            )
            return True
        except KeyboardInterrupt:
            ex.cancel_event.set()
            self._reset_cancelled(t0)
            return False
        except Exception as exc:
            if isinstance(exc, Cancelled) or ex.cancel_event.is_set():
                self._reset_cancelled(t0)
                return False
            ex.fail(start, exc, t0)
            failure = (
                exc if isinstance(exc, NodeError) else Failed(f"loop #{start} failed: {message_of(exc)}")
            )
            ex.fail(end, failure, t0)
            return False

    def _store(self, key: str | None, loop_parts: KeyParts, outputs: list[Any], out_vars: VarStack) -> None:
        """The loop's result into the cache (not a loop that ended inactive)."""
        ex, end = self.ex, self.end
        if key is None or ex.cache is None or any(is_inactive(o) for o in outputs):
            return
        shown = {n: self._shown_outputs(n) for n in self.wf.body(self.start) if n != end}
        ex.cache.put(key, CachedResult(outputs, out_vars.entries(), self._touched(), shown))
        ex.cache.set_last_parts(f"{ex.cache_scope}#{end}", loop_parts)

    def _inactive(self, variables: VarStack, t0: float, inputs: list[Any]) -> None:
        """A loop whose start is on an inactive branch is inactive whole, as in KNIME."""
        for n in [self.start, *self.wf.body(self.start)]:
            self.ex.finish_inactive(n, variables, t0, inputs)

    def _reset_cancelled(self, t0: float) -> None:
        """A cancelled loop is reset whole: no body node keeps a half-finished loop's results."""
        for n in [self.start, *self.wf.body(self.start)]:
            self.ex.cancelled(n, t0)

    def _before_loop(self, n: int) -> Any:
        """A body node's settings as known before its loop runs; None when a loop variable decides
        which file it reads or writes."""
        entry, cls = self.wf.entries[n], self.wf.types[n]
        if any(path.split(".")[0] in cls.path_settings for path in entry.use_variables):
            return None
        try:
            return self.ex.settings_of(n, self.ex.input_variables(self.start), strict=False)
        except Exception:
            return None

    def _key(self, parts: KeyParts | None) -> str | None:
        return loop_key(
            self.wf,
            self.start,
            parts,
            lambda s: self.ex.status[s].key,
            self.ex.seed,
            self._before_loop,
        )

    def _shown_outputs(self, n: int) -> list[Any]:
        """A body node's last-pass outputs at the ports a run shows (None elsewhere)."""
        outputs, shown = self.ex.status[n].outputs, self.wf.shown_ports(n)
        return [obj if p in shown else None for p, obj in enumerate(outputs, start=1)]

    def _explain_body(self, loop_reason: str) -> None:
        """Why each body node ran, from its last pass's key parts against the last run's."""
        cache = self.ex.cache
        for n in self.wf.body(self.start):
            st = self.ex.status[n]
            if n == self.end or st.error:
                continue
            scope_key = f"{self.ex.cache_scope}#{n}"
            parts = st.key_parts
            previous = cache.last_parts(scope_key) if cache is not None else None
            if parts is None:
                st.reason = loop_reason
                continue
            own = why_changed(previous, parts)
            st.reason = own if own != "result not in cache" else f"its loop runs again ({loop_reason})"
            if cache is not None:
                cache.set_last_parts(scope_key, parts)

    def _touched(self) -> dict[str, str]:
        """The files the loop's last pass read or wrote, and those its writers declare."""
        touched: dict[str, str] = {}
        for n in self.wf.body(self.start):
            touched.update(self.ex.status[n].touched)
            settings = self._before_loop(n)
            if settings is not None:
                touched.update(files_state(self.wf.nodes[n].writes(settings)))
        return touched

    def _serve_cached(self, key: str | None, loop_parts: KeyParts, t0: float) -> bool:
        ex, cache = self.ex, self.ex.cache
        if key is None or cache is None:
            return False
        hit = cache.get(key)
        if hit is None or touched_changed(hit.touched):
            return False
        cache.set_last_parts(f"{ex.cache_scope}#{self.end}", loop_parts)
        for n in [self.start, *self.wf.body(self.start)]:
            if n != self.end:
                outputs = hit.body.get(n, [])
                ex.set_state(
                    n,
                    EXECUTED,
                    cached=True,
                    reason="unchanged (loop from cache)",
                    outputs=list(outputs),
                    specs=[port_spec(o) for o in outputs],
                    key=f"{key}/{n}",
                )
        ex.finish(self.end, hit.outputs, VarStack(hit.pushed), key, t0, cached=True, reason="unchanged")
        return True

    def _passes(
        self,
        level: tuple[int, ...],
        pass_path: tuple[int, ...],
        variables: VarStack,
        inputs: list[Any],
        settings: Any,
        parts: KeyParts | None,
    ) -> tuple[list[Any], VarStack]:
        """Run every pass, feed the loop end, and return its outputs and outgoing variables."""
        ex, start = self.ex, self.start
        start_node: LoopStartNode = self.wf.nodes[start]  # type: ignore[assignment]
        ex.set_state(start, EXECUTING, error=None)
        start_ctx = ex.context(start, variables, pass_path)
        ex.configure_node(start, [port_spec(o) for o in inputs], settings, start_ctx)
        start_key = digest(parts) if parts is not None else f"nocache-{start}-{time.time_ns()}"
        loop = LoopRun(ex, start, level, pass_path, variables, start_ctx, start_key)
        end_node: LoopEndNode = self.wf.nodes[self.end]  # type: ignore[assignment]
        if start_node.open_ended and not end_node.decides_end:
            raise NodeError(
                f"{start_node.display_name} #{start} runs until its loop end decides to stop, but "
                f"{end_node.display_name} #{self.end} never does: end the loop with a loop end that decides when "
                "to stop (Variable Condition Loop End; a Recursive Loop Start's own Recursive Loop End)"
            )
        end_node.check_start(start_node)
        start_node.check_end(end_node)
        stepwise = end_node.decides_end or not ex.plans_passes()
        plan = None if stepwise else start_node.plan(inputs, settings, start_ctx)
        executor = ex.pass_executor(plan)
        results: Iterator[PassResult]
        if executor is not None and plan is not None:
            results = executor.run(loop, plan)
        else:
            results = loop.run_sequential(start_node.iterations(inputs, settings, start_ctx))
        try:
            with ex.loop_running(start, loop):
                return self._collect(loop, results, variables, pass_path)
        finally:
            loop.release()

    def _collect(
        self, loop: LoopRun, results: Iterator[PassResult], variables: VarStack, pass_path: tuple[int, ...]
    ) -> tuple[list[Any], VarStack]:
        ex, end, start = self.ex, self.end, self.start
        end_node: LoopEndNode = self.wf.nodes[end]  # type: ignore[assignment]
        state: Any = None
        end_settings: Any = None
        end_vars = variables
        for i, result in enumerate(results):
            inactive = next((x for x in result.end_inputs if is_inactive(x)), None)
            if inactive is not None and not end_node.consumes_inactive:
                # KNIME: a loop end on an inactive branch ends the loop, inactive (a failure caught in a
                # try-catch scope travels on with it)
                return [inactive] * len(end_node.outputs), variables.without_scope(start)
            end_vars = result.end_variables
            end_settings = ex.settings_of(end, end_vars)
            end_ctx = ex.context(end, end_vars, (*pass_path, i))
            if state is None:
                state = end_node.begin(end_settings, end_ctx)
            loop.feedback = end_node.collect(state, result.end_inputs, end_settings, end_ctx)
        if state is None:  # zero passes
            end_settings = ex.settings_of(end, variables, strict=False)
            state = end_node.begin(end_settings, ex.context(end, variables, pass_path))
        end_ctx = ex.context(end, end_vars, pass_path)
        outputs = list(end_node.finish(state, end_settings, end_ctx))
        if getattr(end_settings, "propagate_loop_variables", False):
            out_vars = VarStack(
                VarEntry(e.name, e.value, e.type, tuple(s for s in e.scope if s != start))
                for e in end_vars.entries()
            )
        else:
            out_vars = end_vars.without_scope(start)
        return outputs, out_vars.push(end_ctx.pushed)
