"""IF Switch and End IF with KNIME's inactive branches: the branch not taken is skipped node by
node (a loop on it whole), End IF passes the active table on or appends both."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import INACTIVE, ColumnType, ConfigureError, NodeError, Table
from engine.core.status import EXECUTED
from engine.core.testing import configure_node, run_node
from engine.core.workflow import Workflow

WORKFLOW = """format: knitflow/1
name: branches
variables: {choice: top}
nodes:
  - id: 1
    type: table_creator
    settings:
      columns: [{name: x, type: Integer}]
      rows: [['1'], ['2'], ['3']]
  - id: 2
    type: if_switch
    use_variables: {PortChoice: choice}
    settings: {activate_all_outputs_during_configure: false}
  - id: 3
    type: math_formula
    settings: {expression: '$x$ * 10', new_column_name: y, convert_to_int: true}
  - id: 4
    type: math_formula
    settings: {expression: '$x$ + 100', new_column_name: y, convert_to_int: true}
  - id: 5
    type: counting_loop_start
    settings: {loops: 2}
  - id: 6
    type: loop_end
  - id: 7
    type: end_if
connections:
  - 1:1 -> 2:1
  - 2:1 -> 3:1
  - 2:2 -> 5:1
  - 5:1 -> 4:1
  - 4:1 -> 6:1
  - 3:1 -> 7:1
  - 6:1 -> 7:2
"""


def test_the_branch_not_taken_is_skipped_and_end_if_passes_the_other_on() -> None:
    result = Workflow.from_text(WORKFLOW).run()
    assert result.ok
    assert result.output(7)["y"].tolist() == [10, 20, 30]
    for skipped in (4, 5, 6):  # the bottom branch, its loop whole
        assert result.status[skipped].state == EXECUTED and result.status[skipped].outputs == [
            INACTIVE
        ] * len(result.status[skipped].outputs)
        assert "inactive" in result.status[skipped].reason
    bottom = Workflow.from_text(WORKFLOW).run(variables={"choice": "bottom"})
    assert bottom.ok and bottom.status[3].outputs == [INACTIVE]
    # the loop ran twice over the three rows, with the loop end's Iteration column
    assert bottom.output(7)["y"].tolist() == [101, 102, 103] * 2


def test_a_branch_inactive_at_configure_is_not_checked() -> None:
    broken = WORKFLOW.replace("'$x$ + 100'", "'$nope$ + 100'")
    result = Workflow.from_text(broken).run()  # the bottom branch never configures: no error
    assert result.ok and result.output(7)["y"].tolist() == [10, 20, 30]
    assert not Workflow.from_text(broken).run(variables={"choice": "bottom"}).ok


def test_both_branches_active_are_appended() -> None:
    top = Table.from_frame(pd.DataFrame({"x": [1, 2]}, index=["Row0", "Row1"]))
    bottom = Table.from_frame(pd.DataFrame({"x": [3]}, index=["Row0"]))
    out = run_node("end_if", {}, top, bottom).outputs[0]
    assert out.row_ids == ["Row0", "Row1", "Row0_dup"] and out.df["x"].tolist() == [1, 2, 3]
    skip = run_node("end_if", {"append_suffix": False}, top, bottom)
    assert skip.outputs[0].row_ids == ["Row0", "Row1"] and any(
        "Filtered out 1 duplicate" in w for w in skip.warnings
    )
    assert run_node("end_if", {}, INACTIVE, bottom).outputs[0].df["x"].tolist() == [3]
    assert run_node("end_if", {}, INACTIVE, INACTIVE).outputs == [INACTIVE]
    other = Table.from_frame(pd.DataFrame({"z": ["a"]}), {"z": ColumnType.STRING})
    with pytest.raises(ConfigureError, match="not compatible"):
        configure_node("end_if", {}, top.spec, other.spec)
    with pytest.raises(NodeError, match="not compatible"):
        run_node("end_if", {}, top, other)


def test_if_switch_ports_and_configure() -> None:
    table = Table.from_frame(pd.DataFrame({"x": [1]}))
    assert run_node("if_switch", {"PortChoice": "both"}, table).outputs[1].df["x"].tolist() == [1]
    assert run_node("if_switch", {"PortChoice": "top"}, table).outputs[1] is INACTIVE
    assert run_node("if_switch", {"PortChoice": "bottom"}, table).outputs[0] is INACTIVE
    assert configure_node("if_switch", {"PortChoice": "top"}, table.spec) == [table.spec, table.spec]
    lazy = {"PortChoice": "top", "activate_all_outputs_during_configure": False}
    assert configure_node("if_switch", lazy, table.spec) == [table.spec, INACTIVE]


def test_knime_mappings(tmp_path: Path) -> None:
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.base.node.switches.manualif.ManualIfNodeFactory",
        {"PortChoice": "sideways", "activate_all_outputs_during_configure": False},
    )
    assert node.type == "if_switch" and findings(report) == [] and node.settings["PortChoice"] == "both"
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.base.node.switches.endif.EndifNodeFactory",
        {"append_suffix": True, "suffix": "_x", "enable_hiliting": False},
    )
    assert node.type == "end_if" and findings(report) == [] and node.settings["suffix"] == "_x"


CASE_WORKFLOW = """format: knitflow/1
name: cases
variables: {case: 1}
nodes:
  - id: 1
    type: table_creator
    settings:
      columns: [{name: x, type: Integer}]
      rows: [['1'], ['2']]
  - id: 2
    type: case_switch_start
    use_variables: {PortIndex: case}
    settings: {output_ports: 4}
  - id: 3
    type: math_formula
    settings: {expression: '$x$ * 10', new_column_name: y, convert_to_int: true}
  - id: 4
    type: math_formula
    settings: {expression: '$x$ * 20', new_column_name: y, convert_to_int: true}
  - id: 5
    type: case_switch_end
    settings: {input_ports: 4}
