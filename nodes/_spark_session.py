"""The Spark session of the Spark nodes: whether Spark can run here, the settings of a session for small
local jobs, and the one session a process keeps.

Where time goes on a small workflow (12_01: a 10 x 20 matrix) is not the arithmetic but the JVM start
and the first jobs of a fresh JVM (class loading, JIT, query planning). So the session is started with
the settings a small local job wants (see `small_job_conf`) and, as KNIME keeps a local Spark context
open after execution until the workflow is disposed, it stays running for the process: a second run
in the same process (the editor, repeated `Workflow.run()` calls, the tests) finds it warm.
`onDisposeAction` says what the end of a run does: DESTROY_CTX stops the session, DELETE_DATA frees the
data the run cached in Spark (the session stays), DO_NOTHING nothing. The JVM ends with the process.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.api import ConfigureError, NodeContext, NodeError

RESOURCE_KEY = "spark"
INSTALL_HINT = "pip install 'knitflow[spark]' (pyspark>=4.0,<5)"

LOG4J = """rootLogger.level = error
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
    """At configure time: every Spark node fails before anything runs when Spark cannot."""
    problem = missing_requirements()
    if problem:
        raise ConfigureError(f"Spark nodes need PySpark and Java: {problem}")


def require_spark_runtime() -> None:
    problem = missing_requirements()
    if problem:
        raise NodeError(f"Spark nodes need PySpark and Java: {problem}")


# -------------------------------------------------------------------------------- the context


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


# the driver JVM of a local session: only the quick C1 compiler (C2's optimising compiles cost seconds
# of CPU a short job never earns back), one compiler thread and the serial collector (no parallel GC
# threads competing with Spark's own on a few cores)
SHORT_JOB_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC"


def small_job_conf(threads: int, local: bool = True) -> dict[str, str]:
    """Settings of a session for small jobs (a user's customSparkSettings still win):
    - no web UI (a Jetty server and its listeners per job) and no console progress bar;
    - as many shuffle partitions as threads (Spark's default 200 tasks per shuffle for a few rows);
    - no adaptive query execution (it re-plans every query after each stage: pure overhead on
      single-partition local data);
    - no code generation (compiling Java for each query with Janino costs more than interpreting
      it over a few thousand rows);
    - for a local master, a driver JVM for short jobs (`SHORT_JOB_JVM_OPTIONS`).
    Together they cut the CPU of 12_01 (JVM start, one SVD) by about a third."""
    conf = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(threads),
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    }
    if local:
        conf["spark.driver.extraJavaOptions"] = SHORT_JOB_JVM_OPTIONS
    return conf


def start_session(name: str, master: str, conf: dict[str, str], ctx: NodeContext) -> Any:
    """A new SparkSession (or the process's running one, which `getOrCreate` returns)."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    conf = dict(conf)
    workdir = conf.get("spark.local.dir")
    if workdir:
        Path(workdir).mkdir(parents=True, exist_ok=True)
        log4j = Path(workdir) / "log4j2.properties"
        if not log4j.exists():
            log4j.write_text(LOG4J)
        java_options = conf.get("spark.driver.extraJavaOptions", "")
        if "log4j2.configurationFile" not in java_options:
            conf["spark.driver.extraJavaOptions"] = (
                f"{java_options} -Dlog4j2.configurationFile=file:{log4j}".strip()
            )
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # PySpark's driver starts its Python workers with $PYSPARK_PYTHON, else `python3` on PATH (it does
    # not read spark.pyspark.python): in a virtual environment that is not activated that would be
    # the system's Python, without numpy/pandas
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    running = SparkContext._active_spark_context  # noqa: SLF001 (the only way to see a running context)
    builder = SparkSession.builder.appName(name).master(master)
    for key, value in conf.items():
        builder = builder.config(key, value)
    t0 = time.perf_counter()
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    if running is None:
        ctx.log(f"Spark {session.version} started on {master} in {time.perf_counter() - t0:.1f} s")
    return session


# ------------------------------------------------------------------- the process's one session

# every SparkData of the process (nodes._spark registers them), so that the end of a run or of the
# session can free or copy what they hold in Spark
LIVE_DATA: weakref.WeakSet[Any] = weakref.WeakSet()

_SESSION_LOCK = threading.Lock()
_kept: dict[str, Any] = {}  # the process's session and the context it was started for


def spark_session(ctx: NodeContext, info: SparkContextInfo) -> Any:
    """The session of the run: the process's running session if there is one (a second run finds it
    warm), else a new one. At the end of the run `onDisposeAction` applies (see `_end_of_run`)."""
    require_spark_runtime()
    return ctx.resource(RESOURCE_KEY, lambda: _open(info, ctx), functools.partial(_end_of_run, info))


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
        for data in list(LIVE_DATA):
            frame = data.frame
            if frame is not None and frame.sparkSession is session and frame.is_cached:
                frame.unpersist(blocking=False)


def stop_session(session: Any) -> None:
    """Keep copies of small Spark data for later runs, then stop the session."""
    for data in list(LIVE_DATA):
        if data.frame is not None and data.frame.sparkSession is session:
            try:
                data.keep_copy()
            except Exception:
                pass
            data.frame = None
    session.stop()
