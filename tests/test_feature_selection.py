"""Feature Selection Loop Start (1:1, 2:2), Loop End and Filter: the strategies' pass order (forward,
backward, KNIME's seeded random draws, the genetic search), whole loops around a linear regression
checked against least squares fitted here, the filter's level choice, and the KNIME mappings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.stats  # noqa: F401  (the loop body's regression learner needs it: imported at collection, not in a test)
from test_knime_import import findings, import_fragment

from engine.api import TABLE, ConfigureError, Iteration, Model, Node, NodeError, Port, Table
from engine.core.context import RunContext
from engine.core.registry import registry
from engine.core.testing import run_node
from engine.core.variables import VarStack
from engine.core.workflow import Workflow
from nodes._feature_selection import Score
from nodes.feature_selection import (
    PASS_VARIABLE,
    FeatureSelectionLoopEnd,
    FeatureSelectionLoopEndSettings,
    FeatureSelectionLoopStart,
    FeatureSelectionLoopStart2,
    FeatureSelectionLoopStartSettings,
    FeatureSelectionModel,
)

START = "org.knime.base.node.meta.feature.selection.FeatureSelectionLoopStartNodeFactory"
START_2 = "org.knime.base.node.meta.feature.selection.FeatureSelectionLoopStartNodeFactory2"
END = "org.knime.base.node.meta.feature.selection.FeatureSelectionLoopEndNodeFactory"
FILTER = "org.knime.base.node.meta.feature.selection.FeatureSelectionFilterNodeFactory"

# ------------------------------------------------------------------------------------- test data

_rng = np.random.default_rng(7)
_X = _rng.normal(size=(40, 4)).round(3)
_Y = (2 * _X[:, 0] + _X[:, 1] + 0.4 * _X[:, 2] + 0.5 * _rng.normal(size=40)).round(3)
DATA = pd.DataFrame({"a": _X[:, 0], "b": _X[:, 1], "y": _Y, "c": _X[:, 2], "d": _X[:, 3]})
TRAIN, TEST = DATA.iloc[:20], DATA.iloc[20:]
FEATURES = ["a", "b", "c", "d"]


class _Rows(Node):
    """The rows of DATA from `first` to `last` (a training or test table)."""

    type_name = "test_feature_selection_rows"
    outputs = (Port(TABLE, "Rows"),)

    def execute(self, inputs: list[Any], settings: Any, ctx: Any) -> list[Any]:
        return [Table.from_frame(DATA)]


if registry.get(_Rows.type_name) is None:
    registry.register(_Rows)


def test_mse(columns: list[str]) -> float:
    """Least squares with intercept on TRAIN, mean squared error on TEST: numpy, not knitflow."""
    design = np.column_stack([np.ones(len(TRAIN)), TRAIN[columns].to_numpy()])
    coef, *_ = np.linalg.lstsq(design, TRAIN["y"].to_numpy(), rcond=None)
    pred = np.column_stack([np.ones(len(TEST)), TEST[columns].to_numpy()]) @ coef
    return float(np.mean((TEST["y"].to_numpy() - pred) ** 2))


test_mse.__test__ = False  # type: ignore[attr-defined]


def forward_by_hand() -> list[tuple[str, float]]:
    chosen: list[str] = []
    levels = []
    while len(chosen) < len(FEATURES):
        rest = [f for f in FEATURES if f not in chosen]
        scores = [test_mse([*chosen, f]) for f in rest]
        best = rest[int(np.argmin(scores))]
        chosen.append(best)
        levels.append((best, min(scores)))
    return levels


def backward_by_hand() -> list[tuple[str, float]]:
    kept = list(FEATURES)
    levels = [("", test_mse(kept))]
    while len(kept) > 1:
        scores = [test_mse([k for k in kept if k != f]) for f in kept]
        worst = kept[int(np.argmin(scores))]
        kept.remove(worst)
        levels.append((worst, min(scores)))
    return levels


def workflow(strategy: str, filter_settings: str) -> str:
    """Train on rows 0-19 and score on rows 20-39 in a 2:2 loop; the filter applies the model."""
    return f"""
