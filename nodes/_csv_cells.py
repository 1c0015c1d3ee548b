"""CSV cells to typed columns as KNIME's table reader converts them: custom number formats,
type guessing Integer -> Long -> Double -> String, date/time cells, the output layout."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from engine.api import (
    ColumnType,
    NodeError,
)
from nodes._csv_source import CsvReaderSettings, ReaderColumn, _RawTable, _unescape
from nodes._datetime import is_date_time_type, parse_iso
from nodes._java_text import (
    DOUBLE_RE,
    INT32,
    INT64,
    java_double_to_string,
    parse_java_double,
)


class _NumberText:
    """KNIME's IntegerParser/DoubleParser pre-processing for custom thousands/decimal separators."""

    def __init__(self, s: CsvReaderSettings) -> None:
        self.thousands = _unescape(s.thousands_separator)[:1]
        self.decimal = _unescape(s.decimal_separator)[:1] or "."
        t = re.escape(self.thousands) if self.thousands else ""
        d = re.escape(self.decimal)
        self.int_re = re.compile(rf"(?i)[+-]?\d{{0,3}}(?:{t}\d{{3}})*") if t else None
        self.dbl_re = (
            re.compile(rf"(?i)[+-]?\d{{0,3}}(?:{t}\d{{3}})*(?:{d}\d*)?(?:e[+-]?\d+)?[fd]?") if t else None
        )

    @property
    def default(self) -> bool:
        return not self.thousands and self.decimal == "."

    def int_text(self, v: str) -> str | None:
        if self.int_re is not None:
            if not self.int_re.fullmatch(v):
                return None
            v = v.replace(self.thousands, "")
        return v

    def double_text(self, v: str) -> str | None:
        if self.dbl_re is not None:
            if not self.dbl_re.fullmatch(v):
                return None
            v = v.replace(self.thousands, "")
        if self.decimal != ".":
            if "." in v:
                return None
            v = v.replace(self.decimal, ".")
        return v


_INT_CHARS = {ord(c): None for c in "0123456789+-"}  # str.translate deletes them: what is left is not a digit
_DOUBLE_CHARS = {ord(c): None for c in "0123456789+-.eE"}


def parse_ints(values: list[str], bits: int, fmt: _NumberText | None = None) -> list[int] | None:
    """The values as `Integer.parseInt` (32) / `Long.parseLong` (64) reads them, or None if one fails.
    On the characters [0-9+-] Python's int() accepts exactly what Java accepts."""
    if fmt is not None and not fmt.default:
        normal = [fmt.int_text(v) for v in values]
        if any(v is None for v in normal):
            return None
        values = normal  # type: ignore[assignment]
    if "".join(values).translate(_INT_CHARS):
        return None
    try:
        ints = [int(v) for v in values]
    except ValueError:
        return None
    lo, hi = INT32 if bits == 32 else INT64
    if ints and (min(ints) < lo or max(ints) > hi):
        return None
    return ints


def parse_doubles(values: list[str], fmt: _NumberText | None = None) -> np.ndarray | None:
    """The values as `Double.parseDouble` reads them, or None if one fails. On [0-9+-.eE] Python's
    float() accepts exactly Java's forms; other characters (NaN, Infinity, 1d, 0x1p3) go through
    the Java grammar one by one."""
    if fmt is not None and not fmt.default:
        normal = [fmt.double_text(v) for v in values]
        if any(v is None for v in normal):
            return None
        values = normal  # type: ignore[assignment]
    if not "".join(values).translate(_DOUBLE_CHARS):
        try:
            return np.array(values, dtype=object).astype(np.float64)
        except ValueError:
            return None
    out = np.empty(len(values), dtype=np.float64)
    for k, v in enumerate(values):
        try:
            out[k] = parse_java_double(v)
        except ValueError:
            return None
    return out


def _guess_type(values: list[str], fmt: _NumberText) -> str:
    """KNIME's CSV type hierarchy: Integer < Long < Double < String; no values -> String."""
    if not values:
        return ColumnType.STRING
    if parse_ints(values, 32, fmt) is not None:
        return ColumnType.INTEGER
    if parse_ints(values, 64, fmt) is not None:
        return ColumnType.LONG
    if parse_doubles(values, fmt) is not None:
        return ColumnType.DOUBLE
    return ColumnType.STRING


