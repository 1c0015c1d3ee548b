"""Spark nodes on a real (local or cluster) Apache Spark via PySpark: Create Local Big Data
Environment, Table to Spark, Spark SVD (MLlib `RowMatrix.computeSVD`) and Spark to Table.

Run-time model: the environment node's port object (`SparkContextInfo`) only *describes* the
session. The session itself is a run-wide resource (`ctx.resource("spark", ...)`) started by the
first Spark node that needs it and stopped when the run ends (unless `onDisposeAction` is
DO_NOTHING, which keeps it for the process, like KNIME keeping a context alive). A
`SparkData` holds a live PySpark DataFrame; when its session ends, small frames are copied to the
driver first, so a result kept in the engine's cache can be revived in the next run's session.

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
import time
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

SPARK_CONTEXT = PortType.register(PortType("spark.context", "Spark context", "#3c3a3e", "square"))
SPARK_DATA = PortType.register(PortType("spark.data", "Spark data", "#e25a1c", "square"))
SPARK_SQL = PortType.register(
    PortType("spark.sql", "Spark SQL session (KNIME: Hive connection)", "#8a5a44", "square")
)
LOCAL_FS = PortType.register(PortType("filesystem.local", "File system (local)", "#5b7f95", "square"))

RESOURCE_KEY = "spark"
INSTALL_HINT = "pip install 'knitflow[spark]' (pyspark>=4.0,<5)"
# a SparkData whose session ends is copied to the driver only up to this many cells
SNAPSHOT_MAX_CELLS = 5_000_000

_LOG4J = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
"""


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
            out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
            m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
            major = int(m.group(1)) if m else 0
            major = int(m.group(2)) if m and major == 1 and m.group(2) else major
            if m and major < 17:
                problems.append(f"Java {major} found at {java}; PySpark 4 needs Java 17 or newer")
        except (OSError, subprocess.SubprocessError) as exc:
            problems.append(f"cannot run {java} -version: {exc}")
    return "; ".join(problems) or None


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
    keep_alive: bool = False
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


def spark_session(ctx: NodeContext, info: SparkContextInfo) -> Any:
    """The run's SparkSession: started on first use, stopped when the run ends."""
    require_spark_runtime()
    return ctx.resource(RESOURCE_KEY, lambda: _start(info, ctx), None if info.keep_alive else stop_session)


def require_spark_runtime() -> None:
    problem = missing_requirements()
    if problem:
        raise NodeError(f"Spark nodes need PySpark and Java: {problem}")


def _start(info: SparkContextInfo, ctx: NodeContext) -> Any:
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    conf = dict(info.conf)
    workdir = conf.get("spark.local.dir")
    if workdir:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        log4j = Path(workdir) / "log4j2.properties"
        if not log4j.exists():
            log4j.write_text(_LOG4J)
        conf.setdefault("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
    if info.master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # PySpark's driver starts its Python workers with $PYSPARK_PYTHON, else `python3` on PATH (it does
    # not read spark.pyspark.python): in a virtual environment that is not activated that would be
    # the system's Python, without numpy/pandas
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    running = SparkContext._active_spark_context  # noqa: SLF001 (the only way to see a running context)
    builder = SparkSession.builder.appName(info.context_name).master(info.master)
    for key, value in conf.items():
        builder = builder.config(key, value)
    t0 = time.perf_counter()
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    if running is not None:
        if session.sparkContext.master != info.master and not info.hide_exists_warning:
            ctx.log(
                f"a Spark context ({session.sparkContext.master}) is already running in this process; "
                f"it is used instead of {info.master}"
            )
    else:
        ctx.log(f"Spark {session.version} started on {info.master} in {time.perf_counter() - t0:.1f} s")
    return session


def stop_session(session: Any) -> None:
    """End of run: keep copies of small Spark data for later runs, then stop the session."""
    for data in list(_LIVE):
        if data.frame is not None and data.frame.sparkSession is session:
            try:
                data.keep_copy()
            except Exception:
                pass
            data.frame = None
    session.stop()


# ----------------------------------------------------------------------------------- conversions


def _spark_type(knime_type: str) -> Any:
    from pyspark.sql import types as T

    return {
        ColumnType.INTEGER: T.IntegerType(),
        ColumnType.LONG: T.LongType(),
        ColumnType.DOUBLE: T.DoubleType(),
        ColumnType.BOOLEAN: T.BooleanType(),
        ColumnType.STRING: T.StringType(),
        ColumnType.SMILES: T.StringType(),
    }[knime_type]


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


def _python_values(series: pd.Series, knime_type: str) -> list[Any]:
    missing = series.isna().to_numpy()
    if knime_type == ColumnType.DOUBLE:
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return [None if m else float(v) for v, m in zip(values, missing, strict=True)]
    if knime_type in (ColumnType.INTEGER, ColumnType.LONG):
        return [None if m else int(v) for v, m in zip(series.tolist(), missing, strict=True)]
    if knime_type == ColumnType.BOOLEAN:
        return [None if m else bool(v) for v, m in zip(series.tolist(), missing, strict=True)]
    return [None if m else str(v) for v, m in zip(series.tolist(), missing, strict=True)]


def frame_from_pandas(session: Any, df: pd.DataFrame, columns: list[str], types: dict[str, str]) -> Any:
    """A Spark DataFrame with the table's rows in order (RowIDs are not transferred, as in KNIME)."""
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField(c, _spark_type(types[c]), True) for c in columns])
    cols = [_python_values(df[c], types[c]) for c in columns]
    rows = list(zip(*cols, strict=True)) if cols else [() for _ in range(len(df))]
    return session.createDataFrame(rows, schema)


