"""Text for people: `knitflow nodes TYPE` (a node type's ports and settings) and the headline
numbers of a run's scorer nodes."""

from __future__ import annotations

import json
import math
import textwrap
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from engine.api import Category, Node, Table

# --------------------------------------------------------------------------------- knitflow nodes


def node_schema(cls: type[Node]) -> dict[str, Any]:
    """Everything `knitflow nodes TYPE --json` prints: the type, its ports and the settings' JSON Schema."""
    return {
        "type": cls.type_name,
        "display_name": cls.display_name,
        "category": str(cls.category),
        "description": cls.description.strip(),
        "keywords": list(cls.keywords),
        "knime": [{"name": m.knime_name, "factory": m.factory} for m in cls.knime],
        "inputs": [_port_json(i, p) for i, p in enumerate(cls.inputs, start=1)],
        "outputs": [_port_json(i, p) for i, p in enumerate(cls.outputs, start=1)],
        "settings": cls.Settings.model_json_schema(),
    }


def _port_json(index: int, port: Any) -> dict[str, Any]:
    return {
        "port": index,
        "name": port.name,
        "type": port.type.id,
        "description": port.description,
        "optional": port.optional,
    }


def describe_node(cls: type[Node], width: int = 100) -> str:
    """A readable summary: what the node does, its ports, and each setting with its type, default
    and description."""
    lines = [f"{cls.type_name} — {cls.display_name or cls.type_name} ({cls.category})"]
    lines += [f"KNIME: {m.knime_name} ({m.factory})" for m in cls.knime]
    description = cls.description.strip()
    if description:
        lines += ["", *textwrap.wrap(description, width)]
    for label, ports in (("Inputs", cls.inputs), ("Outputs", cls.outputs)):
        lines += ["", f"{label}:"]
        if not ports:
            lines.append("  (none)")
        for i, port in enumerate(ports, start=1):
            optional = ", optional" if port.optional else ""
            head = f"  {i}  {port.name} ({port.type.label}{optional})"
            lines.append(head + (f": {port.description}" if port.description else ""))
    lines += ["", "Settings (name  type  = default):"]
    fields = cls.Settings.model_fields
    if not fields:
        lines.append("  (none)")
    for name, info in fields.items():
        key = info.alias or name
        head = f"  {key}  {type_text(info.annotation)}  = {default_text(info)}"
        lines.append(head)
        text = info.description or ""
        if info.title and info.title != key:
            text = f"[{info.title}] {text}"
        lines += textwrap.wrap(text, width, initial_indent="      ", subsequent_indent="      ")
    lines += ["", f"JSON Schema of the settings: knitflow nodes {cls.type_name} --json"]
    return "\n".join(lines)


def type_text(annotation: Any) -> str:
    """A settings field's type as a user reads it: str, int, float, bool, one of 'a' | 'b', list[str]."""
    if annotation is None or annotation is type(None):
        return "none"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        parts = [type_text(a) for a in args if a is not type(None)]
        text = " | ".join(parts)
        return f"{text} | none" if type(None) in args else text
    if origin is typing.Annotated:
        return type_text(args[0])
    if origin in (list, tuple, set, dict):
        inner = ", ".join(type_text(a) for a in args if a is not Ellipsis)
        return f"{origin.__name__}[{inner}]" if inner else origin.__name__
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return annotation.__name__
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def default_text(info: FieldInfo) -> str:
    if info.default is PydanticUndefined:
        if info.default_factory is not None:
            try:
                value = info.default_factory()  # type: ignore[call-arg]
            except TypeError:
                return "(computed)"
            return _json(value)
        return "(required)"
    return _json(info.default)


def _json(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return repr(value)


# ------------------------------------------------------------------------ scorer headline numbers

# what a reader looks at first on a scorer (KNIME's flow-variable names, prefix removed)
_HEADLINES = (
    "R^2",
    "mean absolute error",
    "root mean squared error",
    "Accuracy",
    "Cohen's kappa",
    "#Correct",
    "#False",
)


def scorer_headlines(
    result: Any,
    doc: Any,
    types_by_name: dict[str, type[Node]],
    loops: dict[int, tuple[int, ...]] | None = None,
) -> list[tuple[int, str, str]]:
    """(node id, node name, "R^2 0.97…, mean absolute error 0.06…") for every executed scorer node:
    the numbers it pushed as flow variables, else the rows of its score table."""
    incoming: dict[int, set[int]] = {}
    for conn in doc.connections:
        incoming.setdefault(conn.dest, set()).add(conn.source)
    out = []
    for node_id in sorted(result.status):
        st = result.status[node_id]
        cls = types_by_name.get(st.type)
        if cls is None or cls.category != Category.SCORER or st.error or st.state != "executed":
            continue
        upstream = set()
        for source in incoming.get(node_id, ()):
            src = result.status.get(source)
            if src is not None:
                upstream |= {(e.name, _key(e.value)) for e in src.variables.entries()}
        pushed = {
            e.name: e.value
            for e in st.variables.entries()
            if (e.name, _key(e.value)) not in upstream and isinstance(e.value, int | float)
        }
        numbers = _pick(pushed) or _pick(_score_rows(st))
        if numbers:
            scope = (loops or {}).get(node_id, ())
            where = f" (inside loop #{scope[-1]})" if scope else ""
            out.append((node_id, st.name, ", ".join(f"{k} {_number(v)}" for k, v in numbers) + where))
    return out


def _key(value: Any) -> Any:
    return repr(value)


def _pick(values: dict[str, Any]) -> list[tuple[str, Any]]:
    chosen = []
    for name, value in values.items():
        # a flow-variable prefix may precede the name ("final R^2"), but "adjusted R^2" is another score
        bare = next(
            (h for h in _HEADLINES if name == h or (name.endswith(h) and name[-len(h) - 1] != " ")), None
        )
        if bare is not None:
            chosen.append((_HEADLINES.index(bare), name, value))
    if chosen:
        return [(name, value) for _, name, value in sorted(chosen, key=lambda c: c[0])]
    return list(values.items())[:3]


def _score_rows(st: Any) -> dict[str, Any]:
    """A score table's one-column rows (Numeric Scorer without flow variables)."""
    for obj in st.outputs:
        if isinstance(obj, Table) and obj.df.shape[1] == 1 and any(h in obj.df.index for h in _HEADLINES):
            column = obj.df.iloc[:, 0]
            return {str(k): float(v) for k, v in column.items() if str(k) in _HEADLINES}
    return {}


def _number(value: Any) -> str:
    if isinstance(value, float) and not math.isnan(value) and not value.is_integer():
        return repr(value)
    return str(value)
