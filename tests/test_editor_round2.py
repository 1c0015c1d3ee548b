"""The editor's server side, round 2 (issue 19): the token on loopback and its login page, `serve`'s
defaults, symlinks in the workspace listing, fresh sessions for re-created workflows, red
downstream of an unconfigurable node, declared dialog widgets, the description panel's data and
"iteration i of n" for adaptive parameter optimisation."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import editor_nodes
import pytest

warnings.filterwarnings("ignore", message=".*httpx2.*")
pytest.importorskip("fastapi", reason="the editor extra (fastapi) is not installed")
pytest.importorskip("httpx", reason="httpx is needed by FastAPI's TestClient")

from fastapi.testclient import TestClient  # noqa: E402

from engine.core.registry import registry  # noqa: E402
from engine.editor.app import create_app  # noqa: E402
from engine.editor.serve import prepare  # noqa: E402
from engine.editor.widgets import with_widgets  # noqa: E402

registry.register_module(editor_nodes)

BASE = "http://127.0.0.1:8765"
CSV = "a,b,dE\n1,2,0.5\n2,1,0.7\n3,4,0.1\n4,3,0.9\n"

RED = """\
format: knitflow/1
name: red
nodes:
  - {id: 1, type: csv_reader, settings: {file: data.csv}}
  - {id: 2, type: math_formula, settings: {expression: "$nope$ + 1", new_column_name: x}}
  - {id: 3, type: column_filter}
  - {id: 4, type: column_filter}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1"]
