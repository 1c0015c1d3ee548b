"""Tutorial workflows 10_01, 10_02 and 10_03 run node for node: every recorded port shape, and the
numbers KNIME recorded (10_02/10_03 exactly, thanks to the java.util.Random partition)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from spec_shapes import data_dir, recorded_table_shapes

from engine.api import Table
from engine.core.workflow import Workflow

ROOT = Path(__file__).resolve().parent.parent
METRICS = [
    "R^2",
    "mean absolute error",
    "mean squared error",
    "root mean squared error",
    "mean signed difference",
    "mean absolute percentage error",
]

# reference tables of the specs (six printed decimals), rows in alpha order 1e-5 ... 1
REF_10_02 = [
    [0.834401, 0.146228, 0.057755, 0.240323, -0.071493, 0.983629],
    [0.836212, 0.142799, 0.057123, 0.239005, -0.069057, 0.996475],
    [0.804050, 0.144670, 0.068341, 0.261420, -0.061588, 1.286646],
    [0.583641, 0.207437, 0.145211, 0.381066, -0.053155, 2.264625],
    [0.340920, 0.244868, 0.229864, 0.479441, -0.097602, 1.167927],
    [-0.030654, 0.359525, 0.359456, 0.599547, -0.103397, 1.892312],
]
REF_10_03 = [
    [0.978666, 0.067467, 0.007441, 0.086259, -0.000845, 1.091869],
    [0.978667, 0.067447, 0.007440, 0.086256, -0.000879, 1.090785],
    [0.978662, 0.067308, 0.007442, 0.086267, -0.001219, 1.080445],
    [0.975846, 0.072305, 0.008424, 0.091782, -0.004628, 0.984708],
    [0.768622, 0.207356, 0.080696, 0.284071, -0.040139, 1.399164],
    [-0.030654, 0.359525, 0.359456, 0.599547, -0.103397, 1.892312],
]
# KNIME's recorded flow variables of the alpha = 1 iteration (both loops) and of 10_03's final scorer
KNIME_ALPHA_1 = {
    "R^2": -0.03065381559566549,
    "mean absolute error": 0.3595249122807017,
    "mean squared error": 0.3594560291166512,
    "root mean squared error": 0.5995465195601182,
    "mean signed difference": -0.1033971929824562,
    "mean absolute percentage error": 1.892311798638751,
    "adjusted R^2": -0.03065381559566549,
}
KNIME_10_03_FINAL = {
    "R^2": 0.9786673179225764,
    "adjusted R^2": 0.9786673179225764,
    "mean absolute error": 0.06744671257250884,
    "mean squared error": 0.007440093922833645,
    "root mean squared error": 0.08625597905556255,
    "mean signed difference": -8.785082603095335e-4,
    "mean absolute percentage error": 1.0907853043375486,
}


def run(name: str, **kwargs: object) -> object:
    wf = Workflow.load(ROOT / "workflows" / f"{name}.yaml")
    result = wf.run(variables={"data_dir": str(data_dir())}, **kwargs)
    assert result.ok, "\n".join(f"#{s.id} {s.name}: {s.error}" for s in result.failed())
    return result


def assert_shapes(result: object, name: str) -> None:
    for (node, port), expected in recorded_table_shapes(name).items():
        obj = result.status[node].outputs[port - 1]  # type: ignore[attr-defined]
        assert isinstance(obj, Table), f"#{node} port {port} is not a table"
        assert obj.shape == expected, f"#{node} port {port}: {obj.shape} != KNIME's {expected}"


@pytest.fixture(scope="module")
def result_10_02() -> object:
    return run("10_02_ZB_WZ_regression")


@pytest.fixture(scope="module")
def result_10_03() -> object:
    return run("10_03_conversion_regression")


def test_10_02_shapes(result_10_02: object) -> None:
    assert_shapes(result_10_02, "10_02_ZB_WZ_regression")


def test_10_02_test_partition_rows(result_10_02: object) -> None:
    test_rows = result_10_02.output(181, 2).index.tolist()  # type: ignore[attr-defined]
    assert test_rows == [
        f"Row{i}"
        for i in (
            1,
            4,
            5,
            11,
            18,
            19,
            21,
            24,
            26,
            29,
            30,
            33,
            34,
            37,
            39,
            41,
            43,
            51,
            53,
            59,
            61,
            71,
            75,
            77,
            79,
        )
    ]


def _loop_table(result: object, node: int) -> pd.DataFrame:
    df = result.output(node)  # type: ignore[attr-defined]
    return df.sort_values("alpha").reset_index(drop=True)


@pytest.mark.parametrize(
    ("fixture", "end", "ref"), [("result_10_02", 177, REF_10_02), ("result_10_03", 324, REF_10_03)]
)
def test_alpha_loops_match_reference(
    fixture: str, end: int, ref: list[list[float]], request: pytest.FixtureRequest
) -> None:
    result = request.getfixturevalue(fixture)
    table = _loop_table(result, end)
    assert table["alpha"].tolist() == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    assert list(table.columns) == [*METRICS, "adjusted R^2", "alpha"]
    for row, expected in zip(table[METRICS].to_numpy(), ref, strict=True):
        assert row == pytest.approx(expected, abs=5e-7)
    alpha_1 = table.iloc[-1]
    for name, value in KNIME_ALPHA_1.items():
        assert alpha_1[name] == pytest.approx(value, abs=1e-9), name


def test_10_02_sorted_best_row(result_10_02: object) -> None:
    best = result_10_02.output(185).iloc[0]  # type: ignore[attr-defined]
    assert best["alpha"] == 1e-4 and best["R^2"] == pytest.approx(0.836212, abs=1e-6)
    assert result_10_02.output(185).index.tolist()[0] == "Row1"  # type: ignore[attr-defined]


def test_10_03_shapes(result_10_03: object) -> None:
    assert_shapes(result_10_03, "10_03_conversion_regression")


def test_10_03_final_scores_equal_knime(result_10_03: object) -> None:
    variables = result_10_03.output(336, 0)  # type: ignore[attr-defined]
    assert variables["alpha"] == 1e-4 and variables["RowID"] == "Row1"
    for name, value in KNIME_10_03_FINAL.items():
        assert variables[name] == pytest.approx(value, abs=1e-9), name
    scores = result_10_03.output(336)  # type: ignore[attr-defined]
    assert scores.index.tolist() == [*METRICS[:1], *METRICS[1:], "adjusted R^2"]
    assert scores.columns.tolist() == ["Prediction (dE)"]


def test_10_03_descriptor_statistics(result_10_03: object) -> None:
    raw = result_10_03.output(328)  # type: ignore[attr-defined]
    assert raw.columns[-3:].tolist() == ["desp1", "desp2", "desp3"]
    assert raw["desp1"].mean() == pytest.approx(3.823395, abs=1e-6)
    assert raw["desp1"].std() == pytest.approx(3.631298, abs=1e-6)
    assert raw["desp3"].std() == pytest.approx(0.017872, abs=1e-6)


# 10_01 has no seeds (partition and SAG are random in KNIME): shapes, wiring and the spread of
# training accuracy measured over seeds 0..9 with `--seed` (see the note in the issue).
@pytest.fixture(scope="module")
def results_10_01() -> list[object]:
    return [run("10_01_ZB_WZ", seed=s) for s in range(10)]


def test_10_01_shapes(results_10_01: list[object]) -> None:
    assert_shapes(results_10_01[0], "10_01_ZB_WZ")


def test_10_01_tables_are_knime_shaped(results_10_01: list[object]) -> None:
    result = results_10_01[0]
    coeffs = result.output(7, 2)  # type: ignore[attr-defined]
    assert coeffs.columns.tolist() == ["Logit", "Variable", "Coeff.", "Std. Err.", "z-score", "P>|z|"]
    assert coeffs["Variable"].tolist()[-1] == "Constant" and set(coeffs["Logit"]) == {"stable"}
    confusion = result.output(14, 1)  # type: ignore[attr-defined]
    assert confusion.index.tolist() == ["unstable", "stable"] == confusion.columns.tolist()
    stats = result.output(14, 2)  # type: ignore[attr-defined]
    assert stats.index.tolist() == ["unstable", "stable", "Overall"]
    assert result.output(13).columns[-1] == "Prediction (dE)"  # type: ignore[attr-defined]


def test_10_01_training_scores_in_measured_spread(results_10_01: list[object]) -> None:
    # The predictor is fed the training partition (the original's wiring), so accuracy is a training
    # score: KNIME recorded 1.0 (57/57). Measured over seeds 0..9: see MEASURED_10_01 below.
    accuracies = [r.output(14, 0)["Accuracy"] for r in results_10_01]  # type: ignore[attr-defined]
    for acc in accuracies:
        assert MEASURED_10_01[0] <= acc <= MEASURED_10_01[1]
    assert max(accuracies) == pytest.approx(1.0)
    assert all(r.output(14, 0)["#Correct"] == 57 for r in results_10_01)  # type: ignore[attr-defined]


# measured over --seed 0..19: training accuracy 1.0 on every seed (KNIME recorded 1.0, 57/57)
MEASURED_10_01 = (1.0, 1.0)
