"""The folder the editor may touch: every path a client gives is confined to it (readers may also
read the data folders), and the listings of workflows and files the front end shows."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from engine.datasets import project_data_dir
from engine.editor.errors import ApiError

WORKFLOW_SUFFIXES = (".yaml", ".yml")


class Workspace:
    """The folder the editor may touch, plus the data folders readers may read."""

    def __init__(
        self, root: str | Path, data_dirs: list[str | Path] | None = None, executor: Any = None
    ) -> None:
        self.root = Path(root).resolve()
        self.executor = executor  # where runs send planned loop passes (None: forked workers)
        if data_dirs is None:
            data_dirs = [project_data_dir(), self.root.parent / "data"]
        seen: list[Path] = []
        for d in data_dirs:
            p = Path(d).resolve()
            if p not in seen and p != Path(p.anchor):
                seen.append(p)
        self.data_dirs = seen

    def resolve(self, rel: str, *, workflow: bool = True) -> Path:
        """A path given by a client, confined to the workspace whatever it says."""
        if not isinstance(rel, str) or not rel or "\x00" in rel:
            raise ApiError(400, "a workspace-relative path is required")
        if "\\" in rel:
            raise ApiError(403, f"{rel!r}: backslashes are not allowed in workspace paths")
        candidate = Path(rel)
        if candidate.is_absolute() or rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel):
            raise ApiError(403, f"{rel!r}: only paths inside the workspace are allowed")
        path = (self.root / candidate).resolve()
        if not path.is_relative_to(self.root):
            raise ApiError(403, f"{rel!r} is outside the workspace")
        if workflow and path.suffix.lower() not in WORKFLOW_SUFFIXES:
            raise ApiError(400, f"{rel!r} is not a workflow file (.yaml)")
        return path

    def rel(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()

    def may_read(self, path: Path, *, reader: bool) -> bool:
        path = path.resolve()
        roots = [self.root, *(self.data_dirs if reader else [])]
        return any(path.is_relative_to(r) for r in roots)

    def list_workflows(self, skipped: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
        """The workflow files of the workspace; an entry that resolves outside it (a symlink) or
        cannot be read is left out and reported in `skipped` instead of failing the listing."""
        out = []
        for path in sorted(self.root.rglob("*")):
            if path.suffix.lower() not in WORKFLOW_SUFFIXES:
                continue
            shown = path.relative_to(self.root).as_posix()
            if any(part.startswith(".") for part in Path(shown).parts):
                continue
            try:
                if not path.is_file():
                    continue
                target = path.resolve()
            except OSError as exc:
                if skipped is not None:
                    skipped.append({"path": shown, "reason": f"cannot be read: {exc.strerror or exc}"})
                continue
            if not target.is_relative_to(self.root):
                if skipped is not None:
                    skipped.append({"path": shown, "reason": "resolves outside the workspace"})
                continue
            rel = shown
            name = path.stem
            try:
                with path.open(encoding="utf-8") as fh:
                    for line in fh:
                        if line.startswith("name:"):
                            name = line.split(":", 1)[1].strip().strip("'\"") or name
                            break
            except (OSError, UnicodeDecodeError):
                pass
            out.append({"path": rel, "name": name})
        return out

    def list_files(
        self, root: str, sub: str, workflow_dir: Path | None = None, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Entries of a folder of the workspace or a data folder (for readers' file choosers)."""
        if root == "workspace":
            base = self.root
        elif root.startswith("data") and root[4:].isdigit() and int(root[4:]) < len(self.data_dirs):
            base = self.data_dirs[int(root[4:])]
        else:
            raise ApiError(400, f"unknown root {root!r}")
        target = (base / sub).resolve() if sub else base
        if Path(sub).is_absolute() or not target.is_relative_to(base):
            raise ApiError(403, f"{sub!r} is outside the {root} folder")
        if not target.is_dir():
            raise ApiError(404, f"{sub!r} is not a folder")
        variables = variables or {}
        entries = []
        for p in sorted(target.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
            if p.name.startswith("."):
                continue
            entries.append(
                {
                    "name": p.name,
                    "dir": p.is_dir(),
                    "value": self.setting_value(p, base, workflow_dir, variables),
                }
            )
        return {"root": root, "path": sub, "entries": entries}

    @staticmethod
    def setting_value(path: Path, base: Path, workflow_dir: Path | None, variables: dict[str, Any]) -> str:
        """How a reader's path setting should name `path`: through a workflow variable that points
        at the folder (e.g. ${data_dir}/x.csv), else relative to the workflow's folder."""
        path = path.resolve()
        for name, value in variables.items():
            if isinstance(value, str) and value and workflow_dir is not None:
                folder = (workflow_dir / value).resolve()
                if path.is_relative_to(folder):
                    return "${" + name + "}/" + path.relative_to(folder).as_posix()
        if workflow_dir is not None:
            return Path(os.path.relpath(path, workflow_dir)).as_posix()
        return str(path)
