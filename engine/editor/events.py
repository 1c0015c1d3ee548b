"""Event fan-out: what happens to a session (edits, runs, node states, progress) goes to every
WebSocket watching it, each through its own queue on its own event loop (runs report from worker
threads)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any


@dataclass
class Subscriber:
    """A WebSocket watching a session: its queue, and the event loop that owns the queue."""

    queue: asyncio.Queue[dict[str, Any]]
    loop: asyncio.AbstractEventLoop


class EventHub:
    """The watchers of one session."""

    def __init__(self) -> None:
        self.subscribers: list[Subscriber] = []

    def subscribe(self, loop: asyncio.AbstractEventLoop) -> Subscriber:
        sub = Subscriber(asyncio.Queue(), loop)
        self.subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub in self.subscribers:
            self.subscribers.remove(sub)

    def broadcast(self, message: dict[str, Any]) -> None:
        """Thread-safe: each message is put on every watcher's queue by that watcher's loop."""
        for sub in list(self.subscribers):
            try:
                sub.loop.call_soon_threadsafe(sub.queue.put_nowait, message)
            except RuntimeError:  # its loop is closed
                self.subscribers.remove(sub)
