"""KNIME's JavaScript QuickForm inputs (2.10-3.x): Boolean, Integer, Double and String Input and
Single Selection push their flow variables as KNIME's NodeModels do, and import from the keys
KNIME 3.6 writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, NodeError
from engine.core.context import RunContext
from engine.core.registry import registry
from engine.core.testing import configure_node, run_node
from engine.core.variables import VarStack

QUICKFORM = "org.knime.js.base.node.quickform."
BOOLEAN = QUICKFORM + "input.bool.BooleanInputQuickFormNodeFactory"
INTEGER = QUICKFORM + "input.integer.IntInputQuickFormNodeFactory"
DOUBLE = QUICKFORM + "input.dbl.DoubleInputQuickFormNodeFactory"
STRING = QUICKFORM + "input.string.StringInputQuickFormNodeFactory"
SINGLE = QUICKFORM + "selection.single.SingleSelectionQuickFormNodeFactory"


def pushed(node_type: str, settings: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(name, value, type) of each variable the node pushes, in push order."""
    cls = registry.get(node_type)
    assert cls is not None
    node = cls()
    parsed = node.Settings.model_validate(settings)
    ctx = RunContext(node_id=0, variables=VarStack())
    node.configure([], parsed, ctx)
    node.execute([], parsed, ctx)
    return [(e.name, e.value, e.type) for e in ctx.pushed]


def dialog_keys(parameter: str, label: str = "Label") -> dict[str, Any]:
    """QuickFormConfig's keys as KNIME 3.6 writes them after `defaultValue`."""
    return {
        "label": label,
        "description": "Enter Description",
        "hideInWizard": False,
        "hideInDialog": False,
        "required": True,
        "parameterName": parameter,
        "customCSS": "",
    }


# ------------------------------------------------------------------------------------- running


def test_boolean_input_pushes_an_integer_one_or_zero() -> None:
    # BooleanInputQuickFormNodeModel: pushFlowVariableInt(name, value ? 1 : 0)
    assert pushed("boolean_input", {"flowvariablename": "remove_not_used"}) == [
        ("remove_not_used", 0, "Integer")
    ]
    on = {"flowvariablename": "additional_p_value_log", "defaultValue": True}
    assert pushed("boolean_input", on) == [("additional_p_value_log", 1, "Integer")]
    assert configure_node("boolean_input", on) is not None


def test_integer_input_and_its_bounds() -> None:
    assert pushed("integer_input", {"flowvariablename": "k", "defaultValue": -3}) == [("k", -3, "Integer")]
    low = {"flowvariablename": "k", "defaultValue": 3, "use_min": True, "min": 5}
    with pytest.raises(
        ConfigureError, match="^The set integer 3 is smaller than the allowed minimum of 5$"
    ) as exc:
        configure_node("integer_input", low)
    assert exc.value.setting == "defaultValue"
    # the bound only counts when switched on
    assert run_node("integer_input", {**low, "use_min": False}).variables == {"k": 3}
    high = {"flowvariablename": "k", "defaultValue": 101, "use_max": True}
    with pytest.raises(NodeError, match="^The set integer 101 is bigger than the allowed maximum of 100$"):
        run_node("integer_input", high)


def test_double_input_and_its_bounds_in_javas_number_text() -> None:
    settings = {"flowvariablename": "logFC_threshold", "defaultValue": 1.0, "use_min": True, "min": 0.0}
    assert pushed("double_input", settings) == [("logFC_threshold", 1.0, "Double")]
    with pytest.raises(
        ConfigureError, match=r"^The set double -0\.5 is smaller than the allowed minimum of 0\.0$"
    ) as exc:
        configure_node("double_input", {**settings, "defaultValue": -0.5})
    assert exc.value.setting == "defaultValue"
    tiny = {"flowvariablename": "p", "defaultValue": 0.001, "use_max": True, "max": 0.0001}
    # Double.toString: 0.001 stays plain, 1.0E-4 goes to scientific notation below 10^-3
    with pytest.raises(
        NodeError, match=r"^The set double 0\.001 is bigger than the allowed maximum of 1\.0E-4$"
    ):
        run_node("double_input", tiny)