format: knitflow/1
name: feature selection
nodes:
  - {{id: 1, type: test_feature_selection_rows}}
  - {{id: 2, type: test_feature_selection_split}}
  - {{id: 3, type: feature_selection_loop_start_2, settings: {{selectionStrategy: {strategy},
       constantColumnsFilterConfig: {{excluded_names: [y]}}}}}}
  - {{id: 4, type: linear_regression_learner, settings: {{target: y}}}}
  - {{id: 5, type: linear_regression_predictor}}
  - {{id: 6, type: numeric_scorer, settings: {{reference: y, predicted: "Prediction (y)",
       generate_flow_variables: true}}}}
  - {{id: 7, type: feature_selection_loop_end, settings: {{scoreVariable: mean squared error, isMinimize: true}}}}
  - {{id: 8, type: feature_selection_filter, settings: {filter_settings}}}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "2:2 -> 3:2", "3:1 -> 4:1", "4:1 -> 5:1", "3:2 -> 5:2",
              "5:1 -> 6:1", "6:0 -> 7:1", "7:2 -> 8:1", "1:1 -> 8:2"]
"""


class _Split(Node):
    """Rows 0-19 on port 1, rows 20-39 on port 2."""

    type_name = "test_feature_selection_split"
    inputs = (Port(TABLE, "All"),)
    outputs = (Port(TABLE, "Train"), Port(TABLE, "Test"))

    def execute(self, inputs: list[Any], settings: Any, ctx: Any) -> list[Any]:
        table: Table = inputs[0]
        return [table.take(np.arange(20)), table.take(np.arange(20, 40))]


if registry.get(_Split.type_name) is None:
    registry.register(_Split)


def run(text: str) -> Any:
    result = Workflow.from_text(text).run(workers=1)
    assert result.ok, "\n".join(f"#{s.id} {s.name}: {s.error}" for s in result.failed())
    return result


# --------------------------------------------------------------------- whole loops (2:2, regression)


def test_forward_selection_loop_matches_least_squares() -> None:
    result = run(workflow("ForwardFeatureSelection", "{nrOfFeatures: 2, includeTargetColumn: true}"))
    levels = result.output(7, 1)
    expected = forward_by_hand()
    assert levels.index.tolist() == ["1", "2", "3", "All"]
    assert levels.columns.tolist() == ["Nr. of features", "mean squared error", "Added feature"]
    assert levels["Nr. of features"].tolist() == [1, 2, 3, 4]
    assert levels["Added feature"].tolist() == [f for f, _ in expected]
    assert levels["mean squared error"].tolist() == pytest.approx([s for _, s in expected], rel=1e-9)
    # the level of two features, the target kept, in input column order
    two = {f for f, _ in expected[:2]}
    assert result.output(8).columns.tolist() == [c for c in DATA.columns if c in two | {"y"}]


def test_backward_elimination_loop_matches_least_squares() -> None:
    result = run(workflow("BackwardFeatureElimination", "{bestScoreMode: true}"))
    levels = result.output(7, 1)
    expected = backward_by_hand()
    assert levels.index.tolist() == ["All", "3", "2", "1"]
    assert levels["Removed feature"].tolist() == [f for f, _ in expected]
    scores = [s for _, s in expected]
    assert levels["mean squared error"].tolist() == pytest.approx(scores, rel=1e-9)
    # the best (lowest) test error's level, without the target column
    best = int(np.argmin(scores))
    kept = set(FEATURES) - {f for f, _ in expected[1 : best + 1]}
    assert result.output(8).columns.tolist() == [c for c in DATA.columns if c in kept]
    model = result.output(7, 2)
    assert isinstance(model, Model) and model.summary == "4 different features"


# ------------------------------------------------------------------------- the loop start's passes


def drive(
    settings: dict[str, Any],
    score: Callable[[list[str]], float],
    *,
    minimize: bool = False,
    frame: pd.DataFrame = DATA,
    two: bool = False,
) -> list[Iteration]:
    """Run the loop start's passes, sending each the score of its feature columns."""
    node = FeatureSelectionLoopStart2() if two else FeatureSelectionLoopStart()
    parsed = FeatureSelectionLoopStartSettings.model_validate(settings)
    ctx = RunContext(node_id=0, variables=VarStack())
    tables = [Table.from_frame(frame)] * (2 if two else 1)
    passes = node.iterations(tables, parsed, ctx)
    seen = [next(passes)]
    while True:
        info = json.loads(seen[-1].variables[PASS_VARIABLE])
        features = [info["features"][i] for i in info["included"]]
        try:
            seen.append(passes.send(Score(score(features), minimize)))
        except StopIteration:
            return seen


WEIGHTS = {"a": 5.0, "b": 3.0, "c": 1.0, "d": -2.0}


