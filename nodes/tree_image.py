"""Decision Tree To Image: KNIME's picture of a decision tree as a PNG of a given size.

Followed from KNIME's DecTreeToImageNodeModel, DecTreeToImageGraphView, DecTreeNodeWidget and
HierarchicalGraphView (org.knime.base.node.mine.decisiontree2):

- which nodes are shown: down to `unfoldToLevel` (the root is level 0), or, for `totalCoverage`,
  the children of every shown node that holds at least `unfoldWithCoverage` (a fraction) of all
  training records; a node whose children stay hidden gets KNIME's plus sign.
- each box: `majority (n/total)`; with `displayTable` KNIME's class table (Category, %, n, the
  majority row shaded, then `Total` with the node's share of all training records); with
  `displayChart` a bar per colour of the optional data table's rows, only when those rows carry
  more than one colour. Rows are sent down the tree as KNIME's addCoveredColor does: a missing
  split value goes to every child, weighted by the child's share of the node's training records,
  and is not counted at the node itself; a row no branch takes stops counting there. The bars
  follow the order of Java's HashMap over the root's colours, as KNIME draws them.
- the edges carry the split: the attribute below the parent, the predicate without the attribute
  above the child (`<= 15.5`, `= red`, `isIn [a, b]`), numbers as KNIME's DoubleFormat prints them.
- the layout: one common box width (the root's box at zoom 1, plus 20), leaves side by side with a
  gap of 20, parents centred over their first and last child, 100 between levels, the tree in the
  top left corner of a transparent image; `fit` scales it up or down until it fills the image,
  `shrink` only down, `fixed` uses `scaleFactor` (KNIME's at most three rescaling rounds included).

Pixel identity with Java2D / Swing is not expected: text is measured and drawn with DejaVu Sans
(what Java's Dialog font is on Linux), the collapse icons are simple triangles. Two texts differ
where the model keeps less than KNIME's PMML: a binary nominal split of a two-valued attribute shows
as `= value` (an ordinary nominal split of it looks the same here), and the values of `isIn` sets
are sorted, as the order the learner met them in is not kept. The picture is always a PNG, as on
KNIME's image port.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VIEW,
    Category,
    ConfigureError,
    Model,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    View,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._colors import DEFAULT_COLOR, active_color_column, row_colors
from nodes._decision_tree import DECISION_TREE, KIND, DecisionTreeModel, TreeNode
from nodes._java_hash import capacity_after_puts, hash_order
from nodes._java_text import java_double_to_string, parse_java_double
from nodes._learning import model_spec_of
from nodes._mining import cell_text
from nodes._plotting import figure, locked

MAX_PIXELS = 2**31 - 1  # Integer.MAX_VALUE
BORDER = "#404040"  # ColorAttr.BORDER
PANEL_BORDER = "#c0c0c0"  # Color.lightGray of the collapsible panels
MAJORITY_SHADE = "#e1e1e1"  # Color(225, 225, 225)
FONT_SIZE = 12.0  # Swing's default label font
ICON_SIZE = 9  # the collapse icon of KNIME's panels
NodePath = tuple[int, ...]  # a tree node: the child indices from the root


class DecTreeToImageSettings(NodeSettings):
    """KNIME's DecTreeToImageNodeSettings (keys and defaults of the node model)."""

    unfoldMethod: Literal["totalCoverage", "level"] = Field(
        "totalCoverage",
        title="Branch display",
        description="level: every node down to `unfoldToLevel`; totalCoverage: the children of every shown node "
        "holding at least `unfoldWithCoverage` of all training records.",
    )
    unfoldToLevel: int = Field(2, ge=0, title="Unfold to level", description="The root is level 0.")
    unfoldWithCoverage: float = Field(
        0.05,
        title="Unfold with data coverage",
        description="A fraction of all training records (0.05 = 5%).",
    )
    displayTable: bool = Field(True, title="Display table", description="The class counts in each node.")
    displayChart: bool = Field(
        True,
        title="Display chart",
        description="Bars of the row colours of the optional data table (shown when it has more than one colour).",
    )
    width: int = Field(800, ge=1, description="Width of the image in pixels.")
    height: int = Field(600, ge=1, description="Height of the image in pixels.")
    scaleFactor: float = Field(
        1.0, gt=0, title="Zoom", description="The zoom for `scaling` = fixed (1.0 = 100%)."
    )
    scaling: Literal["shrink", "fit", "fixed"] = Field(
        "shrink",
        title="Tree scaling",
        description="shrink: scaled down only if it does not fit; fit: scaled up or down to fill the image; "
        "fixed: `scaleFactor`.",
    )


