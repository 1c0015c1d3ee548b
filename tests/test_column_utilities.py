"""Cell Replacer, String Replace (Dictionary), Column Comparator, Table Validator and Table
Validator (Reference): results worked out by hand from KNIME's rules, and their KNIME mappings
(fragments with the keys KNIME's settings classes write)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment, notes

from engine.api import INACTIVE, ColumnType, ConfigureError, NodeError, Table
from engine.core.testing import run_node

CELL_REPLACER = "org.knime.base.node.preproc.cellreplace.CellReplacerNodeFactory"
DICT_REPLACER = "org.knime.base.node.preproc.stringreplacer.dict.SearchReplaceDictNodeFactory"
COMPARATOR = "org.knime.base.node.preproc.colcompare.ColumnComparatorNodeFactory"
VALIDATOR = "org.knime.base.node.preproc.datavalidator.DataValidatorNodeFactory"
VALIDATOR_REFERENCE = "org.knime.base.node.preproc.datavalidator.DataValidatorSpecNodeFactory"

DATA = pd.DataFrame({"code": ["a", "B", None, "c", "ab"], "n": np.arange(1, 6, dtype=np.int32)})
DICTIONARY = pd.DataFrame({"k": ["a", "b", None], "v": ["Alpha", "Beta", "Nothing"]})
PATTERNS = pd.DataFrame({"k": ["a*", "?"], "v": ["starts with a", "one character"]})


def replaced(dictionary: pd.DataFrame | Table = DICTIONARY, **settings: object) -> list[object]:
    base = {"targetCol": "code", "dictInputCol": "k", "dictOutputCol": "v"}
    out = run_node("cell_replacer", {**base, **settings}, DATA, dictionary)[1]
    return out.df["code"].tolist()


# --------------------------------------------------------------------------------- Cell Replacer


@pytest.mark.parametrize(
    ("dictionary", "settings", "expected"),
    [
        # exact and case sensitive; a missing key replaces missing cells
        (DICTIONARY, {}, ["Alpha", None, "Nothing", None, None]),
        (
            DICTIONARY,
            {"caseSensitive": False, "noMatchPolicy": "Input"},
            ["Alpha", "Beta", "Nothing", "c", "ab"],
        ),
        # the first key contained in the (lower-cased) cell wins; the missing key reads "?"
        (
            DICTIONARY,
            {"stringMatchBehaviour": "Substring", "caseSensitive": False, "noMatchPolicy": "Input"},
            ["Alpha", "Beta", "Nothing", "c", "Alpha"],
        ),
        (
            PATTERNS,
            {"stringMatchBehaviour": "Wildcard"},
            ["starts with a", "one character", None, "one character", "starts with a"],
        ),
        (
            pd.DataFrame({"k": ["[a-c]b", "B"], "v": ["two", "upper"]}),
            {"stringMatchBehaviour": "RegEx", "noMatchPolicy": "Input"},
            ["a", "upper", None, "c", "two"],
        ),
    ],
)
def test_cell_replacer_matching(dictionary: pd.DataFrame, settings: dict, expected: list[object]) -> None:
    assert replaced(dictionary, **settings) == expected


def test_cell_replacer_append_found_and_types() -> None:
    run = run_node(
        "cell_replacer",
        {
            "targetCol": "code",
            "dictInputCol": "k",
            "dictOutputCol": "v",
            "appendColumn": True,
            "appendColumnName": "code",
            "appendFoundColumn": True,
            "foundColumnNegativeString": "-",
        },
        DATA,
        DICTIONARY,
    )
    out = run[1]
    assert out.columns == ["code", "n", "code (#1)", "found"] and run.specs[0].names == out.columns
    assert out.df["code (#1)"].tolist() == ["Alpha", None, "Nothing", None, None]
    assert out.df["found"].tolist() == ["found", "-", "found", "-", "-"]
    # the found column alone: the target is replaced in place, the found column named uniquely
    data = DATA.assign(found=1)
    out = run_node(
        "cell_replacer",
        {"targetCol": "code", "dictInputCol": "k", "dictOutputCol": "v", "appendFoundColumn": True},
        data,
        DICTIONARY,
    )[1]
    assert out.columns == ["code", "n", "found", "found (#1)"]
    # numbers: an Integer key matches Integer cells only; keeping unmatched cells widens to Double
    numbers = pd.DataFrame({"code": np.array([1, 2, 3], dtype=np.int32)})
    lookup = pd.DataFrame({"k": np.array([1, 2], dtype=np.int32), "v": [0.5, 1.5], "d": [1.0, 2.0]})
    settings = {"targetCol": "code", "dictInputCol": "k", "dictOutputCol": "v", "noMatchPolicy": "Input"}
    out = run_node("cell_replacer", settings, numbers, lookup)[1]
    assert out.df["code"].tolist() == [0.5, 1.5, 3.0] and out.types["code"] == ColumnType.DOUBLE
    out = run_node("cell_replacer", {**settings, "dictInputCol": "d"}, numbers, lookup)[1]
    assert out.df["code"].tolist() == [1.0, 2.0, 3.0]


def test_cell_replacer_row_ids_collections_duplicates_and_errors() -> None:
    by_id = pd.DataFrame({"v": ["from a", "from c"]}, index=pd.Index(["a", "c"], dtype=object))
    assert replaced(by_id, dictInputCol="<RowID>") == ["from a", None, None, "from c", None]
    lists = Table(
        pd.DataFrame({"k": [("x", "c"), ("ab",)], "v": ["XC", "AB"]}),
        {"k": ColumnType.list_of(ColumnType.STRING), "v": ColumnType.STRING},
    )
    assert replaced(lists) == [None, None, None, "XC", "AB"]
    twice = pd.DataFrame({"k": ["a", "c", "a"], "v": ["1", "2", "3"]})
    run = run_node(
        "cell_replacer", {"targetCol": "code", "dictInputCol": "k", "dictOutputCol": "v"}, DATA, twice
    )
    assert run[1].df["code"].tolist() == ["3", None, None, "2", None]
    assert run.warnings == ['Duplicate search key "a"']
    with pytest.raises(ConfigureError, match='No such column "zz"'):
        run_node(
            "cell_replacer", {"targetCol": "zz", "dictInputCol": "k", "dictOutputCol": "v"}, DATA, DICTIONARY
        )
    with pytest.raises(ConfigureError, match="No dictOutputCol column selected"):
        run_node("cell_replacer", {"targetCol": "code", "dictInputCol": "k"}, DATA, DICTIONARY)


def test_cell_replacer_imports_both_layouts(tmp_path: Path) -> None:
    model = {
        "targetCol": "code",
        "noMatchPolicy": "Input",
        "dictInputCol": {"columnName": "k", "useRowID": False},
        "dictOutputCol": {"columnName": "", "useRowID": True},
        "stringMatchBehaviour": "Substring",
        "caseSensitive": False,
        "appendColumn": True,
        "appendColumnName": "Replacement",
        "appendFoundColumn": True,
        "foundColumnPositiveString": "found",
        "foundColumnNegativeString": "not found",
        "retainColumnProperties": True,
    }
    node, report, _ = import_fragment(tmp_path, CELL_REPLACER, model)
    assert node.type == "cell_replacer" and findings(report) == []
    assert node.settings["dictInputCol"] == "k" and node.settings["dictOutputCol"] == "<RowID>"
    out = run_node("cell_replacer", node.settings, DATA, DICTIONARY)[1]
    assert out.df["Replacement"].tolist() == ["Row0", "Row1", "Row2", "c", "Row0"]
    before_4_7 = {k: v for k, v in model.items() if k in ("targetCol", "noMatchPolicy", "appendColumn")}
    before_4_7 |= {
        "dictInputCol": model["dictInputCol"],
        "dictOutputCol": {"columnName": "v", "useRowID": False},
    }
    node, report, _ = import_fragment(tmp_path, CELL_REPLACER, {**before_4_7, "appendColumnName": "x"})
    assert findings(report) == [] and "stringMatchBehaviour" not in node.settings
    assert run_node("cell_replacer", node.settings, DATA, DICTIONARY)[1].df["x"].tolist()[:2] == [
        "Alpha",
        "B",
    ]
    _, report, _ = import_fragment(tmp_path, CELL_REPLACER, {**model, "stringMatchBehaviour": "Fuzzy"})
    assert any("stringMatchBehaviour" in f for f in findings(report))


# ---------------------------------------------------------------------- String Replace (Dictionary)


def test_string_replace_dictionary(tmp_path: Path) -> None:
    dictionary = tmp_path / "dict.txt"
    dictionary.write_text("Alpha, a ,A\nBeta;b\n,,Gamma,,g,\n  ,x\r\n\none,1\n", encoding="utf-8")
    data = pd.DataFrame(
        {"t": ["a", "A", "g", "x", None, "Beta;b", "b"], "n": np.arange(1, 8, dtype=np.int32)}
    )
    settings = {"target_column": "t", "dictionary_location": str(dictionary)}
    out = run_node("string_replace_dictionary", settings, data)[1]
    assert out.df["t"].tolist() == ["Alpha", "Alpha", "Gamma", "  ", None, "Beta;b", "b"]
    out = run_node(
        "string_replace_dictionary", {**settings, "target_column": "n", "appended_column": "m"}, data
    )[1]
    assert out.columns == ["t", "n", "m"] and out.df["m"].tolist() == ["one", "2", "3", "4", "5", "6", "7"]
    assert out.types["m"] == ColumnType.STRING and out.types["n"] == ColumnType.INTEGER
    tabbed = tmp_path / "tabs.txt"
    tabbed.write_text("Z\ta\tb", encoding="utf-8")
    out = run_node(
        "string_replace_dictionary",
        {**settings, "dictionary_location": str(tabbed), "delimiter_in_dict": "\t"},
        data,
    )
    assert out[1].df["t"].tolist()[:3] == ["Z", "A", "g"]
    with pytest.raises(ConfigureError, match="No file at"):
        run_node(
            "string_replace_dictionary", {**settings, "dictionary_location": str(tmp_path / "no.txt")}, data
        )
    with pytest.raises(ConfigureError, match='Column "n" already exists'):
        run_node("string_replace_dictionary", {**settings, "appended_column": "n"}, data)


def test_string_replace_dictionary_import(tmp_path: Path) -> None:
    model = {
        "target_column": "t",
        "appended_column": None,
        "dictionary_location": "C:\\dictionaries\\dict.txt",
        "delimiter_in_dict": '<entry key="delimiter_in_dict" type="xchar" value=";"/>',
    }
    node, report, _ = import_fragment(tmp_path, DICT_REPLACER, model, data_dir=str(tmp_path))
    assert node.type == "string_replace_dictionary" and findings(report) == []
    assert node.settings == {
        "target_column": "t",
        "appended_column": None,
        "dictionary_location": "${data_dir}/dict.txt",
        "delimiter_in_dict": ";",
    }
    assert any("dict.txt" in n for n in notes(report))


# ----------------------------------------------------------------------------- Column Comparator

PAIRS = pd.DataFrame(
    {
        "a": pd.array([1, 2, None, 4, None], dtype="Int32"),
        "b": [1.0, 3.0, 2.0, np.nan, np.nan],
        "s1": ["b", "B", "a", "c", "d"],
        "s2": ["a", "b", "a", "c", "e"],
    }
)


def compared(**settings: object) -> Table:
    return run_node("column_comparator", {"first_column": "a", "second_column": "b", **settings}, PAIRS)[1]


def test_column_comparator_options_and_types() -> None:
    # 1 == 1.0; 2 != 3; missing < 2; 4 > missing; missing == missing
    out = compared()
    assert out.types["compare_result"] == ColumnType.DOUBLE
    assert out.df["compare_result"].tolist()[:3] == [1.0, 3.0, 2.0]
    assert out.df["compare_result"].isna().tolist() == [False, False, False, True, True]
    out = compared(
        comparator_method="<", match_option="USER_DEFINED", match_value="yes", mismatch_option="LEFT_VALUE"
    )
    assert out.types["compare_result"] == ColumnType.STRING
    assert out.df["compare_result"].tolist() == ["1", "yes", "yes", "4", "?"]
    out = compared(comparator_method="!=", match_option="MISSING", mismatch_option="LEFT_VALUE")
    assert out.types["compare_result"] == ColumnType.INTEGER
    assert out.df["compare_result"].isna().tolist() == [False, True, True, True, True]
    out = run_node(
        "column_comparator",
        {"first_column": "s1", "second_column": "s2", "comparator_method": ">=", "new_col_name": "ge"}
        | {"match_option": "USER_DEFINED", "mismatch_option": "USER_DEFINED"},
        PAIRS,
    )[1]
    assert out.df["ge"].tolist() == ["TRUE", "FALSE", "TRUE", "TRUE", "FALSE"]


def test_column_comparator_errors_and_import(tmp_path: Path) -> None:
    with pytest.raises(ConfigureError, match="Left and right column are the same: a"):
        compared(second_column="a")
    with pytest.raises(ConfigureError, match="Replacement options are the same"):
        compared(mismatch_option="LEFT_VALUE")
    with pytest.raises(ConfigureError, match="New column name 's1' already exists"):
        compared(new_col_name="s1")
    model = {
        # a value starting with "<" is taken as XML by the fragment writer
        "comparator_method": '<entry key="comparator_method" type="xstring" value="&gt;="/>',
        "first_column": "a",
        "second_column": "b",
        "match_option": "MISSING",
        "mismatch_option": "RIGHT_VALUE",
        "match_value": "TRUE",
        "mismatch_value": "FALSE",
        "new_col_name": "ge",
    }
    node, report, _ = import_fragment(tmp_path, COMPARATOR, model)
    assert node.type == "column_comparator" and findings(report) == []
    out = run_node("column_comparator", node.settings, PAIRS)[1]
    # >= holds for 1 vs 1.0, 4 vs missing and missing vs missing (missing), not for 2 vs 3 nor missing vs 2
    assert out.types["ge"] == ColumnType.DOUBLE and out.df["ge"].tolist()[1:3] == [3.0, 2.0]
    assert out.df["ge"].isna().tolist() == [True, False, False, True, True]


# ------------------------------------------------------------------------------- Table Validator

REFERENCE = [
    {"name": "id", "type": "Integer", "lower_bound": 1, "upper_bound": 10},
    {"name": "name", "type": "String", "possible_values": ["x", "y"]},
    {"name": "score", "type": "Double"},
]
STRICT = {"column_names": ["id", "name", "score"]}
LOOSE = {
    "column_names": ["id", "name", "score"],
    "case_insensitive_name_matching": True,
    "reject_on_missing_value": True,
    "datatype_handling": "CONVERT_FAIL",
    "domain_handling_possible_values": "FAIL",
    "domain_handling_min_max": "MISSING_VALUE",
    "colum_missing_handling": "FILL_WITH_MISSINGS",
}
MESSY = pd.DataFrame({"NAME": ["x", "z", "y"], "ID": ["1", "20", "x"], "extra": np.arange(3, dtype=np.int32)})


def validated(data: pd.DataFrame, check: dict, **settings: object) -> list[object]:
    base = {"data_table_spec": REFERENCE, "individual_settings": [check]}
    return run_node("table_validator", {**base, **settings}, data).outputs


def test_table_validator_converts_checks_and_reorders() -> None:
    out, conflicts = validated(
        MESSY, LOOSE, unkown_columns_handling="REMOVE", rejecting_behavior="OUTPUT_TO_PORT_CHECK_DATA"
    )
    assert out is INACTIVE
    assert conflicts.df.values.tolist() == [
        [
            "NAME",
            "OUT_OF_DOMAIN",
            "Cell in column 'NAME' and row 'Row1' is is not contained in the possible values set.",
        ],
        [
            "ID",
            "CONVERSION_FAILED",
            "Conversion of cell in column 'ID' in row 'Row2' to type 'Integer' failed.",
        ],
    ]
    # without the failing cells: 20 is above the maximum and becomes missing, score is filled in
    good = MESSY.iloc[[0, 1]].assign(NAME=["x", "y"])
    out, conflicts = validated(good, LOOSE, unkown_columns_handling="IGNORE")
    assert conflicts is INACTIVE and out.columns == ["id", "name", "score", "extra"]
    assert out.types == {"id": "Integer", "name": "String", "score": "Double", "extra": "Integer"}
    assert out.df["id"].tolist()[0] == 1 and pd.isna(out.df["id"].tolist()[1])
    assert out.df["score"].isna().all() and out.df["name"].tolist() == ["x", "y"]
    with pytest.raises(
        NodeError, match="(?s)Validation failed:\nColumn: 'NAME' causes validation issue: 'OUT_OF_DOMAIN'"
    ):
        validated(MESSY, LOOSE, unkown_columns_handling="REMOVE")


def test_table_validator_structure_conflicts() -> None:
    exact = pd.DataFrame({"score": [0.5], "name": ["y"], "id": np.array([3], dtype=np.int32)})
    out, _ = validated(exact, STRICT)
    assert out.columns == ["id", "name", "score"] and out.df.values.tolist() == [[3, "y", 0.5]]
    with pytest.raises(ConfigureError, match="(?s)UNKNOWN_COLUMN.*Columns 'extra' was not defined"):
        validated(exact.assign(extra=1), STRICT)
    with pytest.raises(ConfigureError, match="Column 'score' is missing"):
        validated(exact[["id", "name"]], STRICT)
    with pytest.raises(ConfigureError, match="should be of type 'Integer' but was 'Double'"):
        validated(exact.assign(id=[3.0]), STRICT)
    # an Integer column is fine where the reference says Double
    assert validated(exact.assign(score=np.array([1], dtype=np.int32)), STRICT)[0].df["score"].tolist() == [1]
    run = run_node(
        "table_validator",
        {
            "data_table_spec": REFERENCE,
            "individual_settings": [STRICT],
            "validate_at": "VALIDATE_AT_EXEC_ONLY",
        }
        | {"rejecting_behavior": "OUTPUT_TO_PORT_CHECK_DATA"},
        exact.assign(extra=1),
    )
    assert run.specs[0].names == ["id", "name", "score", "extra"] and run[1] is INACTIVE
    assert run[2].df["Error ID"].tolist() == ["UNKNOWN_COLUMN"] and run[2].row_ids == ["Row0"]


def test_table_validator_reference() -> None:
    reference = pd.DataFrame({"a": np.array([1, 5], dtype=np.int32), "b": ["p", "q"]})
    data = pd.DataFrame({"b": ["p", "r"], "a": np.array([3, 7], dtype=np.int32)})
    settings = {
        "domain_handling_min_max": "MISSING_VALUE",
        "domain_handling_possible_values": "MISSING_VALUE",
    }
    out, conflicts = run_node("table_validator_reference", settings, data, reference).outputs
    assert conflicts is INACTIVE and out.columns == ["a", "b"]
    assert (
        out.df["a"].tolist()[0] == 3
        and pd.isna(out.df["a"].tolist()[1])
        and out.df["b"].tolist() == ["p", None]
    )
    with pytest.raises(ConfigureError, match="Column 'a' is missing"):
        run_node("table_validator_reference", {}, data[["b"]], reference)


def _cell(kind: str, value: object) -> dict:
    cls = f"org.knime.core.data.def.{kind}"
    return {"datacell": cls, cls: {kind: value}}


def test_table_validator_imports(tmp_path: Path) -> None:
    spec = {
        "spec_name": "default",
        "number_columns": 2,
        "column_spec_0": {
            "column_name": "id",
            "column_type": {"cell_class": "org.knime.core.data.def.IntCell"},
            "column_domain": {"lower_bound": _cell("IntCell", 1), "upper_bound": _cell("IntCell", 10)},
        },
        "column_spec_1": {
            "column_name": "name",
            "column_type": {"cell_class": "org.knime.core.data.def.StringCell"},
            "column_domain": {"possible_values": [_cell("StringCell", "x"), _cell("StringCell", "y")]},
        },
    }
    check = {**LOOSE, "column_names": ["id", "name"]}
    model = {
        "individual_settings": {"0": check},
        "unkown_columns_handling": "REMOVE",
        "rejecting_behavior": "OUTPUT_TO_PORT_CHECK_DATA",
        "validate_at": "VALIDATE_BOTH",
        "data_table_spec": spec,
    }
    node, report, _ = import_fragment(tmp_path, VALIDATOR, model)
    assert node.type == "table_validator" and findings(report) == []
    assert node.settings["data_table_spec"] == REFERENCE[:2] and node.settings["individual_settings"] == [
        check
    ]
    out, conflicts = run_node("table_validator", node.settings, MESSY).outputs
    assert out is INACTIVE and conflicts.df["Error ID"].tolist() == ["OUT_OF_DOMAIN", "CONVERSION_FAILED"]
    reference_model = {
        "individual_settings": {"0": {**LOOSE, "column_names": []}},
        "unkown_columns_handling": "IGNORE",
        "rejecting_behavior": "FAIL_NODE",
    }
    node, report, _ = import_fragment(tmp_path, VALIDATOR_REFERENCE, reference_model)
    assert node.type == "table_validator_reference"
    assert (
        node.settings["datatype_handling"] == "CONVERT_FAIL"
        and node.settings["unkown_columns_handling"] == "IGNORE"
    )
    assert len(findings(report)) == 1 and "domain" in findings(report)[0]
    plain = {
        **LOOSE,
        "column_names": [],
        "domain_handling_min_max": "NONE",
        "domain_handling_possible_values": "NONE",
    }
    _, report, _ = import_fragment(
        tmp_path, VALIDATOR_REFERENCE, {**reference_model, "individual_settings": {"0": plain}}
    )
    assert findings(report) == []
