"""Loop nodes: the Table Row to Variable Loop Start, the loop ends (Loop End, Loop End (2 ports),
Loop End (Column Append), the Variable Condition Loop End, which decides when its loop stops, and
the Variable Loop End) and the Recursive Loop Start/End pair, whose end feeds tables back to its
start (they share this module because the start reads what the end sends it).

The scheduler drives loops: a start's `iterations` generator yields one `Iteration` per pass and is
sent back what the end's `collect` returned for the previous pass; loops whose passes are known up
front also offer `plan` so that the engine may run the passes in parallel.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

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
from nodes._rows import take
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


def _check_same_spec(
    state: _ConcatState, table: Table, settings: LoopEndSettings, empty: bool, port: str = ""
) -> None:
    """A pass's table must have the first (or first empty) pass's columns, unless tolerated;
    `port` is the suffix of the per-port settings' names (Loop End (2 ports))."""
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
            f"{state.count}: {diff} (set tolerate_changing_specs{port} or tolerate_column_types{port})",
            setting=f"tolerate_changing_specs{port}",
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
        return [_concat_spec(in_specs[0], settings)]

    def begin(self, settings: LoopEndSettings, ctx: NodeContext) -> _ConcatState:
        return _ConcatState()

    def collect(
        self, state: _ConcatState, inputs: list[Any], settings: LoopEndSettings, ctx: NodeContext
    ) -> Any:
        _concat_pass(state, inputs[0], settings)
        return None

    def finish(self, state: _ConcatState, settings: LoopEndSettings, ctx: NodeContext) -> list[Any]:
        return [_collected_result(state.tables, state.empty_spec, settings.add_iteration_column)]


def _concat_spec(spec: Any, settings: LoopEndSettings) -> Any:
    """ConcatenateTableFactory.createSpec: the input's structure (plus `Iteration`), unknown when
    empty passes or changing structures are tolerated."""
    if (
        not isinstance(spec, TableSpec)
        or settings.ignore_empty_tables
        or settings.tolerate_column_types
        or settings.tolerate_changing_specs
    ):
        return UNKNOWN
    return _with_iteration_column(spec) if settings.add_iteration_column else spec


def _concat_pass(state: _ConcatState, table: Any, settings: LoopEndSettings, port: str = "") -> None:
    """One pass's table into a concatenating collection (KNIME's ConcatenateTableFactory.addTable)."""
    if not isinstance(table, Table):
        raise NodeError(f"the loop body delivered no table in pass {state.count}")
    empty = len(table) == 0
    if empty:
        if settings.ignore_empty_tables and state.tables:
            state.count += 1
            return
        if not state.tables:
            state.empty_spec = table.spec
            state.count += 1
            return
    _check_same_spec(state, table, settings, empty, port)
    if empty:
        state.count += 1
        return
    index = _pass_row_ids(state, table, settings)
    if not state.tables:
        state.first_spec = table.spec
    state.tables.append(_collected_pass(table, index, state.count, settings.add_iteration_column))
    state.count += 1


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


# -------------------------------------------------------------------------------- Loop End (2 ports)


class LoopEnd2Settings(NodeSettings):
    """KNIME's LoopEnd2NodeSettings: the row and iteration options shared, the others per port."""

    add_iteration_column: bool = Field(
        True, description="Append an Integer column `Iteration` (made unique if taken) to both results."
    )
    row_key_policy: Literal["GENERATE_NEW", "APPEND_SUFFIX", "UNMODIFIED"] = Field(
        "APPEND_SUFFIX",
        description="RowIDs of both results: GENERATE_NEW gives Row0, Row1, ... (counted per port); "
        "APPEND_SUFFIX gives `<RowID>#<pass>`; UNMODIFIED keeps them (a repeated RowID is an error).",
    )
    propagate_loop_variables: bool = Field(
        False, description="Pass the variables of the last pass (including loop variables) on after the loop."
    )
    ignore_empty_tables1: bool = Field(True, description="Port 1: skip empty pass tables entirely.")
    ignore_empty_tables2: bool = Field(True, description="Port 2: skip empty pass tables entirely.")
    tolerate_column_types1: bool = Field(False, description="Port 1: allow a column's type to change.")
    tolerate_column_types2: bool = Field(False, description="Port 2: allow a column's type to change.")
    tolerate_changing_specs1: bool = Field(
        False, description="Port 1: allow the columns to differ between passes (the union, missing cells)."
    )
    tolerate_changing_specs2: bool = Field(
        False, description="Port 2: allow the columns to differ between passes (the union, missing cells)."
    )

    def port(self, i: int) -> LoopEndSettings:
        """The options of port `i` (1 or 2) as the one-port Loop End's."""
        return LoopEndSettings(
            add_iteration_column=self.add_iteration_column,
            row_key_policy=self.row_key_policy,
            ignore_empty_tables=getattr(self, f"ignore_empty_tables{i}"),
            tolerate_column_types=getattr(self, f"tolerate_column_types{i}"),
            tolerate_changing_specs=getattr(self, f"tolerate_changing_specs{i}"),
        )


