"""Parquet Reader and Parquet Writer (pyarrow) with KNIME's type mapping.

pyarrow is Apache Arrow's own Parquet implementation, the reference reader/writer outside the JVM.
KNIME's mapping (`org.knime.bigdata.fileformats.parquet`): INT32 <-> Integer, INT64 <-> Long,
DOUBLE (and FLOAT) <-> Double, BOOLEAN <-> Boolean, UTF8 binary <-> String; RowIDs are not stored,
the reader generates Row0, Row1, ... A column of another Parquet type (dates, decimals, lists) is
read as its text.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Literal

import numpy as np
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
)
from engine.api.knime import KnimeMapping, KnimeSettings, file_name, get
from nodes._rows import coerce


def _knime_type(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(arrow_type):
        return ColumnType.BOOLEAN
    if pa.types.is_integer(arrow_type):
        return (
            ColumnType.INTEGER
            if arrow_type.bit_width <= 32 and arrow_type != pa.uint32()
            else ColumnType.LONG
        )
    if pa.types.is_floating(arrow_type):
        return ColumnType.DOUBLE
    return ColumnType.STRING


def _path_of(tree: Any) -> tuple[str | None, str | None]:
    """The file chooser's path wherever a KNIME layout keeps it (`file_selection`, `filechooser`...)."""
    if isinstance(tree, dict):
        path = tree.get("path")
        if isinstance(path, dict) and isinstance(path.get("path"), str):
            return path["path"], None
        for key, value in tree.items():
            found, _ = _path_of(value)
            if found:
                return found, key
    return None, None


# =================================================================================== Parquet Reader


class ParquetReaderSettings(NodeSettings):
    file: str = Field("", description="The Parquet file; relative paths are resolved against the workflow.")


def _read_schema(path: str) -> list[tuple[str, str]]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError on a non-Parquet file
        raise NodeError(f"cannot read {Path(path).name} as Parquet: {exc}", setting="file") from None
    return [(f.name, _knime_type(f.type)) for f in schema]


def _parquet_reader_from_knime(knime: KnimeSettings) -> None:
    path, where = _path_of(knime.tree)
    name = file_name(path)
    knime.put("file", f"${{data_dir}}/{name}" if name else "", f"{where}.path" if where else None)
    mode = get(knime.tree, f"{where}.filter_mode.filter_mode") if where else None
    if mode not in (None, "FILE"):
        knime.lost("reading a folder of Parquet files is not supported; the path is read as one file")


