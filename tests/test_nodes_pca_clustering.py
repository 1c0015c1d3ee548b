"""PCA, PCA Compute, PCA Apply, k-Means, k-Medoids, Silhouette Coefficient and the hierarchical
clustering nodes, checked against NumPy/SciPy/scikit-learn and against KNIME's own arithmetic
(the expected numbers below come from commons-math 3.6.1, the library KNIME computes them with)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist
from sklearn.metrics import silhouette_samples

from engine import run_node
from engine.api import ModelSpec, Table, TableSpec
from nodes._clustering_algorithms import initial_rows, kmeans, nearest_center
from nodes._commons_math import Well19937c, random_data_next_long, symmetric_eigen
from nodes.hierarchical import knime_hierarchical

X = np.array(
    [[2.5, 2.4, 1.0], [0.5, 0.7, 2.1], [2.2, 2.9, 0.3], [1.9, 2.2, 1.7], [3.1, 3.0, 0.2], [2.3, 2.7, 1.1]]
)
FRAME = pd.DataFrame(X, columns=["a", "b", "c"]).assign(name=list("pqrstu"))
# KNIME's PCA of X (commons-math EigenDecomposition, KNIME's normalisation and projection), bit for bit
KNIME_EIGENVALUES = [1.8909828904142245, 0.107658913527376, 0.0433581960584]
KNIME_VECTORS = [
    [-0.6159667913465108, -0.6032500390907798, 0.5066303408751361],
    [0.5185755041307203, 0.17361852096352942, 0.8372192399210652],
    [0.5930129496679252, -0.7784253332949856, -0.20588744986214563],
]
KNIME_PROJECTION = [
    [-0.3406990223769535, 0.17472672080669005],
    [2.4740530017330435, -0.2366346091795788],
    [-0.8121752431309855, -0.4800901378955068],
    [0.5041722988617041, 0.41491118208029754],
    [-1.477533393339437, -0.07973225607361223],
    [-0.3478176417473716, 0.20681910026171135],
]


# ----------------------------------------------------------------------------------------------- PCA


def test_pca_is_knimes_to_the_bit_and_numpys_up_to_sign() -> None:
    result = run_node("pca", {}, FRAME)
    df = result.df()
    assert list(df.columns) == ["a", "b", "c", "name", "PCA dimension 0", "PCA dimension 1"]
    assert df[["PCA dimension 0", "PCA dimension 1"]].to_numpy().tolist() == KNIME_PROJECTION
    assert result.specs[0] == result.outputs[0].spec
    # independent check: NumPy's SVD of the centred data gives the same components up to their sign
    centred = X - X.mean(axis=0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    np.testing.assert_allclose(s**2 / (len(X) - 1), KNIME_EIGENVALUES, rtol=1e-12)
    np.testing.assert_allclose(np.abs(vt), np.abs(KNIME_VECTORS), rtol=1e-12)
    np.testing.assert_allclose(np.abs(u[:, :2] * s[:2]), np.abs(KNIME_PROJECTION), rtol=1e-12)


def test_pca_compute_and_apply() -> None:
    compute = run_node("pca_compute", {"used_columns": {"included_names": ["a", "b", "c"]}}, FRAME)
    cov, decomposition, model = compute.outputs
    np.testing.assert_allclose(cov.df.to_numpy(), np.cov(X.T), rtol=1e-12)
    assert cov.row_ids == ["a", "b", "c"]
    assert decomposition.row_ids == ["0. eigenvector", "1. eigenvector", "2. eigenvector"]
    assert decomposition.df["eigenvalue"].tolist() == KNIME_EIGENVALUES
    assert decomposition.df[["a", "b", "c"]].to_numpy().tolist() == KNIME_VECTORS
    assert [s for s in compute.specs[:2]] == [cov.spec, decomposition.spec]
    assert isinstance(compute.specs[2], ModelSpec) and compute.specs[2].details["max_dimensions"] == 3
    applied = run_node("pca_apply", {"number_of_dimensions": 2, "remove_used_columns": True}, model, FRAME)
    assert list(applied.df().columns) == ["name", "PCA dimension 0", "PCA dimension 1"]
    assert applied.df()[["PCA dimension 0", "PCA dimension 1"]].to_numpy().tolist() == KNIME_PROJECTION
    assert applied.specs[0] == applied.outputs[0].spec


def test_pca_information_preservation_names_and_missing_values() -> None:
    keep = run_node("pca", {"use_fixed_number_dimensions": False, "information_preservation": 96.0}, FRAME)
    # 1.891 / 2.042 = 92.6 % < 96 % <= (1.891 + 0.108) / 2.042 = 97.9 %
    assert [c for c in keep.df().columns if c.startswith("PCA")] == ["PCA dimension 0", "PCA dimension 1"]
    clash = FRAME.rename(columns={"name": "PCA dimension 0"})
    named = run_node("pca", {"number_of_dimensions": 1, "used_columns": {"excluded_names": []}}, clash)
    assert list(named.df().columns)[-1] == "PCA dimension 0 (#1)"
    holes = FRAME.copy()
    holes.loc[1, "a"] = np.nan
    result = run_node("pca", {}, holes)
    assert result.df()["PCA dimension 0"].isna().tolist() == [False, True, False, False, False, False]
    assert result.warnings and "1 row" in result.warnings[0]
    with pytest.raises(Exception, match="Missing values are not supported"):
        run_node("pca", {"fail_on_missings": True}, holes)
    with pytest.raises(Exception, match="less than or equal"):
        run_node("pca", {"number_of_dimensions": 4}, FRAME)


def test_commons_math_eigen_decomposition_signs() -> None:
    cov = np.cov(X.T)
    values, vectors = symmetric_eigen(cov)
    w, v = np.linalg.eigh(cov)
    np.testing.assert_allclose(values, w[::-1], rtol=1e-12)
    np.testing.assert_allclose(np.abs(vectors), np.abs(v[:, ::-1].T), rtol=1e-10)
    # KNIME's (commons-math's) signs, which LAPACK does not promise
    assert np.sign(vectors[:, 0]).tolist() == [-1.0, 1.0, 1.0]


# --------------------------------------------------------------------------------------------- k-Means


def test_well19937c_draws_equal_commons_math() -> None:
    """RandomDataGenerator.reSeed(seed); nextLong(0, n - 1) as commons-math 3.6.1 draws them."""
    for seed, n, expected in [
        (3, 42, [34, 8, 24, 27, 34, 39, 30, 17]),
        (0, 10, [6, 1, 1, 5, 0, 2, 3, 4]),
        (123456789, 1000, [744, 642, 651, 893, 612, 816, 310, 462]),
    ]:
        rng = Well19937c(seed)
        assert [random_data_next_long(rng, 0, n - 1) for _ in range(8)] == expected
    assert initial_rows(42, 3, True, 3) == [8, 24, 34]
    assert initial_rows(42, 3, False, 3) == [0, 1, 2]


def _lloyd(values: np.ndarray, centers: np.ndarray, iterations: int) -> np.ndarray:
    for _ in range(iterations):
        labels = ((values[:, None, :] - centers[None]) ** 2).sum(axis=2).argmin(axis=1)
        centers = np.array([values[labels == c].mean(axis=0) for c in range(len(centers))])
    return centers


def test_kmeans_first_rows_matches_plain_lloyd() -> None:
    rng = np.random.default_rng(4)
    values = np.concatenate(
        [rng.normal(size=(20, 2)), rng.normal(size=(20, 2)) + 5, rng.normal(size=(20, 2)) - 5]
    )
    frame = pd.DataFrame(values, columns=["x", "y"]).assign(label="s")
    result = run_node("k_means", {"nrClusters": 3, "centroid_initialization": "FIRST_ROWS"}, frame)
    labelled, centers, model = result.outputs
    np.testing.assert_allclose(centers.df.to_numpy(), _lloyd(values, values[:3], 50), rtol=1e-12)
    assert centers.row_ids == ["cluster_0", "cluster_1", "cluster_2"]
    assert list(labelled.df.columns) == ["x", "y", "label", "Cluster"]
    assert set(labelled.df["Cluster"]) == {"cluster_0", "cluster_1", "cluster_2"}
    assert [s for s in result.specs[:2]] == [labelled.spec, centers.spec]
    assert sum(model.payload.coverage) == 60


def test_kmeans_random_initialisation_is_seeded_and_named_like_knime() -> None:
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(Cluster="taken")
    settings = {"nrClusters": 2, "centroid_seeds": 11, "centroid_seeds_BOOL": True}
    first = run_node("k_means", settings, frame)
    again = run_node("k_means", settings, frame)
    assert first.df(1).equals(again.df(1)) and first.df(2).equals(again.df(2))
    assert first.df(1).columns[-1] == "Cluster_1"  # KNIME's own unique name, not "Cluster (#1)"
    rows = initial_rows(6, 2, True, 11)
    centers, _, _ = kmeans(X, 2, 99, X[rows])
    assert first.df(2).to_numpy().tolist() == centers.tolist()
    assert first.df(1)["Cluster_1"].tolist() == [f"cluster_{i}" for i in nearest_center(X, centers)]
    with pytest.raises(Exception, match="Missing Values"):
        run_node("k_means", settings, frame.assign(a=[np.nan, 1, 2, 3, 4, 5]))


def test_kmeans_excluded_columns_and_new_columns() -> None:
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    settings = {"cfgColmns": {"included_names": ["a"], "excluded_names": ["b"]}, "nrClusters": 2}
    result = run_node("k_means", {**settings, "centroid_initialization": "FIRST_ROWS"}, frame)
    assert list(result.df(2).columns) == ["a", "c"]  # c is in neither list: KNIME includes it


# -------------------------------------------------------------------------------- k-Medoids, silhouette


def test_k_medoids_finds_the_optimal_medoids() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(size=(8, 2)), rng.normal(size=(8, 2)) + 6])
    frame = pd.DataFrame(values, columns=["x", "y"])
    result = run_node("k_medoids", {"partitionCount": 2}, frame)
    d = np.sqrt(((values[:, None] - values[None]) ** 2).sum(axis=2))
    best = min(
        (d[[i, j]].min(axis=0).sum(), {i, j}) for i in range(len(values)) for j in range(i + 1, len(values))
    )
    medoid_rows = set(result.outputs[1].row_ids)
    assert medoid_rows == {f"Row{i}" for i in best[1]}
    assert result.df(1)["Cluster"].nunique() == 2


def test_silhouette_equals_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(size=(10, 3)), rng.normal(size=(12, 3)) + 3])
    labels = ["A"] * 10 + ["B"] * 12
    labels[3] = "B"
    frame = pd.DataFrame(values, columns=["x", "y", "z"]).assign(Cluster=labels)
    result = run_node("silhouette_coefficient", {"cluster_column": "Cluster"}, frame)
    expected = silhouette_samples(values, labels)
    np.testing.assert_allclose(result.df(1)["Silhouette Coefficient"], expected, rtol=1e-12)
    summary = result.df(2)
    # KNIME's layout (saved by its 5.2 node): one column, the clusters then Overall
    assert summary.index.tolist() == ["A", "B", "Overall"] and summary.columns.tolist() == [
        "Mean Silhouette Coefficient"
    ]
    assert summary.loc["Overall", "Mean Silhouette Coefficient"] == pytest.approx(expected.mean(), rel=1e-12)
    assert summary.loc["A", "Mean Silhouette Coefficient"] == pytest.approx(
        expected[np.array(labels) == "A"].mean()
    )
    assert result.variables["Overall Mean Silhouette Coefficient"] == pytest.approx(
        expected.mean(), rel=1e-12
    )


def test_silhouette_knime_settings(tmp_path) -> None:
    from test_knime_import import findings, import_fragment

    model = {
        "cluster_column": "Cluster",
        "data_columns": {
            "filter-type": "STANDARD",
            "included_names": [],
            "excluded_names": ["z"],
            "enforce_option": "EnforceExclusion",
            "name_pattern": {
                "pattern": "",
                "type": "Wildcard",
                "caseSensitive": True,
                "excludeMatching": False,
            },
            "datatype": {"typelist": {}},
        },
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.cluster.eval.silhouette.SilhouetteCoefficientNodeFactory", model
    )
    assert node.type == "silhouette_coefficient" and findings(report) == []
    frame = pd.DataFrame(
        {"x": [0.0, 0.1, 5.0, 5.1], "z": [9.0, -9.0, 9.0, -9.0], "Cluster": ["a", "a", "b", "b"]}
    )
    result = run_node("silhouette_coefficient", node.settings, frame)  # z is left out of the distances
    expected = silhouette_samples(frame[["x"]].to_numpy(), frame["Cluster"])
    np.testing.assert_allclose(result.df(1)["Silhouette Coefficient"], expected, rtol=1e-12)


# ------------------------------------------------------------------------------------------ hierarchical


@pytest.mark.parametrize("method", ["SINGLE", "COMPLETE", "AVERAGE"])
def test_hierarchical_merges_agree_with_scipy(method: str) -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(size=(25, 3))
    d = np.sqrt(((values[:, None] - values[None]) ** 2).sum(axis=2))
    _, merges, _ = knime_hierarchical(d, method, 1)
    reference = linkage(pdist(values), method.lower())
    np.testing.assert_allclose([m[2] for m in merges], reference[:, 2], rtol=1e-6)  # KNIME: float distances
    for k in (2, 3, 5):
        ours = run_node(
            "hierarchical_clustering",
            {"numberClusters": k, "linkageType": method},
            pd.DataFrame(values, columns=["a", "b", "c"]),
        )
        clustered = ours.df(1)
        by_row = dict(zip(clustered.index, clustered["Cluster"], strict=True))
        theirs = fcluster(reference, k, criterion="maxclust")
        pairs_ours = {(a, b) for a in range(25) for b in range(25) if by_row[f"Row{a}"] == by_row[f"Row{b}"]}
        pairs_theirs = {(a, b) for a in range(25) for b in range(25) if theirs[a] == theirs[b]}
        assert pairs_ours == pairs_theirs


def test_hierarchical_output_order_view_and_assigner() -> None:
    values = pd.DataFrame({"x": [0.0, 10.0, 0.5, 10.4, 20.0]})
    result = run_node("hierarchical_clustering", {"numberClusters": 2}, values)
    clustered, tree, view = result.outputs
    # KNIME lists the surviving clusters in list order (a merged one is appended), each with its rows,
    # first subtree first: {1, 3} merged at 0.4, {0, 2} at 0.5, then the two at 9.5 (single linkage)
    assert clustered.row_ids == ["Row4", "Row1", "Row3", "Row0", "Row2"]
    assert clustered.df["Cluster"].tolist() == [
        "cluster_0",
        "cluster_1",
        "cluster_1",
        "cluster_1",
        "cluster_1",
    ]
    assert result.specs[0] == clustered.spec
    assert view.png[:8] == b"\x89PNG\r\n\x1a\n"
    # KNIME's Hierarchical Cluster Assigner: labels are the cluster subtrees' breadth-first ids
    # (root 0; Row4 = 1, {1, 3} = 3, {0, 2} = 4 for three clusters)
    cut = run_node("hierarchical_cluster_assigner", {"numClusters": 3}, tree, values)
    assert cut.df(2)["Cluster (Hierarchical Cluster Assigner)"].tolist() == [
        "Cluster 4",
        "Cluster 3",
        "Cluster 4",
        "Cluster 3",
        "Cluster 1",
    ]
    by_distance = run_node(
        "hierarchical_cluster_assigner",
        {"numClustersMode": False, "useNormalizedDistances": False, "threshold": 0.45},
        tree,
        values,
    )
    assert by_distance.df(2)["Cluster (Hierarchical Cluster Assigner)"].nunique() == 4


def test_distance_matrix_feeds_hierarchical_clustering() -> None:
    values = pd.DataFrame({"x": [0.0, 3.0, 4.0, 9.0], "y": [0.0, 4.0, 4.0, 1.0]})
    matrix = run_node("distance_matrix_calculate", {"distance": "Manhattan"}, values)
    cells = matrix.df()["Distance"].tolist()
    assert cells == [(), (7.0,), (8.0, 1.0), (10.0, 9.0, 8.0)]
    assert matrix.specs[0] == matrix.outputs[0].spec
    direct = run_node("hierarchical_clustering", {"numberClusters": 2, "distFunction": "Manhattan"}, values)
    via = run_node(
        "hierarchical_clustering", {"numberClusters": 2, "distance_column": "Distance"}, matrix.outputs[0]
    )
    assert direct.outputs[0].row_ids == via.outputs[0].row_ids


def test_configure_errors() -> None:
    spec = TableSpec.of([("a", "Double"), ("s", "String")])
    from engine.core.testing import configure_node

    with pytest.raises(Exception, match="does not exist"):
        configure_node("hierarchical_clustering", {"selectedColumns": ["nope"]}, spec)
    with pytest.raises(Exception, match="not numeric|not a numeric"):
        configure_node("hierarchical_clustering", {"selectedColumns": ["s"]}, spec)
    assert isinstance(Table.from_frame(FRAME).spec, TableSpec)
