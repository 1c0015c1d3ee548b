"""A newcomer's first hour (issue 13): the README's two commands are what CI runs, the data ships,
the data lookup order, `knitflow examples`, `knitflow data fetch`, and the first-contact messages
(unknown types, cycles, broken plug-ins, `knitflow nodes TYPE`, pipes, rich markup, the run summary)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from engine.cli import main
from engine.core.document import WorkflowLoadError
from engine.core.registry import NodeRegistry, PluginLoadError, registry
from engine.core.workflow import Workflow
from engine.datasets import (
    TUTORIAL_FILES,
    WORKFLOWS,
    choose_data_dir,
    examples_data_dir,
    fetch,
    write_examples,
)

ROOT = Path(__file__).resolve().parent.parent
KNITFLOW = [sys.executable, "-m", "engine.cli"]


def fenced_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def readme_commands() -> list[str]:
    """The README's two commands: the non-comment lines of the first bash block of "The two commands"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    block = fenced_blocks(section, "bash")[0]
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


# ------------------------------------------------------------------------------- the two commands


def test_ci_run_is_the_readmes_two_commands_then_the_checks() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].startswith("bash .ci/setup && ") and "knitflow run workflows/10_03" in commands[0]
    assert commands[1] == "bash .ci/setup && .venv/bin/python -m pytest"
    lines = [
        line
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', *commands, "bash .ci/checks"]


def test_ci_reads_no_shared_folder() -> None:
    for script in (ROOT / ".ci").iterdir():
        text = script.read_text(encoding="utf-8")
        assert "shared" not in text, f"{script.name} reads ../shared"
        assert not re.search(r"(^|[\s;&(])python -m", text), f"{script.name} uses a bare `python`"
    checks = (ROOT / ".ci" / "checks").read_text(encoding="utf-8")
    assert ".venv/bin/ruff check ." in checks and ".venv/bin/ruff format --check ." in checks
    setup = (ROOT / ".ci" / "setup").read_text(encoding="utf-8")
    assert '"$PYTHON" -m venv .venv' in setup and "apt_install python3-venv" in setup
    assert '.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[all]"' in setup


def test_pytest_prints_why_a_test_skips() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]
    report = [o for o in options["ini_options"]["addopts"].split() if o.startswith("-r")]
    assert len(report) == 1 and {"s", "f", "E"} <= set(report[0][2:])  # skips with reasons, and failures


# ------------------------------------------------------------------------------ the data ships


def git_files(folder: str) -> set[str] | None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    out = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True)
    return {Path(line).name for line in out.stdout.splitlines()} if out.returncode == 0 else None


def test_the_tutorial_data_is_committed_and_listed() -> None:
    listed = {d.file for d in TUTORIAL_FILES}
    on_disk = {p.name for p in (ROOT / "data").iterdir() if p.name not in ("qm9.csv",)}
    assert on_disk == listed | {"README.md"}
    tracked = git_files("data")
    if tracked is not None:
        assert tracked == listed | {"README.md"}
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert "nim-hrkn/mi_knime_tutorial" in readme and "Apache-2.0" in readme
    assert "https://www.apache.org/licenses/LICENSE-2.0" in readme
    for name in listed:
        assert f"`{name}`" in readme, f"data/README.md does not describe {name}"
    ignore = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "data/qm9.csv" in ignore and "data/*" not in ignore


def test_every_workflow_reads_shipped_data_or_qm9() -> None:
    listed = {d.file for d in TUTORIAL_FILES} | {"qm9.csv"}
    for path in (ROOT / "workflows").rglob("*.yaml"):
        for file in re.findall(r"\$\{data_dir\}/([^\s'\"]+)", path.read_text(encoding="utf-8")):
            assert file in listed, (path.name, file)


