"""Rule Engine Variable, Math Formula (Variable), Table Column to Variable, Wait... and Create Temp
Dir: values computed by hand, and their KNIME mappings from fragments with KNIME's keys."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.core.context import Resources, RunContext
from engine.core.registry import registry
from engine.core.testing import run_node
from engine.core.variables import VarStack
from nodes.variable_utilities import file_event_happened, seconds_until

RULE_VARIABLE = "org.knime.base.node.rules.engine.RuleEngineVariableNodeFactory"
JEP_VARIABLE = "org.knime.ext.jep.variable.JEPVariableNodeFactory"
COLUMN_TO_VARIABLE4 = "org.knime.base.node.flowvariable.tablecoltovariable4.TableColumnToVariable4NodeFactory"
# the web-UI version: TableColumnToVariable4NodeFactory2
COLUMN_TO_VARIABLE3 = "org.knime.base.node.flowvariable.tablecoltovariable3.TableColumnToVariable3NodeFactory"
COLUMN_TO_VARIABLE2 = "org.knime.base.node.flowvariable.tablecoltovariable2.TableColumnToVariable2NodeFactory"
SLEEP = "org.knime.base.node.flowcontrol.sleep.SleepNodeFactory"
TEMP_DIR = "org.knime.base.node.util.createtempdir.CreateTempDirectoryNodeFactory"


def pushed(
    node_type: str, settings: dict[str, Any], *inputs: Any, **variables: Any
) -> dict[str, tuple[Any, str]]:
    """Execute a node and return what it pushed as {name: (value, type)}."""
    cls = registry.get(node_type)
    assert cls is not None
    node, parsed = cls(), cls.Settings.model_validate(settings)
    ctx = RunContext(node_id=1, variables=VarStack.of(variables))
    node.execute(list(inputs), parsed, ctx)
    return {e.name: (e.value, e.type) for e in ctx.pushed}


# ------------------------------------------------------------------------------- Rule Engine Variable

RULES = ['$${Ix}$$ > 3 => "big"', "// a comment", "$${Ix}$$ <= 3 => 1.5"]


@pytest.mark.parametrize(
    ("rules", "x", "expected"),
    [
        (RULES, 5, ("big", "String")),
        (RULES, 2, ("1.5", "String")),  # a String result shows the double as Double.toString does
        (["$${Ix}$$ > 3 => 2", "TRUE => 1.5"], 5, (2.0, "Double")),  # Integer and Double: Double
        (["$${Ix}$$ > 3 => 2", "$${Ix}$$ > 1 => 7"], 2, (7, "Integer")),
        (["$${Ix}$$ > 3 => 2"], 0, (0, "Integer")),  # no match: 0 for Integer
        (["$${Ix}$$ > 3 => 2.5"], 0, (0.0, "Double")),
        (['$${Ix}$$ > 3 => "a"'], 0, ("", "String")),
        (["// only a comment"], 0, ("", "String")),
        (["$${Ix}$$ IN (1, 2, 4) => $${Sname}$$"], 4, ("Ann", "String")),
        (['$${Sname}$$ LIKE "A*" AND NOT $${Ix}$$ = 1 => $${Dd}$$'], 9, (0.25, "Double")),
        (['$${Sname}$$ MATCHES "B.*" => 1', "TRUE => $${Ix}$$"], 9, (9, "Integer")),
    ],
)
def test_rule_engine_variable_first_match_and_type(
    rules: list[str], x: int, expected: tuple[Any, str]
) -> None:
    out = pushed("rule_engine_variable", {"rules": rules, "new_column_name": "r"}, x=x, name="Ann", d=0.25)
    assert out == {"r": expected}


def test_rule_engine_variable_refuses_tables_and_boolean_results() -> None:
    with pytest.raises(ConfigureError, match="no table"):
        run_node("rule_engine_variable", {"rules": ['$col$ > 1 => "x"']})
    with pytest.raises(ConfigureError, match="ROWINDEX"):
        run_node("rule_engine_variable", {"rules": ['$$ROWINDEX$$ > 1 => "x"']})
    with pytest.raises(ConfigureError, match="rules.0"):
        run_node("rule_engine_variable", {"rules": ['$${Ix}$$ > => "x"']}, variables={"x": 1})
    with pytest.raises(NodeError, match="BooleanCell"):
        run_node("rule_engine_variable", {"rules": ["$${Ix}$$ > 0 => TRUE"]}, variables={"x": 1})
    # KNIME's no-match branch for a Boolean result type pushes 0.0
    assert run_node(
        "rule_engine_variable", {"rules": ["$${Ix}$$ > 5 => TRUE"]}, variables={"x": 1}
    ).variables == {"prediction": 0.0}


def test_rule_engine_variable_import(tmp_path: Path) -> None:
    model = {
        "rules": ['$${Ix}$$ > 3 => "big"', '$${Ix}$$ <= 3 => "small"'],
        "new-column-name": "size",
        "replace-column-name": "",
        "append-column": True,
        "disallowLongOutputForCompatibility": False,
    }
    node, report, _ = import_fragment(tmp_path, RULE_VARIABLE, model)
    assert node.type == "rule_engine_variable" and findings(report) == []
    assert run_node("rule_engine_variable", node.settings, variables={"x": 3}).variables == {"size": "small"}
    _, report, _ = import_fragment(tmp_path, RULE_VARIABLE, {**model, "default-label": "x"})
    assert any("default-label" in f for f in findings(report))


# ---------------------------------------------------------------------------- Math Formula (Variable)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"expression": "$${Dx}$$ * 2 + $${Iy}$$", "replaced_column": "z"}, {"z": (5.5, "Double")}),
        (
            {"expression": "$${Dx}$$ * 2", "replaced_column": "z", "convert_to_int": True},
            {"z": (3, "Integer")},
        ),
        (
            {"expression": "-$${Dx}$$ * 2", "replaced_column": "z", "convert_to_int": True},
            {"z": (-2, "Integer")},
        ),
        ({"expression": "if($${Iy}$$ > 2, pi, e)", "replaced_column": "y", "append_column": False}, {}),
    ],
)
def test_math_formula_variable(settings: dict[str, Any], expected: dict[str, Any]) -> None:
    out = pushed("math_formula_variable", settings, x=1.25, y=3)
    if settings.get("append_column", True):
        assert out == expected
    else:
        assert out["y"][1] == "Double" and out["y"][0] == pytest.approx(3.141592653589793)


def test_math_formula_variable_errors() -> None:
    variables = {"x": 0.0, "s": "text"}
    with pytest.raises(NodeError, match="Infinity"):
        run_node(
            "math_formula_variable",
            {"expression": "1 / $${Dx}$$", "replaced_column": "z"},
            variables=variables,
        )
    with pytest.raises(ConfigureError, match="not a number"):
        run_node(
            "math_formula_variable",
            {"expression": "$${Ss}$$ + 1", "replaced_column": "z"},
            variables=variables,
        )
    with pytest.raises(ConfigureError, match="no table"):
        run_node("math_formula_variable", {"expression": "COL_MEAN($a$)", "replaced_column": "z"})
    with pytest.raises(ConfigureError, match="no flow variable 'w' to replace"):
        run_node("math_formula_variable", {"expression": "1", "replaced_column": "w", "append_column": False})
    with pytest.raises(ConfigureError, match="variable name is empty"):
        run_node("math_formula_variable", {"expression": "1"})


def test_math_formula_variable_import(tmp_path: Path) -> None:
    model = {
        "expression": " $${Dx}$$ ^ 2 ",
        "append_column": True,
        "replaced_column": "sq",
        "convert_to_int": False,
    }
    node, report, _ = import_fragment(tmp_path, JEP_VARIABLE, model)
    assert node.type == "math_formula_variable" and findings(report) == []
    assert run_node("math_formula_variable", node.settings, variables={"x": 1.5}).variables == {"sq": 2.25}


# -------------------------------------------------------------------------- Table Column to Variable

VALUES = pd.DataFrame({"n": [4, 5, 6], "s": ["a", None, "c"]}, index=["first", "second", "third"])


def test_table_column_to_variable_one_variable_per_row() -> None:
    table = Table(VALUES, {"n": ColumnType.INTEGER, "s": ColumnType.STRING})
    assert pushed("table_column_to_variable", {"column": "n"}, table) == {
        "first": (4, "Integer"),
        "second": (5, "Integer"),
        "third": (6, "Integer"),
    }
    assert pushed("table_column_to_variable", {"column": "s"}, table) == {
        "first": ("a", "String"),
        "third": ("c", "String"),
    }
    with pytest.raises(NodeError, match='column "s" \\(index 1\\) for row "second"'):
        run_node("table_column_to_variable", {"column": "s", "missingOperation": "FAIL"}, VALUES)
    empty = run_node("table_column_to_variable", {"column": "n"}, VALUES.iloc[:0])
    assert empty.variables == {} and empty.warnings == [
        "Node created no variables since the input data table is empty."
    ]
    with pytest.raises(ConfigureError, match="'x' is not part of the input"):
        run_node("table_column_to_variable", {"column": "x"}, VALUES)


def test_table_column_to_variable_types_and_legacy_conversion() -> None:
    frame = pd.DataFrame({"b": [True, False], "l": [2**40, 3]}, index=["r1", "r2"])
    table = Table(frame, {"b": ColumnType.BOOLEAN, "l": ColumnType.LONG})
    assert pushed("table_column_to_variable", {"column": "b"}, table) == {
        "r1": (True, "Boolean"),
        "r2": (False, "Boolean"),
    }
    assert pushed("table_column_to_variable", {"column": "l"}, table)["r1"] == (2**40, "Long")
    legacy = {"legacy_conversion": True}
    assert pushed("table_column_to_variable", {"column": "b", **legacy}, table) == {
        "r1": (1, "Integer"),
        "r2": (0, "Integer"),
    }
    assert pushed("table_column_to_variable", {"column": "l", **legacy}, table)["r2"] == (3.0, "Double")


def test_table_column_to_variable_imports_every_layout(tmp_path: Path) -> None:
    layouts: list[tuple[str, dict[str, Any], str, bool]] = [
        (COLUMN_TO_VARIABLE4, {"column": "s", "missingOperation": "FAIL"}, "FAIL", False),
        (COLUMN_TO_VARIABLE4, {"column": "s", "skip_missing": True}, "IGNORE", False),
        (f"{COLUMN_TO_VARIABLE4}2", {"column": "s", "missingOperation": "FAIL"}, "FAIL", False),
        (COLUMN_TO_VARIABLE3, {"column": "s", "ignore missing": False}, "FAIL", False),
        (
            COLUMN_TO_VARIABLE2,
            {"column": {"useRowID": False, "columnName": "s"}, "ignore missing": True},
            "IGNORE",
            True,
        ),
    ]
    layouts.append(
        (
            "org.knime.base.node.flowvariable.tablecoltovariable.TableColumnToVariableNodeFactory",
            {"column": {"useRowID": False, "columnName": "s"}, "ignore missing": True},
            "IGNORE",
            True,
        )
    )
    for factory, model, operation, legacy in layouts:
        node, report, _ = import_fragment(tmp_path, factory, model)
        assert node.type == "table_column_to_variable" and findings(report) == []
        assert node.settings["column"] == "s" and node.settings["missingOperation"] == operation
        assert node.settings.get("legacy_conversion", False) is legacy
    _, report, _ = import_fragment(
        tmp_path, COLUMN_TO_VARIABLE2, {"column": {"useRowID": True, "columnName": None}}
    )
    assert any("RowID" in f for f in findings(report))


# ---------------------------------------------------------------------------------------------- Wait...


def test_seconds_until_next_time_of_day() -> None:
    now = dt.datetime(2024, 3, 1, 10, 0, 0)
    assert seconds_until(now, 10, 0, 5) == 5
    assert seconds_until(now, 9, 30, 0) == 23.5 * 3600
    assert seconds_until(now, 10, 0, 0) == 24 * 3600


def test_file_events() -> None:
    a, a_changed, b = (1, 100, 3), (1, 200, 3), (2, 100, 3)
    assert file_event_happened("Creation", None, a) and file_event_happened("Creation", a, b)
    assert not file_event_happened("Creation", a, a_changed)
    assert file_event_happened("Modification", a, a_changed) and not file_event_happened("Modification", a, a)
    assert file_event_happened("Deletion", a, None) and not file_event_happened("Deletion", None, None)


def test_wait_for_time_and_for_file(tmp_path: Path) -> None:
    start = time.monotonic()
    run_node("wait", {"for_seconds": 0.05}, variables={"x": 1})
    assert time.monotonic() - start >= 0.05
    target = tmp_path / "flag.txt"
    timer = threading.Timer(0.05, target.write_text, args=("done",))
    timer.start()
    run_node("wait", {"wait_option": "for_file", "path": str(target), "file_status": "Creation"})
    timer.join()
    assert target.exists()
    with pytest.raises(ConfigureError, match="no file"):
        run_node("wait", {"wait_option": "for_file"})


def test_wait_import(tmp_path: Path) -> None:
    model = {
        "wait_option": 1,
        "for_hours": 0,
        "for_minutes": 0,
        "for_seconds": 1,
        "to_hours": 18,
        "to_min": 30,
        "to_seconds": 0,
        "path": "",
        "file_status": "Modification",
    }
    node, report, _ = import_fragment(tmp_path, SLEEP, model)
    assert node.type == "wait" and findings(report) == []
    assert node.settings["wait_option"] == "to_time" and node.settings["to_hours"] == 18


# ------------------------------------------------------------------------------------- Create Temp Dir


def test_create_temp_dir_pushes_paths_and_deletes_at_run_end() -> None:
    cls = registry.get("create_temp_dir")
    assert cls is not None
    resources = Resources()
    ctx = RunContext(node_id=3, variables=VarStack(), resources=resources)
    settings = cls.Settings.model_validate(
        {
            "baseName": "kf-test-",
            "variableName": "tmp",
            "additional_files": [{"variable_name": "f", "file_name": "a.csv"}],
        }
    )
    cls().execute([], settings, ctx)
    values = {e.name: e.value for e in ctx.pushed}
    folder = Path(values["tmp"])
    assert folder.is_dir() and folder.name.startswith("kf-test-") and not any(folder.iterdir())
    assert values["f"] == str(folder / "a.csv")
    resources.close_all()
    assert not folder.exists()
    kept = run_node("create_temp_dir", {"deleteOnReset": False}).variables["temp_dir_path"]
    assert Path(kept).is_dir()
    Path(kept).rmdir()


def test_create_temp_dir_import(tmp_path: Path) -> None:
    model = {
        "baseName": "run-",
        "variableName": "work",
        "deleteOnReset": True,
        "variable_names": ["out"],
        "file_names": ["out.csv"],
    }
    node, report, _ = import_fragment(tmp_path, TEMP_DIR, model)
    assert node.type == "create_temp_dir" and findings(report) == []
    assert node.settings["additional_files"] == [{"variable_name": "out", "file_name": "out.csv"}]
