"""K Nearest Neighbor: KNIME's k-d tree search against exact neighbours (scikit-learn), KNIME's voting,
tie rules and column naming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import NearestNeighbors
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, TableSpec
from engine.core.testing import configure_node, run_node
from nodes.neighbors import _build, _nearest


@pytest.mark.parametrize("scale", [10.0, 0.05])
def test_kd_tree_finds_the_exact_neighbours(scale: float) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3)) * scale
    q = rng.normal(size=(150, 3)) * scale
    tree = _build(x, list(range(len(x))))
    _, expected = NearestNeighbors(n_neighbors=5).fit(x).kneighbors(q)
    for r in range(len(q)):
        found = _nearest(tree, x, q[r], 5)
        assert sorted(row for _, row in found) == sorted(expected[r].tolist())
        assert [d for d, _ in found] == sorted(d for d, _ in found)


def test_votes_probabilities_and_distance_weights() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 2))
    y = np.where(x[:, 0] > x[:, 1], "up", "down")
    train = pd.DataFrame(x, columns=["a", "b"])
    train["cls"] = y
    q = rng.normal(size=(100, 2))
    test = pd.DataFrame(q, columns=["a", "b"])
    dist, idx = NearestNeighbors(n_neighbors=7).fit(x).kneighbors(q)
    out = run_node(
        "k_nearest_neighbor", {"classColumn": "cls", "k": 7, "outputClassProbabilities": True}, train, test
    )
    assert out[1].columns == ["a", "b", "Class [kNN]", "P (cls=down)", "P (cls=up)"]
    up = (y[idx] == "up").mean(axis=1)
    assert np.allclose(out.df(1)["P (cls=up)"], up)
    assert (out.df(1)["Class [kNN]"].to_numpy() == np.where(up > 0.5, "up", "down")).all()
    weighted = run_node(
        "k_nearest_neighbor",
        {"classColumn": "cls", "k": 7, "outputClassProbabilities": True, "weightByDistance": True},
        train,
        test,
    )
    w = 1 / dist
    share = (w * (y[idx] == "up")).sum(axis=1) / w.sum(axis=1)
    assert np.allclose(weighted.df(1)["P (cls=up)"], share)


def test_ties_all_vote_and_frequent_class_wins() -> None:
    # four training points at distance 1 from the query: with k = 2 all four vote (KNIME keeps ties)
    train = pd.DataFrame({"a": [1.0, -1.0, 0.0, 0.0, 5.0, 6.0], "b": [0.0, 0.0, 1.0, -1.0, 5, 5]})
    train["cls"] = ["x", "y", "x", "y", "y", "y"]
    out = run_node(
        "k_nearest_neighbor",
        {"classColumn": "cls", "k": 2, "outputClassProbabilities": True},
        train,
        pd.DataFrame({"a": [0.0], "b": [0.0]}),
    )
    row = out.df(1).iloc[0]
    assert (row["P (cls=x)"], row["P (cls=y)"]) == (0.5, 0.5)
    assert row["Class [kNN]"] == "y"  # 2:2 votes; y is more frequent in the training data


def test_missing_values_names_and_warnings() -> None:
    train = pd.DataFrame({"a": [0.0, 1.0, np.nan, 3.0], "cls": ["p", "q", "p", "q"], "note": list("wxyz")})
    test = pd.DataFrame({"a": [0.2, np.nan], "Class [kNN]": ["old", "old"], "p": [1, 2]})
    out = run_node(
        "k_nearest_neighbor", {"classColumn": "cls", "k": 1, "outputClassProbabilities": True}, train, test
    )
    assert out[1].columns == ["a", "Class [kNN]", "p", "Class [kNN]_dup", "P (cls=p_dup)", "P (cls=q)"]
    df = out.df(1)
    assert df["Class [kNN]_dup"].iloc[0] == "p" and pd.isna(df["Class [kNN]_dup"].iloc[1])
    assert np.isnan(df["P (cls=q)"].iloc[1])
    assert "Input table contains missing values, the affected rows are ignored." in out.warnings
    assert "Input table contains more than one non-numeric column; they will be ignored." in out.warnings


def test_configure_checks_and_auto_class_column() -> None:
    train = TableSpec.of([("a", ColumnType.DOUBLE), ("cls", ColumnType.STRING)])
    out = configure_node("k_nearest_neighbor", {}, train, TableSpec.of([("a", ColumnType.INTEGER)]))[0]
    assert out.names == ["a", "Class [kNN]"]
    with pytest.raises(ConfigureError, match="does not contain a column: 'a'"):
        configure_node(
            "k_nearest_neighbor", {"classColumn": "cls"}, train, TableSpec.of([("b", ColumnType.DOUBLE)])
        )
    with pytest.raises(ConfigureError, match="not compatible"):
        configure_node(
            "k_nearest_neighbor", {"classColumn": "cls"}, train, TableSpec.of([("a", ColumnType.STRING)])
        )
    two = TableSpec.of([("a", ColumnType.DOUBLE), ("c1", ColumnType.STRING), ("c2", ColumnType.STRING)])
    with pytest.raises(ConfigureError, match="valid class column"):
        configure_node("k_nearest_neighbor", {}, two, two)


def test_knime_settings_import(tmp_path: Path) -> None:
    model = {"classColumn": "cls", "k": 5, "weightByDistance": True, "outputClassProbabilities": True}
    for factory in ("KnnNodeFactory2", "KnnNodeFactory"):
        node, report, _ = import_fragment(tmp_path, f"org.knime.base.node.mine.knn.{factory}", model)
        assert node.type == "k_nearest_neighbor" and findings(report) == []
        assert node.settings == model
