"""Shared pieces of the flow-variable and loop nodes: KNIME's row -> variables conversion
(TableToVariable3NodeModel, reused by the Table Row to Variable Loop Start) and the parameter
space of the Parameter Optimization loop."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    UNKNOWN,
    ColumnType,
    ConfigureError,
    NodeError,
    NodeSettings,
    Table,
    TableSpec,
    variable_type,
)
from engine.api.knime import KnimeSettings
from nodes._common import ColumnFilter
from nodes._java_text import java_double_to_string

ROW_ID_VARIABLE = "RowID"
# the loop-local variable by which a Parameter Optimization Loop Start tells its loop end which
# variables are the parameters (KNIME's loop end asks its start node directly)
PARAMETERS_VARIABLE = "knitflow.parameters"

_CONVERTIBLE = {
    ColumnType.INTEGER: "Integer",
    ColumnType.LONG: "Long",
    ColumnType.DOUBLE: "Double",
    ColumnType.BOOLEAN: "Boolean",
    ColumnType.STRING: "String",
    ColumnType.SMILES: "String",  # a StringValue in KNIME
}


class RowToVariableSettings(NodeSettings):
    """KNIME's TableToVariable3 settings (also those of the Table Row to Variable Loop Start)."""

    column_selection: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="Columns whose cells become flow variables (named after the column). Default: all columns.",
    )
    missing_value_policy: Literal["DEFAULT", "FAIL", "OMIT"] = Field(
        "DEFAULT",
        description="Missing cells (and an empty table): DEFAULT pushes the default value of the column's type, "
        "FAIL stops with an error, OMIT pushes no variable for that column.",
    )
    default_value_string: str = Field(
        "missing", description="Value pushed for a missing String cell (DEFAULT policy)."
    )
    default_value_boolean: str = Field(
        "false", description="Value pushed for a missing Boolean cell (DEFAULT policy): 'true' or 'false'."
    )
    default_value_integer: int = Field(
        0, description="Value pushed for a missing Integer cell (DEFAULT policy)."
    )
    default_value_long: int = Field(0, description="Value pushed for a missing Long cell (DEFAULT policy).")
    default_value_double: float = Field(
        0.0, description="Value pushed for a missing Double cell (DEFAULT policy)."
    )


def check_convertible(spec: TableSpec, columns: list[str]) -> None:
    """Configure-time: KNIME has no flow-variable type for e.g. bit vectors."""
    for name in columns:
        ctype = spec.type_of(name)
        if ctype not in _CONVERTIBLE:
            raise ConfigureError(
                f"column {name!r} has type {ctype}, which cannot become a flow variable "
                "(supported: Integer, Long, Double, Boolean, String); exclude it in column_selection",
                setting="column_selection",
            )


def configure_row_variables(spec: Any, settings: RowToVariableSettings) -> list[Any]:
    """The configure step shared by Table Row to Variable and its loop start: the selected columns
    must be convertible; the variables themselves are known only from the data."""
    if isinstance(spec, TableSpec):
        check_convertible(spec, settings.column_selection.apply(spec))
    return [UNKNOWN]


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(isinstance(value, float | np.floating) and math.isnan(value))
    except TypeError:
        return False


def _default(settings: RowToVariableSettings, ctype: str) -> Any:
    if ctype == ColumnType.BOOLEAN:
        return settings.default_value_boolean.strip().lower() == "true"
    if ctype == ColumnType.INTEGER:
        return int(settings.default_value_integer)
    if ctype == ColumnType.LONG:
        return int(settings.default_value_long)
    if ctype == ColumnType.DOUBLE:
        return float(settings.default_value_double)
    return settings.default_value_string


def _convert(value: Any, ctype: str) -> Any:
    if ctype == ColumnType.BOOLEAN:
        return bool(value)
    if ctype in (ColumnType.INTEGER, ColumnType.LONG):
        return int(value)
    if ctype == ColumnType.DOUBLE:
        return float(value)
    return str(value)


def variable_base_name(index: int, name: str) -> str:
    """KNIME strips leading `knime.` (reserved for constants) and names empty results `column_<i>`."""
    stripped = re.sub(r"^(?:knime\. *)+", "", name)
    return stripped or f"column_{index}"


