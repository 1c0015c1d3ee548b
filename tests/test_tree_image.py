"""Decision Tree To Image: which nodes KNIME unfolds, what each box says, the colour bars (rows
sent down the tree as addCoveredColor does), the PNG's size, the mapping of the real settings and a
learner -> image -> Image Writer workflow.

The tree: x = 1..20, classes A (x 1-5), B (6-9), C (10-15), D (16-20); y is small for A and B and
large for C and D. Counting by hand: x <= 15.5 holds A5 B4 C6 (15 of 20 rows), x > 15.5 D5; below
it y <= 5 holds A5 B4 (9 rows), y > 5 C6; below that x <= 5.5 holds A5, x > 5.5 B4.
"""

from __future__ import annotations

import io
import struct
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment

from engine.api import ConfigureError, Model, Table
from engine.core.testing import run_node
from engine.core.workflow import Workflow
from nodes._colors import ColorModel, set_color_model
from nodes.tree_image import (
    DecTreeToImageSettings,
    box_contents,
    color_coverage,
    color_map_order,
    count_text,
    double_format,
    percent_text,
    tree_layout,
    visible_paths,
)

FACTORY = "org.knime.base.node.mine.decisiontree2.image.DecTreeToImageNodeFactory"
CLASSES = ["A"] * 5 + ["B"] * 4 + ["C"] * 6 + ["D"] * 5
Y = [1, 2, 1, 2, 1, 1, 2, 1, 2, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8]
COLORS = {"A": "#ff0000", "B": "#00ff00", "C": "#0000ff", "D": "#ffff00"}
ALL = {(), (0,), (1,), (0, 0), (0, 1), (0, 0, 0), (0, 0, 1)}


def training() -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(1.0, 21.0), "y": np.array(Y, dtype=float), "cls": CLASSES})


@cache
def learned() -> Model:
    return run_node("decision_tree_learner", {"classifyColumn": "cls"}, training())[1]


def colored(df: pd.DataFrame) -> pd.DataFrame:
    set_color_model(df, "cls", ColorModel("nominal", dict(COLORS)))
    return df


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_the_learned_tree_is_the_one_counted_by_hand() -> None:
    root = learned().payload.root
    assert root.counts.tolist() == [5, 4, 6, 5] and root.tests == [("<=", 15.5), (">", 15.5)]
    low = root.children[0]
    assert low.counts.tolist() == [5, 4, 6, 0] and low.tests == [("<=", 5.0), (">", 5.0)]
    assert low.children[0].counts.tolist() == [5, 4, 0, 0] and low.children[0].tests[0] == ("<=", 5.5)
    assert len(low.children[0].children) == 2 and root.children[1].is_leaf and low.children[1].is_leaf


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (0, {()}),
        (1, {(), (0,), (1,)}),
        (2, {(), (0,), (1,), (0, 0), (0, 1)}),
        (3, ALL),
        (9, ALL),
    ],
)
def test_unfold_to_level(level: int, expected: set[tuple[int, ...]]) -> None:
    settings = DecTreeToImageSettings(unfoldMethod="level", unfoldToLevel=level)
    assert visible_paths(learned().payload.root, settings) == expected


@pytest.mark.parametrize(
    ("coverage", "expected"),
    [
        (0.8, {(), (0,), (1,)}),  # only the root (20/20) unfolds; x <= 15.5 holds 15/20 = 0.75
        (0.5, {(), (0,), (1,), (0, 0), (0, 1)}),  # 0.75 unfolds, y <= 5 with 9/20 = 0.45 does not
        (0.45, ALL),  # at least: 9/20 unfolds at exactly 0.45
        (1.01, {()}),
    ],
)
def test_unfold_with_coverage(coverage: float, expected: set[tuple[int, ...]]) -> None:
    settings = DecTreeToImageSettings(unfoldMethod="totalCoverage", unfoldWithCoverage=coverage)
    assert visible_paths(learned().payload.root, settings) == expected


