"""KNIME's Gradient Boosted Trees Learner and Predictor, for classification and regression.

KNIME implements Friedman's "Greedy Function Approximation: A Gradient Boosting Machine" (1999):
regression by algorithm 4.4 (M_TreeBoost: Huber loss whose threshold is the `alphaFraction`
quantile of the absolute residuals, initial value the median), classification by algorithm 4.6
(LK_TreeBoost: one tree per class and iteration on the multinomial deviance's residuals, leaf values
(K-1)/K * sum r / sum |r|(1-|r|), probabilities by softmax). Both are reproduced here on
scikit-learn regression trees with KNIME's options (depth 4 by default, row sample without
replacement, attribute sample per tree or per node). KNIME's trees and random numbers differ, so
the ensembles agree in quality, not tree for tree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    Port,
    PortType,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._forest_options import (
    FOREST_KEYS,
    PREDICTIONS_PORT,
    PREDICTOR_KEYS,
    ROWS_TO_PREDICT,
    ForestClassificationPredictorSettings,
    ForestLearnerNode,
    RandomForestLearnerSettings,
    RandomForestModel,
    attribute_sample_size,
    forest_attributes,
    legacy_column_order,
    prediction_column_name,
    predictor_inputs,
)
from nodes._learning import append_unique, check_learning_columns, class_values, text_values
from nodes._mining import NOMINAL, cell_text, check_column

GBT_CLASSIFICATION = PortType.register(
    PortType("model.gbt_classification", "Gradient boosted trees (classification)", "#40916c", "square")
)
GBT_REGRESSION = PortType.register(
    PortType("model.gbt_regression", "Gradient boosted trees (regression)", "#40916c", "square")
)
KIND_CLASSIFICATION = "gbt_classification"
KIND_REGRESSION = "gbt_regression"


class GradientBoostingLearnerSettings(RandomForestLearnerSettings):
    """KNIME's GradientBoostingLearnerConfiguration (TreeEnsembleLearnerConfiguration keys plus
    learningRate and alphaFraction), with its defaults for boosting."""

    targetColumn: str | None = Field(
        None, description="The target column (nominal to classify, numeric to regress)."
    )
    maxLevels: int = Field(4, description="Maximum tree depth (the root is depth 0); -1 = unlimited.")
    nrModels: int = Field(
        100, gt=0, description="Number of boosting iterations (trees per class for classification)."
    )
    learningRate: float = Field(
        0.1, gt=0, le=1, description="Shrinkage applied to every tree's contribution."
    )
    alphaFraction: float = Field(
        0.95,
        gt=0,
        le=1,
        description="Regression: the quantile of the absolute residuals used as the Huber loss threshold.",
    )
    isDataSelectionWithReplacement: bool = Field(
        False,
        description="Draw each tree's rows with replacement (default: a subsample without replacement).",
    )
    columnSamplingMode: Literal["SquareRoot", "Linear", "Absolute", "None"] = Field(
        "None",
        description="Attribute sample: None (all), SquareRoot, Linear (fraction) or Absolute (see the forest nodes).",
    )
    isUseDifferentAttributesAtEachNode: bool = Field(
        False, description="True: a new attribute sample at each node; false: one sample per tree."
    )


@dataclass
class BoostedTrees(RandomForestModel):
    """`trees[m][k]`: the tree of iteration m for class k (one class for regression) with the leaf
    values of Friedman's line search; `initial` the starting values."""

    classes: list[Any] = field(default_factory=list)
    initial: np.ndarray = field(default_factory=lambda: np.zeros(1))
    learning_rate: float = 0.1
    leaf_values: list[list[np.ndarray]] = field(repr=False, default_factory=list)

    def raw(self, x: np.ndarray) -> np.ndarray:
        """F(x): (rows, classes) for classification, (rows, 1) for regression."""
        f = np.tile(self.initial, (len(x), 1)).astype(float)
        if len(x) == 0:
            return f
        for trees, values, cols in zip(self.trees, self.leaf_values, self.tree_columns, strict=True):
            xs = x[:, cols]
            for k, (tree, v) in enumerate(zip(trees, values, strict=True)):
                f[:, k] += self.learning_rate * v[tree.apply(xs)]
        return f


