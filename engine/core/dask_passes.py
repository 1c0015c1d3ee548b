"""Loop passes on a Dask cluster (`--executor dask://host:8786`, or `dask-local` for a cluster of
local worker processes): the same `PassExecutor` contract as the forked workers, for a parameter
search that outgrows one machine.

A forked worker inherits the loop; a cluster worker cannot. So the loop is described once as a
`PassJob` — the workflow document, the run's variables and seed, the loop's own variables, the plan,
and the results of the nodes outside the loop that the body reads — scattered to every worker once
(not per pass). Each task names only its pass number. A worker rebuilds the execution from the job
once per thread and runs passes as the forked workers do, so the results equal `--workers 1`: pass
order, seeds (derived from the run seed, node and pass path) and what the parent shows are the same.
The workers need knitflow installed (same version) and the files the workflow reads at the same
paths.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.api import Iteration
from engine.core.context import Cancelled
from engine.core.loops import LoopRun, PassFailed, PassResult
from engine.core.status import EXECUTED
from engine.core.variables import VarEntry, VarStack

if TYPE_CHECKING:
    from engine.core.document import WorkflowDoc

LOCAL = "dask-local"


@dataclass
class PassJob:
    """Everything a cluster worker needs to run any pass of one loop (pickled once)."""

    doc: WorkflowDoc
    base_dir: Path
    variables: dict[str, Any]
    seed: int | None
    start: int
    level: tuple[int, ...]
    pass_path: tuple[int, ...]
    loop_variables: VarStack
    start_pushed: list[VarEntry]
    start_key: str
    plan: list[Iteration]
    upstream: dict[int, dict[str, Any]]  # result fields of the nodes outside the loop the body reads
    hooks: Any = None  # the client's ExecutionHooks (the editor's path confinement holds on the workers too)
    scratch_dir: Path | None = None
    cancel_name: str = ""  # a Dask Event the parent sets on cancel: running passes stop too
    _built: dict[int, LoopRun] = field(default_factory=dict, repr=False)  # per worker thread, not pickled

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_built"] = {}
        return state

    def loop(self) -> LoopRun:
        """This thread's execution of the loop, built on first use."""
        ident = threading.get_ident()
        loop = self._built.get(ident)
        if loop is None:
            loop = self._build()
            self._built[ident] = loop
        return loop

    def _build(self) -> LoopRun:
        from engine.core.graph import CompiledWorkflow
        from engine.core.scheduler import Execution

        ex = Execution(
            CompiledWorkflow(self.doc, self.base_dir),
            variables=self.variables,
            seed=self.seed,
            workers=1,
            hooks=self.hooks,
            scratch_dir=self.scratch_dir,
        )
        ex.become_worker()
        for n, fields in self.upstream.items():
            shown = dict(fields)
            ex.set_state(n, shown.pop("state", EXECUTED), **shown)
        start_ctx = ex.context(self.start, self.loop_variables, self.pass_path)
        start_ctx._pushed = list(self.start_pushed)  # noqa: SLF001 (what the loop start pushed, as in the parent)
        loop = LoopRun(
            ex, self.start, self.level, self.pass_path, self.loop_variables, start_ctx, self.start_key
        )
        ex._running_loops[self.start] = loop  # noqa: SLF001 (the worker's own execution)
        return loop


def run_pass(job: PassJob, i: int) -> tuple[Any, ...]:
    """One pass on a cluster worker; the reply has the shape of a forked worker's."""
    loop = job.loop()
    last = len(job.plan) - 1
    ex = loop.ex
    ex.cancel_event = threading.Event()  # this pass's: set when the parent's Dask Event is
    ex.node_threads.interrupted = False
    done = threading.Event()
    if job.cancel_name:
        threading.Thread(
            target=_watch_cancel, args=(job.cancel_name, ex.cancel_event, done), daemon=True
        ).start()
    try:
        with ex.node_threads.watching(ex.cancel_event):
            result = loop.one_pass(i, job.plan[i], len(job.plan), reported=i == last)
        return (
            "ok",
            result.end_inputs,
            result.end_variables.entries(),
            loop.body_results() if i == last else None,
        )
    except BaseException as exc:  # the parent shows the failed pass's body, whose errors name the node
        if ex.cancel_event.is_set():
            return ("cancelled",)
        return ("failed", loop.ex.message_of(exc), loop.body_results())
    finally:
        done.set()
        loop.release()


