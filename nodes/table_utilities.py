"""Table utilities: KNIME's small everyday nodes that reorder, pick or describe rows and columns.

Top k Row Filter (the k best rows by sort criteria, with KNIME's heap selection so ties resolve as
KNIME's do), Shuffle (KNIME's exact order for a seed: a Fisher-Yates permutation from
`java.util.Random` used as sort key), Extract Table Dimension (row and column count as variables),
Column Merger (primary value unless missing, else secondary), Lag Column (values of preceding
rows as new columns) and Moving Aggregation (GroupBy's methods over a moving window).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
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
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, choice, column_selection, seq
from nodes._aggregation import METHODS, Method, Skipped, aggregate, method_key, method_names
from nodes._compare import ROW_ID_NAMES, SortingCriterion, row_ranks
from nodes._java_random import JavaRandom, to_int64
from nodes._java_text import short_string_from
from nodes._rows import as_type, coerce, common_type, is_row_id, take

# ------------------------------------------------------------------------------ Top k Row Filter


class TopKSelectorSettings(NodeSettings):
    """KNIME's TopKSelectorNodeSettings (5.x); older layouts are migrated by the mapping."""

    sortingCriteria: list[SortingCriterion] = Field(
        default_factory=list,
        description="Sort keys, most significant first; `<RowID>` sorts by the RowIDs.",
    )
    filterMode: Literal["ROWS", "UNIQUE_VALUES"] = Field(
        "ROWS",
        description="ROWS: the k best rows; UNIQUE_VALUES: all rows holding one of the k best distinct sort keys.",
    )
    k: int = Field(5, ge=1, description="Number of rows (ROWS) or of distinct sort keys (UNIQUE_VALUES).")
    missingsToEnd: bool = Field(
        False, description="Missing cells are always the worst values; otherwise they are the smallest."
    )
    rowOrder: Literal["ARBITRARY", "INPUT_ORDER", "SORTED"] = Field(
        "ARBITRARY",
        description="ARBITRARY: the order KNIME's selection heap holds them in; INPUT_ORDER: as in the input; "
        "SORTED: by the sort criteria, ties in input order.",
    )


class _JavaPriorityQueue:
    """`java.util.PriorityQueue` with a comparator: KNIME's Top k selection keeps its rows in one,
    and which of several tied rows it drops (and the ARBITRARY output order) is the heap's doing."""

    def __init__(self, compare: Callable[[Any, Any], int]) -> None:
        self.items: list[Any] = []
        self._compare = compare

    def __len__(self) -> int:
        return len(self.items)

    def head(self) -> Any:
        return self.items[0]

    def add(self, item: Any) -> None:
        self.items.append(item)
        k = len(self.items) - 1
        while k > 0:
            parent = (k - 1) >> 1
            if self._compare(item, self.items[parent]) >= 0:
                break
            self.items[k] = self.items[parent]
            k = parent
        self.items[k] = item

    def poll(self) -> Any:
        result = self.items[0]
        last = self.items.pop()
        if self.items:
            self._sift_down(last)
        return result

    def _sift_down(self, item: Any) -> None:
        n = len(self.items)
        k = 0
        while k < n >> 1:
            child = 2 * k + 1
            if child + 1 < n and self._compare(self.items[child], self.items[child + 1]) > 0:
                child += 1
            if self._compare(item, self.items[child]) <= 0:
                break
            self.items[k] = self.items[child]
            k = child
        self.items[k] = item


def _top_rows(ranks: np.ndarray, k: int) -> list[int]:
    """HeapTopKSelector: a row replaces the heap's worst only when strictly better."""

    def inverted(a: int, b: int) -> int:
        return int(ranks[b] - ranks[a])

    heap = _JavaPriorityQueue(inverted)
    for row in range(len(ranks)):
        if len(heap) < k:
            heap.add(row)
        elif ranks[row] < ranks[heap.head()]:
            heap.poll()
            heap.add(row)
    return list(heap.items)


