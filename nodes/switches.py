"""IF Switch, End IF and the CASE switches: KNIME's branches (org.knime.base.node.switches).

The IF Switch passes its table to the top, the bottom or both outputs; the port it does not take
carries KNIME's inactive branch (engine.api.INACTIVE), so every node after it is skipped until an
End IF, which takes the table of its active input, or appends the two when both are active. A CASE
Switch does the same with one of several outputs, chosen by index.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from engine.api.knime import KnimeMapping, KnimeSettings, PortMap
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


def _appended(tables: list[Table], suffix: str | None) -> tuple[Table, int]:
    """The active branches' tables (of one structure) one after the other, RowIDs as KNIME's
    AppendedRowsTable makes them; and how many rows a repeated RowID skipped."""
    ids, keep, skipped = appended_row_ids(tables, suffix=suffix)
    df = pd.concat([t.df[k] for t, k in zip(tables, keep, strict=True)], axis=0)
    df.index = pd.Index(ids, dtype=object)
    return Table(df, dict(tables[0].types)), skipped


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
        table, skipped = _appended([top, bottom], settings.suffix if settings.append_suffix else None)
        if skipped:
            ctx.warn(f"Filtered out {skipped} duplicate RowID(s).")
        return [table]


# ------------------------------------------------------------------------------------ CASE Switch

TABLE_CLASS = "org.knime.core.node.BufferedDataTable"
MAX_CASES = 32
HandleMultiple = Literal["Merge", "Fail", "UseFirstActive"]


def _group_ports(creation: dict[str, Any], group: str) -> list[Any]:
    """The ports of one of KNIME's dynamic port groups, in order (node_creation_config)."""
    ports = creation.get(group) if creation else None
    if not isinstance(ports, dict):
        return []
    keys = sorted((k for k in ports if k.startswith("port_")), key=lambda k: int(k[5:]))
    return [ports[k] for k in keys]


def _all_tables(ports: list[Any]) -> bool:
    return all(isinstance(p, dict) and p.get("object_class") == TABLE_CLASS for p in ports)


def _same_ports(group_in: str, group_out: str) -> Any:
    """KNIME's CASE ports map one to one onto knitflow's table ports (none when they carry other kinds)."""

    def mapping(creation: dict[str, Any]) -> tuple[PortMap, PortMap]:
        ins, outs = _group_ports(creation, group_in), _group_ports(creation, group_out)
        tables = _all_tables(ins + outs)
        return (
            {i: i if tables else None for i in range(1, len(ins) + 1)},
            {i: i if tables else None for i in range(1, len(outs) + 1)},
        )

    return mapping


def _dynamic_case_ports(knime: KnimeSettings, group: str, setting: str) -> None:
    """The number of branches from the node's port configuration; CASE switches over models,
    images or flow variables are findings (knitflow's switch handles tables)."""
    creation = knime.node.creation_config if knime.node is not None else {}
    ports = _group_ports(creation, "Input") + _group_ports(creation, "Output")
    if not _all_tables(ports):
        knime.lost("a CASE switch over ports other than data tables: knitflow's CASE switches take tables")
    count = len(_group_ports(creation, group))
    if count:
        knime.put(setting, count)


class CaseSwitchStartSettings(NodeSettings):
    """KNIME's CaseStartAnyNodeModel settings."""

    PortIndex: int = Field(
        0, ge=0, title="Select active port", description="The output (from 0) that gets the table."
    )
    activate_all_outputs_during_configure: bool = Field(
        True,
        title="Activate all outputs during configuration step",
        description="Configure every branch before the run; off: the others are inactive from the start.",
    )
    output_ports: int = Field(
        3, ge=1, le=MAX_CASES, description="How many branches (output ports) the switch has."
    )


def _case_start_from_knime(knime: KnimeSettings) -> None:
    knime.take("PortIndex", transform=int)
    knime.take("activate_all_outputs_during_configure", default=False)  # absent in old workflows
    if knime.node is not None and knime.node.factory.endswith("CaseStartAnyNodeFactory"):
        _dynamic_case_ports(knime, "Output", "output_ports")