def softmax(f: np.ndarray) -> np.ndarray:
    e = np.exp(f - f.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _leaf_sums(leaves: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(leaves, weights=values, minlength=size)


def boost(
    x: np.ndarray,
    y: np.ndarray,
    model: BoostedTrees,
    settings: GradientBoostingLearnerSettings,
    classify: bool,
    ctx: NodeContext,
) -> None:
    """Friedman's algorithms 4.4 (Huber) and 4.6 (K-class logistic) on scikit-learn trees."""
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(ctx.seed(settings.seed))
    n, n_attr = len(x), len(model.attributes)
    owner = np.array(model.owner, dtype=int)
    subset = attribute_sample_size(settings, n_attr)
    per_node = settings.isUseDifferentAttributesAtEachNode and subset < n_attr
    per_tree = not settings.isUseDifferentAttributesAtEachNode and subset < n_attr
    max_features = None
    if per_node:
        max_features = subset if not model.levels else max(1, round(subset * x.shape[1] / n_attr))
    min_leaf = settings.minChildSize if settings.minChildSize > 0 else 1
    min_split = settings.minNodeSize if settings.minNodeSize > 0 else 2 * min_leaf
    n_draw = max(1, int(math.floor(settings.dataFraction * n + 0.5)))
    if not settings.isDataSelectionWithReplacement:
        n_draw = min(n_draw, n)
    k_count = len(model.classes) if classify else 1
    onehot = np.eye(k_count)[y] if classify else None
    if classify:
        model.initial = np.zeros(k_count)
    else:
        model.initial = np.array([float(np.median(y))])
    f = np.tile(model.initial, (n, 1)).astype(float)
    for m in range(settings.nrModels):
        ctx.check_cancelled()
        ctx.progress(m / settings.nrModels, f"iteration {m + 1} of {settings.nrModels}")
        if settings.isDataSelectionWithReplacement:
            rows = rng.integers(0, n, size=n_draw)
        elif n_draw < n:
            rows = np.sort(rng.choice(n, size=n_draw, replace=False))
        else:
            rows = np.arange(n)
        if per_tree:
            chosen = np.sort(rng.choice(n_attr, size=subset, replace=False))
            cols = np.flatnonzero(np.isin(owner, chosen))
        else:
            cols = np.arange(x.shape[1])
        xs = x[np.ix_(rows, cols)]
        trees, values = [], []
        if classify:
            assert onehot is not None
            residual = onehot - softmax(f)
            for k in range(k_count):
                tree = _tree(DecisionTreeRegressor, settings, min_split, min_leaf, max_features, rng)
                tree.fit(xs, residual[rows, k])
                leaves = tree.apply(xs)
                r = residual[rows, k]
                num = _leaf_sums(leaves, r, tree.tree_.node_count)
                den = _leaf_sums(leaves, np.abs(r) * (1 - np.abs(r)), tree.tree_.node_count)
                with np.errstate(invalid="ignore", divide="ignore"):
                    gamma = np.where(np.abs(den) >= 1e-150, (k_count - 1) / k_count * num / den, 0.0)
                trees.append(tree)
                values.append(gamma)
        else:
            residual = y - f[:, 0]
            delta = float(np.quantile(np.abs(residual[rows]), settings.alphaFraction))
            pseudo = np.where(np.abs(residual) <= delta, residual, delta * np.sign(residual))
            tree = _tree(DecisionTreeRegressor, settings, min_split, min_leaf, max_features, rng)
            tree.fit(xs, pseudo[rows])
            leaves = tree.apply(xs)
            r = residual[rows]
            gamma = np.zeros(tree.tree_.node_count)
            for leaf in np.unique(leaves):
                rl = r[leaves == leaf]
                med = float(np.median(rl))
                gamma[leaf] = med + float(np.mean(np.sign(rl - med) * np.minimum(delta, np.abs(rl - med))))
            trees.append(tree)
            values.append(gamma)
        model.trees.append(trees)
        model.leaf_values.append(values)
        model.tree_columns.append(cols)
        xall = x[:, cols]
        for k, (tree, v) in enumerate(zip(trees, values, strict=True)):
            f[:, k] += settings.learningRate * v[tree.apply(xall)]
    model.learning_rate = settings.learningRate


def _tree(
    cls: Any, s: GradientBoostingLearnerSettings, min_split: int, min_leaf: int, max_features: Any, rng: Any
) -> Any:
    return cls(
        max_depth=None if s.maxLevels == -1 else s.maxLevels,
        min_samples_split=max(2, min_split),
        min_samples_leaf=min_leaf,
        max_features=max_features,
        random_state=int(rng.integers(0, 2**31 - 1)),
    )


def _prepare(
    table: Table, settings: GradientBoostingLearnerSettings, classify: bool
) -> tuple[BoostedTrees, np.ndarray, np.ndarray]:
    spec, df = table.spec, table.df
    target = str(settings.targetColumn)
    attrs = forest_attributes(spec, settings)
    if classify:
        cells = text_values(df[target])
        keep = np.array([v is not None for v in cells], dtype=bool)
        classes = class_values(cells)
        code = {c: i for i, c in enumerate(classes)}
        y = np.array([code[v] for v, k in zip(cells, keep, strict=True) if k], dtype=int)
    else:
        values = pd.to_numeric(df[target]).to_numpy(dtype=float, na_value=np.nan)
        keep = ~np.isnan(values)
        classes, y = [], values[keep]
    if not keep.any():
        raise NodeError("no rows to learn from (the table is empty or every target value is missing)")
    kept = df[keep]
    levels = {
        a: class_values(cell_text(v) for v in kept[a].dropna().tolist())
        for a in attrs
        if spec.type_of(a) == ColumnType.STRING
    }
    model = BoostedTrees(target, attrs, {a: spec.type_of(a) for a in attrs}, levels, [], classes=classes)
    model.owner = [i for i, a in enumerate(attrs) for _ in (levels[a] if a in levels else [None])]
    return model, model.design(kept), y


def _gbt_learner_from_knime(knime: KnimeSettings) -> None:
    knime.take_all([*FOREST_KEYS, "learningRate", "alphaFraction"])
    if knime.tree.get("fingerprintColumn"):
        knime.lost("learning on a fingerprint (bit vector) column is not supported")


class _LearnerBase(ForestLearnerNode):
    inputs = (Port(TABLE, "Input data", "Attribute columns and the target column."),)
    Settings = GradientBoostingLearnerSettings
    classify = True
    kind = KIND_CLASSIFICATION

    def _check(self, spec: TableSpec, settings: GradientBoostingLearnerSettings) -> list[str]:
        if self.classify:
            check_column(spec, settings.targetColumn, "targetColumn", what="target", allowed=NOMINAL)
        else:
            check_column(spec, settings.targetColumn, "targetColumn", what="target", numeric=True)
        return forest_attributes(spec, settings)

    def configure(
        self, in_specs: list[Any], settings: GradientBoostingLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        attrs = self._check(spec, settings)
        return [ModelSpec(self.kind, spec.select(attrs), spec.get(str(settings.targetColumn)))]

    def execute(
        self, inputs: list[Any], settings: GradientBoostingLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        attrs = self._check(table.spec, settings)
        model, x, y = _prepare(table, settings, self.classify)
        boost(x, y, model, settings, self.classify, ctx)
        details = {"class_values": [cell_text(c) for c in model.classes]} if self.classify else {}
        spec = ModelSpec(self.kind, table.spec.select(attrs), table.spec.get(model.target), details)
        what = f"{len(model.classes)} classes" if self.classify else "regression"
        summary = f"{settings.nrModels} boosting iterations on {len(attrs)} attributes ({what})"
        return [Model(self.kind, model, summary, spec=spec)]


class GradientBoostedTreesLearner(_LearnerBase):
    """KNIME's Gradient Boosted Trees Learner (classification)."""

    type_name = "gradient_boosted_trees_learner"
    display_name = "Gradient Boosted Trees Learner"
    description = (
        "Learns gradient boosted trees for a nominal target: Friedman's K-class logistic boosting (algorithm 4.6), "
        "nrModels iterations of one shallow regression tree (depth maxLevels, default 4) per class, leaf values by "
        "Newton steps, shrunk by learningRate; optional row and attribute sampling (stochastic gradient boosting). "
        "scikit-learn trees, so KNIME's ensembles are matched in quality, not tree for tree."
    )
    keywords = ("gradient boosting", "boosted trees", "GBT", "classification", "tree ensemble")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble2.node.gradientboosting.learner.classification.GradientBoostingClassificationLearnerNodeFactory2",
            "Gradient Boosted Trees Learner",
            _gbt_learner_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble2.node.gradientboosting.learner.classification.GradientBoostingClassificationLearnerNodeFactory",
            "Gradient Boosted Trees Learner",
            _gbt_learner_from_knime,
        ),
    )
    outputs = (Port(GBT_CLASSIFICATION, "Gradient boosted trees model", "The trained model."),)


class GradientBoostedTreesLearnerRegression(_LearnerBase):
    """KNIME's Gradient Boosted Trees Learner (Regression)."""

    type_name = "gradient_boosted_trees_learner_regression"
    display_name = "Gradient Boosted Trees Learner (Regression)"
    description = (
        "Learns gradient boosted trees for a numeric target: Friedman's M_TreeBoost (algorithm 4.4) with the Huber "
        "loss, its threshold the alphaFraction quantile of the absolute residuals, starting from the median; "
        "nrModels shallow regression trees (depth maxLevels, default 4) shrunk by learningRate; optional row and "
        "attribute sampling. scikit-learn trees, so KNIME's ensembles are matched in quality, not tree for tree."
    )
    keywords = ("gradient boosting", "boosted trees", "GBT", "regression", "huber", "tree ensemble")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble2.node.gradientboosting.learner.regression.GradientBoostingRegressionLearnerNodeFactory2",
            "Gradient Boosted Trees Learner (Regression)",
            _gbt_learner_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble2.node.gradientboosting.learner.regression.GradientBoostingRegressionLearnerNodeFactory",
            "Gradient Boosted Trees Learner (Regression)",
            _gbt_learner_from_knime,
        ),
    )
    outputs = (Port(GBT_REGRESSION, "Gradient boosted trees model", "The trained model."),)
    classify = False
    kind = KIND_REGRESSION


