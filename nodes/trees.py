"""KNIME's Decision Tree Learner and Decision Tree Predictor, ported from KNIME's own algorithm
(org.knime.base.node.mine.decisiontree2: C4.5/SPRINT-style induction).

The learner is deterministic, so it is reproduced step for step: class and nominal values mapped
in order of first appearance (InMemoryTableCreator), binary numeric splits found by sweeping the
sorted values with KNIME's minimum partition size `clamp(0.1 * n / #classes, minRecords, 25)`
(SplitContinuous), one branch per nominal value (SplitNominalNormal) or binary nominal subsets
enumerated in KNIME's Gray-code order (SplitNominalBinary), the Gini index or the gain ratio
weighted by the fraction of known values, ties going to the later candidate (`>=`), rows with a
missing split value sent down every branch with fractional weights (Partitioner), then reduced
error pruning and MDL pruning (Pruner). The predictor follows KNIME's PMML tree evaluation: the
first branch whose predicate holds, the missing-value strategy (last prediction / none) and the
no-true-child strategy, and PredictorHelper's column names.

Differences that remain: KNIME's in-place quicksort sums fractional weights (rows with missing
values) in another order, and its missing-value sweep can leave one missing value inside the
sorted range (a KNIME bug); with missing numeric values the trees can therefore differ in rare
ties. Nominal columns count as having a domain when they hold at most 60 distinct values
(KNIME's default domain limit), which is what "skip columns without domain" tests.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnSpec,
    ColumnType,
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
from nodes._decision_tree import (
    DECISION_TREE,
    KIND,
    DecisionTreeModel,
    Measure,
    TreeData,
    TreeNode,
    build,
    filter_empty_leaves,
    mdl_prune,
    training_error_prune,
)
from nodes._learning import (
    append_unique,
    check_learning_columns,
    class_values,
    model_spec_of,
    prediction_name,
    probability_name,
    text_values,
)
from nodes._mining import NOMINAL, cell_text

DOMAIN_LIMIT = 60  # KNIME's default maximum number of possible values kept in a column domain
NUMERIC_ATTRIBUTES = ColumnType.NUMERIC | {ColumnType.BOOLEAN}  # BooleanCell is a DoubleValue


class DecisionTreeLearnerSettings(NodeSettings):
    """KNIME's DecisionTreeLearnerNodeModel2 settings (keys as KNIME writes them)."""

    classifyColumn: str | None = Field(
        None, title="Class column", description="The nominal target column. Empty: the last nominal column."
    )
    splitQualityMeasure: Literal["Gini index", "Gain ratio"] = Field(
        "Gini index", title="Quality measure", description="The split quality measure."
    )
    pruningMethod: Literal["No pruning", "MDL"] = Field(
        "No pruning",
        title="Pruning method",
        description="MDL: minimum description length pruning; No pruning: only empty leaves are removed.",
    )
    enableReducedErrorPruning: bool = Field(
        True,
        title="Reduced error pruning",
        description="Replace a subtree by a leaf when that does not raise the training error.",
    )
    minNumberRecordsPerNode: int = Field(
        2,
        ge=1,
        title="Minimum number of records per node",
        description="A node with at most twice this many records is not split; each split needs two branches "
        "with at least this many.",
    )
    splitAverage: bool = Field(
        True,
        title="Average split point",
        description="Numeric split value halfway between the two separating values (else the lower one).",
    )
    binaryNominalSplit: bool = Field(
        False,
        title="Binary nominal splits",
        description="Split nominal attributes into two value subsets instead of one branch per value.",
    )
    maxNumNominalValues: int = Field(
        10,
        ge=1,
        title="Maximum number of nominal values",
        description="Up to this many values all subsets are tried for binary splits; above, KNIME's greedy heuristic.",
    )
    FilterNominalValuesFromParent: bool = Field(
        False,
        title="Filter invalid attribute values in child nodes",
        description="Only tidies the tests shown in KNIME's tree view; predictions are the same.",
    )
    skipColumnsWithoutDomain: bool = Field(
        True,
        title="Skip nominal columns without domain information",
        description=f"Skip nominal columns with more than {DOMAIN_LIMIT} distinct values (KNIME keeps no domain "
        "for those).",
    )
    useFirstSplitColumn: bool = Field(
        False, title="Force root split column", description="Split the root on `firstSplitColumn`."
    )
    firstSplitColumn: str | None = Field(
        None, title="Root split column", description="The root split column."
    )
    CFG_NOTRUECHILD: Literal["returnNullPrediction", "returnLastPrediction"] = Field(
        "returnNullPrediction",
        title="No true child strategy",
        description="When no branch matches a row: a missing prediction, or the current node's prediction.",
    )
    CFG_MISSINGSTRATEGY: Literal["lastPrediction", "none"] = Field(
        "lastPrediction",
        title="Missing value strategy",
        description="A missing split value stops at the current node (lastPrediction) or counts as false (none).",
    )


