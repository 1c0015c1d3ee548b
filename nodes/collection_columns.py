"""Collection nodes: Create Collection Column, Split Collection Column, Ungroup, One to Many (Cell
Splitter: nodes/cell_splitter.py).

Collection cells are tuples in object columns typed `List of <element>` / `Set of <element>`
(engine.api.ColumnType.list_of/set_of); a set keeps its first-seen order, like KNIME's SetCell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
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
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._aggregation import cell_text, is_missing
from nodes._column_types import common_type, typed_column
from nodes._common import ColumnFilter, spec_or_none

# ------------------------------------------------------------------------ Create Collection Column


class CreateCollectionSettings(NodeSettings):
    includes: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns",
        description="Columns whose cells form each row's collection.",
    )
    createSet: bool = Field(
        False,
        title="Create a collection of type 'set'",
        description="A Set (distinct cells) instead of a List.",
    )
    removeCols: bool = Field(
        False, title="Remove aggregated columns", description="Drop the collected columns."
    )
    newColName: str = Field(
        "AggregatedValues", title="New column name", description="Name of the collection column."
    )
    ignoreMissingValue: bool = Field(
        False, title="Ignore missing values", description="Leave missing cells out of the collections."
    )


def _collection_plan(spec: TableSpec, s: CreateCollectionSettings) -> tuple[list[str], TableSpec]:
    cols = s.includes.apply(spec)
    if not cols:
        raise ConfigureError("Select columns to aggregate", setting="includes")
    element = common_type([spec.type_of(c) for c in cols])
    kind = ColumnType.set_of(element) if s.createSet else ColumnType.list_of(element)
    kept = [c for c in spec.names if not (s.removeCols and c in cols)]
    if s.newColName in kept:
        raise ConfigureError(f"column {s.newColName!r} exists already", setting="newColName")
    return cols, TableSpec.of([(c, spec.type_of(c)) for c in kept] + [(s.newColName, kind)])


class CreateCollectionColumn(Node):
    type_name = "create_collection_column"
    display_name = "Create Collection Column"
    category = Category.MANIPULATOR
    description = (
        "Appends one collection column holding each row's cells of the selected columns, as a List (in column "
        "order) or a Set (distinct cells); missing cells can be left out."
    )
    keywords = ("collection", "list", "set", "array", "combine cells", "aggregate row")
    knime = (
        KnimeMapping(
            "org.knime.base.collection.list.create2.CollectionCreate2NodeFactory", "Create Collection Column"
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with collection column"),)
    Settings = CreateCollectionSettings

    def configure(
        self, in_specs: list[Any], settings: CreateCollectionSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        return [UNKNOWN if spec is None else _collection_plan(spec, settings)[1]]

    def execute(self, inputs: list[Any], settings: CreateCollectionSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            cols, out_spec = _collection_plan(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        values = [table.df[c].to_numpy(dtype=object) for c in cols]
        cells = []
        for row in zip(*values, strict=True):
            items = [None if is_missing(v) else v for v in row]
            if settings.ignoreMissingValue:
                items = [v for v in items if v is not None]
            cells.append(tuple(dict.fromkeys(items)) if settings.createSet else tuple(items))
        df = table.df.drop(columns=cols) if settings.removeCols else table.df.copy()
        df[settings.newColName] = pd.Series(cells, index=df.index, dtype=object)
        return [Table(df, {c.name: c.type for c in out_spec.columns})]


# ------------------------------------------------------------------------------ Split Collection Column


class SplitCollectionSettings(NodeSettings):
    """KNIME's CollectionSplitSettings."""

    collectionColName: str | None = Field(
        None,
        title="Column selection",
        json_schema_extra=widget("column"),
        description="The collection column to split; none: the last collection column, with KNIME's other "
        "auto-guessed settings (no type determination, best effort, append).",
    )
    replaceInputColumn: bool = Field(
        False,
        title="Replace input column",
        description="The new columns take the collection column's place (else they are appended).",
    )
    determineMostSpecificDataType: bool = Field(
        False,
        title="Determine most specific type",
        description="Type each new column by the elements it received rather than by the collection's "
        "element type.",
    )
    countElementsPolicy: Literal["BestEffort", "UseElementNamesOrFail", "Count"] = Field(
        "BestEffort",
        title="Element count policy",
        description="BestEffort: the column's element names, else count; UseElementNamesOrFail: the element "
        "names or fail; Count: one column per element of the largest collection (Split Value 1, 2, ...). "
        "knitflow's columns carry no element names, so BestEffort counts.",
    )


