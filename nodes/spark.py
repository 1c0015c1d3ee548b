"""Spark nodes on a real (local or cluster) Apache Spark via PySpark: Create Local Big Data
Environment, Table to Spark, Spark SVD (MLlib `RowMatrix.computeSVD`) and Spark to Table.

Run-time model: the environment node's port object (`SparkContextInfo`) only *describes* the
session. The session itself is started by the first Spark node that needs it and, as KNIME keeps a
local Spark context open after execution until the workflow is disposed, it stays running for the
process: a second run in the same process (the editor, repeated `Workflow.run()` calls, the tests)
finds it warm. `onDisposeAction` says what the end of a run does: DESTROY_CTX stops the session,
DELETE_DATA frees the data the run cached in Spark (the session stays), DO_NOTHING nothing. The JVM
ends with the process. A `SparkData` holds a live PySpark DataFrame plus, when it was made from rows
on the driver and is small, those rows (`snapshot`): Spark to Table then needs no job, and a result
kept in the engine's cache can be revived in another session.

Requirements: `pip install knitflow[spark]` (pyspark>=4.0,<5) and a Java 17+ runtime. Without
them every Spark node fails at configure time saying what to install.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
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
    PortType,
    Table,
    TableSpec,
    row_ids,
)
from engine.api.knime import KnimeMapping, ignore_settings, take_view_keys
from nodes._common import ColumnFilter
from nodes._spark import (
    frame_from_pandas,
    frame_to_pandas,
    small_job_conf,
    snapshot_to_pandas,
    start_session,
)

SPARK_CONTEXT = PortType.register(PortType("spark.context", "Spark context", "#3c3a3e", "square"))
SPARK_DATA = PortType.register(PortType("spark.data", "Spark data", "#e25a1c", "square"))
SPARK_SQL = PortType.register(
    PortType("spark.sql", "Spark SQL session (KNIME: Hive connection)", "#8a5a44", "square")
)
LOCAL_FS = PortType.register(PortType("filesystem.local", "File system (local)", "#5b7f95", "square"))

RESOURCE_KEY = "spark"
INSTALL_HINT = "pip install 'knitflow[spark]' (pyspark>=4.0,<5)"
# a SparkData keeps its rows on the driver (or copies them there before its session ends) only up to
# this many cells
SNAPSHOT_MAX_CELLS = 5_000_000

# ------------------------------------------------------------------------------- requirements


@functools.lru_cache(maxsize=1)
def _probe() -> str | None:
    problems: list[str] = []
    if importlib.util.find_spec("pyspark") is None:
        problems.append(f"PySpark is not installed: {INSTALL_HINT}")
    java_home = os.environ.get("JAVA_HOME")
    java = (
        str(Path(java_home) / "bin" / "java")
        if java_home and (Path(java_home) / "bin" / "java").exists()
        else None
    )
    java = java or shutil.which("java")
    if java is None:
        problems.append(
            "no Java runtime found: install a Java 17 JRE (e.g. apt-get install openjdk-17-jre-headless) "
            "and put java on PATH or set JAVA_HOME"
        )
    else:
        try:
            text = _java_release(java)
            if text is None:  # no `release` file: ask the runtime (a JVM start, ~0.1-0.5 s)
                out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
                text = out.stderr + out.stdout
            m = re.search(r'version "(\d+)(?:\.(\d+))?', text)
            major = int(m.group(1)) if m else 0
            major = int(m.group(2)) if m and major == 1 and m.group(2) else major
            if m and major < 17:
                problems.append(f"Java {major} found at {java}; PySpark 4 needs Java 17 or newer")
        except (OSError, subprocess.SubprocessError) as exc:
            problems.append(f"cannot run {java} -version: {exc}")
    return "; ".join(problems) or None


def _java_release(java: str) -> str | None:
    """`JAVA_VERSION="17.0.9"` from the runtime's `release` file (beside its bin folder), as
    `version "17.0.9"`; None when there is none."""
    try:
        release = Path(java).resolve().parent.parent / "release"
        m = re.search(r'^JAVA_VERSION="([^"]+)"', release.read_text(errors="replace"), re.MULTILINE)
    except OSError:
        return None
    return f'version "{m.group(1)}"' if m else None


def missing_requirements() -> str | None:
    """Why Spark cannot run here (None when PySpark and Java 17+ are available)."""
    return _probe()


def require_spark() -> None:
    problem = missing_requirements()
    if problem:
        raise ConfigureError(f"Spark nodes need PySpark and Java: {problem}")


# -------------------------------------------------------------------------------- port objects


@dataclass(frozen=True)
class SparkContextInfo:
    """The Spark context port object: how to get the session, not the session itself (so it can
    be cached and pickled)."""

    context_name: str
    master: str
    conf: tuple[tuple[str, str], ...]
    on_dispose: str = "DELETE_DATA"  # what the end of a run does: DESTROY_CTX, DELETE_DATA, DO_NOTHING
    hide_exists_warning: bool = False
    sql_support: str = "SPARK_SQL"

    @property
    def summary(self) -> str:
        return f"Spark context {self.context_name} ({self.master})"

    def __repr__(self) -> str:
        return f"SparkContextInfo({self.summary})"


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


_LIVE: weakref.WeakSet[SparkData] = weakref.WeakSet()
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
        _LIVE.add(self)

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
            _LIVE.add(self)
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
        _LIVE.add(self)


# ------------------------------------------------------------------------------------- sessions


_SESSION_LOCK = threading.Lock()
_kept: dict[str, Any] = {}  # the process's session and the context it was started for


def spark_session(ctx: NodeContext, info: SparkContextInfo) -> Any:
    """The session of the run: the process's running session if there is one (a second run finds it
    warm), else a new one. At the end of the run `onDisposeAction` applies (see `_end_of_run`)."""
    require_spark_runtime()
    return ctx.resource(RESOURCE_KEY, lambda: _open(info, ctx), functools.partial(_end_of_run, info))


def require_spark_runtime() -> None:
    problem = missing_requirements()
    if problem:
        raise NodeError(f"Spark nodes need PySpark and Java: {problem}")


def _alive(session: Any) -> bool:
    from pyspark import SparkContext

    running = SparkContext._active_spark_context  # noqa: SLF001 (the only way to see a running context)
    return running is not None and session.sparkContext is running and running._jsc is not None  # noqa: SLF001


def _open(info: SparkContextInfo, ctx: NodeContext) -> Any:
    with _SESSION_LOCK:
        session = _kept.get("session")
        if session is not None and _alive(session):
            before: SparkContextInfo = _kept["info"]
            if _settings_of(before) != _settings_of(info) and not info.hide_exists_warning:
                # KNIME's LocalEnvironmentCreatorNodeModel: the running context is kept as it is
                ctx.warn("Local Spark context exists already. Settings were not applied.")
            return session
        session = start_session(info.context_name, info.master, dict(info.conf), ctx)
        _kept.update(session=session, info=info)
        return session


# where a run keeps Spark's files (its scratch folder): not a setting the user chose
_PLACES = frozenset({"spark.local.dir", "spark.sql.warehouse.dir", "spark.driver.extraJavaOptions"})


def _settings_of(info: SparkContextInfo) -> tuple[Any, ...]:
    """What tells two contexts apart for KNIME's "exists already" warning."""
    return (info.context_name, info.master, tuple((k, v) for k, v in info.conf if k not in _PLACES))


