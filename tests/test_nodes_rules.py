"""Expression-language nodes: Rule Engine, Expression, Row Filter, Math Formula."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spec_shapes import data_file

from engine.api import UNKNOWN, ConfigureError, NodeError
from engine.core.table import Table, TableSpec
from engine.core.testing import configure_node, run_node

ROOT = Path(__file__).resolve().parent.parent


def data_path(name: str) -> Path:
    """A tutorial data file (committed in data/; $KNITFLOW_DATA first)."""
    return data_file(name)


@pytest.fixture
def frame() -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "a": pd.array([1, 2, None, 4], dtype="Int64"),
            "x": [1.5, np.nan, -2.0, 0.0],
            "s": ["foo", "Bar", None, "baz"],
            "b": pd.array([True, False, None, True], dtype="boolean"),
        }
    )
    df.index = pd.Index([f"Row{i}" for i in range(4)], dtype=object)
    return df


def expr(df: pd.DataFrame, script: str, variables: dict | None = None) -> tuple[list, str]:
    res = run_node(
        "expression", {"expressions": [{"script": script, "createdColumn": "r"}]}, df, variables=variables
    )
    return res.df()["r"].tolist(), res[1].types["r"]


def rules(df: pd.DataFrame, lines: list[str], variables: dict | None = None) -> tuple[list, str]:
    res = run_node("rule_engine", {"rules": lines, "new_column_name": "r"}, df, variables=variables)
    return res.df()["r"].tolist(), res[1].types["r"]


def jep(df: pd.DataFrame, expression: str, **settings: object) -> tuple[list, str]:
    res = run_node("math_formula", {"expression": expression, "new_column_name": "r", **settings}, df)
    return res.df()["r"].tolist(), res[1].types["r"]


def same(values: list, expected: list) -> bool:
    def norm(v: object) -> object:
        return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v

    return [norm(v) for v in values] == [norm(v) for v in expected]


# ============================================================================ the archives' expressions


def test_rule_engine_10_01_on_the_real_data() -> None:
    raw = pd.read_csv(data_path("ZB_WZ_dE_rawdescriptor.csv"))
    res = run_node(
        "rule_engine",
        {
            "rules": ['$dE$ >= 0 => "stable"', '$dE$ < 0 => "unstable"'],
            "append_column": False,
            "new_column_name": "prediction",
            "replace_column_name": "dE",
        },
        raw,
    )
    out, table = res.df(), res[1]
    assert out.shape == (82, 21) and list(out.columns) == list(raw.columns)  # replaced in place (position 20)
    assert table.types["dE"] == "String" and res.specs[0].type_of("dE") == "String"
    assert (out["dE"] == "stable").sum() == (raw["dE"] >= 0).sum()
    assert out["dE"].iloc[0] == "unstable"  # first row dE = -0.059
    assert set(out["dE"]) == {"stable", "unstable"}


def test_expression_10_03_descriptors_match_the_recorded_statistics() -> None:
    raw = pd.read_csv(data_path("ZB_WZ_dE_rawdescriptor.csv"))
    scripts = [  # as stored in the archive, line breaks included
        ('abs($["IP_B"] - $["EA_B"]) / $["rp_A"]**2\n', "desp1"),
        ('abs($["rs_A"] - $["rp_B"]) / exp($["rs_A"])\n\n', "desp2"),
        ('abs($["rp_B"] - $["rs_B"]) / exp($["rd_A"])\r\n', "desp3"),
    ]
    settings = {
        "expressions": [{"script": s, "columnOutputMode": "APPEND", "createdColumn": c} for s, c in scripts]
    }
    res = run_node("expression", settings, raw)
    out = res.df()
    assert out.shape == (82, 24) and list(out.columns[-3:]) == ["desp1", "desp2", "desp3"]
    assert [res[1].types[c] for c in ("desp1", "desp2", "desp3")] == ["Double"] * 3
    recorded = {"desp1": (3.823395, 3.631298), "desp2": (0.123370, 0.066747), "desp3": (0.016349, 0.017872)}
    for col, (mean, std) in recorded.items():
        assert out[col].mean() == pytest.approx(mean, abs=5e-7)
        assert out[col].std(ddof=1) == pytest.approx(std, abs=5e-7)
    np.testing.assert_allclose(out["desp1"], (raw["IP_B"] - raw["EA_B"]).abs() / raw["rp_A"] ** 2)


def test_row_filter_archive_predicates() -> None:
    # 10_03 #332: special column ROW_NUMBER EQ 1 (1-based)
    df = pd.DataFrame(
        {"alpha": [1e-4, 1e-5, 1e-3], "R^2": [0.97, 0.96, 0.95]}, index=["Row1", "Row0", "Row2"]
    )
    res = run_node(
        "row_filter",
        {
            "matchCriteria": "AND",
            "outputMode": "MATCHING",
            "domains": "RETAIN",
            "predicates": [{"column": "<ROW_NUMBER>", "operator": "EQ", "value": 1}],
        },
        df,
    )
    assert res.df().index.tolist() == ["Row1"] and res.df()["alpha"].iloc[0] == 1e-4
    # 13_01 #287: N GT 1050 (Integer column, Int value)
    scaling = pd.DataFrame(
        {"N": [100, 500, 1000, 2000, 5000, 10000, 20000, 50000] * 5, "MAE": np.arange(40.0)}
    )
    res = run_node("row_filter", {"predicates": [{"column": "N", "operator": "GT", "value": 1050}]}, scaling)
    assert len(res.df()) == 25 and res.df()["N"].min() == 2000
    assert list(res.df().index) == [f"Row{i}" for i in range(40) if scaling["N"][i] > 1050]


def test_row_filter_11_01_on_the_real_data() -> None:
    raw = pd.read_csv(data_path("maxphase_property.csv"))
    raw.columns = raw.columns.str.strip()  # the CSV reader trims headers
    res = run_node(
        "row_filter", {"predicates": [{"column": "rho0 lambda lambda", "operator": "LT", "value": 30.0}]}, raw
    )
    out = res.df()
    assert out.shape == (106, 107)
    assert "Row63" not in out.index and raw.loc[63, "Material"] == "β-Ta3AlC2"


def test_math_formula_12_01_builds_the_diagonal() -> None:
    sv = pd.DataFrame({"Singular Value": [5.0, 3.0, 2.0, 1.0]})
    st = {
        "expression": "$$ROWINDEX$$",
        "append_column": False,
        "replaced_column": "row",
        "convert_to_int": False,
    }
    rows = run_node("math_formula", st, sv)
    assert rows.df().shape == (4, 2) and rows.df()["row"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert rows[1].types["row"] == "Double" and rows.specs[0].names == ["Singular Value", "row"]
    # the cross join of row indices with column indices, then the diagonal
    cross = pd.DataFrame(
        [(r, c, s) for r, s in zip(range(4), sv["Singular Value"], strict=True) for c in range(4)],
        columns=["row", "column", "Singular Value"],
    ).astype(float)
    cross.insert(2, "extra", 0.0)
    st = {
        "expression": "if($row$ == $column$, $Singular Value$, 0)",
        "append_column": False,
        "replaced_column": "diag",
        "convert_to_int": False,
    }
    diag = run_node("math_formula", st, cross).df()
    assert diag.shape == (16, 5)
    matrix = diag["diag"].to_numpy().reshape(4, 4)
    np.testing.assert_array_equal(matrix, np.diag([5.0, 3.0, 2.0, 1.0]))


# =================================================================================== precedence


@pytest.mark.parametrize(
    ("script", "value", "col_type"),
    [
        ("2**3**2", 512, "Long"),  # right-associative
        ("-2**2", -4, "Long"),  # ** binds tighter than unary minus
        ("(-2)**2", 4, "Long"),
        ("2**-1", 0, "Long"),  # INTEGER ** INTEGER stays INTEGER (truncated)
        ("2.0**-1", 0.5, "Double"),
        ("1 + 2 * 3", 7, "Long"),
        ("(1 + 2) * 3", 9, "Long"),
        ("10 - 4 - 3", 3, "Long"),  # left-associative
        ("2 * 3 ** 2", 18, "Long"),
        ("7 / 2", 3.5, "Double"),
        ("-7 // 2", -4, "Long"),  # floor division
        ("-7 % 3", -1, "Long"),  # remainder takes the dividend's sign
        ("1 + 2 == 3", True, "Boolean"),
        ("not 1 > 2 and 2 > 1", True, "Boolean"),  # not binds tighter than and
        ("TRUE or FALSE and FALSE", True, "Boolean"),  # and binds tighter than or
        ("MISSING ?? 1 + 1", 2, "Long"),  # ?? binds tightest
        ("1 + 1  # a comment", 2, "Long"),
    ],
)
def test_expression_precedence(frame: pd.DataFrame, script: str, value: object, col_type: str) -> None:
    values, t = expr(frame, script)
    assert values == [value] * 4 and t == col_type


def test_rule_and_jep_precedence(frame: pd.DataFrame) -> None:
    # NOT > AND > XOR > OR: NOT a AND b XOR c OR d == (((NOT a) AND b) XOR c) OR d
    df = pd.DataFrame(
        {"p": [1, 0, 1, 0, 1, 0], "q": [1, 1, 0, 0, 1, 1], "c": [0, 1, 1, 0, 1, 0], "t": [0, 0, 0, 0, 1, 0]}
    )
    got, _ = rules(df, ['NOT $p$ = 1 AND $q$ = 1 XOR $c$ = 1 OR $t$ = 1 => "y"', 'TRUE => "n"'])
    p, q, c, t = (df[col].astype(bool) for col in "pqct")
    assert got == np.where(((~p & q) ^ c) | t, "y", "n").tolist()
    assert got != np.where(~(p & q) ^ c | t, "y", "n").tolist()  # NOT applies to the comparison only
    assert jep(frame, "2^3^2")[0] == [512.0] * 4
    assert jep(frame, "-2^2")[0] == [-4.0] * 4
    assert jep(frame, "2^-1")[0] == [0.5] * 4
    assert jep(frame, "1 + 2 * 3 ^ 2")[0] == [19.0] * 4
    assert jep(frame, "1 < 2 == 1")[0] == [1.0] * 4  # relational binds tighter than equality


# ============================================================================= missing values


def test_expression_missing_values(frame: pd.DataFrame) -> None:
    assert same(expr(frame, "$a + 1")[0], [2, 3, None, 5])
    assert expr(frame, "$a + 1")[1] == "Long"
    assert same(expr(frame, "$a * $x")[0], [1.5, None, None, 0.0])
    assert expr(frame, "$a == MISSING")[0] == [False, False, True, False]
    assert expr(frame, "$x > 0")[0] == [True, False, False, False]  # ordering with MISSING is FALSE
    assert expr(frame, "$x ?? -1")[0] == [1.5, -1.0, -2.0, 0.0]
    assert same(expr(frame, "$b or $a > 1")[0], [True, True, None, True])  # three-valued logic
    assert same(expr(frame, "$b and $a > 1")[0], [False, False, False, True])
    assert same(expr(frame, "not $b")[0], [False, True, None, False])
    assert same(expr(frame, '$s + "!"')[0], ["foo!", "Bar!", None, "baz!"])
    assert same(expr(frame, '$["a", -1]')[0], [None, 1, 2, None])  # offsets run off the table into MISSING


def test_rule_engine_missing_values(frame: pd.DataFrame) -> None:
    assert same(rules(frame, ['$a$ > 1 => "big"'])[0], [None, "big", None, "big"])  # no match -> missing
    got, t = rules(frame, ["MISSING $a$ => 0", "$a$ > 1 => 1"])
    assert same(got, [None, 1, 0, 1]) and t == "Integer"
    assert rules(frame, ['$a$ = $a$ => "eq"'])[0] == ["eq"] * 4  # ? = ? is true
    assert same(rules(frame, ['$x$ < 0 OR $x$ >= 0 => "num"'])[0], ["num", None, "num", "num"])


def test_math_formula_missing_and_non_finite(frame: pd.DataFrame) -> None:
    assert same(jep(frame, "$a$ + 1")[0], [2.0, 3.0, None, 5.0])
    # a missing value in any used column makes the row missing, even in the branch not taken
    assert same(jep(frame, "if($a$ > 1, 1, $x$)")[0], [1.5, None, None, 1.0])
    assert same(jep(frame, "1 / $x$")[0], [1 / 1.5, None, -0.5, None])  # 1/0 = Infinity -> missing
    assert same(jep(frame, "sqrt(-1)")[0], [None] * 4)
    got, t = jep(frame, "$a$ * 1.6", convert_to_int=True)
    assert same(got, [2, 3, None, 6]) and t == "Integer"  # Math.round
    assert same(jep(frame, "$a$ * 1e10", convert_to_int=True)[0], [None] * 4)  # outside the int range


def test_row_filter_missing_values(frame: pd.DataFrame) -> None:
    def keep(pred: dict, **kw: object) -> list[str]:
        return run_node("row_filter", {"predicates": [pred], **kw}, frame).df().index.tolist()

    assert keep({"column": "s", "operator": "NEQ", "value": "foo"}) == ["Row1", "Row3"]  # nor missing
    assert keep({"column": "s", "operator": "NEQ_MISS", "value": "foo"}) == ["Row1", "Row2", "Row3"]
    assert keep({"column": "x", "operator": "LTE", "value": 0}) == ["Row2", "Row3"]  # missing never matches
    assert keep({"column": "a", "operator": "IS_MISSING"}) == ["Row2"]
    assert keep({"column": "a", "operator": "IS_MISSING"}, outputMode="NON_MATCHING") == [
        "Row0",
        "Row1",
        "Row3",
    ]
    assert keep({"column": "b", "operator": "IS_FALSE"}) == ["Row1"]
    assert keep("$a > 1") == ["Row1", "Row3"]  # an expression predicate: MISSING counts as false


# =========================================================================== strings and patterns


def test_string_comparisons(frame: pd.DataFrame) -> None:
    assert expr(frame, '$s == "Bar"')[0] == [False, True, False, False]
    assert expr(frame, "$s != MISSING and length($s) == 3")[0] == [True, True, False, True]
    assert same(expr(frame, "upper_case($s)")[0], ["FOO", "BAR", None, "BAZ"])
    assert same(
        expr(frame, 'substring($s, 1, 1) + ". " + substring($s, 2)')[0], ["f. oo", "B. ar", None, "b. az"]
    )
    assert same(expr(frame, "$s + $a")[0], ["foo1", "Bar2", None, "baz4"])
    assert same(expr(frame, '"x=" + $x')[0], ["x=1.5", None, "x=-2.0", "x=0.0"])  # Java's double text
    assert same(rules(frame, ['$s$ > "a" => 1'])[0], [1, None, None, 1])  # lexicographic: "B" < "a"
    assert same(
        rules(frame, ['$s$ LIKE "b*" => "b"', '$s$ MATCHES "[A-Z].*" => "upper"'])[0],
        [None, "upper", None, "b"],
    )
    assert same(rules(frame, ['$s$ IN ("foo", "baz") => $a$'])[0], [1, None, None, 4])
    assert same(rules(frame, ['$$ROWID$$ = "Row1" => $$ROWINDEX$$'])[0], [None, 1, None, None])

    def keep(pred: dict) -> list[str]:
        return run_node("row_filter", {"predicates": [pred]}, frame).df().index.tolist()

    assert keep({"column": "s", "operator": "EQ", "value": "bar", "caseMatching": "CASEINSENSITIVE"}) == [
        "Row1"
    ]
    assert keep({"column": "s", "operator": "EQ", "value": "bar"}) == []
    assert keep({"column": "s", "operator": "WILDCARD", "value": "ba?"}) == ["Row3"]
    assert keep({"column": "s", "operator": "REGEX", "value": "[fb].*"}) == ["Row0", "Row3"]
    assert keep({"column": "<ROW_ID>", "operator": "REGEX", "value": "Row[23]"}) == ["Row2", "Row3"]
    assert keep({"column": "a", "operator": "REGEX", "value": "[24]"}) == ["Row1", "Row3"]  # integers as text


# ============================================================================ types and variables


def test_output_types(frame: pd.DataFrame) -> None:
    assert expr(frame, "$[ROW_INDEX]") == ([0, 1, 2, 3], "Long")  # INTEGER results are Long columns
    assert expr(frame, "$[ROW_NUMBER]")[0] == [1, 2, 3, 4]
    assert expr(frame, '$[ROW_ID] + ""')[0] == ["Row0", "Row1", "Row2", "Row3"]
    assert expr(frame, 'if($a > 1, "big", "small")') == (["small", "big", "small", "big"], "String")
    assert expr(frame, "if($a > 1, 1, 2.5)") == ([2.5, 1.0, 2.5, 1.0], "Double")
    assert expr(frame, "floor(2.7)") == ([2] * 4, "Long")
    assert expr(frame, "round(3.14159, 2)") == ([3.14] * 4, "Double")
    assert rules(frame, ["$a$ > 1 => 1", "TRUE => 2.5"]) == ([2.5, 1.0, 2.5, 1.0], "Double")
    assert rules(frame, ["$a$ > 1 => TRUE", "TRUE => FALSE"])[1] == "Boolean"
    assert rules(frame, ["$a$ > 1 => 3000000000", "TRUE => 1"])[1] == "Long"
    assert rules(frame, ["$a$ > 1 => $x$", 'TRUE => "other"'])[1] == "String"


def test_flow_variables(frame: pd.DataFrame) -> None:
    variables = {"k": 41, "name": "foo", "w": 2.5}
    assert expr(frame, "$$k + 1", variables) == ([42] * 4, "Long")
    assert expr(frame, '$s == $$["name"]', variables)[0] == [True, False, False, False]
    assert same(rules(frame, ["$s$ = $${Sname}$$ => $${Dw}$$"], variables)[0], [2.5, None, None, None])
    res = run_node(
        "math_formula",
        {"expression": "$${Ik}$$ + $$ROWCOUNT$$", "new_column_name": "r"},
        frame,
        variables=variables,
    )
    assert res.df()["r"].tolist() == [45.0] * 4
    # a variable only known upstream at run time leaves the output spec open at configure time
    spec = TableSpec.of([("a", "Long")])
    assert configure_node(
        "expression", {"expressions": [{"script": "$$later", "createdColumn": "r"}]}, spec
    ) == [UNKNOWN]
    with pytest.raises(NodeError, match="flow variable 'later' is not defined"):
        run_node("expression", {"expressions": [{"script": "$$later", "createdColumn": "r"}]}, frame)


def test_later_expressions_see_earlier_outputs(frame: pd.DataFrame) -> None:
    settings = {
        "expressions": [
            {"script": "$x * 2", "createdColumn": "y"},
            {"script": "$y + 1", "createdColumn": "z"},
            {"script": "$a ?? 0", "columnOutputMode": "REPLACE_EXISTING", "replacedColumn": "a"},
            {"script": "$a * 10", "createdColumn": "a10"},
        ]
    }
    res = run_node("expression", settings, frame)
    out = res.df()
    assert list(out.columns) == ["a", "x", "s", "b", "y", "z", "a10"]
    assert same(out["z"].tolist(), [4.0, None, -3.0, 1.0])
    assert out["a10"].tolist() == [10, 20, 0, 40] and res[1].types["a"] == "Long"
    assert res.specs[0].names == list(out.columns)


# ======================================================================================= errors


def test_syntax_errors_point_at_the_character(frame: pd.DataFrame) -> None:
    spec = Table.from_frame(frame).spec
    with pytest.raises(ConfigureError) as err:
        configure_node("rule_engine", {"rules": ['$a$ > 1 => "x"', '$a$ >= => "y"']}, spec)
    assert err.value.setting == "rules.1"
    assert "line 1, column 8" in str(err.value) and '$a$ >= => "y"' in str(err.value)
    assert "unexpected '=>'" in str(err.value)
    assert str(err.value).splitlines()[-1] == "    " + " " * 7 + "^"

    with pytest.raises(ConfigureError) as err:
        configure_node(
            "expression", {"expressions": [{"script": "1 +\n  (2 * )", "createdColumn": "r"}]}, spec
        )
    assert err.value.setting == "expressions.0.script" and "line 2, column 8" in str(err.value)
    assert "unexpected ')'" in str(err.value)

    with pytest.raises(ConfigureError) as err:
        configure_node("math_formula", {"expression": "$a$ +* 2", "new_column_name": "r"}, spec)
    assert err.value.setting == "expression" and "line 1, column 6" in str(err.value)

    with pytest.raises(ConfigureError) as err:  # syntax errors surface even when the input is not known yet
        configure_node("expression", {"expressions": [{"script": "$x +", "createdColumn": "r"}]}, UNKNOWN)
    assert "unexpected end of expression" in str(err.value) and "line 1, column 5" in str(err.value)


def test_type_errors_point_at_the_operator(frame: pd.DataFrame) -> None:
    spec = Table.from_frame(frame).spec
    with pytest.raises(ConfigureError) as err:
        configure_node("expression", {"expressions": [{"script": "$a + $s * 2", "createdColumn": "r"}]}, spec)
    assert "operator '*' cannot be applied to STRING and INTEGER" in str(err.value)
    assert "line 1, column 9" in str(err.value)
    with pytest.raises(ConfigureError, match="'<' needs numbers"):
        configure_node("expression", {"expressions": [{"script": '$s < "z"', "createdColumn": "r"}]}, spec)
    with pytest.raises(ConfigureError, match="cannot compare STRING with INTEGER"):
        configure_node("rule_engine", {"rules": ["$s$ > 1 => 1"]}, spec)
    with pytest.raises(ConfigureError, match="Math Formula uses numeric columns only"):
        configure_node("math_formula", {"expression": "$s$ + 1", "new_column_name": "r"}, spec)
    with pytest.raises(ConfigureError, match="unknown function 'nosuch'"):
        configure_node("expression", {"expressions": [{"script": "nosuch(1)", "createdColumn": "r"}]}, spec)


def test_unknown_columns_at_configure_time(frame: pd.DataFrame) -> None:
    spec = Table.from_frame(frame).spec
    cases = [
        ("rule_engine", {"rules": ['$dX$ >= 0 => "stable"']}, "rules.0", "dX"),
        (
            "expression",
            {"expressions": [{"script": '$["IP_X"] - 1', "createdColumn": "r"}]},
            "expressions.0.script",
            "IP_X",
        ),
        (
            "math_formula",
            {"expression": "$Singular Value$ * 2", "new_column_name": "r"},
            "expression",
            "Singular Value",
        ),
        (
            "row_filter",
            {"predicates": [{"column": "N", "operator": "GT", "value": 1050}]},
            "predicates.0.column",
            "N",
        ),
        ("row_filter", {"predicates": ["$N > 1050"]}, "predicates.0", "N"),
        (
            "rule_engine",
            {"rules": ["TRUE => 1"], "append_column": False, "replace_column_name": "zz"},
            "replace_column_name",
            "zz",
        ),
        (
            "expression",
            {
                "expressions": [
                    {"script": "1", "columnOutputMode": "REPLACE_EXISTING", "replacedColumn": "zz"}
                ]
            },
            "expressions.0.replacedColumn",
            "zz",
        ),
    ]
    for node, settings, setting, column in cases:
        with pytest.raises(ConfigureError) as err:
            configure_node(node, settings, spec)
        assert err.value.setting == setting, (node, str(err.value))
        assert f"'{column}'" in str(err.value) and "not found" in str(err.value)


def test_settings_conflicts(frame: pd.DataFrame) -> None:
    spec = Table.from_frame(frame).spec
    with pytest.raises(ConfigureError, match="already exists"):
        configure_node("rule_engine", {"rules": ["TRUE => 1"], "new_column_name": "a"}, spec)
    with pytest.raises(ConfigureError, match="already exists"):
        configure_node("expression", {"expressions": [{"script": "1", "createdColumn": "x"}]}, spec)
    with pytest.raises(ConfigureError, match="IS_TRUE or IS_FALSE"):
        configure_node("row_filter", {"predicates": [{"column": "b", "operator": "EQ", "value": True}]}, spec)
    with pytest.raises(ConfigureError, match="not applicable to String"):
        configure_node("row_filter", {"predicates": [{"column": "s", "operator": "LT", "value": "x"}]}, spec)
    with pytest.raises(ConfigureError, match="not a number"):
        configure_node(
            "row_filter", {"predicates": [{"column": "x", "operator": "LT", "value": "abc"}]}, spec
        )
    with pytest.raises(ConfigureError, match="always evaluates to MISSING"):
        configure_node("expression", {"expressions": [{"script": "MISSING", "createdColumn": "r"}]}, spec)


def test_math_formula_replace_and_append(frame: pd.DataFrame) -> None:
    res = run_node(
        "math_formula", {"expression": "$a$ * 10", "append_column": False, "replaced_column": "x"}, frame
    )
    assert list(res.df().columns) == ["a", "x", "s", "b"] and same(
        res.df()["x"].tolist(), [10.0, 20.0, None, 40.0]
    )
    # KNIME's quirk: replacing a column that does not exist appends it
    res = run_node(
        "math_formula", {"expression": "1", "append_column": False, "replaced_column": "new"}, frame
    )
    assert list(res.df().columns) == ["a", "x", "s", "b", "new"]
    # appending without new_column_name uses replaced_column, where KNIME stores the name
    res = run_node(
        "math_formula", {"expression": "COL_MAX($x$)", "append_column": True, "replaced_column": "m"}, frame
    )
    assert res.df()["m"].tolist() == [1.5] * 4


# =================================================================================== edge cases


def test_empty_tables() -> None:
    empty = pd.DataFrame({"a": pd.Series([], dtype="int64"), "s": pd.Series([], dtype=object)})
    res = run_node("expression", {"expressions": [{"script": "$a * 2", "createdColumn": "r"}]}, empty)
    assert res.df().shape == (0, 3) and res[1].types["r"] == "Long"
    res = run_node("rule_engine", {"rules": ['$a$ > 1 => "x"'], "new_column_name": "r"}, empty)
    assert res.df().shape == (0, 3) and res[1].types["r"] == "String"
    res = run_node("math_formula", {"expression": "$a$ + $$ROWINDEX$$", "new_column_name": "r"}, empty)
    assert res.df().shape == (0, 3) and res[1].types["r"] == "Double"
    res = run_node(
        "row_filter", {"predicates": [{"column": "s", "operator": "REGEX", "value": "x.*"}]}, empty
    )
    assert res.df().shape == (0, 2)


def test_no_rules_or_predicates(frame: pd.DataFrame) -> None:
    out = run_node("rule_engine", {"rules": ["// only a comment", ""], "new_column_name": "r"}, frame)
    assert out.df()["r"].isna().all()
    assert len(run_node("row_filter", {"predicates": []}, frame).df()) == 4
    assert run_node("expression", {"expressions": []}, frame).df().shape == (4, 4)


def test_row_numbers_and_bounds(frame: pd.DataFrame) -> None:
    def keep(*preds: dict, **kw: object) -> list[str]:
        return run_node("row_filter", {"predicates": list(preds), **kw}, frame).df().index.tolist()

    assert keep({"column": "<ROW_NUMBER>", "operator": "FIRST_N_ROWS", "value": 2}) == ["Row0", "Row1"]
    assert keep({"column": "<ROW_NUMBER>", "operator": "LAST_N_ROWS", "value": 1}) == ["Row3"]
    assert keep({"column": "<ROW_NUMBER>", "operator": "GTE", "value": 3}) == ["Row2", "Row3"]
    assert keep({"column": "x", "operator": "BETWEEN", "values": [-2, 1]}) == ["Row2", "Row3"]
    assert keep(
        {"column": "<ROW_NUMBER>", "operator": "EQ", "value": 1},
        {"column": "a", "operator": "EQ", "value": 4},
        matchCriteria="OR",
    ) == ["Row0", "Row3"]
    assert keep(
        {"column": "<ROW_NUMBER>", "operator": "LT", "value": 3},
        {"column": "a", "operator": "GT", "value": 1},
    ) == ["Row1"]


# ===================================================================== Math Formula (Multi Column)

MULTI_JEP = "org.knime.ext.jep.multicolumn.MultiColumnJEPNodeFactory"


def only(*names: str) -> dict:
    return {"included_names": list(names), "enforce_option": "EnforceInclusion"}


def test_multi_column_math_formula_replaces_each_column_from_the_input_row(frame: pd.DataFrame) -> None:
    settings = {"expression": "$$CURRENT_COLUMN$$ * 2 + $a$", "column_selection": only("a", "x")}
    res = run_node("math_formula_multi_column", settings, frame)
    out = res.df()
    assert list(out.columns) == ["a", "x", "s", "b"]
    # a: 3a (missing stays missing); x: 2x + a with a read before it was replaced
    assert same(out["a"].tolist(), [3.0, 6.0, None, 12.0])
    assert same(out["x"].tolist(), [4.0, None, None, 4.0])
    assert res.specs[0] == res.outputs[0].spec


def test_multi_column_math_formula_appends_with_suffix_and_rounds(frame: pd.DataFrame) -> None:
    settings = {
        "expression": "$$CURRENT_COLUMN$$ / COL_MAX($$CURRENT_COLUMN$$) * 100",
        "column_selection": only("a", "x"),
        "append_column": True,
        "replaced_column": "_pct",
        "convert_to_int": True,
    }
    out = run_node("math_formula_multi_column", settings, frame).df()
    assert list(out.columns) == ["a", "x", "s", "b", "a_pct", "x_pct"]
    assert same(out["a_pct"].tolist(), [25, 50, None, 100])
    assert same(out["x_pct"].tolist(), [100, None, -133, 0])  # Math.round(-133.33) = -133


def test_multi_column_math_formula_errors(frame: pd.DataFrame) -> None:
    with pytest.raises(ConfigureError, match="no column is selected"):
        run_node("math_formula_multi_column", {"expression": "1", "column_selection": only()}, frame)
    append = {"append_column": True, "replaced_column": ""}
    with pytest.raises(ConfigureError, match="already exists"):
        run_node(
            "math_formula_multi_column", {"expression": "1", "column_selection": only("a"), **append}, frame
        )
    with pytest.raises(ConfigureError, match="no column is selected"):  # String columns are never chosen
        run_node(
            "math_formula_multi_column",
            {"expression": "$$CURRENT_COLUMN$$", "column_selection": only("s")},
            frame,
        )
    with pytest.raises(ConfigureError, match="only known in Math Formula"):
        run_node("math_formula", {"expression": "$$CURRENT_COLUMN$$", "replaced_column": "r"}, frame)


def test_multi_column_math_formula_imports_knime_keys(tmp_path: Path, frame: pd.DataFrame) -> None:
    from test_knime_import import findings, import_fragment

    model = {
        "append_column": False,
        "replaced_column": "_suffix",
        "expression": "($a$ * 100)/$x$",
        "convert_to_int": False,
        "column_selection": {
            "filter-type": "STANDARD",
            "included_names": ["a", "x"],
            "excluded_names": [],
            "enforce_option": "EnforceExclusion",
            "name_pattern": {"pattern": "", "type": "Wildcard", "caseSensitive": True},
            "datatype": {"typelist": {"org.knime.core.data.StringValue": False}},
        },
    }
    node, report, _doc = import_fragment(tmp_path, MULTI_JEP, model)
    assert node.type == "math_formula_multi_column" and findings(report) == []
    out = run_node("math_formula_multi_column", node.settings, frame).df()
    assert same(out["a"].tolist(), [100 / 1.5, None, None, None]) and out["x"].tolist()[0] == 100 / 1.5
    assert out["s"].tolist() == frame["s"].tolist()  # EnforceExclusion: the rest, but numeric only
