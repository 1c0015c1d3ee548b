"""Security, as Jupyter does it: loopback by default; any other host needs a token (printed at
start); a state-changing request or a WebSocket whose Origin is not the page's own is refused; on
loopback the Host header must be a loopback name (DNS rebinding)."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi.responses import JSONResponse, RedirectResponse

TOKEN_COOKIE = "knitflow_token"
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    if host_header.startswith("["):
        return host_header[: host_header.find("]") + 1] if "]" in host_header else host_header
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


def _origin_problem(method: str, host: str, headers: dict[str, str]) -> str | None:
    """A state-changing request (or a WebSocket) must come from the editor's own page."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return None
    origin = headers.get("origin")
    if origin is not None and origin not in (f"http://{host}", f"https://{host}"):
        return f"Origin {origin!r} refused: state-changing requests must come from the editor's own page"
    if headers.get("sec-fetch-site") == "cross-site":
        return "cross-site request refused"
    return None


def _given_token(headers: dict[str, str], query: dict[str, list[str]]) -> tuple[str | None, bool]:
    """The token a request carries (header, `Authorization: token ...`, cookie, else `?token=`) and
    whether it came from the query (then the page gets it as a cookie)."""
    given = headers.get("x-knitflow-token")
    auth = headers.get("authorization", "")
    if not given and auth.lower().startswith("token "):
        given = auth[6:].strip()
    if not given:
        for part in headers.get("cookie", "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == TOKEN_COOKIE:
                given = v
    if not given and "token" in query:
        return query["token"][0], True
    return given, False


class SecurityMiddleware:
    """Token, Host and Origin checks for HTTP and WebSocket alike (pure ASGI, so WebSockets are
    covered too)."""

    def __init__(self, app: Any, token: str | None, loopback_only: bool) -> None:
        self.app = app
        self.token = token
        self.loopback_only = loopback_only

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        problem, status, set_cookie = self._check(scope, headers)
        if problem is not None:
            await _refuse(scope, receive, send, problem, status)
            return
        if set_cookie and scope["type"] == "http" and scope.get("path", "") == "/":
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(TOKEN_COOKIE, set_cookie, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check(self, scope: dict[str, Any], headers: dict[str, str]) -> tuple[str | None, int, str | None]:
        """(what is wrong or None, the HTTP status to refuse with, a token to set as cookie)."""
        host = headers.get("host", "")
        method = scope.get("method", "GET") if scope["type"] == "http" else "WEBSOCKET"
        if self.loopback_only and not is_loopback(_host_name(host)):
            return f"Host {host!r} refused: this server answers loopback names only", 403, None
        problem = _origin_problem(method, host, headers)
        if problem is not None:
            return problem, 403, None
        if self.token is None or scope.get("path", "").startswith("/static/"):
            return None, 403, None
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given, from_query = _given_token(headers, query)
        if not given or not secrets.compare_digest(given, self.token):
            return "a valid token is required (see the URL printed by `knitflow serve`)", 401, None
        return None, 403, given if from_query else None


async def _refuse(scope: dict[str, Any], receive: Any, send: Any, problem: str, status: int) -> None:
    if scope["type"] == "websocket":
        await send(
            {
                "type": "websocket.close",
                "code": 4403 if status == 403 else 4401,
                "reason": problem[:120],
            }
        )
        return
    response = JSONResponse({"detail": problem}, status_code=status)
    await response(scope, receive, send)
