"""KNIME's Tree Ensemble Learner / Predictor (classification and regression) and Simple Regression
Tree Learner / Predictor (org.knime.base.node.mine.treeensemble2, and the first tree ensemble
plugin's versions of them).

The Tree Ensemble nodes are the random forest nodes with every TreeEnsembleLearnerConfiguration
option open (split criterion, tree depth, node sizes, row sampling mode, fraction and bootstrapping,
attribute sampling per tree or per node); they share the forests' model ports. The trees are
scikit-learn trees fitted on KNIME's row and attribute samples. KNIME's random numbers cannot be
reproduced, so ensembles agree with KNIME's in distribution, not tree for tree; the information
gain ratio is grown with the information gain (entropy), and String attributes are one-hot encoded
(binary "value or not" splits, where KNIME splits nominal columns into value subsets or one branch
per value). The Simple Regression Tree is one such tree; without sampling (its defaults) it is
KNIME's least-squares tree on numeric attributes, up to ties between equally good splits.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ConfigureError,
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._forest_options import (
    FOREST_KEYS,
    STATS_SPEC,
    RandomForestLearnerSettings,
    RandomForestModel,
    first_plugin_column_filter,
    forest_attributes,
    unsupported_forest_options,
)
from nodes._learning import check_learning_columns, class_values, model_spec_of, text_values
from nodes._mining import NOMINAL, cell_text, check_column
from nodes._tree_ensemble_model import (
    COMPATIBILITY_HELP,
    ENSEMBLE_CLASSIFICATION,
    ENSEMBLE_REGRESSION,
    KIND_CLASSIFICATION,
    KIND_REGRESSION,
    KIND_TREE,
    REGRESSION_TREE,
    Compatibility,
    EnsembleClassifier,
    appended,
    class_votes,
    classification_outputs,
    classification_values,
    grow,
    learning_attributes,
    mean_and_variance,
    missing_attribute_rows,
    new_model,
    regression_outputs,
    regression_values,
)

TE2 = "org.knime.base.node.mine.treeensemble2.node"
TE1 = "org.knime.base.node.mine.treeensemble.node"
FIRST_PLUGIN_NOTE = (
    "the first tree ensemble plugin (KNIME 2.x): the same settings and ports; its nominal splits had one branch "
    "per value and it predicted nothing for rows with missing values"
)
SPLIT_HELP = (
    " Numeric splits are `<=` thresholds, String attributes are one-hot encoded (KNIME splits nominal columns into "
    "value subsets); missing values go the way each split learned (KNIME's XGBoost mode)."
)


class TreeEnsembleLearnerSettings(RandomForestLearnerSettings):
    """KNIME's TreeEnsembleLearnerConfiguration for classification."""

    targetColumn: str | None = Field(
        None, description="The nominal (String or Boolean) target column.", json_schema_extra=widget("column")
    )
    splitCriterion: Literal["InformationGainRatio", "InformationGain", "Gini"] = Field(
        "InformationGainRatio",
        description="Gini (scikit-learn gini), InformationGain (entropy) or InformationGainRatio (grown with the "
        "information gain: scikit-learn has no gain ratio).",
    )
    rowSamplingMode: Literal["Random", "Stratified", "EqualSize"] = Field(  # type: ignore[assignment]
        "Random",
        description="Each tree's rows: Random (dataFraction of all rows); Stratified (dataFraction of every class); "
        "EqualSize (from every class dataFraction of the smallest class's rows).",
    )
    useAverageSplitPoints: bool = Field(
        True,
        description="Numeric split values halfway between neighbouring values; off: the largest value of the `<=` "
        "branch.",
    )
    useBinaryNominalSplits: bool = Field(
        True,
        description="KNIME: binary value-subset splits (else one branch per value); knitflow: one-hot splits.",
    )
    compatibility: Compatibility = Field("current", description=COMPATIBILITY_HELP)


class TreeEnsembleRegressionLearnerSettings(RandomForestLearnerSettings):
    """KNIME's TreeEnsembleLearnerConfiguration for regression (squared-error splits)."""

    targetColumn: str | None = Field(
        None, description="The numeric target column.", json_schema_extra=widget("column")
    )
    useAverageSplitPoints: bool = Field(
        True,
        description="Numeric split values halfway between neighbouring values; off: the largest value of the `<=` "
        "branch.",
    )
    compatibility: Compatibility = Field("current", description=COMPATIBILITY_HELP)


