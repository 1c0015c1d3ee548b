"""Window Loop Start (org.knime.time.node.window.LoopStartWindowNodeFactory): row- and time-based
windows replayed from KNIME's LoopStartWindowNodeModel, whole loops in the engine, and the KNIME
settings imported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment
from test_nodes_flow import run_yaml

from engine import run_node
from engine.api import ConfigureError, NodeError
from engine.core.testing import configure_node

WINDOW = "org.knime.time.node.window.LoopStartWindowNodeFactory"
M = "LSW_Missing_Row"


def windows(settings: dict, df: pd.DataFrame) -> list[list[str]]:
    """Each pass's RowIDs."""
    return [out[0].row_ids for out, _ in run_node("window_loop_start", settings, df).outputs]


FIVE = pd.DataFrame({"x": [10, 11, 12, 13, 14]})


# ------------------------------------------------------------------------------------ row based


def test_forward_windows_are_padded_at_the_end_with_numbered_missing_rows() -> None:
    got = windows({"eventWindowSize": 3}, FIVE)
    assert got == [
        ["Row0", "Row1", "Row2"],
        ["Row1", "Row2", "Row3"],
        ["Row2", "Row3", "Row4"],
        ["Row3", "Row4", f"{M}0"],
        ["Row4", f"{M}1", f"{M}2"],
    ]


def test_padding_rows_are_all_missing_and_keep_the_column_types() -> None:
    run = run_node("window_loop_start", {"eventWindowSize": 3, "eventStepSize": 2}, FIVE)
    last = run.outputs[-1][0][0]
    assert last.row_ids == ["Row4", f"{M}0", f"{M}1"]
    assert last.types == run.outputs[0][0][0].types == {"x": "Long"}  # an int64 frame column is a Long
    assert last.df["x"].iloc[0] == 14 and last.df["x"].iloc[1:].isna().all()
    assert run.outputs[-1][1] == {}  # KNIME's window loop pushes no loop variables


def test_forward_limited_to_the_table() -> None:
    got = windows({"eventWindowSize": 3, "limitWindow": True}, FIVE)
    assert got == [["Row0", "Row1", "Row2"], ["Row1", "Row2", "Row3"], ["Row2", "Row3", "Row4"]]


def test_backward_windows_end_at_the_current_row() -> None:
    got = windows({"eventWindowSize": 3, "windowDefinition": "BACKWARD"}, FIVE)
    assert got == [
        [f"{M}0", f"{M}1", "Row0"],
        [f"{M}2", "Row0", "Row1"],
        ["Row0", "Row1", "Row2"],
        ["Row1", "Row2", "Row3"],
        ["Row2", "Row3", "Row4"],
    ]


def test_backward_limited_starts_with_a_full_window() -> None:
    got = windows({"eventWindowSize": 3, "windowDefinition": "BACKWARD", "limitWindow": True}, FIVE)
    assert got == [["Row0", "Row1", "Row2"], ["Row1", "Row2", "Row3"], ["Row2", "Row3", "Row4"]]


def test_central_windows_pad_both_ends() -> None:
    got = windows({"eventWindowSize": 3, "windowDefinition": "CENTRAL"}, FIVE)
    assert got == [
        [f"{M}0", "Row0", "Row1"],
        ["Row0", "Row1", "Row2"],
        ["Row1", "Row2", "Row3"],
        ["Row2", "Row3", "Row4"],
        ["Row3", "Row4", f"{M}1"],
    ]


def test_central_limited_stops_where_knime_does() -> None:
    # KNIME ends when rows - currentRow < ceil(size / 2) - 1: with 5 rows and size 3 it still runs the
    # window around the last row, padded
    got = windows({"eventWindowSize": 3, "windowDefinition": "CENTRAL", "limitWindow": True}, FIVE)
    assert got == [
        ["Row0", "Row1", "Row2"],
        ["Row1", "Row2", "Row3"],
        ["Row2", "Row3", "Row4"],
        ["Row3", "Row4", f"{M}0"],
    ]


