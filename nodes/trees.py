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
    PortType,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings
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

DECISION_TREE = PortType.register(
    PortType("model.decision_tree", "Decision tree model (PMML)", "#2e7dd1", "square")
)
KIND = "decision_tree"
DOMAIN_LIMIT = 60  # KNIME's default maximum number of possible values kept in a column domain
LN2 = math.log(2.0)
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


# ------------------------------------------------------------------------------------- measures


def _log2(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x < 1e-6, 0.0, np.log(np.maximum(x, 1e-300)) / LN2)


def _log2_mult(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x < 1e-6, 0.0, x * np.log(np.maximum(x, 1e-300)) / LN2)


def _information(total: np.ndarray, hist: np.ndarray) -> np.ndarray:
    """SplitQualityGainRatio.information for many candidates: total (C,), hist (C, K)."""
    info = np.zeros(total.shape)
    log_total = _log2(total)
    for k in range(hist.shape[-1]):
        info = info - hist[..., k] * (_log2(hist[..., k]) - log_total)
    return np.where(total == 0.0, 0.0, info)


class _Measure:
    """KNIME's SplitQualityGini / SplitQualityGainRatio, vectorised over candidate splits:
    `pf` (C, P) partition weights, `hist` (C, P, K) their class weights."""

    def __init__(self, gini: bool) -> None:
        self.gini = gini
        self.worst = 0.0 if gini else -1.0
        self.entropy = 0.0

    def init(self, class_freq: np.ndarray, total: float) -> None:
        if not self.gini:
            with np.errstate(divide="ignore", invalid="ignore"):
                self.entropy = float(
                    _information(np.array([total]), class_freq[None, :])[0] / np.float64(total)
                )

    def measure(self, n: float, pf: np.ndarray, hist: np.ndarray, unknown: float) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            n64, u64 = np.float64(n), np.float64(unknown)
            if self.gini:
                split = np.zeros(pf.shape[0])
                for p in range(pf.shape[1]):
                    rel = pf[:, p] / n64
                    g = np.ones(pf.shape[0])
                    for k in range(hist.shape[2]):
                        f = hist[:, p, k] / pf[:, p]
                        g = g - f * f
                    split = split + rel * np.where(pf[:, p] == 0.0, 1.0, g)
                return (n64 / (n64 + u64)) * (1 - split)
            info = np.zeros(pf.shape[0])
            for p in range(pf.shape[1]):
                info = info + _information(pf[:, p], hist[:, p, :])
            return (self.entropy - info / n64) * (n64 / (n64 + u64))

    def post(self, q: np.ndarray, n: float, pf: np.ndarray, unknown: float) -> np.ndarray:
        if self.gini:
            return q
        with np.errstate(divide="ignore", invalid="ignore"):
            both = np.float64(n) + np.float64(unknown)
            split_info = np.zeros(pf.shape[0])
            for p in range(pf.shape[1]):
                split_info = split_info - _log2_mult(pf[:, p] / both)
            split_info = split_info - _log2_mult(np.array([np.float64(unknown) / both]))
            return q / split_info


def _seq_sum(values: np.ndarray) -> float:
    """Left-to-right sum, as KNIME accumulates weights row by row."""
    return float(np.cumsum(values)[-1]) if len(values) else 0.0


# ------------------------------------------------------------------------------------ the model


@dataclass
class TreeNode:
    """A node of the tree: its class weights and, for a split, one test per child
    (`("<=", v)`, `(">", v)` on a numeric attribute, `("in", values)` on a nominal one)."""

    majority: int
    counts: np.ndarray  # class weights in class order
    attribute: int = -1  # -1: a leaf
    tests: list[tuple[str, Any]] = field(default_factory=list)
    children: list[TreeNode] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def own(self) -> float:
        return float(self.counts[self.majority])

    def entire(self) -> float:
        return _seq_sum(self.counts)

    def leaf(self) -> TreeNode:
        return TreeNode(self.majority, self.counts)

    def size(self) -> int:
        return 1 + sum(c.size() for c in self.children)

    def winner(self) -> int | None:
        """DecisionTreeNode.getWinner: the last class with the largest weight, the node's
        majority class on a tie with it; None (a missing prediction) without weights."""
        if len(self.counts) == 0:
            return None
        top = self.counts.max()
        win = int(np.flatnonzero(self.counts == top)[-1])
        return self.majority if self.counts[self.majority] == top else win


