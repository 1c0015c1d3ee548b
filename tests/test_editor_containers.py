"""Editing metanodes and components in the editor (#18): create one from a selection, edit inside
it (commands scoped to its workflow), expand it, and a component's dialog generated from its
configuration — each one undo step, refused when stale (409), and what runs stays the same."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

warnings.filterwarnings("ignore", message=".*httpx2.*")
pytest.importorskip("fastapi", reason="the editor extra (fastapi) is not installed")
pytest.importorskip("httpx", reason="httpx is needed by FastAPI's TestClient")

from fastapi.testclient import TestClient  # noqa: E402
from test_server import BASE, run_all, state  # noqa: E402

from engine.core.document import parse_document  # noqa: E402
from engine.core.editing import CommandError, Editor  # noqa: E402
from engine.core.metanodes import id_of_path  # noqa: E402
from engine.editor.app import create_app  # noqa: E402

FLOW = """\
format: knitflow/1
name: flow
nodes:
  - id: 1
    type: table_creator
    position: [100, 100]
    settings:
      columns: [{name: x, type: Double}]
      rows: [['1'], ['2'], ['3'], ['4']]
  - id: 2
    type: math_formula
    position: [250, 100]
    settings: {expression: '$x$ * 2', new_column_name: y}
  - id: 3
    type: row_filter
    position: [400, 100]
    settings: {predicates: ['$y > 2']}
  - id: 4
    type: math_formula
    position: [550, 100]
    settings: {expression: '$y$ + 1', new_column_name: z}
connections:
  - 1:1 -> 2:1
  - 2:1 -> 3:1
  - 3:1 -> 4:1
