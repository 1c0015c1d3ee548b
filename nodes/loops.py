"""Loop nodes: the Table Row to Variable Loop Start and three loop ends: the generic Loop End, the
Variable Condition Loop End (which decides when its loop stops) and the Variable Loop End.

The scheduler drives loops: a start's `iterations` generator yields one `Iteration` per pass and is
sent back what the end's `collect` returned for the previous pass; loops whose passes are known up
front also offer `plan` so that the engine may run the passes in parallel.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    STOP_LOOP,
    TABLE,
    UNKNOWN,
    VARIABLES,
    ColumnType,
    ConfigureError,
    Iteration,
    LoopEndNode,
    LoopStartNode,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    row_ids,
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings, first, seq
from nodes._common import ColumnFilter
from nodes._variables import (
    RowToVariableSettings,
    configure_row_variables,
    row_variable_types,
    row_variables,
    row_variables_from_knime,
    selected_variables,
)

# ------------------------------------------------------------------ Table Row to Variable Loop Start


class TableRowToVariableLoopStart(LoopStartNode):
    """KNIME's LoopStartVariable3: one pass per row, the row's cells as loop-local variables."""

    type_name = "table_row_to_variable_loop_start"
    display_name = "Table Row to Variable Loop Start"
    description = (
        "Runs the loop body once per input row, in order. Each pass sees the Integer variables `maxIterations` "
        "(the row count) and `currentIteration` (0-based), a String `RowID` and one variable per selected column "
        "(as Table Row to Variable). An empty table gives one pass with default values unless the missing-value "
        "policy is FAIL."
    )
    keywords = ("loop", "flow variable", "row", "for each row", "iterate")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.variable.start.LoopStartVariable3NodeFactory",
            "Table Row to Variable Loop Start",
            row_variables_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.meta.looper.variable.start.LoopStartVariable2NodeFactory",
            "Table Row to Variable Loop Start (legacy)",
            row_variables_from_knime,
            note="LoopStartVariable2NodeModel extends TableToVariable3NodeModel: the same settings",
        ),
    )
    inputs = (Port(TABLE, "Table", "One loop pass per row."),)
    outputs = (Port(VARIABLES, "Variables", "The current row as flow variables."),)
    Settings = RowToVariableSettings

    def loop_variables(self, in_specs: list[Any], settings: RowToVariableSettings) -> dict[str, str] | None:
        row = row_variable_types(in_specs[0], settings)
        return None if row is None else {"maxIterations": "Integer", "currentIteration": "Integer", **row}

    def configure(self, in_specs: list[Any], settings: RowToVariableSettings, ctx: NodeContext) -> list[Any]:
        return configure_row_variables(in_specs[0], settings)

    def plan(self, inputs: list[Any], settings: RowToVariableSettings, ctx: NodeContext) -> list[Iteration]:
        table: Table = inputs[0]
        n = len(table)
        positions: list[int | None] = list(range(n)) if n else [None]
        passes = []
        for i, pos in enumerate(positions):
            variables: dict[str, Any] = {"maxIterations": max(n, 1), "currentIteration": i}
            for name, value, _ in row_variables(table, pos, settings):
                variables[name] = value
            passes.append(Iteration([None], variables))
        return passes

    def iterations(
        self, inputs: list[Any], settings: RowToVariableSettings, ctx: NodeContext
    ) -> Iterator[Iteration]:
        yield from self.plan(inputs, settings, ctx)


# ---------------------------------------------------------------------------------------- Loop End


class LoopEndSettings(NodeSettings):
    """KNIME's LoopEndDynamic settings (one data port)."""

    add_iteration_column: bool = Field(
        True,
        description="Append an Integer column `Iteration` (made unique if taken) with the 0-based pass number.",
    )
    row_key_policy: Literal["GENERATE_NEW", "APPEND_SUFFIX", "UNMODIFIED"] = Field(
        "APPEND_SUFFIX",
        description="RowIDs of the result: GENERATE_NEW gives Row0, Row1, ... over all passes; APPEND_SUFFIX gives "
        "`<RowID>#<pass>`; UNMODIFIED keeps them (a RowID repeated across passes is an error).",
    )
    propagate_loop_variables: bool = Field(
        False, description="Pass the variables of the last pass (including loop variables) on after the loop."
    )
    ignore_empty_tables: bool = Field(
        False, description="Skip empty pass tables entirely (no structure check for them)."
    )
    tolerate_column_types: bool = Field(
        False, description="Allow a column's type to change between passes (the result takes a common type)."
    )
    tolerate_changing_specs: bool = Field(
        False,
        description="Allow columns to differ between passes: the result has the union of all columns, "
        "missing cells where a pass lacked a column.",
    )