def stop_spark() -> None:
    """Stop the process's Spark session now (the Python API's way to free it; the JVM otherwise ends
    with the process). The next Spark node starts a new one."""
    with _SESSION_LOCK:
        session = _kept.pop("session", None)
        _kept.clear()
    if session is not None and _alive(session):
        stop_session(session)


def _end_of_run(info: SparkContextInfo, session: Any) -> None:
    """KNIME's onDisposeAction, at the end of a run: DESTROY_CTX stops the session; DELETE_DATA drops
    what the run's Spark data holds in Spark's memory (the session stays for the next run); DO_NOTHING
    keeps both."""
    if info.on_dispose == "DESTROY_CTX":
        with _SESSION_LOCK:
            if _kept.get("session") is session:
                _kept.clear()
        stop_session(session)
    elif info.on_dispose == "DELETE_DATA":
        for data in list(_LIVE):
            frame = data.frame
            if frame is not None and frame.sparkSession is session and frame.is_cached:
                frame.unpersist(blocking=False)


def stop_session(session: Any) -> None:
    """Keep copies of small Spark data for later runs, then stop the session."""
    for data in list(_LIVE):
        if data.frame is not None and data.frame.sparkSession is session:
            try:
                data.keep_copy()
            except Exception:
                pass
            data.frame = None
    session.stop()


