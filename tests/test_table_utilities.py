"""Table utilities: Top k Row Filter (KNIME's heap ties and output orders), Shuffle (KNIME's seeded
order), Extract Table Dimension, Column Merger and Lag Column, with their KNIME mappings."""

from __future__ import annotations

import heapq
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, NodeError
from engine.core.testing import run_node

TOPK = "org.knime.base.node.preproc.topk.TopKSelectorNodeFactory"
SHUFFLE = "org.knime.base.node.preproc.shuffle.ShuffleNodeFactory"
DIMENSION = "org.knime.base.node.util.extracttabledimension.ExtractTableDimensionNodeFactory"
MERGER = "org.knime.base.node.preproc.columnmerge.ColumnMergerNodeFactory"
LAG = "org.knime.base.node.preproc.columnlag.LagColumnNodeFactory"
LAG_OLD = "org.knime.base.node.preproc.lagcolumn.LagColumnNodeFactory"

SCORES = pd.DataFrame(
    {"name": ["a", "b", "c", "d", "e", "f"], "score": [3.0, 5.0, None, 5.0, 1.0, 3.0]},
    index=[f"r{i}" for i in range(6)],
)


def top(**settings: object) -> list[str]:
    criteria = [{"column": "score", "sorting_order": "DESCENDING"}]
    out = run_node("top_k_row_filter", {"sortingCriteria": criteria, **settings}, SCORES)[1]
    return out.df["name"].tolist()


def java_heap_top(scores: list[float], k: int) -> list[int]:
    """The rows KNIME keeps for `score` descending, without ties: heapq agrees with Java there."""
    return sorted(heapq.nlargest(k, range(len(scores)), key=lambda i: scores[i]))


def test_top_k_selects_like_sorting_then_cutting() -> None:
    rng = np.random.default_rng(3)
    values = rng.permutation(40).astype(float)
    df = pd.DataFrame({"v": values})
    criteria = [{"column": "v", "sorting_order": "DESCENDING"}]
    out = run_node("top_k_row_filter", {"sortingCriteria": criteria, "k": 7, "rowOrder": "INPUT_ORDER"}, df)[
        1
    ]
    expected = java_heap_top(values.tolist(), 7)
    assert out.df["v"].tolist() == [values[i] for i in expected]
    out = run_node("top_k_row_filter", {"sortingCriteria": criteria, "k": 7, "rowOrder": "SORTED"}, df)[1]
    assert out.df["v"].tolist() == sorted(values, reverse=True)[:7]


def test_top_k_ties_heap_order_and_missing_cells() -> None:
    # descending, k=2: b and d (5) fill the heap before anything better could come
    assert top(k=2, rowOrder="INPUT_ORDER") == ["b", "d"]
    # k=3: a, b, c fill it (c missing: the smallest, so the root); d (5) replaces c; e and f (at best
    # equal to the root a, 3) never enter: only a strictly better row replaces the root
    assert top(k=3, rowOrder="INPUT_ORDER") == ["a", "b", "d"]
    asc = [{"column": "score"}]
    # ascending, missing smallest: c and then e (1) are the best two
    out = run_node("top_k_row_filter", {"sortingCriteria": asc, "k": 2, "rowOrder": "SORTED"}, SCORES)[1]
    assert out.df["name"].tolist() == ["c", "e"]
    # missing cells last: e (1), then a and f tie at 3; a came first and f cannot replace it
    out = run_node(
        "top_k_row_filter",
        {"sortingCriteria": asc, "k": 2, "rowOrder": "SORTED", "missingsToEnd": True},
        SCORES,
    )[1]
    assert out.df["name"].tolist() == ["e", "a"]
    # ARBITRARY: java.util.PriorityQueue's array (root: the worst kept row), traced by hand from its
    # siftUp/siftDown; descending ranks b0 d0 a1 f1 e2 c3: [a] [a,b] [c,b,a]; d: poll c -> [a,b] +d
    assert top(k=3) == ["a", "b", "d"]
    # ascending, missing last (ranks e0 a1 f1 b2 d2 c3): [a] [b,a] [c,a,b]; d: poll c -> [b,a] +d ->
    # [b,a,d]; e: poll b -> [d,a] +e -> [d,a,e]; f: poll d -> e sinks below a -> [a,e] +f -> [a,e,f]
    out = run_node("top_k_row_filter", {"sortingCriteria": asc, "k": 3, "missingsToEnd": True}, SCORES)[1]
    assert out.df["name"].tolist() == ["a", "e", "f"]


