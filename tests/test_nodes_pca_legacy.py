"""KNIME's first PCA node (mine.pca.PCANodeFactory): Jama's eigenvectors (signs included), KNIME's
dimension choice, missing rows, and the import of its settings.xml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine import run_node
from nodes._jama import symmetric_eigen

ROWS = [
    [-0.595, 1.262, -0.07499999999999996],
    [1.031, 3.636, 0.8379999999999999],
    [0.544, -0.732, -0.16799999999999993],
    [-0.704, 0.272, -1.162],
    [-0.191, 2.241, 0.09399999999999997],
    [0.572, 0.69, 0.484],
    [-1.868, 1.983, -2.621],
    [0.216, -0.217, 0.28500000000000003],
    [0.252, -0.668, 0.702],
    [-1.285, 1.584, -2.131],
    [1.186, -1.018, 1.373],
    [1.508, -4.325, 1.351],
]
# what Jama 1.0.3's EigenvalueDecomposition returned for these rows' covariance matrix (run once with
# the Debian libjama-java jar; a Python port of Jama agreed bit for bit on 203 random matrices)
JAMA_VALUES = [0.07118591705096243, 1.6421129418230107, 5.118839444156334]
JAMA_VECTORS = [
    [-0.7984299648679504, -0.496941518068001, 0.3399392869634721],
    [-0.03656495187359094, -0.52353785165992, -0.851217435308863],
    [0.6009763684999978, -0.6920673706364046, 0.3998376658157266],
]
FRAME = pd.DataFrame(ROWS, columns=["a", "b", "c"]).assign(name=[f"m{i}" for i in range(12)])
SETTINGS = {"input_columns": ["a", "b", "c"], "output_dimensions_selected": {"choice": True, "intVal": 2}}


def covariance(x: np.ndarray) -> np.ndarray:
    means = np.cumsum(x, axis=0)[-1] / len(x)
    out = np.zeros((x.shape[1], x.shape[1]))
    for row in x - means:
        out = out + row[:, None] * row[None, :]
    return out / (len(x) - 1)


def test_jama_port_gives_jamas_numbers() -> None:
    values, vectors = symmetric_eigen(covariance(np.array(ROWS)))
    assert values.tolist() == JAMA_VALUES
    assert vectors.tolist() == JAMA_VECTORS


def test_jama_port_is_an_eigen_decomposition() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 9):
        a = rng.normal(size=(n, n))
        a = a + a.T
        values, vectors = symmetric_eigen(a)
        np.testing.assert_allclose(a @ vectors, vectors * values, atol=1e-10)
        np.testing.assert_allclose(vectors.T @ vectors, np.eye(n), atol=1e-12)
        assert list(values) == sorted(values)
        np.testing.assert_allclose(values, np.linalg.eigvalsh(a), atol=1e-10)


def test_projection_onto_the_largest_components() -> None:
    result = run_node("pca_legacy", SETTINGS, FRAME)
    out = result.df()
    assert list(out.columns) == ["a", "b", "c", "name", "PCA dimension 0", "PCA dimension 1"]
    x = np.array(ROWS)
    expected = (x - x.mean(axis=0)) @ np.array(JAMA_VECTORS)[:, [2, 1]]  # eigenvalues largest first
    np.testing.assert_allclose(out[["PCA dimension 0", "PCA dimension 1"]].to_numpy(), expected, atol=1e-13)
    assert result.warnings == []


def test_dimensions_by_information_share() -> None:
    # 5.119 / 6.832 = 75 % of the eigenvalues' sum, with 1.642 99 %: 90 % needs two dimensions
    settings = {**SETTINGS, "output_dimensions_selected": {"choice": False, "doubleVal": 90.0}}
    assert run_node("pca_legacy", settings, FRAME).df().shape[1] == 6
    settings["output_dimensions_selected"]["doubleVal"] = 70.0
    assert run_node("pca_legacy", settings, FRAME).df().shape[1] == 5


def test_missing_rows_and_removed_columns() -> None:
    frame = FRAME.copy()
    frame.loc[3, "b"] = np.nan
    result = run_node("pca_legacy", {**SETTINGS, "removeColumns": True}, frame)
    out = result.df()
    assert list(out.columns) == ["name", "PCA dimension 0", "PCA dimension 1"]
    others = [i for i in range(12) if i != 3]
    assert out.iloc[3, 1:].isna().all() and out.iloc[others, 1:].notna().all().all()
    assert result.warnings == ["1 rows ignored because of missing, infinite or impossible values"]
    with pytest.raises(Exception, match="missing, infinite or impossible values"):
        run_node("pca_legacy", {**SETTINGS, "failMissing": True}, frame)


def test_unknown_column_falls_back_to_all_numeric_columns() -> None:
    result = run_node("pca_legacy", {**SETTINGS, "input_columns": ["a", "zz"]}, FRAME)
    # KNIME then also resets the number of dimensions to the number of columns
    assert [c for c in result.df().columns if c.startswith("PCA")] == [f"PCA dimension {i}" for i in range(3)]
    assert result.warnings == ["using as default all possible columns (3) for PCA!"]


def test_import_of_the_first_pca_factory(tmp_path: Path) -> None:
    model = {
        "input_columns": {"InclList": ["a", "b", "c"], "ExclList": ["name"]},
        "removeColumns": True,
        "failMissing": False,
        "output_dimensions_selected": {"choice": True, "doubleVal": 100.0, "intVal": 2, "eigenvalues": []},
    }
    node, report, _ = import_fragment(tmp_path, "org.knime.base.node.mine.pca.PCANodeFactory", model)
    assert node.type == "pca_legacy" and findings(report) == []
    assert node.settings == {
        "input_columns": ["a", "b", "c"],
        "removeColumns": True,
        "failMissing": False,
        "output_dimensions_selected": {"choice": True, "doubleVal": 100.0, "intVal": 2},
    }
    out = run_node("pca_legacy", node.settings, FRAME).df()
    assert list(out.columns) == ["name", "PCA dimension 0", "PCA dimension 1"]


def test_compute_and_apply(tmp_path: Path) -> None:
    computed = run_node("pca_compute_legacy", {"input_columns": ["a", "b", "c"]}, FRAME)
    cov = computed.df(1)
    assert list(cov.index) == ["a", "b", "c"] and list(cov.columns) == ["a", "b", "c"]
    assert cov.to_numpy().tolist() == covariance(np.array(ROWS)).tolist()
    decomposition = computed.df(2)
    assert list(decomposition.index) == ["1. eigenvector", "2. eigenvector", "3. eigenvector"]
    assert decomposition["eigenvalue"].tolist() == JAMA_VALUES[::-1]
    assert decomposition.iloc[0, 1:].tolist() == [row[2] for row in JAMA_VECTORS]
    model = computed.outputs[2]
    applied = run_node(
        "pca_apply_legacy", {"dimension_selection": {"choice": True, "intVal": 2}}, model, FRAME
    )
    direct = run_node("pca_legacy", SETTINGS, FRAME).df()
    pd.testing.assert_frame_equal(applied.df(), direct)
    by_share = run_node(
        "pca_apply_legacy", {"dimension_selection": {"choice": False, "doubleVal": 90.0}}, model, FRAME
    )
    assert by_share.df().shape[1] == 6
    too_many = run_node(
        "pca_apply_legacy", {"dimension_selection": {"choice": True, "intVal": 5}}, model, FRAME
    )
    assert too_many.df().shape[1] == 7 and too_many.warnings == ["dimensions reset to 3"]
    with pytest.raises(Exception, match="unable to find input column b"):
        run_node("pca_apply_legacy", {}, model, FRAME.drop(columns="b"))
    # the factories import with their settings
    model_tree = {"input_columns": {"InclList": ["a", "b"], "ExclList": []}, "failMissing": True}
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.pca.PCAComputeNodeFactory", model_tree
    )
    assert node.type == "pca_compute_legacy" and findings(report) == []
    assert node.settings == {"input_columns": ["a", "b"], "failMissing": True}
    apply_tree = {
        "dimension_selection": {"choice": False, "doubleVal": 95.0, "intVal": 2, "eigenvalues": []},
        "removeColumns": False,
        "failMissing": False,
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.pca.PCAApplyNodeFactory", apply_tree
    )
    assert node.type == "pca_apply_legacy" and findings(report) == []
    assert node.settings["dimension_selection"] == {"choice": False, "doubleVal": 95.0, "intVal": 2}


def test_inversion_restores_the_original_columns(tmp_path: Path) -> None:
    model = run_node("pca_compute_legacy", {}, FRAME).outputs[2]
    full = run_node(
        "pca_apply_legacy", {"dimension_selection": {"choice": True, "intVal": 3}}, model, FRAME
    ).df()
    back = run_node("pca_reverse_legacy", {}, model, full).df()  # every `PCA dimension` column, then removed
    assert list(back.columns) == ["a", "b", "c", "name", "a (#1)", "b (#1)", "c (#1)"]
    np.testing.assert_allclose(back[["a (#1)", "b (#1)", "c (#1)"]].to_numpy(), np.array(ROWS), atol=1e-12)
    # with two of three components: the projection onto their plane, plus the means
    two = run_node(
        "pca_apply_legacy", {"dimension_selection": {"choice": True, "intVal": 2}}, model, FRAME
    ).df()
    settings = {"pcaCols": ["PCA dimension 0", "PCA dimension 1"], "removePCACOLS": False}
    approx = run_node("pca_reverse_legacy", settings, model, two.drop(columns=["a", "b", "c"])).df()
    x = np.array(ROWS)
    basis = np.array(JAMA_VECTORS)[:, [2, 1]]
    expected = (x - x.mean(axis=0)) @ basis @ basis.T + x.mean(axis=0)
    np.testing.assert_allclose(approx[["a", "b", "c"]].to_numpy(), expected, atol=1e-12)
    assert list(approx.columns) == ["name", "PCA dimension 0", "PCA dimension 1", "a", "b", "c"]
    tree = {
        "pcaCols": {"InclList": ["PCA dimension 0"], "ExclList": []},
        "removePCACOLS": True,
        "failMissing": False,
    }
    node, report, _ = import_fragment(tmp_path, "org.knime.base.node.mine.pca.PCAReverseNodeFactory", tree)
    assert node.type == "pca_reverse_legacy" and findings(report) == []
    assert node.settings == {"pcaCols": ["PCA dimension 0"], "removePCACOLS": True, "failMissing": False}
