"""The editor's server side: command-based editing with undo/redo, canonical saves with conflict
detection, runs with live states, the output viewer's table pages, and the security rules
(loopback Host, Origin, token, workspace confinement of every path)."""

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
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from engine.core.document import WorkflowDoc, parse_document  # noqa: E402
from engine.core.editing import CommandError, Editor  # noqa: E402
from engine.core.registry import registry  # noqa: E402
from engine.core.render import render_svg  # noqa: E402
from engine.editor.app import create_app  # noqa: E402

registry.register_module(editor_nodes)

BASE = "http://127.0.0.1:8765"
CSV = "x,y,truth,pred\n1,10,a,a\n2,20,a,b\n3,30,b,b\n4,40,b,b\n"

DEMO = """\
format: knitflow/1
name: demo
nodes:
  - id: 1
    type: etest_csv_reader
    position: [100, 100]
    settings: {path: data.csv}
  - id: 2
    type: etest_normalizer
    position: [250, 100]
    settings: {columns: [x, y]}
  - id: 3
    type: etest_scorer
    position: [400, 100]
    settings: {first_column: truth, second_column: pred}
  - id: 4
    type: toy_fail
    position: [250, 250]
  - id: 5
    type: toy_add
    position: [400, 250]
  - id: 6
    type: toy_add
    position: [250, 400]
connections:
  - 1:1 -> 2:1
  - 2:1 -> 3:1
  - 1:1 -> 4:1
  - 4:1 -> 5:1
  - 1:1 -> 6:1
"""


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "data.csv").write_text(CSV)
    (root / "demo.yaml").write_text(DEMO)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "shared.csv").write_text(CSV)
    (tmp_path / "secret.csv").write_text("x\n42\n")
    return root


@pytest.fixture()
def client(ws: Path) -> TestClient:
    app = create_app(ws, data_dirs=[ws.parent / "data"])
    return TestClient(app, base_url=BASE)


def cmd(client: TestClient, command: dict[str, Any], path: str = "demo.yaml", **kw: Any) -> Any:
    return client.post("/api/workflow/command", params={"path": path}, json={"command": command}, **kw)


def state(client: TestClient, path: str = "demo.yaml") -> dict[str, Any]:
    r = client.get("/api/workflow", params={"path": path})
    assert r.status_code == 200, r.text
    return r.json()


def run_all(client: TestClient, nodes: list[int] | None = None, path: str = "demo.yaml") -> dict[str, Any]:
    r = client.post("/api/workflow/execute", params={"path": path}, json={"nodes": nodes})
    assert r.status_code == 200, r.text
    deadline = time.time() + 20
    while time.time() < deadline:
        s = state(client, path)
        if not s["running"]:
            return s
        time.sleep(0.02)
    raise AssertionError("run did not finish")


def wsconnect(client: TestClient, url: str, headers: dict[str, str] | None = None) -> Any:
    return client.websocket_connect(url, headers={"host": "127.0.0.1:8765", **(headers or {})})


def conns(s: dict[str, Any]) -> set[str]:
    return {
        f"{c['source']}:{c['source_port']}->{c['dest']}:{c['dest_port']}" for c in s["doc"]["connections"]
    }


# ------------------------------------------------------------------------------------- editing


def test_open_lists_and_configures(client: TestClient) -> None:
    assert client.get("/api/workflows").json()["workflows"] == [{"path": "demo.yaml", "name": "demo"}]
    s = state(client)
    assert s["version"] == 0 and not s["dirty"] and not s["can_undo"]
    assert {k: v["state"] for k, v in s["statuses"].items()} == {str(i): "configured" for i in range(1, 7)}
    catalog = client.get("/api/nodes").json()
    types = {n["type"]: n for n in catalog["nodes"]}
    assert types["etest_normalizer"]["outputs"][1]["type"] == "model.etest_normalizer"
    assert "table" not in catalog["compatible"]["model.etest_normalizer"]
    assert "variables" in catalog["compatible"]["table"]


