"""Hierarchical Cluster Assigner, as KNIME's JavaScript node of that name
(org.knime.base.node.mine.cluster.hierarchical.js, knime-js-base: HierarchicalClusterAssignerNodeModel
and HierarchicalClusterAssignerConfig).

KNIME cuts the cluster tree at a distance threshold: with "number of clusters" the threshold lies
halfway between the two merge distances that separate that many clusters (1 cluster: the root's
distance + 0.01; as many clusters as leaves: half the smallest merge distance); otherwise it is the
threshold itself, or the normalised threshold times the largest merge distance. A depth-first walk
from the root (a stack: the second subtree is visited first) takes every subtree whose largest merge
distance is at most the threshold as one cluster. A cluster is labelled `Cluster <id>`, `<id>` being
the subtree's position in a breadth-first numbering of the whole tree (root 0, then first and
second subtrees level by level): the default labels KNIME's view starts with. Rows are matched to
the tree's leaves by RowID; a row the tree does not know gets a missing cell. The outputs are the
dendrogram image (KNIME's SVG, a PNG here) and the table with the cluster column and, when selection
is enabled, a Boolean selection column (false: a batch run selects nothing; missing for unknown rows).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from engine.api import (
    TABLE,
    UNKNOWN,
    VIEW,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    View,
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._cluster_tree import CLUSTER_TREE, ClusterTree
from nodes._plotting import figure, locked, picture

_FACTORY = "org.knime.base.node.mine.cluster.hierarchical.js.HierarchicalClusterAssignerNodeFactory"

# the keys of HierarchicalClusterAssignerConfig that only shape KNIME's interactive view or its image
_VIEW_KEYS = (
    "hideInWizard",
    "generateImage",
    "imageWidth",
    "imageHeight",
    "displayFullscreenButton",
    "resizeToWindow",
    "subtitle",
    "customCSS",
    "enableViewEdit",
    "enableTitleEdit",
    "enableNumClusterEdit",
    "enableClusterLabels",
    "publishSelectionEvents",
    "subscribeSelectionEvents",
    "showClearSelectionButton",
    "enableClusterColor",
    "showWarningsInView",
    "enableZoomAndPanning",
    "showZoomResetButton",
    "enableLogScaleToggle",
    "useLogScale",
    "enableChangeOrientation",
    "orientation",
    "colorPalette",
    "subscribeFilterEvents",
    "showThresholdBar",
    "enableThresholdModification",
)
_RESULT_KEYS = (
    "numClustersMode",
    "numClusters",
    "threshold",
    "useNormalizedDistances",
    "normalizedThreshold",
    "clusterColumnName",
    "enableSelection",
    "selectionColumnName",
    "title",
)


class HierarchicalAssignerSettings(NodeSettings):
    numClustersMode: bool = Field(
        True,
        title="Number of clusters",
        description="Cut the tree into numClusters clusters (else: at a distance threshold).",
    )
    numClusters: int = Field(1, ge=1, title="Number of clusters", description="Clusters to keep.")
    useNormalizedDistances: bool = Field(
        True,
        title="Use normalized distances",
        description="The threshold is normalizedThreshold times the largest merge distance.",
    )
    normalizedThreshold: float = Field(
        0.0, title="Normalized threshold", description="Between 0 and 1 (when normalized distances are used)."
    )
    threshold: float = Field(0.0, title="Threshold", description="The distance threshold (not normalized).")
    clusterColumnName: str = Field(
        "Cluster (Hierarchical Cluster Assigner)",
        title="Cluster column name",
        description="Name of the appended cluster column (made unique).",
    )
    enableSelection: bool = Field(
        True, title="Enable selection", description="Also append the Boolean selection column."
    )
    selectionColumnName: str = Field(
        "Selected (Hierarchical Cluster Assigner)",
        title="Selection column name",
        description="Name of the selection column (made unique).",
    )
    title: str = Field("", title="Title", description="Title of the dendrogram image.")

    @model_validator(mode="after")
    def _threshold_range(self) -> HierarchicalAssignerSettings:
        # HierarchicalClusterAssignerConfig.loadSettings: each threshold is checked only when it is used
        if self.useNormalizedDistances and not 0 <= self.normalizedThreshold <= 1:
            raise ValueError(
                f"Invalid normalized threshold {self.normalizedThreshold}. Normalized threshold must be between 0 and 1"
            )
        if self.threshold < 0 and not self.useNormalizedDistances:
            raise ValueError(f"Invalid threshold, {self.threshold}. Threshold cannot be negative")
        return self


def _assigner_from_knime(knime: KnimeSettings) -> None:
    for key in _RESULT_KEYS:
        knime.take(key)
    if knime.get("generateImage") is False:
        knime.note(
            "generateImage is off in KNIME (its image port is inactive); knitflow draws the image anyway"
        )
    for key in _VIEW_KEYS:
        knime.ignore_binding(key, "an option of the interactive view or its image")
    knime.unread(*_VIEW_KEYS)


class _Dendrogram:
    """The cluster tree as KNIME's DendrogramNodes: node i < n is leaf (row) i, node n + m the
    merge m, whose first subtree is the earlier cluster of the pair."""

    def __init__(self, tree: ClusterTree) -> None:
        self.n = len(tree.row_ids)
        self.children: dict[int, tuple[int, int]] = {}
        self.height: dict[int, float] = dict.fromkeys(range(self.n), 0.0)
        for m, (a, b, d) in enumerate(tree.merges):
            node = self.n + m
            self.children[node] = (a, b)
            self.height[node] = max(d, self.height[a], self.height[b])  # DendrogramNode.getMaxDistance
        self.root = self.n + len(tree.merges) - 1 if tree.merges else (0 if self.n else None)
        self.distances = sorted(d for _, _, d in tree.merges)  # ClusterTreeModel.getClusterDistances

    def breadth_first_ids(self) -> dict[int, int]:
        ids: dict[int, int] = {}
        queue = deque([] if self.root is None else [self.root])
        while queue:
            node = queue.popleft()
            ids[node] = len(ids)
            queue.extend(self.children.get(node, ()))
        return ids

    def leaves(self, node: int) -> list[int]:
        out, stack = [], [node]
        while stack:
            current = stack.pop()
            if current in self.children:
                stack.extend(self.children[current])
            else:
                out.append(current)
        return out

    def threshold_for(self, clusters: int) -> float:
        """HierarchicalClusterAssignerNodeModel.computeThresholdFromNumClusters."""
        cd = self.distances
        if clusters == 1:
            return (self.height[self.root] if self.root is not None else 0.0) + 0.01
        if clusters >= len(cd) + 1:
            return cd[0] * 0.5 if cd else 0.0
        return (cd[len(cd) - (clusters - 1)] + cd[len(cd) - clusters]) / 2.0

    def cut(self, threshold: float) -> list[int]:
        """The cluster subtrees, in KNIME's depth-first order (second subtree popped first)."""
        found: list[int] = []
        stack = [] if self.root is None else [self.root]
        while stack:
            node = stack.pop()
            if self.height[node] <= threshold:
                found.append(node)
            else:
                stack.extend(self.children[node])
        return found


