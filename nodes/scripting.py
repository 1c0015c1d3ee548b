"""Python Script and Python View: KNIME-style scripts using `import knime.scripting.io as knio`.

KNIME gives these nodes dynamic ports. knitflow's ports are static, so each node declares the
most a workflow needs and leaves the rest unconnected:

- inputs 1-4 are optional tables (`knio.input_tables`), inputs 5-6 optional Python objects
  (`knio.input_objects`). `knio.input_tables` runs up to the last connected table port (an
  unconnected port in between reads as None), as in KNIME where only existing ports are listed.
- `python_script` outputs 1-4 are tables and 5-6 Python objects; the settings `output_tables`
  (default 1) and `output_objects` (default 0) say how many of them the script fills, i.e. the
  lengths of `knio.output_tables` / `knio.output_objects`. Ports beyond those stay empty.
- `python_view` has one image output (`knio.output_view`).

KNIME numbers object ports before table ports when a node has both; a KNIME import must renumber
such connections (the 12_0x and 13_01 scripts use tables only, so their port numbers carry over).
Flow variables: `knio.flow_variables` starts as the node's incoming variables; entries the script
adds or changes are pushed downstream.

`python_snippet_mpicbg` and `python_plot_mpicbg` run scripts of the MPI-CBG Python Scripting
Integration (KNIME 2.x): `kIn`/`pyOut` dicts of column lists, handed over as KNIME's CSV files would
(PythonTableConverter, PythonCSVUtils.py without pandas). Strings holding commas, quotes or line
breaks come back whole, where KNIME's CSV reader (no quote character) split them.
"""

from __future__ import annotations

import csv
import datetime
import getpass
import io
import math
import numbers
import re
import sys
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VIEW,
    Category,
    ColumnType,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    Table,
    View,
    atomic_write,
)
from engine.api.knime import KnimeMapping, KnimeSettings, PortMap, file_name, key_name
from nodes._java_text import java_double_to_string
from nodes._knio import ScriptResult, push_changed_variables, run_script
from nodes._rows import is_missing

PYTHON_OBJECT = PortType.register(PortType("python.object", "Python object (pickled)", "#6a4c93", "square"))

MAX_TABLES = 4
MAX_OBJECTS = 2


@dataclass
class PythonObject:
    """A Python value travelling between script nodes (KNIME's pickled object port)."""

    value: Any

    @property
    def summary(self) -> str:
        text = repr(self.value)
        return f"{type(self.value).__name__}: {text if len(text) <= 60 else text[:57] + '...'}"

    def __repr__(self) -> str:
        return f"PythonObject({self.summary})"


DEFAULT_SCRIPT = """import knime.scripting.io as knio

# This example script simply outputs the node's input table.
knio.output_tables[0] = knio.input_tables[0]
"""

DEFAULT_VIEW_SCRIPT = """import knime.scripting.io as knio
import matplotlib.pyplot as plt

# This example script plots the numeric columns of the first input table.
df = knio.input_tables[0].to_pandas()
fig, ax = plt.subplots()
df.select_dtypes("number").plot(ax=ax)
knio.output_view = knio.view_matplotlib(fig)
"""

_INPUTS = tuple(
    Port(TABLE, f"Input table {i}", f"knio.input_tables[{i - 1}]", optional=True)
    for i in range(1, MAX_TABLES + 1)
) + tuple(
    Port(PYTHON_OBJECT, f"Input object {i}", f"knio.input_objects[{i - 1}]", optional=True)
    for i in range(1, MAX_OBJECTS + 1)
)


class PythonScriptSettings(NodeSettings):
    script: str = Field(
        DEFAULT_SCRIPT,
        description="The Python script. `import knime.scripting.io as knio` gives input_tables, output_tables, "
        "input_objects, output_objects and flow_variables as in KNIME.",
        json_schema_extra={"format": "python"},
    )
    output_tables: int = Field(
        1, ge=0, le=MAX_TABLES, description="Number of output tables the script fills (ports 1-4)."
    )
    output_objects: int = Field(
        0, ge=0, le=MAX_OBJECTS, description="Number of output Python objects the script fills (ports 5-6)."
    )


class PythonViewSettings(NodeSettings):
    script: str = Field(
        DEFAULT_VIEW_SCRIPT,
        description="The Python script; it assigns `knio.output_view` (e.g. knio.view(fig) for a matplotlib figure).",
        json_schema_extra={"format": "python"},
    )


