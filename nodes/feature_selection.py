"""KNIME's feature selection loop: Feature Selection Loop Start (1:1) and (2:2), Feature Selection
Loop End and Feature Selection Filter (org.knime.base.node.meta.feature.selection).

The start hands each pass its inputs reduced to the static columns and the pass's features (in
input column order); the end reads the pass's score from a Double flow variable and sends it back,
so the search (`nodes._feature_selection`) picks the next subset. The start also tells the end, in
the hidden variable `knitflow.featureSelection`, which features and round each pass had: the end
rebuilds KNIME's feature levels from that (one per round of forward selection / backward
elimination, one per pass of the random and genetic searches) into its result table and the model
the filter applies.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VARIABLES,
    Category,
    ColumnType,
    ConfigureError,
    Iteration,
    LoopEndNode,
    LoopStartNode,
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import ColumnFilter
from nodes._feature_selection import (
    Candidate,
    GeneticParams,
    RandomBounds,
    Score,
    Search,
    backward_elimination,
    best_position,
    check_genetic,
    forward_selection,
    genetic_search,
    java_double_compare,
    random_search,
    sequential_iterations,
    size_bounds,
)
from nodes._java_random import JavaRandom

FEATURE_SELECTION_MODEL = PortType.register(
    PortType("model.feature_selection", "Feature selection model", "#8d6e63", "square")
)
MODEL_KIND = "feature_selection"
PASS_VARIABLE = "knitflow.featureSelection"
NUM_FEATURES = "Nr. of features"

Strategy = Literal["ForwardFeatureSelection", "BackwardFeatureElimination", "GeneticAlgorithm", "Random"]
SEQUENTIAL = ("ForwardFeatureSelection", "BackwardFeatureElimination")
# the bytes KNIME persists (FeatureSelectionStrategies.Strategy, genetic.SelectionStrategy / CrossoverStrategy)
_STRATEGIES = {
    0: "ForwardFeatureSelection",
    1: "BackwardFeatureElimination",
    2: "GeneticAlgorithm",
    3: "Random",
}
_SELECTIONS = {
    0: "TOURNAMENT_SELECTION",
    1: "ROULETTEWHEEL_SELECTION",
    2: "STOCHASTIC_UNIVERSAL_SELECTION",
    3: "LINEAR_RANK_SELECTION",
    4: "EXPONENTIAL_RANK_SELECTION",
}
_CROSSOVERS = {0: "UNIFORM_CROSSOVER", 1: "SINGLE_POINT_CROSSOVER", 2: "TWO_POINT_CROSSOVER"}
_CHANGE_COLUMNS = {
    "ForwardFeatureSelection": "Added feature",
    "BackwardFeatureElimination": "Removed feature",
}


# ------------------------------------------------------------------------------------ loop start


class FeatureSelectionLoopStartSettings(NodeSettings):
    """KNIME's FeatureSelectionLoopStartSettings (keys as KNIME saves them)."""

    selectionStrategy: Strategy = Field(
        "Random",
        description="The search: forward selection, backward elimination, a genetic algorithm or random subsets.",
    )
    constantColumnsFilterConfig: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="Included columns are the variable features; excluded ones are static (e.g. the target) "
        "and are in every pass.",
    )
    nrFeatureThreshold: int = Field(
        -1,
        description="Forward/backward: stop at this many features (an upper bound for forward selection, a "
        "lower one for backward elimination); -1: no threshold.",
    )
    nrFeatureLowerBound: int = Field(-1, description="Genetic/random: fewest features of a subset; -1: none.")
    nrFeatureUpperBound: int = Field(-1, description="Genetic/random: most features of a subset; -1: none.")
    popSize: int = Field(20, description="Genetic: individuals per generation.")
    maxNumGenerations: int = Field(10, description="Genetic: number of generations.")
    maxNumIterations: int = Field(
        50, description="Random: subsets drawn at most (a subset drawn again is skipped but counted)."
    )
    useRandomSeed: bool = Field(
        False, description="Genetic/random: use `randomSeed` for reproducible results."
    )
    randomSeed: int = Field(1767609157297, description="Genetic/random: the seed (a Java long).")
    ga_selectionStrategy: Literal[
        "TOURNAMENT_SELECTION",
        "ROULETTEWHEEL_SELECTION",
        "STOCHASTIC_UNIVERSAL_SELECTION",
        "LINEAR_RANK_SELECTION",
        "EXPONENTIAL_RANK_SELECTION",
    ] = Field("TOURNAMENT_SELECTION", description="Genetic: how parents and survivors are selected.")
    ga_crossoverStrategy: Literal["UNIFORM_CROSSOVER", "SINGLE_POINT_CROSSOVER", "TWO_POINT_CROSSOVER"] = (
        Field("UNIFORM_CROSSOVER", description="Genetic: how two parents' genes are recombined.")
    )
    survivorsFraction: float = Field(0.4, description="Genetic: fraction of a generation that survives.")
    crossoverRate: float = Field(0.6, description="Genetic: probability that an offspring is recombined.")
    mutationRate: float = Field(0.01, description="Genetic: probability that a gene flips.")
    elitismRate: float = Field(0.1, description="Genetic: fraction of best individuals kept unaltered.")
    earlyStopping: int = Field(
        -1, description="Genetic: stop after this many generations without improvement; -1: off."
    )
    earlyStoppingRandom: int = Field(
        -1, description="Random: stop when this many scores did not improve on the ones before; -1: off."
    )
    earlyStoppingTolerance: float = Field(
        0.01, description="Random: the relative improvement early stopping asks for."
    )