_KEYS = [
    "unfoldMethod",
    "unfoldToLevel",
    "unfoldWithCoverage",
    "displayTable",
    "displayChart",
    "width",
    "height",
    "scaleFactor",
    "scaling",
]
_CHOICES = {"unfoldMethod": ("totalCoverage", "level"), "scaling": ("shrink", "fit", "fixed")}


def _tree_image_from_knime(knime: KnimeSettings) -> None:
    """KNIME always writes all nine keys; an enum value KNIME does not know would not load there either."""
    knime.take_all(_KEYS)
    for key, allowed in _CHOICES.items():
        value = knime.settings.get(key)
        if value is not None and value not in allowed:
            del knime.settings[key]
            knime.lost(f"{key} = {value!r} is none of KNIME's values ({', '.join(allowed)})")
    knime.unread()


# ------------------------------------------------------------------------------ Java number texts


def _sign(value: float, rounded: Decimal) -> str:
    return "-" if rounded < 0 or (rounded == 0 and math.copysign(1.0, value) < 0) else ""


def decimal_format(value: float, digits: int, *, optional: bool = False, grouping: bool = True) -> str:
    """java.text.DecimalFormat with `digits` fraction digits (dropped when zero if `optional`),
    HALF_EVEN on the exact binary value, `,` every three digits when `grouping`."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    text = f"{abs(rounded):{',' if grouping else ''}.{digits}f}"
    if optional and "." in text:
        text = text.rstrip("0").rstrip(".")
    return _sign(value, rounded) + text


def _scientific(value: float) -> str:
    """DecimalFormat("0.00E0")."""
    exact = Decimal(abs(value))
    exponent = exact.adjusted()
    mantissa = exact.scaleb(-exponent).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    if mantissa >= 10:
        mantissa, exponent = Decimal("1.00"), exponent + 1
    return f"{'-' if value < 0 else ''}{mantissa}E{exponent}"


def double_format(value: float) -> str:
    """KNIME's DoubleFormat.formatDouble, which prints the thresholds of the split predicates."""
    if value == 0.0 or not math.isfinite(value):
        return java_double_to_string(value)
    size = abs(value)
    if size < 0.0001 or size >= 100_000_000:
        return _scientific(value)
    return decimal_format(value, 4, optional=True, grouping=size > 10)


def count_text(value: float) -> str:
    """DecTreeNodeWidget.convertCount: whole counts without decimals, others with one."""
    whole = math.isnan(value) or math.ceil(value) == value
    return decimal_format(value, 0 if whole else 1)


def percent_text(share: float) -> str:
    return decimal_format(100.0 * share, 1)


# ---------------------------------------------------------------------------------- tree content


def _threshold_text(value: Any) -> str:
    """PMMLSimplePredicate.toString: a threshold that parses as a double is printed by DoubleFormat."""
    text = java_double_to_string(value) if isinstance(value, float) else str(value)
    try:
        return double_format(parse_java_double(text))
    except ValueError:
        return text


def conditions(node: TreeNode) -> list[str]:
    """The connector label above each child: the PMML predicate KNIME's learner writes, without the
    split attribute (DecTreeNodeWidget.getConnectorLabelAbove)."""
    sets = any(op == "in" and len(ref) > 1 for op, ref in node.tests)
    labels = []
    for op, ref in node.tests:
        if op != "in":
            labels.append(f"{op} {_threshold_text(ref)}")
        elif sets:
            labels.append(f"isIn [{', '.join(sorted(ref))}]")
        else:
            labels.append(f"= {_threshold_text(next(iter(ref)))}")
    return labels


def tree_nodes(root: TreeNode) -> dict[NodePath, TreeNode]:
    """Every node by its path, depth first (children in branch order)."""
    found: dict[NodePath, TreeNode] = {}

    def walk(node: TreeNode, path: NodePath) -> None:
        found[path] = node
        for i, child in enumerate(node.children):
            walk(child, (*path, i))

    walk(root, ())
    return found


def visible_paths(root: TreeNode, settings: DecTreeToImageSettings) -> set[NodePath]:
    """DecTreeToImageGraphView: the nodes shown, level by level from the root."""
    total = root.entire()
    shown: set[NodePath] = set()
    level: list[tuple[NodePath, TreeNode]] = [((), root)]
    depth = 0
    while level:
        shown.update(p for p, _ in level)
        if settings.unfoldMethod == "level":
            unfold = [n for n in level if depth < settings.unfoldToLevel]
        else:
            unfold = [n for n in level if total > 0 and n[1].entire() / total >= settings.unfoldWithCoverage]
        level = [((*p, i), c) for p, n in unfold for i, c in enumerate(n.children)]
        depth += 1
    return shown


# --------------------------------------------------------------------------------- row colours


