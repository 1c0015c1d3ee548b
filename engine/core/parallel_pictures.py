"""Drawing a run's pictures on two cores: a forked process draws every other view while this one
draws the rest. A fork, not a pool: a view's drawing is a closure over its node's data, which a
forked child already holds and nothing has to pickle; only the finished bytes come back.

Why: a cold `knitflow run` spends a third of its time drawing (importing matplotlib, loading its
fonts, laying out and rasterising), and that work is the same in every process, so on a machine
with two cores two processes finish it in little more than half the time."""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Sequence

from engine.api import View

LEAST_WAIT = 5.0  # seconds granted to the child beyond the parent's own drawing


def can_draw_in_parallel() -> bool:
    """A fork is safe only from a process's main thread while no other thread works (a lock
    another thread held at the fork would never be released in the child), and pays only with a
    second core."""
    return (
        hasattr(os, "fork")
        and (os.cpu_count() or 1) >= 2
        and threading.current_thread() is threading.main_thread()
        and all(t.daemon or t is threading.main_thread() for t in threading.enumerate())
    )


def draw_in_parallel(views: Sequence[View], fmt: str) -> None:
    """Draw the pictures of `views` not drawn yet in `fmt`, half of them in a forked child. A view
    whose drawing fails is left undrawn (its writer draws it again and reports the error), and so
    is everything the child could not hand back: the result never depends on the child."""
    pending = [v for v in views if v.needs_drawing(fmt)]
    if len(pending) < 2 or not can_draw_in_parallel():
        return
    mine, theirs = pending[0::2], pending[1::2]
    readable, writable = os.pipe()
    gc.freeze()  # the child's collector would otherwise touch, and so copy, every inherited page
    try:
        pid = os.fork()
    except OSError:
        os.close(readable)
        os.close(writable)
        gc.unfreeze()
        return
    if pid == 0:  # pragma: no cover - the child; its work is checked by what the parent receives
        os.close(readable)
        _child(theirs, fmt, writable)
    os.close(writable)
    received: bytes | None = None
    try:
        started = time.monotonic()
        for view in mine:
            _draw_quietly(view, fmt)
        # a child stuck on a lock some daemon thread held at the fork must not hold up the run
        received = _read_all(
            readable, deadline=time.monotonic() + max(LEAST_WAIT, 3 * (time.monotonic() - started))
        )
    finally:
        os.close(readable)
        if received is None:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        gc.unfreeze()
    try:
        pictures = pickle.loads(received) if received else []
    except Exception:
        return  # a child that died early: the writer draws those views here
    for view, picture in zip(theirs, pictures, strict=False):
        if picture is not None:
            view.keep_picture(picture, fmt)


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything until the writer closes, or None when the deadline passes first."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _draw_quietly(view: View, fmt: str) -> bytes | None:
    try:
        drawn = view.picture(fmt)
    except Exception:
        return None
    return drawn[0] if drawn is not None else None


def _child(views: Sequence[View], fmt: str, writable: int) -> None:
    """Draw, send the bytes, and leave at once: no exit handlers, no flushing of the parent's
    buffers, whatever happens."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        pictures = [_draw_quietly(v, fmt) for v in views]
        with os.fdopen(writable, "wb") as pipe:
            pipe.write(pickle.dumps(pictures, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        os._exit(0)