def test_the_wheel_lists_every_package() -> None:
    """pyproject lists the packages (workflows/ and data/ ride along as engine.datasets.*): every
    folder with an __init__.py must be in the list."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("engine", "nodes")
        for p in (ROOT / top).rglob("__init__.py")
    }
    assert set(config["packages"]) == found | {"engine.datasets.data", "engine.datasets.workflows"}
    assert config["package-dir"] == {"engine.datasets.data": "data", "engine.datasets.workflows": "workflows"}


# -------------------------------------------------------------------------- the data lookup order


def test_data_dir_lookup_order(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    shipped = examples_data_dir()
    assert shipped is not None and (shipped / "ZB_WZ_dE_rawdescriptor.csv").is_file()
    # 4. nothing beside the workflow: the data installed with knitflow
    assert choose_data_dir("../data", flows, environ={}) == choose_data_dir("../data", flows, environ={})
    choice = choose_data_dir("../data", flows, environ={})
    assert choice is not None and (choice.path, choice.reason) == (shipped, "examples")
    # 3. the workflow's own ../data when it exists
    (tmp_path / "data").mkdir()
    choice = choose_data_dir("../data", flows, environ={})
    assert choice is not None and (choice.path, choice.reason) == ((tmp_path / "data").resolve(), "workflow")
    # 2. $KNITFLOW_DATA before that
    choice = choose_data_dir("../data", flows, environ={"KNITFLOW_DATA": str(tmp_path / "mine")})
    assert choice is not None and choice.reason == "KNITFLOW_DATA" and choice.path.name == "mine"
    # 1. what the user set, before everything
    choice = choose_data_dir("../data", flows, explicit="other", environ={"KNITFLOW_DATA": "/x"})
    assert choice is not None and (choice.path, choice.reason) == ((flows / "other").resolve(), "set")
    assert choose_data_dir(None, flows, environ={"KNITFLOW_DATA": "/x"}) is None  # no data_dir declared


def test_run_finds_the_data_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """A tutorial workflow copied to a folder without data runs on the data installed with knitflow,
    and $KNITFLOW_DATA takes precedence over it."""
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(ROOT / "workflows" / "10_01_ZB_WZ.yaml", lone)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KNITFLOW_DATA", raising=False)
    assert main(["run", str(lone / "10_01_ZB_WZ.yaml"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "the examples data of knitflow" in captured.err
    assert "#14 Scorer: Accuracy 1.0" in captured.out
    monkeypatch.setenv("KNITFLOW_DATA", str(tmp_path / "nowhere"))
    assert main(["run", str(lone / "10_01_ZB_WZ.yaml"), "--out", str(tmp_path / "out2"), "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "($KNITFLOW_DATA;" in captured.err
    assert f"file not found: {tmp_path / 'nowhere' / 'ZB_WZ_dE_rawdescriptor.csv'}" in captured.out


# ----------------------------------------------------------------------------- knitflow examples


def test_examples_writes_runnable_workflows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    target = tmp_path / "kf-examples"
    assert main(["examples", str(target)]) == 0
    assert "next: knitflow run" in capsys.readouterr().out
    assert sorted(p.name for p in target.glob("*.yaml")) == sorted(WORKFLOWS)
    series = sorted(p.name for p in (ROOT / "workflows" / "series").glob("*.yaml"))
    assert sorted(p.name for p in (target / "series").glob("*.yaml")) == series
    assert "\n  data_dir: ../data\n" in (target / "series" / series[0]).read_text(encoding="utf-8")
    assert {p.name for p in (target / "data").iterdir()} == {d.file for d in TUTORIAL_FILES} | {"README.md"}
    text = (target / "10_03_conversion_regression.yaml").read_text(encoding="utf-8")
    assert "\n  data_dir: data\n" in text
    assert text.replace("\n  data_dir: data\n", "\n  data_dir: ../data\n") == (
        ROOT / "workflows" / "10_03_conversion_regression.yaml"
    ).read_text(encoding="utf-8")
    # from another folder, with $KNITFLOW_DATA unset: the workflow reads DIR/data
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("KNITFLOW_DATA", raising=False)
    wf = Workflow.load(target / "10_01_ZB_WZ.yaml")
    assert wf.run().output(14, 0)["Accuracy"] == 1.0
    # a second time: nothing to do; a changed file is kept unless --force
    assert write_examples(target, log=lambda _m: None) == []
    (target / "10_01_ZB_WZ.yaml").write_text("mine", encoding="utf-8")
    assert main(["examples", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["examples", str(target), "--force"]) == 0
    assert (target / "10_01_ZB_WZ.yaml").read_text(encoding="utf-8") != "mine"


# --------------------------------------------------------------------------- knitflow data fetch


def test_data_fetch_without_options_says_what_is_where(capsys: Any, tmp_path: Path) -> None:
    assert main(["data", "fetch", "--to", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "came with knitflow" in out and "--qm9" in out and "--from DIR" in out


def test_data_fetch_from_a_folder(tmp_path: Path, capsys: Any) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "x15_sin.csv").write_text("x1,y\n1,2\n", encoding="utf-8")
    dest = tmp_path / "dest"
    assert main(["data", "fetch", "--from", str(own), "--to", str(dest)]) == 0
    assert (dest / "x15_sin.csv").read_text(encoding="utf-8") == "x1,y\n1,2\n"
    assert main(["data", "fetch", "--from", str(tmp_path / "empty"), "--to", str(dest)]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_qm9_alone_and_never_into_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--qm9 needs nothing but qm9pack (here replaced by a tiny table); no destination inside the
    installed package is accepted."""
    import pandas as pd

    import engine.datasets.qm9 as qm9

    tiny = pd.DataFrame({"SMILES": ["C"], "HOMO": [-10.0], "LUMO": [3.0], "GAP": [13.0]})
    monkeypatch.setattr(qm9, "load_qm9", lambda: tiny)
    written = fetch(dest=tmp_path / "d", qm9=True, log=lambda _m: None)
    assert [p.name for p in written] == ["qm9.csv"]
    assert (tmp_path / "d" / "qm9.csv").read_text(encoding="utf-8").startswith("SMILES,HOMO,LUMO,GAP\nC,")
    import engine.datasets

    with pytest.raises(PermissionError, match="inside the installed knitflow package"):
        fetch(dest=Path(engine.datasets.__file__).parent / "data", qm9=True)


