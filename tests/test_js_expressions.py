"""Column Expressions and Variable Expressions: JavaScript scripts on an embedded V8, KNIME's
access functions and string/math library, output types, missing cells, errors naming the row and
line, and the KNIME mappings (the keys KNIME 4.5 and 5.6 write)."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
import urllib.parse
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, NodeError, Table
from engine.core.testing import run_node
from nodes.js_expressions import ColumnExpressions, VariableExpressions

COLUMN_EXPRESSIONS = "org.knime.expressions.base.node.formulas.FormulasNodeFactory"
VARIABLE_EXPRESSIONS = "org.knime.expressions.base.node.variableexpression.VariableExpressionsNodeFactory"

HOUSES = pd.DataFrame(
    {
        "total_rooms": [880, 7099, 1467, 1274],
        "households": [126, 1138, None, 219],
        "city": ["San Francisco", "oakland", None, "  Palo Alto "],
    }
)


def expression(script: str, name: str = "out", type_: str = "String", **more: Any) -> dict[str, Any]:
    return {"expression": script, "outputName": name, "outputType": type_, **more}


def computed(script: str, type_: str = "String", df: pd.DataFrame = HOUSES, **settings: Any) -> list[Any]:
    run = run_node(ColumnExpressions, {"expressions": [expression(script, "out", type_)], **settings}, df)
    return run[1].df["out"].tolist()


# ----------------------------------------------------------------------------------- numbers


def test_ratio_per_row_with_missing_divisor_and_last_value_semantics() -> None:
    out = run_node(
        ColumnExpressions,
        {
            "expressions": [
                expression('column("total_rooms") / column("households")', "rooms_per_household", "Double"),
                expression(
                    'var r = column("total_rooms");\nvar h = 2;\n"a1"\nr * h + rowIndex()', "twice", "Long"
                ),
            ]
        },
        HOUSES,
    )[1]
    ratio = out.df["rooms_per_household"].tolist()
    assert ratio[0] == pytest.approx(880 / 126) and ratio[1] == pytest.approx(7099 / 1138)
    assert ratio[3] == pytest.approx(1274 / 219)
    assert ratio[2] == float("inf")  # JavaScript: 1467 / null = 1467 / 0
    assert out.df["twice"].tolist() == [1760, 14199, 2936, 2551]
    assert out.columns == ["total_rooms", "households", "city", "rooms_per_household", "twice"]
    assert out.spec.type_of("twice") == "Long"


def test_math_functions_and_multi_row_window() -> None:
    df = pd.DataFrame({"x": [4.0, 9.0, 2.25, -7.5]})
    assert computed('sqrt(abs(column("x")))', "Double", df) == [2.0, 3.0, 1.5, pytest.approx(7.5**0.5)]
    assert computed('round(column("x")) + floor(-0.5) + mod(7, 3)', "Integer", df) == [4, 9, 2, -7]
    assert computed('max(column("x"), 3, 5)', "Double", df) == [5.0, 9.0, 5.0, 5.0]
    # difference to the previous row; the first row reads itself when out of bounds
    diff = computed('column("x") - column("x", -1)', "Double", df, multiRowAccessWindowSize=1)
    assert diff == [0.0, 5.0, -6.75, -9.75]
    nulls = computed(
        'column("x", 1)',
        "Double",
        df,
        multiRowAccessWindowSize=1,
        multiRowAccessReturnFirstLastWhenOutOfBounds=False,
    )
    assert nulls[:3] == [9.0, 2.25, -7.5] and pd.isna(nulls[3])
    with pytest.raises(NodeError, match=r"offset 2 .* window \(size 1\)"):
        computed('column("x", 2)', "Double", df, multiRowAccessWindowSize=1)


# ---------------------------------------------------------------------------------- strings


@pytest.mark.parametrize(
    ("script", "type_", "expected"),
    [
        (
            'joinSep(", ", column("city"), rowId())',
            "String",
            ["San Francisco, Row0", "oakland, Row1", ", Row2", "  Palo Alto , Row3"],
        ),
        ('substr(column("city"), 4, 3)', "String", ["Fra", "and", None, "lo "]),
        ('upperCase(strip(column("city")))', "String", ["SAN FRANCISCO", "OAKLAND", None, "PALO ALTO"]),
        ('capitalize(column("city"))', "String", ["San Francisco", "Oakland", None, "  Palo Alto "]),
        (
            'replace(column("city"), "A", "_", "i")',
            "String",
            ["S_n Fr_ncisco", "o_kl_nd", None, "  P_lo _lto "],
        ),
        (
            'regexReplace(column("city"), "(\\\\w+) (\\\\w+)", "$2-$1")',
            "String",
            ["Francisco-San", "oakland", None, "  Alto-Palo "],
        ),
        ('regexMatcher(column("city"), "[a-z]+")', "Boolean", [False, True, None, False]),
        # count of "a" ignoring case plus the first index of "o" (a missing text counts 0, indexOf -1)
        (
            'count(column("city"), "a", "i") + indexOf(column("city"), "o")',
            "Integer",
            [2 + 12, 2 + 0, 0 - 1, 2 + 5],
        ),
        ('padLeft(toString(column("total_rooms")), 5, "0")', "String", ["00880", "07099", "01467", "01274"]),
        ('isMissing(column("city")) ? "none" : "some"', "String", ["some", "some", "none", "some"]),
    ],
)
def test_string_functions(script: str, type_: str, expected: list[Any]) -> None:
    assert [None if pd.isna(v) else v for v in computed(script, type_)] == expected


def test_string_functions_against_python_references() -> None:
    df = pd.DataFrame({"s": ["Grüße aus Zürich & mehr*", "a.b-c_d"]})
    assert computed('md5Checksum(column("s"))', df=df) == [
        hashlib.md5(s.encode()).hexdigest() for s in df["s"]
    ]
    assert computed('urlEncode(column("s"))', df=df) == [
        urllib.parse.quote_plus(s, safe="*") for s in df["s"]
    ]
    assert computed('urlDecode(urlEncode(column("s")))', df=df) == list(df["s"])
    plain = [
        "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)) for s in df["s"]
    ]
    assert computed('removeDiacritic(column("s"))', df=df) == plain
    assert computed('replaceUmlauts(column("s"), false)', df=df)[0] == "Gruesse aus Zuerich & mehr*"
    # KNIME's Variable Expressions example: the part after the last slash
    path = pd.DataFrame({"p": ["/home/knime/workspace"]})
    assert computed('v = column("p")\nsubstr(v, lastIndexOfChar(v, "/") + 1, length(v))', df=path) == [
        "workspace"
    ]


# ------------------------------------------------------------------ missing cells, variables


def test_missing_cells_and_flow_variables() -> None:
    run = run_node(
        ColumnExpressions,
        {
            "expressions": [
                expression(
                    'column("households") === null ? -1 : column("households") * variable("factor")',
                    "h",
                    "Double",
                ),
                expression('joinSep("-", column("city"), null)', "j"),
                expression('if (rowIndex() % 2 == 0) { null } else { variable("label") + rowCount() }', "v"),
            ]
        },
        HOUSES,
        variables={"factor": 0.5, "label": "n="},
    )
    assert run[1].df["h"].tolist() == [63.0, 569.0, -1.0, 109.5]
    assert run[1].df["j"].tolist() == ["San Francisco-", "oakland-", None, "  Palo Alto -"]
    assert run[1].df["v"].tolist() == [None, "n=4", None, "n=4"]


# ------------------------------------------------------------------------- output types


def test_conversion_to_the_declared_output_type() -> None:
    df = pd.DataFrame({"x": [1.0, 2.5]})
    assert computed('column("x") * 2', "Integer", df) == [2, 5]
    assert computed("[0.1, 1e10, 7, true][rowIndex()]", "String", df) == ["0.1", "1.0E10"]
    assert computed('column("x") > 2', "Boolean", df) == [False, True]
    assert computed('"2024-03-0" + (rowIndex() + 1)', "Local Date", df) == [
        dt.date(2024, 3, 1),
        dt.date(2024, 3, 2),
    ]
    listed = run_node(
        ColumnExpressions,
        {"expressions": [expression('[column("x"), rowIndex()]', "l", "Double", isCollection=True)]},
        df,
    )[1]
    assert listed.spec.type_of("l") == "List of Double" and listed.df["l"].tolist() == [
        (1.0, 0.0),
        (2.5, 1.0),
    ]
    # 2.5 * 3 is no Integer: the cell stays missing with a warning (failOnScriptError is off) ...
    run = run_node(ColumnExpressions, {"expressions": [expression('column("x") * 3', "i", "Integer")]}, df)
    assert run[1].df["i"].tolist()[0] == 3 and pd.isna(run[1].df["i"].tolist()[1])
    assert "Row 'Row1' (index 1)" in run.warnings[0] and "7.5 is not a whole number" in run.warnings[0]
    # ... and fails the node when it is on
    with pytest.raises(NodeError, match="an array result cannot be stored as Double"):
        computed("[1, 2]", "Double", df, failOnScriptError=True)


def test_replace_keeps_the_column_position_with_the_new_type() -> None:
    out = run_node(
        ColumnExpressions,
        {
            "expressions": [
                expression('toInt(column("total_rooms") / 100)', "total_rooms", "Integer", replaceColumn=True)
            ]
        },
        HOUSES,
    )[1]
    assert out.columns == ["total_rooms", "households", "city"]
    assert out.df["total_rooms"].tolist() == [8, 70, 14, 12]


# ---------------------------------------------------------------------------------- errors


def test_errors_name_the_row_the_expression_and_the_line() -> None:
    script = 'var c = column("city");\nc.toLowerCase()'
    with pytest.raises(
        NodeError, match=r"Row 'Row2' \(index 2\), expression 2: TypeError at line 2"
    ) as caught:
        run_node(
            ColumnExpressions,
            {
                "expressions": [expression("1", "one", "Integer"), expression(script)],
                "failOnScriptError": True,
            },
            HOUSES,
        )
    assert caught.value.setting == "expressions.1.expression"
    run = run_node(ColumnExpressions, {"expressions": [expression(script)]}, HOUSES)
    assert run[1].df["out"].tolist() == ["san francisco", "oakland", None, "  palo alto "]
    assert "line 2" in run.warnings[0]


def test_syntax_errors_unknown_columns_and_unsupported_functions() -> None:
    with pytest.raises(ConfigureError, match=r"not valid JavaScript: SyntaxError: .*\(line 2\)") as caught:
        run_node(ColumnExpressions, {"expressions": [expression("var a = 1;\nvar b = ;")]}, HOUSES)
    assert caught.value.setting == "expressions.0.expression"
    with pytest.raises(ConfigureError, match="no column 'rooms'"):
        computed('column("rooms")')
    assert all(pd.isna(v) for v in computed('column("ro" + "oms")', failOnInvalidAccess=False))
    # knitflow cannot evaluate these: the node fails even though failOnScriptError is off
    with pytest.raises(NodeError, match=r"log\(\) of KNIME Column Expressions is not supported"):
        computed("log(10)", "Double")
    with pytest.raises(NodeError, match=r"function dateDiff\(\) is not part of knitflow's"):
        computed('dateDiff(column("city"))')
    with pytest.raises(ConfigureError, match="Duplicate column name: city"):
        run_node(ColumnExpressions, {"expressions": [expression("1", "city")]}, HOUSES)


# ------------------------------------------------------------------------ Variable Expressions


def test_variable_expressions() -> None:
    run = run_node(
        VariableExpressions,
        {
            "expressions": [
                {
                    "expression": 'var d = variable("after") - variable("before");\n"saved " + d + " rows"',
                    "outputName": "msg",
                },
                {"expression": 'variable("after") / 8', "outputName": "ratio", "outputType": "DOUBLE"},
                {
                    "expression": 'variable("before") * 3',
                    "outputName": "before",
                    "outputType": "INTEGER",
                    "replaceVariable": True,
                },
                {"expression": 'toInt("42") > 41', "outputName": "flag", "outputType": "BOOLEAN"},
            ]
        },
        variables={"after": 30, "before": 12},
    )
    assert run.variables == {"msg": "saved 18 rows", "ratio": 3.75, "before": 36, "flag": True}
    with pytest.raises(NodeError, match="returned null"):
        run_node(VariableExpressions, {"expressions": [{"expression": "null", "outputName": "x"}]})
    with pytest.raises(NodeError, match=r"column\(\) is not available in Variable Expressions"):
        run_node(VariableExpressions, {"expressions": [{"expression": 'column("a")', "outputName": "x"}]})


# --------------------------------------------------------------------------------- KNIME import


def _element(script: str, name: str, cell_class: str, **more: Any) -> dict[str, Any]:
    return {
        "expression": script,
        "outputName": name,
        "outputType": {"cell_class": cell_class, "is_null": False},
        "replaceColumn": False,
        "isCollection": False,
        **more,
    }


def test_imports_column_expressions_of_knime_4_5_and_5_6(tmp_path: Path) -> None:
    model = {
        "expressions": {
            "element 0": _element(
                'column("total_rooms") / column("households")',
                "rooms_per_household",
                "org.knime.core.data.def.DoubleCell",
            ),
            "element 1": _element('upperCase(column("city"))', "CITY", "org.knime.core.data.def.StringCell"),
        },
        "count": 2,
        "failOnInvalidAccess": True,
        "failOnScriptError": False,
    }
    node, report, _ = import_fragment(tmp_path, COLUMN_EXPRESSIONS, model)
    assert node.type == "column_expressions" and findings(report) == []
    assert [e["outputType"] for e in node.settings["expressions"]] == ["Double", "String"]
    out = run_node(ColumnExpressions, node.settings, HOUSES)[1]
    assert out.df["CITY"].tolist()[:2] == ["SAN FRANCISCO", "OAKLAND"]
    newer = {
        "expressions": {
            "element 0": _element(
                'var ids = column("genreIDs");\nJSON.stringify(ids)',
                "genres",
                "org.knime.core.data.json.JSONCell",
            )
        },
        "count": 1,
        "failOnInvalidAccess": True,
        "failOnScriptError": False,
        "multiRowAccessWindowSize": 0,
        "multiRowAccessReturnFirstLastWhenOutOfBounds": True,
    }
    node, report, _ = import_fragment(tmp_path, COLUMN_EXPRESSIONS, newer)
    assert [f for f in findings(report) if "JSON output is kept as a String column" in f]
    assert len(findings(report)) == 1 and node.settings["multiRowAccessWindowSize"] == 0
    genres = Table(pd.DataFrame({"genreIDs": [("1", "25")]}), {"genreIDs": "List of String"})
    assert run_node(ColumnExpressions, node.settings, genres)[1].df["genres"].tolist() == ['["1","25"]']


def test_imports_collections_and_refuses_unknown_output_types(tmp_path: Path) -> None:
    listed = {
        "expressions": {
            "element 0": _element("[1, 2]", "l", "org.knime.core.data.def.IntCell", isCollection=True),
            "element 1": _element(
                '["a"]',
                "s",
                "org.knime.core.data.collection.ListCell",
                outputType={
                    "cell_class": "org.knime.core.data.collection.ListCell",
                    "is_null": False,
                    "collection_element_type": {
                        "cell_class": "org.knime.core.data.def.StringCell",
                        "is_null": False,
                    },
                },
            ),
        },
        "count": 2,
        "failOnInvalidAccess": True,
        "failOnScriptError": True,
    }
    node, report, _ = import_fragment(tmp_path, COLUMN_EXPRESSIONS, listed)
    assert findings(report) == []
    assert [(e["outputType"], e["isCollection"]) for e in node.settings["expressions"]] == [
        ("Integer", True),
        ("String", True),
    ]
    odd = {"expressions": {"element 0": _element("1", "x", "org.knime.core.data.xml.XMLCell")}, "count": 1}
    node, report, _ = import_fragment(tmp_path, COLUMN_EXPRESSIONS, odd)
    assert any("XMLCell is not supported" in f for f in findings(report))


def test_imports_variable_expressions(tmp_path: Path) -> None:
    element = {
        "expression": 'var d = variable("Count");\n"removed " + d + " rows"\n',
        "outputName": "log",
        "outputType": "STRING",
        "replaceVariable": False,
    }
    model = {"expressions": {"element 0": element}, "count": 1}
    node, report, _ = import_fragment(tmp_path, VARIABLE_EXPRESSIONS, model)
    assert node.type == "variable_expressions" and findings(report) == []
    run = run_node(VariableExpressions, node.settings, variables={"Count": 7})
    assert run.variables == {"log": "removed 7 rows"}
    odd = {
        "expressions": {"element 0": {**element, "outputType": "STRING_ARRAY"}},
        "count": 1,
    }
    _, report, _ = import_fragment(tmp_path, VARIABLE_EXPRESSIONS, odd)
    assert any("STRING_ARRAY is not supported" in f for f in findings(report))
