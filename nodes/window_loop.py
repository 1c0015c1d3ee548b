"""KNIME's Window Loop Start: a window slid over the input table, one loop pass per position.

The node is a streaming state machine in KNIME (LoopStartWindowNodeModel, org.knime.time): each
execution reads on from a row iterator and a buffer of overlapping rows, and `terminateLoop`
decides after each pass whether another follows. knitflow replays that machine once, up front, so
the passes are known before the first runs (`plan`: they may run in parallel) and come out as
KNIME's do, quirks included: the padding rows of row-based windows are the missing rows KNIME
calls `LSW_Missing_Row<n>`, numbered on through the passes; the backward time window takes its
size in the *step's* unit; a time column must be sorted ascending, missing cells are skipped.
The node pushes no loop variables (KNIME's pushes none either).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    ColumnType,
    ConfigureError,
    Iteration,
    LoopStartNode,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._datetime import date_time_text, knime_duration, knime_period, plus_nanos, plus_period
from nodes._rows import is_missing, take

WindowDefinition = Literal["FORWARD", "BACKWARD", "CENTRAL"]
Trigger = Literal["ROW", "TIME"]
# LoopStartWindowConfiguration.Unit: saved by its name, read back by it (anything else is NO_UNIT)
Unit = Literal[
    "duration", "millisecond(s)", "second(s)", "minute(s)", "hour(s)", "day(s)", "month(s)", "year(s)"
]
_UNIT_LETTERS: dict[str, str] = {
    "duration": "",
    "millisecond(s)": "ms",
    "second(s)": "s",
    "minute(s)": "m",
    "hour(s)": "h",
    "day(s)": "d",
    "month(s)": "M",
    "year(s)": "y",
}
MISSING_ROW_ID = "LSW_Missing_Row"


class WindowLoopStartSettings(NodeSettings):
    """LoopStartWindowConfiguration, with the model's `selectedTimeColumn` and `start`."""

    windowDefinition: WindowDefinition = Field(  # noqa: N815 (KNIME's key)
        "FORWARD",
        description="Where the current point lies in its window: FORWARD (first row / start of the window), "
        "BACKWARD (last row / end) or CENTRAL (middle).",
    )
    trigger: Trigger = Field("ROW", description="ROW: sizes count rows; TIME: sizes are date&time amounts.")
    eventStepSize: int = Field(1, ge=1, description="Row based: rows the window moves per pass.")  # noqa: N815
    eventWindowSize: int = Field(1, ge=1, description="Row based: rows in a window.")  # noqa: N815
    timeStepSize: str | None = Field(  # noqa: N815
        None,
        description="Time based: the step, a number in `timeStepUnit` (or a duration text such as 1h 30m).",
    )
    timeStepUnit: Unit = Field(
        "duration", description="Unit of timeStepSize (duration: the text carries it)."
    )  # noqa: N815
    timeWindowSize: str | None = Field(  # noqa: N815
        None, description="Time based: the window's size, a number in `timeWindowUnit`."
    )
    timeWindowUnit: Unit = Field("duration", description="Unit of timeWindowSize.")  # noqa: N815
    limitWindow: bool = Field(  # noqa: N815
        False,
        description="Row based: move the window so that it never reaches beyond the table (no padding rows; "
        "rows at the start or end may be left out).",
    )
    useSpecifiedStartTime: bool = Field(  # noqa: N815
        False, description="Time based: start at `start` instead of at the first row's time."
    )
    selectedTimeColumn: str | None = Field(  # noqa: N815
        None,
        json_schema_extra=widget("column"),
        description="Time based: the Local Date, Local Date Time or Local Time column, sorted ascending.",
    )
    start: str | None = Field(
        None,
        description="Time based: the start as ISO text (2024-01-01T00:00, or 08:00 for a Local Time column).",
    )


def _window_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        [
            "windowDefinition",
            "trigger",
            "eventStepSize",
            "eventWindowSize",
            "timeStepSize",
            "timeWindowSize",
            "limitWindow",
            "useSpecifiedStartTime",
            "selectedTimeColumn",
            "start",
        ]
    )
    for key in ("timeStepUnit", "timeWindowUnit"):
        value = knime.tree.get(key)
        if value is not None and value not in _UNIT_LETTERS:
            knime.note(f"{key} {value!r} is not a unit KNIME knows: it reads it as no unit (duration)")
        knime.take(key, transform=lambda v: v if v in _UNIT_LETTERS else "duration")
    knime.unread()


