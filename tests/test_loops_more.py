"""Loop End (2 ports), Loop End (Column Append), the Recursive Loop Start/End pair, the Interval
Loop Start and the Empty Table Switch: real loops run by the engine, the nodes' own rules, and
their KNIME settings imported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_knime_import import bindings, config, findings, import_fragment
from test_nodes_flow import run_yaml

from engine import Workflow, run_node
from engine.api import INACTIVE, UNKNOWN, ConfigureError, NodeError, Table
from engine.core.context import RunContext
from engine.core.testing import configure_node
from engine.core.variables import VarStack
from nodes.loops import ColumnAppendLoopEnd, ColumnAppendLoopEndSettings

LOOP_END_2 = "org.knime.base.node.meta.looper.LoopEnd2NodeFactory"
JOIN = "org.knime.base.node.meta.looper.LoopEndJoin2NodeFactory"
JOIN_DEPRECATED = "org.knime.base.node.meta.looper.LoopEndJoinNodeFactory"
REC_START = "org.knime.base.node.meta.looper.recursive.RecursiveLoopStartDynamicNodeFactory"
REC_START_1 = "org.knime.base.node.meta.looper.recursive.RecursiveLoopStartNodeFactory"
REC_START_2 = "org.knime.base.node.meta.looper.recursive.RecursiveLoopStart2NodeFactory"
REC_END = "org.knime.base.node.meta.looper.recursive.RecursiveLoopEndDynamicNodeFactory"
REC_END_1 = "org.knime.base.node.meta.looper.recursive.RecursiveLoopEndNodeFactory"
REC_END_2 = "org.knime.base.node.meta.looper.recursive.RecursiveLoopEnd2NodeFactory"
INTERVAL = "org.knime.base.node.meta.looper.LoopStartIntervalDynamicNodeFactory"
INTERVAL_LEGACY = "org.knime.base.node.meta.looper.LoopStartIntervalNodeFactory"
EMPTY_SWITCH = "org.knime.base.node.switches.emptytableswitch.EmptyTableSwitchNodeFactory"
TABLE_PORT = {"object_class": "org.knime.core.node.BufferedDataTable"}


def unknown_key_is_a_finding(tmp_path: Path, factory: str, model: dict) -> None:
    _, report, _ = import_fragment(tmp_path, factory, {**model, "someFutureOption": True})
    assert any("someFutureOption" in f for f in findings(report)), findings(report)


# -------------------------------------------------------------------------------- Loop End (2 ports)

TWO_PORTS = """
format: knitflow/1
name: loop end 2
nodes:
  - {id: 1, type: toy_range, settings: {n: 3}}
  - {id: 2, type: counting_loop_start, settings: {loops: 2}}
  - {id: 3, type: row_filter, settings: {predicates: ['$x > FILTER']}}
  - {id: 4, type: loop_end_2, settings: SETTINGS}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "2:1 -> 4:1", "3:1 -> 4:2"]