class UniqueNames:
    """KNIME's UniqueNameGenerator: a taken name gets ` (#1)`, ` (#2)`, ..."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)

    def new_name(self, name: str) -> str:
        candidate, i = name, 1
        while candidate in self.taken:
            candidate = f"{name} (#{i})"
            i += 1
        self.taken.add(candidate)
        return candidate


def row_variable_types(spec: Any, settings: RowToVariableSettings) -> dict[str, str] | None:
    """The variables `row_variables` will push, by name and type, from the table spec alone."""
    if not isinstance(spec, TableSpec):
        return None
    out = {ROW_ID_VARIABLE: "String"}
    names = UniqueNames({ROW_ID_VARIABLE})
    for name in settings.column_selection.apply(spec):
        ctype = spec.type_of(name)
        if ctype in _CONVERTIBLE:
            out[names.new_name(variable_base_name(spec.names.index(name), name))] = _CONVERTIBLE[ctype]
    return out


def row_variables(
    table: Table, position: int | None, settings: RowToVariableSettings
) -> list[tuple[str, Any, str]]:
    """(name, value, type) of the variables KNIME pushes for one row: `RowID` first, then one per
    selected column in column order. `position` None stands for the missing row of an empty table."""
    if position is None and settings.missing_value_policy == "FAIL":
        raise NodeError(
            "The input table is empty (missing_value_policy is FAIL)", setting="missing_value_policy"
        )
    spec = table.spec
    selected = settings.column_selection.apply(spec)
    check_convertible(spec, selected)
    row_id = "" if position is None else str(table.df.index[position])
    out: list[tuple[str, Any, str]] = [(ROW_ID_VARIABLE, row_id, "String")]
    names = UniqueNames({ROW_ID_VARIABLE})
    for name in selected:
        col_index = spec.names.index(name)
        var_name = names.new_name(variable_base_name(col_index, name))
        ctype = spec.type_of(name)
        value = None if position is None else table.df.iloc[position, col_index]
        if _is_missing(value):
            if settings.missing_value_policy == "FAIL":
                raise NodeError(
                    f"Missing values are not allowed as variable values -- column {name!r} (index {col_index})",
                    setting="missing_value_policy",
                )
            if settings.missing_value_policy == "OMIT":
                continue
            converted = _default(settings, ctype)
        else:
            converted = _convert(value, ctype)
        out.append((var_name, converted, _CONVERTIBLE[ctype]))
    return out


# ------------------------------------------------------------------------------ parameter space


@dataclass(frozen=True)
class Parameter:
    """One optimised parameter: the values start, start + step, ... <= stop."""

    name: str
    start: float
    stop: float
    step: float
    integer: bool

    def grid(self) -> list[float | int]:
        if self.start == self.stop:
            return [self.value(self.start)]
        n = math.floor((self.stop - self.start) / self.step + 1e-9) + 1
        values = [self.value(self.start + i * self.step) for i in range(n)]
        # integer rounding may produce repeats (e.g. step 0.5 on an integer parameter)
        return list(dict.fromkeys(values))

    def value(self, x: float) -> float | int:
        if self.integer:
            return int(round(x))
        return float(round(x, 12))

    def sample(self, rng: np.random.Generator, on_grid: bool) -> float | int:
        """A uniform draw from [start, stop], restricted to the grid when `on_grid`."""
        if on_grid or self.start == self.stop:
            grid = self.grid()
            return grid[int(rng.integers(len(grid)))]
        if self.integer:
            return int(rng.integers(math.ceil(self.start), math.floor(self.stop) + 1))
        return float(rng.uniform(self.start, self.stop))

    @property
    def variable_type(self) -> str:
        return "Integer" if self.integer else "Double"


def make_parameter(
    name: Any, start: Any, stop: Any, step: Any, integer: bool, where: str, *, needs_step: bool = True
) -> Parameter:
    """A checked parameter; `needs_step` is False for strategies that draw from [start, stop]."""
    if name is None or (isinstance(name, float) and math.isnan(name)) or str(name) == "":
        raise NodeError(f"{where}: the parameter name is missing")
    try:
        s0, s1, st = float(start), float(stop), float(step)
    except (TypeError, ValueError):
        raise NodeError(f"{where}: start, stop and step of parameter {name!r} must be numbers") from None
    if any(math.isnan(v) for v in (s0, s1, st)):
        raise NodeError(f"{where}: parameter {name!r} has a missing start, stop or step value")
    if s1 < s0:
        raise NodeError(f"{where}: parameter {name!r}: stop value {s1:g} is smaller than start value {s0:g}")
    if st < 0:
        raise NodeError(f"{where}: parameter {name!r}: the step size must not be negative")
    if st == 0 and s0 != s1 and needs_step:
        raise NodeError(f"{where}: parameter {name!r}: step size 0 is only allowed when start = stop")
    return Parameter(str(name), s0, s1, st, bool(integer))


def check_unique(params: list[Parameter]) -> None:
    seen: set[str] = set()
    for p in params:
        if p.name in seen:
            raise NodeError(f"parameter {p.name!r} is defined twice")
        seen.add(p.name)


def encode_parameters(params: list[Parameter]) -> str:
    return json.dumps([{"name": p.name, "integer": p.integer} for p in params])


def decode_parameters(variables: Mapping[str, Any]) -> list[tuple[str, bool]] | None:
    raw = variables.get(PARAMETERS_VARIABLE)
    if raw is None:
        return None
    return [(d["name"], bool(d["integer"])) for d in json.loads(raw)]


def is_integer_type(value: Any) -> bool:
    """The `is_integer` cell or setting: KNIME's 'Number (integer)' / 'Number (double)' strings,
    or a boolean."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    text = str(value).strip().lower()
    return "integer" in text or text in {"true", "int", "long"}


