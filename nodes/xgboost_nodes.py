"""KNIME's XGBoost Integration (knime-xgboost): the Tree and Linear Ensemble Learners, for
classification and regression, and the XGBoost Predictors, on the Python `xgboost` library.

KNIME runs XGBoost4J, the Java binding of the same C++ core, so the learners hand xgboost the
parameters KNIME saves, the rows in table order and the same seed. The feature matrix follows
KNIME's node descriptions: numbers (Booleans as 0/1) are cast to single precision floats, a
missing cell is XGBoost's missing value (NaN), and a nominal (String) column becomes one indicator
column per possible value (KNIME requires the values in the column's domain; knitflow has no
domains, so the values are those of the training rows in order of first appearance, the order
KNIME's domain calculator records). Classes are numbered in that order too: class i is label i of
the objective (softprob's i-th probability; binary:logistic's probability is that of class 1).

knime-xgboost's source was not at hand: the settings keys (`options.*`, `booster.*`) come from a
public ontology of KNIME's saved settings and the nodes' descriptions, so a key the import does not
know is a finding rather than a guess. Not yet checked against a workflow KNIME executed: the
one-hot coding of nominal features, the order of the output columns (probabilities, then the
String prediction), and "Auto" as the tree method (xgboost >= 2 takes hist; an older XGBoost4J
took exact, which the import notes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
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
from nodes._learning import (
    append_unique,
    check_learning_columns,
    class_values,
    prediction_name,
    probability_name,
    text_values,
)
from nodes._mining import NOMINAL, cell_text, check_column

XGBOOST = PortType.register(PortType("model.xgboost", "XGBoost model", "#1f6f8b", "square"))
KIND_CLASSIFICATION = "xgboost_classification"
KIND_REGRESSION = "xgboost_regression"
FEATURE_TYPES = ColumnType.NUMERIC | NOMINAL

_BASE = "org.knime.xgboost.base.nodes"

# KNIME's choice names -> xgboost's parameter values
BOOSTERS = {"Tree": "gbtree", "Dart": "dart"}
TREE_METHODS = {"Auto": "auto", "Exact": "exact", "Approx": "approx", "Hist": "hist"}
GROW_POLICIES = {"DepthWise": "depthwise", "LossGuide": "lossguide"}
SAMPLE_TYPES = {"Uniform": "uniform", "Weighted": "weighted"}
NORMALIZE_TYPES = {"Tree": "tree", "Forest": "forest"}
UPDATERS = {"CoordDescent": "coord_descent", "Shotgun": "shotgun"}
FEATURE_SELECTORS = {n: n.lower() for n in ("Cyclic", "Shuffle", "Random", "Greedy", "Thrifty")}
CLASSIFICATION_OBJECTIVES = ("multi:softprob", "binary:logistic")
# reg:linear is XGBoost's old name of reg:squarederror (the same loss and gradients)
REGRESSION_OBJECTIVES = {
    "reg:linear": "reg:squarederror",
    "reg:squarederror": "reg:squarederror",
    "reg:logistic": "reg:logistic",
    "reg:gamma": "reg:gamma",
    "count:poisson": "count:poisson",
    "reg:tweedie": "reg:tweedie",
}


# ------------------------------------------------------------------------------------- settings


class _XGBOptions(NodeSettings):
    """KNIME's learner `options` config (the booster parameters are in `booster`)."""

    targetColumn: str | None = Field(None, description="The target column.")
    weightColumn: str | None = Field(
        None, description="Optional row weights (XGBoost's instance weights); must not hold missing values."
    )
    featureFilter: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="The feature columns: numbers, Booleans (0/1) and Strings (one indicator column per value). "
        "The target and weight columns are never features.",
    )
    boostingRounds: int = Field(100, ge=1, description="Number of boosting rounds (xgboost num_boost_round).")
    baseScore: float = Field(
        0.5, description="The initial prediction score of all rows (xgboost base_score)."
    )
    useStaticSeed: bool = Field(
        False,
        description="Use staticSeed; otherwise a new seed per execution (derived from the run seed when the run has one).",
    )
    staticSeed: int = Field(0, description="The seed of XGBoost's random sampling when useStaticSeed is set.")
    manualNumThreads: bool = Field(False, description="Use numThreads threads rather than all cores.")
    numThreads: int = Field(1, ge=1, description="Number of training threads with manualNumThreads.")

    @field_validator("staticSeed", mode="before")
    @classmethod
    def _seed(cls, value: Any) -> int:
        return 0 if value is None or str(value).strip() == "" else int(value)

    def common_params(self, ctx: NodeContext) -> dict[str, Any]:
        seed = self.staticSeed if self.useStaticSeed else ctx.seed(None) % 2**31
        return {
            "base_score": self.baseScore,
            "seed": seed,
            "nthread": self.numThreads if self.manualNumThreads else 0,
            "verbosity": 0,
        }


