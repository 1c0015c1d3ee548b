"""Domain Calculator: KNIME's recomputation of column domains, a pass-through in knitflow.

KNIME keeps a domain in each column's spec (possible values of nominal columns, lower and upper
bounds) and nodes read it instead of the data. knitflow has no domains: tables carry names and
types only, and a node that needs a domain takes it from the data it gets (possible values in
order of first appearance, bounds from the values), which is what KNIME computes for a new table
(DataTableDomainCreator, at most 60 possible values; the Decision Tree Learner keeps that limit).
So the node passes its table through unchanged, and what it does in KNIME is checked rather than
done:

* the column selections are validated as KNIME's configure does (an included column missing
  from the input fails when the possible-values filter enforces inclusion; KNIME tests that
  filter's option for the min/max panel too, and so does knitflow);
* recomputing the selected columns' domains from the data is what knitflow's nodes assume
  anyway; `max_poss_values` other than 60 changes which columns keep possible values only for
  some data, so the run warns when a selected nominal column's count of distinct values lies
  between the two limits;
* dropping the domains of the columns not selected (`*_unselected_retain` = false) cannot be
  represented: it is a finding at import, and a warning when the run has such columns.

Keeping an unselected column's domain as the input had it is knitflow's behaviour everywhere (a
domain KNIME left stale after a row filter is, in knitflow, always the data's).
"""

from __future__ import annotations

from typing import Any

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
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import ColumnFilter
from nodes._java_hash import copied_string_set_order
from nodes._java_text import short_string_from

DEFAULT_MAX_POSSIBLE_VALUES = 60  # DataContainerSettings.MAX_POSSIBLE_VALUES: a new table's limit
_NOMINAL = frozenset({ColumnType.STRING, ColumnType.SMILES, ColumnType.BOOLEAN})  # NominalValue cells
_KEYS = (
    "colFilter_possVals",
    "colFilter_minMax",
    "max_poss_values",
    "possible_values_unselected_retain",
    "min_max_unselected_retain",
)


class DomainCalculatorSettings(NodeSettings):
    """KNIME's DomainNodeModel settings (the web UI's DomainNodeParameters keep the same keys)."""

    colFilter_possVals: ColumnFilter = Field(
        default_factory=ColumnFilter, description="The columns whose possible values are recomputed."
    )
    colFilter_minMax: ColumnFilter = Field(
        default_factory=ColumnFilter, description="The columns whose lower and upper bounds are recomputed."
    )
    max_poss_values: int = Field(
        DEFAULT_MAX_POSSIBLE_VALUES,
        description="A column with more distinct values keeps none as possible values; negative: no limit.",
    )
    possible_values_unselected_retain: bool = Field(
        True, description="Keep the possible values of the other columns (false: KNIME drops them)."
    )
    min_max_unselected_retain: bool = Field(
        True, description="Keep the bounds of the other columns (false: KNIME drops them)."
    )


def _domain_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(list(_KEYS))
    for key, what in (
        ("possible_values_unselected_retain", "possible values"),
        ("min_max_unselected_retain", "lower and upper bounds"),
    ):
        if knime.get(key) is False:
            knime.lost(
                f"{key} = false: KNIME drops the {what} of the columns not selected; knitflow has no column "
                "domains (its nodes take them from the data)"
            )
    knime.unread()


def _check(spec: TableSpec, settings: DomainCalculatorSettings, cls: type[NodeError]) -> None:
    """DomainNodeModel.configure: both panels are tested with the possible-values filter's option."""
    if settings.colFilter_possVals.enforce_option != "EnforceInclusion":
        return
    for flt, panel, setting in (
        (settings.colFilter_possVals, "possible value", "colFilter_possVals"),
        (settings.colFilter_minMax, "Min/Max value", "colFilter_minMax"),
    ):
        missing = flt.removed_from_includes(spec)
        if missing:
            raise cls(
                f"Input table does not contain the following column(s) selected in the {panel} panel: "
                + short_string_from(copied_string_set_order(missing)),
                setting=setting,
            )


def _limit_warnings(table: Table, settings: DomainCalculatorSettings) -> list[str]:
    """Selected nominal columns whose distinct values KNIME keeps (or drops) where a new table's
    default limit, which knitflow's nodes follow, would do the opposite."""
    limit = settings.max_poss_values if settings.max_poss_values >= 0 else None
    dropped, kept = [], []
    for name in settings.colFilter_possVals.apply(table.spec, allowed_types=_NOMINAL):
        count = int(table.column(name).nunique(dropna=True))
        over_limit = limit is not None and count > limit
        if over_limit and count <= DEFAULT_MAX_POSSIBLE_VALUES:
            dropped.append(name)
        elif not over_limit and count > DEFAULT_MAX_POSSIBLE_VALUES:
            kept.append(name)
    warnings = []
    if dropped:
        warnings.append(
            f"KNIME keeps no possible values for {', '.join(dropped)} (more than {limit} distinct values); "
            "knitflow's nodes take them from the data"
        )
    if kept:
        warnings.append(
            f"KNIME keeps all possible values of {', '.join(kept)} (more than {DEFAULT_MAX_POSSIBLE_VALUES}); "
            "knitflow's Decision Tree Learner treats such a column as having none, as for a new KNIME table"
        )
    return warnings


def _drop_warnings(spec: TableSpec, settings: DomainCalculatorSettings) -> list[str]:
    """Columns whose domain KNIME drops because they are not selected."""
    warnings = []
    for flt, retain, what in (
        (settings.colFilter_possVals, settings.possible_values_unselected_retain, "possible values"),
        (settings.colFilter_minMax, settings.min_max_unselected_retain, "lower and upper bounds"),
    ):
        if retain:
            continue
        chosen = set(flt.apply(spec))
        others = [n for n in spec.names if n not in chosen]
        if others:
            warnings.append(
                f"KNIME drops the {what} of {', '.join(others)}; knitflow's nodes take them from the data"
            )
    return warnings


class DomainCalculator(Node):
    type_name = "domain_calculator"
    display_name = "Domain Calculator"
    category = Category.MANIPULATOR
    description = (
        "KNIME's recomputation of column domains (possible values, lower and upper bounds). knitflow tables "
        "carry no domains and its nodes always take them from the data, so the table passes through unchanged; "
        "the column selections are checked, and the run warns where KNIME's domains would differ."
    )
    keywords = ("domain", "possible values", "min max", "bounds", "nominal values", "spec", "metadata")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.domain.dialog2.DomainNodeFactory",
            "Domain Calculator",
            _domain_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "The input table (KNIME: with recomputed domains)"),)
    Settings = DomainCalculatorSettings

    def configure(
        self, in_specs: list[Any], settings: DomainCalculatorSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _check(spec, settings, ConfigureError)
        return [spec]

    def execute(self, inputs: list[Any], settings: DomainCalculatorSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        _check(table.spec, settings, NodeError)
        for warning in _limit_warnings(table, settings) + _drop_warnings(table.spec, settings):
            ctx.warn(warning)
        return [table]
