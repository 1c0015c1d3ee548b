"""YAML reading with line numbers, and canonical, diff-clean YAML writing.

Reading keeps a map from each value's path (("nodes", 3, "settings", "alpha")) to its line, so
every problem found later can point at the line a user has to edit.

A workflow file may come from anyone, so reading is bounded: the document size, the nesting depth,
what aliases may add (a "billion laughs" file is refused before anything expands) and the length
of a number are limited, and every malformed input (bytes that are not UTF-8, control characters,
unhashable keys, tags other than YAML's plain ones) becomes a `YamlSyntaxError` with a line.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

PathKey = tuple[str | int, ...]

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
"""A workflow file larger than this is refused before it is parsed (the tutorials are ~10 KB)."""
MAX_ALIAS_VALUES = 100_000
"""How many values aliases (``*name``) may add to a document in all: an anchor reused a few times is
fine, aliases of aliases that would expand exponentially are refused while reading."""
MAX_NESTING = 100
"""Mappings and sequences nested deeper than this are refused (workflows need fewer than 10)."""
MAX_NUMBER_CHARS = 4300
"""Python's own limit for int(text); longer digit strings are refused, not left to crash later."""

_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
}
# what YAML 1.1 allows in a stream (its `c-printable`), so the message can name the character
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster


class YamlSyntaxError(Exception):
    """A document that cannot be read; `line` is 1-based. `syntax` is False for problems that are not
    about YAML syntax (encoding, size, aliases), whose message says everything itself."""

    def __init__(self, message: str, line: int | None, *, syntax: bool = True) -> None:
        super().__init__(message)
        self.line = line
        self.syntax = syntax


def _char_name(ch: str) -> str:
    names = {"\x00": "NUL", "\t": "tab", "\x7f": "DEL", "\ufeff": "byte order mark"}
    return f"U+{ord(ch):04X}" + (f" ({names[ch]})" if ch in names else "")


