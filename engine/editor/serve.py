"""`knitflow serve`: run the editor with uvicorn until interrupted."""

from __future__ import annotations

import secrets
import sys
import threading
from pathlib import Path
from typing import Any

from engine.core.executors import pass_executor_for
from engine.editor.app import create_app
from engine.editor.security import is_loopback


def prepare(
    directory: str | Path,
    host: str,
    port: int,
    token: str | None = None,
    no_token: bool = False,
    executor: Any = None,
) -> tuple[Any, str]:
    """The app and the URL to open: a token on every request unless `no_token`, which only a
    loopback host may ask for (any local process could otherwise run a Python Script node)."""
    loopback = is_loopback(host)
    if no_token and not loopback:
        raise ValueError("--no-token is for loopback hosts only: any other host needs the token")
    if no_token:
        token = None
    elif not token:
        token = secrets.token_urlsafe(24)
    app = create_app(directory, token=token, loopback_only=loopback, executor=executor)
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    return app, url


def serve(
    directory: str | Path = "workflows",
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = True,
    token: str | None = None,
    no_token: bool = False,
    executor: str | None = None,
) -> int:
    """Run the editor until interrupted (the `knitflow serve` command)."""
    import uvicorn

    root = Path(directory)
    if not root.is_dir():
        print(f"knitflow serve: {root} is not a folder", file=sys.stderr)
        return 2
    try:
        passes = pass_executor_for(executor) if executor else None
        app, url = prepare(root, host, port, token, no_token, executor=passes)
    except ValueError as exc:
        print(f"knitflow serve: {exc}", file=sys.stderr)
        return 2
    print(f"knitflow editor serving {Path(root).resolve()}")
    print(f"    {url}")
    if no_token:
        print("    (--no-token: any local process may use this editor)")
    if open_browser:
        import webbrowser

        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass
    return 0