def test_a_step_longer_than_the_window_skips_rows() -> None:
    got = windows({"eventWindowSize": 2, "eventStepSize": 3}, FIVE)
    assert got == [["Row0", "Row1"], ["Row3", "Row4"]]


def test_an_empty_table_gives_one_empty_pass() -> None:
    assert windows({"eventWindowSize": 3}, FIVE.iloc[:0]) == [[]]


# ----------------------------------------------------------------------------------- time based

T0 = dt.datetime(2024, 1, 1)
TIMES = pd.DataFrame(
    {
        "t": pd.Series([T0 + dt.timedelta(minutes=m) for m in (0, 30, 60, 90, 120, 180)], dtype=object),
        "v": [1, 2, 3, 4, 5, 6],
    }
)


def typed(df: pd.DataFrame, col_type: str = "Local Date Time") -> object:
    from engine.api import Table

    return Table(df.set_axis([f"Row{i}" for i in range(len(df))]), {"t": col_type, "v": "Integer"})


def time_windows(settings: dict, table: object) -> list[list[str]]:
    base = {
        "trigger": "TIME",
        "selectedTimeColumn": "t",
        "timeStepUnit": "hour(s)",
        "timeWindowUnit": "hour(s)",
    }
    return [out[0].row_ids for out, _ in run_node("window_loop_start", {**base, **settings}, table).outputs]


def test_forward_time_windows_include_both_ends() -> None:
    got = time_windows({"timeStepSize": "1", "timeWindowSize": "1"}, typed(TIMES))
    assert got == [["Row0", "Row1", "Row2"], ["Row2", "Row3", "Row4"], ["Row4", "Row5"]]


def test_backward_time_windows_end_at_each_step() -> None:
    got = time_windows(
        {"timeStepSize": "1", "timeWindowSize": "1", "windowDefinition": "BACKWARD"}, typed(TIMES)
    )
    # the first window ends at the first row's time; then one per hour until the last row is reached
    assert got == [["Row0"], ["Row0", "Row1", "Row2"], ["Row2", "Row3", "Row4"], ["Row4", "Row5"]]


def test_central_and_overlapping_time_windows() -> None:
    central = time_windows(
        {"timeStepSize": "1", "timeWindowSize": "2", "windowDefinition": "CENTRAL"}, typed(TIMES)
    )
    assert central == [
        ["Row0", "Row1", "Row2"],
        ["Row0", "Row1", "Row2", "Row3", "Row4"],
        ["Row2", "Row3", "Row4", "Row5"],
    ]
    half_hourly = time_windows(
        {"timeStepSize": "30", "timeStepUnit": "minute(s)", "timeWindowSize": "1"}, typed(TIMES)
    )
    assert half_hourly == [
        ["Row0", "Row1", "Row2"],
        ["Row1", "Row2", "Row3"],
        ["Row2", "Row3", "Row4"],
        ["Row3", "Row4"],
        ["Row4", "Row5"],
    ]


def test_time_windows_over_local_dates_and_missing_cells() -> None:
    dates = pd.DataFrame(
        {"t": [dt.date(2024, 1, d) if d else None for d in (1, 2, None, 3, 5)], "v": [1, 2, 3, 4, 5]}
    )
    got = time_windows(
        {"timeStepSize": "2", "timeWindowSize": "1", "timeStepUnit": "day(s)", "timeWindowUnit": "day(s)"},
        typed(dates, "Local Date"),
    )
    assert got == [["Row0", "Row1"], ["Row3"], ["Row4"]]


def test_time_windows_need_a_sorted_column() -> None:
    unsorted = TIMES.iloc[[0, 2, 1, 3]].reset_index(drop=True)
    with pytest.raises(NodeError, match="ascending order"):
        time_windows({"timeStepSize": "1", "timeWindowSize": "1"}, typed(unsorted))


