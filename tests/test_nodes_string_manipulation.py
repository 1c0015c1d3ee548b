"""String Manipulation: KNIME's documented function examples (the manipulators' descriptions in
knime-javasnippet), Java operator semantics, return types, missing cells and the importer mapping."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.core.testing import configure_node, run_node
from nodes._string_functions import JavaError
from nodes._string_manipulation import Environment, Row, StringManipulationError, compile_expression

# (expression, expected) as documented by KNIME's String Manipulation functions
DOCUMENTED = [
    ('join("a", "b", "c")', "abc"),
    ('join(null, "", "a")', "a"),
    ("join((String)null)", None),
    ('joinSep(", ", "a", "b")', "a, b"),
    ('substr("abcdef", 0, 2)', "ab"),
    ('substr("abcdef", -3, 2)', "ab"),
    ('substr("abcdef", 2, 10)', "cdef"),
    ('substr("abcdef", 10, 2)', ""),
    ('substr("abcdef", 2)', "cdef"),
    ('substr("abcdef", -3)', "abcdef"),
    ('replace("abcABC", "ab", "", "")', "cABC"),
    ('replace("abcABC", "ab", "z", "i")', "zczC"),
    ('replace("ab abAB AB", "ab", "z", "w")', "z abAB AB"),
    ('replace("ab abAB AB", "ab", "z", "iw")', "z abAB z"),
    ('replace("any", "", "x")', "any"),
    ('regexReplace("abc", "[a-zA-Z]{3}", "cba")', "cba"),
    ('regexReplace("abcd", "[a-zA-Z]{3}", "ABC")', "ABCd"),
    ('regexReplace("2024-03-01", "(\\\\d+)-(\\\\d+)-(\\\\d+)", "$3.$2.$1")', "01.03.2024"),
    ('regexMatcher("abc", "a.*")', "True"),
    ('capitalize("processed by KNIME")', "Processed By Knime"),
    ('capitalize("a-b c", "-")', "A-B c"),
    ('upperCase("processed by KNIME")', "PROCESSED BY KNIME"),
    ('lowerCase("processed by KNIME")', "processed by knime"),
    ('strip("  KNIME  ")', "KNIME"),
    ('stripStart("  KNIME  ")', "KNIME  "),
    ('stripEnd("  KNIME  ")', "  KNIME"),
    ('join(strip("KNIME  ", "  KNIME"))', "KNIMEKNIME"),
    ('length("KNIME  ")', 7),
    ("length((String)null)", 0),
    ('indexOf("abcabc", "ab", 1)', 3),
    ('indexOf("abcabc", "ab", -10)', 0),
    ('indexOf("abcabc", "ab", 4)', -1),
    ('indexOf("abcABC", "ab", "ib")', 3),
    ('indexOfChars("abcABC", "cb")', 1),
    ("lastIndexOfChar(\"abcABCabc\", 'a')", 6),
    ('count("aabcaa", "aa")', 2),
    ('count("abcABC", "ab", "i")', 2),
    ('countChars("abcABC", "ab", "i")', 4),
    ('countChars("abcABC", "ab", "v")', 4),
    ('padLeft("KNIME", 8, "xyz")', "xyzKNIME"),
    ('padLeft("", 5, "xyz")', "xyzxy"),
    ('padLeft("KNIME", 8, "")', "   KNIME"),
    ('padRight("KNIME", 7)', "KNIME  "),
    ('removeChars("a,  b , c")', "a,b,c"),
    ('removeChars("abcdef", "bd")', "acef"),
    ('removeDuplicates("a   b  c")', "a b c"),
    ('removeDiacritic("Ćéàè")', "Ceae"),
    ('replaceUmlauts("äöü ÄÖÜ ß", true)', "aou AOU ss"),
    ('replaceUmlauts("äöü ÄÖÜ ß", false)', "aeoeue AeOeUe ss"),
    ('replaceChars("abcABC", "ac", "xy")', "xbyABC"),
    ('reverse("KNIME")', "EMINK"),
    ('toInt("2")', 2),
    ("toInt(2.9)", 2),
    ('toInt("2.0")', JavaError),
    ('toDouble("2")', 2.0),
    ("toDouble(2)", 2.0),
    ('toLong("3000000000")', 3000000000),
    ('toBoolean("TRUE")', True),
    ('toBoolean(count("aabc", "a") == 2)', True),
    ("toEmpty((String)null)", ""),
    ('toNull("")', None),
    ('join(toNull(null, "", "a"))', "a"),
    ('string("KNIME")', "KNIME"),
    ("string(1.0)", "1.0"),
    ("string(1e-5)", "1.0E-5"),
    ('compare("abc", "abc")', 0),
    ('compare("abc", "ABC")', -1),
    ('compare("ABC", "abc")', 1),
    ('compare("ab", "abc")', -1),
    ('compare(null, "ABC")', -1),
    ('md5Checksum("KNIME")', hashlib.md5(b"KNIME").hexdigest()),
    ('urlEncode("a b&c~")', "a+b%26c%7E"),
    ('urlDecode("a+b%26c")', "a b&c"),
]


def evaluate(expression: str, cells: dict[str, object] | None = None) -> object:
    kinds = {
        k: ("S" if isinstance(v, str) or v is None else "I" if isinstance(v, int) else "D")
        for k, v in (cells or {}).items()
    }
    compiled = compile_expression(
        expression, Environment(kinds, {"n": 3, "name": "x", "f": 0.5}, row_count=9)
    )
    return compiled.fn(Row(4, "Row4", dict(cells or {})))


@pytest.mark.parametrize(("expression", "expected"), DOCUMENTED)
def test_documented_functions(expression: str, expected: object) -> None:
    if expected is JavaError:
        with pytest.raises(JavaError):
            evaluate(expression)
    else:
        assert evaluate(expression) == expected


def test_java_operators_and_specials() -> None:
    assert evaluate('"a" + 1 + 2') == "a12"
    assert evaluate('1 + 2 + "a"') == "3a"
    assert evaluate('"x" + 0.1 + null') == "x0.1null"
    assert evaluate("2147483647 + 1") == -2147483648  # int overflow wraps
    assert evaluate("7 / 2") == 3 and evaluate("-7 / 2") == -3 and evaluate("-7 % 3") == -1
    assert evaluate("7.0 / 2") == 3.5
    with pytest.raises(JavaError):
        evaluate("1 / 0")
    assert evaluate('$$ROWINDEX$$ + "/" + $$ROWCOUNT$$ + " " + $$ROWID$$') == "4/9 Row4"
    assert evaluate("$${In}$$ * 2") == 6 and evaluate("$${Sname}$$") == "x" and evaluate("$${Df}$$") == 0.5
    assert evaluate('length($a$) > 2 ? upperCase($a$) : "short"', {"a": "abc"}) == "ABC"
    assert evaluate("$a$.substring(1) + $a$.length()", {"a": "abc"}) == "bc3"
    assert evaluate("(int) 2.9 + (long) 3") == 5
    assert evaluate('/* comment */ join("a", // line comment\n "b")') == "ab"


def test_compile_errors_like_javac() -> None:
    for expression, message in [
        ("substr(1, 2)", "not applicable"),
        ('frobnicate("a")', "undefined"),
        ("$nope$", "No such column"),
        ('"a" == "b"', "compares object references"),
        ("join(", "syntax error"),
        ("$${Xv}$$", "Invalid type identifier"),
        ("$${Imissing}$$", "does not exist"),
        ("2147483648", "out of range"),
    ]:
        with pytest.raises(StringManipulationError, match=message):
            evaluate(expression)


def people() -> Table:
    df = pd.DataFrame(
        {
            "first": ["Ada", "Alan", None],
            "last": ["Lovelace", "Turing", "Hopper"],
            "born": [1815, 1912, 1906],
            "score": [1.5, np.nan, 3.0],
        }
    )
    return Table.from_frame(df, {"first": ColumnType.STRING, "last": ColumnType.STRING})


def test_node_appends_with_outer_function_type_and_missing_cells() -> None:
    run = run_node(
        "string_manipulation",
        {"expression": 'join($first$, " ", upperCase($last$))', "replaced_column": "name"},
        people(),
    )
    out = run.df()
    assert out["name"].tolist() == [
        "Ada LOVELACE",
        "Alan TURING",
        None,
    ]  # a missing input gives a missing result
    assert run.specs[0] == run.outputs[0].spec
    assert run.outputs[0].types["name"] == ColumnType.STRING
    as_null = run_node(
        "string_manipulation",
        {
            "expression": 'join($first$, " ", $last$)',
            "replaced_column": "name",
            "insert_missing_as_null": True,
        },
        people(),
    ).df()
    assert as_null["name"].tolist()[2] == " Hopper"
    number = run_node(
        "string_manipulation", {"expression": "toInt($born$ + 10)", "replaced_column": "plus"}, people()
    )
    assert (
        number.df()["plus"].tolist() == [1825, 1922, 1916]
        and number.outputs[0].types["plus"] == ColumnType.INTEGER
    )
    replaced = run_node(
        "string_manipulation",
        {"expression": "lowerCase($last$)", "replaced_column": "last", "append_column": True},
        people(),
    ).df()
    assert (
        replaced.columns.tolist() == ["first", "last", "born", "score"]
        and replaced["last"].tolist()[0] == "lovelace"
    )


def test_node_return_type_rules_and_warnings() -> None:
    spec = people().spec
    with pytest.raises(ConfigureError, match="Ambiguous return type"):
        configure_node("string_manipulation", {"expression": '$first$ + "x"', "replaced_column": "c"}, spec)
    ok = configure_node(
        "string_manipulation",
        {"expression": '$first$ + "x"', "replaced_column": "c", "return_type": "java.lang.String"},
        spec,
    )
    assert ok[0].type_of("c") == ColumnType.STRING
    with pytest.raises(ConfigureError, match="Type mismatch"):
        configure_node(
            "string_manipulation",
            {"expression": "length($first$)", "replaced_column": "c", "return_type": "java.lang.String"},
            spec,
        )
    with pytest.raises(ConfigureError, match="Duplicate column name"):
        configure_node(
            "string_manipulation", {"expression": "string($born$)", "replaced_column": "born"}, spec
        )
    run = run_node("string_manipulation", {"expression": "toInt($last$)", "replaced_column": "n"}, people())
    assert run.df()["n"].isna().all()
    assert any("Problems in 3 rows" in w for w in run.warnings)


def test_node_flow_variables_and_row_index() -> None:
    run = run_node(
        "string_manipulation",
        {"expression": "string($$ROWINDEX$$ * $${Ifactor}$$)", "replaced_column": "i"},
        people(),
        variables={"factor": 10},
    )
    assert run.df()["i"].tolist() == ["0", "10", "20"]


def test_multi_column() -> None:
    table = people()
    settings = {
        "column_selection": {
            "included_names": ["first", "last", "born"],
            "enforce_option": "EnforceInclusion",
        },
        "EXPRESSION": "upperCase($$CURRENTCOLUMN$$)",
    }
    run = run_node("string_manipulation_multi_column", settings, table)
    out = run.df()
    assert out.columns.tolist()[-3:] == ["first_transformed", "last_transformed", "born_transformed"]
    assert out["first_transformed"].tolist() == ["ADA", "ALAN", None]
    assert out["born_transformed"].tolist() == ["1815", "1912", "1906"]
    assert run.specs[0] == run.outputs[0].spec
    replaced = run_node(
        "string_manipulation_multi_column",
        {**settings, "APPEND_OR_REPLACE": "REPLACE_COLUMNS", "EXPRESSION": "toInt($$CURRENTCOLUMN$$)"},
        table.with_frame(table.df[["born"]]),
    )
    assert replaced.outputs[0].types["born"] == ColumnType.INTEGER
    with pytest.raises(NodeError, match="Execution stopped"):
        run_node(
            "string_manipulation_multi_column", {**settings, "EXPRESSION": "toInt($$CURRENTCOLUMN$$)"}, table
        )
    lenient = run_node(
        "string_manipulation_multi_column",
        {**settings, "EXPRESSION": "toInt($$CURRENTCOLUMN$$)", "abort_execution_on_evaluation_errors": False},
        table,
    )
    assert lenient.df()["born_transformed"].tolist() == [1815, 1912, 1906]


def test_knime_settings_translate(tmp_path) -> None:
    model = {
        "expression": 'join($first$, " ", $last$)',
        "replaced_column": "full",
        "append_column": False,
        "test_compilation_on_dialog_close": True,
        "insert_missing_as_null": False,
        "return_type": "java.lang.String",
    }
    kind, settings, found = import_node(
        tmp_path, "org.knime.base.node.preproc.stringmanipulation.StringManipulationNodeFactory", model
    )
    assert kind == "string_manipulation" and found == []
    assert run_node("string_manipulation", settings, people()).df()["full"].tolist()[0] == "Ada Lovelace"
    multi = {
        "column_selection": {
            "filter-type": "STANDARD",
            "included_names": ["last"],
            "excluded_names": [],
            "enforce_option": "EnforceInclusion",
        },
        "EXPRESSION": "reverse($$CURRENTCOLUMN$$)",
        "APPEND_OR_REPLACE": "REPLACE_COLUMNS",
        "APPEND_COLUMN_SUFFIX": "_transformed",
        "Abort execution on evaluation errors": True,
        "Insert missing values as null": True,
    }
    kind, settings, found = import_node(
        tmp_path,
        "org.knime.base.node.preproc.stringmanipulation.multicolumn.MultiColumnStringManipulationNodeFactory",
        multi,
    )
    assert kind == "string_manipulation_multi_column" and found == []
    assert run_node(kind, settings, people()).df()["last"].tolist() == ["ecalevoL", "gniruT", "reppoH"]