_NUMBER_KEYS = [
    "nrFeatureThreshold",
    "nrFeatureLowerBound",
    "nrFeatureUpperBound",
    "popSize",
    "maxNumGenerations",
    "maxNumIterations",
    "useRandomSeed",
    "randomSeed",
    "survivorsFraction",
    "crossoverRate",
    "mutationRate",
    "elitismRate",
    "earlyStopping",
    "earlyStoppingRandom",
    "earlyStoppingTolerance",
]


def _loop_start_from_knime(knime: KnimeSettings) -> None:
    """The strategies are bytes; every other key is taken as it is. The genetic algorithm is
    knitflow's own (KNIME's runs Jenetics), so it tries other subsets: a finding."""
    tree = knime.tree
    for key, names in (
        ("selectionStrategy", _STRATEGIES),
        ("ga_selectionStrategy", _SELECTIONS),
        ("ga_crossoverStrategy", _CROSSOVERS),
    ):
        if key not in tree:
            continue
        if tree[key] not in names:
            knime.unreadable(f"{key} = {tree[key]!r} is not a value knitflow knows")
            return
        knime.put(key, names[tree[key]], key)
    knime.take("constantColumnsFilterConfig")
    knime.take_all(_NUMBER_KEYS)
    strategy = knime.settings.get("selectionStrategy", "Random")
    if strategy == "GeneticAlgorithm":
        knime.lost(
            "selectionStrategy = Genetic Algorithm: knitflow runs its own genetic algorithm, not KNIME's Jenetics "
            "engine, so the subsets it tries (and the features it selects) differ"
        )
    elif strategy == "Random" and not tree.get("useRandomSeed", False):
        knime.note("Random strategy without a static seed: KNIME draws other subsets on every run too")
    knime.unread()


def _split_columns(
    spec: TableSpec, settings: FeatureSelectionLoopStartSettings, error: type[NodeError]
) -> tuple[list[str], list[str]]:
    """(features, static columns) in input order: the filter's includes and excludes."""
    included = set(settings.constantColumnsFilterConfig.apply(spec))
    features = [c for c in spec.names if c in included]
    if not features:
        raise error(
            "No feature columns selected. Please specify the feature columns in the dialog.",
            setting="constantColumnsFilterConfig",
        )
    return features, [c for c in spec.names if c not in included]


def _check_structure(specs: list[TableSpec], error: type[NodeError]) -> None:
    if any(s != specs[0] for s in specs[1:]):
        raise error("All input tables must have the same structure")


