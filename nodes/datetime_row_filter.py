"""Date&Time-based Row Filter (KNIME's DateTimeBasedRowFilterNodeModel, org.knime.time): keeps the
rows whose Local Date, Local Time or Local Date Time cell lies in a window from a start to an end,
the end given as a date&time, a duration or a number of granularity units after the start.

The bounds are KNIME's SettingsModelDateTime texts: a zoned date-time (its local part), a local
date-time, date or time, a time zone alone, or empty. A cell takes the part of the bound its type
has; a part the text lacks is the current date or time, as KNIME fills it in when it loads the
settings.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import spec_or_none
from nodes._datetime import knime_duration, knime_period, plus_nanos, plus_period

GranularityName = Literal[
    "", "Years", "Months", "Weeks", "Days", "Hours", "Minutes", "Seconds", "Millis", "Micros", "Nanos"
]
_DATE_UNITS = {"Years": (1, 0, 0), "Months": (0, 1, 0), "Weeks": (0, 0, 7), "Days": (0, 0, 1)}
# Granularity.getPeriodOrDuration for the time units, in nanoseconds; MICROSECOND adds a second per
# unit in KNIME, as the Date&Time Shift node in knitflow does too
_TIME_UNITS = {
    "Hours": 3_600_000_000_000,
    "Minutes": 60_000_000_000,
    "Seconds": 1_000_000_000,
    "Millis": 1_000_000,
    "Micros": 1_000_000_000,
    "Nanos": 1,
}


class DateTimeRowFilterSettings(NodeSettings):
    """KNIME's DateTimeBasedRowFilterNodeModel settings."""

    col_select: str | None = Field(
        None,
        title="Date&Time column",
        json_schema_extra=widget("column"),
        description="The column filtered on.",
    )
    start_boolean: bool = Field(True, title="Start", description="Whether the window has a lower bound.")
    start_date_time: str = Field(
        "",
        title="Start date&time",
        description="ISO date, time, date-time or zoned date-time (its local part); empty: now.",
    )
    start_always_now: bool = Field(
        False, title="Use execution time", description="The start is the execution time."
    )
    start_inclusive: bool = Field(True, title="Inclusive", description="Keep rows equal to the start.")
    end_boolean: bool = Field(True, title="End", description="Whether the window has an upper bound.")
    end_selection: Literal["DateTime", "Duration", "Numerical"] = Field(
        "DateTime",
        title="End",
        description="DateTime: `end_date_time`; Duration: the start plus `period_value`; Numerical: the start "
        "plus `numerical_value` units of `numerical_granularity` (a negative amount reaches back).",
    )
    end_date_time: str = Field("", title="End date&time", description="As the start (DateTime end only).")
    end_always_now: bool = Field(
        False, title="Use execution time", description="The end is the execution time."
    )
    end_inclusive: bool = Field(True, title="Inclusive", description="Keep rows equal to the end.")
    period_value: str = Field(
        "",
        title="Duration",
        description="ISO (P1Y2M3D, PT2H30M) or KNIME's forms (2y 3M 1d, 2H 30m, 2 years): date-based tried first.",
    )
    numerical_value: int = Field(1, title="Number", description="The number of granularity units.")
    numerical_granularity: GranularityName = Field(
        "", title="Granularity", description="The unit of the number."
    )


# ------------------------------------------------------------------------------- the bounds

_ZONED = re.compile(r"(?P<local>\d{4}-\d{2}-\d{2}T[0-9:.]+)(?:Z|[+-]\d{2}:\d{2}(?::\d{2})?)(?:\[[^\]]+\])?")
_LOCAL_DT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?")


def _micros(text: str) -> str:
    """Python holds microseconds: a nanosecond fraction is cut to six digits."""
    return re.sub(r"\.(\d{6})\d+", r".\1", text)


def _is_zone(text: str) -> bool:
    try:
        zoneinfo.ZoneInfo(text)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return False
    return True


@dataclass(frozen=True)
class Bound:
    """SettingsModelDateTime's date and time (`complete`: the text named both)."""

    date: dt.date
    time: dt.time
    complete: bool

    def like(self, value: Any) -> Any:
        """getLocalDate / getLocalTime / getLocalDateTime, by the cell's type."""
        if isinstance(value, dt.datetime):
            return dt.datetime.combine(self.date, self.time)
        return self.date if isinstance(value, dt.date) else self.time