def _trimmed(values: list[Any]) -> list[Any]:
    """Only the ports up to the last connected one, as KNIME lists only existing ports."""
    end = len(values)
    while end and values[end - 1] is None:
        end -= 1
    return values[:end]


def _script_inputs(inputs: list[Any]) -> tuple[list[Table | None], list[Any]]:
    tables = _trimmed(list(inputs[:MAX_TABLES]))
    for i, t in enumerate(tables):
        if t is not None and not isinstance(t, Table):
            raise NodeError(f"input port {i + 1} holds a {type(t).__name__}, not a table")
    objects = [o.value if isinstance(o, PythonObject) else o for o in _trimmed(list(inputs[MAX_TABLES:]))]
    return tables, objects


def _execute_script(
    script: str, inputs: list[Any], ctx: NodeContext, *, n_tables: int, n_objects: int, want_view: bool
) -> ScriptResult:
    tables, objects = _script_inputs(inputs)
    before = dict(ctx.variables)
    ctx.check_cancelled()
    result = run_script(
        script,
        input_tables=tables,
        input_objects=objects,
        n_output_tables=n_tables,
        n_output_objects=n_objects,
        flow_variables=before,
        log=ctx.log,
        temp_dir=lambda: ctx.scratch_dir,
        want_view=want_view,
    )
    push_changed_variables(result.flow_variables, before, ctx)
    return result


PYTHON_TABLES, PYTHON_OBJECTS_AT = 4, 5  # knitflow: tables on ports 1-4, pickled objects from port 5


def _port_groups(creation: dict[str, Any], direction: str) -> list[tuple[str, int]]:
    """KNIME's port groups of one direction in port order, with their port counts."""
    return [
        (name, len(ports) if isinstance(ports, dict) else 0)
        for name, ports in creation.items()
        if name.lower().startswith(direction)
    ]


def _python_ports(creation: dict[str, Any]) -> tuple[PortMap, PortMap]:
    """KNIME numbers a Python node's ports group by group (inputs: objects, then tables; outputs:
    tables, images, objects); knitflow has fixed slots for tables and objects."""
    maps: list[PortMap] = []
    for direction in ("input", "output"):
        mapping: PortMap = {}
        port, n_tables, n_objects = 1, 0, 0
        for group, count in _port_groups(creation, direction):
            for _ in range(count):
                if "table" in group.lower():
                    n_tables += 1
                    mapping[port] = n_tables if n_tables <= PYTHON_TABLES else None
                elif "object" in group.lower():
                    mapping[port] = PYTHON_OBJECTS_AT + n_objects
                    n_objects += 1
                else:
                    mapping[port] = None  # e.g. the image output
                port += 1
        maps.append(mapping)
    return maps[0], maps[1]


def _take_script(knime: KnimeSettings, key: str, name: str) -> str:
    """The script at `key`, with Unix line ends and no trailing blanks."""
    script = str(knime.tree.get(key) or "").replace("\r\n", "\n")
    tidy = "\n".join(line.rstrip() for line in script.split("\n"))
    if tidy != script:
        # trailing blanks force YAML's quoted style: one long line full of \n instead of the script
        knime.note("trailing whitespace removed from script lines")
    knime.put(name, tidy, key)
    return tidy


def _python_script_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    _take_script(knime, "script", "script")
    if tree.get("python3_command"):
        knime.note(f"python3_command {tree['python3_command']!r} ignored (knitflow runs its own Python)")
    outputs = dict(_port_groups(knime.node.creation_config, "output"))
    if outputs.get("Output table"):
        knime.put("output_tables", outputs["Output table"])
    if outputs.get("Output object (pickled)"):
        knime.put("output_objects", outputs["Output object (pickled)"])
    if outputs.get("Output image"):
        knime.lost("the image output port is not supported (use a Python View)")
    tables = dict(_port_groups(knime.node.creation_config, "input")).get("Input table", 0)
    if tables > PYTHON_TABLES:
        knime.lost(f"{tables} input tables; knitflow's Python nodes take at most {PYTHON_TABLES}")
    # the Python environment KNIME starts (knitflow runs its own), the dialog's state
    knime.unread("python3_command", "executable_selection", "settings_version")


