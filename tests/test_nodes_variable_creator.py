"""Variable Creator: KNIME's types, parsing, push order and both settings layouts."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from engine.api import ConfigureError
from engine.api.knime import KnimeSettings
from engine.core.testing import configure_node, run_node
from nodes.flow_variables import VariableCreator


def variables(*entries: tuple[str, str, str]) -> dict:
    return {"newFlowVariables": [{"name": n, "type": t, "value": v} for n, t, v in entries]}


def test_types_and_values() -> None:
    res = run_node(
        "variable_creator",
        variables(
            ("Alpha", "DOUBLE", "0.1"),
            ("n", "INTEGER", "-12"),
            ("big", "LONG", "9007199254740993"),
            ("name", "STRING", " text "),
            ("on", "BOOLEAN", "TRUE"),
            ("off", "BOOLEAN", "yes"),
            ("inf", "DOUBLE", "-Infinity"),
            ("exp", "DOUBLE", "1.5e-3d"),
        ),
    )
    v = res.variables
    assert v["Alpha"] == 0.1 and v["n"] == -12 and v["big"] == 9007199254740993
    assert v["name"] == " text " and v["on"] is True and v["off"] is False
    assert v["inf"] == -math.inf and v["exp"] == 0.0015
    # pushed from the last to the first, so that the first listed is on top (KNIME's loop order)
    assert list(v) == ["exp", "inf", "off", "on", "name", "big", "n", "Alpha"]
    assert res.warnings == []


def test_invalid_settings_are_configure_errors() -> None:
    with pytest.raises(ConfigureError, match="could not be parsed as a Integer"):
        configure_node("variable_creator", variables(("n", "INTEGER", "2147483648")))
    with pytest.raises(ConfigureError, match="could not be parsed as a Double"):
        configure_node("variable_creator", variables(("x", "DOUBLE", "inf")))
    with pytest.raises(ConfigureError, match="used more than once"):
        configure_node("variable_creator", variables(("a", "STRING", ""), ("a", "STRING", "")))
    with pytest.raises(ConfigureError, match="must not be blank"):
        configure_node("variable_creator", variables((" ", "STRING", "")))


def test_warnings() -> None:
    res = run_node("variable_creator", variables(("seed", "DOUBLE", "1e999")), variables={"seed": 1})
    assert "The flow variable 'seed' is being overwritten." in res.warnings
    assert any("too large or too small" in w for w in res.warnings)
    assert run_node("variable_creator", {"newFlowVariables": []}).warnings == [
        "No flow variables created. The output will be empty."
    ]


class _Report:
    node = None

    def setting(self, message: str) -> None:
        raise AssertionError(message)

    def note(self, message: str) -> None:
        pass


def test_both_knime_settings_layouts() -> None:
    new = {"newFlowVariables": {"0": {"name": "Alpha", "type": "DOUBLE", "value": "0.1"}}}
    old = {"variables": {"names": ["Alpha", "k"], "types": ["double", "int"], "values": ["0.1", "3"]}}
    for tree in (new, old):
        settings, _, _ = VariableCreator.knime[0].apply(KnimeSettings(tree, {}, _Report()))
        parsed = VariableCreator.Settings.model_validate(settings)
        assert parsed.newFlowVariables[0].name == "Alpha" and parsed.newFlowVariables[0].type == "DOUBLE"
    assert parsed.newFlowVariables[1].type == "INTEGER"


def test_newer_factory_imports_from_a_settings_fragment(tmp_path: Path) -> None:
    from test_knime_import import findings, import_fragment

    model = {"newFlowVariables": {"0": {"name": "k", "type": "LONG", "value": "7"}}}
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.io.variablecreator.VariableCreatorNodeFactory2", model
    )
    assert node.type == "variable_creator" and findings(report) == []
    assert node.settings == {"newFlowVariables": [{"name": "k", "type": "LONG", "value": "7"}]}


# ------------------------------------------------------------------------- String Input (QuickForm)

STRING_INPUT = "org.knime.quickform.nodes.in.string.StringInputQuickFormInNodeFactory"

QUICKFORM_WORKFLOW = """
format: knitflow/1
name: quickform
nodes:
  - {id: 1, type: string_input, settings: {variableName: folder, value: /data/subjects}}
  - {id: 2, type: toy_range, settings: {n: 1}}
  - {id: 3, type: variable_to_table_column, settings: {variables: [folder]}}
connections: ["1:1 -> 3:1", "2:1 -> 3:2"]
"""


def test_string_input_pushes_its_variable() -> None:
    from engine import Workflow

    result = Workflow.from_text(QUICKFORM_WORKFLOW).run()
    assert result.ok and result.output(3)["folder"].tolist() == ["/data/subjects"]
    with pytest.raises(ConfigureError, match="variable name is empty"):
        configure_node("string_input", {"variableName": " "})


def test_string_input_imports(tmp_path: Path) -> None:
    from test_knime_import import findings, import_fragment

    model = {
        "label": "Subject Directory",
        "description": "Directory of the subjects",
        "variableName": "subjectDirectory",
        "weight": 1,
        "hide_in_wizard": False,
        "value": {"value": "/Users/alex/Desktop/train/"},
    }
    node, report, _ = import_fragment(tmp_path, STRING_INPUT, model)
    assert node.type == "string_input" and findings(report) == []
    assert node.settings == {"variableName": "subjectDirectory", "value": "/Users/alex/Desktop/train/"}
