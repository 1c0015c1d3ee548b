"""Loop nodes: the Table Row to Variable Loop Start, the generic Loop End, and the Parameter
Optimization loop (brute force, hill climbing, random search, Bayesian/TPE with early stopping).

The scheduler drives loops: a start's `iterations` generator yields one `Iteration` per pass and is
sent back what the end's `collect` returned for the previous pass. The Parameter Optimization Loop
End returns the pass's `Objective` that way, so adaptive strategies can steer; loops whose passes
are known up front also offer `plan` so that the engine may run the passes in parallel.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

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
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, first, seq
from nodes._common import require_columns
from nodes._variables import (
    PARAMETERS_VARIABLE,
    Parameter,
    RowToVariableSettings,
    check_unique,
    configure_row_variables,
    decode_parameters,
    encode_parameters,
    is_integer_type,
    make_parameter,
    row_variable_types,
    row_variables,
    row_variables_from_knime,
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
            spec = spec.append((unique_column_name(spec.names, "Iteration"), ColumnType.INTEGER))
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
        if not settings.tolerate_changing_specs and (state.tables or state.empty_spec is not None):
            if not (settings.ignore_empty_tables and (empty or state.empty_spec is not None)):
                ref = state.first_spec if state.tables else state.empty_spec
                assert ref is not None
                diff = _spec_difference(ref, table.spec, settings.tolerate_column_types)
                if diff:
                    raise NodeError(
                        f"Input table's structure differs from reference (first iteration) table in pass "
                        f"{state.count}: {diff} (set tolerate_changing_specs or tolerate_column_types)",
                        setting="tolerate_changing_specs",
                    )
        if empty:
            state.count += 1
            return None
        df = table.df.copy(deep=False)
        if settings.row_key_policy == "GENERATE_NEW":
            df.index = row_ids(len(df), start=state.generated)
            state.generated += len(df)
        elif settings.row_key_policy == "APPEND_SUFFIX":
            df.index = pd.Index([f"{r}#{state.count}" for r in table.row_ids], dtype=object)
        new_ids = [str(r) for r in df.index]
        dupes = state.row_ids.intersection(new_ids)
        if dupes or len(set(new_ids)) != len(new_ids):
            dup = sorted(dupes)[0] if dupes else next(r for r in new_ids if new_ids.count(r) > 1)
            raise NodeError(
                f"Duplicate RowID {dup!r} in pass {state.count} (row_key_policy {settings.row_key_policy}); use "
                "GENERATE_NEW or APPEND_SUFFIX",
                setting="row_key_policy",
            )
        state.row_ids.update(new_ids)
        types = dict(table.types)
        if settings.add_iteration_column:
            col = unique_column_name(list(df.columns), "Iteration")
            df[col] = np.full(len(df), state.count, dtype=np.int64)
            types[col] = ColumnType.INTEGER
        if not state.tables:
            state.first_spec = table.spec
        state.tables.append(Table(df, types))
        state.count += 1
        return None

    def finish(self, state: _ConcatState, settings: LoopEndSettings, ctx: NodeContext) -> list[Any]:
        if state.tables:
            return [concatenate(state.tables)]
        spec = state.empty_spec or TableSpec()
        if settings.add_iteration_column:
            spec = spec.append((unique_column_name(spec.names, "Iteration"), ColumnType.INTEGER))
        return [_empty_table(spec)]


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


# ----------------------------------------------------------------------- Parameter Optimization


@dataclass(frozen=True)
class Objective:
    """What the Parameter Optimization Loop End sends back to its start after each pass."""

    value: float
    maximize: bool

    @property
    def loss(self) -> float:
        """Smaller is better; a missing (NaN) objective is the worst possible."""
        if math.isnan(self.value):
            return math.inf
        return -self.value if self.maximize else self.value


_METHOD_ALIASES = {
    "bruteforce": "BruteForce",
    "hillclimbing": "HillClimbing",
    "randomsearch": "RandomSearch",
    "bayesian": "Bayesian",
    "bayesianoptimization": "Bayesian",
    "bayesianoptimizationtpe": "Bayesian",
    "tpe": "Bayesian",
}


class SearchSettings(NodeSettings):
    """The search strategy of KNIME's Parameter Optimization Loop Start."""

    method: Literal["BruteForce", "HillClimbing", "RandomSearch", "Bayesian"] = Field(
        "BruteForce",
        description="BruteForce: every combination of the parameter grids (first parameter outermost). "
        "HillClimbing: from a random grid point, move to the best direct neighbour while it improves. "
        "RandomSearch: num_trials random combinations (drawn with replacement, duplicates evaluated once). "
        "Bayesian: TPE (Bergstra et al.): warmup_rounds random combinations, then the best of "
        "num_candidates_per_round candidates by the ratio of good/bad Parzen densities.",
    )
    use_seed: bool = Field(
        False, description="Use `seed` for the random strategies (else the run seed, if any)."
    )
    seed: int = Field(0, description="Seed of the random strategies when use_seed is set.")
    num_trials: int = Field(
        100,
        ge=1,
        description="RandomSearch/Bayesian: number of combinations to draw; HillClimbing: evaluation budget.",
    )
    use_early_stopping: bool = Field(
        True,
        description="RandomSearch/Bayesian: stop when the best objective has not improved by more than `tolerance` "
        "(relative) within the last size_moving_window passes.",
    )
    size_moving_window: int = Field(
        5, ge=1, description="Early stopping: number of passes without improvement."
    )
    tolerance: float = Field(
        0.01, ge=0, description="Early stopping: minimum relative improvement of the best objective."
    )
    enable_step_size: bool = Field(
        False,
        description="RandomSearch/Bayesian: draw only values on the start/step grid (else any value in [start, stop]; "
        "integer parameters are always whole numbers).",
    )
    gamma: float = Field(
        0.25, gt=0, lt=1, description="Bayesian: fraction of evaluated combinations taken as 'good'."
    )
    warmup_rounds: int = Field(
        20, ge=1, description="Bayesian: random combinations evaluated before the model is used."
    )
    num_candidates_per_round: int = Field(
        25,
        ge=1,
        description="Bayesian: candidates drawn from the good density per round; the best is evaluated.",
    )

    @field_validator("method", mode="before")
    @classmethod
    def _method_alias(cls, value: Any) -> Any:
        if isinstance(value, str):
            return _METHOD_ALIASES.get("".join(ch for ch in value.lower() if ch.isalnum()), value)
        return value


