"""Python Script / Python View with the knime.scripting.io compatibility layer."""

from __future__ import annotations

import importlib.util
import struct
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from spec_shapes import data_file, knime_archive

from engine.api import ColumnType, NodeError, Table, View
from engine.core.context import RunContext
from engine.core.registry import registry
from engine.core.testing import run_node
from engine.core.variables import VarStack
from nodes.scripting import PythonObject

# Scripts written in the style of the KNIME archives (12_01/12_02): comments, pandas/numpy, knio.
MATRIX_PRODUCT = """# multiply two tables as plain matrices
import knime.scripting.io as knio
import pandas as pd

dfA = knio.input_tables[0].to_pandas()
dfB = knio.input_tables[1].to_pandas()

A = dfA.to_numpy()
B = dfB.to_numpy()
C = A @ B

knio.output_tables[0] = knio.Table.from_pandas(pd.DataFrame(C))
"""

PRODUCT_WITH_LABELS = """import knime.scripting.io as knio
import pandas as pd

dfA = knio.input_tables[0].to_pandas()
dfB = knio.input_tables[1].to_pandas()
dfref = knio.input_tables[2].to_pandas()
out = dfA.to_numpy() @ dfB.to_numpy()
knio.output_tables[0] = knio.Table.from_pandas(pd.DataFrame(out, index=dfref.index, columns=dfref.columns))
"""

HEATMAP = """import knime.scripting.io as knio
import matplotlib.pyplot as plt
import seaborn as sns

df = knio.input_tables[0].to_pandas()
fig, ax = plt.subplots(figsize=(10,10))
sns.heatmap(df, cmap="viridis", ax=ax)
plt.tight_layout()
knio.output_view = knio.view(fig)
"""


def logging_ctx(variables: dict[str, Any] | None = None) -> tuple[RunContext, list[str]]:
    logs: list[str] = []
    ctx = RunContext(node_id=1, variables=VarStack.of(variables or {}), on_log=lambda n, m: logs.append(m))
    return ctx, logs


def run_with_log(
    type_name: str, settings: dict[str, Any], *inputs: Any, variables: dict[str, Any] | None = None
) -> tuple[list[Any], list[str], RunContext]:
    node = registry.get(type_name)()  # type: ignore[misc]
    parsed = node.Settings.model_validate(settings)
    ctx, logs = logging_ctx(variables)
    objs = [Table.from_frame(i) if isinstance(i, pd.DataFrame) else i for i in inputs]
    objs += [None] * (len(node.inputs) - len(objs))
    return node.execute(objs, parsed, ctx), logs, ctx


def png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def test_knime_style_matrix_scripts_run_unchanged() -> None:
    rng = np.random.default_rng(0)
    u = pd.DataFrame(rng.normal(size=(5, 2)), columns=["Dimension 0", "Dimension 1"])
    s = pd.DataFrame(np.diag([3.0, 2.0]), columns=["0.0+Sum(diag)", "1.0+Sum(diag)"])
    us = run_node("python_script", {"script": MATRIX_PRODUCT}, u, s)
    t = us[1]
    assert t.columns == ["0", "1"] and t.row_ids == [f"Row{i}" for i in range(5)]
    assert t.types == {"0": ColumnType.DOUBLE, "1": ColumnType.DOUBLE}
    assert np.allclose(t.df.to_numpy(), u.to_numpy() @ np.diag([3.0, 2.0]))
    assert us[2] is None and us[5] is None  # ports the script does not fill
    vt = pd.DataFrame(
        rng.normal(size=(2, 3)), columns=["Row0", "Row1", "Row2"], index=["Dimension 0", "Dimension 1"]
    )
    ref = pd.DataFrame(np.zeros((5, 3)), columns=["a", "b", "c"], index=[f"Al^X{i}" for i in range(5)])
    low = run_node("python_script", {"script": PRODUCT_WITH_LABELS}, t, vt, ref)[1]
    assert low.columns == ["a", "b", "c"] and low.row_ids == list(ref.index)
    assert np.allclose(low.df.to_numpy(), t.df.to_numpy() @ vt.to_numpy())
    assert "knime" not in sys.modules and "knime.scripting.io" not in sys.modules


