"""String to Number, Number to String, Round Double and Column Auto Type Cast against Java's
parsing/printing rules (Integer.parseInt, Double.parseDouble, Double.toString, BigDecimal)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.core.testing import configure_node, run_node


def strings(**cols: list[object]) -> Table:
    return Table.from_frame(pd.DataFrame(cols), {c: ColumnType.STRING for c in cols})


def test_string_to_number_java_rules() -> None:
    table = strings(d=["1,234.5", " 7 ", "", None, "1.5d"], i=[" 7 ", "12", "x", "2147483648", "-3"])
    run = run_node("string_to_number", {"thousands_separator": ","}, table)
    out = run.df()
    assert out["d"].tolist()[:2] == [1234.5, 7.0] and np.isnan(out["d"].tolist()[2])
    assert np.isnan(out["d"].tolist()[4])  # a type suffix needs generic_parse
    assert run.outputs[0].types["d"] == ColumnType.DOUBLE
    assert any("could not be parsed" in w for w in run.warnings)
    ints = run_node(
        "string_to_number",
        {"parse_type": "Integer", "include": {"included_names": ["i"], "enforce_option": "EnforceInclusion"}},
        table,
    )
    values = ints.df()["i"].tolist()
    assert values[1] == 12 and values[4] == -3
    assert all(v is pd.NA for v in (values[0], values[2], values[3]))  # no trimming; out of int range
    assert (
        ints.specs[0].type_of("i") == ColumnType.INTEGER and ints.specs[0].type_of("d") == ColumnType.STRING
    )
    generic = run_node("string_to_number", {"generic_parse": True}, strings(d=["1.5d"])).df()
    assert generic["d"].tolist() == [1.5]
    comma = run_node(
        "string_to_number", {"decimal_separator": ",", "thousands_separator": "."}, strings(d=["1.234,5"])
    )
    assert comma.df()["d"].tolist() == [1234.5]
    with pytest.raises(ConfigureError, match="not found"):
        configure_node(
            "string_to_number",
            {"include": {"included_names": ["nope"], "enforce_option": "EnforceInclusion"}},
            table.spec,
        )


def test_string_to_number_knime_layouts(tmp_path) -> None:
    model = {
        "include": {"InclList": ["d"], "ExclList": [], "keep_all_columns_selected": False},
        "decimal_separator": ".",
        "thousands_separator": "",
        "parse_type": {"cell_class": "org.knime.core.data.def.LongCell"},
        "generic_parse": False,
    }
    kind, settings, found = import_node(
        tmp_path, "org.knime.base.node.preproc.colconvert.stringtonumber.StringToNumberNodeFactory", model
    )
    assert kind == "string_to_number" and found == []
    assert settings["parse_type"] == "Long"
    assert settings["include"] == {"included_names": ["d"], "enforce_option": "EnforceInclusion"}


def test_number_to_string() -> None:
    table = Table.from_frame(
        pd.DataFrame({"d": [1.0, 1e-5, 12345678.0, np.nan], "i": [1, 2, 3, 4], "s": list("abcd")})
    )
    run = run_node("number_to_string", {}, table)
    out = run.df()
    assert out["d"].tolist()[:3] == ["1.0", "1.0E-5", "1.2345678E7"] and out["d"].tolist()[3] is None
    assert out["i"].tolist() == ["1", "2", "3", "4"]
    assert run.specs[0].type_of("d") == ColumnType.STRING and run.outputs[0].types["i"] == ColumnType.STRING


def test_round_double_modes_and_outputs() -> None:
    table = Table.from_frame(pd.DataFrame({"x": [2.5, 1.005, -0.001, 123456.0], "n": [1, 2, 3, 4]}))
    base = {"PrecisionNumer": 2, "AppendColumns": False, "OutputType": "Double"}
    out = run_node("round_double", base, table).df()
    # BigDecimal.valueOf(1.005) is exactly 1.005, so HALF_UP gives 1.01 (binary rounding would give 1.0)
    assert out["x"].tolist() == [2.5, 1.01, 0.0, 123456.0]
    half = run_node("round_double", {**base, "PrecisionNumer": 0, "RoundingMode": "HALF_EVEN"}, table).df()
    assert half["x"].tolist()[0] == 2.0
    text = run_node("round_double", {**base, "OutputType": "Standard String"}, table).df()
    assert text["x"].tolist() == ["2.50", "1.01", "0.00", "123456.00"]
    sig = {"PrecisionNumer": 2, "NumberMode": "Significant figures", "AppendColumns": False}
    assert (
        run_node("round_double", {**sig, "OutputType": "Standard String"}, table).df()["x"].tolist()[3]
        == "1.2E+5"
    )
    assert (
        run_node("round_double", {**sig, "OutputType": "Plain String (no exponent)"}, table)
        .df()["x"]
        .tolist()[3]
        == "120000"
    )
    assert (
        run_node("round_double", {**sig, "OutputType": "Engineering String"}, table).df()["x"].tolist()[3]
        == "120E+3"
    )
    run = run_node("round_double", {"PrecisionNumer": 1}, table)
    assert run.df().columns.tolist() == ["x", "n", "x (Rounded)", "n (Rounded)"]
    assert run.outputs[0].types["n (Rounded)"] == ColumnType.LONG  # AUTO keeps integer columns integral
    assert run.specs[0] == run.outputs[0].spec


def test_round_double_knime_legacy_layout(tmp_path) -> None:
    model = {
        "StringColNames": {"InclList": ["x"], "ExclList": [], "keep_all_columns_selected": False},
        "PrecisionNumer": 1,
        "AppendColumns": True,
        "ColumnSuffix": " (rounded)",
        "RoundingMode": "HALF_EVEN",
        "OutputAsString": True,
        "NumberMode": "Decimal places",
    }
    kind, settings, found = import_node(
        tmp_path, "org.knime.base.node.preproc.rounddouble.RoundDoubleNodeFactory", model
    )
    assert kind == "round_double" and found == []
    assert settings["OutputType"] == "Standard String"
    table = Table.from_frame(pd.DataFrame({"x": [0.25], "y": [1.0]}))
    assert run_node("round_double", settings, table).df()["x (rounded)"].tolist() == ["0.2"]


def test_column_auto_type_cast() -> None:
    table = strings(
        a=["1", "2", "3"],
        b=["1", "3000000000", None],
        c=["1", "2.5", "NA"],
        d=["1", "x", "2"],
        e=[None, None, None],
    )
    run = run_node("column_auto_type_cast", {"missingValuePattern": "NA"}, table)
    types = run.outputs[0].types
    assert types == {"a": "Integer", "b": "Long", "c": "Double", "d": "String", "e": "String"}
    assert run.df()["b"].tolist()[1] == 3000000000
    assert np.isnan(run.df()["c"].tolist()[2])
    reasons = run.df(2)
    assert reasons.columns.tolist() == [
        "Column name",
        "Final column type",
        "Row determining final column type",
    ]
    assert reasons.set_index("Column name").loc["c", "Row determining final column type"] == "Row1"
    with pytest.raises(NodeError, match="legacy Date and Time"):
        run_node("column_auto_type_cast", {}, strings(w=["12.10.20", "1.2.3"]))


def test_double_to_integer_java_rounding_and_ranges() -> None:
    table = Table.from_frame(
        pd.DataFrame(
            {
                "d": [2.5, -2.5, 0.49999999999999994, -0.5, np.nan, 3e9, 2.0**63],
                "i": [1, 2, 3, 4, 5, 6, 7],
                "s": list("abcdefg"),
            }
        )
    )
    run = run_node("double_to_integer", {}, table)
    out = run.df()
    # Math.round: halves go to +infinity, 0.49999999999999994 stays 0 (floor(x + 0.5) on the exact value)
    assert out["d"].tolist()[:4] == [3, -2, 0, 0]
    assert out["d"].tolist()[4] is pd.NA and out["d"].tolist()[5] is pd.NA and out["d"].tolist()[6] is pd.NA
    assert run.outputs[0].types["d"] == ColumnType.INTEGER and run.specs[0] == run.outputs[0].spec
    assert run.outputs[0].types["i"] == table.types["i"] and out["i"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert any("outside the value range for integers" in w for w in run.warnings)
    floor = run_node("double_to_integer", {"typeofround": "floor", "long": True}, table)
    values = floor.df()["d"].tolist()
    assert values[:4] == [2, -3, 0, -1] and values[5] == 3_000_000_000
    assert values[6] == 2**63 - 1  # (long) of 2^63 saturates, as Java's cast does
    assert floor.outputs[0].types["d"] == ColumnType.LONG
    ceil = run_node("double_to_integer", {"typeofround": "ceil"}, table).df()["d"].tolist()
    assert ceil[:4] == [3, -2, 1, 0]
    none = run_node("double_to_integer", {"include": {"excluded_names": ["d"]}}, table)
    assert none.df()["d"].tolist()[0] == 2.5 and any("No columns selected" in w for w in none.warnings)


def test_double_to_integer_knime_layout(tmp_path) -> None:
    model = {
        "include_Internals": {"SettingsModelID": "SMID_columnfilter", "EnabledStatus": True},
        "include": {
            "filter-type": "STANDARD",
            "included_names": ["d"],
            "excluded_names": ["s"],
            "enforce_option": "EnforceExclusion",
            "name_pattern": {
                "pattern": "",
                "type": "Wildcard",
                "caseSensitive": True,
                "excludeMatching": False,
            },
            "datatype": {"typelist": {}},
        },
        "typeofround_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": True},
        "typeofround": "ceil",
        "long_Internals": {"SettingsModelID": "SMID_boolean", "EnabledStatus": True},
        "long": False,
    }
    kind, settings, found = import_node(
        tmp_path, "org.knime.base.node.preproc.double2int2.DoubleToIntNodeFactory", model
    )
    assert kind == "double_to_integer" and found == []
    assert settings["typeofround"] == "ceil" and settings["long"] is False
    table = Table.from_frame(pd.DataFrame({"d": [0.2], "e": [1.5], "s": ["x"]}))
    out = run_node("double_to_integer", settings, table).df()
    assert out["d"].tolist() == [1] and out["e"].tolist() == [2] and out["s"].tolist() == ["x"]
