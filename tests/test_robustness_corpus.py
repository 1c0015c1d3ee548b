"""The mutation corpus (#14): hundreds of broken or odd variants of the seven tutorial workflows and
dozens of broken data files. `knitflow validate` and `knitflow run` answer each with exit 0, 1 or 2
and a message — never a Python traceback, never a hang. In-process (engine.cli.main) to stay fast;
a few cases through a real subprocess check the exit codes the shell sees."""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from robustness_corpus import (
    ROOT,
    WORKFLOWS,
    CliResult,
    data_mutants,
    run_cli,
    traceback_in,
    workflow_mutants,
)

TIMEOUT = 20.0  # seconds per case: a hang fails its case, not the suite


@pytest.fixture(scope="module")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tutorial data cut to 60 lines: the mutants are about the workflow files, and a reader
    configuring on 9 MB of qm9.csv would make the corpus slow."""
    folder = tmp_path_factory.mktemp("data")
    for path in (ROOT / "data").glob("*.csv"):
        lines = path.read_bytes().splitlines(True)[:60]
        (folder / path.name).write_bytes(b"".join(lines))
    return folder


def _problem(result: CliResult) -> str | None:
    """What is wrong with an answer, or None."""
    if result.code == "timeout":
        return f"no answer within {TIMEOUT:.0f} s"
    if result.code not in (0, 1, 2):
        return f"exit {result.code}"
    if traceback_in(result.text) or 'File "' in result.text:
        return "a traceback"
    if result.code == 2 and not result.err.strip():
        return "exit 2 without a message"
    return None


def _first_reader(doc: object) -> int | None:
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        return None
    for node in doc["nodes"]:
        if isinstance(node, dict) and node.get("type") in ("csv_reader", "table_creator"):
            node_id = node.get("id")
            return node_id if isinstance(node_id, int) and not isinstance(node_id, bool) else None
    return None


def test_workflow_mutants_never_crash_or_hang(tmp_path: Path, small_data: Path) -> None:
    failures: list[str] = []
    codes: collections.Counter[int | str] = collections.Counter()
    runs = 0
    mutants = list(workflow_mutants(small_data))
    for name, data in mutants:
        path = tmp_path / (name.replace("/", "__") + ".yaml")
        path.write_bytes(data)
        result = run_cli(["validate", str(path)], timeout=TIMEOUT)
        codes[result.code] += 1
        problem = _problem(result)
        if problem:
            failures.append(f"validate {name}: {problem}: {result.text.strip()[-300:]}")
            continue
        if result.code != 0:
            continue
        # it loads: run it as far as its first reader (cheap), as the rest needs the whole data
        reader = _first_reader(yaml.safe_load(data.decode("utf-8-sig")))
        until = ["--until", str(reader)] if reader is not None else []
        out = tmp_path / "out" / path.stem
        result = run_cli(
            ["run", str(path), *until, "--quiet", "--workers", "1", "--out", str(out)], timeout=TIMEOUT
        )
        runs += 1
        problem = _problem(result)
        if problem:
            failures.append(f"run {name}: {problem}: {result.text.strip()[-300:]}")
    assert len(mutants) >= 400
    assert not failures, "\n".join(failures[:20]) + f"\n({len(failures)} of {len(mutants)} mutants)"
    assert codes[2] > len(mutants) / 2 and runs >= 40, (codes, runs)  # most are refused, enough run


def test_broken_data_files_never_crash_or_hang(tmp_path: Path) -> None:
    """Each broken version of 10_01's CSV, read by the tutorial's reader (stored column types,
    windows-31j) and by one that guesses the types of a UTF-8 file."""
    guessing = tmp_path / "guess.yaml"
    guessing.write_text(
        yaml.safe_dump(
            {
                "format": "knitflow/1",
                "name": "guess",
                "variables": {"data_dir": "."},
                "nodes": [
                    {
                        "id": 1,
                        "type": "csv_reader",
                        "settings": {"file": "${data_dir}/ZB_WZ_dE_rawdescriptor.csv", "charset": "UTF-8"},
                    }
                ],
            }
        )
    )
    workflows = [WORKFLOWS[0], guessing]  # 10_01: node 1 is its CSV Reader
    csv = (ROOT / "data" / "ZB_WZ_dE_rawdescriptor.csv").read_text(encoding="ascii")
    files = list(data_mutants(csv))
    failures: list[str] = []
    codes: collections.Counter[int | str] = collections.Counter()
    for name, data in files:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "ZB_WZ_dE_rawdescriptor.csv").write_bytes(data)
        for workflow in workflows:
            argv = ["run", str(workflow), "--until", "1", "--quiet", "--workers", "1"]
            argv += ["--out", str(folder / f"out-{workflow.stem}"), "--set", f"data_dir={folder}"]
            result = run_cli(argv, timeout=TIMEOUT)
            codes[result.code] += 1
            problem = _problem(result) or (None if result.code in (0, 1) else f"exit {result.code}")
            if problem:
                failures.append(f"{name} with {workflow.stem}: {problem}: {result.text.strip()[-300:]}")
    assert len(files) >= 30
    assert not failures, "\n".join(failures)
    assert codes[1] >= 20 and codes[0] >= 20, codes  # broken files fail their reader, odd ones read


_REFUSED = ("bomb", "unhashable", "utf-16", "utf-32", "gzip", "node-not-mapping", "nul", "latin1", "random")


def test_the_shell_sees_exit_2(tmp_path: Path, small_data: Path) -> None:
    chosen = [
        (n, d)
        for n, d in workflow_mutants(small_data)
        if n.startswith("10_02") and any(k in n for k in _REFUSED)
    ]
    assert len(chosen) >= 3
    for name, data in chosen[:3]:
        path = tmp_path / (name.replace("/", "__") + ".yaml")
        path.write_bytes(data)
        for command in (
            ["validate", str(path)],
            ["run", str(path), "--quiet", "--out", str(tmp_path / "out")],
        ):
            done = subprocess.run(
                [sys.executable, "-m", "engine.cli", *command],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=60,
            )
            assert done.returncode == 2, (name, done.stderr[-1000:])
            assert "Traceback" not in done.stderr and done.stderr.startswith(f"{path}: "), (name, done.stderr)