def _image(tree: ClusterTree, threshold: float, title: str) -> bytes:
    from scipy.cluster.hierarchy import dendrogram

    fig, ax = figure(title)
    n = len(tree.row_ids)
    if n >= 2:
        sizes: list[int] = []
        matrix = []
        for a, b, d in tree.merges:
            sizes.append((1 if a < n else sizes[a - n]) + (1 if b < n else sizes[b - n]))
            matrix.append([a, b, d, sizes[-1]])
        dendrogram(np.array(matrix, dtype=float), labels=list(tree.row_ids), ax=ax, leaf_rotation=90)
    ax.axhline(threshold, color="#c0392b", linestyle="--", linewidth=1)
    ax.set_ylabel("Distance")
    return picture(fig)


class HierarchicalClusterAssigner(Node):
    """KNIME's Hierarchical Cluster Assigner: cuts a cluster tree and labels the rows."""

    type_name = "hierarchical_cluster_assigner"
    display_name = "Hierarchical Cluster Assigner"
    category = Category.PREDICTOR
    version = 2  # KNIME's cut, labels, column names and ports (version 1 numbered clusters by first row)
    description = (
        "Cuts a Hierarchical Clustering tree as KNIME does: into numClusters clusters or at a (normalised) "
        "distance threshold, each cluster labelled `Cluster <id>` by its subtree's breadth-first position in the "
        "tree. Port 1: the dendrogram with the threshold; port 2: the rows (matched by RowID) plus the cluster "
        "column and, with enableSelection, a Boolean selection column (false; missing for rows the tree does "
        "not know)."
    )
    keywords = ("clustering", "dendrogram", "cut", "hierarchy", "assign", "threshold")
    knime = (KnimeMapping(_FACTORY, "Hierarchical Cluster Assigner", _assigner_from_knime),)
    inputs = (
        Port(CLUSTER_TREE, "Cluster tree", "The tree from Hierarchical Clustering."),
        Port(TABLE, "Data", "The clustered rows (matched by RowID)."),
    )
    outputs = (
        Port(VIEW, "Image", "The dendrogram with the threshold."),
        Port(TABLE, "Clustered data", "The input plus the cluster (and selection) column."),
    )
    Settings = HierarchicalAssignerSettings

    @staticmethod
    def _names(spec: TableSpec, settings: HierarchicalAssignerSettings) -> tuple[str, str | None]:
        cluster = unique_column_name(spec.names, settings.clusterColumnName)
        if not settings.enableSelection:
            return cluster, None
        return cluster, unique_column_name([*spec.names, cluster], settings.selectionColumnName)

    def configure(
        self, in_specs: list[Any], settings: HierarchicalAssignerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[1]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        if not settings.clusterColumnName:
            raise ConfigureError("the cluster column needs a name", setting="clusterColumnName")
        cluster, selected = self._names(spec, settings)
        out = spec.append((cluster, ColumnType.STRING))
        if selected is not None:
            out = out.append((selected, ColumnType.BOOLEAN))
        return [UNKNOWN, out]

    def execute(
        self, inputs: list[Any], settings: HierarchicalAssignerSettings, ctx: NodeContext
    ) -> list[Any]:
        tree: ClusterTree = inputs[0].payload
        table: Table = inputs[1]
        if settings.numClustersMode and 0 < len(table) < settings.numClusters:
            raise NodeError("More clusters than data points selected", setting="numClusters")
        dendrogram = _Dendrogram(tree)
        if settings.numClustersMode:
            threshold = dendrogram.threshold_for(settings.numClusters)
        elif settings.useNormalizedDistances:
            if not dendrogram.distances:
                raise NodeError("the cluster tree has no merges to normalise the threshold by")
            threshold = settings.normalizedThreshold * dendrogram.distances[-1]
        else:
            threshold = settings.threshold
        ids = dendrogram.breadth_first_ids()
        label_of_row: dict[str, str] = {}
        for node in dendrogram.cut(threshold):
            for leaf in dendrogram.leaves(node):
                label_of_row[tree.row_ids[leaf]] = f"Cluster {ids[node]}"
        known = set(tree.row_ids)
        rows = [str(r) for r in table.row_ids]
        unknown = sum(1 for r in rows if r not in known)
        if unknown and len(table):
            ctx.warn(
                f"{unknown} row(s) cannot be assigned because they are not represented in the given cluster tree"
            )
        missing_rows = len(known - set(rows))
        if missing_rows and len(table):
            ctx.warn(
                f"{missing_rows} cluster tree leaf(s) do not have corresponding row(s) in the given data table"
            )
        cluster, selected = self._names(table.spec, settings)
        df = table.df.copy()
        df[cluster] = pd.Series([label_of_row.get(r) for r in rows], index=df.index, dtype=object)
        types = {cluster: ColumnType.STRING}
        if selected is not None:
            df[selected] = pd.Series(
                pd.array([False if r in known else None for r in rows], dtype="boolean"), index=df.index
            )
            types[selected] = ColumnType.BOOLEAN
        title = settings.title or "Hierarchical Cluster Assigner"
        image = View(render=locked(lambda: _image(tree, threshold, title)), title=title)
        return [image, table.with_frame(df, types)]
