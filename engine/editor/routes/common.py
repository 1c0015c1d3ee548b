"""What every router needs: the request's JSON body, the app's workspace and its open sessions."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import HTTPConnection, Request

from engine.editor.errors import ApiError
from engine.editor.session import OpenSessions, Session
from engine.editor.workspace import Workspace


async def json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object ({} when empty)."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return data


def workspace_of(conn: HTTPConnection) -> Workspace:
    workspace: Workspace = conn.app.state.workspace
    return workspace


def open_session(conn: HTTPConnection, path: str, *, reload: bool = True) -> Session:
    """The session of the workflow at `path` (opened on first use); with `reload`, an idle session
    first picks up edits made to the file outside the editor."""
    sessions: OpenSessions = conn.app.state.open_sessions
    return sessions.open(path, reload=reload)
