"""`knitflow serve`: run the editor with uvicorn until interrupted."""

from __future__ import annotations

import secrets
import sys
import threading
from pathlib import Path

from engine.editor.app import create_app
from engine.editor.security import is_loopback


def serve(
    directory: str | Path = "workflows",
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = False,
    token: str | None = None,
) -> int:
    """Run the editor until interrupted (the `knitflow serve` command)."""
    import uvicorn

    root = Path(directory)
    if not root.is_dir():
        print(f"knitflow serve: {root} is not a folder", file=sys.stderr)
        return 2
    loopback = is_loopback(host)
    if not loopback and not token:
        token = secrets.token_urlsafe(24)
    app = create_app(root, token=token, loopback_only=loopback)
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"knitflow editor serving {Path(root).resolve()}")
    print(f"    {url}")
    if not loopback:
        print("    (not on loopback: every request needs the token above)")
    if open_browser:
        import webbrowser

        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass
    return 0
