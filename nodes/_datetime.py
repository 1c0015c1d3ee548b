"""KNIME's basic Date&Time cells in Python: local date, local time and local date-time.

Cells are `datetime.date`, `datetime.time` and naive `datetime.datetime` objects in object
columns (None = missing). Their text is Java's `toString` (ISO-8601 with Java's shortening of
times: `12:30` when seconds and fractions are zero, fractions in groups of three digits), which is
what KNIME shows, what its CSV Writer writes and what String Manipulation receives.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from engine.api import ColumnType

_PYTHON_CLASS: dict[str, type] = {
    ColumnType.LOCAL_DATE: dt.date,
    ColumnType.LOCAL_TIME: dt.time,
    ColumnType.LOCAL_DATE_TIME: dt.datetime,
}


def java_time_text(value: dt.time) -> str:
    """Java's `LocalTime.toString`: HH:mm, then :ss when seconds or fractions are set, then the
    fraction as 3 or 6 digits (Python holds microseconds, so never Java's 9)."""
    text = f"{value.hour:02d}:{value.minute:02d}"
    micro = value.microsecond
    if value.second or micro:
        text += f":{value.second:02d}"
        if micro:
            text += f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"
    return text


def java_date_text(value: dt.date) -> str:
    """Java's `LocalDate.toString` (years above 9999 get a '+', as in Java)."""
    year = f"+{value.year}" if value.year > 9999 else f"{value.year:04d}"
    return f"{year}-{value.month:02d}-{value.day:02d}"


def date_time_text(value: Any) -> str:
    """A Date&Time cell as KNIME prints it (`2024-03-01`, `12:30`, `2024-03-01T12:30:05`)."""
    if isinstance(value, dt.datetime):
        return f"{java_date_text(value.date())}T{java_time_text(value.time())}"
    if isinstance(value, dt.date):
        return java_date_text(value)
    if isinstance(value, dt.time):
        return java_time_text(value)
    return str(value)


def parse_iso(text: str, col_type: str) -> Any:
    """An ISO-8601 text as a cell of `col_type` (Java's default `parse` of the type); ValueError
    when it does not parse."""
    text = text.strip()
    if col_type == ColumnType.LOCAL_DATE:
        return dt.date.fromisoformat(text)
    if col_type == ColumnType.LOCAL_TIME:
        return dt.time.fromisoformat(text)
    if col_type == ColumnType.LOCAL_DATE_TIME:
        if "T" not in text:  # Java's LocalDateTime.parse needs the 'T'
            raise ValueError(f"{text!r} is not an ISO local date-time (yyyy-MM-ddTHH:mm[:ss])")
        return dt.datetime.fromisoformat(text)
    raise ValueError(f"{col_type} is not a Date&Time type")


def is_date_time_type(col_type: str) -> bool:
    return col_type in ColumnType.DATE_TIME


def python_class(col_type: str) -> type:
    return _PYTHON_CLASS[col_type]
