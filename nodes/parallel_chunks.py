"""KNIME's Parallel Chunk Start / Parallel Chunk End as a knitflow loop.

KNIME copies the branch between the two nodes once per chunk (virtual branches run side by side,
the main branch takes the last chunk) and the end concatenates the branches' tables in chunk
order, each RowID suffixed with `_#<chunk index>`. In knitflow the branch is a loop body and each
chunk a planned pass: with `--workers` above 1 the passes run in parallel worker processes, and
the result is the same whatever the workers' timing. The chunks are KNIME's: the rows divided as
evenly as possible, the first `rows % chunks` chunks one row longer; a table of at most one row is
a single chunk. Each pass sees the Integer variable `chunk_index`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Iteration,
    LoopEndNode,
    LoopStartNode,
    NodeContext,
    NodeError,
    NodeSettings,
    NoSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings


def automatic_chunk_count() -> int:
    """ParallelChunkStartNodeConfiguration.DEFAULT_PROC_COUNT: 1.5 times the processors, rounded up."""
    return math.ceil(1.5 * (os.cpu_count() or 1))


class ParallelChunkStartSettings(NodeSettings):
    """ParallelChunkStartNodeConfiguration."""

    chunkCount: int = Field(  # noqa: N815 (KNIME's key)
        -1,
        description="Number of chunks; 0 or less: automatic, 1.5 times the number of processors (rounded up), "
        "as KNIME computes it on the machine that runs the workflow.",
    )
    inactiveMainBranch: bool = Field(  # noqa: N815
        False,
        description="KNIME: the main branch forwards an inactive port instead of processing the last chunk. "
        "knitflow runs every chunk as a pass; only False is imported without a finding.",
    )


def chunk_bounds(rows: int, chunk_count: int) -> list[tuple[int, int]]:
    """ParallelChunkStartNodeModel's split: (first row, end) per chunk."""
    if rows <= 1:
        return [(0, rows)]
    chunks = chunk_count if chunk_count > 0 else automatic_chunk_count()
    per = rows // chunks
    if per < 1:
        chunks, per = rows, 1
    extra = rows % chunks
    bounds = []
    first = 0
    for i in range(chunks):
        end = first + per + (1 if i < extra else 0)
        bounds.append((first, end))
        first = end
    return bounds


def _start_from_knime(knime: KnimeSettings) -> None:
    knime.take("chunkCount")
    if knime.take("inactiveMainBranch"):
        knime.lost(
            "inactiveMainBranch = true: KNIME's main branch passes an inactive port instead of the last chunk; "
            "knitflow processes every chunk as a loop pass (the concatenated result is the chunks' tables)"
        )
    knime.unread()


def _end_from_knime(knime: KnimeSettings) -> None:
    knime.unread()  # ParallelChunkEndNodeModel keeps no settings: any key is a finding