def weight_sum(features: list[str]) -> float:
    return sum(WEIGHTS.get(f, 0.0) for f in features)


def test_forward_passes_and_variables() -> None:
    passes = drive(
        {
            "selectionStrategy": "ForwardFeatureSelection",
            "constantColumnsFilterConfig": {"excluded_names": ["y"]},
        },
        weight_sum,
    )
    tried = [p.variables["currentFeature"] for p in passes]
    assert tried == ["a", "b", "c", "d", "b", "c", "d", "c", "d", "d"]
    assert [p.variables["currentIteration"] for p in passes] == list(range(10))
    assert {p.variables["maxIterations"] for p in passes} == {10}
    # second round: a is fixed, b is tried; columns stay in input order with the static y
    assert passes[4].outputs[0].columns == ["a", "b", "y"]


def test_backward_passes_with_threshold() -> None:
    settings = {
        "selectionStrategy": "BackwardFeatureElimination",
        "nrFeatureThreshold": 2,
        "constantColumnsFilterConfig": {"excluded_names": ["y"]},
    }
    passes = drive(settings, weight_sum, two=True)
    # a first pass with all features, then rounds removing d, then c; stop at 2 features
    assert [p.variables["currentFeature"] for p in passes] == ["", "a", "b", "c", "d", "a", "b", "c"]
    assert passes[0].outputs[0].columns == ["a", "b", "y", "c", "d"]
    assert passes[-1].outputs[1].columns == ["a", "b", "y"]
    assert passes[0].variables["maxIterations"] == 4 + 3  # KNIME's count leaves out the first pass


def test_forward_with_threshold_stops_early() -> None:
    settings = {"selectionStrategy": "ForwardFeatureSelection", "nrFeatureThreshold": 2}
    passes = drive(settings, lambda f: -weight_sum(f), minimize=True)
    # no static column: y is a feature too (weight 0), five in all
    assert len(passes) == 5 + 4 and passes[0].variables["maxIterations"] == 9
    assert passes[0].outputs[0].columns == ["a"]


# KNIME's RandomStrategy run in Java 17 (java.util.Random, Collections.shuffle, subList sort): the
# subsets of 6 features, seed 1767609157297, 2 to 4 features, 10 iterations
JAVA_SUBSETS = [
    [4, 5],
    [0, 1, 2, 3],
    [0, 2],
    [0, 1, 4, 5],
    [1, 2, 4, 5],
    [1, 3, 5],
    [0, 3, 4, 5],
    [0, 1],
    [1, 4],
    [1, 3, 4, 5],
]
SIX = pd.DataFrame({f"f{i}": [float(i)] for i in range(6)} | {"t": [1.0]})


def test_random_strategy_draws_knimes_subsets() -> None:
    settings = {
        "selectionStrategy": "Random",
        "constantColumnsFilterConfig": {"excluded_names": ["t"]},
        "nrFeatureLowerBound": 2,
        "nrFeatureUpperBound": 4,
        "maxNumIterations": 10,
        "useRandomSeed": True,
        "randomSeed": 1767609157297,
    }
    passes = drive(settings, lambda f: 0.5, frame=SIX)
    assert [p.outputs[0].columns for p in passes] == [[f"f{i}" for i in s] + ["t"] for s in JAVA_SUBSETS]
    assert {p.variables["currentFeature"] for p in passes} == {""}


def test_random_strategy_skips_subsets_seen_before() -> None:
    # Java: 3 features, seed 7, 20 draws give only 5 new subsets
    settings = {"selectionStrategy": "Random", "maxNumIterations": 20, "useRandomSeed": True, "randomSeed": 7}
    passes = drive(settings, lambda f: 0.5, frame=SIX[["f0", "f1", "f2"]])
    assert [p.outputs[0].columns for p in passes] == [
        ["f0"],
        ["f0", "f1"],
        ["f2"],
        ["f0", "f1", "f2"],
        ["f1", "f2"],
    ]


def test_random_early_stopping() -> None:
    settings = {
        "selectionStrategy": "Random",
        "constantColumnsFilterConfig": {"excluded_names": ["t"]},
        "earlyStoppingRandom": 2,
        "earlyStoppingTolerance": 0.01,
        "useRandomSeed": True,
        "randomSeed": 3,
    }
    # a constant score never improves: the window of 2 * 2 scores is full after 4 passes
    assert len(drive(settings, lambda f: 0.7, frame=SIX)) == 4
    # a score halving each pass keeps improving: every new subset is tried
    halving = iter(0.5**k for k in range(100))
    assert len(drive(settings, lambda f: next(halving), minimize=True, frame=SIX)) > 20


