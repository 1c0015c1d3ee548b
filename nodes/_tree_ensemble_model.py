"""The Tree Ensemble and Simple Regression Tree nodes' machinery (KNIME's treeensemble2 package):
row sampling, growing scikit-learn trees under a TreeEnsembleLearnerConfiguration, the votes and
means the predictors and the out-of-bag tables report, and the predictors' column layouts.

The models are the random forest nodes' (`nodes._forest_options.RandomForestModel`, the same
ports and model kinds): in KNIME the Random Forest and Tree Ensemble nodes share one model port
object, so a model of either learner feeds either predictor.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from engine.api import ColumnType, NodeContext, NodeError, PortType, Table, TableSpec
from nodes._forest_options import (
    RandomForestLearnerSettings,
    RandomForestModel,
    SplitStatistics,
    attribute_owner,
    forest_attributes,
    tree_attributes,
    tree_shape,
)
from nodes._learning import append_unique, class_values
from nodes._mining import cell_text

# KNIME's TreeEnsembleModelPortObject serves both node families: the same port types as the forests'
ENSEMBLE_CLASSIFICATION = PortType.register(
    PortType("model.random_forest_classification", "Random forest classification model", "#2d6a4f", "square")
)
ENSEMBLE_REGRESSION = PortType.register(
    PortType("model.random_forest_regression", "Random forest regression model", "#2d6a4f", "square")
)
REGRESSION_TREE = PortType.register(
    PortType("model.regression_tree", "Regression tree model", "#2d6a4f", "square")
)
KIND_CLASSIFICATION = "random_forest_classification"
KIND_REGRESSION = "random_forest_regression"
KIND_TREE = "regression_tree"

DOMAIN_LIMIT = 60  # KNIME's default maximum number of possible values a column domain keeps

# which KNIME version's output layout (and missing-value behaviour) a node follows
Compatibility = Literal["current", "pre_3_6", "first_plugin"]
COMPATIBILITY_HELP = (
    "current: KNIME 3.6 and later; pre_3_6: nodes saved by the treeensemble2 factories of KNIME before 3.6 "
    "(prediction and confidence before the `P(<target>=<value>)` columns); first_plugin: the first tree ensemble "
    "plugin (KNIME 2.x; class columns named by the class value, and a row with a missing attribute value gets "
    "missing cells instead of a prediction)."
)


@dataclass
class EnsembleClassifier(RandomForestModel):
    """Classification trees with the forest's class values; `tree_classes[t]`: the class indices tree t
    saw (a row sample can miss a class). The random forest classifier's attribute names, so that
    either predictor reads either model."""

    classes: list[Any] = field(default_factory=list)
    tree_classes: list[np.ndarray] = field(repr=False, default_factory=list)

    def tree_probabilities(self, x: np.ndarray) -> np.ndarray:
        """(trees, rows, classes): the class distribution of the leaf each row reaches."""
        out = np.zeros((len(self.trees), len(x), len(self.classes)))
        for t, (tree, cols, known) in enumerate(
            zip(self.trees, self.tree_columns, self.tree_classes, strict=True)
        ):
            if len(x):
                out[t][:, known] = tree.predict_proba(x[:, cols])
        return out


# ------------------------------------------------------------------------------------ learning


def learning_attributes(table: Table, settings: RandomForestLearnerSettings, ctx: NodeContext) -> list[str]:
    """The attribute columns, less the nominal ones KNIME ignores for want of a domain (a String column
    with more than 60 distinct values keeps none), with KNIME's warning."""
    attrs = forest_attributes(table.spec, settings)
    if not settings.ignoreColumnsWithoutDomain:
        return attrs
    without = [
        a
        for a in attrs
        if table.spec.type_of(a) == ColumnType.STRING and table.df[a].nunique(dropna=True) > DOMAIN_LIMIT
    ]
    if not without:
        return attrs
    kept = [a for a in attrs if a not in without]
    if not kept:
        raise NodeError(
            "Input table has no valid learning columns (need one additional numeric or nominal column). "
            f"{len(without)} column(s) were ignored due to missing domain information -- execute predecessor "
            "and/or  use Domain Calculator node.",
            setting="ignoreColumnsWithoutDomain",
        )
    listed = ", ".join(f'"{a}"' for a in without[:4]) + (", ..." if len(without) > 4 else "")
    ctx.warn(
        f"{len(without)} column(s) were ignored due to missing domain information: [{listed}] -- change the node "
        "configuration or use a Domain Calculator node to fix it"
    )
    return kept


def string_levels(table: Table, attrs: list[str]) -> dict[str, list[str]]:
    """The one-hot levels of the String attributes, in order of appearance."""
    return {
        a: class_values(cell_text(v) for v in table.df[a].dropna().tolist())
        for a in attrs
        if table.spec.type_of(a) == ColumnType.STRING
    }


