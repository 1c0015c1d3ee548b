"""A command-line run draws half of its pictures in a forked process: the same bytes as drawn here,
and nothing the child does (fail, die, hang) changes what the run writes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest

from engine.api import Table, View, picture_format
from engine.cli import main as cli_main
from engine.core import parallel_pictures
from engine.core.parallel_pictures import can_draw_in_parallel, draw_in_parallel
from engine.core.testing import run_node

pytestmark = pytest.mark.skipif(not can_draw_in_parallel(), reason="needs os.fork and two cores")

PNG = b"\x89PNG\r\n\x1a\n"


def counted_views(n: int, child_does: str = "draw") -> tuple[list[View], list[int]]:
    """Views whose drawing notes the process that drew it; in a child, `child_does` may be
    "fail", "die" or "hang" instead."""
    parent = os.getpid()
    drawn_here: list[int] = []

    def render_for(i: int):  # type: ignore[no-untyped-def]
        def render() -> bytes:
            if os.getpid() != parent:
                if child_does == "fail":
                    raise RuntimeError("no fonts")
                if child_does == "die":
                    os._exit(3)
                if child_does == "hang":
                    time.sleep(60)
            else:
                drawn_here.append(i)
            return PNG + f"view {i} as {picture_format()}".encode()

        return render

    return [View(render=render_for(i), title=f"v{i}") for i in range(n)], drawn_here


def test_half_of_the_pictures_are_drawn_in_a_child_and_come_back() -> None:
    views, drawn_here = counted_views(5)
    draw_in_parallel(views, "png")
    assert drawn_here == [0, 2, 4]  # the child drew 1 and 3
    assert [v.needs_drawing("png") for v in views] == [False] * 5
    assert [v.png for v in views] == [PNG + f"view {i} as png".encode() for i in range(5)]
    assert drawn_here == [0, 2, 4]  # nothing drawn twice


@pytest.mark.parametrize("child_does", ["fail", "die", "hang"])
def test_what_the_child_could_not_draw_is_drawn_here_when_written(
    child_does: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel_pictures, "LEAST_WAIT", 0.5)
    views, drawn_here = counted_views(4, child_does)
    started = time.monotonic()
    draw_in_parallel(views, "png")
    assert time.monotonic() - started < 30  # a hung child is killed, not waited for
    assert [v.needs_drawing("png") for v in views] == [False, True, False, True]
    assert [v.png for v in views] == [PNG + f"view {i} as png".encode() for i in range(4)]
    assert drawn_here == [0, 2, 1, 3]


def test_a_failing_view_is_left_for_its_writer_to_report() -> None:
    def broken() -> bytes:
        raise ValueError("bad axis")

    views = [View(render=broken, title="a"), View(render=broken, title="b")]
    draw_in_parallel(views, "svg")
    assert all(v.needs_drawing("svg") for v in views)
    with pytest.raises(ValueError, match="bad axis"):
        views[0].picture("svg")


def test_real_plots_are_the_same_bytes_as_drawn_in_one_process() -> None:
    table = Table(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [2.0, 3.0, 5.0, 4.0]}))

    def scatter(title: str) -> View:
        settings = {"x_axis_column_v3": "x", "y_axis_column_v3": "y", "title": title}
        (view,) = run_node("scatter_plot", settings, table).outputs
        assert isinstance(view, View)
        return view

    for fmt in ("png", "svg"):
        two = [scatter(f"plot {i}") for i in range(3)]
        draw_in_parallel(two, fmt)
        one = [scatter(f"plot {i}") for i in range(3)]
        assert [v.picture(fmt) for v in two] == [v.picture(fmt) for v in one]


def test_a_command_line_run_writes_every_picture(tmp_path: Path) -> None:
    nodes = [
        "  - {id: 1, type: table_creator, settings: {columns: [{name: x, type: Double}, "
        "{name: y, type: Double}], rows: [[1, 2], [2, 3], [3, 5]]}}"
    ]
    connections = []
    for i in range(2, 6):
        nodes.append(
            f"  - {{id: {i}, type: scatter_plot, settings: "
            f"{{x_axis_column_v3: x, y_axis_column_v3: y, title: p{i}}}}}"
        )
        connections.append(f"  - {{source: 1, source_port: 1, dest: {i}, dest_port: 1}}")
    workflow = tmp_path / "plots.yaml"
    workflow.write_text(
        "name: plots\nnodes:\n" + "\n".join(nodes) + "\nconnections:\n" + "\n".join(connections) + "\n"
    )
    assert cli_main(["run", str(workflow), "--quiet", "--out", str(tmp_path / "out")]) == 0
    pictures = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert pictures == [f"{i}_Scatter_Plot_port1.png" for i in range(2, 6)]
    assert all((tmp_path / "out" / p).read_bytes().startswith(PNG) for p in pictures)