CHOICES = ["none", "Benjamini & Hochberg", "Benjamini & Yekutieli", "Bonferroni"]


def test_single_selection_pushes_the_index_then_the_value() -> None:
    settings = {"flowvariablename": "adjP_method", "defaultValue": "Bonferroni", "possible_choices": CHOICES}
    # index first, so that the String variable is on top (SingleSelectionQuickFormNodeModel)
    assert pushed("single_selection", settings) == [
        ("adjP_method (index)", 3, "Integer"),
        ("adjP_method", "Bonferroni", "String"),
    ]
    first = {**settings, "possible_choices": ["a", "b", "a"], "defaultValue": "a"}
    assert run_node("single_selection", first).variables == {"adjP_method (index)": 0, "adjP_method": "a"}


def test_single_selection_of_a_value_not_offered_has_index_minus_one() -> None:
    """KNIME neither validates the selection nor fails: the index stays -1."""
    settings = {
        "flowvariablename": "cmap",
        "defaultValue": "viridis",
        "possible_choices": ["plasma", "Blues"],
    }
    res = run_node("single_selection", settings)
    assert res.variables == {"cmap (index)": -1, "cmap": "viridis"} and res.warnings == []


def test_js_string_input_checks_its_regex() -> None:
    settings = {
        "variableName": "test_name",
        "value": "LIMMA 1",
        "regex": "[A-Za-z_]+",
        "error_message": "'?' is no name; ? has a space",
    }
    with pytest.raises(ConfigureError, match="^'LIMMA 1' is no name; LIMMA 1 has a space$") as exc:
        configure_node("string_input", settings)
    assert exc.value.setting == "value"
    with pytest.raises(NodeError, match="is no name"):
        run_node("string_input", settings)
    # the whole value must match (String.matches), and only the single-line editor checks
    assert run_node("string_input", {**settings, "value": "LIMMA_"}).variables == {"test_name": "LIMMA_"}
    assert run_node("string_input", {**settings, "editorType": "Multi-line"}).variables == {
        "test_name": "LIMMA 1"
    }
    with pytest.raises(ConfigureError) as bad:
        configure_node("string_input", {**settings, "regex": "(unclosed"})
    assert bad.value.setting == "regex"


# ------------------------------------------------------------------------------------- importing


def test_boolean_input_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"boolean": True},
        **dialog_keys("boolean-input", "Apply -log10 on p-value column?"),
        "flowvariablename": "additional_p_value_log",
    }
    node, report, _ = import_fragment(tmp_path, BOOLEAN, model)
    assert node.type == "boolean_input" and findings(report) == []
    assert node.settings == {"flowvariablename": "additional_p_value_log", "defaultValue": True}


def test_double_input_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"double": 1.0},
        **dialog_keys("logFC_threshold", "x axis (logFC) threshold"),
        "flowvariablename": "logFC_threshold",
        "use_min": True,
        "use_max": False,
        "min": 0.0,
        "max": 1.0,
    }
    node, report, _ = import_fragment(tmp_path, DOUBLE, model)
    assert node.type == "double_input" and findings(report) == []
    assert node.settings == {
        "flowvariablename": "logFC_threshold",
        "defaultValue": 1.0,
        "use_min": True,
        "use_max": False,
        "min": 0.0,
        "max": 1.0,
    }


def test_integer_input_imports(tmp_path: Path) -> None:
    """IntInputQuickFormConfig's keys (no saved example found; the layout is Double Input's)."""
    model = {
        "defaultValue": {"integer": 7},
        **dialog_keys("integer-input"),
        "flowvariablename": "k",
        "use_min": False,
        "use_max": True,
        "min": 0,
        "max": 100,
    }
    node, report, _ = import_fragment(tmp_path, INTEGER, model)
    assert node.type == "integer_input" and findings(report) == []
    assert node.settings["defaultValue"] == 7 and node.settings["max"] == 100