@dataclass(frozen=True)
class ColorCoverage:
    """The colour weights of the data rows reaching each node (KNIME's coveredColors), each in the
    order the colours first arrived; `column` is the column the rows are coloured by."""

    column: str | None
    weights: dict[NodePath, dict[str, float]]


def _attribute_cells(model: DecisionTreeModel, df: pd.DataFrame, a: int) -> list[Any]:
    series = df[model.attributes[a]]
    if model.nominal[a]:
        return [None if pd.isna(v) else cell_text(v) for v in series.tolist()]
    numbers = pd.to_numeric(series.astype(object), errors="coerce").astype(float)
    return [None if math.isnan(v) else v for v in numbers.tolist()]


_HOLDS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": lambda value, ref: bool(value <= ref),
    ">": lambda value, ref: bool(value > ref),
    "in": lambda value, ref: value in ref,
}


def _branch(node: TreeNode, value: Any) -> int:
    """The first child whose predicate holds, -1 for none."""
    return next((i for i, (op, ref) in enumerate(node.tests) if _HOLDS[op](value, ref)), -1)


@dataclass
class _Router:
    model: DecisionTreeModel
    df: pd.DataFrame
    reached: dict[NodePath, list[tuple[np.ndarray, np.ndarray]]]
    cells: dict[int, list[Any]]

    def column(self, a: int) -> list[Any]:
        if a not in self.cells:
            self.cells[a] = _attribute_cells(self.model, self.df, a)
        return self.cells[a]

    def send(self, node: TreeNode, path: NodePath, rows: np.ndarray, weights: np.ndarray) -> None:
        """DecisionTreeNodeSplit.addCoveredColor for many rows at once."""
        if len(rows) == 0:
            return
        if node.is_leaf:
            self.reached[path].append((rows, weights))
            return
        values = self.column(node.attribute)
        missing = np.array([values[r] is None for r in rows], dtype=bool)
        for i, child in enumerate(node.children):
            share = child.entire() / node.entire() if node.entire() else math.nan
            self.send(child, (*path, i), rows[missing], weights[missing] * share)
        branch = np.array([-1 if m else _branch(node, values[r]) for r, m in zip(rows, missing, strict=True)])
        for i, child in enumerate(node.children):
            taken = branch == i
            self.send(child, (*path, i), rows[taken], weights[taken])
            self.reached[path].append((rows[taken], weights[taken]))


def color_coverage(model: DecisionTreeModel, table: Table) -> ColorCoverage:
    """The rows of the colour table sent down the tree, each with the colour of its row."""
    df = table.df
    colors = row_colors(df) or [DEFAULT_COLOR] * len(df)
    router = _Router(model, df, defaultdict(list), {})
    router.send(model.root, (), np.arange(len(df)), np.ones(len(df)))
    weights: dict[NodePath, dict[str, float]] = {}
    for path, parts in router.reached.items():
        rows = np.concatenate([p[0] for p in parts])
        amounts = np.concatenate([p[1] for p in parts])
        found: dict[str, float] = {}
        for k in np.argsort(rows, kind="stable"):  # a colour arrives with the first row that has it
            color = colors[int(rows[k])]
            found[color] = found.get(color, 0.0) + float(amounts[k])
        weights[path] = found
    return ColorCoverage(active_color_column(df), weights)


# ------------------------------------------------------------------------------------- the boxes


@dataclass(frozen=True)
class BoxContent:
    """What one node's box shows (DecTreeNodeWidget)."""

    label: str  # "majority (n/total)"
    condition: str | None  # the connector label above the box (None for the root)
    split_attribute: str | None  # the connector label below the box, when its children are shown
    table: tuple[tuple[str, str, str], ...] | None  # (Category, %, n) rows, then ("Total", %, n)
    majority_row: int
    chart: tuple[tuple[str, float], ...] | None  # (colour, share of the node's rows) per root colour
    color_column: str | None
    folded: bool  # children hidden: KNIME's plus sign below the box


@dataclass(frozen=True)
class TreeBox:
    path: NodePath
    x: int
    y: int
    width: int
    height: int
    content: BoxContent


@dataclass(frozen=True)
class TreeLayout:
    """The laid-out tree: its boxes (breadth first, as KNIME paints them), the zoom it settled on
    and the size the drawing needs."""

    boxes: tuple[TreeBox, ...]
    scale: float
    width: int
    height: int


def color_map_order(colors: list[str]) -> list[str]:
    """The iteration order of the HashMap<Color, Double> KNIME fills in this order
    (Color.hashCode is the ARGB value)."""
    return hash_order(colors, _argb, capacity_after_puts(len(colors)))


def _argb(color: str) -> int:
    return 0xFF000000 | int(color.lstrip("#")[:6], 16)


