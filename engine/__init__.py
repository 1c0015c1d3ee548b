"""knitflow's engine: workflow documents, the scheduler and its clients (CLI, Python API, server).

Heavy modules are imported lazily so that `knitflow --help` starts fast.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Workflow", "run_node"]


def __getattr__(name: str) -> Any:
    if name == "Workflow":
        from engine.core.workflow import Workflow

        return Workflow
    if name == "run_node":
        from engine.core.testing import run_node

        return run_node
    raise AttributeError(name)
