"""Joiner and Concatenate: compared with pandas merges/concats and KNIME's documented naming rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.api import ColumnType, ConfigureError, NodeError, TableSpec
from engine.api.knime import KnimeSettings
from engine.core.testing import configure_node, run_node
from nodes.concatenate import Concatenate
from nodes.joins import Joiner


def left() -> pd.DataFrame:
    return pd.DataFrame(
        {"id": [1, 2, 3, 4], "name": ["a", "b", "c", None], "v": [0.5, 1.5, 2.5, 3.5]},
        index=pd.Index(["L0", "L1", "L2", "L3"], dtype=object),
    )


def right() -> pd.DataFrame:
    return pd.DataFrame(
        {"key": [2, 3, 3, 9], "name": ["B", "C", "C2", "Z"], "w": [20, 30, 31, 90]},
        index=pd.Index(["R0", "R1", "R2", "R3"], dtype=object),
    )


def criteria(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"leftTableColumn": a, "rightTableColumn": b} for a, b in pairs]


@pytest.mark.parametrize(
    ("flags", "how"),
    [
        ((True, False, False), "inner"),
        ((True, True, False), "left"),
        ((True, False, True), "right"),
        ((True, True, True), "outer"),
    ],
)
def test_join_modes_match_pandas(flags: tuple[bool, bool, bool], how: str) -> None:
    settings = {
        "matchingCriteria": criteria(("id", "key")),
        "includeMatchesInOutput": flags[0],
        "includeLeftUnmatchedInOutput": flags[1],
        "includeRightUnmatchedInOutput": flags[2],
    }
    run = run_node("joiner", settings, left(), right())
    out = run.df(1)
    assert list(out.columns) == ["id", "name", "v", "key", "name (Right)", "w"]
    expected = left().merge(right(), left_on="id", right_on="key", how=how, suffixes=("", " (Right)"))
    got = {
        (None if pd.isna(a) else int(a), None if pd.isna(b) else int(b))
        for a, b in zip(out["id"], out["key"], strict=True)
    }
    want = {
        (None if pd.isna(a) else int(a), None if pd.isna(b) else int(b))
        for a, b in zip(expected["id"], expected["key"], strict=True)
    }
    assert got == want and len(out) == len(expected)
    assert run.specs[0] == TableSpec.of(
        [
            ("id", ColumnType.LONG),
            ("name", ColumnType.STRING),
            ("v", ColumnType.DOUBLE),
            ("key", ColumnType.LONG),
            ("name (Right)", ColumnType.STRING),
            ("w", ColumnType.LONG),
        ]
    )
    assert run.outputs[0].spec == run.specs[0]


def test_row_ids_and_order_left_right() -> None:
    out = run_node(
        "joiner",
        {
            "matchingCriteria": criteria(("id", "key")),
            "includeLeftUnmatchedInOutput": True,
            "includeRightUnmatchedInOutput": True,
        },
        left(),
        right(),
    ).df(1)
    # matches by left then right position, then left unmatched, then right unmatched (KNIME's ?)
    assert list(out.index) == ["L1_R0", "L2_R1", "L2_R2", "L0_?", "L3_?", "?_R3"]
    assert out["w"].dtype == "Int64" and out["w"].isna().sum() == 2
    assert out.loc["?_R3", "key"] == 9 and pd.isna(out.loc["?_R3", "id"])


def test_sequential_and_custom_separator() -> None:
    out = run_node(
        "joiner", {"matchingCriteria": criteria(("id", "key")), "rowKeySeparator": "+"}, left(), right()
    )
    assert list(out.df(1).index) == ["L1+R0", "L2+R1", "L2+R2"]
    seq = run_node(
        "joiner",
        {"matchingCriteria": criteria(("id", "key")), "rowKeyFactory": "SEQUENTIAL"},
        left(),
        right(),
    )
    assert list(seq.df(1).index) == ["Row0", "Row1", "Row2"]


def test_duplicate_name_suffix_rules() -> None:
    l_df = pd.DataFrame({"x": [1], "x (#1)": [2]})
    r_df = pd.DataFrame({"x": [1], "y": [3]})
    auto = configure_node(
        "joiner",
        {"matchingCriteria": criteria(("x", "x")), "duplicateHandling": "APPEND_SUFFIX_AUTOMATIC"},
        Joiner_spec(l_df),
        Joiner_spec(r_df),
    )[0]
    # " (#1)" is appended until the name is unique: "x (#1)" is taken, so "x (#1) (#1)"
    assert auto.names == ["x", "x (#1)", "x (#1) (#1)", "y"]
    with pytest.raises(ConfigureError):
        configure_node(
            "joiner",
            {"matchingCriteria": criteria(("x", "x")), "duplicateHandling": "DO_NOT_EXECUTE"},
            Joiner_spec(l_df),
            Joiner_spec(r_df),
        )


def Joiner_spec(df: pd.DataFrame) -> TableSpec:  # noqa: N802
    from engine.api import Table

    return Table.from_frame(df).spec


def test_missing_values_never_match() -> None:
    l_df = pd.DataFrame({"k": ["a", None]})
    r_df = pd.DataFrame({"k": ["a", None], "z": [1, 2]})
    out = run_node("joiner", {"matchingCriteria": criteria(("k", "k"))}, l_df, r_df).df(1)
    assert len(out) == 1 and list(out.index) == ["Row0_Row0"]


def test_match_any_and_merge_join_columns() -> None:
    l_df = pd.DataFrame({"a": ["x", "y"], "b": ["p", "q"]})
    r_df = pd.DataFrame({"c": ["x", "n"], "d": ["n", "q"]})
    out = run_node(
        "joiner",
        {
            "matchingCriteria": criteria(("a", "c"), ("b", "d")),
            "compositionMode": "MATCH_ANY",
            "mergeJoinColumns": True,
        },
        l_df,
        r_df,
    )
    df = out.df(1)
    assert list(df.columns) == ["a=c", "b=d"]
    assert len(df) == 2
    # merged columns under disjunction keep a value only where left and right agree
    assert list(df["a=c"]) == ["x", None] and list(df["b=d"]) == [None, "q"]


def test_strict_and_numeric_comparison() -> None:
    l_df = pd.DataFrame({"k": np.array([1, 2], dtype=np.int32)})
    r_df = pd.DataFrame({"k": np.array([1, 2], dtype=np.int64), "z": [5, 6]})
    strict = run_node("joiner", {"matchingCriteria": criteria(("k", "k"))}, l_df, r_df).df(1)
    assert len(strict) == 0  # Integer never equals Long under STRICT, as in KNIME
    numeric = run_node(
        "joiner", {"matchingCriteria": criteria(("k", "k")), "dataCellComparisonMode": "NUMERIC"}, l_df, r_df
    ).df(1)
    assert len(numeric) == 2
    text = run_node(
        "joiner", {"matchingCriteria": criteria(("k", "k")), "dataCellComparisonMode": "STRING"}, l_df, r_df
    ).df(1)
    assert len(text) == 2


def test_split_output_ports_keep_row_ids() -> None:
    run = run_node(
        "joiner",
        {
            "matchingCriteria": criteria(("id", "key")),
            "includeLeftUnmatchedInOutput": True,
            "includeRightUnmatchedInOutput": True,
            "outputUnmatchedRowsToSeparatePorts": True,
        },
        left(),
        right(),
    )
    assert len(run.df(1)) == 3
    assert list(run.df(2).index) == ["L0", "L3"] and list(run.df(2).columns) == ["id", "name", "v"]
    assert list(run.df(3).index) == ["R3"]
    assert run.specs[1] == run.outputs[1].spec and run.specs[2] == run.outputs[2].spec


def test_row_id_join_and_keep() -> None:
    l_df = pd.DataFrame({"a": [1, 2]}, index=pd.Index(["r1", "r2"], dtype=object))
    r_df = pd.DataFrame({"b": [3, 4]}, index=pd.Index(["r2", "r3"], dtype=object))
    out = run_node(
        "joiner",
        {"matchingCriteria": criteria(("<RowID>", "<RowID>")), "rowKeyFactory": "KEEP_ROWID"},
        l_df,
        r_df,
    ).df(1)
    assert list(out.index) == ["r2"] and out["b"].tolist() == [3]
    with pytest.raises(ConfigureError):
        run_node(
            "joiner", {"matchingCriteria": criteria(("a", "b")), "rowKeyFactory": "KEEP_ROWID"}, l_df, r_df
        )


def test_column_selection_and_unknown_column() -> None:
    run = run_node(
        "joiner",
        {
            "matchingCriteria": criteria(("id", "key")),
            "rightColumnSelectionConfig": {"included_names": ["w"], "enforce_option": "EnforceInclusion"},
        },
        left(),
        right(),
    )
    assert run.df(1).columns.tolist() == ["id", "name", "v", "w"]
    with pytest.raises(ConfigureError):
        run_node("joiner", {"matchingCriteria": criteria(("nope", "key"))}, left(), right())


class _Report:
    node = None

    def __init__(self) -> None:
        self.lost: list[str] = []

    def setting(self, message: str) -> None:
        self.lost.append(message)

    def note(self, message: str) -> None:
        pass


def translate(cls: type, factory_index: int, tree: dict) -> tuple[dict, list[str]]:
    report = _Report()
    settings, _, _ = cls.knime[factory_index].apply(KnimeSettings(tree, {}, report))
    cls.Settings.model_validate(settings)
    return settings, report.lost


def test_knime_translation_newer_and_legacy() -> None:
    new, lost = translate(
        Joiner,
        0,
        {
            "compositionMode": "MATCH_ALL",
            "matchingCriteria": {"0": {"leftTableColumn": "id", "rightTableColumn": "<row-keys>"}},
            "includeMatchesInOutput": True,
            "includeLeftUnmatchedInOutput": True,
            "includeRightUnmatchedInOutput": False,
            "duplicateHandling": "APPEND_SUFFIX",
            "suffix": " (Right)",
            "rowKeyFactory": "CONCATENATE",
            "rowKeySeparator": "_",
            "maxOpenFiles": 200,
            "enableHiliting": False,
        },
    )
    assert new["matchingCriteria"] == [{"leftTableColumn": "id", "rightTableColumn": "<RowID>"}]
    assert new["includeLeftUnmatchedInOutput"] is True and not lost
    old, lost = translate(
        Joiner,
        0,
        {
            "joinMode": "LEFT_OUTER",
            "leftTableJoinPredicate": ["$RowID$"],
            "rightTableJoinPredicate": ["key"],
            "compositionMode": "MATCH_ALL",
            "duplicateHandling": "APPEND_SUFFIX_AUTOMATIC",
            "assignNewRowKeys": True,
        },
    )
    assert old["includeLeftUnmatchedInOutput"] is True and old["includeRightUnmatchedInOutput"] is False
    assert old["rowKeyFactory"] == "SEQUENTIAL" and old["matchingCriteria"][0]["leftTableColumn"] == "<RowID>"
    legacy, lost = translate(
        Joiner,
        1,
        {
            "joinMode": "FullOuterJoin",
            "compositionMode": "MatchAll",
            "leftTableJoinPredicate": ["id"],
            "rightTableJoinPredicate": ["key"],
            "duplicateHandling": "AppendSuffix",
            "version": "version_2",
            "leftIncludeAll": True,
            "rightIncludeAll": True,
            "rmLeftJoinCols": False,
            "rmRightJoinCols": True,
            "leftIncludeCols": [],
            "rightIncludeCols": [],
            "suffix": "",
        },
    )
    assert legacy["duplicateHandling"] == "APPEND_SUFFIX_AUTOMATIC"
    assert legacy["rightColumnSelectionConfig"]["excluded_names"] == ["key"]
    out = run_node("joiner", legacy, left(), right()).df(1)
    assert "key" not in out.columns and "name (#1)" in out.columns


# ------------------------------------------------------------------------------------- Concatenate


def test_concatenate_union_types_and_suffix() -> None:
    a = pd.DataFrame({"x": [1, 2], "s": ["a", "b"]})
    b = pd.DataFrame({"x": [0.5], "t": [True]})
    run = run_node("concatenate", {}, a, b)
    df = run.df(1)
    assert list(df.columns) == ["x", "s", "t"]
    assert list(df.index) == ["Row0", "Row1", "Row0_dup"]
    assert df["x"].tolist() == [1.0, 2.0, 0.5] and df["x"].dtype == np.float64
    assert df["s"].tolist() == ["a", "b", None] and df["t"].isna().sum() == 2
    assert run.specs[0] == run.outputs[0].spec
    expected = pd.concat([a, b], ignore_index=True)
    assert np.allclose(df["x"].to_numpy(), expected["x"].to_numpy())


def test_concatenate_intersection_skip_fail_and_new_ids() -> None:
    a = pd.DataFrame({"x": [1, 2], "s": ["a", "b"]})
    b = pd.DataFrame({"x": [3, 4, 5]})
    skip = run_node("concatenate", {"append_suffix": False, "intersection_of_columns": True}, a, b)
    assert list(skip.df(1).index) == ["Row0", "Row1", "Row2"] and list(skip.df(1).columns) == ["x"]
    assert skip.df(1)["x"].tolist() == [1, 2, 5]
    assert skip.warnings == ["Filtered out 2 duplicate row(s)."]
    with pytest.raises(NodeError):
        run_node("concatenate", {"fail_on_duplicates": True}, a, b)
    fresh = run_node("concatenate", {"create_new_rowids": True}, a, b, None, b)
    assert list(fresh.df(1).index) == [f"Row{i}" for i in range(8)]
    twice = run_node("concatenate", {}, a, a, a)
    assert list(twice.df(1).index) == ["Row0", "Row1", "Row0_dup", "Row1_dup", "Row0_dup_dup", "Row1_dup_dup"]


def test_concatenate_translation() -> None:
    settings, lost = translate(
        Concatenate,
        0,
        {
            "fail_on_duplicates": False,
            "append_suffix": True,
            "intersection_of_columns": False,
            "suffix": "_x",
            "enable_hiliting": False,
        },
    )
    assert settings["suffix"] == "_x" and not lost
