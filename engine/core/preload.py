"""Importing, ahead of time, the slow libraries later nodes need, on a core an earlier node leaves
idle (`NodeContext.while_waiting`: 13_01's fingerprinting waits for its worker processes while the
first Lasso fit would otherwise import scikit-learn alone, ~1 s, with the other core idle).

An import holds its modules' locks until it ends, and a process forked meanwhile inherits them
locked forever: its first import of one of those modules would never return. So imports ahead
happen only while the waiting node is the only node running (no node code can fork), and the
engine's own forks (loop workers) take FORK_LOCK, which every import ahead holds."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterable

FORK_LOCK = threading.Lock()


def import_ahead(modules: Iterable[str]) -> None:
    """Import each module not imported yet, in order; one that fails is left to the node that
    needs it (which then reports the error where it belongs)."""
    for module in modules:
        if module in sys.modules:
            continue
        with FORK_LOCK:
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 - any failure is the later node's to report
                pass
