"""Variable to Table Row: the chosen variables as one typed row, KNIME's no-variable cases, and the
mappings of VariableToTable4 (web UI and classic layouts) and VariableToTable3."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError
from engine.core.testing import run_node

FACTORY = "org.knime.base.node.flowvariable.variabletotablerow4.VariableToTable4NodeFactory"
FACTORY_LABS = "org.knime.base.node.flowvariable.variabletotablerow4.VariableToTable4NodeFactory2"
FACTORY_V3 = "org.knime.base.node.flowvariable.variabletotablerow3.VariableToTable3NodeFactory"
VARIABLES = {"a": 1, "big": 2**40, "b": 2.5, "s": "x", "flag": True}


def test_named_variables_become_one_typed_row() -> None:
    run = run_node(
        "variable_to_table_row", {"variables": ["s", "a", "b"], "row_id": "values"}, variables=VARIABLES
    )
    out = run[1]
    assert out.columns == ["s", "a", "b"]
    assert out.df.index.tolist() == ["values"]
    assert out.df.iloc[0].tolist() == ["x", 1, 2.5]
    assert [c.type for c in out.spec.columns] == [ColumnType.STRING, ColumnType.INTEGER, ColumnType.DOUBLE]
    assert run.specs[0].names == ["s", "a", "b"]


def test_filter_lists_the_stack_from_the_top_and_types_long_and_boolean() -> None:
    everything = {"included_names": [], "excluded_names": ["a"], "enforce_option": "EnforceExclusion"}
    out = run_node("variable_to_table_row", {"variables": everything}, variables=VARIABLES)[1]
    assert out.columns == ["flag", "s", "b", "big"]  # pushed last = listed first; a excluded
    assert out.df.index.tolist() == ["Row0"]
    assert out.df["big"].tolist() == [2**40] and out.spec.get("big").type == ColumnType.LONG
    assert out.df["flag"].tolist() == [True] and out.spec.get("flag").type == ColumnType.BOOLEAN


def test_no_variable_warns_in_the_web_ui_node_and_fails_in_the_classic_one() -> None:
    none = {"included_names": [], "enforce_option": "EnforceInclusion"}
    run = run_node("variable_to_table_row", {"variables": none}, variables=VARIABLES)
    assert run[1].columns == [] and run[1].df.index.tolist() == ["Row0"]
    assert run.warnings == ["No variables selected"]
    with pytest.raises(ConfigureError, match="No variables selected"):
        run_node(
            "variable_to_table_row", {"variables": none, "fail_without_variables": True}, variables=VARIABLES
        )
    with pytest.raises(ConfigureError, match="Please specify a row name"):
        run_node("variable_to_table_row", {"variables": ["a"], "row_id": "  "}, variables=VARIABLES)
    with pytest.raises(ConfigureError, match="not defined"):
        run_node("variable_to_table_row", {"variables": ["nope"]}, variables=VARIABLES)


WEB_UI = {
    "filter": {
        "mode": "MANUAL",
        "patternFilter": {"pattern": "", "isCaseSensitive": False, "isInverted": False},
        "manualFilter": {
            "manuallySelected": ["s"],
            "manuallyDeselected": ["partialMessage", "knime.workspace"],
            "includeUnknownColumns": False,
        },
        "typeFilter": {"selectedTypes": []},
    },
    "row_id": "Row0",
}


@pytest.mark.parametrize("factory", [FACTORY, FACTORY_LABS])
def test_imports_the_web_ui_layout(tmp_path: Path, factory: str) -> None:
    node, report, _ = import_fragment(tmp_path, factory, WEB_UI)
    assert node.type == "variable_to_table_row" and findings(report) == []
    out = run_node("variable_to_table_row", node.settings, variables=VARIABLES)[1]
    assert out.columns == ["s"] and out.df.index.tolist() == ["Row0"]


def test_imports_the_classic_layouts(tmp_path: Path) -> None:
    classic = {
        "row_id": "values",
        "variable_filter": {
            "filter-type": "STANDARD",
            "included_names": ["b", "a"],
            "excluded_names": ["s"],
            "enforce_option": "EnforceInclusion",
        },
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, classic)
    assert node.type == "variable_to_table_row" and findings(report) == []
    assert node.settings["fail_without_variables"] is True
    out = run_node("variable_to_table_row", node.settings, variables=VARIABLES)[1]
    assert out.columns == ["b", "a"] and out.df.index.tolist() == ["values"]
    v3 = {"row_id": "", "variable-filter": classic["variable_filter"]}
    node, report, _ = import_fragment(tmp_path, FACTORY_V3, v3)
    assert node.type == "variable_to_table_row"
    assert any("empty RowID" in f for f in findings(report))