def _chart(
    coverage: ColorCoverage | None, path: NodePath, settings: DecTreeToImageSettings
) -> tuple[tuple[str, float], ...] | None:
    if not settings.displayChart or coverage is None:
        return None
    root_colors = list(coverage.weights.get((), {}))
    if len(root_colors) <= 1:
        return None
    own = coverage.weights.get(path, {})
    total = sum(own.values())
    return tuple((c, own.get(c, 0.0) / total if total else math.nan) for c in color_map_order(root_colors))


def _table(model: DecisionTreeModel, node: TreeNode) -> tuple[tuple[str, str, str], ...]:
    entire, everything = node.entire(), model.root.entire()
    rows = [("Category", "% ", "n ")]
    for cls, count in zip(model.classes, node.counts.tolist(), strict=True):
        rows.append((cell_text(cls), percent_text(count / entire if entire else math.nan), count_text(count)))
    rows.append(("Total", percent_text(entire / everything if everything else math.nan), count_text(entire)))
    return tuple(rows)


def box_contents(
    model: DecisionTreeModel, settings: DecTreeToImageSettings, coverage: ColorCoverage | None = None
) -> dict[NodePath, BoxContent]:
    """What each shown node's box says, by path."""
    nodes = tree_nodes(model.root)
    shown = visible_paths(model.root, settings)
    above: dict[NodePath, str] = {}
    for path, node in nodes.items():
        above.update({(*path, i): text for i, text in enumerate(conditions(node))})
    contents = {}
    for path in sorted(shown, key=lambda p: (len(p), p)):
        node = nodes[path]
        unfolded = bool(node.children) and (*path, 0) in shown
        majority = cell_text(model.classes[node.majority])
        contents[path] = BoxContent(
            label=f"{majority} ({count_text(float(node.counts[node.majority]))}/{count_text(node.entire())})",
            condition=above.get(path),
            split_attribute=model.attributes[node.attribute] if unfolded else None,
            table=_table(model, node) if settings.displayTable else None,
            majority_row=node.majority,
            chart=_chart(coverage, path, settings),
            color_column=coverage.column if coverage is not None else None,
            folded=bool(node.children) and not unfolded,
        )
    return contents


# ------------------------------------------------------------------------------------ measuring


def jround(value: float) -> int:
    """Java's Math.round(float)."""
    return math.floor(float(np.float32(value)) + 0.5)


class Fonts:
    """Text sizes in pixels with DejaVu Sans (Java's Dialog on Linux). A text is measured once,
    large, and scaled: the zoom search lays the tree out several times."""

    MEASURED = 100.0  # the size texts are measured at

    def __init__(self) -> None:
        from matplotlib.font_manager import FontProperties, findfont
        from matplotlib.ft2font import FT2Font

        self.plain = FT2Font(findfont(FontProperties(family="DejaVu Sans")))
        self.bold = FT2Font(findfont(FontProperties(family="DejaVu Sans", weight="bold", style="italic")))
        for font in (self.plain, self.bold):
            font.set_size(self.MEASURED, 72)
        self.widths: dict[tuple[str, bool], float] = {}

    def width(self, text: str, size: float, bold: bool = False) -> int:
        key = (text, bold)
        if key not in self.widths:
            font = self.bold if bold else self.plain
            font.set_text(text, 0.0)
            self.widths[key] = font.get_width_height()[0] / 64 / self.MEASURED
        return math.ceil(self.widths[key] * size - 1e-9)

    def ascent(self, size: float) -> int:
        return math.ceil(size * self.plain.ascender / self.plain.units_per_EM)

    def height(self, size: float) -> int:
        return self.ascent(size) + math.ceil(-size * self.plain.descender / self.plain.units_per_EM)


@dataclass(frozen=True)
class _Sections:
    """The parts of a box at one zoom (DecTreeNodeWidget's panels), their preferred sizes."""

    scale: float
    line: int  # a label's height
    gap: int  # the label panel's FlowLayout gap
    inset: int  # the GridBag insets (1 * scale)
    title: int  # a collapsible panel's title height
    columns: tuple[int, int, int]  # the table's column widths
    width: int
    heights: tuple[int, int, int]  # label panel, table panel, chart panel (0: none)


