"""Hand-made one-node KNIME workflows for the column-node tests: a settings.xml built from a dict,
imported as a user would, so each mapping is checked end to end (translator + settings model)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine.core.registry import registry
from engine.knime import ImportReport, skeleton

NS = 'xmlns="http://www.knime.org/2008/09/XMLConfig"'


def _xml(body: str, key: str = "settings.xml") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<config {NS} key="{key}">\n{body}\n</config>\n'


def entry(key: str, value: Any) -> str:
    if value is None:
        return f'<entry key="{key}" type="xstring" isnull="true" value=""/>'
    kind = {bool: "xboolean", int: "xint", float: "xdouble"}.get(type(value), "xstring")
    text = str(value).lower() if isinstance(value, bool) else str(value)
    text = text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"[\x00-\x1f]", lambda m: f"%%{ord(m[0]):05d}", text)
    return f'<entry key="{key}" type="{kind}" value="{text}"/>'


def node_xml(key: str, value: Any) -> str:
    """Dicts become configs, lists KNIME arrays (array-size + "0", "1", ...), the rest entries."""
    if isinstance(value, dict):
        return f'<config key="{key}">' + "".join(node_xml(k, v) for k, v in value.items()) + "</config>"
    if isinstance(value, list):
        items = {"array-size": len(value), **{str(i): v for i, v in enumerate(value)}}
        return node_xml(key, items)
    return entry(key, value)


def _node_entry() -> str:
    return """
        <config key="node_1">
            <entry key="id" type="xint" value="1"/>
            <entry key="node_settings_file" type="xstring" value="Node (#1)/settings.xml"/>
            <entry key="node_is_meta" type="xboolean" value="false"/>
            <entry key="node_type" type="xstring" value="NativeNode"/>
        </config>"""


def import_node(tmp_path: Path, factory: str, model: dict[str, Any]) -> tuple[str, dict[str, Any], list[str]]:
    """(knitflow type, settings, findings) of a one-node workflow whose node has `model` settings."""
    folder = tmp_path / f"fragment_{len(list(tmp_path.iterdir()))}"
    (folder / "Node (#1)").mkdir(parents=True)
    workflow = _xml(f'<config key="nodes">{_node_entry()}</config>', key="workflow.knime")
    (folder / "workflow.knime").write_text(workflow, encoding="utf-8")
    settings = node_xml("model", model) + entry("factory", factory) + entry("name", "Node")
    (folder / "Node (#1)" / "settings.xml").write_text(_xml(settings), encoding="utf-8")
    report = ImportReport()
    doc = skeleton(folder, report)
    node = doc.node(1)
    cls = registry.get(node.type)
    assert cls is not None, f"{factory} did not map"
    cls.Settings.model_validate(node.settings)
    found = [e.message for e in report.entries if e.kind != "note"]
    return node.type, dict(node.settings), found