@dataclass
class _ConcatState:
    tables: list[Table] = field(default_factory=list)
    first_spec: TableSpec | None = None  # input structure of the first non-empty pass
    empty_spec: TableSpec | None = None
    count: int = 0  # passes seen (KNIME's iteration counter, empty passes included)
    row_ids: set[str] = field(default_factory=set)
    generated: int = 0


def _spec_difference(ref: TableSpec, new: TableSpec, ignore_types: bool) -> str | None:
    """None when the structures agree, else KNIME's wording of the first difference."""
    if len(ref) != len(new):
        return f"different column counts {len(new)} vs. {len(ref)}"
    diffs = []
    for i, (a, b) in enumerate(zip(new.columns, ref.columns, strict=True)):
        if a.name != b.name or (not ignore_types and a.type != b.type):
            diffs.append(f"Column {i} [{a.name} ({a.type})] vs. [{b.name} ({b.type})]")
    return "; ".join(diffs) or None


def _common_type(types: list[str]) -> str:
    unique = list(dict.fromkeys(types))
    if len(unique) == 1:
        return unique[0]
    if set(unique) <= ColumnType.NUMERIC:
        if ColumnType.DOUBLE in unique:
            return ColumnType.DOUBLE
        return ColumnType.LONG
    return ColumnType.STRING


def _coerce(series: pd.Series, ctype: str) -> pd.Series:
    """A concatenated column in the dtype knitflow uses for its KNIME type."""
    if ctype in (ColumnType.INTEGER, ColumnType.LONG):
        if series.isna().any():
            return series.astype("Int64")
        return series.astype(np.int64)
    if ctype == ColumnType.DOUBLE:
        return pd.to_numeric(series, errors="coerce").astype(np.float64)
    if ctype == ColumnType.BOOLEAN:
        return series.astype("boolean") if series.isna().any() else series.astype(bool)
    if ctype == ColumnType.STRING:
        return series.map(
            lambda v: v if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v)
        ).astype(object)
    return series


def concatenate(tables: list[Table]) -> Table:
    """Rows of all tables in order; columns are the union in order of first appearance."""
    if len(tables) == 1:
        return tables[0]
    specs = [t.spec for t in tables]
    if all(s == specs[0] for s in specs):
        return Table(pd.concat([t.df for t in tables], axis=0), dict(tables[0].types))
    order: list[str] = []
    by_name: dict[str, list[str]] = {}
    for spec in specs:
        for col in spec.columns:
            if col.name not in by_name:
                order.append(col.name)
                by_name[col.name] = []
            by_name[col.name].append(col.type)
    df = pd.concat([t.df.astype(object) for t in tables], axis=0, sort=False)[order]
    types = {name: _common_type(by_name[name]) for name in order}
    for name in order:
        df[name] = _coerce(df[name], types[name])
    return Table(df, types)


def _loop_end_from_knime(knime: KnimeSettings) -> None:
    """LoopEndDynamic (the per-port flags as arrays) and the one-port Loop End before it
    (AbstractLoopEndNodeSettings: before 3.1 `uniqueRowIDs` instead of `rowKeyPolicy`)."""
    tree = knime.tree
    knime.take_all(["addIterationColumn", "rowKeyPolicy", "propagateLoopVariables"])
    if "rowKeyPolicy" not in tree and "uniqueRowIDs" in tree:
        policy = "APPEND_SUFFIX" if tree["uniqueRowIDs"] else "UNMODIFIED"
        knime.put("rowKeyPolicy", policy, "uniqueRowIDs")
    for k in ("ignoreEmptyTables", "tolerateColumnTypes", "tolerateChangingSpecs"):
        values = seq(tree.get(k))
        if len(set(values)) > 1:
            knime.lost(f"{k} differs between input ports ({values}); the first port's value is used")
        knime.take(k, transform=first)
    knime.unread()


