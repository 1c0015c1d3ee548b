"""The Python API: load, validate, edit and run a workflow; re-runs execute only what changed."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.api import Table
from engine.core.cache import DiskCache, MemoryCache
from engine.core.document import (
    Problem,
    WorkflowDoc,
    WorkflowLoadError,
    check,
    checked,
    parse_document,
    read_document,
)
from engine.core.document_saving import write_document
from engine.core.executors import PassExecutor, pass_executor_for
from engine.core.scheduler import EXECUTED, CompiledWorkflow, Execution, GraphError, Listener, NodeStatus
from engine.core.yamlio import PathKey, YamlSyntaxError, decode_document


@dataclass
class RunResult:
    """What a run produced, with the compiled workflow it ran, so clients (the CLI's summary and
    output folder, the editor) need nothing else."""

    workflow: str
    status: dict[int, NodeStatus]
    seconds: float
    variables: dict[str, Any]
    compiled: CompiledWorkflow
    warnings: list[str] = field(default_factory=list)  # the run's own (e.g. a cache it could not use)
    cancelled: bool = False

    @property
    def outcome(self) -> str:
        """ok, failed or cancelled."""
        if self.cancelled:
            return "cancelled"
        return "ok" if self.ok else "failed"

    @property
    def ok(self) -> bool:
        return all(s.error is None for s in self.status.values())

    def node(self, node_id: int) -> NodeStatus:
        return self.status[node_id]

    def output(self, node_id: int, port: int = 1) -> Any:
        """The object on an output port: a DataFrame for tables, the model or view otherwise;
        port 0 gives the node's flow variables as a dict."""
        st = self.status[node_id]
        if st.error:
            raise RuntimeError(f"node #{node_id} failed: {st.error}")
        if st.state != EXECUTED:
            raise RuntimeError(f"node #{node_id} is not executed ({st.state})")
        if port == 0:
            return st.variables.as_dict()
        obj = st.outputs[port - 1]
        return obj.df if isinstance(obj, Table) else obj

    def table(self, node_id: int, port: int = 1) -> Table:
        obj = self.status[node_id].outputs[port - 1]
        assert isinstance(obj, Table)
        return obj

    def failed(self) -> list[NodeStatus]:
        return [s for s in self.status.values() if s.error]


class Workflow:
    """A workflow document plus the in-memory cache that makes re-runs incremental."""

    def __init__(
        self, doc: WorkflowDoc, path: Path | None = None, lines: dict[PathKey, int] | None = None
    ) -> None:
        self.doc = doc
        self.path = path
        self.lines = lines or {}
        self.cache: MemoryCache = MemoryCache()
        self.last_result: RunResult | None = None

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    @classmethod
    def load(cls, path: str | Path) -> Workflow:
        doc, lines = read_document(path)
        wf = cls(doc, Path(path).resolve(), lines)
        wf.compile()  # loop wiring problems are load problems too
        return wf

    @classmethod
    def from_text(
        cls, text: str | bytes, base_dir: str | Path | None = None, file: str = "<text>"
    ) -> Workflow:
        """A workflow from YAML text (or the bytes of a file: UTF-8, checked as `load` checks them)."""
        if isinstance(text, bytes):
            try:
                text = decode_document(text)
            except YamlSyntaxError as exc:
                raise WorkflowLoadError([Problem(file, exc.line, str(exc))]) from None
        doc, lines, problems = parse_document(text, file)
        folder = Path(base_dir or Path.cwd()).resolve()
        if doc is not None:
            doc, lines, problems = checked(doc, lines, file, folder)
        if problems:
            raise WorkflowLoadError(problems)
        assert doc is not None
        wf = cls(doc, folder / file, lines)
        wf.compile()
        return wf

    def compile(self) -> CompiledWorkflow:
        try:
            return CompiledWorkflow(self.doc, self.base_dir)
        except GraphError as exc:
            line = None
            if exc.node_id is not None:
                for i, n in enumerate(self.doc.nodes):
                    if n.id == exc.node_id:
                        line = self.lines.get(("nodes", i))
            raise WorkflowLoadError(
                [Problem(str(self.path or "<workflow>"), line, str(exc), exc.node_id)]
            ) from None

    def save(self, path: str | Path | None = None) -> None:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("no path to save to")
        write_document(self.doc, target)

    def validate(self, variables: dict[str, Any] | None = None) -> dict[int, NodeStatus]:
        """Check and propagate configure-time specs; returns each node's state, specs and error."""
        problems = check(self.doc, self.lines, str(self.path or "<workflow>"))
        if problems:
            raise WorkflowLoadError(problems)
        return Execution(self.compile(), variables=variables).configure()

    def set_setting(self, node_id: int, name: str, value: Any) -> None:
        node = self.doc.node(node_id)
        node.settings = {**node.settings, name: value}

    def run(
        self,
        *,
        seed: int | None = None,
        variables: dict[str, Any] | None = None,
        until: int | None = None,
        cache_dir: str | Path | None = None,
        listener: Listener | None = None,
        workers: int | None = None,
        cancel_event: threading.Event | None = None,
        executor: str | PassExecutor | None = None,
    ) -> RunResult:
        """`executor`: where planned loop passes run — None (forked workers, as `workers` says),
        `dask://host:8786` (a Dask cluster), `dask-local` (a local Dask cluster of `workers`
        processes) or a `PassExecutor`."""
        import time

        if cache_dir is not None and not isinstance(self.cache, DiskCache):
            self.cache = DiskCache(cache_dir)
        compiled = self.compile()
        own_executor = pass_executor_for(executor, workers) if isinstance(executor, str) else None
        execution = Execution(
            compiled,
            variables=variables,
            seed=seed,
            cache=self.cache,
            listener=listener,
            workers=workers,
            cancel_event=cancel_event,
            pass_executor=own_executor if isinstance(executor, str) else executor,
        )
        t0 = time.perf_counter()
        try:
            status = execution.run(until=until)
        finally:
            if own_executor is not None:
                own_executor.close()
        result = RunResult(
            self.doc.name,
            status,
            time.perf_counter() - t0,
            execution.root_vars.as_dict(),
            compiled,
            warnings=[*self.doc.container_warnings, *self.cache.warnings],
            cancelled=execution.cancel_event.is_set(),
        )
        self.last_result = result
        return result
