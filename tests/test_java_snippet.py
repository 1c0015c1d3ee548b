"""KNIME's Java Snippet nodes compiled with javac and run on a JVM: per-row fields, missing values,
RowIDs, flow variables in and out, append and replace, collections, compile errors in the user's
terms, Abort and exceptions, the simple nodes' $column$ expressions, and their KNIME mappings."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment, notes

from engine.api import ColumnType, ConfigureError, NodeError, Table, TableSpec
from engine.core.testing import configure_node, run_node
from nodes import _java_snippet_runtime as runtime
from nodes.java_snippet import JavaScriptingSettings, _parse_expression

SNIPPET = "org.knime.base.node.jsnippet.JavaSnippetNodeFactory"
EDIT_VAR = "org.knime.base.node.jsnippet.JavaEditVarNodeFactory"
SIMPLE = "org.knime.ext.sun.nodes.script.JavaScriptingNodeFactory"
SIMPLE_EDIT_VAR = "org.knime.ext.sun.nodes.script.node.editvar.JavaEditVariableNodeFactory"

needs_jdk = pytest.mark.skipif(runtime.find_jdk() is None, reason="needs a JDK (javac)")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scratch root for the module: the Java runtime is compiled once."""
    return tmp_path_factory.mktemp("java")


def run(scratch: Path, node: str, settings: dict[str, Any], *inputs: Any, **kwargs: Any) -> Any:
    return run_node(node, settings, *inputs, scratch_dir=scratch, **kwargs)


def table() -> Table:
    frame = pd.DataFrame(
        {
            "x": [1.5, np.nan, -3.25],
            "n": [1, 2, 3],
            "s": ["a", None, "c"],
            "l": [(1.0, 2.0), (None,), ()],
        },
        index=["r1", "r2", "r3"],
    )
    return Table.from_frame(frame, {"n": ColumnType.INTEGER, "l": ColumnType.list_of(ColumnType.DOUBLE)})


def col(name: str, java: str, **extra: Any) -> dict[str, Any]:
    return {"Name": name, "JavaName": java, "JavaType": extra.pop("JavaType", "java.lang.Double"), **extra}


# ------------------------------------------------------------------------------------- Java Snippet


@needs_jdk
def test_snippet_rows_missing_values_row_fields_and_state(scratch: Path) -> None:
    settings = {
        "scriptFields": "int seen = 0;",
        "scriptBody": (
            "seen++;\n"
            "o_x = c_x == null ? null : c_x * 2 + c_n;\n"
            'o_s = ROWID + "|" + ROWINDEX + "/" + ROWCOUNT + "|" + c_s + "|" + seen;\n'
        ),
        "inCols": [
            col("x", "c_x"),
            col("n", "c_n", JavaType="java.lang.Integer"),
            col("s", "c_s", JavaType="java.lang.String"),
        ],
        "outCols": [
            col("twice", "o_x", Type="Double"),
            col("s", "o_s", JavaType="java.lang.String", Type="String", replaceExisting=True),
        ],
    }
    out = run(scratch, "java_snippet", settings, table())
    df = out.df()
    assert list(df.columns) == ["x", "n", "s", "l", "twice"]  # replaced in place, new one appended
    assert df["twice"].iloc[0] == 4.0 and math.isnan(df["twice"].iloc[1]) and df["twice"].iloc[2] == -3.5
    assert df["s"].tolist() == ["r1|0/3|a|1", "r2|1/3|null|2", "r3|2/3|c|3"]
    assert out[1].types["twice"] == ColumnType.DOUBLE and out.specs[0].names == list(df.columns)


@needs_jdk
def test_snippet_doubles_round_trip_exactly(scratch: Path) -> None:
    values = [0.1 + 0.2, 5e-324, -0.0, 1.7976931348623157e308, 123456789.123456789, float("inf")]
    frame = pd.DataFrame({"x": values})
    settings = {"scriptBody": "y = x;", "inCols": [col("x", "x")], "outCols": [col("y", "y", Type="Double")]}
    got = run(scratch, "java_snippet", settings, frame).df()["y"].tolist()
    assert [v.hex() for v in got] == [v.hex() for v in values]


