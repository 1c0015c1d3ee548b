"""The loop starts KNIME users reach for first: Counting, Chunk, Group, Column List and Generic
Loop Start.

All but the Generic one know their passes before the first one runs, so they offer `plan` and
the engine may run the passes in parallel; the body sees the loop variables KNIME pushes (`currentIteration`,
`maxIterations`, and for groups the group's values and `groupIdentifier`).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Literal

import numpy as np
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    ColumnType,
    ConfigureError,
    Iteration,
    LoopStartNode,
    NodeContext,
    NodeError,
    NodeSettings,
    NoSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, PortMap
from nodes._common import ColumnFilter
from nodes._compare import SortingCriterion, sorted_positions
from nodes._java_text import java_double_to_string
from nodes._rows import is_missing

_COUNTERS = {"currentIteration": "Integer", "maxIterations": "Integer"}


def _pass_through_ports(creation: dict[str, Any]) -> tuple[PortMap, PortMap]:
    """KNIME's "Pass Through" group ("Pass through" in the Interval Loop Start) holds any number
    of ports of any kind (none by default); knitflow passes the first one on when it is a table."""
    group = (creation.get("Pass Through") or creation.get("Pass through")) if creation else None
    ports = (
        [group[k] for k in sorted((k for k in group if k.startswith("port_")), key=lambda k: int(k[5:]))]
        if isinstance(group, dict)
        else []
    )
    mapping: PortMap = {}
    for i, port in enumerate(ports, start=1):
        kind = port.get("object_class") if isinstance(port, dict) else None
        mapping[i] = 1 if i == 1 and kind == "org.knime.core.node.BufferedDataTable" else None
    return mapping, dict(mapping)


def _passes(table: Any, count: int, total: int, chunk: Any = None) -> list[Iteration]:
    return [
        Iteration([table if chunk is None else chunk(i)], {"currentIteration": i, "maxIterations": total})
        for i in range(count)
    ]


class _PlannedLoopStart(LoopStartNode):
    """A loop start whose passes are all known before the first runs: `plan` is the loop."""

    def plan(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Iteration]:
        raise NotImplementedError

    def iterations(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> Iterator[Iteration]:
        yield from self.plan(inputs, settings, ctx)


# ------------------------------------------------------------------------------- Counting Loop Start


class CountingLoopStartSettings(NodeSettings):
    """KNIME's LoopStartCountDynamicSettings (and LoopStartCountNodeModel before 4.5)."""

    loops: int = Field(10, ge=1, description="Number of loops: how many times the loop body runs.")


def _count_from_knime(knime: KnimeSettings) -> None:
    knime.take("loops")
    knime.unread()


class CountingLoopStart(_PlannedLoopStart):
    """KNIME's Counting Loop Start: a for loop that hands its input unchanged to every pass."""

    type_name = "counting_loop_start"
    display_name = "Counting Loop Start"
    description = (
        "Runs the loop body a fixed number of times. Each pass receives the input table unchanged and the "
        "Integer variables `currentIteration` (0-based) and `maxIterations`."
    )
    keywords = ("loop", "for loop", "repeat", "count", "iterate")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.LoopStartCountDynamicNodeFactory",
            "Counting Loop Start",
            _count_from_knime,
            ports=_pass_through_ports,
        ),
        KnimeMapping(
            "org.knime.base.node.meta.looper.LoopStartCountNodeFactory",
            "Counting Loop Start (legacy)",
            _count_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Pass through", "Handed unchanged to every pass.", optional=True),)
    outputs = (Port(TABLE, "Pass through", "The input, in every pass."),)
    Settings = CountingLoopStartSettings

    def loop_variables(self, in_specs: list[Any], settings: CountingLoopStartSettings) -> dict[str, str]:
        return dict(_COUNTERS)

    def configure(
        self, in_specs: list[Any], settings: CountingLoopStartSettings, ctx: NodeContext
    ) -> list[Any]:
        return [in_specs[0] if in_specs else None]

    def plan(
        self, inputs: list[Any], settings: CountingLoopStartSettings, ctx: NodeContext
    ) -> list[Iteration]:
        return _passes(inputs[0] if inputs else None, settings.loops, settings.loops)


# ---------------------------------------------------------------------------------- Chunk Loop Start


class ChunkLoopStartSettings(NodeSettings):
    """KNIME's LoopStartChunkNodeSettings."""

    mode: Literal["RowsPerChunk", "NrOfChunks"] = Field(
        "RowsPerChunk",
        description="RowsPerChunk: a fixed number of rows per pass; NrOfChunks: a fixed number of passes.",
    )
    nrRowsPerChunk: int = Field(
        1, ge=1, description="Rows per chunk (mode RowsPerChunk); 1 streams row by row."
    )
    nrOfChunks: int = Field(1, ge=1, description="Number of chunks (mode NrOfChunks).")


def _chunk_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["mode", "nrRowsPerChunk", "nrOfChunks"])
    knime.unread()


