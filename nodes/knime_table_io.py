"""Table Writer and Table Reader: KNIME's own `.table` files, written and read in KNIME's format
(nodes/_knime_table_format.py says which parts of it), so tables pass between knitflow and
KNIME in both directions with their column types, RowIDs and missing cells.

knitflow writes and reads String, Integer, Long, Double and Boolean cells; any other column is
refused with a message naming it, never written or read as something else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VARIABLES,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    atomic_write,
    row_ids,
)
from engine.api.knime import KnimeMapping, KnimeSettings, file_name, get, seq
from nodes._common import output_file
from nodes._file_output import FileOutputSettings, chooser_policy_from_knime, legacy_overwrite_from_knime
from nodes._knime_table_format import (
    TableFormatError,
    check_readable,
    column_array,
    read_spec,
    read_table,
    table_file_bytes,
    unsupported,
)

_CHOOSER = "file_selection"

# ------------------------------------------------------------------------------------ KNIME import


def _chooser_file(knime: KnimeSettings, *, reader: bool) -> None:
    """The file of a filehandling chooser (`file_selection`, under `settings` for the reader): a
    reader's data file lives in `${data_dir}` unless a flow variable sets the path; a writer's
    file goes beside the workflow."""
    where = f"settings.{_CHOOSER}" if reader else _CHOOSER
    path = get(knime.tree, f"{where}.path.path")
    if not isinstance(path, str) or not path:
        knime.unreadable("no file in the settings")
        return
    _put_file(knime, path, f"{where}.path", reader)
    if get(knime.tree, f"{where}.file_system_chooser__Internals.has_fs_port"):
        knime.lost("a file system connection port is not supported; a local file is used")
    if get(knime.tree, f"{where}.filter_mode.filter_mode", "FILE") != "FILE":
        knime.lost("reading a folder of tables is not supported; the path is read as one file")


def _put_file(knime: KnimeSettings, path: str, key: str, reader: bool) -> None:
    name = file_name(path) or ""
    value = f"${{data_dir}}/{name}" if reader and key not in knime.variables else name
    knime.put("file", value, key)
    if value != path:
        knime.note(f"table file {path!r} imported as {value!r}")


def _legacy_file(knime: KnimeSettings, *, reader: bool) -> None:
    path = knime.tree.get("filename")
    if not isinstance(path, str) or not path:
        knime.unreadable("no file in the settings")
        return
    _put_file(knime, path, "filename", reader)


def _writer_from_knime(knime: KnimeSettings) -> None:
    """TableWriterNodeFactory (4.3 on): TableWriterSettings' `file_selection`
    (SettingsModelWriterFileChooser: FAIL or OVERWRITE)."""
    _chooser_file(knime, reader=False)
    chooser_policy_from_knime(knime, _CHOOSER)
    knime.unread("filter_mode", "file_system_chooser__Internals", under=_CHOOSER)
    knime.unread()


def _legacy_writer_from_knime(knime: KnimeSettings) -> None:
    """WriteTableNodeModel: `filename`, `overwriteOK` (added in 2.1; true when absent)."""
    _legacy_file(knime, reader=False)
    legacy_overwrite_from_knime(knime)
    knime.unread()


def _transformation(knime: KnimeSettings) -> None:
    """The stored table transformation (`table_spec_config_Internals`): knitflow reads the columns
    as the file has them, so a filtered, renamed or reordered column is a finding."""
    trans = knime.get("table_spec_config_Internals.table_transformation")
    if not isinstance(trans, dict):
        return
    for index, col in enumerate(seq(trans.get("columns"))):
        if not isinstance(col, dict):
            continue
        source = get(col, "external_spec.name")
        if col.get("keep") is False:
            knime.lost(f"column {source!r} is filtered out in KNIME; knitflow reads every column of the file")
        if col.get("name") not in (None, source):
            knime.lost(
                f"column {source!r} is renamed to {col.get('name')!r} in KNIME; knitflow keeps the file's names"
            )
        if col.get("position") not in (None, index):
            knime.lost(f"column {source!r} is moved in KNIME; knitflow keeps the file's column order")
    if get(trans, "unknown_columns_transformation.keep") is False:
        knime.lost(
            "KNIME drops columns the file gained since the node was configured; knitflow reads them all"
        )
    if trans.get("enforce_types"):
        knime.note("the column types come from the file (KNIME's stored type conversions are not applied)")


def _reader_from_knime(knime: KnimeSettings) -> None:
    """KnimeTableReaderNodeFactory (4.3 on): KnimeTableReaderMultiTableReadConfigSerializer's
    `settings` (file_selection, has_row_id, prepend_table_index_to_row_id) and
    `advanced_settings` (skip_data_rows, number_of_rows_to_skip, limit_data_rows, max_rows)."""
    _chooser_file(knime, reader=True)
    knime.take("has_row_id", "settings.has_row_id")
    if get(knime.tree, "settings.prepend_table_index_to_row_id"):
        knime.lost("prepend_table_index_to_row_id = true is not supported (KNIME prefixes the RowIDs)")
    adv = "advanced_settings"
    for flag, count in (("skip_data_rows", "number_of_rows_to_skip"), ("limit_data_rows", "max_rows")):
        knime.take(flag, f"{adv}.{flag}")
        if get(knime.tree, f"{adv}.{flag}"):
            knime.take(count, f"{adv}.{count}")
    _transformation(knime)
    # reading one file: whether differing specs of several files fail, and whether the spec is kept
    knime.unread("fail_on_differing_specs", "number_of_rows_to_skip", "max_rows", under=adv)
    knime.unread(_CHOOSER, "prepend_table_index_to_row_id", under="settings")
    knime.unread("settings", adv)


def _legacy_reader_from_knime(knime: KnimeSettings) -> None:
    """ReadTableNodeModel: `filename`, `limitRows` / `limitRowsCount` (absent: no limit),
    `timeoutMS` (remote files only). The legacy reader keeps the file's RowIDs."""
    _legacy_file(knime, reader=True)
    if knime.tree.get("limitRows"):
        knime.put("limit_data_rows", True, "limitRows")
        knime.take("max_rows", "limitRowsCount")
    else:
        knime.paths["limitRows"] = "limit_data_rows"
    knime.unread("limitRowsCount", "timeoutMS")


