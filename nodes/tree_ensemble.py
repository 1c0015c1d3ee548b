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

from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar, Literal

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
    Port,
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._forest_options import (
    FOREST_KEYS,
    PREDICTIONS_PORT,
    ROWS_TO_PREDICT,
    STATS_SPEC,
    ForestClassificationPredictorSettings,
    ForestLearnerNode,
    ForestRegressionPredictorSettings,
    PredictionColumnSettings,
    RandomForestLearnerSettings,
    RandomForestModel,
    first_plugin_column_filter,
    forest_attributes,
    forest_learner_outputs,
    learner_input,
    prediction_column_name,
    predictor_inputs,
    unsupported_forest_options,
)
from nodes._learning import class_values, text_values
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
    Growth,
    Output,
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


class _TreeEnsembleOptions(RandomForestLearnerSettings):
    """The options the Tree Ensemble learners honour beyond the random forests'."""

    useAverageSplitPoints: bool = Field(
        True,
        description="Numeric split values halfway between neighbouring values; off: the largest value of the `<=` "
        "branch.",
    )
    compatibility: Compatibility = Field("current", description=COMPATIBILITY_HELP)


class TreeEnsembleLearnerSettings(_TreeEnsembleOptions):
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
    useBinaryNominalSplits: bool = Field(
        True,
        description="KNIME: binary value-subset splits (else one branch per value); knitflow: one-hot splits.",
    )


class TreeEnsembleRegressionLearnerSettings(_TreeEnsembleOptions):
    """KNIME's TreeEnsembleLearnerConfiguration for regression (squared-error splits)."""

    targetColumn: str | None = Field(
        None, description="The numeric target column.", json_schema_extra=widget("column")
    )


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


COLUMN_KEYS = ["predictionColumnName", "changePredictionColumnName", "appendPredictionConfidence"]
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


_classification_predictor = partial(
    _predictor_from_knime, keys=[*COLUMN_KEYS, *CLASS_KEYS, "appendModelCount"], ignored=[]
)
# the classification options of the shared predictor configuration do nothing for regression
_regression_predictor = partial(
    _predictor_from_knime, keys=[*COLUMN_KEYS, "appendModelCount"], ignored=CLASS_KEYS
)
_tree_predictor = partial(_predictor_from_knime, keys=COLUMN_KEYS[:2], ignored=["targetColumnName"])

# a KNIME factory: (its class name, KNIME's node name, the layout it saved, a note)
Factory = tuple[str, str, Compatibility, str]


def _mappings(translate: Callable[..., None], *factories: Factory) -> tuple[KnimeMapping, ...]:
    """The KNIME factories of one node type; `translate` is told which KNIME version's layout each saved."""
    return tuple(
        KnimeMapping(factory, name, partial(translate, compat=compat), note=note)
        for factory, name, compat, note in factories
    )


# ------------------------------------------------------------------------------------- learners


def _nominal_target(spec: TableSpec, settings: Any) -> str:
    target = settings.targetColumn
    if not target:
        raise ConfigureError("Target column not set", setting="targetColumn")
    col = spec.get(target)
    if col is None or col.type not in NOMINAL:
        raise ConfigureError(
            f'Target column "{target}" does not exist or is not of the correct type', setting="targetColumn"
        )
    return target


def _numeric_target(spec: TableSpec, settings: Any) -> str:
    check_column(spec, settings.targetColumn, "targetColumn", what="target", numeric=True)
    return str(settings.targetColumn)


