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


# ------------------------------------------------------------- java.time formatting (English)

_QUARTERS = ["1st quarter", "2nd quarter", "3rd quarter", "4th quarter"]
# letter -> (ChronoField name in Java's "Unsupported field" message, the widest count ofPattern takes)
_FORMAT_LETTERS: dict[str, tuple[str, int]] = {
    "G": ("Era", 5),
    "u": ("Year", 19),
    "y": ("YearOfEra", 19),
    "Q": ("QuarterOfYear", 5),
    "q": ("QuarterOfYear", 5),
    "M": ("MonthOfYear", 5),
    "L": ("MonthOfYear", 5),
    "d": ("DayOfMonth", 2),
    "D": ("DayOfYear", 3),
    "E": ("DayOfWeek", 5),
    "a": ("AmPmOfDay", 1),
    "h": ("ClockHourOfAmPm", 2),
    "K": ("HourOfAmPm", 2),
    "k": ("ClockHourOfDay", 2),
    "H": ("HourOfDay", 2),
    "m": ("MinuteOfHour", 2),
    "s": ("SecondOfMinute", 2),
    "S": ("NanoOfSecond", 9),
    "A": ("MilliOfDay", 19),
    "n": ("NanoOfSecond", 19),
    "N": ("NanoOfDay", 19),
    "V": ("ZoneId", 2),
    "z": ("ZoneId", 4),
    "O": ("OffsetSeconds", 4),
    "X": ("OffsetSeconds", 5),
    "x": ("OffsetSeconds", 5),
    "Z": ("OffsetSeconds", 5),
}
_DATE_LETTERS = set("GuyQqMLdDE")
_TEXT_LETTERS = set("GE") | {"a"}  # month and quarter letters are text from three on


class UnsupportedField(ValueError):
    """Java's DateTimeException when a pattern asks a value for a field it lacks (a date's hour)."""


def _pattern_items(pattern: str) -> list[Any]:
    """`DateTimeFormatterBuilder.appendPattern`'s reading: literal strings, (letter, count) fields
    and optional sections as lists; ValueError with Java's IllegalArgumentException message."""
    stack: list[list[Any]] = [[]]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch.isascii() and ch.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == ch:
                j += 1
            stack[-1].append((ch, _checked_count(ch, j - i)))
            i = j
        elif ch == "'":
            text, i = _quoted(pattern, i)
            stack[-1].append(text)
        elif ch == "[":
            stack.append([])
            i += 1
        elif ch == "]":
            if len(stack) == 1:
                raise ValueError("Pattern invalid as it contains ] without previous [")
            inner = stack.pop()
            stack[-1].append(inner)
            i += 1
        elif ch in "{}#":
            raise ValueError(f"Pattern includes reserved character: '{ch}'")
        else:
            stack[-1].append(ch)
            i += 1
    while len(stack) > 1:  # Java closes open optional sections at the end
        inner = stack.pop()
        stack[-1].append(inner)
    return stack[0]


def _quoted(pattern: str, start: int) -> tuple[str, int]:
    """A quoted literal ('' inside stands for one quote); the text and the index after it."""
    out: list[str] = []
    i = start + 1
    if pattern.startswith("'", i):
        return "'", i + 1
    while True:
        end = pattern.find("'", i)
        if end < 0:
            raise ValueError(f"Pattern ends with an incomplete string literal: {pattern}")
        out.append(pattern[i:end])
        if pattern.startswith("'", end + 1):
            out.append("'")
            i = end + 2
            continue
        return "".join(out), end + 1


def _checked_count(letter: str, count: int) -> int:
    if letter not in _FORMAT_LETTERS:
        if letter in "wWYecFBgp":
            raise ValueError(f"pattern letter '{letter}' (week-based or localized fields) is not supported")
        raise ValueError(f"Unknown pattern letter: {letter}")
    if count > _FORMAT_LETTERS[letter][1] or (letter == "V" and count != 2):
        raise ValueError(
            "Pattern letter count must be 2: V" if letter == "V" else f"Too many pattern letters: {letter}"
        )
    return count


def pattern_has_text(pattern: str) -> bool:
    """Whether a format prints month, day, quarter, era or AM/PM words (which depend on the locale)."""

    def walk(items: list[Any]) -> bool:
        for item in items:
            if isinstance(item, list) and walk(item):
                return True
            if isinstance(item, tuple):
                letter, count = item
                if letter in _TEXT_LETTERS or (letter in "MLQq" and count >= 3):
                    return True
        return False

    return walk(_pattern_items(pattern))


