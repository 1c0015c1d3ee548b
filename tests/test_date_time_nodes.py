"""Date&Time to String, Extract Date&Time Fields and Date&Time Shift: java.time's formatting,
week fields and plus arithmetic, checked against Python's strftime / isocalendar and dateutil,
and their KNIME mappings."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta
from knime_fragment import import_node

from engine.api import ColumnType, ConfigureError, NodeError, Table
from engine.core.testing import configure_node, run_node
from nodes._datetime import DateTimeFormat, knime_duration, knime_period

STAMPS = [dt.datetime(2024, 1, 31, 14, 5, 9, 123456), dt.datetime(1999, 12, 31, 0, 0), None]


def _table() -> Table:
    df = pd.DataFrame(
        {
            "stamp": pd.Series(STAMPS, dtype=object),
            "day": pd.Series([s.date() if s else None for s in STAMPS], dtype=object),
            "at": pd.Series([s.time() if s else None for s in STAMPS], dtype=object),
            "n": [1, -2, 3],
        }
    )
    types = {"stamp": ColumnType.LOCAL_DATE_TIME, "day": ColumnType.LOCAL_DATE, "at": ColumnType.LOCAL_TIME}
    return Table.from_frame(df, {**types, "n": ColumnType.INTEGER})


def _only(*names: str) -> dict[str, object]:
    return {"included_names": list(names), "enforce_option": "EnforceInclusion"}


@pytest.mark.parametrize(
    ("pattern", "strftime"),
    [
        ("yyyy-MM-dd HH:mm:ss", "%Y-%m-%d %H:%M:%S"),
        ("EEEE, dd MMMM yyyy", "%A, %d %B %Y"),
        ("EEE MMM dd yy hh:mm a", "%a %b %d %y %I:%M %p"),
        ("'day' DDD 'of' uuuu", "day %j of %Y"),
    ],
)
def test_format_patterns_match_strftime(pattern: str, strftime: str) -> None:
    for value in STAMPS[:2]:
        assert value is not None
        assert DateTimeFormat(pattern).format(value) == value.strftime(strftime)


def test_format_java_specifics() -> None:
    value = dt.datetime(2024, 7, 5, 0, 7, 9, 120000)
    assert DateTimeFormat("d.M.y k:m:s.SS").format(value) == "5.7.2024 24:7:9.12"
    assert DateTimeFormat("QQQ QQQQ 'o''clock' ''").format(value) == "Q3 3rd quarter o'clock '"
    assert DateTimeFormat("yyyy-MM-dd[ HH:mm]").format(value.date()) == "2024-07-05"  # optional part left out
    with pytest.raises(ValueError, match="Unsupported field: HourOfDay"):
        DateTimeFormat("yyyy HH").format(value.date())
    with pytest.raises(ValueError, match="Too many pattern letters: d"):
        DateTimeFormat("ddd")
    with pytest.raises(ValueError, match="Unknown pattern letter: b"):
        DateTimeFormat("b")


def test_date_time_to_string_node(tmp_path) -> None:
    table = _table()
    settings = {"col_select": _only("stamp", "day"), "date_format": "dd.MM.yyyy HH:mm"}
    run = run_node("date_time_to_string", settings, table)
    out = run.df()
    assert out["stamp"].tolist() == ["31.01.2024 14:05", "31.12.1999 00:00", None]
    assert out["day"].tolist() == [None, None, None] and run.warnings  # a date has no hour
    assert run.outputs[0].types["stamp"] == ColumnType.STRING and run.specs[0] == run.outputs[0].spec
    appended = run_node(
        "date_time_to_string",
        {"col_select": _only("at"), "date_format": "HH:mm", "replace_or_append": "Append selected columns"},
        table,
    ).df()
    assert list(appended.columns)[-1] == "at(String)" and appended["at(String)"].tolist()[0] == "14:05"
    with pytest.raises(ConfigureError, match="is blank"):
        configure_node("date_time_to_string", {**settings, "date_format": ""}, table.spec)
    with pytest.raises(ConfigureError, match='date format "ddd" is invalid'):
        configure_node("date_time_to_string", {**settings, "date_format": "ddd"}, table.spec)
    factory = "org.knime.time.node.convert.datetimetostring.DateTimeToStringNodeFactory"
    model = {
        "col_select": {"filter-type": "STANDARD", "included_names": ["day"], "excluded_names": []},
        "replace_or_append": "Replace selected columns",
        "suffix": "(String)",
        "date_format": "dd MMMM yyyy",
        "locale": "en-GB",
    }
    kind, imported, found = import_node(tmp_path, factory, model)
    assert kind == "date_time_to_string" and found == []
    assert run_node(kind, imported, table).df()["day"].tolist()[0] == "31 January 2024"
    _, _, german = import_node(tmp_path, factory, {**model, "locale": "de-DE"})
    assert any("English" in f for f in german)
    _, _, numeric_german = import_node(
        tmp_path, factory, {**model, "locale": "de-DE", "date_format": "dd.MM."}
    )
    assert numeric_german == []


ALL_FIELDS = {
    key: True
    for key in ["Year", "year_week_based", "Quarter", "month_number", "month_name", "Week", "day_of_year"]
    + ["day_of_month", "day_of_week_number", "day_of_week_name", "Hour", "Minute", "Second", "subsecond_in"]
}


def test_extract_fields_iso_week_matches_isocalendar() -> None:
    days = [dt.date(2021, 1, 3), dt.date(2020, 12, 31), dt.date(2024, 12, 30), dt.date(2026, 6, 15)]
    table = Table.from_frame(pd.DataFrame({"d": pd.Series(days, dtype=object)}), {"d": ColumnType.LOCAL_DATE})
    run = run_node("extract_date_time_fields", {"col_select": "d", **ALL_FIELDS, "locale": "de-DE"}, table)
    out = run.df()
    assert list(out.columns) == [
        "d",
        "Year",
        "Year (week-based)",
        "Quarter",
        "Month (number)",
        "Month (name)",
        "Week",
        "Day of year",
        "Day of month",
        "Day of week (number)",
        "Day of week (name)",
    ]  # a date has no time fields
    assert out["Week"].tolist() == [d.isocalendar()[1] for d in days]
    assert out["Year (week-based)"].tolist() == [d.isocalendar()[0] for d in days]
    assert out["Day of week (number)"].tolist() == [d.isoweekday() for d in days]
    assert out["Day of year"].tolist() == [int(d.strftime("%j")) for d in days]
    assert out["Month (name)"].tolist() == [d.strftime("%B") for d in days]
    assert run.outputs[0].types["Week"] == ColumnType.INTEGER and run.specs[0] == run.outputs[0].spec


def test_extract_fields_us_week_and_time_fields() -> None:
    table = _table()
    out = run_node(
        "extract_date_time_fields",
        {"col_select": "stamp", "Week": True, "day_of_week_number": True, "Hour": True, "subsecond_in": True},
        table,
    ).df()
    # 2024-01-31 is a Wednesday: day 4 of a Sunday week; Jan 1 2024 (Monday) starts US week 1, so the 31st is week 5
    # and Friday 1999-12-31 lies in the week of Saturday 2000-01-01, 2000's US week 1
    assert out["Day of week (number)"].tolist()[:2] == [4, 6] and out["Week"].tolist()[:2] == [5, 1]
    assert out["Hour"].tolist()[:2] == [14, 0] and out["Subsecond (in milliseconds)"].tolist()[:2] == [123, 0]
    assert out.iloc[2, 4:].isna().all()
    us = Table.from_frame(
        pd.DataFrame({"d": pd.Series([dt.date(2024, 12, 29)], dtype=object)}), {"d": ColumnType.LOCAL_DATE}
    )
    week = run_node(
        "extract_date_time_fields", {"col_select": "d", "Week": True, "year_week_based": True}, us
    )
    assert week.df()[["Year (week-based)", "Week"]].values.tolist() == [
        [2025, 1]
    ]  # Sunday Dec 29 starts 2025's week 1
    with pytest.raises(ConfigureError, match="does not contain a Date&Time type"):
        configure_node("extract_date_time_fields", {"col_select": "n", "Year": True}, table.spec)
    with pytest.raises(ConfigureError, match="Node must be configured"):
        configure_node("extract_date_time_fields", {}, table.spec)


def test_extract_fields_import(tmp_path) -> None:
    factory = "org.knime.time.node.extract.datetime.ExtractDateTimeFieldsNodeFactory"
    model = {"col_select": "stamp", "Year": True, "Year (week-based)": False, "Quarter": True}
    model |= {k: False for k in ["Month (number)", "Month (name)", "Week", "Day of year", "Day of month"]}
    model |= {k: False for k in ["Day of week (number)", "Day of week (name)", "Hour", "Minute", "Second"]}
    model |= {"Subsecond in": False, "subsecond_units": "milliseconds", "Time zone name": False}
    model |= {"Time zone offset": False, "locale": "en-US"}
    kind, imported, found = import_node(tmp_path, factory, model)
    assert kind == "extract_date_time_fields" and found == []
    assert run_node(kind, imported, _table()).df()[["Year", "Quarter"]].values.tolist()[0] == [2024, 1]
    _, _, named = import_node(tmp_path, factory, {**model, "Month (name)": True, "locale": "fr-FR"})
    assert any("English" in f for f in named)


def test_knime_duration_and_period_texts() -> None:
    assert knime_period("1y 2M 3d") == (1, 2, 3) and knime_period("2 weeks") == (0, 0, 14)
    assert knime_period("-P1Y1D") == (-1, 0, -1)
    assert knime_duration("2H 30m") == (2 * 60 + 30) * 60 * 10**9
    assert knime_duration("PT-1.5S") == -1_500_000_000 and knime_duration("1 hour") == 3600 * 10**9
    with pytest.raises(ValueError, match="'m' stands for minutes"):
        knime_period("1m")
    with pytest.raises(ValueError, match="'M' stands for months"):
        knime_duration("1M")


def test_date_time_shift_by_value_and_column() -> None:
    table = _table()
    months = run_node(
        "date_time_shift",
        {"col_select": _only("day"), "use_duration": True, "period_selection": "Value", "period_value": "1M"},
        table,
    ).df()
    jan31 = dt.date(2024, 1, 31)
    assert months["day"].tolist() == [jan31 + relativedelta(months=1), dt.date(2000, 1, 31), None]
    hours = run_node(
        "date_time_shift",
        {
            "col_select": _only("stamp", "at"),
            "use_duration": True,
            "period_selection": "Value",
            "period_value": "PT10H",
            "replace_or_append": "Append selected columns",
        },
        table,
    )
    out = hours.df()
    assert out["stamp(shifted)"].tolist()[:2] == [s + dt.timedelta(hours=10) for s in STAMPS[:2] if s]
    assert out["at(shifted)"].tolist()[0] == dt.time(0, 5, 9, 123456)  # wraps at midnight
    assert hours.specs[0] == hours.outputs[0].spec
    by_column = run_node(
        "date_time_shift",
        {
            "col_select": _only("stamp"),
            "use_duration": False,
            "numerical_selection": "Column",
            "numerical_col_select": "n",
            "numerical_granularity": "Years",
        },
        table,
    ).df()
    assert by_column["stamp"].tolist()[:2] == [
        dt.datetime(2025, 1, 31, 14, 5, 9, 123456),
        dt.datetime(1997, 12, 31),
    ]
    with pytest.raises(NodeError, match="LocalDateCell is not supported"):
        run_node(
            "date_time_shift",
            {"col_select": _only("day"), "use_duration": False, "numerical_selection": "Value"}
            | {"numerical_granularity": "Hours"},
            table,
        )
    with pytest.raises(ConfigureError, match="not compatible to an integer or long value"):
        configure_node(
            "date_time_shift",
            {"col_select": _only("day"), "use_duration": False, "numerical_col_select": "stamp"},
            table.spec,
        )


def test_date_time_shift_import(tmp_path) -> None:
    factory = "org.knime.time.node.manipulate.datetimeshift.DateTimeShiftNodeFactory"
    model = {
        "col_select": {
            "filter-type": "STANDARD",
            "included_names": ["day"],
            "excluded_names": ["stamp", "at"],
            "enforce_option": "EnforceInclusion",
        },
        "replace_or_append": "Replace selected columns",
        "suffix": "(shifted)",
        "period_selection": "Column",
        "period_selection_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": False},
        "period_col_select": "",
        "period_value": "",
        "numerical_selection": "Value",
        "numerical_col_select": "",
        "numerical_value": -3,
        "numerical_granularity": "Days",
    }
    kind, imported, found = import_node(tmp_path, factory, model)
    assert kind == "date_time_shift" and found == [] and imported["use_duration"] is False
    assert run_node(kind, imported, _table()).df()["day"].tolist()[0] == dt.date(2024, 1, 28)
    enabled = {"SettingsModelID": "SMID_string", "EnabledStatus": True}
    _, _, lost = import_node(tmp_path, factory, {**model, "period_selection_Internals": enabled})
    assert any("Duration/Period column" in f for f in lost)


def _range(**settings: object) -> tuple[list[object], list[str]]:
    run = run_node("create_date_time_range", settings)
    assert run.specs[0] == run.outputs[0].spec
    return run.outputs[0].df.iloc[:, 0].tolist(), run.warnings


def test_create_range_fixed_rows() -> None:
    hours = pd.date_range("2024-03-01 08:00", "2024-03-01 20:00", periods=5).to_pydatetime().tolist()
    assert _range(start="2024-03-01T08:00", end="2024-03-01T20:00", nr_rows=5)[0] == hours
    # a date range is spread over date-times at midnight; 12:00 stays on its day, later times round up
    dates = _range(type="LOCAL_DATE", start="2024-01-01", end="2024-01-02", nr_rows=3)[0]
    assert dates == [dt.date(2024, 1, 1), dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    # stepping by a period from start - 1 month, as KNIME does: Jan 31, Feb 29, Mar 29
    months = _range(
        type="LOCAL_DATE",
        start="2024-01-31",
        end="2024-01-01",
        duration_or_end="Duration",
        duration="1M",
        nr_rows=3,
    )
    assert months[0] == [
        dt.date(2024, 1, 31),
        dt.date(2024, 1, 31) + relativedelta(months=1),
        dt.date(2024, 3, 29),
    ]
    seconds = _range(start="2024-01-01T00:00", end="2024-01-01T00:00:01", nr_rows=4)[0]
    start = dt.datetime(2024, 1, 1)  # 1/3 s steps rounded to whole seconds
    assert seconds == [start + dt.timedelta(seconds=n) for n in (0, 0, 1, 1)]


def test_create_range_variable_rows_and_errors(tmp_path) -> None:
    times, _ = _range(
        type="LOCAL_TIME", start="22:00", end="01:00", rownr_option_selection="Variable", duration="1H"
    )
    assert times == [dt.time(22), dt.time(23), dt.time(0), dt.time(1)]  # through midnight
    with pytest.raises(NodeError, match="'' could not be parsed as duration"):
        _range(type="LOCAL_DATE", start="2024-01-01", end="2024-01-10", rownr_option_selection="Variable")
    with pytest.raises(NodeError, match="could not be parsed as duration"):
        run_node(
            "create_date_time_range",
            {"type": "LOCAL_DATE", "start": "2024-01-01", "end": "2024-01-10"}
            | {"rownr_option_selection": "Variable", "duration": "soon"},
        )
    weekly, _ = _range(
        type="LOCAL_DATE",
        start="2024-01-01",
        end="2024-01-20",
        rownr_option_selection="Variable",
        duration="1w",
    )
    assert weekly == pd.date_range("2024-01-01", "2024-01-20", freq="7D").date.tolist()
    empty, warnings = _range(
        type="LOCAL_DATE",
        start="2024-01-10",
        end="2024-01-01",
        rownr_option_selection="Variable",
        duration="1d",
    )
    assert empty == [] and "must be negative" in warnings[0]
    with pytest.raises(NodeError, match="start is LocalDate but end is LocalDateTime"):
        run_node(
            "create_date_time_range", {"type": "LOCAL_DATE", "start": "2024-01-01", "end": "2024-01-02T00:00"}
        )
    factory = "org.knime.time.node.create.createdatetime.CreateDateTimeNodeFactory"
    model = {
        "column_name": "when",
        "rownr_option_selection": "Fixed",
        "nr_rows": 3,
        "start": "2024-01-01",
        "duration_or_end": "End",
        "duration": None,
        "end": "2024-01-03",
        "start_use_exec_time": False,
        "end_use_exec_time": False,
        "type": "LOCAL_DATE",
    }
    kind, imported, found = import_node(tmp_path, factory, model)
    assert kind == "create_date_time_range" and found == []
    assert run_node(kind, imported).outputs[0].df["when"].tolist()[-1] == dt.date(2024, 1, 3)
    zoned = {**model, "start": "2024-01-01T00:00:00+01:00[Europe/Berlin]", "type": "ZONED_DATE_TIME"}
    assert any("zoned" in f for f in import_node(tmp_path, factory, zoned)[2])


def test_modify_time_and_date() -> None:
    table = _table()
    changed = run_node("modify_time", {"col_select": _only("stamp", "day"), "time": "23:59:59"}, table)
    stamps = changed.df()["stamp"].tolist()
    assert stamps[:2] == [dt.datetime(2024, 1, 31, 23, 59, 59), dt.datetime(1999, 12, 31, 23, 59, 59)]
    assert stamps[2] is None and changed.df()["day"].tolist()[0] == dt.date(2024, 1, 31)  # dates untouched
    appended = run_node(
        "modify_time",
        {"col_select": _only("day"), "modify_select": "Append time", "time": "08:30"}
        | {"replace_or_append": "Append selected columns"},
        table,
    )
    assert appended.df()["day(modified time)"].tolist()[0] == dt.datetime(2024, 1, 31, 8, 30)
    assert appended.outputs[0].types["day(modified time)"] == ColumnType.LOCAL_DATE_TIME
    assert appended.specs[0] == appended.outputs[0].spec
    removed = run_node(
        "modify_time", {"col_select": _only("stamp"), "modify_select": "Remove time", "time": ""}, table
    )
    assert removed.df()["stamp"].tolist()[:2] == [s.date() for s in STAMPS[:2] if s]
    assert removed.outputs[0].types["stamp"] == ColumnType.LOCAL_DATE
    dates = run_node(
        "modify_date",
        {"col_select": _only("at"), "modify_select": "Append date", "date": "2020-02-29"},
        table,
    )
    assert dates.df()["at"].tolist()[0] == dt.datetime(2020, 2, 29, 14, 5, 9, 123456)
    no_date = run_node(
        "modify_date", {"col_select": _only("stamp"), "modify_select": "Remove date", "date": ""}, table
    )
    assert (
        no_date.df()["stamp"].tolist()[1] == dt.time(0, 0)
        and no_date.outputs[0].types["stamp"] == ColumnType.LOCAL_TIME
    )
    with pytest.raises(ConfigureError, match="not configured yet"):
        configure_node("modify_time", {"col_select": _only("stamp")}, table.spec)


def test_modify_imports(tmp_path) -> None:
    model = {
        "col_select": {
            "filter-type": "STANDARD",
            "included_names": ["stamp"],
            "excluded_names": [],
            "enforce_option": "EnforceInclusion",
        },
        "replace_or_append": "Replace selected columns",
        "suffix": "(modified date)",
        "date": "2000-01-01",
        "time_zone": None,
        "modify_select": "Change date",
    }
    factory = "org.knime.time.node.manipulate.modifydate.ModifyDateNodeFactory"
    kind, imported, found = import_node(tmp_path, factory, model)
    assert kind == "modify_date" and found == []
    assert run_node(kind, imported, _table()).df()["stamp"].tolist()[0] == dt.datetime(
        2000, 1, 1, 14, 5, 9, 123456
    )
    zoned = {**model, "modify_select": "Append date", "time_zone": "Europe/Berlin"}
    assert any("zoned" in f for f in import_node(tmp_path, factory, zoned)[2])
