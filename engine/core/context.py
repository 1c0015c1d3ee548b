"""The one object a node sees of the engine while it runs."""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from engine.api import HIDDEN_VARIABLE_TYPE, Cancelled, NodeError, variable_type
from engine.core.variables import VarEntry, VarStack

_MISSING: Any = ...


def derive_seed(run_seed: int, node_id: int, iteration: tuple[int, ...] = ()) -> int:
    """A stable seed for one node (and loop pass) from the run seed."""
    text = f"{run_seed}/{node_id}/{'.'.join(map(str, iteration))}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:6], "big")


class Resources:
    """Run-wide shared objects (a Spark session): created on first use, closed at the end."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[Any, Callable[[Any], None] | None]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, factory: Callable[[], Any], close: Callable[[Any], None] | None) -> Any:
        with self._lock:
            if key not in self._items:
                self._items[key] = (factory(), close)
            return self._items[key][0]

    def close_all(self) -> None:
        with self._lock:
            items, self._items = list(self._items.values()), {}
        for obj, close in reversed(items):
            if close is not None:
                try:
                    close(obj)
                except Exception:
                    pass


class RunContext:
    """Implements `engine.api.NodeContext` for one node execution."""

    def __init__(
        self,
        *,
        node_id: int,
        variables: VarStack,
        scope: tuple[int, ...] = (),
        iteration_path: tuple[int, ...] = (),
        run_seed: int | None = None,
        scratch_root: Path | None = None,
        cancel_event: threading.Event | None = None,
        on_progress: Callable[[int, float, str], None] | None = None,
        on_log: Callable[[int, str], None] | None = None,
        on_warning: Callable[[int, str], None] | None = None,
        resources: Resources | None = None,
        workers: int = 1,
        loop_store: Callable[[], dict[str, Any]] | None = None,
        on_idle: Callable[[int], None] | None = None,
    ) -> None:
        self._on_idle = on_idle
        self.node_id = node_id
        self.iteration = iteration_path[-1] if iteration_path else None
        self.iteration_path = iteration_path
        self._variables = variables
        self._scope = scope
        self._pushed: list[VarEntry] = []
        self._run_seed = run_seed
        self._scratch_root = scratch_root
        self._cancel = cancel_event
        self._on_progress = on_progress
        self._on_log = on_log
        self._on_warning = on_warning
        self.warnings: list[str] = []
        self._resources = resources or Resources()
        self._workers = workers
        self._loop_store = loop_store
        self.used_random_seed = False

    @property
    def variables(self) -> Mapping[str, Any]:
        return self._variables.push(self._pushed) if self._pushed else self._variables

    def variable(self, name: str, default: Any = _MISSING) -> Any:
        stack = self.variables
        if name in stack:
            return stack[name]
        if default is _MISSING:
            raise NodeError(
                f"flow variable {name!r} is not defined here (known: {', '.join(stack) or 'none'})"
            )
        return default

    def variable_entry(self, name: str) -> VarEntry | None:
        stack = self._variables.push(self._pushed) if self._pushed else self._variables
        return stack.entry(name)

    def push_variable(self, name: str, value: Any, type: str | None = None) -> None:
        if hasattr(value, "item") and not isinstance(value, str):
            value = value.item()
        self._pushed.append(VarEntry(name, value, type or variable_type(value), self._scope))

    def hide_variable(self, name: str) -> None:
        self._pushed.append(VarEntry(name, None, HIDDEN_VARIABLE_TYPE, self._scope))

    @property
    def pushed(self) -> list[VarEntry]:
        return list(self._pushed)

    def seed(self, own_seed: int | None = None) -> int:
        if own_seed is not None:
            return int(own_seed)
        if self._run_seed is not None:
            return derive_seed(self._run_seed, self.node_id, self.iteration_path)
        self.used_random_seed = True
        return random.SystemRandom().getrandbits(48)

    def rng(self, own_seed: int | None = None) -> np.random.Generator:
        return np.random.default_rng(self.seed(own_seed))

    def progress(self, fraction: float, message: str = "") -> None:
        self.check_cancelled()
        if self._on_progress is not None:
            self._on_progress(self.node_id, max(0.0, min(1.0, fraction)), message)

    def check_cancelled(self) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise Cancelled("execution cancelled")

    def log(self, message: str) -> None:
        if self._on_log is not None:
            self._on_log(self.node_id, message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        if self._on_warning is not None:
            self._on_warning(self.node_id, message)

    @property
    def scratch_dir(self) -> Path:
        root = self._scratch_root or Path.cwd() / ".knitflow-scratch"
        path = root / f"node-{self.node_id}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def workers(self) -> int:
        return self._workers

    def resource(
        self, key: str, factory: Callable[[], Any], close: Callable[[Any], None] | None = None
    ) -> Any:
        return self._resources.get(key, factory, close)

    def loop_store(self) -> dict[str, Any] | None:
        return self._loop_store() if self._loop_store is not None else None

    def while_waiting(self) -> None:
        if self._on_idle is not None:
            self._on_idle(self.node_id)
