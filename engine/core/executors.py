"""How the independent passes of a planned loop are run: in this process one after another, or
in forked worker processes that inherit the loop's inputs instead of receiving them pickled once
per pass. The scheduler picks one in `Execution.pass_executor`; a cluster back end is another
`PassExecutor`.

Results come back in pass order whatever the workers' timing, so a parallel run equals a
sequential one. Workers die with their parent (never orphans), and a worker that dies is named
with its pass and signal.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import time
from collections.abc import Iterator
from multiprocessing import connection
from typing import Any, Protocol

from engine.api import Iteration
from engine.core.context import Cancelled
from engine.core.loops import LoopRun, PassFailed, PassResult
from engine.core.preload import FORK_LOCK
from engine.core.variables import VarStack


class PassExecutor(Protocol):
    def run(self, loop: LoopRun, plan: list[Iteration]) -> Iterator[PassResult]:
        """Run every pass of `plan` and yield their results in pass order."""
        ...


def pass_executor_for(address: str, workers: int | None = None) -> Any:
    """The executor an `--executor` value names: `dask://host:port`, `tcp://host:port` or
    `dask-local`. (Dask is imported when the first loop runs, not here.)"""
    from engine.core.dask_passes import LOCAL, DaskPasses

    if address == LOCAL or address.startswith(("dask://", "tcp://", "tls://")):
        return DaskPasses(address, workers=workers or 2)
    raise ValueError(f"unknown executor {address!r}: use dask://HOST:PORT or {LOCAL}")


class InlinePasses:
    """One pass after the other, in this process."""

    def run(self, loop: LoopRun, plan: list[Iteration]) -> Iterator[PassResult]:
        return self.run_from(0, loop, plan)

    def run_from(self, first: int, loop: LoopRun, plan: list[Iteration]) -> Iterator[PassResult]:
        for i in range(first, len(plan)):
            if loop.ex.cancel_event.is_set():
                raise Cancelled("execution cancelled")
            yield loop.one_pass(i, plan[i], len(plan))


def fork_available() -> bool:
    import multiprocessing
    import threading

    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.current_thread() is threading.main_thread()
    )


# What a pool of forked workers costs: forking two workers of a parent holding pandas,
# scikit-learn and matplotlib, feeding and stopping them measured 0.14-0.3 s on the loaded 2-core
# VM, before each worker's own start (threadpoolctl) and the results' pickling. A loop whose
# remaining passes would save less than this by running in parallel runs them here.
POOL_SECONDS = 0.3


def pool_seconds() -> float:
    """POOL_SECONDS, or $KNITFLOW_POOL_SECONDS (0: every planned loop forks after its first pass,
    as tests of the workers themselves need)."""
    try:
        return float(os.environ.get("KNITFLOW_POOL_SECONDS", POOL_SECONDS))
    except ValueError:
        return POOL_SECONDS


def worth_forking(passes_left: int, seconds_per_pass: float, workers: int) -> bool:
    """Whether `passes_left` passes of about `seconds_per_pass` each finish sooner on `workers`
    forked workers than one after another here."""
    saved = passes_left * seconds_per_pass * (1 - 1 / max(1, min(workers, passes_left)))
    return saved > pool_seconds()


class ForkedPasses:
    """Passes in forked worker processes. The first pass runs here: its first calls (lazy imports
    of the learners, caches) are paid once and inherited by every worker. Its time (including
    those first calls, so an overestimate) says whether the rest is worth a pool; when it seems
    to be, a second pass, free of first calls, is timed here too, so that a loop of tiny passes
    (a sweep of six small fits) never pays for processes. Passes are handed out in order, so two
    of a sweep's largest passes rarely run at once (memory), and the last pass, whose body the
    parent shows, runs in the parent when a worker is done (no body to send back)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def run(self, loop: LoopRun, plan: list[Iteration]) -> Iterator[PassResult]:
        import multiprocessing

        n = len(plan)
        local = 0  # passes run in this process so far
        while local < (min(n, 2) if pool_seconds() > 0 else 1):
            # processor time, not wall time: on a machine busy with other work a pass takes longer
            # but the pool would not gain from that (its workers wait for the same busy cores)
            t0 = time.process_time()
            result = loop.one_pass(local, plan[local], n)
            seconds = time.process_time() - t0
            local += 1
            yield result
            if pool_seconds() > 0 and not worth_forking(n - local, seconds, self.workers):
                yield from InlinePasses().run_from(local, loop, plan)
                return
        if local >= n - 1:  # at most the last pass is left, and it runs here anyway
            yield from InlinePasses().run_from(local, loop, plan)
            return
        workers = min(self.workers, n - 1 - local)
        threads = max(1, (os.cpu_count() or 1) // workers)
        ctx = multiprocessing.get_context("fork")
        # Objects the workers inherit are moved out of the collector's reach: a worker's garbage
        # collection would otherwise write to every inherited object and copy its memory page.
        gc.freeze()
        pool: list[_Worker] = []
        try:
            for _ in range(workers):
                here, there = ctx.Pipe()
                process = ctx.Process(target=_worker_main, args=(loop, plan, there, threads), daemon=True)
                with FORK_LOCK:  # never while another thread imports ahead (engine.core.preload)
                    process.start()
                there.close()
                pool.append(_Worker(process, here))
            yield from self._collect(loop, plan, pool, local)
        finally:
            for w in pool:
                w.stop()
            gc.unfreeze()

    @staticmethod
    def _collect(
        loop: LoopRun, plan: list[Iteration], pool: list[_Worker], first: int
    ) -> Iterator[PassResult]:
        n, workers = len(plan), len(pool)
        todo = iter(range(first, n - 1))
        done: dict[int, PassResult] = {}

        def hand_out(w: _Worker) -> bool:
            """Give `w` the next pass; False when none is left for a worker."""
            i = next(todo, None)
            w.give(i, last_round=i is not None and i >= n - 1 - workers)
            return i is not None

        last_is_due = not all([hand_out(w) for w in pool])
        want = first
        while want < n:
            if loop.ex.cancel_event.is_set():
                raise Cancelled("execution cancelled")
            if last_is_due and n - 1 not in done:
                # The last pass runs here, on the core a worker has just given up: its body is the one
                # the parent shows, and sending it back (13_01: a 50,000-row sample and its
                # partitions and predictions) cost a worker longer than the pass itself.
                done[n - 1] = loop.one_pass(n - 1, plan[n - 1], n)
            busy = [w for w in pool if w.pass_index is not None]
            ready = connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.25)
            for w in busy:
                if w.conn in ready or w.process.sentinel in ready:
                    i, result = w.receive(loop, len(plan))
                    done[i] = result
                    last_is_due = not hand_out(w) or last_is_due
            while want in done:
                result = done.pop(want)
                loop.show_pass(want, plan[want], n)
                yield result
                want += 1