@dataclass
class DecisionTreeModel:
    target: str
    classes: list[Any]  # class values in mapping (domain) order
    attributes: list[str]
    nominal: list[bool]
    root: TreeNode
    missing_strategy: str
    no_true_child: str


# ----------------------------------------------------------------------------------- induction


@dataclass
class _Data:
    names: list[str]
    x: np.ndarray  # (rows, attributes): numbers or nominal codes, NaN = missing
    y: np.ndarray  # class codes
    n_classes: int
    values: list[list[str]]  # nominal attributes: the mapped values' texts; numeric: []
    settings: DecisionTreeLearnerSettings
    measure: _Measure

    def n_values(self, a: int) -> int:
        return len(self.values[a])


def _continuous_split(
    data: _Data, a: int, idx: np.ndarray, w: np.ndarray, class_freq: np.ndarray, total: float
) -> tuple[float, float, np.ndarray]:
    """SplitContinuous.findBestSplit: (quality, split value, valid weights below/above)."""
    m = data.measure
    x = data.x[idx, a]
    if len(x) == 0:
        return math.nan, math.nan, np.zeros(2)
    missing = np.isnan(x)
    miss_freq = np.bincount(data.y[idx[missing]], weights=w[missing], minlength=data.n_classes).astype(float)
    above0 = class_freq - miss_freq
    miss_w = _seq_sum(miss_freq)
    allover = total - miss_w
    m.init(above0, allover)
    min_count = 0.1 * allover / data.n_classes
    min_objects = data.settings.minNumberRecordsPerNode
    min_count = min_objects if min_count < min_objects else (25.0 if min_count > 25 else min_count)
    if allover - miss_w < 2 * min_count:  # KNIME subtracts the missing weight twice here
        return math.nan, math.nan, np.zeros(2)
    order = np.argsort(x[~missing], kind="stable")
    xs = x[~missing][order]
    ys = data.y[idx[~missing]][order]
    ws = w[~missing][order]
    n = len(xs)
    best, best_value, best_counts = m.worst, math.nan, np.zeros(2)
    if n < 2:
        return best, best_value, best_counts
    below_w = np.concatenate([[0.0], np.cumsum(ws)])  # weight of the rows [0, t)
    onehot = np.zeros((n, data.n_classes))
    onehot[np.arange(n), ys] = ws
    below_h = np.cumsum(onehot, axis=0)  # class weights of the rows [0, t] at index t
    t = np.arange(1, n)
    reachable = allover - below_w[t - 1] > min_count  # the sweep stops once too little is left above
    if not reachable.all():
        t = t[: int(np.argmin(reachable))]
    cand = t[(xs[t] != xs[t - 1]) & (below_w[t] >= min_count)]
    if len(cand) == 0:
        return best, best_value, best_counts
    b_w = below_w[cand]
    pf = np.column_stack([b_w, allover - b_w])
    hb = below_h[cand - 1]
    hist = np.stack([hb, above0[None, :] - hb], axis=1)
    q = m.post(m.measure(allover, pf, hist, miss_w), allover, pf, miss_w)
    ok = np.flatnonzero(q >= best)  # isBetterOrEqual against the running best: the last maximum wins
    if len(ok) == 0:
        return best, best_value, best_counts
    top = q[ok].max()
    i = int(ok[np.flatnonzero(q[ok] == top)[-1]])
    j = int(cand[i])
    value = xs[j - 1] / 2.0 + xs[j] / 2.0 if data.settings.splitAverage else float(xs[j - 1])
    return float(q[i]), float(value), pf[i].copy()