"""


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "data.csv").write_text(CSV)
    (root / "red.yaml").write_text(RED)
    return root


def test_token_is_required_on_loopback_with_a_login_page(ws: Path) -> None:
    c = TestClient(create_app(ws, token="s3cret", loopback_only=True), base_url=BASE)
    r = c.get("/api/workflows")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/json")
    page = c.get("/")
    assert page.status_code == 401 and page.headers["content-type"].startswith("text/html")
    assert '<form id="login"' in page.text and 'name="token"' in page.text
    assert c.get("/static/editor.js").status_code == 200  # the page's own files need no token
    r = c.get("/", params={"token": "s3cret"}, follow_redirects=False)
    assert r.status_code == 303 and "knitflow_token=s3cret" in r.headers["set-cookie"]
    c.cookies.set("knitflow_token", "s3cret")
    assert c.get("/api/workflows").status_code == 200
    assert c.get("/").status_code == 200


def test_serve_makes_a_token_unless_told_not_to_on_loopback(ws: Path) -> None:
    app, url = prepare(ws, "127.0.0.1", 8765)
    assert "?token=" in url and len(url.split("?token=")[1]) >= 24
    assert TestClient(app, base_url=BASE).get("/api/workflows").status_code == 401
    app, url = prepare(ws, "127.0.0.1", 8765, no_token=True)
    assert url == "http://127.0.0.1:8765/"
    assert TestClient(app, base_url=BASE).get("/api/workflows").status_code == 200
    with pytest.raises(ValueError, match="loopback"):
        prepare(ws, "0.0.0.0", 8765, no_token=True)
    _, url = prepare(ws, "0.0.0.0", 8765, token="given")
    assert url.endswith("?token=given")


def test_symlinks_outside_the_workspace_are_skipped_and_reported(ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("format: knitflow/1\nname: elsewhere\n")
    (ws / "escape.yaml").symlink_to(outside)
    (ws / "dangling.yaml").symlink_to(tmp_path / "missing.yaml")
    c = TestClient(create_app(ws), base_url=BASE)
    r = c.get("/api/workflows")
    assert r.status_code == 200
    listed = [w["path"] for w in r.json()["workflows"]]
    assert listed == ["red.yaml"]
    assert {"path": "escape.yaml", "reason": "resolves outside the workspace"} in r.json()["skipped"]


def test_a_deleted_and_recreated_workflow_starts_afresh(ws: Path) -> None:
    c = TestClient(create_app(ws), base_url=BASE)
    assert c.post("/api/workflows", json={"path": "w.yaml"}).status_code == 200
    r = c.post(
        "/api/workflow/command",
        params={"path": "w.yaml"},
        json={"command": {"op": "add_node", "type": "csv_reader", "position": [0, 0]}},
    )
    assert r.status_code == 200 and c.get("/api/workflow", params={"path": "w.yaml"}).json()["dirty"]
    (ws / "w.yaml").unlink()
    assert c.post("/api/workflows", json={"path": "w.yaml"}).status_code == 200
    again = c.get("/api/workflow", params={"path": "w.yaml"}).json()
    assert not again["dirty"] and again["doc"]["nodes"] == []


def test_downstream_of_an_unconfigurable_node_is_red_with_the_reason(ws: Path) -> None:
    c = TestClient(create_app(ws), base_url=BASE)
    statuses = c.get("/api/workflow", params={"path": "red.yaml"}).json()["statuses"]
    assert statuses["2"]["state"] == "idle" and "nope" in statuses["2"]["error"]
    for n in ("3", "4"):
        assert statuses[n]["state"] == "idle"
        assert statuses[n]["warning"].startswith("not configured: #2 Math Formula cannot be configured")


def widgets_of(node_type: str) -> dict[str, Any]:
    cls = registry.get(node_type)
    assert cls is not None
    schema = with_widgets(cls.Settings.model_json_schema(), cls.path_settings)
    props = dict(schema["properties"])
    for name, d in schema.get("$defs", {}).items():
        for k, v in d.get("properties", {}).items():
            props[f"{name}.{k}"] = v
    return {k: v.get("widget") for k, v in props.items()}


def test_settings_declare_their_widgets() -> None:
    expr = widgets_of("expression")
    assert expr["ExpressionItem.script"] == "formula"
    assert expr["ExpressionItem.createdColumn"] == "new_column"
    assert expr["ExpressionItem.replacedColumn"] == "column"
    math = widgets_of("math_formula")
    assert (math["expression"], math["new_column_name"], math["replaced_column"]) == (
        "formula",
        "new_column",
        "column",
    )
    assert widgets_of("rule_engine")["rules"] == "formula"
    assert widgets_of("string_manipulation")["expression"] == "formula"
    assert widgets_of("regression_predictor")["prediction_column"] == "new_column"
    assert widgets_of("logistic_regression_predictor")["custom_prediction_name"] == "new_column"
    cross = widgets_of("cross_joiner")
    assert cross["rigthSuffix"] == "text" and cross["CFG_FIRST_COLUMNNAME"] == "new_column"
    scorer = widgets_of("numeric_scorer")
    assert scorer["reference"] == scorer["predicted"] == "column"
    assert widgets_of("lasso_learner")["feature_columns"] == "columns"
    assert widgets_of("csv_reader")["file"] == "file"
    assert widgets_of("column_filter")["ColumnFilter.mode"] == "choice"
    # a setting holding a column filter is shown as KNIME's twin list with its modes
    schema = registry.get("column_filter").Settings.model_json_schema()  # type: ignore[union-attr]
    assert schema["$defs"]["ColumnFilter"]["widget"] == "column_filter"
    # the formula editor's function catalogue comes with the schema
    cls = registry.get("math_formula")
    assert cls is not None
    fx = cls.Settings.model_json_schema()["properties"]["expression"]
    assert fx["language"] == "jep" and "sqrt" in fx["functions"] and "COL_MEAN" in fx["functions"]


def test_adaptive_parameter_optimisation_reports_its_total(ws: Path) -> None:
    (ws / "paropt.yaml").write_text("""\
format: knitflow/1
name: paropt
nodes:
  - id: 1
    type: parameter_optimization_loop_start
    settings:
      method: RandomSearch
      use_seed: true
      num_trials: 12
      use_early_stopping: true
      size_moving_window: 50
      parameters: [{parameter_name: a, start_value: 0, stop_value: 1000, step_size: 1, is_integer: true}]
  - {id: 3, type: parameter_optimization_loop_end, settings: {flow_variable_name: a}}