class _Worker:
    """One forked worker and the pipe to it."""

    def __init__(self, process: Any, conn: connection.Connection) -> None:
        self.process = process
        self.conn = conn
        self.pass_index: int | None = None

    def give(self, i: int | None, *, last_round: bool) -> None:
        self.pass_index = i
        try:
            self.conn.send(None if i is None else (i, last_round))
        except OSError:
            pass  # a dead worker is noticed by `receive`

    def receive(self, loop: LoopRun, total: int) -> tuple[int, PassResult]:
        i = self.pass_index
        assert i is not None
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(1)
            code = self.process.exitcode
            how = (
                f"signal {-code} ({signal.Signals(-code).name})" if code and code < 0 else f"exit code {code}"
            )
            raise PassFailed(
                f"the worker process running loop pass {i + 1} of {total} died ({how})"
            ) from None
        kind = message[0]
        if kind == "failed":
            _, text, body = message
            loop.show_body(body)
            raise PassFailed(text)
        _, end_inputs, end_entries, body = message
        if body is not None:
            loop.show_body(body)
        return i, PassResult(end_inputs, VarStack(end_entries))

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(0.5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1)
        self.conn.close()


def _die_with_parent() -> None:
    """Linux: the kernel kills this process when its parent dies (even by kill -9)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _share_cores(threads: int) -> None:
    """A worker's native thread pools (BLAS, OpenMP) get its share of the cores: each would
    otherwise start one thread per core, and N workers would oversubscribe the machine N-fold."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # without threadpoolctl (it comes with scikit-learn) the pools stay as they are
        return
    threadpool_limits(limits=threads)


def _worker_main(loop: LoopRun, plan: list[Iteration], conn: connection.Connection, threads: int) -> None:
    """Runs in a forked worker: the loop and its inputs were inherited, only pass numbers come in."""
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _share_cores(threads)
    loop.ex.become_worker()
    last = len(plan) - 1
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message is None:
            break
        i, last_round = message
        try:
            result = loop.one_pass(i, plan[i], len(plan), reported=i == last)
            reply: tuple[Any, ...] = (
                "ok",
                result.end_inputs,
                result.end_variables.entries(),
                loop.body_results() if i == last else None,
            )
        except BaseException as exc:  # the parent shows the failed pass's body, whose errors name the node
            loop.release()
            reply = ("failed", loop.ex.message_of(exc), loop.body_results())
        if last_round:  # what its nodes kept for a next pass (13_01: a 287 MB feature buffer) goes now
            loop.release()
        try:
            conn.send(reply)
        except Exception as exc:  # e.g. an output that cannot be pickled
            conn.send(("failed", f"loop pass {i + 1}: its results cannot be sent back: {exc}", {}))
    conn.close()
    os._exit(0)
