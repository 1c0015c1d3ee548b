"""Table Writer / Table Reader: KNIME's `.table` format (knime-core DataContainer.writeToStream,
Buffer, DefaultTableStoreWriter, DCObjectOutputVersion2, BlockableOutputStream), checked by round
trips and against bytes built by hand from that source's description."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from knime_fragment import import_node

from engine.api import ColumnType, ConfigureError, NodeError, Table, TableSpec
from engine.core.testing import run_node
from nodes import _knime_table_format as fmt
from nodes.knime_table_io import TableReader, TableWriter

SHARED = Path(__file__).resolve().parents[2] / "shared"


def sample() -> Table:
    df = pd.DataFrame(
        {
            "i": pd.array([97, None, -(2**31)], dtype="Int64"),
            "l": np.array([2**40, -1, 98], dtype=np.int64),
            "x": [0.5, np.nan, -2.25e-300],
            "s": ["ab", None, "Ünï\x00😀 a\nb"],
            "b": pd.array([True, None, False], dtype="boolean"),
            "n": pd.array([None, None, None], dtype="Int64"),
        },
        index=pd.Index(["a", "b-2", "ΩRow"], dtype=object),
    )
    return Table(df, {"i": ColumnType.INTEGER, "l": ColumnType.LONG, "n": ColumnType.INTEGER})


def write(tmp_path: Path, table: Table, name: str = "t.table") -> Path:
    f = tmp_path / name
    run_node(TableWriter, {"file": str(f)}, table)
    return f


def table_zip(spec: bytes, data: bytes, meta: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("spec.xml", spec)
        z.writestr("data.bin", data)
        z.writestr("meta.xml", meta)
    return buffer.getvalue()


# ----------------------------------------------------------------------------------- round trips


def test_round_trip_keeps_types_row_ids_and_missing_cells(tmp_path: Path) -> None:
    f = write(tmp_path, sample())
    run = run_node(TableReader, {"file": str(f)})
    out: Table = run[1]
    assert out.types == sample().types
    assert out.row_ids == ["a", "b-2", "ΩRow"]
    assert run.specs == [sample().spec]
    assert out.df["i"].tolist()[::2] == [97, -(2**31)] and pd.isna(out.df["i"].iloc[1])
    assert out.df["l"].tolist() == [2**40, -1, 98] and out.df["l"].dtype == np.int64
    assert out.df["x"].iloc[0] == 0.5 and np.isnan(out.df["x"].iloc[1]) and out.df["x"].iloc[2] == -2.25e-300
    assert out.df["s"].tolist() == ["ab", None, "Ünï\x00😀 a\nb"]
    assert out.df["b"].tolist()[::2] == [True, False] and pd.isna(out.df["b"].iloc[1])
    assert out.df["n"].isna().all()
    pd.testing.assert_frame_equal(out.df, sample().df)
    assert run.warnings == []


def test_round_trip_of_an_empty_table_and_of_no_columns(tmp_path: Path) -> None:
    empty = Table(pd.DataFrame({"s": pd.Series([], dtype=object)}, index=pd.Index([], dtype=object)))
    out = run_node(TableReader, {"file": str(write(tmp_path, empty, "e.table"))})[1]
    assert out.types == {"s": ColumnType.STRING} and len(out) == 0
    ids_only = Table(pd.DataFrame(index=pd.Index(["r1", "r2"], dtype=object)))
    out = run_node(TableReader, {"file": str(write(tmp_path, ids_only, "ids.table"))})[1]
    assert out.row_ids == ["r1", "r2"] and out.columns == []


def test_reader_options_row_ids_skip_and_limit(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {"v": np.arange(10, dtype=np.int64)}, index=pd.Index([f"k{i}" for i in range(10)], dtype=object)
    )
    f = write(tmp_path, Table(df, {"v": ColumnType.LONG}))
    out = run_node(TableReader, {"file": str(f), "has_row_id": False})[1]
    assert out.row_ids == [f"Row{i}" for i in range(10)]
    settings = {"file": str(f), "skip_data_rows": True, "number_of_rows_to_skip": 3}
    out = run_node(TableReader, {**settings, "limit_data_rows": True, "max_rows": 4})[1]
    assert out.row_ids == ["k3", "k4", "k5", "k6"] and out.df["v"].tolist() == [3, 4, 5, 6]


def test_writer_honours_if_path_exists(tmp_path: Path) -> None:
    f = write(tmp_path, sample())
    with pytest.raises(NodeError, match="exists"):
        run_node(TableWriter, {"file": str(f)}, sample())
    run_node(TableWriter, {"file": str(f), "if_path_exists": "overwrite"}, sample())
    with pytest.raises(NodeError, match="does not exist"):
        run_node(TableWriter, {"file": str(tmp_path / "no" / "t.table")}, sample())


def test_writer_refuses_columns_it_cannot_write_as_knime_cells(tmp_path: Path) -> None:
    import datetime as dt

    df = pd.DataFrame({"d": [dt.date(2024, 1, 2)], "v": [1.0]})
    table = Table.from_frame(df, {"d": ColumnType.LOCAL_DATE})
    with pytest.raises(ConfigureError, match=r"'d' \(Local Date\)"):
        TableWriter().configure([table.spec], TableWriter.Settings(file=str(tmp_path / "d.table")), None)  # type: ignore[arg-type]
    with pytest.raises(NodeError, match=r"'d' \(Local Date\)"):
        run_node(TableWriter, {"file": str(tmp_path / "d.table")}, table)
    assert not (tmp_path / "d.table").exists()


# ------------------------------------------------------------------------ the layout, byte by byte


def test_zip_layout_and_data_bin_bytes_follow_knimes_buffer(tmp_path: Path) -> None:
    """One row "Row0" with IntCell 97 (0x61, so escaped), StringCell "ab", a missing DoubleCell:
    the bytes DefaultTableStoreWriter.writeRow writes, built from its description."""
    df = pd.DataFrame({"i": [97], "s": ["ab"], "x": [np.nan]}, index=pd.Index(["Row0"], dtype=object))
    f = write(tmp_path, Table(df, {"i": ColumnType.INTEGER}))
    with zipfile.ZipFile(f) as z:
        infos = z.infolist()
        assert [i.filename for i in infos] == ["spec.xml", "data.bin", "meta.xml"]  # spec first: peekable
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)
        data = gzip.decompress(z.read("data.bin"))
        meta = fmt.parse_config_xml(z.read("meta.xml"), "meta.xml")["table.meta.internal"]
        spec = fmt.parse_config_xml(z.read("spec.xml"), "spec.xml")["table.spec"]
    row_key = b"\x00\x04Row0" + b"\x61"
    int_cell = b"\x82" + b"\x00\x00\x00\x62\x61" + b"\x61"  # identifier -126, writeInt(97) escaped
    string_cell = b"\x83" + b"\x00\x02\x62\x61\x62\x62" + b"\x61"  # identifier -125, writeUTF("ab") escaped
    missing = b"\x80\x61"
    assert data == row_key + int_cell + string_cell + missing + b"\x83"
    classes = meta["container.format.config"]["table.datacell.classes"]
    assert [c["class"] for c in classes.values()] == [
        "org.knime.core.data.def.IntCell",
        "org.knime.core.data.def.StringCell",
    ]
    assert meta["container.version"] == "container_12" and meta["table.size"] == 1
    assert meta["container.format.config"]["container.compression"] == "Gzip"
    assert meta["container.compression"] == "Gzip" and "table.datacell.classes" in meta  # AP-8954 copy
    assert meta["container.filestores.uuid"] is None and meta["container.contains.blobs"] is False
    assert spec["number_columns"] == 3
    assert spec["column_spec_2"]["column_name"] == "x"
    assert spec["column_spec_2"]["column_type"] == {"cell_class": "org.knime.core.data.def.DoubleCell"}
    assert spec["column_spec_2"]["column_domain"] == {} and spec["column_spec_2"]["column_properties"] == {}


def test_java_utf_strings_short_long_and_modified() -> None:
    assert fmt.write_utf("a\x00b") == b"\x00\x04a\xc0\x80b"  # NUL as C0 80
    assert fmt.write_utf("😀") == b"\x00\x06\xed\xa0\xbd\xed\xb8\x80"  # a surrogate pair, 3 bytes each
    long_text = "x" * 70000
    encoded = fmt.write_utf(long_text)
    assert encoded[:10] == b"\xff\xff" + struct.pack(">q", 70000)  # LongUTFDataOutputStream's long header
    assert fmt.read_utf(encoded, 0) == (long_text, len(encoded))
    edge = "y" * 0xFFFE
    assert fmt.write_utf(edge)[:2] == b"\xff\xfe"
    for text in ("", "Ünï\x00😀", "é" * 40000):
        assert fmt.read_utf(fmt.write_utf(text), 0)[0] == text


def test_config_xml_escapes_read_back() -> None:
    xml = fmt.config_xml(
        "k", [("xstring", "a", 'x<&>"\n\t%%00010%'), ("xstring", "n", None), ("config", "c", [])]
    )
    tree = fmt.parse_config_xml(xml, "test")
    assert tree == {"a": 'x<&>"\n\t%%00010%', "n": None, "c": {}}
    assert b"%%00010" in xml


# ------------------------------------------------------------------------------ KNIME-side variants


def _snappy_literal(raw: bytes) -> bytes:
    """A raw Snappy block of literals only (Snappy's format description)."""
    out = bytearray()
    n = len(raw)
    while True:  # varint length
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            break
    for k in range(0, len(raw), 200):
        chunk = raw[k : k + 200]
        if len(chunk) <= 60:
            out.append((len(chunk) - 1) << 2)
        else:
            out += bytes([60 << 2, len(chunk) - 1])
        out += chunk
    return bytes(out)


def _snappy_java(raw: bytes, chunk: int = 100) -> bytes:
    """snappy-java's SnappyOutputStream framing: magic, version 1, compatible version 1, then
    big-endian-length-prefixed raw blocks."""
    out = b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1)
    for k in range(0, len(raw), chunk):
        block = _snappy_literal(raw[k : k + chunk])
        out += struct.pack(">i", len(block)) + block
    return out


