"""KNIME's K Nearest Neighbor node (org.knime.base.node.mine.knn), reproduced with KNIME's own k-d
tree (org.knime.base.util.kdtree).

KNIME finds the neighbours with a k-d tree of buckets of four patterns, split at the lower median
of the attribute with the largest variance, searched with a Java PriorityQueue of the k best
candidates; a candidate as far as the current k-th joins the queue, and all neighbours tied with
the k-th distance are kept (so a row can have more than k neighbours). The order in which tied
neighbours come out of the heap decides the class on a tied vote, so the tree, the search and the
heap are ported step for step and the predictions are KNIME's, ties included.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeSettings,
    Port,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._learning import class_values, numeric_matrix, text_values
from nodes._mining import NOMINAL, cell_text

BUCKET_SIZE = 4  # KDTreeBuilder.DEFAULT_BUCKET_SIZE
FEATURE_TYPES = ColumnType.NUMERIC | {ColumnType.BOOLEAN}  # every DoubleValue column


class KnnSettings(NodeSettings):
    """KNIME's KnnSettings2 (`classColumn`, `k`, `weightByDistance`, `outputClassProbabilities`)."""

    classColumn: str | None = Field(
        None, title="Column with class labels", description="The class column of the training table."
    )
    k: int = Field(
        3, ge=1, title="Number of neighbours to consider (k)", description="The number of neighbours."
    )
    weightByDistance: bool = Field(
        False,
        title="Weight neighbours by distance",
        description="A neighbour's vote counts 1 / its distance.",
    )
    outputClassProbabilities: bool = Field(
        False,
        title="Output class probabilities",
        description="Append `P (<class column>=<value>)` per class value (sorted by name): the vote shares.",
    )


# -------------------------------------------------------------------------------------- k-d tree


@dataclass
class _Split:
    key: int
    value: float
    left: Any
    right: Any


def _build(points: np.ndarray, idx: list[int]) -> Any:
    """KDTreeBuilder.buildTree: a bucket (list of row indices) or a split."""
    if len(idx) <= BUCKET_SIZE:
        return idx
    best, key = -1.0, -1
    sub = points[idx]
    n = len(idx)
    for i in range(points.shape[1]):
        col = sub[:, i]
        mean = float(np.cumsum(col)[-1]) / n
        variance = float(np.cumsum(col * col)[-1]) / n - mean * mean
        if variance > best:
            best, key = variance, i
    order = sorted(idx, key=lambda r: points[r, key])  # Collections.sort is stable, as is sorted()
    mid = n // 2
    return _Split(
        key, float(points[order[mid - 1], key]), _build(points, order[:mid]), _build(points, order[mid:])
    )


class _Heap:
    """java.util.PriorityQueue ordered by NearestNeighbour.compareTo: the head is the farthest."""

    def __init__(self, k: int) -> None:
        self.items: list[tuple[float, int]] = []
        for _ in range(k):
            self.offer((float(np.finfo(float).max), -1))

    @staticmethod
    def _cmp(a: tuple[float, int], b: tuple[float, int]) -> int:  # Double.compare(b.distance, a.distance)
        return (b[0] > a[0]) - (b[0] < a[0])

    def peek(self) -> float:
        return self.items[0][0]

    def offer(self, x: tuple[float, int]) -> None:
        q = self.items
        q.append(x)
        k = len(q) - 1
        while k > 0:
            parent = (k - 1) >> 1
            if self._cmp(x, q[parent]) >= 0:
                break
            q[k] = q[parent]
            k = parent
        q[k] = x

    def poll(self) -> tuple[float, int]:
        q = self.items
        result = q[0]
        x = q.pop()
        n = len(q)
        if n:
            k, half = 0, n >> 1
            while k < half:
                child = 2 * k + 1
                c = q[child]
                if child + 1 < n and self._cmp(c, q[child + 1]) > 0:
                    child += 1
                    c = q[child]
                if self._cmp(x, c) <= 0:
                    break
                q[k] = c
                k = child
            q[k] = x
        return result