def _loop_end2_from_knime(knime: KnimeSettings) -> None:
    """LoopEnd2NodeSettings; `uniqueRowIDs` before 3.1 (AbstractLoopEndNodeSettings)."""
    tree = knime.tree
    knime.take_all(["addIterationColumn", "rowKeyPolicy", "propagateLoopVariables"])
    if "rowKeyPolicy" not in tree and "uniqueRowIDs" in tree:
        knime.put("row_key_policy", "APPEND_SUFFIX" if tree["uniqueRowIDs"] else "UNMODIFIED", "uniqueRowIDs")
    for i in (1, 2):
        knime.take(f"ignore_empty_tables{i}", f"ignoreEmptyTables{i}")
        knime.take(f"tolerate_column_types{i}", f"tolerateColumnTypes{i}")
        knime.take(f"tolerate_changing_specs{i}", f"tolerateChangingSpecs{i}")
    knime.unread()


class LoopEnd2(LoopEndNode):
    """KNIME's Loop End (2 ports): two tables per pass, each concatenated over the passes."""

    type_name = "loop_end_2"
    display_name = "Loop End (2 ports)"
    description = (
        "Collects two tables in every loop pass and concatenates each over the passes, as Loop End does for "
        "one (optionally with an `Iteration` column; RowIDs by the row key policy, counted per port). Empty "
        "tables, changing column types and changing columns can be tolerated per port."
    )
    keywords = ("loop", "end", "collect", "concatenate", "two ports")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.LoopEnd2NodeFactory", "Loop End (2 ports)", _loop_end2_from_knime
        ),
    )
    inputs = (
        Port(TABLE, "Collected table 1", "The first table of each pass."),
        Port(TABLE, "Collected table 2", "The second table of each pass."),
    )
    outputs = (
        Port(TABLE, "Collected results 1", "The first tables of all passes, concatenated."),
        Port(TABLE, "Collected results 2", "The second tables of all passes, concatenated."),
    )
    Settings = LoopEnd2Settings

    def configure(self, in_specs: list[Any], settings: LoopEnd2Settings, ctx: NodeContext) -> list[Any]:
        return [_concat_spec(in_specs[i], settings.port(i + 1)) for i in range(2)]

    def begin(self, settings: LoopEnd2Settings, ctx: NodeContext) -> list[_ConcatState]:
        return [_ConcatState(), _ConcatState()]

    def collect(
        self, state: list[_ConcatState], inputs: list[Any], settings: LoopEnd2Settings, ctx: NodeContext
    ) -> Any:
        for i in range(2):
            _concat_pass(state[i], inputs[i], settings.port(i + 1), str(i + 1))
        return None

    def finish(self, state: list[_ConcatState], settings: LoopEnd2Settings, ctx: NodeContext) -> list[Any]:
        return [_collected_result(s.tables, s.empty_spec, settings.add_iteration_column) for s in state]


# ------------------------------------------------------------------------ Loop End (Column Append)


class ColumnAppendLoopEndSettings(NodeSettings):
    """KNIME's LoopEndJoinNodeConfiguration."""

    has_same_rows_in_each_iteration: bool = Field(
        False,
        title="Loop has same RowIDs in each iteration",
        description="The passes' tables have the same RowIDs in the same order: they are put side by side "
        "(a pass whose RowIDs differ is an error). Off: each pass is joined on the RowIDs (full outer join).",
    )
    propagate_loop_variables: bool = Field(
        False, description="Pass the variables of the last pass (including loop variables) on after the loop."
    )
    suffix_all_every_50: bool = Field(
        False,
        description="The deprecated node's behaviour (LoopEndJoinNodeFactory, KNIME bug 6544): with same "
        "RowIDs, after pass 50, 100, ... every collected column is renamed `<name> (Iter #<pass>)`.",
    )


