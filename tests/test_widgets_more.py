"""KNIME's Column Selection, Multiple Selection, Value Selection and Column Filter Widgets and
Configuration nodes, the Refresh Button Widget and the Text Output Widget: the variables (and
tables) each computes as KNIME's node models do, and imports from the keys KNIME 4.x/5.x save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_knime_import import bindings, findings, import_fragment

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.core.testing import configure_node, run_node
from engine.core.workflow import Workflow

_W = "org.knime.js.base.node.widget."
_C = "org.knime.js.base.node.configuration."
COLUMN_WIDGET = "org.knime.js.base.node.widget.selection.column.ColumnSelectionWidgetNodeFactory"
COLUMN_CONFIGURATION = (
    "org.knime.js.base.node.configuration.selection.column.ColumnSelectionDialogNodeFactory2"
)
COLUMN_CONFIGURATION_LEGACY = (
    "org.knime.js.base.node.configuration.selection.column.ColumnSelectionDialogNodeFactory"
)
MULTIPLE_WIDGET = "org.knime.js.base.node.widget.selection.multiple.MultipleSelectionWidgetNodeFactory"
MULTIPLE_CONFIGURATION = (
    "org.knime.js.base.node.configuration.selection.multiple.MultipleSelectionDialogNodeFactory"
)
VALUE_WIDGET = "org.knime.js.base.node.widget.selection.value.ValueSelectionWidgetNodeFactory"
VALUE_CONFIGURATION = "org.knime.js.base.node.configuration.selection.value.ValueSelectionDialogNodeFactory"
FILTER_WIDGET = "org.knime.js.base.node.widget.filter.column.ColumnFilterWidgetNodeFactory2"
FILTER_WIDGET_LEGACY = "org.knime.js.base.node.widget.filter.column.ColumnFilterWidgetNodeFactory"
FILTER_CONFIGURATION = "org.knime.js.base.node.configuration.filter.column.ColumnFilterDialogNodeFactory2"
FILTER_CONFIGURATION_LEGACY = (
    "org.knime.js.base.node.configuration.filter.column.ColumnFilterDialogNodeFactory"
)
REFRESH_BUTTON = "org.knime.js.base.node.widget.reexecution.refresh.RefreshButtonWidgetNodeFactory"
TEXT_OUTPUT_WIDGET = "org.knime.js.base.node.widget.output.text.TextOutputWidgetNodeFactory"


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


def layout(kind: str, limit: bool = False, number: int = 10) -> dict[str, Any]:
    return {"type": kind, "limit_number_visible_options": limit, "number_visible_options": number}


def bound(path: str, variable: str) -> dict[str, Any]:
    used: dict[str, dict[str, str | None]] = {path: {"used": variable}}
    return bindings(**used)


def table() -> Table:
    frame = pd.DataFrame(
        {
            "species": ["setosa", "virginica", "setosa", None],
            "size": [1.5, 2.5, 3.5, 4.5],
            "count": [1, 2, 3, 4],
            "flag": pd.Series([True, False, True, True], dtype=object),
        }
    )
    types = {"species": ColumnType.STRING, "count": ColumnType.INTEGER, "flag": ColumnType.BOOLEAN}
    return Table.from_frame(frame, types)


# ------------------------------------------------------------------------------- Column Selection


def test_column_selection_pushes_the_column_or_the_first_one_with_a_warning() -> None:
    run = run_node("column_selection_widget", {"flowVariableName": "col", "defaultValue": "size"}, table())
    assert run.variables == {"col": "size"} and run.warnings == []
    # ColumnSelectionWidgetNodeModel: a column the input lacks gives way to the first one
    run = run_node("column_selection_widget", {"flowVariableName": "col", "defaultValue": "weight"}, table())
    assert run.variables == {"col": "species"}
    assert run.warnings == [
        "Column 'weight' is not part of the table spec anymore.\nAuto-guessing default column."
    ]
    run = run_node("column_selection_widget", {"flowVariableName": "col"}, table())
    assert run.variables == {"col": "species"} and run.warnings == ["Auto-guessing default column."]
    # the configuration node since 4.1 (autoConfigure false) fails instead, already when configured
    strict = {"flowVariableName": "col", "defaultValue": "weight", "autoConfigure": False}
    with pytest.raises(ConfigureError, match=r"^Column 'weight' is not part of the table spec anymore\.$"):
        configure_node("column_selection_widget", strict, table())
    # only the allowed types are offered
    typed = {"flowVariableName": "col", "defaultValue": "species", "allowedTypes": ["Double", "Integer"]}
    run = run_node("column_selection_widget", typed, table())
    assert run.variables == {"col": "size"}
    with pytest.raises(NodeError, match=r"^No column available for selection in input table\.$"):
        run_node("column_selection_widget", {**typed, "allowedTypes": ["Long", "Local Date"]}, table())


def test_column_selection_widget_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"column": "size"},
        **widget_keys("Column to plot"),
        "flowVariableName": "plot_column",
        "trigger_reexecution": False,
        "possibleColumns": ["species", "size"],
        **layout("Dropdown"),
    }
    node, report, _ = import_fragment(tmp_path, COLUMN_WIDGET, model)
    assert node.type == "column_selection_widget" and findings(report) == []
    assert node.settings == {"flowVariableName": "plot_column", "defaultValue": "size", "autoConfigure": True}
    run = run_node("column_selection_widget", node.settings, table())
    assert run.variables == {"plot_column": "size"}
    # a workflow variable bound to the column sets the value
    node, report, _ = import_fragment(tmp_path, COLUMN_WIDGET, model, bound("defaultValue.column", "chosen"))
    assert node.use_variables == {"defaultValue": "chosen"} and findings(report) == []


def test_column_selection_configuration_imports_its_type_filter(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"column": "count"},
        **configuration_keys("Column", "column-selection"),
        "flowVariableName": "column",
        "possibleColumns": ["size", "count"],
        **layout("Dropdown"),
        # InputSpecFilter.Config, recognised by its keys (ColumnSelectionDialogNodeConfig's key for it
        # is not named here: knitflow does not depend on it)
        "input_filter": {
            "type_filter": {
                "org.knime.core.data.DoubleValue": True,
                "org.knime.core.data.StringValue": False,
            },
            "allow_all_types": False,
            "filter_columns_without_domain": False,
        },
    }
    node, report, _ = import_fragment(tmp_path, COLUMN_CONFIGURATION, model)
    assert node.type == "column_selection_widget" and findings(report) == []
    assert node.settings["autoConfigure"] is False and node.settings["allowedTypes"] == ["Double"]
    # "count" is an Integer column: not offered, and the 4.1 node does not guess
    with pytest.raises(NodeError, match="Column 'count' is not part of the table spec anymore"):
        run_node("column_selection_widget", node.settings, table())
    assert run_node(
        "column_selection_widget", {**node.settings, "defaultValue": "size"}, table()
    ).variables == {"column": "size"}
    hiding = {**model, "input_filter": {**model["input_filter"], "filter_columns_without_domain": True}}
    _, report, _ = import_fragment(tmp_path, COLUMN_CONFIGURATION, hiding)
    assert [m for m in findings(report) if "filter_columns_without_domain" in m]
    # the configuration node before 4.1 guesses like the widget
    legacy = {k: v for k, v in model.items() if k != "input_filter"}
    node, report, _ = import_fragment(tmp_path, COLUMN_CONFIGURATION_LEGACY, legacy)
    assert findings(report) == [] and node.settings["autoConfigure"] is True
    assert node.settings.get("allowedTypes") is None


# ----------------------------------------------------------------------------- Multiple Selection


def test_multiple_selection_table_and_joined_variable() -> None:
    settings = {
        "flowVariableName": "metrics",
        "defaultValue": ["rmse", "gone", "mae"],
        "possible_choices": ["mae", "rmse", "r2"],
    }
    run = run_node("multiple_selection_widget", settings)
    # StringUtils.join(values, ","), pushed before the invalid value is filtered out of the table
    assert run.variables == {"metrics": "rmse,gone,mae"}
    out = run.outputs[0]
    assert out.types == {"metrics": ColumnType.STRING}
    assert out.df["metrics"].tolist() == ["rmse", "mae"] and out.row_ids == ["Row0", "Row1"]
    # the configuration node keeps every value
    kept = run_node("multiple_selection_widget", {**settings, "ignore_invalid_values": False}).outputs[0]
    assert kept.df["metrics"].tolist() == ["rmse", "gone", "mae"]
    assert kept.row_ids == ["Row0", "Row1", "Row2"]
    empty = run_node("multiple_selection_widget", {**settings, "defaultValue": []})
    assert empty.variables == {"metrics": ""} and len(empty.outputs[0]) == 0
    assert [str(s) for s in configure_node("multiple_selection_widget", settings)[0].names] == ["metrics"]


def test_multiple_selection_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"variable_value": ["a", "c"]},
        **widget_keys("Letters"),
        "flowVariableName": "letters",
        "trigger_reexecution": False,
        "possible_choices": ["a", "b", "c"],
        **layout("Twinlist", True, 5),
        "enable_search": True,
        "ignore_invalid_values": False,
    }
    node, report, doc = import_fragment(tmp_path, MULTIPLE_WIDGET, model)
    assert node.type == "multiple_selection_widget" and findings(report) == []
    assert node.settings == {
        "flowVariableName": "letters",
        "defaultValue": ["a", "c"],
        "possible_choices": ["a", "b", "c"],
        "ignore_invalid_values": False,
    }
    result = Workflow(doc).run()
    assert result.ok and result.output(1, 0)["letters"] == "a,c"
    assert result.output(1, 1)["letters"].tolist() == ["a", "c"]
    # before 5.3.2 there is no ignore_invalid_values: KNIME's default is on
    older = {k: v for k, v in model.items() if k not in ("enable_search", "ignore_invalid_values")}
    node, report, _ = import_fragment(tmp_path, MULTIPLE_WIDGET, older)
    assert findings(report) == [] and node.settings["ignore_invalid_values"] is True
    configuration = {
        "defaultValue": {"variable_value": ["x"]},
        **configuration_keys("Pick", "multiple-selection"),
        "flowVariableName": "pick",
        "possible_choices": ["y"],
        **layout("Check boxes (vertical)"),
    }
    node, report, _ = import_fragment(tmp_path, MULTIPLE_CONFIGURATION, configuration)
    assert findings(report) == [] and node.settings["ignore_invalid_values"] is False
    assert run_node("multiple_selection_widget", node.settings).outputs[0].df["pick"].tolist() == ["x"]


# -------------------------------------------------------------------------------- Value Selection


def test_value_selection_pushes_the_column_and_the_value() -> None:
    settings = {"flowVariableName": "v", "column": "species", "value": "virginica"}
    run = run_node("value_selection_widget", settings, table())
    assert run.variables == {"v (column)": "species", "v": "virginica"} and run.warnings == []
    # a value outside the column's possible values: its first one (first appearance)
    run = run_node("value_selection_widget", {**settings, "value": "versicolor"}, table())
    assert run.variables["v"] == "setosa"
    assert run.warnings == [
        "The selected value 'versicolor' is not among the possible values in the column 'species'.\n"
        "Auto-guessing new default value."
    ]
    # columnType String offers String columns only; the Boolean column is nominal too (All)
    run = run_node("value_selection_widget", {**settings, "column": "flag", "value": "false"}, table())
    assert run.variables == {"v (column)": "flag", "v": "false"}
    run = run_node(
        "value_selection_widget",
        {**settings, "column": "flag", "value": "false", "columnType": "String"},
        table(),
    )
    # the guessed column is species, but "(column)" keeps the saved name, as KNIME's model does
    assert run.variables == {"v (column)": "flag", "v": "setosa"}
    assert run.warnings == [
        "Column 'flag' is not part of the table spec anymore or its domain is empty.\n"
        "Auto-guessing default column and value."
    ]


def test_value_selection_guesses_the_first_column_in_java_hash_order() -> None:
    """Collectors.toMap fills a HashMap from the sorted columns: "a" (hash 97, bucket 1) comes after
    "p" (hash 112, bucket 0), so KNIME's first column is "p"."""
    frame = pd.DataFrame({"a": ["x", "y"], "p": ["u", "w"]})
    run = run_node("value_selection_widget", {"flowVariableName": "v"}, frame)
    assert run.variables == {"v (column)": "", "v": "u"}
    assert run.warnings == ["Auto-guessing default column and value."]


