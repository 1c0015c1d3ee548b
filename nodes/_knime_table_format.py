"""KNIME's `.table` file (DataContainer.writeToStream / readFromZip) for the basic cell types.

The file is a zip (knime-core `BufferedDataContainerDelegate.writeToStream`, `Buffer.addToZipFile`):
`spec.xml` first (so a reader can peek the spec), then `data.bin` (the Buffer's stream, itself
compressed), then `meta.xml`. Both XML entries are NodeSettings in KNIME's XML config format.

`data.bin` (`DefaultTableStoreWriter.writeRow`, `DCObjectOutputVersion2`, `BlockableOutputStream`):
per row the RowID as a (long) Java UTF string, then per cell a control byte and the cell's
serialised value; RowID and each cell are a block ended by 0x61, and a 0x61 or 0x62 inside a
block is written as 0x62 + the byte; after the last cell one row separator byte 0x83. Control
bytes: 0x80 missing cell, 0x81 Java-serialised cell, else the cell class: byte -126 + its index in
`meta.xml`'s `table.datacell.classes` (in file order). Cell payloads are Java DataOutput values
(IntCell writeInt, LongCell writeLong, DoubleCell writeDouble, BooleanCell writeBoolean,
StringCell writeUTF). Anything else (blobs, file stores, Java-serialised or other cells, other
table formats) is refused with a message naming it, never read as something else.
"""

from __future__ import annotations

import gzip
import io
import math
import re
import struct
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from engine.api import ColumnType

SPEC_ENTRY, DATA_ENTRY, META_ENTRY = "spec.xml", "data.bin", "meta.xml"
VERSION = "container_12"  # Buffer.VERSION since KNIME 3.8
DEFAULT_FORMAT = "org.knime.core.data.container.DefaultTableStoreFormat"

CELL_CLASSES = {
    "org.knime.core.data.def.StringCell": ColumnType.STRING,
    "org.knime.core.data.def.IntCell": ColumnType.INTEGER,
    "org.knime.core.data.def.LongCell": ColumnType.LONG,
    "org.knime.core.data.def.DoubleCell": ColumnType.DOUBLE,
    "org.knime.core.data.def.BooleanCell": ColumnType.BOOLEAN,
}
CLASS_OF = {t: c for c, t in CELL_CLASSES.items()}

# cell classes whose serialised layout could not be checked against KNIME's source
_UNVERIFIED = {
    "org.knime.core.data.time.localdate.LocalDateCell": ColumnType.LOCAL_DATE,
    "org.knime.core.data.time.localtime.LocalTimeCell": ColumnType.LOCAL_TIME,
    "org.knime.core.data.time.localdatetime.LocalDateTimeCell": ColumnType.LOCAL_DATE_TIME,
}

# which cell classes a column of a type may hold (IntCell, LongCell, BooleanCell implement the
# numeric values, so KNIME allows them in a column of a wider numeric type)
_ACCEPTS = {
    ColumnType.STRING: {ColumnType.STRING},
    ColumnType.BOOLEAN: {ColumnType.BOOLEAN},
    ColumnType.INTEGER: {ColumnType.INTEGER, ColumnType.BOOLEAN},
    ColumnType.LONG: {ColumnType.LONG, ColumnType.INTEGER, ColumnType.BOOLEAN},
    ColumnType.DOUBLE: {ColumnType.DOUBLE, ColumnType.LONG, ColumnType.INTEGER, ColumnType.BOOLEAN},
}

# KNIMEStreamConstants
TC_TERMINATE, TC_ESCAPE = 0x61, 0x62
BYTE_TYPE_MISSING, BYTE_TYPE_SERIALIZATION, BYTE_TYPE_START, BYTE_ROW_SEPARATOR = 0x80, 0x81, -126, 0x83

_COMPATIBLE = {  # Buffer.COMPATIBILITY_MAP: the versions whose layout this module reads
    "container_8": 8,
    "container_9": 9,
    "container_10": 10,
    "container_11": 11,
    "container_12": 12,
}


class TableFormatError(Exception):
    """The file is not a `.table` file this module can read (or the table cannot be written)."""


# ---------------------------------------------------------------------- KNIME's XML config format

