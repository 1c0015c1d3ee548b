"""Runs of a workflow: execute, cancel, reset, and the WebSocket on which a session's events
(edits, node states, progress) reach every page watching it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect

from engine.editor.errors import ApiError
from engine.editor.routes.common import json_body, open_session

router = APIRouter()


@router.post("/api/workflow/execute")
async def execute(path: str, request: Request) -> dict[str, Any]:
    data = await json_body(request)
    s = open_session(request, path, reload=False)
    await asyncio.to_thread(s.runs.execute, data.get("nodes"))
    return {"running": True}


@router.post("/api/workflow/cancel")
def cancel(request: Request, path: str) -> dict[str, Any]:
    open_session(request, path, reload=False).runs.cancel()
    return {"cancelled": True}


@router.post("/api/workflow/reset")
async def reset(path: str, request: Request) -> dict[str, Any]:
    data = await json_body(request)
    s = open_session(request, path, reload=False)
    await asyncio.to_thread(s.runs.reset, data.get("nodes"))
    return {"state": s.state_json(False)}


@router.websocket("/api/ws")
async def ws(websocket: WebSocket, path: str) -> None:
    try:
        s = open_session(websocket, path)
    except ApiError as exc:
        await websocket.close(code=4404, reason=str(exc)[:120])
        return
    await websocket.accept()
    sub = s.events.subscribe(asyncio.get_running_loop())

    async def pump() -> None:
        while True:
            msg = await sub.queue.get()
            await websocket.send_text(json.dumps(msg, default=str))

    sender = asyncio.create_task(pump())
    try:
        await websocket.send_text(json.dumps({"type": "workflow", **s.state_json()}, default=str))
        while True:
            text = await websocket.receive_text()
            if text == "ping":
                await sub.queue.put({"type": "pong"})
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        s.events.unsubscribe(sub)