def _column_append_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["hasSameRowsInEachIteration", "propagateLoopVariables"])
    node = knime.node
    if node is not None and node.factory.endswith(".LoopEndJoinNodeFactory"):
        knime.put("suffix_all_every_50", True)
    knime.unread()


@dataclass
class _AppendState:
    table: Table | None = None
    count: int = 0


def _pass_names(collected: list[str], names: list[str], iteration: int) -> list[str]:
    """LoopEndJoinNodeModel.uniqueColumnNames: a name the collected table has gets ` (Iter #<pass>)`."""
    taken = set(collected)
    return [f"{n} (Iter #{iteration})" if n in taken else n for n in names]


def _join_on_row_ids(left: Table, right: Table, iteration: int) -> Table:
    """The old Joiner's full outer join on RowIDs: matches and left-only rows in left order, then
    the right-only rows; a right column whose name is still taken gets ` (Iter #<pass>)` again."""
    left_ids = [str(r) for r in left.df.index]
    right_pos = {str(r): j for j, r in enumerate(right.df.index)}
    matched = [(i, right_pos[r]) for i, r in enumerate(left_ids) if r in right_pos]
    left_only = [(i, -1) for i, r in enumerate(left_ids) if r not in right_pos]
    seen = set(left_ids)
    right_only = [(-1, j) for j, r in enumerate(str(x) for x in right.df.index) if r not in seen]
    pairs = matched + left_only + right_only
    li = np.array([p[0] for p in pairs], dtype=np.int64)
    ri = np.array([p[1] for p in pairs], dtype=np.int64)
    ids = [left_ids[i] if i >= 0 else str(right.df.index[j]) for i, j in pairs]
    data: dict[str, pd.Series] = {}
    types: dict[str, str] = {}
    for name in left.columns:
        data[name] = take(left.df[name], left.types[name], li)
        types[name] = left.types[name]
    for name in right.columns:
        out = name
        while out in types:
            out += f" (Iter #{iteration})"
        data[out] = take(right.df[name], right.types[name], ri)
        types[out] = right.types[name]
    df = pd.DataFrame({k: v.reset_index(drop=True) for k, v in data.items()})
    df.index = pd.Index(ids, dtype=object)
    return Table(df, types)


