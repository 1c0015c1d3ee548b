"""Finds node types: the built-in `nodes` package and third-party entry points (`knitflow.nodes`).

The engine knows no node by name; it only walks modules and collects `Node` subclasses that set a
`type_name`. A run imports only the families its workflow uses: `nodes/_index.json` says which
module defines each built-in type (with its category and KNIME factories), so `get` imports that
one module. The index is generated (`python -m engine.core.registry --write-index`) and a test keeps
it equal to what importing every module finds; a type the index does not know (a plug-in's, or a
stale index) is found by loading everything, as before, so a stale index costs time, never a type.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import threading
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from engine.api import Node

ENTRY_POINT_GROUP = "knitflow.nodes"
BUILTIN_PACKAGE = "nodes"
INDEX_FILE = "_index.json"


@dataclass(frozen=True)
class PluginLoadError:
    """A `knitflow.nodes` entry point that could not be loaded: its node types are missing."""

    name: str  # the entry point's name
    target: str  # what it points at, e.g. "mypackage.nodes"
    distribution: str | None  # the installed package declaring it
    error: str

    def __str__(self) -> str:
        by = f" of {self.distribution}" if self.distribution else ""
        return f"plug-in {self.name!r}{by} ({self.target}) failed to load: {self.error}"


@dataclass(frozen=True)
class IndexEntry:
    """What is known of a built-in node type without importing its module."""

    module: str
    category: str
    knime: tuple[str, ...]  # the KNIME factories it maps


def _node_classes(module: ModuleType) -> list[type[Node]]:
    return [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Node)
        and obj.__module__ == module.__name__
        and obj.type_name
        and not inspect.isabstract(obj)
    ]


def _builtin_modules() -> list[str]:
    package = importlib.import_module(BUILTIN_PACKAGE)
    infos = sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name)
    return [f"{BUILTIN_PACKAGE}.{i.name}" for i in infos if not i.name.startswith("_")]


def _index_path() -> Path:
    package = importlib.import_module(BUILTIN_PACKAGE)
    return Path(next(iter(package.__path__))) / INDEX_FILE


def build_index() -> dict[str, IndexEntry]:
    """The index of the built-in types, found by importing every module of `nodes/`."""
    index: dict[str, IndexEntry] = {}
    for name in _builtin_modules():
        for cls in _node_classes(importlib.import_module(name)):
            index[cls.type_name] = IndexEntry(name, str(cls.category), tuple(m.factory for m in cls.knime))
    return dict(sorted(index.items()))


def index_json(index: dict[str, IndexEntry]) -> str:
    return (
        json.dumps(
            {
                t: {"module": e.module, "category": e.category, "knime": list(e.knime)}
                for t, e in index.items()
            },
            indent=1,
        )
        + "\n"
    )


def read_index() -> dict[str, IndexEntry]:
    """The stored index ({} when it is missing or unreadable: everything is then imported)."""
    try:
        raw: dict[str, Any] = json.loads(_index_path().read_text(encoding="utf-8"))
        return {t: IndexEntry(e["module"], e["category"], tuple(e["knime"])) for t, e in raw.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


class NodeRegistry:
    def __init__(self) -> None:
        self._types: dict[str, type[Node]] = {}
        self._loaded = False
        self._index: dict[str, IndexEntry] | None = None
        self._lock = threading.RLock()
        self.plugin_errors: list[PluginLoadError] = []

    @property
    def load_errors(self) -> list[str]:
        """The plug-in failures as text (loads the registry first)."""
        self._load()
        return [str(e) for e in self.plugin_errors]

    def register(self, cls: type[Node]) -> type[Node]:
        if not cls.type_name:
            raise ValueError(f"{cls.__name__} has no type_name")
        existing = self._types.get(cls.type_name)
        if existing is not None and existing is not cls:
            raise ValueError(
                f"node type {cls.type_name!r} is defined twice ({existing.__module__}, {cls.__module__})"
            )
        self._types[cls.type_name] = cls
        return cls

    def register_module(self, module: ModuleType) -> None:
        for cls in _node_classes(module):
            self.register(cls)

    def index(self) -> dict[str, IndexEntry]:
        """The built-in types' modules, categories and KNIME factories, nothing imported."""
        with self._lock:
            if self._index is None:
                self._index = read_index()
            return self._index

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            for name in _builtin_modules():
                self.register_module(importlib.import_module(name))
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                try:
                    loaded = ep.load()
                except Exception as exc:  # a broken plug-in must not take the built-in nodes down
                    dist = getattr(getattr(ep, "dist", None), "name", None)
                    message = f"{type(exc).__name__}: {exc}"
                    self.plugin_errors.append(PluginLoadError(ep.name, ep.value, dist, message))
                    continue
                if inspect.ismodule(loaded):
                    self.register_module(loaded)
                elif inspect.isclass(loaded) and issubclass(loaded, Node):
                    self.register(loaded)
            self._loaded = True

    def get(self, type_name: str) -> type[Node] | None:
        cls = self._types.get(type_name)
        if cls is not None or self._loaded:
            return cls
        with self._lock:
            entry = self.index().get(type_name)
            if entry is not None and type_name not in self._types:
                self.register_module(importlib.import_module(entry.module))
            if type_name not in self._types:
                self._load()
            return self._types.get(type_name)

    def all(self) -> dict[str, type[Node]]:
        self._load()
        return dict(sorted(self._types.items()))

    def failed_plugins(self) -> list[PluginLoadError]:
        """The `knitflow.nodes` entry points that did not load (reported, never ignored)."""
        self._load()
        return list(self.plugin_errors)

    def closest(self, type_name: str, n: int = 3) -> list[str]:
        """Registered type names that look like `type_name` ("CSV Reader", "csv_reder" -> csv_reader)."""
        import difflib

        self._load()
        wanted = type_name.strip().lower().replace(" ", "_").replace("-", "_")
        by_display = {
            (cls.display_name or "").lower().replace(" ", "_"): name for name, cls in self._types.items()
        }
        names = difflib.get_close_matches(wanted, [*self._types, *by_display], n=n, cutoff=0.6)
        out: list[str] = []
        for name in names:
            real = by_display.get(name, name) if name not in self._types else name
            if real not in out:
                out.append(real)
        return out


registry = NodeRegistry()


def main(argv: list[str] | None = None) -> int:
    """`python -m engine.core.registry --write-index` regenerates nodes/_index.json (`--check`:
    exit 1 when it is out of date)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m engine.core.registry", description=main.__doc__)
    parser.add_argument("--write-index", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = index_json(build_index())
    path = _index_path()
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if args.check or not args.write_index:
        print(f"{path}: {'up to date' if current == text else 'out of date'}")
        return 0 if current == text else 1
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
