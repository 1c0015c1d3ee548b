"""Hierarchical Clustering and Distance Matrix Calculate.

Hierarchical Clustering follows KNIME's `HierarchicalClusterNodeModel` (org.knime.base.node.mine.
cluster.hierarchical): every row starts as a cluster; each step merges the closest pair (the first
pair in list order wins a tie; distances are Java floats), removes both from the list and appends
the merged cluster. The output lists the clusters of the step where `numberClusters` were left,
each with its rows (first subtree first) and `Cluster` = `cluster_<position>`. Single and complete
linkage take the smallest/largest float distance; average linkage sums the float distances in
KNIME's leaf order (its leaf iterator walks the second subtree first) and divides by the pair count.

The tree also goes out on a model port, which Hierarchical Cluster Assigner
(`nodes.hierarchical_assigner`) cuts. Distance Matrix Calculate appends each row's distances to the rows before
it (KNIME's distance vector); Hierarchical Clustering can cluster on such a column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VIEW,
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
    Table,
    TableSpec,
    View,
    row_ids,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._cluster_tree import CLUSTER_TREE, ClusterTree
from nodes._common import ColumnFilter
from nodes._distance_measure import DISTANCE_MEASURE
from nodes._plotting import figure, locked, picture

DISTANCE_VECTOR = "Distance vector"  # column type: a tuple of distances to the rows before


@dataclass
class TreeNode:
    """A dendrogram node: a leaf (row index) or the merge of two subtrees at a distance."""

    leaves: list[int]  # in KNIME's getAllDataRows order: first subtree, then second
    distance: float = 0.0
    first: TreeNode | None = None
    second: TreeNode | None = None
    merges: list[tuple[int, int, float]] = field(default_factory=list)


def _float32(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def knime_hierarchical(
    distances: np.ndarray, linkage: str, n_output: int, ctx: NodeContext | None = None
) -> tuple[list[TreeNode], list[tuple[int, int, float]], list[tuple[int, float]]]:
    """KNIME's agglomeration on float distances: (clusters at the output step, merge history in
    scipy's id convention, fusion table (clusters left, distance)). The cluster-to-cluster distances
    are kept in a matrix in list order, so the first smallest pair (row-major, i < j) is KNIME's."""
    n = len(distances)
    d32 = _float32(distances)
    clusters = [TreeNode([i]) for i in range(n)]
    ids = list(range(n))
    merges: list[tuple[int, int, float]] = []
    fusion: list[tuple[int, float]] = []
    output = list(clusters) if n_output == n else None
    current = d32.copy()

    def link(a: TreeNode, b: TreeNode) -> np.float32:
        """The linkage of a (earlier in the list) and b, as KNIME's calculate*LinkageDist."""
        block = d32[np.ix_(a.leaves[::-1], b.leaves[::-1])]  # KNIME's leaf iterator: second subtree first
        if linkage == "SINGLE":
            return np.float32(block.min())
        if linkage == "COMPLETE":
            return np.float32(block.max())
        total = np.cumsum(block.ravel(), dtype=np.float32)[-1]  # float sum in KNIME's order
        return np.float32(total / np.float32(len(a.leaves) * len(b.leaves)))

    while len(clusters) > 1:
        if ctx is not None:
            ctx.check_cancelled()
            ctx.progress((n - len(clusters)) / max(n, 1), f"{len(clusters)} clusters left to merge")
        m = len(clusters)
        search = np.where(np.triu(np.ones((m, m), dtype=bool), k=1), current, np.float32(np.inf))
        search = np.where(np.isnan(search), np.float32(np.inf), search)
        flat = int(np.argmin(search))  # the first minimum in row-major order
        bi, bj = divmod(flat, m)
        best = search[bi, bj]
        if not best < np.float32(3.4028235e38):  # Float.MAX_VALUE: KNIME finds no pair either
            raise NodeError("no pair of clusters has a finite distance (missing values?)")
        a, b = clusters[bi], clusters[bj]
        merged = TreeNode(a.leaves + b.leaves, float(best), a, b)
        merges.append((ids[bi], ids[bj], float(best)))
        keep = [i for i in range(m) if i not in (bi, bj)]
        clusters = [clusters[i] for i in keep] + [merged]
        ids = [ids[i] for i in keep] + [n + len(merges) - 1]
        if linkage == "SINGLE":
            new_row = np.minimum(current[bi, keep], current[bj, keep])
        elif linkage == "COMPLETE":
            new_row = np.maximum(current[bi, keep], current[bj, keep])
        else:
            new_row = np.array([link(clusters[i], merged) for i in range(len(keep))], dtype=np.float32)
        grown = np.empty((len(keep) + 1, len(keep) + 1), dtype=np.float32)
        grown[:-1, :-1] = current[np.ix_(keep, keep)]
        grown[-1, :-1] = new_row
        grown[:-1, -1] = new_row
        grown[-1, -1] = 0
        current = grown
        fusion.append((len(clusters), float(best)))
        if len(clusters) == n_output and output is None:
            output = list(clusters)
    return (output if output is not None else list(clusters)), merges, fusion


