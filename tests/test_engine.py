"""Engine core: loading errors, specs, ordering, failures, concurrency, cache, variables, loops,
seeds, CLI exit codes, atomic and canonical saves. Uses only the toy nodes of tests/toy_nodes.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import toy_nodes

from engine.api import TableSpec
from engine.cli import main as cli_main
from engine.core.document import WorkflowLoadError
from engine.core.scheduler import EXECUTED
from engine.core.workflow import Workflow

ROOT = Path(__file__).resolve().parent.parent


def wf_text(body: str, name: str = "t") -> str:
    return f"format: knitflow/1\nname: {name}\n" + textwrap.dedent(body)


def write(tmp_path: Path, body: str, name: str = "t") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(wf_text(body, name))
    return path


def problems_of(tmp_path: Path, body: str) -> list:
    with pytest.raises(WorkflowLoadError) as info:
        Workflow.load(write(tmp_path, body))
    return info.value.problems


CHAIN = """
nodes:
  - id: 1
    type: toy_range
    settings: {n: 4}
  - id: 2
    type: toy_add
    settings: {amount: 2}
  - id: 3
    type: toy_add
connections:
  - 1:1 -> 2:1
  - 2:1 -> 3:1
"""


# ------------------------------------------------------------------------------------ loading


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    (p,) = problems_of(tmp_path, "nodes:\n  - id: 1\n    type: [unclosed\n")
    assert "YAML syntax" in p.message and p.line is not None and p.file.endswith("t.yaml")


def test_unknown_type_and_bad_setting_and_duplicate_id_all_reported(tmp_path: Path) -> None:
    probs = problems_of(
        tmp_path,
        """
        nodes:
          - id: 1
            type: no_such_node
          - id: 2
            type: toy_range
            settings: {n: many}
          - id: 2
            type: toy_range
        """,
    )
    text = "\n".join(map(str, probs))
    assert "unknown node type 'no_such_node'" in text
    assert "duplicate node id 2" in text
    bad = next(p for p in probs if p.setting == "n")
    assert bad.node_id == 2 and bad.line == 9 and "integer" in bad.message
    assert str(bad).startswith(str(tmp_path / "t.yaml") + ":9: node #2: setting 'n':")


def test_unknown_setting_is_rejected(tmp_path: Path) -> None:
    (p,) = problems_of(tmp_path, "nodes:\n  - id: 1\n    type: toy_range\n    settings: {nn: 3}\n")
    assert p.setting == "nn" and p.node_id == 1


def test_wiring_problems(tmp_path: Path) -> None:
    probs = problems_of(
        tmp_path,
        """
        nodes:
          - id: 1
            type: toy_range
          - id: 2
            type: toy_add
          - id: 3
            type: toy_push
          - id: 4
            type: toy_add
        connections:
          - 1:1 -> 2:1
          - 1:1 -> 2:1
          - 1:5 -> 4:1
          - 3:1 -> 4:1
          - 9:1 -> 2:1
        """,
    )
    text = "\n".join(map(str, probs))
    assert "already has a connection" in text
    assert "has no output port 5" in text
    assert "port type mismatch" in text
    assert "there is no node 9" in text


def test_missing_required_input_and_cycle(tmp_path: Path) -> None:
    probs = problems_of(
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
          - 2:1 -> 3:1
          - 3:1 -> 2:1
        """,
    )
    text = "\n".join(map(str, probs))
    assert "cycle" in text
    # like KNIME (which loads the workflow and shows the node red), a required input left
    # unconnected is a configure-time error of that node alone, not a load problem
    assert "required input port" not in text


def test_missing_required_input_is_an_error_of_that_node(tmp_path: Path) -> None:
    wf = Workflow.load(
        write(
            tmp_path,
            """
            nodes:
              - id: 1
                type: toy_add
              - id: 2
                type: toy_range
                settings: {n: 3}
            """,
        )
    )
    status = wf.validate()
    assert status[1].error is not None and "required input port 1" in status[1].error
    assert status[2].error is None


def test_loop_end_without_start_is_a_load_error(tmp_path: Path) -> None:
    (p,) = problems_of(
        tmp_path,
        """
        nodes:
          - id: 1
            type: toy_range
          - id: 2
            type: toy_loop_end
        connections:
          - 1:1 -> 2:1
        """,
    )
    assert p.node_id == 2 and "loop start" in p.message


