"""KNIME's Container Input (Row) (knime-json, ContainerRowInputNodeModel and ContainerRowMapper):
a caller's row (one JSON object, read from `inputPathOrUrl`) typed by its values or by the
template row, the first row of the optional input, or the template row; and the import of the keys
ContainerRowInputNodeConfiguration saves."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_knime_import import bindings, findings, import_fragment, notes

from engine.api import UNKNOWN, ColumnType, ConfigureError, NodeError, TableSpec
from engine.core.testing import configure_node, run_node

ROW_IN = "org.knime.json.node.container.input.row.ContainerRowInputNodeFactory"

# a template row as the dialog saves it (JSONUtil.toPrettyJSONString)
TEMPLATE = """{
  "table-spec" : [ {
    "name" : "string"
  }, {
    "count" : "int"
  }, {
    "score" : "double"
  }, {
    "day" : "localdate"
  } ],
  "table-data" : [ [ "anna", 3, 0.5, "2024-03-05" ] ]
}"""


def caller(tmp_path: Path, row: Any) -> str:
    path = tmp_path / f"row_{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(row), encoding="utf-8")
    return str(path)


def templated(tmp_path: Path, row: Any, **options: Any) -> dict[str, Any]:
    return {
        "templateRow": TEMPLATE,
        "useTemplateAsSpec": True,
        "inputPathOrUrl": caller(tmp_path, row),
        **options,
    }


def first_row(run: Any) -> list[Any]:
    return [None if pd.isna(v) else v for v in run.df().iloc[0].tolist()]


# ------------------------------------------------------------------------------- without a caller


def test_the_template_row_is_output_with_a_warning() -> None:
    run = run_node("container_input_row", {"templateRow": TEMPLATE}, None)
    assert run.warnings == ["Configured template row is output"]
    assert run.outputs[0].spec == TableSpec.of(
        [
            ("name", ColumnType.STRING),
            ("count", ColumnType.INTEGER),
            ("score", ColumnType.DOUBLE),
            ("day", ColumnType.LOCAL_DATE),
        ]
    )
    assert first_row(run) == ["anna", 3, 0.5, dt.date(2024, 3, 5)] and list(run.df().index) == ["Row0"]
    # KNIME's default template: an empty container table
    empty = run_node("container_input_row", {}, None)
    assert empty.outputs[0].spec == TableSpec.of([]) and len(empty.df()) == 0


def test_a_connected_table_gives_its_first_row() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}, index=["r7", "r8", "r9"])
    run = run_node("container_input_row", {"templateRow": TEMPLATE}, frame)
    assert run.warnings == [] and run.df().to_dict("index") == {"r7": {"a": 1, "b": "x"}}
    spec = TableSpec.of([("a", ColumnType.LONG)])
    assert configure_node("container_input_row", {}, spec) == [spec]
    assert configure_node("container_input_row", {}, None) == [UNKNOWN]


# ------------------------------------------------------------------------------------ with a caller


def test_a_callers_row_is_typed_by_its_json_values(tmp_path: Path) -> None:
    row = {"name": "bob", "n": 7, "big": 2**40, "x": 1.0, "ok": False, "none": None, "obj": {"k": [1, 2.5]}}
    settings = {"templateRow": TEMPLATE, "inputPathOrUrl": caller(tmp_path, row)}
    run = run_node("container_input_row", settings, pd.DataFrame({"ignored": [1]}))
    assert run.specs[0] == TableSpec.of(
        [
            ("name", ColumnType.STRING),
            ("n", ColumnType.INTEGER),
            ("big", ColumnType.LONG),
            ("x", ColumnType.DOUBLE),
            ("ok", ColumnType.BOOLEAN),
            ("none", ColumnType.STRING),
            ("obj", ColumnType.STRING),
        ]
    )
    # an object becomes its JSON text as Jackson writes it; null a missing cell
    assert first_row(run) == ["bob", 7, 2**40, 1.0, False, None, '{"k":[1,2.5]}']
    assert list(run.df().index) == ["Row0"] and run.warnings == []
    assert configure_node("container_input_row", settings, None) == run.specs


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([1, 2], "Error when parsing input. The input must have a simple map format"),
        ({"a": [1]}, "JSON arrays are not supported"),
        ({"a": 2**64}, "Numeric integer values larger than 2^64 are not supported"),
    ],
)
def test_rows_knime_cannot_map_fail(tmp_path: Path, row: Any, message: str) -> None:
    settings = {"inputPathOrUrl": caller(tmp_path, row)}
    with pytest.raises(ConfigureError, match="^" + re.escape(message)):
        configure_node("container_input_row", settings)


def test_the_template_gives_columns_types_and_defaults(tmp_path: Path) -> None:
    # values are parsed into the template's types; unknown keys are appended
    run = run_node(
        "container_input_row", templated(tmp_path, {"count": "12", "day": "2020-01-02", "extra": 5}), None
    )
    assert run.specs[0].names == ["name", "count", "score", "day", "extra"]
    assert run.specs[0].columns[-1].type == ColumnType.INTEGER
    # a missing column is filled with a missing value by default
    assert first_row(run) == [None, 12, None, dt.date(2020, 1, 2), 5]
    dropped = run_node(
        "container_input_row",
        templated(tmp_path, {"count": 1, "extra": 5}, appendSuperfluousColumns=False),
        None,
    )
    assert dropped.specs[0].names == ["name", "count", "score", "day"]
    defaults = run_node(
        "container_input_row",
        templated(tmp_path, {"count": 1}, missingColumnHandling="Fill with default value"),
        None,
    )
    assert first_row(defaults) == ["anna", 1, 0.5, dt.date(2024, 3, 5)]
    removed = run_node(
        "container_input_row",
        templated(tmp_path, {"score": 2, "name": "x"}, missingColumnHandling="Remove"),
        None,
    )
    assert removed.specs[0].names == ["name", "score"] and first_row(removed) == ["x", 2.0]
    with pytest.raises(ConfigureError, match="^The injected row does not contain all the columns specified"):
        configure_node("container_input_row", templated(tmp_path, {"count": 1}, missingColumnHandling="Fail"))


def test_null_values_against_the_template(tmp_path: Path) -> None:
    row = {"name": None, "count": 4, "score": None, "day": None, "new": None}
    accepted = run_node("container_input_row", templated(tmp_path, row), None)
    assert first_row(accepted) == [None, 4, None, None, None]
    filled = run_node(
        "container_input_row", templated(tmp_path, row, missingValuesHandling="Fill with default value"), None
    )
    # a null in a column the template lacks stays missing
    assert first_row(filled) == ["anna", 4, 0.5, dt.date(2024, 3, 5), None]
    with pytest.raises(NodeError, match="^The injected row contains missing values."):
        run_node("container_input_row", templated(tmp_path, row, missingValuesHandling="Fail"), None)


def test_a_value_the_template_type_refuses_fails_the_node(tmp_path: Path) -> None:
    with pytest.raises(NodeError) as failure:
        run_node("container_input_row", templated(tmp_path, {"count": 1.5}), None)
    assert (
        str(failure.value)
        == "The value '1.5' of column 'count' cannot be parsed to the expected 'Number (integer)' type"
    )


# ------------------------------------------------------------------------------------------ import


def row_keys(**changed: Any) -> dict[str, Any]:
    """ContainerRowInputNodeConfiguration.save, in its order."""
    keys = {
        "parameterName": "customer",
        "description": "One customer",
        "inputPathOrUrl": None,
        "useTemplateAsSpec": True,
        "templateRow": TEMPLATE,
        "missingValuesHandling": "Fill with default value",
        "missingColumnHandling": "Fail",
        "appendSuperfluousColumns": False,
    }
    return {**keys, **changed}


def test_row_input_imports(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, ROW_IN, row_keys())
    assert node.type == "container_input_row" and findings(report) == []
    assert node.settings == {
        "parameterName": "customer",
        "description": "One customer",
        "inputPathOrUrl": None,
        "templateRow": TEMPLATE,
        "useTemplateAsSpec": True,
        "missingValuesHandling": "Fill with default value",
        "missingColumnHandling": "Fail",
        "appendSuperfluousColumns": False,
    }
    assert first_row(run_node("container_input_row", node.settings, None)) == [
        "anna",
        3,
        0.5,
        dt.date(2024, 3, 5),
    ]
    # a caller's file arrives through a flow variable on inputPathOrUrl
    variables = bindings(inputPathOrUrl={"used": "caller_file"})
    node, report, _ = import_fragment(tmp_path, ROW_IN, row_keys(), variables)
    assert findings(report) == [] and node.use_variables == {"inputPathOrUrl": "caller_file"}


def test_row_input_old_handling_zoned_template_and_unknown_keys(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, ROW_IN, row_keys(missingColumnHandling="Ignore"))
    assert findings(report) == [] and node.settings["missingColumnHandling"] == "Remove"
    assert any("'Ignore'" in m for m in notes(report))
    zoned = '{"table-spec":[{"at":"zoneddatetime"}],"table-data":[["2024-03-05T10:00+01:00[Europe/Paris]"]]}'
    node, report, _ = import_fragment(tmp_path, ROW_IN, row_keys(templateRow=zoned, newOption=1))
    assert findings(report) == ["setting newOption = 1 has no counterpart in knitflow"]
    assert any("no zoned date-time" in m for m in notes(report))
    with pytest.raises(NodeError, match="zoneddatetime"):
        run_node("container_input_row", node.settings, None)