def _top_unique_rows(ranks: np.ndarray, k: int) -> list[int]:
    """HeapTopKUniqueRowsSelector: groups of equal rows, compared by their first row."""

    def inverted(a: list[int], b: list[int]) -> int:
        return int(ranks[b[0]] - ranks[a[0]])

    heap = _JavaPriorityQueue(inverted)
    for row in range(len(ranks)):
        worse_than_head = 1 if not len(heap) else int(ranks[row] - ranks[heap.head()[0]])
        if worse_than_head == 0:
            heap.head().append(row)
        elif worse_than_head > 0:
            if len(heap) < k:
                heap.add([row])
        else:
            group = next((g for g in heap.items if ranks[g[0]] == ranks[row]), None)
            if group is not None:
                group.append(row)
            else:
                if len(heap) >= k:
                    heap.poll()
                heap.add([row])
    return [row for group in heap.items for row in group]


_LEGACY_ROW_KEY = "-ROWKEY -"
_MODES = {"Top k rows": "ROWS", "Top k rows with unique values": "UNIQUE_VALUES"}
_MODES.update({"TOP_K_ROWS": "ROWS", "TOP_K_ALL_ROWS_W_UNIQUE": "UNIQUE_VALUES"})
_ORDERS = {"NO_ORDER": "ARBITRARY", "RETAIN": "INPUT_ORDER", "SORT": "SORTED"}


