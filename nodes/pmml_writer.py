"""PMML Writer: a model as the PMML 4.2 document KNIME writes for it.

The writer asks the model for its PMML (nodes._pmml); a model family without an export fails
the node, naming its kind, and nothing is written. The document is validated (optional, as in
KNIME) and written atomically, so a failure never leaves half a file.
"""

from __future__ import annotations

from pydantic import Field

from engine.api import MODEL, Model, NodeError, Port
from engine.api.knime import KnimeMapping, KnimeSettings, file_name, get
from nodes._file_output import (
    FileOutputSettings,
    ModelFileWriter,
    chooser_policy_from_knime,
    legacy_overwrite_from_knime,
)
from nodes._pmml import check_document, pmml_document


class PmmlWriterSettings(FileOutputSettings):
    """KNIME's PMMLWriterNodeConfig2 keys (the legacy node's PMMLWriterFile, overwriteOK and
    validatePMML are read into them)."""

    file: str = Field(
        "", description="Output file (.pmml); relative paths are resolved against the workflow folder."
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
    chooser_policy_from_knime(knime, where)
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
    legacy_overwrite_from_knime(knime)
    knime.take("validate_PMML", "validatePMML", default=True)
    knime.unread()


class PmmlWriter(ModelFileWriter):
    type_name = "pmml_writer"
    display_name = "PMML Writer"
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
    Settings = PmmlWriterSettings
    no_file = "no output file given"
    not_a_file = "{path} is a folder, not a file"
    written_as = " as PMML"

    def content(self, model: Model, settings: PmmlWriterSettings) -> str:
        text = pmml_document(model)
        if text is None:
            raise NodeError(f"PMML export of {model.kind} models is not available in knitflow")
        if settings.validate_PMML:
            problems = check_document(text)
            if problems:
                raise NodeError(
                    "The PMML document is not valid: " + "; ".join(problems[:5]), setting="validate_PMML"
                )
        return text
