"""Duplicate Row Filter, Row Splitter, Reference Row Filter/Splitter, Equal Size Sampling and Rank,
compared with pandas (drop_duplicates, isin, rank) and KNIME's documented behaviour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import entry, findings, import_fragment

from engine.api import ColumnType, ConfigureError, Table, TableSpec
from engine.api.knime import KnimeSettings
from engine.core.testing import configure_node, run_node
from nodes._java_random import JavaRandom
from nodes.rank import Rank
from nodes.row_ops import DuplicateRowFilter, EqualSizeSampling, ReferenceRowFilter, exact_selection

ONLY_G = {"included_names": ["g"], "enforce_option": "EnforceInclusion"}


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"g": ["a", "b", "a", "c", "b", "a", None, None], "v": [3.0, 1.0, 2.0, 5.0, 1.0, 2.0, 7.0, np.nan]}
    )


@pytest.mark.parametrize("keep", ["first", "last"])
def test_duplicates_removed_like_pandas(keep: str) -> None:
    df = frame()
    out = run_node("duplicate_row_filter", {"group_cols": ONLY_G, "row_selection": keep.upper()}, df).df()
    expected = df.drop_duplicates(subset=["g"], keep=keep)  # pandas also treats NaN keys as equal
    assert list(out.index) == [f"Row{i}" for i in expected.index]


def test_duplicates_min_max_reference() -> None:
    df = frame()
    low = run_node(
        "duplicate_row_filter", {"group_cols": ONLY_G, "row_selection": "MINIMUM", "reference_col": "v"}, df
    ).df()
    # group a: 3.0, 2.0, 2.0 -> first minimum (Row2); group None: 7.0, missing -> 7.0 (missing never preferred)
    assert list(low.index) == ["Row1", "Row2", "Row3", "Row6"]
    high = run_node(
        "duplicate_row_filter", {"group_cols": ONLY_G, "row_selection": "MAXIMUM", "reference_col": "v"}, df
    ).df()
    assert list(high.index) == ["Row0", "Row1", "Row3", "Row6"]


def test_duplicates_marked_with_knime_columns() -> None:
    df = frame()
    run = run_node(
        "duplicate_row_filter",
        {"group_cols": ONLY_G, "remove_duplicates": False, "add_row_id_flag": True},
        df,
    )
    out = run.df()
    assert list(out["duplicate-type-classifier"]) == [
        "chosen",
        "chosen",
        "duplicate",
        "unique",
        "duplicate",
        "duplicate",
        "chosen",
        "duplicate",
    ]
    assert list(out["duplicate-row-identifier"]) == [None, None, "Row0", None, "Row1", "Row0", None, "Row6"]
    assert run.specs[0] == run.outputs[0].spec
    assert run.specs[0].type_of("duplicate-row-identifier") == ColumnType.STRING


def test_row_splitter_is_row_filter_and_rest() -> None:
    df = pd.DataFrame({"x": [1, 5, 3, 8]})
    run = run_node("row_splitter", {"predicates": ["$x > 2"]}, df)
    assert list(run.df(1).index) == ["Row1", "Row2", "Row3"] and list(run.df(2).index) == ["Row0"]
    assert run.specs[0] == run.specs[1] == run.outputs[1].spec


def test_reference_filter_and_splitter_match_isin() -> None:
    data = pd.DataFrame({"k": ["a", "b", "c", None]})
    ref = pd.DataFrame({"key": ["c", "a", "z"]}, index=pd.Index(["b", "x", "y"], dtype=object))
    inc = run_node(
        "reference_row_filter", {"dataTableColumn": "k", "referenceTableColumn": "key"}, data, ref
    ).df()
    assert list(inc["k"]) == list(data["k"][data["k"].isin(ref["key"])])
    exc = run_node(
        "reference_row_filter",
        {"dataTableColumn": "k", "referenceTableColumn": "key", "inexclude": "EXCLUDE"},
        data,
        ref,
    ).df()
    assert list(exc.index) == ["Row1", "Row3"]
    # a column against RowIDs: the text of the cells
    split = run_node("reference_row_splitter", {"dataTableColumn": "k"}, data, ref)
    assert list(split.df(1)["k"]) == ["b"] and len(split.df(2)) == 3
    with pytest.raises(ConfigureError):
        run_node("reference_row_filter", {"dataTableColumn": "nope"}, data, ref)


def test_reference_filter_different_types_compare_text() -> None:
    data = pd.DataFrame({"n": [1, 2, 3]})
    ref = pd.DataFrame({"s": ["2", "3.0"]})
    out = run_node(
        "reference_row_filter", {"dataTableColumn": "n", "referenceTableColumn": "s"}, data, ref
    ).df()
    assert list(out["n"]) == [2]


def test_equal_size_sampling_exact_counts_and_seed() -> None:
    df = pd.DataFrame({"c": ["x"] * 10 + ["y"] * 4 + ["z"] * 25})
    a = run_node("equal_size_sampling", {"classColumn": "c", "seed": 7}, df).df()
    b = run_node("equal_size_sampling", {"classColumn": "c", "seed": 7}, df).df()
    assert a["c"].value_counts().to_dict() == {"x": 4, "y": 4, "z": 4}
    assert list(a.index) == list(b.index)
    # the draws are KNIME's: per class, in first-appearance order, one java.util.Random
    rnd = JavaRandom(7)
    masks = [exact_selection(4, n, rnd) for n in (10, 4, 25)]
    expected = np.concatenate(masks)
    assert list(a.index) == [f"Row{i}" for i in np.flatnonzero(expected)]


def test_equal_size_sampling_approximate_uses_next_double() -> None:
    df = pd.DataFrame({"c": ["x", "y", "y", "x", "y", "y"]})
    out = run_node(
        "equal_size_sampling", {"classColumn": "c", "seed": 3, "samplingMethod": "Approximate"}, df
    ).df()
    rnd = JavaRandom(3)
    freq = {"x": 1.0, "y": 0.5}
    expected = [f"Row{i}" for i, c in enumerate(df["c"]) if rnd.nextDouble() < freq[c]]
    assert list(out.index) == expected
    with pytest.raises(ConfigureError):
        run_node("equal_size_sampling", {"classColumn": "n"}, pd.DataFrame({"n": [1.0]}))


def test_exact_selection_counts() -> None:
    for count, total in ((0, 5), (2, 5), (3, 5), (5, 5), (1, 100)):
        assert exact_selection(count, total, JavaRandom(1)).sum() == count


@pytest.mark.parametrize(("mode", "method"), [("STANDARD", "min"), ("DENSE", "dense"), ("ORDINAL", "first")])
def test_rank_matches_pandas(mode: str, method: str) -> None:
    df = pd.DataFrame({"g": ["a", "b", "a", "a", "b", "a"], "v": [3.0, 1.0, 2.0, 2.0, 1.0, 9.0]})
    run = run_node(
        "rank",
        {
            "sortingCriteria": [{"column": "v", "sortingOrder": "DESCENDING"}],
            "categoryColumns": ONLY_G,
            "rankMode": mode,
            "rowOrder": "INPUT_ORDER",
        },
        df,
    )
    out = run.df()
    expected = df.groupby("g")["v"].rank(method=method, ascending=False).astype(int)
    assert list(out["Rank"]) == list(expected)
    assert run.specs[0] == TableSpec.of(
        [("g", ColumnType.STRING), ("v", ColumnType.DOUBLE), ("Rank", ColumnType.LONG)]
    )
    assert run.outputs[0].spec == run.specs[0]


def test_rank_sorted_output_and_integer_type() -> None:
    df = pd.DataFrame({"v": [5, 1, 3]})
    run = run_node("rank", {"sortingCriteria": [{"column": "v"}], "rankDataType": "INTEGER"}, df)
    assert list(run.df().index) == ["Row1", "Row2", "Row0"] and list(run.df()["Rank"]) == [1, 2, 3]
    assert run.specs[0].type_of("Rank") == ColumnType.INTEGER
    with pytest.raises(ConfigureError):
        configure_node("rank", {"sortingCriteria": [{"column": "w"}]}, Table.from_frame(df).spec)


class _Report:
    node = None

    def __init__(self) -> None:
        self.lost: list[str] = []

    def setting(self, message: str) -> None:
        self.lost.append(message)

    def note(self, message: str) -> None:
        pass


def translate(cls: type, tree: dict) -> tuple[dict, list[str]]:
    report = _Report()
    settings, _, _ = cls.knime[0].apply(KnimeSettings(tree, {}, report))
    cls.Settings.model_validate(settings)
    return settings, report.lost


def test_translations() -> None:
    dup, lost = translate(
        DuplicateRowFilter,
        {
            "group_cols": {
                "filter-type": "STANDARD",
                "included_names": ["g"],
                "excluded_names": ["v"],
                "enforce_option": "EnforceInclusion",
            },
            "retain_order": True,
            "remove_duplicates": True,
            "add_row_duplicate_flag": True,
            "add_row_id_flag": False,
            "in_memory": False,
            "row_selection": "FIRST",
            "reference_col": None,
        },
    )
    assert dup["group_cols"]["included_names"] == ["g"] and not lost
    ref, lost = translate(
        ReferenceRowFilter,
        {
            "dataTableColumn": {"useRowID": False, "columnName": "k"},
            "referenceTableColumn": {"useRowID": True, "columnName": None},
            "inexclude": "Exclude rows from reference table",
        },
    )
    assert (
        ref == {"dataTableColumn": "k", "referenceTableColumn": "<RowID>", "inexclude": "EXCLUDE"}
        and not lost
    )
    ess, lost = translate(EqualSizeSampling, {"classColumn": "c", "seed": "1234", "samplingMethod": "Exact"})
    assert ess["seed"] == 1234 and not lost
    rank, lost = translate(
        Rank,
        {
            "RankingColumns": ["v", "w"],
            "RankOrder": ["Ascending", "Descending"],
            "GroupColumns": ["g"],
            "RankMode": "Dense",
            "RankOutFieldName": "rank",
            "RankAsLong": False,
            "RetainRowOrder": True,
        },
    )
    assert (
        rank["rankMode"] == "DENSE"
        and rank["rowOrder"] == "INPUT_ORDER"
        and rank["rankDataType"] == "INTEGER"
    )
    assert rank["sortingCriteria"][1] == {
        "column": "w",
        "sortingOrder": "DESCENDING",
        "stringComparison": "LEXICOGRAPHIC",
    }


def test_legacy_row_splitter_layout_is_a_finding() -> None:
    from nodes.row_ops import RowSplitter

    settings, lost = translate(RowSplitter, {"rowFilter": {"RowFilter_TypeID": "StringComp_RowFilter"}})
    assert lost and "predicates" not in settings
    assert any("placeholder" in m for m in lost)  # the importer keeps it as a placeholder


NUMERIC_ROW_SPLITTER = "org.knime.base.node.preproc.rowsplit.NumericRowSplitterNodeFactory"


@pytest.mark.parametrize(
    ("bounds", "inside"),
    [
        ({"lower_bound_defined": True, "lower_bound_value": 2.0}, ["Row1", "Row2", "Row4"]),
        ({"lower_bound_defined": True, "lower_bound": ">", "lower_bound_value": 2.0}, ["Row1", "Row4"]),
        ({"upper_bound_defined": True, "upper_bound": "<", "upper_bound_value": 5.0}, ["Row0", "Row2"]),
        (
            {"lower_bound_defined": True, "lower_bound_value": 2.0}
            | {"upper_bound_defined": True, "upper_bound_value": 5.0},
            ["Row1", "Row2"],
        ),
        ({}, ["Row0", "Row1", "Row2", "Row4"]),  # no bound: every non-missing value
    ],
)
def test_numeric_row_splitter_bounds(bounds: dict, inside: list[str]) -> None:
    df = pd.DataFrame({"x": [1.0, 5.0, 2.0, np.nan, 9.0], "s": list("abcde")})
    run = run_node("numeric_row_splitter", {"column_selection": "x", **bounds}, df)
    assert list(run.df(1).index) == inside
    assert list(run.df(2).index) == [r for r in df.index.map(lambda i: f"Row{i}") if r not in inside]


def test_numeric_row_splitter_checks_like_knime() -> None:
    df = pd.DataFrame({"x": [1, 2], "s": ["a", "b"]})
    with pytest.raises(ConfigureError, match="not numeric"):
        run_node("numeric_row_splitter", {"column_selection": "s"}, df)
    both = {"lower_bound_defined": True, "upper_bound_defined": True}
    with pytest.raises(ConfigureError, match="2.0 > 1.0"):
        run_node(
            "numeric_row_splitter",
            {"column_selection": "x", **both, "lower_bound_value": 2.0, "upper_bound_value": 1.0},
            df,
        )
    with pytest.raises(ConfigureError, match="inconsistent with borders"):
        run_node("numeric_row_splitter", {"column_selection": "x", **both, "upper_bound": "<"}, df)
    equal = run_node(
        "numeric_row_splitter",
        {"column_selection": "x", **both, "lower_bound_value": 2.0, "upper_bound_value": 2.0},
        df,
    )
    assert list(equal.df(1).index) == ["Row1"]  # an integer column compared as double


def test_numeric_row_splitter_imports_knime_keys(tmp_path: Path) -> None:
    model = {
        "column_selection": "First*(year)",
        "lower_bound": ">=",
        "lower_bound_defined": True,
        "lower_bound_value": 2015.0,
        "upper_bound": entry("upper_bound", "<="),  # a text starting with < would be taken as XML
        "upper_bound_defined": True,
        "upper_bound_value": 2015.0,
    }
    node, report, _doc = import_fragment(tmp_path, NUMERIC_ROW_SPLITTER, model)
    assert node.type == "numeric_row_splitter" and findings(report) == []
    df = pd.DataFrame({"First*(year)": [2014, 2015, 2016]})
    assert list(run_node("numeric_row_splitter", node.settings, df).df(1).index) == ["Row1"]
