"""Bad input never crashes, hangs or exhausts memory (#14): malformed workflow files are problems
with file and line (exit 2), reading is bounded (size, aliases, nesting), readers strip byte order
marks, `--out`/`-o` never lose results, and written files get the user's mode."""

from __future__ import annotations

import gzip
import os
import re
import stat
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from robustness_corpus import ROOT, run_cli, traceback_in

from engine import run_node
from engine.api import NodeError
from engine.core.document import WorkflowLoadError, parse_document
from engine.core.workflow import Workflow
from engine.core.yamlio import MAX_ALIAS_VALUES, MAX_DOCUMENT_BYTES, YamlSyntaxError, load_with_lines

TUTORIAL = (ROOT / "workflows" / "10_01_ZB_WZ.yaml").read_text(encoding="utf-8")
DATA = ROOT / "data"

_BOMB = "".join(
    [
        "lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
        *(f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)),
    ]
)


def _indented(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line for line in text.splitlines(True))


def _in_settings(extra: str) -> str:
    """The tutorial with `extra` (YAML lines) added to the first node's settings."""
    return TUTORIAL.replace("  settings:\n", "  settings:\n" + _indented(extra, 4), 1)


# what the fuzzer found (56 tracebacks, 4 hangs), one of each kind, and a few more
MALFORMED: dict[str, bytes] = {
    "nul-byte": TUTORIAL[:100].encode() + b"\x00" + TUTORIAL[100:].encode(),
    "control-character": (TUTORIAL[:100] + "\x07" + TUTORIAL[100:]).encode(),
    "escape-character": (TUTORIAL[:300] + "\x1b[31m" + TUTORIAL[300:]).encode(),
    "latin-1": TUTORIAL.replace("CSV Reader", "CSV R\u00e9ader").encode("latin-1"),
    "utf-16-bom": TUTORIAL.encode("utf-16"),
    "utf-16-le": TUTORIAL.encode("utf-16-le"),
    "utf-16-be": TUTORIAL.encode("utf-16-be"),
    "utf-32-bom": TUTORIAL.encode("utf-32"),
    "utf-32-le": TUTORIAL.encode("utf-32-le"),
    "gzip": gzip.compress(TUTORIAL.encode()),
    "binary": bytes(range(256)) * 8,
    "high-bytes": bytes(range(128, 256)) * 8,
    "cut-utf8": TUTORIAL.encode()[:200] + "\u4e2d".encode()[:2] + TUTORIAL.encode()[200:],
    "lone-surrogate-escape": TUTORIAL.replace("name: CSV Reader", 'name: "\\ud800"').encode(),
    "unhashable-key": ("? [a, b]\n: x\n" + TUTORIAL).encode(),
    "unhashable-flow-key": TUTORIAL.replace("nodes:\n", "nodes:\n- {[a, b]: x}\n", 1).encode(),
    "unhashable-key-in-settings": _in_settings("? [a, b]\n: x\n").encode(),
    "mapping-key": _in_settings("? {a: 1}\n: x\n").encode(),
    "long-sequence-as-name": TUTORIAL.replace("name: 10_01_ZB_WZ", "name: [" + "1, " * 50_000 + "]").encode(),
    "long-map-as-description": (
        TUTORIAL + "description: {" + ", ".join(f"k{i}: {i}" for i in range(20_000)) + "}\n"
    ).encode(),
    "many-nodes-that-are-numbers": TUTORIAL.replace(
        "nodes:\n", "nodes: [" + "1, " * 100_000 + "]\nx:\n", 1
    ).encode(),
    "node-not-a-mapping": TUTORIAL.replace("nodes:\n", "nodes:\n- 5\n", 1).encode(),
    "id-not-an-int": TUTORIAL.replace("- id: 1\n", "- id: one\n", 1).encode(),
    "id-of-5000-digits": TUTORIAL.replace("- id: 1\n", "- id: " + "9" * 5000 + "\n", 1).encode(),
    "id-a-list": TUTORIAL.replace("- id: 1\n", "- id: [1]\n", 1).encode(),
    "impossible-date": TUTORIAL.replace("name: 10_01_ZB_WZ", "name: 2024-13-45").encode(),
    "empty-int-tag": TUTORIAL.replace("name: 10_01_ZB_WZ", "name: !!int").encode(),
    "binary-tag": TUTORIAL.replace("name: 10_01_ZB_WZ", "name: !!binary aGVsbG8=").encode(),
    "python-tag": TUTORIAL.replace(
        "name: 10_01_ZB_WZ", "name: !!python/object/apply:os.system ['true']"
    ).encode(),
    "merge-key": _in_settings("<<: {a: 1}\n").encode(),
    "undefined-alias": _in_settings("x: *nowhere\n").encode(),
    "recursive-alias": (TUTORIAL + "x: &r [1, *r]\n").encode(),
    "deep-nesting": (TUTORIAL + "x: " + "[" * 5_000 + "]" * 5_000 + "\n").encode(),
    "deep-flow-mappings": (TUTORIAL + "x: " + "{a: " * 3_000 + "1" + "}" * 3_000 + "\n").encode(),
    "second-document": (TUTORIAL + "---\nformat: knitflow/1\n").encode(),
    "alias-bomb": (TUTORIAL + _BOMB).encode(),
    "alias-bomb-in-settings": _in_settings(_BOMB).encode(),
    "alias-bomb-in-variables": TUTORIAL.replace(
        "variables:\n", "variables:\n" + _indented(_BOMB, 2), 1
    ).encode(),
    "empty": b"",
    "a-list": b"- a\n- b\n",
}


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_workflow_is_exit_2_with_located_problems(tmp_path: Path, name: str, command: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(MALFORMED[name])
    argv = [command, str(path)] + (["--quiet", "--out", str(tmp_path / "out")] if command == "run" else [])
    result = run_cli(argv, timeout=30)
    assert result.code == 2, (result.code, result.err[-2000:])
    assert not traceback_in(result.text), result.err[-2000:]
    assert result.seconds < 15, f"{name} took {result.seconds:.1f} s"
    lines = result.err.strip().splitlines()
    assert lines[0] == f"{path}: {len(lines) - 1} problem(s):" or "more" in lines[-1], lines[:3]
    for line in lines[1:]:
        assert line.startswith(f"  {path}"), line  # one line per problem, each naming the file
        assert len(line) < 1200
    assert re.search(rf"{re.escape(str(path))}:\d+: ", lines[1]), lines[1]  # and its line
    assert not (tmp_path / "out").exists()  # refused before anything ran


@pytest.mark.parametrize("name", ["latin-1", "binary", "cut-utf8", "nul-byte", "utf-16-le"])
def test_decode_errors_name_the_byte_offset(name: str) -> None:
    with pytest.raises(WorkflowLoadError) as err:
        Workflow.from_text(MALFORMED[name], file="x.yaml")
    assert "byte offset" in str(err.value)


def test_encodings_are_named() -> None:
    for name, expected in [
        ("utf-16-bom", "UTF-16"),
        ("utf-32-bom", "UTF-32"),
        ("gzip", "gzip"),
        ("utf-16-le", "UTF-16 or UTF-32"),
        ("latin-1", "not UTF-8"),
    ]:
        with pytest.raises(WorkflowLoadError, match=expected):
            Workflow.from_text(MALFORMED[name], file="x.yaml")


def test_from_text_gives_problems_for_text_and_bytes() -> None:
    for name in (
        "control-character",
        "unhashable-key",
        "alias-bomb",
        "deep-nesting",
        "lone-surrogate-escape",
    ):
        for source in (MALFORMED[name], MALFORMED[name].decode("utf-8")):
            with pytest.raises(WorkflowLoadError) as err:
                Workflow.from_text(source, file="x.yaml")
            assert all(p.file == "x.yaml" and p.line for p in err.value.problems), err.value.problems
    assert (
        Workflow.from_text(b"\xef\xbb\xbf" + TUTORIAL.encode(), ROOT / "workflows").doc.name == "10_01_ZB_WZ"
    )


def test_a_text_with_a_lone_surrogate_is_a_problem() -> None:
    """A str can hold what no file can (a lone surrogate from Python code): located, not a
    UnicodeEncodeError of the parser."""
    with pytest.raises(YamlSyntaxError, match=r"lone surrogate U\+D800 at line 2") as err:
        load_with_lines("a: 1\nb: x\ud800y\n")
    assert err.value.line == 2


def test_the_pure_python_parser_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without libyaml the same events come from PyYAML's Python parser, and the same limits hold
    (it turns a lone surrogate escape into a character: refused here too)."""
    import engine.core.yamlio as yamlio

    expected = load_with_lines(TUTORIAL)
    monkeypatch.setattr(yamlio, "_Loader", yaml.SafeLoader)
    assert load_with_lines(TUTORIAL) == expected
    for name in ("lone-surrogate-escape", "unhashable-key-in-settings", "alias-bomb", "deep-nesting"):
        with pytest.raises(YamlSyntaxError):
            load_with_lines(MALFORMED[name].decode("utf-8"))


def walk(node: yaml.Node, where: tuple[object, ...], lines: dict[tuple[object, ...], int]) -> None:
    """The lines the node-based reader recorded: every value's start line."""
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            walk(value, (*where, key.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            walk(item, (*where, i), lines)


def test_lines_are_those_of_the_old_reader() -> None:
    """The event reader records the same value lines as the node-based reader did: problems point
    where they pointed before."""
    for path in sorted((ROOT / "workflows").glob("*.yaml")):
        data, lines = load_with_lines(path.read_text(encoding="utf-8"))
        assert data == yaml.safe_load(path.read_text(encoding="utf-8"))
        loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
        root = loader.get_single_node()
        expected: dict[tuple[object, ...], int] = {}

        walk(root, (), expected)
        assert lines == expected, path.name


def test_document_size_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(TUTORIAL.encode() + b"#" * (MAX_DOCUMENT_BYTES + 1 - len(TUTORIAL)))
    t0 = time.perf_counter()
    result = run_cli(["validate", str(path)])
    assert result.code == 2 and "workflow files are limited to 10 MB" in result.err
    assert time.perf_counter() - t0 < 5
    with pytest.raises(WorkflowLoadError, match="limited to 10 MB"):
        Workflow.from_text("x" * (MAX_DOCUMENT_BYTES + 1))


@pytest.mark.parametrize("name", ["alias-bomb", "alias-bomb-in-settings", "alias-bomb-in-variables"])
def test_alias_bombs_are_refused_before_they_expand(name: str) -> None:
    tracemalloc.start()
    try:
        _, _, problems = parse_document(MALFORMED[name].decode(), "bomb.yaml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(problems) == 1 and "alias" in problems[0].message, problems
    assert peak < 20 * 2**20  # the expansion would be 10**9 values


def test_aliases_within_the_limit_still_work() -> None:
    doc, _, problems = parse_document(
        _in_settings("").replace("variables:\n", "variables:\n  cols: &cols [a, b]\n  again: *cols\n", 1),
        "x.yaml",
    )
    assert not problems and doc is not None and doc.variables["again"] == ["a", "b"]
    many = (
        "x: &x ["
        + ", ".join(["1"] * 1_000)
        + "]\ny: ["
        + ", ".join(["*x"] * (MAX_ALIAS_VALUES // 1_001))
        + "]\n"
    )
    data, _ = load_with_lines(many)
    assert len(data["y"]) == MAX_ALIAS_VALUES // 1_001


def test_a_million_wrong_entries_give_a_few_lines(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_bytes(MALFORMED["many-nodes-that-are-numbers"])
    result = run_cli(["validate", str(path)])
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) <= 60 and "more problems like these" in lines[-1], lines[-3:]


@pytest.mark.slow
def test_a_9_mb_workflow_is_read_in_seconds(tmp_path: Path) -> None:
    """The issue's 50 MB files ran past 10 minutes; under the 10 MB limit the largest file loads
    (here: 1,300 nodes, duplicated ids) in seconds."""
    head, rest = TUTORIAL.split("nodes:\n", 1)
    nodes = rest.split("connections:")[0]
    path = tmp_path / "big.yaml"
    path.write_text(head + "nodes:\n" + nodes * (9_000_000 // len(nodes)))
    result = run_cli(["validate", str(path)], timeout=120)
    assert result.code == 2 and "duplicate node id" in result.err
    assert result.seconds < 60
    line = tmp_path / "line.yaml"
    line.write_text('format: knitflow/1\nname: "' + "a" * 9_000_000 + '"\n')
    result = run_cli(["validate", str(line)], timeout=60)
    assert result.code == 0 and result.seconds < 20


# ------------------------------------------------------------------------------ what the CLI shows


def test_names_are_text_not_markup(tmp_path: Path) -> None:
    path = tmp_path / "markup.yaml"
    path.write_text(
        TUTORIAL.replace("name: CSV Reader", 'name: "[/]"').replace(
            "name: 10_01_ZB_WZ", "name: '[bold]x[/bold'"
        ),
        encoding="utf-8",
    )
    result = run_cli(
        ["run", str(path), "--until", "1", "--out", str(tmp_path / "out"), "--set", f"data_dir={DATA}"]
    )
    assert result.code == 0, result.err[-2000:]
    assert "[/]" in result.out


def test_a_huge_error_message_is_cut_on_the_terminal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "ZB_WZ_dE_rawdescriptor.csv").write_text("x" * 3_000_000)  # one column, 3 MB name
    path = tmp_path / "wf.yaml"
    path.write_text(TUTORIAL)
    out = tmp_path / "out"
    result = run_cli(
        ["run", str(path), "--until", "1", "--quiet", "--out", str(out), "--set", f"data_dir={data}"]
    )
    assert result.code == 1 and result.seconds < 20
    assert "more characters in run.json" in result.out and len(result.out) < 50_000
    assert "x" * 1_000_000 in (out / "run.json").read_text()


def test_a_broken_gzip_csv_is_a_node_error(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(gzip.compress(b"a,b\n" + b"".join(b"%d,%d\n" % (i, i * i) for i in range(1000)))[:100])
    with pytest.raises(NodeError, match="not a readable gzip file"):  # ConfigureError is one
        run_node("csv_reader", {"file": str(path)})


# ------------------------------------------------------------------------------ byte order marks

_CSV = "ZA,ZB,name\n3,9,Li\n4,8,Be\n"


@pytest.mark.parametrize("quoted", [False, True], ids=["fast-path", "record-parser"])
@pytest.mark.parametrize(
    ("charset", "data", "warns"),
    [
        ("UTF-8", b"\xef\xbb\xbf" + _CSV.encode(), False),
        (None, b"\xef\xbb\xbf" + _CSV.encode(), False),
        ("windows-31j", b"\xef\xbb\xbf" + _CSV.encode(), True),  # the tutorials' charset
        ("ISO-8859-1", b"\xef\xbb\xbf" + _CSV.encode(), True),
        ("UTF-16LE", b"\xff\xfe" + _CSV.encode("utf-16-le"), False),
        ("UTF-16BE", b"\xfe\xff" + _CSV.encode("utf-16-be"), False),
        ("UTF-16", _CSV.encode("utf-16"), False),
        ("UTF-32LE", b"\xff\xfe\x00\x00" + _CSV.encode("utf-32-le"), False),
    ],
)
def test_readers_strip_a_byte_order_mark(
    tmp_path: Path, charset: str | None, data: bytes, warns: bool, quoted: bool
) -> None:
    if quoted:  # a quote sends the file through the record parser
        codec = {
            "UTF-16LE": "utf-16-le",
            "UTF-16BE": "utf-16-be",
            "UTF-16": "utf-16",
            "UTF-32LE": "utf-32-le",
        }
        text = _CSV.replace("Li", '"Li"')
        bom = data[: len(data) - len(_CSV.encode(codec.get(charset or "", "utf-8")))]
        data = bom + text.encode(codec.get(charset or "", "utf-8"))
        if charset == "UTF-16":
            data = text.encode("utf-16")
    path = tmp_path / "bom.csv"
    path.write_bytes(data)
    result = run_node("csv_reader", {"file": str(path), "charset": charset})
    assert list(result.df(1).columns) == ["ZA", "ZB", "name"]
    assert result.df(1)["ZA"].tolist() == [3, 4]
    assert any("byte order mark" in w for w in result.warnings) == warns


def test_the_tutorial_reads_a_csv_saved_with_a_byte_order_mark(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "ZB_WZ_dE_rawdescriptor.csv").write_bytes(
        b"\xef\xbb\xbf" + (DATA / "ZB_WZ_dE_rawdescriptor.csv").read_bytes()
    )
    wf = Workflow.load(ROOT / "workflows" / "10_02_ZB_WZ_regression.yaml")
    result = wf.run(variables={"data_dir": str(data)}, until=183, workers=1)
    assert result.ok, [s.error for s in result.failed()]
    assert result.output(183).columns[0] == "ZA"


# ------------------------------------------------------------------------------ --out and -o


def _deny_writes_in(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """A read-only folder, also for root (whom chmod does not stop): creating a file there fails."""
    import tempfile

    real = tempfile.TemporaryFile

    def temporary_file(*args: object, **kwargs: object) -> object:
        if Path(str(kwargs.get("dir"))).resolve() == folder.resolve():
            raise PermissionError(13, "Permission denied")
        return real(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(tempfile, "TemporaryFile", temporary_file)


def _read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir(exist_ok=True)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.geteuid() == 0:
        _deny_writes_in(monkeypatch, folder)


@pytest.fixture
def no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the run started although its output folder cannot be written")

    monkeypatch.setattr(Workflow, "run", refuse)


def test_run_refuses_an_output_folder_it_cannot_create(tmp_path: Path, no_run: None) -> None:
    (tmp_path / "file").write_text("x")
    result = run_cli(
        ["run", str(ROOT / "workflows" / "10_01_ZB_WZ.yaml"), "--out", str(tmp_path / "file" / "out")]
    )
    assert result.code == 2 and "cannot be created" in result.err, result.err
    assert not traceback_in(result.text)


def test_run_refuses_a_read_only_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_run: None
) -> None:
    out = tmp_path / "ro"
    _read_only(out, monkeypatch)
    try:
        result = run_cli(["run", str(ROOT / "workflows" / "10_01_ZB_WZ.yaml"), "--out", str(out)])
    finally:
        out.chmod(0o755)
    assert result.code == 2 and f"--out {out}: the folder cannot be written" in result.err, result.err


def test_results_go_to_a_fallback_folder_when_the_disk_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.core.outputs as outputs

    out = tmp_path / "out"
    real = outputs.atomic_write

    def full_disk(path: str | Path, data: str | bytes) -> None:
        if Path(path).parent == out:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(outputs, "atomic_write", full_disk)
    result = run_cli(
        [
            "run",
            str(ROOT / "workflows" / "10_01_ZB_WZ.yaml"),
            "--quiet",
            "--out",
            str(out),
            "--set",
            f"data_dir={DATA}",
        ]
    )
    assert result.code == 1, result.err[-2000:]
    found = re.search(
        r"could not write the results to \S+ \(No space left on device\); they are in (\S+)", result.err
    )
    assert found, result.err
    fallback = Path(found[1])
    assert (fallback / "run.json").is_file() and len(list(fallback.iterdir())) > 5
    assert f"outputs and run.json in {fallback}" in result.out


def test_render_refuses_a_read_only_folder_and_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow = str(ROOT / "workflows" / "10_01_ZB_WZ.yaml")
    out = tmp_path / "ro"
    _read_only(out, monkeypatch)
    try:
        result = run_cli(["render", workflow, "-o", str(out / "w.svg")])
    finally:
        out.chmod(0o755)
    assert result.code == 2 and "cannot be written" in result.err
    result = run_cli(["render", workflow, "-o", str(tmp_path)])
    assert result.code == 2 and "it is a folder" in result.err

    import engine.core.yamlio as yamlio

    real = yamlio.atomic_write

    def fails_once(path: str | Path, data: str | bytes) -> None:
        if Path(path).parent == tmp_path:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(yamlio, "atomic_write", fails_once)
    result = run_cli(["render", workflow, "-o", str(tmp_path / "w.svg")])
    found = re.search(r"they are in (\S+)", result.err)
    assert result.code == 1 and found, result.err
    assert (Path(found[1]) / "w.svg").read_text().startswith("<svg")


def test_the_default_output_folder_is_a_safe_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "wf.yaml"
    path.write_text(TUTORIAL.replace("name: 10_01_ZB_WZ", "name: ../../escape/x"))
    result = run_cli(["run", str(path), "--until", "1", "--quiet", "--set", f"data_dir={DATA}"])
    assert result.code == 0, result.err
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name == "escape_x"


# ------------------------------------------------------------------------------ file modes


def test_written_files_get_the_users_mode(tmp_path: Path) -> None:
    """CSV Writer, Excel Writer, Parquet Writer and the run's own outputs, under umask 027: 0640."""
    workflow = tmp_path / "writers.yaml"
    workflow.write_text(
        yaml.safe_dump(
            {
                "format": "knitflow/1",
                "name": "writers",
                "nodes": [
                    {
                        "id": 1,
                        "type": "table_creator",
                        "settings": {"columns": [{"name": "a", "type": "Integer"}], "rows": [["1"], ["2"]]},
                    },
                    {"id": 2, "type": "csv_writer", "settings": {"file": str(tmp_path / "w.csv")}},
                    {
                        "id": 3,
                        "type": "excel_writer",
                        "settings": {"file": str(tmp_path / "w.xlsx"), "sheet_names": ["s"]},
                    },
                    {"id": 4, "type": "parquet_writer", "settings": {"file": str(tmp_path / "w.parquet")}},
                ],
                "connections": ["1:1 -> 2:1", "1:1 -> 3:1", "1:1 -> 4:1"],
            }
        )
    )
    out = tmp_path / "out"
    code = (
        "import os, sys; os.umask(0o027); from engine.cli.main import main; "
        f"sys.exit(main(['run', {str(workflow)!r}, '--quiet', '--out', {str(out)!r}]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    written = [tmp_path / "w.csv", tmp_path / "w.xlsx", tmp_path / "w.parquet", out / "run.json"]
    written += [p for p in out.iterdir() if p.suffix == ".csv"]
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, (path.name, oct(path.stat().st_mode))
