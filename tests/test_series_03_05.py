"""The series' parts 3-5 (PCA, logistic regression, k-Means) as `workflows/series/*.yaml`.

What KNIME saved (embedded in `knime_facts`, checked against the archives when they are at hand:
`../shared/reference/knime_workflows/series`, or `$KNITFLOW_KNIME_ARCHIVES/series`) matches a run:
every table port's (rows, columns), the Color Manager's model ("Coloring on ..."), the scatter plots'
800 x 600 images, and the Scorer's flow variables of 04_01 and 04_02. With the archives, each also
imports with no finding and is our YAML node for node (scripts aside, which are our own). Those two partition their data without a seed (and KNIME's SAG learner draws its own random
numbers), so KNIME's accuracy and Cohen's kappa are checked against the spread of 20 runs, seeds 0-19.

Without the archives, our YAMLs still run and give the numbers written below: PCA and k-Means are
KNIME's arithmetic to the bit (commons-math's eigen decomposition and random numbers, checked against
commons-math 3.6.1), so these are the numbers KNIME computes from the same normalised table.
"""

from __future__ import annotations

import struct
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from knime_facts import SERIES_PORT_SUMMARIES, SERIES_SCORER_VARIABLES, SERIES_TABLE_SHAPES
from spec_shapes import data_dir, knime_archive, with_archives

from engine.api import Model, Table, View
from engine.core.registry import registry
from engine.core.workflow import RunResult, Workflow
from engine.knime import ImportReport, skeleton
from engine.knime.recorded import recorded_results

ROOT = Path(__file__).resolve().parent.parent
SERIES = ROOT / "workflows" / "series"
NAMES = [
    "03_01_PCA",
    "03_02_PCA_exp",
    "04_01_logistic_regression",
    "04_02_logistic_regression_coef",
    "05_01_kmeans",
]
DATA = {"03": "Fe2_descriptor.csv", "04": "mono_structure_str.csv", "05": "Fe2_descriptor.csv"}
SCORER = 44
# accuracy and Cohen's kappa of knitflow over run seeds 0-19 (python benchmarks-free: see test below)
SPREAD = {
    "04_01_logistic_regression": {"Accuracy": (0.2580, 0.6775), "Cohen's kappa": (-0.0057, 0.3346)},
    "04_02_logistic_regression_coef": {"Accuracy": (0.7083, 0.8612), "Cohen's kappa": (0.5937, 0.7900)},
}


def archive(name: str) -> Path:
    return knime_archive(f"series/{name}")


@cache
def run(name: str, seed: int | None = None) -> RunResult:
    folder = data_dir(DATA[name[:2]])
    result = Workflow.load(SERIES / f"{name}.yaml").run(variables={"data_dir": str(folder)}, seed=seed)
    assert result.ok, "\n".join(f"#{s.id} {s.name}: {s.error}" for s in result.failed())
    return result


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


# ------------------------------------------------------------------------------ against the archives


@pytest.mark.parametrize("name", with_archives(NAMES, sub="series"))
def test_archive_imports_without_finding_and_is_our_yaml(name: str) -> None:
    report = ImportReport()
    imported = skeleton(archive(name), report, data_dir="../../data")
    assert [str(e) for e in report.entries if e.kind != "note"] == []
    ours = Workflow.load(SERIES / f"{name}.yaml").doc
    assert [(n.id, n.type, n.name) for n in ours.nodes] == [(n.id, n.type, n.name) for n in imported.nodes]
    assert sorted(map(str, ours.connections)) == sorted(map(str, imported.connections))
    for node in ours.nodes:
        theirs = imported.node(node.id)
        settings_model = registry.get(node.type).Settings  # type: ignore[union-attr]
        mine, knimes = (settings_model.model_validate(n.settings).model_dump() for n in (node, theirs))
        if node.type == "python_script":  # our own script in place of the archive's
            assert mine.pop("script") != knimes.pop("script")
            assert node.settings["script"].isascii()
        assert mine == knimes, f"#{node.id}"
        assert (node.use_variables, node.expose_variables) == (theirs.use_variables, theirs.expose_variables)


@pytest.mark.parametrize("name", with_archives(NAMES, sub="series"))
def test_embedded_facts_are_the_archives(name: str) -> None:
    recorded = recorded_results(archive(name))
    shapes = {(n, port): shape for n, node in recorded.items() for port, shape in node.shapes.items()}
    assert shapes == SERIES_TABLE_SHAPES[name]
    for (node_id, port), summary in SERIES_PORT_SUMMARIES[name].items():
        assert recorded[node_id].summaries[port] == summary
    if name in SERIES_SCORER_VARIABLES:
        knime = recorded[SCORER].variables
        assert {k: knime[k] for k in SERIES_SCORER_VARIABLES[name]} == SERIES_SCORER_VARIABLES[name]


@pytest.mark.parametrize("name", NAMES)
def test_every_recorded_port(name: str) -> None:
    result = run(name)
    checked = 0
    for (node_id, port), shape in SERIES_TABLE_SHAPES[name].items():
        obj = result.status[node_id].outputs[port - 1]
        assert isinstance(obj, Table), f"#{node_id} port {port}"
        assert obj.shape == shape, f"#{node_id} port {port}: {obj.shape} != KNIME's {shape}"
        checked += 1
    for (node_id, port), summary in SERIES_PORT_SUMMARIES[name].items():
        outputs = result.status[node_id].outputs
        obj = outputs[port - 1] if port <= len(outputs) else None
        if summary.startswith("Coloring on"):
            assert isinstance(obj, Model) and obj.summary == summary
        else:
            width, height = (int(v) for v in summary.split()[1::2])
            assert isinstance(obj, View) and _png_size(obj.png or b"") == (width, height)
        checked += 1
    assert checked >= {"03": 8, "04": 7, "05": 16}[name[:2]]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["04_01_logistic_regression", "04_02_logistic_regression_coef"])
