"""Finds node types: the built-in `nodes` package and third-party entry points (`knitflow.nodes`).

The engine knows no node by name; it only walks modules and collects `Node` subclasses that set a
`type_name`. Discovery is lazy so that `knitflow --help` stays fast.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import threading
from importlib.metadata import entry_points
from types import ModuleType

from engine.api import Node

ENTRY_POINT_GROUP = "knitflow.nodes"
BUILTIN_PACKAGE = "nodes"


class NodeRegistry:
    def __init__(self) -> None:
        self._types: dict[str, type[Node]] = {}
        self._loaded = False
        self._lock = threading.Lock()
        self.load_errors: list[str] = []

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
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Node)
                and obj.__module__ == module.__name__
                and obj.type_name
                and not inspect.isabstract(obj)
            ):
                self.register(obj)

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            package = importlib.import_module(BUILTIN_PACKAGE)
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
                if info.name.startswith("_"):
                    continue
                self.register_module(importlib.import_module(f"{BUILTIN_PACKAGE}.{info.name}"))
            for ep in entry_points(group=ENTRY_POINT_GROUP):
                try:
                    loaded = ep.load()
                except Exception as exc:  # a broken plug-in must not take the built-in nodes down
                    self.load_errors.append(f"entry point {ep.name!r}: {exc}")
                    continue
                if inspect.ismodule(loaded):
                    self.register_module(loaded)
                elif inspect.isclass(loaded) and issubclass(loaded, Node):
                    self.register(loaded)
            self._loaded = True

    def get(self, type_name: str) -> type[Node] | None:
        self._load()
        return self._types.get(type_name)

    def all(self) -> dict[str, type[Node]]:
        self._load()
        return dict(sorted(self._types.items()))


registry = NodeRegistry()
