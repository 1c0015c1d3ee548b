"""Which widget each setting of a node's dialog gets, written into the settings' JSON Schema as
`widget` so the front end never guesses.

A setting declares its widget (`engine.api.widget`, through pydantic's `json_schema_extra`); path
settings are file choosers; enumerations are choices; the rest follow the setting's *name* only
(KNIME's keys `column`, `targetColumn`, `x_axis_column_v3`...), never its description, and names of
columns to create (`new_column_name`, `prediction_column`, suffixes) are plain text."""

from __future__ import annotations

import copy
import re
from typing import Any

_COLUMN_KEY = re.compile(r"(^|_)(col|column)($|_)|column$|Column$|(^|_)(first|second)$", re.IGNORECASE)
_COLUMNS_KEY = re.compile(r"(^|_)(cols|columns)($|_)|columns$|Columns$|_names$", re.IGNORECASE)
_NOT_A_COLUMN = re.compile(
    r"new|name|append|created|creat|suffix|prefix|pred|output|out_|rename|label|title|delim|separator|"
    r"quote|escape|policy|format|type|pattern|regex|count|number|width|size|color|colour",
    re.IGNORECASE,
)
_FORMULAISH = re.compile(r"^(expression|script|code|rules?|query|formula)$", re.IGNORECASE)
ADVANCED = "Advanced"


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The schema behind $ref / a one-member allOf / an Optional's anyOf."""
    seen = 0
    while seen < 10:
        seen += 1
        if "$ref" in schema:
            schema = defs.get(schema["$ref"].split("/")[-1], {})
            continue
        alts = schema.get("anyOf") or schema.get("oneOf") or schema.get("allOf")
        if alts:
            real = [a for a in alts if a.get("type") != "null"]
            if len(real) == 1:
                schema = real[0]
                continue
        break
    return schema


def infer_widget(name: str, field: dict[str, Any], defs: dict[str, Any], is_path: bool) -> str | None:
    """The widget of one property that declared none."""
    if is_path:
        return "file"
    inner = _resolve(field, defs)
    if "widget" in inner:  # a settings class that declares its widget (e.g. the column filter)
        return str(inner["widget"])
    if "enum" in inner or "const" in inner:
        return "choice"
    kind = inner.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if kind == "string":
        if _FORMULAISH.match(name):
            return "multiline"
        if _COLUMN_KEY.search(name) and not _NOT_A_COLUMN.search(name):
            return "column"
        return "text"
    if kind == "array":
        item = _resolve(inner.get("items", {}), defs)
        if item.get("type") == "string" and _COLUMNS_KEY.search(name) and not _NOT_A_COLUMN.search(name):
            return "columns"
        if item.get("type") == "object":
            return "list"
        return "lines"
    if kind == "object":
        return "group"
    return None


def with_widgets(schema: dict[str, Any], path_settings: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """A copy of a settings schema in which every property (nested ones too) names its widget;
    `widget_declared` tells a declared one from an inferred one."""
    out = copy.deepcopy(schema)
    defs = out.get("$defs", {})

    def walk(props: dict[str, Any], prefix: str, done: set[int]) -> None:
        for name, field in props.items():
            key = f"{prefix}{name}"
            if "widget" in field:
                field["widget_declared"] = True
            else:
                w = infer_widget(name, field, defs, key in path_settings)
                if w is not None:
                    field["widget"] = w
            inner = _resolve(field, defs)
            if inner.get("type") == "array":
                inner = _resolve(inner.get("items", {}), defs)
            if isinstance(inner.get("properties"), dict) and id(inner) not in done:
                done.add(id(inner))
                walk(inner["properties"], f"{key}.", done)

    walk(out.get("properties", {}), "", set())
    return out