NO_ELEMENT_NAMES = (
    'Input column "{}" does not provide element names; consider to change option in dialog or make sure '
    "the input table contains the necessary information."
)


def _split_settings(spec: TableSpec, s: SplitCollectionSettings, ctx: NodeContext) -> SplitCollectionSettings:
    """CollectionSplitNodeModel.configure: settings without a column are auto-guessed (the last
    collection column); then the column is checked with KNIME's messages."""
    if s.collectionColName is None:
        guess = [c.name for c in spec.columns if ColumnType.collection_kind(c.type)]
        s = SplitCollectionSettings(collectionColName=guess[-1] if guess else None)
        if guess:
            ctx.warn(f'Auto-guessed settings, splitting column "{guess[-1]}"')
    name = s.collectionColName
    if not name:
        raise ConfigureError("Not configured", setting="collectionColName")
    if name not in spec:
        raise ConfigureError(f"No such column: {name}", setting="collectionColName")
    if not ColumnType.collection_kind(spec.type_of(name)):
        raise ConfigureError(f'Column "{name}" does not contain collection.', setting="collectionColName")
    if s.countElementsPolicy == "UseElementNamesOrFail":
        raise ConfigureError(NO_ELEMENT_NAMES.format(name), setting="countElementsPolicy")
    return s


def _split_names(spec: TableSpec, column: str, count: int, replace: bool) -> list[str]:
    """countNewColumns: `Split Value 1`, ...; a name taken gets `(#1)`, `(#2)` (no space)."""
    taken = set(spec.names) - ({column} if replace else set())
    names = []
    for j in range(1, count + 1):
        base = name = f"Split Value {j}"
        k = 1
        while name in taken:
            name = f"{base}(#{k})"
            k += 1
        taken.add(name)
        names.append(name)
    return names


def _value_type(value: Any) -> str | None:
    """The KNIME cell type a collection element stands for (None: not telling)."""
    if isinstance(value, bool | np.bool_):
        return ColumnType.BOOLEAN
    if isinstance(value, int | np.integer):
        return ColumnType.INTEGER if -(2**31) <= int(value) < 2**31 else ColumnType.LONG
    if isinstance(value, float | np.floating):
        return ColumnType.DOUBLE
    if isinstance(value, str):
        return ColumnType.STRING
    if isinstance(value, dt.datetime):
        return ColumnType.LOCAL_DATE_TIME
    if isinstance(value, dt.date):
        return ColumnType.LOCAL_DATE
    if isinstance(value, dt.time):
        return ColumnType.LOCAL_TIME
    return None


def _most_specific(values: list[Any], element: str) -> str:
    """SplitCellFactory's common super type of the cells a column received. knitflow's cells tell
    their type only by their Python class, so a declared element type is kept unless it is Double
    or unknown, where the cells may be narrower (a list made of Integer and Double columns)."""
    if element not in (ColumnType.DOUBLE, ColumnType.UNKNOWN):
        return element
    kinds = [_value_type(v) for v in values if v is not None]
    if not kinds or None in kinds:
        return element
    return common_type([k for k in kinds if k is not None])


