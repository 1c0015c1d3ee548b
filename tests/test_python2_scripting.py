"""KNIME's legacy Python nodes (org.knime.python2): global names for tables and variables, the
integration's missing-value and sentinel rules, RowIDs from the index, and their KNIME mappings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment, notes

from engine.api import ColumnType, NodeError, Table, View
from engine.core.testing import run_node

SCRIPT = "org.knime.python2.nodes.script.Python2ScriptNodeFactory"
SCRIPT_OLD = "org.knime.python2.nodes.script.PythonScriptNodeFactory"
SOURCE = "org.knime.python2.nodes.source.Python2SourceNodeFactory"
ONE_TO_TWO = "org.knime.python2.nodes.script1in2out.Python2Script1In2OutNodeFactory"
TWO_TO_ONE = "org.knime.python2.nodes.script2in1out.Python2Script2In1OutNodeFactory"
TWO_TO_TWO = "org.knime.python2.nodes.script2in2out.Python2Script2In2OutNodeFactory"
VARIABLES = "org.knime.python2.nodes.variables.Python2VariablesNodeFactory"
VIEW = "org.knime.python2.nodes.view.Python2ViewNodeFactory"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def table() -> Table:
    frame = pd.DataFrame(
        {"n": [1, None, 3], "m": [4, 5, 6], "x": [0.5, np.nan, 2.0], "s": ["a", None, "c"]},
        index=["r1", "r2", "r3"],
    )
    return Table.from_frame(frame, {"n": ColumnType.INTEGER, "m": ColumnType.LONG})


def test_script_sees_knime_types_and_missing_ints_as_nan() -> None:
    script = (
        "output_table = pd.DataFrame({'types': [str(input_table[c].dtype) for c in input_table.columns]},\n"
        "                            index=list(input_table.columns))\n"
        "output_table['rowids'] = ','.join(input_table.index)\n"
    )
    out = run_node("python2_script", {"sourceCode": "import pandas as pd\n" + script}, table()).df()
    assert out["types"].to_dict() == {"n": "float64", "m": "int64", "x": "float64", "s": "object"}
    assert out["rowids"].iloc[0] == "r1,r2,r3"
    assert list(out.index) == ["n", "m", "x", "s"]  # the index becomes the RowIDs


def test_sentinel_keeps_int_columns_and_comes_back_as_missing() -> None:
    script = "output_table = input_table.copy()\noutput_table['low'] = input_table['n'] == -2147483648\n"
    settings = {"sourceCode": script, "convertMissingToPython": True, "convertMissingFromPython": True}
    out = run_node("python2_script", settings, table())
    assert out[1].types["n"] == ColumnType.INTEGER and out[1].types["m"] == ColumnType.LONG
    assert out.df()["low"].tolist() == [False, True, False]
    assert pd.isna(out.df().loc["r2", "n"]) and out.df().loc["r3", "n"] == 3
    custom = dict(settings, sentinelOption="CUSTOM", sentinelValue=-1)
    script = "output_table = input_table.copy()\noutput_table['n'] = output_table['n'] + 0\n"
    out = run_node("python2_script", dict(custom, sourceCode=script), table()).df()
    assert pd.isna(out.loc["r2", "n"])  # -1 went in and came back out as missing
    without = run_node(
        "python2_script", dict(custom, sourceCode=script, convertMissingFromPython=False), table()
    )
    assert without.df().loc["r2", "n"] == -1


def test_new_frame_gets_text_rowids_and_typed_columns() -> None:
    script = (
        "import numpy as np, pandas as pd\n"
        "output_table = pd.DataFrame({'i': np.array([1, 2], dtype='int32'), 'l': [3, 4], 'b': [True, False]})\n"
    )
    out = run_node("python2_source", {"sourceCode": script})
    assert list(out.df().index) == ["0", "1"]
    assert out[1].types == {"i": ColumnType.INTEGER, "l": ColumnType.LONG, "b": ColumnType.BOOLEAN}


def test_two_in_two_out_and_flow_variables() -> None:
    script = (
        "output_table_1 = input_table_1[['m']] * 2\n"
        "output_table_2 = input_table_2.iloc[:1]\n"
        "flow_variables['rows'] = len(input_table_1) + len(input_table_2)\n"
        "flow_variables['kept'] = flow_variables['kept']\n"
    )
    result = run_node(
        "python2_script_2in2out", {"sourceCode": script}, table(), table(), variables={"kept": "same"}
    )
    assert result.df(1)["m"].tolist() == [8, 10, 12] and len(result.df(2)) == 1
    assert result.variables == {"rows": 6}  # "kept" is unchanged, so not pushed again


def test_edit_variable_pushes_changes_only() -> None:
    script = "flow_variables['x'] = flow_variables['x'] * 2.5\nflow_variables['name'] = 'n' + str(3)\n"
    result = run_node("python2_edit_variable", {"sourceCode": script}, None, variables={"x": 2})
    assert result.variables == {"x": 5.0, "name": "n3"}


def test_view_takes_png_bytes_or_svg() -> None:
    png_script = (
        "import io\nimport matplotlib.pyplot as plt\nfig = plt.figure()\nplt.plot(input_table['m'])\n"
        "buffer = io.BytesIO()\nfig.savefig(buffer, format='png')\noutput_image = buffer.getvalue()\n"
    )
    view = run_node("python2_view", {"sourceCode": png_script}, table())[1]
    assert isinstance(view, View) and view.png.startswith(PNG_SIGNATURE)
    svg = 'output_image = \'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>\'\n'
    assert b"<svg" in run_node("python2_view", {"sourceCode": svg}, table())[1].picture("svg")[0]
    with pytest.raises(NodeError, match="did not assign output_image"):
        run_node("python2_view", {"sourceCode": "x = 1\n"}, table())


def test_script_errors_name_the_line_and_the_missing_output() -> None:
    with pytest.raises(NodeError, match="line 2") as err:
        run_node("python2_script", {"sourceCode": "a = 1\nb = a / 0\n"}, table())
    assert err.value.setting == "sourceCode"
    with pytest.raises(NodeError, match="output_table_2"):
        run_node("python2_script_1in2out", {"sourceCode": "output_table_1 = input_table\n"}, table())
    with pytest.raises(NodeError, match="must be a pandas DataFrame"):
        run_node("python2_script", {"sourceCode": "output_table = [1, 2]\n"}, table())


MODEL = {
    "sourceCode": "# Copy input to output\r\noutput_table = input_table.copy()  \r\n",
    "rowLimit": 1000,
    "pythonVersionOption": "PYTHON3",
    "convertMissingToPython": True,
    "convertMissingFromPython": False,
    "sentinelOption": "CUSTOM",
    "sentinelValue": 7,
    "chunkSize": 500000,
    "python2Command": "",
    "python3Command": "",
}


@pytest.mark.parametrize(
    ("factory", "node_type"),
    [
        (SCRIPT, "python2_script"),
        (SCRIPT_OLD, "python2_script"),
        (SOURCE, "python2_source"),
        (ONE_TO_TWO, "python2_script_1in2out"),
        (TWO_TO_ONE, "python2_script_2in1out"),
        (TWO_TO_TWO, "python2_script_2in2out"),
        (VARIABLES, "python2_edit_variable"),
        (VIEW, "python2_view"),
        ("org.knime.python2.nodes.source.PythonSourceNodeFactory", "python2_source"),
        ("org.knime.python2.nodes.script1in2out.PythonScript1In2OutNodeFactory", "python2_script_1in2out"),
        ("org.knime.python2.nodes.script2in1out.PythonScript2In1OutNodeFactory", "python2_script_2in1out"),
        ("org.knime.python2.nodes.script2in2out.PythonScript2In2OutNodeFactory", "python2_script_2in2out"),
        ("org.knime.python2.nodes.variables.PythonVariablesNodeFactory", "python2_edit_variable"),
        ("org.knime.python2.nodes.view.PythonViewNodeFactory", "python2_view"),
    ],
)
def test_import_reads_every_key(tmp_path: Path, factory: str, node_type: str) -> None:
    node, report, _ = import_fragment(tmp_path, factory, MODEL)
    assert node.type == node_type and findings(report) == []
    assert node.settings["sourceCode"] == "# Copy input to output\noutput_table = input_table.copy()\n"
    assert node.settings["sentinelOption"] == "CUSTOM" and node.settings["sentinelValue"] == 7
    assert node.settings["convertMissingToPython"] is True


def test_import_notes_python2_and_refuses_unknown_sentinel(tmp_path: Path) -> None:
    _, report, _ = import_fragment(tmp_path, SCRIPT, dict(MODEL, pythonVersionOption="PYTHON2"))
    assert findings(report) == [] and any("Python 2" in n for n in notes(report))
    _, report, _ = import_fragment(tmp_path, SCRIPT, dict(MODEL, sentinelOption="AVERAGE"))
    assert findings(report) and "sentinelOption" in findings(report)[0]


def test_imported_script_runs(tmp_path: Path) -> None:
    script = "output_table = input_table[['m', 'x']] * 1\n"
    node, _, _ = import_fragment(tmp_path, SCRIPT, dict(MODEL, sourceCode=script))
    out = run_node(node.type, node.settings, table())
    assert out.df()["m"].tolist() == [4, 5, 6] and math.isnan(out.df()["x"].iloc[1])