"""


def two_ports(settings: str = "{}", filter_above: int = 1, workers: int = 1) -> object:
    text = TWO_PORTS.replace("SETTINGS", settings).replace("FILTER", str(filter_above))
    return run_yaml(text, workers=workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_loop_end_2_concatenates_each_port(workers: int) -> None:
    result = two_ports(workers=workers)
    first, second = result.output(4, 1), result.output(4, 2)
    assert first.index.tolist() == ["Row0#0", "Row1#0", "Row2#0", "Row0#1", "Row1#1", "Row2#1"]
    assert first["x"].tolist() == [0, 1, 2, 0, 1, 2] and first["Iteration"].tolist() == [0, 0, 0, 1, 1, 1]
    assert second.index.tolist() == ["Row2#0", "Row2#1"] and second["Iteration"].tolist() == [0, 1]


def test_loop_end_2_generates_row_ids_per_port_and_drops_the_iteration_column() -> None:
    result = two_ports("{row_key_policy: GENERATE_NEW, add_iteration_column: false}", filter_above=0)
    first, second = result.output(4, 1), result.output(4, 2)
    assert first.index.tolist() == [f"Row{i}" for i in range(6)] and first.columns.tolist() == ["x"]
    assert second.index.tolist() == ["Row0", "Row1", "Row2", "Row3"]  # counted on its own
    assert second["x"].tolist() == [1, 2, 1, 2]


def test_loop_end_2_empty_passes_give_an_empty_table_of_the_passes_structure() -> None:
    second = two_ports(filter_above=10).output(4, 2)
    assert len(second) == 0 and second.columns.tolist() == ["x", "Iteration"]


def test_loop_end_2_unmodified_row_ids_repeat_and_fail() -> None:
    text = TWO_PORTS.replace("SETTINGS", "{row_key_policy: UNMODIFIED}").replace("FILTER", "1")
    result = Workflow.from_text(text).run()
    assert not result.ok and "Duplicate RowID" in " ".join(str(s.error) for s in result.failed())


CHANGING = """
format: knitflow/1
name: changing columns
nodes:
  - {id: 1, type: toy_range, settings: {n: 2}}
  - {id: 2, type: math_formula, settings: {expression: '$x$ * 2', new_column_name: y}}
  - {id: 3, type: column_list_loop_start}
  - {id: 4, type: loop_end_2, settings: SETTINGS}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1", "3:1 -> 4:2"]