@needs_jdk
def test_snippet_collections_and_cell_access(scratch: Path) -> None:
    settings = {
        "scriptBody": (
            "n = l == null ? null : l.length;\n"
            'o = new Double[] {getCell("x", tDouble), null};\n'
            'm = isMissing("x") || !columnExists("s") || getColumnCount() != 4;'
        ),
        "inCols": [col("l", "l", JavaType="[Ljava.lang.Double;")],
        "outCols": [
            col("len", "n", JavaType="java.lang.Integer", Type="Integer"),
            col("o", "o", JavaType="Double[]", Type="List of Double"),
            col("m", "m", JavaType="java.lang.Boolean", Type="Boolean"),
        ],
    }
    out = run(scratch, "java_snippet", settings, table())
    df = out.df()
    assert df["len"].tolist() == [2, 1, 0]
    assert df["o"].tolist() == [(1.5, None), (None, None), (-3.25, None)]
    assert df["m"].tolist() == [False, True, False]
    assert out[1].types["o"] == "List of Double"


@needs_jdk
def test_snippet_flow_variables_in_and_out(scratch: Path) -> None:
    settings = {
        "scriptBody": 'total = count + c_n; label = prefix + ROWID + getFlowVariable("ratio", tDouble);',
        "inCols": [col("n", "c_n", JavaType="java.lang.Integer")],
        "inVars": [
            col("count", "count", JavaType="java.lang.Integer", Type="INTEGER"),
            col("prefix", "prefix", JavaType="java.lang.String", Type="STRING"),
        ],
        "outVars": [
            col("count", "total", JavaType="java.lang.Integer", Type="INTEGER", replaceExisting=True),
            col("label", "label", JavaType="java.lang.String", Type="STRING"),
        ],
    }
    out = run(
        scratch, "java_snippet", settings, table(), variables={"count": 10, "prefix": "p:", "ratio": 0.5}
    )
    # each row reads the variable the previous row wrote: 10+1, 11+2, 13+3
    assert out.variables == {"count": 16, "label": "p:r30.5"}
    assert out.df().equals(table().df)  # no output column: the input passes unchanged
    with pytest.raises(NodeError, match='"count" is not found'):
        run(scratch, "java_snippet", settings, table(), variables={"prefix": "p"})
    with pytest.raises(NodeError, match='"count" has changed'):
        run(scratch, "java_snippet", settings, table(), variables={"count": 1.5, "prefix": "p"})
    fresh = dict(settings, outVars=[dict(settings["outVars"][0], replaceExisting=False)])
    with pytest.raises(NodeError, match="marked to be new"):
        run(scratch, "java_snippet", fresh, table(), variables={"count": 1, "prefix": "p"})


@needs_jdk
def test_snippet_without_rows_pushes_knimes_configure_values(scratch: Path) -> None:
    settings = {
        "scriptBody": 'i = 1; d = 2.0; s = "x";',
        "outVars": [
            col("i", "i", JavaType="java.lang.Integer", Type="INTEGER"),
            col("d", "d", Type="DOUBLE"),
            col("s", "s", JavaType="java.lang.String", Type="STRING"),
        ],
    }
    assert run(scratch, "java_snippet", settings, table().take([])).variables == {"i": -1, "d": -1.0, "s": ""}
    assert run(scratch, "java_snippet", settings, table()).variables == {"i": 1, "d": 2.0, "s": "x"}


@needs_jdk
def test_snippet_compile_error_names_the_setting_and_line(scratch: Path) -> None:
    settings = {
        "scriptBody": "// first line\nint a = 1;\ny = undefinedThing;\n",
        "outCols": [col("y", "y", Type="Double")],
    }
    with pytest.raises(NodeError) as err:
        run(scratch, "java_snippet", settings, table())
    assert err.value.setting == "scriptBody"
    assert "scriptBody line 3: cannot find symbol" in str(err.value) and "undefinedThing" in str(err.value)
    with pytest.raises(NodeError, match="scriptFields line 1") as err:
        run(scratch, "java_snippet", dict(settings, scriptBody="y = 1.0;", scriptFields="int x = ;"), table())
    assert err.value.setting == "scriptFields"