def test_use_variables_must_name_a_setting(tmp_path: Path) -> None:
    (p,) = problems_of(tmp_path, "nodes:\n  - id: 1\n    type: toy_range\n    use_variables: {bogus: x}\n")
    assert p.setting == "bogus"


# ------------------------------------------------------------------------------ specs, running


def test_spec_propagation_reports_missing_column_before_running(tmp_path: Path) -> None:
    wf = Workflow.load(
        write(
            tmp_path,
            CHAIN.replace(
                "type: toy_add\nconnections", "type: toy_add\n    settings: {column: y}\nconnections"
            ),
        )
    )
    status = wf.validate()
    assert status[1].specs == [TableSpec.of([("x", "Integer")])]
    assert status[3].state == "idle" and "'y' not in input" in status[3].error
    assert status[2].state == "configured"


def test_chain_runs_in_order_and_output_api(tmp_path: Path) -> None:
    wf = Workflow.load(write(tmp_path, CHAIN))
    result = wf.run()
    assert result.ok
    assert list(result.output(3)["x"]) == [3, 4, 5, 6]
    assert list(result.output(3).index) == ["Row0", "Row1", "Row2", "Row3"]
    assert all(s.state == EXECUTED for s in result.status.values())


def test_failure_stops_only_descendants(tmp_path: Path) -> None:
    wf = Workflow.load(
        write(
            tmp_path,
            """
            nodes:
              - id: 1
                type: toy_range
              - id: 2
                type: toy_fail
              - id: 3
                type: toy_add
              - id: 4
                type: toy_add
            connections:
              - 1:1 -> 2:1
              - 2:1 -> 3:1
              - 1:1 -> 4:1
            """,
        )
    )
    result = wf.run()
    assert not result.ok
    assert result.status[2].error == "toy failure"
    assert result.status[3].state != EXECUTED and result.status[3].error is None
    assert result.status[4].state == EXECUTED


def test_independent_branches_run_concurrently(tmp_path: Path) -> None:
    toy_nodes.ToySleep.spans.clear()
    wf = Workflow.load(
        write(
            tmp_path,
            """
            nodes:
              - id: 1
                type: toy_range
              - id: 2
                type: toy_sleep
              - id: 3
                type: toy_sleep
            connections:
              - 1:1 -> 2:1
              - 1:1 -> 3:1
            """,
        )
    )
    assert wf.run().ok
    (a0, a1), (b0, b1) = sorted(toy_nodes.ToySleep.spans)
    assert b0 < a1, "the two sleeping branches should overlap in time"


# ------------------------------------------------------------------------------------ cache


def test_cache_hits_and_why_it_ran(tmp_path: Path) -> None:
    wf = Workflow.load(write(tmp_path, CHAIN))
    toy_nodes.ToyAdd.calls = 0
    first = wf.run()
    assert [first.status[i].reason for i in (1, 2, 3)] == ["not run before"] * 3
    assert toy_nodes.ToyAdd.calls == 2
    second = wf.run()
    assert toy_nodes.ToyAdd.calls == 2, "an unchanged workflow executes nothing"
    assert all(second.status[i].cached for i in (1, 2, 3))
    wf.set_setting(3, "amount", 10)
    third = wf.run()
    assert toy_nodes.ToyAdd.calls == 3
    assert third.status[2].cached and not third.status[3].cached
    assert third.status[3].reason == "settings changed"
    wf.set_setting(1, "n", 2)
    fourth = wf.run()
    assert [fourth.status[i].reason for i in (1, 2, 3)] == [
        "settings changed",
        "input port 1 changed",
        "input port 1 changed",
    ]


def test_disk_cache_survives_processes(tmp_path: Path) -> None:
    path = write(tmp_path, CHAIN)
    cache = tmp_path / "cache"
    assert Workflow.load(path).run(cache_dir=cache).ok
    again = Workflow.load(path).run(cache_dir=cache)
    assert all(s.cached for s in again.status.values())


def test_random_node_without_seed_is_never_cached(tmp_path: Path) -> None:
    wf = Workflow.load(write(tmp_path, "nodes:\n  - id: 1\n    type: toy_random\n"))
    a = wf.run().output(1)["r"].tolist()
    second = wf.run()
    assert not second.status[1].cached and second.status[1].reason == "randomised node without seed"
    assert a != second.output(1)["r"].tolist()


