"""Create Bit Vector: all four sources (numeric columns by threshold or mean, string columns by
pattern, one string column parsed as bit / hex / index strings, one collection column), missing
values, parse errors, the output layout, and the KNIME mapping (keys of KNIME 3.5's settings.xml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.core.testing import run_node

FACTORY = "org.knime.base.node.preproc.bitvector.create.CreateBitVectorNodeFactory"
NODE = "create_bit_vector"


def on_bits(column: pd.Series) -> list[list[int] | None]:
    return [None if v is None else v.on_bits() for v in column]


def lengths(column: pd.Series) -> set[int]:
    return {v.n_bits for v in column if v is not None}


# ------------------------------------------------------------------------------ numeric columns

NUMBERS = pd.DataFrame(
    {
        "i": [1, 0, 5, 2],
        "name": ["p", "q", "r", "s"],
        "d": [2.0, 3.5, None, 6.0],
        "flag": [True, False, True, False],
        "x": [0.99, 1.0, -3.0, 7.0],
    }
)


def test_threshold_sets_bits_of_values_at_or_above_it_in_input_column_order() -> None:
    settings = {
        "columnType": "MULTI_NUMERICAL",
        # include-list order is not the bit order: bits follow the input columns (i, d, flag, x)
        "multiColumnNames": {"included_names": ["x", "d", "i", "flag"], "enforce_option": "EnforceInclusion"},
        "singleNumericThreshold": 1.0,
    }
    run = run_node(NODE, settings, NUMBERS)
    out = run[1]
    assert out.columns == ["i", "name", "d", "flag", "x", "BitVector"]
    assert out.types["BitVector"] == ColumnType.BIT_VECTOR and run.specs[0] == out.spec
    # row0: i=1>=1, d=2, flag=1.0, x=.99<1 -> bits 0,1,2; row2: d missing -> 0
    assert on_bits(out.df["BitVector"]) == [[0, 1, 2], [1, 3], [0, 2], [0, 1, 3]]
    assert str(out.df["BitVector"].iloc[0]) == "0111" and lengths(out.df["BitVector"]) == {4}


def test_mean_threshold_divides_by_all_rows_and_removes_sources() -> None:
    settings = {
        "columnType": "MULTI_NUMERICAL",
        "multiColumnNames": {"excluded_names": ["flag", "x"]},
        "singleNumericUseMean": True,
        "singleNumericMeanThreshold": 100,
        "removeInputColumns": True,
        "outputColumnName": "bits",
    }
    out = run_node(NODE, settings, NUMBERS)[1]
    assert out.columns == ["name", "flag", "x", "bits"]
    # i: mean 8/4 = 2 -> 5, 2; d: (2 + 3.5 + 6) / 4 rows = 2.875 (the missing cell counts) -> 3.5, 6
    assert on_bits(out.df["bits"]) == [[], [1], [0], [0, 1]]
    half = run_node(NODE, {**settings, "singleNumericMeanThreshold": 50}, NUMBERS)[1]
    # 50 %: i >= 1.0, d >= 1.4375
    assert on_bits(half.df["bits"]) == [[0, 1], [1], [0], [0, 1]]


# ------------------------------------------------------------------------------- string columns

WORDS = pd.DataFrame(
    {"a": ["apple", "Avocado", None, "a*"], "n": [1, 2, 3, 4], "b": ["APPLE", "x", "ab", "b"]}
)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"multiStringColumnPatter": "apple"}, [[0, 1], [], [], []]),  # equalsIgnoreCase
        ({"multiStringColumnPatter": "apple", "multiStringColumnCaseSensitive": True}, [[0], [], [], []]),
        ({"multiStringColumnPatter": "a*", "multiStringColumnHasWildcards": True}, [[0, 1], [0], [1], [0]]),
        ({"multiStringColumnPatter": "a*", "multiStringColumnCaseSensitive": True}, [[], [], [], [0]]),
        ({"multiStringColumnPatter": "a.", "multiStringColumnIsRegex": True}, [[], [], [1], [0]]),
        (
            {
                "multiStringColumnPatter": "a.",
                "multiStringColumnIsRegex": True,
                "multiStringColumnSetMatching": "NOT_MATCHING",
            },
            [[0, 1], [0, 1], [], [1]],  # a missing cell sets no bit either way
        ),
    ],
)
def test_string_columns_set_bits_of_matching_cells(
    options: dict[str, Any], expected: list[list[int]]
) -> None:
    settings = {"columnType": "MULTI_STRING", "multiColumnNames": {"excluded_names": []}, **options}
    out = run_node(NODE, settings, WORDS)[1]
    assert lengths(out.df["BitVector"]) == {2}  # the Integer column n is no string column
    assert on_bits(out.df["BitVector"]) == expected


def test_string_pattern_errors_name_the_setting() -> None:
    base = {"columnType": "MULTI_STRING", "multiColumnNames": {"included_names": ["a"]}}
    with pytest.raises(NodeError, match="can't be null") as err:
        run_node(NODE, base, WORDS)
    assert err.value.setting == "multiStringColumnPatter"
    both = {
        **base,
        "multiStringColumnPatter": "a",
        "multiStringColumnHasWildcards": True,
        "multiStringColumnIsRegex": True,
    }
    with pytest.raises(NodeError, match="can't be true at the same time") as err:
        run_node(NODE, both, WORDS)
    assert err.value.setting == "multiStringColumnIsRegex"
    with pytest.raises(NodeError) as err:
        run_node(NODE, {**base, "multiStringColumnPatter": "(a", "multiStringColumnIsRegex": True}, WORDS)
    assert err.value.setting == "multiStringColumnPatter"


# ------------------------------------------------------------------------------- one string column


def test_bit_strings_read_from_their_end_and_replace_the_column_in_place() -> None:
    df = pd.DataFrame({"k": [1, 2, 3, 4], "s": [" 110 ", "001", None, "1a0"], "z": [0, 0, 0, 0]})
    settings = {
        "columnType": "SINGLE_STRING",
        "singleColumnName": "s",
        "removeInputColumns": True,
        "outputColumnName": "fp",
    }
    run = run_node(NODE, settings, df)
    out = run[1]
    assert out.columns == ["k", "fp", "z"] and run.specs[0] == out.spec
    # "110": the last character is bit 0
    assert on_bits(out.df["fp"]) == [[1, 2], [0], None, None]
    assert run.warnings == [
        "1 errors found. Last message: Error in row Row3: Invalid character ('a') in bitvector string. "
        "See log file for details on all errors."
    ]
    with pytest.raises(NodeError, match=r"Invalid character \('a'\) in bitvector string\. Unselect") as err:
        run_node(NODE, {**settings, "failOnParseError": True}, df)
    assert err.value.setting == "failOnParseError"
    with pytest.raises(NodeError, match="different lengths") as err:
        run_node(NODE, settings, pd.DataFrame({"s": ["10", "101"]}))
    assert err.value.setting == "singleColumnName"


def test_hex_strings_put_the_last_character_in_bits_0_to_3() -> None:
    df = pd.DataFrame({"h": ["1F", "a0", "zq", " 00"]})
    run = run_node(
        NODE, {"columnType": "SINGLE_STRING", "singleColumnName": "h", "singleStringType": "HEX"}, df
    )
    out = run[1].df["BitVector"]
    # 0x1F = 0b0001_1111 -> bits 0-4; 0xA0 -> bits 5 and 7; the first bad character seen from the end
    assert on_bits(out) == [[0, 1, 2, 3, 4], [5, 7], None, []]
    assert lengths(out) == {8} and out.iloc[0].to_hex_string() == "1F"
    assert "Invalid character in hex number ('q')" in run.warnings[0]


def test_id_strings_set_the_listed_bits_of_a_vector_as_long_as_the_largest_index() -> None:
    df = pd.DataFrame({"ids": ["0 3", "5", " 2\t7 ", "1  2", "4 -1", None, ""]})
    run = run_node(
        NODE, {"columnType": "SINGLE_STRING", "singleColumnName": "ids", "singleStringType": "ID"}, df
    )
    out = run[1].df["BitVector"]
    assert lengths(out) == {8}  # largest index 7
    # two spaces make an empty token (Java's split), a negative index is refused
    assert on_bits(out) == [[0, 3], [5], [2, 7], None, None, None, []]
    assert run.warnings == [
        "2 errors found. Last message: Error in row Row4: Invalid negative index in index string: 4 -1. "
        "See log file for details on all errors."
    ]
    with pytest.raises(
        NodeError, match=r'Row3: Unable to convert "1  2" to bit vector: For input string: ""'
    ):
        run_node(
            NODE,
            {
                "columnType": "SINGLE_STRING",
                "singleColumnName": "ids",
                "singleStringType": "ID",
                "failOnParseError": True,
            },
            df,
        )
    with pytest.raises(NodeError, match="can't be negative"):
        run_node(
            NODE,
            {"columnType": "SINGLE_STRING", "singleColumnName": "ids", "singleStringType": "ID"},
            pd.DataFrame({"ids": ["x"]}),
        )


# --------------------------------------------------------------------------- one collection column


def test_collection_elements_are_numbered_by_first_appearance() -> None:
    df = pd.DataFrame({"c": [("x", "y"), ("y",), None, ("z", None)], "d": [(1.0, 1e10), (1e10,), (), None]})
    table = Table.from_frame(df, {"c": ColumnType.list_of("String"), "d": ColumnType.set_of("Double")})
    settings = {"columnType": "SINGLE_COLLECTION", "singleColumnName": "c"}
    out = run_node(NODE, settings, table)[1].df["BitVector"]
    # x=0, y=1, z=2 and the missing element '?'=3, whose bit is never set
    assert lengths(out) == {4} and on_bits(out) == [[0, 1], [1], None, [2]]
    # an empty name: the last collection column
    doubles = run_node(NODE, {**settings, "singleColumnName": ""}, table)[1].df["BitVector"]
    assert lengths(doubles) == {2} and on_bits(doubles) == [[0, 1], [1], [], None]


# ------------------------------------------------------------------------------ configure errors


@pytest.mark.parametrize(
    ("settings", "message", "setting"),
    [
        (
            {"columnType": "MULTI_NUMERICAL", "outputColumnName": "i"},
            "contains column with name i",
            "outputColumnName",
        ),
        (
            {"columnType": "MULTI_NUMERICAL", "outputColumnName": " "},
            "name of the output column",
            "outputColumnName",
        ),
        (
            {
                "columnType": "MULTI_NUMERICAL",
                "multiColumnNames": {"included_names": ["name"], "enforce_option": "EnforceInclusion"},
            },
            "No column selected",
            "multiColumnNames",
        ),
        ({"columnType": "SINGLE_STRING"}, "select the single column", "singleColumnName"),
        (
            {"columnType": "SINGLE_STRING", "singleColumnName": "nope"},
            "Selected column nope not in",
            "singleColumnName",
        ),
        (
            {"columnType": "SINGLE_STRING", "singleColumnName": "d"},
            "not compatible with selected method",
            "singleColumnName",
        ),
        (
            {"columnType": "SINGLE_COLLECTION", "singleColumnName": ""},
            "No single column selected",
            "singleColumnName",
        ),
    ],
)
def test_configure_errors_name_the_setting(settings: dict[str, Any], message: str, setting: str) -> None:
    with pytest.raises(ConfigureError, match=message) as err:
        run_node(NODE, settings, NUMBERS)
    assert err.value.setting == setting


def test_included_columns_not_in_the_input_are_a_warning() -> None:
    settings = {
        "columnType": "MULTI_NUMERICAL",
        "multiColumnNames": {"included_names": ["i", "gone", "name"], "enforce_option": "EnforceInclusion"},
    }
    run = run_node(NODE, settings, NUMBERS)
    assert run.warnings == ["Columns gone, name not found in input table. "]
    assert on_bits(run[1].df["BitVector"]) == [[0], [], [0], [0]]


# ------------------------------------------------------------------------------------ KNIME import


def internals(kind: str, enabled: bool) -> dict[str, Any]:
    return {"SettingsModelID": kind, "EnabledStatus": enabled}


# the model keys of KNIME 3.5's Create Bit Vector (FDD_MQV, Create Bit Vector #252), with few columns
MODEL = {
    "columnType_Internals": internals("SMID_string", True),
    "columnType": "MULTI_NUMERICAL",
    "multiColumnNames": {
        "filter-type": "STANDARD",
        "included_names": ["x", "i"],
        "excluded_names": ["name", "d"],
        "enforce_option": "EnforceExclusion",
        "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True},
        "datatype": {
            "typelist": {"org.knime.core.data.DoubleValue": False, "org.knime.core.data.StringValue": False}
        },
    },
    "multiStringColumnPatter_Internals": internals("SMID_string", False),
    "multiStringColumnPatter": None,
    "multiStringColumnHasWildcards_Internals": internals("SMID_boolean", False),
    "multiStringColumnHasWildcards": False,
    "multiStringColumnCaseSensitive_Internals": internals("SMID_boolean", False),
    "multiStringColumnCaseSensitive": False,
    "multiStringColumnIsRegex_Internals": internals("SMID_boolean", False),
    "multiStringColumnIsRegex": False,
    "multiStringColumnSetMatching_Internals": internals("SMID_string", False),
    "multiStringColumnSetMatching": "MATCHING",
    "singleNumericThreshold_Internals": internals("SMID_double", True),
    "singleNumericThreshold": 1.0,
    "singleNumericUseMean_Internals": internals("SMID_boolean", True),
    "singleNumericUseMean": False,
    "singleNumericMeanThreshold_Internals": internals("SMID_integer", False),
    "singleNumericMeanThreshold": 100,
    "singleColumnName_Internals": internals("SMID_string", False),
    "singleColumnName": "title",
    "singleStringType_Internals": internals("SMID_string", False),
    "singleStringType": "BIT",
    "removeInputColumns_Internals": internals("SMID_boolean", True),
    "removeInputColumns": False,
    "outputColumnName_Internals": internals("SMID_string", True),
    "outputColumnName": "BitVector",
    "failOnParseError_Internals": internals("SMID_boolean", True),
    "failOnParseError": False,
    "vectorType_Internals": internals("SMID_string", True),
    "vectorType": "DENSE",
}


def test_knime_settings_import_without_findings_and_run(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, FACTORY, MODEL)
    assert node.type == NODE and findings(report) == []
    assert (
        node.settings["columnType"] == "MULTI_NUMERICAL" and node.settings["multiStringColumnPatter"] is None
    )
    assert node.settings["singleColumnName"] == "title" and "vectorType" not in node.settings
    out = run_node(NODE, node.settings, NUMBERS)[1]
    # EnforceExclusion: i, flag (a Boolean is numeric to KNIME) and x; name and d excluded
    assert on_bits(out.df["BitVector"]) == [[0, 1], [2], [0, 1], [0, 2]]


def test_sparse_vectors_are_a_finding(tmp_path: Path) -> None:
    _, report, _ = import_fragment(tmp_path, FACTORY, {**MODEL, "vectorType": "SPARSE"})
    assert [f for f in findings(report) if "vectorType" in f and "dense" in f]
