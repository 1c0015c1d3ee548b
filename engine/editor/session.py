"""One open workflow (`Session`): its file, its document with undo/redo, and the node states shown
as traffic lights; runs (`engine.editor.runs`), output ports (`engine.editor.results`), node dialogs
(`engine.editor.dialog`) and watchers (`engine.editor.events`) are its collaborators.
`OpenSessions` opens one session per file on first use."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any

from engine.core.cache import MemoryCache
from engine.core.document import NodeEntry, Problem, WorkflowDoc, check, parse_document
from engine.core.document_saving import write_document
from engine.core.editing import Editor, document_digest, is_semantic
from engine.core.keys import document_fingerprints
from engine.core.layout import auto_layout
from engine.core.metanodes import INNER_ID_BASE, ContainerError, flatten, has_containers, id_of_path, path_of
from engine.core.outputs import output_summaries
from engine.core.registry import registry
from engine.core.scheduler import (
    EXECUTING,
    IDLE,
    QUEUED,
    CompiledWorkflow,
    Execution,
    GraphError,
    NodeStatus,
)
from engine.editor.dialog import NodeDialogs
from engine.editor.errors import ApiError
from engine.editor.events import EventHub
from engine.editor.graph import add_container_states
from engine.editor.hooks import ConfigureMemo, EditorHooks
from engine.editor.results import PortResults
from engine.editor.runs import RunControl
from engine.editor.workspace import Workspace


def _file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class Session:
    """One open workflow: the file and its document with undo/redo, the node states (`statuses`,
    guarded by `lock`), and the collaborators `runs`, `results`, `dialogs` and `events`."""

    def __init__(self, workspace: Workspace, path: Path) -> None:
        self.workspace = workspace
        self.path = path
        self.rel = workspace.rel(path)
        self.lock = threading.RLock()
        self.cache = MemoryCache()
        self.statuses: dict[int, NodeStatus] = {}
        self.exec_fp: dict[int, str] = {}  # the fingerprint each node had when it last ran
        self.problems: list[str] = []
        self.scratch = Path(tempfile.mkdtemp(prefix="knitflow-editor-"))
        weakref.finalize(self, shutil.rmtree, self.scratch, True)  # scratch space goes with the session
        self._configure_memo: ConfigureMemo = {}
        self.events = EventHub()
        self.runs = RunControl(self)
        self.results = PortResults(self)
        self.dialogs = NodeDialogs(self)
        doc = self._read()
        self.editor = Editor(doc)
        self.saved_digest = document_digest(doc)
        self.file_digest = _file_digest(path)
        if auto_layout(self.editor.doc):
            pass  # positions given to nodes that had none make the document dirty, as they should
        self.refresh()

    @property
    def running(self) -> bool:
        return self.runs.running

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

    def configure_states(self, doc: WorkflowDoc) -> tuple[dict[int, NodeStatus], list[str]]:
        """Configure-time states and specs of every node (KNIME's red/yellow) and the workflow-level
        problems; never raises."""
        outer = doc
        doc, flat_problems = self.runnable_document(doc)
        problems = [*flat_problems, *check(doc, {}, self.rel)]
        general = [str(p) for p in problems if p.node_id is None]
        statuses, known = _without_unknown_types(doc)
        try:
            compiled = CompiledWorkflow(known, self.path.parent)
            ex = self.execution(compiled, memoize=True)
            statuses.update(ex.configure())
        except GraphError as exc:
            for n in known.nodes:
                statuses[n.id] = _idle_status(n)
            if exc.node_id in statuses:
                statuses[exc.node_id].error = str(exc)
            else:
                general.append(str(exc))
        except Exception as exc:  # a node's configure crashed: show it, keep the editor usable
            for n in known.nodes:
                statuses.setdefault(n.id, _idle_status(n))
            general.append(f"configure failed: {type(exc).__name__}: {exc}")
        for p in problems:
            if p.node_id in statuses and "is not connected" in p.message:
                statuses[p.node_id].reason = p.message  # shown as a warning, as KNIME does
        add_container_states(outer, statuses)
        return statuses, general

    def runnable_document(self, doc: WorkflowDoc) -> tuple[WorkflowDoc, list[Problem]]:
        """The document as it runs: metanodes and components flattened into one graph."""
        if not has_containers(doc):
            return doc, []
        try:
            return flatten(doc, {}, self.path.parent).doc, []
        except ContainerError as exc:
            return doc, [Problem(self.rel, None, str(exc), exc.node_id)]

    def execution(
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
        kwargs.setdefault("pass_executor", self.workspace.executor)
        return Execution(compiled, scratch_dir=self.scratch, hooks=hooks, **kwargs)

    def forget_configure_results(self) -> None:
        """The next configure asks every node again (what it looked at, e.g. a file, may have changed)."""
        self._configure_memo.clear()

    def refresh(self) -> None:
        """Recompute states after an edit; executed nodes whose inputs and settings did not change
        stay executed (KNIME resets only the changed node and its successors)."""
        with self.lock:
            doc = self.editor.doc
            configured, self.problems = self.configure_states(doc)
            fps = document_fingerprints(doc)
            new: dict[int, NodeStatus] = {}
            for n, st in configured.items():
                old = self.statuses.get(n)
                if n >= INNER_ID_BASE:  # inside a metanode or component: kept with its container
                    top = id_of_path(path_of(n).split(":")[0])
                    kept = old is not None and top in fps and self.exec_fp.get(top) == fps[top]
                    new[n] = old if kept and old is not None else st
                    continue
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
            add_container_states(doc, new)
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
        if st.state == EXECUTING and n in self.runs.progress:
            out["progress"], out["message"] = self.runs.progress[n]
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
        self.events.broadcast({"type": "workflow", **state})
        return {"result": result, "state": state}

    def undo_redo(self, redo: bool) -> dict[str, Any]:
        with self.lock:
            if self.running:
                raise ApiError(409, "the workflow is executing: cancel it or wait before undoing")
            label = self.editor.redo() if redo else self.editor.undo()
            self.refresh()
            state = self.state_json()
        self.events.broadcast({"type": "workflow", **state})
        return {"result": {"label": label}, "state": state}


def _idle_status(entry: NodeEntry, error: str | None = None) -> NodeStatus:
    cls = registry.get(entry.type)
    name = entry.name or (cls.display_name if cls else entry.type)
    return NodeStatus(entry.id, entry.type, name, IDLE, error=error)


def _without_unknown_types(doc: WorkflowDoc) -> tuple[dict[int, NodeStatus], WorkflowDoc]:
    """Nodes of unregistered types get an error state and are left out of the document to configure."""
    unknown = [n for n in doc.nodes if registry.get(n.type) is None]
    statuses = {n.id: _idle_status(n, error=f"unknown node type {n.type!r}") for n in unknown}
    if not unknown:
        return statuses, doc
    bad = {n.id for n in unknown}
    known = doc.model_copy(deep=True)
    known.nodes = [n for n in known.nodes if n.id not in bad]
    known.connections = [c for c in known.connections if c.source not in bad and c.dest not in bad]
    return statuses, known


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
            if s is not None and not path.is_file() and not s.running:
                del self.by_path[path]  # the file was deleted: a workflow created there later starts afresh
                s = None
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

    def discard(self, path: Path) -> None:
        """Forget the session of `path` (a new workflow written there must not inherit its edits)."""
        with self._lock:
            s = self.by_path.get(path)
            if s is not None and not s.running:
                del self.by_path[path]
