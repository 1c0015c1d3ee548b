"""Metanodes and components (#18): graphs inside a node in the workflow file, run as one graph
with KNIME's path ids (12:3:5), a component's configuration as flow variables inside, and a
component shared by two workflows through a link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main as cli_main
from engine.core.document import WorkflowLoadError, read_document
from engine.core.document_saving import write_document
from engine.core.metanodes import id_of_path, link_version, path_of
from engine.core.workflow import Workflow

NESTED = """format: knitflow/1
name: nested
nodes:
  - id: 1
    type: table_creator
    settings:
      columns: [{name: x, type: Double}]
      rows: [['1'], ['2'], ['3'], ['4']]
  - id: 2
    type: metanode
    name: Prepare
    workflow:
      inputs: [{name: data}]
      outputs: [{name: prepared}]
      nodes:
        - id: 1
          type: math_formula
          settings: {expression: '$x$ * 2', new_column_name: y}
        - id: 2
          type: metanode
          name: Keep large
          workflow:
            inputs: [{name: data}]
            outputs: [{name: kept}]
            nodes:
              - id: 1
                type: row_filter
                settings: {predicates: ['$y > 2']}
            connections: ['in:1 -> 1:1', '1:1 -> out:1']
      connections: ['in:1 -> 1:1', '1:1 -> 2:1', '2:1 -> out:1']
  - id: 5
    type: table_creator
    settings:
      columns: [{name: k, type: Integer}]
      rows: [['1'], ['2']]
  - id: 3
    type: table_row_to_variable_loop_start
  - id: 4
    type: component
    name: Scale
    settings: {factor: 2.0, label: scaled}
    workflow:
      description: Scales y by a factor and shifts it.
      configuration:
        - {name: factor, type: double, default: 1.5}
        - {name: offset, type: integer, default: 0}
        - {name: label, type: string, default: plain}
      inputs: [{name: data}]
      outputs: [{name: scaled}]
      nodes:
        - id: 1
          type: math_formula
          settings: {expression: '$y$ * $${Dfactor}$$ + $${Ioffset}$$ + $${Ik}$$', new_column_name: z}
      connections: ['in:1 -> 1:1', '1:1 -> out:1']
  - id: 6
    type: loop_end
connections:
  - 1:1 -> 2:1
  - 5:1 -> 3:1
  - 2:1 -> 4:1
  - 3:1 -> 4:0
  - 4:1 -> 6:1
"""


def _load(tmp_path: Path, text: str = NESTED, name: str = "nested.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_path_ids() -> None:
    assert path_of(id_of_path("12:3:5")) == "12:3:5" and id_of_path("7") == 7 and path_of(7) == "7"


def test_a_nested_metanode_and_a_component_in_a_loop_run(tmp_path: Path) -> None:
    result = Workflow.load(_load(tmp_path)).run()
    assert result.ok, [(path_of(s.id), s.error) for s in result.failed()]
    assert result.output(6)["z"].tolist() == [9.0, 13.0, 17.0, 10.0, 14.0, 18.0]
    # inner nodes by KNIME's path: 2:2:1 is the Row Filter inside "Keep large" inside "Prepare"
    assert result.output(id_of_path("2:2:1"))["y"].tolist() == [4.0, 6.0, 8.0]
    inner = result.output(id_of_path("4:1"), 0)
    assert (inner["factor"], inner["offset"], inner["label"], inner["k"]) == (2.0, 0, "scaled", 2)


def test_run_json_and_until_speak_paths(tmp_path: Path) -> None:
    path, out = _load(tmp_path), tmp_path / "out"
    assert cli_main(["run", str(path), "--until", "2:2:1", "--out", str(out), "--quiet"]) == 0
    run = json.loads((out / "run.json").read_text())
    by_path = {n.get("path", str(n["id"])): n for n in run["nodes"]}
    assert by_path["2:2:1"]["state"] == "executed" and by_path["2:1"]["state"] == "executed"
    assert by_path["4:1"]["state"] != "executed"  # not needed for 2:2:1


def test_errors_name_the_inner_node_and_its_line(tmp_path: Path) -> None:
    broken = NESTED.replace("predicates: ['$y > 2']", "predicates: ['$nope > 2']")
    path = _load(tmp_path, broken)
    assert cli_main(["validate", str(path)]) == 2
    wrong_option = NESTED.replace("settings: {factor: 2.0, label: scaled}", "settings: {factr: 2.0}")
    with pytest.raises(WorkflowLoadError) as err:
        read_document(_load(tmp_path, wrong_option, "w.yaml"))
    text = str(err.value)
    assert "no configuration option 'factr'" in text and "w.yaml:41" in text, text
    wrong_type = NESTED.replace("factor: 2.0,", "factor: big,")
    with pytest.raises(WorkflowLoadError, match="option 'factor' must be double"):
        read_document(_load(tmp_path, wrong_type, "t.yaml"))


def test_unknown_inner_type_is_located(tmp_path: Path) -> None:
    text = NESTED.replace("type: row_filter", "type: row_filtre")
    with pytest.raises(WorkflowLoadError) as err:
        read_document(_load(tmp_path, text))
    message = str(err.value)
    assert "node #2:2:1" in message and "row_filtre" in message and "nested.yaml:27" in message, message


def test_saving_keeps_the_structure(tmp_path: Path) -> None:
    from engine.core.document import parse_document

    doc, _, problems = parse_document(NESTED, "nested.yaml")
    assert doc is not None and not problems
    out = tmp_path / "saved.yaml"
    write_document(doc, out)
    again, _, problems = parse_document(out.read_text(), "saved.yaml")
    assert again is not None and not problems
    assert "in:1 -> 1:1" in out.read_text() and "type: metanode" in out.read_text()
    write_document(again, tmp_path / "twice.yaml")
    assert (tmp_path / "twice.yaml").read_text() == out.read_text()  # canonical: diff-clean


SHARED = """workflow:
  description: Adds a constant, shared by two workflows.
  configuration:
    - {name: add, type: integer, default: 1}
  inputs: [{name: data}]
  outputs: [{name: result}]
  nodes:
    - id: 1
      type: math_formula
      settings: {expression: '$x$ + $${Iadd}$$', new_column_name: plus}
  connections: ['in:1 -> 1:1', '1:1 -> out:1']