class PythonScript(Node):
    type_name = "python_script"
    display_name = "Python Script"
    category = Category.SCRIPT
    description = (
        "Runs a Python script written for KNIME's Python Script node: `import knime.scripting.io as knio`, read "
        "`knio.input_tables[i].to_pandas()`, write `knio.output_tables[i] = knio.Table.from_pandas(df)`. Up to 4 "
        "input tables (ports 1-4) and 2 Python objects (ports 5-6); `output_tables`/`output_objects` set how many "
        "outputs the script fills. print() goes to the node log; errors name the script line."
    )
    keywords = ("python", "script", "pandas", "numpy", "knio", "code")
    knime = (
        KnimeMapping(
            "org.knime.python3.scripting.nodes2.script.PythonScriptNodeFactory",
            "Python Script",
            _python_script_from_knime,
            ports=_python_ports,
        ),
    )
    inputs = _INPUTS
    outputs = tuple(
        Port(TABLE, f"Output table {i}", f"knio.output_tables[{i - 1}]") for i in range(1, MAX_TABLES + 1)
    ) + tuple(
        Port(PYTHON_OBJECT, f"Output object {i}", f"knio.output_objects[{i - 1}]")
        for i in range(1, MAX_OBJECTS + 1)
    )
    Settings = PythonScriptSettings

    def configure_variables(self, in_specs: list[Any], settings: Any) -> dict[str, str] | None:
        return None  # a script pushes whatever it likes

    def configure(self, in_specs: list[Any], settings: PythonScriptSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN for _ in self.outputs]

    def execute(self, inputs: list[Any], settings: PythonScriptSettings, ctx: NodeContext) -> list[Any]:
        result = _execute_script(
            settings.script,
            inputs,
            ctx,
            n_tables=settings.output_tables,
            n_objects=settings.output_objects,
            want_view=False,
        )
        tables: list[Any] = [None] * MAX_TABLES
        for i in range(settings.output_tables):
            table = result.output_tables[i] if i < len(result.output_tables) else None
            if table is None:
                raise NodeError(
                    f"the script did not set knio.output_tables[{i}] (output port {i + 1}); assign "
                    f"knio.Table.from_pandas(df), or lower output_tables",
                    setting="output_tables",
                )
            tables[i] = table
        objects: list[Any] = [None] * MAX_OBJECTS
        for i in range(settings.output_objects):
            if i >= len(result.output_objects) or result.output_objects[i] is None:
                raise NodeError(
                    f"the script did not set knio.output_objects[{i}] (output port {MAX_TABLES + i + 1})",
                    setting="output_objects",
                )
            objects[i] = PythonObject(result.output_objects[i])
        return tables + objects


class PythonView(Node):
    type_name = "python_view"
    display_name = "Python View"
    category = Category.VISUALIZER
    description = (
        "Runs a Python script written for KNIME's Python View node and shows the picture it assigns to "
        "`knio.output_view` (e.g. `knio.view(fig)` or `knio.view_matplotlib()` for a matplotlib/seaborn figure). "
        "Up to 4 input tables (ports 1-4) and 2 Python objects (ports 5-6)."
    )
    keywords = ("python", "plot", "matplotlib", "seaborn", "chart", "knio", "view")
    knime = (
        KnimeMapping(
            "org.knime.python3.scripting.nodes2.view.PythonViewNodeFactory",
            "Python View",
            _python_script_from_knime,
            ports=_python_ports,
        ),
    )
    inputs = _INPUTS
    outputs = (Port(VIEW, "Image", "The view the script produced (PNG)"),)
    Settings = PythonViewSettings

    def configure_variables(self, in_specs: list[Any], settings: Any) -> dict[str, str] | None:
        return None  # a script pushes whatever it likes

    def configure(self, in_specs: list[Any], settings: PythonViewSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: PythonViewSettings, ctx: NodeContext) -> list[Any]:
        result = _execute_script(settings.script, inputs, ctx, n_tables=0, n_objects=0, want_view=True)
        if result.output_view is None:
            raise NodeError(
                "the script did not set knio.output_view (e.g. knio.output_view = knio.view(fig))",
                setting="script",
            )
        try:
            png = result.output_view.render_png()
        except Exception as exc:
            raise NodeError(str(exc), setting="script") from None
        return [View(png=png, title=self.display_name)]


