"""X-Partitioner and X-Aggregator: KNIME's fold assignment (linear, java.util.Random shuffled,
stratified, leave-one-out) and a whole cross-validation loop checked against numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.linalg

from engine.api import ColumnType, ConfigureError, NodeError, Table, TableSpec
from engine.core.testing import configure_node, run_node
from engine.core.workflow import Workflow
from nodes._java_random import JavaRandom
from nodes.cross_validation import XAggregator, XPartitioner


def frame(n: int = 23) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    return pd.DataFrame(
        {"x": x, "cls": ["a", "b", "b", "c"] * (n // 4) + ["a"] * (n % 4), "y": 2 * x + rng.normal(0, 0.1, n)}
    )


def passes(settings: dict, df: pd.DataFrame, **kw: object) -> list[tuple[list[str], list[str], dict]]:
    run = run_node("x_partitioner", settings, df, **kw)
    return [(outs[0].row_ids, outs[1].row_ids, variables) for outs, variables in run.outputs]


def java_folds(n: int, k: int, seed: int | None) -> list[int]:
    """XValidatePartitionModel's assignment, written out from KNIME's source: blocks of n/k rows,
    then (random sampling) n swaps with positions drawn by java.util.Random.nextInt(n)."""
    size = n / k
    parts = [int(min(i / size, n)) for i in range(n)]
    if seed is not None:
        rnd = JavaRandom(seed)
        for i in range(n):
            j = rnd.nextInt(n)
            parts[i], parts[j] = parts[j], parts[i]
    return parts


def test_linear_sampling_gives_consecutive_blocks() -> None:
    df = frame(23)
    result = passes({"validations": 5, "randomSampling": False}, df)
    tests = [t for _, t, _ in result]
    assert [len(t) for t in tests] == [5, 5, 4, 5, 4]  # i / 4.6 truncated
    assert tests[0] == ["Row0", "Row1", "Row2", "Row3", "Row4"]
    assert sum(tests, []) == [f"Row{i}" for i in range(23)]
    for (train, test, variables), i in zip(result, range(5), strict=True):
        assert sorted(train + test, key=lambda r: int(r[3:])) == [f"Row{j}" for j in range(23)]
        assert variables == {"currentIteration": i, "maxIterations": 5}


@pytest.mark.parametrize("seed", [42, 1, -7, 1713686430444])
def test_random_sampling_is_knimes_java_random_shuffle(seed: int) -> None:
    df = frame(50)
    result = passes({"validations": 5, "useRandomSeed": True, "randomSeed": seed}, df)
    parts = java_folds(50, 5, seed)
    for i, (train, test, _) in enumerate(result):
        assert test == [f"Row{j}" for j in range(50) if parts[j] == i]
        assert len(test) == 10 and not set(train) & set(test)


def test_stratified_sampling_round_robin_over_shuffled_classes() -> None:
    df = frame(23)
    result = passes(
        {
            "validations": 3,
            "stratifiedSampling": True,
            "classColumn": "cls",
            "useRandomSeed": True,
            "randomSeed": 5,
        },
        df,
    )
    # expected: per class (in order of first appearance) the row positions shuffled by
    # Collections.shuffle(list, new Random(5)), then folds 0, 1, 2, 0, ... continuing across classes
    parts = [0] * 23
    part = 0
    for value in ("a", "b", "c"):
        rows = [i for i in range(23) if df["cls"][i] == value]
        rnd = JavaRandom(5)
        for i in range(len(rows), 1, -1):
            j = rnd.nextInt(i)
            rows[i - 1], rows[j] = rows[j], rows[i - 1]
        for r in rows:
            parts[r] = part
            part = (part + 1) % 3
    for i, (_, test, _) in enumerate(result):
        assert test == [f"Row{j}" for j in range(23) if parts[j] == i]
    counts = [df.loc[[int(r[3:]) for r in t], "cls"].value_counts().to_dict() for _, t, _ in result]
    assert all(abs(c.get("b", 0) - 11 / 3) < 1 for c in counts)


def test_leave_one_out_and_unseeded_runs() -> None:
    df = frame(6)
    result = passes({"leaveOneOut": True, "validations": 3}, df)
    assert [t for _, t, _ in result] == [[f"Row{i}"] for i in range(6)]
    assert result[-1][2] == {"currentIteration": 5, "maxIterations": 6}
    a = passes({"validations": 3}, frame(30), seed=11)
    b = passes({"validations": 3}, frame(30), seed=11)
    assert a == b  # without a seed of its own the node takes the run's seed
    node = XPartitioner()
    assert not node.is_deterministic(node.Settings())
    assert node.is_deterministic(node.Settings(useRandomSeed=True))
    assert node.is_deterministic(node.Settings(randomSampling=False))


def test_configure_checks() -> None:
    spec = TableSpec.of([("x", ColumnType.DOUBLE), ("y", ColumnType.DOUBLE)])
    assert configure_node("x_partitioner", {}, spec) == [spec, spec]
    with pytest.raises(ConfigureError, match="No class column"):
        configure_node("x_partitioner", {"stratifiedSampling": True}, spec)
    with pytest.raises(ConfigureError, match="does not exist"):
        configure_node("x_partitioner", {"stratifiedSampling": True, "classColumn": "c"}, spec)
    pred = spec.append(("p", ColumnType.DOUBLE))
    out = configure_node(
        "x_aggregator", {"targetColumn": "y", "predictionColumn": "p", "addFoldId": True}, pred
    )
    assert out[0].names == ["x", "y", "p", "fold #"]
    assert out[1].names == ["Total squared error", "Mean squared error", "Size of Test Set"]
    nominal = TableSpec.of([("c", ColumnType.STRING), ("q", ColumnType.STRING)])
    out = configure_node("x_aggregator", {"targetColumn": "c", "predictionColumn": "q"}, nominal)
    assert out[1].names == ["Error in %", "Size of Test Set", "Error Count"]
    with pytest.raises(ConfigureError, match="No such column: z"):
        configure_node("x_aggregator", {"targetColumn": "z", "predictionColumn": "p"}, pred)
    with pytest.raises(ConfigureError, match="not of compatible type"):
        configure_node(
            "x_aggregator", {"targetColumn": "y", "predictionColumn": "c"}, pred.append(("c", "String"))
        )


CV_WORKFLOW = """
format: knitflow/1
name: cv
nodes:
  - id: 1
    type: python_script
    settings:
      script: |
        import knime.scripting.io as knio
        import numpy as np, pandas as pd
        rng = np.random.default_rng(5)
        x = rng.normal(size=37)
        df = pd.DataFrame({"x": x, "cls": np.where(x > 0, "up", "down"), "y": 3 * x + 1 + rng.normal(0, 0.2, 37)})
        knio.output_tables[0] = knio.Table.from_pandas(df)
  - id: 2
    type: x_partitioner
    settings: {validations: 4, useRandomSeed: true, randomSeed: 99}
  - id: 3
    type: linear_regression_learner
    settings: {target: y, column_filter: {included_names: [x], enforce_option: EnforceInclusion}}
  - id: 4
    type: linear_regression_predictor
  - id: 5
    type: x_aggregator
    settings: {targetColumn: y, predictionColumn: Prediction (y), addFoldId: true}