def test_snappy_blocks_with_back_references() -> None:
    # "abcd" then a 1-byte-offset copy of 8 (overlapping: repeats abcd), a 2-byte-offset copy of 3
    block = (
        bytes([15, (4 - 1) << 2])
        + b"abcd"
        + bytes([0x01 | (8 - 4) << 2, 4])
        + bytes([0x02 | (3 - 1) << 2, 6, 0])
    )
    assert fmt._snappy_block(block) == b"abcdabcdabcd" + b"cda"
    assert fmt.snappy_stream(_snappy_java(b"hello " * 50)) == b"hello " * 50


def _knime_like_file(
    data: bytes, compression: str | None, classes: list[str], spec: list[tuple[str, str]]
) -> bytes:
    """A `.table` file as KNIME 3.8+ writes it by default (spec.xml, a Snappy data.bin, meta.xml)."""
    meta = fmt.meta_xml(1, classes, compression or "Gzip")
    if compression is None:
        meta = meta.replace(b'<entry key="container.compression" type="xstring" value="Gzip"/>', b"")
    cols = [(n, t) for n, t in spec]
    spec_xml = fmt.spec_xml([(n, t) for n, t in cols if t in fmt.CLASS_OF])
    return table_zip(spec_xml, data, meta)


def test_reads_snappy_compressed_data_and_widens_int_cells_in_a_double_column(tmp_path: Path) -> None:
    """KNIME 3.8+ compresses data.bin with Snappy by default (container_12 without a compression
    entry means Snappy); a Double column may hold IntCells (IntCell implements DoubleValue)."""
    row = fmt.block(fmt.write_utf("r")) + fmt.block(b"\x82" + struct.pack(">i", 7)) + b"\x83"
    f = tmp_path / "k.table"
    f.write_bytes(
        _knime_like_file(
            _snappy_java(row), None, ["org.knime.core.data.def.IntCell"], [("x", ColumnType.DOUBLE)]
        )
    )
    out = run_node(TableReader, {"file": str(f)})[1]
    assert out.types == {"x": ColumnType.DOUBLE} and out.df["x"].tolist() == [7.0] and out.row_ids == ["r"]