def _sections(content: BoxContent, scale: float, fonts: Fonts) -> _Sections:
    size = FONT_SIZE * scale
    line, gap, inset = fonts.height(size), jround(5 * scale), jround(scale)
    title = max(line, max(jround(ICON_SIZE * scale), 1))
    widths = [fonts.width(content.label, size) + 2 * gap]
    columns = (0, 0, 0)
    table = chart = 0
    if content.table is not None:
        cells = content.table
        first, second, third = (max(fonts.width(r[i], size) for r in cells) + 2 * inset for i in range(3))
        columns = (first, second, third)
        rows = len(content.table) * (line + 2 * inset) + 2 * (2 + 2 * inset)
        table = rows + 2 * inset + title + 1
        widths.append(sum(columns) + 2 * inset + 2)
    if content.chart is not None:
        label = f"Color column: {content.color_column}" if content.color_column is not None else None
        rows = jround(40 * scale) + 2 * inset + (line + 2 * inset if label else 0)
        chart = rows + 2 * inset + title + 1
        widths.append((fonts.width(label, size) if label else 2) + 4 * inset + 2)
    return _Sections(scale, line, gap, inset, title, columns, max(widths) + 6, (line + 2 * gap, table, chart))


def box_height(sections: _Sections) -> int:
    return sum(sections.heights) + 6  # ComponentNodeWidget's empty border of 3


# --------------------------------------------------------------------------------------- layout


@dataclass
class _Placement:
    """HierarchicalGraphView.layoutGraph at one zoom."""

    children: dict[NodePath, list[NodePath]]
    heights: dict[NodePath, int]
    node_width: int
    level_gap: int
    branch_gap: int
    sign: tuple[int, int]  # size, distance
    folded: set[NodePath]
    rects: dict[NodePath, tuple[int, int]]
    right: int = 0
    bottom: int = 0

    def place(self, path: NodePath, y: int) -> int:
        """Lays out `path` and what is shown below it; returns its x."""
        kids = self.children.get(path, [])
        below = y + self.heights[path] + self.level_gap
        if kids:
            xs = [self.place(k, below) for k in kids]
            x = (xs[0] + xs[-1]) // 2
        else:
            x = self.right + self.branch_gap if self.right else 0
        self.rects[path] = (x, y)
        self.right = max(self.right, x + self.node_width)
        self.bottom = max(self.bottom, y + self.heights[path])
        if path in self.folded:  # the plus sign below counts to the graph's bounds
            delta = self.sign[1]
            self.bottom = max(self.bottom, y + self.heights[path] + self.level_gap // 2 - delta + 5)
        return x


def _place(
    contents: dict[NodePath, BoxContent], scale: float, base_width: int, fonts: Fonts
) -> tuple[_Placement, dict[NodePath, _Sections]]:
    sections = {p: _sections(c, scale, fonts) for p, c in contents.items()}
    children: dict[NodePath, list[NodePath]] = defaultdict(list)
    for path in sorted(contents):
        if path:
            children[path[:-1]].append(path)
    placement = _Placement(
        children,
        {p: box_height(s) for p, s in sections.items()},
        jround(scale * base_width),
        jround(scale * 100),
        jround(scale * 20),
        (jround(scale * 12), jround(scale * 4)),
        {p for p, c in contents.items() if c.folded},
        {},
    )
    placement.place((), 0)
    return placement, sections


def _needs_scaling(settings: DecTreeToImageSettings, width: int, height: int) -> bool:
    if settings.scaling == "fixed":
        return False
    dx, dy = width - settings.width, height - settings.height
    if settings.scaling == "fit" and dx < 0 and dy < 0:
        return dx <= -3 and dy <= -3
    return dx >= 3 or dy >= 3


def _optimal_scale(settings: DecTreeToImageSettings, width: int, height: int) -> float:
    f32 = np.float32
    s = float(min(f32(settings.width) / f32(width), f32(settings.height) / f32(height)))
    return s if settings.scaling == "fit" or (settings.scaling == "shrink" and s < 1) else 1.0


def _zoom(settings: DecTreeToImageSettings, measure: Callable[[float], tuple[int, int]]) -> float:
    """DecTreeToImageGraphView's constructor: up to three rescaling rounds, then the last zoom at
    which the tree fitted into the image if the final one does not."""
    scale = float(np.float32(settings.scaleFactor)) if settings.scaling == "fixed" else 1.0
    size = measure(scale)
    s, fitted = 1.0, -1.0
    for _ in range(3):
        if not _needs_scaling(settings, *size):
            break
        s = float(np.float32(_optimal_scale(settings, *size)) * np.float32(s))
        scale, size = s, measure(s)
        if size[0] < settings.width and size[1] < settings.height:
            fitted = s
    return fitted if fitted not in (-1.0, s) else scale


def tree_layout(
    model: DecisionTreeModel,
    settings: DecTreeToImageSettings,
    coverage: ColorCoverage | None = None,
    fonts: Fonts | None = None,
) -> TreeLayout:
    """The boxes KNIME draws for the shown nodes, placed and zoomed for the image size."""
    fonts = fonts or Fonts()
    contents = box_contents(model, settings, coverage)
    base_width = _sections(contents[()], 1.0, fonts).width + 20  # DecTreeGraphView.setRootNode

    def measure(scale: float) -> tuple[int, int]:
        placement, _ = _place(contents, scale, base_width, fonts)
        return placement.right, placement.bottom

    scale = _zoom(settings, measure)
    placement, sections = _place(contents, scale, base_width, fonts)
    boxes = tuple(
        TreeBox(p, *placement.rects[p], placement.node_width, box_height(sections[p]), contents[p])
        for p in contents
    )
    return TreeLayout(boxes, scale, placement.right, placement.bottom)


# -------------------------------------------------------------------------------------- drawing


@dataclass
class _Canvas:
    """Pixel drawing on a matplotlib axes spanning the whole image (y downwards). Shapes and lines
    are gathered and added as three collections (boxes, then lines, then the label backgrounds
    that cover the lines), which draws far faster than one artist each."""

    ax: Any
    fonts: Fonts
    patches: list[Any] = field(default_factory=list)
    covers: list[Any] = field(default_factory=list)
    segments: list[list[tuple[float, float]]] = field(default_factory=list)
    colors: list[str] = field(default_factory=list)

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        face: str = "none",
        edge: str = "none",
        cover: bool = False,
    ) -> None:
        from matplotlib.patches import Rectangle

        (self.covers if cover else self.patches).append(
            Rectangle((x, y), w, h, facecolor=face, edgecolor=edge, linewidth=1)
        )

    def round_rect(self, x: float, y: float, w: float, h: float, face: str, edge: str) -> None:
        from matplotlib.patches import FancyBboxPatch

        style = "round,pad=0,rounding_size=4"
        self.patches.append(
            FancyBboxPatch((x, y), w, h, boxstyle=style, facecolor=face, edgecolor=edge, linewidth=1)
        )

    def polygon(self, points: list[tuple[float, float]], face: str) -> None:
        from matplotlib.patches import Polygon

        self.patches.append(Polygon(points, closed=True, facecolor=face, edgecolor="none"))

    def circle(self, x: float, y: float, size: float) -> None:
        from matplotlib.patches import Ellipse

        self.patches.append(Ellipse((x, y), size, size, facecolor="none", edgecolor=BORDER, linewidth=1))

    def line(self, xs: list[float], ys: list[float], color: str = BORDER) -> None:
        self.segments.append(list(zip(xs, ys, strict=True)))
        self.colors.append(color)

    def text(
        self, x: float, top: float, text: str, size: float, align: str = "left", bold: bool = False
    ) -> None:
        self.ax.text(
            x,
            top + self.fonts.ascent(size),
            text,
            fontsize=size,
            family="DejaVu Sans",
            fontweight="bold" if bold else "normal",
            fontstyle="italic" if bold else "normal",
            ha=align,
            va="baseline",
            color="black",
            zorder=3,
        )

    def flush(self) -> None:
        from matplotlib.collections import LineCollection, PatchCollection

        self.ax.add_collection(PatchCollection(self.patches, match_original=True, zorder=1), autolim=False)
        lines = LineCollection(self.segments, colors=self.colors, linewidths=1, capstyle="butt", zorder=2)
        self.ax.add_collection(lines, autolim=False)
        self.ax.add_collection(PatchCollection(self.covers, match_original=True, zorder=2.5), autolim=False)


