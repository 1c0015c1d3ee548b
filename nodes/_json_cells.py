"""JSON and XML cells for the REST, JSON and XML nodes.

A JSON cell holds compact JSON text, as KNIME's JSON cell (JSR-353) prints it: numbers keep the
digits they were read with, so they are parsed as `Decimal`. An XML cell holds the document's text
behind KNIME's XML declaration. KNIME's JSON Path node runs Jayway JsonPath on json-smart values
(Integer/Long, Double, String, Map, List): `JaywayPath` follows its rules for missing leaves and
definite paths, `smart_text` prints values as json-smart does, and `Json2Xml` is KNIME's JSON to
XML translation.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import jsonpath
from lxml import etree

from nodes._java_text import java_double_to_string

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


class JsonCellError(ValueError):
    """A value that cannot be read or written as KNIME reads or writes it."""


# ---------------------------------------------------------------------------------------- JSON cells


def parse_json(text: str) -> Any:
    """A JSON cell's value; numbers with a fraction or exponent as Decimal (JSR-353's BigDecimal)."""
    try:
        return json.loads(text, parse_float=Decimal)
    except (ValueError, TypeError) as exc:
        raise JsonCellError(f"not JSON: {exc}") from None


def json_text(value: Any) -> str:
    """Compact JSON, as KNIME's JSON cell prints it (no spaces, '/' and non-ASCII as they are)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return str(java_decimal(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json_text(str(k))}:{json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(json_text(v) for v in value) + "]"
    raise JsonCellError(f"not a JSON value: {value!r}")


def java_decimal(value: float | Decimal) -> Decimal:
    """A json-smart Double turned into a JSON number by KNIME: BigDecimal.valueOf(double)."""
    return Decimal(java_double_to_string(float(value)))


def as_smart_value(value: Any) -> Any:
    """The value as json-smart holds it (every fraction a Double), for a JSON cell of a result."""
    if isinstance(value, Decimal | float):
        return java_decimal(value)
    if isinstance(value, dict):
        return {k: as_smart_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_smart_value(v) for v in value]
    return value


_SMART_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
_SMART_ESCAPES["\t"] = "\\t"


def _smart_char(ch: str) -> str:
    if ch in _SMART_ESCAPES:
        return _SMART_ESCAPES[ch]
    code = ord(ch)
    if code < 0x20 or 0x7F <= code <= 0x9F or 0x2000 <= code <= 0x20FF:
        return f"\\u{code:04X}"
    return ch


def _smart_quoted(text: str) -> str:
    return '"' + "".join(_smart_char(c) for c in text) + '"'


