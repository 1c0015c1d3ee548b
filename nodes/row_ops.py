"""Row selection nodes with KNIME's rules: Duplicate Row Filter, Row Splitter, Numeric Row Splitter,
Reference Row Filter and Splitter, and Equal Size Sampling.

* Duplicate Row Filter follows `DuplicateRowMarker`: rows are duplicates when all selected columns
  are equal (missing equals missing); the chosen row of a group is the first, the last, or the one
  with the minimum/maximum of a reference column; duplicates are removed or marked in
  `duplicate-type-classifier` (unique / chosen / duplicate) and `duplicate-row-identifier` (the
  chosen row's RowID on duplicates).
* Reference Row Filter/Splitter follow `AbstractRowRefNodeModel`: cells compare by value when both
  columns have the same type, else by their text (RowIDs are text).
* Equal Size Sampling follows `EqualSizeSamplingNodeModel`/`OccurrenceCounter` draw for draw with
  `java.util.Random` (nodes._java_random), so a seed selects KNIME's rows.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
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
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, choice
from nodes._common import ColumnFilter, require_columns
from nodes._compare import SortingCriterion, sorted_positions
from nodes._java_random import JavaRandom, to_int64
from nodes._knime_row_filter import classic_from_knime
from nodes._row_filter import RowFilterBase, RowFilterSettings, row_filter_from_knime
from nodes._rows import ROW_ID, cell_text, group_keys, is_missing, is_row_id

# ============================================================================ Duplicate Row Filter


class DuplicateRowFilterSettings(NodeSettings):
    group_cols: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Choose columns for duplicates detection",
        description="Rows are duplicates when they agree in all these columns (default: all columns).",
    )
    remove_duplicates: bool = Field(
        True,
        title="Remove duplicate rows",
        description="True: keep only the chosen row of each group; false: keep all rows and add the marker columns.",
    )
    add_row_duplicate_flag: bool = Field(
        True,
        title="Add column showing the row status",
        description="When marking: add a column with `unique`, `chosen` or `duplicate`.",
    )
    unique_flag_column_name: str = Field(
        "duplicate-type-classifier", description="Name of the row status column."
    )
    add_row_id_flag: bool = Field(
        False,
        title="Add column identifying the RowID of the chosen row",
        description="When marking: add a column holding, on each duplicate, the RowID of its group's chosen row.",
    )
    row_id_flag_column_name: str = Field(
        "duplicate-row-identifier", description="Name of the chosen-RowID column."
    )
    row_selection: Literal["FIRST", "LAST", "MINIMUM", "MAXIMUM"] = Field(
        "FIRST",
        title="Row chosen in case of duplicate",
        description="Which row of a group is kept: the FIRST or LAST in input order, or the one with the "
        "MINIMUM/MAXIMUM of reference_col (ties: the first; missing values are never preferred).",
    )
    reference_col: str | None = Field(
        None, title="Reference column", description="The column compared for MINIMUM/MAXIMUM."
    )
    retain_order: bool = Field(
        True,
        title="Retain row order",
        description="Keep the input order; otherwise rows come sorted by the duplicate columns.",
    )


def _chosen_first(table: Table, s: DuplicateRowFilterSettings, keys: list[tuple[Any, ...]]) -> dict[Any, int]:
    """Group key -> position of the chosen row."""
    chosen: dict[Any, int] = {}
    if s.row_selection in ("FIRST", "LAST"):
        for i, k in enumerate(keys):
            if k not in chosen or s.row_selection == "LAST":
                chosen[k] = i
        return chosen
    assert s.reference_col is not None
    values = table.df[s.reference_col].to_numpy(dtype=object)
    sign = 1 if s.row_selection == "MINIMUM" else -1
    best: dict[Any, Any] = {}
    for i, k in enumerate(keys):
        v = values[i]
        if k not in chosen:
            chosen[k], best[k] = i, v
            continue
        b = best[k]
        if is_missing(v):
            continue
        if is_missing(b) or (sign * (v > b) - sign * (v < b)) < 0:
            chosen[k], best[k] = i, v
    return chosen


def _duplicate_filter_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        [
            "group_cols",
            "remove_duplicates",
            "add_row_duplicate_flag",
            "unique_flag_column_name",
            "add_row_id_flag",
            "row_id_flag_column_name",
            "row_selection",
            "reference_col",
            "retain_order",
        ]
    )
    for key in ("in_memory", "update_domains"):
        knime.ignore_binding(key, "memory and domain options change no row")


class DuplicateRowFilter(Node):
    type_name = "duplicate_row_filter"
    display_name = "Duplicate Row Filter"
    category = Category.MANIPULATOR
    description = (
        "Finds rows that agree in the selected columns and keeps one per group (the first, the last, or the one "
        "with the minimum/maximum of a reference column), or keeps all rows and marks them unique / chosen / "
        "duplicate with the chosen row's RowID. Missing values equal each other."
    )
    keywords = ("duplicates", "unique", "distinct", "deduplicate", "remove duplicates")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.duplicates.DuplicateRowFilterNodeFactory",
            "Duplicate Row Filter",
            _duplicate_filter_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Filtered table", "Unique rows, or all rows with the marker columns"),)
    Settings = DuplicateRowFilterSettings

    def _spec(self, spec: TableSpec, s: DuplicateRowFilterSettings, error: type[NodeError]) -> TableSpec:
        if not s.group_cols.apply(spec):
            raise error("No columns for duplicates detection selected", setting="group_cols")
        if s.row_selection in ("MINIMUM", "MAXIMUM"):
            if not s.reference_col:
                raise error("No reference column selected", setting="reference_col")
            if s.reference_col not in spec:
                raise error(f"reference column {s.reference_col!r} not found", setting="reference_col")
        if s.remove_duplicates:
            return spec
        extra: list[ColumnSpec] = []
        names = set(spec.names)
        for flag, name in (
            (s.add_row_duplicate_flag, s.unique_flag_column_name),
            (s.add_row_id_flag, s.row_id_flag_column_name),
        ):
            if flag:
                unique = unique_column_name(names, name)
                names.add(unique)
                extra.append(ColumnSpec(unique, ColumnType.STRING))
        return spec.append(*extra)

    def configure(
        self, in_specs: list[Any], settings: DuplicateRowFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [self._spec(spec, settings, ConfigureError)]

    def execute(self, inputs: list[Any], settings: DuplicateRowFilterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        s = settings
        out_spec = self._spec(table.spec, s, NodeError)
        columns = s.group_cols.apply(table.spec)
        keys = group_keys(table, columns)
        chosen = _chosen_first(table, s, keys)
        sizes: dict[Any, int] = {}
        for k in keys:
            sizes[k] = sizes.get(k, 0) + 1
        order = np.arange(len(table))
        if not s.retain_order:
            criteria = [SortingCriterion(column=c) for c in columns]
            order = sorted_positions(table, criteria, missing_to_end=True)
        if s.remove_duplicates:
            keep = [i for i in order if chosen[keys[i]] == i]
            return [table.with_frame(table.df.iloc[keep])]
        ids = table.row_ids
        status: list[str] = []
        ref: list[str | None] = []
        for i in order:
            k = keys[i]
            if sizes[k] == 1:
                status.append("unique")
                ref.append(None)
            elif chosen[k] == i:
                status.append("chosen")
                ref.append(None)
            else:
                status.append("duplicate")
                ref.append(ids[chosen[k]])
        df = table.df.iloc[order].copy()
        new_cols = out_spec.names[len(table.columns) :]
        values = [v for flag, v in ((s.add_row_duplicate_flag, status), (s.add_row_id_flag, ref)) if flag]
        for name, vals in zip(new_cols, values, strict=True):
            df[name] = pd.Series(vals, index=df.index, dtype=object)
        return [Table(df, {c.name: c.type for c in out_spec.columns})]


# ==================================================================================== Row Splitter


def _row_splitter_from_knime(knime: KnimeSettings) -> None:
    """The web-UI Row Splitter: the Row Filter's layouts (nodes/_knime_row_filter.py)."""
    row_filter_from_knime(knime)
    knime.settings.pop("outputMode", None)


