"""Counting, Chunk and Group Loop Start: their passes, loop variables, KNIME mappings, and whole
loops run by the engine (sequential and with parallel passes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import findings, import_fragment
from test_nodes_flow import run_yaml

from engine import Workflow, run_node
from engine.api import ConfigureError, NodeError, Table

COUNT = "org.knime.base.node.meta.looper.LoopStartCountDynamicNodeFactory"
COUNT_LEGACY = "org.knime.base.node.meta.looper.LoopStartCountNodeFactory"
CHUNK = "org.knime.base.node.meta.looper.chunk.LoopStartChunkNodeFactory"
GENERIC = "org.knime.base.node.meta.looper.condition.LoopStartGenericDynamicNodeFactory"
GENERIC_LEGACY = "org.knime.base.node.meta.looper.condition.LoopStartGenericNodeFactory"
CONDITION = "org.knime.base.node.meta.looper.condition.LoopEndConditionDynamicNodeFactory"
CONDITION_LEGACY = "org.knime.base.node.meta.looper.condition.LoopEndConditionNodeFactory"
GROUP = "org.knime.base.node.meta.looper.group.GroupLoopStartNodeFactory"


def passes(node_type: str, settings: dict, df: pd.DataFrame | None) -> list[tuple[list, dict]]:
    inputs = [] if df is None else [df]
    return run_node(node_type, settings, *inputs).outputs


# ------------------------------------------------------------------------------- Counting Loop Start


def test_counting_loop_passes_its_input_to_every_pass() -> None:
    df = pd.DataFrame({"x": [1, 2]})
    out = passes("counting_loop_start", {"loops": 3}, df)
    assert [v for _, v in out] == [{"currentIteration": i, "maxIterations": 3} for i in range(3)]
    assert all(o[0].df["x"].tolist() == [1, 2] for o, _ in out)


def test_counting_loop_needs_at_least_one_loop() -> None:
    with pytest.raises(Exception, match="loops"):
        run_node("counting_loop_start", {"loops": 0}, pd.DataFrame({"x": [1]}))


def test_counting_loop_imports_with_its_pass_through_port(tmp_path: Path) -> None:
    extra = '<config key="node_creation_config"><config key="Pass Through"><config key="port_0">'
    extra += '<entry key="object_class" type="xstring" value="org.knime.core.node.BufferedDataTable"/>'
    extra += "</config></config></config>"
    node, report, _ = import_fragment(tmp_path, COUNT, {"loops": 7}, extra=extra)
    assert node.type == "counting_loop_start" and node.settings == {"loops": 7}
    assert findings(report) == []


def test_counting_loop_before_4_5_imports(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, COUNT_LEGACY, {"loops": 3})
    assert node.type == "counting_loop_start" and node.settings == {"loops": 3}
    assert findings(report) == []


# ---------------------------------------------------------------------------------- Chunk Loop Start


@pytest.mark.parametrize(
    ("settings", "sizes", "total"),
    [
        ({"mode": "RowsPerChunk", "nrRowsPerChunk": 2}, [2, 2, 1], 3),
        ({"mode": "RowsPerChunk", "nrRowsPerChunk": 1}, [1, 1, 1, 1, 1], 5),
        ({"mode": "NrOfChunks", "nrOfChunks": 2}, [3, 2], 2),
        # ceil(5/4) = 2 rows a chunk use the rows up in 3 passes; KNIME still reports 4
        ({"mode": "NrOfChunks", "nrOfChunks": 4}, [2, 2, 1], 4),
        ({"mode": "NrOfChunks", "nrOfChunks": 9}, [1, 1, 1, 1, 1], 5),
    ],
)
def test_chunk_loop_sizes_as_knime(settings: dict, sizes: list[int], total: int) -> None:
    df = pd.DataFrame({"x": range(5)}, index=[f"r{i}" for i in range(5)])
    out = passes("chunk_loop_start", settings, df)
    assert [len(o[0]) for o, _ in out] == sizes
    assert [v for _, v in out] == [{"currentIteration": i, "maxIterations": total} for i in range(len(sizes))]
    assert sum((o[0].row_ids for o, _ in out), []) == list(df.index)


def test_chunk_loop_empty_table() -> None:
    empty = Table(pd.DataFrame({"x": pd.Series([], dtype=np.float64)}), {"x": "Double"})
    out = passes("chunk_loop_start", {}, empty)
    assert (
        len(out) == 1 and len(out[0][0][0]) == 0 and out[0][1] == {"currentIteration": 0, "maxIterations": 0}
    )
    with pytest.raises(NodeError, match="empty"):
        run_node("chunk_loop_start", {"mode": "NrOfChunks", "nrOfChunks": 3}, empty)


def test_chunk_loop_imports(tmp_path: Path) -> None:
    node, report, _ = import_fragment(
        tmp_path, CHUNK, {"mode": "NrOfChunks", "nrRowsPerChunk": 1, "nrOfChunks": 4}
    )
    assert node.type == "chunk_loop_start"
    assert node.settings == {"mode": "NrOfChunks", "nrRowsPerChunk": 1, "nrOfChunks": 4}
    assert findings(report) == []


# ---------------------------------------------------------------------------------- Group Loop Start

FRUIT = pd.DataFrame(
    {
        "kind": ["pear", "apple", "pear", None, "apple"],
        "size": [2, 1, 2, 3, 1],
        "w": [0.5, 1.5, 2.5, 3.5, 4.5],
    }
)


def include(*names: str) -> dict:
    return {"included_names": list(names), "enforce_option": "EnforceInclusion"}


def test_group_loop_sorts_and_names_each_group() -> None:
    out = passes("group_loop_start", {"column_names": include("kind")}, FRUIT)
    groups = [(o[0].df["w"].tolist(), v) for o, v in out]
    assert groups == [
        ([3.5], {"currentIteration": 0, "kind": "", "groupIdentifier": "%?%"}),  # missing sorts first
        ([1.5, 4.5], {"currentIteration": 1, "kind": "apple", "groupIdentifier": "%apple%"}),
        ([0.5, 2.5], {"currentIteration": 2, "kind": "pear", "groupIdentifier": "%pear%"}),
    ]


def test_group_loop_several_columns_and_typed_variables() -> None:
    out = passes("group_loop_start", {"column_names": include("size", "w")}, FRUIT.iloc[[0, 2]])
    assert [v for _, v in out] == [
        {"currentIteration": 0, "size": 2, "w": 0.5, "groupIdentifier": "%2%0.5%"},
        {"currentIteration": 1, "size": 2, "w": 2.5, "groupIdentifier": "%2%2.5%"},
    ]


def test_group_loop_on_sorted_input_keeps_order_and_refuses_split_groups() -> None:
    sorted_df = FRUIT.iloc[[0, 2, 1, 4]]
    out = passes("group_loop_start", {"column_names": include("kind"), "sorted_input_table": True}, sorted_df)
    assert [v["kind"] for _, v in out] == ["pear", "apple"]
    with pytest.raises(NodeError, match="not sorted"):
        run_node("group_loop_start", {"column_names": include("kind"), "sorted_input_table": True}, FRUIT)


def test_group_loop_needs_a_column() -> None:
    with pytest.raises(ConfigureError, match="at least one column"):
        run_node("group_loop_start", {"column_names": include()}, FRUIT)


def test_group_loop_imports_its_filter_and_flag(tmp_path: Path) -> None:
    model = {
        "column_names": {
            "filter-type": "STANDARD",
            "included_names": {"array-size": 1, "0": "kind"},
            "excluded_names": {"array-size": 2, "0": "size", "1": "w"},
            "enforce_option": "EnforceInclusion",
        },
        "sorted_input_table": False,
    }
    node, report, _ = import_fragment(tmp_path, GROUP, model)
    assert node.type == "group_loop_start" and findings(report) == []
    assert node.settings["sorted_input_table"] is False
    out = run_node("group_loop_start", node.settings, FRUIT).outputs
    assert [v["kind"] for _, v in out] == ["", "apple", "pear"]


# ------------------------------------------------------------------------------------- whole loops

LOOP = """
format: knitflow/1
name: loops
nodes:
  - {id: 1, type: toy_range, settings: {n: 5}}
  - {id: 2, type: START, settings: SETTINGS}
  - {id: 3, type: loop_end, settings: {}}
