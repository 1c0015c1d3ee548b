"""Random forest classification: KNIME's Random Forest Learner and Random Forest Predictor
(treeensemble2), built like the regression pair in `nodes.random_forest` (sharing its settings, model,
sampling and statistics helpers in `nodes._forest_options`) from scikit-learn classification trees.

KNIME's forests draw their own random numbers and grow KNIME's trees (gain ratio among them),
which scikit-learn cannot reproduce: the forests agree in distribution, not tree for tree. The
information gain ratio criterion is grown with scikit-learn's entropy (information gain) criterion.
The test suite checks the out-of-bag accuracy against the spread measured over seeds for
scikit-learn's own RandomForestClassifier.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._forest_options import (
    FOREST_KEYS,
    PREDICTIONS_PORT,
    PREDICTOR_KEYS,
    ROWS_TO_PREDICT,
    STATS_SPEC,
    ForestClassificationPredictorSettings,
    ForestLearnerNode,
    RandomForestLearnerSettings,
    SplitStatistics,
    attribute_owner,
    forest_attributes,
    forest_learner_outputs,
    learner_input,
    legacy_column_order,
    prediction_column_name,
    predictor_inputs,
    tree_attributes,
    tree_shape,
    unsupported_forest_options,
)
from nodes._learning import append_unique, check_learning_columns, class_values, text_values
from nodes._mining import NOMINAL, cell_text
from nodes._tree_ensemble_model import ENSEMBLE_CLASSIFICATION as RF_CLASSIFICATION
from nodes._tree_ensemble_model import KIND_CLASSIFICATION as KIND
from nodes._tree_ensemble_model import EnsembleClassifier


class RandomForestClassificationLearnerSettings(RandomForestLearnerSettings):
    """KNIME's TreeEnsembleLearnerConfiguration for classification forests."""

    targetColumn: str | None = Field(None, description="The nominal (String or Boolean) target column.")
    splitCriterion: Literal["InformationGainRatio", "InformationGain", "Gini"] = Field(
        "InformationGainRatio",
        description="Split criterion: Gini (scikit-learn gini) or information gain (entropy); the gain ratio is "
        "grown with the information gain.",
    )
    rowSamplingMode: Literal["Random", "Stratified", "EqualSize"] = Field(  # type: ignore[assignment]
        "Random",
        description="Row sample per tree: Random; Stratified (each class in proportion); EqualSize (every "
        "class as often as the smallest one).",
    )
    legacyColumnOrder: bool = legacy_column_order()


class ForestClassifier(EnsembleClassifier):
    """The forest with its class values: the tree ensembles' classifier, under the name the saved
    random forest models know."""


def vote(probs: np.ndarray, use: np.ndarray, soft: bool) -> tuple[np.ndarray, np.ndarray]:
    """Class confidences (rows, classes) and the number of trees used per row: hard voting counts each
    tree's majority class (the first on a tie), soft voting averages the distributions."""
    if soft:
        ballots = probs
    else:
        ballots = np.zeros_like(probs)
        winner = probs.argmax(axis=2)
        t_idx, r_idx = np.indices(winner.shape)
        ballots[t_idx, r_idx, winner] = 1.0
    ballots = ballots * use[:, :, None]
    count = use.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        conf = ballots.sum(axis=0) / count[:, None]
    return conf, count


def _labels(model_spec: ModelSpec | ForestClassifier) -> list[str] | None:
    if isinstance(model_spec, ForestClassifier):
        return [cell_text(c) for c in model_spec.classes]
    values = model_spec.details.get("class_values")
    return None if values is None else list(values)


def prediction_columns(
    target: str,
    labels: list[str] | None,
    spec: TableSpec,
    prediction: str,
    confidence: bool,
    class_confidences: bool,
    suffix: str,
    model_count: bool,
    legacy: bool,
) -> list[tuple[str, str]] | None:
    """TreeEnsemblePredictionUtil.createPRCForClassificationRF's columns (None: class values unknown yet)."""
    probs: list[tuple[str, str]] = []
    if class_confidences:
        if labels is None:
            return None
        prefix = "P(" if legacy else "P ("
        probs = [(f"{prefix}{target}={v}){suffix}", ColumnType.DOUBLE) for v in labels]
    main = [(prediction, ColumnType.STRING)]
    if confidence:
        main.append((f"{prediction} (Confidence)", ColumnType.DOUBLE))
    cols = main + probs if legacy else probs + main
    if model_count:
        cols.append(("model count", ColumnType.INTEGER))
    return append_unique(spec, cols)