def chunk_layout(rows: int, settings: ChunkLoopStartSettings) -> tuple[int, int, int]:
    """(rows per pass, passes, `maxIterations`) as LoopStartChunkNodeModel computes them: with a
    number of chunks it reports that number even when rounded-up chunks use up the rows sooner
    (5 rows in 4 chunks: 2 + 2 + 1, maxIterations 4)."""
    if settings.mode == "NrOfChunks":
        chunks = min(settings.nrOfChunks, rows)
        if chunks == 0:
            raise NodeError(
                "the input table is empty: mode NrOfChunks cannot divide it (KNIME fails here too); use "
                "RowsPerChunk for one empty pass",
                setting="mode",
            )
        per = -(-rows // chunks)
        return per, -(-rows // per), chunks
    per = settings.nrRowsPerChunk
    return per, -(-rows // per), -(-rows // per)


class ChunkLoopStart(_PlannedLoopStart):
    """KNIME's Chunk Loop Start: consecutive slices of the input, one per pass."""

    type_name = "chunk_loop_start"
    display_name = "Chunk Loop Start"
    description = (
        "Splits the input table into consecutive chunks, one per loop pass, either of a fixed number of rows "
        "or into a fixed number of chunks (rows per chunk rounded up; fewer chunks when rows are fewer). "
        "RowIDs are kept. Variables: `currentIteration` and `maxIterations` (the number of chunks). An empty "
        "table gives one pass with an empty table."
    )
    keywords = ("loop", "chunk", "batch", "slice", "streaming", "iterate")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.chunk.LoopStartChunkNodeFactory",
            "Chunk Loop Start",
            _chunk_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "The table to cut into chunks."),)
    outputs = (Port(TABLE, "Chunk", "The rows of the current chunk."),)
    Settings = ChunkLoopStartSettings

    def loop_variables(self, in_specs: list[Any], settings: ChunkLoopStartSettings) -> dict[str, str]:
        return dict(_COUNTERS)

    def configure(self, in_specs: list[Any], settings: ChunkLoopStartSettings, ctx: NodeContext) -> list[Any]:
        return [in_specs[0]]

    def plan(self, inputs: list[Any], settings: ChunkLoopStartSettings, ctx: NodeContext) -> list[Iteration]:
        table: Table = inputs[0]
        n = len(table)
        per, count, total = chunk_layout(n, settings)
        if count == 0:  # an empty table: one pass, the loop variables as KNIME leaves them
            return [Iteration([table], {"currentIteration": 0, "maxIterations": 0})]
        return _passes(table, count, total, lambda i: table.take(np.arange(i * per, min(n, (i + 1) * per))))


# ---------------------------------------------------------------------------------- Group Loop Start


class GroupLoopStartSettings(NodeSettings):
    """KNIME's GroupLoopStartNodeSettings."""

    column_names: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="Category columns: the columns whose values identify a group (default: all columns).",
    )
    sorted_input_table: bool = Field(
        False,
        description="The input is already sorted by the category columns: skip sorting (a group that appears "
        "in two separate runs of rows is then an error).",
    )


