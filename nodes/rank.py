"""Rank with KNIME's rules (`RankNodeModel`): a stable sort by the ranking criteria with the Sorter's
comparator, ranks counted within the groups of the category columns in that order, ties ranked
standard (1, 1, 3), dense (1, 1, 2) or ordinal (1, 2, 3), the output sorted by rank or in input order.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnSpec,
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
from engine.api.knime import KnimeMapping, KnimeSettings, choice, seq
from nodes._common import ColumnFilter
from nodes._compare import SortingCriterion, sorted_positions
from nodes._rows import ROW_ID, group_keys, is_missing, is_row_id

# =========================================================================================== Rank


class RankCriterion(NodeSettings):
    column: str = Field(description="Column to rank by, or <RowID>.")
    sortingOrder: Literal["ASCENDING", "DESCENDING"] = Field("ASCENDING", description="Rank order.")  # noqa: N815
    stringComparison: Literal["NATURAL", "LEXICOGRAPHIC"] = Field(  # noqa: N815
        "NATURAL", description="Strings: NATURAL (Row2 < Row10) or LEXICOGRAPHIC."
    )


class RankSettings(NodeSettings):
    sortingCriteria: list[RankCriterion] = Field(  # noqa: N815
        default_factory=list,
        title="Rank ordering",
        description="Ranking columns, most significant first: `[{column: score, sortingOrder: DESCENDING}]`.",
    )
    categoryColumns: ColumnFilter = Field(  # noqa: N815
        default_factory=lambda: ColumnFilter(enforce_option="EnforceInclusion"),
        title="Category columns",
        description="Ranks are counted separately within each group of these columns (none: the whole table).",
    )
    rankMode: Literal["STANDARD", "DENSE", "ORDINAL"] = Field(  # noqa: N815
        "STANDARD",
        title="If there are ties",
        description="STANDARD: 1, 1, 3; DENSE: 1, 1, 2; ORDINAL: 1, 2, 3 (ties by input order).",
    )
    RankOutFieldName: str = Field(
        "Rank", title="Rank column name", description="Name of the appended column."
    )
    rankDataType: Literal["LONG", "INTEGER"] = Field(
        "LONG", title="Rank data type", description="Long or Integer."
    )  # noqa: N815
    missingToEnd: bool = Field(  # noqa: N815
        False, description="Missing values rank last; otherwise they are the smallest values."
    )
    rowOrder: Literal["RANK", "INPUT_ORDER"] = Field(  # noqa: N815
        "RANK",
        title="Row order",
        description="RANK: rows sorted by the ranking columns; INPUT_ORDER: as input.",
    )


def _rank_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    if "RankingColumns" in tree:  # the settings of KNIME < 5.5
        columns = seq(tree.get("RankingColumns"))
        orders = seq(tree.get("RankOrder"))
        criteria = [
            {
                "column": c,
                "sortingOrder": "ASCENDING" if o == "Ascending" else "DESCENDING",
                "stringComparison": "LEXICOGRAPHIC",
            }
            for c, o in zip(columns, orders, strict=False)
        ]
        knime.put("sortingCriteria", criteria, "RankingColumns")
        groups = list(seq(tree.get("GroupColumns")))
        knime.put(
            "categoryColumns",
            {"included_names": groups, "excluded_names": [], "enforce_option": "EnforceInclusion"},
            "GroupColumns",
        )
        mode = str(tree.get("RankMode", "Standard")).upper()
        knime.put("rankMode", mode, "RankMode")
        knime.take("RankOutFieldName")
        knime.put("rankDataType", "LONG" if tree.get("RankAsLong") else "INTEGER", "RankAsLong")
        knime.put("rowOrder", "INPUT_ORDER" if tree.get("RetainRowOrder") else "RANK", "RetainRowOrder")
        knime.take("missingToEnd")
        return
    criteria = []
    for c in seq(tree.get("sortingCriteria")):
        column = c.get("column")
        name = choice(column) if isinstance(column, dict) else column
        if isinstance(c.get("columnV2"), dict):
            name = choice(c["columnV2"])
        criteria.append(
            {
                "column": ROW_ID if name in (None, "<ROW_ID>") or is_row_id(name) else name,
                "sortingOrder": c.get("sortingOrder", "ASCENDING"),
                "stringComparison": c.get("stringComparison", "NATURAL"),
            }
        )
    knime.put("sortingCriteria", criteria, "sortingCriteria")
    knime.take_all(
        ["categoryColumns", "rankMode", "RankOutFieldName", "rankDataType", "missingToEnd", "rowOrder"]
    )


class Rank(Node):
    type_name = "rank"
    display_name = "Rank"
    category = Category.MANIPULATOR
    description = (
        "Appends the rank of each row by one or more ranking columns (ascending or descending), counted within the "
        "groups of optional category columns; ties share a rank (standard 1, 1, 3 or dense 1, 1, 2) or are ranked "
        "in input order (ordinal). Rows come sorted by rank unless the input order is retained."
    )
    keywords = ("rank", "ranking", "order", "position", "top n", "dense rank")
    knime = (
        KnimeMapping("org.knime.base.node.preproc.rank.RankNodeFactory", "Rank", _rank_from_knime),
        KnimeMapping("org.knime.base.node.preproc.rank.RankNodeFactory2", "Rank", _rank_from_knime),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Ranked table", "The input with the rank column appended"),)
    Settings = RankSettings

    def _spec(self, spec: TableSpec, s: RankSettings, error: type[NodeError]) -> TableSpec:
        if not s.sortingCriteria:
            raise error("No ranking column is selected.", setting="sortingCriteria")
        if not s.RankOutFieldName:
            raise error("There is no name for the output rank column provided.", setting="RankOutFieldName")
        missing = [c.column for c in s.sortingCriteria if not is_row_id(c.column) and c.column not in spec]
        if missing:
            raise error(
                f"The selected ranking column '{missing[0]}' is not contained in the input table.",
                setting="sortingCriteria",
            )
        if s.RankOutFieldName in spec:
            raise error(f"column {s.RankOutFieldName!r} already exists", setting="RankOutFieldName")
        rank_type = ColumnType.LONG if s.rankDataType == "LONG" else ColumnType.INTEGER
        return spec.append(ColumnSpec(s.RankOutFieldName, rank_type))

    def configure(self, in_specs: list[Any], settings: RankSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            if not settings.sortingCriteria:
                raise ConfigureError("No ranking column is selected.", setting="sortingCriteria")
            return [UNKNOWN]
        return [self._spec(spec, settings, ConfigureError)]

    def execute(self, inputs: list[Any], settings: RankSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        s = settings
        out_spec = self._spec(table.spec, s, NodeError)
        if len(table) == 0:
            ctx.warn("The input table is empty.")
        criteria = [
            SortingCriterion(
                column="<RowID>" if is_row_id(c.column) and c.column not in table.types else c.column,
                sorting_order=c.sortingOrder,
                string_comparison=c.stringComparison,
            )
            for c in s.sortingCriteria
        ]
        order = sorted_positions(table, criteria, s.missingToEnd)
        rank_cols = [c.column for c in criteria]
        key_values = [
            np.array(table.row_ids, dtype=object)
            if c == "<RowID>" and c not in table.types
            else table.df[c].to_numpy(dtype=object)
            for c in rank_cols
        ]
        groups = group_keys(table, s.categoryColumns.apply(table.spec))
        state: dict[Any, list[Any]] = {}  # group -> [count, rank, dense, last values]
        ranks = np.zeros(len(table), dtype=np.int64)
        for i in order:
            values = tuple(None if is_missing(col[i]) else col[i] for col in key_values)
            st = state.get(groups[i])
            if st is None:
                st = state[groups[i]] = [0, 0, 0, object()]
            st[0] += 1
            tie = values == st[3]
            if s.rankMode == "ORDINAL":
                ranks[i] = st[0]
            elif s.rankMode == "DENSE":
                st[2] += 0 if tie else 1
                ranks[i] = st[2]
            else:
                st[1] = st[1] if tie else st[0]
                ranks[i] = st[1]
            st[3] = values
        positions = np.arange(len(table)) if s.rowOrder == "INPUT_ORDER" else order
        df = table.df.iloc[positions].copy()
        df[s.RankOutFieldName] = ranks[positions].astype(np.int64 if s.rankDataType == "LONG" else np.int32)
        return [Table(df, {c.name: c.type for c in out_spec.columns})]
