"""Flow-variable nodes: a table row becomes variables (Table Row to Variable) and variables become
constant columns (Variable to Table Column)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    VARIABLES,
    Category,
    ColumnType,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    variable_type,
)
from engine.api.knime import KnimeMapping
from nodes._common import ColumnFilter
from nodes._variables import (
    RowToVariableSettings,
    configure_row_variables,
    legacy_row_variables_from_knime,
    row_variable_types,
    row_variables,
    row_variables_from_knime,
)

_INTERNAL_PREFIX = "knitflow."


class TableRowToVariable(Node):
    """KNIME's TableToVariable3: the first row of a table as flow variables."""

    type_name = "table_row_to_variable"
    display_name = "Table Row to Variable"
    category = Category.OTHER
    description = (
        "Turns the first row of the input table into flow variables: a String variable `RowID` holding the "
        "row's RowID and one variable per selected column, named after the column and typed by it "
        "(Integer, Long, Double, Boolean, String). Missing cells and an empty table follow the "
        "missing-value policy."
    )
    keywords = ("flow variable", "row", "variable", "first row")
    knime = (
        KnimeMapping(
            "org.knime.base.node.flowvariable.tablerowtovariable3.TableToVariable3NodeFactory",
            "Table Row to Variable",
            row_variables_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.flowvariable.tablerowtovariable2.TableToVariable2NodeFactory",
            "Table Row to Variable (legacy)",
            legacy_row_variables_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "Its first row becomes flow variables."),)
    outputs = (Port(VARIABLES, "Variables", "RowID and one variable per selected column."),)
    Settings = RowToVariableSettings

    def configure_variables(
        self, in_specs: list[Any], settings: RowToVariableSettings
    ) -> dict[str, str] | None:
        return row_variable_types(in_specs[0], settings)

    def configure(self, in_specs: list[Any], settings: RowToVariableSettings, ctx: NodeContext) -> list[Any]:
        return configure_row_variables(in_specs[0], settings)

    def execute(self, inputs: list[Any], settings: RowToVariableSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        for name, value, vtype in row_variables(table, 0 if len(table) else None, settings):
            ctx.push_variable(name, value, vtype)
        return [None]


# ------------------------------------------------------------------------------------------------


class VariableToTableColumnSettings(NodeSettings):
    """KNIME's AppendVariableToTable4 settings. KNIME stores the selection under `filter`, which is
    accepted as an alias."""

    variables: list[str] | ColumnFilter = Field(
        default_factory=list,
        alias="filter",
        description="The variables to append as columns: a list of names (in this order; an unknown name is an "
        "error), or KNIME's manual filter (included_names / excluded_names / enforce_option, where "
        "EnforceExclusion also takes variables not listed; names not present are ignored).",
    )


_COLUMN_TYPE = {
    "Integer": ColumnType.INTEGER,
    "Long": ColumnType.LONG,
    "Double": ColumnType.DOUBLE,
    "Boolean": ColumnType.BOOLEAN,
    "String": ColumnType.STRING,
    "Path": ColumnType.STRING,
}


def _entry_type(ctx: NodeContext, name: str, value: Any) -> str:
    """The variable's declared type when the context keeps one, else the type of its value."""
    entry = getattr(ctx, "variable_entry", None)
    found = entry(name) if callable(entry) else None
    return getattr(found, "type", None) or variable_type(value)


class VariableToTableColumn(Node):
    """KNIME's AppendVariableToTable4: flow variables as constant columns."""

    type_name = "variable_to_table_column"
    display_name = "Variable to Table Column"
    category = Category.MANIPULATOR
    description = (
        "Appends one constant column per selected flow variable to the input table; the column is named after "
        "the variable (` (variable)` is added when the table already has that name) and typed by the variable."
    )
    keywords = ("flow variable", "append", "column", "constant")
    knime = (
        KnimeMapping(
            "org.knime.base.node.flowvariable.appendvariabletotable4.AppendVariableToTable4NodeFactory",
            "Variable to Table Column",
        ),
    )
    inputs = (
        Port(VARIABLES, "Variables", "Optional flow-variable input.", optional=True),
        Port(TABLE, "Table", "The table to append the columns to."),
    )
    outputs = (Port(TABLE, "Table with variables", "The input plus one column per selected variable."),)
    Settings = VariableToTableColumnSettings

    def _selected(
        self, settings: VariableToTableColumnSettings, ctx: NodeContext
    ) -> list[tuple[str, Any, str]]:
        available = dict(ctx.variables)
        if isinstance(settings.variables, list):
            missing = [n for n in settings.variables if n not in available]
            if missing:
                raise NodeError(
                    f"flow variable{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} not defined here "
                    f"(known: {', '.join(n for n in available if not n.startswith(_INTERNAL_PREFIX)) or 'none'})",
                    setting="variables",
                )
            names = list(dict.fromkeys(settings.variables))
        else:
            # KNIME lists the available variables from the top of the stack down
            flt = settings.variables
            order = [
                n
                for n in reversed(list(available))
                if not n.startswith(_INTERNAL_PREFIX) or n in flt.included_names
            ]
            spec = TableSpec.of([(n, _entry_type(ctx, n, available[n])) for n in order])
            names = flt.apply(spec)
            if flt.enforce_option == "EnforceInclusion":
                # a manual selection keeps the order the user listed (13_01: seed, N as KNIME recorded)
                chosen = set(names)
                names = [n for n in dict.fromkeys(flt.included_names) if n in chosen]
        return [(n, available[n], _entry_type(ctx, n, available[n])) for n in names]

    def execute(
        self, inputs: list[Any], settings: VariableToTableColumnSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[1]
        selected = self._selected(settings, ctx)
        if not selected:
            ctx.log("No variables selected")
        df = table.df.copy()
        taken = set(table.columns)
        types: dict[str, str] = {}
        for name, value, vtype in selected:
            col = name
            if col in taken and not col.lower().endswith("(variable)"):
                col = f"{col} (variable)"
            base, i = col, 1
            while col in taken:
                col = f"{base} (#{i})"
                i += 1
            taken.add(col)
            ctype = _COLUMN_TYPE.get(vtype, ColumnType.STRING)
            df[col] = _constant(value, ctype, len(df))
            types[col] = ctype
        return [table.with_frame(df, types)]


def _constant(value: Any, ctype: str, n: int) -> pd.Series | np.ndarray:
    if ctype in (ColumnType.INTEGER, ColumnType.LONG):
        return np.full(n, int(value), dtype=np.int64)
    if ctype == ColumnType.DOUBLE:
        return np.full(n, float(value), dtype=np.float64)
    if ctype == ColumnType.BOOLEAN:
        return np.full(n, bool(value), dtype=bool)
    return np.array([str(value)] * n, dtype=object)