def new_model(
    table: Table, target: str, attrs: list[str], classes: list[Any] | None = None
) -> RandomForestModel:
    levels = string_levels(table, attrs)
    args = (target, attrs, {a: table.spec.type_of(a) for a in attrs}, levels, attribute_owner(attrs, levels))
    return RandomForestModel(*args) if classes is None else EnsembleClassifier(*args, classes=classes)


def _share(fraction: float, size: int) -> int:
    """KNIME's Math.round(fraction * size), at least one row."""
    return max(1, int(math.floor(fraction * size + 0.5)))


def draw_rows(
    rng: np.random.Generator,
    train: np.ndarray,
    settings: RandomForestLearnerSettings,
    y: np.ndarray | None = None,
) -> np.ndarray:
    """One tree's rows (RowSamplerFactory): Random draws from all rows; Stratified draws the fraction
    of every class; EqualSize draws the fraction of the smallest class from every class."""
    replace = settings.isDataSelectionWithReplacement

    def take(pool: np.ndarray, size: int) -> np.ndarray:
        if replace:
            return pool[rng.integers(0, len(pool), size=size)]
        return np.sort(pool[rng.choice(len(pool), size=min(size, len(pool)), replace=False)])

    mode = settings.rowSamplingMode
    if mode == "Random" or y is None:
        return take(train, _share(settings.dataFraction, len(train)))
    pools = [train[y[train] == c] for c in np.unique(y[train])]
    if mode == "Stratified":
        sizes = [_share(settings.dataFraction, len(p)) for p in pools]
    else:
        sizes = [_share(settings.dataFraction, min(len(p) for p in pools))] * len(pools)
    return np.sort(np.concatenate([take(p, s) for p, s in zip(pools, sizes, strict=True)]))


def lower_split_points(tree: Any, x: np.ndarray) -> None:
    """KNIME without mid-point splits: a numeric split's value is the largest value of the rows in
    the `<=` branch, not the midpoint scikit-learn chooses (the training rows split alike)."""
    t = tree.tree_
    inner = np.flatnonzero(t.children_left >= 0)
    if len(inner) == 0:
        return
    x32 = x.astype(np.float32)  # what the tree compared
    reach = tree.decision_path(x32).tocsc()
    thresholds = t.threshold  # a view of the tree's nodes: assignments change the tree
    for node in inner:
        rows = reach[:, t.children_left[node]].indices
        values = x32[rows, t.feature[node]]
        values = values[~np.isnan(values)]
        if len(values):
            thresholds[node] = float(values.max())


@dataclass
class Growth:
    """What growing leaves besides the trees: which rows each tree learned from, and the split
    statistics of the attribute statistics port."""

    in_bag: np.ndarray
    stats: SplitStatistics


def grow(
    model: RandomForestModel,
    x: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    settings: RandomForestLearnerSettings,
    ctx: NodeContext,
    new_tree: Callable[[Any, int], Any],
    *,
    trees: int,
    classes: np.ndarray | None = None,
) -> Growth:
    """Grows `trees` trees, each on its row sample and attribute sample; `new_tree(shape, seed)` makes
    an unfitted scikit-learn tree. `classes`: the class codes, for the class-aware row sampling."""
    from sklearn import config_context

    n_attr = len(model.attributes)
    owner = np.array(model.owner, dtype=int)
    shape = tree_shape(settings, n_attr, x.shape[1], bool(model.levels))
    rng = np.random.default_rng(ctx.seed(settings.seed))
    growth = Growth(np.zeros((trees, len(x)), dtype=bool), SplitStatistics(n_attr, shape.per_node))
    for t in range(trees):
        ctx.check_cancelled()
        ctx.progress(t / trees, f"learning tree {t + 1} of {trees}")
        rows = draw_rows(rng, train, settings, classes)
        growth.in_bag[t, rows] = True
        chosen, cols = tree_attributes(rng, shape, owner, n_attr, x.shape[1])
        tree = new_tree(shape, int(rng.integers(0, 2**31 - 1)))
        sample = x[np.ix_(rows, cols)]
        with config_context(skip_parameter_validation=t > 0):  # every tree has tree 0's checked parameters
            tree.fit(sample, y[rows])
        if not settings.useAverageSplitPoints:
            lower_split_points(tree, sample)
        model.trees.append(tree)
        model.tree_columns.append(cols)
        growth.stats.add(tree, cols, chosen, owner)
    if isinstance(model, EnsembleClassifier):
        model.tree_classes = [tree.classes_.astype(int) for tree in model.trees]
    return growth


# ---------------------------------------------------------------------------------- prediction