# ------------------------------------------------------------------------------------- predictors


class GradientBoostingPredictorSettings(ForestClassificationPredictorSettings):
    """KNIME's TreeEnsemblePredictorConfiguration as the boosting predictors use it."""

    appendPredictionConfidence: bool = Field(
        True,
        description="Classification: append `<prediction column> (Confidence)`, the winning class's probability.",
    )
    appendClassConfidences: bool = Field(
        True, description="Classification: append `P (<target>=<class>)<suffix>` (softmax probabilities)."
    )
    suffixForClassProbabilities: str = Field("", description="Suffix of the class probability columns.")
    appendModelCount: bool = Field(
        False, description="Kept from KNIME's shared settings; boosting has no model count."
    )
    useSoftVoting: bool = Field(
        False, description="Kept from KNIME's shared settings; boosting does not vote."
    )
    legacyColumnOrder: bool = legacy_column_order(
        "Set for nodes saved by the pre-3.6 factory: prediction, `Confidence`, then `P(<target>=<v>)`."
    )


def _classification_columns(model: ModelSpec, spec: TableSpec, s: GradientBoostingPredictorSettings) -> Any:
    """TreeEnsemblePredictionUtil.setupRearrangerCreatorGBT's columns (None: class values unknown yet)."""
    target = model.target.name if model.target else ""
    name = prediction_column_name(model, s)
    probs: list[tuple[str, str]] = []
    if s.appendClassConfidences:
        labels = model.details.get("class_values")
        if labels is None:
            return None
        prefix = "P(" if s.legacyColumnOrder else "P ("
        probs = [(f"{prefix}{target}={v}){s.suffixForClassProbabilities}", ColumnType.DOUBLE) for v in labels]
    main = [(name, ColumnType.STRING)]
    if s.appendPredictionConfidence:  # before 3.6 the column was just "Confidence"
        main.append(("Confidence" if s.legacyColumnOrder else f"{name} (Confidence)", ColumnType.DOUBLE))
    return append_unique(spec, main + probs if s.legacyColumnOrder else probs + main)