def test_box_texts_and_placement() -> None:
    settings = DecTreeToImageSettings(unfoldMethod="level", unfoldToLevel=1, width=2000, height=2000)
    layout = tree_layout(learned().payload, settings)
    root, low, high = layout.boxes
    assert (root.path, low.path, high.path) == ((), (0,), (1,))
    assert root.content.label == "C (6/20)" and root.content.condition is None
    assert root.content.split_attribute == "x" and not root.content.folded
    assert root.content.table == (
        ("Category", "% ", "n "),
        ("A", "25.0", "5"),
        ("B", "20.0", "4"),
        ("C", "30.0", "6"),
        ("D", "25.0", "5"),
        ("Total", "100.0", "20"),
    )
    assert root.content.majority_row == 2 and root.content.chart is None
    assert (low.content.label, low.content.condition, low.content.split_attribute) == (
        "C (6/15)",
        "<= 15.5",
        None,
    )
    assert low.content.folded  # its children stay hidden at level 1: KNIME's plus sign
    assert low.content.table is not None and low.content.table[1:3] == (
        ("A", "33.3", "5"),
        ("B", "26.7", "4"),
    )
    assert low.content.table[-1] == ("Total", "75.0", "15")
    assert (high.content.label, high.content.condition, high.content.folded) == ("D (5/5)", "> 15.5", False)
    # zoom 1 fits: leaves side by side 20 apart, the parent centred, 100 between the levels
    assert layout.scale == 1.0
    assert low.x == 0 and high.x == low.x + low.width + 20 and root.x == (low.x + high.x) // 2
    assert low.y == high.y == root.height + 100 and len({b.width for b in layout.boxes}) == 1
    deeper = box_contents(learned().payload, DecTreeToImageSettings(unfoldWithCoverage=0.0))
    assert [deeper[p].condition for p in [(0, 0), (0, 1), (0, 0, 0), (0, 0, 1)]] == [
        "<= 5",
        "> 5",
        "<= 5.5",
        "> 5.5",
    ]
    assert deeper[(0, 0)].label == "A (5/9)" and deeper[(0, 0)].split_attribute == "x"
    no_table = box_contents(learned().payload, DecTreeToImageSettings(displayTable=False))
    assert no_table[()].table is None


