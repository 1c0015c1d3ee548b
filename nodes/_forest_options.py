"""The random forest learners' shared options: KNIME's TreeEnsembleLearnerConfiguration settings and
what they translate to for scikit-learn trees (attribute sampling, tree sizes, split statistics).

Shared by the regression and classification forests, the tree ensembles and the gradient boosted
trees (learner and predictor settings, tree model, the learner nodes' ports), so the option handling
exists once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from engine.api import (
    TABLE,
    Category,
    ColumnType,
    ConfigureError,
    ModelSpec,
    Node,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeSettings, seq
from nodes._common import ColumnFilter
from nodes._learning import check_learning_columns, model_spec_of
from nodes._mining import NOMINAL, cell_text, parse_seed

ATTRIBUTE_TYPES = ColumnType.NUMERIC | NOMINAL
REPORT_LEVELS = 3  # KNIME reports attribute statistics for the levels 0, 1, 2
STAT_COLUMNS = [f"#splits (level {i})" for i in range(REPORT_LEVELS)] + [
    f"#candidates (level {i})" for i in range(REPORT_LEVELS)
]
STATS_SPEC = TableSpec.of([(c, ColumnType.INTEGER) for c in STAT_COLUMNS])
STATS_PORT = Port(
    TABLE, "Attribute statistics", "#splits and #candidates per attribute on the levels 0, 1, 2."
)
ROWS_TO_PREDICT = Port(TABLE, "Input data", "Rows to predict; must contain the learning columns.")
PREDICTIONS_PORT = Port(TABLE, "Predictions", "The input plus the prediction columns.")


class RandomForestLearnerSettings(NodeSettings):
    """KNIME's RandomForestRegressionLearner settings (TreeEnsembleLearnerConfiguration keys)."""

    targetColumn: str | None = Field(None, description="The numeric target column.")
    columnFilterConfig: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="The attribute columns (numeric, String or Boolean; other types are never attributes); the target "
        "is never an attribute. String columns are one-hot encoded for scikit-learn.",
    )
    seed: int | None = Field(
        None,
        description="Random seed: the same seed gives identical forests. Empty: a new forest on every run (unless the "
        "run has a seed).",
    )
    maxLevels: int = Field(
        -1,
        description="Maximum tree depth, the root being depth 0: a node at depth >= maxLevels is not split "
        "(scikit-learn `max_depth`); -1 = unlimited.",
    )
    minNodeSize: int = Field(
        -1,
        description="A node with fewer records is not split (scikit-learn `min_samples_split`); -1 = no limit "
        "(2 * minChildSize when that is set).",
    )
    minChildSize: int = Field(
        -1,
        description="Minimum records in each child of a split (scikit-learn `min_samples_leaf`); -1 = no limit.",
    )
    dataFraction: float = Field(
        1.0, gt=0, le=1, description="Fraction of the rows drawn for each tree (round(fraction * rows))."
    )
    isDataSelectionWithReplacement: bool = Field(
        True, description="Draw the rows of each tree with replacement (bootstrap) or without."
    )
    rowSamplingMode: Literal["Random"] = Field(
        "Random",
        description="Row sampling; regression supports only Random (stratified modes are for classes).",
    )
    columnSamplingMode: Literal["SquareRoot", "Linear", "Absolute", "None"] = Field(
        "SquareRoot",
        description="Attribute sample size: SquareRoot = floor(sqrt(#attributes)), Linear = round(fraction * "
        "#attributes), Absolute = a fixed number, None = all attributes; clamped to [1, #attributes].",
    )
    columnFractionPerTree: float = Field(
        1.0, gt=0, le=1, description="Attribute fraction for Linear sampling."
    )
    columnAbsolutePerTree: int = Field(10, ge=0, description="Number of attributes for Absolute sampling.")
    isUseDifferentAttributesAtEachNode: bool = Field(
        True,
        description="True: a new attribute sample at every node (scikit-learn `max_features`); false: one sample per "
        "tree, the tree is grown on those attributes only.",
    )
    nrModels: int = Field(100, gt=0, description="Number of trees (scikit-learn `n_estimators`).")
    splitCriterion: Literal["InformationGainRatio", "InformationGain", "Gini"] = Field(
        "InformationGainRatio",
        description="Classification split criterion; unused for regression (splits minimise the squared error).",
    )
    missingValueHandling: Literal["XGBoost"] = Field(
        "XGBoost",
        description="Missing attribute values: each split learns the direction they take (scikit-learn's native "
        "missing-value support, KNIME's XGBoost mode). KNIME's Surrogate mode is not supported.",
    )
    useAverageSplitPoints: bool = Field(
        True,
        description="Split thresholds halfway between neighbouring values (scikit-learn always does this).",
    )
    useBinaryNominalSplits: bool = Field(
        True, description="Binary splits on nominal attributes (one-hot columns give binary splits)."
    )
    ignoreColumnsWithoutDomain: bool = Field(True, description="KNIME's domain check; no effect here.")

    @field_validator("seed", mode="before")
    @classmethod
    def _seed(cls, value: Any) -> int | None:
        return parse_seed(value)

    @model_validator(mode="after")
    def _sizes(self) -> RandomForestLearnerSettings:
        if self.maxLevels != -1 and self.maxLevels <= 0:
            raise ValueError(f"Invalid value for number of maximum tree depth (#level): {self.maxLevels}")
        if self.minNodeSize != -1 and self.minNodeSize <= 0:
            raise ValueError(f"Invalid minimum node size: {self.minNodeSize}")
        if self.minChildSize != -1 and self.minChildSize <= 0:
            raise ValueError(f"Invalid minimum child size: {self.minChildSize}")
        if self.minChildSize > 0 and self.minNodeSize > 0 and self.minChildSize > self.minNodeSize // 2:
            raise ValueError(
                f"Invalid minimum child size ({self.minChildSize}); must be at most half the minimum "
                f"node size ({self.minNodeSize})"
            )
        return self


