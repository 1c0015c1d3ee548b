"""Malformed inputs built from the tutorial workflows and data files (for tests/test_robustness*.py).

Everything is generated from a seed, so a failing case has a stable name; nothing here is committed
data. `workflow_mutants` yields (name, bytes) for broken or odd workflow files, `data_mutants`
(name, bytes) for broken CSV files; `run_cli` runs `knitflow` in this process with a time limit.
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import io
import json
import random
import re
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / "workflows").glob("*.yaml"))
SEED = 1414


# ------------------------------------------------------------------------------ running knitflow


@dataclass
class CliResult:
    code: int | str
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + self.err


class CaseTimeout(Exception):
    pass


def run_cli(argv: list[str], timeout: float = 20.0) -> CliResult:
    """`knitflow ARGV` in this process; an exception that escapes main() is returned as its name in
    `code` (with the traceback in `err`), a case that takes longer than `timeout` as "timeout"."""
    import time
    import traceback

    from engine.cli.main import main

    out, err = io.StringIO(), io.StringIO()

    def on_alarm(signum: int, frame: Any) -> None:
        raise CaseTimeout

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code: int | str = main(argv)
    except CaseTimeout:
        code = "timeout"
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException as exc:  # noqa: BLE001 - what the test reports
        code = type(exc).__name__
        err.write("".join(traceback.format_exception(exc)))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return CliResult(code, out.getvalue(), err.getvalue(), time.perf_counter() - t0)


def traceback_in(text: str) -> bool:
    """A Python traceback, or the internal-error guard of the CLI's loader (a bug all the same)."""
    return "Traceback (most recent call last)" in text or "internal error" in text


# ------------------------------------------------------------------------------ workflow mutants

_ODD_VALUES: list[Any] = [
    None,
    "",
    0,
    -1,
    2**70,
    10**300,
    1e308,
    float("inf"),
    float("nan"),
    True,
    [],
    {},
    [1, [2, [3]]],
    {"a": {"b": {"c": None}}},
    "x" * 20_000,
    list(range(2_000)),
    {f"k{i}": i for i in range(1_000)},
    "${",
    "${nope}",
    "${data_dir",
    "../../../../etc/passwd",
    "\u00e9\u4e2d\U0001f600",
    "a\nb",
    " ",
]

# text that replaces a value in the YAML source, so that YAML-only forms (tags, aliases, escapes) occur
_ODD_SOURCE = [
    "!!binary aGVsbG8=",
    "!!python/object/apply:os.system ['true']",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!foo bar",
    '"\\ud800"',
    '"\\udfff x"',
    '"\\0"',
    '"\\x07"',
    "2020-13-45",
    "2020-01-01",
    "1:2:3:4:5",
    "0x" + "f" * 50,
    "0o777",
    "9" * 5_000,
    "1" + "0" * 4_400 + ".5",
    "1e999",
    "-.inf",
    ".nan",
    "yes",
    "~",
    "*undefined",
    "&a [*a]",
    "? [a, b]",
    "[" * 200 + "]" * 200,
    "{" * 150 + "}" * 150,
    "|\n  block",
    ">-",
    "'unterminated",
    '"unterminated',
    "[1, 2",
    "{a: 1",
    "@reserved",
    "`reserved",
    "%TAG",
    "- - - -",
]

_TOKENS = [
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a ",
    "! ",
    "|",
    ">",
    "'",
    '"',
    "? ",
    "#",
    "%",
    "@",
    "\\",
    ",",
    "\t",
]
_CHARS = [
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x7f",
    "\x85",
    "\ufeff",
    "\u2028",
    "\ufffe",
]

_BOMB = "".join(
    [
        "lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
        *(f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)),
    ]
)


def _indent(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line for line in text.splitlines(True))