@pytest.mark.parametrize(
    ("selection", "crossover"),
    [
        ("TOURNAMENT_SELECTION", "UNIFORM_CROSSOVER"),
        ("ROULETTEWHEEL_SELECTION", "SINGLE_POINT_CROSSOVER"),
        ("STOCHASTIC_UNIVERSAL_SELECTION", "TWO_POINT_CROSSOVER"),
        ("LINEAR_RANK_SELECTION", "UNIFORM_CROSSOVER"),
        ("EXPONENTIAL_RANK_SELECTION", "SINGLE_POINT_CROSSOVER"),
    ],
)
def test_genetic_strategy_finds_the_best_subset_within_bounds(selection: str, crossover: str) -> None:
    settings = {
        "selectionStrategy": "GeneticAlgorithm",
        "constantColumnsFilterConfig": {"excluded_names": ["t"]},
        "nrFeatureLowerBound": 2,
        "nrFeatureUpperBound": 3,
        "popSize": 10,
        "maxNumGenerations": 8,
        "mutationRate": 0.15,
        "ga_selectionStrategy": selection,
        "ga_crossoverStrategy": crossover,
        "useRandomSeed": True,
        "randomSeed": 7,
    }
    good = {"f1": 4.0, "f3": 2.0, "f4": 1.0}

    def score(features: list[str]) -> float:
        return sum(good.get(f, -1.0) for f in features)

    passes = drive(settings, score, frame=SIX)
    subsets = [p.outputs[0].columns[:-1] for p in passes]
    assert len(passes) <= (8 + 1) * 10 and passes[0].variables["maxIterations"] == 90
    assert all(2 <= len(s) <= 3 for s in subsets)
    assert len({tuple(s) for s in subsets}) == len(subsets)  # a genome scored before is not a pass
    assert ["f1", "f3", "f4"] in subsets  # the best of all 35 subsets of two or three features
    again = drive(settings, score, frame=SIX)
    assert [p.outputs[0].columns for p in again] == [p.outputs[0].columns for p in passes]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"constantColumnsFilterConfig": {"included_names": [], "enforce_option": "EnforceInclusion"}},
            "No feature",
        ),
        (
            {"nrFeatureLowerBound": 5, "nrFeatureUpperBound": 3},
            "lower bound of number of features must be less",
        ),
        (
            {"selectionStrategy": "GeneticAlgorithm", "nrFeatureLowerBound": 9},
            "must less than or equal the actual",
        ),
        ({"selectionStrategy": "GeneticAlgorithm", "popSize": 1}, "population size must be at least 2"),
    ],
)
def test_loop_start_setup_errors(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigureError, match=message):
        run_node("feature_selection_loop_start", settings, DATA)


def test_two_tables_need_the_same_structure() -> None:
    with pytest.raises(ConfigureError, match="All input tables must have the same structure"):
        run_node("feature_selection_loop_start_2", {}, DATA, DATA[["a", "b"]])


def test_loop_start_needs_the_loop_end_score() -> None:
    with pytest.raises(NodeError, match="close the loop with a Feature Selection Loop End"):
        run_node("feature_selection_loop_start", {"selectionStrategy": "ForwardFeatureSelection"}, DATA)


# --------------------------------------------------------------------------------- the loop end


def end_ctx(variables: dict[str, Any]) -> RunContext:
    return RunContext(node_id=0, variables=VarStack.of(variables))


def pass_record(included: list[int], feature: int, round_: int, sequential: bool = True) -> str:
    change = "Added feature" if sequential else "Selected features"
    features, constant = ["p", "q", "r"], ["t"]
    record = {"features": features, "constant": constant, "sequential": sequential, "change": change}
    return json.dumps(record | {"included": included, "feature": feature, "round": round_})