class _TreeBooster(NodeSettings):
    """KNIME's tree (and DART) booster settings: XGBoost's gbtree / dart parameters."""

    booster: Literal["Tree", "Dart"] = Field("Tree", description="Tree: gbtree; Dart: gbtree with dropouts.")
    eta: float = Field(0.3, ge=0, le=1, description="Learning rate (step size shrinkage).")
    gamma: float = Field(0.0, ge=0, description="Minimum loss reduction to split a leaf.")
    maxDepth: int = Field(6, ge=0, description="Maximum tree depth; 0 = no limit.")
    minChildWeight: float = Field(
        1.0, ge=0, description="Minimum sum of instance weight (hessian) in a child."
    )
    maxDeltaStep: float = Field(0.0, ge=0, description="Maximum leaf output step; 0 = no constraint.")
    subsample: float = Field(1.0, gt=0, le=1, description="Row sample ratio per boosting round.")
    colSampleByTree: float = Field(1.0, gt=0, le=1, description="Column sample ratio per tree.")
    colSampleByLevel: float = Field(1.0, gt=0, le=1, description="Column sample ratio per depth level.")
    colSampleByNode: float = Field(1.0, gt=0, le=1, description="Column sample ratio per split.")
    lambda_: float = Field(1.0, alias="lambda", ge=0, description="L2 regularisation of the leaf weights.")
    alpha: float = Field(0.0, ge=0, description="L1 regularisation of the leaf weights.")
    treeMethod: Literal["Auto", "Exact", "Approx", "Hist"] = Field(
        "Auto",
        description="Split finding (xgboost tree_method); Auto lets the xgboost version choose (hist since 2.0).",
    )
    sketchEps: float = Field(
        0.03,
        gt=0,
        lt=1,
        description="Approx's sketch accuracy: kept from KNIME's settings; xgboost >= 1.6 has no such parameter.",
    )
    scalePosWeight: float = Field(1.0, description="Weight of the positive class (binary problems).")
    growPolicy: Literal["DepthWise", "LossGuide"] = Field(
        "DepthWise",
        description="Split the nodes closest to the root first, or those with the largest loss change.",
    )
    maxLeaves: int = Field(0, ge=0, description="Maximum number of leaves (LossGuide); 0 = no limit.")
    maxBin: int = Field(256, ge=2, description="Histogram bins of the Hist (and Approx) method.")
    sampleType: Literal["Uniform", "Weighted"] = Field("Uniform", description="DART: how trees are dropped.")
    normalizeType: Literal["Tree", "Forest"] = Field("Tree", description="DART: how new trees are weighted.")
    rateDrop: float = Field(0.0, ge=0, le=1, description="DART: fraction of trees dropped per round.")
    oneDrop: bool = Field(False, description="DART: always drop at least one tree.")
    skipDrop: float = Field(0.0, ge=0, le=1, description="DART: probability of skipping the dropout.")

    def booster_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "booster": BOOSTERS[self.booster],
            "eta": self.eta,
            "gamma": self.gamma,
            "max_depth": self.maxDepth,
            "min_child_weight": self.minChildWeight,
            "max_delta_step": self.maxDeltaStep,
            "subsample": self.subsample,
            "colsample_bytree": self.colSampleByTree,
            "colsample_bylevel": self.colSampleByLevel,
            "colsample_bynode": self.colSampleByNode,
            "lambda": self.lambda_,
            "alpha": self.alpha,
            "tree_method": TREE_METHODS[self.treeMethod],
            "scale_pos_weight": self.scalePosWeight,
            "grow_policy": GROW_POLICIES[self.growPolicy],
            "max_leaves": self.maxLeaves,
            "max_bin": self.maxBin,
        }
        if self.booster == "Dart":
            params.update(
                sample_type=SAMPLE_TYPES[self.sampleType],
                normalize_type=NORMALIZE_TYPES[self.normalizeType],
                rate_drop=self.rateDrop,
                one_drop=int(self.oneDrop),
                skip_drop=self.skipDrop,
            )
        return params


