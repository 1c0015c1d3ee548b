"""IF Switch and End IF: KNIME's branches (org.knime.base.node.switches.manualif, endif).

The IF Switch passes its table to the top, the bottom or both outputs; the port it does not take
carries KNIME's inactive branch (engine.api.INACTIVE), so every node after it is skipped until an
End IF, which takes the table of its active input, or appends the two when both are active.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import Field

from engine.api import (
    INACTIVE,
    TABLE,
    UNKNOWN,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    is_inactive,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._rows import appended_row_ids

# ------------------------------------------------------------------------------------- IF Switch

ActivePort = Literal["both", "top", "bottom"]


class IfSwitchSettings(NodeSettings):
    """KNIME's ManualIfNodeModel settings; PortChoice is usually bound to a flow variable."""

    PortChoice: ActivePort = Field(
        "both", title="Select active port", description="Which output gets the table: top, bottom or both."
    )
    activate_all_outputs_during_configure: bool = Field(
        True,
        title="Activate all outputs during configuration step",
        description="Configure both branches before the run (their nodes are checked); off: the branch not "
        "chosen is inactive from the start.",
    )


def _if_switch_from_knime(knime: KnimeSettings) -> None:
    choice = knime.get("PortChoice")
    # ManualIfNodeParameters.PortChoice.fromValue: an unknown value means both
    knime.put("PortChoice", choice if choice in ("top", "bottom") else "both", "PortChoice")
    knime.take("activate_all_outputs_during_configure", default=False)  # absent before KNIME 2.12


def _branches(obj: Any, choice: str) -> list[Any]:
    return [INACTIVE if choice == "bottom" else obj, INACTIVE if choice == "top" else obj]


class IfSwitch(Node):
    """Routes a table to one of two branches; the other branch's nodes are skipped."""

    type_name = "if_switch"
    display_name = "IF Switch"
    category = Category.OTHER
    description = (
        "Sends its table to the top, the bottom or both outputs (PortChoice, usually bound to a flow variable). "
        "An output not chosen is an inactive branch: the nodes after it are not executed, up to an End IF."
    )
    keywords = ("if", "switch", "branch", "condition", "flow control", "inactive")
    knime = (
        KnimeMapping(
            "org.knime.base.node.switches.manualif.ManualIfNodeFactory", "IF Switch", _if_switch_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Top branch"), Port(TABLE, "Bottom branch"))
    Settings = IfSwitchSettings

    def configure(self, in_specs: list[Any], settings: IfSwitchSettings, ctx: NodeContext) -> list[Any]:
        if settings.activate_all_outputs_during_configure:
            return [in_specs[0], in_specs[0]]
        return _branches(in_specs[0], settings.PortChoice)

    def execute(self, inputs: list[Any], settings: IfSwitchSettings, ctx: NodeContext) -> list[Any]:
        return _branches(inputs[0], settings.PortChoice)


# ---------------------------------------------------------------------------------------- End IF


class EndIfSettings(NodeSettings):
    """KNIME's EndifNodeModel settings."""

    append_suffix: bool = Field(
        True,
        title="Append suffix to duplicate RowIDs",
        description="When both branches are active: a RowID of the bottom table that the top one has gets the "
        "suffix (else its row is skipped).",
    )
    suffix: str = Field("_dup", description="The suffix.")


def _end_if_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["append_suffix", "suffix"])
    knime.unread("enable_hiliting")  # a map of the RowIDs for KNIME's hiliting; knitflow has none


def _same_structure(a: TableSpec, b: TableSpec) -> bool:
    """DataTableSpec.equalStructure: the same column names and types in the same order."""
    return [(c.name, c.type) for c in a.columns] == [(c.name, c.type) for c in b.columns]


def _end_if_spec(top: Any, bottom: Any) -> Any:
    if is_inactive(top):
        return bottom
    if is_inactive(bottom):
        return top
    if isinstance(top, TableSpec) and isinstance(bottom, TableSpec):
        if not _same_structure(top, bottom):
            raise ConfigureError("The structures of both active input data tables are not compatible.")
        return top
    return UNKNOWN


class EndIf(Node):
    """Closes an IF Switch's branches: the active one's table goes on."""

    type_name = "end_if"
    display_name = "End IF"
    category = Category.OTHER
    description = (
        "Ends the branches of an IF Switch: passes on the table of the active input, or appends the bottom "
        "table to the top one when both are active (the same columns; a repeated RowID gets the suffix or is "
        "skipped). With both inputs inactive, its output is inactive too."
    )
    keywords = ("end if", "switch", "branch", "merge branches", "flow control", "inactive")
    knime = (
        KnimeMapping("org.knime.base.node.switches.endif.EndifNodeFactory", "End IF", _end_if_from_knime),
    )
    inputs = (Port(TABLE, "Top branch"), Port(TABLE, "Bottom branch"))
    outputs = (Port(TABLE, "The active branch's table"),)
    Settings = EndIfSettings
    consumes_inactive = True

    def configure(self, in_specs: list[Any], settings: EndIfSettings, ctx: NodeContext) -> list[Any]:
        if settings.append_suffix and not settings.suffix:
            raise ConfigureError(f"Invalid suffix: {settings.suffix}", setting="suffix")
        return [_end_if_spec(in_specs[0], in_specs[1])]

    def execute(self, inputs: list[Any], settings: EndIfSettings, ctx: NodeContext) -> list[Any]:
        top, bottom = inputs
        if is_inactive(top) or is_inactive(bottom):
            return [bottom if is_inactive(top) else top]
        ids, keep, skipped = appended_row_ids(
            [top, bottom], suffix=settings.suffix if settings.append_suffix else None
        )
        df = pd.concat([top.df[keep[0]], bottom.df[keep[1]]], axis=0)
        df.index = pd.Index(ids, dtype=object)
        if skipped:
            ctx.warn(f"Filtered out {skipped} duplicate RowID(s).")
        return [Table(df, dict(top.types))]