"""


def test_loop_end_2_tolerates_changing_columns_per_port() -> None:
    text = CHANGING.replace("SETTINGS", "{tolerate_changing_specs1: true}")
    result = Workflow.from_text(text).run()
    assert not result.ok and "tolerate_changing_specs2" in " ".join(str(s.error) for s in result.failed())
    both = run_yaml(
        CHANGING.replace("SETTINGS", "{tolerate_changing_specs1: true, tolerate_changing_specs2: true}")
    )
    out = both.output(4, 2)
    assert out.columns.tolist() == ["x", "Iteration", "y"]
    assert out["x"].isna().tolist() == [False, False, True, True] and out["y"].tolist()[2:] == [0.0, 2.0]


def test_loop_end_2_imports_its_per_port_settings(tmp_path: Path) -> None:
    model = {
        "addIterationColumn": False,
        "rowKeyPolicy": "GENERATE_NEW",
        "propagateLoopVariables": True,
        "ignoreEmptyTables1": False,
        "ignoreEmptyTables2": True,
        "tolerateColumnTypes1": True,
        "tolerateColumnTypes2": False,
        "tolerateChangingSpecs1": False,
        "tolerateChangingSpecs2": True,
    }
    node, report, _ = import_fragment(tmp_path, LOOP_END_2, model)
    assert node.type == "loop_end_2" and findings(report) == []
    assert node.settings == {
        "add_iteration_column": False,
        "row_key_policy": "GENERATE_NEW",
        "propagate_loop_variables": True,
        "ignore_empty_tables1": False,
        "ignore_empty_tables2": True,
        "tolerate_column_types1": True,
        "tolerate_column_types2": False,
        "tolerate_changing_specs1": False,
        "tolerate_changing_specs2": True,
    }
    old = {
        "addIterationColumn": True,
        "uniqueRowIDs": False,
        "ignoreEmptyTables1": True,
        "ignoreEmptyTables2": True,
    }
    node, report, _ = import_fragment(tmp_path, LOOP_END_2, old)  # KNIME 2.9
    assert findings(report) == [] and node.settings["row_key_policy"] == "UNMODIFIED"
    unknown_key_is_a_finding(tmp_path, LOOP_END_2, model)


# ------------------------------------------------------------------------ Loop End (Column Append)


def ctx() -> RunContext:
    return RunContext(node_id=0, variables=VarStack())


def table(ids: list[str], **columns: list) -> Table:
    return Table.from_frame(pd.DataFrame(columns, index=pd.Index(ids, dtype=object)))


def append_passes(tables: list[Table], **settings: object) -> Table:
    node, parsed = ColumnAppendLoopEnd(), ColumnAppendLoopEndSettings(**settings)
    state = node.begin(parsed, ctx())
    for t in tables:
        node.collect(state, [t], parsed, ctx())
    return node.finish(state, parsed, ctx())[0]


def test_column_append_joins_on_row_ids_in_the_old_joiners_order() -> None:
    out = append_passes([table(["a", "b", "c"], x=[1, 2, 3]), table(["d", "b"], x=[40, 20], y=["D", "B"])])
    # matches first (left order), then the collected table's other rows, then the new rows
    assert out.row_ids == ["b", "a", "c", "d"]
    assert out.columns == ["x", "x (Iter #1)", "y"]
    assert out.df["x"].tolist()[:3] == [2, 1, 3] and pd.isna(out.df["x"].iloc[3])
    assert out.df["x (Iter #1)"].tolist()[0] == 20 and out.df["x (Iter #1)"].tolist()[3] == 40
    assert out.types["x"] == out.types["x (Iter #1)"] == "Long"  # kept, a missing cell or not
    assert out.df["y"].tolist() == ["B", None, None, "D"]


def test_column_append_renames_again_when_the_suffixed_name_is_taken() -> None:
    first = table(["r"], x=[1], **{"x (Iter #1)": [2]})
    out = append_passes([first, table(["r"], x=[3])])
    assert out.columns == ["x", "x (Iter #1)", "x (Iter #1) (Iter #1)"]
    assert out.df.iloc[0].tolist() == [1, 2, 3]


def test_column_append_side_by_side_needs_the_same_row_ids() -> None:
    same = append_passes([table(["a", "b"], x=[1, 2])] * 3, has_same_rows_in_each_iteration=True)
    assert same.columns == ["x", "x (Iter #1)", "x (Iter #2)"] and same.row_ids == ["a", "b"]
    with pytest.raises(NodeError, match="same RowIDs"):
        append_passes(
            [table(["a", "b"], x=[1, 2]), table(["b", "a"], x=[1, 2])], has_same_rows_in_each_iteration=True
        )


def test_the_deprecated_column_append_renames_everything_after_pass_50() -> None:
    passes = [table(["a"], x=[i]) for i in range(52)]
    new = append_passes(passes, has_same_rows_in_each_iteration=True)
    assert new.columns[:2] == ["x", "x (Iter #1)"] and new.columns[-1] == "x (Iter #51)"
    old = append_passes(passes, has_same_rows_in_each_iteration=True, suffix_all_every_50=True)
    assert old.columns[:2] == ["x (Iter #50)", "x (Iter #1) (Iter #50)"]
    # pass 51's `x` no longer clashes with a collected name, so it stays `x`
    assert old.columns[50] == "x (Iter #50) (Iter #50)" and old.columns[51] == "x"
    assert old.df.iloc[0].tolist() == list(range(52))


CHUNKS = """
format: knitflow/1
name: column append
nodes:
  - {id: 1, type: toy_range, settings: {n: 5}}
  - {id: 2, type: chunk_loop_start, settings: {nrRowsPerChunk: 2}}
  - {id: 3, type: loop_end_column_append}
connections: ["1:1 -> 2:1", "2:1 -> 3:1"]
"""


def test_column_append_loop_in_the_engine() -> None:
    out = run_yaml(CHUNKS).output(3)
    assert out.index.tolist() == ["Row0", "Row1", "Row2", "Row3", "Row4"]
    assert out.columns.tolist() == ["x", "x (Iter #1)", "x (Iter #2)"]
    assert out["x"].tolist()[:2] == [0, 1] and out["x"].isna().tolist() == [False, False, True, True, True]
    assert out["x (Iter #1)"].tolist()[2:4] == [2, 3] and out["x (Iter #2)"].tolist()[4] == 4


def test_column_append_imports_both_factories(tmp_path: Path) -> None:
    model = {"hasSameRowsInEachIteration": True, "propagateLoopVariables": False}
    node, report, _ = import_fragment(tmp_path, JOIN, model)
    assert node.type == "loop_end_column_append" and findings(report) == []
    assert node.settings == {"has_same_rows_in_each_iteration": True, "propagate_loop_variables": False}
    node, report, _ = import_fragment(tmp_path, JOIN_DEPRECATED, {"hasSameRowsInEachIteration": False})
    assert findings(report) == [] and node.settings["suffix_all_every_50"] is True
    unknown_key_is_a_finding(tmp_path, JOIN, model)


# ---------------------------------------------------------------- Recursive Loop Start / End

RECURSIVE = """
format: knitflow/1
name: recursive
nodes:
  - {id: 1, type: toy_range, settings: {n: 5}}
  - {id: 2, type: recursive_loop_start}
  - {id: 3, type: row_filter, settings: {predicates: ['$x > 0']}}
  - {id: 4, type: toy_add, settings: {amount: -1}}
  - {id: 5, type: recursive_loop_end, settings: SETTINGS}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1", "2:1 -> 5:1", "4:1 -> 5:2"]
