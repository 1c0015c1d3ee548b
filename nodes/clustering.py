"""k-Means (KNIME's ClusterNodeFactory2), k-Medoids and the Silhouette Coefficient.

k-Means follows `org.knime.base.node.mine.cluster.kmeans.ClusterNodeModel` step for step:
initial centres from the first k rows, or from k distinct rows drawn with commons-math's
`RandomDataGenerator` (a Well19937c generator) seeded with the node's seed; then batch iterations
(every row to its nearest centre by squared Euclidean distance, the first centre winning ties; each
centre that covers a row moves to its rows' mean) until no coordinate moves by more than 1e-10 or
the maximum number of iterations is reached. Sums run in KNIME's order, so the clusters are KNIME's.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings, ignore_settings, seq
from nodes._clustering_algorithms import (
    initial_rows,
    k_medoids,
    kmeans,
    nearest_center,
    pairwise_distances,
    silhouettes,
)
from nodes._common import ColumnFilter

CLUSTER_MODEL = PortType.register(
    PortType("model.cluster", "Cluster model (prototypes)", "#1469af", "square")
)
CLUSTER_PREFIX = "cluster_"  # ClusterNodeModel.CLUSTER, PMMLClusterTranslator.CLUSTER_NAME_PREFIX


@dataclass(frozen=True)
class ClusterPrototypes:
    """Cluster centres (k-Means) or medoids (k-Medoids) over named columns, with their coverage."""

    columns: tuple[str, ...]
    centers: np.ndarray
    coverage: tuple[int, ...]

    def assign(self, values: np.ndarray) -> np.ndarray:
        """Nearest centre per row, KNIME's `findClosestPrototypeFor` (NaN coordinates skipped)."""
        return nearest_center(values, self.centers)


def cluster_column_name(spec: TableSpec) -> str:
    """`createAppendedSpec`: `Cluster`, else `Cluster_1`, `Cluster_2`, ... (not KNIME's usual `(#1)`)."""
    name, n = "Cluster", 0
    while name in spec:
        n += 1
        name = f"Cluster_{n}"
    return name


def _matrix(table: Table, columns: list[str]) -> np.ndarray:
    return np.column_stack(
        [pd.to_numeric(table.df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in columns]
    ).reshape(len(table), len(columns))


def _labelled(table: Table, labels: np.ndarray, column: str) -> Table:
    df = table.df.copy()
    df[column] = pd.Series([f"{CLUSTER_PREFIX}{i}" for i in labels], index=df.index, dtype=object)
    return table.with_frame(df, {column: ColumnType.STRING})


def _centers_table(columns: list[str], centers: np.ndarray) -> Table:
    df = pd.DataFrame(
        centers.reshape(len(centers), len(columns)),
        columns=columns,
        index=pd.Index([f"{CLUSTER_PREFIX}{i}" for i in range(len(centers))], dtype=object),
    )
    return Table(df, dict.fromkeys(columns, ColumnType.DOUBLE))


def _prototype_model(kind: str, columns: list[str], centers: np.ndarray, coverage: np.ndarray) -> Model:
    proto = ClusterPrototypes(tuple(columns), centers, tuple(int(c) for c in coverage))
    summary = (
        f"{len(centers)} clusters over {len(columns)} columns; sizes {', '.join(map(str, proto.coverage))}"
    )
    return Model(kind, proto, summary, spec=_model_spec(kind, columns, len(centers)))


def _model_spec(kind: str, columns: list[str], k: int) -> ModelSpec:
    return ModelSpec(
        kind,
        TableSpec.of((c, ColumnType.DOUBLE) for c in columns),
        details={"columns": tuple(columns), "k": k},
    )


# ------------------------------------------------------------------------------------------ k-Means


class KMeansSettings(NodeSettings):
    nrClusters: int = Field(3, ge=1, title="Number of clusters", description="The number of clusters (k).")
    centroid_initialization: Literal["FIRST_ROWS", "RANDOM_INITIALIZATION"] = Field(
        "RANDOM_INITIALIZATION",
        title="Centroid initialization",
        description="FIRST_ROWS: the first k rows; RANDOM_INITIALIZATION: k distinct random rows.",
    )
    centroid_seeds: int = Field(0, title="Seed", description="Seed of the random initialization.")
    centroid_seeds_BOOL: bool = Field(
        False,
        title="Use static random seed",
        description="Use centroid_seeds; otherwise the seed comes from the run (`--seed`) or is random.",
    )
    maxNrIterations: int = Field(99, ge=1, title="Max. number of iterations", description="Iteration limit.")
    cfgColmns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Column selection",
        description="The numeric columns clustered (columns in neither list are included, as in KNIME).",
    )
    enableHilite: bool = Field(
        False, title="Enable hilite mapping", description="No effect outside KNIME's views."
    )


