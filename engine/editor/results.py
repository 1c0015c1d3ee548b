"""What a session's executed nodes hold on their output ports, for the output viewer: table pages
(`engine.editor.paging`), a view's image, a model's summary, flow variables."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np
from fastapi.responses import JSONResponse, Response

from engine.api import Model, Table, View, is_inactive
from engine.core.document import node_ports
from engine.core.metanodes import CONTAINER_TYPES
from engine.core.registry import registry
from engine.core.scheduler import EXECUTED, EXECUTING
from engine.editor.containers import output_source
from engine.editor.errors import ApiError
from engine.editor.paging import table_page

if TYPE_CHECKING:
    from engine.core.status import NodeStatus
    from engine.editor.session import Session


class PortResults:
    """The output ports of one session's nodes; sorted row orders are cached per table and column."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._sort_cache: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()

    def port_data(
        self,
        n: int,
        port: int,
        offset: int,
        limit: int,
        sort: str | None,
        desc: bool,
        col_offset: int,
        col_limit: int | None,
        col_filter: str | None = None,
    ) -> Response:
        """What port `port` of node `n` holds (port 0: its flow variables)."""
        s = self.session
        with s.lock:
            n, port = self._output_source(n, port)
            st = s.statuses.get(n)
            if st is None:
                raise ApiError(404, f"there is no node {n}")
            not_held = _nothing_held_yet(st, n, port)
            if not_held is not None:
                return not_held
            obj = st.outputs[port - 1]
            key = st.key
        extra: dict[str, Any] = {}
        if isinstance(obj, View):
            extra = {"kind": "view", "title": obj.title, "image": obj.has_picture}
            if obj.table is None:
                return JSONResponse(extra)
            obj = obj.table
        if isinstance(obj, Table):
            return table_page(
                obj,
                (key, n, port),
                self._sort_cache,
                offset,
                limit,
                sort,
                desc,
                col_offset,
                col_limit,
                extra,
                col_filter,
            )
        if isinstance(obj, Model):
            return JSONResponse({"kind": "model", "model_kind": obj.kind, "summary": obj.summary})
        if obj is None:
            return self._empty_port(st, n, port)
        if is_inactive(obj):
            message = (
                "Inactive branch: a switch upstream did not take this path, so the node was not executed."
            )
            return JSONResponse({"kind": "none", "message": message})
        return JSONResponse({"kind": "object", "summary": repr(obj)[:2000]})

    def _output_source(self, n: int, port: int) -> tuple[int, int]:
        """A container's output is the output of the inner node that feeds it; the caller holds the lock."""
        s = self.session
        if n in s.statuses and s.statuses[n].type in CONTAINER_TYPES:
            return output_source(s, n, port)
        return n, port

    def _empty_port(self, st: NodeStatus, n: int, port: int) -> Response:
        """An output that holds nothing: a variable port shows the node's flow variables."""
        cls = registry.get(st.type)
        entry = next((e for e in self.session.editor.doc.nodes if e.id == n), None)
        outputs = node_ports(cls, entry.settings)[1] if cls is not None and entry is not None else ()
        if port <= len(outputs) and outputs[port - 1].type.id == "variables":
            return _variables_response(st)
        return JSONResponse({"kind": "none", "message": "This output port has no data to display."})

    def port_table(self, n: int, port: int) -> Table:
        """The table on port `port` of executed node `n` (a view's table too)."""
        s = self.session
        with s.lock:
            n, port = self._output_source(n, port)
            st = s.statuses.get(n)
            if st is None or st.state != EXECUTED or not 1 <= port <= len(st.outputs):
                raise ApiError(404, "Execute the node first.")
            obj = st.outputs[port - 1]
        if isinstance(obj, View):
            obj = obj.table
        if not isinstance(obj, Table):
            raise ApiError(404, "this port holds no table")
        return obj

    def port_image(self, n: int, port: int, fmt: str = "png") -> Response:
        """The picture of a view port, drawn as PNG or SVG (`fmt`; a raster-only picture stays PNG)."""
        if fmt not in ("png", "svg"):
            raise ApiError(422, f"format must be png or svg, not {fmt!r}")
        s = self.session
        with s.lock:
            n, port = self._output_source(n, port)
            st = s.statuses.get(n)
            if st is None or st.state != EXECUTED or not 1 <= port <= len(st.outputs):
                raise ApiError(404, "Execute the node first.")
            obj = st.outputs[port - 1]
        drawn = obj.picture(fmt) if isinstance(obj, View) else None
        if drawn is None:
            raise ApiError(404, "this port holds no image")
        data, kind = drawn
        media = "image/svg+xml" if kind == "svg" else "image/png"
        return Response(data, media_type=media, headers={"Cache-Control": "no-store"})


def _nothing_held_yet(st: NodeStatus, n: int, port: int) -> Response | None:
    """The answer when no output object is to be shown: a node not executed yet (a running loop's
    current pass counts as executed), port 0 (the flow variables), a port the node does not have."""
    live = st.state == EXECUTING and st.loop_progress is not None
    if st.state != EXECUTED and not live:
        return JSONResponse({"kind": "none", "message": "Execute the node first."})
    if port == 0:
        return _variables_response(st)
    if not 1 <= port <= len(st.outputs):
        raise ApiError(404, f"node {n} has no output port {port}")
    return None


def _variables_response(st: NodeStatus) -> Response:
    variables = [{"name": k, **v} for k, v in st.variables.to_json().items()]
    return JSONResponse({"kind": "variables", "variables": variables})
