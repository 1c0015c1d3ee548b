"""Flow-variable stacks with KNIME's scoping: variables pushed inside a loop carry the loop's scope
and are dropped when the loop end closes it. A hiding entry (KNIME's `FlowVariable.newHidingVariable`,
pushed by a Variable Filter) removes the same-named variables of its own scope and deeper; one from an
enclosing scope shows again, so a filter can undo local changes but never remove an outer variable."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.api import HIDDEN_VARIABLE_TYPE, variable_type


@dataclass(frozen=True)
class VarEntry:
    name: str
    value: Any
    type: str
    scope: tuple[int, ...] = ()  # ids of the loop starts open where it was pushed


class VarStack(Mapping[str, Any]):
    """An immutable stack of variables; lookups see the topmost entry of a name. Shadowed entries
    are kept so that closing a loop scope uncovers the outer loop's variables again."""

    __slots__ = ("_entries", "_top", "open")

    def __init__(self, entries: Iterable[VarEntry] = (), *, open: bool = False) -> None:
        # open: a node upstream pushes variables known only at run time (a script), so a name
        # missing here at configure time may still exist when the workflow runs
        self.open = open
        unique: dict[int, VarEntry] = {}  # the same entry reaches a node along several paths
        for e in entries:
            unique.pop(id(e), None)
            unique[id(e)] = e
        self._entries: tuple[VarEntry, ...] = tuple(unique.values())
        self._top: dict[str, VarEntry] = {}
        if any(e.type == HIDDEN_VARIABLE_TYPE for e in self._entries):
            self._top_with_hiding()
            return
        for e in self._entries:  # every stack a node sees is built here: keep the common case plain
            self._top.pop(e.name, None)
            self._top[e.name] = e

    def _top_with_hiding(self) -> None:
        """The topmost entry of each name, a hiding entry removing the name's entries of its scope
        and deeper (so an enclosing scope's entry is the top again)."""
        by_name: dict[str, list[VarEntry]] = {}
        for e in self._entries:
            named = by_name.setdefault(e.name, [])
            self._top.pop(e.name, None)
            if e.type == HIDDEN_VARIABLE_TYPE:
                named[:] = [v for v in named if v.scope[: len(e.scope)] != e.scope]
            else:
                named.append(e)
            if named:
                self._top[e.name] = named[-1]

    @classmethod
    def of(cls, values: Mapping[str, Any], scope: tuple[int, ...] = ()) -> VarStack:
        return cls(VarEntry(k, v, variable_type(v), scope) for k, v in values.items())

    @classmethod
    def merge(cls, stacks_by_priority: Iterable[VarStack]) -> VarStack:
        """Merge stacks given from lowest to highest priority (KNIME: the variable port wins)."""
        entries: list[VarEntry] = []
        is_open = False
        for stack in stacks_by_priority:
            entries.extend(stack._entries)
            is_open = is_open or stack.open
        return cls(entries, open=is_open)

    def push(self, entries: Iterable[VarEntry], *, open: bool = False) -> VarStack:
        return VarStack([*self._entries, *entries], open=self.open or open)

    def without_scope(self, loop_id: int) -> VarStack:
        return VarStack((e for e in self._entries if loop_id not in e.scope), open=self.open)

    def keeping(self, keep: Callable[[VarEntry], bool]) -> VarStack:
        return VarStack((e for e in self._entries if keep(e)), open=self.open)

    def entries(self) -> list[VarEntry]:
        return list(self._entries)

    def entry(self, name: str) -> VarEntry | None:
        return self._top.get(name)

    def __getitem__(self, name: str) -> Any:
        return self._top[name].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._top)

    def __len__(self) -> int:
        return len(self._top)

    def as_dict(self) -> dict[str, Any]:
        return {k: e.value for k, e in self._top.items()}

    def to_json(self) -> dict[str, dict[str, Any]]:
        return {k: {"type": e.type, "value": jsonable(e.value)} for k, e in self._top.items()}


def jsonable(value: Any) -> Any:
    """A variable's value as JSON can hold it (numpy scalars unwrapped, others as text)."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