"""


@pytest.fixture()
def client(tmp_path: Path) -> TestClient:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "flow.yaml").write_text(FLOW)
    return TestClient(create_app(ws, data_dirs=[tmp_path]), base_url=BASE)


def cmd(client: TestClient, command: dict[str, Any], version: int | None = None) -> Any:
    body: dict[str, Any] = {"command": command}
    if version is not None:
        body["version"] = version
    return client.post("/api/workflow/command", params={"path": "flow.yaml"}, json=body)


def page(client: TestClient, node: int | str, port: int = 1) -> dict[str, Any]:
    r = client.get("/api/workflow/port", params={"path": "flow.yaml", "id": id_of_path(node), "port": port})
    assert r.status_code == 200, r.text
    return r.json()


def column(data: dict[str, Any], name: str) -> list[Any]:
    i = [c["name"] for c in data["columns"]].index(name)
    return [row[i] for row in data["rows"]]


def conns(doc: dict[str, Any]) -> set[str]:
    return set(map(str, _conns(doc["connections"])))


def _conns(items: list[dict[str, Any]]) -> list[str]:
    def end(n: int, side: str) -> str:
        return side if n == -1 else str(n)

    return [
        f"{end(c['source'], 'in')}:{c['source_port']} -> {end(c['dest'], 'out')}:{c['dest_port']}"
        for c in items
    ]


def node(doc: dict[str, Any], node_id: int) -> dict[str, Any]:
    return next(n for n in doc["nodes"] if n["id"] == node_id)


def test_create_a_metanode_edit_inside_and_expand(client: TestClient) -> None:
    before = run_all(client, path="flow.yaml")
    z_before = column(page(client, 4), "z")
    assert z_before == [5.0, 7.0, 9.0]
    v = before["version"]
    r = cmd(client, {"op": "collapse", "nodes": [2, 3], "kind": "metanode", "name": "Prepare"}, v)
    assert r.status_code == 200, r.text
    assert r.json()["result"] == {"node": 5, "inputs": 1, "outputs": 1}
    doc = r.json()["state"]["doc"]
    meta = node(doc, 5)
    assert conns(doc) == {"1:1 -> 5:1", "5:1 -> 4:1"}
    assert set(_conns(meta["workflow"]["connections"])) == {"in:1 -> 2:1", "2:1 -> 3:1", "3:1 -> out:1"}
    assert [n["position"] for n in meta["workflow"]["nodes"]] == [[250, 100], [400, 100]]  # positions kept
    assert meta["position"] == [325, 100]
    # what runs is the same graph: the metanode's output is the Row Filter's, the light the worst inside
    after = run_all(client, path="flow.yaml")
    assert after["statuses"]["5"]["state"] == "executed"
    assert column(page(client, 4), "z") == z_before and column(page(client, 5), "y") == [4.0, 6.0, 8.0]
    assert column(page(client, "5:3"), "y") == [4.0, 6.0, 8.0]
    # a stale edit is refused as any other command
    r = cmd(client, {"op": "expand", "node": 5}, v)
    assert r.status_code == 409 and "stale" in r.json()["detail"]
    # inside: the same commands, scoped to the metanode's workflow
    r = cmd(
        client,
        {
            "op": "add_node",
            "type": "math_formula",
            "position": [550, 200],
            "scope": "5",
            "settings": {"expression": "$y$ * 10", "new_column_name": "w"},
        },
    )
    assert r.status_code == 200, r.text and r.json()["result"] == {"node": 4}
    assert (
        cmd(
            client, {"op": "connect", "source": 3, "source_port": 1, "dest": 4, "dest_port": 1, "scope": "5"}
        ).status_code
        == 200
    )
    r = cmd(
        client, {"op": "connect", "source": 4, "source_port": 1, "dest": -1, "dest_port": 1, "scope": "5"}
    )
    assert r.json()["result"]["replaced"] == "3:1 -> out:1"  # one connection per port, as outside
    r = cmd(client, {"op": "connect", "source": 4, "source_port": 1, "dest": 2, "dest_port": 1, "scope": "5"})
    assert r.status_code == 409 and "cycle" in r.json()["detail"]
    r = cmd(
        client, {"op": "connect", "source": 4, "source_port": 1, "dest": -1, "dest_port": 2, "scope": "5"}
    )
    assert r.status_code == 409 and "no input port 2" in r.json()["detail"]
    r = cmd(client, {"op": "add_annotation", "text": "x", "bounds": [0, 0, 50, 50], "scope": "5"})
    assert r.status_code == 400 and "top level" in r.json()["detail"]
    run_all(client, path="flow.yaml")
    assert column(page(client, 4), "w") == [40.0, 60.0, 80.0]
    # the dialog of an inner node: found by its path, its input spec through the metanode
    dialog = client.get("/api/workflow/node", params={"path": "flow.yaml", "id": id_of_path("5:4")}).json()
    assert dialog["local"] == 4 and [c["name"] for c in dialog["in_specs"][0]] == ["x", "y"]
    # expand: the inner nodes come back where they were, wired to what fed and took the ports
    s = state(client, "flow.yaml")
    r = cmd(client, {"op": "expand", "node": 5}, s["version"])
    assert r.status_code == 200, r.text
    doc = r.json()["state"]["doc"]
    assert conns(doc) == {"1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 5:1", "5:1 -> 4:1"}
    # placed as they were inside, around where the metanode stood (its centre at (325, 100))
    assert node(doc, 5)["type"] == "math_formula" and node(doc, 5)["position"] == [475, 150]
    assert node(doc, 2)["position"] == [175, 50]
    # one undo step each
    client.post("/api/workflow/undo", params={"path": "flow.yaml"})
    assert node(state(client, "flow.yaml")["doc"], 5)["type"] == "metanode"
    client.post("/api/workflow/redo", params={"path": "flow.yaml"})
    assert node(state(client, "flow.yaml")["doc"], 5)["type"] == "math_formula"


def test_undo_of_create_restores_the_selection(client: TestClient) -> None:
    r = cmd(client, {"op": "collapse", "nodes": [3, 4], "kind": "component"})
    doc = r.json()["state"]["doc"]
    assert node(doc, 5)["type"] == "component" and node(doc, 5)["workflow"]["outputs"] == []
    assert r.json()["state"]["undo_label"] == "collapse"
    client.post("/api/workflow/undo", params={"path": "flow.yaml"})
    s = state(client, "flow.yaml")
    assert conns(s["doc"]) == {"1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1"} and not s["can_undo"]
    assert cmd(client, {"op": "collapse", "nodes": []}).status_code == 400
    assert cmd(client, {"op": "collapse", "nodes": [9]}).status_code == 400
    assert cmd(client, {"op": "expand", "node": 2}).status_code == 400
    assert cmd(client, {"op": "add_node", "type": "math_formula", "scope": "2"}).status_code == 400


def test_a_component_dialog_sets_its_configuration(client: TestClient) -> None:
    r = cmd(client, {"op": "collapse", "nodes": [4], "kind": "component", "name": "Shift"})
    comp = r.json()["result"]["node"]
    options = [
        {"name": "shift", "type": "double", "default": 1.0, "title": "Shift by"},
        {"name": "times", "type": "integer", "default": 1},
        {"name": "label", "type": "string", "default": "plain"},
        {"name": "loud", "type": "boolean", "default": False},
        {"name": "col", "type": "column", "default": "y"},
        {"name": "mode", "type": "choice", "default": "a", "choices": ["a", "b"]},
    ]
    assert cmd(client, {"op": "set_configuration", "node": comp, "options": options}).status_code == 200
    bad = [{"name": "not valid", "type": "integer"}]
    assert cmd(client, {"op": "set_configuration", "node": comp, "options": bad}).status_code == 400
    # the inner formula uses the options as flow variables
    r = cmd(
        client,
        {
            "op": "set_settings",
            "node": 4,
            "scope": str(comp),
            "settings": {"expression": "$y$ + $${Dshift}$$ * $${Itimes}$$", "new_column_name": "z"},
        },
    )
    assert r.status_code == 200, r.text
    dialog = client.get("/api/workflow/node", params={"path": "flow.yaml", "id": comp}).json()
    props = dialog["schema"]["properties"]
    assert {k: p["widget"] for k, p in props.items()} == {
        "shift": "number",
        "times": "number",
        "label": "text",
        "loud": "checkbox",
        "col": "column",
        "mode": "choice",
    }
    assert props["mode"]["enum"] == ["a", "b"] and props["shift"]["title"] == "Shift by"
    assert [c["name"] for c in dialog["in_specs"][0]] == ["x", "y"]  # the column chooser's columns
    v = client.post(
        "/api/workflow/validate",
        params={"path": "flow.yaml", "id": comp},
        json={"settings": {"times": "three", "mode": "c"}},
    ).json()
    assert {e["loc"] for e in v["errors"]} == {"times", "mode"}
    r = cmd(client, {"op": "set_settings", "node": comp, "settings": {"times": 1.5}})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == "times"
    r = cmd(client, {"op": "set_settings", "node": comp, "settings": {"shift": 10, "times": 3, "mode": "b"}})
    assert r.status_code == 200, r.text
    assert node(r.json()["state"]["doc"], comp)["settings"] == {"shift": 10.0, "times": 3, "mode": "b"}
    run_all(client, path="flow.yaml")
    assert column(page(client, f"{comp}:4"), "z") == [34.0, 36.0, 38.0]  # 4 + 10 * 3
    variables = page(client, f"{comp}:4", 0)["variables"]
    assert {v["name"]: v["value"] for v in variables}["mode"] == "b"
    # expanding a configured component keeps its values as workflow variables
    r = cmd(client, {"op": "expand", "node": comp})
    assert r.status_code == 200, r.text
    assert r.json()["state"]["doc"]["variables"]["shift"] == 10.0
    run_all(client, path="flow.yaml")
    assert column(page(client, 4), "z") == [34.0, 36.0, 38.0]


def test_nested_scopes_and_copies(tmp_path: Path) -> None:
    doc, _, problems = parse_document(FLOW, "flow.yaml")
    assert doc is not None and not problems
    ed = Editor(doc)
    outer = ed.execute({"op": "collapse", "nodes": [2, 3, 4]})["node"]
    inner = ed.execute({"op": "collapse", "nodes": [3], "scope": str(outer)})["node"]
    assert ed.doc.node(outer).workflow is not None
    nested = next(n for n in ed.doc.node(outer).workflow.nodes if n.id == inner)
    assert nested.type == "metanode" and {str(c) for c in nested.workflow.connections} == {
        "in:1 -> 3:1",
        "3:1 -> out:1",
    }
    ed.execute({"op": "rename", "node": 3, "name": "Keep", "scope": f"{outer}:{inner}"})
    assert nested.workflow.nodes[0].name == "Keep"
    with pytest.raises(CommandError, match="not a metanode"):
        ed.execute({"op": "rename", "node": 3, "name": "x", "scope": f"{outer}:2"})
    # a copied metanode pastes with its insides
    pasted = ed.execute(
        {"op": "paste", "nodes": [ed.doc.node(outer).model_dump(mode="json")], "offset": [0, 200]}
    )
    copy = ed.doc.node(pasted["nodes"][str(outer)])
    assert copy.type == "metanode" and len(copy.workflow.nodes) == 3