# ------------------------------------------------------------------------- loading: what it says


def load_problems(tmp_path: Path, body: str) -> list[Any]:
    path = tmp_path / "w.yaml"
    path.write_text("format: knitflow/1\nname: w\n" + textwrap.dedent(body), encoding="utf-8")
    with pytest.raises(WorkflowLoadError) as info:
        Workflow.load(path)
    return info.value.problems


def test_unknown_type_suggests_and_causes_no_follow_on_errors(tmp_path: Path) -> None:
    problems = load_problems(
        tmp_path,
        """
        nodes:
          - id: 1
            type: csv_reder
            settings: {file: x.csv}
          - id: 2
            type: sorter
        connections:
          - 1:1 -> 2:1
        """,
    )
    assert [(p.node_id, p.line) for p in problems] == [(1, 6)]
    assert "unknown node type 'csv_reder'; did you mean `csv_reader`" in problems[0].message
    assert registry.closest("CSV Reader")[0] == "csv_reader"  # KNIME's display name finds it too


def test_a_cycle_points_at_the_connection_that_closes_it(tmp_path: Path) -> None:
    problems = load_problems(
        tmp_path,
        """
        nodes:
          - id: 1
            type: toy_add
          - id: 2
            type: toy_add
          - id: 3
            type: toy_add
        connections:
          - 1:1 -> 2:1
          - 2:1 -> 3:1
          - 3:1 -> 1:1
        """,
    )
    (cycle,) = [p for p in problems if "cycle" in p.message]
    assert cycle.line == 14 and cycle.node_id == 1
    assert cycle.message == "connection 3:1 -> 1:1 closes a cycle: 1 -> 2 -> 3 -> 1"


def broken_plugin(folder: Path) -> Path:
    """An installed distribution `acme-nodes` whose `knitflow.nodes` entry point fails to import."""
    dist = folder / "acme_nodes-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-nodes\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text("[knitflow.nodes]\nacme = acme_nodes\n", encoding="utf-8")
    (folder / "acme_nodes.py").write_text("import no_such_dependency_of_acme\n", encoding="utf-8")
    return folder