connections:
  - 1:1 -> 2:1
  - 2:1 -> 3:1
  - 2:2 -> 4:1
  - 3:1 -> 5:1
  - 4:1 -> 5:2
"""


def test_case_switch_runs_the_chosen_branch_only() -> None:
    result = Workflow.from_text(CASE_WORKFLOW).run()
    assert result.ok and result.output(5)["y"].tolist() == [20, 40]
    assert result.status[3].outputs == [INACTIVE]
    first = Workflow.from_text(CASE_WORKFLOW).run(variables={"case": 0})
    assert first.output(5)["y"].tolist() == [10, 20]
    # a branch nothing is connected to: the end's output is inactive
    nowhere = Workflow.from_text(CASE_WORKFLOW).run(variables={"case": 3})
    assert nowhere.ok and nowhere.status[5].outputs == [INACTIVE]
    with pytest.raises(ConfigureError, match="Invalid output port “4”"):
        configure_node(
            "case_switch_start",
            {"PortIndex": 4, "output_ports": 4},
            Table.from_frame(pd.DataFrame({"x": [1]})).spec,
        )


def test_case_switch_end_with_several_active_inputs() -> None:
    a = Table.from_frame(pd.DataFrame({"x": [1]}, index=["Row0"]))
    b = Table.from_frame(pd.DataFrame({"x": [2]}, index=["Row0"]))
    merged = run_node("case_switch_end", {}, a, INACTIVE, b).outputs[0]
    assert merged.row_ids == ["Row0", "Row0_dup"] and merged.df["x"].tolist() == [1, 2]
    first = run_node("case_switch_end", {"multipleActiveHandling": "UseFirstActive"}, INACTIVE, b, a).outputs[
        0
    ]
    assert first.df["x"].tolist() == [2]
    with pytest.raises(NodeError, match="Multiple inputs are active"):
        run_node("case_switch_end", {"multipleActiveHandling": "Fail"}, a, b, None)


def test_case_switch_mappings(tmp_path: Path) -> None:
    from test_knime_import import config

    table = {"object_class": "org.knime.core.node.BufferedDataTable"}
    creation = config(
        "node_creation_config",
        Input={"port_0": table},
        Output={"port_0": table, "port_1": table, "port_2": table, "port_3": table, "port_4": table},
    )
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.base.node.switches.caseswitch.any.CaseStartAnyNodeFactory",
        {"PortIndex": "2", "activate_all_outputs_during_configure": False},
        extra=creation,
    )
    assert node.type == "case_switch_start" and findings(report) == []
    assert node.settings["PortIndex"] == 2 and node.settings["output_ports"] == 5
    model = {"object_class": "org.knime.core.node.port.pmml.PMMLPortObject"}
    models = config(
        "node_creation_config", Input={"port_0": model}, Output={"port_0": model, "port_1": model}
    )
    _, report, _ = import_fragment(
        tmp_path,
        "org.knime.base.node.switches.caseswitch.any.CaseStartAnyNodeFactory",
        {"PortIndex": "0"},
        extra=models,
    )
    assert any("other than data tables" in f for f in findings(report))
    ends = config("node_creation_config", Input={"port_0": table, "port_1": table}, Output={"port_0": table})
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.base.node.switches.caseswitch.any.CaseEndAnyNodeFactory",
        {
            "append_suffix": True,
            "suffix": "_dup",
            "enable_hiliting": False,
            "multipleActiveHandling": "Merge",
        },
        extra=ends,
    )
    assert node.type == "case_switch_end" and findings(report) == [] and node.settings["input_ports"] == 2
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.switches.startcase.StartcaseNodeFactory", {"PortIndex": "1"}
    )
    assert node.type == "case_switch_start" and findings(report) == [] and node.settings["PortIndex"] == 1


def test_the_editor_runs_branches_and_names_inactive_ports(tmp_path: Path) -> None:
    warnings.filterwarnings("ignore", message=".*httpx2.*")
    pytest.importorskip("fastapi", reason="the editor extra (fastapi) is not installed")
    pytest.importorskip("httpx", reason="httpx is needed by FastAPI's TestClient")
    from fastapi.testclient import TestClient
    from test_server import BASE, run_all

    from engine.editor.app import create_app

    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "branches.yaml").write_text(WORKFLOW)
    client = TestClient(create_app(ws, data_dirs=[tmp_path]), base_url=BASE)
    run_all(client, path="branches.yaml")
    skipped = client.get("/api/workflow/port", params={"path": "branches.yaml", "id": 4, "port": 1})
    assert skipped.status_code == 200 and "Inactive branch" in skipped.json()["message"]
    merged = client.get("/api/workflow/port", params={"path": "branches.yaml", "id": 7, "port": 1})
    assert merged.status_code == 200 and merged.json().get("rows")
