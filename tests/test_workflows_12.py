"""Tutorial workflows 12_01 and 12_02 (rank-K SVD recommendations) on a real local Spark: every recorded
port shape, the spec's reference values, Spark's SVD against NumPy's, K = 1, 2, 3 through the workflow
variable `K` (what `--set K=...` sets), the original KNIME archive with its own knio scripts, and the CLI.

All runs share one Spark session: it outlives a run (as KNIME keeps a context open after execution;
the workflows' onDisposeAction DELETE_DATA only frees the run's cached data) and the module fixture stops
it at the end. The CLI test runs the workflow file as shipped, in the same session.

Not compared with NumPy: 12_02 with K >= 9. R has the singular value sqrt(3) three times, and MLlib's
computeSVD (ARPACK on the Gramian when K < n/3) finds fewer copies of it, so Spark's rank-10 matrix is
not NumPy's; KNIME runs the same MLlib code."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from knime_facts import SPARK_PORTS
from spec_shapes import data_dir, knime_archive, recorded_table_shapes

import nodes._spark as spark
from engine.api import Table, View
from engine.cli import main as cli_main
from engine.core.document import WorkflowDoc
from engine.core.document_saving import write_document
from engine.core.workflow import RunResult, Workflow
from engine.knime import skeleton

ROOT = Path(__file__).resolve().parent.parent
SPARK_PROBLEM = spark.missing_requirements()
pytestmark = pytest.mark.skipif(SPARK_PROBLEM is not None, reason=f"Spark unavailable: {SPARK_PROBLEM}")

TOY, MATERIAL = "12_01_SVD_toymodel", "12_02_SVD_material"


@dataclass(frozen=True)
class Layout:
    """Node ids of one workflow (the two are the same pipeline with different ids)."""

    data_file: str
    has_row_id: bool
    reader: int
    environment: int
    svd: int
    v: int
    u: int
    s: int
    us: int
    vt: int
    low_rank: int
    difference: int
    unpivot: int
    views: dict[int, tuple[int, int]] = field(default_factory=dict)  # Python View -> PNG size


LAYOUT = {
    TOY: Layout(
        "simple_existence.csv",
        False,
        reader=391,
        environment=397,
        svd=389,
        v=392,
        u=388,
        s=378,
        us=396,
        vt=398,
        low_rank=382,
        difference=395,
        unpivot=380,
        views={379: (800, 600), 387: (1000, 1000), 399: (1000, 1000)},
    ),
    MATERIAL: Layout(
        "group131415_div1.csv",
        True,
        reader=362,
        environment=361,
        svd=354,
        v=373,
        u=365,
        s=368,
        us=371,
        vt=370,
        low_rank=366,
        difference=360,
        unpivot=369,
        views={357: (800, 600), 375: (1000, 1000), 400: (1000, 1000)},
    ),
}

# reference values of the specs (NumPy SVD, six printed decimals)
SINGULAR_VALUES = {TOY: [5.035026, 2.320022, 1.740423, 1.267447], MATERIAL: [4.788153, 3.351131, 3.071689]}
TOP_12_01 = [  # K = 4: the largest entries of U S' Vᵀ − R (the last three tie)
    ("Row3", "9", 0.471711),
    ("Row8", "12", 0.471711),
    ("Row7", "11", 0.282342),
    ("Row7", "14", 0.239277),
    ("Row7", "13", 0.219023),
    ("Row7", "10", 0.219023),
    ("Row7", "5", 0.219023),
]
SMALLEST_12_01 = ("Row6", "4", -1.0)
TOP_12_02 = [  # K = 3: the largest differences, in symmetric pairs
    ("P^Sn", "2^8^R-3m", 0.534619),
    ("Sn^P", "8^2^R-3m", 0.534619),
    ("Sb^In", "5^5^F-43m", 0.460411),
    ("In^Sb", "5^5^F-43m", 0.460411),
    ("Ge^P", "4^6^R-3m", 0.441026),
    ("Ge^P", "6^4^R-3m", 0.441026),
    ("P^Ge", "4^6^R-3m", 0.441026),
    ("P^Ge", "6^4^R-3m", 0.441026),
    ("Sn^Sb", "1^9^I41/amd", 0.414271),
    ("Sb^Sn", "9^1^I41/amd", 0.414271),
]
# slide 69: difference, recommended compound, space group; and the spec's exact cells (K = 3)
SLIDE_12_02 = [
    (0.308, "Sn0.5As0.5", "R-3m"),
    (0.190, "In0.5Sb0.5", "P6/mmm"),
    (0.122, "In0.6Sb0.4", "I41/amd"),
    (0.024, "In0.2Sb0.8", "R-3m"),
]
CELLS_12_02 = {
    ("As^Sn", "5^5^R-3m"): 0.307628,
    ("Sn^As", "5^5^R-3m"): 0.307628,
    ("In^Sb", "5^5^P6/mmm"): 0.190078,
    ("Sb^In", "5^5^P6/mmm"): 0.190078,
    ("In^Sb", "6^4^I41/amd"): 0.122335,
    ("Sb^In", "4^6^I41/amd"): 0.122335,
    ("In^Sb", "2^8^R-3m"): 0.023713,
    ("Sb^In", "8^2^R-3m"): 0.023713,
}


# ------------------------------------------------------------------------------------- helpers


def original_matrix(name: str) -> pd.DataFrame:
    """R read with pandas alone (not through our CSV Reader): RowIDs Row0.. or the first column."""
    layout = LAYOUT[name]
    path = data_dir() / layout.data_file
    if layout.has_row_id:
        r = pd.read_csv(path, index_col=0)
    else:
        r = pd.read_csv(path)
        r.index = [f"Row{i}" for i in range(len(r))]
    r.columns = [str(c) for c in r.columns]
    return r.astype(float)


def numpy_recommendations(r: pd.DataFrame, k: int) -> pd.DataFrame:
    """The long table the workflow ends with, computed with NumPy: (U_k S_k V_kᵀ − R), row-major."""
    u, s, vt = np.linalg.svd(r.to_numpy(), full_matrices=False)
    diff = (u[:, :k] * s[:k]) @ vt[:k] - r.to_numpy()
    return pd.DataFrame(
        {
            "RowIDs": np.repeat(r.index.to_numpy(dtype=object), r.shape[1]),
            "ColumnNames": np.tile(r.columns.to_numpy(dtype=object), r.shape[0]),
            "ColumnValues": diff.ravel(),
        }
    )


def assert_same_long_table(ours: pd.DataFrame, expected: pd.DataFrame, atol: float = 1e-8) -> None:
    """Equal labels; values to 1e-8 (MLlib solves the Gramian's eigenproblem to ARPACK's tolerance 1e-10)."""
    assert list(ours.columns) == ["RowIDs", "ColumnNames", "ColumnValues"]
    assert ours.index.tolist() == [f"Row{i}" for i in range(len(expected))]
    assert ours["RowIDs"].tolist() == expected["RowIDs"].tolist()
    assert ours["ColumnNames"].tolist() == expected["ColumnNames"].tolist()
    np.testing.assert_allclose(
        ours["ColumnValues"].to_numpy(), expected["ColumnValues"].to_numpy(), rtol=0, atol=atol
    )


def cell_values(long: pd.DataFrame) -> pd.Series:
    return long.set_index(["RowIDs", "ColumnNames"])["ColumnValues"]


def top_cells(long: pd.DataFrame, n: int) -> pd.DataFrame:
    """The Table View sorted by ColumnValues descending, as in the slides."""
    return long.sort_values("ColumnValues", ascending=False, kind="stable").head(n)


def compound(row_id: str, column: str) -> tuple[str, str]:
    """(`In^Sb`, `6^4^I41/amd`) -> (`In0.6Sb0.4`, `I41/amd`): the slides' notation."""
    first, second = row_id.split("^")
    a, b, space_group = column.split("^", 2)
    return f"{first}{int(a) / 10:g}{second}{int(b) / 10:g}", space_group


