"""KNIME's legacy Python nodes (the `org.knime.python2` integration of KNIME 3.x and 4.x): Python
Source, Python Script (1⇒1, 1⇒2, 2⇒1, 2⇒2), Python Edit Variable and Python View.

Their scripts talk to KNIME through global names, not a module: `input_table` (or
`input_table_1`, `input_table_2`) is a pandas DataFrame indexed by RowID, the script assigns
`output_table` (or `output_table_1`, `output_table_2`), a View assigns `output_image` (PNG bytes
or SVG text), and `flow_variables` is a dict whose new or changed entries go downstream
(PythonScriptNodeConfig & co. define these names). Tables travel as the integration's
serialisation does: Integer columns arrive as int32 and Long as int64, but a column with missing
cells arrives as float64 with NaN unless "convert missing to Python" substitutes the sentinel
(the type's minimum, maximum or a custom int); on the way back, an output's index becomes the
RowIDs (as text), int32 columns become Integer, wider ints Long, and with "convert missing from
Python" the sentinel becomes a missing cell again.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VARIABLES,
    VIEW,
    Category,
    ColumnType,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    View,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._knio import push_changed_variables, run_plain_script
from nodes._knio_frames import KnioError, pandas_to_table, table_to_pandas

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SENTINELS = {"MIN_VAL": "min", "MAX_VAL": "max"}


class Python2ScriptSettings(NodeSettings):
    sourceCode: str = Field(
        "",
        description="The Python script. It reads input_table (input_table_1, input_table_2), assigns "
        "output_table (output_table_1, output_table_2) and may change the flow_variables dict.",
        json_schema_extra={"format": "python"},
    )
    convertMissingToPython: bool = Field(
        False,
        description="Hand missing cells of Integer/Long columns to Python as the sentinel value, so that the "
        "column stays an int column (otherwise it becomes float64 with NaN).",
    )
    convertMissingFromPython: bool = Field(
        False, description="Turn the sentinel value in int columns of the script's output into missing cells."
    )
    sentinelOption: Literal["MIN_VAL", "MAX_VAL", "CUSTOM"] = Field(
        "MIN_VAL", description="The sentinel: the type's smallest or largest value, or sentinelValue."
    )
    sentinelValue: int = Field(0, description="The sentinel when sentinelOption is CUSTOM.")


def _sentinel(settings: Python2ScriptSettings) -> str | int:
    return _SENTINELS.get(settings.sentinelOption, settings.sentinelValue)


def _to_frame(table: Table, settings: Python2ScriptSettings) -> pd.DataFrame:
    """The DataFrame the legacy integration hands a script."""
    if settings.convertMissingToPython:
        return table_to_pandas(table, _sentinel(settings))
    frame = table_to_pandas(table)
    for name, col_type in table.types.items():
        if col_type in (ColumnType.INTEGER, ColumnType.LONG) and frame[name].isna().any():
            frame[name] = frame[name].astype("float64")
    return frame


def _from_frame(value: Any, name: str, settings: Python2ScriptSettings) -> Table:
    if not isinstance(value, pd.DataFrame):
        raise NodeError(
            f"{name} must be a pandas DataFrame, not {type(value).__name__}", setting="sourceCode"
        )
    sentinel = _sentinel(settings) if settings.convertMissingFromPython else None
    try:
        return pandas_to_table(value, sentinel, row_ids="keep")
    except KnioError as exc:
        raise NodeError(f"{name}: {exc}", setting="sourceCode") from None


def _image_view(value: Any, title: str) -> View:
    """`output_image` as KNIME's kernel reads it: PNG bytes, or an SVG document."""
    if isinstance(value, bytes | bytearray) and bytes(value).startswith(_PNG_MAGIC):
        return View(png=bytes(value), title=title)
    text = value.decode("utf-8", "replace") if isinstance(value, bytes | bytearray) else value
    if isinstance(text, str) and "<svg" in text[:4096]:
        return View(svg=text.encode("utf-8"), title=title)
    raise NodeError(
        f"output_image must hold PNG bytes or an SVG document, not {type(value).__name__}",
        setting="sourceCode",
    )


