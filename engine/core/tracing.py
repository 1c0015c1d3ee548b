"""Which files a node opens while it executes, seen through Python's audit hooks (PEP 578).

A node may read files it does not declare (a Python Script calling `pd.read_csv`): the engine
records what it opened and fingerprints those files with its cached result, so a changed file
makes the cached result stale, as a declared input would (`engine.core.keys`). Files of the
Python installation and of knitflow itself (engine/ and nodes/: imports) are not recorded; a file
opened by native code without Python's `open` (some readers' C libraries) is not seen — such nodes
declare their files with `Node.reads`.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_state = threading.local()
_installed = False
_install_lock = threading.Lock()
_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir)
_IGNORED_DIRS = (
    sys.prefix,
    sys.base_prefix,
    sys.exec_prefix,
    *(os.path.join(_ROOT, d) for d in ("engine", "nodes")),
)
_IGNORED_PREFIXES = tuple({os.path.realpath(p) + os.sep for p in _IGNORED_DIRS})
# the same folders as spelled on sys.path: an import inside a node opens hundreds of files there,
# and resolving each one's links (realpath) cost more than the rest of the hook
_IGNORED_AS_GIVEN = tuple({os.path.normpath(p) + os.sep for p in _IGNORED_DIRS} | set(_IGNORED_PREFIXES))
_UP = os.sep + os.pardir  # a path leaving an ignored folder ("<venv>/../data/x.csv") is resolved
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event != "open":
        return
    opened = getattr(_state, "opened", None)
    if opened is None:
        return
    path, mode, flags = (list(args) + [None, None, None])[:3]
    if isinstance(path, int) or path is None:
        return
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return
    if isinstance(flags, int) and flags & _WRITE_FLAGS:
        return
    if isinstance(path, str) and path.startswith(_IGNORED_AS_GIVEN) and _UP not in path:
        return
    try:
        full = os.path.realpath(os.fsdecode(path))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return
    if not full.startswith(_IGNORED_PREFIXES):
        opened.add(full)


def _install() -> None:
    global _installed
    with _install_lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


@contextmanager
def traced_reads() -> Iterator[set[str]]:
    """The files opened for reading by this thread inside the block (regular files or not)."""
    _install()
    outer = getattr(_state, "opened", None)
    opened: set[str] = set()
    _state.opened = opened
    try:
        yield opened
    finally:
        _state.opened = outer
        if outer is not None:
            outer |= opened
