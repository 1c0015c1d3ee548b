"""Flow-variable stacks with KNIME's scoping: variables pushed inside a loop carry the loop's scope
and are dropped when the loop end closes it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.api import variable_type


@dataclass(frozen=True)
class VarEntry:
    name: str
    value: Any
    type: str
    scope: tuple[int, ...] = ()  # ids of the loop starts open where it was pushed


class VarStack(Mapping[str, Any]):
    """An immutable ordered set of variables; later entries shadow earlier ones."""

    __slots__ = ("_entries",)

    def __init__(self, entries: Iterable[VarEntry] = ()) -> None:
        self._entries: dict[str, VarEntry] = {}
        for e in entries:
            self._entries.pop(e.name, None)
            self._entries[e.name] = e

    @classmethod
    def of(cls, values: Mapping[str, Any], scope: tuple[int, ...] = ()) -> VarStack:
        return cls(VarEntry(k, v, variable_type(v), scope) for k, v in values.items())

    @classmethod
    def merge(cls, stacks_by_priority: Iterable[VarStack]) -> VarStack:
        """Merge stacks given from lowest to highest priority (KNIME: the variable port wins)."""
        entries: list[VarEntry] = []
        for stack in stacks_by_priority:
            entries.extend(stack.entries())
        return cls(entries)

    def push(self, entries: Iterable[VarEntry]) -> VarStack:
        return VarStack([*self._entries.values(), *entries])

    def without_scope(self, loop_id: int) -> VarStack:
        return VarStack(e for e in self._entries.values() if loop_id not in e.scope)

    def entries(self) -> list[VarEntry]:
        return list(self._entries.values())

    def entry(self, name: str) -> VarEntry | None:
        return self._entries.get(name)

    def __getitem__(self, name: str) -> Any:
        return self._entries[name].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def as_dict(self) -> dict[str, Any]:
        return {k: e.value for k, e in self._entries.items()}

    def to_json(self) -> dict[str, dict[str, Any]]:
        return {k: {"type": e.type, "value": _jsonable(e.value)} for k, e in self._entries.items()}


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