def recorded_spark_summaries(name: str) -> dict[tuple[int, int], str]:
    """{(node, port): "N columns"} for the Spark data ports KNIME recorded."""
    return dict(SPARK_PORTS[name])


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


class Runs:
    """Workflow runs of this module, all in one Spark session."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, int | None], RunResult] = {}

    def run(self, name: str, k: int | None = None) -> RunResult:
        key = (name, k)
        if key not in self._done:
            wf = Workflow.load(ROOT / "workflows" / f"{name}.yaml")
            self._done[key] = self.run_workflow(wf, LAYOUT[name].environment, {} if k is None else {"K": k})
        return self._done[key]

    @staticmethod
    def run_workflow(wf: Workflow, environment: int, variables: dict[str, Any]) -> RunResult:
        result = wf.run(variables={"data_dir": str(data_dir()), **variables})
        assert result.ok, "\n".join(f"#{s.id} {s.name}: {s.error}" for s in result.failed())
        return result


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path_factory.mktemp("runs_12"))  # the runs' scratch folders (Spark's working directory)
        yield Runs()
    from pyspark import SparkContext

    if SparkContext._active_spark_context is not None:  # noqa: SLF001
        SparkContext._active_spark_context.stop()  # noqa: SLF001


@pytest.fixture(scope="module")
def toy(runs: Runs) -> RunResult:
    result = runs.run(TOY)
    env, svd = result.node(LAYOUT[TOY].environment), result.node(LAYOUT[TOY].svd)
    print(
        f"\n12_01: Spark start {env.seconds:.1f} s, Spark SVD {svd.seconds:.1f} s, run {result.seconds:.1f} s"
    )
    return result


def test_a_second_run_in_the_process_finds_spark_warm(runs: Runs, toy: RunResult) -> None:
    """12_01 loaded afresh (nothing cached) after the module's first run: the same Spark session, no start.
    The issue's target is <= 2 s on an idle 2-core machine (benchmarks/bench_spark.py measures it)."""
    from pyspark import SparkContext

    running = SparkContext._active_spark_context  # noqa: SLF001
    assert running is not None
    again = Runs.run_workflow(Workflow.load(ROOT / "workflows" / f"{TOY}.yaml"), LAYOUT[TOY].environment, {})
    print(f"\n12_01 again in the same process: {again.seconds:.2f} s (first run {toy.seconds:.2f} s)")
    assert SparkContext._active_spark_context is running  # noqa: SLF001
    assert not any("started on" in line for line in again.node(LAYOUT[TOY].environment).log)
    layout = LAYOUT[TOY]
    for node in (layout.s, layout.low_rank, layout.difference):
        pd.testing.assert_frame_equal(
            again.output(node), toy.output(node), check_exact=False, rtol=0, atol=1e-9
        )


