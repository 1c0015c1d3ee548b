"""String to Date&Time, which parses text columns into KNIME's local date, time and date-time types
(org.knime.time.node.convert.stringtodatetime) with a java.time pattern (nodes._datetime), and
Date&Time Difference (org.knime.time.node.calculate.datetimedifference) with java.time's arithmetic."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Any, Literal

import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._aggregation import is_missing
from nodes._column_types import typed_column
from nodes._common import ColumnFilter
from nodes._datetime import (
    DateTimeFormat,
    DateTimePattern,
    UnsupportedField,
    date_time_text,
    knime_duration,
    knime_period,
    localized_day_of_week,
    nano_of_day,
    pattern_has_text,
    plus_nanos,
    plus_period,
    week_definition,
    week_of_week_based_year,
)

_TYPES = {
    "LOCAL_DATE": ColumnType.LOCAL_DATE,
    "LOCAL_TIME": ColumnType.LOCAL_TIME,
    "LOCAL_DATE_TIME": ColumnType.LOCAL_DATE_TIME,
}
OutputMode = Literal["Replace selected columns", "Append selected columns"]
REPLACE: OutputMode = "Replace selected columns"


class StringToDateTimeSettings(NodeSettings):
    col_select: ColumnFilter = Field(
        default_factory=ColumnFilter, title="Column selection", description="String columns to convert."
    )
    replace_or_append: OutputMode = Field(
        REPLACE, title="Output", description="Replace the columns or append new ones with the suffix."
    )
    suffix: str = Field("(Date&Time)", title="Suffix", description="Suffix of the appended columns.")
    typeEnum: Literal["LOCAL_DATE", "LOCAL_TIME", "LOCAL_DATE_TIME"] = Field(
        "LOCAL_DATE_TIME", title="New type", description="Local Date, Local Time or Local Date Time."
    )
    date_format: str = Field(
        "yyyy-MM-dd'T'HH:mm[:ss[.SSS]]",
        title="Date format",
        description="java.time pattern: yyyy, MM/MMM/MMMM, dd, HH, hh with a, mm, ss, SSS, 'literal', "
        "[optional parts].",
    )
    locale: str = Field(
        "en-US", title="Locale", description="Language of month and day names (English only)."
    )
    cancel_on_fail: bool = Field(
        True,
        title="Fail on error",
        description="Fail on a text that does not parse (else the cell is missing).",
    )


def _plan(
    spec: TableSpec, s: StringToDateTimeSettings
) -> tuple[DateTimePattern, list[tuple[str, str]], TableSpec]:
    if not s.date_format:
        raise ConfigureError("Format must not be empty.", setting="date_format")
    try:
        pattern = DateTimePattern(s.date_format)
    except ValueError as exc:
        raise ConfigureError(
            f'Invalid date format: "{s.date_format}". Reason: {exc}', setting="date_format"
        ) from None
    col_type = _TYPES[s.typeEnum]
    columns = [c for c in s.col_select.apply(spec) if spec.type_of(c) == ColumnType.STRING]
    out = spec
    plan = []
    taken = set(spec.names)
    for c in columns:
        if s.replace_or_append == REPLACE:
            plan.append((c, c))
            out = out.replace(c, col_type)
        else:
            name = unique_column_name(taken, c + s.suffix)
            taken.add(name)
            plan.append((c, name))
            out = out.append((name, col_type))
    return pattern, plan, out


def _string_to_date_time_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["col_select", "replace_or_append", "suffix", "date_format", "locale", "cancel_on_fail"])
    kind = knime.get("typeEnum")
    if kind not in (None, *_TYPES):
        knime.lost(f"type {kind} (zoned date&time) is not supported: knitflow has the local types only")
    elif kind is not None:
        knime.take("typeEnum")
    locale = str(knime.get("locale") or "en")
    if not locale.lower().startswith("en") and any(ch in str(knime.get("date_format")) for ch in "MLE"):
        knime.note(f"locale {locale}: month and day names are read in English")


class StringToDateTime(Node):
    type_name = "string_to_date_time"
    display_name = "String to Date&Time"
    category = Category.MANIPULATOR
    description = (
        "Parses string columns into Local Date, Local Time or Local Date Time cells with a java.time pattern "
        "(e.g. yyyy-MM-dd, dd.MM.yyyy HH:mm); a text that does not parse fails the node or becomes missing."
    )
    keywords = ("date", "time", "parse", "convert", "timestamp", "datetime", "to date")
    knime = (
        KnimeMapping(
            "org.knime.time.node.convert.stringtodatetime.StringToDateTimeNodeFactory",
            "String to Date&Time",
            _string_to_date_time_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with Date&Time columns"),)
    Settings = StringToDateTimeSettings

    def configure(
        self, in_specs: list[Any], settings: StringToDateTimeSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [_plan(spec, settings)[2]]

    def execute(self, inputs: list[Any], settings: StringToDateTimeSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            pattern, plan, out_spec = _plan(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        col_type = _TYPES[settings.typeEnum]
        df = table.df.copy()
        failures, first = 0, ""
        for src, target in plan:
            cells: list[Any] = []
            for rid, v in zip(table.row_ids, table.df[src].to_numpy(dtype=object), strict=True):
                if is_missing(v):
                    cells.append(None)
                    continue
                try:
                    cells.append(pattern.parse(str(v), col_type))
                except ValueError as exc:
                    if settings.cancel_on_fail:
                        raise NodeError(
                            f"Failed to parse date in row '{rid}': {exc}", setting="date_format"
                        ) from None
                    failures += 1
                    first = first or f"row '{rid}': {exc}"
                    cells.append(None)
            df[target] = pd.Series(cells, index=df.index, dtype=object)
        if failures:
            ctx.warn(f"{failures} value(s) could not be parsed and are missing; first in {first}")
        return [Table(df[out_spec.names], {c.name: c.type for c in out_spec.columns})]


# -------------------------------------------------------------------------- Date&Time Difference

_DATE_UNITS = ("Years", "Months", "Weeks", "Days")
_NANOS = {
    "Hours": 3_600_000_000_000,
    "Minutes": 60_000_000_000,
    "Seconds": 1_000_000_000,
    "Millis": 1_000_000,
}
_NANOS |= {"Micros": 1_000, "Nanos": 1}
Granularity = Literal[
    "Years", "Months", "Weeks", "Days", "Hours", "Minutes", "Seconds", "Millis", "Micros", "Nanos"
]
Modus = Literal["Use2ndColumn", "UseExecutionTime", "UseFixedTime", "UsePreviousRow"]


class DateTimeDifferenceSettings(NodeSettings):
    """KNIME's DateTimeDifferenceNodeModel settings (org.knime.time, before 5.x's second factory)."""

    col_select1: str | None = Field(
        None, title="Base column", json_schema_extra=widget("column"), description="A Date&Time column."
    )
    col_select2: str | None = Field(
        None,
        title="Second column",
        json_schema_extra=widget("column"),
        description="The reference column (Use2ndColumn), of the same type.",
    )
    modus: Modus = Field(
        "Use2ndColumn",
        title="Calculate difference to",
        description="The second column, the execution time, a fixed date&time or the previous row's value.",
    )
    fixed_date_time: str = Field(
        "",
        description="UseFixedTime: an ISO date, time, date-time or zoned date-time (its local part is used). A "
        "date alone takes the current time of day, as KNIME does.",
    )
    granularity: Granularity = Field(
        "Days",
        description="The unit; the difference is truncated to whole units (java.time ChronoUnit.between).",
    )
    new_col_name: str = Field(
        "date&time diff", title="New column name", description="The appended Long column."
    )


def _date_time_difference_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["col_select1", "col_select2", "modus", "fixed_date_time", "granularity", "new_col_name"])
    if knime.get("output") == "Duration":
        knime.lost("output Duration: knitflow has no Duration or Period cells (Granularity gives a number)")
    else:
        knime.unread("output")  # Granularity, the only output knitflow has


def _java_div(a: int, b: int) -> int:
    """Java's long division: truncated toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _months_until(start: dt.date, end: dt.date) -> int:
    """LocalDate.monthsUntil: whole months, a day of month counting as 1/32 of one."""
    packed1 = (start.year * 12 + start.month - 1) * 32 + start.day
    packed2 = (end.year * 12 + end.month - 1) * 32 + end.day
    return _java_div(packed2 - packed1, 32)


