"""PMML Writer: a model as the PMML 4.2 document KNIME writes for it.

The writer asks the model for its PMML (nodes._pmml); a model family without an export fails
the node, naming its kind, and nothing is written. The document is validated (optional, as in
KNIME) and written atomically, so a failure never leaves half a file.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from engine.api import (
    MODEL,
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
from engine.api.knime import KnimeMapping, KnimeSettings, file_name, get
from nodes._common import output_file
from nodes._pmml import check_document, pmml_document


class PmmlWriterSettings(NodeSettings):
    """KNIME's PMMLWriterNodeConfig2 keys (the legacy node's PMMLWriterFile, overwriteOK and
    validatePMML are read into them)."""

    file: str = Field(
        "", description="Output file (.pmml); relative paths are resolved against the workflow folder."
    )
    if_path_exists: Literal["fail", "overwrite"] = Field(
        "fail", title="If exists", description="An existing file: fail, or overwrite it."
    )
    create_missing_folders: bool = Field(
        False, description="Create the file's folder when it does not exist."
    )
    validate_PMML: bool = Field(
        True, title="Validate PMML", description="Check the document's PMML 4.2 structure before writing it."
    )


def _pmml_writer_from_knime(knime: KnimeSettings) -> None:
    """PMMLWriterNodeFactory2 (file handling framework): `filechooser` and `validate_PMML`."""
    where = "filechooser"
    path = get(knime.tree, f"{where}.path.path")
    if not isinstance(path, str) or not path:
        knime.unreadable("no output file in the settings")
        return
    knime.put("file", file_name(path) or "", f"{where}.path")
    knime.note(f"output file {path!r} is written as {file_name(path)!r} beside the workflow")
    policy = get(knime.tree, f"{where}.if_path_exists")
    if policy not in (None, "fail", "overwrite"):
        knime.lost(f"if_path_exists = {policy!r} is not supported (fail or overwrite)")
    knime.put("if_path_exists", "overwrite" if policy == "overwrite" else "fail", f"{where}.if_path_exists")
    knime.take("create_missing_folders", f"{where}.create_missing_folders")
    if get(knime.tree, f"{where}.file_system_chooser__Internals.has_fs_port"):
        knime.lost("writing through a file system connection port is not supported; a local file is written")
    knime.take("validate_PMML")
    knime.unread("filter_mode", under=where)
    knime.unread()


def _legacy_pmml_writer_from_knime(knime: KnimeSettings) -> None:
    """PMMLWriterNodeFactory (before KNIME 4.2): a path or URL in `PMMLWriterFile`; KNIME reads a
    missing `overwriteOK` (before 2.1) and `validatePMML` (before 2.4) as true."""
    path = knime.tree.get("PMMLWriterFile")
    if not isinstance(path, str) or not path:
        knime.unreadable("no output file in the settings")
        return
    knime.put("file", file_name(path) or "", "PMMLWriterFile")
    knime.note(f"output file {path!r} is written as {file_name(path)!r} beside the workflow")
    overwrite = knime.tree.get("overwriteOK", True)
    knime.put("if_path_exists", "overwrite" if overwrite else "fail", "overwriteOK")
    knime.take("validate_PMML", "validatePMML", default=True)
    knime.unread()


class PmmlWriter(Node):
    type_name = "pmml_writer"
    display_name = "PMML Writer"
    category = Category.SINK
    description = (
        "Writes a model as a PMML 4.2 document, the way KNIME's PMML Writer saves a PMML port: Header, "
        "DataDictionary, the model with its MiningSchema. Decision trees are written as KNIME's TreeModel, "
        "Naive Bayes models as its NaiveBayesModel; other model kinds fail with a message naming them. The "
        "file is replaced atomically."
    )
    keywords = ("pmml", "write", "export", "model", "save", "xml", "decision tree", "naive bayes")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.filehandling.pmml.writer.PMMLWriterNodeFactory2",
            "PMML Writer",
            _pmml_writer_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.io.pmml.write.PMMLWriterNodeFactory",
            "PMML Writer (legacy)",
            _legacy_pmml_writer_from_knime,
        ),
    )
    inputs = (Port(MODEL, "PMML model", "The model to write (a decision tree or Naive Bayes model)."),)
    outputs = (Port(VARIABLES, "Flow variables", "Connect it to order a reader after the writer"),)
    Settings = PmmlWriterSettings
    path_settings = ("file",)

    def configure(self, in_specs: list[Any], settings: PmmlWriterSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no output file given", setting="file")
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: PmmlWriterSettings, ctx: NodeContext) -> list[Any]:
        model = inputs[0]
        if not isinstance(model, Model):
            raise NodeError("The input object is not a model.")
        if not settings.file:
            raise NodeError("no output file given", setting="file")
        path, _ = output_file(
            settings.file, settings.create_missing_folders, settings.if_path_exists, other_choices="overwrite"
        )
        if path.is_dir():
            raise NodeError(f"{path} is a folder, not a file", setting="file")
        text = pmml_document(model)
        if text is None:
            raise NodeError(f"PMML export of {model.kind} models is not available in knitflow")
        if settings.validate_PMML:
            problems = check_document(text)
            if problems:
                raise NodeError(
                    "The PMML document is not valid: " + "; ".join(problems[:5]), setting="validate_PMML"
                )
        atomic_write(path, text)
        ctx.log(f"wrote the {model.kind} model as PMML to {path}")
        return [None]