def _split_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["collectionColName", "replaceInputColumn", "determineMostSpecificDataType"])
    policy = knime.take("countElementsPolicy")
    if policy == "UseElementNamesOrFail":
        knime.lost(
            "countElementsPolicy UseElementNamesOrFail: knitflow's columns carry no element names, so the node "
            "fails where KNIME names the new columns after them"
        )
    elif policy in (None, "BestEffort"):
        knime.note(
            "countElementsPolicy BestEffort: knitflow's columns carry no element names, so the new columns are "
            "Split Value 1, 2, ... (KNIME names them after the elements when the collection column has names, "
            "e.g. from Create Collection Column)"
        )
    knime.unread()


class SplitCollectionColumn(Node):
    type_name = "split_collection_column"
    display_name = "Split Collection Column"
    category = Category.MANIPULATOR
    description = (
        "Splits a List or Set column into one column per element: as many columns as the largest collection has "
        "elements, named Split Value 1, Split Value 2, ...; shorter and missing collections give missing cells. "
        "The new columns are appended or replace the collection column."
    )
    keywords = ("split collection", "list to columns", "unnest", "expand list", "collection", "explode")
    knime = (
        KnimeMapping(
            "org.knime.base.collection.list.split.CollectionSplitNodeFactory",
            "Split Collection Column",
            _split_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "A table with a collection column."),)
    outputs = (Port(TABLE, "Split table", "The collection's elements in separate columns."),)
    Settings = SplitCollectionSettings

    def configure(
        self, in_specs: list[Any], settings: SplitCollectionSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is not None:
            _split_settings(spec, settings, ctx)
        return [UNKNOWN]  # the column count comes from the data

    def execute(self, inputs: list[Any], settings: SplitCollectionSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            s = _split_settings(table.spec, settings, ctx)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        column = str(s.collectionColName)
        cells = [None if is_missing(v) else tuple(v) for v in table.df[column].to_numpy(dtype=object)]
        count = max((len(c) for c in cells if c is not None), default=0)
        names = _split_names(table.spec, column, count, s.replaceInputColumn)
        element = ColumnType.element_of(table.types[column])
        new: dict[str, pd.Series] = {}
        types: dict[str, str] = {}
        for j, name in enumerate(names):
            values = [None if c is None or j >= len(c) or is_missing(c[j]) else c[j] for c in cells]
            kind = _most_specific(values, element) if s.determineMostSpecificDataType else element
            new[name] = typed_column(values, kind).set_axis(table.df.index)
            types[name] = kind
        if any(c is None for c in cells):
            ctx.warn("Some rows contain missing values")
        order = _split_order(table.columns, column, names, s.replaceInputColumn)
        df = pd.DataFrame({n: new[n] if n in new else table.df[n] for n in order}, index=table.df.index)
        kept_types = {n: t for n, t in table.types.items() if n in order}
        return [Table(df, {**kept_types, **types})]


def _split_order(columns: list[str], column: str, names: list[str], replace: bool) -> list[str]:
    """The output columns: the new ones in place of the collection column, or appended."""
    order: list[str] = []
    for name in columns:
        if name == column and replace:
            order.extend(names)
        else:
            order.append(name)
    return order if replace else [*order, *names]


# ------------------------------------------------------------------------------------------ Ungroup


class UngroupSettings(NodeSettings):
    columnNames: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Collection columns",
        description="Collection columns to ungroup (other types are never selected).",
    )
    removeCollectionCol: bool = Field(
        True,
        title="Remove selected collection column",
        description="Replace each collection column by its elements.",
    )
    skipMissingValues: bool = Field(
        False,
        title="Skip missing values",
        description="Drop output rows whose ungrouped cells are all missing.",
    )
    skipEmptyCollections: bool = Field(
        False, title="Skip empty collections", description="Drop rows whose collections are all empty."
    )
    enableHilite: bool = Field(
        False, description="KNIME's hiliting; knitflow has none, so it changes nothing."
    )


def _ungroup_plan(spec: TableSpec, s: UngroupSettings) -> tuple[list[str], TableSpec]:
    cols = [c for c in s.columnNames.apply(spec) if ColumnType.collection_kind(spec.type_of(c))]
    out: list[tuple[str, str]] = []
    for c in spec.columns:
        if c.name in cols:
            element = ColumnType.element_of(c.type)
            if not s.removeCollectionCol:
                out.append((c.name, c.type))
                out.append((unique_column_name(set(spec.names), c.name), element))
            else:
                out.append((c.name, element))
        else:
            out.append((c.name, c.type))
    return cols, TableSpec.of(out)


def _ungroup_from_knime(knime: KnimeSettings) -> None:
    if knime.get("columnNames") is not None:
        knime.take("columnNames")
    elif knime.get("columnName"):  # before KNIME 2.8: one column
        knime.put(
            "columnNames",
            {"included_names": [knime.get("columnName")], "enforce_option": "EnforceInclusion"},
            "columnName",
        )
    knime.take_all(["removeCollectionCol", "skipMissingValues", "skipEmptyCollections", "enableHilite"])


def _ungrouped(
    rid: str, present: list[tuple[Any, ...] | None], s: UngroupSettings
) -> Iterator[tuple[str, list[Any]]]:
    """One row's RowIDs and collection elements after ungrouping (`<id>_1`, `<id>_2`, ...): a
    row whose collections are all missing or all empty stays once (unless skipped)."""
    if all(p is None for p in present):
        if not s.skipMissingValues:
            yield rid, [None] * len(present)
        return
    longest = max(len(p) for p in present if p is not None)
    if longest == 0:
        if not s.skipEmptyCollections:
            yield f"{rid}_1", [None] * len(present)
        return
    counter = 1
    for i in range(longest):
        elements = [p[i] if p is not None and i < len(p) else None for p in present]
        elements = [None if is_missing(e) else e for e in elements]
        if s.skipMissingValues and all(e is None for e in elements):
            continue
        yield f"{rid}_{counter}", elements
        counter += 1


class Ungroup(Node):
    type_name = "ungroup"
    display_name = "Ungroup"
    category = Category.MANIPULATOR
    description = (
        "Creates one row per element of the selected collection columns (parallel when several; shorter ones "
        "padded with missing cells); RowIDs `<RowID>_1`, `<RowID>_2`, ... Rows whose collections are all missing "
        "keep their RowID with missing cells."
    )
    keywords = ("ungroup", "explode", "unnest", "expand list", "flatten", "collection")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.ungroup.UngroupNodeFactory", "Ungroup", _ungroup_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Ungrouped table"),)
    Settings = UngroupSettings

    def configure(self, in_specs: list[Any], settings: UngroupSettings, ctx: NodeContext) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        cols, out = _ungroup_plan(spec, settings)
        if not cols:
            ctx.warn("No ungroup column selected. Node returns input table.")
        return [out]

    def execute(self, inputs: list[Any], settings: UngroupSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        s = settings
        cols, out_spec = _ungroup_plan(table.spec, s)
        if not cols:
            return [table]
        frame = table.df
        names = table.columns
        col_values = {c: frame[c].to_numpy(dtype=object) for c in names}
        rows: list[list[Any]] = []
        ids: list[str] = []
        for k, rid in enumerate(table.row_ids):
            if k % 10000 == 0:
                ctx.check_cancelled()
            present = [None if is_missing(v) else tuple(v) for v in (col_values[c][k] for c in cols)]
            for row_id, elements in _ungrouped(rid, present, s):
                rows.append(self._row(names, col_values, k, cols, elements, s))
                ids.append(row_id)
        types = {c.name: c.type for c in out_spec.columns}
        data = {
            name: typed_column([r[j] for r in rows], types[name]) for j, name in enumerate(out_spec.names)
        }
        df = pd.DataFrame(data)
        if len(rows) == 0:
            df = pd.DataFrame({n: pd.Series([], dtype=object) for n in out_spec.names})
        df.index = pd.Index(ids, dtype=object)
        return [Table(df, types)]

    @staticmethod
    def _row(
        names: list[str],
        values: dict[str, Any],
        k: int,
        cols: list[str],
        elements: list[Any],
        s: UngroupSettings,
    ) -> list[Any]:
        out: list[Any] = []
        for c in names:
            if c in cols:
                if not s.removeCollectionCol:
                    out.append(values[c][k])
                out.append(elements[cols.index(c)])
            else:
                v = values[c][k]
                out.append(None if is_missing(v) else v)
        return out


# --------------------------------------------------------------------------------------- One to Many


class OneToManySettings(NodeSettings):
    columns2Btransformed: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns to transform",
        description="Columns whose distinct values each become a 0/1 column.",
    )
    removeSources: bool = Field(
        False, title="Remove included columns", description="Drop the transformed columns."
    )