def test_value_selection_failures_and_types() -> None:
    with pytest.raises(
        NodeError, match=r"^The input table does not contain any column with domain information\.$"
    ):
        run_node("value_selection_widget", {"flowVariableName": "v"}, pd.DataFrame({"x": [1.0, 2.0]}))
    # more than 60 distinct values: no possible values
    many = pd.DataFrame({"id": [f"r{i}" for i in range(61)], "few": ["a"] * 61})
    run = run_node("value_selection_widget", {"flowVariableName": "v", "column": "id", "value": "r3"}, many)
    assert run.variables == {"v (column)": "id", "v": "a"}
    locked = {"flowVariableName": "v", "column": "gone", "value": "a", "lockColumn": True}
    message = r"^Locked column 'gone' is not part of the table spec anymore or its domain is empty\.$"
    with pytest.raises(ConfigureError, match=message):
        configure_node("value_selection_widget", locked, Table.from_frame(many))
    with pytest.raises(NodeError, match=message.replace("'gone'", "'id'")):
        # a column without possible values (a Double one) counts as missing
        run_node(
            "value_selection_widget", {**locked, "column": "id"}, pd.DataFrame({"id": [1.5], "s": ["a"]})
        )
    # Integer and Double offer the nominal columns that are IntValues / DoubleValues: Boolean ones,
    # whose "true" Integer.parseInt rejects
    integer = {"flowVariableName": "v", "column": "flag", "value": "true", "columnType": "Integer"}
    with pytest.raises(NodeError, match=r'^For input string: "true"$'):
        run_node("value_selection_widget", integer, table())
    node = run_node("value_selection_widget", {"flowVariableName": "n", "column": "species"}, table())
    assert node.variables["n (column)"] == "species"


