"""What a client sees of each node during and after a run: KNIME's traffic light plus results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.core.variables import VarStack

# KNIME's node states: idle (red: cannot be configured), configured (yellow), queued/executing,
# executed (green). A failed node is back to configured (or idle) with its `error` set.
IDLE, CONFIGURED, QUEUED, EXECUTING, EXECUTED = "idle", "configured", "queued", "executing", "executed"


class GraphError(Exception):
    """The wiring cannot be executed (e.g. a Loop End without a Loop Start)."""

    def __init__(self, message: str, node_id: int | None = None) -> None:
        super().__init__(message)
        self.node_id = node_id


@dataclass
class NodeStatus:
    """One node's state and results. Inside a loop body it shows the last pass, as KNIME does."""

    id: int
    type: str
    name: str
    state: str = IDLE
    error: str | None = None
    setting: str | None = None  # the setting an error is about
    seconds: float = 0.0
    cached: bool = False
    reason: str = ""  # why it ran (or why it did not)
    outputs: list[Any] = field(default_factory=list)
    specs: list[Any] = field(default_factory=list)
    variables: VarStack = field(default_factory=VarStack)
    key: str | None = None  # what its outputs were computed from (cache key)
    loop_progress: tuple[int, int | None] | None = None  # a running loop start: (pass index, passes)
    log: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    key_parts: dict[str, Any] | None = None  # what `key` was computed from (None: not cacheable)
    touched: dict[str, str] = field(default_factory=dict)  # files read or written -> fingerprint after

    # what a loop pass run elsewhere (a worker process) sends back of a body node
    RESULT_FIELDS = (
        "state",
        "error",
        "setting",
        "seconds",
        "cached",
        "reason",
        "outputs",
        "specs",
        "variables",
        "key",
        "log",
        "warnings",
        "key_parts",
        "touched",
    )

    def result_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.RESULT_FIELDS}