def _check_same_spec(state: _ConcatState, table: Table, settings: LoopEndSettings, empty: bool) -> None:
    """A pass's table must have the first (or first empty) pass's columns, unless tolerated."""
    if settings.tolerate_changing_specs or not (state.tables or state.empty_spec is not None):
        return
    if settings.ignore_empty_tables and (empty or state.empty_spec is not None):
        return
    ref = state.first_spec if state.tables else state.empty_spec
    assert ref is not None
    diff = _spec_difference(ref, table.spec, settings.tolerate_column_types)
    if diff:
        raise NodeError(
            f"Input table's structure differs from reference (first iteration) table in pass "
            f"{state.count}: {diff} (set tolerate_changing_specs or tolerate_column_types)",
            setting="tolerate_changing_specs",
        )


def _pass_row_ids(state: _ConcatState, table: Table, settings: LoopEndSettings) -> pd.Index:
    """The pass's RowIDs by the row key policy; they must be new to the collected table."""
    if settings.row_key_policy == "GENERATE_NEW":
        index = row_ids(len(table), start=state.generated)
        state.generated += len(table)
    elif settings.row_key_policy == "APPEND_SUFFIX":
        index = pd.Index([f"{r}#{state.count}" for r in table.row_ids], dtype=object)
    else:
        index = table.df.index
    new_ids = [str(r) for r in index]
    dupes = state.row_ids.intersection(new_ids)
    if dupes or len(set(new_ids)) != len(new_ids):
        dup = sorted(dupes)[0] if dupes else next(r for r in new_ids if new_ids.count(r) > 1)
        raise NodeError(
            f"Duplicate RowID {dup!r} in pass {state.count} (row_key_policy {settings.row_key_policy}); use "
            "GENERATE_NEW or APPEND_SUFFIX",
            setting="row_key_policy",
        )
    state.row_ids.update(new_ids)
    return index


def _with_iteration_column(spec: TableSpec) -> TableSpec:
    """The loop ends' collected structure: an Integer `Iteration` column (made unique) appended."""
    return spec.append((unique_column_name(spec.names, "Iteration"), ColumnType.INTEGER))


def _collected_pass(table: Table, index: pd.Index, iteration: int, add_iteration_column: bool) -> Table:
    """One pass's rows as a loop end collects them: its RowIDs, and the pass number when asked."""
    df = table.df.copy(deep=False)
    df.index = index
    types = dict(table.types)
    if add_iteration_column:
        col = unique_column_name(list(df.columns), "Iteration")
        df[col] = np.full(len(df), iteration, dtype=np.int64)
        types[col] = ColumnType.INTEGER
    return Table(df, types)


def _collected_result(tables: list[Table], empty_spec: TableSpec | None, add_iteration_column: bool) -> Table:
    """What a loop end hands on: the collected passes, or with none an empty table of the
    structure the passes had (`empty_spec`), with its `Iteration` column when asked."""
    if tables:
        return concatenate(tables)
    spec = empty_spec or TableSpec()
    return _empty_table(_with_iteration_column(spec) if add_iteration_column else spec)


