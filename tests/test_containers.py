"""KNIME's container nodes (knime-json): Container Input/Output (Table), Container Input (Variable)
in both generations, Container Input/Output (JSON) and Container Input (Credentials) behave as their
node models do without a caller and with one (`inputPathOrUrl`, a workflow variable named after
`parameterName`), and import from the keys KNIME saves."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_knime_import import bindings, findings, import_fragment, notes

from engine.api import UNKNOWN, ColumnType, ConfigureError, NodeError, Table, TableSpec
from engine.core.testing import configure_node, run_node
from engine.core.workflow import Workflow

TABLE_IN = "org.knime.json.node.container.input.table.ContainerTableInputNodeFactory"
TABLE_OUT = "org.knime.json.node.container.output.table.ContainerTableOutputNodeFactory"
VARIABLE_IN = "org.knime.json.node.container.input.variable2.ContainerVariableInputNodeFactory2"
VARIABLE_IN_LEGACY = "org.knime.json.node.container.input.variable.ContainerVariableInputNodeFactory"
JSON_IN = "org.knime.json.node.input.JSONInputNodeFactory"
JSON_OUT = "org.knime.json.node.output.JSONOutputNodeFactory"
CREDENTIALS_IN = "org.knime.json.node.container.input.credentials.ContainerCredentialsInputNodeFactory"

# a template as the dialog saves it (JSONUtil.toPrettyJSONString), no Zoned Date&Time column
TEMPLATE = """{
  "table-spec" : [ {
    "name" : "string"
  }, {
    "count" : "int"
  }, {
    "score" : "double"
  }, {
    "big" : "long"
  }, {
    "ok" : "boolean"
  }, {
    "day" : "localdate"
  }, {
    "at" : "localdatetime"
  }, {
    "time" : "localtime"
  } ],
  "table-data" : [ [ "a", 1, 1.5, 10000000000, true, "2018-03-27", "2018-03-27T08:30:45.111", "12:30" ],
    [ null, null, null, null, null, null, null, null ] ]
}"""


def template_table_input(**extra: Any) -> dict[str, Any]:
    return {"exampleInput": TEMPLATE, **extra}


# ----------------------------------------------------------------------- Container Input (Table)


def test_the_template_table_is_output_with_its_types() -> None:
    res = run_node("container_input_table", template_table_input(), None)
    table: Table = res[1]
    assert table.spec == TableSpec.of(
        [
            ("name", ColumnType.STRING),
            ("count", ColumnType.INTEGER),
            ("score", ColumnType.DOUBLE),
            ("big", ColumnType.LONG),
            ("ok", ColumnType.BOOLEAN),
            ("day", ColumnType.LOCAL_DATE),
            ("at", ColumnType.LOCAL_DATE_TIME),
            ("time", ColumnType.LOCAL_TIME),
        ]
    )
    assert table.row_ids == ["Row0", "Row1"]  # RowKey.createRowKey(i)
    first = table.df.iloc[0].tolist()
    assert first == [
        "a",
        1,
        1.5,
        10_000_000_000,
        True,
        dt.date(2018, 3, 27),
        dt.datetime(2018, 3, 27, 8, 30, 45, 111000),
        dt.time(12, 30),
    ]
    second = table.df.iloc[1]
    assert second.isna().all()  # null cells are missing cells
    assert str(table.df["count"].dtype) == "Int64" and str(table.df["ok"].dtype) == "boolean"
    assert res.warnings == ["Configured template table is output"]


def test_an_unconnected_input_and_an_unknown_one_give_no_spec_but_a_known_one_passes_on() -> None:
    assert configure_node("container_input_table", template_table_input(), None) == [UNKNOWN]
    spec = TableSpec.of([("x", ColumnType.DOUBLE)])
    assert configure_node("container_input_table", template_table_input(), spec) == [spec]


def test_a_connected_table_is_passed_on_instead_of_the_template() -> None:
    df = pd.DataFrame({"x": [1.0, 2.0], "s": ["u", "v"]}, index=["r1", "r2"])
    res = run_node("container_input_table", template_table_input(), df)
    assert res.df().equals(df) and res[1].row_ids == ["r1", "r2"]
    assert res.warnings == []


def test_a_connected_table_must_be_mappable() -> None:
    """ContainerTableMapper.toContainerTable checks the table; knitflow maps the basic types only."""
    table = Table(pd.DataFrame({"v": [(1, 2)]}, index=["Row0"]), {"v": "List of Integer"})
    with pytest.raises(NodeError, match="column 'v' of type List of Integer"):
        run_node("container_input_table", template_table_input(), table)


def test_the_default_template_needs_a_zoned_date_time_column(tmp_path: Path) -> None:
    """ContainerTableDefaultJsonStructure holds a zoneddatetime column, which knitflow cannot build."""
    with pytest.raises(NodeError, match="zoneddatetime"):
        run_node("container_input_table", {}, None)
    # with a table at the input the template is not needed
    df = pd.DataFrame({"x": [1]})
    assert run_node("container_input_table", {}, df).df()["x"].tolist() == [1]


def write_json(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_a_callers_table_is_read_from_input_path_or_url(tmp_path: Path) -> None:
    caller = {
        "table-spec": [{"id": "long"}, {"label": "string"}],
        "table-data": [[7, "seven"], [8, None]],
    }
    settings = template_table_input(inputPathOrUrl=write_json(tmp_path, "in.json", caller))
    res = run_node("container_input_table", settings, pd.DataFrame({"ignored": [1]}))
    assert res.specs == [TableSpec.of([("id", ColumnType.LONG), ("label", ColumnType.STRING)])]
    assert res.df()["id"].tolist() == [7, 8] and res.df()["label"].tolist() == ["seven", None]
    assert res.warnings == []
    # a file: URL is read as well
    url = Path(settings["inputPathOrUrl"]).as_uri()
    assert run_node("container_input_table", {**settings, "inputPathOrUrl": url}, None).df()[
        "id"
    ].tolist() == [7, 8]


def test_a_callers_table_without_spec_is_read_in_the_templates_spec(tmp_path: Path) -> None:
    caller = {"table-data": [["b", 2, 3, 4, False, "2020-01-02", "2020-01-02T03:04", "05:06:07"]]}
    settings = template_table_input(inputPathOrUrl=write_json(tmp_path, "in.json", caller))
    res = run_node("container_input_table", settings, None)
    assert res.specs[0].names == ["name", "count", "score", "big", "ok", "day", "at", "time"]
    assert res.df().iloc[0].tolist() == [
        "b",
        2,
        3.0,
        4,
        False,
        dt.date(2020, 1, 2),
        dt.datetime(2020, 1, 2, 3, 4),
        dt.time(5, 6, 7),
    ]


def caller_cells(tmp_path: Path, col_type: str, *cells: Any) -> list[Any]:
    document = {"table-spec": [{"c": col_type}], "table-data": [[c] for c in cells]}
    settings = {"inputPathOrUrl": write_json(tmp_path, f"{col_type}.json", document)}
    return run_node("container_input_table", settings, None).df()["c"].tolist()


def test_cells_are_the_java_text_of_the_json_value_read_by_the_column_types_factory(tmp_path: Path) -> None:
    # String: Jackson's Integer/Double/Boolean/List/Map toString()
    assert caller_cells(tmp_path, "string", 1, 1.0, 1e20, True, [1, "a", None], {"k": [2.5]}) == [
        "1",
        "1.0",
        "1.0E20",
        "true",
        "[1, a, null]",
        "{k=[2.5]}",
    ]
    # Boolean: Boolean.parseBoolean, so anything but "true" (any case) is false
    assert caller_cells(tmp_path, "boolean", "TRUE", "yes", 1, False) == [True, False, False, False]
    # Number (double): Double.parseDouble of the text, strings too
    assert caller_cells(tmp_path, "double", 2, " 2.5 ", "Infinity") == [2.0, 2.5, np.inf]
    assert caller_cells(tmp_path, "int", "-3", 4) == [-3, 4]


def test_cells_the_column_type_refuses_fail_the_node(tmp_path: Path) -> None:
    with pytest.raises(NodeError, match=r'^Could not parse: "1.0" to type: "Number \(integer\)"$'):
        caller_cells(tmp_path, "int", 1.0)
    with pytest.raises(NodeError, match=r'^Could not parse: "2147483648" to type: "Number \(integer\)"$'):
        caller_cells(tmp_path, "int", 2**31)
    with pytest.raises(NodeError, match=r'^Could not parse: "27.3.2018" to type: "Local Date"$'):
        caller_cells(tmp_path, "localdate", "27.3.2018")


def test_malformed_caller_tables_fail_with_knimes_messages(tmp_path: Path) -> None:
    short = {"table-spec": [{"a": "int"}, {"b": "int"}], "table-data": [[1, 2], [3]]}
    with pytest.raises(
        NodeError, match="^Invalid input. Template table spec defines 2 columns, but input row 1 has 1"
    ):
        run_node("container_input_table", {"inputPathOrUrl": write_json(tmp_path, "s.json", short)}, None)
    twice = {"table-spec": [{"a": "int"}, {"b": "int"}, {"a": "string"}], "table-data": []}
    with pytest.raises(ConfigureError, match='^Columns "0" and "2" have equal names'):
        configure_node(
            "container_input_table", {"inputPathOrUrl": write_json(tmp_path, "d.json", twice)}, None
        )
    with pytest.raises(NodeError, match="could not be resolved"):
        run_node("container_input_table", {"inputPathOrUrl": str(tmp_path / "nowhere.json")}, None)


# ---------------------------------------------------------------------- Container Output (Table)


def test_the_output_passes_its_input_on_and_writes_it_for_the_caller(tmp_path: Path) -> None:
    source = run_node("container_input_table", template_table_input(), None)[1]
    target = tmp_path / "out.json"
    res = run_node("container_output_table", {"outputPathOrUrl": str(target)}, source)
    assert res[1] is source and res.specs == [source.spec]
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["table-spec"] == json.loads(TEMPLATE)["table-spec"]
    assert written["table-data"] == [
        ["a", 1, 1.5, 10000000000, True, "2018-03-27", "2018-03-27T08:30:45.111", "12:30"],
        [None] * 8,
    ]
    # what one workflow returns, another reads as its caller's table
    back = run_node("container_input_table", {"inputPathOrUrl": str(target)}, None)[1]
    assert back.spec == source.spec and back.df.equals(source.df)


def test_the_output_writes_nothing_without_a_path(tmp_path: Path) -> None:
    df = pd.DataFrame({"x": [np.nan, 2.0]})
    res = run_node("container_output_table", {}, df)
    assert res.df().reset_index(drop=True).equals(df) and list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------- Container Input (Variable)

SPEC = {
    "requireSpecification": True,
    "variables": [
        {"name": "threshold", "type": "double", "value": "0.5"},
        {"name": "n", "type": "int", "value": " 12 "},
        {"name": "label", "type": "str", "value": " x "},
        {"name": "on", "type": "bool", "value": "TRUE"},
    ],
}


def test_the_defined_variables_are_pushed_with_their_types_first_on_top() -> None:
    res = run_node("container_input_variable", SPEC)
    # pushed last to first, so the first defined is on top
    assert list(res.variables.items()) == [("on", True), ("label", " x "), ("n", 12), ("threshold", 0.5)]
    assert res.warnings == ["Default variables are output"]
    from nodes.containers import ContainerVariableInput

    assert ContainerVariableInput().configure_variables(
        [], ContainerVariableInput.Settings.model_validate(SPEC)
    ) == {
        "on": "Boolean",
        "label": "String",
        "n": "Integer",
        "threshold": "Double",
    }


def test_without_a_specification_nothing_is_pushed() -> None:
    res = run_node("container_input_variable", {"variables": SPEC["variables"]})
    assert res.variables == {} and res.warnings == []
    res = run_node("container_input_variable", {"requireSpecification": True})
    assert res.variables == {} and res.warnings == ["Specification is empty; no variables can be received"]


def test_a_default_knime_refuses_fails_configure() -> None:
    bad = {"requireSpecification": True, "variables": [{"name": "n", "type": "int", "value": "2147483648"}]}
    with pytest.raises(ConfigureError, match="Variable 0 malformed"):
        configure_node("container_input_variable", bad)


def test_a_callers_variables_arrive_as_a_workflow_variable_named_after_the_parameter() -> None:
    caller = json.dumps({"n": 3, "label": "y", "threshold": 2, "on": False})
    res = run_node("container_input_variable", SPEC, variables={"variable-input": caller})
    # in the caller's order, reversed; an Integer for a Double variable becomes a Double
    assert list(res.variables.items()) == [("on", False), ("threshold", 2.0), ("label", "y"), ("n", 3)]
    assert isinstance(res.variables["threshold"], float) and res.warnings == []


def test_a_callers_variables_must_match_the_specification() -> None:
    with pytest.raises(
        NodeError, match=r"missing expected variables: \[on\], unexpected variables: \[extra\]"
    ):
        caller = {"n": 3, "label": "y", "threshold": 2, "extra": 1}
        run_node("container_input_variable", SPEC, variables={"variable-input": json.dumps(caller)})
    wrong = {"n": 1.5, "label": 1, "threshold": 2, "on": True}
    with pytest.raises(NodeError) as exc:
        run_node("container_input_variable", SPEC, variables={"variable-input": json.dumps(wrong)})
    assert str(exc.value) == (
        "label: The specification demands type STRING but INTEGER was provided; "
        "n: The specification demands type INTEGER but DOUBLE was provided"
    )
    big = {"n": 2**40, "label": "y", "threshold": 2, "on": True}
    with pytest.raises(NodeError, match=r"n: Value must not be a LONG \(INTEGER out of bounds\)!"):
        run_node("container_input_variable", SPEC, variables={"variable-input": json.dumps(big)})


def test_a_simple_json_spec_takes_the_bare_value_and_no_spec_takes_any_variables() -> None:
    one = {**SPEC, "variables": SPEC["variables"][:1], "useSimpleJsonSpec": True}
    assert run_node("container_input_variable", one, variables={"variable-input": "7"}).variables == {
        "threshold": 7.0
    }
    with pytest.raises(NodeError, match="simplified JSON"):
        run_node("container_input_variable", one, variables={"variable-input": '{"threshold": 7}'})
    free = run_node(
        "container_input_variable", {"parameterName": "p"}, variables={"p": '{"a": "x", "b": true}'}
    )
    assert list(free.variables.items()) == [("b", True), ("a", "x")]


# ------------------------------------------------------ Container Input (Variable), 3.6-4.3


def test_the_first_generation_pushes_knimes_fixed_defaults() -> None:
    res = run_node("container_input_variable_legacy", {})
    assert list(res.variables.items()) == [
        ("variable-string", "somevariable"),
        ("variable-double", 42.0),
        ("variable-int", 100),
    ]
    assert res.warnings == ["Default variables are output"]


def test_the_first_generation_reads_a_caller_and_refuses_booleans(tmp_path: Path) -> None:
    path = write_json(tmp_path, "vars.json", {"variables": [{"a": 1}, {"b": "x", "c": 0.5}]})
    res = run_node("container_input_variable_legacy", {"inputPathOrUrl": path})
    assert list(res.variables.items()) == [("a", 1), ("b", "x"), ("c", 0.5)] and res.warnings == []
    caller = json.dumps({"variables": [{"flag": True}]})
    with pytest.raises(NodeError, match='^Variable "flag" has invalid variable class "true"$'):
        run_node("container_input_variable_legacy", {}, variables={"variable-input": caller})


# ---------------------------------------------------------------- Container Input/Output (JSON)


def test_json_input_is_a_one_row_json_table() -> None:
    res = run_node("container_input_json", {"json": '{ "a" : [1, 2.50], /* note */ "b" : "x/y" } # done'})
    assert res.specs == [TableSpec.of([("json", ColumnType.JSON)])]
    assert res[1].types == {"json": ColumnType.JSON} and res[1].row_ids == ["Row0"]
    assert res.df()["json"].tolist() == ['{"a":[1,2.50],"b":"x/y"}']
    with pytest.raises(ConfigureError, match="Unable to parse JSON"):
        configure_node("container_input_json", {"json": "{oops"})


def json_table(*cells: str | None) -> Table:
    df = pd.DataFrame({"other": range(len(cells)), "doc": pd.Series(cells, dtype=object)})
    return Table.from_frame(df, {"doc": ColumnType.JSON})


def test_json_output_gives_the_callers_json() -> None:
    single = run_node("container_output_json", {"jsonColumnName": "doc"}, json_table('{"a":1}'))[1]
    assert single.table.df["json"].tolist() == ['{"a":1}']
    not_simple = {"jsonColumnName": "doc", "keepOneRowTablesSimple": False}
    assert run_node("container_output_json", not_simple, json_table('{"a":1}'))[1].table.df[
        "json"
    ].tolist() == ['[{"a":1}]']
    many = run_node("container_output_json", {"jsonColumnName": "doc"}, json_table("1", None, '"s"'))[1]
    assert many.table.df["json"].tolist() == ['[1,null,"s"]']
    # one missing cell is no value to keep simple
    assert run_node("container_output_json", {"jsonColumnName": "doc"}, json_table(None))[1].table.df[
        "json"
    ].tolist() == ["[null]"]


def test_json_output_checks_its_column() -> None:
    spec = json_table("1").spec
    with pytest.raises(ConfigureError, match="^Selected column 'nope' does not exist$"):
        configure_node("container_output_json", {"jsonColumnName": "nope"}, spec)
    with pytest.raises(ConfigureError, match="^Selected column 'other' not json compatible"):
        configure_node("container_output_json", {"jsonColumnName": "other"}, spec)
    with pytest.raises(ConfigureError, match="^Column name must not be empty$"):
        configure_node("container_output_json", {}, spec)


def test_credentials_input_fails_clearly() -> None:
    with pytest.raises(ConfigureError, match="does not support credentials"):
        configure_node("container_input_credentials", {"parameterName": "login"})


# ---------------------------------------------------------------------- a caller through the CLI


def test_a_caller_passes_a_table_through_a_workflow_variable(tmp_path: Path) -> None:
    """What `knitflow run --set table_file=...` does: the variable bound to inputPathOrUrl (KNIME's
    own hook for callers) names the caller's table; the output writes the result."""
    caller = write_json(tmp_path, "caller.json", {"table-spec": [{"v": "int"}], "table-data": [[5], [6]]})
    (tmp_path / "wf.yaml").write_text(
        f"""
format: knitflow/1
name: callers
variables:
  table_file: ""
  result_file: {json.dumps(str(tmp_path / "result.json"))}
nodes:
  - id: 1
    type: container_input_table
    use_variables: {{inputPathOrUrl: table_file}}
    settings:
      parameterName: numbers
      exampleInput: '{{"table-spec":[{{"v":"int"}}],"table-data":[[1]]}}'
  - id: 2
    type: container_output_table
    use_variables: {{outputPathOrUrl: result_file}}
connections:
  - 1:1 -> 2:1
""",
        encoding="utf-8",
    )
    wf = Workflow.load(tmp_path / "wf.yaml")
    without = wf.run()
    assert without.ok and without.output(2)["v"].tolist() == [1]
    with_caller = wf.run(variables={"table_file": caller})
    assert with_caller.ok and with_caller.output(2)["v"].tolist() == [5, 6]
    assert json.loads((tmp_path / "result.json").read_text()) == {
        "table-spec": [{"v": "int"}],
        "table-data": [[5], [6]],
    }


