"""One open workflow (`Session`): its file, its document with undo/redo, the node states shown as
traffic lights, runs in a background thread and the WebSockets watching it; `OpenSessions` opens
one per file on first use."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from fastapi.responses import JSONResponse, Response

from engine.api import (
    Model,
    Table,
    TableSpec,
    View,
)
from engine.core.cache import MemoryCache
from engine.core.document import WorkflowDoc, check, parse_document, write_document
from engine.core.editing import (
    Editor,
    auto_layout,
    document_digest,
    is_semantic,
    validate_settings,
)
from engine.core.graph import close_loops
from engine.core.keys import document_fingerprints
from engine.core.outputs import output_summaries
from engine.core.registry import registry
from engine.core.scheduler import (
    EXECUTED,
    EXECUTING,
    IDLE,
    QUEUED,
    CompiledWorkflow,
    Execution,
    GraphError,
    NodeStatus,
)
from engine.core.variables import VarStack
from engine.editor.errors import ApiError
from engine.editor.graph import workflow_graph
from engine.editor.hooks import EditorHooks
from engine.editor.paging import table_page
from engine.editor.workspace import Workspace


@dataclass
class Subscriber:
    """A WebSocket watching a session: its queue, and the event loop that owns the queue."""

    queue: asyncio.Queue[dict[str, Any]]
    loop: asyncio.AbstractEventLoop


def _file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class Session:
    """One open workflow: document + undo stack, node states, runs, watchers."""

    def __init__(self, workspace: Workspace, path: Path) -> None:
        self.workspace = workspace
        self.path = path
        self.rel = workspace.rel(path)
        self.lock = threading.RLock()
        self.cache = MemoryCache()
        self.statuses: dict[int, NodeStatus] = {}
        self.exec_fp: dict[int, str] = {}
        self.problems: list[str] = []
        self.running = False
        self.cancel_event = threading.Event()
        self.progress: dict[int, tuple[float, str]] = {}
        self.subscribers: list[Subscriber] = []
        self.scratch = Path(tempfile.mkdtemp(prefix="knitflow-editor-"))
        weakref.finalize(self, shutil.rmtree, self.scratch, True)  # scratch space goes with the session
        self._last_progress: dict[int, float] = {}
        self._sort_cache: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()
        self._configure_memo: dict[tuple[Any, ...], tuple[bool, Any]] = {}
        doc = self._read()
        self.editor = Editor(doc)
        self.saved_digest = document_digest(doc)
        self.file_digest = _file_digest(path)
        if auto_layout(self.editor.doc):
            pass  # positions given to nodes that had none make the document dirty, as they should
        self.refresh()

    # ---------------------------------------------------------------------------------- file

    def _read(self) -> WorkflowDoc:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ApiError(404, f"cannot read {self.rel}: {exc.strerror or exc}") from None
        doc, _lines, problems = parse_document(text, self.rel)
        if doc is None:
            raise ApiError(422, f"{self.rel} cannot be opened", problems=[str(p) for p in problems])
        return doc

    def reload_if_changed(self) -> None:
        """Pick up an edit made outside the editor, unless the editor has unsaved changes."""
        disk = _file_digest(self.path)
        if disk is None or disk == self.file_digest or self.dirty:
            return
        doc = self._read()
        auto_layout(doc)
        self.editor.replace(doc)
        self.saved_digest = document_digest(doc)
        self.file_digest = disk
        self.refresh()

    @property
    def dirty(self) -> bool:
        return self.editor.content_digest() != self.saved_digest

    def save(self, version: int | None, force: bool = False) -> None:
        with self.lock:
            if version is not None and version != self.editor.version:
                raise ApiError(
                    409,
                    f"stale save: the workflow is at version {self.editor.version}, "
                    f"the save was made from version {version}; reload first",
                    version=self.editor.version,
                )
            disk = _file_digest(self.path)
            if not force and disk is not None and disk != self.file_digest:
                raise ApiError(
                    409, f"{self.rel} was changed on disk since it was opened; reload or save with force"
                )
            problems = check(self.editor.doc, {}, self.rel)
            write_document(self.editor.doc, self.path)
            self.saved_digest = self.editor.content_digest()
            self.file_digest = _file_digest(self.path)
            self.problems = [str(p) for p in problems if p.node_id is None]

    # --------------------------------------------------------------------------------- states

    def _configure(self, doc: WorkflowDoc) -> tuple[dict[int, NodeStatus], list[str]]:
        """Configure-time states and specs of every node (KNIME's red/yellow) and the workflow-level
        problems; never raises."""
        problems = check(doc, {}, self.rel)
        general = [str(p) for p in problems if p.node_id is None]
        unknown = [n for n in doc.nodes if registry.get(n.type) is None]
        statuses: dict[int, NodeStatus] = {}
        for n in unknown:
            statuses[n.id] = NodeStatus(
                n.id, n.type, n.name or n.type, IDLE, error=f"unknown node type {n.type!r}"
            )
        known = doc
        if unknown:
            bad = {n.id for n in unknown}
            known = doc.model_copy(deep=True)
            known.nodes = [n for n in known.nodes if n.id not in bad]
            known.connections = [c for c in known.connections if c.source not in bad and c.dest not in bad]
        try:
            compiled = CompiledWorkflow(known, self.path.parent)
            ex = self._execution(compiled, memoize=True)
            statuses.update(ex.configure())
        except GraphError as exc:
            for n in known.nodes:
                cls = registry.get(n.type)
                statuses[n.id] = NodeStatus(
                    n.id, n.type, n.name or (cls.display_name if cls else n.type), IDLE
                )
            if exc.node_id in statuses:
                statuses[exc.node_id].error = str(exc)
            else:
                general.append(str(exc))
        except Exception as exc:  # a node's configure crashed: show it, keep the editor usable
            for n in known.nodes:
                cls = registry.get(n.type)
                statuses.setdefault(
                    n.id, NodeStatus(n.id, n.type, n.name or (cls.display_name if cls else n.type), IDLE)
                )
            general.append(f"configure failed: {type(exc).__name__}: {exc}")
        for p in problems:
            if p.node_id in statuses and "is not connected" in p.message:
                statuses[p.node_id].reason = p.message  # shown as a warning, as KNIME does
        return statuses, general

    def _execution(
        self,
        compiled: CompiledWorkflow,
        *,
        memoize: bool = False,
        kept: dict[int, NodeStatus] | None = None,
        **kwargs: Any,
    ) -> Execution:
        """An `Execution` with the editor's hooks; `memoize` for the configure-only passes that
        follow every edit (a run configures afresh, so that changed files are seen)."""
        if memoize:
            if len(self._configure_memo) > 5000:
                self._configure_memo.clear()
            hooks = EditorHooks(
                self.workspace, self._configure_memo, document_fingerprints(compiled.doc), kept
            )
        else:
            hooks = EditorHooks(self.workspace, kept=kept)
        return Execution(compiled, scratch_dir=self.scratch, hooks=hooks, **kwargs)

    def refresh(self) -> None:
        """Recompute states after an edit; executed nodes whose inputs and settings did not change
        stay executed (KNIME resets only the changed node and its successors)."""
        with self.lock:
            doc = self.editor.doc
            configured, self.problems = self._configure(doc)
            fps = document_fingerprints(doc)
            new: dict[int, NodeStatus] = {}
            for n, st in configured.items():
                old = self.statuses.get(n)
                if self.running and old is not None and old.state in (QUEUED, EXECUTING):
                    new[n] = old
                elif old is not None and n in fps and self.exec_fp.get(n) == fps[n]:
                    new[n] = old  # the outcome of the last run (executed, or failed with its message)
                else:
                    self.exec_fp.pop(n, None)
                    new[n] = st
                entry = next(e for e in doc.nodes if e.id == n)
                cls = registry.get(entry.type)
                new[n].name = entry.name or (cls.display_name if cls else "") or entry.type
            self.statuses = new
            for n in list(self.exec_fp):
                if n not in new:
                    del self.exec_fp[n]

    def status_json(self, n: int) -> dict[str, Any]:
        st = self.statuses.get(n)
        if st is None:
            return {"state": IDLE}
        ports = output_summaries(st)
        out: dict[str, Any] = {
            "state": st.state,
            "error": st.error,
            "setting": st.setting,
            "warning": st.reason if (st.reason and st.state == IDLE and not st.error) else None,
            "reason": st.reason,
            "seconds": round(st.seconds, 4),
            "cached": st.cached,
            "ports": ports,
        }
        if st.loop_progress is not None and st.state == EXECUTING:
            out["iteration"] = list(st.loop_progress)
        if st.state == EXECUTING and n in self.progress:
            out["progress"], out["message"] = self.progress[n]
        return out

    def state_json(self, include_doc: bool = True) -> dict[str, Any]:
        with self.lock:
            out: dict[str, Any] = {
                "path": self.rel,
                "version": self.editor.version,
                "dirty": self.dirty,
                "can_undo": self.editor.can_undo,
                "can_redo": self.editor.can_redo,
                "undo_label": self.editor.undo_label,
                "redo_label": self.editor.redo_label,
                "running": self.running,
                "problems": list(self.problems),
                "statuses": {str(n): self.status_json(n) for n in self.statuses},
            }
            if include_doc:
                out["doc"] = self.editor.doc.model_dump(mode="json")
            return out

    # -------------------------------------------------------------------------------- editing

    def command(self, command: dict[str, Any], version: int | None) -> dict[str, Any]:
        with self.lock:
            if version is not None and version != self.editor.version:
                raise ApiError(
                    409,
                    f"stale edit: the workflow is at version {self.editor.version}, not {version}",
                    version=self.editor.version,
                )
            if self.running and is_semantic(command):
                raise ApiError(409, "the workflow is executing: cancel it or wait before changing it")
            result = self.editor.execute(command)
            if is_semantic(command) or command.get("op") == "rename":
                self.refresh()
            state = self.state_json()
        self.broadcast({"type": "workflow", **state})
        return {"result": result, "state": state}

    def undo_redo(self, redo: bool) -> dict[str, Any]:
        with self.lock:
            if self.running:
                raise ApiError(409, "the workflow is executing: cancel it or wait before undoing")
            label = self.editor.redo() if redo else self.editor.undo()
            self.refresh()
            state = self.state_json()
        self.broadcast({"type": "workflow", **state})
        return {"result": {"label": label}, "state": state}

    # ------------------------------------------------------------------------------ execution

    def _runnable(self, doc: WorkflowDoc, statuses: dict[int, NodeStatus]) -> set[int]:
        graph = workflow_graph(doc)
        ok: set[int] = set()
        for n in nx.topological_sort(graph):
            st = statuses.get(n)
            if st is None or st.state == IDLE or registry.get(st.type) is None:
                continue
            if all(p in ok for p in graph.predecessors(n)):
                ok.add(n)
        return ok

    def execute(self, targets: list[int] | None) -> None:
        with self.lock:
            if self.running:
                raise ApiError(409, "the workflow is already executing")
            doc = self.editor.doc.model_copy(deep=True)
            graph = workflow_graph(doc)
            ids = {n.id for n in doc.nodes}
            wanted = set(ids) if not targets else {int(t) for t in targets}
            missing = wanted - ids
            if missing:
                raise ApiError(404, f"there is no node {', '.join(map(str, sorted(missing)))}")
            needed = set(wanted)
            for t in wanted:
                needed |= nx.ancestors(graph, t)
            needed = close_loops(doc, needed)
            runnable = self._runnable(doc, self.statuses)
            run_set = {n for n in needed if n in runnable}
            run_set = close_loops(doc, run_set, drop=True)
            if not run_set:
                raise ApiError(409, "nothing can be executed: the selected nodes are not configured")
            sub = doc.model_copy(deep=True)
            sub.nodes = [n for n in sub.nodes if n.id in run_set]
            sub.connections = [c for c in sub.connections if c.source in run_set and c.dest in run_set]
            fps = document_fingerprints(doc)
            try:
                compiled = CompiledWorkflow(sub, self.path.parent)
            except GraphError as exc:
                raise ApiError(409, f"cannot execute: {exc}") from None
            self.cancel_event = threading.Event()
            kept = {
                n: self.statuses[n]
                for n in run_set
                if self.statuses[n].state == EXECUTED
                and n in fps
                and self.exec_fp.get(n) == fps[n]
                and not compiled.scope.get(n)
            }
            ex = self._execution(
                compiled, kept=kept, cache=self.cache, listener=self._on_event, cancel_event=self.cancel_event
            )
            for n in run_set:
                st = self.statuses[n]
                if st.state != EXECUTED:
                    st.state, st.error = QUEUED, None
                    st.outputs = []
            self.running = True
            self.progress.clear()
            self._current = ex
        self.broadcast({"type": "run", "running": True, "statuses": self.state_json(False)["statuses"]})
        threading.Thread(
            target=self._run, args=(ex, run_set, fps), daemon=True, name=f"run {self.rel}"
        ).start()

    def _run(self, ex: Execution, run_set: set[int], fps: dict[int, str]) -> None:
        t0 = time.perf_counter()
        error = None
        try:
            ex.run()
        except Exception as exc:  # the scheduler itself failed: report, keep serving
            error = f"{type(exc).__name__}: {exc}"
        with self.lock:
            for n in run_set:
                if n in ex.status and n in self.statuses:
                    st = ex.status[n]
                    st.name = self.statuses[n].name
                    self.statuses[n] = st
                    self.exec_fp[n] = fps.get(n, "")
            self.running = False
            self.progress.clear()
            self._current = None
            # the document may have been edited (layout only) meanwhile; states follow the fingerprints
            self.refresh()
            statuses = self.state_json(False)["statuses"]
        self.broadcast(
            {
                "type": "run",
                "running": False,
                "seconds": round(time.perf_counter() - t0, 3),
                "error": error,
                "statuses": statuses,
            }
        )

    def _on_event(self, event: dict[str, Any]) -> None:
        """Listener of the running Execution (called from worker threads)."""
        ex = getattr(self, "_current", None)
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
        elif kind == "log":
            return
        with self.lock:
            if n in self.statuses:
                live = ex.status[n]
                live.name = self.statuses[n].name
                self.statuses[n] = live
            payload = {"type": "node", "id": n, "status": self.status_json(n)}
        self.broadcast(payload)

    def cancel(self) -> None:
        self.cancel_event.set()

    def reset(self, targets: list[int] | None) -> None:
        with self.lock:
            if self.running:
                raise ApiError(409, "the workflow is executing: cancel it first")
            doc = self.editor.doc
            graph = workflow_graph(doc)
            chosen = {n.id for n in doc.nodes} if not targets else {int(t) for t in targets}
            affected = set(chosen)
            for t in chosen:
                if t in graph:
                    affected |= nx.descendants(graph, t)
            self._configure_memo.clear()  # a reset re-reads what configure looked at (files may have changed)
            for n in affected:
                st = self.statuses.get(n)
                if st is not None and st.key:
                    self.cache.discard(st.key)
                self.exec_fp.pop(n, None)
                if st is not None:
                    st.state = IDLE  # recomputed below
            self.refresh()
            statuses = self.state_json(False)["statuses"]
        self.broadcast({"type": "run", "running": self.running, "statuses": statuses})

    # -------------------------------------------------------------------------------- watchers

    def broadcast(self, message: dict[str, Any]) -> None:
        for sub in list(self.subscribers):
            try:
                sub.loop.call_soon_threadsafe(sub.queue.put_nowait, message)
            except RuntimeError:  # its loop is closed
                self.subscribers.remove(sub)

    # ---------------------------------------------------------------------------------- dialog

    def in_specs(self, n: int) -> list[Any]:
        entry = self.editor.doc.node(n)
        cls = registry.get(entry.type)
        specs: list[Any] = []
        if cls is None:
            return specs
        for p in range(1, len(cls.inputs) + 1):
            src = next((c for c in self.editor.doc.connections if c.dest == n and c.dest_port == p), None)
            spec = None
            if src is not None:
                st = self.statuses.get(src.source)
                if st is not None and src.source_port - 1 < len(st.specs):
                    s = st.specs[src.source_port - 1]
                    spec = s.to_json() if isinstance(s, TableSpec) else None
            specs.append(spec)
        return specs

    def available_variables(self, n: int) -> list[dict[str, Any]]:
        doc = self.editor.doc
        graph = workflow_graph(doc)
        out: dict[str, dict[str, Any]] = {}
        for name, value in VarStack.of(doc.variables).to_json().items():
            out[name] = {"name": name, **value}
        for a in sorted(nx.ancestors(graph, n)) if n in graph else []:
            st = self.statuses.get(a)
            if st is not None and st.state == EXECUTED:
                for name, value in st.variables.to_json().items():
                    out[name] = {"name": name, **value}
        return list(out.values())

    def dialog(self, n: int) -> dict[str, Any]:
        with self.lock:
            try:
                entry = self.editor.doc.node(n)
            except KeyError:
                raise ApiError(404, f"there is no node {n}") from None
            cls = registry.get(entry.type)
            if cls is None:
                raise ApiError(422, f"unknown node type {entry.type!r}")
            try:
                defaults = cls.Settings().model_dump(mode="json", by_alias=True)
            except Exception:
                defaults = {}
            return {
                "id": n,
                "type": entry.type,
                "display_name": cls.display_name or entry.type,
                "description": cls.description,
                "name": entry.name,
                "annotation": entry.annotation,
                "schema": cls.Settings.model_json_schema(),
                "settings": entry.settings,
                "defaults": defaults,
                "use_variables": entry.use_variables,
                "expose_variables": entry.expose_variables,
                "path_settings": list(cls.path_settings),
                "in_specs": self.in_specs(n),
                "variables": self.available_variables(n),
                "status": self.status_json(n),
                "data_dirs": [str(d) for d in self.workspace.data_dirs],
                "workflow_dir": str(self.path.parent),
            }

    def validate(
        self, n: int, settings: dict[str, Any], use_variables: dict[str, str] | None
    ) -> dict[str, Any]:
        with self.lock:
            try:
                entry = self.editor.doc.node(n)
            except KeyError:
                raise ApiError(404, f"there is no node {n}") from None
            errors = validate_settings(entry.type, settings)
            if errors:
                return {"errors": errors, "configure_error": None}
            doc = self.editor.doc.model_copy(deep=True)
            trial = doc.node(n)
            trial.settings = dict(settings)
            if use_variables is not None:
                trial.use_variables = dict(use_variables)
        statuses, _ = self._configure(doc)
        st = statuses.get(n)
        err = None
        if st is not None and st.error:
            err = {"message": st.error, "setting": st.setting}
        specs = [s.to_json() if isinstance(s, TableSpec) else None for s in (st.specs if st else [])]
        return {"errors": [], "configure_error": err, "out_specs": specs}

    # ---------------------------------------------------------------------------------- output

    def port_data(
        self,
        n: int,
        port: int,
        offset: int,
        limit: int,
        sort: str | None,
        desc: bool,
        col_offset: int,
        col_limit: int | None,
    ) -> Response:
        with self.lock:
            st = self.statuses.get(n)
            if st is None:
                raise ApiError(404, f"there is no node {n}")
            if st.state != EXECUTED:
                return JSONResponse({"kind": "none", "message": "Execute the node first."})
            if port == 0:
                variables = [{"name": k, **v} for k, v in st.variables.to_json().items()]
                return JSONResponse({"kind": "variables", "variables": variables})
            if not 1 <= port <= len(st.outputs):
                raise ApiError(404, f"node {n} has no output port {port}")
            obj = st.outputs[port - 1]
            key = st.key
        if isinstance(obj, View):
            out: dict[str, Any] = {"kind": "view", "title": obj.title, "image": obj.png is not None}
            if obj.table is None:
                return JSONResponse(out)
            obj = obj.table
            extra = out
        else:
            extra = {}
        if isinstance(obj, Table):
            return table_page(
                obj, (key, n, port), self._sort_cache, offset, limit, sort, desc, col_offset, col_limit, extra
            )
        if isinstance(obj, Model):
            return JSONResponse({"kind": "model", "model_kind": obj.kind, "summary": obj.summary})
        if obj is None:
            cls = registry.get(st.type)
            if cls is not None and port <= len(cls.outputs) and cls.outputs[port - 1].type.id == "variables":
                variables = [{"name": k, **v} for k, v in st.variables.to_json().items()]
                return JSONResponse({"kind": "variables", "variables": variables})
            return JSONResponse({"kind": "none", "message": "This output port has no data to display."})
        return JSONResponse({"kind": "object", "summary": repr(obj)[:2000]})

    def port_image(self, n: int, port: int) -> Response:
        with self.lock:
            st = self.statuses.get(n)
            if st is None or st.state != EXECUTED or not 1 <= port <= len(st.outputs):
                raise ApiError(404, "Execute the node first.")
            obj = st.outputs[port - 1]
        if not isinstance(obj, View) or obj.png is None:
            raise ApiError(404, "this port holds no image")
        return Response(obj.png, media_type="image/png", headers={"Cache-Control": "no-store"})


class OpenSessions:
    """The workflows open in one editor: one `Session` per file, opened on first use."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.by_path: dict[Path, Session] = {}
        self._lock = threading.Lock()

    def open(self, rel: str, *, reload: bool = True) -> Session:
        """The session of the workflow at `rel`; with `reload`, an idle session first picks up edits
        made to the file outside the editor."""
        path = self.workspace.resolve(rel)
        with self._lock:
            s = self.by_path.get(path)
            if s is None:
                if not path.is_file():
                    raise ApiError(404, f"no workflow {rel!r} in the workspace")
                s = Session(self.workspace, path)
                self.by_path[path] = s
        if reload:
            with s.lock:
                if not s.running:
                    s.reload_if_changed()
        return s
