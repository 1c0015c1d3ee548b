"""`knitflow serve`: the browser editor's HTTP + WebSocket API over the same `Execution` the CLI uses.

One `Session` per open workflow file holds the document, its undo/redo stack (engine/editing.py),
the result cache that makes re-runs incremental, and the node states shown as traffic lights.
Runs happen in a background thread; their events go to every WebSocket watching the workflow.

Security, as Jupyter does it: loopback by default; any other host needs a token (printed at
start); a state-changing request or a WebSocket whose Origin is not the page's own is refused;
on loopback the Host header must be a loopback name (DNS rebinding); no path given to the API can
reach outside the workspace (readers may also read the data folder), and the same rule is checked
on every node's path settings when the server runs it.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import math
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import networkx as nx
import numpy as np
import pandas as pd
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from engine.api import (
    Category,
    ConfigureError,
    Model,
    Node,
    NodeError,
    PortType,
    Table,
    TableSpec,
    View,
)
from engine.core.cache import MemoryCache
from engine.core.document import (
    FORMAT,
    WorkflowDoc,
    check,
    node_ports,
    parse_document,
    ports_compatible,
    write_document,
)
from engine.core.editing import (
    CommandError,
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
    ExecutionHooks,
    GraphError,
    NodeStatus,
)
from engine.core.variables import VarStack
from engine.datasets import project_data_dir

WEB_DIR = Path(__file__).resolve().parent / "web"
WORKFLOW_SUFFIXES = (".yaml", ".yml")
TOKEN_COOKIE = "knitflow_token"
MAX_KNWF_BYTES = 512 * 2**20
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


# ------------------------------------------------------------------------------------- workspace


class Workspace:
    """The folder the editor may touch, plus the data folders readers may read."""

    def __init__(self, root: str | Path, data_dirs: list[str | Path] | None = None) -> None:
        self.root = Path(root).resolve()
        if data_dirs is None:
            data_dirs = [project_data_dir(), self.root.parent / "data"]
        seen: list[Path] = []
        for d in data_dirs:
            p = Path(d).resolve()
            if p not in seen and p != Path(p.anchor):
                seen.append(p)
        self.data_dirs = seen

    def resolve(self, rel: str, *, workflow: bool = True) -> Path:
        """A path given by a client, confined to the workspace whatever it says."""
        if not isinstance(rel, str) or not rel or "\x00" in rel:
            raise ApiError(400, "a workspace-relative path is required")
        if "\\" in rel:
            raise ApiError(403, f"{rel!r}: backslashes are not allowed in workspace paths")
        candidate = Path(rel)
        if candidate.is_absolute() or rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel):
            raise ApiError(403, f"{rel!r}: only paths inside the workspace are allowed")
        path = (self.root / candidate).resolve()
        if not path.is_relative_to(self.root):
            raise ApiError(403, f"{rel!r} is outside the workspace")
        if workflow and path.suffix.lower() not in WORKFLOW_SUFFIXES:
            raise ApiError(400, f"{rel!r} is not a workflow file (.yaml)")
        return path

    def rel(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()

    def may_read(self, path: Path, *, reader: bool) -> bool:
        path = path.resolve()
        roots = [self.root, *(self.data_dirs if reader else [])]
        return any(path.is_relative_to(r) for r in roots)

    def list_workflows(self) -> list[dict[str, Any]]:
        out = []
        for path in sorted(self.root.rglob("*")):
            if path.suffix.lower() not in WORKFLOW_SUFFIXES or not path.is_file():
                continue
            rel = self.rel(path)
            if any(part.startswith(".") for part in Path(rel).parts):
                continue
            name = path.stem
            try:
                with path.open(encoding="utf-8") as fh:
                    for line in fh:
                        if line.startswith("name:"):
                            name = line.split(":", 1)[1].strip().strip("'\"") or name
                            break
            except OSError:
                pass
            out.append({"path": rel, "name": name})
        return out

    def list_files(
        self, root: str, sub: str, workflow_dir: Path | None = None, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Entries of a folder of the workspace or a data folder (for readers' file choosers)."""
        if root == "workspace":
            base = self.root
        elif root.startswith("data") and root[4:].isdigit() and int(root[4:]) < len(self.data_dirs):
            base = self.data_dirs[int(root[4:])]
        else:
            raise ApiError(400, f"unknown root {root!r}")
        target = (base / sub).resolve() if sub else base
        if Path(sub).is_absolute() or not target.is_relative_to(base):
            raise ApiError(403, f"{sub!r} is outside the {root} folder")
        if not target.is_dir():
            raise ApiError(404, f"{sub!r} is not a folder")
        variables = variables or {}
        entries = []
        for p in sorted(target.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
            if p.name.startswith("."):
                continue
            entries.append(
                {
                    "name": p.name,
                    "dir": p.is_dir(),
                    "value": self.setting_value(p, base, workflow_dir, variables),
                }
            )
        return {"root": root, "path": sub, "entries": entries}

    @staticmethod
    def setting_value(path: Path, base: Path, workflow_dir: Path | None, variables: dict[str, Any]) -> str:
        """How a reader's path setting should name `path`: through a workflow variable that points
        at the folder (e.g. ${data_dir}/x.csv), else relative to the workflow's folder."""
        path = path.resolve()
        for name, value in variables.items():
            if isinstance(value, str) and value and workflow_dir is not None:
                folder = (workflow_dir / value).resolve()
                if path.is_relative_to(folder):
                    return "${" + name + "}/" + path.relative_to(folder).as_posix()
        if workflow_dir is not None:
            return Path(os.path.relpath(path, workflow_dir)).as_posix()
        return str(path)


# -------------------------------------------------------------------------------------- sessions


@dataclass
class _Subscriber:
    queue: asyncio.Queue[dict[str, Any]]
    loop: asyncio.AbstractEventLoop


ConfigureMemo = dict[tuple[Any, ...], tuple[bool, Any]]


class _EditorHooks(ExecutionHooks):
    """What the editor adds to an `Execution`, through the engine's public hooks:
    - settings paths outside the workspace (and, for readers, the data folders) are refused after
      variables and relative paths have been resolved;
    - every edit re-configures the workflow, so a node whose settings and inputs did not change is
      not asked again (a reader would re-scan its file), and a configure that crashes becomes that
      node's error;
    - an executed node whose settings and inputs did not change keeps its outputs (KNIME does not
      re-execute executed predecessors; a randomised node without a seed would otherwise give new
      results each time a successor is executed)."""

    def __init__(
        self,
        workspace: Workspace,
        memo: ConfigureMemo | None = None,
        fingerprints: dict[int, str] | None = None,
        kept: dict[int, NodeStatus] | None = None,
    ) -> None:
        self.workspace = workspace
        self.memo = memo
        self.fingerprints = fingerprints or {}
        self.kept = kept or {}

    def check_settings(self, node_id: int, node_type: type[Node], settings: Any, base_dir: Path) -> None:
        reader = node_type.category == Category.SOURCE
        for name in node_type.path_settings:
            value = getattr(settings, name, None)
            if not isinstance(value, str) or not value:
                continue
            if "://" in value:
                raise NodeError(f"{name}: URLs are not allowed through the editor ({value})", setting=name)
            path = Path(value)
            if not path.is_absolute():
                path = base_dir / path
            if not self.workspace.may_read(path, reader=reader):
                where = "the workspace or the data folder" if reader else "the workspace"
                raise NodeError(f"{name}: {value} is outside {where}", setting=name)

    def configure(self, node_id: int, in_specs: list[Any], call: Callable[[], list[Any]]) -> list[Any]:
        if self.memo is None:
            return call()
        fp = self.fingerprints.get(node_id)
        key = (node_id, fp, repr(in_specs)) if fp else None
        if key is not None and key in self.memo:
            ok, value = self.memo[key]
            if not ok:
                raise value
            return list(value)
        try:
            out = list(call())
        except NodeError as exc:
            if key is not None:
                self.memo[key] = (False, exc)
            raise
        except Exception as exc:
            err = ConfigureError(f"{type(exc).__name__} while configuring: {exc}")
            if key is not None:
                self.memo[key] = (False, err)
            raise err from None
        if key is not None:
            self.memo[key] = (True, out)
        return out

    def kept_result(self, node_id: int) -> NodeStatus | None:
        return self.kept.get(node_id)


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
        self.subscribers: list[_Subscriber] = []
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
            hooks = _EditorHooks(
                self.workspace, self._configure_memo, document_fingerprints(compiled.doc), kept
            )
        else:
            hooks = _EditorHooks(self.workspace, kept=kept)
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
        graph = _graph(doc)
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
            graph = _graph(doc)
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
            graph = _graph(doc)
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
        inputs, _ = node_ports(cls, entry.settings)  # a node may declare its ports per instance
        for p in range(1, len(inputs) + 1):
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
        graph = _graph(doc)
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
            return _table_page(
                obj, (key, n, port), self._sort_cache, offset, limit, sort, desc, col_offset, col_limit, extra
            )
        if isinstance(obj, Model):
            return JSONResponse({"kind": "model", "model_kind": obj.kind, "summary": obj.summary})
        if obj is None:
            cls = registry.get(st.type)
            entry = next((e for e in self.editor.doc.nodes if e.id == n), None)
            outputs = node_ports(cls, entry.settings)[1] if cls is not None and entry is not None else ()
            if port <= len(outputs) and outputs[port - 1].type.id == "variables":
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


def _graph(doc: WorkflowDoc) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(n.id for n in doc.nodes)
    g.add_edges_from((c.source, c.dest) for c in doc.connections if c.source in g and c.dest in g)
    return g


def _table_page(
    table: Table,
    key: tuple[Any, ...],
    sort_cache: OrderedDict[tuple[Any, ...], np.ndarray],
    offset: int,
    limit: int,
    sort: str | None,
    desc: bool,
    col_offset: int,
    col_limit: int | None,
    extra: dict[str, Any],
) -> Response:
    df = table.df
    total = len(df)
    limit = max(1, min(int(limit), 1000))
    offset = max(0, min(int(offset), max(total - 1, 0)))
    if sort:
        skey = (*key, sort, desc)
        order = sort_cache.get(skey)
        if order is None:
            if sort == "RowID":
                values = pd.Series(df.index.astype(str), copy=False)
            elif sort in df.columns:
                values = df[sort]
                if table.types.get(sort) == "Bit vector" or values.dtype == object:
                    values = values.astype(str).where(values.notna(), None)
            else:
                raise ApiError(400, f"no column {sort!r} to sort by")
            order = np.asarray(
                values.reset_index(drop=True)
                .sort_values(ascending=not desc, kind="stable", na_position="last")
                .index
            )
            sort_cache[skey] = order
            while len(sort_cache) > 16:
                sort_cache.popitem(last=False)
        rows = order[offset : offset + limit]
        page = df.iloc[rows]
    else:
        page = df.iloc[offset : offset + limit]
    ncols = df.shape[1]
    c0 = max(0, int(col_offset))
    c1 = ncols if col_limit is None else min(ncols, c0 + max(1, int(col_limit)))
    page = page.iloc[:, c0:c1]
    columns = [{"name": str(c), "type": table.types.get(str(c), "")} for c in page.columns]
    odd = [
        i
        for i, c in enumerate(page.columns)
        if table.types.get(str(c)) in ("Bit vector",) or page[c].dtype == object
    ]
    if odd:
        page = page.copy()
        for i in odd:
            col = page.iloc[:, i]
            page.isetitem(
                i,
                col.map(
                    lambda v: (
                        None
                        if v is None or (isinstance(v, float) and math.isnan(v))
                        else v
                        if isinstance(v, str | int | float | bool)
                        else str(v)
                    )
                ),
            )
    rows_json = (
        page.to_json(orient="values", double_precision=15, default_handler=str)
        if len(page.columns)
        else json.dumps([[] for _ in range(len(page))])
    )
    head = {
        **extra,
        "kind": "table",
        "total_rows": total,
        "total_columns": ncols,
        "offset": offset,
        "limit": limit,
        "col_offset": c0,
        "sort": sort,
        "desc": desc,
        "columns": columns,
        "row_ids": [str(i) for i in page.index],
    }
    body = json.dumps(head)[:-1] + ',"rows":' + rows_json + "}"
    return Response(body, media_type="application/json")


# ---------------------------------------------------------------------------------------- the app


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[: host_header.find("]") + 1] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class SecurityMiddleware:
    """Token, Host and Origin checks for HTTP and WebSocket alike (pure ASGI, so WebSockets are
    covered too)."""

    def __init__(self, app: Any, token: str | None, loopback_only: bool) -> None:
        self.app = app
        self.token = token
        self.loopback_only = loopback_only

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        method = scope.get("method", "GET") if scope["type"] == "http" else "WEBSOCKET"
        path = scope.get("path", "")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        problem = None
        status = 403
        if self.loopback_only and not _is_loopback(_host_name(host)):
            problem = f"Host {host!r} refused: this server answers loopback names only"
        if problem is None and method not in ("GET", "HEAD", "OPTIONS"):
            origin = headers.get("origin")
            if origin is not None and origin not in (f"http://{host}", f"https://{host}"):
                problem = (
                    f"Origin {origin!r} refused: state-changing requests must come from the editor's own page"
                )
            elif headers.get("sec-fetch-site") == "cross-site":
                problem = "cross-site request refused"
        set_cookie = None
        if problem is None and self.token is not None and not path.startswith("/static/"):
            given = headers.get("x-knitflow-token")
            auth = headers.get("authorization", "")
            if not given and auth.lower().startswith("token "):
                given = auth[6:].strip()
            if not given:
                for part in headers.get("cookie", "").split(";"):
                    k, _, v = part.strip().partition("=")
                    if k == TOKEN_COOKIE:
                        given = v
            if not given and "token" in query:
                given = query["token"][0]
                set_cookie = given
            if not given or not secrets.compare_digest(given, self.token):
                problem, status = "a valid token is required (see the URL printed by `knitflow serve`)", 401
        if problem is not None:
            if scope["type"] == "websocket":
                await send(
                    {
                        "type": "websocket.close",
                        "code": 4403 if status == 403 else 4401,
                        "reason": problem[:120],
                    }
                )
                return
            response = JSONResponse({"detail": problem}, status_code=status)
            await response(scope, receive, send)
            return
        if set_cookie and scope["type"] == "http" and path == "/":
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(TOKEN_COOKIE, set_cookie, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(
    directory: str | Path,
    *,
    token: str | None = None,
    loopback_only: bool = True,
    data_dirs: list[str | Path] | None = None,
) -> FastAPI:
    workspace = Workspace(directory, data_dirs)
    if not workspace.root.is_dir():
        raise FileNotFoundError(f"workspace {workspace.root} is not a folder")
    sessions: dict[Path, Session] = {}
    sessions_lock = threading.Lock()
    app = FastAPI(title="knitflow editor", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspace = workspace
    app.state.sessions = sessions

    def session(rel: str, *, reload: bool = True) -> Session:
        path = workspace.resolve(rel)
        with sessions_lock:
            s = sessions.get(path)
            if s is None:
                if not path.is_file():
                    raise ApiError(404, f"no workflow {rel!r} in the workspace")
                s = Session(workspace, path)
                sessions[path] = s
        if reload:
            with s.lock:
                if not s.running:
                    s.reload_if_changed()
        return s

    app.state.session = session

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), **exc.extra}, status_code=exc.status)

    @app.exception_handler(CommandError)
    async def _command_error(request: Request, exc: CommandError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "errors": exc.errors}, status_code=exc.status)

    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiError(400, f"invalid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return data

    # ------------------------------------------------------------------------------- pages

    @app.get("/")
    def index() -> Response:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")

    # --------------------------------------------------------------------------------- api

    @app.get("/api/info")
    def info() -> dict[str, Any]:
        return {
            "workspace": str(workspace.root),
            "data_dirs": [str(d) for d in workspace.data_dirs],
            "format": FORMAT,
            "python": sys.version.split()[0],
        }

    @app.get("/api/nodes")
    def nodes() -> dict[str, Any]:
        return node_catalog()

    @app.get("/api/workflows")
    def workflows() -> dict[str, Any]:
        return {"workflows": workspace.list_workflows()}

    @app.post("/api/workflows")
    async def new_workflow(request: Request) -> dict[str, Any]:
        data = await body(request)
        rel = str(data.get("path", ""))
        path = workspace.resolve(rel)
        if path.exists():
            raise ApiError(409, f"{rel} already exists")
        name = str(data.get("name") or path.stem)
        doc = WorkflowDoc(name=name)
        write_document(doc, path)
        return {"path": workspace.rel(path)}

    @app.post("/api/workflows/import-knime")
    async def import_knime(request: Request, name: str, path: str | None = None) -> dict[str, Any]:
        """ "Open KNIME workflow…": the body is a .knwf archive as the browser read it from disk; it
        becomes a YAML in the workspace (default `<archive name>.yaml`) plus the import report."""
        from engine.knime import ImportReport, KnimeFormatError, skeleton

        raw = await request.body()
        if not raw:
            raise ApiError(400, "the request body must be the .knwf file")
        if len(raw) > MAX_KNWF_BYTES:
            raise ApiError(413, f"{name} is larger than {MAX_KNWF_BYTES // 2**20} MB")
        target = workspace.resolve(path or f"{Path(name).stem}.yaml")
        if target.exists():
            raise ApiError(409, f"{workspace.rel(target)} already exists")
        report = ImportReport()
        with tempfile.TemporaryDirectory(prefix="knitflow-knwf-") as tmp:
            archive = Path(tmp) / (Path(name).name or "workflow.knwf")
            archive.write_bytes(raw)
            try:
                doc = await asyncio.to_thread(skeleton, archive, report)
            except KnimeFormatError as exc:
                raise ApiError(400, f"{name}: {exc}") from None
        write_document(doc, target)
        return {
            "path": workspace.rel(target),
            "report": [{"kind": e.kind, "node": e.node_id, "message": str(e)} for e in report.entries],
        }

    @app.get("/api/workflow")
    def get_workflow(path: str) -> dict[str, Any]:
        return session(path).state_json()

    @app.post("/api/workflow/command")
    async def command(path: str, request: Request) -> dict[str, Any]:
        data = await body(request)
        cmd = data.get("command")
        if not isinstance(cmd, dict):
            raise ApiError(400, "expected {'command': {'op': ...}}")
        s = session(path, reload=False)
        return await asyncio.to_thread(s.command, cmd, data.get("version"))

    @app.post("/api/workflow/undo")
    async def undo(path: str) -> dict[str, Any]:
        return await asyncio.to_thread(session(path, reload=False).undo_redo, False)

    @app.post("/api/workflow/redo")
    async def redo(path: str) -> dict[str, Any]:
        return await asyncio.to_thread(session(path, reload=False).undo_redo, True)

    @app.post("/api/workflow/save")
    async def save(path: str, request: Request) -> dict[str, Any]:
        data = await body(request)
        s = session(path, reload=False)
        await asyncio.to_thread(s.save, data.get("version"), bool(data.get("force")))
        state = s.state_json()
        s.broadcast({"type": "workflow", **state})
        return {"state": state}

    @app.post("/api/workflow/execute")
    async def execute(path: str, request: Request) -> dict[str, Any]:
        data = await body(request)
        s = session(path, reload=False)
        await asyncio.to_thread(s.execute, data.get("nodes"))
        return {"running": True}

    @app.post("/api/workflow/cancel")
    def cancel(path: str) -> dict[str, Any]:
        session(path, reload=False).cancel()
        return {"cancelled": True}

    @app.post("/api/workflow/reset")
    async def reset(path: str, request: Request) -> dict[str, Any]:
        data = await body(request)
        s = session(path, reload=False)
        await asyncio.to_thread(s.reset, data.get("nodes"))
        return {"state": s.state_json(False)}

    @app.get("/api/workflow/node")
    def node_dialog(path: str, id: int) -> dict[str, Any]:
        return session(path, reload=False).dialog(id)

    @app.post("/api/workflow/validate")
    async def validate(path: str, id: int, request: Request) -> dict[str, Any]:
        data = await body(request)
        settings = data.get("settings") or {}
        if not isinstance(settings, dict):
            raise ApiError(400, "settings must be an object")
        return await asyncio.to_thread(
            session(path, reload=False).validate, id, settings, data.get("use_variables")
        )

    @app.get("/api/workflow/port")
    def port(
        path: str,
        id: int,
        port: int,
        offset: int = 0,
        limit: int = 100,
        sort: str | None = None,
        desc: bool = False,
        col_offset: int = 0,
        col_limit: int | None = None,
    ) -> Response:
        return session(path, reload=False).port_data(
            id, port, offset, limit, sort or None, desc, col_offset, col_limit
        )

    @app.get("/api/workflow/image")
    def image(path: str, id: int, port: int) -> Response:
        return session(path, reload=False).port_image(id, port)

    @app.get("/api/workflow/svg")
    def svg(path: str) -> Response:
        from engine.core.render import render_svg

        s = session(path, reload=False)
        with s.lock:
            text = render_svg(s.editor.doc, {n: st.state for n, st in s.statuses.items()})
        return Response(text, media_type="image/svg+xml")

    @app.get("/api/files")
    def files(root: str = "workspace", path: str = "", workflow: str | None = None) -> dict[str, Any]:
        wf_dir, variables = None, {}
        if workflow:
            s = session(workflow, reload=False)
            wf_dir, variables = s.path.parent, dict(s.editor.doc.variables)
        return workspace.list_files(root, path, wf_dir, variables)

    @app.websocket("/api/ws")
    async def ws(websocket: WebSocket, path: str) -> None:
        try:
            s = session(path)
        except ApiError as exc:
            await websocket.close(code=4404, reason=str(exc)[:120])
            return
        await websocket.accept()
        sub = _Subscriber(asyncio.Queue(), asyncio.get_running_loop())
        s.subscribers.append(sub)

        async def pump() -> None:
            while True:
                msg = await sub.queue.get()
                await websocket.send_text(json.dumps(msg, default=str))

        sender = asyncio.create_task(pump())
        try:
            await websocket.send_text(json.dumps({"type": "workflow", **s.state_json()}, default=str))
            while True:
                text = await websocket.receive_text()
                if text == "ping":
                    await sub.queue.put({"type": "pong"})
        except WebSocketDisconnect:
            pass
        finally:
            sender.cancel()
            if sub in s.subscribers:
                s.subscribers.remove(sub)

    return SecurityMiddleware(app, token, loopback_only)  # type: ignore[return-value]


def node_catalog() -> dict[str, Any]:
    """Every registered node type with its ports, and which output port types fit which inputs."""
    types = registry.all()
    port_types: dict[str, PortType] = dict(PortType.all())

    def port_json(port: Any) -> dict[str, Any]:
        port_types.setdefault(port.type.id, port.type)
        return {
            "name": port.name,
            "type": port.type.id,
            "optional": port.optional,
            "description": port.description,
        }

    nodes = []
    for cls in types.values():
        nodes.append(
            {
                "type": cls.type_name,
                "name": cls.display_name or cls.type_name,
                "category": str(cls.category),
                "description": cls.description,
                "keywords": list(cls.keywords),
                "inputs": [port_json(p) for p in cls.inputs],
                "outputs": [port_json(p) for p in cls.outputs],
                "knime_factory": cls.knime[0].factory if cls.knime else "",
            }
        )
    compat = {
        o: [i for i, it in port_types.items() if ports_compatible(ot, it)] for o, ot in port_types.items()
    }
    return {
        "nodes": nodes,
        "port_types": {
            k: {"label": v.label, "color": v.color, "shape": v.shape} for k, v in port_types.items()
        },
        "compatible": compat,
        "categories": [str(c) for c in Category],
    }


# -------------------------------------------------------------------------------------- serving


def serve(
    directory: str | Path = "workflows",
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = False,
    token: str | None = None,
) -> int:
    """Run the editor until interrupted (the `knitflow serve` command)."""
    import uvicorn

    root = Path(directory)
    if not root.is_dir():
        print(f"knitflow serve: {root} is not a folder", file=sys.stderr)
        return 2
    loopback = _is_loopback(host)
    if not loopback and not token:
        token = secrets.token_urlsafe(24)
    app = create_app(root, token=token, loopback_only=loopback)
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"knitflow editor serving {Path(root).resolve()}")
    print(f"    {url}")
    if not loopback:
        print("    (not on loopback: every request needs the token above)")
    if open_browser:
        import webbrowser

        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass
    return 0