class _EnsembleLearner(ForestLearnerNode):
    """The two Tree Ensemble learners' configure and outputs; a subclass knows its target and its
    out-of-bag columns."""

    kind: ClassVar[str] = ""

    @staticmethod
    def target(spec: TableSpec, settings: Any) -> str:
        """The checked target column."""
        raise NotImplementedError

    def oob_spec(self, spec: TableSpec, target: str) -> Any:
        """The out-of-bag table's spec; unknown where it needs the class values."""
        return UNKNOWN

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, STATS_SPEC, UNKNOWN]
        target = self.target(spec, settings)
        attrs = forest_attributes(spec, settings)
        model = ModelSpec(self.kind, spec.select(attrs), spec.get(target))
        return [self.oob_spec(spec, target), STATS_SPEC, model]

    def learned(
        self,
        table: Table,
        model: RandomForestModel,
        growth: Growth,
        oob: Table,
        settings: Any,
        **details: Any,
    ) -> list[Any]:
        """The out-of-bag table, the attribute statistics and the model."""
        spec, attrs = table.spec, model.attributes
        mspec = ModelSpec(self.kind, spec.select(attrs), spec.get(model.target), details)
        summary = f"{settings.nrModels} classifiers on {len(attrs)} attributes"
        return [oob, growth.stats.table(attrs), Model(self.kind, model, summary, spec=mspec)]


class TreeEnsembleLearner(_EnsembleLearner):
    """KNIME's Tree Ensemble Learner (classification)."""

    type_name = "tree_ensemble_learner"
    display_name = "Tree Ensemble Learner"
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
    knime = _mappings(
        _learner_from_knime,
        (
            f"{TE2}.learner.classification.TreeEnsembleClassificationLearnerNodeFactory2",
            "Tree Ensemble Learner",
            "current",
            "",
        ),
        (
            f"{TE2}.learner.classification.TreeEnsembleClassificationLearnerNodeFactory",
            "Tree Ensemble Learner",
            "pre_3_6",
            "the node as saved before KNIME 3.6: its out-of-bag columns in the older order",
        ),
        (
            f"{TE1}.learner.classification.TreeEnsembleClassificationLearnerNodeFactory",
            "Tree Ensemble Learner (legacy)",
            "first_plugin",
            FIRST_PLUGIN_NOTE,
        ),
        (
            f"{TE1}.learner.TreeEnsembleLearnerNodeFactory",
            "Tree Ensemble Learner (legacy)",
            "first_plugin",
            f"the KNIME 2.5 name of the first plugin's learner; {FIRST_PLUGIN_NOTE}",
        ),
    )
    inputs = (learner_input("nominal"),)
    outputs = forest_learner_outputs(
        "The input plus the out-of-bag class confidences, vote and count.",
        Port(ENSEMBLE_CLASSIFICATION, "Tree ensemble model", "The trained trees."),
    )
    Settings = TreeEnsembleLearnerSettings
    kind = KIND_CLASSIFICATION
    target = staticmethod(_nominal_target)  # the out-of-bag table's class columns wait for the class values

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
        return self.learned(table, model, growth, oob, settings, class_values=labels)


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


def _out_of_bag_columns(spec: TableSpec, target: str) -> list[Output]:
    return regression_outputs(spec, f"{target} (Out-of-bag)", _OutOfBag)


