"""Parameter Optimization Loop Start (table and dialog variants) and Loop End. The end returns the
pass's `Objective` to the start, so adaptive strategies can steer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
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
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import require_columns
from nodes._parameter_search import (
    Combo,
    Objective,
    SearchSettings,
    _brute_force,
    _needs_step,
    _random_search,
    _Search,
    _should_stop,
)
from nodes._variables import (
    PARAMETERS_VARIABLE,
    Parameter,
    check_unique,
    decode_parameters,
    encode_parameters,
    is_integer_type,
    make_parameter,
)


class _ParOptStart(LoopStartNode):
    """Shared driver of both Parameter Optimization Loop Starts."""

    outputs = (Port(VARIABLES, "Parameters", "One parameter combination per pass, as flow variables."),)

    def parameters(self, inputs: list[Any], settings: Any) -> list[Parameter]:
        raise NotImplementedError

    def _params(self, inputs: list[Any], settings: Any) -> list[Parameter]:
        params = self.parameters(inputs, settings)
        if not params:
            raise NodeError("there are no parameters to optimise (the parameter table is empty)")
        return params

    def is_deterministic(self, settings: SearchSettings) -> bool:
        return settings.method == "BruteForce" or settings.use_seed

    def _rng(self, settings: SearchSettings, ctx: NodeContext) -> np.random.Generator:
        return ctx.rng(settings.seed if settings.use_seed else None)

    @staticmethod
    def _variables(params: list[Parameter], combo: Combo, i: int) -> dict[str, Any]:
        variables: dict[str, Any] = {PARAMETERS_VARIABLE: encode_parameters(params)}
        variables.update(combo)
        variables["iteration"] = i
        return variables

    def plan(self, inputs: list[Any], settings: SearchSettings, ctx: NodeContext) -> list[Iteration] | None:
        if settings.method == "BruteForce":
            params = self._params(inputs, settings)
            combos: list[Combo] = list(_brute_force(params))
        elif settings.method == "RandomSearch" and not settings.use_early_stopping:
            params = self._params(inputs, settings)
            combos = list(_random_search(params, settings, self._rng(settings, ctx)))
        else:
            return None
        return [Iteration([None], self._variables(params, c, i)) for i, c in enumerate(combos)]

    def iterations(
        self, inputs: list[Any], settings: SearchSettings, ctx: NodeContext
    ) -> Iterator[Iteration]:
        params = self._params(inputs, settings)
        search = _Search(params, settings, self._rng(settings, ctx)).run()
        adaptive = settings.method in ("HillClimbing", "Bayesian")
        early = settings.use_early_stopping and settings.method in ("RandomSearch", "Bayesian")
        losses: list[float] = []
        try:
            combo = next(search)
        except StopIteration:
            return
        i = 0
        while True:
            # an adaptive search stops early at the latest after num_trials passes: "iteration i of n"
            feedback = yield Iteration([None], self._variables(params, combo, i), total=settings.num_trials)
            if isinstance(feedback, Objective):
                loss = feedback.loss
            elif adaptive or early:
                raise NodeError(
                    f"the {settings.method} strategy needs the objective of each pass: close the loop with a "
                    "Parameter Optimization Loop End",
                    setting="method",
                )
            else:
                loss = math.inf
            losses.append(loss)
            i += 1
            if early and _should_stop(losses, settings.size_moving_window, settings.tolerance):
                ctx.log(
                    f"early stopping after {i} passes (no improvement within {settings.size_moving_window})"
                )
                return
            try:
                combo = search.send(loss)
            except StopIteration:
                return


class NumberSource(NodeSettings):
    """A value read from a column of the parameter table, or a fixed value."""

    use_selected_column: bool = Field(False, description="Read the value from `selected_column` of each row.")
    selected_column: str | None = Field(None, description="The column holding the value.")
    static_value: float = Field(0.0, description="The value used when no column is selected.")


class TypeSource(NodeSettings):
    """The integer flag, read from a column of the parameter table or fixed."""

    use_selected_column: bool = Field(False, description="Read the type from `selected_column` of each row.")
    selected_column: str | None = Field(
        None, description="Column holding 'Number (integer)' / 'Number (double)'."
    )
    static_value: str | bool = Field(
        "Number (double)", description="'Number (integer)' or 'Number (double)' (or true/false)."
    )


class TableParOptSettings(SearchSettings):
    """KNIME's TableLoopStartParOpt settings."""

    parameter_name_column: str | None = Field(
        None,
        description="Column with the parameter (flow variable) names; default: the first String column.",
        json_schema_extra=widget("column"),
    )
    start_value: NumberSource = Field(
        default_factory=lambda: NumberSource(static_value=0.0),
        description="Start of each parameter's interval.",
    )
    stop_value: NumberSource = Field(
        default_factory=lambda: NumberSource(static_value=1.0),
        description="End of each parameter's interval.",
    )
    step_size: NumberSource = Field(
        default_factory=lambda: NumberSource(static_value=0.1),
        description="Step between values (0 only when start = stop).",
    )
    is_integer: TypeSource = Field(
        default_factory=TypeSource, description="Whether a parameter is a whole number."
    )