def test_time_configure_checks_as_knime() -> None:
    spec_table = typed(TIMES)
    base = {"trigger": "TIME", "selectedTimeColumn": "t", "timeStepSize": "1", "timeWindowSize": "1"}
    with pytest.raises(ConfigureError, match="does not exist"):
        configure_node("window_loop_start", {**base, "selectedTimeColumn": "nope"}, spec_table)
    with pytest.raises(ConfigureError, match="No temporal step size set"):
        configure_node("window_loop_start", {**base, "timeStepSize": None}, spec_table)
    with pytest.raises(ConfigureError, match="couldn't be matched"):
        configure_node("window_loop_start", {**base, "timeStepSize": "five"}, spec_table)
    with pytest.raises(ConfigureError, match="not compatible"):
        configure_node("window_loop_start", {**base, "useSpecifiedStartTime": True}, spec_table)
    times = typed(TIMES.assign(t=[x.time() for x in TIMES["t"]]), "Local Time")
    with pytest.raises(ConfigureError, match="Period type not allowed"):
        configure_node("window_loop_start", {**base, "timeStepSize": "1d"}, times)


def test_specified_start_time_moves_the_first_window() -> None:
    start = {"useSpecifiedStartTime": True, "start": "2024-01-01T01:00"}
    got = time_windows({"timeStepSize": "1", "timeWindowSize": "1", **start}, typed(TIMES))
    assert got == [["Row2", "Row3", "Row4"], ["Row4", "Row5"]]  # rows before the start lie in no window


# ------------------------------------------------------------------------------------ the engine

LOOP = """
format: knitflow/1
name: window loop
nodes:
  - {id: 1, type: toy_range, settings: {n: 5}}
  - {id: 2, type: window_loop_start, settings: {eventWindowSize: 2, eventStepSize: 2}}
  - {id: 3, type: loop_end, settings: {}}
connections: ["1:1 -> 2:1", "2:1 -> 3:1"]
"""


@pytest.mark.parametrize("workers", [1, 3])
def test_window_loop_runs_in_the_engine(workers: int) -> None:
    out = run_yaml(LOOP, workers=workers).output(3)
    assert out.index.tolist() == ["Row0#0", "Row1#0", "Row2#1", "Row3#1", "Row4#2", f"{M}0#2"]
    assert out["Iteration"].tolist() == [0, 0, 1, 1, 2, 2]


# ------------------------------------------------------------------------------------- the import


def test_window_loop_imports_row_settings(tmp_path: Path) -> None:
    model = {
        "eventStepSize": 2,
        "eventWindowSize": 5,
        "trigger": "ROW",
        "windowDefinition": "CENTRAL",
        "limitWindow": True,
        "timeStepSize": None,
        "timeWindowSize": None,
        "useSpecifiedStartTime": False,
        "timeWindowUnit": "duration",
        "timeStepUnit": "duration",
    }
    node, report, _ = import_fragment(tmp_path, WINDOW, model)
    assert node.type == "window_loop_start" and findings(report) == []
    assert node.settings["windowDefinition"] == "CENTRAL" and node.settings["eventWindowSize"] == 5
    assert node.settings["limitWindow"] is True


def test_window_loop_imports_time_settings(tmp_path: Path) -> None:
    model = {
        "eventStepSize": 1,
        "eventWindowSize": 1,
        "trigger": "TIME",
        "windowDefinition": "FORWARD",
        "limitWindow": False,
        "timeStepSize": "1",
        "timeWindowSize": "2",
        "useSpecifiedStartTime": True,
        "timeWindowUnit": "hour(s)",
        "timeStepUnit": "minute(s)",
        "selectedTimeColumn": "t",
        "start": "2024-01-01T00:00:00",
    }
    node, report, _ = import_fragment(tmp_path, WINDOW, model)
    assert findings(report) == []
    assert node.settings["timeStepUnit"] == "minute(s)" and node.settings["selectedTimeColumn"] == "t"
    assert node.settings["start"] == "2024-01-01T00:00:00"


def test_window_loop_unknown_key_is_a_finding(tmp_path: Path) -> None:
    _, report, _ = import_fragment(tmp_path, WINDOW, {"trigger": "ROW", "someFutureOption": True})
    assert any("someFutureOption" in f for f in findings(report))