def test_run_seed_makes_runs_identical_and_cacheable(tmp_path: Path) -> None:
    path = write(tmp_path, "nodes:\n  - id: 1\n    type: toy_random\n  - id: 2\n    type: toy_random\n")
    a = Workflow.load(path).run(seed=7)
    b = Workflow.load(path).run(seed=7)
    c = Workflow.load(path).run(seed=8)
    assert a.output(1).equals(b.output(1)) and a.output(2).equals(b.output(2))
    assert not a.output(1).equals(a.output(2)), "seeds differ per node"
    assert not a.output(1).equals(c.output(1))
    wf = Workflow.load(path)
    wf.run(seed=7)
    assert wf.run(seed=7).status[1].cached


# ------------------------------------------------------------------------------- variables, loops


def test_workflow_variables_and_set_override(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        variables: {n: 2, column: x}
        nodes:
          - id: 1
            type: toy_range
            use_variables: {n: n}
            settings: {column: "${column}"}
        """,
    )
    assert len(Workflow.load(path).run().output(1)) == 2
    assert len(Workflow.load(path).run(variables={"n": "5"}).output(1)) == 5


def test_variable_scoping_and_exposed_variables(tmp_path: Path) -> None:
    wf = Workflow.load(
        write(
            tmp_path,
            """
            nodes:
              - id: 1
                type: toy_range
                settings: {n: 2}
                expose_variables: {n: rows}
              - id: 2
                type: toy_count_loop
                settings: {count: 2}
              - id: 3
                type: toy_push
                settings: {name: inner, value: 5}
              - id: 4
                type: toy_vars
              - id: 5
                type: toy_add
              - id: 6
                type: toy_loop_end
              - id: 7
                type: toy_vars
            connections:
              - 1:1 -> 2:1
              - 2:1 -> 3:1
              - 3:1 -> 4:0
              - 2:1 -> 5:1
              - 4:0 -> 5:0
              - 5:1 -> 6:1
              - 6:1 -> 7:0
            """,
        )
    )
    result = wf.run()
    assert result.ok, [s.error for s in result.failed()]
    inside = result.output(4)
    assert (
        inside["inner"].iloc[0] == 5
        and inside["currentIteration"].iloc[0] == 1
        and inside["rows"].iloc[0] == 2
    )
    after = result.output(7)
    assert "rows" in after.columns
    assert "currentIteration" not in after.columns and "inner" not in after.columns, (
        "loop-local variables are dropped"
    )


def test_nested_loops(tmp_path: Path) -> None:
    wf = Workflow.load(
        write(
            tmp_path,
            """
            nodes:
              - id: 1
                type: toy_range
                settings: {n: 1}
              - id: 2
                type: toy_count_loop
                settings: {count: 3}
              - id: 3
                type: toy_count_loop
                settings: {count: 2}
              - id: 4
                type: toy_add
              - id: 5
                type: toy_loop_end
              - id: 6
                type: toy_loop_end
            connections:
              - 1:1 -> 2:1
              - 2:1 -> 3:1
              - 3:1 -> 4:1
              - 4:1 -> 5:1
              - 5:1 -> 6:1
            """,
        )
    )
    out = wf.run().output(6)
    assert len(out) == 6
    # outer end sees the outer pass number, inner passes were collected by the inner end
    assert out["pass"].tolist() == [0, 0, 1, 1, 2, 2]


def test_loop_store_lives_as_long_as_its_loop(tmp_path: Path) -> None:
    import gc

    Kept = toy_nodes.Kept

    wf = Workflow.load(
        write(
            tmp_path,
            """
        nodes:
          - {id: 1, type: toy_range, settings: {n: 1}}
          - {id: 2, type: toy_count_loop, settings: {count: 2}}
          - {id: 3, type: toy_count_loop, settings: {count: 3}}
          - {id: 4, type: toy_store}
          - {id: 5, type: toy_loop_end}
          - {id: 6, type: toy_loop_end}
          - {id: 7, type: toy_store}
        connections: ["1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1", "4:1 -> 5:1", "5:1 -> 6:1", "1:1 -> 7:1"]
        """,
        )
    )
    Kept.made.clear()
    result = wf.run(workers=1)
    assert result.ok, [s.error for s in result.failed()]
    # each run of the inner loop starts with an empty store that its passes share
    assert result.output(6)["seen"].tolist() == [1, 2, 3, 1, 2, 3]
    assert result.output(7)["seen"].tolist() == [-1]  # outside loops: none
    gc.collect()
    assert len(Kept.made) == 2 and all(ref() is None for ref in Kept.made)  # let go when the loop ended


def test_parallel_loop_passes_match_sequential(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        nodes:
          - id: 1
            type: toy_range
          - id: 2
            type: toy_count_loop
            settings: {count: 5}
          - id: 3
            type: toy_pid
          - id: 4
            type: toy_loop_end
        connections:
          - 1:1 -> 2:1
          - 2:1 -> 3:1
          - 3:1 -> 4:1
        """,
    )
    sequential = Workflow.load(path).run(seed=3, workers=1)
    parallel = Workflow.load(path).run(seed=3, workers=2)
    assert sequential.ok and parallel.ok, [s.error for s in parallel.failed()]
    seq, par = sequential.output(4), parallel.output(4)
    assert set(seq["pid"]) == {os.getpid()}
    # the first pass runs in this process (it pays first-call costs once), and so does the last
    # (its body is the one shown: nothing to send back), the others in workers
    pids = par.groupby("pass")["pid"].agg(set)
    assert pids[0] == pids[4] == {os.getpid()} and all(os.getpid() not in p for p in pids[1:4])
    assert seq.drop(columns="pid").equals(par.drop(columns="pid"))
    assert parallel.status[3].state == EXECUTED and len(parallel.output(3)) == 3