def forest_attributes(spec: TableSpec, settings: RandomForestLearnerSettings) -> list[str]:
    attrs = [
        c
        for c in settings.columnFilterConfig.apply(spec, allowed_types=ATTRIBUTE_TYPES)
        if c != settings.targetColumn
    ]
    if not attrs:
        raise ConfigureError(
            "Input table has no valid learning columns (need one additional numeric or nominal column).",
            setting="columnFilterConfig",
        )
    return attrs


def attribute_sample_size(settings: RandomForestLearnerSettings, total: int) -> int:
    mode = settings.columnSamplingMode
    if mode == "None":
        return total
    if mode == "Linear":
        size = int(math.floor(settings.columnFractionPerTree * total + 0.5))
    elif mode == "Absolute":
        size = settings.columnAbsolutePerTree
    else:
        size = int(math.floor(math.sqrt(total)))
    return max(1, min(size, total))


FOREST_KEYS = [
    "targetColumn",
    "columnFilterConfig",
    "seed",
    "maxLevels",
    "minNodeSize",
    "minChildSize",
    "dataFraction",
    "isDataSelectionWithReplacement",
    "rowSamplingMode",
    "columnSamplingMode",
    "columnFractionPerTree",
    "columnAbsolutePerTree",
    "isUseDifferentAttributesAtEachNode",
    "nrModels",
    "splitCriterion",
    "missingValueHandling",
    "useAverageSplitPoints",
    "useBinaryNominalSplits",
    "ignoreColumnsWithoutDomain",
]