def test_loop_end_keeps_the_first_best_of_a_round() -> None:
    node = FeatureSelectionLoopEnd()
    settings = FeatureSelectionLoopEndSettings(scoreVariable="acc")
    state = node.begin(settings, end_ctx({}))
    rounds = [([0], 0, 0, 0.5), ([1], 1, 0, 0.7), ([2], 2, 0, 0.7), ([1, 0], 0, 1, 0.9), ([1, 2], 2, 1, 0.6)]
    for included, feature, round_, acc in rounds:
        ctx = end_ctx({PASS_VARIABLE: pass_record(included, feature, round_), "acc": acc})
        assert node.collect(state, [None], settings, ctx) == Score(acc, False)
    table, model = node.finish(state, settings, end_ctx({}))
    assert table.df.index.tolist() == ["1", "2"]
    assert table.df["Added feature"].tolist() == ["q", "p"]
    assert table.df["acc"].tolist() == [0.7, 0.9]
    assert model.payload.levels == [(0.7, [1]), (0.9, [1, 0])]


def test_loop_end_rows_of_the_random_search() -> None:
    node = FeatureSelectionLoopEnd()
    settings = FeatureSelectionLoopEndSettings(scoreVariable="err", isMinimize=True)
    state = node.begin(settings, end_ctx({}))
    for i, included in enumerate([[0, 2], [1]]):
        ctx = end_ctx({PASS_VARIABLE: pass_record(included, -1, i, sequential=False), "err": 0.1 * (i + 1)})
        node.collect(state, [None], settings, ctx)
    table, _ = node.finish(state, settings, end_ctx({}))
    assert table.df.index.tolist() == ["Row0", "Row1"]
    assert table.df["Selected features"].tolist() == ["p,r", "q"]
    assert table.types == {"Nr. of features": "Integer", "err": "Double", "Selected features": "String"}


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"n": 1}, r"no compatible flow variable \(Double\)"),
        ({"other": 1.0}, 'The defined score variable "acc" is not contained'),
        ({"acc": 3, "other": 1.0}, "must be of type Double"),
    ],
)
def test_loop_end_score_errors(variables: dict[str, Any], message: str) -> None:
    node = FeatureSelectionLoopEnd()
    settings = FeatureSelectionLoopEndSettings(scoreVariable="acc")
    ctx = end_ctx({PASS_VARIABLE: pass_record([0], 0, 0), **variables})
    with pytest.raises(NodeError, match=message):
        node.collect(node.begin(settings, ctx), [None], settings, ctx)
    with pytest.raises(NodeError, match="must close a Feature Selection Loop Start"):
        node.collect(node.begin(settings, ctx), [None], settings, end_ctx({"acc": 1.0}))


# ----------------------------------------------------------------------------------- the filter

LEVELS = [(0.61, [0, 1, 2]), (0.66, [0, 2]), (0.58, [2]), (0.66, [0, 1])]


def filtered(settings: dict[str, Any], minimize: bool = False, frame: pd.DataFrame | None = None) -> Any:
    payload = FeatureSelectionModel(["p", "q", "r"], ["t"], LEVELS, minimize, "acc")
    table = pd.DataFrame({"r": [1.0], "t": [2.0], "q": [3.0], "p": [4.0]}) if frame is None else frame
    return run_node("feature_selection_filter", settings, Model("feature_selection", payload), table)


@pytest.mark.parametrize(
    ("settings", "minimize", "columns"),
    [
        ({"nrOfFeatures": 2}, False, ["r", "p"]),  # the first level of two features
        ({"nrOfFeatures": 2, "includeTargetColumn": True}, False, ["r", "t", "p"]),
        ({"bestScoreMode": True}, False, ["r", "p"]),  # 0.66 twice: the first
        ({"bestScoreMode": True}, True, ["r"]),
        ({"thresholdMode": True, "errorThreshold": 0.6}, False, ["r", "p"]),  # smallest at least 0.6
        ({"thresholdMode": True, "errorThreshold": 0.6}, True, ["r"]),  # smallest at most 0.6
        ({"thresholdMode": True, "errorThreshold": 0.9}, False, []),  # none passes
    ],
)
def test_filter_chooses_the_level(settings: dict[str, Any], minimize: bool, columns: list[str]) -> None:
    assert filtered(settings, minimize)[1].columns == columns


def test_filter_missing_columns_and_errors() -> None:
    partial = filtered({"nrOfFeatures": 3}, frame=pd.DataFrame({"q": [1.0], "x": [2.0]}))
    assert partial[1].columns == ["q"]
    assert partial.warnings == [
        "The following columns used in the selected  level are missing in the input table: p, r"
    ]
    with pytest.raises(NodeError, match="does not contain any of the columns used in the feature selection"):
        filtered({"nrOfFeatures": 1}, frame=pd.DataFrame({"q": [1.0]}))
    with pytest.raises(NodeError, match='There exists no feature level with the specified length "4"'):
        filtered({"nrOfFeatures": 4})
    with pytest.raises(ConfigureError, match="No features selected yet"):
        filtered({})


