"""Reading KNIME workflows (.knwf archives, workflow folders) into knitflow documents."""

from engine.knime import archive as _archive
from engine.knime.archive import *  # noqa: F403
from engine.knime.importer import (
    PLACEHOLDER_TYPE,
    ImportReport,
    NodeReport,
    ReportEntry,
    import_cli,
    knime_index,
    load_knwf,
    skeleton,
    to_document,
)
from engine.knime.supported_nodes import supported_nodes_markdown, update_readme

__all__ = [
    *_archive.__all__,
    "PLACEHOLDER_TYPE",
    "ImportReport",
    "NodeReport",
    "ReportEntry",
    "import_cli",
    "knime_index",
    "load_knwf",
    "skeleton",
    "supported_nodes_markdown",
    "to_document",
    "update_readme",
]
