"""Preparing a run's output files on two cores: a forked process draws some of the pictures and
formats some of the large tables as CSV while this one does the rest. A fork, not a pool: a
view's drawing is a closure over its node's data, which a forked child already holds and nothing
has to pickle; only the finished bytes come back.

Why: a cold `knitflow run` spends a third of its time drawing (importing matplotlib, loading its
fonts, laying out and rasterising) and a large run seconds formatting its biggest tables; that
work is the same in every process, so on a machine with two cores two processes finish it in
little more than half the time."""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

LEAST_WAIT = 5.0  # seconds granted to the child beyond the parent's own share


@dataclass(frozen=True)
class Job:
    """One output to prepare: `make` returns its bytes or text; `cost` is a guess in seconds, to
    give both processes about the same amount of work."""

    make: Callable[[], bytes | str]
    cost: float


def can_share_work() -> bool:
    """A fork is safe only from a process's main thread (the loop workers' rule,
    `executors.fork_available`) while no other thread works (a lock another thread held at the
    fork would never be released in the child), and pays only with a second core."""
    from engine.core.executors import fork_available

    return (
        fork_available()
        and (os.cpu_count() or 1) >= 2
        and all(t.daemon or t is threading.main_thread() for t in threading.enumerate())
    )


def share_work(jobs: Sequence[Job]) -> list[bytes | str | None]:
    """Each job's result, in order; about half of the work done by a forked child. None for a job
    that failed, for every job of a child that failed, died or hung (killed after its share took
    three times as long as this process's), and for all of them when no child can help: the caller
    does those itself and reports their errors, so the results never depend on the child."""
    results: list[bytes | str | None] = [None] * len(jobs)
    mine, theirs = _split(jobs)
    if not theirs or not can_share_work():
        return results
    readable, writable = os.pipe()
    gc.freeze()  # the child's collector would otherwise touch, and so copy, every inherited page
    try:
        pid = os.fork()
    except OSError:
        os.close(readable)
        os.close(writable)
        gc.unfreeze()
        return results
    if pid == 0:  # pragma: no cover - the child; its work is checked by what the parent receives
        os.close(readable)
        _child([jobs[k] for k in theirs], writable)
    os.close(writable)
    received: bytes | None = None
    try:
        started = time.monotonic()
        for k in mine:
            results[k] = _quietly(jobs[k])
        # a child stuck on a lock some daemon thread held at the fork must not hold up the run
        wait = max(LEAST_WAIT, 3 * (time.monotonic() - started))
        received = _read_all(readable, deadline=time.monotonic() + wait)
    finally:
        os.close(readable)
        if received is None:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        gc.unfreeze()
    try:
        theirs_done = pickle.loads(received) if received else []
    except Exception:
        theirs_done = []  # a child that died half-way
    for k, done in zip(theirs, theirs_done, strict=False):
        results[k] = done
    return results


def _split(jobs: Sequence[Job]) -> tuple[list[int], list[int]]:
    """Job indices for this process and for the child: the costliest first, each to the process
    with less work so far (this one first). Order within each share is the jobs' order."""
    load = [0.0, 0.0]
    shares: tuple[list[int], list[int]] = ([], [])
    for k in sorted(range(len(jobs)), key=lambda k: -jobs[k].cost):
        side = 0 if load[0] <= load[1] else 1
        shares[side].append(k)
        load[side] += jobs[k].cost
    return sorted(shares[0]), sorted(shares[1])


def _quietly(job: Job) -> bytes | str | None:
    try:
        return job.make()
    except Exception:
        return None


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything until the writer closes, or None when the deadline passes first."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _child(jobs: Sequence[Job], writable: int) -> None:
    """Do the share, send the results, and leave at once: no exit handlers, no flushing of the
    parent's buffers, whatever happens."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        done = [_quietly(job) for job in jobs]
        with os.fdopen(writable, "wb") as pipe:
            pipe.write(pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        os._exit(0)