# ------------------------------------------------------------- Arrow columns (`_arrow_table`)
# Anchored RE2 patterns for pyarrow.compute. On a value matching _ARROW_INT, Python's int() (and
# Java's parseInt/parseLong) accept it; on one matching _ARROW_DEC (the [0-9+-.eE] forms), float()
# and Java's parseDouble read the same double, and Arrow's cast (fast_float, correctly rounded) too.
_ARROW_INT = r"^[+-]?[0-9]+$"
_ARROW_DEC = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_ARROW_JAVA_DOUBLE = f"^(?:{DOUBLE_RE.pattern})$"
_ARROW_HEX = r"^[+-]?0[xX]"


def _is_list(column: Any) -> bool:
    return isinstance(column, list)


def _all_match(column: Any, pattern: str) -> bool:
    import pyarrow.compute as pc

    return bool(pc.all(pc.match_substring_regex(column, pattern)).as_py())


def _any_match(column: Any, pattern: str) -> bool:
    import pyarrow.compute as pc

    return bool(pc.any(pc.match_substring_regex(column, pattern)).as_py())


def _arrow_int64(column: Any) -> Any:
    """The _ARROW_INT values as an Arrow int64 column (nulls kept), or None when Arrow cannot (out
    of the 64-bit range)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if _any_match(column, r"^\+"):  # Arrow's cast refuses the plus sign Java and Python accept
        column = pc.replace_substring_regex(column, r"^\+", "")
    try:
        return pc.cast(column, pa.int64())
    except (pa.ArrowException, ValueError):
        return None


def _arrow_float64(column: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.cast(column, pa.float64())
    except (pa.ArrowException, ValueError):
        return None


def guess_arrow_type(column: Any, fmt: _NumberText) -> str:
    """`_guess_type` on the non-missing values of an Arrow string column, vectorised where the
    answer is provably the same, else `_guess_type` itself on the Python values."""
    import pyarrow.compute as pc

    if len(column) == column.null_count:
        return ColumnType.STRING
    if fmt.default:
        if _all_match(column, _ARROW_DEC):  # (nulls are skipped)
            if _any_match(column, "[.eE]"):  # not all _ARROW_INT
                return ColumnType.DOUBLE
            ints = _arrow_int64(column)
            if ints is not None:
                lo, hi = pc.min_max(ints).values()
                return (
                    ColumnType.INTEGER
                    if INT32[0] <= lo.as_py() and hi.as_py() <= INT32[1]
                    else ColumnType.LONG
                )
        # one value outside Java's grammar makes it text; hexadecimal values (which the exact path
        # may fail on before it gets there) go the exact way
        elif not _any_match(column, _ARROW_HEX) and not _all_match(column, _ARROW_JAVA_DOUBLE):
            return ColumnType.STRING
    return _guess_type([v for v in column.to_pylist() if v is not None], fmt)


def _convert_arrow(
    raw: _RawTable, index: int, col_type: str, fmt: _NumberText
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """`_convert` of an Arrow column where it is provably the same, else None."""
    import pyarrow.compute as pc

    column = raw.columns[index]
    if col_type == ColumnType.STRING:
        return _arrow_strings(column), None
    if not fmt.default:
        return None
    if col_type in (ColumnType.INTEGER, ColumnType.LONG) and _all_match(column, _ARROW_INT):
        ints = _arrow_int64(column)
        if ints is None:
            return None
        if col_type == ColumnType.INTEGER and ints.null_count < len(ints):
            lo, hi = pc.min_max(ints).values()
            if lo.as_py() < INT32[0] or hi.as_py() > INT32[1]:
                return None
        out_i = pc.fill_null(ints, 0).to_numpy().astype(np.int64, copy=False)
        if not ints.null_count:
            return out_i, None
        return out_i, np.asarray(ints.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if col_type == ColumnType.DOUBLE and _all_match(column, _ARROW_DEC):
        doubles = _arrow_float64(column)
        if doubles is None:
            return None
        return np.asarray(doubles.to_numpy(zero_copy_only=False), dtype=np.float64), None
    return None


def _arrow_strings(column: Any) -> np.ndarray:
    """An Arrow string column as an object array (None for missing); a column of few distinct values
    shares one string object per value, as `_convert`'s `same` does for the Python blocks."""
    import pyarrow.compute as pc

    n = len(column)
    sample = column[:1000]
    if n >= 64 and pc.count_distinct(sample).as_py() * 2 <= len(sample):
        encoded = pc.dictionary_encode(
            column.combine_chunks() if hasattr(column, "combine_chunks") else column
        )
        uniques = np.empty(len(encoded.dictionary) + 1, dtype=object)
        uniques[:-1] = encoded.dictionary.to_pylist()
        codes = pc.fill_null(encoded.indices, len(encoded.dictionary)).to_numpy()
        return uniques[codes]
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=object)