def _driver_copy(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame | None:
    """`df` as a SparkData's snapshot, when it is small enough to keep on the driver."""
    return df if len(df) * max(1, len(columns)) <= SNAPSHOT_MAX_CELLS else None


def _check_convertible(spec: TableSpec) -> None:
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


def _col(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _data_spec(spec: Any) -> TableSpec | None:
    if isinstance(spec, SparkData):
        return spec.spec
    return spec if isinstance(spec, TableSpec) else None


def _need_data(obj: Any, port: int) -> SparkData:
    if not isinstance(obj, SparkData):
        raise NodeError(f"input port {port} has no Spark data (is the upstream port inactive?)")
    return obj


def _spark_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# ------------------------------------------------------------------- Create Local Big Data Env.


class LocalEnvironmentSettings(NodeSettings):
    contextName: str = Field(
        "knimeSparkContext", description="Name of the Spark context (the Spark app name)."
    )
    numberOfThreads: int = Field(2, ge=1, description="Worker threads of the local Spark (master local[N]).")
    master: str = Field(
        "",
        description="Spark master URL; empty = local[numberOfThreads]. Any URL (spark://host:7077, yarn, "
        "k8s://...) runs on that cluster instead.",
    )
    onDisposeAction: Literal["DESTROY_CTX", "DELETE_DATA", "DO_NOTHING"] = Field(
        "DELETE_DATA",
        description="The session stays running after a run, as KNIME keeps the context open until the workflow "
        "is disposed, so the next run in the same process (editor, Python API) starts at once. At the end of a "
        "run DESTROY_CTX stops it; DELETE_DATA frees the data the run cached in Spark; DO_NOTHING keeps all. "
        "The JVM ends with the process.",
    )
    sqlSupport: Literal["SPARK_SQL", "HIVEQL", "HIVEQL_WITH_JDBC"] = Field(
        "HIVEQL_WITH_JDBC",
        description="KNIME's SQL support. knitflow provides Spark SQL in every case (no Hive metastore or JDBC "
        "server is started).",
    )
    hideExistsWarning: bool = Field(False, description="Do not warn when a Spark context is already running.")
    overrideSparkSettings: bool = Field(False, description="Apply customSparkSettings.")
    customSparkSettings: str = Field(
        "", description="Extra Spark settings, one `key: value` per line (e.g. spark.executor.memory: 2g)."
    )
    workingDirectoryMode: Literal["AUTOMATIC", "MANUAL"] = Field(
        "AUTOMATIC",
        description="AUTOMATIC: a folder in the run's scratch directory; MANUAL: workingDirectory.",
    )
    workingDirectory: str = Field("", description="Spark's local working directory (MANUAL mode).")
    spark_ui: bool = Field(False, description="Start the Spark web UI.")


def _foreign_windows_path(path: str) -> bool:
    return os.name != "nt" and re.search(r"(^|[/\\])[A-Za-z]:[\\/]", path) is not None


def _custom_settings(text: str) -> dict[str, str]:
    conf: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([^\s:=]+)\s*[:=\s]\s*(.*)$", line)
        if m is None:
            raise ConfigureError(
                f"customSparkSettings line {n} is not `key: value`: {line!r}", setting="customSparkSettings"
            )
        conf[m.group(1)] = m.group(2).strip()
    return conf


class CreateLocalBigDataEnvironment(Node):
    type_name = "create_local_big_data_environment"
    display_name = "Create Local Big Data Environment"
    category = Category.SOURCE
    description = (
        "Starts Apache Spark (local[N] with N threads, or the cluster named by `master`) for the Spark nodes of "
        "the run, tuned for small local jobs (no web UI, N shuffle partitions, no adaptive re-planning); the "
        "session stays running for later runs in the process unless onDisposeAction is DESTROY_CTX. Port 3 is "
        "the Spark context; ports 1 and 2 mirror KNIME's Hive connection and local file system (the Spark SQL "
        "session and the working directory). Needs pyspark (pip install knitflow[spark]) and Java 17."
    )
    keywords = ("spark", "big data", "pyspark", "cluster", "hadoop", "local")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.local.node.create.LocalEnvironmentCreatorNodeFactory3",
            "Create Local Big Data Environment",
            take_view_keys(
                [
                    "contextName",
                    "numberOfThreads",
                    "onDisposeAction",
                    "sqlSupport",
                    "workingDirectoryMode",
                    "workingDirectory",
                    "overrideSparkSettings",
                    "customSparkSettings",
                ],
                # a warning KNIME shows (or not) when the context exists; date/time shifting between
                # KNIME and Spark (knitflow's Spark nodes move no date/time columns)
                ignore=("hideExistsWarning", "timeshift"),
                harmless={"useHiveDataFolder": False, "hiveDataFolder": ""},
            ),
        ),
    )
    outputs = (
        Port(SPARK_SQL, "Spark SQL session", "KNIME: Hive connection (knitflow has no database nodes)"),
        Port(LOCAL_FS, "Local file system", "The Spark working directory"),
        Port(SPARK_CONTEXT, "Spark context", "Connect to Table to Spark"),
    )
    Settings = LocalEnvironmentSettings
    path_settings = ("workingDirectory",)

    def _info(self, s: LocalEnvironmentSettings, workdir: Path | None) -> SparkContextInfo:
        master = s.master.strip() or f"local[{s.numberOfThreads}]"
        local = master.startswith("local")
        conf: dict[str, str] = {
            **small_job_conf(s.numberOfThreads),
            "spark.ui.enabled": "true" if s.spark_ui else "false",
            "spark.sql.execution.arrow.pyspark.enabled": "true"
            if importlib.util.find_spec("pyarrow")
            else "false",
            "spark.pyspark.python": sys.executable,
            "spark.pyspark.driver.python": sys.executable,
        }
        if local:
            conf["spark.driver.host"] = "127.0.0.1"
            conf["spark.driver.bindAddress"] = "127.0.0.1"
        if workdir is not None:
            conf["spark.local.dir"] = str(workdir)
            conf["spark.sql.warehouse.dir"] = str(workdir / "warehouse")
        if s.overrideSparkSettings:
            conf.update(_custom_settings(s.customSparkSettings))
        return SparkContextInfo(
            context_name=s.contextName or "knimeSparkContext",
            master=master,
            conf=tuple(sorted(conf.items())),
            on_dispose=s.onDisposeAction,
            hide_exists_warning=s.hideExistsWarning,
            sql_support=s.sqlSupport,
        )

    def _workdir(self, s: LocalEnvironmentSettings, ctx: NodeContext | None) -> Path | None:
        """MANUAL: the given folder; a Windows path on another OS (an imported KNIME workflow) falls
        back to the scratch folder, since the folder does not change any result."""
        if s.workingDirectoryMode == "MANUAL":
            if not s.workingDirectory:
                raise ConfigureError(
                    "workingDirectoryMode is MANUAL but workingDirectory is empty", setting="workingDirectory"
                )
            if not _foreign_windows_path(s.workingDirectory):
                return Path(s.workingDirectory).resolve()
            if ctx is not None:
                ctx.log(
                    f"workingDirectory {s.workingDirectory!r} is a Windows path: using the run's scratch folder"
                )
        return None if ctx is None else (ctx.scratch_dir / "spark").resolve()

    def configure(
        self, in_specs: list[Any], settings: LocalEnvironmentSettings, ctx: NodeContext
    ) -> list[Any]:
        require_spark()
        self._workdir(settings, None)
        if settings.overrideSparkSettings:
            _custom_settings(settings.customSparkSettings)
        return [UNKNOWN, UNKNOWN, UNKNOWN]

    def execute(self, inputs: list[Any], settings: LocalEnvironmentSettings, ctx: NodeContext) -> list[Any]:
        workdir = self._workdir(settings, ctx)
        assert workdir is not None
        workdir.mkdir(parents=True, exist_ok=True)
        info = self._info(settings, workdir)
        if settings.sqlSupport != "SPARK_SQL":
            ctx.log(
                f"sqlSupport {settings.sqlSupport}: knitflow offers Spark SQL (no Hive metastore / JDBC server)"
            )
        ctx.progress(0.1, "starting Spark")
        try:
            spark_session(ctx, info)
        except NodeError:
            raise
        except Exception as exc:
            raise NodeError(f"Spark could not start on {info.master}: {_spark_message(exc)}") from exc
        return [SparkSqlInfo(info), LocalFileSystemInfo(str(workdir)), info]