def _row_distances(values: np.ndarray, metric: str) -> np.ndarray:
    n = len(values)
    out = np.zeros((n, n))
    for c in range(values.shape[1]):
        diff = values[:, c][:, None] - values[:, c][None, :]
        out = out + (np.abs(diff) if metric == "Manhattan" else diff * diff)
    return out if metric == "Manhattan" else np.sqrt(out)


def distance_matrix_from_column(series: pd.Series) -> np.ndarray:
    """A full matrix from a Distance Matrix Calculate column (each cell: distances to earlier rows)."""
    n = len(series)
    out = np.zeros((n, n))
    for i, cell in enumerate(series.tolist()):
        values = list(cell) if cell is not None else []
        if len(values) != i:
            raise NodeError(f"row {i} of the distance column holds {len(values)} distances, expected {i}")
        out[i, :i] = values
        out[:i, i] = values
    return out


def _dendrogram(tree: ClusterTree, title: str) -> bytes:
    from scipy.cluster.hierarchy import dendrogram

    fig, ax = figure(title)
    n = len(tree.row_ids)
    if n >= 2:
        sizes: list[int] = []
        matrix = []
        for a, b, d in tree.merges:
            size = (1 if a < n else sizes[a - n]) + (1 if b < n else sizes[b - n])
            sizes.append(size)
            matrix.append([a, b, d, size])
        dendrogram(np.array(matrix, dtype=float), labels=list(tree.row_ids), ax=ax, leaf_rotation=90)
    ax.set_ylabel("Distance")
    return picture(fig)


# ------------------------------------------------------------------------------- Hierarchical Clustering


class HierarchicalSettings(NodeSettings):
    numberClusters: int = Field(
        3, ge=1, title="Number output cluster", description="Clusters in the output table."
    )
    distFunction: Literal["Euclidean", "Manhattan"] = Field(
        "Euclidean", title="Distance function", description="Distance between rows (numeric columns)."
    )
    linkageType: Literal["SINGLE", "AVERAGE", "COMPLETE"] = Field(
        "SINGLE",
        title="Linkage type",
        description="Distance between clusters: nearest, average or farthest rows.",
    )
    cacheDistances: bool = Field(True, title="Cache distances", description="No effect on the result.")
    selectedColumns: list[str] = Field(
        default_factory=list,
        title="Distance columns",
        description="The numeric columns the distances use (default: all numeric).",
    )
    distance_column: str | None = Field(
        None,
        title="Distance matrix column",
        description="Cluster on a Distance Matrix Calculate column instead of selectedColumns.",
    )


def _hierarchical_from_knime(knime: KnimeSettings) -> None:
    for key in ("numberClusters", "distFunction", "linkageType", "cacheDistances"):
        knime.take(key)
    cols = knime.get("selectedColumns")
    if isinstance(cols, dict):
        knime.put("selectedColumns", [str(c) for c in seq(cols.get("InclList"))], "selectedColumns")
    knime.unread()


