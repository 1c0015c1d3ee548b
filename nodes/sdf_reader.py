"""SDF Reader: KNIME's reader of MDL SD files (KNIME Base Chemistry, `SDFReader3NodeFactory`).

KNIME reads an SD file as text, not as chemistry: each record (up to a `$$$$` line) becomes a row
whose SDF cell holds the record as written, with the molecule's name (first line), the Molfile and
Ctab blocks, the atom and bond counts of the counts line and the SD properties (`> <name>` data
items) on request. Properties are Integer, Double or String columns, as chosen in the dialog or,
with "extract all properties", as the values of all records allow (an Integer column becomes Double
when a record holds a decimal number, String when one holds text). Records that cannot be split into
Molfile and data items go to the second port with their error; nothing is sanitized or checked for
valences, as KNIME checks none.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote, urlparse

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
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._csv_source import _missing_file
from nodes._java_text import INT32, java_trim, parse_java_double, parse_java_int
from nodes._knime_readers import _file
from nodes._molecules import MOL, SDF, typed_values, unique_name

PropertyType = Literal["Integer", "Double", "String"]
_JAVA_TYPES = {"java.lang.Integer": "Integer", "java.lang.Double": "Double"}
CTAB = "Ctab"


class SdfProperty(NodeSettings):
    """One SD property of the dialog's table (KNIME's SDFReaderSettings.Property)."""

    extract: bool = Field(True, description="Read this property into a column.")
    name: str = Field(description="The property's name, as between < and > in the data header.")
    type: PropertyType = Field(
        "String", description="Column type: Integer, Double or String (the value as written)."
    )


class SdfReaderSettings(NodeSettings):
    """KNIME's SDFReaderSettings (chem.base 2.4+)."""

    file: str | None = Field(
        None, description="The SD file (KNIME: the first of `urls`); a .gz file is decompressed."
    )
    useRowID: bool = Field(True, description="Use each molecule's name (first line) as its RowID.")
    extractName: bool = Field(False, description="Add a 'Molecule name' column (first line of the record).")
    extractSDF: bool = Field(True, description="Add a 'Molecule' column with the whole record as SDF.")
    extractMol: bool = Field(False, description="Add a 'Mol Block' column (the Molfile, up to M  END).")
    extractCTab: bool = Field(False, description="Add a 'Ctab Block' column (counts line to M  END).")
    extractCounts: bool = Field(False, description="Add 'Atom count' and 'Bond count' from the counts line.")
    sourceLocationColumn: bool = Field(
        False, description="Add a 'Source location' column with the file's URL."
    )
    limitMolecules: bool = Field(False, description="Read only the first `limit` records.")
    limit: int = Field(100, ge=0, description="How many records to read when limitMolecules is on.")
    extractAllProperties: bool = Field(
        False,
        description="Read every property found in the file, typed by its values (ignores `properties`).",
    )
    properties: list[SdfProperty] = Field(
        default_factory=list, description="The properties to read, with their column types."
    )


# ---------------------------------------------------------------------------------- SDF records


class SdfSyntaxError(ValueError):
    """A record KNIME's SDFAnalyzer cannot analyse: it goes to the second port."""


@dataclass
class DataItem:
    """One `> <name>` data item: the text as written and its value (int, float, str or None)."""

    unparsed: str
    value: Any


@dataclass
class SdfRecord:
    title: str
    molfile: str
    ctab: str
    atoms: int
    bonds: int
    properties: dict[str, DataItem] = field(default_factory=dict)


def _records(text: str) -> list[str]:
    """The records of a file, each as read (line ends as `\\n`) including its `$$$$` line; text
    after the last `$$$$` is a record unless it is blank."""
    out: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        current.append(line)
        if line.startswith("$$$$"):
            out.append("\n".join(current) + "\n")
            current = []
    if any(line.strip() for line in current):
        out.append("\n".join(current) + "\n")
    return out


