"""Flow-variable and loop nodes: unit tests through run_node, and loops run end-to-end by the engine
(table-row loops, nested loops, parameter optimisation with every strategy)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.api import (
    ConfigureError,
    Node,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    Table,
    TableSpec,
)
from engine.core.context import RunContext
from engine.core.registry import registry
from engine.core.testing import configure_node, run_node
from engine.core.variables import VarStack
from engine.core.workflow import Workflow
from nodes._variables import PARAMETERS_VARIABLE
from nodes.loops import LoopEnd, LoopEndSettings
from nodes.parameter_optimization import Objective, ParameterOptimizationLoopEnd, ParOptEndSettings

VARS = PortType.VARIABLES  # type: ignore[attr-defined]
TABLE = PortType.TABLE  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ test-only nodes


class QuadraticSettings(NodeSettings):
    targets: dict[str, float] = {}
    name: str = "objective"
    sign: float = 1.0


class ToyQuadratic(Node):
    """Pushes sign * sum((v - target)^2) over the given variables: a toy objective."""

    type_name = "test_flow_quadratic"
    inputs = (Port(VARS, "Variables", optional=True),)
    outputs = (Port(VARS, "Objective"),)
    Settings = QuadraticSettings

    def execute(self, inputs: list[Any], settings: QuadraticSettings, ctx: Any) -> list[Any]:
        value = sum((float(ctx.variable(k)) - t) ** 2 for k, t in settings.targets.items())
        ctx.push_variable(settings.name, settings.sign * value)
        return [None]


class RowsSettings(NodeSettings):
    rows: list[dict[str, Any]] = []


class ToyRows(Node):
    """A table given row by row in the settings (the parameter table of the optimisation tests)."""

    type_name = "test_flow_rows"
    outputs = (Port(TABLE, "Rows"),)
    Settings = RowsSettings

    def execute(self, inputs: list[Any], settings: RowsSettings, ctx: Any) -> list[Any]:
        return [Table.from_frame(pd.DataFrame(settings.rows))]


for _cls in (ToyQuadratic, ToyRows):
    if registry.get(_cls.type_name) is None:
        registry.register(_cls)


def run_yaml(text: str, *, workers: int = 1, seed: int | None = None) -> Any:
    result = Workflow.from_text(text).run(workers=workers, seed=seed)
    assert result.ok, "\n".join(f"#{s.id} {s.name}: {s.error}" for s in result.failed())
    return result


def ctx_with(variables: dict[str, Any]) -> RunContext:
    return RunContext(node_id=0, variables=VarStack.of(variables))


PARAM_TABLE_11_01 = pd.DataFrame(
    {
        "Params": ["nmodels", "levels", "minnodesize", "randomseed"],
        "Start": [10, 2, 2, 1],
        "Stop": [100, 5, 10, 1],
        "Step": [10, 1, 2, 0],
        "Type": ["Number (integer)"] * 4,
    }
)
TABLE_SETTINGS_11_01 = {
    "method": "BruteForce",
    "parameter_name_column": "Params",
    "start_value": {"use_selected_column": True, "selected_column": "Start", "static_value": 0.0},
    "stop_value": {"use_selected_column": True, "selected_column": "Stop", "static_value": 1.0},
    "step_size": {"use_selected_column": True, "selected_column": "Step", "static_value": 0.1},
    "is_integer": {"use_selected_column": True, "selected_column": "Type", "static_value": "Number (double)"},
}


# -------------------------------------------------------------------------- Table Row to Variable


def test_table_row_to_variable_first_row_typed() -> None:
    df = pd.DataFrame(
        {"i": [3, 4], "d": [0.5, 1.5], "s": ["a", "b"], "b": [True, False]},
        index=pd.Index(["r1", "r2"], dtype=object),
    )
    res = run_node("table_row_to_variable", {}, df)
    assert res.outputs == [None]
    assert res.variables == {"RowID": "r1", "i": 3, "d": 0.5, "s": "a", "b": True}
    assert type(res.variables["i"]) is int and type(res.variables["d"]) is float


def test_table_row_to_variable_column_filter_and_names() -> None:
    df = pd.DataFrame({"knime.x": [1], "RowID": ["dup"], "keep": [2.0], "drop": [9]})
    flt = {"excluded_names": ["drop"], "enforce_option": "EnforceExclusion"}
    res = run_node("table_row_to_variable", {"column_selection": flt}, df)
    # 'knime.' is stripped (reserved prefix); a column named RowID is made unique
    assert res.variables == {"RowID": "Row0", "x": 1, "RowID (#1)": "dup", "keep": 2.0}
    only = run_node(
        "table_row_to_variable",
        {"column_selection": {"included_names": ["keep"], "enforce_option": "EnforceInclusion"}},
        df,
    )
    assert only.variables == {"RowID": "Row0", "keep": 2.0}


def test_table_row_to_variable_missing_values() -> None:
    df = pd.DataFrame({"i": pd.array([None], dtype="Int64"), "d": [np.nan], "s": [None]})
    table = Table.from_frame(df, {"i": "Integer", "d": "Double", "s": "String"})
    res = run_node("table_row_to_variable", {"default_value_integer": 7, "default_value_double": 1.5}, table)
    assert res.variables == {"RowID": "Row0", "i": 7, "d": 1.5, "s": "missing"}
    omit = run_node("table_row_to_variable", {"missing_value_policy": "OMIT"}, table)
    assert omit.variables == {"RowID": "Row0"}
    with pytest.raises(NodeError, match="Missing values are not allowed.*'i'"):
        run_node("table_row_to_variable", {"missing_value_policy": "FAIL"}, table)


def test_table_row_to_variable_empty_table() -> None:
    empty = Table(
        pd.DataFrame({"i": pd.Series([], dtype=np.int64), "s": pd.Series([], dtype=object)}),
        {"i": "Integer", "s": "String"},
    )
    res = run_node("table_row_to_variable", {}, empty)
    assert res.variables == {"RowID": "", "i": 0, "s": "missing"}
    with pytest.raises(NodeError, match="empty"):
        run_node("table_row_to_variable", {"missing_value_policy": "FAIL"}, empty)


def test_table_row_to_variable_rejects_bit_vectors_at_configure() -> None:
    spec = TableSpec.of([("fp", "Bit vector"), ("x", "Double")])
    with pytest.raises(ConfigureError, match="fp"):
        configure_node("table_row_to_variable", {}, spec)
    ok = {"column_selection": {"included_names": ["x"], "enforce_option": "EnforceInclusion"}}
    configure_node("table_row_to_variable", ok, spec)


# -------------------------------------------------------------------------- Variable to Table Column


def test_variable_to_table_column_list() -> None:
    df = pd.DataFrame({"a": [1, 2]})
    res = run_node(
        "variable_to_table_column",
        {"variables": ["alpha", "n", "name", "flag"]},
        None,
        df,
        variables={"alpha": 0.1, "n": 5, "name": "x", "flag": True},
    )
    out = res[1]
    assert out.columns == ["a", "alpha", "n", "name", "flag"]
    # int64 frames are Long columns; an Integer variable gives an Integer column
    assert out.types == {"a": "Long", "alpha": "Double", "n": "Integer", "name": "String", "flag": "Boolean"}
    assert out.df["alpha"].tolist() == [0.1, 0.1] and out.df["n"].dtype == np.int64
    assert out.row_ids == ["Row0", "Row1"]


def test_variable_to_table_column_knime_filter_alias_and_clash() -> None:
    df = pd.DataFrame({"alpha": [1.0]})
    settings = {
        "filter": {"included_names": ["alpha"], "excluded_names": [], "enforce_option": "EnforceInclusion"}
    }
    res = run_node("variable_to_table_column", settings, None, df, variables={"alpha": 0.5, "other": 1})
    assert res[1].columns == ["alpha", "alpha (variable)"]
    assert res.df(1)["alpha (variable)"].tolist() == [0.5]
    # EnforceExclusion takes every variable not excluded, top of the stack first
    res = run_node(
        "variable_to_table_column",
        {"filter": {"excluded_names": ["alpha"]}},
        None,
        df,
        variables={"alpha": 0.5, "a": 1, "b": "x"},
    )
    assert res[1].columns == ["alpha", "b", "a"]


def test_variable_to_table_column_unknown_variable_and_empty_table() -> None:
    with pytest.raises(NodeError, match="'nope' not defined"):
        run_node("variable_to_table_column", {"variables": ["nope"]}, None, pd.DataFrame({"a": [1]}))
    empty = pd.DataFrame({"a": pd.Series([], dtype=np.int64)})
    res = run_node("variable_to_table_column", {"variables": ["v"]}, None, empty, variables={"v": 2})
    assert res[1].shape == (0, 2) and res[1].types["v"] == "Integer"


# ------------------------------------------------------------------ Table Row to Variable Loop Start


def test_row_loop_start_passes() -> None:
    df = pd.DataFrame({"alpha": [1e-5, 1e-4, 1.0]})
    res = run_node("table_row_to_variable_loop_start", {}, df)
    assert len(res.outputs) == 3
    outputs, variables = res.outputs[2]
    assert outputs == [None]
    assert variables == {"maxIterations": 3, "currentIteration": 2, "RowID": "Row2", "alpha": 1.0}


def test_row_loop_start_empty_table_gives_one_default_pass() -> None:
    empty = Table(pd.DataFrame({"alpha": pd.Series([], dtype=np.float64)}), {"alpha": "Double"})
    res = run_node("table_row_to_variable_loop_start", {}, empty)
    assert [v for _, v in res.outputs] == [
        {"maxIterations": 1, "currentIteration": 0, "RowID": "", "alpha": 0.0}
    ]
    with pytest.raises(NodeError, match="empty"):
        run_node("table_row_to_variable_loop_start", {"missing_value_policy": "FAIL"}, empty)


# ------------------------------------------------------------------------------------------ Loop End


def collect_all(settings: dict[str, Any], tables: list[pd.DataFrame | Table | None]) -> Table:
    node = LoopEnd()
    parsed = LoopEndSettings.model_validate(settings)
    ctx = ctx_with({})
    state = node.begin(parsed, ctx)
    for t in tables:
        node.collect(state, [Table.from_frame(t) if isinstance(t, pd.DataFrame) else t], parsed, ctx)
    return node.finish(state, parsed, ctx)[0]


def test_loop_end_append_suffix_and_iteration_column() -> None:
    out = collect_all({}, [pd.DataFrame({"x": [1, 2]}), pd.DataFrame({"x": [3]})])
    assert out.row_ids == ["Row0#0", "Row1#0", "Row0#1"]
    assert out.df["Iteration"].tolist() == [0, 0, 1] and out.types["Iteration"] == "Integer"
    assert out.df["x"].tolist() == [1, 2, 3]


def test_loop_end_generate_new_and_unique_iteration_name() -> None:
    out = collect_all(
        {"row_key_policy": "GENERATE_NEW"},
        [pd.DataFrame({"Iteration": [7]}), pd.DataFrame({"Iteration": [8, 9]})],
    )
    assert out.row_ids == ["Row0", "Row1", "Row2"]
    assert out.columns == ["Iteration", "Iteration (#1)"]
    assert out.df["Iteration (#1)"].tolist() == [0, 1, 1]


def test_loop_end_unmodified_duplicates_fail() -> None:
    with pytest.raises(NodeError, match="Duplicate RowID 'Row0'"):
        collect_all({"row_key_policy": "UNMODIFIED"}, [pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [2]})])
    out = collect_all(
        {"row_key_policy": "UNMODIFIED", "add_iteration_column": False},
        [pd.DataFrame({"x": [1]}, index=["a"]), pd.DataFrame({"x": [2]}, index=["b"])],
    )
    assert out.row_ids == ["a", "b"] and out.columns == ["x"]


def test_loop_end_spec_changes() -> None:
    a, b = pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [1], "y": [2.5]})
    with pytest.raises(NodeError, match="structure differs.*column counts 2 vs. 1"):
        collect_all({}, [a, b])
    out = collect_all({"tolerate_changing_specs": True, "add_iteration_column": False}, [a, b, a])
    assert out.columns == ["x", "y"]
    assert out.types == {"x": "Long", "y": "Double"}
    assert out.df["y"].isna().tolist() == [True, False, True]
    with pytest.raises(NodeError, match="Column 0"):
        collect_all({}, [a, pd.DataFrame({"x": [1.5]})])
    mixed = collect_all(
        {"tolerate_column_types": True, "add_iteration_column": False}, [a, pd.DataFrame({"x": [1.5]})]
    )
    assert mixed.types == {"x": "Double"} and mixed.df["x"].tolist() == [1.0, 1.5]
    # missing cells in an Integer column stay integers (nullable)
    ints = collect_all(
        {"tolerate_changing_specs": True, "add_iteration_column": False}, [pd.DataFrame({"y": [1.0]}), a]
    )
    assert ints.types["x"] == "Long" and str(ints.df["x"].dtype) == "Int64"


def test_loop_end_empty_tables() -> None:
    empty = pd.DataFrame({"x": pd.Series([], dtype=np.int64)})
    out = collect_all({}, [empty, pd.DataFrame({"x": [5]}), empty])
    assert out.df["x"].tolist() == [5] and out.df["Iteration"].tolist() == [1]
    # an empty pass with another structure is checked unless ignored
    other = pd.DataFrame({"z": pd.Series([], dtype=object)})
    with pytest.raises(NodeError, match="structure differs"):
        collect_all({}, [pd.DataFrame({"x": [5]}), other])
    out = collect_all(
        {"ignore_empty_tables": True}, [pd.DataFrame({"x": [5]}), other, pd.DataFrame({"x": [6]})]
    )
    assert out.df["Iteration"].tolist() == [0, 2]
    only_empty = collect_all({}, [empty, empty])
    assert only_empty.shape == (0, 2) and only_empty.columns == ["x", "Iteration"]


def test_loop_end_configure_spec() -> None:
    spec = TableSpec.of([("x", "Integer")])
    assert configure_node("loop_end", {}, spec)[0].names == ["x", "Iteration"]
    assert configure_node("loop_end", {"add_iteration_column": False}, spec)[0] == spec
    from engine.api import UNKNOWN

    assert configure_node("loop_end", {"tolerate_changing_specs": True}, spec)[0] is UNKNOWN


def test_loop_end_needs_a_table() -> None:
    with pytest.raises(NodeError, match="no table"):
        collect_all({}, [None])


# -------------------------------------------------------------------- workflows: table-row loops


ROW_LOOP = """
format: knitflow/1
name: row loop
nodes:
  - {id: 1, type: toy_range, settings: {n: 3}}
  - {id: 2, type: table_row_to_variable_loop_start}
  - {id: 3, type: toy_range, settings: {n: 2, column: y}}
  - {id: 4, type: variable_to_table_column, settings: {variables: [x, currentIteration, maxIterations]}}
  - {id: 5, type: loop_end, settings: {row_key_policy: GENERATE_NEW}}
  - {id: 6, type: toy_vars}
