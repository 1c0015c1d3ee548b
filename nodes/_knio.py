"""A compatibility layer for KNIME's `knime.scripting.io` module, so that the scripts of KNIME's
Python Script and Python View nodes run unchanged.

The module exists only while a script runs: `run_script` puts fresh `knime`, `knime.scripting`
and `knime.scripting.io` modules (and the older alias `knime_io`) into `sys.modules`, executes
the script and restores whatever was there before. The module, stdout/stderr redirection and
matplotlib's pyplot state are process-wide, so scripts run one at a time under a lock.

Table conventions follow KNIME's Python API (knime-python `knime/api/table.py`): `to_pandas()`
gives a DataFrame indexed by RowID; `Table.from_pandas(df, row_ids="auto")` turns an integer
index i into RowID `Row<i>` and keeps any other index as text; column names become strings.
"""

from __future__ import annotations

import builtins
import io
import math
import os
import sys
import traceback
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.api import Cancelled, NodeContext, NodeError
from engine.api import Table as EngineTable
from engine.api import row_ids as make_row_ids
from nodes._common import MATPLOTLIB_LOCK
from nodes._knio_frames import KnioError, pandas_to_table, table_to_pandas

_LOCK = MATPLOTLIB_LOCK  # scripts share the process-wide pyplot state with the plot nodes
SCRIPT_FILENAME = "<script>"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------------------ tables


class Table:
    """`knio.Table`: an input table (wrapping the node's input) or an output made from pandas."""

    def __init__(self, table: EngineTable) -> None:
        self._table = table

    # constructors (KNIME API)
    @classmethod
    def from_pandas(
        cls, data: pd.DataFrame, sentinel: str | int | None = None, row_ids: str = "auto"
    ) -> Table:
        return cls(pandas_to_table(data, sentinel, row_ids))

    @classmethod
    def from_pyarrow(cls, data: Any, sentinel: str | int | None = None, row_ids: str = "auto") -> Table:
        frame = data.to_pandas()
        if row_ids == "auto" and len(frame.columns) and frame.columns[0] in ("<RowID>", "<Row Key>"):
            frame = frame.set_index(frame.columns[0])
            row_ids = "keep"
        return cls(pandas_to_table(frame, sentinel, row_ids))

    # accessors
    def to_pandas(self, sentinel: str | int | None = None) -> pd.DataFrame:
        return table_to_pandas(self._table, sentinel)

    def to_pyarrow(self, sentinel: str | int | None = None) -> Any:
        try:
            import pyarrow as pa
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise KnioError("to_pyarrow needs the pyarrow package (pip install pyarrow)") from exc
        df = self.to_pandas(sentinel)
        df.insert(0, "<RowID>", list(df.index))
        return pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False)

    def batches(self) -> Iterator[Table]:
        yield self

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(self._table.columns)

    @property
    def num_rows(self) -> int:
        return len(self._table)

    @property
    def num_columns(self) -> int:
        return len(self._table.columns)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.num_rows, self.num_columns)

    @property
    def schema(self) -> dict[str, str]:
        return dict(self._table.types)

    def __len__(self) -> int:
        return self.num_rows

    def __getitem__(self, key: Any) -> Table:
        """KNIME's slicing: `table[rows]`, `table[rows, columns]` with slices, names or indices."""
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        df = self._table.df
        if isinstance(cols, str | int):
            cols = [cols]
        if isinstance(cols, slice):
            names = list(df.columns)[cols]
        else:
            names = [df.columns[c] if isinstance(c, int) else c for c in cols]
        missing = [n for n in names if n not in df.columns]
        if missing:
            raise KeyError(f"no column {missing[0]!r} (columns: {list(df.columns)})")
        if not isinstance(rows, slice):
            raise TypeError("rows can only be selected with a slice, e.g. table[0:10]")
        part = df.iloc[rows][names]
        return Table(EngineTable(part, {n: self._table.types[n] for n in names}))

    def __repr__(self) -> str:
        return f"knio.Table({self.num_rows} rows, columns={list(self.column_names)})"


