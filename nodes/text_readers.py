"""KNIME's readers of whole text documents and lines: JSON Reader, JSON Writer, XML Reader and the
(legacy) Line Reader.

The JSON and XML readers turn a file into JSON or XML cells (the cell's text, as knitflow's JSON and
XML columns hold it): the whole document in one row, or one row per part a JSONPath or XPath selects.
The JSON Writer writes each JSON cell of a column to its own file. The Line Reader reads each line of
a text file into one String cell.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from lxml import etree
from pydantic import Field, field_validator

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
    row_ids,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._csv_source import _missing_file
from nodes._java_text import python_codec
from nodes._json_cells import (
    JaywayPath,
    JsonCellError,
    JsonPathError,
    element_document,
    json_text,
    parse_json,
    parse_xml,
    without_json_comments,
    xml_text,
)
from nodes._knime_readers import _file
from nodes._rows import is_missing
from nodes._string_functions import JavaError, java_regex


def _read(path: str) -> tuple[str, bytes]:
    """(name, content) of the file a reader reads, or knitflow's message for a missing one."""
    if not path:
        raise NodeError("no file selected", setting="file")
    source = Path(path)
    if not source.is_file():
        raise _missing_file(path)
    try:
        return source.name, source.read_bytes()
    except OSError as exc:
        raise NodeError(f"{path} cannot be read: {exc}", setting="file") from None


def _one_column(name: str, values: list[Any], col_type: str) -> Table:
    """A table of one column, RowIDs Row0, Row1, ..."""
    df = pd.DataFrame({name: np.array(values, dtype=object)}, index=row_ids(len(values)))
    return Table(df, {name: col_type})


def _decoded(raw: bytes) -> str:
    """Jackson's encoding detection for JSON: UTF-8 (a byte order mark dropped), else UTF-16/32 by BOM."""
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
    ):
        if raw.startswith(bom):
            return raw.decode(codec)
    if raw.startswith(b"\xfe\xff"):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig")


# ------------------------------------------------------------------------------------ JSON Reader


class JsonReaderSettings(NodeSettings):
    """KNIME's JSONReaderSettings (knime-json's JSON Reader)."""

    file: str = Field(
        "",
        description="The JSON file (relative paths are read from the workflow's folder; "
        "`${data_dir}/name.json` from its data folder).",
        json_schema_extra=widget("file"),
    )
    column_name: str = Field("json", description="Name of the JSON output column.")
    select_part: bool = Field(
        False, description="Output the parts `json_path` selects instead of the document."
    )
    json_path: str = Field("$", description="The JSONPath (Jayway) selecting the parts, one row each.")
    fail_if_not_found: bool = Field(
        False, description="Fail when the path selects nothing (else one row with a missing cell)."
    )
    allow_comments: bool = Field(False, description="Accept /* */ and // comments in the file.")


def _take_dotted(knime: KnimeSettings, keys: list[str]) -> None:
    """knime-json's keys hold dots ("column.name"), which `take`'s dotted paths would split."""
    for key in keys:
        if key in knime.tree:
            knime.put(key.replace(".", "_"), knime.tree[key], key)


def _json_reader_from_knime(knime: KnimeSettings) -> None:
    """knime-json's JSON Reader: location, column.name, select.part, json.path, fail.if.not.found,
    allow.comments (a key not named here is a finding)."""
    tree = knime.tree
    _file(knime, tree.get("location"), "location")
    _take_dotted(knime, ["column.name", "select.part", "json.path", "fail.if.not.found", "allow.comments"])
    knime.unread()