def test_single_selection_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"variable_value": "Benjamini & Hochberg"},
        **dialog_keys("single-selection", "p-value adjustment method"),
        "flowvariablename": "adjP_method",
        "possible_choices": CHOICES,
        "type": "Dropdown",
        "limit_number_visible_options": False,
        "number_visible_options": 10,
    }
    node, report, _ = import_fragment(tmp_path, SINGLE, model)
    assert node.type == "single_selection" and findings(report) == []
    assert node.settings == {
        "flowvariablename": "adjP_method",
        "defaultValue": "Benjamini & Hochberg",
        "possible_choices": CHOICES,
    }


def test_js_string_input_imports_into_string_input(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"string": "LIMMA_"},
        **dialog_keys("single-line", "LIMMA test name"),
        "flowvariablename": "test_name",
        "regex": "",
        "error_message": "",
        "editorType": "Single-line",
        "multilineEditorWidth": 60,
        "multilineEditorHeight": 5,
    }
    node, report, _ = import_fragment(tmp_path, STRING, model)
    assert node.type == "string_input" and findings(report) == []
    assert node.settings == {
        "variableName": "test_name",
        "value": "LIMMA_",
        "regex": "",
        "error_message": "",
        "editorType": "Single-line",
    }
    null_string = {**model, "defaultValue": {"string": None}}
    node, report, _ = import_fragment(tmp_path, STRING, null_string)
    assert node.settings["value"] == "" and findings(report) == []


def test_unknown_keys_are_findings(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"boolean": False, "extra": 1},
        **dialog_keys("boolean-input"),
        "flowvariablename": "flag",
        "newOption": "x",
    }
    _, report, _ = import_fragment(tmp_path, BOOLEAN, model)
    lost = findings(report)
    assert len(lost) == 2
    assert any("defaultValue.extra" in m for m in lost) and any("newOption" in m for m in lost)


def test_integer_widget_imports_onto_the_integer_input(tmp_path) -> None:
    """The keys a KNIME 5.3 Integer Widget saved (public workflow ISI-TP1, Integer Widget (#30))."""
    from test_knime_import import findings, import_fragment

    model = {
        "defaultValue": {"integer": 2016},
        "hideInWizard": False,
        "customCSS": "",
        "label": "End Year",
        "description": "",
        "required": True,
        "flowVariableName": "End",
        "useMin": True,
        "useMax": True,
        "min": 1900,
        "max": 2024,
    }
    widget = "org.knime.js.base.node.widget.input.integer.IntegerWidgetNodeFactory"
    node, report, _ = import_fragment(tmp_path, widget, model)
    assert node.type == "integer_input" and findings(report) == []
    assert pushed("integer_input", node.settings) == [("End", 2016, "Integer")]
    node, _, _ = import_fragment(tmp_path, widget, {**model, "defaultValue": {"integer": 2030}})
    with pytest.raises(
        ConfigureError, match="^The set integer 2030 is bigger than the allowed maximum of 2024$"
    ):
        configure_node("integer_input", node.settings)


MERGE = """format: knitflow/1
name: merge
nodes:
  - id: 1
    type: string_input
    settings: {variableName: a, value: top}
  - id: 2
    type: string_input
    settings: {variableName: a, value: bottom}
  - id: 3
    type: string_input
    settings: {variableName: b, value: only below}
  - id: 4
    type: merge_variables
connections:
  - 1:1 -> 4:1
  - 2:1 -> 4:2
  - 3:1 -> 4:3
"""


def test_merge_variables_joins_branches_top_input_first(tmp_path) -> None:
    from test_knime_import import config, findings, import_fragment

    from engine.core.workflow import Workflow

    result = Workflow.from_text(MERGE).run()
    assert result.ok
    variables = result.output(4, 0)
    assert variables["a"] == "top" and variables["b"] == "only below"
    flow = {"object_class": "org.knime.core.node.port.flowvariable.FlowVariablePortObject"}
    creation = config(
        "node_creation_config", input={"port_0": flow}, **{"Merged variables": {"port_0": flow}}
    )
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.util.mergevariables.MergeVariables2NodeFactory", {}, extra=creation
    )
    assert node.type == "merge_variables" and findings(report) == []