def test_commands_undo_redo(client: TestClient) -> None:
    r = cmd(client, {"op": "add_node", "type": "etest_table_view", "position": [550, 100]})
    assert r.status_code == 200, r.text
    new = r.json()["result"]["node"]
    assert new == 7
    assert (
        cmd(client, {"op": "connect", "source": 2, "source_port": 1, "dest": 7, "dest_port": 1}).status_code
        == 200
    )
    before = conns(state(client))
    # one connection per input: a second one into 7:1 replaces the first (KNIME)
    r = cmd(client, {"op": "connect", "source": 1, "source_port": 1, "dest": 7, "dest_port": 1})
    assert r.json()["result"]["replaced"] == "2:1 -> 7:1"
    assert "1:1->7:1" in conns(r.json()["state"]) and "2:1->7:1" not in conns(r.json()["state"])
    assert client.post("/api/workflow/undo", params={"path": "demo.yaml"}).status_code == 200
    assert conns(state(client)) == before
    assert client.post("/api/workflow/redo", params={"path": "demo.yaml"}).status_code == 200
    assert "1:1->7:1" in conns(state(client))
    # removing a node removes its connections; undo restores both
    r = cmd(client, {"op": "remove", "nodes": [1]})
    s = r.json()["state"]
    assert all(n["id"] != 1 for n in s["doc"]["nodes"]) and not any(c.startswith("1:") for c in conns(s))
    assert s["statuses"]["2"]["state"] == "idle"  # its input is gone: red light
    client.post("/api/workflow/undo", params={"path": "demo.yaml"})
    s = state(client)
    assert any(n["id"] == 1 for n in s["doc"]["nodes"]) and "1:1->2:1" in conns(s)
    assert s["can_redo"] and s["dirty"]


def test_refused_connections_leave_the_document_alone(client: TestClient) -> None:
    v0 = state(client)["version"]
    # model output into a table input
    r = cmd(client, {"op": "connect", "source": 2, "source_port": 2, "dest": 3, "dest_port": 1})
    assert r.status_code == 409 and "incompatible" in r.json()["detail"]
    # cycle
    r = cmd(client, {"op": "connect", "source": 3, "source_port": 1, "dest": 2, "dest_port": 1})
    assert r.status_code == 409 and "cycle" in r.json()["detail"]
    r = cmd(client, {"op": "connect", "source": 3, "source_port": 1, "dest": 1, "dest_port": 0})
    assert r.status_code == 409 and "cycle" in r.json()["detail"]
    r = cmd(client, {"op": "connect", "source": 2, "source_port": 1, "dest": 2, "dest_port": 1})
    assert r.status_code == 409
    r = cmd(client, {"op": "connect", "source": 2, "source_port": 9, "dest": 3, "dest_port": 1})
    assert r.status_code == 409 and "no output port 9" in r.json()["detail"]
    s = state(client)
    assert s["version"] == v0 and not s["can_undo"]
    assert "2:1->3:1" in conns(s)  # the refused replacement did not drop the existing input


def test_settings_are_validated(client: TestClient) -> None:
    r = cmd(client, {"op": "set_settings", "node": 2, "settings": {"mode": "nonsense", "new_min": "abc"}})
    assert r.status_code == 422
    locs = {e["loc"] for e in r.json()["errors"]}
    assert locs == {"mode", "new_min"}
    # the dialog's live validation reports the configure error without changing anything
    v = client.post(
        "/api/workflow/validate",
        params={"path": "demo.yaml", "id": 3},
        json={"settings": {"first_column": "truth", "second_column": "zzz"}},
    ).json()
    assert v["errors"] == [] and v["configure_error"]["setting"] == "second_column"
    assert state(client)["version"] == 0
    dialog = client.get("/api/workflow/node", params={"path": "demo.yaml", "id": 3}).json()
    assert [c["name"] for c in dialog["in_specs"][0]] == ["x", "y", "truth", "pred"]
    assert dialog["schema"]["properties"]["first_column"]["description"]
    r = cmd(client, {"op": "set_settings", "node": 2, "settings": {"columns": ["nope"]}})
    assert r.status_code == 200
    st = r.json()["state"]["statuses"]["2"]
    assert st["state"] == "idle" and "nope" in st["error"] and st["setting"] == "columns"
    r = cmd(client, {"op": "set_settings", "node": 2, "settings": {}, "use_variables": {"bogus": "v"}})
    assert r.status_code == 400


