"""Random forest regression: KNIME's Random Forest Learner (Regression) and Predictor (Regression),
built from scikit-learn regression trees.

Each tree is a `sklearn.tree.DecisionTreeRegressor` (what `RandomForestRegressor` grows internally)
fitted on KNIME's row sample, so that KNIME's sampling options (fraction, with or without
replacement, attribute sample per node or per tree) can all be honoured. The trees are not KNIME's
(different random numbers, float32 split search), so predictions agree in distribution, not digit
for digit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

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
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._forest_options import (
    FOREST_KEYS,
    PREDICTIONS_PORT,
    ROWS_TO_PREDICT,
    STATS_SPEC,
    ForestLearnerNode,
    ForestRegressionPredictorSettings,
    RandomForestLearnerSettings,
    RandomForestModel,
    SplitStatistics,
    TreeShape,
    attribute_owner,
    first_plugin_column_filter,
    forest_attributes,
    forest_learner_outputs,
    learner_input,
    tree_attributes,
    tree_shape,
    unsupported_forest_options,
)
from nodes._mining import cell_text, check_column
from nodes._tree_ensemble_model import ENSEMBLE_REGRESSION as RF_REGRESSION

# ------------------------------------------------------------------------------------- model


def _mean_variance(
    preds: np.ndarray, use: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, bias-corrected variance (commons-math: 0 for one tree, NaN for none) and tree count per row."""
    if use is None:
        use = np.ones(preds.shape, dtype=bool)
    count = use.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.where(use, preds, 0.0).sum(axis=0)
        mean = total / count
        dev = np.where(use, preds - mean, 0.0)
        var = (dev * dev).sum(axis=0) / (count - 1)
    mean = np.where(count > 0, mean, np.nan)
    var = np.where(count > 1, var, np.where(count == 1, 0.0, np.nan))
    return mean, var, count


def _model_spec(spec: TableSpec, target: str, attrs: list[str]) -> ModelSpec:
    return ModelSpec("random_forest_regression", spec.select(attrs), spec.get(target))


def _output_names(target: str, existing: list[str]) -> tuple[str, str, str]:
    names: list[str] = []
    for base in (f"{target} (Out-of-bag)", f"{target} (Out-of-bag) (Prediction Variance)", "model count"):
        names.append(unique_column_name([*existing, *names], base))
    return names[0], names[1], names[2]


def _rf_learner_from_knime(knime: KnimeSettings) -> None:
    """TreeEnsembleLearnerConfiguration keys (treeensemble2, and the first tree ensemble plugin's
    subset of them)."""
    tree = knime.tree
    knime.take_all(FOREST_KEYS)
    if "columnFilterConfig" not in tree:
        first_plugin_column_filter(knime)
    unsupported_forest_options(knime)
    # hiliting and the tree view's class distributions change no prediction
    knime.unread(
        "fingerprintColumn", "hardCodedRootColumn", "nrHilitePatterns", "saveTargetDistributionInNodes"
    )


