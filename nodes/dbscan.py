"""DBSCAN: KNIME's density-based clustering node (Distance Matrix extension), which clusters the rows
of its table with the distance measure on its second port (e.g. Numeric Distances).

A row is a core point when at least `Minpts` rows, itself included, lie within distance `Eps`
(<=) of it. Rows are visited in table order: an unvisited core row starts the next cluster
(`Cluster_0`, `Cluster_1`, ...), which grows through the neighbourhoods of its core points; a row
that is no core point is noise unless a cluster reaches it, and a border point reached by two
clusters stays in the first one. Labels are those of scikit-learn's DBSCAN with
min_samples = Minpts. The input comes out in its order with `Cluster` appended; the second table
counts the rows of each cluster, then the noise rows.

KNIME's own implementation (closed-source org.knime.distmatrix) could not be read: saved KNIME
outputs show Minpts counting the row itself (the smallest cluster holds exactly Minpts rows), but
list `Cluster_0` late among the labels in row order, so KNIME numbers its clusters in an order
of its own; which rows form a cluster and which are noise do not depend on it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
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
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._distance_measure import DISTANCE_MEASURE, measure_problem

NOISE = -1
_UNASSIGNED = -2
SUMMARY_SPEC = TableSpec.of([("Count", ColumnType.LONG)])


class DBSCANSettings(NodeSettings):
    """KNIME's DBSCAN settings (Eps, Minpts, Inmem)."""

    Eps: float = Field(
        0.1, ge=0, title="Epsilon", description="Rows within this distance (<=) of a row are its neighbours."
    )
    Minpts: int = Field(
        5,
        ge=1,
        title="Minimum points",
        description="Neighbours (the row itself included) that make a row a core point of a cluster.",
    )
    Inmem: bool = Field(
        False,
        title="Load data in memory",
        description="KNIME's performance option; no effect on the result (knitflow holds the table in memory).",
    )


def _dbscan_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["Eps", "Minpts", "Inmem"])
    knime.note(
        "DBSCAN numbers its clusters in row order (as scikit-learn does); KNIME's own numbering (its "
        "source is closed) may name the same clusters differently"
    )
    knime.unread()


def dbscan_labels(
    neighbours: Callable[[int], np.ndarray], n: int, min_points: int, ctx: NodeContext | None = None
) -> np.ndarray:
    """Each row's cluster (0, 1, ... in order of discovery) or NOISE. `neighbours(i)` lists the rows
    within Eps of row i, i included; each row is asked once, when it is visited. A core point's
    neighbours that no cluster holds yet join its cluster at once (noise rows become border
    points) and the unvisited ones wait to be visited, so each row is queued at most once."""
    labels = np.full(n, _UNASSIGNED, dtype=np.int64)
    visited = np.zeros(n, dtype=bool)
    cluster = 0
    queue: deque[int] = deque()

    def claim(rows: np.ndarray) -> None:
        free = rows[labels[rows] < 0]
        labels[free] = cluster
        queue.extend(free[~visited[free]].tolist())

    for start in range(n):
        if visited[start]:
            continue
        if ctx is not None:
            ctx.check_cancelled()
            ctx.progress(int(visited.sum()) / n, f"{cluster} cluster(s) found")
        visited[start] = True
        seeds = neighbours(start)
        if len(seeds) < min_points:
            labels[start] = NOISE
            continue
        labels[start] = cluster
        claim(seeds)
        while queue:
            row = queue.popleft()
            visited[row] = True
            found = neighbours(row)
            if len(found) >= min_points:
                claim(found)
        cluster += 1
    return labels


def _label(cluster: int) -> str:
    return "Noise" if cluster == NOISE else f"Cluster_{cluster}"


def _summary(labels: np.ndarray) -> pd.DataFrame:
    clusters = sorted(int(c) for c in set(labels.tolist()) if c != NOISE)
    order = clusters + ([NOISE] if (labels == NOISE).any() else [])
    counts = [int((labels == c).sum()) for c in order]
    return pd.DataFrame(
        {"Count": np.array(counts, dtype=np.int64)}, index=pd.Index([_label(c) for c in order], dtype=object)
    )


class DBSCAN(Node):
    """KNIME's DBSCAN (DBSCANNodeFactory) over a distance measure port."""

    type_name = "dbscan"
    display_name = "DBSCAN"
    category = Category.LEARNER
    description = (
        "Density-based clustering: rows with at least Minpts rows (themselves included) within Eps are core "
        "points; clusters grow through core points, other rows join the first cluster that reaches them or "
        "are Noise. The distance comes from the second port (e.g. Numeric Distances). Port 1: the input with "
        "`Cluster` (Cluster_0, ... or Noise); port 2: the number of rows of each cluster and of Noise. "
        "Clusters are numbered in row order; KNIME's own numbering could not be checked."
    )
    keywords = ("clustering", "dbscan", "density", "noise", "outlier", "epsilon", "neighbourhood")
    knime = (KnimeMapping("org.knime.base.node.mine.dbscan.DBSCANNodeFactory", "DBSCAN", _dbscan_from_knime),)
    inputs = (
        Port(TABLE, "Input data", "The rows to cluster."),
        Port(DISTANCE_MEASURE, "Distance measure", "The measure from one of the distance nodes."),
    )
    outputs = (
        Port(TABLE, "Data with cluster IDs", "The input plus the Cluster column."),
        Port(TABLE, "Summary table", "The number of rows of each cluster (and of Noise)."),
    )
    Settings = DBSCANSettings

    @staticmethod
    def _check(spec: TableSpec, measure: Any, cls: type[NodeError]) -> None:
        if isinstance(measure, ModelSpec):
            problem = measure_problem(measure, spec)
            if problem:
                raise cls(problem)

    def configure(self, in_specs: list[Any], settings: DBSCANSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, SUMMARY_SPEC]
        self._check(spec, in_specs[1], ConfigureError)
        return [spec.append((unique_column_name(spec.names, "Cluster"), ColumnType.STRING)), SUMMARY_SPEC]

    def execute(self, inputs: list[Any], settings: DBSCANSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        measure: Model = inputs[1]
        self._check(table.spec, measure.spec, NodeError)
        distances = measure.payload.rows(table)
        eps = settings.Eps

        def neighbours(row: int) -> np.ndarray:
            return np.flatnonzero(distances(np.array([row]))[0] <= eps)

        labels = dbscan_labels(neighbours, len(table), settings.Minpts, ctx)
        column = unique_column_name(table.spec.names, "Cluster")
        df = table.df.copy(deep=False)
        df[column] = pd.Series([_label(int(c)) for c in labels], index=df.index, dtype=object)
        clustered = table.with_frame(df, {column: ColumnType.STRING})
        return [clustered, Table(_summary(labels), {"Count": ColumnType.LONG})]
