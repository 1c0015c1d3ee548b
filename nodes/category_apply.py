"""Category To Number (Apply) and Number To Category (Apply): a Category To Number mapping used on
other data, and turned back (org.knime.base.node.preproc.colconvert.categorytonumber and
numbertocategory).

As in KNIME, each mapped column is found by name: Category To Number (Apply) looks for the source
column (a String column), Number To Category (Apply) for the column the numbers went to (an
Integer column: the source itself when the numbers replaced it). A mapped column that is missing
or of another type is skipped with a warning. Both pass the mapping on at port 1, as KNIME does.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    Model,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._category_mapping import CATEGORY_MAPPING, CategoryMapping, ColumnMapping


class CategoryToNumberApplySettings(NodeSettings):
    append_columns: bool = Field(True, description="Append the numbers as new columns instead of replacing.")
    column_suffix: str = Field(" (to number)", description="Suffix of appended columns' names.")


class NumberToCategoryApplySettings(NodeSettings):
    append_columns: bool = Field(
        True, description="Append the categories as new columns instead of replacing."
    )
    column_suffix: str = Field(" (to category)", description="Suffix of appended columns' names.")


def _apply_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["append_columns", "column_suffix"])


def _mapping_of(model: Any) -> CategoryMapping:
    payload = getattr(model, "payload", None)
    if not isinstance(payload, CategoryMapping):
        raise NodeError("port 1 needs the mapping of a Category To Number node")
    return payload


def _apply(
    table: Table,
    mapping: CategoryMapping,
    settings: CategoryToNumberApplySettings | NumberToCategoryApplySettings,
    ctx: NodeContext,
    *,
    to_numbers: bool,
) -> Table:
    df = table.df.copy(deep=False)
    types: dict[str, str] = {}
    taken = set(table.spec.names)
    wanted = ColumnType.STRING if to_numbers else ColumnType.INTEGER
    for column in mapping.columns:
        name = column.source if to_numbers else column.field
        if name not in table.spec:
            ctx.warn(f'Cannot create column "{name}" since the column "{name}" is not in the input.')
            continue
        if table.types[name] != wanted and not (to_numbers and table.types[name] == ColumnType.SMILES):
            ctx.warn(
                f'Cannot create column "{name}" since the input column "{name}" is not of type {wanted}.'
            )
            continue
        target = name
        if settings.append_columns:
            target = unique_column_name(taken, name + settings.column_suffix)
            taken.add(target)
        df[target], types[target] = _mapped(table.df[name], column, to_numbers)
    if not types:
        ctx.warn("No columns to process, returning input.")
    return table.with_frame(df, types)


def _mapped(values: pd.Series, column: ColumnMapping, to_numbers: bool) -> tuple[pd.Series, str]:
    """Each cell through the mapping; missing cells and values the mapping lacks become missing."""
    if to_numbers:
        numbers = column.number_of()
        cells = [None if pd.isna(v) else numbers.get(str(v)) for v in values]
        return pd.Series(pd.array(cells, dtype="Int64"), index=values.index), ColumnType.INTEGER
    categories = column.category_of()
    texts = [None if pd.isna(v) else categories.get(int(v)) for v in values]
    return pd.Series(texts, index=values.index, dtype=object), ColumnType.STRING


class _MappingApply(Node):
    """Both Apply nodes: the mapping passes through; the table's mapped columns are converted."""

    category = Category.MANIPULATOR
    to_numbers: bool = True
    inputs = (Port(CATEGORY_MAPPING, "Mapping"), Port(TABLE, "Table"))

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        return [in_specs[0], UNKNOWN]  # KNIME knows the columns only from the mapping at run time

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        model: Model = inputs[0]
        return [model, _apply(inputs[1], _mapping_of(model), settings, ctx, to_numbers=self.to_numbers)]


class CategoryToNumberApply(_MappingApply):
    type_name = "category_to_number_apply"
    display_name = "Category To Number (Apply)"
    description = (
        "Maps the categories of String columns to the numbers a Category To Number node gave them (its mapping "
        "on port 1): each mapped source column found in the table is replaced or appended as `<name> (to number)`;"
        " categories the mapping lacks and missing cells become missing."
    )
    keywords = ("category", "encode", "apply", "mapping", "label encoding", "pmml")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.colconvert.categorytonumber.CategoryToNumberApplyNodeFactory",
            "Category To Number (Apply)",
            _apply_from_knime,
        ),
    )
    outputs = (
        Port(CATEGORY_MAPPING, "Mapping", "The mapping, passed on."),
        Port(TABLE, "Table with numbers"),
    )
    Settings = CategoryToNumberApplySettings


class NumberToCategoryApply(_MappingApply):
    type_name = "number_to_category_apply"
    display_name = "Number To Category (Apply)"
    description = (
        "Turns the numbers of a Category To Number node back into its categories (its mapping on port 1): each "
        "mapped Integer column found in the table is replaced or appended as `<name> (to category)`; numbers the "
        "mapping lacks and missing cells become missing."
    )
    keywords = ("category", "decode", "apply", "mapping", "number to category", "pmml")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.colconvert.numbertocategory.NumberToCategoryApplyNodeFactory",
            "Number To Category (Apply)",
            _apply_from_knime,
        ),
    )
    outputs = (
        Port(CATEGORY_MAPPING, "Mapping", "The mapping, passed on."),
        Port(TABLE, "Table with categories"),
    )
    Settings = NumberToCategoryApplySettings
    to_numbers = False
