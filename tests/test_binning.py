"""Numeric Binner: interval ends at exact boundaries, replace vs append (and KNIME's HashMap order of
appended columns), missing cells, configure errors, and the KNIME mapping of both factories."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import bindings, findings, import_fragment

from engine.api import ConfigureError
from engine.core.testing import run_node

FACTORY = "org.knime.base.node.preproc.binner.BinnerNodeFactory"
PMML_FACTORY = "org.knime.base.node.preproc.pmml.binner.BinnerNodeFactory"
INF = math.inf


def bin_(name: str, left: float, right: float, left_open: bool, right_open: bool) -> dict:
    return {
        "bin_name": name,
        "left_open": left_open,
        "left_value": left,
        "right_open": right_open,
        "right_value": right,
    }


# (-inf, 0) [0, 10) (10, 20] (20, inf): 10 falls between B and C, the infinities in no bin
GAP_BINS = [
    bin_("A", -INF, 0.0, True, True),
    bin_("B", 0.0, 10.0, False, True),
    bin_("C", 10.0, 20.0, True, False),
    bin_("D", 20.0, INF, True, True),
]


def binned(values: object, bins: list[dict], appended: str | None = None) -> pd.DataFrame:
    df = pd.DataFrame({"x": values})
    df["k"] = range(len(df))
    settings = {"binned_columns": [{"column": "x", "bins": bins, "is_appended": appended}]}
    return run_node("numeric_binner", settings, df)[1].df


def test_open_and_closed_ends_at_exact_boundaries() -> None:
    values = [-1.0, 0.0, 9.99, 10.0, 15.0, 20.0, 20.5, -INF, INF, np.nan, None]
    out = binned(values, GAP_BINS)
    expected = ["A", "B", "B", None, "C", "C", "D", None, None, None, None]
    assert out["x"].tolist() == expected
    closed = [bin_("lo", -INF, 5.0, True, False), bin_("hi", 5.0, INF, False, True)]
    assert binned([5.0, 4.0, 6.0], closed)["x"].tolist() == ["lo", "lo", "hi"]  # the first bin wins


def test_integer_and_boolean_columns_with_missing_cells() -> None:
    ints = pd.array([0, 10, None, 25], dtype="Int64")
    assert binned(ints, GAP_BINS)["x"].tolist() == ["B", None, None, "D"]
    flags = [bin_("no", -INF, 0.5, True, True), bin_("yes", 0.5, INF, False, True)]
    assert binned([True, False], flags)["x"].tolist() == ["yes", "no"]  # a BooleanCell is 1 or 0


def test_replace_keeps_the_position_and_append_adds_a_string_column() -> None:
    run = run_node(
        "numeric_binner",
        {"binned_columns": [{"column": "x", "bins": GAP_BINS}]},
        pd.DataFrame({"x": [1.0, 30.0], "k": [1, 2]}),
    )
    assert run[1].columns == ["x", "k"] and run[1].types["x"] == "String"
    assert run.specs[0].to_json() == [{"name": "x", "type": "String"}, {"name": "k", "type": "Long"}]
    out = binned([1.0, 30.0], GAP_BINS, appended="x_bin")
    assert list(out.columns) == ["x", "k", "x_bin"]
    assert out["x"].tolist() == [1.0, 30.0] and out["x_bin"].tolist() == ["B", "D"]


def test_appended_columns_follow_javas_hash_map_order() -> None:
    # String.hashCode: "c" = 99 (bucket 3), "BB" = "Aa" = 2112 (bucket 0, kept in arrival order)
    df = pd.DataFrame({"c": [1.0], "BB": [2.0], "Aa": [3.0]})
    entries = [{"column": c, "bins": GAP_BINS, "is_appended": f"{c}_bin"} for c in ["c", "BB", "Aa"]]
    out = run_node("numeric_binner", {"binned_columns": entries}, df)[1]
    assert out.columns == ["c", "BB", "Aa", "BB_bin", "Aa_bin", "c_bin"]
    assert out.df.iloc[0, 3:].tolist() == ["B", "B", "B"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"column": "nope", "bins": GAP_BINS}, 'Binner: column "nope" not found in spec.'),
        ({"column": "s", "bins": GAP_BINS}, 'Binner: column "s" not compatible with double-type.'),
        (
            {"column": "x", "bins": GAP_BINS, "is_appended": "s"},
            'Binner: duplicate appended column "s" in spec.',
        ),
        (
            {"column": "x", "bins": [bin_("B", 0.0, 10.0, False, False)]},
            "x: B check interval: left=0.0,oldright=-Infinity\nx: check last right interval value=10.0",
        ),
        (
            {"column": "x", "bins": [bin_("P", -INF, -INF, True, False), bin_("Q", -INF, INF, True, True)]},
            "x: P check borders: left=-Infinity,right=-Infinity",
        ),
    ],
)
def test_configure_errors(entry: dict, message: str) -> None:
    df = pd.DataFrame({"x": [1.0], "s": ["a"]})
    with pytest.raises(ConfigureError) as caught:
        run_node("numeric_binner", {"binned_columns": [entry]}, df)
    assert str(caught.value) == message and caught.value.setting == "binned_columns"


def test_warnings() -> None:
    df = pd.DataFrame({"x": [1.0]})
    assert run_node("numeric_binner", {}, df).warnings == ["No column select for binning."]
    twice = [bin_("A", -INF, 0.0, True, True), bin_("A", 0.0, INF, False, True)]
    run = run_node("numeric_binner", {"binned_columns": [{"column": "x", "bins": twice}]}, df)
    assert run.warnings == ['Bin name "A" is used for different intervals.']


def knime_bin(name: str, left: float, right: float, left_open: bool, right_open: bool) -> dict:
    """A bin config in the key order of the 4.7 workflow (Numeric Binner (#280))."""
    return {
        "left_open": left_open,
        "right_value": right,
        "right_open": right_open,
        "left_value": left,
        "bin_name": name,
    }


STEP_BINS = {
    "Bin1_0": knime_bin("Bin1", -INF, 0.0, True, True),
    "Bin5_1": knime_bin("Bin5", 0.0, 293.0, False, False),
    "Bin4_2": knime_bin("Bin4", 293.0, 489.0, True, False),
    "Bin3_3": knime_bin("Bin3", 489.0, 512.0, True, False),
    "Bin2_4": knime_bin("Bin2", 512.0, INF, True, True),
}


def test_imports_the_replacing_layout(tmp_path: Path) -> None:
    model = {"step": STEP_BINS, "binned_columns": ["step"], "step_is_appended": None}
    node, report, _ = import_fragment(tmp_path, FACTORY, model)
    assert node.type == "numeric_binner" and findings(report) == []
    [entry] = node.settings["binned_columns"]
    assert entry["column"] == "step" and entry["is_appended"] is None
    assert [b["bin_name"] for b in entry["bins"]] == ["Bin1", "Bin5", "Bin4", "Bin3", "Bin2"]
    df = pd.DataFrame({"step": [-3, 0, 293, 294, 512, 513]})
    out = run_node("numeric_binner", node.settings, df)[1].df
    assert out["step"].tolist() == ["Bin1", "Bin5", "Bin5", "Bin4", "Bin3", "Bin2"]


def test_imports_the_appending_pmml_layout(tmp_path: Path) -> None:
    bins = {
        "Bin1_0": {
            "bin_name": "Bin1",
            "left_open": True,
            "left_value": -INF,
            "right_open": True,
            "right_value": 1.5,
        },
        "Bin2_1": {
            "bin_name": "Bin2",
            "left_open": False,
            "left_value": 1.5,
            "right_open": True,
            "right_value": INF,
        },
    }
    model = {
        "median_income": bins,
        "median_income_is_appended": "median_income_binned",
        "binned_columns": ["median_income"],
    }
    node, report, _ = import_fragment(tmp_path, PMML_FACTORY, model)
    assert node.type == "numeric_binner" and findings(report) == []
    out = run_node("numeric_binner", node.settings, pd.DataFrame({"median_income": [1.5, 1.49]}))[1].df
    assert out["median_income_binned"].tolist() == ["Bin2", "Bin1"]


def test_unloadable_bins_and_bindings_are_findings(tmp_path: Path) -> None:
    # the bins out of chain order (as in Numeric Binner (#278)): KNIME's validateSettings refuses them
    scrambled = {"Bin2_4": STEP_BINS["Bin2_4"], **{k: v for k, v in STEP_BINS.items() if k != "Bin2_4"}}
    model = {"step": scrambled, "binned_columns": ["step"], "step_is_appended": None}
    _, report, _ = import_fragment(tmp_path, FACTORY, model)
    assert any("Bin2 check interval: left=512.0,oldright=-Infinity" in f for f in findings(report))
    ok = {"step": STEP_BINS, "binned_columns": ["step"], "step_is_appended": None, "extra": 1}
    bound = bindings(**{"step.Bin5_1.right_value": {"used": "limit"}})
    _, report, _ = import_fragment(tmp_path, FACTORY, ok, bound)
    assert any("extra" in f for f in findings(report))
    assert any("step.Bin5_1.right_value" in f for f in findings(report))
    broken = {"step": {"Bin1_0": {"bin_name": "Bin1"}}, "binned_columns": ["step"]}
    node, report, _ = import_fragment(tmp_path, FACTORY, broken)
    assert node.type != "numeric_binner" and findings(report)