class JsonReader(Node):
    type_name = "json_reader"
    display_name = "JSON Reader"
    category = Category.SOURCE
    description = (
        "Reads a JSON file into one JSON cell (column 'json'), or, with a JSONPath, one row per selected part; "
        "comments can be allowed."
    )
    keywords = ("json", "read", "file", "import", "jsonpath")
    knime = (
        KnimeMapping(
            "org.knime.json.node.reader.JSONReaderNodeFactory", "JSON Reader", _json_reader_from_knime
        ),
    )
    outputs = (Port(TABLE, "JSON table", "The JSON document or its selected parts."),)
    Settings = JsonReaderSettings
    path_settings = ("file",)

    def configure(self, in_specs: list[Any], settings: JsonReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no file selected", setting="file")
        if not settings.column_name.strip():
            raise ConfigureError("the output column name is empty", setting="column_name")
        if settings.select_part:
            try:
                JaywayPath(settings.json_path)
            except JsonPathError as exc:
                raise ConfigureError(str(exc), setting="json_path") from None
        return [TableSpec.of([(settings.column_name, ColumnType.JSON)])]

    def _parts(self, document: Any, s: JsonReaderSettings) -> list[str | None]:
        try:
            found = [value for _, value in JaywayPath(s.json_path).evaluate(document)]
        except JsonPathError as exc:
            found, problem = [], str(exc)
        else:
            problem = f"No results for path: {s.json_path}"
        if found:
            return [json_text(v) for v in found]
        if s.fail_if_not_found:
            raise NodeError(problem, setting="json_path")
        return [None]

    def execute(self, inputs: list[Any], settings: JsonReaderSettings, ctx: NodeContext) -> list[Any]:
        name, raw = _read(settings.file)
        try:
            text = _decoded(raw)
            document = parse_json(without_json_comments(text) if settings.allow_comments else text)
        except (JsonCellError, UnicodeDecodeError) as exc:
            raise NodeError(f"{name}: {exc}", setting="file") from None
        values = self._parts(document, settings) if settings.select_part else [json_text(document)]
        return [_one_column(settings.column_name, values, ColumnType.JSON)]


# ------------------------------------------------------------------------------------ JSON Writer


class JsonWriterSettings(NodeSettings):
    """KNIME's JSON Writer (knime-json): each JSON cell to `<folder>/<RowID><extension>`."""

    input_column: str | None = Field(
        None, description="The JSON column to write.", json_schema_extra=widget("column")
    )
    folder: str = Field(
        "",
        description="The folder the files are written to (created when missing).",
        json_schema_extra=widget("file"),
    )
    extension: str = Field(".json", description="The files' extension.")
    overwrite_existing_files: bool = Field(False, description="Replace existing files (else fail).")


def _json_writer_from_knime(knime: KnimeSettings) -> None:
    """knime-json's JSON Writer: input.column, output.location, extension, overwrite.existing.files,
    compress.contents (a key not named here is a finding)."""
    _take_dotted(knime, ["input.column", "extension", "overwrite.existing.files"])
    location = knime.tree.get("output.location")
    bound = "output.location" in knime.variables
    knime.put("folder", "" if bound or not location else ".", "output.location")
    if location and not bound:
        knime.note(f"output folder {location!r} imported as the workflow's folder")
    if knime.tree.get("compress.contents"):
        knime.lost("writing the files into a zip archive is not supported; they are written one by one")
    knime.paths["compress.contents"] = ""
    knime.unread()


class JsonWriter(Node):
    type_name = "json_writer"
    display_name = "JSON Writer"
    category = Category.SINK
    description = (
        "Writes each JSON cell of a column to its own file in a folder, named after the row's RowID with the "
        "extension (.json); missing cells write no file."
    )
    keywords = ("json", "write", "export", "file", "save")
    knime = (
        KnimeMapping(
            "org.knime.json.node.writer.JSONWriterNodeFactory", "JSON Writer", _json_writer_from_knime
        ),
    )
    inputs = (Port(TABLE, "Table with a JSON column"),)
    outputs = ()
    Settings = JsonWriterSettings
    path_settings = ("folder",)

    def writes(self, settings: Any) -> list[str]:
        return []  # one file per row: the cached result never stands for the files

    def cacheable(self, settings: Any) -> bool:
        return False

    def _column(self, spec: TableSpec, s: JsonWriterSettings, cls: type[NodeError]) -> str:
        if not s.folder:
            raise cls("no output folder selected", setting="folder")
        column = s.input_column or next((c.name for c in spec.columns if c.type == ColumnType.JSON), None)
        col = spec.get(column) if column else None
        if col is None:
            raise cls(f"No JSON column {column!r} in the input", setting="input_column")
        if col.type != ColumnType.JSON:
            raise cls(f"Column '{column}' does not contain JSON values", setting="input_column")
        return col.name

    def configure(self, in_specs: list[Any], settings: JsonWriterSettings, ctx: NodeContext) -> list[Any]:
        if isinstance(in_specs[0], TableSpec):
            self._column(in_specs[0], settings, ConfigureError)
        return []

    def execute(self, inputs: list[Any], settings: JsonWriterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        column = self._column(table.spec, settings, NodeError)
        folder = Path(settings.folder)
        targets = [
            (folder / f"{rid}{settings.extension}", v)
            for rid, v in zip(table.row_ids, table.df[column], strict=True)
        ]
        if not settings.overwrite_existing_files:
            taken = next((t for t, v in targets if not is_missing(v) and t.exists()), None)
            if taken is not None:
                raise NodeError(
                    f"File {taken} exists (enable overwrite_existing_files)",
                    setting="overwrite_existing_files",
                )
        try:
            for target, value in targets:
                ctx.check_cancelled()
                if not is_missing(value):
                    atomic_write(target, str(value).encode("utf-8"))
        except OSError as exc:
            raise NodeError(f"writing to {folder} failed: {exc}", setting="folder") from None
        return []


# ------------------------------------------------------------------------------------- XML Reader


class XmlReaderSettings(NodeSettings):
    """KNIME's XMLReaderNodeSettings (knime-xml's XML Reader)."""

    file: str = Field(
        "",
        description="The XML file (relative paths are read from the workflow's folder; "
        "`${data_dir}/name.xml` from its data folder).",
        json_schema_extra=widget("file"),
    )
    useXPathFilter: bool = Field(False, description="Output the elements `xpath` selects, one row each.")
    xpath: str = Field("", description="The XPath selecting the elements.")
    nsPrefixes: list[str] = Field(default_factory=list, description="Namespace prefixes used in the XPath.")
    namespaces: list[str] = Field(default_factory=list, description="The namespaces of those prefixes.")
    useRootsNameSpace: bool = Field(
        False, description="Bind the root element's default namespace to a prefix."
    )
    rootsNameSpacePrefix: str = Field("dns", description="The prefix of the root's default namespace.")


def _xml_reader_from_knime(knime: KnimeSettings) -> None:
    """knime-xml's XML Reader: url, useXPathFilter, xpath, nsPrefixes, namespaces, useRootsNameSpace,
    rootsNameSpacePrefix (a key not named here is a finding)."""
    _file(knime, knime.tree.get("url"), "url")
    knime.take_all(["useXPathFilter", "xpath", "useRootsNameSpace", "rootsNameSpacePrefix"])
    for key in ("nsPrefixes", "namespaces"):
        if key in knime.tree:
            knime.put(key, [str(v) for v in seq(knime.tree[key])], key)
    knime.unread()


def _namespaces(root: etree._Element, s: XmlReaderSettings) -> dict[str, str]:
    if len(s.nsPrefixes) != len(s.namespaces):
        raise NodeError("every namespace prefix needs its namespace", setting="namespaces")
    mapping = dict(zip(s.nsPrefixes, s.namespaces, strict=True))
    if s.useRootsNameSpace and root.nsmap.get(None):
        mapping[s.rootsNameSpacePrefix] = str(root.nsmap[None])
    return mapping


class XmlReader(Node):
    type_name = "xml_reader"
    display_name = "XML Reader"
    category = Category.SOURCE
    description = (
        "Reads an XML file into one XML cell (column 'XML'), or, with an XPath, one row per selected element "
        "(each a document of its own with the namespaces it uses)."
    )
    keywords = ("xml", "read", "file", "import", "xpath")
    knime = (
        KnimeMapping("org.knime.xml.node.reader.XMLReaderNodeFactory", "XML Reader", _xml_reader_from_knime),
    )
    outputs = (Port(TABLE, "XML table", "The XML document or its selected elements."),)
    Settings = XmlReaderSettings
    path_settings = ("file",)

    def configure(self, in_specs: list[Any], settings: XmlReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no file selected", setting="file")
        if settings.useXPathFilter and not settings.xpath.strip():
            raise ConfigureError("the XPath is empty", setting="xpath")
        return [TableSpec.of([("XML", ColumnType.XML)])]

    def execute(self, inputs: list[Any], settings: XmlReaderSettings, ctx: NodeContext) -> list[Any]:
        name, raw = _read(settings.file)
        try:
            root = parse_xml(raw.decode("utf-8-sig"))
        except (JsonCellError, UnicodeDecodeError) as exc:
            raise NodeError(f"{name}: {exc}", setting="file") from None
        if not settings.useXPathFilter:
            return [_one_column("XML", [xml_text(root)], ColumnType.XML)]
        try:
            found = root.getroottree().xpath(settings.xpath, namespaces=_namespaces(root, settings))
        except etree.XPathError as exc:
            raise NodeError(f"invalid XPath {settings.xpath!r}: {exc}", setting="xpath") from None
        elements = [e for e in found if isinstance(e, etree._Element)] if isinstance(found, list) else []
        return [_one_column("XML", [element_document(e) for e in elements], ColumnType.XML)]


# ------------------------------------------------------------------------------------ Line Reader


class LineReaderSettings(NodeSettings):
    """KNIME's LineReaderConfig (the legacy Line Reader)."""

    file: str = Field(
        "",
        description="The text file (relative paths are read from the workflow's folder).",
        json_schema_extra=widget("file"),
    )
    rowPrefix: str = Field("Row", description="RowIDs are this prefix and the row number (Row0, Row1, ...).")
    columnHeader: str = Field("Column", description="Name of the output column.")
    readColumnHeader: bool = Field(False, description="The first line is the column name.")
    skipEmptyLines: bool = Field(False, description="Leave out empty lines.")
    limitRowCount: int = Field(-1, description="Read at most this many rows (-1: all).")
    regex: str = Field(
        "", description="Keep only lines a Java regular expression matches entirely ('': all)."
    )
    encoding: str | None = Field(None, description="Character set (Java name; None: UTF-8).")

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str | None) -> str | None:
        python_codec(value)
        return value


def _line_reader_from_knime(knime: KnimeSettings) -> None:
    """LineReaderConfig: url, rowPrefix, columnHeader, readColumnHeader, skipEmptyLines,
    limitRowCount, regex, encoding (a key not named here is a finding)."""
    _file(knime, knime.tree.get("url"), "url")
    keys = [
        "rowPrefix",
        "columnHeader",
        "readColumnHeader",
        "skipEmptyLines",
        "limitRowCount",
        "regex",
        "encoding",
    ]
    knime.take_all(keys)
    if not knime.tree.get("encoding"):
        knime.settings.pop("encoding", None)
        knime.paths["encoding"] = "encoding"
    knime.unread()


def _lines(text: str) -> list[str]:
    """BufferedReader.readLine: lines end at \\n, \\r\\n or \\r; no empty last line after a final break."""
    return re.split(r"\r\n|\r|\n", text.removesuffix("\n").removesuffix("\r")) if text else []


class LineReader(Node):
    type_name = "line_reader"
    display_name = "Line Reader"
    category = Category.SOURCE
    description = (
        "Reads a text file line by line into one String column ('Column', or the first line), RowIDs Row0, "
        "Row1, ...; empty lines can be left out, lines filtered by a regex and the row count limited."
    )
    keywords = ("line", "text", "read", "file", "lines")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.linereader.LineReaderNodeFactory",
            "Line Reader",
            _line_reader_from_knime,
        ),
    )
    outputs = (Port(TABLE, "Lines", "One row per line."),)
    Settings = LineReaderSettings
    path_settings = ("file",)

    def _regex(self, s: LineReaderSettings, cls: type[NodeError]) -> re.Pattern[str] | None:
        try:
            return java_regex(s.regex) if s.regex else None
        except JavaError as exc:
            raise cls(f"invalid regular expression {s.regex!r}: {exc}", setting="regex") from None

    def configure(self, in_specs: list[Any], settings: LineReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no file selected", setting="file")
        self._regex(settings, ConfigureError)
        if settings.readColumnHeader:
            return [UNKNOWN]
        return [TableSpec.of([(settings.columnHeader, ColumnType.STRING)])]

    def execute(self, inputs: list[Any], settings: LineReaderSettings, ctx: NodeContext) -> list[Any]:
        _, raw = _read(settings.file)
        lines = _lines(raw.decode(python_codec(settings.encoding), errors="replace"))
        name = settings.columnHeader
        if settings.readColumnHeader and lines:
            name, lines = lines[0], lines[1:]
        regex = self._regex(settings, NodeError)
        kept = [
            line
            for line in lines
            if not (settings.skipEmptyLines and not line) and (regex is None or regex.fullmatch(line))
        ]
        if settings.limitRowCount >= 0:
            kept = kept[: settings.limitRowCount]
        table = _one_column(name or settings.columnHeader, kept, ColumnType.STRING)
        table.df.index = row_ids(len(kept), prefix=settings.rowPrefix)
        return [table]