def _web_criteria(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """5.x `sortingCriteria`: the column as `columnV2` (a StringOrEnum, 5.5 on) or `column` (a
    ColumnSelection; its "<row-keys>" is the RowID)."""
    out = []
    for c in seq(tree.get("sortingCriteria")):
        if isinstance(c.get("columnV2"), dict):
            column = choice(c["columnV2"])
        else:
            column = column_selection(c.get("column") or {})
        out.append(
            {
                "column": column,
                "sorting_order": c.get("sortingOrder", "ASCENDING"),
                "string_comparison": c.get("stringComparison", "NATURAL"),
            }
        )
    return out


def _legacy_criteria(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The classic (pre-web-UI) node: parallel arrays `columns`, `order` (true = ascending) and, since 4.7,
    `alphaNumStringComp` (true = natural string comparison; absent: lexicographic)."""
    names = seq(tree.get("columns"))
    ascending = seq(tree.get("order"))
    natural = seq(tree.get("alphaNumStringComp"))
    return [
        {
            "column": "<RowID>" if name == _LEGACY_ROW_KEY else name,
            "sorting_order": "ASCENDING" if i >= len(ascending) or ascending[i] else "DESCENDING",
            "string_comparison": "NATURAL" if i < len(natural) and natural[i] else "LEXICOGRAPHIC",
        }
        for i, name in enumerate(names)
    ]


def _top_k_from_knime(knime: KnimeSettings) -> None:
    """5.x keys (`sortingCriteria`, `filterMode`, `k`, `missingsToEnd`, `rowOrder`); the classic node
    saved `columns`/`order`/`alphaNumStringComp`, `selectionMode` (its label text) and `outputOrder`."""
    tree = knime.tree
    if "sortingCriteria" in tree:
        knime.put("sortingCriteria", _web_criteria(tree), "sortingCriteria")
    else:
        knime.put("sortingCriteria", _legacy_criteria(tree), "columns")
        knime.paths.update({"order": "sortingCriteria", "alphaNumStringComp": "sortingCriteria"})
    knime.take_all(["filterMode", "k", "missingsToEnd", "rowOrder"])
    mode = tree.get("selectionMode")
    if "filterMode" not in tree and mode is not None:
        if mode in _MODES:
            knime.put("filterMode", _MODES[mode], "selectionMode")
        else:
            knime.lost(f"selection mode {mode!r} is not known to knitflow")
            knime.paths["selectionMode"] = "filterMode"
    order = tree.get("outputOrder")
    if "rowOrder" not in tree and order is not None:
        if order in _ORDERS:
            knime.put("rowOrder", _ORDERS[order], "outputOrder")
        else:
            knime.lost(f"output order {order!r} is not known to knitflow")
            knime.paths["outputOrder"] = "rowOrder"
    knime.unread()


class TopKSelector(Node):
    type_name = "top_k_row_filter"
    display_name = "Top k Row Filter"
    category = Category.MANIPULATOR
    description = (
        "Keeps the k best rows by one or more sort criteria (or all rows of the k best distinct keys), like a "
        "Sorter followed by taking the first k rows; ties are resolved as KNIME's selection heap does, and the "
        "rows come out in KNIME's heap order, in input order or sorted."
    )
    keywords = ("top k", "top n", "head", "limit", "best", "largest", "smallest", "select", "rank")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.topk.TopKSelectorNodeFactory", "Top k Row Filter", _top_k_from_knime
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.topk.TopKSelectorNodeFactory2", "Top k Row Filter", _top_k_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "The top k rows"),)
    Settings = TopKSelectorSettings

    def _check(self, spec: TableSpec, settings: TopKSelectorSettings, cls: type[NodeError]) -> None:
        if not settings.sortingCriteria:
            raise cls(
                "No columns have been specified to select the top rows of. Set in the node configuration.",
                setting="sortingCriteria",
            )
        missing = [
            c.column
            for c in settings.sortingCriteria
            if c.column not in spec and c.column not in ROW_ID_NAMES
        ]
        if missing:
            raise cls(
                f"The columns {short_string_from(missing)} are configured but no longer exist.",
                setting="sortingCriteria",
            )

    def configure(self, in_specs: list[Any], settings: TopKSelectorSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        self._check(spec, settings, ConfigureError)
        return [spec]

    def execute(self, inputs: list[Any], settings: TopKSelectorSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self._check(table.spec, settings, NodeError)
        if len(table) < settings.k:
            ctx.warn(
                f"The input table has fewer rows ({len(table)}) than the specified k. Make sure the input has at "
                f"least {settings.k} rows."
            )
        ranks = row_ranks(table, settings.sortingCriteria, settings.missingsToEnd)
        select = _top_unique_rows if settings.filterMode == "UNIQUE_VALUES" else _top_rows
        rows = select(ranks, settings.k)
        if settings.rowOrder == "INPUT_ORDER":
            rows.sort()
        elif settings.rowOrder == "SORTED":
            rows.sort(key=lambda r: (ranks[r], r))
        return [table.take(np.array(rows, dtype=np.int64))]


# ------------------------------------------------------------------------------------------ Shuffle


class ShuffleSettings(NodeSettings):
    """KNIME's ShuffleNodeModel: `random_seed` (a Java long, saved as text; absent: no seed)."""

    random_seed: int | None = Field(
        None,
        description="Seed (a Java long): the same seed gives KNIME's very order. null: a new order on every run "
        "(or one derived from the run's --seed).",
    )


def _shuffle_from_knime(knime: KnimeSettings) -> None:
    seed = knime.tree.get("random_seed")
    if seed in (None, ""):
        knime.put("random_seed", None, "random_seed")
    else:
        try:
            knime.put("random_seed", int(str(seed).strip()), "random_seed")
        except ValueError:
            knime.lost(f'Unable to parse seed "{seed}" as number.')
            knime.paths["random_seed"] = "random_seed"
    knime.unread()


def shuffled_order(n: int, rnd: JavaRandom) -> np.ndarray:
    """KNIME's Shuffler: a forward Fisher-Yates permutation appended as a key column, the table sorted by it."""
    keys = list(range(n))
    for i in range(n):
        r = rnd.nextInt(i + 1)
        keys[r], keys[i] = keys[i], keys[r]
    return np.argsort(np.array(keys, dtype=np.int64), kind="stable")


class Shuffle(Node):
    type_name = "shuffle"
    display_name = "Shuffle"
    category = Category.MANIPULATOR
    description = (
        "Puts the rows in random order (whole rows move and keep their RowIDs). With a seed the order is exactly "
        "KNIME's for that seed (java.util.Random); without one every run shuffles anew."
    )
    keywords = ("shuffle", "random", "permute", "randomize", "order", "seed")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.shuffle.ShuffleNodeFactory", "Shuffle", _shuffle_from_knime
        ),
    )
    inputs = (Port(TABLE, "To be shuffled"),)
    outputs = (Port(TABLE, "Shuffled"),)
    Settings = ShuffleSettings

    def is_deterministic(self, settings: ShuffleSettings) -> bool:
        return settings.random_seed is not None

    def configure(self, in_specs: list[Any], settings: ShuffleSettings, ctx: NodeContext) -> list[Any]:
        return [in_specs[0] if isinstance(in_specs[0], TableSpec) else UNKNOWN]

    def execute(self, inputs: list[Any], settings: ShuffleSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        rnd = JavaRandom(to_int64(ctx.seed(settings.random_seed)))
        return [table.take(shuffled_order(len(table), rnd))]


# ----------------------------------------------------------------------------- Extract Table Dimension

_ROWS_VAR, _COLUMNS_VAR = "Number Rows", "Number Columns"


class ExtractTableDimensionSettings(NodeSettings):
    """KNIME's node has no settings."""


def _no_settings(knime: KnimeSettings) -> None:
    knime.unread()


class ExtractTableDimension(Node):
    type_name = "extract_table_dimension"
    display_name = "Extract Table Dimension"
    category = Category.OTHER
    description = (
        "Counts the rows and columns of a table: flow variables 'Number Rows' and 'Number Columns' (Integer), "
        "and a table with one Integer column 'Dimensions' holding both (RowIDs 'Number Rows', 'Number Columns')."
    )
    keywords = ("dimension", "size", "count", "rows", "columns", "shape", "length", "variable")
    knime = (
        KnimeMapping(
            "org.knime.base.node.util.extracttabledimension.ExtractTableDimensionNodeFactory",
            "Extract Table Dimension",
            _no_settings,
        ),
    )
    inputs = (Port(TABLE, "Table whose dimensions are extracted"),)
    outputs = (Port(TABLE, "Number of rows and columns"),)
    Settings = ExtractTableDimensionSettings

    def configure_variables(
        self, in_specs: list[Any], settings: ExtractTableDimensionSettings
    ) -> dict[str, str]:
        return {_ROWS_VAR: "Integer", _COLUMNS_VAR: "Integer"}

    def configure(
        self, in_specs: list[Any], settings: ExtractTableDimensionSettings, ctx: NodeContext
    ) -> list[Any]:
        return [TableSpec.of([("Dimensions", ColumnType.INTEGER)])]

    def execute(
        self, inputs: list[Any], settings: ExtractTableDimensionSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        n_rows, n_cols = len(table), len(table.columns)
        ctx.push_variable(_ROWS_VAR, n_rows, "Integer")
        ctx.push_variable(_COLUMNS_VAR, n_cols, "Integer")
        df = pd.DataFrame(
            {"Dimensions": np.array([n_rows, n_cols], dtype=np.int64)},
            index=pd.Index([_ROWS_VAR, _COLUMNS_VAR]),
        )
        return [Table(df, {"Dimensions": ColumnType.INTEGER})]


# ------------------------------------------------------------------------------------- Column Merger


class ColumnMergerSettings(NodeSettings):
    """KNIME's ColumnMergerConfiguration."""

    primaryColumn: str | None = Field(
        None,
        description="The column whose value is used unless it is missing.",
        json_schema_extra=widget("column"),
    )
    secondaryColumn: str | None = Field(
        None,
        description="The column whose value is used where the primary one is missing.",
        json_schema_extra=widget("column"),
    )
    outputPlacement: Literal["ReplaceBoth", "ReplacePrimary", "ReplaceSecondary", "AppendAsNewColumn"] = (
        Field(
            "ReplaceBoth",
            description="ReplaceBoth: the result replaces the primary column and the secondary is removed; "
            "ReplacePrimary / ReplaceSecondary: it replaces that column; AppendAsNewColumn: appended as outputName.",
        )
    )
    outputName: str | None = Field(
        None,
        description="AppendAsNewColumn: the new column's name (made unique).",
        json_schema_extra=widget("new_column"),
    )


def _column_merger_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["primaryColumn", "secondaryColumn", "outputPlacement", "outputName"])
    knime.unread()


class ColumnMerger(Node):
    type_name = "column_merger"
    display_name = "Column Merger"
    category = Category.MANIPULATOR
    description = (
        "Merges two columns into one: each row takes the primary column's value, or the secondary column's where "
        "the primary is missing. The result (of both columns' common type) replaces the primary column (and "
        "removes the secondary), replaces either column, or is appended."
    )
    keywords = ("merge", "coalesce", "combine", "fill", "missing", "fallback", "columns")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.columnmerge.ColumnMergerNodeFactory",
            "Column Merger",
            _column_merger_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the merged column"),)
    Settings = ColumnMergerSettings

    def _layout(
        self, spec: TableSpec, s: ColumnMergerSettings, cls: type[NodeError]
    ) -> tuple[str, str, str, str, list[str]]:
        """(primary, secondary, output name, output type, output column order)."""
        primary, secondary = s.primaryColumn or "", s.secondaryColumn or ""
        if primary not in spec:
            raise cls(f"No such primary column: {s.primaryColumn}", setting="primaryColumn")
        if secondary not in spec:
            raise cls(f"No such secondary column: {s.secondaryColumn}", setting="secondaryColumn")
        if s.outputPlacement == "AppendAsNewColumn" and not s.outputName:
            raise cls(
                "Output column name must not be empty if 'Append as new column' is selected.",
                setting="outputName",
            )
        out_type = common_type([spec.type_of(primary), spec.type_of(secondary)])
        names = spec.names
        if s.outputPlacement == "AppendAsNewColumn":
            target = unique_column_name(names, str(s.outputName))
            return primary, secondary, target, out_type, [*names, target]
        target = secondary if s.outputPlacement == "ReplaceSecondary" else primary
        if s.outputPlacement == "ReplaceBoth":
            names = [n for n in names if n != secondary]  # KNIME removes the secondary after replacing
        return primary, secondary, target, out_type, names

    def configure(self, in_specs: list[Any], settings: ColumnMergerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _, _, target, out_type, names = self._layout(spec, settings, ConfigureError)
        return [TableSpec.of([(n, out_type if n == target else spec.type_of(n)) for n in names])]

    def execute(self, inputs: list[Any], settings: ColumnMergerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        primary, secondary, target, out_type, names = self._layout(table.spec, settings, NodeError)
        first = as_type(table.df[primary], table.types[primary], out_type)
        second = as_type(table.df[secondary], table.types[secondary], out_type)
        merged = first.where(first.notna(), second)
        df = table.df.copy(deep=False)
        df[target] = merged
        return [table.with_frame(df[names], {target: out_type})]


# ---------------------------------------------------------------------------------------- Lag Column


class LagColumnSettings(NodeSettings):
    """KNIME's LagColumnConfiguration."""

    column: str | None = Field(
        None,
        description="The column to lag; null (or <RowID>) lags the RowIDs (as a String column).",
        json_schema_extra=widget("column"),
    )
    lag: int = Field(1, ge=1, description="L: how many lagged copies of the column to append.")
    lag_interval: int = Field(1, ge=1, description="I: how many rows each copy is shifted further.")
    skipInitialIncompleteRows: bool = Field(
        False, description="Drop the first L*I rows, whose lagged values are not all available."
    )
    skipLastIncompleteRows: bool = Field(
        True,
        description="Do not append the L*I rows (RowIDs overflow-0, ...; missing input cells) that would carry "
        "the lagged values of the last rows.",
    )


def _lag_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["column", "lag", "lag_interval", "skipInitialIncompleteRows", "skipLastIncompleteRows"])
    if knime.settings.get("column") == "<row-keys>":
        knime.put("column", None, "column")
    knime.unread()


class LagColumn(Node):
    type_name = "lag_column"
    display_name = "Lag Column"
    category = Category.MANIPULATOR
    description = (
        "Appends copies of a column (or the RowIDs) shifted down by I, 2I, ... L*I rows, named '<column>(-I)', "
        "'<column>(-2I)', ...: each row sees the values of preceding rows. The first rows may be dropped, and rows "
        "carrying the last values may be appended (RowIDs overflow-0, ...)."
    )
    keywords = ("lag", "shift", "previous", "time series", "offset", "window", "delay")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.columnlag.LagColumnNodeFactory", "Lag Column", _lag_from_knime
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.lagcolumn.LagColumnNodeFactory", "Lag Column", _lag_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the lagged columns"),)
    Settings = LagColumnSettings

    def _new_columns(
        self, spec: TableSpec, s: LagColumnSettings, cls: type[NodeError]
    ) -> list[tuple[str, str]]:
        """The lag columns' names (unique as KNIME's UniqueNameGenerator makes them) and type."""
        lags_row_ids = s.column is None or (is_row_id(s.column) and s.column not in spec)
        if not lags_row_ids and s.column not in spec:
            raise cls(f'Selected column "{s.column}" does not exist', setting="column")
        base = "RowID" if lags_row_ids else str(s.column)
        col_type = ColumnType.STRING if lags_row_ids else spec.type_of(str(s.column))
        taken = set(spec.names)
        out = []
        for i in range(1, s.lag + 1):
            name = unique_column_name(taken, f"{base}(-{s.lag_interval * i})")
            taken.add(name)
            out.append((name, col_type))
        return out

    def configure(self, in_specs: list[Any], settings: LagColumnSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [spec.append(*self._new_columns(spec, settings, ConfigureError))]

    def execute(self, inputs: list[Any], settings: LagColumnSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        new = self._new_columns(table.spec, settings, NodeError)
        n = len(table)
        max_lag = settings.lag * settings.lag_interval
        first = max_lag if settings.skipInitialIncompleteRows else 0
        positions = np.arange(min(first, n), n if settings.skipLastIncompleteRows else n + max_lag)
        source_positions = np.where(positions < n, positions, -1)
        columns = {c: take(table.df[c], table.types[c], source_positions) for c in table.columns}
        if settings.column is None or settings.column not in table.types:
            lagged = pd.Series(table.row_ids, dtype=object)
        else:
            lagged = table.df[settings.column]
        for i, (name, col_type) in enumerate(new, start=1):
            shifted = positions - i * settings.lag_interval
            columns[name] = take(lagged, col_type, np.where((shifted >= 0) & (shifted < n), shifted, -1))
        ids = [table.row_ids[p] if p < n else f"overflow-{p - n}" for p in positions]
        df = pd.DataFrame(columns)
        df.index = pd.Index(ids)
        return [Table(df, {**table.types, **dict(new)})]


# -------------------------------------------------------------------------------- Moving Aggregation

_NamePolicy = Literal[
    "Aggregation method (column name)", "Column name (aggregation method)", "Keep original name(s)"
]


class WindowAggregation(NodeSettings):
    """One row of KNIME's `aggregationColumn`: a column and the method applied to its window."""

    column: str = Field(description="Column whose window values are aggregated.")
    method: str = Field(
        "Mean",
        description="KNIME aggregation method (GroupBy's: Mean, Sum, Minimum, Maximum, Median, Count, First, Last, "
        "Standard deviation, Variance, Concatenate, List, ...; KNIME's ids such as Sum_V2.5.2 are accepted).",
    )
    include_missing: bool = Field(
        False, description="Let missing cells take part (KNIME's 'Missing' checkbox)."
    )


class MovingAggregationSettings(NodeSettings):
    """KNIME's MovingAggregationNodeModel."""

    aggregations: list[WindowAggregation] = Field(
        default_factory=list, description="The aggregated columns and methods (KNIME's aggregationColumn)."
    )
    windowLength: int = Field(21, ge=2, description="Number of rows in a window.")
    windowType: Literal["BACKWARD", "CENTER", "FORWARD"] = Field(
        "BACKWARD",
        description="BACKWARD: the row and the rows before it; CENTER: half before, half after; FORWARD: the row "
        "and the rows after it.",
    )
    cumulativeComputing: bool = Field(
        False, description="Aggregate all rows from the first to the current one instead of a window."
    )
    handleMissings: bool = Field(
        False,
        description="Where a window runs over the table's start or end, aggregate the rows it has (else missing).",
    )
    removeRetainedColumns: bool = Field(False, description="Drop the input columns that are not aggregated.")
    removeAggregationColumns: bool = Field(False, description="Drop the aggregated input columns.")
    maxUniqueVals: int = Field(
        10000,
        ge=1,
        description="Unique count, Unique concatenate, Set and Mode give a missing cell beyond this.",
    )
    valueDelimiter: str = Field(", ", description="Delimiter of the concatenations.")
    columnNamePolicy: _NamePolicy = Field(
        "Aggregation method (column name)",
        description="How result columns are named: Mean(x), x (Mean) or x.",
    )


def _moving_aggregation_from_knime(knime: KnimeSettings) -> None:
    """`aggregationColumn` holds parallel arrays (columnNames, columnTypes, aggregationMethod,
    inclMissingVals); pattern and type based aggregators (2.11 on) are not supported."""
    agg = knime.tree.get("aggregationColumn") or {}
    names, methods = seq(agg.get("columnNames")), seq(agg.get("aggregationMethod"))
    missing = seq(agg.get("inclMissingVals"))
    rows = [
        {"column": c, "method": m, "include_missing": bool(missing[i]) if i < len(missing) else False}
        for i, (c, m) in enumerate(zip(names, methods, strict=False))
    ]
    knime.put("aggregations", rows, "aggregationColumn")
    for key in ("patternAggregators", "dataTypeAggregators"):
        if seq(knime.tree.get(key)):
            knime.lost(f"{key}: pattern and type based aggregation are not supported by Moving Aggregation")
        knime.paths[key] = ""
    knime.take_all(
        ["windowLength", "windowType", "cumulativeComputing", "handleMissings", "removeRetainedColumns"]
        + ["removeAggregationColumns", "maxUniqueVals", "valueDelimiter", "columnNamePolicy"]
    )
    knime.unread()


_WindowPlan = tuple[list[str], list[tuple[str, Method, bool, str, str]]]


def _window(i: int, n: int, s: MovingAggregationSettings) -> tuple[int, int, bool]:
    """Row i's window as (start, end exclusive, full), as MovingAggregationTableFactory fills it."""
    length = s.windowLength
    if s.cumulativeComputing:
        return 0, i + 1, True
    if s.windowType == "BACKWARD":
        start, end = i - length + 1, i + 1
    elif s.windowType == "FORWARD":
        start, end = i, i + length
    else:
        end = i + length // 2 + 1
        start = end - length
    return max(0, start), min(n, end), start >= 0 and end <= n


def _window_method(i: int, a: WindowAggregation, spec: TableSpec) -> Method:
    key = method_key(a.method)
    if key is None:
        raise ConfigureError(
            f"aggregation method {a.method!r} is not supported (supported: {method_names()})",
            setting=f"aggregations.{i}.method",
        )
    method, in_type = METHODS[key], spec.type_of(a.column)
    if method.numeric_only and in_type not in ColumnType.NUMERIC and in_type != ColumnType.BOOLEAN:
        raise ConfigureError(
            f"{method.label} needs a numeric column; {a.column!r} is {in_type}", setting=f"aggregations.{i}"
        )
    return method


class MovingAggregation(Node):
    type_name = "moving_aggregation"
    display_name = "Moving Aggregation"
    category = Category.MANIPULATOR
    description = (
        "Aggregates columns over a window moving along the rows (backward, central or forward, of a fixed length) or "
        "cumulatively from the first row, with GroupBy's methods (Mean, Sum, Min, Max, Median, Count, ...); the "
        "results are appended as Mean(x) etc. Incomplete windows at the table's ends give missing cells unless "
        "handled."
    )
    keywords = (
        "moving average",
        "rolling",
        "window",
        "smoothing",
        "cumulative",
        "running sum",
        "time series",
    )
    knime = (
        KnimeMapping(
            "org.knime.timeseries.node.movagg.MovingAggregationNodeFactory",
            "Moving Aggregation",
            _moving_aggregation_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with the aggregated columns"),)
    Settings = MovingAggregationSettings

    def _plan(self, spec: TableSpec, s: MovingAggregationSettings, ctx: NodeContext) -> _WindowPlan:
        """(kept input columns, [(column, method, include missing, result name, result type)])."""
        if not s.aggregations:
            raise ConfigureError("Please select at least one aggregation option", setting="aggregations")
        if s.columnNamePolicy == "Keep original name(s)" and not s.removeAggregationColumns:
            raise ConfigureError(
                "'Keep original name(s)' option only valid if aggregation columns are filtered",
                setting="columnNamePolicy",
            )
        valid = [(i, a) for i, a in enumerate(s.aggregations) if a.column in spec]
        if len(valid) < len(
            s.aggregations
        ):  # KNIME drops them (this warning replaces "No aggregation column")
            ctx.warn(f"{len(s.aggregations) - len(valid)} invalid aggregation column(s) found.")
        plan, names = [], set()
        for i, a in valid:
            method, in_type = _window_method(i, a, spec), spec.type_of(a.column)
            name = {
                "Aggregation method (column name)": f"{method.label}({a.column})",
                "Column name (aggregation method)": f"{a.column} ({method.label})",
            }.get(s.columnNamePolicy, a.column)
            if name in names:
                raise ConfigureError(f"Duplicate column name {name}", setting="columnNamePolicy")
            names.add(name)
            plan.append((a.column, method, a.include_missing, name, method.result(in_type)))
        aggregated = {p[0] for p in plan}
        kept = [
            c
            for c in spec.names
            if not (s.removeAggregationColumns if c in aggregated else s.removeRetainedColumns)
        ]
        return kept, plan

    def configure(
        self, in_specs: list[Any], settings: MovingAggregationSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        kept, plan = self._plan(spec, settings, ctx)
        return [TableSpec.of([(c, spec.type_of(c)) for c in kept] + [(p[3], p[4]) for p in plan])]

    def execute(self, inputs: list[Any], settings: MovingAggregationSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        kept, plan = self._plan(table.spec, settings, ctx)
        n = len(table)
        if n == 0:
            ctx.warn("Empty input table found")
        elif not settings.cumulativeComputing and n < settings.windowLength:
            raise NodeError(
                "Window length is larger than the number of rows of the input table", setting="windowLength"
            )
        windows = [_window(i, n, settings) for i in range(n)]
        df = table.df[kept].copy(deep=False)
        for column, method, include_missing, name, out_type in plan:
            series = table.df[column]
            in_type = table.types[column]
            cells: list[Any] = []
            for start, end, full in windows:
                if not (full or settings.handleMissings):
                    cells.append(None)
                    continue
                try:
                    cells.append(
                        aggregate(
                            series.iloc[start:end],
                            method,
                            in_type,
                            include_missing,
                            delimiter=settings.valueDelimiter,
                            max_unique=settings.maxUniqueVals,
                        )
                    )
                except Skipped:
                    cells.append(None)
            df[name] = coerce(pd.Series(cells, index=table.df.index, dtype=object), out_type).to_numpy()
        return [Table(df, {**{c: table.types[c] for c in kept}, **{p[3]: p[4] for p in plan}})]