def test_nan_double_cells_are_read_as_missing_with_a_warning(tmp_path: Path) -> None:
    row = fmt.block(fmt.write_utf("r")) + fmt.block(b"\x82" + struct.pack(">d", float("nan"))) + b"\x83"
    f = tmp_path / "nan.table"
    f.write_bytes(
        _knime_like_file(
            gzip.compress(row), "Gzip", ["org.knime.core.data.def.DoubleCell"], [("x", ColumnType.DOUBLE)]
        )
    )
    run = run_node(TableReader, {"file": str(f)})
    assert run[1].df["x"].isna().all() and run.warnings == [
        "1 Double cell(s) holding NaN read as missing cells"
    ]


def _spec_with(cell_class: str) -> bytes:
    body = fmt.spec_xml([("x", ColumnType.STRING)])
    return body.replace(b"org.knime.core.data.def.StringCell", cell_class.encode())


def test_reader_refuses_what_it_cannot_read_naming_it(tmp_path: Path) -> None:
    ok_row = fmt.block(fmt.write_utf("r")) + fmt.block(b"\x82" + fmt.write_utf("v")) + b"\x83"
    string = ["org.knime.core.data.def.StringCell"]
    cases = {
        "date": (
            table_zip(
                _spec_with("org.knime.core.data.time.localdate.LocalDateCell"), b"", fmt.meta_xml(0, [])
            ),
            r"'x' \(LocalDateCell: its cells' binary layout could not be checked",
        ),
        "blobs": (
            table_zip(
                fmt.spec_xml([("x", "String")]),
                gzip.compress(ok_row),
                fmt.meta_xml(1, string).replace(
                    b'"container.contains.blobs" type="xboolean" value="false"',
                    b'"container.contains.blobs" type="xboolean" value="true"',
                ),
            ),
            "blob cells",
        ),
        "java-serialised": (
            table_zip(
                fmt.spec_xml([("x", "String")]),
                gzip.compress(fmt.block(fmt.write_utf("r")) + fmt.block(b"\x81\x82\xac\xed") + b"\x83"),
                fmt.meta_xml(1, string),
            ),
            "Java-serialised",
        ),
        "lz4": (
            table_zip(fmt.spec_xml([("x", "String")]), b"", fmt.meta_xml(1, string, "LZ4")),
            "LZ4 is not supported",
        ),
        "version": (
            table_zip(
                fmt.spec_xml([("x", "String")]),
                b"",
                fmt.meta_xml(1, string).replace(b"container_12", b"container_7"),
            ),
            "'container_7' is not supported",
        ),
        "not a table": (b"plain text", "not a KNIME table file"),
        "broken row": (
            table_zip(
                fmt.spec_xml([("x", "String")]), gzip.compress(ok_row[:-1] + b"\x00"), fmt.meta_xml(1, string)
            ),
            "no end-of-row byte",
        ),
    }
    for name, (content, message) in cases.items():
        f = tmp_path / f"{name}.table"
        f.write_bytes(content)
        with pytest.raises((NodeError, ConfigureError), match=message):
            run_node(TableReader, {"file": str(f)})


