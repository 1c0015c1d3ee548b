"""Auto-Binner: equal-width, equal-frequency and quantile bins, KNIME's bin names and number
formats, its missing-value failure, the binning model, and the autobinner2/3 mappings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, Model, NodeError
from engine.core.testing import run_node
from nodes.auto_binner import AutoBinnerSettings, _advanced_format, _plain_format

FACTORY_V3 = "org.knime.base.node.preproc.autobinner3.AutoBinnerLearnNodeFactory"
FACTORY_V2 = "org.knime.base.node.preproc.autobinner2.AutoBinnerLearnNodeFactory"
DF = pd.DataFrame({"x": [0.0, 10.0, 2.0, 7.5, None], "n": [10, 20, 30, 40, 50], "s": list("abcde")})


def binned(settings: dict, df: pd.DataFrame = DF, column: str = "x [Binned]") -> list[object]:
    return run_node("auto_binner", settings, df)[1].df[column].tolist()


def test_equal_width_bins_with_borders_and_integer_bounds() -> None:
    # range 0..10 in 4 bins: 0, 2.5, 5, 7.5, 10; [0,2.5] then (2.5,5], (5,7.5], (7.5,10]
    out = binned({"column_filter": ["x"], "binCount": 4, "binNaming": "edges"})
    assert out == ["[0,2.5]", "(7.5,10]", "[0,2.5]", "(5,7.5]", None]
    # integer bounds: first floored, the others ceiled -> 0, 3, 5, 8, 10
    out = binned({"column_filter": ["x"], "binCount": 4, "binNaming": "edges", "integerBounds": True})
    assert out == ["[0,3]", "(8,10]", "[0,3]", "(5,8]", None]


def test_all_numeric_columns_are_binned_by_default_and_appended_in_order() -> None:
    run = run_node("auto_binner", {"binCount": 2}, DF)
    out = run[1]
    assert out.columns == ["x", "n", "s", "x [Binned]", "n [Binned]"]
    assert out.df["n [Binned]"].tolist() == ["Bin 1", "Bin 1", "Bin 1", "Bin 2", "Bin 2"]  # border 30
    assert out.spec.get("n [Binned]").type == ColumnType.STRING
    assert run.specs[0].names == out.columns
    model = run[2]
    assert isinstance(model, Model) and model.summary == "Discretized columns : [x [Binned], n [Binned]]"
    assert dict(run.specs[1].details["columns"]) == {"x [Binned]": "x", "n [Binned]": "n"}


def test_sample_quantiles_follow_r7() -> None:
    df = pd.DataFrame({"v": [40.0, 10.0, 30.0, 20.0, 25.0]})
    quantiles = [0.0, 0.5, 1.0]
    edges = np.quantile(df["v"], quantiles)  # 10, 25, 40
    assert edges.tolist() == [10.0, 25.0, 40.0]
    settings = {"method": "sampleQuantiles", "sampleQuantiles": quantiles, "replaceColumn": True}
    assert binned(settings, df, "v") == ["Bin 2", "Bin 1", "Bin 2", "Bin 1", "Bin 1"]  # 25 is in [10,25]
    midpoints = binned({**settings, "binNaming": "midpoints"}, df, "v")
    assert midpoints == ["32.5", "17.5", "32.5", "17.5", "17.5"]


def test_quantiles_fail_on_missing_values_naming_the_row() -> None:
    with pytest.raises(NodeError, match=r'quantile calculation \(error in row "Row0"\)'):
        run_node("auto_binner", {"column_filter": ["x"], "method": "sampleQuantiles"}, DF)


def test_equal_frequency_moves_borders_off_runs_of_equal_values() -> None:
    df = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0, 5.0]})
    # 5 values in 2 bins: round(2.5) = 3 per bin; the border 3 stays at 3 -> [1,3], (3,5]
    out = binned({"equalityMethod": "frequency", "binCount": 2, "binNaming": "edges"}, df, "v [Binned]")
    assert out == ["[1,3]", "[1,3]", "[1,3]", "(3,5]", "(3,5]"]
    runs = pd.DataFrame({"v": [1.0, 2.0, 2.0, 2.0, 3.0, 4.0]})
    # 2 per bin in 3 bins: the first border (2, inside the run of 2s) moves to the nearer end of the
    # run, down to 1; the second lands after the run, at 2 -> [1,1], (1,2], (2,4]
    out = binned({"equalityMethod": "frequency", "binCount": 3, "binNaming": "edges"}, runs, "v [Binned]")
    assert out == ["[1,1]", "(1,2]", "(1,2]", "(1,2]", "(2,4]", "(2,4]"]


def test_number_formats_of_bin_names() -> None:
    assert _plain_format(1234.5678) == "1,234.568"
    assert _plain_format(0.00005) == "5.00E-5"
    assert _plain_format(-0.0001) == "-0"  # rounds to zero, keeps Java's sign
    assert _plain_format(2.0) == "2" and _plain_format(-0.0) == "0"
    decimal = AutoBinnerSettings(advancedFormatting=True)
    assert _advanced_format(2 / 3, decimal) == "0.667"
    significant = AutoBinnerSettings(advancedFormatting=True, precisionMode="Significant", precision=2)
    assert _advanced_format(1234.5, significant) == "1.2E+3"
    assert _advanced_format(1234.5, significant.model_copy(update={"outputFormat": "Plain"})) == "1200"
    with pytest.raises(NodeError, match="Rounding necessary"):
        _advanced_format(0.1, AutoBinnerSettings(advancedFormatting=True, roundingMode="UNNECESSARY"))


def test_missing_columns_fail_at_configure() -> None:
    with pytest.raises(ConfigureError, match="is missing in the input table"):
        run_node("auto_binner", {"column_filter": ["nope"]}, DF)
    chosen = {"included_names": ["x", "gone"], "enforce_option": "EnforceInclusion"}
    with pytest.raises(ConfigureError, match='following selected column\\(s\\): "gone"'):
        run_node("auto_binner", {"column_filter": chosen}, DF)


COMMON = {
    "method": "sampleQuantiles",
    "binCount": 5,
    "equalityMethod": "width",
    "integerBounds": False,
    "sampleQuantiles": [0.0, 0.75, 1.0],
    "binNaming": "numbered",
    "replaceColumn": False,
    "advancedFormatting": False,
    "outputFormat": "Standard",
    "precision": 3,
    "precisionMode": "Decimal",
    "roundingMode": "HALF_UP",
}


def test_imports_autobinner2(tmp_path: Path) -> None:
    node, report, _ = import_fragment(
        tmp_path, FACTORY_V2, {"targetColumn": ["n"], **COMMON, "includeAll": False}
    )
    assert node.type == "auto_binner" and findings(report) == []
    assert node.settings["column_filter"] == ["n"] and node.settings["sampleQuantiles"] == [0.0, 0.75, 1.0]
    # n = 10..50: the 0.75 quantile is 40 -> [10,40] Bin 1, (40,50] Bin 2
    assert binned(node.settings, DF, "n [Binned]") == ["Bin 1", "Bin 1", "Bin 1", "Bin 1", "Bin 2"]
    node, report, _ = import_fragment(
        tmp_path, FACTORY_V2, {"targetColumn": ["n"], **COMMON, "includeAll": True}
    )
    assert node.settings["column_filter"] == {} and findings(report) == []


def test_imports_autobinner3_and_its_camel_cased_enumerations(tmp_path: Path) -> None:
    model = {
        "column-filter": {
            "filter-type": "STANDARD",
            "included_names": ["x"],
            "excluded_names": ["n"],
            "enforce_option": "EnforceInclusion",
        },
        **COMMON,
        "method": "fixedNumber",
        "outputFormat": "standard",
        "precisionMode": "significant",
    }
    node, report, _ = import_fragment(tmp_path, FACTORY_V3, model)
    assert node.type == "auto_binner" and findings(report) == []
    assert node.settings["outputFormat"] == "Standard" and node.settings["precisionMode"] == "Significant"
    assert run_node("auto_binner", node.settings, DF)[1].columns == ["x", "n", "s", "x [Binned]"]
    _, report, _ = import_fragment(tmp_path, FACTORY_V3, {**model, "fixedLowerBound": 1.0})
    assert any("fixedLowerBound" in f for f in findings(report))