connections: ["1:1 -> 2:1", "2:1 -> 3:1"]
"""


@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize(
    ("start", "settings", "iterations"),
    [
        ("counting_loop_start", "{loops: 2}", [0] * 5 + [1] * 5),
        ("chunk_loop_start", "{nrRowsPerChunk: 2}", [0, 0, 1, 1, 2]),
    ],
)
def test_loops_run_in_the_engine(start: str, settings: str, iterations: list[int], workers: int) -> None:
    out = run_yaml(LOOP.replace("START", start).replace("SETTINGS", settings), workers=workers).output(3)
    assert out["Iteration"].tolist() == iterations


# ------------------------------------------------------ Generic Loop Start + Variable Condition Loop End

WHILE = """
format: knitflow/1
name: while loop
nodes:
  - {id: 1, type: toy_range, settings: {n: 2}}
  - {id: 2, type: START}
  - {id: 3, type: variable_condition_loop_end, settings: END}
connections: ["1:1 -> 2:1", "2:1 -> 3:1"]
"""


def while_loop(end: str, start: str = "generic_loop_start", workers: int = 1) -> object:
    return run_yaml(WHILE.replace("START", start).replace("END", end), workers=workers)


@pytest.mark.parametrize("workers", [1, 3])
def test_generic_loop_runs_until_the_condition_holds(workers: int) -> None:
    result = while_loop("{variable_name: currentIteration, operator: GE, value: '3'}", workers=workers)
    out = result.output(3)
    assert out["Iteration"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert out.index.tolist()[:3] == ["Row0#0", "Row1#0", "Row0#1"]
    values = result.output(3, port=2)
    assert values.index.tolist() == [f"Iteration {i}" for i in range(4)]
    assert values["Variable value"].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("flags", "iterations"),
    [
        ("add_last_rows: true, add_last_rows_only: false", [0, 1, 2]),
        ("add_last_rows: true, add_last_rows_only: true", [2]),
        ("add_last_rows: false, add_last_rows_only: false", [0, 1]),
        ("add_last_rows: false, add_last_rows_only: true", []),
    ],
)
def test_condition_loop_end_keeps_the_rows_knime_keeps(flags: str, iterations: list[int]) -> None:
    end = "{variable_name: currentIteration, operator: EQ, value: '2', " + flags + "}"
    out = while_loop(end).output(3)
    assert sorted(set(out["Iteration"].tolist())) == iterations


def test_condition_loop_end_stops_a_counting_loop_early_or_at_its_count() -> None:
    counting = "counting_loop_start, settings: {loops: 3}"
    early = while_loop("{variable_name: currentIteration, operator: EQ, value: '1'}", counting)
    assert early.output(3)["Iteration"].tolist() == [0, 0, 1, 1]
    never = while_loop("{variable_name: currentIteration, operator: LT, value: '0'}", counting)
    assert never.output(3)["Iteration"].tolist() == [0, 0, 1, 1, 2, 2]


def test_generic_loop_with_a_plain_loop_end_is_refused() -> None:
    text = WHILE.replace("START", "generic_loop_start").replace(
        "type: variable_condition_loop_end, settings: END", "type: loop_end"
    )
    result = Workflow.from_text(text).run()
    assert not result.ok
    assert "never does" in " ".join(str(s.error) for s in result.failed())


def test_condition_loop_end_checks_its_settings() -> None:
    with pytest.raises(ConfigureError, match="No variable selected"):
        run_node("variable_condition_loop_end", {}, pd.DataFrame({"x": [1]}))
    with pytest.raises(NodeError, match="not a valid double"):
        run_node(
            "variable_condition_loop_end",
            {"variable_name": "v", "variable_type": "DOUBLE", "value": "abc"},
            pd.DataFrame({"x": [1]}),
        )


def test_condition_loop_end_imports_both_layouts(tmp_path: Path) -> None:
    dynamic = {
        "variableName": "err",
        "variableType": "DOUBLE",
        "value": "0.01",
        "operator": "LT",
        "addLastRows": {"array-size": 1, "0": True},
        "addLastRowsOnly": {"array-size": 1, "0": False},
        "addIterationColumn": {"array-size": 1, "0": False},
        "propagateLoopVariables": True,
    }
    node, report, _ = import_fragment(tmp_path, CONDITION, dynamic)
    assert node.type == "variable_condition_loop_end" and findings(report) == []
    assert node.settings["operator"] == "LT" and node.settings["add_iteration_column"] is False
    legacy = {k: (v["0"] if isinstance(v, dict) else v) for k, v in dynamic.items()}
    node, report, _ = import_fragment(tmp_path, CONDITION_LEGACY, legacy)
    assert node.type == "variable_condition_loop_end" and findings(report) == []


def test_generic_loop_imports(tmp_path: Path) -> None:
    for factory in (GENERIC, GENERIC_LEGACY):
        node, report, _ = import_fragment(tmp_path, factory, {})
        assert node.type == "generic_loop_start" and findings(report) == []


# -------------------------------------------------------------------------------- Variable Loop End

VARIABLE_LOOP = """
format: knitflow/1
name: variable loop
nodes:
  - {id: 1, type: toy_range, settings: {n: 3}}
  - {id: 2, type: table_row_to_variable_loop_start}
  - {id: 3, type: variable_loop_end, settings: SETTINGS}