# ------------------------------------------------------------------------------------ time amounts


@dataclass(frozen=True)
class _Amount:
    """A java.time Duration (nanoseconds) or Period (years, months, days)."""

    nanos: int | None = None
    period: tuple[int, int, int] | None = None

    def negated(self) -> _Amount:
        if self.period is not None:
            y, m, d = self.period
            return _Amount(period=(-y, -m, -d))
        return _Amount(nanos=-(self.nanos or 0))

    def halved(self) -> _Amount:
        """Duration.dividedBy(2) (towards zero); a Period cannot be halved (KNIME casts it to Duration)."""
        if self.nanos is None:
            raise NodeError(
                "central time windows need a time-based size (KNIME: ClassCastException for a Period)"
            )
        half = abs(self.nanos) // 2
        return _Amount(nanos=half if self.nanos >= 0 else -half)


def _amount(text: str) -> _Amount | None:
    """LoopStartWindowNodeModel.getTemporalAmount: a Duration, else a Period, else None."""
    try:
        return _Amount(nanos=knime_duration(text))
    except ValueError:
        try:
            return _Amount(period=knime_period(text))
        except ValueError:
            return None


def _amount_text(size: str | None, unit: str) -> str:
    return f"{size}{_UNIT_LETTERS[unit]}"  # Java's string concatenation: a null size reads "null"


def _plus(t: Any, amount: _Amount) -> Any:
    if amount.period is not None:
        if not isinstance(t, dt.datetime):
            raise NodeError("a date-based step or window (days, months, years) cannot move a Local Time")
        try:
            return plus_period(t, *amount.period)
        except OverflowError as exc:
            raise NodeError(f"the window moved beyond knitflow's date range: {exc}") from None
    try:
        return plus_nanos(t, amount.nanos or 0)
    except OverflowError:
        raise NodeError(
            "the window moved beyond year 9999, which knitflow's date&time cells cannot hold"
        ) from None


def _minus(t: Any, amount: _Amount) -> Any:
    return _plus(t, amount.negated())


def _smallest(t: Any) -> Any:
    """getMin: LocalTime.MIN, or the earliest date-time (KNIME's LocalDateTime.MIN lies before year 1;
    both precede every cell)."""
    return dt.time.min if isinstance(t, dt.time) else dt.datetime.min


def _cmp(a: Any, b: Any) -> int:
    if a is None or b is None:  # a field KNIME has not set yet: a NullPointerException there
        raise NodeError("KNIME fails at this point of the time window (NullPointerException)")
    if type(a) is not type(b):
        raise NodeError(
            f"cannot compare {date_time_text(a)} with {date_time_text(b)}: the start time's type does not fit "
            "the time column (Local Date columns are compared as date-times at midnight)"
        )
    return -1 if a < b else (1 if a > b else 0)


# -------------------------------------------------------------------------------- the row iterator


class _Rows:
    """CloseableRowIterator over row positions; a closed iterator has no next row."""

    def __init__(self, n: int) -> None:
        self.i, self.n, self.closed = 0, n, False

    def has_next(self) -> bool:
        return not self.closed and self.i < self.n

    def next(self) -> int:
        if not self.has_next():
            raise NodeError(
                "KNIME fails here: the window asked for a row after the last (NoSuchElementException)"
            )
        self.i += 1
        return self.i - 1

    def close(self) -> None:
        self.closed = True


MISSING = -1  # a padding row (KNIME's MissingRow)