# -------------------------------------------------------------------------------------- importing


def shared_keys(parameter: str) -> dict[str, Any]:
    """ContainerNodeSharedConfiguration's keys (4.4 on)."""
    return {
        "parameterName": parameter,
        "description": "What the caller sends",
        "useFullyQualifiedName": False,
    }


def test_table_input_imports(tmp_path: Path) -> None:
    model = {
        **shared_keys("table-input"),
        "inputPathOrUrl": None,
        "useEntireTable": False,
        "numberOfRows": 10,
        "omitTableSpec": True,
        "exampleInput": TEMPLATE,
    }
    node, report, _ = import_fragment(tmp_path, TABLE_IN, model)
    assert node.type == "container_input_table" and findings(report) == []
    assert node.settings == {
        "parameterName": "table-input",
        "description": "What the caller sends",
        "useFullyQualifiedName": False,
        "inputPathOrUrl": None,
        "exampleInput": TEMPLATE,
    }
    res = run_node("container_input_table", node.settings, None)
    assert res.df()["count"].tolist()[:1] == [1]


def test_table_input_of_knime_3_6_and_a_binding_on_its_input_path(tmp_path: Path) -> None:
    """The first layout (no template options, no useFullyQualifiedName); a caller's flow variable
    on inputPathOrUrl follows the setting."""
    model = {"parameterName": "input", "description": "", "inputPathOrUrl": None, "exampleInput": TEMPLATE}
    variables = bindings(inputPathOrUrl={"used": "caller_file"})
    node, report, _ = import_fragment(tmp_path, TABLE_IN, model, variables)
    assert findings(report) == [] and node.use_variables == {"inputPathOrUrl": "caller_file"}