def _check_strategy(
    n_features: int, settings: FeatureSelectionLoopStartSettings, error: type[NodeError]
) -> None:
    """The strategy's own checks, as KNIME runs them when it sets the search up."""
    try:
        if settings.selectionStrategy == "Random":
            size_bounds(n_features, settings.nrFeatureLowerBound, settings.nrFeatureUpperBound)
            if settings.maxNumIterations < 1:
                raise NodeError("The number of iterations must be at least 1.", setting="maxNumIterations")
        elif settings.selectionStrategy == "GeneticAlgorithm":
            check_genetic(n_features, _genetic_params(settings))
    except NodeError as exc:
        raise error(f"Exception during feature selector setup: {exc}", setting=exc.setting) from None


def _genetic_params(settings: FeatureSelectionLoopStartSettings) -> GeneticParams:
    return GeneticParams(
        population=settings.popSize,
        generations=settings.maxNumGenerations,
        lower=settings.nrFeatureLowerBound,
        upper=settings.nrFeatureUpperBound,
        survivors_fraction=settings.survivorsFraction,
        crossover_rate=settings.crossoverRate,
        mutation_rate=settings.mutationRate,
        elitism_rate=settings.elitismRate,
        early_stopping=settings.earlyStopping,
        selection=settings.ga_selectionStrategy,
        crossover=settings.ga_crossoverStrategy,
    )


def _search(n_features: int, settings: FeatureSelectionLoopStartSettings, ctx: NodeContext) -> Search:
    strategy = settings.selectionStrategy
    if strategy == "ForwardFeatureSelection":
        return forward_selection(n_features, settings.nrFeatureThreshold)
    if strategy == "BackwardFeatureElimination":
        return backward_elimination(n_features, settings.nrFeatureThreshold)
    rnd = JavaRandom(settings.randomSeed if settings.useRandomSeed else ctx.seed())
    if strategy == "GeneticAlgorithm":
        return genetic_search(n_features, _genetic_params(settings), rnd)
    bounds = RandomBounds(
        settings.maxNumIterations,
        settings.nrFeatureLowerBound,
        settings.nrFeatureUpperBound,
        settings.earlyStoppingRandom,
        settings.earlyStoppingTolerance,
    )
    return random_search(n_features, bounds, rnd)


def _max_iterations(n_features: int, settings: FeatureSelectionLoopStartSettings) -> int:
    """The `maxIterations` variable: getNumberOfIterations of the strategy (an upper bound)."""
    strategy = settings.selectionStrategy
    if strategy in SEQUENTIAL:
        backward = strategy == "BackwardFeatureElimination"
        return sequential_iterations(backward, settings.nrFeatureThreshold, n_features)
    if strategy == "GeneticAlgorithm":
        return (settings.maxNumGenerations + 1) * settings.popSize
    return settings.maxNumIterations


def _keep_columns(table: Table, keep: set[str]) -> Table:
    names = [c for c in table.columns if c in keep]
    return Table(table.frame_of(names), {c: table.types[c] for c in names})