@dataclass
class _Machine:
    """LoopStartWindowNodeModel's state: one `execute` per pass, `terminate` after each."""

    settings: WindowLoopStartSettings
    n: int
    times: list[Any] = field(default_factory=list)  # the time column's values as temporals (None: missing)
    warnings: list[str] = field(default_factory=list)
    cur: int = 0  # m_currRow
    rows: _Rows | None = None
    buf: list[int] = field(default_factory=list)
    next_start: Any = None
    window_end: Any = None
    prev: Any = None
    last: bool = False
    start_value: Any = None
    step: _Amount | None = None
    window: _Amount | None = None

    # ------------------------------------------------------------------------------- passes

    def execute(self) -> list[int]:
        if self.cur == 0:  # KNIME starts over while no row has been handed out (m_currRow == 0)
            self.rows = _Rows(self.n)
            self.buf = []
            if self.n == 0:
                return []
        s = self.settings
        if s.trigger == "ROW":
            return {"FORWARD": self._forward, "BACKWARD": self._backward, "CENTRAL": self._central}[
                s.windowDefinition
            ]()
        return {"FORWARD": self._t_forward, "BACKWARD": self._t_backward, "CENTRAL": self._t_central}[
            s.windowDefinition
        ]()

    def terminate(self) -> bool:
        s = self.settings
        if s.trigger == "ROW":
            size = s.eventWindowSize
            if s.limitWindow:
                if self.n < size:
                    return True
                if s.windowDefinition == "FORWARD":
                    return self.n - self.cur < size
                if s.windowDefinition == "BACKWARD":
                    return self.cur >= self.n
                return self.n - self.cur < -(-size // 2) - 1
            return self.cur >= self.n
        assert self.rows is not None
        return self.last or (not self.rows.has_next() and not self.buf)

    # ---------------------------------------------------------------------------- row based

    def _skip_gap(self) -> None:
        """A step longer than the window jumps over the rows between two windows."""
        s = self.settings
        rows = self.rows
        assert rows is not None
        if s.eventStepSize > s.eventWindowSize and self.cur > 0:
            gap = s.eventStepSize - s.eventWindowSize
            while gap > 0 and rows.has_next():
                rows.next()
                gap -= 1

    def _limit_start(self, front: int) -> None:
        """limitWindow: move the first window until `front` rows precede the current row."""
        s = self.settings
        rows = self.rows
        assert rows is not None
        if not (s.limitWindow and self.cur < front + (1 if s.windowDefinition == "BACKWARD" else 0)):
            return
        buffer_start, next_row = -front, self.cur
        while buffer_start < 0:
            buffer_start += s.eventStepSize
            next_row += s.eventStepSize
        while self.cur < buffer_start and rows.has_next():
            rows.next()
            self.cur += 1
        while self.cur < next_row and rows.has_next():
            self.buf.append(rows.next())
            self.cur += 1

    def _fill_rows(self, out: list[int], count: int) -> None:
        """Buffered rows that overlap, then new rows up to the window size; rows the next window
        shares are kept in the buffer."""
        s = self.settings
        rows = self.rows
        assert rows is not None
        kept = []
        for r in self.buf:
            out.append(r)
            if count >= s.eventStepSize:
                kept.append(r)
            count += 1
        self.buf = kept
        while len(out) < s.eventWindowSize and rows.has_next():
            r = rows.next()
            if count >= s.eventStepSize:
                self.buf.append(r)
            out.append(r)
            count += 1

    def _forward(self) -> list[int]:
        s = self.settings
        self._skip_gap()
        out: list[int] = []
        self._fill_rows(out, 0)
        out.extend([MISSING] * (s.eventWindowSize - len(out)))
        self.cur += s.eventStepSize
        return out

    def _backward(self) -> list[int]:
        s = self.settings
        self._skip_gap()
        self._limit_start(s.eventWindowSize - 1)
        out: list[int] = []
        while len(out) < s.eventWindowSize - (self.cur + 1):
            out.append(MISSING)
        self._fill_rows(out, len(out))
        self.cur += s.eventStepSize
        return out

    def _central(self) -> list[int]:
        s = self.settings
        half = s.eventWindowSize // 2
        self._skip_gap()
        self._limit_start(half)
        out: list[int] = []
        while len(out) < half - self.cur:
            out.append(MISSING)
        self._fill_rows(out, len(out))
        out.extend([MISSING] * (s.eventWindowSize - len(out)))
        self.cur += s.eventStepSize
        return out

    # --------------------------------------------------------------------------- time based

    def _t(self, pos: int) -> Any:
        value = self.times[pos]
        if value is None:  # getTemporal of a missing cell is null: compareTemporal throws
            raise NodeError("Data must be of type LocalDate, LocalDateTime, LocalTime, or ZonedDateTime")
        return value

    def _missing(self, pos: int) -> bool:
        return self.times[pos] is None

    def _warn_missing(self) -> None:
        text = "Detected missing values for specified column; rows have been skipped."
        if text not in self.warnings:
            self.warnings.append(text)

    def _first_present(self) -> int | None:
        rows = self.rows
        assert rows is not None
        first = rows.next()
        while self._missing(first) and rows.has_next():
            first = rows.next()
            self._warn_missing()
        if self._missing(first):
            self.warnings.append(f"Column '{self.settings.selectedTimeColumn}' only contains missing values.")
            return None
        return first

    def _no_window(self) -> list[int]:
        self.warnings.append("No row lies within any of the possible windows.")
        return []

    def _t_forward(self) -> list[int]:
        rows, step, window = self.rows, self.step, self.window
        assert rows is not None and step is not None and window is not None
        overflow = False
        self.last = False
        if self.next_start is None and rows.has_next():
            first = self._first_present()
            if first is None:
                return []
            first_start = self._t(first)
            self.prev = self._t(first)
            if self.settings.useSpecifiedStartTime:
                first_start = self.start_value
                self.next_start = first_start
                self.window_end = _plus(self.next_start, window)
                if _cmp(self.window_end, self.next_start) <= 0:
                    while rows.has_next() and _cmp(self._t(first), self.next_start) < 0:
                        first = rows.next()
                    if _cmp(self._t(first), self.next_start) >= 0:
                        self.buf.insert(0, first)
                else:
                    self._skip_window(first)
                    first_start = self.next_start
                if not self.buf:
                    return []
            self.next_start = _plus(first_start, step)
            if _cmp(self.next_start, first_start) <= 0:
                self.last = True
            temp = _plus(first_start, window)
            if _cmp(temp, first_start) <= 0:
                overflow = True
            else:
                self.window_end = temp
            if not self.settings.useSpecifiedStartTime:
                self.buf.append(first)
        else:
            if not self.buf:
                raise NodeError(
                    "KNIME fails here: no buffered row for the next window (NoSuchElementException)"
                )
            self.prev = self._t(self.buf[0])
            temp = _plus(self.next_start, window)
            if _cmp(temp, _minus(self.next_start, step)) <= 0:
                overflow = True
            else:
                self.window_end = temp
                temp = _plus(self.next_start, step)
                if _cmp(temp, self.next_start) <= 0:
                    self.last = True
                else:
                    self.next_start = temp
        return self._fill_time(overflow)

    def _advance_backward(self, window: _Amount) -> None:
        """The next window's start from the current end (or the last window, when the end overflows)."""
        step = self.step
        assert step is not None
        following_end = _plus(self.window_end, step)
        if _cmp(following_end, self.window_end) <= 0:
            self.last = True
        else:
            self.next_start = _minus(following_end, window)
            if _cmp(self.next_start, following_end) >= 0:
                self.next_start = _smallest(following_end)

    def _t_backward(self) -> list[int]:
        s = self.settings
        rows, step = self.rows, self.step
        assert rows is not None and step is not None
        # KNIME's backward window takes its size in the step's unit
        window = _amount(_amount_text(s.timeWindowSize, s.timeStepUnit))
        if window is None:
            raise NodeError(
                f"the backward window's size {s.timeWindowSize!r} does not parse in the step's unit "
                f"({s.timeStepUnit}), which KNIME uses for it (NullPointerException in KNIME)"
            )
        self.window = window
        overflow = False
        self.last = False
        if self.next_start is None and rows.has_next():
            first = self._first_present()
            if first is None:
                return []
            first_end = self._t(first)
            if s.useSpecifiedStartTime:
                first_end = self.start_value
                while _cmp(self._t(first), first_end) > 0:
                    following = _plus(first_end, step)
                    if _cmp(following, first_end) <= 0:
                        return self._no_window()
                    first_end = following
                self.next_start = _minus(first_end, window)
                if _cmp(self.next_start, first_end) >= 0:
                    self.next_start = _smallest(self.next_start)
                    self.buf.append(first)
                else:
                    self._skip_window(first)
                    first_end = _plus(self.next_start, window)
                    if _cmp(first_end, self.next_start) <= 0:
                        return self._no_window()
                if not self.buf:
                    return self._no_window()
            self.window_end = first_end
            self.prev = self._t(first)
            if not s.useSpecifiedStartTime:
                self.buf.append(first)
            self._advance_backward(window)
        else:
            following_end = _plus(self.window_end, step)
            if _cmp(following_end, self.window_end) <= 0:
                self.last = True
            else:
                self.next_start = _plus(_minus(following_end, window), step)
                if _cmp(self.next_start, following_end) >= 0:
                    self.next_start = _smallest(following_end)
            self.window_end = following_end
        self._advance_backward(window)
        return self._fill_time(overflow)

    def _next_central(self, following_end: Any, following_start: Any, following_mid: Any) -> None:
        window_end = self.window_end
        end_overflows = _cmp(following_end, window_end) <= 0
        if end_overflows and _cmp(following_mid, following_end) < 0:
            self.last = True
        elif _cmp(following_end, window_end) > 0 and _cmp(following_start, following_end) >= 0:
            self.next_start = _smallest(following_start)
        else:
            self.next_start = following_start

    def _t_central(self) -> list[int]:
        s = self.settings
        rows, step, window = self.rows, self.step, self.window
        assert rows is not None and step is not None and window is not None
        if step.nanos is None:
            raise NodeError(
                "central time windows need a time-based step (KNIME: ClassCastException for a Period)"
            )
        half = window.halved()
        overflow = False
        self.last = False
        if self.next_start is None and rows.has_next():
            first = self._first_present()
            if first is None:
                return []
            first_start = self._t(first)
            self.prev = first_start
            if s.useSpecifiedStartTime:
                first_start = self.start_value
                first_end = _plus(first_start, half)
                if _cmp(first_end, first_start) <= 0:
                    overflow = True
                while not overflow and _cmp(self._t(first), first_end) > 0:
                    following = _plus(first_end, step)
                    if _cmp(following, first_end) <= 0:
                        break
                    first_end = following
                self.next_start = _minus(first_end, window)
                first_start = _minus(first_end, half)
                if _cmp(self.next_start, first_end) >= 0 and not overflow:
                    self.next_start = _smallest(self.next_start)
                    self.buf.append(first)
                else:
                    self._skip_window(first)
                if not self.buf:
                    return self._no_window()
            self.window_end = _plus(first_start, half)
            self.next_start = _minus(first_start, half)
            if _cmp(self.window_end, first_start) <= 0:
                overflow = True
                self.last = True
            else:
                following_end = _plus(self.window_end, step)
                self._next_central(following_end, _minus(following_end, window), _minus(following_end, half))
            if not s.useSpecifiedStartTime:
                self.buf.append(first)
        else:
            if not self.buf:
                raise NodeError(
                    "KNIME fails here: no buffered row for the next window (NoSuchElementException)"
                )
            self.prev = self._t(self.buf[0])
            following = _plus(self.window_end, step)
            if _cmp(following, self.window_end) <= 0:
                overflow = True
            else:
                self.window_end = following
                following_end = _plus(self.window_end, step)
                middle = _minus(self.window_end, half)
                self._next_central(following_end, _minus(following_end, window), _plus(middle, step))
        return self._fill_time(overflow)

    # complexity: a statement-for-statement replay of LoopStartWindowNodeModel's time-window fill, kept whole
    def _fill_time(self, overflow: bool) -> list[int]:
        """What the three time windows share: buffered rows, then new rows up to the window's end,
        then the row that starts the search for the next window."""
        rows, step = self.rows, self.step
        assert rows is not None and step is not None
        out: list[int] = []
        all_in = True
        kept: list[int] = []
        for k, r in enumerate(self.buf):
            if not overflow and _cmp(self._t(r), self.window_end) > 0:
                all_in = False
                kept.extend(self.buf[k:])
                break
            out.append(r)
            self.cur += 1
            if not (overflow or self.last or _cmp(self._t(r), self.next_start) < 0):
                kept.append(r)
        self.buf = kept
        last_missing = False
        added = False
        while rows.has_next() and all_in:
            r = rows.next()
            if self._missing(r):
                self._warn_missing()
                last_missing = True
                continue
            last_missing = False
            current = self._t(r)
            if _cmp(current, self.prev) < 0:
                raise NodeError(
                    "Table not in ascending order concerning chosen temporal column (use Sorter prior to "
                    "Window Loop Start)."
                )
            self.prev = current
            if not self.last and not overflow and _cmp(current, self.next_start) >= 0:
                self.buf.append(r)
                added = True
            if overflow or _cmp(current, self.window_end) <= 0:
                out.append(r)
                self.cur += 1
                if not rows.has_next():
                    self.last = True
            else:
                break
        if last_missing:
            self.last = True
        row: int | None = None
        if self.last:
            rows.close()
        elif not all_in:
            row = self.buf.pop(0)
        elif not rows.has_next() and not added:
            rows.close()
            self.last = True
        elif not self.buf:
            row = rows.next()
            while self._missing(row) and rows.has_next():
                row = rows.next()
                self._warn_missing()
            if self._missing(row):
                row = None
                self._warn_missing()
        elif not overflow:
            reach = _plus(self.window_end, step)
            if _cmp(reach, self.window_end) > 0 and _cmp(self._t(self.buf[0]), reach) >= 0:
                row = self.buf.pop(0)
        self._skip_window(row)
        return out

    def _skip_window(self, row: int | None) -> None:
        """skipTemporalWindow: move the window on until `row` (or a later one) lies in the next."""
        rows, step, window = self.rows, self.step, self.window
        assert rows is not None and step is not None and window is not None
        while row is not None:
            while _cmp(self._t(row), self.next_start) < 0 and rows.has_next():
                candidate = rows.next()
                if self._missing(candidate):
                    self._warn_missing()
                    continue
                if _cmp(self.prev, self._t(candidate)) > 0:
                    raise NodeError(
                        "Table not in ascending order concerning chosen temporal column (use Sorter prior to "
                        "Window Loop Start)."
                    )
                self.prev = self._t(row)  # KNIME remembers the row it leaves, not the one it reads
                row = candidate
            if _cmp(_plus(self.next_start, window), self.next_start) < 0:
                definition = self.settings.windowDefinition
                if definition == "FORWARD":
                    self.buf.insert(0, row)
                elif definition == "CENTRAL":
                    floor = _plus(_smallest(self.next_start), window.halved())
                    if (
                        _cmp(_plus(self.next_start, window), floor) < 0
                        and _cmp(self._t(row), self.next_start) >= 0
                    ):
                        self.buf.insert(0, row)
                break
            reach = _plus(self.window_end, step)
            if _cmp(self._t(row), reach) <= 0:
                self.buf.insert(0, row)
                break
            if _cmp(self._t(row), self.next_start) <= 0 and not rows.has_next():
                break
            following_end = _plus(reach, step)
            following_start = _minus(following_end, window)
            if _cmp(following_end, self.window_end) <= 0 and _cmp(following_start, following_end) <= 0:
                rows.close()
                break
            if _cmp(following_start, following_end) >= 0:
                self.next_start = _smallest(self.next_start)
            else:
                self.next_start = following_start
            self.window_end = reach


# ----------------------------------------------------------------------------------------- the node


def _parse_start(text: str | None) -> Any:
    """SettingsModelDateTime's text: ISO local date-time, date or time (None: none set). A zone
    (KNIME's ZonedDateTime start) is refused: knitflow has no zoned columns to compare it with."""
    if text is None or text.strip() in ("", "missing"):
        return None
    text = text.strip()
    try:
        if "T" in text:
            if text.endswith("Z") or "[" in text or "+" in text[10:] or "-" in text[10:]:
                raise NodeError(
                    f"start {text!r} carries a time zone: knitflow has no zoned date&time columns"
                )
            return dt.datetime.fromisoformat(text)
        if ":" in text:
            return dt.time.fromisoformat(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise NodeError(
            f"Setting for <start> '{text}' could not be parsed as a date, time, or time zone.",
            setting="start",
        ) from None


def _temporal(value: Any) -> Any:
    """getTemporal: a Local Date cell is compared as its date-time at midnight."""
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, dt.datetime | dt.time):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time.min)
    return None


