"""What decides a node's result, in one place: the parts of its cache key, a whole loop's key, the
reason a node ran ("settings changed", "input port 1 changed", ...), and the document-level
fingerprints the editor uses to keep executed nodes. The scheduler, the loop passes and the
editor all ask here."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from typing import Any

from engine.api import Node
from engine.core import digraph
from engine.core.context import derive_seed
from engine.core.document import NodeEntry, WorkflowDoc
from engine.core.graph import CompiledWorkflow, document_graph
from engine.core.registry import registry
from engine.core.variables import VarStack

KeyParts = dict[str, Any]


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=repr, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def implementation(cls: type[Node]) -> str:
    """A node type and the version of its implementation: a new version invalidates old results."""
    return f"{cls.type_name}@{cls.version}"


FINGERPRINT_HASH_LIMIT = 64 * 1024 * 1024  # files up to this size are hashed, larger ones by size and time


def file_fingerprint(path: str) -> str:
    """What identifies a file's content: its size and content hash (above 64 MB: size and modification time)."""
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    if not stat.S_ISREG(st.st_mode):
        return "not a file"
    if st.st_size > FINGERPRINT_HASH_LIMIT:
        return f"{st.st_size}:{st.st_mtime_ns}"
    try:
        with open(path, "rb") as fh:
            return f"{st.st_size}:" + hashlib.file_digest(fh, "sha256").hexdigest()[:24]
    except OSError:
        return "unreadable"


def files_state(paths: list[str]) -> dict[str, str]:
    return {p: file_fingerprint(p) for p in paths}


def uncacheable_reason(node: Node, settings: Any, run_seed: int | None) -> str | None:
    """Why a node's result may not be served from a cache, or None when it may."""
    if not node.cacheable(settings):
        return f"{type(node).display_name or type(node).type_name} is never served from a cache"
    if node.uses_run_seed(settings) and run_seed is None:
        return "randomised node without seed"
    return None


def node_key_parts(
    cls: type[Node],
    node: Node,
    settings: Any,
    variables: VarStack,
    input_keys: dict[str, str],
    *,
    run_seed: int | None,
    node_id: int,
    pass_path: tuple[int, ...],
) -> KeyParts | None:
    """The parts of one execution's key; None when it must never be served from a cache (see
    `uncacheable_reason`). Files the node reads enter with their fingerprints."""
    if uncacheable_reason(node, settings, run_seed) is not None:
        return None
    parts: KeyParts = {
        "type": implementation(cls),
        "settings": digest(settings.model_dump(mode="json")),
        "inputs": input_keys,
        "variables": digest(variables.to_json()),
    }
    reads = node.reads(settings)
    if reads:
        parts["files"] = files_state(reads)
    if node.uses_run_seed(settings):
        assert run_seed is not None
        parts["seed"] = derive_seed(run_seed, node_id, pass_path)
    return parts


def loop_key(
    wf: CompiledWorkflow,
    start: int,
    start_parts: KeyParts | None,
    key_of: Callable[[int], str | None],
    run_seed: int | None,
    settings_of: Callable[[int], Any],
) -> str | None:
    """A whole loop's key: its start's parts, every body node's entry, the files body nodes read
    and the keys of what feeds the body from outside; None when a body node may not be cached or
    reads a file named by a loop variable. `settings_of(n)` resolves a body node's settings with
    the variables known before the loop (None when that fails)."""
    if start_parts is None:
        return None
    body: list[Any] = []
    for n in wf.body(start):
        entry, cls, node = wf.entries[n], wf.types[n], wf.nodes[n]
        settings = settings_of(n)
        if settings is None or uncacheable_reason(node, settings, run_seed) is not None:
            return None
        reads = node.reads(settings)
        if any("${" in path for path in reads):
            return None
        outside = {
            str(port): f"{key_of(src)}:{sport}"
            for (dest, port), (src, sport) in wf.data_in.items()
            if dest == n and start not in wf.scope[src] and src != start
        }
        body.append([n, implementation(cls), *entry_parts(entry), outside, files_state(reads)])
    connections = sorted(str(c) for c in wf.doc.connections if start in wf.scope[c.dest])
    return digest({"start": start_parts, "body": body, "connections": connections, "seed": run_seed})


def entry_parts(entry: NodeEntry) -> list[Any]:
    """What of a node's entry in the file decides its result (not its name, note or position);
    a metanode's or component's own workflow too, so an edit inside it resets what follows."""
    parts: list[Any] = [entry.settings, entry.use_variables, entry.expose_variables]
    if entry.workflow is not None or entry.link is not None:
        inner = (
            entry.workflow.model_dump(mode="json", exclude={"nodes": {"__all__": {"position"}}})
            if entry.workflow
            else None
        )
        parts.append([inner, entry.link, entry.link_version])
    return parts


def document_fingerprints(doc: WorkflowDoc) -> dict[int, str]:
    """What determines each node's output as far as the document tells: its own entry and,
    recursively, its inputs' (the editor keeps an executed node while this is unchanged)."""
    graph = document_graph(doc)
    incoming: dict[int, list[tuple[int, int, int]]] = {}
    for c in doc.connections:
        incoming.setdefault(c.dest, []).append((c.dest_port, c.source_port, c.source))
    try:
        order = list(digraph.topological_sort(graph))
    except digraph.Unfeasible:
        return {}
    entries = {n.id: n for n in doc.nodes}
    fps: dict[int, str] = {}
    variables = digest(doc.variables)
    for n in order:
        e = entries[n]
        cls = registry.get(e.type)
        kind = implementation(cls) if cls is not None else e.type
        ins = sorted((dp, sp, fps[s]) for dp, sp, s in incoming.get(n, []))
        fps[n] = digest([kind, *entry_parts(e), ins, variables])
    return fps


def why_changed(previous: KeyParts | None, current: KeyParts) -> str:
    """Name the first part of a node's key that differs from the previous run."""
    if previous is None:
        return "not run before"
    if previous.get("type") != current.get("type"):
        return "node type or implementation version changed"
    if previous.get("settings") != current.get("settings"):
        return "settings changed"
    prev_files, cur_files = previous.get("files", {}), current.get("files", {})
    for path in sorted(set(prev_files) | set(cur_files)):
        if prev_files.get(path) != cur_files.get(path):
            return (
                f"file {_display_path(path)} {'is gone' if cur_files.get(path) == 'missing' else 'changed'}"
            )
    prev_inputs, cur_inputs = previous.get("inputs", {}), current.get("inputs", {})
    for port in sorted(set(prev_inputs) | set(cur_inputs), key=str):
        if prev_inputs.get(port) != cur_inputs.get(port):
            return f"input port {port} changed"
    if previous.get("variables") != current.get("variables"):
        return "flow variables changed"
    if previous.get("seed") != current.get("seed"):
        return "seed changed"
    if previous.get("body") != current.get("body"):
        return "loop body changed"
    return "result not in cache"


def _display_path(path: str) -> str:
    """A path as short as it can be said: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return path