def test_top_k_unique_values_and_checks() -> None:
    # the 2 best distinct scores descending are 5 and 3: all their rows
    assert top(k=2, filterMode="UNIQUE_VALUES", rowOrder="INPUT_ORDER") == ["a", "b", "d", "f"]
    assert top(k=2, filterMode="UNIQUE_VALUES", rowOrder="SORTED") == ["b", "d", "a", "f"]
    run = run_node("top_k_row_filter", {"sortingCriteria": [{"column": "<RowID>"}], "k": 9}, SCORES)
    assert sorted(run[1].row_ids) == sorted(SCORES.index) and "fewer rows (6)" in run.warnings[0]
    with pytest.raises(ConfigureError, match="No columns have been specified"):
        run_node("top_k_row_filter", {}, SCORES)
    with pytest.raises(ConfigureError, match='The columns "x" are configured but no longer exist'):
        run_node("top_k_row_filter", {"sortingCriteria": [{"column": "x"}]}, SCORES)


def test_top_k_imports_both_layouts(tmp_path: Path) -> None:
    web = {
        "sortingCriteria": {
            "array-size": 2,
            "0": {
                "column": {"selected": "score", "compatibleTypes": {"array-size": 0}},
                "sortingOrder": "DESCENDING",
                "stringComparison": "NATURAL",
            },
            "1": {  # the RowID as KNIME 5.1-5.4 selects it (node_xml takes a string starting with < as XML)
                "column": {"selected": '<entry key="selected" type="xstring" value="&lt;row-keys&gt;"/>'},
                "sortingOrder": "DESCENDING",
                "stringComparison": "LEXICOGRAPHIC",
            },
        },
        "filterMode": "ROWS",
        "k": 2,
        "missingsToEnd": False,
        "rowOrder": "INPUT_ORDER",
    }
    node, report, _ = import_fragment(tmp_path, TOPK, web)
    assert node.type == "top_k_row_filter" and findings(report) == []
    assert node.settings["sortingCriteria"][1]["column"] == "<ROW_ID>"
    # b and d tie at 5; the RowID descending puts r3 (d) first, and both are kept
    assert run_node("top_k_row_filter", node.settings, SCORES)[1].df["name"].tolist() == ["b", "d"]
    one = {**web, "k": 1}
    node, _, _ = import_fragment(tmp_path, TOPK, one)
    assert run_node("top_k_row_filter", node.settings, SCORES)[1].df["name"].tolist() == ["d"]
    classic = {
        "k": 2,
        "missingsToEnd": True,
        "outputOrder": "SORT",
        "selectionMode": "Top k rows with unique values",
        "columns": ["score", "-ROWKEY -"],
        "order": [False, True],
        "alphaNumStringComp": [True, True],
    }
    node, report, _ = import_fragment(tmp_path, TOPK, classic)
    assert findings(report) == []
    assert node.settings["filterMode"] == "UNIQUE_VALUES" and node.settings["rowOrder"] == "SORTED"
    assert [c["column"] for c in node.settings["sortingCriteria"]] == ["score", "<RowID>"]
    # with the RowID as second key every row is unique: the two best rows
    assert run_node("top_k_row_filter", node.settings, SCORES)[1].df["name"].tolist() == ["b", "d"]
    _, report, _ = import_fragment(tmp_path, TOPK, {**classic, "selectionMode": "Bottom k"})
    assert any("Bottom k" in f for f in findings(report))
    # the second factory (KNIME 4.x) saves the same keys
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.preproc.topk.TopKSelectorNodeFactory2", classic
    )
    assert node.type == "top_k_row_filter" and findings(report) == []


def java_shuffle_keys(n: int, seed: int) -> list[int]:
    """java.util.Random written out independently: seed scrambling, next(31), nextInt(bound)."""
    state = (seed ^ 0x5DEECE66D) & ((1 << 48) - 1)

    def next31() -> int:
        nonlocal state
        state = (state * 0x5DEECE66D + 0xB) & ((1 << 48) - 1)
        return state >> 17

    def next_int(bound: int) -> int:
        if bound & (bound - 1) == 0:
            return (bound * next31()) >> 31
        while True:
            bits = next31()
            val = bits % bound
            if bits - val + bound - 1 < 1 << 31:
                return val

    keys = list(range(n))
    for i in range(n):
        r = next_int(i + 1)
        keys[r], keys[i] = keys[i], keys[r]
    return keys


def test_shuffle_reproduces_knimes_seeded_order() -> None:
    df = pd.DataFrame({"x": range(50)})
    out = run_node("shuffle", {"random_seed": 42}, df)[1]
    keys = java_shuffle_keys(50, 42)
    assert out.df["x"].tolist() == [keys.index(k) for k in range(50)]
    assert out.row_ids == [f"Row{keys.index(k)}" for k in range(50)]
    assert run_node("shuffle", {"random_seed": 42}, df)[1].df["x"].tolist() == out.df["x"].tolist()
    assert run_node("shuffle", {"random_seed": 7}, df)[1].df["x"].tolist() != out.df["x"].tolist()
    assert sorted(run_node("shuffle", {}, df)[1].df["x"]) == list(range(50))


