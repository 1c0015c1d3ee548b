"""Excel Reader and Excel Writer (xlsx/xlsm via openpyxl) with KNIME's settings keys.

openpyxl is the maintained pure-Python library for the Office Open XML workbook format; it reads
the values Excel cached for formulas (KNIME's default, reevaluate_formulas = false) and writes
typed cells. The reader follows `ExcelTableReader`: one sheet (first, by name or by index), an
optional header row, an optional read area (from/to column letters and row numbers), empty rows
skipped, empty strings read as missing, RowIDs generated or taken from a column, and a type per
column guessed over its cells (Integer, else Long, else Double for numbers; Boolean; String for
text or mixed cells). The writer follows `ExcelTableWriterNodeModel`: one sheet per input table,
fail/overwrite/append for existing files and sheets, optional RowIDs and header, a missing-value
pattern.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VARIABLES,
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
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type, file_name, get, seq
from nodes._common import output_file
from nodes._excel_cells import _convert, _text, column_index, column_letters, guess_type
from nodes._rows import is_missing

# ==================================================================================== Excel Reader


class ExcelReaderSettings(NodeSettings):
    file: str = Field(
        "", description="The workbook (.xlsx/.xlsm); relative paths are resolved against the workflow."
    )
    sheet_selection: Literal["FIRST", "NAME", "INDEX"] = Field(
        "FIRST",
        title="Sheet",
        description="Read the FIRST sheet, the one named sheet_name, or the one at sheet_index.",
    )
    sheet_name: str = Field("", description="Sheet to read (sheet_selection NAME).")
    sheet_index: int = Field(0, description="0-based position of the sheet to read (sheet_selection INDEX).")
    table_contains_column_names: bool = Field(
        True, title="Column header", description="A row of the sheet holds the column names."
    )
    column_names_row_number: int = Field(
        1, description="Sheet row number (1-based) of the column names; the data are the rows below it."
    )
    row_id: Literal["GENERATE", "COLUMN"] = Field(
        "GENERATE",
        title="RowID",
        description="GENERATE: Row0, Row1, ...; COLUMN: the values of row_id_column.",
    )
    row_id_column: str = Field("A", description="Column letter holding the RowIDs (row_id COLUMN).")
    sheet_area: Literal["ENTIRE", "SPECIFIC"] = Field(
        "ENTIRE",
        title="Sheet area",
        description="ENTIRE: the used range; SPECIFIC: the read_from/read_to range.",
    )
    read_from_column: str = Field("A", description="First column letter (SPECIFIC).")
    read_to_column: str = Field("", description="Last column letter, empty: the last used (SPECIFIC).")
    read_from_row: str = Field("1", description="First row number (SPECIFIC).")
    read_to_row: str = Field("", description="Last row number, empty: the last used (SPECIFIC).")
    skip_empty_rows: bool = Field(True, description="Skip rows whose cells are all empty.")
    replace_empty_strings_with_missings: bool = Field(True, description="Read empty text cells as missing.")
    skip_hidden_columns: bool = Field(True, description="Leave out hidden columns.")
    skip_hidden_rows: bool = Field(True, description="Leave out hidden rows.")
    column_types: dict[str, str] = Field(
        default_factory=dict,
        description="Column name -> enforced type (Integer, Long, Double, String, Boolean); others are guessed.",
    )


class _Sheet:
    """The cells of the read area: rows of values (None: empty), their column letters."""

    def __init__(self, s: ExcelReaderSettings) -> None:
        wb = _workbook(s)
        ws = _chosen_sheet(wb, s)
        first_col, last_col, first_row, last_row = _read_area(ws, s)
        cols = [
            c
            for c in range(first_col, last_col + 1)
            if not (s.skip_hidden_columns and ws.column_dimensions[column_letters(c)].hidden)
        ]
        self.letters = [column_letters(c) for c in cols]
        self.rows = _area_rows(ws, s, cols, range(first_row, last_row + 1))
        wb.close()


def _workbook(s: ExcelReaderSettings) -> Any:
    """The workbook with the values Excel cached for formulas (KNIME's default)."""
    import openpyxl  # imported here: only the Excel nodes need it

    path = Path(s.file)
    if not path.is_file():
        raise NodeError(f"file not found: {s.file}", setting="file")
    try:
        return openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException
        raise NodeError(f"cannot read {path.name} as an Excel workbook: {exc}", setting="file") from None


def _chosen_sheet(wb: Any, s: ExcelReaderSettings) -> Any:
    """The sheet by name, by index or the first one."""
    if s.sheet_selection == "NAME":
        if s.sheet_name not in wb.sheetnames:
            raise NodeError(
                f"sheet {s.sheet_name!r} not found (sheets: {', '.join(wb.sheetnames)})",
                setting="sheet_name",
            )
        return wb[s.sheet_name]
    if s.sheet_selection == "INDEX":
        if not 0 <= s.sheet_index < len(wb.sheetnames):
            raise NodeError(f"no sheet at index {s.sheet_index}", setting="sheet_index")
        return wb.worksheets[s.sheet_index]
    return wb.worksheets[0]


def _read_area(ws: Any, s: ExcelReaderSettings) -> tuple[int, int, int, int]:
    """(first column, last column, first row, last row), 1-based: the used range of the sheet, or
    the specific area with its open ends filled from it."""
    if s.sheet_area != "SPECIFIC":
        return 1, ws.max_column, 1, ws.max_row
    return (
        column_index(s.read_from_column or "A"),
        column_index(s.read_to_column) if s.read_to_column else ws.max_column,
        int(s.read_from_row or 1),
        int(s.read_to_row) if s.read_to_row else ws.max_row,
    )


def _area_rows(ws: Any, s: ExcelReaderSettings, cols: list[int], rows: range) -> list[tuple[int, list[Any]]]:
    """(row number, values) of the rows read, hidden ones skipped if asked; "" is missing if asked."""
    out: list[tuple[int, list[Any]]] = []
    for r in rows:
        if s.skip_hidden_rows and ws.row_dimensions[r].hidden:
            continue
        values = [ws.cell(row=r, column=c).value for c in cols]
        if s.replace_empty_strings_with_missings:
            values = [None if isinstance(v, str) and v == "" else v for v in values]
        out.append((r, values))
    return out


def _header_and_data(sheet: _Sheet, s: ExcelReaderSettings) -> tuple[list[Any] | None, list[list[Any]]]:
    """The column names row (if any) and the data rows: rows above the names row and, if asked,
    empty rows are skipped."""
    header: list[Any] | None = None
    data: list[list[Any]] = []
    names_row = s.column_names_row_number if s.table_contains_column_names else None
    for r, values in sheet.rows:
        if names_row is not None and r <= names_row:
            if r == names_row:
                header = values
            continue
        if s.skip_empty_rows and all(v is None for v in values):
            continue
        data.append(values)
    return header, data


def _row_ids_from_column(
    sheet: _Sheet, s: ExcelReaderSettings, data: list[list[Any]]
) -> tuple[int, list[str]]:
    """The RowID column's index in the read area and its values as RowIDs (empty cells: "?")."""
    letter = s.row_id_column.strip().upper()
    if letter not in sheet.letters:
        raise NodeError(f"RowID column {letter} is outside the read area", setting="row_id_column")
    at = sheet.letters.index(letter)
    row_ids = [_text(row[at]) if row[at] is not None else "?" for row in data]
    if len(set(row_ids)) != len(row_ids):
        raise NodeError(f"the RowIDs in column {letter} are not unique", setting="row_id_column")
    return at, row_ids


def _column_names(header: list[Any] | None, keep: list[int], letters: list[str]) -> list[str]:
    """Header texts, trimmed and made unique; an empty or absent header cell names the column by
    its letter."""
    names: list[str] = []
    for i in keep:
        raw = header[i] if header is not None and header[i] is not None else None
        name = _text(raw).strip() if raw is not None and _text(raw).strip() else letters[i]
        names.append(unique_column_name(names, name))
    return names


def _read(s: ExcelReaderSettings) -> tuple[list[str], list[str], list[list[Any]], list[str] | None]:
    """(names, types, columns of values, RowIDs or None)."""
    sheet = _Sheet(s)
    header, data = _header_and_data(sheet, s)
    keep = list(range(len(sheet.letters)))
    row_ids = None
    if s.row_id == "COLUMN":
        at, row_ids = _row_ids_from_column(sheet, s, data)
        keep.remove(at)
    names = _column_names(header, keep, sheet.letters)
    columns = [[row[i] for row in data] for i in keep]
    types = [s.column_types.get(n) or guess_type(col) for n, col in zip(names, columns, strict=True)]
    return names, types, columns, row_ids


def _excel_reader_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    path = get(tree, "settings.file_selection.path.path")
    bound = "settings.file_selection.path" in knime.variables
    name = file_name(path)
    knime.put("file", name if bound or not name else f"${{data_dir}}/{name}", "settings.file_selection.path")
    if get(tree, "settings.file_selection.filter_mode.filter_mode", "FILE") != "FILE":
        knime.lost("reading a folder of workbooks is not supported; the path is read as one file")
    for key in (
        "sheet_selection",
        "sheet_name",
        "sheet_index",
        "table_contains_column_names",
        "column_names_row_number",
        "row_id",
        "row_id_column",
        "sheet_area",
        "read_from_column",
        "read_to_column",
        "read_from_row",
        "read_to_row",
    ):
        knime.take(key, f"settings.{key}")
    for key in (
        "skip_empty_rows",
        "replace_empty_strings_with_missings",
        "skip_hidden_columns",
        "skip_hidden_rows",
    ):
        knime.take(key, f"advanced_settings.{key}")
    if get(tree, "advanced_settings.reevaluate_formulas"):
        knime.lost("reevaluate_formulas = true: knitflow reads the values Excel cached for formulas")
    trans = get(tree, "table_spec_config_Internals.table_transformation")
    if isinstance(trans, dict):
        types: dict[str, str] = {}
        for c in seq(trans.get("columns")):
            source = get(c, "external_spec.name")
            if c.get("name") not in (None, source):
                knime.lost(
                    f"column {source!r} renamed to {c.get('name')!r} in the stored spec is not supported"
                )
            if c.get("keep") is False:
                knime.lost(f"column {source!r} is dropped in the stored spec; knitflow reads it")
            t = column_type(get(c, "production_path._converter_dst"))
            if t in (
                ColumnType.INTEGER,
                ColumnType.LONG,
                ColumnType.DOUBLE,
                ColumnType.STRING,
                ColumnType.BOOLEAN,
            ):
                types[str(source)] = t
            elif t:
                knime.lost(f"column {source!r} has KNIME type {t}, read as knitflow's guess")
        if types:
            knime.put("column_types", types)
    if get(tree, "advanced_settings.skip_empty_cols"):
        knime.lost("skip_empty_cols = true: knitflow keeps empty columns")
    if get(tree, "advanced_settings.use_15_digits_precision", False):
        knime.note("KNIME rounds numbers to Excel's 15 significant digits; knitflow reads the stored double")
    if get(tree, "advanced_settings.formula_error_handling", "PATTERN") == "PATTERN":
        knime.note("cells with formula errors: KNIME writes its error pattern, knitflow Excel's error text")
    knime.unread("settings", "advanced_settings", "encryption")
    knime.unread("file_selection", under="settings")
    knime.unread(
        # several files only, the type-guessing sample, and the notes above
        "fail_on_differing_specs",
        "limit_data_rows_scanned",
        "max_data_rows_scanned",
        "skip_empty_cols",
        "use_15_digits_precision",
        "formula_error_handling",
        "formula_error_pattern",
        "reevaluate_formulas",
        under="advanced_settings",
    )


class ExcelReader(Node):
    type_name = "excel_reader"
    display_name = "Excel Reader"
    category = Category.SOURCE
    description = (
        "Reads one sheet of an Excel workbook (.xlsx/.xlsm): the first, a named or an indexed sheet, a header row, "
        "an optional cell range, RowIDs generated (Row0, Row1, ...) or from a column. Column types are guessed over "
        "the cells (whole numbers Integer/Long, other numbers Double, Boolean, else String); formulas give the "
        "value Excel last computed; dates are read as ISO text."
    )
    keywords = ("excel", "xlsx", "spreadsheet", "read", "sheet", "workbook", "import")
    knime = (
        KnimeMapping(
            "org.knime.ext.poi3.node.io.filehandling.excel.reader.ExcelTableReaderNodeFactory",
            "Excel Reader",
            _excel_reader_from_knime,
        ),
    )
    outputs = (Port(TABLE, "Sheet table", "The sheet's rows and columns"),)
    Settings = ExcelReaderSettings
    path_settings = ("file",)

    def configure(self, in_specs: list[Any], settings: ExcelReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no file selected", setting="file")
        if not Path(settings.file).is_file():
            return [UNKNOWN]  # e.g. written by another node first
        try:
            names, types, _, _ = _read(settings)
        except NodeError as exc:
            raise ConfigureError(str(exc), setting=exc.setting) from None
        return [TableSpec.of(zip(names, types, strict=True))]

    def execute(self, inputs: list[Any], settings: ExcelReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise NodeError("no file selected", setting="file")
        names, types, columns, row_ids = _read(settings)
        data = {}
        for n, t, values in zip(names, types, columns, strict=True):
            try:
                data[n] = _convert(values, t)
            except (TypeError, ValueError):
                raise NodeError(
                    f"column {n!r} holds cells that are not {t}", setting="column_types"
                ) from None
        n_rows = len(columns[0]) if columns else len(row_ids or [])
        df = pd.DataFrame(data, columns=names)
        if not names:
            df = pd.DataFrame(index=range(n_rows))
        df.index = pd.Index(
            row_ids if row_ids is not None else [f"Row{i}" for i in range(n_rows)], dtype=object
        )
        return [Table(df, dict(zip(names, types, strict=True)))]


# ==================================================================================== Excel Writer

EXCEL_SHEETS = 4


class ExcelWriterSettings(NodeSettings):
    file: str = Field(
        "", description="Output workbook (.xlsx); relative paths are resolved against the workflow."
    )
    if_path_exists: Literal["fail", "overwrite", "append"] = Field(
        "fail",
        title="If exists",
        description="An existing file: fail, overwrite it, or append the sheets to it (see if_sheet_exists).",
    )
    create_missing_folders: bool = Field(
        False, description="Create the file's folder when it does not exist."
    )
    sheet_names: list[str] = Field(
        default_factory=lambda: ["default_1"],
        description="Sheet name per input table, in port order (at most 31 characters, none of : [ ] / \\ * ?).",
    )
    if_sheet_exists: Literal["FAIL", "OVERWRITE", "APPEND"] = Field(
        "FAIL",
        title="If sheet exists",
        description="When appending to a workbook that has the sheet: fail, replace the sheet, or add the rows below.",
    )
    write_row_key: bool = Field(
        False, title="Write RowID", description="Write the RowIDs as the first column."
    )
    write_column_header: bool = Field(
        True, title="Write column headers", description="Write the column names."
    )
    skip_column_header_on_append: bool = Field(
        True, description="When adding rows to an existing sheet, do not repeat the header."
    )
    replace_missings: bool = Field(
        False, description="Write missing cells as missing_value_pattern (else empty)."
    )
    missing_value_pattern: str = Field("", description="Text for missing cells when replace_missings is on.")
    autosize_columns: bool = Field(False, description="Widen the columns to their content.")


_ILLEGAL_SHEET = set(":[]/\\*?")


def _cell_value(value: Any, col_type: str) -> Any:
    if is_missing(value):
        return None
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        return int(value)
    if col_type == ColumnType.DOUBLE:
        return float(value)
    if col_type == ColumnType.BOOLEAN:
        return bool(value)
    return value if isinstance(value, str | int | float | bool) else str(value)


def _excel_writer_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    fc = "file_selection"
    path = get(tree, f"{fc}.path.path")
    knime.put("file", file_name(path), f"{fc}.path")
    knime.take("if_path_exists", f"{fc}.if_path_exists")
    knime.take("create_missing_folders", f"{fc}.create_missing_folders")
    if str(tree.get("excel_format", "XLSX")) != "XLSX":
        knime.lost(f"excel_format {tree.get('excel_format')}: knitflow writes .xlsx only")
    knime.take("sheet_names", transform=lambda v: list(seq(v)))
    knime.take_all(
        [
            "if_sheet_exists",
            "write_row_key",
            "write_column_header",
            "skip_column_header_on_append",
            "replace_missings",
            "missing_value_pattern",
            "autosize_columns",
        ]
    )
    if tree.get("evaluate_formulas"):
        knime.lost("evaluate_formulas = true is not supported")
    for key in ("layout", "paper_size"):
        knime.ignore_binding(key, "print layout changes no cell")


class ExcelWriter(Node):
    type_name = "excel_writer"
    display_name = "Excel Writer"
    category = Category.SINK
    description = (
        "Writes each input table to a sheet of an .xlsx workbook: numbers, booleans and text as typed cells, "
        "optional RowIDs and column header, missing cells empty or a pattern; an existing file fails, is "
        "replaced, or gets the sheets added (an existing sheet: fail, replace, or rows appended)."
    )
    keywords = ("excel", "xlsx", "spreadsheet", "write", "export", "sheet", "save")
    knime = (
        KnimeMapping(
            "org.knime.ext.poi3.node.io.filehandling.excel.writer.ExcelTableWriterNodeFactory",
            "Excel Writer",
            _excel_writer_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Sheet 1", "Table for the first sheet"),) + tuple(
        Port(TABLE, f"Sheet {i + 1}", "Table for a further sheet", optional=True)
        for i in range(1, EXCEL_SHEETS)
    )
    outputs = (Port(VARIABLES, "Flow variables", "Connect it to order a reader after the writer"),)
    Settings = ExcelWriterSettings
    path_settings = ("file",)

    def _check(self, s: ExcelWriterSettings, n_tables: int, error: type[NodeError]) -> None:
        if not s.file:
            raise error("no output file given", setting="file")
        if len(s.sheet_names) < n_tables:
            raise error(f"{n_tables} tables but {len(s.sheet_names)} sheet names", setting="sheet_names")
        for name in s.sheet_names[:n_tables]:
            if not name.strip() or len(name) > 31 or _ILLEGAL_SHEET & set(name):
                raise error(f"invalid sheet name {name!r}", setting="sheet_names")
        if len(set(s.sheet_names[:n_tables])) != n_tables and s.if_sheet_exists != "APPEND":
            raise error("The sheet names must be unique.", setting="sheet_names")

    def configure(self, in_specs: list[Any], settings: ExcelWriterSettings, ctx: NodeContext) -> list[Any]:
        # an unconnected sheet port configures as UNKNOWN: only the known tables are counted here
        self._check(
            settings, len([s for s in in_specs if s is not None and s is not UNKNOWN]), ConfigureError
        )
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: ExcelWriterSettings, ctx: NodeContext) -> list[Any]:
        import openpyxl

        s = settings
        tables: list[Table] = [t for t in inputs if t is not None]
        self._check(s, len(tables), NodeError)
        path, exists = output_file(s.file, s.create_missing_folders, s.if_path_exists)
        if exists and s.if_path_exists == "append":
            wb = openpyxl.load_workbook(path)
        else:
            wb = openpyxl.Workbook()
            wb.remove(wb.active)
        for table, name in zip(tables, s.sheet_names, strict=False):
            ctx.check_cancelled()
            header = s.write_column_header
            if name in wb.sheetnames:
                if s.if_sheet_exists == "FAIL":
                    raise NodeError(f"sheet {name!r} exists in {path.name}", setting="if_sheet_exists")
                if s.if_sheet_exists == "OVERWRITE":
                    at = wb.sheetnames.index(name)
                    wb.remove(wb[name])
                    ws = wb.create_sheet(name, at)
                else:
                    ws = wb[name]
                    header = header and not (s.skip_column_header_on_append and ws.max_row > 0)
            else:
                ws = wb.create_sheet(name)
            start = ws.max_row + 1 if ws.max_row > 1 or ws.cell(1, 1).value is not None else 1
            self._write(ws, table, s, header, start)
        payload = _workbook_bytes(wb)
        atomic_write(path, payload)
        ctx.log(f"wrote {sum(len(t) for t in tables)} rows to {path}")
        return [None]

    @staticmethod
    def _write(ws: Any, table: Table, s: ExcelWriterSettings, header: bool, start: int) -> None:
        row = start
        missing = s.missing_value_pattern if s.replace_missings else None
        if header:
            names = (["RowID"] if s.write_row_key else []) + table.columns
            for c, name in enumerate(names, start=1):
                ws.cell(row=row, column=c, value=name)
            row += 1
        columns = [(table.df[c].to_numpy(dtype=object), table.types[c]) for c in table.columns]
        ids = table.row_ids
        offset = 1 if s.write_row_key else 0
        for k in range(len(table)):
            if s.write_row_key:
                ws.cell(row=row, column=1, value=ids[k])
            for c, (values, col_type) in enumerate(columns, start=1 + offset):
                value = _cell_value(values[k], col_type)
                ws.cell(row=row, column=c, value=missing if value is None else value)
            row += 1
        if s.autosize_columns:
            for c in range(1, len(columns) + offset + 1):
                letter = column_letters(c)
                width = max(
                    (len(str(cell.value)) for cell in ws[letter] if cell.value is not None), default=8
                )
                ws.column_dimensions[letter].width = min(width + 2, 100)


def _workbook_bytes(wb: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
