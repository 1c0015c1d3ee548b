"""Saving a workflow document in canonical form: keys in a fixed order and each node's settings in
its model's field order, so that a saved file diffs cleanly and loading it again gives the same
document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.core.document import NodeEntry, WorkflowDoc
from engine.core.metanodes import InnerWorkflow
from engine.core.registry import registry
from engine.core.yamlio import FlowList, atomic_write, dump_canonical


def canonical_dict(doc: WorkflowDoc) -> dict[str, Any]:
    """The document in canonical key order; node settings in their model's field order."""
    out: dict[str, Any] = {"format": doc.format, "name": doc.name}
    if doc.description:
        out["description"] = doc.description
    if doc.variables:
        out["variables"] = dict(doc.variables)
    nodes = []
    for entry in sorted(doc.nodes, key=lambda n: n.id):
        item: dict[str, Any] = {"id": entry.id, "type": entry.type}
        if entry.name is not None:
            item["name"] = entry.name
        if entry.annotation is not None:
            item["annotation"] = entry.annotation
        if entry.position is not None:
            item["position"] = FlowList(entry.position)
        settings = _canonical_settings(entry)
        if settings:
            item["settings"] = settings
        if entry.use_variables:
            item["use_variables"] = dict(sorted(entry.use_variables.items()))
        if entry.expose_variables:
            item["expose_variables"] = dict(sorted(entry.expose_variables.items()))
        if entry.link is not None:
            item["link"] = entry.link
            if entry.link_version is not None:
                item["link_version"] = entry.link_version
        if entry.workflow is not None:
            item["workflow"] = _canonical_inner(entry.workflow)
        nodes.append(item)
    out["nodes"] = nodes
    conns = sorted(doc.connections, key=lambda c: (c.source, c.source_port, c.dest, c.dest_port))
    out["connections"] = [str(c) for c in conns]
    if doc.annotations:
        out["annotations"] = [{"text": a.text, "bounds": FlowList(a.bounds)} for a in doc.annotations]
    return out


def _canonical_inner(inner: InnerWorkflow) -> dict[str, Any]:
    """A metanode's or component's workflow, saved as the top level is."""
    body = canonical_dict(WorkflowDoc(name="inner", nodes=inner.nodes, connections=inner.connections))
    out: dict[str, Any] = {}
    if inner.description:
        out["description"] = inner.description
    for key in ("inputs", "outputs", "configuration"):
        items = getattr(inner, key)
        if items:
            out[key] = [item.model_dump(mode="json", exclude_defaults=True) for item in items]
    for key in ("variables_in", "variables_out"):  # a component's variable scope, when not the default
        if key in inner.model_fields_set and getattr(inner, key) != InnerWorkflow.model_fields[
            key
        ].get_default(call_default_factory=True):
            out[key] = getattr(inner, key)
    out["nodes"], out["connections"] = body["nodes"], body["connections"]
    return out


def _canonical_settings(entry: NodeEntry) -> dict[str, Any]:
    if entry.workflow is not None or entry.link is not None:
        return dict(entry.settings)  # a component's configuration values
    cls = registry.get(entry.type)
    if cls is None:
        return dict(entry.settings)
    try:
        model = cls.Settings.model_validate(entry.settings)
    except ValidationError:
        # kept as written: saving or opening a file must not fail on a setting its node will report
        return _plain(dict(entry.settings))
    dumped = model.model_dump(mode="json", exclude_unset=True, by_alias=True)
    return _plain(dumped)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def write_document(doc: WorkflowDoc, path: str | Path) -> None:
    atomic_write(path, dump_canonical(canonical_dict(doc)))