def test_value_selection_declares_its_variable_types() -> None:
    from engine.core.registry import registry

    cls = registry.get("value_selection_widget")
    assert cls is not None
    node = cls()
    typed = node.Settings.model_validate({"flowVariableName": "v", "columnType": "Double"})
    assert node.configure_variables([], typed) == {"v (column)": "String", "v": "Double"}
    text = node.Settings.model_validate({"flowVariableName": "v", "columnType": "All"})
    assert node.configure_variables([], text) == {"v (column)": "String", "v": "String"}


def test_value_selection_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"column": "species", "value": "setosa"},
        **widget_keys("Species"),
        "flowVariableName": "species_value",
        "trigger_reexecution": False,
        "columnType": "String",
        "lockColumn": True,
        "possibleColumns": ["species"],
        "colValues": {"species": ["setosa", "virginica"]},
        **layout("Dropdown"),
    }
    node, report, _ = import_fragment(tmp_path, VALUE_WIDGET, model)
    assert node.type == "value_selection_widget" and findings(report) == []
    assert node.settings == {
        "flowVariableName": "species_value",
        "column": "species",
        "value": "setosa",
        "columnType": "String",
        "lockColumn": True,
    }
    assert run_node("value_selection_widget", node.settings, table()).variables == {
        "species_value (column)": "species",
        "species_value": "setosa",
    }
    configuration = {
        "defaultValue": {"column": "flag", "value": "true"},
        **configuration_keys("Flag", "value-selection"),
        "flowVariableName": "flag_value",
        "columnType": "All",
        "lockColumn": False,
        "possibleColumns": ["flag"],
        "colValues": {"flag": ["true", "false"]},
        **layout("List"),
    }
    node, report, _ = import_fragment(
        tmp_path, VALUE_CONFIGURATION, configuration, bound("defaultValue.value", "x")
    )
    assert findings(report) == [] and node.use_variables == {"value": "x"}


