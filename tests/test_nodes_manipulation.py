"""Column Filter, Sorter, Table Transposer, Normalizer and Normalizer (Apply)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from spec_shapes import data_file

from engine.api import UNKNOWN, ColumnType, ConfigureError, Model, NodeError, PortType, Table, TableSpec
from engine.core.testing import configure_node, run_node
from nodes._compare import alphanumeric_compare
from nodes.manipulation import common_type
from nodes.normalizer import NORMALIZER_MODEL, AffineTransform, commons_math_moments

ROOT = Path(__file__).resolve().parent.parent
ZB_FEATURES = [
    "ZA",
    "ZB",
    "IP_A",
    "EA_A",
    "EN_A",
    "Highest_occ_A",
    "Lowest_unocc_A",
    "rs_A",
    "rp_A",
    "rd_A",
    "IP_B",
    "EA_B",
    "EN_B",
    "Highest_occ_B",
    "Lowest_unocc_B",
    "rs_B",
    "rp_B",
    "rd_B",
]


def data_path(name: str) -> Path:
    """A tutorial data file (committed in data/; $KNITFLOW_DATA first)."""
    return data_file(name)


def zb_table() -> Table:
    return run_node("csv_reader", {"file": str(data_path("ZB_WZ_dE_rawdescriptor.csv"))})[1]


def mixed() -> Table:
    df = pd.DataFrame(
        {
            "name": ["Row10", "Row2", None, "row1", "Row2"],
            "x": [3.0, np.nan, 1.0, 3.0, -0.0],
            "k": pd.array([2, 1, None, 2, 0], dtype="Int64"),
        },
        index=pd.Index(["a", "b", "c", "d", "e"], dtype=object),
    )
    return Table(df, {"name": "String", "x": "Double", "k": "Integer"})


# ---------------------------------------------------------------------------------- Column Filter


def test_column_filter() -> None:
    t = mixed()
    keep = {"column_filter": {"included_names": ["k", "name", "ghost"], "enforce_option": "EnforceInclusion"}}
    result = run_node("column_filter", keep, t)
    assert result.df(1).columns.tolist() == ["name", "k"]  # input order, unknown names ignored
    assert result.specs[0] == result[1].spec and result[1].row_ids == t.row_ids
    drop = {"column_filter": {"excluded_names": ["x"], "included_names": ["name"]}}
    assert run_node("column_filter", drop, t).df(1).columns.tolist() == [
        "name",
        "k",
    ]  # EnforceExclusion keeps k
    assert configure_node("column_filter", drop, UNKNOWN) == [UNKNOWN]


# ------------------------------------------------------------------------------------------ Sorter


def sort(t: Table, *criteria: dict[str, str], **extra: object) -> list[str]:
    result = run_node("sorter", {"sorting_criteria": list(criteria), **extra}, t)
    assert result.specs[0] == result[1].spec
    return result[1].row_ids


def test_sorter_numbers_missing_and_stability() -> None:
    t = mixed()
    # missing is the smallest value; -0.0 < 3.0; ties (a, d) keep their input order
    assert sort(t, {"column": "x"}) == ["b", "e", "c", "a", "d"]
    assert sort(t, {"column": "x", "sorting_order": "DESCENDING"}) == ["a", "d", "c", "e", "b"]
    assert sort(t, {"column": "x"}, missing_to_end=True) == ["e", "c", "a", "d", "b"]
    assert sort(t, {"column": "x", "sorting_order": "DESCENDING"}, missing_to_end=True) == [
        "a",
        "d",
        "c",
        "e",
        "b",
    ]
    assert sort(t, {"column": "k", "sorting_order": "DESCENDING"}, {"column": "x"}) == [
        "a",
        "d",
        "b",
        "e",
        "c",
    ]
    out = run_node("sorter", {"sorting_criteria": [{"column": "x"}]}, t)[1]
    assert out.types == t.types and out.df.loc["a", "name"] == "Row10"  # whole rows move


def test_sorter_strings_and_row_ids() -> None:
    t = mixed()
    assert sort(t, {"column": "name"}) == ["c", "b", "e", "a", "d"]  # natural: Row2 < Row10 < row1
    assert sort(t, {"column": "name", "string_comparison": "LEXICOGRAPHIC"}) == ["c", "a", "b", "e", "d"]
    ids = Table(pd.DataFrame({"v": [1, 2, 3]}, index=pd.Index(["Row10", "Row9", "Row1"], dtype=object)))
    assert sort(ids, {"column": "<RowID>"}) == ["Row1", "Row9", "Row10"]
    assert sort(
        ids, {"column": "<ROW_ID>", "sorting_order": "DESCENDING", "string_comparison": "LEXICOGRAPHIC"}
    ) == ["Row9", "Row10", "Row1"]
    assert alphanumeric_compare("a01", "a1") > 0 and alphanumeric_compare("a1", "a1b") < 0
    assert alphanumeric_compare("", "x") < 0 and alphanumeric_compare("2x", "10x") < 0
    assert alphanumeric_compare("B", "a") < 0  # character codes: upper case first


def test_sorter_errors_and_empty() -> None:
    t = mixed()
    with pytest.raises(ConfigureError, match="'nope' not found") as err:
        configure_node("sorter", {"sorting_criteria": [{"column": "nope"}]}, t.spec)
    assert err.value.setting == "sorting_criteria"
    with pytest.raises(ConfigureError, match="no column to sort by"):
        configure_node("sorter", {}, t.spec)
    empty = Table(t.df.iloc[:0], t.types)
    assert run_node("sorter", {"sorting_criteria": [{"column": "name"}]}, empty)[1].shape == (0, 3)


def test_sorter_10_02_result_table() -> None:
    """The Sorter of 10_02: R^2 descending puts alpha = 1e-4 first (0.836212 > 0.834401 > ...)."""
    r2 = [0.834401, 0.836212, 0.804050, 0.583641, 0.340920, -0.030654]
    alpha = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    t = Table.from_frame(pd.DataFrame({"R^2": r2, "alpha": alpha}))
    out = run_node("sorter", {"sorting_criteria": [{"column": "R^2", "sorting_order": "DESCENDING"}]}, t)[1]
    assert out.row_ids == ["Row1", "Row0", "Row2", "Row3", "Row4", "Row5"] and out.df["alpha"].iloc[0] == 1e-4


# -------------------------------------------------------------------------------- Table Transposer


def test_transposer_scores_table() -> None:
    names = [
        "R^2",
        "mean absolute error",
        "mean squared error",
        "root mean squared error",
        "mean signed difference",
        "mean absolute percentage error",
        "adjusted R^2",
    ]
    scores = Table(pd.DataFrame({"dE_pred": np.arange(7) / 10}, index=pd.Index(names, dtype=object)))
    result = run_node("table_transposer", {}, scores)
    out = result[1]
    assert result.specs == [UNKNOWN]
    assert out.shape == (1, 7) and out.row_ids == ["dE_pred"] and out.columns == names
    assert set(out.types.values()) == {ColumnType.DOUBLE} and out.df.loc["dE_pred", "adjusted R^2"] == 0.6


def test_transposer_types() -> None:
    t = mixed()
    out = run_node("table_transposer", {}, t)[1]
    assert out.row_ids == ["name", "x", "k"] and out.columns == ["a", "b", "c", "d", "e"]
    # per new column: String + Double + Integer cells -> String, numbers printed like KNIME
    assert out.types["a"] == ColumnType.STRING and out.df["a"].tolist() == ["Row10", "3.0", "2"]
    # row c has only a Double cell (the others are missing): a Double column
    assert out.types["c"] == ColumnType.DOUBLE and out.df["c"].isna().tolist() == [True, False, True]
    assert common_type(["Integer", "Double"]) == "Double" and common_type(["Integer", "Long"]) == "Long"
    assert common_type([]) == "String" and common_type(["Integer"]) == "Integer"
    ints = Table(
        pd.DataFrame({"p": [1, 2], "q": [3, 4]}, index=pd.Index([" r1 ", "r2"], dtype=object)),
        {"p": "Integer", "q": "Integer"},
    )
    back = run_node("table_transposer", {}, ints)[1]
    assert back.columns == ["r1", "r2"] and back.types == {"r1": "Integer", "r2": "Integer"}
    assert back.df["r1"].tolist() == [1, 3]
    empty = run_node("table_transposer", {}, Table(t.df.iloc[:0], t.types))[1]
    assert empty.shape == (3, 0) and empty.row_ids == ["name", "x", "k"]


# --------------------------------------------------------------------------------------- Normalizer


def z_settings(
    included: list[str], unknown: bool = True, excluded: tuple[str, ...] = ("dE",)
) -> dict[str, object]:
    return {
        "mode": "Z_SCORE",
        "data_column_filter_config": {
            "included_names": included,
            "excluded_names": list(excluded),
            "enforce_option": "EnforceExclusion" if unknown else "EnforceInclusion",
        },
    }


def test_normalizer_z_score_10_02() -> None:
    t = zb_table()
    result = run_node("normalizer", z_settings(ZB_FEATURES), t)
    out, model = result[1], result[2]
    assert isinstance(model, Model) and model.summary == "Z-Score (Gaussian) normalization on 18 column(s)"
    assert out.shape == (82, 21) and result.specs[0] == out.spec
    assert out.types["ZA"] == ColumnType.DOUBLE and out.df["ZA"].dtype == np.float64  # Integer -> Double
    assert out.types["A"] == ColumnType.STRING and out.df["dE"].equals(t.df["dE"])
    for c in ZB_FEATURES:
        x = t.df[c].astype(float)
        expected = (x - x.mean()) / x.std(ddof=1)  # the sample standard deviation, n - 1
        assert np.allclose(out.df[c], expected, rtol=0, atol=1e-13)
    assert out.columns == t.columns and out.row_ids == t.row_ids


def test_normalizer_reproduces_10_03_exactly() -> None:
    """Z-score with Commons Math's incremental moments, KNIME's partition and Lasso(alpha=1e-4) give
    the R^2 KNIME recorded in 10_03 to all 16 digits, and its MAE to the last bit or one ulp from it."""
    sklearn = pytest.importorskip("sklearn.linear_model")
    t = zb_table()
    df = t.df.copy()
    df["desp1"] = np.abs(df["IP_B"] - df["EA_B"]) / df["rp_A"] ** 2
    df["desp2"] = np.abs(df["rs_A"] - df["rp_B"]) / np.exp(df["rs_A"])
    df["desp3"] = np.abs(df["rp_B"] - df["rs_B"]) / np.exp(df["rd_A"])
    result = run_node("normalizer", z_settings(ZB_FEATURES), t.with_frame(df))
    assert result[2].summary == "Z-Score (Gaussian) normalization on 21 column(s)"  # includeUnknownColumns
    train, test = run_node("table_partitioner", {"seed": 1678807467440}, result[1]).outputs
    features = ["desp1", "desp2", "desp3"]
    lasso = sklearn.Lasso(alpha=1e-4, fit_intercept=True, max_iter=1000).fit(
        train.df[features], train.df["dE"]
    )
    y, pred = test.df["dE"].to_numpy(), lasso.predict(test.df[features])
    r2 = 1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert r2 == 0.9786673179225764
    # the mean of 25 absolute errors sums in an order that follows the CPU's SIMD width: 1 ulp apart
    assert np.abs(y - pred).mean() == pytest.approx(0.06744671257250884, rel=4e-16)


def test_normalizer_selection_missing_and_constant_columns() -> None:
    df = pd.DataFrame(
        {
            "a": [1.0, 2.0, np.nan, 4.0],
            "c": [5.0, 5.0, 5.0, 5.0],
            "m": [np.nan] * 4,
            "s": ["x", "y", "z", "w"],
            "i": pd.array([1, 2, 3, None], dtype="Int64"),
        }
    )
    t = Table.from_frame(df, {"i": "Integer"})
    result = run_node("normalizer", z_settings([], excluded=()), t)
    out = result[1]
    # only numeric columns qualify; the all-missing column is skipped and not counted
    assert result[2].summary == "Z-Score (Gaussian) normalization on 3 column(s)"
    assert result[2].payload.names == ("a", "c", "i")
    assert out.df["c"].tolist() == [0.0] * 4  # sd = 0: only centred
    assert np.isnan(out.df["a"].iloc[2]) and np.isnan(out.df["i"].iloc[3])  # missing stays missing
    assert np.allclose(out.df["a"].dropna(), (np.array([1, 2, 4]) - 7 / 3) / np.std([1, 2, 4], ddof=1))
    assert out.types == {"a": "Double", "c": "Double", "m": "Double", "s": "String", "i": "Double"}
    assert result.specs[0] == out.spec
    # EnforceInclusion: only the listed columns
    only = run_node("normalizer", z_settings(["a", "s"], unknown=False), t)
    assert only[2].summary.endswith("on 1 column(s)") and only[1].types["i"] == "Integer"
    none = run_node("normalizer", z_settings(["s"], unknown=False), t)
    assert none[1].df.equals(t.df) and none[2].summary.endswith("on 0 column(s)")


def test_normalizer_min_max_and_decimal_scaling() -> None:
    df = pd.DataFrame({"a": [0.1, 0.2, 0.7], "b": [-250.0, 3.0, 12.0], "k": [1, 5, 3]})
    t = Table.from_frame(df)
    mm = run_node("normalizer", {"mode": "MINMAX"}, t)
    assert mm[2].summary == "Min/Max (0.0, 1.0) normalization on 3 column(s)"
    assert mm[1].df["a"].tolist()[0] == 0.0 and mm[1].df["a"].tolist()[2] == 1.0
    assert mm[1].df["k"].tolist() == [0.0, 1.0, 0.5]
    custom = run_node("normalizer", {"mode": "MINMAX", "new_min": -1.0, "new_max": 1.0}, t)[1]
    # y = scale * x + translation as KNIME computes it: the maximum may land a rounding step below 1
    assert custom.df["b"].min() == -1.0 and custom.df["b"].max() == pytest.approx(1.0, abs=1e-15)
    ds = run_node("normalizer", {"mode": "DECIMALSCALING"}, t)
    assert ds[2].summary == "Decimal Scaling normalization on 3 column(s)"
    assert ds[1].df["b"].tolist() == pytest.approx([-0.25, 0.003, 0.012])
    assert ds[1].df["a"].tolist() == [0.1, 0.2, 0.7]
    with pytest.raises(ConfigureError, match="new_min"):
        configure_node("normalizer", {"mode": "MINMAX", "new_min": 2.0, "new_max": 1.0}, t.spec)
    with pytest.raises(NodeError, match="infinite"):
        run_node(
            "normalizer", {"mode": "DECIMALSCALING"}, Table.from_frame(pd.DataFrame({"a": [1.0, np.inf]}))
        )


def test_normalizer_apply() -> None:
    train = Table.from_frame(pd.DataFrame({"a": [1.0, 2.0, 3.0], "k": [0, 10, 20], "s": ["x", "y", "z"]}))
    model = run_node("normalizer", {"mode": "MINMAX"}, train)[2]
    assert isinstance(model.payload, AffineTransform)
    assert model.spec.learning_columns == train.spec.select(["a", "k"])
    new = Table.from_frame(
        pd.DataFrame({"k": [5, 40], "a": [2.0, 0.0], "other": [1, 2]}), {"other": "Integer"}
    )
    result = run_node("normalizer_apply", {}, model, new)
    out = result[1]
    assert out.df["a"].tolist() == [0.5, -0.5]  # outside the training range: kept (a warning in KNIME)
    assert (
        out.df["k"].tolist() == [0.25, 2.0] and out.types["k"] == "Double" and out.types["other"] == "Integer"
    )
    assert result.specs[0] == out.spec
    partial = run_node("normalizer_apply", {}, model, Table.from_frame(pd.DataFrame({"a": [3.0]})))[1]
    assert partial.df["a"].tolist() == [1.0]
    with pytest.raises(ConfigureError, match="not numeric"):
        configure_node("normalizer_apply", {}, model, TableSpec.of([("a", "String")]))
    assert configure_node("normalizer_apply", {}, UNKNOWN, new.spec) == [UNKNOWN]


@pytest.mark.parametrize("mode", ["MINMAX", "Z_SCORE", "DECIMALSCALING"])
def test_denormalizer_undoes_the_normalizer(mode: str) -> None:
    train = Table.from_frame(pd.DataFrame({"a": [1.0, 2.0, 7.5], "k": [0, 10, 20], "s": ["x", "y", "z"]}))
    normalized, model = run_node("normalizer", {"mode": mode}, train).outputs
    back = run_node("denormalizer", {}, model, normalized)[1]
    np.testing.assert_allclose(back.df["a"], [1.0, 2.0, 7.5], rtol=1e-15)
    np.testing.assert_allclose(back.df["k"], [0, 10, 20], rtol=1e-15, atol=1e-12)
    assert back.df["s"].tolist() == ["x", "y", "z"] and back.types["k"] == "Double"


def test_reference_column_filter() -> None:
    table = Table.from_frame(pd.DataFrame({"a": [1], "b": [2.0], "c": ["x"]}))
    ref_table = Table.from_frame(pd.DataFrame({"c": ["q"], "a": [0.5], "z": [1]}))
    keep = run_node(
        "reference_column_filter", {"inexclude": "Include columns from reference table"}, table, ref_table
    )
    assert keep[1].columns == ["a", "c"]  # the first table's order
    drop = run_node("reference_column_filter", {}, table, ref_table)
    assert drop[1].columns == ["b"]
    strict = {"inexclude": "Include columns from reference table", "type_compatibility": True}
    # KNIME keeps a column only if its type is a super type of the reference column's: Integer a is not
    # a super type of the reference's Double a, but Double b is one of the Integer b below
    assert run_node("reference_column_filter", strict, table, ref_table)[1].columns == ["c"]
    integer_b = Table.from_frame(pd.DataFrame({"b": [1]}))
    assert run_node("reference_column_filter", strict, table, integer_b)[1].columns == ["b"]
    narrow = Table.from_frame(pd.DataFrame({"a": ["text"]}))
    assert run_node("reference_column_filter", strict, table, narrow)[1].columns == []


def test_normalizer_model_port_type() -> None:
    assert PortType.all()["model.normalizer"] is NORMALIZER_MODEL
    assert PortType.MODEL.accepts(NORMALIZER_MODEL)  # type: ignore[attr-defined]
    assert not NORMALIZER_MODEL.accepts(PortType.MODEL)  # type: ignore[attr-defined]


def test_commons_math_moments() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(200, 3))
    x[5, 1] = np.nan
    n, mean, var = commons_math_moments(x)
    assert n.tolist() == [200, 199, 200]
    assert np.allclose(mean, np.nanmean(x, axis=0), rtol=1e-14)
    assert np.allclose(var, np.nanvar(x, axis=0, ddof=1), rtol=1e-12)
    one = commons_math_moments(np.array([[2.0, np.nan]]))
    assert one[1][0] == 2.0 and one[2][0] == 0.0 and np.isnan(one[1][1])


def test_reference_column_filter_and_denormalizer_import(tmp_path: Path) -> None:
    from test_knime_import import findings, import_fragment

    model = {"type_compatibility": True, "inexclude": "Include columns from reference table"}
    ref = "org.knime.base.node.preproc.filter.columnref.ColumnFilterRefNodeFactory"
    node, report, _ = import_fragment(tmp_path, ref, model)
    assert node.type == "reference_column_filter" and findings(report) == []
    assert node.settings == model
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.preproc.normalize.NormalizerDeNodeFactory", {}
    )
    assert node.type == "denormalizer" and findings(report) == []
