"""Every Python block of README.md runs and does what its text says; the bash blocks that are
commands of a fresh machine are `.ci/run`'s (test_first_contact), the others are listed here with
why they are not run."""

from __future__ import annotations

import re
import shutil
import types
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from engine.core.registry import registry

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def python_block(marker: str) -> str:
    """The one Python block containing `marker`."""
    (found,) = [b for b in blocks("python") if marker in b]
    return found


def test_every_python_block_is_run_here() -> None:
    markers = [
        'Workflow.load("workflows/10_02',
        "class AddConstant(Node)",
        "def test_add_constant",
        "load_knwf(",
    ]
    assert len(blocks("python")) == len(markers)
    for marker in markers:
        python_block(marker)


def test_python_api_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository root, as the text says; each call returns what its comment says."""
    monkeypatch.chdir(ROOT)
    code = python_block('Workflow.load("workflows/10_02')
    lines = code.strip().splitlines()
    namespace: dict[str, Any] = {}
    results: dict[str, Any] = {}
    for line in lines:  # evaluate the expression lines to look at their values
        statement = line.split("  #")[0].rstrip()
        if not statement:
            continue
        if "=" in statement.split("(")[0] or statement.startswith(("from ", "import ")):
            exec(statement, namespace)
        else:
            results[statement] = eval(statement, namespace)
    statuses = results["wf.validate()"]
    assert isinstance(statuses, dict) and not [s.error for s in statuses.values() if s.error]
    sorter = results["result.output(185)"]
    assert isinstance(sorter, pd.DataFrame) and namespace["wf"].doc.node(185).type == "sorter"
    assert list(sorter.index) == namespace["result"].table(185).row_ids  # index = RowIDs
    variables = results["result.output(172, 0)"]
    assert namespace["wf"].doc.node(172).type == "numeric_scorer"
    assert {"R^2", "mean absolute error"} <= set(variables)
    # the re-run after the change: only #170, what depends on it and the loop around it execute
    rerun = results["wf.run(seed=1)"]
    wf = namespace["wf"]
    downstream = _descendants(wf, 170)
    loop = {n for n, scope in wf.compile().scope.items() if set(scope) & set(wf.compile().scope[170])}
    loop |= set(wf.compile().scope[170])
    executed = {n for n, s in rerun.status.items() if not s.cached}
    assert 170 in executed and executed <= {170} | downstream | loop | _descendants_of(wf, loop)
    assert {n for n, s in rerun.status.items() if s.cached}  # the rest came from the cache


def _descendants(wf: Any, node: int) -> set[int]:
    return _descendants_of(wf, {node})


def _descendants_of(wf: Any, nodes: set[int]) -> set[int]:
    out: set[int] = set()
    todo = list(nodes)
    while todo:
        n = todo.pop()
        for c in wf.doc.connections:
            if c.source == n and c.dest not in out:
                out.add(c.dest)
                todo.append(c.dest)
    return out


@pytest.fixture
def add_constant(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The README's node module, registered for the test only."""
    module = types.ModuleType("readme_add_constant")
    exec(python_block("class AddConstant(Node)"), module.__dict__)
    registry.get("csv_reader")  # load the registry first
    monkeypatch.setitem(registry._types, "add_constant", module.AddConstant)
    return module


def test_node_block_and_its_unit_test(
    add_constant: types.ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    test_module: dict[str, Any] = {}
    exec(python_block("def test_add_constant"), test_module)
    test_module["test_add_constant"]()  # the README's pytest function, with its own imports
    from engine.cli import main

    assert main(["nodes", "add_constant"]) == 0
    text = capsys.readouterr().out
    assert "\n  amount  float  = 1.0\n      Value to add\n" in text and '\n  column  str  = "x"\n' in text


def test_import_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The import example, on an archive the tests build (the tutorial's own is not part of the project)."""
    from spec_shapes import data_dir
    from test_knime_built_archive import built_archive

    shutil.copy(built_archive(tmp_path), tmp_path / "10_03_conversion_regression.knwf")
    (tmp_path / "workflows").mkdir()
    monkeypatch.chdir(tmp_path)
    code = python_block("load_knwf(").replace('"/path/to/data"', repr(str(data_dir())))
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    assert namespace["result"].ok
    assert "imported as" in capsys.readouterr().out  # print(report): the findings, notes included
    assert (tmp_path / "workflows" / "10_03_imported.yaml").is_file()


# the other fenced blocks and why they are not run as they stand
NOT_RUN = {
    "bash": "the two commands are .ci/run's (test_first_contact); pip/knitflow command examples",
    "text": "command synopses",
    "json": "an excerpt of run.json",
    "yaml": "excerpts of workflow files",
}


def test_other_blocks_are_accounted_for() -> None:
    languages = set(re.findall(r"^```(\w+)\n", README, flags=re.M))
    assert languages <= {"python", *NOT_RUN}
