"""Unit-testing single nodes without a workflow."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from engine.api import HIDDEN_VARIABLE_TYPE, LoopStartNode, Node, NodeSettings, Table, port_spec
from engine.core.context import RunContext
from engine.core.registry import registry
from engine.core.variables import VarStack


@dataclass
class NodeRun:
    outputs: list[Any]
    variables: dict[str, Any]  # the variables the node pushed
    specs: list[Any]  # what configure predicted
    warnings: list[str] = field(default_factory=list)  # what the node warned about (ctx.warn)
    hidden: list[str] = field(default_factory=list)  # the variables it hid (ctx.hide_variable)

    def __getitem__(self, port: int) -> Any:
        """Port numbers as in KNIME: result[1] is the first output port."""
        return self.outputs[port - 1]

    def df(self, port: int = 1) -> pd.DataFrame:
        obj = self.outputs[port - 1]
        return obj.df if isinstance(obj, Table) else obj


def _node(node_type: str | type[Node]) -> Node:
    if isinstance(node_type, str):
        cls = registry.get(node_type)
        if cls is None:
            raise KeyError(f"unknown node type {node_type!r}")
        return cls()
    return node_type()


def run_node(
    node_type: str | type[Node],
    settings: dict[str, Any] | NodeSettings | None = None,
    *inputs: Any,
    variables: dict[str, Any] | None = None,
    seed: int | None = None,
    scratch_dir: Path | None = None,
    loop_store: dict[str, Any] | None = None,
) -> NodeRun:
    """Configure and execute one node. DataFrames given as inputs become tables (their index is
    kept as RowIDs when it holds strings, else Row0, Row1, ... are generated). `loop_store`: run it as
    inside a loop pass whose loop keeps that store (`ctx.loop_store()`)."""
    node = _node(node_type)
    if isinstance(settings, NodeSettings):
        parsed = settings
    else:
        parsed = node.Settings.model_validate(settings or {})
    objs = [Table.from_frame(i) if isinstance(i, pd.DataFrame) else i for i in inputs]
    ctx = RunContext(
        node_id=0,
        variables=VarStack.of(variables or {}),
        run_seed=seed,
        scratch_root=scratch_dir,
        loop_store=None if loop_store is None else lambda: loop_store,
    )
    specs = node.configure([port_spec(o) for o in objs], parsed, ctx)
    if isinstance(node, LoopStartNode):
        outs = [[it.outputs, it.variables] for it in node.iterations(objs, parsed, ctx)]
        return _node_run(outs, ctx, specs)
    outputs = list(node.execute(objs, parsed, ctx))
    return _node_run(outputs, ctx, specs)


def _node_run(outputs: list[Any], ctx: RunContext, specs: list[Any]) -> NodeRun:
    pushed = {e.name: e.value for e in ctx.pushed if e.type != HIDDEN_VARIABLE_TYPE}
    hidden = list(dict.fromkeys(e.name for e in ctx.pushed if e.type == HIDDEN_VARIABLE_TYPE))
    return NodeRun(outputs, pushed, list(specs), ctx.warnings, hidden)


def configure_node(node_type: str | type[Node], settings: dict[str, Any] | None, *in_specs: Any) -> list[Any]:
    """Only the configure step: output specs for the given input specs (port objects, e.g. a
    learned Model, stand for their specs)."""
    node = _node(node_type)
    parsed = node.Settings.model_validate(settings or {})
    ctx = RunContext(node_id=0, variables=VarStack())
    return list(node.configure([port_spec(s) for s in in_specs], parsed, ctx))