def _classic_row_splitter_from_knime(knime: KnimeSettings) -> None:
    """The legacy Row Splitter and two-port Row Filter (`filter.row`): the `rowFilter` tree; the
    rows the filter keeps go to the first output."""
    classic_from_knime(knime)
    if knime.refused:
        return
    if knime.settings.pop("outputMode", "MATCHING") == "NON_MATCHING":
        knime.unreadable(
            "the filter excludes the rows it matches (first output: the rows not matched); knitflow's "
            "Row Splitter puts the matching rows first"
        )


class RowSplitter(RowFilterBase):
    """KNIME's Row Splitter: the Row Filter's criteria, matching rows on the first port and the
    others on the second (`row3.RowSplitterNodeFactory`)."""

    type_name = "row_splitter"
    display_name = "Row Splitter"
    description = (
        "Splits the rows by criteria on column values, RowIDs or row numbers (the Row Filter's): matching rows on "
        "the first output, the others on the second; rows keep their RowIDs and order."
    )
    keywords = ("split", "rows", "filter", "partition", "condition", "two outputs")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.filter.row3.RowSplitterNodeFactory",
            "Row Splitter",
            _row_splitter_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.filter.row.RowSplitterNodeFactory",
            "Row Splitter (legacy)",
            _classic_row_splitter_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.filter.row.RowFilter2PortNodeFactory",
            "Row Filter (legacy, 2 outputs)",
            _classic_row_splitter_from_knime,
        ),
    )
    outputs: ClassVar[tuple[Port, ...]] = (  # type: ignore[assignment]
        Port(TABLE, "Matching rows", "Rows that match the criteria"),
        Port(TABLE, "Non-matching rows", "All other rows"),
    )

    def configure(self, in_specs: list[Any], settings: RowFilterSettings, ctx: NodeContext) -> list[Any]:
        spec = super().configure(in_specs, settings, ctx)[0]
        return [spec, spec]

    def execute(self, inputs: list[Any], settings: RowFilterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        matching = settings.model_copy(update={"outputMode": "MATCHING"})
        first: Table = super().execute(inputs, matching, ctx)[0]
        rest = ~table.df.index.isin(first.df.index)
        return [first, table.with_frame(table.df[rest])]


# ========================================================================= Numeric Row Splitter


class NumericRowSplitterSettings(NodeSettings):
    """KNIME's NumericRowSplitterNodeModel keys."""

    column_selection: str = Field(
        "", description="The numeric column tested.", json_schema_extra=widget("column")
    )
    lower_bound_defined: bool = Field(False, description="Test the lower bound.")
    lower_bound: Literal[">=", ">"] = Field(">=", description="Whether the lower bound itself is inside.")
    lower_bound_value: float = Field(0.0, description="The lower bound.")
    upper_bound_defined: bool = Field(False, description="Test the upper bound.")
    upper_bound: Literal["<=", "<"] = Field("<=", description="Whether the upper bound itself is inside.")
    upper_bound_value: float = Field(0.0, description="The upper bound.")


def _numeric_row_splitter_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["column_selection", "lower_bound_defined", "lower_bound", "lower_bound_value"]
        + ["upper_bound_defined", "upper_bound", "upper_bound_value"]
    )
    knime.unread()