def _one_to_many_names(table: Table, cols: list[str]) -> list[tuple[str, str, str]]:
    """(source column, value text, new column name) per distinct value in first-appearance order; a
    name used twice becomes `value_column` (One2ManyCol2NodeModel)."""
    pairs = []
    for c in cols:
        t = table.types[c]
        for v in dict.fromkeys(
            cell_text(v, t) for v in table.df[c].to_numpy(dtype=object) if not is_missing(v)
        ):
            pairs.append((c, v))
    counts: dict[str, int] = {}
    for _, v in pairs:
        counts[v] = counts.get(v, 0) + 1
    taken = set(table.columns)
    out = []
    for c, v in pairs:
        name = v if counts[v] == 1 else f"{v}_{c}"
        name = unique_column_name(taken, name)
        taken.add(name)
        out.append((c, v, name))
    return out


def _one_to_many_from_knime(knime: KnimeSettings) -> None:
    raw = knime.get("columns2Btransformed")
    if isinstance(raw, dict) and "InclList" in raw:
        knime.put(
            "columns2Btransformed",
            {"included_names": list(raw.get("InclList") or []), "enforce_option": "EnforceInclusion"},
            "columns2Btransformed",
        )
    else:
        knime.take("columns2Btransformed")
    knime.take("removeSources")