connections: ["1:1 -> 2:1", "2:1 -> 3:1"]
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_variable_loop_end_collects_a_row_per_pass(workers: int) -> None:
    text = VARIABLE_LOOP.replace("SETTINGS", "{variables: [x, currentIteration]}")
    out = run_yaml(text, workers=workers).output(3)
    assert out.index.tolist() == ["Row0", "Row1", "Row2"]
    assert out.columns.tolist() == ["x", "currentIteration"]
    assert out["x"].tolist() == [0, 1, 2] and out["currentIteration"].tolist() == [0, 1, 2]


def test_variable_loop_end_with_knime_filter_and_no_variables() -> None:
    text = VARIABLE_LOOP.replace(
        "SETTINGS", "{variables: {included_names: [x], enforce_option: EnforceInclusion}}"
    )
    assert run_yaml(text).output(3).columns.tolist() == ["x"]
    empty = run_yaml(VARIABLE_LOOP.replace("SETTINGS", "{}")).output(3)
    assert empty.index.tolist() == ["Row0", "Row1", "Row2"] and empty.columns.tolist() == []


VARIABLE_END = "org.knime.base.node.meta.looper.variable.end.LoopEndVariableNodeFactory"


def test_variable_loop_end_imports_both_filter_layouts(tmp_path: Path) -> None:
    classic = {
        "variable_filter": {
            "filter-type": "STANDARD",
            "included_names": {"array-size": 1, "0": "x"},
            "excluded_names": {"array-size": 1, "0": "currentIteration"},
            "enforce_option": "EnforceInclusion",
        },
        "propagateLoopVariables": False,
    }
    node, report, _ = import_fragment(tmp_path, VARIABLE_END, classic)
    assert node.type == "variable_loop_end" and findings(report) == []
    assert node.settings["variables"]["included_names"] == ["x"]
    webui = {
        "filter": {
            "mode": "MANUAL",
            "manualFilter": {
                "manuallySelected": {"array-size": 1, "0": "x"},
                "manuallyDeselected": {"array-size": 0},
                "includeUnknownColumns": False,
            },
        }
    }
    node, report, _ = import_fragment(tmp_path, VARIABLE_END, webui)
    assert node.type == "variable_loop_end" and findings(report) == []


