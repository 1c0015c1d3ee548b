"""Concatenate, following KNIME's `AppendedRowsNodeModel`: union or intersection of the columns (the
first table's order, then new columns as they appear), the common super type per column, and duplicate
RowIDs skipped (with KNIME's warning), suffixed until unique, or fatal; or new RowIDs Row0, Row1, ..."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._rows import appended_row_ids, as_type, coerce, common_type

# ===================================================================================== Concatenate


class ConcatenateSettings(NodeSettings):
    intersection_of_columns: bool = Field(
        False,
        title="How to combine input columns",
        description="False: union of all columns (missing cells where a table lacks one); true: only the columns "
        "every table has.",
    )
    create_new_rowids: bool = Field(
        False,
        title="Create new RowIDs",
        description="Discard the input RowIDs and number the rows Row0, Row1, ...",
    )
    fail_on_duplicates: bool = Field(
        False,
        title="Fail on duplicate RowIDs",
        description="Fail when a RowID occurs in more than one table.",
    )
    append_suffix: bool = Field(
        True,
        title="Append suffix",
        description="A duplicate RowID gets `suffix` appended (repeatedly, until unique); when false (and not "
        "failing) rows with a duplicate RowID are skipped.",
    )
    suffix: str = Field("_dup", description="Suffix for duplicate RowIDs.")


def _concat_spec(specs: list[TableSpec], intersection: bool) -> tuple[list[str], dict[str, str]]:
    order: list[str] = []
    by_name: dict[str, list[str]] = {}
    for spec in specs:
        for col in spec.columns:
            if col.name not in by_name:
                order.append(col.name)
                by_name[col.name] = []
            by_name[col.name].append(col.type)
    if intersection:
        order = [n for n in order if all(n in spec for spec in specs)]
    return order, {n: common_type(by_name[n]) for n in order}


def _concatenate_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["intersection_of_columns", "create_new_rowids", "fail_on_duplicates", "append_suffix", "suffix"]
    )
    knime.ignore_binding("enable_hiliting", "hiliting changes no output")


CONCATENATE_INPUTS = 6


class Concatenate(Node):
    type_name = "concatenate"
    display_name = "Concatenate"
    category = Category.MANIPULATOR
    description = (
        "Appends the rows of the second (and further) tables below the first: union or intersection of the "
        "columns, each column the common type of its inputs (Integer and Double give Double). Duplicate RowIDs "
        "get a suffix, are skipped, or fail the node; or all rows get new RowIDs."
    )
    keywords = ("concatenate", "append", "union", "stack", "rbind", "combine rows")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.append.row.AppendedRowsNodeFactory",
            "Concatenate",
            _concatenate_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.append.row.AppendedRowsWithOptionalInNodeFactory",
            "Concatenate (Optional in)",
            _concatenate_from_knime,
        ),
    )
    inputs = (Port(TABLE, "First table"), Port(TABLE, "Second table")) + tuple(
        Port(TABLE, f"Table {i + 1}", "Optional further table", optional=True)
        for i in range(2, CONCATENATE_INPUTS)
    )
    outputs = (Port(TABLE, "Concatenated table"),)
    Settings = ConcatenateSettings

    def configure(self, in_specs: list[Any], settings: ConcatenateSettings, ctx: NodeContext) -> list[Any]:
        if settings.append_suffix and not settings.fail_on_duplicates and not settings.suffix:
            raise ConfigureError("Invalid suffix: empty", setting="suffix")
        specs = [s for s in in_specs if s is not None and s is not UNKNOWN]
        if len(specs) != len([s for s in in_specs if s is not None]) or not all(
            isinstance(s, TableSpec) for s in specs
        ):
            return [UNKNOWN]
        order, types = _concat_spec(specs, settings.intersection_of_columns)
        return [TableSpec.of((n, types[n]) for n in order)]

    def execute(self, inputs: list[Any], settings: ConcatenateSettings, ctx: NodeContext) -> list[Any]:
        tables: list[Table] = [t for t in inputs if t is not None]
        order, types = _concat_spec([t.spec for t in tables], settings.intersection_of_columns)
        ids, keep, skipped = (
            ([], [np.ones(len(t), dtype=bool) for t in tables], 0)
            if settings.create_new_rowids
            else appended_row_ids(
                tables,
                suffix=settings.suffix if settings.append_suffix else None,
                fail_setting="fail_on_duplicates" if settings.fail_on_duplicates else None,
            )
        )
        frames = []
        for t, mask in zip(tables, keep, strict=True):
            part = {}
            n = int(mask.sum())
            for name in order:
                if name in t.types:
                    part[name] = as_type(t.df[name][mask].reset_index(drop=True), t.types[name], types[name])
                else:
                    part[name] = pd.Series([None] * n, dtype=object)
            frames.append(pd.DataFrame(part, columns=order))
        df = pd.concat(frames, axis=0, ignore_index=True) if frames else pd.DataFrame(columns=order)
        for name in order:
            df[name] = (
                coerce(df[name], types[name])
                if df[name].dtype == object or df[name].isna().any()
                else df[name]
            )
        df.index = pd.Index(
            [f"Row{k}" for k in range(len(df))] if settings.create_new_rowids else ids, dtype=object
        )
        if skipped:
            ctx.warn(f"Filtered out {skipped} duplicate row(s).")
        return [Table(df, types)]
