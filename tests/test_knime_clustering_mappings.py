"""KNIME's other k-Means factories (the first ClusterNodeFactory, the web-UI ClusterNodeFactory3 and
KMeansNodeFactory of 5.9) and the Cluster Assigner: settings.xml trees built here, imported as a user
would, and run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine import run_node
from engine.api import ConfigureError
from nodes.clustering import KMeans

KMEANS = "org.knime.base.node.mine.cluster.kmeans"
ASSIGNER = "org.knime.base.node.mine.cluster.assign.ClusterAssignerNodeFactory"

RNG = np.random.default_rng(7)
FRAME = pd.DataFrame(
    {
        "x": np.r_[RNG.normal(0, 0.3, 15), RNG.normal(4, 0.3, 15), RNG.normal(0, 0.3, 15)],
        "y": np.r_[RNG.normal(0, 0.3, 15), RNG.normal(0, 0.3, 15), RNG.normal(4, 0.3, 15)],
        "z": RNG.normal(0, 1, 45),
        "name": [f"r{i}" for i in range(45)],
    }
)


def web_ui_filter(selected: list[str], deselected: list[str], unknown: bool) -> dict[str, object]:
    """knime-core-ui's ColumnFilter as it is persisted (mode, patternFilter, manualFilter, typeFilter)."""
    return {
        "mode": "MANUAL",
        "patternFilter": {"pattern": "", "isCaseSensitive": False, "isInverted": False},
        "manualFilter": {
            "manuallySelected": selected,
            "manuallyDeselected": deselected,
            "includeUnknownColumns": unknown,
        },
        "typeFilter": {"selectedTypes": [], "typeDisplays": []},
    }


@pytest.mark.parametrize("factory", ["ClusterNodeFactory3", "KMeansNodeFactory"])
def test_web_ui_kmeans_reads_its_field_names(tmp_path: Path, factory: str) -> None:
    model = {
        "nrOfClusters": 3,
        "centroidInitialization": "RANDOM_INITIALIZATION",
        "useStaticRandomSeed": True,
        "seedValue": "-8123456789012",
        "maxIterations": 50,
        "columnFilter": web_ui_filter(["x", "y"], ["z"], False),
        "enableHilite": False,
    }
    node, report, _ = import_fragment(tmp_path, f"{KMEANS}.{factory}", model)
    assert node.type == "k_means" and findings(report) == []
    assert node.settings["nrClusters"] == 3 and node.settings["maxNrIterations"] == 50
    assert node.settings["centroid_seeds"] == -8123456789012 and node.settings["centroid_seeds_BOOL"] is True
    assert node.settings["cfgColmns"]["included_names"] == ["x", "y"]
    # the same clustering as the classic node with the same settings (KNIME's algorithm is shared)
    classic = {
        "nrClusters": 3,
        "centroid_initialization": "RANDOM_INITIALIZATION",
        "centroid_seeds": -8123456789012,
        "centroid_seeds_BOOL": True,
        "maxNrIterations": 50,
        "cfgColmns": {
            "included_names": ["x", "y"],
            "excluded_names": ["z"],
            "enforce_option": "EnforceInclusion",
        },
    }
    got = run_node("k_means", node.settings, FRAME).df(2)  # the centres
    want = run_node("k_means", classic, FRAME).df(2)
    pd.testing.assert_frame_equal(got, want)
    assert list(got.columns) == ["x", "y"]


def test_web_ui_kmeans_with_a_broken_seed_is_a_placeholder(tmp_path: Path) -> None:
    model = {"nrOfClusters": 2, "useStaticRandomSeed": True, "seedValue": "12ab", "maxIterations": 9}
    node, report, _ = import_fragment(tmp_path, f"{KMEANS}.KMeansNodeFactory", model)
    assert node.type == "knime_placeholder"
    assert any("12ab" in f for f in findings(report))


def test_first_kmeans_factory_starts_from_the_first_rows(tmp_path: Path) -> None:
    model = {"nrClusters": 2, "maxNrIterations": 20, "cfgColmns": {"InclList": ["x", "y"], "ExclList": ["z"]}}
    node, report, _ = import_fragment(tmp_path, f"{KMEANS}.ClusterNodeFactory", model)
    assert node.type == "k_means" and findings(report) == []
    assert node.settings["centroid_initialization"] == "FIRST_ROWS"
    mapping = next(m for m in KMeans.knime if m.factory.endswith(".ClusterNodeFactory"))
    assert mapping.ports is not None and mapping.ports({}) == ({}, {1: 1, 2: 3})  # its PMML port is our 3rd


def test_cluster_assigner_matches_nearest_centres(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, ASSIGNER, {})
    assert node.type == "cluster_assigner" and findings(report) == [] and node.settings == {}
    columns = {"included_names": ["x", "y"], "enforce_option": "EnforceInclusion"}
    settings = {"nrClusters": 3, "centroid_initialization": "FIRST_ROWS", "cfgColmns": columns}
    learned = run_node("k_means", settings, FRAME)
    model = learned.outputs[2]
    new = pd.DataFrame(
        {"Cluster": ["a", "b", "c", "d"], "y": [0.1, 3.9, np.nan, 0.0], "x": [4.2, 0.1, 1.0, 0.0]}
    )
    result = run_node("cluster_assigner", {}, model, new)
    out = result.df()
    assert list(out.columns) == ["Cluster", "y", "x", "Cluster (#1)"]  # KNIME's unique name
    centres = learned.df(2)[["x", "y"]].to_numpy()
    points = new[["x", "y"]].to_numpy()
    nearest = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    expected = [f"cluster_{i}" for i in nearest]
    expected[2] = None  # a missing value: a missing cell
    assert out["Cluster (#1)"].tolist() == expected
    # the learning rows are labelled as k-Means labelled them
    again = run_node("cluster_assigner", {}, model, FRAME).df()
    assert again["Cluster"].tolist() == learned.df(1)["Cluster"].tolist()


def test_cluster_assigner_needs_the_model_columns() -> None:
    learned = run_node("k_means", {"nrClusters": 2, "centroid_initialization": "FIRST_ROWS"}, FRAME)
    with pytest.raises((ConfigureError, Exception), match='Column "z" not found'):
        run_node("cluster_assigner", {}, learned.outputs[2], FRAME.drop(columns="z"))
