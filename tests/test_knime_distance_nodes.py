"""KNIME's Hierarchical Cluster Assigner (knime-js-base): settings.xml trees as KNIME writes them,
imported as a user would, and the imported nodes run; Bit Vector Distances feeding Distance Matrix
Calculate, checked against scipy's distances."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist, squareform
from test_knime_import import findings, import_fragment

from engine import run_node
from nodes._bitvector import BitVectorArray

ASSIGNER = "org.knime.base.node.mine.cluster.hierarchical.js.HierarchicalClusterAssignerNodeFactory"
CLUSTER_COLUMN = "Cluster (Hierarchical Cluster Assigner)"
SELECTED_COLUMN = "Selected (Hierarchical Cluster Assigner)"
VALUES = pd.DataFrame({"x": [0.0, 10.0, 0.5, 10.4, 20.0]})


def assigner_settings(**changes: Any) -> dict[str, Any]:
    """HierarchicalClusterAssignerConfig.saveSettings with its defaults."""
    model: dict[str, Any] = {
        "hideInWizard": False,
        "generateImage": True,
        "imageWidth": 800,
        "imageHeight": 600,
        "displayFullscreenButton": True,
        "resizeToWindow": True,
        "title": "",
        "subtitle": "",
        "customCSS": "",
        "enableViewEdit": True,
        "enableTitleEdit": True,
        "enableNumClusterEdit": True,
        "enableClusterLabels": True,
        "enableSelection": True,
        "publishSelectionEvents": True,
        "subscribeSelectionEvents": True,
        "showClearSelectionButton": True,
        "numClusters": 1,
        "threshold": 0.0,
        "numClustersMode": True,
        "useNormalizedDistances": True,
        "normalizedThreshold": 0.0,
        "enableClusterColor": True,
        "selectionColumnName": SELECTED_COLUMN,
        "clusterColumnName": CLUSTER_COLUMN,
        "showWarningsInView": True,
        "enableZoomAndPanning": True,
        "showZoomResetButton": False,
        "enableLogScaleToggle": True,
        "useLogScale": False,
        "enableChangeOrientation": True,
        "orientation": "vertical",
        "colorPalette": ["#e41a1c", "#377eb8", "#4daf4a"],
        "subscribeFilterEvents": True,
        "showThresholdBar": True,
        "enableThresholdModification": True,
    }
    model.update(changes)
    return model


@pytest.fixture(scope="module")
def tree() -> Any:
    # single linkage on x: {1, 3} at 0.4, {0, 2} at 0.5, those two at 9.5, row 4 joins at 9.6
    return run_node("hierarchical_clustering", {"numberClusters": 1}, VALUES).outputs[1]


def test_assigner_imports_by_number_of_clusters_and_runs(tmp_path: Path, tree: Any) -> None:
    node, report, _ = import_fragment(tmp_path, ASSIGNER, assigner_settings(numClusters=3))
    assert node.type == "hierarchical_cluster_assigner" and findings(report) == []
    result = run_node(node.type, node.settings, tree, VALUES)
    out = result.df(2)
    assert list(out.columns) == ["x", CLUSTER_COLUMN, SELECTED_COLUMN]
    # the threshold lies halfway between 0.5 and 9.5; the clusters are named by their subtrees'
    # breadth-first ids: root 0, row 4 = 1, the 9.5 merge = 2, {1, 3} = 3, {0, 2} = 4
    assert out[CLUSTER_COLUMN].tolist() == ["Cluster 4", "Cluster 3", "Cluster 4", "Cluster 3", "Cluster 1"]
    assert out[SELECTED_COLUMN].tolist() == [False] * 5
    assert result.outputs[0].png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("changes", "clusters"),
    [
        ({"numClusters": 1}, ["Cluster 0"] * 5),
        ({"numClusters": 2}, ["Cluster 2", "Cluster 2", "Cluster 2", "Cluster 2", "Cluster 1"]),
        ({"numClusters": 5}, ["Cluster 7", "Cluster 5", "Cluster 8", "Cluster 6", "Cluster 1"]),
        # a threshold equal to a merge distance keeps that merge (getMaxDistance <= threshold)
        (
            {"numClustersMode": False, "useNormalizedDistances": False, "threshold": 0.5},
            ["Cluster 4", "Cluster 3", "Cluster 4", "Cluster 3", "Cluster 1"],
        ),
        # normalised: 0.05 x 9.6 = 0.48 keeps only the 0.4 merge
        (
            {"numClustersMode": False, "normalizedThreshold": 0.05},
            ["Cluster 7", "Cluster 3", "Cluster 8", "Cluster 3", "Cluster 1"],
        ),
    ],
)
def test_assigner_cuts_as_knime(
    tmp_path: Path, tree: Any, changes: dict[str, Any], clusters: list[str]
) -> None:
    node, report, _ = import_fragment(tmp_path, ASSIGNER, assigner_settings(**changes))
    assert findings(report) == []
    out = run_node(node.type, node.settings, tree, VALUES).df(2)
    assert out[CLUSTER_COLUMN].tolist() == clusters


def test_assigner_unknown_rows_names_and_no_selection(tmp_path: Path, tree: Any) -> None:
    changes = {"enableSelection": False, "clusterColumnName": "x", "numClusters": 2}
    node, report, _ = import_fragment(tmp_path, ASSIGNER, assigner_settings(**changes))
    assert findings(report) == []
    data = pd.DataFrame({"x": [1.0, 2.0]}, index=["Row4", "other"])
    result = run_node(node.type, node.settings, tree, data)
    out = result.df(2)
    assert list(out.columns) == ["x", "x (#1)"]  # KNIME's unique column name; no selection column
    assert out["x (#1)"].tolist() == ["Cluster 1", None]
    assert any("1 row(s) cannot be assigned" in w for w in result.warnings)
    assert any("4 cluster tree leaf(s)" in w for w in result.warnings)


def test_assigner_refuses_more_clusters_than_rows(tree: Any) -> None:
    with pytest.raises(Exception, match="More clusters than data points selected"):
        run_node("hierarchical_cluster_assigner", {"numClusters": 6}, tree, VALUES)


def test_assigner_reports_a_key_it_does_not_know(tmp_path: Path) -> None:
    _, report, _ = import_fragment(tmp_path, ASSIGNER, assigner_settings(clusterLabelsMode="custom"))
    assert [f for f in findings(report) if "clusterLabelsMode" in f]


# ------------------------------------------------------------------------- Bit Vector Distances


def fingerprints(bits: np.ndarray) -> pd.DataFrame:
    packed = np.packbits(bits.astype(bool), axis=1, bitorder="little")
    column = pd.array(BitVectorArray.from_packed(packed, bits.shape[1]))
    return pd.DataFrame({"fp": column, "name": [f"m{i}" for i in range(len(bits))]})


@pytest.mark.parametrize(
    ("distance", "metric"), [("Tanimoto", "jaccard"), ("Dice", "dice"), ("Cosine", "cosine")]
)
def test_bit_vector_distances_fill_the_distance_matrix(distance: str, metric: str) -> None:
    bits = np.random.default_rng(3).random((12, 70)) < 0.3
    table = fingerprints(bits)
    measure = run_node("bit_vector_distances", {"distance": distance}, table).outputs[0]
    assert measure.spec.learning_columns.names == ["fp"]  # the first bit-vector column
    matrix = run_node("distance_matrix_calculate", {"column_name": "D"}, table, measure)
    assert matrix.specs[0] == matrix.outputs[0].spec
    expected = squareform(pdist(bits, metric))
    cells = matrix.df()["D"].tolist()
    for i, cell in enumerate(cells):
        np.testing.assert_allclose(cell, expected[i, :i], rtol=1e-12, atol=1e-15)
    # the clustering nodes read the column: the same tree as from the full matrix
    clustered = run_node(
        "hierarchical_clustering", {"numberClusters": 3, "distance_column": "D"}, matrix.outputs[0]
    )
    assert clustered.df(1)["Cluster"].nunique() == 3


def test_bit_vector_distances_empty_vectors_and_errors() -> None:
    bits = np.array([[0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 1, 0]], dtype=np.uint8)
    table = fingerprints(bits)
    for distance in ("Tanimoto", "Dice", "Cosine"):
        measure = run_node("bit_vector_distances", {"distance": distance, "column": "fp"}, table).outputs[0]
        cells = run_node("distance_matrix_calculate", {}, table, measure).df()["Distance"].tolist()
        assert cells == [(), (0.0,), (1.0, 1.0)]  # two empty vectors are identical, share nothing with others
    with pytest.raises(Exception, match="holds no bit vectors"):
        run_node("bit_vector_distances", {"column": "name"}, table)
    measure = run_node("bit_vector_distances", {}, table).outputs[0]
    with pytest.raises(Exception, match="'fp'"):
        run_node("distance_matrix_calculate", {}, table.rename(columns={"fp": "other"}), measure)


# ------------------------------- KNIME's saved layouts of Bit Vector Distances and Distance Matrix Calculate
# (as the Distance Matrix extension 3.3 saved them, e.g. in the 3D-e-Chem Modified Tanimoto test workflow)

BIT_VECTOR_FACTORY = "org.knime.distance.measure.bitvector.BitVectorDistanceNodeFactory"
CALCULATE_FACTORY = "org.knime.distmatrix.calculate2.DistanceMatrixCalculate2NodeFactory"
TVERSKY = "org.knime.distance.measure.bitvector.tversky.TverskyDistanceFactory"
BIT_COSINE = "org.knime.distance.measure.bitvector.cosine.CosineDistanceFactory"


def bit_vector_model(factory: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "columns": "fp",
        "distance-config": {"distance-factory-id": factory, factory: params},
    }


def calculate_model() -> dict[str, Any]:
    return {
        "appended_column_name": "Distance",
        "chunk_size": 1000,
        "old-distance-config": {
            "data-column-spec-filter-config": {
                "filter-type": "STANDARD",
                "included_names": [],
                "excluded_names": [],
                "enforce_option": "EnforceExclusion",
                "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True},
                "datatype": {"typelist": {"org.knime.core.data.DoubleValue": False}},
            }
        },
    }


@pytest.mark.parametrize(("alpha", "metric"), [(1.0, "jaccard"), (0.5, "dice")])
def test_knimes_bit_vector_distances_import_and_match_scipy(
    tmp_path: Path, alpha: float, metric: str
) -> None:
    node, report, _ = import_fragment(
        tmp_path, BIT_VECTOR_FACTORY, bit_vector_model(TVERSKY, {"alpha": alpha, "beta": alpha})
    )
    assert node.type == "bit_vector_distances" and findings(report) == []
    assert node.settings == {"column": "fp", "distance": "Tversky", "alpha": alpha, "beta": alpha}
    calculate, report, _ = import_fragment(tmp_path, CALCULATE_FACTORY, calculate_model())
    assert calculate.type == "distance_matrix_calculate" and findings(report) == []
    bits = np.random.default_rng(5).random((9, 40)) < 0.4
    table = fingerprints(bits)
    measure = run_node("bit_vector_distances", node.settings, table).outputs[0]
    cells = (
        run_node("distance_matrix_calculate", calculate.settings, table, measure).df()["Distance"].tolist()
    )
    expected = squareform(pdist(bits, metric))
    for i, cell in enumerate(cells):
        np.testing.assert_allclose(cell, expected[i, :i], rtol=1e-12, atol=1e-15)


def test_knimes_bit_vector_cosine_and_general_tversky(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, BIT_VECTOR_FACTORY, bit_vector_model(BIT_COSINE, {}))
    assert findings(report) == [] and node.settings["distance"] == "Cosine"
    bits = np.array([[1, 1, 0, 0], [1, 0, 1, 1], [0, 0, 0, 1]], dtype=np.uint8)
    measure = run_node(
        "bit_vector_distances", {"distance": "Tversky", "alpha": 0.25, "beta": 0.25}, fingerprints(bits)
    ).outputs[0]
    cells = run_node("distance_matrix_calculate", {}, fingerprints(bits), measure).df()["Distance"].tolist()
    # rows 1 and 0: c = 1, a - c = 2, b - c = 1 -> 1 - 1 / (1 + 0.25 * 3)
    assert cells[1] == pytest.approx((1 - 1 / 1.75,), rel=1e-15)
    assert cells[2] == pytest.approx((1.0, 1 - 1 / (1 + 0.25 * 2)), rel=1e-15)


def test_what_knitflow_cannot_compute_is_a_finding(tmp_path: Path) -> None:
    _, report, _ = import_fragment(
        tmp_path, BIT_VECTOR_FACTORY, bit_vector_model(TVERSKY, {"alpha": 0.25, "beta": 0.75})
    )
    assert len(findings(report)) == 1 and "alpha" in findings(report)[0]
    other = "nl.esciencecenter.e3dchem.modifiedtanimoto.ModifiedTanimotoDistanceFactory"
    _, report, _ = import_fragment(
        tmp_path, BIT_VECTOR_FACTORY, bit_vector_model(other, {"meanBitDensity": 0.01})
    )
    assert len(findings(report)) == 1 and "ModifiedTanimoto" in findings(report)[0]
    odd = calculate_model()
    odd["old-distance-config"]["distance"] = "Manhattan"  # a key the import does not know
    _, report, _ = import_fragment(tmp_path, CALCULATE_FACTORY, odd)
    assert len(findings(report)) == 1 and "distance" in findings(report)[0]


def test_imported_distance_matrix_calculate_needs_its_measure(tmp_path: Path) -> None:
    calculate, _, _ = import_fragment(tmp_path, CALCULATE_FACTORY, calculate_model())
    with pytest.raises(Exception, match="no distance measure connected"):
        run_node("distance_matrix_calculate", calculate.settings, VALUES)


# ------------------------------------------------- the first tree ensemble plugin's column layout

RF_FIRST_PLUGIN = "org.knime.base.node.mine.treeensemble.node.randomforest.learner.regression.RandomForestRegressionLearnerNodeFactory"


def first_plugin_learner(**changes: Any) -> dict[str, Any]:
    """TreeEnsembleLearnerConfiguration.save of org.knime.base.node.mine.treeensemble (KNIME 2.x)."""
    model: dict[str, Any] = {
        "targetColumn": "y",
        "seed": "5",
        "maxLevels": -1,
        "minNodeSize": -1,
        "minChildSize": -1,
        "hardCodedRootColumn": None,
        "dataFraction": 1.0,
        "isDataSelectionWithReplacement": True,
        "columnSamplingMode": "None",
        "columnFractionPerTree": 1.0,
        "columnAbsolutePerTree": 10,
        "isUseDifferentAttributesAtEachNode": True,
        "nrModels": 15,
        "splitCriterion": "InformationGainRatio",
        "useAverageSplitPoints": True,
        "fingerprintColumn": None,
        "includeColumns": ["a"],
        "includeAllColumns": False,
        "ignoreColumnsWithoutDomain": True,
        "nrHilitePatterns": -1,
        "saveTargetDistributionInNodes": False,
    }
    model.update(changes)
    return model


@pytest.mark.parametrize(
    ("changes", "attributes"),
    [({}, ["a"]), ({"includeAllColumns": True, "includeColumns": []}, ["a", "b"])],
)
def test_first_tree_ensemble_plugin_reads_its_column_keys(
    tmp_path: Path, changes: dict[str, Any], attributes: list[str]
) -> None:
    node, report, _ = import_fragment(tmp_path, RF_FIRST_PLUGIN, first_plugin_learner(**changes))
    assert node.type == "random_forest_learner_regression" and findings(report) == []
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    data["y"] = 2 * data["a"] + 0.1 * rng.normal(size=40)
    stats = run_node(node.type, node.settings, data).df(2)  # splits per attribute: the attributes used
    assert list(stats.index) == attributes


def test_assigner_checks_only_the_threshold_it_uses(tree: Any) -> None:
    # an unused normalised threshold out of [0, 1] is fine (KNIME checks it only when it is used)
    settings = {
        "numClustersMode": False,
        "useNormalizedDistances": False,
        "threshold": 9.55,
        "normalizedThreshold": 5.0,
    }
    out = run_node("hierarchical_cluster_assigner", settings, tree, VALUES).df(2)
    assert out[CLUSTER_COLUMN].tolist() == ["Cluster 2", "Cluster 2", "Cluster 2", "Cluster 2", "Cluster 1"]
    with pytest.raises(Exception, match="Normalized threshold must be between 0 and 1"):
        run_node("hierarchical_cluster_assigner", {"normalizedThreshold": 1.5}, tree, VALUES)
