"""KNIME's try-catch scopes: a Try node opens one, a Catch Errors node closes it
(org.knime.base.node.flowcontrol.trycatch).

A node that fails between them does not fail the run: the engine leaves its branch inactive and
hands its failure down that branch (engine.api.FailedBranch). The Catch node then passes its
second input ("Default input") on instead of the first and pushes the String variables
FailingNode, FailingNodeMessage, FailingNodeDetails and FailingNodeStackTrace, as
GenericCatchNodeModel does; with "always populate" it pushes the configured defaults when nothing
failed. Variables made inside the scope stay visible after it (KNIME's "propagate variables",
its default since 4.4; the older behaviour of dropping them is a finding at import).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from engine.api import (
    INACTIVE,
    TABLE,
    UNKNOWN,
    VARIABLES,
    Category,
    Node,
    NodeContext,
    NodeSettings,
    Port,
    caught_failure,
    is_inactive,
)
from engine.api.knime import KnimeMapping, KnimeSettings

FAILING_NODE, FAILING_MESSAGE = "FailingNode", "FailingNodeMessage"
FAILING_DETAILS, FAILING_STACKTRACE = "FailingNodeDetails", "FailingNodeStackTrace"


class TrySettings(NodeSettings):
    pass


class _Try(Node):
    """Passes its input on and opens the try-catch scope."""

    category = Category.OTHER
    keywords = ("try", "catch", "error handling", "scope", "fail")
    opens_try_scope = True
    Settings = TrySettings

    def configure(self, in_specs: list[Any], settings: TrySettings, ctx: NodeContext) -> list[Any]:
        return [in_specs[0]]

    def execute(self, inputs: list[Any], settings: TrySettings, ctx: NodeContext) -> list[Any]:
        return [inputs[0]]


class TryData(_Try):
    type_name = "try_data"
    display_name = "Try (Data Ports)"
    description = (
        "Start of a try-catch scope: passes its table on. A node failing between here and a Catch Errors node "
        "leaves its branch inactive instead of failing the workflow, and the Catch node takes its default input."
    )
    knime = (
        KnimeMapping(
            "org.knime.base.node.flowcontrol.trycatch.generictry.DataPortTryNodeFactory", "Try (Data Ports)"
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table", "The input, unchanged."),)


class TryVariables(_Try):
    type_name = "try_variables"
    display_name = "Try (Variable Ports)"
    description = (
        "Start of a try-catch scope on a flow-variable connection. A node failing between here and a Catch "
        "Errors node leaves its branch inactive instead of failing the workflow."
    )
    knime = (
        KnimeMapping(
            "org.knime.base.node.flowcontrol.trycatch.generictry.VariablePortTryNodeFactory",
            "Try (Variable Ports)",
        ),
    )
    inputs = (Port(VARIABLES, "Flow variables", optional=True),)
    outputs = (Port(VARIABLES, "Flow variables"),)

    def configure(self, in_specs: list[Any], settings: TrySettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: TrySettings, ctx: NodeContext) -> list[Any]:
        return [None]


class CatchSettings(NodeSettings):
    """KNIME's GenericCatchNodeModel settings, under their KNIME keys."""

    CFG_ALWAYS_POPULATE: bool = Field(
        False,
        description="Push the four Failing* variables (with the defaults below) also when nothing failed.",
    )
    CFG_DEFAULT_TEXT_VARIABLE: str = Field("none", description="Default of FailingNode.")
    CFG_DEFAULT_TEXT_MESSAGE: str = Field("none", description="Default of FailingNodeMessage.")
    CFG_DEFAULT_TEXT_DETAILS: str = Field("none", description="Default of FailingNodeDetails.")
    CFG_DEFAULT_STACK_TRACE: str = Field("none", description="Default of FailingNodeStackTrace.")


def _defaults(settings: CatchSettings) -> dict[str, str]:
    return {
        FAILING_NODE: settings.CFG_DEFAULT_TEXT_VARIABLE,
        FAILING_MESSAGE: settings.CFG_DEFAULT_TEXT_MESSAGE,
        FAILING_DETAILS: settings.CFG_DEFAULT_TEXT_DETAILS,
        FAILING_STACKTRACE: settings.CFG_DEFAULT_STACK_TRACE,
    }