def _nominal_histogram(data: _Data, a: int, idx: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    x = data.x[idx, a]
    missing = np.isnan(x)
    codes = x[~missing].astype(int) * data.n_classes + data.y[idx[~missing]]
    flat = np.bincount(codes, weights=w[~missing], minlength=data.n_values(a) * data.n_classes)
    return flat.reshape(data.n_values(a), data.n_classes), _seq_sum(w[missing])


def _nominal_split(data: _Data, a: int, idx: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """SplitNominalNormal: one branch per mapped value; (quality, branch weights)."""
    m = data.measure
    hist, miss_w = _nominal_histogram(data, a, idx, w)
    pc = np.array([_seq_sum(row) for row in hist])
    allover = _seq_sum(hist.reshape(-1))
    m.init(hist.sum(axis=0), allover)
    min_objects = data.settings.minNumberRecordsPerNode
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = pc / allover
    if np.count_nonzero(pc > min_objects) < 2 or np.count_nonzero(pc >= min_objects) < 2:
        return math.nan, weights
    q = m.measure(allover, pc[None, :], hist[None, :, :], miss_w)
    q = m.post(q, allover, pc[None, :], miss_w)
    return float(q[0]), weights


def _gray_codes(n: int) -> list[tuple[int, int, bool]]:
    """SplitNominalBinary's GrayCodeCounter without complementary sets: (code, changed bit, set)."""
    out = []
    code = 0
    for counter in range(1, 1 << (n - 1)):
        changed = (counter - 1) ^ counter
        bit = changed ^ (changed >> 1)
        code ^= bit
        index = bit.bit_length() - 1
        out.append((code, index, bool(code & (1 << index))))
    return out


def _binary_split(data: _Data, a: int, idx: np.ndarray, w: np.ndarray) -> tuple[float, int, np.ndarray]:
    """SplitNominalBinary: (quality, value bit mask of the first branch, branch weights)."""
    m = data.measure
    hist, miss_w = _nominal_histogram(data, a, idx, w)
    k = data.n_values(a)
    allover = _seq_sum(hist.reshape(-1))
    m.init(hist.sum(axis=0), allover)
    min_objects = data.settings.minNumberRecordsPerNode
    sums = np.array([_seq_sum(row) for row in hist])
    counts = np.array([0.0, allover])  # [first (true) branch, second (false) branch]
    part = np.stack([np.zeros(data.n_classes), hist.sum(axis=0)])
    best, best_code, best_counts = math.nan, 0, np.zeros(2)

    def move(v: int, sign: float) -> None:
        part[1] -= sign * hist[v]
        part[0] += sign * hist[v]
        counts[1] -= sign * sums[v]
        counts[0] += sign * sums[v]

    def quality() -> float:
        return float(m.measure(allover, counts[None, :], part[None, :, :], miss_w)[0])

    if k <= data.settings.maxNumNominalValues:
        for code, bit, to_first in _gray_codes(k) if k > 0 else []:
            move(bit, 1.0 if to_first else -1.0)
            if np.count_nonzero(counts >= min_objects) >= 2:
                q = quality()
                if math.isnan(best) or q > best:
                    best, best_code, best_counts = q, code, counts.copy()
    else:  # KNIME's greedy heuristic: move the best value to the first branch while that improves
        rest, chosen, current = list(range(k)), [], math.nan
        while True:
            best, pick = current, -1
            for v in rest:
                move(v, 1.0)
                if np.count_nonzero(counts >= min_objects) >= 2:
                    q = quality()
                    if math.isnan(current) or q > current:
                        current, pick, best_counts = q, v, counts.copy()
                move(v, -1.0)
            if pick < 0:
                break
            move(pick, 1.0)
            rest.remove(pick)
            chosen.append(pick)
            if not (math.isnan(best) or current > best):
                break
        best_code = sum(1 << v for v in chosen)
    if not math.isnan(best) and best != 0.0:
        best = float(m.post(np.array([best]), allover, best_counts[None, :], miss_w)[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        return best, best_code, best_counts / allover


@dataclass
class _Split:
    attribute: int
    kind: str  # numeric | nominal | binary
    quality: float
    value: float = math.nan
    code: int = 0
    weights: np.ndarray = field(default_factory=lambda: np.zeros(2))

    def branches(self, x: np.ndarray) -> np.ndarray:
        """The branch of each row, -1 for a missing value (Split.getPartitionForRow)."""
        out = np.full(len(x), -1, dtype=int)
        ok = ~np.isnan(x)
        if self.kind == "numeric":
            out[ok] = np.where(x[ok] <= self.value, 0, 1)
        elif self.kind == "nominal":
            out[ok] = x[ok].astype(int)
        else:
            out[ok] = np.where(((self.code >> x[ok].astype(int)) & 1) == 1, 0, 1)
        return out

    def tests(self, values: list[str]) -> list[tuple[str, Any]]:
        if self.kind == "numeric":
            return [("<=", self.value), (">", self.value)]
        if self.kind == "nominal":
            return [("in", frozenset({v})) for v in values]
        first = frozenset(v for i, v in enumerate(values) if (self.code >> i) & 1)
        return [("in", first), ("in", frozenset(values) - first)]


def _find_split(
    data: _Data, consider: np.ndarray, idx: np.ndarray, w: np.ndarray, freq: np.ndarray, total: float
) -> _Split | None:
    """SplitFinder: the best valid split over all attributes still considered, ties to the later."""
    best, best_q = None, data.measure.worst
    for a in range(data.x.shape[1]):
        if consider[a]:
            s = _attribute_split(data, a, idx, w, freq, total)
            if not math.isnan(s.quality) and s.quality >= best_q:
                best, best_q = s, s.quality
    return best


def _attribute_split(
    data: _Data, a: int, idx: np.ndarray, w: np.ndarray, freq: np.ndarray, total: float
) -> _Split:
    if data.n_values(a) and data.settings.binaryNominalSplit:
        q, code, weights = _binary_split(data, a, idx, w)
        return _Split(a, "binary", q, code=code, weights=weights)
    if data.values[a]:
        q, weights = _nominal_split(data, a, idx, w)
        return _Split(a, "nominal", q, weights=weights)
    q, value, valid = _continuous_split(data, a, idx, w, freq, total)
    with np.errstate(divide="ignore", invalid="ignore"):
        below = valid[0] / (valid[0] + valid[1])
    return _Split(a, "numeric", q, value=value, weights=np.array([below, 1.0 - below]))


def _build(
    data: _Data,
    idx: np.ndarray,
    w: np.ndarray,
    consider: np.ndarray,
    depth: int,
    warnings: list[str],
    ctx: NodeContext,
) -> TreeNode:
    """DecisionTreeLearnerNodeModel2.buildTree."""
    ctx.check_cancelled()
    freq = np.bincount(data.y[idx], weights=w, minlength=data.n_classes).astype(float)
    total = _seq_sum(w)
    node = TreeNode(int(np.argmax(freq)), freq)
    s = data.settings
    if freq[node.majority] == total or total <= 2 * s.minNumberRecordsPerNode:  # isPureEnough
        return node
    split = None
    if depth == 0 and s.useFirstSplitColumn and s.firstSplitColumn in data.names:
        split = _attribute_split(data, data.names.index(s.firstSplitColumn), idx, w, freq, total)
        if math.isnan(split.quality) or split.quality == 0.0:
            warnings.append(
                f'The specified root split column "{s.firstSplitColumn}" does not contain a valid split.'
            )
    if split is None:
        split = _find_split(data, consider, idx, w, freq, total)
    if split is None or math.isnan(split.quality):
        return node
    branch = split.branches(data.x[idx, split.attribute])
    n_branches = data.n_values(split.attribute) if split.kind == "nominal" else 2
    parts = []
    for b in range(n_branches):  # Partitioner: a row with a missing value goes down every branch
        mask = (branch == b) | (branch == -1)
        parts.append((idx[mask], np.where(branch[mask] == -1, w[mask] * split.weights[b], w[mask])))
    if sum(_seq_sum(pw) >= s.minNumberRecordsPerNode for _, pw in parts) < 2:
        return node
    child_consider = consider.copy()
    child_consider[split.attribute] = split.kind != "nominal"
    node.attribute = split.attribute
    node.tests = split.tests(data.values[split.attribute])
    node.children = [_build(data, pi, pw, child_consider, depth + 1, warnings, ctx) for pi, pw in parts]
    return node


# ------------------------------------------------------------------------------------- pruning


def _training_error_prune(node: TreeNode) -> tuple[float, TreeNode]:
    """Pruner.trainingErrorPruning: a subtree no better on the training data becomes a leaf."""
    if node.is_leaf:
        return node.entire() - node.own(), node
    error = 0.0
    for i, child in enumerate(node.children):
        e, node.children[i] = _training_error_prune(child)
        error += e
    leaf_error = node.entire() - node.own()
    if leaf_error - 0.001 <= error:
        return leaf_error, node.leaf()
    return error, node


def _mdl_prune(node: TreeNode) -> tuple[float, TreeNode]:
    """Pruner.mdlPruning: a bit per node, log2(#children) per split, one per training error."""
    if node.is_leaf:
        return node.entire() - node.own() + 1.0, node
    cost = 1.0 + math.log(len(node.children)) / math.log(2)
    for i, child in enumerate(node.children):
        c, node.children[i] = _mdl_prune(child)
        cost += c
    leaf_cost = node.entire() - node.own() + 1.0
    if leaf_cost <= cost:
        return leaf_cost, node.leaf()
    return cost, node


def _filter_empty_leaves(node: TreeNode) -> None:
    """`No pruning` still drops the leaves no training row reached, with their tests."""
    keep = [i for i, c in enumerate(node.children) if not (c.is_leaf and c.entire() == 0.0)]
    node.tests = [node.tests[i] for i in keep]
    node.children = [node.children[i] for i in keep]
    for c in node.children:
        _filter_empty_leaves(c)


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
        learning = []
        for col in candidates:
            if col.type in NOMINAL and col.type != ColumnType.BOOLEAN and settings.skipColumnsWithoutDomain:
                if df[col.name].nunique(dropna=True) > DOMAIN_LIMIT:
                    ctx.log(
                        f"nominal column {col.name!r} has more than {DOMAIN_LIMIT} values (no domain): skipped"
                    )
                    continue
            learning.append(col)
        classes = class_values(v for v, k in zip(y_all, keep, strict=True) if k)
        code_of = {c: i for i, c in enumerate(classes)}
        y = np.array([code_of[v] for v, k in zip(y_all, keep, strict=True) if k], dtype=int)
        kept = df[keep]
        columns, values = [], []
        for col in learning:
            if col.type in NOMINAL and col.type != ColumnType.BOOLEAN:
                cells = text_values(kept[col.name])
                mapped = class_values(cells)
                index = {v: i for i, v in enumerate(mapped)}
                columns.append(np.array([np.nan if v is None else index[v] for v in cells], dtype=float))
                values.append([cell_text(v) for v in mapped])
            else:
                s = kept[col.name]
                columns.append(s.astype("float64").to_numpy(dtype=float, na_value=np.nan))
                values.append([])
        x = np.column_stack(columns) if columns else np.zeros((len(kept), 0))
        data = _Data(
            [c.name for c in learning],
            x,
            y,
            len(classes),
            values,
            settings,
            _Measure(settings.splitQualityMeasure == "Gini index"),
        )
        warnings: list[str] = []
        if removed:
            warnings.append(f"{removed} rows removed due to missing class value;")
        root = _build(
            data, np.arange(len(y)), np.ones(len(y)), np.ones(len(learning), dtype=bool), 0, warnings, ctx
        )
        if settings.enableReducedErrorPruning:
            _, root = _training_error_prune(root)
        if settings.pruningMethod == "MDL":
            _, root = _mdl_prune(root)
        else:
            _filter_empty_leaves(root)
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
        "Prediction ()", description="The prediction column's name when `change_prediction` is on."
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