def _watch_cancel(name: str, cancel: threading.Event, done: threading.Event) -> None:
    """On a worker: interrupt the running pass when the parent sets the run's cancel Event."""
    try:
        from distributed import Event

        event = Event(name)
        while not done.is_set():
            if event.wait(0.5):
                cancel.set()
                return
    except Exception:  # no scheduler to ask (the pass then runs to its end, as without a watcher)
        return


class DaskPasses:
    """Passes of planned loops on a Dask cluster: `address` is a scheduler (`tcp://host:8786`,
    `dask://host:8786`) or `dask-local` (a LocalCluster of `workers` processes, one thread each)."""

    def __init__(self, address: str, workers: int = 2) -> None:
        self.address = address
        self.workers = workers
        self._client: Any = None
        self._cluster: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    from distributed import Client, LocalCluster
                except ImportError:
                    raise RuntimeError(
                        "the Dask executor needs dask.distributed: pip install 'knitflow[cluster]'"
                    ) from None
                if self.address == LOCAL:
                    self._cluster = LocalCluster(
                        n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None
                    )
                    self._client = Client(self._cluster)
                else:
                    self._client = Client(self.address.replace("dask://", "tcp://", 1), timeout="20s")
            return self._client

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (e.g. inside the editor's hooks, which travel with the passes) as its address only."""
        return {"address": self.address, "workers": self.workers}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["address"], state["workers"])  # type: ignore[misc]

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None

    def run(self, loop: LoopRun, plan: list[Iteration]) -> Iterator[PassResult]:
        from distributed import Event, wait

        client = self.client()
        token = uuid.uuid4().hex[:12]
        job = _job_of(loop, plan, f"knitflow-cancel-{token}")
        cancel = Event(job.cancel_name, client=client)
        [shared] = client.scatter([job], broadcast=True, hash=False)  # once, not per pass
        futures = [
            client.submit(run_pass, shared, i, pure=False, key=f"knitflow-pass-{token}-{i}")
            for i in range(len(plan))
        ]
        try:
            for i, future in enumerate(futures):
                while not future.done():
                    if loop.ex.cancel_event.is_set():
                        cancel.set()  # the passes running on the workers stop at once too
                        raise Cancelled("execution cancelled")
                    try:
                        wait(future, timeout=0.25)
                    except TimeoutError:
                        pass  # not done yet: look at the cancel flag again
                try:
                    message = future.result()
                except Exception as exc:  # the task itself failed: a lost worker, an unpicklable input
                    raise PassFailed(
                        f"loop pass {i + 1} of {len(plan)} failed on the Dask cluster: "
                        f"{type(exc).__name__}: {exc}"
                    ) from None
                yield self._result(loop, plan, i, message)
        finally:
            client.cancel([*futures, shared], force=True)

    @staticmethod
    def _result(loop: LoopRun, plan: list[Iteration], i: int, message: tuple[Any, ...]) -> PassResult:
        n = len(plan)
        if message[0] == "cancelled":
            raise Cancelled("execution cancelled")
        if message[0] == "failed":
            _, text, body = message
            loop.show_body(body)
            raise PassFailed(text)
        _, end_inputs, end_entries, body = message
        loop.show_pass(i, plan[i], n)
        if body is not None:
            loop.show_body(body)
        return PassResult(end_inputs, VarStack(end_entries))


def _job_of(loop: LoopRun, plan: list[Iteration], cancel_name: str = "") -> PassJob:
    ex, wf = loop.ex, loop.ex.wf
    body = set(wf.body(loop.start)) | {loop.start}
    upstream: dict[int, dict[str, Any]] = {}
    for n in body:
        sources = [src[0] for src in wf.inputs_of(n) if src is not None] + list(wf.var_in.get(n, []))
        for src in sources:
            if src not in body and src not in upstream:
                upstream[src] = ex.status[src].result_fields()
    return PassJob(
        doc=wf.doc,
        base_dir=wf.base_dir,
        variables=ex.root_vars.as_dict(),
        seed=ex.seed,
        start=loop.start,
        level=loop.inner[:-1],
        pass_path=loop.pass_path,
        loop_variables=loop.variables,
        start_pushed=list(loop.start_ctx.pushed),
        start_key=loop.start_key,
        plan=plan,
        upstream=upstream,
        hooks=_shippable(ex.hooks),
        scratch_dir=ex.scratch_dir,
        cancel_name=cancel_name,
    )


def _shippable(hooks: Any) -> Any:
    """The hooks as they travel: the editor's kept results stay home (asked for top-level nodes
    only, never inside a pass, and they may hold large outputs)."""
    if getattr(hooks, "kept", None):
        hooks = copy.copy(hooks)
        hooks.kept = {}
    return hooks
