"""`create_app`: the editor's FastAPI app over one workspace, its routers assembled, wrapped in the
security middleware.

One `Session` per open workflow file holds the document, its undo/redo stack (engine/core/editing.py),
the result cache that makes re-runs incremental, and the node states shown as traffic lights. Runs
happen in a background thread; their events go to every WebSocket watching the workflow. No path
given to the API can reach outside the workspace (readers may also read the data folders), and the
same rule is checked on every node's path settings when the server runs it (`engine.editor.hooks`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from engine.core.editing import CommandError
from engine.editor.errors import ApiError
from engine.editor.routes import importing, nodes, runs, tables, workflow, workspace
from engine.editor.security import SecurityMiddleware
from engine.editor.session import OpenSessions
from engine.editor.workspace import Workspace

WEB_DIR = Path(__file__).resolve().parent / "web"


def create_app(
    directory: str | Path,
    *,
    token: str | None = None,
    loopback_only: bool = True,
    data_dirs: list[str | Path] | None = None,
    executor: Any = None,
) -> FastAPI:
    """The editor over `directory` (the workspace); a token is required on every request when given."""
    ws = Workspace(directory, data_dirs, executor=executor)
    if not ws.root.is_dir():
        raise FileNotFoundError(f"workspace {ws.root} is not a folder")
    sessions = OpenSessions(ws)
    app = FastAPI(title="knitflow editor", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspace = ws
    app.state.open_sessions = sessions
    app.state.sessions = sessions.by_path  # path -> Session, for tools that look inside (benchmarks)
    app.state.session = sessions.open

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), **exc.extra}, status_code=exc.status)

    @app.exception_handler(CommandError)
    async def _command_error(request: Request, exc: CommandError) -> JSONResponse:
        return JSONResponse({"detail": str(exc), "errors": exc.errors}, status_code=exc.status)

    @app.get("/")
    def index() -> Response:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=WEB_DIR), name="static")
    for module in (workspace, nodes, importing, workflow, runs, tables):
        app.include_router(module.router)
    return SecurityMiddleware(app, token, loopback_only)  # type: ignore[return-value]
