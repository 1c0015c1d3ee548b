"""KNIME's Boolean, Double and Single Selection Widgets and Configuration nodes (outside a component):
the variable each pushes (name, value, type) from the saved default and from a value set in
knitflow's dialog or bound to a workflow variable, and imports from the keys KNIME 4.x/5.x write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_knime_import import bindings, findings, import_fragment

from engine.api import ConfigureError, NodeError
from engine.core.context import RunContext
from engine.core.registry import registry
from engine.core.testing import configure_node, run_node
from engine.core.variables import VarStack
from engine.core.workflow import Workflow

BOOLEAN_WIDGET = "org.knime.js.base.node.widget.input.bool.BooleanWidgetNodeFactory"
BOOLEAN_CONFIGURATION = "org.knime.js.base.node.configuration.input.bool.BooleanDialogNodeFactory"
DOUBLE_WIDGET = "org.knime.js.base.node.widget.input.dbl.DoubleWidgetNodeFactory"
DOUBLE_CONFIGURATION = "org.knime.js.base.node.configuration.input.dbl.DoubleDialogNodeFactory"
SINGLE_WIDGET = "org.knime.js.base.node.widget.selection.single.SingleSelectionWidgetNodeFactory"
SINGLE_CONFIGURATION = (
    "org.knime.js.base.node.configuration.selection.single.SingleSelectionDialogNodeFactory"
)


def pushed(node_type: str, settings: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(name, value, type) of each variable the node pushes when executed."""
    cls = registry.get(node_type)
    assert cls is not None
    node = cls()
    parsed = node.Settings.model_validate(settings)
    ctx = RunContext(node_id=0, variables=VarStack())
    node.configure([], parsed, ctx)
    node.execute([], parsed, ctx)
    return [(e.name, e.value, e.type) for e in ctx.pushed]


def widget_keys(label: str) -> dict[str, Any]:
    """WidgetConfig and LabeledConfig's keys, in the order KNIME saves them after `defaultValue`."""
    return {"hideInWizard": False, "customCSS": "", "label": label, "description": "", "required": True}


def configuration_keys(label: str, parameter: str) -> dict[str, Any]:
    """DialogNodeConfig and LabeledConfig's keys after `defaultValue`."""
    return {
        "parameterName": parameter,
        "hideInDialog": False,
        "label": label,
        "description": "Enter Description",
        "required": True,
    }


def bound(path: str, variable: str) -> dict[str, Any]:
    """The flow-variable tree of one setting (a KNIME path) that uses a variable."""
    used: dict[str, dict[str, str | None]] = {path: {"used": variable}}
    return bindings(**used)


def run_imported(doc: Any, **variables: Any) -> dict[str, Any]:
    """The variables node 1 passes on, less the workflow variables the run was given."""
    result = Workflow(doc).run(variables=variables or None)
    assert result.ok, [(s.id, s.error) for s in result.failed()]
    return {k: v for k, v in result.output(1, 0).items() if k not in variables}


# ------------------------------------------------------------------------------------------ Boolean


def test_boolean_widget_pushes_a_boolean_or_the_legacy_integer() -> None:
    assert pushed("boolean_widget", {"flowVariableName": "log_scale", "defaultValue": True}) == [
        ("log_scale", True, "Boolean")
    ]
    legacy = {"flowVariableName": "log_scale", "defaultValue": True, "pushIntVar": True}
    assert pushed("boolean_widget", legacy) == [("log_scale", 1, "Integer")]
    assert pushed("boolean_widget", {**legacy, "defaultValue": False}) == [("log_scale", 0, "Integer")]
    assert configure_node("boolean_widget", {"flowVariableName": "log_scale"}) is not None