class BatchOutputTable:
    """`knio.BatchOutputTable`: an output assembled from batches (concatenated here)."""

    def __init__(self, row_ids: str = "keep") -> None:
        self._batches: list[EngineTable] = []
        self._row_ids = row_ids

    @classmethod
    def create(cls, row_ids: str = "keep") -> BatchOutputTable:
        return cls(row_ids)

    @classmethod
    def from_batches(cls, generator: Any, row_ids: str = "generate") -> BatchOutputTable:
        out = cls(row_ids)
        for batch in generator:
            out.append(batch)
        return out

    def append(self, batch: Any) -> None:
        if isinstance(batch, Table):
            self._batches.append(batch._table)
        elif isinstance(batch, pd.DataFrame):
            self._batches.append(
                pandas_to_table(batch, row_ids="keep" if self._row_ids == "keep" else "auto")
            )
        else:
            self._batches.append(Table.from_pyarrow(batch)._table)

    @property
    def num_batches(self) -> int:
        return len(self._batches)

    def to_table(self) -> EngineTable:
        if not self._batches:
            raise KnioError("BatchOutputTable has no batches")
        first = self._batches[0]
        for b in self._batches[1:]:
            if b.columns != first.columns:
                raise KnioError(f"batches have different columns: {first.columns} vs {b.columns}")
        df = pd.concat([b.df for b in self._batches])
        if self._row_ids == "generate":
            df.index = make_row_ids(len(df))
        elif df.index.has_duplicates:
            raise KnioError(f"duplicate RowID {df.index[df.index.duplicated()][0]!r} across batches")
        return EngineTable(df, dict(first.types))


def output_table(value: Any, index: int) -> EngineTable:
    """What a script assigned to `knio.output_tables[index]`, as an engine table."""
    if isinstance(value, Table):
        return value._table
    if isinstance(value, BatchOutputTable):
        return value.to_table()
    if isinstance(value, pd.DataFrame):  # KNIME insists on knio.Table; a DataFrame is taken as from_pandas
        return pandas_to_table(value)
    raise KnioError(
        f"knio.output_tables[{index}] holds a {type(value).__name__}; assign knio.Table.from_pandas(df)"
    )


# ------------------------------------------------------------------------------------------- views


@dataclass
class NodeView:
    """`knio.NodeView`: what a view node shows. knitflow renders PNG; SVG/HTML are kept as text."""

    png: bytes | None = None
    svg: str | None = None
    html: str | None = None

    def render_png(self) -> bytes:
        if self.png is not None:
            return self.png
        kind = "SVG" if self.svg is not None else "HTML"
        raise KnioError(
            f"knitflow shows views as PNG images; this script produced {kind}. Use knio.view_matplotlib(), "
            "knio.view(fig) with a matplotlib figure or knio.view_png(bytes)"
        )


def _figure_png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def view_matplotlib(fig: Any = None, format: str = "png") -> NodeView:
    """The given figure, or pyplot's current one."""
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.gcf()
    if format == "svg":
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
        return NodeView(svg=buf.getvalue(), png=_figure_png(fig))
    return NodeView(png=_figure_png(fig))


def view_seaborn() -> NodeView:
    return view_matplotlib()


def view_png(data: bytes) -> NodeView:
    if not isinstance(data, bytes | bytearray) or not bytes(data).startswith(_PNG_MAGIC):
        raise KnioError("view_png needs the bytes of a PNG image")
    return NodeView(png=bytes(data))


def view_jpeg(data: bytes) -> NodeView:
    from PIL import Image  # matplotlib depends on Pillow

    out = io.BytesIO()
    Image.open(io.BytesIO(bytes(data))).save(out, format="PNG")
    return NodeView(png=out.getvalue())


def view_svg(svg: str) -> NodeView:
    return NodeView(svg=svg)


def view_html(html: str, svg_or_png_render: Any = None, render_fn: Any = None) -> NodeView:
    png = None
    if isinstance(svg_or_png_render, bytes | bytearray):
        png = bytes(svg_or_png_render)
    return NodeView(html=html, png=png)


def view_ipy_repr(obj: Any) -> NodeView:
    if hasattr(obj, "_repr_png_"):
        data = obj._repr_png_()
        if data:
            return NodeView(png=data)
    if hasattr(obj, "_repr_svg_"):
        return NodeView(svg=obj._repr_svg_())
    if hasattr(obj, "_repr_html_"):
        return NodeView(html=obj._repr_html_())
    raise KnioError(f"cannot make a view of a {type(obj).__name__}")


def view(obj: Any) -> NodeView:
    """`knio.view`: matplotlib figures and axes, seaborn grids, PNG/JPEG bytes, SVG/HTML text, or
    anything with an IPython `_repr_png_`."""
    if isinstance(obj, NodeView):
        return obj
    if hasattr(obj, "savefig") and hasattr(obj, "get_axes"):  # a matplotlib Figure
        return view_matplotlib(obj)
    if hasattr(obj, "get_figure") and callable(obj.get_figure):  # Axes
        return view_matplotlib(obj.get_figure())
    fig = getattr(obj, "figure", None) or getattr(obj, "fig", None)  # seaborn FacetGrid / JointGrid
    if fig is not None and hasattr(fig, "savefig"):
        return view_matplotlib(fig)
    if isinstance(obj, bytes | bytearray):
        data = bytes(obj)
        if data.startswith(_PNG_MAGIC):
            return view_png(data)
        if data.startswith(b"\xff\xd8"):
            return view_jpeg(data)
    if isinstance(obj, str):
        head = obj.lstrip()[:200].lower()
        if head.startswith("<svg") or (head.startswith("<?xml") and "<svg" in obj[:1000].lower()):
            return view_svg(obj)
        return view_html(obj)
    return view_ipy_repr(obj)