def test_sibling_loops_each_fork_their_passes(tmp_path: Path) -> None:
    # 11_01's two searches are siblings: each must still run its passes in worker processes (a loop
    # started from a pool thread could not fork and would share the GIL with the other)
    path = write(
        tmp_path,
        """
        nodes:
          - {id: 1, type: toy_range}
          - {id: 2, type: toy_count_loop, settings: {count: 4}}
          - {id: 3, type: toy_pid}
          - {id: 4, type: toy_loop_end}
          - {id: 5, type: toy_count_loop, settings: {count: 4}}
          - {id: 6, type: toy_pid}
          - {id: 7, type: toy_loop_end}
        connections: ["1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1", "1:1 -> 5:1", "5:1 -> 6:1", "6:1 -> 7:1"]
        """,
    )
    result = Workflow.load(path).run(workers=2)
    assert result.ok, [s.error for s in result.failed()]
    for end in (4, 7):
        passes = result.output(end)
        middle = passes[(passes["pass"] > 0) & (passes["pass"] < 3)]  # the first and last run here
        assert len(middle) and os.getpid() not in set(middle["pid"])


@pytest.mark.parametrize("workers", [1, 2])  # 2: the failing pass runs in a forked worker
def test_loop_failure_isolated(tmp_path: Path, workers: int) -> None:
    wf = Workflow.load(
        write(
            tmp_path,
            """
            nodes:
              - id: 1
                type: toy_range
              - id: 2
                type: toy_count_loop
              - id: 3
                type: toy_fail
              - id: 4
                type: toy_loop_end
              - id: 5
                type: toy_add
            connections:
              - 1:1 -> 2:1
              - 2:1 -> 3:1
              - 3:1 -> 4:1
              - 1:1 -> 5:1
            """,
        )
    )
    result = wf.run(workers=workers)
    assert result.status[3].error == "toy failure" and "#3 toy failure" in str(result.status[4].error)
    assert result.status[5].state == EXECUTED


def test_until_executes_only_what_is_needed(tmp_path: Path) -> None:
    wf = Workflow.load(write(tmp_path, CHAIN))
    result = wf.run(until=2)
    assert result.status[2].state == EXECUTED and result.status[3].state != EXECUTED


# ---------------------------------------------------------------------------------- saving


def test_round_trip_bytes_and_one_setting_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, CHAIN)
    wf = Workflow.load(path)
    wf.save(tmp_path / "a.yaml")
    first = (tmp_path / "a.yaml").read_bytes()
    again = Workflow.load(tmp_path / "a.yaml")
    assert again.doc == wf.doc
    again.save()
    assert (tmp_path / "a.yaml").read_bytes() == first, "saving an unchanged workflow rewrites the same bytes"
    again.set_setting(2, "amount", 3.5)
    again.save(tmp_path / "b.yaml")
    a_lines = first.decode().splitlines()
    b_lines = (tmp_path / "b.yaml").read_text().splitlines()
    assert len(a_lines) == len(b_lines)
    changed = [(x, y) for x, y in zip(a_lines, b_lines, strict=True) if x != y]
    assert [(x.strip(), y.strip()) for x, y in changed] in (
        [("amount: 2", "amount: 3.5")],
        [("amount: 2.0", "amount: 3.5")],
    )


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, CHAIN)
    before = path.read_bytes()
    wf = Workflow.load(path)

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        wf.save()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_saved_files_get_normal_permissions(tmp_path: Path) -> None:
    from engine.core.yamlio import atomic_write

    new = tmp_path / "new.yaml"
    atomic_write(new, "a: 1\n")
    umask = os.umask(0)
    os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's owner-only 0600
    new.chmod(0o640)
    atomic_write(new, "a: 2\n")
    assert new.stat().st_mode & 0o777 == 0o640  # a replaced file keeps its mode