def _bad_value(
    raw: _RawTable, name: str, values: list[str | None], col_type: str, fmt: _NumberText
) -> NodeError:
    """The first value of the column that does not parse as `col_type`, as a user-facing error."""

    def bad(v: str) -> bool:
        if col_type in (ColumnType.INTEGER, ColumnType.LONG):
            return parse_ints([v], 32 if col_type == ColumnType.INTEGER else 64, fmt) is None
        if col_type == ColumnType.DOUBLE:
            return parse_doubles([v], fmt) is None
        if is_date_time_type(col_type):
            return _parse_date_times([v], col_type) is None
        return v.lower() not in ("true", "false")

    k = next((i for i, v in enumerate(values) if v is not None and bad(v)), 0)
    row = raw.row_ids[k] if raw.row_ids is not None else f"Row{raw.first_row + k}"
    return NodeError(
        f"value {values[k]!r} in row {row} of column {name!r} is not a valid {col_type} (the column type comes "
        "from the stored spec or from the first rows); set its type to String or fix the file",
        setting="columns",
    )


def _present(values: list[str | None]) -> tuple[np.ndarray, list[str]]:
    if None not in values:
        return np.ones(len(values), dtype=bool), values  # type: ignore[return-value]
    present = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    return present, [v for v in values if v is not None]