def test_a_broken_plugin_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(broken_plugin(tmp_path / "site")))
    fresh = NodeRegistry()
    assert fresh.get("csv_reader") is not None  # the built-in nodes still load
    (failure,) = fresh.failed_plugins()
    assert (failure.name, failure.target, failure.distribution) == ("acme", "acme_nodes", "acme-nodes")
    assert "No module named 'no_such_dependency_of_acme'" in failure.error
    assert fresh.load_errors == [str(failure)]
    # `knitflow nodes` warns; a workflow using an unknown type names the plug-in
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(ROOT)])}
    listing = subprocess.run([*KNITFLOW, "nodes"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert listing.returncode == 0 and "csv_reader" in listing.stdout
    assert "warning: plug-in 'acme' of acme-nodes (acme_nodes) failed to load" in listing.stderr
    flow = tmp_path / "w.yaml"
    flow.write_text(
        "format: knitflow/1\nname: w\nnodes:\n  - id: 1\n    type: acme_widget\n", encoding="utf-8"
    )
    checked = subprocess.run([*KNITFLOW, "validate", str(flow)], capture_output=True, text=True, env=env)
    assert checked.returncode == 2
    assert "unknown node type 'acme_widget'" in checked.stderr and "plug-in 'acme'" in checked.stderr


def test_unknown_type_message_names_failed_plugins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    registry.get("csv_reader")
    failure = PluginLoadError("acme", "acme_nodes", "acme-nodes", "ImportError: boom")
    monkeypatch.setattr(registry, "plugin_errors", [failure])
    (problem,) = load_problems(tmp_path, "nodes:\n  - id: 1\n    type: acme_widget\n")
    assert str(failure) in problem.message


# ------------------------------------------------------------------------------ knitflow nodes


def test_nodes_type_is_a_readable_summary(capsys: Any) -> None:
    assert main(["nodes", "csv_reader"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("csv_reader — CSV Reader (source)\nKNIME: CSV Reader (")
    assert "\nInputs:\n  (none)\n" in text and "\nOutputs:\n  1  " in text
    assert '\n  charset  str | none  = "UTF-8"\n      Character set' in text
    assert "\n  has_column_header  bool  = true\n" in text
    assert '"properties"' not in text and '"$defs"' not in text  # no JSON Schema dump
    assert main(["nodes", "csv_reader", "--json"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "csv_reader" and schema["inputs"] == []
    assert schema["settings"] == registry.get("csv_reader").Settings.model_json_schema()  # type: ignore[union-attr]
    assert main(["nodes", "csv_reder"]) == 2
    assert "did you mean `csv_reader`" in capsys.readouterr().err


@pytest.mark.parametrize("type_name", sorted(registry.all()))
def test_every_node_type_can_be_described(type_name: str) -> None:
    from engine.cli.describe import describe_node, node_schema

    cls = registry.get(type_name)
    assert cls is not None
    text = describe_node(cls)
    for name, info in cls.Settings.model_fields.items():
        assert f"\n  {info.alias or name}  " in text
    json.dumps(node_schema(cls))


class _ClosedPipe(io.StringIO):
    def write(self, _text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("argv", [["schema"], ["nodes", "csv_reader"], ["nodes"]])
def test_a_closed_pipe_ends_quietly(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(argv) == 0


def test_head_reads_the_first_lines_quietly() -> None:
    """`knitflow nodes --json | head -1`: the output is longer than a pipe buffer, head exits first."""
    proc = subprocess.Popen(
        [*KNITFLOW, "nodes", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and err == ""


# ------------------------------------------------------------------------------- the run summary


def test_markup_never_eats_text(capsys: Any) -> None:
    """An error mentioning `pip install 'knitflow[spark]'` prints as written (rich would take
    `[spark]` for a style): in the live display and in the summary."""
    from engine.cli.progress import RunDisplay

    wf = Workflow.from_text(
        "format: knitflow/1\nname: w\nnodes:\n  - {id: 1, type: toy_range}\n  - {id: 2, type: toy_fail}\n"
        "connections: ['1:1 -> 2:1']\n"
    )
    result = wf.run()
    (failed,) = result.failed()
    failed.error = "needs pyspark: pip install 'knitflow[spark]' [bold]x[/bold]"
    failed.name = "[red]name"
    failed.warnings = ["look at [this]"]
    display = RunDisplay(wf)
    display.on_event({"event": "state", "node": 2, "state": "idle", "error": failed.error})
    assert "pip install 'knitflow[spark]' [bold]x[/bold]" in capsys.readouterr().err
    console = Console(record=True, width=300)
    display.summary(result, Path("out"), console=console)
    text = console.export_text()
    assert "pip install 'knitflow[spark]' [bold]x[/bold]" in text
    assert "[red]name" in text and "look at [this]" in text


def test_run_summary_shows_scorer_numbers_and_warnings(tmp_path: Path, capsys: Any) -> None:
    flow = tmp_path / "w.yaml"
    flow.write_text(
        textwrap.dedent(
            """\
            format: knitflow/1
            name: w
            nodes:
              - id: 1
                type: table_creator
                settings:
                  columns: [{name: SMILES, type: String}, {name: y, type: Double}, {name: p, type: Double}]
                  rows: [[CCO, '1', '1.5'], [null, '2', '2'], [c1ccccc1, '3', '2.5']]
              - id: 2
                type: molecule_type_cast
                settings: {column_name: SMILES}
              - id: 3
                type: rdkit_fingerprint
              - id: 4
                type: numeric_scorer
                settings: {reference: y, predicted: p, generate_flow_variables: true}
            connections:
              - 1:1 -> 2:1
              - 2:1 -> 3:1
              - 1:1 -> 4:1
            """
        ),
        encoding="utf-8",
    )
    assert main(["run", str(flow), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    assert "#4 Numeric Scorer: R^2 0.75, mean absolute error 0.3333333333333333" in out
    assert "⚠ #3 RDKit Fingerprint: Encountered empty input cell. [1 of 3 rows]" in out


def test_readme_main_job_prints_knimes_r2(tmp_path: Path, capsys: Any) -> None:
    """The README's first command's run: 10_03 prints KNIME's R² of the final model."""
    flow = ROOT / "workflows" / "10_03_conversion_regression.yaml"
    assert main(["run", str(flow), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "#336 Numeric Scorer: R^2 0.9786673179225764" in out


# ------------------------------------------------------------------- pip install . (not editable)


def _tracked_copy(target: Path) -> Path:
    """The project's tracked files (what a clone has), so that the build does not litter the checkout."""
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout: cannot tell the project's files")
    for name in out.stdout.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


@pytest.mark.slow
def test_a_wheel_carries_the_examples(tmp_path: Path) -> None:
    """`pip install .` (not editable): `knitflow examples DIR` and `knitflow run DIR/10_03…` work
    from any folder, and `knitflow data fetch` never writes into the installed package."""
    src = _tracked_copy(tmp_path / "src")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", str(src), "-w", str(tmp_path / "dist")], check=True)
    (wheel,) = (tmp_path / "dist").glob("knitflow-*.whl")
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "-q", "--no-deps", "--target", str(site), str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("KNITFLOW_DATA", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)

    def knitflow(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "engine.cli", *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
        )

    where = subprocess.run(
        [sys.executable, "-c", "import engine; print(engine.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
    )
    assert Path(where.stdout.decode().strip()).is_relative_to(site)
    assert not (site / "engine" / "datasets" / "data" / "qm9.csv").exists()
    examples = tmp_path / "kf-examples"
    made = knitflow("examples", str(examples))
    assert made.returncode == 0, made.stderr
    ran = knitflow("run", str(examples / "10_03_conversion_regression.yaml"), "--quiet", "--out", "out")
    assert ran.returncode == 0, ran.stderr
    assert "#336 Numeric Scorer: R^2 0.9786673179225764" in " ".join(ran.stdout.split())
    status = knitflow("data", "fetch")
    assert f"came with knitflow: {site / 'engine' / 'datasets' / 'data'}" in status.stdout
    assert f"writes {elsewhere / 'data' / 'qm9.csv'}" in " ".join(status.stdout.split())
    refused = knitflow("data", "fetch", "--qm9", "--to", str(site / "engine" / "datasets" / "data"))
    assert refused.returncode == 2 and "inside the installed knitflow package" in refused.stderr


@pytest.mark.slow
def test_spark_workers_use_knitflows_python(tmp_path: Path) -> None:
    """With knitflow in a virtual environment that is not activated, `python3` on PATH is the
    system's (no numpy): Spark's Python workers must run knitflow's own interpreter."""
    from nodes import spark as spark_nodes

    if spark_nodes.missing_requirements() is not None:
        pytest.skip(f"Spark unavailable: {spark_nodes.missing_requirements()}")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\necho 'not the python you want' >&2\nexit 1\n", encoding="utf-8")
    (fake / "python3").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    env["PATH"] = f"{fake}{os.pathsep}{env.get('PATH', '')}"
    flow = ROOT / "workflows" / "12_01_SVD_toymodel.yaml"
    ran = subprocess.run(
        [*KNITFLOW, "run", str(flow), "--quiet", "--out", str(tmp_path / "out")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