class RegressionTreeLearnerSettings(TreeEnsembleRegressionLearnerSettings):
    """The Simple Regression Tree's TreeEnsembleLearnerConfiguration: one tree, by default on every
    row and every attribute."""

    isDataSelectionWithReplacement: bool = Field(
        False,
        description="Draw the tree's rows with replacement (bootstrap); off with dataFraction 1: all rows.",
    )
    columnSamplingMode: Literal["SquareRoot", "Linear", "Absolute", "None"] = Field(
        "None",
        description="Attribute sample: None (all attributes), SquareRoot, Linear (columnFractionPerTree) or Absolute "
        "(columnAbsolutePerTree).",
    )
    isUseDifferentAttributesAtEachNode: bool = Field(
        False, description="With an attribute sample: a new one at every node (else one for the tree)."
    )
    nrModels: SkipJsonSchema[int] = Field(1, ge=1, le=1, description="One tree.")


def _tree_params(shape: Any) -> dict[str, Any]:
    return {
        "max_depth": shape.max_depth,
        "min_samples_split": shape.min_samples_split,
        "min_samples_leaf": shape.min_samples_leaf,
        "max_features": shape.max_features,
    }


class _OutOfBag:
    """The learners' out-of-bag columns (createOOBConfig): everything appended, hard votes."""

    appendPredictionConfidence = True
    appendClassConfidences = True
    suffixForClassProbabilities = ""
    appendModelCount = True


def _blank_rows(model: RandomForestModel, df: pd.DataFrame, compat: Compatibility) -> np.ndarray:
    if compat == "first_plugin":
        return missing_attribute_rows(model, df)
    return np.zeros(len(df), dtype=bool)


# ------------------------------------------------------------------------------ KNIME mappings


def _learner_from_knime(knime: KnimeSettings, compat: Compatibility, single_tree: bool = False) -> None:
    """TreeEnsembleLearnerConfiguration.loadInModel's keys; the first plugin's attribute columns."""
    tree = knime.tree
    knime.take_all([k for k in FOREST_KEYS if not (single_tree and k == "nrModels")])
    if "columnFilterConfig" not in tree:
        first_plugin_column_filter(knime)
    if "useBinaryNominalSplits" not in tree:
        knime.put("useBinaryNominalSplits", False)  # loadInModel's default for older settings
    if compat != "current":
        knime.put("compatibility", compat)
    unsupported_forest_options(knime)
    # hiliting and the tree view's stored class distributions change no output; a single tree has no count
    also = ["fingerprintColumn", "hardCodedRootColumn", "nrHilitePatterns", "saveTargetDistributionInNodes"]
    knime.unread(*also, *(["nrModels"] if single_tree else []))


PREDICTOR_KEYS = ["predictionColumnName", "changePredictionColumnName", "appendPredictionConfidence"]
CLASS_KEYS = ["appendClassConfidences", "suffixForClassProbabilities", "useSoftVoting"]


def _predictor_from_knime(
    knime: KnimeSettings, compat: Compatibility, keys: list[str], ignored: list[str]
) -> None:
    """AbstractPredictorConfiguration: without `changePredictionColumnName` (older settings) the stored
    prediction column name is used."""
    knime.take_all(keys)
    if "changePredictionColumnName" not in knime.tree:
        knime.put("changePredictionColumnName", True)
    if compat != "current":
        knime.put("compatibility", compat)
    knime.unread(*ignored)


def _classification_predictor(compat: Compatibility) -> Any:
    return partial(
        _predictor_from_knime,
        compat=compat,
        keys=[*PREDICTOR_KEYS, *CLASS_KEYS, "appendModelCount"],
        ignored=[],
    )


def _regression_predictor(compat: Compatibility) -> Any:
    # the classification options of the shared predictor configuration do nothing for regression
    return partial(
        _predictor_from_knime, compat=compat, keys=[*PREDICTOR_KEYS, "appendModelCount"], ignored=CLASS_KEYS
    )


# ------------------------------------------------------------------------------------- learners


def _nominal_target(spec: TableSpec, settings: TreeEnsembleLearnerSettings) -> str:
    target = settings.targetColumn
    if not target:
        raise ConfigureError("Target column not set", setting="targetColumn")
    col = spec.get(target)
    if col is None or col.type not in NOMINAL:
        raise ConfigureError(
            f'Target column "{target}" does not exist or is not of the correct type', setting="targetColumn"
        )
    return target