# ------------------------------------------------------------------------------------ KNIME import

FILTER_CONFIG = {
    "filter-type": "STANDARD",
    "included_names": ["from", "to", "type", "weight", "CD", "HL"],
    "excluded_names": ["Target"],
    "enforce_option": "EnforceInclusion",
    "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True},
    "datatype": {
        "typelist": {
            "org.knime.core.data.IntValue": False,
            "org.knime.core.data.BooleanValue": False,
            "org.knime.core.data.DoubleValue": False,
            "org.knime.core.data.LongValue": False,
            "org.knime.core.data.StringValue": False,
            "org.knime.core.data.date.DateAndTimeValue": False,
        }
    },
}


def start_model(strategy: int) -> dict[str, Any]:
    """The loop start's keys as KNIME 4.0.2 saved them (Backward Feature Elimination: 1)."""
    return {
        "selectionStrategy": f'<entry key="selectionStrategy" type="xbyte" value="{strategy}"/>',
        "ga_crossoverStrategy": '<entry key="ga_crossoverStrategy" type="xbyte" value="0"/>',
        "ga_selectionStrategy": '<entry key="ga_selectionStrategy" type="xbyte" value="0"/>',
        "constantColumnsFilterConfig": FILTER_CONFIG,
        "nrFeatureThreshold": -1,
        "nrFeatureLowerBound": -1,
        "nrFeatureUpperBound": -1,
        "popSize": 20,
        "maxNumGenerations": 10,
        "useRandomSeed": False,
        "randomSeed": '<entry key="randomSeed" type="xlong" value="1580717265919"/>',
        "survivorsFraction": 0.4,
        "crossoverRate": 0.6,
        "mutationRate": 0.01,
        "elitismRate": 0.1,
        "earlyStopping": -1,
        "maxNumIterations": 50,
        "earlyStoppingRandom": -1,
        "earlyStoppingTolerance": 0.01,
    }


def test_loop_start_imports_knimes_backward_elimination(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, START, start_model(1))
    assert node.type == "feature_selection_loop_start" and findings(report) == []
    assert node.settings["selectionStrategy"] == "BackwardFeatureElimination"
    assert node.settings["randomSeed"] == 1580717265919
    # the saved workflow's table had three of the six included names: 6 passes, the last removing "to"
    table = pd.DataFrame({"from": [1.0], "to": [2.0], "weight": [3.0], "Target": ["x"]})
    passes = drive(node.settings, lambda f: {"weight": -1.0, "to": -0.5}.get(f[-1], 0.0), frame=table)
    assert [p.variables["currentFeature"] for p in passes] == ["", "from", "to", "weight", "from", "to"]
    assert {p.variables["maxIterations"] for p in passes} == {6}


def test_loop_start_2_and_genetic_and_unknown_strategies_import(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, START_2, start_model(0))
    assert node.type == "feature_selection_loop_start_2" and findings(report) == []
    assert node.settings["selectionStrategy"] == "ForwardFeatureSelection"
    node, report, _ = import_fragment(tmp_path, START, start_model(2))
    assert node.settings["selectionStrategy"] == "GeneticAlgorithm"
    assert any("Jenetics" in f for f in findings(report))
    _, report, _ = import_fragment(tmp_path, START, start_model(7))
    assert any("selectionStrategy = 7" in f for f in findings(report))


def test_loop_end_and_filter_import(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, END, {"scoreVariable": "Accuracy", "isMinimize": False})
    assert node.type == "feature_selection_loop_end" and findings(report) == []
    assert node.settings == {"scoreVariable": "Accuracy", "isMinimize": False}
    saved = {"nrOfFeatures": 3, "includeTargetColumn": True, "thresholdMode": False, "errorThreshold": 0.9}
    node, report, _ = import_fragment(tmp_path, FILTER, saved)  # 4.0.2: before bestScoreMode
    assert node.type == "feature_selection_filter" and findings(report) == []
    assert node.settings == saved
    node, report, _ = import_fragment(tmp_path, FILTER, {**saved, "bestScoreMode": True, "extra": 1})
    assert node.settings["bestScoreMode"] is True
    assert findings(report) == ["setting extra = 1 has no counterpart in knitflow"]