class ColumnAppendLoopEnd(LoopEndNode):
    """KNIME's Loop End (Column Append): each pass's columns joined to the collected table by RowID."""

    type_name = "loop_end_column_append"
    display_name = "Loop End (Column Append)"
    description = (
        "Collects the loop's results column-wise: every pass's table is joined to the tables of the passes "
        "before on the RowIDs (full outer join: matched rows in the collected order, then rows only the "
        "collected table has, then the pass's new rows; missing cells fill the gaps). A column name taken "
        "already gets ` (Iter #<pass>)`. With the same RowIDs in every pass the tables are put side by side."
    )
    keywords = ("loop", "end", "collect", "column append", "join", "side by side")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.LoopEndJoin2NodeFactory",
            "Loop End (Column Append)",
            _column_append_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.meta.looper.LoopEndJoinNodeFactory",
            "Loop End (Column Append) (deprecated)",
            _column_append_from_knime,
            note="LoopEndJoinNodeModel(true): the columns renamed after every 50 passes (bug 6544)",
        ),
    )
    inputs = (Port(TABLE, "Any datatable", "The table of each pass."),)
    outputs = (Port(TABLE, "Collected results", "The passes' tables joined on their RowIDs."),)
    Settings = ColumnAppendLoopEndSettings

    def configure(
        self, in_specs: list[Any], settings: ColumnAppendLoopEndSettings, ctx: NodeContext
    ) -> list[Any]:
        return [UNKNOWN]

    def begin(self, settings: ColumnAppendLoopEndSettings, ctx: NodeContext) -> _AppendState:
        return _AppendState()

    def collect(
        self, state: _AppendState, inputs: list[Any], settings: ColumnAppendLoopEndSettings, ctx: NodeContext
    ) -> Any:
        table = inputs[0]
        if not isinstance(table, Table):
            raise NodeError(f"the loop body delivered no table in pass {state.count}")
        i = state.count
        state.count += 1
        if state.table is None:
            state.table = table
            return None
        collected = state.table
        names = _pass_names(collected.columns, table.columns, i)
        renamed = Table(table.df.set_axis(names, axis=1), dict(zip(names, table.types.values(), strict=True)))
        if not settings.has_same_rows_in_each_iteration:
            state.table = _join_on_row_ids(collected, renamed, i)
            return None
        if [str(r) for r in collected.df.index] != [str(r) for r in renamed.df.index]:
            raise NodeError(
                f"The tables of pass {i} and the passes before do not have the same RowIDs in the same order "
                "(turn off has_same_rows_in_each_iteration)",
                setting="has_same_rows_in_each_iteration",
            )
        clash = set(collected.columns) & set(names)
        if clash:
            raise NodeError(f"Duplicate column name {sorted(clash)[0]!r} in pass {i}")
        right = renamed.df.copy(deep=False)
        right.index = collected.df.index
        df = pd.concat([collected.df, right], axis=1)
        types = {**collected.types, **renamed.types}
        if settings.suffix_all_every_50 and i % 50 == 0:
            new = [f"{n} (Iter #{i})" for n in df.columns]
            types = {m: types[n] for n, m in zip(df.columns, new, strict=True)}
            df = df.set_axis(new, axis=1)
        state.table = Table(df, types)
        return None

    def finish(
        self, state: _AppendState, settings: ColumnAppendLoopEndSettings, ctx: NodeContext
    ) -> list[Any]:
        return [state.table if state.table is not None else _empty_table(TableSpec())]


# ------------------------------------------------------------------- Recursive Loop Start / End

MAX_RECURSION_PORTS = 32


@dataclass
class _Recursion:
    """What a Recursive Loop End hands its start after a pass: the next pass's tables."""

    tables: list[Table]


def _group_size(knime: KnimeSettings, group: str) -> int | None:
    """How many ports a dynamic port group of the KNIME node has (node_creation_config)."""
    creation = knime.node.creation_config if knime.node is not None else {}
    ports = creation.get(group) if isinstance(creation, dict) else None
    if not isinstance(ports, dict):
        return None
    return len([k for k in ports if k.startswith("port_")]) or None


class RecursiveLoopStartSettings(NodeSettings):
    """KNIME's Recursive Loop Start has no settings; its number of ports is its port configuration."""

    recursion_ports: int = Field(
        1, ge=1, le=MAX_RECURSION_PORTS, description="How many tables go round the loop (input/output ports)."
    )


def _recursive_start_from_knime(knime: KnimeSettings) -> None:
    count = _group_size(knime, "Recursion")
    if count:
        knime.put("recursion_ports", count)
    knime.unread()


def _recursive_start2_from_knime(knime: KnimeSettings) -> None:
    knime.put("recursion_ports", 2)
    knime.unread()


def _legacy_recursive_start_from_knime(knime: KnimeSettings) -> None:
    knime.unread()


def _recursion_port_list(count: int, what: str) -> tuple[Port, ...]:
    return tuple(Port(TABLE, f"{what} {i + 1}" if count > 1 else what) for i in range(count))


