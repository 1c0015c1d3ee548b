"""Numeric Distances: the p-norm and cosine measures checked against scipy through Distance Matrix
Calculate, its column selection and missing values, and its KNIME mapping (the layouts saved by
KNIME 3.5 and 4.2 in FDD_MQV and TP2_DM)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist, squareform
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, NodeError, Table
from engine.core.testing import run_node

FACTORY = "org.knime.distance.measure.numerical.NumericalDistanceNodeFactory"
LNORM = "org.knime.distance.measure.numerical.lnorm.LNormDistanceFactory"
RNG = np.random.default_rng(7)
VALUES = RNG.normal(size=(9, 3)) * [1.0, 10.0, 0.1]
DATA = pd.DataFrame(
    {"a": VALUES[:, 0], "b": VALUES[:, 1], "n": np.arange(9), "c": VALUES[:, 2], "s": list("abcdefghi")}
)


def full_matrix(data: pd.DataFrame, **settings: Any) -> np.ndarray:
    """The measure applied by Distance Matrix Calculate, its lower triangles made a full matrix."""
    measure = run_node("numeric_distances", settings, data)[1]
    cells = run_node("distance_matrix_calculate", {"column_name": "D"}, data, measure).df()["D"]
    out = np.zeros((len(data), len(data)))
    for i, cell in enumerate(cells):
        out[i, :i] = cell
        out[:i, i] = cell
    return out


@pytest.mark.parametrize(
    ("settings", "metric", "options"),
    [
        ({}, "euclidean", {}),
        ({"lnorm_p": 1.0}, "cityblock", {}),
        ({"lnorm_p": 3.0}, "minkowski", {"p": 3.0}),
        ({"lnorm_p": 0.5}, "minkowski", {"p": 0.5}),
        ({"distance": "Cosine"}, "cosine", {}),
    ],
)
def test_numeric_measures_match_scipy(settings: dict[str, Any], metric: str, options: dict[str, Any]) -> None:
    # by default every numeric column, an integer one too, in table order: a, b, n, c
    expected = squareform(pdist(DATA[["a", "b", "n", "c"]].to_numpy(dtype=float), metric, **options))
    np.testing.assert_allclose(full_matrix(DATA, **settings), expected, rtol=1e-12, atol=1e-12)


def test_column_selection_and_model_spec() -> None:
    selection = {
        "included_names": ["c", "a"],
        "excluded_names": ["b", "n"],
        "enforce_option": "EnforceInclusion",
    }
    run = run_node("numeric_distances", {"datacolfilter": selection}, DATA)
    measure = run[1]
    assert measure.spec.learning_columns.names == ["a", "c"]  # table order, as KNIME's filter keeps it
    assert run.specs[0] == measure.spec
    expected = squareform(pdist(DATA[["a", "c"]].to_numpy(), "euclidean"))
    np.testing.assert_allclose(full_matrix(DATA, datacolfilter=selection), expected, rtol=1e-12)
    with pytest.raises(ConfigureError, match="no numeric column"):
        run_node(
            "numeric_distances",
            {"datacolfilter": {"included_names": ["s"], "enforce_option": "EnforceInclusion"}},
            DATA,
        )


def test_missing_values_fail_and_zero_vectors() -> None:
    holes = DATA.copy()
    holes.loc[3, "b"] = np.nan
    measure = run_node("numeric_distances", {}, holes)[1]  # the measure is only configured
    with pytest.raises(NodeError, match=r"row 'Row3': missing value in column 'b'"):
        run_node("distance_matrix_calculate", {}, holes, measure)
    zeros = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 0.0]})
    cosine = full_matrix(zeros, distance="Cosine")
    assert np.isnan(cosine[0, 1:]).all()  # 0 / 0 as in Java
    assert cosine[1, 2] == pytest.approx(1 - 2 / (np.sqrt(2) * 2), abs=1e-15)


def knime_model(**measure: Any) -> dict[str, Any]:
    """The `model` of Numeric Distances (#37) in Kcrach/TP2_DM (KNIME 4.2.1)."""
    return {
        "distance-config": {
            "distance-factory-id": LNORM,
            LNORM: {"missing-value-handling": "FAIL", "normalize-distance": False, "lnorm-p": 2.0, **measure},
        },
        "datacolfilter": {
            "filter-type": "STANDARD",
            "included_names": ["lat", "long"],
            "excluded_names": [],
            "enforce_option": "EnforceExclusion",
            "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True},
            "datatype": {"typelist": {"org.knime.core.data.DoubleValue": False}},
        },
    }


POINTS = pd.DataFrame({"lat": [45.70, 45.75, 45.76], "long": [4.80, 4.83, 4.85], "n": [1, 2, 3]})


def test_imports_the_standard_distance(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, FACTORY, knime_model())
    assert node.type == "numeric_distances" and findings(report) == []
    assert node.settings["distance"] == "LNorm" and node.settings["lnorm_p"] == 2.0
    measure = run_node(node.type, node.settings, POINTS)[1]
    # EnforceExclusion: the new numeric column n is included too, as KNIME would
    assert measure.spec.learning_columns.names == ["lat", "long", "n"]
    manhattan, report, _ = import_fragment(tmp_path, FACTORY, knime_model(**{"lnorm-p": 1.0}))
    assert findings(report) == []
    measure = run_node("numeric_distances", manhattan.settings, POINTS)[1]
    assert measure.payload.matrix(Table.from_frame(POINTS))[0, 1] == pytest.approx(0.05 + 0.03 + 1)


def test_imports_the_knime_35_layout(tmp_path: Path) -> None:
    """Numeric Distances (#20) in IssouProjects/FDD_MQV (KNIME 3.5): an exclude list and two types."""
    model = knime_model()
    model["datacolfilter"].update(
        included_names=["First*(lat)", "First*(long)"],
        excluded_names=["id", "First*(date_taken_minute)"],
        datatype={
            "typelist": {"org.knime.core.data.DoubleValue": False, "org.knime.core.data.IntValue": False}
        },
    )
    node, report, _ = import_fragment(tmp_path, FACTORY, model)
    assert findings(report) == []
    data = pd.DataFrame({"id": [1, 2], "First*(lat)": [0.0, 3.0], "First*(long)": [0.0, 4.0]})
    measure = run_node(node.type, node.settings, data)[1]
    assert measure.spec.learning_columns.names == ["First*(lat)", "First*(long)"]
    assert measure.payload.matrix(Table.from_frame(data))[0, 1] == 5.0


@pytest.mark.parametrize(
    ("model", "setting"),
    [
        (knime_model(**{"normalize-distance": True}), "normalize-distance"),
        (knime_model(**{"missing-value-handling": "SKIP"}), "missing-value-handling"),
        (knime_model(**{"weights": "1,2"}), "weights"),
    ],
)
def test_unsupported_options_are_findings(tmp_path: Path, model: dict[str, Any], setting: str) -> None:
    _, report, _ = import_fragment(tmp_path, FACTORY, model)
    assert [f for f in findings(report) if setting in f]


def test_an_unknown_measure_is_a_finding(tmp_path: Path) -> None:
    other = "org.knime.distance.measure.numerical.cosine.CosineDistanceFactory"
    model = {
        "distance-config": {"distance-factory-id": other, other: {"x": 1}},
        "datacolfilter": knime_model()["datacolfilter"],
    }
    _, report, _ = import_fragment(tmp_path, FACTORY, model)
    assert [f for f in findings(report) if "CosineDistanceFactory" in f and "not supported" in f]


def test_a_flow_variable_on_p_follows_it(tmp_path: Path) -> None:
    binding = {"used_variable": "p", "exposed_variable": None}
    variables = {"distance-config": {LNORM: {"lnorm-p": binding, "normalize-distance": binding}}}
    node, report, _ = import_fragment(tmp_path, FACTORY, knime_model(), variables)
    assert node.use_variables == {"lnorm_p": "p"}
    # a variable could switch normalisation on, which knitflow cannot follow
    assert [f for f in findings(report) if "normalize-distance" in f]
