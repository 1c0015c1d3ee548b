"""The category <-> number mapping Category To Number makes and the two Apply nodes use (KNIME's
PMML MapValues: one derived field per column, categories as text, numbers as Integers)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.api import PortType

CATEGORY_MAPPING = PortType.register(
    PortType("model.category_mapping", "Category mapping (PMML MapValues)", "#2e7dd1", "square")
)


@dataclass(frozen=True)
class ColumnMapping:
    """One column's MapValues. `source` is the column the categories came from, `field` the
    column the numbers went to: the same column when they replaced it (KNIME then keys the field
    by its display name, the source) or `<source> (to number)` when appended."""

    source: str
    field: str
    numbers: tuple[tuple[str, int], ...]  # (category text, number) in first-seen order

    def number_of(self) -> dict[str, int]:
        return dict(self.numbers)

    def category_of(self) -> dict[int, str]:
        return {number: text for text, number in self.numbers}


@dataclass(frozen=True)
class CategoryMapping:
    columns: tuple[ColumnMapping, ...]

    def summary(self) -> str:
        return ", ".join(f"{c.source}: {len(c.numbers)} categories" for c in self.columns)


__all__ = ["CATEGORY_MAPPING", "CategoryMapping", "ColumnMapping"]