connections:
  - 1:1 -> 2:1
  - 2:1 -> 3:1
  - 3:1 -> 4:1
  - 2:2 -> 4:2
  - 4:1 -> 5:1
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_cross_validation_loop_matches_numpy(workers: int, tmp_path: Path) -> None:
    wf = Workflow.from_text(CV_WORKFLOW, base_dir=tmp_path)
    result = wf.run(workers=workers)
    assert result.ok, result.failed()
    predictions = result.table(5, 1)
    errors = result.output(5, 2)
    source = result.table(1, 1).df
    parts = java_folds(37, 4, 99)
    assert predictions.shape == (37, 5) and predictions.types["fold #"] == ColumnType.INTEGER
    assert errors.index.tolist() == ["fold 0", "fold 1", "fold 2", "fold 3"]
    for fold in range(4):
        test = [i for i in range(37) if parts[i] == fold]
        train = [i for i in range(37) if parts[i] != fold]
        x = np.column_stack([np.ones(len(train)), source["x"].to_numpy()[train]])
        beta, *_ = scipy.linalg.lstsq(x, source["y"].to_numpy()[train])
        pred = beta[0] + beta[1] * source["x"].to_numpy()[test]
        rows = predictions.df[predictions.df["fold #"] == fold]
        assert rows.index.tolist() == [f"Row{i}" for i in test]
        assert np.allclose(rows["Prediction (y)"], pred, rtol=1e-10)
        sse = float(((source["y"].to_numpy()[test] - pred) ** 2).sum())
        assert errors.loc[f"fold {fold}", "Total squared error"] == pytest.approx(sse, rel=1e-10)
        assert errors.loc[f"fold {fold}", "Mean squared error"] == pytest.approx(sse / len(test), rel=1e-10)
        assert errors.loc[f"fold {fold}", "Size of Test Set"] == len(test)
    # the loop start shows the last pass's variables, also when passes ran in worker processes
    assert result.node(2).variables.as_dict()["currentIteration"] == 3


def test_nominal_error_rates() -> None:
    node = XAggregator()
    settings = node.Settings(targetColumn="c", predictionColumn="p")

    class Ctx:
        def __init__(self, i: int) -> None:
            self.variables = {"currentIteration": i, "maxIterations": 2}

        def warn(self, message: str) -> None:
            raise AssertionError(message)

    state = node.begin(settings, Ctx(0))
    for i, (c, p) in enumerate(((["a", "b", "a"], ["a", "a", "a"]), (["b", None], ["b", None]))):
        df = pd.DataFrame({"c": c, "p": p}, index=[f"r{i}_{j}" for j in range(len(c))])
        node.collect(state, [Table(df, {"c": "String", "p": "String"})], settings, Ctx(i))
    predictions, errors = node.finish(state, settings, Ctx(1))
    assert predictions.shape == (5, 2)
    assert errors.df.to_dict("list") == {
        "Error in %": [100 / 3, 0.0],
        "Size of Test Set": [3, 2],
        "Error Count": [1, 0],
    }
    with pytest.raises(NodeError, match="No matching Loop Start"):
        bad = Ctx(0)
        bad.variables = {}
        node.collect(node.begin(settings, bad), [Table(df, {"c": "String", "p": "String"})], settings, bad)