def test_configure_reads_the_spec_entry_only(tmp_path: Path) -> None:
    f = tmp_path / "spec_only.table"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("spec.xml", fmt.spec_xml([("a", ColumnType.LONG), ("b", ColumnType.BOOLEAN)]))
    spec = TableReader().configure([], TableReader.Settings(file=str(f)), None)  # type: ignore[arg-type]
    assert spec == [TableSpec.of([("a", ColumnType.LONG), ("b", ColumnType.BOOLEAN)])]
    with pytest.raises(NodeError, match="No entry data.bin"):
        run_node(TableReader, {"file": str(f)})


def _shared_tables() -> list[Path]:
    return sorted(SHARED.rglob("*.table")) if SHARED.is_dir() else []


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared (KNIME reference material) is not present")
@pytest.mark.skipif(
    not _shared_tables(),
    reason="../shared holds no KNIME-written .table file (and its .knwf archives hold no port data)",
)
@pytest.mark.parametrize("path", _shared_tables(), ids=lambda p: p.name)
def test_reads_knime_written_tables_from_shared(path: Path) -> None:
    spec = fmt.read_spec(path)
    run = run_node(TableReader, {"file": str(path)})
    out: Table = run[1]
    assert out.columns == [c.name for c in spec] and len(set(out.row_ids)) == len(out)