def _counts(lines: list[str]) -> tuple[int, int]:
    counts = lines[3]
    try:
        if "V3000" in counts:
            row = next(line for line in lines if line.startswith("M  V30 COUNTS"))
            fields = row.split()
            return int(fields[3]), int(fields[4])
        return int(counts[0:3]), int(counts[3:6])
    except (ValueError, IndexError, StopIteration):
        raise SdfSyntaxError(f"Invalid counts line: '{counts}'") from None


def _value(unparsed: str) -> Any:
    """Integer.parseInt, else Double.parseDouble, else the text; nothing for an empty value."""
    text = java_trim(unparsed)
    if not text:
        return None
    for parse in (parse_java_int, parse_java_double):
        try:
            return parse(text)
        except ValueError:
            continue
    return unparsed


def _data_items(lines: list[str]) -> dict[str, DataItem]:
    items: dict[str, DataItem] = {}
    i = 0
    while i < len(lines):
        header = lines[i]
        i += 1
        if not header.startswith(">"):
            continue
        start, end = header.find("<"), header.find(">", header.find("<") + 1)
        if start < 0 or end < 0:
            raise SdfSyntaxError(f"Data header without a <name>: '{header}'")
        value: list[str] = []
        while i < len(lines) and lines[i].strip() and not lines[i].startswith(">"):
            value.append(lines[i])
            i += 1
        unparsed = "\n".join(value)
        items[header[start + 1 : end]] = DataItem(unparsed, _value(unparsed))
    return items


def analyze_record(record: str) -> SdfRecord:
    """Title, Molfile and Ctab block, counts and data items of one record."""
    lines = record.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if lines and lines[-1].startswith("$$$$"):
        lines.pop()
    if len(lines) < 4:
        raise SdfSyntaxError(f"Molfile block too short: {len(lines)} lines")
    atoms, bonds = _counts(lines)
    end = next((i for i in range(3, len(lines)) if lines[i].startswith("M  END")), None)
    if end is None:
        raise SdfSyntaxError("No 'M  END' line in the Molfile block")
    if "V3000" not in lines[3] and end < 4 + atoms + bonds:
        raise SdfSyntaxError(f"Molfile block too short for {atoms} atoms and {bonds} bonds")
    molfile = "\n".join(lines[: end + 1]) + "\n"
    ctab = "\n".join(lines[3 : end + 1]) + "\n"
    return SdfRecord(lines[0], molfile, ctab, atoms, bonds, _data_items(lines[end + 1 :]))


def _promoted(known: str | None, value: Any) -> str | None:
    """DefaultSDFReader.analyzeAndUpdateProperties: an Integer property turns into the type of a
    later Double or String value, a Double one into String only."""
    kind = _kind(value)
    if known is None or kind is None or kind == known:
        return known if kind is None else kind
    if known == "Integer" or kind == "String":
        return kind
    return known


def _kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, int):
        return "Integer"
    return "Double" if isinstance(value, float) else "String"


# ---------------------------------------------------------------------------------------- reading


def _read_text(path: str) -> str:
    """BufferedFileReader: a gzip file is read decompressed."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace")


def _source_url(path: str) -> str:
    """The file's URL as Java prints a file URL (`file:/dir/name`)."""
    return "file:" + quote(str(Path(path).resolve()).replace("\\", "/"), safe="/:")


def _java_int_value(value: Any) -> int:
    """Number.intValue of a Double: truncated, NaN -> 0, clamped to the int range."""
    if isinstance(value, int):
        return value
    if math.isnan(value):
        return 0
    if math.isinf(value):
        return INT32[1] if value > 0 else INT32[0]
    return max(INT32[0], min(INT32[1], math.trunc(value)))


def _cell(item: DataItem | None, prop: SdfProperty) -> Any:
    if item is None or item.value is None:
        return None
    if prop.type == "String":
        return item.unparsed
    if isinstance(item.value, str):
        raise NodeError(
            f"property {prop.name!r}: {item.unparsed!r} is not a number (java.lang.ClassCastException)",
            setting="properties",
        )
    return _java_int_value(item.value) if prop.type == "Integer" else float(item.value)


