"""Loop passes on a Dask cluster (#20): a local cluster of two worker processes gives exactly what
`--workers 1` gives (tables, variables, reasons, keys), a failing pass is named, cancel stops the
run, and the core never imports Dask until a loop is sent to a cluster."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_engine_results import DYING_PASS, _statuses

from engine.cli import main as cli_main
from engine.core.dask_passes import DaskPasses
from engine.core.workflow import Workflow

distributed = pytest.importorskip("distributed", reason="the Dask executor needs knitflow[cluster]")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A local Dask cluster of two worker processes (one thread each), as `dask-local` starts."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local.scheduler_address.replace("tcp://", "dask://")


def _on(address: str) -> DaskPasses:
    return DaskPasses(address)


def _run(path: Path, executor: Any = None, **kwargs: Any) -> Any:
    result = Workflow.load(path).run(seed=1, executor=executor, **kwargs)
    if isinstance(executor, DaskPasses):
        executor.close()
    return result


def test_a_table_row_loop_on_the_cluster_equals_one_worker(cluster: str) -> None:
    path = WORKFLOWS / "10_03_conversion_regression.yaml"
    one = _run(path, workers=1)
    dask = _run(path, _on(cluster))
    assert one.ok and dask.ok, [s.error for s in dask.failed()]
    assert _statuses(dask) == _statuses(one)
    assert dask.output(321, 0)["currentIteration"] == 5


@pytest.mark.slow
def test_11_01_parameter_search_on_the_cluster_equals_one_worker(cluster: str) -> None:
    path = WORKFLOWS / "11_01_randomforest_maxphase.yaml"
    one = _run(path, workers=1)
    dask = _run(path, _on(cluster))
    assert one.ok and dask.ok, [s.error for s in dask.failed()]
    assert _statuses(dask) == _statuses(one)


RAISING_PASS = DYING_PASS.replace(
    "os.kill(os.getpid(), signal.SIGKILL)", 'raise ValueError("no good in pass three")'
)


def test_a_failing_pass_is_named(cluster: str, tmp_path: Path) -> None:
    wf = Workflow.from_text(RAISING_PASS, base_dir=tmp_path)
    result = wf.run(executor=_on(cluster))
    assert not result.ok
    error = result.node(2).error or ""
    assert "loop pass 3 of 4" in error and "no good in pass three" in error, error
    assert "#3" in error  # the body node that failed
    assert result.node(3).error and "no good in pass three" in result.node(3).error


SLEEPING_PASS = DYING_PASS.replace(
    'if knio.flow_variables["currentIteration"] == 2:\n            os.kill(os.getpid(), signal.SIGKILL)',
    "import time\n        time.sleep(4)",
)


def test_cancel_stops_a_run_on_the_cluster(cluster: str, tmp_path: Path) -> None:
    wf = Workflow.from_text(SLEEPING_PASS, base_dir=tmp_path)
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    t0 = time.perf_counter()
    result = wf.run(executor=_on(cluster), cancel_event=cancel)
    assert time.perf_counter() - t0 < 4.0  # the first passes alone take 4 s
    assert result.cancelled and result.outcome == "cancelled"


LONG_PASS = SLEEPING_PASS.replace("time.sleep(4)", "for _ in range(600):\n            time.sleep(0.1)")


def test_cancel_stops_the_passes_running_on_the_workers(cluster: str, tmp_path: Path) -> None:
    """Not only the waiting: a pass running on a worker is interrupted, the cluster is free again."""
    cancel = threading.Event()
    threading.Timer(2.0, cancel.set).start()
    result = Workflow.from_text(LONG_PASS, base_dir=tmp_path).run(executor=_on(cluster), cancel_event=cancel)
    assert result.cancelled
    client = distributed.Client(cluster.replace("dask://", "tcp://"))
    try:
        deadline = time.time() + 20  # a pass left running would hold its worker for 60 s
        while time.time() < deadline and any(client.processing().values()):
            time.sleep(0.2)
        assert not any(client.processing().values()), client.processing()
    finally:
        client.close()


def test_the_editors_hooks_travel_with_the_passes(cluster: str, tmp_path: Path) -> None:
    """The editor's path confinement (its ExecutionHooks) holds on the workers; its kept results stay."""
    from engine.core.dask_passes import _shippable
    from engine.core.scheduler import Execution
    from engine.editor.hooks import EditorHooks
    from engine.editor.workspace import Workspace

    hooks = EditorHooks(Workspace(tmp_path), kept={1: object()})  # type: ignore[dict-item]
    assert _shippable(hooks).kept == {} and hooks.kept
    wf = Workflow.from_text(
        DYING_PASS.replace("os.kill(os.getpid(), signal.SIGKILL)", "pass"), base_dir=tmp_path
    )
    executor = _on(cluster)
    try:
        status = Execution(wf.compile(), hooks=EditorHooks(Workspace(tmp_path)), pass_executor=executor).run()
    finally:
        executor.close()
    assert all(st.error is None for st in status.values()), [st.error for st in status.values()]
    assert len(status[4].outputs[0].df) == 16


def test_the_cli_runs_passes_on_a_cluster(cluster: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    path = WORKFLOWS / "10_03_conversion_regression.yaml"
    assert cli_main(["run", str(path), "--executor", cluster, "--out", str(out), "--quiet"]) == 0
    assert cli_main(["run", str(path), "--executor", "nowhere", "--out", str(out), "--quiet"]) == 2


def test_the_core_does_not_import_dask() -> None:
    code = (
        "import sys; from engine.core.workflow import Workflow; import engine.core.executors; "
        "assert 'distributed' not in sys.modules and 'dask' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_the_editor_runs_loop_passes_on_the_cluster(cluster: str, tmp_path: Path) -> None:
    """`knitflow serve --executor …`: the editor's runs send planned passes to the cluster."""
    import shutil

    from fastapi.testclient import TestClient
    from test_server import BASE, run_all

    from engine.editor.app import create_app

    ws = tmp_path / "flows"
    ws.mkdir()
    shutil.copy(WORKFLOWS / "10_03_conversion_regression.yaml", ws / "flow.yaml")
    shutil.copytree(ROOT / "data", tmp_path / "data", ignore=shutil.ignore_patterns("qm9.csv"))
    executor = _on(cluster)
    client = TestClient(create_app(ws, data_dirs=[tmp_path / "data"], executor=executor), base_url=BASE)
    try:
        shown = run_all(client, path="flow.yaml")
    finally:
        executor.close()
    states = {k: v["state"] for k, v in shown["statuses"].items()}
    assert set(states.values()) == {"executed"}, states
    sent = distributed.Client(cluster.replace("dask://", "tcp://"))
    try:
        assert any("knitflow-pass" in str(k) for k in sent.run_on_scheduler(_task_log_keys))
    finally:
        sent.close()


def _task_log_keys(dask_scheduler: Any = None) -> list[str]:
    return [str(k) for k in dask_scheduler.task_prefixes] if dask_scheduler is not None else []