def test_editor_unit_rules() -> None:
    doc = WorkflowDoc(name="t")
    ed = Editor(doc)
    a = ed.execute({"op": "add_node", "type": "toy_range", "position": [0, 0]})["node"]
    b = ed.execute({"op": "add_node", "type": "toy_add", "position": [100, 0]})["node"]
    ed.execute({"op": "connect", "source": a, "source_port": 1, "dest": b, "dest_port": 1})
    ed.execute(
        {
            "op": "batch",
            "commands": [
                {"op": "rename", "node": b, "name": "plus one"},
                {"op": "move", "positions": {str(b): [120, 10]}},
            ],
        }
    )
    assert ed.doc.node(b).name == "plus one" and ed.doc.node(b).position == (120, 10)
    ed.undo()
    assert ed.doc.node(b).name is None and ed.doc.node(b).position == (100, 0)
    res = ed.execute(
        {
            "op": "paste",
            "nodes": [n.model_dump() for n in ed.doc.nodes],
            "connections": ["1:1 -> 2:1"],
            "offset": [0, 100],
        }
    )
    assert res["nodes"] == {"1": 3, "2": 4}
    assert {str(c) for c in ed.doc.connections} == {"1:1 -> 2:1", "3:1 -> 4:1"}
    with pytest.raises(CommandError):
        ed.execute({"op": "explode"})
    with pytest.raises(CommandError):
        ed.execute({"op": "add_node", "type": "no_such_node"})
    v = ed.version
    with pytest.raises(CommandError):  # a failing batch is all-or-nothing
        ed.execute(
            {
                "op": "batch",
                "commands": [{"op": "rename", "node": 1, "name": "z"}, {"op": "remove", "nodes": [99]}],
            }
        )
    assert ed.version == v and ed.doc.node(1).name is None
    for _ in range(250):
        ed.execute({"op": "move", "positions": {"1": [len(ed._undo), 0]}})
    assert len(ed._undo) == 200  # bounded


# --------------------------------------------------------------------------------------- saving


def test_save_is_canonical_and_conflicts_are_refused(client: TestClient, ws: Path) -> None:
    cmd(client, {"op": "rename", "node": 1, "name": "Reader"})
    cmd(client, {"op": "add_annotation", "text": "Input\nstage", "bounds": [80, 40, 200, 60]})
    s = state(client)
    assert s["dirty"]
    r = client.post("/api/workflow/save", params={"path": "demo.yaml"}, json={"version": s["version"] - 1})
    assert r.status_code == 409 and "stale" in r.json()["detail"]
    r = client.post("/api/workflow/save", params={"path": "demo.yaml"}, json={"version": s["version"]})
    assert r.status_code == 200 and not r.json()["state"]["dirty"]
    text = (ws / "demo.yaml").read_text()
    assert "name: Reader" in text and "annotations:" in text and "- 1:1 -> 2:1" in text
    doc, _, problems = parse_document(text, "demo.yaml")
    assert doc is not None and not problems and doc.node(1).name == "Reader"
    # somebody edits the file behind the editor's back while it has unsaved changes
    cmd(client, {"op": "rename", "node": 2, "name": "Norm"})
    (ws / "demo.yaml").write_text(text.replace("name: Reader", "name: Outside"))
    v = state(client)["version"]
    r = client.post("/api/workflow/save", params={"path": "demo.yaml"}, json={"version": v})
    assert r.status_code == 409 and "changed on disk" in r.json()["detail"]
    r = client.post("/api/workflow/save", params={"path": "demo.yaml"}, json={"version": v, "force": True})
    assert r.status_code == 200 and "name: Norm" in (ws / "demo.yaml").read_text()


def test_clean_session_picks_up_outside_edits(client: TestClient, ws: Path) -> None:
    state(client)
    (ws / "demo.yaml").write_text(DEMO.replace("name: demo", "name: renamed"))
    assert state(client)["doc"]["name"] == "renamed"


def test_new_workflow(client: TestClient, ws: Path) -> None:
    r = client.post("/api/workflows", json={"path": "sub/new.yaml", "name": "Fresh"})
    assert r.status_code == 200 and (ws / "sub" / "new.yaml").exists()
    assert client.post("/api/workflows", json={"path": "sub/new.yaml"}).status_code == 409
    assert state(client, "sub/new.yaml")["doc"]["nodes"] == []


