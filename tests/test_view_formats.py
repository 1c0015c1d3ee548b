"""`knitflow run --views png|svg|none`: views are drawn only when written, in the format asked for;
"none" draws nothing at all; a view that can only give a raster image stays a PNG."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pandas as pd
import pytest

from engine.api import Table, View, picture_format
from engine.cli import main as cli_main
from engine.core.outputs import write_outputs
from engine.core.testing import run_node

PNG = b"\x89PNG\r\n\x1a\n"

WORKFLOW = """
name: views
nodes:
  - id: 1
    type: table_creator
    settings:
      columns: [{name: x, type: Double}, {name: y, type: Double}]
      rows: [[1, 2], [2, 3], [3, 5]]
  - id: 2
    type: scatter_plot
    settings: {x_axis_column_v3: x, y_axis_column_v3: y, title: points}
connections:
  - {source: 1, source_port: 1, dest: 2, dest_port: 1}
"""


def scatter_view() -> View:
    table = Table(pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 3.0, 5.0]}))
    (view,) = run_node(
        "scatter_plot", {"x_axis_column_v3": "x", "y_axis_column_v3": "y", "title": "t"}, table
    ).outputs
    assert isinstance(view, View)
    return view


def test_a_view_draws_in_the_format_asked_for_and_only_once_per_format() -> None:
    calls: list[str] = []

    def draw() -> bytes:
        calls.append(picture_format())
        return b"<svg/>" if picture_format() == "svg" else PNG + b"..."

    view = View(render=draw, title="v")
    assert view.has_picture and calls == []  # nothing drawn to know it is a picture
    assert view.picture("svg") == (b"<svg/>", "svg")
    assert view.picture("svg") == (b"<svg/>", "svg")
    assert view.png == PNG + b"..."
    assert calls == ["svg", "png"]
    assert picture_format() == "png"  # the format asked for ends with the drawing


def test_a_raster_only_view_stays_a_png_when_svg_is_asked() -> None:
    view = View(render=lambda: PNG + b"raster")
    assert view.picture("svg") == (PNG + b"raster", "png")
    assert View(png=PNG).picture("svg") == (PNG, "png")
    assert View(table=None).picture("png") is None and not View().has_picture


def test_scatter_plot_draws_svg_and_png_and_pickles_both() -> None:
    view = scatter_view()
    svg, kind = view.picture("svg") or (b"", "")
    assert kind == "svg" and b"<svg" in svg[:1000]
    assert svg == scatter_view().picture("svg")[0]  # type: ignore[index]  # no date or random ids in it
    assert view.png is not None and view.png.startswith(PNG)
    back = pickle.loads(pickle.dumps(view))
    assert back.png == view.png and back.picture("svg") == (svg, "svg")


@pytest.mark.parametrize(("views", "suffix"), [("png", ".png"), ("svg", ".svg"), ("none", None)])
def test_cli_writes_views_as_asked(tmp_path: Path, views: str, suffix: str | None) -> None:
    path = tmp_path / "views.yaml"
    path.write_text(WORKFLOW)
    out = tmp_path / "out"
    assert cli_main(["run", str(path), "--out", str(out), "--quiet", "--views", views]) == 0
    run = json.loads((out / "run.json").read_text())
    (plot,) = [n for n in run["nodes"] if n["id"] == 2]
    pictures = sorted(p.suffix for p in out.iterdir() if p.suffix in {".png", ".svg"})
    if suffix is None:
        assert pictures == [] and "file" not in plot["outputs"][0]
        assert plot["outputs"][0]["kind"] == "view"
    else:
        assert pictures == [suffix] and plot["outputs"][0]["file"].endswith(suffix)


def test_views_none_never_draws(tmp_path: Path) -> None:
    from engine.core.workflow import Workflow

    path = tmp_path / "views.yaml"
    path.write_text(WORKFLOW)
    result = Workflow.load(path).run()
    view = result.status[2].outputs[0]
    drawn: list[int] = []
    original = view._render
    view._render = lambda: drawn.append(1) or original()
    write_outputs(result, tmp_path / "out", views="none")
    assert drawn == [] and (tmp_path / "out" / "run.json").exists()
    with pytest.raises(ValueError, match="views must be one of png, svg, none"):
        write_outputs(result, tmp_path / "out2", views="jpg")


def test_image_view_passes_the_format_through() -> None:
    (image,) = run_node("image_view", {"title": "again"}, scatter_view()).outputs
    assert image.picture("svg")[1] == "svg" and image.png.startswith(PNG)
    (empty,) = run_node("image_view", {}, View(title="nothing")).outputs
    assert not empty.has_picture