def parse_bound(text: str, setting: str, now: dt.datetime) -> Bound:
    """SettingsModelDateTime.loadSettingsForModel: empty or "missing" is now (whole seconds), a date
    alone takes the current time, a time alone today's date, a zone alone now."""
    try:
        if not text or text == "missing":
            whole = now.replace(microsecond=0)
            return Bound(whole.date(), whole.time(), False)
        zoned = _ZONED.fullmatch(text)
        if zoned or _LOCAL_DT.fullmatch(text):
            value = dt.datetime.fromisoformat(_micros(zoned["local"] if zoned else text))
            return Bound(value.date(), value.time(), True)
        if _DATE.fullmatch(text):
            return Bound(dt.date.fromisoformat(text), now.time(), False)
        if _TIME.fullmatch(text):
            return Bound(now.date(), dt.time.fromisoformat(_micros(text)), False)
        if _is_zone(text):
            return Bound(now.date(), now.time(), False)
    except ValueError:
        pass
    raise ConfigureError(
        f"Setting for <{setting}> '{text}' could not be parsed as a date, time, or time zone.",
        setting=setting,
    )


class _Unsupported(Exception):
    """java.time's UnsupportedTemporalTypeException (a DateTimeException)."""


def _plus_period(value: Any, years: int, months: int, days: int) -> Any:
    if isinstance(value, dt.time):
        if years or months or days:
            raise _Unsupported("Unsupported unit: " + ("Years" if years else "Months" if months else "Days"))
        return value
    return plus_period(value, years, months, days)


def _plus_duration(value: Any, nanos: int) -> Any:
    if type(value) is dt.date:
        if nanos:
            raise _Unsupported(f"Unsupported unit: {'Seconds' if nanos < 0 or nanos >= 10**9 else 'Nanos'}")
        return value
    return plus_nanos(value, nanos)


def calculate_end(start: Any, end: Any, s: DateTimeRowFilterSettings) -> Any:
    """calculateEndDateTime: the start plus the duration (a period when the text parses as one and
    fits the type, else a time-based duration) or plus the number of units; else the end."""
    try:
        if s.end_selection == "Duration":
            try:
                return _plus_period(start, *knime_period(s.period_value))
            except (ValueError, _Unsupported):
                try:
                    nanos = knime_duration(s.period_value)
                except ValueError as exc:
                    raise NodeError(
                        f"Text '{s.period_value}' could not be parsed: {exc}", setting="period_value"
                    ) from None
                return _plus_duration(start, nanos)
        if s.end_selection == "Numerical":
            unit = s.numerical_granularity
            if unit in _DATE_UNITS:
                if not -(2**31) <= s.numerical_value < 2**31:
                    raise NodeError("integer overflow", setting="numerical_value")
                y, m, d = (f * s.numerical_value for f in _DATE_UNITS[unit])
                return _plus_period(start, y, m, d)
            if unit not in _TIME_UNITS:
                raise NodeError(f"No constant with text {unit} found", setting="numerical_granularity")
            return _plus_duration(start, s.numerical_value * _TIME_UNITS[unit])
    except _Unsupported as exc:
        raise NodeError(str(exc), setting="end_selection") from None
    return end


# ------------------------------------------------------------------------------- the filter


def _kind(value: Any) -> str:
    """The word KNIME's messages use for the cell's type."""
    if isinstance(value, dt.datetime):
        return "datetime"
    return "date" if isinstance(value, dt.date) else "time"


