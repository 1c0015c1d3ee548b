"""Reference Column Splitter: the columns of a table split by whether a reference table has them.

KNIME's AbstractColumnRefNodeModel as a splitter: a column goes to the first output when the
reference table has a column of its name (and, with `type_compatibility`, when the column's type
is a super-type of the reference column's: a Double column matches an Integer reference column,
not the other way round), else to the second; both keep the input's column order and all rows.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    Node,
    NodeContext,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping
from nodes._column_types import in_reference_columns


class ReferenceColumnSplitterSettings(NodeSettings):
    """KNIME's ColumnSplitRefNodeModel settings (web UI: EnforceTypeCompatibility, same key)."""

    type_compatibility: bool = Field(
        False,
        description="A column matches only when its type is a super-type of the reference column's type "
        "(a Double column matches an Integer one); otherwise the names alone decide.",
    )


def _split(spec: TableSpec, reference: TableSpec, type_check: bool) -> tuple[list[str], list[str]]:
    hits = in_reference_columns(spec, reference, type_check)
    names = spec.names
    return [n for n, hit in zip(names, hits, strict=True) if hit], [
        n for n, hit in zip(names, hits, strict=True) if not hit
    ]


class ReferenceColumnSplitter(Node):
    """KNIME's Reference Column Splitter."""

    type_name = "reference_column_splitter"
    display_name = "Reference Column Splitter"
    category = Category.MANIPULATOR
    description = (
        "Splits the columns of the first table in two: those the reference table (second input) also has, by name "
        "and optionally by compatible type, and all the others. Both outputs keep every row and the input's "
        "column order."
    )
    keywords = ("columns", "reference", "split", "same columns", "match columns")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.filter.columnref.ColumnSplitRefNodeFactory",
            "Reference Column Splitter",
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.filter.columnref.ColumnSplitRefNodeFactory2",
            "Reference Column Splitter (web UI)",
        ),
    )
    inputs = (
        Port(TABLE, "Table to split", "The table whose columns are split."),
        Port(TABLE, "Reference table", "Only its columns are read."),
    )
    outputs = (
        Port(TABLE, "Matching columns", "The columns the reference table has."),
        Port(TABLE, "Other columns", "The columns it does not have."),
    )
    Settings = ReferenceColumnSplitterSettings

    def configure(
        self, in_specs: list[Any], settings: ReferenceColumnSplitterSettings, ctx: NodeContext
    ) -> list[Any]:
        spec, reference = in_specs
        if not isinstance(spec, TableSpec) or not isinstance(reference, TableSpec):
            return [UNKNOWN, UNKNOWN]
        matching, others = _split(spec, reference, settings.type_compatibility)
        return [spec.select(matching), spec.select(others)]

    def execute(
        self, inputs: list[Any], settings: ReferenceColumnSplitterSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        matching, others = _split(table.spec, inputs[1].spec, settings.type_compatibility)
        return [table.with_frame(table.df[matching]), table.with_frame(table.df[others])]