class _FeatureSelectionStart(LoopStartNode):
    """Both loop starts: one or two tables, the same columns kept in each."""

    Settings = FeatureSelectionLoopStartSettings
    keywords = (
        "feature selection",
        "forward selection",
        "backward elimination",
        "wrapper",
        "genetic algorithm",
        "loop",
        "attribute selection",
    )

    def is_deterministic(self, settings: FeatureSelectionLoopStartSettings) -> bool:
        return settings.selectionStrategy in SEQUENTIAL or settings.useRandomSeed

    def loop_variables(
        self, in_specs: list[Any], settings: FeatureSelectionLoopStartSettings
    ) -> dict[str, str]:
        return {
            "maxIterations": "Integer",
            "currentIteration": "Integer",
            "currentFeature": "String",
            PASS_VARIABLE: "String",
        }

    def configure(
        self, in_specs: list[Any], settings: FeatureSelectionLoopStartSettings, ctx: NodeContext
    ) -> list[Any]:
        if not all(isinstance(s, TableSpec) for s in in_specs):
            return [UNKNOWN for _ in self.outputs]
        _check_structure(in_specs, ConfigureError)
        features, static = _split_columns(in_specs[0], settings, ConfigureError)
        _check_strategy(len(features), settings, ConfigureError)
        if settings.selectionStrategy not in SEQUENTIAL:
            return [UNKNOWN for _ in self.outputs]
        # the first pass: the first feature (forward), all of them (backward)
        first = features[:1] if settings.selectionStrategy == "ForwardFeatureSelection" else features
        keep = set(static) | set(first)
        spec = in_specs[0].select([c for c in in_specs[0].names if c in keep])
        return [spec for _ in self.outputs]

    def iterations(
        self, inputs: list[Any], settings: FeatureSelectionLoopStartSettings, ctx: NodeContext
    ) -> Generator[Iteration, Any, None]:
        tables: list[Table] = list(inputs)
        _check_structure([t.spec for t in tables], NodeError)
        features, static = _split_columns(tables[0].spec, settings, NodeError)
        _check_strategy(len(features), settings, NodeError)
        if not static:
            ctx.warn("No constant columns selected. Are you sure you don't need a target column?")
        search = _search(len(features), settings, ctx)
        total = _max_iterations(len(features), settings)
        shared = {
            "features": features,
            "constant": static,
            "sequential": settings.selectionStrategy in SEQUENTIAL,
            "change": _CHANGE_COLUMNS.get(settings.selectionStrategy, "Selected features"),
        }
        candidate: Candidate | None = next(search, None)
        i = 0
        while candidate is not None:
            keep = set(static) | {features[f] for f in candidate.included}
            variables = {
                "maxIterations": total,
                "currentIteration": i,
                "currentFeature": features[candidate.feature] if candidate.feature >= 0 else "",
                PASS_VARIABLE: json.dumps(
                    {
                        **shared,
                        "included": list(candidate.included),
                        "feature": candidate.feature,
                        "round": candidate.round,
                    }
                ),
            }
            feedback = yield Iteration([_keep_columns(t, keep) for t in tables], variables, total=total)
            if not isinstance(feedback, Score):
                raise NodeError(
                    "the feature selection needs each pass's score: close the loop with a Feature Selection Loop End",
                    setting="selectionStrategy",
                )
            candidate = _send(search, feedback)
            i += 1


def _send(search: Search, score: Score) -> Candidate | None:
    try:
        return search.send(score)
    except StopIteration:
        return None


_START_DESCRIPTION = (
    "Starts a feature selection loop: each pass gets the static columns (excluded in the column filter, e.g. "
    "the target) and one subset of the feature columns (included), in input column order. Strategies: "
    "Forward Feature Selection (each round tries adding each remaining feature and keeps the best), Backward "
    "Feature Elimination (a pass with all features, then each round removes the feature whose removal scores "
    "best), Random (random subsets drawn with Java's Random as KNIME does; a seeded run tries KNIME's subsets) "
    "and a Genetic Algorithm (knitflow's own; KNIME's Jenetics engine draws differently). Variables: "
    "`maxIterations`, `currentIteration`, `currentFeature` (the feature tried, else empty)."
)


class FeatureSelectionLoopStart(_FeatureSelectionStart):
    """KNIME's Feature Selection Loop Start (1:1)."""

    type_name = "feature_selection_loop_start"
    display_name = "Feature Selection Loop Start (1:1)"
    description = _START_DESCRIPTION
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.feature.selection.FeatureSelectionLoopStartNodeFactory",
            "Feature Selection Loop Start (1:1)",
            _loop_start_from_knime,
            note="the Random strategy's byte (3) is taken from the enum's order; no saved Random node was found",
        ),
    )
    inputs = (Port(TABLE, "Table", "The table whose feature columns are selected."),)
    outputs = (Port(TABLE, "Filtered table", "The static columns and the pass's features."),)


