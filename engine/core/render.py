"""`knitflow render`: a workflow drawn as a standalone SVG with the editor's KNIME look (name above
a 32 px square coloured by category, ports, bezier connections, traffic lights, annotations)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from engine.api import Port, PortType
from engine.core.document import WorkflowDoc, node_ports
from engine.core.registry import registry

NODE = 32
PORT = 9
ICONS = Path(__file__).resolve().parents[1] / "editor" / "web" / "icons"
CATEGORY_COLORS = {
    "source": "#ff9632",
    "sink": "#ff4b4b",
    "manipulator": "#ffd800",
    "learner": "#c8e632",
    "predictor": "#3cb44b",
    "visualizer": "#2b94b1",
    "scorer": "#d2a384",
    "loop start": "#88d8e4",
    "loop end": "#88d8e4",
    "script": "#cbd9a9",
    "other": "#d2a384",
}
LAMPS = {"idle": (0, "#c11f27"), "configured": (1, "#ffd800"), "executed": (2, "#72b95e")}
BLUE = "#4a9fe0"


@cache
def _icon(category: str) -> str:
    """The inner markup of the category's icon (the same files the editor shows)."""
    path = ICONS / f"{category.replace(' ', '-')}.svg"
    if not path.exists():
        path = ICONS / "other.svg"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    m = re.search(r"<svg[^>]*>(.*)</svg>", text, re.S)
    return m.group(1).strip() if m else ""


def _port_offset(i: int, n: int) -> float:
    if n <= 1:
        return NODE / 2
    step = min(14.0, NODE / n)
    return NODE / 2 + (i - (n + 1) / 2) * step


def _port_center(pos: tuple[int, int], n_ports: int, side: str, port: int) -> tuple[float, float]:
    x, y = pos
    if port == 0:
        return (x + 28.5, y - 6.5) if side == "out" else (x + 3.5, y - 6.5)
    cy = y + _port_offset(port, n_ports)
    return (x + NODE + PORT / 2, cy) if side == "out" else (x - PORT / 2, cy)


def _port_shape(pt: PortType, cx: float, cy: float, optional: bool, side: str) -> str:
    fill = "#fff" if optional else pt.color
    if pt.shape == "circle":
        return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{fill}" stroke="{pt.color}"/>'
    if pt.shape == "square":
        return f'<rect x="{cx - 4:.1f}" y="{cy - 4:.1f}" width="8" height="8" fill="{fill}" stroke="{pt.color}"/>'
    return (
        f'<path d="M{cx - 4:.1f},{cy - 4:.1f} L{cx + 4:.1f},{cy:.1f} L{cx - 4:.1f},{cy + 4:.1f} Z" '
        f'fill="{fill}" stroke="{pt.color}" stroke-linejoin="round"/>'
    )


def _wrap(text: str, width: int, lines: int) -> list[str]:
    words, out, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            out.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        out.append(cur)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1] + "…"
    return out


def _state_of(value: Any) -> tuple[str, str | None]:
    if value is None:
        return "idle", None
    if isinstance(value, str):
        return value, None
    return str(getattr(value, "state", "idle")), getattr(value, "error", None)


CONTAINER_COLORS = {"metanode": "#9e9e9e", "component": "#5c5c5c"}