# ------------------------------------------------------------------------------ flow variables


def _valid_variable(name: str, value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Path):
        return value
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    raise NodeError(
        f"flow variable {name!r}: a {type(value).__name__} cannot be a flow variable (use str, int, float or bool)",
        setting="script",
    )


def push_changed_variables(variables: dict[str, Any], before: dict[str, Any], ctx: NodeContext) -> None:
    """Push the flow variables a script added or changed (KNIME's addNewVariables)."""
    for name, value in variables.items():
        if not isinstance(name, str) or not name:
            raise NodeError(f"flow variable names must be non-empty strings, not {name!r}", setting="script")
        if name in before and _same_value(before[name], value):
            continue
        ctx.push_variable(name, _valid_variable(name, value))


def _same_value(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


# ---------------------------------------------------------------------------------------- running


@dataclass
class ScriptResult:
    output_tables: list[EngineTable | None]
    output_objects: list[Any]
    output_view: NodeView | None
    flow_variables: dict[str, Any]


class _LineWriter(io.TextIOBase):
    """stdout/stderr of a script, handed to the node log line by line."""

    def __init__(self, emit: Callable[[str], None], prefix: str = "") -> None:
        super().__init__()
        self.emit = emit
        self.prefix = prefix
        self._buffer: list[str] = []

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buffer.append(text)
        if "\n" in text:
            lines = "".join(self._buffer).split("\n")
            rest = lines.pop()
            self._buffer = [rest] if rest else []
            for line in lines:
                self.emit(self.prefix + line)
        return len(text)

    def flush(self) -> None:
        pass

    def close_lines(self) -> None:
        rest = "".join(self._buffer)
        self._buffer = []
        if rest:
            self.emit(self.prefix + rest)


def _build_modules(
    inputs: list[Table | None],
    objects: list[Any],
    n_tables: int,
    n_objects: int,
    variables: dict[str, Any],
    temp_dir: Callable[[], Path],
) -> tuple[types.ModuleType, dict[str, types.ModuleType]]:
    knio = types.ModuleType("knime.scripting.io", "knitflow's knime.scripting.io compatibility layer")
    attrs: dict[str, Any] = {
        "Table": Table,
        "BatchOutputTable": BatchOutputTable,
        "NodeView": NodeView,
        "input_tables": list(inputs),
        "input_objects": list(objects),
        "output_tables": [None] * n_tables,
        "output_objects": [None] * n_objects,
        "output_images": [],
        "output_view": None,
        "flow_variables": dict(variables),
        "view": view,
        "view_matplotlib": view_matplotlib,
        "view_seaborn": view_seaborn,
        "view_png": view_png,
        "view_jpeg": view_jpeg,
        "view_svg": view_svg,
        "view_html": view_html,
        "view_ipy_repr": view_ipy_repr,
        "get_workflow_temp_dir": lambda: str(temp_dir()),
        "get_workflow_data_area_dir": lambda: str(temp_dir()),
    }
    for k, v in attrs.items():
        setattr(knio, k, v)
    knime = types.ModuleType("knime")
    scripting = types.ModuleType("knime.scripting")
    knime.__path__ = []  # packages, so that `import knime.scripting.io` resolves
    scripting.__path__ = []
    knime.scripting = scripting  # type: ignore[attr-defined]
    scripting.io = knio  # type: ignore[attr-defined]
    return knio, {"knime": knime, "knime.scripting": scripting, "knime.scripting.io": knio, "knime_io": knio}


def _script_error(exc: BaseException, script: str, setting: str = "script") -> NodeError:
    """The script's own line number and message."""
    lines = script.splitlines()
    if isinstance(exc, SyntaxError) and exc.filename == SCRIPT_FILENAME:
        lineno = exc.lineno or 0
        msg = f"{type(exc).__name__}: {exc.msg}"
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == SCRIPT_FILENAME]
        lineno = frames[-1].lineno if frames and frames[-1].lineno else 0
        msg = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    source = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
    where = f"line {lineno}" if lineno else "the script"
    text = f"Python script failed at {where}: {msg}"
    if source:
        text += f"\n    {source}"
    err = NodeError(text, setting=setting)
    err.lineno = lineno  # type: ignore[attr-defined]
    return err