def first_plugin_column_filter(knime: KnimeSettings) -> None:
    """The first tree ensemble plugin (org.knime.base.node.mine.treeensemble) kept no column filter
    config: `includeAllColumns` (every numeric or nominal column but the target) or the names in
    `includeColumns`. Both as the column filter of the treeensemble2 keys; nothing when absent."""
    if "includeColumns" not in knime.tree and "includeAllColumns" not in knime.tree:
        return
    if knime.get("includeAllColumns"):
        chosen: dict[str, Any] = {"included_names": [], "excluded_names": []}
        chosen["enforce_option"] = "EnforceExclusion"
    else:
        chosen = {"included_names": [str(name) for name in seq(knime.get("includeColumns"))]}
        chosen.update(excluded_names=[], enforce_option="EnforceInclusion")
    knime.put("columnFilterConfig", chosen, "includeColumns")
    knime.paths["includeAllColumns"] = "columnFilterConfig"


def unsupported_forest_options(knime: KnimeSettings) -> None:
    """The TreeEnsembleLearnerConfiguration options knitflow's forests cannot follow, as findings."""
    tree = knime.tree
    if tree.get("fingerprintColumn"):
        knime.lost("learning on a fingerprint (bit, byte or double vector) column is not supported")
    if tree.get("hardCodedRootColumn"):
        knime.lost("a fixed root attribute (hardCodedRootColumn) is not supported")
    if tree.get("missingValueHandling") == "Surrogate":
        knime.lost(
            "surrogate splits for missing values are not supported (knitflow learns each split's direction)"
        )


def node_depths(tree: Any) -> np.ndarray:
    t = tree.tree_
    depth = np.zeros(t.node_count, dtype=int)
    for node in range(t.node_count):  # children always have larger ids than their parent
        for child in (t.children_left[node], t.children_right[node]):
            if child >= 0:
                depth[child] = depth[node] + 1
    return depth


@dataclass
class RandomForestModel:
    """The forest: per tree the design columns it was grown on (all of them unless attributes were
    sampled per tree)."""

    target: str
    attributes: list[str]
    attribute_types: dict[str, str]
    levels: dict[str, list[str]]  # one-hot levels of the String attributes
    owner: list[int]  # design column -> attribute index
    trees: list[Any] = field(repr=False, default_factory=list)
    tree_columns: list[np.ndarray] = field(repr=False, default_factory=list)

    def design(self, df: pd.DataFrame) -> np.ndarray:
        if not self.levels and all(
            isinstance(t, np.dtype) and t.kind in "iuf" for t in df.dtypes[self.attributes]
        ):
            return df[self.attributes].to_numpy(
                dtype=float
            )  # all plain numbers: one conversion, not one per column
        cols: list[np.ndarray] = []
        for a in self.attributes:
            s = df[a]
            kind = self.attribute_types[a]
            if kind == ColumnType.STRING:
                missing = s.isna().to_numpy()
                text = np.array(
                    [cell_text(v) if not m else "" for v, m in zip(s.tolist(), missing, strict=True)],
                    dtype=object,
                )
                for level in self.levels[a]:
                    col = (text == level).astype(float)
                    col[missing] = np.nan
                    cols.append(col)
            elif kind == ColumnType.BOOLEAN:
                cols.append(s.astype("float64").to_numpy(dtype=float, na_value=np.nan))
            else:
                cols.append(pd.to_numeric(s).to_numpy(dtype=float, na_value=np.nan))
        return np.column_stack(cols) if cols else np.zeros((len(df), 0))

    def tree_predictions(self, x: np.ndarray) -> np.ndarray:
        """(n_trees, n_rows) predictions of every tree."""
        if len(x) == 0:
            return np.zeros((len(self.trees), 0))
        if np.isnan(x).any():  # scikit-learn's missing-value routing needs its input checks
            return np.vstack([t.predict(x[:, c]) for t, c in zip(self.trees, self.tree_columns, strict=True)])
        x32 = x.astype(np.float32)  # what the trees' input check would do, done once for all trees
        return np.vstack(
            [
                t.predict(np.ascontiguousarray(x32[:, c]), check_input=False)
                for t, c in zip(self.trees, self.tree_columns, strict=True)
            ]
        )


