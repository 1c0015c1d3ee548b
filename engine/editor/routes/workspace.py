"""The workspace: what the server serves, its workflows, and folders for readers' file choosers."""

from __future__ import annotations

import sys
from typing import Any

from fastapi import APIRouter, Request

from engine.core.document import FORMAT, WorkflowDoc
from engine.core.document_saving import write_document
from engine.editor.errors import ApiError
from engine.editor.routes.common import json_body, open_session, workspace_of
from engine.editor.session import OpenSessions

router = APIRouter()


@router.get("/api/info")
def info(request: Request) -> dict[str, Any]:
    workspace = workspace_of(request)
    return {
        "workspace": str(workspace.root),
        "data_dirs": [str(d) for d in workspace.data_dirs],
        "format": FORMAT,
        "python": sys.version.split()[0],
    }


@router.get("/api/workflows")
def workflows(request: Request) -> dict[str, Any]:
    skipped: list[dict[str, str]] = []
    listed = workspace_of(request).list_workflows(skipped)
    return {"workflows": listed, "skipped": skipped}


@router.post("/api/workflows")
async def new_workflow(request: Request) -> dict[str, Any]:
    workspace = workspace_of(request)
    data = await json_body(request)
    rel = str(data.get("path", ""))
    path = workspace.resolve(rel)
    if path.exists():
        raise ApiError(409, f"{rel} already exists")
    name = str(data.get("name") or path.stem)
    doc = WorkflowDoc(name=name)
    write_document(doc, path)
    sessions: OpenSessions = request.app.state.open_sessions
    sessions.discard(path)  # a deleted workflow's unsaved edits do not come back with a new one
    return {"path": workspace.rel(path)}


@router.get("/api/files")
def files(
    request: Request, root: str = "workspace", path: str = "", workflow: str | None = None
) -> dict[str, Any]:
    wf_dir, variables = None, {}
    if workflow:
        s = open_session(request, workflow, reload=False)
        wf_dir, variables = s.path.parent, dict(s.editor.doc.variables)
    return workspace_of(request).list_files(root, path, wf_dir, variables)
