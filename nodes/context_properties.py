"""KNIME's Extract Context Properties: the workflow's context as String flow variables.

KNIME reads them from its workflow context (org.knime.core.util.ContextProperties). knitflow has
what a run on KNIME Analytics Platform outside a mount point knows, taken where knitflow keeps it:

* context.workflow.name / absolute-path: the workflow's folder (KNIME's workflow *is* a folder;
  knitflow's is the folder holding the workflow file), its name and its absolute path with `/`;
* context.workflow.path: "" (KNIME's value for a workflow outside a mount point);
* context.workflow.user and context.workflow.username: the system user (KNIME's user id on the
  Analytics Platform);
* context.workflow.temp.location: the node's scratch folder of this run (KNIME: the workflow's
  temporary folder);
* author, last editor, creation and last-modified dates: "" (KNIME's value without author
  information; knitflow's workflow files carry none);
* context.job.* and context.workflow.hub.*: "" (KNIME's values outside a Hub or Server job);
* context.workflow.executor.version: knitflow's version where KNIME gives its own.
"""

from __future__ import annotations

import getpass
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import Field

from engine.api import (
    UNKNOWN,
    VARIABLES,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeSettings,
    Port,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq

# ContextProperties.Property, in KNIME's order
PROPERTIES = (
    "context.workflow.name",
    "context.workflow.path",
    "context.workflow.absolute-path",
    "context.workflow.user",
    "context.workflow.temp.location",
    "context.workflow.author.name",
    "context.workflow.last.editor.name",
    "context.workflow.creation.date",
    "context.workflow.last.time.modified",
    "context.job.id",
    "context.job.account.id",
    "context.job.account.name",
    "context.workflow.username",
    "context.workflow.executor.version",
    "context.workflow.hub.item.id",
    "context.workflow.hub.space.id",
    "context.workflow.hub.space.path",
    "context.workflow.hub.api.base-url",
)


class ExtractContextPropertiesSettings(NodeSettings):
    """ReadContextProperty2NodeSettings, and where knitflow finds the workflow."""

    isExtractAllProps: bool = Field(  # noqa: N815 (KNIME's key)
        True, description="Extract all properties (more may come with later versions, as in KNIME)."
    )
    selectedProps: list[str] = Field(  # noqa: N815
        default_factory=list,
        description="The properties to extract when not all are; names that are no property are skipped "
        "with a warning.",
    )
    workflow_folder: str = Field(
        ".",
        description="The folder reported as the workflow (name and absolute path), relative to the workflow "
        "file's folder: '.' is that folder itself.",
    )

    def wanted(self) -> list[str]:
        """KNIME collects them in a LinkedHashMap: each property once, in the selection's order."""
        return list(PROPERTIES) if self.isExtractAllProps else list(dict.fromkeys(self.selectedProps))


def _executor_version() -> str:
    try:
        return metadata.version("knitflow")
    except metadata.PackageNotFoundError:
        return ""


def context_values(settings: ExtractContextPropertiesSettings, ctx: NodeContext) -> dict[str, str]:
    folder = Path(settings.workflow_folder).resolve()
    user = getpass.getuser()
    known = {
        "context.workflow.name": folder.name,
        "context.workflow.path": "",
        "context.workflow.absolute-path": str(folder).replace("\\", "/"),
        "context.workflow.user": user,
        "context.workflow.temp.location": str(Path(ctx.scratch_dir).resolve()),
        "context.workflow.username": user,
        "context.workflow.executor.version": _executor_version(),
    }
    return {p: known.get(p, "") for p in PROPERTIES}


def _context_from_knime(knime: KnimeSettings) -> None:
    """`isExtractAllProps`, and `selectedProps` (saved only when not all are extracted)."""
    knime.take("isExtractAllProps")
    knime.take("selectedProps", transform=lambda v: [str(x) for x in seq(v)])
    knime.unread()


def _legacy_context_from_knime(knime: KnimeSettings) -> None:
    _context_from_knime(knime)
    wanted = PROPERTIES if knime.tree.get("isExtractAllProps", True) else seq(knime.tree.get("selectedProps"))
    if "context.job.id" in wanted:
        knime.lost(
            "the node before AP-15364 (ReadContextPropertyNodeFactory) reads context.job.id as null outside a "
            "server job; knitflow gives the newer node's empty text"
        )


class ExtractContextProperties(Node):
    """KNIME's Extract Context Properties."""

    type_name = "extract_context_properties"
    display_name = "Extract Context Properties"
    category = Category.SOURCE
    description = (
        "Pushes the workflow's context as String flow variables (KNIME's context.* properties, in its order): "
        "name and absolute path of the workflow's folder, the system user, the run's temporary folder, "
        "knitflow's version as executor version; author and dates, the mount-point path and the job and Hub "
        "properties are empty, KNIME's values where it has none of them."
    )
    keywords = ("context", "workflow name", "workflow path", "user", "properties", "variables")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.extractcontextprop.ReadContextProperty2NodeFactory",
            "Extract Context Properties",
            _context_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.extractcontextprop.ReadContextPropertyNodeFactory",
            "Extract Context Properties (legacy)",
            _legacy_context_from_knime,
        ),
    )
    outputs = (Port(VARIABLES, "Context Properties", "Context properties as flow variables."),)
    Settings = ExtractContextPropertiesSettings
    path_settings = ("workflow_folder",)

    def configure_variables(
        self, in_specs: list[Any], settings: ExtractContextPropertiesSettings
    ) -> dict[str, str]:
        return {p: "String" for p in settings.wanted() if p in PROPERTIES}

    def configure(
        self, in_specs: list[Any], settings: ExtractContextPropertiesSettings, ctx: NodeContext
    ) -> list[Any]:
        if not settings.isExtractAllProps and not settings.selectedProps:
            raise ConfigureError("No properties selected", setting="selectedProps")
        return [UNKNOWN]

    def execute(
        self, inputs: list[Any], settings: ExtractContextPropertiesSettings, ctx: NodeContext
    ) -> list[Any]:
        if not settings.isExtractAllProps and not settings.selectedProps:
            raise ConfigureError("No properties selected", setting="selectedProps")
        values = context_values(settings, ctx)
        ignored = [p for p in settings.wanted() if p not in values]
        if ignored:
            ctx.warn(f"Ignoring selected system properties: [{', '.join(ignored)}]")
        for prop in settings.wanted():
            if prop in values:
                ctx.push_variable(prop, values[prop], "String")
        return [None]

    def reads(self, settings: ExtractContextPropertiesSettings) -> list[str]:
        return []  # the folder is named, not read

    def cacheable(self, settings: ExtractContextPropertiesSettings) -> bool:
        return False  # the user and the run's temporary folder change from run to run
