"""KNIME's legacy Excel nodes: Excel Reader (XLS), Excel Writer (XLS), Excel Sheet Appender (XLS).

Many workflows saved before KNIME 4.3 use these (packages `org.knime.ext.poi.node.read2/write2` and
`org.knime.ext.poi2.node.read2..read4/write2`, all `XLSUserSettings` / `XLSWriter2Settings`). The
reader follows `CachedExcelTable` of the read4 package: the cells of one sheet (the first sheet
with data unless named), typed per column over the cells of the read area (whole numbers that fit
an int are Integer, other numbers Double, dates Local Date Time, booleans Boolean, anything mixed
String, where numbers print as Excel shows them), the header row left out of the data but rows
above it kept, generated RowIDs continuous (Row0, Row1, ...) or after the sheet row ("Row" + its
0-based index), and column names from the header row (trimmed, duplicates "_1", "_2", ...) or
"Col0", "Col1", ... (Excel's letters with KEEP_XL_HDR). .xlsx/.xlsm are read with openpyxl (the
values Excel cached for formulas, KNIME's default), .xls with xlrd. The writers write .xlsx with
openpyxl; the old binary .xls format has no maintained Python writer, so a .xls target is refused.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path
from typing import Any

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
    atomic_write,
)
from engine.api.knime import KnimeMapping, KnimeSettings, file_name
from nodes._common import ColumnFilter
from nodes._excel_cells import column_index, column_letters
from nodes._java_text import java_double_to_string, java_trim
from nodes._knime_readers import _file
from nodes._rows import coerce, is_missing

INT32 = 2**31
FIRST_SHEET = "<first sheet with data>"  # XLSReaderNodeDialog.FIRST_SHEET
DEFAULT_ERR_PATTERN = "#XL_EVAL_ERROR#"

# ============================================================================ cells of a sheet


@dataclass(frozen=True)
class XlCell:
    """One cell with a value: kind s (text), n (number), d (date serial), b (boolean), e (error)."""

    kind: str
    value: Any
    fmt: str = "General"


@dataclass
class XlSheet:
    cells: dict[tuple[int, int], XlCell]  # (row0, col0) -> cell
    hidden_cols: set[int]  # 0-based
    date1904: bool


def _is_xls(path: Path) -> bool:
    return path.suffix.lower() == ".xls"


def sheet_names(path: Path) -> list[str]:
    if _is_xls(path):
        import xlrd

        return list(xlrd.open_workbook(str(path), on_demand=True).sheet_names())
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    names = list(wb.sheetnames)
    wb.close()
    return names


def load_sheet(path: Path, sheet: str | None) -> tuple[str, XlSheet]:
    """(sheet name, cells) of the named sheet, or of the first sheet holding a value (KNIME's
    `getFirstSheetNameWithData`; the first sheet when none does)."""
    if not path.is_file():
        raise NodeError(f"file not found: {path}", setting="file")
    try:
        return _load_xls(path, sheet) if _is_xls(path) else _load_xlsx(path, sheet)
    except NodeError:
        raise
    except Exception as exc:  # the libraries raise many kinds for a broken or foreign file
        raise NodeError(f"cannot read {path.name} as an Excel workbook: {exc}", setting="file") from None


def _missing_sheet(path: Path, sheet: str) -> NodeError:
    return NodeError(
        f'Workbook "{path.name}" does not contain a sheet called "{sheet}"', setting="sheet_name"
    )


def _load_xlsx(path: Path, sheet: str | None) -> tuple[str, XlSheet]:
    import openpyxl
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, to_excel

    wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    date1904 = wb.epoch == CALENDAR_MAC_1904
    try:
        if sheet is None:
            chosen = next(
                (ws for ws in wb.worksheets if any(c.value is not None for c in ws._cells.values())),
                wb.worksheets[0],
            )
        elif sheet in wb.sheetnames:
            chosen = wb[sheet]
        else:
            raise _missing_sheet(path, sheet)
        cells: dict[tuple[int, int], XlCell] = {}
        for (r, c), cell in chosen._cells.items():
            v = cell.value
            if v is None:
                continue
            fmt = cell.number_format or "General"
            if isinstance(v, bool):
                cells[(r - 1, c - 1)] = XlCell("b", v, fmt)
            elif isinstance(v, dt.datetime | dt.date | dt.time | dt.timedelta):
                cells[(r - 1, c - 1)] = XlCell("d", float(to_excel(v, wb.epoch)), fmt)
            elif isinstance(v, int | float):
                cells[(r - 1, c - 1)] = XlCell("n", float(v), fmt)
            elif cell.data_type == "e":
                cells[(r - 1, c - 1)] = XlCell("e", str(v), fmt)
            else:
                cells[(r - 1, c - 1)] = XlCell("s", str(v), fmt)
        hidden: set[int] = set()
        for key, dim in chosen.column_dimensions.items():
            if dim.hidden:
                lo = dim.min or column_index(key)
                hi = dim.max or lo
                hidden.update(range(lo - 1, hi))
        return chosen.title, XlSheet(cells, hidden, date1904)
    finally:
        wb.close()


def _load_xls(path: Path, sheet: str | None) -> tuple[str, XlSheet]:
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=True)
    if sheet is None:
        chosen = next((sh for sh in book.sheets() if sh.nrows > 0), book.sheet_by_index(0))
    elif sheet in book.sheet_names():
        chosen = book.sheet_by_name(sheet)
    else:
        raise _missing_sheet(path, sheet)
    cells: dict[tuple[int, int], XlCell] = {}
    for r in range(chosen.nrows):
        for c in range(chosen.ncols):
            kind = chosen.cell_type(r, c)
            if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                continue
            v = chosen.cell_value(r, c)
            xf = book.xf_list[chosen.cell_xf_index(r, c)]
            fmt = book.format_map[xf.format_key].format_str if xf.format_key in book.format_map else "General"
            if kind == xlrd.XL_CELL_TEXT:
                cells[(r, c)] = XlCell("s", v, fmt)
            elif kind == xlrd.XL_CELL_NUMBER:
                cells[(r, c)] = XlCell("n", float(v), fmt)
            elif kind == xlrd.XL_CELL_DATE:
                cells[(r, c)] = XlCell("d", float(v), fmt)
            elif kind == xlrd.XL_CELL_BOOLEAN:
                cells[(r, c)] = XlCell("b", bool(v), fmt)
            else:
                cells[(r, c)] = XlCell("e", xlrd.error_text_from_code.get(v, f"#ERR{v}"), fmt)
    hidden = {c for c, info in chosen.colinfo_map.items() if info.hidden}
    return chosen.name, XlSheet(cells, hidden, bool(book.datemode))


# ====================================================================== KNIME's cell rules


def _is_int(value: float) -> bool:
    """POIUtils.isInteger: finite and equal to its (int) cast."""
    return math.isfinite(value) and -INT32 <= value < INT32 and value == int(value)


def excel_date(serial: float, date1904: bool) -> dt.datetime:
    """POI's `DateUtil.getJavaDate(serial, 1904, UTC, roundSeconds=true)`: Excel's day numbers
    (1 = 1900-01-01, 0 = 1899-12-31, the fictitious 1900-02-29 falling on 03-01), the time of day
    rounded to the second."""
    whole = math.floor(serial)
    millis = int((serial - whole) * 86_400_000 + 0.5)
    if date1904:
        day = dt.datetime(1904, 1, 1) + dt.timedelta(days=whole)
    elif whole < 61:
        day = dt.datetime(1899, 12, 31) + dt.timedelta(days=whole)
    else:
        day = dt.datetime(1899, 12, 30) + dt.timedelta(days=whole)
    seconds = (millis + 500) // 1000
    return day + dt.timedelta(seconds=seconds)


def _value_text(cell: XlCell, date1904: bool) -> str:
    """KNIME's `valueAsString`: the parseable text of the cell (RowIDs, headers, patterns)."""
    if cell.kind == "n":
        return str(int(cell.value)) if _is_int(cell.value) else java_double_to_string(cell.value)
    if cell.kind == "d":
        when = excel_date(cell.value, date1904)
        whole = cell.value == math.floor(cell.value)
        return when.strftime("%Y-%m-%d") if whole else when.strftime("%Y-%m-%dT%H:%M:%S")
    if cell.kind == "b":
        return "true" if cell.value else "false"
    return str(cell.value)