def _name_column(spec: TableSpec, settings: TableParOptSettings) -> str:
    if settings.parameter_name_column is not None:
        require_columns(spec, [settings.parameter_name_column], "parameter_name_column")
        return settings.parameter_name_column
    for col in spec.columns:
        if col.type == ColumnType.STRING:
            return col.name
    raise ConfigureError(
        "the parameter table has no String column for the parameter names", setting="parameter_name_column"
    )


_SEARCH_KEYS = [
    "useSeed",
    "seed",
    "numTrials",
    "useEarlyStopping",
    "sizeMovingWindow",
    "tolerance",
    "enableStepSize",
    "gamma",
    "warmupRounds",
    "numCandidatesPerRound",
]

# KNIME's keys of one parameter of the dialog-configured loop start, by knitflow field (compared
# without case and separators: `parameterName`, `start_value`, `stepSize`, `isInteger`, ...)
_PARAMETER_KEYS = {
    "parameter_name": ("parametername", "name", "paramname", "variablename"),
    "start_value": ("startvalue", "start", "from", "lowerbound"),
    "stop_value": ("stopvalue", "stop", "to", "upperbound"),
    "step_size": ("stepsize", "step", "stepvalue"),
    "is_integer": ("isinteger", "integer", "integertype", "isint"),
}