def test_a_zoned_template_column_is_a_note_and_an_unknown_key_a_finding(tmp_path: Path) -> None:
    """KNIME's default template has a zoned column: the template matters only when nothing feeds
    the node, and then it fails saying why, so the import notes it instead of refusing."""
    from nodes.containers import DEFAULT_TEMPLATE

    model = {**shared_keys("input"), "inputPathOrUrl": None, "exampleInput": DEFAULT_TEMPLATE, "newOption": 1}
    _, report, _ = import_fragment(tmp_path, TABLE_IN, model)
    assert findings(report) == ["setting newOption = 1 has no counterpart in knitflow"]
    assert any("column-zoneddatetime" in m and "no zoned date-time" in m for m in notes(report))


def test_table_output_imports(tmp_path: Path) -> None:
    model = {
        **shared_keys("table-output"),
        "outputPathOrUrl": None,
        "useEntireTable": True,
        "numberOfRows": 10,
        "omitTableSpec": False,
        "exampleOutput": TEMPLATE,
    }
    node, report, _ = import_fragment(tmp_path, TABLE_OUT, model)
    assert node.type == "container_output_table" and findings(report) == []
    assert node.settings == {
        "parameterName": "table-output",
        "description": "What the caller sends",
        "useFullyQualifiedName": False,
        "outputPathOrUrl": None,
    }
    _, report, _ = import_fragment(
        tmp_path, TABLE_OUT, {**model, "outputPathOrUrl": "knime://knime.workflow/out.json"}
    )
    assert any("knime://" in m for m in findings(report))


