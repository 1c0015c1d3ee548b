"""Category To Number's mapping (port 2) and the two Apply nodes that use it on other data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, Table
from engine.core.testing import run_node

CATEGORY_TO_NUMBER_APPLY = (
    "org.knime.base.node.preproc.colconvert.categorytonumber.CategoryToNumberApplyNodeFactory"
)
NUMBER_TO_CATEGORY_APPLY = (
    "org.knime.base.node.preproc.colconvert.numbertocategory.NumberToCategoryApplyNodeFactory"
)
ALL_STRINGS = {"included_names": ["sex"], "enforce_option": "EnforceInclusion"}


def people(sexes: list[str | None]) -> Table:
    frame = pd.DataFrame(
        {"sex": sexes, "age": list(range(len(sexes)))}, index=[f"r{i}" for i in range(len(sexes))]
    )
    return Table.from_frame(frame)


def encoded(append: bool) -> tuple[Table, object]:
    settings = {"column_filter": ALL_STRINGS, "append_columns": append, "start_index": 10, "increment": 5}
    result = run_node("category_to_number", settings, people(["m", "f", "m", None]))
    return result[1], result[2]


def test_category_to_number_hands_out_its_mapping() -> None:
    table, model = encoded(append=False)
    assert table.df["sex"].tolist()[:3] == [10, 15, 10] and pd.isna(table.df["sex"].iloc[3])
    column = model.payload.columns[0]
    assert (column.source, column.field, column.numbers) == ("sex", "sex", (("m", 10), ("f", 15)))


def test_apply_maps_new_data_and_back() -> None:
    _, model = encoded(append=True)
    applied = run_node("category_to_number_apply", {}, model, people(["f", "x", None, "m"]))
    assert applied[1] is model
    out = applied.df(2)
    assert out.columns.tolist() == ["sex", "age", "sex (to number)"]
    assert out["sex (to number)"].tolist()[0] == 15 and out["sex (to number)"].tolist()[3] == 10
    assert pd.isna(out["sex (to number)"].iloc[1]) and pd.isna(out["sex (to number)"].iloc[2])
    assert applied[2].types["sex (to number)"] == ColumnType.INTEGER
    # appended numbers are found under their own name when mapped back
    back = run_node("number_to_category_apply", {}, model, applied[2]).df(2)
    assert back["sex (to number) (to category)"].tolist() == ["f", None, None, "m"]


def test_number_to_category_replaces_a_replaced_column() -> None:
    table, model = encoded(append=False)
    result = run_node("number_to_category_apply", {"append_columns": False}, model, table)
    assert (
        result.df(2)["sex"].tolist() == ["m", "f", "m", None] and result[2].types["sex"] == ColumnType.STRING
    )


def test_columns_missing_or_of_another_type_are_skipped_with_a_warning() -> None:
    _, model = encoded(append=False)
    result = run_node("number_to_category_apply", {}, model, people(["m"]))  # "sex" is a String column here
    assert result.df(2).columns.tolist() == ["sex", "age"]
    assert any("not of type Integer" in w for w in result.warnings)
    result = run_node("category_to_number_apply", {}, model, Table.from_frame(pd.DataFrame({"x": ["a"]})))
    assert any("not in the input" in w for w in result.warnings)


def test_imports(tmp_path: Path) -> None:
    settings = {"append_columns": False, "column_suffix": " (to category)"}
    node, report, _ = import_fragment(tmp_path, NUMBER_TO_CATEGORY_APPLY, settings)
    assert node.type == "number_to_category_apply" and findings(report) == []
    assert node.settings == {"append_columns": False, "column_suffix": " (to category)"}
    node, report, _ = import_fragment(
        tmp_path, CATEGORY_TO_NUMBER_APPLY, {"append_columns": True, "column_suffix": " #"}
    )
    assert node.type == "category_to_number_apply" and findings(report) == []