class RecursiveLoopStart(LoopStartNode):
    """KNIME's Recursive Loop Start: the first pass gets the input tables, every later pass the
    tables the Recursive Loop End received at its recursion ports in the pass before."""

    type_name = "recursive_loop_start"
    display_name = "Recursive Loop Start"
    description = (
        "Starts a recursive loop: the first pass hands on the input table(s), every further pass the table(s) "
        "the matching Recursive Loop End received at its recursion port(s) in the pass before. Sets the "
        "Integer variable `currentIteration`. The Recursive Loop End decides when the loop stops."
    )
    keywords = ("loop", "recursive", "recursion", "feedback", "iterate until", "while")
    open_ended = True
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.recursive.RecursiveLoopStartDynamicNodeFactory",
            "Recursive Loop Start",
            _recursive_start_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.meta.looper.recursive.RecursiveLoopStartNodeFactory",
            "Recursive Loop Start (legacy)",
            _legacy_recursive_start_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.meta.looper.recursive.RecursiveLoopStart2NodeFactory",
            "Recursive Loop Start (2 ports)",
            _recursive_start2_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Initial table", "What the first pass gets."),)
    outputs = (Port(TABLE, "Recursion table", "The first pass: the input; then what the loop end got."),)
    Settings = RecursiveLoopStartSettings

    @classmethod
    def ports_for(
        cls, settings: Mapping[str, Any] | None = None
    ) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
        count = (settings or {}).get("recursion_ports", 1)
        if not isinstance(count, int) or not 1 < count <= MAX_RECURSION_PORTS:
            return cls.inputs, cls.outputs
        return _recursion_port_list(count, "Initial table"), _recursion_port_list(count, "Recursion table")

    def loop_variables(self, in_specs: list[Any], settings: RecursiveLoopStartSettings) -> dict[str, str]:
        return {"currentIteration": "Integer"}

    def configure(
        self, in_specs: list[Any], settings: RecursiveLoopStartSettings, ctx: NodeContext
    ) -> list[Any]:
        return list(in_specs)

    def iterations(
        self, inputs: list[Any], settings: RecursiveLoopStartSettings, ctx: NodeContext
    ) -> Iterator[Iteration]:
        tables = list(inputs)
        i = 0
        while True:
            feedback = yield Iteration(tables, {"currentIteration": i})
            if not isinstance(feedback, _Recursion):
                raise NodeError(
                    "Loop Start is not connected to matching/corresponding Recursive Loop End node."
                )
            if len(feedback.tables) != len(tables):
                raise NodeError(
                    "Connected Recursive Loop End node has not the same amount of recursion ports! "
                    f"Start node: {len(tables)}, End node: {len(feedback.tables)}"
                )
            tables = feedback.tables
            i += 1


class RecursiveLoopEndSettings(NodeSettings):
    """KNIME's RecursiveLoopEndDynamicNodeSettings (and the 1- and 2-port nodes' CFG_* settings)."""

    collector_ports: int = Field(
        1, ge=1, le=MAX_RECURSION_PORTS, description="How many tables are collected (input/output ports)."
    )
    recursion_ports: int = Field(
        1, ge=1, le=MAX_RECURSION_PORTS, description="How many tables go back to the loop start."
    )
    max_nr_iterations: int = Field(
        100, ge=1, description="The loop stops after this many passes at the latest."
    )
    min_number_of_rows: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=lambda: [1],
        description="Per recursion port: the loop stops once that table has fewer rows (a shorter list is "
        "filled with its last value).",
    )
    only_last_data: list[bool] = Field(
        default_factory=lambda: [False],
        description="Per collector port: output only the last pass's table, unchanged.",
    )
    add_iteration_column: list[bool] = Field(
        default_factory=lambda: [False],
        description="Per collector port: append an Integer column `Iteration` with the pass number.",
    )
    use_flow_variable: bool = Field(
        False, description="Also stop once the variable `flow_variable_name` is true."
    )
    flow_variable_name: str = Field(
        "", description='A Boolean (or String "true") flow variable that ends the loop after the pass.'
    )
    end_loop_deprecated: bool | str = Field(
        False,
        description="KNIME's deprecated 'end loop' option (CFG_End_Loop, often bound to a String variable): "
        'true, or the text "true" in any case, ends the loop after the pass.',
    )
    propagate_flow_variables: bool = Field(
        False, description="Pass the variables of the last pass (including loop variables) on after the loop."
    )

    @property
    def propagate_loop_variables(self) -> bool:
        return self.propagate_flow_variables


def _per_port(values: list[Any], count: int, default: Any) -> list[Any]:
    """RecursiveLoopEndDynamicNodeSettings.read*Array: one value per port, a short array filled
    with its last value, an empty one with the default."""
    if not values:
        return [default] * count
    return [values[i] if i < len(values) else values[-1] for i in range(count)]