def test_scorer_values_lie_in_the_spread_of_20_seeds(name: str) -> None:
    knime = SERIES_SCORER_VARIABLES[name]
    runs = [run(name, seed).output(SCORER, 0) for seed in range(20)]
    for key, (low, high) in SPREAD[name].items():
        values = [r[key] for r in runs]
        assert low <= min(values) and max(values) <= high  # the spread stated above is still ours
        assert min(values) <= knime[key] <= max(values), (key, knime[key], min(values), max(values))
    for r in runs:
        assert r["#Correct"] + r["#False"] == knime["#Correct"] + knime["#False"]
        assert r["Error"] == pytest.approx(1 - r["Accuracy"], rel=1e-12)


# ------------------------------------------------------------------------ our YAMLs, without archives

EIGENVALUES_03 = [
    3.9036596374840506,
    1.8591713463253126,
    0.18061717296786162,
    0.054383334635806226,
    0.0017379644707170136,
    0.00043054411625275324,
]


def test_03_01_pca_numbers() -> None:
    result = run("03_01_PCA")
    decomposition = result.output(74, 2)
    assert decomposition["eigenvalue"].tolist() == EIGENVALUES_03
    assert decomposition.iloc[0, 1:].tolist() == [
        0.49656083187443834,
        -0.319677530520789,
        0.48175112770904366,
        0.5039133802453353,
        0.40413101792136014,
        -0.04357629221177282,
    ]
    projected = result.output(73, 1)
    assert projected.columns.tolist()[-2:] == ["PCA dimension 0", "PCA dimension 1"]
    assert projected.iloc[0][["PCA dimension 0", "PCA dimension 1"]].tolist() == [
        -0.8443258278880725,
        2.3101572882775203,
    ]
    assert result.status[55].outputs[1].summary == 'Coloring on "polytype"'
    selection = result.output(56, 2)["Selected (Scatter Plot)"]
    assert selection.dtype == "boolean" and not selection.any()


def test_03_02_explained_variance() -> None:
    curve = run("03_02_PCA_exp").output(82, 1)
    assert curve["principal component index"].tolist() == [1, 2, 3, 4, 5, 6]
    total = sum(EIGENVALUES_03)
    assert curve["explained variance ratio"].tolist() == pytest.approx(
        [v / total for v in EIGENVALUES_03], rel=1e-12
    )
    assert curve["cumulative explained variance"].iloc[1] == pytest.approx(0.9604718306348938, rel=1e-12)


def test_05_01_kmeans_numbers() -> None:
    result = run("05_01_kmeans")
    first, second = result.output(57, 1)["Cluster"], result.output(78, 1)["Cluster"]
    assert first.value_counts().to_dict() == {"cluster_2": 15, "cluster_1": 14, "cluster_0": 13}
    assert first.tolist() == second.tolist()  # clustering the 2 PCA dimensions finds the same groups
    assert first.tolist()[:8] == ["cluster_0"] * 6 + ["cluster_2", "cluster_0"]
    assert result.output(57, 2).iloc[0].tolist() == [
        -0.005308149379024949,
        1.1512464276567267,
        -0.48981519571954907,
        -0.23965792027330138,
        0.589677341545409,
        1.3752821792483472,
    ]
    assert result.output(78, 2).to_dict() == {
        "PCA dimension 0": {
            "cluster_0": -0.5490220835326137,
            "cluster_1": -2.0132022265277763,
            "cluster_2": 2.354807883820856,
        },
        "PCA dimension 1": {
            "cluster_0": 1.8844906424850598,
            "cluster_1": -1.213353302787809,
            "cluster_2": -0.5007621408850966,
        },
    }
    assert result.status[76].outputs[1].summary == 'Coloring on "Cluster"'


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("04_01_logistic_regression", {"Accuracy": 0.6774193548387096, "#Correct": 21}),
        ("04_02_logistic_regression_coef", {"Accuracy": 0.7083333333333334, "#Correct": 51}),
    ],
)
def test_04_scores_with_run_seed_1(name: str, expected: dict[str, Any]) -> None:
    scores = run(name, 1).output(SCORER, 0)
    assert scores["Accuracy"] == pytest.approx(expected["Accuracy"], rel=1e-12)
    assert scores["#Correct"] == expected["#Correct"]


def test_04_02_coefficient_table() -> None:
    table = run("04_02_logistic_regression_coef", 1).output(47, 1)
    assert table.shape == (13, 7)
    logits = [c[6:-1] for c in table.columns if c.startswith("Coef.(")]
    assert table.columns.tolist() == ["Variable"] + [f"Coef.({g})" for g in logits] + [
        f"Abs(Coef.({g}))" for g in logits
    ]
    assert "Constant" in table["Variable"].tolist()
    for g in logits:
        assert (table[f"Abs(Coef.({g}))"] == table[f"Coef.({g})"].abs()).all()
