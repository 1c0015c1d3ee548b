"""What every Spark node shares: the Spark port types and port objects, Spark data (`SparkData`), and
the session and requirement checks of `nodes._spark_session`, so that a Spark node family imports one
helper.

A `SparkData` holds a live PySpark DataFrame plus, when it was made from rows on the driver and is
small, those rows (`snapshot`): Spark to Table then needs no job, the SVD checks and reads them without
one, and a result kept in the engine's cache can be revived in another session.

Requirements: `pip install knitflow[spark]` (pyspark>=4.0,<5) and a Java 17+ runtime. Without them
every Spark node fails at configure time saying what to install.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from engine.api import ColumnType, ConfigureError, NodeContext, NodeError, PortType, TableSpec
from nodes._spark_frames import frame_from_pandas, frame_to_pandas, snapshot_to_pandas
from nodes._spark_session import (
    LIVE_DATA,
    SparkContextInfo,
    missing_requirements,
    require_spark,
    require_spark_runtime,
    small_job_conf,
    spark_session,
    stop_spark,
)

__all__ = [
    "LOCAL_FS",
    "SNAPSHOT_MAX_CELLS",
    "SPARK_CONTEXT",
    "SPARK_DATA",
    "SPARK_SQL",
    "LocalFileSystemInfo",
    "SparkContextInfo",
    "SparkData",
    "SparkSqlInfo",
    "check_convertible",
    "driver_copy",
    "driver_data",
    "frame_from_pandas",
    "missing_requirements",
    "need_spark_data",
    "require_spark",
    "require_spark_runtime",
    "small_job_conf",
    "spark_column",
    "spark_data_spec",
    "spark_message",
    "spark_session",
    "stop_spark",
]

SPARK_CONTEXT = PortType.register(PortType("spark.context", "Spark context", "#3c3a3e", "square"))
SPARK_DATA = PortType.register(PortType("spark.data", "Spark data", "#e25a1c", "square"))
SPARK_SQL = PortType.register(
    PortType("spark.sql", "Spark SQL session (KNIME: Hive connection)", "#8a5a44", "square")
)
LOCAL_FS = PortType.register(PortType("filesystem.local", "File system (local)", "#5b7f95", "square"))

# a SparkData keeps its rows on the driver (or copies them there before its session ends) only up to
# this many cells
SNAPSHOT_MAX_CELLS = 5_000_000

# -------------------------------------------------------------------------------- port objects


@dataclass(frozen=True)
class SparkSqlInfo:
    """Port 1 of the environment node (KNIME: the Hive connection): the Spark SQL session."""

    context: SparkContextInfo

    def __repr__(self) -> str:
        return f"SparkSqlInfo({self.context.context_name})"


@dataclass(frozen=True)
class LocalFileSystemInfo:
    """Port 2 of the environment node (KNIME: the local file system): its working directory."""

    working_directory: str

    def __repr__(self) -> str:
        return f"LocalFileSystem({self.working_directory})"


_REVIVE_LOCK = threading.Lock()


@dataclass(eq=False)
class SparkData:
    """A Spark DataFrame plus the KNIME column types it stands for (KNIME's Spark data port)."""

    frame: Any  # pyspark.sql.DataFrame; None once its session has ended
    columns: list[str]
    types: dict[str, str]
    context: SparkContextInfo
    # the same rows on the driver (only when small): the frame was made from them, or copied here
    snapshot: pd.DataFrame | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        LIVE_DATA.add(self)

    @property
    def spec(self) -> TableSpec:
        return TableSpec.of((c, self.types[c]) for c in self.columns)

    @property
    def summary(self) -> str:
        return f"{len(self.columns)} columns"  # KNIME's port summary for Spark data

    def __repr__(self) -> str:
        return f"SparkData({self.summary})"

    def dataframe(self, ctx: NodeContext) -> Any:
        """The frame in this run's session, re-created from the driver copy if its session ended."""
        session = spark_session(ctx, self.context)
        with _REVIVE_LOCK:
            if self.frame is not None and self.frame.sparkSession is session:
                return self.frame
            if self.snapshot is None:
                raise NodeError(
                    "this Spark data belonged to a Spark session that has ended and was too large to keep a copy "
                    "of; re-execute the node that created it (e.g. change one of its settings)"
                )
            self.frame = frame_from_pandas(session, self.snapshot, self.columns, self.types)
            LIVE_DATA.add(self)
            return self.frame

    def to_pandas(self, ctx: NodeContext, limit: int | None = None) -> pd.DataFrame:
        """The rows (the first `limit`) as Spark to Table gives them: from the driver-side copy when
        there is one (no Spark job), else collected from Spark."""
        if self.snapshot is not None:
            rows = self.snapshot if limit is None else self.snapshot.iloc[:limit]
            return snapshot_to_pandas(rows, self.columns, self.types)
        frame = self.dataframe(ctx)
        collected = frame.collect() if limit is None else frame.take(limit)
        return frame_to_pandas(frame.schema, collected, self.types)

    def keep_copy(self) -> None:
        """Copy the rows to the driver (before the session ends), when they are few enough."""
        if self.snapshot is not None or self.frame is None:
            return
        limit = max(1, SNAPSHOT_MAX_CELLS // max(1, len(self.columns)))
        rows = self.frame.take(limit + 1)
        if len(rows) <= limit:
            self.snapshot = frame_to_pandas(self.frame.schema, rows, self.types)

    def __getstate__(self) -> dict[str, Any]:
        if self.snapshot is None and self.frame is not None:
            self.keep_copy()
        if self.snapshot is None:
            raise TypeError("Spark data too large to pickle")
        state = dict(self.__dict__)
        state["frame"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        LIVE_DATA.add(self)


def driver_copy(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame | None:
    """`df` as a SparkData's snapshot, when it is small enough to keep on the driver."""
    return df if len(df) * max(1, len(columns)) <= SNAPSHOT_MAX_CELLS else None


def driver_data(
    session: Any, df: pd.DataFrame, types: dict[str, str], context: SparkContextInfo
) -> SparkData:
    """Spark data made from driver-side rows: when small, it keeps them and goes to Spark only when a Spark
    operation needs it (fetching it needs no job); else it is uploaded now."""
    columns = list(df.columns)
    snapshot = driver_copy(df, columns)
    if snapshot is not None:
        return SparkData(None, columns, types, context, snapshot)
    return SparkData(frame_from_pandas(session, df, columns, types), columns, types, context)


# ---------------------------------------------------------------------------- small shared helpers


def check_convertible(spec: TableSpec) -> None:
    bad = [
        c
        for c in spec.columns
        if c.type not in (ColumnType.NUMERIC | {ColumnType.BOOLEAN, ColumnType.STRING, ColumnType.SMILES})
    ]
    if bad:
        raise ConfigureError(
            f"column {bad[0].name!r} has type {bad[0].type}, which Spark cannot hold"
            + (" (expand bit vectors into columns first)" if bad[0].type == ColumnType.BIT_VECTOR else "")
        )


def spark_column(name: str) -> Any:
    """A column reference that survives dots, spaces and backticks in the name."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def spark_data_spec(spec: Any) -> TableSpec | None:
    if isinstance(spec, SparkData):
        return spec.spec
    return spec if isinstance(spec, TableSpec) else None


def need_spark_data(obj: Any, port: int) -> SparkData:
    if not isinstance(obj, SparkData):
        raise NodeError(f"input port {port} has no Spark data (is the upstream port inactive?)")
    return obj


def spark_message(exc: Exception) -> str:
    """The first line of a Spark/Py4J error (the rest is a JVM stack trace)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