"""


def recursive(settings: str) -> object:
    return run_yaml(RECURSIVE.replace("SETTINGS", settings))


def test_recursive_loop_feeds_the_end_back_until_too_few_rows() -> None:
    out = recursive("{add_iteration_column: [true]}").output(5)
    # each pass drops the rows at 0 and lowers the rest; the pass whose recursion table is empty is the last
    assert out["Iteration"].tolist() == [0] * 5 + [1] * 4 + [2] * 3 + [3] * 2 + [4]
    assert out.index.tolist()[4:7] == ["Row4#0", "Row1#1", "Row2#1"]
    assert out["x"].tolist()[5:9] == [0, 1, 2, 3]
    assert out.columns.tolist() == ["x", "Iteration"]


def test_recursive_loop_stops_at_max_iterations_or_a_minimum_of_rows() -> None:
    out = recursive("{max_nr_iterations: 2}").output(5)
    assert out.index.tolist() == [
        "Row0#0",
        "Row1#0",
        "Row2#0",
        "Row3#0",
        "Row4#0",
        "Row1#1",
        "Row2#1",
        "Row3#1",
        "Row4#1",
    ]
    assert out.columns.tolist() == ["x"]
    out = recursive("{min_number_of_rows: [3]}").output(5)  # 4, 3 and then 2 rows go back
    assert [r.split("#")[1] for r in out.index] == ["0"] * 5 + ["1"] * 4 + ["2"] * 3


def test_recursive_loop_end_can_keep_only_the_last_pass() -> None:
    out = recursive("{only_last_data: [true]}").output(5)
    assert out.index.tolist() == ["Row4"] and out["x"].tolist() == [0]


VARIABLE_STOP = """
format: knitflow/1
name: recursive until variable
nodes:
  - {id: 1, type: toy_range, settings: {n: 5}}
  - {id: 2, type: recursive_loop_start}
  - {id: 3, type: rule_engine_variable, settings: {rules: ['$${IcurrentIteration}$$ >= 2 => "TRUE"', 'TRUE => "no"'],
                                                     new_column_name: done}}
  - {id: 5, type: recursive_loop_end, settings: SETTINGS}
connections: ["1:1 -> 2:1", "2:0 -> 3:0", "3:0 -> 5:0", "2:1 -> 5:1", "2:1 -> 5:2"]
"""


def test_recursive_loop_end_stops_on_a_flow_variable() -> None:
    text = VARIABLE_STOP.replace("SETTINGS", "{use_flow_variable: true, flow_variable_name: done}")
    out = run_yaml(text).output(5)
    assert sorted({r.split("#")[1] for r in out.index}) == ["0", "1", "2"]  # "TRUE" in any case ends it
    missing = VARIABLE_STOP.replace("SETTINGS", "{use_flow_variable: true, flow_variable_name: nope}")
    result = Workflow.from_text(missing).run()
    assert not result.ok and "'nope' does not exist" in " ".join(str(s.error) for s in result.failed())


def test_recursive_loop_end_deprecated_option_bound_to_a_variable() -> None:
    text = VARIABLE_STOP.replace(
        "{id: 5, type: recursive_loop_end, settings: SETTINGS}",
        "{id: 5, type: recursive_loop_end, use_variables: {end_loop_deprecated: done}}",
    )
    out = run_yaml(text).output(5)
    assert len(out) == 15  # passes 0, 1 and 2 of five rows each


TWO_RECURSIONS = """
format: knitflow/1
name: two recursion ports
nodes:
  - {id: 1, type: toy_range, settings: {n: 4}}
  - {id: 2, type: toy_range, settings: {n: 2, column: y}}
  - {id: 3, type: recursive_loop_start, settings: {recursion_ports: 2}}
  - {id: 4, type: toy_add, settings: {amount: 10}}
  - {id: 6, type: recursive_loop_end, settings: {collector_ports: 2, recursion_ports: 2, max_nr_iterations: 3,
                                                 add_iteration_column: [false, true]}}