def variable_model(**extra: Any) -> dict[str, Any]:
    return {
        **shared_keys("variable-input"),
        "inputPathOrUrl": None,
        "useSimpleJsonSpec": False,
        "mergeVariables": False,
        "requireSpecification": True,
        "variables": {
            "supportedTypes": ["str", "int", "double", "bool"],
            "types": ["double", "int"],
            "names": ["threshold", "n"],
            "values": ["0.5", "12"],
        },
        **extra,
    }


def test_variable_input_imports(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, VARIABLE_IN, variable_model())
    assert node.type == "container_input_variable" and findings(report) == []
    assert node.settings["variables"] == [
        {"name": "threshold", "type": "double", "value": "0.5"},
        {"name": "n", "type": "int", "value": "12"},
    ]
    assert node.settings["requireSpecification"] is True and "inputPathOrUrl" not in node.settings
    assert run_node("container_input_variable", node.settings).variables == {"n": 12, "threshold": 0.5}


def test_variable_input_unknown_keys_are_findings(tmp_path: Path) -> None:
    model = variable_model(extraSwitch=True)
    model["variables"]["defaults"] = ["x"]
    _, report, _ = import_fragment(tmp_path, VARIABLE_IN, model)
    lost = findings(report)
    assert (
        len(lost) == 2
        and any("extraSwitch" in m for m in lost)
        and any("variables.defaults" in m for m in lost)
    )
    odd = variable_model()
    odd["variables"]["types"] = ["double", "long"]
    node, report, _ = import_fragment(tmp_path, VARIABLE_IN, odd)
    assert node.type == "knime_placeholder" and any("long" in m for m in findings(report))