def _all_properties(records: list[str], s: SdfReaderSettings) -> list[SdfProperty]:
    """DefaultSDFReader.determineProperties: names in order of appearance; records that do not
    analyse are skipped, and count not towards the limit."""
    types: dict[str, str | None] = {}
    read = 0
    for record in records:
        try:
            items = analyze_record(record).properties
        except SdfSyntaxError:
            continue
        for name, item in items.items():
            types[name] = _promoted(types.get(name), item.value)
        read += 1
        if s.limitMolecules and read >= s.limit:
            break
    return [SdfProperty.model_validate({"name": n, "type": t or "String"}) for n, t in types.items()]


def _layout(s: SdfReaderSettings, properties: list[SdfProperty]) -> list[tuple[str, str]]:
    """The columns of the first port (UniqueNameGenerator makes clashing names unique)."""
    wanted: list[tuple[str, str]] = []
    if s.extractSDF:
        wanted.append(("Molecule", SDF))
    if s.extractMol:
        wanted.append(("Mol Block", MOL))
    if s.extractCTab:
        wanted.append(("Ctab Block", CTAB))
    if s.extractName:
        wanted.append(("Molecule name", ColumnType.STRING))
    if s.extractCounts:
        wanted += [("Atom count", ColumnType.INTEGER), ("Bond count", ColumnType.INTEGER)]
    wanted += [(p.name, p.type) for p in properties if p.extract]
    if s.sourceLocationColumn:
        wanted.append(("Source location", ColumnType.STRING))
    taken: set[str] = set()
    layout = []
    for name, kind in wanted:
        unique = unique_name(name, taken)
        taken.add(unique)
        layout.append((unique, kind))
    return layout


def _broken_layout(s: SdfReaderSettings) -> list[tuple[str, str]]:
    cols = [("SDF string", ColumnType.STRING), ("Error", ColumnType.STRING)]
    return cols + ([("Source file", ColumnType.STRING)] if s.sourceLocationColumn else [])


def _good_row(
    sdf: SdfRecord, text: str, s: SdfReaderSettings, props: list[SdfProperty], url: str
) -> list[Any]:
    row: list[Any] = []
    if s.extractSDF:
        row.append(text)
    if s.extractMol:
        row.append(sdf.molfile)
    if s.extractCTab:
        row.append(sdf.ctab)
    if s.extractName:
        row.append(sdf.title)
    if s.extractCounts:
        row += [sdf.atoms, sdf.bonds]
    row += [_cell(sdf.properties.get(p.name), p) for p in props if p.extract]
    if s.sourceLocationColumn:
        row.append(url)
    return row


def _table(layout: list[tuple[str, str]], rows: list[list[Any]], ids: list[str]) -> Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in layout]
    df = pd.DataFrame(
        {
            name: typed_values(list(values), kind)
            for (name, kind), values in zip(layout, columns, strict=True)
        },
        index=pd.Index(ids, dtype=object),
    )
    return Table(df, dict(layout))


def _unique_ids(ids: list[str]) -> None:
    seen: set[str] = set()
    for i, rid in enumerate(ids):
        if rid in seen:
            raise NodeError(
                f'Encountered duplicate row ID "{rid}" at row number {i + 1} (molecule names as RowIDs)',
                setting="useRowID",
            )
        seen.add(rid)


# ------------------------------------------------------------------------------------ KNIME import


def _local_path(url: str) -> str:
    """A `file:` URL as the path it names (percent escapes decoded); other URLs as they are."""
    parsed = urlparse(url)
    return unquote(parsed.path) if parsed.scheme == "file" else url


def _properties_from_knime(knime: KnimeSettings) -> None:
    """`properties`: count, then extract_i, name_i and type_i (a Java class name) per property."""
    props = knime.get("properties")
    if not isinstance(props, dict):
        return
    listed = []
    for i in range(int(props.get("count", 0))):
        java_type = str(props.get(f"type_{i}", "java.lang.String"))
        listed.append(
            {
                "extract": bool(props.get(f"extract_{i}", True)),
                "name": str(props.get(f"name_{i}", "")),
                "type": _JAVA_TYPES.get(java_type, "String"),
            }
        )
    knime.put("properties", listed, "properties")