def _kmeans_from_knime(knime: KnimeSettings) -> None:
    knime.take("nrClusters")
    knime.take("centroid_initialization", default="FIRST_ROWS")  # absent before KNIME 4.1: first rows
    knime.take("centroid_seeds")
    knime.take("centroid_seeds_BOOL")
    knime.take("maxNrIterations")
    knime.take("enableHilite")
    cols = knime.get("cfgColmns") or {}
    keep_all = bool(cols.get("keep_all_columns_selected", False))
    knime.put(
        "cfgColmns",
        {
            "included_names": [str(c) for c in seq(cols.get("InclList"))],
            "excluded_names": [] if keep_all else [str(c) for c in seq(cols.get("ExclList"))],
            "enforce_option": "EnforceExclusion",  # KNIME adds columns in neither list to the includes
        },
        "cfgColmns",
    )
    knime.unread()


def _kmeans_web_ui_from_knime(knime: KnimeSettings) -> None:
    """The web-UI k-Means of KNIME 5.9 (`ClusterNodeParameters` of ClusterNodeFactory3,
    `KMeansNodeParameters` of KMeansNodeFactory): the same algorithm as ClusterNodeModel2, with
    the settings persisted under their field names and the modern column filter; the seed is a
    long written as text (`LongAsStringPersistor`)."""
    knime.take("nrClusters", "nrOfClusters")
    knime.take("centroid_initialization", "centroidInitialization")
    knime.take("centroid_seeds_BOOL", "useStaticRandomSeed")
    seed = knime.get("seedValue")
    if seed is not None:
        try:
            knime.put("centroid_seeds", int(str(seed).strip()), "seedValue")
        except ValueError:
            knime.unreadable(f"the seed {seed!r} is not a whole number")
    knime.take("maxNrIterations", "maxIterations")
    knime.take("cfgColmns", "columnFilter")
    knime.take("enableHilite")
    knime.unread("newRandomSeedValue")


