"""A node's dialog in one session: its settings with schema and defaults, the specs at its inputs,
the flow variables it can use, and a trial configure of settings being edited."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import networkx as nx

from engine.api import UNKNOWN, Category, ConfigureError, Table, TableSpec
from engine.core.document import WorkflowDoc, node_ports
from engine.core.editing import validate_settings
from engine.core.metanodes import CONTAINER_TYPES
from engine.core.registry import registry
from engine.core.scheduler import EXECUTED, CompiledWorkflow
from engine.core.variables import VarStack
from engine.editor.containers import container_dialog, find_entry, flattened, validate_container
from engine.editor.errors import ApiError
from engine.editor.graph import workflow_graph
from engine.editor.widgets import with_widgets

if TYPE_CHECKING:
    from engine.editor.session import Session


class NodeDialogs:
    """The node dialogs of one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _graph_doc(self) -> WorkflowDoc:
        """The document as it runs (containers flattened): inner nodes' inputs and predecessors."""
        s = self.session
        flat = flattened(s, s.editor.doc)
        return flat.doc if flat is not None else s.editor.doc

    def in_specs(self, n: int) -> list[Any]:
        """The table spec at each input port of node `n` (None where nothing configured is connected)."""
        s = self.session
        doc = self._graph_doc()
        try:
            entry = doc.node(n)
        except KeyError:
            return []
        cls = registry.get(entry.type)
        specs: list[Any] = []
        if cls is None:
            return specs
        inputs, _ = node_ports(cls, entry.settings)  # a node may declare its ports per instance
        for p in range(1, len(inputs) + 1):
            src = next((c for c in doc.connections if c.dest == n and c.dest_port == p), None)
            spec = None
            if src is not None:
                st = s.statuses.get(src.source)
                if st is not None and src.source_port - 1 < len(st.specs):
                    out_spec = st.specs[src.source_port - 1]
                    spec = out_spec.to_json() if isinstance(out_spec, TableSpec) else None
            specs.append(spec)
        return specs

    def available_variables(self, n: int) -> list[dict[str, Any]]:
        """The workflow's variables, a component's options, and those executed predecessors expose."""
        s = self.session
        doc = self._graph_doc()
        graph = workflow_graph(doc)
        out: dict[str, dict[str, Any]] = {}
        scope = doc.node(n).scope_variables if n in graph else {}
        for name, value in VarStack.of({**s.editor.doc.variables, **scope}).to_json().items():
            out[name] = {"name": name, **value}
        for a in sorted(nx.ancestors(graph, n)) if n in graph else []:
            st = s.statuses.get(a)
            if st is not None and st.state == EXECUTED:
                for name, value in st.variables.to_json().items():
                    out[name] = {"name": name, **value}
        return list(out.values())

    def dialog(self, n: int) -> dict[str, Any]:
        s = self.session
        with s.lock:
            entry = find_entry(s.editor.doc, n)
            if entry.type in CONTAINER_TYPES:
                return container_dialog(s, n, entry)
            cls = registry.get(entry.type)
            if cls is None:
                raise ApiError(422, f"unknown node type {entry.type!r}")
            try:
                defaults = cls.Settings().model_dump(mode="json", by_alias=True)
            except Exception:
                defaults = {}
            return {
                "id": n,
                "local": entry.id,
                "type": entry.type,
                "display_name": cls.display_name or entry.type,
                "description": cls.description,
                "name": entry.name,
                "annotation": entry.annotation,
                "schema": with_widgets(cls.Settings.model_json_schema(), cls.path_settings),
                "settings": entry.settings,
                "defaults": defaults,
                "use_variables": entry.use_variables,
                "expose_variables": entry.expose_variables,
                "path_settings": list(cls.path_settings),
                "preview": cls.category == Category.SOURCE and all(p.optional for p in cls.inputs),
                "in_specs": self.in_specs(n),
                "variables": self.available_variables(n),
                "status": s.status_json(n),
                "data_dirs": [str(d) for d in s.workspace.data_dirs],
                "workflow_dir": str(s.path.parent),
            }

    def preview(self, n: int, settings: dict[str, Any], rows: int = 10) -> dict[str, Any]:
        """A reader's first rows with the settings being edited: the node alone, run on a copy of
        the document (paths confined as in a run); nothing of the workflow changes."""
        s = self.session
        with s.lock:
            entry = find_entry(s.editor.doc, n)
            cls = registry.get(entry.type)
            if cls is None or cls.category != Category.SOURCE or any(not p.optional for p in cls.inputs):
                raise ApiError(400, "only readers without inputs have a preview")
            if validate_settings(entry.type, settings):
                return {"error": "the settings are not valid yet"}
            doc = s.editor.doc.model_copy(deep=True)
            trial = find_entry(doc, n)
            trial.settings, trial.id = dict(settings), n
            doc.nodes = [trial]
            doc.connections = []
        try:
            ex = s.execution(CompiledWorkflow(doc, s.path.parent))
            status = ex.run()[n]
        except Exception as exc:  # shown in the dialog, like a configure error
            return {"error": f"{type(exc).__name__}: {exc}"}
        if status.error:
            return {"error": status.error}
        table = next((o for o in status.outputs if isinstance(o, Table)), None)
        if table is None:
            return {"error": "the reader gave no table"}
        head = table.df.head(rows)
        return {
            "columns": [{"name": c.name, "type": c.type} for c in table.spec.columns],
            "rows": [[_cell(v) for v in row] for row in head.itertuples(index=False)],
            "row_ids": [str(i) for i in head.index],
            "total_rows": len(table),
        }

    def validate(
        self, n: int, settings: dict[str, Any], use_variables: dict[str, str] | None
    ) -> dict[str, Any]:
        """Settings being edited, checked against the schema and then configured on a copy of the
        document (the workflow itself is not changed)."""
        s = self.session
        with s.lock:
            entry = find_entry(s.editor.doc, n)
            if entry.type in CONTAINER_TYPES:
                return validate_container(s, n, settings)
            errors = validate_settings(entry.type, settings)
            if errors:
                return {"errors": errors, "configure_error": None}
            doc = s.editor.doc.model_copy(deep=True)
            trial = find_entry(doc, n)
            trial.settings = dict(settings)
            if use_variables is not None:
                trial.use_variables = dict(use_variables)
        statuses, _ = s.configure_states(doc)
        st = statuses.get(n)
        err = None
        if st is not None and st.error:
            err = {"message": st.error, "setting": st.setting}
            if st.error.startswith("required input port"):
                err = _settings_only_problem(entry.type, settings) or err
        specs = [o.to_json() if isinstance(o, TableSpec) else None for o in (st.specs if st else [])]
        return {"errors": [], "configure_error": err, "out_specs": specs}


def _cell(v: Any) -> Any:
    """A table cell as JSON (missing as null)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, bool | int | float | str):
        return v
    try:
        return v.item()  # numpy scalars
    except AttributeError:
        return str(v)


def _settings_only_problem(node_type: str, settings: dict[str, Any]) -> dict[str, Any] | None:
    """What a node that cannot configure yet (an input is not connected) finds wrong in its settings
    alone: its configure asked with unknown inputs, as the expression nodes parse their formulas
    before they look at the input (so a syntax error shows while typing, connected or not)."""
    cls = registry.get(node_type)
    if cls is None:
        return None
    try:
        parsed = cls.Settings.model_validate(settings)
        cls().configure([UNKNOWN] * len(cls.inputs), parsed, None)  # type: ignore[arg-type]
    except ConfigureError as exc:
        return {"message": str(exc), "setting": exc.setting}
    except Exception:  # anything else needs the inputs (or a context): nothing to say yet
        return None
    return None