class ParquetReader(Node):
    type_name = "parquet_reader"
    display_name = "Parquet Reader"
    category = Category.SOURCE
    description = (
        "Reads a Parquet file: INT32 columns become Integer, INT64 Long, FLOAT/DOUBLE Double, BOOLEAN Boolean, "
        "strings String (other types as text); RowIDs Row0, Row1, ..."
    )
    keywords = ("parquet", "arrow", "read", "columnar", "file", "import")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.fileformats.parquet.reader.ParquetReaderNodeFactory",
            "Parquet Reader",
            _parquet_reader_from_knime,
        ),
    )
    outputs = (Port(TABLE, "File table"),)
    Settings = ParquetReaderSettings
    path_settings = ("file",)

    def configure(self, in_specs: list[Any], settings: ParquetReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no file selected", setting="file")
        if not Path(settings.file).is_file():
            return [UNKNOWN]
        try:
            return [TableSpec.of(_read_schema(settings.file))]
        except NodeError as exc:
            raise ConfigureError(str(exc), setting="file") from None

    def execute(self, inputs: list[Any], settings: ParquetReaderSettings, ctx: NodeContext) -> list[Any]:
        import pyarrow.parquet as pq

        if not Path(settings.file).is_file():
            raise NodeError(f"file not found: {settings.file}", setting="file")
        columns = _read_schema(settings.file)
        arrow = pq.read_table(settings.file)
        data = {}
        for (name, col_type), column in zip(columns, arrow.columns, strict=True):
            values = column.to_pylist()
            if col_type == ColumnType.STRING:
                data[name] = pd.Series([None if v is None else str(v) for v in values], dtype=object)
            elif col_type == ColumnType.DOUBLE:
                data[name] = pd.Series([np.nan if v is None else v for v in values], dtype=np.float64)
            else:
                data[name] = coerce(pd.Series(values, dtype=object), col_type)
        df = pd.DataFrame(data, columns=[n for n, _ in columns])
        df.index = pd.Index([f"Row{i}" for i in range(arrow.num_rows)], dtype=object)
        return [Table(df, dict(columns))]


# =================================================================================== Parquet Writer


class ParquetWriterSettings(NodeSettings):
    file: str = Field("", description="Output file; relative paths are resolved against the workflow.")
    if_path_exists: Literal["fail", "overwrite"] = Field(
        "fail", title="If exists", description="An existing file: fail, or overwrite it."
    )
    create_missing_folders: bool = Field(
        False, description="Create the file's folder when it does not exist."
    )
    compression: Literal["SNAPPY", "GZIP", "UNCOMPRESSED", "ZSTD"] = Field(
        "SNAPPY", description="Parquet compression codec."
    )


_ARROW_TYPES = {
    ColumnType.INTEGER: "int32",
    ColumnType.LONG: "int64",
    ColumnType.DOUBLE: "float64",
    ColumnType.BOOLEAN: "bool",
}


def _parquet_writer_from_knime(knime: KnimeSettings) -> None:
    path, where = _path_of(knime.tree)
    knime.put("file", file_name(path) or "", f"{where}.path" if where else None)
    if where:
        policy = get(knime.tree, f"{where}.if_path_exists")
        if policy is not None:
            knime.put(
                "if_path_exists", "overwrite" if policy == "overwrite" else "fail", f"{where}.if_path_exists"
            )
        knime.take("create_missing_folders", f"{where}.create_missing_folders")
    codec = knime.tree.get("compression") or knime.tree.get("file_compression")
    if isinstance(codec, str):
        value = codec.upper()
        if value in ("SNAPPY", "GZIP", "UNCOMPRESSED", "ZSTD"):
            knime.put("compression", value)
        else:
            knime.lost(f"compression {codec!r} is not supported; SNAPPY is used")


class ParquetWriter(Node):
    type_name = "parquet_writer"
    display_name = "Parquet Writer"
    category = Category.SINK
    description = (
        "Writes the input table to a Parquet file: Integer as INT32, Long as INT64, Double as DOUBLE, Boolean as "
        "BOOLEAN, everything else as UTF8 text; RowIDs are not written (as in KNIME)."
    )
    keywords = ("parquet", "arrow", "write", "export", "columnar", "file")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.fileformats.parquet.writer.ParquetWriterNodeFactory",
            "Parquet Writer",
            _parquet_writer_from_knime,
        ),
        KnimeMapping(
            "org.knime.bigdata.fileformats.parquet.writer2.ParquetWriter2NodeFactory",
            "Parquet Writer",
            _parquet_writer_from_knime,
        ),
        KnimeMapping(
            "org.knime.bigdata.fileformats.parquet.writer3.ParquetWriter3NodeFactory",
            "Parquet Writer",
            _parquet_writer_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(VARIABLES, "Flow variables", "Connect it to order a reader after the writer"),)
    Settings = ParquetWriterSettings
    path_settings = ("file",)

    def configure(self, in_specs: list[Any], settings: ParquetWriterSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no output file given", setting="file")
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: ParquetWriterSettings, ctx: NodeContext) -> list[Any]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table: Table = inputs[0]
        path = Path(settings.file)
        if not path.parent.exists():
            if not settings.create_missing_folders:
                raise NodeError(
                    f"folder {path.parent} does not exist (enable create_missing_folders)", setting="file"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and settings.if_path_exists == "fail":
            raise NodeError(f"file {path} exists (set if_path_exists to overwrite)", setting="if_path_exists")
        arrays = []
        for name in table.columns:
            col_type = table.types[name]
            values = table.df[name].to_numpy(dtype=object)
            present = ~table.df[name].isna().to_numpy()
            if col_type in _ARROW_TYPES:
                cells = [v if p else None for v, p in zip(values, present, strict=True)]
                if col_type in (ColumnType.INTEGER, ColumnType.LONG):
                    cells = [None if v is None else int(v) for v in cells]
                elif col_type == ColumnType.DOUBLE:
                    cells = [None if v is None else float(v) for v in cells]
                else:
                    cells = [None if v is None else bool(v) for v in cells]
                arrays.append(pa.array(cells, type=_ARROW_TYPES[col_type]))
            else:
                arrays.append(
                    pa.array(
                        [str(v) if p else None for v, p in zip(values, present, strict=True)], pa.string()
                    )
                )
        arrow = pa.Table.from_arrays(arrays, names=table.columns)
        buffer = io.BytesIO()
        codec = None if settings.compression == "UNCOMPRESSED" else settings.compression.lower()
        pq.write_table(arrow, buffer, compression=codec)
        atomic_write(path, buffer.getvalue())
        ctx.log(f"wrote {len(table)} rows to {path}")
        return [None]
