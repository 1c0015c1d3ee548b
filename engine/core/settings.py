"""From a node's entry in the file to the settings object it runs with: `${var}` references in
values, settings bound to flow variables (KNIME's used_variable), relative paths, and the settings
a node publishes as new variables (exposed_variable)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.api import VARIABLE_REFERENCE, Node, NodeError, NodeSettings, variable_type
from engine.core.document import NodeEntry
from engine.core.variables import VarEntry, VarStack


def resolve_settings(
    entry: NodeEntry, cls: type[Node], variables: VarStack, base_dir: Path, *, strict: bool = True
) -> NodeSettings:
    """The node's settings with variables applied. `strict=False` (configure time, when loop
    variables do not exist yet) leaves a setting bound to an unknown variable at its value."""
    for name in cls.path_settings:  # a file name never holds "${": one that is not `${name}` is a typo
        value = entry.settings.get(name)
        if isinstance(value, str) and "${" in VARIABLE_REFERENCE.sub("", value):
            raise NodeError(f"'${{' without a variable name and a closing '}}' in {value!r}", setting=name)
    raw = interpolate(entry.settings, variables, lenient=not strict and variables.open)
    for path, var in entry.use_variables.items():
        if var in variables:
            set_path(raw, path, variables[var])
        elif strict:
            raise NodeError(
                f"setting is bound to flow variable {var!r}, which is not defined here "
                f"(known: {', '.join(sorted(variables)) or 'none'})",
                setting=path,
            )
    try:
        settings = cls.Settings.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        setting = ".".join(map(str, err["loc"]))
        bound = entry.use_variables.get(setting)
        via = (
            f" (from flow variable {bound!r} = {variables[bound]!r})"
            if bound is not None and bound in variables
            else ""
        )
        raise NodeError(err["msg"] + via, setting=setting) from None
    for name in cls.path_settings:
        value = getattr(settings, name, None)
        if isinstance(value, str) and value and "://" not in value and not Path(value).is_absolute():
            object.__setattr__(settings, name, str((base_dir / value).resolve()))
    return settings


def interpolate(value: Any, variables: VarStack, setting: str = "", *, lenient: bool = False) -> Any:
    """Replace ${name} in string settings by workflow/flow variables (e.g. the data folder);
    `lenient` leaves a reference to an unknown name as it is."""
    if isinstance(value, str) and "${" in value:

        def sub(m: re.Match[str]) -> str:
            if m[1] not in variables:
                if lenient:
                    return m[0]
                raise NodeError(
                    f"unknown variable ${{{m[1]}}} in setting value {value!r}", setting=setting or None
                )
            return str(variables[m[1]])

        return VARIABLE_REFERENCE.sub(sub, value)
    if isinstance(value, dict):
        return {
            k: interpolate(v, variables, f"{setting}.{k}" if setting else str(k)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [interpolate(v, variables, setting) for v in value]
    return value


def set_path(raw: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    target = raw
    for k in keys[:-1]:
        target = target.setdefault(k, {})
    target[keys[-1]] = value


def get_path(obj: Any, path: str) -> Any:
    for k in path.split("."):
        obj = obj[k] if isinstance(obj, dict) else getattr(obj, k)
    return obj


def exposed_variables(entry: NodeEntry, settings: Any, scope: tuple[int, ...]) -> list[VarEntry]:
    """The variables a node publishes from its settings (KNIME's exposed_variable)."""
    out = []
    for path, var in entry.expose_variables.items():
        value = get_path(settings, path)
        out.append(VarEntry(var, value, variable_type(value), scope))
    return out


def coerce_like(value: Any, default: Any) -> Any:
    """`--set N=500` arrives as text; give it the type of the variable's default."""
    if not isinstance(value, str) or default is None or isinstance(default, str):
        return value
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    try:
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
    except ValueError:
        kind = "an integer" if isinstance(default, int) else "a number"
        raise ValueError(f"{value!r} is not {kind} like the variable's default {default!r}") from None
    return value
