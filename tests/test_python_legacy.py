"""The MPI-CBG Python Snippet / Python Plot (KNIME 2.x): kIn / pyOut dicts of column lists handed over
as KNIME's CSV files would, FLOWVAR(name), the plot's pylab figure, and their KNIME mappings."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment, notes

from engine.api import ColumnType, NodeError, Table, View
from engine.core.testing import run_node

SNIPPET = "de.mpicbg.knime.scripting.python.PythonSnippetNodeFactory"
PLOT = "de.mpicbg.knime.scripting.python.plots.PythonPlotNodeFactory"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def table() -> Table:
    frame = pd.DataFrame(
        {"n": [1, 2, 3], "x": [0.5, np.nan, 2.0], "s": ["a", "", None]}, index=["r1", "r2", "r3"]
    )
    return Table.from_frame(frame, {"n": ColumnType.INTEGER})


def snippet(script: str, *inputs: object, **variables: object) -> Table:
    return run_node("python_snippet_mpicbg", {"node_script": script}, *inputs, variables=variables)[1]


def internals(kind: str) -> dict[str, object]:
    return {"SettingsModelID": kind, "EnabledStatus": True}


def test_kin_and_pyout_follow_knimes_csv_hand_over() -> None:
    script = """# computed column beside the input's
types = [type(kIn[c][0]).__name__ for c in kIn]
pyOut = OrderedDict()
pyOut["n"] = kIn["n"]
pyOut["ratio"] = [float("nan") if x is None else n / x for n, x in zip(kIn["n"], kIn["x"])]
pyOut["s"] = kIn["s"]
pyOut["types"] = types
"""
    out = snippet(script, table())
    assert out.columns == ["n", "ratio", "s", "types"]
    assert out.types == {"n": "Integer", "ratio": "Double", "s": "String", "types": "String"}
    assert out.row_ids == ["0", "1", "2"]  # KNIME numbers the rows it reads back
    assert out.df["n"].tolist() == [1, 2, 3]
    ratio = out.df["ratio"].tolist()
    assert ratio[0] == 2.0 and math.isnan(ratio[1]) and ratio[2] == 1.5
    # the empty string and the missing cell both arrive as None; None goes back as "" (quoted text)
    assert out.df["s"].tolist() == ["a", "", ""]
    assert out.df["types"].tolist() == ["int", "float", "str"]


def test_pyout_values_that_java_cannot_parse_are_missing() -> None:
    script = """pyOut = {
    "i": [1, 2.5, 3000000000, True],
    "d": [0.5, 4, float("inf"), float("nan")],
    "t": ["x", float("nan"), None, "y"],
    "longer": [1, 2, 3, 4, 5],
}
"""
    out = snippet(script, table())
    assert out.types == {"i": "Integer", "d": "Double", "t": "String", "longer": "Integer"}
    missing = {c: out.df[c].isna().tolist() for c in ("i", "d")}
    assert out.df["i"].tolist()[0] == 1 and missing["i"] == [False, True, True, True]
    assert out.df["d"].tolist()[:2] == [0.5, 4.0] and missing["d"] == [False, False, True, True]
    assert out.df["t"].tolist() == ["x", None, "", "y"]
    assert out.df["longer"].tolist() == [1, 2, 3, 4]  # cut to the first column's length
    with pytest.raises(NodeError, match=r"pyOut\['a'\]\[1\] holds None in a column of Integer") as err:
        snippet("pyOut = {'a': [1, None]}", table())
    assert err.value.setting == "node_script"
    with pytest.raises(NodeError, match="number 2 in a String column"):
        snippet("pyOut = {'a': ['x', 2]}", table())
    with pytest.raises(NodeError, match="has 1 values, the first column 2"):
        snippet("pyOut = {'a': [1, 2], 'b': [1]}", table())
    with pytest.raises(NodeError, match="did not assign pyOut"):
        snippet("x = 1", table())
    with pytest.raises(NodeError, match="pyOut is a list"):
        snippet("pyOut = [1, 2]", table())


def test_flowvar_is_replaced_by_the_variables_text() -> None:
    script = 'pyOut = {"v": [FLOWVAR(k) * 2], "d": [FLOWVAR(big)], "s": ["FLOWVAR(name)"]}'
    run = run_node(
        "python_snippet_mpicbg",
        {"node_script": script},
        table(),
        variables={"k": 21, "big": 1e10, "name": "abc"},
    )
    out = run[1]
    assert out.df["v"].tolist() == [42] and out.df["d"].tolist() == [1e10] and out.df["s"].tolist() == ["abc"]
    assert run.variables == {}  # the MPI-CBG nodes push no variables
    with pytest.raises(NodeError, match=r"Could not replace \(missing\?\) flow-variable : nope"):
        snippet("pyOut = {'a': [FLOWVAR(nope)]}", table())
    with pytest.raises(NodeError, match="Correct example: FLOWVAR"):
        snippet("pyOut = {'a': ['FLOWVAR']}", table())


def test_script_errors_name_the_users_line() -> None:
    with pytest.raises(NodeError, match=r"at line 3: KeyError: 'nope'") as err:
        snippet("a = 1\n\nb = kIn['nope']\npyOut = kIn\n", table())
    assert err.value.setting == "node_script" and "kIn['nope']" in str(err.value)
    with pytest.raises(NodeError, match=r"at line 2: SyntaxError"):
        snippet("a = 1\nprint a\n", table())
    with pytest.raises(NodeError, match=r"at line 2: ZeroDivisionError"):
        run_node("python_plot_mpicbg", {"node_script": "plot([1, 2])\nx = 1 / 0\n"}, table())
    with pytest.raises(NodeError, match="column 'b' is Boolean"):
        snippet("pyOut = kIn", pd.DataFrame({"b": [True, False]}))


def png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def test_plot_gives_the_current_figure_at_the_set_size(tmp_path: Path) -> None:
    script = "plot(kIn['n'], kIn['n'])\ntitle('n')\nshow()\n"
    target = tmp_path / "plot_FLOWVAR(k).png"
    settings = {
        "node_script": script,
        "figure_width": 320,
        "figure_height": 240,
        "figure_output_file": str(target),
    }
    view = run_node("python_plot_mpicbg", settings, table(), variables={"k": 7})[1]
    assert isinstance(view, View) and view.png is not None
    assert view.png.startswith(PNG_SIGNATURE) and png_size(view.png) == (320, 240)
    written = tmp_path / "plot_7.png"
    assert written.read_bytes() == view.png
    with pytest.raises(NodeError, match="already exists, enable overwrite") as err:
        run_node("python_plot_mpicbg", settings, table(), variables={"k": 7})
    assert err.value.setting == "overwrite_ok"
    again = run_node("python_plot_mpicbg", {**settings, "overwrite_ok": True}, table(), variables={"k": 7})[1]
    assert png_size(again.png) == (320, 240)


def test_import_snippet_with_knimes_keys(tmp_path: Path) -> None:
    script = "rows = len(kIn['n'])\npyOut = {'rows': [rows]}"
    model = {
        "node.script_Internals": internals("SMID_string"),
        "node.script": script,
        "node.template_Internals": internals("SMID_string"),
        "node.template": "",
    }
    node, report, _ = import_fragment(tmp_path, SNIPPET, model)
    assert node.type == "python_snippet_mpicbg" and findings(report) == []
    assert node.settings["node_script"] == script
    assert run_node(node.type, node.settings, table())[1].df["rows"].tolist() == [3]
    python2 = {**model, "node.script": "for f in kIn:\n    print f\npyOut = kIn"}
    _, report, _ = import_fragment(tmp_path, SNIPPET, python2)
    assert findings(report) == [
        "the script is not valid Python 3 (line 2: Missing parentheses in call to 'print'. Did you mean "
        "print(...)?); KNIME ran it with the Python set in its preferences (often Python 2), knitflow runs Python 3"
    ]


def test_import_plot_with_knimes_keys(tmp_path: Path) -> None:
    model = {
        "figure.width_Internals": internals("SMID_integer"),
        "figure.width": 1000,
        "figure.height_Internals": internals("SMID_integer"),
        "figure.height": 700,
        "figure.output.file_Internals": internals("SMID_string"),
        "figure.output.file": "/Users/someone/results/plots/roc.png",
        "overwrite.ok_Internals": internals("SMID_boolean"),
        "overwrite.ok": True,
        "node.script_Internals": internals("SMID_string"),
        "node.script": "plot(kIn['n'])",
        "node.template_Internals": internals("SMID_string"),
        "node.template": "",
    }
    node, report, _ = import_fragment(tmp_path, PLOT, model)
    assert node.type == "python_plot_mpicbg" and findings(report) == []
    assert node.settings == {
        "node_script": "plot(kIn['n'])",
        "figure_width": 1000,
        "figure_height": 700,
        "figure_output_file": "roc.png",
        "overwrite_ok": True,
    }
    assert any("roc.png" in n for n in notes(report))
    unknown = {**model, "figure.zoom": 2}
    _, report, _ = import_fragment(tmp_path, PLOT, unknown)
    assert findings(report) == ["setting figure.zoom = 2 has no counterpart in knitflow"]