def _actual_type(cell: XlCell) -> str:
    if cell.kind == "n":
        return "int" if _is_int(cell.value) else "double"
    return {"s": "string", "d": "date", "b": "bool", "e": "error"}[cell.kind]


def combine(common: str | None, actual: str, use_error_pattern: bool) -> str | None:
    """CachedExcelTable.combine: a column's type over its cells (None: no cell yet)."""
    if actual == "bool":
        return ColumnType.BOOLEAN if common in (None, ColumnType.BOOLEAN) else ColumnType.STRING
    if actual == "date":
        return (
            ColumnType.LOCAL_DATE_TIME if common in (None, ColumnType.LOCAL_DATE_TIME) else ColumnType.STRING
        )
    if actual == "error":
        return ColumnType.STRING if use_error_pattern else common
    if actual == "double":
        return (
            ColumnType.DOUBLE
            if common in (None, ColumnType.INTEGER, ColumnType.DOUBLE)
            else ColumnType.STRING
        )
    if actual == "int":
        if common in (None, ColumnType.INTEGER):
            return ColumnType.INTEGER
        return ColumnType.DOUBLE if common == ColumnType.DOUBLE else ColumnType.STRING
    return ColumnType.STRING


# ---------------------------------------------------------------- numbers as Excel shows them

_FIXED = re.compile(r"(#,##)?0(?:\.(0+))?(%?)")