def _group_columns(spec: TableSpec, settings: GroupLoopStartSettings) -> list[str]:
    columns = settings.column_names.apply(spec)
    if not columns:
        raise ConfigureError(
            "Select at least one column containing group information!", setting="column_names"
        )
    return columns


def _variable_type(col_type: str) -> str:
    """GroupLoopStartNodeModel.pushVariable: IntValue cells as Integer, other DoubleValue cells as
    Double, everything else as its text."""
    if col_type in (ColumnType.INTEGER, ColumnType.BOOLEAN):
        return "Integer"
    if col_type in ColumnType.NUMERIC:
        return "Double"
    return "String"


def _group_values(table: Table, row: int, columns: list[str]) -> tuple[dict[str, Any], str]:
    """The group's values as flow variables and KNIME's `groupIdentifier` (%a%b%)."""
    values: dict[str, Any] = {}
    texts = []
    for name in columns:
        value = table.df[name].iat[row]
        kind = _variable_type(table.types[name])
        if is_missing(value):
            texts.append("?")
            values[name] = ""  # a missing cell's type is neither IntValue nor DoubleValue
            continue
        if table.types[name] == ColumnType.DOUBLE:
            texts.append(java_double_to_string(float(value)))
        elif table.types[name] == ColumnType.BOOLEAN:
            texts.append("true" if value else "false")
        else:
            texts.append(str(value))
        if kind == "Integer":
            values[name] = int(value)
        elif kind == "Double":
            values[name] = float(value)
        else:
            values[name] = texts[-1]
    return values, "%" + "%".join(texts) + "%"


def _group_starts(table: Table, order: np.ndarray, columns: list[str]) -> list[int]:
    """Positions in `order` where a new group begins (a value differs from the row before)."""
    if not len(order):
        return []
    change = np.zeros(len(order), dtype=bool)
    change[0] = True
    for name in columns:
        series = table.df[name].iloc[order]
        missing = series.isna().to_numpy()
        values = series.to_numpy(dtype=object)
        differs = np.array([not (a == b) for a, b in zip(values[1:], values[:-1], strict=True)], dtype=bool)
        differs &= ~(missing[1:] & missing[:-1])
        differs |= missing[1:] != missing[:-1]
        change[1:] |= differs
    return [int(i) for i in np.flatnonzero(change)]


def _group_from_knime(knime: KnimeSettings) -> None:
    """The node's settings hold one column filter (the category columns) and one boolean (whether
    the input is sorted), under GroupLoopStartConfigKeys; both are recognised by their shape."""
    filters = [k for k, v in knime.tree.items() if isinstance(v, dict) and "filter-type" in v]
    flags = [k for k, v in knime.tree.items() if isinstance(v, bool) and "sort" in k.lower()]
    if len(filters) != 1:
        knime.unreadable(f"expected one column filter among the settings, found {len(filters)}")
        return
    knime.take("column_names", filters[0])
    if len(flags) == 1:
        knime.take("sorted_input_table", flags[0])
    knime.unread()