connections: ["1:1 -> 2:1", "2:1 -> 4:1", "3:1 -> 4:2", "4:1 -> 5:1", "5:1 -> 6:1"]
"""


@pytest.mark.parametrize("workers", [1, 3])
def test_row_loop_workflow(workers: int) -> None:
    result = run_yaml(ROW_LOOP, workers=workers)
    out = result.output(5)
    assert out.index.tolist() == [f"Row{i}" for i in range(6)]
    assert out["x"].tolist() == [0, 0, 1, 1, 2, 2]
    assert out["y"].tolist() == [0, 1] * 3
    assert out["Iteration"].tolist() == out["currentIteration"].tolist()
    assert set(out["maxIterations"]) == {3}
    # loop variables do not leak out of the loop
    assert "currentIteration" not in result.output(6).columns


def test_loop_end_propagates_loop_variables_on_request() -> None:
    text = ROW_LOOP.replace("{row_key_policy: GENERATE_NEW}", "{propagate_loop_variables: true}")
    after = run_yaml(text).output(6)
    assert after["currentIteration"].tolist() == [2] and after["x"].tolist() == [2]


NESTED = """
format: knitflow/1
name: nested loops
nodes:
  - {id: 1, type: toy_range, settings: {n: 2, column: a}}
  - {id: 2, type: table_row_to_variable_loop_start}
  - {id: 3, type: toy_range, settings: {n: 3, column: b}}
  - {id: 4, type: table_row_to_variable_loop_start}
  - {id: 5, type: toy_range, settings: {n: 1, column: c}}
  - {id: 6, type: variable_to_table_column, settings: {variables: [a, b, currentIteration]}}
  - {id: 7, type: loop_end, settings: {}}
  - {id: 8, type: loop_end, settings: {}}