def _knime_type(spark_type: Any, known: str | None) -> str:
    name = type(spark_type).__name__
    if name in ("DoubleType", "FloatType", "DecimalType"):
        return ColumnType.DOUBLE
    if name in ("IntegerType", "ShortType", "ByteType"):
        return ColumnType.INTEGER
    if name == "LongType":
        return ColumnType.LONG
    if name == "BooleanType":
        return ColumnType.BOOLEAN
    if name == "StringType" and known in (ColumnType.STRING, ColumnType.SMILES):
        return known
    return ColumnType.STRING


def frame_to_pandas(schema: Any, rows: list[Any], known: dict[str, str]) -> pd.DataFrame:
    """Collected rows as a typed pandas frame (index 0..n-1)."""
    data: dict[str, pd.Series] = {}
    for i, f in enumerate(schema.fields):
        t = _knime_type(f.dataType, known.get(f.name))
        values = [r[i] for r in rows]
        if t == ColumnType.DOUBLE:
            data[f.name] = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
        elif t in (ColumnType.INTEGER, ColumnType.LONG):
            if any(v is None for v in values):
                data[f.name] = pd.Series(pd.array(values, dtype="Int64"))
            else:
                data[f.name] = pd.Series(values, dtype="int64")
        elif t == ColumnType.BOOLEAN:
            data[f.name] = (
                pd.Series(pd.array(values, dtype="boolean"))
                if None in values
                else pd.Series(values, dtype="bool")
            )
        else:
            data[f.name] = pd.Series([None if v is None else str(v) for v in values], dtype="object")
    df = pd.DataFrame(data)
    df.attrs["knime_types"] = {f.name: _knime_type(f.dataType, known.get(f.name)) for f in schema.fields}
    return df


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
        description="At the end of a run: DESTROY_CTX / DELETE_DATA stop the session (its data is dropped); "
        "DO_NOTHING keeps it running for the process, so later runs start faster.",
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
        "the run; the session is stopped when the run ends. Port 3 is the Spark context; ports 1 and 2 mirror "
        "KNIME's Hive connection and local file system (the Spark SQL session and the working directory). "
        "Needs pyspark (pip install knitflow[spark]) and Java 17."
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
            "spark.ui.enabled": "true" if s.spark_ui else "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": str(s.numberOfThreads),
            "spark.sql.catalogImplementation": "in-memory",
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
            keep_alive=s.onDisposeAction == "DO_NOTHING",
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
        from pyspark.ml.feature import VectorAssembler
        from pyspark.mllib.linalg.distributed import RowMatrix
        from pyspark.mllib.util import MLUtils
        from pyspark.sql import functions as F

        data = _need_data(inputs[0], 1)
        try:
            features = _svd_features(data.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        frame = data.dataframe(ctx)
        session = frame.sparkSession
        ctx.progress(0.05, "checking the matrix")
        safe = [f"f{i}" for i in range(len(features))]
        numeric = frame.select([_col(c).cast("double").alias(a) for c, a in zip(features, safe, strict=True)])
        stats = numeric.agg(
            F.count(F.lit(1)).alias("n"),
            *[F.sum(F.when(F.col(a).isNull() | F.isnan(F.col(a)), 1).otherwise(0)).alias(a) for a in safe],
        ).collect()[0]
        if stats["n"] == 0:
            raise NodeError("the input Spark data has no rows")
        bad = [c for c, a in zip(features, safe, strict=True) if stats[a]]
        if bad:
            raise NodeError(
                f"column {bad[0]!r} has missing values; the SVD needs a complete matrix",
                setting="featureColumns",
            )
        ctx.progress(0.2, "computing the SVD")
        vectors = VectorAssembler(inputCols=safe, outputCol="v").transform(numeric).select("v")
        vectors = MLUtils.convertVectorColumnsFromML(vectors, "v").cache()
        try:
            svd = RowMatrix(vectors, numRows=int(stats["n"]), numCols=len(features)).computeSVD(
                settings.noOfSingularValues, computeU=settings.computeU, rCond=settings.reciprocalCondition
            )
            s = np.asarray(svd.s.toArray(), dtype=float)
            v = np.asarray(svd.V.toArray(), dtype=float)
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
        v_frame = frame_from_pandas(session, pd.DataFrame(v, columns=dims), dims, doubles)
        v_data = SparkData(v_frame, dims, doubles, data.context)
        u_data = None
        if settings.computeU:
            ctx.progress(0.7, "computing U")
            from pyspark.sql import types as T

            schema = T.StructType([T.StructField(d, T.DoubleType(), False) for d in dims])
            rows = svd.U.rows.map(lambda vec: tuple(float(x) for x in vec.toArray()))
            u_frame = session.createDataFrame(rows, schema).cache()
            u_data = SparkData(u_frame, dims, doubles, data.context)
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
        frame = data.dataframe(ctx)
        try:
            rows = frame.collect() if settings.fetchAll else frame.take(settings.fetchSize)
        except Exception as exc:
            raise NodeError(f"fetching the Spark data failed: {_spark_message(exc)}") from exc
        df = frame_to_pandas(frame.schema, rows, data.types)
        types = df.attrs.pop("knime_types")
        df.index = row_ids(len(df))
        return [Table(df, types)]


# ---------------------------------------------------------------------- shared with nodes.spark_ml

spark_column = _col
spark_data_spec = _data_spec
need_spark_data = _need_data
spark_message = _spark_message