@needs_jdk
def test_snippet_abort_fails_and_exceptions_leave_missing_rows(scratch: Path) -> None:
    abort = {"scriptBody": 'if (ROWINDEX == 1) throw new Abort("stop at " + ROWID);'}
    with pytest.raises(NodeError, match="Calculation aborted: stop at r2"):
        run(scratch, "java_snippet", abort, table())
    settings = {
        "scriptBody": "\ny = 6 / (ROWINDEX - 1);",
        "outCols": [col("y", "y", JavaType="java.lang.Integer", Type="Integer")],
    }
    out = run(scratch, "java_snippet", settings, table())
    assert out.df()["y"].tolist()[0::2] == [-6, 6] and pd.isna(out.df()["y"].iloc[1])
    assert len(out.warnings) == 1 and "Exceptions in the code caused missing rows" in out.warnings[0]
    assert 'row "r2"' in out.warnings[0] and "line 2 of scriptBody" in out.warnings[0]
    assert "ArithmeticException" in out.warnings[0]
    with_var = dict(
        settings, outVars=[col("v", "v", Type="DOUBLE")], scriptBody="v = 1.0; y = 6 / (ROWINDEX - 1);"
    )
    with pytest.raises(NodeError, match="error occured in an expression with output flow variables"):
        run(scratch, "java_snippet", with_var, table())


def test_snippet_configure_checks_fields() -> None:
    spec = table().spec
    assert (
        configure_node("java_snippet", {"outCols": [col("y", "y", Type="Double")]}, spec)[0].names[-1] == "y"
    )
    with pytest.raises(ConfigureError, match='"nope" is not found'):
        configure_node("java_snippet", {"inCols": [col("nope", "a")]}, spec)
    with pytest.raises(ConfigureError, match="Missing converter"):
        configure_node("java_snippet", {"inCols": [col("s", "a")]}, spec)  # a String column as Double
    with pytest.raises(ConfigureError, match="marked to be a replacement"):
        configure_node(
            "java_snippet", {"outCols": [col("y", "y", Type="Double", replaceExisting=True)]}, spec
        )
    with pytest.raises(ConfigureError, match="marked to be new"):
        configure_node("java_snippet", {"outCols": [col("x", "y", Type="Double")]}, spec)
    with pytest.raises(ConfigureError, match="Missing converter"):
        configure_node(
            "java_snippet", {"outCols": [col("y", "y", Type="Integer")]}, spec
        )  # Double to Integer


def test_missing_jdk_says_to_install_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(runtime, "find_jdk", lambda: None)
    with pytest.raises(NodeError, match="install a JDK"):
        run(tmp_path, "java_snippet", {"scriptBody": ""}, table())
    with pytest.raises(NodeError, match="no javac was found"):
        run(tmp_path, "java_snippet_simple", {"expression": "return 1.0;"}, table())


@needs_jdk
def test_java_edit_variable(scratch: Path) -> None:
    settings = {
        "scriptBody": 'doubled = in * 2 + ROWCOUNT; text = ROWID + ":" + getFlowVariable("in", tInt);',
        "inVars": [col("in", "in", JavaType="java.lang.Integer", Type="INTEGER")],
        "outVars": [
            col("doubled", "doubled", JavaType="java.lang.Integer", Type="INTEGER"),
            col("text", "text", JavaType="java.lang.String", Type="STRING"),
        ],
    }
    assert run(scratch, "java_edit_variable", settings, None, variables={"in": 21}).variables == {
        "doubled": 43,
        "text": "Row0:21",
    }


# ---------------------------------------------------------------------------- Java Snippet (simple)