@contextmanager
def _script_sandbox(log: Callable[[str], None], modules: dict[str, types.ModuleType]) -> Iterator[set[int]]:
    """One script at a time, with its stdout/stderr in the node log, headless pyplot, the given
    modules in `sys.modules`, and everything (modules, streams, new figures) restored afterwards.
    Yields the figures open before the script, so that the caller can tell which are new."""
    with _LOCK:
        saved = {name: sys.modules.get(name) for name in modules}
        out, err = _LineWriter(log), _LineWriter(log, "[stderr] ")
        old_out, old_err = sys.stdout, sys.stderr
        figures_before = _open_figures()
        try:
            _use_agg()
            sys.modules.update(modules)
            sys.stdout, sys.stderr = out, err
            yield figures_before
        finally:
            sys.stdout, sys.stderr = old_out, old_err
            out.close_lines()
            err.close_lines()
            for name, mod in saved.items():
                if mod is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = mod
            _close_new_figures(figures_before)


def _compiled(script: str, setting: str = "script") -> types.CodeType:
    try:
        return compile(script, SCRIPT_FILENAME, "exec")
    except SyntaxError as exc:
        raise _script_error(exc, script, setting) from None


def _exec_script(
    code: types.CodeType, script: str, names: dict[str, Any], setting: str = "script"
) -> dict[str, Any]:
    """Run the compiled script as `__main__` with `names` defined; its namespace afterwards."""
    namespace: dict[str, Any] = {
        "__name__": "__main__",
        "__file__": SCRIPT_FILENAME,
        "__builtins__": builtins,
        **names,
    }
    try:
        exec(code, namespace)
    except Cancelled:
        raise
    except (Exception, SystemExit) as exc:
        raise _script_error(exc, script, setting) from None
    return namespace


def run_plain_script(
    script: str,
    names: dict[str, Any],
    log: Callable[[str], None],
    after: Callable[[dict[str, Any]], Any],
    setting: str = "script",
) -> Any:
    """Execute a script that talks to KNIME through global names (KNIME's older Python nodes:
    `input_table`, `output_table`, `flow_variables`, ...) instead of a module; `after` reads the
    namespace while the script's figures are still open and its result is returned."""
    code = _compiled(script, setting)
    with _script_sandbox(log, {}):
        return after(_exec_script(code, script, names, setting))


def run_script(
    script: str,
    *,
    input_tables: list[EngineTable | None],
    input_objects: list[Any],
    n_output_tables: int,
    n_output_objects: int,
    flow_variables: dict[str, Any],
    log: Callable[[str], None],
    temp_dir: Callable[[], Path],
    want_view: bool = False,
) -> ScriptResult:
    """Execute a KNIME-style script with `knime.scripting.io` available; outputs are checked."""
    code = _compiled(script)
    inputs = [None if t is None else Table(t) for t in input_tables]
    knio, modules = _build_modules(
        inputs, input_objects, n_output_tables, n_output_objects, flow_variables, temp_dir
    )
    with _script_sandbox(log, modules) as figures_before:
        _exec_script(code, script, {})
        view_obj = knio.output_view
        if want_view:
            if view_obj is None and _open_figures() - figures_before:
                import matplotlib.pyplot as plt

                view_obj = view_matplotlib(plt.gcf())
                log("knio.output_view was not set: showing the script's last matplotlib figure")
            elif view_obj is not None and not isinstance(view_obj, NodeView):
                view_obj = view(view_obj)
        tables = [
            None if v is None else _converted(output_table, v, i) for i, v in enumerate(knio.output_tables)
        ]
        return ScriptResult(tables, list(knio.output_objects), view_obj, dict(knio.flow_variables))


def _converted(fn: Callable[[Any, int], EngineTable], value: Any, index: int) -> EngineTable:
    try:
        return fn(value, index)
    except KnioError as exc:
        raise NodeError(f"output table {index}: {exc}", setting="script") from None


def _use_agg() -> None:
    """Headless plotting: a script's pyplot must not try to open windows from a worker thread.
    Without importing anything: `matplotlib.get_backend()` imports pyplot (half a second) to
    resolve an automatic backend, which a script that draws nothing should not pay."""
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is None:
        os.environ["MPLBACKEND"] = "agg"  # read when the script first imports matplotlib
        return
    chosen = dict.__getitem__(matplotlib.rcParams, "backend")  # the automatic-backend marker unresolved
    if str(chosen).lower() != "agg":
        matplotlib.use("Agg")


def _open_figures() -> set[int]:
    plt = sys.modules.get("matplotlib.pyplot")
    return set(plt.get_fignums()) if plt is not None else set()


def _close_new_figures(before: set[int]) -> None:
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    for num in set(plt.get_fignums()) - before:
        plt.close(num)
