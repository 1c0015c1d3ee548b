"""Java's hash codes and hash-table iteration order.

KNIME fills java.util.HashMap/HashSet instances and writes them out in their iteration order
(bin order in a table, items of a Set cell, names in an error message); reproducing that order
needs the Java hash codes and the table capacity the collection ended with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")

MASK32 = 0xFFFF_FFFF


def string_hash_code(text: str) -> int:
    """String.hashCode over UTF-16 code units, as an unsigned 32-bit number."""
    h = 0
    units = text.encode("utf-16-be")
    for k in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[k : k + 2], "big")) & MASK32
    return h


def capacity_after_puts(count: int) -> int:
    """The table size of a default HashMap/HashSet after `count` puts (16, doubled past 0.75 load)."""
    capacity = 16
    while count > capacity * 0.75:
        capacity *= 2
    return capacity


def capacity_of_copy(count: int) -> int:
    """The table size of `new HashSet<>(collection)`: the power of two from max(n / 0.75 + 1, 16)."""
    capacity = 16
    while capacity < int(count / 0.75) + 1:
        capacity *= 2
    return capacity


def hash_order(items: Sequence[Item], hash_code: Callable[[Item], int], capacity: int) -> list[Item]:
    """Iteration order of a hash table of `capacity` holding `items` (inserted in this order):
    by bucket of the spread hash code (HashMap.hash), then by arrival within a bucket."""

    def bucket(item: Item) -> int:
        h = hash_code(item) & MASK32
        return (h ^ (h >> 16)) & (capacity - 1)

    return sorted(items, key=bucket)  # sorted() is stable: arrival order within a bucket


def copied_string_set_order(names: list[str]) -> list[str]:
    """The order `new HashSet<String>(list)` iterates the distinct names (KNIME copies a list of
    missing column names into one before naming them in an error)."""
    distinct = list(dict.fromkeys(names))
    return hash_order(distinct, string_hash_code, capacity_of_copy(len(distinct)))