def test_default_script_passes_the_table_through_with_types() -> None:
    frame = pd.DataFrame({"i": [1, 2], "x": [0.5, np.nan], "s": ["a", None]}, index=["r1", "r2"])
    table = Table.from_frame(frame, {"i": ColumnType.INTEGER})
    out = run_node("python_script", {}, table)[1]
    assert out.row_ids == ["r1", "r2"] and out.types["i"] == ColumnType.INTEGER
    script = """import knime.scripting.io as knio
df = knio.input_tables[0].to_pandas()
assert str(df['i'].dtype) == 'int32', df.dtypes
df['j'] = df['i'].astype('int64') * 10_000_000_000
df['flag'] = df['x'].isna()
knio.output_tables[0] = knio.Table.from_pandas(df)
"""
    out = run_node("python_script", {"script": script}, table)[1]
    assert out.types == {"i": "Integer", "x": "Double", "s": "String", "j": "Long", "flag": "Boolean"}
    assert out.df["s"].tolist() == ["a", None]
    assert out.row_ids == ["r1", "r2"]


def test_script_errors_report_the_script_line() -> None:
    script = "import knime.scripting.io as knio\nx = 1\n\ny = knio.input_tables[0].to_pandas()['nope']\n"
    with pytest.raises(NodeError, match=r"line 4: KeyError: 'nope'") as err:
        run_node("python_script", {"script": script}, pd.DataFrame({"a": [1.0]}))
    assert err.value.setting == "script" and "['nope']" in str(err.value)
    nested = "def f(v):\n    return 1 / v\n\nf(0)\n"
    with pytest.raises(NodeError, match=r"line 2: ZeroDivisionError"):
        run_node("python_script", {"script": nested, "output_tables": 0})
    with pytest.raises(NodeError, match=r"line 3: SyntaxError"):
        run_node("python_script", {"script": "a = 1\nb = 2\nc = (\n"})
    with pytest.raises(NodeError, match=r"knio.output_tables\[0\]"):
        run_node("python_script", {"script": "import knime.scripting.io as knio\n"}, pd.DataFrame({"a": [1]}))
    with pytest.raises(NodeError, match="line 3: KnioError: duplicate column"):
        run_node(
            "python_script",
            {
                "script": "import knime.scripting.io as knio\nimport pandas as pd\n"
                "t = knio.Table.from_pandas(pd.DataFrame([[1, 2]], columns=['a', 'a']))\n",
                "output_tables": 0,
            },
        )
    assert "knime" not in sys.modules


def test_stdout_goes_to_the_log_and_flow_variables_round_trip() -> None:
    script = """import knime.scripting.io as knio
print("rows:", knio.input_tables[0].num_rows)
import sys
print("careful", file=sys.stderr)
knio.flow_variables["k"] = knio.flow_variables["k"] + 1
knio.flow_variables["label"] = "done"
knio.flow_variables["ratio"] = 0.25
knio.output_tables[0] = knio.input_tables[0]
"""
    outs, logs, ctx = run_with_log(
        "python_script",
        {"script": script},
        pd.DataFrame({"a": [1.0, 2.0]}),
        variables={"k": 4, "unchanged": "x"},
    )
    assert logs == ["rows: 2", "[stderr] careful"]
    pushed = {e.name: (e.value, e.type) for e in ctx.pushed}
    assert pushed == {"k": (5, "Integer"), "label": ("done", "String"), "ratio": (0.25, "Double")}
    assert isinstance(outs[0], Table) and len(outs[0]) == 2
    with pytest.raises(NodeError, match="cannot be a flow variable"):
        run_node(
            "python_script",
            {
                "script": "import knime.scripting.io as knio\nknio.flow_variables['v'] = [1]\n",
                "output_tables": 0,
            },
        )


