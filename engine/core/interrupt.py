"""Stopping node code that does not check for cancellation (a Python Script's loop, a long
pandas operation): cancelling raises `Cancelled` inside every thread that is running a node's
`execute`, at its next Python bytecode (native code, e.g. a Lasso fit, finishes its call first).

The exception is only ever delivered while a thread is inside node code: a thread leaving it
takes back anything still pending under the same lock, so engine code is never interrupted."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from engine.core.context import Cancelled


def _set_async_exc(ident: int, exc: type[BaseException] | None) -> None:
    """CPython's PyThreadState_SetAsyncExc; None (NULL) takes back a pending exception.

    Only ever called with None for a thread that was sent one: taking back sets the interpreter's
    "something pending" flag, which CPython 3.11 clears only by delivering an exception, so every
    later call checks for pending work, and under a profiler or debugger (sys.setprofile/settrace)
    the function-entry check repeats forever (a run under cProfile never ended)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc) if exc else None)


class NodeThreads:
    """The threads currently running node code."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside: set[int] = set()
        self._sent: set[int] = set()  # threads an interrupt was raised in
        self.interrupted = False

    @contextmanager
    def running_node(self) -> Iterator[None]:
        ident = threading.get_ident()
        with self._lock:
            if self.interrupted:
                raise Cancelled("execution cancelled")
            self._inside.add(ident)
        try:
            yield
        finally:
            with self._lock:
                self._inside.discard(ident)
                if ident in self._sent:  # drop an interrupt that arrived as the node finished
                    self._sent.discard(ident)
                    _set_async_exc(ident, None)

    def alone(self) -> bool:
        """Whether the calling thread is the only one running node code."""
        with self._lock:
            return self._inside == {threading.get_ident()}

    @contextmanager
    def watching(self, cancel: threading.Event) -> Iterator[None]:
        """While the block runs, a set `cancel` interrupts node code at once."""
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                if cancel.wait(0.1):
                    self.interrupt()
                    return

        watcher = threading.Thread(target=watch, name="knitflow-cancel", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()

    def interrupt(self) -> None:
        """Raise `Cancelled` in every thread running node code (and refuse new node code)."""
        with self._lock:
            self.interrupted = True
            for ident in self._inside:
                self._sent.add(ident)
                _set_async_exc(ident, Cancelled)