class _Catch(Node):
    """End of a try-catch scope: the first input if its branch ran, else the second."""

    category = Category.OTHER
    keywords = ("catch", "try", "error handling", "scope", "fail", "FailingNode")
    consumes_inactive = True
    closes_try_scope = True
    Settings = CatchSettings

    def configure_variables(self, in_specs: list[Any], settings: CatchSettings) -> dict[str, str] | None:
        # with "always populate" the four variables always exist; otherwise only after a failure
        return {name: "String" for name in _defaults(settings)} if settings.CFG_ALWAYS_POPULATE else None

    def configure(self, in_specs: list[Any], settings: CatchSettings, ctx: NodeContext) -> list[Any]:
        chosen = in_specs[1] if is_inactive(in_specs[0]) else in_specs[0]
        return [chosen, UNKNOWN]

    def execute(self, inputs: list[Any], settings: CatchSettings, ctx: NodeContext) -> list[Any]:
        original, default = inputs
        if not is_inactive(original):
            if settings.CFG_ALWAYS_POPULATE:
                self._push(_defaults(settings), ctx)
            return [original, None]
        failure = caught_failure([original])
        if failure is not None:
            ctx.log(f"caught the failure of {failure.node}: {failure.message}")
            values = {
                FAILING_NODE: failure.node,
                FAILING_MESSAGE: failure.message,
                FAILING_DETAILS: failure.details,
                FAILING_STACKTRACE: failure.stacktrace,
            }
            self._push(values, ctx)
        elif settings.CFG_ALWAYS_POPULATE:
            self._push(_defaults(settings), ctx)
        return [INACTIVE if default is None else default, None]

    @staticmethod
    def _push(values: dict[str, str], ctx: NodeContext) -> None:
        for name, value in values.items():
            ctx.push_variable(name, value, "String")


def _catch_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    knime.take_all(["CFG_ALWAYS_POPULATE", "CFG_DEFAULT_TEXT_VARIABLE", "CFG_DEFAULT_TEXT_MESSAGE"])
    knime.take_all(["CFG_DEFAULT_STACK_TRACE"])
    if "CFG_DEFAULT_TEXT_DETAILS" in tree:
        knime.take("CFG_DEFAULT_TEXT_DETAILS")
    elif "CFG_DEFAULT_TEXT_MESSAGE" in tree:  # before 5.4 the details default to the message default
        knime.put("CFG_DEFAULT_TEXT_DETAILS", tree["CFG_DEFAULT_TEXT_MESSAGE"], "CFG_DEFAULT_TEXT_MESSAGE")
    if not tree.get("CFG_PROPAGATE_VARIABLES", False):  # absent before 4.4, meaning false
        knime.lost(
            "variables made inside the try-catch scope are dropped at its end in this KNIME node (propagate "
            "variables off); knitflow's Catch keeps them"
        )
    knime.unread("CFG_PROPAGATE_VARIABLES")


class CatchData(_Catch):
    type_name = "catch_data"
    display_name = "Catch Errors (Data Ports)"
    description = (
        "End of a try-catch scope: passes the first table on if its branch ran, else the second (the default) "
        "and the failure as the String variables FailingNode, FailingNodeMessage, FailingNodeDetails and "
        "FailingNodeStackTrace."
    )
    knime = (
        KnimeMapping(
            "org.knime.base.node.flowcontrol.trycatch.genericcatch.DataPortCatchNodeFactory",
            "Catch Errors (Data Ports)",
            _catch_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Original input"), Port(TABLE, "Default input"))
    outputs = (
        Port(TABLE, "Output", "The original input, or the default if the branch failed."),
        Port(VARIABLES, "Failure", "The failure's variables."),
    )


class CatchVariables(_Catch):
    type_name = "catch_variables"
    display_name = "Catch Errors (Var Ports)"
    description = (
        "End of a try-catch scope on flow-variable connections: the failure, if the branch failed, as the String "
        "variables FailingNode, FailingNodeMessage, FailingNodeDetails and FailingNodeStackTrace."
    )
    knime = (
        KnimeMapping(
            "org.knime.base.node.flowcontrol.trycatch.genericcatch.VariablePortCatchNodeFactory",
            "Catch Errors (Var Ports)",
            _catch_from_knime,
        ),
    )
    inputs = (Port(VARIABLES, "Original input"), Port(VARIABLES, "Default input", optional=True))
    outputs = (Port(VARIABLES, "Output"), Port(VARIABLES, "Failure", "The failure's variables."))

    def configure(self, in_specs: list[Any], settings: CatchSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN, UNKNOWN]

    def execute(self, inputs: list[Any], settings: CatchSettings, ctx: NodeContext) -> list[Any]:
        super().execute(inputs, settings, ctx)
        return [None, None]