def test_legacy_variable_input_imports(tmp_path: Path) -> None:
    model = {
        "parameterName": "variable-input",
        "description": "",
        "inputPathOrUrl": None,
        "exampleInput": "{}",
    }
    node, report, _ = import_fragment(tmp_path, VARIABLE_IN_LEGACY, model)
    assert node.type == "container_input_variable_legacy" and findings(report) == []
    assert node.settings == {"parameterName": "variable-input", "description": "", "inputPathOrUrl": None}
    assert any("unconnected" in n for n in notes(report))


def test_json_nodes_import(tmp_path: Path) -> None:
    json_in = {**shared_keys("json-input"), "json": '{"a":1}'}
    node, report, _ = import_fragment(tmp_path, JSON_IN, json_in)
    assert node.type == "container_input_json" and findings(report) == []
    assert node.settings["json"] == '{"a":1}'
    assert run_node("container_input_json", node.settings).df()["json"].tolist() == ['{"a":1}']
    json_out = {
        **shared_keys("json-output"),
        "jsonColumnName": "doc",
        "keepOneRowTablesSimple": True,
        "exampleJson": "{}",
    }
    node, report, _ = import_fragment(tmp_path, JSON_OUT, json_out)
    assert node.type == "container_output_json" and findings(report) == []
    assert node.settings == {
        **shared_keys("json-output"),
        "jsonColumnName": "doc",
        "keepOneRowTablesSimple": True,
    }
    _, report, _ = import_fragment(tmp_path, JSON_IN, {**json_in, "surprise": "x"})
    assert any("surprise" in m for m in findings(report))


def test_credentials_input_imports_as_a_finding(tmp_path: Path) -> None:
    model = {
        "parameterName": "credential-input",
        "description": "",
        "inputPathOrUrl": None,
        "exampleInput": "{}",
    }
    node, report, _ = import_fragment(tmp_path, CREDENTIALS_IN, model)
    assert node.type == "container_input_credentials"
    assert any("no credentials" in m for m in findings(report))