class DateTimeFormat:
    """`DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH)` as a printer of local date, time and
    date-time cells: ValueError for a pattern Java refuses (or knitflow cannot print), and
    UnsupportedField, with Java's message, for a field the value lacks; an optional section
    with such a field is left out, as Java does."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.items = _pattern_items(pattern)

    def format(self, value: Any) -> str:
        return "".join(self._print(self.items, value))

    def _print(self, items: list[Any], value: Any) -> list[str]:
        out: list[str] = []
        for item in items:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, list):
                try:
                    out.extend(self._print(item, value))
                except UnsupportedField:
                    pass
            else:
                out.append(_format_field(item[0], item[1], value))
        return out


def _format_field(letter: str, count: int, value: Any) -> str:
    field = _FORMAT_LETTERS[letter][0]
    has_date = isinstance(value, dt.date)
    has_time = isinstance(value, dt.time | dt.datetime)
    if letter in "VzOXxZ":
        if letter in "Vz":
            raise UnsupportedField(f"Unable to extract ZoneId from temporal {date_time_text(value)}")
        raise UnsupportedField(f"Unsupported field: {field}")
    if (letter in _DATE_LETTERS and not has_date) or (letter not in _DATE_LETTERS and not has_time):
        raise UnsupportedField(f"Unsupported field: {field}")
    if letter in _DATE_LETTERS:
        return _format_date_field(letter, count, value)
    return _format_time_field(letter, count, value if isinstance(value, dt.time) else value.time())


def _number(value: int, width: int, exceeds_pad: bool = False) -> str:
    text = f"{value:0{width}d}"
    return "+" + text if exceeds_pad and len(str(value)) > width else text


def _format_date_field(letter: str, count: int, d: dt.date) -> str:
    if letter in "yu":
        if count == 2:
            return f"{d.year % 100:02d}"
        return _number(d.year, count, exceeds_pad=count >= 4)
    if letter == "G":
        return "AD" if count < 4 else "Anno Domini" if count == 4 else "A"
    if letter in "Qq":
        quarter = (d.month + 2) // 3
        texts = {3: f"Q{quarter}", 4: _QUARTERS[quarter - 1]}
        return texts.get(count) or _number(quarter, 2 if count == 2 else 1)
    if letter in "ML":
        if count <= 2:
            return _number(d.month, count)
        name = _MONTHS[d.month - 1].capitalize()
        return name[:3] if count == 3 else name if count == 4 else name[0]
    if letter == "E":
        name = _DAYS[d.weekday()].capitalize()
        return name if count == 4 else name[0] if count == 5 else name[:3]
    return _number(d.day if letter == "d" else d.timetuple().tm_yday, count)


def _format_time_field(letter: str, count: int, t: dt.time) -> str:
    nanos = t.microsecond * 1000
    if letter == "a":
        return "AM" if t.hour < 12 else "PM"
    if letter == "S":
        return f"{nanos:09d}"[:count]
    if letter in "nN":
        return _number(nanos if letter == "n" else nano_of_day(t), count)
    if letter == "A":
        return _number(nano_of_day(t) // 1_000_000, count)
    values = {
        "H": t.hour,
        "k": t.hour or 24,
        "K": t.hour % 12,
        "h": t.hour % 12 or 12,
        "m": t.minute,
        "s": t.second,
    }
    return _number(values[letter], count)


def nano_of_day(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000_000 + t.microsecond * 1000


# ------------------------------------------------------------------ WeekFields.of(locale)

# (first day of week as ISO number, minimal days in the first week) by the locale's region
# (CLDR's week data as Java ships it); regions not listed here are not known to knitflow
_WEEK_DATA: dict[str, tuple[int, int]] = {"": (1, 1), "US": (7, 1), "CA": (7, 1), "BR": (7, 1), "JP": (7, 1)}
_WEEK_DATA |= dict.fromkeys(
    ["GB", "IE", "DE", "AT", "CH", "FR", "NL", "BE", "IT", "ES", "SE", "DK", "NO", "FI", "PL", "CZ"], (1, 4)
)


def week_definition(locale: str) -> tuple[int, int] | None:
    """WeekFields.of(Locale.forLanguageTag(locale)) as (first ISO day, minimal days), or None
    when knitflow does not know the region's week."""
    parts = [p for p in locale.replace("_", "-").split("-")[1:] if len(p) == 2 and p.isalpha()]
    return _WEEK_DATA.get(parts[0].upper() if parts else "")


def localized_day_of_week(d: dt.date, week: tuple[int, int]) -> int:
    return (d.isoweekday() - week[0]) % 7 + 1


def _week_offset(day_of_year: int, dow: int, min_days: int) -> int:
    week_start = (day_of_year - dow) % 7
    return 7 - week_start if week_start + 1 > min_days else -week_start


def _week_number(offset: int, day: int) -> int:
    return (7 + offset + (day - 1)) // 7


def week_of_week_based_year(d: dt.date, week: tuple[int, int]) -> tuple[int, int]:
    """WeekFields' (weekBasedYear, weekOfWeekBasedYear) of a date (java.time's computation)."""
    doy = d.timetuple().tm_yday
    offset = _week_offset(doy, localized_day_of_week(d, week), week[1])
    number = _week_number(offset, doy)
    if number == 0:
        return week_of_week_based_year(d - dt.timedelta(days=doy), week)
    year_length = 366 if calendar.isleap(d.year) else 365
    new_year_week = _week_number(offset, year_length + week[1])
    if number >= new_year_week:
        return d.year + 1, number - new_year_week + 1
    return d.year, number


