"""KNIME's basic Date&Time cells in Python: local date, local time and local date-time.

Cells are `datetime.date`, `datetime.time` and naive `datetime.datetime` objects in object
columns (None = missing). Their text is Java's `toString` (ISO-8601 with Java's shortening of
times: `12:30` when seconds and fractions are zero, fractions in groups of three digits), which is
what KNIME shows, what its CSV Writer writes and what String Manipulation receives.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
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


# ------------------------------------------------------------------- java.time.format patterns

_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class DateTimePattern:
    """A `DateTimeFormatter.ofPattern` pattern as a parser (SMART resolving, English names).

    Supported letters: y u (year), M L (month, numbers or names), d, D (day of year), H k (hour of
    day), h K with a (AM/PM), m, s, S (fraction), n (nanos), E (day name, checked for form only),
    literals in quotes, optional sections in [ ]; zone letters (V z X x Z O) are read and ignored,
    as parsing into a local type does."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.fields: list[str] = []
        regex, i = self._sequence(pattern, 0, top=True)
        self.regex = re.compile(regex, re.IGNORECASE)

    def _sequence(self, p: str, i: int, top: bool) -> tuple[str, int]:
        out: list[str] = []
        while i < len(p):
            ch = p[i]
            if ch == "[":
                inner, i = self._sequence(p, i + 1, top=False)
                out.append(f"(?:{inner})?")
                continue
            if ch == "]":
                if top:
                    raise ValueError(f"unbalanced ']' in pattern {p!r}")
                return "".join(out), i + 1
            if ch == "'":
                end = p.find("'", i + 1)
                if end < 0:
                    raise ValueError(f"unterminated quote in pattern {p!r}")
                text = p[i + 1 : end] or "'"
                out.append(re.escape(text))
                i = end + 1
                continue
            if ch.isalpha():
                j = i
                while j < len(p) and p[j] == ch:
                    j += 1
                out.append(self._field(ch, j - i))
                i = j
                continue
            out.append(re.escape(ch))
            i += 1
        if not top:
            raise ValueError(f"unbalanced '[' in pattern {p!r}")
        return "".join(out), i

    def _group(self, name: str, body: str) -> str:
        key = f"{name}__{len(self.fields)}"
        self.fields.append(key)
        return f"(?P<{key}>{body})"

    def _field(self, ch: str, n: int) -> str:
        if ch in "yu":
            return self._group("year", r"\d{2}" if n == 2 else r"[+-]?\d{" + str(max(n, 1)) + ",}")
        if ch in "ML":
            if n >= 3:
                return self._group("monthname" if n >= 4 else "monthshort", r"[A-Za-z]+\.?")
            return self._group("month", r"\d{2}" if n == 2 else r"\d{1,2}")
        numeric = {
            "d": "day",
            "D": "dayofyear",
            "H": "hour",
            "k": "hour24",
            "h": "hour12",
            "K": "hour11",
            "m": "minute",
            "s": "second",
        }
        if ch in numeric:
            width = r"\d{" + str(n) + "}" if n >= 2 else r"\d{1," + ("3" if ch == "D" else "2") + "}"
            return self._group(numeric[ch], width)
        if ch == "S":
            return self._group("fraction", r"\d{" + str(n) + "}")
        if ch == "n":
            return self._group("nano", r"\d{1,9}")
        if ch == "a":
            return self._group("ampm", r"AM|PM")
        if ch in "Ee":
            return r"[A-Za-z]+\.?"
        if ch in "VzXxZO":
            return r"(?:Z|[+-]\d{2}(?::?\d{2})?(?::?\d{2})?|[A-Za-z_/]+(?:[+-]\d+)?|GMT[+-]?[\d:]*)"
        if ch == "G":
            return r"(?:AD|BC|Anno Domini|Before Christ)"
        raise ValueError(f"pattern letter {ch!r} is not supported (pattern {self.pattern!r})")

    def parse(self, text: str, col_type: str) -> Any:
        """The cell of `col_type` the text stands for; ValueError as Java's DateTimeParseException."""
        m = self.regex.fullmatch(text)
        if m is None:
            raise ValueError(f"Text '{text}' could not be parsed with pattern '{self.pattern}'")
        values: dict[str, str] = {}
        for key in self.fields:
            if m.group(key) is not None:
                values[key.split("__")[0]] = m.group(key)
        try:
            return self._build(values, col_type, text)
        except ValueError as exc:
            raise ValueError(f"Text '{text}' could not be parsed: {exc}") from None

    def _build(self, v: dict[str, str], col_type: str, text: str) -> Any:
        date = time = None
        if col_type in (ColumnType.LOCAL_DATE, ColumnType.LOCAL_DATE_TIME):
            if "year" not in v:
                raise ValueError("no year")
            year = int(v["year"])
            if len(v["year"].lstrip("+-")) == 2:
                year += 2000
            if "dayofyear" in v and "month" not in v and "monthname" not in v and "monthshort" not in v:
                date = dt.date(year, 1, 1) + dt.timedelta(days=int(v["dayofyear"]) - 1)
                if date.year != year:
                    raise ValueError("invalid day of year")
            else:
                month = self._month(v)
                day = int(v["day"]) if "day" in v else _missing("day")
                if 1 <= day <= 31 and 1 <= month <= 12:  # ResolverStyle.SMART: day 29-31 clamped to the month
                    day = min(day, calendar.monthrange(year, month)[1])
                date = dt.date(year, month, day)
        if col_type in (ColumnType.LOCAL_TIME, ColumnType.LOCAL_DATE_TIME):
            hour = self._hour(v)
            fraction = v.get("fraction")
            micro = (
                int(fraction.ljust(6, "0")[:6]) if fraction else int(v["nano"]) // 1000 if "nano" in v else 0
            )
            time = dt.time(
                hour,
                int(v["minute"]) if "minute" in v else _missing("minute"),
                int(v.get("second", 0)),
                micro,
            )
        if col_type == ColumnType.LOCAL_DATE:
            return date
        if col_type == ColumnType.LOCAL_TIME:
            return time
        assert date is not None and time is not None
        return dt.datetime.combine(date, time)

    @staticmethod
    def _month(v: dict[str, str]) -> int:
        if "month" in v:
            return int(v["month"])
        name = (v.get("monthname") or v.get("monthshort") or "").rstrip(".").lower()
        if not name:
            return _missing("month")
        for i, month in enumerate(_MONTHS, start=1):
            if (month == name) if "monthname" in v else month.startswith(name) and len(name) >= 3:
                return i
        raise ValueError(f"unknown month {name!r}")

    @staticmethod
    def _hour(v: dict[str, str]) -> int:
        if "hour" in v:
            return int(v["hour"])
        if "hour24" in v:
            return int(v["hour24"]) % 24
        twelve = v.get("hour12") or v.get("hour11")
        if twelve is None:
            return _missing("hour")
        hour = int(twelve) % 12
        return hour + 12 if v.get("ampm", "AM").upper() == "PM" else hour


def _missing(what: str) -> int:
    raise ValueError(f"no {what} in the text")