# ------------------------------------------------------------ MPI-CBG Python Snippet / Python Plot
#
# The "Python Scripting Integration" of the MPI-CBG (de.mpicbg.knime.scripting.python, KNIME 2.x)
# hands a script its input table as `kIn`, an OrderedDict of column name -> list of values, and
# reads `pyOut` (a dict of the same shape) back; both travel as CSV files (PythonTableConverter,
# PythonCSVUtils.py). `FLOWVAR(name)` in the script is replaced by the variable's text first.

MPICBG_SNIPPET_SCRIPT = "pyOut = kIn     # both are assumed to be dictionaries"
MPICBG_PLOT_SCRIPT = "plot(kIn)"
_PLOT_DPI = 100  # KNIME sets the figure to width/100 x height/100 inches at 100 dpi

# the script runs between one preamble line and one closing line (errors are renumbered to the
# script's own lines); the preamble gives the names KNIME's preamble (PythonCSVUtils.py, pylab) leaves
_PREAMBLE = "import knime.scripting.io as __knitflow__; globals().update(__knitflow__.input_objects[0]); del __knitflow__"
_PLOT_PREAMBLE = "from pylab import *; " + _PREAMBLE
_CLOSING = "__knitflow_done__(globals())"
_FLOWVAR = re.compile(r"FLOWVAR[(]([\w ]*)[)]", re.ASCII)
_KIN_TYPES: dict[str, Callable[[Any], Any]] = {
    ColumnType.INTEGER: int,
    ColumnType.DOUBLE: float,
    ColumnType.STRING: str,
    ColumnType.SMILES: str,
}
_JAVA_INT = re.compile(r"[+-]?\d+")
_JAVA_DOUBLE = re.compile(r"\s*[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)\s*")


class MpicbgSnippetSettings(NodeSettings):
    node_script: str = Field(
        MPICBG_SNIPPET_SCRIPT,
        description="The Python script: `kIn` is the input table as a dict of column name -> list of values; "
        "assign `pyOut` (same shape). FLOWVAR(name) is replaced by the flow variable's value first.",
        json_schema_extra={"format": "python"},
    )


class MpicbgPlotSettings(NodeSettings):
    node_script: str = Field(
        MPICBG_PLOT_SCRIPT,
        description="The Python script drawing with pylab (its names are imported); `kIn` is the input table "
        "as a dict of column name -> list of values. The current figure becomes the image.",
        json_schema_extra={"format": "python"},
    )
    figure_width: int = Field(1000, ge=100, le=5000, description="Image width in pixels.")
    figure_height: int = Field(700, ge=100, le=5000, description="Image height in pixels.")
    figure_output_file: str = Field(
        "",
        description="Also write the PNG to this file (empty: no file); $$DATE$$ (yyMMdd), $$USER$$ and "
        "FLOWVAR(name) are replaced.",
    )
    overwrite_ok: bool = Field(False, description="Replace an existing output file (else the node fails).")


def _flow_variable_text(name: str, value: Any, setting: str) -> str:
    """AbstractNodeModel.getFlowVariable: a String as it is, an Integer or Double as Java prints it
    (a Boolean is none of them, so KNIME finds no such variable)."""
    if isinstance(value, bool):
        raise NodeError(f"Could not replace (missing?) flow-variable : {name}", setting=setting)
    if isinstance(value, float):
        return java_double_to_string(value)
    return str(value)


def _with_flow_variables(text: str, variables: Mapping[str, Any], setting: str) -> str:
    """FlowVarUtils.replaceFlowVars: every FLOWVAR(name) becomes the variable's text."""
    while "FLOWVAR" in text:
        match = _FLOWVAR.search(text)
        if match is None:
            raise NodeError(
                "Incorrect use flow variables. Correct example: FLOWVAR(treatment)", setting=setting
            )
        name = match[1]
        if name not in variables:
            raise NodeError(f"Could not replace (missing?) flow-variable : {name}", setting=setting)
        value = _flow_variable_text(name, variables[name], setting)
        if match[0] in value:
            raise NodeError(f"flow variable {name!r} refers to itself", setting=setting)
        text = text.replace(match[0], value)
    return text