def _clipped(text: str, room: int, size: float, fonts: Fonts, bold: bool) -> str:
    """A JLabel too narrow for its text ends it in `...`."""
    if fonts.width(text, size, bold) <= room:
        return text
    while text and fonts.width(text + "...", size, bold) > room:
        text = text[:-1]
    return text + "..."


def _panel(
    canvas: _Canvas, x: int, y: int, w: int, h: int, title: str, sec: _Sections
) -> tuple[int, int, int]:
    """CollapsibleBorder: the title top left, light grey lines around; returns the content's x, y, width."""
    size = FONT_SIZE * sec.scale
    icon = max(jround(ICON_SIZE * sec.scale), 1)
    mid = y + sec.title // 2
    title_width = icon + 4 + canvas.fonts.width(title, size)
    canvas.line([x, x + 3], [mid, mid], PANEL_BORDER)
    canvas.line(
        [x + 3 + title_width, x + w - 1, x + w - 1, x, x], [mid, mid, y + h - 1, y + h - 1, mid], PANEL_BORDER
    )
    ty = y + (sec.title - icon) / 2
    canvas.polygon([(x + 3, ty), (x + 3 + icon, ty), (x + 3 + icon / 2, ty + icon)], "#606060")
    canvas.text(x + 3 + icon + 4, y + (sec.title - sec.line) / 2, title, size)
    inner = 1 + sec.inset
    return x + inner, y + sec.title + sec.inset, w - 2 * inner


