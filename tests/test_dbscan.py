"""DBSCAN over a Numeric Distances measure: core points, noise and cluster numbering checked against
scikit-learn, the border point two clusters reach worked out by hand in two row orders, Minpts
counting the row itself, the summary table, and the KNIME mapping of both nodes with the keys of
DBSCAN (#33) / Numeric Distances (#37) in Kcrach/TP2_DM (also DBSCAN (#19) in FDD_MQV, (#37),
(#44) in ThibaudPerrin/knime_data_mining: same keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import DBSCAN as SklearnDBSCAN
from test_knime_import import findings, import_fragment, notes

from engine.api import ColumnType, ConfigureError, NodeError
from engine.core.testing import run_node

FACTORY = "org.knime.base.node.mine.dbscan.DBSCANNodeFactory"
NUMERIC = "org.knime.distance.measure.numerical.NumericalDistanceNodeFactory"
LNORM = "org.knime.distance.measure.numerical.lnorm.LNormDistanceFactory"


def blobs() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    centres = np.array([[0.0, 0.0], [4.0, 4.0], [0.0, 5.0]])
    points = np.vstack(
        [c + rng.normal(scale=0.6, size=(40, 2)) for c in centres] + [rng.uniform(-3, 8, (20, 2))]
    )
    points = points[rng.permutation(len(points))]
    return pd.DataFrame({"x": points[:, 0], "y": points[:, 1], "id": [f"p{i}" for i in range(len(points))]})


def clustered(data: pd.DataFrame, eps: float, minpts: int, **measure: Any) -> Any:
    distance = run_node("numeric_distances", measure, data)[1]
    return run_node("dbscan", {"Eps": eps, "Minpts": minpts}, data, distance)


def sklearn_labels(data: pd.DataFrame, eps: float, minpts: int, metric: str = "euclidean") -> list[str]:
    fitted = SklearnDBSCAN(eps=eps, min_samples=minpts, metric=metric).fit(data[["x", "y"]].to_numpy())
    return ["Noise" if c < 0 else f"Cluster_{c}" for c in fitted.labels_]


@pytest.mark.parametrize(
    ("eps", "minpts", "measure", "metric"),
    [
        (0.5, 5, {}, "euclidean"),
        (0.8, 10, {}, "euclidean"),
        (0.3, 3, {}, "euclidean"),
        (0.7, 6, {"lnorm_p": 1.0}, "manhattan"),
        (0.5, 1, {}, "euclidean"),  # every row is a core point
    ],
)
def test_clusters_as_scikit_learn(eps: float, minpts: int, measure: dict[str, Any], metric: str) -> None:
    data = blobs()
    run = clustered(data, eps, minpts, **measure)
    out = run.df(1)
    assert list(out.columns) == ["x", "y", "id", "Cluster"] and list(out.index) == list(run[1].df.index)
    assert run.specs[0] == run[1].spec
    # scikit-learn also numbers clusters by their first core point in row order and gives a border
    # point to the first cluster reaching it, so every label agrees, not only cores and noise
    assert out["Cluster"].tolist() == sklearn_labels(data, eps, minpts, metric)


def line(order: list[int]) -> pd.DataFrame:
    # A = 0, 0.3, 0.6, 1.0 and B = 3.0, 3.4, 3.7, 4.0 are cores with Eps 1 and Minpts 4 (the row
    # itself counted: 0.0 sees 0.0, 0.3, 0.6, 1.0); 2.0 sees only 1.0, 2.0, 3.0 (3 < 4): a border
    # point of both clusters; 10.0 sees itself only: noise.
    xs = [0.0, 0.3, 0.6, 1.0, 2.0, 3.0, 3.4, 3.7, 4.0, 10.0]
    return pd.DataFrame({"x": [xs[i] for i in order]}, index=[f"r{i}" for i in order])


@pytest.mark.parametrize(
    ("order", "border_cluster"),
    [
        ([4, 0, 1, 2, 3, 5, 6, 7, 8, 9], "A"),  # the border row first: noise until A (Cluster_0) claims it
        ([4, 5, 6, 7, 8, 0, 1, 2, 3, 9], "B"),  # B is found first, so it keeps the border point
        ([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], "B"),
        ([0, 1, 2, 3, 5, 6, 7, 8, 9, 4], "A"),
    ],
)
def test_the_first_cluster_reaching_a_border_point_keeps_it(order: list[int], border_cluster: str) -> None:
    data = line(order)
    distance = run_node("numeric_distances", {}, data)[1]
    out = run_node("dbscan", {"Eps": 1.0, "Minpts": 4}, data, distance).df(1)["Cluster"]
    first = "A" if order.index(0) < order.index(5) else "B"  # the cluster found first is Cluster_0
    name = {first: "Cluster_0", ("B" if first == "A" else "A"): "Cluster_1"}
    expected = {f"r{i}": name["A"] for i in (0, 1, 2, 3)} | {f"r{i}": name["B"] for i in (5, 6, 7, 8)}
    expected |= {"r4": name[border_cluster], "r9": "Noise"}
    assert out.to_dict() == expected


def test_minpts_counts_the_row_itself_and_eps_is_inclusive() -> None:
    data = pd.DataFrame({"x": [0.0, 1.0, 2.0, 7.0]})
    distance = run_node("numeric_distances", {}, data)[1]

    def labels(minpts: int, eps: float = 1.0) -> list[str]:
        return run_node("dbscan", {"Eps": eps, "Minpts": minpts}, data, distance).df()["Cluster"].tolist()

    # 1.0 has exactly 3 rows within Eps = 1 (0.0 and 2.0 at exactly 1, and itself): a core point
    assert labels(3) == ["Cluster_0", "Cluster_0", "Cluster_0", "Noise"]
    assert labels(4) == ["Noise"] * 4
    assert labels(3, eps=0.999) == ["Noise"] * 4
    assert labels(1) == ["Cluster_0", "Cluster_0", "Cluster_0", "Cluster_1"]


def test_summary_counts_each_cluster_then_noise() -> None:
    data = line([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    distance = run_node("numeric_distances", {}, data)[1]
    run = run_node("dbscan", {"Eps": 1.0, "Minpts": 4}, data, distance)
    summary = run[2]
    assert summary.types == {"Count": ColumnType.LONG} and run.specs[1] == summary.spec
    assert summary.df["Count"].to_dict() == {"Cluster_0": 5, "Cluster_1": 4, "Noise": 1}
    no_noise = run_node("dbscan", {"Eps": 20.0, "Minpts": 2}, data, distance)[2]
    assert no_noise.df["Count"].to_dict() == {"Cluster_0": 10}


def test_errors_name_the_columns_and_missing_values() -> None:
    data = blobs()
    distance = run_node("numeric_distances", {}, data)[1]
    with pytest.raises(ConfigureError, match="'y'"):
        run_node("dbscan", {}, data.drop(columns="y"), distance)
    holes = data.copy()
    holes.loc[5, "x"] = np.nan
    with pytest.raises(NodeError, match="row 'Row5': missing value in column 'x'"):
        run_node("dbscan", {}, holes, distance)


def dbscan_model(eps: float, minpts: int) -> dict[str, Any]:
    """DBSCAN (#33) in Kcrach/TP2_DM as KNIME 4.2.1 saved it."""
    return {
        "Eps_Internals": {"SettingsModelID": "SMID_double", "EnabledStatus": True},
        "Eps": eps,
        "Minpts_Internals": {"SettingsModelID": "SMID_integer", "EnabledStatus": True},
        "Minpts": minpts,
        "Inmem_Internals": {"SettingsModelID": "SMID_boolean", "EnabledStatus": True},
        "Inmem": False,
    }


def test_imports_dbscan_and_its_distance_node(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, FACTORY, dbscan_model(0.5, 5))
    assert node.type == "dbscan" and findings(report) == []
    assert node.settings == {"Eps": 0.5, "Minpts": 5, "Inmem": False}
    assert [n for n in notes(report) if "numbers its clusters" in n]
    distances = {
        "distance-config": {
            "distance-factory-id": LNORM,
            LNORM: {"missing-value-handling": "FAIL", "normalize-distance": False, "lnorm-p": 2.0},
        },
        "datacolfilter": {
            "filter-type": "STANDARD",
            "included_names": ["x", "y"],
            "excluded_names": [],
            "enforce_option": "EnforceExclusion",
            "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True},
            "datatype": {"typelist": {"org.knime.core.data.DoubleValue": False}},
        },
    }
    measure_node, report, _ = import_fragment(tmp_path, NUMERIC, distances)
    assert findings(report) == []
    data = blobs()
    measure = run_node(measure_node.type, measure_node.settings, data)[1]
    out = run_node(node.type, node.settings, data, measure).df()
    assert out["Cluster"].tolist() == sklearn_labels(data, 0.5, 5)


def test_an_unknown_key_is_a_finding(tmp_path: Path) -> None:
    _, report, _ = import_fragment(tmp_path, FACTORY, {**dbscan_model(0.5, 5), "distanceColumn": "d"})
    assert [f for f in findings(report) if "distanceColumn" in f]