def _norm_key(key: str) -> str:
    return re.sub(r"[^0-9a-z]", "", key.lower())


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _records(value: Any) -> list[dict[str, Any]]:
    """The configs of a KNIME list of configs (an array, `"0"`, `"1"`, ... or `parameter_0`, ...)."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if isinstance(value, dict):
        entries = {k: v for k, v in value.items() if k != "array-size"}
        if entries and all(isinstance(v, dict) for v in entries.values()):
            return list(entries.values())
    return []


def _parameter_loop_start_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    knime.take("method")
    knime.take("parameter_name_column")
    for k in ("start_value", "stop_value", "step_size", "is_integer"):
        knime.take(k)
    method = tree.get("method")
    if method != "BruteForce":
        knime.take_all(_SEARCH_KEYS)


class TableParameterOptimizationLoopStart(_ParOptStart):
    """KNIME's TableLoopStartParOpt: the parameters and their ranges come from a table."""

    type_name = "parameter_optimization_loop_start_table"
    display_name = "Parameter Optimization Loop Start (Table)"
    description = (
        "Optimises parameters listed in the input table (one row per parameter: name, start, stop, step, integer "
        "flag). Each pass pushes one Integer/Double variable per parameter and an Integer `iteration`; the "
        "Parameter Optimization Loop End collects the objective. Strategies: brute force, hill climbing, random "
        "search and Bayesian optimisation (TPE) with early stopping."
    )
    keywords = (
        "loop",
        "parameter",
        "optimization",
        "hyperparameter",
        "grid search",
        "tuning",
        "brute force",
        "tpe",
    )
    knime = (
        KnimeMapping(
            "org.knime.optimization.internal.node.parameter.loopstart.tablenode.TableLoopStartParOptNodeFactory",
            "Parameter Optimization Loop Start (Table)",
            _parameter_loop_start_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Parameters", "One row per parameter: name, start, stop, step and type."),)
    Settings = TableParOptSettings

    def configure(self, in_specs: list[Any], settings: TableParOptSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if isinstance(spec, TableSpec):
            _name_column(spec, settings)
            for key in ("start_value", "stop_value", "step_size", "is_integer"):
                src = getattr(settings, key)
                if src.use_selected_column:
                    if src.selected_column is None:
                        raise ConfigureError(
                            f"{key}: choose the column to read", setting=f"{key}.selected_column"
                        )
                    require_columns(spec, [src.selected_column], f"{key}.selected_column")
                    if key != "is_integer" and spec.type_of(src.selected_column) not in ColumnType.NUMERIC:
                        raise ConfigureError(
                            f"{key}: column {src.selected_column!r} is {spec.type_of(src.selected_column)}, "
                            "not numeric",
                            setting=f"{key}.selected_column",
                        )
        return [UNKNOWN]

    def parameters(self, inputs: list[Any], settings: TableParOptSettings) -> list[Parameter]:
        table: Table = inputs[0]
        name_col = _name_column(table.spec, settings)
        df = table.df

        def cell(src: Any, pos: int) -> Any:
            return df[src.selected_column].iloc[pos] if src.use_selected_column else src.static_value

        params = []
        for pos in range(len(df)):
            where = f"row {df.index[pos]}"
            params.append(
                make_parameter(
                    df[name_col].iloc[pos],
                    cell(settings.start_value, pos),
                    cell(settings.stop_value, pos),
                    cell(settings.step_size, pos),
                    is_integer_type(cell(settings.is_integer, pos)),
                    where,
                    needs_step=_needs_step(settings),
                )
            )
        check_unique(params)
        return params


class ParameterSetting(NodeSettings):
    """One parameter of the (non-table) Parameter Optimization Loop Start."""

    parameter_name: str = Field(description="Name of the flow variable.")
    start_value: float = Field(0.0, description="Start of the interval.")
    stop_value: float = Field(1.0, description="End of the interval (included when on the grid).")
    step_size: float = Field(0.1, ge=0, description="Step between values (0 only when start = stop).")
    is_integer: bool = Field(False, description="Push whole numbers (Integer variable) instead of Double.")


class ParOptSettings(SearchSettings):
    """KNIME's LoopStartParOpt settings: the parameters are given in the dialog."""

    parameters: list[ParameterSetting] = Field(
        default_factory=list,
        description="The parameters to optimise, in order (the first is outermost in brute force).",
    )


def _parameter_loop_start_dialog_from_knime(knime: KnimeSettings) -> None:
    """Parameter Optimization Loop Start with the parameters given in its dialog: the strategy
    settings as in the table variant, and the parameters as a list of name/start/stop/step/integer.
    The parameters are found as the config whose entries carry those keys; any other key of a
    parameter is reported."""
    tree = knime.tree
    knime.take("method")
    knime.take_all(_SEARCH_KEYS)
    parameters: list[dict[str, Any]] = []
    source = None
    for key, value in tree.items():
        items = _records(value)
        if not items or key in _SEARCH_KEYS:
            continue
        if not all(any(_norm_key(k) in _PARAMETER_KEYS["parameter_name"] for k in item) for item in items):
            continue
        source = key
        for i, item in enumerate(items):
            param: dict[str, Any] = {}
            for k, v in item.items():
                field_name = next(
                    (f for f, aliases in _PARAMETER_KEYS.items() if _norm_key(k) in aliases), None
                )
                if field_name is None:
                    knime.lost(f"parameter {i}: key {k!r} = {_short(v)} has no counterpart in knitflow")
                    continue
                param[field_name] = v
            parameters.append(param)
        break
    if source is None:
        knime.lost("no parameter list found in the settings (keys: " + ", ".join(map(repr, tree)) + ")")
    knime.put("parameters", parameters, source)


class ParameterOptimizationLoopStart(_ParOptStart):
    """KNIME's LoopStartParOpt: parameters and ranges are settings."""

    type_name = "parameter_optimization_loop_start"
    display_name = "Parameter Optimization Loop Start"
    description = (
        "Optimises the parameters given in the settings (name, start, stop, step, integer). Each pass pushes one "
        "variable per parameter and an Integer `iteration`; the Parameter Optimization Loop End collects the "
        "objective. Strategies: brute force, hill climbing, random search, Bayesian optimisation (TPE)."
    )
    keywords = (
        "loop",
        "parameter",
        "optimization",
        "hyperparameter",
        "grid search",
        "tuning",
        "brute force",
        "tpe",
    )
    knime = (
        KnimeMapping(
            "org.knime.optimization.internal.node.parameter.loopstart.LoopStartParOptNodeFactory",
            "Parameter Optimization Loop Start",
            _parameter_loop_start_dialog_from_knime,
            note="the settings layout of the parameter list is matched by key names (no tutorial workflow holds this node)",
        ),
    )
    inputs = ()
    Settings = ParOptSettings

    def loop_variables(self, in_specs: list[Any], settings: ParOptSettings) -> dict[str, str] | None:
        try:
            params = self.parameters([], settings)
        except NodeError:
            return None
        types = {p.name: "Integer" if p.integer else "Double" for p in params}
        return {PARAMETERS_VARIABLE: "String", **types, "iteration": "Integer"}

    def configure(self, in_specs: list[Any], settings: ParOptSettings, ctx: NodeContext) -> list[Any]:
        if not settings.parameters:
            raise ConfigureError("add at least one parameter", setting="parameters")
        self.parameters([], settings)
        return [UNKNOWN]

    def parameters(self, inputs: list[Any], settings: ParOptSettings) -> list[Parameter]:
        try:
            params = [
                make_parameter(
                    p.parameter_name,
                    p.start_value,
                    p.stop_value,
                    p.step_size,
                    p.is_integer,
                    f"parameters[{i}]",
                    needs_step=_needs_step(settings),
                )
                for i, p in enumerate(settings.parameters)
            ]
            check_unique(params)
        except NodeError as exc:
            raise ConfigureError(str(exc), setting="parameters") from None
        return params


class ParOptEndSettings(NodeSettings):
    """KNIME's LoopEndParOpt settings."""

    flow_variable_name: str | None = Field(
        None, description="The flow variable holding each pass's objective value (a number)."
    )
    maximize: bool = Field(True, description="Maximise the objective (false: minimise).")


@dataclass
class _ParOptState:
    params: list[tuple[str, bool]] | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)


OBJECTIVE_COLUMN = "Objective value"


class ParameterOptimizationLoopEnd(LoopEndNode):
    """KNIME's LoopEndParOpt: reads the objective after each pass and reports the best combination."""

    type_name = "parameter_optimization_loop_end"
    display_name = "Parameter Optimization Loop End"
    description = (
        "Closes a Parameter Optimization loop: after each pass reads the objective from a flow variable and sends "
        "it to the loop start. Port 1: the best combination (RowID `Best parameters`, one column per parameter "
        "and `Objective value`; ties keep the first found). Port 2: every evaluated combination in evaluation order."
    )
    keywords = ("loop", "parameter", "optimization", "objective", "best parameters")
    knime = (
        KnimeMapping(
            "org.knime.optimization.internal.node.parameter.loopend.LoopEndParOptNodeFactory",
            "Parameter Optimization Loop End",
        ),
    )
    inputs = (Port(VARIABLES, "Objective", "Flow variables including the objective value."),)
    outputs = (
        Port(TABLE, "Best parameters", "The best combination and its objective value."),
        Port(TABLE, "All parameters", "Every evaluated combination with its objective value."),
    )
    Settings = ParOptEndSettings

    def configure(self, in_specs: list[Any], settings: ParOptEndSettings, ctx: NodeContext) -> list[Any]:
        if not settings.flow_variable_name:
            raise ConfigureError(
                "choose the flow variable holding the objective value", setting="flow_variable_name"
            )
        return [UNKNOWN, UNKNOWN]

    def begin(self, settings: ParOptEndSettings, ctx: NodeContext) -> _ParOptState:
        return _ParOptState()

    def collect(
        self, state: _ParOptState, inputs: list[Any], settings: ParOptEndSettings, ctx: NodeContext
    ) -> Any:
        name = settings.flow_variable_name
        if not name:
            raise NodeError(
                "choose the flow variable holding the objective value", setting="flow_variable_name"
            )
        params = decode_parameters(ctx.variables)
        if params is None:
            raise NodeError(
                "the Parameter Optimization Loop End must close a Parameter Optimization Loop Start"
            )
        if state.params is None:
            state.params = params
        if name not in ctx.variables:
            known = ", ".join(n for n in ctx.variables if not n.startswith("knitflow.")) or "none"
            raise NodeError(
                f"objective flow variable {name!r} is not defined here (known: {known})",
                setting="flow_variable_name",
            )
        raw = ctx.variables[name]
        if isinstance(raw, bool) or not isinstance(raw, int | float | np.integer | np.floating):
            raise NodeError(
                f"objective flow variable {name!r} is not a number ({raw!r})", setting="flow_variable_name"
            )
        value = float(raw)
        row: dict[str, Any] = {p: ctx.variables[p] for p, _ in params}
        row[OBJECTIVE_COLUMN] = value
        state.rows.append(row)
        return Objective(value, settings.maximize)

    def finish(self, state: _ParOptState, settings: ParOptEndSettings, ctx: NodeContext) -> list[Any]:
        params = state.params or []
        types = {p: ColumnType.INTEGER if integer else ColumnType.DOUBLE for p, integer in params}
        types[OBJECTIVE_COLUMN] = ColumnType.DOUBLE
        columns = [p for p, _ in params] + [OBJECTIVE_COLUMN]
        best_i: int | None = None
        best_loss = math.inf
        for i, row in enumerate(state.rows):
            loss = Objective(row[OBJECTIVE_COLUMN], settings.maximize).loss
            if best_i is None or loss < best_loss:
                best_i, best_loss = i, loss
        all_df = _param_frame(state.rows, columns, types)
        all_df.index = row_ids(len(all_df))
        best_rows = [state.rows[best_i]] if best_i is not None else []
        best_df = _param_frame(best_rows, columns, types)
        best_df.index = pd.Index(["Best parameters"] * len(best_df), dtype=object)
        return [Table(best_df, types), Table(all_df, types)]


def _param_frame(rows: list[dict[str, Any]], columns: list[str], types: dict[str, str]) -> pd.DataFrame:
    data = {}
    for c in columns:
        values = [r[c] for r in rows]
        data[c] = np.array(values, dtype=np.int64 if types[c] == ColumnType.INTEGER else np.float64)
    return pd.DataFrame(data, columns=columns)
