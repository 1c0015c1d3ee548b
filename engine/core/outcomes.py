"""How a node's run ends for the user: the message of a failure, whether the files a cached
result read or wrote are still as they were, and whether it is skipped on an inactive branch
(shared by the node and the loop parts of a run)."""

from __future__ import annotations

import os
from typing import Any

from pydantic import ValidationError

from engine.api import Node, NodeError, is_inactive
from engine.core.context import Cancelled
from engine.core.keys import file_fingerprint, files_state
from engine.core.loops import PassFailed
from engine.core.status import GraphError


class Failed(Exception):
    """A failure already described for the user (no traceback needed)."""


def message_of(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(map(str, err['loc']))}: {err['msg']}"
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, NodeError | Failed | Cancelled | GraphError | PassFailed):
        text = f"{type(exc).__name__}: {text}"
    return text


def needs_traceback(exc: BaseException) -> bool:
    """An unexpected error (a bug, not a described failure): its last frames help the user."""
    return not isinstance(exc, NodeError | Failed | Cancelled | ValidationError | PassFailed)


def touched_files(opened: set[str], reads: list[str], writes: list[str]) -> dict[str, str]:
    """The files a node's result depends on, with their fingerprints now: those it declared and
    those it was seen opening (regular files outside the system folders)."""
    traced = [p for p in opened if not p.startswith(("/proc/", "/sys/", "/dev/")) and os.path.isfile(p)]
    return files_state(sorted({*reads, *writes, *traced}))


def touched_changed(touched: dict[str, str]) -> str:
    """Why a cached result is stale: a file it read or wrote was changed or deleted since."""
    for path, fp in sorted(touched.items()):
        now = file_fingerprint(path)
        if now != fp:
            return f"file {os.path.relpath(path)} {'is gone' if now == 'missing' else 'changed'}"
    return ""


def skipped_as_inactive(node: Node, inputs: list[Any]) -> bool:
    """KNIME's inactive branches: a node with an inactive input is not configured or executed,
    unless it consumes inactive branches (End IF, CASE ends)."""
    return not node.consumes_inactive and any(is_inactive(x) for x in inputs)