_NS = "http://www.knime.org/2008/09/XMLConfig"
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<config xmlns="{_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    f'xsi:schemaLocation="{_NS} http://www.knime.org/XMLConfig_2008_09.xsd" key="{{key}}">\n'
)
_ESCAPE_RE = re.compile(r"%%(\d{5})")

# A config is a list of children: ("config", key, [children]) or (type, key, value) with type
# one of xstring / xint / xlong / xboolean (a None value is written as KNIME's null entry).
Config = list[tuple[str, str, Any]]


def _attr(text: str) -> str:
    """An attribute value: XML escapes, and KNIME's `%%` + five digits for control characters
    (and for a `%` that starts `%%`, so that the text reads back unchanged)."""
    text = text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"%(?=%)", "%%00037", text)
    return re.sub(r"[\x00-\x1f]", lambda m: f"%%{ord(m[0]):05d}", text)


def _config_lines(children: Config, depth: int, out: list[str]) -> None:
    pad = "    " * depth
    for kind, key, value in children:
        if kind == "config":
            if value:
                out.append(f'{pad}<config key="{_attr(key)}">')
                _config_lines(value, depth + 1, out)
                out.append(f"{pad}</config>")
            else:
                out.append(f'{pad}<config key="{_attr(key)}"/>')
        elif value is None:
            out.append(f'{pad}<entry key="{_attr(key)}" type="{kind}" value="" isnull="true"/>')
        else:
            text = ("true" if value else "false") if kind == "xboolean" else str(value)
            out.append(f'{pad}<entry key="{_attr(key)}" type="{kind}" value="{_attr(text)}"/>')


