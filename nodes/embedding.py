"""t-SNE and MDS: low-dimensional embeddings that keep neighbourhoods (t-SNE) or distances (MDS).

MDS is KNIME's own algorithm (`org.knime.base.node.mine.mds.MDSManager`, Kilian Thiel): the points
start at `java.util.Random(seed).nextDouble()` coordinates, then each epoch moves every point towards
or away from every other one by `rate * (1 - d_high / d_low)` of their difference, in row order,
with the rate decaying geometrically to 0.001. knitflow repeats it with KNIME's random numbers.

KNIME's t-SNE node runs Leif Jonsson's Java t-SNE (Barnes-Hut, its own random numbers); that run
cannot be reproduced number for number, so knitflow uses scikit-learn's t-SNE with the same
settings (perplexity, iterations, theta as Barnes-Hut angle, exact t-SNE for theta = 0, seed) and
scikit-learn's automatic learning rate.
"""

from __future__ import annotations

import math
from typing import Any, Literal

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
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import ColumnFilter
from nodes._java_random import JavaRandom


def _matrix(table: Table, columns: list[str]) -> np.ndarray:
    return np.column_stack(
        [pd.to_numeric(table.df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in columns]
    ).reshape(len(table), len(columns))


# ---------------------------------------------------------------------------------------------- t-SNE


class TsneSettings(NodeSettings):
    features: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns",
        description="The numeric columns the embedding is learned from (default: all numeric).",
    )
    outputDimensions: int = Field(
        2, ge=1, title="Dimension(s) to reduce to", description="Embedding dimensions."
    )
    iterations: int = Field(1000, ge=1, title="Iterations", description="Learning iterations.")
    theta: float = Field(
        0.5, ge=0.0, le=1.0, title="Theta", description="Barnes-Hut accuracy (0: exact t-SNE, slow)."
    )
    perplexity: float = Field(
        30.0,
        gt=0.0,
        title="Perplexity",
        description="About the number of neighbours (at most (rows - 1) / 3).",
    )
    numberOfThreads: int = Field(
        1, ge=1, title="Number of threads", description="Threads used by the solver."
    )
    removeOriginalColumns: bool = Field(
        False,
        title="Remove original data columns",
        description="Drop the columns the embedding was learned from.",
    )
    failOnMissingValues: bool = Field(
        False,
        title="Fail if missing values are encountered",
        description="Fail on a missing value; otherwise such rows are left out and get missing coordinates.",
    )
    seed: int | None = Field(
        None, title="Seed", description="Seed of the random start (none: from the run's seed, else random)."
    )


def _tsne_from_knime(knime: KnimeSettings) -> None:
    for key in ("features", "outputDimensions", "iterations", "theta", "perplexity", "numberOfThreads"):
        knime.take(key)
    knime.take("removeOriginalColumns")
    knime.take("failOnMissingValues")
    use_seed = bool(knime.get("seed_BOOL", False))
    knime.put("seed", int(knime.get("seed")) if use_seed and knime.get("seed") is not None else None, "seed")
    if knime.get("seed_BOOL") is not None:
        knime.paths["seed_BOOL"] = "seed"
    knime.unread()


def _embedding_spec(spec: TableSpec, used: list[str], k: int, remove: bool, prefix: str) -> TableSpec:
    kept = [c for c in spec.columns if not (remove and c.name in used)]
    names = {c.name for c in kept}
    new = []
    for i in range(k):
        name = unique_column_name(names, f"{prefix}{i}")
        names.add(name)
        new.append((name, ColumnType.DOUBLE))
    return TableSpec(tuple(kept)).append(*new)