# --------------------------------------------------------------------------------------- CLI


def test_cli_exit_codes_and_run_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = write(tmp_path, CHAIN, "ok")
    assert cli_main(["run", str(ok), "--out", str(tmp_path / "o1"), "--quiet"]) == 0
    run = json.loads((tmp_path / "o1" / "run.json").read_text())
    assert run["status"] == "ok" and run["workflow"] == "ok"
    node3 = next(n for n in run["nodes"] if n["id"] == 3)
    assert node3["outputs"][0] == {
        "port": 1,
        "kind": "table",
        "rows": 4,
        "columns": 1,
        "file": "3_toy_add_port1.csv",
    }
    assert (tmp_path / "o1" / "3_toy_add_port1.csv").read_text().splitlines()[:2] == ["RowID,x", "Row0,3.0"]
    failing = write(
        tmp_path,
        "nodes:\n  - id: 1\n    type: toy_range\n  - id: 2\n    type: toy_fail\nconnections:\n  - 1:1 -> 2:1\n",
        "bad",
    )
    assert cli_main(["run", str(failing), "--out", str(tmp_path / "o2"), "--quiet"]) == 1
    assert json.loads((tmp_path / "o2" / "run.json").read_text())["status"] == "failed"
    invalid = write(tmp_path, "nodes:\n  - id: 1\n    type: nope\n", "inv")
    assert cli_main(["run", str(invalid), "--quiet"]) == 2
    assert cli_main(["validate", str(invalid)]) == 2
    assert cli_main(["validate", str(ok)]) == 0
    assert cli_main(["run", str(ok), "--set", "nope=1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unknown node type 'nope'" in err and "inv.yaml:5" in err


def test_cli_schema_and_nodes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "nodes" in schema["properties"]
    assert cli_main(["nodes", "toy_range"]) == 0
    assert "\n  n  int  = 3\n" in capsys.readouterr().out
    assert cli_main(["nodes", "toy_range", "--json"]) == 0
    assert "n" in json.loads(capsys.readouterr().out)["settings"]["properties"]


def test_help_is_fast() -> None:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "engine.cli", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    imported = out.stderr
    for heavy in ("pandas", "sklearn", "matplotlib", "rdkit", "pydantic"):
        assert f" {heavy}\n" not in imported and f" {heavy}." not in imported, f"--help imports {heavy}"


def test_a_loop_of_tiny_passes_keeps_them_in_its_own_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forking workers costs more than a few millisecond passes could save: they run here."""
    monkeypatch.delenv("KNITFLOW_POOL_SECONDS")
    path = write(
        tmp_path,
        """
        nodes:
          - {id: 1, type: toy_range}
          - {id: 2, type: toy_count_loop, settings: {count: 6}}
          - {id: 3, type: toy_pid}
          - {id: 4, type: toy_loop_end}
        connections: ["1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1"]
        """,
    )
    result = Workflow.load(path).run(workers=2)
    assert result.ok, [s.error for s in result.failed()]
    passes = result.output(4)
    assert sorted(set(passes["pass"])) == list(range(6)) and set(passes["pid"]) == {os.getpid()}


def test_a_pool_is_worth_it_only_when_parallel_passes_save_more_than_it_costs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from engine.core.executors import POOL_SECONDS, worth_forking

    monkeypatch.delenv("KNITFLOW_POOL_SECONDS")

    assert not worth_forking(5, 0.01, 2)  # 10_02's six small fits
    assert worth_forking(199, 0.05, 2)  # 11_01's forests
    assert not worth_forking(1, 10.0, 2)  # one pass left: nothing runs beside it
    assert worth_forking(2, POOL_SECONDS * 1.01, 2) and not worth_forking(2, POOL_SECONDS * 0.99, 2)
