"""What a node's output ports hold, for the output viewer: table pages, images, models, variables."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from engine.editor.routes.common import open_session

router = APIRouter()


@router.get("/api/workflow/port")
def port(
    request: Request,
    path: str,
    id: int,
    port: int,
    offset: int = 0,
    limit: int = 100,
    sort: str | None = None,
    desc: bool = False,
    col_offset: int = 0,
    col_limit: int | None = None,
) -> Response:
    return open_session(request, path, reload=False).results.port_data(
        id, port, offset, limit, sort or None, desc, col_offset, col_limit
    )


@router.get("/api/workflow/image")
def image(request: Request, path: str, id: int, port: int) -> Response:
    return open_session(request, path, reload=False).results.port_image(id, port)