class GroupLoopStart(_PlannedLoopStart):
    """KNIME's Group Loop Start: one pass per group of rows with equal values in the category columns."""

    type_name = "group_loop_start"
    display_name = "Group Loop Start"
    description = (
        "Runs the loop body once per group: the rows sharing the values of the category columns. The input "
        "is sorted by those columns first (ascending, missing values first) unless it is declared sorted. "
        "Each pass sees `currentIteration`, one variable per category column holding the group's value "
        "(Integer for Integer and Boolean columns, Double for other numbers, else String) and "
        "`groupIdentifier` (the values joined as %a%b%)."
    )
    keywords = ("loop", "group", "for each group", "category", "iterate")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.group.GroupLoopStartNodeFactory",
            "Group Loop Start",
            _group_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "The rows to group."),)
    outputs = (Port(TABLE, "Group", "The rows of the current group."),)
    Settings = GroupLoopStartSettings

    def loop_variables(self, in_specs: list[Any], settings: GroupLoopStartSettings) -> dict[str, str] | None:
        spec = in_specs[0] if in_specs else None
        if not isinstance(spec, TableSpec):
            return None
        columns = settings.column_names.apply(spec)
        return {
            "currentIteration": "Integer",
            **{c: _variable_type(spec.type_of(c)) for c in columns},
            "groupIdentifier": "String",
        }

    def configure(self, in_specs: list[Any], settings: GroupLoopStartSettings, ctx: NodeContext) -> list[Any]:
        if isinstance(in_specs[0], TableSpec):
            _group_columns(in_specs[0], settings)
        return [in_specs[0]]

    def plan(self, inputs: list[Any], settings: GroupLoopStartSettings, ctx: NodeContext) -> list[Iteration]:
        table: Table = inputs[0]
        columns = _group_columns(table.spec, settings)
        if not len(table):
            defaults = {
                c: {"Integer": 0, "Double": 0.0}.get(_variable_type(table.types[c]), "") for c in columns
            }
            return [Iteration([table], {"currentIteration": 0, **defaults, "groupIdentifier": ""})]
        if settings.sorted_input_table:
            order = np.arange(len(table))
        else:
            criteria = [SortingCriterion(column=c, string_comparison="LEXICOGRAPHIC") for c in columns]
            order = sorted_positions(table, criteria, missing_to_end=False)
        starts = _group_starts(table, order, columns)
        bounds = [*starts, len(order)]
        passes = []
        seen: set[str] = set()
        for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            values, identifier = _group_values(table, int(order[a]), columns)
            if identifier in seen:
                raise NodeError(
                    f"Input table is not sorted by the category columns: group {identifier} occurs twice "
                    "(turn off sorted_input_table)",
                    setting="sorted_input_table",
                )
            seen.add(identifier)
            rows = table.take(order[a:b])
            passes.append(Iteration([rows], {"currentIteration": i, **values, "groupIdentifier": identifier}))
        return passes


# -------------------------------------------------------------------------------- Generic Loop Start


def _no_settings(knime: KnimeSettings) -> None:
    knime.unread()


class GenericLoopStart(LoopStartNode):
    """KNIME's Generic Loop Start: a while loop whose end (Variable Condition Loop End) decides when to stop."""

    type_name = "generic_loop_start"
    display_name = "Generic Loop Start"
    description = (
        "Runs the loop body again and again, handing it the input unchanged and the Integer variable "
        "`currentIteration`, until a Variable Condition Loop End finds its condition met."
    )
    keywords = ("loop", "while", "until", "repeat", "condition")
    open_ended = True
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.condition.LoopStartGenericDynamicNodeFactory",
            "Generic Loop Start",
            _no_settings,
            ports=_pass_through_ports,
        ),
        KnimeMapping(
            "org.knime.base.node.meta.looper.condition.LoopStartGenericNodeFactory",
            "Generic Loop Start (legacy)",
            _no_settings,
        ),
    )
    inputs = (Port(TABLE, "Pass through", "Handed unchanged to every pass.", optional=True),)
    outputs = (Port(TABLE, "Pass through", "The input, in every pass."),)
    Settings = NoSettings

    def loop_variables(self, in_specs: list[Any], settings: NoSettings) -> dict[str, str]:
        return {"currentIteration": "Integer"}

    def configure(self, in_specs: list[Any], settings: NoSettings, ctx: NodeContext) -> list[Any]:
        return [in_specs[0] if in_specs else None]

    def iterations(self, inputs: list[Any], settings: NoSettings, ctx: NodeContext) -> Iterator[Iteration]:
        table = inputs[0] if inputs else None
        i = 0
        while True:
            yield Iteration([table], {"currentIteration": i})
            i += 1


# ---------------------------------------------------------------------------- Column List Loop Start


class ColumnListLoopStartSettings(NodeSettings):
    """KNIME's ColumnListLoopStartNodeParameters."""

    column_filter: ColumnFilter = Field(
        default_factory=ColumnFilter,
        description="Included columns: one pass each; excluded columns are passed to every pass.",
    )
    no_columns_policy: Literal["RUN_ONE_ITERATION", "FAIL"] = Field(
        "RUN_ONE_ITERATION",
        description="No included column: run one pass with all columns, or fail.",
    )