# ------------------------------------------------------------------------------------------ writer


class TableWriterSettings(FileOutputSettings):
    file: str = Field(
        "", description="The `.table` file; relative paths are resolved against the workflow folder."
    )


class TableWriter(Node):
    type_name = "table_writer"
    display_name = "Table Writer"
    category = Category.SINK
    description = (
        "Writes the input table to a `.table` file in KNIME's own format (the zip of spec.xml, data.bin, meta.xml "
        "that KNIME's Table Writer writes), which KNIME's Table Reader reads back with the same column types, "
        "RowIDs and missing cells. Columns must be String, Integer, Long, Double or Boolean; the file is written "
        "atomically."
    )
    keywords = ("table", "knime", "write", "save", "export", "binary")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.filehandling.table.writer.TableWriterNodeFactory",
            "Table Writer",
            _writer_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.table.write.WriteTableNodeFactory",
            "Table Writer (legacy)",
            _legacy_writer_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "The table to write"),)
    outputs = (
        Port(VARIABLES, "Flow variables", "Carries the variables on; connect it to order a reader after"),
    )
    Settings = TableWriterSettings
    path_settings = ("file",)

    def configure(self, in_specs: list[Any], settings: TableWriterSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no output file given", setting="file")
        spec = in_specs[0] if in_specs else None
        if isinstance(spec, TableSpec):
            bad = unsupported((c.name, c.type) for c in spec.columns)
            if bad:
                raise ConfigureError(_unwritable(bad))
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: TableWriterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        if not settings.file:
            raise NodeError("no output file given", setting="file")
        columns = [(c, table.types[c]) for c in table.columns]
        bad = unsupported(columns)
        if bad:
            raise NodeError(_unwritable(bad))
        path, _ = output_file(
            settings.file, settings.create_missing_folders, settings.if_path_exists, other_choices="overwrite"
        )
        if path.is_dir():
            raise NodeError(f"{path} is a folder, not a file", setting="file")
        values = []
        for name, _type in columns:
            series = table.column(name)
            values.append((series.to_numpy(dtype=object), series.isna().to_numpy()))
        try:
            payload = table_file_bytes(table.row_ids, columns, values, ctx.check_cancelled)
        except TableFormatError as exc:
            raise NodeError(str(exc)) from None
        atomic_write(path, payload)
        ctx.log(f"wrote {len(table)} rows to {path}")
        return [None]


def _unwritable(bad: list[str]) -> str:
    return (
        f"cannot write column{'s' if len(bad) > 1 else ''} {', '.join(bad)}: knitflow writes String, Integer, "
        "Long, Double and Boolean cells (other cells' binary layout could not be checked against KNIME's source)"
    )


# ------------------------------------------------------------------------------------------ reader


class TableReaderSettings(NodeSettings):
    file: str = Field("", description="The `.table` file (written by KNIME's or knitflow's Table Writer).")
    has_row_id: bool = Field(True, description="Use the file's RowIDs; else generate Row0, Row1, ...")
    skip_data_rows: bool = Field(False, description="Skip the first rows.")
    number_of_rows_to_skip: int = Field(1, ge=0, description="How many rows to skip.")
    limit_data_rows: bool = Field(False, description="Read at most `max_rows` rows (after the skipped ones).")
    max_rows: int = Field(1000, ge=0, description="The most rows to read.")


class TableReader(Node):
    type_name = "table_reader"
    display_name = "Table Reader"
    category = Category.SOURCE
    description = (
        "Reads a `.table` file written by KNIME's Table Writer (or knitflow's): the column names and types, "
        "RowIDs and missing cells as KNIME stored them. String, Integer, Long, Double and Boolean columns are "
        "read; a file with other cells (dates, collections, images, ...) fails naming the columns. Double cells "
        "holding NaN are read as missing cells (knitflow has no separate NaN), with a warning."
    )
    keywords = ("table", "knime", "read", "load", "import", "binary")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.filehandling.table.reader.KnimeTableReaderNodeFactory",
            "Table Reader",
            _reader_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.table.read.ReadTableNodeFactory",
            "Table Reader (legacy)",
            _legacy_reader_from_knime,
        ),
    )
    outputs = (Port(TABLE, "Read table", "The table contained in the file"),)
    Settings = TableReaderSettings
    path_settings = ("file",)

    def configure(self, in_specs: list[Any], settings: TableReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no file selected", setting="file")
        path = Path(settings.file)
        if not path.is_file():
            return [UNKNOWN]  # e.g. written by a Table Writer earlier in the run
        try:
            columns = read_spec(path)  # the spec.xml entry only
            check_readable(columns)
        except TableFormatError as exc:
            raise ConfigureError(str(exc), setting="file") from None
        return [TableSpec.of((c.name, c.type or "") for c in columns)]

    def execute(self, inputs: list[Any], settings: TableReaderSettings, ctx: NodeContext) -> list[Any]:
        s = settings
        if not s.file:
            raise NodeError("no file selected", setting="file")
        path = Path(s.file)
        if not path.is_file():
            raise NodeError(f"file not found: {path}", setting="file")
        skip = s.number_of_rows_to_skip if s.skip_data_rows else 0
        limit = skip + s.max_rows if s.limit_data_rows else None
        try:
            read = read_table(path, ctx.check_cancelled, max_rows=limit)
        except TableFormatError as exc:
            raise NodeError(str(exc), setting="file") from None
        if read.nan_cells:
            ctx.warn(f"{read.nan_cells} Double cell(s) holding NaN read as missing cells")
        types = {c.name: c.type or "" for c in read.columns}
        data = {
            c.name: column_array(v[skip:], types[c.name])
            for c, v in zip(read.columns, read.values, strict=True)
        }
        n = max(len(read.row_ids) - skip, 0)
        index = pd.Index(read.row_ids[skip:], dtype=object) if s.has_row_id else row_ids(n)
        df = pd.DataFrame(data, index=index, columns=[c.name for c in read.columns])
        ctx.log(f"read {n} rows from {path}")
        return [Table(df, types)]