def test_objects_multiple_outputs_and_old_module_name() -> None:
    script = """import knime_io as knio
import pandas as pd
model = {"mean": float(knio.input_tables[0].to_pandas()["a"].mean())}
knio.output_objects[0] = model
knio.output_tables[0] = knio.Table.from_pandas(pd.DataFrame({"m": [model["mean"]]}))
knio.output_tables[1] = knio.Table.from_pandas(pd.DataFrame({"n": [1, 2]}, index=["x", "y"]), row_ids="generate")
"""
    res = run_node(
        "python_script",
        {"script": script, "output_tables": 2, "output_objects": 1},
        pd.DataFrame({"a": [1.0, 3.0]}),
    )
    assert res[1].df["m"].tolist() == [2.0] and res[2].row_ids == ["Row0", "Row1"]
    assert isinstance(res[5], PythonObject) and res[5].value == {"mean": 2.0}
    reader = (
        "import knime.scripting.io as knio\nknio.flow_variables['mean'] = knio.input_objects[0]['mean']\n"
    )
    inputs: list[Any] = [None] * 4 + [res[5]]
    out = run_node("python_script", {"script": reader, "output_tables": 0}, *inputs)
    assert out.variables == {"mean": 2.0}


def test_empty_table_and_gaps_between_ports() -> None:
    script = """import knime.scripting.io as knio
assert len(knio.input_tables) == 3 and knio.input_tables[1] is None
df = knio.input_tables[2].to_pandas()
knio.output_tables[0] = knio.Table.from_pandas(df)
"""
    empty = pd.DataFrame({"a": pd.Series([], dtype=float)})
    out = run_node("python_script", {"script": script}, pd.DataFrame({"b": [1.0]}), None, empty)[1]
    assert len(out) == 0 and out.columns == ["a"]


def test_python_view_matplotlib_and_missing_view() -> None:
    script = """import knime.scripting.io as knio
import matplotlib.pyplot as plt
df = knio.input_tables[0].to_pandas()
fig, ax = plt.subplots(figsize=(8, 6))
ax.imshow(df.to_numpy(), cmap="viridis")
knio.output_view = knio.view_matplotlib()
"""
    view = run_node("python_view", {"script": script}, pd.DataFrame(np.eye(3)))[1]
    assert isinstance(view, View) and view.png is not None and png_size(view.png) == (800, 600)
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []  # the script's figures are closed afterwards
    with pytest.raises(NodeError, match="output_view"):
        run_node("python_view", {"script": "import knime.scripting.io as knio\n"}, pd.DataFrame({"a": [1]}))
    with pytest.raises(NodeError, match="PNG"):
        run_node(
            "python_view",
            {
                "script": "import knime.scripting.io as knio\nknio.output_view = "
                "knio.view('<html><b>hi</b></html>')\n"
            },
        )


@pytest.mark.skipif(importlib.util.find_spec("seaborn") is None, reason="seaborn is not installed")
def test_python_view_seaborn_heatmap_like_the_archive() -> None:
    view = run_node(
        "python_view", {"script": HEATMAP}, pd.DataFrame(np.random.default_rng(1).random((10, 20)))
    )[1]
    assert view.png.startswith(b"\x89PNG") and png_size(view.png) == (1000, 1000)


def test_scripts_in_threads_do_not_mix() -> None:
    script = """import knime.scripting.io as knio
import time
df = knio.input_tables[0].to_pandas()
time.sleep(0.05)
knio.output_tables[0] = knio.Table.from_pandas(df * 2)
"""
    results: dict[int, Any] = {}

    def work(i: int) -> None:
        results[i] = run_node("python_script", {"script": script}, pd.DataFrame({"a": [float(i)]}))[1]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {i: r.df["a"].iloc[0] for i, r in results.items()} == {i: 2.0 * i for i in range(4)}


# ------------------------------------------------------------------ the archive's own scripts (12_01)

ROOT = Path(__file__).resolve().parent.parent


def data_path(name: str) -> Path:
    """A tutorial data file (committed in data/; $KNITFLOW_DATA first)."""
    return data_file(name)