def _check_bounds(settings: NumericRowSplitterSettings) -> None:
    """KNIME's validateSettings: ordered bounds, and equal ones both inclusive."""
    if not (settings.lower_bound_defined and settings.upper_bound_defined):
        return
    low, high = settings.lower_bound_value, settings.upper_bound_value
    if low > high:
        raise ConfigureError(
            f"Check lower and upper bound values: {low} > {high}", setting="lower_bound_value"
        )
    if low == high and (settings.lower_bound, settings.upper_bound) != (">=", "<="):
        raise ConfigureError("Lower and upper bounds are inconsistent with borders!", setting="lower_bound")


def numeric_range_mask(values: np.ndarray, settings: NumericRowSplitterSettings) -> np.ndarray:
    """Inside the range; a missing cell never is (NaN fails every comparison)."""
    inside = ~np.isnan(values)
    if settings.lower_bound_defined:
        low = settings.lower_bound_value
        inside &= values >= low if settings.lower_bound == ">=" else values > low
    if settings.upper_bound_defined:
        high = settings.upper_bound_value
        inside &= values <= high if settings.upper_bound == "<=" else values < high
    return inside


class NumericRowSplitter(Node):
    """KNIME's (deprecated but still common) Numeric Row Splitter."""

    type_name = "numeric_row_splitter"
    display_name = "Numeric Row Splitter"
    category = Category.MANIPULATOR
    description = (
        "Splits rows by a numeric range on one column (each bound optional, inclusive or not): rows inside on "
        "the first output, the others (and missing values) on the second; RowIDs and order kept."
    )
    keywords = ("split", "rows", "range", "between", "numeric", "bounds", "two outputs")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.rowsplit.NumericRowSplitterNodeFactory",
            "Numeric Row Splitter",
            _numeric_row_splitter_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (
        Port(TABLE, "Rows in range", "Rows whose value lies inside the range"),
        Port(TABLE, "Other rows", "All other rows, missing values included"),
    )
    Settings = NumericRowSplitterSettings

    def configure(
        self, in_specs: list[Any], settings: NumericRowSplitterSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_bounds(settings)
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        column = settings.column_selection
        if column not in spec:
            raise ConfigureError(f"Column '{column}' is not in the input table", setting="column_selection")
        if spec.type_of(column) not in ColumnType.NUMERIC:
            raise ConfigureError(f"Column '{column}' is not numeric", setting="column_selection")
        return [spec, spec]

    def execute(self, inputs: list[Any], settings: NumericRowSplitterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        values = pd.to_numeric(table.df[settings.column_selection], errors="coerce").to_numpy(dtype=float)
        inside = numeric_range_mask(values, settings)
        return [table.with_frame(table.df[inside]), table.with_frame(table.df[~inside])]


# ========================================================================= Reference Row Filter


class ReferenceRowSplitterSettings(NodeSettings):
    dataTableColumn: str = Field(  # noqa: N815 (KNIME's key)
        ROW_ID, title="Data column (in first input)", description="Column of the table to filter, or <RowID>."
    )
    referenceTableColumn: str = Field(  # noqa: N815
        ROW_ID,
        title="Reference column (in second input)",
        description="Column of the reference table, or <RowID>.",
    )


class ReferenceRowFilterSettings(ReferenceRowSplitterSettings):
    inexclude: Literal["INCLUDE", "EXCLUDE"] = Field(
        "INCLUDE",
        title="Include or exclude rows from the reference table",
        description="INCLUDE: keep the rows whose value occurs in the reference column; EXCLUDE: keep the others.",
    )


def _reference_values(table: Table, column: str, as_text: bool) -> list[Any]:
    if is_row_id(column) and column not in table.types:
        return list(table.row_ids)
    values = table.df[column].to_numpy(dtype=object)
    if as_text:  # DataCell.toString(): a missing cell prints as "?"
        return ["?" if is_missing(v) else cell_text(v) for v in values]
    return [None if is_missing(v) else v for v in values]


def reference_mask(data: Table, reference: Table, s: ReferenceRowSplitterSettings) -> np.ndarray:
    """True where the data row's value occurs in the reference column."""
    data_id = is_row_id(s.dataTableColumn) and s.dataTableColumn not in data.types
    ref_id = is_row_id(s.referenceTableColumn) and s.referenceTableColumn not in reference.types
    as_text = data_id != ref_id or (
        not data_id and data.types[s.dataTableColumn] != reference.types[s.referenceTableColumn]
    )
    keys = set(_reference_values(reference, s.referenceTableColumn, as_text))
    return np.array([v in keys for v in _reference_values(data, s.dataTableColumn, as_text)], dtype=bool)


def _check_reference(in_specs: list[Any], s: ReferenceRowSplitterSettings, ctx: NodeContext) -> None:
    for spec, name, key in (
        (in_specs[0], s.dataTableColumn, "dataTableColumn"),
        (in_specs[1], s.referenceTableColumn, "referenceTableColumn"),
    ):
        if isinstance(spec, TableSpec) and not is_row_id(name):
            require_columns(spec, [name], key)


def _column_name_setting(tree: dict[str, Any], new: str, old: str) -> str | None:
    """`dataTableColumnV2` (a column choice) or the older `SettingsModelColumnName` (`useRowID`)."""
    if isinstance(tree.get(new), dict):
        value = choice(tree[new])
        return ROW_ID if value in (None, "<ROW_ID>") else value
    legacy = tree.get(old)
    if isinstance(legacy, dict):
        return ROW_ID if legacy.get("useRowID") else legacy.get("columnName")
    return ROW_ID  # before KNIME 2.0 the RowIDs were compared


def _reference_from_knime(knime: KnimeSettings) -> None:
    for key, new, old in (
        ("dataTableColumn", "dataTableColumnV2", "dataTableColumn"),
        ("referenceTableColumn", "referenceTableColumnV2", "referenceTableColumn"),
    ):
        knime.put(key, _column_name_setting(knime.tree, new, old), new if new in knime.tree else old)
    mode = knime.tree.get("inexclude")
    if mode is not None:
        knime.put(
            "inexclude", "EXCLUDE" if "xclude" in str(mode) or mode == "EXCLUDE" else "INCLUDE", "inexclude"
        )
    knime.ignore_binding("updateDomains", "domains change no row")
    knime.unread("updateDomains", "dataTableColumn", "referenceTableColumn")


class ReferenceRowFilter(Node):
    type_name = "reference_row_filter"
    display_name = "Reference Row Filter"
    category = Category.MANIPULATOR
    description = (
        "Keeps (or drops) the rows of the first table whose value in the data column occurs in the reference "
        "column of the second table. Values compare as cells when both columns have the same type, else as text; "
        "<RowID> compares RowIDs."
    )
    keywords = ("reference", "filter", "lookup", "in list", "semi join", "anti join", "exclude")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.filter.rowref.RowFilterRefNodeFactory",
            "Reference Row Filter",
            _reference_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table to filter"), Port(TABLE, "Reference table"))
    outputs = (Port(TABLE, "Filtered table"),)
    Settings = ReferenceRowFilterSettings

    def configure(
        self, in_specs: list[Any], settings: ReferenceRowFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_reference(in_specs, settings, ctx)
        return [in_specs[0] if isinstance(in_specs[0], TableSpec) else UNKNOWN]

    def execute(self, inputs: list[Any], settings: ReferenceRowFilterSettings, ctx: NodeContext) -> list[Any]:
        data: Table = inputs[0]
        mask = reference_mask(data, inputs[1], settings)
        if settings.inexclude == "EXCLUDE":
            mask = ~mask
        return [data.with_frame(data.df[mask])]


class ReferenceRowSplitter(Node):
    type_name = "reference_row_splitter"
    display_name = "Reference Row Splitter"
    category = Category.MANIPULATOR
    description = (
        "Splits the rows of the first table: rows whose data-column value occurs in the reference column of the "
        "second table on the first output, the others on the second (values compared as in the Reference Row "
        "Filter)."
    )
    keywords = ("reference", "split", "lookup", "in list", "semi join")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.filter.rowref.RowSplitRefNodeFactory",
            "Reference Row Splitter",
            _reference_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table to split"), Port(TABLE, "Reference table"))
    outputs = (Port(TABLE, "Included rows"), Port(TABLE, "Excluded rows"))
    Settings = ReferenceRowSplitterSettings

    def configure(
        self, in_specs: list[Any], settings: ReferenceRowSplitterSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_reference(in_specs, settings, ctx)
        spec = in_specs[0] if isinstance(in_specs[0], TableSpec) else UNKNOWN
        return [spec, spec]

    def execute(
        self, inputs: list[Any], settings: ReferenceRowSplitterSettings, ctx: NodeContext
    ) -> list[Any]:
        data: Table = inputs[0]
        mask = reference_mask(data, inputs[1], settings)
        return [data.with_frame(data.df[mask]), data.with_frame(data.df[~mask])]


# ============================================================================ Equal Size Sampling


class EqualSizeSamplingSettings(NodeSettings):
    classColumn: str = Field(  # noqa: N815 (KNIME's key)
        "", title="Nominal column", description="The class column whose values all end with the same count."
    )
    samplingMethod: Literal["Exact", "Approximate"] = Field(  # noqa: N815
        "Exact",
        title="Sampling method",
        description="Exact: every class keeps exactly the rarest class's count; Approximate: each row is kept "
        "with probability (rarest count / class count).",
    )
    seed: int | None = Field(
        None,
        description="Random seed (a Java long): the same seed selects the same rows as KNIME. null: a new "
        "selection each run (or one derived from the run's --seed).",
    )


def exact_selection(count: int, total: int, rnd: JavaRandom) -> np.ndarray:
    """OccurrenceCounter.ExactSampler: `count` of `total` bits set by rejection draws of nextInt."""
    bits = np.zeros(total, dtype=bool)
    if count < total // 2:
        flag, to_flag = True, count
    else:
        bits[:] = True
        flag, to_flag = False, total - count
    for _ in range(to_flag):
        while True:
            index = rnd.nextInt(total)
            if bits[index] == flag:
                continue
            bits[index] = flag
            break
    return bits


def _equal_size_from_knime(knime: KnimeSettings) -> None:
    knime.take("classColumn")
    knime.take("samplingMethod")
    seed = knime.tree.get("seed")
    knime.put("seed", None if seed in (None, "") else int(seed), "seed")
    knime.unread()


class EqualSizeSampling(Node):
    type_name = "equal_size_sampling"
    display_name = "Equal Size Sampling"
    category = Category.MANIPULATOR
    description = (
        "Under-samples every class of a nominal column down to the size of the rarest class (exactly, or "
        "approximately by a per-row coin), keeping the input order; seeded like KNIME (java.util.Random)."
    )
    keywords = ("sampling", "balance", "undersample", "class", "equal", "stratified", "imbalanced")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.equalsizesampling.EqualSizeSamplingNodeFactory",
            "Equal Size Sampling",
            _equal_size_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Balanced table"),)
    Settings = EqualSizeSamplingSettings

    def is_deterministic(self, settings: EqualSizeSamplingSettings) -> bool:
        return settings.seed is not None

    def configure(
        self, in_specs: list[Any], settings: EqualSizeSamplingSettings, ctx: NodeContext
    ) -> list[Any]:
        if not settings.classColumn:
            raise ConfigureError("Class column must not be empty/null", setting="classColumn")
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        if settings.classColumn not in spec:
            raise ConfigureError(f'No column "{settings.classColumn}" in input data', setting="classColumn")
        if spec.type_of(settings.classColumn) not in (
            ColumnType.STRING,
            ColumnType.SMILES,
            ColumnType.BOOLEAN,
        ):
            raise ConfigureError(
                f'Class column "{settings.classColumn}" is not a nominal attribute', setting="classColumn"
            )
        return [spec]

    def execute(self, inputs: list[Any], settings: EqualSizeSamplingSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        values = [None if is_missing(v) else v for v in table.df[settings.classColumn].to_numpy(dtype=object)]
        counts: dict[Any, int] = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1  # insertion order: first appearance, like KNIME's LinkedHashMap
        if not counts:
            return [table]
        smallest = min(counts.values())
        rnd = JavaRandom(to_int64(ctx.seed(settings.seed)))
        mask = np.zeros(len(table), dtype=bool)
        if settings.samplingMethod == "Exact":
            samplers = {v: exact_selection(smallest, n, rnd) for v, n in counts.items()}
            seen = dict.fromkeys(counts, 0)
            for i, v in enumerate(values):
                mask[i] = samplers[v][seen[v]]
                seen[v] += 1
        else:
            frequency = {v: smallest / n for v, n in counts.items()}
            for i, v in enumerate(values):
                mask[i] = rnd.nextDouble() < frequency[v]
        return [table.with_frame(table.df[mask])]