class TreeEnsembleLearnerRegression(_EnsembleLearner):
    """KNIME's Tree Ensemble Learner (Regression)."""

    type_name = "tree_ensemble_learner_regression"
    display_name = "Tree Ensemble Learner (Regression)"
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
    knime = _mappings(
        _learner_from_knime,
        (
            f"{TE2}.learner.regression.TreeEnsembleRegressionLearnerNodeFactory",
            "Tree Ensemble Learner (Regression)",
            "current",
            "",
        ),
        (
            f"{TE1}.learner.regression.TreeEnsembleRegressionLearnerNodeFactory",
            "Tree Ensemble Learner (Regression) (legacy)",
            "first_plugin",
            FIRST_PLUGIN_NOTE,
        ),
    )
    inputs = (learner_input("numeric"),)
    outputs = forest_learner_outputs(
        "The input plus the out-of-bag prediction, its variance and count.",
        Port(ENSEMBLE_REGRESSION, "Tree ensemble model", "The trained trees."),
    )
    Settings = TreeEnsembleRegressionLearnerSettings
    kind = KIND_REGRESSION
    target = staticmethod(_numeric_target)

    def oob_spec(self, spec: TableSpec, target: str) -> Any:
        return spec.append(*((o.name, o.type) for o in _out_of_bag_columns(spec, target)))

    def execute(
        self, inputs: list[Any], settings: TreeEnsembleRegressionLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        model, x, y, train = _regression_data(table, settings, ctx)
        growth = grow(model, x, y, train, settings, ctx, _regression_tree, trees=settings.nrModels)
        mean, var, count = mean_and_variance(model.tree_predictions(x), ~growth.in_bag)
        outputs = _out_of_bag_columns(table.spec, model.target)
        blank = _blank_rows(model, table.df, settings.compatibility)
        oob = appended(table, outputs, regression_values(outputs, mean, var, count, blank))
        return self.learned(table, model, growth, oob, settings)


def _samples(settings: RegressionTreeLearnerSettings) -> bool:
    """Whether the tree depends on random numbers beyond scikit-learn's tie-breaking."""
    rows = settings.dataFraction < 1 or settings.isDataSelectionWithReplacement
    return rows or settings.columnSamplingMode != "None"


class RegressionTreeLearner(ForestLearnerNode):
    """KNIME's Simple Regression Tree Learner."""

    type_name = "simple_regression_tree_learner"
    display_name = "Simple Regression Tree Learner"
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
    knime = _mappings(
        partial(_learner_from_knime, single_tree=True),
        (
            f"{TE2}.regressiontree.learner.RegressionTreeLearnerNodeFactory",
            "Simple Regression Tree Learner",
            "current",
            "",
        ),
        (
            f"{TE1}.regressiontree.learner.RegressionTreeLearnerNodeFactory",
            "Simple Regression Tree Learner (legacy)",
            "first_plugin",
            FIRST_PLUGIN_NOTE,
        ),
    )
    inputs = (learner_input("numeric"),)
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


class _TreeEnsemblePrediction(PredictionColumnSettings):
    """The Tree Ensemble predictors' wording of the prediction column, and the KNIME version they follow."""

    predictionColumnName: str = Field(
        "Prediction (y)",
        description="Prediction column name, used when `changePredictionColumnName` is on.",
        json_schema_extra=widget("new_column"),
    )
    compatibility: Compatibility = Field("current", description=COMPATIBILITY_HELP)


MODEL_COUNT_HELP = "Append `model count` (the number of trees)."


class TreeEnsemblePredictorSettings(_TreeEnsemblePrediction, ForestClassificationPredictorSettings):
    """KNIME's TreeEnsemblePredictorConfiguration (classification)."""

    appendPredictionConfidence: bool = Field(
        True, description="Append `<prediction column> (Confidence)`: the winning class's share of the votes."
    )
    appendClassConfidences: bool = Field(
        False, description="Append `P (<target>=<class>)<suffix>`: every class's share of the votes."
    )
    appendModelCount: bool = Field(False, description=MODEL_COUNT_HELP)
    useSoftVoting: bool = Field(
        False,
        description="Average the trees' leaf class distributions instead of counting their majority votes.",
    )


class TreeEnsembleRegressionPredictorSettings(_TreeEnsemblePrediction, ForestRegressionPredictorSettings):
    """KNIME's TreeEnsemblePredictorConfiguration (regression)."""

    appendPredictionConfidence: bool = Field(
        True,
        description="Append `<prediction column> (Prediction Variance)`: the variance of the trees' predictions.",
    )
    appendModelCount: bool = Field(False, description=MODEL_COUNT_HELP)


class RegressionTreePredictorSettings(_TreeEnsemblePrediction):
    """KNIME's RegressionTreePredictorConfiguration."""


def _prediction_name(model: ModelSpec, settings: Any) -> str:
    return prediction_column_name(model, settings, "Prediction column name must not be empty")


class _EnsemblePredictor(Node):
    """The Tree Ensemble predictors: the columns a subclass appends, and their values."""

    category = Category.PREDICTOR
    kind: ClassVar[str] = ""

    def columns(self, model: ModelSpec, spec: TableSpec, settings: Any) -> list[Output] | None:
        """The appended columns; None while they wait for the class values."""
        raise NotImplementedError

    def values(
        self, model: Any, df: pd.DataFrame, outputs: list[Output], settings: Any, blank: np.ndarray
    ) -> dict[str, Any]:
        """The appended columns' values; `blank` rows get none (the first plugin's missing values)."""
        raise NotImplementedError

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        checked = predictor_inputs(in_specs, self.kind)
        if checked is None:
            return [UNKNOWN]
        outputs = self.columns(*checked, settings)
        return [UNKNOWN if outputs is None else checked[1].append(*((o.name, o.type) for o in outputs))]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[1]
        checked = predictor_inputs([inputs[0].spec, table.spec], self.kind)
        assert checked is not None
        model = inputs[0].payload  # this node family's or a Random Forest Learner's
        outputs = self.columns(*checked, settings)
        assert outputs is not None
        blank = _blank_rows(model, table.df, settings.compatibility)
        return [appended(table, outputs, self.values(model, table.df, outputs, settings, blank))]


class TreeEnsemblePredictor(_EnsemblePredictor):
    """KNIME's Tree Ensemble Predictor (classification)."""

    type_name = "tree_ensemble_predictor"
    display_name = "Tree Ensemble Predictor"
    description = (
        "Applies a classification tree ensemble (of the Tree Ensemble or Random Forest Learner): every tree votes for "
        "its leaf's majority class (or, with soft voting, its leaf's class distribution). Appends "
        "`Prediction (<target>)` (the class with most votes, the first one on a tie), optionally its confidence, the "
        "class confidences `P (<target>=<class>)<suffix>` (before the prediction since KNIME 3.6, after it before) "
        "and `model count`."
    )
    keywords = ("tree ensemble", "random forest", "predict", "classification", "voting")
    knime = _mappings(
        _classification_predictor,
        (
            f"{TE2}.predictor.classification.TreeEnsembleClassificationPredictorNodeFactory2",
            "Tree Ensemble Predictor",
            "current",
            "",
        ),
        (
            f"{TE2}.predictor.classification.TreeEnsembleClassificationPredictorNodeFactory",
            "Tree Ensemble Predictor",
            "pre_3_6",
            "the node as saved before KNIME 3.6: the class confidence columns after the prediction",
        ),
        (
            f"{TE1}.predictor.classification.TreeEnsembleClassificationPredictorNodeFactory",
            "Tree Ensemble Predictor (legacy)",
            "first_plugin",
            FIRST_PLUGIN_NOTE,
        ),
        (
            f"{TE1}.predictor.TreeEnsemblePredictorNodeFactory",
            "Tree Ensemble Predictor (legacy)",
            "first_plugin",
            f"the KNIME 2.5 name of the first plugin's predictor; {FIRST_PLUGIN_NOTE}",
        ),
    )
    inputs = (
        Port(ENSEMBLE_CLASSIFICATION, "Tree ensemble model", "A classification tree ensemble."),
        ROWS_TO_PREDICT,
    )
    outputs = (PREDICTIONS_PORT,)
    Settings = TreeEnsemblePredictorSettings
    kind = KIND_CLASSIFICATION

    def columns(
        self, model: ModelSpec, spec: TableSpec, settings: TreeEnsemblePredictorSettings
    ) -> list[Output] | None:
        target = model.target.name if model.target else ""
        labels = model.details.get("class_values")
        name = _prediction_name(model, settings)
        compat = settings.compatibility
        return classification_outputs(
            spec, target, None if labels is None else list(labels), name, settings, compat
        )

    def values(
        self, model: Any, df: pd.DataFrame, outputs: list[Output], settings: Any, blank: np.ndarray
    ) -> dict[str, Any]:
        probs = model.tree_probabilities(model.design(df))
        conf, count = class_votes(probs, np.ones(probs.shape[:2], dtype=bool), settings.useSoftVoting)
        labels = [cell_text(c) for c in model.classes]
        return classification_values(outputs, labels, conf, count, blank)


class _RegressionPredictor(_EnsemblePredictor):
    """The regression predictors: the mean of the trees' predictions (with one tree: its own)."""

    def columns(self, model: ModelSpec, spec: TableSpec, settings: Any) -> list[Output]:
        return regression_outputs(spec, _prediction_name(model, settings), settings)

    def values(
        self, model: Any, df: pd.DataFrame, outputs: list[Output], settings: Any, blank: np.ndarray
    ) -> dict[str, Any]:
        preds = model.tree_predictions(model.design(df))
        mean, var, count = mean_and_variance(preds, np.ones(preds.shape, dtype=bool))
        return regression_values(outputs, mean, var, count, blank)


class TreeEnsemblePredictorRegression(_RegressionPredictor):
    """KNIME's Tree Ensemble Predictor (Regression)."""

    type_name = "tree_ensemble_predictor_regression"
    display_name = "Tree Ensemble Predictor (Regression)"
    description = (
        "Applies a regression tree ensemble (of the Tree Ensemble or Random Forest Learner (Regression)): appends "
        "`Prediction (<target>)`, the mean of the trees' predictions, optionally `... (Prediction Variance)` (their "
        "variance, n - 1 in the denominator) and `model count`."
    )
    keywords = ("tree ensemble", "random forest", "predict", "regression")
    knime = _mappings(
        _regression_predictor,
        (
            f"{TE2}.predictor.regression.TreeEnsembleRegressionPredictorNodeFactory",
            "Tree Ensemble Predictor (Regression)",
            "current",
            "",
        ),
        (
            f"{TE1}.predictor.regression.TreeEnsembleRegressionPredictorNodeFactory",
            "Tree Ensemble Predictor (Regression) (legacy)",
            "first_plugin",
            FIRST_PLUGIN_NOTE,
        ),
    )
    inputs = (
        Port(ENSEMBLE_REGRESSION, "Tree ensemble model", "A regression tree ensemble."),
        ROWS_TO_PREDICT,
    )
    outputs = (PREDICTIONS_PORT,)
    Settings = TreeEnsembleRegressionPredictorSettings
    kind = KIND_REGRESSION


class _Mean:
    """The Simple Regression Tree Predictor appends the prediction only."""

    appendPredictionConfidence = False
    appendModelCount = False


class RegressionTreePredictor(_RegressionPredictor):
    """KNIME's Simple Regression Tree Predictor."""

    type_name = "simple_regression_tree_predictor"
    display_name = "Simple Regression Tree Predictor"
    description = (
        "Applies a Simple Regression Tree: appends `Prediction (<target>)`, the mean target value of the training "
        "rows in the leaf a row reaches (missing values take the direction each split learned)."
    )
    keywords = ("regression tree", "predict", "regression", "CART")
    knime = _mappings(
        _tree_predictor,
        (
            f"{TE2}.regressiontree.predictor.RegressionTreePredictorNodeFactory",
            "Simple Regression Tree Predictor",
            "current",
            "",
        ),
        (
            f"{TE1}.regressiontree.predictor.RegressionTreePredictorNodeFactory",
            "Simple Regression Tree Predictor (legacy)",
            "first_plugin",
            FIRST_PLUGIN_NOTE,
        ),
    )
    inputs = (
        Port(REGRESSION_TREE, "Regression tree model", "A Simple Regression Tree Learner's model."),
        ROWS_TO_PREDICT,
    )
    outputs = (Port(TABLE, "Predictions", "The input plus the prediction column."),)
    Settings = RegressionTreePredictorSettings
    kind = KIND_TREE

    def columns(self, model: ModelSpec, spec: TableSpec, settings: Any) -> list[Output]:
        return regression_outputs(spec, _prediction_name(model, settings), _Mean)
