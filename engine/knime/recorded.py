"""What KNIME recorded of its last run in an archive: each executed node's outgoing flow variables
(`flow_stack` in its settings.xml) and each output port's `port_object_summary` ("Rows: 82, Cols: 21").
Tests compare knitflow's results with these values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.knime.archive import KnimeNode, read_archive

_SHAPE = re.compile(r"Rows:\s*([\d,]+),\s*Cols:\s*([\d,]+)")


@dataclass(frozen=True)
class RecordedVariable:
    name: str
    type: str  # KNIME's class: DOUBLE, INTEGER, STRING, BOOLEAN, LONG, ...
    value: Any


@dataclass
class RecordedNode:
    id: int
    name: str
    state: str | None  # EXECUTED, CONFIGURED, IDLE, ...
    summaries: dict[int, str] = field(default_factory=dict)  # port -> port_object_summary
    stack: list[RecordedVariable] = field(default_factory=list)  # as written, bottom entries first

    @property
    def shapes(self) -> dict[int, tuple[int, int]]:
        """Table ports' (rows, columns), parsed from their summaries."""
        out = {}
        for port, text in self.summaries.items():
            m = _SHAPE.search(text)
            if m:
                out[port] = (int(m[1].replace(",", "")), int(m[2].replace(",", "")))
        return out

    @property
    def variables(self) -> dict[str, Any]:
        """The visible value of each variable (a later entry of a name hides an earlier one)."""
        return {v.name: v.value for v in self.stack}


def _stack(node: KnimeNode) -> list[RecordedVariable]:
    stack = node.settings.get("flow_stack")
    if not isinstance(stack, dict):
        return []
    out = []
    for entry in stack.values():
        if isinstance(entry, dict) and entry.get("type") == "variable" and "name" in entry:
            out.append(RecordedVariable(str(entry["name"]), str(entry.get("class", "")), entry.get("value")))
    return out


def recorded_results(path: str | Path) -> dict[int, RecordedNode]:
    """Every top-level node of an archive (or exported workflow folder) with what KNIME recorded."""
    wf = read_archive(path)
    return {n.id: RecordedNode(n.id, n.name, n.state, dict(n.port_summaries), _stack(n)) for n in wf.nodes}
