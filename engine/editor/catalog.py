"""The node repository the front end shows: every registered node type with its ports."""

from __future__ import annotations

from typing import Any

from engine.api import Category, PortType
from engine.core.document import ports_compatible
from engine.core.registry import registry


def node_catalog() -> dict[str, Any]:
    """Every registered node type with its ports, and which output port types fit which inputs."""
    types = registry.all()
    port_types: dict[str, PortType] = dict(PortType.all())

    def port_json(port: Any) -> dict[str, Any]:
        port_types.setdefault(port.type.id, port.type)
        return {
            "name": port.name,
            "type": port.type.id,
            "optional": port.optional,
            "description": port.description,
        }

    nodes = []
    for cls in types.values():
        nodes.append(
            {
                "type": cls.type_name,
                "name": cls.display_name or cls.type_name,
                "category": str(cls.category),
                "description": cls.description,
                "keywords": list(cls.keywords),
                "inputs": [port_json(p) for p in cls.inputs],
                "outputs": [port_json(p) for p in cls.outputs],
                "knime_factory": cls.knime[0].factory if cls.knime else "",
            }
        )
    compat = {
        o: [i for i, it in port_types.items() if ports_compatible(ot, it)] for o, ot in port_types.items()
    }
    return {
        "nodes": nodes,
        "port_types": {
            k: {"label": v.label, "color": v.color, "shape": v.shape} for k, v in port_types.items()
        },
        "compatible": compat,
        "categories": [str(c) for c in Category],
    }
