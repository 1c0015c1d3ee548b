"""The basic Date&Time types survive reading (CSV Reader `columns` types), sorting, filtering,
grouping and writing (CSV Writer prints Java's toString), and String to Date&Time parses them with
java.time patterns."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.api.knime import column_type
from engine.core.testing import configure_node, run_node
from nodes._datetime import date_time_text

CSV = "when,at,stamp,n\n2024-03-10,12:30,2024-03-10T12:30:05.5,1\n2023-12-31,08:00:01,2023-12-31T23:59,2\n,,,3\n"
COLUMNS = [
    {"name": "when", "type": "Local Date"},
    {"name": "at", "type": "Local Time"},
    {"name": "stamp", "type": "Local Date Time"},
    {"name": "n", "type": "Integer"},
]


def read(tmp_path) -> Table:
    path = tmp_path / "dates.csv"
    path.write_text(CSV, encoding="utf-8")
    run = run_node("csv_reader", {"file": str(path), "columns": COLUMNS})
    assert run.specs[0] == run.outputs[0].spec
    return run.outputs[0]


def test_java_text_of_date_time_cells() -> None:
    assert date_time_text(dt.date(2024, 3, 1)) == "2024-03-01"
    assert date_time_text(dt.time(12, 30)) == "12:30"  # Java drops zero seconds
    assert date_time_text(dt.time(12, 30, 5, 500000)) == "12:30:05.500"
    assert date_time_text(dt.time(12, 30, 5, 123456)) == "12:30:05.123456"
    assert date_time_text(dt.datetime(2024, 3, 1, 0, 0)) == "2024-03-01T00:00"
    assert column_type("org.knime.core.data.time.localdate.LocalDateCell") == ColumnType.LOCAL_DATE
    assert ColumnType.element_of(ColumnType.list_of(ColumnType.LOCAL_DATE)) == ColumnType.LOCAL_DATE


def test_csv_reader_reads_date_types(tmp_path) -> None:
    table = read(tmp_path)
    assert table.types["when"] == ColumnType.LOCAL_DATE and table.types["stamp"] == ColumnType.LOCAL_DATE_TIME
    assert table.df["when"].tolist() == [dt.date(2024, 3, 10), dt.date(2023, 12, 31), None]
    assert table.df["at"].tolist()[1] == dt.time(8, 0, 1)
    assert table.df["stamp"].tolist()[0] == dt.datetime(2024, 3, 10, 12, 30, 5, 500000)
    bad = tmp_path / "bad.csv"
    bad.write_text("when\n2024-13-01\n", encoding="utf-8")
    with pytest.raises(NodeError, match="not a valid Local Date"):
        run_node("csv_reader", {"file": str(bad), "columns": [{"name": "when", "type": "Local Date"}]})


def test_dates_survive_sorting_filtering_grouping_and_writing(tmp_path) -> None:
    table = read(tmp_path)
    ordered = run_node("sorter", {"sorting_criteria": [{"column": "when"}]}, table).outputs[0]
    assert ordered.df["when"].tolist() == [None, dt.date(2023, 12, 31), dt.date(2024, 3, 10)]
    assert ordered.types["when"] == ColumnType.LOCAL_DATE
    latest = run_node(
        "sorter", {"sorting_criteria": [{"column": "stamp", "sorting_order": "DESCENDING"}]}, table
    )
    assert latest.df()["n"].tolist()[0] == 1
    kept = run_node(
        "row_filter", {"predicates": [{"column": "n", "operator": "LT", "value": 3}]}, table
    ).outputs[0]
    assert kept.types["when"] == ColumnType.LOCAL_DATE and len(kept) == 2
    grouped = run_node(
        "groupby",
        {"aggregations": [{"column": "when", "method": "Maximum"}, {"column": "when", "method": "List"}]},
        table,
    )
    assert grouped.df()["Max(when)"].tolist() == [dt.date(2024, 3, 10)]
    assert grouped.outputs[0].types["List(when)"] == "List of Local Date"
    out = tmp_path / "out.csv"
    run_node("csv_writer", {"file": str(out), "if_path_exists": "overwrite", "charset": "UTF-8"}, table)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[1] == '"2024-03-10","12:30","2024-03-10T12:30:05.500",1'
    assert lines[2] == '"2023-12-31","08:00:01","2023-12-31T23:59",2'
    again = run_node("csv_reader", {"file": str(out), "columns": COLUMNS}).outputs[0]
    assert again.df["stamp"].tolist() == table.df["stamp"].tolist()


def test_string_to_date_time(tmp_path) -> None:
    df = pd.DataFrame({"d": ["01.03.2024", "31.12.1999", None], "t": ["1:05 PM", "11:59 AM", "12:00 PM"]})
    table = Table.from_frame(df, {"d": ColumnType.STRING, "t": ColumnType.STRING})
    settings = {
        "col_select": {"included_names": ["d"], "enforce_option": "EnforceInclusion"},
        "typeEnum": "LOCAL_DATE",
        "date_format": "dd.MM.yyyy",
    }
    run = run_node("string_to_date_time", settings, table)
    assert run.df()["d"].tolist() == [dt.date(2024, 3, 1), dt.date(1999, 12, 31), None]
    assert run.specs[0] == run.outputs[0].spec and run.outputs[0].types["d"] == ColumnType.LOCAL_DATE
    times = {
        "col_select": {"included_names": ["t"], "enforce_option": "EnforceInclusion"},
        "typeEnum": "LOCAL_TIME",
        "date_format": "h:mm a",
        "replace_or_append": "Append selected columns",
    }
    out = run_node("string_to_date_time", times, table).df()
    assert out["t(Date&Time)"].tolist() == [dt.time(13, 5), dt.time(11, 59), dt.time(12, 0)]
    with pytest.raises(NodeError, match="Failed to parse date in row 'Row0'"):
        run_node("string_to_date_time", {**settings, "date_format": "yyyy-MM-dd"}, table)
    lenient = run_node(
        "string_to_date_time", {**settings, "date_format": "yyyy-MM-dd", "cancel_on_fail": False}, table
    )
    assert lenient.df()["d"].isna().all() and lenient.warnings
    with pytest.raises(ConfigureError, match="Invalid date format"):
        configure_node("string_to_date_time", {**settings, "date_format": "yyyy-MM-dd]"}, table.spec)
    model = {
        "col_select": {
            "filter-type": "STANDARD",
            "included_names": ["d"],
            "excluded_names": ["t"],
            "enforce_option": "EnforceExclusion",
        },
        "replace_or_append": "Replace selected columns",
        "suffix": "(Date&Time)",
        "date_format": "dd.MM.yyyy",
        "cancel_on_fail": True,
        "typeEnum": "LOCAL_DATE",
        "locale": "en-US",
    }
    kind, imported, found = import_node(
        tmp_path, "org.knime.time.node.convert.stringtodatetime.StringToDateTimeNodeFactory", model
    )
    assert kind == "string_to_date_time" and found == []
    assert run_node(kind, imported, table).df()["d"].tolist()[0] == dt.date(2024, 3, 1)
    _, _, zoned = import_node(
        tmp_path,
        "org.knime.time.node.convert.stringtodatetime.StringToDateTimeNodeFactory",
        {**model, "typeEnum": "ZONED_DATE_TIME"},
    )
    assert any("zoned" in f for f in zoned)


def _dates(**cols: list[object]) -> Table:
    types = {
        c: ColumnType.LOCAL_DATE_TIME if isinstance(v[0], dt.datetime) else ColumnType.LOCAL_DATE
        for c, v in cols.items()
    }
    return Table.from_frame(pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in cols.items()}), types)


def test_date_time_difference_follows_java_time_truncation() -> None:
    table = _dates(
        a=[dt.date(2020, 1, 31), dt.date(2020, 3, 1), dt.date(2021, 5, 15), None],
        b=[dt.date(2020, 2, 29), dt.date(2020, 1, 31), dt.date(2020, 5, 16), dt.date(2020, 1, 1)],
    )
    base = {"col_select1": "a", "col_select2": "b", "new_col_name": "diff"}
    run = run_node("date_time_difference", {**base, "granularity": "Months"}, table)
    # monthsUntil counts a day of month as 1/32 month: Jan 31 -> Feb 29 is 0 months, Mar 1 -> Jan 31 is -1
    assert run.df()["diff"].tolist()[:3] == [0, -1, -11] and run.df()["diff"].tolist()[3] is pd.NA
    assert run.specs[0] == run.outputs[0].spec and run.outputs[0].types["diff"] == ColumnType.LONG
    days = run_node("date_time_difference", {**base, "granularity": "Days"}, table).df()["diff"].tolist()
    assert days[:3] == [29, -30, -364]
    weeks = run_node("date_time_difference", {**base, "granularity": "Weeks"}, table).df()["diff"].tolist()
    assert weeks[:3] == [4, -4, -52]  # truncated toward zero
    hours = run_node("date_time_difference", {**base, "granularity": "Hours"}, table).df()["diff"].tolist()
    assert hours[0] == 29 * 24
    previous = run_node(
        "date_time_difference", {**base, "modus": "UsePreviousRow", "granularity": "Years"}, table
    ).df()["diff"]
    assert previous.tolist()[:3] == [pd.NA, 0, 1] and previous.tolist()[3] is pd.NA
    fixed = run_node(
        "date_time_difference",
        {
            **base,
            "modus": "UseFixedTime",
            "fixed_date_time": "2021-01-31T10:00+01:00[Europe/Berlin]",
            "granularity": "Years",
        },
        table,
    )
    assert fixed.df()["diff"].tolist()[:3] == [1, 0, 0]


def test_date_time_difference_date_time_units_and_errors() -> None:
    table = _dates(
        a=[dt.datetime(2020, 1, 1, 12, 0), dt.datetime(2020, 1, 3, 6, 0)],
        b=[dt.datetime(2020, 1, 2, 11, 59, 59, 999000), dt.datetime(2020, 1, 1, 7, 0)],
    )
    base = {"col_select1": "a", "col_select2": "b"}
    # the end's time is behind the start's, so a day is not complete
    assert run_node("date_time_difference", {**base, "granularity": "Days"}, table).df()[
        "date&time diff"
    ].tolist() == [0, -1]
    hours = (
        run_node("date_time_difference", {**base, "granularity": "Hours"}, table)
        .df()["date&time diff"]
        .tolist()
    )
    assert hours == [23, -47]
    millis = run_node("date_time_difference", {**base, "granularity": "Millis"}, table).df()["date&time diff"]
    assert millis.tolist()[0] == 86_399_999
    mixed = Table.from_frame(
        pd.DataFrame(
            {
                "a": pd.Series([dt.date(2020, 1, 1)], dtype=object),
                "b": pd.Series([dt.datetime(2020, 1, 1)], dtype=object),
            }
        ),
        {"a": ColumnType.LOCAL_DATE, "b": ColumnType.LOCAL_DATE_TIME},
    )
    with pytest.raises(ConfigureError, match="must have the same type"):
        configure_node("date_time_difference", base, mixed.spec)
    with pytest.raises(ConfigureError, match="no longer exists"):
        configure_node("date_time_difference", {"col_select1": "zz"}, mixed.spec)
    times = Table.from_frame(
        pd.DataFrame({"t": pd.Series([dt.time(10, 0)], dtype=object)}), {"t": ColumnType.LOCAL_TIME}
    )
    with pytest.raises(NodeError, match="granularity Days"):
        run_node("date_time_difference", {"col_select1": "t", "modus": "UseExecutionTime"}, times)


def test_date_time_difference_knime_layout(tmp_path) -> None:
    model = {
        "col_select1": "a",
        "col_select2": "b",
        "modus": "UseExecutionTime",
        "fixed_date_time": "1900-01-01",
        "output": "Granularity",
        "granularity": "Days",
        "new_col_name": "days_since",
    }
    factory = "org.knime.time.node.calculate.datetimedifference.DateTimeDifferenceNodeFactory"
    kind, settings, found = import_node(tmp_path, factory, model)
    assert kind == "date_time_difference" and found == []
    assert settings["modus"] == "UseExecutionTime" and settings["new_col_name"] == "days_since"
    _, _, found = import_node(tmp_path, factory, {**model, "output": "Duration"})
    assert any("Duration" in f for f in found)
