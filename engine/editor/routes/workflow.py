"""One workflow's document: its state, edits as commands, undo/redo, saving, the SVG picture."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from engine.editor.errors import ApiError
from engine.editor.routes.common import json_body, open_session

router = APIRouter()


@router.get("/api/workflow")
def get_workflow(request: Request, path: str) -> dict[str, Any]:
    return open_session(request, path).state_json()


@router.post("/api/workflow/command")
async def command(path: str, request: Request) -> dict[str, Any]:
    data = await json_body(request)
    cmd = data.get("command")
    if not isinstance(cmd, dict):
        raise ApiError(400, "expected {'command': {'op': ...}}")
    s = open_session(request, path, reload=False)
    return await asyncio.to_thread(s.command, cmd, data.get("version"))


@router.post("/api/workflow/undo")
async def undo(request: Request, path: str) -> dict[str, Any]:
    return await asyncio.to_thread(open_session(request, path, reload=False).undo_redo, False)


@router.post("/api/workflow/redo")
async def redo(request: Request, path: str) -> dict[str, Any]:
    return await asyncio.to_thread(open_session(request, path, reload=False).undo_redo, True)


@router.post("/api/workflow/save")
async def save(path: str, request: Request) -> dict[str, Any]:
    data = await json_body(request)
    s = open_session(request, path, reload=False)
    await asyncio.to_thread(s.save, data.get("version"), bool(data.get("force")))
    state = s.state_json()
    s.events.broadcast({"type": "workflow", **state})
    return {"state": state}


@router.get("/api/workflow/svg")
def svg(request: Request, path: str) -> Response:
    from engine.core.render import render_svg

    s = open_session(request, path, reload=False)
    with s.lock:
        text = render_svg(s.editor.doc, {n: st.state for n, st in s.statuses.items()})
    return Response(text, media_type="image/svg+xml")