def class_votes(probs: np.ndarray, use: np.ndarray, soft: bool) -> tuple[np.ndarray, np.ndarray]:
    """(rows, classes) confidences and the trees counted per row. Hard voting: each tree's vote is its
    leaf's majority class (the first on a tie); soft voting: the leaves' class distributions."""
    if soft:
        ballots = probs
    else:
        ballots = np.eye(probs.shape[2])[probs.argmax(axis=2)] if probs.size else probs
    count = use.sum(axis=0)
    totals = np.einsum("trc,tr->rc", ballots, use.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return totals / count[:, None], count


def mean_and_variance(preds: np.ndarray, use: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row the mean of the counted trees' predictions, their variance (commons-math: n - 1 in the
    denominator, 0 for one tree, missing for none) and the number of trees counted."""
    count = use.sum(axis=0)
    masked = np.ma.masked_array(preds, mask=~use)
    mean = np.ma.filled(masked.mean(axis=0), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.ma.filled(masked.var(axis=0, ddof=1), np.nan)
    return mean, np.where(count == 1, 0.0, var), count


@dataclass(frozen=True)
class Output:
    """An appended column: its name, type and what it holds (`class` columns: the class's index)."""

    name: str
    type: str
    role: Literal["prediction", "confidence", "class", "variance", "count"]
    index: int = 0


def _class_column(target: str, value: str, suffix: str, compat: Compatibility) -> str:
    if compat == "first_plugin":
        return value
    return f"{'P (' if compat == 'current' else 'P('}{target}={value}){suffix}"


def classification_outputs(
    spec: TableSpec,
    target: str,
    labels: list[str] | None,
    prediction: str,
    settings: Any,
    compat: Compatibility,
) -> list[Output] | None:
    """TreeEnsemblePredictionUtil.createPRCForClassificationRF's columns: since 3.6 the class
    confidences come first, before they came after the prediction and its confidence; `model count`
    last. None while the class values are unknown (before the learner ran)."""
    classes: list[Output] = []
    if settings.appendClassConfidences:
        if labels is None:
            return None
        suffix = settings.suffixForClassProbabilities
        classes = [
            Output(_class_column(target, v, suffix, compat), ColumnType.DOUBLE, "class", j)
            for j, v in enumerate(labels)
        ]
    head = [Output(prediction, ColumnType.STRING, "prediction")]
    if settings.appendPredictionConfidence:
        head.append(Output(f"{prediction} (Confidence)", ColumnType.DOUBLE, "confidence"))
    wanted = classes + head if compat == "current" else head + classes
    if settings.appendModelCount:
        wanted.append(Output("model count", ColumnType.INTEGER, "count"))
    return _unique(spec, wanted)


def regression_outputs(spec: TableSpec, prediction: str, settings: Any) -> list[Output]:
    """The mean prediction, `<prediction> (Prediction Variance)` and `model count`."""
    wanted = [Output(prediction, ColumnType.DOUBLE, "prediction")]
    if settings.appendPredictionConfidence:
        wanted.append(Output(f"{prediction} (Prediction Variance)", ColumnType.DOUBLE, "variance"))
    if settings.appendModelCount:
        wanted.append(Output("model count", ColumnType.INTEGER, "count"))
    return _unique(spec, wanted)


def _unique(spec: TableSpec, wanted: list[Output]) -> list[Output]:
    named = append_unique(spec, [(o.name, o.type) for o in wanted])
    return [Output(name, o.type, o.role, o.index) for (name, _), o in zip(named, wanted, strict=True)]


def missing_attribute_rows(model: RandomForestModel, df: pd.DataFrame) -> np.ndarray:
    """Rows with a missing value in a learning column: the first plugin predicts nothing for them."""
    return df[model.attributes].isna().any(axis=1).to_numpy()


def classification_values(
    outputs: list[Output], labels: list[str], conf: np.ndarray, count: np.ndarray, blank: np.ndarray
) -> dict[str, Any]:
    """The columns' values: no tree counted (or a `blank` row) leaves prediction and confidences missing."""
    known = (count > 0) & ~blank
    best = np.nan_to_num(conf, nan=-1.0).argmax(axis=1) if len(conf) else np.zeros(0, dtype=int)
    conf = np.where(known[:, None], conf, np.nan)
    by_role = {
        "prediction": np.array(
            [labels[b] if k else None for b, k in zip(best, known, strict=True)], dtype=object
        ),
        "confidence": conf[np.arange(len(conf)), best] if len(conf) else np.zeros(0),
        "count": _counts(count, blank),
    }
    return {o.name: conf[:, o.index] if o.role == "class" else by_role[o.role] for o in outputs}


def regression_values(
    outputs: list[Output], mean: np.ndarray, var: np.ndarray, count: np.ndarray, blank: np.ndarray
) -> dict[str, Any]:
    by_role = {
        "prediction": np.where(blank, np.nan, mean),
        "variance": np.where(blank, np.nan, var),
        "count": _counts(count, blank),
    }
    return {o.name: by_role[o.role] for o in outputs}


def _counts(count: np.ndarray, blank: np.ndarray) -> Any:
    if not blank.any():
        return count.astype(np.int32)
    return pd.array([pd.NA if b else int(c) for c, b in zip(count, blank, strict=True)], dtype="Int32")


def appended(table: Table, outputs: list[Output], values: dict[str, Any]) -> Table:
    df = table.df.copy()
    for o in outputs:
        df[o.name] = values[o.name]
    return table.with_frame(df, {o.name: o.type for o in outputs})