def test_shuffle_imports_seed_or_none(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, SHUFFLE, {"random_seed": "-1234567890123"})
    assert (
        node.type == "shuffle" and findings(report) == [] and node.settings["random_seed"] == -1234567890123
    )
    node, report, _ = import_fragment(tmp_path, SHUFFLE, {"random_seed": None})
    assert findings(report) == [] and node.settings["random_seed"] is None
    _, report, _ = import_fragment(tmp_path, SHUFFLE, {"random_seed": "abc"})
    assert any("Unable to parse seed" in f for f in findings(report))


def test_extract_table_dimension(tmp_path: Path) -> None:
    run = run_node("extract_table_dimension", {}, SCORES)
    assert run.variables == {"Number Rows": 6, "Number Columns": 2}
    assert run[1].row_ids == ["Number Rows", "Number Columns"] and run[1].df["Dimensions"].tolist() == [6, 2]
    node, report, _ = import_fragment(tmp_path, DIMENSION, {})
    assert node.type == "extract_table_dimension" and findings(report) == []


MERGE = pd.DataFrame({"p": [1, None, 3, None], "s": [10.5, 20.5, None, None], "t": ["x", "y", "z", "w"]})


@pytest.mark.parametrize(
    ("placement", "columns"),
    [
        ("ReplaceBoth", ["p", "t"]),
        ("ReplacePrimary", ["p", "s", "t"]),
        ("ReplaceSecondary", ["p", "s", "t"]),
        ("AppendAsNewColumn", ["p", "s", "t", "t (#1)"]),
    ],
)
def test_column_merger_placements(placement: str, columns: list[str]) -> None:
    settings = {"primaryColumn": "p", "secondaryColumn": "s", "outputPlacement": placement, "outputName": "t"}
    out = run_node("column_merger", settings, MERGE)[1]
    assert out.columns == columns
    target = {"ReplaceSecondary": "s", "AppendAsNewColumn": "t (#1)"}.get(placement, "p")
    assert out.types[target] == "Double"
    assert out.df[target].tolist()[:3] == [1.0, 20.5, 3.0] and pd.isna(out.df[target].tolist()[3])


def test_column_merger_errors_and_import(tmp_path: Path) -> None:
    with pytest.raises(ConfigureError, match="No such secondary column: q"):
        run_node("column_merger", {"primaryColumn": "p", "secondaryColumn": "q"}, MERGE)
    model = {
        "primaryColumn": "t",
        "secondaryColumn": "p",
        "outputPlacement": "ReplacePrimary",
        "outputName": None,
    }
    node, report, _ = import_fragment(tmp_path, MERGER, model)
    assert node.type == "column_merger" and findings(report) == []
    out = run_node("column_merger", node.settings, MERGE)[1]
    assert out.types["t"] == "String" and out.df["t"].tolist() == ["x", "y", "z", "w"]


LAGGED = pd.DataFrame({"v": [1, 2, 3, 4, 5]}, index=[f"r{i}" for i in range(5)])


def test_lag_column_copies_and_interval() -> None:
    out = run_node("lag_column", {"column": "v", "lag": 2, "lag_interval": 2}, LAGGED)[1]
    assert out.columns == ["v", "v(-2)", "v(-4)"]
    assert out.df["v(-2)"].tolist()[2:] == [1, 2, 3] and pd.isna(out.df["v(-2)"].tolist()[:2]).all()
    assert out.df["v(-4)"].tolist()[4] == 1 and out.types["v(-4)"] == out.types["v"]
    out = run_node(
        "lag_column",
        {
            "column": "v",
            "lag_interval": 2,
            "skipInitialIncompleteRows": True,
            "skipLastIncompleteRows": False,
        },
        LAGGED,
    )[1]
    assert out.row_ids == ["r2", "r3", "r4", "overflow-0", "overflow-1"]
    assert out.df["v(-2)"].tolist() == [1, 2, 3, 4, 5]
    assert pd.isna(out.df["v"].tolist()[3:]).all()


def test_lag_column_row_ids_names_and_import(tmp_path: Path) -> None:
    df = LAGGED.assign(**{"RowID(-1)": 0})
    out = run_node("lag_column", {"column": None}, df)[1]
    assert out.columns == ["v", "RowID(-1)", "RowID(-1) (#1)"]
    assert out.df["RowID(-1) (#1)"].tolist()[1:] == ["r0", "r1", "r2", "r3"]
    with pytest.raises(ConfigureError, match='Selected column "w" does not exist'):
        run_node("lag_column", {"column": "w"}, LAGGED)
    model = {
        "column": None,
        "lag": 1,
        "lag_interval": 3,
        "skipInitialIncompleteRows": True,
        "skipLastIncompleteRows": True,
    }
    for factory in (LAG, LAG_OLD):
        node, report, _ = import_fragment(tmp_path, factory, model)
        assert node.type == "lag_column" and findings(report) == []
        out = run_node("lag_column", node.settings, LAGGED)[1]
        assert out.df["RowID(-3)"].tolist() == ["r0", "r1"]