# --------------------------------------------------------------------------------- KNIME import


def _chooser(path: str, **extra: object) -> dict[str, object]:
    return {
        "path": {"location_present": True, "file_system_type": "LOCAL", "path": path},
        "file_system_chooser__Internals": {"has_fs_port": False, "convenience_fs_category": "LOCAL"},
        **extra,
    }


def test_import_table_writer_fragments(tmp_path: Path) -> None:
    node_type, settings, found = import_node(
        tmp_path,
        "org.knime.base.node.io.filehandling.table.writer.TableWriterNodeFactory",
        {
            "file_selection": _chooser(
                "C:\\data\\out.table", if_path_exists="overwrite", create_missing_folders=True, filter_mode={}
            ),
            "file_selection_Internals": {"SettingsModelID": "SMID_WriterFileChooser", "EnabledStatus": True},
        },
    )
    assert node_type == "table_writer" and found == []
    assert settings == {"file": "out.table", "if_path_exists": "overwrite", "create_missing_folders": True}
    _, settings, found = import_node(
        tmp_path,
        "org.knime.base.node.io.table.write.WriteTableNodeFactory",
        {"filename": "/home/u/x.table", "overwriteOK": False, "someday": 1},
    )
    assert settings == {"file": "x.table", "if_path_exists": "fail"}
    assert found == ["setting someday = 1 has no counterpart in knitflow"]
    _, settings, found = import_node(
        tmp_path, "org.knime.base.node.io.table.write.WriteTableNodeFactory", {"filename": "x.table"}
    )
    assert settings["if_path_exists"] == "overwrite" and found == []  # before 2.1: overwrite


def test_import_table_reader_fragments(tmp_path: Path) -> None:
    model = {
        "settings": {
            "file_selection": _chooser("C:\\d\\in.table", filter_mode={"filter_mode": "FILE"}),
            "has_row_id": False,
            "prepend_table_index_to_row_id": False,
        },
        "advanced_settings": {
            "skip_data_rows": True,
            "number_of_rows_to_skip": 2,
            "limit_data_rows": False,
            "max_rows": 50,
            "fail_on_differing_specs": True,
            "save_table_spec_config_Internals": True,
        },
    }
    factory = "org.knime.base.node.io.filehandling.table.reader.KnimeTableReaderNodeFactory"
    node_type, settings, found = import_node(tmp_path, factory, model)
    assert node_type == "table_reader" and found == []
    assert settings == {
        "file": "${data_dir}/in.table",
        "has_row_id": False,
        "skip_data_rows": True,
        "number_of_rows_to_skip": 2,
        "limit_data_rows": False,
    }
    model["settings"]["prepend_table_index_to_row_id"] = True  # type: ignore[index]
    model["advanced_settings"]["odd"] = "x"  # type: ignore[index]
    model["table_spec_config_Internals"] = {
        "table_transformation": {
            "columns": [
                {"external_spec": {"name": "a"}, "name": "a", "keep": False, "position": 0},
                {"external_spec": {"name": "b"}, "name": "B", "keep": True, "position": 1},
            ]
        }
    }
    _, _, found = import_node(tmp_path, factory, model)
    assert found == [
        "prepend_table_index_to_row_id = true is not supported (KNIME prefixes the RowIDs)",
        "column 'a' is filtered out in KNIME; knitflow reads every column of the file",
        "column 'b' is renamed to 'B' in KNIME; knitflow keeps the file's names",
        "setting advanced_settings.odd = 'x' has no counterpart in knitflow",
    ]
    legacy = "org.knime.base.node.io.table.read.ReadTableNodeFactory"
    _, settings, found = import_node(
        tmp_path,
        legacy,
        {"filename": "file:/C:/t/old.table", "limitRows": True, "limitRowsCount": 10, "timeoutMS": 1000},
    )
    assert (
        settings == {"file": "${data_dir}/old.table", "limit_data_rows": True, "max_rows": 10} and found == []
    )
    _, settings, found = import_node(tmp_path, legacy, {"filename": "t.table", "limitRows": False, "x": 1})
    assert settings == {"file": "${data_dir}/t.table"}
    assert found == ["setting x = 1 has no counterpart in knitflow"]