connections:
  - "1:1 -> 2:1"
  - "3:1 -> 4:1"
  - "2:1 -> 4:0"
  - "4:1 -> 6:1"
  - "5:1 -> 6:2"
  - "6:1 -> 7:1"
  - "7:1 -> 8:1"
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_nested_loops(workers: int) -> None:
    out = run_yaml(NESTED, workers=workers).output(8)
    assert out["a"].tolist() == [0, 0, 0, 1, 1, 1]
    assert out["b"].tolist() == [0, 1, 2] * 2
    # the inner loop's currentIteration shadows the outer one inside the inner body
    assert out["currentIteration"].tolist() == [0, 1, 2] * 2
    assert out["Iteration"].tolist() == [0, 1, 2] * 2  # added by the inner end
    assert out["Iteration (#1)"].tolist() == [0, 0, 0, 1, 1, 1]  # added by the outer end
    assert out.index.tolist()[:2] == ["Row0#0#0", "Row0#1#0"]


# ------------------------------------------------------------------ Parameter Optimization: unit


def test_brute_force_grid_of_11_01() -> None:
    res = run_node("parameter_optimization_loop_start_table", TABLE_SETTINGS_11_01, PARAM_TABLE_11_01)
    passes = [v for _, v in res.outputs]
    assert len(passes) == 200
    first, last = passes[0], passes[-1]
    assert {k: first[k] for k in ("nmodels", "levels", "minnodesize", "randomseed", "iteration")} == {
        "nmodels": 10,
        "levels": 2,
        "minnodesize": 2,
        "randomseed": 1,
        "iteration": 0,
    }
    assert {k: last[k] for k in ("nmodels", "levels", "minnodesize", "randomseed", "iteration")} == {
        "nmodels": 100,
        "levels": 5,
        "minnodesize": 10,
        "randomseed": 1,
        "iteration": 199,
    }
    # nested in table order: the last parameter varies fastest
    assert [p["minnodesize"] for p in passes[:6]] == [2, 4, 6, 8, 10, 2]
    assert all(type(p["nmodels"]) is int for p in passes)
    assert [p["nmodels"] for p in passes[::20]] == list(range(10, 101, 10))