@pytest.fixture(scope="module")
def material(runs: Runs, toy: RunResult) -> RunResult:  # after `toy`: the session is already up
    return runs.run(MATERIAL)


@pytest.fixture(params=[TOY, MATERIAL])
def run_of(request: pytest.FixtureRequest) -> tuple[str, RunResult]:
    name = request.param
    return name, request.getfixturevalue("toy" if name == TOY else "material")


# --------------------------------------------------------------------------------- the workflows


def test_the_shipped_workflows_store_k_as_the_archives_do() -> None:
    for name, k in ((TOY, 4), (MATERIAL, 3)):
        doc = Workflow.load(ROOT / "workflows" / f"{name}.yaml").doc
        svd = doc.node(LAYOUT[name].svd)
        assert doc.variables["K"] == k and svd.settings["noOfSingularValues"] == k
        assert svd.use_variables == {"noOfSingularValues": "K"}


def test_scripts_are_our_own_not_the_archives() -> None:
    for name in (TOY, MATERIAL):
        original = skeleton(knime_archive(name))
        ours = Workflow.load(ROOT / "workflows" / f"{name}.yaml").doc
        scripted = [n for n in ours.nodes if n.type in ("python_script", "python_view")]
        assert len(scripted) == 6
        for node in scripted:
            script = node.settings["script"]
            assert script != original.node(node.id).settings["script"]
            assert script.isascii() and "seaborn" not in script, f"#{node.id}"
            assert "import knime.scripting.io as knio" in script


def test_recorded_shapes(run_of: tuple[str, RunResult]) -> None:
    name, result = run_of
    for (node, port), expected in recorded_table_shapes(name).items():
        obj = result.status[node].outputs[port - 1]
        assert isinstance(obj, Table), f"#{node} port {port} is not a table"
        assert obj.shape == expected, f"#{node} port {port}: {obj.shape} != KNIME's {expected}"
    for (node, port), summary in recorded_spark_summaries(name).items():
        obj = result.status[node].outputs[port - 1]
        assert isinstance(obj, spark.SparkData) and obj.summary == summary, (node, port)


