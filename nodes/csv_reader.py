"""CSV Reader with KNIME's rules: quoted values, trimming, comments, type guessing on the first
rows, the stored column order and types of a KNIME workflow, generated RowIDs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.api import (
    TABLE,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type, file_name, get, seq
from nodes._csv_cells import _column, _convert, _guess_type, _layout, _NumberText, guess_arrow_type
from nodes._csv_source import _BLOCK_ROWS, CsvReaderSettings, _CsvSource, _missing_file, _read_raw
from nodes._knime_readers import classic_csv_reader_from_knime, file_reader_from_knime


def _reader_columns(knime: KnimeSettings) -> list[dict[str, Any]]:
    """The stored table transformation: columns in output order with their types (`keep: false`
    drops one, `name` renames)."""
    trans = knime.get("table_spec_config_Internals.table_transformation")
    if not isinstance(trans, dict):
        return []
    cols: list[tuple[int, dict[str, Any]]] = []
    for c in seq(trans.get("columns")):
        source = get(c, "external_spec.name")
        entry: dict[str, Any] = {"name": source}
        new = c.get("name")
        if new is not None and new != source:
            entry["rename"] = new
        entry["type"] = column_type(get(c, "production_path._converter_dst"))
        if c.get("keep") is False:
            entry["keep"] = False
        cols.append((c.get("position", len(cols)), entry))
    cols.sort(key=lambda pe: pe[0])
    return [e for _, e in cols]


def _csv_reader_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    s = "settings"
    path = get(tree, f"{s}.file_selection.path.path")
    bound = f"{s}.file_selection.path" in knime.variables
    name = file_name(path)
    # data files live in the workflow variable data_dir; a file another node writes (path bound to
    # a flow variable) is read relative to the workflow
    knime.put("file", name if bound or not name else f"${{data_dir}}/{name}", f"{s}.file_selection.path")
    if path and name != path:
        knime.note(f"file {path!r} imported as {knime.settings['file']!r}")
    if get(tree, f"{s}.file_selection.filter_mode.filter_mode", "FILE") != "FILE":
        knime.lost("reading a folder of files is not supported; the path is read as one file")
    if get(tree, f"{s}.skip_empty_data_rows"):
        knime.lost("skip_empty_data_rows = true is not supported: knitflow does not skip empty lines")
    knime.take("has_column_header", f"{s}.has_column_header")
    knime.take("has_row_id", f"{s}.has_row_id")
    knime.take("column_delimiter", f"{s}.column_delimiter")
    knime.take("quote_char", f"{s}.quote_char")
    knime.take("quote_escape_char", f"{s}.quote_escape_char")
    knime.take("comment_char", f"{s}.comment_char")
    if not get(tree, f"{s}.use_line_break_row_delimiter", True):
        knime.take("row_delimiter", f"{s}.row_delimiter")
    knime.take("charset", "encoding.charset")
    adv = "advanced_settings"
    knime.take("quote_option", f"{adv}.quote_option")
    knime.take("replace_empty_quotes_with_missing", f"{adv}.replace_empty_quotes_with_missing")
    thousands = get(tree, f"{adv}.thousands_separator")
    if thousands not in (None, "", "\x00"):
        knime.put("thousands_separator", thousands, f"{adv}.thousands_separator")
    decimal = get(tree, f"{adv}.decimal_separator")
    if decimal not in (None, "."):
        knime.put("decimal_separator", decimal, f"{adv}.decimal_separator")
    for flag, count, name_ in (
        ("limit_rows.skip_lines", "limit_rows.number_of_lines_to_skip", "skip_lines"),
        ("limit_rows.skip_data_rows", "limit_rows.number_of_rows_to_skip", "skip_data_rows"),
        ("limit_rows.limit_data_rows", "limit_rows.max_rows", "max_rows"),
    ):
        if get(tree, flag):
            knime.put(name_, get(tree, count), count)
    knime.take("support_short_data_rows", f"{s}.support_short_data_rows")
    knime.take("limit_data_rows_scanned", f"{adv}.limit_data_rows_scanned")
    knime.take("max_data_rows_scanned", f"{adv}.max_data_rows_scanned")
    trans = "table_spec_config_Internals.table_transformation"
    if get(tree, f"{trans}.enforce_types") is not None:
        knime.take("enforce_types", f"{trans}.enforce_types")
    columns = _reader_columns(knime)
    if columns:
        knime.put("columns", columns)
        if (
            knime.get("table_spec_config_Internals.table_transformation.unknown_columns_transformation.keep")
            is False
        ):
            knime.put("keep_unknown_columns", False)
    for flag, what in (
        (f"{adv}.no_row_delimiters_in_quotes", "line breaks inside quotes are not allowed in KNIME"),
        (f"{s}.prepend_file_idx_to_row_id", "KNIME prefixes the RowIDs with the file index"),
    ):
        if get(tree, flag):
            knime.lost(f"{flag} = true is not supported: {what}")
    # the rest tunes memory, parallel reading, the dialog or checks knitflow makes anyway
    knime.unread(
        "autodetect_buffer_size",
        "skip_empty_data_rows",
        "prepend_file_idx_to_row_id",
        "use_line_break_row_delimiter",
        "row_delimiter",
        under=s,
    )
    knime.unread(
        "check_table_spec",
        "fail_on_differing_specs",
        "limit_memory_per_column",
        "max_num_chunks_per_file",
        "min_chunk_size_in_bytes",
        "maximum_number_of_columns",
        "no_row_delimiters_in_quotes",
        "thousands_separator",
        "decimal_separator",
        under=adv,
    )
    # (a count is read when its flag is on, and changes nothing when it is off)
    knime.unread(
        "skip_lines",
        "skip_data_rows",
        "limit_data_rows",
        "number_of_lines_to_skip",
        "number_of_rows_to_skip",
        "max_rows",
        under="limit_rows",
    )
    knime.unread(under="encoding")
    knime.unread("settings", "advanced_settings", "limit_rows", "table_spec_config_Internals")


def _file_reader_from_knime(knime: KnimeSettings) -> None:
    """The filehandling File Reader (KNIME 4.2+) is the CSV Reader with another description (KNIME 5.12
    maps the one onto the other: FileReaderNodeFactoryClassMapper). The classic File Reader
    (io.filereader, a `DataURL` tree) shares the class name: it never reads as this layout."""
    if "settings" not in knime.tree:
        knime.lost(
            "this File Reader settings layout (the classic io.filereader File Reader) is not supported"
        )
        return
    _csv_reader_from_knime(knime)


class CsvReader(Node):
    type_name = "csv_reader"
    display_name = "CSV Reader"
    category = Category.SOURCE
    description = (
        "Reads a CSV file like KNIME's CSV Reader: quoted values (quotes removed and values and header names "
        "trimmed), `#` comment lines, an empty quoted value read as missing, column types guessed on the first "
        "10000 rows (Integer, else Long, else Double, else String), RowIDs Row0, Row1, ... or the first column. "
        "`columns` holds the column order and types KNIME stored for the workflow (a KNIME import fills it)."
    )
    keywords = ("csv", "read", "file", "import", "load", "text", "comma")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.filehandling.csv.reader.CSVTableReaderNodeFactory",
            "CSV Reader",
            _csv_reader_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.csvreader.CSVReaderNodeFactory",
            "CSV Reader (legacy)",
            classic_csv_reader_from_knime,
            note="KNIME's classic CSV Reader: nodes/_knime_readers.py says what translates",
        ),
        KnimeMapping(
            "org.knime.base.node.io.filereader.FileReaderNodeFactory",
            "File Reader",
            file_reader_from_knime,
            note="KNIME's File Reader (FileTokenizer): nodes/_knime_readers.py says what translates",
        ),
        KnimeMapping(
            "org.knime.base.node.io.filehandling.csv.reader.FileReaderNodeFactory",
            "File Reader",
            _file_reader_from_knime,
        ),
    )
    outputs = (Port(TABLE, "File table", "The file's rows and columns"),)
    Settings = CsvReaderSettings
    path_settings = ("file",)

    def _stored_spec(self, s: CsvReaderSettings) -> TableSpec | None:
        if not s.columns or any(c.type is None for c in s.columns if c.keep):
            return None
        layout = _layout([c.name for c in s.columns], {}, s, file_known=False)
        return TableSpec.of((out, t) for _, out, t in layout)

    def configure(self, in_specs: list[Any], settings: CsvReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no file selected", setting="file")
        if not Path(settings.file).is_file():
            stored = self._stored_spec(settings)
            if stored is not None:
                return [stored]  # e.g. a file another node writes first
            raise ConfigureError(str(_missing_file(settings.file)), setting="file")
        try:
            key: tuple[Any, ...] | None = _configure_key(settings)
        except OSError:  # unreadable: the reading below says why
            key = None
        known = _CONFIGURED.get(key) if key is not None else None
        if known is not None:
            return [known]
        scan = settings.max_data_rows_scanned if settings.limit_data_rows_scanned else None
        try:
            raw = _read_raw(settings.file, settings, max_rows=scan)
            fmt = _NumberText(settings)
            guessed = {n: _guess_all(raw.columns[i], fmt) for i, n in enumerate(raw.names)}
            layout = _layout(raw.names, guessed, settings, file_known=True)
        except NodeError as exc:
            raise ConfigureError(str(exc), setting=exc.setting) from None
        spec = TableSpec.of((out, t) for _, out, t in layout)
        if key is not None:
            if len(_CONFIGURED) >= _CONFIGURED_KEPT:
                _CONFIGURED.pop(next(iter(_CONFIGURED)), None)
            _CONFIGURED[key] = spec
        return [spec]

    def execute(self, inputs: list[Any], settings: CsvReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise NodeError("no file selected", setting="file")
        source = _CsvSource(settings.file, settings)
        if source.note:
            ctx.warn(source.note)
        ctx.progress(0.2, "converting values")
        fmt = _NumberText(settings)
        scan = settings.max_data_rows_scanned if settings.limit_data_rows_scanned else None
        guessed = _guessed_types(source, fmt, scan)
        layout = _layout(source.names, guessed, settings, file_known=True)
        position = {n: i for i, n in enumerate(source.names)}
        parts: dict[str, list[tuple[np.ndarray, np.ndarray | None]]] = {out: [] for _, out, _ in layout}
        same: dict[str, dict[Any, Any] | None] = {out: {} for _, out, _ in layout}
        ids: list[str] = []
        n_rows = 0
        for raw in source.blocks():  # one block of strings at a time, converted and dropped
            ctx.check_cancelled()
            for src, out, t in layout:
                parts[out].append(_convert(raw, position[src], t, fmt, same[out]))
                if len(same[out] or ()) > _BLOCK_ROWS:  # mostly distinct values: sharing saves nothing
                    same[out] = None
            ids += raw.row_ids or []
            n_rows += raw.n_rows
        has_ids = bool(source.offset)
        del source, same  # the file's lines
        data = {out: _column(parts.pop(out), t) for _, out, t in layout}
        index = pd.Index(np.array(ids, dtype=object) if has_ids else _row_ids(n_rows), dtype=object)
        df = pd.DataFrame(data, columns=[out for _, out, _ in layout])
        df.index = index
        return [Table(df, {out: t for _, out, t in layout})]


def _row_ids(n: int) -> np.ndarray:
    """Row0, Row1, ... as an object array (made by Arrow for many rows: twice as fast)."""
    if n < 10_000:
        return np.array([f"Row{i}" for i in range(n)], dtype=object)
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = pc.cast(pa.array(np.arange(n, dtype=np.int64)), pa.string())
    return np.asarray(
        pc.binary_join_element_wise("Row", numbers, "").to_numpy(zero_copy_only=False), dtype=object
    )


_TYPE_ORDER = [ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE, ColumnType.STRING]

# Specs configure found, by file state and settings: a run configures each node when it loads and
# again just before it executes, and the editor on every change; each time, the file was decoded
# and its first rows scanned again (0.1 s for 13_01's 9 MB qm9.csv).
_CONFIGURED: dict[tuple[Any, ...], TableSpec] = {}
_CONFIGURED_KEPT = 64


def _configure_key(s: CsvReaderSettings) -> tuple[Any, ...]:
    """The file as it is now (path, size, modification time and a digest of its first megabyte,
    for file systems that keep times to the second) and every setting."""
    import hashlib

    path = Path(s.file)
    st = path.stat()
    with path.open("rb") as fh:
        head = hashlib.blake2b(fh.read(1 << 20), digest_size=16).hexdigest()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, head, s.model_dump_json())


def _guess_all(column: Any, fmt: _NumberText) -> str:
    """The type of a whole raw column (a list, or the Arrow array of a columnar source)."""
    if not isinstance(column, list):
        return guess_arrow_type(column, fmt)
    return _guess_type([v for v in column if v is not None], fmt)


def _block_kind(column: Any, fmt: _NumberText) -> str | None:
    """The guess on a block's column (a list, or an Arrow array); None when all its cells are missing."""
    if not isinstance(column, list):
        return guess_arrow_type(column, fmt) if len(column) > column.null_count else None
    values = [v for v in column if v is not None]
    return _guess_type(values, fmt) if values else None


def _guessed_types(source: _CsvSource, fmt: _NumberText, scan: int | None) -> dict[str, str]:
    """KNIME's guess from the first `scan` rows (None: all), block by block: a column is the widest
    type any block needs (Integer < Long < Double < String), exactly what one guess over all those
    values gives; no values at all -> String."""
    kinds: dict[str, str | None] = dict.fromkeys(source.names)
    seen = 0
    for raw in source.blocks():
        take = raw.n_rows if scan is None else min(raw.n_rows, scan - seen)
        for i, name in enumerate(source.names):
            kind = _block_kind(raw.columns[i][:take], fmt)
            if kind is not None:
                before = kinds[name]
                kinds[name] = kind if before is None else max(before, kind, key=_TYPE_ORDER.index)
        seen += take
        if scan is not None and seen >= scan:
            break
    return {name: kind or ColumnType.STRING for name, kind in kinds.items()}