def _half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _plain(d: Decimal) -> str:
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def excel_general(value: float) -> str:
    """POI's `ExcelGeneralNumberFormat` (Excel's "General"): scientific "0.#####E0" beyond 1E11
    or below 1E-10, whole numbers as integers, others to 10 significant digits."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "\u221e" if value > 0 else "-\u221e"
    a = abs(value)
    if a >= 1e11 or 0 < a <= 1e-10:
        d = Decimal(repr(value))
        exp = d.adjusted()
        mant = _half_up(d.scaleb(-exp), 5)
        if abs(mant) >= 10:
            exp += 1
            mant = _half_up(d.scaleb(-exp), 5)
        return f"{_plain(mant)}E{exp}"
    if math.floor(value) == value or a >= 1e10:
        return _plain(_half_up(Decimal(repr(value)), 0))
    rounded = float(Context(prec=10, rounding=ROUND_HALF_UP).create_decimal(Decimal(value)))
    return _plain(_half_up(Decimal(repr(rounded)), 10))


def excel_number_text(value: float, fmt: str) -> tuple[str, bool]:
    """(the number as Excel formats it, exact): General and the plain 0 / 0.00 / #,##0.00 / 0%
    formats are followed; other formats fall back to General (exact False)."""
    f = (fmt or "General").strip()
    if f.lower() in ("general", "@", ""):
        return excel_general(value), True
    m = _FIXED.fullmatch(f)
    if m and math.isfinite(value):
        d = Decimal(repr(value)) * (100 if m.group(3) else 1)
        places = len(m.group(2) or "")
        q = _half_up(d, places)
        text = f"{q:,.{places}f}" if m.group(1) else f"{q:.{places}f}"
        if text.startswith("-") and q == 0:
            text = text[1:]
        return text + m.group(3), True
    return excel_general(value), False


# ================================================================================ the reader


class ExcelReaderXLSSettings(NodeSettings):
    file: str = Field(
        "",
        description="XLS_LOCATION: the workbook (.xls, .xlsx, .xlsm); relative paths are resolved against the workflow.",
    )
    sheet_name: str = Field(
        "",
        description="SHEET_NAME: the sheet to read; empty or '<first sheet with data>': the first sheet holding a value.",
    )
    read_all_data: bool = Field(
        True, description="READ_ALL_DATA: read the whole sheet (else the area below)."
    )
    first_row: int = Field(0, description="FIRST_ROW: first sheet row to read, 1-based (read_all_data off).")
    last_row: int = Field(0, description="LAST_ROW: last sheet row to read, 1-based; 0: to the last row.")
    first_col: str = Field("", description="FIRST_COL: first column to read (letters or 1-based number).")
    last_col: str = Field("", description="LAST_COL: last column to read; empty: to the last column.")
    has_col_hdrs: bool = Field(False, description="HAS_COL_HDRS: a sheet row holds the column names.")
    col_hdr_row: int = Field(1, description="COL_HDR_ROW: the 1-based sheet row of the column names.")
    index_continuous: bool = Field(
        True, description="INDEX_CONTINUOUS: generated RowIDs Row0, Row1, ... over the rows read."
    )
    index_jump_skips: bool = Field(
        False,
        description="INDEX_JUMP_SKIPS: generated RowIDs 'Row' + the 0-based sheet row (gaps for skipped rows).",
    )
    has_row_hdrs: bool = Field(False, description="HAS_ROW_HDRS: a column holds the RowIDs.")
    row_hdr_col: str = Field(
        "A", description="ROW_HDR_COL: the column of the RowIDs (letters or 1-based number)."
    )
    miss_val_pattern: str | None = Field(
        None, description="MISS_VAL_PATTERN: cells whose text equals it are read as missing."
    )
    skip_empty_cols: bool = Field(True, description="SKIP_EMPTY_COLS: leave out columns without a value.")
    skip_empty_rows: bool = Field(
        True, description="SKIP_EMPTY_ROWS: leave out rows whose cells are all missing."
    )
    skip_hidden_cols: bool = Field(True, description="SKIP_HIDDEN_COLS: leave out hidden columns.")
    keep_xl_hdr: bool = Field(
        False, description="KEEP_XL_HDR: name the columns by Excel's letters and the rows 1, 2, ..."
    )
    uniquify_rowid: bool = Field(
        False, description="UNIQUIFY_ROWID: make RowIDs read from a column unique (suffix _1, _2, ...)."
    )
    formula_err_use_pattern: bool = Field(
        True, description="FORMULA_ERR_USE_PATTERN: error cells read as formula_err_pattern (else missing)."
    )
    formula_err_pattern: str = Field(
        DEFAULT_ERR_PATTERN, description="FORMULA_ERR_PATTERN: the text for error cells."
    )


def _col0(text: str | None) -> int:
    """POIUtils.oneBasedColumnNumber - 1: letters or a 1-based number; -1 when empty."""
    t = (text or "").strip()
    if not t:
        return -1
    if t.lstrip("-").isdigit():
        return int(t) - 1
    try:
        return column_index(t) - 1
    except NodeError:
        raise NodeError(f"not a valid column number {text!r} (a number or 'A', 'B', ...)") from None


@dataclass
class _Area:
    """The normalized settings (0-based, -1: open) as `XLSUserSettings.normalizeSettings`."""

    first_row: int
    last_row: int
    first_col: int
    last_col: int
    hdr_row: int
    id_col: int


def _area(s: ExcelReaderXLSSettings, error: type[NodeError]) -> _Area:
    try:
        first_col, last_col, id_col = _col0(s.first_col), _col0(s.last_col), _col0(s.row_hdr_col)
    except NodeError as exc:
        raise error(str(exc)) from None
    first_row, last_row = s.first_row - 1, s.last_row - 1
    if not s.read_all_data:
        if first_col < 0:
            raise error("'First column' index must be greater than one", setting="first_col")
        if first_row < 0:
            raise error("'First row' index must be greater than one", setting="first_row")
        if 0 <= last_col < first_col:
            raise error("Last column to read can't be smaller than the first column", setting="last_col")
        if 0 <= last_row < first_row:
            raise error("Last Row to read can't be smaller than the first row", setting="last_row")
    if s.has_col_hdrs and s.col_hdr_row < 1:
        raise error("Row containing column headers is not specified", setting="col_hdr_row")
    if s.has_row_hdrs and id_col < 0:
        raise error("Column containing row IDs is not specified", setting="row_hdr_col")
    modes = (s.has_row_hdrs, s.index_continuous, s.index_jump_skips)
    if sum(modes) != 1:
        raise error(
            "Exactly one of generate row ids or table contains row ids in column should be selected!",
            setting="index_continuous",
        )
    if s.read_all_data:
        first_row = last_row = first_col = last_col = -1
    return _Area(first_row, last_row, first_col, last_col, s.col_hdr_row - 1, id_col)


class _Uniquifier:
    """KNIME's ValueUniquifier: a repeated value gets "_1", "_2", ... (the suffixed value too)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, value: str) -> str:
        result = value
        while result in self.seen:
            self.seen[result] += 1
            result = f"{result}_{self.seen[result]}"
        self.seen[result] = 0
        return result