class _Python2Node(Node):
    """The shared run: inputs under their KNIME names, the script, outputs read back by name."""

    category = Category.SCRIPT
    Settings = Python2ScriptSettings
    input_names: ClassVar[tuple[str, ...]] = ()
    output_names: ClassVar[tuple[str, ...]] = ()

    def configure_variables(self, in_specs: list[Any], settings: Any) -> dict[str, str] | None:
        return None  # a script pushes whatever it likes

    def configure(self, in_specs: list[Any], settings: Python2ScriptSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN for _ in self.outputs]

    def read_outputs(self, namespace: dict[str, Any], settings: Python2ScriptSettings) -> list[Any]:
        missing = [n for n in self.output_names if namespace.get(n) is None]
        if missing:
            raise NodeError(
                f"the script did not assign {', '.join(missing)}; KNIME reports "
                f"'Python variable \"{missing[0]}\" does not exist'",
                setting="sourceCode",
            )
        return [_from_frame(namespace[n], n, settings) for n in self.output_names]

    def execute(self, inputs: list[Any], settings: Python2ScriptSettings, ctx: NodeContext) -> list[Any]:
        before = dict(ctx.variables)
        names: dict[str, Any] = {"flow_variables": dict(before)}
        for name, table in zip(self.input_names, inputs, strict=True):
            names[name] = _to_frame(table, settings)
        ctx.check_cancelled()

        def read(namespace: dict[str, Any]) -> tuple[list[Any], Any]:
            return self.read_outputs(namespace, settings), namespace.get("flow_variables")

        outputs, variables = run_plain_script(settings.sourceCode, names, ctx.log, read, "sourceCode")
        if not isinstance(variables, dict):
            raise NodeError("flow_variables must stay a dict", setting="sourceCode")
        push_changed_variables(variables, before, ctx)
        return list(outputs)


def _python2_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    script = str(tree.get("sourceCode") or "").replace("\r\n", "\n")
    knime.put("sourceCode", "\n".join(line.rstrip() for line in script.split("\n")), "sourceCode")
    knime.take_all(("convertMissingToPython", "convertMissingFromPython", "sentinelValue"))
    option = tree.get("sentinelOption", "MIN_VAL")
    if option not in ("MIN_VAL", "MAX_VAL", "CUSTOM"):
        knime.lost(f"sentinelOption {option!r} is not one KNIME writes (MIN_VAL, MAX_VAL, CUSTOM)")
    else:
        knime.put("sentinelOption", option, "sentinelOption")
    if tree.get("pythonVersionOption", "PYTHON3") == "PYTHON2":
        knime.note("the script was written for Python 2; knitflow runs it with its own Python 3")
    # the dialog's preview row limit, the transfer chunk size and the Python executables KNIME starts
    knime.unread("rowLimit", "chunkSize", "pythonVersionOption", "python2Command", "python3Command")


def _mappings(factory: str, name: str) -> tuple[KnimeMapping, ...]:
    """The Python2* factory and its older twin in the same package (KNIME 3.4-3.x)."""
    package, _, simple = factory.rpartition(".")
    return (
        KnimeMapping(factory, name, _python2_from_knime),
        KnimeMapping(f"{package}.{simple.replace('Python2', 'Python', 1)}", name, _python2_from_knime),
    )


_KEYWORDS = ("python", "script", "legacy", "python2", "pandas", "input_table", "output_table")


class Python2Source(_Python2Node):
    type_name = "python2_source"
    display_name = "Python Source"
    description = (
        "Runs a legacy KNIME Python script that creates output_table (a pandas DataFrame) from nothing."
    )
    keywords = (*_KEYWORDS, "source")
    knime = _mappings("org.knime.python2.nodes.source.Python2SourceNodeFactory", "Python Source")
    inputs = ()
    outputs = (Port(TABLE, "Output table", "output_table"),)
    output_names = ("output_table",)


class Python2Script(_Python2Node):
    type_name = "python2_script"
    display_name = "Python Script (1⇒1)"
    description = (
        "Runs a legacy KNIME Python script: input_table is the input as a pandas DataFrame indexed by RowID, "
        "the script assigns output_table; flow_variables is a dict of the flow variables."
    )
    keywords = _KEYWORDS
    knime = _mappings("org.knime.python2.nodes.script.Python2ScriptNodeFactory", "Python Script (1⇒1)")
    inputs = (Port(TABLE, "Input table", "input_table"),)
    outputs = (Port(TABLE, "Output table", "output_table"),)
    input_names = ("input_table",)
    output_names = ("output_table",)