connections: ["1:1 -> 3:1", "2:1 -> 3:2", "3:1 -> 4:1", "3:2 -> 6:2", "3:1 -> 6:1", "4:1 -> 6:3", "3:2 -> 6:4"]
"""


def test_recursive_loop_with_two_collector_and_two_recursion_ports() -> None:
    result = run_yaml(TWO_RECURSIONS)
    first, second = result.output(6, 1), result.output(6, 2)
    assert first["x"].tolist() == [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]  # x + 10 goes round
    assert first.columns.tolist() == ["x"] and second.columns.tolist() == ["y", "Iteration"]
    assert second["Iteration"].tolist() == [0, 0, 1, 1, 2, 2] and second.index.tolist()[2] == "Row0#1"


def test_recursive_end_refuses_another_loop_start_and_vice_versa() -> None:
    text = RECURSIVE.replace("recursive_loop_start", "counting_loop_start, settings: {loops: 3}")
    result = Workflow.from_text(text.replace("SETTINGS", "{}")).run()
    assert not result.ok
    assert "not connected to matching/corresponding Recursive Loop Start" in " ".join(
        str(s.error) for s in result.failed()
    )
    condition = (
        RECURSIVE.replace(
            "{id: 5, type: recursive_loop_end, settings: SETTINGS}",
            "{id: 5, type: variable_condition_loop_end, settings: {variable_name: currentIteration, value: '3'}}",
        )
        .replace('"4:1 -> 5:2"', '"4:1 -> 6:1"')
        .replace("connections:", "  - {id: 6, type: toy_add}\nconnections:")
    )
    result = Workflow.from_text(condition).run()
    assert not result.ok
    assert "not connected to matching/corresponding Recursive Loop End" in " ".join(
        str(s.error) for s in result.failed()
    )


def test_recursive_ports_must_agree() -> None:
    text = TWO_RECURSIONS.replace("{recursion_ports: 2}", "{}").replace('"2:1 -> 3:2", ', "")
    text = text.replace('"3:2 -> 6:2", ', '"2:1 -> 6:2", ').replace('"3:2 -> 6:4"', '"2:1 -> 6:4"')
    result = Workflow.from_text(text).run()
    assert not result.ok and "same amount of recursion ports" in " ".join(
        str(s.error) for s in result.failed()
    )


def test_recursive_loop_end_checks_its_minimums() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        run_node(
            "recursive_loop_end",
            {"min_number_of_rows": [-1]},
            pd.DataFrame({"x": [1]}),
            pd.DataFrame({"x": [1]}),
        )


def test_recursive_loop_end_configures_its_outputs() -> None:
    spec = Table.from_frame(pd.DataFrame({"x": [1]})).spec
    out = configure_node("recursive_loop_end", {"add_iteration_column": [True]}, spec, spec)
    assert out[0].names == ["x", "Iteration"]
    assert configure_node("recursive_loop_end", {"only_last_data": [True]}, spec, spec) == [UNKNOWN]


def test_recursive_nodes_import_all_layouts(tmp_path: Path) -> None:
    creation = config(
        "node_creation_config",
        Collector={"port_0": TABLE_PORT, "port_1": TABLE_PORT},
        Recursion={"port_0": TABLE_PORT, "port_1": TABLE_PORT, "port_2": TABLE_PORT},
    )
    dynamic = {
        "flowVariableName": "stop",
        "maxNrIterations": 7,
        "endLoop_deprecated": False,
        "useFlowVariable": True,
        "propagateFlowVariables": True,
        "minNumberOfRows": [2, 0],
        "addIterationColumn": [True, False],
        "onlyLastData": [False, True],
    }
    node, report, doc = import_fragment(tmp_path, REC_END, dynamic, extra=creation)
    assert node.type == "recursive_loop_end" and findings(report) == []
    assert node.settings == {
        "collector_ports": 2,
        "recursion_ports": 3,
        "max_nr_iterations": 7,
        "use_flow_variable": True,
        "flow_variable_name": "stop",
        "propagate_flow_variables": True,
        "end_loop_deprecated": False,
        "min_number_of_rows": [2, 0],
        "add_iteration_column": [True, False],
        "only_last_data": [False, True],
    }
    unknown_key_is_a_finding(tmp_path, REC_END, dynamic)
    legacy = {
        "CFG_MaxNrIterations": 50,
        "CFG_MinNrOfRows": 3,
        "CFG_OnlyLastData": False,
        "CFG_End_Loop": "false",
        "End Loop Variable Name": "",
        "Use Flow Variable": False,
        "CFG_AddIterationColumn": True,
    }
    variables = bindings(CFG_End_Loop={"used": "finished"})
    node, report, _ = import_fragment(tmp_path, REC_END_1, legacy, variables)
    assert node.type == "recursive_loop_end" and findings(report) == []
    assert node.settings["min_number_of_rows"] == [3] and node.settings["end_loop_deprecated"] == "false"
    assert node.use_variables == {"end_loop_deprecated": "finished"}
    node, report, _ = import_fragment(tmp_path, REC_END_2, legacy)
    assert findings(report) == [] and node.settings["recursion_ports"] == 2
    assert node.settings["min_number_of_rows"] == [3, 3]
    unknown_key_is_a_finding(tmp_path, REC_END_1, legacy)

    start_creation = config("node_creation_config", Recursion={"port_0": TABLE_PORT, "port_1": TABLE_PORT})
    node, report, _ = import_fragment(tmp_path, REC_START, {}, extra=start_creation)
    assert node.type == "recursive_loop_start" and findings(report) == []
    assert node.settings == {"recursion_ports": 2}
    node, report, _ = import_fragment(tmp_path, REC_START_1, {})
    assert node.type == "recursive_loop_start" and findings(report) == [] and node.settings == {}
    node, report, _ = import_fragment(tmp_path, REC_START_2, {})
    assert findings(report) == [] and node.settings == {"recursion_ports": 2}
    unknown_key_is_a_finding(tmp_path, REC_START, {})


def test_legacy_recursive_end_short_arrays_fill_with_the_last_value() -> None:
    from nodes.loops import _per_port

    assert (
        _per_port([5], 3, 1) == [5, 5, 5] and _per_port([], 2, 1) == [1, 1] and _per_port([1, 2], 1, 0) == [1]
    )


# ------------------------------------------------------------------------------- Interval Loop Start


def interval(settings: dict) -> list[dict]:
    return [v for _, v in run_node("interval_loop_start", settings, pd.DataFrame({"x": [1]})).outputs]


def test_interval_loop_includes_both_ends_and_adds_in_decimal() -> None:
    values = [v["loop_value"] for v in interval({"from": 0, "to": 0.3, "step": 0.1})]
    assert values == [0.0, 0.1, 0.2, 0.3]  # 0.1 + 0.2 in binary would pass 0.3 and drop it
    first = interval({"from": 0, "to": 0.3, "step": 0.1})[0]
    assert first == {"loop_from": 0.0, "loop_to": 0.3, "loop_step": 0.1, "loop_value": 0.0}


def test_interval_loop_counts_down_and_rounds_like_java() -> None:
    down = interval({"from": 5, "to": 1, "step": -2, "variable_type": "INTEGER", "prefix": "i_"})
    assert [v["i_value"] for v in down] == [5, 3, 1] and down[0]["i_step"] == -2
    halves = interval({"from": -1.5, "to": 1, "step": 1, "variable_type": "LONG"})
    assert [v["loop_value"] for v in halves] == [-1, 0, 1]  # Math.round(-1.5) = -1, (-0.5) = 0, 0.5 = 1
    legacy = interval({"from": 0, "to": 1, "step": 0.5, "variable_type": "INTEGER", "truncate_step": True})
    assert [v["loop_step"] for v in legacy] == [0, 0, 0] and [v["loop_value"] for v in legacy] == [0, 1, 1]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"from": 2, "to": 1, "step": 1}, "smaller than to"),
        ({"from": 1, "to": 2, "step": -1}, "bigger than to"),
        ({"from": 1, "to": 2, "step": 0}, "Step size is zero"),
    ],
)
def test_interval_loop_checks_its_interval(settings: dict, message: str) -> None:
    with pytest.raises(ConfigureError, match=message):
        interval(settings)


def test_interval_loop_in_the_engine() -> None:
    text = """