def test_brute_force_plan_matches_iterations() -> None:
    from nodes.parameter_optimization import TableParameterOptimizationLoopStart, TableParOptSettings

    node = TableParameterOptimizationLoopStart()
    settings = TableParOptSettings.model_validate(TABLE_SETTINGS_11_01)
    inputs = [Table.from_frame(PARAM_TABLE_11_01)]
    plan = node.plan(inputs, settings, ctx_with({}))
    assert plan is not None
    assert [p.variables for p in plan] == [
        it.variables for it in node.iterations(inputs, settings, ctx_with({}))
    ]


def test_double_parameters_and_static_values() -> None:
    table = pd.DataFrame({"name": ["alpha"], "lo": [0.0], "hi": [0.3]})
    settings = {
        "start_value": {"use_selected_column": True, "selected_column": "lo"},
        "stop_value": {"use_selected_column": True, "selected_column": "hi"},
        "step_size": {"static_value": 0.1},
    }
    passes = [v for _, v in run_node("parameter_optimization_loop_start_table", settings, table).outputs]
    assert [p["alpha"] for p in passes] == [0.0, 0.1, 0.2, 0.3]
    assert type(passes[0]["alpha"]) is float


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"Params": "p", "Start": 1, "Stop": 5, "Step": 0, "Type": "Number (integer)"}, "step size 0"),
        ({"Params": "p", "Start": 5, "Stop": 1, "Step": 1, "Type": "Number (integer)"}, "smaller than start"),
        ({"Params": None, "Start": 1, "Stop": 1, "Step": 0, "Type": "Number (integer)"}, "name is missing"),
    ],
)
def test_parameter_table_errors(row: dict[str, Any], message: str) -> None:
    with pytest.raises(NodeError, match=message):
        run_node("parameter_optimization_loop_start_table", TABLE_SETTINGS_11_01, pd.DataFrame([row]))