def fill_predictions(
    df: pd.DataFrame,
    columns: list[tuple[str, str]],
    labels: list[str],
    conf: np.ndarray,
    count: np.ndarray,
    settings: Any,
    legacy: bool,
) -> None:
    """Writes prediction, confidence, class confidences and model count in the columns' order."""
    known = count > 0
    best = np.where(known, np.nan_to_num(conf, nan=-1.0).argmax(axis=1), 0)
    names = iter(c for c, _ in columns)
    values: dict[str, Any] = {}
    prediction = pd.array([labels[b] if k else None for b, k in zip(best, known, strict=True)], dtype=object)
    top = np.where(known, conf[np.arange(len(conf)), best] if len(conf) else np.zeros(0), np.nan)
    order = ["prediction", "confidence", "probs"] if legacy else ["probs", "prediction", "confidence"]
    for part in order:
        if part == "prediction":
            values[next(names)] = prediction
        elif part == "confidence" and settings.appendPredictionConfidence:
            values[next(names)] = top
        elif part == "probs" and settings.appendClassConfidences:
            for j in range(len(labels)):
                values[next(names)] = conf[:, j]
    if settings.appendModelCount:
        values[next(names)] = count.astype(np.int32)
    for name, value in values.items():
        df[name] = value


# --------------------------------------------------------------------------------------- learner


def _target(spec: TableSpec, settings: RandomForestClassificationLearnerSettings) -> str:
    target = settings.targetColumn
    if not target:
        raise ConfigureError("Target column not set", setting="targetColumn")
    col = spec.get(target)
    if col is None:
        raise ConfigureError(f"target column {target!r} not found in the input table", setting="targetColumn")
    if col.type not in NOMINAL:
        raise ConfigureError(
            f"the target column {target!r} is not nominal (type {col.type})", setting="targetColumn"
        )
    return target


def _row_sample(
    rng: np.random.Generator,
    y: np.ndarray,
    train: np.ndarray,
    n_classes: int,
    settings: RandomForestClassificationLearnerSettings,
) -> np.ndarray:
    """KNIME's row sampling modes: Random, Stratified (per class in proportion), EqualSize."""
    replace = settings.isDataSelectionWithReplacement

    def draw(pool: np.ndarray, size: int) -> np.ndarray:
        size = size if replace else min(size, len(pool))
        if replace:
            return pool[rng.integers(0, len(pool), size=size)]
        return np.sort(pool[rng.choice(len(pool), size=size, replace=False)])

    if settings.rowSamplingMode == "Random":
        return draw(train, max(1, int(math.floor(settings.dataFraction * len(train) + 0.5))))
    pools = [train[y[train] == c] for c in range(n_classes)]
    pools = [p for p in pools if len(p)]
    if settings.rowSamplingMode == "Stratified":
        sizes = [max(1, int(math.floor(settings.dataFraction * len(p) + 0.5))) for p in pools]
    else:
        smallest = min(len(p) for p in pools)
        sizes = [max(1, int(math.floor(settings.dataFraction * smallest + 0.5)))] * len(pools)
    return np.sort(np.concatenate([draw(p, s) for p, s in zip(pools, sizes, strict=True)]))


def _oob_names(
    settings: RandomForestClassificationLearnerSettings, spec: TableSpec, labels: list[str] | None
) -> Any:
    target = str(settings.targetColumn)
    return prediction_columns(
        target, labels, spec, f"{target} (Out-of-bag)", True, True, "", True, settings.legacyColumnOrder
    )


def _rf_classification_learner_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(FOREST_KEYS)
    unsupported_forest_options(knime)


def _legacy_learner_from_knime(knime: KnimeSettings) -> None:
    _rf_classification_learner_from_knime(knime)
    knime.put("legacyColumnOrder", True)


class _OobSettings:
    appendPredictionConfidence = True
    appendClassConfidences = True
    appendModelCount = True


