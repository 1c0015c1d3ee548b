"""Nominal Value Row Filter/Splitter, Split Collection Column, Low Variance Filter, Correlation
Filter and Date&Time-based Row Filter: KNIME's settings keys, checks, naming and results."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import ColumnType, ConfigureError, NodeError, Table, TableSpec
from engine.core.testing import configure_node, run_node

NOMINAL_FILTER = "org.knime.base.node.preproc.filter.nominal.NominalValueRowFilterNodeFactory"
NOMINAL_SPLITTER = "org.knime.base.node.preproc.filter.nominal.NominalValueRowSplitterNodeFactory"
SPLIT_COLLECTION = "org.knime.base.collection.list.split.CollectionSplitNodeFactory"
LOW_VARIANCE = "org.knime.base.node.preproc.lowvarfilter2.LowVarFilter2NodeFactory"
CORRELATION_FILTER = "org.knime.base.node.preproc.correlation.filter.CorrelationFilterNodeFactory"
DATE_TIME_FILTER = "org.knime.time.node.filter.datetimebasedrowfilter.DateTimeBasedRowFilterNodeFactory"


def _standard(included: list[str], excluded: list[str] = (), enforce: str = "EnforceInclusion", **extra):  # type: ignore[assignment]
    return {
        "filter-type": "STANDARD",
        "included_names": list(included),
        "excluded_names": list(excluded),
        "enforce_option": enforce,
        **extra,
    }


# ------------------------------------------------------------------------ Nominal Value Row Filter


def colours() -> Table:
    df = pd.DataFrame({"c": ["red", "blue", None, "green", "red"], "n": [1, 2, 3, 4, 5]})
    return Table.from_frame(df, {"c": ColumnType.STRING})


def test_nominal_filter_included_values_and_missing() -> None:
    flt = {"included_names": ["red", "pink"], "enforce_option": "EnforceInclusion"}
    run = run_node("nominal_value_row_filter", {"selected_column": "c", "filter_config": flt}, colours())
    assert run.df()["n"].tolist() == [1, 5]
    assert list(run.df().index) == ["Row0", "Row4"]
    with_missing = run_node(
        "nominal_value_row_filter",
        {"selected_column": "c", "filter_config": flt, "missingValueHandling": "INCLUDE"},
        colours(),
    )
    assert with_missing.df()["n"].tolist() == [1, 3, 5]
    # EnforceExclusion: every value not excluded, values new to the lists included
    excl = {"excluded_names": ["red"], "enforce_option": "EnforceExclusion"}
    out = run_node("nominal_value_row_filter", {"selected_column": "c", "filter_config": excl}, colours())
    assert out.df()["n"].tolist() == [2, 4]
    none = run_node(
        "nominal_value_row_filter",
        {
            "selected_column": "c",
            "filter_config": {"included_names": ["pink"], "enforce_option": "EnforceInclusion"},
        },
        colours(),
    )
    assert len(none.df()) == 0 and none.warnings == ["No rows matched!"]


def test_nominal_filter_configure_checks() -> None:
    numbers = Table.from_frame(pd.DataFrame({"x": [1.0]})).spec
    with pytest.raises(ConfigureError, match="No nominal columns with possible values found"):
        configure_node("nominal_value_row_filter", {"selected_column": "x"}, numbers)
    with pytest.raises(ConfigureError, match='The selected column "zz" is not present in the input table.'):
        configure_node("nominal_value_row_filter", {"selected_column": "zz"}, colours().spec)
    assert configure_node("nominal_value_row_filter", {"selected_column": "c"}, colours().spec) == [
        colours().spec
    ]


def test_nominal_splitter_ports_and_messages() -> None:
    flt = {"included_names": ["blue", "green"], "enforce_option": "EnforceInclusion"}
    run = run_node("nominal_value_row_splitter", {"selected_column": "c", "filter_config": flt}, colours())
    assert run.df(1)["n"].tolist() == [2, 4]
    assert run.df(2)["n"].tolist() == [1, 3, 5]  # the missing cell goes to the second table (LOWER)
    upper = run_node(
        "nominal_value_row_splitter",
        {"selected_column": "c", "filter_config": flt, "missingValueHandling": "UPPER"},
        colours(),
    )
    assert upper.df(1)["n"].tolist() == [2, 3, 4] and upper.df(2)["n"].tolist() == [1, 5]
    everything = run_node(
        "nominal_value_row_splitter", {"selected_column": "c", "missingValueHandling": "UPPER"}, colours()
    )
    assert len(everything.df(2)) == 0
    assert everything.warnings == ["All rows matched! Input mirrored at out-port 0 (included)"]


def test_nominal_filter_import_layouts(tmp_path) -> None:
    model = {
        "selected_column": "c",
        "filter config": _standard(["blue"], ["red", "green"], include_missing=True),
    }
    kind, settings, found = import_node(tmp_path, NOMINAL_FILTER, model)
    assert kind == "nominal_value_row_filter" and found == []
    assert settings["missingValueHandling"] == "INCLUDE"
    assert run_node(kind, settings, colours()).df()["n"].tolist() == [2, 3]
    # before 3.4: the kept values only
    kind, settings, found = import_node(
        tmp_path, NOMINAL_FILTER, {"selected_column": "c", "selected attributes": ["red"]}
    )
    assert found == [] and run_node(kind, settings, colours()).df()["n"].tolist() == [1, 5]
    # the web UI (5.3 on): missingValueHandling beside the filter, its pattern matched the web UI's way
    web = {
        "selected_column": "c",
        "filter config": {
            "filter-type": "name_pattern",
            "included_names": [],
            "excluded_names": [],
            "enforce_option": "EnforceExclusion",
            "name_pattern": {
                "pattern": "R*",
                "type": "Wildcard",
                "caseSensitive": False,
                "excludeMatching": False,
            },
        },
        "missingValueHandling": "EXCLUDE",
    }
    kind, settings, found = import_node(tmp_path, NOMINAL_FILTER, web)
    assert found == [] and settings["filter_config"]["classic_pattern"] is False
    assert run_node(kind, settings, colours()).df()["n"].tolist() == [1, 5]
    # the splitter's include_missing means the first table
    kind, settings, found = import_node(
        tmp_path,
        NOMINAL_SPLITTER,
        {"selected_column": "c", "filter config": _standard(["red"], include_missing=True)},
    )
    assert kind == "nominal_value_row_splitter" and settings["missingValueHandling"] == "UPPER"
    assert run_node(kind, settings, colours()).df(1)["n"].tolist() == [1, 3, 5]
    _, _, found = import_node(
        tmp_path, NOMINAL_FILTER, {"selected_column": "c", "filter config": _standard(["red"]), "extra": 1}
    )
    assert found == ["setting extra = 1 has no counterpart in knitflow"]


# ------------------------------------------------------------------------ Split Collection Column


def lists() -> Table:
    df = pd.DataFrame(
        {
            "k": ["a", "b", "c", "d"],
            "l": [(1.5, 2.0), (3.0,), None, (4.0, None, 6.0)],
            "Split Value 2": [0, 0, 0, 0],
        }
    )
    return Table.from_frame(df, {"k": ColumnType.STRING, "l": "List of Double"})


def test_split_collection_counts_names_and_appends() -> None:
    run = run_node(
        "split_collection_column", {"collectionColName": "l", "countElementsPolicy": "Count"}, lists()
    )
    out = run.df()
    # three elements at most; "Split Value 2" is taken, so KNIME's uniquifier "(#1)" (no space)
    assert out.columns.tolist() == [
        "k",
        "l",
        "Split Value 2",
        "Split Value 1",
        "Split Value 2(#1)",
        "Split Value 3",
    ]
    assert out["Split Value 1"].tolist()[:2] == [1.5, 3.0] and math.isnan(out["Split Value 1"].tolist()[2])
    assert out["Split Value 2(#1)"].tolist()[0] == 2.0 and np.isnan(out["Split Value 2(#1)"].tolist()[3])
    assert out["Split Value 3"].tolist()[3] == 6.0
    assert run.outputs[0].types["Split Value 3"] == ColumnType.DOUBLE
    assert run.warnings == ["Some rows contain missing values"]


def test_split_collection_replaces_and_narrows_types() -> None:
    df = pd.DataFrame({"l": [(1, 2.5), (3, 4.5)], "z": [1, 2]})
    table = Table.from_frame(df, {"l": "List of Double"})
    settings = {"collectionColName": "l", "replaceInputColumn": True, "determineMostSpecificDataType": True}
    run = run_node("split_collection_column", settings, table)
    assert run.df().columns.tolist() == ["Split Value 1", "Split Value 2", "z"]
    assert run.outputs[0].types["Split Value 1"] == ColumnType.INTEGER  # only IntCells arrived
    assert run.outputs[0].types["Split Value 2"] == ColumnType.DOUBLE
    assert run.df()["Split Value 1"].tolist() == [1, 3]
    kept = run_node("split_collection_column", {**settings, "determineMostSpecificDataType": False}, table)
    assert kept.outputs[0].types["Split Value 1"] == ColumnType.DOUBLE
    sets = Table.from_frame(pd.DataFrame({"s": [("x", "y"), ("z",)]}), {"s": "Set of String"})
    auto = run_node("split_collection_column", {}, sets)  # no column: the last collection column, guessed
    assert auto.df()["Split Value 2"].tolist() == ["y", None]
    assert auto.warnings[0] == 'Auto-guessed settings, splitting column "s"'


def test_split_collection_configure_checks() -> None:
    spec = lists().spec
    with pytest.raises(ConfigureError, match="No such column: q"):
        configure_node("split_collection_column", {"collectionColName": "q"}, spec)
    with pytest.raises(ConfigureError, match='Column "k" does not contain collection.'):
        configure_node("split_collection_column", {"collectionColName": "k"}, spec)
    with pytest.raises(ConfigureError, match="does not provide element names"):
        configure_node(
            "split_collection_column",
            {"collectionColName": "l", "countElementsPolicy": "UseElementNamesOrFail"},
            spec,
        )
    with pytest.raises(ConfigureError, match="Not configured"):
        configure_node("split_collection_column", {}, TableSpec.of([("k", ColumnType.STRING)]))


def test_split_collection_import(tmp_path) -> None:
    model = {
        "determineMostSpecificDataType": False,
        "collectionColName": "l",
        "countElementsPolicy": "Count",
        "replaceInputColumn": True,
    }
    kind, settings, found = import_node(tmp_path, SPLIT_COLLECTION, model)
    assert kind == "split_collection_column" and found == []
    assert run_node(kind, settings, lists()).df().columns.tolist()[:4] == [
        "k",
        "Split Value 1",
        "Split Value 2(#1)",
        "Split Value 3",
    ]
    _, _, found = import_node(
        tmp_path, SPLIT_COLLECTION, {**model, "countElementsPolicy": "UseElementNamesOrFail"}
    )
    assert len(found) == 1 and "element names" in found[0]
    _, _, found = import_node(tmp_path, SPLIT_COLLECTION, {**model, "extra": 1})
    assert found == ["setting extra = 1 has no counterpart in knitflow"]


# ---------------------------------------------------------------------------- Low Variance Filter


def _java_variance(values: list[float]) -> float:
    """StatisticsTable's formula, summed row by row in plain Python (IEEE doubles like Java's)."""
    total = squares = 0.0
    for v in values:
        total += v
        squares += v * v
    return (squares - total * total / len(values)) / (len(values) - 1)


def test_low_variance_filter_uses_knimes_one_pass_variance() -> None:
    df = pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, 4.0],  # 5/3
            "b": [5, 5, 5, None],  # 0 over the three values
            "p": [0.1, 0.1, 0.1, None],  # constant, but the one-pass formula leaves a rounding residue
            "q": [0.3, None, 0.3, 0.3],
            "one": [7.0, None, None, None],  # one value: 0/0, no variance, removed
            "s": ["x", "x", "x", "x"],
        }
    ).astype({"b": "Int64"})
    table = Table.from_frame(df, {"s": ColumnType.STRING})
    assert _java_variance([0.1] * 3) < 0 < _java_variance([0.3] * 3)  # hand-checked residues
    run = run_node("low_variance_filter", {"max_variance": 0.0}, table)
    assert run.df().columns.tolist() == ["a", "q", "s"]
    assert run_node("low_variance_filter", {"max_variance": 1.6}, table).df().columns.tolist() == ["a", "s"]
    # exactly 5/3 is not above the bound: removed
    assert run_node("low_variance_filter", {"max_variance": 5 / 3}, table).df().columns.tolist() == ["s"]
    only_b = {
        "max_variance": 0.0,
        "col_filter": {"included_names": ["b"], "enforce_option": "EnforceInclusion"},
    }
    assert run_node("low_variance_filter", only_b, table).df().columns.tolist() == ["a", "p", "q", "one", "s"]
    nothing = run_node(
        "low_variance_filter",
        {"col_filter": {"included_names": ["a"], "enforce_option": "EnforceInclusion"}},
        table,
    )
    assert nothing.warnings == ["No columns were filtered out."]


def test_low_variance_filter_import(tmp_path) -> None:
    model = {"col_filter": _standard(["a", "b"], ["q"]), "max_variance": 0.5}
    kind, settings, found = import_node(tmp_path, LOW_VARIANCE, model)
    assert kind == "low_variance_filter" and found == []
    assert settings["col_filter"]["included_names"] == ["a", "b"] and settings["max_variance"] == 0.5
    kind, settings, found = import_node(
        tmp_path,
        "org.knime.base.node.preproc.lowvarfilter.LowVarFilterNodeFactory",
        {"col_filter": ["a"], "max_variance": 0.0},
    )
    assert found == [] and settings["col_filter"] == {
        "included_names": ["a"],
        "enforce_option": "EnforceInclusion",
    }
    _, _, found = import_node(tmp_path, LOW_VARIANCE, {**model, "extra": 1})
    assert found == ["setting extra = 1 has no counterpart in knitflow"]


# ----------------------------------------------------------------------------- Correlation Filter


def test_reduced_set_keeps_the_column_with_most_partners() -> None:
    from nodes.feature_filters import reduced_set

    def matrix(pairs: dict[tuple[int, int], float], k: int) -> np.ndarray:
        m = np.eye(k)
        for (i, j), v in pairs.items():
            m[i, j] = m[j, i] = v
        return m

    # x is strongly correlated with y and z: x stays, y and z go; w has no partner
    names = ["x", "y", "z", "w"]
    assert reduced_set(names, matrix({(0, 1): 0.9, (0, 2): -0.95, (1, 2): 0.2, (0, 3): 0.1}, 4), 0.8) == [
        "x",
        "w",
    ]
    # a chain a-b-c: the middle column has two partners and is the one kept
    assert reduced_set(["a", "b", "c"], matrix({(0, 1): 0.9, (1, 2): 0.9}, 3), 0.9) == ["b"]
    # ties: the first column of each pair; missing correlations never count
    tie = matrix({(0, 1): 0.9, (2, 3): 0.85, (0, 2): np.nan}, 4)
    assert reduced_set(names, tie, 0.8) == ["x", "z"]


def test_correlation_filter_with_linear_correlation_model() -> None:
    df = pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, 4.0, 5.0],
            "b": [2.0, 4.1, 6.0, 8.0, 10.0],  # r(a, b) = 0.99995
            "c": [5.0, 1.0, 4.0, 2.0, 3.0],  # r(a, c) = -0.3
            "s": ["u", "v", "u", "v", "u"],
        }
    )
    table = Table.from_frame(df, {"s": ColumnType.STRING})
    numeric = {"include_list": {"included_names": ["a", "b", "c"], "enforce_option": "EnforceInclusion"}}
    model = run_node("linear_correlation", numeric, table).outputs[2]
    out = run_node("correlation_filter", {"correlation_threshold": 0.99}, model, table)
    assert out.df().columns.tolist() == ["a", "c", "s"]
    assert run_node(
        "correlation_filter", {"correlation_threshold": 0.29}, model, table
    ).df().columns.tolist() == [
        "a",
        "s",
    ]
    with pytest.raises(ConfigureError, match="No such column in input table: b"):
        configure_node("correlation_filter", {}, model.spec, table.spec.select(["a", "c", "s"]))
    as_text = TableSpec.of([("a", ColumnType.DOUBLE), ("b", ColumnType.LOCAL_DATE), ("c", ColumnType.DOUBLE)])
    with pytest.raises(ConfigureError, match="Some columns are not present in the input table: b"):
        configure_node("correlation_filter", {}, model.spec, as_text)


def test_correlation_filter_import(tmp_path) -> None:
    kind, settings, found = import_node(tmp_path, CORRELATION_FILTER, {"correlation_threshold": 0.8})
    assert kind == "correlation_filter" and settings == {"correlation_threshold": 0.8} and found == []
    _, _, found = import_node(tmp_path, CORRELATION_FILTER, {"correlation_threshold": 0.8, "extra": 1})
    assert found == ["setting extra = 1 has no counterpart in knitflow"]


# ---------------------------------------------------------------------- Date&Time-based Row Filter


def dates() -> Table:
    cells = [dt.date(2024, 1, 1), dt.date(2024, 1, 15), dt.date(2024, 2, 1), dt.date(2024, 3, 1), None]
    df = pd.DataFrame({"d": pd.Series(cells, dtype=object), "n": [0, 1, 2, 3, 4]})
    return Table.from_frame(df, {"d": ColumnType.LOCAL_DATE})


def kept(settings: dict, table: Table | None = None) -> list[int]:
    base = {"col_select": "d", "start_date_time": "2024-01-15", "end_date_time": "2024-03-01"}
    return run_node("date_time_based_row_filter", {**base, **settings}, table or dates()).df()["n"].tolist()


def test_date_filter_start_end_inclusive() -> None:
    assert kept({}) == [1, 2, 3]
    assert kept({"end_inclusive": False}) == [1, 2]
    assert kept({"start_inclusive": False, "end_inclusive": False}) == [2]
    assert kept({"end_boolean": False}) == [1, 2, 3]
    # only an end: the end date&time, even when the end mode is a duration
    assert kept({"start_boolean": False, "end_date_time": "2024-02-01", "end_selection": "Duration"}) == [
        0,
        1,
        2,
    ]
    # a zoned setting: its local date
    assert kept({"start_date_time": "2024-02-01T23:30:00+01:00[Europe/Berlin]"}) == [2, 3]


def test_date_filter_duration_and_numerical_ends() -> None:
    assert kept({"end_selection": "Duration", "period_value": "P1M"}) == [1, 2]  # up to 2024-02-15
    assert kept({"end_selection": "Duration", "period_value": "1M 17d"}) == [1, 2, 3]  # 2024-03-03
    # a negative amount reaches back: rows before the start and after the end
    assert kept({"end_selection": "Duration", "period_value": "-P1M"}) == [0, 1]
    numerical = {
        "start_date_time": "2024-01-01",
        "end_selection": "Numerical",
        "numerical_granularity": "Weeks",
    }
    assert kept({**numerical, "numerical_value": 2}) == [0, 1]
    assert kept({**numerical, "numerical_value": 2, "end_inclusive": False}) == [0]
    with pytest.raises(NodeError, match="Unsupported unit: Seconds"):
        kept({"end_selection": "Duration", "period_value": "PT2H"})
    with pytest.raises(NodeError, match="No constant with text  found"):
        kept({"end_selection": "Numerical"})


def test_date_filter_start_after_end_warns() -> None:
    run = run_node(
        "date_time_based_row_filter",
        {
            "col_select": "d",
            "start_date_time": "2024-03-01",
            "end_date_time": "2024-01-01",
            "end_inclusive": False,
        },
        dates(),
    )
    assert run.df()["n"].tolist() == [3]  # the start itself is inclusive
    assert run.warnings == ["Node created an empty data table. The start date is after the end date."]


def test_time_and_date_time_columns() -> None:
    times = [dt.time(7, 59), dt.time(8, 0), dt.time(9, 30), dt.time(12, 0), dt.time(23, 30), dt.time(0, 30)]
    t = Table.from_frame(
        pd.DataFrame({"t": pd.Series(times, dtype=object), "n": range(6)}), {"t": ColumnType.LOCAL_TIME}
    )
    window = {"col_select": "t", "end_selection": "Duration", "period_value": "PT2H"}
    out = run_node("date_time_based_row_filter", {**window, "start_date_time": "08:00"}, t)
    assert out.df()["n"].tolist() == [1, 2]
    # 23:00 + 2 hours wraps to 01:00, before the start: KNIME then keeps what lies before the start
    # and after the end (07:59 to 12:00), not 23:30 or 00:30
    wrapped = run_node("date_time_based_row_filter", {**window, "start_date_time": "23:00"}, t)
    assert wrapped.df()["n"].tolist() == [0, 1, 2, 3]
    with pytest.raises(NodeError, match="could not be parsed"):
        run_node(
            "date_time_based_row_filter", {**window, "start_date_time": "08:00", "period_value": "P1D"}, t
        )
    stamps = [
        dt.datetime(2024, 1, 15, 9, 59, 59),
        dt.datetime(2024, 1, 15, 10, 0),
        dt.datetime(2024, 1, 16, 10, 0),
    ]
    ldt = Table.from_frame(
        pd.DataFrame({"x": pd.Series(stamps, dtype=object), "n": range(3)}), {"x": ColumnType.LOCAL_DATE_TIME}
    )
    settings = {
        "col_select": "x",
        "start_date_time": "2024-01-15T10:00:00+01:00[Europe/Berlin]",
        "end_selection": "Numerical",
        "numerical_value": 1,
        "numerical_granularity": "Days",
        "end_inclusive": False,
    }
    assert run_node("date_time_based_row_filter", settings, ldt).df()["n"].tolist() == [1]


def test_date_filter_configure_and_import(tmp_path) -> None:
    with pytest.raises(ConfigureError, match="The node was not configured yet. Open the dialog."):
        configure_node("date_time_based_row_filter", {"col_select": "zz"}, dates().spec)
    with pytest.raises(ConfigureError, match="Setting for <start_date_time> 'soon' could not be parsed"):
        configure_node(
            "date_time_based_row_filter", {"col_select": "d", "start_date_time": "soon"}, dates().spec
        )
    model = {
        "col_select": "d",
        "start_boolean": True,
        "end_boolean": True,
        "start_date_time": "2024-01-15",
        "end_date_time": "2024-03-01T00:00:00+01:00[Europe/Berlin]",
        "start_always_now": False,
        "end_always_now": False,
        "start_inclusive": True,
        "end_inclusive": False,
        "end_selection": "DateTime",
        "period_value": "",
        "numerical_value": 1,
        "numerical_granularity": "Years",
    }
    kind, settings, found = import_node(tmp_path, DATE_TIME_FILTER, model)
    assert kind == "date_time_based_row_filter" and found == []
    assert run_node(kind, settings, dates()).df()["n"].tolist() == [1, 2]
    _, _, found = import_node(tmp_path, DATE_TIME_FILTER, {**model, "extra": 1})
    assert found == ["setting extra = 1 has no counterpart in knitflow"]