# ---------------------------------------------------------------------------------- Column Filter


def manual(included: list[str], excluded: list[str], option: str) -> dict[str, Any]:
    """DataColumnSpecFilterConfiguration's keys (the `columnFilter` inside `defaultValue`)."""
    return {
        "filter-type": "STANDARD",
        "included_names": included,
        "excluded_names": excluded,
        "enforce_option": option,
        "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True, "excludeMatching": False},
    }


def test_column_filter_keeps_the_selected_columns_in_input_order() -> None:
    flt = {"included_names": ["size", "species"], "enforce_option": "EnforceInclusion"}
    run = run_node("column_filter_widget", {"flowVariableName": "cols", "columnFilter": flt}, table())
    assert run.outputs[0].columns == ["species", "size"] and run.variables == {"cols": "species,size"}
    assert run.specs[0].names == ["species", "size"]
    # EnforceExclusion: columns the filter does not name (new ones) are kept
    flt = {"excluded_names": ["count"], "enforce_option": "EnforceExclusion"}
    run = run_node("column_filter_widget", {"flowVariableName": "cols", "columnFilter": flt}, table())
    assert run.variables == {"cols": "species,size,flag"}
    # without the filter settings: the saved names, in their order, each one required
    saved = {"flowVariableName": "cols", "columnFilter": None, "columns": ["count", "species"]}
    run = run_node("column_filter_widget", saved, table())
    assert run.variables == {"cols": "count,species"} and run.outputs[0].columns == ["species", "count"]
    with pytest.raises(ConfigureError, match=r"^Unknown columns \[gone, x\] selected\.$"):
        configure_node("column_filter_widget", {**saved, "columns": ["gone", "count", "x"]}, table())
    # KNIME 4.1's String array variable: the table only
    run = run_node("column_filter_widget", {"flowVariableName": "cols", "stringArrayVariable": True}, table())
    assert run.variables == {} and run.outputs[0].columns == ["species", "size", "count", "flag"]