# ------------------------------------------------------------------------------- Table to Spark


class TableToSparkSettings(NodeSettings):
    pass


class TableToSpark(Node):
    type_name = "table_to_spark"
    display_name = "Table to Spark"
    category = Category.MANIPULATOR
    description = (
        "Copies a data table into a Spark DataFrame (same columns and row order; RowIDs are not transferred)."
    )
    keywords = ("spark", "upload", "dataframe", "big data")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.io.table.reader.Table2SparkNodeFactory2",
            "Table to Spark",
            ignore_settings,
        ),
    )
    inputs = (Port(TABLE, "Data table"), Port(SPARK_CONTEXT, "Spark context"))
    outputs = (Port(SPARK_DATA, "Spark data"),)
    Settings = TableToSparkSettings

    def configure(self, in_specs: list[Any], settings: TableToSparkSettings, ctx: NodeContext) -> list[Any]:
        require_spark()
        spec = in_specs[0] if isinstance(in_specs[0], TableSpec) else None
        if spec is None:
            return [UNKNOWN]
        _check_convertible(spec)
        return [spec]

    def execute(self, inputs: list[Any], settings: TableToSparkSettings, ctx: NodeContext) -> list[Any]:
        table, info = inputs
        if not isinstance(table, Table):
            raise NodeError("input port 1 has no data table")
        if not isinstance(info, SparkContextInfo):
            raise NodeError(
                "input port 2 has no Spark context (connect port 3 of Create Local Big Data Environment)"
            )
        try:
            _check_convertible(table.spec)
        except ConfigureError as exc:
            raise NodeError(str(exc)) from None
        snapshot = _driver_copy(table.df, table.columns)
        if snapshot is not None:
            # the table itself (no copy): uploaded when a Spark operation first needs it, and fetched back
            # or checked without a Spark job
            return [SparkData(None, table.columns, dict(table.types), info, snapshot)]
        session = spark_session(ctx, info)
        frame = frame_from_pandas(session, table.df, table.columns, table.types)
        return [SparkData(frame, table.columns, dict(table.types), info)]


