"""The clustering nodes' numerics (`nodes.clustering`): KNIME's k-Means step for step (its initial rows,
tie-breaking and summation order, so the clusters are KNIME's), Partitioning Around Medoids and
silhouettes. Plain numpy functions, apart from the nodes so they can be tested on arrays.
"""

from __future__ import annotations

import numpy as np

from engine.api import NodeError
from nodes._commons_math import Well19937c, random_data_next_long


def nearest_center(values: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the nearest centre by squared Euclidean distance, summed dimension by dimension; the
    first centre wins a tie (`distance < winnerDistance`)."""
    best = np.zeros(len(values), dtype=np.int64)
    best_dist = np.full(len(values), np.finfo(float).max)
    for c, center in enumerate(centers):
        dist = np.zeros(len(values))
        for i, coordinate in enumerate(center):
            d = coordinate - values[:, i]
            dist = dist + np.where(np.isnan(d), 0.0, d * d)
        closer = dist < best_dist
        best[closer] = c
        best_dist[closer] = dist[closer]
    return best


def kmeans(
    values: np.ndarray, k: int, max_iterations: int, initial: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """KNIME's batch k-Means from the initial centres: (centres, coverage, iterations)."""
    centers = initial.astype(float).copy()
    coverage = np.zeros(k, dtype=np.int64)
    iteration = 0
    finished = False
    while not finished and iteration < max_iterations:
        winners = nearest_center(values, centers)
        finished = True
        for c in range(k):
            members = values[winners == c]
            coverage[c] = len(members)
            if len(members) == 0:
                continue  # a centre covering no row stays where it is
            sums = np.cumsum(members, axis=0)[-1]  # added row after row, as KNIME does
            new = sums / len(members)
            if (np.abs(centers[c] - new) > 1e-10).any():
                finished = False
            centers[c] = new
        iteration += 1
    return centers, coverage, iteration


def initial_rows(n: int, k: int, random: bool, seed: int) -> list[int]:
    """The rows that seed the centres, in table order (`randomCentroidsSetCreation`)."""
    if not random:
        return list(range(min(k, n)))
    if k > n:
        raise NodeError(f"cannot draw {k} distinct initial centres from {n} rows", setting="nrClusters")
    rng = Well19937c(seed)
    chosen: set[int] = set()
    while len(chosen) < k:
        chosen.add(random_data_next_long(rng, 0, n - 1))
    return sorted(chosen)


def pairwise_distances(values: np.ndarray, metric: str) -> np.ndarray:
    diff = values[:, None, :] - values[None, :, :]
    if metric == "Manhattan":
        return np.abs(diff).sum(axis=2)
    return np.sqrt((diff * diff).sum(axis=2))


def k_medoids(distances: np.ndarray, k: int, max_iterations: int) -> tuple[list[int], int]:
    """Partitioning Around Medoids: the greedy BUILD of Kaufman and Rousseeuw, then SWAP steps (the
    best medoid/non-medoid exchange while it lowers the total distance). Deterministic."""
    n = len(distances)
    medoids = [int(np.argmin(distances.sum(axis=1)))]
    nearest = distances[medoids[0]].copy()
    while len(medoids) < k:
        gains = np.maximum(nearest[None, :] - distances, 0.0).sum(axis=1)
        gains[medoids] = -1.0
        best = int(np.argmax(gains))
        medoids.append(best)
        nearest = np.minimum(nearest, distances[best])
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        cost = distances[medoids].min(axis=0).sum()
        best_change: tuple[float, int, int] | None = None
        for slot in range(k):
            others = [m for i, m in enumerate(medoids) if i != slot]
            rest = distances[others].min(axis=0) if others else np.full(n, np.inf)
            candidates = np.minimum(rest[None, :], distances).sum(axis=1)
            candidates[medoids] = np.inf
            h = int(np.argmin(candidates))
            delta = float(candidates[h] - cost)
            if delta < -1e-12 and (best_change is None or delta < best_change[0]):
                best_change = (delta, slot, h)
        if best_change is None:
            break
        medoids[best_change[1]] = best_change[2]
    return medoids, iterations


def silhouettes(distances: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Rousseeuw's silhouette per row: (b - a) / max(a, b), 0 for a row alone in its cluster."""
    out = np.zeros(len(labels))
    clusters = np.unique(labels)
    if len(clusters) < 2:
        return out
    for i in range(len(labels)):
        own = labels == labels[i]
        if own.sum() <= 1:
            continue
        a = distances[i, own].sum() / (own.sum() - 1)
        b = min(distances[i, labels == c].mean() for c in clusters if c != labels[i])
        out[i] = (b - a) / max(a, b) if max(a, b) > 0 else 0.0
    return out
