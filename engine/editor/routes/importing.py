"""KNIME archives: "Open KNIME workflow…" turns a .knwf into a workflow of the workspace."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request

from engine.core.document_saving import write_document
from engine.editor.errors import ApiError
from engine.editor.routes.common import workspace_of

MAX_KNWF_BYTES = 512 * 2**20

router = APIRouter()


@router.post("/api/workflows/import-knime")
async def import_knime(request: Request, name: str, path: str | None = None) -> dict[str, Any]:
    """ "Open KNIME workflow…": the body is a .knwf archive as the browser read it from disk; it
    becomes a YAML in the workspace (default `<archive name>.yaml`) plus the import report."""
    from engine.knime import ImportReport, KnimeFormatError, skeleton

    workspace = workspace_of(request)
    raw = await request.body()
    if not raw:
        raise ApiError(400, "the request body must be the .knwf file")
    if len(raw) > MAX_KNWF_BYTES:
        raise ApiError(413, f"{name} is larger than {MAX_KNWF_BYTES // 2**20} MB")
    target = workspace.resolve(path or f"{Path(name).stem}.yaml")
    if target.exists():
        raise ApiError(409, f"{workspace.rel(target)} already exists")
    report = ImportReport()
    with tempfile.TemporaryDirectory(prefix="knitflow-knwf-") as tmp:
        archive = Path(tmp) / (Path(name).name or "workflow.knwf")
        archive.write_bytes(raw)
        try:
            doc = await asyncio.to_thread(skeleton, archive, report)
        except KnimeFormatError as exc:
            raise ApiError(400, f"{name}: {exc}") from None
    write_document(doc, target)
    return {
        "path": workspace.rel(target),
        "report": [{"kind": e.kind, "node": e.node_id, "message": str(e)} for e in report.entries],
    }