def test_parameter_table_configure_errors() -> None:
    spec = TableSpec.of(
        [
            ("Params", "String"),
            ("Start", "Integer"),
            ("Stop", "Integer"),
            ("Step", "String"),
            ("Type", "String"),
        ]
    )
    with pytest.raises(ConfigureError, match="'Step' is String, not numeric"):
        configure_node("parameter_optimization_loop_start_table", TABLE_SETTINGS_11_01, spec)
    settings = {**TABLE_SETTINGS_11_01, "parameter_name_column": "Name"}
    with pytest.raises(ConfigureError, match="'Name' not found"):
        configure_node("parameter_optimization_loop_start_table", settings, spec)
    with pytest.raises(NodeError, match="defined twice"):
        run_node(
            "parameter_optimization_loop_start_table",
            TABLE_SETTINGS_11_01,
            pd.concat([PARAM_TABLE_11_01.iloc[:1], PARAM_TABLE_11_01.iloc[:1]]),
        )
    with pytest.raises(ConfigureError, match="at least one parameter"):
        configure_node("parameter_optimization_loop_start", {}, None)


def test_random_search_is_seeded_and_in_range() -> None:
    settings = {
        "method": "RandomSearch",
        "use_seed": True,
        "seed": 42,
        "num_trials": 30,
        "use_early_stopping": False,
        "parameters": [
            {"parameter_name": "a", "start_value": 0, "stop_value": 10, "step_size": 1, "is_integer": True},
            {"parameter_name": "b", "start_value": -1, "stop_value": 1},
        ],
    }
    one = [v for _, v in run_node("parameter_optimization_loop_start", settings).outputs]
    two = [v for _, v in run_node("parameter_optimization_loop_start", settings).outputs]
    assert one == two and 1 <= len(one) <= 30
    assert all(0 <= p["a"] <= 10 and type(p["a"]) is int and -1 <= p["b"] <= 1 for p in one)
    assert len({(p["a"], p["b"]) for p in one}) == len(one)
    on_grid = [
        v
        for _, v in run_node(
            "parameter_optimization_loop_start", {**settings, "enable_step_size": True, "num_trials": 200}
        ).outputs
    ]
    assert {p["b"] for p in on_grid} <= {round(-1 + 0.1 * i, 12) for i in range(21)}
    assert len(on_grid) < 200  # duplicates on the 11 x 21 grid are evaluated once