def _smart_json(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{_smart_quoted(str(k))}:{_smart_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_smart_json(v) for v in value) + "]"
    if isinstance(value, str):
        return _smart_quoted(value)
    return "null" if value is None else smart_text(value)


def smart_text(value: Any) -> str:
    """`toString()` of a json-smart value: a string as it is, a number as Java prints it, objects
    and arrays as json-smart's JSON (which writes '/' as '\\/')."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return java_double_to_string(float(value))
    if value is None:
        return "null"
    return _smart_json(value)


# ------------------------------------------------------------------------------------ Jayway paths


class JsonPathError(ValueError):
    """A path Jayway cannot compile, or a definite path without a result (a missing cell)."""


_FUNCTIONS = "min|max|avg|stddev|length|size|sum|keys|concat|append|first|last|index"
_FUNCTION_TAIL = re.compile(rf"\.(?:{_FUNCTIONS})\(.*\)\s*$", re.DOTALL)
_DOT_TAIL = re.compile(r"(\.\.?)([^.\[\]()\s'\"*?@,=<>!]+)\s*$")
_BRACKET_TAIL = re.compile(r"(\.\.)?\[\s*(?:'([^'\\]*)'|\"([^\"\\]*)\")\s*\]\s*$")


def _path_text(path: str) -> str:
    """Jayway reads a path without a root as relative to `$`."""
    path = path.strip()
    return path if path.startswith(("$", "@")) else "$." + path


def _compile(path: str) -> jsonpath.JSONPath:
    try:
        compiled = jsonpath.compile(path)
    except jsonpath.JSONPathError as exc:
        raise JsonPathError(f"Invalid JSONPath {path!r}: {exc}") from None
    if not isinstance(compiled, jsonpath.JSONPath):  # a compound path (`|`, `&`): not Jayway's
        raise JsonPathError(f"Invalid JSONPath {path!r}")
    return compiled


@dataclass(frozen=True)
class _Tail:
    """A path's last step when it is a single property name (Jayway reads a missing one as null)."""

    parent: jsonpath.JSONPath
    name: str
    scan: bool  # `..name`: every object below the parent, with or without the property


def _tail(path: str) -> _Tail | None:
    m = _BRACKET_TAIL.search(path)
    if m is not None:
        name, scan = m.group(2) if m.group(2) is not None else m.group(3), bool(m.group(1))
    else:
        m = _DOT_TAIL.search(path)
        if m is None:
            return None
        name, scan = m.group(2), m.group(1) == ".."
    parent = path[: m.start()] or "$"
    try:
        return _Tail(_compile(parent), name, scan)
    except JsonPathError:
        return None


def _maps_below(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The objects in and below `value`, in Jayway's deep-scan order (each before its content)."""
    if isinstance(value, dict):
        yield path, value
        for key, child in value.items():
            yield from _maps_below(child, f"{path}['{key}']")
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _maps_below(child, f"{path}[{i}]")


@dataclass
class JaywayPath:
    """A JsonPath as KNIME's JSON Path node evaluates it: Jayway with ALWAYS_RETURN_LIST and
    DEFAULT_PATH_LEAF_TO_NULL, so a missing last property is null and a definite path that finds
    nothing (or a path function, which those options forbid) is an error."""

    text: str
    compiled: jsonpath.JSONPath = field(init=False)
    tail: _Tail | None = field(init=False)
    function: bool = field(init=False)

    def __post_init__(self) -> None:
        path = _path_text(self.text)
        self.function = bool(_FUNCTION_TAIL.search(path))
        if self.function:
            _compile(_FUNCTION_TAIL.sub("", path) or "$")
            self.compiled, self.tail = _compile("$"), None
            return
        self.compiled = _compile(path)
        self.tail = _tail(path)

    def evaluate(self, document: Any) -> list[tuple[str, Any]]:
        """(path, value) of every result, in Jayway's order."""
        if self.function:
            raise JsonPathError(
                "Options AS_PATH_LIST and ALWAYS_RETURN_LIST are not allowed when using path functions!"
            )
        if self.tail is not None:
            return self._with_tail(document, self.tail)
        found = [(m.path, m.obj) for m in self.compiled.finditer(document)]
        if not found and self.compiled.singular_query():
            raise JsonPathError(f"No results for path: {self.text}")
        return found

    @staticmethod
    def _with_tail(document: Any, tail: _Tail) -> list[tuple[str, Any]]:
        definite = tail.parent.singular_query() and not tail.scan
        parents = [(m.path, m.obj) for m in tail.parent.finditer(document)]
        if definite and not parents:
            raise JsonPathError(f"Missing property in path {tail.parent}")
        out: list[tuple[str, Any]] = []
        for path, value in parents:
            targets = list(_maps_below(value, path)) if tail.scan else [(path, value)]
            for where, target in targets:
                if isinstance(target, dict):
                    out.append((f"{where}['{tail.name}']", target.get(tail.name)))
                elif definite:
                    raise JsonPathError(
                        f"Expected to find an object with property ['{tail.name}'] in path {where} "
                        f"but found '{type(target).__name__}'."
                    )
        return out


# ------------------------------------------------------------------------------------------ XML cells


def parse_xml(text: str) -> etree._Element:
    """The root element of an XML cell's document."""
    try:
        return etree.fromstring(text.encode("utf-8"), etree.XMLParser(resolve_entities=False))
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise JsonCellError(f"not XML: {exc}") from None


def xml_text(root: etree._Element) -> str:
    """An XML cell's text: KNIME's declaration, then the document."""
    return XML_DECLARATION + etree.tostring(root, encoding="unicode")


def element_document(element: etree._Element) -> str:
    """An element as a document of its own (KNIME's importNode), with only the namespaces it uses."""
    fresh = copy.deepcopy(element)
    fresh.tail = None
    etree.cleanup_namespaces(fresh)
    return xml_text(fresh)


# ------------------------------------------------------------------------------------------ Json2Xml

_XMLNS_ORIGINAL_KEY = "http://www.knime.org/json2xml/originalKey/"
_TYPE_NAMESPACES = {
    "list": "http://www.w3.org/2001/XMLSchema/list",
    "text": "http://www.w3.org/2001/XMLSchema/string",
    "null": "http://www.w3.org/2001/XMLSchema",
    "int": "http://www.w3.org/2001/XMLSchema/integer",
    "real": "http://www.w3.org/2001/XMLSchema/decimal",
    "bool": "http://www.w3.org/2001/XMLSchema/boolean",
}
_INVALID_NAME_CHARS = re.compile(r"[^A-Za-z0-9_\-.]")
_LEADING_NON_LETTER = re.compile(r"^[^a-zA-Z_]+")
_INVALID_XML_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PI_TARGET = re.compile(r"[a-zA-Z][A-Za-z0-9_\-]*")


def _clean_name(key: str) -> str:
    """Json2Xml.removeInvalidChars: only ASCII word characters, '-' and '.', starting with a letter."""
    return _LEADING_NON_LETTER.sub("", _INVALID_NAME_CHARS.sub("", key), count=1)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, Decimal | float):
        return "real"
    return "text"


def _is_value(value: Any) -> bool:
    return not isinstance(value, dict | list)


@dataclass(frozen=True)
class Json2XmlOptions:
    """KNIME's Json2XmlSettings as the JSON to XML node fills them."""

    root: str = "root"
    item: str = "item"
    namespace: str | None = None
    prefixes: dict[str, str] = field(
        default_factory=lambda: {
            "list": "Array",
            "bool": "Boolean",
            "real": "Decimal",
            "int": "Integer",
            "null": "null",
            "text": "String",
        }
    )
    text_key: str | None = "#text"
    comments: bool = False  # `#comment` keys as XML comments (else elements)
    instructions: bool = False  # `?name` keys as processing instructions (else elements)
    keep_types: bool = False
    remove_invalid_chars: bool = True


class Json2Xml:
    """KNIME's Json2Xml (array items as `item` elements, not under the parent's key): values of
    an object become child elements, `@key` values attributes, the text key's value the text."""

    def __init__(self, options: Json2XmlOptions) -> None:
        self.o = options
        self.used: set[str] = set()

    def document(self, value: Any) -> str:
        self.used = set()
        if isinstance(value, list) and not value and self.o.keep_types:
            ns = _TYPE_NAMESPACES["list"]
            return xml_text(etree.Element(f"{{{ns}}}{self.o.root}", nsmap={self.o.prefixes["list"]: ns}))
        if _is_value(value):
            return xml_text(self._root_value(value))
        root = self._root()
        if isinstance(value, dict):
            self._object(root, value)
        else:
            self._array_items(root, value)
        if self.o.keep_types:
            used: dict[str | None, str] = {self.o.prefixes[k]: _TYPE_NAMESPACES[k] for k in sorted(self.used)}
            root = self._renamespaced(root, used)
        return xml_text(root)

    # --- elements

    def _tag(self, name: str, kind: str | None = None) -> str:
        if kind is not None and self.o.keep_types:
            self.used.add(kind)
            return f"{{{_TYPE_NAMESPACES[kind]}}}{name}"
        return f"{{{self.o.namespace}}}{name}" if self.o.namespace else name

    def _root(self) -> etree._Element:
        nsmap: dict[str | None, str] = {None: self.o.namespace} if self.o.namespace else {}
        if self.o.keep_types:
            nsmap.update({self.o.prefixes[k]: ns for k, ns in _TYPE_NAMESPACES.items()})
        return etree.Element(self._tag(self.o.root), nsmap=nsmap or None)

    @staticmethod
    def _renamespaced(root: etree._Element, nsmap: dict[str | None, str]) -> etree._Element:
        """The root declaring only the type prefixes the document uses."""
        if root.nsmap.get(None):
            nsmap = {None: root.nsmap[None], **nsmap}
        fresh = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=nsmap)
        fresh.text = root.text
        fresh.extend(list(root))
        return fresh

    def _root_value(self, value: Any) -> etree._Element:
        if self.o.namespace and self.o.keep_types:
            raise JsonCellError(
                "Type information selected to be kept, but also a default namespace was specified. "
                f"Primitive values does not support this combination. Value: {json_text(value)}"
            )
        kind = _kind(value)
        if self.o.keep_types:
            ns = _TYPE_NAMESPACES[kind]
            element = etree.Element(f"{{{ns}}}{self.o.root}", nsmap={self.o.prefixes[kind]: ns})
        else:
            nsmap = {None: self.o.namespace} if self.o.namespace else None
            element = etree.Element(self._tag(self.o.root), nsmap=nsmap)
        if value is not None:
            element.text = self._value_text(value)
        return element

    def _named(self, parent: etree._Element | None, key: str, kind: str | None = None) -> etree._Element:
        """createElement / createElementWithContent: a cleaned name, the original kept as `ns:originalKey`."""
        clean = _clean_name(key)
        tag = self._tag(clean or "_", kind)
        nsmap = {"ns": _XMLNS_ORIGINAL_KEY} if clean != key else None
        element = (
            etree.Element(tag, nsmap=nsmap) if parent is None else etree.SubElement(parent, tag, nsmap=nsmap)
        )
        if clean != key:
            element.set(f"{{{_XMLNS_ORIGINAL_KEY}}}originalKey", key)
        return element

    def _value_text(self, value: Any, in_array: bool = False) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, Decimal | float):
            text = java_double_to_string(float(value)) if in_array else str(value)
        else:
            text = str(value)
        return _INVALID_XML_CHARS.sub("", text) if self.o.remove_invalid_chars else text

    def _value_element(
        self, parent: etree._Element | None, key: str, value: Any, in_array: bool
    ) -> etree._Element:
        element = self._named(parent, key, _kind(value))
        element.text = self._value_text(value, in_array) or None
        return element

    # --- objects and arrays

    def _object(self, element: etree._Element, obj: dict[str, Any]) -> etree._Element:
        """createObjectWithoutParent / createSubObject (which agree): fills `element`, which may be
        renamed when its text carries a type."""
        for key, value in obj.items():
            if self.o.comments and key == "#comment":
                self._comment(element, value)
            elif self.o.instructions and key.startswith("?"):
                self._instruction(element, key[1:], value)
            elif _is_value(value) and self.o.text_key is not None and key == self.o.text_key:
                element = self._text(element, value)
            elif _is_value(value) and key.startswith("@"):
                self._attribute(element, key, value)
            elif _is_value(value):
                self._value_element(element, key, value, in_array=False)
            elif isinstance(value, dict):
                self._object(self._named(element, key), value)
            else:
                holder = self._named(element, key)
                for item in value:
                    self._item(holder, item)
        return element

    def _item(self, parent: etree._Element, value: Any) -> None:
        """createItem with an item element forced: one array entry under `parent`."""
        if _is_value(value):
            self._value_element(parent, self.o.item, value, in_array=True)
        elif isinstance(value, dict):
            parent.append(self._object(self._named(None, self.o.item), value))
        else:
            holder = self._named(parent, self.o.item)
            self._array_items(holder, value)

    def _array_items(self, holder: etree._Element, values: list[Any]) -> None:
        for value in values:
            self._item(holder, value)

    def _text(self, element: etree._Element, value: Any) -> etree._Element:
        text = "null" if value is None else self._value_text(value)  # Jackson's asText()
        if len(element):
            element[-1].tail = (element[-1].tail or "") + text
        else:
            element.text = (element.text or "") + text
        if not self.o.keep_types:
            return element
        kind = _kind(value)
        self.used.add(kind)
        element.tag = f"{{{_TYPE_NAMESPACES[kind]}}}{etree.QName(element).localname}"
        return element

    def _attribute(self, element: etree._Element, key: str, value: Any) -> None:
        name = _clean_name(key)
        if self.o.keep_types:
            kind = _kind(value)
            self.used.add(kind)
            name = f"{{{_TYPE_NAMESPACES[kind]}}}{name}"
        null_text = "" if self.o.keep_types else "null"  # Jackson's asText() unless typed
        element.set(name, null_text if value is None else self._value_text(value))

    def _comment(self, element: etree._Element, value: Any) -> None:
        text = value if isinstance(value, str) else json_text(value)
        if "--" in text:
            raise JsonCellError("-- cannot be in XML comments.")
        element.append(etree.Comment(text))

    def _instruction(self, element: etree._Element, target: str, value: Any) -> None:
        if not _PI_TARGET.fullmatch(target) or target.lower() == "xml":
            raise JsonCellError(f"Invalid processing instruction target: {target}")
        text = value if isinstance(value, str) else json_text(value)
        body, end, rest = text.partition("?>")
        element.append(etree.ProcessingInstruction(target, body))
        if end:
            last = element[-1]
            last.tail = (last.tail or "") + end + rest


def without_json_comments(text: str, *, hash_comments: bool = False) -> str:
    """The JSON text without its comments, as Jackson's ALLOW_COMMENTS skips them: `/* */` and `//`
    outside strings; with `hash_comments` also `#` to the end of the line (ALLOW_YAML_COMMENTS, which
    KNIME's JSONUtil.parseJSONValue turns on as well)."""
    out: list[str] = []
    i, n, in_string = 0, len(text), False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i) or (hash_comments and ch == "#"):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise JsonCellError("unexpected end of input in a comment")
            out.append(" ")
            i = end + 2
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)
