"""Parallel Chunk Start / End (org.knime.core.node.workflow.virtual.parallelchunkstart /
parallelchunkend): KNIME's chunking, the concatenation with `_#<chunk>` RowIDs, whole loops run
with one and with several workers, and the KNIME settings imported."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment
from test_nodes_flow import run_yaml

from engine import Workflow, run_node
from nodes.parallel_chunks import automatic_chunk_count, chunk_bounds

START = "org.knime.core.node.workflow.virtual.parallelchunkstart.ParallelChunkStartNodeFactory"
END = "org.knime.core.node.workflow.virtual.parallelchunkend.ParallelChunkEndNodeFactory"


@pytest.mark.parametrize(
    ("rows", "count", "sizes"),
    [
        (10, 3, [4, 3, 3]),  # 10 // 3 rows each, the remainder to the first chunks
        (11, 4, [3, 3, 3, 2]),
        (3, 5, [1, 1, 1]),  # fewer rows than chunks: one row per chunk
        (1, 4, [1]),  # at most one row: one chunk
        (0, 4, [0]),
    ],
)
def test_chunks_as_knime_splits(rows: int, count: int, sizes: list[int]) -> None:
    assert [b - a for a, b in chunk_bounds(rows, count)] == sizes


def test_automatic_chunk_count_is_one_and_a_half_times_the_processors() -> None:
    assert automatic_chunk_count() == math.ceil(1.5 * (os.cpu_count() or 1))
    assert len(chunk_bounds(1000, 0)) == len(chunk_bounds(1000, -1)) == automatic_chunk_count()


def test_start_hands_each_chunk_its_index() -> None:
    out = run_node("parallel_chunk_start", {"chunkCount": 2}, pd.DataFrame({"x": [1, 2, 3]})).outputs
    assert [o[0].row_ids for o, _ in out] == [["Row0", "Row1"], ["Row2"]]
    assert [v for _, v in out] == [{"chunk_index": 0}, {"chunk_index": 1}]


LOOP = """
format: knitflow/1
name: parallel chunks
nodes:
  - {id: 1, type: toy_range, settings: {n: 7}}
  - {id: 2, type: parallel_chunk_start, settings: {chunkCount: 3}}
  - {id: 3, type: toy_add, settings: {amount: 100}}
  - {id: 4, type: parallel_chunk_end}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1"]
"""


@pytest.mark.parametrize("workers", [1, 3])
def test_chunks_are_processed_and_concatenated_in_order(
    workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KNITFLOW_POOL_SECONDS", "0")  # fork the workers even for these tiny passes
    out = run_yaml(LOOP, workers=workers).output(4)
    assert out.index.tolist() == [
        "Row0_#0",
        "Row1_#0",
        "Row2_#0",
        "Row3_#1",
        "Row4_#1",
        "Row5_#2",
        "Row6_#2",
    ]
    assert out["x"].tolist() == [100 + i for i in range(7)]


def test_a_one_row_table_is_one_chunk() -> None:
    out = run_yaml(LOOP.replace("n: 7", "n: 1"), workers=1).output(4)
    assert out.index.tolist() == ["Row0_#0"]


def test_the_end_closes_only_a_parallel_chunk_start() -> None:
    text = LOOP.replace(
        "parallel_chunk_start, settings: {chunkCount: 3}", "counting_loop_start, settings: {loops: 2}"
    )
    result = Workflow.from_text(text).run(workers=1)
    assert not result.ok
    assert any("Parallel Chunk Start" in (s.error or "") for s in result.failed())


def test_the_start_is_closed_only_by_a_parallel_chunk_end() -> None:
    result = Workflow.from_text(LOOP.replace("type: parallel_chunk_end}", "type: loop_end}")).run(workers=1)
    assert not result.ok
    assert any("closed only by a Parallel Chunk End" in (s.error or "") for s in result.failed())


def test_parallel_chunk_nodes_import(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, START, {"chunkCount": -1, "inactiveMainBranch": False})
    assert node.type == "parallel_chunk_start" and findings(report) == []
    assert node.settings == {"chunkCount": -1, "inactiveMainBranch": False}
    node, report, _ = import_fragment(tmp_path, END, {})
    assert node.type == "parallel_chunk_end" and findings(report) == []


def test_an_inactive_main_branch_is_a_finding(tmp_path: Path) -> None:
    _, report, _ = import_fragment(tmp_path, START, {"chunkCount": 4, "inactiveMainBranch": True})
    assert any("inactiveMainBranch" in f for f in findings(report))


@pytest.mark.parametrize("factory", [START, END])
def test_unknown_keys_are_findings(tmp_path: Path, factory: str) -> None:
    _, report, _ = import_fragment(tmp_path, factory, {"chunkCount": 2, "someFutureOption": True})
    assert any("someFutureOption" in f for f in findings(report))


def test_chunks_run_in_several_processes_with_several_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNITFLOW_POOL_SECONDS", "0")
    text = LOOP.replace("toy_add, settings: {amount: 100}", "toy_pid").replace("n: 7", "n: 12")
    text = text.replace("chunkCount: 3", "chunkCount: 4")
    out = run_yaml(text, workers=3).output(4)
    assert out.index.tolist() == [f"Row{i}_#{i // 3}" for i in range(12)]
    assert out["pid"].nunique() > 1  # the chunks ran in worker processes, the result in chunk order