# ------------------------------------------------------------------------------------ Spark SVD


class SparkSvdSettings(NodeSettings):
    noOfSingularValues: int = Field(10, ge=1, description="K: the number of leading singular values.")
    reciprocalCondition: float = Field(
        1e-9, ge=0, description="Singular values below reciprocalCondition x the largest one are dropped."
    )
    computeU: bool = Field(False, description="Also compute U (port 3; inactive otherwise).")
    featureColumns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="Numeric columns forming the matrix (one matrix row per row).",
    )


def _svd_features(spec: TableSpec, s: SparkSvdSettings) -> list[str]:
    chosen = s.featureColumns.apply(spec)
    explicit = [
        c
        for c in chosen
        if c in s.featureColumns.included_names and spec.type_of(c) not in ColumnType.NUMERIC
    ]
    if explicit:
        raise ConfigureError(
            f"feature column {explicit[0]!r} is {spec.type_of(explicit[0])}; the SVD needs numeric columns",
            setting="featureColumns",
        )
    features = [c for c in chosen if spec.type_of(c) in ColumnType.NUMERIC]
    if not features:
        raise ConfigureError("no numeric feature columns selected", setting="featureColumns")
    if s.noOfSingularValues > len(features):
        raise ConfigureError(
            f"noOfSingularValues = {s.noOfSingularValues} exceeds the number of feature columns ({len(features)})",
            setting="noOfSingularValues",
        )
    return features


def _dims(k: int) -> list[str]:
    return [f"Dimension {i}" for i in range(k)]


def _vectors_from_rows(session: Any, matrix: np.ndarray) -> Any:
    """A DataFrame of one MLlib vector per matrix row (in order), made on the driver."""
    from pyspark.mllib.linalg import Vectors

    return session.createDataFrame([(Vectors.dense(row),) for row in matrix.tolist()], ["v"])