def _recursive_end_from_knime(knime: KnimeSettings) -> None:
    """The dynamic node (4.5+): its port groups, flags and per-port arrays."""
    for name, group in (("collector_ports", "Collector"), ("recursion_ports", "Recursion")):
        count = _group_size(knime, group)
        if count:
            knime.put(name, count)
    knime.take_all(
        [
            "maxNrIterations",
            "useFlowVariable",
            "flowVariableName",
            "propagateFlowVariables",
            "endLoop_deprecated",
        ]
    )
    knime.take("min_number_of_rows", "minNumberOfRows", transform=lambda v: [int(x) for x in seq(v)])
    knime.take("add_iteration_column", "addIterationColumn", transform=lambda v: [bool(x) for x in seq(v)])
    knime.take("only_last_data", "onlyLastData", transform=lambda v: [bool(x) for x in seq(v)])
    knime.unread()


def _legacy_recursive_end(recursion_ports: int) -> Any:
    """The 1- and 2-port nodes (RecursiveLoopEndNodeModel): one minimum for every recursion table."""

    def translate(knime: KnimeSettings) -> None:
        knime.put("recursion_ports", recursion_ports)
        knime.take("max_nr_iterations", "CFG_MaxNrIterations")
        knime.take("min_number_of_rows", "CFG_MinNrOfRows", transform=lambda v: [int(v)] * recursion_ports)
        knime.take("only_last_data", "CFG_OnlyLastData", transform=lambda v: [bool(v)])
        knime.take("add_iteration_column", "CFG_AddIterationColumn", transform=lambda v: [bool(v)])
        knime.take("end_loop_deprecated", "CFG_End_Loop", transform=str)
        knime.take("flow_variable_name", "End Loop Variable Name")
        knime.take("use_flow_variable", "Use Flow Variable")
        knime.unread()

    return translate