def _date_until(start: dt.date, end: dt.date, unit: str) -> int:
    days = (end - start).days
    if unit == "Days":
        return days
    if unit == "Weeks":
        return _java_div(days, 7)
    months = _months_until(start, end)
    return months if unit == "Months" else _java_div(months, 12)


def _between(start: Any, end: Any, unit: str) -> int:
    """java.time's ChronoUnit.between for KNIME's local types (DateTimeDifferenceNodeModel's calculate*)."""
    if isinstance(start, dt.datetime):
        if unit in _DATE_UNITS:  # LocalDateTime.until: the end date moves by a day when its time is "behind"
            end_date = end.date()
            if end_date > start.date() and end.time() < start.time():
                end_date -= dt.timedelta(days=1)
            elif end_date < start.date() and end.time() > start.time():
                end_date += dt.timedelta(days=1)
            return _date_until(start.date(), end_date, unit)
        return _java_div(_nanos_between(start, end), _NANOS[unit])
    if isinstance(start, dt.date):
        if unit in _DATE_UNITS:
            return _date_until(start, end, unit)
        if unit == "Micros":
            raise ValueError("The granularity 'Micros' is unknown.")
        return (end - start).days * (86_400_000_000_000 // _NANOS[unit])
    if unit in _DATE_UNITS:
        raise ValueError(f"Cannot calculate difference between {start} and {end} using granularity {unit}")
    return _java_div(_nanos_between(start, end), _NANOS[unit])


_ZONED = re.compile(r"(?P<local>\d{4}-\d{2}-\d{2}T[0-9:.]+)(?:Z|[+-]\d{2}:\d{2}(?::\d{2})?)(?:\[[^\]]+\])?")


def _fixed_reference(text: str, col_type: str, now: dt.datetime) -> Any:
    """SettingsModelDateTime's value as the column's type (loadSettingsForModel): a zoned value's
    local part; a date alone gets the current time of day, a time alone today's date; empty,
    "missing" or a time zone alone mean now."""
    zoned = _ZONED.fullmatch(text)
    local = zoned["local"] if zoned else text
    try:
        if not text or text == "missing" or _is_zone(text):
            value = now
        elif "T" in local:
            value = dt.datetime.fromisoformat(local)
        elif "-" in local:
            value = dt.datetime.combine(dt.date.fromisoformat(local), now.time())
        else:
            value = dt.datetime.combine(now.date(), dt.time.fromisoformat(local))
    except ValueError:
        raise ConfigureError(
            f"Setting for <fixed_date_time> '{text}' could not be parsed as a date, time, or time zone.",
            setting="fixed_date_time",
        ) from None
    return _as_type(value, col_type)


def _is_zone(text: str) -> bool:
    try:
        zoneinfo.ZoneInfo(text)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return False
    return True


def _as_type(value: dt.datetime, col_type: str) -> Any:
    if col_type == ColumnType.LOCAL_DATE:
        return value.date()
    return value.time() if col_type == ColumnType.LOCAL_TIME else value


def _difference_columns(spec: TableSpec, s: DateTimeDifferenceSettings) -> str:
    """DateTimeDifferenceNodeModel.configure, with KNIME's messages; the base column's type."""
    if s.col_select1 is None:
        raise ConfigureError("The node was not configured yet.", setting="col_select1")
    wanted = [("col_select1", s.col_select1)]
    if s.modus == "Use2ndColumn":
        wanted.append(("col_select2", s.col_select2 or ""))
    for setting, name in wanted:
        if name not in spec:
            raise ConfigureError(
                f"The column '{name}' is configured but no longer exists in the input table.", setting=setting
            )
        if spec.type_of(name) not in ColumnType.DATE_TIME:
            raise ConfigureError(
                f"The type of column '{name}' is not compatible to any of the types LocalDateValue, "
                "LocalTimeValue, LocalDateTimeValue, ZonedDateTimeValue.",
                setting=setting,
            )
    base = spec.type_of(s.col_select1)
    if s.modus == "Use2ndColumn" and spec.type_of(str(s.col_select2)) != base:
        raise ConfigureError(
            f"Column '{s.col_select1}' ({base} type) and column '{s.col_select2}' "
            f"({spec.type_of(str(s.col_select2))} type) must have the same type.",
            setting="col_select2",
        )
    return base


def _pairs(table: Table, s: DateTimeDifferenceSettings, col_type: str) -> tuple[list[Any], list[Any]]:
    """Each row's (start, end): the base value and its reference, or the previous row's value and
    the row's own (the first row has none); None for a missing cell."""
    base = [None if is_missing(v) else v for v in table.df[str(s.col_select1)].tolist()]
    if s.modus == "UsePreviousRow":
        return [None, *base[:-1]], base
    if s.modus == "Use2ndColumn":
        return base, [None if is_missing(v) else v for v in table.df[str(s.col_select2)].tolist()]
    now = dt.datetime.now()
    if s.modus == "UseExecutionTime":
        return base, [_as_type(now, col_type)] * len(base)
    return base, [_fixed_reference(s.fixed_date_time, col_type, now)] * len(base)


class DateTimeDifference(Node):
    type_name = "date_time_difference"
    display_name = "Date&Time Difference"
    category = Category.MANIPULATOR
    description = (
        "Appends the difference between a Date&Time column and a second column, the execution time, a fixed "
        "date&time or the previous row, as a Long number of whole units (years ... nanoseconds, truncated as "
        "java.time's ChronoUnit.between does). Missing cells give missing differences; the first row has no "
        "previous row."
    )
    keywords = ("date", "time", "difference", "duration", "age", "days between", "elapsed")
    knime = (
        KnimeMapping(
            "org.knime.time.node.calculate.datetimedifference.DateTimeDifferenceNodeFactory",
            "Date&Time Difference",
            _date_time_difference_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the difference column"),)
    Settings = DateTimeDifferenceSettings

    def configure(
        self, in_specs: list[Any], settings: DateTimeDifferenceSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _difference_columns(spec, settings)
        return [spec.append((unique_column_name(spec.names, settings.new_col_name), ColumnType.LONG))]

    def execute(self, inputs: list[Any], settings: DateTimeDifferenceSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            col_type = _difference_columns(table.spec, settings)
            starts, ends = _pairs(table, settings, col_type)
            values = [
                None if a is None or b is None else _between(a, b, settings.granularity)
                for a, b in zip(starts, ends, strict=True)
            ]
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        except ValueError as exc:
            raise NodeError(str(exc), setting="granularity") from None
        name = unique_column_name(table.spec.names, settings.new_col_name)
        series = typed_column(values, ColumnType.LONG)
        series.index = table.df.index
        df = table.df.copy()
        df[name] = series
        return [table.with_frame(df, {name: ColumnType.LONG})]


# -------------------------------------------------------------------------- shared by the nodes below


def _date_time_columns(spec: TableSpec, col_select: ColumnFilter) -> list[str]:
    """The filter's columns among the Date&Time ones (KNIME's filter accepts those types only)."""
    return [c for c in col_select.apply(spec) if spec.type_of(c) in ColumnType.DATE_TIME]


def _targets(
    spec: TableSpec, columns: list[str], replace: bool, suffix: str, new_type: str | None
) -> tuple[list[tuple[str, str]], TableSpec]:
    """(source, target) per column and the output spec: replaced in place, or appended as
    `column + suffix` made unique (KNIME's UniqueNameGenerator); `new_type` None keeps the type."""
    out, plan, taken = spec, [], set(spec.names)
    for c in columns:
        col_type = new_type or spec.type_of(c)
        if replace:
            plan.append((c, c))
            out = out.replace(c, col_type)
        else:
            name = unique_column_name(taken, c + suffix)
            taken.add(name)
            plan.append((c, name))
            out = out.append((name, col_type))
    return plan, out


def _language(locale: str) -> str:
    return locale.replace("_", "-").split("-")[0].lower()


# -------------------------------------------------------------------------- Date&Time to String


class DateTimeToStringSettings(NodeSettings):
    """KNIME's DateTimeToStringNodeModel settings."""

    col_select: ColumnFilter = Field(
        default_factory=ColumnFilter, title="Column selection", description="Date&Time columns to convert."
    )
    replace_or_append: OutputMode = Field(
        REPLACE, title="Output", description="Replace the columns or append new ones with the suffix."
    )
    suffix: str = Field("(String)", title="Suffix", description="Suffix of the appended columns.")
    date_format: str = Field(
        "yyyy-MM-dd;HH:mm:ss.S",
        title="Date format",
        description="java.time pattern: yyyy/yy/uuuu, M/MM/MMM/MMMM, d/dd, D, E/EEEE, Q, HH, hh/KK/kk with a, "
        "mm, ss, S..S (fraction), n, 'literal', [optional part].",
    )
    locale: str = Field(
        "en-US", title="Locale", description="Language of month and day names (English only)."
    )


def _to_string_format(s: DateTimeToStringSettings, cls: type[NodeError]) -> DateTimeFormat:
    """The formatter, or KNIME's validateSettings messages."""
    if not s.date_format:
        raise cls("The date-time format is blank. Enter a non-empty format string.", setting="date_format")
    try:
        return DateTimeFormat(s.date_format)
    except ValueError as exc:
        raise cls(
            f'The entered date format "{s.date_format}" is invalid because: {exc}.', setting="date_format"
        ) from None


def _date_time_to_string_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["col_select", "replace_or_append", "suffix", "date_format", "locale"])
    pattern = str(knime.get("date_format") or "")
    locale = str(knime.get("locale") or "en")
    try:
        has_text = pattern_has_text(pattern)
    except ValueError as exc:
        knime.lost(f"date format {pattern!r}: {exc}")
        return
    if "-u-" in locale.lower() or "-x-" in locale.lower():
        knime.lost(
            f"locale {locale}: its calendar or number extensions are not supported (ISO calendar only)"
        )
    elif _language(locale) != "en" and has_text:
        knime.lost(f"locale {locale}: month, day and AM/PM names are printed in English only")
    knime.unread()


class DateTimeToString(Node):
    type_name = "date_time_to_string"
    display_name = "Date&Time to String"
    category = Category.MANIPULATOR
    description = (
        "Formats Local Date, Local Time and Local Date Time columns as text with a java.time pattern (e.g. "
        "dd.MM.yyyy, yyyy-MM-dd'T'HH:mm, EEEE d MMMM yyyy); replaces the columns or appends String columns. A "
        "field the value lacks (a date's hour) gives a missing cell and a warning."
    )
    keywords = ("date", "time", "format", "to string", "text", "datetime", "convert")
    knime = (
        KnimeMapping(
            "org.knime.time.node.convert.datetimetostring.DateTimeToStringNodeFactory",
            "Date&Time to String",
            _date_time_to_string_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with String columns"),)
    Settings = DateTimeToStringSettings

    @staticmethod
    def _plan(spec: TableSpec, s: DateTimeToStringSettings) -> tuple[list[tuple[str, str]], TableSpec]:
        columns = _date_time_columns(spec, s.col_select)
        return _targets(spec, columns, s.replace_or_append == REPLACE, s.suffix, ColumnType.STRING)

    def configure(
        self, in_specs: list[Any], settings: DateTimeToStringSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _to_string_format(settings, ConfigureError)
        return [self._plan(spec, settings)[1]]

    def execute(self, inputs: list[Any], settings: DateTimeToStringSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        formatter = _to_string_format(settings, NodeError)
        plan, out_spec = self._plan(table.spec, settings)
        df = table.df.copy()
        issues: list[str] = []
        for src, target in plan:
            cells: list[Any] = []
            for rid, v in zip(table.row_ids, table.df[src].to_numpy(dtype=object), strict=True):
                try:
                    cells.append(None if is_missing(v) else formatter.format(v))
                except UnsupportedField as exc:
                    issues.append(f"row '{rid}': {exc}")
                    cells.append(None)
            df[target] = pd.Series(cells, index=df.index, dtype=object)
        if issues:
            ctx.warn(f"Problems occurred in {len(issues)} rows. First: {issues[0]}")
        return [Table(df[out_spec.names], {c.name: c.type for c in out_spec.columns})]


# -------------------------------------------------------------------------- Extract Date&Time Fields

# KNIME key -> (output column, kind); the output order is KNIME's
_DATE_FIELDS = (
    ("Year", "Year"),
    ("year_week_based", "Year (week-based)"),
    ("Quarter", "Quarter"),
    ("month_number", "Month (number)"),
    ("month_name", "Month (name)"),
    ("Week", "Week"),
    ("day_of_year", "Day of year"),
    ("day_of_month", "Day of month"),
    ("day_of_week_number", "Day of week (number)"),
    ("day_of_week_name", "Day of week (name)"),
)
_TIME_FIELDS = (("Hour", "Hour"), ("Minute", "Minute"), ("Second", "Second"))
_SUBSECOND_DIVISOR = {"milliseconds": 1000, "microseconds": 1, "nanoseconds": 1}
_WEEK_KEYS = {"year_week_based", "Week", "day_of_week_number"}
_NAME_KEYS = {"month_name", "day_of_week_name"}


def _flag(description: str) -> Any:
    return Field(False, description=description)


class ExtractDateTimeFieldsSettings(NodeSettings):
    """KNIME's ExtractDateTimeFieldsNodeModel settings (one boolean per field, KNIME's keys)."""

    col_select: str | None = Field(
        None, title="Column", json_schema_extra=widget("column"), description="The Date&Time column."
    )
    Year: bool = _flag("Append the year.")
    year_week_based: bool = _flag("Append the week-based year (the locale's week definition).")
    Quarter: bool = _flag("Append the quarter (1-4).")
    month_number: bool = _flag("Append the month number (1-12).")
    month_name: bool = _flag("Append the month name (e.g. March).")
    Week: bool = _flag("Append the week of the week-based year (the locale's week definition).")
    day_of_year: bool = _flag("Append the day of year (1-366).")
    day_of_month: bool = _flag("Append the day of month (1-31).")
    day_of_week_number: bool = _flag(
        "Append the day of week, 1 being the locale's first day (Sunday in en-US)."
    )
    day_of_week_name: bool = _flag("Append the day name (e.g. Monday).")
    Hour: bool = _flag("Append the hour (0-23).")
    Minute: bool = _flag("Append the minute.")
    Second: bool = _flag("Append the second.")
    subsecond_in: bool = _flag("Append the fraction of the second in subsecond_units.")
    subsecond_units: Literal["milliseconds", "microseconds", "nanoseconds"] = Field(
        "milliseconds", description="Unit of the subsecond column."
    )
    locale: str = Field(
        "en-US",
        description="Week definition (first day, minimal days: en-US, en-GB, de-DE ...), English names.",
    )


def _extract_from_knime(knime: KnimeSettings) -> None:
    keys = ["col_select", "locale", "subsecond_units", "Subsecond in"]
    keys += ["Year", "Year (week-based)", "Quarter", "Month (number)", "Month (name)", "Week", "Day of year"]
    keys += ["Day of month", "Day of week (number)", "Day of week (name)", "Hour", "Minute", "Second"]
    knime.take_all(keys)
    chosen = {k for k, v in knime.settings.items() if v is True}
    locale = str(knime.get("locale") or "en")
    if chosen & _WEEK_KEYS and week_definition(locale) is None:
        knime.lost(f"locale {locale}: knitflow does not know this region's week definition")
    if chosen & _NAME_KEYS and _language(locale) != "en":
        knime.lost(f"locale {locale}: month and day names are given in English only")
    knime.unread("Time zone name", "Time zone offset")  # zoned columns only, which knitflow lacks


def _extract_plan(spec: TableSpec, s: ExtractDateTimeFieldsSettings) -> list[tuple[str, str, str]]:
    """(setting, output column, type) per extracted field, KNIME's createColumnRearranger."""
    column = s.col_select
    if not column:
        raise ConfigureError("Node must be configured.", setting="col_select")
    if column not in spec:
        raise ConfigureError(f"Column {column} not found in the input table.", setting="col_select")
    col_type = spec.type_of(column)
    if col_type not in ColumnType.DATE_TIME:
        raise ConfigureError(f"Column {column} does not contain a Date&Time type.", setting="col_select")
    wanted: list[tuple[str, str]] = []
    if col_type != ColumnType.LOCAL_TIME:
        wanted += [f for f in _DATE_FIELDS if getattr(s, f[0])]
    if col_type != ColumnType.LOCAL_DATE:
        wanted += [f for f in _TIME_FIELDS if getattr(s, f[0])]
        if s.subsecond_in:
            wanted.append(("subsecond_in", f"Subsecond (in {s.subsecond_units})"))
    if {k for k, _ in wanted} & _WEEK_KEYS and week_definition(s.locale) is None:
        raise ConfigureError(f"Locale '{s.locale}': the week definition is not known", setting="locale")
    plan, taken = [], set(spec.names)
    for key, name in wanted:
        unique = unique_column_name(taken, name)
        taken.add(unique)
        plan.append((key, unique, ColumnType.STRING if key in _NAME_KEYS else ColumnType.INTEGER))
    return plan


def _field_value(key: str, value: Any, s: ExtractDateTimeFieldsSettings) -> Any:
    if key in ("Hour", "Minute", "Second", "subsecond_in"):
        t = value.time() if isinstance(value, dt.datetime) else value
        if key == "subsecond_in":
            nanos = t.microsecond * 1000
            return (
                nanos // 1_000_000
                if s.subsecond_units == "milliseconds"
                else (nanos // 1000 if s.subsecond_units == "microseconds" else nanos)
            )
        return getattr(t, key.lower())
    d = value.date() if isinstance(value, dt.datetime) else value
    week = week_definition(s.locale) or (1, 4)
    values = {
        "Year": lambda: d.year,
        "year_week_based": lambda: week_of_week_based_year(d, week)[0],
        "Quarter": lambda: (d.month + 2) // 3,
        "month_number": lambda: d.month,
        "month_name": lambda: DateTimeFormat("MMMM").format(d),
        "Week": lambda: week_of_week_based_year(d, week)[1],
        "day_of_year": lambda: d.timetuple().tm_yday,
        "day_of_month": lambda: d.day,
        "day_of_week_number": lambda: localized_day_of_week(d, week),
        "day_of_week_name": lambda: DateTimeFormat("EEEE").format(d),
    }
    return values[key]()


class ExtractDateTimeFields(Node):
    type_name = "extract_date_time_fields"
    display_name = "Extract Date&Time Fields"
    category = Category.MANIPULATOR
    description = (
        "Appends fields of a Date&Time column as Integer columns (year, quarter, month, week, day of year / month "
        "/ week, hour, minute, second, subsecond) and String columns (month and day names); week numbers and "
        "the day-of-week number follow the locale's week. Fields the type lacks are left out; missing stays "
        "missing."
    )
    keywords = ("date", "time", "extract", "year", "month", "weekday", "quarter", "hour", "fields")
    knime = (
        KnimeMapping(
            "org.knime.time.node.extract.datetime.ExtractDateTimeFieldsNodeFactory",
            "Extract Date&Time Fields",
            _extract_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the field columns"),)
    Settings = ExtractDateTimeFieldsSettings

    def configure(
        self, in_specs: list[Any], settings: ExtractDateTimeFieldsSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [spec.append(*[(name, t) for _, name, t in _extract_plan(spec, settings)])]

    def execute(
        self, inputs: list[Any], settings: ExtractDateTimeFieldsSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        try:
            plan = _extract_plan(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        values = table.df[str(settings.col_select)].to_numpy(dtype=object)
        df = table.df.copy()
        types = {}
        for key, name, col_type in plan:
            cells = [None if is_missing(v) else _field_value(key, v, settings) for v in values]
            series = typed_column(cells, col_type)
            series.index = df.index
            df[name] = series
            types[name] = col_type
        return [table.with_frame(df, types)]


# -------------------------------------------------------------------------- Date&Time Shift

# Granularity (ChronoUnit names) -> nanoseconds of the time-based ones; KNIME's MICROSECOND shifts by
# Duration.ofMillis(1000 * value), a second per "microsecond", and knitflow does the same
_SHIFT_NANOS = {**_NANOS, "Micros": 1_000_000_000}
_CELL_CLASS = {
    ColumnType.LOCAL_DATE: "org.knime.core.data.time.localdate.LocalDateCell",
    ColumnType.LOCAL_TIME: "org.knime.core.data.time.localtime.LocalTimeCell",
    ColumnType.LOCAL_DATE_TIME: "org.knime.core.data.time.localdatetime.LocalDateTimeCell",
}


class DateTimeShiftSettings(NodeSettings):
    """KNIME's DateTimeShiftNodeModel settings; `use_duration` is which of the dialog's two radio
    buttons is on (KNIME stores it as period_selection's enabled status)."""

    col_select: ColumnFilter = Field(
        default_factory=ColumnFilter, title="Column selection", description="Date&Time columns to shift."
    )
    replace_or_append: OutputMode = Field(
        REPLACE, title="Output", description="Replace the columns or append new ones with the suffix."
    )
    suffix: str = Field("(shifted)", title="Suffix", description="Suffix of the appended columns.")
    use_duration: bool = Field(
        True,
        title="Use duration",
        description="Shift by a duration text (else by a number of granularity units).",
    )
    period_selection: Literal["Column", "Value"] = Field(
        "Column",
        description="Duration from a Duration/Period column (knitflow has none) or the text `period_value`.",
    )
    period_col_select: str = Field("", description="The Duration or Period column.")
    period_value: str = Field(
        "",
        description="ISO (P1Y2M3D, PT2H30M) or KNIME's forms (1y 2M 3d, 2H 30m, 1 day): date-based or time-based.",
    )
    numerical_selection: Literal["Column", "Value"] = Field(
        "Column", description="The number from an Integer/Long column or the fixed `numerical_value`."
    )
    numerical_col_select: str | None = Field(
        None,
        json_schema_extra=widget("column"),
        description="Integer or Long column with the number of units.",
    )
    numerical_value: int = Field(1, description="The fixed number of units.")
    numerical_granularity: Granularity = Field("Years", description="The unit of the number.")


def _shift_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["col_select", "replace_or_append", "suffix", "period_selection", "period_col_select"])
    knime.take_all(["period_value", "numerical_selection", "numerical_col_select", "numerical_value"])
    knime.take_all(["numerical_granularity"])
    use_duration = bool(knime.get("period_selection_Internals.EnabledStatus", True))
    knime.put("use_duration", use_duration)
    if use_duration and knime.get("period_selection", "Column") == "Column":
        knime.lost("shift by a Duration/Period column: knitflow has no Duration or Period cells")
    if not use_duration and knime.get("numerical_granularity") in ("", None):
        knime.lost("no granularity is chosen")
    knime.unread()


def _shift_check(spec: TableSpec, s: DateTimeShiftSettings) -> None:
    """DateTimeShiftNodeModel.configure's checks and messages."""
    if s.use_duration:
        if s.period_selection != "Column":
            return
        if not s.period_col_select:
            raise ConfigureError("No configuration available!", setting="period_col_select")
        name, setting, kind = s.period_col_select, "period_col_select", "a duration or period value"
    else:
        if s.numerical_selection != "Column":
            return
        name, setting, kind = s.numerical_col_select or "", "numerical_col_select", "an integer or long value"
    if name not in spec:
        raise ConfigureError(
            f"The colomn '{name}' is no longer present in the input table. "
            "Choose a different column or adapt the input.",
            setting=setting,
        )
    if setting == "period_col_select" or spec.type_of(name) not in (ColumnType.INTEGER, ColumnType.LONG):
        raise ConfigureError(f"The column '{name}' is not compatible to {kind}.", setting=setting)


def _fixed_shift(s: DateTimeShiftSettings) -> tuple[str, Any]:
    """("period", (y, m, d)) or ("duration", nanos) of a duration text: a period when it parses
    as one (KNIME tries that first), else a duration (KNIME's error when neither)."""
    try:
        return "period", knime_period(s.period_value)
    except ValueError:
        try:
            return "duration", knime_duration(s.period_value)
        except ValueError as exc:
            raise NodeError(
                f"Text '{s.period_value}' could not be parsed: {exc}", setting="period_value"
            ) from None


def _shift_amount(s: DateTimeShiftSettings, number: int) -> tuple[str, Any]:
    unit = s.numerical_granularity
    if unit in _DATE_UNITS:
        if not -(2**31) <= number < 2**31:
            raise OverflowError("integer overflow")
        factor = {"Years": (1, 0, 0), "Months": (0, 1, 0), "Weeks": (0, 0, 7), "Days": (0, 0, 1)}[unit]
        return "period", tuple(f * number for f in factor)
    return "duration", number * _SHIFT_NANOS[unit]


def _shifted(value: Any, amount: tuple[str, Any], col_type: str) -> Any:
    kind, size = amount
    if (
        kind == "period"
        and col_type == ColumnType.LOCAL_TIME
        or (kind == "duration" and col_type == ColumnType.LOCAL_DATE)
    ):
        raise NodeError(
            f"The data cell type class {_CELL_CLASS[col_type]} is not supported.",
            setting="period_value" if kind == "period" else "numerical_granularity",
        )
    return plus_period(value, *size) if kind == "period" else plus_nanos(value, size)


class DateTimeShift(Node):
    type_name = "date_time_shift"
    display_name = "Date&Time Shift"
    category = Category.MANIPULATOR
    description = (
        "Shifts Date&Time columns by a duration text (P1M, PT2H, 1y 2M 3d, 2H 30m) or by a number of units "
        "(years ... nanoseconds) from a fixed value or an Integer/Long column, as java.time's plus does (month "
        "ends are clamped: Jan 31 + 1 month = Feb 29). Replaces the columns or appends new ones."
    )
    keywords = ("date", "time", "shift", "add", "plus", "offset", "months", "days")
    knime = (
        KnimeMapping(
            "org.knime.time.node.manipulate.datetimeshift.DateTimeShiftNodeFactory",
            "Date&Time Shift",
            _shift_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with shifted columns"),)
    Settings = DateTimeShiftSettings

    def configure(self, in_specs: list[Any], settings: DateTimeShiftSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _shift_check(spec, settings)
        columns = _date_time_columns(spec, settings.col_select)
        return [_targets(spec, columns, settings.replace_or_append == REPLACE, settings.suffix, None)[1]]

    def execute(self, inputs: list[Any], settings: DateTimeShiftSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            _shift_check(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        columns = _date_time_columns(table.spec, settings.col_select)
        plan, out_spec = _targets(
            table.spec, columns, settings.replace_or_append == REPLACE, settings.suffix, None
        )
        fixed = _fixed_shift(settings) if settings.use_duration else None
        numbers: list[Any] = [settings.numerical_value] * len(table)
        if not settings.use_duration and settings.numerical_selection == "Column":
            numbers = table.df[str(settings.numerical_col_select)].tolist()
        df = table.df.copy()
        issues: list[str] = []
        for src, target in plan:
            col_type = table.spec.type_of(src)
            cells = [
                self._cell(v, n, fixed, col_type, settings, issues)
                for v, n in zip(table.df[src].to_numpy(dtype=object), numbers, strict=True)
            ]
            df[target] = pd.Series(cells, index=df.index, dtype=object)
        if issues:
            ctx.warn(f"Problems occurred in {len(issues)} rows. First: {issues[0]}")
        return [Table(df[out_spec.names], {c.name: c.type for c in out_spec.columns})]

    @staticmethod
    def _cell(
        value: Any, number: Any, fixed: Any, col_type: str, s: DateTimeShiftSettings, issues: list[str]
    ) -> Any:
        if is_missing(value):
            return None
        if fixed is None and is_missing(number):
            issues.append("The numerical cell containing the value to shift is missing.")
            return None
        try:
            amount = fixed or _shift_amount(s, int(number))
        except OverflowError:
            issues.append("A missing value has been generated due to integer overflow.")
            return None
        try:
            return _shifted(value, amount, col_type)
        except OverflowError:
            raise NodeError(
                f"Shifting {date_time_text(value)} leaves knitflow's years 1..9999", setting="col_select"
            ) from None


# -------------------------------------------------------------------------- Create Date&Time Range

_JAVA_CLASS = {dt.date: "LocalDate", dt.time: "LocalTime", dt.datetime: "LocalDateTime"}
_TYPE_OF_CLASS = {
    dt.date: ColumnType.LOCAL_DATE,
    dt.time: ColumnType.LOCAL_TIME,
    dt.datetime: ColumnType.LOCAL_DATE_TIME,
}


class CreateDateTimeSettings(NodeSettings):
    """KNIME's CreateDateTimeNodeModel settings (the first, Swing-dialog factory)."""

    column_name: str = Field("Date&Time", title="Output column", description="Name of the created column.")
    type: Literal["LOCAL_DATE", "LOCAL_TIME", "LOCAL_DATE_TIME"] = Field(
        "LOCAL_DATE_TIME", description="Type of the created column (start and end are of this type)."
    )
    rownr_option_selection: Literal["Fixed", "Variable"] = Field(
        "Fixed",
        title="Number of rows",
        description="Fixed: `nr_rows` rows; Variable: from start to end in steps of `duration`.",
    )
    nr_rows: int = Field(1000, ge=1, description="Fixed: the number of rows.")
    start: str = Field("", description="ISO start: 2024-01-31, 08:00, or 2024-01-31T08:00:00.")
    start_use_exec_time: bool = Field(False, description="Start at the execution time instead.")
    duration_or_end: Literal["End", "Duration"] = Field(
        "End", description="Fixed rows: spread them evenly up to `end`, or step by `duration`."
    )
    duration: str | None = Field(
        None, description="The step: a duration (PT1H, 1H 30m) or a period (P1M, 1d), KNIME's forms."
    )
    end: str = Field("", description="ISO end, of the start's type.")
    end_use_exec_time: bool = Field(False, description="End at the execution time instead.")


def _create_date_time_from_knime(knime: KnimeSettings) -> None:
    keys = ["column_name", "rownr_option_selection", "nr_rows", "start", "start_use_exec_time"]
    knime.take_all([*keys, "duration_or_end", "duration", "end", "end_use_exec_time"])
    kind = knime.get("type")
    zoned = _ZONED.fullmatch(str(knime.get("start") or ""))
    if kind == "ZONED_DATE_TIME" or zoned:
        knime.lost("a zoned date&time range: knitflow has the local types only")
    elif kind is not None:
        knime.take("type")
    knime.unread()


def _iso_temporal(text: str, setting: str) -> Any:
    """SettingsModelDateTime's text as a local date, time or date-time."""
    try:
        if "T" in text:
            return dt.datetime.fromisoformat(text)
        return dt.date.fromisoformat(text) if "-" in text else dt.time.fromisoformat(text)
    except ValueError:
        raise NodeError(
            f"Setting for <{setting}> '{text}' could not be parsed as a date, time, or time zone.",
            setting=setting,
        ) from None


def _now_like(template: Any) -> Any:
    """getTemporalExecTimeWithFormat: now, of the template's type, whole seconds unless it has a fraction."""
    now = dt.datetime.now()
    if type(template) is dt.date:
        return now.date()
    if not template.microsecond:
        now = now.replace(microsecond=0)
    return now.time() if isinstance(template, dt.time) else now


def _plus(value: Any, amount: tuple[str, Any], negate: bool = False) -> Any:
    """Temporal.plus(Period | Duration), with java.time's error for a unit the type lacks."""
    kind, size = amount
    sign = -1 if negate else 1
    if kind == "period":
        years, months, days = size
        if isinstance(value, dt.time) and (years or months or days):
            unit = "Years" if years and not months else "Months" if years or months else "Days"
            raise NodeError(f"Unsupported unit: {unit}", setting="duration")
        if isinstance(value, dt.time):
            return value
        return plus_period(value, sign * years, sign * months, sign * days)
    if type(value) is dt.date and size:
        raise NodeError(
            f"Unsupported unit: {'Seconds' if abs(size) >= 10**9 else 'Nanos'}", setting="duration"
        )
    return value if type(value) is dt.date else plus_nanos(value, sign * size)


def _to_millis(value: Any, has_millis: bool) -> Any:
    """KNIME's output precision: milliseconds when start, end or step have a fraction, else
    seconds rounded half up."""
    if has_millis:
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    rounded = value.replace(microsecond=0)
    return plus_nanos(rounded, 10**9) if value.microsecond >= 500_000 else rounded


def _fixed_with_step(
    start: Any, amount: tuple[str, Any], rows: int, was_date: bool, has_millis: bool
) -> list[Any]:
    """createByFixedRowNrAndDuration: start minus the step, then plus the step per row."""
    current, out = _plus(start, amount, negate=True), []
    for _ in range(rows):
        current = _plus(current, amount)
        if type(current) is dt.date:
            out.append(current)
        elif was_date:  # evenly spread dates: a time after noon rounds to the next day
            out.append(current.date() + dt.timedelta(days=1 if current.time() > dt.time(12) else 0))
        else:
            out.append(_to_millis(current, has_millis))
    return out


def _fixed_to_end(start: Any, end: Any, rows: int) -> list[Any]:
    """createByFixedRowNrAndEnd: rows evenly spread, the last one the end."""
    has_millis = type(start) is not dt.date and bool(start.microsecond or end.microsecond)
    was_date = type(start) is dt.date
    if was_date:
        start, end = dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time())
    if rows == 1:
        end, out = start, []
    else:
        between = _nanos_between(start, end)
        step = _java_div(between, rows - 1)  # Duration.dividedBy truncates
        out = _fixed_with_step(start, ("duration", step), rows - 1, was_date, has_millis)
    last = end.date() if was_date else _to_millis(end, True) if has_millis else end.replace(microsecond=0)
    return [*out, last]


def _nanos_between(start: Any, end: Any) -> int:
    """Duration.between in nanoseconds: of two times of day, or of two date-times."""
    if isinstance(start, dt.time):
        return nano_of_day(end) - nano_of_day(start)
    delta = end - start
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def _times_as_date_times(start: dt.time, end: dt.time, amount: tuple[str, Any]) -> tuple[Any, Any]:
    """00:00 is before 23:59: KNIME steps through times as date-times on one day, the end moved to
    the next (previous) day when the step goes that way past midnight."""
    kind, size = amount
    if kind != "duration":
        raise NodeError("A period cannot step through times of day.", setting="duration")
    after, negative = start > end, size < 0
    shift = 0 if start == end else 1 if after and not negative else -1 if not after and negative else 0
    base = dt.date(2010, 1, 10)
    return dt.datetime.combine(base, start), dt.datetime.combine(base + dt.timedelta(days=shift), end)


def _wrong_direction(start: Any, end: Any, amount: tuple[str, Any]) -> str | None:
    step = _plus(start, amount)
    if end > start and step < start:
        return "Interval must be positive, if end is after start date! Node created an empty table."
    if end < start and step > start:
        return "Interval must be negative, if end is before start date! Node created an empty table."
    return None


def _variable_rows(start: Any, end: Any, amount: tuple[str, Any], ctx: NodeContext) -> list[Any]:
    """createByVariableRowNr: from start towards end in steps, the end included when met."""
    kind, size = amount
    if (kind == "period" and not any(size)) or (kind == "duration" and size == 0):
        ctx.warn("Interval is zero! Node created an empty table.")
        return []
    was_time = isinstance(start, dt.time)
    if was_time:
        start, end = _times_as_date_times(start, end, amount)
    warning = _wrong_direction(start, end, amount)
    if warning:
        ctx.warn(warning)
        return []
    start_after_end = start > end
    out: list[Any] = []
    current: Any = start
    while True:
        equal, after = current == end, current > end
        if (after and not start_after_end) or (not after and not equal and start_after_end):
            return out
        cell: Any = current if type(current) is dt.date else _to_millis(current, True)
        out.append(cell.time() if was_time else cell)
        if equal:
            return out
        current = _plus(current, amount)


class CreateDateTimeRange(Node):
    type_name = "create_date_time_range"
    display_name = "Create Date&Time Range"
    category = Category.SOURCE
    description = (
        "Creates a table with one Date&Time column: a fixed number of rows from a start, spread evenly up to an "
        "end or stepping by a duration/period (PT1H, P1M, 1d), or as many rows as fit from start to end in "
        "steps. Start and end may be the execution time."
    )
    keywords = ("date", "time", "range", "sequence", "calendar", "generate", "create", "series")
    knime = (
        KnimeMapping(
            "org.knime.time.node.create.createdatetime.CreateDateTimeNodeFactory",
            "Create Date&Time Range",
            _create_date_time_from_knime,
        ),
    )
    inputs = ()
    outputs = (Port(TABLE, "Date&Time range"),)
    Settings = CreateDateTimeSettings

    def configure(self, in_specs: list[Any], settings: CreateDateTimeSettings, ctx: NodeContext) -> list[Any]:
        return [TableSpec.of([(settings.column_name, _TYPES[settings.type])])]

    def execute(self, inputs: list[Any], settings: CreateDateTimeSettings, ctx: NodeContext) -> list[Any]:
        s = settings
        start, end = _iso_temporal(s.start, "start"), _iso_temporal(s.end, "end")
        if type(start) is not type(end):
            raise NodeError(
                "The type of start and end time are not compatible: start is "
                f"{_JAVA_CLASS[type(start)]} but end is {_JAVA_CLASS[type(end)]}",
                setting="end",
            )
        if _TYPE_OF_CLASS[type(start)] != _TYPES[s.type]:
            raise NodeError(f"The start {s.start} is not of the type {s.type}.", setting="start")
        start, end = (
            _now_like(end) if s.start_use_exec_time else start,
            _now_like(start) if s.end_use_exec_time else end,
        )
        values = self._values(start, end, s, ctx)
        col_type = _TYPES[s.type]
        series = pd.Series(values, dtype=object, name=s.column_name)
        return [Table.from_frame(series.to_frame(), {s.column_name: col_type}, new_row_ids=True)]

    @staticmethod
    def _values(start: Any, end: Any, s: CreateDateTimeSettings, ctx: NodeContext) -> list[Any]:
        if s.rownr_option_selection == "Fixed" and s.duration_or_end == "End":
            return _fixed_to_end(start, end, s.nr_rows)
        amount = _create_step(s.duration)
        if s.rownr_option_selection == "Variable":
            return _variable_rows(start, end, amount, ctx)
        kind, size = amount
        has_millis = type(start) is not dt.date and bool(
            start.microsecond or (kind == "duration" and size % 10**9)
        )
        return _fixed_with_step(start, amount, s.nr_rows, False, has_millis)


def _create_step(text: str | None) -> tuple[str, Any]:
    """The step: a duration first, then a period (CreateDateTimeNodeModel's order)."""
    try:
        return "duration", knime_duration(text or "")
    except ValueError:
        try:
            return "period", knime_period(text or "")
        except ValueError:
            raise NodeError(f"'{text or ''}' could not be parsed as duration!", setting="duration") from None


# -------------------------------------------------------------------------- Modify Time / Modify Date

ModifyTimeAction = Literal["Append time", "Change time", "Remove time"]
ModifyDateAction = Literal["Append date", "Change date", "Remove date"]


class ModifyTimeSettings(NodeSettings):
    """KNIME's ModifyTimeNodeModel settings."""

    col_select: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Column selection",
        description="Local Date columns (Append time) or Local Date Time columns (Change / Remove time).",
    )
    replace_or_append: OutputMode = Field(
        REPLACE, title="Output", description="Replace the columns or append new ones with the suffix."
    )
    suffix: str = Field("(modified time)", title="Suffix", description="Suffix of the appended columns.")
    modify_select: ModifyTimeAction = Field(
        "Change time", title="Modification", description="Append a time to dates, change or remove the time."
    )
    time: str | None = Field(None, description="The ISO time to append or set (e.g. 08:30, 23:59:59.999).")
    time_zone: str | None = Field(None, description="A time zone makes KNIME's result zoned: not supported.")


class ModifyDateSettings(NodeSettings):
    """KNIME's ModifyDateNodeModel settings."""

    col_select: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Column selection",
        description="Local Time columns (Append date) or Local Date Time columns (Change / Remove date).",
    )
    replace_or_append: OutputMode = Field(
        REPLACE, title="Output", description="Replace the columns or append new ones with the suffix."
    )
    suffix: str = Field("(modified date)", title="Suffix", description="Suffix of the appended columns.")
    modify_select: ModifyDateAction = Field(
        "Change date", title="Modification", description="Append a date to times, change or remove the date."
    )
    date: str | None = Field(None, description="The ISO date to append or set (e.g. 2024-03-01).")
    time_zone: str | None = Field(None, description="A time zone makes KNIME's result zoned: not supported.")


def _modify_from_knime(part: str) -> Any:
    def translate(knime: KnimeSettings) -> None:
        knime.take_all(["col_select", "replace_or_append", "suffix", "modify_select", part])
        action = str(knime.get("modify_select") or "")
        zone = knime.get("time_zone")
        if _ZONED.fullmatch(str(knime.get(part) or "")):
            knime.lost(f"a zoned {part} setting: knitflow has the local types only")
        if action.startswith("Append") and zone:
            knime.lost(f"time zone {zone}: KNIME creates zoned date&times, which knitflow lacks")
        else:
            knime.unread("time_zone")  # used by Append only

    return translate


def _modify_part(text: str | None, part: str) -> Any:
    """The settings' time or date (SettingsModelDateTime: the part of a date-time, now when empty)."""
    if text is None:
        raise ConfigureError("The node was not configured yet. Open the dialog.", setting=part)
    now = dt.datetime.now().replace(microsecond=0)
    if not text or text == "missing":
        return now.time() if part == "time" else now.date()
    try:
        if "T" in text:
            value = dt.datetime.fromisoformat(text)
            return value.time() if part == "time" else value.date()
        return dt.time.fromisoformat(text) if part == "time" else dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigureError(
            f"Setting for <{part}> '{text}' could not be parsed as a date, time, or time zone.", setting=part
        ) from None


def _modify_plan(
    spec: TableSpec, s: ModifyTimeSettings | ModifyDateSettings, part: str
) -> tuple[Any, list[tuple[str, str]], TableSpec]:
    """(the time or date, (source, target) per column, output spec); the filter takes the
    columns the action applies to, KNIME's type-restricted filter."""
    value = _modify_part(s.time if isinstance(s, ModifyTimeSettings) else s.date, part)
    action = s.modify_select.split()[0]
    kept = ColumnType.LOCAL_TIME if part == "date" else ColumnType.LOCAL_DATE  # the part that stays
    source_type = kept if action == "Append" else ColumnType.LOCAL_DATE_TIME
    columns = [c for c in s.col_select.apply(spec) if spec.type_of(c) == source_type]
    new_type = kept if action == "Remove" else ColumnType.LOCAL_DATE_TIME
    plan, out = _targets(spec, columns, s.replace_or_append == REPLACE, s.suffix, new_type)
    return value, plan, out


def _modified(cell: Any, value: Any, action: str, part: str) -> Any:
    if action == "Remove":
        return cell.time() if part == "date" else cell.date()
    if action == "Append":
        return dt.datetime.combine(value, cell) if part == "date" else dt.datetime.combine(cell, value)
    return (
        dt.datetime.combine(value, cell.time()) if part == "date" else dt.datetime.combine(cell.date(), value)
    )


class _ModifyPart(Node):
    """Modify Time and Modify Date: one computation, the part differs."""

    part = "time"

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [_modify_plan(spec, settings, self.part)[2]]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            value, plan, out_spec = _modify_plan(table.spec, settings, self.part)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        action = settings.modify_select.split()[0]
        df = table.df.copy()
        for src, target in plan:
            cells = [
                None if is_missing(v) else _modified(v, value, action, self.part)
                for v in table.df[src].to_numpy(dtype=object)
            ]
            df[target] = pd.Series(cells, index=df.index, dtype=object)
        return [Table(df[out_spec.names], {c.name: c.type for c in out_spec.columns})]


class ModifyTime(_ModifyPart):
    type_name = "modify_time"
    display_name = "Modify Time"
    category = Category.MANIPULATOR
    description = (
        "Appends a time of day to Local Date columns (making Local Date Time), changes the time of Local Date "
        "Time columns, or removes it (leaving Local Date). Missing cells stay missing."
    )
    keywords = ("date", "time", "set time", "remove time", "midnight", "truncate", "modify")
    knime = (
        KnimeMapping(
            "org.knime.time.node.manipulate.modifytime.ModifyTimeNodeFactory",
            "Modify Time",
            _modify_from_knime("time"),
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with modified columns"),)
    Settings = ModifyTimeSettings
    part = "time"


class ModifyDate(_ModifyPart):
    type_name = "modify_date"
    display_name = "Modify Date"
    category = Category.MANIPULATOR
    description = (
        "Appends a date to Local Time columns (making Local Date Time), changes the date of Local Date Time "
        "columns, or removes it (leaving Local Time). Missing cells stay missing."
    )
    keywords = ("date", "time", "set date", "remove date", "modify")
    knime = (
        KnimeMapping(
            "org.knime.time.node.manipulate.modifydate.ModifyDateNodeFactory",
            "Modify Date",
            _modify_from_knime("date"),
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with modified columns"),)
    Settings = ModifyDateSettings
    part = "date"