def _kin(table: Table | None) -> OrderedDict[str, list[Any]]:
    """The table as PythonCSVUtils.read_csv gives it (without pandas): Integer -> int, Double -> float,
    String -> str; a missing cell, and an empty string (both written as ""), is None."""
    columns: OrderedDict[str, list[Any]] = OrderedDict()
    if table is None:
        return columns
    for name in table.columns:
        kind = table.types[name]
        cast = _KIN_TYPES.get(kind)
        if cast is None:
            raise NodeError(
                f"column {name!r} is {kind}: KNIME's CSV hand-over to the MPI-CBG Python nodes takes Integer, "
                "Double and String columns only (convert or filter the column first)"
            )
        columns[name] = [None if is_missing(v) or v == "" else cast(v) for v in table.df[name].tolist()]
    return columns


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _csv_field(value: Any) -> tuple[bool, str]:
    """How write_csv (QUOTE_NONNUMERIC) writes a value: (quoted, text)."""
    if value is None:
        return True, ""
    if isinstance(value, numbers.Number | np.number | np.bool_):
        return False, str(value)
    return True, str(value)


def _pyout_type(values: list[Any]) -> str:
    """write_csv's column type: from the first value that is not None."""
    first = next((v for v in values if v is not None), None)
    if _is_int(first):
        return ColumnType.INTEGER
    if isinstance(first, float | np.floating):
        return ColumnType.DOUBLE
    return ColumnType.STRING


def _pyout_cell(value: Any, kind: str, where: str) -> Any:
    """PythonTableConverter.convertCSVToTable: quoted text is a String cell; a number that Java's
    parseInt / parseDouble cannot read is a missing cell; "nan" in a String column is missing."""
    quoted, text = _csv_field(value)
    if quoted:
        if kind == ColumnType.STRING:
            return text
        raise NodeError(
            f"{where} holds {value!r} in a column of {kind} values (the type of its first value): KNIME "
            "cannot put text there (use float('nan') for a missing number)",
            setting="node_script",
        )
    if kind == ColumnType.INTEGER:
        fits = _JAVA_INT.fullmatch(text) and -(2**31) <= int(text) < 2**31
        return int(text) if fits else None
    if kind == ColumnType.DOUBLE:
        match = _JAVA_DOUBLE.fullmatch(text)
        return float(text.strip().rstrip("fFdD")) if match else None
    if text == "nan":
        return None
    raise NodeError(
        f"{where} holds the number {text} in a String column (its first value is text): KNIME reads it as "
        f"'unsupported string found in CSV:{text}'",
        setting="node_script",
    )


def _column_values(py_out: Mapping[Any, Any], name: Any) -> list[Any]:
    try:
        return list(py_out[name])
    except TypeError:
        raise NodeError(
            f"pyOut[{name!r}] is a {type(py_out[name]).__name__}, not a list of values", setting="node_script"
        ) from None


def _pyout_table(py_out: Any, log: Callable[[str], None]) -> Table:
    """pyOut as KNIME reads it back: the first column sets the row count (longer columns are cut),
    RowIDs 0, 1, 2, ..."""
    if not isinstance(py_out, Mapping) or not py_out:
        shown = "an empty dict" if isinstance(py_out, Mapping) else f"a {type(py_out).__name__}"
        raise NodeError(
            f"pyOut is {shown}; assign a dict of column name -> list of values (e.g. pyOut = kIn)",
            setting="node_script",
        )
    names = list(py_out)
    count = len(_column_values(py_out, names[0]))
    data: dict[str, list[Any]] = {}
    types: dict[str, str] = {}
    for name in names:
        values = _column_values(py_out, name)
        column = str(name)
        if column in data:
            raise NodeError(f"pyOut has two columns named {column!r}", setting="node_script")
        if len(values) < count:
            raise NodeError(
                f"pyOut[{name!r}] has {len(values)} values, the first column {count}", setting="node_script"
            )
        if len(values) > count:
            log(
                f"pyOut[{name!r}]: the {len(values) - count} values beyond the first column's {count} are dropped"
            )
        types[column] = kind = _pyout_type(values[:count])
        data[column] = [_pyout_cell(v, kind, f"pyOut[{name!r}][{i}]") for i, v in enumerate(values[:count])]
    frame = pd.DataFrame({c: _typed_series(v, types[c]) for c, v in data.items()})
    frame.index = pd.Index([str(i) for i in range(count)], dtype=object)
    return Table(frame, types)


def _typed_series(values: list[Any], kind: str) -> pd.Series:
    if kind == ColumnType.INTEGER:
        series = pd.Series(pd.array(values, dtype="Int64"))
        return series if series.isna().any() else series.astype("int64")
    if kind == ColumnType.DOUBLE:
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    return pd.Series(values, dtype=object)


