"""One execution of a loop: its passes, what each pass hands the loop end, and what the body
shows afterwards (the last pass, as in KNIME). How independent passes are spread over processes
is the pass executor's business (`engine.core.executors`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.api import STOP_LOOP, Iteration, variable_type
from engine.core.context import Cancelled, RunContext
from engine.core.status import EXECUTING
from engine.core.variables import VarEntry, VarStack

if TYPE_CHECKING:
    from engine.core.scheduler import Execution


class PassFailed(Exception):
    """A loop pass failed; the message names the pass and the failing body node."""


@dataclass
class PassResult:
    """What one pass hands to the loop end."""

    end_inputs: list[Any]
    end_variables: VarStack


class LoopRun:
    """The passes of one loop. Sequential passes may steer the next one (the loop end's feedback
    goes to the loop start's generator); planned passes are independent and may run anywhere."""

    def __init__(
        self,
        ex: Execution,
        start: int,
        level: tuple[int, ...],
        pass_path: tuple[int, ...],
        variables: VarStack,
        start_ctx: RunContext,
        start_key: str,
    ) -> None:
        self.ex = ex
        self.start = start
        self.end = ex.wf.loop_end_of[start]
        self.inner = (*level, start)
        self.pass_path = pass_path
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

    # ------------------------------------------------------------------------- pass state

    def store(self) -> dict[str, Any]:
        with self._stores_lock:
            return self._stores.setdefault(threading.get_ident(), {})

    def release(self) -> None:
        with self._stores_lock:
            self._stores = {}

    def start_variables(self, it: Iteration) -> VarStack:
        """The variables the loop start hands the body in a pass: its own plus the loop's."""
        loop_vars = [VarEntry(k, v, variable_type(v), self.inner) for k, v in it.variables.items()]
        return self.variables.push(self.start_ctx.pushed).push(loop_vars)

    def show_pass(self, i: int, it: Iteration, total: int | None) -> None:
        """The loop start shows pass `i`: its outputs, variables and progress."""
        total = it.variables.get("maxIterations", total if it.total is None else it.total)
        self.ex.set_state(
            self.start,
            EXECUTING,
            outputs=list(it.outputs),
            variables=self.start_variables(it),
            key=f"{self.start_key}/{i}",
            loop_progress=(i, total),
        )
        self.ex.emit({"event": "iteration", "node": self.start, "iteration": i, "total": total})

    # ------------------------------------------------------------------------------ passes

    def one_pass(self, i: int, it: Iteration, total: int | None, reported: bool = True) -> PassResult:
        """Run the body once. `reported=False`: nobody will look at this pass's body, so body
        outputs are dropped as soon as their readers have them."""
        if total is None:
            total = it.total
        self.show_pass(i, it, total)
        path = (*self.pass_path, i)
        release = frozenset() if reported else self.unreported
        if not self.ex.run_level(self.body_units, self.body_deps, self.inner, path, release):
            if self.ex.cancel_event.is_set():
                raise Cancelled("execution cancelled")
            failed = [n for n in self.ex.wf.body(self.start) if self.ex.status[n].error]
            detail = ""
            if failed:
                first_line = (self.ex.status[failed[0]].error or "").splitlines()[0]
                detail = f": #{failed[0]} {first_line}"
            raise PassFailed(f"loop pass {i + 1}{f' of {total}' if total else ''} failed{detail}")
        end_inputs, _ = self.ex.inputs_of(self.end)
        return PassResult(end_inputs, self.ex.input_variables(self.end))

    def run_sequential(self, generator: Iterator[Iteration]) -> Iterator[PassResult]:
        i = 0
        while True:
            if self.ex.cancel_event.is_set():
                raise Cancelled("execution cancelled")
            if self.feedback is STOP_LOOP:  # the loop end decided this was the last pass
                return
            try:
                # a loop that learns from each pass (Parameter Optimization) is a generator fed the
                # pass's result; a plain iterator just gives the next pass
                send = getattr(generator, "send", None)
                it = next(generator) if i == 0 or send is None else send(self.feedback)
            except StopIteration:
                return
            yield self.one_pass(i, it, None)
            i += 1

    def body_results(self) -> dict[int, dict[str, Any]]:
        """The body's statuses (the loop end aside), for a pass run in another process."""
        return {n: self.ex.status[n].result_fields() for n in self.ex.wf.body(self.start) if n != self.end}

    def show_body(self, results: dict[int, dict[str, Any]]) -> None:
        for node_id, fields in results.items():
            fields = dict(fields)
            self.ex.set_state(node_id, fields.pop("state"), **fields)