def test_boolean_widget_imports_and_a_bound_variable_sets_its_value(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"boolean": True},
        **widget_keys("Log scale?"),
        "flowVariableName": "log_scale",
        "trigger_reexecution": False,
        "pushIntVar": False,
        "type": "Checkbox",
    }
    node, report, doc = import_fragment(tmp_path, BOOLEAN_WIDGET, model)
    assert node.type == "boolean_widget" and findings(report) == []
    assert node.settings == {"flowVariableName": "log_scale", "defaultValue": True, "pushIntVar": False}
    assert run_imported(doc)["log_scale"] is True
    # the value a workflow's configuration gives it: a variable bound to defaultValue.boolean
    tree = bound("defaultValue.boolean", "want_log")
    node, report, doc = import_fragment(tmp_path, BOOLEAN_WIDGET, model, tree)
    assert node.use_variables == {"defaultValue": "want_log"} and findings(report) == []
    assert run_imported(doc, want_log=False)["log_scale"] is False


def test_boolean_saved_before_knime_4_1_pushes_an_integer(tmp_path: Path) -> None:
    """No `pushIntVar` key: BooleanNodeConfig.loadSettings defaults it to true."""
    model = {"defaultValue": {"boolean": False}, **widget_keys("Flag"), "flowVariableName": "flag"}
    node, report, doc = import_fragment(tmp_path, BOOLEAN_WIDGET, model)
    assert node.settings["pushIntVar"] is True and findings(report) == []
    assert pushed("boolean_widget", node.settings) == [("flag", 0, "Integer")]


def test_boolean_configuration_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"boolean": False},
        **configuration_keys("Remove outliers", "boolean-input"),
        "flowVariableName": "remove_outliers",
        "pushIntVar": False,
    }
    node, report, doc = import_fragment(tmp_path, BOOLEAN_CONFIGURATION, model)
    assert node.type == "boolean_widget" and findings(report) == []
    assert run_imported(doc) == {"remove_outliers": False}
    # a value set in the node's dialog
    assert pushed("boolean_widget", {**node.settings, "defaultValue": True}) == [
        ("remove_outliers", True, "Boolean")
    ]


# ------------------------------------------------------------------------------------------- Double


def test_double_widget_value_and_bounds() -> None:
    settings = {"flowVariableName": "threshold", "defaultValue": 0.25, "useMin": True, "min": 0.0}
    assert pushed("double_widget", settings) == [("threshold", 0.25, "Double")]
    with pytest.raises(
        ConfigureError, match=r"^The set double -0\.5 is smaller than the allowed minimum of 0\.0$"
    ) as exc:
        configure_node("double_widget", {**settings, "defaultValue": -0.5})
    assert exc.value.setting == "defaultValue"
    # only bounds that are switched on count; Double.toString writes 1.0E-4 below 10^-3
    assert run_node("double_widget", {**settings, "defaultValue": -0.5, "useMin": False}).variables == {
        "threshold": -0.5
    }
    tiny = {"flowVariableName": "p", "defaultValue": 0.001, "useMax": True, "max": 0.0001}
    with pytest.raises(
        NodeError, match=r"^The set double 0\.001 is bigger than the allowed maximum of 1\.0E-4$"
    ):
        run_node("double_widget", tiny)


def test_double_widget_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"double": 0.05},
        **widget_keys("Significance level"),
        "flowVariableName": "alpha",
        "useMin": True,
        "useMax": True,
        "min": 0.0,
        "max": 1.0,
    }
    node, report, doc = import_fragment(tmp_path, DOUBLE_WIDGET, model)
    assert node.type == "double_widget" and findings(report) == []
    assert node.settings == {
        "flowVariableName": "alpha",
        "defaultValue": 0.05,
        "useMin": True,
        "useMax": True,
        "min": 0.0,
        "max": 1.0,
    }
    assert run_imported(doc) == {"alpha": 0.05}
    tree = bound("defaultValue.double", "level")
    _, _, doc = import_fragment(tmp_path, DOUBLE_WIDGET, model, tree)
    assert run_imported(doc, level=0.01) == {"alpha": 0.01}
    # the bounds hold for a bound value too
    result = Workflow(doc).run(variables={"level": 1.5})
    assert not result.ok and "bigger than the allowed maximum of 1.0" in str(result.failed()[0].error)