class Python2Script1In2Out(_Python2Node):
    type_name = "python2_script_1in2out"
    display_name = "Python Script (1⇒2)"
    description = (
        "Runs a legacy KNIME Python script that reads input_table and assigns output_table_1 and _2."
    )
    keywords = _KEYWORDS
    knime = _mappings(
        "org.knime.python2.nodes.script1in2out.Python2Script1In2OutNodeFactory", "Python Script (1⇒2)"
    )
    inputs = (Port(TABLE, "Input table", "input_table"),)
    outputs = (
        Port(TABLE, "Output table 1", "output_table_1"),
        Port(TABLE, "Output table 2", "output_table_2"),
    )
    input_names = ("input_table",)
    output_names = ("output_table_1", "output_table_2")


class Python2Script2In1Out(_Python2Node):
    type_name = "python2_script_2in1out"
    display_name = "Python Script (2⇒1)"
    description = (
        "Runs a legacy KNIME Python script that reads input_table_1 and _2 and assigns output_table."
    )
    keywords = _KEYWORDS
    knime = _mappings(
        "org.knime.python2.nodes.script2in1out.Python2Script2In1OutNodeFactory", "Python Script (2⇒1)"
    )
    inputs = (Port(TABLE, "Input table 1", "input_table_1"), Port(TABLE, "Input table 2", "input_table_2"))
    outputs = (Port(TABLE, "Output table", "output_table"),)
    input_names = ("input_table_1", "input_table_2")
    output_names = ("output_table",)


class Python2Script2In2Out(_Python2Node):
    type_name = "python2_script_2in2out"
    display_name = "Python Script (2⇒2)"
    description = (
        "Runs a legacy KNIME Python script that reads input_table_1 and _2 and assigns output_table_1 and _2."
    )
    keywords = _KEYWORDS
    knime = _mappings(
        "org.knime.python2.nodes.script2in2out.Python2Script2In2OutNodeFactory", "Python Script (2⇒2)"
    )
    inputs = (Port(TABLE, "Input table 1", "input_table_1"), Port(TABLE, "Input table 2", "input_table_2"))
    outputs = (
        Port(TABLE, "Output table 1", "output_table_1"),
        Port(TABLE, "Output table 2", "output_table_2"),
    )
    input_names = ("input_table_1", "input_table_2")
    output_names = ("output_table_1", "output_table_2")


class Python2EditVariable(_Python2Node):
    type_name = "python2_edit_variable"
    display_name = "Python Edit Variable"
    description = (
        "Runs a legacy KNIME Python script on the flow variables alone: flow_variables is a dict; entries the "
        "script adds or changes (str, int, float or bool) are pushed downstream."
    )
    keywords = (*_KEYWORDS, "flow variables", "variables")
    category = Category.OTHER
    knime = _mappings("org.knime.python2.nodes.variables.Python2VariablesNodeFactory", "Python Edit Variable")
    inputs = (Port(VARIABLES, "Flow variables in", "flow_variables", optional=True),)
    outputs = (Port(VARIABLES, "Flow variables out", "The added or changed flow variables."),)

    def configure(self, in_specs: list[Any], settings: Python2ScriptSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]

    def read_outputs(self, namespace: dict[str, Any], settings: Python2ScriptSettings) -> list[Any]:
        return [None]

    def execute(self, inputs: list[Any], settings: Python2ScriptSettings, ctx: NodeContext) -> list[Any]:
        return super().execute([], settings, ctx)


class Python2View(_Python2Node):
    type_name = "python2_view"
    display_name = "Python View"
    description = (
        "Runs a legacy KNIME Python View script: input_table is the input as a pandas DataFrame; the script "
        "assigns output_image (PNG bytes or an SVG document), which becomes the image."
    )
    keywords = (*_KEYWORDS, "view", "image", "plot", "output_image")
    category = Category.VISUALIZER
    knime = _mappings("org.knime.python2.nodes.view.Python2ViewNodeFactory", "Python View")
    inputs = (Port(TABLE, "Input table", "input_table"),)
    outputs = (Port(VIEW, "Image", "output_image"),)
    input_names = ("input_table",)

    def read_outputs(self, namespace: dict[str, Any], settings: Python2ScriptSettings) -> list[Any]:
        image = namespace.get("output_image")
        if image is None:
            raise NodeError(
                "the script did not assign output_image (PNG bytes or an SVG document)", setting="sourceCode"
            )
        return [_image_view(image, self.display_name)]