class _Window:
    """filterRowLocalDate / LocalTime / LocalDateTime, one instance per execution (its execution
    time and its one warning)."""

    def __init__(self, s: DateTimeRowFilterSettings, now: dt.datetime) -> None:
        self.s = s
        self.start = parse_bound(s.start_date_time, "start_date_time", now)
        self.end = parse_bound(s.end_date_time, "end_date_time", now)
        self.start_now = now if s.start_always_now else None
        self.end_now = now if s.end_always_now else None
        self.warning: str | None = None
        self._ends: dict[str, Any] = {}

    def _point(self, value: Any, bound: Bound, now: dt.datetime | None) -> Any:
        if now is None:
            return bound.like(value)
        return Bound(now.date(), now.time(), True).like(value)

    def keep(self, value: Any) -> bool:
        s = self.s
        end = self._point(value, self.end, self.end_now)
        if not s.start_boolean:  # only an end (the end date&time, whatever the end mode)
            return (value == end and s.end_inclusive) or value < end
        start = self._point(value, self.start, self.start_now)
        if not s.end_boolean:
            return (value == start and s.start_inclusive) or value > start
        kind = _kind(value)
        if kind not in self._ends:
            self._ends[kind] = calculate_end(start, end, s)
        end = self._ends[kind]
        if value == start and s.start_inclusive:
            return True
        if value == end and s.end_inclusive:
            return True
        if start < value < end:
            return True
        by_amount = s.end_selection != "DateTime"
        if end < value < start and by_amount:
            return True
        if start > end and not by_amount and self.warning is None:
            self.warning = self._start_after_end(kind)
        return False

    def _start_after_end(self, word: str) -> str:
        reason = ""
        if self.start_now or self.end_now:
            which = (
                "start and end" if self.start_now and self.end_now else "start" if self.start_now else "end"
            )
            reason = f" Reason could be the {which} {word} being set to the execution {word}."
        return f"Node created an empty data table. The start {word} is after the end {word}.{reason}"


def _check(spec: TableSpec, s: DateTimeRowFilterSettings) -> None:
    if s.col_select is None or s.col_select not in spec:
        raise ConfigureError("The node was not configured yet. Open the dialog.", setting="col_select")
    now = dt.datetime.now()
    parse_bound(s.start_date_time, "start_date_time", now)
    parse_bound(s.end_date_time, "end_date_time", now)


def _date_time_filter_from_knime(knime: KnimeSettings) -> None:
    keys = ["col_select", "start_boolean", "end_boolean", "start_date_time", "end_date_time"]
    keys += ["start_always_now", "end_always_now", "start_inclusive", "end_inclusive"]
    knime.take_all([*keys, "period_value", "numerical_value", "numerical_granularity"])
    if knime.get("end_selection") is not None:
        knime.take("end_selection")
    knime.unread()


class DateTimeBasedRowFilter(Node):
    type_name = "date_time_based_row_filter"
    display_name = "Date&Time-based Row Filter"
    category = Category.MANIPULATOR
    description = (
        "Keeps the rows whose Local Date, Local Time or Local Date Time cell lies between a start and an end "
        "(each optional and inclusive or not); the end can be a date&time, a duration or a number of units "
        "after the start (a negative one reaches back). Missing cells and other types are dropped."
    )
    keywords = ("date filter", "time window", "filter by date", "date range", "temporal row filter")
    knime = (
        KnimeMapping(
            "org.knime.time.node.filter.datetimebasedrowfilter.DateTimeBasedRowFilterNodeFactory",
            "Date&Time-based Row Filter",
            _date_time_filter_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "A table with a Date&Time column."),)
    outputs = (Port(TABLE, "Output table", "The rows in the time window."),)
    Settings = DateTimeRowFilterSettings

    def cacheable(self, settings: Any) -> bool:
        """Not when a bound depends on the clock (execution time, or a part the text lacks)."""
        s: DateTimeRowFilterSettings = settings
        if s.start_always_now or s.end_always_now:
            return False
        now = dt.datetime.now()
        try:
            bounds = [parse_bound(t, n, now) for t, n in ((s.start_date_time, "s"), (s.end_date_time, "e"))]
        except ConfigureError:
            return True
        return all(b.complete for b in bounds)

    def configure(
        self, in_specs: list[Any], settings: DateTimeRowFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        _check(spec, settings)
        return [spec]

    def execute(self, inputs: list[Any], settings: DateTimeRowFilterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            _check(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        window = _Window(settings, dt.datetime.now())
        keep = np.zeros(len(table), dtype=bool)
        for i, value in enumerate(table.df[str(settings.col_select)].to_numpy(dtype=object)):
            if i % 10000 == 0:
                ctx.check_cancelled()
            if (
                isinstance(value, dt.date | dt.time) and value is not pd.NaT
            ):  # missing cells, other types: never
                keep[i] = window.keep(value)
        if window.warning:
            ctx.warn(window.warning)
        return [table.take(keep)]