class _LinearBooster(NodeSettings):
    """KNIME's linear booster settings: XGBoost's gblinear parameters."""

    lambda_: float = Field(0.0, alias="lambda", ge=0, description="L2 regularisation of the weights.")
    alpha: float = Field(0.0, ge=0, description="L1 regularisation of the weights.")
    updater: Literal["CoordDescent", "Shotgun"] = Field(
        "Shotgun",
        description="Shotgun: parallel coordinate descent (not reproducible with several threads); "
        "CoordDescent: ordinary coordinate descent.",
    )
    featureSelector: Literal["Cyclic", "Shuffle", "Random", "Greedy", "Thrifty"] = Field(
        "Cyclic", description="Order of the coordinate updates (Greedy and Thrifty need CoordDescent)."
    )
    topK: int = Field(0, ge=0, description="Greedy / Thrifty: features considered per round; 0 = all.")

    def booster_params(self) -> dict[str, Any]:
        return {
            "booster": "gblinear",
            "lambda": self.lambda_,
            "alpha": self.alpha,
            "updater": UPDATERS[self.updater],
            "feature_selector": FEATURE_SELECTORS[self.featureSelector],
            "top_k": self.topK,
        }


def _objective_field(default: str, choices: str) -> Any:
    return Field(default, description=f"The learning objective (KNIME's objective identifier): {choices}.")


class _ClassificationObjective(NodeSettings):
    objective: Literal["multi:softprob", "binary:logistic"] = _objective_field(
        "multi:softprob", "multi:softprob, or binary:logistic for two classes"
    )


class _RegressionObjective(NodeSettings):
    objective: Literal[
        "reg:linear", "reg:squarederror", "reg:logistic", "reg:gamma", "count:poisson", "reg:tweedie"
    ] = _objective_field(
        "reg:linear", "reg:linear (squared error), reg:logistic, reg:gamma, count:poisson or reg:tweedie"
    )
    tweedieVariancePower: float = Field(
        1.5, gt=1, lt=2, description="reg:tweedie: the variance power of the Tweedie distribution."
    )


class XGBTreeClassificationSettings(_XGBOptions, _TreeBooster, _ClassificationObjective):
    """XGBoost Tree Ensemble Learner."""


class XGBTreeRegressionSettings(_XGBOptions, _TreeBooster, _RegressionObjective):
    """XGBoost Tree Ensemble Learner (Regression)."""


class XGBLinearClassificationSettings(_XGBOptions, _LinearBooster, _ClassificationObjective):
    """XGBoost Linear Ensemble Learner."""


class XGBLinearRegressionSettings(_XGBOptions, _LinearBooster, _RegressionObjective):
    """XGBoost Linear Ensemble Learner (Regression)."""


# ---------------------------------------------------------------------------------------- model