@dataclass
class _Read:
    names: list[str]
    types: list[str]
    columns: list[list[Any]]
    row_ids: list[str]
    warnings: list[str]


class _SheetTable:
    """CachedExcelTable.createDataTable over the loaded cells."""

    def __init__(self, sheet: XlSheet, s: ExcelReaderXLSSettings, area: _Area) -> None:
        self.sheet, self.s, self.a = sheet, s, area
        self.by_col: dict[int, dict[int, XlCell]] = {}
        for (r, c), cell in sheet.cells.items():
            self.by_col.setdefault(c, {})[r] = cell
        self.warnings: list[str] = []

    def _in_type_range(self, r: int) -> bool:
        a, s = self.a, self.s
        if a.first_row >= 0 and r < a.first_row:
            return False
        if a.last_row >= 0 and r > a.last_row:
            return False
        return not (s.has_col_hdrs and r == a.hdr_row)

    def _column_type(self, col: int) -> str | None:
        """The type of an Excel column, None when it holds no value in the read rows."""
        common: str | None = None
        for r, cell in sorted(self.by_col.get(col, {}).items()):
            if not self._in_type_range(r):
                continue
            kind = _actual_type(cell)
            if kind == "error" and not self.s.formula_err_use_pattern:
                continue
            common = combine(common, kind, self.s.formula_err_use_pattern)
        return common

    def spec(self) -> tuple[list[str], list[str], dict[int, int], set[int]]:
        """(names, types, Excel column -> output column, skipped Excel columns)."""
        s, a = self.s, self.a
        actual_last = max(self.by_col, default=-1)
        if actual_last < 0:
            return [], [], {}, set()
        last = a.last_col if a.last_col >= 0 else actual_last
        skipped: set[int] = set()
        types: list[str] = []
        for i in range(last + 1):
            if (s.skip_hidden_cols and i in self.sheet.hidden_cols) or (a.first_col >= 0 and i < a.first_col):
                skipped.add(i)
            elif s.has_row_hdrs and i == a.id_col:
                skipped.add(i)
            else:
                t = self._column_type(i)
                if t is None:
                    if s.skip_empty_cols:
                        skipped.add(i)
                    else:
                        types.append(ColumnType.STRING)
                else:
                    types.append(t)
        if not s.skip_empty_cols:
            # KNIME adds the columns past the last one holding data a second time
            types.extend(ColumnType.STRING for _ in range(actual_last + 1, last + 1))
        mapping: dict[int, int] = {}
        ex = 0
        while len(mapping) < len(types):
            if ex not in skipped:
                mapping[ex] = len(mapping)
            ex += 1
        return self._names(len(types), skipped), types, mapping, skipped

    def _names(self, n: int, skipped: set[int]) -> list[str]:
        s, a = self.s, self.a
        names: list[str | None] = [None] * n
        if s.has_col_hdrs and not s.keep_xl_hdr:
            header = {c: col[a.hdr_row] for c, col in self.by_col.items() if a.hdr_row in col}
            unique = _Uniquifier()
            idx = 0
            for i in range(max(header, default=-1) + 1):
                if idx >= n:
                    break
                if i in skipped:
                    continue
                if i in header:
                    text = java_trim(_value_text(header[i], self.sheet.date1904))
                    if text:
                        names[idx] = unique(text)
                    else:
                        self.warnings.append(
                            f"header cell {column_letters(i + 1)}{a.hdr_row + 1} is blank: KNIME names the "
                            f"column with an empty name, knitflow with a generated one"
                        )
                idx += 1
        taken = {x for x in names if x is not None}
        out: list[str] = []
        offset = 0
        for i, name in enumerate(names):
            while offset in skipped:
                offset += 1
            if name is None:
                base = f"Col{i}"
                if s.keep_xl_hdr:
                    # as KNIME: the first column of the area is added to an offset that counts it already
                    base = column_letters(max(1, a.first_col + 1) + offset)
                name = base
                k = 2
                while name in taken:
                    name = f"{base}_{k}"
                    k += 1
                taken.add(name)
            out.append(name)
            offset += 1
        return out

    def _cell(self, cell: XlCell | None, col_type: str) -> Any:
        """convertToCell: the value of a cell in a column of `col_type`, None for missing."""
        if cell is None:
            return None
        s = self.s
        text = _value_text(cell, self.sheet.date1904)
        pattern = s.miss_val_pattern
        if pattern is not None and text == pattern:
            return None
        if cell.kind == "e":
            if not s.formula_err_use_pattern or (pattern is not None and s.formula_err_pattern == pattern):
                return None
            return s.formula_err_pattern if col_type == ColumnType.STRING else None
        if cell.kind == "n" and col_type not in (ColumnType.INTEGER, ColumnType.DOUBLE):
            return self._number_as_text(cell, pattern)
        if col_type == ColumnType.STRING:
            return text
        return self._typed(cell, col_type)

    def _number_as_text(self, cell: XlCell, pattern: str | None) -> str | None:
        """A number in a String column, printed as Excel shows it."""
        shown, exact = excel_number_text(cell.value, cell.fmt)
        if not exact:
            self.warnings.append(
                f"number format {cell.fmt!r} is not reproduced; {cell.value!r} printed as Excel's General"
            )
        return None if pattern is not None and shown == pattern else shown

    def _typed(self, cell: XlCell, col_type: str) -> Any:
        """The value of a cell in a column of a non-String type; None when its kind does not fit."""
        if col_type == ColumnType.BOOLEAN:
            return bool(cell.value) if cell.kind == "b" else None
        if col_type == ColumnType.INTEGER:
            return int(cell.value) if cell.kind == "n" and _is_int(cell.value) else None
        if col_type == ColumnType.DOUBLE:
            return float(cell.value) if cell.kind == "n" else None
        if col_type == ColumnType.LOCAL_DATE_TIME:
            return excel_date(cell.value, self.sheet.date1904) if cell.kind == "d" else None
        return None

    def read(self, with_rows: bool) -> _Read:
        s, a = self.s, self.a
        names, types, mapping, _ = self.spec()
        columns: list[list[Any]] = [[] for _ in types]
        row_ids: list[str] = []
        if not with_rows:
            return _Read(names, types, columns, row_ids, self.warnings)
        rows: dict[int, dict[int, XlCell]] = {}
        for (r, c), cell in self.sheet.cells.items():
            rows.setdefault(r, {})[c] = cell
        last_row = max(rows, default=0)
        unique = _Uniquifier()
        key_index = -1

        def header_row(r: int) -> bool:
            return s.has_col_hdrs and r == a.hdr_row

        def skip_row(r: int) -> bool:
            outside = not s.read_all_data and (r < a.first_row or (a.last_row >= 0 and r > a.last_row))
            return header_row(r) or outside

        for r in range(max(0, a.first_row), last_row + 1):
            row = rows.get(r, {})
            if skip_row(r):
                if not s.skip_empty_rows and not header_row(r):
                    key_index += 1
                continue
            values = [self._cell(row.get(ex), types[k]) for ex, k in mapping.items()]
            if s.skip_empty_rows and all(v is None for v in values):
                continue
            key_index += 1
            row_ids.append(self._row_id(row, r, key_index, unique))
            for k, v in zip(mapping.values(), values, strict=True):
                columns[k].append(v)
        if not s.uniquify_rowid and len(set(row_ids)) != len(row_ids):
            dup = next(x for x in row_ids if row_ids.count(x) > 1)
            raise NodeError(
                f"Encountered duplicate row ID {dup!r} (enable uniquify_rowid)", setting="uniquify_rowid"
            )
        return _Read(names, types, columns, row_ids, self.warnings)

    def _row_id(self, row: dict[int, XlCell], r: int, key_index: int, unique: _Uniquifier) -> str:
        s = self.s
        if s.has_row_hdrs:
            cell = row.get(self.a.id_col)
            key = _value_text(cell, self.sheet.date1904) if cell is not None else ""
            if s.uniquify_rowid:
                return unique(key)
            return key or f"Row{r}"
        if s.keep_xl_hdr:
            return str(key_index + 1)
        if s.index_continuous:
            return f"Row{key_index}"
        return f"Row{r}"