def _script_line_error(err: NodeError, script: str) -> NodeError:
    """A script error with the line number in the user's script (the preamble is line 1)."""
    text, lineno = str(err), int(getattr(err, "lineno", 0) or 0)
    if lineno:
        lines = len(script.splitlines())
        if lineno == 1:
            where = "the preamble before the script (from pylab import *, kIn)"
        elif lineno - 1 > lines:
            where = "the end of the script"
        else:
            where = f"line {lineno - 1}"
        text = text.replace(f"at line {lineno}:", f"at {where}:", 1)
    out = NodeError(text, setting="node_script" if err.setting in (None, "script") else err.setting)
    out.lineno = max(lineno - 1, 0)  # type: ignore[attr-defined]
    return out


def _run_mpicbg_script(
    settings: MpicbgSnippetSettings | MpicbgPlotSettings,
    table: Table | None,
    ctx: NodeContext,
    done: Callable[[dict[str, Any]], None],
    *,
    plot: bool,
) -> None:
    """Runs the script like the KNIME node does, through the Python Script machinery; `done`
    receives the script's globals after its last line."""
    script = _with_flow_variables(settings.node_script.replace("\r\n", "\n"), ctx.variables, "node_script")
    namespace = {
        "kIn": _kin(table),
        "OrderedDict": OrderedDict,
        "csv": csv,
        "math": math,
        "sys": sys,
        "np": np,
        "pd": pd,
        "__knitflow_done__": done,
    }
    source = f"{_PLOT_PREAMBLE if plot else _PREAMBLE}\n{script}\n{_CLOSING}\n"
    try:
        _execute_script(
            source, [None] * MAX_TABLES + [namespace], ctx, n_tables=0, n_objects=0, want_view=False
        )
    except NodeError as err:
        raise _script_line_error(err, script) from None


def _take_mpicbg_script(knime: KnimeSettings) -> None:
    script = _take_script(knime, "node.script", "node_script")
    try:
        compile(script, "<script>", "exec")
    except SyntaxError as exc:
        knime.lost(
            f"the script is not valid Python 3 (line {exc.lineno}: {exc.msg}); KNIME ran it with the Python set "
            "in its preferences (often Python 2), knitflow runs Python 3"
        )
    if knime.tree.get("open.in"):
        knime.lost("open.in = true: KNIME only opens the data in an external Python and fails the node")


def _mpicbg_snippet_from_knime(knime: KnimeSettings) -> None:
    _take_mpicbg_script(knime)
    # node.template: the dialog's template; a node not built from a template runs node.script regardless
    knime.unread("node.template", "open.in")


def _mpicbg_plot_from_knime(knime: KnimeSettings) -> None:
    _take_mpicbg_script(knime)
    tree = knime.tree
    for key in ("figure.width", "figure.height", "overwrite.ok"):
        if key in tree:
            knime.put(key_name(key), tree[key], key)
    path = str(tree.get("figure.output.file") or "")
    knime.put("figure_output_file", file_name(path) or "", "figure.output.file")
    if path:
        knime.note(f"the plot file {path!r} is written as {file_name(path)!r} beside the workflow")
    kind = tree.get("figure.ouput.type", "png")
    if str(kind).lower() != "png":
        knime.lost(f"figure.ouput.type = {kind!r}: knitflow's MPI-CBG Python Plot writes PNG only")
    knime.unread("node.template", "open.in", "figure.ouput.type")


def _plot_file_name(text: str, variables: Mapping[str, Any]) -> str:
    """PythonPlotNodeModel.prepareOutputFileName: FLOWVAR(name), $$DATE$$, $$USER$$, $$WS$$."""
    name = _with_flow_variables(text, variables, "figure_output_file")
    name = name.replace("$$DATE$$", datetime.date.today().strftime("%y%m%d"))
    name = name.replace("$$USER$$", getpass.getuser())
    workspace = variables.get("knime.workspace")
    return name.replace("$$WS$$", str(workspace) if workspace is not None else ".")


def _figure_png(width: int, height: int) -> bytes:
    """The current pyplot figure at width x height pixels, as KNIME's script epilogue saves it."""
    import matplotlib.pyplot as plt

    figure = plt.gcf()
    figure.set_dpi(_PLOT_DPI)
    figure.set_size_inches(width / _PLOT_DPI, height / _PLOT_DPI)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_PLOT_DPI)
    return buffer.getvalue()