def _column_list_from_knime(knime: KnimeSettings) -> None:
    """`column-filter` (NameFilterConfiguration) and `no_columns_policy` (a boolean: true is
    RUN_ONE_ITERATION; absent before it was added)."""
    knime.take("column_filter", "column-filter")
    knime.take("no_columns_policy", transform=lambda run_one: "RUN_ONE_ITERATION" if run_one else "FAIL")
    knime.unread()


class ColumnListLoopStart(_PlannedLoopStart):
    """KNIME's Column List Loop Start: one pass per included column."""

    type_name = "column_list_loop_start"
    display_name = "Column List Loop Start"
    description = (
        "Runs the loop body once per included column: each pass gets the excluded columns plus that one "
        "column (in input order), and the variables `currentColumnName`, `currentIteration` and "
        "`maxIterations`. With no included column it runs one pass with all columns, or fails."
    )
    keywords = ("loop", "column", "for each column", "iterate")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.columnlist2.ColumnListLoopStartNodeFactory",
            "Column List Loop Start",
            _column_list_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "The table whose columns are iterated."),)
    outputs = (Port(TABLE, "Filtered columns", "The static columns and the current one."),)
    Settings = ColumnListLoopStartSettings

    def loop_variables(self, in_specs: list[Any], settings: ColumnListLoopStartSettings) -> dict[str, str]:
        return {"currentColumnName": "String", **_COUNTERS}

    def _included(self, spec: TableSpec, settings: ColumnListLoopStartSettings) -> list[str]:
        included = settings.column_filter.apply(spec)
        if not included and settings.no_columns_policy == "FAIL":
            raise ConfigureError("No columns selected to loop over", setting="column_filter")
        return included

    def configure(
        self, in_specs: list[Any], settings: ColumnListLoopStartSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        included = self._included(spec, settings)
        if not included:
            return [spec]
        first = included[0]
        return [spec.select([c for c in spec.names if c not in included or c == first])]

    def plan(
        self, inputs: list[Any], settings: ColumnListLoopStartSettings, ctx: NodeContext
    ) -> list[Iteration]:
        table: Table = inputs[0]
        included = self._included(table.spec, settings)
        if not included:
            return [Iteration([table], {"currentIteration": 0, "maxIterations": 1})]
        passes = []
        for i, column in enumerate(included):
            keep = [c for c in table.columns if c not in included or c == column]
            part = Table(table.df[keep], {c: table.types[c] for c in keep})
            variables = {"currentColumnName": column, "currentIteration": i, "maxIterations": len(included)}
            passes.append(Iteration([part], variables))
        return passes


# ------------------------------------------------------------------------------- Interval Loop Start

IntervalVariableType = Literal["DOUBLE", "LONG", "INTEGER"]


class IntervalLoopStartSettings(NodeSettings):
    """KNIME's LoopStartIntervalDynamicSettings (and LoopStartIntervalSettings before 4.5)."""

    from_: float = Field(0.0, alias="from", description="The loop variable's first value.")
    to: float = Field(1.0, description="The last value: the loop runs while the value has not passed it.")
    step: float = Field(0.01, description="Added to the value after every pass (negative: counts down).")
    prefix: str = Field("loop_", description="Prefix of the variables `<prefix>from/to/step/value`.")
    variable_type: IntervalVariableType = Field(
        "DOUBLE", description="The variables' type: DOUBLE, LONG or INTEGER (values rounded)."
    )
    truncate_step: bool = Field(
        False,
        description="The node before KNIME 4.5 (integerLoop): the Integer `step` variable is the step "
        "truncated towards zero instead of rounded.",
    )


def _interval_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["from", "to", "step", "prefix", "variableType"])
    knime.unread()


def _legacy_interval_from_knime(knime: KnimeSettings) -> None:
    """LoopStartIntervalSettings: `integerLoop` instead of a type."""
    knime.take_all(["from", "to", "step", "prefix"])
    if "prefix" not in knime.tree:
        knime.note("no variable prefix saved (an old workflow): KNIME's default loop_ is used")
    if (
        knime.take("variable_type", "integerLoop", transform=lambda b: "INTEGER" if b else "DOUBLE")
        == "INTEGER"
    ):
        knime.put("truncate_step", True)
    knime.unread()