def read_excel_legacy(s: ExcelReaderXLSSettings, with_rows: bool = True) -> _Read:
    area = _area(s, NodeError)
    path = Path(s.file)
    sheet = None if s.sheet_name in ("", FIRST_SHEET) else s.sheet_name
    _, cells = load_sheet(path, sheet)
    return _SheetTable(cells, s, area).read(with_rows)


# ------------------------------------------------------------------------------ KNIME mapping

_SPEC_CACHE = ("XLS_DataTableSpec", "XLS_SettingsForSpecID")  # the dialog's cached table spec
_READER_KEYS = {
    "READ_ALL_DATA": "read_all_data",
    "HAS_COL_HDRS": "has_col_hdrs",
    "HAS_ROW_HDRS": "has_row_hdrs",
    "SKIP_EMPTY_COLS": "skip_empty_cols",
    "SKIP_EMPTY_ROWS": "skip_empty_rows",
    "SKIP_HIDDEN_COLS": "skip_hidden_cols",
    "KEEP_XL_HDR": "keep_xl_hdr",
    "UNIQUIFY_ROWID": "uniquify_rowid",
    "FORMULA_ERR_USE_PATTERN": "formula_err_use_pattern",
}


def _sheet_and_flags(knime: KnimeSettings) -> None:
    tree = knime.tree
    sheet = tree.get("SHEET_NAME")
    knime.put("sheet_name", "" if sheet in (None, FIRST_SHEET) else str(sheet), "SHEET_NAME")
    for key, name in _READER_KEYS.items():
        knime.take(name, key)
    knime.take("miss_val_pattern", "MISS_VAL_PATTERN")
    if "FORMULA_ERR_PATTERN" in tree:
        pattern = tree.get("FORMULA_ERR_PATTERN")
        knime.put("formula_err_pattern", "" if pattern is None else str(pattern), "FORMULA_ERR_PATTERN")
    if "INDEX_CONTINUOUS" in tree and "INDEX_JUMP_SKIPS" in tree:
        knime.take("index_continuous", "INDEX_CONTINUOUS")
        knime.take("index_jump_skips", "INDEX_JUMP_SKIPS")
    else:
        # before 3.3.2 generated RowIDs followed the sheet rows
        knime.put("index_continuous", False)
        knime.put("index_jump_skips", not bool(tree.get("HAS_ROW_HDRS")))
    if tree.get("REEVALUATE_FORMULAE"):
        knime.lost("REEVALUATE_FORMULAE = true: knitflow reads the values Excel cached for formulas")
    if tree.get("NO_PREVIEW"):
        knime.note("NO_PREVIEW: KNIME gives no table spec before executing; knitflow reads it from the file")


def _letters_or_empty(value: Any) -> str:
    return "" if value is None else str(value)