def test_column_filter_configuration_type_filter_and_minimum() -> None:
    settings = {"flowVariableName": "cols", "allowedTypes": ["Double", "Integer"]}
    run = run_node("column_filter_widget", settings, table())
    assert run.outputs[0].columns == ["size", "count"] and run.variables == {"cols": "size,count"}
    too_few = {**settings, "min_num_columns": 3}
    with pytest.raises(ConfigureError, match=r"^Select at least 3 columns$"):
        configure_node("column_filter_widget", too_few, table())
    with pytest.raises(NodeError, match=r"^Pick three$"):
        run_node("column_filter_widget", {**too_few, "error_message": "Pick three"}, table())
    assert run_node("column_filter_widget", {**too_few, "min_num_columns": 2}, table()).variables == {
        "cols": "size,count"
    }


def test_column_filter_widget_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {
            "columns": ["species", "count"],
            "columnFilter": manual(["species", "count"], ["size", "flag"], "EnforceInclusion"),
        },
        **widget_keys("Columns"),
        "flowVariableName": "columns",
        "trigger_reexecution": False,
        "possibleColumns": ["species", "size", "count", "flag"],
        **layout("Twinlist", True, 5),
    }
    node, report, doc = import_fragment(tmp_path, FILTER_WIDGET_LEGACY, model)
    assert node.type == "column_filter_widget" and findings(report) == []
    assert node.settings["columnFilter"]["included_names"] == ["species", "count"]
    assert node.settings["stringArrayVariable"] is False
    run = run_node("column_filter_widget", node.settings, table())
    assert run.variables == {"columns": "species,count"} and run.outputs[0].columns == ["species", "count"]
    # 4.1 on: a String array variable, which knitflow cannot push
    node, report, _ = import_fragment(tmp_path, FILTER_WIDGET, model)
    lost = findings(report)
    assert len(lost) == 1 and "String array" in lost[0] and node.settings["stringArrayVariable"] is True


def test_column_filter_configuration_imports(tmp_path: Path) -> None:
    model = {
        "defaultValue": {"columns": ["size"], "columnFilter": manual([], ["species"], "EnforceExclusion")},
        **configuration_keys("Columns", "column-filter"),
        "flowVariableName": "columns",
        "possibleColumns": ["species", "size"],
        **layout("Twinlist", True, 5),
        # InputSpecFilter.Config and ModularValidatorConfig (MinNumColumnsValidatorFactory's key)
        "input_filter": {"type_filter": {}, "allow_all_types": True, "filter_columns_without_domain": False},
        "validation": {"min_num_columns": {"min_num_columns": 2, "error_message": ""}},
    }
    node, report, _ = import_fragment(tmp_path, FILTER_CONFIGURATION, model)
    assert node.type == "column_filter_widget"
    assert len(findings(report)) == 1  # the String array variable
    assert node.settings["min_num_columns"] == 2 and node.settings.get("allowedTypes") is None
    run = run_node("column_filter_widget", node.settings, table())
    assert run.outputs[0].columns == ["size", "count", "flag"] and run.variables == {}
    legacy = {k: v for k, v in model.items() if k not in ("input_filter", "validation")}
    legacy["defaultValue"] = {"columns": ["size", "count"]}  # saved without the filter settings
    node, report, _ = import_fragment(tmp_path, FILTER_CONFIGURATION_LEGACY, legacy)
    assert findings(report) == [] and node.settings["columnFilter"] is None
    assert run_node("column_filter_widget", node.settings, table()).variables == {"columns": "size,count"}


# ------------------------------------------------------------------- Refresh Button, Text Output