class Tsne(Node):
    """KNIME's t-SNE (L. Jonsson) node, computed with scikit-learn's t-SNE."""

    type_name = "t_sne"
    display_name = "t-SNE (L. Jonsson)"
    category = Category.MANIPULATOR
    description = (
        "t-distributed stochastic neighbour embedding: appends `t-SNE dimension 0`, ... that keep each row's "
        "neighbours close. KNIME runs Leif Jonsson's Java t-SNE; its random numbers cannot be reproduced, so this "
        "node computes scikit-learn's t-SNE with the same perplexity, iterations, theta (Barnes-Hut angle; 0 = "
        "exact) and seed (random start as Jonsson's, scikit-learn's automatic learning rate): the same kind of "
        "embedding, not the same numbers."
    )
    keywords = ("tsne", "embedding", "dimension reduction", "manifold", "visualisation")
    knime = (KnimeMapping("org.knime.ext.tsne.node.TsneNodeFactory", "t-SNE (L. Jonsson)", _tsne_from_knime),)
    inputs = (Port(TABLE, "Input table", "The rows to embed."),)
    outputs = (Port(TABLE, "Embedded table", "The input plus the embedding columns."),)
    Settings = TsneSettings

    def is_deterministic(self, settings: TsneSettings) -> bool:
        return settings.seed is not None

    def configure(self, in_specs: list[Any], settings: TsneSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        used = settings.features.apply(spec, allowed_types=ColumnType.NUMERIC)
        if len(used) < settings.outputDimensions:
            raise ConfigureError(
                f"The number of output dimensions ({settings.outputDimensions}) must not exceed the number of input "
                f"dimensions ({len(used)}).",
                setting="outputDimensions",
            )
        return [
            _embedding_spec(
                spec, used, settings.outputDimensions, settings.removeOriginalColumns, "t-SNE dimension "
            )
        ]

    def execute(self, inputs: list[Any], settings: TsneSettings, ctx: NodeContext) -> list[Any]:
        from sklearn.manifold import TSNE

        table: Table = inputs[0]
        out_spec = self.configure([table.spec], settings, ctx)[0]
        if len(table) <= 2:
            raise NodeError("The table must have at least 2 rows in order to calculate an embedding.")
        used = settings.features.apply(table.spec, allowed_types=ColumnType.NUMERIC)
        values = _matrix(table, used)
        ok = ~np.isnan(values).any(axis=1)
        if not ok.all():
            if settings.failOnMissingValues:
                raise NodeError("Missing value in the input of t-SNE.", setting="failOnMissingValues")
            ctx.warn(f"{int((~ok).sum())} row(s) were ignored because they contained missing values.")
        data = values[ok]
        max_perplexity = (len(data) - 1) / 3.0
        if settings.perplexity > max_perplexity:
            raise NodeError(
                f"For your data the perplexity must be at most {max_perplexity}.", setting="perplexity"
            )
        iterations = settings.iterations
        if iterations < 250:
            ctx.warn(f"scikit-learn's t-SNE runs at least 250 iterations; {iterations} raised to 250")
            iterations = 250
        theta = settings.theta
        method = "exact" if theta == 0 or settings.outputDimensions > 3 else "barnes_hut"
        tsne = TSNE(
            n_components=settings.outputDimensions,
            perplexity=settings.perplexity,
            learning_rate="auto",
            max_iter=iterations,
            angle=theta if theta > 0 else 0.5,
            method=method,
            init="random",
            random_state=ctx.seed(settings.seed) % (2**32),
            n_jobs=settings.numberOfThreads,
        )
        embedding = tsne.fit_transform(data)
        coords = np.full((len(table), settings.outputDimensions), np.nan)
        coords[ok] = embedding
        names = out_spec.names[len(out_spec) - settings.outputDimensions :]
        df = table.df.drop(columns=used) if settings.removeOriginalColumns else table.df.copy()
        for i, name in enumerate(names):
            df[name] = coords[:, i]
        return [table.with_frame(df, dict.fromkeys(names, ColumnType.DOUBLE))]


# ------------------------------------------------------------------------------------------------ MDS


def knime_mds(
    distances: np.ndarray,
    dimensions: int,
    epochs: int,
    learning_rate: float,
    seed: int,
    ctx: NodeContext | None,
) -> np.ndarray:
    """`MDSManager.init(seed)` and `train(epochs, learningrate)` on a full distance matrix."""
    n = len(distances)
    rnd = JavaRandom(seed)
    points = [[rnd.nextDouble() for _ in range(dimensions)] for _ in range(n)]
    high = distances.tolist()
    final_rate = 0.001
    rate = learning_rate
    dims = range(dimensions)
    for epoch in range(1, epochs + 1):
        if ctx is not None:
            ctx.check_cancelled()
            ctx.progress((epoch - 1) / epochs, f"Training epoch {epoch} of {epochs}")
        for i in range(n):
            p1 = points[i]
            row = high[i]
            for j in range(n):
                p2 = points[j]
                if p1 == p2:  # DataPoint.equals: the point itself (or one at the same place)
                    continue
                total = 0.0
                for d in dims:
                    t = p1[d] - p2[d]
                    total += t * t
                distance = math.sqrt(total)
                if distance != 0:
                    factor = rate * (1 - (row[j] / distance))
                    for d in dims:
                        value = p1[d]
                        p1[d] = value + factor * (p2[d] - value)
        rate = learning_rate * math.pow(final_rate / learning_rate, epoch / epochs)
    return np.array(points, dtype=float).reshape(n, dimensions)


def row_distances(values: np.ndarray, metric: str) -> np.ndarray:
    """Distances between rows, summed column by column (Euclidean: the root of the squared sum)."""
    n = len(values)
    out = np.zeros((n, n))
    for c in range(values.shape[1]):
        diff = values[:, c][:, None] - values[:, c][None, :]
        out = out + (np.abs(diff) if metric == "Manhattan" else diff * diff)
    return out if metric == "Manhattan" else np.sqrt(out)


class MDSSettings(NodeSettings):
    Cols: list[str] = Field(
        default_factory=list,
        title="Columns to use",
        description="The numeric columns the distances are computed on (default: all numeric).",
    )
    Distance: Literal["Euclidean", "Manhattan"] = Field(
        "Euclidean", title="Distance metric", description="Distance between rows."
    )
    Epochs: int = Field(50, ge=1, title="Epochs", description="Training epochs.")
    Learningrate: float = Field(
        1.0, ge=0.0, le=1.0, title="Learning rate", description="Initial step size, decreasing to 0.001."
    )
    OutDims: int = Field(2, ge=1, title="Output dimensions", description="Dimensions of the embedding.")
    Seed: int = Field(1000000, ge=0, title="Random seed", description="Seed of the random start.")
    UseMaxRows: bool = Field(
        True, title="Use all rows", description="Use every row; otherwise only the first Rows."
    )
    Rows: int = Field(
        1000, ge=1, title="Number of rows to use", description="Rows used when UseMaxRows is off."
    )


def _mds_from_knime(knime: KnimeSettings) -> None:
    for key in ("Cols", "Distance", "Epochs", "Learningrate", "OutDims", "Seed", "UseMaxRows", "Rows"):
        knime.take(key)
    distance = knime.settings.get("Distance")
    if isinstance(distance, str):  # KNIME also accepts the lower-case names of old workflows
        knime.put("Distance", distance[:1].upper() + distance[1:].lower(), "Distance")
    knime.unread()


class MDS(Node):
    """KNIME's MDS (multi-dimensional scaling, MDSNodeFactory)."""

    type_name = "mds"
    display_name = "MDS"
    category = Category.MANIPULATOR
    description = (
        "Multi-dimensional scaling as KNIME computes it: random start from java.util.Random(seed), then per epoch "
        "each point moves towards or away from every other point so that the low-dimensional distances approach "
        "the original ones, the learning rate decaying to 0.001. Appends `MDS Col 1`, `MDS Col 2`, ...; rows with "
        "missing values get missing coordinates; with UseMaxRows off only the first Rows rows are output."
    )
    keywords = ("multidimensional scaling", "embedding", "dimension reduction", "distance")
    knime = (KnimeMapping("org.knime.base.node.mine.mds.MDSNodeFactory", "MDS", _mds_from_knime),)
    inputs = (Port(TABLE, "Input data", "The rows to map."),)
    outputs = (Port(TABLE, "Mapped data", "The (used) rows plus the MDS columns."),)
    Settings = MDSSettings

    @staticmethod
    def _columns(spec: TableSpec, settings: MDSSettings) -> list[str]:
        if not settings.Cols:
            return [c.name for c in spec.columns if c.type in ColumnType.NUMERIC]
        missing = [c for c in settings.Cols if c not in spec]
        if missing:
            raise ConfigureError("Selected column are not in spec !", setting="Cols")
        return list(settings.Cols)

    def configure(self, in_specs: list[Any], settings: MDSSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        columns = self._columns(spec, settings)
        if not any(spec.type_of(c) in ColumnType.NUMERIC for c in columns):
            raise ConfigureError("Number of columns has to be greater than zero !", setting="Cols")
        return [spec.append(*((f"MDS Col {i + 1}", ColumnType.DOUBLE) for i in range(settings.OutDims)))]

    def execute(self, inputs: list[Any], settings: MDSSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self.configure([table.spec], settings, ctx)
        rows = len(table) if settings.UseMaxRows else min(settings.Rows, len(table))
        if len(table) > rows:
            ctx.warn("Maximal number of rows to report is less than number of rows in input data table !")
        part = Table(table.df.iloc[:rows], table.types)
        columns = [c for c in self._columns(table.spec, settings) if table.types[c] in ColumnType.NUMERIC]
        values = _matrix(part, columns)
        ok = ~np.isnan(values).any(axis=1)
        points = knime_mds(
            row_distances(values[ok], settings.Distance),
            settings.OutDims,
            settings.Epochs,
            settings.Learningrate,
            settings.Seed,
            ctx,
        )
        coords = np.full((rows, settings.OutDims), np.nan)
        coords[ok] = points
        df = part.df.copy()
        names = [f"MDS Col {i + 1}" for i in range(settings.OutDims)]
        for i, name in enumerate(names):
            df[name] = coords[:, i]
        return [part.with_frame(df, dict.fromkeys(names, ColumnType.DOUBLE))]