def _poi2_reader_from_knime(knime: KnimeSettings) -> None:
    """`org.knime.ext.poi2` read2..read4: 1-based rows, columns as letters."""
    tree = knime.tree
    if "FILE_CHOOSER" in tree:
        _file_chooser(knime)
    else:
        _file(knime, tree.get("XLS_LOCATION"), "XLS_LOCATION")
    _sheet_and_flags(knime)
    for key, name in (("FIRST_ROW", "first_row"), ("LAST_ROW", "last_row"), ("COL_HDR_ROW", "col_hdr_row")):
        knime.take(name, key, transform=lambda v: int(v or 0))
    for key, name in (("FIRST_COL", "first_col"), ("LAST_COL", "last_col"), ("ROW_HDR_COL", "row_hdr_col")):
        knime.take(name, key, transform=_letters_or_empty)
    knime.unread(
        # a timeout for remote files and the spec KNIME cached from its dialog
        "TIMEOUT_IN_SECONDS",
        "NO_PREVIEW",
        "REEVALUATE_FORMULAE",
        *_SPEC_CACHE,
        "FILE_CHOOSER",
        "fileOrFolderModel",
    )


def _file_chooser(knime: KnimeSettings) -> None:
    """read4's `SettingsModelFileChooser2` (config FILE_CHOOSER: filesystem, knime_filesystem,
    knime_mountpoint_filesystem, path_or_url, include_subfolders and the file filter; the model's
    own `fileOrFolderModel` FILE or FILE_IN_FOLDER). For one file only the path matters: the file
    system and the folder filter do not change what is read (the file becomes `${data_dir}/<name>`)."""
    fc = knime.tree.get("FILE_CHOOSER") or {}
    _file(knime, fc.get("path_or_url"), "FILE_CHOOSER.path_or_url")
    mode = knime.tree.get("fileOrFolderModel", "FILE")
    if mode != "FILE":
        knime.lost(f"fileOrFolderModel {mode!r}: reading every workbook of a folder is not supported")


def _poi_reader_from_knime(knime: KnimeSettings) -> None:
    """`org.knime.ext.poi.node.read2` (KNIME 2.x): rows and columns as 0-based ints (-1: open)."""
    tree = knime.tree
    _file(knime, tree.get("XLS_LOCATION"), "XLS_LOCATION")
    _sheet_and_flags(knime)
    for key, name in (("FIRST_ROW", "first_row"), ("LAST_ROW", "last_row"), ("COL_HDR_ROW", "col_hdr_row")):
        knime.take(name, key, transform=lambda v: int(v) + 1 if v is not None and int(v) >= 0 else 0)
    for key, name in (("FIRST_COL", "first_col"), ("LAST_COL", "last_col"), ("ROW_HDR_COL", "row_hdr_col")):
        knime.take(
            name, key, transform=lambda v: column_letters(int(v) + 1) if v is not None and int(v) >= 0 else ""
        )
    knime.lost(
        "Excel Reader (XLS) of KNIME 2.x (org.knime.ext.poi): its column types differ (booleans and dates read "
        "as text, formulas recomputed); knitflow reads with the later reader's rules"
    )
    knime.unread(*_SPEC_CACHE)