class HierarchicalClustering(Node):
    """KNIME's Hierarchical Clustering (HierarchicalClusterNodeFactory)."""

    type_name = "hierarchical_clustering"
    display_name = "Hierarchical Clustering"
    category = Category.LEARNER
    description = (
        "Agglomerative clustering as KNIME does it (single, average or complete linkage; Euclidean or Manhattan "
        "distance; KNIME's tie rule and float distances). Port 1: the rows grouped by cluster with `Cluster` "
        "(`cluster_0`, ...) for numberClusters clusters; port 2: the cluster tree (for Hierarchical Cluster "
        "Assigner); port 3: the dendrogram."
    )
    keywords = ("clustering", "agglomerative", "dendrogram", "linkage", "hierarchy")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.cluster.hierarchical.HierarchicalClusterNodeFactory",
            "Hierarchical Clustering",
            _hierarchical_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input data", "The rows to cluster."),)
    outputs = (
        Port(TABLE, "Clustered data", "The rows by cluster, plus the Cluster column."),
        Port(CLUSTER_TREE, "Cluster tree", "The merge history."),
        Port(VIEW, "Dendrogram", "The dendrogram."),
    )
    Settings = HierarchicalSettings

    @staticmethod
    def _columns(spec: TableSpec, settings: HierarchicalSettings) -> list[str]:
        if settings.distance_column:
            if settings.distance_column not in spec:
                raise ConfigureError(
                    f"distance column {settings.distance_column!r} not found", setting="distance_column"
                )
            return []
        if not settings.selectedColumns:
            columns = [c.name for c in spec.columns if c.type in ColumnType.NUMERIC]
            if not columns:
                raise ConfigureError("No numeric columns in input table", setting="selectedColumns")
            return columns
        for col in settings.selectedColumns:
            if col not in spec:
                raise ConfigureError(
                    f"Column '{col}' does not exist in input table", setting="selectedColumns"
                )
            if spec.type_of(col) not in ColumnType.NUMERIC:
                raise ConfigureError(f"Column '{col}' is not a numeric column", setting="selectedColumns")
        return list(settings.selectedColumns)

    def configure(self, in_specs: list[Any], settings: HierarchicalSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, ModelSpec("cluster_tree"), UNKNOWN]
        self._columns(spec, settings)
        return [spec.append(("Cluster", ColumnType.STRING)), ModelSpec("cluster_tree"), UNKNOWN]

    def execute(self, inputs: list[Any], settings: HierarchicalSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        columns = self._columns(table.spec, settings)
        if len(table) > 65500:
            raise NodeError("At most 65,500 patterns can be clustered")
        if settings.distance_column:
            distances = distance_matrix_from_column(table.df[settings.distance_column])
        else:
            values = np.column_stack(
                [
                    pd.to_numeric(table.df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                    for c in columns
                ]
            ).reshape(len(table), len(columns))
            distances = _row_distances(values, settings.distFunction)
        output, merges, _ = knime_hierarchical(distances, settings.linkageType, settings.numberClusters, ctx)
        order = [row for node in output for row in node.leaves]
        labels = [f"cluster_{i}" for i, node in enumerate(output) for _ in node.leaves]
        df = table.df.iloc[order].copy()
        df["Cluster"] = pd.Series(labels, index=df.index, dtype=object)
        tree = ClusterTree(tuple(table.row_ids), tuple(merges))
        model = Model(
            "cluster_tree",
            tree,
            f"{settings.linkageType.lower()} linkage tree of {len(table)} rows",
            spec=ModelSpec("cluster_tree"),
        )
        view = View(render=locked(lambda: _dendrogram(tree, "Dendrogram")), title="Dendrogram")
        return [table.with_frame(df, {"Cluster": ColumnType.STRING}), model, view]


# ------------------------------------------------------------------------------- Distance Matrix Calculate


class DistanceMatrixSettings(NodeSettings):
    columns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns",
        description="The numeric columns (default: all numeric).",
    )
    distance: Literal["Euclidean", "Manhattan", "Distance measure port"] = Field(
        "Euclidean",
        description="Distance between rows over the columns; 'Distance measure port': only the measure on the "
        "second input (the node fails without one).",
    )
    column_name: str = Field(
        "Distance", title="Distance column name", description="Name of the appended column."
    )


def _distance_matrix_from_knime(knime: KnimeSettings) -> None:
    """DistanceMatrixCalculate2 (3.x on): `appended_column_name`, `chunk_size` (how many rows are
    computed at once: no effect on the output) and `old-distance-config`, the column filter the
    node's first version applied its own distance to. What that distance is when no measure is
    connected is not in the saved settings, so the imported node requires a connected measure
    (the way KNIME's own examples use it) and fails, saying so, without one."""
    knime.take("column_name", "appended_column_name")
    knime.take("columns", "old-distance-config.data-column-spec-filter-config")
    knime.put("distance", "Distance measure port")
    knime.unread("chunk_size")
    knime.unread(under="old-distance-config")


class DistanceMatrixCalculate(Node):
    """Distance Matrix Calculate: each row's distances to the rows before it, in one column."""

    type_name = "distance_matrix_calculate"
    display_name = "Distance Matrix Calculate"
    category = Category.MANIPULATOR
    description = (
        "Appends a distance-matrix column: row i holds its distances to rows 0 .. i-1 (the lower triangle, as "
        "KNIME's distance vector cells), Euclidean or Manhattan over the chosen numeric columns, or the measure "
        "on the optional second port (e.g. Bit Vector Distances: Tanimoto on fingerprints). Hierarchical "
        "Clustering can cluster on it (distance_column)."
    )
    keywords = ("distance", "matrix", "pairwise", "euclidean", "manhattan", "tanimoto")
    knime = (
        KnimeMapping(
            "org.knime.distmatrix.calculate2.DistanceMatrixCalculate2NodeFactory",
            "Distance Matrix Calculate",
            _distance_matrix_from_knime,
        ),
    )
    inputs = (
        Port(TABLE, "Input data", "The rows."),
        Port(
            DISTANCE_MEASURE,
            "Distance measure",
            "A measure (e.g. from Bit Vector Distances) used instead of the columns and distance settings.",
            optional=True,
        ),
    )
    outputs = (Port(TABLE, "Data with distances", "The input plus the distance column."),)
    Settings = DistanceMatrixSettings

    def configure(self, in_specs: list[Any], settings: DistanceMatrixSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        measure = in_specs[1] if len(in_specs) > 1 else None
        if isinstance(measure, ModelSpec):
            for column in measure.learning_columns.columns:
                if column.name not in spec or spec.type_of(column.name) != column.type:
                    raise ConfigureError(
                        f"the distance measure's column {column.name!r} ({column.type}) is not in the input"
                    )
        elif settings.distance == "Distance measure port":
            raise ConfigureError(
                "no distance measure connected: connect one (e.g. Numeric Distances, Bit Vector Distances) to the "
                "second input, or choose a distance",
                setting="distance",
            )
        elif not settings.columns.apply(spec, allowed_types=ColumnType.NUMERIC):
            raise ConfigureError("no numeric column selected", setting="columns")
        if settings.column_name in spec:
            raise ConfigureError(f"column {settings.column_name!r} exists already", setting="column_name")
        return [spec.append((settings.column_name, DISTANCE_VECTOR))]

    def execute(self, inputs: list[Any], settings: DistanceMatrixSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        measure = inputs[1] if len(inputs) > 1 else None
        self.configure([table.spec, measure.spec if measure is not None else None], settings, ctx)
        if measure is not None:
            distances = measure.payload.matrix(table)
        else:
            columns = settings.columns.apply(table.spec, allowed_types=ColumnType.NUMERIC)
            values = np.column_stack(
                [
                    pd.to_numeric(table.df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                    for c in columns
                ]
            ).reshape(len(table), len(columns))
            distances = _row_distances(values, settings.distance)
        df = table.df.copy()
        df[settings.column_name] = pd.Series(
            [tuple(float(v) for v in distances[i, :i]) for i in range(len(table))],
            index=df.index,
            dtype=object,
        )
        return [table.with_frame(df, {settings.column_name: DISTANCE_VECTOR})]


__all__ = ["ClusterTree", "knime_hierarchical", "row_ids"]