Combo = dict[str, float | int]


def _key(combo: Combo) -> tuple[float | int, ...]:
    return tuple(combo.values())


def _brute_force(params: list[Parameter]) -> Iterator[Combo]:
    for values in itertools.product(*(p.grid() for p in params)):
        yield dict(zip((p.name for p in params), values, strict=True))


def _random_combo(params: list[Parameter], rng: np.random.Generator, on_grid: bool) -> Combo:
    return {p.name: p.sample(rng, on_grid) for p in params}


def _random_search(params: list[Parameter], s: SearchSettings, rng: np.random.Generator) -> Iterator[Combo]:
    seen: set[tuple[float | int, ...]] = set()
    for _ in range(s.num_trials):
        combo = _random_combo(params, rng, s.enable_step_size)
        if _key(combo) in seen:
            continue  # drawn again: counts as a trial, evaluated once
        seen.add(_key(combo))
        yield combo


class _Search:
    """A strategy as a generator of combinations that is sent each combination's loss."""

    def __init__(self, params: list[Parameter], s: SearchSettings, rng: np.random.Generator) -> None:
        self.params = params
        self.s = s
        self.rng = rng

    def run(self) -> Any:
        if self.s.method == "BruteForce":
            return _brute_force(self.params)
        if self.s.method == "RandomSearch":
            return _random_search(self.params, self.s, self.rng)
        if self.s.method == "HillClimbing":
            return self._hill_climbing()
        return self._tpe()

    # -------------------------------------------------------------------------- hill climbing

    def _hill_climbing(self) -> Any:
        grids = [p.grid() for p in self.params]
        current = tuple(int(self.rng.integers(len(g))) for g in grids)
        losses: dict[tuple[int, ...], float] = {}
        budget = self.s.num_trials

        def combo(idx: tuple[int, ...]) -> Combo:
            return {p.name: g[i] for p, g, i in zip(self.params, grids, idx, strict=True)}

        losses[current] = yield combo(current)
        budget -= 1
        while budget > 0:
            neighbours = []
            for j, g in enumerate(grids):
                for d in (-1, 1):
                    k = current[j] + d
                    if 0 <= k < len(g):
                        neighbours.append(current[:j] + (k,) + current[j + 1 :])
            best: tuple[int, ...] | None = None
            for nb in neighbours:
                if nb not in losses:
                    if budget <= 0:
                        break
                    losses[nb] = yield combo(nb)
                    budget -= 1
                if best is None or losses[nb] < losses[best]:
                    best = nb
            if best is None or not losses[best] < losses[current]:
                return
            current = best

    # ---------------------------------------------------------------------------------- TPE

    def _tpe(self) -> Any:
        s = self.s
        seen: set[tuple[float | int, ...]] = set()
        history: list[tuple[Combo, float]] = []
        for t in range(s.num_trials):
            combo = None
            if t >= s.warmup_rounds:
                combo = self._propose(history, seen)
            if combo is None:
                combo = _random_combo(self.params, self.rng, s.enable_step_size)
            if _key(combo) in seen:
                continue
            seen.add(_key(combo))
            loss = yield combo
            history.append((combo, loss))

    def _propose(
        self, history: list[tuple[Combo, float]], seen: set[tuple[float | int, ...]]
    ) -> Combo | None:
        """Draw candidates from the 'good' Parzen density l(x) and take the one maximising
        l(x)/g(x), parameters treated independently (Bergstra et al. 2011)."""
        valid = sorted((h for h in history if math.isfinite(h[1])), key=lambda h: h[1])
        n_good = max(1, math.ceil(self.s.gamma * len(valid)))
        if len(valid) < 2 or len(valid) - n_good < 1:
            return None
        good, bad = valid[:n_good], valid[n_good:]
        n = self.s.num_candidates_per_round
        scores = np.zeros(n)
        columns: dict[str, list[float | int]] = {}
        for p in self.params:
            lo_obs = np.array([float(c[p.name]) for c, _ in good])
            hi_obs = np.array([float(c[p.name]) for c, _ in bad])
            if p.start == p.stop:
                columns[p.name] = [p.value(p.start)] * n
                continue
            bw_l = _bandwidths(lo_obs, p.start, p.stop)
            bw_g = _bandwidths(hi_obs, p.start, p.stop)
            raw = _sample_parzen(lo_obs, bw_l, p.start, p.stop, n, self.rng)
            snapped = [_snap(p, x, self.s.enable_step_size) for x in raw]
            xs = np.array([float(v) for v in snapped])
            scores += np.log(_parzen_density(xs, lo_obs, bw_l, p.start, p.stop)) - np.log(
                _parzen_density(xs, hi_obs, bw_g, p.start, p.stop)
            )
            columns[p.name] = snapped
        for i in np.argsort(-scores, kind="stable"):
            combo = {p.name: columns[p.name][i] for p in self.params}
            if _key(combo) not in seen:
                return combo
        return None


