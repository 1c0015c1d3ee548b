"""A command-line run prepares its costly output files in two processes: a forked child draws some
pictures and formats some large tables. The same bytes as made here, and nothing the child does
(fail, die, hang) changes what the run writes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from engine.api import View, picture_format
from engine.cli import main as cli_main
from engine.core import parallel_outputs
from engine.core.parallel_outputs import Job, can_share_work, share_work

pytestmark = pytest.mark.skipif(not can_share_work(), reason="needs os.fork and two cores")

PNG = b"\x89PNG\r\n\x1a\n"


def jobs_noting_where(n: int, child_does: str = "work") -> tuple[list[Job], list[int]]:
    """Jobs that note which ones ran here; in a child, `child_does` may be "fail", "die" or "hang"."""
    parent = os.getpid()
    done_here: list[int] = []

    def job(i: int) -> Job:
        def make() -> bytes:
            if os.getpid() != parent:
                if child_does == "fail":
                    raise RuntimeError("no fonts")
                if child_does == "die":
                    os._exit(3)
                if child_does == "hang":
                    time.sleep(60)
            else:
                done_here.append(i)
            return f"job {i}".encode()

        return Job(make, cost=1.0)

    return [job(i) for i in range(n)], done_here


def test_about_half_of_the_work_is_done_in_a_child_and_comes_back_in_order() -> None:
    jobs, done_here = jobs_noting_where(5)
    assert share_work(jobs) == [f"job {i}".encode() for i in range(5)]
    assert len(done_here) == 3 and done_here == sorted(done_here)


def test_the_costliest_jobs_are_spread_over_both_processes() -> None:
    parent = os.getpid()

    def where() -> str:
        return "here" if os.getpid() == parent else "child"

    costs = [5.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    done = share_work([Job(where, c) for c in costs])
    assert done[0] == "here" and done[1:] == ["child"] * 5


@pytest.mark.parametrize("child_does", ["fail", "die", "hang"])
def test_what_the_child_could_not_do_is_none(child_does: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel_outputs, "LEAST_WAIT", 0.5)
    jobs, done_here = jobs_noting_where(4, child_does)
    started = time.monotonic()
    done = share_work(jobs)
    assert time.monotonic() - started < 30  # a hung child is killed, not waited for
    assert [d is None for d in done] == [k not in done_here for k in range(4)]
    assert len(done_here) == 2


def workflow_file(tmp_path: Path, plots: int, rows: int) -> Path:
    rows_yaml = ", ".join(f"[{i % 7}, {i}]" for i in range(rows))
    nodes = [
        "  - {id: 1, type: table_creator, settings: {columns: [{name: x, type: Double}, "
        f"{{name: y, type: Double}}], rows: [{rows_yaml}]}}}}"
    ]
    connections = []
    for i in range(2, 2 + plots):
        nodes.append(
            f"  - {{id: {i}, type: scatter_plot, settings: {{x_axis_column_v3: x, y_axis_column_v3: y, title: p{i}}}}}"
        )
        connections.append(f"  - {{source: 1, source_port: 1, dest: {i}, dest_port: 1}}")
    nodes.append("  - {id: 90, type: table_view}")
    connections.append("  - {source: 1, source_port: 1, dest: 90, dest_port: 1}")
    workflow = tmp_path / "plots.yaml"
    workflow.write_text(
        "name: plots\nnodes:\n" + "\n".join(nodes) + "\nconnections:\n" + "\n".join(connections) + "\n"
    )
    return workflow


@pytest.mark.parametrize("views", ["png", "svg"])
def test_a_command_line_run_writes_the_same_files_as_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, views: str
) -> None:
    workflow = workflow_file(tmp_path, plots=4, rows=12_000)  # a table of 24,000 cells is prepared
    assert cli_main(["run", str(workflow), "--quiet", "--views", views, "--out", str(tmp_path / "two")]) == 0
    monkeypatch.setattr(parallel_outputs, "can_share_work", lambda: False)
    assert cli_main(["run", str(workflow), "--quiet", "--views", views, "--out", str(tmp_path / "one")]) == 0
    two = sorted(p.name for p in (tmp_path / "two").iterdir() if p.name != "run.json")
    assert two == [f"{i}_Scatter_Plot_port1.{views}" for i in range(2, 6)] + ["90_Table_View_port1.csv"]
    for name in two:
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name


def test_a_picture_of_a_script_stays_what_it_is() -> None:
    def raster() -> bytes:
        return PNG + picture_format().encode()  # a script's own PNG, whatever was asked

    views = [View(render=raster, title=str(i)) for i in range(3)]
    parallel_outputs_done = share_work([Job(lambda v=v: v.picture("svg")[0], 1.0) for v in views])  # type: ignore[index,misc]
    assert parallel_outputs_done == [PNG + b"svg"] * 3