class ExcelReaderXLS(Node):
    type_name = "excel_reader_xls"
    display_name = "Excel Reader (XLS)"
    category = Category.SOURCE
    description = (
        "KNIME's legacy Excel reader: one sheet of an .xls/.xlsx/.xlsm workbook (the first with data unless "
        "named), an optional read area, header row and RowID column. Column types follow KNIME's rules (int-sized "
        "whole numbers Integer, other numbers Double, dates Local Date Time, booleans Boolean, mixed String); "
        "RowIDs Row0, Row1, ... or after the sheet row; error cells as a pattern or missing."
    )
    keywords = ("excel", "xls", "xlsx", "spreadsheet", "read", "sheet", "legacy")
    knime = (
        KnimeMapping(
            "org.knime.ext.poi2.node.read4.XLSReaderNodeFactory",
            "Excel Reader (XLS)",
            _poi2_reader_from_knime,
        ),
        KnimeMapping(
            "org.knime.ext.poi2.node.read3.XLSReaderNodeFactory",
            "Excel Reader (XLS)",
            _poi2_reader_from_knime,
        ),
        KnimeMapping(
            "org.knime.ext.poi2.node.read2.XLSReaderNodeFactory",
            "Excel Reader (XLS)",
            _poi2_reader_from_knime,
        ),
        KnimeMapping(
            "org.knime.ext.poi.node.read2.XLSReaderNodeFactory", "Excel Reader (XLS)", _poi_reader_from_knime
        ),
    )
    outputs = (Port(TABLE, "Output table", "The sheet's cells as a table"),)
    Settings = ExcelReaderXLSSettings
    path_settings = ("file",)

    def configure(self, in_specs: list[Any], settings: ExcelReaderXLSSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError(
                "No source location provided! Please enter a valid location.", setting="file"
            )
        _area(settings, ConfigureError)
        if not Path(settings.file).is_file():
            return [UNKNOWN]
        try:
            read = read_excel_legacy(settings, with_rows=False)
        except NodeError as exc:
            raise ConfigureError(str(exc), setting=exc.setting) from None
        return [TableSpec.of(zip(read.names, read.types, strict=True))]

    def execute(self, inputs: list[Any], settings: ExcelReaderXLSSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise NodeError("No source location provided! Please enter a valid location.", setting="file")
        read = read_excel_legacy(settings)
        for message in dict.fromkeys(read.warnings):
            ctx.warn(message)
        data = {
            n: coerce(pd.Series(values, dtype=object), t)
            for n, t, values in zip(read.names, read.types, read.columns, strict=True)
        }
        df = (
            pd.DataFrame(data, columns=read.names)
            if read.names
            else pd.DataFrame(index=range(len(read.row_ids)))
        )
        df.index = pd.Index(read.row_ids, dtype=object)
        return [Table(df, dict(zip(read.names, read.types, strict=True)))]


# ================================================================================ the writers


class ExcelWriterXLSSettings(NodeSettings):
    file: str = Field(
        "", description="filename: the workbook to write (.xlsx); relative paths against the workflow."
    )
    sheetname: str = Field("", description="sheetname: the sheet to write (at most 25 characters are kept).")
    writeColHdr: bool = Field(False, description="writeColHdr: write the column names as the first row.")
    writeRowHdr: bool = Field(
        False, description="writeRowHdr: write the RowIDs as the first column ('row ID')."
    )
    missingPattern: str | None = Field(
        None, description="missingPattern: the text written for missing cells."
    )
    write_missing_values: bool = Field(
        True,
        description="write_missing_values: write missingPattern into missing cells (else leave them empty).",
    )
    overwrite_ok: bool = Field(False, description="overwrite_ok: replace an existing file (writer).")
    file_must_exist: bool = Field(False, description="file_must_exist: fail when the file does not exist.")
    do_not_overwrite_sheet: bool = Field(
        False, description="do_not_overwrite_sheet: fail instead of replacing a sheet of the same name."
    )
    autosize: bool = Field(False, description="autosize: widen the columns to their content.")
    landscape: bool = Field(False, description="landscape: print the sheet in landscape orientation.")
    paper_size: int = Field(1, description="paper_size: Excel's paper size code for printing (1: Letter).")
    columns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="The columns to write (the column filter of KNIME's dialog).",
    )


_BAD_SHEET_CHARS = re.compile(r"[\\/*?\[\]:]")


def _sheet_title(name: str) -> str:
    if not name.strip():
        raise NodeError("Please specify a sheet name.", setting="sheetname")
    if len(name) > 25:
        name = name[:22] + "..."
    return _BAD_SHEET_CHARS.sub("_", name)


def _check_target(s: ExcelWriterXLSSettings, error: type[NodeError]) -> None:
    if not s.file:
        raise error("No output file given", setting="file")
    if s.file.lower().endswith(".xls"):
        raise error(
            "writing the binary .xls format is not supported by knitflow; use a .xlsx file name",
            setting="file",
        )


def _target_workbook(path: Path, s: ExcelWriterXLSSettings, appender: bool) -> Any:
    """The workbook to write into: the existing one (appender) or a new, empty one, after KNIME's
    checks of the file's existence."""
    import openpyxl

    exists = path.is_file()
    if s.file_must_exist and not exists:
        raise NodeError(f"file {path} does not exist", setting="file_must_exist")
    if exists and not appender and not s.overwrite_ok:
        raise NodeError(f"file {path} exists and must not be overwritten", setting="overwrite_ok")
    if not path.parent.is_dir():
        raise NodeError(f"folder {path.parent} does not exist", setting="file")
    if exists and appender:
        try:
            return openpyxl.load_workbook(path)
        except Exception as exc:  # a foreign or broken file
            raise NodeError(f"cannot open {path.name} as a workbook: {exc}", setting="file") from None
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    return wb


def _new_sheet(wb: Any, s: ExcelWriterXLSSettings) -> Any:
    title = _sheet_title(s.sheetname)
    if title in wb.sheetnames:
        if s.do_not_overwrite_sheet:
            raise NodeError(
                f'The workbook already contains a sheet named "{title}"', setting="do_not_overwrite_sheet"
            )
        wb.remove(wb[title])
    ws = wb.create_sheet(title)
    ws.page_setup.orientation = "landscape" if s.landscape else "portrait"
    ws.page_setup.paperSize = s.paper_size
    return ws


def _fill_sheet(ws: Any, table: Table, names: list[str], s: ExcelWriterXLSSettings, ctx: NodeContext) -> None:
    row = 1
    if s.writeColHdr:
        header = (["row ID"] if s.writeRowHdr else []) + names
        for c, name in enumerate(header, start=1):
            ws.cell(row=row, column=c, value=name)
        row += 1
    offset = 1 if s.writeRowHdr else 0
    cols = [(table.df[n].to_numpy(dtype=object), table.types[n]) for n in names]
    ids = table.row_ids
    for k in range(len(table)):
        if k % 1000 == 0:
            ctx.check_cancelled()
        if s.writeRowHdr:
            ws.cell(row=row, column=1, value=ids[k])
        for c, (values, col_type) in enumerate(cols, start=1 + offset):
            _put(ws.cell(row=row, column=c), values[k], col_type, s)
        row += 1
    if s.autosize:
        for c in range(1, len(names) + offset + 1):
            letter = column_letters(c)
            width = max((len(str(x.value)) for x in ws[letter] if x.value is not None), default=8)
            ws.column_dimensions[letter].width = min(width + 2, 255)


def _write_table(table: Table, s: ExcelWriterXLSSettings, appender: bool, ctx: NodeContext) -> None:
    path = Path(s.file)
    wb = _target_workbook(path, s, appender)
    ws = _new_sheet(wb, s)
    _fill_sheet(ws, table, s.columns.apply(table.spec), s, ctx)
    buffer = io.BytesIO()
    wb.save(buffer)
    atomic_write(path, buffer.getvalue())
    ctx.log(f"wrote {len(table)} rows to sheet {ws.title!r} of {path}")


def _put(cell: Any, value: Any, col_type: str, s: ExcelWriterXLSSettings) -> None:
    """XLSWriter2.write: numbers as numbers (infinity as the formula 1/0), booleans, dates with
    KNIME's formats, everything else as text; missing cells get the pattern if asked."""
    if is_missing(value) or value is pd.NaT:
        if s.write_missing_values and s.missingPattern is not None:
            cell.value = s.missingPattern
        return
    if col_type in ColumnType.NUMERIC:
        v = float(value)
        if math.isinf(v):
            cell.value = "=1/0" if v > 0 else "=-1/0"
        elif math.isnan(v):
            cell.value = "#NUM!"
            cell.data_type = "e"
        else:
            cell.value = int(value) if col_type != ColumnType.DOUBLE else v
    elif col_type == ColumnType.BOOLEAN:
        cell.value = bool(value)
    elif col_type == ColumnType.LOCAL_DATE_TIME and isinstance(value, dt.datetime):
        cell.value = value
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif col_type == ColumnType.LOCAL_DATE and isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    elif col_type == ColumnType.LOCAL_TIME and isinstance(value, dt.time):
        cell.value = value
        cell.number_format = "hh:mm:ss;@"
    else:
        cell.value = str(value)


def _writer_from_knime(knime: KnimeSettings) -> None:
    """`XLSWriter2Settings` (writer and appender share them)."""
    tree = knime.tree
    path = tree.get("filename")
    name = file_name(path) or ""
    if name and not Path(name).suffix and Path(name).stem.strip():
        name += ".xlsx"  # AP-6408: KNIME adds the extension
    knime.put("file", name, "filename")
    if path and name != path:
        knime.note(f"output file {path!r} is written as {name!r} beside the workflow")
    if name.lower().endswith(".xls"):
        knime.lost(f"the target {name!r} is a binary .xls workbook, which knitflow cannot write (only .xlsx)")
    sheet = tree.get("sheetname")
    knime.put("sheetname", "" if sheet is None else str(sheet), "sheetname")
    if sheet is None or not str(sheet).strip():
        knime.lost("no sheet name: KNIME names the sheet after the input table, which knitflow does not know")
    knime.take_all(
        [
            "writeColHdr",
            "writeRowHdr",
            "missingPattern",
            "overwrite_ok",
            "file_must_exist",
            "do_not_overwrite_sheet",
            "autosize",
            "landscape",
            "paper_size",
        ]
    )
    # options added after KNIME 1.x / 2.11: absent means KNIME's default of those versions
    knime.put("overwrite_ok", bool(tree.get("overwrite_ok", True)), "overwrite_ok")
    knime.put("write_missing_values", bool(tree.get("write_missing_values", True)), "write_missing_values")
    for key in ("xCellOffset", "yCellOffset"):
        if tree.get(key):
            knime.lost(f"{key} = {tree.get(key)}: knitflow writes from the first cell")
        knime.ignore_binding(key, "the offset is 0")
    if tree.get("evaluate_formula"):
        knime.lost("evaluate_formula = true: knitflow does not evaluate formulas after writing")
    if tree.get("open_file"):
        knime.note("open_file: knitflow does not open the written file in a desktop application")
    filters = [k for k, v in tree.items() if isinstance(v, dict) and "filter-type" in v]
    for k in filters:
        knime.take("columns", k)
    knime.unread("xCellOffset", "yCellOffset", "evaluate_formula", "open_file", *filters)


class ExcelWriterXLS(Node):
    type_name = "excel_writer_xls"
    display_name = "Excel Writer (XLS)"
    category = Category.SINK
    description = (
        "KNIME's legacy Excel writer: writes the table to one sheet of a new .xlsx workbook (an existing file is "
        "replaced only with overwrite_ok), with optional column header and RowID column ('row ID'), missing "
        "cells empty or a pattern. The binary .xls format is not written."
    )
    keywords = ("excel", "xls", "xlsx", "spreadsheet", "write", "export", "legacy")
    knime = (
        KnimeMapping(
            "org.knime.ext.poi2.node.write2.XLSWriter2NodeFactory", "Excel Writer (XLS)", _writer_from_knime
        ),
        KnimeMapping(
            "org.knime.ext.poi.node.write2.XLSWriter2NodeFactory", "Excel Writer (XLS)", _writer_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input table", "The table to write"),)
    outputs = ()
    Settings = ExcelWriterXLSSettings
    path_settings = ("file",)
    appender = False

    def configure(self, in_specs: list[Any], settings: ExcelWriterXLSSettings, ctx: NodeContext) -> list[Any]:
        _check_target(settings, ConfigureError)
        if not settings.sheetname.strip():
            raise ConfigureError("Please specify a sheet name.", setting="sheetname")
        return []

    def execute(self, inputs: list[Any], settings: ExcelWriterXLSSettings, ctx: NodeContext) -> list[Any]:
        _check_target(settings, NodeError)
        _write_table(inputs[0], settings, self.appender, ctx)
        return []


class ExcelSheetAppenderXLS(ExcelWriterXLS):
    type_name = "excel_sheet_appender_xls"
    display_name = "Excel Sheet Appender (XLS)"
    description = (
        "KNIME's legacy sheet appender: adds the table as a sheet to an existing .xlsx workbook (created when "
        "absent unless file_must_exist); a sheet of the same name is replaced unless do_not_overwrite_sheet."
    )
    keywords = ("excel", "xls", "xlsx", "spreadsheet", "append", "sheet", "legacy")
    knime = (
        KnimeMapping(
            "org.knime.ext.poi2.node.write2.XLSAppenderNodeFactory",
            "Excel Sheet Appender (XLS)",
            _writer_from_knime,
        ),
        KnimeMapping(
            "org.knime.ext.poi.node.write2.XLSAppenderNodeFactory",
            "Excel Sheet Appender (XLS)",
            _writer_from_knime,
        ),
    )
    appender = True