class LoopEnd(LoopEndNode):
    """KNIME's LoopEndDynamic (Loop End): concatenates the body's table of every pass."""

    type_name = "loop_end"
    display_name = "Loop End"
    description = (
        "Collects the table arriving in every loop pass and concatenates them in pass order, optionally adding "
        "an `Iteration` column. Tables of different structure are an error unless tolerated."
    )
    keywords = ("loop", "end", "collect", "concatenate")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.LoopEndDynamicNodeFactory", "Loop End", _loop_end_from_knime
        ),
        KnimeMapping(
            "org.knime.base.node.meta.looper.LoopEndNodeFactory",
            "Loop End (legacy)",
            _loop_end_from_knime,
            note="the one-port Loop End (LoopEndNodeSettings)",
        ),
    )
    inputs = (Port(TABLE, "Collected table", "The table of each pass."),)
    outputs = (Port(TABLE, "Collected results", "All passes' tables, concatenated."),)
    Settings = LoopEndSettings

    def configure(self, in_specs: list[Any], settings: LoopEndSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if (
            not isinstance(spec, TableSpec)
            or settings.ignore_empty_tables
            or settings.tolerate_column_types
            or settings.tolerate_changing_specs
        ):
            return [UNKNOWN]
        if settings.add_iteration_column:
            spec = _with_iteration_column(spec)
        return [spec]

    def begin(self, settings: LoopEndSettings, ctx: NodeContext) -> _ConcatState:
        return _ConcatState()

    def collect(
        self, state: _ConcatState, inputs: list[Any], settings: LoopEndSettings, ctx: NodeContext
    ) -> Any:
        table = inputs[0]
        if not isinstance(table, Table):
            raise NodeError(f"the loop body delivered no table in pass {state.count}")
        empty = len(table) == 0
        if empty:
            if settings.ignore_empty_tables and state.tables:
                state.count += 1
                return None
            if not state.tables:
                state.empty_spec = table.spec
                state.count += 1
                return None
        _check_same_spec(state, table, settings, empty)
        if empty:
            state.count += 1
            return None
        index = _pass_row_ids(state, table, settings)
        if not state.tables:
            state.first_spec = table.spec
        state.tables.append(_collected_pass(table, index, state.count, settings.add_iteration_column))
        state.count += 1
        return None

    def finish(self, state: _ConcatState, settings: LoopEndSettings, ctx: NodeContext) -> list[Any]:
        return [_collected_result(state.tables, state.empty_spec, settings.add_iteration_column)]


def _empty_table(spec: TableSpec) -> Table:
    dtypes = {
        ColumnType.INTEGER: np.int64,
        ColumnType.LONG: np.int64,
        ColumnType.DOUBLE: np.float64,
        ColumnType.BOOLEAN: bool,
    }
    df = pd.DataFrame({c.name: pd.Series([], dtype=dtypes.get(c.type, object)) for c in spec.columns})
    df.index = row_ids(0)
    return Table(df, {c.name: c.type for c in spec.columns})


# ------------------------------------------------------------------------ Variable Condition Loop End

_OPERATORS = {
    "EQ": lambda c: c == 0,
    "NE": lambda c: c != 0,
    "LT": lambda c: c < 0,
    "LE": lambda c: c <= 0,
    "GT": lambda c: c > 0,
    "GE": lambda c: c >= 0,
}
_CONDITION_TYPES = {
    "INTEGER": ColumnType.INTEGER,
    "LONG": ColumnType.LONG,
    "DOUBLE": ColumnType.DOUBLE,
    "STRING": ColumnType.STRING,
    "BOOLEAN": ColumnType.BOOLEAN,
}


class ConditionLoopEndSettings(NodeSettings):
    """KNIME's LoopEndConditionDynamicSettings (LoopEndConditionSettings before 4.5)."""

    variable_name: str | None = Field(None, description="The flow variable checked after every pass.")
    variable_type: Literal["INTEGER", "LONG", "DOUBLE", "STRING", "BOOLEAN"] = Field(
        "INTEGER", description="The variable's type; `value` is read as this type."
    )
    operator: Literal["EQ", "NE", "LT", "LE", "GT", "GE"] = Field(
        "EQ", description="The loop ends after the pass in which `variable <operator> value` holds."
    )
    value: str = Field("", description="The value the variable is compared with.")
    add_last_rows: bool = Field(True, description="Collect the rows of the last pass.")
    add_last_rows_only: bool = Field(False, description="Collect only the rows of the last pass.")
    add_iteration_column: bool = Field(
        True, description="Append an Integer column `Iteration` with the pass number."
    )
    propagate_loop_variables: bool = Field(
        False, description="Pass the variables of the last pass (including loop variables) on after the loop."
    )


def _condition_end_from_knime(knime: KnimeSettings) -> None:
    """Both layouts: the per-port flags are arrays since 4.5 (one collecting port here)."""
    knime.take_all(["variableName", "variableType", "operator", "value", "propagateLoopVariables"])
    for k in ("addLastRows", "addLastRowsOnly", "addIterationColumn"):
        values = seq(knime.tree.get(k))
        if len(set(values)) > 1:
            knime.lost(f"{k} differs between input ports ({values}); the first port's value is used")
        knime.take(k, transform=first)
    knime.unread()


def _parsed_value(settings: ConditionLoopEndSettings) -> Any:
    text, kind = settings.value, settings.variable_type
    try:
        if kind in ("INTEGER", "LONG"):
            return int(text.strip())
        if kind == "DOUBLE":
            return float(text.strip())
    except ValueError:
        raise NodeError(f"Comparison value {text!r} is not a valid {kind.lower()}", setting="value") from None
    if kind == "BOOLEAN":
        if text.lower() not in ("true", "false"):
            raise NodeError(f"Comparison value {text!r} is not a valid boolean", setting="value")
        return text.lower() == "true"
    return text


@dataclass
class _ConditionState:
    tables: list[Table] = field(default_factory=list)
    first_spec: TableSpec | None = None
    values: list[Any] = field(default_factory=list)
    count: int = 0


class VariableConditionLoopEnd(LoopEndNode):
    """KNIME's Variable Condition Loop End: ends a loop once a flow variable meets a condition."""

    type_name = "variable_condition_loop_end"
    display_name = "Variable Condition Loop End"
    description = (
        "After every pass compares a flow variable with a value (e.g. `currentIteration` GE 9, or a quality "
        "measure LT 0.01) and ends the loop when the comparison holds, or when the loop start has no more "
        "passes. Collects each pass's rows (RowIDs `<RowID>#<pass>`, optionally an `Iteration` column; the "
        "last pass's rows only, or all but them) and, on a second port, the variable's value after every pass."
    )
    keywords = ("loop", "end", "while", "until", "condition", "stop")
    decides_end = True
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.condition.LoopEndConditionDynamicNodeFactory",
            "Variable Condition Loop End",
            _condition_end_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.meta.looper.condition.LoopEndConditionNodeFactory",
            "Variable Condition Loop End (legacy)",
            _condition_end_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Collected table", "The table of each pass."),)
    outputs = (
        Port(TABLE, "Collected results", "The passes' tables, concatenated."),
        Port(
            TABLE, "Variable values", "The checked variable's value after each pass (RowIDs `Iteration <i>`)."
        ),
    )
    Settings = ConditionLoopEndSettings

    def _value_spec(self, settings: ConditionLoopEndSettings) -> TableSpec:
        return TableSpec.of([("Variable value", _CONDITION_TYPES[settings.variable_type])])

    def configure(
        self, in_specs: list[Any], settings: ConditionLoopEndSettings, ctx: NodeContext
    ) -> list[Any]:
        if not settings.variable_name:
            raise ConfigureError("No variable selected", setting="variable_name")
        _parsed_value(settings)
        spec = in_specs[0]
        if isinstance(spec, TableSpec) and settings.add_iteration_column:
            spec = _with_iteration_column(spec)
        return [spec if isinstance(spec, TableSpec) else UNKNOWN, self._value_spec(settings)]

    def begin(self, settings: ConditionLoopEndSettings, ctx: NodeContext) -> _ConditionState:
        return _ConditionState()

    def _condition_holds(self, settings: ConditionLoopEndSettings, ctx: NodeContext) -> tuple[bool, Any]:
        name = settings.variable_name or ""
        variable = ctx.variable(name, None)
        if variable is None:
            raise NodeError(
                f"No variable named {name!r} of type {settings.variable_type} found", setting="variable_name"
            )
        wanted = _parsed_value(settings)
        if settings.variable_type in ("INTEGER", "LONG"):
            variable = int(variable)
        elif settings.variable_type == "DOUBLE":
            variable = float(variable)
        elif settings.variable_type == "BOOLEAN":
            variable = bool(variable)
        else:
            variable = str(variable)
        cmp = (variable > wanted) - (variable < wanted)
        return _OPERATORS[settings.operator](cmp), variable

    def collect(
        self, state: _ConditionState, inputs: list[Any], settings: ConditionLoopEndSettings, ctx: NodeContext
    ) -> Any:
        table = inputs[0]
        if not isinstance(table, Table):
            raise NodeError(f"the loop body delivered no table in pass {state.count}")
        iteration = int(ctx.variable("currentIteration", state.count))
        if state.first_spec is None:
            state.first_spec = table.spec
        else:
            diff = _spec_difference(state.first_spec, table.spec, ignore_types=False)
            if diff:
                raise NodeError(
                    f"Input table's structure differs from reference (first iteration) table: {diff}"
                )
        last, value = self._condition_holds(settings, ctx)
        state.values.append((iteration, value))
        state.count += 1
        if settings.add_last_rows_only:  # only the last pass's rows, or none at all without add_last_rows
            keep = last and settings.add_last_rows
        else:  # every pass's rows, the last one's only with add_last_rows
            keep = settings.add_last_rows or not last
        if keep:
            index = pd.Index([f"{r}#{iteration}" for r in table.row_ids], dtype=object)
            state.tables.append(_collected_pass(table, index, iteration, settings.add_iteration_column))
        return STOP_LOOP if last else None

    def finish(
        self, state: _ConditionState, settings: ConditionLoopEndSettings, ctx: NodeContext
    ) -> list[Any]:
        collected = _collected_result(state.tables, state.first_spec, settings.add_iteration_column)
        value_type = _CONDITION_TYPES[settings.variable_type]
        values = pd.DataFrame(
            {"Variable value": [v for _, v in state.values]},
            index=pd.Index([f"Iteration {i}" for i, _ in state.values], dtype=object),
        )
        if value_type in (ColumnType.INTEGER, ColumnType.LONG):
            values["Variable value"] = values["Variable value"].astype(np.int64)
        return [collected, Table(values, {"Variable value": value_type})]


# -------------------------------------------------------------------------------- Variable Loop End

_VARIABLE_COLUMN_TYPES = {
    "Integer": ColumnType.INTEGER,
    "Long": ColumnType.LONG,
    "Double": ColumnType.DOUBLE,
    "Boolean": ColumnType.BOOLEAN,
}


class VariableLoopEndSettings(NodeSettings):
    """KNIME's LoopEndVariable settings (AbstractVariableToTableNodeModel's variable filter)."""

    variables: list[str] | ColumnFilter = Field(
        default_factory=list,
        alias="filter",
        description="The variables collected after each pass, one column each: a list of names, or KNIME's "
        "variable filter (included_names / excluded_names / enforce_option). None: a table of RowIDs only.",
    )
    propagate_loop_variables: bool = Field(
        False, description="Pass the variables of the last pass (including loop variables) on after the loop."
    )


def _variable_loop_end_from_knime(knime: KnimeSettings) -> None:
    """The variable filter: `variable_filter` (FlowVariableFilterConfiguration) or the web UI's `filter`."""
    key = "filter" if "filter" in knime.tree else "variable_filter"
    knime.take("variables", key)
    knime.take("propagateLoopVariables")
    knime.unread()


class VariableLoopEnd(LoopEndNode):
    """KNIME's Variable Loop End: one row per pass holding the chosen flow variables."""

    type_name = "variable_loop_end"
    display_name = "Variable Loop End"
    description = (
        "Ends a loop whose body produces flow variables rather than tables: after every pass it records the "
        "chosen variables as one row (RowIDs Row0, Row1, ...; one column per variable, typed by the variable). "
        "The variables must keep their names and types across passes."
    )
    keywords = ("loop", "end", "flow variable", "collect", "variables to table")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.variable.end.LoopEndVariableNodeFactory",
            "Variable Loop End",
            _variable_loop_end_from_knime,
        ),
    )
    inputs = (Port(VARIABLES, "Variables", "The flow variables of each pass."),)
    outputs = (Port(TABLE, "Variables per pass", "One row per pass, one column per chosen variable."),)
    Settings = VariableLoopEndSettings

    def configure(
        self, in_specs: list[Any], settings: VariableLoopEndSettings, ctx: NodeContext
    ) -> list[Any]:
        return [UNKNOWN]

    def begin(self, settings: VariableLoopEndSettings, ctx: NodeContext) -> list[list[tuple[str, Any, str]]]:
        return []

    def collect(
        self,
        state: list[list[tuple[str, Any, str]]],
        inputs: list[Any],
        settings: VariableLoopEndSettings,
        ctx: NodeContext,
    ) -> Any:
        row = selected_variables(settings.variables, ctx)
        if state:
            before = [(n, t) for n, _, t in state[0]]
            now = [(n, t) for n, _, t in row]
            if before != now:
                raise NodeError(
                    f"Output table's structure differs from reference (first iteration) table: {now} vs. {before}. "
                    "Have the input variables changed in number, name or type?"
                )
        state.append(row)
        return None

    def finish(
        self, state: list[list[tuple[str, Any, str]]], settings: VariableLoopEndSettings, ctx: NodeContext
    ) -> list[Any]:
        columns = [
            (n, _VARIABLE_COLUMN_TYPES.get(t, ColumnType.STRING)) for n, _, t in (state[0] if state else [])
        ]
        data: dict[str, Any] = {}
        for j, (name, ctype) in enumerate(columns):
            values = [row[j][1] for row in state]
            if ctype in (ColumnType.INTEGER, ColumnType.LONG):
                data[name] = np.array(values, dtype=np.int64)
            elif ctype == ColumnType.DOUBLE:
                data[name] = np.array(values, dtype=np.float64)
            elif ctype == ColumnType.BOOLEAN:
                data[name] = np.array(values, dtype=bool)
            else:
                data[name] = np.array([str(v) for v in values], dtype=object)
        df = pd.DataFrame(data, index=row_ids(len(state)))
        return [Table(df, dict(columns))]
