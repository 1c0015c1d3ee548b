"""KNIME's Local Variable Filter and the engine's hiding variables: a hidden variable is gone for
every node downstream, but only in its own scope (an outer loop's value shows again)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from test_knime_import import config, findings, import_fragment

from engine.api import HIDDEN_VARIABLE_TYPE
from engine.core.testing import run_node
from engine.core.variables import VarEntry, VarStack
from engine.core.workflow import Workflow

FACTORY = "org.knime.base.node.flowvariable.filter.VariableFilterNodeFactory"


def hiding(name: str, scope: tuple[int, ...] = ()) -> VarEntry:
    return VarEntry(name, None, HIDDEN_VARIABLE_TYPE, scope)


def test_a_hiding_entry_removes_the_name_at_the_top_level() -> None:
    stack = VarStack.of({"a": 1, "b": 2}).push([hiding("a")])
    assert dict(stack) == {"b": 2} and stack.entry("a") is None
    assert stack.push([VarEntry("a", 5, "Integer", ())])["a"] == 5  # pushed again after the filter


def test_a_hiding_entry_inside_a_loop_uncovers_the_outer_value() -> None:
    outer = VarStack.of({"a": 1})
    inside = outer.push([VarEntry("a", 7, "Integer", (3,)), VarEntry("c", 8, "Integer", (3,))])
    hidden = inside.push([hiding("a", (3,)), hiding("c", (3,))])
    assert dict(hidden) == {"a": 1}  # the loop's own value is gone, the outer one is back
    assert dict(hidden.without_scope(3)) == {"a": 1}


def test_run_node_passes_its_ports_through_and_reports_what_it_hid() -> None:
    settings = {
        "filter": {"included_names": ["keep"], "enforce_option": "EnforceInclusion"},
        "pass_through": ["table"],
    }
    frame = pd.DataFrame({"x": [1, 2]})
    run = run_node("variable_filter", settings, frame, variables={"keep": 1, "drop": "x", "other": 2.5})
    assert run.hidden == ["drop", "other"] and run.variables == {}
    assert run.df(1)["x"].tolist() == [1, 2]


def test_by_default_every_variable_passes() -> None:
    assert run_node("variable_filter", {}, variables={"a": 1}).hidden == []


WORKFLOW = """format: knitflow/1
name: variable filter
variables: {outer: 1}
nodes:
  - id: 1
    type: variable_creator
    settings:
      newFlowVariables: [{name: kept, type: INTEGER, value: '2'}, {name: dropped, type: STRING, value: x}]
  - id: 2
    type: variable_filter
    settings:
      filter: {mode: WILDCARD, pattern: 'ke*'}
  - id: 3
    type: variable_to_table_row
    settings: {filter: {enforce_option: EnforceExclusion}}
connections:
  - 1:1 -> 2:0
  - 2:0 -> 3:0
"""


def test_downstream_nodes_no_longer_see_the_hidden_variables() -> None:
    result = Workflow.from_text(WORKFLOW).run()
    assert result.ok, result.errors()
    table = result.output(3)
    assert list(table.columns) == ["kept"]  # neither dropped nor the workflow's own `outer`
    assert "dropped" not in result.status[2].variables and result.status[1].variables["dropped"] == "x"


def test_a_setting_bound_to_a_hidden_variable_fails_at_configure_time() -> None:
    text = WORKFLOW.replace(
        "    type: variable_to_table_row\n    settings: {filter: {enforce_option: EnforceExclusion}}\n",
        "    type: variable_creator\n    use_variables: {newFlowVariables.0.value: dropped}\n",
    )
    result = Workflow.from_text(text).run()
    assert not result.ok and "dropped" in (result.status[3].error or "")


LOOP = """format: knitflow/1
name: variable filter in a loop
variables: {level: outside}
nodes:
  - id: 1
    type: table_creator
    settings:
      columns: [{name: x, type: Integer}]
      rows: [['1']]
  - id: 2
    type: counting_loop_start
    settings: {loops: 2}
  - id: 3
    type: variable_creator
    settings:
      newFlowVariables: [{name: level, type: STRING, value: inside}]
  - id: 4
    type: variable_filter
    settings:
      filter: {included_names: [], enforce_option: EnforceInclusion}
      pass_through: [table]
  - id: 5
    type: variable_to_table_column
    settings: {variables: [level]}
  - id: 6
    type: loop_end
connections:
  - 1:1 -> 2:1
  - 2:1 -> 4:1
  - 3:1 -> 4:0
  - 2:0 -> 3:0
  - 4:1 -> 5:2
  - 5:1 -> 6:1
"""


def test_inside_a_loop_only_the_local_value_is_hidden() -> None:
    result = Workflow.from_text(LOOP).run()
    assert result.ok, result.errors()
    assert result.output(6)["level"].tolist() == ["outside", "outside"]
    assert "currentIteration" not in result.status[4].variables  # the loop's own variables are local


def test_the_filter_imports_both_of_knimes_layouts(tmp_path: Path) -> None:
    newer = {
        "filter": {
            "mode": "MANUAL",
            "patternFilter": {"pattern": "", "isCaseSensitive": False, "isInverted": False},
            "manualFilter": {
                "manuallySelected": ["kept"],
                "manuallyDeselected": ["dropped"],
                "includeUnknownColumns": False,
            },
        }
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, newer)
    assert node.type == "variable_filter" and findings(report) == []
    assert node.settings["filter"]["included_names"] == ["kept"]
    assert node.settings["filter"]["enforce_option"] == "EnforceInclusion"
    older = {"selectedVariables": ["a", "b"]}
    node, report, _ = import_fragment(tmp_path, FACTORY, older)
    assert findings(report) == [] and node.settings["filter"]["included_names"] == ["a", "b"]


def test_pass_through_ports_come_from_the_creation_config(tmp_path: Path) -> None:
    creation = config(
        "node_creation_config",
        **{
            "Pass through": {
                "port_0": {"object_class": "org.knime.core.node.BufferedDataTable"},
                "port_1": {"object_class": "org.knime.core.node.port.pmml.PMMLPortObject"},
            }
        },
    )
    node, report, _ = import_fragment(tmp_path, FACTORY, {"selectedVariables": []}, extra=creation)
    assert findings(report) == [] and node.settings["pass_through"] == ["table", "model"]
    odd = creation.replace(
        "org.knime.core.node.port.pmml.PMMLPortObject", "org.knime.core.node.port.image.ImagePortObject"
    )
    _, report, _ = import_fragment(tmp_path, FACTORY, {"selectedVariables": []}, extra=odd)
    assert len(findings(report)) == 1 and "ImagePortObject" in findings(report)[0]
