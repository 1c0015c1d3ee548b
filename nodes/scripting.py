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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VIEW,
    Category,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    Table,
    View,
)
from engine.api.knime import KnimeMapping, KnimeSettings, PortMap
from nodes._knio import ScriptResult, run_script

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


def _push_variables(result: ScriptResult, before: dict[str, Any], ctx: NodeContext) -> None:
    for name, value in result.flow_variables.items():
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
    _push_variables(result, before, ctx)
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


def _python_script_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    script = str(tree.get("script") or "").replace("\r\n", "\n")
    tidy = "\n".join(line.rstrip() for line in script.split("\n"))
    if tidy != script:
        # trailing blanks force YAML's quoted style: one long line full of \n instead of the script
        knime.note("trailing whitespace removed from script lines")
    knime.put("script", tidy, "script")
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