def test_refresh_button_pushes_its_text_and_the_count() -> None:
    run = run_node(
        "refresh_button_widget", {"buttonText": "Reload $${Sdataset}$$"}, variables={"dataset": "iris"}
    )
    assert run.variables == {"refresh_widget": "Reload iris", "refresh_count": 0}
    with pytest.raises(NodeError, match='No flow variable of type String named "dataset"'):
        run_node("refresh_button_widget", {"buttonText": "$${Sdataset}$$"})


def test_refresh_button_and_text_output_widget_import(tmp_path: Path) -> None:
    model = {
        "label": "",
        "description": "",
        "buttonText": "Apply",
        "trigger_reexecution": True,
        "hideInWizard": False,
    }
    node, report, doc = import_fragment(tmp_path, REFRESH_BUTTON, model)
    assert node.type == "refresh_button_widget" and findings(report) == []
    result = Workflow(doc).run()
    assert result.ok and result.output(1, 0) == {"refresh_widget": "Apply", "refresh_count": 0}
    text = {
        "label": "Summary",
        "description": "",
        "hideInWizard": False,
        "customCSS": "",
        "textFormat": "Html",
        "text": "n = <b>$${In}$$</b>",  # (a text starting with "<" is raw XML to import_fragment)
    }
    node, report, _ = import_fragment(tmp_path, TEXT_OUTPUT_WIDGET, text)
    assert node.type == "text_output_widget" and findings(report) == []
    view = run_node("text_output_widget", node.settings, None, variables={"n": 12}).outputs[0]
    assert view.title == "Summary" and view.table.df["Text"].tolist() == ["n = <b>12</b>"]


# ------------------------------------------------------------------------------------------ importing


@pytest.mark.parametrize(
    ("factory", "model"),
    [
        (COLUMN_WIDGET, {"defaultValue": {"column": "a"}, "flowVariableName": "c"}),
        (MULTIPLE_CONFIGURATION, {"defaultValue": {"variable_value": []}, "flowVariableName": "m"}),
        (VALUE_WIDGET, {"defaultValue": {"column": "a", "value": "b"}, "flowVariableName": "v"}),
        (FILTER_WIDGET_LEGACY, {"defaultValue": {"columns": []}, "flowVariableName": "f"}),
        (REFRESH_BUTTON, {"buttonText": "Go"}),
        (TEXT_OUTPUT_WIDGET, {"text": "", "textFormat": "Text", "label": ""}),
    ],
)
def test_unknown_keys_are_findings(tmp_path: Path, factory: str, model: dict[str, Any]) -> None:
    nested = {**model, "newOption": "x"}
    if "defaultValue" in model:
        nested["defaultValue"] = {**model["defaultValue"], "extra": 1}
    _, report, _ = import_fragment(tmp_path, factory, nested)
    lost = findings(report)
    assert any("newOption" in m for m in lost)
    assert ("defaultValue" not in model) or any("defaultValue.extra" in m for m in lost)
    assert len(lost) == (2 if "defaultValue" in model else 1)


def test_every_factory_maps_to_its_node(tmp_path: Path) -> None:
    expected = {
        _W + "selection.column.ColumnSelectionWidgetNodeFactory": "column_selection_widget",
        _C + "selection.column.ColumnSelectionDialogNodeFactory2": "column_selection_widget",
        _C + "selection.column.ColumnSelectionDialogNodeFactory": "column_selection_widget",
        _W + "selection.multiple.MultipleSelectionWidgetNodeFactory": "multiple_selection_widget",
        _C + "selection.multiple.MultipleSelectionDialogNodeFactory": "multiple_selection_widget",
        _W + "selection.value.ValueSelectionWidgetNodeFactory": "value_selection_widget",
        _C + "selection.value.ValueSelectionDialogNodeFactory": "value_selection_widget",
        _W + "filter.column.ColumnFilterWidgetNodeFactory2": "column_filter_widget",
        _W + "filter.column.ColumnFilterWidgetNodeFactory": "column_filter_widget",
        _C + "filter.column.ColumnFilterDialogNodeFactory2": "column_filter_widget",
        _C + "filter.column.ColumnFilterDialogNodeFactory": "column_filter_widget",
        _W + "reexecution.refresh.RefreshButtonWidgetNodeFactory": "refresh_button_widget",
        _W + "output.text.TextOutputWidgetNodeFactory": "text_output_widget",
    }
    for factory, node_type in expected.items():
        node, _, _ = import_fragment(tmp_path, factory, {"flowVariableName": "x"})
        assert node.type == node_type, factory