def test_singular_values_are_numpys(run_of: tuple[str, RunResult]) -> None:
    name, result = run_of
    sv = result.table(LAYOUT[name].svd)
    k = len(SINGULAR_VALUES[name])
    assert sv.columns == ["Singular Value"] and sv.row_ids == [f"Row{i}" for i in range(k)]
    s_numpy = np.linalg.svd(original_matrix(name).to_numpy(), compute_uv=False)
    np.testing.assert_allclose(sv.df["Singular Value"], s_numpy[:k], rtol=1e-9)
    np.testing.assert_allclose(sv.df["Singular Value"], SINGULAR_VALUES[name], atol=1e-6)


def test_pipeline_tables_and_labels(run_of: tuple[str, RunResult]) -> None:
    """S' is diag(s), U S' has plain labels, Vᵀ is labelled by the transposer, and the
    reconstruction takes R's labels: as the spec describes each node."""
    name, result = run_of
    layout = LAYOUT[name]
    r = original_matrix(name)
    s = result.output(layout.svd)["Singular Value"].to_numpy()
    k = len(s)
    dims = [f"Dimension {i}" for i in range(k)]
    np.testing.assert_array_equal(result.output(layout.s).to_numpy(), np.diag(s))
    assert result.output(layout.s).columns.tolist() == [f"{i}.0+Sum(diag)" for i in range(k)]
    u, v = result.output(layout.u), result.output(layout.v)
    assert u.columns.tolist() == dims == v.columns.tolist() and u.index.tolist() == [
        f"Row{i}" for i in range(len(r))
    ]
    us = result.output(layout.us)
    assert us.columns.tolist() == [str(i) for i in range(k)] and us.index.tolist() == u.index.tolist()
    np.testing.assert_allclose(us.to_numpy(), u.to_numpy() * s, atol=1e-12)
    vt = result.output(layout.vt)
    assert vt.index.tolist() == dims and vt.columns.tolist() == [f"Row{i}" for i in range(r.shape[1])]
    low = result.output(layout.low_rank)
    assert low.index.tolist() == r.index.tolist() and low.columns.tolist() == r.columns.tolist()
    np.testing.assert_allclose(low.to_numpy(), us.to_numpy() @ vt.to_numpy(), atol=1e-12)
    diff = result.output(layout.difference)
    assert diff.index.tolist() == r.index.tolist() and diff.columns.tolist() == r.columns.tolist()
    np.testing.assert_allclose(diff.to_numpy(), low.to_numpy() - r.to_numpy(), atol=1e-12)


def test_heat_maps_are_pngs(run_of: tuple[str, RunResult]) -> None:
    name, result = run_of
    for node, size in LAYOUT[name].views.items():
        view = result.output(node)
        assert isinstance(view, View) and view.png is not None
        assert png_size(view.png) == size, f"#{node}"


def test_12_01_top_recommendations_equal_the_spec(toy: RunResult) -> None:
    long = toy.output(LAYOUT[TOY].unpivot)
    top = top_cells(long, len(TOP_12_01))
    assert set(zip(top["RowIDs"], top["ColumnNames"], strict=True)) == {(r, c) for r, c, _ in TOP_12_01}
    np.testing.assert_allclose(top["ColumnValues"], [v for _, _, v in TOP_12_01], atol=1e-6)
    values = cell_values(long)
    for row, column, value in TOP_12_01:
        assert values[(row, column)] == pytest.approx(value, abs=1e-6), (row, column)
    smallest = long.loc[long["ColumnValues"].idxmin()]
    assert (smallest["RowIDs"], smallest["ColumnNames"]) == SMALLEST_12_01[:2]
    assert smallest["ColumnValues"] == pytest.approx(SMALLEST_12_01[2], abs=1e-6)


def test_12_02_recommendations_equal_the_spec_and_the_slides(material: RunResult) -> None:
    long = material.output(LAYOUT[MATERIAL].unpivot)
    values = cell_values(long)
    for cell, value in CELLS_12_02.items():
        assert values[cell] == pytest.approx(value, abs=1e-6), cell
    # slide 69 by compound name and space group, three decimals
    for shown, formula, space_group in SLIDE_12_02:
        cells = [c for c in CELLS_12_02 if compound(*c) == (formula, space_group)]
        assert cells, formula
        assert all(round(values[c], 3) == shown for c in cells), (formula, [values[c] for c in cells])
    top = top_cells(long, len(TOP_12_02))
    assert set(zip(top["RowIDs"], top["ColumnNames"], strict=True)) == {(r, c) for r, c, _ in TOP_12_02}
    for row, column, value in TOP_12_02:
        assert values[(row, column)] == pytest.approx(value, abs=1e-6), (row, column)


