"""Nominal Value Row Filter and Nominal Value Row Splitter (KNIME's NominalValueRowFilterNodeModel,
shared by both: the splitter is the filter with a second port for the rows that do not match).

KNIME chooses the kept values among the column's domain (its possible values, computed by a new
table for columns with at most 60 distinct values, or by a Domain Calculator); a row matches when
its cell's text is one of them, a missing cell when missing values are included. knitflow has no
domains, so the domain is the column's distinct values in order of first appearance, as for every
knitflow node that reads one (nodes/domain.py); the run warns when a column has more than 60 of
them, where KNIME's table would hold no possible values unless a node computed them.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import ConfigDict, Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._aggregation import cell_text, is_missing
from nodes._common import ColumnFilter, spec_or_none

# NominalValue cells (as nodes/domain.py reads KNIME's cell classes)
NOMINAL = frozenset({ColumnType.STRING, ColumnType.SMILES, ColumnType.BOOLEAN})
DOMAIN_LIMIT = 60  # DataContainerSettings.MAX_POSSIBLE_VALUES: a new table's possible values

NO_DOMAIN = (
    "No nominal columns with possible values found. To make nominal columns usable by this node, their "
    "domain must be calculated.For columns with few values (less than 60) this is done automatically. For "
    "more values, use the Domain Calculator node or specify the possible values manually using the Edit "
    "Nominal Domain node."
)


class ValueFilter(ColumnFilter):
    """KNIME's `NominalValueFilterConfiguration` / web-UI `StringFilter`: the same include/exclude
    lists and pattern as a column filter, applied to the column's possible values instead of to
    column names (EnforceExclusion keeps values that are in neither list)."""

    model_config = ConfigDict(json_schema_extra=None)

    def values(self, domain: list[str]) -> list[str]:
        """The chosen values among `domain` (NameFilterConfiguration.applyTo / StringFilter.filter)."""
        return self.apply(TableSpec.of([(v, ColumnType.STRING) for v in domain]))


class NominalValueRowFilterSettings(NodeSettings):
    selected_column: str | None = Field(
        None,
        title="Filter column",
        json_schema_extra=widget("column"),
        description="The column containing the nominal values to be filtered.",
    )
    filter_config: ValueFilter = Field(
        default_factory=ValueFilter,
        title="Values",
        description="The nominal values kept (KNIME's 'filter config'): included_names with EnforceInclusion, "
        "or all values but excluded_names with EnforceExclusion, or a name pattern.",
    )
    missingValueHandling: Literal["EXCLUDE", "INCLUDE"] = Field(
        "EXCLUDE",
        title="If value is missing",
        description="Whether rows with a missing cell in the filter column are kept.",
    )


class NominalValueRowSplitterSettings(NominalValueRowFilterSettings):
    missingValueHandling: Literal["LOWER", "UPPER"] = Field(  # type: ignore[assignment]
        "LOWER",
        title="If value is missing",
        description="Rows with a missing cell go to the second table (LOWER) or the first (UPPER).",
    )


def _includes_missing(s: NominalValueRowFilterSettings) -> bool:
    return s.missingValueHandling in ("INCLUDE", "UPPER")


def _check(spec: TableSpec, s: NominalValueRowFilterSettings) -> None:
    """NominalValueRowFilterNodeModel.configure's checks (a nominal column stands for one with a
    domain: knitflow's domains are the data's)."""
    if not any(c.type in NOMINAL for c in spec.columns):
        raise ConfigureError(NO_DOMAIN)
    if s.selected_column and s.selected_column not in spec:
        raise ConfigureError(
            f'The selected column "{s.selected_column}" is not present in the input table.',
            setting="selected_column",
        )


def _matches(table: Table, s: NominalValueRowFilterSettings, ctx: NodeContext) -> np.ndarray:
    """Per row: does the filter column's cell match? Without a selected column KNIME reads the first
    column with no values chosen (only missing cells can match)."""
    if len(table.columns) == 0:
        return np.zeros(len(table), dtype=bool)
    column = s.selected_column or table.columns[0]
    col_type = table.types[column]
    cells = table.df[column].to_numpy(dtype=object)
    missing = np.array([is_missing(v) for v in cells], dtype=bool)
    texts = [None if m else cell_text(v, col_type) for v, m in zip(cells, missing, strict=True)]
    chosen: set[str] = set()
    if s.selected_column and col_type in NOMINAL:
        domain = list(dict.fromkeys(t for t in texts if t is not None))
        if len(domain) > DOMAIN_LIMIT:
            ctx.warn(
                f"Column {column!r} has {len(domain)} distinct values: a KNIME table keeps possible values for "
                f"at most {DOMAIN_LIMIT} unless a Domain Calculator computed them; knitflow uses all of them"
            )
        chosen = set(s.filter_config.values(domain))
    include_missing = _includes_missing(s)
    return np.array(
        [include_missing if m else t in chosen for t, m in zip(texts, missing, strict=True)], dtype=bool
    )


def _nominal_from_knime(splitter: bool) -> Any:
    """Three layouts: `selected attributes` (before 3.4: the values kept), `filter config` (a name
    filter of values with `include_missing`, the classic dialog) and the web UI's `filter config`
    with `missingValueHandling` beside it (matching patterns the web UI's way)."""
    included, excluded = ("UPPER", "LOWER") if splitter else ("INCLUDE", "EXCLUDE")

    def translate(knime: KnimeSettings) -> None:
        knime.take("selected_column")
        web_ui = knime.get("missingValueHandling") is not None
        if knime.get("filter config") is not None:
            flt = knime.take("filter_config", "filter config")
            if web_ui and isinstance(flt, dict):
                flt["classic_pattern"] = False
            if not web_ui:
                include_missing = bool(knime.get("filter config.include_missing", False))
                knime.put(
                    "missingValueHandling",
                    included if include_missing else excluded,
                    "filter config.include_missing",
                )
        elif knime.get("selected attributes") is not None:
            knime.take(
                "filter_config",
                "selected attributes",
                transform=lambda v: {
                    "included_names": [str(x) for x in (v if isinstance(v, list) else [v])],
                    "enforce_option": "EnforceInclusion",
                },
            )
        if web_ui:
            knime.take("missingValueHandling")
        knime.unread()

    return translate


class NominalValueRowFilter(Node):
    type_name = "nominal_value_row_filter"
    display_name = "Nominal Value Row Filter"
    category = Category.MANIPULATOR
    description = (
        "Keeps the rows whose cell in the filter column is one of the chosen nominal values (chosen among the "
        "column's distinct values: listed, all but the excluded ones, or by pattern); rows with a missing cell "
        "are kept when missing values are included."
    )
    keywords = ("nominal", "filter rows", "possible values", "category", "select values")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.filter.nominal.NominalValueRowFilterNodeFactory",
            "Nominal Value Row Filter",
            _nominal_from_knime(splitter=False),
        ),
    )
    inputs = (Port(TABLE, "Data to filter", "Data that should be filtered."),)
    outputs = (Port(TABLE, "Included", "Matching rows."),)
    Settings = NominalValueRowFilterSettings

    def configure(
        self, in_specs: list[Any], settings: NominalValueRowFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        _check(spec, settings)
        return [spec]

    def execute(
        self, inputs: list[Any], settings: NominalValueRowFilterSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        _check(table.spec, settings)
        keep = _matches(table, settings, ctx)
        if not keep.any():
            ctx.warn("No rows matched!")
        return [table.take(keep)]


class NominalValueRowSplitter(Node):
    type_name = "nominal_value_row_splitter"
    display_name = "Nominal Value Row Splitter"
    category = Category.MANIPULATOR
    description = (
        "Splits the rows by the filter column's nominal value: rows whose value is one of the chosen ones go to "
        "the first table, all others to the second; rows with a missing cell go where the missing-value option "
        "says."
    )
    keywords = ("nominal", "split rows", "possible values", "category", "partition by value")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.filter.nominal.NominalValueRowSplitterNodeFactory",
            "Nominal Value Row Splitter",
            _nominal_from_knime(splitter=True),
        ),
    )
    inputs = (Port(TABLE, "Data to filter", "Data that should be split."),)
    outputs = (
        Port(TABLE, "Included", "Rows with a chosen value."),
        Port(TABLE, "Excluded", "All other rows."),
    )
    Settings = NominalValueRowSplitterSettings

    def configure(
        self, in_specs: list[Any], settings: NominalValueRowSplitterSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = spec_or_none(in_specs[0])
        if spec is None:
            return [UNKNOWN, UNKNOWN]
        _check(spec, settings)
        return [spec, spec]

    def execute(
        self, inputs: list[Any], settings: NominalValueRowSplitterSettings, ctx: NodeContext
    ) -> list[Any]:
        table: Table = inputs[0]
        _check(table.spec, settings)
        keep = _matches(table, settings, ctx)
        if keep.all():  # KNIME sets this message last: it wins for an empty table too
            ctx.warn("All rows matched! Input mirrored at out-port 0 (included)")
        elif not keep.any():
            ctx.warn("No rows matched! Input mirrored at out-port 1 (excluded)")
        return [table.take(keep), table.take(~keep)]
