"""What the nodes that write a model to one file (Model Writer, PMML Writer) share: the output file
settings, KNIME's overwrite policies for them, and a node that checks the path before it writes.

The file is written atomically, so a failure never leaves half a file, and nothing is written when
the file exists and must not be replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from engine.api import (
    UNKNOWN,
    VARIABLES,
    Category,
    ConfigureError,
    Model,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    atomic_write,
)
from engine.api.knime import KnimeSettings, get
from nodes._common import output_file


class FileOutputSettings(NodeSettings):
    """The output file and what to do when it exists (KNIME's writer file chooser)."""

    file: str = Field(
        "", description="The output file; relative paths are resolved against the workflow folder."
    )
    if_path_exists: Literal["fail", "overwrite"] = Field(
        "fail", title="If exists", description="An existing file: fail, or overwrite it."
    )
    create_missing_folders: bool = Field(
        False, description="Create the file's folder when it does not exist."
    )


def chooser_policy_from_knime(knime: KnimeSettings, chooser: str) -> None:
    """The file chooser's `if_path_exists` (fail or overwrite; other policies are findings) and
    `create_missing_folders`."""
    policy = get(knime.tree, f"{chooser}.if_path_exists")
    if policy not in (None, "fail", "overwrite"):
        knime.lost(f"if_path_exists = {policy!r} is not supported (fail or overwrite)")
    knime.put("if_path_exists", "overwrite" if policy == "overwrite" else "fail", f"{chooser}.if_path_exists")
    knime.take("create_missing_folders", f"{chooser}.create_missing_folders")


def legacy_overwrite_from_knime(knime: KnimeSettings) -> None:
    """The legacy writers' `overwriteOK`, which KNIME reads as true when absent (before 2.1)."""
    overwrite = knime.tree.get("overwriteOK", True)
    knime.put("if_path_exists", "overwrite" if overwrite else "fail", "overwriteOK")


class ModelFileWriter(Node):
    """A sink writing the model at its input to `settings.file`; a subclass makes the file's content
    and words its messages."""

    category = Category.SINK
    outputs = (Port(VARIABLES, "Flow variables", "Connect it to order a reader after the writer"),)
    path_settings = ("file",)
    no_file: ClassVar[str]  # the message when no file is set
    not_a_file: ClassVar[str]  # the message when `{path}` is a folder
    written_as: ClassVar[str] = ""  # how the log names the format

    def content(self, model: Model, settings: Any) -> str | bytes:
        """The file's content; fails (before anything is written) when the model cannot be saved so."""
        raise NotImplementedError

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError(self.no_file, setting="file")
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        model = inputs[0]
        if not isinstance(model, Model):
            raise NodeError("The input object is not a model.")
        if not settings.file:
            raise NodeError(self.no_file, setting="file")
        path: Path
        path, _ = output_file(
            settings.file, settings.create_missing_folders, settings.if_path_exists, other_choices="overwrite"
        )
        if path.is_dir():
            raise NodeError(self.not_a_file.format(path=path), setting="file")
        atomic_write(path, self.content(model, settings))
        ctx.log(f"wrote the {model.kind} model{self.written_as} to {path}")
        return [None]
