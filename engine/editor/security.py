"""Security, as Jupyter does it: a token on every request, loopback included (`knitflow serve` prints
and opens the tokenised URL; the page keeps it as a cookie; only `--no-token` on loopback turns it
off); a page asked for without the token is a small login page, an API call a JSON 401; a
state-changing request or a WebSocket whose Origin is not the page's own is refused; on loopback the
Host header must be a loopback name (DNS rebinding)."""

from __future__ import annotations

import ipaddress
import secrets
from typing import Any
from urllib.parse import parse_qs

from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

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
        if not given or not secrets.compare_digest(given.encode(), self.token.encode()):
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
    response: Any
    if status == 401 and scope.get("method") == "GET" and not scope.get("path", "").startswith("/api/"):
        response = HTMLResponse(LOGIN_PAGE, status_code=401)  # a person at the door, not a program
    else:
        response = JSONResponse({"detail": problem}, status_code=status)
    await response(scope, receive, send)


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>knitflow: log in</title>
<style>body{font:14px system-ui,sans-serif;background:#f4f4f4;display:flex;justify-content:center;margin-top:15vh}
form{background:#fff;padding:24px 28px;border-radius:6px;box-shadow:0 2px 12px rgba(0,0,0,.15);width:380px}
h1{font-size:18px;margin:0 0 8px}p{color:#555}input{width:100%;box-sizing:border-box;padding:6px;margin:8px 0}
button{padding:6px 14px}</style></head>
<body><form id="login" method="get" action="/">
<h1>knitflow editor</h1>
<p>This server needs its token. Open the URL <code>knitflow serve</code> printed, or paste the token:</p>
<input id="token" name="token" type="password" autocomplete="current-password" placeholder="token" autofocus>
<button type="submit">Log in</button>
</form></body></html>
"""