def test_recommendation_tables_equal_numpys(run_of: tuple[str, RunResult]) -> None:
    name, result = run_of
    k = len(SINGULAR_VALUES[name])
    assert_same_long_table(
        result.output(LAYOUT[name].unpivot), numpy_recommendations(original_matrix(name), k)
    )


# ------------------------------------------------------------------------------------- K via --set


@pytest.mark.slow
@pytest.mark.parametrize("name", [TOY, MATERIAL])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_with_k_set_equals_numpy(runs: Runs, toy: RunResult, name: str, k: int) -> None:
    """The workflow variable K (`--set K=k`) drives Spark SVD; the whole recommendation table equals
    NumPy's rank-k reconstruction minus R."""
    result = runs.run(name, k)
    assert result.variables["K"] == k
    layout = LAYOUT[name]
    r = original_matrix(name)
    assert result.output(layout.svd).shape == (k, 1)
    assert result.output(layout.s).shape == (k, k) and result.output(layout.us).shape == (len(r), k)
    assert_same_long_table(result.output(layout.unpivot), numpy_recommendations(r, k))
    s_numpy = np.linalg.svd(r.to_numpy(), compute_uv=False)
    np.testing.assert_allclose(result.output(layout.svd)["Singular Value"], s_numpy[:k], rtol=1e-9)


# ------------------------------------------------------------------------- the original archive


def _imported(name: str, tmp_path: Path) -> Workflow:
    archive = knime_archive(name)
    doc: WorkflowDoc = skeleton(archive, data_dir=str(data_dir()))
    target = tmp_path / f"{name}.yaml"
    write_document(doc, target)
    return Workflow.load(target)


@pytest.mark.slow
@pytest.mark.parametrize("name", [TOY, MATERIAL])
def test_the_archives_knio_scripts_run_unchanged(
    runs: Runs, toy: RunResult, name: str, tmp_path: Path
) -> None:
    """The KNIME scripts (Japanese comments, seaborn heat maps) run as written and give our tables."""
    pytest.importorskip("seaborn")
    wf = _imported(name, tmp_path)
    layout = LAYOUT[name]
    script = wf.doc.node(layout.low_rank).settings["script"]
    assert "import knime.scripting.io as knio" in script and not script.isascii()
    assert "sns.heatmap" in wf.doc.node(min(layout.views)).settings["script"]
    imported = Runs.run_workflow(wf, layout.environment, {})
    ours = runs.run(name)
    for node in (layout.low_rank, layout.difference, layout.unpivot):
        a, b = imported.output(node), ours.output(node)
        assert a.index.tolist() == b.index.tolist() and a.columns.tolist() == b.columns.tolist(), f"#{node}"
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-8)
    for node in layout.views:
        assert png_size(imported.output(node).png) == layout.views[node]


# --------------------------------------------------------------------------------------- the CLI


@pytest.mark.slow
def test_cli_run_with_k_set(runs: Runs, toy: RunResult, tmp_path: Path) -> None:
    """`knitflow run workflows/12_01_SVD_toymodel.yaml --set K=2`, the file as shipped."""
    out = tmp_path / "out"
    code = cli_main(
        [
            "run",
            str(ROOT / "workflows" / f"{TOY}.yaml"),
            "--set",
            "K=2",
            "--set",
            f"data_dir={data_dir()}",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "ok" and run["variables"]["K"] == 2
    seconds = {n["id"]: n["seconds"] for n in run["nodes"]}
    print(
        f"\nCLI 12_01 K=2: Spark start {seconds[397]:.1f} s, Spark SVD {seconds[389]:.1f} s, run {run['seconds']:.1f} s"
    )
    singular = pd.read_csv(out / "383_Table_View_port1.csv", index_col="RowID")
    np.testing.assert_allclose(singular["Singular Value"], SINGULAR_VALUES[TOY][:2], atol=1e-6)
    long = pd.read_csv(out / "394_Table_View_port1.csv", index_col="RowID", dtype={"ColumnNames": str})
    assert_same_long_table(long, numpy_recommendations(original_matrix(TOY), 2))
    for node, size in LAYOUT[TOY].views.items():
        (png,) = out.glob(f"{node}_*.png")
        assert png_size(png.read_bytes()) == size
    from pyspark import SparkContext

    assert SparkContext._active_spark_context is not None  # noqa: SLF001 (DELETE_DATA: the session stays)
