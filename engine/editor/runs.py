"""Run control of one session: which nodes a run needs, the run in a background thread, its live
states and progress, cancel and reset.

An executed node whose settings and inputs did not change keeps its result (KNIME re-executes only
what changed); a loop runs whole (`engine.core.graph.close_loops`)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import networkx as nx

from engine.core.document import WorkflowDoc
from engine.core.graph import close_loops
from engine.core.keys import document_fingerprints
from engine.core.metanodes import CONTAINER_TYPES, INNER_ID_BASE
from engine.core.registry import registry
from engine.core.scheduler import (
    EXECUTED,
    IDLE,
    QUEUED,
    CompiledWorkflow,
    Execution,
    GraphError,
    NodeStatus,
)
from engine.editor.containers import top_level
from engine.editor.errors import ApiError
from engine.editor.graph import add_container_states, workflow_graph

if TYPE_CHECKING:
    from engine.editor.session import Session


class RunControl:
    """Runs of one session's workflow; at most one at a time."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.running = False
        self.cancel_event = threading.Event()
        self.progress: dict[int, tuple[float, str]] = {}
        self._current: Execution | None = None
        self.console: list[dict[str, Any]] = []  # the last log messages and warnings of runs
        self._last_progress: dict[int, float] = {}

    def execute(self, targets: list[int] | None) -> None:
        """Start a run of `targets` (every node when None) and what they need, in the background."""
        s = self.session
        with s.lock:
            if self.running:
                raise ApiError(409, "the workflow is already executing")
            doc = s.editor.doc.model_copy(deep=True)
            run_set = self._nodes_to_run(doc, targets)
            sub = doc.model_copy(deep=True)
            sub.nodes = [n for n in sub.nodes if n.id in run_set]
            sub.connections = [c for c in sub.connections if c.source in run_set and c.dest in run_set]
            fps = document_fingerprints(doc)
            sub, problems = s.runnable_document(sub)  # metanodes and components: one graph
            if problems:
                raise ApiError(409, f"cannot execute: {problems[0].message}")
            try:
                compiled = CompiledWorkflow(sub, s.path.parent)
            except GraphError as exc:
                raise ApiError(409, f"cannot execute: {exc}") from None
            self.cancel_event = threading.Event()
            kept = self._kept_results(run_set, fps, compiled)
            ex = s.execution(
                compiled, kept=kept, cache=s.cache, listener=self._on_event, cancel_event=self.cancel_event
            )
            for n in run_set:
                st = s.statuses[n]
                if st.state != EXECUTED:
                    st.state, st.error = QUEUED, None
                    st.outputs = []
            self.running = True
            self.progress.clear()
            self._current = ex
        s.events.broadcast({"type": "run", "running": True, "statuses": s.state_json(False)["statuses"]})
        threading.Thread(target=self._run, args=(ex, run_set, fps), daemon=True, name=f"run {s.rel}").start()

    def _nodes_to_run(self, doc: WorkflowDoc, targets: list[int] | None) -> set[int]:
        """The targets, their predecessors and whole loops, less what cannot run (not configured)."""
        graph = workflow_graph(doc)
        ids = {n.id for n in doc.nodes}
        # a node inside a metanode or component runs with its container (the graph runs flattened)
        wanted = set(ids) if not targets else {top_level(int(t)) for t in targets}
        missing = wanted - ids
        if missing:
            raise ApiError(404, f"there is no node {', '.join(map(str, sorted(missing)))}")
        needed = set(wanted)
        for t in wanted:
            needed |= nx.ancestors(graph, t)
        needed = close_loops(doc, needed)
        runnable = _runnable(doc, self.session.statuses)
        run_set = {n for n in needed if n in runnable}
        run_set = close_loops(doc, run_set, drop=True)
        if not run_set:
            raise ApiError(409, "nothing can be executed: the selected nodes are not configured")
        return run_set

    def _kept_results(
        self, run_set: set[int], fps: dict[int, str], compiled: CompiledWorkflow
    ) -> dict[int, NodeStatus]:
        """Executed nodes whose fingerprint did not change since they ran keep their result (not
        inside a loop, whose body runs again each pass)."""
        s = self.session
        return {
            n: s.statuses[n]
            for n in run_set
            if s.statuses[n].state == EXECUTED
            and n in fps
            and s.exec_fp.get(n) == fps[n]
            and not compiled.scope.get(n)
        }

    def _run(self, ex: Execution, run_set: set[int], fps: dict[int, str]) -> None:
        s = self.session
        t0 = time.perf_counter()
        error = None
        try:
            ex.run()
        except Exception as exc:  # the scheduler itself failed: report, keep serving
            error = f"{type(exc).__name__}: {exc}"
        with s.lock:
            for n in run_set:
                if n in ex.status and n in s.statuses:
                    st = ex.status[n]
                    st.name = s.statuses[n].name
                    s.statuses[n] = st
                    s.exec_fp[n] = fps.get(n, "")
            inner = {n: st for n, st in ex.status.items() if n >= INNER_ID_BASE}
            if inner:  # the nodes inside metanodes and components, and the light each container shows
                s.statuses.update(inner)
                add_container_states(s.editor.doc, s.statuses)
                for n in run_set:
                    if n not in ex.status:
                        s.exec_fp[n] = fps.get(n, "")
            self.running = False
            self.progress.clear()
            self._current = None
            # the document may have been edited (layout only) meanwhile; states follow the fingerprints
            s.refresh()
            statuses = s.state_json(False)["statuses"]
        s.events.broadcast(
            {
                "type": "run",
                "running": False,
                "seconds": round(time.perf_counter() - t0, 3),
                "error": error,
                "cancelled": ex.cancel_event.is_set(),
                "statuses": statuses,
            }
        )

    def _on_event(self, event: dict[str, Any]) -> None:
        """Listener of the running Execution (called from worker threads)."""
        s = self.session
        ex = self._current
        n = event.get("node")
        kind = event.get("event")
        if ex is None or n is None or n not in ex.status:
            return
        if kind == "progress":
            now = time.perf_counter()
            if now - self._last_progress.get(n, 0.0) < 0.1 and event.get("fraction", 0) < 1:
                return
            self._last_progress[n] = now
            self.progress[n] = (float(event.get("fraction", 0.0)), str(event.get("message", "")))
        elif kind in ("log", "warning"):
            # the console: node log messages and warnings, live
            entry = {
                "type": "log",
                "level": "warning" if kind == "warning" else "info",
                "node": n,
                "name": ex.status[n].name or ex.status[n].type,
                "message": str(event.get("message", ""))[:4000],
                "time": time.time(),
            }
            self.console.append(entry)
            del self.console[:-500]
            s.events.broadcast(entry)
            return
        with s.lock:
            if n in s.statuses:
                live = ex.status[n]
                live.name = s.statuses[n].name
                s.statuses[n] = live
            payload = {"type": "node", "id": n, "status": s.status_json(n)}
        s.events.broadcast(payload)

    def cancel(self) -> None:
        self.cancel_event.set()

    def reset(self, targets: list[int] | None) -> None:
        """Back to configured: the targets (every node when None) and their successors; their
        cached results are dropped."""
        s = self.session
        with s.lock:
            if self.running:
                raise ApiError(409, "the workflow is executing: cancel it first")
            doc = s.editor.doc
            graph = workflow_graph(doc)
            chosen = {n.id for n in doc.nodes} if not targets else {top_level(int(t)) for t in targets}
            affected = set(chosen)
            for t in chosen:
                if t in graph:
                    affected |= nx.descendants(graph, t)
            s.forget_configure_results()  # a reset re-reads what configure looked at (files may have changed)
            for n in affected:
                st = s.statuses.get(n)
                if st is not None and st.key:
                    s.cache.discard(st.key)
                s.exec_fp.pop(n, None)
                if st is not None:
                    st.state = IDLE  # recomputed below
            s.refresh()
            statuses = s.state_json(False)["statuses"]
        s.events.broadcast({"type": "run", "running": self.running, "statuses": statuses})


def _runnable(doc: WorkflowDoc, statuses: dict[int, NodeStatus]) -> set[int]:
    """Nodes that are configured and whose predecessors all are."""
    graph = workflow_graph(doc)
    ok: set[int] = set()
    for n in nx.topological_sort(graph):
        st = statuses.get(n)
        known = registry.get(st.type) is not None or st.type in CONTAINER_TYPES if st is not None else False
        if st is None or st.state == IDLE or not known:
            continue
        if all(p in ok for p in graph.predecessors(n)):
            ok.add(n)
    return ok