format: knitflow/1
name: interval
nodes:
  - {id: 1, type: toy_range, settings: {n: 1}}
  - {id: 2, type: interval_loop_start, settings: {from: 1, to: 3, step: 1, variable_type: INTEGER}}
  - {id: 3, type: toy_vars}
  - {id: 4, type: loop_end}
connections: ["1:1 -> 2:1", "2:0 -> 3:0", "3:1 -> 4:1"]
"""
    out = run_yaml(text).output(4)
    assert out["loop_value"].tolist() == [1, 2, 3] and out["Iteration"].tolist() == [0, 1, 2]


def test_interval_loop_imports_both_layouts(tmp_path: Path) -> None:
    model = {"from": 1.0, "to": 10.0, "step": 0.5, "prefix": "p_", "variableType": "LONG"}
    extra = config("node_creation_config", **{"Pass through": {"port_0": TABLE_PORT}})
    node, report, _ = import_fragment(tmp_path, INTERVAL, model, extra=extra)
    assert node.type == "interval_loop_start" and findings(report) == []
    assert node.settings == {"from": 1.0, "to": 10.0, "step": 0.5, "prefix": "p_", "variable_type": "LONG"}
    unknown_key_is_a_finding(tmp_path, INTERVAL, model)
    legacy = {"from": 0.0, "to": 4.0, "step": 1.0, "integerLoop": True, "prefix": "loop_"}
    node, report, _ = import_fragment(tmp_path, INTERVAL_LEGACY, legacy)
    assert findings(report) == []
    assert node.settings["variable_type"] == "INTEGER" and node.settings["truncate_step"] is True
    node, report, _ = import_fragment(tmp_path, INTERVAL_LEGACY, {**legacy, "integerLoop": False})
    assert node.settings["variable_type"] == "DOUBLE" and "truncate_step" not in node.settings


# ------------------------------------------------------------------------------ Empty Table Switch


def test_empty_table_switch_routes_by_row_count() -> None:
    full = run_node("empty_table_switch", {}, pd.DataFrame({"x": [1, 2]}))
    assert full.outputs[1] is INACTIVE and full.df(1)["x"].tolist() == [1, 2]
    empty = run_node("empty_table_switch", {}, pd.DataFrame({"x": pd.Series([], dtype=np.int64)}))
    assert empty.outputs[0] is INACTIVE and len(empty.df(2)) == 0 and empty.df(2).columns.tolist() == ["x"]


SWITCH = """
format: knitflow/1
name: empty switch
nodes:
  - {id: 1, type: toy_range, settings: {n: N}}
  - {id: 2, type: empty_table_switch}
  - {id: 3, type: toy_add, settings: {amount: 100}}
  - {id: 4, type: end_if}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1", "2:2 -> 4:2"]
"""


@pytest.mark.parametrize(("n", "values"), [(2, [100.0, 101.0]), (0, [])])
def test_empty_table_switch_with_end_if(n: int, values: list[float]) -> None:
    result = run_yaml(SWITCH.replace("N", str(n)))
    assert result.output(4)["x"].tolist() == values
    assert (result.output(3) is INACTIVE) == (n == 0)


def test_empty_table_switch_imports(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, EMPTY_SWITCH, {})
    assert node.type == "empty_table_switch" and findings(report) == []
    unknown_key_is_a_finding(tmp_path, EMPTY_SWITCH, {})
