"""KNIME's decision tree induction (org.knime.base.node.mine.decisiontree2.learner), step for step:
the split quality measures, the numeric, nominal and binary nominal split searches, the recursive
partitioning with fractional weights and the pruners. `nodes.trees` holds the nodes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.api import NodeContext, PortType

DECISION_TREE = PortType.register(
    PortType("model.decision_tree", "Decision tree model (PMML)", "#2e7dd1", "square")
)
KIND = "decision_tree"
LN2 = math.log(2.0)


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


class Measure:
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


def seq_sum(values: np.ndarray) -> float:
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
    # KNIME's own index (getOwnIndex): numbered in induction order before pruning, so a pruned
    # tree has gaps; -1 for trees built before it was kept
    node_id: int = -1
    # a split's kind (numeric | nominal | binary) and its attribute's values in mapping order
    # (KNIME's getSplitValues): the PMML export writes the predicates from them
    split: str = ""
    split_values: tuple[str, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def own(self) -> float:
        return float(self.counts[self.majority])

    def entire(self) -> float:
        return seq_sum(self.counts)

    def leaf(self) -> TreeNode:
        return TreeNode(self.majority, self.counts, node_id=self.node_id)

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

    def to_pmml(self, spec: Any) -> str:
        """The PMML 4.2 document KNIME's PMMLDecisionTreeTranslator writes (`spec`: the model's
        ModelSpec, for the columns' types)."""
        from nodes._decision_tree_pmml import decision_tree_pmml

        return decision_tree_pmml(self, spec)


# ----------------------------------------------------------------------------------- induction


@dataclass
class TreeData:
    names: list[str]
    x: np.ndarray  # (rows, attributes): numbers or nominal codes, NaN = missing
    y: np.ndarray  # class codes
    n_classes: int
    values: list[list[str]]  # nominal attributes: the mapped values' texts; numeric: []
    settings: Any  # the learner settings (minNumberRecordsPerNode, splitAverage, binaryNominalSplit, ...)
    measure: Measure
    nodes_made: int = 0  # KNIME's node counter: each node takes the next index when induction reaches it

    def n_values(self, a: int) -> int:
        return len(self.values[a])

    def next_node_id(self) -> int:
        self.nodes_made += 1
        return self.nodes_made - 1


def _continuous_split(
    data: TreeData, a: int, idx: np.ndarray, w: np.ndarray, class_freq: np.ndarray, total: float
) -> tuple[float, float, np.ndarray]:
    """SplitContinuous.findBestSplit: (quality, split value, valid weights below/above)."""
    m = data.measure
    x = data.x[idx, a]
    if len(x) == 0:
        return math.nan, math.nan, np.zeros(2)
    missing = np.isnan(x)
    miss_freq = np.bincount(data.y[idx[missing]], weights=w[missing], minlength=data.n_classes).astype(float)
    above0 = class_freq - miss_freq
    miss_w = seq_sum(miss_freq)
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


def _nominal_histogram(data: TreeData, a: int, idx: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    x = data.x[idx, a]
    missing = np.isnan(x)
    codes = x[~missing].astype(int) * data.n_classes + data.y[idx[~missing]]
    flat = np.bincount(codes, weights=w[~missing], minlength=data.n_values(a) * data.n_classes)
    return flat.reshape(data.n_values(a), data.n_classes), seq_sum(w[missing])


def _nominal_split(data: TreeData, a: int, idx: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """SplitNominalNormal: one branch per mapped value; (quality, branch weights)."""
    m = data.measure
    hist, miss_w = _nominal_histogram(data, a, idx, w)
    pc = np.array([seq_sum(row) for row in hist])
    allover = seq_sum(hist.reshape(-1))
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


def _binary_split(data: TreeData, a: int, idx: np.ndarray, w: np.ndarray) -> tuple[float, int, np.ndarray]:
    """SplitNominalBinary: (quality, value bit mask of the first branch, branch weights)."""
    m = data.measure
    hist, miss_w = _nominal_histogram(data, a, idx, w)
    k = data.n_values(a)
    allover = seq_sum(hist.reshape(-1))
    m.init(hist.sum(axis=0), allover)
    min_objects = data.settings.minNumberRecordsPerNode
    sums = np.array([seq_sum(row) for row in hist])
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
    data: TreeData, consider: np.ndarray, idx: np.ndarray, w: np.ndarray, freq: np.ndarray, total: float
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
    data: TreeData, a: int, idx: np.ndarray, w: np.ndarray, freq: np.ndarray, total: float
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


def build(
    data: TreeData,
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
    total = seq_sum(w)
    node = TreeNode(int(np.argmax(freq)), freq, node_id=data.next_node_id())
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
    if sum(seq_sum(pw) >= s.minNumberRecordsPerNode for _, pw in parts) < 2:
        return node
    child_consider = consider.copy()
    child_consider[split.attribute] = split.kind != "nominal"
    node.attribute = split.attribute
    node.tests = split.tests(data.values[split.attribute])
    node.split, node.split_values = split.kind, tuple(data.values[split.attribute])
    node.children = [build(data, pi, pw, child_consider, depth + 1, warnings, ctx) for pi, pw in parts]
    return node


# ------------------------------------------------------------------------------------- pruning


def training_error_prune(node: TreeNode) -> tuple[float, TreeNode]:
    """Pruner.trainingErrorPruning: a subtree no better on the training data becomes a leaf."""
    if node.is_leaf:
        return node.entire() - node.own(), node
    error = 0.0
    for i, child in enumerate(node.children):
        e, node.children[i] = training_error_prune(child)
        error += e
    leaf_error = node.entire() - node.own()
    if leaf_error - 0.001 <= error:
        return leaf_error, node.leaf()
    return error, node


def mdl_prune(node: TreeNode) -> tuple[float, TreeNode]:
    """Pruner.mdlPruning: a bit per node, log2(#children) per split, one per training error."""
    if node.is_leaf:
        return node.entire() - node.own() + 1.0, node
    cost = 1.0 + math.log(len(node.children)) / math.log(2)
    for i, child in enumerate(node.children):
        c, node.children[i] = mdl_prune(child)
        cost += c
    leaf_cost = node.entire() - node.own() + 1.0
    if leaf_cost <= cost:
        return leaf_cost, node.leaf()
    return cost, node


def filter_empty_leaves(node: TreeNode) -> None:
    """`No pruning` still drops the leaves no training row reached, with their tests."""
    keep = [i for i, c in enumerate(node.children) if not (c.is_leaf and c.entire() == 0.0)]
    node.tests = [node.tests[i] for i in keep]
    node.children = [node.children[i] for i in keep]
    for c in node.children:
        filter_empty_leaves(c)