def _nearest(tree: Any, points: np.ndarray, query: np.ndarray, k: int) -> list[tuple[float, int]]:
    """KDTree.getKNearestNeighbours: (distance, row) in increasing distance, ties with the k-th kept."""
    heap = _Heap(k)
    dims = points.shape[1]
    lower = [-float(np.finfo(float).max)] * dims
    upper = [float(np.finfo(float).max)] * dims
    q = [float(v) for v in query]

    def overlap(far: float) -> bool:
        total = 0.0
        for i in range(dims):
            if q[i] < lower[i]:
                d = q[i] - lower[i]
                total += d * d
                if total > far:
                    return False
            elif q[i] > upper[i]:
                d = q[i] - upper[i]
                total += d * d
                if total > far:
                    return False
        return True

    def within(far: float) -> bool:
        for i in range(dims):
            x = q[i] - lower[i]
            if x * x <= far:
                return False
            x = q[i] - upper[i]
            if x * x <= far:
                return False
        return True

    def search(node: Any) -> bool:
        if isinstance(node, list):
            found = False
            for r in node:
                p = points[r]
                dist = 0.0
                for i in range(dims):
                    d = q[i] - float(p[i])
                    dist += d * d
                top = heap.peek()
                if top > dist:
                    heap.offer((dist, r))
                    heap.poll()
                    found = True
                elif top == dist:  # a tie with the farthest candidate joins the queue
                    heap.offer((dist, r))
                    found = True
            return found and within(heap.peek())
        key, value = node.key, node.value
        near, far = (node.left, node.right) if q[key] <= value else (node.right, node.left)
        bounds, other = (upper, lower) if q[key] <= value else (lower, upper)
        saved = bounds[key]
        bounds[key] = value
        finished = search(near)
        bounds[key] = saved
        if finished:
            return True
        saved = other[key]
        other[key] = value
        if overlap(heap.peek()):
            search(far)
        other[key] = saved
        return within(heap.peek())

    search(tree)
    out: list[tuple[float, int]] = []
    while heap.items:
        dist, r = heap.poll()
        out.insert(0, (math.sqrt(dist), r))
    # the first k, then everything as far as the k-th
    end = k
    while end < len(out) and out[end][0] == out[k - 1][0]:
        end += 1
    return out[:end]


# ------------------------------------------------------------------------------------------ node


def _class_column(spec: TableSpec, settings: KnnSettings) -> str:
    target = settings.classColumn
    if target is None or target not in spec:
        nominal = [c.name for c in spec.columns if c.type in NOMINAL]
        if len(nominal) != 1:
            raise ConfigureError("Please choose a valid class column.", setting="classColumn")
        target = nominal[0]
    return target


def _features(train: TableSpec, test: TableSpec, target: str) -> list[str]:
    if not any(c.type in FEATURE_TYPES for c in train.columns):
        raise ConfigureError("First input table does not contain a numeric column.")
    if not any(c.type in NOMINAL for c in train.columns):
        raise ConfigureError("First input table does not contain a class column of type string.")
    features = [c.name for c in train.columns if c.type in FEATURE_TYPES]
    for name in features:
        col = test.get(name)
        if col is None:
            raise ConfigureError(f"Second input table does not contain a column: '{name}'")
        if col.type not in FEATURE_TYPES:
            raise ConfigureError(
                f"Column '{name}' from second table is not compatible with corresponding column '{name}' from first table."
            )
    return features


def _output_columns(
    test: TableSpec, target: str, target_type: str, values: list[str] | None
) -> list[tuple[str, str]]:
    """KnnNodeModel2.createRearranger's names: `Class [kNN]`, `P (<class>=<value>)` (`_dup` on clashes)."""
    name = "Class [kNN]"
    while name in test:
        name += "_dup"
    out = [(name, target_type)]
    for value in sorted(values or []):
        text = value
        while text in test:
            text += "_dup"
        out.append((f"P ({target}={text})", ColumnType.DOUBLE))
    return out


def _knn_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["classColumn", "k", "weightByDistance", "outputClassProbabilities"])


def _training_points(
    train_t: Any, features: list[str], labels: list[Any], ctx: NodeContext
) -> tuple[np.ndarray, list[Any]]:
    """The training rows without missing values (KNIME warns about the others) and their classes."""
    x = numeric_matrix(train_t.df, features)
    complete = ~np.isnan(x).any(axis=1)
    if not complete.all():
        ctx.warn("Input table contains missing values, the affected rows are ignored.")
    return x[complete], [cell for cell, ok in zip(labels, complete, strict=True) if ok]


def _probabilities(weights: dict[Any, float], total: float, order: list[str]) -> list[float]:
    """Each class's share of the neighbours' weight, classes in text order."""
    by_text = {cell_text(c): w for c, w in weights.items() if c is not None}
    with np.errstate(invalid="ignore"):
        return [np.float64(by_text.get(v, 0.0)) / np.float64(total) for v in order]