def test_double_configuration_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"double": 1.5},
        **configuration_keys("Factor", "double-input"),
        "flowVariableName": "factor",
        "useMin": False,
        "useMax": False,
        "min": 0.0,
        "max": 1.0,
    }
    node, report, doc = import_fragment(tmp_path, DOUBLE_CONFIGURATION, model)
    assert node.type == "double_widget" and findings(report) == []
    assert pushed("double_widget", node.settings) == [("factor", 1.5, "Double")]
    assert pushed("double_widget", {**node.settings, "defaultValue": 3.0}) == [("factor", 3.0, "Double")]


# --------------------------------------------------------------------------------- Single Selection

CHOICES = ["none", "Benjamini & Hochberg", "Bonferroni"]


def test_single_selection_widget_pushes_the_value_only() -> None:
    settings = {"flowVariableName": "adjust", "defaultValue": "Bonferroni", "possible_choices": CHOICES}
    assert pushed("single_selection_widget", settings) == [("adjust", "Bonferroni", "String")]
    with pytest.raises(ConfigureError, match="^no value is selected$") as exc:
        configure_node("single_selection_widget", {**settings, "defaultValue": None})
    assert exc.value.setting == "defaultValue"


def test_single_selection_widget_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"variable_value": ["Benjamini & Hochberg"]},
        **widget_keys("p-value adjustment"),
        "flowVariableName": "adjust",
        "trigger_reexecution": False,
        "possible_choices": CHOICES,
        "type": "Dropdown",
        "limit_number_visible_options": False,
        "number_visible_options": 10,
    }
    node, report, doc = import_fragment(tmp_path, SINGLE_WIDGET, model)
    assert node.type == "single_selection_widget" and findings(report) == []
    assert node.settings == {
        "flowVariableName": "adjust",
        "defaultValue": "Benjamini & Hochberg",
        "possible_choices": CHOICES,
    }
    assert run_imported(doc) == {"adjust": "Benjamini & Hochberg"}
    assert pushed("single_selection_widget", {**node.settings, "defaultValue": "none"}) == [
        ("adjust", "none", "String")
    ]
    empty = {**model, "defaultValue": {"variable_value": []}}
    node, _, _ = import_fragment(tmp_path, SINGLE_WIDGET, empty)
    assert node.settings["defaultValue"] is None


def test_single_selection_configuration_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"variable_value": ["fast"]},
        **configuration_keys("Mode", "single-selection"),
        "flowVariableName": "mode",
        "possible_choices": ["fast", "exact"],
        "type": "Radio buttons (vertical)",
        "limit_number_visible_options": False,
        "number_visible_options": 5,
    }
    node, report, doc = import_fragment(tmp_path, SINGLE_CONFIGURATION, model)
    assert node.type == "single_selection_widget" and findings(report) == []
    assert run_imported(doc) == {"mode": "fast"}
    tree = bound("defaultValue.variable_value", "chosen")
    node, _, doc = import_fragment(tmp_path, SINGLE_CONFIGURATION, model, tree)
    assert node.use_variables == {"defaultValue": "chosen"}
    assert run_imported(doc, chosen="exact") == {"mode": "exact"}


# ------------------------------------------------------------------------------------------ importing


def test_quickform_spelling_of_the_variable_name_is_read(tmp_path: Path) -> None:
    model = {
        "flowvariablename": "factor",
        "defaultValue": {"double": 2.0},
        **configuration_keys("Factor", "double-input"),
    }
    node, report, _ = import_fragment(tmp_path, DOUBLE_CONFIGURATION, model)
    assert node.settings["flowVariableName"] == "factor" and findings(report) == []


def test_unknown_keys_are_findings(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"boolean": True, "extra": 1},
        **widget_keys("Flag"),
        "flowVariableName": "flag",
        "pushIntVar": False,
        "newOption": "x",
    }
    _, report, _ = import_fragment(tmp_path, BOOLEAN_WIDGET, model)
    lost = findings(report)
    assert len(lost) == 2
    assert any("defaultValue.extra" in m for m in lost) and any("newOption" in m for m in lost)