def _vectors_from_frame(frame: Any, features: list[str]) -> tuple[int, list[str], Any]:
    """Rows, feature columns with a missing value (one Spark job) and the vector DataFrame of a frame
    whose rows are not on the driver."""
    from pyspark.ml.feature import VectorAssembler
    from pyspark.mllib.util import MLUtils
    from pyspark.sql import functions as F

    safe = [f"f{i}" for i in range(len(features))]
    numeric = frame.select([_col(c).cast("double").alias(a) for c, a in zip(features, safe, strict=True)])
    stats = numeric.agg(
        F.count(F.lit(1)).alias("n"),
        *[F.sum(F.when(F.col(a).isNull() | F.isnan(F.col(a)), 1).otherwise(0)).alias(a) for a in safe],
    ).collect()[0]
    bad = [c for c, a in zip(features, safe, strict=True) if stats[a]]
    vectors = VectorAssembler(inputCols=safe, outputCol="v").transform(numeric).select("v")
    return int(stats["n"]), bad, MLUtils.convertVectorColumnsFromML(vectors, "v")


def _driver_data(
    session: Any, df: pd.DataFrame, types: dict[str, str], context: SparkContextInfo
) -> SparkData:
    """Spark data made from driver-side rows: when small, it keeps them and goes to Spark only when a Spark
    operation needs it (fetching it needs no job); else it is uploaded now."""
    columns = list(df.columns)
    snapshot = _driver_copy(df, columns)
    if snapshot is not None:
        return SparkData(None, columns, types, context, snapshot)
    return SparkData(frame_from_pandas(session, df, columns, types), columns, types, context)