class KMeans(Node):
    """KNIME's k-Means (ClusterNodeFactory2)."""

    type_name = "k_means"
    display_name = "k-Means"
    category = Category.LEARNER
    description = (
        "Clusters the rows into k clusters by their numeric columns (KNIME's batch k-Means: first k rows or k "
        "random rows as initial centres, seeded like KNIME). Port 1: the input plus `Cluster` (`cluster_0`, ...); "
        "port 2: the cluster centres (RowIDs cluster_0, ...); port 3: the cluster model."
    )
    keywords = ("clustering", "kmeans", "centroid", "unsupervised", "partitioning")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.cluster.kmeans.ClusterNodeFactory2", "k-Means", _kmeans_from_knime
        ),
        KnimeMapping(
            "org.knime.base.node.mine.cluster.kmeans.ClusterNodeFactory",
            "k-Means (legacy)",
            _kmeans_from_knime,
            note="ClusterNodeModel before 2.x: the first k rows start, no centres table (its PMML port is port 3)",
            ports=lambda _cfg: ({}, {1: 1, 2: 3}),
        ),
        KnimeMapping(
            "org.knime.base.node.mine.cluster.kmeans.ClusterNodeFactory3",
            "k-Means",
            _kmeans_web_ui_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.cluster.kmeans.KMeansNodeFactory", "k-Means", _kmeans_web_ui_from_knime
        ),
    )
    inputs = (Port(TABLE, "Clustering input", "The rows to cluster."),)
    outputs = (
        Port(TABLE, "Labeled input", "The input plus the Cluster column."),
        Port(TABLE, "Cluster centers", "One row per cluster, one column per used column."),
        Port(CLUSTER_MODEL, "Cluster model", "The centres (KNIME: a PMML cluster model)."),
    )
    Settings = KMeansSettings

    def is_deterministic(self, settings: KMeansSettings) -> bool:
        return settings.centroid_initialization == "FIRST_ROWS" or settings.centroid_seeds_BOOL

    @staticmethod
    def _columns(spec: TableSpec, settings: KMeansSettings) -> list[str]:
        return settings.cfgColmns.apply(spec, allowed_types=ColumnType.NUMERIC)

    def configure(self, in_specs: list[Any], settings: KMeansSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN, UNKNOWN]
        columns = self._columns(spec, settings)
        if not any(c.type in ColumnType.NUMERIC for c in spec.columns):
            raise ConfigureError("No numeric columns in input", setting="cfgColmns")
        return [
            spec.append((cluster_column_name(spec), ColumnType.STRING)),
            TableSpec.of((c, ColumnType.DOUBLE) for c in columns),
            _model_spec("k_means", columns, settings.nrClusters),
        ]

    def execute(self, inputs: list[Any], settings: KMeansSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self.configure([table.spec], settings, ctx)
        columns = self._columns(table.spec, settings)
        if not columns:
            ctx.warn("No column in include list! Produces one huge cluster")
        values = _matrix(table, columns)
        random = settings.centroid_initialization == "RANDOM_INITIALIZATION"
        seed = settings.centroid_seeds if settings.centroid_seeds_BOOL else ctx.seed()
        rows = initial_rows(len(table), settings.nrClusters, random, seed)
        initial = np.zeros((settings.nrClusters, len(columns)))
        if rows:
            initial[: len(rows)] = np.nan_to_num(values[rows], nan=0.0)  # assignCluster: missing -> 0
        if np.isnan(values).any():
            raise NodeError("Missing Values not (yet) allowed in k-Means.", setting="cfgColmns")
        centers, coverage, iterations = kmeans(values, settings.nrClusters, settings.maxNrIterations, initial)
        ctx.log(f"k-Means finished after {iterations} iteration(s)")
        labels = nearest_center(values, centers)
        return [
            _labelled(table, labels, cluster_column_name(table.spec)),
            _centers_table(columns, centers),
            _prototype_model("k_means", columns, centers, coverage),
        ]


# ----------------------------------------------------------------------------------- Cluster Assigner


class ClusterAssigner(Node):
    """KNIME's Cluster Assigner (cluster.assign.ClusterAssignerNodeModel)."""

    type_name = "cluster_assigner"
    display_name = "Cluster Assigner"
    category = Category.PREDICTOR
    description = (
        "Assigns each row to the nearest prototype of a cluster model (k-Means centres, k-Medoids medoids) by "
        "squared Euclidean distance over the model's columns, the first prototype winning a tie; appends `Cluster` "
        "(`cluster_0`, ...; a unique name when taken). A row with a missing value in those columns gets a missing "
        "cell."
    )
    keywords = ("clustering", "assign", "apply", "predict", "kmeans", "prototype")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.cluster.assign.ClusterAssignerNodeFactory",
            "Cluster Assigner",
            ignore_settings,
            note="no settings",
        ),
    )
    inputs = (
        Port(CLUSTER_MODEL, "Cluster model", "Prototypes from k-Means or k-Medoids."),
        Port(TABLE, "Input data", "Rows to assign; must hold the model's columns."),
    )
    outputs = (Port(TABLE, "Labeled data", "The input plus the Cluster column."),)

    @staticmethod
    def _check(columns: tuple[str, ...], spec: TableSpec) -> str:
        for name in columns:
            if name not in spec:
                raise ConfigureError(f'Column "{name}" not found in data input spec.')
        return unique_column_name(spec.names, "Cluster")

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        model, spec = in_specs
        if not isinstance(model, ModelSpec) or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        name = self._check(tuple(model.details.get("columns", model.learning_columns.names)), spec)
        return [spec.append((name, ColumnType.STRING))]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        model, table = inputs
        proto = model.payload if isinstance(model, Model) else None
        if not isinstance(proto, ClusterPrototypes):
            raise NodeError("No Clustering Model found.")
        try:
            name = self._check(proto.columns, table.spec)
        except ConfigureError as exc:
            raise NodeError(str(exc)) from None
        values = _matrix(table, list(proto.columns))
        missing = np.isnan(values).any(axis=1)
        winners = proto.assign(np.where(missing[:, None], 0.0, values))
        labels = [None if m else f"{CLUSTER_PREFIX}{w}" for w, m in zip(winners, missing, strict=True)]
        df = table.df.copy()
        df[name] = pd.Series(labels, index=df.index, dtype=object)
        return [table.with_frame(df, {name: ColumnType.STRING})]