def render_svg(doc: WorkflowDoc, statuses: Mapping[int, Any] | None = None) -> str:
    """The workflow as SVG text. `statuses` maps node ids to a state name or a NodeStatus; without
    it every light is drawn off (the file alone says nothing about a run)."""
    if any(n.position is None for n in doc.nodes):
        from engine.core.layout import auto_layout

        doc = doc.model_copy(deep=True)
        auto_layout(doc)
    positions: dict[int, tuple[int, int]] = {n.id: tuple(n.position or (0, 0)) for n in doc.nodes}  # type: ignore[misc]
    x0, y0, width, height = _view_box(doc, positions)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0} {y0} {width} {height}" width="{width}" '
        f'height="{height}" font-family="Roboto, Helvetica, Arial, sans-serif">',
        f"<title>{escape(doc.name)}</title>",
        f'<rect x="{x0}" y="{y0}" width="{width}" height="{height}" fill="#fff"/>',
    ]
    for a in doc.annotations:
        out += _annotation_svg(a.bounds, a.text)
    classes = {n.id: registry.get(n.type) for n in doc.nodes}
    ports = _ports_of(doc, classes)
    for c in doc.connections:
        if c.source in positions and c.dest in positions:
            out.append(_link_svg(c, ports, positions))
    var_used = {(c.source, "out") for c in doc.connections if c.source_port == 0}
    var_used |= {(c.dest, "in") for c in doc.connections if c.dest_port == 0}
    for n in doc.nodes:
        out.append(f'<g class="node" data-id="{n.id}">')
        out += _node_body_svg(n, classes.get(n.id), positions[n.id], ports.get(n.id), var_used)
        x, y = positions[n.id]
        state, error = _state_of((statuses or {}).get(n.id))
        out += _lights_svg(x, y, state, statuses is not None)
        if error:
            out.append(
                f'<g class="error"><title>{escape(error)}</title><circle cx="{x + 16}" cy="{y + 53}" r="5" '
                f'fill="#c11f27"/><path d="M{x + 14},{y + 51} l4,4 m0,-4 l-4,4" stroke="#fff" stroke-width="1.4"/></g>'
            )
        if n.annotation:
            for i, line in enumerate(n.annotation.splitlines()[:4]):
                out.append(
                    f'<text x="{x + 16}" y="{y + 70 + 13 * i}" text-anchor="middle" font-size="11" '
                    f'fill="#333">{escape(line)}</text>'
                )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


_Ports = tuple[tuple[Port, ...], tuple[Port, ...]]  # a node's (inputs, outputs)


def _view_box(doc: WorkflowDoc, positions: dict[int, tuple[int, int]]) -> tuple[int, int, int, int]:
    """x, y, width and height around every node (with its name, lights and note) and annotation."""
    xs0, ys0, xs1, ys1 = [], [], [], []
    for x, y in positions.values():
        xs0.append(x - 60)
        ys0.append(y - 45)
        xs1.append(x + 92)
        ys1.append(y + 85)
    for a in doc.annotations:
        x, y, w, h = a.bounds
        xs0.append(x)
        ys0.append(y)
        xs1.append(x + w)
        ys1.append(y + h)
    if not xs0:
        xs0, ys0, xs1, ys1 = [0], [0], [200], [100]
    x0, y0 = min(xs0) - 10, min(ys0) - 10
    return x0, y0, max(xs1) + 10 - x0, max(ys1) + 10 - y0


