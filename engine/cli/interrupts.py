"""Ctrl-C and SIGTERM cancel a run the way the editor's cancel does: nodes still running stop at
their next cancellation check, nothing new starts, what finished is written, and the command exits
with 128 + the signal number (130, 143). A second Ctrl-C stops at once."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


@contextmanager
def cancel_on_signals(cancel: threading.Event) -> Iterator[list[int]]:
    """Within the block SIGINT/SIGTERM set `cancel`; yields the list of signals received."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if received and signum == signal.SIGINT:
            raise KeyboardInterrupt  # the second Ctrl-C: stop now
        received.append(signum)
        cancel.set()
        print(f"\n{signal.Signals(signum).name}: cancelling the run (again to stop at once)", file=sys.stderr)

    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def exit_code(signum: int) -> int:
    return 128 + signum