@dataclass
class _RecursiveState:
    iteration: int = 0
    collected: list[list[Table]] = field(default_factory=list)  # per collector port
    specs: list[TableSpec | None] = field(default_factory=list)
    last: list[Table | None] = field(default_factory=list)


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class RecursiveLoopEnd(LoopEndNode):
    """KNIME's Recursive Loop End: collects tables and sends others back to its Recursive Loop Start."""

    type_name = "recursive_loop_end"
    display_name = "Recursive Loop End"
    description = (
        "Ends a recursive loop. The table(s) at the recursion port(s) go back to the Recursive Loop Start and "
        "become its output in the next pass. The loop stops after `max_nr_iterations` passes, once a recursion "
        "table has fewer rows than its minimum, or once the chosen flow variable is true. The collector "
        "port(s) gather every pass's rows (RowIDs `<RowID>#<pass>`, optionally an `Iteration` column) or only "
        "the last pass's table."
    )
    keywords = ("loop", "recursive", "recursion", "feedback", "end", "until", "collect")
    decides_end = True
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.recursive.RecursiveLoopEndDynamicNodeFactory",
            "Recursive Loop End",
            _recursive_end_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.meta.looper.recursive.RecursiveLoopEndNodeFactory",
            "Recursive Loop End (legacy)",
            _legacy_recursive_end(1),
        ),
        KnimeMapping(
            "org.knime.base.node.meta.looper.recursive.RecursiveLoopEnd2NodeFactory",
            "Recursive Loop End (2 ports)",
            _legacy_recursive_end(2),
        ),
    )
    inputs = (
        Port(TABLE, "Collecting data", "Collected for the output."),
        Port(TABLE, "Recursion data", "Passed back to the loop start."),
    )
    outputs = (Port(TABLE, "Collected data", "The rows collected over the passes."),)
    Settings = RecursiveLoopEndSettings

    @classmethod
    def ports_for(
        cls, settings: Mapping[str, Any] | None = None
    ) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
        s = settings or {}
        collectors, recursions = s.get("collector_ports", 1), s.get("recursion_ports", 1)
        if not all(isinstance(c, int) and 1 <= c <= MAX_RECURSION_PORTS for c in (collectors, recursions)):
            return cls.inputs, cls.outputs
        if collectors == recursions == 1:
            return cls.inputs, cls.outputs
        inputs = _recursion_port_list(collectors, "Collecting data") + _recursion_port_list(
            recursions, "Recursion data"
        )
        return inputs, _recursion_port_list(collectors, "Collected data")

    def check_start(self, start: LoopStartNode) -> None:
        if not isinstance(start, RecursiveLoopStart):
            raise NodeError(
                f"Loop End is not connected to matching/corresponding Recursive Loop Start node "
                f"(its loop starts with a {start.display_name})."
            )
        mine = len(self.inputs) - len(self.outputs)
        if len(start.outputs) != mine:
            raise NodeError(
                "Connected Recursive Loop Start node has not the same amount of recursion ports! "
                f"End node: {mine}, Start node: {len(start.outputs)}"
            )

    def _collectors(self, settings: RecursiveLoopEndSettings) -> int:
        return settings.collector_ports

    def configure(
        self, in_specs: list[Any], settings: RecursiveLoopEndSettings, ctx: NodeContext
    ) -> list[Any]:
        n = self._collectors(settings)
        only_last = _per_port(settings.only_last_data, n, False)
        iteration = _per_port(settings.add_iteration_column, n, False)
        out = []
        for i in range(n):
            spec = in_specs[i]
            if only_last[i] or not isinstance(spec, TableSpec):
                out.append(UNKNOWN)
            else:
                out.append(_with_iteration_column(spec) if iteration[i] else spec)
        return out

    def begin(self, settings: RecursiveLoopEndSettings, ctx: NodeContext) -> _RecursiveState:
        n = self._collectors(settings)
        return _RecursiveState(collected=[[] for _ in range(n)], specs=[None] * n, last=[None] * n)

    def _variable_ends(self, settings: RecursiveLoopEndSettings, ctx: NodeContext) -> bool:
        """RecursiveLoopEndDynamicNodeModel.checkLoopEnd's variable test: the loop's Boolean and
        String variables (none at all: the test is skipped, as in KNIME)."""
        if not settings.use_flow_variable:
            return False
        usable = {k: v for k, v in ctx.variables.items() if isinstance(v, bool | str)}
        if not usable:
            return False
        name = settings.flow_variable_name
        if name not in usable:
            raise NodeError(
                f"The selected flow variable '{name}' does not exist", setting="flow_variable_name"
            )
        return _true(usable[name])

    def collect(
        self, state: _RecursiveState, inputs: list[Any], settings: RecursiveLoopEndSettings, ctx: NodeContext
    ) -> Any:
        n = self._collectors(settings)
        if any(not isinstance(t, Table) for t in inputs):
            raise NodeError(f"the loop body delivered no table at every port in pass {state.iteration}")
        collectors, recursion = inputs[:n], inputs[n:]
        minimums = _per_port(settings.min_number_of_rows, len(recursion), 1)
        end = (
            self._variable_ends(settings, ctx)
            or _true(settings.end_loop_deprecated)
            or state.iteration + 1 >= settings.max_nr_iterations
            or any(len(t) < m for t, m in zip(recursion, minimums, strict=True))
        )
        only_last = _per_port(settings.only_last_data, n, False)
        with_iteration = _per_port(settings.add_iteration_column, n, False)
        for i, table in enumerate(collectors):
            if only_last[i]:
                state.last[i] = table if end else None
                continue
            spec = state.specs[i]
            if spec is None:
                state.specs[i] = spec = table.spec
            elif [c.type for c in spec.columns] != [c.type for c in table.spec.columns]:
                raise NodeError(
                    f"The table at collector port {i + 1} in pass {state.iteration} does not have the structure "
                    f"of the first pass's: {table.spec} vs. {spec}"
                )
            df = table.df.set_axis(spec.names, axis=1)
            ids = pd.Index([f"{r}#{state.iteration}" for r in table.row_ids], dtype=object)
            part = _collected_pass(
                Table(df, dict(zip(spec.names, table.types.values(), strict=True))),
                ids,
                state.iteration,
                with_iteration[i],
            )
            state.collected[i].append(part)
        if end:
            return STOP_LOOP
        state.iteration += 1
        return _Recursion(list(recursion))

    def finish(
        self, state: _RecursiveState, settings: RecursiveLoopEndSettings, ctx: NodeContext
    ) -> list[Any]:
        n = self._collectors(settings)
        only_last = _per_port(settings.only_last_data, n, False)
        with_iteration = _per_port(settings.add_iteration_column, n, False)
        out: list[Any] = []
        for i in range(n):
            if only_last[i]:
                out.append(state.last[i] if state.last[i] is not None else _empty_table(TableSpec()))
            else:
                out.append(_collected_result(state.collected[i], state.specs[i], with_iteration[i]))
        return out
