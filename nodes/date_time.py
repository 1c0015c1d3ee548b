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
from nodes._datetime import DateTimePattern

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


def _nanos_of_day(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000_000 + t.microsecond * 1_000


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
        delta = end - start
        nanos = (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
        return _java_div(nanos, _NANOS[unit])
    if isinstance(start, dt.date):
        if unit in _DATE_UNITS:
            return _date_until(start, end, unit)
        if unit == "Micros":
            raise ValueError("The granularity 'Micros' is unknown.")
        return (end - start).days * (86_400_000_000_000 // _NANOS[unit])
    if unit in _DATE_UNITS:
        raise ValueError(f"Cannot calculate difference between {start} and {end} using granularity {unit}")
    return _java_div(_nanos_of_day(end) - _nanos_of_day(start), _NANOS[unit])


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