def _check_time(spec: TableSpec, s: WindowLoopStartSettings) -> tuple[_Amount, _Amount]:
    """LoopStartWindowNodeModel.configure (time based), message for message."""
    column = s.selectedTimeColumn
    if column is None or column not in spec:
        raise ConfigureError(
            f"Selected time column '{column}' does not exist in input table.", setting="selectedTimeColumn"
        )
    if s.useSpecifiedStartTime and _parse_start(s.start) is None:
        raise ConfigureError(
            f"Specified start time is not compatible with selected time column '{column}'", setting="start"
        )
    is_time = spec.type_of(column) == ColumnType.LOCAL_TIME
    step = _amount(_amount_text(s.timeStepSize, s.timeStepUnit))
    if s.timeStepSize is None:
        raise ConfigureError("No temporal step size set.", setting="timeStepSize")
    if step is None:
        raise ConfigureError(
            "Given step size couldn't be matched to type Duration or Period.", setting="timeStepSize"
        )
    if step.period is not None and is_time:
        raise ConfigureError("Step size: Period type not allowed for LocalTime", setting="timeStepSize")
    window = _amount(_amount_text(s.timeWindowSize, s.timeWindowUnit))
    if s.timeWindowSize is None:
        raise ConfigureError("No window size set.", setting="timeWindowSize")
    if window is None:
        raise ConfigureError(
            "Given window size couldn't be machted to type Duration or Period.", setting="timeWindowSize"
        )
    if step.period is not None and is_time:  # sic: KNIME tests the step here again
        raise ConfigureError("Window size: Period type not allowed for LocalTime", setting="timeWindowSize")
    return step, window