def _text_mutants(name: str, text: str, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    data = text.encode("utf-8")
    lines = text.splitlines(True)
    yield f"{name}/nul", _insert(data, rng, b"\x00")
    for ch in _CHARS:
        yield f"{name}/char-{ord(ch):04x}", _insert(text, rng, ch).encode("utf-8")
    yield (
        f"{name}/latin1",
        text.replace("Reader", "R\u00e9ader")
        .replace("name: ", "name: \u00e9", 3)
        .encode("latin-1", "replace"),
    )
    yield f"{name}/cp1252", (text + "# \u20ac \u201cquoted\u201d\n").encode("cp1252")
    for codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"):
        yield f"{name}/{codec}", text.encode(codec)
    yield f"{name}/utf-16-bom-le", b"\xff\xfe" + text.encode("utf-16-le")
    yield f"{name}/utf8-bom", b"\xef\xbb\xbf" + data  # valid: read as KNIME's readers do
    yield f"{name}/utf8-bom-twice", b"\xef\xbb\xbf\xef\xbb\xbf" + data
    yield f"{name}/crlf", text.replace("\n", "\r\n").encode()  # valid
    yield f"{name}/cr", text.replace("\n", "\r").encode()
    yield f"{name}/gzip", gzip.compress(data)
    yield f"{name}/gzip-truncated", gzip.compress(data)[:50]
    yield f"{name}/zip", b"PK\x03\x04" + data[:100]
    yield f"{name}/random", rng.randbytes(2_000)
    yield f"{name}/random-high", bytes(rng.randrange(128, 256) for _ in range(500))
    yield f"{name}/overlong-utf8", data[:200] + b"\xc0\xaf" + data[200:]
    yield f"{name}/cut-utf8", "\u4e2d".encode()[:2] + data
    yield f"{name}/empty", b""
    yield f"{name}/whitespace", b"   \n\n\t\n"
    yield f"{name}/comment-only", b"# nothing\n"
    yield f"{name}/json", b'{"format": "knitflow/1", "name": "x", "nodes": [{"id": 1}]}'
    for k in range(3):
        yield f"{name}/truncate-{k}", data[: rng.randrange(len(data))]
    for k in range(3):
        i = rng.randrange(len(lines))
        yield f"{name}/drop-line-{k}", "".join(lines[:i] + lines[i + 1 :]).encode()
    i = rng.randrange(len(lines))
    yield f"{name}/dup-line", "".join(lines[: i + 1] + lines[i:]).encode()
    i = rng.randrange(len(lines) - 1)
    yield f"{name}/swap-lines", "".join(lines[:i] + [lines[i + 1], lines[i]] + lines[i + 2 :]).encode()
    for k, shift in enumerate((1, -1, 2)):
        i = rng.randrange(len(lines))
        line = lines[i]
        line = " " * shift + line if shift > 0 else line[-shift:]
        yield f"{name}/indent-{k}", "".join(lines[:i] + [line] + lines[i + 1 :]).encode()
    i = rng.randrange(len(lines))
    yield f"{name}/tab-indent", "".join(lines[:i] + ["\t" + lines[i].lstrip(" ")] + lines[i + 1 :]).encode()
    for k in range(4):
        yield f"{name}/token-{k}", _insert(text, rng, rng.choice(_TOKENS)).encode()
    yield f"{name}/unhashable-top", ("? [a, b]\n: x\n" + text).encode()
    yield f"{name}/unhashable-flow", text.replace("nodes:\n", "nodes:\n- {[a]: 1}\n", 1).encode()
    yield (
        f"{name}/unhashable-settings",
        re.sub(r"(\n  settings:\n)", r"\1    ? [a, b]\n    : x\n", text, count=1).encode(),
    )
    yield (
        f"{name}/map-key-in-settings",
        re.sub(r"(\n  settings:\n)", r"\1    ? {a: 1}\n    : x\n", text, count=1).encode(),
    )
    yield f"{name}/bomb-top", (text + _BOMB).encode()
    yield (
        f"{name}/bomb-settings",
        re.sub(r"(\n  settings:\n)", "\\1" + _indent(_BOMB, 4).replace("\\", "\\\\"), text, count=1).encode(),
    )
    yield (
        f"{name}/bomb-variables",
        text.replace("variables:\n", "variables:\n" + _indent(_BOMB, 2), 1).encode(),
    )
    yield f"{name}/recursive-alias", (text + "x: &r [1, *r]\n").encode()
    yield f"{name}/second-document", (text + "---\nformat: knitflow/1\n").encode()
    yield f"{name}/duplicate-top-key", (text + "name: again\n").encode()
    # a YAML-only odd form in place of a scalar value
    scalars = [m for m in re.finditer(r"(?m)^(\s*(?:- )?[A-Za-z_][\w ]*: )(\S[^\n]*)$", text)]
    for k in range(6):
        m = rng.choice(scalars)
        odd = rng.choice(_ODD_SOURCE)
        yield f"{name}/odd-source-{k}", (text[: m.start(2)] + odd + text[m.end(2) :]).encode()


def _insert(data: Any, rng: random.Random, piece: Any) -> Any:
    i = rng.randrange(len(data) + 1)
    return data[:i] + piece + data[i:]


def _structure_mutants(
    name: str, doc: dict[str, Any], rng: random.Random
) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(name, builder of the mutated file) pairs; every mutation works on a fresh copy."""

    def fresh() -> dict[str, Any]:
        return copy.deepcopy(doc)

    def node_of(d: dict[str, Any]) -> dict[str, Any]:
        return rng.choice(d["nodes"])

    def mutate(label: str, fn: Callable[[dict[str, Any]], None]) -> tuple[str, Callable[[], bytes]]:
        def build() -> bytes:
            d = fresh()
            fn(d)
            return _dump(d)

        return f"{name}/{label}", build

    Edit = Callable[[dict[str, Any]], None]

    def on_node(key: str, value: Any) -> Edit:
        return lambda d: node_of(d).__setitem__(key, value)

    def on_doc(key: str, value: Any) -> Edit:
        return lambda d: d.__setitem__(key, value)

    def replace_node(value: Any) -> Edit:
        return lambda d: d["nodes"].__setitem__(rng.randrange(len(d["nodes"])), value)

    def add_connection(value: Any) -> Edit:
        return lambda d: d.setdefault("connections", []).append(value)

    def set_setting(i: int, value: Any) -> Edit:
        def edit(d: dict[str, Any]) -> None:
            settings = d["nodes"][i]["settings"]
            settings[rng.choice(sorted(settings))] = value

        return edit

    def drop_setting(i: int) -> Edit:
        def edit(d: dict[str, Any]) -> None:
            settings = d["nodes"][i]["settings"]
            del settings[rng.choice(sorted(settings))]

        return edit

    odd: dict[str, list[Any]] = {
        "node-not-mapping": [5, "node", [1, 2], None, [], {}],
        "id": ["x", 1.5, 2**80, -1, True, None, [1], {"a": 1}, 10**4000, float("nan"), "1"],
        "type": ["nope", 1, None, [], "csv_reader", "loop_end", "x" * 10_000],
        "settings": [[], "x", 1, None, [1, 2], {"": 1}, {1: 2}],
        "connection": [
            "1:1->",
            "a:b -> c:d",
            "99999999999999999999:1 -> 1:1",
            "1:99999999999 -> 2:1",
            "1:1 -> 1:1",
            "-1:1 -> 2:1",
            " ",
            5,
            {"source": 1},
            {"source": "x", "source_port": [], "dest": None, "dest_port": 1.5},
            [1, 2],
            None,
        ],
        "variables": [
            [],
            "x",
            None,
            {"a": [1]},
            {"a": {"b": 1}},
            {"data_dir": None},
            {"data_dir": 5},
            {"": 1},
            {f"v{i}": i for i in range(2_000)},
        ],
        "use_variables": [
            {"alpha": "nope"},
            {"nope": "data_dir"},
            {"a.b.c": "x"},
            "x",
            [],
            {"alpha": 5},
            {"alpha": None},
            {"settings.x": "data_dir"},
        ],
        "expose_variables": [{"x": "y"}, "x", {"file": ""}, {"file": 5}],
        "position": [[1], ["a", "b"], [1e308, 1], [2**70, 0], "1,2", None, [1, 2, 3]],
        "annotations": [
            ["x"],
            [{"text": 1}],
            [{"text": "a", "bounds": [1, 2]}],
            "x",
            [{"text": "a", "bounds": [1, 2, 3, 4], "z": 1}],
        ],
        "format": ["knitflow/2", 1, None, ""],
    }
    for k, value in enumerate(odd["node-not-mapping"]):
        yield mutate(f"node-not-mapping-{k}", replace_node(value))
    for key in ("id", "type", "settings", "use_variables", "expose_variables", "position"):
        for k, value in enumerate(odd[key]):
            yield mutate(f"{key.replace('_', '-')}-{k}", on_node(key, value))
    for key in ("variables", "annotations", "format"):
        for k, value in enumerate(odd[key]):
            yield mutate(f"{key}-{k}", on_doc(key, value))
    for k, value in enumerate(odd["connection"]):
        yield mutate(f"connection-{k}", add_connection(value))
    with_settings = [n for n in doc["nodes"] if isinstance(n.get("settings"), dict) and n["settings"]]
    for k in range(24):
        yield mutate(
            f"setting-value-{k}",
            set_setting(doc["nodes"].index(rng.choice(with_settings)), rng.choice(_ODD_VALUES)),
        )
    for k in range(3):
        yield mutate(f"setting-dropped-{k}", drop_setting(doc["nodes"].index(rng.choice(with_settings))))
    yield mutate(
        "setting-unknown", lambda d: node_of(d).setdefault("settings", {}).__setitem__("no_such_setting", 1)
    )
    yield mutate("connections-not-list", on_doc("connections", "1:1 -> 2:1"))
    yield mutate(
        "connections-reversed",
        lambda d: d.__setitem__("connections", [_reverse(c) for c in d.get("connections", [])]),
    )
    yield mutate("connections-doubled", lambda d: d.__setitem__("connections", d.get("connections", []) * 2))
    yield mutate("connections-many", on_doc("connections", ["1:1 -> 2:1"] * 3_000))
    for key in ("name", "format", "nodes", "connections", "variables"):
        yield mutate(f"drop-{key}", lambda d, key=key: d.pop(key, None))  # type: ignore[misc]
    yield mutate("extra-top-key", on_doc("extra", 1))
    yield mutate("name-list", on_doc("name", list(range(3_000))))
    yield mutate("description-map", on_doc("description", {f"k{i}": i for i in range(2_000)}))
    yield mutate("nodes-map", on_doc("nodes", {"a": 1}))
    yield mutate("nodes-many-ints", on_doc("nodes", list(range(5_000))))
    yield mutate("nodes-empty", on_doc("nodes", []))
    yield mutate("duplicate-node", lambda d: d["nodes"].append(dict(d["nodes"][0])))
    yield mutate("node-extra-key", on_node("colour", "red"))
    yield mutate("node-name-markup", on_node("name", "[/]"))
    yield mutate("name-markup", on_doc("name", "[bold]x[/"))
    yield mutate("nodes-reversed", lambda d: d["nodes"].reverse())


def _reverse(conn: Any) -> Any:
    m = re.match(r"\s*(\d+):(\d+)\s*->\s*(\d+):(\d+)", str(conn))
    return f"{m[3]}:{m[2]} -> {m[1]}:{m[4]}" if m else conn


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _dump(d: Any) -> bytes:
    """YAML in its JSON flow form, a top-level key or list item per line (json's C encoder is ten
    times faster than writing block YAML; the text mutants cover block YAML), with YAML's spelling of
    the non-finite floats."""

    def flow(value: Any) -> str:
        text = json.dumps(value, ensure_ascii=False)
        text = re.sub(r"(?<![\w.\"])(-?)Infinity(?![\w\"])", r"\1.inf", text)
        return re.sub(r"(?<![\w.\"])NaN(?![\w\"])", ".nan", text)

    if not isinstance(d, dict):
        return flow(d).encode("utf-8")
    parts = []
    for key, value in d.items():
        if isinstance(value, list) and value:
            inner = ",\n  ".join(flow(item) for item in value)
            parts.append(f"{flow(key)}: [\n  {inner}\n ]")
        else:
            parts.append(f"{flow(key)}: {flow(value)}")
    return ("{\n " + ",\n ".join(parts) + "\n}\n").encode("utf-8")


TEXT_MUTANTS_PER_WORKFLOW = 28
STRUCTURE_MUTANTS_PER_WORKFLOW = 32


def workflow_mutants(data_dir: Path | None = None) -> Iterator[tuple[str, bytes]]:
    """Mutants of the seven tutorial workflows (a seeded sample of every kind of mutation below, 60
    per workflow); `data_dir` replaces the workflows' data folder."""
    rng = random.Random(SEED)
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        if data_dir is not None:
            text = text.replace("data_dir: ../data", f"data_dir: {data_dir}", 1)
        name = path.stem
        texts = list(_text_mutants(name, text, rng))
        yield from rng.sample(texts, min(TEXT_MUTANTS_PER_WORKFLOW, len(texts)))
        structures = list(_structure_mutants(name, yaml.load(text, Loader=_Loader), rng))
        for label, build in rng.sample(structures, min(STRUCTURE_MUTANTS_PER_WORKFLOW, len(structures))):
            yield label, build()


# ------------------------------------------------------------------------------ data mutants


def data_mutants(csv_text: str) -> Iterator[tuple[str, bytes]]:
    """Broken and odd versions of a CSV file (the tutorial's ZB_WZ_dE_rawdescriptor.csv)."""
    rng = random.Random(SEED)
    data = csv_text.encode("ascii")
    lines = csv_text.splitlines(True)
    header, body = lines[0], lines[1:]
    yield "empty", b""
    yield "newlines-only", b"\n\n\n"
    yield "header-only", header.encode()
    yield "header-no-newline", header.rstrip("\n").encode()
    yield "one-row", (header + body[0]).encode()
    yield "ragged-short", (header + body[0] + "1,2,3\n" + "".join(body[1:])).encode()
    yield "ragged-long", (header + body[0].rstrip("\n") + ",1,2,3\n" + "".join(body[1:])).encode()
    yield (
        "ragged-every-row",
        "".join(line.rstrip("\n") + ",x" * (i % 3) + "\n" for i, line in enumerate(lines)).encode(),
    )
    yield "nul-bytes", data[:300] + b"\x00\x00" + data[300:]
    yield "nul-in-header", b"Z\x00A" + data[2:]
    yield "control-chars", data.replace(b",", b"\x07,", 5)
    yield "utf8-bom", b"\xef\xbb\xbf" + data
    yield "utf8-bom-crlf", b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
    yield "utf16", csv_text.encode("utf-16")
    yield "utf16-le", csv_text.encode("utf-16-le")
    yield "utf32", csv_text.encode("utf-32")
    yield "latin1-names", csv_text.replace("Li,", "L\u00ef,").encode("latin-1")
    yield "invalid-utf8", data[:500] + b"\xff\xfe\xc3" + data[500:]
    yield "binary", rng.randbytes(5_000)
    yield "gzip", gzip.compress(data)
    yield "gzip-truncated", gzip.compress(data)[:100]
    yield "gzip-garbage", b"\x1f\x8b" + rng.randbytes(200)
    yield "zip-header", b"PK\x03\x04" + rng.randbytes(200)
    yield "huge-field", (header + "1," + "9" * 1_000_000 + "," + ",".join(body[0].split(",")[2:])).encode()
    yield "huge-string-field", (header + body[0].replace("Li", "L" * 1_000_000, 1)).encode()
    yield "long-line-no-newline", b"x" * 3_000_000
    yield "unterminated-quote", (header + '"unterminated,' + "".join(body)).encode()
    yield (
        "quotes-everywhere",
        "".join('"' + line.rstrip("\n").replace(",", '","') + '"\n' for line in lines).encode(),
    )
    yield "quote-in-value", (header + body[0].replace("Li", 'L"i', 1) + "".join(body[1:])).encode()
    yield "letters-in-numbers", (header + body[0].replace("-5.329", "abc", 1) + "".join(body[1:])).encode()
    yield (
        "huge-numbers",
        (
            header
            + body[0].replace("-5.329", "1e999", 1).replace("03,", "99999999999999999999999,", 1)
            + "".join(body[1:])
        ).encode(),
    )
    yield (
        "nan-inf",
        (
            header + body[0].replace("-5.329", "NaN", 1).replace("-0.698", "-Infinity", 1) + "".join(body[1:])
        ).encode(),
    )
    yield (
        "missing-values",
        "".join(re.sub(r",(?=,)|,$", ",", line.replace("-5.329", "")) for line in lines).encode(),
    )
    yield "duplicate-header", (header.replace("ZB", "ZA", 1) + "".join(body)).encode()
    yield "empty-header", ("," * header.count(",") + "\n" + "".join(body)).encode()
    yield "different-header", ("a,b,c\n" + "".join(body)).encode()
    yield (
        "many-columns",
        (
            ",".join(f"c{i}" for i in range(5_000)) + "\n" + ",".join("1" for _ in range(5_000)) + "\n"
        ).encode(),
    )
    yield "cr-only", data.replace(b"\n", b"\r")
    yield "mixed-line-ends", data.replace(b"\n", b"\r\n", 20)
    yield "semicolons", data.replace(b",", b";")
    yield "tabs", data.replace(b",", b"\t")
    yield "comment-lines", ("#" + "\n#".join(lines)).encode()
    yield "truncated", data[: len(data) // 2 + 7]
    yield "surrogate-escapes", data[:100] + b"\xed\xa0\x80" + data[100:]