# ----------------------------------------------------------- java.time Period and Duration

_PERIOD = re.compile(r"([-+]?)P(?:([-+]?\d+)Y)?(?:([-+]?\d+)M)?(?:([-+]?\d+)W)?(?:([-+]?\d+)D)?", re.I)
_DURATION = re.compile(
    r"([-+]?)P(?:([-+]?\d+)D)?(T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?", re.I
)
_INT_MAX = 2**31 - 1


def _java_int(text: str | None) -> int:
    value = int(text) if text else 0
    if not -_INT_MAX - 1 <= value <= _INT_MAX:
        raise ValueError("Text cannot be parsed to a Period")
    return value


def java_period(text: str) -> tuple[int, int, int]:
    """Period.parse: (years, months, days), weeks counted as 7 days."""
    m = _PERIOD.fullmatch(text)
    if m is None or not any(m.group(i) for i in (2, 3, 4, 5)):
        raise ValueError("Text cannot be parsed to a Period")
    sign = -1 if m[1] == "-" else 1
    years, months, weeks, days = (_java_int(m.group(i)) for i in (2, 3, 4, 5))
    return sign * years, sign * months, sign * (weeks * 7 + days)


def java_duration(text: str) -> int:
    """Duration.parse as nanoseconds."""
    m = _DURATION.fullmatch(text)
    if m is None or (m[3] or "").upper() == "T" or not any(m.group(i) for i in (2, 4, 5, 6)):
        raise ValueError("Text cannot be parsed to a Duration")
    days, hours, minutes, seconds = (int(m.group(i) or 0) for i in (2, 4, 5, 6))
    fraction = int((m[7] or "").ljust(9, "0"))
    if (m[6] or "").startswith("-"):
        fraction = -fraction
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    nanos = total * 1_000_000_000 + fraction
    return -nanos if m[1] == "-" else nanos


def _iso_text(text: str, units: tuple[tuple[str, str], ...], prefix: str, stray: str, refusal: str) -> str:
    """KNIME's short and long forms as ISO text, as parsePeriod and parseDuration share it: unit
    words (plurals first, each once) become their letters; without the ISO `prefix`, a `stray`
    letter (the other kind's unit) is refused, else the prefix is added; white space is dropped."""
    for plural in (True, False):
        for word, letter in units:
            text = text.replace(word + "s" if plural else word, letter, 1)
    if not text.startswith((prefix, "-" + prefix)):
        if stray in text:
            raise ValueError(refusal)
        text = prefix + text
    return re.sub(r"\s+", "", text)


def knime_period(text: str) -> tuple[int, int, int]:
    """DurationPeriodFormatUtils.parsePeriod: ISO (P1Y2M) or KNIME's short and long forms
    ("1y 2M 3d", "2 years 1 day"); ValueError with KNIME's message."""
    if text.startswith("PT"):
        raise ValueError("A leading 'PT' indicates a time-based duration, not a date-based duration.")
    units = (("year", "y"), ("month", "M"), ("week", "w"), ("day", "d"))
    refusal = (
        "'m' stands for minutes and cannot be parsed as part of a date-based duration. "
        "Use 'M' for months instead."
    )
    return java_period(_iso_text(text, units, "P", "m", refusal))


def knime_duration(text: str) -> int:
    """DurationPeriodFormatUtils.parseDuration as nanoseconds ("PT2H", "2H 30m", "1 hour")."""
    if text.startswith("P") and not text.startswith("PT"):
        raise ValueError("A leading 'P' indicates a date-based duration, not a time-based duration.")
    units = (("hour", "H"), ("minute", "m"), ("second", "s"))
    refusal = (
        "'M' stands for months and cannot be parsed as part of a time-based duration. "
        "Use 'm' for minutes instead."
    )
    return java_duration(_iso_text(text, units, "PT", "M", refusal))


def plus_months(d: dt.date, months: int) -> dt.date:
    """LocalDate.plusMonths: the day of month clamped to the new month's length."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise OverflowError(f"year {year} is out of knitflow's range 1..9999")
    return d.replace(year=year, month=month + 1, day=min(d.day, calendar.monthrange(year, month + 1)[1]))


def plus_period(value: Any, years: int, months: int, days: int) -> Any:
    """Period.addTo on a date or date-time: months (years as 12) first, then days."""
    total_months = years * 12 + months
    date = value.date() if isinstance(value, dt.datetime) else value
    shifted = plus_months(date, total_months) if total_months else date
    shifted += dt.timedelta(days=days)
    return dt.datetime.combine(shifted, value.time()) if isinstance(value, dt.datetime) else shifted


def plus_nanos(value: Any, nanos: int) -> Any:
    """Adding a Duration to a time (wrapping at midnight) or a date-time; below a microsecond
    knitflow's cells hold no digits."""
    delta = dt.timedelta(microseconds=nanos // 1000)
    if isinstance(value, dt.datetime):
        return value + delta
    day = dt.datetime.combine(dt.date(2000, 1, 1), value) + delta
    return day.time()