def attribute_owner(attributes: list[str], levels: dict[str, list[str]]) -> list[int]:
    """Design column -> attribute index: a String attribute owns one one-hot column per level."""
    return [i for i, a in enumerate(attributes) for _ in (levels[a] if a in levels else [None])]


@dataclass(frozen=True)
class TreeShape:
    """KNIME's attribute sampling and size limits as scikit-learn tree parameters."""

    subset: int  # attributes in each sample
    per_node: bool  # a new sample at every node (scikit-learn max_features)
    per_tree: bool  # one sample per tree: the tree sees only those attributes
    max_features: int | None
    max_depth: int | None
    min_samples_split: int
    min_samples_leaf: int


def tree_shape(settings: RandomForestLearnerSettings, n_attr: int, n_design: int, one_hot: bool) -> TreeShape:
    """One-hot encoded attributes widen the design, so a per-node sample grows with it."""
    subset = attribute_sample_size(settings, n_attr)
    per_node = settings.isUseDifferentAttributesAtEachNode and subset < n_attr
    per_tree = not settings.isUseDifferentAttributesAtEachNode and subset < n_attr
    max_features = None
    if per_node:
        max_features = subset if not one_hot else max(1, round(subset * n_design / n_attr))
    min_leaf = settings.minChildSize if settings.minChildSize > 0 else 1
    min_split = settings.minNodeSize if settings.minNodeSize > 0 else 2 * min_leaf
    return TreeShape(
        subset,
        per_node,
        per_tree,
        max_features,
        None if settings.maxLevels == -1 else settings.maxLevels,
        max(2, min_split),
        min_leaf,
    )


def tree_attributes(
    rng: np.random.Generator, shape: TreeShape, owner: np.ndarray, n_attr: int, n_design: int
) -> tuple[np.ndarray, np.ndarray]:
    """The attributes a tree may split on and their design columns (draws from rng only per tree)."""
    if shape.per_tree:
        chosen = np.sort(rng.choice(n_attr, size=shape.subset, replace=False))
        return chosen, np.flatnonzero(np.isin(owner, chosen))
    return np.arange(n_attr), np.arange(n_design)


class SplitStatistics:
    """KNIME's attribute statistics port: splits and candidacies per attribute on the levels 0-2
    (candidacies are unknown when scikit-learn samples attributes at every node)."""

    def __init__(self, n_attr: int, per_node: bool) -> None:
        self.per_node = per_node
        self.splits = np.zeros((REPORT_LEVELS, n_attr), dtype=np.int64)
        self.candidates = np.zeros((REPORT_LEVELS, n_attr), dtype=np.int64)

    def add(self, tree: Any, cols: np.ndarray, chosen: np.ndarray, owner: np.ndarray) -> None:
        depth = node_depths(tree)
        inner = tree.tree_.children_left >= 0
        for level in range(REPORT_LEVELS):
            at = depth == level
            np.add.at(self.splits[level], owner[cols[tree.tree_.feature[at & inner]]], 1)
            if not self.per_node:
                self.candidates[level, chosen] += int(at.sum())

    def table(self, attributes: list[str]) -> Table:
        n_attr = len(attributes)
        stats = {
            f"#splits (level {i})": pd.array(self.splits[i], dtype="Int32") for i in range(REPORT_LEVELS)
        }
        for i in range(REPORT_LEVELS):
            values = [pd.NA] * n_attr if self.per_node else self.candidates[i].tolist()
            stats[f"#candidates (level {i})"] = pd.array(values, dtype="Int32")
        return Table(
            pd.DataFrame(stats, index=pd.Index(attributes, dtype=object)),
            dict.fromkeys(STAT_COLUMNS, ColumnType.INTEGER),
        )


# ----------------------------------------------------------------------------------- learner nodes


class ForestLearnerNode(Node):
    """What the forest, tree ensemble and boosting learners share: a seed makes them repeatable."""

    category = Category.LEARNER

    def is_deterministic(self, settings: Any) -> bool:
        return settings.seed is not None