# ---------------------------------------------------------------------------------------- k-Medoids


class KMedoidsSettings(NodeSettings):
    columns: ColumnFilter = Field(
        default_factory=ColumnFilter, title="Columns", description="The numeric columns (default: all)."
    )
    partitionCount: int = Field(3, ge=1, title="Number of clusters", description="The number of medoids (k).")
    maxIterations: int = Field(1000, ge=1, title="Max. iterations", description="Limit of the SWAP steps.")
    distance: Literal["Euclidean", "Manhattan"] = Field("Euclidean", description="Distance between rows.")


class KMedoids(Node):
    """k-Medoids (PAM): clusters around actual rows."""

    type_name = "k_medoids"
    display_name = "k-Medoids"
    category = Category.LEARNER
    description = (
        "Clusters the rows around k medoids (actual rows) minimising the sum of distances (PAM: greedy BUILD, then "
        "SWAP; deterministic). Port 1: the input plus `Cluster` (`cluster_0`, ...); port 2: the medoids (their "
        "RowIDs and values). KNIME's own k-Medoids source was not available to reproduce its seeding, so this "
        "node has no KNIME mapping."
    )
    keywords = ("clustering", "kmedoids", "PAM", "medoid", "unsupervised")
    inputs = (Port(TABLE, "Input data", "The rows to cluster."),)
    outputs = (
        Port(TABLE, "Labeled input", "The input plus the Cluster column."),
        Port(TABLE, "Medoids", "The medoid rows of the used columns, with a Cluster column."),
        Port(CLUSTER_MODEL, "Cluster model", "The medoids as prototypes."),
    )
    Settings = KMedoidsSettings

    def configure(self, in_specs: list[Any], settings: KMedoidsSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN, UNKNOWN]
        columns = settings.columns.apply(spec, allowed_types=ColumnType.NUMERIC)
        if not columns:
            raise ConfigureError("no numeric column selected", setting="columns")
        name = cluster_column_name(spec)
        medoid_spec = TableSpec.of([(c, spec.type_of(c)) for c in columns] + [("Cluster", ColumnType.STRING)])
        return [
            spec.append((name, ColumnType.STRING)),
            medoid_spec,
            _model_spec("k_medoids", columns, settings.partitionCount),
        ]

    def execute(self, inputs: list[Any], settings: KMedoidsSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self.configure([table.spec], settings, ctx)
        columns = settings.columns.apply(table.spec, allowed_types=ColumnType.NUMERIC)
        values = _matrix(table, columns)
        if np.isnan(values).any():
            raise NodeError("k-Medoids does not support missing values", setting="columns")
        if settings.partitionCount > len(table):
            raise NodeError(
                f"{settings.partitionCount} clusters need at least as many rows (the table has {len(table)})",
                setting="partitionCount",
            )
        distances = pairwise_distances(values, settings.distance)
        medoids, iterations = k_medoids(distances, settings.partitionCount, settings.maxIterations)
        ctx.log(f"k-Medoids: {iterations} SWAP step(s)")
        labels = np.argmin(distances[medoids], axis=0)
        medoid_df = table.df.iloc[medoids][columns].copy()
        medoid_df["Cluster"] = [f"{CLUSTER_PREFIX}{i}" for i in range(len(medoids))]
        medoid_table = Table(
            medoid_df, {**{c: table.types[c] for c in columns}, "Cluster": ColumnType.STRING}
        )
        coverage = np.bincount(labels, minlength=len(medoids))
        return [
            _labelled(table, labels, cluster_column_name(table.spec)),
            medoid_table,
            _prototype_model("k_medoids", columns, values[medoids], coverage),
        ]


# ----------------------------------------------------------------------------- Silhouette Coefficient


OVERALL_SILHOUETTE = "Overall Mean Silhouette Coefficient"  # the flow variable KNIME's node pushes


class SilhouetteSettings(NodeSettings):
    """KNIME's Silhouette Coefficient settings (its saved keys: cluster_column, data_columns)."""

    cluster_column: str | None = Field(
        None,
        title="Cluster column",
        description="The column holding the cluster labels (default: the last String column).",
    )
    data_columns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Data columns",
        description="The numeric columns the distances use.",
    )
    distance: Literal["Euclidean", "Manhattan"] = Field("Euclidean", description="Distance between rows.")