class RandomForestLearnerClassification(ForestLearnerNode):
    """KNIME's Random Forest Learner (classification)."""

    type_name = "random_forest_learner"
    display_name = "Random Forest Learner"
    description = (
        "Learns a random forest of classification trees (scikit-learn DecisionTreeClassifier with Gini or entropy "
        "splits; KNIME's gain ratio is grown with entropy): nrModels trees, each on a row sample (Random, Stratified "
        "or EqualSize; with or without replacement) and an attribute sample drawn per node or per tree. Port 1: "
        "the training rows with the out-of-bag class confidences `P (<target>=<v>)`, the vote `<target> "
        "(Out-of-bag)`, its confidence and `model count`; port 2: splits and candidacies per attribute on the levels "
        "0-2; port 3: the model. The trees are not KNIME's (its random numbers cannot be reproduced): results agree "
        "in distribution."
    )
    keywords = ("random forest", "classification", "tree ensemble", "bagging", "scikit-learn")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble2.node.randomforest.learner.classification.RandomForestClassificationLearnerNodeFactory2",
            "Random Forest Learner",
            _rf_classification_learner_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble2.node.randomforest.learner.classification.RandomForestClassificationLearnerNodeFactory",
            "Random Forest Learner",
            _legacy_learner_from_knime,
        ),
    )
    inputs = (learner_input("nominal"),)
    outputs = forest_learner_outputs(
        "The input plus the out-of-bag class confidences and vote.",
        Port(RF_CLASSIFICATION, "Random forest model", "The trained forest."),
    )
    Settings = RandomForestClassificationLearnerSettings

    def configure(
        self, in_specs: list[Any], settings: RandomForestClassificationLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, STATS_SPEC, UNKNOWN]
        target = _target(spec, settings)
        attrs = forest_attributes(spec, settings)
        oob = _oob_names(settings, spec, None)
        model = ModelSpec(KIND, spec.select(attrs), spec.get(target))
        return [UNKNOWN if oob is None else spec.append(*oob), STATS_SPEC, model]

    def execute(
        self, inputs: list[Any], settings: RandomForestClassificationLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        spec, df = table.spec, table.df
        target = _target(spec, settings)
        attrs = forest_attributes(spec, settings)
        cells = text_values(df[target])
        classes = class_values(cells)
        if not classes:
            raise NodeError("no rows to learn from (the table is empty or every target value is missing)")
        code = {c: i for i, c in enumerate(classes)}
        y = np.array([code[v] if v is not None else -1 for v in cells], dtype=int)
        train = np.flatnonzero(y >= 0)
        if len(train) < len(df):
            ctx.log(f"{len(df) - len(train)} row(s) with a missing target value were ignored")

        levels = {
            a: class_values(cell_text(v) for v in df[a].dropna().tolist())
            for a in attrs
            if spec.type_of(a) == ColumnType.STRING
        }
        model = ForestClassifier(
            target,
            attrs,
            {a: spec.type_of(a) for a in attrs},
            levels,
            attribute_owner(attrs, levels),
            classes=classes,
        )
        x = model.design(df)
        in_bag, stats = _grow_trees(model, x, y, train, settings, ctx)

        labels = [cell_text(c) for c in classes]
        conf, count = vote(model.tree_probabilities(x), ~in_bag, soft=False)
        columns = _oob_names(settings, spec, labels)
        out = df.copy()
        fill_predictions(out, columns, labels, conf, count, _OobSettings, settings.legacyColumnOrder)
        oob = table.with_frame(out, dict(columns))
        mspec = ModelSpec(KIND, spec.select(attrs), spec.get(target), {"class_values": labels})
        summary = f"{settings.nrModels} classifiers on {len(attrs)} attributes, {len(classes)} classes"
        return [oob, stats.table(attrs), Model(KIND, model, summary, spec=mspec)]


def _grow_trees(
    model: ForestClassifier,
    x: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    settings: RandomForestClassificationLearnerSettings,
    ctx: NodeContext,
) -> tuple[np.ndarray, SplitStatistics]:
    """Grows the model's trees; returns which rows each tree saw (for the out-of-bag vote)."""
    from sklearn import config_context
    from sklearn.tree import DecisionTreeClassifier

    n_attr = len(model.attributes)
    owner = np.array(model.owner, dtype=int)
    shape = tree_shape(settings, n_attr, x.shape[1], bool(model.levels))
    criterion = "gini" if settings.splitCriterion == "Gini" else "entropy"
    rng = np.random.default_rng(ctx.seed(settings.seed))
    in_bag = np.zeros((settings.nrModels, len(x)), dtype=bool)
    stats = SplitStatistics(n_attr, shape.per_node)
    for t in range(settings.nrModels):
        ctx.check_cancelled()
        ctx.progress(t / settings.nrModels, f"learning tree {t + 1} of {settings.nrModels}")
        rows = _row_sample(rng, y, train, len(model.classes), settings)
        in_bag[t, rows] = True
        chosen, cols = tree_attributes(rng, shape, owner, n_attr, x.shape[1])
        tree = DecisionTreeClassifier(
            criterion=criterion,
            max_depth=shape.max_depth,
            min_samples_split=shape.min_samples_split,
            min_samples_leaf=shape.min_samples_leaf,
            max_features=shape.max_features,
            random_state=int(rng.integers(0, 2**31 - 1)),
        )
        with config_context(skip_parameter_validation=t > 0):
            tree.fit(x[np.ix_(rows, cols)], y[rows])
        model.trees.append(tree)
        model.tree_columns.append(cols)
        model.tree_classes.append(tree.classes_.astype(int))
        stats.add(tree, cols, chosen, owner)
    return in_bag, stats


# ------------------------------------------------------------------------------------- predictor


class RandomForestClassificationPredictorSettings(ForestClassificationPredictorSettings):
    """KNIME's TreeEnsemblePredictorConfiguration for classification forests."""

    legacyColumnOrder: bool = legacy_column_order()


def _columns(model: ModelSpec, spec: TableSpec, s: RandomForestClassificationPredictorSettings) -> Any:
    return prediction_columns(
        model.target.name if model.target else "",
        _labels(model),
        spec,
        prediction_column_name(model, s),
        s.appendPredictionConfidence,
        s.appendClassConfidences,
        s.suffixForClassProbabilities,
        s.appendModelCount,
        s.legacyColumnOrder,
    )


def _rf_classification_predictor_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(PREDICTOR_KEYS)


def _legacy_predictor_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(PREDICTOR_KEYS)
    knime.put("legacyColumnOrder", True)


class RandomForestPredictorClassification(Node):
    """KNIME's Random Forest Predictor (classification)."""

    type_name = "random_forest_predictor"
    display_name = "Random Forest Predictor"
    category = Category.PREDICTOR
    description = (
        "Applies a classification random forest: appends the class confidences `P (<target>=<class>)<suffix>` "
        "(share of the trees' votes, or their mean distribution with soft voting), `Prediction (<target>)` (the "
        "class with the highest confidence, the first one on a tie), `... (Confidence)` and optionally `model count`."
    )
    keywords = ("random forest", "predict", "classification", "tree ensemble", "voting")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble2.node.randomforest.predictor.classification.RandomForestClassificationPredictorNodeFactory2",
            "Random Forest Predictor",
            _rf_classification_predictor_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble2.node.randomforest.predictor.classification.RandomForestClassificationPredictorNodeFactory",
            "Random Forest Predictor",
            _legacy_predictor_from_knime,
        ),
    )
    inputs = (
        Port(RF_CLASSIFICATION, "Random forest model", "A classification random forest."),
        ROWS_TO_PREDICT,
    )
    outputs = (PREDICTIONS_PORT,)
    Settings = RandomForestClassificationPredictorSettings

    def configure(
        self, in_specs: list[Any], settings: RandomForestClassificationPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        checked = predictor_inputs(in_specs, KIND)
        if checked is None:
            return [UNKNOWN]
        columns = _columns(*checked, settings)
        return [UNKNOWN if columns is None else checked[1].append(*columns)]

    def execute(
        self, inputs: list[Any], settings: RandomForestClassificationPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model: ForestClassifier = inputs[0].payload
        table: Table = inputs[1]
        check_learning_columns(inputs[0].spec, table.spec)
        columns = _columns(inputs[0].spec, table.spec, settings)
        probs = model.tree_probabilities(model.design(table.df))
        conf, count = vote(probs, np.ones(probs.shape[:2], dtype=bool), settings.useSoftVoting)
        df = table.df.copy()
        labels = [cell_text(c) for c in model.classes]
        fill_predictions(df, columns, labels, conf, count, settings, settings.legacyColumnOrder)
        return [table.with_frame(df, dict(columns))]