def learner_input(target: str) -> Port:
    """A forest learner's table, with a `nominal` or `numeric` target."""
    return Port(TABLE, "Input data", f"Attribute columns and a {target} target column.")


def forest_learner_outputs(oob_help: str, model: Port) -> tuple[Port, Port, Port]:
    """A forest learner's ports: the out-of-bag predictions, the attribute statistics, the model."""
    return (Port(TABLE, "Out-of-bag predictions", oob_help), STATS_PORT, model)


# -------------------------------------------------------------------------------- predictor settings


class PredictionColumnSettings(NodeSettings):
    """AbstractPredictorConfiguration's prediction column, as every forest and boosting predictor has it."""

    predictionColumnName: str = Field(
        "Prediction (y)",
        description="Prediction column name, used only when `changePredictionColumnName` is on.",
        json_schema_extra=widget("new_column"),
    )
    changePredictionColumnName: bool = Field(
        False, description="Off: the prediction column is `Prediction (<target>)`."
    )


class ForestRegressionPredictorSettings(PredictionColumnSettings):
    """TreeEnsemblePredictorConfiguration's regression keys (the Random Forest Predictor's wording)."""

    appendPredictionConfidence: bool = Field(
        True,
        description="Append `<prediction column> (Prediction Variance)`: the variance of the tree predictions.",
    )
    appendModelCount: bool = Field(False, description="Append `model count` (number of trees used).")


class ForestClassificationPredictorSettings(PredictionColumnSettings):
    """TreeEnsemblePredictorConfiguration's classification keys (the Random Forest Predictor's defaults
    and wording; the other predictors override what differs)."""

    appendPredictionConfidence: bool = Field(
        True, description="Append `<prediction column> (Confidence)`: the winning class's confidence."
    )
    appendClassConfidences: bool = Field(
        True, description="Append `P (<target>=<class>)<suffix>` for every class."
    )
    suffixForClassProbabilities: str = Field("", description="Suffix of the class confidence columns.")
    appendModelCount: bool = Field(False, description="Append `model count` (number of trees).")
    useSoftVoting: bool = Field(
        False, description="Average the trees' class distributions instead of counting their majority votes."
    )


LEGACY_ORDER_HELP = (
    "Set for nodes saved by the pre-3.6 factory: prediction, confidence, then `P(<target>=<v>)`."
)


def legacy_column_order(description: str = LEGACY_ORDER_HELP) -> Any:
    """The field of nodes saved by a pre-3.6 factory, whose columns KNIME laid out differently."""
    return Field(False, title="Column layout of KNIME before 3.6", description=description)


# TreeEnsemblePredictorConfiguration's keys, as the random forest and boosting predictors read them
PREDICTOR_KEYS = [
    "predictionColumnName",
    "changePredictionColumnName",
    "appendPredictionConfidence",
    "appendClassConfidences",
    "suffixForClassProbabilities",
    "appendModelCount",
    "useSoftVoting",
]


def prediction_column_name(
    model: ModelSpec, settings: Any, empty: str = "Prediction column name cannot be empty"
) -> str:
    """`Prediction (<target>)`, or the name given when `changePredictionColumnName` is on (a blank
    one fails with the node's message `empty`)."""
    target = model.target.name if model.target else ""
    name = settings.predictionColumnName if settings.changePredictionColumnName else f"Prediction ({target})"
    if not name.strip():
        raise ConfigureError(empty, setting="predictionColumnName")
    return str(name)


def predictor_inputs(in_specs: list[Any], kind: str) -> tuple[ModelSpec, TableSpec] | None:
    """A predictor's model spec and table spec, the learning columns checked; None while either is
    unknown."""
    model, spec = model_spec_of(in_specs[0], kind), in_specs[1]
    if model is None or not isinstance(spec, TableSpec):
        return None
    check_learning_columns(model, spec)
    return model, spec
