"""Table View: the displayed table on a view port (KNIME's views have no data output and
influence no result).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VIEW,
    Category,
    ColumnType,
    Node,
    NodeContext,
    NodeSettings,
    Port,
    Table,
    View,
)
from engine.api.knime import KnimeMapping, take_view_keys
from nodes._common import ColumnFilter
from nodes._views import _INTERACTION

# ---------------------------------------------------------------------------------------- Table View


class TableViewSettings(NodeSettings):
    """KNIME's Table View settings (those that change what is shown)."""

    displayed_columns_v2: ColumnFilter = Field(
        default_factory=ColumnFilter, description="Columns to show (default: all)."
    )
    title: str = Field("Table View", description="Title of the view.")
    show_row_keys: bool = Field(True, description="Show the RowIDs.")
    show_row_indices: bool = Field(False, description="Show the 0-based row numbers (as a column `#`).")


class TableView(Node):
    """KNIME's Table View: the selected columns of the input, written out as a table."""

    type_name = "table_view"
    display_name = "Table View"
    category = Category.VISUALIZER
    description = "Shows the input table (the selected columns); a run writes it as a CSV file."
    keywords = ("view", "table", "display", "inspect")
    knime = (
        KnimeMapping(
            "org.knime.base.views.node.tableview.TableViewNodeFactory",
            "Table View",
            take_view_keys(
                ["displayedColumnsV2", "title", "showRowKeys", "showRowIndices"],
                # the layout of the interactive table (knitflow shows all rows; no selection exists)
                ignore=(
                    *_INTERACTION,
                    "autoSizeColumnsToContent",
                    "customRowHeight",
                    "enableCellCopying",
                    "enableColumnSearch",
                    "enableGlobalSearch",
                    "enablePagination",
                    "enableRendererSelection",
                    "enableSortingByHeader",
                    "maxAutoRowHeight",
                    "pageSize",
                    "rowHeightMode",
                    "rowHeightModeV2",
                    "showColumnDataType",
                    "showOnlySelectedRows",
                    "showOnlySelectedRowsConfigurable",
                    "showTableSize",
                    "verticalPaddingMode",
                ),
            ),
        ),
        KnimeMapping(
            "org.knime.base.node.viz.table.TableNodeFactory",
            "Interactive Table (legacy)",
            take_view_keys([]),
            note="TableNodeModel has no settings: the table as it is",
        ),
    )
    inputs = (Port(TABLE, "Table", "The table to show."),)
    outputs = (Port(VIEW, "View", "The displayed table."),)
    Settings = TableViewSettings

    def configure(self, in_specs: list[Any], settings: TableViewSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: TableViewSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        columns = settings.displayed_columns_v2.apply(table.spec)
        df = table.frame_of(columns).copy()  # only these columns: a table holding columns sparse stays so
        types = {c: table.types[c] for c in columns}
        if settings.show_row_indices:
            name = "#"
            while name in df.columns:
                name += "#"
            df.insert(0, name, np.arange(len(df), dtype=np.int64))
            types[name] = ColumnType.LONG
        if not settings.show_row_keys:
            df.index = pd.Index([str(i) for i in range(len(df))], dtype=object)
        return [View(title=settings.title, table=Table(df, types))]