@dataclass
class XGBoostModel:
    """A trained booster with what turns a table into its feature matrix: the feature columns in
    order, their types and the indicator values of the nominal ones; `classes` in label order."""

    booster: Any
    target: str
    features: list[str]
    types: dict[str, str]
    levels: dict[str, list[Any]]
    objective: str
    classes: list[Any] = field(default_factory=list)

    @property
    def width(self) -> int:
        return sum(len(self.levels[f]) if f in self.levels else 1 for f in self.features)

    def design(self, df: pd.DataFrame, unknown_as_missing: bool = False) -> np.ndarray:
        """The float32 feature matrix: NaN for missing cells; a nominal column's indicators are all
        NaN for a missing cell (and for an unseen value with `unknown_as_missing`)."""
        x = np.zeros((len(df), self.width), dtype=np.float32)
        j = 0
        for f in self.features:
            if f not in self.levels:
                s = df[f]
                if isinstance(s.dtype, pd.BooleanDtype) or s.dtype == bool:
                    x[:, j] = s.astype("float64").to_numpy(dtype=float, na_value=np.nan)
                else:
                    x[:, j] = pd.to_numeric(s).to_numpy(dtype=float, na_value=np.nan)
                j += 1
                continue
            values = self.levels[f]
            index = {v: i for i, v in enumerate(values)}
            block = x[:, j : j + len(values)]
            for r, v in enumerate(text_values(df[f])):
                if v is None:
                    block[r, :] = np.nan
                elif v in index:
                    block[r, index[v]] = 1.0
                elif unknown_as_missing:
                    block[r, :] = np.nan
                else:
                    raise NodeError(
                        f"The value {cell_text(v)!r} of the nominal column {f!r} was not seen by the learner "
                        "(set unknownAsMissing to treat unknown values as missing)",
                        setting="unknownAsMissing",
                    )
            j += len(values)
        return x

    def predict(self, df: pd.DataFrame, unknown_as_missing: bool) -> np.ndarray:
        import xgboost as xgb

        if len(df) == 0:
            return np.zeros((0, max(1, len(self.classes))))
        data = xgb.DMatrix(self.design(df, unknown_as_missing), missing=np.nan)
        return np.asarray(self.booster.predict(data), dtype=np.float64)

    def probabilities(self, df: pd.DataFrame, unknown_as_missing: bool) -> np.ndarray:
        """(rows, classes): softprob's distribution, or (1 - p, p) of binary:logistic."""
        raw = self.predict(df, unknown_as_missing)
        if self.objective == "binary:logistic":
            p = raw.reshape(-1)
            return np.column_stack([1.0 - p, p])
        return raw.reshape(len(df), len(self.classes))


# -------------------------------------------------------------------------------------- learners