def row_variables_from_knime(knime: KnimeSettings) -> None:
    knime.take("column_selection")
    knime.take_all(
        [
            "missing_value_policy",
            "default_value_string",
            "default_value_boolean",
            "default_value_integer",
            "default_value_long",
            "default_value_double",
        ]
    )
    knime.unread()


# TableToVariable2 (tablerowtovariable2.MissingValuePolicy names)
_LEGACY_POLICIES = {"Fail": "FAIL", "Use Defaults": "DEFAULT", "Omit": "OMIT"}


def legacy_row_variables_from_knime(knime: KnimeSettings) -> None:
    """TableToVariable2NodeModel: every column of the first row; `CFG_FAILONMISS` (Fail, Use
    Defaults, Omit) and the defaults `CFG_Integer`, `CFG_Long`, `CFG_Double`, `CFG_String`,
    `CFG_Boolean` (settings older than 2.9 hold none of them: Use Defaults with the defaults)."""
    tree = knime.tree
    policy = tree.get("CFG_FAILONMISS", "Use Defaults")
    if policy not in _LEGACY_POLICIES:
        knime.unreadable(f"Table Row to Variable: missing value policy {policy!r} is not known")
        return
    knime.put("missing_value_policy", _LEGACY_POLICIES[policy], "CFG_FAILONMISS")
    for key, name in (
        ("CFG_Integer", "default_value_integer"),
        ("CFG_Long", "default_value_long"),
        ("CFG_Double", "default_value_double"),
        ("CFG_String", "default_value_string"),
        ("CFG_Boolean", "default_value_boolean"),
    ):
        knime.take(name, key)
    knime.note(
        "TableToVariable2 names a repeated variable 'name(#1)' (knitflow: 'name (#1)'), as only column names "
        "starting with 'knime.' or named 'RowID' can repeat"
    )
    knime.unread()


# ------------------------------------------------------------------- choosing variables (to a table)

INTERNAL_PREFIX = "knitflow."  # variables the engine keeps for itself


def variable_entry_type(ctx: Any, name: str, value: Any) -> str:
    """The variable's declared type when the context keeps one, else the type of its value."""
    entry = getattr(ctx, "variable_entry", None)
    found = entry(name) if callable(entry) else None
    return getattr(found, "type", None) or variable_type(value)


def selected_variables(chosen: list[str] | ColumnFilter, ctx: Any) -> list[tuple[str, Any, str]]:
    """(name, value, type) of the variables a Variable to Table node chose: a list of names (an
    unknown one is an error) or KNIME's variable filter, which lists the available variables from
    the top of the stack down; a manual selection keeps the order the user listed (13_01: seed, N
    as KNIME recorded)."""
    available = dict(ctx.variables)
    if isinstance(chosen, list):
        missing = [n for n in chosen if n not in available]
        if missing:
            raise NodeError(
                f"flow variable{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} not defined here "
                f"(known: {', '.join(n for n in available if not n.startswith(INTERNAL_PREFIX)) or 'none'})",
                setting="variables",
            )
        names = list(dict.fromkeys(chosen))
    else:
        order = [
            n
            for n in reversed(list(available))
            if not n.startswith(INTERNAL_PREFIX) or n in chosen.included_names
        ]
        spec = TableSpec.of([(n, variable_entry_type(ctx, n, available[n])) for n in order])
        names = chosen.apply(spec)
        if chosen.enforce_option == "EnforceInclusion":
            kept = set(names)
            names = [n for n in dict.fromkeys(chosen.included_names) if n in kept]
    return [(n, available[n], variable_entry_type(ctx, n, available[n])) for n in names]


_TYPE_OF_MARK = {"S": "String", "I": "Integer", "D": "Double"}


def resolve_variable_references(text: str, variable_of: Any) -> str:
    """KNIME's FlowVariableResolver.parse: each `$${Sname}$$`, `$${Iname}$$` or `$${Dname}$$` becomes
    the value of that String, Integer or Double variable (Double.toString for doubles).
    `variable_of(name)` returns the variable's (value, type) or None; ValueError for a reference
    that is not closed, has no type character, or names no variable of that type."""
    out, start = text, 0
    while (start := out.find("$${", start)) >= 0:
        end = out.find("}$$", start)
        if end < 0:
            shown = out[start : start + 19] + "..." if len(out) - start > 20 else out[start:]
            raise ValueError(f'Variable identifier "{shown}" is not closed')
        mark, name = out[start + 3], out[start + 4 : end]
        if mark not in _TYPE_OF_MARK:
            raise ValueError(
                f'Invalid flow variable identifier "{out[start : end + 3]}"; it should start with a type identifer.'
            )
        found = variable_of(name)
        if found is None or found[1] != _TYPE_OF_MARK[mark]:
            raise ValueError(f'No flow variable of type {_TYPE_OF_MARK[mark]} named "{name}"')
        value = found[0]
        shown_value = java_double_to_string(float(value)) if mark == "D" else str(value)
        out = out.replace(f"$${{{mark}{name}}}$$", shown_value)
    return out