def test_expression_tokens_follow_knimes_stream_tokenizer() -> None:
    spec = TableSpec.of([("a b", ColumnType.DOUBLE), ("n", ColumnType.INTEGER), ("t", "Local Date")])
    settings = JavaScriptingSettings(
        expression='// $gone$\n/* $gone$ */ return $a b$ + $n$ + "$x\\t\'"+$${Dv}$$ + $${Dv}$$ + $$ROWCOUNT$$;'
    )
    body, fields = _parse_expression(settings, spec)
    assert body == '\n return __col0 + __col1 + "$x\t\'"+__variable_0 + __variable_0 + __ROWCOUNT;'
    assert [(f.java_name, f.java_class) for f in fields] == [
        ("__col0", "Double"),
        ("__col1", "Integer"),
        ("__variable_0", "Double"),
        ("__ROWCOUNT", "Integer"),
    ]
    settings.expression = "return $t$;"
    assert _parse_expression(settings, spec)[1][0].java_class == "String"  # a date is handed as its text
    settings.expression = "return $$ROWKEY$$;"
    with pytest.raises(NodeError, match="Invalid special identifier: ROWKEY"):
        _parse_expression(settings, spec)  # version 1's name


@needs_jdk
def test_simple_appends_and_skips_rows_with_missing_cells(scratch: Path) -> None:
    settings = {"expression": "return $x$ * 2 + $n$ + $$ROWINDEX$$;", "replaced_column": "y"}
    out = run(scratch, "java_snippet_simple", settings, table())
    y = out.df()["y"].tolist()
    assert y[0] == 4.0 and math.isnan(y[1]) and y[2] == -1.5 and out[1].types["y"] == ColumnType.DOUBLE
    as_null = {
        "expression": 'return $$ROWID$$ + "/" + $$ROWCOUNT$$ + ":" + $x$ + $s$;',
        "return_type": "java.lang.String",
        "insert_missing_as_null": True,
        "replaced_column": "s",
        "append_column": True,  # KNIME's key: replace
    }
    df = run(scratch, "java_snippet_simple", as_null, table()).df()
    assert list(df.columns) == ["x", "n", "s", "l"]
    assert df["s"].tolist() == ["r1/3:1.5a", "r2/3:nullnull", "r3/3:-3.25c"]


@needs_jdk
def test_simple_arrays_header_state_and_variables(scratch: Path) -> None:
    settings = {
        "header": "int calls = 0;",
        "expression": "calls++;\nreturn new Integer[] {calls, $l$.length, $${Ik}$$, null};",
        "return_type": "Integer",
        "is_array_return": True,
        "replaced_column": "arr",
    }
    out = run(scratch, "java_snippet_simple", settings, table(), variables={"k": 7})
    assert out.df()["arr"].tolist() == [(1, 2, 7, None), (2, 1, 7, None), (3, 0, 7, None)]
    assert out[1].types["arr"] == "List of Integer"
    with pytest.raises(NodeError, match="not Integer"):
        run(scratch, "java_snippet_simple", settings, table(), variables={"k": "seven"})


@needs_jdk
def test_simple_version_1_expression(scratch: Path) -> None:
    settings = {
        "expression": "int k = 3; $n$ * k",
        "expression_version": 1,
        "return_type": "java.lang.Integer",
    }
    assert run(scratch, "java_snippet_simple", settings, table()).df()["new column"].tolist() == [3, 6, 9]


@needs_jdk
def test_simple_errors(scratch: Path) -> None:
    with pytest.raises(NodeError, match="expression line 2: illegal start of expression") as err:
        run(scratch, "java_snippet_simple", {"expression": "int a = 1;\nreturn a +;"}, table())
    assert err.value.setting == "expression"
    with pytest.raises(NodeError, match="No such column: nope"):
        run(scratch, "java_snippet_simple", {"expression": "return $nope$;"}, table())
    abort = {"expression": 'if ($$ROWINDEX$$ == 2) throw new Abort("enough"); return 1.0;'}
    with pytest.raises(NodeError, match="Calculation aborted: enough"):
        run(scratch, "java_snippet_simple", abort, table())
    failing = {"expression": "return 6 / ($$ROWINDEX$$ - 1);", "return_type": "java.lang.Integer"}
    out = run(scratch, "java_snippet_simple", failing, table())
    assert out.df()["new column"].tolist()[0::2] == [-6, 6] and pd.isna(out.df()["new column"].iloc[1])