connections: ["1:1 -> 3:1"]
""")
    c = TestClient(create_app(ws), base_url=BASE)
    seen: set[tuple[int, int]] = set()
    with c.websocket_connect("/api/ws?path=paropt.yaml", headers={"host": "127.0.0.1:8765"}) as sock:
        sock.receive_json()
        r = c.post("/api/workflow/execute", params={"path": "paropt.yaml"}, json={})
        assert r.status_code == 200, r.text
        deadline = time.time() + 30
        while time.time() < deadline:
            msg = sock.receive_json()
            if msg["type"] == "node" and msg["status"].get("iteration"):
                seen.add(tuple(msg["status"]["iteration"]))
            if msg["type"] == "run" and not msg["running"]:
                break
    assert seen and all(total == 12 for _, total in seen), seen


@pytest.mark.slow
def test_cancel_during_13_01_stops_within_a_second() -> None:
    root = Path(__file__).resolve().parent.parent
    data = root / "data"
    if not (data / "qm9.csv").is_file():
        pytest.skip("data/qm9.csv is missing (knitflow data fetch --qm9)")
    path = "13_01_SMILES_RDkit.yaml"
    c = TestClient(create_app(root / "workflows", data_dirs=[data]), base_url=BASE)
    assert c.post("/api/workflow/execute", params={"path": path}, json={}).status_code == 200
    deadline = time.time() + 120
    while time.time() < deadline:  # well into the loop: a Lasso fit per pass
        st = c.get("/api/workflow", params={"path": path}).json()
        if any((v.get("iteration") or [0])[0] >= 2 for v in st["statuses"].values()):
            break
        time.sleep(0.1)
    else:
        pytest.fail("13_01's loop did not start")
    t0 = time.perf_counter()
    c.post("/api/workflow/cancel", params={"path": path})
    while c.get("/api/workflow", params={"path": path}).json()["running"]:
        time.sleep(0.02)
    assert time.perf_counter() - t0 < 1.0
    statuses = c.get("/api/workflow", params={"path": path}).json()["statuses"]
    assert not any(v["error"] for v in statuses.values())
    assert any(v["reason"] == "cancelled" for v in statuses.values())


def test_native_node_work_is_interrupted_within_a_poll() -> None:
    """A node waiting for native work (a scikit-learn fit; here a sleep, which also leaves the
    interpreter) stops within the poll interval when the run is cancelled."""
    import threading

    from engine.api import Cancelled
    from nodes._common import interruptible

    cancel = threading.Event()

    class Ctx:
        def check_cancelled(self) -> None:
            if cancel.is_set():
                raise Cancelled("execution cancelled")

    threading.Timer(0.2, cancel.set).start()
    t0 = time.perf_counter()
    with pytest.raises(Cancelled):
        interruptible(Ctx(), lambda: time.sleep(3))  # type: ignore[arg-type]
    assert time.perf_counter() - t0 < 0.6
    cancel.clear()
    assert interruptible(Ctx(), lambda: 42) == 42  # type: ignore[arg-type]


def test_formula_syntax_errors_show_before_the_node_is_connected(ws: Path) -> None:
    (ws / "lonely.yaml").write_text(
        "format: knitflow/1\nname: lonely\nnodes:\n  - {id: 1, type: math_formula, settings: {expression: '1'}}\n"
    )
    c = TestClient(create_app(ws), base_url=BASE)
    r = c.post(
        "/api/workflow/validate",
        params={"path": "lonely.yaml", "id": 1},
        json={"settings": {"expression": "$a$ +* 2"}},
    ).json()
    assert (
        "syntax error" in r["configure_error"]["message"] and r["configure_error"]["setting"] == "expression"
    )
    fine = c.post(
        "/api/workflow/validate",
        params={"path": "lonely.yaml", "id": 1},
        json={"settings": {"expression": "$a$ * 2"}},
    ).json()
    assert "not connected" in fine["configure_error"]["message"]