def _draw_table(canvas: _Canvas, content: BoxContent, x: int, y: int, w: int, sec: _Sections) -> None:
    assert content.table is not None
    size, pad, row = FONT_SIZE * sec.scale, sec.inset, sec.line + 2 * sec.inset
    extra = (w - sum(sec.columns)) / 3  # GridBag shares the rest among the three columns
    widths = [c + extra for c in sec.columns]
    edges = [x, x + widths[0], x + widths[0] + widths[1], x + w]
    rows = list(content.table)
    top = y
    for i, cells in enumerate(rows):
        if i in (1, len(rows) - 1):  # the separators under the header and above the total
            canvas.line([x + pad, x + w - pad], [top + pad + 1, top + pad + 1])
            top += 2 + 2 * pad
        if i - 1 == content.majority_row:
            canvas.rect(x + pad, top + pad, w - 2 * pad, sec.line, face=MAJORITY_SHADE)
        canvas.text(edges[0] + pad, top + pad, cells[0], size)
        canvas.text(edges[2] - pad, top + pad, cells[1], size, align="right")
        canvas.text(edges[3] - pad, top + pad, cells[2], size, align="right")
        top += row


def _draw_chart(canvas: _Canvas, content: BoxContent, x: int, y: int, w: int, sec: _Sections) -> None:
    assert content.chart is not None
    pad = sec.inset
    top = y + pad
    if content.color_column is not None:
        canvas.text(x + pad, top, f"Color column: {content.color_column}", FONT_SIZE * sec.scale)
        top += sec.line + 2 * pad
    bw, bh = w - 2 * pad - 1, jround(40 * sec.scale) - 1
    bx, by = x + pad, top
    canvas.rect(bx, by, bw, bh, face="white")
    bar = bw / len(content.chart)
    for i, (color, share) in enumerate(content.chart):
        height = 0 if math.isnan(share) else jround(share * bh)
        canvas.rect(bx + int(i * bar), by + bh - height, int(bar), height, face=color, edge=BORDER)
    right = bx + int(bar * len(content.chart))
    canvas.line([bx, bx, right, right], [by, by + bh, by + bh, by])


def _draw_box(canvas: _Canvas, box: TreeBox, sec: _Sections) -> None:
    content = box.content
    canvas.round_rect(box.x, box.y, box.width - 1, box.height - 1, "white", "none")
    x, w = box.x + 3, box.width - 6
    label_h, table_h, chart_h = sec.heights
    size = FONT_SIZE * sec.scale
    canvas.text(
        x + w / 2, box.y + 3 + sec.gap, _clipped(content.label, w, size, canvas.fonts, False), size, "center"
    )
    top = box.y + 3 + label_h
    if table_h:
        cx, cy, cw = _panel(canvas, x, top, w, table_h, "Table:", sec)
        _draw_table(canvas, content, cx, cy, cw, sec)
        top += table_h
    if chart_h:
        cx, cy, cw = _panel(canvas, x, top, w, chart_h, "Chart:", sec)
        _draw_chart(canvas, content, cx, cy, cw, sec)
    canvas.round_rect(box.x, box.y, box.width - 1, box.height - 1, "none", BORDER)


def _connector_label(canvas: _Canvas, box: TreeBox, text: str, above: bool, scale: float) -> None:
    size = FONT_SIZE * scale
    room = box.width + jround(-10 * scale)
    w = min(room, canvas.fonts.width(text, size, True))
    h = canvas.fonts.height(size)
    x = box.x + (box.width - w) // 2
    y = box.y - h + jround(-18 * scale) if above else box.y + box.height + jround(10 * scale)
    canvas.rect(x, y, w, h, face="white", cover=True)
    canvas.text(x, y, _clipped(text, w, size, canvas.fonts, True), size, bold=True)


def _draw_edges(canvas: _Canvas, box: TreeBox, kids: list[TreeBox], level_gap: int) -> None:
    """The lines from a box to its shown children (HierarchicalGraphView.paint)."""
    xx, bottom = box.x + box.width // 2, box.y + box.height
    yy = bottom + level_gap // 2
    canvas.line([xx, xx], [bottom, yy])  # to the children, or to the plus sign of a folded node
    for i, kid in enumerate(kids):
        cx = kid.x + kid.width // 2
        if 0 < i < len(kids) - 1 or cx == xx:
            canvas.line([cx, cx], [yy, kid.y])
        else:
            bend = 3 if i == 0 else -3
            canvas.line([xx, cx + bend, cx, cx], [yy, yy, yy + 3, kid.y])