def config_xml(root_key: str, children: Config) -> bytes:
    """A NodeSettings document (NodeSettings.saveToXML)."""
    out = [_HEAD.format(key=_attr(root_key)).rstrip("\n")]
    _config_lines(children, 1, out)
    out.append("</config>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _entry(elem: ET.Element) -> Any:
    if elem.get("isnull") == "true":
        return None
    kind, raw = elem.get("type", "xstring"), elem.get("value", "")
    if kind in ("xint", "xlong", "xshort", "xbyte"):
        return int(raw)
    if kind in ("xdouble", "xfloat"):
        return float(raw)
    if kind == "xboolean":
        return raw.strip().lower() == "true"
    return _ESCAPE_RE.sub(lambda m: chr(int(m.group(1))), raw) if "%%" in raw else raw


def _parse(elem: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in elem:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "entry":
            out[child.get("key", "")] = _entry(child)
        elif tag == "config":
            out[child.get("key", "")] = _parse(child)
    return out


def parse_config_xml(data: bytes, what: str) -> dict[str, Any]:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise TableFormatError(f"{what} is not a readable KNIME config: {exc}") from None
    return _parse(root)


# -------------------------------------------------------------------------- Java's UTF strings

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _surrogates(match: re.Match[str]) -> str:
    code = ord(match[0]) - 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


def _java_utf8(text: str) -> bytes:
    """Java's modified UTF-8: NUL as C0 80, characters beyond the BMP as two 3-byte surrogates."""
    text = _ASTRAL.sub(_surrogates, text)
    return text.encode("utf-8", "surrogatepass").replace(b"\x00", b"\xc0\x80")


def write_utf(text: str) -> bytes:
    """LongUTFDataOutputStream.writeUTF: a 2-byte length up to 0xFFFE, else 0xFFFF and an 8-byte
    length, then the modified UTF-8 bytes."""
    body = _java_utf8(text)
    if len(body) <= 0xFFFE:
        return struct.pack(">H", len(body)) + body
    return struct.pack(">Hq", 0xFFFF, len(body)) + body


def _from_java_utf8(raw: bytes) -> str:
    if b"\xc0\x80" not in raw and b"\xed" not in raw:
        return raw.decode("utf-8")
    text = raw.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogatepass")
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")  # joins surrogate pairs


def read_utf(body: bytes, pos: int) -> tuple[str, int]:
    n = int.from_bytes(body[pos : pos + 2], "big")
    pos += 2
    if n == 0xFFFF:
        n = int.from_bytes(body[pos : pos + 8], "big", signed=True)
        pos += 8
    if n < 0 or pos + n > len(body):
        raise TableFormatError("a string runs past the end of its cell")
    return _from_java_utf8(body[pos : pos + n]), pos + n


# ----------------------------------------------------------------------------- blocked stream

_ESCAPED = re.compile(rb"\x62([\x00-\xff])")
# one block: bytes other than 0x61/0x62, or 0x62 + any byte, then the terminating 0x61
_BLOCK = re.compile(rb"[^\x61\x62]*(?:\x62[\x00-\xff][^\x61\x62]*)*\x61")


def block(payload: bytes) -> bytes:
    """BlockableOutputStream: escape 0x61 and 0x62, then end the block."""
    if b"b" in payload:
        payload = payload.replace(b"b", b"bb")
    if b"a" in payload:
        payload = payload.replace(b"a", b"ba")
    return payload + b"a"


# ------------------------------------------------------------------------------------- snappy

_SNAPPY_MAGIC = b"\x82SNAPPY\x00"  # snappy-java's SnappyCodec header: magic, version, compatible version


def _snappy_block(buf: bytes) -> bytes:
    """One raw Snappy block (Snappy's format description: a varint length, then literals and
    back-references)."""
    pos = length = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        length |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
    out = bytearray()
    end = len(buf)
    while pos < end:
        tag = buf[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:
            n = tag >> 2
            if n >= 60:
                extra = n - 59
                n = int.from_bytes(buf[pos : pos + extra], "little")
                pos += extra
            n += 1
            out += buf[pos : pos + n]
            pos += n
            continue
        if kind == 1:
            n, offset = ((tag >> 2) & 7) + 4, ((tag >> 5) << 8) | buf[pos]
            pos += 1
        elif kind == 2:
            n, offset = (tag >> 2) + 1, int.from_bytes(buf[pos : pos + 2], "little")
            pos += 2
        else:
            n, offset = (tag >> 2) + 1, int.from_bytes(buf[pos : pos + 4], "little")
            pos += 4
        if offset == 0 or offset > len(out):
            raise TableFormatError("corrupt Snappy data (back-reference before the start)")
        start = len(out) - offset
        if offset >= n:
            out += out[start : start + n]
        else:  # the copy overlaps what it writes: the pattern repeats
            pattern = bytes(out[start:])
            out += (pattern * (n // offset + 1))[:n]
    if len(out) != length:
        raise TableFormatError("corrupt Snappy data (length mismatch)")
    return bytes(out)


def snappy_stream(data: bytes) -> bytes:
    """snappy-java's SnappyOutputStream: the 16-byte header, then chunks of a 4-byte big-endian
    length and a raw Snappy block (a stream without the header is one raw block)."""
    if not data.startswith(_SNAPPY_MAGIC):
        return _snappy_block(data)
    parts: list[bytes] = []
    pos = 16
    while pos < len(data):
        if data.startswith(_SNAPPY_MAGIC, pos):  # concatenated streams
            pos += 16
            continue
        n = int.from_bytes(data[pos : pos + 4], "big")
        pos += 4
        parts.append(_snappy_block(data[pos : pos + n]))
        pos += n
    return b"".join(parts)


# ------------------------------------------------------------------------------------- writing


def _column_spec(i: int, name: str, cell_class: str) -> tuple[str, str, Any]:
    """DataColumnSpec.save: name, type (DataType.save of a native type: its cell class), an
    empty domain and no properties."""
    return (
        "config",
        f"column_spec_{i}",
        [
            ("xstring", "column_name", name),
            ("config", "column_type", [("xstring", "cell_class", cell_class)]),
            ("config", "column_domain", []),
            ("config", "column_properties", []),
        ],
    )


def spec_xml(columns: list[tuple[str, str]]) -> bytes:
    """The `spec.xml` entry: NodeSettings "Table Spec" holding DataTableSpec.save in `table.spec`."""
    spec: Config = [("xstring", "spec_name", "default"), ("xint", "number_columns", len(columns))]
    spec += [_column_spec(i, name, CLASS_OF[t]) for i, (name, t) in enumerate(columns)]
    return config_xml("Table Spec", [("config", "table.spec", spec)])


def meta_xml(n_rows: int, classes: list[str], compression: str = "Gzip") -> bytes:
    """The `meta.xml` entry (Buffer.writeMetaToFile with DefaultTableStoreWriter's format settings,
    which are also copied to the top level for KNIME 3.5 and before)."""
    cells: Config = [("config", f"element_{i}", [("xstring", "class", c)]) for i, c in enumerate(classes)]
    fmt: Config = [
        ("xstring", "container.compression", compression),
        ("config", "table.datacell.classes", cells),
    ]
    size = ("xint", "table.size", n_rows) if n_rows < 2**31 - 1 else ("xlong", "table.size.long", n_rows)
    internal: Config = [
        ("xstring", "container.version", VERSION),
        size,
        ("xboolean", "container.contains.blobs", False),
        ("xstring", "container.filestores.uuid", None),
        ("xboolean", "container.inmemory", False),
        ("xint", "container.id", -1),
        ("xstring", "container.format", DEFAULT_FORMAT),
        ("config", "container.format.config", fmt),
        *fmt,
    ]
    return config_xml("Table Meta Information", [("config", "table.meta.internal", internal)])


_NUMPY = {ColumnType.INTEGER: ">i4", ColumnType.LONG: ">i8", ColumnType.DOUBLE: ">f8"}
_INT_RANGE = {ColumnType.INTEGER: (-(2**31), 2**31 - 1), ColumnType.LONG: (-(2**63), 2**63 - 1)}


def _numbers(name: str, present: np.ndarray, col_type: str) -> list[bytes]:
    """Java's writeInt / writeLong / writeDouble of the present values, big-endian."""
    size = int(_NUMPY[col_type][-1])
    if col_type == ColumnType.DOUBLE:
        data = np.asarray(present, dtype=np.float64).astype(_NUMPY[col_type]).tobytes()
    else:
        low, high = _INT_RANGE[col_type]
        as_int = [int(v) for v in present]
        bad = next((v for v, i in zip(present, as_int, strict=True) if i != v or not low <= i <= high), None)
        if bad is not None:
            raise TableFormatError(f"column {name!r} ({col_type}) holds {bad!r}, not a {col_type} value")
        data = np.array(as_int, dtype=np.int64).astype(_NUMPY[col_type]).tobytes()
    return [data[k : k + size] for k in range(0, len(data), size)]


def _payloads(name: str, values: np.ndarray, missing: np.ndarray, col_type: str) -> list[bytes | None]:
    """Each cell's serialised value (without its control byte), None for a missing cell."""
    present = values[~missing]
    if col_type in _NUMPY:
        packed: list[bytes] = _numbers(name, present, col_type)
    elif col_type == ColumnType.BOOLEAN:
        packed = [b"\x01" if bool(v) else b"\x00" for v in present]
    else:
        wrong = next((v for v in present if not isinstance(v, str)), None)
        if wrong is not None:
            raise TableFormatError(f"column {name!r} (String) holds a {type(wrong).__name__} value {wrong!r}")
        packed = [write_utf(v) for v in present]
    it = iter(packed)
    return [None if m else next(it) for m in missing]


def unsupported(columns: Iterable[tuple[str, str]]) -> list[str]:
    """Columns whose type knitflow cannot write as KNIME cells, as 'name (type)'."""
    return [f"{n!r} ({t})" for n, t in columns if t not in CLASS_OF]


def cell_classes(columns: list[tuple[str, str]], cells: list[list[bytes | None]]) -> list[str]:
    """The cell classes in the order DefaultTableStoreWriter hands out their identifiers: by first
    use, row by row (a column's first present cell), missing cells taking none."""
    first = []
    for c, (_, t) in enumerate(columns):
        row = next((r for r, p in enumerate(cells[c]) if p is not None), None)
        if row is not None:
            first.append((row, c, CLASS_OF[t]))
    return list(dict.fromkeys(cls for _, _, cls in sorted(first)))


def data_bin(
    row_ids: list[str],
    columns: list[tuple[str, str]],
    cells: list[list[bytes | None]],
    check: Callable[[], None] = lambda: None,
) -> tuple[bytes, list[str]]:
    """The uncompressed Buffer stream and its cell classes (see `cell_classes`)."""
    classes = cell_classes(columns, cells)
    blocks: list[list[bytes]] = [[block(write_utf(key)) for key in row_ids]]
    for c, (_, t) in enumerate(columns):
        check()
        used = CLASS_OF[t] in classes  # else every cell of the column is missing
        ctrl = bytes([(BYTE_TYPE_START + classes.index(CLASS_OF[t])) & 0xFF]) if used else b""
        blocks.append([b"\x80\x61" if p is None else block(ctrl + p) for p in cells[c]])
    blocks.append([b"\x83"] * len(row_ids))
    return b"".join(chain.from_iterable(zip(*blocks, strict=True))), classes


def table_file_bytes(
    row_ids: list[str],
    columns: list[tuple[str, str]],
    values: list[tuple[np.ndarray, np.ndarray]],
    check: Callable[[], None] = lambda: None,
) -> bytes:
    """A whole `.table` file: columns are (name, knitflow type), values per column (cells, missing
    mask). data.bin is gzip-compressed ("Gzip", which every KNIME since 2.0 reads) and stored in
    a deflate entry without further compression, as Buffer.addToZipFile does."""
    bad = unsupported(columns)
    if bad:
        raise TableFormatError(f"cannot write {', '.join(bad)} as KNIME cells")
    cells = [_payloads(n, v, m, t) for (n, t), (v, m) in zip(columns, values, strict=True)]
    raw, classes = data_bin(row_ids, columns, cells, check)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(SPEC_ENTRY, spec_xml(columns), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(
            DATA_ENTRY,
            gzip.compress(raw, compresslevel=6, mtime=0),
            compress_type=zipfile.ZIP_DEFLATED,
            compresslevel=0,
        )
        archive.writestr(META_ENTRY, meta_xml(len(row_ids), classes), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------- reading


@dataclass
class SpecColumn:
    name: str
    cell_class: str | None  # None: a non-native type (KNIME stores its value classes instead)

    @property
    def type(self) -> str | None:
        """The knitflow type, or None when knitflow cannot read the column."""
        return CELL_CLASSES.get(self.cell_class or "")

    @property
    def described(self) -> str:
        return (self.cell_class or "a non-native type").rsplit(".", 1)[-1]


def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise TableFormatError(f"{path} is not a KNIME table file (not a zip archive: {exc})") from None


def _spec_columns(data: bytes) -> list[SpecColumn]:
    tree = parse_config_xml(data, SPEC_ENTRY)
    spec = tree.get("table.spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("number_columns"), int):
        raise TableFormatError(f"{SPEC_ENTRY} holds no table spec")
    columns = []
    for i in range(spec["number_columns"]):
        col = spec.get(f"column_spec_{i}")
        if not isinstance(col, dict) or not isinstance(col.get("column_name"), str):
            raise TableFormatError(f"{SPEC_ENTRY}: column {i} has no name")
        col_type = col.get("column_type")
        cell = col_type.get("cell_class") if isinstance(col_type, dict) else None
        if isinstance(col_type, dict) and "collection_element_type" in col_type:
            cell = f"{cell} (collection)"
        columns.append(SpecColumn(col["column_name"], cell))
    return columns


def read_spec(path: Path) -> list[SpecColumn]:
    """The columns of a `.table` file, from its `spec.xml` entry only."""
    with _open(path) as archive:
        try:
            data = archive.read(SPEC_ENTRY)
        except KeyError:
            raise TableFormatError(f"{path} has no {SPEC_ENTRY} entry (not a KNIME table file)") from None
    return _spec_columns(data)


def check_readable(columns: list[SpecColumn]) -> None:
    bad = [c for c in columns if c.type is None]
    if not bad:
        return
    parts = []
    for c in bad:
        why = (
            "its cells' binary layout could not be checked against KNIME's source"
            if c.cell_class in _UNVERIFIED
            else "knitflow reads String, Integer, Long, Double and Boolean cells"
        )
        parts.append(f"{c.name!r} ({c.described}: {why})")
    raise TableFormatError(f"cannot read column{'s' if len(bad) > 1 else ''} {'; '.join(parts)}")


@dataclass
class _Meta:
    version: int
    size: int
    classes: list[str]
    compression: str


def _meta(data: bytes) -> _Meta:
    tree = parse_config_xml(data, META_ENTRY)
    sub = tree.get("table.meta.internal")
    if not isinstance(sub, dict):
        raise TableFormatError(f"{META_ENTRY} holds no table.meta.internal")
    version_text = sub.get("container.version")
    version = _COMPATIBLE.get(str(version_text))
    if version is None:
        raise TableFormatError(
            f"table format version {version_text!r} is not supported (knitflow reads "
            f"{', '.join(_COMPATIBLE)}: KNIME 2.0.1 and later)"
        )
    size = sub.get("table.size.long", sub.get("table.size"))
    if not isinstance(size, int) or size < 0:
        raise TableFormatError(f"{META_ENTRY} gives no row count")
    if sub.get("container.contains.blobs"):
        raise TableFormatError("the table holds blob cells (e.g. images, large documents): not supported")
    if sub.get("container.filestores.uuid"):
        raise TableFormatError("the table holds file store cells: not supported")
    fmt_name = sub.get("container.format") or DEFAULT_FORMAT
    if fmt_name != DEFAULT_FORMAT:
        raise TableFormatError(
            f"the table is stored in format {fmt_name}: knitflow reads KNIME's default format"
        )
    fmt = sub.get("container.format.config") if version >= 10 else sub
    if not isinstance(fmt, dict):
        raise TableFormatError(f"{META_ENTRY} holds no container.format.config")
    compression = str(fmt.get("container.compression") or ("GZIP" if version < 12 else "SNAPPY")).upper()
    compression = {"TRUE": "GZIP", "FALSE": "NONE"}.get(compression, compression)
    cells = fmt.get("table.datacell.classes")
    if not isinstance(cells, dict):
        raise TableFormatError(f"{META_ENTRY} lists no cell classes (table.datacell.classes)")
    classes = []
    for single in cells.values():  # identifiers follow the file order of the entries
        cls = single.get("class") if isinstance(single, dict) else None
        if not isinstance(cls, str):
            raise TableFormatError(f"{META_ENTRY}: a cell class entry has no class")
        if isinstance(single, dict) and "collection.element.type" in single:
            cls = f"{cls} (collection)"
        classes.append(cls)
    return _Meta(version, size, classes, compression)


def _decompress(data: bytes, compression: str) -> bytes:
    if compression == "NONE":
        return data
    if compression == "GZIP":
        return gzip.decompress(data)
    if compression == "SNAPPY":
        return snappy_stream(data)
    raise TableFormatError(
        f"data compressed with {compression} is not supported (knitflow reads None, Gzip, Snappy)"
    )


_INT = struct.Struct(">i").unpack_from
_LONG = struct.Struct(">q").unpack_from
_DOUBLE = struct.Struct(">d").unpack_from


def _decoder(cls: str) -> tuple[str, Callable[[bytes], Any]] | None:
    kind = CELL_CLASSES.get(cls)
    if kind == ColumnType.STRING:
        return kind, lambda b: read_utf(b, 1)[0]
    if kind == ColumnType.INTEGER:
        return kind, lambda b: _INT(b, 1)[0]
    if kind == ColumnType.LONG:
        return kind, lambda b: _LONG(b, 1)[0]
    if kind == ColumnType.DOUBLE:
        return kind, lambda b: _DOUBLE(b, 1)[0]
    if kind == ColumnType.BOOLEAN:
        return kind, lambda b: b[1] != 0
    return None


@dataclass
class ReadTable:
    row_ids: list[str]
    columns: list[SpecColumn]
    values: list[list[Any]]  # per column, None for a missing cell
    nan_cells: int  # Double cells holding NaN (read as missing)


def read_table(
    path: Path, check: Callable[[], None] = lambda: None, max_rows: int | None = None
) -> ReadTable:
    """Every row (or the first `max_rows`) of a `.table` file."""
    with _open(path) as archive:
        names = archive.namelist()
        for entry in (SPEC_ENTRY, DATA_ENTRY, META_ENTRY):
            if entry not in names:
                raise TableFormatError(f"No entry {entry} in file {path} (not a KNIME table file)")
        if any(n.startswith(("blobs/", "filestores/")) for n in names):
            raise TableFormatError("the table holds blob or file store cells: not supported")
        columns = _spec_columns(archive.read(SPEC_ENTRY))
        meta = _meta(archive.read(META_ENTRY))
        check_readable(columns)
        try:
            data = _decompress(archive.read(DATA_ENTRY), meta.compression)
        except (OSError, EOFError, IndexError, ValueError) as exc:
            raise TableFormatError(f"data.bin cannot be decompressed ({meta.compression}): {exc}") from None
    n_rows = meta.size if max_rows is None else min(meta.size, max_rows)
    try:
        return _rows(data, columns, meta.classes, n_rows, check)
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise TableFormatError(f"data.bin is corrupt or not in the expected layout: {exc}") from None


def _rows(
    data: bytes, columns: list[SpecColumn], classes: list[str], n_rows: int, check: Callable[[], None]
) -> ReadTable:
    decoders = [_decoder(c) for c in classes]
    values: list[list[Any]] = [[] for _ in columns]
    row_ids: list[str] = []
    nan_cells = 0
    find = data.find
    pos = 0

    def next_block(what: str) -> bytes:
        """The (unescaped) block at `pos`; moves `pos` past its terminator."""
        nonlocal pos
        end = find(b"a", pos)
        if end < 0:
            raise TableFormatError(f"{what}: the block does not end")
        if find(b"b", pos, end) < 0:  # nothing escaped: the first 0x61 ends the block
            body, pos = data[pos:end], end + 1
            return body
        m = _BLOCK.match(data, pos)
        if m is None:
            raise TableFormatError(f"{what}: the block does not end")
        pos = m.end()
        return _ESCAPED.sub(rb"\1", m.group()[:-1])

    for r in range(n_rows):
        if r % 10000 == 0:
            check()
        row_ids.append(read_utf(next_block(f"row {r + 1}, RowID"), 0)[0])
        for c, column in enumerate(columns):
            value = _cell(next_block(f"row {r + 1}, column {column.name!r}"), column, decoders, classes, r)
            if type(value) is float and math.isnan(value):
                nan_cells += 1
                value = None
            values[c].append(value)
        if pos >= len(data) or data[pos] != BYTE_ROW_SEPARATOR:
            raise TableFormatError(f"row {r + 1}: no end-of-row byte after the last cell")
        pos += 1
    return ReadTable(row_ids, columns, values, nan_cells)


def _unescape(body: bytes) -> bytes:
    return _ESCAPED.sub(rb"\1", body) if b"b" in body else body


def _cell(
    body: bytes,
    column: SpecColumn,
    decoders: list[tuple[str, Callable[[bytes], Any]] | None],
    classes: list[str],
    row: int,
) -> Any:
    if not body:
        raise TableFormatError(f"row {row + 1}, column {column.name!r}: an empty cell")
    ctrl = body[0]
    if ctrl == BYTE_TYPE_MISSING:
        return None
    if ctrl == BYTE_TYPE_SERIALIZATION:
        cls = classes[_index(body[1], classes)] if len(body) > 1 else "?"
        raise TableFormatError(f"column {column.name!r} holds a Java-serialised {cls} cell: not supported")
    index = _index(ctrl, classes)
    decoder = decoders[index]
    if decoder is None:
        raise TableFormatError(f"column {column.name!r} holds a {classes[index]} cell: not supported")
    kind, decode = decoder
    target = column.type or ""
    if kind not in _ACCEPTS.get(target, ()):
        raise TableFormatError(f"column {column.name!r} ({target}) holds a {kind} cell in row {row + 1}")
    value = decode(body)
    if kind == target:
        return value
    return float(value) if target == ColumnType.DOUBLE else int(value)


def _index(ctrl: int, classes: list[str]) -> int:
    signed = ctrl - 256 if ctrl > 127 else ctrl
    index = signed - BYTE_TYPE_START
    if not 0 <= index < len(classes):
        raise TableFormatError(f"unknown cell type identifier {signed} ({len(classes)} cell classes listed)")
    return index


def column_array(values: list[Any], col_type: str) -> Any:
    """knitflow's column for read values: NumPy when nothing is missing, else a nullable array
    (Integer, Long, Boolean), NaN (Double) or None (String)."""
    missing = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    if col_type == ColumnType.DOUBLE:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if col_type == ColumnType.STRING:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    if col_type == ColumnType.BOOLEAN:
        data = np.array([bool(v) if v is not None else False for v in values], dtype=np.bool_)
        return pd.arrays.BooleanArray(data, missing) if missing.any() else data
    data = np.array([v if v is not None else 0 for v in values], dtype=np.int64)
    return pd.arrays.IntegerArray(data, missing) if missing.any() else data