class OneToMany(Node):
    type_name = "one_to_many"
    display_name = "One to Many"
    category = Category.MANIPULATOR
    description = (
        "One-hot encoding: each distinct value of the selected columns becomes an Integer column holding 1 where "
        "the row has that value, else 0 (missing cells: all 0). Columns are named after the values; a value found "
        "in two columns gives `value_column`."
    )
    keywords = ("one hot", "dummy", "binarize", "indicator", "categorical", "encode")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.columntrans2.One2ManyCol2NodeFactory",
            "One to Many",
            _one_to_many_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.columntrans.One2ManyColNodeFactory",
            "One to Many",
            _one_to_many_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Transformed table"),)
    Settings = OneToManySettings

    def configure(self, in_specs: list[Any], settings: OneToManySettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]  # the new columns are the values found in the data

    def execute(self, inputs: list[Any], settings: OneToManySettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        cols = [
            c
            for c in settings.columns2Btransformed.apply(table.spec)
            if not ColumnType.collection_kind(table.types[c])
        ]
        plan = _one_to_many_names(table, cols)
        texts = {
            c: [
                None if is_missing(v) else cell_text(v, table.types[c])
                for v in table.df[c].to_numpy(dtype=object)
            ]
            for c in cols
        }
        df = table.df.drop(columns=cols) if settings.removeSources else table.df.copy()
        new = {}
        for c, v, name in plan:
            new[name] = pd.Series([1 if t == v else 0 for t in texts[c]], index=df.index, dtype="int32")
        df = pd.concat([df, pd.DataFrame(new, index=df.index)], axis=1) if new else df
        return [table.with_frame(df, {name: ColumnType.INTEGER for _, _, name in plan})]