class ParallelChunkStart(LoopStartNode):
    """KNIME's Parallel Chunk Start."""

    type_name = "parallel_chunk_start"
    display_name = "Parallel Chunk Start"
    description = (
        "Splits the input table into chunks processed in parallel up to the Parallel Chunk End: one loop pass "
        "per chunk (run by parallel workers with --workers above 1). Chunk count: `chunkCount`, or automatic "
        "(0 or less): 1.5 times the processors, rounded up. Rows are divided as evenly as possible, the first "
        "chunks one row longer; a table of at most one row is one chunk. Each pass sees `chunk_index`."
    )
    keywords = ("parallel", "chunk", "split", "multithreading", "loop", "virtual")
    knime = (
        KnimeMapping(
            "org.knime.core.node.workflow.virtual.parallelchunkstart.ParallelChunkStartNodeFactory",
            "Parallel Chunk Start",
            _start_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "The table to split into chunks."),)
    outputs = (Port(TABLE, "Chunk", "The current chunk's rows."),)
    Settings = ParallelChunkStartSettings

    def check_end(self, end: LoopEndNode) -> None:
        if not isinstance(end, ParallelChunkEnd):
            raise NodeError(
                f"a Parallel Chunk Start is closed only by a Parallel Chunk End, not a {end.display_name}"
            )

    def loop_variables(self, in_specs: list[Any], settings: ParallelChunkStartSettings) -> dict[str, str]:
        return {"chunk_index": "Integer"}

    def configure(
        self, in_specs: list[Any], settings: ParallelChunkStartSettings, ctx: NodeContext
    ) -> list[Any]:
        return [in_specs[0] if isinstance(in_specs[0], TableSpec) else UNKNOWN]

    def plan(
        self, inputs: list[Any], settings: ParallelChunkStartSettings, ctx: NodeContext
    ) -> list[Iteration]:
        table: Table = inputs[0]
        bounds = chunk_bounds(len(table), settings.chunkCount)
        return [
            Iteration([table.take(np.arange(a, b))], {"chunk_index": i}, total=len(bounds))
            for i, (a, b) in enumerate(bounds)
        ]

    def iterations(
        self, inputs: list[Any], settings: ParallelChunkStartSettings, ctx: NodeContext
    ) -> Iterator[Iteration]:
        yield from self.plan(inputs, settings, ctx)


class ParallelChunkEnd(LoopEndNode):
    """KNIME's Parallel Chunk End."""

    type_name = "parallel_chunk_end"
    display_name = "Parallel Chunk End"
    description = (
        "Concatenates the tables of the chunks a Parallel Chunk Start opened, in chunk order; each RowID gets "
        "the suffix `_#<chunk index>`. All chunks must give tables of the same structure."
    )
    keywords = ("parallel", "chunk", "collect", "concatenate", "virtual")
    knime = (
        KnimeMapping(
            "org.knime.core.node.workflow.virtual.parallelchunkend.ParallelChunkEndNodeFactory",
            "Parallel Chunk End",
            _end_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Chunk result", "The table each chunk's branch delivers."),)
    outputs = (Port(TABLE, "Collected results", "All chunks' tables, concatenated."),)
    Settings = NoSettings

    def check_start(self, start: LoopStartNode) -> None:
        if not isinstance(start, ParallelChunkStart):
            raise NodeError(
                f"a Parallel Chunk End closes only a Parallel Chunk Start, not a {start.display_name}"
            )

    def configure(self, in_specs: list[Any], settings: NoSettings, ctx: NodeContext) -> list[Any]:
        return [in_specs[0] if isinstance(in_specs[0], TableSpec) else UNKNOWN]

    def begin(self, settings: NoSettings, ctx: NodeContext) -> list[Table]:
        return []

    def collect(self, state: list[Table], inputs: list[Any], settings: NoSettings, ctx: NodeContext) -> Any:
        table = inputs[0]
        if not isinstance(table, Table):
            raise NodeError(f"chunk {len(state)} delivered no table")
        if state and table.spec != state[0].spec:
            raise NodeError(
                f"chunk {len(state)} delivers columns {table.spec.names} of types "
                f"{[c.type for c in table.spec.columns]}, chunk 0 {state[0].spec.names} of types "
                f"{[c.type for c in state[0].spec.columns]}: KNIME's end cannot concatenate them"
            )
        state.append(table)
        return None

    def finish(self, state: list[Table], settings: NoSettings, ctx: NodeContext) -> list[Any]:
        if not state:
            raise NodeError("Parallel Chunk End node without any registered branches.")
        frames = []
        for i, table in enumerate(state):
            df = table.df.copy(deep=False)
            df.index = pd.Index([f"{r}_#{i}" for r in table.row_ids], dtype=object)
            frames.append(df)
        first = state[0]
        df = pd.concat(frames, axis=0) if len(frames) > 1 else frames[0]
        df.attrs = dict(first.df.attrs)
        return [Table(df, dict(first.types))]
