"""Category To Number: KNIME's first-appearance numbering, its options and its mapping."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, NodeError
from engine.core.testing import run_node

DF = pd.DataFrame({"class": ["b", "a", None, "b", "c"], "x": [1.0, 2.0, 3.0, 4.0, 5.0]})
FACTORY = "org.knime.base.node.preproc.colconvert.categorytonumber2.CategoryToNumberNodeFactory2"


def include(*names: str) -> dict:
    return {"included_names": list(names), "enforce_option": "EnforceInclusion"}


def test_categories_numbered_by_first_appearance() -> None:
    out = run_node("category_to_number", {"column_filter": include("class")}, DF)[1]
    assert out.df["class"].tolist()[:2] == [0, 1] and pd.isna(out.df["class"].iloc[2])
    assert out.df["class"].tolist()[3:] == [0, 2] and out.types["class"] == "Integer"


def test_appended_columns_start_and_increment() -> None:
    settings = {"column_filter": include("class"), "append_columns": True, "start_index": 10, "increment": 5}
    out = run_node("category_to_number", settings, DF.dropna())[1]
    assert out.columns == ["class", "x", "class (to number)"]
    assert out.df["class (to number)"].tolist() == [10, 15, 10, 20] and out.df["class"].tolist()[0] == "b"


def test_category_limits_and_selection() -> None:
    with pytest.raises(NodeError, match="Maximum number of categories"):
        run_node("category_to_number", {"column_filter": include("class"), "max_categories": 2}, DF)
    with pytest.raises(ConfigureError, match="No String columns"):
        run_node("category_to_number", {"column_filter": include("x")}, DF)


def test_category_to_number_imports(tmp_path: Path) -> None:
    missing = {"datacell": "org.knime.core.data.MissingCell", "org.knime.core.data.MissingCell": {}}
    model = {
        "column-filter": {
            "filter-type": "STANDARD",
            "included_names": {"array-size": 1, "0": "class"},
            "excluded_names": {"array-size": 0},
            "enforce_option": "EnforceExclusion",
        },
        "append_columns": False,
        "column_suffix": "",
        "start_index": 0,
        "increment": 1,
        "max_categories": 100,
        "default_value": missing,
        "map_missing_to": missing,
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, model)
    assert node.type == "category_to_number" and findings(report) == []
    assert run_node("category_to_number", node.settings, DF)[1].df["class"].tolist()[:2] == [0, 1]
