"""Transpose (the existing table_transposer, imported from a public 4.0 workflow's keys), Regex Split
/ String Splitter (Regex) with its Java-regex translation, and String Manipulation (Variable)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, NodeError
from engine.core.testing import run_node

TRANSPOSE = "org.knime.base.node.preproc.transpose.TransposeTableNodeFactory"
REGEX_SPLIT = "org.knime.base.node.preproc.regexsplit.RegexSplitNodeFactory"
SM_VARIABLE = "org.knime.base.node.preproc.stringmanipulation.variable.StringManipulationVariableNodeFactory"

# ----------------------------------------------------------------------------------------- Transpose


def test_transpose_imports_the_chunk_size_keys_and_swaps_rows_and_columns(tmp_path: Path) -> None:
    model = {
        "chunk_size_Internals": {"SettingsModelID": "SMID_integer", "EnabledStatus": True},
        "chunk_size": 10,
    }
    node, report, _ = import_fragment(tmp_path, TRANSPOSE, model)
    assert node.type == "table_transposer" and findings(report) == []
    df = pd.DataFrame({"a": [1.5, 2.0], "b": [3.0, -1.0]}, index=pd.Index(["r1", "r2"], dtype=object))
    out = run_node(node.type, node.settings, df)[1]
    assert out.columns == ["r1", "r2"] and out.row_ids == ["a", "b"]
    assert out.df["r1"].tolist() == [1.5, 3.0] and out.df["r2"].tolist() == [2.0, -1.0]
    assert out.types == {"r1": ColumnType.DOUBLE, "r2": ColumnType.DOUBLE}


# --------------------------------------------------------------------------------------- Regex Split

LEGACY = {  # the keys a KNIME 3.3 Regex Split saved (public workflow knime-gastocr, Regex Split (#14))
    "column": "Subpartida (COG)",
    "pattern": "([0-9]*.[0-9]*.[0-9]*--)(.*)",
    "isUnixLines": False,
    "isCaseInsensitive": False,
    "isComments": False,
    "isMultiLine": False,
    "isLiteral": False,
    "isDotAll": False,
    "isUniCodeCase": False,
    "isCanonEQ": False,
}
COG = pd.DataFrame(
    {
        "Subpartida (COG)": ["0.01.00--REMUNERACIONES BÁSICAS", "sin codigo", None, "1.02.00--A\rB"],
        "n": [1, 2, 3, 4],
    }
)


def test_regex_split_legacy_settings_give_split_0_split_1(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, REGEX_SPLIT, LEGACY)
    assert node.type == "regex_split" and findings(report) == []
    assert node.settings["decrementGroupIndexByOne"] is True
    assert (node.settings["columnPrefixMode"], node.settings["columnPrefix"]) == ("CUSTOM", "split_")
    run = run_node(node.type, node.settings, COG)
    out = run[1]
    assert out.columns == ["Subpartida (COG)", "n", "split_0", "split_1"]
    assert out.types["split_0"] == ColumnType.STRING
    # Java's . does not match \r: the last value does not match the whole pattern
    assert out.df["split_0"].tolist() == ["0.01.00--", None, None, None]
    assert out.df["split_1"].tolist() == ["REMUNERACIONES BÁSICAS", None, None, None]
    assert run.warnings == ["Some input string(s) were missing or did not match the pattern."]


NEW_LAYOUT = {  # KNIME 5.3/5.4: the output options in an `output` config
    "column": "code",
    "pattern": "(?<year>[0-9]{4})-(\\w+)?",
    "isCaseInsensitive": False,
    "requireWholeMatch": True,
    "isUnixLines": False,
    "isMultiLine": False,
    "isDotAll": False,
    "isUniCodeCase": False,
    "isCanonEQ": False,
    "isUnicodeCharacterClass": False,
    "decrementGroupIndexByOne": False,
    "output": {
        "mode": "COLUMNS",
        "columnPrefixMode": "INPUT_COL_NAME",
        "removeInputColumn": True,
        "columnPrefix": "Split ",
        "singleOutputColumnMode": "APPEND",
        "columnName": "Split",
        "groupLabels": "CAPTURE_GROUP_NAMES",
        "noMatchBehaviour": "INSERT_EMPTY",
    },
    "isLiteral": False,
    "isComments": False,
}
CODES = pd.DataFrame(
    {"code": ["2024-ab", "1999-", "x", None]}, index=pd.Index(["a", "b", "c", "d"], dtype=object)
)


def test_regex_split_new_layout_names_groups_and_inserts_empty_strings(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, REGEX_SPLIT, NEW_LAYOUT)
    assert findings(report) == []
    out = run_node(node.type, node.settings, CODES)[1]
    assert out.columns == ["code year", "code 2"]
    assert out.df["code year"].tolist() == ["2024", "1999", "", ""]
    # an optional group that took no part is missing, not empty
    assert out.df["code 2"].tolist() == ["ab", None, "", ""]
    newest = {k: v for k, v in NEW_LAYOUT.items() if k != "output"}
    output = {k: v for k, v in NEW_LAYOUT["output"].items() if k != "noMatchBehaviour"}  # type: ignore[attr-defined]
    newest.update(output=output, noMatchBehaviour="FAIL", doNotAllowEmptyBlankOrPaddedColumnName=True)
    node, report, _ = import_fragment(tmp_path, REGEX_SPLIT, newest)
    assert findings(report) == [] and node.settings["noMatchBehaviour"] == "FAIL"
    with pytest.raises(NodeError, match="did not match the pattern"):
        run_node(node.type, node.settings, CODES)


def test_regex_split_rows_list_and_set() -> None:
    base = {"column": "code", "pattern": "([0-9]{2})([0-9]{2})-(\\w+)", "decrementGroupIndexByOne": True}
    rows = run_node("regex_split", {**base, "mode": "ROWS", "singleOutputColumnMode": "REPLACE"}, CODES[:2])[
        1
    ]
    assert rows.row_ids == ["a_0", "a_1", "a_2", "b_0", "b_1", "b_2"]
    assert rows.df["code"].tolist() == ["20", "24", "ab", None, None, None]
    listed = run_node("regex_split", {**base, "mode": "LIST", "columnName": "parts"}, CODES)[1]
    assert listed.columns == ["code", "parts"] and listed.types["parts"] == ColumnType.list_of(
        ColumnType.STRING
    )
    assert listed.df["parts"].tolist()[0] == ("20", "24", "ab")
    assert listed.df["parts"].tolist()[2] == (None, None, None)
    sets = run_node("regex_split", {**base, "pattern": "(\\d)(\\d)(\\d)\\d-.*", "mode": "SET"}, CODES)[1]
    assert sets.df["Split"].tolist()[:2] == [("2", "0"), ("1", "9")]


def test_regex_split_finds_labels_in_the_column_name_and_searches() -> None:
    df = pd.DataFrame({"first-last": ["ann-lee x", "bo-wu"]})
    settings = {
        "column": "first-last",
        "pattern": "(\\w+)-(\\w+)",
        "requireWholeMatch": False,
        "groupLabels": "SPLIT_INPUT_COL_NAME",
        "columnPrefixMode": "NONE",
    }
    out = run_node("regex_split", settings, df)[1]
    assert out.columns == ["first-last", "first", "last"]
    assert out.df["first"].tolist() == ["ann", "bo"] and out.df["last"].tolist() == ["lee", "wu"]
    with pytest.raises(ConfigureError, match="does not match the input column name") as err:
        run_node("regex_split", {**settings, "pattern": "(\\d+)"}, df)
    assert err.value.setting == "groupLabels"


@pytest.mark.parametrize(
    ("pattern", "flags", "text", "expected"),
    [
        ("(a.c)", {}, "a\u2028c", None),  # a Java line terminator
        ("(a.c)", {"isDotAll": True}, "a\nc", ["a\nc"]),
        ("(a.c)", {"isUnixLines": True}, "a\rc", ["a\rc"]),
        ("(ab)$\\s*", {"requireWholeMatch": False}, "ab\r\n", ["ab"]),  # $ before the final \r\n
        ("(k)", {"isCaseInsensitive": True}, "\u212a", None),  # Kelvin sign: US-ASCII case folding only
        ("(k)", {"isCaseInsensitive": True, "isUniCodeCase": True}, "\u212a", ["\u212a"]),
        ("(?i)(ABC)", {}, "abc", ["abc"]),
        ("(\\w+)", {}, "été", None),  # Java's \w is US-ASCII
        ("(\\Q1+1\\E)=(\\d)", {}, "1+1=2", ["1+1", "2"]),
        ("([\\p{Punct}]+)(x*+)", {}, "!?xx", ["!?", "xx"]),
        ("(\\x41)(\\0102)(\\u0043)", {}, "ABC", ["A", "B", "C"]),
        ("(?<w>a)\\k<w>", {}, "aa", ["a"]),
    ],
)
def test_regex_split_matches_as_java_does(
    pattern: str, flags: dict, text: str, expected: list | None
) -> None:
    df = pd.DataFrame({"s": [text]})
    out = run_node(
        "regex_split", {"column": "s", "pattern": pattern, "columnPrefixMode": "NONE", **flags}, df
    )
    cells = out[1].df.iloc[0, 1:].tolist()
    assert cells == (expected if expected is not None else [None] * len(cells))


@pytest.mark.parametrize(
    ("settings", "message", "setting"),
    [
        ({"pattern": "(\\p{L}+)"}, "cannot be matched as Java does", "pattern"),
        ({"pattern": "([a-z&&[^aeiou]])"}, "intersection", "pattern"),
        ({"pattern": "(a{b)"}, "Illegal repetition", "pattern"),
        ({"pattern": "(a"}, "Invalid Pattern: \\(a", "pattern"),
        ({"pattern": "(?i:a)"}, "inline flag", "pattern"),
        ({"pattern": "(\\w)", "isUnicodeCharacterClass": True}, "Unicode", "pattern"),
        ({"isComments": True}, "The flag `isComments` is set", "isComments"),
        ({"isCanonEQ": True}, "canonical equivalence", "isCanonEQ"),
        ({"column": "n"}, "does not contain strings", "column"),
        ({"column": "gone"}, "No such column in input table: gone", "column"),
        ({"mode": "LIST", "columnName": " padded"}, "must start and end with a non-whitespace", "columnName"),
    ],
)
def test_regex_split_configure_errors(settings: dict, message: str, setting: str) -> None:
    with pytest.raises(ConfigureError, match=message) as err:
        run_node("regex_split", {"column": "Subpartida (COG)", **settings}, COG)
    assert err.value.setting == setting


def test_regex_split_canonical_equivalence_is_a_finding(tmp_path: Path) -> None:
    _, report, _ = import_fragment(tmp_path, REGEX_SPLIT, {**LEGACY, "isCanonEQ": True})
    assert any("isCanonEQ" in f for f in findings(report))
    _, report, _ = import_fragment(tmp_path, REGEX_SPLIT, {**LEGACY, "splitAt": 3})
    assert any("splitAt" in f for f in findings(report))


# ------------------------------------------------------------------------ String Manipulation (Variable)

STEAM = {  # the keys of the public steam-etl-knime workflow's String Manipulation (Variable) (#35)
    "expression": 'join("https://store.steampowered.com/api/appdetails?appids=",\n\t$${Sappid}$$\n\t,"&cc=fr")',
    "replaced_column": "full_url",
    "append_column": False,
    "test_compilation_on_dialog_close": True,
    "insert_missing_as_null": False,
    "return_type": "java.lang.String",
}


def test_string_manipulation_variable_imports_and_joins_variables(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, SM_VARIABLE, STEAM)
    assert node.type == "string_manipulation_variable" and findings(report) == []
    assert node.settings["expression"] == STEAM["expression"]
    run = run_node(node.type, node.settings, None, variables={"appid": "570"})
    assert run.variables == {"full_url": "https://store.steampowered.com/api/appdetails?appids=570&cc=fr"}
    taken = run_node(node.type, node.settings, None, variables={"appid": "1", "full_url": "x"})
    assert taken.variables == {
        "full_url (#1)": "https://store.steampowered.com/api/appdetails?appids=1&cc=fr"
    }
    _, report, _ = import_fragment(tmp_path, SM_VARIABLE, {**STEAM, "return_type": "java.util.Date"})
    assert len(findings(report)) == 1


def test_string_manipulation_variable_types_names_and_replacement() -> None:
    variables = {"count": 7, "rate": 0.25, "name": " Ada ", "v (#1)": "x"}
    run = run_node(
        "string_manipulation_variable",
        {"expression": "length($${Sname}$$)", "replaced_column": "n"},
        None,
        variables=variables,
    )
    assert run.variables == {"n": 5}
    double = {
        "expression": "toDouble($${Drate}$$ * $${Icount}$$)",
        "replaced_column": "count",
        "append_column": True,
    }
    assert run_node("string_manipulation_variable", double, None, variables=variables).variables == {
        "count": 1.75
    }
    unique = {"expression": "string($${Icount}$$ + 1)", "replaced_column": "v (#1) "}
    assert run_node("string_manipulation_variable", unique, None, variables=variables).variables == {
        "v (#2)": "8"
    }
    row = {"expression": 'join(string($$ROWINDEX$$), "|", $$ROWID$$, "|", string($$ROWCOUNT$$))'}
    assert run_node("string_manipulation_variable", row, None).variables == {"new column": "0||0"}
    nan = run_node("string_manipulation_variable", {"expression": "toDouble(0.0 / 0)"}, None).variables
    assert math.isnan(nan["new column"])


@pytest.mark.parametrize(
    ("settings", "error", "message", "setting"),
    [
        (
            {"expression": 'toBoolean("true")'},
            ConfigureError,
            "Invalid variable class: class org.knime.core.data.def.BooleanCell",
            "return_type",
        ),
        ({"expression": 'toLong("3")'}, ConfigureError, "LongCell", "return_type"),
        ({"expression": "upperCase($${Smissing}$$)"}, ConfigureError, "missing", "expression"),
        ({"expression": "$$ROWID$$"}, ConfigureError, "Ambiguous return type", "expression"),
        (
            {"expression": "$col$", "return_type": "java.lang.String"},
            ConfigureError,
            "No such column",
            "expression",
        ),
        (
            {"expression": "string(1)", "replaced_column": "nope", "append_column": True},
            ConfigureError,
            "Can't replace input variable 'nope'",
            "replaced_column",
        ),
        (
            {"expression": "string(1)", "replaced_column": ""},
            ConfigureError,
            "must not be empty",
            "replaced_column",
        ),
        ({"expression": 'toNull("")'}, NodeError, "Calculation returned missing value", "expression"),
        ({"expression": 'toInt("x1")'}, NodeError, "Calculation returned missing value", "expression"),
    ],
)
def test_string_manipulation_variable_errors(
    settings: dict, error: type[NodeError], message: str, setting: str
) -> None:
    with pytest.raises(error, match=message) as err:
        run_node("string_manipulation_variable", settings, None, variables={"s": "a"})
    assert err.value.setting == setting