@needs_jdk
def test_java_edit_variable_simple(scratch: Path) -> None:
    settings = {
        "expression": 'return $${Sname}$$ + "!" + $${Dx}$$ + $$ROWID$$;',
        "replaced_column": "greeting",
    }
    out = run(scratch, "java_edit_variable_simple", settings, None, variables={"name": "hi", "x": 2})
    assert out.variables == {"greeting": "hi!2.0empty"}
    number = {"expression": "return $${Dx}$$ * 2;", "replaced_column": "y", "return_type": "java.lang.Double"}
    assert run(scratch, "java_edit_variable_simple", number, None, variables={"x": 0.25}).variables == {
        "y": 0.5
    }
    with pytest.raises(NodeError, match="Calculation returned missing value"):
        run(scratch, "java_edit_variable_simple", {"expression": "return null;"}, None)


# ---------------------------------------------------------------------------------- KNIME mappings


def data_type(cell: str, element: str | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"cell_class": cell, "is_null": False}
    if element:
        config["collection_element_type"] = {"cell_class": element, "is_null": False}
    return config


DOUBLE_CELL = "org.knime.core.data.def.DoubleCell"
SNIPPET_MODEL: dict[str, Any] = {
    "scriptImports": "// Your custom imports:\r\nimport java.util.*;\r\n",
    "scriptFields": "// Your custom variables:\n",
    "scriptBody": "// Enter your code here:\nout_x = c_x == null ? null : c_x + 1;\nlist = new Double[] {c_x};\n",
    "jarFiles": [],
    "outCols": [
        {
            "Name": "x1",
            "JavaName": "out_x",
            "JavaType": "java.lang.Double",
            "Type": data_type(DOUBLE_CELL),
            "ConverterFactory": "org.knime.core.data.convert.datacell.SimpleJavaToDataCellConverterFactory(Double,...)",
            "replaceExisting": False,
        },
        {
            "Name": "list",
            "JavaName": "list",
            "JavaType": "[Ljava.lang.Double;",
            "Type": data_type("org.knime.core.data.collection.ListCell", DOUBLE_CELL),
            "replaceExisting": False,
        },
    ],
    "outVars": [],
    "inCols": [
        {
            "Name": "x",
            "JavaName": "c_x",
            "JavaType": "java.lang.Double",
            "Type": data_type(DOUBLE_CELL),
            "ConverterFactory": "org.knime.core.data.convert.java.SimpleDataCellToJavaConverterFactory("
            "DoubleValue,class java.lang.Double,Double)",
        }
    ],
    "inVars": [],
    "version": "version 1.x",
    "templateUUID": None,
    "runOnExecute": False,
    "bundles": [],
}


def test_import_java_snippet_reads_knimes_keys(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, SNIPPET, SNIPPET_MODEL)
    assert node.type == "java_snippet" and findings(report) == []
    s = node.settings
    assert s["scriptImports"] == "// Your custom imports:\nimport java.util.*;\n"
    assert s["inCols"] == [{"Name": "x", "JavaName": "c_x", "JavaType": "java.lang.Double", "Type": "Double"}]
    assert [c["Type"] for c in s["outCols"]] == ["Double", "List of Double"]
    assert s["outCols"][0]["replaceExisting"] is False and s["jarFiles"] == []


@needs_jdk
def test_imported_java_snippet_runs(tmp_path: Path, scratch: Path) -> None:
    node, _, _ = import_fragment(tmp_path, SNIPPET, SNIPPET_MODEL)
    df = run(scratch, node.type, node.settings, table()).df()
    assert df["x1"].tolist()[0::2] == [2.5, -2.25] and math.isnan(df["x1"].iloc[1])
    assert df["list"].tolist() == [(1.5,), (None,), (-3.25,)]


