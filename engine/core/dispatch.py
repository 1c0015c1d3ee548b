"""Runs the units of one loop level in dependency order: ready units run concurrently in threads,
a lone ready unit runs inline (no thread hand-off on chains), and units that must run on the main
thread (loops that fork worker processes) run there one at a time while other branches go on."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field


@dataclass
class LevelPlan:
    """The units of one level and, for each, the units it waits for."""

    units: list[int]
    deps: dict[int, set[int]]
    dependants: dict[int, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.dependants = {u: [] for u in self.units}
        for u in self.units:
            for d in self.deps[u]:
                self.dependants[d].append(u)


class LevelRun:
    """One run of a level. `run_unit(u)` returns whether it succeeded; `skip(u, why)` marks a unit
    that will not run; `queued(u)` marks one handed to a thread; `main_thread_only(u)` says a unit
    must run on the calling thread; `release(u)` drops a unit's outputs once all its readers ran."""

    def __init__(
        self,
        plan: LevelPlan,
        *,
        run_unit: Callable[[int], bool],
        skip: Callable[[int, str], None],
        queued: Callable[[int], None],
        main_thread_only: Callable[[int], bool],
        cancelled: Callable[[], bool],
        threads: int,
        release: Callable[[int], None] | None = None,
        released: frozenset[int] = frozenset(),
    ) -> None:
        self.plan = plan
        self.run_unit, self.skip, self.queued = run_unit, skip, queued
        self.main_thread_only, self.cancelled = main_thread_only, cancelled
        self.threads = threads
        self.release = release
        self.waiting = {u: len(plan.deps[u]) for u in plan.units}
        self.unread = {u: len(plan.dependants[u]) for u in released}
        self.ready = [u for u in plan.units if self.waiting[u] == 0]
        self.failed: set[int] = set()
        self.running: dict[Future[bool], int] = {}
        self.pool: ThreadPoolExecutor | None = None

    def run(self) -> bool:
        """Run every unit; False when any failed or was skipped."""
        try:
            while self.ready or self.running:
                on_main = self._start_ready()
                if on_main:
                    for u in on_main[1:]:
                        self.queued(u)
                    self.ready[:0] = on_main[1:]
                    self._settle(on_main[0], self.run_unit(on_main[0]))
                    continue
                if self.running:
                    finished, _ = wait(list(self.running), return_when=FIRST_COMPLETED)
                    for fut in finished:
                        self._settle(self.running.pop(fut), fut.result())
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True)
        return not self.failed

    def _start_ready(self) -> list[int]:
        """Start what is ready; returns the units that must run on this thread."""
        on_main: list[int] = []
        while self.ready:
            u = self.ready.pop(0)
            if self.cancelled():
                self.skip(u, "cancelled")
                self._settle(u, False)
            elif self.plan.deps[u] & self.failed:
                self.skip(u, "not executed: a predecessor failed")
                self._settle(u, False)
            elif self.main_thread_only(u):
                on_main.append(u)
            elif self.threads == 1 or (not self.running and not self.ready and not on_main):
                self._settle(u, self.run_unit(u))
            else:
                if self.pool is None:
                    self.pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="knitflow")
                self.queued(u)
                self.running[self.pool.submit(self.run_unit, u)] = u
        return on_main

    def _settle(self, u: int, ok: bool) -> None:
        if not ok:
            self.failed.add(u)
        for d in self.plan.dependants[u]:
            self.waiting[d] -= 1
            if self.waiting[d] == 0:
                self.ready.append(d)
        if self.release is None:
            return
        for d in self.plan.deps[u]:
            if d in self.unread:
                self.unread[d] -= 1
                if self.unread[d] == 0:
                    self.release(d)