def window_positions(table: Table, s: WindowLoopStartSettings) -> tuple[list[list[int]], list[str]]:
    """Every pass's rows (positions, MISSING for a padding row) and the warnings KNIME logs."""
    machine = _Machine(s, len(table))
    if s.trigger == "TIME":
        machine.step, machine.window = _check_time(table.spec, s)
        column = str(s.selectedTimeColumn)
        machine.times = [_temporal(v) for v in table.df[column].tolist()]
        if any(v is None and not is_missing(x) for v, x in zip(machine.times, table.df[column], strict=True)):
            raise NodeError("Data must be of type LocalDate, LocalDateTime, LocalTime, or ZonedDateTime")
        if s.useSpecifiedStartTime:
            machine.start_value = _parse_start(s.start)
    passes = [machine.execute()]
    while not machine.terminate():
        passes.append(machine.execute())
    return passes, machine.warnings


def _window_table(table: Table, positions: list[int], counter: int) -> tuple[Table, int]:
    """The rows at `positions`, padding rows as all-missing rows named LSW_Missing_Row<n>."""
    if MISSING not in positions:
        return table.take(np.asarray(positions, dtype=np.int64)), counter
    index = []
    for p in positions:
        if p == MISSING:
            index.append(f"{MISSING_ROW_ID}{counter}")
            counter += 1
        else:
            index.append(str(table.df.index[p]))
    at = np.asarray(positions, dtype=np.int64)
    df = pd.DataFrame({c: take(table.df[c], table.types[c], at) for c in table.columns})
    df.index = pd.Index(index, dtype=object)
    df.attrs = dict(table.df.attrs)
    return Table(df, dict(table.types)), counter