def _write_plot_file(png: bytes, settings: MpicbgPlotSettings, ctx: NodeContext) -> None:
    path = Path(_plot_file_name(settings.figure_output_file, ctx.variables))
    if path.exists() and not settings.overwrite_ok:
        raise NodeError(
            f"Image file '{path}' already exists, enable overwrite to replace it", setting="overwrite_ok"
        )
    if not path.parent.is_dir():
        raise NodeError(
            f"Error writing image file '{path}': folder {path.parent} does not exist",
            setting="figure_output_file",
        )
    atomic_write(path, png)
    ctx.log(f"wrote the plot to {path}")


class MpicbgPythonSnippet(Node):
    type_name = "python_snippet_mpicbg"
    display_name = "Python Snippet"
    category = Category.SCRIPT
    description = (
        "Runs a script written for the MPI-CBG Python Snippet (KNIME 2.x Python Scripting Integration): `kIn` is "
        "the input table as a dict of column name -> list of values (Integer -> int, Double -> float, String -> "
        "str, missing -> None); the script assigns `pyOut` of the same shape. Column types come from each "
        "column's first value; RowIDs are 0, 1, 2, ... FLOWVAR(name) is replaced by the flow variable's value. "
        "print() goes to the node log; errors name the script line."
    )
    keywords = ("python", "snippet", "script", "kIn", "pyOut", "mpicbg", "legacy")
    knime = (
        KnimeMapping(
            "de.mpicbg.knime.scripting.python.PythonSnippetNodeFactory",
            "Python Snippet",
            _mpicbg_snippet_from_knime,
        ),
        KnimeMapping(
            "de.mpicbg.knime.scripting.python.snippet.PythonSnippetNodeFactory",
            "Python Snippet",
            _mpicbg_snippet_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "kIn"),)
    outputs = (Port(TABLE, "Output table", "pyOut"),)
    Settings = MpicbgSnippetSettings

    def configure(self, in_specs: list[Any], settings: MpicbgSnippetSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: MpicbgSnippetSettings, ctx: NodeContext) -> list[Any]:
        result: dict[str, Any] = {}

        def done(namespace: dict[str, Any]) -> None:
            if "pyOut" in namespace:
                result["pyOut"] = namespace["pyOut"]

        _run_mpicbg_script(settings, inputs[0], ctx, done, plot=False)
        if "pyOut" not in result:
            raise NodeError(
                "the script did not assign pyOut (a dict of column name -> list of values); KNIME reports "
                "'No python output table found'",
                setting="node_script",
            )
        return [_pyout_table(result["pyOut"], ctx.log)]


class MpicbgPythonPlot(Node):
    type_name = "python_plot_mpicbg"
    display_name = "Python Plot"
    category = Category.VISUALIZER
    description = (
        "Runs a plotting script written for the MPI-CBG Python Plot (KNIME 2.x Python Scripting Integration): "
        "pylab's names are imported, `kIn` is the input table as a dict of column name -> list of values, and "
        "the current figure, at figure_width x figure_height pixels, becomes the PNG image (optionally also "
        "written to a file). FLOWVAR(name) is replaced by the flow variable's value; errors name the script line."
    )
    keywords = ("python", "plot", "pylab", "matplotlib", "kIn", "mpicbg", "legacy", "image")
    knime = (
        KnimeMapping(
            "de.mpicbg.knime.scripting.python.plots.PythonPlotNodeFactory",
            "Python Plot",
            _mpicbg_plot_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "kIn"),)
    outputs = (Port(VIEW, "Image", "The figure the script drew (PNG)"),)
    Settings = MpicbgPlotSettings
    path_settings = ("figure_output_file",)

    def configure(self, in_specs: list[Any], settings: MpicbgPlotSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: MpicbgPlotSettings, ctx: NodeContext) -> list[Any]:
        images: list[bytes] = []

        def done(namespace: dict[str, Any]) -> None:
            images.append(_figure_png(settings.figure_width, settings.figure_height))

        _run_mpicbg_script(settings, inputs[0], ctx, done, plot=True)
        if settings.figure_output_file:
            _write_plot_file(images[0], settings, ctx)
        return [View(png=images[0], title=self.display_name)]