def test_open_knime_workflow(client: TestClient, ws: Path, tmp_path: Path) -> None:
    from test_knime_built_archive import built_archive  # a KNIME archive the tests write themselves

    archive = built_archive(tmp_path)
    raw = archive.read_bytes()
    r = client.post("/api/workflows/import-knime", params={"name": archive.name}, content=raw)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["path"] == "built_regression.yaml"
    assert any("KNIME_data" in e["message"] and e["kind"] == "note" for e in body["report"])
    doc = state(client, body["path"])["doc"]
    assert len(doc["nodes"]) == 7
    again = client.post("/api/workflows/import-knime", params={"name": archive.name}, content=raw)
    assert again.status_code == 409  # never overwrites a workflow
    bad = client.post(
        "/api/workflows/import-knime", params={"name": "x.knwf", "path": "../x.yaml"}, content=raw
    )
    assert bad.status_code in (403, 404)
    junk = client.post("/api/workflows/import-knime", params={"name": "junk.knwf"}, content=b"not a zip")
    assert junk.status_code == 400 and "junk.knwf" in junk.json()["detail"]


# ------------------------------------------------------------------------------------ execution


def test_run_states_outputs_and_failure_isolation(client: TestClient) -> None:
    s = run_all(client)
    st = s["statuses"]
    assert st["1"]["state"] == st["2"]["state"] == st["3"]["state"] == st["6"]["state"] == "executed"
    assert st["4"]["error"] == "toy failure" and st["4"]["state"] == "configured"
    assert st["5"]["state"] != "executed"  # downstream of the failure
    assert st["3"]["ports"] == [
        {"port": 1, "kind": "table", "rows": 2, "columns": 2},
        {"port": 2, "kind": "table", "rows": 1, "columns": 3},
    ]
    page = client.get("/api/workflow/port", params={"path": "demo.yaml", "id": 3, "port": 2}).json()
    assert page["columns"][0] == {"name": "Accuracy", "type": "Double"} and page["rows"] == [[0.75, 0.25, 3]]
    page = client.get(
        "/api/workflow/port",
        params={"path": "demo.yaml", "id": 2, "port": 1, "sort": "y", "desc": True, "limit": 2},
    ).json()
    assert (
        page["row_ids"] == ["Row3", "Row2"] and page["total_rows"] == 4 and page["rows"][0][:2] == [1.0, 1.0]
    )
    var = client.get("/api/workflow/port", params={"path": "demo.yaml", "id": 2, "port": 0}).json()
    assert {"name": "normalized_columns", "type": "Integer", "value": 2} in var["variables"]
    model = client.get("/api/workflow/port", params={"path": "demo.yaml", "id": 2, "port": 2}).json()
    assert model["kind"] == "model" and "minmax" in model["summary"]
    none = client.get("/api/workflow/port", params={"path": "demo.yaml", "id": 5, "port": 1}).json()
    assert none["kind"] == "none" and "Execute" in none["message"]
    # a layout edit keeps results; a settings change resets the node and its successors only
    s = cmd(client, {"op": "move", "positions": {"1": [90, 90]}}).json()["state"]
    assert s["statuses"]["3"]["state"] == "executed"
    s = cmd(client, {"op": "set_settings", "node": 2, "settings": {"columns": ["x"]}}).json()["state"]
    assert s["statuses"]["1"]["state"] == "executed" and s["statuses"]["6"]["state"] == "executed"
    assert s["statuses"]["2"]["state"] == s["statuses"]["3"]["state"] == "configured"
    # execute one node: only what it needs runs
    s = run_all(client, [2])
    assert s["statuses"]["2"]["state"] == "executed" and s["statuses"]["3"]["state"] == "configured"
    # reset a node: it and its successors go back to yellow
    r = client.post("/api/workflow/reset", params={"path": "demo.yaml"}, json={"nodes": [1]})
    st = r.json()["state"]["statuses"]
    assert {st[k]["state"] for k in ("1", "2", "6")} == {"configured"}


def test_view_images_and_variable_ports(client: TestClient) -> None:
    cmd(
        client,
        {
            "op": "batch",
            "commands": [
                {"op": "add_node", "type": "etest_plot", "id": 20, "position": [500, 100]},
                {"op": "connect", "source": 1, "source_port": 1, "dest": 20, "dest_port": 1},
                {
                    "op": "add_node",
                    "type": "toy_push",
                    "id": 21,
                    "position": [500, 200],
                    "settings": {"name": "k", "value": 3},
                },
            ],
        },
    )
    s = run_all(client, [20, 21])
    assert s["statuses"]["20"]["ports"] == [{"port": 1, "kind": "view", "title": "Rows"}]
    page = client.get("/api/workflow/port", params={"path": "demo.yaml", "id": 20, "port": 1}).json()
    assert page == {"kind": "view", "title": "Rows", "image": True}
    img = client.get("/api/workflow/image", params={"path": "demo.yaml", "id": 20, "port": 1})
    assert img.headers["content-type"] == "image/png" and img.content.startswith(b"\x89PNG")
    params = {"path": "demo.yaml", "id": 20, "port": 1}
    raster = client.get("/api/workflow/image", params={**params, "format": "svg"})  # a PNG-only view
    assert raster.headers["content-type"] == "image/png" and raster.content == img.content
    assert client.get("/api/workflow/image", params={**params, "format": "gif"}).status_code == 422
    pushed = client.get("/api/workflow/port", params={"path": "demo.yaml", "id": 21, "port": 1}).json()
    assert (
        pushed["kind"] == "variables" and {"name": "k", "type": "Double", "value": 3.0} in pushed["variables"]
    )
    assert (
        client.get("/api/workflow/image", params={"path": "demo.yaml", "id": 1, "port": 1}).status_code == 404
    )