class FeatureSelectionLoopStart2(_FeatureSelectionStart):
    """KNIME's Feature Selection Loop Start (2:2): e.g. a training and a test table."""

    type_name = "feature_selection_loop_start_2"
    display_name = "Feature Selection Loop Start (2:2)"
    description = _START_DESCRIPTION + " Both tables (of the same structure) keep the same columns."
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.feature.selection.FeatureSelectionLoopStartNodeFactory2",
            "Feature Selection Loop Start (2:2)",
            _loop_start_from_knime,
        ),
    )
    inputs = (
        Port(TABLE, "First table", "E.g. the training data."),
        Port(TABLE, "Second table", "E.g. the test data, of the same structure."),
    )
    outputs = (
        Port(TABLE, "First filtered table", "The first table's static columns and the pass's features."),
        Port(TABLE, "Second filtered table", "The same columns of the second table."),
    )


# -------------------------------------------------------------------------------------- loop end


@dataclass
class FeatureSelectionModel:
    """KNIME's FeatureSelectionModel: the feature levels (score, feature indices) of a search."""

    features: list[str]
    constant: list[str]
    levels: list[tuple[float, list[int]]]
    minimize: bool
    score_name: str

    def selected(self, settings: FeatureSelectionFilterSettings, error: type[NodeError]) -> list[int]:
        """The level the filter keeps (FeatureSelectionModel.getIncludedFeatures)."""
        if settings.thresholdMode:
            return self._smallest_passing(settings.errorThreshold)
        if settings.bestScoreMode:
            return self._best()
        for _, features in self.levels:
            if len(features) == settings.nrOfFeatures:
                return features
        raise error(
            f'There exists no feature level with the specified length "{settings.nrOfFeatures}".',
            setting="nrOfFeatures",
        )

    def _smallest_passing(self, threshold: float) -> list[int]:
        """findMinimalSet: the first of the smallest levels scoring at least (minimising: at most) it."""
        chosen: list[int] | None = None
        for score, features in self.levels:
            passes = score <= threshold if self.minimize else score >= threshold
            if passes and (chosen is None or len(features) < len(chosen)):
                chosen = features
        return chosen or []

    def _best(self) -> list[int]:
        """getBestScorePair: Stream.min by Double.compareTo (reversed when maximising), first of equals."""
        best: tuple[float, list[int]] | None = None
        for level in self.levels:
            if best is None or self._order(level[0], best[0]) < 0:
                best = level
        return best[1] if best else []

    def _order(self, a: float, b: float) -> int:
        comparison = java_double_compare(a, b)
        return comparison if self.minimize else -comparison


class FeatureSelectionLoopEndSettings(NodeSettings):
    """KNIME's FeatureSelectionLoopEndSettings."""

    scoreVariable: str = Field("", description="The Double flow variable holding each pass's score.")
    isMinimize: bool = Field(False, description="Minimise the score (e.g. an error); off: maximise it.")


def _loop_end_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["scoreVariable", "isMinimize"])
    knime.unread()


@dataclass
class _Level:
    score: float
    included: list[int]
    changed: str


@dataclass
class _EndState:
    passes: list[tuple[dict[str, Any], Score]] = field(default_factory=list)


def _score(ctx: NodeContext, name: str) -> float:
    """The pass's score, checked as FeatureSelectionLoopEndNodeModel.configure checks it."""
    variables = ctx.variables
    if not any(isinstance(v, float | np.floating) for v in variables.values()):
        raise NodeError(
            "There is no compatible flow variable (Double) at the inport.", setting="scoreVariable"
        )
    if name not in variables:
        raise NodeError(
            f'The defined score variable "{name}" is not contained in the input flow variables.',
            setting="scoreVariable",
        )
    value = variables[name]
    if not isinstance(value, float | np.floating):
        raise NodeError("The score variable must be of type Double.", setting="scoreVariable")
    return float(value)


def _levels(passes: list[tuple[dict[str, Any], Score]]) -> list[_Level]:
    """One level per round: the best pass of a sequential round (KNIME's currently best score and
    feature), every pass of the other strategies."""
    rounds: list[list[tuple[dict[str, Any], Score]]] = []
    for record, score in passes:
        if rounds and rounds[-1][0][0]["round"] == record["round"]:
            rounds[-1].append((record, score))
        else:
            rounds.append([(record, score)])
    levels = []
    for group in rounds:
        sequential = bool(group[0][0]["sequential"])
        record, score = group[best_position([s for _, s in group])] if sequential else group[0]
        names = record["features"]
        if sequential:
            changed = names[record["feature"]] if record["feature"] >= 0 else ""
        else:
            changed = ",".join(names[i] for i in record["included"])
        levels.append(_Level(score.value, list(record["included"]), changed))
    return levels