class WindowLoopStart(LoopStartNode):
    """KNIME's Window Loop Start."""

    type_name = "window_loop_start"
    display_name = "Window Loop Start"
    description = (
        "Slides a window over the input table, one loop pass per position. Row based: windows of "
        "`eventWindowSize` rows moved by `eventStepSize` rows, padded with all-missing rows (RowIDs "
        "LSW_Missing_Row0, 1, ...) where they reach beyond the table unless `limitWindow`; FORWARD windows start "
        "at the current row, BACKWARD ones end there, CENTRAL ones centre on it. Time based: windows of "
        "`timeWindowSize` over a sorted Local Date, Local Date Time or Local Time column, moved by "
        "`timeStepSize` (missing cells skipped; a window with no row is skipped). RowIDs are kept; no loop "
        "variables are pushed. KNIME numbers its padding rows by a counter that its table container may read "
        "more than once per row: knitflow counts one per padding row."
    )
    keywords = ("loop", "window", "sliding window", "moving window", "time window", "streaming")
    knime = (
        KnimeMapping(
            "org.knime.time.node.window.LoopStartWindowNodeFactory", "Window Loop Start", _window_from_knime
        ),
    )
    inputs = (Port(TABLE, "Any table", "The table whose windows the passes receive."),)
    outputs = (Port(TABLE, "Windowed input", "The rows of the current window."),)
    Settings = WindowLoopStartSettings

    def loop_variables(self, in_specs: list[Any], settings: WindowLoopStartSettings) -> dict[str, str]:
        return {}

    def configure(
        self, in_specs: list[Any], settings: WindowLoopStartSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        if settings.trigger == "TIME":
            _check_time(spec, settings)
        return [spec]

    def plan(self, inputs: list[Any], settings: WindowLoopStartSettings, ctx: NodeContext) -> list[Iteration]:
        table: Table = inputs[0]
        passes, warnings = window_positions(table, settings)
        for text in warnings:
            ctx.warn(text)
        counter = 0
        iterations = []
        for positions in passes:
            window, counter = _window_table(table, positions, counter)
            iterations.append(Iteration([window], {}, total=len(passes)))
        return iterations

    def iterations(
        self, inputs: list[Any], settings: WindowLoopStartSettings, ctx: NodeContext
    ) -> Iterator[Iteration]:
        yield from self.plan(inputs, settings, ctx)