def _annotation_svg(bounds: Any, text: str) -> list[str]:
    x, y, w, h = bounds
    out = [
        f'<g class="annotation"><rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#fff9c4" '
        f'fill-opacity="0.75" stroke="#e3d88f"/>'
    ]
    for i, line in enumerate(text.splitlines()[: max(1, (h - 6) // 15)]):
        out.append(
            f'<text x="{x + 6}" y="{y + 16 + 15 * i}" font-size="12" fill="#333">{escape(line)}</text>'
        )
    out.append("</g>")
    return out


def _ports_of(doc: WorkflowDoc, classes: Mapping[int, Any]) -> dict[int, _Ports]:
    """Each node's ports: a node may declare its ports per instance (Node.ports_for), a metanode
    or component those its inner workflow declares."""
    ports = {n.id: node_ports(cls, n.settings) for n in doc.nodes if (cls := classes.get(n.id)) is not None}
    for n in doc.nodes:
        if n.workflow is not None:
            ports[n.id] = tuple(  # type: ignore[assignment]
                tuple(Port(PortType.all().get(p.type, PortType.TABLE), p.name) for p in side)
                for side in (n.workflow.inputs, n.workflow.outputs)
            )
    return ports


def _link_svg(c: Any, ports: Mapping[int, _Ports], positions: Mapping[int, tuple[int, int]]) -> str:
    """A connection as a curve: red for flow variables, a model port's colour, else dark grey."""
    s_ports, d_ports = ports.get(c.source), ports.get(c.dest)
    sx, sy = _port_center(positions[c.source], len(s_ports[1]) if s_ports else 1, "out", c.source_port)
    tx, ty = _port_center(positions[c.dest], len(d_ports[0]) if d_ports else 1, "in", c.dest_port)
    dx = max(28.0, abs(tx - sx) / 2)
    var = c.source_port == 0 or c.dest_port == 0
    color = "#d11f1f" if var else "#3d3d3d"
    if not var and s_ports is not None and c.source_port <= len(s_ports[1]):
        pt = s_ports[1][c.source_port - 1].type
        if pt.shape == "square":
            color = pt.color
    return (
        f'<path class="link{" var" if var else ""}" d="M{sx:.1f},{sy:.1f} C{sx + dx:.1f},{sy:.1f} '
        f'{tx - dx:.1f},{ty:.1f} {tx:.1f},{ty:.1f}" fill="none" stroke="{color}" stroke-width="1.2"/>'
    )


def _node_body_svg(
    n: Any, cls: Any, position: tuple[int, int], ports: _Ports | None, var_used: set[tuple[int, str]]
) -> list[str]:
    """A node's name above its coloured box with the category icon, and its ports."""
    x, y = position
    category = str(cls.category) if cls else "other"
    color = CATEGORY_COLORS.get(category, "#d2a384") if cls else "#cccccc"
    if n.type in CONTAINER_COLORS:  # KNIME's grey metanode box; a component darker, with its glyph
        color, category = CONTAINER_COLORS[n.type], n.type
    name = n.name or (cls.display_name if cls and cls.display_name else n.type)
    out = []
    lines = _wrap(name, 22, 2)
    for i, line in enumerate(lines):
        ty = y - 14 - 14 * (len(lines) - 1 - i)
        out.append(
            f'<text x="{x + 16}" y="{ty}" text-anchor="middle" font-size="12" font-weight="700" '
            f'fill="#1d1d1b">{escape(line)}</text>'
        )
    out.append(f'<rect x="{x}" y="{y}" width="32" height="32" rx="4" fill="{color}"/>')
    icon = _icon(category)
    if icon:
        out.append(f'<g transform="translate({x},{y})">{icon}</g>')
    if ports is not None:
        inputs, outputs = ports
        for i, p in enumerate(inputs, start=1):
            cx, cy = _port_center((x, y), len(inputs), "in", i)
            out.append(_port_shape(p.type, cx, cy, p.optional, "in"))
        for i, p in enumerate(outputs, start=1):
            cx, cy = _port_center((x, y), len(outputs), "out", i)
            out.append(_port_shape(p.type, cx, cy, False, "out"))
    for side in ("in", "out"):
        if (n.id, side) in var_used:
            cx, cy = _port_center((x, y), 1, side, 0)
            out.append(_port_shape(PortType.VARIABLES, cx, cy, False, side))
    return out


def _lights_svg(x: int, y: int, state: str, with_statuses: bool) -> list[str]:
    """KNIME's traffic light under the node (a blue bar while queued or executing)."""
    out = [
        f'<rect x="{x}" y="{y + 40}" width="32" height="12" rx="6" fill="#e6e6e6" stroke="#bdbdbd" '
        f'stroke-width="0.5"/>'
    ]
    if state in ("executing", "queued"):
        out.append(
            f'<rect x="{x + 1}" y="{y + 41}" width="30" height="10" rx="5" fill="{BLUE}" '
            f'fill-opacity="{0.9 if state == "executing" else 0.35}"/>'
        )
        return out
    lit = LAMPS.get(state) if with_statuses else None
    for i, lx in enumerate((6, 16, 26)):
        fill = lit[1] if lit and lit[0] == i else "#fff"
        out.append(
            f'<circle cx="{x + lx}" cy="{y + 46}" r="4" fill="{fill}" stroke="#bcbcbc" stroke-width="0.5"/>'
        )
    return out
