"""The node API: everything a node module may import from the engine.

A node type is a subclass of `Node` that declares its ports and a pydantic `Settings` model and
implements `execute` (and optionally `configure`). Nodes never see the scheduler: everything they
need at run time comes through the `NodeContext` they are handed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict

from engine.api.knime import KnimeMapping
from engine.core.sparse_table import SparseBlock, SparseTable
from engine.core.table import ColumnSpec, ColumnType, Table, TableSpec, row_ids
from engine.core.yamlio import atomic_write

__all__ = [
    "Cancelled",
    "Category",
    "ColumnSpec",
    "ColumnType",
    "ConfigureError",
    "FlowVariable",
    "Iteration",
    "LoopEndNode",
    "STOP_LOOP",
    "LoopStartNode",
    "Model",
    "ModelSpec",
    "Node",
    "NodeContext",
    "NodeError",
    "NodeSettings",
    "Port",
    "PortType",
    "SparseBlock",
    "SparseTable",
    "Table",
    "TableSpec",
    "MODEL",
    "TABLE",
    "INACTIVE",
    "CaughtFailure",
    "FailedBranch",
    "UNKNOWN",
    "VARIABLES",
    "VARIABLE_REFERENCE",
    "VIEW",
    "View",
    "atomic_write",
    "is_inactive",
    "caught_failure",
    "picture_format",
    "placeholder_value",
    "port_spec",
    "row_ids",
    "unique_column_name",
    "variable_type",
    "HIDDEN_VARIABLE_TYPE",
    "widget",
]


# --------------------------------------------------------------------------------------------- ports


@dataclass(frozen=True)
class PortType:
    """A kind of port object. `id` values form a hierarchy by dots: an input of type `model`
    accepts any `model.*` output, an input of type `model.normalizer` only that one."""

    id: str
    label: str
    color: str = "#1a1a1a"
    shape: str = "triangle"  # triangle (data), square (models, other objects), circle (variables)

    def accepts(self, other: PortType) -> bool:
        return other.id == self.id or other.id.startswith(self.id + ".")

    # registry of extension port types, filled by `PortType.register`
    _registry: ClassVar[dict[str, PortType]] = {}
    # the built-in kinds (also exported as TABLE, MODEL, VARIABLES, VIEW)
    TABLE: ClassVar[PortType]
    MODEL: ClassVar[PortType]
    VARIABLES: ClassVar[PortType]
    VIEW: ClassVar[PortType]

    @classmethod
    def register(cls, port_type: PortType) -> PortType:
        cls._registry[port_type.id] = port_type
        return port_type

    @classmethod
    def all(cls) -> dict[str, PortType]:
        return dict(cls._registry)


TABLE = PortType.TABLE = PortType.register(PortType("table", "Data table"))
MODEL = PortType.MODEL = PortType.register(PortType("model", "Model", "#2e7dd1", "square"))
VARIABLES = PortType.VARIABLES = PortType.register(
    PortType("variables", "Flow variables", "#d11f1f", "circle")
)
VIEW = PortType.VIEW = PortType.register(PortType("view", "Image", "#4d9e4d", "square"))


@dataclass(frozen=True)
class Port:
    type: PortType
    name: str
    description: str = ""
    optional: bool = False


# -------------------------------------------------------------------------------------- port objects


@dataclass(frozen=True)
class ModelSpec:
    """What a model port promises before anything runs (KNIME's model PortObjectSpec): a learner
    returns it from `configure` and attaches it to its `Model`; a predictor reads it in its own
    `configure` to check the columns and name what it will append, so a workflow is checked
    end to end before it executes."""

    kind: str
    learning_columns: TableSpec = field(default_factory=TableSpec)
    target: ColumnSpec | None = None
    details: Mapping[str, Any] = field(default_factory=dict)  # e.g. class values, created column names


@dataclass
class Model:
    """A learner's output: any Python object plus a short summary for views and run.json."""

    kind: str
    payload: Any
    summary: str = ""
    spec: Any = None  # a ModelSpec (older nodes: any object a predictor needs at configure time)

    def __repr__(self) -> str:
        return f"Model({self.kind}: {self.summary})"


class View:
    """A picture or a table shown by a view node.

    A picture can be given as `render`, a function drawing it: like KNIME, which draws a view only
    when someone opens it, the drawing then happens on first access, so a plot inside a loop body
    costs nothing in the iterations nobody looks at (and `knitflow run --views none` draws nothing).
    A render function draws in `picture_format()` when it can (the shared figure helpers do) and may
    return PNG bytes regardless; the bytes say which. Pickling draws the PNG first (a forked loop
    worker hands back bytes, not a closure).
    """

    __slots__ = ("_pictures", "_render", "table", "title")

    def __init__(
        self,
        png: bytes | None = None,
        title: str = "",
        table: Table | None = None,
        render: Callable[[], bytes] | None = None,
        svg: bytes | None = None,
    ) -> None:
        self._pictures: dict[str, bytes] = {}
        if png is not None:
            self._pictures["png"] = png
        if svg is not None:
            self._pictures["svg"] = svg
        self._render = render if not self._pictures else None
        self.title = title
        self.table = table

    @property
    def has_picture(self) -> bool:
        """Whether the view is a picture, without drawing it."""
        return self._render is not None or bool(self._pictures)

    @property
    def png(self) -> bytes | None:
        drawn = self.picture("png")
        return drawn[0] if drawn is not None and drawn[1] == "png" else None

    def picture(self, fmt: str = "png") -> tuple[bytes, str] | None:
        """The picture as (bytes, format): in `fmt` ("png" or "svg") when the view can draw it,
        else in the format it has (a script's raster image stays a PNG)."""
        if self.needs_drawing(fmt):
            token = _PICTURE_FORMAT.set(fmt)
            try:
                data = self._render()  # type: ignore[misc]
            finally:
                _PICTURE_FORMAT.reset(token)
            self.keep_picture(data, fmt)
        if fmt in self._pictures:
            return self._pictures[fmt], fmt
        if self._pictures:
            kind, data = next(iter(self._pictures.items()))
            return data, kind
        return None

    def needs_drawing(self, fmt: str) -> bool:
        """Whether `picture(fmt)` would draw now (nothing in that format yet, and a render)."""
        return fmt not in self._pictures and self._render is not None

    def keep_picture(self, data: bytes, fmt: str) -> None:
        """Keep `data`, drawn when `fmt` was asked (here or by a process drawing for this one)."""
        drawn = _format_of(data)
        self._pictures[drawn] = data
        if "png" in (fmt, drawn):
            self._render = None  # a PNG is all it will ever draw

    def __getstate__(self) -> dict[str, Any]:
        return {"png": self.png, "title": self.title, "table": self.table, "svg": self._pictures.get("svg")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"View({self.title!r})"


_PICTURE_FORMAT: ContextVar[str] = ContextVar("knitflow_picture_format", default="png")


def picture_format() -> str:
    """The format a view being drawn now is asked for: "png" or "svg" (`knitflow run --views`)."""
    return _PICTURE_FORMAT.get()


def _format_of(data: bytes) -> str:
    return "png" if data.startswith(b"\x89PNG") else "svg"


def port_spec(obj: Any) -> Any:
    """What `configure` sees of an executed port object: a table's spec, a model's `ModelSpec`
    (the model itself for nodes that attach none), UNKNOWN for an absent object."""
    if isinstance(obj, Table):
        return obj.spec
    if isinstance(obj, Model):
        return obj.spec if isinstance(obj.spec, ModelSpec) else obj
    if obj is None:
        return UNKNOWN
    return obj


class _Unknown:
    """Configure-time marker: the output's shape is known only after execution."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


class InactiveBranch:
    """KNIME's inactive branch: what a switch (IF Switch, CASE Switch, Empty Table Switch) sends down
    the ports it does not take, as object and as spec. A node given one on any input is not
    executed and hands it on at every output, unless it `consumes_inactive` (End IF, CASE end)."""

    _instance: ClassVar[InactiveBranch | None] = None

    def __new__(cls) -> InactiveBranch:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __reduce__(self) -> tuple[type[InactiveBranch], tuple[()]]:
        return (InactiveBranch, ())  # one object, also after a trip to a worker process or the cache

    def __repr__(self) -> str:
        return "INACTIVE"


INACTIVE: Any = InactiveBranch()


@dataclass(frozen=True)
class CaughtFailure:
    """A node's failure inside a try-catch scope (KNIME's FlowTryCatchContext): what the Catch
    node reports in its FailingNode* variables."""

    node: str  # the failing node's name and id
    message: str
    details: str = ""
    stacktrace: str = ""


class FailedBranch:
    """The inactive branch a failure inside a try-catch scope leaves: inactive like INACTIVE, and
    carrying the failure down to the scope's Catch node."""

    __slots__ = ("failure",)

    def __init__(self, failure: CaughtFailure) -> None:
        self.failure = failure

    def __reduce__(self) -> tuple[type[FailedBranch], tuple[CaughtFailure]]:
        return (FailedBranch, (self.failure,))

    def __repr__(self) -> str:
        return f"INACTIVE (failed: {self.failure.node})"


def is_inactive(obj: Any) -> bool:
    return obj is INACTIVE or isinstance(obj, FailedBranch)


def caught_failure(objs: Iterable[Any]) -> CaughtFailure | None:
    """The failure the first failed branch among `objs` carries, if any."""
    return next((o.failure for o in objs if isinstance(o, FailedBranch)), None)


# ------------------------------------------------------------------------------------ flow variables


@dataclass(frozen=True)
class FlowVariable:
    name: str
    value: Any
    type: str  # Integer, Long, Double, String, Boolean, Path


HIDDEN_VARIABLE_TYPE = "(hidden)"  # the type of a hiding entry: NodeContext.hide_variable


def placeholder_value(type_name: str) -> Any:
    """The value a variable of a type has at configure time, before its real value exists."""
    return {"Integer": 0, "Long": 0, "Double": 0.0, "Boolean": False}.get(type_name, "")


def variable_type(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "Boolean"
    if isinstance(value, int | np.integer):
        return "Integer" if -(2**31) <= int(value) < 2**31 else "Long"
    if isinstance(value, float | np.floating):
        return "Double"
    if isinstance(value, Path):
        return "Path"
    return "String"


# ------------------------------------------------------------------------------------------ settings


class NodeSettings(BaseModel):
    """Base of every node's settings model: unknown keys are errors, so typos surface at load time."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=True)


def widget(kind: str, **options: Any) -> dict[str, Any]:
    """How the editor's dialog shows a setting, declared rather than guessed from its name:
    `Field(..., json_schema_extra=widget("formula", language="jep"))`. Kinds: column, columns,
    new_column, formula (language, functions), file, text, multiline; `advanced=True` puts the
    setting in the dialog's Advanced section. Enumerations are choices without a declaration."""
    return {"widget": kind, **options}


class NoSettings(NodeSettings):
    pass


# ------------------------------------------------------------------------------------------- errors


class NodeError(Exception):
    """A failure a user can fix; `setting` names the offending setting when there is one."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting


class Cancelled(Exception):
    """Raised inside a node when the user cancelled the run; a node that catches broad exceptions
    (a script runner) must let it through."""


class ConfigureError(NodeError):
    """Raised by `configure` when the input specs do not fit the settings (KNIME's red light)."""


# ------------------------------------------------------------------------------------------ context


class NodeContext(Protocol):
    """What the engine lends a node while it configures or executes."""

    node_id: int
    iteration: int | None

    @property
    def variables(self) -> Mapping[str, Any]: ...

    def variable(self, name: str, default: Any = ...) -> Any: ...

    def push_variable(self, name: str, value: Any, type: str | None = None) -> None: ...

    def hide_variable(self, name: str) -> None:
        """Downstream, `name` is no longer defined in this scope (KNIME's hiding variable): what an
        enclosing scope (an outer loop) defined under that name shows again."""
        ...

    def seed(self, own_seed: int | None = None) -> int:
        """The seed to use: the node's own if given, else one derived from the run seed, else random."""
        ...

    def rng(self, own_seed: int | None = None) -> np.random.Generator: ...

    def progress(self, fraction: float, message: str = "") -> None: ...

    def check_cancelled(self) -> None: ...

    def log(self, message: str) -> None: ...

    def warn(self, message: str) -> None:
        """KNIME's yellow warning: the node ran, but its user should read this (shown on the node,
        in the run summary and in run.json)."""
        ...

    @property
    def scratch_dir(self) -> Path: ...

    @property
    def workers(self) -> int: ...

    def resource(
        self, key: str, factory: Callable[[], Any], close: Callable[[Any], None] | None = None
    ) -> Any:
        """A run-wide shared resource (e.g. a Spark session), created once and closed when the run ends."""
        ...

    def loop_store(self) -> dict[str, Any] | None:
        """Objects to reuse from one loop pass to the next (e.g. a buffer each pass refills instead of
        mapping fresh memory): a dict of this thread's that lives until the innermost loop running the
        node ends (in a forked worker: until the worker runs out of passes). None outside loops."""
        ...

    def while_waiting(self) -> None:
        """Say that this node now only waits for processes it has started (call it after they
        started): the engine may use the core it leaves idle, e.g. to import the libraries that
        later nodes of the run name in their `preload` (13_01: scikit-learn during the
        fingerprinting). Returns when that is done; a no-op where there is nothing to do."""
        ...


# --------------------------------------------------------------------------------------------- nodes


class Category(enum.StrEnum):
    """KNIME's node categories; the editor colours nodes by them."""

    SOURCE = "source"
    SINK = "sink"
    MANIPULATOR = "manipulator"
    LEARNER = "learner"
    PREDICTOR = "predictor"
    VISUALIZER = "visualizer"
    SCORER = "scorer"
    LOOP_START = "loop start"
    LOOP_END = "loop end"
    SCRIPT = "script"
    OTHER = "other"


class Node:
    """Base class of node types. Subclasses set the class attributes and implement `execute`.

    `execute(inputs, settings, ctx)` receives one object per declared input port (None for an
    unconnected optional port) and returns one object per declared output port. A port of type
    `variables` returns None: its variables are the ones pushed through `ctx.push_variable`.
    """

    type_name: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    category: ClassVar[Category] = Category.OTHER
    description: ClassVar[str] = ""
    keywords: ClassVar[tuple[str, ...]] = ()
    # the KNIME nodes this type stands for, with their settings translation (engine.api.knime)
    knime: ClassVar[tuple[KnimeMapping, ...]] = ()
    inputs: ClassVar[tuple[Port, ...]] = ()
    outputs: ClassVar[tuple[Port, ...]] = ()
    Settings: ClassVar[type[NodeSettings]] = NoSettings
    version: ClassVar[int] = 1
    # settings that hold paths: relative values are resolved against the workflow's folder
    path_settings: ClassVar[tuple[str, ...]] = ()
    # modules `execute` imports that take long to import (scikit-learn: ~1 s): the engine may
    # import them early, on a core an earlier node leaves idle (`NodeContext.while_waiting`)
    preload: ClassVar[tuple[str, ...]] = ()
    # KNIME's InactiveBranchConsumer: configure and execute see INACTIVE inputs (End IF, CASE
    # ends); any other node with an INACTIVE input is skipped and passes INACTIVE on
    consumes_inactive: ClassVar[bool] = False
    # KNIME's try-catch scopes: a node that fails below a node that `opens_try_scope` (Try) and
    # above one that `closes_try_scope` (Catch) does not fail the run; its outputs become a
    # FailedBranch, an inactive branch that carries the failure to the Catch
    opens_try_scope: ClassVar[bool] = False
    closes_try_scope: ClassVar[bool] = False

    @classmethod
    def ports_for(
        cls, settings: Mapping[str, Any] | None = None
    ) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
        """The (inputs, outputs) of one node of this type with these settings (the raw, not yet
        validated mapping of its document entry): the class's `inputs`/`outputs`. A type whose
        ports depend on its settings (an imported KNIME placeholder keeps the KNIME node's ports)
        overrides it; it must not raise on settings it cannot read."""
        return cls.inputs, cls.outputs

    @classmethod
    def for_settings(cls, settings: Mapping[str, Any] | None = None) -> Node:
        """An instance whose `inputs`/`outputs` are `ports_for(settings)` (the class's, unless the
        type declares ports per instance)."""
        node = cls()
        inputs, outputs = cls.ports_for(settings)
        if inputs is not cls.inputs or outputs is not cls.outputs:
            vars(node).update(inputs=tuple(inputs), outputs=tuple(outputs))
        return node

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        """Output specs from input specs (TableSpec for tables, UNKNOWN when data decides)."""
        return [UNKNOWN for _ in self.outputs]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        raise NotImplementedError

    def configure_variables(self, in_specs: list[Any], settings: Any) -> dict[str, str] | None:
        """The flow variables `execute` will push, by name and type, known before anything runs
        (KNIME pushes them at configure time) so that bindings after this node are checked; None
        when only a run can tell (a script)."""
        return {}

    def is_deterministic(self, settings: Any) -> bool:
        """False for a randomised node without a seed of its own: it is then never served from cache
        unless the run has a seed."""
        return True

    def uses_run_seed(self, settings: Any) -> bool:
        """True when the node would draw its seed from the run (so the run seed enters its cache key)."""
        return not self.is_deterministic(settings)

    # What a node touches outside its ports (ComfyUI's IS_CHANGED idea): the engine fingerprints
    # these files (size, modification time, content hash) into the node's cache key.

    def reads(self, settings: Any) -> list[str]:
        """Files the node reads besides its inputs (resolved paths): a changed file is read again.
        Readers (category SOURCE) read their path settings."""
        if self.category != Category.SOURCE:
            return []
        return [v for name in self.path_settings if isinstance(v := getattr(settings, name, None), str) and v]

    def writes(self, settings: Any) -> list[str]:
        """Files the node writes: its cached result stands only while they are as it left them.
        Writers (category SINK) write their path settings."""
        if self.category != Category.SINK:
            return []
        return [v for name in self.path_settings if isinstance(v := getattr(settings, name, None), str) and v]

    def cacheable(self, settings: Any) -> bool:
        """False for a node whose result depends on the world in ways it cannot fingerprint (a script
        may read anything; a Spark frame lives in a session that ends with the run)."""
        return True


@dataclass
class Iteration:
    """What a loop start emits for one iteration: its port objects and the loop-local variables."""

    outputs: list[Any]
    variables: dict[str, Any] = field(default_factory=dict)
    total: int | None = None  # the most passes an open-ended loop will make (shown as "iteration i of n")


class _StopLoop:
    def __repr__(self) -> str:
        return "STOP_LOOP"


# What a deciding loop end's `collect` returns to end the loop after the current pass.
STOP_LOOP: Any = _StopLoop()


class LoopStartNode(Node):
    """A loop head. `iterations` yields one `Iteration` per pass; the value the generator is sent
    back is the feedback of the loop end for the previous pass (e.g. an objective value), so
    adaptive searches can steer. Loops whose passes are known in advance may also implement
    `plan`, which lets the engine run the body's passes in parallel. An `open_ended` start
    (KNIME's Generic Loop Start) yields passes until its loop end decides to stop."""

    category: ClassVar[Category] = Category.LOOP_START
    open_ended: ClassVar[bool] = False

    def check_end(self, end: LoopEndNode) -> None:
        """Raise NodeError when `end` cannot close this loop: KNIME's starts that need their own
        kind of end (Parallel Chunk Start) refuse any other."""

    def iterations(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> Iterator[Iteration]:
        raise NotImplementedError

    def loop_variables(self, in_specs: list[Any], settings: Any) -> dict[str, str] | None:
        """The loop variables each pass will set, by name and type, known before anything runs (KNIME
        pushes them at configure time) so bindings in the body are checked; None: not known."""
        return None

    def plan(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Iteration] | None:
        return None

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        raise TypeError("loop starts are driven through iterations()")


class LoopEndNode(Node):
    """A loop tail: `collect` is called once per pass with the body's outputs and returns the
    feedback sent to the loop start; `finish` returns the node's outputs after the last pass.
    A loop end that `decides_end` (KNIME's Variable Condition Loop End) may return `STOP_LOOP`
    from `collect` to end the loop early, so its passes always run one after the other."""

    category: ClassVar[Category] = Category.LOOP_END
    decides_end: ClassVar[bool] = False

    def check_start(self, start: LoopStartNode) -> None:
        """Raise NodeError when this end cannot close a loop opened by `start`: KNIME's loop ends
        that feed their own kind of loop start (the Recursive Loop End) refuse any other."""

    def begin(self, settings: Any, ctx: NodeContext) -> Any:
        return []

    def collect(self, state: Any, inputs: list[Any], settings: Any, ctx: NodeContext) -> Any:
        state.append(inputs)
        return None

    def finish(self, state: Any, settings: Any, ctx: NodeContext) -> list[Any]:
        raise NotImplementedError

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        raise TypeError("loop ends are driven through begin/collect/finish")


# ------------------------------------------------------------------------------------ node helpers

# `${name}` in a setting's text: replaced by the workflow or flow variable `name` before the node runs.
# Not `$${Dname}$$`: that is KNIME's own flow-variable syntax in Math Formula / Rule Engine text.
VARIABLE_REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def unique_column_name(existing: Iterable[str], name: str) -> str:
    """KNIME's `DataTableSpec.getUniqueColumnName`: `name`, else `name (#1)`, `name (#2)`, ..."""
    taken = existing if isinstance(existing, set | frozenset | dict) else set(existing)
    if name not in taken:
        return name
    i = 1
    while f"{name} (#{i})" in taken:
        i += 1
    return f"{name} (#{i})"