"""

USER = """format: knitflow/1
name: {name}
nodes:
  - id: 1
    type: table_creator
    settings:
      columns: [{{name: x, type: Double}}]
      rows: [['1'], ['2']]
  - id: 2
    type: component
    name: Add
    link: shared/add.yaml
    link_version: {version}
    settings: {{add: {add}}}
connections:
  - 1:1 -> 2:1
"""


def test_a_linked_component_is_shared_by_two_workflows(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    shared = tmp_path / "shared" / "add.yaml"
    shared.write_text(SHARED)
    version = link_version(shared)
    a = _load(tmp_path, USER.format(name="a", version=version, add=10), "a.yaml")
    b = _load(tmp_path, USER.format(name="b", version=version, add=100), "b.yaml")
    ra, rb = Workflow.load(a).run(), Workflow.load(b).run()
    assert ra.output(id_of_path("2:1"))["plus"].tolist() == [11.0, 12.0]
    assert rb.output(id_of_path("2:1"))["plus"].tolist() == [101.0, 102.0]
    assert ra.warnings == [] and rb.warnings == []
    # the shared file changes: both pick it up, and are told that their link is out of date
    shared.write_text(SHARED.replace("$x$ + $${Iadd}$$", "$x$ - $${Iadd}$$"))
    again = Workflow.load(a).run()
    assert again.output(id_of_path("2:1"))["plus"].tolist() == [-9.0, -8.0]
    assert any("linked component shared/add.yaml changed" in w for w in again.warnings), again.warnings


def test_render_draws_containers_as_boxes_or_expanded(tmp_path: Path) -> None:
    path = _load(tmp_path)
    boxes, expanded = tmp_path / "boxes.svg", tmp_path / "expanded.svg"
    assert cli_main(["render", str(path), "-o", str(boxes)]) == 0
    assert cli_main(["render", str(path), "-o", str(expanded), "--expand"]) == 0
    drawn = boxes.read_text()
    assert drawn.count('class="node"') == 6 and "#9e9e9e" in drawn and "#5c5c5c" in drawn
    assert expanded.read_text().count('class="node"') == 7 and "Keep large" not in expanded.read_text()


def test_the_editor_runs_containers_and_shows_their_worst_light(tmp_path: Path) -> None:
    """The editor opens the file as written (containers as nodes) and runs them as one graph; a
    container's light is the worst of its nodes' (KNIME's aggregate state)."""
    from fastapi.testclient import TestClient
    from test_server import BASE, run_all, state

    from engine.editor.app import create_app

    ws = tmp_path / "flows"
    ws.mkdir()
    (ws / "nested.yaml").write_text(NESTED)
    client = TestClient(create_app(ws, data_dirs=[tmp_path]), base_url=BASE)
    before = state(client, "nested.yaml")["statuses"]
    assert before["2"]["state"] == "configured" and before["4"]["state"] == "configured"
    after = run_all(client, path="nested.yaml")["statuses"]
    assert {k: after[k]["state"] for k in ("1", "2", "3", "4", "5", "6")} == dict.fromkeys(
        "123456", "executed"
    )
    broken = NESTED.replace("'$y$ * $${Dfactor}$$", "'$nope$ * $${Dfactor}$$")
    (ws / "broken.yaml").write_text(broken)
    shown = state(client, "broken.yaml")["statuses"]
    assert shown["4"]["state"] == "idle" and "#4:1" in (shown["4"]["error"] or ""), shown["4"]
    assert shown["2"]["state"] == "configured"


def test_the_editor_runs_a_linked_component_in_two_workflows(tmp_path: Path) -> None:
    """Both workflows that share a component file run in the editor, each with its own values."""
    from fastapi.testclient import TestClient
    from test_server import BASE, run_all

    from engine.editor.app import create_app

    ws = tmp_path / "flows"
    (ws / "shared").mkdir(parents=True)
    shared = ws / "shared" / "add.yaml"
    shared.write_text(SHARED)
    version = link_version(shared)
    (ws / "a.yaml").write_text(USER.format(name="a", version=version, add=10))
    (ws / "b.yaml").write_text(USER.format(name="b", version=version, add=100))
    client = TestClient(create_app(ws, data_dirs=[tmp_path]), base_url=BASE)
    for name, expected in (("a.yaml", [11.0, 12.0]), ("b.yaml", [101.0, 102.0])):
        statuses = run_all(client, path=name)["statuses"]
        assert statuses["2"]["state"] == "executed", statuses["2"]
        page = client.get("/api/workflow/port", params={"path": name, "id": id_of_path("2:1"), "port": 1})
        assert page.status_code == 200, page.text
        assert [row[-1] for row in page.json()["rows"]] == expected
