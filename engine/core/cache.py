"""Result caches keyed by what determines a node's output (type, version, settings, variables,
inputs). In memory for the Python API; on disk for `knitflow run --cache DIR`."""

from __future__ import annotations

import json
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.core.variables import VarEntry
from engine.core.yamlio import atomic_write


@dataclass
class CachedResult:
    outputs: list[Any]
    pushed: list[VarEntry]


class MemoryCache:
    def __init__(self) -> None:
        self._results: dict[str, CachedResult] = {}
        self._parts: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> CachedResult | None:
        with self._lock:
            return self._results.get(key)

    def put(self, key: str, result: CachedResult) -> None:
        with self._lock:
            self._results[key] = result

    def discard(self, *keys: str) -> int:
        """Forget results so that the nodes they belong to are computed again (the editor's reset);
        returns how many were held."""
        with self._lock:
            return sum(self._results.pop(k, None) is not None for k in keys)

    def last_parts(self, scope: str) -> dict[str, Any] | None:
        with self._lock:
            return self._parts.get(scope)

    def set_last_parts(self, scope: str, parts: dict[str, Any]) -> None:
        with self._lock:
            self._parts[scope] = parts

    def flush(self) -> None:
        pass


class DiskCache(MemoryCache):
    """Pickled results under DIR/<key>.pkl; last key parts per node in DIR/index.json."""

    def __init__(self, directory: str | Path) -> None:
        super().__init__()
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        index = self.dir / "index.json"
        if index.exists():
            try:
                self._parts = json.loads(index.read_text())
            except (OSError, ValueError):
                self._parts = {}

    def get(self, key: str) -> CachedResult | None:
        hit = super().get(key)
        if hit is not None:
            return hit
        path = self.dir / f"{key}.pkl"
        if not path.exists():
            return None
        try:
            with path.open("rb") as fh:
                result = pickle.load(fh)
        except Exception:
            return None
        super().put(key, result)
        return result

    def put(self, key: str, result: CachedResult) -> None:
        super().put(key, result)
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            return  # objects that cannot be pickled (a live Spark frame) stay in memory only
        atomic_write(self.dir / f"{key}.pkl", data)

    def discard(self, *keys: str) -> int:
        held = 0
        for key in keys:
            in_memory = super().discard(key)
            path = self.dir / f"{key}.pkl"
            on_disk = "/" not in key and path.is_file()
            if on_disk:
                path.unlink(missing_ok=True)
            held += bool(in_memory or on_disk)
        return held

    def flush(self) -> None:
        with self._lock:
            text = json.dumps(self._parts, sort_keys=True, indent=1, default=repr)
        atomic_write(self.dir / "index.json", text)
