"""The editor's `ExecutionHooks`: path settings confined to the workspace, configure results memoised
across edits, executed nodes that keep their results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.api import Category, ConfigureError, Node, NodeError
from engine.core.scheduler import ExecutionHooks, NodeStatus
from engine.editor.workspace import Workspace

ConfigureMemo = dict[tuple[Any, ...], tuple[bool, Any]]


class EditorHooks(ExecutionHooks):
    """What the editor adds to an `Execution`, through the engine's public hooks:
    - settings paths outside the workspace (and, for readers, the data folders) are refused after
      variables and relative paths have been resolved;
    - every edit re-configures the workflow, so a node whose settings and inputs did not change is
      not asked again (a reader would re-scan its file), and a configure that crashes becomes that
      node's error;
    - an executed node whose settings and inputs did not change keeps its outputs (KNIME does not
      re-execute executed predecessors; a randomised node without a seed would otherwise give new
      results each time a successor is executed)."""

    def __init__(
        self,
        workspace: Workspace,
        memo: ConfigureMemo | None = None,
        fingerprints: dict[int, str] | None = None,
        kept: dict[int, NodeStatus] | None = None,
    ) -> None:
        self.workspace = workspace
        self.memo = memo
        self.fingerprints = fingerprints or {}
        self.kept = kept or {}

    def check_settings(self, node_id: int, node_type: type[Node], settings: Any, base_dir: Path) -> None:
        reader = node_type.category == Category.SOURCE
        for name in node_type.path_settings:
            value = getattr(settings, name, None)
            if not isinstance(value, str) or not value:
                continue
            if "://" in value:
                raise NodeError(f"{name}: URLs are not allowed through the editor ({value})", setting=name)
            path = Path(value)
            if not path.is_absolute():
                path = base_dir / path
            if not self.workspace.may_read(path, reader=reader):
                where = "the workspace or the data folder" if reader else "the workspace"
                raise NodeError(f"{name}: {value} is outside {where}", setting=name)

    def configure(self, node_id: int, in_specs: list[Any], call: Callable[[], list[Any]]) -> list[Any]:
        if self.memo is None:
            return call()
        fp = self.fingerprints.get(node_id)
        key = (node_id, fp, repr(in_specs)) if fp else None
        if key is not None and key in self.memo:
            ok, value = self.memo[key]
            if not ok:
                raise value
            return list(value)
        try:
            out = list(call())
        except NodeError as exc:
            if key is not None:
                self.memo[key] = (False, exc)
            raise
        except Exception as exc:
            err = ConfigureError(f"{type(exc).__name__} while configuring: {exc}")
            if key is not None:
                self.memo[key] = (False, err)
            raise err from None
        if key is not None:
            self.memo[key] = (True, out)
        return out

    def kept_result(self, node_id: int) -> NodeStatus | None:
        return self.kept.get(node_id)