def _sdf_reader_from_knime(knime: KnimeSettings) -> None:
    """SDFReaderSettings: `urls` (older: `filename`), the extract flags, limit and properties."""
    key = "urls" if knime.get("urls") is not None else "filename"
    urls = [str(u) for u in seq(knime.get(key))]
    if len(urls) > 1:
        knime.lost(
            f"reading {len(urls)} files one after the other is not supported; knitflow reads the first, "
            f"{urls[0]!r}"
        )
    _file(knime, _local_path(urls[0]) if urls else None, key)
    knime.take_all(
        ["useRowID", "extractName", "extractSDF", "extractMol", "extractCTab", "extractCounts"]
        + ["sourceLocationColumn", "limitMolecules", "limit", "extractAllProperties"]
    )
    _properties_from_knime(knime)
    knime.unread()


class SdfReader(Node):
    type_name = "sdf_reader"
    display_name = "SDF Reader"
    category = Category.SOURCE
    description = (
        "Reads an MDL SD file: one row per record with the record as an SDF cell and, on request, the "
        "molecule name, Mol and Ctab blocks, atom and bond counts and the SD properties as Integer, Double "
        "or String columns. Records that cannot be analysed go to the second port with their error."
    )
    keywords = ("sdf", "sd file", "mol", "molfile", "molecule", "chemistry", "reader", "structure")
    knime = (
        KnimeMapping(
            "org.knime.chem.base.node.io.sdf.SDFReader3NodeFactory",
            "SDF Reader",
            _sdf_reader_from_knime,
        ),
    )
    outputs = (
        Port(TABLE, "Molecules", "One row per record that could be analysed"),
        Port(TABLE, "Unparseable records", "The records that could not be analysed, with the error"),
    )
    Settings = SdfReaderSettings
    path_settings = ("file",)

    def _check(self, s: SdfReaderSettings, cls: type[NodeError]) -> str:
        if not s.file:
            raise cls("No file selected", setting="file")
        if not Path(s.file).is_file():
            raise cls(str(_missing_file(s.file)), setting="file")
        return s.file

    def configure(self, in_specs: list[Any], settings: SdfReaderSettings, ctx: NodeContext) -> list[Any]:
        self._check(settings, ConfigureError)
        broken = TableSpec.of(_broken_layout(settings))
        if settings.extractAllProperties:
            return [UNKNOWN, broken]  # the file's properties decide
        return [TableSpec.of(_layout(settings, settings.properties)), broken]

    def execute(self, inputs: list[Any], settings: SdfReaderSettings, ctx: NodeContext) -> list[Any]:
        path = self._check(settings, NodeError)
        try:
            records = _records(_read_text(path))
        except OSError as exc:
            raise NodeError(f"Cannot access '{path}': {exc}", setting="file") from None
        s = settings
        props = _all_properties(records, s) if s.extractAllProperties else list(s.properties)
        url = _source_url(path)
        good: list[list[Any]] = []
        good_ids: list[str] = []
        broken: list[list[Any]] = []
        broken_ids: list[str] = []
        for i, record in enumerate(records):
            if s.limitMolecules and i >= s.limit:
                break
            try:
                sdf = analyze_record(record)
            except SdfSyntaxError as exc:
                broken.append([record, str(exc)] + ([url] if s.sourceLocationColumn else []))
                broken_ids.append(f"Row{i}")
                continue
            good.append(_good_row(sdf, record, s, props, url))
            good_ids.append(sdf.title if s.useRowID else f"Row{i}")
        if s.useRowID:
            _unique_ids(good_ids)
        if broken:
            ctx.warn(f"Failed to parse {len(broken)} record(s)")
        return [_table(_layout(s, props), good, good_ids), _table(_broken_layout(s), broken, broken_ids)]
