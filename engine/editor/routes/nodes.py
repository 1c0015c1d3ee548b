"""Node types (the node repository) and one node's dialog: its settings, schema and input specs,
and a trial configure of settings being edited."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from engine.editor.catalog import node_catalog, node_doc
from engine.editor.errors import ApiError
from engine.editor.routes.common import json_body, open_session

router = APIRouter()


@router.get("/api/nodes")
def nodes() -> dict[str, Any]:
    return node_catalog()


@router.get("/api/nodes/doc")
def doc(type: str) -> dict[str, Any]:
    found = node_doc(type)
    if found is None:
        raise ApiError(404, f"unknown node type {type!r}")
    return found


@router.get("/api/workflow/node")
def node_dialog(request: Request, path: str, id: int) -> dict[str, Any]:
    return open_session(request, path, reload=False).dialogs.dialog(id)


@router.post("/api/workflow/validate")
async def validate(path: str, id: int, request: Request) -> dict[str, Any]:
    data = await json_body(request)
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise ApiError(400, "settings must be an object")
    return await asyncio.to_thread(
        open_session(request, path, reload=False).dialogs.validate, id, settings, data.get("use_variables")
    )


@router.post("/api/workflow/preview")
async def preview(path: str, id: int, request: Request) -> dict[str, Any]:
    """A reader's first rows with the settings being edited (the dialog's preview)."""
    data = await json_body(request)
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise ApiError(400, "settings must be an object")
    return await asyncio.to_thread(open_session(request, path, reload=False).dialogs.preview, id, settings)