def _java_round(value: float) -> int:
    """Math.round: the closest integer, halves towards positive infinity."""
    return int(np.floor(value + 0.5))


def _check_interval(settings: IntervalLoopStartSettings) -> None:
    if settings.from_ > settings.to and settings.step > 0:
        raise ConfigureError("From must be smaller than to if step size is positive.", setting="step")
    if settings.from_ < settings.to and settings.step < 0:
        raise ConfigureError("From must be bigger than to if step size is negative.", setting="step")
    if settings.step == 0:
        raise ConfigureError("Step size is zero, this will lead to an endless loop", setting="step")


class IntervalLoopStart(_PlannedLoopStart):
    """KNIME's Interval Loop Start: a for loop over from, from + step, ... up to and including to."""

    type_name = "interval_loop_start"
    display_name = "Interval Loop Start"
    description = (
        "Runs the loop body once for every value from `from` in steps of `step` while the value has not passed "
        "`to` (both ends included; a negative step counts down). Each pass gets the input unchanged and the "
        "variables `<prefix>from`, `<prefix>to`, `<prefix>step` and `<prefix>value` (Double, Long or Integer; "
        "values summed in decimal, as KNIME's BigDecimal, so 0.1 steps stay exact)."
    )
    keywords = ("loop", "interval", "for loop", "range", "step", "parameter sweep", "iterate")
    knime = (
        KnimeMapping(
            "org.knime.base.node.meta.looper.LoopStartIntervalDynamicNodeFactory",
            "Interval Loop Start",
            _interval_from_knime,
            ports=_pass_through_ports,
        ),
        KnimeMapping(
            "org.knime.base.node.meta.looper.LoopStartIntervalNodeFactory",
            "Interval Loop Start (legacy)",
            _legacy_interval_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Pass through", "Handed unchanged to every pass.", optional=True),)
    outputs = (Port(TABLE, "Pass through", "The input, in every pass."),)
    Settings = IntervalLoopStartSettings

    def loop_variables(self, in_specs: list[Any], settings: IntervalLoopStartSettings) -> dict[str, str]:
        kind = {"DOUBLE": "Double", "LONG": "Long", "INTEGER": "Integer"}[settings.variable_type]
        return {f"{settings.prefix}{k}": kind for k in ("from", "to", "step", "value")}

    def configure(
        self, in_specs: list[Any], settings: IntervalLoopStartSettings, ctx: NodeContext
    ) -> list[Any]:
        _check_interval(settings)
        return [in_specs[0] if in_specs else None]

    def _variables(self, settings: IntervalLoopStartSettings, value: float) -> dict[str, Any]:
        p, kind = settings.prefix, settings.variable_type
        numbers = {"from": settings.from_, "to": settings.to, "step": settings.step, "value": value}
        if kind == "DOUBLE":
            return {p + k: float(v) for k, v in numbers.items()}
        out = {}
        for k, v in numbers.items():
            n = int(v) if k == "step" and settings.truncate_step else _java_round(v)
            if kind == "INTEGER" and not settings.truncate_step and not -(2**31) <= n < 2**31:
                raise NodeError("Could not save current value in an integer. Please choose a different type")
            out[p + k] = n
        return out

    def plan(
        self, inputs: list[Any], settings: IntervalLoopStartSettings, ctx: NodeContext
    ) -> list[Iteration]:
        _check_interval(settings)
        table = inputs[0] if inputs else None
        step = Decimal(java_double_to_string(settings.step))
        value = settings.from_
        up = settings.step > 0
        passes = []
        while (value <= settings.to) if up else (value >= settings.to):
            passes.append(Iteration([table], self._variables(settings, value)))
            following = float(Decimal(java_double_to_string(value)) + step)
            if following == value:
                raise NodeError(
                    "Value did not change after adding step value! This is probably due to rounding errors. "
                    f"Please change your 'from', 'to' or 'step' values (current value={value}, step={settings.step})."
                )
            value = following
        return passes