class CaseSwitchStart(Node):
    """Routes a table to one of several branches by index (often a flow variable); the others are inactive."""

    type_name = "case_switch_start"
    display_name = "CASE Switch Start"
    category = Category.OTHER
    description = (
        "Sends its table to output PortIndex (counted from 0); every other output is an inactive branch whose "
        "nodes are skipped up to a CASE Switch End."
    )
    keywords = ("case", "switch", "branch", "select", "flow control", "inactive")
    knime = (
        KnimeMapping(
            "org.knime.base.node.switches.caseswitch.any.CaseStartAnyNodeFactory",
            "CASE Switch Start",
            _case_start_from_knime,
            ports=_same_ports("Input", "Output"),
        ),
        KnimeMapping(
            "org.knime.base.node.switches.startcase.StartcaseNodeFactory",
            "CASE Switch Data (Start)",
            _case_start_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = tuple(Port(TABLE, f"Case {i}") for i in range(3))
    Settings = CaseSwitchStartSettings

    @classmethod
    def ports_for(
        cls, settings: Mapping[str, Any] | None = None
    ) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
        count = (settings or {}).get("output_ports", 3)
        if not isinstance(count, int) or not 1 <= count <= MAX_CASES or count == 3:
            return cls.inputs, cls.outputs
        return cls.inputs, tuple(Port(TABLE, f"Case {i}") for i in range(count))

    def _index(self, settings: CaseSwitchStartSettings) -> int:
        if settings.PortIndex >= len(self.outputs):
            raise ConfigureError(
                f"Invalid output port “{settings.PortIndex}” configured. Please reconfigure the node.",
                setting="PortIndex",
            )
        return settings.PortIndex

    def configure(
        self, in_specs: list[Any], settings: CaseSwitchStartSettings, ctx: NodeContext
    ) -> list[Any]:
        index = self._index(settings)
        rest = in_specs[0] if settings.activate_all_outputs_during_configure else INACTIVE
        return [in_specs[0] if i == index else rest for i in range(len(self.outputs))]

    def execute(self, inputs: list[Any], settings: CaseSwitchStartSettings, ctx: NodeContext) -> list[Any]:
        index = self._index(settings)
        return [inputs[0] if i == index else INACTIVE for i in range(len(self.outputs))]


class CaseSwitchEndSettings(NodeSettings):
    """KNIME's CaseEndAnyNodeModel settings (table mode)."""

    multipleActiveHandling: HandleMultiple = Field(
        "Merge",
        title="If multiple inputs are active",
        description="Merge: append the active tables; Fail; UseFirstActive: the top-most active one.",
    )
    append_suffix: bool = Field(
        True,
        title="Append suffix to duplicate RowIDs",
        description="When merging: else a repeated RowID's row is skipped.",
    )
    suffix: str = Field("_dup", description="The suffix.")
    input_ports: int = Field(
        3, ge=1, le=MAX_CASES, description="How many branches (input ports) the end has."
    )


def _case_end_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["multipleActiveHandling", "append_suffix", "suffix"])
    knime.unread("enable_hiliting")  # a map of the RowIDs for KNIME's hiliting; knitflow has none
    _dynamic_case_ports(knime, "Input", "input_ports")


class CaseSwitchEnd(Node):
    """Closes a CASE switch: the active branch's table goes on (or the active ones appended)."""

    type_name = "case_switch_end"
    display_name = "CASE Switch End"
    category = Category.OTHER
    description = (
        "Ends a CASE switch's branches: passes on the active input's table; with several active, appends them "
        "(RowIDs made unique by the suffix), fails, or takes the top-most, as set. All inactive: the output is "
        "inactive too."
    )
    keywords = ("case", "switch", "end", "merge branches", "flow control", "inactive")
    knime = (
        KnimeMapping(
            "org.knime.base.node.switches.caseswitch.any.CaseEndAnyNodeFactory",
            "CASE Switch End",
            _case_end_from_knime,
            ports=_same_ports("Input", "Output"),
        ),
    )
    inputs = (Port(TABLE, "Case 0"), *(Port(TABLE, f"Case {i}", optional=True) for i in range(1, 3)))
    outputs = (Port(TABLE, "The active branch's table"),)
    Settings = CaseSwitchEndSettings
    consumes_inactive = True

    @classmethod
    def ports_for(
        cls, settings: Mapping[str, Any] | None = None
    ) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
        count = (settings or {}).get("input_ports", 3)
        if not isinstance(count, int) or not 1 <= count <= MAX_CASES or count == 3:
            return cls.inputs, cls.outputs
        inputs = (Port(TABLE, "Case 0"), *(Port(TABLE, f"Case {i}", optional=True) for i in range(1, count)))
        return inputs, cls.outputs

    @staticmethod
    def _active(items: list[Any], settings: CaseSwitchEndSettings) -> list[Any]:
        active = [x for x in items if x is not None and x is not UNKNOWN and not is_inactive(x)]
        if len(active) > 1 and settings.multipleActiveHandling == "Fail":
            raise ConfigureError(
                "Multiple inputs are active - causing node to fail. You can change this behavior in the node "
                "configuration dialog.",
                setting="multipleActiveHandling",
            )
        return active if settings.multipleActiveHandling == "Merge" else active[:1]

    def configure(self, in_specs: list[Any], settings: CaseSwitchEndSettings, ctx: NodeContext) -> list[Any]:
        if settings.append_suffix and not settings.suffix:
            raise ConfigureError(f"Invalid suffix: {settings.suffix}", setting="suffix")
        if any(s is UNKNOWN for s in in_specs):
            return [UNKNOWN]
        active = self._active(in_specs, settings)
        if not active:
            return [in_specs[0]]
        if not all(_same_structure(active[0], s) for s in active[1:]):
            raise ConfigureError("The table structures of active ports are not compatible.")
        return [active[0]]

    def execute(self, inputs: list[Any], settings: CaseSwitchEndSettings, ctx: NodeContext) -> list[Any]:
        tables: list[Table] = self._active(inputs, settings)
        if not tables:
            return [inputs[0]]
        table, skipped = _appended(tables, settings.suffix if settings.append_suffix else None)
        if skipped:
            ctx.warn(f"Filtered out {skipped} duplicate row id(s).")
        return [table]


# ------------------------------------------------------------------------------ Empty Table Switch


def _empty_switch_from_knime(knime: KnimeSettings) -> None:
    knime.unread()  # EmptyTableSwitchNodeModel saves no settings


class EmptyTableSwitch(Node):
    """KNIME's Empty Table Switch: a table with rows goes to the top branch, an empty one to the bottom."""

    type_name = "empty_table_switch"
    display_name = "Empty Table Switch"
    category = Category.OTHER
    description = (
        "Routes its table by its row count: a table with rows goes to the top output and the bottom one is an "
        "inactive branch; an empty table goes to the bottom output and the top one is inactive. The nodes after "
        "an inactive output are skipped up to an End IF."
    )
    keywords = ("empty", "switch", "branch", "if empty", "no rows", "flow control", "inactive")
    knime = (
        KnimeMapping(
            "org.knime.base.node.switches.emptytableswitch.EmptyTableSwitchNodeFactory",
            "Empty Table Switch",
            _empty_switch_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (
        Port(TABLE, "Non-empty table", "The input when it has rows; else inactive."),
        Port(TABLE, "Empty table", "The input when it has no rows; else inactive."),
    )

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        return [in_specs[0], in_specs[0]]  # the row count is not known before the run

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        table = inputs[0]
        return [INACTIVE, table] if len(table) == 0 else [table, INACTIVE]
