"""What a node's output ports hold, for the output viewer: table pages, images, models, variables."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from engine.editor.errors import ApiError
from engine.editor.routes.common import open_session
from engine.editor.stats import column_statistics, molecule_svg

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
    columns: str | None = None,
) -> Response:
    return open_session(request, path, reload=False).results.port_data(
        id, port, offset, limit, sort or None, desc, col_offset, col_limit, columns or None
    )


@router.get("/api/workflow/stats")
async def stats(request: Request, path: str, id: int, port: int) -> dict[str, Any]:
    """Per-column statistics of a table port (the viewer's Statistics view)."""
    table = open_session(request, path, reload=False).results.port_table(id, port)
    return {"columns": await asyncio.to_thread(column_statistics, table), "rows": len(table)}


@router.get("/api/molecule.svg")
def molecule(smiles: str) -> Response:
    """A molecule drawn by RDKit, for SMILES cells of the table view."""
    svg = molecule_svg(smiles[:2000])
    if svg is None:
        raise ApiError(404, "not a molecule RDKit can read (or RDKit is not installed)")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"})


@router.get("/api/workflow/image")
def image(request: Request, path: str, id: int, port: int, format: str = "png") -> Response:
    return open_session(request, path, reload=False).results.port_image(id, port, format)