def test_method_aliases_and_determinism_flag() -> None:
    from nodes.parameter_optimization import ParameterOptimizationLoopStart, ParOptSettings

    assert ParOptSettings.model_validate({"method": "Bayesian Optimization (TPE)"}).method == "Bayesian"
    assert ParOptSettings.model_validate({"method": "Hillclimbing"}).method == "HillClimbing"
    node = ParameterOptimizationLoopStart()
    assert node.is_deterministic(ParOptSettings(method="BruteForce"))
    assert not node.is_deterministic(ParOptSettings(method="RandomSearch"))
    assert node.is_deterministic(ParOptSettings(method="RandomSearch", use_seed=True))


def test_par_opt_end_unit() -> None:
    node = ParameterOptimizationLoopEnd()
    settings = ParOptEndSettings(flow_variable_name="score", maximize=True)
    state = node.begin(settings, ctx_with({}))
    marker = '[{"name": "k", "integer": true}]'
    feedback = [
        node.collect(state, [None], settings, ctx_with({PARAMETERS_VARIABLE: marker, "k": k, "score": s}))
        for k, s in [(1, 0.5), (2, 0.9), (3, 0.9), (4, float("nan"))]
    ]
    assert feedback[1] == Objective(0.9, True) and feedback[3].loss == math.inf
    best, every = node.finish(state, settings, ctx_with({}))
    assert best.row_ids == ["Best parameters"] and best.df["k"].tolist() == [2]  # ties: the first found
    assert best.types == {"k": "Integer", "Objective value": "Double"}
    assert every.shape == (4, 2) and every.row_ids == ["Row0", "Row1", "Row2", "Row3"]
    with pytest.raises(NodeError, match="not a number"):
        node.collect(
            state, [None], settings, ctx_with({PARAMETERS_VARIABLE: marker, "k": 1, "score": "high"})
        )
    with pytest.raises(NodeError, match="'score' is not defined"):
        node.collect(state, [None], settings, ctx_with({PARAMETERS_VARIABLE: marker, "k": 1}))
    with pytest.raises(NodeError, match="must close a Parameter Optimization Loop Start"):
        node.collect(state, [None], settings, ctx_with({"score": 1.0}))
    with pytest.raises(ConfigureError, match="flow variable"):
        configure_node("parameter_optimization_loop_end", {}, None)