def _predictor_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(PREDICTOR_KEYS)


def _legacy_predictor_from_knime(knime: KnimeSettings) -> None:
    _predictor_from_knime(knime)
    knime.put("legacyColumnOrder", True)


_PREDICTOR = "org.knime.base.node.mine.treeensemble2.node.gradientboosting.predictor"


class GradientBoostedTreesPredictor(Node):
    """KNIME's Gradient Boosted Trees Predictor (classification)."""

    type_name = "gradient_boosted_trees_predictor"
    display_name = "Gradient Boosted Trees Predictor"
    category = Category.PREDICTOR
    description = (
        "Applies classification gradient boosted trees: the class probabilities softmax(F(x)) as `P (<target>=<c>)"
        "<suffix>`, `Prediction (<target>)` (the most probable class, the first one on a tie) and its `(Confidence)`."
    )
    keywords = ("gradient boosting", "predict", "classification", "GBT")
    knime = (
        KnimeMapping(
            f"{_PREDICTOR}.classification.GradientBoostingClassificationPredictorNodeFactory2",
            "Gradient Boosted Trees Predictor",
            _predictor_from_knime,
        ),
        KnimeMapping(
            f"{_PREDICTOR}.classification.GradientBoostingClassificationPredictorNodeFactory",
            "Gradient Boosted Trees Predictor",
            _legacy_predictor_from_knime,
        ),
    )
    inputs = (
        Port(GBT_CLASSIFICATION, "Gradient boosted trees model", "A classification model."),
        ROWS_TO_PREDICT,
    )
    outputs = (PREDICTIONS_PORT,)
    Settings = GradientBoostingPredictorSettings

    def configure(
        self, in_specs: list[Any], settings: GradientBoostingPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        checked = predictor_inputs(in_specs, KIND_CLASSIFICATION)
        if checked is None:
            return [UNKNOWN]
        columns = _classification_columns(*checked, settings)
        return [UNKNOWN if columns is None else checked[1].append(*columns)]

    def execute(
        self, inputs: list[Any], settings: GradientBoostingPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model: BoostedTrees = inputs[0].payload
        table: Table = inputs[1]
        check_learning_columns(inputs[0].spec, table.spec)
        columns = _classification_columns(inputs[0].spec, table.spec, settings)
        probs = softmax(model.raw(model.design(table.df)))
        labels = [cell_text(c) for c in model.classes]
        best = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=int)
        values: dict[str, Any] = {"prediction": pd.array([labels[b] for b in best], dtype=object)}
        values["confidence"] = probs[np.arange(len(probs)), best] if len(probs) else np.zeros(0)
        order = (
            ["prediction", "confidence", "probs"]
            if settings.legacyColumnOrder
            else ["probs", "prediction", "confidence"]
        )
        df = table.df.copy()
        names = iter(c for c, _ in columns)
        for part in order:
            if part == "probs" and settings.appendClassConfidences:
                for j in range(len(labels)):
                    df[next(names)] = probs[:, j]
            elif part == "prediction":
                df[next(names)] = values["prediction"]
            elif part == "confidence" and settings.appendPredictionConfidence:
                df[next(names)] = values["confidence"]
        return [table.with_frame(df, dict(columns))]


class GradientBoostedTreesPredictorRegression(Node):
    """KNIME's Gradient Boosted Trees Predictor (Regression)."""

    type_name = "gradient_boosted_trees_predictor_regression"
    display_name = "Gradient Boosted Trees Predictor (Regression)"
    category = Category.PREDICTOR
    description = (
        "Applies regression gradient boosted trees: appends `Prediction (<target>)` = F(x) (Double)."
    )
    keywords = ("gradient boosting", "predict", "regression", "GBT")
    knime = (
        KnimeMapping(
            f"{_PREDICTOR}.regression.GradientBoostingRegressionPredictorNodeFactory2",
            "Gradient Boosted Trees Predictor (Regression)",
            _predictor_from_knime,
        ),
        KnimeMapping(
            f"{_PREDICTOR}.regression.GradientBoostingRegressionPredictorNodeFactory",
            "Gradient Boosted Trees Predictor (Regression)",
            _predictor_from_knime,
        ),
    )
    inputs = (
        Port(GBT_REGRESSION, "Gradient boosted trees model", "A regression model."),
        ROWS_TO_PREDICT,
    )
    outputs = (Port(TABLE, "Predictions", "The input plus the prediction column."),)
    Settings = GradientBoostingPredictorSettings

    def configure(
        self, in_specs: list[Any], settings: GradientBoostingPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        checked = predictor_inputs(in_specs, KIND_REGRESSION)
        if checked is None:
            return [UNKNOWN]
        model, spec = checked
        return [
            spec.append(*append_unique(spec, [(prediction_column_name(model, settings), ColumnType.DOUBLE)]))
        ]

    def execute(
        self, inputs: list[Any], settings: GradientBoostingPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model: BoostedTrees = inputs[0].payload
        table: Table = inputs[1]
        check_learning_columns(inputs[0].spec, table.spec)
        ((name, kind),) = append_unique(
            table.spec, [(prediction_column_name(inputs[0].spec, settings), ColumnType.DOUBLE)]
        )
        df = table.df.copy()
        df[name] = model.raw(model.design(table.df))[:, 0]
        return [table.with_frame(df, {name: kind})]