# --------------------------------------------------------------------------- Column List Loop Start

COLUMN_LIST = "org.knime.base.node.meta.looper.columnlist2.ColumnListLoopStartNodeFactory"


def test_column_list_loop_gives_static_columns_plus_one() -> None:
    df = pd.DataFrame({"A": [1], "B": [2.0], "C": ["c"]})
    out = passes("column_list_loop_start", {"column_filter": include("B", "C")}, df)
    assert [o[0].columns for o, _ in out] == [["A", "B"], ["A", "C"]]
    assert [v for _, v in out] == [
        {"currentColumnName": "B", "currentIteration": 0, "maxIterations": 2},
        {"currentColumnName": "C", "currentIteration": 1, "maxIterations": 2},
    ]


def test_column_list_loop_without_columns_runs_once_or_fails() -> None:
    df = pd.DataFrame({"A": [1], "B": [2.0]})
    out = passes("column_list_loop_start", {"column_filter": include()}, df)
    assert len(out) == 1 and out[0][0][0].columns == ["A", "B"]
    with pytest.raises(ConfigureError, match="No columns"):
        run_node("column_list_loop_start", {"column_filter": include(), "no_columns_policy": "FAIL"}, df)


def test_column_list_loop_imports(tmp_path: Path) -> None:
    model = {
        "column-filter": {
            "filter-type": "STANDARD",
            "included_names": {"array-size": 2, "0": "B", "1": "C"},
            "excluded_names": {"array-size": 1, "0": "A"},
            "enforce_option": "EnforceInclusion",
        },
        "no_columns_policy": False,
    }
    node, report, _ = import_fragment(tmp_path, COLUMN_LIST, model)
    assert node.type == "column_list_loop_start" and findings(report) == []
    assert node.settings["no_columns_policy"] == "FAIL"
    assert node.settings["column_filter"]["included_names"] == ["B", "C"]


def test_column_list_loop_in_the_engine() -> None:
    text = LOOP.replace("START", "column_list_loop_start").replace("SETTINGS", "{}")
    out = run_yaml(text).output(3)
    assert out["x"].tolist() == [0, 1, 2, 3, 4] and out["Iteration"].tolist() == [0] * 5
