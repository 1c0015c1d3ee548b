"""Create Local Big Data Environment: the Spark session of a run's Spark nodes, local[N] or on a cluster.

The node's port object (`SparkContextInfo`) only *describes* the session; the first Spark node that
needs it starts it, and it stays running for the process (see nodes/_spark_session.py). The table
transfer nodes are in nodes/spark_transfer.py, Spark SVD in nodes/spark_svd.py, the Spark ML nodes in
nodes/spark_*.py; what they share in nodes/_spark.py.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from engine.api import (
    UNKNOWN,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
)
from engine.api.knime import KnimeMapping, take_view_keys
from nodes._spark import (
    LOCAL_FS,
    SPARK_CONTEXT,
    SPARK_SQL,
    LocalFileSystemInfo,
    SparkContextInfo,
    SparkData,
    SparkSqlInfo,
    missing_requirements,
    require_spark,
    small_job_conf,
    spark_message,
    spark_session,
    stop_spark,
)

# the Python API's: whether Spark can run here, and ending the process's session; and the port objects
# under the names results cached on disk before the split of this module were pickled with
__all__ = [
    "CreateLocalBigDataEnvironment",
    "LocalEnvironmentSettings",
    "LocalFileSystemInfo",
    "SparkContextInfo",
    "SparkData",
    "SparkSqlInfo",
    "missing_requirements",
    "stop_spark",
]


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
        "the run, tuned for small local jobs (no web UI, N shuffle partitions, no adaptive re-planning, no code "
        "generation, a driver JVM for short jobs); the "
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
            **small_job_conf(s.numberOfThreads, local),
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
            raise NodeError(f"Spark could not start on {info.master}: {spark_message(exc)}") from exc
        return [SparkSqlInfo(info), LocalFileSystemInfo(str(workdir)), info]
