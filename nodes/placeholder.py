"""Stand-in for a KNIME node that `knitflow import-knime` could not translate.

It keeps the node's place, wiring and original settings in the imported workflow so that the
rest of the workflow still loads and can be edited; it fails at configure time with the import
message, like a KNIME node whose extension is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from engine.api import Category, ConfigureError, Node, NodeContext, NodeError, NodeSettings, Port, PortType


@dataclass(frozen=True)
class _AnyPortType(PortType):
    """An input that accepts any port object: the missing node's real port types are unknown."""

    def accepts(self, other: PortType) -> bool:
        return True


ANY_PORT = PortType.register(
    _AnyPortType("any", "Any port object (imported placeholder)", "#9e9e9e", "square")
)


class PlaceholderSettings(NodeSettings):
    factory: str = Field("", description="The KNIME node factory (Java class) this node stands for.")
    node_name: str = Field("", description="The KNIME node's name.")
    message: str = Field(
        "this KNIME node has no knitflow equivalent", description="Why the node could not be imported."
    )
    knime_settings: dict[str, Any] = Field(
        default_factory=dict, description="The node's original KNIME settings (model config), for reference."
    )


class KnimePlaceholder(Node):
    type_name = "knime_placeholder"
    display_name = "KNIME Placeholder"
    category = Category.OTHER
    description = (
        "Marks a KNIME node that could not be imported (unknown node type, metanode or component). "
        "Replace it with knitflow nodes; it cannot run."
    )
    keywords = ("knime", "import", "missing", "unknown")
    # a KNIME node may have any ports: up to four of any kind in, four out (tables: the most common)
    inputs = tuple(Port(ANY_PORT, f"Input {i}", "Any port object", optional=True) for i in range(1, 5))
    outputs = tuple(Port(PortType.TABLE, f"Output {i}", "Never produced") for i in range(1, 5))
    Settings = PlaceholderSettings

    def configure(self, in_specs: list[Any], settings: PlaceholderSettings, ctx: NodeContext) -> list[Any]:
        raise ConfigureError(self._message(settings), setting="factory")

    def execute(self, inputs: list[Any], settings: PlaceholderSettings, ctx: NodeContext) -> list[Any]:
        raise NodeError(self._message(settings), setting="factory")

    @staticmethod
    def _message(settings: PlaceholderSettings) -> str:
        name = f"{settings.node_name} " if settings.node_name else ""
        factory = f"({settings.factory}) " if settings.factory else ""
        return f"imported KNIME node {name}{factory}cannot run: {settings.message}"
