"""Port types several node families share."""

from __future__ import annotations

from dataclasses import dataclass

from engine.api import PortType


@dataclass(frozen=True)
class _AnyPortType(PortType):
    """An input that accepts any port object (KNIME's generic PortObject ports)."""

    def accepts(self, other: PortType) -> bool:
        return True


ANY_PORT = PortType.register(_AnyPortType("any", "Any port object", "#9e9e9e", "square"))


def accepting_anything(port_type: PortType) -> PortType:
    """`port_type` as drawn (id, label, colour, shape), accepting any port object."""
    return _AnyPortType(port_type.id, port_type.label, port_type.color, port_type.shape)


__all__ = ["ANY_PORT", "accepting_anything"]
