"""Variable to Table Row: the chosen flow variables as the one row of a new table.

KNIME's VariableToTable4 (the web UI node since 5.5, the classic dialog before it) and its
predecessor VariableToTable3: one column per chosen variable, named after it and typed by it
(Integer, Long, Double, Boolean, String; a Path variable becomes a String column), in the order
the variable stack lists them, and one row whose RowID is `row_id`. Choosing no variable is
KNIME's warning "No variables selected" (a row without columns) in the web UI node, and the
configure error of the same words in the classic ones (`fail_without_variables`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VARIABLES,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import ColumnFilter
from nodes._variables import selected_variables

# VariableToCellConverterFactory: the cell each variable type becomes (knitflow has no path cells)
_CELL_TYPES = {
    "Integer": ColumnType.INTEGER,
    "Long": ColumnType.LONG,
    "Double": ColumnType.DOUBLE,
    "Boolean": ColumnType.BOOLEAN,
    "String": ColumnType.STRING,
    "Path": ColumnType.STRING,
}
NO_VARIABLES = "No variables selected"


class VariableToTableRowSettings(NodeSettings):
    """KNIME's VariableToTable4NodeSettings (`filter`, `row_id`); the classic node's
    `variable_filter` and VariableToTable3's `variable-filter` are read into `filter`."""

    variables: list[str] | ColumnFilter = Field(
        default_factory=list,
        alias="filter",
        description="The variables that become columns: a list of names (in this order; an unknown name is an "
        "error), or KNIME's variable filter (included_names / excluded_names / enforce_option, where "
        "EnforceExclusion also takes variables not listed; names not present are ignored).",
    )
    row_id: str = Field("Row0", description="The RowID of the table's one row.")
    fail_without_variables: bool = Field(
        False,
        description="No chosen variable is an error (KNIME's classic nodes) rather than a warning and a row "
        "without columns (the web UI node).",
    )


def _chosen(ctx: Any, settings: VariableToTableRowSettings) -> list[tuple[str, Any, str]]:
    chosen = selected_variables(settings.variables, ctx)
    if not chosen and settings.fail_without_variables:
        raise NodeError(NO_VARIABLES, setting="variables")
    return chosen


def _check_row_id(settings: VariableToTableRowSettings, cls: type[NodeError]) -> None:
    if not settings.row_id.strip():
        raise cls("Please specify a row name.", setting="row_id")


def _cell_column(value: Any, column_type: str) -> np.ndarray:
    if column_type in (ColumnType.INTEGER, ColumnType.LONG):
        return np.array([int(value)], dtype=np.int64)
    if column_type == ColumnType.DOUBLE:
        return np.array([float(value)], dtype=np.float64)
    if column_type == ColumnType.BOOLEAN:
        return np.array([bool(value)], dtype=bool)
    return np.array([str(value)], dtype=object)


def _classic_from_knime(knime: KnimeSettings) -> None:
    """VariableToTable4 before 5.5 (`variable_filter`) and VariableToTable3 (`variable-filter`):
    no variable chosen fails; an empty RowID, which KNIME wrote as it is, is refused."""
    key = "variable-filter" if "variable-filter" in knime.tree else "variable_filter"
    knime.take("variables", key)
    row_id = str(knime.tree.get("row_id", "values") or "")
    knime.put("row_id", row_id, "row_id")
    if not row_id.strip():
        knime.lost("an empty RowID: knitflow asks for a row name, as KNIME's current node does")
    knime.put("fail_without_variables", True)
    if key == "variable-filter":
        knime.note("VariableToTable3 leaves Path variables out; knitflow writes them as String columns")
    knime.unread()


def _web_ui_from_knime(knime: KnimeSettings) -> None:
    """VariableToTable4 since 5.5 (`filter`, `row_id`); before it, the classic layout."""
    if "filter" not in knime.tree:
        _classic_from_knime(knime)
        return
    knime.take("variables", "filter")
    knime.take("row_id")
    knime.unread()


class VariableToTableRow(Node):
    """KNIME's Variable to Table Row (VariableToTable4, and VariableToTable3)."""

    type_name = "variable_to_table_row"
    display_name = "Variable to Table Row"
    category = Category.OTHER
    description = (
        "Turns the chosen flow variables into a table of one row (RowID `row_id`, default Row0): one column per "
        "variable, named after it and typed by it (Integer, Long, Double, Boolean, String; Path as String). "
        "All variables stay on the stack."
    )
    keywords = ("flow variable", "variables to table", "row", "log", "convert")
    knime = (
        KnimeMapping(
            "org.knime.base.node.flowvariable.variabletotablerow4.VariableToTable4NodeFactory",
            "Variable to Table Row",
            _web_ui_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.flowvariable.variabletotablerow4.VariableToTable4NodeFactory2",
            "Variable to Table Row (Labs)",
            _web_ui_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.flowvariable.variabletotablerow3.VariableToTable3NodeFactory",
            "Variable to Table Row (legacy)",
            _classic_from_knime,
        ),
    )
    inputs = (Port(VARIABLES, "Variables", "Optional flow-variable input.", optional=True),)
    outputs = (Port(TABLE, "Variable table", "One row holding the chosen variables."),)
    Settings = VariableToTableRowSettings

    def configure(
        self, in_specs: list[Any], settings: VariableToTableRowSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_row_id(settings, ConfigureError)
        try:
            chosen = _chosen(ctx, settings)
        except NodeError as exc:
            if getattr(ctx.variables, "open", False):
                return [UNKNOWN]  # a script upstream may still push the variables
            raise ConfigureError(str(exc), setting=exc.setting) from None
        return [
            TableSpec.of([(name, _CELL_TYPES.get(vtype, ColumnType.STRING)) for name, _, vtype in chosen])
        ]

    def execute(self, inputs: list[Any], settings: VariableToTableRowSettings, ctx: NodeContext) -> list[Any]:
        _check_row_id(settings, NodeError)
        chosen = _chosen(ctx, settings)
        if not chosen:
            ctx.warn(NO_VARIABLES)
        types = {name: _CELL_TYPES.get(vtype, ColumnType.STRING) for name, _, vtype in chosen}
        data = {name: _cell_column(value, types[name]) for name, value, _ in chosen}
        df = pd.DataFrame(data, index=pd.Index([settings.row_id], dtype=object))
        return [Table(df, types)]