def test_websocket_streams_states(client: TestClient) -> None:
    with wsconnect(client, "/api/ws?path=demo.yaml") as sock:
        first = sock.receive_json()
        assert first["type"] == "workflow" and first["version"] == 0
        client.post("/api/workflow/execute", params={"path": "demo.yaml"}, json={})
        seen: list[tuple[int, str]] = []
        while True:
            msg = sock.receive_json()
            if msg["type"] == "node":
                seen.append((msg["id"], msg["status"]["state"]))
            if msg["type"] == "run" and not msg["running"]:
                break
        assert (3, "executed") in seen and (1, "executing") in seen
        assert msg["statuses"]["3"]["state"] == "executed"
        cmd(client, {"op": "rename", "node": 1, "name": "R"})
        msg = sock.receive_json()
        assert msg["type"] == "workflow" and msg["doc"]["nodes"][0]["name"] == "R"


def test_loop_iterations_are_reported(ws: Path) -> None:
    (ws / "loop.yaml").write_text("""\
format: knitflow/1
name: loop
nodes:
  - {id: 1, type: toy_range, settings: {n: 2}}
  - {id: 2, type: toy_count_loop, settings: {count: 4}}
  - {id: 3, type: toy_sleep, settings: {seconds: 0.01}}
  - {id: 4, type: toy_loop_end}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1"]
""")
    client = TestClient(create_app(ws), base_url=BASE)
    with wsconnect(client, "/api/ws?path=loop.yaml") as sock:
        sock.receive_json()
        client.post("/api/workflow/execute", params={"path": "loop.yaml"}, json={"nodes": [4]})
        iterations = set()
        while True:
            msg = sock.receive_json()
            if msg["type"] == "node" and msg["status"].get("iteration"):
                iterations.add(tuple(msg["status"]["iteration"]))
            if msg["type"] == "run" and not msg["running"]:
                break
    assert {(i, 4) for i in range(4)} <= iterations
    assert msg["statuses"]["4"]["state"] == "executed"
    page = client.get("/api/workflow/port", params={"path": "loop.yaml", "id": 4, "port": 1}).json()
    assert page["total_rows"] == 8


def test_editing_waits_for_a_run(client: TestClient, ws: Path) -> None:
    (ws / "slow.yaml").write_text("""\
format: knitflow/1
name: slow
nodes:
  - {id: 1, type: toy_range}
  - {id: 2, type: toy_sleep, settings: {seconds: 0.6}}
connections: ["1:1 -> 2:1"]
""")
    client.post("/api/workflow/execute", params={"path": "slow.yaml"}, json={})
    r = cmd(client, {"op": "set_settings", "node": 2, "settings": {"seconds": 1}}, path="slow.yaml")
    assert r.status_code == 409 and "executing" in r.json()["detail"]
    assert cmd(client, {"op": "move", "positions": {"2": [10, 10]}}, path="slow.yaml").status_code == 200
    assert client.post("/api/workflow/execute", params={"path": "slow.yaml"}, json={}).status_code == 409
    client.post("/api/workflow/cancel", params={"path": "slow.yaml"})
    deadline = time.time() + 5
    while state(client, "slow.yaml")["running"] and time.time() < deadline:
        time.sleep(0.02)
    assert not state(client, "slow.yaml")["running"]


# ------------------------------------------------------------------------------------- security