MOVING = "org.knime.timeseries.node.movagg.MovingAggregationNodeFactory"
SERIES = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "k": list("abcdef")})
MEAN_V = [{"column": "v", "method": "Mean"}]


def moving(**settings: object) -> pd.DataFrame:
    return run_node("moving_aggregation", {"aggregations": MEAN_V, "windowLength": 3, **settings}, SERIES)[
        1
    ].df


def same(actual: pd.Series, expected: pd.Series | list[float]) -> bool:
    return np.allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), equal_nan=True)


def test_moving_aggregation_windows_against_pandas_rolling() -> None:
    v = SERIES["v"]
    assert same(moving()["Mean(v)"], v.rolling(3).mean())
    assert same(moving(handleMissings=True)["Mean(v)"], v.rolling(3, min_periods=1).mean())
    assert same(moving(windowType="FORWARD")["Mean(v)"], v[::-1].rolling(3).mean()[::-1])
    assert same(moving(windowType="CENTER")["Mean(v)"], v.rolling(3, center=True).mean())
    # an even central window reaches one row further forward: rows c-1 .. c+2
    assert same(
        moving(windowType="CENTER", windowLength=4)["Mean(v)"], [np.nan, 2.5, 3.5, 4.5, np.nan, np.nan]
    )
    assert same(
        moving(windowType="CENTER", windowLength=4, handleMissings=True)["Mean(v)"],
        [2.0, 2.5, 3.5, 4.5, 5.0, 5.5],
    )
    out = moving(cumulativeComputing=True, aggregations=[{"column": "v", "method": "Sum_V2.5.2"}])
    assert same(out["Sum(v)"], v.cumsum()) and list(out.columns) == ["v", "k", "Sum(v)"]


def test_moving_aggregation_naming_columns_and_errors() -> None:
    aggs = [{"column": "k", "method": "Concatenate"}, {"column": "v", "method": "Maximum"}]
    out = moving(
        aggregations=aggs, columnNamePolicy="Column name (aggregation method)", removeRetainedColumns=True
    )
    assert list(out.columns) == ["v", "k", "k (Concatenate)", "v (Max)"]
    assert out["k (Concatenate)"].tolist()[2:] == ["a, b, c", "b, c, d", "c, d, e", "d, e, f"]
    out = moving(columnNamePolicy="Keep original name(s)", removeAggregationColumns=True)
    assert list(out.columns) == ["k", "v"] and same(out["v"], SERIES["v"].rolling(3).mean())
    with pytest.raises(ConfigureError, match="only valid if aggregation columns are filtered"):
        moving(columnNamePolicy="Keep original name(s)")
    with pytest.raises(ConfigureError, match="Please select at least one aggregation option"):
        moving(aggregations=[])
    with pytest.raises(NodeError, match="Window length is larger than the number of rows"):
        moving(windowLength=7)


def test_moving_aggregation_import(tmp_path: Path) -> None:
    model = {
        "windowLength": 2,
        "windowType": "BACKWARD",
        "cumulativeComputing": False,
        "handleMissings": True,
        "removeRetainedColumns": False,
        "removeAggregationColumns": False,
        "maxUniqueVals": 10000,
        "valueDelimiter": ", ",
        "columnNamePolicy": "Aggregation method (column name)",
        "aggregationColumn": {
            "columnNames": ["v"],
            "columnTypes": {"array-size": 1, "0": {"cell_class": "org.knime.core.data.def.DoubleCell"}},
            "aggregationMethod": ["Sum_V2.5.2"],
            "inclMissingVals": [False],
        },
        "patternAggregators": {},
        "dataTypeAggregators": {},
    }
    node, report, _ = import_fragment(tmp_path, MOVING, model)
    assert node.type == "moving_aggregation" and findings(report) == []
    out = run_node("moving_aggregation", node.settings, SERIES)[1].df
    assert same(out["Sum(v)"], [1.0, 3.0, 5.0, 7.0, 9.0, 11.0])
    pattern = {"0": {"inputPattern": "*", "isRegularExpression": False, "aggregationMethod": "Mean"}}
    _, report, _ = import_fragment(tmp_path, MOVING, {**model, "patternAggregators": pattern})
    assert any("pattern and type based aggregation" in f for f in findings(report))
