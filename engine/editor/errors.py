"""The editor API's one error type: an HTTP status, a message and extra JSON fields (such as the
workflow's current version after a stale edit)."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra
