"""Stand-in for a KNIME node that `knitflow import-knime` could not translate.

It keeps the node's place, wiring, ports and original settings in the imported workflow so that
the rest of the workflow still loads and can be edited; it fails at configure time with the
import message, like a KNIME node whose extension is missing.

Its ports are per instance (`Node.ports_for`): the importer writes the KNIME node's real ports
(their count and kinds: table, model, Spark, database, image, flow variables) into the
`inputs`/`outputs` settings. Without them (an older document) a placeholder has four inputs of
any kind and four table outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from engine.api import Category, ConfigureError, Node, NodeContext, NodeError, NodeSettings, Port, PortType
from nodes._ports import ANY_PORT, accepting_anything  # KNIME already checked what was connected

# kinds knitflow has no node for, by the id the importer writes (KNIME's colours where it has one)
_KNIME_KINDS = {
    "knime.database": ("Database (KNIME)", "#bb2727"),
    "knime.filesystem": ("File system (KNIME)", "#5b7f95"),
    "knime.credentials": ("Credentials (KNIME)", "#7d7d7d"),
    "knime.unknown": ("Unknown port object (KNIME)", "#9e9e9e"),
}


class PlaceholderPort(NodeSettings):
    """One port of the KNIME node: its kind as a knitflow port type id (`table`, `model`,
    `variables`, `view`, `spark.data`, ...; `knime.<kind>` for kinds knitflow has no node for)."""

    type: str = Field("table", description="The port's kind, as a knitflow port type id.")
    name: str = Field("", description="The port's name.")
    knime_class: str | None = Field(None, description="KNIME's port object class, for reference.")


class PlaceholderSettings(NodeSettings):
    factory: str = Field("", description="The KNIME node factory (Java class) this node stands for.")
    node_name: str = Field("", description="The KNIME node's name.")
    message: str = Field(
        "this KNIME node has no knitflow equivalent", description="Why the node could not be imported."
    )
    knime_settings: dict[str, Any] = Field(
        default_factory=dict, description="The node's original KNIME settings (model config), for reference."
    )
    inputs: list[PlaceholderPort] | None = Field(
        None, description="The KNIME node's input ports (port 1 on); unset: four inputs of any kind."
    )
    outputs: list[PlaceholderPort] | None = Field(
        None, description="The KNIME node's output ports (port 1 on); unset: four table outputs."
    )


def port_type_of(type_id: str) -> PortType:
    """The port type a placeholder port of this kind has: a registered one, else one made for it."""
    found = PortType.all().get(type_id)
    if found is not None:
        return found
    label, color = _KNIME_KINDS.get(type_id, (f"{type_id} (KNIME)", "#9e9e9e"))
    return PortType(type_id, label, color, "square")


def _ports(raw: Any, *, output: bool) -> tuple[Port, ...]:
    ports = []
    for i, item in enumerate(raw, start=1):
        spec = item if isinstance(item, Mapping) else {}
        kind = str(spec.get("type") or "knime.unknown")
        name = str(spec.get("name") or f"{'Output' if output else 'Input'} {i}")
        pt = port_type_of(kind)
        if output or pt == PortType.VARIABLES:  # a flow-variable input takes any port's variables
            ports.append(Port(pt, name, pt.label, optional=not output))
        else:
            # an input accepts what KNIME connected; it keeps its kind for display
            ports.append(Port(accepting_anything(pt), name, pt.label, optional=True))
    return tuple(ports)


class KnimePlaceholder(Node):
    type_name = "knime_placeholder"
    display_name = "KNIME Placeholder"
    category = Category.OTHER
    description = (
        "Marks a KNIME node that could not be imported (unknown node type, metanode or component), with the "
        "KNIME node's ports. Replace it with knitflow nodes; it cannot run."
    )
    keywords = ("knime", "import", "missing", "unknown")
    # without declared ports: up to four of any kind in, four out (tables: the most common)
    inputs = tuple(Port(ANY_PORT, f"Input {i}", "Any port object", optional=True) for i in range(1, 5))
    outputs = tuple(Port(PortType.TABLE, f"Output {i}", "Never produced") for i in range(1, 5))
    Settings = PlaceholderSettings

    @classmethod
    def ports_for(
        cls, settings: Mapping[str, Any] | None = None
    ) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
        settings = settings or {}
        raw_in, raw_out = settings.get("inputs"), settings.get("outputs")
        inputs = _ports(raw_in, output=False) if isinstance(raw_in, list) else cls.inputs
        outputs = _ports(raw_out, output=True) if isinstance(raw_out, list) else cls.outputs
        return inputs, outputs

    def configure(self, in_specs: list[Any], settings: PlaceholderSettings, ctx: NodeContext) -> list[Any]:
        raise ConfigureError(self._message(settings), setting="factory")

    def execute(self, inputs: list[Any], settings: PlaceholderSettings, ctx: NodeContext) -> list[Any]:
        raise NodeError(self._message(settings), setting="factory")

    @staticmethod
    def _message(settings: PlaceholderSettings) -> str:
        name = f"{settings.node_name} " if settings.node_name else ""
        factory = f"({settings.factory}) " if settings.factory else ""
        return f"imported KNIME node {name}{factory}cannot run: {settings.message}"