def _progress(ctx: NodeContext, rounds: int) -> Any:
    """An xgboost training callback: progress, and cancellation between rounds."""
    import xgboost as xgb

    class Progress(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            ctx.check_cancelled()
            ctx.progress((epoch + 1) / rounds, f"boosting round {epoch + 1} of {rounds}")
            return False

    return Progress()


class _XGBLearner(Node):
    category = Category.LEARNER
    inputs = (Port(TABLE, "Input data", "The feature columns and the target column."),)
    outputs = (Port(XGBOOST, "XGBoost model", "The trained XGBoost model."),)
    classify: ClassVar[bool] = True
    linear: ClassVar[bool] = False

    @property
    def kind(self) -> str:
        return KIND_CLASSIFICATION if self.classify else KIND_REGRESSION

    def _features(self, spec: TableSpec, s: Any) -> list[str]:
        if self.classify:
            check_column(spec, s.targetColumn, "targetColumn", what="target", allowed=NOMINAL)
        else:
            check_column(spec, s.targetColumn, "targetColumn", what="target", numeric=True)
        if s.weightColumn:
            check_column(spec, s.weightColumn, "weightColumn", what="weight", numeric=True)
        missing = [n for n in s.featureFilter.removed_from_includes(spec) if n != s.targetColumn]
        if missing:
            raise ConfigureError(
                f"feature column(s) {', '.join(map(repr, missing))} not found in the input table",
                setting="featureFilter",
            )
        skip = {s.targetColumn, s.weightColumn}
        features = [c for c in s.featureFilter.apply(spec, allowed_types=FEATURE_TYPES) if c not in skip]
        if not features:
            raise ConfigureError("no feature columns selected", setting="featureFilter")
        return features

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        features = self._features(spec, settings)
        return [ModelSpec(self.kind, spec.select(features), spec.get(str(settings.targetColumn)))]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        import xgboost as xgb

        table: Table = inputs[0]
        spec, df = table.spec, table.df
        features = self._features(spec, settings)
        target = str(settings.targetColumn)
        params = settings.common_params(ctx) | settings.booster_params()
        classes: list[Any] = []
        if self.classify:
            cells = text_values(df[target])
            if any(v is None for v in cells):
                raise NodeError(
                    f"The target column {target!r} contains missing values", setting="targetColumn"
                )
            classes = class_values(cells)
            code = {c: i for i, c in enumerate(classes)}
            y = np.array([code[v] for v in cells], dtype=np.float32)
            if settings.objective == "binary:logistic":
                if len(classes) != 2:
                    raise NodeError(
                        f"binary:logistic needs exactly two classes; {target!r} has {len(classes)}",
                        setting="objective",
                    )
            else:
                params["num_class"] = len(classes)
            params["objective"] = settings.objective
        else:
            y = pd.to_numeric(df[target]).to_numpy(dtype=float, na_value=np.nan)
            if np.isnan(y).any():
                raise NodeError(
                    f"The target column {target!r} contains missing values", setting="targetColumn"
                )
            params["objective"] = REGRESSION_OBJECTIVES[settings.objective]
            if settings.objective == "reg:tweedie":
                params["tweedie_variance_power"] = settings.tweedieVariancePower
        if len(df) == 0:
            raise NodeError("no rows to learn from (the input table is empty)")
        weights = None
        if settings.weightColumn:
            weights = pd.to_numeric(df[settings.weightColumn]).to_numpy(dtype=float, na_value=np.nan)
            if np.isnan(weights).any():
                raise NodeError(
                    f"The weight column {settings.weightColumn!r} contains missing values",
                    setting="weightColumn",
                )
        levels = {
            f: class_values(text_values(df[f])) for f in features if spec.type_of(f) == ColumnType.STRING
        }
        types = {f: spec.type_of(f) for f in features}
        model = XGBoostModel(None, target, features, types, levels, params["objective"], classes)
        data = xgb.DMatrix(model.design(df), label=y, weight=weights, missing=np.nan)
        rounds = settings.boostingRounds
        model.booster = xgb.train(params, data, num_boost_round=rounds, callbacks=[_progress(ctx, rounds)])
        details = {"class_values": [cell_text(c) for c in classes]} if self.classify else {}
        out_spec = ModelSpec(self.kind, spec.select(features), spec.get(target), details)
        what = f"{len(classes)} classes" if self.classify else params["objective"]
        booster = "linear" if self.linear else settings.booster.lower()
        summary = f"XGBoost {booster} booster, {rounds} rounds on {len(features)} features ({what})"
        return [Model(self.kind, model, summary, spec=out_spec)]


# ------------------------------------------------------------------------------- KNIME mapping


def _canonical(value: Any, choices: dict[str, str]) -> str | None:
    """KNIME's enum name for a stored value, spelling and case aside (`DEPTH_WISE`, and XGBoost's
    own name such as `gbtree` or `depthwise`)."""

    def plain(text: Any) -> str:
        return "".join(ch for ch in str(text).lower() if ch.isalnum())

    wanted = plain(value)
    for name, xgb_name in choices.items():
        if wanted in (plain(name), plain(xgb_name)):
            return name
    return None


_OPTION_KEYS = (
    "targetColumn",
    "weightColumn",
    "boostingRounds",
    "baseScore",
    "useStaticSeed",
    "staticSeed",
    "manualNumThreads",
    "numThreads",
)
_TREE_NUMBERS = (
    "eta",
    "gamma",
    "maxDepth",
    "minChildWeight",
    "maxDeltaStep",
    "subsample",
    "colSampleByTree",
    "colSampleByLevel",
    "colSampleByNode",
    "lambda",
    "alpha",
    "sketchEps",
    "scalePosWeight",
    "maxLeaves",
    "maxBin",
    "rateDrop",
    "oneDrop",
    "skipDrop",
)
_TREE_CHOICES: dict[str, dict[str, str]] = {
    "booster": BOOSTERS,
    "treeMethod": TREE_METHODS,
    "growPolicy": GROW_POLICIES,
    "sampleType": SAMPLE_TYPES,
    "normalizeType": NORMALIZE_TYPES,
}
_LINEAR_NUMBERS = ("lambda", "alpha", "topK")
_LINEAR_CHOICES: dict[str, dict[str, str]] = {"updater": UPDATERS, "featureSelector": FEATURE_SELECTORS}


def _take_choice(knime: KnimeSettings, key: str, path: str, choices: dict[str, str]) -> None:
    value = knime.get(path)
    if value is None:
        return
    name = _canonical(value, choices)
    if name is None:
        knime.lost(f"{path} = {value!r} is not supported by knitflow's XGBoost nodes; the default is used")
        knime.paths[path] = ""  # reported: no second finding for the key, nor for its binding
        return
    knime.put(key, name, path)


def _take_objective(knime: KnimeSettings, classify: bool) -> None:
    tree = knime.get("options.objective")
    path = "options.objective.identifier" if isinstance(tree, dict) else "options.objective"
    value = knime.get(path)
    if value is not None:
        known = CLASSIFICATION_OBJECTIVES if classify else tuple(REGRESSION_OBJECTIVES)
        if str(value) in known:
            knime.put("objective", str(value), path)
        else:
            knime.lost(f"objective {value!r} is not supported by knitflow's XGBoost nodes")
            knime.paths[path] = ""
    if isinstance(tree, dict):
        # the objective's own parameter (KNIME: "Tweedie regression variance")
        for key, power in tree.items():
            if key != "identifier" and "tweedie" in key.lower() and not classify:
                knime.put("tweedieVariancePower", power, f"options.objective.{key}")
        knime.unread(under="options.objective")


def _learner_translator(classify: bool, linear: bool) -> Any:
    def translate(knime: KnimeSettings) -> None:
        for key in _OPTION_KEYS:
            knime.take(key, f"options.{key}")
        knime.take("featureFilter", "options.featureFilter")
        _take_objective(knime, classify)
        for key in _LINEAR_NUMBERS if linear else _TREE_NUMBERS:
            knime.take(key, f"booster.{key}")
        for key, choices in (_LINEAR_CHOICES if linear else _TREE_CHOICES).items():
            _take_choice(knime, key, f"booster.{key}", choices)
        if not linear:
            _tree_findings(knime)
        knime.unread(under="options")
        knime.unread(under="booster")
        knime.unread()

    return translate


def _tree_findings(knime: KnimeSettings) -> None:
    method = knime.settings.get("treeMethod", "Auto")
    if method == "Approx":
        knime.lost(
            "treeMethod Approx: XGBoost4J's approx sketch is set by sketchEps, which xgboost >= 1.6 no "
            "longer has (it builds max_bin bins instead); the splits can differ from KNIME's"
        )
    elif method == "Auto":
        knime.note(
            "treeMethod Auto: the installed xgboost chooses hist (xgboost >= 2.0); an XGBoost4J older "
            "than 2.0 chose exact (approx on very large data), so the splits can differ from KNIME's"
        )


def _learner_mappings(kind: str, name: str, classify: bool, linear: bool) -> tuple[KnimeMapping, ...]:
    translate = _learner_translator(classify, linear)
    package = "classification" if classify else "regression"
    return (
        KnimeMapping(f"{_BASE}.learner.{package}.{kind}NodeFactory2", name, translate),
        KnimeMapping(f"{_BASE}.learner.{kind}NodeFactory", name, translate),
    )


class XGBoostTreeLearner(_XGBLearner):
    """KNIME's XGBoost Tree Ensemble Learner (classification)."""

    type_name = "xgboost_tree_learner"
    display_name = "XGBoost Tree Ensemble Learner"
    description = (
        "Learns gradient boosted trees with the xgboost library (the C++ core KNIME's XGBoost4J runs) for a "
        "nominal target: multi:softprob (any number of classes) or binary:logistic (two), classes numbered in "
        "order of first appearance; String features become indicator columns, missing cells XGBoost's missing "
        "value. Tree or DART booster with KNIME's booster parameters, seed and thread settings."
    )
    keywords = ("xgboost", "gradient boosting", "boosted trees", "dart", "classification")
    knime = _learner_mappings("XGBTreeClassificationLearner", display_name, True, False)
    Settings = XGBTreeClassificationSettings


class XGBoostTreeLearnerRegression(_XGBLearner):
    """KNIME's XGBoost Tree Ensemble Learner (Regression)."""

    type_name = "xgboost_tree_learner_regression"
    display_name = "XGBoost Tree Ensemble Learner (Regression)"
    description = (
        "Learns gradient boosted regression trees with the xgboost library (the C++ core KNIME's XGBoost4J "
        "runs): objective squared error (KNIME's reg:linear), logistic, gamma, poisson or tweedie; String "
        "features become indicator columns. Tree or DART booster with KNIME's booster parameters."
    )
    keywords = ("xgboost", "gradient boosting", "boosted trees", "dart", "regression")
    knime = _learner_mappings("XGBTreeRegressionLearner", display_name, False, False)
    Settings = XGBTreeRegressionSettings
    classify = False


class XGBoostLinearLearner(_XGBLearner):
    """KNIME's XGBoost Linear Ensemble Learner (classification)."""

    type_name = "xgboost_linear_learner"
    display_name = "XGBoost Linear Ensemble Learner"
    description = (
        "Learns a boosted linear model (xgboost's gblinear booster: elastic-net coordinate descent) for a nominal "
        "target, multi:softprob or binary:logistic; String features become indicator columns."
    )
    keywords = ("xgboost", "gblinear", "linear", "classification")
    knime = _learner_mappings("XGBLinearClassificationLearner", display_name, True, True)
    Settings = XGBLinearClassificationSettings
    linear = True


class XGBoostLinearLearnerRegression(_XGBLearner):
    """KNIME's XGBoost Linear Ensemble Learner (Regression)."""

    type_name = "xgboost_linear_learner_regression"
    display_name = "XGBoost Linear Ensemble Learner (Regression)"
    description = (
        "Learns a boosted linear regression model (xgboost's gblinear booster: elastic-net coordinate descent) "
        "with the objectives of the tree regression learner."
    )
    keywords = ("xgboost", "gblinear", "linear", "regression")
    knime = _learner_mappings("XGBLinearRegressionLearner", display_name, False, True)
    Settings = XGBLinearRegressionSettings
    classify = False
    linear = True


# ------------------------------------------------------------------------------------ predictors


class XGBPredictorSettings(NodeSettings):
    """KNIME's XGBoost predictor settings."""

    changePredictionColumnName: bool = Field(
        False, description="Use predictionColumnName instead of `Prediction (<target>)`."
    )
    predictionColumnName: str = Field("", description="The custom prediction column name.")
    appendProbabilities: bool = Field(
        False, description="Classification: append `P (<target>=<class>)<suffix>` per class."
    )
    probabilitySuffix: str = Field("", description="Suffix of the class probability columns.")
    unknownAsMissing: bool = Field(
        False,
        description="A value of a nominal feature the learner did not see counts as missing; otherwise it fails.",
    )
    batchSize: int = Field(10000, ge=1, description="KNIME's prediction batch size; no effect on the result.")


def _model_spec(obj: Any, kind: str) -> ModelSpec | None:
    if not isinstance(obj, ModelSpec):
        return None
    if obj.kind != kind:
        wanted = "classification" if kind == KIND_CLASSIFICATION else "regression"
        raise ConfigureError(f"the predictor needs an XGBoost {wanted} model (got {obj.kind})")
    return obj


def _predictor_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        (
            "changePredictionColumnName",
            "predictionColumnName",
            "appendProbabilities",
            "probabilitySuffix",
            "unknownAsMissing",
            "batchSize",
        )
    )
    knime.unread()