def archive_scripts(name: str) -> dict[int, str]:
    """The scripts stored in a KNIME archive (read at test time, never copied into the repo)."""
    from engine.knime import read_archive

    path = knime_archive(name.removesuffix(".knwf"))
    return {n.id: n.model["script"] for n in read_archive(path).nodes if "script" in n.model}


def test_archive_scripts_of_12_01_run_unchanged_and_reproduce_the_reference() -> None:
    scripts = archive_scripts("12_01_SVD_toymodel.knwf")
    r = Table.from_frame(pd.read_csv(data_path("simple_existence.csv")))
    u_full, s_full, vt_full = np.linalg.svd(r.df.to_numpy())
    k = 4
    dims = [f"Dimension {i}" for i in range(k)]
    u = Table.from_frame(pd.DataFrame(u_full[:, :k], columns=dims))
    s = Table.from_frame(pd.DataFrame(np.diag(s_full[:k]), columns=[f"{i}.0+Sum(diag)" for i in range(k)]))
    vt = Table(
        pd.DataFrame(vt_full[:k], index=pd.Index(dims, dtype=object), columns=[f"Row{i}" for i in range(20)])
    )
    us = run_node("python_script", {"script": scripts[396]}, u, s)[1]
    assert us.shape == (10, 4) and us.columns == ["0", "1", "2", "3"]
    low = run_node("python_script", {"script": scripts[382]}, us, vt, r)[1]
    assert low.shape == (10, 20) and low.row_ids == r.row_ids and low.columns == r.columns
    diff = run_node("python_script", {"script": scripts[395]}, low, r)[1]
    long = run_node("unpivot", {"retained_columns": {"enforce_option": "EnforceInclusion"}}, diff)[1]
    assert long.shape == (200, 3)
    top = long.df.sort_values("ColumnValues", ascending=False, kind="stable")
    # the first two cells tie (0.471711 both): which one comes first depends on the last bit of the SVD
    assert sorted(top[["RowIDs", "ColumnNames"]].iloc[:2].values.tolist()) == [["Row3", "9"], ["Row8", "12"]]
    assert top["ColumnValues"].iloc[0] == pytest.approx(0.471711, abs=1e-6)
    assert top[["RowIDs", "ColumnNames"]].iloc[2].tolist() == ["Row7", "11"]
    assert top["ColumnValues"].iloc[2] == pytest.approx(0.282342, abs=1e-6)
    assert top["ColumnValues"].iloc[-1] == pytest.approx(-1.0, abs=1e-6)
    assert top[["RowIDs", "ColumnNames"]].iloc[-1].tolist() == ["Row6", "4"]
    if importlib.util.find_spec("seaborn") is not None:
        for node_id, table in ((379, r), (387, low), (399, diff)):
            view = run_node("python_view", {"script": scripts[node_id]}, table)[1]
            assert view.png.startswith(b"\x89PNG")
        assert png_size(run_node("python_view", {"script": scripts[379]}, r)[1].png) == (800, 600)


def test_a_script_that_draws_nothing_imports_no_plotting_library_and_one_that_draws_gets_agg() -> None:
    import subprocess

    code = """
import sys
import pandas as pd
from engine.api import Table
from engine.core.testing import run_node
table = Table(pd.DataFrame({"x": [1.0, 2.0]}))
run_node("python_script", {"script": "import knime.scripting.io as knio\\nknio.output_tables[0] = knio.input_tables[0]"}, table)
assert "matplotlib" not in sys.modules, "a script that draws nothing imported matplotlib"
draw = "import knime.scripting.io as knio\\nimport matplotlib.pyplot as plt\\nfig, ax = plt.subplots()\\nknio.output_view = knio.view(fig)"
(view,) = run_node("python_view", {"script": draw}, table).outputs
import matplotlib
assert matplotlib.get_backend().lower() == "agg", matplotlib.get_backend()
assert view.png.startswith(b"\\x89PNG")
"""
    env = {k: v for k, v in __import__("os").environ.items() if k != "MPLBACKEND"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
