"""The cluster tree that Hierarchical Clustering emits and Hierarchical Cluster Assigner cuts
(KNIME's ClusterTreeModel port), shared by both node families."""

from __future__ import annotations

from dataclasses import dataclass

from engine.api import PortType

CLUSTER_TREE = PortType.register(PortType("model.cluster_tree", "Cluster tree", "#5a5a8f", "square"))


@dataclass(frozen=True)
class ClusterTree:
    """The merge history: `merges[i]` = (cluster id a, cluster id b, distance); ids < n are rows,
    n + i the cluster made by merge i (scipy's linkage convention)."""

    row_ids: tuple[str, ...]
    merges: tuple[tuple[int, int, float], ...]


__all__ = ["CLUSTER_TREE", "ClusterTree"]