class SparkSvd(Node):
    type_name = "spark_svd"
    display_name = "Spark SVD"
    category = Category.LEARNER
    description = (
        "Truncated singular value decomposition A = U S Vᵀ with Spark MLlib (RowMatrix.computeSVD). Port 1: the "
        "K largest singular values (column `Singular Value`, descending); port 2: V (features x K); port 3: U "
        "(rows x K, input row order) when computeU is set. Matrix columns are `Dimension 0`..`Dimension K-1`."
    )
    keywords = ("spark", "mllib", "svd", "matrix factorisation", "dimension reduction", "recommendation")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.mllib.reduction.svd.MLlibSVDNodeFactory",
            "Spark SVD",
            skip=("classColumn",),
        ),
    )
    inputs = (Port(SPARK_DATA, "Spark data"),)
    outputs = (
        Port(TABLE, "Singular values"),
        Port(SPARK_DATA, "V matrix", "Right singular vectors, one row per feature column"),
        Port(SPARK_DATA, "U matrix", "Left singular vectors, one row per input row (computeU)"),
    )
    Settings = SparkSvdSettings

    def configure(self, in_specs: list[Any], settings: SparkSvdSettings, ctx: NodeContext) -> list[Any]:
        require_spark()
        sv = TableSpec.of([("Singular Value", ColumnType.DOUBLE)])
        spec = _data_spec(in_specs[0])
        if spec is None:
            return [sv, UNKNOWN, UNKNOWN]
        _svd_features(spec, settings)
        dims = TableSpec.of((d, ColumnType.DOUBLE) for d in _dims(settings.noOfSingularValues))
        return [sv, dims, dims if settings.computeU else UNKNOWN]

    def execute(self, inputs: list[Any], settings: SparkSvdSettings, ctx: NodeContext) -> list[Any]:
        from pyspark.mllib.linalg.distributed import RowMatrix

        data = _need_data(inputs[0], 1)
        try:
            features = _svd_features(data.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        session = spark_session(ctx, data.context)
        ctx.progress(0.05, "checking the matrix")
        if data.snapshot is not None:  # the rows are on the driver: checked there, no Spark job
            matrix = data.snapshot[features].apply(pd.to_numeric).to_numpy(dtype=float, na_value=np.nan)
            n_rows = len(matrix)
            bad = [c for j, c in enumerate(features) if np.isnan(matrix[:, j]).any()]
            vectors = None
        else:
            n_rows, bad, vectors = _vectors_from_frame(data.dataframe(ctx), features)
        if n_rows == 0:
            raise NodeError("the input Spark data has no rows")
        if bad:
            raise NodeError(
                f"column {bad[0]!r} has missing values; the SVD needs a complete matrix",
                setting="featureColumns",
            )
        ctx.progress(0.2, "computing the SVD")
        if vectors is None:  # a local relation: nothing to cache, U's pass re-reads the driver's rows
            vectors = _vectors_from_rows(session, matrix)
        else:  # any lineage: computed once for the Gramian and U's pass
            vectors = vectors.cache()
        try:
            svd = RowMatrix(vectors, numRows=n_rows, numCols=len(features)).computeSVD(
                settings.noOfSingularValues, computeU=settings.computeU, rCond=settings.reciprocalCondition
            )
            s = np.asarray(svd.s.toArray(), dtype=float)
            v = np.asarray(svd.V.toArray(), dtype=float)
            u_matrix = svd.U if settings.computeU else None
            u = None
            if u_matrix is not None and n_rows * len(s) <= SNAPSHOT_MAX_CELLS:
                ctx.progress(0.7, "computing U")
                # collected as the JVM pickles MLlib vectors: no Python worker is started for it
                collected = [vec.toArray() for vec in u_matrix.rows.collect()]
                u = np.array(collected, dtype=np.float64).reshape(n_rows, len(s))
        except Exception as exc:
            raise NodeError(f"Spark SVD failed: {_spark_message(exc)}") from exc
        finally:
            vectors.unpersist()
        if not all(math.isfinite(x) for x in s):
            raise NodeError("the SVD produced non-finite singular values")
        k = len(s)
        if k < settings.noOfSingularValues:
            ctx.log(
                f"{settings.noOfSingularValues - k} singular value(s) below reciprocalCondition x s1 dropped: "
                f"{k} remain"
            )
        dims = _dims(k)
        doubles = dict.fromkeys(dims, ColumnType.DOUBLE)
        sv = Table(
            pd.DataFrame({"Singular Value": s}, index=row_ids(k)), {"Singular Value": ColumnType.DOUBLE}
        )
        v_data = _driver_data(session, pd.DataFrame(v, columns=dims), doubles, data.context)
        u_data = None
        if u is not None:
            u_data = _driver_data(session, pd.DataFrame(u, columns=dims), doubles, data.context)
        elif u_matrix is not None:  # too large for the driver: U stays in Spark
            from pyspark.sql import types as T

            schema = T.StructType([T.StructField(d, T.DoubleType(), False) for d in dims])
            rows = u_matrix.rows.map(lambda vec: tuple(float(x) for x in vec.toArray()))
            u_data = SparkData(session.createDataFrame(rows, schema).cache(), dims, doubles, data.context)
        return [sv, v_data, u_data]


# ------------------------------------------------------------------------------- Spark to Table


class SparkToTableSettings(NodeSettings):
    fetchAll: bool = Field(True, description="Fetch all rows (else only the first fetchSize rows).")
    fetchSize: int = Field(1000, ge=1, description="Rows to fetch when fetchAll is off.")


class SparkToTable(Node):
    type_name = "spark_to_table"
    display_name = "Spark to Table"
    category = Category.MANIPULATOR
    description = "Fetches Spark data into a data table; RowIDs Row0, Row1, ... in Spark row order."
    keywords = ("spark", "download", "collect", "dataframe", "big data")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.io.table.writer.Spark2TableNodeFactory",
            "Spark to Table",
            skip=("knospInputID",),  # KNIME's internal id of a streamed input (null in saved workflows)
        ),
    )
    inputs = (Port(SPARK_DATA, "Spark data"),)
    outputs = (Port(TABLE, "Data table"),)
    Settings = SparkToTableSettings

    def configure(self, in_specs: list[Any], settings: SparkToTableSettings, ctx: NodeContext) -> list[Any]:
        require_spark()
        spec = _data_spec(in_specs[0])
        return [spec if spec is not None else UNKNOWN]

    def execute(self, inputs: list[Any], settings: SparkToTableSettings, ctx: NodeContext) -> list[Any]:
        data = _need_data(inputs[0], 1)
        try:
            df = data.to_pandas(ctx, None if settings.fetchAll else settings.fetchSize)
        except Exception as exc:
            raise NodeError(f"fetching the Spark data failed: {_spark_message(exc)}") from exc
        types = df.attrs.pop("knime_types")
        df.index = row_ids(len(df))
        return [Table(df, types)]


# ---------------------------------------------------------------------- shared with the Spark ML nodes

spark_column = _col
spark_data_spec = _data_spec
need_spark_data = _need_data
spark_message = _spark_message