def test_scaling_fit_shrink_and_fixed() -> None:
    tree = learned().payload
    natural = tree_layout(tree, DecTreeToImageSettings(width=5000, height=5000))
    assert natural.scale == 1.0  # shrink never enlarges
    fit = tree_layout(tree, DecTreeToImageSettings(width=5000, height=5000, scaling="fit"))
    assert fit.scale > 1.0 and (fit.width <= 5000 and fit.height <= 5000)
    assert max(fit.width, fit.height) > 0.9 * 5000  # it fills one side (as far as three rounds get)
    shrunk = tree_layout(tree, DecTreeToImageSettings(width=natural.width // 2, height=5000))
    assert shrunk.scale < 1.0 and shrunk.width < natural.width // 2 + 3  # KNIME lets 2 pixels stick out
    fixed = tree_layout(tree, DecTreeToImageSettings(width=10, height=10, scaling="fixed", scaleFactor=0.6))
    assert fixed.scale == pytest.approx(0.6) and fixed.width > 10


def test_colour_bars_follow_the_rows_down_the_tree() -> None:
    data = training()
    extra = pd.DataFrame({"x": [np.nan], "y": [1.0], "cls": ["D"]})  # missing x: down both branches
    table = Table.from_frame(colored(pd.concat([data, extra], ignore_index=True)))
    coverage = color_coverage(learned().payload, table)
    assert coverage.column == "cls"
    # Java's HashMap<Color, Double> buckets (ARGB ^ ARGB >>> 16) & 15: green 0, red/blue/yellow 15
    assert color_map_order(["#ff0000", "#00ff00", "#0000ff", "#ffff00"]) == [
        "#00ff00",
        "#ff0000",
        "#0000ff",
        "#ffff00",
    ]
    contents = box_contents(learned().payload, DecTreeToImageSettings(unfoldWithCoverage=0.0), coverage)
    order = ["#00ff00", "#ff0000", "#0000ff", "#ffff00"]
    shares = {p: dict(c.chart or ()) for p, c in contents.items()}
    assert list(shares[()]) == order and contents[()].color_column == "cls"
    # the row with missing x is not counted at the root, but at both children (15/20 and 5/20 of it)
    assert [shares[()][c] for c in order] == pytest.approx([4 / 20, 5 / 20, 6 / 20, 5 / 20])
    assert [shares[(0,)][c] for c in order] == pytest.approx([4 / 15.75, 5 / 15.75, 6 / 15.75, 0.75 / 15.75])
    assert [shares[(1,)][c] for c in order] == pytest.approx([0, 0, 0, 1])
    # its y is known at x <= 15.5, so it goes on to y <= 5, whose x split sends it on 5/9 : 4/9 again
    assert [shares[(0, 0)][c] for c in order] == pytest.approx([4 / 9, 5 / 9, 0, 0])
    yellow = 0.75 * 5 / 9
    assert shares[(0, 0, 0)]["#ffff00"] == pytest.approx(yellow / (5 + yellow))
    one_colour = color_coverage(learned().payload, Table.from_frame(training()))
    assert one_colour.column is None
    plain = box_contents(learned().payload, DecTreeToImageSettings(), one_colour)
    assert all(c.chart is None for c in plain.values())  # KNIME: a chart only with more than one colour


def test_java_number_texts() -> None:
    assert [double_format(v) for v in (15.5, 5.0, 0.125, 12345.678912, 0.00001234, 123456789.0)] == [
        "15.5",
        "5",
        "0.125",
        "12,345.6789",
        "1.23E-5",
        "1.23E8",
    ]
    assert [count_text(v) for v in (5.0, 2.25, 1234.0)] == ["5", "2.2", "1,234"]  # HALF_EVEN
    assert [percent_text(v) for v in (1 / 3, 4 / 15, 1.0)] == ["33.3", "26.7", "100.0"]


def test_nominal_split_conditions() -> None:
    df = pd.DataFrame({"c": ["red", "green", "blue"] * 4, "cls": ["P", "Q", "Q"] * 4})
    multi = run_node("decision_tree_learner", {"classifyColumn": "cls"}, df)[1].payload
    assert [box_contents(multi, DecTreeToImageSettings())[(i,)].condition for i in range(3)] == [
        "= red",
        "= green",
        "= blue",
    ]
    binary = run_node("decision_tree_learner", {"classifyColumn": "cls", "binaryNominalSplit": True}, df)[1]
    contents = box_contents(binary.payload, DecTreeToImageSettings())
    assert (contents[(0,)].condition, contents[(1,)].condition) == ("isIn [red]", "isIn [blue, green]")


def test_node_draws_a_png_of_the_requested_size() -> None:
    data = colored(training())
    view = run_node("decision_tree_to_image", {"width": 321, "height": 123}, learned(), data)[1]
    png = view.png
    assert png_size(png) == (321, 123)
    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(png))
    assert pixels.shape == (123, 321, 4) and pixels[-1, -1, 3] == 0  # transparent where nothing is drawn
    assert pixels[:, :, 3].max() == 1.0


def test_configure_checks_the_colour_table_and_the_image_size() -> None:
    with pytest.raises(ConfigureError, match='Learning column "y" not found in the data input'):
        run_node("decision_tree_to_image", {}, learned(), training()[["x", "cls"]])
    with pytest.raises(ConfigureError, match="maximum image size"):
        run_node("decision_tree_to_image", {"width": 50000, "height": 50000}, learned())


def test_imports_the_real_settings(tmp_path: Path) -> None:
    model = {
        "unfoldMethod": "totalCoverage",
        "unfoldToLevel": 2,
        "unfoldWithCoverage": 0.05,
        "displayTable": True,
        "displayChart": True,
        "width": 200,
        "height": 1800,
        "scaleFactor": '<entry key="scaleFactor" type="xfloat" value="1.0"/>',
        "scaling": "fit",
    }
    node, report, _ = import_fragment(tmp_path, FACTORY, model)
    assert node.type == "decision_tree_to_image" and findings(report) == []
    assert node.settings == {**model, "scaleFactor": 1.0}
    view = run_node("decision_tree_to_image", node.settings, learned())[1]
    assert png_size(view.png) == (200, 1800)
    _, report, _ = import_fragment(tmp_path, FACTORY, {**model, "scaling": "stretch", "colour": 1})
    assert len(findings(report)) == 2 and any("scaling" in f for f in findings(report))


WORKFLOW = """format: knitflow/1
name: tree picture
nodes:
  - id: 1
    type: table_creator
    settings:
      columns: [{name: x, type: Double}, {name: y, type: Double}, {name: cls, type: String}]
      rows: ROWS
  - id: 2
    type: decision_tree_learner
    settings: {classifyColumn: cls}
  - id: 3
    type: decision_tree_to_image
    settings: {width: 240, height: 360, scaling: fit, unfoldMethod: level, unfoldToLevel: 1}
  - id: 4
    type: image_writer
    settings: {file: FILE}
connections:
  - 1:1 -> 2:1
  - 2:1 -> 3:1
  - 1:1 -> 3:2
  - 3:1 -> 4:1
"""


def test_learner_to_image_writer_workflow(tmp_path: Path) -> None:
    rows = [[str(float(x)), str(float(y)), c] for x, y, c in zip(range(1, 21), Y, CLASSES, strict=True)]
    target = tmp_path / "tree.png"
    text = WORKFLOW.replace("ROWS", str(rows)).replace("FILE", str(target))
    result = Workflow.from_text(text, base_dir=tmp_path).run()
    assert result.ok, [s.error for s in result.failed()]
    assert png_size(target.read_bytes()) == (240, 360)