def check_text(text: str) -> None:
    """Size and characters of a document, before the YAML parser sees it."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise YamlSyntaxError(
            f"the document has {len(text):,} characters; workflow files are limited to "
            f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB",
            None,
            syntax=False,
        )
    bad = _NOT_PRINTABLE.search(text)
    if bad is not None:
        pos = bad.start()
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        offset = len(text[:pos].encode("utf-8", "surrogatepass"))
        what = "a lone surrogate" if _SURROGATE.match(bad.group()) else "a control character"
        raise YamlSyntaxError(
            f"{what} {_char_name(bad.group())} at line {line}, column {column} (byte offset {offset}): "
            "a workflow file is plain UTF-8 text",
            line,
            syntax=False,
        )


def decode_document(data: bytes) -> str:
    """UTF-8 bytes of a workflow file as text (a UTF-8 byte order mark is dropped); anything else is a
    `YamlSyntaxError` naming what the bytes look like and where decoding failed."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise YamlSyntaxError(
            f"the file has {len(data):,} bytes; workflow files are limited to "
            f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB",
            None,
            syntax=False,
        )
    for bom, name in (
        (b"\x00\x00\xfe\xff", "UTF-32 (big endian)"),
        (b"\xff\xfe\x00\x00", "UTF-32 (little endian)"),
        (b"\xfe\xff", "UTF-16 (big endian)"),
        (b"\xff\xfe", "UTF-16 (little endian)"),
    ):
        if data.startswith(bom):
            raise YamlSyntaxError(
                f"the file is {name} text (byte order mark at byte offset 0); "
                "workflow files are UTF-8: save it as UTF-8",
                1,
                syntax=False,
            )
    if data.startswith(b"\x1f\x8b"):
        raise YamlSyntaxError(
            "the file is gzip-compressed (bytes 1f 8b at byte offset 0), not a YAML text: decompress it first",
            1,
            syntax=False,
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        shift = 3
    else:
        shift = 0
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        guess = "UTF-16 or UTF-32 text" if _looks_wide(data) else "binary data"
        raise YamlSyntaxError(
            f"a NUL byte at byte offset {nul + shift} (line {line}): the file looks like {guess}, "
            "not a UTF-8 workflow file",
            line,
            syntax=False,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        raise YamlSyntaxError(
            f"the file is not UTF-8: byte 0x{byte} at byte offset {exc.start + shift} (line {line}) "
            f"cannot be decoded ({exc.reason}); save the file as UTF-8",
            line,
            syntax=False,
        ) from None


def _looks_wide(data: bytes) -> bool:
    head = data[:400]
    return len(head) >= 4 and head.count(b"\x00") * 3 >= len(head)


def load_with_lines(text: str) -> tuple[Any, dict[PathKey, int]]:
    """Parse YAML and return (data, {path: 1-based line})."""
    check_text(text)
    loader = _Loader(text)
    try:
        return _Composer(loader).document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(" ".join(str(exc.problem or exc).split()), line) from None
    except yaml.YAMLError as exc:  # a reader error check_text did not foresee: still located
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        raise YamlSyntaxError(" ".join(str(exc).split()), line) from None
    finally:
        loader.dispose()


class _Frame:
    """An open mapping or sequence while events are read."""

    __slots__ = ("value", "path", "key", "anchor", "size")

    def __init__(self, value: dict[Any, Any] | list[Any], path: PathKey, anchor: str | None) -> None:
        self.value = value
        self.path = path
        self.key: Any = _NO_KEY
        self.anchor = anchor
        self.size = 1


_NO_KEY = object()


class _Composer:
    """Builds Python values straight from the parser's events, without recursion (any depth is a
    clear error, never a RecursionError) and counting what aliases add before sharing the value."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.lines: dict[PathKey, int] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.alias_values = 0
        self.scalars: dict[tuple[str, str | None, Any], Any] = {}

    def document(self) -> tuple[Any, dict[PathKey, int]]:
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            loader.get_event()
            return None, self.lines
        loader.get_event()  # document start
        data = self._value()
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            raise yaml.MarkedYAMLError(
                problem="a workflow file holds one YAML document, but a second one starts here",
                problem_mark=event.start_mark,
            )
        loader.get_event()
        return data, self.lines

    def _value(self) -> Any:
        """The document's root value; a loop over events with an explicit stack."""
        get_event = self.loader.get_event
        stack: list[_Frame] = []
        while True:
            event = get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                value, size = self._scalar(event), 1
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                self._open(stack, event, kind is yaml.MappingStartEvent)
                continue
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                frame = stack.pop()
                if frame.anchor is not None:
                    self.open_anchors.discard(frame.anchor)
                    self.anchors[frame.anchor] = (frame.value, frame.size)
                value, size = frame.value, frame.size
            elif kind is yaml.AliasEvent:
                value, size = self._alias(event)
            else:  # pragma: no cover - the parser only sends the events above inside a document
                raise yaml.MarkedYAMLError(problem=f"unexpected {event}", problem_mark=event.start_mark)
            if not stack:
                if kind is yaml.ScalarEvent or kind is yaml.AliasEvent:
                    self.lines[()] = event.start_mark.line + 1
                return value
            self._add(stack[-1], value, size, event)

    def _open(self, stack: list[_Frame], event: Any, mapping: bool) -> None:
        parent = stack[-1] if stack else None
        if parent is not None and parent.key is _NO_KEY and isinstance(parent.value, dict):
            raise yaml.MarkedYAMLError(
                problem=f"a mapping key must be a plain value, not a {'mapping' if mapping else 'sequence'}",
                problem_mark=event.start_mark,
            )
        self._check_tag(event.tag, "map" if mapping else "seq", event.start_mark)
        if len(stack) >= MAX_NESTING:
            raise yaml.MarkedYAMLError(
                problem=f"mappings and sequences are nested more than {MAX_NESTING} deep",
                problem_mark=event.start_mark,
            )
        path = self._child_path(parent)
        self.lines[path] = event.start_mark.line + 1
        anchor = event.anchor
        if anchor is not None:
            self.open_anchors.add(anchor)
        stack.append(_Frame({} if mapping else [], path, anchor))

    def _child_path(self, parent: _Frame | None) -> PathKey:
        if parent is None:
            return ()
        if isinstance(parent.value, dict):
            return (*parent.path, parent.key)
        return (*parent.path, len(parent.value))

    def _add(self, frame: _Frame, value: Any, size: int, event: Any) -> None:
        frame.size += size
        container = frame.value
        if isinstance(container, list):
            if not isinstance(event, yaml.CollectionEndEvent):
                self.lines[(*frame.path, len(container))] = event.start_mark.line + 1
            container.append(value)
            return
        if frame.key is _NO_KEY:
            try:
                hash(value)
            except TypeError:
                raise yaml.MarkedYAMLError(
                    problem="a mapping key must be a plain value, not a mapping or sequence",
                    problem_mark=event.start_mark,
                ) from None
            if value in container:
                raise yaml.MarkedYAMLError(
                    problem=f"duplicate key {_short(value) if isinstance(value, str) else value!r}",
                    problem_mark=event.start_mark,
                )
            frame.key = value
            return
        path = (*frame.path, frame.key)
        if not isinstance(event, yaml.CollectionEndEvent):
            self.lines[path] = event.start_mark.line + 1
        container[frame.key] = value
        frame.key = _NO_KEY

    def _alias(self, event: Any) -> tuple[Any, int]:
        name = event.anchor
        if name in self.open_anchors:
            raise yaml.MarkedYAMLError(
                problem=f"alias *{name} refers to a value that contains it (a recursive structure)",
                problem_mark=event.start_mark,
            )
        if name not in self.anchors:
            raise yaml.MarkedYAMLError(
                problem=f"alias *{name} has no anchor &{name} before it", problem_mark=event.start_mark
            )
        value, size = self.anchors[name]
        self.alias_values += size
        if self.alias_values > MAX_ALIAS_VALUES:
            raise yaml.MarkedYAMLError(
                problem=f"aliases would expand to more than {MAX_ALIAS_VALUES:,} values (an alias bomb?); "
                "write the values out instead",
                problem_mark=event.start_mark,
            )
        return value, size

    def _check_tag(self, tag: str | None, kind: str, mark: Any) -> None:
        if tag is None or tag == "!" or tag == f"tag:yaml.org,2002:{kind}":
            return
        raise yaml.MarkedYAMLError(
            problem=f"the YAML tag {_short_tag(tag)} is not supported in a workflow file", problem_mark=mark
        )

    def _scalar(self, event: Any) -> Any:
        # the same text gives the same (immutable) value: most of a document's scalars repeat
        cache_key = (event.value, event.tag, event.implicit)
        try:
            return self.scalars[cache_key]
        except KeyError:
            value = self.scalars[cache_key] = self._construct_scalar(event)
            return value

    def _construct_scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag not in _PLAIN_TAGS or tag.endswith((":seq", ":map")):
            if tag == "tag:yaml.org,2002:merge":
                problem = "merge keys (<<) are not supported in a workflow file"
            else:
                problem = f"the YAML tag {_short_tag(tag)} is not supported in a workflow file"
            raise yaml.MarkedYAMLError(problem=problem, problem_mark=event.start_mark)
        value = event.value
        if _SURROGATE.search(value):
            raise yaml.MarkedYAMLError(
                problem="an escape gives a lone surrogate (\\ud800-\\udfff), which is not a character",
                problem_mark=event.start_mark,
            )
        if tag.endswith((":int", ":float")) and len(value) > MAX_NUMBER_CHARS:
            raise yaml.MarkedYAMLError(
                problem=f"a number of {len(value):,} characters (at most {MAX_NUMBER_CHARS} are read)",
                problem_mark=event.start_mark,
            )
        if tag == "tag:yaml.org,2002:str":
            return value
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # PyYAML's constructors: a date 2024-13-45, an empty !!int...
            raise yaml.MarkedYAMLError(
                problem=f"cannot read {_short(value)} as {_short_tag(tag)}: {exc}",
                problem_mark=event.start_mark,
            ) from None


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _short(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")


def line_of(lines: dict[PathKey, int], path: PathKey) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


class _CanonicalDumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        # block literals keep scripts and long annotations readable and diff-friendly
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_CanonicalDumper.add_representer(str, _str_representer)


class FlowList(list):
    """A list written on one line ([x, y]), for short tuples such as positions."""


def _flow_list_representer(dumper: yaml.SafeDumper, value: FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_CanonicalDumper.add_representer(FlowList, _flow_list_representer)


def dump_canonical(data: Any) -> str:
    return yaml.dump(
        data,
        Dumper=_CanonicalDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
        indent=2,
    )


def _read_umask() -> int:
    umask = os.umask(0)  # the only portable way to read it; done once, at import, before any thread
    os.umask(umask)
    return umask


_UMASK = _read_umask()


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file owner-only; keep the replaced file's mode, else what the umask allows
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o666 & ~_UMASK
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