class FeatureSelectionLoopEnd(LoopEndNode):
    """KNIME's Feature Selection Loop End."""

    type_name = "feature_selection_loop_end"
    display_name = "Feature Selection Loop End"
    description = (
        "Ends a feature selection loop: reads each pass's score from a Double flow variable (maximised, or "
        "minimised) and hands it to the loop start's search. Port 1: one row per feature level (`Nr. of "
        "features`, the score, and the `Added feature` / `Removed feature` of that round or the `Selected "
        "features` of the pass; RowIDs the level size, `All` for all features, or Row0, Row1, ... for the random "
        "and genetic searches). Port 2: the feature selection model for the Feature Selection Filter."
    )
    keywords = ("feature selection", "loop", "score", "wrapper", "forward selection", "backward elimination")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.feature.selection.FeatureSelectionLoopEndNodeFactory",
            "Feature Selection Loop End",
            _loop_end_from_knime,
        ),
    )
    inputs = (Port(VARIABLES, "Score", "Flow variables holding the pass's score."),)
    outputs = (
        Port(TABLE, "Feature levels", "The score of each feature level."),
        Port(
            FEATURE_SELECTION_MODEL,
            "Feature selection model",
            "The levels, for the Feature Selection Filter.",
        ),
    )
    Settings = FeatureSelectionLoopEndSettings

    def configure(
        self, in_specs: list[Any], settings: FeatureSelectionLoopEndSettings, ctx: NodeContext
    ) -> list[Any]:
        if not settings.scoreVariable:
            raise ConfigureError(
                'The defined score variable "" is not contained in the input flow variables.',
                setting="scoreVariable",
            )
        return [UNKNOWN, UNKNOWN]

    def begin(self, settings: FeatureSelectionLoopEndSettings, ctx: NodeContext) -> _EndState:
        return _EndState()

    def collect(
        self, state: _EndState, inputs: list[Any], settings: FeatureSelectionLoopEndSettings, ctx: NodeContext
    ) -> Any:
        raw = ctx.variables.get(PASS_VARIABLE)
        if raw is None:
            raise NodeError("the Feature Selection Loop End must close a Feature Selection Loop Start")
        score = Score(_score(ctx, settings.scoreVariable), settings.isMinimize)
        state.passes.append((json.loads(raw), score))
        return score

    def finish(
        self, state: _EndState, settings: FeatureSelectionLoopEndSettings, ctx: NodeContext
    ) -> list[Any]:
        if not state.passes:
            raise NodeError("the feature selection loop made no pass")
        first = state.passes[0][0]
        names, change, name = first["features"], first["change"], settings.scoreVariable
        if name in (NUM_FEATURES, change):
            raise NodeError(f"Duplicate column name {name!r} in the result table", setting="scoreVariable")
        levels = _levels(state.passes)
        if first["sequential"]:
            ids = ["All" if len(lv.included) == len(names) else str(len(lv.included)) for lv in levels]
        else:
            ids = [f"Row{i}" for i in range(len(levels))]
        df = pd.DataFrame(
            {
                NUM_FEATURES: np.array([len(lv.included) for lv in levels], dtype=np.int64),
                name: np.array([lv.score for lv in levels], dtype=np.float64),
                change: np.array([lv.changed for lv in levels], dtype=object),
            },
            index=pd.Index(ids, dtype=object),
        )
        table = Table(
            df, {NUM_FEATURES: ColumnType.INTEGER, name: ColumnType.DOUBLE, change: ColumnType.STRING}
        )
        payload = FeatureSelectionModel(
            names, first["constant"], [(lv.score, lv.included) for lv in levels], settings.isMinimize, name
        )
        spec = ModelSpec(MODEL_KIND, details={"model": payload})
        return [table, Model(MODEL_KIND, payload, f"{len(levels)} different features", spec=spec)]