def _vote(weights: dict[Any, float], distribution: Counter[Any]) -> tuple[Any, float]:
    """The class with the most weight among the neighbours (ties: the class more frequent in the
    training data), and the total weight."""
    winner, top, total = None, 0.0, 0.0
    for cls, w in weights.items():
        if w > top:
            winner, top = cls, w
        total += w
    for cls, w in weights.items():
        if w == top and winner is not None and distribution[winner] < distribution[cls]:
            winner = cls
    return winner, total


class KNearestNeighbor(Node):
    """KNIME's K Nearest Neighbor."""

    type_name = "k_nearest_neighbor"
    display_name = "K Nearest Neighbor"
    category = Category.PREDICTOR
    description = (
        "Classifies the rows of the second table by the k nearest rows of the first (Euclidean distance over all "
        "numeric columns of the training table): the class with the most votes (or the largest sum of 1/distance), "
        "ties going to the class more frequent in the training data. Appends `Class [kNN]` and optionally "
        "`P (<class>=<value>)` per class value. Neighbours tied with the k-th distance all vote. KNIME's own k-d tree "
        "and search are ported, so tied votes are decided in KNIME's order."
    )
    keywords = ("knn", "k nearest neighbour", "nearest neighbor", "classification", "instance based")
    knime = (
        KnimeMapping("org.knime.base.node.mine.knn.KnnNodeFactory2", "K Nearest Neighbor", _knn_from_knime),
        KnimeMapping("org.knime.base.node.mine.knn.KnnNodeFactory", "K Nearest Neighbor", _knn_from_knime),
    )
    inputs = (
        Port(TABLE, "Training data", "Numeric attributes and a class column."),
        Port(TABLE, "Test data", "Rows to classify; must contain the training table's numeric columns."),
    )
    outputs = (
        Port(TABLE, "Classified data", "The test data with the predicted class (and class probabilities)."),
    )
    Settings = KnnSettings

    def configure(self, in_specs: list[Any], settings: KnnSettings, ctx: NodeContext) -> list[Any]:
        train, test = in_specs
        if not isinstance(train, TableSpec) or not isinstance(test, TableSpec):
            return [UNKNOWN]
        target = _class_column(train, settings)
        _features(train, test, target)
        if settings.outputClassProbabilities:
            return [UNKNOWN]  # the class values are known once the training table is read
        return [test.append(*_output_columns(test, target, train.type_of(target), None))]

    def execute(self, inputs: list[Any], settings: KnnSettings, ctx: NodeContext) -> list[Any]:
        train_t, test_t = inputs
        target = _class_column(train_t.spec, settings)
        if settings.classColumn is None:
            ctx.warn(f"Auto-selected column '{target}' as class column.")
        features = _features(train_t.spec, test_t.spec, target)
        if any(c.name != target and c.type not in FEATURE_TYPES for c in train_t.spec.columns):
            ctx.warn("Input table contains more than one non-numeric column; they will be ignored.")
        labels = text_values(train_t.df[target])
        points, classes = _training_points(train_t, features, labels, ctx)
        distribution = Counter(classes)
        tree = _build(points, list(range(len(points))))
        if len(points) < settings.k:
            ctx.warn(
                f"There are only {len(points)} patterns in the input table, but {settings.k} nearest neighbours were "
                "requested for classification. The prediction will be the majority class for all input patterns."
            )
        values = [cell_text(v) for v in class_values(labels)]
        columns = _output_columns(
            test_t.spec,
            target,
            train_t.spec.type_of(target),
            values if settings.outputClassProbabilities else None,
        )
        queries = numeric_matrix(test_t.df, features)
        k = min(settings.k, len(points))
        predictions: list[Any] = []
        probs = np.zeros((len(queries), len(columns) - 1))
        order = sorted(values)
        weight: Callable[[float], float] = (
            (lambda d: 1.0 / d if d else math.inf) if settings.weightByDistance else (lambda d: 1.0)
        )
        for r, query in enumerate(queries):
            if r % 256 == 0:
                ctx.check_cancelled()
            if np.isnan(query).any() or k == 0:
                predictions.append(None)
                probs[r] = np.nan
                continue
            weights: dict[Any, float] = {}
            for dist, row in _nearest(tree, points, query, k):
                cls = classes[row]
                weights[cls] = weights.get(cls, 0.0) + weight(dist)
            winner, total = _vote(weights, distribution)
            predictions.append(winner)
            if settings.outputClassProbabilities:
                probs[r] = _probabilities(weights, total, order)
        df = test_t.df.copy()
        df[columns[0][0]] = pd.array(predictions, dtype=object)
        for j, (name, _) in enumerate(columns[1:]):
            df[name] = probs[:, j]
        return [test_t.with_frame(df, dict(columns))]