# ------------------------------------------------------------- Parameter Optimization: workflows


def optimisation_yaml(
    start_settings: str,
    end_settings: str = "{flow_variable_name: objective, maximize: false}",
    targets: str = "{a: 3, b: 0.5}",
) -> str:
    return f"""
format: knitflow/1
name: optimisation
nodes:
  - {{id: 1, type: parameter_optimization_loop_start, settings: {start_settings}}}
  - {{id: 2, type: test_flow_quadratic, settings: {{targets: {targets}}}}}
  - {{id: 3, type: parameter_optimization_loop_end, settings: {end_settings}}}
  - {{id: 4, type: table_row_to_variable}}
  - {{id: 5, type: toy_vars}}
connections: ["1:1 -> 2:0", "2:1 -> 3:1", "3:1 -> 4:1", "4:1 -> 5:0"]
"""


PARAMS = (
    "parameters: [{parameter_name: a, start_value: 0, stop_value: 5, step_size: 1, is_integer: true}, "
    "{parameter_name: b, start_value: 0, stop_value: 1, step_size: 0.25}]"
)


@pytest.mark.parametrize("workers", [1, 3])
def test_brute_force_optimisation_workflow(workers: int) -> None:
    result = run_yaml(optimisation_yaml("{method: BruteForce, " + PARAMS + "}"), workers=workers)
    best, every = result.output(3, 1), result.output(3, 2)
    assert best.index.tolist() == ["Best parameters"]
    assert best.iloc[0].to_dict() == {"a": 3, "b": 0.5, "Objective value": 0.0}
    assert every.shape == (30, 3)
    assert every["a"].tolist() == [a for a in range(6) for _ in range(5)]
    assert every["b"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0] * 6
    expected = [(a - 3) ** 2 + (b - 0.5) ** 2 for a in range(6) for b in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert every["Objective value"].tolist() == pytest.approx(expected)
    # the best row becomes variables after the loop (as #311 in 11_01); loop variables do not leak
    after = result.output(5)
    assert after["a"].tolist() == [3] and after["RowID"].tolist() == ["Best parameters"]
    assert "iteration" not in after.columns and PARAMETERS_VARIABLE not in after.columns


def test_table_parameter_loop_workflow_11_01_shapes() -> None:
    rows = PARAM_TABLE_11_01.to_dict("records")
    text = f"""
format: knitflow/1
name: 11_01 grid
nodes:
  - {{id: 1, type: test_flow_rows, settings: {{rows: {rows}}}}}
  - {{id: 2, type: parameter_optimization_loop_start_table, settings: {TABLE_SETTINGS_11_01}}}
  - {{id: 3, type: test_flow_quadratic, settings: {{targets: {{nmodels: 0, levels: 0, minnodesize: 0}},
                                                   name: mean absolute error, sign: -1}}}}
  - {{id: 4, type: parameter_optimization_loop_end, settings: {{flow_variable_name: mean absolute error,
                                                              maximize: false}}}}
connections: ["1:1 -> 2:1", "2:1 -> 3:0", "3:0 -> 4:1"]
"""
    result = run_yaml(text, workers=2)
    best, every = result.output(4, 1), result.output(4, 2)
    assert best.shape == (1, 5) and every.shape == (200, 5)  # recorded: 1 x 5 and 200 x 5
    assert list(best.columns) == ["nmodels", "levels", "minnodesize", "randomseed", "Objective value"]
    assert best.iloc[0][["nmodels", "levels", "minnodesize", "randomseed"]].tolist() == [100, 5, 10, 1]
    assert result.table(4, 2).types["nmodels"] == "Integer"


def test_maximise_keeps_first_of_ties() -> None:
    # objective -(a-3)^2 ignores b: every b ties at a = 3; the first found (b = 0) wins
    result = run_yaml(
        optimisation_yaml(
            "{method: BruteForce, " + PARAMS + "}",
            "{flow_variable_name: objective, maximize: true}",
            targets="{a: 3}",
        ).replace("targets: {a: 3}}", "targets: {a: 3}, sign: -1}")
    )
    best = result.output(3, 1).iloc[0]
    assert (best["a"], best["b"], best["Objective value"]) == (3, 0.0, 0.0)


def test_random_search_early_stopping_workflow() -> None:
    # a constant objective never improves: the loop stops after window + 1 passes
    settings = (
        "{method: RandomSearch, use_seed: true, seed: 7, num_trials: 50, use_early_stopping: true, "
        "size_moving_window: 4, tolerance: 0.01, " + PARAMS + "}"
    )
    every = run_yaml(optimisation_yaml(settings, targets="{}")).output(3, 2)
    assert len(every) == 5
    no_stop = settings.replace("use_early_stopping: true", "use_early_stopping: false")
    assert 5 < len(run_yaml(optimisation_yaml(no_stop, targets="{}"), workers=2).output(3, 2)) <= 50


def test_random_search_needs_objective_feedback_for_early_stopping() -> None:
    text = f"""
format: knitflow/1
name: wrong end
nodes:
  - {{id: 1, type: parameter_optimization_loop_start, settings: {{method: RandomSearch, {PARAMS}}}}}
  - {{id: 2, type: toy_vars}}
  - {{id: 3, type: loop_end}}
connections: ["1:1 -> 2:1", "2:1 -> 3:1"]
"""
    result = Workflow.from_text(text).run(workers=1)
    assert not result.ok
    assert "Parameter Optimization Loop End" in (result.status[1].error or "")


def test_bayesian_optimisation_finds_the_optimum_reproducibly() -> None:
    fine = (
        "parameters: [{parameter_name: a, start_value: 0, stop_value: 10}, "
        "{parameter_name: b, start_value: -5, stop_value: 5}]"
    )
    settings = (
        "{method: Bayesian, use_seed: true, seed: 1, num_trials: 60, warmup_rounds: 15, "
        "num_candidates_per_round: 30, use_early_stopping: false, " + fine + "}"
    )
    text = optimisation_yaml(settings, targets="{a: 7.5, b: -2}")
    first = run_yaml(text)
    every = first.output(3, 2)
    assert len(every) == 60
    warmup_best = every["Objective value"].iloc[:15].min()
    best = first.output(3, 1).iloc[0]
    # random search with the same budget reaches about 0.4 (median over seeds); TPE about 0.01
    assert best["Objective value"] < warmup_best / 2 and best["Objective value"] < 0.1
    assert abs(best["a"] - 7.5) < 0.3 and abs(best["b"] + 2) < 0.3
    assert run_yaml(text).output(3, 2).equals(every)


def test_bayesian_with_early_stopping_stops() -> None:
    settings = (
        "{method: Bayesian, use_seed: true, seed: 1, num_trials: 100, warmup_rounds: 5, "
        "use_early_stopping: true, size_moving_window: 5, tolerance: 0.5, " + PARAMS + "}"
    )
    assert len(run_yaml(optimisation_yaml(settings)).output(3, 2)) < 30


def test_hill_climbing_reaches_the_optimum_of_a_convex_objective() -> None:
    grid = (
        "parameters: [{parameter_name: a, start_value: 0, stop_value: 20, step_size: 1, is_integer: true}, "
        "{parameter_name: b, start_value: 0, stop_value: 1, step_size: 0.25}]"
    )
    settings = "{method: HillClimbing, use_seed: true, seed: 5, num_trials: 500, " + grid + "}"
    result = run_yaml(optimisation_yaml(settings, targets="{a: 13, b: 0.25}"))
    best, every = result.output(3, 1).iloc[0], result.output(3, 2)
    assert (best["a"], best["b"]) == (13, 0.25)
    assert len(every) < 21 * 5  # fewer evaluations than the full grid
    assert not every.duplicated(["a", "b"]).any()