def _convert(
    raw: _RawTable, index: int, col_type: str, fmt: _NumberText, same: dict[Any, Any] | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """One raw column of a block as typed values and the mask of its missing cells (None: none are
    missing, or they are NaN / None in the values); `_column` joins the blocks. `same` maps a string
    to the equal one kept already: a column of a few distinct names holds a few string objects, not
    one per row, and the block's own strings can all be freed."""
    name = raw.names[index]
    values = raw.columns[index]
    if not _is_list(values):  # an Arrow column: vectorised where that is exact, else its Python values
        fast = _convert_arrow(raw, index, col_type, fmt)
        if fast is not None:
            return fast
        values = values.to_pylist()  # type: ignore[attr-defined]
        listed = list(raw.columns)
        listed[index] = values
        raw = _RawTable(raw.names, raw.row_ids, listed, first_row=raw.first_row)
    n = len(values)
    if col_type == ColumnType.STRING:
        strings = np.empty(n, dtype=object)
        strings[:] = values if same is None else [same.setdefault(v, v) for v in values]
        return strings, None
    present, sub = _present(values)
    missing = None if present.all() else ~present
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        ints = parse_ints(sub, 32 if col_type == ColumnType.INTEGER else 64, fmt)
        if ints is None:
            raise _bad_value(raw, name, values, col_type, fmt)
        if missing is None:
            return np.array(ints, dtype=np.int64), None
        out_i = np.zeros(n, dtype=np.int64)
        out_i[present] = ints
        return out_i, missing
    if col_type == ColumnType.DOUBLE:
        doubles = parse_doubles(sub, fmt)
        if doubles is None:
            raise _bad_value(raw, name, values, col_type, fmt)
        out_d = np.full(n, np.nan)
        out_d[present] = doubles
        return out_d, None
    if col_type == ColumnType.BOOLEAN:
        lowered = [v.lower() for v in sub]
        if any(v not in ("true", "false") for v in lowered):
            raise _bad_value(raw, name, values, col_type, fmt)
        out_b = np.zeros(n, dtype=bool)
        out_b[present] = [v == "true" for v in lowered]
        return out_b, missing
    if is_date_time_type(col_type):
        cells = _parse_date_times(sub, col_type)
        if cells is None:
            raise _bad_value(raw, name, values, col_type, fmt)
        out_t = np.full(n, None, dtype=object)
        out_t[present] = cells
        return out_t, None
    raise NodeError(f"column type {col_type} cannot be read from CSV", setting="columns")  # pragma: no cover


_EMPTY_DTYPES = {
    ColumnType.INTEGER: np.int64,
    ColumnType.LONG: np.int64,
    ColumnType.DOUBLE: np.float64,
    ColumnType.BOOLEAN: np.bool_,
}


def _column(parts: list[tuple[np.ndarray, np.ndarray | None]], col_type: str) -> pd.Series:
    """A column from its converted blocks (missing cells: NaN / <NA> / None)."""
    dtype = _EMPTY_DTYPES.get(col_type, object)
    values = np.concatenate([v for v, _ in parts]) if parts else np.empty(0, dtype=dtype)
    if all(m is None for _, m in parts):
        return pd.Series(values, dtype=dtype)
    mask = np.concatenate([np.zeros(len(v), dtype=bool) if m is None else m for v, m in parts])
    if col_type == ColumnType.BOOLEAN:
        return pd.Series(pd.arrays.BooleanArray(values, mask))
    return pd.Series(pd.arrays.IntegerArray(values, mask))


def _parse_date_times(values: list[str], col_type: str) -> list[Any] | None:
    """ISO dates/times (KNIME's default formats of the Local Date/Time types), or None if one fails."""
    try:
        return [parse_iso(v, col_type) for v in values]
    except ValueError:
        return None


def _stored_in_order(s: CsvReaderSettings) -> list[ReaderColumn]:
    """The stored column spec, sorted by position when every column has one (else in listed order)."""
    stored = list(s.columns or [])
    if all(c.position is not None for c in stored):
        stored.sort(key=lambda c: c.position)  # type: ignore[arg-type, return-value]
    return stored


def _check_stored_in_file(stored: list[ReaderColumn], names: list[str]) -> None:
    """Stored columns the file lacks fail the node, naming the columns the file has."""
    absent = [c.name for c in stored if c.name not in names]
    if absent:
        raise NodeError(
            f"column{'s' if len(absent) > 1 else ''} {', '.join(map(repr, absent))} of the stored spec "
            f"not in the file (file columns: {', '.join(names)})",
            setting="columns",
        )


def _stored_column_type(c: ReaderColumn, guessed: dict[str, str], s: CsvReaderSettings) -> str:
    """The stored type when types are enforced or nothing was guessed, else the guessed one."""
    if c.type is not None and (s.enforce_types or c.name not in guessed):
        return c.type
    return guessed.get(c.name, ColumnType.STRING)


def _unlisted_file_columns(
    names: list[str], guessed: dict[str, str], stored: list[ReaderColumn]
) -> list[tuple[str, str, str]]:
    """File columns the stored spec does not list (new since it was stored), with guessed types."""
    listed = {c.name for c in stored}
    return [(n, n, guessed[n]) for n in names if n not in listed]


def _check_unique_outputs(out: list[tuple[str, str, str]]) -> None:
    outputs = [o for _, o, _ in out]
    dupes = {o for o in outputs if outputs.count(o) > 1}
    if dupes:
        raise NodeError(f"duplicate output column names {sorted(dupes)}", setting="columns")


def _layout(
    names: list[str], guessed: dict[str, str], s: CsvReaderSettings, file_known: bool
) -> list[tuple[str, str, str]]:
    """(file column, output name, type) in output order, applying the stored column spec."""
    if not s.columns:
        return [(n, n, guessed[n]) for n in names]
    stored = _stored_in_order(s)
    if file_known:
        _check_stored_in_file(stored, names)
    out = [(c.name, c.rename or c.name, _stored_column_type(c, guessed, s)) for c in stored if c.keep]
    if s.keep_unknown_columns:
        out += _unlisted_file_columns(names, guessed, stored)
    _check_unique_outputs(out)
    return out


def _cell_string(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return java_double_to_string(float(value))
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)
