"""KNIME's try-catch scopes: a failure between Try and Catch leaves its branch inactive, the Catch
takes its default input and reports the failure in the Failing* variables."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_knime_import import findings, import_fragment

from engine.api import INACTIVE, FailedBranch, is_inactive
from engine.core.status import EXECUTED
from engine.core.workflow import Workflow

WORKFLOW = """format: knitflow/1
name: try catch
nodes:
  - id: 1
    type: table_creator
    settings:
      columns: [{name: x, type: Integer}]
      rows: [['1'], ['2']]
  - id: 2
    type: try_data
  - id: 3
    type: math_formula
    settings: {expression: '$x$ * 10', new_column_name: y, convert_to_int: true}
  - id: 4
    type: math_formula
    settings: {expression: '$y$ + 1', new_column_name: z, convert_to_int: true}
  - id: 5
    type: table_creator
    settings:
      columns: [{name: fallback, type: String}]
      rows: [['used']]
  - id: 6
    type: catch_data
    settings: {CFG_ALWAYS_POPULATE: POPULATE}
  - id: 7
    type: variable_to_table_row
connections:
  - 1:1 -> 2:1
  - 2:1 -> 3:1
  - 3:1 -> 4:1
  - 4:1 -> 6:1
  - 5:1 -> 6:2
"""


def workflow(formula: str, always: bool = False) -> Workflow:
    text = WORKFLOW.replace("'$x$ * 10'", repr(formula)).replace("POPULATE}", str(always).lower() + "}")
    return Workflow.from_text(text)


def test_no_failure_passes_the_original_on() -> None:
    result = workflow("$x$ * 10").run()
    assert result.ok and result.output(6)["z"].tolist() == [11, 21]
    assert "FailingNode" not in result.status[6].variables


def test_a_failure_inside_the_scope_is_caught() -> None:
    result = workflow("$nope$ * 10").run()  # node 3 fails: no column nope
    assert result.ok, {n: s.error for n, s in result.status.items() if s.error}
    failing = result.status[3]
    assert failing.state == EXECUTED and failing.error is None and "try-catch" in failing.reason
    assert isinstance(failing.outputs[0], FailedBranch) and is_inactive(failing.outputs[0])
    assert is_inactive(result.status[4].outputs[0])  # the rest of the branch is inactive
    assert result.output(6)["fallback"].tolist() == ["used"]
    variables = result.status[6].variables
    assert variables["FailingNode"].endswith("#3") and "nope" in variables["FailingNodeMessage"]
    assert variables["FailingNodeDetails"] == variables["FailingNodeMessage"]
    assert "Traceback" in variables["FailingNodeStackTrace"]


def test_always_populate_pushes_the_defaults_when_nothing_failed() -> None:
    result = workflow("$x$ * 10", always=True).run()
    assert result.ok and result.status[6].variables["FailingNode"] == "none"


def test_a_failure_outside_a_scope_still_fails() -> None:
    text = WORKFLOW.replace("type: try_data", "type: row_sampler").replace("'$x$ * 10'", "'$nope$'")
    text = text.replace("POPULATE}", "false}")
    result = Workflow.from_text(text).run()
    assert not result.ok and result.status[3].error


def test_inactive_input_without_failure_takes_the_default_without_variables() -> None:
    from engine.core.testing import run_node

    out = run_node("catch_data", {}, INACTIVE, None)
    assert out[1] is INACTIVE and out.variables == {}


CATCH = {
    "CFG_ALWAYS_POPULATE": True,
    "CFG_PROPAGATE_VARIABLES": True,
    "CFG_DEFAULT_TEXT_VARIABLE": "n/a",
    "CFG_DEFAULT_TEXT_MESSAGE": "no error",
    "CFG_DEFAULT_TEXT_DETAILS": "no details",
    "CFG_DEFAULT_STACK_TRACE": "-",
}


@pytest.mark.parametrize(
    ("factory", "node_type"),
    [
        ("org.knime.base.node.flowcontrol.trycatch.genericcatch.DataPortCatchNodeFactory", "catch_data"),
        (
            "org.knime.base.node.flowcontrol.trycatch.genericcatch.VariablePortCatchNodeFactory",
            "catch_variables",
        ),
    ],
)
def test_catch_imports(tmp_path: Path, factory: str, node_type: str) -> None:
    node, report, _ = import_fragment(tmp_path, factory, CATCH)
    assert node.type == node_type and findings(report) == []
    assert node.settings["CFG_DEFAULT_TEXT_DETAILS"] == "no details" and node.settings["CFG_ALWAYS_POPULATE"]
    older = {
        k: v for k, v in CATCH.items() if k not in ("CFG_PROPAGATE_VARIABLES", "CFG_DEFAULT_TEXT_DETAILS")
    }
    node, report, _ = import_fragment(tmp_path, factory, older)  # KNIME < 4.4 dropped the scope's variables
    assert node.settings["CFG_DEFAULT_TEXT_DETAILS"] == "no error"
    assert len(findings(report)) == 1 and "propagate" in findings(report)[0]


LOOP = """format: knitflow/1
name: try catch around a loop
nodes:
  - id: 1
    type: table_creator
    settings:
      columns: [{name: x, type: Integer}]
      rows: [['1'], ['2']]
  - id: 2
    type: try_data
  - id: 3
    type: counting_loop_start
    settings: {loops: 3}
  - id: 4
    type: math_formula
    settings: {expression: FORMULA, new_column_name: y, convert_to_int: true}
  - id: 5
    type: loop_end
  - id: 6
    type: table_creator
    settings:
      columns: [{name: fallback, type: String}]
      rows: [['used']]
  - id: 7
    type: catch_data
connections:
  - 1:1 -> 2:1
  - 2:1 -> 3:1
  - 3:1 -> 4:1
  - 4:1 -> 5:1
  - 5:1 -> 7:1
  - 6:1 -> 7:2
"""


def test_a_failure_inside_a_loop_inside_the_scope_ends_the_loop_inactive() -> None:
    result = Workflow.from_text(LOOP.replace("FORMULA", "'$nope$ * 10'")).run()
    assert result.ok
    assert is_inactive(result.status[5].outputs[0])  # the loop end on a failed branch ends the loop
    assert result.output(7)["fallback"].tolist() == ["used"]
    assert result.status[7].variables["FailingNode"] == "Math Formula #4"
    fine = Workflow.from_text(LOOP.replace("FORMULA", "'$x$ * 10'")).run()
    assert fine.ok and fine.output(7)["y"].tolist() == [10, 20] * 3


@pytest.mark.parametrize(
    ("factory", "node_type"),
    [
        ("org.knime.base.node.flowcontrol.trycatch.generictry.DataPortTryNodeFactory", "try_data"),
        ("org.knime.base.node.flowcontrol.trycatch.generictry.VariablePortTryNodeFactory", "try_variables"),
    ],
)
def test_try_imports(tmp_path: Path, factory: str, node_type: str) -> None:
    node, report, _ = import_fragment(tmp_path, factory, {})
    assert node.type == node_type and findings(report) == []
    _, report, _ = import_fragment(tmp_path, factory, {"unexpected": 1})
    assert len(findings(report)) == 1