class RandomForestLearnerRegression(ForestLearnerNode):
    """KNIME's Random Forest Learner (Regression)."""

    type_name = "random_forest_learner_regression"
    display_name = "Random Forest Learner (Regression)"
    description = (
        "Learns a random forest of regression trees (scikit-learn DecisionTreeRegressor, squared-error splits): "
        "nrModels trees, each on a row sample (dataFraction, with or without replacement) and an attribute sample "
        "drawn at every node or once per tree. Port 1: the training rows with the out-of-bag prediction "
        "`<target> (Out-of-bag)` (mean over the trees that did not see the row), its variance over those trees and "
        "`model count`; port 2: per attribute the number of splits and of candidacies on the levels 0-2 (the "
        "candidacies are known only when attributes are sampled per tree or not at all; with a new sample at every "
        "node scikit-learn does not report them and the cells are missing); port 3: the model."
    )
    keywords = ("random forest", "regression", "tree ensemble", "bagging", "scikit-learn")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble2.node.randomforest.learner.regression.RandomForestRegressionLearnerNodeFactory",
            "Random Forest Learner (Regression)",
            _rf_learner_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble.node.randomforest.learner.regression.RandomForestRegressionLearnerNodeFactory",
            "Random Forest Learner (Regression) (legacy)",
            _rf_learner_from_knime,
            note="the first tree ensemble plugin: a subset of the same settings and the same ports; its trees "
            "differ from KNIME's as the newer node's do (own random numbers)",
        ),
    )
    inputs = (learner_input("numeric"),)
    outputs = forest_learner_outputs(
        "The input plus the out-of-bag prediction, its variance and model count.",
        Port(RF_REGRESSION, "Random forest model", "The trained forest."),
    )
    Settings = RandomForestLearnerSettings

    def configure(
        self, in_specs: list[Any], settings: RandomForestLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            if not settings.targetColumn:
                raise ConfigureError("Target column not set", setting="targetColumn")
            return [UNKNOWN, STATS_SPEC, UNKNOWN]
        check_column(spec, settings.targetColumn, "targetColumn", what="target", numeric=True)
        attrs = forest_attributes(spec, settings)
        names = _output_names(str(settings.targetColumn), spec.names)
        out = spec.append(
            (names[0], ColumnType.DOUBLE), (names[1], ColumnType.DOUBLE), (names[2], ColumnType.INTEGER)
        )
        return [out, STATS_SPEC, _model_spec(spec, str(settings.targetColumn), attrs)]

    def execute(
        self, inputs: list[Any], settings: RandomForestLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        spec = table.spec
        self.configure([spec], settings, ctx)
        target = str(settings.targetColumn)
        attrs = forest_attributes(spec, settings)
        df = table.df
        y_all = pd.to_numeric(df[target]).to_numpy(dtype=float, na_value=np.nan)
        train = np.flatnonzero(~np.isnan(y_all))
        if len(train) < len(df):
            ctx.log(f"{len(df) - len(train)} row(s) with a missing target value were ignored")
        if len(train) == 0:
            raise NodeError("no rows to learn from (the table is empty or every target value is missing)")

        levels = {}
        for a in attrs:
            if spec.type_of(a) == ColumnType.STRING:
                levels[a] = list(dict.fromkeys(cell_text(v) for v in df[a].dropna().tolist()))
        model = RandomForestModel(
            target, attrs, {a: spec.type_of(a) for a in attrs}, levels, attribute_owner(attrs, levels)
        )
        x = model.design(df)
        in_bag, stats = _grow_trees(model, x, y_all, train, settings, ctx)

        mean, var, count = _mean_variance(model.tree_predictions(x), ~in_bag)
        names = _output_names(target, spec.names)
        out = df.copy()
        out[names[0]] = mean
        out[names[1]] = var
        out[names[2]] = count.astype(np.int32)
        oob = table.with_frame(
            out, {names[0]: ColumnType.DOUBLE, names[1]: ColumnType.DOUBLE, names[2]: ColumnType.INTEGER}
        )
        summary = f"{settings.nrModels} classifiers on {len(attrs)} attributes"
        return [
            oob,
            stats.table(attrs),
            Model("random_forest_regression", model, summary, spec=_model_spec(spec, target, attrs)),
        ]


def _draw_rows(
    rng: np.random.Generator, train: np.ndarray, settings: RandomForestLearnerSettings
) -> np.ndarray:
    """A tree's row sample: round(fraction * rows) rows, with replacement or without (then sorted)."""
    n_draw = max(1, int(math.floor(settings.dataFraction * len(train) + 0.5)))
    if settings.isDataSelectionWithReplacement:
        return train[rng.integers(0, len(train), size=n_draw)]
    n_draw = min(n_draw, len(train))
    return train[np.sort(rng.choice(len(train), size=n_draw, replace=False))]


def _grow_trees(
    model: RandomForestModel,
    x: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    settings: RandomForestLearnerSettings,
    ctx: NodeContext,
) -> tuple[np.ndarray, SplitStatistics]:
    """Grows the model's trees; returns which rows each tree saw (for the out-of-bag predictions)."""
    from sklearn import config_context
    from sklearn.tree import DecisionTreeRegressor

    n_attr = len(model.attributes)
    owner = np.array(model.owner, dtype=int)
    shape: TreeShape = tree_shape(settings, n_attr, x.shape[1], bool(model.levels))
    # without missing values the trees' per-fit input checks can be skipped (float32 is what they convert to)
    fast = not np.isnan(x).any()
    x32 = x.astype(np.float32) if fast else x
    rng = np.random.default_rng(ctx.seed(settings.seed))
    in_bag = np.zeros((settings.nrModels, len(x)), dtype=bool)
    stats = SplitStatistics(n_attr, shape.per_node)
    for t in range(settings.nrModels):
        ctx.check_cancelled()
        ctx.progress(t / settings.nrModels, f"learning tree {t + 1} of {settings.nrModels}")
        rows = _draw_rows(rng, train, settings)
        in_bag[t, rows] = True
        chosen, cols = tree_attributes(rng, shape, owner, n_attr, x.shape[1])
        tree = DecisionTreeRegressor(
            max_depth=shape.max_depth,
            min_samples_split=shape.min_samples_split,
            min_samples_leaf=shape.min_samples_leaf,
            max_features=shape.max_features,
            random_state=int(rng.integers(0, 2**31 - 1)),
        )
        # every tree has tree 0's parameters, which scikit-learn checked: the checks are skipped after it
        with config_context(skip_parameter_validation=t > 0):
            if fast:
                tree.fit(np.ascontiguousarray(x32[np.ix_(rows, cols)]), y[rows], check_input=False)
            else:
                tree.fit(x[np.ix_(rows, cols)], y[rows])
        model.trees.append(tree)
        model.tree_columns.append(cols)
        stats.add(tree, cols, chosen, owner)
    return in_bag, stats


# --------------------------------------------------------------------------------- predictor


class RandomForestPredictorSettings(ForestRegressionPredictorSettings):
    """KNIME's RandomForestRegressionPredictor settings (TreeEnsemblePredictorConfiguration keys)."""


def _predictor_columns(
    target: str, spec: TableSpec, settings: RandomForestPredictorSettings
) -> list[tuple[str, str]]:
    base = settings.predictionColumnName if settings.changePredictionColumnName else f"Prediction ({target})"
    if not base:
        raise ConfigureError("the prediction column name is empty", setting="predictionColumnName")
    wanted = [(base, ColumnType.DOUBLE)]
    if settings.appendPredictionConfidence:
        wanted.append((f"{base} (Prediction Variance)", ColumnType.DOUBLE))
    if settings.appendModelCount:
        wanted.append(("model count", ColumnType.INTEGER))
    out: list[tuple[str, str]] = []
    for name, kind in wanted:
        out.append((unique_column_name([*spec.names, *(n for n, _ in out)], name), kind))
    return out


def _check_attributes(model: ModelSpec, spec: TableSpec) -> None:
    for learned in model.learning_columns.columns:
        a, kind = learned.name, learned.type
        col = spec.get(a)
        if col is None:
            raise ConfigureError(f"the prediction table does not contain the learning column {a!r}")
        want_numeric = kind in ColumnType.NUMERIC
        if want_numeric and not col.is_numeric():
            raise ConfigureError(f"the learning column {a!r} is expected to be numeric (type {col.type})")
        if not want_numeric and col.type != kind:
            raise ConfigureError(f"the learning column {a!r} is expected to be {kind} (type {col.type})")


class RandomForestPredictorRegression(Node):
    """KNIME's Random Forest Predictor (Regression)."""

    type_name = "random_forest_predictor_regression"
    display_name = "Random Forest Predictor (Regression)"
    category = Category.PREDICTOR
    description = (
        "Applies a regression random forest: appends `Prediction (<target>)` (the mean of the tree predictions), "
        "optionally `Prediction (<target>) (Prediction Variance)` (their variance, n - 1) and `model count`."
    )
    keywords = ("random forest", "predict", "regression", "tree ensemble")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble2.node.randomforest.predictor.regression.RandomForestRegressionPredictorNodeFactory",
            "Random Forest Predictor (Regression)",
            skip=("appendClassConfidences", "suffixForClassProbabilities", "useSoftVoting"),
        ),
        KnimeMapping(
            "org.knime.base.node.mine.treeensemble.node.randomforest.predictor.regression.RandomForestRegressionPredictorNodeFactory",
            "Random Forest Predictor (Regression) (legacy)",
            skip=("appendClassConfidences", "suffixForClassProbabilities", "useSoftVoting"),
            note="the first tree ensemble plugin's predictor: the same settings",
        ),
    )
    inputs = (
        Port(RF_REGRESSION, "Random forest model", "A regression random forest."),
        ROWS_TO_PREDICT,
    )
    outputs = (PREDICTIONS_PORT,)
    Settings = RandomForestPredictorSettings

    def configure(
        self, in_specs: list[Any], settings: RandomForestPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model, spec = in_specs
        if not isinstance(model, ModelSpec) or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _check_attributes(model, spec)
        assert model.target is not None
        return [spec.append(*_predictor_columns(model.target.name, spec, settings))]

    def execute(
        self, inputs: list[Any], settings: RandomForestPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model: RandomForestModel = inputs[0].payload
        table: Table = inputs[1]
        _check_attributes(inputs[0].spec, table.spec)
        columns = _predictor_columns(model.target, table.spec, settings)
        mean, var, count = _mean_variance(model.tree_predictions(model.design(table.df)))
        df = table.df.copy()
        values = [mean] + ([var] if settings.appendPredictionConfidence else [])
        if settings.appendModelCount:
            values.append(count.astype(np.int32))
        for (name, _), value in zip(columns, values, strict=True):
            df[name] = value
        return [table.with_frame(df, dict(columns))]