def _silhouette_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["cluster_column", "data_columns"])


class SilhouetteCoefficient(Node):
    """Silhouette coefficients of a clustering."""

    type_name = "silhouette_coefficient"
    display_name = "Silhouette Coefficient"
    category = Category.SCORER
    description = (
        "Rates a clustering: per row s = (b - a) / max(a, b) with a the mean distance to its own cluster and b the "
        "smallest mean distance to another cluster (0 for a row alone in its cluster). Port 1: the input plus "
        "`Silhouette Coefficient`; port 2: the `Mean Silhouette Coefficient` per cluster (in order of first "
        "appearance), then `Overall`; the overall mean is pushed as the flow variable `Overall Mean Silhouette "
        "Coefficient`, as KNIME's node names them (its Distance Matrix extension is closed source: the layout "
        "follows the tables and variables KNIME saved in a public archive). Equals scikit-learn's "
        "silhouette_samples with Euclidean distances."
    )
    keywords = ("clustering", "silhouette", "quality", "score", "evaluation")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.cluster.eval.silhouette.SilhouetteCoefficientNodeFactory",
            "Silhouette Coefficient",
            _silhouette_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Clustered data", "Rows with a cluster label and numeric columns."),)
    outputs = (
        Port(TABLE, "Silhouette per row", "The input plus the Silhouette Coefficient column."),
        Port(TABLE, "Silhouette per cluster", "Mean coefficient per cluster, then Overall."),
    )
    Settings = SilhouetteSettings

    def configure_variables(self, in_specs: list[Any], settings: SilhouetteSettings) -> dict[str, str] | None:
        return {OVERALL_SILHOUETTE: "Double"}

    @staticmethod
    def _cluster_column(spec: TableSpec, settings: SilhouetteSettings) -> str:
        name = settings.cluster_column
        if name is None:
            strings = [c.name for c in spec.columns if c.type == ColumnType.STRING]
            if not strings:
                raise ConfigureError("no String column to take the clusters from", setting="cluster_column")
            return strings[-1]
        if name not in spec:
            raise ConfigureError(f"cluster column {name!r} not found", setting="cluster_column")
        return name

    def configure(self, in_specs: list[Any], settings: SilhouetteSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        self._cluster_column(spec, settings)
        if not settings.data_columns.apply(spec, allowed_types=ColumnType.NUMERIC):
            raise ConfigureError("no numeric column selected", setting="data_columns")
        summary = TableSpec.of([("Mean Silhouette Coefficient", ColumnType.DOUBLE)])
        return [spec.append(("Silhouette Coefficient", ColumnType.DOUBLE)), summary]

    def execute(self, inputs: list[Any], settings: SilhouetteSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self.configure([table.spec], settings, ctx)
        cluster = self._cluster_column(table.spec, settings)
        columns = [
            c
            for c in settings.data_columns.apply(table.spec, allowed_types=ColumnType.NUMERIC)
            if c != cluster
        ]
        values = _matrix(table, columns)
        labels_raw = table.df[cluster]
        if np.isnan(values).any() or labels_raw.isna().any():
            raise NodeError("rows with missing values cannot be rated", setting="data_columns")
        labels = pd.factorize(labels_raw)[0]
        s = silhouettes(pairwise_distances(values, settings.distance), labels)
        df = table.df.copy()
        df["Silhouette Coefficient"] = s
        names = list(dict.fromkeys(str(v) for v in labels_raw.tolist()))
        means = [float(s[labels == i].mean()) for i in range(len(names))]
        overall = float(s.mean()) if len(s) else float("nan")
        summary = pd.DataFrame(
            {"Mean Silhouette Coefficient": [*means, overall]},
            index=pd.Index([*names, "Overall"], dtype=object),
        )
        ctx.push_variable(OVERALL_SILHOUETTE, overall)
        return [
            table.with_frame(df, {"Silhouette Coefficient": ColumnType.DOUBLE}),
            Table(summary, {"Mean Silhouette Coefficient": ColumnType.DOUBLE}),
        ]