class _XGBPredictor(Node):
    category = Category.PREDICTOR
    inputs = (
        Port(XGBOOST, "XGBoost model", "A model of an XGBoost learner."),
        Port(TABLE, "Input data", "Rows to predict; must contain the feature columns."),
    )
    outputs = (Port(TABLE, "Predictions", "The input plus the prediction columns."),)
    Settings = XGBPredictorSettings
    kind: ClassVar[str] = KIND_CLASSIFICATION

    def _columns(self, model: ModelSpec, spec: TableSpec, s: XGBPredictorSettings) -> list[Any] | None:
        target = model.target.name if model.target else ""
        name = prediction_name(s.predictionColumnName, s.changePredictionColumnName, target)
        if self.kind == KIND_REGRESSION:
            return append_unique(spec, [(name, ColumnType.DOUBLE)])
        probs: list[tuple[str, str]] = []
        if s.appendProbabilities:
            labels = model.details.get("class_values")
            if labels is None:
                return None
            probs = [(probability_name(target, v, s.probabilitySuffix), ColumnType.DOUBLE) for v in labels]
        return append_unique(spec, [*probs, (name, ColumnType.STRING)])

    def configure(self, in_specs: list[Any], settings: XGBPredictorSettings, ctx: NodeContext) -> list[Any]:
        model, spec = _model_spec(in_specs[0], self.kind), in_specs[1]
        if model is None or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        check_learning_columns(model, spec)
        columns = self._columns(model, spec, settings)
        return [UNKNOWN if columns is None else spec.append(*columns)]

    def execute(self, inputs: list[Any], settings: XGBPredictorSettings, ctx: NodeContext) -> list[Any]:
        model_port, table = inputs[0], inputs[1]
        spec = _model_spec(model_port.spec, self.kind)
        assert spec is not None
        check_learning_columns(spec, table.spec)
        model: XGBoostModel = model_port.payload
        columns = self._columns(spec, table.spec, settings)
        assert columns is not None
        df = table.df.copy()
        names = [c for c, _ in columns]
        if self.kind == KIND_REGRESSION:
            df[names[0]] = model.predict(table.df, settings.unknownAsMissing).reshape(-1)
        else:
            probs = model.probabilities(table.df, settings.unknownAsMissing)
            labels = [cell_text(c) for c in model.classes]
            if settings.appendProbabilities:
                for j, name in enumerate(names[:-1]):
                    df[name] = probs[:, j]
            best = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=int)
            df[names[-1]] = pd.array([labels[b] for b in best], dtype=object)
        return [table.with_frame(df, dict(columns))]


class XGBoostPredictor(_XGBPredictor):
    """KNIME's XGBoost Predictor (classification)."""

    type_name = "xgboost_predictor"
    display_name = "XGBoost Predictor"
    description = (
        "Applies an XGBoost classification model: optional class probabilities `P (<target>=<class>)<suffix>`, then "
        "`Prediction (<target>)`, the most probable class (the first one on a tie)."
    )
    keywords = ("xgboost", "predict", "classification")
    knime = (
        KnimeMapping(
            f"{_BASE}.predictor.XGBClassificationPredictorNodeFactory", display_name, _predictor_from_knime
        ),
    )


class XGBoostPredictorRegression(_XGBPredictor):
    """KNIME's XGBoost Predictor (Regression)."""

    type_name = "xgboost_predictor_regression"
    display_name = "XGBoost Predictor (Regression)"
    description = "Applies an XGBoost regression model: appends `Prediction (<target>)` (Double)."
    keywords = ("xgboost", "predict", "regression")
    knime = (
        KnimeMapping(
            f"{_BASE}.predictor.XGBRegressionPredictorNodeFactory", display_name, _predictor_from_knime
        ),
    )
    kind = KIND_REGRESSION