def _bandwidths(obs: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Per-observation widths as in hyperopt's adaptive Parzen estimator: the larger gap to the
    neighbouring observations (the interval ends count as neighbours), clipped to
    [width / min(100, n + 1), width]."""
    width = hi - lo
    if len(obs) == 0:
        return np.zeros(0)
    order = np.argsort(obs, kind="stable")
    xs = np.concatenate([[lo], obs[order], [hi]])
    gaps = np.maximum(xs[1:-1] - xs[:-2], xs[2:] - xs[1:-1])
    sigma = np.empty(len(obs))
    sigma[order] = np.clip(gaps, width / min(100, len(obs) + 1), width)
    return sigma


def _sample_parzen(
    obs: np.ndarray, bw: np.ndarray, lo: float, hi: float, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Draws from the mixture of a uniform prior on [lo, hi] and a Gaussian per observation."""
    k = len(obs)
    which = rng.integers(k + 1, size=n)
    out = np.empty(n)
    for i, w in enumerate(which):
        if w == k:
            out[i] = rng.uniform(lo, hi)
        else:
            out[i] = rng.normal(obs[w], bw[w])
    return np.clip(out, lo, hi)


def _parzen_density(x: np.ndarray, obs: np.ndarray, bw: np.ndarray, lo: float, hi: float) -> np.ndarray:
    k = len(obs)
    dens = np.full(len(x), 1.0 / (hi - lo))
    if k:
        z = (x[:, None] - obs[None, :]) / bw[None, :]
        dens = dens + (np.exp(-0.5 * z * z) / (bw[None, :] * math.sqrt(2 * math.pi))).sum(axis=1)
    return dens / (k + 1)


def _snap(p: Parameter, x: float, on_grid: bool) -> float | int:
    if on_grid and p.step > 0:
        k = round((x - p.start) / p.step)
        k = min(max(k, 0), math.floor((p.stop - p.start) / p.step + 1e-9))
        return p.value(p.start + k * p.step)
    if p.integer:
        return int(min(max(round(x), math.ceil(p.start)), math.floor(p.stop)))
    return float(x)


def _should_stop(losses: list[float], window: int, tolerance: float) -> bool:
    """Early stopping: the best loss of the last `window` passes improved on the best before them
    by no more than `tolerance` (relative)."""
    if len(losses) <= window:
        return False
    before = min(losses[:-window])
    if not math.isfinite(before):
        return False
    best = min(losses)
    return before - best <= tolerance * max(abs(before), 1e-12)


def _needs_step(settings: SearchSettings) -> bool:
    return settings.method in ("BruteForce", "HillClimbing") or settings.enable_step_size


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