@pytest.mark.parametrize(
    "bad",
    [
        "../demo.yaml",
        "../../etc/passwd.yaml",
        "/etc/passwd.yaml",
        "sub/../../x.yaml",
        "..\\x.yaml",
        "C:/x.yaml",
    ],
)
def test_paths_outside_the_workspace_are_refused(client: TestClient, bad: str) -> None:
    assert client.get("/api/workflow", params={"path": bad}).status_code in (403, 404)
    assert client.post("/api/workflows", json={"path": bad}).status_code in (403, 404)
    assert cmd(client, {"op": "rename", "node": 1, "name": "x"}, path=bad).status_code in (403, 404)


def test_symlink_escape_and_file_listing(client: TestClient, ws: Path) -> None:
    (ws / "link.yaml").symlink_to(ws.parent / "secret.csv")
    assert client.get("/api/workflow", params={"path": "link.yaml"}).status_code == 403
    assert client.get("/api/workflow", params={"path": "data.csv"}).status_code == 400
    assert client.get("/api/files", params={"root": "workspace", "path": ".."}).status_code == 403
    assert client.get("/api/files", params={"root": "workspace", "path": "/etc"}).status_code == 403
    listing = client.get("/api/files", params={"root": "data0", "workflow": "demo.yaml"}).json()
    assert [e["value"] for e in listing["entries"]] == ["../data/shared.csv"]
    names = [e["name"] for e in client.get("/api/files", params={"root": "workspace"}).json()["entries"]]
    assert "secret.csv" not in names and "demo.yaml" in names


def test_reader_paths_are_confined(client: TestClient) -> None:
    for path, ok in [
        ("../secret.csv", False),
        ("/etc/hostname", False),
        ("file:///etc/hostname", False),
        ("../data/shared.csv", True),
        ("data.csv", True),
    ]:
        r = cmd(client, {"op": "set_settings", "node": 1, "settings": {"path": path}})
        st = r.json()["state"]["statuses"]["1"]
        if ok:
            assert st["state"] == "configured", (path, st)
        else:
            assert st["state"] == "idle" and ("outside" in st["error"] or "URL" in st["error"]), (path, st)
    # a flow variable cannot smuggle a path out either
    cmd(client, {"op": "set_workflow", "variables": {"where": "../secret.csv"}})
    r = cmd(
        client,
        {
            "op": "set_settings",
            "node": 1,
            "settings": {"path": "data.csv"},
            "use_variables": {"path": "where"},
        },
    )
    assert "outside" in (r.json()["state"]["statuses"]["1"]["error"] or "")
    assert (
        client.post("/api/workflow/execute", params={"path": "demo.yaml"}, json={"nodes": [1]}).status_code
        == 409
    )


def test_foreign_origin_and_host_are_refused(client: TestClient) -> None:
    v0 = state(client)["version"]
    evil = {"Origin": "http://evil.example"}
    assert cmd(client, {"op": "rename", "node": 1, "name": "pwned"}, headers=evil).status_code == 403
    assert (
        client.post("/api/workflow/execute", params={"path": "demo.yaml"}, json={}, headers=evil).status_code
        == 403
    )
    assert (
        client.post(
            "/api/workflow/save", params={"path": "demo.yaml"}, json={}, headers={"Origin": "null"}
        ).status_code
        == 403
    )
    assert (
        cmd(
            client, {"op": "rename", "node": 1, "name": "x"}, headers={"Sec-Fetch-Site": "cross-site"}
        ).status_code
        == 403
    )
    assert state(client)["version"] == v0
    # the page's own origin is fine
    assert cmd(client, {"op": "rename", "node": 1, "name": "ok"}, headers={"Origin": BASE}).status_code == 200
    # DNS rebinding: a loopback server answers loopback Host names only
    assert client.get("/api/workflows", headers={"Host": "evil.example:8765"}).status_code == 403
    with pytest.raises(WebSocketDisconnect):
        with wsconnect(client, "/api/ws?path=demo.yaml", {"origin": "http://evil.example"}) as sock:
            sock.receive_json()


def test_token_is_required_off_loopback(ws: Path) -> None:
    app = create_app(ws, token="s3cret", loopback_only=False)
    c = TestClient(app, base_url="http://10.0.0.5:8765")
    assert c.get("/api/workflows").status_code == 401
    assert c.get("/api/workflows", params={"token": "wrong"}).status_code == 401
    assert c.get("/api/workflows", headers={"X-Knitflow-Token": "s3cret"}).status_code == 200
    assert c.get("/api/workflows", headers={"Authorization": "token s3cret"}).status_code == 200
    r = c.get("/", params={"token": "s3cret"}, follow_redirects=False)
    assert r.status_code == 303 and "knitflow_token=s3cret" in r.headers["set-cookie"]
    c.cookies.set("knitflow_token", "s3cret")
    assert c.get("/api/workflows").status_code == 200
    assert c.get("/").status_code == 200


