"""Finds node types: the built-in `nodes` package and third-party entry points (`knitflow.nodes`).

The engine knows no node by name; it only walks modules and collects `Node` subclasses that set a
`type_name`. Discovery is lazy so that `knitflow --help` stays fast.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import threading
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType

from engine.api import Node

ENTRY_POINT_GROUP = "knitflow.nodes"
BUILTIN_PACKAGE = "nodes"


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


class NodeRegistry:
    def __init__(self) -> None:
        self._types: dict[str, type[Node]] = {}
        self._loaded = False
        self._lock = threading.Lock()
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