def _draw_sign(canvas: _Canvas, box: TreeBox, scale: float, plus: bool) -> None:
    size, delta = jround(12 * scale), jround(4 * scale)
    x = box.x + box.width // 2 - size - delta
    y = box.y + box.height + jround(100 * scale) // 2 - size - delta
    canvas.circle(x + size / 2, y + size / 2, size)
    canvas.line([x + 3, x + size - 3], [y + size / 2, y + size / 2])
    if plus:
        canvas.line([x + size / 2, x + size / 2], [y + 3, y + size - 3])


def draw_tree(layout: TreeLayout, width: int, height: int, fonts: Fonts) -> bytes:
    """The laid-out tree as a PNG of `width` x `height` pixels (transparent outside the boxes)."""
    fig, ax = figure("", (width / 72, height / 72), 72)
    ax.set_position((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    fig.patch.set_alpha(0.0)
    canvas = _Canvas(ax, fonts)
    level_gap = jround(100 * layout.scale)
    by_path = {b.path: b for b in layout.boxes}
    for box in layout.boxes:
        _draw_box(canvas, box, _sections(box.content, layout.scale, fonts))
        kids = [by_path[p] for p in sorted(by_path) if len(p) == len(box.path) + 1 and p[:-1] == box.path]
        if kids or box.content.folded:
            _draw_edges(canvas, box, kids, level_gap)
        if box.content.condition:
            _connector_label(canvas, box, box.content.condition, True, layout.scale)
        if box.content.split_attribute and kids:
            _connector_label(canvas, box, box.content.split_attribute, False, layout.scale)
        if kids or box.content.folded:
            _draw_sign(canvas, box, layout.scale, plus=box.content.folded)
    canvas.flush()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, transparent=True, metadata={"Software": None})
    return buf.getvalue()


# ----------------------------------------------------------------------------------------- node


def _check_learning_columns(model: Any, spec: Any, cls: type[NodeError]) -> None:
    if model is None or not isinstance(spec, TableSpec):
        return
    for col in model.learning_columns.columns:
        if col.name not in spec:
            raise cls(f'Learning column "{col.name}" not found in the data input (color information).')


class DecisionTreeToImage(Node):
    """KNIME's Decision Tree To Image."""

    type_name = "decision_tree_to_image"
    display_name = "Decision Tree To Image"
    category = Category.VISUALIZER
    description = (
        "Draws a decision tree as KNIME's tree view does, on a PNG of the given size: the nodes down to a level "
        "or those whose parent covers enough of the training data; in each box the majority class with its count, "
        "the class table and, from the optional data table's row colours, a bar chart; the split conditions on "
        "the edges; scaled to fit, shrunk to fit, or at a fixed zoom."
    )
    keywords = ("decision tree", "image", "png", "tree view", "picture", "render", "visualize")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.decisiontree2.image.DecTreeToImageNodeFactory",
            "Decision Tree To Image",
            _tree_image_from_knime,
        ),
    )
    inputs = (
        Port(DECISION_TREE, "Decision tree model", "A tree from the Decision Tree Learner."),
        Port(
            TABLE,
            "Data (color information)",
            "Only its row colours are used: the rows are sent down the tree for the bar charts.",
            optional=True,
        ),
    )
    outputs = (Port(VIEW, "Image", "The image of the decision tree (PNG)."),)
    Settings = DecTreeToImageSettings

    def configure(self, in_specs: list[Any], settings: DecTreeToImageSettings, ctx: NodeContext) -> list[Any]:
        if settings.width * settings.height > MAX_PIXELS:
            raise ConfigureError(
                f"The maximum image size (width * heigth) of {MAX_PIXELS:,} pixel is exceeded.",
                setting="width",
            )
        data = in_specs[1] if len(in_specs) > 1 else None
        _check_learning_columns(model_spec_of(in_specs[0], KIND), data, ConfigureError)
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: DecTreeToImageSettings, ctx: NodeContext) -> list[Any]:
        model = inputs[0]
        if not isinstance(model, Model) or not isinstance(model.payload, DecisionTreeModel):
            raise NodeError("Decision Tree evaluation failed: No tree model found.")
        data = inputs[1] if len(inputs) > 1 else None
        coverage = None
        if isinstance(data, Table):
            _check_learning_columns(model.spec, data.spec, NodeError)
            coverage = color_coverage(model.payload, data)
        tree: DecisionTreeModel = model.payload

        def draw() -> bytes:
            fonts = Fonts()
            layout = tree_layout(tree, settings, coverage, fonts)
            return draw_tree(layout, settings.width, settings.height, fonts)

        return [View(render=locked(draw), title=f"Image (PNG, {settings.width}x{settings.height})")]