def _numeric_target(spec: TableSpec, settings: TreeEnsembleRegressionLearnerSettings) -> str:
    check_column(spec, settings.targetColumn, "targetColumn", what="target", numeric=True)
    return str(settings.targetColumn)


class TreeEnsembleLearner(Node):
    """KNIME's Tree Ensemble Learner (classification)."""

    type_name = "tree_ensemble_learner"
    display_name = "Tree Ensemble Learner"
    category = Category.LEARNER
    description = (
        "Learns an ensemble of classification trees (scikit-learn DecisionTreeClassifier: Gini or entropy; KNIME's "
        "gain ratio is grown with entropy), nrModels trees each on its row sample (Random, Stratified or EqualSize; "
        "dataFraction, with or without replacement) and attribute sample (per tree or per node), with KNIME's depth "
        "and node-size limits."
        + SPLIT_HELP
        + " Port 1: the training rows with the out-of-bag class confidences, the "
        "vote `<target> (Out-of-bag)`, its confidence and `model count`; port 2: splits and candidacies per attribute "
        "on the levels 0-2; port 3: the model (also for the Random Forest Predictor). String columns with more than "
        "60 values count as having no domain. KNIME's random numbers cannot be reproduced: the trees differ from "
        "KNIME's, the accuracy agrees in distribution."
    )
    keywords = (
        "tree ensemble",
        "random forest",
        "classification",
        "bagging",
        "decision trees",
        "scikit-learn",
    )
    knime = (
        KnimeMapping(
            f"{TE2}.learner.classification.TreeEnsembleClassificationLearnerNodeFactory2",
            "Tree Ensemble Learner",
            partial(_learner_from_knime, compat="current"),
        ),
        KnimeMapping(
            f"{TE2}.learner.classification.TreeEnsembleClassificationLearnerNodeFactory",
            "Tree Ensemble Learner",
            partial(_learner_from_knime, compat="pre_3_6"),
            note="the node as saved before KNIME 3.6: its out-of-bag columns in the older order",
        ),
        KnimeMapping(
            f"{TE1}.learner.classification.TreeEnsembleClassificationLearnerNodeFactory",
            "Tree Ensemble Learner (legacy)",
            partial(_learner_from_knime, compat="first_plugin"),
            note=FIRST_PLUGIN_NOTE,
        ),
        KnimeMapping(
            f"{TE1}.learner.TreeEnsembleLearnerNodeFactory",
            "Tree Ensemble Learner (legacy)",
            partial(_learner_from_knime, compat="first_plugin"),
            note=f"the KNIME 2.5 name of the first plugin's learner; {FIRST_PLUGIN_NOTE}",
        ),
    )
    inputs = (Port(TABLE, "Input data", "Attribute columns and a nominal target column."),)
    outputs = (
        Port(
            TABLE,
            "Out-of-bag predictions",
            "The input plus the out-of-bag class confidences, vote and count.",
        ),
        Port(TABLE, "Attribute statistics", "#splits and #candidates per attribute on the levels 0, 1, 2."),
        Port(ENSEMBLE_CLASSIFICATION, "Tree ensemble model", "The trained trees."),
    )
    Settings = TreeEnsembleLearnerSettings

    def is_deterministic(self, settings: TreeEnsembleLearnerSettings) -> bool:
        return settings.seed is not None

    def configure(
        self, in_specs: list[Any], settings: TreeEnsembleLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, STATS_SPEC, UNKNOWN]
        target = _nominal_target(spec, settings)
        attrs = forest_attributes(spec, settings)
        model = ModelSpec(KIND_CLASSIFICATION, spec.select(attrs), spec.get(target))
        return [UNKNOWN, STATS_SPEC, model]  # the class columns need the class values

    def execute(
        self, inputs: list[Any], settings: TreeEnsembleLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        from sklearn.tree import DecisionTreeClassifier

        table: Table = inputs[0]
        spec, df = table.spec, table.df
        target = _nominal_target(spec, settings)
        attrs = learning_attributes(table, settings, ctx)
        cells = text_values(df[target])
        classes = class_values(cells)
        if not classes:
            raise NodeError("no rows to learn from (the table is empty or every target value is missing)")
        code = {c: i for i, c in enumerate(classes)}
        y = np.array([-1 if v is None else code[v] for v in cells], dtype=int)
        train = np.flatnonzero(y >= 0)
        model = new_model(table, target, attrs, classes)
        assert isinstance(model, EnsembleClassifier)
        x = model.design(df)
        criterion = "gini" if settings.splitCriterion == "Gini" else "entropy"

        def new_tree(shape: Any, seed: int) -> Any:
            return DecisionTreeClassifier(criterion=criterion, random_state=seed, **_tree_params(shape))

        growth = grow(model, x, y, train, settings, ctx, new_tree, trees=settings.nrModels, classes=y)
        labels = [cell_text(c) for c in classes]
        conf, count = class_votes(model.tree_probabilities(x), ~growth.in_bag, soft=False)
        outputs = classification_outputs(
            spec, target, labels, f"{target} (Out-of-bag)", _OutOfBag, settings.compatibility
        )
        assert outputs is not None
        blank = _blank_rows(model, df, settings.compatibility)
        oob = appended(table, outputs, classification_values(outputs, labels, conf, count, blank))
        mspec = ModelSpec(KIND_CLASSIFICATION, spec.select(attrs), spec.get(target), {"class_values": labels})
        summary = f"{settings.nrModels} classifiers on {len(attrs)} attributes"
        return [oob, growth.stats.table(attrs), Model(KIND_CLASSIFICATION, model, summary, spec=mspec)]


def _regression_data(
    table: Table, settings: TreeEnsembleRegressionLearnerSettings, ctx: NodeContext
) -> tuple[RandomForestModel, np.ndarray, np.ndarray, np.ndarray]:
    """The model to grow, its design matrix, the target and the rows with a target value."""
    target = _numeric_target(table.spec, settings)
    attrs = learning_attributes(table, settings, ctx)
    y = pd.to_numeric(table.df[target]).to_numpy(dtype=float, na_value=np.nan)
    train = np.flatnonzero(~np.isnan(y))
    if len(train) == 0:
        raise NodeError("no rows to learn from (the table is empty or every target value is missing)")
    model = new_model(table, target, attrs)
    return model, model.design(table.df), y, train


def _regression_tree(shape: Any, seed: int) -> Any:
    from sklearn.tree import DecisionTreeRegressor

    return DecisionTreeRegressor(random_state=seed, **_tree_params(shape))


class TreeEnsembleLearnerRegression(Node):
    """KNIME's Tree Ensemble Learner (Regression)."""

    type_name = "tree_ensemble_learner_regression"
    display_name = "Tree Ensemble Learner (Regression)"
    category = Category.LEARNER
    description = (
        "Learns an ensemble of regression trees (scikit-learn DecisionTreeRegressor: splits minimise the squared "
        "error), nrModels trees each on its row sample (dataFraction, with or without replacement) and attribute "
        "sample (per tree or per node), with KNIME's depth and node-size limits."
        + SPLIT_HELP
        + " Port 1: the "
        "training rows with `<target> (Out-of-bag)` (mean of the trees that did not see the row), its variance and "
        "`model count`; port 2: splits and candidacies per attribute on the levels 0-2; port 3: the model (also for "
        "the Random Forest Predictor (Regression)). String columns with more than 60 values count as having no "
        "domain. KNIME's random numbers cannot be reproduced: the trees differ from KNIME's, the errors agree in "
        "distribution."
    )
    keywords = ("tree ensemble", "random forest", "regression", "bagging", "regression trees", "scikit-learn")
    knime = (
        KnimeMapping(
            f"{TE2}.learner.regression.TreeEnsembleRegressionLearnerNodeFactory",
            "Tree Ensemble Learner (Regression)",
            partial(_learner_from_knime, compat="current"),
        ),
        KnimeMapping(
            f"{TE1}.learner.regression.TreeEnsembleRegressionLearnerNodeFactory",
            "Tree Ensemble Learner (Regression) (legacy)",
            partial(_learner_from_knime, compat="first_plugin"),
            note=FIRST_PLUGIN_NOTE,
        ),
    )
    inputs = (Port(TABLE, "Input data", "Attribute columns and a numeric target column."),)
    outputs = (
        Port(
            TABLE,
            "Out-of-bag predictions",
            "The input plus the out-of-bag prediction, its variance and count.",
        ),
        Port(TABLE, "Attribute statistics", "#splits and #candidates per attribute on the levels 0, 1, 2."),
        Port(ENSEMBLE_REGRESSION, "Tree ensemble model", "The trained trees."),
    )
    Settings = TreeEnsembleRegressionLearnerSettings

    def is_deterministic(self, settings: TreeEnsembleRegressionLearnerSettings) -> bool:
        return settings.seed is not None

    def configure(
        self, in_specs: list[Any], settings: TreeEnsembleRegressionLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, STATS_SPEC, UNKNOWN]
        target = _numeric_target(spec, settings)
        attrs = forest_attributes(spec, settings)
        outputs = regression_outputs(spec, f"{target} (Out-of-bag)", _OutOfBag)
        model = ModelSpec(KIND_REGRESSION, spec.select(attrs), spec.get(target))
        return [spec.append(*((o.name, o.type) for o in outputs)), STATS_SPEC, model]

    def execute(
        self, inputs: list[Any], settings: TreeEnsembleRegressionLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        model, x, y, train = _regression_data(table, settings, ctx)
        growth = grow(model, x, y, train, settings, ctx, _regression_tree, trees=settings.nrModels)
        mean, var, count = mean_and_variance(model.tree_predictions(x), ~growth.in_bag)
        outputs = regression_outputs(table.spec, f"{model.target} (Out-of-bag)", _OutOfBag)
        blank = _blank_rows(model, table.df, settings.compatibility)
        oob = appended(table, outputs, regression_values(outputs, mean, var, count, blank))
        spec = table.spec
        mspec = ModelSpec(KIND_REGRESSION, spec.select(model.attributes), spec.get(model.target))
        summary = f"{settings.nrModels} classifiers on {len(model.attributes)} attributes"
        return [oob, growth.stats.table(model.attributes), Model(KIND_REGRESSION, model, summary, spec=mspec)]


def _samples(settings: RegressionTreeLearnerSettings) -> bool:
    """Whether the tree depends on random numbers beyond scikit-learn's tie-breaking."""
    rows = settings.dataFraction < 1 or settings.isDataSelectionWithReplacement
    return rows or settings.columnSamplingMode != "None"


class RegressionTreeLearner(Node):
    """KNIME's Simple Regression Tree Learner."""

    type_name = "simple_regression_tree_learner"
    display_name = "Simple Regression Tree Learner"
    category = Category.LEARNER
    description = (
        "Learns one regression tree (CART-style: every split minimises the squared error of its children, a leaf "
        "predicts the mean of its rows; no pruning) with scikit-learn's DecisionTreeRegressor, within maxLevels, "
        "minNodeSize and minChildSize; a stored row or attribute sample is honoured (by default there is none)."
        + SPLIT_HELP
        + " Among equally good splits KNIME takes the first attribute (and draws among "
        "one attribute's split points with its own random numbers), scikit-learn visits attributes in random order; a "
        "stored row or attribute sample draws knitflow's random numbers, not KNIME's. String columns with more than "
        "60 values count as having no domain."
    )
    keywords = ("regression tree", "CART", "decision tree", "regression", "scikit-learn")
    knime = (
        KnimeMapping(
            f"{TE2}.regressiontree.learner.RegressionTreeLearnerNodeFactory",
            "Simple Regression Tree Learner",
            partial(_learner_from_knime, compat="current", single_tree=True),
        ),
        KnimeMapping(
            f"{TE1}.regressiontree.learner.RegressionTreeLearnerNodeFactory",
            "Simple Regression Tree Learner (legacy)",
            partial(_learner_from_knime, compat="first_plugin", single_tree=True),
            note=FIRST_PLUGIN_NOTE,
        ),
    )
    inputs = (Port(TABLE, "Input data", "Attribute columns and a numeric target column."),)
    outputs = (Port(REGRESSION_TREE, "Regression tree model", "The trained tree."),)
    Settings = RegressionTreeLearnerSettings

    def is_deterministic(self, settings: RegressionTreeLearnerSettings) -> bool:
        return settings.seed is not None or not _samples(settings)

    def configure(
        self, in_specs: list[Any], settings: RegressionTreeLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        target = _numeric_target(spec, settings)
        return [ModelSpec(KIND_TREE, spec.select(forest_attributes(spec, settings)), spec.get(target))]

    def execute(
        self, inputs: list[Any], settings: RegressionTreeLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        if settings.seed is None and not _samples(settings):
            settings = settings.model_copy(update={"seed": 0})  # the same tree on every run
        table: Table = inputs[0]
        model, x, y, train = _regression_data(table, settings, ctx)
        grow(model, x, y, train, settings, ctx, _regression_tree, trees=1)
        spec = table.spec
        mspec = ModelSpec(KIND_TREE, spec.select(model.attributes), spec.get(model.target))
        leaves = int((model.trees[0].tree_.children_left < 0).sum())
        summary = f"regression tree with {leaves} leaves on {len(model.attributes)} attributes"
        return [Model(KIND_TREE, model, summary, spec=mspec)]


# ------------------------------------------------------------------------------------ predictors


class TreeEnsemblePredictorSettings(NodeSettings):
    """KNIME's TreeEnsemblePredictorConfiguration (classification)."""

    predictionColumnName: str = Field(
        "Prediction (y)",
        description="Prediction column name, used when `changePredictionColumnName` is on.",
        json_schema_extra=widget("new_column"),
    )
    changePredictionColumnName: bool = Field(
        False, description="Off: the prediction column is `Prediction (<target>)`."
    )
    appendPredictionConfidence: bool = Field(
        True, description="Append `<prediction column> (Confidence)`: the winning class's share of the votes."
    )
    appendClassConfidences: bool = Field(
        False, description="Append `P (<target>=<class>)<suffix>`: every class's share of the votes."
    )
    suffixForClassProbabilities: str = Field("", description="Suffix of the class confidence columns.")
    appendModelCount: bool = Field(False, description="Append `model count` (the number of trees).")
    useSoftVoting: bool = Field(
        False,
        description="Average the trees' leaf class distributions instead of counting their majority votes.",
    )
    compatibility: Compatibility = Field("current", description=COMPATIBILITY_HELP)


class TreeEnsembleRegressionPredictorSettings(NodeSettings):
    """KNIME's TreeEnsemblePredictorConfiguration (regression)."""

    predictionColumnName: str = Field(
        "Prediction (y)",
        description="Prediction column name, used when `changePredictionColumnName` is on.",
        json_schema_extra=widget("new_column"),
    )
    changePredictionColumnName: bool = Field(
        False, description="Off: the prediction column is `Prediction (<target>)`."
    )
    appendPredictionConfidence: bool = Field(
        True,
        description="Append `<prediction column> (Prediction Variance)`: the variance of the trees' predictions.",
    )
    appendModelCount: bool = Field(False, description="Append `model count` (the number of trees).")
    compatibility: Compatibility = Field("current", description=COMPATIBILITY_HELP)


class RegressionTreePredictorSettings(NodeSettings):
    """KNIME's RegressionTreePredictorConfiguration."""

    predictionColumnName: str = Field(
        "Prediction (y)",
        description="Prediction column name, used when `changePredictionColumnName` is on.",
        json_schema_extra=widget("new_column"),
    )
    changePredictionColumnName: bool = Field(
        False, description="Off: the prediction column is `Prediction (<target>)`."
    )
    compatibility: Compatibility = Field("current", description=COMPATIBILITY_HELP)


def _prediction_name(model: ModelSpec, settings: Any) -> str:
    if not settings.changePredictionColumnName:
        return f"Prediction ({model.target.name if model.target else ''})"
    if not settings.predictionColumnName.strip():
        raise ConfigureError("Prediction column name must not be empty", setting="predictionColumnName")
    return str(settings.predictionColumnName)


def _inputs(in_specs: list[Any], kind: str) -> tuple[ModelSpec, TableSpec] | None:
    model, spec = model_spec_of(in_specs[0], kind), in_specs[1]
    if model is None or not isinstance(spec, TableSpec):
        return None
    check_learning_columns(model, spec)
    return model, spec


class TreeEnsemblePredictor(Node):
    """KNIME's Tree Ensemble Predictor (classification)."""

    type_name = "tree_ensemble_predictor"
    display_name = "Tree Ensemble Predictor"
    category = Category.PREDICTOR
    description = (
        "Applies a classification tree ensemble (of the Tree Ensemble or Random Forest Learner): every tree votes for "
        "its leaf's majority class (or, with soft voting, its leaf's class distribution). Appends "
        "`Prediction (<target>)` (the class with most votes, the first one on a tie), optionally its confidence, the "
        "class confidences `P (<target>=<class>)<suffix>` (before the prediction since KNIME 3.6, after it before) "
        "and `model count`."
    )
    keywords = ("tree ensemble", "random forest", "predict", "classification", "voting")
    knime = (
        KnimeMapping(
            f"{TE2}.predictor.classification.TreeEnsembleClassificationPredictorNodeFactory2",
            "Tree Ensemble Predictor",
            _classification_predictor("current"),
        ),
        KnimeMapping(
            f"{TE2}.predictor.classification.TreeEnsembleClassificationPredictorNodeFactory",
            "Tree Ensemble Predictor",
            _classification_predictor("pre_3_6"),
            note="the node as saved before KNIME 3.6: the class confidence columns after the prediction",
        ),
        KnimeMapping(
            f"{TE1}.predictor.classification.TreeEnsembleClassificationPredictorNodeFactory",
            "Tree Ensemble Predictor (legacy)",
            _classification_predictor("first_plugin"),
            note=FIRST_PLUGIN_NOTE,
        ),
        KnimeMapping(
            f"{TE1}.predictor.TreeEnsemblePredictorNodeFactory",
            "Tree Ensemble Predictor (legacy)",
            _classification_predictor("first_plugin"),
            note=f"the KNIME 2.5 name of the first plugin's predictor; {FIRST_PLUGIN_NOTE}",
        ),
    )
    inputs = (
        Port(ENSEMBLE_CLASSIFICATION, "Tree ensemble model", "A classification tree ensemble."),
        Port(TABLE, "Input data", "Rows to predict; must contain the learning columns."),
    )
    outputs = (Port(TABLE, "Predictions", "The input plus the prediction columns."),)
    Settings = TreeEnsemblePredictorSettings

    def _outputs(self, model: ModelSpec, spec: TableSpec, settings: TreeEnsemblePredictorSettings) -> Any:
        target = model.target.name if model.target else ""
        labels = model.details.get("class_values")
        name = _prediction_name(model, settings)
        compat = settings.compatibility
        return classification_outputs(
            spec, target, None if labels is None else list(labels), name, settings, compat
        )

    def configure(
        self, in_specs: list[Any], settings: TreeEnsemblePredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        checked = _inputs(in_specs, KIND_CLASSIFICATION)
        if checked is None:
            return [UNKNOWN]
        outputs = self._outputs(*checked, settings)
        return [UNKNOWN if outputs is None else checked[1].append(*((o.name, o.type) for o in outputs))]

    def execute(
        self, inputs: list[Any], settings: TreeEnsemblePredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[1]
        checked = _inputs([inputs[0].spec, table.spec], KIND_CLASSIFICATION)
        assert checked is not None
        model = inputs[0].payload  # this node family's or the Random Forest Learner's
        probs = model.tree_probabilities(model.design(table.df))
        conf, count = class_votes(probs, np.ones(probs.shape[:2], dtype=bool), settings.useSoftVoting)
        labels = [cell_text(c) for c in model.classes]
        outputs = self._outputs(*checked, settings)
        blank = _blank_rows(model, table.df, settings.compatibility)
        return [appended(table, outputs, classification_values(outputs, labels, conf, count, blank))]


class TreeEnsemblePredictorRegression(Node):
    """KNIME's Tree Ensemble Predictor (Regression)."""

    type_name = "tree_ensemble_predictor_regression"
    display_name = "Tree Ensemble Predictor (Regression)"
    category = Category.PREDICTOR
    description = (
        "Applies a regression tree ensemble (of the Tree Ensemble or Random Forest Learner (Regression)): appends "
        "`Prediction (<target>)`, the mean of the trees' predictions, optionally `... (Prediction Variance)` (their "
        "variance, n - 1 in the denominator) and `model count`."
    )
    keywords = ("tree ensemble", "random forest", "predict", "regression")
    knime = (
        KnimeMapping(
            f"{TE2}.predictor.regression.TreeEnsembleRegressionPredictorNodeFactory",
            "Tree Ensemble Predictor (Regression)",
            _regression_predictor("current"),
        ),
        KnimeMapping(
            f"{TE1}.predictor.regression.TreeEnsembleRegressionPredictorNodeFactory",
            "Tree Ensemble Predictor (Regression) (legacy)",
            _regression_predictor("first_plugin"),
            note=FIRST_PLUGIN_NOTE,
        ),
    )
    inputs = (
        Port(ENSEMBLE_REGRESSION, "Tree ensemble model", "A regression tree ensemble."),
        Port(TABLE, "Input data", "Rows to predict; must contain the learning columns."),
    )
    outputs = (Port(TABLE, "Predictions", "The input plus the prediction columns."),)
    Settings = TreeEnsembleRegressionPredictorSettings

    def configure(
        self, in_specs: list[Any], settings: TreeEnsembleRegressionPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        checked = _inputs(in_specs, KIND_REGRESSION)
        if checked is None:
            return [UNKNOWN]
        model, spec = checked
        outputs = regression_outputs(spec, _prediction_name(model, settings), settings)
        return [spec.append(*((o.name, o.type) for o in outputs))]

    def execute(
        self, inputs: list[Any], settings: TreeEnsembleRegressionPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[1]
        checked = _inputs([inputs[0].spec, table.spec], KIND_REGRESSION)
        assert checked is not None
        model: RandomForestModel = inputs[0].payload
        preds = model.tree_predictions(model.design(table.df))
        mean, var, count = mean_and_variance(preds, np.ones(preds.shape, dtype=bool))
        outputs = regression_outputs(table.spec, _prediction_name(checked[0], settings), settings)
        blank = _blank_rows(model, table.df, settings.compatibility)
        return [appended(table, outputs, regression_values(outputs, mean, var, count, blank))]


class RegressionTreePredictor(Node):
    """KNIME's Simple Regression Tree Predictor."""

    type_name = "simple_regression_tree_predictor"
    display_name = "Simple Regression Tree Predictor"
    category = Category.PREDICTOR
    description = (
        "Applies a Simple Regression Tree: appends `Prediction (<target>)`, the mean target value of the training "
        "rows in the leaf a row reaches (missing values take the direction each split learned)."
    )
    keywords = ("regression tree", "predict", "regression", "CART")
    knime = (
        KnimeMapping(
            f"{TE2}.regressiontree.predictor.RegressionTreePredictorNodeFactory",
            "Simple Regression Tree Predictor",
            partial(
                _predictor_from_knime, compat="current", keys=PREDICTOR_KEYS[:2], ignored=["targetColumnName"]
            ),
        ),
        KnimeMapping(
            f"{TE1}.regressiontree.predictor.RegressionTreePredictorNodeFactory",
            "Simple Regression Tree Predictor (legacy)",
            partial(
                _predictor_from_knime,
                compat="first_plugin",
                keys=PREDICTOR_KEYS[:2],
                ignored=["targetColumnName"],
            ),
            note=FIRST_PLUGIN_NOTE,
        ),
    )
    inputs = (
        Port(REGRESSION_TREE, "Regression tree model", "A Simple Regression Tree Learner's model."),
        Port(TABLE, "Input data", "Rows to predict; must contain the learning columns."),
    )
    outputs = (Port(TABLE, "Predictions", "The input plus the prediction column."),)
    Settings = RegressionTreePredictorSettings

    def configure(
        self, in_specs: list[Any], settings: RegressionTreePredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        checked = _inputs(in_specs, KIND_TREE)
        if checked is None:
            return [UNKNOWN]
        model, spec = checked
        return [
            spec.append(
                *(
                    (o.name, o.type)
                    for o in regression_outputs(spec, _prediction_name(model, settings), _Mean)
                )
            )
        ]

    def execute(
        self, inputs: list[Any], settings: RegressionTreePredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[1]
        checked = _inputs([inputs[0].spec, table.spec], KIND_TREE)
        assert checked is not None
        model: RandomForestModel = inputs[0].payload
        preds = model.tree_predictions(model.design(table.df))
        outputs = regression_outputs(table.spec, _prediction_name(checked[0], settings), _Mean)
        blank = _blank_rows(model, table.df, settings.compatibility)
        ones = np.ones(len(table.df), dtype=int)
        return [
            appended(table, outputs, regression_values(outputs, preds[0], np.zeros(len(ones)), ones, blank))
        ]


class _Mean:
    """The Simple Regression Tree Predictor appends the prediction only."""

    appendPredictionConfidence = False
    appendModelCount = False