# --------------------------------------------------------------------------------------- learner


def _class_column(spec: TableSpec, settings: DecisionTreeLearnerSettings, ctx: NodeContext | None) -> str:
    target = settings.classifyColumn
    if target is None:  # KNIME guesses the last nominal column
        nominal = [c.name for c in spec.columns if c.type in NOMINAL]
        if not nominal:
            raise ConfigureError(
                "Table contains no nominal attribute for classification.", setting="classifyColumn"
            )
        target = nominal[-1]
        if ctx is not None:
            ctx.warn(f'Guessing target column: "{target}".')
    col = spec.get(target)
    if col is None or col.type not in NOMINAL:
        raise ConfigureError(f'Class column "{target}" not found or incompatible', setting="classifyColumn")
    return target


def _learning_columns(spec: TableSpec, target: str) -> list[ColumnSpec]:
    return [
        c for c in spec.columns if c.name != target and (c.type in NUMERIC_ATTRIBUTES or c.type in NOMINAL)
    ]


def _check_first_split(spec: TableSpec, settings: DecisionTreeLearnerSettings, target: str) -> None:
    if not settings.useFirstSplitColumn:
        return
    first = settings.firstSplitColumn
    if first is None:
        raise ConfigureError(
            "Root split column should be used but is not specified.", setting="firstSplitColumn"
        )
    if first not in spec:
        raise ConfigureError(
            f'The selected column for the root split "{first}" is not in the table.',
            setting="firstSplitColumn",
        )
    if first == target:
        raise ConfigureError(
            "The class column can not be selected as the first column to split on.",
            setting="firstSplitColumn",
        )


def _tree_spec(
    spec: TableSpec, target: str, learning: list[ColumnSpec], classes: list[Any] | None
) -> ModelSpec:
    details = {} if classes is None else {"class_values": [cell_text(c) for c in classes]}
    return ModelSpec(KIND, TableSpec(tuple(learning)), spec.get(target), details)


_LEARNER_KEYS = [
    "classifyColumn",
    "splitQualityMeasure",
    "pruningMethod",
    "enableReducedErrorPruning",
    "minNumberRecordsPerNode",
    "splitAverage",
    "binaryNominalSplit",
    "maxNumNominalValues",
    "FilterNominalValuesFromParent",
    "skipColumnsWithoutDomain",
    "useFirstSplitColumn",
    "firstSplitColumn",
    "CFG_NOTRUECHILD",
    "CFG_MISSINGSTRATEGY",
]