# ----------------------------------------------------------------------------------------- filter


class FeatureSelectionFilterSettings(NodeSettings):
    """KNIME's FeatureSelectionFilterSettings."""

    nrOfFeatures: int = Field(
        -1, description="Keep the (first) feature level with this many features (neither mode below on)."
    )
    includeTargetColumn: bool = Field(
        False, description="Also keep the static (constant) columns of the loop."
    )
    thresholdMode: bool = Field(
        False,
        description="Keep the smallest level whose score is at least (or, minimising, at most) `errorThreshold`.",
    )
    errorThreshold: float = Field(0.5, description="The score threshold of `thresholdMode`.")
    bestScoreMode: bool = Field(
        False, description="Keep the level with the best score (the first of equals)."
    )


def _filter_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["nrOfFeatures", "includeTargetColumn", "thresholdMode", "errorThreshold", "bestScoreMode"]
    )
    knime.unread()


def _filtered_columns(
    model: FeatureSelectionModel,
    settings: FeatureSelectionFilterSettings,
    spec: TableSpec,
    error: type[NodeError],
) -> tuple[list[str], str | None]:
    """(kept columns in input order, warning) as DefaultColumnHandler.getOutSpecAndWarning has them."""
    level = model.selected(settings, error)
    wanted = (list(model.constant) if settings.includeTargetColumn else []) + [
        model.features[i] for i in level
    ]
    missing = [c for c in wanted if c not in spec]
    expected = len(level) + 1 if settings.includeTargetColumn else len(level)
    if expected > 0 and len(missing) == expected:
        raise error("Input table does not contain any of the columns used in the feature selection ")
    warning = None
    if missing:
        warning = (
            "The following columns used in the selected  level are missing in the input table: "
            + ", ".join(missing)
        )
    keep = set(wanted)
    return [c for c in spec.names if c in keep], warning


def _check_filter_settings(settings: FeatureSelectionFilterSettings) -> None:
    if not settings.thresholdMode and not settings.bestScoreMode and settings.nrOfFeatures < 1:
        raise ConfigureError("No features selected yet", setting="nrOfFeatures")


class FeatureSelectionFilter(Node):
    """KNIME's Feature Selection Filter."""

    type_name = "feature_selection_filter"
    display_name = "Feature Selection Filter"
    category = Category.MANIPULATOR
    description = (
        "Applies a feature selection model: keeps the columns of one feature level (and, optionally, the loop's "
        "static columns) in input order. The level is the first one with `nrOfFeatures` features, the best "
        "scoring one, or the smallest one whose score passes a threshold. Columns of the level that the table "
        "lacks give a warning; if it lacks all of them, an error."
    )
    keywords = ("feature selection", "filter", "columns", "feature level", "apply")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.feature.selection.FeatureSelectionFilterNodeFactory",
            "Feature Selection Filter",
            _filter_from_knime,
        ),
    )
    inputs = (
        Port(FEATURE_SELECTION_MODEL, "Feature selection model", "From a Feature Selection Loop End."),
        Port(TABLE, "Table", "The table to filter."),
    )
    outputs = (Port(TABLE, "Filtered table", "The columns of the chosen feature level."),)
    Settings = FeatureSelectionFilterSettings

    def configure(
        self, in_specs: list[Any], settings: FeatureSelectionFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_filter_settings(settings)
        mspec, spec = in_specs
        if not isinstance(mspec, ModelSpec) or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        model = mspec.details.get("model")
        if not isinstance(model, FeatureSelectionModel):
            raise ConfigureError("No model available")
        keep, _ = _filtered_columns(model, settings, spec, ConfigureError)
        return [spec.select(keep)]

    def execute(
        self, inputs: list[Any], settings: FeatureSelectionFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_filter_settings(settings)
        model, table = inputs
        payload = model.payload if isinstance(model, Model) else None
        if not isinstance(payload, FeatureSelectionModel):
            raise NodeError("No model available")
        keep, warning = _filtered_columns(payload, settings, table.spec, NodeError)
        if warning:
            ctx.warn(warning)
        return [_keep_columns(table, set(keep))]