def test_render_svg(ws: Path) -> None:
    doc, _, _ = parse_document((ws / "demo.yaml").read_text(), "demo.yaml")
    assert doc is not None
    svg = render_svg(doc, {1: "executed", 4: "idle"})
    assert svg.startswith("<svg") and svg.count('class="node"') == 6
    assert "CSV Reader (test)" in svg and svg.count('class="link') == 5


def test_executed_predecessors_are_kept(ws: Path) -> None:
    """Executing a successor must not re-run an executed randomised node without a seed."""
    (ws / "rand.yaml").write_text("""\
format: knitflow/1
name: rand
nodes:
  - {id: 1, type: toy_random}
  - {id: 2, type: toy_add, settings: {column: r}}
connections: ["1:1 -> 2:1"]
""")
    client = TestClient(create_app(ws), base_url=BASE)
    run_all(client, [1], path="rand.yaml")
    first = client.get("/api/workflow/port", params={"path": "rand.yaml", "id": 1, "port": 1}).json()["rows"]
    s = run_all(client, [2], path="rand.yaml")
    assert s["statuses"]["1"]["state"] == "executed" and s["statuses"]["1"]["cached"]
    again = client.get("/api/workflow/port", params={"path": "rand.yaml", "id": 1, "port": 1}).json()["rows"]
    plus = client.get("/api/workflow/port", params={"path": "rand.yaml", "id": 2, "port": 1}).json()["rows"]
    assert again == first and [round(r[0] - 1, 12) for r in plus] == [round(r[0], 12) for r in first]
    # after a reset it is drawn anew
    client.post("/api/workflow/reset", params={"path": "rand.yaml"}, json={"nodes": [1]})
    run_all(client, [1], path="rand.yaml")
    assert (
        client.get("/api/workflow/port", params={"path": "rand.yaml", "id": 1, "port": 1}).json()["rows"]
        != first
    )


def test_engine_hooks_and_cache_discard(tmp_path: Path) -> None:
    """The public hooks the server is built on: settings checks, a configure wrapper, kept results,
    and discarding cached results."""
    from engine.api import NodeError
    from engine.core.cache import MemoryCache
    from engine.core.scheduler import CompiledWorkflow, Execution, ExecutionHooks

    doc, _, _ = parse_document(
        """\
format: knitflow/1
name: hooks
nodes:
  - {id: 1, type: toy_range, settings: {n: 4}}
  - {id: 2, type: toy_add}
  - {id: 3, type: toy_add}
connections: ["1:1 -> 2:1", "2:1 -> 3:1"]
""",
        "hooks.yaml",
    )
    assert doc is not None
    compiled = CompiledWorkflow(doc, tmp_path)

    class Hooks(ExecutionHooks):
        def __init__(self) -> None:
            self.configured: list[int] = []
            self.kept: dict[int, Any] = {}

        def check_settings(self, node_id: int, node_type: Any, settings: Any, base_dir: Path) -> None:
            if node_id == 3:
                raise NodeError("refused by the client", setting="column")

        def configure(self, node_id: int, in_specs: list[Any], call: Any) -> list[Any]:
            self.configured.append(node_id)
            return call()

        def kept_result(self, node_id: int) -> Any:
            return self.kept.get(node_id)

    hooks, cache = Hooks(), MemoryCache()
    st = Execution(compiled, hooks=hooks, cache=cache).run()
    assert st[1].state == st[2].state == "executed" and st[3].error == "refused by the client"
    assert st[3].setting == "column" and {1, 2} <= set(hooks.configured)
    # a kept result is shown instead of executing the node again
    hooks.kept = {1: st[1]}
    again = Execution(compiled, hooks=hooks, cache=cache).run()
    assert (
        again[1].cached
        and again[1].reason.startswith("unchanged (kept")
        and again[1].outputs == st[1].outputs
    )
    assert again[2].cached and again[2].reason == "unchanged"
    # a discarded result is computed again
    assert cache.discard(str(st[2].key), "no-such-key") == 1
    third = Execution(compiled, hooks=hooks, cache=cache).run()
    assert not third[2].cached and third[2].state == "executed"