def test_import_reports_jar_files_bundles_and_unsupported_types(tmp_path: Path) -> None:
    odd_field = dict(SNIPPET_MODEL["inCols"][0], Name="d", JavaName="c_d", JavaType="java.time.LocalDate")
    model = dict(
        SNIPPET_MODEL,
        jarFiles=["/home/knime/libs/extra.jar"],
        bundles=["org.apache.commons.lang3 3.9.0"],
        inCols=[*SNIPPET_MODEL["inCols"], odd_field],
    )
    node, report, _ = import_fragment(tmp_path, SNIPPET, model)
    found = findings(report)
    assert any("jarFiles" in f and "extra.jar" in f for f in found)
    assert any("bundles" in f for f in found)
    assert any("java.time.LocalDate" in f for f in found)
    assert [c["Name"] for c in node.settings["inCols"]] == ["x"]
    unknown = dict(SNIPPET_MODEL, someNewKey="x")
    assert any("someNewKey" in f for f in findings(import_fragment(tmp_path, SNIPPET, unknown)[1]))


def test_import_java_edit_variable(tmp_path: Path) -> None:
    model = dict(
        SNIPPET_MODEL,
        scriptBody="out = in + 1;",
        inCols=[],
        outCols=[],
        inVars=[{"Name": "in", "JavaName": "in", "JavaType": "java.lang.Integer", "Type": "INTEGER"}],
        outVars=[
            {
                "Name": "out",
                "JavaName": "out",
                "JavaType": "java.lang.Integer",
                "Type": "INTEGER",
                "replaceExisting": False,
            }
        ],
    )
    node, report, _ = import_fragment(tmp_path, EDIT_VAR, model)
    assert node.type == "java_edit_variable" and findings(report) == []
    assert node.settings["outVars"][0]["Type"] == "INTEGER" and "inCols" not in node.settings
    assert any("runOnExecute" in n for n in notes(report))
    bad = dict(model, inVars=[dict(model["inVars"][0], Type="CREDENTIALS")])
    assert any("CREDENTIALS" in f for f in findings(import_fragment(tmp_path, EDIT_VAR, bad)[1]))


SIMPLE_MODEL: dict[str, Any] = {
    "expression": "return $x$ * 2;",
    "header": "",
    "replaced_column": "x2",
    "append_column": False,
    "test_compilation_on_dialog_close": True,
    "insert_missing_as_null": False,
    "return_type": "java.lang.Double",
    "is_array_return": False,
    "java_libraries": [],
    "expression_version": 2,
}


def test_import_java_snippet_simple(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, SIMPLE, SIMPLE_MODEL)
    assert node.type == "java_snippet_simple" and findings(report) == []
    assert node.settings["replaced_column"] == "x2" and node.settings["append_column"] is False
    assert node.settings["return_type"] == "java.lang.Double" and node.settings["expression_version"] == 2
    old = {
        k: v for k, v in SIMPLE_MODEL.items() if k not in ("expression_version", "header", "is_array_return")
    }
    assert import_fragment(tmp_path, SIMPLE, old)[0].settings["expression_version"] == 1
    jars = findings(
        import_fragment(tmp_path, SIMPLE, dict(SIMPLE_MODEL, java_libraries=["C:\\libs\\a.jar"]))[1]
    )
    assert any("java_libraries" in f and "a.jar" in f for f in jars)
    dated = import_fragment(tmp_path, SIMPLE, dict(SIMPLE_MODEL, return_type="java.util.Date"))
    assert any("java.util.Date" in f for f in findings(dated[1]))


def test_import_java_edit_variable_simple(tmp_path: Path) -> None:
    model = dict(
        SIMPLE_MODEL, expression="return $${Sa}$$;", replaced_column="v", return_type="java.lang.String"
    )
    node, report, _ = import_fragment(tmp_path, SIMPLE_EDIT_VAR, model)
    assert node.type == "java_edit_variable_simple" and findings(report) == []
    assert node.settings["replaced_column"] == "v"