def _decision_tree_learner_from_knime(knime: KnimeSettings) -> None:
    """All KNIME layouts (2.x to 5.x) share these keys; the view's record count and the thread
    count change nothing computed. Settings saved before 2.8 lack the strategies (KNIME then uses
    returnNullPrediction / lastPrediction, knitflow's defaults); `defaultChild` is read as
    lastPrediction, as KNIME does (bug 4780); before 2.5 nominal columns were never skipped."""
    knime.take_all(_LEARNER_KEYS)
    if knime.get("CFG_MISSINGSTRATEGY") == "defaultChild":
        knime.put("CFG_MISSINGSTRATEGY", "lastPrediction", "CFG_MISSINGSTRATEGY")
    if "skipColumnsWithoutDomain" not in knime.tree:
        knime.put("skipColumnsWithoutDomain", False)
    if knime.get("pruningMethod") == "Estimated error":
        knime.lost("pruning method 'Estimated error' is not allowed by KNIME either")


def _with_domain(df: pd.DataFrame, candidates: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
    """The learning columns; a nominal column with too many values (KNIME: no domain) is skipped
    if so set."""
    learning = []
    for col in candidates:
        if col.type in NOMINAL and col.type != ColumnType.BOOLEAN and settings.skipColumnsWithoutDomain:
            if df[col.name].nunique(dropna=True) > DOMAIN_LIMIT:
                ctx.log(
                    f"nominal column {col.name!r} has more than {DOMAIN_LIMIT} values (no domain): skipped"
                )
                continue
        learning.append(col)
    return learning


def _attribute_matrix(kept: pd.DataFrame, learning: list[Any]) -> tuple[np.ndarray, list[list[str]]]:
    """The attributes as numbers (a nominal value as its index, NaN for missing) and each nominal
    attribute's values in that order (empty for a numeric one)."""
    columns, values = [], []
    for col in learning:
        if col.type in NOMINAL and col.type != ColumnType.BOOLEAN:
            cells = text_values(kept[col.name])
            mapped = class_values(cells)
            index = {v: i for i, v in enumerate(mapped)}
            columns.append(np.array([np.nan if v is None else index[v] for v in cells], dtype=float))
            values.append([cell_text(v) for v in mapped])
        else:
            columns.append(kept[col.name].astype("float64").to_numpy(dtype=float, na_value=np.nan))
            values.append([])
    x = np.column_stack(columns) if columns else np.zeros((len(kept), 0))
    return x, values


class DecisionTreeLearner(Node):
    """KNIME's Decision Tree Learner."""

    type_name = "decision_tree_learner"
    display_name = "Decision Tree Learner"
    category = Category.LEARNER
    description = (
        "Induces a classification tree with KNIME's own algorithm (C4.5/SPRINT): binary splits on numeric "
        "attributes, one branch per value (or binary subsets) on nominal ones, Gini index or gain ratio, at least "
        "`minNumberRecordsPerNode` records per branch, rows with missing values sent down every branch with "
        "fractional weights, then reduced error pruning and optional MDL pruning. Deterministic: the same tree "
        "as KNIME's (see the module notes for the rare ties with missing numeric values)."
    )
    keywords = ("decision tree", "classification", "C4.5", "gini", "gain ratio", "CART")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.decisiontree2.learner2.DecisionTreeLearnerNodeFactory3",
            "Decision Tree Learner",
            _decision_tree_learner_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.decisiontree2.learner2.DecisionTreeLearnerNodeFactory2",
            "Decision Tree Learner",
            _decision_tree_learner_from_knime,
            ports=lambda _cfg: ({2: None}, {}),  # its optional PMML input (preprocessing) has no counterpart
        ),
        KnimeMapping(
            "org.knime.base.node.mine.decisiontree2.learner.DecisionTreeLearnerNodeFactory",
            "Decision Tree Learner",
            _decision_tree_learner_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Training data", "Numeric and nominal attributes and a nominal class column."),)
    outputs = (Port(DECISION_TREE, "Decision tree model", "The induced (and pruned) tree."),)
    Settings = DecisionTreeLearnerSettings

    def configure(
        self, in_specs: list[Any], settings: DecisionTreeLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        target = _class_column(spec, settings, None)
        _check_first_split(spec, settings, target)
        return [_tree_spec(spec, target, _learning_columns(spec, target), None)]

    def execute(
        self, inputs: list[Any], settings: DecisionTreeLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        spec, df = table.spec, table.df
        target = _class_column(spec, settings, ctx)
        _check_first_split(spec, settings, target)
        if len(df) <= 1:
            raise NodeError("Input data table must have at least 2 records!")
        candidates = _learning_columns(spec, target)
        y_all = text_values(df[target])
        keep = np.array([v is not None for v in y_all])
        removed = int((~keep).sum())
        if removed == len(df):
            raise NodeError("Class column contains only missing values")
        learning = _with_domain(df, candidates, settings, ctx)
        classes = class_values(v for v, k in zip(y_all, keep, strict=True) if k)
        code_of = {c: i for i, c in enumerate(classes)}
        y = np.array([code_of[v] for v, k in zip(y_all, keep, strict=True) if k], dtype=int)
        x, values = _attribute_matrix(df[keep], learning)
        data = TreeData(
            [c.name for c in learning],
            x,
            y,
            len(classes),
            values,
            settings,
            Measure(settings.splitQualityMeasure == "Gini index"),
        )
        warnings: list[str] = []
        if removed:
            warnings.append(f"{removed} rows removed due to missing class value;")
        root = build(
            data, np.arange(len(y)), np.ones(len(y)), np.ones(len(learning), dtype=bool), 0, warnings, ctx
        )
        if settings.enableReducedErrorPruning:
            _, root = training_error_prune(root)
        if settings.pruningMethod == "MDL":
            _, root = mdl_prune(root)
        else:
            filter_empty_leaves(root)
        for w in warnings:
            ctx.warn(w)
        model = DecisionTreeModel(
            target,
            classes,
            data.names,
            [bool(v) for v in values],
            root,
            settings.CFG_MISSINGSTRATEGY,
            settings.CFG_NOTRUECHILD,
        )
        summary = (
            f"decision tree of {root.size()} nodes on {len(learning)} attributes, {len(classes)} classes"
        )
        return [Model(KIND, model, summary, spec=_tree_spec(spec, target, learning, classes))]


# ------------------------------------------------------------------------------------- predictor


class DecisionTreePredictorSettings(NodeSettings):
    """KNIME's DecTreePredictorNodeModel (predictor2) settings."""

    UseGainRatio: int = Field(
        10000,
        ge=0,
        title="Number of patterns for hiliting",
        description="Rows KNIME keeps for hiliting (its historic key name); no effect on the predictions.",
    )
    change_prediction: bool = Field(
        False, title="Change prediction column name", description="Off: `Prediction (<target>)`."
    )
    prediction_column_name: str = Field(
        "Prediction ()",
        description="The prediction column's name when `change_prediction` is on.",
        json_schema_extra=widget("new_column"),
    )
    ShowDistribution: bool = Field(
        False,
        title="Append columns with normalized class distribution",
        description="Append `P (<target>=<class>)<suffix>` for every class: the class weights of the node that "
        "decided, normalised.",
    )
    class_probability_suffix: str = Field("", description="Suffix of the probability columns.")


def _predictor_columns(
    model: ModelSpec, spec: TableSpec, settings: DecisionTreePredictorSettings
) -> list[tuple[str, str]] | None:
    target = model.target.name if model.target else ""
    wanted: list[tuple[str, str]] = []
    if settings.ShowDistribution:
        classes = model.details.get("class_values")
        if classes is None:
            return None  # the class values are known once the learner ran
        wanted += [
            (probability_name(target, c, settings.class_probability_suffix), ColumnType.DOUBLE)
            for c in classes
        ]
    name = prediction_name(settings.prediction_column_name, settings.change_prediction, target)
    wanted.append((name, ColumnType.STRING))
    return append_unique(spec, wanted)


def _route(model: DecisionTreeModel, df: pd.DataFrame) -> list[TreeNode | None]:
    """The node that decides each row (PMML evaluation with KNIME's strategies); None: no prediction."""
    result: list[TreeNode | None] = [None] * len(df)
    columns: dict[int, list[Any]] = {}

    def cells(a: int) -> list[Any]:
        if a not in columns:
            raw = text_values(df[model.attributes[a]])
            columns[a] = [
                None if v is None else (cell_text(v) if model.nominal[a] else float(v)) for v in raw
            ]
        return columns[a]

    def visit(node: TreeNode, rows: list[int]) -> None:
        if node.is_leaf:
            for r in rows:
                result[r] = node
            return
        col = cells(node.attribute)
        down: list[list[int]] = [[] for _ in node.children]
        for r in rows:
            v = col[r]
            if v is None:
                if model.missing_strategy == "lastPrediction" and node.tests:
                    result[r] = node
                    continue
                match = -1
            else:
                match = next((i for i, (op, ref) in enumerate(node.tests) if _holds(op, ref, v)), -1)
            if match >= 0:
                down[match].append(r)
            else:
                result[r] = node if model.no_true_child == "returnLastPrediction" else None
        for child, sub in zip(node.children, down, strict=True):
            if sub:
                visit(child, sub)

    visit(model.root, list(range(len(df))))
    return result


def _holds(op: str, ref: Any, value: Any) -> bool:
    if op == "<=":
        return bool(value <= ref)
    if op == ">":
        return bool(value > ref)
    return value in ref


def _decision_tree_predictor_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        [
            "UseGainRatio",
            "change prediction",
            "prediction column name",
            "ShowDistribution",
            "class probability suffix",
        ]
    )


class DecisionTreePredictor(Node):
    """KNIME's Decision Tree Predictor."""

    type_name = "decision_tree_predictor"
    display_name = "Decision Tree Predictor"
    category = Category.PREDICTOR
    description = (
        "Applies a decision tree: each row goes down the first branch whose test holds. A missing split value stops "
        "at the current node (missing value strategy lastPrediction) or fails every test (none); a row no branch "
        "takes gets a missing prediction (no true child strategy returnNullPrediction) or the current node's class. "
        "Appends optionally `P (<target>=<class>)<suffix>` per class, then `Prediction (<target>)` (String)."
    )
    keywords = ("decision tree", "predict", "classification", "PMML")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.decisiontree2.predictor2.DecTreePredictorNodeFactory",
            "Decision Tree Predictor",
            _decision_tree_predictor_from_knime,
        ),
    )
    inputs = (
        Port(DECISION_TREE, "Decision tree model", "A tree from the Decision Tree Learner."),
        Port(TABLE, "Data to predict", "Must contain the learning columns."),
    )
    outputs = (Port(TABLE, "Classified data", "The input plus the prediction (and class distribution)."),)
    Settings = DecisionTreePredictorSettings

    def configure(
        self, in_specs: list[Any], settings: DecisionTreePredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model, spec = model_spec_of(in_specs[0], KIND), in_specs[1]
        if model is None or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        check_learning_columns(model, spec)
        columns = _predictor_columns(model, spec, settings)
        return [UNKNOWN if columns is None else spec.append(*columns)]

    def execute(
        self, inputs: list[Any], settings: DecisionTreePredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model_obj: Model = inputs[0]
        model: DecisionTreeModel = model_obj.payload
        table: Table = inputs[1]
        check_learning_columns(model_obj.spec, table.spec)
        columns = _predictor_columns(model_obj.spec, table.spec, settings)
        assert columns is not None
        deciders = _route(model, table.df)
        df = table.df.copy()
        if settings.ShowDistribution:
            probs = np.zeros((len(df), len(model.classes)))
            for r, node in enumerate(deciders):
                if node is not None and node.entire() > 0:
                    probs[r] = node.counts / node.entire()
            for j, (name, _) in enumerate(columns[:-1]):
                df[name] = probs[:, j]
        winners = [None if n is None else n.winner() for n in deciders]
        df[columns[-1][0]] = pd.array(
            [None if w is None else cell_text(model.classes[w]) for w in winners], dtype=object
        )
        return [table.with_frame(df, dict(columns))]
